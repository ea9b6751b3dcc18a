package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

func TestVersionConstraints(t *testing.T) {
	for c, want := range map[string]bool{">= 1.5": true, "~> 1.15.0": true, "~> 1.14": true, "< 1.15": false, "~> 1.16.0": false, "= 1.15.9": true, ">= 1.5, < 2.0": true} {
		cs, err := ParseVersionConstraints(c)
		if err != nil {
			t.Fatal(err)
		}
		ok := true
		for _, vc := range cs {
			ok = ok && vc.Check("1.15.9")
		}
		if ok != want {
			t.Errorf("%s: %v", c, ok)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "m"), 0o755)
	os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`
terraform {
  required_providers {
    foundry = { source = "registry.terraform.io/foundry-labs/foundry" }
  }
}
variable "o" {
  type = object({ a = string, b = optional(number, 7) })
  default = { a = "x" }
}
resource "foundry_gateway_connection" "c" {
  for_each = toset(["a"])
  name     = each.key
  lifecycle {
    ignore_changes  = [metadata["k"], models]
    prevent_destroy = true
  }
  depends_on = [module.m]
}
module "m" {
  source = "./m"
}
import {
  to = foundry_gateway_connection.c["a"]
  id = "x"
}
`), 0o644)
	os.WriteFile(filepath.Join(dir, "m", "main.tf"), []byte("output \"x\" {\n  value = 1\n}\n"), 0o644)
	m, ds := Load(dir)
	if ds.HasErrors() {
		t.Fatal(ds.Errs())
	}
	v := m.Variables["o"]
	if v.Default.GetAttr("b").AsBigFloat().String() != "7" {
		t.Errorf("optional() default: %#v", v.Default)
	}
	r := m.ManagedResources["foundry_gateway_connection.c"]
	if r == nil || r.ForEach == nil || len(r.IgnoreChanges) != 2 || !r.PreventDestroy || len(r.DependsOn) != 1 || r.Provider.LocalName != "foundry" {
		t.Errorf("resource: %+v", r)
	}
	if m.Children["m"] == nil || len(m.Imports) != 1 || m.RequiredProviders["foundry"].Source == "" {
		t.Errorf("module: %+v", m)
	}
	_ = cty.NilVal

	os.WriteFile(filepath.Join(dir, "dup.tf"), []byte("variable \"o\" {}\nmodule \"r\" {\n  source = \"git::https://example.com/x\"\n}\n"), 0o644)
	_, ds = Load(dir)
	if !ds.HasErrors() || !strings.Contains(ds.Errs(), "Duplicate variable declaration") {
		t.Errorf("duplicates: %s", ds.Errs())
	}
}
