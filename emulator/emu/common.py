"""Constants and the HTTP primitives every part of the emulator uses (requests, responses, ARM error
envelopes, the router)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

# ----------------------------------------------------------------------------------------- constants

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
CLIENT_ID = "11111111-1111-1111-1111-111111111111"
CLIENT_SECRET = "emulator-client-secret"
# The system-assigned managed identity answered by the IMDS endpoint when no client_id is asked for.
MSI_CLIENT_ID = "22222222-2222-2222-2222-222222222222"
OIDC_TOKEN = "emulator-oidc-token"
OIDC_REQUEST_TOKEN = "emulator-oidc-request-token"
OIDC_AUDIENCE = "api://AzureADTokenExchange"  # docs/internals/arm.md 4.2: default audience of federated tokens
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ACCOUNT_ID = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-foundry/providers/"
              "Microsoft.CognitiveServices/accounts/foundry-acct")
DEFAULT_PARENTS = [ACCOUNT_ID, ACCOUNT_ID + "/projects/proj-main", ACCOUNT_ID + "/projects/proj-dev"]

# The versions the contract names (docs/internals/arm.md 1.2 lists a few more previews that are left out on purpose).
API_VERSIONS = ("2025-04-01-preview", "2025-06-01", "2025-07-01-preview", "2025-09-01",
                "2025-10-01-preview", "2025-12-01", "2026-01-15-preview", "2026-03-01", "2026-05-01",
                "2026-07-01", "2026-09-01", "2026-09-15-preview")
# docs/internals/arm.md 0.4: ApiManagement/ModelGateway are absent from the category enum of these two GA versions.
NO_GATEWAY_VERSIONS = ("2025-06-01", "2025-09-01")
GATEWAY_CATEGORIES = ("apimanagement", "modelgateway")
IMDS_API_VERSIONS = ("2018-02-01", "2019-08-01")

CONNECTION_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$")  # docs/internals/arm.md 0.6
PARENT_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,63}$")    # docs/internals/arm.md 0.6 (account/project)
# docs/internals/arm.md 0.7: keys the service adds to metadata that nobody sent.
SERVICE_METADATA = {"ApiVersion": "2024-10-21", "DeploymentApiVersion": "2024-10-21"}
# ConnectionGroup is readOnly and derived from the category (docs/internals/arm.md 1.4); gateways are ServicesAndApps.
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
            return json.loads(self.body.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(arm_error(400, "InvalidRequestContent",
                                     f"The request content was invalid and could not be deserialized: {e}."))


def reject_constant(name: str) -> Any:
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
    """The ARM error envelope (docs/internals/arm.md 1.5: common-types ErrorResponse)."""
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
