package selftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The rules of notes 4.3-4.8 not covered by TestProviderBugsAreRejected, each triggered by a
// testprovider misbehaviour (FAKE_MODE) and checked for Terraform's text.

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func expectFail(t *testing.T, e *env, want []string, args ...string) {
	t.Helper()
	r := e.run(args...)
	if r.code != 1 {
		t.Fatalf("%v: exit %d, want 1\n%s", args, r.code, r.all())
	}
	expectContains(t, flat(r.stderr), normalize(want)...)
}

// Notes 4.3: a non-computed attribute the config leaves null must be planned null.
func TestPlanNonComputedAttribute(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.modes = "plan-non-computed"
	expectFail(t, e, []string{"Error: Provider produced invalid plan",
		`Provider "registry.terraform.io/tfconform/fake" planned an invalid value for fake_thing.one.tags: planned value cty.MapVal(map[string]cty.Value{"k":cty.StringVal("v")}) for a non-computed attribute.`},
		"plan", "-no-color")
}

// Notes 4.3: an unknown config value must stay unknown (timestamp() is unknown during plan).
func TestPlanUnknownConfigStaysUnknown(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": strings.Replace(oneTF, `value = "v1"`, `value = timestamp()`, 1)})
	e.modes = "plan-unknown-config-known"
	expectFail(t, e, []string{"Error: Provider produced invalid plan",
		`planned an invalid value for fake_thing.one.value: planned value cty.StringVal("guess") does not match config value cty.UnknownVal(cty.String).`},
		"plan", "-no-color")
}

// Notes 4.5: the final plan at apply must be compatible with the saved plan.
func TestFinalPlanInconsistent(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.modes = "final-plan-inconsistent"
	expectFail(t, e, []string{"Error: Provider produced inconsistent final plan",
		`When expanding the plan for fake_thing.one to include new values learned so far during apply, provider "registry.terraform.io/tfconform/fake" produced an invalid new value for .computed_val: was cty.StringVal("pid-`},
		"apply", "-auto-approve", "-no-color")
	if _, ok := e.instances()["fake_thing.one"]; ok {
		t.Errorf("an object was saved although the final plan was rejected before ApplyResourceChange")
	}
}

// Notes 4.5: a delete must return a null object.
func TestApplyDeleteNonNull(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.modes = "apply-delete-non-null"
	expectFail(t, e, []string{"Error: Provider returned invalid result object after apply",
		"After applying a Delete plan, the provider returned a non-null object for fake_thing.one. Destroying should always produce a null value"},
		"destroy", "-auto-approve", "-no-color")
	if _, ok := e.instances()["fake_thing.one"]; !ok {
		t.Errorf("Terraform saves the errant object returned by the delete; it is gone from state")
	}
}

// Notes 4.7: data source results must be non-null and wholly known.
func TestDataSourceChecks(t *testing.T) {
	tf := header + "data \"fake_thing\" \"d\" {\n  name = \"one\"\n}\n"
	for mode, want := range map[string][]string{
		"data-null": {"Error: Provider produced null object",
			`produced a null value for data.fake_thing.d.`},
		"data-unknown": {"Error: Provider produced invalid object",
			`produced a value for data.fake_thing.d that is not wholly known.`},
	} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, map[string]string{"main.tf": tf})
			e.setStore(map[string]map[string]interface{}{"id-one": {"id": "id-one", "name": "one", "value": "v1", "computed_val": "c-one"}})
			e.modes = mode
			expectFail(t, e, want, "plan", "-no-color")
		})
	}
}

// Notes 4.8: ImportResourceState must return exactly one typed, non-null object; both the import
// command and import blocks apply the rule.
func TestImportChecks(t *testing.T) {
	for mode, want := range map[string]string{
		"import-none":     "Import returned no resources",
		"import-multiple": "Multiple import states not supported",
		"import-no-type":  "import of fake_thing.one didn't set type",
		"import-null":     "Import returned null resource",
	} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, map[string]string{"main.tf": oneTF})
			e.setStore(map[string]map[string]interface{}{"id-one": {"id": "id-one", "name": "one", "value": "v1", "computed_val": "c-one"}})
			e.modes = mode
			expectFail(t, e, []string{want}, "import", "-no-color", "fake_thing.one", "id-one")
			e.write("main.tf", oneTF+"import {\n  to = fake_thing.one\n  id = \"id-one\"\n}\n")
			expectFail(t, e, []string{want}, "plan", "-no-color")
			if _, err := os.Stat(filepath.Join(e.dir, "terraform.tfstate")); err == nil && len(e.instances()) != 0 {
				t.Errorf("a failed import left state: %v", e.instances())
			}
		})
	}
}
