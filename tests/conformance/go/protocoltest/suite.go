package protocoltest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tfconform/plugin"
	"tfconform/provider"
	"tfconform/schema"
	goplugin "tfconformgen/goplugin"
	tfplugin6 "tfconformgen/tfplugin6"
)

// T is one test's context.
type T struct {
	name   string
	bin    string
	procs  []*proc
	failed bool
	msgs   []string
}

type fatal struct{}

func (t *T) Errorf(format string, args ...interface{}) {
	t.failed = true
	t.msgs = append(t.msgs, fmt.Sprintf(format, args...))
}

func (t *T) Fatalf(format string, args ...interface{}) {
	t.Errorf(format, args...)
	panic(fatal{})
}

type testCase struct {
	name string
	fn   func(t *T)
}

var tests = []testCase{
	{"handshake/terraform-launch-and-rpcs", testTerraformLaunch},
	{"handshake/missing-cookie", testMissingCookie},
	{"handshake/protocol-versions-6,5", func(t *T) { testVersions(t, "6,5") }},
	{"handshake/protocol-versions-5,6", func(t *T) { testVersions(t, "5,6") }},
	{"handshake/line-format", testLineFormat},
	{"tls/socket-not-world-accessible", testSocketPerms},
	{"tls/client-without-certificate-refused", testNoClientCert},
	{"tls/client-with-other-certificate-refused", testOtherClientCert},
	{"tls/plaintext-client-refused", testPlaintext},
	{"tls/alpn-h2-and-server-certificate", testALPN},
	{"schema/valid-for-terraform", testSchema},
	{"schema/resource-identity-schemas", testIdentitySchemas},
	{"rpc/concurrent-10", testConcurrent},
	{"rpc/stop-provider-then-rpc", testStopProvider},
	{"lifecycle/sigint-ignored", testSigint},
	{"lifecycle/shutdown-exits-within-2s", testShutdown},
	{"debug/reattach", testDebugReattach},
	{"goplugin/real-client-1.0.1", testGoPluginClient},
	{"values/refined-unknowns-validate-and-plan", testRefinedUnknowns},
}

// testGoPluginClient runs tfconform-goplugin-probe (built next to tfconform): the provider
// launched through the real go-plugin client library configured as Terraform configures it.
func testGoPluginClient(t *T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("%s", err)
	}
	probe := filepath.Join(filepath.Dir(self), "tfconform-goplugin-probe")
	if _, err := os.Stat(probe); err != nil {
		t.Fatalf("%s not found next to tfconform (cmake --build ... --target tfconform builds it)", probe)
	}
	cmd := exec.Command(probe, t.bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("%s", strings.TrimSpace(string(out)))
	}
}

// Run executes the suite against one binary and prints go-test-like lines; 0 when all pass.
func Run(bin string, out io.Writer) int {
	abs, err := filepath.Abs(bin)
	if err != nil {
		fmt.Fprintf(out, "FAIL: %s\n", err)
		return 1
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		fmt.Fprintf(out, "FAIL: provider binary %s not found (build it first)\n", abs)
		return 1
	}
	failed := 0
	for _, tc := range tests {
		t := &T{name: tc.name, bin: abs}
		fmt.Fprintf(out, "=== RUN   %s\n", tc.name)
		start := time.Now()
		func() {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(fatal); !ok {
						t.Errorf("panic: %v", r)
					}
				}
			}()
			tc.fn(t)
		}()
		for _, p := range t.procs {
			p.kill()
			for _, prob := range p.checkOutput() {
				t.Errorf("%s", prob)
			}
		}
		d := time.Since(start).Seconds()
		if t.failed {
			failed++
			fmt.Fprintf(out, "--- FAIL: %s (%.2fs)\n", tc.name, d)
			for _, m := range t.msgs {
				fmt.Fprintf(out, "    %s\n", strings.ReplaceAll(m, "\n", "\n    "))
			}
		} else {
			fmt.Fprintf(out, "--- PASS: %s (%.2fs)\n", tc.name, d)
		}
	}
	if failed > 0 {
		fmt.Fprintf(out, "FAIL (%d of %d protocol tests failed against %s)\n", failed, len(tests), abs)
		return 1
	}
	fmt.Fprintf(out, "PASS (%d protocol tests against %s)\n", len(tests), abs)
	return 0
}

// ---------------------------------------------------------------- helpers

func (t *T) provider(p *proc) tfplugin6.ProviderClient {
	return tfplugin6.NewProviderClient(p.connect())
}

func (t *T) schema(c tfplugin6.ProviderClient) *tfplugin6.GetProviderSchema_Response {
	ctx, cancel := rpcCtx()
	defer cancel()
	resp, err := c.GetProviderSchema(ctx, &tfplugin6.GetProviderSchema_Request{})
	if err != nil {
		t.Fatalf("GetProviderSchema: %s", err)
	}
	for _, d := range resp.Diagnostics {
		if d.Severity != tfplugin6.Diagnostic_WARNING {
			t.Errorf("GetProviderSchema returned diagnostic %v %q: %s", d.Severity, d.Summary, d.Detail)
		}
	}
	return resp
}

func emptyConfig(t *T, ps *tfplugin6.Schema) *tfplugin6.DynamicValue {
	s, err := schema.FromProto(ps)
	if err != nil {
		t.Fatalf("provider schema: %s", err)
	}
	dv, err := provider.Encode(s.Block.EmptyValue(), s.Block.ImpliedType())
	if err != nil {
		t.Fatalf("encoding an empty config: %s", err)
	}
	return dv
}

func checkDiags(t *T, rpc string, ds []*tfplugin6.Diagnostic) {
	for _, d := range ds {
		if d.Severity == tfplugin6.Diagnostic_INVALID {
			t.Errorf("%s returned a diagnostic with severity INVALID (Terraform shows it as neither error nor warning): %q", rpc, d.Summary)
		}
		if d.Summary == "" {
			t.Errorf("%s returned a diagnostic without a summary", rpc)
		}
	}
}

// ---------------------------------------------------------------- tests

// The end-to-end test: launch as Terraform does and call GetProviderSchema,
// ValidateProviderConfig, ConfigureProvider, GetResourceIdentitySchemas and Shutdown.
func testTerraformLaunch(t *T) {
	p := t.launch(launchOpts{})
	h := p.handshake()
	if h.App != 6 {
		t.Fatalf("negotiated protocol %d, want 6", h.App)
	}
	if h.Network != "unix" {
		t.Errorf("network %q: go-plugin servers on Linux listen on a unix socket", h.Network)
	}
	c := t.provider(p)
	resp := t.schema(c)
	if resp.Provider == nil {
		t.Fatalf("GetProviderSchema: provider schema missing (Terraform: \"missing provider schema\")")
	}
	cfg := emptyConfig(t, resp.Provider)
	ctx, cancel := rpcCtx()
	defer cancel()
	vr, err := c.ValidateProviderConfig(ctx, &tfplugin6.ValidateProviderConfig_Request{Config: cfg})
	if err != nil {
		t.Errorf("ValidateProviderConfig: gRPC error %s (business errors must be diagnostics)", err)
	} else {
		checkDiags(t, "ValidateProviderConfig", vr.Diagnostics)
	}
	cr, err := c.ConfigureProvider(ctx, &tfplugin6.ConfigureProvider_Request{TerraformVersion: "1.15.9", Config: cfg,
		ClientCapabilities: provider.ClientCapabilities})
	if err != nil {
		t.Errorf("ConfigureProvider: gRPC error %s (business errors must be diagnostics)", err)
	} else {
		checkDiags(t, "ConfigureProvider", cr.Diagnostics)
	}
	if _, err := c.GetResourceIdentitySchemas(ctx, &tfplugin6.GetResourceIdentitySchemas_Request{}); err != nil {
		if st, _ := status.FromError(err); st.Code() != codes.Unimplemented {
			t.Errorf("GetResourceIdentitySchemas: %s (Terraform fails the schema load on any error but UNIMPLEMENTED)", err)
		}
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testMissingCookie(t *T) {
	p := t.launch(launchOpts{noCookie: true})
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("without %s the binary must exit; it is still running after 30 s", plugin.MagicCookieKey)
	}
	if code := p.status.ExitCode(); code != 1 {
		t.Errorf("exit code %d without the magic cookie, want 1", code)
	}
	want := "This binary is a plugin. These are not meant to be executed directly.\nPlease execute the program that consumes these plugins, which will\nload any plugins automatically"
	if got := p.stderrText(); !strings.Contains(got, want) {
		t.Errorf("stderr does not contain go-plugin's message %q; got %q", want, got)
	}
	// The message is deliberately plain text (go-plugin prints it with fmt); do not hold it to the
	// hclog rule.
	p.mu.Lock()
	p.stderr = nil
	p.mu.Unlock()
}

func testVersions(t *T, versions string) {
	p := t.launch(launchOpts{versions: versions})
	h := p.handshake()
	if h.App != 6 {
		t.Errorf("PLUGIN_PROTOCOL_VERSIONS=%s: handshake says protocol %d, want 6", versions, h.App)
	}
	t.schema(t.provider(p))
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testLineFormat(t *T) {
	p := t.launch(launchOpts{})
	h := p.handshake()
	if len(h.Fields) != 6 {
		t.Errorf("handshake line has %d fields, want 6 (CORE|APP|NETWORK|ADDR|PROTOCOL|CERT): %q", len(h.Fields), p.line)
	}
	if h.Core != 1 || h.Protocol != "grpc" {
		t.Errorf("core %d protocol %q, want 1 and grpc", h.Core, h.Protocol)
	}
	if !strings.HasPrefix(h.Addr, "/") {
		t.Errorf("socket address %q is not an absolute path (no \"unix:\" prefix allowed)", h.Addr)
	}
	if len(h.Fields) < 6 || len(h.Fields[5]) <= 50 {
		t.Fatalf("certificate field missing or not longer than 50 characters (go-plugin ignores it then): %q", p.line)
	}
	if strings.Contains(h.Fields[5], "=") {
		t.Errorf("certificate is padded base64; go-plugin decodes with RawStdEncoding")
	}
	c := h.Cert
	if c == nil {
		t.Fatalf("certificate did not decode")
	}
	if c.SerialNumber.Sign() <= 0 {
		t.Errorf("certificate serial %s is not positive (Go >= 1.23 rejects negative serials)", c.SerialNumber)
	}
	now := time.Now()
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		t.Errorf("certificate is not currently valid (%s .. %s)", c.NotBefore, c.NotAfter)
	}
	if err := c.VerifyHostname("localhost"); err != nil {
		t.Errorf("certificate has no SAN DNS localhost (Go ignores CN): %s", err)
	}
	server := false
	for _, u := range c.ExtKeyUsage {
		if u == 1 { // x509.ExtKeyUsageServerAuth
			server = true
		}
	}
	if !server {
		t.Errorf("certificate lacks the serverAuth extended key usage")
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("certificate is not self-signed (the client trusts exactly this certificate): %s", err)
	}
	t.schema(t.provider(p))
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testSocketPerms(t *T) {
	p := t.launch(launchOpts{})
	h := p.handshake()
	if h.Network != "unix" {
		t.Fatalf("not a unix socket (%s)", h.Network)
	}
	st, err := os.Stat(h.Addr)
	if err != nil {
		t.Fatalf("stat %s: %s", h.Addr, err)
	}
	dst, err := os.Stat(filepath.Dir(h.Addr))
	if err != nil {
		t.Fatalf("stat %s: %s", filepath.Dir(h.Addr), err)
	}
	// Connecting needs write permission on the socket and search permission on its directory.
	if st.Mode().Perm()&0o002 != 0 && dst.Mode().Perm()&0o001 != 0 {
		t.Errorf("socket %s (mode %v, directory mode %v) can be connected to by any local user", h.Addr, st.Mode().Perm(), dst.Mode().Perm())
	}
	t.schema(t.provider(p))
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func expectRefused(t *T, p *proc, tlsCfg *tls.Config, what string) {
	conn, err := p.dial(tlsCfg)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err = tfplugin6.NewProviderClient(conn).GetProviderSchema(ctx, &tfplugin6.GetProviderSchema_Request{})
		conn.Close()
	}
	if err == nil {
		t.Errorf("a client %s was served; the provider must require and verify Terraform's client certificate", what)
	}
	// The legitimate client still works afterwards.
	t.schema(t.provider(p))
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testNoClientCert(t *T) {
	p := t.launch(launchOpts{})
	p.handshake()
	expectRefused(t, p, &tls.Config{MinVersion: tls.VersionTLS12, ServerName: "localhost"}, "without a certificate")
}

func testOtherClientCert(t *T) {
	p := t.launch(launchOpts{})
	p.handshake()
	certPEM, keyPEM, err := plugin.GenerateCert()
	if err != nil {
		t.Fatalf("%s", err)
	}
	cert, _ := tls.X509KeyPair(certPEM, keyPEM)
	expectRefused(t, p, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ServerName: "localhost"},
		"with a different P-521 certificate")
}

func testPlaintext(t *T) {
	p := t.launch(launchOpts{})
	p.handshake()
	expectRefused(t, p, nil, "speaking plaintext gRPC")
}

// testALPN dials the socket with crypto/tls directly, as grpc-go >= 1.67 (Terraform's) does, and
// asserts that the server selects ALPN "h2" — grpc-go refuses a TLS server without it ("credentials:
// cannot check peer: missing selected ALPN property", notes 2.3) — and that the certificate it
// presents is the one from the handshake line: SAN localhost, serverAuth, self-signed, valid now.
func testALPN(t *T) {
	p := t.launch(launchOpts{})
	h := p.handshake()
	if h.Cert == nil {
		t.Fatalf("no server certificate in the handshake line")
	}
	pool := x509.NewCertPool()
	pool.AddCert(h.Cert)
	cfg := p.clientTLS.Clone()
	cfg.RootCAs = pool
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 20 * time.Second}, h.Network, h.Addr, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with Terraform's client certificate and ALPN h2 failed: %s", err)
	}
	cs := conn.ConnectionState()
	conn.Close()
	if cs.NegotiatedProtocol != "h2" {
		t.Errorf("the server negotiated ALPN %q, want \"h2\" (grpc-go >= 1.67: \"credentials: cannot check peer: missing selected ALPN property\")", cs.NegotiatedProtocol)
	}
	if len(cs.PeerCertificates) == 0 {
		t.Fatalf("the server presented no certificate")
	}
	c := cs.PeerCertificates[0]
	if !c.Equal(h.Cert) {
		t.Errorf("the certificate presented over TLS is not the one in the handshake line (the client trusts only that one)")
	}
	if err := c.VerifyHostname("localhost"); err != nil {
		t.Errorf("server certificate has no SAN DNS localhost (Go ignores CN): %s", err)
	}
	server := false
	for _, u := range c.ExtKeyUsage {
		server = server || u == x509.ExtKeyUsageServerAuth
	}
	if !server {
		t.Errorf("server certificate lacks the serverAuth extended key usage")
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("server certificate is not self-signed: %s", err)
	}
	if now := time.Now(); now.Before(c.NotBefore) || now.After(c.NotAfter) {
		t.Errorf("server certificate is not currently valid (%s .. %s)", c.NotBefore, c.NotAfter)
	}
	// The chain check Go's client makes: the handshake certificate as the only root, ServerAuth.
	if _, err := c.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("server certificate does not verify against itself for localhost/serverAuth: %s", err)
	}
	t.schema(t.provider(p))
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testSchema(t *T) {
	p := t.launch(launchOpts{})
	c := t.provider(p)
	resp := t.schema(c)
	check := func(kind, name string, ps *tfplugin6.Schema, needVersion bool) {
		s, err := schema.FromProto(ps)
		if err != nil {
			t.Errorf("%s %q: %s", kind, name, err)
			return
		}
		for _, e := range s.Block.InternalValidate() {
			t.Errorf("provider has invalid schema for %s %q, which is a bug in the provider: %q", kind, name, e.Error())
		}
		if needVersion && s.Version < 0 {
			t.Errorf("%s %q: negative schema version", kind, name)
		}
	}
	if resp.Provider == nil {
		t.Errorf("no provider schema")
	} else {
		check("provider configuration", "provider", resp.Provider, false)
	}
	if resp.ProviderMeta != nil {
		check("provider_meta", "provider_meta", resp.ProviderMeta, false)
	}
	for n, s := range resp.ResourceSchemas {
		check("managed resource type", n, s, true)
	}
	for n, s := range resp.DataSourceSchemas {
		check("data resource type", n, s, false)
	}
	for n, s := range resp.EphemeralResourceSchemas {
		check("ephemeral resource type", n, s, false)
	}
	for n, f := range resp.Functions {
		if f.Return == nil {
			t.Errorf("function %q has no return type (Terraform dereferences it)", n)
		}
	}
	if len(resp.ResourceSchemas) == 0 {
		t.Errorf("the provider declares no resource types")
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testIdentitySchemas(t *T) {
	p := t.launch(launchOpts{})
	c := t.provider(p)
	ctx, cancel := rpcCtx()
	defer cancel()
	resp, err := c.GetResourceIdentitySchemas(ctx, &tfplugin6.GetResourceIdentitySchemas_Request{})
	if err != nil {
		if st, _ := status.FromError(err); st.Code() != codes.Unimplemented {
			t.Errorf("GetResourceIdentitySchemas: %s (Terraform fails the schema load on any error but UNIMPLEMENTED)", err)
		}
	} else {
		checkDiags(t, "GetResourceIdentitySchemas", resp.Diagnostics)
		for _, d := range resp.Diagnostics {
			if d.Severity == tfplugin6.Diagnostic_ERROR {
				t.Errorf("GetResourceIdentitySchemas returned error %q", d.Summary)
			}
		}
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testConcurrent(t *T) {
	p := t.launch(launchOpts{})
	c := t.provider(p)
	resp := t.schema(c)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	var types []string
	for n := range resp.ResourceSchemas {
		types = append(types, n)
	}
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, cancel := rpcCtx()
			defer cancel()
			if i%2 == 0 || len(types) == 0 {
				_, err := c.GetProviderSchema(ctx, &tfplugin6.GetProviderSchema_Request{})
				errs <- err
				return
			}
			typ := types[i%len(types)]
			_, err := c.ValidateResourceConfig(ctx, &tfplugin6.ValidateResourceConfig_Request{TypeName: typ,
				Config: emptyConfig(t, resp.ResourceSchemas[typ]), ClientCapabilities: provider.ClientCapabilities})
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("one of 10 concurrent RPCs failed: %s", err)
		}
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testStopProvider(t *T) {
	p := t.launch(launchOpts{})
	c := t.provider(p)
	t.schema(c)
	ctx, cancel := rpcCtx()
	defer cancel()
	sr, err := c.StopProvider(ctx, &tfplugin6.StopProvider_Request{})
	if err != nil {
		t.Fatalf("StopProvider: %s", err)
	}
	if sr.Error != "" {
		t.Errorf("StopProvider returned error %q", sr.Error)
	}
	// StopProvider cancels work but the process keeps serving (notes 2.5).
	t.schema(c)
	select {
	case <-p.exited:
		t.Fatalf("the provider exited after StopProvider; it must keep serving until Shutdown")
	default:
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

// sigMask reads a signal mask line ("SigIgn:", "SigCgt:") of /proc/PID/status.
func sigMask(pid int, key string) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), key) {
			return strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(sc.Text(), key)), 16, 64)
		}
	}
	return 0, fmt.Errorf("%s not found", key)
}

func testSigint(t *T) {
	p := t.launch(launchOpts{})
	c := t.provider(p)
	t.schema(c)
	pid := p.cmd.Process.Pid
	ign, err1 := sigMask(pid, "SigIgn:")
	cgt, err2 := sigMask(pid, "SigCgt:")
	const bit = uint64(1) << (uint(syscall.SIGINT) - 1)
	if err1 == nil && err2 == nil && ign&bit == 0 && cgt&bit == 0 {
		t.Errorf("SIGINT is neither ignored nor caught: Ctrl-C in the terminal reaches the provider too and would kill it mid-apply (notes 2.5)")
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	// An RPC round trip after the signal: the process must still serve.
	t.schema(c)
	select {
	case <-p.exited:
		t.Fatalf("the provider exited on SIGINT")
	default:
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func testShutdown(t *T) {
	p := t.launch(launchOpts{})
	t.schema(t.provider(p))
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
	if p.status != nil && !p.status.Success() {
		t.Errorf("after Shutdown the provider exited with %v, want status 0", p.status)
	}
}

// testDebugReattach: `-debug` prints TF_REATTACH_PROVIDERS with Test:true; a plaintext client
// attaches and uses it, as Terraform does (notes 2.7).
func testDebugReattach(t *T) {
	p := t.launch(launchOpts{noCookie: true, args: []string{"-debug"}})
	deadline := time.After(60 * time.Second)
	var blob string
	for blob == "" {
		select {
		case <-p.exited:
			t.Fatalf("-debug: the provider exited (status %v) without printing TF_REATTACH_PROVIDERS; stdout %q", p.status, strings.Join(p.stdoutLines(), "\n"))
		case <-deadline:
			t.Fatalf("-debug: no TF_REATTACH_PROVIDERS within 60 s; stdout %q", strings.Join(p.stdoutLines(), "\n"))
		case <-time.After(50 * time.Millisecond):
		}
		blob = findReattach(append([]string{p.line}, p.stdoutLines()...))
	}
	var m map[string]*plugin.ReattachConfig
	if err := json.Unmarshal([]byte(blob), &m); err != nil {
		t.Fatalf("TF_REATTACH_PROVIDERS is not valid JSON: %s: %q", err, blob)
	}
	if len(m) != 1 {
		t.Errorf("TF_REATTACH_PROVIDERS should name one provider, has %d", len(m))
	}
	for key, rc := range m {
		if _, err := provider.ParseAddr(key); err != nil {
			t.Errorf("key %q is not a provider source address: %s", key, err)
		}
		if !rc.Test {
			t.Errorf("\"Test\" is not true: Terraform would treat the provider as protocol 5 (notes 2.7)")
		}
		if rc.ProtocolVersion != 6 || rc.Protocol != "grpc" {
			t.Errorf("Protocol %q ProtocolVersion %d, want grpc and 6", rc.Protocol, rc.ProtocolVersion)
		}
		if rc.Pid != p.cmd.Process.Pid {
			t.Errorf("Pid %d, the process is %d", rc.Pid, p.cmd.Process.Pid)
		}
		// Attach with tfconform's own reattach path (plaintext, unmanaged).
		cl, err := plugin.Start(plugin.Config{Reattach: rc})
		if err != nil {
			t.Fatalf("attaching to %s %s: %s", rc.Addr.Network, rc.Addr.String, err)
		}
		addr, _ := provider.ParseAddr(key)
		gp := provider.NewGRPC(addr, cl)
		s := gp.GetProviderSchema()
		if s.Diagnostics.HasErrors() {
			t.Errorf("GetProviderSchema over the reattached connection: %s", s.Diagnostics.Errs())
		} else if s.Provider != nil {
			cfg := s.Provider.Block.EmptyValue()
			for _, d := range gp.ValidateProviderConfig(cfg) {
				_ = d // business diagnostics are fine; the RPC must work
			}
		}
		// Stop the debug server: GRPCController.Shutdown, as for a managed plugin.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		goplugin.NewGRPCControllerClient(cl.Conn).Shutdown(ctx, &goplugin.Empty{})
		cancel()
		cl.Close()
	}
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		// not an error: a debug server may wait for a signal instead
	}
	// A debug-mode provider prints human instructions on stdout by design.
	p.mu.Lock()
	p.stdout = nil
	p.mu.Unlock()
	_ = cty.NilVal
}

func (p *proc) stdoutLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stdout...)
}

// findReattach extracts the JSON object after TF_REATTACH_PROVIDERS= (quoted or not).
func findReattach(lines []string) string {
	text := strings.Join(lines, "\n")
	i := strings.Index(text, "TF_REATTACH_PROVIDERS=")
	if i < 0 {
		return ""
	}
	rest := text[i+len("TF_REATTACH_PROVIDERS="):]
	start := strings.Index(rest, "{")
	if start < 0 {
		return ""
	}
	depth, inStr := 0, false
	for j := start; j < len(rest); j++ {
		c := rest[j]
		switch {
		case inStr:
			if c == '\\' {
				j++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return rest[start : j+1]
			}
		}
	}
	return ""
}
