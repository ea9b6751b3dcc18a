#!/usr/bin/env bash
# Registry-ready release artefacts (docs/internals/protocol.md 5.2):
#   dist/terraform-provider-foundry_X.Y.Z_linux_amd64.zip   (terraform-provider-foundry_vX.Y.Z + lib/)
#   dist/terraform-provider-foundry_X.Y.Z_SHA256SUMS
#   dist/terraform-provider-foundry_X.Y.Z_manifest.json
# gRPC, curl and OpenSSL are not guaranteed on the machines that run Terraform (HCP Terraform, CI images),
# and Debian ships no static libgrpc, so every shared library except glibc's is bundled in lib/ beside the
# binary, found through an $ORIGIN run path. Usage: release.sh BINARY VERSION OUTDIR
set -euo pipefail
bin=$1 version=$2 out=$3
name=terraform-provider-foundry
root=$(cd "$(dirname "$0")/.." && pwd)
arch=linux_amd64

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib" "$out"
exe="$stage/${name}_v${version}"
cp "$bin" "$exe"
chmod 0755 "$exe"

# glibc and the dynamic loader stay with the host: everything else travels.
is_glibc() {
  case "$(basename "$1")" in
    ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|libutil.so*|libanl.so*|libnss_*|libmvec.so*) return 0 ;;
  esac
  return 1
}
while read -r lib; do
  [ -n "$lib" ] || continue
  is_glibc "$lib" && continue
  cp -L "$lib" "$stage/lib/"
done < <(ldd "$bin" | awk '/=> \//{print $3}' | sort -u)

patchelf --set-rpath '$ORIGIN/lib' "$exe"
for l in "$stage"/lib/*; do
  chmod 0644 "$l"
  patchelf --set-rpath '$ORIGIN' "$l"
done
strip --strip-unneeded "$exe" "$stage"/lib/* 2>/dev/null || true

zipname="${name}_${version}_${arch}.zip"
rm -f "$out/$zipname"
(cd "$stage" && zip -q -r -X "$out/$zipname" "$(basename "$exe")" lib)
cp "$root/registry-manifest.json" "$out/${name}_${version}_manifest.json"
(cd "$out" && sha256sum "$zipname" "${name}_${version}_manifest.json" > "${name}_${version}_SHA256SUMS")
echo "release: $out/$zipname ($(du -h "$out/$zipname" | cut -f1)), $(ls "$stage/lib" | wc -l) bundled libraries"
