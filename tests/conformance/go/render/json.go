package render

import (
	"encoding/json"
	"sort"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"tfconform/config"
	"tfconform/core"
	"tfconform/diag"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// jsonValue marshals a value for Terraform's JSON formats: marks removed, unknowns as null.
func jsonValue(v cty.Value) json.RawMessage {
	if v == cty.NilVal {
		return json.RawMessage("null")
	}
	uv, _ := v.UnmarkDeep()
	uv = cty.UnknownAsNull(uv)
	b, err := ctyjson.Marshal(uv, uv.Type())
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// unknownAsBool is Terraform jsonplan.unknownAsBool: true where unknown, structures otherwise,
// known leaves omitted from objects.
func unknownAsBool(v cty.Value) interface{} {
	v, _ = v.UnmarkDeep()
	ty := v.Type()
	switch {
	case v.IsNull():
		return false
	case !v.IsKnown():
		return true
	case ty.IsPrimitiveType():
		return false
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := []interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, unknownAsBool(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := map[string]interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if b := unknownAsBool(e); b != false {
				out[k.AsString()] = b
			}
		}
		return out
	}
	return false
}

// sensitiveAsBool is jsonplan's sensitive-marks view: true where sensitive.
func sensitiveAsBool(v cty.Value) interface{} {
	if v == cty.NilVal {
		return false
	}
	if v.HasMark(schema.Sensitive) {
		return true
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch {
	case v.IsNull() || !v.IsKnown() || ty.IsPrimitiveType():
		return false
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := []interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, sensitiveAsBool(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := map[string]interface{}{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if b := sensitiveAsBool(e); b != false {
				out[k.AsString()] = b
			}
		}
		return out
	}
	return false
}

func pathJSON(p cty.Path) []interface{} {
	out := []interface{}{}
	for _, s := range p {
		switch st := s.(type) {
		case cty.GetAttrStep:
			out = append(out, st.Name)
		case cty.IndexStep:
			if st.Key.Type() == cty.String {
				out = append(out, st.Key.AsString())
			} else {
				n, _ := st.Key.AsBigFloat().Int64()
				out = append(out, n)
			}
		}
	}
	return out
}

type jsonChange struct {
	Actions         []string        `json:"actions"`
	Before          json.RawMessage `json:"before"`
	After           json.RawMessage `json:"after"`
	AfterUnknown    interface{}     `json:"after_unknown"`
	BeforeSensitive interface{}     `json:"before_sensitive"`
	AfterSensitive  interface{}     `json:"after_sensitive"`
	ReplacePaths    [][]interface{} `json:"replace_paths,omitempty"`
	Importing       *struct {
		ID string `json:"id"`
	} `json:"importing,omitempty"`
}

type jsonResourceChange struct {
	Address       string      `json:"address"`
	ModuleAddress string      `json:"module_address,omitempty"`
	Mode          string      `json:"mode"`
	Type          string      `json:"type"`
	Name          string      `json:"name"`
	Index         interface{} `json:"index,omitempty"`
	Deposed       string      `json:"deposed,omitempty"`
	ProviderName  string      `json:"provider_name"`
	Change        jsonChange  `json:"change"`
	ActionReason  string      `json:"action_reason,omitempty"`
}

func resourceChangeJSON(c *core.Change) jsonResourceChange {
	rc := jsonResourceChange{Address: c.Addr.String(), ModuleAddress: config.ModuleAddr(c.Addr.Res.Module),
		Mode: c.Addr.Res.ModeString(), Type: c.Addr.Res.Type, Name: c.Addr.Res.Name, Index: c.Addr.Key,
		Deposed: c.Deposed, ProviderName: c.ProviderKey.Addr.String(), ActionReason: c.ActionReason}
	rc.Change = jsonChange{Actions: c.Action.JSONActions(), Before: jsonValue(c.Before), After: jsonValue(c.After),
		AfterUnknown: unknownAsBool(c.After), BeforeSensitive: sensitiveAsBool(c.Before), AfterSensitive: sensitiveAsBool(c.After)}
	for _, p := range c.ReplacePaths {
		rc.Change.ReplacePaths = append(rc.Change.ReplacePaths, pathJSON(p))
	}
	if c.ImportingID != "" {
		rc.Change.Importing = &struct {
			ID string `json:"id"`
		}{c.ImportingID}
	}
	return rc
}

// JSONPlan is the machine-readable plan of `plan -json` / `show -json` (a subset of Terraform's
// JSON plan format, plus the run's diagnostics).
func JSONPlan(p *core.Plan, diags diag.Diagnostics) ([]byte, error) {
	out := map[string]interface{}{
		"format_version":    "1.2",
		"terraform_version": state.TerraformVersion,
		"errored":           p.Errored,
	}
	rcs := []jsonResourceChange{}
	for _, c := range sortedChanges(p.Changes) {
		rcs = append(rcs, resourceChangeJSON(c))
	}
	out["resource_changes"] = rcs
	drift := []jsonResourceChange{}
	for _, c := range sortedChanges(relevantDrift(p)) {
		drift = append(drift, resourceChangeJSON(c))
	}
	out["resource_drift"] = drift
	ocs := map[string]interface{}{}
	for _, oc := range p.OutputChanges {
		ocs[oc.Name] = map[string]interface{}{
			"actions": oc.Action.JSONActions(), "before": jsonValue(oc.Before), "after": jsonValue(oc.After),
			"after_unknown": unknownAsBool(oc.After), "before_sensitive": oc.Sensitive, "after_sensitive": oc.Sensitive,
		}
	}
	out["output_changes"] = ocs
	if diags == nil {
		diags = p.Diagnostics
	}
	out["diagnostics"] = diags.JSON()
	switch p.Mode {
	case core.DestroyMode:
		out["plan_mode"] = "destroy"
	case core.RefreshOnlyMode:
		out["plan_mode"] = "refresh-only"
	default:
		out["plan_mode"] = "normal"
	}
	return marshalIndent(out)
}

func marshalIndent(v interface{}) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ---------------------------------------------------------------- state

// DecodeState decodes every object of a state with the schemas (for show/state show/output).
func DecodeState(st *state.State, schemas map[provider.Addr]*provider.Schemas, typeSchema func(*state.Resource) *schema.Schema) {
	for _, r := range st.Resources {
		sch := typeSchema(r)
		if sch == nil {
			continue
		}
		for _, inst := range r.Instances {
			if inst.Current != nil && inst.Current.Value == cty.NilVal {
				if v, err := inst.Current.Decode(sch.Block.ImpliedType()); err == nil {
					inst.Current.Value = v
				}
			}
		}
	}
}

// JSONState is `show -json` for a state (Terraform's JSON state representation, values subset).
func JSONState(st *state.State, typeSchema func(*state.Resource) *schema.Schema) ([]byte, error) {
	out := map[string]interface{}{"format_version": "1.0", "terraform_version": st.TerraformVersion}
	if st.Empty() {
		return marshalIndent(out)
	}
	outputs := map[string]interface{}{}
	for name, o := range st.Outputs {
		uv, _ := o.Value.UnmarkDeep()
		tb, _ := uv.Type().MarshalJSON()
		outputs[name] = map[string]interface{}{"sensitive": o.Sensitive, "value": jsonValue(uv), "type": json.RawMessage(tb)}
	}
	type jres struct {
		Address         string          `json:"address"`
		Mode            string          `json:"mode"`
		Type            string          `json:"type"`
		Name            string          `json:"name"`
		Index           interface{}     `json:"index,omitempty"`
		ProviderName    string          `json:"provider_name"`
		SchemaVersion   int64           `json:"schema_version"`
		Values          json.RawMessage `json:"values"`
		SensitiveValues interface{}     `json:"sensitive_values"`
		Tainted         bool            `json:"tainted,omitempty"`
		DependsOn       []string        `json:"depends_on,omitempty"`
	}
	modules := map[string][]jres{}
	for _, r := range st.SortedResources() {
		sch := typeSchema(r)
		for _, inst := range r.SortedInstances() {
			o := inst.Current
			if o == nil {
				continue
			}
			v := o.Value
			if v == cty.NilVal && sch != nil {
				v, _ = o.Decode(sch.Block.ImpliedType())
			}
			if sch != nil && v != cty.NilVal {
				v = v.MarkWithPaths(sch.Block.ValueMarks(v, schema.Sensitive, nil))
			}
			jr := jres{Address: r.InstanceAddr(inst.Key), Mode: r.Mode, Type: r.Type, Name: r.Name, Index: inst.Key,
				SchemaVersion: o.SchemaVersion, Tainted: o.Tainted, DependsOn: o.Dependencies}
			if k, err := providerName(r.Provider); err == nil {
				jr.ProviderName = k
			}
			if v != cty.NilVal {
				jr.Values = jsonValue(v)
				jr.SensitiveValues = sensitiveAsBool(v)
			} else {
				jr.Values = json.RawMessage(o.AttrsJSON)
				jr.SensitiveValues = map[string]interface{}{}
			}
			m := ""
			if len(r.Module) > 0 {
				m = config.ModuleAddr(r.Module)
			}
			modules[m] = append(modules[m], jr)
		}
	}
	root := map[string]interface{}{"resources": modules[""]}
	if modules[""] == nil {
		root["resources"] = []jres{}
	}
	var children []interface{}
	var keys []string
	for k := range modules {
		if k != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		children = append(children, map[string]interface{}{"address": k, "resources": modules[k]})
	}
	if len(children) > 0 {
		root["child_modules"] = children
	}
	values := map[string]interface{}{"root_module": root}
	if len(outputs) > 0 {
		values["outputs"] = outputs
	}
	out["values"] = values
	return marshalIndent(out)
}

func providerName(cfg string) (string, error) {
	i := len("provider[\"")
	j := 0
	for j = i; j < len(cfg) && cfg[j] != '"'; j++ {
	}
	if len(cfg) < i || j >= len(cfg) {
		return cfg, nil
	}
	return cfg[i:j], nil
}

// JSONSchemas is `providers schema -json`.
func JSONSchemas(schemas map[provider.Addr]*provider.Schemas) ([]byte, error) {
	ps := map[string]interface{}{}
	for addr, s := range schemas {
		entry := map[string]interface{}{}
		if s.Provider != nil {
			entry["provider"] = map[string]interface{}{"version": s.Provider.Version, "block": s.Provider.Block.JSON()}
		}
		rs := map[string]interface{}{}
		for name, r := range s.ResourceTypes {
			rs[name] = map[string]interface{}{"version": r.Version, "block": r.Block.JSON()}
		}
		if len(rs) > 0 {
			entry["resource_schemas"] = rs
		}
		ds := map[string]interface{}{}
		for name, d := range s.DataSources {
			ds[name] = map[string]interface{}{"version": d.Version, "block": d.Block.JSON()}
		}
		if len(ds) > 0 {
			entry["data_source_schemas"] = ds
		}
		ps[addr.String()] = entry
	}
	return marshalIndent(map[string]interface{}{"format_version": "1.0", "provider_schemas": ps})
}
