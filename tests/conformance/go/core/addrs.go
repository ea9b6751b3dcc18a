// Package core is tfconform's Terraform core: it evaluates the configuration in dependency order
// and drives provider instances through the validate, plan and apply walks with Terraform's call
// sequences and consistency rules (notes/tfplugin6.md section 4).
package core

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/state"
)

// ResAddr is an absolute resource address.
type ResAddr struct {
	Module []string
	Mode   config.ResourceMode
	Type   string
	Name   string
}

func (a ResAddr) ModeString() string {
	if a.Mode == config.DataMode {
		return "data"
	}
	return "managed"
}

// Local is the address within its module: "type.name" or "data.type.name".
func (a ResAddr) Local() string {
	if a.Mode == config.DataMode {
		return "data." + a.Type + "." + a.Name
	}
	return a.Type + "." + a.Name
}

func (a ResAddr) String() string {
	if m := config.ModuleAddr(a.Module); m != "" {
		return m + "." + a.Local()
	}
	return a.Local()
}

func (a ResAddr) Instance(k state.InstanceKey) InstAddr { return InstAddr{Res: a, Key: k} }

// InstAddr is an absolute resource instance address.
type InstAddr struct {
	Res ResAddr
	Key state.InstanceKey
}

func (a InstAddr) String() string { return a.Res.String() + state.KeyString(a.Key) }

// ParseInstAddr parses a CLI address such as `module.m.foundry_x.y["k"]` or `data.t.n[0]`.
func ParseInstAddr(s string) (InstAddr, error) {
	var ret InstAddr
	t, hd := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.Pos{Line: 1, Column: 1})
	if hd.HasErrors() {
		return ret, fmt.Errorf("Invalid address %q: %s", s, hd.Error())
	}
	var names []string
	var keys []hcl.Traverser
	for _, step := range t {
		switch st := step.(type) {
		case hcl.TraverseRoot:
			names = append(names, st.Name)
		case hcl.TraverseAttr:
			names = append(names, st.Name)
		case hcl.TraverseIndex:
			keys = append(keys, st)
			names = append(names, "\x00")
		}
	}
	i := 0
	for i+1 < len(names) && names[i] == "module" {
		ret.Res.Module = append(ret.Res.Module, names[i+1])
		i += 2
		if i < len(names) && names[i] == "\x00" {
			return ret, fmt.Errorf("Invalid address %q: module instance keys are not supported", s)
		}
	}
	if i < len(names) && names[i] == "data" {
		ret.Res.Mode = config.DataMode
		i++
	}
	if i+2 > len(names) || names[i] == "\x00" || names[i+1] == "\x00" {
		return ret, fmt.Errorf("Invalid address %q: a resource address is required", s)
	}
	ret.Res.Type, ret.Res.Name = names[i], names[i+1]
	i += 2
	if i < len(names) {
		if names[i] != "\x00" || i != len(names)-1 {
			return ret, fmt.Errorf("Invalid address %q: unexpected extra operators", s)
		}
		k := keys[len(keys)-1].(hcl.TraverseIndex).Key
		switch k.Type() {
		case cty.Number:
			n, _ := k.AsBigFloat().Int64()
			ret.Key = int(n)
		case cty.String:
			ret.Key = k.AsString()
		default:
			return ret, fmt.Errorf("Invalid address %q: invalid instance key", s)
		}
	}
	return ret, nil
}

// keyValue converts an instance key to its cty value (each.key / count.index).
func keyValue(k state.InstanceKey) cty.Value {
	switch v := k.(type) {
	case int:
		return cty.NumberIntVal(int64(v))
	case string:
		return cty.StringVal(v)
	}
	return cty.NilVal
}

func modKey(path []string) string { return config.ModuleAddr(path) }

func quote(s string) string { return strconv.Quote(s) }

func joinAddrs(as []string) string { return strings.Join(as, ", ") }
