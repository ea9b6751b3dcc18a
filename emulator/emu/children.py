"""Other child resources of accounts and projects, served generically: PUT stores `properties` as sent, GET returns
them, DELETE removes them (200, or 204 when there was nothing). Any collection name is served under an account or a
project (raiBlocklists, capabilityHosts, ...), so a new resource type in the provider needs no edit here; only
`connections` (emu/arm.py) and `projects` (the parents themselves) are not generic. The `type` is ARM's:
Microsoft.CognitiveServices/accounts/{coll} for an account's child, .../accounts/projects/{coll} for a project's."""
import re
from typing import Any, Optional

from emu.common import *  # noqa: F401,F403
from emu.core import *  # noqa: F401,F403

# Collections with an API of their own, never served here.
NOT_GENERIC = ("connections", "projects")

CHILD_RE = re.compile(
    r"^(?P<parent>/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.cognitiveservices"
    r"/accounts/[^/]+(?:/projects/[^/]+)?)/(?P<coll>[a-z][a-z0-9]*)/(?P<name>[^/]+)/?$", re.IGNORECASE)


class ChildApi:
    def __init__(self, emu: "Emulator") -> None:
        self.emu = emu
        self.store = emu.store

    def match(self, path: str) -> Optional[re.Match[str]]:
        m = CHILD_RE.match(path)
        if not m or m.group("coll").lower() in NOT_GENERIC:
            return None
        return m

    def handle(self, req: Request, m: re.Match[str], principal: str, system_data) -> Response:
        parent_key = m.group("parent").lower()
        pid = self.store.parents.get(parent_key)
        if pid is None:
            return arm_error(404, "ParentResourceNotFound", f"The parent of '{req.path}' was not found.")
        coll = m.group("coll")
        name = m.group("name")
        scope = "accounts/projects" if "/projects/" in parent_key else "accounts"
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
                # The first writer's spelling of the collection and name stays, as ARM keeps it.
                resource = {"id": existing["id"] if existing else f"{pid}/{coll}/{name}",
                            "name": existing["name"] if existing else name,
                            "type": f"Microsoft.CognitiveServices/{scope}/{coll}",
                            "properties": body["properties"],
                            "systemData": system_data(principal, existing.get("systemData") if existing else None)}
                self.store.children[key] = resource
                return json_response(200, resource)
            if req.method == "DELETE":
                return Response(200 if self.store.children.pop(key, None) is not None else 204, b"")
        return arm_error(405, "MethodNotAllowed", f"'{req.method}' is not supported here.")
