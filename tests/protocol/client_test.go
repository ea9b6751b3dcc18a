// Helpers for the protocol checks: the provider launched by the real go-plugin client library, configured as
// Terraform configures it (terraform internal/command/meta_providers.go providerFactory), and values for requests.
package protocol

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc"

	"foundry.test/protocol/tfplugin6"
)

var providerBin = flag.String("provider", "", "the provider binary under test")

// The memory bound TestLimits holds the provider to; the ASan+UBSan build keeps freed memory in quarantine.
var rssBoundMiB = flag.Int("rss-bound-mib", 256, "how much the provider's RSS may grow in TestLimits")

// Terraform's handshake (terraform internal/plugin6/serve.go).
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  6,
	MagicCookieKey:   "TF_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
}

type providerPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (providerPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return fmt.Errorf("client only")
}
func (providerPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return tfplugin6.NewProviderClient(c), nil
}

// syncBuffer collects go-plugin's own log (it says "plugin failed to exit gracefully" when it had to kill).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// launched is one provider process started by go-plugin.
type launched struct {
	client *plugin.Client
	cfg    *plugin.ClientConfig // after Start, cfg.TLSConfig holds go-plugin's AutoMTLS client certificate
	p      tfplugin6.ProviderClient
	log    *syncBuffer
}

type launchOpt func(*plugin.ClientConfig)

func withVersions(vs ...int) launchOpt {
	return func(c *plugin.ClientConfig) {
		c.VersionedPlugins = map[int]plugin.PluginSet{}
		for _, v := range vs {
			c.VersionedPlugins[v] = plugin.PluginSet{"provider": providerPlugin{}}
		}
	}
}

func binary(t *testing.T) string {
	t.Helper()
	if *providerBin == "" {
		t.Fatal("-provider BINARY is required")
	}
	if _, err := os.Stat(*providerBin); err != nil {
		t.Fatalf("provider binary: %s", err)
	}
	return *providerBin
}

// start launches the provider as Terraform does; the process is killed (Shutdown first) when the test ends.
func start(t *testing.T, opts ...launchOpt) (*launched, error) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := &plugin.ClientConfig{
		HandshakeConfig:  handshake,
		VersionedPlugins: map[int]plugin.PluginSet{5: {"provider": providerPlugin{}}, 6: {"provider": providerPlugin{}}},
		Cmd:              commandFor(binary(t)),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          true,
		AutoMTLS:         true,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Trace, Output: logs}),
		SyncStdout:       logs,
		SyncStderr:       logs,
	}
	for _, o := range opts {
		o(cfg)
	}
	l := &launched{client: plugin.NewClient(cfg), cfg: cfg, log: logs}
	t.Cleanup(l.client.Kill)
	rpc, err := l.client.Client()
	if err != nil {
		return l, err
	}
	raw, err := rpc.Dispense("provider")
	if err != nil {
		return l, err
	}
	l.p = raw.(tfplugin6.ProviderClient)
	return l, nil
}

func mustStart(t *testing.T, opts ...launchOpt) *launched {
	t.Helper()
	l, err := start(t, opts...)
	if err != nil {
		t.Fatalf("launching through go-plugin: %s\n%s", err, l.log.String())
	}
	return l
}

// kill stops the provider the way Terraform does (GRPCController.Shutdown, then a 2 s grace before SIGKILL) and
// fails when go-plugin had to force it.
func (l *launched) kill(t *testing.T) time.Duration {
	t.Helper()
	begin := time.Now()
	l.client.Kill()
	d := time.Since(begin)
	if strings.Contains(l.log.String(), "plugin failed to exit gracefully") {
		t.Errorf("go-plugin had to kill the provider (no exit within 2 s of Shutdown)")
	}
	return d
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func (l *launched) schema(t *testing.T) *tfplugin6.GetProviderSchema_Response {
	t.Helper()
	resp, err := l.p.GetProviderSchema(ctx(t), &tfplugin6.GetProviderSchema_Request{})
	if err != nil {
		t.Fatalf("GetProviderSchema: %s", err)
	}
	for _, d := range resp.Diagnostics {
		if d.Severity != tfplugin6.Diagnostic_WARNING {
			t.Errorf("GetProviderSchema diagnostic %v %q: %s", d.Severity, d.Summary, d.Detail)
		}
	}
	return resp
}

// blockType is the cty type a schema block implies (what Terraform encodes values with).
func blockType(t *testing.T, b *tfplugin6.Schema_Block) cty.Type {
	attrs := map[string]cty.Type{}
	for _, a := range b.Attributes {
		attrs[a.Name] = attrType(t, a)
	}
	for _, nb := range b.BlockTypes {
		et := blockType(t, nb.Block)
		switch nb.Nesting {
		case tfplugin6.Schema_NestedBlock_LIST, tfplugin6.Schema_NestedBlock_GROUP:
			attrs[nb.TypeName] = cty.List(et)
		case tfplugin6.Schema_NestedBlock_SET:
			attrs[nb.TypeName] = cty.Set(et)
		case tfplugin6.Schema_NestedBlock_MAP:
			attrs[nb.TypeName] = cty.Map(et)
		default:
			attrs[nb.TypeName] = et
		}
	}
	return cty.Object(attrs)
}

func attrType(t *testing.T, a *tfplugin6.Schema_Attribute) cty.Type {
	if a.NestedType == nil {
		ty, err := ctyjson.UnmarshalType(a.Type)
		if err != nil {
			t.Fatalf("attribute %s: type %s: %s", a.Name, a.Type, err)
		}
		return ty
	}
	inner := map[string]cty.Type{}
	for _, na := range a.NestedType.Attributes {
		inner[na.Name] = attrType(t, na)
	}
	ot := cty.Object(inner)
	switch a.NestedType.Nesting {
	case tfplugin6.Schema_Object_LIST:
		return cty.List(ot)
	case tfplugin6.Schema_Object_SET:
		return cty.Set(ot)
	case tfplugin6.Schema_Object_MAP:
		return cty.Map(ot)
	}
	return ot
}

// dv encodes v (attributes not named are null) as a msgpack DynamicValue of type ty.
func dv(t *testing.T, ty cty.Type, set map[string]cty.Value) *tfplugin6.DynamicValue {
	t.Helper()
	vals := map[string]cty.Value{}
	for name, at := range ty.AttributeTypes() {
		vals[name] = cty.NullVal(at)
		if v, ok := set[name]; ok {
			vals[name] = v
		}
	}
	b, err := ctymsgpack.Marshal(cty.ObjectVal(vals), ty)
	if err != nil {
		t.Fatalf("msgpack: %s", err)
	}
	return &tfplugin6.DynamicValue{Msgpack: b}
}

func hasError(ds []*tfplugin6.Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == tfplugin6.Diagnostic_ERROR {
			return true
		}
	}
	return false
}

// otherCert is a self-signed P-256 client certificate that the provider never saw.
func otherCert(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "localhost", Organization: []string{"HashiCorp"}},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}, IsCA: true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
