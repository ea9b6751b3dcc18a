"""Entra ID for the provider's credentials: client credentials (secret, certificate assertion, OIDC
federation), IMDS managed identity, the GitHub OIDC request endpoint."""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from urllib.parse import urlsplit
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Optional
from urllib.parse import parse_qsl, quote, unquote
from emu.common import *  # noqa: F401,F403
from emu.store import *  # noqa: F401,F403
from emu.core import *  # noqa: F401,F403

# ------------------------------------------------------------------------------------ identity APIs

class IdentityApi:
    """Entra ID token endpoint, IMDS and a GitHub-Actions-style OIDC token request endpoint."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.router = Router()
        self.router.add("POST", r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$", self.token)
        # What the Azure identity libraries (MSAL) ask before a token: instance discovery, then the tenant's OpenID
        # configuration, whose token_endpoint they then use.
        self.router.add("GET", r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$", self.openid_config)
        self.router.add("GET", r"^/common/discovery/instance$", self.instance_discovery)
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

    def openid_config(self, req: Request, m: re.Match[str]) -> Response:
        tenant = unquote(m.group("tenant"))
        if tenant.lower() not in (self.emu.tenant.lower(), "organizations", "common"):
            return self.aad_error(req, 400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.emu.base_url}/{self.emu.tenant}"
        return json_response(200, {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "tenant_region_scope": "NA",
            "cloud_instance_name": "emulator",
        })

    def instance_discovery(self, req: Request, m: re.Match[str]) -> Response:
        host = urlsplit(self.emu.base_url).netloc
        return json_response(200, {
            "tenant_discovery_endpoint": f"{self.emu.base_url}/{self.emu.tenant}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        })

    def token(self, req: Request, m: re.Match[str]) -> Response:
        """POST /{tenant}/oauth2/v2.0/token, client credentials grant (docs/internals/arm.md 4.2)."""
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
        client_id = form["client_id"]
        # MSAL adds the OpenID scopes to every request ("https://management.core.windows.net//.default openid
        # offline_access profile"); the resource scope is the one that ends in /.default.
        scopes = [x for x in form["scope"].split() if x not in ("openid", "offline_access", "profile")]
        scope = scopes[0] if len(scopes) == 1 else form["scope"]
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
        """Azure IMDS managed identity token (docs/internals/arm.md 4.2): errors are {error, error_description}."""
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
