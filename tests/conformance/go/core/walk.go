package core

import (
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

type walkOp int

const (
	opValidate walkOp = iota
	opPlan
	opPlanRefreshOnly
	opPlanDestroy
	opApply
	opImport
)

// walker holds one graph walk: its provider instances (new processes), evaluated values, the
// working state and the plan being built or applied.
type walker struct {
	ctx   *Context
	op    walkOp
	vals  *values
	funcs map[string]function.Function

	provMu    sync.Mutex
	providers map[ProviderKey]provider.Interface
	provErr   map[ProviderKey]diag.Diagnostics

	stateMu sync.Mutex
	state   *state.State // working state (refreshed during plan, updated during apply)
	prevRun *state.State

	planMu  sync.Mutex
	plan    *Plan // being built (plan ops) or applied (apply)
	refresh bool
	rootVar map[string]cty.Value
	imports map[string]*config.Import // instance address -> import block
	replace map[string]bool           // -replace addresses

	// resource nodes register which instances exist (for orphan detection / outputs)
	expanded map[string]map[string]state.InstanceKey
	expMu    sync.Mutex

	// resDeps: resource address -> managed resources it depends on (state "dependencies").
	resDeps map[string][]string
	// deposed: instance address -> deposed key created by a create_before_destroy apply.
	deposed map[string]string
	applied ApplyCounts

	importTarget *InstAddr
	importID     string

	// sem limits concurrent provider operations to -parallelism (Terraform's default 10).
	sem chan struct{}
}

// forEachInstance runs f for every instance concurrently, each holding a parallelism slot, and
// returns the diagnostics in instance order.
func (w *walker) forEachInstance(reps []instanceRep, f func(rep instanceRep) (cty.Value, diag.Diagnostics)) (map[string]cty.Value, diag.Diagnostics) {
	vals := make([]cty.Value, len(reps))
	dss := make([]diag.Diagnostics, len(reps))
	var wg sync.WaitGroup
	for i, rep := range reps {
		wg.Add(1)
		go func(i int, rep instanceRep) {
			defer wg.Done()
			w.sem <- struct{}{}
			defer func() { <-w.sem }()
			vals[i] = cty.DynamicVal
			dss[i] = safeRun("instance", func() diag.Diagnostics {
				var ds diag.Diagnostics
				vals[i], ds = f(rep)
				return ds
			})
		}(i, rep)
	}
	wg.Wait()
	out := map[string]cty.Value{}
	var diags diag.Diagnostics
	for i, rep := range reps {
		out[state.KeyString(rep.key)] = vals[i]
		diags = append(diags, dss[i]...)
	}
	return out, diags
}

// ApplyCounts is what "Apply complete! Resources: ..." reports.
type ApplyCounts struct {
	imported, added, changed, destroyed int
}

func (a ApplyCounts) Imported() int  { return a.imported }
func (a ApplyCounts) Added() int     { return a.added }
func (a ApplyCounts) Changed() int   { return a.changed }
func (a ApplyCounts) Destroyed() int { return a.destroyed }

func (c *Context) newWalker(op walkOp, st *state.State, rootVars map[string]cty.Value) *walker {
	w := &walker{
		ctx:       c,
		op:        op,
		vals:      newValues(),
		funcs:     Functions(c.Config.SourceDir, op != opApply),
		providers: map[ProviderKey]provider.Interface{},
		provErr:   map[ProviderKey]diag.Diagnostics{},
		state:     st,
		rootVar:   rootVars,
		imports:   map[string]*config.Import{},
		replace:   map[string]bool{},
		expanded:  map[string]map[string]state.InstanceKey{},
		resDeps:   map[string][]string{},
		deposed:   map[string]string{},
	}
	if w.state == nil {
		w.state = state.New()
	}
	return w
}

// provider returns the walk's instance for a configuration, starting its process on first use.
func (w *walker) provider(k ProviderKey) (provider.Interface, diag.Diagnostics) {
	w.provMu.Lock()
	defer w.provMu.Unlock()
	if p, ok := w.providers[k]; ok {
		return p, nil
	}
	if d, ok := w.provErr[k]; ok {
		return nil, d
	}
	f := w.ctx.Factories[k.Addr]
	var diags diag.Diagnostics
	if f == nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Missing required provider",
			fmt.Sprintf("This configuration requires provider %s, but that provider isn't available.", k.Addr)))
		w.provErr[k] = diags
		return nil, diags
	}
	p, err := f(k.Addr)
	if err != nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Failed to instantiate provider",
			fmt.Sprintf("Unable to start provider %q: %s", k.Addr.String(), err)))
		w.provErr[k] = diags
		return nil, diags
	}
	w.providers[k] = p
	return p, nil
}

// closeProviders ends every provider process of the walk (GRPCController.Shutdown).
func (w *walker) closeProviders() {
	w.provMu.Lock()
	defer w.provMu.Unlock()
	var wg sync.WaitGroup
	for _, p := range w.providers {
		wg.Add(1)
		go func(p provider.Interface) {
			defer wg.Done()
			p.Close()
		}(p)
	}
	wg.Wait()
	w.providers = map[ProviderKey]provider.Interface{}
}

func (w *walker) schemaFor(k ProviderKey) *provider.Schemas {
	return w.ctx.Schemas[k.Addr]
}

// ---------------------------------------------------------------- building the graph

func (w *walker) buildGraph() (*graph, diag.Diagnostics) {
	g := newGraph()
	var diags diag.Diagnostics
	root := w.ctx.Config
	providerKeys := map[ProviderKey]bool{}

	root.Walk(func(m *config.Module) {
		mk := modKey(m.Path)
		for _, name := range config.SortedKeys(m.Variables) {
			diags = diags.Append(w.addVarNode(g, m, name))
		}
		for _, name := range config.SortedKeys(m.Locals) {
			l := m.Locals[name]
			deps, d := refsOf(m, l.Expr.Variables(), false, false)
			diags = diags.Append(d)
			lname, mod := name, m
			g.add(&node{id: "local|" + mk + "|" + name, deps: deps, run: func() diag.Diagnostics {
				s := &scope{w: w, mod: mod}
				v, ds := s.eval(mod.Locals[lname].Expr, cty.DynamicPseudoType)
				w.vals.setLocal(mod.Path, lname, v)
				return ds
			}})
		}
		for _, name := range config.SortedKeys(m.Outputs) {
			diags = diags.Append(w.addOutputNode(g, m, name))
		}
		for _, key := range config.SortedKeys(m.ManagedResources) {
			r := m.ManagedResources[key]
			pk := providerKeyFor(m, r.Provider)
			providerKeys[pk] = true
			diags = diags.Append(w.addResourceNode(g, m, r, pk))
		}
		for _, key := range config.SortedKeys(m.DataResources) {
			r := m.DataResources[key]
			pk := providerKeyFor(m, r.Provider)
			providerKeys[pk] = true
			diags = diags.Append(w.addResourceNode(g, m, r, pk))
		}
		// Every call argument must be a declared variable of the child (TF configs).
		for _, cname := range config.SortedKeys(m.ModuleCalls) {
			call := m.ModuleCalls[cname]
			child := m.Children[cname]
			if child == nil {
				continue
			}
			attrs, hd := call.Config.JustAttributes()
			diags = diags.Append(hd)
			for an, a := range attrs {
				if _, ok := child.Variables[an]; !ok {
					diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported argument",
						Detail: fmt.Sprintf("An argument named %q is not expected here.", an), Subject: a.NameRange.Ptr()})
				}
			}
		}
	})
	// Resources only in state (removed from config) are destroyed.
	if w.op != opValidate {
		for _, r := range w.state.SortedResources() {
			if w.configResource(r) != nil {
				continue
			}
			k, err := parseProviderConfigString(r.Provider)
			if err != nil {
				diags = diags.Append(diag.Errorf("%s: %s", r.Addr(), err))
				continue
			}
			providerKeys[k] = true
			w.addOrphanNode(g, r, k)
		}
	}
	for pk := range providerKeys {
		diags = diags.Append(w.addProviderNode(g, pk))
	}
	return g, diags
}

// configResource finds the configuration of a state resource, or nil.
func (w *walker) configResource(r *state.Resource) *config.Resource {
	m := w.ctx.Config
	for _, name := range r.Module {
		m = m.Children[name]
		if m == nil {
			return nil
		}
	}
	if r.Mode == "data" {
		return m.DataResources[r.Type+"."+r.Name]
	}
	return m.ManagedResources[r.Type+"."+r.Name]
}

func moduleFor(root *config.Module, path []string) *config.Module {
	m := root
	for _, name := range path {
		if m == nil {
			return nil
		}
		m = m.Children[name]
	}
	return m
}

func (w *walker) addVarNode(g *graph, m *config.Module, name string) diag.Diagnostics {
	var diags diag.Diagnostics
	mk := modKey(m.Path)
	v := m.Variables[name]
	id := "var|" + mk + "|" + name
	if m.Parent == nil {
		g.add(&node{id: id, run: func() diag.Diagnostics {
			var val cty.Value
			if w.op == opValidate {
				// The validate walk has no input values: every root variable is unknown.
				val = cty.UnknownVal(v.Type)
			} else {
				var ok bool
				val, ok = w.rootVar[name]
				if !ok {
					val = cty.NullVal(v.Type)
				}
			}
			if v.Sensitive {
				val = val.Mark(schema.Sensitive)
			}
			w.vals.setVar(m.Path, name, val)
			return w.checkVariableValidations(m, v, val)
		}})
		return nil
	}
	call := m.Parent.ModuleCalls[m.Path[len(m.Path)-1]]
	attrs, _ := call.Config.JustAttributes()
	a := attrs[name]
	var deps []string
	if a != nil {
		d, ds := refsOf(m.Parent, a.Expr.Variables(), false, false)
		diags = diags.Append(ds)
		deps = d
	} else if v.Default == cty.NilVal {
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Missing required argument",
			Detail: fmt.Sprintf("The argument %q is required, but no definition was found.", name), Subject: call.DeclRange.Ptr()})
	}
	if dd, ds := dependsOnRefs(m.Parent, call.DependsOn); true {
		diags = diags.Append(ds)
		deps = append(deps, dd...)
	}
	g.add(&node{id: id, deps: deps, run: func() diag.Diagnostics {
		var ds diag.Diagnostics
		val := v.Default
		if a != nil {
			s := &scope{w: w, mod: m.Parent}
			var ed diag.Diagnostics
			val, ed = s.eval(a.Expr, cty.DynamicPseudoType)
			ds = ds.Append(ed)
			if ed.HasErrors() {
				return ds
			}
		}
		if val == cty.NilVal {
			val = cty.NullVal(v.Type)
		}
		uv, marks := val.UnmarkDeep()
		if v.Defaults != nil && !uv.IsNull() {
			uv = v.Defaults.Apply(uv)
		}
		conv, err := convert.Convert(uv, v.Type)
		if err != nil {
			subj := call.DeclRange
			if a != nil {
				subj = a.Expr.Range()
			}
			return ds.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid value for input variable",
				Detail: fmt.Sprintf("The given value is not suitable for module.%s.var.%s declared at %s: %s.", call.Name, name, v.DeclRange, err), Subject: subj.Ptr()})
		}
		if conv.IsNull() && !v.Nullable {
			if v.Default != cty.NilVal {
				conv = v.Default
			} else {
				return ds.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid value for input variable",
					Detail: fmt.Sprintf("The given value is not suitable for module.%s.var.%s: required variable may not be set to null.", call.Name, name), Subject: call.DeclRange.Ptr()})
			}
		}
		// Re-apply the marks the argument carried (sensitivity flows into modules).
		if len(marks) > 0 {
			conv = conv.WithMarks(marks)
		}
		if v.Sensitive {
			conv = conv.Mark(schema.Sensitive)
		}
		w.vals.setVar(m.Path, name, conv)
		return ds.Append(w.checkVariableValidations(m, v, conv))
	}})
	return diags
}

func (w *walker) checkVariableValidations(m *config.Module, v *config.Variable, val cty.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, rule := range v.Validations {
		s := &scope{w: w, mod: m}
		res, ds := s.eval(rule.Condition, cty.Bool)
		if ds.HasErrors() {
			diags = diags.Append(ds)
			continue
		}
		res, _ = res.Unmark()
		if !res.IsKnown() || res.IsNull() {
			continue
		}
		bv, err := convert.Convert(res, cty.Bool)
		if err != nil || bv.True() {
			continue
		}
		msg, _ := s.eval(rule.ErrorMessage, cty.String)
		msg, _ = msg.Unmark()
		text := ""
		if msg.IsKnown() && !msg.IsNull() && msg.Type() == cty.String {
			text = msg.AsString()
		}
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid value for variable",
			Detail: text + "\n\nThis was checked by the validation rule at " + rule.DeclRange.String() + ".", Subject: rule.Condition.Range().Ptr()})
	}
	return diags
}

func (w *walker) addOutputNode(g *graph, m *config.Module, name string) diag.Diagnostics {
	var diags diag.Diagnostics
	o := m.Outputs[name]
	trav := o.Expr.Variables()
	for _, rule := range o.Preconditions {
		trav = append(trav, rule.Condition.Variables()...)
		trav = append(trav, rule.ErrorMessage.Variables()...)
	}
	deps, d := refsOf(m, trav, false, false)
	diags = diags.Append(d)
	dd, d := dependsOnRefs(m, o.DependsOn)
	diags = diags.Append(d)
	deps = append(deps, dd...)
	g.add(&node{id: "output|" + modKey(m.Path) + "|" + name, deps: deps, run: func() diag.Diagnostics {
		if w.op == opPlanDestroy || w.op == opImport || (w.op == opApply && w.plan.Mode == DestroyMode) {
			return nil // outputs are not evaluated when everything is being destroyed / imported
		}
		if ds := w.checkRules(m, o.Preconditions, keyData{}, "Module output value precondition", ""); ds.HasErrors() {
			return ds
		}
		s := &scope{w: w, mod: m}
		v, ds := s.eval(o.Expr, cty.DynamicPseudoType)
		if ds.HasErrors() {
			return ds
		}
		if o.Sensitive {
			v = v.Mark(schema.Sensitive)
		} else if m.Parent == nil && w.op != opValidate && containsSensitive(v) {
			ds = ds.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Output refers to sensitive values",
				Detail:  "To reduce the risk of accidentally exporting sensitive data that was intended to be only internal, Terraform requires that any root module output containing sensitive data be explicitly marked as sensitive, to confirm your intent.\n\nIf you do intend to export this data, annotate the output value as sensitive by adding the following argument:\n    sensitive = true",
				Subject: o.DeclRange.Ptr()})
		}
		w.vals.setOutput(m.Path, name, v)
		return ds
	}})
	return diags
}

func containsSensitive(v cty.Value) bool {
	_, pvm := v.UnmarkDeepWithPaths()
	for _, pm := range pvm {
		if _, ok := pm.Marks[schema.Sensitive]; ok {
			return true
		}
	}
	return false
}

func (w *walker) addProviderNode(g *graph, pk ProviderKey) diag.Diagnostics {
	var diags diag.Diagnostics
	root := w.ctx.Config
	var pc *config.ProviderConfig
	for _, cand := range root.ProviderConfigs {
		if ProviderAddrFor(root, cand.Name) == pk.Addr && cand.Alias == pk.Alias {
			pc = cand
		}
	}
	if pk.Alias != "" && pc == nil {
		return diags.Append(diag.Sourceless(diag.Error, "Provider configuration not present",
			fmt.Sprintf("To work with resources using %s its original provider configuration is required, but it has been removed. This occurs when a provider configuration is removed while objects created by that provider still exist in the state. Re-add the provider configuration to destroy them, after which you can remove the provider configuration again.", pk)))
	}
	var deps []string
	var spec hcldec.Spec
	if s := w.schemaFor(pk); s != nil && s.Provider != nil && pc != nil {
		spec = s.Provider.Block.DecoderSpec()
		d, ds := refsOf(root, dynblock.VariablesHCLDec(pc.Config, spec), false, false)
		diags = diags.Append(ds)
		deps = d
	}
	g.add(&node{id: "provider|" + pk.String(), deps: deps, heavy: true, run: func() diag.Diagnostics {
		return w.configureProvider(pk, pc)
	}})
	return diags
}

// configureProvider: the validate walk only validates; every other walk validates then configures
// (TF node_provider.go; notes 4.1).
func (w *walker) configureProvider(pk ProviderKey, pc *config.ProviderConfig) diag.Diagnostics {
	var diags diag.Diagnostics
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return ds
	}
	s := p.GetProviderSchema()
	if s.Diagnostics.HasErrors() {
		return diags.Append(s.Diagnostics)
	}
	if s.Provider == nil {
		return diags.Append(diag.Errorf("provider %s has no configuration schema", pk.Addr))
	}
	var cfgVal cty.Value
	var body hcl.Body
	if pc != nil {
		body = pc.Config
		sc := &scope{w: w, mod: w.ctx.Config}
		ectx := sc.ctx()
		expanded := dynblock.Expand(pc.Config, ectx)
		v, hd := hcldec.Decode(expanded, s.Provider.Block.DecoderSpec(), ectx)
		diags = diags.Append(hd)
		if hd.HasErrors() {
			return diags
		}
		cfgVal = v
	} else {
		cfgVal = s.Provider.Block.EmptyValue()
	}
	unmarked, _ := cfgVal.UnmarkDeep()
	addr := pk.String()
	vd := p.ValidateProviderConfig(unmarked).InConfigBody(body, addr)
	diags = diags.Append(vd)
	if vd.HasErrors() && pc == nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Invalid provider configuration",
			fmt.Sprintf("Provider %q requires explicit configuration. Add a provider block to the root module and configure the provider's required arguments as described in the provider documentation.\n", pk.Addr.String())))
	}
	if diags.HasErrors() || w.op == opValidate {
		return diags
	}
	if w.op == opImport && !unmarked.IsWhollyKnown() {
		var subj *hcl.Range
		if pc != nil {
			subj = pc.DeclRange.Ptr()
		}
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid provider configuration",
			Detail: fmt.Sprintf("The configuration for %s depends on values that cannot be determined until apply.", addr), Subject: subj})
	}
	cd := p.ConfigureProvider(w.ctx.TerraformVersion, unmarked).InConfigBody(body, addr)
	diags = diags.Append(cd)
	if cd.HasErrors() && pc == nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Invalid provider configuration",
			fmt.Sprintf("Provider %q requires explicit configuration. Add a provider block to the root module and configure the provider's required arguments as described in the provider documentation.\n", pk.Addr.String())))
	}
	return diags
}

// ---------------------------------------------------------------- resources

func (w *walker) resourceSchema(pk ProviderKey, r *config.Resource) (*schema.Schema, diag.Diagnostics) {
	s := w.schemaFor(pk)
	if s == nil {
		return nil, diag.Diagnostics{diag.Errorf("provider %s has no schema loaded", pk.Addr)}
	}
	if r.Mode == config.DataMode {
		if ds, ok := s.DataSources[r.Type]; ok {
			return ds, nil
		}
		return nil, diag.Diagnostics{&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid data source",
			Detail:  fmt.Sprintf("The provider %s does not support data source %q.", pk.Addr.ForDisplay(), r.Type),
			Subject: r.TypeRange.Ptr()}}
	}
	if rs, ok := s.ResourceTypes[r.Type]; ok {
		return rs, nil
	}
	return nil, diag.Diagnostics{&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid resource type",
		Detail:  fmt.Sprintf("The provider %s does not support resource type %q.", pk.Addr.ForDisplay(), r.Type),
		Subject: r.TypeRange.Ptr()}}
}

func (w *walker) addResourceNode(g *graph, m *config.Module, r *config.Resource, pk ProviderKey) diag.Diagnostics {
	var diags diag.Diagnostics
	sch, ds := w.resourceSchema(pk, r)
	if ds.HasErrors() {
		return ds
	}
	inCount, inEach := r.Count != nil, r.ForEach != nil
	var trav []hcl.Traversal
	trav = append(trav, dynblock.VariablesHCLDec(r.Config, sch.Block.DecoderSpec())...)
	for _, e := range []hcl.Expression{r.Count, r.ForEach} {
		if e != nil {
			trav = append(trav, e.Variables()...)
		}
	}
	for _, rule := range append(append([]*config.CheckRule{}, r.Preconditions...), r.Postconditions...) {
		trav = append(trav, rule.Condition.Variables()...)
		trav = append(trav, rule.ErrorMessage.Variables()...)
	}
	deps, d := refsOf(m, trav, inCount, inEach)
	diags = diags.Append(d)
	// A resource's own attributes are not a dependency (self-reference is "Self-referential block").
	self := "res|" + modKey(m.Path) + "|" + r.Key()
	var filtered []string
	for _, dep := range deps {
		if dep == self {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Self-referential block",
				Detail: "Configuration for " + r.Key() + " may not refer to itself.", Subject: r.DeclRange.Ptr()})
			continue
		}
		filtered = append(filtered, dep)
	}
	dd, d := dependsOnRefs(m, r.DependsOn)
	diags = diags.Append(d)
	filtered = append(filtered, dd...)
	// Module-level depends_on applies to everything inside the module.
	for mm := m; mm.Parent != nil; mm = mm.Parent {
		call := mm.Parent.ModuleCalls[mm.Path[len(mm.Path)-1]]
		if call != nil {
			cd, d := dependsOnRefs(mm.Parent, call.DependsOn)
			diags = diags.Append(d)
			filtered = append(filtered, cd...)
		}
	}
	filtered = append(filtered, "provider|"+pk.String())
	addr := ResAddr{Module: m.Path, Mode: r.Mode, Type: r.Type, Name: r.Name}
	n := &node{id: self, deps: filtered}
	switch w.op {
	case opValidate:
		n.heavy = true
		n.run = func() diag.Diagnostics { return w.validateResource(m, r, pk, sch) }
	case opApply:
		n.run = func() diag.Diagnostics { return w.applyResource(m, r, addr, pk, sch) }
	case opImport:
		n.heavy = true
		n.run = func() diag.Diagnostics { return w.importResource(m, r, addr, pk, sch) }
	default:
		n.run = func() diag.Diagnostics { return w.planResource(m, r, addr, pk, sch) }
	}
	g.add(n)
	return diags
}

func (w *walker) addOrphanNode(g *graph, sr *state.Resource, pk ProviderKey) {
	addr := ResAddr{Module: sr.Module, Type: sr.Type, Name: sr.Name}
	if sr.Mode == "data" {
		addr.Mode = config.DataMode
	}
	id := "orphan|" + addr.String()
	n := &node{id: id, deps: []string{"provider|" + pk.String()}, heavy: true}
	switch w.op {
	case opApply:
		n.run = func() diag.Diagnostics { return nil } // destroys run in destroy nodes
	default:
		n.run = func() diag.Diagnostics { return w.planOrphan(sr, addr, pk) }
	}
	g.add(n)
}

// ---------------------------------------------------------------- config evaluation for one instance

// evalResourceConfig decodes one instance's configuration body with the schema (dynamic blocks
// expanded), as Terraform's EvaluateBlock does.
func (w *walker) evalResourceConfig(m *config.Module, r *config.Resource, sch *schema.Schema, kd keyData) (cty.Value, diag.Diagnostics) {
	s := &scope{w: w, mod: m, keys: kd}
	ectx := s.ctx()
	body := dynblock.Expand(r.Config, ectx)
	v, hd := hcldec.Decode(body, sch.Block.DecoderSpec(), ectx)
	var diags diag.Diagnostics
	diags = diags.Append(hd)
	if hd.HasErrors() {
		return cty.UnknownVal(sch.Block.ImpliedType()), diags
	}
	return v, diags
}

// expansion evaluates count / for_each into the instance keys and their repetition data.
type instanceRep struct {
	key state.InstanceKey
	kd  keyData
}

func (w *walker) expand(m *config.Module, r *config.Resource) ([]instanceRep, string, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := &scope{w: w, mod: m}
	switch {
	case r.Count != nil:
		v, ds := s.eval(r.Count, cty.Number)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return nil, "list", diags
		}
		if v.HasMark(schema.Sensitive) {
			return nil, "list", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid count argument",
				Detail: "Sensitive values, or values derived from sensitive values, cannot be used as count arguments. If used, the sensitive value could be exposed as a resource instance key.", Subject: r.Count.Range().Ptr()})
		}
		v, _ = v.UnmarkDeep()
		if !v.IsKnown() {
			return nil, "list", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid count argument",
				Detail: `The "count" value depends on resource attributes that cannot be determined until apply, so Terraform cannot predict how many instances will be created. To work around this, use the -target argument to first apply only the resources that the count depends on.`, Subject: r.Count.Range().Ptr()})
		}
		nv, err := convert.Convert(v, cty.Number)
		if err != nil || nv.IsNull() {
			return nil, "list", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid count argument",
				Detail: `The given "count" argument value is unsuitable: the given value is null, or is not a number.`, Subject: r.Count.Range().Ptr()})
		}
		bf := nv.AsBigFloat()
		n, acc := bf.Int64()
		if acc != 0 || n < 0 {
			return nil, "list", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid count argument",
				Detail: `The given "count" argument value is unsuitable: must be a whole number greater than or equal to zero.`, Subject: r.Count.Range().Ptr()})
		}
		var reps []instanceRep
		for i := 0; i < int(n); i++ {
			reps = append(reps, instanceRep{key: i, kd: keyData{countIndex: cty.NumberIntVal(int64(i))}})
		}
		return reps, "list", diags
	case r.ForEach != nil:
		v, ds := s.eval(r.ForEach, cty.DynamicPseudoType)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return nil, "map", diags
		}
		if v.HasMark(schema.Sensitive) {
			return nil, "map", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid for_each argument",
				Detail: "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments. If used, the sensitive value could be exposed as a resource instance key.", Subject: r.ForEach.Range().Ptr()})
		}
		uv, _ := v.Unmark()
		ty := uv.Type()
		if !(ty.IsMapType() || ty.IsObjectType() || ty.IsSetType() || ty == cty.DynamicPseudoType) {
			return nil, "map", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid for_each argument",
				Detail: fmt.Sprintf(`The given "for_each" argument value is unsuitable: the "for_each" argument must be a map, or set of strings, and you have provided a value of type %s.`, ty.FriendlyName()), Subject: r.ForEach.Range().Ptr()})
		}
		if !uv.IsKnown() || (ty.IsSetType() && !uv.IsWhollyKnown()) {
			return nil, "map", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid for_each argument",
				Detail: `The "for_each" map includes keys derived from resource attributes that cannot be determined until apply, and so Terraform cannot determine the full set of keys that will identify the instances of this resource.

When working with unknown values in for_each, it's better to define the map keys statically in your configuration and place apply-time results only in the map values.

Alternatively, you could use the -target planning option to first apply only the resources that the for_each value depends on, and then apply a second time to fully converge.`, Subject: r.ForEach.Range().Ptr()})
		}
		if uv.IsNull() {
			return nil, "map", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid for_each argument",
				Detail: `The given "for_each" argument value is unsuitable: the given "for_each" argument value is null. A map, or set of strings is allowed.`, Subject: r.ForEach.Range().Ptr()})
		}
		var reps []instanceRep
		if ty.IsSetType() {
			if ty.ElementType() != cty.String {
				return nil, "map", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid for_each set argument",
					Detail: fmt.Sprintf(`The given "for_each" argument value is unsuitable: "for_each" supports maps and sets of strings, but you have provided a set containing type %s.`, ty.ElementType().FriendlyName()), Subject: r.ForEach.Range().Ptr()})
			}
			for it := uv.ElementIterator(); it.Next(); {
				_, ev := it.Element()
				if ev.IsNull() {
					return nil, "map", diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid for_each set argument",
						Detail: `The given "for_each" argument value is unsuitable: "for_each" sets must not contain null values.`, Subject: r.ForEach.Range().Ptr()})
				}
				reps = append(reps, instanceRep{key: ev.AsString(), kd: keyData{eachKey: ev, eachValue: ev}})
			}
		} else {
			for it := v.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				reps = append(reps, instanceRep{key: k.AsString(), kd: keyData{eachKey: k, eachValue: ev}})
			}
		}
		sort.Slice(reps, func(i, j int) bool { return reps[i].key.(string) < reps[j].key.(string) })
		return reps, "map", diags
	}
	return []instanceRep{{key: nil}}, "", diags
}

// resourceValue assembles the value a reference to the whole resource yields: the object, a tuple
// for count, an object keyed by for_each key (TF evaluator GetResource).
func resourceValue(each string, reps []instanceRep, vals map[string]cty.Value) cty.Value {
	switch each {
	case "list":
		var elems []cty.Value
		for _, r := range reps {
			elems = append(elems, vals[state.KeyString(r.key)])
		}
		return cty.TupleVal(elems)
	case "map":
		m := map[string]cty.Value{}
		for _, r := range reps {
			m[r.key.(string)] = vals[state.KeyString(r.key)]
		}
		return cty.ObjectVal(m)
	}
	if v, ok := vals[""]; ok {
		return v
	}
	return cty.DynamicVal
}
