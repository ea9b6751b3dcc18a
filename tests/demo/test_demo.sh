#!/usr/bin/env bash
# The README's first command as a new user runs it: scripts/demo.sh from a clean copy of the tree, with an empty cache
# folder and a temporary folder of its own. Passes when the demo exits 0, built no OpenTofu into that cache (terraform
# is on PATH here), and left no temporary folder; prints its run time.
set -euo pipefail
src=${1:?usage: test_demo.sh SOURCE_DIR}
command -v terraform >/dev/null || { echo "no terraform on PATH: the demo would build OpenTofu"; echo "0 passed, 1 failed"; exit 1; }
t=$(mktemp -d "${TMPDIR:-/tmp}/foundry-demo-test.XXXXXX")
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/tree" "$t/cache" "$t/tmp"
# A clean copy: the files git knows (tracked, or new and not ignored), as a fresh clone has them.
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$t/tree" 2>/dev/null || true)
start=$(date +%s)
set +e
FOUNDRY_CACHE_DIR="$t/cache" TMPDIR="$t/tmp" "$t/tree/scripts/demo.sh" > "$t/demo.log" 2>&1
rc=$?
set -e
secs=$(( $(date +%s) - start ))
fails=0
if [ "$rc" -ne 0 ]; then echo "FAIL: the demo exited $rc; its output ends:"; tail -40 "$t/demo.log"; fails=$((fails + 1)); fi
if [ -e "$t/cache/opentofu" ]; then echo "FAIL: the demo built OpenTofu although terraform is on PATH"; fails=$((fails + 1)); fi
if [ -n "$(ls -A "$t/tmp")" ]; then echo "FAIL: the demo left temporary files: $(ls -A "$t/tmp")"; fails=$((fails + 1)); fi
grep -q "the gateway check passed" "$t/demo.log" || { echo "FAIL: the demo did not reach the gateway check"; fails=$((fails + 1)); }
echo "demo: exit $rc in ${secs} s (fresh build of the provider included)"
echo "$((4 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
