package core

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/objchange"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

func (w *walker) valueFromState(addr InstAddr, sch *schema.Schema) cty.Value {
	obj := w.currentObject(addr)
	if obj == nil {
		return cty.DynamicVal
	}
	if obj.Value != cty.NilVal {
		return markValue(obj.Value, sch, nil)
	}
	v, err := obj.Decode(sch.Block.ImpliedType())
	if err != nil {
		return cty.DynamicVal
	}
	return markValue(v, sch, nil)
}

func (w *walker) applyResource(m *config.Module, r *config.Resource, addr ResAddr, pk ProviderKey, sch *schema.Schema) diag.Diagnostics {
	var diags diag.Diagnostics
	if w.plan.Mode == DestroyMode {
		w.vals.setRes(m.Path, r.Key(), cty.DynamicVal)
		return nil
	}
	reps, each, ds := w.expand(m, r)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return diags.Append(ds)
	}
	vals, ds := w.forEachInstance(reps, func(rep instanceRep) (cty.Value, diag.Diagnostics) {
		ia := addr.Instance(rep.key)
		ch := w.plan.change(ia, "")
		switch {
		case r.Mode == config.DataMode && ch != nil && ch.Action == Read:
			return w.applyDataRead(m, r, ia, pk, p, sch, rep.kd, each)
		case r.Mode == config.DataMode, ch == nil, ch.Action == Delete:
			return w.valueFromState(ia, sch), nil
		}
		return w.applyManagedInstance(m, r, ia, pk, p, sch, rep.kd, ch, each)
	})
	diags = diags.Append(ds)
	w.vals.setRes(m.Path, r.Key(), resourceValue(each, reps, vals))
	return diags
}

func (w *walker) applyDataRead(m *config.Module, r *config.Resource, addr InstAddr, pk ProviderKey, p provider.Interface, sch *schema.Schema, kd keyData, each string) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	cfg, ds := w.evalResourceConfig(m, r, sch, kd)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return cty.DynamicVal, diags
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
	return markValue(nv, sch, nil), diags
}

// reupgrade re-reads a stored object through UpgradeResourceState, as Terraform's apply does when
// it loads the prior state of an instance it is about to change.
func (w *walker) reupgrade(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, obj *state.Object) (cty.Value, diag.Diagnostics) {
	fresh := *obj
	fresh.Value = cty.NilVal
	return w.upgradeObject(p, pk, addr, sch, &fresh)
}

func (w *walker) applyManagedInstance(m *config.Module, r *config.Resource, addr InstAddr, pk ProviderKey, p provider.Interface, sch *schema.Schema, kd keyData, planned *Change, each string) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	ty := sch.Block.ImpliedType()
	obj := w.currentObject(addr)
	prior := cty.NullVal(ty)
	var priorPrivate []byte
	if planned.ImportingID != "" && obj == nil {
		// The plan imported this object: it enters the state now (TF >= 1.5 import blocks).
		w.ctx.ui("%s: Importing... [id=%s]", addr, planned.ImportingID)
		iobj := &state.Object{SchemaVersion: sch.Version, Private: planned.ImportedPrivate}
		if err := iobj.Encode(planned.Before, ty); err != nil {
			return cty.DynamicVal, diags.Append(diag.Errorf("failed to encode %s in state: %s", addr, err))
		}
		w.setObject(addr, pk, each, iobj)
		w.ctx.ui("%s: Import complete [id=%s]", addr, planned.ImportingID)
		obj = iobj
		w.countImport()
	}
	if planned.Action == NoOp {
		return w.valueFromState(addr, sch), diags
	}
	if obj != nil && !obj.Tainted && planned.Action != DeleteThenCreate {
		v, ds := w.reupgrade(p, pk, addr, sch, obj)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			return cty.DynamicVal, diags
		}
		prior, priorPrivate = v, obj.Private
	}
	deposed := ""
	if planned.Action == CreateThenDelete && obj != nil {
		// create_before_destroy: the old object becomes deposed until the destroy node deletes it.
		deposed = w.depose(addr, pk)
		prior, priorPrivate = cty.NullVal(ty), nil
	}
	if planned.Action == DeleteThenCreate {
		prior, priorPrivate = cty.NullVal(ty), nil
	}
	if ds := w.checkRules(m, r.Preconditions, kd, "Resource precondition", addr.String()); ds.HasErrors() {
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags.Append(ds)
	}
	cfg, ds := w.evalResourceConfig(m, r, sch, kd)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags
	}
	if uc, _ := cfg.UnmarkDeep(); !uc.IsWhollyKnown() {
		var paths []string
		cty.Walk(uc, func(p cty.Path, v cty.Value) (bool, error) {
			if !v.IsKnown() {
				paths = append(paths, fmt.Sprintf("%#v", p))
			}
			return true, nil
		})
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags.Append(diag.Sourceless(diag.Error, "Configuration contains unknown value",
			fmt.Sprintf("configuration for %s still contains unknown values during apply (this is a bug in Terraform; please report it!)\nThe following paths in the resource configuration are unknown:\n%s", addr, strings.Join(paths, "\n"))))
	}
	// The final plan, with the values learned so far (notes 4.1, 4.5).
	final, ds := w.planChange(p, pk, addr, sch, r, cfg, prior, priorPrivate, planned, false)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags
	}
	diags = diags.Append(checkPlannedChange(addr, pk, sch, planned, final))
	if diags.HasErrors() {
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags
	}
	if final.Action == NoOp {
		return w.valueFromState(addr, sch), diags
	}
	if final.Action == Update && obj != nil {
		// Only the sensitivity changed: record it without calling the provider (TF apply()).
		ub, pb := final.Before.UnmarkDeepWithPaths()
		ua, pa := final.After.UnmarkDeepWithPaths()
		if eq := ub.Equals(ua); eq.IsKnown() && eq.True() && !marksEqual(pb, pa) {
			nobj := *obj
			if err := nobj.Encode(final.After, ty); err == nil {
				w.setObject(addr, pk, each, &nobj)
			}
			w.countApplied(Update)
			return markValue(final.After, sch, nil), diags
		}
	}
	nv, ds := w.apply(p, pk, addr, sch, r, cfg, final, prior, obj, each, deposed)
	diags = diags.Append(ds)
	if !ds.HasErrors() {
		post := kd
		post.self = nv
		diags = diags.Append(w.checkRules(m, r.Postconditions, post, "Resource postcondition", addr.String()))
	}
	return nv, diags
}

// checkPlannedChange compares the final plan with the saved one (TF node_resource_apply_instance.go
// checkPlannedChange; notes 4.5).
func checkPlannedChange(addr InstAddr, pk ProviderKey, sch *schema.Schema, planned, actual *Change) diag.Diagnostics {
	var diags diag.Diagnostics
	if planned.Action != actual.Action {
		switch {
		case planned.Action == Update && actual.Action == NoOp:
		case (planned.Action == CreateThenDelete && actual.Action == DeleteThenCreate) ||
			(planned.Action == DeleteThenCreate && actual.Action == CreateThenDelete):
			diags = diags.Append(diag.Sourceless(diag.Error, "Terraform produced inconsistent final plan",
				fmt.Sprintf("When expanding the plan for %s to include new values learned so far during apply, the planned action changed from %s to %s.\n\nThis is a bug in Terraform and should be reported.", addr, planned.Action, actual.Action)))
		default:
			diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced inconsistent final plan",
				fmt.Sprintf("When expanding the plan for %s to include new values learned so far during apply, provider %q changed the planned action from %s to %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", addr, pk.Addr.String(), planned.Action, actual.Action)))
		}
	}
	for _, err := range objchange.AssertObjectCompatible(sch.Block, planned.After, actual.After) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced inconsistent final plan",
			fmt.Sprintf("When expanding the plan for %s to include new values learned so far during apply, provider %q produced an invalid new value for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", addr, pk.Addr.String(), diag.FormatError(err))))
	}
	return diags
}

func (w *walker) countImport() {
	w.planMu.Lock()
	defer w.planMu.Unlock()
	w.applied.imported++
}

func verb(a Action) (string, string) {
	switch a {
	case Create, DeleteThenCreate, CreateThenDelete:
		return "Creating...", "Creation complete"
	case Update:
		return "Modifying...", "Modifications complete"
	case Delete:
		return "Destroying...", "Destruction complete"
	}
	return "Applying...", "Apply complete"
}

// apply calls ApplyResourceChange and enforces Terraform's rules on the result (TF
// NodeAbstractResourceInstance.apply; notes 4.5). The new object (even a partial one after an
// error) is written to the working state; a failed create is tainted.
func (w *walker) apply(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, cfg cty.Value, ch *Change, prior cty.Value, priorObj *state.Object, each, deposed string) (cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	ty := sch.Block.ImpliedType()
	start, done := verb(ch.Action)
	suffix := ""
	if ch.Action == Update {
		suffix = idSuffix(prior)
	}
	w.ctx.ui("%s: %s%s", addr, start, suffix)
	t0 := time.Now()
	unmarkedCfg, _ := cfg.UnmarkDeep()
	unmarkedBefore, _ := prior.UnmarkDeepWithPaths()
	unmarkedAfter, afterPaths := ch.After.UnmarkDeepWithPaths()
	resp := p.ApplyResourceChange(provider.ApplyResourceChangeRequest{TypeName: addr.Res.Type, PriorState: unmarkedBefore,
		PlannedState: unmarkedAfter, Config: unmarkedCfg, PlannedPrivate: ch.Private})
	applyDiags := resp.Diagnostics
	if r != nil {
		applyDiags = applyDiags.InConfigBody(r.Config, addr.String())
	}
	diags = diags.Append(applyDiags)
	nv := resp.NewState
	if nv == cty.NilVal {
		nv = prior
		if unmarkedAfter.IsNull() {
			nv = cty.NullVal(ty)
		}
		if !diags.HasErrors() {
			diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
				fmt.Sprintf("Provider %q produced an invalid nil value after apply for %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr)))
		}
	} else if len(afterPaths) > 0 {
		nv = nv.MarkWithPaths(afterPaths)
	}
	uv, _ := nv.UnmarkDeep()
	for _, err := range uv.Type().TestConformance(ty) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q produced an invalid value after apply for %s. The result cannot not be saved in the Terraform state.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), diag.FormatErrorPrefixed(err, addr.String()))))
	}
	if uv.Type().TestConformance(ty) != nil {
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags
	}
	if !uv.IsWhollyKnown() {
		cty.Walk(uv, func(path cty.Path, v cty.Value) (bool, error) {
			if !v.IsKnown() {
				diags = diags.Append(diag.Sourceless(diag.Error, "Provider returned invalid result object after apply",
					fmt.Sprintf("After the apply operation, the provider still indicated an unknown value for %s%s. All values must be known after apply, so this is always a bug in the provider and should be reported in the provider's own repository. Terraform will still save the other known object values in the state.", addr, diag.FormatCtyPath(path))))
			}
			return true, nil
		})
		nv = cty.UnknownAsNull(nv)
		uv = cty.UnknownAsNull(uv)
	}
	woPaths := sch.Block.NonNullWriteOnlyPaths(uv, nil)
	for _, path := range woPaths {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced invalid object",
			fmt.Sprintf("Provider %q returned a value for the write-only attribute \"%s%s\" after apply. Write-only attributes cannot be read back from the provider. This is a bug in the provider, which should be reported in the provider's own issue tracker.", pk.String(), addr, diag.FormatCtyPath(path))))
	}
	if len(woPaths) > 0 {
		// Never store write-only values (notes 1.2 "6.8").
		nv = sch.Block.NullWriteOnly(nv)
	}
	if !diags.HasErrors() {
		if errs := objchange.AssertObjectCompatible(sch.Block, ch.After, nv); len(errs) > 0 {
			if resp.LegacyTypeSystem {
				diags = diags.Append(diag.Sourceless(diag.Warning, "Provider set legacy_type_system",
					fmt.Sprintf("Provider %q produced an unexpected new value for %s, which Terraform tolerates only because legacy_type_system is set (reserved for the legacy SDK):\n  - %s", pk.String(), addr, joinErrs(errs))))
			} else {
				for _, err := range errs {
					diags = diags.Append(diag.Sourceless(diag.Error, "Provider produced inconsistent result after apply",
						fmt.Sprintf("When applying changes to %s, provider %q produced an unexpected new value: %s.\n\nThis is a bug in the provider, which should be reported in the provider's own issue tracker.", addr, pk.String(), diag.FormatError(err))))
				}
			}
		}
	}
	if !diags.HasErrors() {
		if ch.Action == Delete && !uv.IsNull() {
			diags = diags.Append(diag.Sourceless(diag.Error, "Provider returned invalid result object after apply",
				fmt.Sprintf("After applying a %s plan, the provider returned a non-null object for %s. Destroying should always produce a null value, so this is always a bug in the provider and should be reported in the provider's own repository. Terraform will still save this errant object in the state for debugging and recovery.", ch.Action, addr)))
		}
		if ch.Action != Delete && uv.IsNull() {
			diags = diags.Append(diag.Sourceless(diag.Error, "Provider returned invalid result object after apply",
				fmt.Sprintf("After applying a %s plan, the provider returned a null object for %s. Only destroying should always produce a null value, so this is always a bug in the provider and should be reported in the provider's own repository.", ch.Action, addr)))
		}
	}
	creating := ch.Action == Create || ch.Action.IsReplace()
	switch {
	case diags.HasErrors() && uv.IsNull():
		// Keep the prior state so the error can be corrected on a later run.
		w.restoreDeposed(addr, pk, deposed)
		return cty.DynamicVal, diags
	case diags.HasErrors():
		obj := &state.Object{SchemaVersion: sch.Version, Private: resp.Private, CreateBeforeDestroy: ch.Action == CreateThenDelete,
			Dependencies: w.resDeps[addr.Res.String()]}
		if priorObj != nil && !creating {
			obj.Tainted = priorObj.Tainted
		}
		if creating {
			obj.Tainted = true // a failed create is tainted (notes 4.5)
		}
		if err := obj.Encode(nv, ty); err == nil {
			w.setObject(addr, pk, each, obj)
		}
		return markValue(nv, sch, nil), diags
	case uv.IsNull():
		w.setObject(addr, pk, each, nil)
		return cty.DynamicVal, diags
	}
	obj := &state.Object{SchemaVersion: sch.Version, Private: resp.Private, CreateBeforeDestroy: ch.Action == CreateThenDelete,
		Dependencies: w.resDeps[addr.Res.String()]}
	if err := obj.Encode(nv, ty); err != nil {
		return cty.DynamicVal, diags.Append(diag.Errorf("failed to encode %s in state: %s", addr, err))
	}
	w.setObject(addr, pk, each, obj)
	w.ctx.ui("%s: %s after %ds%s", addr, done, int(time.Since(t0).Seconds()), idSuffix(nv))
	w.countApplied(ch.Action)
	return markValue(nv, sch, nil), diags
}

func (w *walker) countApplied(a Action) {
	w.planMu.Lock()
	defer w.planMu.Unlock()
	switch a {
	case Create:
		w.applied.added++
	case DeleteThenCreate, CreateThenDelete:
		w.applied.added++
	case Update:
		w.applied.changed++
	case Delete:
		w.applied.destroyed++
	}
}

func (w *walker) depose(addr InstAddr, pk ProviderKey) string {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	r := w.state.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
	if r == nil {
		return ""
	}
	inst := r.Instances[state.KeyString(addr.Key)]
	if inst == nil || inst.Current == nil {
		return ""
	}
	key := state.NewDeposedKey()
	inst.Deposed[key] = inst.Current
	inst.Current = nil
	w.deposed[addr.String()] = key
	return key
}

// restoreDeposed puts a deposed object back when its replacement could not be created.
func (w *walker) restoreDeposed(addr InstAddr, pk ProviderKey, key string) {
	if key == "" {
		return
	}
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	r := w.state.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
	if r == nil {
		return
	}
	inst := r.Instances[state.KeyString(addr.Key)]
	if inst == nil || inst.Current != nil {
		return
	}
	if obj, ok := inst.Deposed[key]; ok {
		inst.Current = obj
		delete(inst.Deposed, key)
		delete(w.deposed, addr.String())
	}
}

// ---------------------------------------------------------------- destroy nodes

// applyDestroy deletes the objects a resource's changes plan to destroy: Delete and
// DeleteThenCreate (current object) and CreateThenDelete (the deposed one).
func (w *walker) applyDestroy(addr ResAddr, pk ProviderKey, sch *schema.Schema, r *config.Resource) diag.Diagnostics {
	var diags diag.Diagnostics
	var changes []*Change
	for _, c := range w.plan.Changes {
		if c.Addr.Res.String() == addr.String() && (c.Action == Delete || c.Action.IsReplace()) {
			changes = append(changes, c)
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Addr.String() < changes[j].Addr.String() })
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return ds
	}
	for _, c := range changes {
		var obj *state.Object
		deposed := ""
		if c.Action == CreateThenDelete {
			w.stateMu.Lock()
			deposed = w.deposed[c.Addr.String()]
			w.stateMu.Unlock()
			if deposed == "" {
				continue // the replacement was not created: nothing to destroy
			}
			obj = w.deposedObject(c.Addr, deposed)
		} else {
			obj = w.currentObject(c.Addr)
		}
		if obj == nil {
			continue
		}
		diags = diags.Append(w.destroyObject(p, pk, c.Addr, sch, r, obj, deposed))
	}
	return diags
}

func (w *walker) deposedObject(addr InstAddr, key string) *state.Object {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	r := w.state.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
	if r == nil {
		return nil
	}
	inst := r.Instances[state.KeyString(addr.Key)]
	if inst == nil {
		return nil
	}
	if o, ok := inst.Deposed[key]; ok {
		c := *o
		return &c
	}
	return nil
}

func (w *walker) destroyObject(p provider.Interface, pk ProviderKey, addr InstAddr, sch *schema.Schema, r *config.Resource, obj *state.Object, deposed string) diag.Diagnostics {
	var diags diag.Diagnostics
	prior, ds := w.reupgrade(p, pk, addr, sch, obj)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	ch, ds := w.planDestroy(p, pk, addr, sch, r, prior, obj.Private)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	label := addr.String()
	if deposed != "" {
		label += " (deposed object " + deposed + ")"
	}
	w.ctx.ui("%s: Destroying...%s", label, idSuffix(prior))
	t0 := time.Now()
	unmarkedPrior, _ := prior.UnmarkDeep()
	resp := p.ApplyResourceChange(provider.ApplyResourceChangeRequest{TypeName: addr.Res.Type, PriorState: unmarkedPrior,
		PlannedState: cty.NullVal(unmarkedPrior.Type()), Config: cty.NullVal(unmarkedPrior.Type()), PlannedPrivate: ch.Private})
	rd := resp.Diagnostics
	if r != nil {
		rd = rd.InConfigBody(r.Config, addr.String())
	}
	diags = diags.Append(rd)
	nv := resp.NewState
	if nv == cty.NilVal {
		nv = cty.NullVal(unmarkedPrior.Type())
	}
	if !nv.IsNull() && !diags.HasErrors() {
		diags = diags.Append(diag.Sourceless(diag.Error, "Provider returned invalid result object after apply",
			fmt.Sprintf("After applying a %s plan, the provider returned a non-null object for %s. Destroying should always produce a null value, so this is always a bug in the provider and should be reported in the provider's own repository. Terraform will still save this errant object in the state for debugging and recovery.", Delete, addr)))
	}
	set := func(o *state.Object) {
		if deposed != "" {
			w.stateMu.Lock()
			sr := w.state.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
			if sr != nil {
				w.state.SetDeposed(sr, addr.Key, deposed, o)
			}
			w.stateMu.Unlock()
			return
		}
		w.setObject(addr, pk, "-", o)
	}
	switch {
	case diags.HasErrors() && nv.IsNull():
		return diags // the object stays in state
	case !nv.IsNull():
		no := *obj
		if err := no.Encode(cty.UnknownAsNull(nv), sch.Block.ImpliedType()); err == nil {
			no.Private = resp.Private
			set(&no)
		}
		return diags
	}
	set(nil)
	w.ctx.ui("%s: Destruction complete after %ds", label, int(time.Since(t0).Seconds()))
	w.countApplied(Delete)
	return diags
}
