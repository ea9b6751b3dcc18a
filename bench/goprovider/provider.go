package main

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

type foundryProvider struct{}

func newProvider() provider.Provider { return &foundryProvider{} }

func (p *foundryProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "foundrygo"
}

func (p *foundryProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{}
}

// Configure: the same ARM_* environment the C provider reads (the emulator's service principal).
func (p *foundryProvider) Configure(_ context.Context, _ provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	c := &armClient{
		endpoint:     os.Getenv("ARM_RESOURCE_MANAGER_ENDPOINT"),
		authority:    os.Getenv("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"),
		tenantID:     os.Getenv("ARM_TENANT_ID"),
		clientID:     os.Getenv("ARM_CLIENT_ID"),
		clientSecret: os.Getenv("ARM_CLIENT_SECRET"),
	}
	resp.ResourceData = c
	resp.DataSourceData = c
}

func (p *foundryProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{newConnection}
}

func (p *foundryProvider) DataSources(_ context.Context) []func() datasource.DataSource { return nil }
