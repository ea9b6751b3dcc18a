#!/usr/bin/env bash
# OpenTofu for the demo and the tests, built from its Go module (github.com/opentofu/opentofu, command cmd/tofu)
# through the Go module proxy into a cache folder that later runs reuse. The version is pinned in
# scripts/opentofu-version and nowhere else; no OpenTofu source is kept in this repository.
#
#   tofu.sh path [arm64]     print where the pinned tofu lives (built or not)
#   tofu.sh ensure [arm64]   build it unless it is there already; print its path. On failure the reason is kept in
#                            build.log beside it (e2e.tofu reports it) and the exit status is 1.
# arm64: a linux_arm64 tofu (Go cross-compiles it), run under qemu-user by the release tests to install the
# linux_arm64 zip the way an arm64 machine does.
#
# `go install pkg@version` refuses OpenTofu because its go.mod has replace directives, so the module is
# downloaded into the module cache and built there, as its own release build does (-trimpath, version.dev=no).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(tr -d ' \n' < "$root/scripts/opentofu-version")
cache=${FOUNDRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry}
dir=$cache/opentofu/$version
goarch=""
case ${2:-} in
"") ;;
arm64) dir=$dir/linux_arm64 goarch=arm64 ;;
*) echo "usage: tofu.sh path|ensure [arm64]" >&2; exit 2 ;;
esac
bin=$dir/tofu

case ${1:-} in
path)
	echo "$bin"
	exit 0
	;;
ensure) ;;
*)
	echo "usage: tofu.sh path|ensure [arm64]" >&2
	exit 2
	;;
esac

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$dir"
log=$dir/build.log
echo "tofu.sh: building OpenTofu $version from its Go module (a few minutes the first time; cached in $dir)" >&2
start=$(date +%s)
if ! command -v go >/dev/null; then
	echo "no Go toolchain on PATH (OpenTofu $version needs the Go its go.mod names)" > "$log"
	cat "$log" >&2
	exit 1
fi
if ! (
	set -e
	src=$(GOFLAGS=-mod=mod go mod download -json "github.com/opentofu/opentofu@$version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
	[ -n "$src" ] && [ -d "$src" ] || { echo "go mod download gave no module folder"; exit 1; }
	cd "$src"
	CGO_ENABLED=0 GOFLAGS=-mod=readonly GOARCH=${goarch:-$(go env GOARCH)} go build -trimpath \
		-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$bin.tmp" ./cmd/tofu
	mv "$bin.tmp" "$bin"
) > "$log" 2>&1; then
	rm -f "$bin.tmp"
	echo "tofu.sh: building OpenTofu $version failed; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
echo "built in $(( $(date +%s) - start )) s" >> "$log"
echo "tofu.sh: OpenTofu $version built in $(( $(date +%s) - start )) s" >&2
echo "$bin"
