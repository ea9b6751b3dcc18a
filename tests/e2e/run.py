"""Runs one e2e module for ctest: exit 0 when every scenario ran and passed, 1 on any failure, and 77 (ctest's
SKIP_RETURN_CODE, tests/e2e/CMakeLists.txt) when scenarios were skipped, so that a scenario a CLI cannot run shows as
"Skipped" with its reason, never as "Passed". Modules keep the scenarios that may be skipped apart from those that
always run, so one skip never hides a pass."""
import sys
import unittest


def main() -> int:
    name = sys.argv[1]
    suite = unittest.defaultTestLoader.loadTestsFromName(name)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if not result.wasSuccessful():
        return 1
    if result.skipped:
        for test, why in result.skipped:
            print(f"SKIPPED {test.id()}: {why}")
        return 77
    if result.testsRun == 0:
        print(f"{name}: no test ran")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
