#!/usr/bin/env bash
# Installs every build and test dependency: Debian 12 packages, then OpenTofu built from its Go module
# (scripts/tofu.sh; Go modules come through the module proxy with the machine's Go).
# Idempotent: skips apt entirely when everything is already present, and reuses a built tofu.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc-dev protobuf-compiler libprotobuf-dev protobuf-c-compiler libprotobuf-c-dev
  libssl-dev libcurl4-openssl-dev libmsgpack-dev libcjson-dev check
  python3 zip unzip patchelf file curl openssl clang-format clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Go protocol checks and OpenTofu need a current Go (the machine's; Debian 12's 1.19 is too old).
command -v go >/dev/null || echo "setup: no Go toolchain on PATH: tests/protocol and OpenTofu cannot be built" >&2

# OpenTofu: the tests run every end-to-end scenario with it too. A failed build does not stop setup; e2e.tofu then
# fails and says why (scripts/tofu.sh keeps the log).
"$(dirname "$0")/tofu.sh" ensure >/dev/null || true
