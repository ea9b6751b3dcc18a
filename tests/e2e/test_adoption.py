"""Adoption from azapi_resource, with the real CLIs: `moved {}` (a state written the way azapi 2.x and 1.x write it,
served by a stand-in azapi provider), `removed {}` + `import {}`, and `import` with `-generate-config-out`. After each,
the next plan shows no changes and no ARM write happened during the move."""

import json
import os
import re
import unittest

from harness import BUILD_DIR, PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, connection_id, require

AZAPI_STUB = os.path.join(BUILD_DIR, "azapistub", "terraform-provider-azapi")
KEY = "e2e-adoption-key-8c8d"
NAME = "apim-adopted"
RID = connection_id(PROJECT_ID, NAME)
MODELS = [{"name": "gpt-4o", "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20", "format": "OpenAI"}}}]
BODY = {"properties": {"category": "ApiManagement", "target": "https://contoso-apim.azure-api.net/foundry",
                       "authType": "ApiKey", "isSharedToAll": False, "credentials": {"key": KEY},
                       "metadata": {"deploymentInPath": "true", "inferenceAPIVersion": "2024-10-21",
                                    "models": json.dumps(MODELS, separators=(",", ":")), "owner": "team-a"}}}

TYPED = """
resource "foundry_gateway_connection" "c" {
  parent_id             = "%s"
  name                  = "%s"
  category              = "ApiManagement"
  target                = "https://contoso-apim.azure-api.net/foundry"
  auth_type             = "ApiKey"
  api_key               = "%s"
  deployment_in_path    = true
  inference_api_version = "2024-10-21"
  models = [{ name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" }]
  extra_metadata        = { owner = "team-a" }
}
""" % (PROJECT_ID, NAME, KEY)

HEADER = """terraform {
  required_providers {
    foundry = { source = "%s" }
    azapi   = { source = "registry.terraform.io/azure/azapi" }
  }
}
provider "foundry" {}
provider "azapi" {}
""" % PROVIDER_SOURCE


def cty_type(v):
    """The cty type JSON of a JSON value, as a dynamic attribute's state records it."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return ["tuple", [cty_type(x) for x in v]]
    return ["object", {k: cty_type(x) for k, x in v.items()}]


def azapi_state(body_2x=True, body=BODY) -> dict:
    attrs = {"id": RID, "type": "Microsoft.CognitiveServices/accounts/projects/connections@2025-06-01",
             "parent_id": PROJECT_ID, "name": NAME,
             "body": {"value": body, "type": cty_type(body)} if body_2x else json.dumps(body),
             "sensitive_body": None}
    return {"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "0b9d7f2e-8e5a-4b0c-9f46-0a0a0a0a0a0a",
            "outputs": {}, "check_results": None,
            "resources": [{"mode": "managed", "type": "azapi_resource", "name": "c",
                           "provider": 'provider["registry.terraform.io/azure/azapi"]',
                           "instances": [{"schema_version": 2, "attributes": attrs, "sensitive_attributes": [],
                                          "private": "bnVsbA=="}]}]}


class AdoptionTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        status, body = self.emulator.arm("PUT", RID, BODY)
        self.assertEqual(status, 200, body)
        self.emulator.clear_requests()

    def workspace_with_azapi(self, files):
        self.assertTrue(os.path.exists(AZAPI_STUB), f"{AZAPI_STUB} is not built")
        ws = self.workspace(None, files=files, env={"TF_VAR_unused": "1"})
        with open(ws.cli_config, "w") as f:
            f.write('provider_installation {\n  dev_overrides {\n'
                    f'    "{PROVIDER_SOURCE}" = "{BUILD_DIR}"\n'
                    f'    "registry.terraform.io/azure/azapi" = "{os.path.dirname(AZAPI_STUB)}"\n'
                    '  }\n  direct {}\n}\n')
        return ws

    def assertAdopted(self, ws):
        writes = [q for q in self.emulator.arm_requests() if q["method"] in ("PUT", "PATCH", "DELETE")]
        self.assertEqual(writes, [], "the move wrote to ARM")
        self.plan_exit(ws, 0)
        attrs = ws.instances()["foundry_gateway_connection.c"]["attributes"]
        self.assertEqual(attrs["api_key"], KEY, "the key did not come along")
        self.assertEqual(attrs["models"][0]["model_version"], "2024-11-20")
        self.assertEqual(attrs["extra_metadata"], {"owner": "team-a"})

    def moved(self, body_2x):
        require("moved_across_types")
        ws = self.workspace_with_azapi({"main.tf": HEADER + TYPED + "\nmoved {\n  from = azapi_resource.c\n"
                                        "  to   = foundry_gateway_connection.c\n}\n"})
        ws.write("terraform.tfstate", json.dumps(azapi_state(body_2x)))
        r = self.apply(ws)
        self.assertRegex(r.output, r"(?i)moved|has moved to", r.describe())
        self.assertAdopted(ws)

    def test_moved_from_azapi_2x_state(self):
        self.moved(True)

    def test_moved_from_azapi_1x_state(self):
        self.moved(False)

    def test_moved_with_a_miscased_key_warns_once_with_its_attribute(self):
        """A move reads azapi's stored body without diagnostics; the plan that follows reads ARM and warns once, at the
        attribute the miscased key belongs to."""
        require("moved_across_types")
        body = json.loads(json.dumps(BODY))
        md = body["properties"]["metadata"]
        md["DeploymentInPath"] = md.pop("deploymentInPath")
        self.assertEqual(self.emulator.arm("PUT", RID, body)[0], 200)
        ws = self.workspace_with_azapi({"main.tf": HEADER + TYPED + "\nmoved {\n  from = azapi_resource.c\n"
                                        "  to   = foundry_gateway_connection.c\n}\n"})
        ws.write("terraform.tfstate", json.dumps(azapi_state(True, body)))
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual(r.output.count("Metadata key in the wrong case"), 1, r.describe())
        self.assertIn("deployment_in_path", r.output.split("Metadata key in the wrong case", 1)[1][:400], r.describe())

    def test_moved_from_a_non_gateway_connection_is_refused(self):
        require("moved_across_types")
        body = json.loads(json.dumps(BODY))
        body["properties"]["category"] = "AzureOpenAI"
        ws = self.workspace_with_azapi({"main.tf": HEADER + TYPED + "\nmoved {\n  from = azapi_resource.c\n"
                                        "  to   = foundry_gateway_connection.c\n}\n"})
        ws.write("terraform.tfstate", json.dumps(azapi_state(True, body)))
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("body.properties.category", r.output, r.describe())
        self.assertIn("azapi_resource", json.dumps(ws.state()), "the failed move changed the state")

    def test_removed_then_import_block(self):
        require("import_block")
        ws = self.workspace_with_azapi({"main.tf": HEADER + TYPED + "\nremoved {\n  from = azapi_resource.c\n"
                                        "  lifecycle {\n    destroy = false\n  }\n}\n"
                                        f'import {{\n  to = foundry_gateway_connection.c\n  id = "{RID}"\n}}\n'})
        ws.write("terraform.tfstate", json.dumps(azapi_state(True)))
        self.apply(ws)
        self.assertEqual(list(self.emulator.store()), [RID], "the connection was destroyed or duplicated")
        self.plan_exit(ws, 0)

    def test_import_with_generate_config_out(self):
        require("import_block")
        ws = self.workspace(None, files={"main.tf": HEADER.replace(
            '    azapi   = { source = "registry.terraform.io/azure/azapi" }\n', "").replace('provider "azapi" {}\n', "")
            + f'import {{\n  to = foundry_gateway_connection.c\n  id = "{RID}"\n}}\n'})
        r = ws.run("plan", "-generate-config-out=generated.tf", "-no-color")
        # ARM never returns the key, so the generated configuration lacks it: the plan says so, the file is written,
        # and adding the key is the one edit left (docs/guides/migrating-from-azapi.md).
        self.assertIn("Missing API key", r.output, r.describe())
        generated = ws.read("generated.tf")
        self.assertIn('resource "foundry_gateway_connection" "c"', generated)
        self.assertIn('"ApiManagement"', generated)
        fixed, n = re.subn(r"(?m)^(\s*)api_key\s*=.*$", lambda m: f'{m.group(1)}api_key = "{KEY}"', generated)
        if n == 0:
            fixed = generated.replace("auth_type", f'api_key = "{KEY}"\n  auth_type', 1)
        ws.write("generated.tf", fixed)
        r = ws.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertEqual([q for q in self.emulator.arm_requests() if q["method"] == "DELETE"], [])


if __name__ == "__main__":
    unittest.main()
