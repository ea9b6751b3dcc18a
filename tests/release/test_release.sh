#!/usr/bin/env bash
# The release as a user and the registry receive it (fixture for e2e.<cli>.release, which install the zips into a
# filesystem mirror and run init/plan/apply with the real CLIs):
#   scripts/release.sh signed with a throwaway GPG key given through the environment, both Linux architectures, and
#   both macOS ones when their dependency chain is built on this machine (checked by release.darwin);
#   every artefact present, each zip holding only the executable, SHA256SUMS matching, the signature verifying
#   against the public key; each executable linked to glibc's libraries only; each one runs (arm64 under
#   qemu-user): -version, the go-plugin cookie refusal, the handshake line.
# usage: test_release.sh SOURCE_DIR OUT_DIR
set -euo pipefail
root=$1 outdir=$2
. "$root/tests/release/common.sh"
rm -rf "$outdir"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A throwaway signing key; only its armored secret crosses into release.sh, as a CI secret would.
export GNUPGHOME="$tmp/keyring"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "Foundry release test <release-test@example.invalid>" \
  ed25519 sign 1d 2>/dev/null
gpg --batch --armor --export >"$outdir/signing-key.asc"
key=$(gpg --batch --armor --export-secret-keys)
unset GNUPGHOME

plats=(linux_amd64 linux_arm64)
for plat in darwin_arm64 darwin_amd64; do
  if "$root/scripts/deps.sh" --cached "$plat" >/dev/null 2>&1; then plats+=("$plat")
  else echo "release: $plat left out: its dependency chain is not built on this machine (release.darwin says so)"; fi
done
FOUNDRY_GPG_PRIVATE_KEY=$key FOUNDRY_RELEASE_BUILD_DIR="$outdir/build" \
  "$root/scripts/release.sh" "$outdir/dist" "${plats[@]}" >/dev/null 2>"$tmp/release.log" ||
  { cat "$tmp/release.log"; fail "release.sh"; }
cat "$tmp/release.log"
dist="$outdir/dist"
p="$dist/${name}_${version}"
for f in "${p}_linux_amd64.zip" "${p}_linux_arm64.zip" "${p}_SHA256SUMS" "${p}_SHA256SUMS.sig" "${p}_manifest.json"; do
  [ -s "$f" ] || fail "missing $f"
done
(cd "$dist" && sha256sum -c --quiet "$(basename "${p}_SHA256SUMS")") || fail "SHA256SUMS does not match"
grep -q "_linux_arm64.zip" "${p}_SHA256SUMS" && grep -q "_manifest.json" "${p}_SHA256SUMS" ||
  fail "SHA256SUMS does not list every artefact"
# The emulator beside the zips, with a checksum file of its own; SHA256SUMS stays the zips and the manifest.
emu="$dist/foundry-emulator_${version}.pyz"
[ -s "$emu" ] && [ -s "$dist/foundry-emulator_${version}_SHA256SUMS" ] || fail "the emulator is not in the release"
(cd "$dist" && sha256sum -c --quiet "foundry-emulator_${version}_SHA256SUMS") || fail "the emulator's checksum"
! grep -q "pyz" "${p}_SHA256SUMS" || fail "SHA256SUMS lists the emulator"
python3 "$emu" --help | grep -q "What it serves" || fail "the emulator's --help"

# The signature verifies with the public key alone, and not once SHA256SUMS is touched.
export GNUPGHOME="$tmp/verify"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --import "$outdir/signing-key.asc" 2>/dev/null
gpg --batch --verify "${p}_SHA256SUMS.sig" "${p}_SHA256SUMS" 2>"$tmp/verify.log" || { cat "$tmp/verify.log"; fail "signature"; }
cp "${p}_SHA256SUMS" "$tmp/sums" && echo "0000  tampered.zip" >>"$tmp/sums"
if gpg --batch --verify "${p}_SHA256SUMS.sig" "$tmp/sums" 2>/dev/null; then fail "a tampered SHA256SUMS verified"; fi
unset GNUPGHOME

python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m=={"version":1,"metadata":{"protocol_versions":["6.0"]}}, m' \
  "${p}_manifest.json" || fail "manifest"

cookie=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2
for arch in amd64 arm64; do
  unpack_exe "${p}_linux_${arch}.zip" "$tmp/$arch" "$arch"
  want=x86-64; run=(); [ "$arch" = arm64 ] && { want=aarch64; run=(qemu-aarch64); }
  file "$exe" | grep -q "$want" || fail "$arch executable is $(file -b "$exe")"
  # Only glibc's libraries, no run path, nothing newer than glibc 2.34 (the checker release.sh enforces too).
  lean=$("$root/scripts/check-lean.sh" "$exe" 2>&1) || fail "$arch: $lean"
  out=$(env -i "${run[@]}" "$exe" -version 2>&1) || true
  echo "$out" | grep -q "$version" || fail "$arch -version: $out"
  set +e
  env -i "${run[@]}" "$exe" >/dev/null 2>"$tmp/err"
  rc=$?
  set -e
  [ "$rc" -eq 1 ] && grep -q "This binary is a plugin" "$tmp/err" || fail "$arch cookie check (rc=$rc): $(cat "$tmp/err")"
  env -i TF_PLUGIN_MAGIC_COOKIE=$cookie PLUGIN_PROTOCOL_VERSIONS=6 TMPDIR="$tmp" "${run[@]}" "$exe" >"$tmp/hs" 2>/dev/null &
  pid=$!
  for _ in $(seq 300); do [ -s "$tmp/hs" ] && break; sleep 0.05; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  head -1 "$tmp/hs" | grep -Eq '^1\|6\|unix\|/.+\|grpc\|' || fail "$arch: no handshake line: $(cat "$tmp/hs")"
  echo "$arch: $(du -h "$exe" | cut -f1) executable, $lean"
done
echo "release OK: $(ls "$dist" | tr '\n' ' ')"
echo "1 passed, 0 failed"
