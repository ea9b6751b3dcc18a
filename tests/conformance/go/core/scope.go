package core

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"tfconform/config"
	"tfconform/diag"
)

// values holds everything evaluated so far in a walk, per module path.
type values struct {
	mu   sync.Mutex
	mods map[string]*modValues
}

type modValues struct {
	vars    map[string]cty.Value
	locals  map[string]cty.Value
	outputs map[string]cty.Value
	res     map[string]cty.Value // "type.name" / "data.type.name"
}

func newValues() *values { return &values{mods: map[string]*modValues{}} }

func (v *values) mod(path []string) *modValues {
	k := modKey(path)
	m := v.mods[k]
	if m == nil {
		m = &modValues{vars: map[string]cty.Value{}, locals: map[string]cty.Value{}, outputs: map[string]cty.Value{}, res: map[string]cty.Value{}}
		v.mods[k] = m
	}
	return m
}

func (v *values) setVar(path []string, name string, val cty.Value) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mod(path).vars[name] = val
}

func (v *values) setLocal(path []string, name string, val cty.Value) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mod(path).locals[name] = val
}

func (v *values) setOutput(path []string, name string, val cty.Value) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mod(path).outputs[name] = val
}

func (v *values) setRes(path []string, key string, val cty.Value) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.mod(path).res[key] = val
}

func (v *values) getOutput(path []string, name string) (cty.Value, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	val, ok := v.mod(path).outputs[name]
	return val, ok
}

func (v *values) getVar(path []string, name string) (cty.Value, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	val, ok := v.mod(path).vars[name]
	return val, ok
}

// keyData is the repetition data of one instance: count.index or each.key/each.value.
type keyData struct {
	countIndex cty.Value
	eachKey    cty.Value
	eachValue  cty.Value
	self       cty.Value // postconditions only
}

// scope evaluates expressions of one module.
type scope struct {
	w    *walker
	mod  *config.Module
	keys keyData
}

// ctx builds the hcl.EvalContext: var, local, module, data, every managed resource type,
// path, terraform, count/each (Terraform lang.Scope).
func (s *scope) ctx() *hcl.EvalContext {
	w := s.w
	w.vals.mu.Lock()
	mv := w.vals.mod(s.mod.Path)
	vars := map[string]cty.Value{}
	for k, v := range mv.vars {
		vars[k] = v
	}
	locals := map[string]cty.Value{}
	for k, v := range mv.locals {
		locals[k] = v
	}
	modules := map[string]cty.Value{}
	for name, child := range s.mod.Children {
		cv := w.vals.mod(child.Path)
		outs := map[string]cty.Value{}
		for oname := range child.Outputs {
			if v, ok := cv.outputs[oname]; ok {
				outs[oname] = v
			} else {
				outs[oname] = cty.DynamicVal
			}
		}
		modules[name] = cty.ObjectVal(outs)
	}
	types := map[string]map[string]cty.Value{}
	for key, r := range s.mod.ManagedResources {
		if types[r.Type] == nil {
			types[r.Type] = map[string]cty.Value{}
		}
		if v, ok := mv.res[key]; ok {
			types[r.Type][r.Name] = v
		} else {
			types[r.Type][r.Name] = cty.DynamicVal
		}
	}
	dataTypes := map[string]map[string]cty.Value{}
	for key, r := range s.mod.DataResources {
		if dataTypes[r.Type] == nil {
			dataTypes[r.Type] = map[string]cty.Value{}
		}
		if v, ok := mv.res["data."+key]; ok {
			dataTypes[r.Type][r.Name] = v
		} else {
			dataTypes[r.Type][r.Name] = cty.DynamicVal
		}
	}
	w.vals.mu.Unlock()

	root := map[string]cty.Value{
		"var":       cty.ObjectVal(vars),
		"local":     cty.ObjectVal(locals),
		"module":    cty.ObjectVal(modules),
		"terraform": cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")}),
		"path": cty.ObjectVal(map[string]cty.Value{
			"module": cty.StringVal(filepath.ToSlash(s.mod.SourceDir)),
			"root":   cty.StringVal(filepath.ToSlash(w.ctx.Config.SourceDir)),
			"cwd":    cty.StringVal(filepath.ToSlash(mustCwd())),
		}),
	}
	for t, names := range types {
		root[t] = cty.ObjectVal(names)
	}
	data := map[string]cty.Value{}
	for t, names := range dataTypes {
		data[t] = cty.ObjectVal(names)
	}
	root["data"] = cty.ObjectVal(data)
	if s.keys.countIndex != cty.NilVal {
		root["count"] = cty.ObjectVal(map[string]cty.Value{"index": s.keys.countIndex})
	}
	if s.keys.eachKey != cty.NilVal {
		root["each"] = cty.ObjectVal(map[string]cty.Value{"key": s.keys.eachKey, "value": s.keys.eachValue})
	}
	if s.keys.self != cty.NilVal {
		root["self"] = s.keys.self
	}
	return &hcl.EvalContext{Variables: root, Functions: w.funcs}
}

func mustCwd() string {
	wd, _ := os.Getwd()
	return wd
}

func (s *scope) eval(expr hcl.Expression, want cty.Type) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	if expr == nil {
		return cty.NullVal(want), nil
	}
	v, hd := expr.Value(s.ctx())
	diags = diags.Append(hd)
	return v, diags
}

// ---------------------------------------------------------------- references

// refTarget maps one traversal to the graph node it depends on ("" for none) and reports
// references to undeclared objects with Terraform's texts (TF lang/references, evaluate_valid.go).
func refTarget(mod *config.Module, t hcl.Traversal, inCount, inEach bool) ([]string, diag.Diagnostics) {
	var diags diag.Diagnostics
	mk := modKey(mod.Path)
	rng := t.SourceRange()
	name := t.RootName()
	attr := func(i int) (string, bool) {
		if len(t) <= i {
			return "", false
		}
		if a, ok := t[i].(hcl.TraverseAttr); ok {
			return a.Name, true
		}
		return "", false
	}
	where := "the root module"
	if len(mod.Path) > 0 {
		where = "module." + strings.Join(mod.Path, ".module.")
	}
	switch name {
	case "var":
		n, ok := attr(1)
		if !ok {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid reference",
				Detail: "The \"var\" object cannot be accessed directly. Instead, access one of its attributes.", Subject: rng.Ptr()})
		}
		if _, ok := mod.Variables[n]; !ok {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Reference to undeclared input variable",
				Detail: fmt.Sprintf("An input variable with the name %q has not been declared. This variable can be declared with a variable %q {} block.", n, n), Subject: rng.Ptr()})
		}
		return []string{"var|" + mk + "|" + n}, nil
	case "local":
		n, ok := attr(1)
		if !ok {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid reference",
				Detail: "The \"local\" object cannot be accessed directly. Instead, access one of its attributes.", Subject: rng.Ptr()})
		}
		if _, ok := mod.Locals[n]; !ok {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Reference to undeclared local value",
				Detail: fmt.Sprintf("A local value with the name %q has not been declared.", n), Subject: rng.Ptr()})
		}
		return []string{"local|" + mk + "|" + n}, nil
	case "module":
		n, ok := attr(1)
		if !ok {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid reference",
				Detail: "The \"module\" object cannot be accessed directly. Instead, access one of its attributes.", Subject: rng.Ptr()})
		}
		child, ok := mod.Children[n]
		if !ok {
			if _, called := mod.ModuleCalls[n]; called {
				return nil, nil
			}
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Reference to undeclared module",
				Detail: fmt.Sprintf("No module call named %q is declared in %s.", n, where), Subject: rng.Ptr()})
		}
		ck := modKey(child.Path)
		if o, ok := attr(2); ok {
			if _, exists := child.Outputs[o]; !exists {
				return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported attribute",
					Detail: fmt.Sprintf("This object does not have an attribute named %q.", o), Subject: rng.Ptr()})
			}
			return []string{"output|" + ck + "|" + o}, nil
		}
		var ids []string
		for o := range child.Outputs {
			ids = append(ids, "output|"+ck+"|"+o)
		}
		sort.Strings(ids)
		return ids, nil
	case "data":
		typ, ok1 := attr(1)
		n, ok2 := attr(2)
		if !ok1 || !ok2 {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid reference",
				Detail: "The \"data\" object must be followed by two attribute names: the data source type and the resource name.", Subject: rng.Ptr()})
		}
		if _, ok := mod.DataResources[typ+"."+n]; !ok {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Reference to undeclared resource",
				Detail: fmt.Sprintf("A data resource %q %q has not been declared in %s.", typ, n, where), Subject: rng.Ptr()})
		}
		return []string{"res|" + mk + "|data." + typ + "." + n}, nil
	case "count":
		if !inCount {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: `Reference to "count" in non-counted context`,
				Detail: `The "count" object can only be used in "module", "resource", and "data" blocks, and only when the "count" argument is set.`, Subject: rng.Ptr()})
		}
		if a, ok := attr(1); !ok || a != "index" {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid \"count\" attribute",
				Detail: "The \"count\" object does not have an attribute named " + quote(a) + ". The only supported attribute is count.index, which is the index of each instance of a resource block that has the \"count\" argument set.", Subject: rng.Ptr()})
		}
		return nil, nil
	case "each":
		if !inEach {
			return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: `Reference to "each" in context without for_each`,
				Detail: `The "each" object can be used only in "module" or "resource" blocks, and only when the "for_each" argument is set.`, Subject: rng.Ptr()})
		}
		return nil, nil
	case "path", "terraform", "self":
		return nil, nil
	}
	n, ok := attr(1)
	if !ok {
		return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid reference",
			Detail: "A reference to a resource type must be followed by at least one attribute access, specifying the resource name.", Subject: rng.Ptr()})
	}
	if _, ok := mod.ManagedResources[name+"."+n]; !ok {
		return nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Reference to undeclared resource",
			Detail: fmt.Sprintf("A managed resource %q %q has not been declared in %s.", name, n, where), Subject: rng.Ptr()})
	}
	return []string{"res|" + mk + "|" + name + "." + n}, nil
}

// refsOf maps traversals to node IDs (deduplicated), with diagnostics for bad references.
func refsOf(mod *config.Module, ts []hcl.Traversal, inCount, inEach bool) ([]string, diag.Diagnostics) {
	var diags diag.Diagnostics
	seen := map[string]bool{}
	var ids []string
	for _, t := range ts {
		targets, d := refTarget(mod, t, inCount, inEach)
		diags = diags.Append(d)
		for _, id := range targets {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, diags
}

// dependsOnRefs maps depends_on traversals (whole resources, modules, data) to node IDs.
func dependsOnRefs(mod *config.Module, ts []hcl.Traversal) ([]string, diag.Diagnostics) {
	var diags diag.Diagnostics
	var ids []string
	for _, t := range ts {
		if t.RootName() == "module" && len(t) == 2 {
			n := t[1].(hcl.TraverseAttr).Name
			child, ok := mod.Children[n]
			if !ok {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Reference to undeclared module",
					Detail: fmt.Sprintf("No module call named %q is declared in this module.", n), Subject: t.SourceRange().Ptr()})
				continue
			}
			child.Walk(func(m *config.Module) {
				mk := modKey(m.Path)
				for k := range m.ManagedResources {
					ids = append(ids, "res|"+mk+"|"+k)
				}
				for k := range m.DataResources {
					ids = append(ids, "res|"+mk+"|data."+k)
				}
				for o := range m.Outputs {
					ids = append(ids, "output|"+mk+"|"+o)
				}
			})
			continue
		}
		switch t.RootName() {
		case "var", "local", "path", "terraform", "count", "each":
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid depends_on reference",
				Detail: "References in depends_on must be to a whole object (resource, etc), not to an attribute of an object.", Subject: t.SourceRange().Ptr()})
			continue
		}
		got, d := refTarget(mod, t, false, false)
		diags = diags.Append(d)
		ids = append(ids, got...)
	}
	return ids, diags
}

var _ = function.Function{}
