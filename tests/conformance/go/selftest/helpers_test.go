package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var (
	binDir       string
	tfconformBin string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tfconform-selftest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = filepath.Join(dir, "bin")
	os.MkdirAll(binDir, 0o755)
	tfconformBin = filepath.Join(dir, "tfconform")
	for _, b := range [][2]string{{tfconformBin, "tfconform/cmd/tfconform"},
		{filepath.Join(dir, "tfconform-goplugin-probe"), "tfconform/cmd/tfconform-goplugin-probe"},
		{filepath.Join(binDir, "terraform-provider-fake"), "tfconform/testprovider"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %s\n", b[1], err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is one working directory with its own CLI config, provider store and call log.
type env struct {
	t     *testing.T
	dir   string
	modes string
	extra []string
}

const header = `terraform {
  required_providers {
    fake = { source = "registry.terraform.io/tfconform/fake" }
  }
}
`

func newEnv(t *testing.T, files map[string]string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	cli := fmt.Sprintf("provider_installation {\n  # the Go test provider\n  dev_overrides {\n    \"registry.terraform.io/tfconform/fake\" = %q\n  }\n  direct {}\n}\n", binDir)
	e.write("cli.tfrc", cli)
	for name, content := range files {
		e.write(name, content)
	}
	return e
}

func (e *env) write(name, content string) {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) all() string { return r.stdout + r.stderr }

func (e *env) run(args ...string) result {
	e.t.Helper()
	cmd := exec.Command(tfconformBin, append([]string{"-chdir=" + e.dir}, args...)...)
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+filepath.Join(e.dir, "cli.tfrc"),
		"FAKE_STORE="+filepath.Join(e.dir, "store.json"),
		"FAKE_CALLLOG="+filepath.Join(e.dir, "calls.log"),
		"FAKE_MODE="+e.modes,
		"TFCONFORM_STRICT=1",
		"TF_LOG=", "TF_LOG_PROVIDER=", "TF_LOG_PATH=", "TF_REATTACH_PROVIDERS=", "TFCONFORM_PROVIDER_BINARY=", "TFCONFORM_STATE=",
		// the provider's socket directories go under the test's own temporary directory
		"TMPDIR="+e.dir,
	)
	cmd.Env = append(cmd.Env, e.extra...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader("")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("running tfconform: %s", err)
	}
	return result{out.String(), errb.String(), code}
}

func (e *env) mustRun(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != 0 {
		e.t.Fatalf("tfconform %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func expectContains(t *testing.T, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			t.Errorf("output does not contain %q\n--- output ---\n%s", s, text)
		}
	}
}

func expectNotContains(t *testing.T, text string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(text, s) {
			t.Errorf("output unexpectedly contains %q\n--- output ---\n%s", s, text)
		}
	}
}

// calls returns the provider call log grouped by process, in start order, and resets it.
func (e *env) calls() [][]string {
	e.t.Helper()
	p := filepath.Join(e.dir, "calls.log")
	b, _ := os.ReadFile(p)
	os.Remove(p)
	var order []string
	byPid := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 2)
		if _, ok := byPid[f[0]]; !ok {
			order = append(order, f[0])
		}
		byPid[f[0]] = append(byPid[f[0]], f[1])
	}
	var out [][]string
	for _, pid := range order {
		out = append(out, byPid[pid])
	}
	return out
}

// state reads terraform.tfstate as generic JSON.
func (e *env) state() map[string]interface{} {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "terraform.tfstate"))
	if err != nil {
		e.t.Fatalf("reading state: %s", err)
	}
	var m map[string]interface{}
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatalf("state is not JSON: %s", err)
	}
	return m
}

// instances returns address -> instance map of the state.
func (e *env) instances() map[string]map[string]interface{} {
	st := e.state()
	out := map[string]map[string]interface{}{}
	for _, r := range st["resources"].([]interface{}) {
		rm := r.(map[string]interface{})
		addr := rm["type"].(string) + "." + rm["name"].(string)
		if rm["mode"] == "data" {
			addr = "data." + addr
		}
		if m, ok := rm["module"].(string); ok {
			addr = m + "." + addr
		}
		for _, i := range rm["instances"].([]interface{}) {
			im := i.(map[string]interface{})
			a := addr
			switch k := im["index_key"].(type) {
			case string:
				a += fmt.Sprintf("[%q]", k)
			case float64:
				a += fmt.Sprintf("[%d]", int(k))
			}
			out[a] = im
		}
	}
	return out
}

func (e *env) store() map[string]map[string]interface{} {
	b, _ := os.ReadFile(filepath.Join(e.dir, "store.json"))
	out := map[string]map[string]interface{}{}
	json.Unmarshal(b, &out)
	return out
}

func (e *env) setStore(s map[string]map[string]interface{}) {
	b, _ := json.Marshal(s)
	e.write("store.json", string(b))
}
