package provider

import (
	"github.com/zclconf/go-cty/cty"

	"tfconform/diag"
	"tfconform/schema"
)

// Schemas is everything GetProviderSchema (+ GetResourceIdentitySchemas) returned.
type Schemas struct {
	Provider      *schema.Schema
	ProviderMeta  *schema.Schema // nil when the provider declares none
	ResourceTypes map[string]*schema.Schema
	DataSources   map[string]*schema.Schema
	Functions     map[string]bool
	ServerCaps    struct{ PlanDestroy, GetProviderSchemaOptional, MoveResourceState, GenerateResourceConfig bool }
	Diagnostics   diag.Diagnostics
}

type ReadResourceRequest struct {
	TypeName     string
	PriorState   cty.Value
	Private      []byte
	ProviderMeta cty.Value
}

type ReadResourceResponse struct {
	NewState    cty.Value
	Private     []byte
	Diagnostics diag.Diagnostics
}

type PlanResourceChangeRequest struct {
	TypeName         string
	PriorState       cty.Value
	ProposedNewState cty.Value
	Config           cty.Value
	PriorPrivate     []byte
	ProviderMeta     cty.Value
}

type PlanResourceChangeResponse struct {
	PlannedState     cty.Value
	RequiresReplace  []cty.Path
	PlannedPrivate   []byte
	LegacyTypeSystem bool
	Diagnostics      diag.Diagnostics
}

type ApplyResourceChangeRequest struct {
	TypeName       string
	PriorState     cty.Value
	PlannedState   cty.Value
	Config         cty.Value
	PlannedPrivate []byte
	ProviderMeta   cty.Value
}

type ApplyResourceChangeResponse struct {
	// NewState is cty.NilVal when the provider sent no new_state at all.
	NewState         cty.Value
	Private          []byte
	LegacyTypeSystem bool
	Diagnostics      diag.Diagnostics
}

type ImportedResource struct {
	TypeName string
	State    cty.Value
	Private  []byte
}

type ImportResourceStateResponse struct {
	ImportedResources []ImportedResource
	Diagnostics       diag.Diagnostics
}

type UpgradeResourceStateResponse struct {
	UpgradedState cty.Value
	Diagnostics   diag.Diagnostics
}

type ReadDataSourceResponse struct {
	State       cty.Value
	Diagnostics diag.Diagnostics
}

// Interface is what the core needs from a provider instance (Terraform providers.Interface, the
// part a managed-resource provider uses).
type Interface interface {
	GetProviderSchema() *Schemas
	ValidateProviderConfig(config cty.Value) diag.Diagnostics
	ValidateResourceConfig(typeName string, config cty.Value) diag.Diagnostics
	ValidateDataResourceConfig(typeName string, config cty.Value) diag.Diagnostics
	UpgradeResourceState(typeName string, version int64, rawJSON []byte) UpgradeResourceStateResponse
	ConfigureProvider(terraformVersion string, config cty.Value) diag.Diagnostics
	ReadResource(req ReadResourceRequest) ReadResourceResponse
	PlanResourceChange(req PlanResourceChangeRequest) PlanResourceChangeResponse
	ApplyResourceChange(req ApplyResourceChangeRequest) ApplyResourceChangeResponse
	ImportResourceState(typeName, id string) ImportResourceStateResponse
	ReadDataSource(typeName string, config, providerMeta cty.Value) ReadDataSourceResponse
	StopProvider() error
	Close() error
}
