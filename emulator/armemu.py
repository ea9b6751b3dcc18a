#!/usr/bin/env python3
"""armemu: a local emulator of Azure Resource Manager (CognitiveServices connections) and Entra ID.

For local tests and demos only: it binds 127.0.0.1, keeps its state in memory (optionally in a JSON
state file) and does not verify the signatures of certificate assertions (the standard library has no
RSA). ARM behaviours follow shared/reference/notes/arm-connections.md (sections 0, 1.3-1.5, 2.3-2.4,
4.2, 5.3-5.4); the contract is in emulator/README.md.

Usage: python3 armemu.py --port 0 --port-file PATH [--seed FILE] [--state-file FILE]
                         [--token-lifetime SECONDS] [--no-auth] [--log FILE]
"""
from __future__ import annotations

import argparse
import base64
import binascii
import copy
import hmac
import json
import os
import re
import secrets
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl, quote, unquote, urlsplit

# ----------------------------------------------------------------------------------------- constants

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
CLIENT_ID = "11111111-1111-1111-1111-111111111111"
CLIENT_SECRET = "emulator-client-secret"
# The system-assigned managed identity answered by the IMDS endpoint when no client_id is asked for.
MSI_CLIENT_ID = "22222222-2222-2222-2222-222222222222"
OIDC_TOKEN = "emulator-oidc-token"
OIDC_REQUEST_TOKEN = "emulator-oidc-request-token"
OIDC_AUDIENCE = "api://AzureADTokenExchange"  # notes 4.2: default audience of federated tokens
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ACCOUNT_ID = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-foundry/providers/"
              "Microsoft.CognitiveServices/accounts/foundry-acct")
DEFAULT_PARENTS = [ACCOUNT_ID, ACCOUNT_ID + "/projects/proj-main", ACCOUNT_ID + "/projects/proj-dev"]

# The versions the contract names (notes 1.2 lists a few more previews that are left out on purpose).
API_VERSIONS = ("2025-04-01-preview", "2025-06-01", "2025-07-01-preview", "2025-09-01",
                "2025-10-01-preview", "2025-12-01", "2026-01-15-preview", "2026-03-01", "2026-05-01",
                "2026-07-01", "2026-09-01", "2026-09-15-preview")
# notes 0.4: ApiManagement/ModelGateway are absent from the category enum of these two GA versions.
NO_GATEWAY_VERSIONS = ("2025-06-01", "2025-09-01")
GATEWAY_CATEGORIES = ("apimanagement", "modelgateway")
IMDS_API_VERSIONS = ("2018-02-01", "2019-08-01")

CONNECTION_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")  # notes 0.6
PARENT_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,63}$")    # notes 0.6 (account/project)
# notes 0.7: keys the service adds to metadata that nobody sent.
SERVICE_METADATA = {"ApiVersion": "2024-10-21", "DeploymentApiVersion": "2024-10-21"}
# ConnectionGroup is readOnly and derived from the category (notes 1.4); gateways are ServicesAndApps.
CATEGORY_GROUPS = {
    "azureopenai": "AzureAI", "aiservices": "AzureAI", "cognitiveservice": "AzureAI",
    "cognitivesearch": "AzureAI", "azureblob": "Azure", "azurestorageaccount": "Azure",
    "azuredatalakegen2": "Azure", "azuresqldb": "Database", "azurepostgresdb": "Database",
    "cosmosdb": "NoSQL", "s3": "File", "git": "GenericProtocol", "apikey": "GenericProtocol",
}

ARM_PATH_RE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.cognitiveservices"
    r"/accounts/(?P<acct>[^/]+)(?:/projects/(?P<proj>[^/]+))?"
    r"(?:/(?P<conns>connections)(?:/(?P<name>[^/]+))?)?/?$", re.IGNORECASE)

MAX_BODY = 4 * 1024 * 1024
MAX_LOGGED_REQUESTS = 10000
HANG_FOREVER_S = 600.0  # "hang" without delay_ms waits until faults are cleared (or this long)

# --------------------------------------------------------------------------------------- primitives


def utc_now_iso() -> str:
    """ARM-style timestamp: ISO 8601 UTC with a Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Request:
    """One parsed HTTP request."""
    method: str
    path: str                 # raw path, without the query string
    query: dict[str, str]
    headers: dict[str, str]   # lower-cased names
    body: bytes
    conn: int
    correlation_id: str

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    def query_ci(self, name: str) -> Optional[str]:
        """ARM matches query parameter names case-insensitively."""
        for k, v in self.query.items():
            if k.lower() == name.lower():
                return v
        return None

    def json_body(self, empty: Any = None) -> Any:
        """Parsed JSON body; InvalidRequestContent (ARM front door) when it is not JSON."""
        if not self.body.strip():
            return empty
        try:
            return json.loads(self.body.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(arm_error(400, "InvalidRequestContent",
                                     f"The request content was invalid and could not be deserialized: {e}."))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' is not valid JSON")


@dataclass
class Response:
    """A response ready to be written (every response carries a Content-Length)."""
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


RESET = Response(0)  # sentinel: close the TCP connection without answering


class ApiError(Exception):
    """Raised by handlers to answer early with a ready response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def json_response(status: int, obj: Any, headers: Optional[dict[str, str]] = None) -> Response:
    return Response(status, json.dumps(obj).encode("utf-8"), dict(headers or {}))


def arm_error(status: int, code: str, message: str, headers: Optional[dict[str, str]] = None) -> Response:
    """The ARM error envelope (notes 1.5: common-types ErrorResponse)."""
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


DEFAULT_ERROR_CODES = {
    400: "BadRequest", 401: "AuthenticationFailed", 403: "AuthorizationFailed", 404: "NotFound",
    405: "MethodNotAllowed", 408: "RequestTimeout", 409: "Conflict", 412: "PreconditionFailed",
    413: "RequestEntityTooLarge", 414: "RequestUriTooLong", 429: "TooManyRequests",
    431: "RequestHeaderFieldsTooLarge", 500: "InternalServerError", 501: "NotImplemented",
    502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout", 505: "HttpVersionNotSupported",
}


class Router:
    """Regex routes; a path that matches with another method answers 405."""

    def __init__(self) -> None:
        self.routes: list[tuple[tuple[str, ...], re.Pattern[str], Callable[[Request, re.Match[str]], Response]]] = []

    def add(self, methods: str, pattern: str, fn: Callable[[Request, re.Match[str]], Response],
            flags: int = 0) -> None:
        self.routes.append((tuple(methods.split()), re.compile(pattern, flags), fn))

    def dispatch(self, req: Request) -> Optional[Response]:
        allowed: list[str] = []
        for methods, rx, fn in self.routes:
            m = rx.match(req.path)
            if not m:
                continue
            if "*" in methods or req.method in methods:
                return fn(req, m)
            allowed.extend(methods)
        if allowed:
            return arm_error(405, "MethodNotAllowed",
                             f"The requested resource does not support http method '{req.method}'.",
                             {"Allow": ", ".join(sorted(set(allowed)))})
        return None


# ------------------------------------------------------------------------------------------- config

@dataclass
class Config:
    """Knobs tests turn with POST /_emulator/config."""
    token_lifetime: int = 3600
    add_service_metadata: bool = False
    page_size: int = 2
    read_after_create_404: int = 0
    delete_hold_ms: int = 50  # notes 1.5: overlapping deletes in one project conflict

    def update(self, changes: Any) -> None:
        """Validates every key first, then applies (all or nothing)."""
        if not isinstance(changes, dict):
            raise ValueError("config must be a JSON object")
        minimum = {"token_lifetime": 0, "page_size": 1, "read_after_create_404": 0, "delete_hold_ms": 0}
        for k, v in changes.items():
            if k == "add_service_metadata":
                if not isinstance(v, bool):
                    raise ValueError("add_service_metadata must be a boolean")
            elif k in minimum:
                if isinstance(v, bool) or not isinstance(v, int) or v < minimum[k]:
                    raise ValueError(f"{k} must be an integer >= {minimum[k]}")
            else:
                raise ValueError(f"unknown config key '{k}'")
        for k, v in changes.items():
            setattr(self, k, v)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------------------------- faults

FAULT_KEYS = {"method", "path_regex", "times", "status", "retry_after", "body", "delay_ms", "action",
              "after_create_404", "headers"}


@dataclass
class FaultRule:
    """One injected fault; fires `times` times (<= 0: until cleared) and is then removed."""
    id: int
    method: str
    path_regex: str
    times: int
    status: Optional[int]
    retry_after: Optional[str]
    body: Any
    delay_ms: int
    action: str
    after_create_404: bool
    headers: dict[str, str]
    fired: int = 0

    @staticmethod
    def parse(rule_id: int, d: Any) -> "FaultRule":
        if not isinstance(d, dict):
            raise ValueError("a fault rule must be a JSON object")
        unknown = set(d) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        method = d.get("method", "*")
        path_regex = d.get("path_regex", ".*")
        times = d.get("times", 1)
        status = d.get("status")
        retry_after = d.get("retry_after")
        delay_ms = d.get("delay_ms", 0)
        action = d.get("action", "respond")
        after = d.get("after_create_404", False)
        headers = d.get("headers") or {}
        if not isinstance(method, str) or not method:
            raise ValueError("method must be a non-empty string")
        if not isinstance(path_regex, str):
            raise ValueError("path_regex must be a string")
        try:
            re.compile(path_regex)
        except re.error as e:
            raise ValueError(f"path_regex does not compile: {e}")
        if isinstance(times, bool) or not isinstance(times, int):
            raise ValueError("times must be an integer")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                                   or not 100 <= status <= 599):
            raise ValueError("status must be an integer HTTP status")
        if retry_after is not None:
            if isinstance(retry_after, bool) or not isinstance(retry_after, (str, int, float)):
                raise ValueError("retry_after must be a string or a number")
            retry_after = str(retry_after)
        if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or delay_ms < 0:
            raise ValueError("delay_ms must be an integer >= 0")
        if action not in ("respond", "reset", "hang"):
            raise ValueError("action must be respond, reset or hang")
        if not isinstance(after, bool):
            raise ValueError("after_create_404 must be a boolean")
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValueError("headers must be a map of strings")
        return FaultRule(rule_id, method.upper(), path_regex, times, status, retry_after, d.get("body"),
                         delay_ms, action, after, headers)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class FaultTable:
    """Rules matched in insertion order; the first match fires."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self.next_id = 1
        self.fired = 0

    def add(self, d: Any) -> FaultRule:
        with self.lock:
            rule = FaultRule.parse(self.next_id, d)
            self.next_id += 1
            self.rules.append(rule)
            return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def reset(self) -> None:
        with self.lock:
            self.rules.clear()
            self.fired = 0

    def list(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.to_json() for r in self.rules]

    def take(self, req: Request, is_live_connection: Callable[[Request], bool]) -> Optional[FaultRule]:
        """The first rule matching req, with its remaining count decremented."""
        with self.lock:
            for rule in self.rules:
                if rule.method != "*" and rule.method != req.method:
                    continue
                if not re.search(rule.path_regex, req.path):
                    continue
                # after_create_404 simulates replication lag: it only fires on a GET of a connection that exists.
                if rule.after_create_404 and (req.method != "GET" or not is_live_connection(req)):
                    continue
                rule.fired += 1
                self.fired += 1
                if rule.times > 0 and rule.fired >= rule.times:
                    self.rules.remove(rule)
                return copy.copy(rule)
        return None


# ------------------------------------------------------------------------------------- parents, ids

@dataclass(frozen=True)
class ArmPath:
    """A parsed ARM path under Microsoft.CognitiveServices/accounts."""
    sub: str
    rg: str
    acct: str
    proj: Optional[str]
    conns: bool         # ".../connections" present
    name: Optional[str]

    @staticmethod
    def parse(path: str) -> Optional["ArmPath"]:
        m = ARM_PATH_RE.match(path)
        if not m:
            return None
        name = m.group("name")
        return ArmPath(unquote(m.group("sub")), unquote(m.group("rg")), unquote(m.group("acct")),
                       unquote(m.group("proj")) if m.group("proj") else None, bool(m.group("conns")),
                       unquote(name) if name else None)

    @property
    def parent_id(self) -> str:
        """Parent id in canonical segment casing (names as given)."""
        pid = (f"/subscriptions/{self.sub}/resourceGroups/{self.rg}/providers/"
               f"Microsoft.CognitiveServices/accounts/{self.acct}")
        return pid + (f"/projects/{self.proj}" if self.proj else "")

    @property
    def parent_key(self) -> str:
        return self.parent_id.lower()

    @property
    def key(self) -> str:
        return f"{self.parent_key}/connections/{(self.name or '').lower()}"

    @property
    def resource_type(self) -> str:
        if self.proj:
            return "Microsoft.CognitiveServices/accounts/projects/connections"
        return "Microsoft.CognitiveServices/accounts/connections"

    def describe(self) -> str:
        """Relative resource name used in ARM messages."""
        d = f"Microsoft.CognitiveServices/accounts/{self.acct}"
        d += f"/projects/{self.proj}" if self.proj else ""
        return d + f"/connections/{self.name}"

    def parent_desc(self) -> str:
        return self.acct + (f"/{self.proj}" if self.proj else "")


def canonical_parent(resource_id: str) -> str:
    """Normalise the segment names of an account or project id; ValueError when it is not one."""
    p = ArmPath.parse(resource_id)
    if p is None or p.conns:
        raise ValueError(f"not an account or project id: {resource_id}")
    for n in (p.acct, p.proj):
        if n is not None and not PARENT_NAME_RE.match(n):
            raise ValueError(f"invalid account/project name '{n}' in {resource_id}")
    return p.parent_id


# -------------------------------------------------------------------------------------------- store

@dataclass
class Connection:
    """A stored connection: the resource as GET returns it, and the credentials kept apart."""
    resource: dict[str, Any]
    credentials: Optional[dict[str, Any]]


@dataclass
class TokenRecord:
    client_id: str
    resource: str
    expires_at: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Store:
    """Parents, connections and issued tokens, behind one lock; optionally persisted as JSON."""

    def __init__(self, seed_parents: list[str], state_file: Optional[str]) -> None:
        self.lock = threading.RLock()
        self.seed_parents = [canonical_parent(p) for p in seed_parents]
        self.state_file = state_file
        self.parents: dict[str, str] = {}
        self.conns: dict[str, Connection] = {}
        self.tokens: dict[str, TokenRecord] = {}
        self.read_lag: dict[str, int] = {}   # key -> GETs still answering 404 (read_after_create_404)
        self.busy: set[str] = set()          # parent keys with a delete in progress
        self.reset_data()
        if state_file and os.path.exists(state_file):
            self.load(state_file)

    def reset_data(self) -> None:
        with self.lock:
            self.parents = {}
            for p in self.seed_parents:
                self.add_parent(p)
            self.conns.clear()
            self.read_lag.clear()

    def add_parent(self, pid: str) -> None:
        """Adds a parent; a project implies its account."""
        with self.lock:
            p = ArmPath.parse(pid)
            assert p is not None
            if p.proj:
                acct = ArmPath(p.sub, p.rg, p.acct, None, False, None)
                self.parents.setdefault(acct.parent_key, acct.parent_id)
            self.parents.setdefault(p.parent_key, pid)

    def remove_parent(self, key: str) -> None:
        """Removes a parent and everything under it."""
        with self.lock:
            for k in [k for k in self.parents if k == key or k.startswith(key + "/")]:
                del self.parents[k]
            for k in [k for k in self.conns if k.startswith(key + "/")]:
                del self.conns[k]
                self.read_lag.pop(k, None)

    # -- persistence
    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError(f"{path}: not an armemu state file (version 1)")
        with self.lock:
            self.parents = {}
            for pid in data.get("parents", []):
                self.add_parent(canonical_parent(pid))
            self.conns = {}
            for cid, entry in data.get("connections", {}).items():
                self.conns[cid.lower()] = Connection(entry["resource"], entry.get("credentials"))
            self.tokens = {t: TokenRecord(**r) for t, r in data.get("tokens", {}).items()}

    def save(self) -> None:
        """Atomic write (temp file + rename, mode 0600: it holds the fake credentials)."""
        if not self.state_file:
            return
        with self.lock:
            self.prune_tokens()
            data = {
                "version": 1,
                "parents": list(self.parents.values()),
                "connections": {c.resource["id"]: {"resource": c.resource, "credentials": c.credentials}
                                for c in self.conns.values()},
                "tokens": {t: r.to_json() for t, r in self.tokens.items()},
            }
            d = os.path.dirname(os.path.abspath(self.state_file))
            fd, tmp = tempfile.mkstemp(prefix=".armemu-state-", dir=d)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1)
                os.replace(tmp, self.state_file)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise

    # -- tokens
    def issue_token(self, client_id: str, resource: str, lifetime: int) -> tuple[str, float]:
        token = "emu." + secrets.token_urlsafe(32)
        expires_at = time.time() + lifetime
        with self.lock:
            self.prune_tokens()
            self.tokens[token] = TokenRecord(client_id, resource, expires_at)
            self.save()
        return token, expires_at

    def token(self, token: str) -> Optional[TokenRecord]:
        with self.lock:
            return self.tokens.get(token)

    def prune_tokens(self) -> None:
        """Forget tokens that expired more than a day ago (expired ones must still say 'expired')."""
        horizon = time.time() - 86400
        for t in [t for t, r in self.tokens.items() if r.expires_at < horizon]:
            del self.tokens[t]


# ----------------------------------------------------------------------------------------- emulator

@dataclass
class ConnState:
    """Per-TCP-connection bookkeeping (a handler instance serves one connection)."""
    id: int
    counted_epoch: int = -1


class Emulator:
    """Everything the HTTP handler needs: store, faults, config, stats, logs and the routers."""

    def __init__(self, store: Store, clients: dict[str, str], tenant: str, msi_client_id: str,
                 token_lifetime: int, no_auth: bool, log_file: Optional[str]) -> None:
        self.store = store
        self.clients = clients
        self.tenant = tenant
        self.msi_client_id = msi_client_id
        self.default_token_lifetime = token_lifetime
        self.no_auth = no_auth
        self.config = Config(token_lifetime=token_lifetime)
        self.faults = FaultTable()
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.generation = 0   # bumped to wake hanging requests
        self.stopping = False
        self.base_url = "http://127.0.0.1:0"
        self.next_conn = 0
        self.epoch = 0        # bumped by reset so open connections are counted again
        self.stats = {"connections_opened": 0, "requests": 0, "tokens_issued": 0}
        self.requests: list[dict[str, Any]] = []
        self.seq = 0
        self.log_fp = open(log_file, "a", encoding="utf-8", buffering=1) if log_file else None
        self.identity = IdentityApi(self)
        self.arm = ArmApi(self)
        self.control = ControlApi(self)

    # -- bookkeeping
    def new_connection(self) -> ConnState:
        with self.lock:
            self.next_conn += 1
            return ConnState(self.next_conn)

    def count_request(self, conn: ConnState) -> None:
        with self.lock:
            self.stats["requests"] += 1
            if conn.counted_epoch != self.epoch:
                conn.counted_epoch = self.epoch
                self.stats["connections_opened"] += 1

    def count_token(self) -> None:
        with self.lock:
            self.stats["tokens_issued"] += 1

    def record(self, req: Request, status: int, fault: Optional[int]) -> None:
        """Adds req to the request log that tests read (secrets redacted)."""
        headers = {k: v for k, v in req.headers.items()}
        if "authorization" in headers:
            scheme = headers["authorization"].split(" ", 1)[0] or "Bearer"
            headers["authorization"] = f"{scheme} <redacted>"
        entry = {"seq": 0, "method": req.method, "path": req.path, "query": req.query, "headers": headers,
                 "body": loggable_body(req), "status": status, "conn": req.conn, "time": time.time(),
                 "fault": fault}
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
            del self.requests[:-MAX_LOGGED_REQUESTS]

    def file_log(self, conn: int, method: str, path: str, status: int, started: float) -> None:
        """--log: one line per request, method, path (no query) and status; never a secret."""
        if not self.log_fp:
            return
        ms = (time.monotonic() - started) * 1000
        line = f"{utc_now_iso()} conn={conn} {method} {path} {status} {ms:.1f}ms\n"
        with self.lock:
            try:
                self.log_fp.write(line)
            except (OSError, ValueError):
                pass

    # -- hanging and waking
    def sleep(self, seconds: float) -> None:
        """Sleeps, but wakes early when faults are cleared, on reset and on shutdown."""
        with self.cond:
            gen = self.generation
            self.cond.wait_for(lambda: self.generation != gen or self.stopping, timeout=max(seconds, 0))

    def wake(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()

    def shutdown(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def reset(self) -> None:
        self.store.reset_data()
        self.store.save()
        self.faults.reset()
        with self.lock:
            self.requests.clear()
            self.seq = 0
            self.stats = {k: 0 for k in self.stats}
            self.epoch += 1
            self.config = Config(token_lifetime=self.default_token_lifetime)
        self.wake()

    # -- dispatch
    def handle(self, req: Request, conn: ConnState) -> Response:
        """Serves one request; RESET means: close the connection without answering."""
        if req.path == "/_emulator" or req.path.startswith("/_emulator/"):
            try:
                return self.control.router.dispatch(req) or arm_error(
                    404, "NotFound", f"No control endpoint {req.method} {req.path}.")
            except ApiError as e:
                return e.response
        self.count_request(conn)
        rule = self.faults.take(req, self.arm.is_live_connection)
        resp: Optional[Response] = None
        if rule is not None:
            resp = self.apply_fault(rule, req)
        if resp is None:
            try:
                resp = (self.identity.router.dispatch(req) or self.arm.handle(req))
            except ApiError as e:
                resp = e.response
        self.record(req, resp.status, rule.id if rule else None)
        return resp

    def apply_fault(self, rule: FaultRule, req: Request) -> Optional[Response]:
        """The fault's response, RESET, or None to serve the request normally (hang without status)."""
        if rule.action == "hang":
            self.sleep(rule.delay_ms / 1000 if rule.delay_ms > 0 else HANG_FOREVER_S)
            if rule.status is None:
                return None
        elif rule.delay_ms > 0:
            self.sleep(rule.delay_ms / 1000)
        if rule.action == "reset":
            return RESET
        headers = dict(rule.headers)
        if rule.retry_after is not None:
            headers["Retry-After"] = rule.retry_after
        if rule.after_create_404:
            p = ArmPath.parse(req.path)
            assert p is not None
            return self.arm.not_found(p, headers)
        status = rule.status if rule.status is not None else 429
        if rule.body is None and status < 400:  # an injected success carries no error envelope
            return Response(status, b"" if status in (204, 304) else b"{}", headers)
        if rule.body is None:
            code = DEFAULT_ERROR_CODES.get(status, "InjectedFault")
            return arm_error(status, code, f"Injected fault (rule {rule.id}): {status}.", headers)
        if isinstance(rule.body, str):  # raw text, e.g. an HTML page from a gateway
            # surrogateescape: a test can ask for bytes that are not UTF-8 ("\udcff" sends 0xff)
            return Response(status, rule.body.encode("utf-8", "surrogateescape"), headers)
        return json_response(status, rule.body, headers)


def loggable_body(req: Request) -> Any:
    """The body for the request log: parsed JSON, or the raw text; token form secrets redacted."""
    if not req.body:
        return None
    text = req.body.decode("utf-8", errors="replace")
    ctype = (req.header("content-type") or "").lower()
    if "x-www-form-urlencoded" in ctype or req.path.endswith("/oauth2/v2.0/token"):
        pairs = parse_qsl(text, keep_blank_values=True)
        redacted = {"client_secret", "client_assertion"}
        return "&".join(f"{quote(k)}={'<redacted>' if k in redacted else quote(v)}" for k, v in pairs)
    try:
        return json.loads(text)
    except ValueError:
        return text


# ------------------------------------------------------------------------------------ identity APIs

class IdentityApi:
    """Entra ID token endpoint, IMDS and a GitHub-Actions-style OIDC token request endpoint."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.router = Router()
        self.router.add("POST", r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$", self.token)
        self.router.add("GET", r"^/metadata/identity/oauth2/token$", self.imds)
        self.router.add("GET", r"^/oidc/request$", self.oidc_request)

    def aad_error(self, req: Request, status: int, error: str, code: int, description: str) -> Response:
        """AAD error body (https://learn.microsoft.com/entra/identity-platform/reference-error-codes)."""
        ts = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        trace = str(uuid.uuid4())
        return json_response(status, {
            "error": error,
            "error_description": (f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
                                  f"Correlation ID: {req.correlation_id}\r\nTimestamp: {ts}"),
            "error_codes": [code], "timestamp": ts, "trace_id": trace,
            "correlation_id": req.correlation_id, "error_uri": f"{self.emu.base_url}/error?code={code}",
        })

    def token(self, req: Request, m: re.Match[str]) -> Response:
        """POST /{tenant}/oauth2/v2.0/token, client credentials grant (notes 4.2)."""
        tenant = unquote(m.group("tenant"))
        try:
            form = dict(parse_qsl(req.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
        except UnicodeDecodeError:
            return self.aad_error(req, 400, "invalid_request", 900144, "The request body is not valid form data.")
        if tenant.lower() != self.emu.tenant.lower():
            return self.aad_error(req, 400, "invalid_request", 90002,
                                  f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                                  "and are signing into the correct cloud.")
        for p in ("grant_type", "client_id", "scope"):
            if not form.get(p):
                return self.aad_error(req, 400, "invalid_request", 900144,
                                      f"The request body must contain the following parameter: '{p}'.")
        if form["grant_type"] != "client_credentials":
            return self.aad_error(req, 400, "unsupported_grant_type", 70003,
                                  "The app requested an unsupported grant type.")
        client_id, scope = form["client_id"], form["scope"]
        if client_id not in self.emu.clients:
            return self.aad_error(req, 400, "unauthorized_client", 700016,
                                  f"Application with identifier '{client_id}' was not found in the directory "
                                  f"'{tenant}'.")
        if not scope.endswith("/.default"):
            return self.aad_error(req, 400, "invalid_scope", 1002012,
                                  f"The provided value for scope {scope} is not valid. Client credential flows "
                                  "must have a scope value with /.default suffixed to the resource identifier "
                                  "(application ID URI).")
        secret, assertion = form.get("client_secret"), form.get("client_assertion")
        if secret and assertion:
            return self.aad_error(req, 400, "invalid_request", 90015,
                                  "Only one client credential may be presented: client_secret or client_assertion.")
        if secret:
            if not hmac.compare_digest(secret.encode(), self.emu.clients[client_id].encode()):
                return self.aad_error(req, 401, "invalid_client", 7000215,
                                      "Invalid client secret provided. Ensure the secret being sent in the request "
                                      "is the client secret value, not the client secret ID, for a secret added to "
                                      f"app '{client_id}'.")
        elif assertion:
            if form.get("client_assertion_type") != JWT_BEARER:
                return self.aad_error(req, 400, "invalid_request", 50027,
                                      f"client_assertion_type must be '{JWT_BEARER}'.")
            err = self.check_assertion(req, assertion, client_id)
            if err is not None:
                return err
        else:
            return self.aad_error(req, 401, "invalid_client", 7000218,
                                  "The request body must contain the following parameter: 'client_assertion' "
                                  "or 'client_secret'.")
        lifetime = self.emu.config.token_lifetime
        token, _ = self.emu.store.issue_token(client_id, scope[:-len("/.default")], lifetime)
        self.emu.count_token()
        return json_response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                                   "access_token": token})

    def check_assertion(self, req: Request, assertion: str, client_id: str) -> Optional[Response]:
        """Federated token, or a certificate JWT checked for shape and claims (signature not verified)."""
        if hmac.compare_digest(assertion.encode(), OIDC_TOKEN.encode()):
            return None
        parts = assertion.split(".")
        try:
            if len(parts) != 3 or not parts[2]:
                raise ValueError("not a signed JWT")
            header, claims = b64url_json(parts[0]), b64url_json(parts[1])
            b64url_decode(parts[2])
            if not isinstance(header, dict) or not isinstance(claims, dict):
                raise ValueError("header and claims must be JSON objects")
        except ValueError:
            return self.aad_error(req, 400, "invalid_request", 50027, "JWT token is invalid or malformed.")
        if "x5t" not in header and "x5t#S256" not in header:
            # A JWT without a certificate thumbprint is a federated token, and only one is trusted.
            return self.aad_error(req, 400, "invalid_client", 70021,
                                  "No matching federated identity record found for presented assertion.")
        if header.get("alg") not in ("RS256", "PS256"):
            return self.aad_error(req, 401, "invalid_client", 5002738,
                                  f"Invalid JWT token. '{header.get('alg')}' is not a supported signature algorithm.")
        aud = claims.get("aud")
        if not isinstance(aud, str) or not aud.endswith("/oauth2/v2.0/token"):
            return self.aad_error(req, 401, "invalid_client", 700023,
                                  "Client assertion audience claim does not match Realm issuer.")
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return self.aad_error(req, 401, "invalid_client", 700021,
                                  "Client assertion application identifier doesn't match 'client_id' parameter.")
        exp, nbf, now = claims.get("exp"), claims.get("nbf"), time.time()
        if (isinstance(exp, bool) or not isinstance(exp, (int, float)) or exp <= now
                or (isinstance(nbf, (int, float)) and nbf > now + 300)):
            return self.aad_error(req, 401, "invalid_client", 700024,
                                  "Client assertion is not within its valid time range.")
        if not isinstance(claims.get("jti"), str) or not claims["jti"]:
            return self.aad_error(req, 401, "invalid_client", 700027,
                                  "Client assertion failed validation: the 'jti' claim is missing.")
        return None

    def imds(self, req: Request, m: re.Match[str]) -> Response:
        """Azure IMDS managed identity token (notes 4.2): errors are {error, error_description}."""
        def bad(description: str) -> Response:
            return json_response(400, {"error": "invalid_request", "error_description": description})
        if (req.header("metadata") or "").lower() != "true":
            return bad("Required metadata header not specified")
        version = req.query.get("api-version")
        if not version:
            return bad("Required query variable 'api-version' is missing")
        if version not in IMDS_API_VERSIONS:
            return bad("Invalid API version")
        resource = req.query.get("resource")
        if not resource:
            return bad("Required query variable 'resource' is missing")
        client_id = req.query.get("client_id") or self.emu.msi_client_id
        if client_id != self.emu.msi_client_id and client_id not in self.emu.clients:
            return bad("Identity not found")
        lifetime = self.emu.config.token_lifetime
        token, expires_at = self.emu.store.issue_token(client_id, resource, lifetime)
        self.emu.count_token()
        now = int(time.time())
        return json_response(200, {
            "access_token": token, "client_id": client_id, "expires_in": str(lifetime),
            "expires_on": str(int(expires_at)), "ext_expires_in": str(lifetime), "not_before": str(now),
            "resource": resource, "token_type": "Bearer",
        })

    def oidc_request(self, req: Request, m: re.Match[str]) -> Response:
        """GitHub Actions ACTIONS_ID_TOKEN_REQUEST_URL: bearer request token in, federated token out."""
        auth = req.header("authorization") or ""
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), OIDC_REQUEST_TOKEN.encode()):
            return json_response(401, {"message": "Bad credentials: a valid bearer request token is required."})
        audience = req.query.get("audience") or OIDC_AUDIENCE
        if audience != OIDC_AUDIENCE:
            # Only the default Entra audience is trusted; any other audience yields a token AAD rejects.
            return json_response(200, {"value": f"{OIDC_TOKEN}.aud-{quote(audience, safe='')}"})
        return json_response(200, {"value": OIDC_TOKEN})


def b64url_decode(s: str) -> bytes:
    try:
        return base64.b64decode(s + "=" * (-len(s) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(str(e))


def b64url_json(s: str) -> Any:
    try:
        return json.loads(b64url_decode(s).decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(str(e))


# ------------------------------------------------------------------------------------------ ARM API

class ArmApi:
    """Connections at account and project scope (notes 1.3-1.5, 5.4)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.store = emu.store

    # -- front door: auth, api-version, routing
    def handle(self, req: Request) -> Response:
        if not req.path.lower().startswith("/subscriptions/"):
            return arm_error(404, "NotFound", f"The requested path '{req.path}' was not found.")
        principal = self.authenticate(req)
        api_version = self.api_version(req)
        p = ArmPath.parse(req.path)
        if p is None:
            return arm_error(404, "InvalidResourceType",
                             f"The resource type could not be found for the path '{req.path}' and api version "
                             f"'{api_version}'.")
        if p.name is not None:
            ops: dict[str, Callable[[Request, ArmPath, str, str], Response]] = {
                "GET": self.get, "PUT": self.put, "PATCH": self.patch, "DELETE": self.delete}
        elif p.conns:
            ops = {"GET": self.list}
        else:
            ops = {"GET": self.get_parent}
        op = ops.get(req.method)
        if op is None:
            return arm_error(405, "MethodNotAllowed",
                             f"The requested resource does not support http method '{req.method}'.",
                             {"Allow": ", ".join(ops)})
        return op(req, p, api_version, principal)

    def authenticate(self, req: Request) -> str:
        """The caller's client id; 401 with WWW-Authenticate when the bearer token is missing or bad."""
        if self.emu.no_auth:
            return "emulator-user"
        header = req.header("authorization")
        scheme, _, token = (header or "").partition(" ")
        token = token.strip()
        record = self.store.token(token) if token and scheme.lower() == "bearer" else None
        if header is None:
            raise self.unauthorized("AuthenticationFailed",
                                    "Authentication failed. The 'Authorization' header is missing.")
        if scheme.lower() != "bearer" or not token:
            raise self.unauthorized("AuthenticationFailed",
                                    "Authentication failed. The 'Authorization' header is provided in an "
                                    "invalid format.")
        if record is None:
            raise self.unauthorized("AuthenticationFailed",
                                    "Authentication failed. The access token was not issued by this emulator.")
        now = time.time()
        if now >= record.expires_at:
            fmt = "%m/%d/%Y %H:%M:%S"
            exp = datetime.fromtimestamp(record.expires_at, timezone.utc).strftime(fmt)
            cur = datetime.fromtimestamp(now, timezone.utc).strftime(fmt)
            raise self.unauthorized("ExpiredAuthenticationToken",
                                    f"The access token expiry UTC time '{exp}' is earlier than current UTC time "
                                    f"'{cur}'.")
        return record.client_id

    def unauthorized(self, code: str, message: str) -> ApiError:
        challenge = (f'Bearer authorization_uri="{self.emu.base_url}/{self.emu.tenant}", '
                     f'error="invalid_token", error_description="{message}"')
        return ApiError(arm_error(401, code, message, {"WWW-Authenticate": challenge}))

    def api_version(self, req: Request) -> str:
        v = req.query_ci("api-version")
        if not v:
            raise ApiError(arm_error(400, "MissingApiVersionParameter",
                                     "The api-version query parameter (?api-version=) is required for all requests."))
        if v not in API_VERSIONS:
            raise ApiError(arm_error(400, "InvalidApiVersionParameter",
                                     f"The api-version '{v}' is invalid. The supported versions are "
                                     f"'{','.join(API_VERSIONS)}'."))
        return v

    # -- helpers
    def not_found(self, p: ArmPath, headers: Optional[dict[str, str]] = None) -> Response:
        return arm_error(404, "ResourceNotFound",
                         f"The Resource '{p.describe()}' under resource group '{p.rg}' was not found. For more "
                         "details please go to https://aka.ms/ARMResourceNotFoundFix", headers)

    def parent_not_found(self, p: ArmPath) -> ApiError:
        return ApiError(arm_error(404, "ParentResourceNotFound",
                                  "Can not perform requested operation on nested resource. Parent resource "
                                  f"'{p.parent_desc()}' not found."))

    def require_parent(self, p: ArmPath) -> str:
        """The parent's canonical id (stored casing)."""
        pid = self.store.parents.get(p.parent_key)
        if pid is None:
            raise self.parent_not_found(p)
        return pid

    def is_live_connection(self, req: Request) -> bool:
        p = ArmPath.parse(req.path)
        if p is None or p.name is None:
            return False
        with self.store.lock:
            return p.key in self.store.conns

    def render(self, c: Connection) -> dict[str, Any]:
        """The resource as GET returns it: never credentials; service metadata when configured."""
        r = copy.deepcopy(c.resource)
        if self.emu.config.add_service_metadata:
            props = r.setdefault("properties", {})
            md = props.get("metadata")
            md = dict(md) if isinstance(md, dict) else {}
            for k, v in SERVICE_METADATA.items():
                md.setdefault(k, v)
            props["metadata"] = md
        return r

    def parse_body(self, req: Request) -> dict[str, Any]:
        body = req.json_body(empty={})
        if not isinstance(body, dict):
            raise ApiError(arm_error(400, "InvalidRequestContent",
                                     "The request content was invalid and could not be deserialized: "
                                     "the body must be a JSON object."))
        return body

    @staticmethod
    def validation(message: str) -> ApiError:
        return ApiError(arm_error(400, "ValidationError", message))

    def check_properties(self, props: dict[str, Any], api_version: str) -> None:
        """Types of the fields the service checks (notes 1.4): metadata is map<string,string>."""
        if not isinstance(props.get("authType"), str) or not props["authType"]:
            raise self.validation("The field 'properties.authType' is required and must be a non-empty string.")
        for k in ("category", "target"):
            if k in props and not isinstance(props[k], str):
                raise self.validation(f"The field 'properties.{k}' must be a string.")
        if "isSharedToAll" in props and not isinstance(props["isSharedToAll"], bool):
            raise self.validation("The field 'properties.isSharedToAll' must be a boolean.")
        md = props.get("metadata")
        if md is not None:
            if not isinstance(md, dict):
                raise self.validation("The field 'properties.metadata' must be an object (map<string,string>).")
            for k, v in md.items():
                if not isinstance(v, str):
                    raise self.validation(f"The value of 'properties.metadata.{k}' must be a string: metadata is "
                                          f"map<string,string> (got {json_type(v)}).")
        if "credentials" in props and not isinstance(props["credentials"], dict):
            raise self.validation("The field 'properties.credentials' must be an object.")
        category = props.get("category")
        if isinstance(category, str) and category.lower() in GATEWAY_CATEGORIES and api_version in NO_GATEWAY_VERSIONS:
            raise ApiError(arm_error(400, "BadRequest",
                                     f"The connection category '{category}' is not supported in api-version "
                                     f"'{api_version}'. Use 2025-10-01-preview, 2025-12-01 or later."))

    def system_data(self, principal: str, previous: Optional[dict[str, Any]]) -> dict[str, Any]:
        now = utc_now_iso()
        kind = "User" if principal == "emulator-user" else "Application"
        created = previous or {"createdBy": principal, "createdByType": kind, "createdAt": now}
        return {"createdBy": created.get("createdBy"), "createdByType": created.get("createdByType"),
                "createdAt": created.get("createdAt"), "lastModifiedBy": principal,
                "lastModifiedByType": kind, "lastModifiedAt": now}

    def build(self, p: ArmPath, parent_id: str, props: dict[str, Any], existing: Optional[Connection],
              principal: Optional[str]) -> Connection:
        """A stored connection from properties as sent: credentials apart, read-only fields by the service."""
        props = {k: v for k, v in props.items() if v is not None}  # ARM treats null as absent
        credentials = props.pop("credentials", None)
        category = props.get("category")
        props["group"] = CATEGORY_GROUPS.get(category.lower(), "ServicesAndApps") \
            if isinstance(category, str) else "ServicesAndApps"
        props["createdByWorkspaceArmId"] = parent_id
        # ARM keeps the name casing of the first PUT.
        cid = existing.resource["id"] if existing else f"{parent_id}/connections/{p.name}"
        prev_sd = existing.resource.get("systemData") if existing else None
        sd = self.system_data(principal, prev_sd) if principal else (prev_sd or self.system_data("emulator", None))
        resource = {"id": cid, "name": cid.rsplit("/", 1)[1], "type": p.resource_type, "properties": props,
                    "systemData": sd}
        return Connection(resource, credentials)

    # -- operations
    def get_parent(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        pid = self.store.parents.get(p.parent_key)
        if pid is None:
            d = f"Microsoft.CognitiveServices/accounts/{p.acct}" + (f"/projects/{p.proj}" if p.proj else "")
            return arm_error(404, "ResourceNotFound",
                             f"The Resource '{d}' under resource group '{p.rg}' was not found.")
        rtype = "Microsoft.CognitiveServices/accounts" + ("/projects" if p.proj else "")
        return json_response(200, {"id": pid, "name": pid.rsplit("/", 1)[1], "type": rtype, "location": "eastus",
                                   "properties": {"provisioningState": "Succeeded"}})

    def get(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        with self.store.lock:
            self.require_parent(p)
            c = self.store.conns.get(p.key)
            if c is None:
                return self.not_found(p)
            lag = self.store.read_lag.get(p.key, 0)
            if lag > 0:  # replication lag right after a create (notes 1.5)
                self.store.read_lag[p.key] = lag - 1
                return self.not_found(p)
            return json_response(200, self.render(c))

    def list(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        with self.store.lock:
            parent_id = self.require_parent(p)
            prefix = p.parent_key + "/connections/"
            items = sorted(((k[len(prefix):], c) for k, c in self.store.conns.items() if k.startswith(prefix)),
                           key=lambda kc: kc[0])
            category, target = req.query.get("category"), req.query.get("target")
            if category:
                items = [(k, c) for k, c in items if str(c.resource["properties"].get("category", "")).lower()
                         == category.lower()]
            if target:
                items = [(k, c) for k, c in items if c.resource["properties"].get("target") == target]
            skip = req.query_ci("$skipToken")
            if skip:
                items = [(k, c) for k, c in items if k > skip.lower()]
            size = self.emu.config.page_size
            page, rest = items[:size], items[size:]
            body: dict[str, Any] = {"value": [self.render(c) for _, c in page]}
            if rest:
                q = {"api-version": api_version}
                for k in ("category", "target", "includeAll"):
                    if k in req.query:
                        q[k] = req.query[k]
                q["$skipToken"] = page[-1][0]
                body["nextLink"] = (f"{self.emu.base_url}{quote(parent_id)}/connections?"
                                    + "&".join(f"{k}={quote(v, safe='')}" for k, v in q.items()))
            return json_response(200, body)

    def put(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        body = self.parse_body(req)
        assert p.name is not None
        if not CONNECTION_NAME_RE.match(p.name):
            raise self.validation(f"The connection name '{p.name}' is invalid: it must match "
                                  f"'{CONNECTION_NAME_RE.pattern}' (3 to 33 characters).")
        props = body.get("properties")
        if props is None:
            raise self.validation("The field 'properties' is required.")
        if not isinstance(props, dict):
            raise self.validation("The field 'properties' must be an object.")
        with self.store.lock:
            parent_id = self.require_parent(p)
            self.check_properties(props, api_version)
            existing = self.store.conns.get(p.key)
            c = self.build(p, parent_id, props, existing, principal)
            self.store.conns[p.key] = c
            if existing is None:
                self.store.read_lag[p.key] = self.emu.config.read_after_create_404
            self.store.save()
            return json_response(200, self.render(c))  # notes 0.1: PUT answers 200 only

    def patch(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        body = self.parse_body(req)
        changes = body.get("properties", {})
        if not isinstance(changes, dict):
            raise self.validation("The field 'properties' must be an object.")
        with self.store.lock:
            parent_id = self.require_parent(p)
            existing = self.store.conns.get(p.key)
            if existing is None:
                return self.not_found(p)
            props = copy.deepcopy(existing.resource.get("properties", {}))
            if existing.credentials is not None:
                props["credentials"] = copy.deepcopy(existing.credentials)
            props.update(changes)  # shallow merge: metadata (and credentials) replaced as a whole
            self.check_properties({k: v for k, v in props.items() if v is not None}, api_version)
            c = self.build(p, parent_id, props, existing, principal)
            self.store.conns[p.key] = c
            self.store.save()
            return json_response(200, self.render(c))

    def delete(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        with self.store.lock:
            self.require_parent(p)
            if p.parent_key in self.store.busy:  # notes 1.5: concurrent deletes in one project
                scope = "project" if p.proj else "account"
                return arm_error(409, "Conflict",
                                 f"Another operation is in progress on the {scope} '{p.parent_desc()}'. "
                                 "Please retry after the operation completes.")
            self.store.busy.add(p.parent_key)
        try:
            time.sleep(self.emu.config.delete_hold_ms / 1000)
            with self.store.lock:
                if self.store.conns.pop(p.key, None) is None:
                    return Response(204)
                self.store.read_lag.pop(p.key, None)
                self.store.save()
                return Response(200)
        finally:
            with self.store.lock:
                self.store.busy.discard(p.parent_key)

    def deletes_in_progress(self) -> int:
        with self.store.lock:
            return len(self.store.busy)


def json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "string"


# ---------------------------------------------------------------------------------- control plane

class ControlApi:
    """/_emulator/*: what tests use to inspect and steer the emulator (no auth, never faulted)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        r = self.router = Router()
        r.add("GET", r"^/_emulator/health$", lambda req, m: json_response(200, {"status": "ok"}))
        r.add("GET", r"^/_emulator/faults$", lambda req, m: json_response(200, {"faults": emu.faults.list()}))
        r.add("POST", r"^/_emulator/faults$", self.add_fault)
        r.add("DELETE", r"^/_emulator/faults$", self.clear_faults)
        r.add("GET", r"^/_emulator/requests$", self.get_requests)
        r.add("DELETE", r"^/_emulator/requests$", self.clear_requests)
        r.add("GET", r"^/_emulator/stats$", self.get_stats)
        r.add("GET", r"^/_emulator/store$", self.get_store)
        r.add("PUT", r"^/_emulator/store$", self.put_store)
        r.add("DELETE", r"^/_emulator/store$", self.delete_store)
        r.add("GET", r"^/_emulator/parents$",
              lambda req, m: json_response(200, {"parents": sorted(emu.store.parents.values())}))
        r.add("GET", r"^/_emulator/config$", lambda req, m: json_response(200, emu.config.to_json()))
        r.add("POST", r"^/_emulator/config$", self.set_config)
        r.add("POST", r"^/_emulator/reset$", self.reset)

    @staticmethod
    def bad(message: str) -> ApiError:
        return ApiError(arm_error(400, "BadRequest", message))

    def body(self, req: Request) -> Any:
        try:
            return req.json_body()
        except ApiError as e:
            raise self.bad(json.loads(e.response.body)["error"]["message"])

    def add_fault(self, req: Request, m: re.Match[str]) -> Response:
        try:
            rule = self.emu.faults.add(self.body(req))
        except ValueError as e:
            raise self.bad(str(e))
        return json_response(200, rule.to_json())

    def clear_faults(self, req: Request, m: re.Match[str]) -> Response:
        self.emu.faults.clear()
        self.emu.wake()  # releases requests hanging until cleared
        return json_response(200, {"faults": []})

    def get_requests(self, req: Request, m: re.Match[str]) -> Response:
        with self.emu.lock:
            return json_response(200, {"requests": list(self.emu.requests)})

    def clear_requests(self, req: Request, m: re.Match[str]) -> Response:
        with self.emu.lock:
            self.emu.requests.clear()
        return json_response(200, {"requests": []})

    def get_stats(self, req: Request, m: re.Match[str]) -> Response:
        with self.emu.lock:
            stats: dict[str, Any] = dict(self.emu.stats)
        stats["faults_fired"] = self.emu.faults.fired
        stats["deletes_in_progress"] = self.emu.arm.deletes_in_progress()
        return json_response(200, stats)

    def get_store(self, req: Request, m: re.Match[str]) -> Response:
        with self.emu.store.lock:
            out = {c.resource["id"]: {"resource": self.emu.arm.render(c),
                                      "credentials": copy.deepcopy(c.credentials)}
                   for c in self.emu.store.conns.values()}
        return json_response(200, out)

    def target(self, req: Request) -> ArmPath:
        rid = req.query.get("id")
        p = ArmPath.parse(rid or "")
        if p is None or (p.conns and p.name is None):
            raise self.bad("query parameter 'id' must be a connection, account or project id")
        return p

    def put_store(self, req: Request, m: re.Match[str]) -> Response:
        """Out-of-band write (drift tests): no validation; parents may be (re)created too."""
        p = self.target(req)
        body = self.body(req)
        if p.name is None:
            self.emu.store.add_parent(p.parent_id)
            self.emu.store.save()
            return json_response(200, {"id": p.parent_id})
        if not isinstance(body, dict):
            raise self.bad("body must be a resource ({\"properties\":{...}}) or {\"resource\":..., \"credentials\":...}")
        resource = body["resource"] if "resource" in body else body
        if not isinstance(resource, dict) or not isinstance(resource.get("properties", {}), dict):
            raise self.bad("resource.properties must be an object")
        props = copy.deepcopy(resource.get("properties", {}))
        with self.emu.store.lock:
            parent_id = self.emu.store.parents.get(p.parent_key)
            if parent_id is None:
                return arm_error(404, "ParentResourceNotFound", f"No parent {p.parent_id}.")
            existing = self.emu.store.conns.get(p.key)
            if "credentials" not in props:
                creds = body["credentials"] if "credentials" in body else (existing.credentials if existing else None)
                if creds is not None:
                    props["credentials"] = creds
            c = self.emu.arm.build(p, parent_id, props, existing, None)
            # Out of band means exactly what was given: keep read-only fields if the test set them.
            for k in ("group", "createdByWorkspaceArmId"):
                if k in resource.get("properties", {}):
                    c.resource["properties"][k] = resource["properties"][k]
            self.emu.store.conns[p.key] = c
            self.emu.store.read_lag.pop(p.key, None)
            self.emu.store.save()
            return json_response(200, {"resource": self.emu.arm.render(c), "credentials": c.credentials})

    def delete_store(self, req: Request, m: re.Match[str]) -> Response:
        """Out-of-band delete of a connection, or of a parent with everything under it."""
        p = self.target(req)
        with self.emu.store.lock:
            if p.name is None:
                if p.parent_key not in self.emu.store.parents:
                    return arm_error(404, "NotFound", f"No parent {p.parent_id}.")
                self.emu.store.remove_parent(p.parent_key)
            else:
                if self.emu.store.conns.pop(p.key, None) is None:
                    return arm_error(404, "NotFound", f"No connection {p.parent_id}/connections/{p.name}.")
                self.emu.store.read_lag.pop(p.key, None)
            self.emu.store.save()
        return json_response(200, {"deleted": req.query.get("id")})

    def set_config(self, req: Request, m: re.Match[str]) -> Response:
        try:
            with self.emu.lock:
                self.emu.config.update(self.body(req))
        except ValueError as e:
            raise self.bad(str(e))
        return json_response(200, self.emu.config.to_json())

    def reset(self, req: Request, m: re.Match[str]) -> Response:
        self.emu.reset()
        return json_response(200, {"reset": True})


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
    ap = argparse.ArgumentParser(description="Local ARM + Entra ID emulator (loopback only, tests and demos).")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--seed", help="JSON file: {\"parents\": [ids], \"clients\": {id: secret}}")
    ap.add_argument("--state-file", help="persist the store here as JSON across restarts")
    ap.add_argument("--token-lifetime", type=int, default=3600, help="seconds (default 3600)")
    ap.add_argument("--no-auth", action="store_true", help="ARM calls need no bearer token")
    ap.add_argument("--log", help="append one line per request (method, path, status) to this file")
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
    emu.base_url = f"http://127.0.0.1:{port}"
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
