#!/usr/bin/env bash
# Installs every build and test dependency: Debian 12 packages, then OpenTofu and the newest Terraform built from
# their Go modules (scripts/tofu.sh, scripts/terraform.sh; Go modules come through the module proxy with the
# machine's Go), LiteLLM's proxy (scripts/gateways.sh), Zig (scripts/zig.sh) and, when they fit, the darwin
# dependency chains (scripts/deps.sh darwin_*; docs/internals/darwin.md 6).
#   setup.sh          everything the test suite needs
#   setup.sh --demo   only what scripts/demo.sh needs: the packages to build the provider and run the emulator
# Idempotent: skips apt entirely when everything is already present, and reuses what was built.
set -euo pipefail
demo=""
[ "${1:-}" = "--demo" ] && demo=1

# The demo's packages: a compiler, the provider's libraries, Python for the emulator, openssl for the fake gateway.
DEMO_PKGS=(
  build-essential cmake pkg-config ca-certificates
  libgrpc-dev protobuf-compiler libprotobuf-dev protobuf-c-compiler libprotobuf-c-dev
  libssl-dev libcurl4-openssl-dev libmsgpack-dev libcjson-dev python3 curl openssl
)

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc-dev protobuf-compiler libprotobuf-dev protobuf-c-compiler libprotobuf-c-dev
  libssl-dev libcurl4-openssl-dev libmsgpack-dev libcjson-dev check
  python3 zip unzip patchelf file curl openssl clang-format clang libclang-rt-14-dev
  # The lean release (scripts/deps.sh, scripts/release.sh): Debian source packages, the arm64 cross toolchain and
  # arm64 -dev packages (multiarch), qemu-user to run arm64 in tests, gpg to sign.
  dpkg-dev gnupg qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  # The darwin release: LLVM's Mach-O tools (llvm-objdump, llvm-strip), the Unicode tables RE2's source leaves to its
  # build; Zig itself comes from PyPI (scripts/zig.sh).
  llvm unicode-data
  libc6-dev:arm64 libgrpc-dev:arm64 libprotobuf-c-dev:arm64 libssl-dev:arm64 libmsgpack-dev:arm64 zlib1g-dev:arm64
)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need_update=""
if [ -n "$demo" ]; then
  missing=()
  for p in "${DEMO_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  exit 0
fi
# arm64 packages through multiarch, and deb-src entries so scripts/deps.sh can `apt-get source` curl, nghttp2
# and cJSON (Debian ships no static library fit for the lean binary of those three).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
  need_update=1
fi
src_list=/etc/apt/sources.list.d/foundry-src.sources
if [ ! -f "$src_list" ]; then
  # The same mirrors and suites as the machine's own deb entries, as deb-src.
  sed -n '/^Types:/,/^$/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | sed 's/^Types: deb$/Types: deb-src/' |
    $SUDO tee "$src_list" >/dev/null
  grep -q '^Types: deb-src' "$src_list" || printf '%s\n' "Types: deb-src" "URIs: http://deb.debian.org/debian" \
    "Suites: bookworm bookworm-updates" "Components: main" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" | $SUDO tee "$src_list" >/dev/null
  need_update=1
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ] || [ -n "$need_update" ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Go protocol checks and OpenTofu need a current Go (the machine's; Debian 12's 1.19 is too old).
command -v go >/dev/null || echo "setup: no Go toolchain on PATH: tests/protocol and OpenTofu cannot be built" >&2

# Were the long one-time builds cached before this run? Then the darwin chains fit in CI's time (below).
tools_cached=1
for t in "$(dirname "$0")/tofu.sh path" "$(dirname "$0")/tofu.sh path arm64" "$(dirname "$0")/terraform.sh path"; do
  [ -x "$($t)" ] || tools_cached=""
done

# OpenTofu: the tests run every end-to-end scenario with it too. A failed build does not stop setup; e2e.tofu then
# fails and says why (scripts/tofu.sh keeps the log).
"$(dirname "$0")/tofu.sh" ensure >/dev/null || true
# A linux_arm64 tofu too (Go cross-compiles it, about 2.5 minutes): e2e.tofu.release runs it under qemu-user to
# install the linux_arm64 release zip as an arm64 machine does.
"$(dirname "$0")/tofu.sh" ensure arm64 >/dev/null || true
# The newest Terraform (about 6 minutes the first time): e2e.terraform-latest runs every scenario with it too.
"$(dirname "$0")/terraform.sh" ensure >/dev/null || true
# LiteLLM's proxy, a real gateway for the gateway-check tests (scripts/gateways.sh; pinned with hashes, PyPI, a venv).
"$(dirname "$0")/gateways.sh" ensure litellm >/dev/null || true
# The Registry's documentation validator (tests/docs: docs.registry).
"$(dirname "$0")/tfplugindocs.sh" ensure >/dev/null || true
# Zig from PyPI, the darwin cross-compiler (about 10 s).
"$(dirname "$0")/zig.sh" ensure >/dev/null || true
# The darwin dependency chains (gRPC, abseil, OpenSSL, ... from Debian's sources with Zig; about 17 minutes each on
# 2 cores, gRPC 10 of them; cached after). On a fresh machine the builds above already take about 35 minutes, so they are left for
# the next run, and release.darwin and e2e.*.release_darwin report themselves skipped, saying why
# (docs/internals/darwin.md 6). FOUNDRY_DARWIN=build builds them regardless, FOUNDRY_DARWIN=skip never.
case "${FOUNDRY_DARWIN:-auto}" in
  build) darwin=1 ;;
  skip) darwin="" ;;
  *) darwin=$tools_cached ;;
esac
# A failed build leaves its reason in deps/<platform>.failed, which release.darwin reports as a failure, not a skip.
depsdir=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-foundry/deps
for plat in darwin_arm64 darwin_amd64; do
  if "$(dirname "$0")/deps.sh" --cached "$plat" >/dev/null 2>&1; then continue; fi
  if [ -n "$darwin" ]; then
    start=$(date +%s)
    mkdir -p "$depsdir"
    if "$(dirname "$0")/deps.sh" "$plat" >/dev/null 2>"$depsdir/$plat.failed"; then
      rm -f "$depsdir/$plat.failed"
      echo "setup: $plat dependency chain built in $(( $(date +%s) - start )) s" >&2
    else
      echo "setup: the $plat dependency chain failed; the end of its log:" >&2
      tail -n 20 "$depsdir/$plat.failed" >&2
    fi
  else
    echo "setup: $plat dependency chain left for a later run (this one built OpenTofu or Terraform first);" \
      "FOUNDRY_DARWIN=build builds it now" >&2
  fi
done
