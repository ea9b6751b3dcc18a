package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcled"
	"github.com/mitchellh/go-wordwrap"
)

// Sources remembers the configuration files read so far, for source snippets.
var Sources = &sourceSet{files: map[string]*hcl.File{}}

type sourceSet struct {
	mu    sync.Mutex
	files map[string]*hcl.File
}

func (s *sourceSet) Add(name string, f *hcl.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[name] = f
}

func (s *sourceSet) Get(name string) *hcl.File {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files[name]
}

const (
	ansiReset     = "\x1b[0m"
	ansiBold      = "\x1b[1m"
	ansiRed       = "\x1b[31m"
	ansiYellow    = "\x1b[33m"
	ansiUnderline = "\x1b[4m"
)

// snippet returns ("on main.tf line 3, in resource ...:", code lines) for a subject.
func snippet(rng *hcl.Range) (string, []string, int) {
	f := Sources.Get(rng.Filename)
	if f == nil {
		return fmt.Sprintf("on %s line %d:", rng.Filename, rng.Start.Line), []string{"  (source code not available)"}, 0
	}
	ctx := hcled.ContextString(f, rng.Start.Byte)
	head := fmt.Sprintf("on %s line %d", rng.Filename, rng.Start.Line)
	if ctx != "" {
		head += ", in " + ctx
	}
	head += ":"
	lines := strings.Split(string(f.Bytes), "\n")
	end := rng.End.Line
	if end < rng.Start.Line {
		end = rng.Start.Line
	}
	if end-rng.Start.Line > 4 {
		end = rng.Start.Line + 4
	}
	var code []string
	for l := rng.Start.Line; l <= end && l-1 < len(lines); l++ {
		code = append(code, lines[l-1])
	}
	return head, code, rng.Start.Line
}

func wrap(detail string, width int) []string {
	var out []string
	for _, line := range strings.Split(detail, "\n") {
		if width > 1 && !strings.HasPrefix(line, " ") {
			line = wordwrap.WrapString(line, uint(width-1))
		}
		out = append(out, strings.Split(line, "\n")...)
	}
	return out
}

// Format renders one diagnostic as Terraform does: boxed and coloured (format.Diagnostic) or, with
// -no-color, plain (format.DiagnosticPlain).
func Format(d *Diagnostic, color bool, width int) string {
	var body bytes.Buffer
	label := "Error: "
	if d.Severity == Warning {
		label = "Warning: "
	} else if d.Severity != Error {
		label = ""
	}
	if color {
		c := ansiRed
		if d.Severity == Warning {
			c = ansiYellow
		}
		fmt.Fprintf(&body, "%s%s%s%s%s%s\n\n", ansiBold, c, label, ansiReset+ansiBold, d.Summary, ansiReset)
	} else {
		fmt.Fprintf(&body, "%s%s\n\n", label, d.Summary)
	}
	if d.Address != "" {
		fmt.Fprintf(&body, "  with %s,\n", d.Address)
	}
	if d.Subject != nil {
		head, code, start := snippet(d.Subject)
		fmt.Fprintf(&body, "  %s\n", head)
		for i, line := range code {
			if start == 0 {
				fmt.Fprintf(&body, "%s\n", line)
				continue
			}
			fmt.Fprintf(&body, "%4d: %s\n", start+i, line)
		}
		body.WriteByte('\n')
	}
	if d.Detail != "" {
		w := width
		if color {
			w = width - 2
		}
		for _, l := range wrap(d.Detail, w) {
			fmt.Fprintf(&body, "%s\n", l)
		}
	}
	text := strings.TrimRight(body.String(), "\n")
	if !color {
		return "\n" + text + "\n"
	}
	rule := ansiRed + "│" + ansiReset + " "
	top, bottom := ansiRed+"╷"+ansiReset, ansiRed+"╵"+ansiReset
	if d.Severity == Warning {
		rule = ansiYellow + "│" + ansiReset + " "
		top, bottom = ansiYellow+"╷"+ansiReset, ansiYellow+"╵"+ansiReset
	}
	var out bytes.Buffer
	out.WriteString(top + "\n")
	for _, l := range strings.Split(text, "\n") {
		out.WriteString(rule + l + "\n")
	}
	out.WriteString(bottom + "\n")
	return out.String()
}

// ---------------------------------------------------------------- JSON (-json)

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonSnippet struct {
	Context   *string `json:"context"`
	Code      string  `json:"code"`
	StartLine int     `json:"start_line"`
}

// JSONDiagnostic is Terraform's views/json diagnostic shape.
type JSONDiagnostic struct {
	Severity string       `json:"severity"`
	Summary  string       `json:"summary"`
	Detail   string       `json:"detail"`
	Address  string       `json:"address,omitempty"`
	Range    *jsonRange   `json:"range,omitempty"`
	Snippet  *jsonSnippet `json:"snippet,omitempty"`
}

func (d *Diagnostic) JSON() JSONDiagnostic {
	sev := "error"
	if d.Severity == Warning {
		sev = "warning"
	} else if d.Severity != Error {
		sev = "invalid"
	}
	j := JSONDiagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail, Address: d.Address}
	if r := d.Subject; r != nil {
		j.Range = &jsonRange{Filename: r.Filename,
			Start: jsonPos{r.Start.Line, r.Start.Column, r.Start.Byte},
			End:   jsonPos{r.End.Line, r.End.Column, r.End.Byte}}
		if f := Sources.Get(r.Filename); f != nil {
			_, code, start := snippet(r)
			s := &jsonSnippet{Code: strings.Join(code, "\n"), StartLine: start}
			if c := hcled.ContextString(f, r.Start.Byte); c != "" {
				s.Context = &c
			}
			j.Snippet = s
		}
	}
	return j
}

func (ds Diagnostics) JSON() []JSONDiagnostic {
	ret := []JSONDiagnostic{}
	for _, d := range ds {
		ret = append(ret, d.JSON())
	}
	return ret
}

// MarshalJSONList is a convenience for printing.
func (ds Diagnostics) MarshalJSONList() []byte {
	b, _ := json.Marshal(ds.JSON())
	return b
}
