"""Other child resources of accounts and projects, served generically: PUT stores `properties` as sent, GET returns
them, DELETE removes them (200, or 204 when there was nothing). For a new resource type in the provider, add its
collection to CHILD_COLLECTIONS; nothing else here changes."""
import re
from typing import Any, Optional

from emu.common import *  # noqa: F401,F403
from emu.core import *  # noqa: F401,F403

# collection -> the parent kinds it lives under ("accounts", "projects")
CHILD_COLLECTIONS = {"raiBlocklists": ("accounts",)}

CHILD_RE = re.compile(
    r"^(?P<parent>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.cognitiveservices"
    r"/accounts/[^/]+(?:/projects/[^/]+)?)/(?P<coll>[a-z]+)/(?P<name>[^/]+)/?$", re.IGNORECASE)


class ChildApi:
    def __init__(self, emu: "Emulator") -> None:
        self.emu = emu
        self.store = emu.store

    def match(self, path: str) -> Optional[re.Match[str]]:
        m = CHILD_RE.match(path)
        if not m:
            return None
        coll = next((c for c in CHILD_COLLECTIONS if c.lower() == m.group("coll").lower()), None)
        if coll is None:
            return None
        kind = "projects" if "/projects/" in m.group("parent").lower() else "accounts"
        return m if kind in CHILD_COLLECTIONS[coll] else None

    def handle(self, req: Request, m: re.Match[str], principal: str, system_data) -> Response:
        parent_key = m.group("parent").lower()
        pid = self.store.parents.get(parent_key)
        if pid is None:
            return arm_error(404, "ParentResourceNotFound", f"The parent of '{req.path}' was not found.")
        coll = next(c for c in CHILD_COLLECTIONS if c.lower() == m.group("coll").lower())
        name = m.group("name")
        key = f"{parent_key}/{coll.lower()}/{name.lower()}"
        with self.store.lock:
            existing: Optional[dict[str, Any]] = self.store.children.get(key)
            if req.method == "GET":
                if existing is None:
                    return arm_error(404, "ResourceNotFound", f"The Resource '{coll}/{name}' was not found.")
                return json_response(200, existing)
            if req.method == "PUT":
                body = req.json_body(empty={})
                if not isinstance(body, dict) or not isinstance(body.get("properties"), dict):
                    return arm_error(400, "InvalidRequestContent", "The body must be {\"properties\": {...}}.")
                resource = {"id": f"{pid}/{coll}/{existing['name'] if existing else name}",
                            "name": existing["name"] if existing else name,
                            "type": "Microsoft.CognitiveServices/accounts/" + coll,
                            "properties": body["properties"],
                            "systemData": system_data(principal, existing.get("systemData") if existing else None)}
                self.store.children[key] = resource
                return json_response(200, resource)
            if req.method == "DELETE":
                return Response(200 if self.store.children.pop(key, None) is not None else 204, b"")
        return arm_error(405, "MethodNotAllowed", f"'{req.method}' is not supported here.")
