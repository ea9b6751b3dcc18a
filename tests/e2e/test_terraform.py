"""Every e2e scenario again (examples and wire bodies, drift, import, validation, faults, secrets, concurrency,
write-only keys, the ASan provider), driven by the real `terraform` CLI when the machine has one (`terraform` on PATH, or
FOUNDRY_TERRAFORM=/path/to/terraform or tofu). Skipped otherwise: tfconform is the suite's Terraform everywhere,
and this is the check that the real thing agrees with it and with the provider.

Nothing leaves the machine: every provider is a dev_overrides entry, `init` becomes `get` (local modules only,
no registry lookups), CHECKPOINT_DISABLE=1 (the harness sets it), and the provider talks to the emulator on
127.0.0.1.
"""

import os
import shutil
import unittest

from harness import PROJECT_ID, PROVIDER_ASAN_BIN, PROVIDER_SOURCE, E2ETestCase, connection_id, resource_change

import test_asan
import test_concurrency
import test_drift
import test_examples
import test_faults
import test_import
import test_secrets
import test_validation
import test_writeonly

TERRAFORM = os.environ.get("FOUNDRY_TERRAFORM") or shutil.which("terraform")


needs_terraform = unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")

# Each tfconform scenario class again, with the real CLI: <Name>WithTerraformTest.
for _base in (test_examples.ExamplesTest, test_drift.DriftTest, test_import.ImportTest,
              test_validation.ValidationTest, test_faults.FaultsTest, test_secrets.SecretsTest,
              test_concurrency.ConcurrencyTest, test_writeonly.WriteOnlyTest,
              # the ASan+UBSan provider under the real CLI, where that variant is built
              *([test_asan.AsanTest] if os.path.exists(PROVIDER_ASAN_BIN) else [])):
    _name = _base.__name__.replace("Test", "WithTerraformTest")
    globals()[_name] = needs_terraform(type(_name, (_base,), {"cli": TERRAFORM, "__module__": __name__}))
del _base, _name


UNKNOWNS_TF = """
terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}

# terraform_data is built into Terraform: its output is unknown until apply, so the connection's config holds
# unknowns at plan time, and Terraform sends *refined* unknowns (a template with a known "https://" prefix is a
# string unknown refined with that prefix and not-null; notes/tfplugin6.md 3.2), which tfconform cannot produce.
resource "terraform_data" "gw" {
  input = "contoso-apim"
}

resource "foundry_gateway_connection" "u" {
  parent_id = "%s"
  name      = "unknowns"
  category  = "ApiManagement"
  target    = "https://${terraform_data.gw.output}.azure-api.net/foundry"
  auth_type = "ApiKey"
  api_key   = "unknowns-test-key"
  models = [{
    name          = "gpt-4o"
    model_name    = "gpt-4o"
    model_version = terraform_data.gw.output == "" ? "none" : "2024-11-20"
    model_format  = "OpenAI"
  }]
  extra_metadata = { owner = "team-${terraform_data.gw.output}" }
}
"""


@needs_terraform
class RefinedUnknownsWithTerraformTest(E2ETestCase):
    """Configuration values unknown at plan time, as Terraform really sends them."""

    cli = TERRAFORM

    def test_refined_unknowns_plan_apply_and_settle(self):
        ws = self.workspace(None, files={"main.tf": UNKNOWNS_TF % (PROVIDER_SOURCE, PROJECT_ID)})
        plan = self.plan_json(ws)
        rc = resource_change(plan, "foundry_gateway_connection.u")
        self.assertEqual(rc["change"]["actions"], ["create"])
        unknown = rc["change"]["after_unknown"]
        self.assertTrue(unknown.get("target"), "target is unknown at plan time")
        self.assertTrue(unknown.get("metadata"), "metadata depends on unknowns, so it is unknown too")
        self.assertFalse(unknown.get("id"), "id is known at plan time (parent_id and name are)")
        self.apply(ws)
        stored = self.emulator.stored(connection_id(PROJECT_ID, "unknowns"))["resource"]["properties"]
        self.assertEqual(stored["target"], "https://contoso-apim.azure-api.net/foundry")
        self.assertEqual(stored["metadata"]["owner"], "team-contoso-apim")
        self.assertIn("2024-11-20", stored["metadata"]["models"])
        self.plan_exit(ws, 0)
        self.destroy(ws)


if __name__ == "__main__":
    unittest.main()
