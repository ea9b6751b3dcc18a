#!/usr/bin/env bash
# The benchmark, in one run (`cmake --build build --target bench`): figures, never pass/fail.
#   1. the lean executable, as released: scripts/release.sh's linux_amd64 zip, unpacked (build/bench/lean);
#   2. the yardsticks, built here from the module proxy: bench/goprovider, a minimal terraform-plugin-framework provider
#      with one resource of the same shape and the same ARM calls (build/bench/go), and bench/gominimal, the smallest
#      Go provider: go-plugin and grpc-go through terraform-plugin-go, no framework, an empty schema;
#   3. bench_plugin: cold start, RSS, anonymous RSS, threads, GetProviderSchema latency, side by side with ratios;
#   4. bench_plan100.py: wall time of apply/plan/destroy of 100 connections with the real CLI, both providers;
#   5. the same at ARM's real latency (150 and 400 ms per request), in one account and over four, in the emulator's
#      two worlds, each figure beside its floor (FOUNDRY_BENCH_LATENCY=0 skips it: about 10 minutes).
# usage: bench/run.sh BUILD_DIR [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: bench/run.sh BUILD_DIR [RUNS]}" && pwd)
runs=${2:-15}
out="$build/bench"
mkdir -p "$out/go"

# The executable exactly as released: scripts/release.sh (unsigned here), unpacked from its zip.
FOUNDRY_RELEASE_UNSIGNED=1 FOUNDRY_RELEASE_BUILD_DIR="$out/release" "$root/scripts/release.sh" "$out/dist" amd64 \
  >/dev/null 2>"$out/release.log" || { cat "$out/release.log" >&2; exit 1; }
rm -rf "$out/lean" && mkdir -p "$out/lean"
unzip -q -o "$out"/dist/terraform-provider-foundry_*_linux_amd64.zip -d "$out/lean"
# dev_overrides (bench_plan100) look for the unversioned name.
mv "$out"/lean/terraform-provider-foundry_v* "$out/lean/terraform-provider-foundry"
lean="$out/lean/terraform-provider-foundry"

# -trimpath -s -w: as goreleaser builds the providers users install.
(cd "$root/bench/goprovider" && go build -trimpath -ldflags "-s -w" -o "$out/go/terraform-provider-foundrygo" .)
go="$out/go/terraform-provider-foundrygo"
(cd "$root/bench/gominimal" && go build -trimpath -ldflags "-s -w" -o "$out/go/terraform-provider-minimal" .)
gomin="$out/go/terraform-provider-minimal"

echo "== sizes"
printf '  %-6s %8s bytes  %s\n' ours "$(stat -c %s "$lean")" "dynamic: $(readelf -d "$lean" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
printf '  %-6s %8s bytes  %s\n' go "$(stat -c %s "$go")" "$(go version "$go" | cut -d' ' -f2) terraform-plugin-framework $(cd "$root/bench/goprovider" && go list -m -f '{{.Version}}' github.com/hashicorp/terraform-plugin-framework)"
echo "== one provider process (bench_plugin)"
"$build/bench/bench_plugin" "$runs" "ours=$lean" "go=$go" "gomin=$gomin"
echo "== one terraform run (bench_plan100.py)"
python3 "$root/bench/bench_plan100.py" "$build" 100 --ours "$lean" --go "$go"
if [ "${FOUNDRY_BENCH_LATENCY:-1}" != 0 ]; then
  echo "== at ARM's latency (bench_plan100.py --latency)"
  python3 "$root/bench/bench_plan100.py" "$build" 100 --ours "$lean" --go "$go" --latency 150,400
fi
