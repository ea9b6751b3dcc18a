"""Scenario: the audit of existing connections (data "foundry_gateway_connections") on every CLI. Connections are
written straight into the emulator in the broken shapes other tools leave (a miscased key, `models` that is not a
JSON string or not JSON, a discovery endpoint without {deploymentName}, a target ending in the inference route, an
auth type the category does not take), next to healthy ones, in the account and in two projects, over several
pages; each broken one is found with the fix the resource gives at plan time, the healthy ones with none, and
examples/audit warns naming them."""

import json
import re
import unittest

from harness import ACCOUNT_ID, PROJECT_DEV_ID, PROJECT_ID, PROVIDER_SOURCE, E2ETestCase

MODELS = json.dumps([{"name": "gpt-4o", "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20",
                                                                  "format": "OpenAI"}}}], separators=(",", ":"))


def conn(category="ApiManagement", target="https://contoso-apim.azure-api.net/foundry", auth="ApiKey", **md):
    metadata = {"deploymentInPath": "true", "models": MODELS}
    metadata.update(md)
    metadata = {k: v for k, v in metadata.items() if v is not None}
    return {"properties": {"category": category, "target": target, "authType": auth, "isSharedToAll": False,
                           "metadata": metadata}}


HEALTHY = conn()
BROKEN = {
    "miscased": (conn(deploymentInPath=None, DeploymentInPath="true"), r"deployment_in_path: Metadata key in the wrong case"),
    "models-array": (conn(models=json.loads(MODELS)), r"models: .*is not a JSON string"),
    "models-notjson": (conn(models="[{name: gpt-4o"), r"models: .*is not valid JSON"),
    "no-placeholder": (conn(category="ModelGateway", target="https://gw.example/v1", models=None,
                            modelDiscovery=json.dumps({"listModelsEndpoint": "/models",
                                                       "getModelEndpoint": "/models/one",
                                                       "deploymentProvider": "OpenAI"})),
                       r"model_discovery\.get_model_endpoint.*\{deploymentName\}"),
    "inference-route": (conn(target="https://contoso-apim.azure-api.net/foundry/chat/completions"),
                        r"target: target includes the inference route"),
}

CONFIG = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
data "foundry_gateway_connections" "a" {
  parent_id        = "%%s"
  include_projects = %%s
  %%s
}
output "connections" {
  value = data.foundry_gateway_connections.a.connections
}
""" % PROVIDER_SOURCE


class AuditTest(E2ETestCase):

    def seed(self):
        self.emulator.put_store(f"{ACCOUNT_ID}/connections/acct-healthy", HEALTHY)
        self.emulator.put_store(f"{PROJECT_DEV_ID}/connections/dev-healthy", HEALTHY)
        for name, (body, _) in BROKEN.items():
            self.emulator.put_store(f"{PROJECT_ID}/connections/{name}", body)
        for i in range(3):  # enough for several pages (the emulator pages by 2)
            self.emulator.put_store(f"{PROJECT_ID}/connections/healthy-{i}", HEALTHY)
        other = conn()
        other["properties"]["category"] = "AzureOpenAI"  # not a gateway connection: not audited
        self.emulator.put_store(f"{PROJECT_ID}/connections/aoai", other)

    def audit(self, parent, include_projects="false", extra=""):
        ws = self.workspace(None, files={"main.tf": CONFIG % (parent, include_projects, extra)})
        self.apply(ws)
        return {c["name"]: c for c in json.loads(self.ok(ws, "output", "-json").stdout)["connections"]["value"]}

    def test_every_broken_shape_is_found_with_its_fix(self):
        self.seed()
        found = self.audit(PROJECT_ID)
        self.assertEqual(sorted(found), sorted(list(BROKEN) + [f"healthy-{i}" for i in range(3)]))
        for name, (_, pattern) in BROKEN.items():
            self.assertTrue(any(re.search(pattern, f) for f in found[name]["findings"]),
                            f"{name}: {found[name]['findings']}")
        for i in range(3):
            self.assertEqual(found[f"healthy-{i}"]["findings"], [])
        self.assertEqual(found["miscased"]["category"], "ApiManagement")
        self.assertEqual(found["miscased"]["auth_type"], "ApiKey")

    def test_account_with_its_projects_over_pages(self):
        self.seed()
        self.assertEqual(sorted(self.audit(ACCOUNT_ID)), ["acct-healthy"])
        everything = self.audit(ACCOUNT_ID, "true")
        self.assertEqual(len(everything), 1 + 1 + len(BROKEN) + 3)
        self.assertEqual(everything["dev-healthy"]["findings"], [])
        only = self.audit(ACCOUNT_ID, "true", 'category = "ModelGateway"')
        self.assertEqual(sorted(only), ["no-placeholder"])
        gets = [q for q in self.emulator.requests()
                if q["method"] == "GET" and any(k.lower() == "$skiptoken" for k in q["query"])]
        self.assertTrue(gets, "no second page was read")

    def test_an_empty_account(self):
        empty = ACCOUNT_ID.replace("foundry-acct", "empty-acct")
        self.emulator.put_store(empty, {})
        self.assertEqual(self.audit(empty, "true"), {})

    def test_example_guards_an_account(self):
        self.seed()
        ws = self.workspace("audit")
        r = self.apply(ws)
        flat = re.sub(r"\s+", " ", r.output)
        self.assertIn("Check block assertion failed", r.output, r.describe())
        self.assertIn("connections/miscased: deployment_in_path: Metadata key in the wrong case", flat, r.describe())
        self.assertNotIn("healthy-0:", flat)


if __name__ == "__main__":
    unittest.main()
