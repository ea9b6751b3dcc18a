package selftest

import (
	"strings"
	"testing"
)

func TestRefreshOnly(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.mustRun("apply", "-auto-approve", "-no-color")
	s := e.store()
	s["id-one"]["value"] = "outside"
	e.setStore(s)
	r := e.run("plan", "-refresh-only", "-no-color", "-detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("exit %d\n%s", r.code, r.all())
	}
	expectContains(t, r.stdout, "Note: Objects have changed outside of Terraform", `~ value = "v1" -> "outside"`, "This is a refresh-only plan")
	expectNotContains(t, r.stdout, "will be updated in-place")
	e.mustRun("apply", "-refresh-only", "-auto-approve", "-no-color")
	attrs := e.instances()["fake_thing.one"]["attributes"].(map[string]interface{})
	if attrs["value"] != "outside" {
		t.Errorf("apply -refresh-only did not record the remote value: %v", attrs)
	}
	if e.store()["id-one"]["value"] != "outside" {
		t.Errorf("apply -refresh-only changed the remote object")
	}
	r = e.mustRun("plan", "-refresh-only", "-no-color")
	expectContains(t, r.stdout, "No changes. Your infrastructure still matches the configuration.")
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": header + `
resource "fake_thing" "ign" {
  name  = "ign"
  value = "v1"
  lifecycle {
    ignore_changes = [value]
  }
}
resource "fake_thing" "keep" {
  name = "keep"
  lifecycle {
    prevent_destroy = true
  }
}
resource "fake_thing" "cbd" {
  name = "cbd"
  lifecycle {
    create_before_destroy = true
  }
}
`})
	e.mustRun("apply", "-auto-approve", "-no-color")
	s := e.store()
	s["id-ign"]["value"] = "changed-outside"
	e.setStore(s)
	r := e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 0 {
		t.Errorf("ignore_changes: a change to an ignored attribute must not plan an update: exit %d\n%s", r.code, r.all())
	}
	e.write("main.tf", strings.Replace(strings.Replace(e.read("main.tf"), `name = "keep"`, `name = "keep2"`, 1), `name = "cbd"`, `name = "cbd2"`, 1))
	r = e.run("plan", "-no-color")
	expectContains(t, strings.Join(strings.Fields(r.stderr), " "), "Error: Instance cannot be destroyed",
		"Resource fake_thing.keep has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed.")
	e.write("main.tf", strings.Replace(e.read("main.tf"), `name = "keep2"`, `name = "keep"`, 1))
	r = e.mustRun("plan", "-no-color")
	expectContains(t, r.stdout, "+/- create replacement and then destroy", `+/- resource "fake_thing" "cbd" {`)
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	create := strings.Index(r.stdout, "fake_thing.cbd: Creating...")
	destroy := strings.Index(r.stdout, "fake_thing.cbd (deposed object")
	if create < 0 || destroy < 0 || create > destroy {
		t.Errorf("create_before_destroy must create the replacement first:\n%s", r.stdout)
	}
	if _, ok := e.store()["id-cbd"]; ok {
		t.Errorf("the deposed object was not destroyed")
	}
	inst := e.instances()["fake_thing.cbd"]
	if inst == nil || inst["attributes"].(map[string]interface{})["name"] != "cbd2" || inst["deposed"] != nil {
		t.Errorf("state after create_before_destroy: %v", inst)
	}
}

func TestParallelismOne(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": basicTF})
	r := e.mustRun("apply", "-auto-approve", "-no-color", "-parallelism=1")
	expectContains(t, r.stdout, "Apply complete! Resources: 3 added")
	r = e.mustRun("destroy", "-auto-approve", "-no-color", "-parallelism=1")
	expectContains(t, r.stdout, "Destroy complete! Resources: 3 destroyed.")
}

// Only the sensitivity of a value changes: an update that touches the state, not the provider.
func TestSensitivityOnlyChange(t *testing.T) {
	tf := header + `
variable "v" {
  type      = string
  default   = "same"
  sensitive = false
}
resource "fake_thing" "x" {
  name  = "x"
  value = var.v
}
`
	e := newEnv(t, map[string]string{"main.tf": tf})
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.write("main.tf", strings.Replace(tf, "sensitive = false", "sensitive = true", 1))
	r := e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 2 {
		t.Fatalf("a change of sensitivity alone must be planned as an update: exit %d\n%s", r.code, r.all())
	}
	expectContains(t, r.stdout, "# fake_thing.x will be updated in-place", "~ value = (sensitive value)")
	e.calls()
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	for _, p := range e.calls() {
		if strings.Contains(strings.Join(p, " "), "ApplyResourceChange") {
			t.Errorf("a sensitivity-only update must not call ApplyResourceChange: %v", p)
		}
	}
	if !strings.Contains(e.read("terraform.tfstate"), `"value": "value"`) {
		t.Errorf("sensitive_attributes should now list value:\n%s", e.read("terraform.tfstate"))
	}
	r = e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 0 {
		t.Errorf("second plan: %d\n%s", r.code, r.all())
	}
}

func TestConditions(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": header + `
variable "name" {
  type    = string
  default = "ok"
  validation {
    condition     = length(var.name) > 1
    error_message = "The name must be longer than one character."
  }
}
resource "fake_thing" "x" {
  name = var.name
  lifecycle {
    precondition {
      condition     = var.name != "bad"
      error_message = "The name must not be bad."
    }
    postcondition {
      condition     = self.computed_val == "c-${var.name}"
      error_message = "computed_val is wrong."
    }
  }
}
output "id" {
  value = fake_thing.x.id
  precondition {
    condition     = fake_thing.x.name != "nope"
    error_message = "Output precondition."
  }
}
`})
	r := e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "Apply complete! Resources: 1 added")
	r = e.run("plan", "-no-color", "-var", "name=bad")
	expectContains(t, r.stderr, "Error: Resource precondition failed", "The name must not be bad.", "with fake_thing.x,")
	r = e.run("plan", "-no-color", "-var", "name=x")
	expectContains(t, r.stderr, "Error: Invalid value for variable", "The name must be longer than one character.")
	r = e.run("plan", "-no-color", "-var", "name=nope")
	expectContains(t, r.stderr, "Error: Module output value precondition failed", "Output precondition.")
}
