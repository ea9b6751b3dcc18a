#!/usr/bin/env bash
# The registry-ready, signed release (README "Releasing"; docs/internals/protocol.md 5.2):
#   dist/terraform-provider-foundry_X.Y.Z_linux_amd64.zip   the executable terraform-provider-foundry_vX.Y.Z only
#   dist/terraform-provider-foundry_X.Y.Z_linux_arm64.zip
#   dist/terraform-provider-foundry_X.Y.Z_darwin_arm64.zip
#   dist/terraform-provider-foundry_X.Y.Z_darwin_amd64.zip
#   dist/terraform-provider-foundry_X.Y.Z_manifest.json
#   dist/terraform-provider-foundry_X.Y.Z_SHA256SUMS         sha256 of the zips and the manifest
#   dist/terraform-provider-foundry_X.Y.Z_SHA256SUMS.sig     detached binary GPG signature of SHA256SUMS
# Each executable is the lean one: built with FOUNDRY_STATIC from scripts/deps.sh, so its only dynamic
# dependencies are glibc's (Linux) or libSystem (macOS), and stripped. linux_arm64 is cross-built with Debian's
# toolchain (cmake/aarch64-linux-gnu.cmake), darwin with Zig (cmake/darwin-*.cmake; docs/internals/darwin.md).
#
# The signing key comes from the environment, never from the repository:
#   FOUNDRY_GPG_PRIVATE_KEY   ASCII-armored secret key (imported into a throwaway GNUPGHOME), or
#   FOUNDRY_GPG_KEY_ID        a key already in the caller's keyring (GNUPGHOME as usual)
#   FOUNDRY_GPG_PASSPHRASE    its passphrase, if it has one
# Without a key the release fails; FOUNDRY_RELEASE_UNSIGNED=1 builds an unsigned one for local inspection.
#
# usage: release.sh OUTDIR [PLATFORM...]    (linux_amd64 linux_arm64 darwin_arm64 darwin_amd64; default all four;
#                                           amd64 and arm64 alone mean linux_*)
#        release.sh --version                 the version it releases (CMakeLists.txt's)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^project(terraform-provider-foundry VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -n "$version" ] || { echo "release: no version in CMakeLists.txt" >&2; exit 1; }
if [ "${1:-}" = --version ]; then echo "$version"; exit 0; fi
out=${1:?usage: release.sh OUTDIR [PLATFORM...]}
shift
plats=("$@")
[ ${#plats[@]} -gt 0 ] || plats=(linux_amd64 linux_arm64 darwin_arm64 darwin_amd64)
name=terraform-provider-foundry
jobs=${FOUNDRY_JOBS:-$(nproc)}
macos_min=$(cat "$root/scripts/macos-min-version")
zips=()
builds=${FOUNDRY_RELEASE_BUILD_DIR:-$root/build/release}

signing=""
if [ -n "${FOUNDRY_GPG_PRIVATE_KEY:-}" ] || [ -n "${FOUNDRY_GPG_KEY_ID:-}" ]; then
  signing=1
elif [ "${FOUNDRY_RELEASE_UNSIGNED:-}" != 1 ]; then
  echo "release: no signing key (FOUNDRY_GPG_PRIVATE_KEY or FOUNDRY_GPG_KEY_ID); the registry rejects unsigned" \
    "checksums. FOUNDRY_RELEASE_UNSIGNED=1 builds without a signature." >&2
  exit 1
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

for plat in "${plats[@]}"; do
  case "$plat" in amd64|arm64) plat=linux_$plat ;; esac
  case "$plat" in
    linux_amd64) toolchain=(); strip=(strip --strip-all); check=("$root/scripts/check-lean.sh" -) ;;
    linux_arm64) toolchain=(--toolchain "$root/cmake/aarch64-linux-gnu.cmake")
      strip=(aarch64-linux-gnu-strip --strip-all); check=("$root/scripts/check-lean.sh" -) ;;
    # llvm-strip rewrites the ad-hoc signature Zig's linker gave it (Apple silicon runs signed code only);
    # check-macho.py verifies the signature against the stripped file.
    darwin_arm64|darwin_amd64)
      toolchain=(--toolchain "$root/cmake/darwin-${plat#darwin_}.cmake")
      strip=("$(command -v llvm-strip || command -v llvm-strip-14)")
      check=(python3 "$root/scripts/check-macho.py" - "${plat#darwin_}" "$macos_min") ;;
    *) echo "release: unknown platform $plat" >&2; exit 2 ;;
  esac
  deps=$("$root/scripts/deps.sh" "$plat")
  b="$builds/$plat"
  FY_DARWIN_PREFIX="$deps" cmake -S "$root" -B "$b" "${toolchain[@]}" -DCMAKE_BUILD_TYPE=Release -DFOUNDRY_STATIC=ON \
    -DFOUNDRY_DEPS_PREFIX="$deps" -DFOUNDRY_TESTS=OFF -DFOUNDRY_SANITIZE=OFF >"$stage/cmake-$plat.log" 2>&1 ||
    { cat "$stage/cmake-$plat.log" >&2; exit 1; }
  FY_DARWIN_PREFIX="$deps" cmake --build "$b" -j"$jobs" --target terraform-provider-foundry \
    >"$stage/build-$plat.log" 2>&1 || { tail -40 "$stage/build-$plat.log" >&2; exit 1; }
  mkdir -p "$stage/$plat"
  exe="$stage/$plat/${name}_v${version}"
  cp "$b/$name" "$exe"
  "${strip[@]}" "$exe"
  chmod 0755 "$exe"
  "${check[@]/#-/$exe}" >/dev/null   # the "-" stands for the executable
  zipname="${name}_${version}_${plat}.zip"
  rm -f "$out/$zipname"
  # -X: no extra attributes, so the zip (and its h1: hash) depends on the executable alone.
  (cd "$stage/$plat" && TZ=UTC touch -t 200001010000 "$(basename "$exe")" && zip -q -X "$out/$zipname" "$(basename "$exe")")
  zips+=("$zipname")
  echo "release: $zipname ($(du -h "$out/$zipname" | cut -f1); executable $(du -h "$exe" | cut -f1))" >&2
done

# The emulator, for module authors' tests (docs/guides/testing-modules.md): one file beside the zips, with a checksum
# file of its own (SHA256SUMS stays the zips and the manifest, as the Registry expects).
emu="foundry-emulator_${version}.pyz"
"$root/scripts/emulator-pyz.sh" "$out/$emu"
(cd "$out" && sha256sum "$emu" >"foundry-emulator_${version}_SHA256SUMS")

manifest="${name}_${version}_manifest.json"
cp "$root/registry-manifest.json" "$out/$manifest"
sums="${name}_${version}_SHA256SUMS"
(cd "$out" && sha256sum "${zips[@]}" "$manifest" >"$sums")
rm -f "$out/$sums.sig"
if [ -n "$signing" ]; then
  gpg_args=(--batch --yes --no-tty --pinentry-mode loopback)
  [ -z "${FOUNDRY_GPG_PASSPHRASE:-}" ] || gpg_args+=(--passphrase-fd 3)
  if [ -n "${FOUNDRY_GPG_PRIVATE_KEY:-}" ]; then
    export GNUPGHOME="$stage/gnupg"
    mkdir -m 0700 "$GNUPGHOME"
    printf '%s\n' "$FOUNDRY_GPG_PRIVATE_KEY" | gpg --batch --quiet --import 2>/dev/null
    key=$(gpg --batch --with-colons --list-secret-keys | awk -F: '/^fpr:/{print $10; exit}')
  else
    key=$FOUNDRY_GPG_KEY_ID
  fi
  printf '%s' "${FOUNDRY_GPG_PASSPHRASE:-}" | gpg "${gpg_args[@]}" --local-user "$key" --detach-sign \
    --output "$out/$sums.sig" "$out/$sums" 3<&0
  echo "release: signed $sums with $key" >&2
fi
echo "$out"
