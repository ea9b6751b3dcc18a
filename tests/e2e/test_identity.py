"""Scenario: resource identity on a CLI that speaks it (Terraform 1.12+; the tests' newest Terraform): the identity
in state after an apply, import by identity (`import { identity = {...} }`) that converges, and a bad identity value
named in the error. A module of its own, so that a CLI without identity reports it as skipped."""

import json
import os
import unittest

from harness import EXAMPLES_DIR, PROJECT_ID, E2ETestCase, connection_id, require

KEY = "e2e-identity-key-3c3d"
ADDR = "foundry_gateway_connection.apim"
NAME = "apim-quickstart"


class IdentityTest(E2ETestCase):

    trace_secrets = (KEY,)

    def setUp(self):
        require("identity")
        super().setUp()
        with open(os.path.join(EXAMPLES_DIR, "quickstart", "main.tf")) as f:
            self.config = f.read()

    def ws(self, extra=""):
        return self.workspace(None, files={"main.tf": self.config + extra}, env={"TF_VAR_apim_subscription_key": KEY})

    def test_identity_in_state_and_import_by_identity(self):
        ws = self.ws()
        self.apply(ws)
        with open(os.path.join(ws.dir, "terraform.tfstate")) as f:
            inst = json.load(f)["resources"][0]["instances"][0]
        self.assertEqual(inst.get("identity"), {"parent_id": PROJECT_ID, "name": NAME}, inst)

        # A fresh configuration adopts it by identity: one import, then nothing but the key to send.
        ws2 = self.ws(f"""
import {{
  to = {ADDR}
  identity = {{
    parent_id = "{PROJECT_ID}"
    name      = "{NAME}"
  }}
}}
""")
        r = self.ok(ws2, "plan", "-no-color")
        self.assertIn("1 to import", r.stdout, r.describe())
        self.apply(ws2)
        self.plan_exit(ws2, 0)
        with open(os.path.join(ws2.dir, "terraform.tfstate")) as f:
            inst = json.load(f)["resources"][0]["instances"][0]
        self.assertEqual(inst["attributes"]["id"], connection_id(PROJECT_ID, NAME))
        self.destroy(ws2)

    def test_bad_identity_value_is_named(self):
        ws = self.ws(f"""
import {{
  to = {ADDR}
  identity = {{
    parent_id = "/subscriptions/not-a-project"
    name      = "{NAME}"
  }}
}}
""")
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("Invalid import identity", r.output, r.describe())
        self.assertIn("parent_id:", r.output, r.describe())
        self.assertNotIn("Invalid import id\n", r.output)


if __name__ == "__main__":
    unittest.main()
