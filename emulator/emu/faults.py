"""Runtime configuration and injected faults (POST /_emulator/faults, /_emulator/config)."""
from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional
from emu.common import *  # noqa: F401,F403

# ------------------------------------------------------------------------------------------- config

@dataclass
class Config:
    """Knobs tests turn with POST /_emulator/config."""
    token_lifetime: int = 3600
    add_service_metadata: bool = False
    page_size: int = 2
    read_after_create_404: int = 0
    # The two worlds of docs/internals/arm.md 1.5. Default: the account accepts concurrent writes. With
    # conflict_writes (every account) or an account id in conflict_accounts, a write (PUT, PATCH, DELETE of a
    # connection or another child) holds its account for write_hold_ms, and an overlapping write in that account is
    # answered 409 RequestConflict, as Cognitive Services answers concurrent deployment writes.
    conflict_writes: bool = False
    conflict_accounts: list = None  # type: ignore[assignment]
    write_hold_ms: int = 50
    latency_ms: int = 0  # every ARM request waits this long before it is served (real ARM: 100-400 ms)

    def __post_init__(self) -> None:
        if self.conflict_accounts is None:
            self.conflict_accounts = []

    def update(self, changes: Any) -> None:
        """Validates every key first, then applies (all or nothing)."""
        if not isinstance(changes, dict):
            raise ValueError("config must be a JSON object")
        minimum = {"token_lifetime": 0, "page_size": 1, "read_after_create_404": 0, "write_hold_ms": 0,
                   "latency_ms": 0}
        for k, v in changes.items():
            if k in ("add_service_metadata", "conflict_writes"):
                if not isinstance(v, bool):
                    raise ValueError(f"{k} must be a boolean")
            elif k == "conflict_accounts":
                if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                    raise ValueError("conflict_accounts must be a list of account ids")
            elif k in minimum:
                if isinstance(v, bool) or not isinstance(v, int) or v < minimum[k]:
                    raise ValueError(f"{k} must be an integer >= {minimum[k]}")
            else:
                raise ValueError(f"unknown config key '{k}'")
        for k, v in changes.items():
            setattr(self, k, v)

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.__dict__))


# ------------------------------------------------------------------------------------------- faults

FAULT_KEYS = {"method", "path_regex", "times", "status", "retry_after", "body", "delay_ms", "action",
              "after_create_404", "headers"}


@dataclass
class FaultRule:
    """One injected fault; fires `times` times (<= 0: until cleared) and is then removed. Actions: respond (the
    status instead of serving), reset (drop the connection), hang (wait delay_ms, then the status or, without one,
    serve normally: a slow answer), commit_then_fail / commit_then_reset (serve the request, so a PUT is stored, then
    answer `status` (500 by default) or drop the connection: the client cannot know that it was applied)."""
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
        if action not in ("respond", "reset", "hang", "commit_then_fail", "commit_then_reset"):
            raise ValueError("action must be respond, reset, hang, commit_then_fail or commit_then_reset")
        if not isinstance(after, bool):
            raise ValueError("after_create_404 must be a boolean")
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise ValueError("headers must be a map of strings")
        return FaultRule(rule_id, method.upper(), path_regex, times, status, retry_after, d.get("body"),
                         delay_ms, action, after, headers)

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.__dict__))


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
