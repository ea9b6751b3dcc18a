#!/usr/bin/env bash
# Real gateways for the gateway-check tests, installed from their registries into a cache folder that later runs
# reuse: LiteLLM's proxy from PyPI, every package pinned with its hash (tests/gateways/litellm-requirements.txt), in
# a virtual environment of its own.
#
#   gateways.sh path litellm     print where the litellm command lives (installed or not)
#   gateways.sh ensure litellm   install it unless it is there already; print its path. On failure the reason is
#                                kept in install.log beside it (the tests report it) and the exit status is 1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${FOUNDRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry}
req=$root/tests/gateways/litellm-requirements.txt
[ "${2:-}" = litellm ] || { echo "usage: gateways.sh path|ensure litellm" >&2; exit 2; }
# Keyed by the lock file and the Python that runs it: a new pin or a new interpreter is a new environment.
key=$( (cat "$req"; python3 --version) | sha256sum | cut -c1-12)
dir=$cache/litellm/$key
bin=$dir/venv/bin/litellm
case $1 in
path) echo "$bin"; exit 0 ;;
ensure) ;;
*) echo "usage: gateways.sh path|ensure litellm" >&2; exit 2 ;;
esac
if [ -x "$bin" ] && [ -f "$dir/.done" ]; then echo "$bin"; exit 0; fi
mkdir -p "$dir"
log=$dir/install.log
echo "gateways.sh: installing LiteLLM's proxy from PyPI (about 2 minutes the first time; cached in $dir)" >&2
start=$(date +%s)
rm -rf "$dir/venv"
if ! { python3 -m venv "$dir/venv" && "$dir/venv/bin/pip" install -q --disable-pip-version-check --require-hashes \
	--only-binary :all: -r "$req"; } > "$log" 2>&1; then
	echo "gateways.sh: installing LiteLLM failed; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
touch "$dir/.done"
echo "installed in $(( $(date +%s) - start )) s" >> "$log"
echo "$bin"
