"""Shared helpers for the end-to-end suite.

The scenarios drive the built provider binary through a real CLI, `terraform` or `tofu`, against the local ARM
emulator (`emulator/armemu.py`). Nothing here talks to anything but 127.0.0.1: every provider is a dev_overrides
entry, `init` becomes `get` (local modules only, no registry lookups), and CHECKPOINT_DISABLE=1.

Environment (set by tests/e2e/CMakeLists.txt):
  FOUNDRY_BUILD_DIR   the CMake build dir (terraform-provider-foundry, asan/terraform-provider-foundry)
  FOUNDRY_SOURCE_DIR  the repository root (emulator/, examples/, scripts/tofu.sh)
  FOUNDRY_E2E_CLI     `terraform` or `tofu`: which CLI runs the scenarios. terraform is used when the machine has
                      one (PATH, or FOUNDRY_TERRAFORM) and the module is skipped, saying so, when not; tofu is the
                      one scripts/tofu.sh builds (or FOUNDRY_TOFU), and its absence is a failure, never a skip.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterable

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.environ.get("FOUNDRY_SOURCE_DIR", os.path.join(HERE, "..", "..")))
BUILD_DIR = os.path.abspath(os.environ.get("FOUNDRY_BUILD_DIR", os.path.join(SOURCE_DIR, "build")))

PROVIDER_BIN = os.path.join(BUILD_DIR, "terraform-provider-foundry")
PROVIDER_ASAN_BIN = os.path.join(BUILD_DIR, "asan", "terraform-provider-foundry")
EMULATOR_PY = os.path.join(SOURCE_DIR, "emulator", "armemu.py")
FAKEGW_PY = os.path.join(SOURCE_DIR, "emulator", "fakegw.py")
EXAMPLES_DIR = os.path.join(SOURCE_DIR, "examples")

PROVIDER_SOURCE = "registry.terraform.io/foundry-labs/foundry"
RESOURCE_TYPE = "foundry_gateway_connection"

# The emulator's seeded parents and identities (emulator contract).
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
CLIENT_ID = "11111111-1111-1111-1111-111111111111"
CLIENT_SECRET = "emulator-client-secret"
ACCOUNT_ID = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-foundry/providers/"
              "Microsoft.CognitiveServices/accounts/foundry-acct")
PROJECT_ID = ACCOUNT_ID + "/projects/proj-main"
PROJECT_DEV_ID = ACCOUNT_ID + "/projects/proj-dev"
API_VERSION = "2026-09-01"  # the provider's default (issue text)

# Keys ARM adds to `properties` on its own (read-only in the spec, docs/internals/arm.md 1.4); never part of what we compare.
SERVICE_PROPERTIES = ("group", "createdByWorkspaceArmId")
# Metadata values that are JSON documents serialised into strings (docs/internals/arm.md 2.3).
JSON_METADATA_KEYS = ("models", "modelDiscovery", "customHeaders", "authConfig")

# One CLI command must never take long; a hang is a failure, not a reason to wait for ctest's timeout.
COMMAND_TIMEOUT = float(os.environ.get("FOUNDRY_E2E_COMMAND_TIMEOUT", "240"))


def connection_id(parent: str, name: str) -> str:
    return f"{parent}/connections/{name}"


# --------------------------------------------------------------------------------------------- the CLI
# terraform: the machine's (1.11 here); terraform-latest: the newest Terraform, built by scripts/terraform.sh; tofu:
# OpenTofu, built by scripts/tofu.sh. CLI_KIND says which product's rules (features, wording) apply.
CLI_NAME = os.environ.get("FOUNDRY_E2E_CLI", "terraform")
if CLI_NAME not in ("terraform", "terraform-latest", "tofu"):
    raise SystemExit(f"FOUNDRY_E2E_CLI={CLI_NAME!r}: terraform, terraform-latest or tofu")
CLI_KIND = "tofu" if CLI_NAME == "tofu" else "terraform"

# What a scenario needs of the CLI, and from which version each has it. A scenario on an older CLI is skipped
# with the reason (unittest -v prints it); nothing is skipped without one.
FEATURES = {
    "write_only": {"terraform": (1, 11), "tofu": (1, 11)},   # write-only attributes (api_key_wo)
    "import_block": {"terraform": (1, 5), "tofu": (1, 6)},   # import {} blocks
    "terraform_data": {"terraform": (1, 4), "tofu": (1, 6)},  # built-in terraform_data (refined unknowns)
    "check_block": {"terraform": (1, 5), "tofu": (1, 6)},     # check {} blocks with scoped data sources
    "functions": {"terraform": (1, 8), "tofu": (1, 7)},       # provider::foundry::... functions
    "moved_across_types": {"terraform": (1, 8), "tofu": (1, 9)},  # moved {} from another provider's resource
    "ephemeral": {"terraform": (1, 10), "tofu": (1, 11)},     # ephemeral "..." blocks
    "identity": {"terraform": (1, 12), "tofu": None},         # resource identity, import { identity = {...} }
    "query": {"terraform": (1, 14), "tofu": None},            # terraform query and list resources
}


def _built(script: str, name: str, *args: str) -> tuple[str | None, str]:
    """A CLI the setup builds into its cache (scripts/tofu.sh, scripts/terraform.sh): its path, or why it is not
    there, with the end of its build log."""
    path = subprocess.run([os.path.join(SOURCE_DIR, "scripts", script), "path", *args], capture_output=True,
                          text=True, check=True).stdout.strip()
    if os.access(path, os.X_OK):
        return path, ""
    log = os.path.join(os.path.dirname(path), "build.log")
    why = f"{name} is not built at {path}: scripts/setup.sh builds it (scripts/{script} ensure)"
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            why += "; its build log ends:\n" + "".join(f.readlines()[-20:])
    return None, why


def _resolve_cli() -> tuple[str | None, str]:
    """(path or None, why it is missing)."""
    if CLI_NAME == "terraform":
        path = os.environ.get("FOUNDRY_TERRAFORM") or shutil.which("terraform")
        return path, "no terraform CLI on this machine (PATH or FOUNDRY_TERRAFORM); these machines carry one"
    if CLI_NAME == "terraform-latest":
        return _built("terraform.sh", "the newest Terraform")
    path = os.environ.get("FOUNDRY_TOFU") or shutil.which("tofu")
    if path:
        return path, ""
    return _built("tofu.sh", "OpenTofu")


CLI_PATH, CLI_MISSING = _resolve_cli()
_cli_version: tuple[int, ...] | None = None


def cli_version() -> tuple[int, ...]:
    global _cli_version
    if _cli_version is None:
        out = subprocess.run([CLI_PATH, "version", "-json"], capture_output=True, text=True,
                             env={"PATH": os.environ.get("PATH", ""), "CHECKPOINT_DISABLE": "1",
                                  "TF_CLI_CONFIG_FILE": os.devnull, "HOME": tempfile.gettempdir()})
        v = json.loads(out.stdout)["terraform_version"]
        _cli_version = tuple(int(x) for x in re.findall(r"\d+", v)[:3])
        print(f"\ne2e: {CLI_NAME} {v} ({CLI_PATH})", file=sys.stderr, flush=True)
    return _cli_version


def require(feature: str) -> None:
    """Skip the calling test, saying why, when the CLI under test lacks `feature` (see FEATURES)."""
    need = FEATURES[feature][CLI_KIND]
    if need is None:
        raise unittest.SkipTest(f"{CLI_NAME} {'.'.join(map(str, cli_version()))} has no {feature} (OpenTofu "
                                f"does not implement it)")
    if cli_version() < need:
        raise unittest.SkipTest(f"{CLI_NAME} {'.'.join(map(str, cli_version()))} lacks {feature} "
                                f"(needs {'.'.join(map(str, need))})")


# --------------------------------------------------------------------------------------------- emulator
class EmulatorError(AssertionError):
    pass


class Emulator:
    """One armemu.py process on a free loopback port, plus its control plane (emulator contract)."""

    def __init__(self, workdir: str, extra_args: Iterable[str] = ()):
        self.workdir = workdir
        self.port_file = os.path.join(workdir, "emulator.port")
        self.log_file = os.path.join(workdir, "emulator.log")
        self.stderr_path = os.path.join(workdir, "emulator.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, EMULATOR_PY, "--port", "0", "--port-file", self.port_file, "--log", self.log_file,
             *extra_args],
            stdout=self._stderr, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        port = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with open(self.port_file) as f:
                    port = f.read().strip()
            except FileNotFoundError:
                port = ""
            if port.isdigit():
                break
            time.sleep(0.05)
        if not port.isdigit():
            self.stop()
            raise EmulatorError(f"the ARM emulator did not start; its output:\n{self.output()}")
        self.port = int(port)
        self.url = f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()

    # -- raw HTTP (no keep-alive needed: the control plane is cheap)
    def request(self, method: str, path: str, body: Any = None, headers: dict | None = None,
                raw_body: bytes | None = None) -> tuple[int, dict, Any]:
        data = raw_body
        hdrs = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, rh, payload = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            status, rh, payload = e.code, dict(e.headers), e.read()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload.decode("utf-8", "replace")
        return status, rh, parsed

    def control(self, method: str, path: str, body: Any = None) -> Any:
        status, _, parsed = self.request(method, "/_emulator/" + path, body)
        if status >= 300:
            raise EmulatorError(f"{method} /_emulator/{path} -> {status}: {parsed}")
        return parsed

    # -- control plane
    def reset(self) -> None:
        self.control("POST", "reset", {})

    def store(self) -> dict:
        return self.control("GET", "store")

    def stored(self, rid: str) -> dict:
        """The store entry ({"resource", "credentials"}) of one connection, looked up ignoring case."""
        for k, v in self.store().items():
            if k.lower() == rid.lower():
                return v
        raise AssertionError(f"{rid} is not in the emulator store: {sorted(self.store())}")

    def put_store(self, rid: str, resource: dict) -> None:
        self.control("PUT", "store?id=" + urllib.parse.quote(rid, safe=""), resource)

    def delete_store(self, rid: str) -> None:
        self.control("DELETE", "store?id=" + urllib.parse.quote(rid, safe=""))

    def requests(self) -> list[dict]:
        return self.control("GET", "requests")["requests"]

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def stats(self) -> dict:
        return self.control("GET", "stats")

    def add_fault(self, **rule: Any) -> None:
        self.control("POST", "faults", rule)

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def config(self, **cfg: Any) -> None:
        self.control("POST", "config", cfg)

    # -- the service as a client would use it (out-of-band writes for import tests)
    def token(self) -> str:
        form = urllib.parse.urlencode({
            "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "scope": "https://management.core.windows.net//.default"}).encode()
        status, _, body = self.request("POST", f"/{TENANT_ID}/oauth2/v2.0/token", raw_body=form,
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            raise EmulatorError(f"token request -> {status}: {body}")
        return body["access_token"]

    def arm(self, method: str, rid: str, body: Any = None, api_version: str = API_VERSION) -> tuple[int, Any]:
        status, _, parsed = self.request(method, f"{rid}?api-version={api_version}", body,
                                         headers={"Authorization": "Bearer " + self.token()})
        return status, parsed

    # -- request log helpers
    def arm_requests(self, method: str | None = None, name: str | None = None) -> list[dict]:
        """Logged requests on connection resources (not token, IMDS or control plane calls)."""
        out = []
        for r in self.requests():
            path = r.get("path", "")
            if "/connections" not in path.lower():
                continue
            if method and r.get("method") != method:
                continue
            if name and not path.lower().rstrip("/").endswith("/connections/" + name.lower()):
                continue
            out.append(r)
        return out


class FakeGateway:
    """emulator/fakegw.py on a free loopback port: APIM under /apim, LiteLLM under /litellm, an OAuth2 token
    endpoint, its own CA in `ca_pem` (a file path)."""

    def __init__(self, workdir: str):
        import ssl
        self.dir = os.path.join(workdir, "fakegw")
        os.makedirs(self.dir, exist_ok=True)
        port_file = os.path.join(self.dir, "port")
        self._err = open(os.path.join(self.dir, "stderr"), "wb")
        self.proc = subprocess.Popen([sys.executable, FAKEGW_PY, "--port", "0", "--port-file", port_file,
                                      "--cert-dir", os.path.join(self.dir, "certs")],
                                     stdout=self._err, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not os.path.exists(port_file):
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(port_file):
            self.stop()
            raise EmulatorError("the fake gateway did not start")
        with open(port_file) as f:
            self.port = int(f.read())
        self.ca_pem = os.path.join(self.dir, "certs", "ca.pem")
        self._ctx = ssl.create_default_context(cafile=self.ca_pem)

    def url(self, host: str, path: str) -> str:
        return f"https://{host}:{self.port}{path}"

    def resolve(self, *hosts: str) -> dict:
        return {f"{h}:{self.port}": f"127.0.0.1:{self.port}" for h in hosts}

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"https://localhost:{self.port}/_gateway/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30, context=self._ctx) as resp:
            return json.loads(resp.read())

    def config(self, **cfg: Any) -> None:
        self.control("POST", "config", cfg)

    def reset(self) -> None:
        self.control("POST", "reset", {})

    def requests(self) -> list[dict]:
        return self.control("GET", "requests")["requests"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel's choice)."""
    import socket
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


class LiteLLMGateway:
    """A real LiteLLM proxy (scripts/gateways.sh installs it from PyPI, pinned with hashes) on a free loopback port:
    HTTPS with a CA made here (`ca_pem`), `mock_response` models (no upstream is called), a master key. Its absence is
    a failure with the install log, never a skip."""

    MODELS = ("gpt-4o", "gpt-4o-mini")

    def __init__(self, workdir: str, master_key: str):
        self.dir = os.path.join(workdir, "litellm")
        os.makedirs(self.dir, exist_ok=True)
        gw_sh = os.path.join(SOURCE_DIR, "scripts", "gateways.sh")
        binary = subprocess.run([gw_sh, "path", "litellm"], capture_output=True, text=True, check=True).stdout.strip()
        if not os.access(binary, os.X_OK):
            log = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(binary))), "install.log")
            why = f"LiteLLM is not installed at {binary}: scripts/setup.sh installs it (scripts/gateways.sh ensure litellm)"
            if os.path.exists(log):
                with open(log, errors="replace") as f:
                    why += "; its install log ends:\n" + "".join(f.readlines()[-20:])
            raise AssertionError(why)
        self.ca_pem = os.path.join(self.dir, "ca.pem")
        self._certs()
        with open(os.path.join(self.dir, "config.yaml"), "w") as f:
            f.write("model_list:\n")
            for m in self.MODELS:
                f.write(f"  - model_name: {m}\n    litellm_params:\n      model: openai/{m}\n"
                        "      api_key: not-used\n      mock_response: pong\n")
            f.write(f"general_settings:\n  master_key: {master_key}\n")
        self.port = free_port()
        self._log = open(os.path.join(self.dir, "litellm.log"), "wb")
        env = dict(os.environ, LITELLM_TELEMETRY="False", LITELLM_LOCAL_MODEL_COST_MAP="True",
                   NO_PROXY="*", HOME=self.dir)
        self.proc = subprocess.Popen([binary, "--config", os.path.join(self.dir, "config.yaml"), "--host", "127.0.0.1",
                                      "--port", str(self.port), "--ssl_keyfile_path", os.path.join(self.dir, "srv.key"),
                                      "--ssl_certfile_path", os.path.join(self.dir, "srv.pem")],
                                     stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                     cwd=self.dir)
        import ssl
        ctx = ssl.create_default_context(cafile=self.ca_pem)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"https://localhost:{self.port}/health/liveliness", timeout=2,
                                            context=ctx):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        self.stop()
        with open(os.path.join(self.dir, "litellm.log"), errors="replace") as f:
            raise EmulatorError("LiteLLM did not start; its log ends:\n" + "".join(f.readlines()[-30:]))

    def _certs(self) -> None:
        d = self.dir
        run = lambda *a: subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=foundry e2e LiteLLM CA")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost")
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost,DNS:litellm.gateway.test,IP:127.0.0.1\n")
        run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem",
            "-days", "2", "-extfile", "ext.cnf")

    def url(self, path: str) -> str:
        return f"https://litellm.gateway.test:{self.port}{path}"

    def resolve(self) -> dict:
        return {f"litellm.gateway.test:{self.port}": f"127.0.0.1:{self.port}"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()


# -------------------------------------------------------------------------------------- comparisons
def normalise_properties(props: dict) -> dict:
    """`properties` as stored, with service-added keys dropped and JSON-string metadata parsed again."""
    p = copy.deepcopy(props)
    for k in SERVICE_PROPERTIES:
        p.pop(k, None)
    md = p.get("metadata")
    if isinstance(md, dict):
        for k in JSON_METADATA_KEYS:
            if isinstance(md.get(k), str):
                try:
                    md[k] = json.loads(md[k])
                except ValueError:
                    pass  # left as a string: the comparison then shows it was not JSON
    return p


def wire_properties(props: dict) -> dict:
    """Expected `properties` (metadata JSON values as Python objects) turned into what goes on the wire:
    metadata JSON values serialised into strings (docs/internals/arm.md 0.3)."""
    p = copy.deepcopy(props)
    md = p.get("metadata")
    if isinstance(md, dict):
        for k, v in md.items():
            if not isinstance(v, str):
                md[k] = json.dumps(v, separators=(",", ":"))
    return p


def expected_properties(props: dict) -> dict:
    """Expected `properties` written with metadata JSON values as Python objects (same normal form)."""
    return normalise_properties(props)


def diff_paths(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Paths (Terraform-like: `models[1].model_version`, `metadata["models"]`) where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", k):
                p = f"{prefix}.{k}" if prefix else k
            else:
                p = f'{prefix}["{k}"]'
            out += diff_paths(a.get(k), b.get(k), p)
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            out += diff_paths(a[i] if i < len(a) else None, b[i] if i < len(b) else None, f"{prefix}[{i}]")
        return out
    return [] if a == b else [prefix or "."]


def top_level(paths: Iterable[str]) -> set[str]:
    return {re.split(r"[.\[]", p, maxsplit=1)[0] for p in paths}


# -------------------------------------------------------------------------------------- workspaces
@dataclass
class Result:
    args: list[str]
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def describe(self) -> str:
        return (f"$ {CLI_NAME} {' '.join(self.args)}\n-> exit {self.rc}\n--- stdout\n{self.stdout[-6000:]}\n"
                f"--- stderr\n{self.stderr[-6000:]}")


ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Workspace:
    """A Terraform working directory under the test's temp dir, with the CLI config and environment that
    scripts/demo.sh uses (dev_overrides to the build dir, ARM_* pointing at the emulator)."""

    def __init__(self, root: str, emulator: Emulator, subdir: str, provider_binary: str | None = None,
                 env: dict | None = None, installation: str | None = None):
        self.root = root
        self.cli = CLI_PATH
        self.dir = os.path.join(root, subdir)
        os.makedirs(self.dir, exist_ok=True)
        self.emulator = emulator
        self.home = os.path.join(root, "home")
        os.makedirs(self.home, exist_ok=True)
        self.cli_config = os.path.join(root, "cli.tfrc")
        # `installation`: a provider_installation block of the test's own (a filesystem mirror); `init` then
        # really installs, as it does for users.
        self.real_init = installation is not None
        if installation is not None:
            with open(self.cli_config, "w") as f:
                f.write(installation)
        elif not os.path.exists(self.cli_config):
            # The real CLI finds the provider only through dev_overrides, so a test that asks for another binary
            # (the ASan one) overrides to that binary's directory.
            override = os.path.dirname(provider_binary) if provider_binary else BUILD_DIR
            with open(self.cli_config, "w") as f:
                f.write("provider_installation {\n  dev_overrides {\n"
                        f'    "{PROVIDER_SOURCE}" = "{override}"\n  }}\n  direct {{}}\n}}\n')
        self.env = self._base_env(provider_binary)
        if env:
            self.env.update(env)
        self.history: list[Result] = []

    def _base_env(self, provider_binary: str | None) -> dict:
        # Start from a clean slate: nothing from the developer's shell (ARM_*, TF_*, AZURE_*) leaks in.
        keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "ASAN_SYMBOLIZER_PATH")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update({
            "HOME": self.home,
            "TF_CLI_CONFIG_FILE": self.cli_config,
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            # scripts/demo.sh: the emulator's service principal and endpoints, the azapi way (a custom cloud:
            # ARM_ENVIRONMENT=custom with its three endpoint variables configures azapi and this provider alike).
            "ARM_ENVIRONMENT": "custom",
            "ARM_RESOURCE_MANAGER_ENDPOINT": self.emulator.url,
            "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST": self.emulator.url + "/",
            "ARM_RESOURCE_MANAGER_AUDIENCE": "https://management.core.windows.net/",
            "ARM_TENANT_ID": TENANT_ID,
            "ARM_CLIENT_ID": CLIENT_ID,
            "ARM_CLIENT_SECRET": CLIENT_SECRET,
            "ARM_USE_CLI": "false",
        })
        return env

    # -- files
    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def read(self, name: str) -> str:
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def remove(self, name: str) -> None:
        os.remove(os.path.join(self.dir, name))

    # -- commands
    def run(self, *args: str, env: dict | None = None, timeout: float = COMMAND_TIMEOUT) -> Result:
        if args and args[0] == "init" and not self.real_init:
            # Terraform's own advice with dev_overrides ("Skip terraform init ... It is not necessary"): its init
            # would still ask registry.terraform.io for the provider, and nothing here may leave the machine.
            # `get` installs the local modules (module-usage needs them) without any provider lookup.
            args = ("get", *args[1:])
        full = [f"-chdir={self.dir}", *args]
        e = dict(self.env)
        if env:
            e.update(env)
        proc = subprocess.Popen([self.cli, *full], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, env=e, cwd=self.dir, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # The whole process group: the CLI and the provider processes it started.
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            r = Result(list(args), -9, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
            self.history.append(r)
            raise AssertionError(f"{CLI_NAME} {' '.join(args)} did not finish in {timeout:.0f} s\n{r.describe()}")
        r = Result(list(args), proc.returncode, ANSI.sub("", out.decode("utf-8", "replace")),
                   ANSI.sub("", err.decode("utf-8", "replace")))
        self.history.append(r)
        return r

    def start(self, *args: str, env: dict | None = None) -> subprocess.Popen:
        """The CLI in the background (its own process group), for tests that interrupt or crash an apply."""
        e = dict(self.env)
        if env:
            e.update(env)
        return subprocess.Popen([self.cli, f"-chdir={self.dir}", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=e, cwd=self.dir,
                                start_new_session=True)

    def state(self, path: str = "terraform.tfstate") -> dict:
        full = os.path.join(self.dir, path)
        if not os.path.exists(full):
            return {"version": 4, "resources": []}
        with open(full) as f:
            return json.load(f)

    def state_text(self, path: str = "terraform.tfstate") -> str:
        full = os.path.join(self.dir, path)
        if not os.path.exists(full):
            return ""
        with open(full) as f:
            return f.read()

    def instances(self, type_: str = RESOURCE_TYPE) -> dict[str, dict]:
        """address -> attributes of every managed instance of `type_` in the state file (format v4)."""
        out = {}
        for res in self.state().get("resources", []):
            if res.get("mode") != "managed" or res.get("type") != type_:
                continue
            base = (res["module"] + "." if res.get("module") else "") + f"{res['type']}.{res['name']}"
            for inst in res.get("instances", []):
                addr = base
                if "index_key" in inst:
                    k = inst["index_key"]
                    addr += f'["{k}"]' if isinstance(k, str) else f"[{k}]"
                out[addr] = inst
        return out


def write_registry_layout(ws: "Workspace") -> None:
    """examples/provider/provider.tf + resources/.../resource.tf + data-sources/.../data-source.tf in one
    directory. The data source gets `depends_on` the resource: its arguments are all known at plan time, so
    without it Terraform reads it during plan, before the create (Terraform defers a data read only for
    unknown arguments or a depends_on with pending changes, `forcePlanReadData`)."""
    parts = {"provider.tf": ("provider", "provider.tf"),
             "resource.tf": ("resources", RESOURCE_TYPE, "resource.tf"),
             "data-source.tf": ("data-sources", RESOURCE_TYPE, "data-source.tf")}
    for dst, src in parts.items():
        with open(os.path.join(EXAMPLES_DIR, *src)) as f:
            text = f.read()
        if dst == "data-source.tf":
            anchor = '  name      = "apim-gateway"\n'
            if anchor not in text:
                raise AssertionError("examples/data-sources changed shape; update write_registry_layout")
            text = text.replace(anchor, anchor + f"\n  depends_on = [{RESOURCE_TYPE}.apim]\n")
        ws.write(dst, text)


def resource_change(plan: dict, address: str) -> dict:
    for rc in plan.get("resource_changes", []):
        if rc.get("address") == address:
            return rc
    raise AssertionError(f"no resource change for {address} in {json.dumps(plan)[:3000]}")


# -------------------------------------------------------------------------------------- test base
class E2ETestCase(unittest.TestCase):
    """One emulator per test class; every test gets a fresh temp dir and a reset emulator."""

    emulator: Emulator
    maxDiff = None

    @classmethod
    def setUpClass(cls) -> None:
        if CLI_PATH is None:
            if CLI_NAME == "terraform":
                raise unittest.SkipTest(CLI_MISSING)
            raise AssertionError(CLI_MISSING)  # e2e.tofu and e2e.terraform-latest never pass by skipping
        cli_version()
        missing = [p for p in (PROVIDER_BIN, EMULATOR_PY) if not os.path.exists(p)]
        if missing:
            # A missing binary is a failure (CI builds ALL first); FOUNDRY_E2E_SKIP_MISSING=1 is for partial
            # local builds only.
            msg = f"not built / missing: {missing} (FOUNDRY_BUILD_DIR={BUILD_DIR})"
            if os.environ.get("FOUNDRY_E2E_SKIP_MISSING"):
                raise unittest.SkipTest(msg)
            raise AssertionError(msg)
        cls._class_tmp = tempfile.mkdtemp(prefix=f"foundry-e2e-{cls.__name__}-")
        try:
            cls.emulator = Emulator(cls._class_tmp)
        except Exception:
            shutil.rmtree(cls._class_tmp, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.emulator.stop()
        if os.environ.get("FOUNDRY_E2E_KEEP"):
            print(f"kept {cls._class_tmp}", file=sys.stderr)
        else:
            shutil.rmtree(cls._class_tmp, ignore_errors=True)

    def setUp(self) -> None:
        self.emulator.reset()
        self.tmp = tempfile.mkdtemp(prefix=self._testMethodName + "-", dir=self._class_tmp)
        self.workspaces: list[Workspace] = []

    # Secrets a class uses: when set, every CLI run of its tests logs at TRACE to a file, and each file is scanned for
    # each secret when the test ends (the emulator's client secret always).
    trace_secrets: tuple = ()

    def tearDown(self) -> None:
        if self.trace_secrets:
            self.scan_trace_logs()
        # Best effort: nothing a test created stays behind in the emulator either.
        if not os.environ.get("FOUNDRY_E2E_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def scan_trace_logs(self) -> None:
        secrets = [*self.trace_secrets, CLIENT_SECRET]
        logs = [os.path.join(self.tmp, f) for f in os.listdir(self.tmp) if f.startswith("trace-")]
        for log in logs:
            with open(log, errors="replace") as f:
                text = f.read()
            for secret in secrets:
                self.assertNotIn(secret, text, f"a secret is in the TRACE log {log}")

    # -- workspaces
    def workspace(self, example: str | None = None, files: dict[str, str] | None = None, subdir: str | None = None,
                  **kw: Any) -> Workspace:
        """A copy of the whole examples/ tree (modules need their ../modules sibling), opened at `example`;
        or an empty dir with `files`."""
        if self.trace_secrets:
            env = dict(kw.pop("env", None) or {})
            env.setdefault("TF_LOG", "TRACE")
            env.setdefault("TF_LOG_PATH", os.path.join(self.tmp, f"trace-{len(self.workspaces)}.log"))
            kw["env"] = env
        if example is not None:
            ex_root = os.path.join(self.tmp, "examples")
            if not os.path.exists(ex_root):
                shutil.copytree(EXAMPLES_DIR, ex_root)
            ws = Workspace(self.tmp, self.emulator, os.path.join("examples", example), **kw)
        else:
            ws = Workspace(self.tmp, self.emulator, subdir or f"ws{len(self.workspaces)}", **kw)
        for name, text in (files or {}).items():
            ws.write(name, text)
        self.workspaces.append(ws)
        return ws

    # -- assertions
    def ok(self, ws: Workspace, *args: str, env: dict | None = None) -> Result:
        r = ws.run(*args, env=env)
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def apply(self, ws: Workspace, *extra: str, env: dict | None = None) -> Result:
        return self.ok(ws, "apply", "-auto-approve", "-no-color", *extra, env=env)

    def destroy(self, ws: Workspace, *extra: str, env: dict | None = None) -> Result:
        return self.ok(ws, "destroy", "-auto-approve", "-no-color", *extra, env=env)

    def plan_exit(self, ws: Workspace, expected: int, *extra: str, env: dict | None = None) -> Result:
        r = ws.run("plan", "-detailed-exitcode", "-no-color", *extra, env=env)
        self.assertEqual(r.rc, expected, r.describe())
        return r

    def plan_json(self, ws: Workspace, *extra: str, env: dict | None = None) -> dict:
        """The JSON plan (resource_changes): `plan -out` then `show -json`, as both CLIs document it."""
        r = ws.run("plan", "-out=e2e.tfplan", "-no-color", *extra, env=env)
        self.assertIn(r.rc, (0, 2), r.describe())
        r = ws.run("show", "-json", "e2e.tfplan", env=env)
        self.assertEqual(r.rc, 0, r.describe())
        return json.loads(r.stdout)

    def assertStoredProperties(self, rid: str, expected: dict, credentials: dict | None = None) -> dict:
        entry = self.emulator.stored(rid)
        got = normalise_properties(entry["resource"].get("properties", {}))
        self.assertEqual(got, expected_properties(expected), f"stored properties of {rid}")
        if credentials is not None:
            creds = entry.get("credentials") or {}
            self.assertEqual(creds, credentials, f"stored credentials of {rid}")
        return entry

    def assertStoreEmpty(self) -> None:
        self.assertEqual(self.emulator.store(), {}, "the emulator store still holds connections")

    def assertNoPut(self) -> None:
        puts = [f"{r['method']} {r['path']}" for r in self.emulator.requests() if r.get("method") in
                ("PUT", "PATCH", "DELETE") and not r.get("path", "").startswith("/_emulator")]
        self.assertEqual(puts, [], "writes reached ARM although the configuration is invalid")
