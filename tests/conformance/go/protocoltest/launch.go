// Package protocoltest is the provider protocol conformance suite ("tfconform protocol-test"): it
// launches the built provider the way Terraform does — environment, its own P-521 client
// certificate, the handshake line, the unix socket with mTLS — and checks the go-plugin and
// tfplugin6 contract (notes/tfplugin6.md sections 1-2, checklist section 7). It shares no code with
// the provider (C); it is written against the protocol only.
package protocoltest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"tfconform/plugin"
	goplugin "tfconformgen/goplugin"
)

// proc is one launched provider process.
type proc struct {
	t         *T
	cmd       *exec.Cmd
	line      string
	hs        *plugin.Handshake
	certPEM   []byte
	clientTLS *tls.Config
	conn      *grpc.ClientConn

	mu     sync.Mutex
	stderr []string
	stdout []string
	exited chan struct{}
	status *os.ProcessState
}

type launchOpts struct {
	noCookie bool
	versions string
	args     []string
	noTLS    bool
	env      []string
}

// launch starts the binary with Terraform's environment and reads the handshake line.
func (t *T) launch(o launchOpts) *proc {
	p := &proc{t: t, exited: make(chan struct{})}
	cmd := exec.Command(t.bin, o.args...)
	cmd.Env = append([]string{}, os.Environ()...)
	var filtered []string
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, plugin.MagicCookieKey+"=") || strings.HasPrefix(kv, "PLUGIN_") || strings.HasPrefix(kv, "TF_REATTACH") {
			continue
		}
		filtered = append(filtered, kv)
	}
	cmd.Env = filtered
	if !o.noCookie {
		cmd.Env = append(cmd.Env, plugin.MagicCookieKey+"="+plugin.MagicCookieValue)
	}
	versions := o.versions
	if versions == "" {
		versions = "5,6"
	}
	cmd.Env = append(cmd.Env, "PLUGIN_MIN_PORT=10000", "PLUGIN_MAX_PORT=25000", "PLUGIN_PROTOCOL_VERSIONS="+versions)
	if !o.noTLS && !o.noCookie {
		certPEM, keyPEM, err := plugin.GenerateCert()
		if err != nil {
			t.Fatalf("generating the client certificate: %s", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatalf("client key pair: %s", err)
		}
		p.certPEM = certPEM
		p.clientTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ServerName: "localhost"}
		cmd.Env = append(cmd.Env, "PLUGIN_CLIENT_CERT="+string(certPEM))
	}
	cmd.Env = append(cmd.Env, o.env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatalf("%s", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %s", t.bin, err)
	}
	p.cmd = cmd
	t.procs = append(t.procs, p)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr = append(p.stderr, sc.Text())
			p.mu.Unlock()
		}
	}()
	lines := make(chan string, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		first := !o.noCookie
		for sc.Scan() {
			if first {
				lines <- sc.Text()
				first = false
				continue
			}
			p.mu.Lock()
			p.stdout = append(p.stdout, sc.Text())
			p.mu.Unlock()
		}
		close(lines)
	}()
	go func() {
		wg.Wait()
		cmd.Wait()
		p.status = cmd.ProcessState
		close(p.exited)
	}()
	if o.noCookie {
		return p
	}
	select {
	case l, ok := <-lines:
		if !ok {
			<-p.exited
			t.Fatalf("the provider exited before printing the handshake line (exit %v); stderr:\n%s", p.status, p.stderrText())
		}
		p.line = l
	case <-time.After(60 * time.Second):
		t.Fatalf("no handshake line within 60 s")
	}
	return p
}

func (p *proc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stderr, "\n")
}

// handshake parses the line and checks every field (notes 2.2 / 2.3).
func (p *proc) handshake() *plugin.Handshake {
	t := p.t
	h, err := plugin.ParseHandshake(p.line, map[int]bool{5: true, 6: true})
	if err != nil {
		t.Fatalf("go-plugin's client rejects the handshake line %q: %s", p.line, err)
	}
	p.hs = h
	return h
}

// dial connects over the handshake's socket with the given TLS config (nil: plaintext).
func (p *proc) dial(tlsCfg *tls.Config) (*grpc.ClientConn, error) {
	h := p.hs
	if tlsCfg != nil && h.Cert != nil {
		pool := x509.NewCertPool()
		pool.AddCert(h.Cert)
		c := tlsCfg.Clone()
		c.RootCAs = pool
		tlsCfg = c
	}
	return plugin.Dial(h.Network, h.Addr, tlsCfg)
}

// connect dials with the client certificate Terraform would use.
func (p *proc) connect() *grpc.ClientConn {
	if p.hs == nil {
		p.handshake()
	}
	conn, err := p.dial(p.clientTLS)
	if err != nil {
		p.t.Fatalf("dialing %s %s: %s", p.hs.Network, p.hs.Addr, err)
	}
	p.conn = conn
	return conn
}

func rpcCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}

// shutdown calls GRPCController.Shutdown and waits up to 2 s for the exit (GP Kill, notes 2.5).
func (p *proc) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	goplugin.NewGRPCControllerClient(p.conn).Shutdown(ctx, &goplugin.Empty{})
	cancel()
	p.conn.Close()
	select {
	case <-p.exited:
		return nil
	case <-time.After(2 * time.Second):
		return fmt.Errorf("plugin failed to exit gracefully: still running 2 s after GRPCController.Shutdown")
	}
}

func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// checkOutput applies the strict rules to everything the process wrote: stderr lines must be
// hclog JSON, stdout must have nothing after the handshake line.
func (p *proc) checkOutput() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var problems []string
	for _, l := range p.stderr {
		if _, err := plugin.ParseHCLogLine(l); err != nil {
			problems = append(problems, fmt.Sprintf("stderr line is not a valid hclog JSON line (%s): %q", err, trunc(l)))
		}
	}
	for _, l := range p.stdout {
		problems = append(problems, fmt.Sprintf("wrote to stdout after the handshake: %q", trunc(l)))
	}
	return problems
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

var _ io.Reader
