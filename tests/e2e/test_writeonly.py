"""Scenario 8: the write-only key. `api_key_wo` (Terraform >= 1.11 write-only attribute) is sent to ARM but
never stored in the state; `api_key_wo_version` is the value whose change re-sends it. As Terraform defines
write-only attributes, a new key alone is invisible to the plan (no difference can be computed from a value
that is not kept); bumping the version is how a rotation is applied."""

import json
import unittest

from harness import PROJECT_ID, RESOURCE_TYPE, E2ETestCase, connection_id, diff_paths, require, resource_change

RID = connection_id(PROJECT_ID, "gateway-wo")
ADDR = f"{RESOURCE_TYPE}.wo"

CONFIG = """terraform {
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

provider "foundry" {}

variable "wo_key" {
  type      = string
  sensitive = true
}

variable "wo_version" {
  type = string
}

variable "target" {
  type    = string
  default = "https://litellm.example.com/v1"
}

resource "foundry_gateway_connection" "wo" {
  parent_id          = "%s"
  name               = "gateway-wo"
  category           = "ModelGateway"
  target             = var.target
  auth_type          = "ApiKey"
  api_key_wo         = var.wo_key
  api_key_wo_version = var.wo_version
  models = [
    { name = "llama", model_name = "llama-3.3-70b", model_version = "1", model_format = "OpenAI" },
  ]
}
""" % PROJECT_ID

KEY1 = "e2e-wo-key-one-a1b2c3"
KEY2 = "e2e-wo-key-two-d4e5f6"
KEY3 = "e2e-wo-key-three-0789ab"


def env(key, version, **extra):
    e = {"TF_VAR_wo_key": key, "TF_VAR_wo_version": version}
    e.update({f"TF_VAR_{k}": v for k, v in extra.items()})
    return e


class WriteOnlyTest(E2ETestCase):

    def setUp(self):
        require("write_only")
        super().setUp()

    def assertKeyNotInState(self, ws, *keys):
        for st in ("terraform.tfstate", "terraform.tfstate.backup"):
            text = ws.state_text(st)
            for k in keys:
                self.assertNotIn(k, text, f"a write-only key is in {st}")
        attrs = ws.instances()[ADDR]["attributes"]
        self.assertIsNone(attrs.get("api_key_wo"), "api_key_wo has a value in the state")
        self.assertIsNone(attrs.get("api_key"))
        return attrs

    def test_write_only_key_and_version(self):
        ws = self.workspace(None, files={"main.tf": CONFIG})
        self.apply(ws, env=env(KEY1, "1"))
        self.assertEqual(self.emulator.stored(RID).get("credentials"), {"key": KEY1})
        attrs = self.assertKeyNotInState(ws, KEY1)
        self.assertEqual(attrs.get("api_key_wo_version"), "1")
        self.plan_exit(ws, 0, env=env(KEY1, "1"))

        # A new key without a new version: nothing to plan (write-only values are not compared).
        self.plan_exit(ws, 0, env=env(KEY2, "1"))

        # Bumping the version re-sends the (new) key.
        self.plan_exit(ws, 2, env=env(KEY2, "2"))
        rc = resource_change(self.plan_json(ws, env=env(KEY2, "2")), ADDR)
        self.assertEqual(rc["change"]["actions"], ["update"], json.dumps(rc, indent=1))
        self.assertIn("api_key_wo_version", diff_paths(rc["change"]["before"], rc["change"]["after"]))
        self.emulator.clear_requests()
        r = self.apply(ws, env=env(KEY2, "2"))
        self.assertNotIn(KEY2, r.output)
        self.assertEqual(len(self.emulator.arm_requests("PUT")), 1)
        self.assertEqual(self.emulator.stored(RID).get("credentials"), {"key": KEY2})
        attrs = self.assertKeyNotInState(ws, KEY1, KEY2)
        self.assertEqual(attrs.get("api_key_wo_version"), "2")
        self.plan_exit(ws, 0, env=env(KEY2, "2"))

        # Any other update is a full PUT, which re-sends the credentials from the configuration (issue:
        # "Credentials are re-sent on every PUT").
        new_target = "https://litellm2.example.com/v1"
        self.apply(ws, env=env(KEY3, "2", target=new_target))
        entry = self.emulator.stored(RID)
        self.assertEqual(entry["resource"]["properties"]["target"], new_target)
        self.assertEqual(entry.get("credentials"), {"key": KEY3})
        self.assertKeyNotInState(ws, KEY1, KEY2, KEY3)
        self.plan_exit(ws, 0, env=env(KEY3, "2", target=new_target))

        self.destroy(ws, env=env(KEY3, "2", target=new_target))
        self.assertStoreEmpty()


if __name__ == "__main__":
    unittest.main()
