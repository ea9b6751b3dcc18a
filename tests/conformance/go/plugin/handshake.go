package plugin

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Terraform's handshake values (TF internal/plugin6/serve.go; notes/tfplugin6.md 2.1).
const (
	MagicCookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	MagicCookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
	CoreProtocol     = 1
)

// Handshake is the parsed first stdout line `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT`.
type Handshake struct {
	Line     string
	Fields   []string
	Core     int
	App      int
	Network  string
	Addr     string
	Protocol string
	CertB64  string
	Cert     *x509.Certificate // nil when the line has no cert field longer than 50 chars
}

// ParseHandshake parses the line as go-plugin's client does (GP client.go:826-965) and returns its
// error texts.
func ParseHandshake(line string, allowedApp map[int]bool) (*Handshake, error) {
	line = strings.TrimSpace(line)
	parts := strings.Split(line, "|")
	h := &Handshake{Line: line, Fields: parts}
	if len(parts) < 4 {
		return h, fmt.Errorf("Unrecognized remote plugin message: %s\n\n"+
			"This usually means that the plugin is either invalid or simply\n"+
			"needs to be recompiled to support the latest protocol.", line)
	}
	core, err := strconv.Atoi(parts[0])
	if err != nil {
		return h, fmt.Errorf("Error parsing core protocol version: %s", err)
	}
	h.Core = core
	if core != CoreProtocol {
		return h, fmt.Errorf("Incompatible core API version with plugin. "+
			"Plugin version: %s, Core version: %d\n\n"+
			"To fix this, the plugin usually only needs to be recompiled.\n"+
			"Please report this to the plugin author.", parts[0], CoreProtocol)
	}
	app, err := strconv.Atoi(parts[1])
	if err != nil {
		return h, fmt.Errorf("Error parsing protocol version %q: %s", parts[1], err)
	}
	h.App = app
	if allowedApp != nil && !allowedApp[app] {
		var vs []string
		for v := range allowedApp {
			vs = append(vs, strconv.Itoa(v))
		}
		return h, fmt.Errorf("Incompatible API version with plugin. Plugin version: %d, Client versions: %v", app, vs)
	}
	h.Network, h.Addr = parts[2], parts[3]
	switch h.Network {
	case "unix", "tcp":
	default:
		return h, fmt.Errorf("Unknown address type: %s", h.Addr)
	}
	h.Protocol = "netrpc" // go-plugin's default when the field is missing
	if len(parts) >= 5 {
		h.Protocol = parts[4]
	}
	if h.Protocol != "grpc" {
		return h, fmt.Errorf("Unsupported plugin protocol %q. Supported: [grpc]", h.Protocol)
	}
	if len(parts) >= 6 && len(parts[5]) > 50 {
		h.CertB64 = parts[5]
		// RawStdEncoding: '=' padding is rejected, as in go-plugin (notes 2.2).
		der, err := base64.RawStdEncoding.DecodeString(parts[5])
		if err != nil {
			return h, fmt.Errorf("error parsing server cert: %s", err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return h, fmt.Errorf("error parsing server cert: %s", err)
		}
		h.Cert = cert
	}
	return h, nil
}
