package cliconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tfconform/provider"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cli.tfrc")
	os.WriteFile(p, []byte(`
# a comment
provider_installation {
  /* block comment { } */
  dev_overrides {
    "registry.terraform.io/foundry-labs/foundry" = "/opt/build" // trailing
    "ns/short" = "/opt/short"
  }
  direct {}
}
`), 0o644)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.DevOverrides[provider.Addr{Hostname: "registry.terraform.io", Namespace: "foundry-labs", Type: "foundry"}] != "/opt/build" ||
		c.DevOverrides[provider.Addr{Hostname: "registry.terraform.io", Namespace: "ns", Type: "short"}] != "/opt/short" {
		t.Errorf("%+v", c.DevOverrides)
	}
	os.WriteFile(p, []byte("provider_installation {\n  direct {}\n  dev_overrides {\n    \"a/b\" = \"/x\"\n  }\n}\n"), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "must appear before all other installation methods") {
		t.Errorf("order: %v", err)
	}
}

func TestExecutable(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"terraform-provider-foundryx", "terraform-provider-foundry_v1.2.3", "terraform-provider-foundry_v9"} {
		os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755)
	}
	got, err := Executable(dir, "foundry")
	if err != nil || filepath.Base(got) != "terraform-provider-foundry_v1.2.3" {
		t.Errorf("first match in lexical order: %s %v", got, err)
	}
	os.Chmod(filepath.Join(dir, "terraform-provider-foundry_v1.2.3"), 0o644)
	if _, err := Executable(dir, "foundry"); err == nil || !strings.Contains(err.Error(), "is not executable") {
		t.Errorf("non-executable: %v", err)
	}
	if _, err := Executable(dir, "other"); err == nil || !strings.Contains(err.Error(), "could not find executable file starting with terraform-provider-other") {
		t.Errorf("missing: %v", err)
	}
}
