package core

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// ProviderKey identifies one provider configuration (and so one provider process per walk).
type ProviderKey struct {
	Addr  provider.Addr
	Alias string
}

// String is the absolute provider config address written in state: provider["host/ns/type"](.alias).
func (k ProviderKey) String() string {
	s := k.Addr.ConfigString()
	if k.Alias != "" {
		s += "." + k.Alias
	}
	return s
}

// Factory starts a new provider instance (a new process, as Terraform does for every walk).
type Factory func(addr provider.Addr) (provider.Interface, error)

// Context is one command's core: configuration, provider factories and the schemas loaded once.
type Context struct {
	Config      *config.Module
	Factories   map[provider.Addr]Factory
	Schemas     map[provider.Addr]*provider.Schemas
	Parallelism int
	// UI receives progress lines ("x: Creating...").
	UI func(line string)
	// TerraformVersion sent in ConfigureProvider.
	TerraformVersion string
}

func (c *Context) ui(format string, args ...interface{}) {
	if c.UI != nil {
		c.UI(fmt.Sprintf(format, args...))
	}
}

// ProviderAddrFor resolves a module's local provider name through required_providers (module,
// then ancestors); undeclared names are implied as hashicorp/<name> (Terraform's default).
func ProviderAddrFor(mod *config.Module, local string) provider.Addr {
	for m := mod; m != nil; m = m.Parent {
		if rp, ok := m.RequiredProviders[local]; ok && rp.Source != "" {
			if a, err := provider.ParseAddr(rp.Source); err == nil {
				return a
			}
		}
	}
	return provider.Addr{Hostname: provider.DefaultHost, Namespace: "hashicorp", Type: local}
}

// providerKeyFor resolves the provider configuration a resource uses: aliases pass through module
// calls' `providers` maps; otherwise child modules inherit the default configuration.
func providerKeyFor(mod *config.Module, ref config.ProviderRef) ProviderKey {
	key := ProviderKey{Addr: ProviderAddrFor(mod, ref.LocalName), Alias: ref.Alias}
	m := mod
	for m.Parent != nil {
		call := m.Parent.ModuleCalls[m.Path[len(m.Path)-1]]
		if call != nil {
			if to, ok := call.Providers[ref.String()]; ok {
				ref = to
				key = ProviderKey{Addr: ProviderAddrFor(m.Parent, ref.LocalName), Alias: ref.Alias}
			}
		}
		m = m.Parent
	}
	return key
}

// RequiredProviders lists the provider addresses the configuration and state need.
func RequiredProviderAddrs(cfg *config.Module, st *state.State) []provider.Addr {
	seen := map[provider.Addr]bool{}
	cfg.Walk(func(m *config.Module) {
		for _, rp := range m.RequiredProviders {
			if a, err := provider.ParseAddr(rp.Source); err == nil && rp.Source != "" {
				seen[a] = true
			}
		}
		for _, r := range m.ManagedResources {
			seen[providerKeyFor(m, r.Provider).Addr] = true
		}
		for _, r := range m.DataResources {
			seen[providerKeyFor(m, r.Provider).Addr] = true
		}
		for k := range m.ProviderConfigs {
			name := strings.SplitN(k, ".", 2)[0]
			seen[ProviderAddrFor(m, name)] = true
		}
	})
	if st != nil {
		for _, r := range st.Resources {
			if k, err := parseProviderConfigString(r.Provider); err == nil {
				seen[k.Addr] = true
			}
		}
	}
	var ret []provider.Addr
	for a := range seen {
		ret = append(ret, a)
	}
	sort.Slice(ret, func(i, j int) bool { return ret[i].String() < ret[j].String() })
	return ret
}

// parseProviderConfigString parses provider["host/ns/type"](.alias), optionally module-prefixed.
func parseProviderConfigString(s string) (ProviderKey, error) {
	var k ProviderKey
	i := strings.Index(s, "provider[")
	if i < 0 {
		return k, fmt.Errorf("invalid provider address %q", s)
	}
	rest := s[i+len("provider["):]
	j := strings.Index(rest, "]")
	if j < 0 {
		return k, fmt.Errorf("invalid provider address %q", s)
	}
	var src string
	if _, err := fmt.Sscanf(rest[:j], "%q", &src); err != nil {
		return k, fmt.Errorf("invalid provider address %q", s)
	}
	a, err := provider.ParseAddr(src)
	if err != nil {
		return k, err
	}
	k.Addr = a
	if tail := rest[j+1:]; strings.HasPrefix(tail, ".") {
		k.Alias = tail[1:]
	}
	return k, nil
}

// LoadSchemas starts one process per provider just to read its schemas, then closes it
// (TF loadschemas/plugins.go; notes 1.3), and runs Terraform's InternalValidate on them.
func (c *Context) LoadSchemas(addrs []provider.Addr) diag.Diagnostics {
	var diags diag.Diagnostics
	if c.Schemas == nil {
		c.Schemas = map[provider.Addr]*provider.Schemas{}
	}
	for _, a := range addrs {
		f := c.Factories[a]
		if f == nil {
			diags = diags.Append(diag.Sourceless(diag.Error, "Missing required provider",
				fmt.Sprintf("This configuration requires provider %s, but that provider isn't available. tfconform only runs providers from dev_overrides in the CLI configuration (or TFCONFORM_PROVIDER_BINARY).", a.String())))
			continue
		}
		p, err := f(a)
		if err != nil {
			diags = diags.Append(diag.Sourceless(diag.Error, "Failed to load plugin schemas",
				fmt.Sprintf("Error while loading schemas for plugin components: Failed to obtain provider schema: Could not load the schema for provider %s: failed to instantiate provider %q to obtain schema: %s..", a, a, err)))
			continue
		}
		s := p.GetProviderSchema()
		p.Close()
		if s.Diagnostics.HasErrors() {
			diags = diags.Append(diag.Sourceless(diag.Error, "Failed to load plugin schemas",
				fmt.Sprintf("Error while loading schemas for plugin components: Failed to obtain provider schema: Could not load the schema for provider %s: failed to retrieve schema from provider %q: %s..", a, a, s.Diagnostics.Errs())))
			continue
		}
		diags = diags.Append(validateSchemas(a, s))
		c.Schemas[a] = s
	}
	return diags
}

func validateSchemas(a provider.Addr, s *provider.Schemas) diag.Diagnostics {
	var diags diag.Diagnostics
	bad := func(kind, name string, errs []error) {
		for _, err := range errs {
			diags = diags.Append(diag.Sourceless(diag.Error, "Failed to load plugin schemas",
				fmt.Sprintf("Error while loading schemas for plugin components: provider %s has invalid schema for %s %q, which is a bug in the provider: %q.", a, kind, name, err.Error())))
		}
	}
	if s.Provider == nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Failed to load plugin schemas", fmt.Sprintf("provider %s has no provider configuration schema", a)))
	} else {
		bad("provider configuration", a.String(), s.Provider.Block.InternalValidate())
	}
	for _, name := range schema.SortedKeys(s.ResourceTypes) {
		rs := s.ResourceTypes[name]
		if rs.Version < 0 {
			bad("managed resource type", name, []error{fmt.Errorf("schema version cannot be negative")})
		}
		bad("managed resource type", name, rs.Block.InternalValidate())
	}
	for _, name := range schema.SortedKeys(s.DataSources) {
		bad("data resource type", name, s.DataSources[name].Block.InternalValidate())
	}
	return diags
}

// ---------------------------------------------------------------- input variables

// RawVariable is one root variable value from the command line, a file or the environment.
type RawVariable struct {
	Expr   hcl.Expression // from -var-file
	Str    string         // from -var / TF_VAR_
	IsStr  bool
	Source string // "-var", "file.tfvars", "env"
}

// PrepareVariables turns raw values into the root module's variable values (defaults, parsing
// mode, type conversion, nullable, sensitive marks) with Terraform's diagnostics.
func PrepareVariables(mod *config.Module, raw map[string]*RawVariable) (map[string]cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	ret := map[string]cty.Value{}
	for name, rv := range raw {
		if _, ok := mod.Variables[name]; !ok {
			switch {
			case rv.Source == "env":
			case rv.Source == "-var":
				diags = diags.Append(diag.Sourceless(diag.Error, "Value for undeclared variable",
					fmt.Sprintf("A variable named %q was assigned on the command line, but the root module does not declare a variable of that name. To use this value, add a \"variable\" block to the configuration.", name)))
			default:
				diags = diags.Append(diag.Sourceless(diag.Warning, "Value for undeclared variable",
					fmt.Sprintf("The root module does not declare a variable named %q but a value was found in file %q. If you meant to use this value, add a \"variable\" block to the configuration.\n\nTo silence these warnings, use TF_VAR_... environment variables to provide certain \"global\" settings to all configurations in your organization. To reduce the verbosity of these warnings, use the -compact-warnings option.", name, rv.Source)))
			}
		}
	}
	for _, name := range config.SortedKeys(mod.Variables) {
		v := mod.Variables[name]
		rv := raw[name]
		var val cty.Value
		switch {
		case rv == nil:
			if v.Default == cty.NilVal {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "No value for required variable",
					Detail:  fmt.Sprintf("The root module input variable %q is not set, and has no default value. Use a -var or -var-file command line argument to provide a value for this variable.", name),
					Subject: v.DeclRange.Ptr()})
				continue
			}
			val = v.Default
		case rv.IsStr:
			// Literal for string-typed (or untyped) variables, HCL otherwise (TF configs VariableParsingMode).
			if !v.TypeSet || v.Type == cty.String {
				val = cty.StringVal(rv.Str)
			} else {
				expr, hd := hclsyntax.ParseExpression([]byte(rv.Str), fmt.Sprintf("<value for var.%s>", name), hcl.Pos{Line: 1, Column: 1})
				diags = diags.Append(hd)
				if hd.HasErrors() {
					continue
				}
				ev, hd := expr.Value(nil)
				diags = diags.Append(hd)
				if hd.HasErrors() {
					continue
				}
				val = ev
			}
		default:
			ev, hd := rv.Expr.Value(nil)
			diags = diags.Append(hd)
			if hd.HasErrors() {
				continue
			}
			val = ev
		}
		if v.Defaults != nil && !val.IsNull() {
			val = v.Defaults.Apply(val)
		}
		conv, err := convert.Convert(val, v.Type)
		if err != nil {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid value for input variable",
				Detail:  fmt.Sprintf("The given value is not suitable for var.%s declared at %s: %s.", name, v.DeclRange, err),
				Subject: v.DeclRange.Ptr()})
			continue
		}
		if conv.IsNull() {
			if !v.Nullable {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Required variable not set",
					Detail: fmt.Sprintf("Unsuitable value for var.%s set from outside of the configuration: required variable may not be set to null.", name), Subject: v.DeclRange.Ptr()})
				continue
			}
		}
		ret[name] = conv
	}
	return ret, diags
}

// ReadVarsFromEnv collects TF_VAR_name values.
func ReadVarsFromEnv(raw map[string]*RawVariable) {
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TF_VAR_") {
			continue
		}
		eq := strings.Index(kv, "=")
		name := kv[len("TF_VAR_"):eq]
		if _, set := raw[name]; !set {
			raw[name] = &RawVariable{Str: kv[eq+1:], IsStr: true, Source: "env"}
		}
	}
}

var _ sync.Mutex

// ParseProviderKey parses provider["host/ns/type"](.alias).
func ParseProviderKey(s string) (ProviderKey, error) { return parseProviderConfigString(s) }
