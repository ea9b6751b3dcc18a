"""Provider functions (Terraform 1.8+, OpenTofu 1.7+) evaluated by the real CLIs: parse_connection_id,
connection_id, models_json (byte for byte what the resource sends) and models_from_json; bad input is a function
error naming the argument."""

import json
import unittest

from harness import ACCOUNT_ID, PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, require

HEADER = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
""" % PROVIDER_SOURCE

OUTPUTS = HEADER + """
locals {
  models = [
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
    { name = "deepseek", model_name = "DeepSeek-R1", model_format = "DeepSeek" },
  ]
}
output "parsed_project" {
  value = provider::foundry::parse_connection_id("%(project)s/connections/apim-gw")
}
output "parsed_account" {
  value = provider::foundry::parse_connection_id("%(account)s/connections/shared-gw")
}
output "id" {
  value = provider::foundry::connection_id("%(project)s", "apim-gw")
}
output "models_json" {
  value = provider::foundry::models_json(local.models)
}
output "round_trip" {
  value = provider::foundry::models_from_json(provider::foundry::models_json(local.models))
}
""" % {"project": PROJECT_ID, "account": ACCOUNT_ID}


class FunctionsTest(E2ETestCase):

    def setUp(self):
        require("functions")
        super().setUp()

    def test_functions(self):
        ws = self.workspace(None, files={"main.tf": OUTPUTS})
        self.apply(ws)
        out = {k: v["value"] for k, v in json.loads(self.ok(ws, "output", "-json").stdout).items()}
        self.assertEqual(out["parsed_project"], {"subscription_id": "00000000-0000-0000-0000-000000000000",
                                                 "resource_group_name": "rg-foundry", "account_name": "foundry-acct",
                                                 "project_name": "proj-main", "name": "apim-gw"})
        self.assertIsNone(out["parsed_account"]["project_name"])
        self.assertEqual(out["id"], PROJECT_ID + "/connections/apim-gw")
        self.assertEqual(out["models_json"],
                         '[{"name":"gpt-4o","properties":{"model":{"name":"gpt-4o","version":"2024-11-20",'
                         '"format":"OpenAI"}}},{"name":"deepseek","properties":{"model":{"name":"DeepSeek-R1",'
                         '"format":"DeepSeek"}}}]')
        self.assertEqual(out["round_trip"][1], {"name": "deepseek", "model_name": "DeepSeek-R1",
                                                "model_version": None, "model_format": "DeepSeek"})

    def test_bad_input_is_an_error_naming_the_argument(self):
        cases = {
            'provider::foundry::parse_connection_id("/subscriptions/x")': "connection",
            'provider::foundry::connection_id("%s", "a b")' % PROJECT_ID: "name",
            'provider::foundry::models_json([{ name = "m" }])': r"models\[0\]\.model_name",
            'provider::foundry::models_from_json("{")': "json",
        }
        for expr, pattern in cases.items():
            with self.subTest(expr=expr):
                ws = self.workspace(None, files={"main.tf": HEADER + f"output \"x\" {{\n  value = {expr}\n}}\n"})
                r = ws.run("plan", "-no-color")
                self.assertEqual(r.rc, 1, r.describe())
                self.assertRegex(r.output, pattern, r.describe())


if __name__ == "__main__":
    unittest.main()
