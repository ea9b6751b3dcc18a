#!/usr/bin/env bash
# Builds the release zip from the plain binary, unpacks it into a filesystem-mirror layout
# (docs/internals/protocol.md 5.4) and runs the binary from there with an empty library path:
# every library it loads outside glibc must come from the bundle.
set -euo pipefail
bin=$1 version=$2 root=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$root/scripts/release.sh" "$bin" "$version" "$tmp/dist" >/dev/null
zip="$tmp/dist/terraform-provider-foundry_${version}_linux_amd64.zip"
sums="$tmp/dist/terraform-provider-foundry_${version}_SHA256SUMS"
manifest="$tmp/dist/terraform-provider-foundry_${version}_manifest.json"
for f in "$zip" "$sums" "$manifest"; do [ -s "$f" ] || { echo "missing $f"; exit 1; }; done
(cd "$tmp/dist" && sha256sum -c --quiet "$(basename "$sums")")
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m=={"version":1,"metadata":{"protocol_versions":["6.0"]}}, m' "$manifest"

pkg="$tmp/mirror/registry.terraform.io/foundry-labs/foundry/$version/linux_amd64"
mkdir -p "$pkg"
unzip -q "$zip" -d "$pkg"
exe="$pkg/terraform-provider-foundry_v$version"
[ -x "$exe" ] || { echo "binary not executable in the zip"; exit 1; }

# Which libraries would be loaded with nothing but the bundle and glibc?
bad=$(env -i LD_LIBRARY_PATH= ldd "$exe" | awk '/=>/{print $1, $3}' | while read -r soname path; do
  case "$soname" in ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|libmvec.so*) continue ;; esac
  case "$path" in "$pkg"/lib/*) ;; *) echo "$soname -> $path" ;; esac
done)
if [ -n "$bad" ]; then echo "libraries resolved outside the bundle:"; echo "$bad"; exit 1; fi
if env -i LD_LIBRARY_PATH= ldd "$exe" | grep -q "not found"; then echo "unresolved libraries"; exit 1; fi

# It runs: without the magic cookie it must refuse (go-plugin's message), with -version it prints it.
out=$(env -i LD_LIBRARY_PATH= "$exe" -version 2>&1)
echo "$out" | grep -q "$version" || { echo "unexpected -version output: $out"; exit 1; }
set +e
env -i LD_LIBRARY_PATH= "$exe" >/dev/null 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "This binary is a plugin" "$tmp/err" || { echo "cookie check failed (rc=$rc)"; cat "$tmp/err"; exit 1; }

# And it serves: the handshake line comes out with the bundled libraries only.
env -i LD_LIBRARY_PATH= TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2 \
  PLUGIN_PROTOCOL_VERSIONS=5,6 TMPDIR="$tmp" "$exe" >"$tmp/hs" 2>/dev/null &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/hs" ] && break; sleep 0.05; done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
head -1 "$tmp/hs" | grep -Eq '^1\|6\|unix\|/.+\|grpc\|' || { echo "no handshake line: $(cat "$tmp/hs")"; exit 1; }
echo "release bundle OK: $(du -h "$zip" | cut -f1)"
echo "1 passed, 0 failed"
