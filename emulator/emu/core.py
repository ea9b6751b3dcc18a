"""The emulator: request accounting, the request log, fault application, dispatch to the APIs."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import parse_qsl, quote
from emu.common import *  # noqa: F401,F403
from emu.faults import *  # noqa: F401,F403
from emu.store import *  # noqa: F401,F403

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
        # The APIs build on this class; imported here, where both exist (no import cycle).
        from emu.arm import ArmApi
        from emu.control import ControlApi
        from emu.identity import IdentityApi
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
        self.arm.max_writes = 0
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
        committed = rule is not None and rule.action.startswith("commit_then_")
        if rule is not None and not committed:
            resp = self.apply_fault(rule, req)
        if resp is None:
            try:
                resp = (self.identity.router.dispatch(req) or self.arm.handle(req))
            except ApiError as e:
                resp = e.response
        if committed:
            assert rule is not None
            if rule.delay_ms > 0:
                self.sleep(rule.delay_ms / 1000)
            if rule.action == "commit_then_reset":
                resp = RESET
            else:
                status = rule.status or 500
                resp = arm_error(status, DEFAULT_ERROR_CODES.get(status, "InjectedFault"),
                                 f"Injected fault (rule {rule.id}) after the request was applied: {status}.")
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
