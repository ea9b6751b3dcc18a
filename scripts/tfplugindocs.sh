#!/usr/bin/env bash
# The Terraform Registry's documentation validator, tfplugindocs, built from its Go module
# (github.com/hashicorp/terraform-plugin-docs, pinned here) into a cache folder later runs reuse; the docs test runs
# its `validate` against docs/ and the schema the newest Terraform reads from the provider.
#   tfplugindocs.sh path|ensure
set -euo pipefail
version=v0.25.0
cache=${FOUNDRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry}
dir=$cache/tfplugindocs/$version
bin=$dir/tfplugindocs
case ${1:-} in
path) echo "$bin"; exit 0 ;;
ensure) ;;
*) echo "usage: tfplugindocs.sh path|ensure" >&2; exit 2 ;;
esac
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
mkdir -p "$dir"
if ! GOBIN=$dir CGO_ENABLED=0 go install "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@$version" \
	> "$dir/build.log" 2>&1; then
	echo "tfplugindocs.sh: building tfplugindocs $version failed; the end of $dir/build.log:" >&2
	tail -n 20 "$dir/build.log" >&2
	exit 1
fi
echo "$bin"
