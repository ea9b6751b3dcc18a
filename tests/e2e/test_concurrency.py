"""Scenario 7: concurrency and connection reuse. `for_each` over 12 connections of one project: Terraform
applies them in parallel (parallelism 10); the provider serialises writes per account (docs/internals/arm.md 1.5), so the
emulator never answers 409, and one provider process reuses its HTTP connections (libcurl share) instead of
opening one per request."""

import json
import unittest

from harness import PROJECT_ID, E2ETestCase, connection_id

N = 12
NAMES = [f"conc-{i:02d}" for i in range(N)]

CONFIG = """terraform {
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

provider "foundry" {}

variable "apim_subscription_key" {
  type      = string
  sensitive = true
}

resource "foundry_gateway_connection" "many" {
  for_each = toset([%s])

  parent_id          = "%s"
  name               = each.key
  category           = "ApiManagement"
  target             = "https://contoso-apim.azure-api.net/${each.key}"
  auth_type          = "ApiKey"
  api_key            = var.apim_subscription_key
  deployment_in_path = true
  models = [
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
  ]
}
""" % (", ".join(f'"{n}"' for n in NAMES), PROJECT_ID)


class ConcurrencyTest(E2ETestCase):

    def test_for_each_twelve_connections(self):
        ws = self.workspace(None, files={"main.tf": CONFIG},
                            env={"TF_VAR_apim_subscription_key": "e2e-concurrency-key-0a0b"})
        self.apply(ws)

        store = self.emulator.store()
        self.assertEqual(sorted(store), sorted(connection_id(PROJECT_ID, n) for n in NAMES))
        for n in NAMES:
            self.assertEqual(store[connection_id(PROJECT_ID, n)]["resource"]["properties"]["target"],
                             f"https://contoso-apim.azure-api.net/{n}")
        self.assertEqual(len(ws.instances()), N)

        reqs = self.emulator.requests()
        provider_reqs = [r for r in reqs if not r.get("path", "").startswith("/_emulator")]
        arm = self.emulator.arm_requests()
        self.assertEqual([r for r in arm if r.get("status") == 409], [], "ARM answered 409 Conflict")
        puts = [r for r in arm if r["method"] == "PUT"]
        self.assertEqual(len(puts), N, "one PUT per connection, no retries needed")
        # One GET before each PUT (the existence check: never take over a connection that exists), none after
        # it: the PUT response is the new state.
        gets = [r["path"] for r in arm if r["method"] == "GET"]
        self.assertEqual(sorted(gets), sorted(connection_id(PROJECT_ID, n) for n in NAMES))
        for n in NAMES:
            seq = [r["method"] for r in arm if r["path"].endswith("/" + n)]
            self.assertEqual(seq, ["GET", "PUT"], f"requests for {n}")
        stats = self.emulator.stats()
        conns = len({r.get("conn") for r in provider_reqs})
        print(f"\n[e2e.concurrency] apply of {N}: the provider made {len(provider_reqs)} requests "
              f"({len(puts)} PUT) over {conns} TCP connection(s); emulator stats {json.dumps(stats)} "
              "(stats include this test's own control-plane calls)")
        self.assertLessEqual(stats["tokens_issued"], 2, "the provider did not cache its ARM token")
        # One provider process does the applying: it must reuse its connections. The existence checks run in
        # parallel (the CLI's parallelism, 10), the PUTs one at a time per account: at most one connection per
        # parallel call, far fewer than one per request.
        self.assertLessEqual(conns, min(11, len(provider_reqs) // 2),
                             f"connection reuse: {conns} connections for {len(provider_reqs)} requests")

        self.emulator.clear_requests()
        self.plan_exit(ws, 0)
        gets = self.emulator.arm_requests("GET")
        self.assertEqual(len(gets), N, "one refresh GET per connection")

        self.emulator.clear_requests()
        self.destroy(ws)
        reqs = [r for r in self.emulator.requests() if not r.get("path", "").startswith("/_emulator")]
        arm = self.emulator.arm_requests()
        self.assertEqual([r["path"] for r in arm if r.get("status") == 409], [],
                         "concurrent deletes in one project were not serialised (ARM answered 409)")
        self.assertEqual(len([r for r in arm if r["method"] == "DELETE"]), N)
        self.assertEqual(self.emulator.store(), {})
        self.assertEqual(ws.instances(), {})
        conns = len({r.get("conn") for r in reqs})
        print(f"[e2e.concurrency] destroy of {N} (refresh process + apply process): {len(reqs)} requests over "
              f"{conns} TCP connection(s)")
        # The refresh process reads with Terraform's parallelism (10), so it may need up to 10 connections at
        # once; the apply process writes one at a time (serialised per account) over one. More than that means
        # connections are not going back to the pool (see unit.test_http concurrent_connection_reuse).
        self.assertLessEqual(conns, 10 + 2, "connection reuse during destroy")


if __name__ == "__main__":
    unittest.main()
