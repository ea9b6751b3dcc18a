#!/usr/bin/env python3
"""A fake AI gateway for the gateway check (provider/gateway_check.c): one loopback HTTPS server, with its own CA
generated at start (openssl), that plays Azure API Management in front of Azure OpenAI (under /apim) and a
LiteLLM-style gateway (under /litellm), plus an OAuth2 token endpoint (/oauth2/token). Python standard library and
the openssl command only; loopback only.

Routes, as Foundry's agents use them (foundry-samples 01-connections/apim and model-gateway):
  APIM     GET  /apim/deployments[?api-version=V]                -> {"value": [{"name", "properties": {"model"}}]}
           GET  /apim/deployments/{name}[?api-version=V]
           POST /apim/deployments/{name}/chat/completions?api-version=V   (in_path mode)
           POST /apim/chat/completions?api-version=V  {"model": name}      (body mode)
           key in the `api-key` header
  LiteLLM  GET  /litellm/models, GET /litellm/models/{name}, POST /litellm/chat/completions {"model": name}
           key as `Authorization: Bearer KEY`, or an OAuth2 token from /oauth2/token

Control: POST /_gateway/config with any of the settings below (JSON); GET /_gateway/requests lists what came.
  key, accept_bearer, api_version (required on APIM calls; "" = none), deployments, in_path, discovery (false: the two APIM
  discovery operations are missing -> 404), delay_ms (every gateway answer), redirect (302 to other.gateway.test),
  client_id / client_secret (the OAuth2 client).

Usage: fakegw.py --port 0 --port-file F --cert-dir D   (writes D/ca.pem, D/server.pem, D/server.key)
"""

import argparse
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOSTS = ["localhost", "apim.gateway.test", "litellm.gateway.test", "other.gateway.test"]
DEFAULTS = {
    "key": "gw-test-key", "api_version": "2024-10-21", "deployments": ["gpt-4o", "gpt-4o-mini"], "in_path": True,
    "discovery": True, "delay_ms": 0, "redirect": False, "client_id": "gw-client", "client_secret": "gw-client-secret",
    "accept_bearer": False,  # APIM also takes any Authorization: Bearer token (a managed identity's)
}


def make_certs(d: str) -> None:
    """A CA and a server certificate for HOSTS and 127.0.0.1, signed by it (openssl req / x509)."""
    os.makedirs(d, exist_ok=True)
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, crt = os.path.join(d, "server.key"), os.path.join(d, "server.csr"), os.path.join(d, "server.pem")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca_key,
        "-out", ca, "-days", "2", "-subj", "/CN=fakegw test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=apim.gateway.test")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=" + ",".join([f"DNS:{h}" for h in HOSTS] + ["IP:127.0.0.1"]) +
                "\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt, "-days", "2",
        "-extfile", ext)


class Gateway:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cfg = dict(DEFAULTS)
        self.requests: list[dict] = []
        self.tokens: set[str] = set()

    def model(self, name: str) -> dict:
        return {"name": name, "id": name, "properties": {"model": {"name": name, "version": "1", "format": "OpenAI"}}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakegw/1"

    def log_message(self, *args) -> None:  # quiet
        pass

    # -- plumbing
    def send(self, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status: int, code: str, message: str) -> None:
        self.send(status, {"error": {"code": code, "message": message}})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def do_GET(self) -> None:
        self.route("GET")

    def do_POST(self) -> None:
        self.route("POST")

    # -- routes
    def route(self, method: str) -> None:
        gw: Gateway = self.server.gw  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body = self.body()
        path = url.path
        if path.startswith("/_gateway/"):
            return self.control(gw, method, path, body)
        with gw.lock:
            cfg = dict(gw.cfg)
            gw.requests.append({"method": method, "path": self.path, "host": self.headers.get("Host"),
                                "headers": {k.lower(): v for k, v in self.headers.items()}})
        if path == "/oauth2/token" and method == "POST":
            form = dict(urllib.parse.parse_qsl(body if isinstance(body, str) else ""))
            if form.get("client_id") != cfg["client_id"] or form.get("client_secret") != cfg["client_secret"]:
                return self.send(401, {"error": "invalid_client", "error_description": "bad client credentials"})
            tok = "gw-oauth2-token-" + str(len(gw.tokens))
            with gw.lock:
                gw.tokens.add(tok)
            return self.send(200, {"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
        if cfg["delay_ms"]:
            time.sleep(cfg["delay_ms"] / 1000)
        if cfg["redirect"]:
            return self.send(302, {}, {"Location": "https://other.gateway.test" + self.path})
        if path.startswith("/apim/"):
            return self.apim(cfg, method, path[len("/apim"):], q, body)
        if path.startswith("/litellm/"):
            return self.litellm(gw, cfg, method, path[len("/litellm"):], body)
        return self.error(404, "NotFound", f"no route {method} {path}")

    def apim(self, cfg: dict, method: str, path: str, q: dict, body) -> None:
        bearer = (self.headers.get("Authorization") or "").startswith("Bearer ")
        if self.headers.get("api-key") != cfg["key"] and not (cfg["accept_bearer"] and bearer):
            return self.error(401, "401", "Access denied due to invalid subscription key.")
        if cfg["api_version"] and q.get("api-version") != cfg["api_version"]:
            return self.error(400, "BadRequest", f"api-version {q.get('api-version')!r} is not supported")
        m = re.fullmatch(r"/deployments(?:/([^/]+))?", path)
        if m and method == "GET":
            if not cfg["discovery"]:
                return self.error(404, "404", "Resource not found")
            if m.group(1) is None:
                return self.send(200, {"value": [Gateway().model(d) for d in cfg["deployments"]]})
            if m.group(1) not in cfg["deployments"]:
                return self.error(404, "DeploymentNotFound", f"The API deployment {m.group(1)} does not exist.")
            return self.send(200, Gateway().model(m.group(1)))
        m = re.fullmatch(r"/deployments/([^/]+)/chat/completions", path)
        if m and method == "POST" and cfg["in_path"]:
            return self.complete(cfg, m.group(1))
        if path == "/chat/completions" and method == "POST" and not cfg["in_path"]:
            return self.complete(cfg, (body or {}).get("model") if isinstance(body, dict) else None)
        return self.error(404, "404", "Resource not found")

    def litellm(self, gw: Gateway, cfg: dict, method: str, path: str, body) -> None:
        auth = self.headers.get("Authorization") or ""
        tok = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        if tok != cfg["key"] and tok not in gw.tokens:
            return self.send(401, {"error": {"message": "Authentication Error", "code": "401"}})
        m = re.fullmatch(r"/models(?:/([^/]+))?", path)
        if m and method == "GET":
            if m.group(1) is None:
                return self.send(200, {"object": "list", "data": [{"id": d, "object": "model"} for d in cfg["deployments"]]})
            if m.group(1) not in cfg["deployments"]:
                return self.send(404, {"error": {"message": f"model {m.group(1)} not found", "code": "404"}})
            return self.send(200, {"id": m.group(1), "object": "model"})
        if path == "/chat/completions" and method == "POST":
            return self.complete(cfg, (body or {}).get("model") if isinstance(body, dict) else None)
        return self.send(404, {"error": {"message": "not found", "code": "404"}})

    def complete(self, cfg: dict, model) -> None:
        if model not in cfg["deployments"]:
            return self.error(404, "DeploymentNotFound", f"The API deployment {model} does not exist.")
        self.send(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"},
                                     "finish_reason": "length"}]})

    def control(self, gw: Gateway, method: str, path: str, body) -> None:
        with gw.lock:
            if path == "/_gateway/config" and method == "POST":
                unknown = set(body or {}) - set(DEFAULTS)
                if unknown:
                    return self.send(400, {"error": f"unknown settings {sorted(unknown)}"})
                gw.cfg.update(body or {})
                return self.send(200, gw.cfg)
            if path == "/_gateway/reset" and method == "POST":
                gw.cfg, gw.requests, gw.tokens = dict(DEFAULTS), [], set()
                return self.send(200, gw.cfg)
            if path == "/_gateway/requests" and method == "GET":
                return self.send(200, {"requests": gw.requests})
        self.send(404, {"error": "no such control route"})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--cert-dir", required=True)
    args = ap.parse_args()
    make_certs(args.cert_dir)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.gw = Gateway()  # type: ignore[attr-defined]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(args.cert_dir, "server.pem"), os.path.join(args.cert_dir, "server.key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"fakegw: listening on https://127.0.0.1:{port}", file=sys.stderr, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
