"""ARM ids of parents and connections, and the in-memory store (optionally a JSON state file)."""
from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import unquote
from emu.common import *  # noqa: F401,F403

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
        self.children: dict[str, dict[str, Any]] = {}  # other child resources (emu/children.py), in memory only
        self.tokens: dict[str, TokenRecord] = {}
        self.read_lag: dict[str, int] = {}   # key -> GETs still answering 404 (read_after_create_404)
        self.reset_data()
        if state_file and os.path.exists(state_file):
            self.load(state_file)

    def reset_data(self) -> None:
        with self.lock:
            self.parents = {}
            for p in self.seed_parents:
                self.add_parent(p)
            self.conns.clear()
            self.children.clear()
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
