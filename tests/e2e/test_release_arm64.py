"""The linux_arm64 release installed as an arm64 machine does (see test_release.py): a linux_arm64 tofu under
qemu-user `init`s from the filesystem mirror and applies with the executable it installed. The machine's terraform is
amd64 only, so e2e.terraform.release_arm64 is reported skipped by ctest, saying why."""

import json
import os
import subprocess
import unittest
import zipfile

from harness import CLI_NAME, RESOURCE_TYPE, SOURCE_DIR
import test_release  # the module, not its class: unittest would run ReleaseTest's own scenarios here again
from test_release import KEY, NAME, VERSION, zip_path


class ReleaseArm64Test(test_release.ReleaseTest):
    # The fixtures are ReleaseTest's; its amd64 scenarios run in test_release.py, not again here.
    test_amd64_from_filesystem_mirror = None
    test_arm64_locked_from_mirror_and_applied_under_qemu = None

    def test_arm64_installed_by_arm64_tofu(self):
        if CLI_NAME != "tofu":
            raise unittest.SkipTest("terraform here is the machine's linux_amd64 build; the arm64 install runs with "
                                    "a linux_arm64 tofu in e2e.tofu.release_arm64")
        tofu = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "tofu.sh"), "ensure", "arm64"],
                              capture_output=True, text=True)
        self.assertEqual(tofu.returncode, 0, "linux_arm64 tofu: " + tofu.stderr)
        mirror = self.mirror()
        ws = self.workspace(subdir="arm64-init", installation=(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'))
        wrapper = os.path.join(self.tmp, "tofu-arm64")
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec qemu-aarch64 "{tofu.stdout.strip()}" "$@"\n')
        os.chmod(wrapper, 0o755)
        ws.cli = wrapper
        self.quickstart(ws)
        r = ws.run("init", "-no-color", "-input=false")
        self.assertEqual(r.rc, 0, r.describe())
        inst = os.path.join(ws.dir, ".terraform", "providers", "registry.terraform.io", "foundry-labs", "foundry",
                            VERSION, "linux_arm64")
        exe = os.path.join(inst, f"{NAME}_v{VERSION}")
        self.assertEqual(os.listdir(inst), [f"{NAME}_v{VERSION}"])
        with zipfile.ZipFile(zip_path("arm64")) as z, open(exe, "rb") as f:
            self.assertEqual(f.read(), z.read(f"{NAME}_v{VERSION}"), "init installed the release's arm64 executable")

        # The installed executable, under qemu, in -debug mode: it prints the reattach value and serves until stopped.
        proc = subprocess.Popen(["qemu-aarch64", exe, "-debug"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=ws.env, text=True)
        try:
            reattach = None
            for line in proc.stdout:
                if "TF_REATTACH_PROVIDERS=" in line:
                    reattach = line.split("TF_REATTACH_PROVIDERS=", 1)[1].strip().strip("'")
                    break
            self.assertIsNotNone(reattach, "no reattach value from the arm64 provider")
            self.assertIn("registry.terraform.io/foundry-labs/foundry", json.loads(reattach))
            env = {"TF_REATTACH_PROVIDERS": reattach}
            r = ws.run("plan", "-no-color", env={**env, "TF_VAR_apim_subscription_key": KEY})
            self.assertEqual(r.rc, 0, r.describe())
            self.assertIn(f"# {RESOURCE_TYPE}.apim will be created", r.output)
            ws.env.update(env)
            self.apply_and_check(ws)
        finally:
            proc.stdout.close()
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    unittest.main()
