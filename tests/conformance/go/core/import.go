package core

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/schema"
	"tfconform/state"
)

// Import is `terraform import ADDR ID`: configure the provider (its config must be wholly known),
// ImportResourceState, ReadResource, then store the object (notes 4.8).
func (c *Context) Import(prior *state.State, target InstAddr, id string, vars map[string]cty.Value) (*state.State, diag.Diagnostics) {
	var diags diag.Diagnostics
	m := moduleFor(c.Config, target.Res.Module)
	var rc *config.Resource
	if m != nil && target.Res.Mode == config.ManagedMode {
		rc = m.ManagedResources[target.Res.Type+"."+target.Res.Name]
	}
	if rc == nil {
		where := "the root module"
		if len(target.Res.Module) > 0 {
			where = config.ModuleAddr(target.Res.Module)
		}
		return prior, diags.Append(diag.Sourceless(diag.Error, fmt.Sprintf("resource address %q does not exist in the configuration.", target.String()),
			fmt.Sprintf("Before importing this resource, please create its configuration in %s. For example:\n\nresource %q %q {\n  # (resource arguments)\n}", where, target.Res.Type, target.Res.Name)))
	}
	if r := prior.Resources[state.ResourceKey(target.Res.Module, "managed", target.Res.Type, target.Res.Name)]; r != nil {
		if inst := r.Instances[state.KeyString(target.Key)]; inst != nil && inst.Current != nil {
			return prior, diags.Append(diag.Sourceless(diag.Error, "Resource already managed by Terraform",
				fmt.Sprintf("Terraform is already managing a remote object for %s. To import to this address you must first remove the existing object from the state.", target)))
		}
	}
	w := c.newWalker(opImport, prior.DeepCopy(), vars)
	w.plan = &Plan{}
	w.importTarget, w.importID = &target, id
	diags = diags.Append(w.run())
	return w.state, diags
}

func (w *walker) importResource(m *config.Module, r *config.Resource, addr ResAddr, pk ProviderKey, sch *schema.Schema) diag.Diagnostics {
	w.vals.setRes(m.Path, r.Key(), cty.DynamicVal)
	t := w.importTarget
	if t == nil || t.Res.String() != addr.String() {
		return nil
	}
	var diags diag.Diagnostics
	if (r.Count != nil) != isInt(t.Key) || (r.ForEach != nil) != isString(t.Key) {
		return diags.Append(diag.Sourceless(diag.Error, "Invalid resource instance key",
			fmt.Sprintf("The instance key of %s does not match the count or for_each argument of its configuration.", t)))
	}
	p, ds := w.provider(pk)
	if ds.HasErrors() {
		return ds
	}
	w.ctx.ui("%s: Importing from ID %q...", t, w.importID)
	resp := p.ImportResourceState(addr.Type, w.importID)
	diags = diags.Append(resp.Diagnostics)
	if diags.HasErrors() {
		return diags
	}
	switch {
	case len(resp.ImportedResources) == 0:
		return diags.Append(diag.Sourceless(diag.Error, "Import returned no resources",
			fmt.Sprintf("While attempting to import with ID %s, the provider returned no instance states.", w.importID)))
	case len(resp.ImportedResources) > 1:
		return diags.Append(diag.Sourceless(diag.Error, "Multiple import states not supported",
			fmt.Sprintf("While attempting to import with ID %s, the provider returned multiple resource instance states. This is not currently supported.", w.importID)))
	}
	ir := resp.ImportedResources[0]
	if ir.TypeName == "" {
		return diags.Append(diag.Errorf("import of %s didn't set type", t))
	}
	for _, path := range sch.Block.NonNullWriteOnlyPaths(ir.State, nil) {
		diags = diags.Append(diag.Sourceless(diag.Error, "Import returned a non-null value for a write-only attribute",
			fmt.Sprintf("While attempting to import with ID %s, the provider %q returned a value for the write-only attribute \"%s%s\". Write-only attributes cannot be read back from the provider. This is a bug in the provider, which should be reported in the provider's own issue tracker.", w.importID, pk.String(), t, diag.FormatCtyPath(path))))
	}
	if diags.HasErrors() {
		return diags
	}
	if ir.State.IsNull() {
		return diags.Append(diag.Sourceless(diag.Error, "Import returned null resource",
			fmt.Sprintf("While attempting to import with ID %s, the provider returned an instance with no state.", w.importID)))
	}
	w.ctx.ui("%s: Import prepared!\n  Prepared %s for import", t, ir.TypeName)
	nv, priv, ds := w.refreshInstance(p, pk, *t, sch, r, ir.State, ir.Private)
	diags = diags.Append(ds)
	if ds.HasErrors() {
		return diags
	}
	if nv.IsNull() {
		return diags.Append(diag.Sourceless(diag.Error, "Cannot import non-existent remote object",
			fmt.Sprintf("While attempting to import an existing object to %q, the provider detected that no object exists with the given id. Only pre-existing objects can be imported; check that the id is correct and that it is associated with the provider's configured region or endpoint, or use \"terraform apply\" to create a new remote object for this resource.", t.String())))
	}
	obj := &state.Object{SchemaVersion: sch.Version, Private: priv, Dependencies: w.resDeps[addr.String()]}
	if err := obj.Encode(nv, sch.Block.ImpliedType()); err != nil {
		return diags.Append(diag.Errorf("failed to encode %s in state: %s", t, err))
	}
	each := ""
	if r.Count != nil {
		each = "list"
	} else if r.ForEach != nil {
		each = "map"
	}
	w.setObject(*t, pk, each, obj)
	return diags
}

func isInt(k state.InstanceKey) bool    { _, ok := k.(int); return ok }
func isString(k state.InstanceKey) bool { _, ok := k.(string); return ok }
