package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"

	"tfconform/schema"
	tfplugin6 "tfconformgen/tfplugin6"
)

func attr(name, ty string, req, opt, comp, sens bool) *tfplugin6.Schema_Attribute {
	return &tfplugin6.Schema_Attribute{Name: name, Type: []byte(ty), Required: req, Optional: opt, Computed: comp, Sensitive: sens}
}

func thingSchema() *tfplugin6.Schema {
	wo := attr("token_wo", `"string"`, false, true, false, true)
	wo.WriteOnly = true
	return &tfplugin6.Schema{Version: 1, Block: &tfplugin6.Schema_Block{
		Attributes: []*tfplugin6.Schema_Attribute{
			attr("id", `"string"`, false, false, true, false),
			attr("name", `"string"`, true, false, false, false),
			attr("value", `"string"`, false, true, false, false),
			attr("secret", `"string"`, false, true, false, true),
			wo,
			attr("tags", `["map","string"]`, false, true, false, false),
			attr("computed_val", `"string"`, false, false, true, false),
			{Name: "items", Optional: true, NestedType: &tfplugin6.Schema_Object{Nesting: tfplugin6.Schema_Object_LIST,
				Attributes: []*tfplugin6.Schema_Attribute{
					attr("key", `"string"`, true, false, false, false),
					attr("val", `"string"`, false, true, true, false),
				}}},
		},
		BlockTypes: []*tfplugin6.Schema_NestedBlock{{TypeName: "rule", Nesting: tfplugin6.Schema_NestedBlock_LIST,
			Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
				attr("port", `"number"`, true, false, false, false),
				attr("proto", `"string"`, false, true, false, false),
			}}}},
	}}
}

func dataSchema() *tfplugin6.Schema {
	return &tfplugin6.Schema{Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
		attr("id", `"string"`, false, false, true, false),
		attr("name", `"string"`, true, false, false, false),
		attr("value", `"string"`, false, false, true, false),
		attr("computed_val", `"string"`, false, false, true, false),
	}}}
}

func providerSchema() *tfplugin6.Schema {
	return &tfplugin6.Schema{Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
		attr("endpoint", `"string"`, false, true, false, false),
		attr("token", `"string"`, false, true, false, true),
	}}}
}

func mustBlock(ps *tfplugin6.Schema) *schema.Block {
	s, err := schema.FromProto(ps)
	if err != nil {
		panic(err)
	}
	return s.Block
}

var (
	thingBlock = mustBlock(thingSchema())
	thingTy    = thingBlock.ImpliedType()
	dataTy     = mustBlock(dataSchema()).ImpliedType()
	provTy     = mustBlock(providerSchema()).ImpliedType()
)

type server struct {
	tfplugin6.UnimplementedProviderServer
}

func dec(dv *tfplugin6.DynamicValue, ty cty.Type) cty.Value {
	if dv == nil || len(dv.Msgpack) == 0 {
		return cty.NullVal(ty)
	}
	v, err := msgpack.Unmarshal(dv.Msgpack, ty)
	if err != nil {
		logf("error", "decode: %s", err)
		return cty.NullVal(ty)
	}
	return v
}

func enc(v cty.Value, ty cty.Type) *tfplugin6.DynamicValue {
	b, err := msgpack.Marshal(v, ty)
	if err != nil {
		logf("error", "encode: %s", err)
		return nil
	}
	return &tfplugin6.DynamicValue{Msgpack: b}
}

func errDiag(summary, detail string, path ...string) *tfplugin6.Diagnostic {
	d := &tfplugin6.Diagnostic{Severity: tfplugin6.Diagnostic_ERROR, Summary: summary, Detail: detail}
	if len(path) > 0 {
		d.Attribute = &tfplugin6.AttributePath{}
		for _, p := range path {
			d.Attribute.Steps = append(d.Attribute.Steps, &tfplugin6.AttributePath_Step{Selector: &tfplugin6.AttributePath_Step_AttributeName{AttributeName: p}})
		}
	}
	return d
}

// ---------------------------------------------------------------- store

type store map[string]json.RawMessage

func loadStore() store {
	s := store{}
	p := os.Getenv("FAKE_STORE")
	if p == "" {
		return s
	}
	b, err := os.ReadFile(p)
	if err == nil {
		json.Unmarshal(b, &s)
	}
	return s
}

func (s store) save() {
	if p := os.Getenv("FAKE_STORE"); p != "" {
		b, _ := json.MarshalIndent(s, "", "  ")
		os.WriteFile(p, b, 0o600)
	}
}

func (s store) get(id string) cty.Value {
	raw, ok := s[id]
	if !ok {
		return cty.NullVal(thingTy)
	}
	v, err := ctyjson.Unmarshal(raw, thingTy)
	if err != nil {
		return cty.NullVal(thingTy)
	}
	return v
}

func (s store) put(id string, v cty.Value) {
	b, _ := ctyjson.Marshal(v, thingTy)
	s[id] = b
}

// ---------------------------------------------------------------- RPCs

func (s *server) GetProviderSchema(ctx context.Context, _ *tfplugin6.GetProviderSchema_Request) (*tfplugin6.GetProviderSchema_Response, error) {
	callLog("GetProviderSchema")
	resp := &tfplugin6.GetProviderSchema_Response{
		Provider:          providerSchema(),
		ResourceSchemas:   map[string]*tfplugin6.Schema{"fake_thing": thingSchema()},
		DataSourceSchemas: map[string]*tfplugin6.Schema{"fake_thing": dataSchema()},
		ServerCapabilities: &tfplugin6.ServerCapabilities{PlanDestroy: mode("plan-destroy")},
	}
	if mode("bad-schema") {
		resp.ResourceSchemas["fake_bad"] = &tfplugin6.Schema{Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
			attr("x", `"string"`, true, true, false, false)}}}
	}
	return resp, nil
}

func (s *server) GetResourceIdentitySchemas(ctx context.Context, _ *tfplugin6.GetResourceIdentitySchemas_Request) (*tfplugin6.GetResourceIdentitySchemas_Response, error) {
	callLog("GetResourceIdentitySchemas")
	return &tfplugin6.GetResourceIdentitySchemas_Response{}, nil
}

func (s *server) ValidateProviderConfig(ctx context.Context, req *tfplugin6.ValidateProviderConfig_Request) (*tfplugin6.ValidateProviderConfig_Response, error) {
	callLog("ValidateProviderConfig")
	dec(req.Config, provTy)
	return &tfplugin6.ValidateProviderConfig_Response{}, nil
}

func (s *server) ConfigureProvider(ctx context.Context, req *tfplugin6.ConfigureProvider_Request) (*tfplugin6.ConfigureProvider_Response, error) {
	callLog("ConfigureProvider " + req.TerraformVersion)
	cfg := dec(req.Config, provTy)
	resp := &tfplugin6.ConfigureProvider_Response{}
	if ep := cfg.GetAttr("endpoint"); ep.IsKnown() && !ep.IsNull() && ep.AsString() == "fail" {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Cannot reach the endpoint", "The endpoint \"fail\" is not reachable.", "endpoint"))
	}
	return resp, nil
}

func (s *server) ValidateResourceConfig(ctx context.Context, req *tfplugin6.ValidateResourceConfig_Request) (*tfplugin6.ValidateResourceConfig_Response, error) {
	callLog("ValidateResourceConfig")
	cfg := dec(req.Config, thingTy)
	resp := &tfplugin6.ValidateResourceConfig_Response{}
	if !cfg.IsNull() {
		if n := cfg.GetAttr("name"); n.IsKnown() && !n.IsNull() && n.AsString() == "invalid" {
			resp.Diagnostics = append(resp.Diagnostics, errDiag("Invalid name", "The name \"invalid\" is reserved.", "name"))
		}
	}
	return resp, nil
}

func (s *server) ValidateDataResourceConfig(ctx context.Context, req *tfplugin6.ValidateDataResourceConfig_Request) (*tfplugin6.ValidateDataResourceConfig_Response, error) {
	callLog("ValidateDataResourceConfig")
	return &tfplugin6.ValidateDataResourceConfig_Response{}, nil
}

func (s *server) UpgradeResourceState(ctx context.Context, req *tfplugin6.UpgradeResourceState_Request) (*tfplugin6.UpgradeResourceState_Response, error) {
	callLog("UpgradeResourceState")
	v, err := ctyjson.Unmarshal(req.RawState.Json, thingTy)
	if err != nil {
		return &tfplugin6.UpgradeResourceState_Response{Diagnostics: []*tfplugin6.Diagnostic{errDiag("Invalid state", err.Error())}}, nil
	}
	return &tfplugin6.UpgradeResourceState_Response{UpgradedState: enc(v, thingTy)}, nil
}

func (s *server) ReadResource(ctx context.Context, req *tfplugin6.ReadResource_Request) (*tfplugin6.ReadResource_Response, error) {
	callLog("ReadResource")
	prior := dec(req.CurrentState, thingTy)
	storeMu.Lock()
	defer storeMu.Unlock()
	id := prior.GetAttr("id")
	if id.IsNull() {
		return &tfplugin6.ReadResource_Response{NewState: enc(cty.NullVal(thingTy), thingTy), Private: req.Private}, nil
	}
	cur := loadStore().get(id.AsString())
	if mode("read-unknown") && !cur.IsNull() {
		m := cur.AsValueMap()
		m["computed_val"] = cty.UnknownVal(cty.String)
		cur = cty.ObjectVal(m)
	}
	return &tfplugin6.ReadResource_Response{NewState: enc(cur, thingTy), Private: req.Private}, nil
}

func setAttr(v cty.Value, name string, nv cty.Value) cty.Value {
	m := v.AsValueMap()
	m[name] = nv
	return cty.ObjectVal(m)
}

func (s *server) PlanResourceChange(ctx context.Context, req *tfplugin6.PlanResourceChange_Request) (*tfplugin6.PlanResourceChange_Response, error) {
	prior := dec(req.PriorState, thingTy)
	if mode("log-prior") {
		// Distinguishes the replace's second PlanResourceChange (null prior, notes 4.2).
		if prior.IsNull() {
			callLog("PlanResourceChange(prior=null)")
		} else {
			callLog("PlanResourceChange(prior=object)")
		}
	} else {
		callLog("PlanResourceChange")
	}
	proposed := dec(req.ProposedNewState, thingTy)
	cfg := dec(req.Config, thingTy)
	resp := &tfplugin6.PlanResourceChange_Response{PlannedPrivate: req.PriorPrivate}
	if proposed.IsNull() {
		resp.PlannedState = enc(proposed, thingTy)
		return resp, nil
	}
	planned := setAttr(proposed, "token_wo", cty.NullVal(cty.String))
	if prior.IsNull() {
		planned = setAttr(planned, "id", cty.UnknownVal(cty.String))
		planned = setAttr(planned, "computed_val", cty.UnknownVal(cty.String))
		resp.PlannedPrivate = []byte("private-v1")
	} else {
		resp.RequiresReplace = append(resp.RequiresReplace, &tfplugin6.AttributePath{Steps: []*tfplugin6.AttributePath_Step{
			{Selector: &tfplugin6.AttributePath_Step_AttributeName{AttributeName: "name"}}}})
	}
	// Nested computed attributes: unknown when the config leaves them null.
	if items := planned.GetAttr("items"); items.IsKnown() && !items.IsNull() {
		var out []cty.Value
		cfgItems := cfg.GetAttr("items")
		for it := items.ElementIterator(); it.Next(); {
			i, ev := it.Element()
			cv := cty.NullVal(cty.String)
			if cfgItems.IsKnown() && !cfgItems.IsNull() && cfgItems.HasIndex(i).True() {
				cv = cfgItems.Index(i).GetAttr("val")
			}
			if cv.IsNull() && ev.GetAttr("val").IsNull() {
				ev = setAttr(ev, "val", cty.UnknownVal(cty.String))
			}
			out = append(out, ev)
		}
		if len(out) > 0 {
			planned = setAttr(planned, "items", cty.ListVal(out))
		}
	}
	if mode("plan-change-config") {
		planned = setAttr(planned, "value", cty.StringVal("provider-chosen"))
	}
	if mode("plan-non-computed") && cfg.GetAttr("tags").IsNull() {
		// tags is optional, not computed: a value the config did not set (notes 4.3).
		planned = setAttr(planned, "tags", cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v")}))
	}
	if mode("plan-unknown-config-known") && !cfg.GetAttr("value").IsKnown() {
		// An unknown config value must stay unknown in the plan (notes 4.3).
		planned = setAttr(planned, "value", cty.StringVal("guess"))
	}
	if mode("final-plan-inconsistent") && prior.IsNull() {
		// A known computed value that differs between the plan and the apply walk (one process each).
		planned = setAttr(planned, "computed_val", cty.StringVal(fmt.Sprintf("pid-%d", os.Getpid())))
	}
	if mode("plan-write-only") {
		planned = setAttr(planned, "token_wo", cty.StringVal("leak"))
	}
	if mode("plan-bad-replace-path") && !prior.IsNull() {
		resp.RequiresReplace = append(resp.RequiresReplace, &tfplugin6.AttributePath{Steps: []*tfplugin6.AttributePath_Step{
			{Selector: &tfplugin6.AttributePath_Step_AttributeName{AttributeName: "no_such_attribute"}}}})
	}
	resp.PlannedState = enc(planned, thingTy)
	return resp, nil
}

func (s *server) ApplyResourceChange(ctx context.Context, req *tfplugin6.ApplyResourceChange_Request) (*tfplugin6.ApplyResourceChange_Response, error) {
	callLog("ApplyResourceChange")
	prior := dec(req.PriorState, thingTy)
	planned := dec(req.PlannedState, thingTy)
	cfg := dec(req.Config, thingTy)
	storeMu.Lock()
	defer storeMu.Unlock()
	st := loadStore()
	resp := &tfplugin6.ApplyResourceChange_Response{Private: req.PlannedPrivate}
	if planned.IsNull() {
		if !prior.IsNull() {
			delete(st, prior.GetAttr("id").AsString())
			st.save()
		}
		resp.NewState = enc(planned, thingTy)
		if mode("apply-delete-non-null") {
			resp.NewState = enc(prior, thingTy)
		}
		return resp, nil
	}
	if n := cfg.GetAttr("name"); n.IsKnown() && !n.IsNull() && n.AsString() == "fail-apply" {
		resp.Diagnostics = append(resp.Diagnostics, errDiag("Creation failed", "The remote API refused the object.", "name"))
		if prior.IsNull() && mode("partial-create") {
			nv := setAttr(planned, "id", cty.StringVal("partial"))
			nv = setAttr(nv, "computed_val", cty.StringVal("partial"))
			nv = cty.UnknownAsNull(nv)
			st.put("partial", nv)
			st.save()
			resp.NewState = enc(nv, thingTy)
			return resp, nil
		}
		resp.NewState = enc(prior, thingTy)
		return resp, nil
	}
	nv := planned
	if !nv.GetAttr("id").IsKnown() {
		nv = setAttr(nv, "id", cty.StringVal("id-"+planned.GetAttr("name").AsString()))
	}
	if !nv.GetAttr("computed_val").IsKnown() {
		nv = setAttr(nv, "computed_val", cty.StringVal("c-"+planned.GetAttr("name").AsString()))
	}
	if items := nv.GetAttr("items"); !items.IsNull() && items.IsKnown() {
		var out []cty.Value
		for it := items.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if !ev.GetAttr("val").IsKnown() {
				ev = setAttr(ev, "val", cty.StringVal("dflt"))
			}
			out = append(out, ev)
		}
		if len(out) > 0 {
			nv = setAttr(nv, "items", cty.ListVal(out))
		}
	}
	if mode("apply-inconsistent") {
		nv = setAttr(nv, "name", cty.StringVal(nv.GetAttr("name").AsString()+"-changed"))
	}
	if mode("apply-unknown") {
		nv = setAttr(nv, "computed_val", cty.UnknownVal(cty.String))
	}
	if mode("apply-write-only") {
		nv = setAttr(nv, "token_wo", cty.StringVal("leak"))
	}
	if mode("apply-null") {
		resp.NewState = enc(cty.NullVal(thingTy), thingTy)
		return resp, nil
	}
	stored := setAttr(cty.UnknownAsNull(nv), "token_wo", cty.NullVal(cty.String))
	st.put(stored.GetAttr("id").AsString(), stored)
	st.save()
	resp.NewState = enc(nv, thingTy)
	return resp, nil
}

func (s *server) ImportResourceState(ctx context.Context, req *tfplugin6.ImportResourceState_Request) (*tfplugin6.ImportResourceState_Response, error) {
	callLog("ImportResourceState")
	vals := map[string]cty.Value{}
	for name, ty := range thingTy.AttributeTypes() {
		vals[name] = cty.NullVal(ty)
	}
	vals["id"] = cty.StringVal(req.Id)
	one := &tfplugin6.ImportResourceState_ImportedResource{TypeName: req.TypeName, State: enc(cty.ObjectVal(vals), thingTy), Private: []byte("imported")}
	switch {
	case mode("import-none"):
		return &tfplugin6.ImportResourceState_Response{}, nil
	case mode("import-multiple"):
		return &tfplugin6.ImportResourceState_Response{ImportedResources: []*tfplugin6.ImportResourceState_ImportedResource{one, one}}, nil
	case mode("import-no-type"):
		one.TypeName = ""
		return &tfplugin6.ImportResourceState_Response{ImportedResources: []*tfplugin6.ImportResourceState_ImportedResource{one}}, nil
	case mode("import-null"):
		one.State = enc(cty.NullVal(thingTy), thingTy)
		return &tfplugin6.ImportResourceState_Response{ImportedResources: []*tfplugin6.ImportResourceState_ImportedResource{one}}, nil
	}
	return &tfplugin6.ImportResourceState_Response{ImportedResources: []*tfplugin6.ImportResourceState_ImportedResource{
		{TypeName: req.TypeName, State: enc(cty.ObjectVal(vals), thingTy), Private: []byte("imported")}}}, nil
}

func (s *server) ReadDataSource(ctx context.Context, req *tfplugin6.ReadDataSource_Request) (*tfplugin6.ReadDataSource_Response, error) {
	callLog("ReadDataSource")
	cfg := dec(req.Config, dataTy)
	name := cfg.GetAttr("name").AsString()
	storeMu.Lock()
	st := loadStore()
	storeMu.Unlock()
	for id := range st {
		v := st.get(id)
		if v.GetAttr("name").RawEquals(cty.StringVal(name)) {
			switch {
			case mode("data-null"):
				return &tfplugin6.ReadDataSource_Response{State: enc(cty.NullVal(dataTy), dataTy)}, nil
			case mode("data-unknown"):
				return &tfplugin6.ReadDataSource_Response{State: enc(cty.ObjectVal(map[string]cty.Value{
					"id": v.GetAttr("id"), "name": v.GetAttr("name"), "value": v.GetAttr("value"), "computed_val": cty.UnknownVal(cty.String),
				}), dataTy)}, nil
			}
			return &tfplugin6.ReadDataSource_Response{State: enc(cty.ObjectVal(map[string]cty.Value{
				"id": v.GetAttr("id"), "name": v.GetAttr("name"), "value": v.GetAttr("value"), "computed_val": v.GetAttr("computed_val"),
			}), dataTy)}, nil
		}
	}
	return &tfplugin6.ReadDataSource_Response{Diagnostics: []*tfplugin6.Diagnostic{
		errDiag("Not found", fmt.Sprintf("No fake_thing named %q.", name))}}, nil
}

func (s *server) StopProvider(ctx context.Context, _ *tfplugin6.StopProvider_Request) (*tfplugin6.StopProvider_Response, error) {
	callLog("StopProvider")
	return &tfplugin6.StopProvider_Response{}, nil
}

var _ = strings.Split
