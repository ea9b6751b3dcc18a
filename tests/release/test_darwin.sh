#!/usr/bin/env bash
# release.darwin: the macOS packages of the release.dist fixture, checked as far as a Linux machine can (README
# "Platforms"; it cannot run them):
#   each darwin zip holds only the executable; scripts/check-macho.py on each: Mach-O of the right CPU, importing
#   libSystem alone, the minimum macOS version set, and on arm64 an ad-hoc signature whose page hashes match;
#   SHA256SUMS lists all four platforms and verifies; our own sources were compiled for macOS with the same warnings
#   as errors as on Linux (the darwin build's compile commands).
# Skipped (exit 77, with the reason) when the darwin dependency chain is not built on this machine: the fixture then
# releases Linux only (docs/internals/darwin.md "Cost and CI").
# usage: test_darwin.sh SOURCE_DIR OUT_DIR      (OUT_DIR: release.dist's)
set -euo pipefail
root=$1 outdir=$2
. "$root/tests/release/common.sh"
min=$(cat "$root/scripts/macos-min-version")
dist="$outdir/dist"
p="$dist/${name}_${version}"
skip() { echo "SKIPPED: $*"; exit 77; }

depsdir=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry/deps
for plat in darwin_arm64 darwin_amd64; do
  if [ ! -f "${p}_${plat}.zip" ]; then
    # setup.sh tried and failed: that is a failure to report, not a build left for later.
    [ ! -s "$depsdir/$plat.failed" ] ||
      fail "the $plat dependency chain failed to build: $(tail -n 20 "$depsdir/$plat.failed")"
    "$root/scripts/deps.sh" --cached "$plat" >/dev/null 2>&1 &&
      fail "the $plat dependency chain is built but release.dist made no $plat zip"
    skip "the $plat dependency chain (gRPC, abseil, OpenSSL, ... built with Zig, about 17 minutes on 2 cores) is" \
      "not built on this machine; scripts/setup.sh builds it when the other one-time builds are already cached," \
      "or run scripts/deps.sh $plat"
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for plat in darwin_arm64 darwin_amd64; do
  arch=${plat#darwin_}
  unpack_exe "${p}_${plat}.zip" "$tmp/$plat" "$plat"
  out=$(python3 "$root/scripts/check-macho.py" "$exe" "$arch" "$min" 2>&1) || fail "$plat: $out"
  echo "$plat: $(du -h "$exe" | cut -f1) executable; $out"
  # The same warnings as errors as the Linux build, on every source of ours (not the generated protobuf code).
  cc="$outdir/build/$plat/compile_commands.json"
  [ -f "$cc" ] || fail "no compile commands for $plat ($cc)"
  python3 - "$cc" "$root" <<'EOF' || fail "$plat: our sources were not all compiled with -Wall -Wextra -Werror"
import json, os, sys
cmds, root = json.load(open(sys.argv[1])), os.path.realpath(sys.argv[2])
ours = [c for c in cmds if os.path.realpath(c["file"]).startswith((root + "/internal/", root + "/provider/"))]
bad = [c["file"] for c in ours if not all(w in c["command"].split() for w in ("-Wall", "-Wextra", "-Werror"))]
if not ours or bad:
    sys.exit(f"{len(ours)} of our sources; without the warnings: {bad}")
print(f"{len(ours)} of our sources compiled for macOS with -Wall -Wextra -Werror")
EOF
done
for plat in linux_amd64 linux_arm64 darwin_arm64 darwin_amd64; do
  grep -q "  ${name}_${version}_${plat}.zip\$" "${p}_SHA256SUMS" || fail "SHA256SUMS does not list $plat"
done
(cd "$dist" && sha256sum -c --quiet "$(basename "${p}_SHA256SUMS")") || fail "SHA256SUMS does not match"
echo "1 passed, 0 failed"
