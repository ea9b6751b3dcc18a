package core

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/diag"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// mock is an in-process provider recording what Terraform's core sends it.
type mock struct {
	mu       sync.Mutex
	schemas  *provider.Schemas
	plans    []provider.PlanResourceChangeRequest
	configs  []cty.Value
	planFunc func(req provider.PlanResourceChangeRequest) provider.PlanResourceChangeResponse
}

var mockAddr = provider.Addr{Hostname: "registry.terraform.io", Namespace: "test", Type: "mock"}

func newMock() *mock {
	res := &schema.Block{Attributes: map[string]*schema.Attribute{
		"id":     {Type: cty.String, Computed: true},
		"name":   {Type: cty.String, Required: true},
		"value":  {Type: cty.String, Optional: true},
		"secret": {Type: cty.String, Optional: true, Sensitive: true},
		"list":   {Type: cty.List(cty.String), Optional: true},
	}}
	prov := &schema.Block{Attributes: map[string]*schema.Attribute{"endpoint": {Type: cty.String, Optional: true}}}
	return &mock{schemas: &provider.Schemas{
		Provider:      &schema.Schema{Block: prov},
		ResourceTypes: map[string]*schema.Schema{"mock_thing": {Block: res}},
		DataSources:   map[string]*schema.Schema{},
	}}
}

func (m *mock) GetProviderSchema() *provider.Schemas                            { return m.schemas }
func (m *mock) ValidateProviderConfig(cty.Value) diag.Diagnostics                { return nil }
func (m *mock) ValidateResourceConfig(string, cty.Value) diag.Diagnostics        { return nil }
func (m *mock) ValidateDataResourceConfig(string, cty.Value) diag.Diagnostics    { return nil }
func (m *mock) StopProvider() error                                              { return nil }
func (m *mock) Close() error                                                     { return nil }
func (m *mock) ImportResourceState(string, string) provider.ImportResourceStateResponse {
	return provider.ImportResourceStateResponse{}
}
func (m *mock) ReadDataSource(string, cty.Value, cty.Value) provider.ReadDataSourceResponse {
	return provider.ReadDataSourceResponse{}
}
func (m *mock) UpgradeResourceState(typ string, v int64, raw []byte) provider.UpgradeResourceStateResponse {
	return provider.UpgradeResourceStateResponse{}
}
func (m *mock) ReadResource(req provider.ReadResourceRequest) provider.ReadResourceResponse {
	return provider.ReadResourceResponse{NewState: req.PriorState, Private: req.Private}
}
func (m *mock) ApplyResourceChange(req provider.ApplyResourceChangeRequest) provider.ApplyResourceChangeResponse {
	return provider.ApplyResourceChangeResponse{NewState: cty.UnknownAsNull(req.PlannedState)}
}

func (m *mock) ConfigureProvider(v string, cfg cty.Value) diag.Diagnostics {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.configs = append(m.configs, cfg)
	return nil
}

func (m *mock) PlanResourceChange(req provider.PlanResourceChangeRequest) provider.PlanResourceChangeResponse {
	m.mu.Lock()
	m.plans = append(m.plans, req)
	m.mu.Unlock()
	if m.planFunc != nil {
		return m.planFunc(req)
	}
	p := req.ProposedNewState
	if !p.IsNull() && req.PriorState.IsNull() {
		vals := p.AsValueMap()
		vals["id"] = cty.UnknownVal(cty.String)
		p = cty.ObjectVal(vals)
	}
	return provider.PlanResourceChangeResponse{PlannedState: p}
}

func planConfig(t *testing.T, files map[string]string, vars map[string]cty.Value) (*Plan, *mock) {
	t.Helper()
	dir := t.TempDir()
	for n, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755)
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	cfg, ds := config.Load(dir)
	if ds.HasErrors() {
		t.Fatalf("config: %s", ds.Errs())
	}
	m := newMock()
	c := &Context{Config: cfg, Parallelism: 10, TerraformVersion: "1.15.9",
		Factories: map[provider.Addr]Factory{mockAddr: func(provider.Addr) (provider.Interface, error) { return m, nil }},
		Schemas:   map[provider.Addr]*provider.Schemas{mockAddr: m.schemas}}
	if vars == nil {
		vars = map[string]cty.Value{}
	}
	pv, ds := PrepareVariables(cfg, rawOf(vars))
	if ds.HasErrors() {
		t.Fatalf("variables: %s", ds.Errs())
	}
	if ds := c.Validate(); ds.HasErrors() {
		t.Fatalf("validate: %s", ds.Errs())
	}
	p := c.Plan(state.New(), PlanOpts{Mode: NormalMode, Refresh: true, Variables: pv})
	if p.Diagnostics.HasErrors() {
		t.Fatalf("plan: %s", p.Diagnostics.Errs())
	}
	return p, m
}

func rawOf(vals map[string]cty.Value) map[string]*RawVariable {
	out := map[string]*RawVariable{}
	for k, v := range vals {
		out[k] = &RawVariable{Str: v.AsString(), IsStr: true, Source: "-var"}
	}
	return out
}

const mockHeader = `terraform {
  required_providers {
    mock = { source = "registry.terraform.io/test/mock" }
  }
}
`

func (m *mock) planFor(name string) *provider.PlanResourceChangeRequest {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.plans {
		if m.plans[i].Config.GetAttr("name").RawEquals(cty.StringVal(name)) {
			return &m.plans[i]
		}
	}
	return nil
}

// Values unknown during plan reach the provider as unknown; sensitive values arrive unmarked.
func TestUnknownsAndMarksReachTheProvider(t *testing.T) {
	p, m := planConfig(t, map[string]string{"main.tf": mockHeader + `
variable "pw" {
  type      = string
  sensitive = true
}
provider "mock" {
  endpoint = "https://example.invalid"
}
resource "mock_thing" "a" {
  name   = "a"
  secret = var.pw
}
resource "mock_thing" "b" {
  name  = "b"
  value = "ref-${mock_thing.a.id}"
  list  = [mock_thing.a.id, "x"]
}
`}, map[string]cty.Value{"pw": cty.StringVal("hunter2")})
	b := m.planFor("b")
	if b == nil {
		t.Fatal("no PlanResourceChange for b")
	}
	if b.Config.GetAttr("value").IsKnown() {
		t.Errorf("a value derived from a computed attribute of a resource being created must be unknown, got %#v", b.Config.GetAttr("value"))
	}
	if l := b.Config.GetAttr("list"); !l.IsKnown() || l.Index(cty.NumberIntVal(0)).IsKnown() {
		t.Errorf("unknown list element expected: %#v", l)
	}
	a := m.planFor("a")
	if a.Config.ContainsMarked() || a.Config.GetAttr("secret").AsString() != "hunter2" {
		t.Errorf("config must be unmarked before the provider sees it: %#v", a.Config)
	}
	if !a.PriorState.IsNull() || a.ProposedNewState.GetAttr("id").IsKnown() == false && !a.ProposedNewState.GetAttr("id").IsNull() {
		t.Errorf("create: prior null, computed id proposed as null: %#v", a.ProposedNewState)
	}
	if len(m.configs) == 0 || m.configs[len(m.configs)-1].GetAttr("endpoint").AsString() != "https://example.invalid" {
		t.Errorf("provider configured with %#v", m.configs)
	}
	var ca *Change
	for _, c := range p.Changes {
		if c.Addr.String() == "mock_thing.a" {
			ca = c
		}
	}
	if ca == nil || !ca.After.GetAttr("secret").HasMark(schema.Sensitive) {
		t.Errorf("the planned value keeps the config's sensitive mark: %#v", ca)
	}
}

func TestExpressionsAndExpansion(t *testing.T) {
	p, m := planConfig(t, map[string]string{
		"main.tf": mockHeader + `
locals {
  envs = { dev = "d", prod = "p" }
  doc  = jsondecode("{\"k\": [1, 2]}")
}
resource "mock_thing" "each" {
  for_each = local.envs
  name     = "each-${each.key}"
  value    = format("%s:%d", each.value, length(local.doc.k))
}
resource "mock_thing" "count" {
  count = length(keys(local.envs))
  name  = "count-${count.index}"
  value = join(",", concat(tolist(["a"]), [for k in sort(keys(local.envs)) : upper(k)]))
}
module "m" {
  source = "./mod"
  in     = coalesce("", "fallback")
}
resource "mock_thing" "from_module" {
  name  = "from-module"
  value = module.m.out
}
`,
		"mod/main.tf": mockHeader + `
variable "in" { type = string }
output "out" { value = "${var.in}-${replace(path.module, "/", "_") != "" ? "m" : ""}" }
`}, nil)
	if len(p.Changes) != 5 {
		t.Errorf("changes: %d", len(p.Changes))
	}
	if r := m.planFor("each-prod"); r == nil || r.Config.GetAttr("value").AsString() != "p:2" {
		t.Errorf("for_each instance: %#v", r)
	}
	if r := m.planFor("count-1"); r == nil || r.Config.GetAttr("value").AsString() != "a,DEV,PROD" {
		t.Errorf("count instance: %#v", r)
	}
	if r := m.planFor("from-module"); r == nil || r.Config.GetAttr("value").AsString() != "fallback-m" {
		t.Errorf("module output: %#v", r)
	}
}

func TestInvalidPlanIsRejected(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(mockHeader+"resource \"mock_thing\" \"a\" {\n  name = \"a\"\n}\n"), 0o644)
	cfg, _ := config.Load(dir)
	m := newMock()
	m.planFunc = func(req provider.PlanResourceChangeRequest) provider.PlanResourceChangeResponse {
		vals := req.ProposedNewState.AsValueMap()
		vals["value"] = cty.StringVal("sneaky")
		return provider.PlanResourceChangeResponse{PlannedState: cty.ObjectVal(vals)}
	}
	c := &Context{Config: cfg, Parallelism: 10,
		Factories: map[provider.Addr]Factory{mockAddr: func(provider.Addr) (provider.Interface, error) { return m, nil }},
		Schemas:   map[provider.Addr]*provider.Schemas{mockAddr: m.schemas}}
	p := c.Plan(state.New(), PlanOpts{Refresh: true, Variables: map[string]cty.Value{}})
	if !p.Errored || !strings.Contains(p.Diagnostics[0].Detail, `planned an invalid value for mock_thing.a.value: planned value cty.StringVal("sneaky") for a non-computed attribute.`) {
		t.Errorf("diagnostics: %+v", p.Diagnostics)
	}
}

func TestParseInstAddr(t *testing.T) {
	for in, want := range map[string]string{
		`foundry_x.y`:                `foundry_x.y`,
		`module.a.module.b.t.n[3]`:   `module.a.module.b.t.n[3]`,
		`data.t.n["k"]`:              `data.t.n["k"]`,
	} {
		a, err := ParseInstAddr(in)
		if err != nil || a.String() != want {
			t.Errorf("%s: %v %v", in, a, err)
		}
	}
	for _, bad := range []string{"x", "module.m", "t.n.extra"} {
		if _, err := ParseInstAddr(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
