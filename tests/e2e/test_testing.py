"""Scenario: a module author's `terraform test` / `tofu test` with nothing but the release: the provider installed
from the release zip through a filesystem mirror (no dev overrides), the emulator started from the release's
foundry-emulator.pyz over HTTPS (its CA trusted through SSL_CERT_FILE), and examples/testing's three recipes: against
the emulator, with mock_provider, and reading back what ARM stores. A wrong metadata key case in the module fails
the test at plan time."""

import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from harness import CLIENT_ID, CLIENT_SECRET, EXAMPLES_DIR, TENANT_ID, E2ETestCase
from test_release import VERSION, ReleaseTest

DIST = os.path.dirname(os.path.dirname(os.path.abspath(__import__("test_release").zip_path("amd64"))))


class ModuleTestingTest(ReleaseTest):
    # ReleaseTest's own scenarios run in test_release.py.
    test_amd64_from_filesystem_mirror = None
    test_arm64_locked_from_mirror_and_applied_under_qemu = None

    def setUp(self):
        super().setUp()
        pyz = os.path.join(os.path.dirname(__import__("test_release").zip_path("amd64")), f"foundry-emulator_{VERSION}.pyz")
        self.assertTrue(os.path.exists(pyz), f"{pyz}: the release has no emulator")
        port_file = os.path.join(self.tmp, "emu.port")
        self.tls = os.path.join(self.tmp, "emu-tls")
        self.emu_log = open(os.path.join(self.tmp, "pyz.log"), "wb")
        # The one command a module author runs.
        self.pyz = subprocess.Popen([sys.executable, pyz, "--port", "0", "--port-file", port_file,
                                     "--tls-dir", self.tls], stdout=self.emu_log, stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(port_file) and os.path.getsize(port_file):
                break
            time.sleep(0.1)
        with open(port_file) as f:
            self.url = f"https://127.0.0.1:{f.read().strip()}"

    def tearDown(self):
        self.pyz.terminate()
        self.pyz.wait(timeout=10)
        self.emu_log.close()
        super().tearDown()

    def module(self, edit=None):
        ws = self.workspace(None, files={}, installation=(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{self.mirror()}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
            "}\n"))
        for root, _, files in os.walk(os.path.join(EXAMPLES_DIR, "testing")):
            for f in files:
                src = os.path.join(root, f)
                rel = os.path.relpath(src, os.path.join(EXAMPLES_DIR, "testing"))
                with open(src) as fh:
                    text = fh.read()
                ws.write(rel, edit(rel, text) if edit else text)
        ws.env.update({"ARM_ENVIRONMENT": "custom", "ARM_RESOURCE_MANAGER_ENDPOINT": self.url,
                       "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST": self.url + "/",
                       "ARM_RESOURCE_MANAGER_AUDIENCE": "https://management.core.windows.net/",
                       "ARM_TENANT_ID": TENANT_ID, "ARM_CLIENT_ID": CLIENT_ID, "ARM_CLIENT_SECRET": CLIENT_SECRET,
                       "SSL_CERT_FILE": os.path.join(self.tls, "ca.pem")})
        r = ws.run("init", "-no-color", "-input=false")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRegex(r.output, rf"Installed (registry\.terraform\.io/)?foundry-labs/foundry v{VERSION}")
        return ws

    def test_three_recipes_pass_from_the_release(self):
        ws = self.module()
        r = ws.run("test", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        for name in ("plan_encodes_what_foundry_reads", "apply_creates_the_connection", "models_become_typed_entries",
                     "override_one_resource", "apply", "arm_stores_the_exact_body"):
            self.assertRegex(r.output, rf'run "{name}"\.\.\. pass', r.describe())
        self.assertRegex(r.output, r"Success! 6 passed, 0 failed", r.describe())

    def test_a_wrong_metadata_key_case_fails_at_plan_time(self):
        def miscase(rel, text):
            if rel != "main.tf":
                return text
            return text.replace("  deployment_in_path = true\n",
                                '  deployment_in_path = true\n  extra_metadata     = { DeploymentInPath = "true" }\n')
        ws = self.module(miscase)
        r = ws.run("test", "-no-color", "-filter=tests/emulator.tftest.hcl")
        self.assertEqual(r.rc, 1, r.describe())
        flat = re.sub(r"\s+", " ", r.output)
        self.assertIn("Managed metadata key in extra_metadata", flat, r.describe())
        self.assertIn('run "plan_encodes_what_foundry_reads"... fail', r.output, r.describe())


del ReleaseTest

if __name__ == "__main__":
    unittest.main()
