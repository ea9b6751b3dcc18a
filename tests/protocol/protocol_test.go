// Package protocol holds the checks that no Terraform or OpenTofu run can make: the go-plugin handshake's
// refusals, AutoMTLS against clients without Terraform's certificate, malformed, oversized and unknown-type
// requests, many concurrent calls, StopProvider in the middle of an apply, SIGINT, Shutdown timing and -debug
// reattach. The provider is launched by the real go-plugin client library (the one Terraform and OpenTofu link);
// everything users do with it is tested by the real CLIs in tests/e2e. Reasons: docs/internals/protocol.md.
package protocol

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"foundry.test/protocol/tfplugin6"
)

func commandFor(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	// Only what Terraform passes: the test's own ARM_* or TF_* variables must not steer the provider.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ARM_") && !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "PLUGIN_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// Launch as Terraform does, speak tfplugin6 6 over AutoMTLS, and stop within Terraform's 2 s.
func TestHandshakeAndShutdown(t *testing.T) {
	l := mustStart(t)
	if v := l.client.NegotiatedVersion(); v != 6 {
		t.Errorf("negotiated protocol %d, want 6", v)
	}
	s := l.schema(t)
	if s.ResourceSchemas["foundry_gateway_connection"] == nil || s.DataSourceSchemas["foundry_gateway_connection"] == nil {
		t.Errorf("schema lacks foundry_gateway_connection: resources %d, data sources %d", len(s.ResourceSchemas), len(s.DataSourceSchemas))
	}
	pt := blockType(t, s.Provider.Block)
	vr, err := l.p.ValidateProviderConfig(ctx(t), &tfplugin6.ValidateProviderConfig_Request{Config: dv(t, pt, nil)})
	if err != nil || hasError(vr.Diagnostics) {
		t.Errorf("ValidateProviderConfig of an empty config: %v %v", err, vr.GetDiagnostics())
	}
	is, err := l.p.GetResourceIdentitySchemas(ctx(t), &tfplugin6.GetResourceIdentitySchemas_Request{})
	if err != nil && status.Code(err) != codes.Unimplemented {
		t.Errorf("GetResourceIdentitySchemas: %s (Terraform fails the schema load on any error but UNIMPLEMENTED)", err)
	} else if err == nil && hasError(is.Diagnostics) {
		t.Errorf("GetResourceIdentitySchemas diagnostics: %v", is.Diagnostics)
	}
	if d := l.kill(t); d > 2*time.Second {
		t.Errorf("Shutdown to exit took %s; Terraform kills a provider after 2 s", d)
	}
}

// A client that offers 6 first, or only 6, gets 6; one that offers only 5 is refused at the handshake.
func TestProtocolVersions(t *testing.T) {
	mustStart(t, withVersions(6)).kill(t)
	l, err := start(t, withVersions(5))
	if err == nil {
		t.Errorf("a client offering only protocol 5 was served protocol %d", l.client.NegotiatedVersion())
	}
}

// Run directly, without the magic cookie: go-plugin's message and exit 1, never a server.
func TestMissingCookie(t *testing.T) {
	cmd := commandFor(binary(t))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit %v without the magic cookie, want status 1", err)
	}
	if !strings.Contains(string(out), "This binary is a plugin. These are not meant to be executed directly.") {
		t.Errorf("output lacks go-plugin's message: %q", out)
	}
}

// The socket is private, and only a client holding the certificate Terraform sent may talk to it.
func TestAutoMTLSRefusals(t *testing.T) {
	l := mustStart(t)
	rc := l.client.ReattachConfig()
	if rc.Addr.Network() != "unix" {
		t.Fatalf("listener %s %s, want a unix socket", rc.Addr.Network(), rc.Addr.String())
	}
	if st, err := os.Stat(rc.Addr.String()); err != nil {
		t.Errorf("socket: %s", err)
	} else if st.Mode().Perm()&0o007 != 0 {
		t.Errorf("socket mode %v is accessible to other users", st.Mode().Perm())
	}
	good := l.cfg.TLSConfig.Clone()
	good.NextProtos = []string{"h2"}
	conn, err := tls.Dial("unix", rc.Addr.String(), good)
	if err != nil {
		t.Fatalf("TLS with Terraform's certificate: %s", err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("ALPN %q, want h2 (grpc-go 1.67 and later refuse a server without it)", p)
	}
	conn.Close()

	noCert := good.Clone()
	noCert.Certificates = nil
	other := good.Clone()
	other.Certificates = []tls.Certificate{otherCert(t)}
	cases := map[string]credentials.TransportCredentials{
		"no client certificate": credentials.NewTLS(noCert),
		"another certificate":   credentials.NewTLS(other),
		"plaintext":             insecure.NewCredentials(),
	}
	for name, creds := range cases {
		cc, err := grpc.NewClient("unix://"+rc.Addr.String(), grpc.WithTransportCredentials(creds))
		if err != nil {
			t.Fatalf("%s: %s", name, err)
		}
		_, err = tfplugin6.NewProviderClient(cc).GetProviderSchema(ctx(t), &tfplugin6.GetProviderSchema_Request{})
		if err == nil {
			t.Errorf("%s: GetProviderSchema was served", name)
		}
		cc.Close()
	}
	l.schema(t) // the rightful client is still served
	l.kill(t)
}

// Requests no CLI sends: garbage msgpack, JSON of the wrong type, an unknown resource type, a 10 MB value.
// Each is a diagnostic (or a gRPC status for what exceeds the message limit), and the process goes on.
func TestMalformedRequests(t *testing.T) {
	l := mustStart(t)
	s := l.schema(t)
	rt := blockType(t, s.ResourceSchemas["foundry_gateway_connection"].Block)
	big := strings.Repeat("x", 10<<20)
	cases := map[string]*tfplugin6.ValidateResourceConfig_Request{
		"garbage msgpack":   {TypeName: "foundry_gateway_connection", Config: &tfplugin6.DynamicValue{Msgpack: []byte{0xc1, 0xff, 0x00}}},
		"JSON of a number":  {TypeName: "foundry_gateway_connection", Config: &tfplugin6.DynamicValue{Json: []byte(`42`)}},
		"unknown type name": {TypeName: "foundry_nothing", Config: dv(t, rt, nil)},
		"10 MB name":        {TypeName: "foundry_gateway_connection", Config: dv(t, rt, map[string]cty.Value{"name": cty.StringVal(big)})},
	}
	for name, req := range cases {
		resp, err := l.p.ValidateResourceConfig(ctx(t), req)
		if err != nil {
			if name != "10 MB name" || status.Code(err) != codes.ResourceExhausted {
				t.Errorf("%s: gRPC error %s, want diagnostics", name, err)
			}
			continue
		}
		if !hasError(resp.Diagnostics) {
			t.Errorf("%s: no error diagnostic", name)
		}
	}
	l.schema(t)
	l.kill(t)
}

// Terraform calls in parallel (10 by default); 200 at once must all be answered correctly.
func TestConcurrentCalls(t *testing.T) {
	l := mustStart(t)
	s := l.schema(t)
	rt := blockType(t, s.ResourceSchemas["foundry_gateway_connection"].Block)
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := "c" + strings.Repeat("o", i%20) + "nn"
			resp, err := l.p.ValidateResourceConfig(ctx(t), &tfplugin6.ValidateResourceConfig_Request{
				TypeName: "foundry_gateway_connection",
				Config:   dv(t, rt, map[string]cty.Value{"name": cty.StringVal(name), "category": cty.StringVal("Nope")}),
			})
			if err != nil {
				errs <- err.Error()
			} else if !hasError(resp.Diagnostics) {
				errs <- "category \"Nope\" was accepted"
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	l.kill(t)
}

// SIGINT reaches every process in the terminal's group; Terraform handles it, the provider must keep serving.
func TestSigintIgnored(t *testing.T) {
	l := mustStart(t)
	l.schema(t)
	if err := syscall.Kill(l.client.ReattachConfig().Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if l.client.Exited() {
		t.Fatal("the provider exited on SIGINT")
	}
	l.schema(t)
	l.kill(t)
}

// StopProvider in the middle of an apply whose ARM request hangs: the apply returns promptly with an error
// diagnostic, and the process keeps serving until Shutdown.
func TestStopProviderMidApply(t *testing.T) {
	arrived := make(chan struct{}, 16)
	arm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/oauth2/") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"t0k3n","expires_in":3600,"token_type":"Bearer"}`)
			return
		}
		arrived <- struct{}{}
		<-r.Context().Done() // ARM that never answers
	}))
	defer arm.Close()

	l := mustStart(t)
	s := l.schema(t)
	pt := blockType(t, s.Provider.Block)
	cfg := dv(t, pt, map[string]cty.Value{
		"resource_manager_endpoint": cty.StringVal(arm.URL), "active_directory_authority_host": cty.StringVal(arm.URL + "/"),
		"tenant_id": cty.StringVal("00000000-0000-0000-0000-0000000000aa"), "client_id": cty.StringVal("11111111-1111-1111-1111-111111111111"),
		"client_secret": cty.StringVal("protocol-test-secret"), "use_cli": cty.False,
	})
	cr, err := l.p.ConfigureProvider(ctx(t), &tfplugin6.ConfigureProvider_Request{TerraformVersion: "1.11.4", Config: cfg})
	if err != nil || hasError(cr.Diagnostics) {
		t.Fatalf("ConfigureProvider: %v %v", err, cr.GetDiagnostics())
	}
	rt := blockType(t, s.ResourceSchemas["foundry_gateway_connection"].Block)
	parent := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/proj"
	set := map[string]cty.Value{
		"parent_id": cty.StringVal(parent), "name": cty.StringVal("stopme"), "id": cty.StringVal(parent + "/connections/stopme"),
		"category": cty.StringVal("ApiManagement"), "target": cty.StringVal("https://x.azure-api.net/v1"),
		"auth_type": cty.StringVal("ApiKey"), "api_key": cty.StringVal("k3y"), "shared_to_all": cty.False,
		"deployment_in_path": cty.False, "metadata": cty.MapVal(map[string]cty.Value{"deploymentInPath": cty.StringVal("false")}),
	}
	done := make(chan *tfplugin6.ApplyResourceChange_Response, 1)
	go func() {
		resp, err := l.p.ApplyResourceChange(ctx(t), &tfplugin6.ApplyResourceChange_Request{
			TypeName: "foundry_gateway_connection", PriorState: &tfplugin6.DynamicValue{Msgpack: []byte{0xc0}},
			PlannedState: dv(t, rt, set), Config: dv(t, rt, set),
		})
		if err != nil {
			t.Errorf("ApplyResourceChange: %s", err)
		}
		done <- resp
	}()
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the apply never reached ARM")
	}
	sr, err := l.p.StopProvider(ctx(t), &tfplugin6.StopProvider_Request{})
	if err != nil || sr.Error != "" {
		t.Fatalf("StopProvider: %v %q", err, sr.GetError())
	}
	select {
	case resp := <-done:
		if resp != nil && !hasError(resp.Diagnostics) {
			t.Errorf("a cancelled apply returned no error diagnostic")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the apply did not return within 5 s of StopProvider")
	}
	l.schema(t)
	l.kill(t)
}

// -debug serves without Terraform and prints TF_REATTACH_PROVIDERS; go-plugin attaches with it.
func TestDebugReattach(t *testing.T) {
	cmd := commandFor(binary(t), "-debug")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if i := strings.Index(line, "TF_REATTACH_PROVIDERS='"); i >= 0 {
				found <- strings.TrimSuffix(line[i+len("TF_REATTACH_PROVIDERS='"):], "'")
				return
			}
		}
	}()
	var blob string
	select {
	case blob = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("-debug printed no TF_REATTACH_PROVIDERS within 30 s")
	}
	// Terraform's format (terraform internal/command/meta_providers.go reattachProviders).
	var m map[string]struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            struct{ Network, String string }
	}
	if err := json.Unmarshal([]byte(blob), &m); err != nil || len(m) != 1 {
		t.Fatalf("TF_REATTACH_PROVIDERS %q: %v (want one provider)", blob, err)
	}
	for addr, r := range m {
		if !strings.HasPrefix(addr, "registry.terraform.io/") || !r.Test || r.ProtocolVersion != 6 || r.Protocol != "grpc" || r.Pid != cmd.Process.Pid {
			t.Errorf("reattach entry %s %+v", addr, r)
		}
		na, err := net.ResolveUnixAddr(r.Addr.Network, r.Addr.String)
		if err != nil {
			t.Fatal(err)
		}
		c := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  handshake,
			Plugins:          plugin.PluginSet{"provider": providerPlugin{}},
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			Reattach:         &plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, ProtocolVersion: 6, Addr: na, Pid: r.Pid, Test: true},
		})
		rpc, err := c.Client()
		if err != nil {
			t.Fatalf("reattach: %s", err)
		}
		raw, err := rpc.Dispense("provider")
		if err != nil {
			t.Fatal(err)
		}
		l := &launched{client: c, p: raw.(tfplugin6.ProviderClient), log: &syncBuffer{}}
		l.schema(t)
		c.Kill()
	}
	// Terraform leaves a debug server running (it is not managed); a developer stops it with Ctrl-C or SIGTERM.
	cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Errorf("the -debug server did not exit within 5 s of SIGTERM")
	}
}

// procStat reads what /proc says of the provider: resident memory (KiB), threads, open file descriptors.
func procStat(t *testing.T, pid int) (rssKiB, threads, fds int) {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			rssKiB, _ = strconv.Atoi(f[1])
		}
		if len(f) >= 2 && f[0] == "Threads:" {
			threads, _ = strconv.Atoi(f[1])
		}
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return rssKiB, threads, len(ents)
}

// msgpack by hand for shapes no encoder would make: n nested one-element arrays around nil.
func deepArray(n int) []byte {
	b := make([]byte, 0, n+1)
	for i := 0; i < n; i++ {
		b = append(b, 0x91)
	}
	return append(b, 0xc0)
}

// Requests far beyond what a configuration produces, and long runs of calls: diagnostics (or a gRPC status for
// what exceeds the message limit), a bounded memory, no leaked descriptors or threads.
func TestLimits(t *testing.T) {
	l := mustStart(t)
	pid := l.client.ReattachConfig().Pid
	s := l.schema(t)
	rt := blockType(t, s.ResourceSchemas["foundry_gateway_connection"].Block)
	mt := rt.AttributeTypes()["models"].ElementType()
	validate := func(cfg *tfplugin6.DynamicValue) (*tfplugin6.ValidateResourceConfig_Response, error) {
		return l.p.ValidateResourceConfig(ctx(t), &tfplugin6.ValidateResourceConfig_Request{
			TypeName: "foundry_gateway_connection", Config: cfg})
	}
	// Warm up once, then measure.
	for i := 0; i < 100; i++ {
		l.schema(t)
	}
	rss0, threads0, fds0 := procStat(t, pid)

	// A 100,000-element list (about 6 MB).
	models := make([]cty.Value, 100000)
	for i := range models {
		models[i] = cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(fmt.Sprintf("m%d", i)),
			"model_name": cty.StringVal("gpt-4o"), "model_version": cty.NullVal(cty.String), "model_format": cty.StringVal("OpenAI")})
	}
	resp, err := validate(dv(t, rt, map[string]cty.Value{"models": cty.ListVal(models)}))
	if err != nil && status.Code(err) != codes.ResourceExhausted {
		t.Errorf("100,000 models: %s", err)
	} else if err == nil && !hasError(resp.Diagnostics) {
		t.Errorf("100,000 models without a name, category ... gave no error")
	}
	_ = mt
	// 1,000-deep nesting and a 10 MB value.
	if resp, err := validate(&tfplugin6.DynamicValue{Msgpack: deepArray(1000)}); err != nil || !hasError(resp.Diagnostics) {
		t.Errorf("1,000-deep msgpack: %v %v", err, resp.GetDiagnostics())
	}
	big := dv(t, rt, map[string]cty.Value{"target": cty.StringVal(strings.Repeat("a", 10<<20))})
	if _, err := validate(big); err != nil && status.Code(err) != codes.ResourceExhausted {
		t.Errorf("10 MB value: %s", err)
	}

	// 1,000 concurrent calls.
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.p.GetProviderSchema(ctx(t), &tfplugin6.GetProviderSchema_Request{}); err != nil {
				mu.Lock()
				failures++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if failures > 0 {
		t.Errorf("%d of 1,000 concurrent calls failed", failures)
	}

	// 10,000 sequential calls.
	small := dv(t, rt, map[string]cty.Value{"name": cty.StringVal("conn-a")})
	begin := time.Now()
	for i := 0; i < 10000; i++ {
		if _, err := validate(small); err != nil {
			t.Fatalf("call %d: %s", i, err)
		}
	}
	elapsed := time.Since(begin)
	time.Sleep(200 * time.Millisecond)
	rss1, threads1, fds1 := procStat(t, pid)
	t.Logf("limits: RSS %d -> %d KiB, threads %d -> %d, fds %d -> %d; 10,000 sequential calls in %s",
		rss0, rss1, threads0, threads1, fds0, fds1, elapsed.Round(time.Millisecond))
	if rss1-rss0 > *rssBoundMiB*1024 {
		t.Errorf("RSS grew by %d MiB (bound: %d MiB)", (rss1-rss0)/1024, *rssBoundMiB)
	}
	if fds1 > fds0+4 {
		t.Errorf("file descriptors %d -> %d: a leak", fds0, fds1)
	}
	// Worker threads start lazily, one per call in flight, up to the pool's 16 (PLUGIN_DEFAULT_WORKERS); the
	// 1000 concurrent calls above reach that bound, and nothing may grow past it.
	if threads1 > threads0+15+4 {
		t.Errorf("threads %d -> %d: more than the worker pool explains, a leak", threads0, threads1)
	}
	l.kill(t)
}

// Resource identity (6.9): no CLI here speaks it yet (Terraform 1.12 does), so the protocol is checked directly:
// the schema, an identity with every state (here a plan and an import), and import by identity.
func TestResourceIdentity(t *testing.T) {
	l := mustStart(t)
	s := l.schema(t)
	is, err := l.p.GetResourceIdentitySchemas(ctx(t), &tfplugin6.GetResourceIdentitySchemas_Request{})
	if err != nil || hasError(is.Diagnostics) {
		t.Fatalf("GetResourceIdentitySchemas: %v %v", err, is.GetDiagnostics())
	}
	sch := is.IdentitySchemas["foundry_gateway_connection"]
	if sch == nil || len(sch.IdentityAttributes) != 2 || sch.IdentityAttributes[0].Name != "parent_id" ||
		!sch.IdentityAttributes[0].RequiredForImport || sch.IdentityAttributes[1].Name != "name" {
		t.Fatalf("identity schema %v", sch)
	}
	idType := cty.Object(map[string]cty.Type{"parent_id": cty.String, "name": cty.String})
	parent := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/p1"
	decode := func(d *tfplugin6.ResourceIdentityData) cty.Value {
		t.Helper()
		if d == nil || d.IdentityData == nil {
			t.Fatalf("no identity returned")
		}
		v, err := ctymsgpack.Unmarshal(d.IdentityData.Msgpack, idType)
		if err != nil {
			t.Fatalf("identity: %s", err)
		}
		return v
	}

	// Import by identity: the provider builds the id (and needs no ARM call for it: the CLI's read comes next).
	want := cty.ObjectVal(map[string]cty.Value{"parent_id": cty.StringVal(parent), "name": cty.StringVal("by-identity")})
	b, err := ctymsgpack.Marshal(want, idType)
	if err != nil {
		t.Fatal(err)
	}
	ir, err := l.p.ImportResourceState(ctx(t), &tfplugin6.ImportResourceState_Request{TypeName: "foundry_gateway_connection",
		Identity: &tfplugin6.ResourceIdentityData{IdentityData: &tfplugin6.DynamicValue{Msgpack: b}}})
	if err != nil || hasError(ir.Diagnostics) || len(ir.ImportedResources) != 1 {
		t.Fatalf("import by identity: %v %v", err, ir.GetDiagnostics())
	}
	if got := decode(ir.ImportedResources[0].Identity); !got.RawEquals(want) {
		t.Errorf("imported identity %#v, want %#v", got, want)
	}
	rt := blockType(t, s.ResourceSchemas["foundry_gateway_connection"].Block)
	st, err := ctymsgpack.Unmarshal(ir.ImportedResources[0].State.Msgpack, rt)
	if err != nil || st.GetAttr("id").AsString() != parent+"/connections/by-identity" {
		t.Errorf("imported state %v: %v", st, err)
	}
	// An identity missing a required attribute is an error, not a guess.
	half, _ := ctymsgpack.Marshal(cty.ObjectVal(map[string]cty.Value{"parent_id": cty.StringVal(parent), "name": cty.NullVal(cty.String)}), idType)
	ir, err = l.p.ImportResourceState(ctx(t), &tfplugin6.ImportResourceState_Request{TypeName: "foundry_gateway_connection",
		Identity: &tfplugin6.ResourceIdentityData{IdentityData: &tfplugin6.DynamicValue{Msgpack: half}}})
	if err != nil || !hasError(ir.Diagnostics) {
		t.Errorf("an identity without name was accepted: %v", err)
	}

	// A plan returns the identity the object will have.
	cfg := map[string]cty.Value{"parent_id": cty.StringVal(parent), "name": cty.StringVal("planned"),
		"category": cty.StringVal("ApiManagement"), "target": cty.StringVal("https://x.azure-api.net/v1"),
		"auth_type": cty.StringVal("ApiKey"), "api_key": cty.StringVal("k3y")}
	null := &tfplugin6.DynamicValue{Msgpack: []byte{0xc0}}
	pr, err := l.p.PlanResourceChange(ctx(t), &tfplugin6.PlanResourceChange_Request{TypeName: "foundry_gateway_connection",
		PriorState: null, ProposedNewState: dv(t, rt, cfg), Config: dv(t, rt, cfg)})
	if err != nil || hasError(pr.Diagnostics) {
		t.Fatalf("plan: %v %v", err, pr.GetDiagnostics())
	}
	if got := decode(pr.PlannedIdentity); got.GetAttr("name").AsString() != "planned" {
		t.Errorf("planned identity %#v", got)
	}
	l.kill(t)
}
