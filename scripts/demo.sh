#!/usr/bin/env bash
# The demo, from a clean checkout on Debian 12: installs only what it needs (scripts/setup.sh --demo), builds the
# provider alone into its own folder (build-demo/, never the suite's build/), starts the local ARM emulator, applies
# examples/quickstart with terraform (when the machine has it) or tofu, shows that a second plan has no changes,
# prints the connection as ARM stores it, and checks a gateway. FOUNDRY_DEMO_CLI=tofu picks OpenTofu even where
# terraform exists; only then (or with no terraform) is OpenTofu built. Exits 0 on success, non-zero on any
# failure, and leaves no temporary folder behind.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FOUNDRY_DEMO_BUILD_DIR:-$root/build-demo}
start=$(date +%s)

"$root/scripts/setup.sh" --demo
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFOUNDRY_SANITIZE=OFF -DFOUNDRY_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target terraform-provider-foundry >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/foundry-demo.XXXXXX")
emu_pid="" gw_pid=""
# Stops what the demo started and removes its folder, keeping the demo's own exit status (a stopped process's
# status must not become the script's).
cleanup() {
  local rc=$?
  for pid in $emu_pid $gw_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# 1. The emulator, on a free loopback port.
python3 "$root/emulator/armemu.py" --port 0 --port-file "$work/port" --log "$work/emulator.log" &
emu_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "demo: the emulator did not start" >&2; exit 1; }
emu="http://127.0.0.1:$(cat "$work/port")"
echo "==> ARM emulator listening on $emu"

# 2. Point the CLI at the freshly built provider.
cat > "$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "registry.terraform.io/foundry-labs/foundry" = "$build"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
# No calls home from terraform (checkpoint): the demo talks to 127.0.0.1 only.
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

# 3. Credentials and endpoints: the emulator's service principal, the azapi way (a custom cloud).
export ARM_ENVIRONMENT=custom
export ARM_RESOURCE_MANAGER_ENDPOINT="$emu"
export ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST="$emu/"
export ARM_RESOURCE_MANAGER_AUDIENCE=https://management.core.windows.net/
export ARM_TENANT_ID=00000000-0000-0000-0000-0000000000aa
export ARM_CLIENT_ID=11111111-1111-1111-1111-111111111111
export ARM_CLIENT_SECRET=emulator-client-secret
export ARM_USE_CLI=false
export TF_VAR_apim_subscription_key=demo-subscription-key

case ${FOUNDRY_DEMO_CLI:-} in
tofu) tf=$("$root/scripts/tofu.sh" ensure) ;;
terraform) tf=terraform ;;
*) if command -v terraform >/dev/null; then tf=terraform; else tf=$("$root/scripts/tofu.sh" ensure); fi ;;
esac
echo "==> using $("$tf" version | head -n 1) ($tf)"

cp -r "$root/examples/quickstart" "$work/quickstart"
cd "$work/quickstart"
# No `init`: with a dev_overrides entry neither tool needs it for this provider, and OpenTofu's init would
# still look the provider up in its registry.
echo "==> $tf apply"
"$tf" apply -auto-approve -no-color
echo "==> $tf plan (a second plan must show no changes)"
set +e
"$tf" plan -detailed-exitcode -no-color
rc=$?
set -e
if [ "$rc" -ne 0 ]; then echo "demo: the second plan was not empty (exit $rc)" >&2; exit 1; fi

echo "==> the connection as ARM stores it (GET returns no credentials)"
python3 - "$emu" <<'PY'
import json, sys, urllib.request
store = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/store"))
for rid, entry in store.items():
    print(json.dumps(entry["resource"], indent=2))
PY

# 4. The gateway check: a fake APIM gateway on loopback (its own CA, reached through `resolve`), a connection to
#    it, and a check {} block that makes the requests Foundry's agents will make. It must pass.
python3 "$root/emulator/fakegw.py" --port 0 --port-file "$work/gw.port" --cert-dir "$work/gw" 2>"$work/gw.log" &
gw_pid=$!
for _ in $(seq 100); do [ -s "$work/gw.port" ] && break; sleep 0.1; done
[ -s "$work/gw.port" ] || { echo "demo: the fake gateway did not start" >&2; exit 1; }
gwp=$(cat "$work/gw.port")
curl -sf --cacert "$work/gw/ca.pem" -X POST -d '{"key":"demo-subscription-key"}' "https://localhost:$gwp/_gateway/config" >/dev/null
cp -r "$root/examples/gateway-check" "$work/gateway-check"
cd "$work/gateway-check"
export TF_VAR_gateway_url="https://apim.gateway.test:$gwp/apim" TF_VAR_gateway_key=demo-subscription-key
export TF_VAR_ca_certificate="$(cat "$work/gw/ca.pem")" TF_VAR_resolve="{\"apim.gateway.test:$gwp\" = \"127.0.0.1:$gwp\"}"
echo "==> $tf apply examples/gateway-check (a connection to a fake APIM gateway, checked the way agents use it)"
out=$("$tf" apply -auto-approve -no-color 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E "^(data|foundry|Apply)" || true
if echo "$out" | grep -q "Check block assertion failed"; then
  echo "$out"; echo "demo: the gateway check did not pass" >&2; exit 1
fi
echo "==> the gateway check passed: discovery, the key and a chat completion work as Foundry will use them"
echo "==> demo finished in $(( $(date +%s) - start )) s"
