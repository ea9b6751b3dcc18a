// Command azapistub stands in for registry.terraform.io/azure/azapi in the adoption tests: it serves an
// azapi_resource schema shaped like azapi 2.x's (type, parent_id, name, body and sensitive_body as dynamic values,
// schema version 2) and keeps state as it is given, so that a state written the way azapi writes it can be moved to
// foundry_gateway_connection by the real CLIs. It never talks to Azure.
package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type stub struct{ tfprotov6.ProviderServer }

var objType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{
	"id": tftypes.String, "type": tftypes.String, "parent_id": tftypes.String, "name": tftypes.String,
	"body": tftypes.DynamicPseudoType, "sensitive_body": tftypes.DynamicPseudoType,
}}

func schema() *tfprotov6.Schema {
	attr := func(name string, t tftypes.Type, req, opt, comp, sens bool) *tfprotov6.SchemaAttribute {
		return &tfprotov6.SchemaAttribute{Name: name, Type: t, Required: req, Optional: opt, Computed: comp, Sensitive: sens}
	}
	return &tfprotov6.Schema{Version: 2, Block: &tfprotov6.SchemaBlock{Attributes: []*tfprotov6.SchemaAttribute{
		attr("id", tftypes.String, false, false, true, false),
		attr("type", tftypes.String, true, false, false, false),
		attr("parent_id", tftypes.String, false, true, true, false),
		attr("name", tftypes.String, false, true, true, false),
		attr("body", tftypes.DynamicPseudoType, false, true, true, false),
		attr("sensitive_body", tftypes.DynamicPseudoType, false, true, false, true),
	}}}
}

func (stub) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return &tfprotov6.GetMetadataResponse{Resources: []tfprotov6.ResourceMetadata{{TypeName: "azapi_resource"}}}, nil
}

func (stub) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		Provider:        &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}},
		ResourceSchemas: map[string]*tfprotov6.Schema{"azapi_resource": schema()},
	}, nil
}

func (stub) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{}, nil
}

func (stub) ValidateProviderConfig(_ context.Context, r *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: r.Config}, nil
}

func (stub) ConfigureProvider(context.Context, *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (stub) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (stub) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (stub) UpgradeResourceState(_ context.Context, r *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	v, err := r.RawState.UnmarshalWithOpts(objType, tfprotov6.UnmarshalOpts{})
	if err != nil {
		return nil, err
	}
	dv, err := tfprotov6.NewDynamicValue(objType, v)
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, err
}

func (stub) ReadResource(_ context.Context, r *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: r.CurrentState, Private: r.Private}, nil
}

func (stub) PlanResourceChange(_ context.Context, r *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: r.ProposedNewState}, nil
}

func (stub) ApplyResourceChange(_ context.Context, r *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return &tfprotov6.ApplyResourceChangeResponse{NewState: r.PlannedState}, nil
}

func (stub) MoveResourceState(context.Context, *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{}, nil
}

func main() {
	if err := tf6server.Serve("registry.terraform.io/azure/azapi", func() tfprotov6.ProviderServer { return stub{} }); err != nil {
		panic(err)
	}
}
