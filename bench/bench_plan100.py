#!/usr/bin/env python3
"""A 100-connection configuration applied, planned and destroyed by the real CLI (terraform, else tofu; FOUNDRY_E2E_CLI) against the
emulator: wall time per phase, HTTP requests and TCP connections per phase, tokens issued; and, given the Go
yardstick (bench/goprovider, terraform-plugin-framework), the same phases with it and the ratios.

Figures, never pass/fail. The point of the connection count: one curl share per provider process, so a
phase opens a handful of connections however many resources it touches (issue 4).
With --latency, at ARM's real latency (the emulator answers every request after that many ms; writes hold their
account that long, docs/internals/arm.md 1.5): N connections in one account, and spread over four; in the emulator's
two worlds (an account that takes concurrent writes, and one that answers overlapping writes 409 RequestConflict);
each figure beside its floor: ceil(N / parallelism) rounds of the requests each operation needs (apply GET + PUT,
plan GET, destroy GET then DELETE), or, where the account takes one write at a time, N / accounts writes in a row,
plus Terraform's own time, measured with zero latency.
Usage: bench_plan100.py BUILD_DIR [N] [--ours PROVIDER_BINARY] [--go GO_PROVIDER_BINARY] [--latency MS,MS,...]
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = sys.argv[1:]


def _opt(name):
    if name in ARGS:
        i = ARGS.index(name)
        v = ARGS[i + 1]
        del ARGS[i:i + 2]
        return os.path.abspath(v)
    return None


OURS = _opt("--ours")
GO = _opt("--go")
LATENCY = None
if "--latency" in ARGS:
    _i = ARGS.index("--latency")
    LATENCY = [int(x) for x in ARGS[_i + 1].split(",")]
    del ARGS[_i:_i + 2]
PARALLELISM = 10  # Terraform's default
HOLD_MS = 50  # the conflict world's extra hold per write (emulator write_hold_ms)
BUILD = os.path.abspath(ARGS[0] if ARGS else os.path.join(HERE, "..", "build"))
N = int(ARGS[1]) if len(ARGS) > 1 else 100
os.environ.setdefault("FOUNDRY_BUILD_DIR", BUILD)
os.environ.setdefault("FOUNDRY_SOURCE_DIR", os.path.dirname(HERE))
import shutil  # noqa: E402
os.environ.setdefault("FOUNDRY_E2E_CLI", "terraform" if shutil.which("terraform") else "tofu")
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness  # noqa: E402  (the e2e suite's emulator + workspace helpers)

CONFIG = """
terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
variable "parents" {
  type    = list(string)
  default = ["%s"]
}
resource "foundry_gateway_connection" "c" {
  for_each  = { for i in range(%d) : format("bench-%%03d", i) => var.parents[i %% length(var.parents)] }
  parent_id = each.value
  name      = each.key
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/${each.key}"
  auth_type = "ApiKey"
  api_key   = "bench-key"
  models    = [{ name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" }]
}
""" % (harness.PROVIDER_SOURCE, harness.PROJECT_ID, N)

# The same 100 connections through the Go yardstick's resource of the same shape.
GO_SOURCE = "registry.terraform.io/foundry-labs/foundrygo"
GO_CONFIG = CONFIG.replace(harness.PROVIDER_SOURCE, GO_SOURCE).replace('foundry = {', 'foundrygo = {') \
    .replace('provider "foundry" {}', 'provider "foundrygo" {}') \
    .replace('resource "foundry_gateway_connection"', 'resource "foundrygo_gateway_connection"')


def phase(emu, ws, label, *args, quiet=False):
    before = emu.stats()
    t0 = time.monotonic()
    r = ws.run(*args)
    dt = time.monotonic() - t0
    if r.rc not in (0, 2):
        print(r.describe())
        sys.exit(1)
    after = emu.stats()
    req = after["requests"] - before["requests"]
    conns = after["connections_opened"] - before["connections_opened"]
    toks = after["tokens_issued"] - before["tokens_issued"]
    if not quiet:
        print(f"  {label:<28} {dt:7.2f} s   {req:5d} requests   {conns:3d} TCP connections   {toks:2d} tokens",
              flush=True)
    return dt


def accounts_parents(n):
    """n accounts, each with its project proj-main: the parents of a spread configuration."""
    return [harness.PROJECT_ID.replace("accounts/foundry-acct/", f"accounts/bench-acct-{i}/") for i in range(n)]


def run(tmp, name, binary, source, config, latency=0, accounts=1, conflict=False, quiet=False):
    """apply, plan, destroy of N connections with one provider; the wall times."""
    d = os.path.join(tmp, f"{name}-{latency}-{accounts}-{int(conflict)}")
    os.makedirs(d)
    emu = harness.Emulator(d)
    try:
        parents = [harness.PROJECT_ID] if accounts == 1 else accounts_parents(accounts)
        for p in parents:
            emu.put_store(p, {})
        emu.config(latency_ms=latency, conflict_writes=conflict, write_hold_ms=HOLD_MS if conflict else 0)
        installation = ('provider_installation {\n  dev_overrides {\n'
                        f'    "{source}" = "{os.path.dirname(binary)}"\n  }}\n  direct {{}}\n}}\n')
        ws = harness.Workspace(d, emu, "bench", installation=installation)
        ws.write("main.tf", config)
        ws.write("terraform.tfvars.json", __import__("json").dumps({"parents": parents}))
        if not quiet:
            print(f"{name}: {binary}", flush=True)
        return [phase(emu, ws, f"apply (create {N})", "apply", "-auto-approve", "-no-color", quiet=quiet),
                phase(emu, ws, f"plan (refresh {N}, no change)", "plan", "-detailed-exitcode", "-no-color",
                      quiet=quiet),
                phase(emu, ws, f"destroy ({N})", "destroy", "-auto-approve", "-no-color", quiet=quiet)]
    finally:
        emu.stop()


def floors(tf_own, latency, accounts, conflict):
    """The least each phase can take: Terraform's own time plus the rounds of requests ARM must serve."""
    rounds = -(-N // PARALLELISM)
    s = latency / 1000
    if not conflict:
        return [tf_own[0] + rounds * 2 * s, tf_own[1] + rounds * s, tf_own[2] + rounds * 2 * s]
    serial = -(-N // accounts) * (s + HOLD_MS / 1000)  # the writes, one at a time per account
    return [tf_own[0] + s + serial, tf_own[1] + rounds * s, tf_own[2] + rounds * s + serial]


def latency_matrix(tmp):
    print(f"bench_plan100 --latency: {N} connections, {harness.CLI_NAME}, parallelism {PARALLELISM}; figures in s, "
          "each as figure / floor / ratio (and ours/go)", flush=True)
    print(f"{'latency':>7} {'accounts':>8} {'world':<9} {'phase':<8} {'ours':>8} {'go':>8} {'floor':>7} "
          f"{'ours/floor':>10} {'go/floor':>8} {'ours/go':>7}")
    for accounts in (1, 4):
        # Terraform's own time: the phases at zero latency, the least of two runs (the first warms caches).
        own = [min(a, b) for a, b in zip(*(run(tmp, f"own{k}", OURS or harness.PROVIDER_BIN, harness.PROVIDER_SOURCE,
                                               CONFIG, accounts=accounts, quiet=True) for k in range(2)))]
        for latency in LATENCY:
            for conflict in (False, True):
                res = {"ours": run(tmp, "ours", OURS or harness.PROVIDER_BIN, harness.PROVIDER_SOURCE, CONFIG,
                                   latency, accounts, conflict, quiet=True)}
                if GO:
                    res["go"] = run(tmp, "go", GO, GO_SOURCE, GO_CONFIG, latency, accounts, conflict, quiet=True)
                fl = floors(own, latency, accounts, conflict)
                for i, ph in enumerate(("apply", "plan", "destroy")):
                    o = res["ours"][i]
                    g = res["go"][i] if GO else float("nan")
                    print(f"{latency:>5}ms {accounts:>8} {'conflict' if conflict else 'parallel':<9} {ph:<8} "
                          f"{o:8.2f} {g:8.2f} {fl[i]:7.2f} {o / fl[i]:10.2f} {g / fl[i]:8.2f} {o / g:7.2f}",
                          flush=True)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        if LATENCY:
            latency_matrix(tmp)
            return
        print(f"bench_plan100: {N} connections in one project ({harness.CLI_NAME}, emulator on loopback)", flush=True)
        ours = run(tmp, "ours", OURS or harness.PROVIDER_BIN, harness.PROVIDER_SOURCE, CONFIG)
        if GO:
            go = run(tmp, "go", GO, GO_SOURCE, GO_CONFIG)
            print("wall time ratio ours/go:  apply %.2f   plan %.2f   destroy %.2f"
                  % tuple(a / b for a, b in zip(ours, go)))


if __name__ == "__main__":
    main()
