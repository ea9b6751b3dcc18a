#!/usr/bin/env bash
# The whole test suite, from a clean checkout on Debian 12:
#   installs what is missing, builds every target (plain and ASan+UBSan), runs ctest.
# Ends with ctest's summary line. Extra arguments go to ctest (e.g. -R conformance).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FOUNDRY_BUILD_DIR:-$root/build}
jobs=${FOUNDRY_JOBS:-$(nproc)}

"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFOUNDRY_SANITIZE=ON -DFOUNDRY_TESTS=ON >/dev/null
cmake --build "$build" -j"$jobs"
# Tests start emulator/provider processes of their own; 2 in parallel suits CI's 2 cores.
exec ctest --test-dir "$build" --output-on-failure -j"${FOUNDRY_TEST_JOBS:-2}" "$@"
