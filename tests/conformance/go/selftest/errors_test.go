package selftest

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const oneTF = header + `
resource "fake_thing" "one" {
  name  = "one"
  value = "v1"
}
`

// Each misbehaviour of the provider must fail the run with Terraform's diagnostic text.
func TestProviderBugsAreRejected(t *testing.T) {
	cases := []struct {
		mode, cmd string
		want      []string
	}{
		{"plan-change-config", "plan", []string{"Error: Provider produced invalid plan",
			`Provider "registry.terraform.io/tfconform/fake" planned an invalid value for fake_thing.one.value: planned value cty.StringVal("provider-chosen") does not match config value cty.StringVal("v1").`,
			"This is a bug in the provider, which should be reported in the provider's own issue tracker."}},
		{"plan-write-only", "plan", []string{"Error: Provider produced invalid plan", "planned value for write-only attribute is not null"}},
		{"apply-inconsistent", "apply", []string{"Error: Provider produced inconsistent result after apply",
			`When applying changes to fake_thing.one, provider "provider[\"registry.terraform.io/tfconform/fake\"]" produced an unexpected new value: .name: was cty.StringVal("one"), but now cty.StringVal("one-changed").`}},
		{"apply-unknown", "apply", []string{"Error: Provider returned invalid result object after apply",
			"After the apply operation, the provider still indicated an unknown value for fake_thing.one.computed_val. All values must be known after apply"}},
		{"apply-write-only", "apply", []string{"Error: Provider produced invalid object",
			`returned a value for the write-only attribute "fake_thing.one.token_wo" after apply.`}},
		// Terraform checks compatibility first, so a null result is reported as an inconsistency.
		{"apply-null", "apply", []string{"Error: Provider produced inconsistent result after apply",
			"produced an unexpected new value: Root object was present, but now absent."}},
		{"bad-schema", "plan", []string{"Error: Failed to load plugin schemas",
			`has invalid schema for managed resource type "fake_bad", which is a bug in the provider: "x: cannot set both Optional and Required".`}},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			e := newEnv(t, map[string]string{"main.tf": oneTF})
			e.modes = c.mode
			args := []string{c.cmd, "-no-color", "-auto-approve"}
			if c.cmd == "plan" {
				args = args[:2]
			}
			r := e.run(args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.all())
			}
			expectContains(t, strings.Join(strings.Fields(r.stderr), " "), normalize(c.want)...)
			if c.cmd == "apply" && c.mode != "apply-null" {
				// A failed apply still saves what the provider returned.
				if _, ok := e.instances()["fake_thing.one"]; !ok {
					t.Errorf("the object returned by a failed apply was not saved")
				}
			}
		})
	}
}

func normalize(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.Join(strings.Fields(s), " "))
	}
	return out
}

func TestRefreshChecks(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.modes = "read-unknown"
	r := e.run("plan", "-no-color")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.all())
	}
	expectContains(t, strings.Join(strings.Fields(r.stderr), " "), "Error: Provider produced invalid object",
		`Provider "registry.terraform.io/tfconform/fake" planned an invalid value for fake_thing.one during refresh: The returned state contains unknown values.`)
}

func TestBadRequiresReplacePath(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.modes = "plan-bad-replace-path"
	r := e.run("plan", "-no-color")
	expectContains(t, strings.Join(strings.Fields(r.stderr), " "),
		`Provider "registry.terraform.io/tfconform/fake" has indicated "requires replacement" on fake_thing.one for a non-existent attribute path cty.Path{cty.GetAttrStep{Name:"no_such_attribute"}}.`)
}

func TestFailedCreateIsTainted(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": strings.Replace(oneTF, `name  = "one"`, `name  = "fail-apply"`, 1)})
	e.modes = "partial-create"
	r := e.run("apply", "-auto-approve", "-no-color")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.all())
	}
	expectContains(t, r.stderr, "Error: Creation failed", "with fake_thing.one,", `on main.tf line 8, in resource "fake_thing" "one":`,
		`   8:   name  = "fail-apply"`, "The remote API refused the object.")
	inst := e.instances()["fake_thing.one"]
	if inst == nil || inst["status"] != "tainted" {
		t.Fatalf("a failed create must be saved tainted: %v", inst)
	}
	e.modes = ""
	e.write("main.tf", oneTF)
	r = e.run("plan", "-no-color")
	expectContains(t, r.stdout, "# fake_thing.one is tainted, so must be replaced", "Plan: 1 to add, 0 to change, 1 to destroy.")
}

func TestValidationDiagnostics(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": strings.Replace(oneTF, `name  = "one"`, `name  = "invalid"`, 1)})
	r := e.run("validate", "-no-color")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.all())
	}
	expectContains(t, r.stderr, "Error: Invalid name", "  with fake_thing.one,", `  on main.tf line 8, in resource "fake_thing" "one":`,
		`   8:   name  = "invalid"`, `The name "invalid" is reserved.`)
	r = e.run("validate", "-json")
	var v struct {
		Valid       bool
		ErrorCount  int `json:"error_count"`
		Diagnostics []struct {
			Summary string
			Range   struct{ Start struct{ Line int } }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("validate -json: %s\n%s", err, r.stdout)
	}
	if v.Valid || v.ErrorCount != 1 || v.Diagnostics[len(v.Diagnostics)-1].Range.Start.Line != 8 {
		t.Errorf("validate -json: %+v", v)
	}

	// HCL decoding errors come from the schema: unknown and missing arguments.
	e.write("main.tf", header+"resource \"fake_thing\" \"x\" {\n  nmae = \"typo\"\n}\n")
	r = e.run("validate", "-no-color")
	expectContains(t, r.stderr, "Error: Unsupported argument", `An argument named "nmae" is not expected here.`,
		"Error: Missing required argument", `The argument "name" is required, but no definition was found.`)
	// References to undeclared things.
	e.write("main.tf", header+"resource \"fake_thing\" \"x\" {\n  name = var.nope\n  value = fake_thing.other.id\n}\n")
	r = e.run("validate", "-no-color")
	expectContains(t, strings.Join(strings.Fields(r.stderr), " "), "Error: Reference to undeclared input variable", "Error: Reference to undeclared resource",
		`A managed resource "fake_thing" "other" has not been declared in the root module.`)
}

func TestSensitiveOutputMustBeMarked(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": header + `
variable "pw" {
  type      = string
  sensitive = true
  default   = "hunter2"
}
output "leak" {
  value = var.pw
}
`})
	r := e.run("plan", "-no-color")
	if r.code != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.all())
	}
	expectContains(t, r.stderr, "Error: Output refers to sensitive values")
	e.write("main.tf", strings.Replace(e.read("main.tf"), "value = var.pw", "value = var.pw\n  sensitive = true", 1))
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "leak = <sensitive>")
	expectNotContains(t, r.all(), "hunter2")
}

func (e *env) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(e.dir, name))
	return string(b)
}

func TestStrictMode(t *testing.T) {
	for mode, want := range map[string]string{
		"stdout-noise": "wrote to stdout after the handshake",
		"stderr-noise": "wrote a stderr line that is not a valid hclog JSON line",
		"no-exit":      "plugin failed to exit gracefully",
	} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, map[string]string{"main.tf": oneTF})
			e.modes = mode
			r := e.run("providers", "schema", "-json", "-no-color")
			if r.code != 1 {
				t.Fatalf("strict mode accepted %s: exit %d\n%s", mode, r.code, r.all())
			}
			expectContains(t, strings.Join(strings.Fields(r.stderr), " "), "Error: tfconform strict check failed", want)
		})
	}
}

func TestImport(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.setStore(map[string]map[string]interface{}{"id-one": {"id": "id-one", "name": "one", "value": "v1", "computed_val": "c-one"}})
	r := e.mustRun("import", "-no-color", "fake_thing.one", "id-one")
	expectContains(t, r.stdout, `fake_thing.one: Importing from ID "id-one"...`, "Import successful!")
	if e.instances()["fake_thing.one"]["attributes"].(map[string]interface{})["computed_val"] != "c-one" {
		t.Errorf("the imported object was not read: %v", e.instances())
	}
	r = e.run("import", "-no-color", "fake_thing.one", "id-one")
	expectContains(t, r.stderr, "Error: Resource already managed by Terraform")
	r = e.run("import", "-no-color", "fake_thing.two", "x")
	expectContains(t, r.stderr, `Error: resource address "fake_thing.two" does not exist in the configuration.`)

	e2 := newEnv(t, map[string]string{"main.tf": oneTF})
	r = e2.run("import", "-no-color", "fake_thing.one", "missing")
	expectContains(t, strings.Join(strings.Fields(r.stderr), " "), "Error: Cannot import non-existent remote object",
		`While attempting to import an existing object to "fake_thing.one", the provider detected that no object exists with the given id.`)
}

func TestImportBlock(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF + "\nimport {\n  to = fake_thing.one\n  id = \"id-one\"\n}\n"})
	e.setStore(map[string]map[string]interface{}{"id-one": {"id": "id-one", "name": "one", "value": "old", "computed_val": "c-one"}})
	r := e.mustRun("plan", "-no-color")
	expectContains(t, r.stdout, "# fake_thing.one will be updated in-place", `# (imported from "id-one")`,
		`~ value = "old" -> "v1"`, "Plan: 1 to import, 0 to add, 1 to change, 0 to destroy.")
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "Apply complete! Resources: 1 imported, 0 added, 1 changed, 0 destroyed.")
	if e.store()["id-one"]["value"] != "v1" {
		t.Errorf("update after import not applied: %v", e.store())
	}
	r = e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 0 {
		t.Errorf("after importing, the plan is not empty: %s", r.all())
	}
}

func TestModulesCountAndFunctions(t *testing.T) {
	e := newEnv(t, map[string]string{
		"main.tf": header + `
locals {
  base = { a = "x", b = "y" }
}
module "child" {
  source = "./modules/child"
  prefix = upper("pre")
  labels = merge(local.base, { c = "z" })
}
resource "fake_thing" "counted" {
  count = 2
  name  = format("c-%d-%s", count.index, module.child.first_id)
  value = jsonencode({ idx = count.index, keys = keys(local.base) })
}
output "names" {
  value = [for t in fake_thing.counted : t.name]
}
output "child_ids" {
  value = module.child.ids
}
`,
		"modules/child/main.tf": header + `
variable "prefix" { type = string }
variable "labels" { type = map(string) }
resource "fake_thing" "each" {
  for_each = var.labels
  name     = "${lower(var.prefix)}-${each.key}"
  value    = each.value
  tags     = { module = path.module == "" ? "?" : "child" }
}
output "ids" {
  value = { for k, v in fake_thing.each : k => v.id }
}
output "first_id" {
  value = fake_thing.each["a"].id
}
`,
	})
	r := e.mustRun("plan", "-no-color")
	expectContains(t, r.stdout, `# module.child.fake_thing.each["a"] will be created`, `+ name         = "pre-a"`,
		`# fake_thing.counted[1] will be created`, "Plan: 5 to add, 0 to change, 0 to destroy.")
	r = e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, `c-0-id-pre-a`, `"c" = "id-pre-c"`)
	if e.store()["id-c-1-id-pre-a"]["value"] != `{"idx":1,"keys":["a","b"]}` {
		t.Errorf("jsonencode value: %v", e.store()["id-c-1-id-pre-a"])
	}
	r = e.run("plan", "-no-color", "-detailed-exitcode")
	if r.code != 0 {
		t.Errorf("second plan not empty: %s", r.all())
	}
	e.write("main.tf", strings.Replace(e.read("main.tf"), "count = 2", "count = 1", 1))
	r = e.mustRun("plan", "-no-color")
	expectContains(t, r.stdout, "# fake_thing.counted[1] will be destroyed", "(because index [1] is out of range for count)")
}

func TestVariablesAndStateFlag(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": header + `
variable "name" { type = string }
variable "n" {
  type    = number
  default = 1
}
variable "obj" {
  type = object({ a = string, b = optional(string, "dflt") })
  default = { a = "x" }
}
resource "fake_thing" "x" {
  name  = var.name
  value = "${var.n}-${var.obj.b}"
}
`, "vals.tfvars": "n = 3\n"})
	r := e.run("plan", "-no-color")
	expectContains(t, r.stderr, "Error: No value for required variable", `The root module input variable "name" is not set`)
	r = e.mustRun("apply", "-auto-approve", "-no-color", "-var", "name=from-cli", "-var-file=vals.tfvars", "-state=other.tfstate")
	if _, err := os.Stat(filepath.Join(e.dir, "other.tfstate")); err != nil {
		t.Errorf("-state=other.tfstate not written: %s", err)
	}
	if e.store()["id-from-cli"]["value"] != "3-dflt" {
		t.Errorf("variables not applied: %v", e.store())
	}
	e.extra = []string{"TF_VAR_name=from-env", "TFCONFORM_STATE=other.tfstate"}
	r = e.mustRun("plan", "-no-color")
	expectContains(t, r.stdout, `~ name         = "from-cli" -> "from-env" # forces replacement`)
	r = e.run("plan", "-no-color", "-var", "undeclared=1")
	expectContains(t, r.stderr, "Error: Value for undeclared variable")
}

func TestInit(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	r := e.mustRun("init", "-no-color")
	expectContains(t, r.stdout, "Provider development overrides are in effect", "Skip terraform init when using provider development overrides.",
		"Terraform has been successfully initialized!")
}

func TestProvidersSchemaJSON(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	r := e.mustRun("providers", "schema", "-json")
	var s struct {
		ProviderSchemas map[string]struct {
			ResourceSchemas map[string]struct {
				Version int
				Block   struct {
					Attributes map[string]map[string]interface{}
				}
			} `json:"resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%s\n%s", err, r.stdout)
	}
	rs := s.ProviderSchemas["registry.terraform.io/tfconform/fake"].ResourceSchemas["fake_thing"]
	if rs.Version != 1 || rs.Block.Attributes["token_wo"]["write_only"] != true || rs.Block.Attributes["name"]["required"] != true {
		t.Errorf("schema JSON: %+v", rs)
	}
}

// TestReattach runs the provider in -debug mode and a plan against it through
// TF_REATTACH_PROVIDERS: no process is launched, TLS is off.
func TestReattach(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	cmd := exec.Command(filepath.Join(binDir, "terraform-provider-fake"), "-debug")
	cmd.Env = append(os.Environ(), "FAKE_CALLLOG="+filepath.Join(e.dir, "calls.log"), "FAKE_STORE="+filepath.Join(e.dir, "store.json"), "TMPDIR="+e.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	reattach := ""
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && time.Now().Before(deadline) {
		if i := strings.Index(sc.Text(), "TF_REATTACH_PROVIDERS='"); i >= 0 {
			reattach = strings.TrimSuffix(sc.Text()[i+len("TF_REATTACH_PROVIDERS='"):], "'")
			break
		}
	}
	if reattach == "" {
		t.Fatal("no TF_REATTACH_PROVIDERS from the debug provider")
	}
	e.extra = []string{"TF_REATTACH_PROVIDERS=" + reattach}
	r := e.mustRun("apply", "-auto-approve", "-no-color")
	expectContains(t, r.stdout, "Apply complete! Resources: 1 added")
	procs := e.calls()
	if len(procs) != 1 {
		t.Errorf("with TF_REATTACH_PROVIDERS every phase uses the one debug process; got %d processes", len(procs))
	}
	if strings.Contains(strings.Join(procs[0], " "), "Shutdown") {
		t.Errorf("a reattached (Test) provider must not be shut down by the client")
	}
}

func TestProtocolSuiteAgainstTestProvider(t *testing.T) {
	cmd := exec.Command(tfconformBin, "protocol-test", filepath.Join(binDir, "terraform-provider-fake"))
	tmp := t.TempDir()
	cmd.Env = append(os.Environ(), "TFCONFORM_STRICT=1", "FAKE_MODE=", "TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("protocol-test failed against the Go test provider: %s\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS (19 protocol tests") {
		t.Errorf("unexpected output:\n%s", out)
	}
	// A TLS server that selects no ALPN protocol fails the suite (grpc-go >= 1.67 refuses it).
	cmd = exec.Command(tfconformBin, "protocol-test", filepath.Join(binDir, "terraform-provider-fake"))
	cmd.Env = append(os.Environ(), "TFCONFORM_STRICT=1", "FAKE_MODE=no-alpn", "TMPDIR="+tmp)
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--- FAIL: tls/alpn-h2-and-server-certificate") ||
		!strings.Contains(string(out), `the server negotiated ALPN "", want "h2"`) {
		t.Errorf("protocol-test accepted a server without ALPN h2:\n%s", out)
	}
	// A provider that keeps running after Shutdown fails the suite.
	cmd = exec.Command(tfconformBin, "protocol-test", filepath.Join(binDir, "terraform-provider-fake"))
	cmd.Env = append(os.Environ(), "TFCONFORM_STRICT=1", "FAKE_MODE=stdout-noise", "TMPDIR="+tmp)
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "wrote to stdout after the handshake") {
		t.Errorf("protocol-test accepted a provider writing to stdout:\n%s", out)
	}
}
