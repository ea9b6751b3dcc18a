"""Scenario: `terraform query` with the list resource foundry_gateway_connection (Terraform 1.14+; the tests'
newest Terraform). Connections in an account and in two projects, over several pages, healthy and broken (a metadata
key in the wrong case, `models` not encoded as a string), are all found; -generate-config-out writes import blocks (by identity) and configuration;
with the keys filled in (ARM never returns them) the plan imports every one, changes the healthy ones only by their
key and shows each broken one's fix as an update that keeps what its writer meant (the miscased key's value, the
array encoded); after the apply the next plan is empty. A module of its own:
CLIs without `query` report it skipped."""

import json
import os
import re
import unittest

from harness import ACCOUNT_ID, PROJECT_DEV_ID, PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, require

KEY = "e2e-query-key-9e9f"
MODELS = json.dumps([{"name": "gpt-4o", "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20",
                                                                  "format": "OpenAI"}}}], separators=(",", ":"))


def body(**md):
    metadata = {"deploymentInPath": "true", "models": MODELS}
    metadata.update(md)
    return {"properties": {"category": "ApiManagement", "target": "https://contoso-apim.azure-api.net/foundry",
                           "authType": "ApiKey", "isSharedToAll": False,
                           "metadata": {k: v for k, v in metadata.items() if v is not None}},
            "credentials": {"key": KEY}}


MAIN = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
""" % PROVIDER_SOURCE

QUERY = """list "foundry_gateway_connection" "all" {
  provider = foundry
  config {
    parent_id        = "%s"
    include_projects = true
  }
}
""" % ACCOUNT_ID


class QueryTest(E2ETestCase):

    trace_secrets = (KEY,)

    def setUp(self):
        require("query")
        super().setUp()
        self.healthy = [f"{ACCOUNT_ID}/connections/acct-one", f"{PROJECT_ID}/connections/main-one",
                        f"{PROJECT_ID}/connections/main-two", f"{PROJECT_ID}/connections/main-three",
                        f"{PROJECT_DEV_ID}/connections/dev-one"]
        for rid in self.healthy:
            self.emulator.put_store(rid, body())
        self.broken = f"{PROJECT_DEV_ID}/connections/dev-miscased"
        self.emulator.put_store(self.broken, body(deploymentInPath=None, DeploymentInPath="true"))
        # `models` written without jsonencode: an array where Foundry reads a JSON string.
        self.unencoded = f"{PROJECT_ID}/connections/main-unencoded"
        self.emulator.put_store(self.unencoded, body(models=json.loads(MODELS)))
        other = body()
        other["properties"]["category"] = "AzureOpenAI"
        self.emulator.put_store(f"{PROJECT_ID}/connections/not-a-gateway", other)

    def test_query_finds_every_connection_and_its_config_applies(self):
        ws = self.workspace(None, files={"main.tf": MAIN, "all.tfquery.hcl": QUERY})
        r = self.ok(ws, "query", "-no-color")
        for rid in self.healthy + [self.broken, self.unencoded]:
            name = rid.rsplit("/", 1)[1]
            self.assertRegex(r.stdout, rf"name={name},parent_id=.*{name} \(ApiManagement, https://", r.describe())
        self.assertNotIn("not-a-gateway", r.stdout)
        pages = [q for q in self.emulator.requests()
                 if q["method"] == "GET" and any(k.lower() == "$skiptoken" for k in q["query"])]
        self.assertTrue(pages, "the listing never followed a nextLink")

        self.ok(ws, "query", "-no-color", "-generate-config-out=generated.tf")
        with open(os.path.join(ws.dir, "generated.tf")) as f:
            gen = f.read()
        self.assertEqual(gen.count("import {"), 7, gen)
        self.assertIn("identity = {", gen)
        # ARM never returns the key: the user adds it (the guide says so).
        gen = re.sub(r"(?m)^(\s*)api_key(\s*)= null # sensitive$", r"\1api_key\2= var.key", gen)
        ws.write("generated.tf", gen + '\nvariable "key" {\n  type      = string\n  sensitive = true\n}\n')
        os.remove(os.path.join(ws.dir, "all.tfquery.hcl"))
        ws.env["TF_VAR_key"] = KEY
        plan = self.plan_json(ws)
        changes = {rc["address"]: rc for rc in plan["resource_changes"]}
        self.assertEqual(len(changes), 7)
        for addr, rc in changes.items():
            self.assertIn("importing", rc["change"], addr)
            before, after = rc["change"]["before"], rc["change"]["after"]
            diff = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            if rc["change"]["before"]["name"] in ("dev-miscased", "main-unencoded"):
                self.assertEqual([d for d in diff if d not in ("api_key",)], ["metadata"],
                                 f"{addr}: the broken one's fix is an update of its metadata alone: {diff}")
            else:
                self.assertEqual([d for d in diff if d not in ("api_key",)], [], f"{addr}: {diff}")
        self.apply(ws)
        self.plan_exit(ws, 0)
        # The fixes keep what each writer meant: the miscased key's value, the array encoded as Foundry reads it.
        stored = self.emulator.stored(self.broken)["resource"]["properties"]["metadata"]
        self.assertNotIn("DeploymentInPath", stored)
        self.assertEqual(stored["deploymentInPath"], "true")
        stored = self.emulator.stored(self.unencoded)["resource"]["properties"]["metadata"]
        self.assertEqual(json.loads(stored["models"]), json.loads(MODELS))


if __name__ == "__main__":
    unittest.main()
