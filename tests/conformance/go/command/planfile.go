package command

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	"tfconform/core"
	"tfconform/diag"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// The saved plan (-out) is tfconform's own JSON document, not Terraform's zip format: the changes
// with their values (msgpack with dynamic types, so unknowns survive), the sensitive paths, the
// refreshed prior state and the variables, plus the state lineage/serial it was made against.
const planFormat = "tfconform-plan"

type planFileV1 struct {
	Format           string                     `json:"format"`
	Version          int                        `json:"version"`
	TerraformVersion string                     `json:"terraform_version"`
	Mode             string                     `json:"mode"`
	StateLineage     string                     `json:"state_lineage"`
	StateSerial      uint64                     `json:"state_serial"`
	StateExisted     bool                       `json:"state_existed"`
	Variables        map[string]json.RawMessage `json:"variables"`
	PriorState       json.RawMessage            `json:"prior_state"`
	PrevRunState     json.RawMessage            `json:"prev_run_state"`
	Changes          []planChangeV1             `json:"changes"`
	Drift            []planChangeV1             `json:"drift"`
	Outputs          []planOutputV1             `json:"output_changes"`
}

type planValue struct {
	Msgpack   string     `json:"msgpack"` // base64, dynamic type
	Sensitive [][]string `json:"sensitive,omitempty"`
}

type planChangeV1 struct {
	Addr                string        `json:"addr"`
	Deposed             string        `json:"deposed,omitempty"`
	Provider            string        `json:"provider"`
	Action              string        `json:"action"`
	Before              planValue     `json:"before"`
	After               planValue     `json:"after"`
	Private             string        `json:"private,omitempty"`
	ReplacePaths        []json.RawMessage `json:"replace_paths,omitempty"`
	ActionReason        string        `json:"action_reason,omitempty"`
	ImportingID         string        `json:"importing_id,omitempty"`
	ImportedPrivate     string        `json:"imported_private,omitempty"`
	CreateBeforeDestroy bool          `json:"create_before_destroy,omitempty"`
}

type planOutputV1 struct {
	Name      string    `json:"name"`
	Action    string    `json:"action"`
	Before    planValue `json:"before"`
	After     planValue `json:"after"`
	Sensitive bool      `json:"sensitive"`
}

var actionNames = map[string]core.Action{}

func init() {
	for a := core.NoOp; a <= core.Delete; a++ {
		actionNames[a.String()] = a
	}
}

func encodeValue(v cty.Value) (planValue, error) {
	uv, pvm := v.UnmarkDeepWithPaths()
	b, err := msgpack.Marshal(uv, cty.DynamicPseudoType)
	if err != nil {
		return planValue{}, err
	}
	pv := planValue{Msgpack: base64.StdEncoding.EncodeToString(b)}
	for _, pm := range pvm {
		if _, ok := pm.Marks[schema.Sensitive]; ok {
			raw, _ := pathToJSON(pm.Path)
			pv.Sensitive = append(pv.Sensitive, []string{string(raw)})
		}
	}
	return pv, nil
}

func decodeValue(pv planValue) (cty.Value, error) {
	b, err := base64.StdEncoding.DecodeString(pv.Msgpack)
	if err != nil {
		return cty.NilVal, err
	}
	v, err := msgpack.Unmarshal(b, cty.DynamicPseudoType)
	if err != nil {
		return cty.NilVal, err
	}
	var marks []cty.PathValueMarks
	for _, s := range pv.Sensitive {
		p, err := pathFromJSON([]byte(s[0]))
		if err != nil {
			return cty.NilVal, err
		}
		marks = append(marks, cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(schema.Sensitive)})
	}
	return v.MarkWithPaths(marks), nil
}

type pathStep struct {
	Attr  *string         `json:"attr,omitempty"`
	Index json.RawMessage `json:"index,omitempty"`
}

func pathToJSON(p cty.Path) ([]byte, error) {
	var steps []pathStep
	for _, s := range p {
		switch st := s.(type) {
		case cty.GetAttrStep:
			n := st.Name
			steps = append(steps, pathStep{Attr: &n})
		case cty.IndexStep:
			b, err := ctyjson.Marshal(st.Key, cty.DynamicPseudoType)
			if err != nil {
				return nil, err
			}
			steps = append(steps, pathStep{Index: b})
		}
	}
	return json.Marshal(steps)
}

func pathFromJSON(b []byte) (cty.Path, error) {
	var steps []pathStep
	if err := json.Unmarshal(b, &steps); err != nil {
		return nil, err
	}
	var p cty.Path
	for _, s := range steps {
		if s.Attr != nil {
			p = p.GetAttr(*s.Attr)
			continue
		}
		k, err := ctyjson.Unmarshal(s.Index, cty.DynamicPseudoType)
		if err != nil {
			return nil, err
		}
		p = p.Index(k)
	}
	return p, nil
}

func modeName(m core.PlanMode) string {
	switch m {
	case core.DestroyMode:
		return "destroy"
	case core.RefreshOnlyMode:
		return "refresh-only"
	}
	return "normal"
}

func encodeChange(c *core.Change) (planChangeV1, error) {
	out := planChangeV1{Addr: c.Addr.String(), Deposed: c.Deposed, Provider: c.ProviderKey.String(), Action: c.Action.String(),
		ActionReason: c.ActionReason, ImportingID: c.ImportingID, CreateBeforeDestroy: c.CreateBeforeDestroy}
	var err error
	if out.Before, err = encodeValue(c.Before); err != nil {
		return out, fmt.Errorf("%s: %s", c.Addr, err)
	}
	if out.After, err = encodeValue(c.After); err != nil {
		return out, fmt.Errorf("%s: %s", c.Addr, err)
	}
	if len(c.Private) > 0 {
		out.Private = base64.StdEncoding.EncodeToString(c.Private)
	}
	if len(c.ImportedPrivate) > 0 {
		out.ImportedPrivate = base64.StdEncoding.EncodeToString(c.ImportedPrivate)
	}
	for _, p := range c.ReplacePaths {
		b, _ := pathToJSON(p)
		out.ReplacePaths = append(out.ReplacePaths, b)
	}
	return out, nil
}

func savePlan(path string, plan *core.Plan, rc *runCtx) error {
	f := planFileV1{Format: planFormat, Version: 1, TerraformVersion: state.TerraformVersion, Mode: modeName(plan.Mode),
		StateLineage: rc.st.Lineage, StateSerial: rc.st.Serial, Variables: map[string]json.RawMessage{}}
	_, err := os.Stat(rc.mgr.Path)
	f.StateExisted = err == nil
	for name, v := range plan.Variables {
		pv, err := encodeValue(v)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(pv)
		f.Variables[name] = b
	}
	var perr error
	if f.PriorState, perr = plan.PriorState.Marshal(); perr != nil {
		return perr
	}
	if f.PrevRunState, perr = plan.PrevRunState.Marshal(); perr != nil {
		return perr
	}
	for _, c := range plan.Changes {
		ec, err := encodeChange(c)
		if err != nil {
			return err
		}
		f.Changes = append(f.Changes, ec)
	}
	for _, c := range plan.Drift {
		ec, err := encodeChange(c)
		if err != nil {
			return err
		}
		f.Drift = append(f.Drift, ec)
	}
	for _, oc := range plan.OutputChanges {
		po := planOutputV1{Name: oc.Name, Action: oc.Action.String(), Sensitive: oc.Sensitive}
		var err error
		if po.Before, err = encodeValue(oc.Before); err != nil {
			return err
		}
		if po.After, err = encodeValue(oc.After); err != nil {
			return err
		}
		f.Outputs = append(f.Outputs, po)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func isPlanFile(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	return bytes.Contains(b[:min(len(b), 200)], []byte(`"format": "`+planFormat+`"`))
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func loadPlan(path string, rc *runCtx) (*core.Plan, diag.Diagnostics) {
	var diags diag.Diagnostics
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, diags.Append(diag.Sourceless(diag.Error, "Failed to load the given plan file", err.Error()))
	}
	var f planFileV1
	if err := json.Unmarshal(b, &f); err != nil || f.Format != planFormat {
		return nil, diags.Append(diag.Sourceless(diag.Error, "Failed to load the given plan file",
			fmt.Sprintf("%s is not a tfconform plan file (tfconform's -out format is its own, not Terraform's).", path)))
	}
	if rc.st != nil && (rc.st.Lineage != f.StateLineage || rc.st.Serial != f.StateSerial) && f.StateExisted {
		return nil, diags.Append(diag.Sourceless(diag.Error, "Saved plan is stale",
			"The given plan file can no longer be applied because the state was changed by another operation after the plan was created."))
	}
	plan := &core.Plan{Variables: map[string]cty.Value{}}
	switch f.Mode {
	case "destroy":
		plan.Mode = core.DestroyMode
	case "refresh-only":
		plan.Mode = core.RefreshOnlyMode
	}
	for name, raw := range f.Variables {
		var pv planValue
		if err := json.Unmarshal(raw, &pv); err != nil {
			return nil, diags.Append(diag.Errorf("plan variable %s: %s", name, err))
		}
		v, err := decodeValue(pv)
		if err != nil {
			return nil, diags.Append(diag.Errorf("plan variable %s: %s", name, err))
		}
		plan.Variables[name] = v
	}
	if plan.PriorState, err = state.Unmarshal(f.PriorState); err != nil {
		return nil, diags.Append(diag.Errorf("plan prior state: %s", err))
	}
	if plan.PrevRunState, err = state.Unmarshal(f.PrevRunState); err != nil {
		return nil, diags.Append(diag.Errorf("plan previous state: %s", err))
	}
	// The apply writes over the current state file: keep its lineage/serial.
	if rc.st != nil {
		plan.PriorState.Lineage, plan.PriorState.Serial = rc.st.Lineage, rc.st.Serial
	}
	decodeChanges := func(in []planChangeV1) ([]*core.Change, error) {
		var out []*core.Change
		for _, pc := range in {
			addr, err := core.ParseInstAddr(pc.Addr)
			if err != nil {
				return nil, err
			}
			pk, err := core.ParseProviderKey(pc.Provider)
			if err != nil {
				return nil, err
			}
			c := &core.Change{Addr: addr, Deposed: pc.Deposed, ProviderKey: pk, Action: actionNames[pc.Action],
				ActionReason: pc.ActionReason, ImportingID: pc.ImportingID, CreateBeforeDestroy: pc.CreateBeforeDestroy}
			if c.Before, err = decodeValue(pc.Before); err != nil {
				return nil, err
			}
			if c.After, err = decodeValue(pc.After); err != nil {
				return nil, err
			}
			if pc.Private != "" {
				c.Private, _ = base64.StdEncoding.DecodeString(pc.Private)
			}
			if pc.ImportedPrivate != "" {
				c.ImportedPrivate, _ = base64.StdEncoding.DecodeString(pc.ImportedPrivate)
			}
			for _, rp := range pc.ReplacePaths {
				p, err := pathFromJSON(rp)
				if err != nil {
					return nil, err
				}
				c.ReplacePaths = append(c.ReplacePaths, p)
			}
			if s := rc.core.Schemas[pk.Addr]; s != nil {
				var sch *schema.Schema
				if addr.Res.ModeString() == "data" {
					sch = s.DataSources[addr.Res.Type]
				} else {
					sch = s.ResourceTypes[addr.Res.Type]
				}
				if sch == nil {
					return nil, fmt.Errorf("provider %s no longer has a schema for %s", pk.Addr, addr)
				}
				c.Schema = sch
				// Values must conform to the current schema.
				ty := sch.Block.ImpliedType()
				for _, v := range []*cty.Value{&c.Before, &c.After} {
					uv, pvm := v.UnmarkDeepWithPaths()
					if uv.IsNull() {
						*v = cty.NullVal(ty)
						continue
					}
					if errs := uv.Type().TestConformance(ty); len(errs) > 0 {
						return nil, fmt.Errorf("%s: planned value does not conform to the provider's current schema", addr)
					}
					*v = uv.MarkWithPaths(pvm)
				}
			}
			out = append(out, c)
		}
		return out, nil
	}
	if plan.Changes, err = decodeChanges(f.Changes); err != nil {
		return nil, diags.Append(diag.Errorf("Failed to load the given plan file: %s", err))
	}
	if plan.Drift, err = decodeChanges(f.Drift); err != nil {
		return nil, diags.Append(diag.Errorf("Failed to load the given plan file: %s", err))
	}
	for _, po := range f.Outputs {
		oc := &core.OutputChange{Name: po.Name, Action: actionNames[po.Action], Sensitive: po.Sensitive}
		if oc.Before, err = decodeValue(po.Before); err != nil {
			return nil, diags.Append(diag.Errorf("plan output %s: %s", po.Name, err))
		}
		if oc.After, err = decodeValue(po.After); err != nil {
			return nil, diags.Append(diag.Errorf("plan output %s: %s", po.Name, err))
		}
		plan.OutputChanges = append(plan.OutputChanges, oc)
	}
	plan.Schemas = map[core.ProviderKey]*provider.Schemas{}
	return plan, diags
}
