#!/usr/bin/env python3
"""armemu (shipped as foundry-emulator.pyz): a local emulator of Azure Resource Manager for Foundry connections,
and of the Entra ID endpoints Azure clients use.

For local tests and demos only: it binds 127.0.0.1, keeps its state in memory (optionally in a JSON state file) and
does not verify the signatures of certificate assertions (the standard library has no RSA). ARM behaviours follow
docs/internals/arm.md (sections 0, 1.3-1.5, 2.3-2.4, 4.2, 5.3-5.4); the contract is in emulator/README.md. Python 3.8
or later (vermin finds nothing newer than 3.7; the tests run 3.11), standard library only; --tls-dir calls the `openssl` command once to make its certificates.

Usage: python3 armemu.py --port 0 --port-file PATH [--tls-dir DIR] [--seed FILE] [--state-file FILE]
                         [--token-lifetime SECONDS] [--no-auth] [--log FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emu.common import *  # noqa: F401,F403
from emu.faults import *  # noqa: F401,F403
from emu.store import *  # noqa: F401,F403
from emu.core import *  # noqa: F401,F403
from emu.identity import *  # noqa: F401,F403
from emu.arm import *  # noqa: F401,F403
from emu.control import *  # noqa: F401,F403

# ------------------------------------------------------------------------------------------- server

class EmulatorServer(ThreadingHTTPServer):
    """Threaded HTTP/1.1 server carrying the emulator; loopback only."""
    daemon_threads = True
    block_on_close = False  # shutdown must not wait for idle keep-alive connections
    request_queue_size = 64

    def __init__(self, port: int, emu: Emulator) -> None:
        self.emu = emu
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # client went away: not the server's problem
            return
        traceback.print_exc(file=sys.stderr)


class Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; every response has a Content-Length and the ARM headers."""
    protocol_version = "HTTP/1.1"
    server_version = "armemu/1.0"
    sys_version = ""
    timeout = 300               # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.conn_state = self.server.emu.new_connection()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        pass  # --log does this, without secrets

    def send_error(self, code: int, message: Optional[str] = None, explain: Optional[str] = None) -> None:
        """Malformed requests (bad request line, headers, framing): ARM envelope, then close."""
        self.close_connection = True
        if self.request_version == "HTTP/0.9":  # would suppress the status line
            self.request_version = "HTTP/1.0"
        short = message or self.responses.get(code, ("Error",))[0]
        resp = arm_error(code, DEFAULT_ERROR_CODES.get(code, "BadRequest"), f"Malformed request: {short}.")
        try:
            self.write_response(resp, str(uuid.uuid4()))
        except OSError:
            pass
        self.server.emu.file_log(self.conn_state.id, "-", "-", code, time.monotonic())

    def do_GET(self) -> None:
        self.serve()

    do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def serve(self) -> None:
        emu = self.server.emu
        started = time.monotonic()
        corr = self.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
        url = urlsplit(self.path)
        path = url.path or "/"
        try:
            body = self.read_body()
        except ApiError as e:
            self.close_connection = True  # framing unknown: the connection cannot be reused
            self.write_response(e.response, corr)
            emu.file_log(self.conn_state.id, self.command, path, e.response.status, started)
            return
        headers: dict[str, str] = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        req = Request(self.command, path, dict(parse_qsl(url.query, keep_blank_values=True)), headers, body,
                      self.conn_state.id, corr)
        try:
            resp = emu.handle(req, self.conn_state)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            resp = arm_error(500, "InternalServerError", "The emulator failed to process the request.")
        if resp is RESET:
            emu.file_log(self.conn_state.id, req.method, path, 0, started)
            self.reset_connection()
            return
        self.write_response(resp, corr)
        emu.file_log(self.conn_state.id, req.method, path, resp.status, started)

    def read_body(self) -> bytes:
        te = self.headers.get("Transfer-Encoding")
        if te is not None:
            if te.strip().lower() != "chunked":
                raise ApiError(arm_error(501, "NotImplemented", f"Transfer-Encoding '{te}' is not supported."))
            return self.read_chunked()
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        if len(set(v.strip() for v in lengths)) != 1 or not lengths[0].strip().isdigit():
            raise ApiError(arm_error(400, "BadRequest", "Malformed request: invalid Content-Length."))
        n = int(lengths[0])
        if n > MAX_BODY:
            raise ApiError(arm_error(413, "RequestEntityTooLarge", f"The request body exceeds {MAX_BODY} bytes."))
        data = self.rfile.read(n)
        if len(data) != n:
            raise ApiError(arm_error(400, "BadRequest", "Malformed request: the body is shorter than Content-Length."))
        return data

    def read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ApiError(arm_error(400, "BadRequest", "Malformed request: invalid chunk size."))
            if size < 0:
                raise ApiError(arm_error(400, "BadRequest", "Malformed request: invalid chunk size."))
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise ApiError(arm_error(413, "RequestEntityTooLarge", f"The request body exceeds {MAX_BODY} bytes."))
            data = self.rfile.read(size)
            if len(data) != size or self.rfile.readline(3).strip():
                raise ApiError(arm_error(400, "BadRequest", "Malformed request: truncated chunk."))
            chunks.append(data)

    def write_response(self, resp: Response, corr: str) -> None:
        self.send_response(resp.status)
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Content-Length": str(len(resp.body)),
                   "x-ms-request-id": str(uuid.uuid4()),
                   "x-ms-correlation-request-id": corr}
        if self.command in ("GET", "HEAD"):
            headers["x-ms-ratelimit-remaining-subscription-reads"] = "11999"
        elif self.command:
            headers["x-ms-ratelimit-remaining-subscription-writes"] = "1199"
        headers.update(resp.headers)
        for k, v in headers.items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if resp.body and self.command != "HEAD":
            self.wfile.write(resp.body)

    def reset_connection(self) -> None:
        """Close with RST (SO_LINGER 0) and no response; the fd closes when the handler finishes."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass


# --------------------------------------------------------------------------------------------- main

def load_seed(path: Optional[str]) -> tuple[list[str], dict[str, str], str, str]:
    """--seed JSON: {"parents": [ids], "clients": {id: secret | {"secret": s}}, "tenant", "msi_client_id"}."""
    parents, clients = list(DEFAULT_PARENTS), {CLIENT_ID: CLIENT_SECRET}
    tenant, msi = TENANT_ID, MSI_CLIENT_ID
    if not path:
        return parents, clients, tenant, msi
    with open(path, encoding="utf-8") as f:
        seed = json.load(f)
    if not isinstance(seed, dict):
        raise ValueError("the seed must be a JSON object")
    if "parents" in seed:
        if not isinstance(seed["parents"], list) or not all(isinstance(p, str) for p in seed["parents"]):
            raise ValueError("seed 'parents' must be a list of ids")
        parents = seed["parents"]
    if "clients" in seed:
        if not isinstance(seed["clients"], dict):
            raise ValueError("seed 'clients' must be an object")
        clients = {}
        for cid, v in seed["clients"].items():
            secret = v.get("secret") if isinstance(v, dict) else v
            if not isinstance(secret, str):
                raise ValueError(f"seed client '{cid}' needs a string secret")
            clients[cid] = secret
    tenant = seed.get("tenant", tenant)
    msi = seed.get("msi_client_id", msi)
    return parents, clients, tenant, msi


def write_port_file(path: str, port: int) -> None:
    """Atomically, so a poller never reads a partial number."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".armemu-port-", dir=d)
    with os.fdopen(fd, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description="Local Azure Resource Manager + Entra ID emulator for Microsoft Foundry gateway connections "
                    "(loopback only; for tests and demos).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="""What it serves, on 127.0.0.1:
  ARM        Microsoft.CognitiveServices accounts and projects (seeded), their connections (GET, list with
             nextLink paging, PUT, PATCH, DELETE), an account's projects (paged), and any other child collection
             of an account or a project (PUT, GET, DELETE)
  Entra ID   POST /{tenant}/oauth2/v2.0/token (client secret, client certificate, federated token; the scopes the
             Azure SDKs send), /{tenant}/v2.0/.well-known/openid-configuration, /common/discovery/instance
  also       IMDS (/metadata/identity/oauth2/token), a GitHub-Actions-style OIDC request endpoint (/oidc/request)
  control    /_emulator/...: reset, config (faults, paging, latency), store (seed and read), requests (the
             request log), parents (emulator/README.md)
The seeded tenant, clients and parents are in emulator/README.md; --seed replaces them.""")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--seed", help="JSON file: {\"parents\": [ids], \"clients\": {id: secret}}")
    ap.add_argument("--state-file", help="persist the store here as JSON across restarts")
    ap.add_argument("--token-lifetime", type=int, default=3600, help="seconds (default 3600)")
    ap.add_argument("--no-auth", action="store_true", help="ARM calls need no bearer token")
    ap.add_argument("--log", help="append one line per request (method, path, status) to this file")
    ap.add_argument("--tls-dir", help="serve HTTPS: make a CA and a server certificate in DIR (clients trust DIR/ca.pem) "
                                      "unless they are there already")
    args = ap.parse_args(argv)
    if args.token_lifetime < 0:
        ap.error("--token-lifetime must be >= 0")

    try:
        parents, clients, tenant, msi = load_seed(args.seed)
        store = Store(parents, args.state_file)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"armemu: {e}", file=sys.stderr)
        return 2
    emu = Emulator(store, clients, tenant, msi, args.token_lifetime, args.no_auth, args.log)
    if args.port_file and os.path.exists(args.port_file):
        os.unlink(args.port_file)  # a stale port must never be read
    try:
        server = EmulatorServer(args.port, emu)
    except OSError as e:
        print(f"armemu: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 2
    port = server.server_address[1]
    scheme = "http"
    if args.tls_dir:
        from emu.tls import make_certs, server_context
        try:
            make_certs(args.tls_dir)
            # The handshake happens in each connection's own thread, never in the accept loop.
            server.socket = server_context(args.tls_dir).wrap_socket(server.socket, server_side=True,
                                                                     do_handshake_on_connect=False)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"armemu: cannot set up TLS in {args.tls_dir}: {e}", file=sys.stderr)
            return 2
        scheme = "https"
    emu.base_url = f"{scheme}://127.0.0.1:{port}"
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        # serve_forever runs on this (main) thread: shutdown() must be called from another one.
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=lambda: (emu.shutdown(), server.shutdown()), daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_port_file(args.port_file, port)
    print(f"armemu: listening on {emu.base_url}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        emu.shutdown()
        server.server_close()
        store.save()
        if emu.log_fp:
            emu.log_fp.close()
    print("armemu: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
