"""The control plane (/_emulator/...): store, faults, config, request log, stats, reset."""
from __future__ import annotations

import copy
import json
import re
from typing import Any
from emu.common import *  # noqa: F401,F403
from emu.faults import *  # noqa: F401,F403
from emu.store import *  # noqa: F401,F403
from emu.core import *  # noqa: F401,F403

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
        stats["writes_in_progress"] = self.emu.arm.writes_in_progress()
        stats["max_concurrent_writes"] = self.emu.arm.max_writes
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
        body = self.body(req)
        # {"expire_tokens": true}: every token issued so far stops working now (a token that expires mid-run).
        if isinstance(body, dict) and body.pop("expire_tokens", False):
            with self.emu.store.lock:
                self.emu.store.tokens.clear()
        try:
            with self.emu.lock:
                self.emu.config.update(body)
        except ValueError as e:
            raise self.bad(str(e))
        return json_response(200, self.emu.config.to_json())

    def reset(self, req: Request, m: re.Match[str]) -> Response:
        self.emu.reset()
        return json_response(200, {"reset": True})
