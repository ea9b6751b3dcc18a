"""Scenario 5: ARM faults injected by the emulator (docs/internals/arm.md 4.3 retry set, 1.5 replication lag).

Retry-After values are 1 s so that the suite stays fast (with 0 or none, the provider's exponential back-off
applies, 1 s doubling to 60 s: minutes for a storm); timeouts {} bounds what a hang may cost.
"""

import json
import unittest

from harness import PROJECT_ID, RESOURCE_TYPE, E2ETestCase, connection_id, write_registry_layout
from test_examples import APIM_STATIC_PROPERTIES, QUICKSTART_PROPERTIES, REGISTRY_PROPERTIES

APIM_KEY = "e2e-faults-apim-key-2d9b"
ENV = {"TF_VAR_apim_subscription_key": APIM_KEY}
QS_RID = connection_id(PROJECT_ID, "apim-quickstart")
QS_ADDR = f"{RESOURCE_TYPE}.apim"


def statuses(reqs):
    return [r.get("status") for r in reqs]


class FaultsTest(E2ETestCase):

    trace_secrets = (APIM_KEY,)

    def test_429_then_success(self):
        ws = self.workspace("quickstart", env=ENV)
        self.emulator.add_fault(method="PUT", path_regex="/connections/apim-quickstart", times=1, status=429,
                                retry_after="1", body={"error": {"code": "TooManyRequests",
                                                                 "message": "Rate limit exceeded (e2e)."}})
        self.apply(ws)
        puts = self.emulator.arm_requests("PUT", "apim-quickstart")
        self.assertEqual(statuses(puts), [429, 200], json.dumps(puts, indent=1)[:4000])
        self.assertStoredProperties(QS_RID, QUICKSTART_PROPERTIES, {"key": APIM_KEY})
        self.plan_exit(ws, 0)

    def test_503_storm_exhausts_retries_then_recovers(self):
        ws = self.workspace("quickstart", env=ENV)
        self.emulator.add_fault(method="PUT", path_regex="/connections/apim-quickstart", times=1000, status=503,
                                retry_after="1", body={"error": {"code": "ServiceUnavailable",
                                                                 "message": "The service is unavailable (e2e)."}})
        r = ws.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRegex(r.output, r"503|ServiceUnavailable", "the error names neither the status nor the code\n"
                         + r.describe())
        self.assertNotRegex(r.output, r"(?i)deadline exceeded", r.describe())
        puts = self.emulator.arm_requests("PUT", "apim-quickstart")
        self.assertGreater(len(puts), 1, "a 503 was not retried")
        self.assertEqual(set(statuses(puts)), {503})
        print(f"\n[e2e.faults] 503 storm: the provider made {len(puts)} PUT attempts before giving up")
        self.assertEqual(self.emulator.store(), {})
        # Consistent state: nothing, or a tainted object; never two, never a lost one.
        insts = ws.instances()
        self.assertLessEqual(len(insts), 1, insts)
        if insts:
            self.assertEqual(insts[QS_ADDR].get("status"), "tainted", insts)

        self.emulator.clear_faults()
        self.emulator.clear_requests()
        self.apply(ws)
        self.assertEqual(list(self.emulator.store()), [QS_RID])
        self.assertStoredProperties(QS_RID, QUICKSTART_PROPERTIES, {"key": APIM_KEY})
        self.assertEqual(list(ws.instances()), [QS_ADDR])
        self.plan_exit(ws, 0)

    def test_timeouts_block_bounds_a_hanging_create(self):
        """ARM that never answers a PUT: the create gives up at timeouts.create, says so, and leaves nothing."""
        ws = self.workspace("quickstart", env=ENV)
        main = ws.read("main.tf")
        anchor = '  auth_type = "ApiKey"\n'
        self.assertIn(anchor, main)
        ws.write("main.tf", main.replace(anchor, anchor + '\n  timeouts {\n    create = "3s"\n  }\n', 1))
        self.emulator.add_fault(method="PUT", path_regex="/connections/apim-quickstart", times=1000, action="hang",
                                delay_ms=60000)
        r = ws.run("apply", "-auto-approve", "-no-color", timeout=60)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRegex(r.output, r"(?i)timed out", r.describe())
        self.assertEqual(ws.instances(), {})
        self.emulator.clear_faults()

    def test_invalid_timeout_is_a_plan_error(self):
        ws = self.workspace("quickstart", env=ENV)
        main = ws.read("main.tf")
        anchor = '  auth_type = "ApiKey"\n'
        ws.write("main.tf", main.replace(anchor, anchor + '\n  timeouts {\n    delete = "ten minutes"\n  }\n', 1))
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("Invalid duration", r.output, r.describe())
        self.assertNoPut()

    def test_connection_reset_during_refresh(self):
        ws = self.workspace("quickstart", env=ENV)
        self.apply(ws)
        self.emulator.clear_requests()
        self.emulator.add_fault(method="GET", path_regex="/connections/apim-quickstart", times=1, action="reset")
        self.plan_exit(ws, 0)
        gets = self.emulator.arm_requests("GET", "apim-quickstart")
        # The refresh met the reset (logged with the fault's id) and retried to a 200.
        self.assertTrue(any(r.get("fault") is not None for r in gets), json.dumps(gets, indent=1)[:4000])
        self.assertEqual(statuses(gets)[-1], 200, json.dumps(gets, indent=1)[:4000])

    def test_read_after_create_404_in_same_apply(self):
        """The data source reads the connection the same apply has just created while ARM still answers
        404 for it (replication lag): the provider retries the read and the apply succeeds."""
        ws = self.workspace(None, env=ENV, subdir="registry")
        write_registry_layout(ws)
        self.emulator.config(read_after_create_404=2)
        self.apply(ws)
        rid = connection_id(PROJECT_ID, "apim-gateway")
        self.assertStoredProperties(rid, REGISTRY_PROPERTIES, {"key": APIM_KEY})
        gets = self.emulator.arm_requests("GET", "apim-gateway")
        self.assertEqual(statuses(gets)[-1], 200, json.dumps(gets, indent=1)[:4000])
        self.assertIn(404, statuses(gets), "the emulator's read_after_create_404 did not fire")
        out = json.loads(self.ok(ws, "output", "-json").stdout)
        self.assertEqual(out["gateway_models"]["value"], ["apim-gateway/gpt-4o-deployment"])

    def test_read_after_create_404_during_import(self):
        """Import right after an out-of-band create while ARM still answers 404: either the provider retries,
        or the import fails cleanly as Terraform's "non-existent remote object" and leaves no state; a retry
        once ARM has caught up imports it (exactly one object)."""
        rid = connection_id(PROJECT_ID, "apim-static")
        addr = f"{RESOURCE_TYPE}.apim_static"
        self.emulator.config(read_after_create_404=1)
        status, body = self.emulator.arm("PUT", rid, {"properties": dict(APIM_STATIC_PROPERTIES,
                                                                          credentials={"key": "oob"})})
        self.assertEqual(status, 200, body)
        ws = self.workspace("apim-static-models", env=ENV)
        r = ws.run("import", "-no-color", addr, rid)
        print(f"\n[e2e.faults] import during read-after-create lag: first attempt exit {r.rc}")
        if r.rc != 0:
            self.assertEqual(r.rc, 1, r.describe())
            self.assertRegex(r.output, r"(?i)non-existent|does not exist|not found", r.describe())
            self.assertEqual(ws.instances(), {})
            self.ok(ws, "import", "-no-color", addr, rid)
        self.assertEqual(list(ws.instances()), [addr])
        self.assertIsNone(ws.instances()[addr]["attributes"].get("api_key"))
        self.apply(ws)
        self.assertStoredProperties(rid, APIM_STATIC_PROPERTIES, {"key": APIM_KEY})
        self.assertEqual(len(self.emulator.store()), 1)


if __name__ == "__main__":
    unittest.main()
