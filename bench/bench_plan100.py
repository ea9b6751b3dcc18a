#!/usr/bin/env python3
"""A 100-connection configuration applied, planned and destroyed by the real CLI (terraform, else tofu; FOUNDRY_E2E_CLI) against the
emulator: wall time per phase, HTTP requests and TCP connections per phase, tokens issued; and, given the Go
yardstick (bench/goprovider, terraform-plugin-framework), the same phases with it and the ratios.

Figures, never pass/fail. The point of the connection count: one curl share per provider process, so a
phase opens a handful of connections however many resources it touches (issue 4).
Usage: bench_plan100.py BUILD_DIR [N] [--ours PROVIDER_BINARY] [--go GO_PROVIDER_BINARY]
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
resource "foundry_gateway_connection" "c" {
  for_each  = toset([for i in range(%d) : format("bench-%%03d", i)])
  parent_id = "%s"
  name      = each.key
  category  = "ApiManagement"
  target    = "https://contoso-apim.azure-api.net/${each.key}"
  auth_type = "ApiKey"
  api_key   = "bench-key"
  models    = [{ name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" }]
}
""" % (harness.PROVIDER_SOURCE, N, harness.PROJECT_ID)

# The same 100 connections through the Go yardstick's resource of the same shape.
GO_SOURCE = "registry.terraform.io/foundry-labs/foundrygo"
GO_CONFIG = CONFIG.replace(harness.PROVIDER_SOURCE, GO_SOURCE).replace('foundry = {', 'foundrygo = {') \
    .replace('provider "foundry" {}', 'provider "foundrygo" {}') \
    .replace('resource "foundry_gateway_connection"', 'resource "foundrygo_gateway_connection"')


def phase(emu, ws, label, *args):
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
    print(f"  {label:<28} {dt:7.2f} s   {req:5d} requests   {conns:3d} TCP connections   {toks:2d} tokens", flush=True)
    return dt


def run(tmp, name, binary, source, config):
    """apply, plan, destroy of N connections with one provider; the wall times."""
    os.makedirs(os.path.join(tmp, name))
    emu = harness.Emulator(os.path.join(tmp, name))
    try:
        emu.config(delete_hold_ms=0)
        installation = ('provider_installation {\n  dev_overrides {\n'
                        f'    "{source}" = "{os.path.dirname(binary)}"\n  }}\n  direct {{}}\n}}\n')
        ws = harness.Workspace(os.path.join(tmp, name), emu, "bench", installation=installation)
        ws.write("main.tf", config)
        print(f"{name}: {binary}", flush=True)
        return [phase(emu, ws, f"apply (create {N})", "apply", "-auto-approve", "-no-color"),
                phase(emu, ws, f"plan (refresh {N}, no change)", "plan", "-detailed-exitcode", "-no-color"),
                phase(emu, ws, f"destroy ({N})", "destroy", "-auto-approve", "-no-color")]
    finally:
        emu.stop()


def main():
    print(f"bench_plan100: {N} connections in one project ({harness.CLI_NAME}, emulator on loopback)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        ours = run(tmp, "ours", OURS or harness.PROVIDER_BIN, harness.PROVIDER_SOURCE, CONFIG)
        if GO:
            go = run(tmp, "go", GO, GO_SOURCE, GO_CONFIG)
            print("wall time ratio ours/go:  apply %.2f   plan %.2f   destroy %.2f"
                  % tuple(a / b for a, b in zip(ours, go)))


if __name__ == "__main__":
    main()
