"""Scenario 9: the core scenario (quick start apply / plan / destroy) with the ASan+UBSan provider binary
(a dev_overrides entry for `<build>/asan`, leak detection on). Any sanitizer report
fails the test, wherever it lands: the provider's stderr (through the CLI's output or TF_LOG_PATH) or the
report files that ASAN/UBSAN `log_path` writes."""

import glob
import os
import re
import unittest

from harness import CLI_NAME, PROJECT_ID, PROVIDER_ASAN_BIN, E2ETestCase, connection_id
from test_examples import QUICKSTART_PROPERTIES

APIM_KEY = "e2e-asan-apim-key-3c3c"
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|"
                       r"ThreadSanitizer|SUMMARY: \w+Sanitizer")


class AsanTest(E2ETestCase):

    def test_quickstart_with_asan_provider(self):
        self.assertTrue(os.path.exists(PROVIDER_ASAN_BIN), f"{PROVIDER_ASAN_BIN} is not built")
        reports = os.path.join(self.tmp, "sanitizer")
        os.makedirs(reports)
        log = os.path.join(self.tmp, "tf.log")
        env = {
            "ASAN_OPTIONS": f"detect_leaks=1:abort_on_error=0:log_path={reports}/asan",
            "UBSAN_OPTIONS": f"print_stacktrace=1:log_path={reports}/ubsan",
            "LSAN_OPTIONS": "report_objects=1",
            "TF_LOG": "DEBUG",
            "TF_LOG_PATH": log,
        }
        ws = self.workspace("quickstart", provider_binary=PROVIDER_ASAN_BIN,
                            env=dict(env, TF_VAR_apim_subscription_key=APIM_KEY))
        results = [self.ok(ws, "init", "-no-color"), self.ok(ws, "validate", "-no-color")]
        results.append(self.apply(ws))
        rid = connection_id(PROJECT_ID, "apim-quickstart")
        self.assertStoredProperties(rid, QUICKSTART_PROPERTIES, {"key": APIM_KEY})
        results.append(self.plan_exit(ws, 0))
        results.append(self.destroy(ws))
        self.assertStoreEmpty()

        # The sanitized binary really served these runs (the dev_overrides entry points at it).
        with open(log, errors="replace") as f:
            self.assertIn(f"path={PROVIDER_ASAN_BIN}", f.read(), "the ASan provider was not the one launched")

        found = []
        for path in sorted(glob.glob(os.path.join(reports, "*"))):
            with open(path, errors="replace") as f:
                found.append(f"{os.path.basename(path)}:\n{f.read()[:4000]}")
        for r in results:
            if SANITIZER.search(r.output):
                found.append(f"{CLI_NAME} {' '.join(r.args)}:\n{r.output[-4000:]}")
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                text = f.read()
            m = SANITIZER.search(text)
            if m:
                found.append(f"TF_LOG_PATH:\n{text[max(0, m.start() - 500):m.start() + 3500]}")
        self.assertEqual(found, [], "sanitizer reports from the provider:\n" + "\n\n".join(found))


if __name__ == "__main__":
    unittest.main()
