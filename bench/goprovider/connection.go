package main

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

type connection struct{ arm *armClient }

func newConnection() resource.Resource { return &connection{} }

type modelModel struct {
	Name         types.String `tfsdk:"name"`
	ModelName    types.String `tfsdk:"model_name"`
	ModelVersion types.String `tfsdk:"model_version"`
	ModelFormat  types.String `tfsdk:"model_format"`
}

type connectionModel struct {
	ID       types.String `tfsdk:"id"`
	ParentID types.String `tfsdk:"parent_id"`
	Name     types.String `tfsdk:"name"`
	Category types.String `tfsdk:"category"`
	Target   types.String `tfsdk:"target"`
	AuthType types.String `tfsdk:"auth_type"`
	APIKey   types.String `tfsdk:"api_key"`
	Models   []modelModel `tfsdk:"models"`
}

func (r *connection) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "foundrygo_gateway_connection"
}

func (r *connection) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":        schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"parent_id": schema.StringAttribute{Required: true, PlanModifiers: replace},
		"name":      schema.StringAttribute{Required: true, PlanModifiers: replace},
		"category":  schema.StringAttribute{Required: true},
		"target":    schema.StringAttribute{Required: true},
		"auth_type": schema.StringAttribute{Required: true},
		"api_key":   schema.StringAttribute{Optional: true, Sensitive: true},
		"models": schema.ListNestedAttribute{Optional: true, NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"name":          schema.StringAttribute{Required: true},
				"model_name":    schema.StringAttribute{Required: true},
				"model_version": schema.StringAttribute{Optional: true},
				"model_format":  schema.StringAttribute{Required: true},
			}}},
	}}
}

func (r *connection) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*armClient); ok {
		r.arm = c
	}
}

func body(m *connectionModel) map[string]any {
	models := []map[string]any{}
	for _, x := range m.Models {
		models = append(models, map[string]any{"name": x.Name.ValueString(), "properties": map[string]any{
			"model": map[string]any{"name": x.ModelName.ValueString(), "version": x.ModelVersion.ValueString(),
				"format": x.ModelFormat.ValueString()}}})
	}
	enc, _ := json.Marshal(models)
	return map[string]any{"properties": map[string]any{
		"category": m.Category.ValueString(), "target": m.Target.ValueString(), "authType": m.AuthType.ValueString(),
		"isSharedToAll": false, "credentials": map[string]any{"key": m.APIKey.ValueString()},
		"metadata": map[string]any{"deploymentInPath": "false", "models": string(enc)},
	}}
}

// put writes the planned connection (create and update alike: ARM's PUT is an upsert) and records it in state.
func (r *connection) put(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	var m connectionModel
	diags.Append(plan.Get(ctx, &m)...)
	if diags.HasError() {
		return
	}
	id := m.ParentID.ValueString() + "/connections/" + m.Name.ValueString()
	if _, _, err := r.arm.do("PUT", id, body(&m)); err != nil {
		diags.AddError("put", err.Error())
		return
	}
	m.ID = types.StringValue(id)
	diags.Append(state.Set(ctx, &m)...)
}

func (r *connection) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.put(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *connection) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	got, status, err := r.arm.do("GET", m.ID.ValueString(), nil)
	if err != nil {
		resp.Diagnostics.AddError("read", err.Error())
		return
	}
	if status == 404 {
		resp.State.RemoveResource(ctx)
		return
	}
	if p, ok := got["properties"].(map[string]any); ok {
		if v, ok := p["target"].(string); ok {
			m.Target = types.StringValue(v)
		}
		if v, ok := p["category"].(string); ok {
			m.Category = types.StringValue(v)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *connection) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.put(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *connection) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m connectionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	if _, _, err := r.arm.do("DELETE", m.ID.ValueString(), nil); err != nil {
		resp.Diagnostics.AddError("delete", err.Error())
	}
}
