#!/usr/bin/env bash
# Zig from PyPI (`ziglang`, pinned with hashes in scripts/zig-requirements.txt), in a virtual environment of its own
# under the cache, and wrappers that make it a cross C/C++ toolchain for macOS (docs/internals/darwin.md):
#   bin/zig-cc-<arch>, bin/zig-c++-<arch>, bin/zig-ar, bin/zig-ranlib    (arch: arm64 amd64)
#
#   zig.sh path     print the folder holding the wrappers (installed or not)
#   zig.sh ensure   install unless present; print the folder. The reason of a failure is kept in install.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${FOUNDRY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry}
req=$root/scripts/zig-requirements.txt
# This script (the wrappers' text) is part of the key: a changed flag is a new toolchain, so scripts/deps.sh, which
# keys its darwin builds by this folder, builds them anew.
key=$(cat "$req" "$0" "$root/scripts/macos-min-version" | sha256sum | cut -c1-12)
dir=$cache/zig/$key
case ${1:-} in
path) echo "$dir/bin"; exit 0 ;;
ensure) ;;
*) echo "usage: zig.sh path|ensure" >&2; exit 2 ;;
esac
if [ -f "$dir/.done" ]; then echo "$dir/bin"; exit 0; fi
mkdir -p "$dir"
log=$dir/install.log
echo "zig.sh: installing Zig from PyPI (about 100 MB; cached in $dir)" >&2
rm -rf "$dir/venv" "$dir/bin"
if ! { python3 -m venv "$dir/venv" && "$dir/venv/bin/pip" install -q --disable-pip-version-check --require-hashes \
	--only-binary :all: -r "$req"; } >"$log" 2>&1; then
	echo "zig.sh: installing Zig failed; the end of $log:" >&2
	tail -n 20 "$log" >&2
	exit 1
fi
zig=$(ls "$dir"/venv/lib/python3*/site-packages/ziglang/zig)
mkdir -p "$dir/bin" "$dir/cache"
# The minimum macOS version is part of the target triple (README "Platforms"). FOUNDRY_NO_APPLE_FRAMEWORKS tells the
# patched dependencies (scripts/darwin-patches/) that there is no SDK to take CoreFoundation from. Zig's own cache goes beside it, not
# into $HOME/.cache/zig, so removing the cache folder removes everything.
min=$(cat "$root/scripts/macos-min-version")
for arch in arm64 amd64; do
	case $arch in arm64) t=aarch64-macos.$min-none ;; amd64) t=x86_64-macos.$min-none ;; esac
	for tool in cc c++; do
		cat >"$dir/bin/zig-$tool-$arch" <<W
#!/bin/sh
export ZIG_GLOBAL_CACHE_DIR="$dir/cache" ZIG_LOCAL_CACHE_DIR="$dir/cache"
exec "$zig" $tool -target $t -DFOUNDRY_NO_APPLE_FRAMEWORKS "\$@"
W
	done
done
for tool in ar ranlib; do
	printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$zig" "$tool" >"$dir/bin/zig-$tool"
done
chmod +x "$dir"/bin/*
"$dir/bin/zig-cc-arm64" --version >>"$log" 2>&1
touch "$dir/.done"
echo "$dir/bin"
