"""Configuration values that are unknown at plan time, as Terraform and OpenTofu really send them: refined
unknowns (a string unknown with a known prefix and not-null) from built-in `terraform_data`."""

import unittest

from harness import PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, connection_id, require, resource_change

UNKNOWNS_TF = """
terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}

# terraform_data is built into Terraform: its output is unknown until apply, so the connection's config holds
# unknowns at plan time, and Terraform sends *refined* unknowns (a template with a known "https://" prefix is a
# string unknown refined with that prefix and not-null; docs/internals/protocol.md 3.2), which no hand-built client would produce faithfully.
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


class RefinedUnknownsTest(E2ETestCase):
    """Configuration values unknown at plan time, as the CLIs really send them."""

    def test_refined_unknowns_plan_apply_and_settle(self):
        require("terraform_data")
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
