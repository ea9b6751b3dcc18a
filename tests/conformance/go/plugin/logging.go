package plugin

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Log levels, hclog order.
const (
	LevelTrace = iota + 1
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelOff
)

func parseLevel(s string) int {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "TRACE", "JSON":
		return LevelTrace
	case "DEBUG":
		return LevelDebug
	case "INFO":
		return LevelInfo
	case "WARN":
		return LevelWarn
	case "ERROR":
		return LevelError
	case "", "OFF":
		return LevelOff
	}
	return LevelTrace // Terraform: an unknown value enables TRACE with a warning
}

// Logger mirrors Terraform's two loggers: the core one (TF_LOG_CORE / TF_LOG) and the provider
// one (TF_LOG_PROVIDER / TF_LOG), written to TF_LOG_PATH or stderr (TF internal/logging).
type Logger struct {
	mu       sync.Mutex
	w        io.Writer
	core     int
	provider int
}

var Log = NewLoggerFromEnv()

func NewLoggerFromEnv() *Logger {
	l := &Logger{core: LevelOff, provider: LevelOff}
	all := os.Getenv("TF_LOG")
	l.core, l.provider = parseLevel(all), parseLevel(all)
	if v, ok := os.LookupEnv("TF_LOG_CORE"); ok {
		l.core = parseLevel(v)
	}
	if v, ok := os.LookupEnv("TF_LOG_PROVIDER"); ok {
		l.provider = parseLevel(v)
	}
	l.w = os.Stderr
	path := os.Getenv("TF_LOG_PATH")
	if path != "" && l.core == LevelOff && l.provider == LevelOff {
		// Terraform logs nothing without a level; tfconform still keeps the provider's stderr in
		// TF_LOG_PATH so a failing script has the provider's side of the story.
		l.provider = LevelTrace
	}
	if p := path; p != "" && (l.core != LevelOff || l.provider != LevelOff) {
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			l.w = f
		}
	}
	return l
}

var levelNames = map[int]string{LevelTrace: "TRACE", LevelDebug: "DEBUG", LevelInfo: "INFO", LevelWarn: "WARN", LevelError: "ERROR"}

func (l *Logger) write(level int, name, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := time.Now().Format("2006-01-02T15:04:05.000Z0700")
	if name != "" {
		fmt.Fprintf(l.w, "%s [%s] %s: %s\n", ts, levelNames[level], name, msg)
	} else {
		fmt.Fprintf(l.w, "%s [%s] %s\n", ts, levelNames[level], msg)
	}
}

// Core logs one of tfconform's own messages.
func (l *Logger) Core(level int, format string, args ...interface{}) {
	if l == nil || level < l.core || l.core == LevelOff {
		return
	}
	l.write(level, "", fmt.Sprintf(format, args...))
}

// Provider logs one stderr line of a provider, parsed as hclog JSON when possible (GP logStderr).
func (l *Logger) Provider(name string, level int, msg string, kv map[string]interface{}) {
	if l == nil || level < l.provider || l.provider == LevelOff {
		return
	}
	var keys []string
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(msg)
	if len(keys) > 0 {
		b.WriteString(":")
		for _, k := range keys {
			v, _ := json.Marshal(kv[k])
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	l.write(level, name, b.String())
}

// ---------------------------------------------------------------- hclog JSON lines

// hclogTimeFormat is go-plugin's layout for @timestamp (GP log_entry.go; notes 2.4).
const hclogTimeFormat = "2006-01-02T15:04:05.000000Z07:00"

type logEntry struct {
	Level   int
	Message string
	KV      map[string]interface{}
}

// ParseHCLogLine checks one stderr line the way go-plugin's parseJSON does and returns why it is
// not a valid hclog JSON line (strict mode), or the entry.
func ParseHCLogLine(line string) (*logEntry, error) {
	var raw map[string]interface{}
	if err := json.Unmarshal([]byte(line), &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	e := &logEntry{KV: map[string]interface{}{}}
	for _, k := range []string{"@level", "@message", "@timestamp"} {
		v, ok := raw[k]
		if !ok {
			return nil, fmt.Errorf("missing %q", k)
		}
		if _, isStr := v.(string); !isStr {
			// go-plugin does v.(string) unchecked: Terraform's stderr reader would panic.
			return nil, fmt.Errorf("%q is not a string (go-plugin would panic)", k)
		}
	}
	if _, err := time.Parse(hclogTimeFormat, raw["@timestamp"].(string)); err != nil {
		return nil, fmt.Errorf("@timestamp %q is not in layout %s", raw["@timestamp"], hclogTimeFormat)
	}
	lvl := strings.ToLower(raw["@level"].(string))
	switch lvl {
	case "trace":
		e.Level = LevelTrace
	case "debug":
		e.Level = LevelDebug
	case "info":
		e.Level = LevelInfo
	case "warn", "warning":
		e.Level = LevelWarn
	case "error":
		e.Level = LevelError
	default:
		return nil, fmt.Errorf("@level %q is not an hclog level", raw["@level"])
	}
	e.Message = raw["@message"].(string)
	for k, v := range raw {
		if !strings.HasPrefix(k, "@") {
			e.KV[k] = v
		}
	}
	return e, nil
}
