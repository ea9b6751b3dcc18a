package plugin

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	goplugin "tfconformgen/goplugin"
)

// ---------------------------------------------------------------- strict-mode violations

var (
	violMu     sync.Mutex
	violations []string
)

// Violate records a strict-mode finding (reported by the command at exit when TFCONFORM_STRICT=1).
func Violate(format string, args ...interface{}) {
	violMu.Lock()
	defer violMu.Unlock()
	violations = append(violations, fmt.Sprintf(format, args...))
}

// Violations returns and clears the findings so far.
func Violations() []string {
	violMu.Lock()
	defer violMu.Unlock()
	v := violations
	violations = nil
	return v
}

// Strict reports TFCONFORM_STRICT=1.
func Strict() bool { return os.Getenv("TFCONFORM_STRICT") == "1" }

// ---------------------------------------------------------------- config

// Config says how to obtain a provider connection.
type Config struct {
	Path string // executable
	// ProtocolVersions is PLUGIN_PROTOCOL_VERSIONS; empty means what Terraform sends: 5 and 6 in
	// Go map order, i.e. "5,6" or "6,5" at random (notes 2.1).
	ProtocolVersions string
	// NoTLS mimics TF_DISABLE_PLUGIN_TLS (no PLUGIN_CLIENT_CERT, plaintext gRPC).
	NoTLS bool
	// ExtraEnv is appended after Terraform's environment (tests).
	ExtraEnv []string
	// StartTimeout is go-plugin's StartTimeout (1 minute).
	StartTimeout time.Duration
	// Reattach connects to an already running provider instead (TF_REATTACH_PROVIDERS).
	Reattach *ReattachConfig
}

// ReattachConfig is one entry of TF_REATTACH_PROVIDERS (notes 2.7).
type ReattachConfig struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct {
		Network string
		String  string
	}
}

// ParseReattach reads TF_REATTACH_PROVIDERS and returns the entry for the provider address
// (full "host/ns/type" or short "ns/type" key, as Terraform accepts both).
func ParseReattach(env, fullAddr, shortAddr string) (*ReattachConfig, error) {
	if env == "" {
		return nil, nil
	}
	var m map[string]*ReattachConfig
	if err := json.Unmarshal([]byte(env), &m); err != nil {
		return nil, fmt.Errorf("Invalid format for TF_REATTACH_PROVIDERS: %w", err)
	}
	for k, v := range m {
		if k == fullAddr || k == shortAddr {
			if v.Addr.Network != "unix" && v.Addr.Network != "tcp" {
				return nil, fmt.Errorf("Unknown address type %q for %q", v.Addr.Network, k)
			}
			return v, nil
		}
	}
	return nil, nil
}

// ---------------------------------------------------------------- client

// Client is one running (or reattached) provider process and its gRPC connection.
type Client struct {
	Name      string // "terraform-provider-foundry"
	Handshake *Handshake
	Conn      *grpc.ClientConn
	Pid       int

	cmd        *exec.Cmd
	exited     chan struct{}
	exitErr    error
	reattached bool
	stderrDone chan struct{}
	stdoutDone chan struct{}
	crashMu    sync.Mutex
	crash      []string
	inPanic    bool
	closeOnce  sync.Once
	closeErr   error
	cancel     context.CancelFunc
	killed     bool
}

// Start launches the provider like Terraform's managed go-plugin client (GP client.go Start).
func Start(cfg Config) (*Client, error) {
	if cfg.Reattach != nil {
		return reattach(cfg)
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = time.Minute
	}
	versions := cfg.ProtocolVersions
	if versions == "" {
		// go-plugin builds the list by ranging over VersionedPlugins, a map: random order.
		vs := map[int]bool{5: true, 6: true}
		var parts []string
		for v := range vs {
			parts = append(parts, fmt.Sprint(v))
		}
		versions = strings.Join(parts, ",")
	}
	cmd := exec.Command(cfg.Path)
	cmd.Env = append(cmd.Env, os.Environ()...)
	cmd.Env = append(cmd.Env,
		MagicCookieKey+"="+MagicCookieValue,
		"PLUGIN_MIN_PORT=10000",
		"PLUGIN_MAX_PORT=25000",
		"PLUGIN_PROTOCOL_VERSIONS="+versions,
	)
	cmd.Stdin = os.Stdin
	var tlsCfg *tls.Config
	if !cfg.NoTLS {
		certPEM, keyPEM, err := GenerateCert()
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, err
		}
		cmd.Env = append(cmd.Env, "PLUGIN_CLIENT_CERT="+string(certPEM))
		// GP v1.7 client.go:686-692.
		tlsCfg = &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   tls.RequireAndVerifyClientCert,
			MinVersion:   tls.VersionTLS12,
			ServerName:   "localhost",
		}
	}
	cmd.Env = append(cmd.Env, cfg.ExtraEnv...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	Log.Core(LevelDebug, "starting plugin: path=%s args=%v", cmd.Path, cmd.Args)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Client{
		Name:       filepath.Base(cfg.Path),
		cmd:        cmd,
		Pid:        cmd.Process.Pid,
		exited:     make(chan struct{}),
		stderrDone: make(chan struct{}),
		stdoutDone: make(chan struct{}),
	}
	Log.Core(LevelDebug, "plugin started: path=%s pid=%d", cmd.Path, c.Pid)
	go c.readStderr(stderr)
	lines := make(chan string)
	go func() {
		defer close(c.stdoutDone)
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	go func() {
		<-c.stderrDone
		c.exitErr = cmd.Wait()
		Log.Core(LevelDebug, "plugin process exited: path=%s pid=%d", cmd.Path, c.Pid)
		close(c.exited)
	}()

	var line string
	select {
	case <-time.After(cfg.StartTimeout):
		c.kill()
		return nil, errors.New("timeout while waiting for plugin to start")
	case <-c.exited:
		return nil, c.startFailure("plugin exited before we could connect")
	case l, ok := <-lines:
		if !ok {
			<-c.exited
			return nil, c.startFailure("plugin exited before we could connect")
		}
		line = l
	}
	// Everything after the handshake line is drained; Terraform discards it silently, strict mode
	// reports it (a provider must not write to stdout).
	go func() {
		for l := range lines {
			Violate("%s wrote to stdout after the handshake: %q", c.Name, l)
		}
	}()
	h, err := ParseHandshake(line, map[int]bool{5: true, 6: true})
	c.Handshake = h
	if err != nil {
		c.kill()
		return nil, err
	}
	if len(h.Fields) > 6 {
		Violate("%s: handshake line has %d fields (a 7th is only for PLUGIN_MULTIPLEX_GRPC): %q", c.Name, len(h.Fields), line)
	}
	if h.App != 6 {
		c.kill()
		return nil, fmt.Errorf("%s negotiated plugin protocol %d; tfconform drives protocol 6 only (Terraform would use its tfplugin5 client)", c.Name, h.App)
	}
	if tlsCfg != nil {
		if h.Cert == nil {
			// GP leaves RootCAs unset: the TLS handshake then fails against system roots (notes 2.3).
			Log.Core(LevelWarn, "plugin did not send a server certificate; TLS will use system roots")
		} else {
			pool := x509.NewCertPool()
			pool.AddCert(h.Cert)
			tlsCfg.RootCAs = pool
			tlsCfg.ClientCAs = pool
		}
	}
	conn, err := dial(h.Network, h.Addr, tlsCfg)
	if err != nil {
		c.kill()
		return nil, err
	}
	c.Conn = conn
	c.startSideServices()
	return c, nil
}

func (c *Client) startFailure(msg string) error {
	<-c.stderrDone
	c.crashMu.Lock()
	defer c.crashMu.Unlock()
	if len(c.crash) > 0 {
		return fmt.Errorf("%s\n\n%s", msg, strings.Join(c.crash, "\n"))
	}
	return errors.New(msg)
}

// alpnCreds wraps the TLS credentials to refuse a server that did not negotiate h2, as Terraform's
// grpc-go (>= 1.67) does: "credentials: cannot check peer: missing selected ALPN property"
// (notes 2.3). grpc-go 1.33 here would not check.
type alpnCreds struct{ credentials.TransportCredentials }

func (a alpnCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := a.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err != nil {
		return conn, info, err
	}
	if ti, ok := info.(credentials.TLSInfo); ok && ti.State.NegotiatedProtocol != "h2" {
		conn.Close()
		return nil, nil, errors.New("credentials: cannot check peer: missing selected ALPN property")
	}
	return conn, info, nil
}

func (a alpnCreds) Clone() credentials.TransportCredentials {
	return alpnCreds{a.TransportCredentials.Clone()}
}

// Dial connects like go-plugin's dialGRPCConn: custom dialer (unix socket), TLS or plaintext,
// unlimited message sizes, fail on non-temporary dial errors.
func Dial(network, addr string, tlsCfg *tls.Config) (*grpc.ClientConn, error) {
	return dial(network, addr, tlsCfg)
}

func dial(network, addr string, tlsCfg *tls.Config) (*grpc.ClientConn, error) {
	opts := []grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}),
		grpc.FailOnNonTempDialError(true),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(math.MaxInt32), grpc.MaxCallSendMsgSize(math.MaxInt32)),
	}
	if tlsCfg == nil {
		opts = append(opts, grpc.WithInsecure())
	} else {
		opts = append(opts, grpc.WithTransportCredentials(alpnCreds{credentials.NewTLS(tlsCfg)}))
	}
	return grpc.Dial("unused", opts...)
}

// startSideServices does what GP's newGRPCClient does at connect: start the broker stream and the
// stdio stream (both may be UNIMPLEMENTED; errors are only logged).
func (c *Client) startSideServices() {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		stream, err := goplugin.NewGRPCBrokerClient(c.Conn).StartStream(ctx)
		if err != nil {
			return
		}
		for {
			if _, err := stream.Recv(); err != nil {
				return
			}
		}
	}()
	go func() {
		stream, err := goplugin.NewGRPCStdioClient(c.Conn).StreamStdio(ctx, &emptypb.Empty{})
		if err != nil {
			Log.Core(LevelWarn, "stdio service not available: %s", err)
			return
		}
		for {
			d, err := stream.Recv()
			if err != nil {
				if s, ok := status.FromError(err); ok && (s.Code() == codes.Unavailable || s.Code() == codes.Unimplemented) {
					Log.Core(LevelWarn, "stdio service not available")
				}
				return
			}
			// Terraform logs it as WARN "unexpected data" (TF logging.go PluginOutputMonitor).
			Log.Core(LevelWarn, "unexpected data: %s:%v %s", c.Name, d.Channel, strings.TrimSpace(string(d.Data)))
		}
	}()
}

func (c *Client) readStderr(r io.Reader) {
	defer close(c.stderrDone)
	br := bufio.NewReaderSize(r, 64*1024)
	name := "provider." + c.Name
	for {
		line, isPrefix, err := br.ReadLine()
		if err != nil {
			return
		}
		text := string(line)
		if isPrefix {
			// GP logs over-long lines raw at DEBUG; strict mode requires one JSON object per line.
			for isPrefix && err == nil {
				var more []byte
				more, isPrefix, err = br.ReadLine()
				text += string(more)
			}
		}
		c.handleStderrLine(name, text)
	}
}

func (c *Client) handleStderrLine(name, text string) {
	c.crashMu.Lock()
	if strings.HasPrefix(text, "panic: ") || strings.HasPrefix(text, "fatal error: ") {
		c.inPanic = true
	}
	if c.inPanic && len(c.crash) < 100 {
		c.crash = append(c.crash, text)
	}
	inPanic := c.inPanic
	c.crashMu.Unlock()

	e, perr := ParseHCLogLine(text)
	if perr != nil {
		if Strict() {
			Violate("%s wrote a stderr line that is not a valid hclog JSON line (%s): %q", c.Name, perr, truncate(text, 200))
		}
		level := LevelDebug
		if inPanic {
			level = LevelError
		} else {
			for p, l := range map[string]int{"[TRACE]": LevelTrace, "[DEBUG]": LevelDebug, "[INFO]": LevelInfo, "[WARN]": LevelWarn, "[ERROR]": LevelError} {
				if strings.HasPrefix(text, p) {
					level = l
				}
			}
		}
		Log.Provider(name, level, text, nil)
		return
	}
	Log.Provider(name, e.Level, e.Message, e.KV)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// CrashOutput returns the lines logged from "panic: " / "fatal error: " on (Terraform prints them
// as "Stack trace from the ... plugin").
func (c *Client) CrashOutput() []string {
	c.crashMu.Lock()
	defer c.crashMu.Unlock()
	return append([]string(nil), c.crash...)
}

// Exited is closed when the process has exited.
func (c *Client) Exited() <-chan struct{} { return c.exited }

// Killed reports whether Close had to SIGKILL the process.
func (c *Client) Killed() bool { return c.killed }

func (c *Client) kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Kill()
		<-c.exited
	}
}

// Close ends the plugin like GP Client.Kill: GRPCController.Shutdown (error ignored), close the
// connection, wait up to 2 s for the process to exit, then SIGKILL with "plugin failed to exit
// gracefully" (a strict-mode failure).
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		if c.reattached {
			if c.cancel != nil {
				c.cancel()
			}
			if c.Conn != nil {
				c.closeErr = c.Conn.Close()
			}
			return
		}
		graceful := false
		if c.Conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			goplugin.NewGRPCControllerClient(c.Conn).Shutdown(ctx, &goplugin.Empty{})
			cancel()
			if c.cancel != nil {
				c.cancel()
			}
			graceful = c.Conn.Close() == nil
		}
		if graceful {
			select {
			case <-c.exited:
				Log.Core(LevelDebug, "plugin exited")
				c.drain()
				return
			case <-time.After(2 * time.Second):
			}
		}
		Log.Core(LevelWarn, "plugin failed to exit gracefully")
		if Strict() {
			Violate("%s (pid %d): plugin failed to exit gracefully (still running 2 s after GRPCController.Shutdown; SIGKILLed)", c.Name, c.Pid)
		}
		c.killed = true
		c.kill()
		c.drain()
	})
	return c.closeErr
}

func (c *Client) drain() {
	<-c.stdoutDone
	if c.cmd.ProcessState == nil {
		return
	}
	if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() && !c.killed && Strict() {
			Violate("%s (pid %d) died from signal %s", c.Name, c.Pid, ws.Signal())
		}
	}
}

func reattach(cfg Config) (*Client, error) {
	ra := cfg.Reattach
	if ra.Protocol != "" && ra.Protocol != "grpc" {
		return nil, fmt.Errorf("Unsupported plugin protocol %q. Supported: [grpc]", ra.Protocol)
	}
	// GP cmd_reattach.go: test-connect first.
	nc, err := net.Dial(ra.Addr.Network, ra.Addr.String)
	if err != nil {
		return nil, err
	}
	nc.Close()
	if !ra.Test || ra.ProtocolVersion == 0 {
		// With Test=false go-plugin leaves the negotiated version 0 and Terraform treats the plugin
		// as protocol 5 (notes 2.7).
		return nil, fmt.Errorf("reattach config for %s has Test=%v ProtocolVersion=%d: Terraform would use protocol 5; the debug server must print \"Test\": true", ra.Addr.String, ra.Test, ra.ProtocolVersion)
	}
	if ra.ProtocolVersion != 6 {
		return nil, fmt.Errorf("reattach config has ProtocolVersion %d; tfconform drives protocol 6 only", ra.ProtocolVersion)
	}
	conn, err := dial(ra.Addr.Network, ra.Addr.String, nil)
	if err != nil {
		return nil, err
	}
	c := &Client{Name: "reattached", Conn: conn, Pid: ra.Pid, reattached: true, exited: make(chan struct{})}
	c.startSideServices()
	return c, nil
}
