"""The ARM connections API (docs/internals/arm.md 1.3-1.5, 2.3-2.4, 5.4): GET, list, PUT, PATCH, DELETE."""
from __future__ import annotations

import contextlib
import copy
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Optional
from urllib.parse import quote
from emu.common import *  # noqa: F401,F403
from emu.faults import *  # noqa: F401,F403
from emu.store import *  # noqa: F401,F403
from emu.core import *  # noqa: F401,F403

# ------------------------------------------------------------------------------------------ ARM API
import re as _re

# GET {account}/projects: the account's projects (include_projects of the audit and the list resource).
PROJECTS_RE = _re.compile(r"^(?P<acct>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
                          r"microsoft\.cognitiveservices/accounts/[^/]+)/projects/?$", _re.IGNORECASE)

class ArmApi:
    """Connections at account and project scope (docs/internals/arm.md 1.3-1.5, 5.4)."""

    def __init__(self, emu: Emulator) -> None:
        from emu.children import ChildApi  # a generic child collection (other resource types)
        self.emu = emu
        self.store = emu.store
        self.children = ChildApi(emu)
        self.writes: dict[str, int] = {}  # account key -> writes in flight
        self.max_writes = 0  # most writes in flight at once, over every account (stats)

    # -- front door: auth, api-version, routing
    def handle(self, req: Request) -> Response:
        if not req.path.lower().startswith("/subscriptions/"):
            return arm_error(404, "NotFound", f"The requested path '{req.path}' was not found.")
        if self.emu.config.latency_ms and req.method == "GET":  # real ARM's time per request; writes: write()
            time.sleep(self.emu.config.latency_ms / 1000)
        principal = self.authenticate(req)
        api_version = self.api_version(req)
        cm = self.children.match(req.path)
        if cm is not None:
            return self.children.handle(req, cm, principal, self.system_data)
        pm = PROJECTS_RE.match(req.path)
        if pm is not None:
            if req.method != "GET":
                return arm_error(405, "MethodNotAllowed", f"'{req.method}' is not supported here.", {"Allow": "GET"})
            return self.list_projects(req, pm.group("acct"), api_version)
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
        """Types of the fields the service checks (docs/internals/arm.md 1.4): metadata is map<string,string>."""
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
                # ARM takes a null value and returns it as sent (a GET shows "inferenceAPIVersion": null).
                if v is not None and not isinstance(v, str):
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
            if lag > 0:  # replication lag right after a create (docs/internals/arm.md 1.5)
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

    def list_projects(self, req: Request, account: str, api_version: str) -> Response:
        """An account's projects, paged like every ARM list (`value`, `nextLink` with a $skipToken)."""
        with self.store.lock:
            akey = account.lower()
            aid = self.store.parents.get(akey)
            if aid is None:
                return arm_error(404, "ResourceNotFound", f"The Resource '{account}' was not found.")
            prefix = akey + "/projects/"
            items = sorted((k[len(prefix):], pid) for k, pid in self.store.parents.items()
                           if k.startswith(prefix) and "/" not in k[len(prefix):])
            skip = req.query_ci("$skipToken")
            if skip:
                items = [(k, pid) for k, pid in items if k > skip.lower()]
            size = self.emu.config.page_size
            page, rest = items[:size], items[size:]
            body: dict[str, Any] = {"value": [
                {"id": pid, "name": pid.rsplit("/", 1)[1], "type": "Microsoft.CognitiveServices/accounts/projects",
                 "location": "eastus", "properties": {"provisioningState": "Succeeded"}} for _, pid in page]}
            if rest:
                body["nextLink"] = (f"{self.emu.base_url}{quote(aid)}/projects?api-version={quote(api_version)}"
                                    f"&$skipToken={quote(page[-1][0])}")
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
            self.require_parent(p)
            self.check_properties(props, api_version)
        with self.write(p.parent_key) as busy:
            if busy is not None:
                return busy
            with self.store.lock:
                parent_id = self.require_parent(p)
                existing = self.store.conns.get(p.key)
                c = self.build(p, parent_id, props, existing, principal)
                self.store.conns[p.key] = c
                if existing is None:
                    self.store.read_lag[p.key] = self.emu.config.read_after_create_404
                self.store.save()
                return json_response(200, self.render(c))  # docs/internals/arm.md 0.1: PUT answers 200 only

    def patch(self, req: Request, p: ArmPath, api_version: str, principal: str) -> Response:
        body = self.parse_body(req)
        changes = body.get("properties", {})
        if not isinstance(changes, dict):
            raise self.validation("The field 'properties' must be an object.")
        with self.write(p.parent_key) as busy:
            if busy is not None:
                return busy
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
        with self.write(p.parent_key) as busy:
            if busy is not None:
                return busy
            with self.store.lock:
                if self.store.conns.pop(p.key, None) is None:
                    return Response(204)
                self.store.read_lag.pop(p.key, None)
                self.store.save()
                return Response(200)

    # -- the account's writes (docs/internals/arm.md 1.5)
    @contextlib.contextmanager
    def write(self, parent_key: str) -> Iterator[Optional[Response]]:
        """One write in the account of `parent_key`. In the conflict world an overlapping write gets 409
        RequestConflict, the answer Cognitive Services gives concurrent deployment writes (azurerm issue 22607); in the
        default world writes overlap freely. Counts writes in flight per account (stats: max_concurrent_writes)."""
        account = parent_key.split("/projects/")[0]
        cfg = self.emu.config
        conflict = cfg.conflict_writes or account in {a.lower() for a in cfg.conflict_accounts}
        with self.store.lock:
            if conflict and self.writes.get(account, 0) > 0:
                aid = self.store.parents.get(account, account)
                yield arm_error(409, "RequestConflict",
                                f"Another operation is being performed on the parent resource '{aid}'. Please try "
                                "again later.")
                return
            self.writes[account] = self.writes.get(account, 0) + 1
            self.max_writes = max(self.max_writes, sum(self.writes.values()))
        try:
            # The write's time at ARM, during which it counts as in flight (and, in the conflict world, holds the
            # account): its latency, plus write_hold_ms in the conflict world.
            hold = cfg.latency_ms + (cfg.write_hold_ms if conflict else 0)
            if hold:
                time.sleep(hold / 1000)
            yield None
        finally:
            with self.store.lock:
                self.writes[account] -= 1
                if not self.writes[account]:
                    del self.writes[account]

    def writes_in_progress(self) -> int:
        with self.store.lock:
            return sum(self.writes.values())


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
