#!/usr/bin/env bash
# The newest Terraform the tests run (besides the machine's terraform and OpenTofu), built from its Go module
# (github.com/hashicorp/terraform) through the Go module proxy into a cache folder that later runs reuse. The version
# is pinned in scripts/terraform-version and nowhere else; no Terraform source is kept in this repository.
#
#   terraform.sh path     print where the pinned terraform lives (built or not)
#   terraform.sh ensure   build it unless it is there already; print its path. On failure the reason is kept in
#                         build.log beside it (the tests report it) and the exit status is 1.
#
# The module zip leaves out the folders its `replace` directives point at (internal/legacy and the remote-state
# backends), each a module of its own. They come from the proxy at the tag's commit, under the pseudo-version
# v0.0.0-<commit time>-<12 hex of the commit> (the tag's .info gives both; the proxy refuses a bare hash), and are
# put in place as a git clone would have them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(tr -d ' \n' < "$root/scripts/terraform-version")
cache=${FOUNDRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry}
dir=$cache/terraform/$version
bin=$dir/terraform
case ${1:-} in
path) echo "$bin"; exit 0 ;;
ensure) ;;
*) echo "usage: terraform.sh path|ensure" >&2; exit 2 ;;
esac
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
mkdir -p "$dir"
log=$dir/build.log
echo "terraform.sh: building Terraform $version from its Go module (about 6 minutes the first time; cached in $dir)" >&2
start=$(date +%s)
if ! command -v go >/dev/null; then
	echo "no Go toolchain on PATH (Terraform $version needs the Go its go.mod names)" > "$log"
	cat "$log" >&2
	exit 1
fi
if ! (
	set -e
	info=$(GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/terraform@$version")
	src=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
	hash=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)",*$/\1/p' | head -n 1)
	when=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(go env GOMODCACHE)/cache/download/github.com/hashicorp/terraform/@v/$version.info")
	[ -n "$src" ] && [ -n "$hash" ] && [ -n "$when" ] || { echo "go mod download gave no folder, commit or time"; exit 1; }
	pseudo="v0.0.0-$(printf '%s' "$when" | tr -d -- '-:TZ' | cut -c1-14)-$(printf '%s' "$hash" | cut -c1-12)"
	echo "Terraform $version is commit $hash; its replaced modules come as $pseudo"
	work=$dir/src
	rm -rf "$work"
	cp -r "$src" "$work"
	chmod -R u+w "$work"
	for rel in $(sed -n 's|^replace github.com/hashicorp/terraform/\([^ ]*\) => \./\(.*\)$|\2|p' "$work/go.mod"); do
		mdir=$(GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/terraform/$rel@$pseudo" |
			sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
		[ -n "$mdir" ] || { echo "no module github.com/hashicorp/terraform/$rel@$pseudo"; exit 1; }
		rm -rf "${work:?}/$rel"
		mkdir -p "$(dirname "$work/$rel")"
		cp -r "$mdir" "$work/$rel"
		chmod -R u+w "$work/$rel"
	done
	cd "$work"
	CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" \
		-o "$bin.tmp" .
	mv "$bin.tmp" "$bin"
	cd / && rm -rf "$work"
) > "$log" 2>&1; then
	rm -f "$bin.tmp"
	echo "terraform.sh: building Terraform $version failed; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
echo "built in $(( $(date +%s) - start )) s" >> "$log"
echo "terraform.sh: Terraform $version built in $(( $(date +%s) - start )) s" >&2
echo "$bin"
