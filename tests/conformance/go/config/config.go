// Package config loads a Terraform configuration: every *.tf (and *.tf.json) file of a directory,
// parsed with hcl/v2, into modules of variables, locals, outputs, providers, resources, data
// sources, module calls and import blocks (Terraform internal/configs, the subset tfconform needs).
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"tfconform/diag"
)

type ResourceMode int

const (
	ManagedMode ResourceMode = iota
	DataMode
)

type Module struct {
	SourceDir         string
	Variables         map[string]*Variable
	Locals            map[string]*Local
	Outputs           map[string]*Output
	ManagedResources  map[string]*Resource // "type.name"
	DataResources     map[string]*Resource // "type.name"
	ModuleCalls       map[string]*ModuleCall
	ProviderConfigs   map[string]*ProviderConfig // "name" or "name.alias"
	RequiredProviders map[string]*RequiredProvider
	RequiredVersion   []VersionConstraint
	Imports           []*Import
	Children          map[string]*Module
	// Parent is nil for the root module.
	Parent *Module
	Path   []string // module call names from the root
}

type Variable struct {
	Name           string
	Description    string
	Type           cty.Type // the type constraint (cty.DynamicPseudoType: any)
	Defaults       *typeexpr.Defaults
	Default        cty.Value // cty.NilVal when absent
	Sensitive      bool
	Nullable       bool
	Validations    []*CheckRule
	DeclRange      hcl.Range
	TypeSet        bool
}

type CheckRule struct {
	Condition    hcl.Expression
	ErrorMessage hcl.Expression
	DeclRange    hcl.Range
}

type Local struct {
	Name      string
	Expr      hcl.Expression
	DeclRange hcl.Range
}

type Output struct {
	Name          string
	Description   string
	Expr          hcl.Expression
	Sensitive     bool
	DependsOn     []hcl.Traversal
	Preconditions []*CheckRule
	DeclRange     hcl.Range
}

type ProviderRef struct {
	LocalName string
	Alias     string
}

func (r ProviderRef) String() string {
	if r.Alias != "" {
		return r.LocalName + "." + r.Alias
	}
	return r.LocalName
}

type Resource struct {
	Mode      ResourceMode
	Type      string
	Name      string
	Config    hcl.Body
	Count     hcl.Expression
	ForEach   hcl.Expression
	Provider  ProviderRef
	DependsOn []hcl.Traversal
	// lifecycle (managed only)
	IgnoreChanges       []hcl.Traversal
	IgnoreAllChanges    bool
	PreventDestroy      bool
	CreateBeforeDestroy bool
	Preconditions       []*CheckRule
	Postconditions      []*CheckRule
	DeclRange           hcl.Range
	TypeRange           hcl.Range
}

// Key is "type.name" (managed) or "data.type.name".
func (r *Resource) Key() string {
	if r.Mode == DataMode {
		return "data." + r.Type + "." + r.Name
	}
	return r.Type + "." + r.Name
}

type ModuleCall struct {
	Name       string
	SourceAddr string
	Config     hcl.Body // remaining arguments = input variables
	DependsOn  []hcl.Traversal
	Providers  map[string]ProviderRef
	DeclRange  hcl.Range
}

type ProviderConfig struct {
	Name      string
	Alias     string
	Config    hcl.Body
	DeclRange hcl.Range
}

func (p *ProviderConfig) Key() string {
	if p.Alias != "" {
		return p.Name + "." + p.Alias
	}
	return p.Name
}

type RequiredProvider struct {
	Name      string
	Source    string
	Version   string
	DeclRange hcl.Range
}

type Import struct {
	To        hcl.Traversal
	ToExpr    hcl.Expression
	ID        hcl.Expression
	Provider  *ProviderRef
	DeclRange hcl.Range
}

// Load loads the root module in dir and its local child modules.
func Load(dir string) (*Module, diag.Diagnostics) {
	parser := hclparse.NewParser()
	return loadModule(parser, dir, nil, nil, map[string]bool{})
}

func loadModule(parser *hclparse.Parser, dir string, parent *Module, path []string, loading map[string]bool) (*Module, diag.Diagnostics) {
	var diags diag.Diagnostics
	abs, _ := filepath.Abs(dir)
	if loading[abs] {
		return nil, diags.Append(diag.Errorf("Module %s is called recursively", dir))
	}
	loading[abs] = true
	defer delete(loading, abs)

	mod := &Module{
		SourceDir:         dir,
		Variables:         map[string]*Variable{},
		Locals:            map[string]*Local{},
		Outputs:           map[string]*Output{},
		ManagedResources:  map[string]*Resource{},
		DataResources:     map[string]*Resource{},
		ModuleCalls:       map[string]*ModuleCall{},
		ProviderConfigs:   map[string]*ProviderConfig{},
		RequiredProviders: map[string]*RequiredProvider{},
		Children:          map[string]*Module{},
		Parent:            parent,
		Path:              path,
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, diags.Append(diag.Sourceless(diag.Error, "Failed to read module directory",
			fmt.Sprintf("Module directory %s does not exist or cannot be read.", dir)))
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "#") || strings.HasSuffix(n, "~") {
			continue
		}
		if strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		fn := filepath.Join(dir, n)
		if parent == nil {
			fn = n // the root module's files are reported relative, as Terraform does
			if dir != "." && dir != "" {
				fn = filepath.Join(dir, n)
			}
		}
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			diags = diags.Append(diag.Errorf("Failed to read file %s: %s", fn, err))
			continue
		}
		var f *hcl.File
		var hd hcl.Diagnostics
		if strings.HasSuffix(n, ".json") {
			f, hd = parser.ParseJSON(src, fn)
		} else {
			f, hd = parser.ParseHCL(src, fn)
		}
		diags = diags.Append(hd)
		if f == nil {
			continue
		}
		diag.Sources.Add(fn, f)
		diags = diags.Append(decodeFile(mod, f))
	}
	if diags.HasErrors() {
		return mod, diags
	}
	for _, name := range sortedKeys(mod.ModuleCalls) {
		mc := mod.ModuleCalls[name]
		src := mc.SourceAddr
		if !(strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../")) {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported module source",
				Detail:  fmt.Sprintf("Module %q has source %q; tfconform supports only local module sources (\"./path\" or \"../path\").", name, src),
				Subject: mc.DeclRange.Ptr()})
			continue
		}
		childDir := filepath.Join(dir, src)
		child, cd := loadModule(parser, childDir, mod, append(append([]string{}, path...), name), loading)
		diags = diags.Append(cd)
		if child != nil {
			mod.Children[name] = child
		}
	}
	return mod, diags
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// SortedKeys is exported for callers that need deterministic order.
func SortedKeys[V any](m map[string]V) []string { return sortedKeys(m) }

// ImpliedProviderLocalName is the provider a resource type belongs to by default: the prefix
// before the first underscore (Terraform addrs.ImpliedProviderForUnqualifiedType).
func ImpliedProviderLocalName(resourceType string) string {
	if i := strings.Index(resourceType, "_"); i > 0 {
		return resourceType[:i]
	}
	return resourceType
}

// ModuleAddr renders a module path: "module.a.module.b" ("" for the root).
func ModuleAddr(path []string) string {
	var parts []string
	for _, p := range path {
		parts = append(parts, "module."+p)
	}
	return strings.Join(parts, ".")
}

// Walk visits the module and all descendants, parents first.
func (m *Module) Walk(f func(*Module)) {
	f(m)
	for _, name := range sortedKeys(m.Children) {
		m.Children[name].Walk(f)
	}
}

// Root returns the root module.
func (m *Module) Root() *Module {
	for m.Parent != nil {
		m = m.Parent
	}
	return m
}
