package core

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/provider"
	"tfconform/state"
)

// computeResDeps records, for every resource node, the managed resources it depends on directly or
// through locals/variables/outputs (Terraform stores them as "dependencies" in state).
func (w *walker) computeResDeps(g *graph) {
	for id, n := range g.nodes {
		if !strings.HasPrefix(id, "res|") {
			continue
		}
		seen := map[string]bool{}
		var out []string
		var visit func(ids []string)
		visit = func(ids []string) {
			for _, d := range ids {
				if seen[d] {
					continue
				}
				seen[d] = true
				dn := g.nodes[d]
				if dn == nil {
					continue
				}
				if strings.HasPrefix(d, "res|") {
					parts := strings.SplitN(d, "|", 3)
					if !strings.HasPrefix(parts[2], "data.") {
						a := parts[2]
						if parts[1] != "" {
							a = parts[1] + "." + a
						}
						out = append(out, a)
					}
				}
				visit(dn.deps)
			}
		}
		visit(n.deps)
		sort.Strings(out)
		parts := strings.SplitN(id, "|", 3)
		a := parts[2]
		if parts[1] != "" {
			a = parts[1] + "." + a
		}
		w.resDeps[a] = out
	}
}

// ---------------------------------------------------------------- validate

// Validate runs the validate walk in its own provider process(es): ValidateProviderConfig and
// ValidateResourceConfig / ValidateDataResourceConfig, nothing configured (notes 4.1).
func (c *Context) Validate() diag.Diagnostics {
	var diags diag.Diagnostics
	diags = diags.Append(checkRequiredVersion(c.Config))
	w := c.newWalker(opValidate, nil, nil)
	defer w.closeProviders()
	g, ds := w.buildGraph()
	diags = diags.Append(ds)
	if diags.HasErrors() {
		return diags
	}
	for _, im := range c.Config.Imports {
		diags = diags.Append(w.checkImportTarget(im))
	}
	w.sem = c.newSem()
	diags = diags.Append(g.walk(w.sem))
	return diags
}

func (c *Context) newSem() chan struct{} {
	n := c.Parallelism
	if n < 1 {
		n = 10
	}
	return make(chan struct{}, n)
}

func checkRequiredVersion(cfg *config.Module) diag.Diagnostics {
	var diags diag.Diagnostics
	cfg.Walk(func(m *config.Module) {
		for _, vc := range m.RequiredVersion {
			if !vc.Check(state.TerraformVersion) {
				diags = diags.Append(diag.Sourceless(diag.Error, "Unsupported Terraform Core version",
					fmt.Sprintf("This configuration does not support Terraform version %s. To proceed, either choose another supported Terraform version or update this version constraint. Version constraints are normally set for good reason, so updating the constraint may lead to other errors or unexpected behavior.", state.TerraformVersion)))
				return
			}
		}
	})
	return diags
}

func (w *walker) checkImportTarget(im *config.Import) diag.Diagnostics {
	var diags diag.Diagnostics
	addr, err := traversalAddr(im.To)
	if err != nil {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid import address", Detail: err.Error(), Subject: im.ToExpr.Range().Ptr()})
	}
	if addr.Res.Mode == config.DataMode {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid import address",
			Detail: "Only managed resources can be imported.", Subject: im.ToExpr.Range().Ptr()})
	}
	m := moduleFor(w.ctx.Config, addr.Res.Module)
	if m == nil || m.ManagedResources[addr.Res.Type+"."+addr.Res.Name] == nil {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Configuration for import target does not exist",
			Detail: fmt.Sprintf("The configuration for the given import %s does not exist. All target instances must have an associated configuration to be imported.", addr), Subject: im.ToExpr.Range().Ptr()})
	}
	return diags
}

func traversalAddr(t hcl.Traversal) (InstAddr, error) {
	var b strings.Builder
	for i, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			if i > 0 {
				b.WriteString(".")
			}
			b.WriteString(s.Name)
		case hcl.TraverseIndex:
			if s.Key.Type() == cty.String {
				b.WriteString("[" + quote(s.Key.AsString()) + "]")
			} else {
				n, _ := s.Key.AsBigFloat().Int64()
				fmt.Fprintf(&b, "[%d]", n)
			}
		}
	}
	return ParseInstAddr(b.String())
}

// ---------------------------------------------------------------- plan

type PlanOpts struct {
	Mode      PlanMode
	Refresh   bool
	Variables map[string]cty.Value
	Replace   []string
}

// Plan runs the plan walk(s): normal (refresh + plan), refresh-only, or destroy (a refresh-only
// walk, then a destroy walk, each in new provider processes as Terraform does).
func (c *Context) Plan(prior *state.State, opts PlanOpts) *Plan {
	plan := &Plan{Mode: opts.Mode, Variables: opts.Variables, PrevRunState: prior.DeepCopy(), Schemas: map[ProviderKey]*provider.Schemas{}}
	plan.Diagnostics = plan.Diagnostics.Append(checkRequiredVersion(c.Config))
	if plan.Diagnostics.HasErrors() {
		plan.Errored = true
		return plan
	}
	working := prior.DeepCopy()
	if opts.Mode == DestroyMode {
		if opts.Refresh {
			w := c.newWalker(opPlanRefreshOnly, working, opts.Variables)
			w.refresh = true
			w.plan = plan
			ds := w.run()
			plan.Diagnostics = plan.Diagnostics.Append(ds)
			working = w.state
			if ds.HasErrors() {
				plan.Errored = true
				plan.PriorState = working
				return plan
			}
			plan.Drift = nil // Terraform does not report drift for a destroy plan
		}
		w := c.newWalker(opPlanDestroy, working, opts.Variables)
		w.plan = plan
		plan.Diagnostics = plan.Diagnostics.Append(w.run())
		plan.PriorState = w.state
		plan.Errored = plan.Diagnostics.HasErrors()
		c.planOutputs(plan, w)
		return plan
	}
	op := opPlan
	if opts.Mode == RefreshOnlyMode {
		op = opPlanRefreshOnly
	}
	w := c.newWalker(op, working, opts.Variables)
	w.refresh = opts.Refresh || opts.Mode == RefreshOnlyMode
	w.plan = plan
	for _, r := range opts.Replace {
		w.replace[r] = true
	}
	for _, im := range c.Config.Imports {
		plan.Diagnostics = plan.Diagnostics.Append(w.checkImportTarget(im))
		if a, err := traversalAddr(im.To); err == nil {
			w.imports[a.String()] = im
		}
	}
	plan.Diagnostics = plan.Diagnostics.Append(w.run())
	plan.PriorState = w.state
	plan.Errored = plan.Diagnostics.HasErrors()
	c.planOutputs(plan, w)
	return plan
}

// run builds and walks the graph, then closes the walk's provider processes.
func (w *walker) run() diag.Diagnostics {
	w.sem = w.ctx.newSem()
	defer w.closeProviders()
	g, diags := w.buildGraph()
	if diags.HasErrors() {
		return diags
	}
	w.computeResDeps(g)
	if w.op == opApply {
		diags = diags.Append(w.addDestroyNodes(g))
		if diags.HasErrors() {
			return diags
		}
	}
	return diags.Append(g.walk(w.sem))
}

// planOutputs compares root output values with the previous state's.
func (c *Context) planOutputs(plan *Plan, w *walker) {
	prev := plan.PrevRunState.Outputs
	seen := map[string]bool{}
	if plan.Mode != DestroyMode {
		for _, name := range config.SortedKeys(c.Config.Outputs) {
			o := c.Config.Outputs[name]
			v, ok := w.vals.getOutput(nil, name)
			if !ok {
				continue
			}
			seen[name] = true
			oc := &OutputChange{Name: name, After: v, Sensitive: o.Sensitive || containsSensitive(v)}
			if pv, ok := prev[name]; ok {
				oc.Before = pv.Value
				ub, _ := pv.Value.UnmarkDeep()
				ua, _ := v.UnmarkDeep()
				if eq := ub.Equals(ua); eq.IsKnown() && eq.True() && ub.Type().Equals(ua.Type()) {
					oc.Action = NoOp
				} else {
					oc.Action = Update
				}
			} else {
				oc.Before = cty.NullVal(cty.DynamicPseudoType)
				oc.Action = Create
			}
			plan.OutputChanges = append(plan.OutputChanges, oc)
		}
	}
	var names []string
	for name := range prev {
		if !seen[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		plan.OutputChanges = append(plan.OutputChanges, &OutputChange{Name: name, Action: Delete, Before: prev[name].Value,
			After: cty.NullVal(cty.DynamicPseudoType), Sensitive: prev[name].Sensitive})
	}
}

// ---------------------------------------------------------------- apply

// ApplyResult is the outcome of an apply walk.
type ApplyResult struct {
	State       *state.State
	Diagnostics diag.Diagnostics
	Counts      ApplyCounts
}

// Apply runs the apply walk in new provider processes (notes 4.1): final plans, applies, destroys.
// The returned state includes everything that was applied, even after errors.
func (c *Context) Apply(plan *Plan) *ApplyResult {
	res := &ApplyResult{}
	working := plan.PriorState.DeepCopy()
	w := c.newWalker(opApply, working, plan.Variables)
	w.plan = plan
	if plan.Mode == RefreshOnlyMode {
		// Nothing to change: the refreshed state (and outputs) become the state.
		res.State = working
		c.applyOutputs(plan, w, res)
		return res
	}
	res.Diagnostics = res.Diagnostics.Append(w.run())
	res.State = w.state
	res.Counts = w.applied
	c.applyOutputs(plan, w, res)
	return res
}

func (c *Context) applyOutputs(plan *Plan, w *walker, res *ApplyResult) {
	if res.State.Outputs == nil {
		res.State.Outputs = map[string]*state.OutputValue{}
	}
	if plan.Mode == DestroyMode {
		res.State.Outputs = map[string]*state.OutputValue{}
		return
	}
	if plan.Mode == RefreshOnlyMode {
		for _, oc := range plan.OutputChanges {
			if oc.Action == Delete {
				delete(res.State.Outputs, oc.Name)
				continue
			}
			if uv, _ := oc.After.UnmarkDeep(); uv.IsWhollyKnown() {
				res.State.Outputs[oc.Name] = &state.OutputValue{Value: oc.After, Sensitive: oc.Sensitive}
			}
		}
		return
	}
	for name := range res.State.Outputs {
		if _, ok := c.Config.Outputs[name]; !ok {
			delete(res.State.Outputs, name)
		}
	}
	for _, name := range config.SortedKeys(c.Config.Outputs) {
		o := c.Config.Outputs[name]
		v, ok := w.vals.getOutput(nil, name)
		if !ok {
			continue
		}
		uv, _ := v.UnmarkDeep()
		if !uv.IsWhollyKnown() {
			continue
		}
		if uv.IsNull() {
			delete(res.State.Outputs, name)
			continue
		}
		res.State.Outputs[name] = &state.OutputValue{Value: v, Sensitive: o.Sensitive || containsSensitive(v)}
	}
}

// addDestroyNodes adds one destroy node per resource with objects to delete and orders them
// (TF apply graph: destroy dependents first; delete-then-create replaces before the create;
// create-before-destroy after it).
func (w *walker) addDestroyNodes(g *graph) diag.Diagnostics {
	var diags diag.Diagnostics
	type info struct {
		addr     ResAddr
		pk       ProviderKey
		pure     bool // has plain deletes
		dtc, ctd bool
	}
	byRes := map[string]*info{}
	for _, c := range w.plan.Changes {
		if c.Action != Delete && !c.Action.IsReplace() {
			continue
		}
		k := c.Addr.Res.String()
		in := byRes[k]
		if in == nil {
			in = &info{addr: c.Addr.Res, pk: c.ProviderKey}
			byRes[k] = in
		}
		switch c.Action {
		case Delete:
			in.pure = true
		case DeleteThenCreate:
			in.dtc = true
		case CreateThenDelete:
			in.ctd = true
		}
	}
	resID := func(a ResAddr) string { return "res|" + modKey(a.Module) + "|" + a.Local() }
	destroyID := func(a ResAddr) string { return "destroy|" + modKey(a.Module) + "|" + a.Local() }
	// dependencies of each resource: from config (computed) and from state objects.
	deps := map[string]map[string]bool{}
	addDep := func(from, to string) {
		if deps[from] == nil {
			deps[from] = map[string]bool{}
		}
		deps[from][to] = true
	}
	for a, ds := range w.resDeps {
		for _, d := range ds {
			addDep(a, d)
		}
	}
	for _, r := range w.state.Resources {
		for _, inst := range r.Instances {
			if inst.Current != nil {
				for _, d := range inst.Current.Dependencies {
					addDep(r.Addr(), d)
				}
			}
		}
	}
	for k, in := range byRes {
		in := in
		s := w.schemaFor(in.pk)
		if s == nil || s.ResourceTypes[in.addr.Type] == nil {
			diags = diags.Append(diag.Errorf("provider %s does not support resource type %q", in.pk.Addr, in.addr.Type))
			continue
		}
		sch := s.ResourceTypes[in.addr.Type]
		m := moduleFor(w.ctx.Config, in.addr.Module)
		var rc *config.Resource
		if m != nil {
			rc = m.ManagedResources[in.addr.Type+"."+in.addr.Name]
		}
		id := destroyID(in.addr)
		n := g.add(&node{id: id, deps: []string{"provider|" + in.pk.String()}, heavy: true,
			run: func() diag.Diagnostics { return w.applyDestroy(in.addr, in.pk, sch, rc) }})
		if in.dtc {
			g.dep(resID(in.addr), id)
		}
		if in.ctd {
			n.deps = append(n.deps, resID(in.addr))
			// The deposed object goes only after its dependents moved to the replacement.
			for other := range deps {
				if deps[other][k] {
					if _, ok := g.nodes["res|"+otherModKey(other)]; ok {
						n.deps = append(n.deps, "res|"+otherModKey(other))
					}
				}
			}
		}
		// Destroy dependents first.
		for other, oin := range byRes {
			if other == k {
				continue
			}
			if deps[other][k] {
				n.deps = append(n.deps, destroyID(oin.addr))
			}
		}
		// A plain delete waits for resources that used to depend on it and are updated.
		if in.pure && !in.dtc && !in.ctd {
			for other := range deps {
				if !deps[other][k] || byRes[other] != nil {
					continue
				}
				if _, ok := g.nodes["res|"+otherModKey(other)]; ok {
					n.deps = append(n.deps, "res|"+otherModKey(other))
				}
			}
		}
	}
	return diags
}

// otherModKey converts "module.a.type.name" into the "module.a|type.name" part of a node ID.
func otherModKey(addr string) string {
	parts := strings.Split(addr, ".")
	i := 0
	for i+1 < len(parts) && parts[i] == "module" {
		i += 2
	}
	return strings.Join(parts[:i], ".") + "|" + strings.Join(parts[i:], ".")
}
