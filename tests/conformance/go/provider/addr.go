// Package provider is tfconform's Terraform-side view of a provider: its address, its schemas, and
// the RPC client with Terraform's semantics (TF internal/plugin6/grpc_provider.go): values are
// msgpack-encoded with the schema's implied type, responses decoded the same way, gRPC errors
// turned into Terraform's diagnostics, destroy planned without the provider unless plan_destroy.
package provider

import (
	"fmt"
	"regexp"
	"strings"
)

const DefaultHost = "registry.terraform.io"

// Addr is a provider source address.
type Addr struct {
	Hostname  string
	Namespace string
	Type      string
}

var addrPart = regexp.MustCompile(`^[0-9A-Za-z](?:[0-9A-Za-z-_]{0,62}[0-9A-Za-z])?$`)

// ParseAddr parses "host/ns/type" or "ns/type" (default host), as terraform-registry-address does.
func ParseAddr(s string) (Addr, error) {
	parts := strings.Split(s, "/")
	var a Addr
	switch len(parts) {
	case 2:
		a = Addr{DefaultHost, parts[0], parts[1]}
	case 3:
		a = Addr{strings.ToLower(parts[0]), parts[1], parts[2]}
	default:
		return a, fmt.Errorf("The \"source\" attribute must be in the format \"[hostname/][namespace/]name\"")
	}
	for _, p := range []string{a.Namespace, a.Type} {
		if !addrPart.MatchString(p) {
			return a, fmt.Errorf("Invalid provider source string %q: %q is not a valid name", s, p)
		}
	}
	a.Namespace, a.Type = strings.ToLower(a.Namespace), strings.ToLower(a.Type)
	if strings.HasPrefix(a.Type, "terraform-") {
		return a, fmt.Errorf("Invalid provider type %q: must not have the prefix \"terraform-\"", a.Type)
	}
	return a, nil
}

func (a Addr) String() string { return a.Hostname + "/" + a.Namespace + "/" + a.Type }

// ForDisplay omits the default registry host, as Terraform does in messages.
func (a Addr) ForDisplay() string {
	if a.Hostname == DefaultHost {
		return a.Namespace + "/" + a.Type
	}
	return a.String()
}

// ConfigString is the absolute provider config address used in state and some messages:
// provider["registry.terraform.io/ns/type"].
func (a Addr) ConfigString() string { return fmt.Sprintf("provider[%q]", a.String()) }

func (a Addr) IsZero() bool { return a.Type == "" }
