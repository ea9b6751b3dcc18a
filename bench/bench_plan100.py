#!/usr/bin/env python3
"""A 100-connection configuration applied, planned and destroyed by the real CLI (terraform, else tofu; FOUNDRY_E2E_CLI) against the
emulator: wall time per phase, HTTP requests and TCP connections per phase, tokens issued.

Figures, never pass/fail. The point of the connection count: one curl share per provider process, so a
phase opens a handful of connections however many resources it touches (issue 4).
Usage: bench_plan100.py BUILD_DIR [N]
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build"))
N = int(sys.argv[2]) if len(sys.argv) > 2 else 100
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
    print(f"{label:<28} {dt:7.2f} s   {req:5d} requests   {conns:3d} TCP connections   {toks:2d} tokens")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        emu = harness.Emulator(tmp)
        try:
            emu.config(delete_hold_ms=0)
            ws = harness.Workspace(tmp, emu, "bench", provider_binary=harness.PROVIDER_BIN)
            ws.write("main.tf", CONFIG)
            print(f"bench_plan100: {N} connections in one project ({harness.CLI_NAME}, emulator on loopback)", flush=True)
            phase(emu, ws, f"apply (create {N})", "apply", "-auto-approve", "-no-color")
            phase(emu, ws, f"plan (refresh {N}, no change)", "plan", "-detailed-exitcode", "-no-color")
            phase(emu, ws, f"destroy ({N})", "destroy", "-auto-approve", "-no-color")
        finally:
            emu.stop()


if __name__ == "__main__":
    main()
