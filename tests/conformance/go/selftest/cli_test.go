package selftest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const basicTF = header + `
provider "fake" {}

variable "secret" {
  type      = string
  sensitive = true
  default   = "s3cr3t"
}

locals {
  names = toset(["a", "b"])
}

resource "fake_thing" "one" {
  name     = "one"
  value    = "v1"
  secret   = var.secret
  token_wo = "write-only-token"
  tags     = { env = "dev" }
  items    = [{ key = "k1" }, { key = "k2", val = "x" }]
  rule {
    port = 443
  }
}

resource "fake_thing" "many" {
  for_each = local.names
  name     = "many-${each.key}"
  value    = fake_thing.one.computed_val
}

data "fake_thing" "lookup" {
  name       = fake_thing.one.name
  depends_on = [fake_thing.one]
}

output "one_id" {
  value = fake_thing.one.id
}

output "lookup" {
  value = data.fake_thing.lookup.computed_val
}
`

// TestApplyCycle: one process per phase, Terraform's call sequence, the state file, and a second
// plan without changes.
func TestApplyCycle(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": basicTF})
	r := e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("plan -detailed-exitcode: exit %d, want 2\n%s", r.code, r.all())
	}
	expectContains(t, r.stdout, "# fake_thing.one will be created", `+ name         = "one"`, "+ id           = (known after apply)",
		"+ secret       = (sensitive value)", "Plan: 3 to add, 0 to change, 0 to destroy.", "Provider development overrides are in effect",
		"# data.fake_thing.lookup will be read during apply", "Changes to Outputs:")
	expectNotContains(t, r.all(), "s3cr3t", "write-only-token")
	procs := e.calls()
	// schema process, validate process, plan process
	if len(procs) != 3 {
		t.Fatalf("plan started %d provider processes, want 3 (schema, validate, plan): %v", len(procs), procs)
	}
	if got := strings.Join(procs[0], " "); got != "GetProviderSchema GetResourceIdentitySchemas Shutdown" {
		t.Errorf("schema process calls: %s", got)
	}
	for i, p := range procs {
		if p[0] != "GetProviderSchema" || p[len(p)-1] != "Shutdown" {
			t.Errorf("process %d does not start with GetProviderSchema and end with Shutdown: %v", i, p)
		}
	}
	if strings.Contains(strings.Join(procs[1], " "), "ConfigureProvider") {
		t.Errorf("the validate walk must not configure the provider: %v", procs[1])
	}
	if !strings.Contains(strings.Join(procs[2], " "), "ValidateProviderConfig ConfigureProvider 1.15.9") {
		t.Errorf("plan walk should validate then configure with terraform_version 1.15.9: %v", procs[2])
	}

	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "fake_thing.one: Creating...", "fake_thing.one: Creation complete after", "[id=id-one]",
		"Apply complete! Resources: 3 added, 0 changed, 0 destroyed.", `one_id = "id-one"`, `lookup = "c-one"`)
	procs = e.calls()
	if len(procs) != 4 {
		t.Fatalf("apply started %d provider processes, want 4 (schema, validate, plan, apply): %v", len(procs), procs)
	}
	applyCalls := strings.Join(procs[3], " ")
	if !strings.Contains(applyCalls, "ConfigureProvider") || !strings.Contains(applyCalls, "PlanResourceChange ApplyResourceChange") {
		t.Errorf("the apply process must configure again and re-plan before applying: %s", applyCalls)
	}
	inst := e.instances()
	one := inst["fake_thing.one"]
	if one == nil {
		t.Fatalf("fake_thing.one not in state: %v", inst)
	}
	attrs := one["attributes"].(map[string]interface{})
	if attrs["token_wo"] != nil {
		t.Errorf("a write-only attribute was stored in state: %v", attrs["token_wo"])
	}
	if attrs["computed_val"] != "c-one" || attrs["id"] != "id-one" {
		t.Errorf("computed attributes not stored: %v", attrs)
	}
	sens, _ := json.Marshal(one["sensitive_attributes"])
	if !strings.Contains(string(sens), `"secret"`) {
		t.Errorf("sensitive_attributes does not record secret (from a sensitive variable): %s", sens)
	}
	if one["private"] == nil {
		t.Errorf("private data from ApplyResourceChange not stored")
	}
	deps, _ := json.Marshal(inst[`fake_thing.many["a"]`]["dependencies"])
	if !strings.Contains(string(deps), "fake_thing.one") {
		t.Errorf("dependencies of fake_thing.many[\"a\"] do not include fake_thing.one: %s", deps)
	}
	st := e.state()
	if st["version"].(float64) != 4 || st["serial"].(float64) != 1 || st["lineage"] == "" || st["terraform_version"] != "1.15.9" {
		t.Errorf("state header: version %v serial %v lineage %v terraform_version %v", st["version"], st["serial"], st["lineage"], st["terraform_version"])
	}

	r = e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 0 {
		t.Fatalf("second plan: exit %d, want 0 (no changes)\n%s", r.code, r.all())
	}
	expectContains(t, r.stdout, "No changes. Your infrastructure matches the configuration.", "fake_thing.one: Refreshing state... [id=id-one]")
	procs = e.calls()
	planCalls := strings.Join(procs[2], " ")
	if !strings.Contains(planCalls, "UpgradeResourceState") || !strings.Contains(planCalls, "ReadResource") {
		t.Errorf("the plan walk must upgrade and refresh every object: %s", planCalls)
	}
	r = e.run("plan", "-no-color", "-refresh=false")
	procs = e.calls()
	if strings.Contains(strings.Join(procs[2], " "), "ReadResource") {
		t.Errorf("-refresh=false still called ReadResource: %v", procs[2])
	}

	// outputs, show, state list / show
	r = e.mustRun("output", "-json")
	var outs map[string]map[string]interface{}
	if err := json.Unmarshal([]byte(r.stdout), &outs); err != nil || outs["one_id"]["value"] != "id-one" {
		t.Errorf("output -json: %v %s", err, r.stdout)
	}
	r = e.mustRun("output", "-raw", "one_id")
	if r.stdout != "id-one" {
		t.Errorf("output -raw one_id = %q", r.stdout)
	}
	r = e.mustRun("state", "list")
	expectContains(t, r.stdout, "data.fake_thing.lookup\n", "fake_thing.many[\"a\"]\n", "fake_thing.one\n")
	r = e.mustRun("state", "show", "fake_thing.one")
	expectContains(t, r.stdout, "# fake_thing.one:", `resource "fake_thing" "one" {`, "secret       = (sensitive value)")
	expectNotContains(t, r.stdout, "s3cr3t")
	r = e.mustRun("show", "-json")
	var shown map[string]interface{}
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
		t.Fatalf("show -json: %s", err)
	}
	if !strings.Contains(r.stdout, `"address": "fake_thing.one"`) {
		t.Errorf("show -json lacks fake_thing.one:\n%s", r.stdout)
	}
}

func TestDriftUpdateReplaceDelete(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": basicTF})
	e.mustRun("apply", "-auto-approve", "-no-color")

	// Drift: changed outside, then reported because the plan changes the resource back.
	s := e.store()
	s["id-one"]["value"] = "drifted"
	e.setStore(s)
	r := e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("plan after drift: exit %d\n%s", r.code, r.all())
	}
	expectContains(t, r.stdout, "Note: Objects have changed outside of Terraform", "# fake_thing.one has changed",
		`~ value = "v1" -> "drifted"`, "# fake_thing.one will be updated in-place", `~ value = "drifted" -> "v1"`,
		"Plan: 0 to add, 1 to change, 0 to destroy.")
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "fake_thing.one: Modifying... [id=id-one]", "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.")
	if e.store()["id-one"]["value"] != "v1" {
		t.Errorf("update not applied: %v", e.store()["id-one"])
	}

	// Deleted outside: removed from state, next plan proposes a create.
	s = e.store()
	delete(s, "id-many-a")
	e.setStore(s)
	r = e.run("plan", "-no-color")
	expectContains(t, r.stdout, `# fake_thing.many["a"] will be created`, "Plan: 1 to add, 0 to change, 0 to destroy.")
	e.mustRun("apply", "-auto-approve", "-no-color")

	// Replace: name forces replacement; the plan process calls PlanResourceChange twice for it.
	e.write("main.tf", strings.Replace(basicTF, `name     = "one"`, `name     = "uno"`, 1))
	e.calls()
	r = e.run("plan", "-no-color")
	expectContains(t, r.stdout, "# fake_thing.one must be replaced", "-/+ resource \"fake_thing\" \"one\" {",
		`~ name         = "one" -> "uno" # forces replacement`, `~ id           = "id-one" -> (known after apply)`,
		"Plan: 1 to add, 2 to change, 1 to destroy.")
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "fake_thing.one: Destroying... [id=id-one]", "fake_thing.one: Destruction complete",
		"fake_thing.one: Creation complete after", "[id=id-uno]", "Apply complete! Resources: 1 added, 2 changed, 1 destroyed.")
	if _, ok := e.store()["id-one"]; ok {
		t.Errorf("the replaced object was not deleted")
	}

	// Orphan: a resource removed from the configuration is destroyed.
	e.write("main.tf", strings.Replace(basicTF[:strings.Index(basicTF, `resource "fake_thing" "many"`)], `name     = "one"`, `name     = "uno"`, 1)+
		"output \"one_id\" {\n  value = fake_thing.one.id\n}\n")
	r = e.run("plan", "-no-color")
	expectContains(t, r.stdout, `# fake_thing.many["a"] will be destroyed`, `(because fake_thing.many is not in configuration)`,
		`- name         = "many-a" -> null`, "Plan: 0 to add, 0 to change, 2 to destroy.", "- lookup = \"c-uno\" -> null")
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "Apply complete! Resources: 0 added, 0 changed, 2 destroyed.")
	if _, ok := e.instances()[`fake_thing.many["a"]`]; ok {
		t.Errorf("orphan still in state")
	}

	r = e.mustRun("destroy", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "# fake_thing.one will be destroyed", "Destroy complete! Resources: 1 destroyed.")
	if len(e.instances()) != 0 || len(e.store()) != 0 {
		t.Errorf("destroy left objects: state %v store %v", e.instances(), e.store())
	}
	if _, err := os.Stat(filepath.Join(e.dir, "terraform.tfstate.backup")); err != nil {
		t.Errorf("no terraform.tfstate.backup: %s", err)
	}
}

func TestDestroyProcesses(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": basicTF})
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.calls()
	r := e.mustRun("destroy", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "Destroy complete! Resources: 3 destroyed.")
	procs := e.calls()
	// schema, validate, refresh-only plan, destroy plan, apply
	if len(procs) != 5 {
		t.Errorf("destroy used %d processes, want 5 (schema, validate, refresh, destroy plan, apply): %v", len(procs), procs)
	}
	last := strings.Join(procs[len(procs)-1], " ")
	if strings.Count(last, "ApplyResourceChange") != 3 {
		t.Errorf("apply process: %s", last)
	}
	if strings.Contains(strings.Join(procs[len(procs)-2], " "), "PlanResourceChange") {
		t.Errorf("without plan_destroy Terraform plans the destroy itself, never calling PlanResourceChange: %v", procs[len(procs)-2])
	}
}

func TestPlanDestroyCapability(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": header + "resource \"fake_thing\" \"x\" {\n  name = \"x\"\n}\n"})
	e.modes = "plan-destroy"
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.write("main.tf", header)
	e.calls()
	e.mustRun("apply", "-auto-approve", "-no-color")
	found := false
	for _, p := range e.calls() {
		if strings.Contains(strings.Join(p, " "), "ReadResource PlanResourceChange Shutdown") {
			found = true
		}
	}
	if !found {
		t.Errorf("with plan_destroy the destroy is planned by the provider (PlanResourceChange after the refresh)")
	}
}

func TestSavedPlan(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": basicTF})
	r := e.mustRun("plan", "-no-color", "-out=tfplan")
	expectContains(t, r.stdout, "Saved the plan to: tfplan")
	r = e.mustRun("show", "-json", "tfplan")
	var p map[string]interface{}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("show -json tfplan: %s", err)
	}
	r = e.mustRun("apply", "-no-color", "tfplan")
	expectContains(t, r.stdout, "Apply complete! Resources: 3 added, 0 changed, 0 destroyed.")
	// A plan made against an older state is stale.
	e.write("main.tf", strings.Replace(basicTF, `value    = "v1"`, `value    = "v2"`, 1))
	e.mustRun("plan", "-no-color", "-out=tfplan2")
	e.write("main.tf", strings.Replace(basicTF, `value    = "v1"`, `value    = "v3"`, 1))
	e.mustRun("apply", "-auto-approve", "-no-color")
	r = e.run("apply", "-no-color", "tfplan2")
	if r.code != 1 {
		t.Fatalf("stale plan applied: %s", r.all())
	}
	expectContains(t, r.stderr, "Saved plan is stale")
}

func TestJSONPlan(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": basicTF})
	r := e.run("plan", "-json", "-detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("exit %d: %s", r.code, r.all())
	}
	var p struct {
		ResourceChanges []struct {
			Address string
			Type    string
			Name    string
			Index   interface{}
			Change  struct {
				Actions        []string
				After          map[string]interface{}
				AfterUnknown   map[string]interface{} `json:"after_unknown"`
				AfterSensitive map[string]interface{} `json:"after_sensitive"`
			}
		} `json:"resource_changes"`
		Diagnostics []map[string]interface{}
	}
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("plan -json is not JSON: %s\n%s", err, r.stdout)
	}
	found := false
	for _, rc := range p.ResourceChanges {
		if rc.Address == "fake_thing.one" {
			found = true
			if strings.Join(rc.Change.Actions, ",") != "create" || rc.Change.AfterUnknown["id"] != true || rc.Change.After["name"] != "one" {
				t.Errorf("fake_thing.one change: %+v", rc.Change)
			}
			if rc.Change.AfterSensitive["secret"] != true {
				t.Errorf("after_sensitive does not mark secret: %v", rc.Change.AfterSensitive)
			}
		}
		if rc.Address == `fake_thing.many["a"]` && rc.Index != "a" {
			t.Errorf("index of many[a]: %v", rc.Index)
		}
	}
	if !found {
		t.Errorf("no fake_thing.one in %s", r.stdout)
	}
	if len(p.Diagnostics) == 0 || p.Diagnostics[0]["summary"] != "Provider development overrides are in effect" {
		t.Errorf("diagnostics: %v", p.Diagnostics)
	}
}
