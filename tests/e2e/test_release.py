"""The signed release, used the way users get it (issue "lean release").

The fixture release.dist (tests/release/test_release.sh) has built and signed dist/ with both architectures. Here:
- linux_amd64: the zip goes into a filesystem mirror as it is (packed layout), and the CLI's own `init` installs
  it from there, with no dev_overrides, checking it against the lock it writes; then the quick start is planned
  and applied against the emulator, and a second plan is empty.
- linux_arm64: the CLI locks the arm64 package from the same mirror (`providers lock -platform=linux_arm64`),
  which reads and hashes that zip; then the arm64 executable, run by qemu-user, completes the handshake,
  answers GetProviderSchema (`providers schema -json`) and applies the quick start against the emulator.
  And in the tofu run, as an arm64 machine does it: a linux_arm64 tofu (scripts/tofu.sh ensure arm64), run by
  qemu-user, `init`s from the mirror, which installs the linux_arm64 zip, then plans and applies with the
  executable it installed. qemu-user cannot follow tofu's exec of a plugin (no binfmt_misc here), so that
  executable is started under qemu with -debug and reached through TF_REATTACH_PROVIDERS. That scenario is
  test_release_arm64.py, a module of its own: the machine's terraform is amd64 only, so e2e.terraform.release_arm64
  is reported skipped, saying so.
"""

import json
import os
import shutil
import stat
import subprocess
import unittest
import zipfile

from harness import (BUILD_DIR, CLI_NAME, EXAMPLES_DIR, PROJECT_ID, RESOURCE_TYPE, SOURCE_DIR, E2ETestCase,
                     connection_id)

DIST = os.path.join(os.environ.get("FOUNDRY_RELEASE_OUT", os.path.join(BUILD_DIR, "release-test")), "dist")
NAME = "terraform-provider-foundry"
KEY = "e2e-release-subscription-key-71c2"


def _version() -> str:
    return subprocess.run([os.path.join(SOURCE_DIR, "scripts", "release.sh"), "--version"], capture_output=True,
                          text=True, check=True).stdout.strip()


VERSION = _version()


def zip_path(arch: str) -> str:
    """The release zip of a platform: linux_<arch> for a bare architecture, else the platform named."""
    plat = arch if "_" in arch else f"linux_{arch}"
    return os.path.join(DIST, f"{NAME}_{VERSION}_{plat}.zip")


class ReleaseTest(E2ETestCase):
    @classmethod
    def setUpClass(cls) -> None:
        for arch in ("amd64", "arm64"):
            if not os.path.exists(zip_path(arch)):
                raise AssertionError(f"{zip_path(arch)} missing: the release.dist fixture builds it")
        super().setUpClass()

    def mirror(self) -> str:
        """A filesystem mirror in the packed layout: HOSTNAME/NAMESPACE/TYPE/<the release zips, unchanged>: every
        platform the release has (the darwin ones too, when release.dist built them)."""
        d = os.path.join(self.tmp, "mirror", "registry.terraform.io", "foundry-labs", "foundry")
        os.makedirs(d)
        for z in os.listdir(DIST):
            if z.startswith(f"{NAME}_{VERSION}_") and z.endswith(".zip"):
                shutil.copy(os.path.join(DIST, z), d)
        return os.path.join(self.tmp, "mirror")

    def quickstart(self, ws) -> None:
        with open(os.path.join(EXAMPLES_DIR, "quickstart", "main.tf")) as f:
            ws.write("main.tf", f.read())

    def apply_and_check(self, ws) -> None:
        r = ws.run("apply", "-auto-approve", "-no-color", env={"TF_VAR_apim_subscription_key": KEY})
        self.assertEqual(r.rc, 0, r.describe())
        stored = self.emulator.stored(connection_id(PROJECT_ID, "apim-quickstart"))
        self.assertEqual(stored["resource"]["properties"]["category"], "ApiManagement")
        r = ws.run("plan", "-detailed-exitcode", "-no-color", env={"TF_VAR_apim_subscription_key": KEY})
        self.assertEqual(r.rc, 0, "a second plan must be empty\n" + r.describe())
        r = ws.run("destroy", "-auto-approve", "-no-color", env={"TF_VAR_apim_subscription_key": KEY})
        self.assertEqual(r.rc, 0, r.describe())

    def test_amd64_from_filesystem_mirror(self):
        mirror = self.mirror()
        ws = self.workspace(subdir="amd64", installation=(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
            "}\n"))
        self.quickstart(ws)
        r = ws.run("init", "-no-color", "-input=false")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRegex(r.output, rf"Installed (registry\.terraform\.io/)?foundry-labs/foundry v{VERSION}")
        with open(os.path.join(ws.dir, ".terraform.lock.hcl")) as f:
            lock = f.read()
        self.assertIn('provider "registry.terraform.io/foundry-labs/foundry"', lock)
        self.assertIn(f'version = "{VERSION}"', lock)
        # What init unpacked is the release executable, alone.
        inst = os.path.join(ws.dir, ".terraform", "providers", "registry.terraform.io", "foundry-labs", "foundry",
                            VERSION, "linux_amd64")
        self.assertEqual(os.listdir(inst), [f"{NAME}_v{VERSION}"])
        r = ws.run("plan", "-no-color", env={"TF_VAR_apim_subscription_key": KEY})
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn(f"# {RESOURCE_TYPE}.apim will be created", r.output)
        self.apply_and_check(ws)

    def test_arm64_locked_from_mirror_and_applied_under_qemu(self):
        if shutil.which("qemu-aarch64") is None:
            raise AssertionError("qemu-aarch64 missing: scripts/setup.sh installs qemu-user")
        mirror = self.mirror()
        ws = self.workspace(subdir="lock", installation=(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'))
        self.quickstart(ws)
        r = ws.run("providers", "lock", "-no-color", f"-fs-mirror={mirror}", "-platform=linux_arm64",
                   "-platform=linux_amd64")
        self.assertEqual(r.rc, 0, r.describe())
        with open(os.path.join(ws.dir, ".terraform.lock.hcl")) as f:
            self.assertEqual(f.read().count('"h1:'), 2, "one h1: hash per platform")

        # The arm64 executable behind a dev override: a wrapper that go-plugin execs, which runs it under qemu-user
        # (no binfmt_misc here). The handshake, GetProviderSchema and every RPC of an apply cross qemu.
        bindir = os.path.join(self.tmp, "arm64")
        os.makedirs(bindir)
        with zipfile.ZipFile(zip_path("arm64")) as z:
            z.extractall(bindir)
        exe = os.path.join(bindir, f"{NAME}_v{VERSION}")
        os.chmod(exe, 0o755)
        wrapper = os.path.join(bindir, NAME)
        with open(wrapper, "w") as f:
            f.write(f'#!/bin/sh\nexec qemu-aarch64 "{exe}" "$@"\n')
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IXUSR)
        ws = self.workspace(subdir="qemu", installation=(
            'provider_installation {\n  dev_overrides {\n'
            f'    "registry.terraform.io/foundry-labs/foundry" = "{bindir}"\n  }}\n  direct {{}}\n}}\n'))
        self.quickstart(ws)
        r = ws.run("providers", "schema", "-json")
        self.assertEqual(r.rc, 0, r.describe())
        schema = json.loads(r.stdout)["provider_schemas"]["registry.terraform.io/foundry-labs/foundry"]
        self.assertIn(RESOURCE_TYPE, schema["resource_schemas"])
        self.apply_and_check(ws)


if __name__ == "__main__":
    unittest.main()
