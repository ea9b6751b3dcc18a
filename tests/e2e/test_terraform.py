"""Every e2e scenario again (examples and wire bodies, drift, import, validation, faults, secrets, concurrency,
write-only keys), driven by the real `terraform` CLI when the machine has one (`terraform` on PATH, or
FOUNDRY_TERRAFORM=/path/to/terraform or tofu). Skipped otherwise: tfconform is the suite's Terraform everywhere,
and this is the check that the real thing agrees with it and with the provider.

Nothing leaves the machine: every provider is a dev_overrides entry, `init` becomes `get` (local modules only,
no registry lookups), CHECKPOINT_DISABLE=1 (the harness sets it), and the provider talks to the emulator on
127.0.0.1.
"""

import os
import shutil
import unittest

import test_concurrency
import test_drift
import test_examples
import test_faults
import test_import
import test_secrets
import test_validation
import test_writeonly

TERRAFORM = os.environ.get("FOUNDRY_TERRAFORM") or shutil.which("terraform")


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class ExamplesWithTerraformTest(test_examples.ExamplesTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class ImportWithTerraformTest(test_import.ImportTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class DriftWithTerraformTest(test_drift.DriftTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class ValidationWithTerraformTest(test_validation.ValidationTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class FaultsWithTerraformTest(test_faults.FaultsTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class SecretsWithTerraformTest(test_secrets.SecretsTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class ConcurrencyWithTerraformTest(test_concurrency.ConcurrencyTest):
    cli = TERRAFORM


@unittest.skipUnless(TERRAFORM, "no terraform CLI on this machine")
class WriteOnlyWithTerraformTest(test_writeonly.WriteOnlyTest):
    cli = TERRAFORM


if __name__ == "__main__":
    unittest.main()
