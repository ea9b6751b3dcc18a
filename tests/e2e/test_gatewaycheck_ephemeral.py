"""Scenario: the ephemeral gateway check (Terraform 1.10+, OpenTofu 1.11+), the documented patterns
(examples/gateway-check-ephemeral): a check {} block over the ephemeral result warns, a postcondition on it fails
the run; the key is in neither the state nor the saved plan. A module of its own, so that an older CLI reports it
as skipped."""

import os
import re
import unittest

from harness import PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, FakeGateway, require

KEY = "e2e-eph-key-7e7f"

CONFIG = """terraform {
  required_providers {
    foundry = { source = "%(source)s" }
  }
}
provider "foundry" {}
variable "key" {
  type      = string
  sensitive = true
  ephemeral = true
}
resource "foundry_gateway_connection" "apim" {
  parent_id              = "%(parent)s"
  name                   = "apim-eph"
  category               = "ApiManagement"
  target                 = "%(target)s"
  auth_type              = "ApiKey"
  api_key_wo             = var.key
  api_key_wo_version     = 1
  deployment_in_path     = true
  inference_api_version  = "2024-10-21"
  models = [{ name = "gpt-4o", model_name = "gpt-4o", model_format = "OpenAI" }]
}
ephemeral "foundry_gateway_check" "apim" {
  connection_id   = foundry_gateway_connection.apim.id
  api_key         = var.key
  inference       = true
  timeout_seconds = 2
  ca_certificate  = file("%(ca)s")
  resolve         = { "%(rk)s" = "%(rv)s" }
%(lifecycle)s
}
check "gateway" {
  assert {
    condition     = ephemeral.foundry_gateway_check.apim.ok
    error_message = "The gateway does not work as Foundry will use it: run a plan with TF_LOG=INFO for the problems."
  }
}
"""

POSTCONDITION = """  lifecycle {
    postcondition {
      condition     = self.ok
      error_message = "The gateway does not work as Foundry will use it."
    }
  }"""


class EphemeralGatewayCheckTest(E2ETestCase):

    trace_secrets = (KEY,)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = FakeGateway(cls._class_tmp)

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        super().tearDownClass()

    def setUp(self):
        require("ephemeral")
        super().setUp()
        self.gw.reset()
        self.gw.config(key=KEY)

    def ws(self, lifecycle=""):
        (rk, rv), = self.gw.resolve("apim.gateway.test").items()
        cfg = CONFIG % {"source": PROVIDER_SOURCE, "parent": PROJECT_ID, "ca": self.gw.ca_pem, "rk": rk, "rv": rv,
                        "target": self.gw.url("apim.gateway.test", "/apim"), "lifecycle": lifecycle}
        return self.workspace(None, files={"main.tf": cfg}, env={"TF_VAR_key": KEY})

    def test_passes_and_stores_no_key(self):
        ws = self.ws()
        r = self.apply(ws)
        self.assertNotIn("Check block assertion failed", r.output, r.describe())
        paths = [f"{q['method']} {q['path']}" for q in self.gw.requests()]
        self.assertIn("POST /apim/deployments/gpt-4o/chat/completions?api-version=2024-10-21", paths)
        self.ok(ws, "plan", "-no-color", "-out=saved.tfplan")
        for f in ("terraform.tfstate", "saved.tfplan"):
            with open(os.path.join(ws.dir, f), "rb") as fh:
                self.assertNotIn(KEY.encode(), fh.read(), f"the key is in {f}")
        self.destroy(ws)

    def test_a_broken_gateway_warns_in_a_check_block(self):
        ws = self.ws()
        self.apply(ws)
        self.gw.config(key="rotated-away")
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        flat = re.sub(r"\s+", " ", r.output)
        self.assertIn("The gateway does not work as Foundry will use it", flat, r.describe())
        self.assertNotIn(KEY, r.output)
        self.destroy(ws)

    def test_a_broken_gateway_fails_with_a_postcondition(self):
        ws = self.ws(POSTCONDITION)
        self.apply(ws)
        self.gw.config(key="rotated-away")
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 1, "a postcondition on the ephemeral check fails the run\n" + r.describe())
        self.assertIn("Resource postcondition failed", r.output, r.describe())
        self.assertNotIn(KEY, r.output)
        self.gw.config(key=KEY)
        self.destroy(ws)


if __name__ == "__main__":
    unittest.main()
