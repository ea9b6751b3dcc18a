"""Crash consistency: an apply of 20 connections interrupted in every way a real run can be — the provider killed
with SIGKILL, Ctrl-C to the CLI, ARM applying a PUT and then answering 500 or dropping the connection, tokens that stop
working mid-run — followed by the recovery a user would do (apply again; import what the no-takeover diagnostic names).
Afterwards the state matches ARM exactly: every connection once, nothing lost, nothing orphaned, the key in state and
in ARM. Every run logs at TRACE, and the logs are scanned for the secrets. (A 404 on the first read after create is
test_faults' read-after-create scenarios.)"""

import os
import re
import signal
import time
import unittest

from harness import PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, connection_id

KEY = "e2e-crash-key-7f7e"
N = 20
NAMES = [f"crash-{i:02d}" for i in range(N)]
CONFIG = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
variable "key" {
  type      = string
  sensitive = true
}
resource "foundry_gateway_connection" "c" {
  for_each  = toset([for i in range(%d) : format("crash-%%02d", i)])
  parent_id = "%s"
  name      = each.key
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/${each.key}"
  auth_type = "ApiKey"
  api_key   = var.key
  models    = [{ name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" }]
}
""" % (PROVIDER_SOURCE, N, PROJECT_ID)

EXISTS = re.compile(r'with (foundry_gateway_connection\.c\["(crash-\d+)"\])', re.S)


def children(pid: int) -> list[int]:
    """Processes whose parent is pid (from /proc: no extra tool)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


class CrashTest(E2ETestCase):

    trace_secrets = (KEY,)

    def setUp(self):
        super().setUp()
        self.ws = self.workspace(None, files={"main.tf": CONFIG}, env={"TF_VAR_key": KEY})

    def stored(self) -> int:
        return sum(1 for k in self.emulator.store() if "/connections/crash-" in k)

    def interrupt_apply(self, when_stored: int, act) -> str:
        """Start an apply with slow ARM writes; once `when_stored` connections exist, act(cli_process); return its
        output (the CLI must have failed)."""
        self.emulator.add_fault(method="PUT", path_regex="/connections/crash-", times=0, action="hang", delay_ms=400)
        p = self.ws.start("apply", "-auto-approve", "-no-color")
        deadline = time.monotonic() + 120
        while self.stored() < when_stored and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        self.assertIsNone(p.poll(), "the apply ended before it could be interrupted")
        act(p)
        out, _ = p.communicate(timeout=120)
        self.emulator.clear_faults()
        text = out.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, "an interrupted apply reported success:\n" + text[-3000:])
        return text

    def recover(self) -> list[str]:
        """What a user does: apply again; import every connection the no-takeover diagnostic names; until done."""
        imported = []
        for _ in range(4):
            r = self.ws.run("apply", "-auto-approve", "-no-color")
            if r.rc == 0:
                return imported
            text = r.output
            self.assertIn("Connection already exists", text, r.describe())
            for addr, name in sorted(set(EXISTS.findall(text))):
                # The diagnostic names the id; the CLI names the address.
                rid = connection_id(PROJECT_ID, name)
                self.assertIn(rid, text, "the diagnostic does not name the connection's id")
                self.ok(self.ws, "import", "-no-color", addr, rid)
                imported.append(name)
        self.fail("no convergence after four applies")

    def assertConsistent(self):
        """State and ARM agree: every connection once, the key in state and in ARM, nothing else; a plan is empty."""
        insts = self.ws.instances()
        self.assertEqual(sorted(insts), sorted(f'foundry_gateway_connection.c["{n}"]' for n in NAMES))
        store = self.emulator.store()
        self.assertEqual(sorted(k for k in store if "/connections/" in k),
                         sorted(connection_id(PROJECT_ID, n) for n in NAMES), "ARM holds other connections")
        for n in NAMES:
            self.assertEqual(store[connection_id(PROJECT_ID, n)].get("credentials"), {"key": KEY}, n)
            attrs = insts[f'foundry_gateway_connection.c["{n}"]']["attributes"]
            self.assertEqual(attrs.get("api_key"), KEY, f"{n}: the key is not in state")
            self.assertIsNone(insts[f'foundry_gateway_connection.c["{n}"]'].get("status"), f"{n} is tainted")
        self.plan_exit(self.ws, 0)

    # -- the scenarios
    def test_provider_killed_mid_apply(self):
        def kill_provider(p):
            provs = [c for c in children(p.pid) if "terraform-provider-foundry" in cmdline(c)]
            self.assertTrue(provs, "no provider process found under the CLI")
            for c in provs:
                os.kill(c, signal.SIGKILL)
        out = self.interrupt_apply(4, kill_provider)
        self.assertRegex(out, r"(?i)plugin|provider", "the CLI does not say the provider died")
        self.recover()
        self.assertConsistent()

    def test_ctrl_c_mid_apply(self):
        def ctrl_c(p):
            os.killpg(p.pid, signal.SIGINT)  # the whole foreground group, as a terminal does
        out = self.interrupt_apply(4, ctrl_c)
        self.assertRegex(out, r"(?i)interrupt|cancel|stopp", out[-2000:])
        self.recover()
        self.assertConsistent()

    def test_put_applied_then_500_is_retried(self):
        self.emulator.add_fault(method="PUT", path_regex="/connections/crash-03$", times=1, action="commit_then_fail",
                                status=500)
        self.apply(self.ws)
        self.assertEqual(len(self.emulator.arm_requests("PUT", "crash-03")), 2, "the 500 after the PUT was not retried")
        self.assertConsistent()

    def test_put_applied_then_connection_dropped_every_time(self):
        self.emulator.add_fault(method="PUT", path_regex="/connections/crash-05$", times=0, action="commit_then_reset")
        r = self.ws.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertNotIn('foundry_gateway_connection.c["crash-05"]', self.ws.instances())
        self.assertEqual(self.stored(), N, "the connection ARM applied is missing")
        self.emulator.clear_faults()
        self.assertEqual(self.recover(), ["crash-05"], "recovery must import exactly the one ARM applied")
        self.assertConsistent()

    def test_tokens_expire_mid_apply(self):
        before = self.emulator.stats()["tokens_issued"]
        self.emulator.add_fault(method="PUT", path_regex="/connections/crash-", times=0, action="hang", delay_ms=200)
        p = self.ws.start("apply", "-auto-approve", "-no-color")
        deadline = time.monotonic() + 60
        while self.stored() < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.emulator.config(expire_tokens=True)
        out, _ = p.communicate(timeout=180)
        self.emulator.clear_faults()
        self.assertEqual(p.returncode, 0, out.decode("utf-8", "replace")[-3000:])
        self.assertGreaterEqual(self.emulator.stats()["tokens_issued"] - before, 2, "no new token after the expiry")
        self.assertConsistent()


if __name__ == "__main__":
    unittest.main()
