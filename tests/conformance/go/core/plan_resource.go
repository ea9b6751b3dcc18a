package core

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/objchange"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// ---------------------------------------------------------------- validate walk

func (w *walker) validateResource(m *config.Module, r *config.Resource, pk ProviderKey, sch *schema.Schema) diag.Diagnostics {
	var diags diag.Diagnostics
	addr := ResAddr{Module: m.Path, Mode: r.Mode, Type: r.Type, Name: r.Name}
	var kd keyData
	if r.Count != nil {
		kd.countIndex = cty.UnknownVal(cty.Number)
	}
	if r.ForEach != nil {
		kd.eachKey, kd.eachValue = cty.UnknownVal(cty.String), cty.DynamicVal
	}
	defer func() {
		if r.Count != nil || r.ForEach != nil {
			w.vals.setRes(m.Path, r.Key(), cty.DynamicVal)
		} else {
			w.vals.setRes(m.Path, r.Key(), cty.UnknownVal(sch.Block.ImpliedType()))
		}
	}()
	cfg, ds := w.evalResourceConfig(m, r, sch, kd)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return diags.Append(ds)
	}
	unmarked, _ := cfg.UnmarkDeep()
	if r.Mode == config.DataMode {
		return diags.Append(p.ValidateDataResourceConfig(r.Type, unmarked).InConfigBody(r.Config, addr.String()))
	}
	return diags.Append(p.ValidateResourceConfig(r.Type, unmarked).InConfigBody(r.Config, addr.String()))
}

// ---------------------------------------------------------------- plan walk

func (w *walker) setExpanded(addr ResAddr, reps []instanceRep) {
	w.expMu.Lock()
	defer w.expMu.Unlock()
	m := map[string]state.InstanceKey{}
	for _, r := range reps {
		m[state.KeyString(r.key)] = r.key
	}
	w.expanded[addr.String()] = m
}

func (w *walker) stateResource(addr ResAddr) *state.Resource {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	return w.state.Resources[state.ResourceKey(addr.Module, addr.ModeString(), addr.Type, addr.Name)]
}

// currentObject returns a copy of the instance's current object in the working state.
func (w *walker) currentObject(addr InstAddr) *state.Object {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	r := w.state.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
	if r == nil {
		return nil
	}
	inst := r.Instances[state.KeyString(addr.Key)]
	if inst == nil || inst.Current == nil {
		return nil
	}
	c := *inst.Current
	return &c
}

// setObject writes (or, with nil, removes) an instance's current object in the working state.
func (w *walker) setObject(addr InstAddr, pk ProviderKey, each string, obj *state.Object) {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	r := w.state.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
	if r == nil {
		if obj == nil {
			return
		}
		r = w.state.Resource(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name, pk.String())
	}
	if each != "-" {
		r.Each = each
	}
	w.state.SetCurrent(r, addr.Key, obj)
}

func (w *walker) addChange(c *Change) {
	w.planMu.Lock()
	defer w.planMu.Unlock()
	w.plan.Changes = append(w.plan.Changes, c)
}

func (w *walker) addDrift(c *Change) {
	w.planMu.Lock()
	defer w.planMu.Unlock()
	w.plan.Drift = append(w.plan.Drift, c)
}

func (w *walker) planResource(m *config.Module, r *config.Resource, addr ResAddr, pk ProviderKey, sch *schema.Schema) diag.Diagnostics {
	var diags diag.Diagnostics
	if w.op == opPlanDestroy {
		// Destroy mode: every object in state is planned for deletion (the refresh ran in its own
		// walk before, as Terraform's pre-destroy refresh does).
		w.vals.setRes(m.Path, r.Key(), cty.DynamicVal)
		sr := w.stateResource(addr)
		if sr == nil {
			return nil
		}
		p, ds := w.provider(pk)
		if ds.HasErrors() {
			return ds
		}
		reps := []instanceRep{}
		for _, inst := range sr.SortedInstances() {
			reps = append(reps, instanceRep{key: inst.Key})
		}
		_, ds = w.forEachInstance(reps, func(rep instanceRep) (cty.Value, diag.Diagnostics) {
			return cty.DynamicVal, w.planOrphanInstance(addr.Instance(rep.key), pk, p, sch, r)
		})
		return diags.Append(ds)
	}
	reps, each, ds := w.expand(m, r)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	w.setExpanded(addr, reps)
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return diags.Append(ds)
	}
	vals, ds := w.forEachInstance(reps, func(rep instanceRep) (cty.Value, diag.Diagnostics) {
		ia := addr.Instance(rep.key)
		if r.Mode == config.DataMode {
			return w.planDataInstance(m, r, ia, pk, p, sch, rep.kd, each)
		}
		return w.planManagedInstance(m, r, ia, pk, p, sch, rep.kd, each)
	})
	diags = diags.Append(ds)
	// Instances in state that the expansion no longer has are orphans: destroyed.
	if sr := w.stateResource(addr); sr != nil {
		for _, inst := range sr.SortedInstances() {
			if _, ok := vals[state.KeyString(inst.Key)]; ok {
				continue
			}
			w.sem <- struct{}{}
			diags = diags.Append(w.planOrphanInstance(addr.Instance(inst.Key), pk, p, sch, r))
			<-w.sem
			reason := "delete_because_each_key"
			if _, isInt := inst.Key.(int); isInt {
				reason = "delete_because_count_index"
			}
			if inst.Key == nil {
				reason = "delete_because_no_resource_config"
			}
			if c := w.planChangeFor(addr.Instance(inst.Key)); c != nil {
				c.ActionReason = reason
			}
		}
	}
	w.vals.setRes(m.Path, r.Key(), resourceValue(each, reps, vals))
	return diags
}

// upgradeObject decodes a stored object through UpgradeResourceState (called for every object on
// every run, notes 1.3 and 3.7) and applies the stored sensitive marks.
func (w *walker) upgradeObject(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, obj *state.Object) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	if obj.Value != cty.NilVal {
		return obj.Value, nil
	}
	if obj.SchemaVersion > sch.Version {
		return cty.NilVal, diags.Append(diag.Sourceless(diag.Error, "Resource instance managed by newer provider version",
			fmt.Sprintf("The current state of %s was created by a newer provider version than is currently selected. Upgrade the %s provider to work with this state.", addr, pk.Addr.ForDisplay())))
	}
	raw := obj.AttrsJSON
	if obj.SchemaVersion == sch.Version {
		raw = stripRemovedAttributes(raw, sch.Block)
	}
	if addr.Res.Mode == config.DataMode {
		// Data source state is not upgraded by the provider; decode directly.
		v, err := (&state.Object{AttrsJSON: raw, SensitivePaths: obj.SensitivePaths}).Decode(sch.Block.ImpliedType())
		if err != nil {
			return cty.NilVal, diags.Append(diag.Errorf("failed to decode state of %s: %s", addr, err))
		}
		return v, nil
	}
	resp := p.UpgradeResourceState(addr.Res.Type, obj.SchemaVersion, raw)
	diags = diags.Append(resp.Diagnostics)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	nv := resp.UpgradedState
	for _, err := range nv.Type().TestConformance(sch.Block.ImpliedType()) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Invalid resource state upgrade",
			fmt.Sprintf("The %s provider upgraded the state for %s from a previous version, but produced an invalid result: %s.", pk.Addr.String(), addr, diag.FormatError(err))))
	}
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if !nv.IsWhollyKnown() {
		return cty.NilVal, diags.Append(diag.Sourceless(diag.Error, "Invalid resource state upgrade",
			fmt.Sprintf("The %s provider upgraded the state for %s from a previous version, but produced an invalid result: The returned state contains unknown values.", pk.Addr.String(), addr)))
	}
	var pvm []cty.PathValueMarks
	for _, path := range obj.SensitivePaths {
		pvm = append(pvm, cty.PathValueMarks{Path: path, Marks: cty.NewValueMarks(schema.Sensitive)})
	}
	return nv.MarkWithPaths(pvm), diags
}

// stripRemovedAttributes drops attributes the current schema no longer has (Terraform does this
// before UpgradeResourceState when the schema version is unchanged).
func stripRemovedAttributes(raw []byte, b *schema.Block) []byte {
	var m map[string]interface{}
	dec := jsonDecoder(raw)
	if err := dec.Decode(&m); err != nil {
		return raw
	}
	changed := stripMap(m, b)
	if !changed {
		return raw
	}
	out, err := jsonMarshal(m)
	if err != nil {
		return raw
	}
	return out
}

func stripMap(m map[string]interface{}, b *schema.Block) bool {
	changed := false
	for k, v := range m {
		if _, ok := b.Attributes[k]; ok {
			continue
		}
		nb, ok := b.BlockTypes[k]
		if !ok {
			delete(m, k)
			changed = true
			continue
		}
		switch bv := v.(type) {
		case map[string]interface{}:
			if nb.Nesting == schema.NestingMap {
				for _, e := range bv {
					if em, ok := e.(map[string]interface{}); ok && stripMap(em, &nb.Block) {
						changed = true
					}
				}
			} else if stripMap(bv, &nb.Block) {
				changed = true
			}
		case []interface{}:
			for _, e := range bv {
				if em, ok := e.(map[string]interface{}); ok && stripMap(em, &nb.Block) {
					changed = true
				}
			}
		}
	}
	return changed
}

// refreshInstance calls ReadResource and applies Terraform's checks (notes 4.6).
func (w *walker) refreshInstance(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, prior cty.Value, private []byte) (cty.Value, []byte, diag.Diagnostics) {
	var diags diag.Diagnostics
	w.ctx.ui("%s: Refreshing state...%s", addr, idSuffix(prior))
	unmarked, pvm := prior.UnmarkDeepWithPaths()
	resp := p.ReadResource(provider.ReadResourceRequest{TypeName: addr.Res.Type, PriorState: unmarked, Private: private})
	rd := resp.Diagnostics
	if r != nil {
		rd = rd.InConfigBody(r.Config, addr.String())
	}
	diags = diags.Append(rd)
	if diags.HasErrors() {
		return prior, private, diags
	}
	nv := resp.NewState
	for _, err := range nv.Type().TestConformance(sch.Block.ImpliedType()) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q planned an invalid value for %s during refresh: %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.Addr.String(), addr, diag.FormatError(err))))
	}
	if diags.HasErrors() {
		return prior, private, diags
	}
	if !nv.IsNull() && !nv.IsWhollyKnown() {
		return prior, private, diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q planned an invalid value for %s during refresh: The returned state contains unknown values.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.Addr.String(), addr)))
	}
	for _, path := range sch.Block.NonNullWriteOnlyPaths(nv, nil) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q returned a value for the write-only attribute \"%s%s\" during refresh. Write-only attributes cannot be read back from the provider. This is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr, diag.FormatCtyPath(path))))
	}
	if diags.HasErrors() {
		return prior, private, diags
	}
	if len(pvm) > 0 && !nv.IsNull() {
		nv = nv.MarkWithPaths(pvm)
	}
	return nv, resp.Private, diags
}

// idSuffix is the " [id=...]" Terraform's UI adds when the object has a known string id.
func idSuffix(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().IsObjectType() || !v.Type().HasAttribute("id") {
		return ""
	}
	id := v.GetAttr("id")
	if id.IsNull() || !id.IsKnown() || id.Type() != cty.String {
		return ""
	}
	return " [id=" + id.AsString() + "]"
}

// markValue applies the schema's sensitive attributes plus the given paths (TF evaluator).
func markValue(v cty.Value, sch *schema.Schema, pvm []cty.PathValueMarks) cty.Value {
	if v == cty.NilVal {
		return v
	}
	uv, existing := v.UnmarkDeepWithPaths()
	all := append(append([]cty.PathValueMarks{}, existing...), pvm...)
	all = append(all, sch.Block.ValueMarks(uv, schema.Sensitive, nil)...)
	return uv.MarkWithPaths(all)
}

func (w *walker) planManagedInstance(m *config.Module, r *config.Resource, addr InstAddr, pk ProviderKey, p provider.Interface, sch *schema.Schema, kd keyData, each string) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	obj := w.currentObject(addr)
	var prior cty.Value
	var priorPrivate []byte
	tainted := false
	if obj != nil {
		v, ds := w.upgradeObject(p, pk, addr, sch, obj)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return cty.DynamicVal, diags
		}
		prior, priorPrivate, tainted = v, obj.Private, obj.Tainted
		// Keep the upgraded object in the working state the apply will start from.
		if err := obj.Encode(v, sch.Block.ImpliedType()); err == nil {
			obj.SchemaVersion = sch.Version
			w.setObject(addr, pk, each, obj)
		}
	}
	var importing *config.Import
	var importID string
	var importedPrivate []byte
	if obj == nil && w.op == opPlan {
		importing = w.imports[addr.String()]
	}
	if importing != nil {
		s := &scope{w: w, mod: w.ctx.Config}
		idv, ds := s.eval(importing.ID, cty.String)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return cty.DynamicVal, diags
		}
		idv, _ = idv.Unmark()
		if !idv.IsKnown() || idv.IsNull() || idv.Type() != cty.String {
			return cty.DynamicVal, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid import id argument",
				Detail: "The import ID cannot be unknown or null.", Subject: importing.ID.Range().Ptr()})
		}
		importID = idv.AsString()
		v, priv, ds := w.importInstance(p, pk, addr, sch, r, importID, importing.DeclRange.Ptr())
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return cty.DynamicVal, diags
		}
		prior, priorPrivate, importedPrivate = v, priv, priv
	} else if obj != nil && w.refresh {
		nv, priv, ds := w.refreshInstance(p, pk, addr, sch, r, prior, priorPrivate)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return cty.DynamicVal, diags
		}
		w.recordDrift(addr, pk, sch, prior, nv)
		if nv.IsNull() {
			// "removing state object": the next plan proposes a create (notes 4.6).
			w.setObject(addr, pk, "-", nil)
			obj, prior, priorPrivate, tainted = nil, cty.NilVal, nil, false
		} else {
			nobj := *obj
			if err := nobj.Encode(nv, sch.Block.ImpliedType()); err != nil {
				return cty.DynamicVal, diags.Append(diag.Errorf("failed to encode %s in state: %s", addr, err))
			}
			nobj.Private = priv
			w.setObject(addr, pk, each, &nobj)
			obj, prior, priorPrivate = &nobj, nv, priv
		}
	}
	if w.op == opPlanRefreshOnly {
		if obj == nil {
			return cty.DynamicVal, diags
		}
		return markValue(prior, sch, nil), diags
	}
	if ds := w.checkRules(m, r.Preconditions, kd, "Resource precondition", addr.String()); ds.HasErrors() {
		return cty.DynamicVal, diags.Append(ds)
	}
	cfg, ds := w.evalResourceConfig(m, r, sch, kd)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return cty.DynamicVal, diags
	}
	priorForPlan := cty.NullVal(sch.Block.ImpliedType())
	var priorTainted cty.Value
	if obj != nil || importing != nil {
		if tainted {
			priorTainted = prior
		} else {
			priorForPlan = prior
		}
	}
	ch, ds := w.planChange(p, pk, addr, sch, r, cfg, priorForPlan, priorPrivate, nil, w.replace[addr.String()])
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return cty.DynamicVal, diags
	}
	if ch.Action == Create && priorTainted != cty.NilVal {
		ch.Action, ch.Before, ch.ActionReason = DeleteThenCreate, priorTainted, "replace_because_tainted"
		if r.CreateBeforeDestroy {
			ch.Action = CreateThenDelete
		}
	}
	if (ch.Action == Delete || ch.Action.IsReplace()) && r.PreventDestroy {
		return cty.DynamicVal, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Instance cannot be destroyed",
			Detail:  fmt.Sprintf("Resource %s has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target flag.", addr),
			Subject: r.DeclRange.Ptr()})
	}
	ch.CreateBeforeDestroy = r.CreateBeforeDestroy
	if importing != nil {
		ch.ImportingID = importID
		ch.ImportedPrivate = importedPrivate
	}
	w.addChange(ch)
	post := kd
	post.self = markValue(ch.After, sch, nil)
	diags = diags.Append(w.checkRules(m, r.Postconditions, post, "Resource postcondition", addr.String()))
	return markValue(ch.After, sch, nil), diags
}

// importInstance: ImportResourceState then ReadResource (notes 4.8).
func (w *walker) importInstance(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, id string, subject *hcl.Range) (cty.Value, []byte, diag.Diagnostics) {
	var diags diag.Diagnostics
	w.ctx.ui("%s: Preparing import... [id=%s]", addr, id)
	resp := p.ImportResourceState(addr.Res.Type, id)
	diags = diags.Append(resp.Diagnostics)
	if diags.HasErrors() {
		return cty.NilVal, nil, diags
	}
	switch {
	case len(resp.ImportedResources) == 0:
		return cty.NilVal, nil, diags.Append(diag.Sourceless(diag.Error, "Import returned no resources",
			fmt.Sprintf("While attempting to import with ID %s, the provider returned no instance states.", id)))
	case len(resp.ImportedResources) > 1:
		return cty.NilVal, nil, diags.Append(diag.Sourceless(diag.Error, "Multiple import states not supported",
			fmt.Sprintf("While attempting to import with ID %s, the provider returned multiple resource instance states. This is not currently supported.", id)))
	}
	ir := resp.ImportedResources[0]
	if ir.TypeName == "" {
		return cty.NilVal, nil, diags.Append(diag.Errorf("import of %s didn't set type", addr))
	}
	for _, path := range sch.Block.NonNullWriteOnlyPaths(ir.State, nil) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Import returned a non-null value for a write-only attribute",
			fmt.Sprintf("While attempting to import with ID %s, the provider %q returned a value for the write-only attribute \"%s%s\". Write-only attributes cannot be read back from the provider. This is a bug in the provider, which should be reported in the provider's own issue tracker.", id, pk.String(), addr, diag.FormatCtyPath(path))))
	}
	if diags.HasErrors() {
		return cty.NilVal, nil, diags
	}
	if ir.State.IsNull() {
		return cty.NilVal, nil, diags.Append(diag.Sourceless(diag.Error, "Import returned null resource",
			fmt.Sprintf("While attempting to import with ID %s, the provider returned an instance with no state.", id)))
	}
	nv, priv, ds := w.refreshInstance(p, pk, addr, sch, r, ir.State, ir.Private)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return cty.NilVal, nil, diags
	}
	if nv.IsNull() {
		return cty.NilVal, nil, diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Cannot import non-existent remote object",
			Detail: fmt.Sprintf("While attempting to import an existing object to %q, the provider detected that no object exists with the given id. Only pre-existing objects can be imported; check that the id is correct and that it is associated with the provider's configured region or endpoint, or use \"terraform apply\" to create a new remote object for this resource.", addr.String()),
			Subject: subject})
	}
	return nv, priv, diags
}

func (w *walker) recordDrift(addr InstAddr, pk ProviderKey, sch *schema.Schema, before, after cty.Value) {
	ub, _ := before.UnmarkDeep()
	ua, _ := after.UnmarkDeep()
	if ua.IsNull() {
		w.addDrift(&Change{Addr: addr, ProviderKey: pk, Action: Delete, Before: before, After: cty.NullVal(ub.Type()), Schema: sch})
		return
	}
	if eq := ub.Equals(ua); eq.IsKnown() && eq.True() {
		return
	}
	w.addDrift(&Change{Addr: addr, ProviderKey: pk, Action: Update, Before: before, After: after, Schema: sch})
}

// planChange is Terraform's NodeAbstractResourceInstance.plan (notes 4.2-4.4): validate the config
// again, apply ignore_changes, build the proposed new state, call PlanResourceChange, check the
// planned state, decide the action, re-plan from a null prior for a replacement.
func (w *walker) planChange(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, cfg, prior cty.Value, priorPrivate []byte, prev *Change, forceReplace bool) (*Change, diag.Diagnostics) {
	var diags diag.Diagnostics
	provAddr := pk.Addr.String()
	ty := sch.Block.ImpliedType()
	unmarkedCfgOrig, _ := cfg.UnmarkDeep()
	diags = diags.Append(p.ValidateResourceConfig(addr.Res.Type, unmarkedCfgOrig).InConfigBody(r.Config, addr.String()))
	if diags.HasErrors() {
		return nil, diags
	}
	cfgIgnored := processIgnoreChanges(r, sch, prior, cfg)
	unmarkedCfg, cfgPaths := cfgIgnored.UnmarkDeepWithPaths()
	unmarkedPrior, priorPaths := prior.UnmarkDeepWithPaths()
	proposed := objchange.ProposedNew(sch.Block, unmarkedPrior, unmarkedCfg)
	resp := p.PlanResourceChange(provider.PlanResourceChangeRequest{TypeName: addr.Res.Type, Config: unmarkedCfg,
		PriorState: unmarkedPrior, ProposedNewState: proposed, PriorPrivate: priorPrivate})
	diags = diags.Append(resp.Diagnostics.InConfigBody(r.Config, addr.String()))
	if diags.HasErrors() {
		return nil, diags
	}
	planned := resp.PlannedState
	plannedPrivate := resp.PlannedPrivate
	for _, err := range planned.Type().TestConformance(ty) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid plan",
			fmt.Sprintf("Provider %q planned an invalid value for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", provAddr, diag.FormatErrorPrefixed(err, addr.String()))))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if errs := objchange.AssertPlanValid(sch.Block, unmarkedPrior, unmarkedCfg, planned); len(errs) > 0 {
		if resp.LegacyTypeSystem {
			// Terraform only logs these for the legacy SDK; non-SDKv2 providers must not set it (notes 4.3).
			diags = diags.Append(diag.Sourceless(diag.Warning, "Provider set legacy_type_system",
				fmt.Sprintf("Provider %q produced an invalid plan for %s, which Terraform tolerates only because legacy_type_system is set (reserved for the legacy SDK):\n  - %s", provAddr, addr, joinErrs(errs))))
		} else {
			for _, err := range errs {
				diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid plan",
					fmt.Sprintf("Provider %q planned an invalid value for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", provAddr, diag.FormatErrorPrefixed(err, addr.String()))))
			}
			return nil, diags
		}
	}
	for _, path := range sch.Block.NonNullWriteOnlyPaths(planned, nil) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid plan",
			fmt.Sprintf("Provider %q returned a value for the write-only attribute \"%s%s\" during planning. Write-only attributes cannot be read back from the provider. This is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr, diag.FormatCtyPath(path))))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	// requires_replace, filtered to paths whose value actually changes (notes 4.4).
	var reqRep []cty.Path
	if !prior.IsNull() {
		for _, path := range resp.RequiresReplace {
			pv, perr := applyPath(unmarkedPrior, path)
			nv, nerr := applyPath(planned, path)
			if perr != nil && nerr != nil {
				diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid plan",
					fmt.Sprintf("Provider %q has indicated \"requires replacement\" on %s for a non-existent attribute path %#v.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", provAddr, addr, path)))
				continue
			}
			switch {
			case pv == cty.NilVal:
				pv = cty.NullVal(nv.Type())
			case nv == cty.NilVal:
				nv = cty.NullVal(pv.Type())
			}
			if eq := nv.Equals(pv); !eq.IsKnown() || eq.False() {
				reqRep = append(reqRep, path)
			}
		}
		if diags.HasErrors() {
			return nil, diags
		}
	}
	eqV := planned.Equals(unmarkedPrior)
	eq := eqV.IsKnown() && eqV.True()
	var action Action
	reason := ""
	switch {
	case prior.IsNull():
		action = Create
	case eq && !forceReplace:
		action = NoOp
	case forceReplace || len(reqRep) > 0:
		// -replace takes the same branch as requires_replace (TF plan() matchedForceReplace): one
		// ValidateResourceConfig, then the second PlanResourceChange from a null prior below.
		action = DeleteThenCreate
		if r.CreateBeforeDestroy {
			action = CreateThenDelete
		}
		reason = "replace_because_cannot_update"
		if forceReplace {
			reason = "replace_by_request"
		}
	default:
		action = Update
	}
	// The change carries the configuration's marks only; schema sensitivity is added when the value
	// is referenced (TF evaluator) and when rendering.
	plannedMarked := planned.MarkWithPaths(cfgPaths)
	if action.IsReplace() {
		// Plan again from a null prior, with the first plan's planned_private (notes 4.2 "Replace").
		nullPrior := cty.NullVal(ty)
		proposed := objchange.ProposedNew(sch.Block, nullPrior, unmarkedCfgOrig)
		resp2 := p.PlanResourceChange(provider.PlanResourceChangeRequest{TypeName: addr.Res.Type, Config: unmarkedCfgOrig,
			PriorState: nullPrior, ProposedNewState: proposed, PriorPrivate: plannedPrivate})
		if resp2.Diagnostics.HasErrors() {
			return nil, diags.Append(resp2.Diagnostics.InConfigBody(r.Config, addr.String()))
		}
		planned, plannedPrivate = resp2.PlannedState, resp2.PlannedPrivate
		for _, err := range planned.Type().TestConformance(ty) {
			diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid plan",
				fmt.Sprintf("Provider %q planned an invalid value for %s%s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", provAddr, addr, diag.FormatError(err))))
		}
		if diags.HasErrors() {
			return nil, diags
		}
		_, origPaths := cfg.UnmarkDeepWithPaths()
		plannedMarked = planned.MarkWithPaths(origPaths)
	}
	// Only the sensitivity changed: still an update, so the state records it (TF marksEqual).
	if action == NoOp && !marksEqual(cfgPaths, priorPaths) {
		action = Update
	}
	if prev != nil && prev.Action.IsReplace() && action == Create {
		action = prev.Action
		prior = prev.Before
	}
	before := prior
	if prior.IsNull() {
		before = cty.NullVal(ty)
	}
	return &Change{Addr: addr, ProviderKey: pk, Action: action, Before: before, After: plannedMarked,
		Private: plannedPrivate, ReplacePaths: reqRep, ActionReason: reason, Schema: sch}, diags
}

func joinErrs(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, diag.FormatError(e))
	}
	return strings.Join(s, "\n  - ")
}

// applyPath is hcl.ApplyPath without source ranges.
func applyPath(v cty.Value, p cty.Path) (cty.Value, error) {
	if v.IsNull() {
		return cty.NilVal, fmt.Errorf("null")
	}
	return p.Apply(v)
}

// processIgnoreChanges keeps prior values for ignored paths (TF processIgnoreChanges; maps keyed
// per element as Terraform does).
func processIgnoreChanges(r *config.Resource, sch *schema.Schema, prior, cfg cty.Value) cty.Value {
	if prior.IsNull() || cfg.IsNull() {
		return cfg
	}
	if r.IgnoreAllChanges {
		ret, _ := cty.Transform(prior, func(path cty.Path, v cty.Value) (cty.Value, error) {
			if a := sch.Block.AttributeByPath(path); a != nil && a.Computed && !a.Optional {
				return cty.NullVal(v.Type()), nil
			}
			return v, nil
		})
		return ret
	}
	if len(r.IgnoreChanges) == 0 {
		return cfg
	}
	type ignored struct {
		path  cty.Path
		value cty.Value
		key   cty.Value
	}
	var igs []ignored
	for _, t := range r.IgnoreChanges {
		path := traversalToPath(t)
		key := cty.NullVal(cty.String)
		if last, ok := path[len(path)-1].(cty.IndexStep); ok && last.Key.Type() == cty.String {
			path, key = path[:len(path)-1], last.Key
		}
		pv, err := path.Apply(prior)
		if err != nil {
			continue
		}
		cv, err := path.Apply(cfg)
		if err != nil {
			continue
		}
		if !pv.RawEquals(cv) {
			igs = append(igs, ignored{path, pv, key})
		}
	}
	if len(igs) == 0 {
		return cfg
	}
	ret, _ := cty.Transform(cfg, func(path cty.Path, v cty.Value) (cty.Value, error) {
		if !v.Type().IsMapType() {
			for _, ig := range igs {
				if path.Equals(ig.path) {
					return ig.value, nil
				}
			}
			return v, nil
		}
		if !v.IsNull() && !v.IsKnown() {
			return v, nil
		}
		v, vm := v.Unmark()
		cm := map[string]cty.Value{}
		if !v.IsNull() && v.LengthInt() > 0 {
			cm = v.AsValueMap()
		}
		for _, ig := range igs {
			if !path.Equals(ig.path) {
				continue
			}
			if ig.key.IsNull() {
				return ig.value, nil
			}
			iv, _ := ig.value.Unmark()
			pm := map[string]cty.Value{}
			if !iv.IsNull() && iv.LengthInt() > 0 {
				pm = iv.AsValueMap()
			}
			k := ig.key.AsString()
			if pe, ok := pm[k]; ok {
				cm[k] = pe
			} else {
				delete(cm, k)
			}
		}
		var nv cty.Value
		switch {
		case len(cm) > 0:
			nv = cty.MapVal(cm)
		case v.IsNull():
			nv = v
		default:
			nv = cty.MapValEmpty(v.Type().ElementType())
		}
		return nv.WithMarks(vm), nil
	})
	return ret
}

func traversalToPath(t hcl.Traversal) cty.Path {
	var p cty.Path
	for _, step := range t {
		switch ts := step.(type) {
		case hcl.TraverseRoot:
			p = p.GetAttr(ts.Name)
		case hcl.TraverseAttr:
			p = p.GetAttr(ts.Name)
		case hcl.TraverseIndex:
			p = p.Index(ts.Key)
		}
	}
	return p
}

// ---------------------------------------------------------------- data sources

func (w *walker) planDataInstance(m *config.Module, r *config.Resource, addr InstAddr, pk ProviderKey, p provider.Interface, sch *schema.Schema, kd keyData, each string) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	if w.op == opPlanDestroy {
		// A destroy plan drops data sources from state without reading them.
		w.setObject(addr, pk, "-", nil)
		return cty.DynamicVal, diags
	}
	cfg, ds := w.evalResourceConfig(m, r, sch, kd)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return cty.DynamicVal, diags
	}
	if ds := w.checkRules(m, r.Preconditions, kd, "Resource precondition", addr.String()); ds.HasErrors() {
		return cty.DynamicVal, diags.Append(ds)
	}
	unmarked, cfgPaths := cfg.UnmarkDeepWithPaths()
	pending := w.dependenciesHavePendingChanges(m, r)
	if !unmarked.IsWhollyKnown() || pending {
		if w.op == opPlanRefreshOnly {
			return cty.DynamicVal, diags
		}
		// Terraform plans the read itself, with unknown computed attributes (notes 4.1, 4.7).
		planned := objchange.PlannedDataResourceObject(sch.Block, unmarked).MarkWithPaths(cfgPaths)
		reason := "read_because_config_unknown"
		if unmarked.IsWhollyKnown() {
			reason = "read_because_dependency_pending"
		}
		before := cty.NullVal(sch.Block.ImpliedType())
		w.addChange(&Change{Addr: addr, ProviderKey: pk, Action: Read, Before: before, After: planned, ActionReason: reason, Schema: sch})
		return markValue(planned, sch, nil), diags
	}
	nv, ds := w.readDataSource(p, pk, addr, sch, r, cfg)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return cty.DynamicVal, diags
	}
	obj := &state.Object{SchemaVersion: sch.Version}
	if err := obj.Encode(nv, sch.Block.ImpliedType()); err != nil {
		return cty.DynamicVal, diags.Append(diag.Errorf("failed to encode %s in state: %s", addr, err))
	}
	w.setObject(addr, pk, each, obj)
	post := kd
	post.self = markValue(nv, sch, nil)
	diags = diags.Append(w.checkRules(m, r.Postconditions, post, "Resource postcondition", addr.String()))
	return markValue(nv, sch, nil), diags
}

// readDataSource validates and reads a data source with a wholly known config (notes 4.7).
func (w *walker) readDataSource(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, cfg cty.Value) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	unmarked, pvm := cfg.UnmarkDeepWithPaths()
	diags = diags.Append(p.ValidateDataResourceConfig(addr.Res.Type, unmarked).InConfigBody(r.Config, addr.String()))
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	w.ctx.ui("%s: Reading...", addr)
	resp := p.ReadDataSource(addr.Res.Type, unmarked, cty.NilVal)
	diags = diags.Append(resp.Diagnostics.InConfigBody(r.Config, addr.String()))
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	nv := resp.State
	for _, err := range nv.Type().TestConformance(sch.Block.ImpliedType()) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q produced an invalid value for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), diag.FormatErrorPrefixed(err, addr.String()))))
	}
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	if nv.IsNull() {
		return cty.NilVal, diags.Append(diag.Sourceless(diag.Error, "Provider produced null object",
			fmt.Sprintf("Provider %q produced a null value for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr)))
	}
	if !nv.IsWhollyKnown() {
		return cty.NilVal, diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q produced a value for %s that is not wholly known.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr)))
	}
	for _, path := range sch.Block.NonNullWriteOnlyPaths(nv, nil) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q returned a value for the write-only attribute \"%s%s\". Write-only attributes cannot be read back from the provider. This is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr, diag.FormatCtyPath(path))))
	}
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	w.ctx.ui("%s: Read complete after 0s%s", addr, idSuffix(nv))
	if len(pvm) > 0 {
		nv = nv.MarkWithPaths(pvm)
	}
	return nv, diags
}

// dependenciesHavePendingChanges: a data source whose depends_on resources have planned changes
// is read during apply (TF dependenciesHavePendingChanges).
func (w *walker) dependenciesHavePendingChanges(m *config.Module, r *config.Resource) bool {
	if len(r.DependsOn) == 0 {
		return false
	}
	ids, _ := dependsOnRefs(m, r.DependsOn)
	w.planMu.Lock()
	defer w.planMu.Unlock()
	for _, id := range ids {
		if !strings.HasPrefix(id, "res|") {
			continue
		}
		parts := strings.SplitN(id, "|", 3)
		prefix := parts[2]
		if parts[1] != "" {
			prefix = parts[1] + "." + parts[2]
		}
		if strings.HasPrefix(parts[2], "data.") {
			continue
		}
		for _, c := range w.plan.Changes {
			if c.Addr.Res.String() == prefix && c.Action != NoOp && c.Action != Read {
				return true
			}
		}
	}
	return false
}

// ---------------------------------------------------------------- orphans / destroy

func (w *walker) planOrphan(sr *state.Resource, addr ResAddr, pk ProviderKey) diag.Diagnostics {
	var diags diag.Diagnostics
	s := w.schemaFor(pk)
	if s == nil {
		return diags.Append(diag.Errorf("provider %s has no schema loaded", pk.Addr))
	}
	var sch *schema.Schema
	if addr.Mode == config.DataMode {
		// Data sources that left the configuration are just dropped from state.
		for _, inst := range sr.SortedInstances() {
			w.setObject(addr.Instance(inst.Key), pk, "-", nil)
		}
		return nil
	}
	sch = s.ResourceTypes[addr.Type]
	if sch == nil {
		return diags.Append(diag.Errorf("provider %s does not support resource type %q", pk.Addr, addr.Type))
	}
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return ds
	}
	for _, inst := range sr.SortedInstances() {
		ia := addr.Instance(inst.Key)
		diags = diags.Append(w.planOrphanInstance(ia, pk, p, sch, nil))
		if c := w.planChangeFor(ia); c != nil && w.op != opPlanDestroy {
			c.ActionReason = "delete_because_no_resource_config"
		}
	}
	return diags
}

func (w *walker) planChangeFor(addr InstAddr) *Change {
	w.planMu.Lock()
	defer w.planMu.Unlock()
	return w.plan.change(addr, "")
}

// planOrphanInstance refreshes an object that has no configuration any more and plans its
// deletion (or, in destroy mode, every object's deletion).
func (w *walker) planOrphanInstance(addr InstAddr, pk ProviderKey, p provider.Interface, sch *schema.Schema, r *config.Resource) diag.Diagnostics {
	var diags diag.Diagnostics
	if addr.Res.Mode == config.DataMode {
		w.setObject(addr, pk, "-", nil)
		return nil
	}
	obj := w.currentObject(addr)
	if obj == nil {
		return nil
	}
	v, ds := w.upgradeObject(p, pk, addr, sch, obj)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	private := obj.Private
	if w.refresh {
		nv, priv, ds := w.refreshInstance(p, pk, addr, sch, r, v, private)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return diags
		}
		w.recordDrift(addr, pk, sch, v, nv)
		if nv.IsNull() {
			w.setObject(addr, pk, "-", nil)
			return diags
		}
		nobj := *obj
		if err := nobj.Encode(nv, sch.Block.ImpliedType()); err != nil {
			return diags.Append(diag.Errorf("failed to encode %s in state: %s", addr, err))
		}
		nobj.Private = priv
		w.setObject(addr, pk, "-", &nobj)
		v, private = nv, priv
	}
	if w.op == opPlanRefreshOnly {
		return diags
	}
	ch, ds := w.planDestroy(p, pk, addr, sch, r, v, private)
	diags = diags.Append(ds)
	if ch != nil {
		if r != nil && r.PreventDestroy {
			return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Instance cannot be destroyed",
				Detail:  fmt.Sprintf("Resource %s has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target flag.", addr),
				Subject: r.DeclRange.Ptr()})
		}
		w.addChange(ch)
	}
	return diags
}

// planDestroy: the provider plans a destroy only with the plan_destroy capability; otherwise the
// client does it (notes 1.3, 4.2 "Delete").
func (w *walker) planDestroy(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, prior cty.Value, private []byte) (*Change, diag.Diagnostics) {
	var diags diag.Diagnostics
	unmarked, _ := prior.UnmarkDeep()
	null := cty.NullVal(unmarked.Type())
	resp := p.PlanResourceChange(provider.PlanResourceChangeRequest{TypeName: addr.Res.Type, Config: null,
		PriorState: unmarked, ProposedNewState: null, PriorPrivate: private})
	rd := resp.Diagnostics
	if r != nil {
		rd = rd.InConfigBody(r.Config, addr.String())
	}
	diags = diags.Append(rd)
	if diags.HasErrors() {
		return nil, diags
	}
	if !resp.PlannedState.IsNull() {
		return nil, diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid plan",
			fmt.Sprintf("Provider %q planned a non-null destroy value for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.Addr.String(), addr)))
	}
	return &Change{Addr: addr, ProviderKey: pk, Action: Delete, Before: prior, After: cty.NullVal(sch.Block.ImpliedType()),
		Private: resp.PlannedPrivate, Schema: sch}, diags
}

var _ = sort.Strings

// marksEqual compares the sensitive paths of two values.
func marksEqual(a, b []cty.PathValueMarks) bool {
	set := func(pvm []cty.PathValueMarks) map[string]bool {
		m := map[string]bool{}
		for _, pm := range pvm {
			if _, ok := pm.Marks[schema.Sensitive]; ok {
				m[fmt.Sprintf("%#v", pm.Path)] = true
			}
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
