package plugin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func TestGenerateCert(t *testing.T) {
	certPEM, _, err := GenerateCert()
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(certPEM)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P521() {
		t.Errorf("client certificate must be P-521 like go-plugin's")
	}
	if !c.IsCA || c.Subject.CommonName != "localhost" || c.DNSNames[0] != "localhost" || c.SerialNumber.Sign() <= 0 {
		t.Errorf("certificate fields: %+v", c)
	}
}

func TestParseHandshake(t *testing.T) {
	certPEM, _, _ := GenerateCert()
	blk, _ := pem.Decode(certPEM)
	raw := base64.RawStdEncoding.EncodeToString(blk.Bytes)
	h, err := ParseHandshake("1|6|unix|/tmp/x.sock|grpc|"+raw+"\n", map[int]bool{5: true, 6: true})
	if err != nil || h.App != 6 || h.Network != "unix" || h.Addr != "/tmp/x.sock" || h.Cert == nil {
		t.Fatalf("%+v %v", h, err)
	}
	padded := base64.StdEncoding.EncodeToString(blk.Bytes)
	if strings.HasSuffix(padded, "=") {
		if _, err := ParseHandshake("1|6|unix|/tmp/x|grpc|"+padded, nil); err == nil {
			t.Errorf("padded base64 must be rejected (RawStdEncoding)")
		}
	}
	for line, want := range map[string]string{
		"hello":                "Unrecognized remote plugin message: hello",
		"2|6|unix|/x|grpc":     "Incompatible core API version with plugin",
		"1|7|unix|/x|grpc":     "Incompatible API version with plugin. Plugin version: 7",
		"1|6|unix|/x":          `Unsupported plugin protocol "netrpc"`,
		"1|6|pipe|/x|grpc":     "Unknown address type",
	} {
		_, err := ParseHandshake(line, map[int]bool{5: true, 6: true})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
	// A short cert field (<= 50 chars) is ignored, as go-plugin does.
	h, err = ParseHandshake("1|6|tcp|127.0.0.1:1|grpc|cert", nil)
	if err != nil || h.Cert != nil {
		t.Errorf("short cert field: %v %+v", err, h)
	}
}

func TestParseHCLogLine(t *testing.T) {
	ok := `{"@level":"info","@message":"hi","@timestamp":"2024-01-02T03:04:05.000000Z","k":1}`
	e, err := ParseHCLogLine(ok)
	if err != nil || e.Level != LevelInfo || e.Message != "hi" || e.KV["k"] != float64(1) {
		t.Errorf("%+v %v", e, err)
	}
	for line, want := range map[string]string{
		"plain text": "not a JSON object",
		`{"@level":"info","@message":"x"}`: `missing "@timestamp"`,
		`{"@level":1,"@message":"x","@timestamp":"2024-01-02T03:04:05.000000Z"}`: "is not a string",
		`{"@level":"info","@message":"x","@timestamp":"2024-01-02 03:04:05"}`:   "is not in layout",
		`{"@level":"loud","@message":"x","@timestamp":"2024-01-02T03:04:05.000000+01:00"}`: "is not an hclog level",
	} {
		if _, err := ParseHCLogLine(line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
}

func TestParseReattach(t *testing.T) {
	env := `{"registry.terraform.io/ns/fake":{"Protocol":"grpc","ProtocolVersion":6,"Pid":1,"Test":true,"Addr":{"Network":"unix","String":"/tmp/s"}}}`
	rc, err := ParseReattach(env, "registry.terraform.io/ns/fake", "ns/fake")
	if err != nil || rc == nil || rc.Addr.String != "/tmp/s" || !rc.Test {
		t.Errorf("%+v %v", rc, err)
	}
	if rc, _ := ParseReattach(env, "registry.terraform.io/ns/other", "ns/other"); rc != nil {
		t.Errorf("matched another provider")
	}
}
