"""The macOS packages of the release, as far as a Linux machine can take them (README "Platforms"): a team with Macs
and Linux CI locks the provider for all four platforms from one filesystem mirror, and `init` on Linux still installs
from that same mirror against that lock.

- `providers lock` with -platform for linux_amd64, linux_arm64, darwin_arm64 and darwin_amd64 records one h1: hash
  per platform, and each is the hash of that platform's zip (computed here as Go's dirhash.Hash1 does);
- `init` then installs the linux_amd64 package from the same mirror, verified against that lock, and plans.

Skipped, saying why, when release.dist built no darwin zips (their dependency chain is not built on this machine;
release.darwin gives the same reason). Running the darwin executables needs a Mac: README "Platforms".
"""

import base64
import hashlib
import os
import re
import unittest
import zipfile

import test_release  # the module, not its class: unittest would run ReleaseTest's own scenarios here again
from harness import RESOURCE_TYPE
from test_release import KEY, NAME, VERSION, zip_path

PLATFORMS = ("linux_amd64", "linux_arm64", "darwin_arm64", "darwin_amd64")


def h1(path: str) -> str:
    """Go's golang.org/x/mod/sumdb/dirhash.Hash1 of a zip's files: what Terraform records as h1: in the lock."""
    with zipfile.ZipFile(path) as z:
        lines = "".join(f"{hashlib.sha256(z.read(n)).hexdigest()}  {n}\n" for n in sorted(z.namelist()))
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


class ReleaseDarwinTest(test_release.ReleaseTest):
    # The fixtures are ReleaseTest's; its Linux scenarios run in test_release.py, not again here.
    test_amd64_from_filesystem_mirror = None
    test_arm64_locked_from_mirror_and_applied_under_qemu = None

    def test_lock_all_four_platforms_then_init_linux(self):
        missing = [p for p in PLATFORMS if not os.path.exists(zip_path(p))]
        if missing:
            raise unittest.SkipTest(f"release.dist built no {', '.join(missing)} zip: the darwin dependency chain is "
                                    "not built on this machine (release.darwin says the same)")
        mirror = self.mirror()
        ws = self.workspace(subdir="lock4", installation=(
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'))
        self.quickstart(ws)
        r = ws.run("providers", "lock", "-no-color", f"-fs-mirror={mirror}", *[f"-platform={p}" for p in PLATFORMS])
        self.assertEqual(r.rc, 0, r.describe())
        with open(os.path.join(ws.dir, ".terraform.lock.hcl")) as f:
            lock = f.read()
        recorded = set(re.findall(r'"(h1:[A-Za-z0-9+/=]+)"', lock))
        want = {p: h1(zip_path(p)) for p in PLATFORMS}
        self.assertEqual(recorded, set(want.values()), f"one h1: hash per platform's zip\n{lock}\n{want}")

        r = ws.run("init", "-no-color", "-input=false")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertRegex(r.output, rf"Installed (registry\.terraform\.io/)?foundry-labs/foundry v{VERSION}")
        inst = os.path.join(ws.dir, ".terraform", "providers", "registry.terraform.io", "foundry-labs", "foundry",
                            VERSION, "linux_amd64")
        self.assertEqual(os.listdir(inst), [f"{NAME}_v{VERSION}"])
        with open(os.path.join(ws.dir, ".terraform.lock.hcl")) as f:
            self.assertEqual(set(re.findall(r'"(h1:[A-Za-z0-9+/=]+)"', f.read())), set(want.values()),
                             "init kept the four-platform lock")
        r = ws.run("plan", "-no-color", env={"TF_VAR_apim_subscription_key": KEY})
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn(f"# {RESOURCE_TYPE}.apim will be created", r.output)


if __name__ == "__main__":
    unittest.main()
