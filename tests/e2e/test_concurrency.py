"""Scenario 7: concurrency and connection reuse. `for_each` over 12 connections of one project: Terraform applies
them in parallel (parallelism 10). In the emulator's default world an account takes concurrent writes, and the
provider's writes overlap; in its conflict world (docs/internals/arm.md 1.5) overlapping writes in one account are
answered 409 RequestConflict, and the provider falls back to one write at a time for that account, retrying the write
that got the 409: the apply and the destroy succeed all the same. One provider process reuses its HTTP connections
(libcurl share) instead of opening one per request."""

import json
import re
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

    def test_conflicting_account_falls_back_to_one_write_at_a_time(self):
        self.emulator.config(conflict_writes=True, write_hold_ms=100, latency_ms=20)
        ws = self.workspace(None, files={"main.tf": CONFIG},
                            env={"TF_VAR_apim_subscription_key": "e2e-concurrency-key-0a0b",
                                 "TF_LOG_PROVIDER": "DEBUG", "TF_LOG_PATH": self.tmp + "/conflict.log"})
        r = self.apply(ws)  # no error reaches the user for a conflict that waiting solves
        self.assertEqual(len(self.emulator.store()), N)
        conflicts = [q for q in self.emulator.arm_requests() if q.get("status") == 409]
        self.assertTrue(conflicts, "the conflict world answered no 409: the test proves nothing")
        with open(self.tmp + "/conflict.log", errors="replace") as f:
            log = f.read()
        self.assertIn("its writes go one at a time", log, "the switch to one write at a time is not logged")
        self.assertNotIn("RequestConflict", r.output)
        self.emulator.clear_requests()
        self.destroy(ws)
        self.assertEqual(self.emulator.store(), {})

    def test_a_name_conflict_is_still_an_error(self):
        """A 409 that waiting does not solve is the user's to see, after one attempt."""
        self.emulator.add_fault(method="PUT", path_regex="connections/conc-00", status=409, times=0,
                                body={"error": {"code": "Conflict", "message": "A connection named conc-00 "
                                                "already exists in another project of this account."}})
        ws = self.workspace(None, files={"main.tf": CONFIG},
                            env={"TF_VAR_apim_subscription_key": "e2e-concurrency-key-0a0b"})
        r = ws.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("already exists in another project", re.sub(r"\s+", " ", r.output))
        puts = [q for q in self.emulator.arm_requests() if q["method"] == "PUT" and q["path"].endswith("/conc-00")]
        self.assertEqual(len(puts), 1, "a name conflict was retried")
        self.emulator.clear_faults()
        self.destroy(ws)

    def test_for_each_twelve_connections(self):
        self.emulator.config(latency_ms=50)  # long enough for writes to overlap where they can
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
        self.assertGreater(self.emulator.stats()["max_concurrent_writes"], 1,
                           "the account takes concurrent writes, but the provider sent them one at a time")
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
        # One provider process does the applying: it must reuse its connections. The existence checks and the PUTs
        # run in parallel (the CLI's parallelism, 10): at most one connection per parallel call, far fewer than one
        # per request.
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
        self.assertEqual([r["path"] for r in arm if r.get("status") == 409], [], "ARM answered 409")
        self.assertEqual(len([r for r in arm if r["method"] == "DELETE"]), N)
        self.assertEqual(self.emulator.store(), {})
        self.assertEqual(ws.instances(), {})
        conns = len({r.get("conn") for r in reqs})
        print(f"[e2e.concurrency] destroy of {N} (refresh process + apply process): {len(reqs)} requests over "
              f"{conns} TCP connection(s)")
        # The refresh process reads with Terraform's parallelism (10), so it may need up to 10 connections at
        # once, and so may the apply process's deletes. More than that means connections are not going back to
        # the pool (see unit.test_http concurrent_connection_reuse).
        self.assertLessEqual(conns, 2 * 10 + 2, "connection reuse during destroy")


if __name__ == "__main__":
    unittest.main()
