#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages.
# Idempotent: skips apt entirely when everything is already present.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libgrpc-dev protobuf-compiler libprotobuf-dev protobuf-c-compiler libprotobuf-c-dev
  libssl-dev libcurl4-openssl-dev libmsgpack-dev libcjson-dev check
  python3 zip unzip patchelf file
  golang-go protoc-gen-go protoc-gen-go-grpc
  golang-github-golang-protobuf-1-5-dev golang-google-grpc-dev
  golang-github-hashicorp-go-plugin-dev golang-github-zclconf-go-cty-dev
  golang-github-hashicorp-hcl-v2-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
