package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	"github.com/zclconf/go-cty/cty/msgpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"tfconform/diag"
	"tfconform/plugin"
	"tfconform/schema"
	tfplugin6 "tfconformgen/tfplugin6"
)

// ClientCapabilities is what Terraform 1.15 advertises (notes/tfplugin6.md task brief): no
// deferrals, write-only attributes allowed.
var ClientCapabilities = &tfplugin6.ClientCapabilities{DeferralAllowed: false, WriteOnlyAttributesAllowed: true}

// GRPC is a provider instance behind a gRPC connection (TF plugin6.GRPCProvider).
type GRPC struct {
	Addr   Addr
	Plugin *plugin.Client // nil in tests that bring their own connection
	client tfplugin6.ProviderClient
	ctx    context.Context

	mu      sync.Mutex
	schemas *Schemas
}

func NewGRPC(addr Addr, p *plugin.Client) *GRPC {
	return &GRPC{Addr: addr, Plugin: p, client: tfplugin6.NewProviderClient(p.Conn), ctx: context.Background()}
}

// NewGRPCConn wraps an existing connection (protocol tests).
func NewGRPCConn(addr Addr, conn grpc.ClientConnInterface) *GRPC {
	return &GRPC{Addr: addr, client: tfplugin6.NewProviderClient(conn), ctx: context.Background()}
}

func (p *GRPC) Raw() tfplugin6.ProviderClient { return p.client }

// grpcErr converts a gRPC error the way Terraform does (TF internal/plugin6/grpc_error.go;
// notes 1.3). requestName is Terraform's caller name, e.g. "plugin6.(*GRPCProvider).PlanResourceChange".
func grpcErr(method string, err error) diag.Diagnostics {
	if err == nil {
		return nil
	}
	requestName := "plugin6.(*GRPCProvider)." + method
	var d *diag.Diagnostic
	s, ok := status.FromError(err)
	if !ok {
		d = diag.Sourceless(diag.Error, "Plugin error", fmt.Sprintf("The plugin returned an unexpected error from %s: %v", requestName, err))
	} else {
		switch s.Code() {
		case codes.Unavailable:
			d = diag.Sourceless(diag.Error, "Plugin did not respond",
				fmt.Sprintf("The plugin encountered an error, and failed to respond to the %s call. The plugin logs may contain more details.", requestName))
		case codes.Canceled:
			d = diag.Sourceless(diag.Error, "Request cancelled", fmt.Sprintf("The %s request was cancelled.", requestName))
		case codes.Unimplemented:
			d = diag.Sourceless(diag.Error, "Unsupported plugin method", fmt.Sprintf("The %s method is not supported by this plugin.", requestName))
		default:
			d = diag.Sourceless(diag.Error, "Plugin error", fmt.Sprintf("The plugin returned an unexpected error from %s: %v", requestName, err))
		}
	}
	plugin.Log.Core(plugin.LevelError, "%s: %v", requestName, err)
	return diag.Diagnostics{d}
}

// ConvertDiagnostics maps tfplugin6 diagnostics (TF convert.ProtoToDiagnostics, notes 4.9).
func ConvertDiagnostics(pds []*tfplugin6.Diagnostic) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, pd := range pds {
		var sev diag.Severity
		switch pd.Severity {
		case tfplugin6.Diagnostic_ERROR:
			sev = diag.Error
		case tfplugin6.Diagnostic_WARNING:
			sev = diag.Warning
		default:
			if plugin.Strict() {
				plugin.Violate("provider returned a diagnostic with severity INVALID (Terraform treats it as neither error nor warning): %q", pd.Summary)
			}
		}
		ds = append(ds, diag.FromProvider(sev, pd.Summary, pd.Detail, AttributePathToPath(pd.Attribute)))
	}
	return ds
}

// AttributePathToPath converts a tfplugin6.AttributePath to a cty.Path (TF convert.AttributePathToPath).
func AttributePathToPath(ap *tfplugin6.AttributePath) cty.Path {
	if ap == nil || len(ap.Steps) == 0 {
		return nil
	}
	var p cty.Path
	for _, s := range ap.Steps {
		switch sel := s.Selector.(type) {
		case *tfplugin6.AttributePath_Step_AttributeName:
			p = p.GetAttr(sel.AttributeName)
		case *tfplugin6.AttributePath_Step_ElementKeyString:
			p = p.Index(cty.StringVal(sel.ElementKeyString))
		case *tfplugin6.AttributePath_Step_ElementKeyInt:
			p = p.Index(cty.NumberIntVal(sel.ElementKeyInt))
		}
	}
	return p
}

// PathToAttributePath is the reverse (used by tests and the fake provider).
func PathToAttributePath(p cty.Path) *tfplugin6.AttributePath {
	ap := &tfplugin6.AttributePath{}
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			ap.Steps = append(ap.Steps, &tfplugin6.AttributePath_Step{Selector: &tfplugin6.AttributePath_Step_AttributeName{AttributeName: s.Name}})
		case cty.IndexStep:
			if s.Key.Type() == cty.String {
				ap.Steps = append(ap.Steps, &tfplugin6.AttributePath_Step{Selector: &tfplugin6.AttributePath_Step_ElementKeyString{ElementKeyString: s.Key.AsString()}})
			} else {
				n, _ := s.Key.AsBigFloat().Int64()
				ap.Steps = append(ap.Steps, &tfplugin6.AttributePath_Step{Selector: &tfplugin6.AttributePath_Step_ElementKeyInt{ElementKeyInt: n}})
			}
		}
	}
	return ap
}

// Encode msgpack-encodes a value with a type; marks must have been removed (notes 3.6).
func Encode(v cty.Value, ty cty.Type) (*tfplugin6.DynamicValue, error) {
	b, err := msgpack.Marshal(v, ty)
	if err != nil {
		return nil, err
	}
	return &tfplugin6.DynamicValue{Msgpack: b}, nil
}

// Decode is TF decodeDynamicValue: msgpack if present, else JSON, else null (notes 3.1). Refined
// unknowns (ext type 12) and other extensions are checked as cty 1.18 does (notes 3.2).
func Decode(dv *tfplugin6.DynamicValue, ty cty.Type) (cty.Value, error) {
	res := cty.NullVal(ty)
	if dv == nil {
		return res, nil
	}
	var err error
	switch {
	case len(dv.Msgpack) > 0:
		if err := checkMsgpackExtensions(dv.Msgpack); err != nil {
			return res, err
		}
		res, err = msgpack.Unmarshal(dv.Msgpack, ty)
	case len(dv.Json) > 0:
		res, err = ctyjson.Unmarshal(dv.Json, ty)
	}
	return res, err
}

func deferredDiag(typeName string, d *tfplugin6.Deferred) diag.Diagnostics {
	if d == nil {
		return nil
	}
	// Terraform rejects a deferral when client_capabilities.deferral_allowed is false (notes 4.9).
	return diag.Diagnostics{diag.Sourceless(diag.Error, "Provider deferred changes when Terraform did not allow deferrals",
		fmt.Sprintf("The provider signaled a deferred action for %q, but in this context deferrals are disabled. This is a bug in the provider, please file an issue with the provider developers.", typeName))}
}

// ---------------------------------------------------------------- schema

func (p *GRPC) GetProviderSchema() *Schemas {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.schemas != nil {
		return p.schemas
	}
	s := &Schemas{ResourceTypes: map[string]*schema.Schema{}, DataSources: map[string]*schema.Schema{}, Functions: map[string]bool{}}
	p.schemas = s
	// Terraform caps the schema response at 64 MiB (TF grpc_provider.go:132).
	resp, err := p.client.GetProviderSchema(p.ctx, &tfplugin6.GetProviderSchema_Request{}, grpc.MaxCallRecvMsgSize(64<<20))
	if err != nil {
		s.Diagnostics = grpcErr("GetProviderSchema", err)
		return s
	}
	s.Diagnostics = s.Diagnostics.Append(ConvertDiagnostics(resp.Diagnostics))
	if s.Diagnostics.HasErrors() {
		return s
	}
	if resp.Provider == nil {
		s.Diagnostics = s.Diagnostics.Append(diag.Errorf("missing provider schema"))
		return s
	}
	// Terraform calls GetResourceIdentitySchemas right after; UNIMPLEMENTED means "none", any other
	// error fails the schema load (notes 1.3).
	if _, err := p.client.GetResourceIdentitySchemas(p.ctx, &tfplugin6.GetResourceIdentitySchemas_Request{}); err != nil {
		if st, ok := status.FromError(err); !ok || st.Code() != codes.Unimplemented {
			s.Diagnostics = s.Diagnostics.Append(grpcErr("GetResourceIdentitySchemas", err))
			return s
		}
	}
	conv := func(what string, ps *tfplugin6.Schema) *schema.Schema {
		sc, err := schema.FromProto(ps)
		if err != nil {
			s.Diagnostics = s.Diagnostics.Append(diag.Sourceless(diag.Error, "Invalid provider schema",
				fmt.Sprintf("Provider %q returned an invalid schema for %s: %s.", p.Addr.String(), what, err)))
			return nil
		}
		return sc
	}
	s.Provider = conv("the provider configuration", resp.Provider)
	if resp.ProviderMeta != nil {
		s.ProviderMeta = conv("provider_meta", resp.ProviderMeta)
	}
	for name, rs := range resp.ResourceSchemas {
		if sc := conv(fmt.Sprintf("resource type %q", name), rs); sc != nil {
			s.ResourceTypes[name] = sc
		}
	}
	for name, ds := range resp.DataSourceSchemas {
		if sc := conv(fmt.Sprintf("data source %q", name), ds); sc != nil {
			s.DataSources[name] = sc
		}
	}
	for name, f := range resp.Functions {
		if f.Return == nil {
			s.Diagnostics = s.Diagnostics.Append(diag.Sourceless(diag.Error, "Invalid provider schema",
				fmt.Sprintf("Provider %q function %q has no return type (Terraform dereferences it and crashes).", p.Addr.String(), name)))
		}
		s.Functions[name] = true
	}
	if c := resp.ServerCapabilities; c != nil {
		s.ServerCaps.PlanDestroy = c.PlanDestroy
		s.ServerCaps.GetProviderSchemaOptional = c.GetProviderSchemaOptional
		s.ServerCaps.MoveResourceState = c.MoveResourceState
		s.ServerCaps.GenerateResourceConfig = c.GenerateResourceConfig
	}
	return s
}

func (p *GRPC) resSchema(typeName string) (*schema.Schema, diag.Diagnostics) {
	s := p.GetProviderSchema()
	if s.Diagnostics.HasErrors() {
		return nil, s.Diagnostics
	}
	rs := s.ResourceTypes[typeName]
	if rs == nil {
		return nil, diag.Diagnostics{diag.Errorf("unknown resource type %q", typeName)}
	}
	return rs, nil
}

func (p *GRPC) dataSchema(typeName string) (*schema.Schema, diag.Diagnostics) {
	s := p.GetProviderSchema()
	if s.Diagnostics.HasErrors() {
		return nil, s.Diagnostics
	}
	ds := s.DataSources[typeName]
	if ds == nil {
		return nil, diag.Diagnostics{diag.Errorf("unknown data source %q", typeName)}
	}
	return ds, nil
}

func (p *GRPC) metaValue(v cty.Value) (*tfplugin6.DynamicValue, error) {
	s := p.GetProviderSchema()
	if s.ProviderMeta == nil || s.ProviderMeta.Block == nil {
		return nil, nil
	}
	ty := s.ProviderMeta.Block.ImpliedType()
	if v == cty.NilVal || v.Type() == cty.DynamicPseudoType {
		v = cty.NullVal(ty)
	}
	return Encode(v, ty)
}

// ---------------------------------------------------------------- validation / configure

func (p *GRPC) ValidateProviderConfig(config cty.Value) diag.Diagnostics {
	s := p.GetProviderSchema()
	if s.Diagnostics.HasErrors() {
		return s.Diagnostics
	}
	dv, err := Encode(config, s.Provider.Block.ImpliedType())
	if err != nil {
		return diag.Diagnostics{diag.Errorf("%s", err)}
	}
	resp, err := p.client.ValidateProviderConfig(p.ctx, &tfplugin6.ValidateProviderConfig_Request{Config: dv})
	if err != nil {
		return grpcErr("ValidateProviderConfig", err)
	}
	return ConvertDiagnostics(resp.Diagnostics)
}

func (p *GRPC) ValidateResourceConfig(typeName string, config cty.Value) diag.Diagnostics {
	rs, diags := p.resSchema(typeName)
	if diags.HasErrors() {
		return diags
	}
	dv, err := Encode(config, rs.Block.ImpliedType())
	if err != nil {
		return diag.Diagnostics{diag.Errorf("%s", err)}
	}
	resp, err := p.client.ValidateResourceConfig(p.ctx, &tfplugin6.ValidateResourceConfig_Request{TypeName: typeName, Config: dv, ClientCapabilities: ClientCapabilities})
	if err != nil {
		return grpcErr("ValidateResourceConfig", err)
	}
	return ConvertDiagnostics(resp.Diagnostics)
}

func (p *GRPC) ValidateDataResourceConfig(typeName string, config cty.Value) diag.Diagnostics {
	ds, diags := p.dataSchema(typeName)
	if diags.HasErrors() {
		return diags
	}
	dv, err := Encode(config, ds.Block.ImpliedType())
	if err != nil {
		return diag.Diagnostics{diag.Errorf("%s", err)}
	}
	resp, err := p.client.ValidateDataResourceConfig(p.ctx, &tfplugin6.ValidateDataResourceConfig_Request{TypeName: typeName, Config: dv})
	if err != nil {
		return grpcErr("ValidateDataResourceConfig", err)
	}
	return ConvertDiagnostics(resp.Diagnostics)
}

func (p *GRPC) ConfigureProvider(terraformVersion string, config cty.Value) diag.Diagnostics {
	s := p.GetProviderSchema()
	if s.Diagnostics.HasErrors() {
		return s.Diagnostics
	}
	dv, err := Encode(config, s.Provider.Block.ImpliedType())
	if err != nil {
		return diag.Diagnostics{diag.Errorf("%s", err)}
	}
	resp, err := p.client.ConfigureProvider(p.ctx, &tfplugin6.ConfigureProvider_Request{
		TerraformVersion: terraformVersion, Config: dv, ClientCapabilities: ClientCapabilities})
	if err != nil {
		return grpcErr("ConfigureProvider", err)
	}
	return ConvertDiagnostics(resp.Diagnostics)
}

// ---------------------------------------------------------------- resources

func (p *GRPC) UpgradeResourceState(typeName string, version int64, rawJSON []byte) UpgradeResourceStateResponse {
	var ret UpgradeResourceStateResponse
	rs, diags := p.resSchema(typeName)
	if diags.HasErrors() {
		ret.Diagnostics = diags
		return ret
	}
	ty := rs.Block.ImpliedType()
	ret.UpgradedState = cty.NullVal(ty)
	resp, err := p.client.UpgradeResourceState(p.ctx, &tfplugin6.UpgradeResourceState_Request{
		TypeName: typeName, Version: version, RawState: &tfplugin6.RawState{Json: rawJSON}})
	if err != nil {
		ret.Diagnostics = grpcErr("UpgradeResourceState", err)
		return ret
	}
	ret.Diagnostics = ConvertDiagnostics(resp.Diagnostics)
	if resp.UpgradedState == nil {
		return ret
	}
	v, err := Decode(resp.UpgradedState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	ret.UpgradedState = v
	return ret
}

func (p *GRPC) ReadResource(req ReadResourceRequest) ReadResourceResponse {
	var ret ReadResourceResponse
	rs, diags := p.resSchema(req.TypeName)
	if diags.HasErrors() {
		ret.Diagnostics = diags
		return ret
	}
	ty := rs.Block.ImpliedType()
	ret.NewState = cty.NullVal(ty)
	dv, err := Encode(req.PriorState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	pr := &tfplugin6.ReadResource_Request{TypeName: req.TypeName, CurrentState: dv, Private: req.Private, ClientCapabilities: ClientCapabilities}
	if pr.ProviderMeta, err = p.metaValue(req.ProviderMeta); err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	resp, err := p.client.ReadResource(p.ctx, pr)
	if err != nil {
		ret.Diagnostics = grpcErr("ReadResource", err)
		return ret
	}
	ret.Diagnostics = ConvertDiagnostics(resp.Diagnostics)
	ret.Diagnostics = ret.Diagnostics.Append(deferredDiag(req.TypeName, resp.Deferred))
	v, err := Decode(resp.NewState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	ret.NewState = v
	ret.Private = resp.Private
	return ret
}

func (p *GRPC) PlanResourceChange(req PlanResourceChangeRequest) PlanResourceChangeResponse {
	var ret PlanResourceChangeResponse
	rs, diags := p.resSchema(req.TypeName)
	if diags.HasErrors() {
		ret.Diagnostics = diags
		return ret
	}
	ty := rs.Block.ImpliedType()
	// Destroy is planned by Terraform itself unless the provider advertises plan_destroy
	// (TF grpc_provider.go:648-653; notes 1.3).
	if req.PriorState.IsNull() == false && req.ProposedNewState.IsNull() && !p.GetProviderSchema().ServerCaps.PlanDestroy {
		ret.PlannedState = req.ProposedNewState
		ret.PlannedPrivate = req.PriorPrivate
		return ret
	}
	ret.PlannedState = cty.NullVal(ty)
	prior, err := Encode(req.PriorState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	proposed, err := Encode(req.ProposedNewState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	config, err := Encode(req.Config, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	pr := &tfplugin6.PlanResourceChange_Request{TypeName: req.TypeName, PriorState: prior, ProposedNewState: proposed,
		Config: config, PriorPrivate: req.PriorPrivate, ClientCapabilities: ClientCapabilities}
	if pr.ProviderMeta, err = p.metaValue(req.ProviderMeta); err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	resp, err := p.client.PlanResourceChange(p.ctx, pr)
	if err != nil {
		ret.Diagnostics = grpcErr("PlanResourceChange", err)
		return ret
	}
	ret.Diagnostics = ConvertDiagnostics(resp.Diagnostics)
	ret.Diagnostics = ret.Diagnostics.Append(deferredDiag(req.TypeName, resp.Deferred))
	v, err := Decode(resp.PlannedState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	ret.PlannedState = v
	for _, ap := range resp.RequiresReplace {
		ret.RequiresReplace = append(ret.RequiresReplace, AttributePathToPath(ap))
	}
	ret.PlannedPrivate = resp.PlannedPrivate
	ret.LegacyTypeSystem = resp.LegacyTypeSystem
	return ret
}

func (p *GRPC) ApplyResourceChange(req ApplyResourceChangeRequest) ApplyResourceChangeResponse {
	var ret ApplyResourceChangeResponse
	rs, diags := p.resSchema(req.TypeName)
	if diags.HasErrors() {
		ret.Diagnostics = diags
		return ret
	}
	ty := rs.Block.ImpliedType()
	prior, err := Encode(req.PriorState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	planned, err := Encode(req.PlannedState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	config, err := Encode(req.Config, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	pr := &tfplugin6.ApplyResourceChange_Request{TypeName: req.TypeName, PriorState: prior, PlannedState: planned,
		Config: config, PlannedPrivate: req.PlannedPrivate}
	if pr.ProviderMeta, err = p.metaValue(req.ProviderMeta); err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	resp, err := p.client.ApplyResourceChange(p.ctx, pr)
	if err != nil {
		ret.Diagnostics = grpcErr("ApplyResourceChange", err)
		return ret
	}
	ret.Diagnostics = ConvertDiagnostics(resp.Diagnostics)
	ret.Private = resp.Private
	ret.LegacyTypeSystem = resp.LegacyTypeSystem
	if resp.NewState == nil {
		ret.NewState = cty.NilVal
		return ret
	}
	v, err := Decode(resp.NewState, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		ret.NewState = cty.NilVal
		return ret
	}
	ret.NewState = v
	return ret
}

func (p *GRPC) ImportResourceState(typeName, id string) ImportResourceStateResponse {
	var ret ImportResourceStateResponse
	if _, diags := p.resSchema(typeName); diags.HasErrors() {
		ret.Diagnostics = diags
		return ret
	}
	resp, err := p.client.ImportResourceState(p.ctx, &tfplugin6.ImportResourceState_Request{TypeName: typeName, Id: id, ClientCapabilities: ClientCapabilities})
	if err != nil {
		ret.Diagnostics = grpcErr("ImportResourceState", err)
		return ret
	}
	ret.Diagnostics = ConvertDiagnostics(resp.Diagnostics)
	ret.Diagnostics = ret.Diagnostics.Append(deferredDiag(typeName, resp.Deferred))
	for _, ir := range resp.ImportedResources {
		r := ImportedResource{TypeName: ir.TypeName, Private: ir.Private}
		// Decoded with the schema of the requested type (notes 4.8).
		rs, _ := p.resSchema(typeName)
		if other := p.GetProviderSchema().ResourceTypes[ir.TypeName]; other != nil {
			rs = other
		}
		v, err := Decode(ir.State, rs.Block.ImpliedType())
		if err != nil {
			ret.Diagnostics = ret.Diagnostics.Append(err)
			return ret
		}
		r.State = v
		ret.ImportedResources = append(ret.ImportedResources, r)
	}
	return ret
}

func (p *GRPC) ReadDataSource(typeName string, config, providerMeta cty.Value) ReadDataSourceResponse {
	var ret ReadDataSourceResponse
	ds, diags := p.dataSchema(typeName)
	if diags.HasErrors() {
		ret.Diagnostics = diags
		return ret
	}
	ty := ds.Block.ImpliedType()
	ret.State = cty.NullVal(ty)
	dv, err := Encode(config, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	pr := &tfplugin6.ReadDataSource_Request{TypeName: typeName, Config: dv, ClientCapabilities: ClientCapabilities}
	if pr.ProviderMeta, err = p.metaValue(providerMeta); err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	resp, err := p.client.ReadDataSource(p.ctx, pr)
	if err != nil {
		ret.Diagnostics = grpcErr("ReadDataSource", err)
		return ret
	}
	ret.Diagnostics = ConvertDiagnostics(resp.Diagnostics)
	ret.Diagnostics = ret.Diagnostics.Append(deferredDiag(typeName, resp.Deferred))
	v, err := Decode(resp.State, ty)
	if err != nil {
		ret.Diagnostics = ret.Diagnostics.Append(err)
		return ret
	}
	ret.State = v
	return ret
}

func (p *GRPC) StopProvider() error {
	resp, err := p.client.StopProvider(p.ctx, &tfplugin6.StopProvider_Request{})
	if err != nil {
		return err
	}
	if resp.Error != "" {
		return fmt.Errorf("%s", resp.Error)
	}
	return nil
}

func (p *GRPC) Close() error {
	if p.Plugin == nil {
		return nil
	}
	return p.Plugin.Close()
}
