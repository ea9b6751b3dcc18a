"""More resources through the same plumbing: foundry_test_blocklist (an account's child) and
foundry_test_capability_host (a project's child), each one file in tests/resource and one line in its registry.def,
built into build/testprovider only; planned, applied, read, imported and destroyed by the real
CLIs against the emulator's generic child collections — create with the existence check, 404 as gone, import with
one GET, timeouts."""

import os
import unittest

from harness import ACCOUNT_ID, BUILD_DIR, PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, resource_change

TEST_PROVIDER = os.path.join(BUILD_DIR, "testprovider", "terraform-provider-foundry")
RID = ACCOUNT_ID + "/raiBlocklists/words"
CONFIG = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
resource "foundry_test_blocklist" "b" {
  parent_id   = "%s"
  name        = "words"
  description = "%%s"
  timeouts {
    create = "1m"
  }
}
""" % (PROVIDER_SOURCE, ACCOUNT_ID)


class SecondResourceTest(E2ETestCase):

    def ws(self, description):
        self.assertTrue(os.path.exists(TEST_PROVIDER), f"{TEST_PROVIDER} is not built")
        return self.workspace(None, files={"main.tf": CONFIG % description}, provider_binary=TEST_PROVIDER)

    def stored(self):
        status, body = self.emulator.arm("GET", RID)
        return status, body

    def test_lifecycle_through_the_shared_plumbing(self):
        ws = self.ws("first")
        plan = self.plan_json(ws)
        self.assertEqual(resource_change(plan, "foundry_test_blocklist.b")["change"]["actions"], ["create"])
        self.apply(ws)
        status, body = self.stored()
        self.assertEqual((status, body["properties"]), (200, {"description": "first"}))
        self.plan_exit(ws, 0)
        # An update, then drift: deleted outside -> planned again (404 is gone).
        ws.write("main.tf", CONFIG % "second")
        self.apply(ws)
        self.assertEqual(self.stored()[1]["properties"], {"description": "second"})
        self.assertEqual(self.emulator.arm("DELETE", RID)[0], 200)
        plan = self.plan_json(ws)
        self.assertEqual(resource_change(plan, "foundry_test_blocklist.b")["change"]["actions"], ["create"])
        self.apply(ws)
        # Import into a fresh state: one GET; then nothing to change.
        ws2 = self.ws("second")
        r = ws2.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 1, "the existing blocklist was taken over\n" + r.describe())
        self.assertIn("Blocklist already exists", r.output, r.describe())
        self.emulator.clear_requests()
        self.ok(ws2, "import", "-no-color", "foundry_test_blocklist.b", RID)
        gets = [q for q in self.emulator.requests() if q["method"] == "GET" and "raiBlocklists" in q["path"]]
        self.assertEqual(len(gets), 1, "import reads once")
        # An import cannot know the configuration's timeouts: the plan sets them, and applying that writes nothing.
        self.plan_exit(ws2, 2)
        self.emulator.clear_requests()
        self.apply(ws2)
        self.assertEqual([q for q in self.emulator.requests() if q["method"] == "PUT"], [], "timeouts alone were PUT")
        self.plan_exit(ws2, 0)
        self.destroy(ws2)
        self.assertEqual(self.stored()[0], 404)
        ws.run("apply", "-refresh-only", "-auto-approve", "-no-color")

    def test_a_project_child_is_one_file_too(self):
        host = PROJECT_ID + "/capabilityHosts/agents"
        cfg = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
resource "foundry_test_capability_host" "h" {
  parent_id = "%s"
  name      = "agents"
}
""" % (PROVIDER_SOURCE, PROJECT_ID)
        ws = self.workspace(None, files={"main.tf": cfg}, provider_binary=TEST_PROVIDER)
        self.apply(ws)
        status, body = self.emulator.arm("GET", host)
        self.assertEqual(status, 200)
        # ARM's type for a project's child names the project level.
        self.assertEqual(body["type"], "Microsoft.CognitiveServices/accounts/projects/capabilityHosts")
        self.assertEqual(body["properties"], {"capabilityHostKind": "Agents"})
        self.plan_exit(ws, 0)
        self.destroy(ws)
        self.assertEqual(self.emulator.arm("GET", host)[0], 404)


if __name__ == "__main__":
    unittest.main()
