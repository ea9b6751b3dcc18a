"""Self-test of the ARM emulator: every endpoint, as a client sees it over HTTP.

Run: cd emulator && python3 -m unittest -v test_armemu   (ctest: emulator.selftest)
Each emulator runs as a subprocess on port 0 inside a temporary directory that is removed at the end.
Tests assert behaviour, never speed; waits are bounded polls on observable state.
"""
from __future__ import annotations

import base64
from urllib.parse import quote
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from typing import Any, Optional
from urllib.parse import urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ARMEMU = os.path.join(HERE, "armemu.py")
FAKE_AZ = os.path.join(HERE, "fake-az")

TENANT = "00000000-0000-0000-0000-0000000000aa"
CLIENT = "11111111-1111-1111-1111-111111111111"
SECRET = "emulator-client-secret"
ACCOUNT = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/"
           "Microsoft.CognitiveServices/accounts/foundry-acct")
PROJECT = ACCOUNT + "/projects/proj-main"
CONNS = PROJECT + "/connections"
API = "api-version=2026-09-01"
STARTUP_DEADLINE_S = 15.0

APIM_BODY = {"properties": {
    "category": "ApiManagement", "target": "https://contoso-apim.azure-api.net/foundry", "authType": "ApiKey",
    "isSharedToAll": False, "credentials": {"key": "apim-subscription-key-123"},
    "metadata": {"deploymentInPath": "false",
                 "models": "[{\"name\":\"gpt-4o\",\"properties\":{\"model\":{\"name\":\"gpt-4o\","
                           "\"version\":\"2024-11-20\",\"format\":\"OpenAI\"}}}]"}}}


def poll(predicate: Any, what: str, deadline_s: float = 10.0) -> Any:
    """Waits until predicate() is truthy (bounded; a safety net, not a timing assertion)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class Reply:
    """A response read in full."""

    def __init__(self, resp: http.client.HTTPResponse) -> None:
        self.status = resp.status
        self.headers = {k.lower(): v for k, v in resp.getheaders()}
        self.raw = resp.read()

    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def code(self) -> Optional[str]:
        return self.json()["error"]["code"]


class Emulator:
    """One armemu subprocess."""

    def __init__(self, tmp: str, *args: str) -> None:
        self.tmp = tmp
        self.args = args
        self.port_file = os.path.join(tmp, "port")
        self.start()

    def start(self) -> None:
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.stderr = open(os.path.join(self.tmp, "stderr"), "ab")
        self.proc = subprocess.Popen([sys.executable, ARMEMU, "--port", "0", "--port-file", self.port_file,
                                      *self.args], stdout=subprocess.DEVNULL, stderr=self.stderr)

        def ready() -> Optional[int]:
            if self.proc.poll() is not None:
                raise AssertionError(f"armemu exited with {self.proc.returncode}")
            try:
                with open(self.port_file) as f:
                    text = f.read()
                return int(text) if text.endswith("\n") else None
            except (OSError, ValueError):
                return None
        self.port = poll(ready, "the port file", STARTUP_DEADLINE_S)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        with open(os.path.join(self.tmp, "stderr"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        # A handler that crashed is a bug even when every client got an answer.
        assert "Traceback" not in log, f"armemu printed a traceback:\n{log}"
        return self.proc.returncode

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: Any = None, headers: Optional[dict[str, str]] = None,
                conn: Optional[http.client.HTTPConnection] = None, raw: Optional[bytes] = None) -> Reply:
        """One request; body is JSON-encoded unless raw bytes are given."""
        own = conn is None
        c = conn or self.connect()
        try:
            h = dict(headers or {})
            data = raw
            if body is not None:
                data = json.dumps(body).encode()
                h.setdefault("Content-Type", "application/json")
            c.request(method, path, body=data, headers=h)
            return Reply(c.getresponse())
        finally:
            if own:
                c.close()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        r = self.request(method, "/_emulator/" + path, body)
        assert r.status == 200, (r.status, r.raw)
        return r.json()

    def token_reply(self, **form: str) -> Reply:
        fields = {"grant_type": "client_credentials", "client_id": CLIENT,
                  "scope": "https://management.azure.com/.default", "client_secret": SECRET}
        fields.update(form)
        tenant = fields.pop("tenant", None) or TENANT
        data = urlencode({k: v for k, v in fields.items() if v is not None}).encode()
        return self.request("POST", f"/{tenant}/oauth2/v2.0/token", raw=data,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def token(self) -> str:
        r = self.token_reply()
        assert r.status == 200, r.raw
        return r.json()["access_token"]

    def arm(self, method: str, path: str, body: Any = None, token: Optional[str] = None,
            query: str = API, headers: Optional[dict[str, str]] = None, raw: Optional[bytes] = None,
            conn: Optional[http.client.HTTPConnection] = None) -> Reply:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        sep = "&" if "?" in path else "?"
        return self.request(method, f"{path}{sep}{query}" if query else path, body, h, conn=conn, raw=raw)


def b64url(obj: Any) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def cert_assertion(base: str, **claims: Any) -> str:
    """A JWT shaped like a certificate client assertion (the emulator checks claims, not the signature)."""
    c = {"aud": f"{base}/{TENANT}/oauth2/v2.0/token", "iss": CLIENT, "sub": CLIENT, "exp": int(time.time()) + 600,
         "nbf": int(time.time()) - 10, "jti": "jti-1"}
    c.update(claims)
    c = {k: v for k, v in c.items() if v is not None}
    return ".".join([b64url({"alg": "RS256", "typ": "JWT", "x5t": "dGh1bWJwcmludA"}), b64url(c), b64url(b"sig")])


EMU: Emulator
TMP: str


def setUpModule() -> None:
    global EMU, TMP
    TMP = tempfile.mkdtemp(prefix="armemu-test-")
    os.mkdir(os.path.join(TMP, "main"))
    EMU = Emulator(os.path.join(TMP, "main"))


def tearDownModule() -> None:
    try:
        assert EMU.stop() == 0
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


class Base(unittest.TestCase):
    """Tests against the shared emulator, reset before each test."""

    def setUp(self) -> None:
        self.emu = EMU
        self.emu.control("POST", "reset")
        self.tok = self.emu.token()

    def put(self, name: str, body: Any = None, parent: str = PROJECT, **kw: Any) -> Reply:
        return self.emu.arm("PUT", f"{parent}/connections/{name}", APIM_BODY if body is None else body,
                            token=self.tok, **kw)

    def assertArmError(self, r: Reply, status: int, code: str, message_re: str = "") -> None:
        self.assertEqual(r.status, status, r.raw)
        body = r.json()
        self.assertEqual(set(body), {"error"})
        self.assertEqual(body["error"]["code"], code, r.raw)
        self.assertIsInstance(body["error"]["message"], str)
        if message_re:
            self.assertRegex(body["error"]["message"], message_re)


# ------------------------------------------------------------------------------------ identity

class TokenEndpointTest(Base):
    def test_client_secret(self) -> None:
        r = self.emu.token_reply()
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(set(body), {"token_type", "expires_in", "ext_expires_in", "access_token"})
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(self.emu.arm("GET", CONNS, token=body["access_token"]).status, 200)

    def test_wrong_secret_is_aad_401(self) -> None:
        r = self.emu.token_reply(client_secret="nope")
        self.assertEqual(r.status, 401)
        body = r.json()
        self.assertEqual(body["error"], "invalid_client")
        self.assertEqual(body["error_codes"], [7000215])
        self.assertTrue(body["error_description"].startswith("AADSTS7000215: Invalid client secret provided."))

    def test_unknown_tenant(self) -> None:
        r = self.emu.token_reply(tenant="99999999-0000-0000-0000-000000000000")
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"], "invalid_request")
        self.assertRegex(r.json()["error_description"], r"^AADSTS90002: Tenant '99999999-[^']+' not found")

    def test_bad_requests(self) -> None:
        cases = [({"scope": "https://management.azure.com/user_impersonation"}, 400, "invalid_scope"),
                 ({"client_id": "33333333-3333-3333-3333-333333333333"}, 400, "unauthorized_client"),
                 ({"grant_type": "password"}, 400, "unsupported_grant_type"),
                 ({"scope": None}, 400, "invalid_request"),
                 ({"client_secret": None}, 401, "invalid_client")]
        for form, status, error in cases:
            with self.subTest(form=form):
                r = self.emu.token_reply(**form)
                self.assertEqual(r.status, status, r.raw)
                self.assertEqual(r.json()["error"], error)
        self.assertArmError(self.emu.request("GET", f"/{TENANT}/oauth2/v2.0/token"), 405, "MethodNotAllowed")

    def test_certificate_assertion(self) -> None:
        jwt_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ok = self.emu.token_reply(client_secret=None, client_assertion_type=jwt_type,
                                  client_assertion=cert_assertion(self.emu.base))
        self.assertEqual(ok.status, 200, ok.raw)
        self.assertEqual(self.emu.arm("GET", CONNS, token=ok.json()["access_token"]).status, 200)
        bad = {"expired": (dict(exp=int(time.time()) - 5), 700024),
               "wrong issuer": (dict(iss="someone-else"), 700021),
               "wrong audience": (dict(aud="https://example.com/"), 700023),
               "no jti": (dict(jti=None), 700027)}
        for what, (claims, code) in bad.items():
            with self.subTest(what):
                r = self.emu.token_reply(client_secret=None, client_assertion_type=jwt_type,
                                         client_assertion=cert_assertion(self.emu.base, **claims))
                self.assertEqual(r.status, 401, r.raw)
                self.assertEqual(r.json()["error_codes"], [code])
        no_x5t = ".".join([b64url({"alg": "RS256"}), b64url({"iss": CLIENT}), b64url(b"s")])
        r = self.emu.token_reply(client_secret=None, client_assertion_type=jwt_type, client_assertion=no_x5t)
        self.assertEqual((r.status, r.json()["error_codes"]), (400, [70021]))
        r = self.emu.token_reply(client_secret=None, client_assertion_type=jwt_type, client_assertion="garbage")
        self.assertEqual((r.status, r.json()["error_codes"]), (400, [50027]))


class ImdsAndOidcTest(Base):
    IMDS = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"

    def test_imds_requires_metadata_header(self) -> None:
        r = self.emu.request("GET", self.IMDS)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"], "invalid_request")

    def test_imds_token(self) -> None:
        r = self.emu.request("GET", self.IMDS, headers={"Metadata": "true"})
        self.assertEqual(r.status, 200, r.raw)
        body = r.json()
        for k in ("access_token", "expires_on", "expires_in", "resource", "token_type", "client_id"):
            self.assertIn(k, body)
        self.assertIsInstance(body["expires_on"], str)  # docs/internals/arm.md 4.2: epoch as a string
        self.assertIsInstance(body["expires_in"], str)
        self.assertAlmostEqual(int(body["expires_on"]), time.time() + 3600, delta=120)
        self.assertEqual(body["resource"], "https://management.azure.com/")
        self.assertEqual(self.emu.arm("GET", CONNS, token=body["access_token"]).status, 200)
        r = self.emu.request("GET", self.IMDS + "&client_id=" + CLIENT, headers={"Metadata": "true"})
        self.assertEqual(r.json()["client_id"], CLIENT)
        r = self.emu.request("GET", self.IMDS + "&client_id=44444444-0000-0000-0000-000000000000",
                             headers={"Metadata": "true"})
        self.assertEqual(r.status, 400)

    def test_oidc_request_then_federated_token(self) -> None:
        url = "/oidc/request?audience=api://AzureADTokenExchange"
        self.assertEqual(self.emu.request("GET", url).status, 401)
        self.assertEqual(self.emu.request("GET", url, headers={"Authorization": "Bearer wrong"}).status, 401)
        r = self.emu.request("GET", url, headers={"Authorization": "Bearer emulator-oidc-request-token"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"value": "emulator-oidc-token"})
        t = self.emu.token_reply(client_secret=None,
                                 client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                 client_assertion=r.json()["value"])
        self.assertEqual(t.status, 200, t.raw)
        self.assertEqual(self.emu.arm("GET", CONNS, token=t.json()["access_token"]).status, 200)


class FakeAzTest(Base):
    def run_az(self, **env: str) -> subprocess.CompletedProcess[str]:
        e = dict(os.environ, FOUNDRY_EMULATOR_URL=self.emu.base)
        e.pop("FAKE_AZ_LOGGED_OUT", None)
        e.update(env)
        return subprocess.run([FAKE_AZ, "account", "get-access-token", "--resource",
                               "https://management.core.windows.net/", "-o", "json"],
                              env=e, capture_output=True, text=True, timeout=30)

    def test_logged_in(self) -> None:
        p = self.run_az()
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(set(out), {"accessToken", "expiresOn", "expires_on", "subscription", "tenant", "tokenType"})
        self.assertRegex(out["expiresOn"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
        self.assertIsInstance(out["expires_on"], int)
        self.assertEqual((out["tenant"], out["tokenType"]), (TENANT, "Bearer"))
        self.assertEqual(self.emu.arm("GET", CONNS, token=out["accessToken"]).status, 200)
        self.assertEqual(self.emu.control("GET", "stats")["tokens_issued"], 2)  # setUp's and fake-az's

    def test_logged_out(self) -> None:
        p = self.run_az(FAKE_AZ_LOGGED_OUT="1")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr.strip(), "ERROR: Please run 'az login' to setup account.")


# ----------------------------------------------------------------------------------------- ARM

class ArmAuthTest(Base):
    def test_missing_and_bogus_tokens(self) -> None:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
            with self.subTest(headers=headers):
                r = self.emu.arm("GET", CONNS, headers=headers)
                self.assertArmError(r, 401, "AuthenticationFailed")
                self.assertTrue(r.headers["www-authenticate"].startswith("Bearer authorization_uri="))

    def test_token_expiry(self) -> None:
        self.emu.control("POST", "config", {"token_lifetime": 0})
        t = self.emu.token_reply()
        self.assertEqual(t.json()["expires_in"], 0)
        r = self.emu.arm("GET", CONNS, token=t.json()["access_token"])
        self.assertArmError(r, 401, "ExpiredAuthenticationToken", "expiry UTC time")
        self.assertIn("www-authenticate", r.headers)
        self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok).status, 200)  # issued before: still valid


class ArmConnectionsTest(Base):
    def test_common_headers(self) -> None:
        r = self.emu.arm("GET", CONNS, token=self.tok, headers={"x-ms-correlation-request-id": "corr-123"})
        self.assertEqual(r.headers["x-ms-correlation-request-id"], "corr-123")
        self.assertRegex(r.headers["x-ms-request-id"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertEqual(r.headers["content-type"], "application/json; charset=utf-8")
        self.assertEqual(int(r.headers["content-length"]), len(r.raw))
        r = self.emu.arm("GET", CONNS + "/absent", token=self.tok)
        self.assertRegex(r.headers["x-ms-correlation-request-id"], r"^[0-9a-f-]{36}$")

    def test_api_version(self) -> None:
        self.assertArmError(self.emu.arm("GET", CONNS, token=self.tok, query=""), 400, "MissingApiVersionParameter")
        r = self.emu.arm("GET", CONNS, token=self.tok, query="api-version=2020-01-01")
        self.assertArmError(r, 400, "InvalidApiVersionParameter")
        for v in ("2025-04-01-preview", "2025-06-01", "2025-07-01-preview", "2025-09-01", "2025-10-01-preview",
                  "2025-12-01", "2026-01-15-preview", "2026-03-01", "2026-05-01", "2026-07-01", "2026-09-01",
                  "2026-09-15-preview"):
            self.assertIn(v, r.json()["error"]["message"])
            self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok, query="api-version=" + v).status, 200)

    def test_gateway_categories_need_a_recent_api_version(self) -> None:
        for v in ("2025-06-01", "2025-09-01"):
            r = self.put("gw1", query="api-version=" + v)
            self.assertArmError(r, 400, "BadRequest", f"ApiManagement.*not supported in api-version '{v}'")
        other = {"properties": {"category": "AzureOpenAI", "authType": "AAD", "target": "https://x"}}
        self.assertEqual(self.put("aoai1", other, query="api-version=2025-06-01").status, 200)
        self.assertEqual(self.put("gw1", query="api-version=2025-04-01-preview").status, 200)

    def test_null_metadata_values_are_kept_as_sent(self) -> None:
        """ARM takes `"inferenceAPIVersion": null` in a body and returns it on GET; other non-strings are refused."""
        body = json.loads(json.dumps(APIM_BODY))
        body["properties"]["metadata"]["inferenceAPIVersion"] = None
        self.assertEqual(self.put("nulls", body).status, 200)
        g = self.emu.arm("GET", CONNS + "/nulls", token=self.tok)
        self.assertIn("inferenceAPIVersion", g.json()["properties"]["metadata"])
        self.assertIsNone(g.json()["properties"]["metadata"]["inferenceAPIVersion"])
        body["properties"]["metadata"]["inferenceAPIVersion"] = 7
        self.assertArmError(self.put("nulls", body), 400, "ValidationError")

    def test_put_get_without_credentials(self) -> None:
        r = self.put("apim-conn")
        self.assertEqual(r.status, 200, r.raw)
        res = r.json()
        self.assertEqual(set(res), {"id", "name", "type", "properties", "systemData"})
        self.assertEqual(res["id"], CONNS + "/apim-conn")
        self.assertEqual(res["name"], "apim-conn")
        self.assertEqual(res["type"], "Microsoft.CognitiveServices/accounts/projects/connections")
        self.assertNotIn("credentials", res["properties"])
        self.assertEqual(res["properties"]["group"], "ServicesAndApps")
        self.assertEqual(res["properties"]["createdByWorkspaceArmId"], PROJECT)
        self.assertEqual(res["properties"]["metadata"], APIM_BODY["properties"]["metadata"])
        self.assertEqual(res["systemData"]["createdBy"], CLIENT)
        g = self.emu.arm("GET", CONNS + "/apim-conn", token=self.tok)
        self.assertEqual(g.status, 200)
        self.assertEqual(g.json(), res)
        lst = self.emu.arm("GET", CONNS, token=self.tok)
        for raw in (r.raw, g.raw, lst.raw):
            self.assertNotIn(b"apim-subscription-key-123", raw)
            self.assertNotIn(b"credentials", raw)
        store = self.emu.control("GET", "store")
        self.assertEqual(store[res["id"]]["credentials"], {"key": "apim-subscription-key-123"})
        self.assertEqual(store[res["id"]]["resource"], res)
        # A replacing PUT keeps creation data and the first name casing, replaces credentials.
        body = json.loads(json.dumps(APIM_BODY))
        body["properties"]["credentials"] = {"key": "rotated"}
        r2 = self.put("APIM-conn", body)
        self.assertEqual(r2.status, 200)
        self.assertEqual(r2.json()["id"], res["id"])
        self.assertEqual(r2.json()["systemData"]["createdAt"], res["systemData"]["createdAt"])
        self.assertEqual(self.emu.control("GET", "store")[res["id"]]["credentials"], {"key": "rotated"})

    def test_case_insensitive_paths_canonical_ids(self) -> None:
        lower = CONNS.lower().replace("connections", "CONNECTIONS")
        r = self.emu.arm("PUT", lower + "/casey", APIM_BODY, token=self.tok)
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json()["id"], CONNS + "/casey")
        g = self.emu.arm("GET", CONNS.upper().replace("API", "api") + "/CASEY", token=self.tok)
        self.assertEqual(g.status, 200, g.raw)
        self.assertEqual(g.json()["id"], CONNS + "/casey")

    def test_account_level_connection(self) -> None:
        r = self.put("acct-conn", parent=ACCOUNT)
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json()["type"], "Microsoft.CognitiveServices/accounts/connections")
        self.assertEqual(r.json()["id"], ACCOUNT + "/connections/acct-conn")
        self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok).json()["value"], [])

    def test_account_projects_are_listed_with_paging(self) -> None:
        for i in range(3):
            self.emu.control("PUT", "store?id=" + quote(ACCOUNT + f"/projects/extra{i}", safe=""), {})
        ids, url, pages = [], ACCOUNT + "/projects", 0
        while url:
            if url.startswith("http"):
                r = self.emu.request("GET", url.split(str(self.emu.port), 1)[1],
                                     headers={"Authorization": f"Bearer {self.tok}"})
            else:
                r = self.emu.arm("GET", url, token=self.tok)
            self.assertEqual(r.status, 200, r.raw)
            ids += [v["id"] for v in r.json()["value"]]
            self.assertTrue(all(v["type"] == "Microsoft.CognitiveServices/accounts/projects" for v in r.json()["value"]))
            url = r.json().get("nextLink")
            pages += 1
        self.assertEqual([i.rsplit("/", 1)[1] for i in ids], ["extra0", "extra1", "extra2", "proj-dev", "proj-main"])
        self.assertGreater(pages, 1)

    def test_child_collections_are_generic(self) -> None:
        """Any child collection of an account or a project, with ARM's type for each level (emu/children.py)."""
        for parent, coll, typ in ((ACCOUNT, "raiBlocklists", "Microsoft.CognitiveServices/accounts/raiBlocklists"),
                                  (PROJECT, "capabilityHosts",
                                   "Microsoft.CognitiveServices/accounts/projects/capabilityHosts"),
                                  (PROJECT, "anyNewThing", "Microsoft.CognitiveServices/accounts/projects/anyNewThing")):
            rid = f"{parent}/{coll}/c1"
            r = self.emu.arm("PUT", rid, {"properties": {"k": "v"}}, token=self.tok)
            self.assertEqual(r.status, 200, r.raw)
            self.assertEqual((r.json()["id"], r.json()["type"], r.json()["properties"]), (rid, typ, {"k": "v"}))
            g = self.emu.arm("GET", rid.upper().replace("API", "api"), token=self.tok)
            self.assertEqual((g.status, g.json()["id"]), (200, rid), g.raw)
            self.assertEqual(self.emu.arm("DELETE", rid, token=self.tok).status, 200)
            self.assertEqual(self.emu.arm("DELETE", rid, token=self.tok).status, 204)
            self.assertArmError(self.emu.arm("GET", rid, token=self.tok), 404, "ResourceNotFound")
        bad = self.emu.arm("PUT", f"{PROJECT}/capabilityHosts/c2", {"nope": 1}, token=self.tok)
        self.assertArmError(bad, 400, "InvalidRequestContent")
        orphan = ACCOUNT.replace("foundry-acct", "no-such-acct") + "/raiBlocklists/x"
        self.assertArmError(self.emu.arm("PUT", orphan, {"properties": {}}, token=self.tok), 404,
                            "ParentResourceNotFound")
        # connections and projects keep their own APIs.
        self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok).status, 200)

    def test_not_found(self) -> None:
        r = self.emu.arm("GET", CONNS + "/x12", token=self.tok)
        self.assertArmError(r, 404, "ResourceNotFound")
        self.assertTrue(r.json()["error"]["message"].startswith(
            "The Resource 'Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main/connections/x12' "
            "under resource group 'rg-foundry' was not found."))
        self.assertArmError(self.emu.arm("PATCH", CONNS + "/x12", {"properties": {}}, token=self.tok),
                            404, "ResourceNotFound")

    def test_validation(self) -> None:
        md_number = {"properties": {"authType": "ApiKey", "metadata": {"deploymentInPath": True}}}
        md_object = {"properties": {"authType": "ApiKey", "metadata": {"models": [{"name": "m"}]}}}
        cases = [("ab", APIM_BODY, 400, "ValidationError"),
                 ("-abc", APIM_BODY, 400, "ValidationError"),
                 ("a" * 34, APIM_BODY, 400, "ValidationError"),
                 ("noprops", {"name": "noprops"}, 400, "ValidationError"),
                 ("noauth", {"properties": {"category": "ApiManagement"}}, 400, "ValidationError"),
                 ("mdnum", md_number, 400, "ValidationError"),
                 ("mdobj", md_object, 400, "ValidationError"),
                 ("array", [1, 2], 400, "InvalidRequestContent")]
        for name, body, status, code in cases:
            with self.subTest(name=name):
                self.assertArmError(self.put(name, body), status, code)
        self.assertIn("metadata", self.put("mdnum", md_number).json()["error"]["message"])
        r = self.emu.arm("PUT", CONNS + "/badjson", token=self.tok, raw=b'{"properties": {',
                         headers={"Content-Type": "application/json"})
        self.assertArmError(r, 400, "InvalidRequestContent")
        self.assertArmError(self.put("orphan", parent=ACCOUNT + "/projects/proj-x"), 404, "ParentResourceNotFound")
        self.assertArmError(self.emu.arm("GET", ACCOUNT + "/projects/proj-x/connections", token=self.tok),
                            404, "ParentResourceNotFound")
        self.assertEqual(self.emu.control("GET", "store"), {})
        self.assertEqual(self.put("abc").status, 200)                       # 3 characters
        self.assertEqual(self.put("a_b-" + "c" * 29).status, 200)           # 33 characters

    def test_list_paging(self) -> None:
        names = [f"conn-{i}" for i in range(5)]
        for n in names:
            self.assertEqual(self.put(n).status, 200)
        seen: list[str] = []
        r = self.emu.arm("GET", CONNS, token=self.tok)
        pages = 0
        while True:
            self.assertEqual(r.status, 200, r.raw)
            body = r.json()
            pages += 1
            self.assertLessEqual(len(body["value"]), 2)
            seen += [v["name"] for v in body["value"]]
            for v in body["value"]:
                self.assertNotIn("credentials", v["properties"])
            if "nextLink" not in body:
                break
            link = urlsplit(body["nextLink"])
            self.assertEqual(f"{link.scheme}://{link.netloc}", self.emu.base)
            self.assertIn("$skipToken=", link.query)
            self.assertIn(API, link.query)
            r = self.emu.arm("GET", link.path + "?" + link.query, token=self.tok, query="")
        self.assertEqual((sorted(seen), pages), (names, 3))
        self.emu.control("POST", "config", {"page_size": 10})
        body = self.emu.arm("GET", CONNS, token=self.tok).json()
        self.assertEqual((len(body["value"]), "nextLink" in body), (5, False))

    def test_patch_merges_properties(self) -> None:
        self.assertEqual(self.put("patchme").status, 200)
        r = self.emu.arm("PATCH", CONNS + "/patchme",
                         {"properties": {"target": "https://new.example.com", "metadata": {"deploymentInPath": "true"}}},
                         token=self.tok)
        self.assertEqual(r.status, 200, r.raw)
        props = r.json()["properties"]
        self.assertEqual(props["target"], "https://new.example.com")
        self.assertEqual(props["metadata"], {"deploymentInPath": "true"})  # replaced as a whole
        self.assertEqual(props["authType"], "ApiKey")
        self.assertEqual(props["category"], "ApiManagement")
        entry = self.emu.control("GET", "store")[CONNS + "/patchme"]
        self.assertEqual(entry["credentials"], {"key": "apim-subscription-key-123"})
        self.assertArmError(self.emu.arm("PATCH", CONNS + "/patchme", {"properties": {"metadata": {"a": 1}}},
                                         token=self.tok), 400, "ValidationError")

    def test_delete(self) -> None:
        self.assertEqual(self.put("gone").status, 200)
        r = self.emu.arm("DELETE", CONNS + "/gone", token=self.tok)
        self.assertEqual((r.status, r.raw), (200, b""))
        self.assertEqual(self.emu.arm("DELETE", CONNS + "/gone", token=self.tok).status, 204)
        self.assertArmError(self.emu.arm("GET", CONNS + "/gone", token=self.tok), 404, "ResourceNotFound")

    def test_the_two_worlds_of_concurrent_writes(self) -> None:
        """Default: an account takes concurrent writes. Conflict world (docs/internals/arm.md 1.5): an overlapping
        write in the same account gets 409 RequestConflict; another account is not held up."""
        self.assertEqual(self.put("del-a").status, 200)
        self.assertEqual(self.put("del-b").status, 200)
        self.emu.control("POST", "config", {"write_hold_ms": 2000, "latency_ms": 0})
        # Default world: no conflict even while a write is slow.
        self.assertEqual(self.put("w-a").status, 200)
        self.emu.control("POST", "config", {"conflict_accounts": [ACCOUNT]})
        first: dict[str, Reply] = {}
        t = threading.Thread(target=lambda: first.update(r=self.emu.arm("DELETE", CONNS + "/del-a", token=self.tok)))
        t.start()
        try:
            poll(lambda: self.emu.control("GET", "stats")["writes_in_progress"] == 1, "the first write")
            self.assertArmError(self.emu.arm("DELETE", CONNS + "/del-b", token=self.tok), 409, "RequestConflict",
                                "^Another operation is being performed on the parent resource "
                                f"'{re.escape(ACCOUNT)}'")
            # The account's projects share it: a write in proj-dev conflicts too.
            self.assertArmError(self.put("other", parent=ACCOUNT + "/projects/proj-dev"), 409, "RequestConflict")
        finally:
            t.join()
        self.assertEqual(first["r"].status, 200)
        self.emu.control("POST", "config", {"write_hold_ms": 0})
        self.assertEqual(self.emu.arm("DELETE", CONNS + "/del-b", token=self.tok).status, 200)
        self.assertGreaterEqual(self.emu.control("GET", "stats")["max_concurrent_writes"], 1)

    def test_latency(self) -> None:
        self.emu.control("POST", "config", {"latency_ms": 300})
        t0 = time.monotonic()
        self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok).status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)

    def test_read_after_create_404(self) -> None:
        self.emu.control("POST", "config", {"read_after_create_404": 2})
        self.assertEqual(self.put("laggy").status, 200)
        self.assertArmError(self.emu.arm("GET", CONNS + "/laggy", token=self.tok), 404, "ResourceNotFound")
        self.assertArmError(self.emu.arm("GET", CONNS + "/laggy", token=self.tok), 404, "ResourceNotFound")
        self.assertEqual(self.emu.arm("GET", CONNS + "/laggy", token=self.tok).status, 200)
        self.assertEqual(self.put("laggy").status, 200)  # a replace is not a create: no lag
        self.assertEqual(self.emu.arm("GET", CONNS + "/laggy", token=self.tok).status, 200)

    def test_service_metadata(self) -> None:
        self.assertEqual(self.put("svcmd").status, 200)
        self.emu.control("POST", "config", {"add_service_metadata": True})
        md = self.emu.arm("GET", CONNS + "/svcmd", token=self.tok).json()["properties"]["metadata"]
        self.assertEqual(md["ApiVersion"], "2024-10-21")
        self.assertEqual(md["DeploymentApiVersion"], "2024-10-21")
        self.assertEqual(md["deploymentInPath"], "false")
        self.emu.control("POST", "config", {"add_service_metadata": False})
        md = self.emu.arm("GET", CONNS + "/svcmd", token=self.tok).json()["properties"]["metadata"]
        self.assertEqual(md, APIM_BODY["properties"]["metadata"])

    def test_parent_get_and_unknown_paths(self) -> None:
        r = self.emu.arm("GET", PROJECT, token=self.tok)
        self.assertEqual((r.status, r.json()["id"]), (200, PROJECT))
        self.assertArmError(self.emu.arm("POST", CONNS + "/x12", {}, token=self.tok), 405, "MethodNotAllowed")
        self.assertArmError(self.emu.arm("GET", ACCOUNT + "/deployments", token=self.tok), 404, "InvalidResourceType")
        self.assertArmError(self.emu.request("GET", "/nowhere"), 404, "NotFound")


# ------------------------------------------------------------------------------ control plane

class FaultTest(Base):
    def test_429_with_retry_after_then_success(self) -> None:
        self.assertEqual(self.put("flaky").status, 200)
        rule = self.emu.control("POST", "faults", {"method": "GET", "path_regex": "/connections/flaky$",
                                                    "times": 2, "status": 429, "retry_after": "1"})
        self.assertEqual(rule["times"], 2)
        for _ in range(2):
            r = self.emu.arm("GET", CONNS + "/flaky", token=self.tok)
            self.assertArmError(r, 429, "TooManyRequests")
            self.assertEqual(r.headers["retry-after"], "1")
        self.assertEqual(self.emu.arm("GET", CONNS + "/flaky", token=self.tok).status, 200)
        self.assertEqual(self.emu.control("GET", "faults")["faults"], [])
        log = self.emu.control("GET", "requests")["requests"]
        self.assertEqual([e["status"] for e in log if e["method"] == "GET"], [429, 429, 200])

    def test_custom_body_method_filter_and_clear(self) -> None:
        self.emu.control("POST", "faults", {"method": "PUT", "path_regex": "connections", "times": 0,
                                            "status": 503, "body": {"error": {"code": "Busy", "message": "m"}}})
        self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok).status, 200)  # method does not match
        for _ in range(3):                                                       # times 0: until cleared
            self.assertArmError(self.put("faulty"), 503, "Busy")
        self.emu.control("DELETE", "faults")
        self.assertEqual(self.put("faulty").status, 200)
        self.emu.control("POST", "faults", {"path_regex": "oauth2", "status": 500, "body": "<html>oops</html>"})
        r = self.emu.token_reply()
        self.assertEqual((r.status, r.raw), (500, b"<html>oops</html>"))

    def test_reset_closes_without_response(self) -> None:
        self.emu.control("POST", "faults", {"method": "GET", "path_regex": "connections", "action": "reset"})
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            self.emu.arm("GET", CONNS, token=self.tok)
        self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok).status, 200)
        self.assertEqual([e["status"] for e in self.emu.control("GET", "requests")["requests"]][-2:], [0, 200])

    def test_hang_with_delay_then_status(self) -> None:
        self.emu.control("POST", "faults", {"path_regex": "connections", "action": "hang", "delay_ms": 200,
                                            "status": 503})
        start = time.monotonic()
        r = self.emu.arm("GET", CONNS, token=self.tok)
        self.assertGreaterEqual(time.monotonic() - start, 0.2)
        self.assertArmError(r, 503, "ServiceUnavailable")

    def test_injected_success_has_no_envelope(self) -> None:
        self.emu.control("POST", "faults", {"path_regex": "connections", "status": 200})
        r = self.emu.arm("GET", CONNS)  # no token: the fault answers before ARM would
        self.assertEqual((r.status, r.json()), (200, {}))

    def test_hang_until_cleared_then_served(self) -> None:
        self.emu.control("POST", "faults", {"path_regex": "connections", "action": "hang"})
        out: dict[str, Reply] = {}
        t = threading.Thread(target=lambda: out.update(r=self.emu.arm("GET", CONNS, token=self.tok)))
        t.start()
        try:
            poll(lambda: self.emu.control("GET", "stats")["faults_fired"] == 1, "the hanging request")
            self.assertNotIn("r", out)
        finally:
            self.emu.control("DELETE", "faults")
            t.join()
        self.assertEqual(out["r"].status, 200)  # served normally once released

    def test_after_create_404_rule(self) -> None:
        self.emu.control("POST", "faults", {"method": "GET", "path_regex": "lagging", "after_create_404": True})
        self.assertArmError(self.emu.arm("GET", CONNS + "/lagging", token=self.tok), 404, "ResourceNotFound")
        self.assertEqual(len(self.emu.control("GET", "faults")["faults"]), 1)  # absent: the rule did not fire
        self.assertEqual(self.put("lagging").status, 200)
        self.assertArmError(self.emu.arm("GET", CONNS + "/lagging", token=self.tok), 404, "ResourceNotFound")
        self.assertEqual(self.emu.arm("GET", CONNS + "/lagging", token=self.tok).status, 200)

    def test_invalid_rules_rejected(self) -> None:
        for rule in ({"path": "x"}, {"path_regex": "("}, {"action": "explode"}, {"status": "429"}, [1]):
            with self.subTest(rule=rule):
                r = self.emu.request("POST", "/_emulator/faults", rule)
                self.assertArmError(r, 400, "BadRequest")


class ControlTest(Base):
    def test_requests_log(self) -> None:
        self.emu.control("DELETE", "requests")
        self.put("logged", headers={"X-Custom": "v"})
        self.emu.token_reply()
        log = self.emu.control("GET", "requests")["requests"]
        self.assertEqual(len(log), 2)
        put, tok = log
        for k in ("seq", "method", "path", "query", "headers", "body", "status", "conn", "time"):
            self.assertIn(k, put)
        self.assertEqual((put["method"], put["path"], put["status"]), ("PUT", CONNS + "/logged", 200))
        self.assertEqual(put["query"], {"api-version": "2026-09-01"})
        self.assertEqual(put["headers"]["authorization"], "Bearer <redacted>")
        self.assertEqual(put["headers"]["x-custom"], "v")
        self.assertEqual(put["body"], APIM_BODY)  # what the client sent, credentials included
        self.assertLess(put["seq"], tok["seq"])
        self.assertIn("client_secret=<redacted>", tok["body"])
        self.assertNotIn(SECRET, json.dumps(log))
        self.assertNotIn(self.tok, json.dumps(log))
        self.emu.control("DELETE", "requests")
        self.assertEqual(self.emu.control("GET", "requests")["requests"], [])

    def test_keep_alive_counts_one_connection(self) -> None:
        self.emu.control("POST", "reset")  # drop setUp's token request from the stats
        c = self.emu.connect()
        try:
            self.assertEqual(self.emu.arm("GET", CONNS, token=self.tok, conn=c).status, 200)
            self.assertEqual(self.emu.arm("GET", CONNS + "/nope", token=self.tok, conn=c).status, 404)
        finally:
            c.close()
        stats = self.emu.control("GET", "stats")
        self.assertEqual((stats["connections_opened"], stats["requests"], stats["tokens_issued"]), (1, 2, 0))
        conns = {e["conn"] for e in self.emu.control("GET", "requests")["requests"]}
        self.assertEqual(len(conns), 1)

    def test_store_out_of_band(self) -> None:
        self.assertEqual(self.put("drift").status, 200)
        cid = CONNS + "/drift"
        changed = {"properties": {"category": "ApiManagement", "authType": "ApiKey", "target": "https://drifted",
                                  "metadata": {"deploymentInPath": "true"}}}
        r = self.emu.request("PUT", f"/_emulator/store?id={cid}", changed)
        self.assertEqual(r.status, 200, r.raw)
        got = self.emu.arm("GET", cid, token=self.tok).json()["properties"]
        self.assertEqual((got["target"], got["metadata"]), ("https://drifted", {"deploymentInPath": "true"}))
        self.assertEqual(self.emu.control("GET", "store")[cid]["credentials"], {"key": "apim-subscription-key-123"})
        r = self.emu.request("DELETE", f"/_emulator/store?id={cid}")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.emu.arm("GET", cid, token=self.tok).status, 404)
        self.assertEqual(self.emu.request("DELETE", f"/_emulator/store?id={cid}").status, 404)
        # Out-of-band deletion of the project takes its connections with it.
        self.assertEqual(self.put("child").status, 200)
        self.assertEqual(self.emu.request("DELETE", f"/_emulator/store?id={PROJECT}").status, 200)
        self.assertArmError(self.emu.arm("GET", CONNS + "/child", token=self.tok), 404, "ParentResourceNotFound")
        self.assertEqual(self.emu.control("GET", "store"), {})

    def test_reset_and_config(self) -> None:
        self.assertEqual(self.put("temp").status, 200)
        self.emu.control("POST", "faults", {"path_regex": "never-matches"})
        self.emu.control("POST", "config", {"page_size": 7, "add_service_metadata": True})
        self.assertArmError(self.emu.request("POST", "/_emulator/config", {"page_size": 0}), 400, "BadRequest")
        self.assertArmError(self.emu.request("POST", "/_emulator/config", {"nope": 1}), 400, "BadRequest")
        self.emu.control("POST", "reset")
        self.assertEqual(self.emu.control("GET", "store"), {})
        self.assertEqual(self.emu.control("GET", "faults")["faults"], [])
        self.assertEqual(self.emu.control("GET", "requests")["requests"], [])
        stats = self.emu.control("GET", "stats")
        self.assertEqual((stats["connections_opened"], stats["requests"], stats["tokens_issued"]), (0, 0, 0))
        cfg = self.emu.control("GET", "config")
        self.assertEqual((cfg["page_size"], cfg["add_service_metadata"], cfg["token_lifetime"],
                          cfg["read_after_create_404"]), (2, False, 3600, 0))
        self.assertEqual(len(self.emu.control("GET", "parents")["parents"]), 3)


class RobustnessTest(Base):
    def raw_exchange(self, data: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.emu.port), timeout=10) as s:
            s.sendall(data)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
        return b"".join(chunks)

    def check_envelope(self, reply: bytes, status: int) -> None:
        head, _, body = reply.partition(b"\r\n\r\n")
        self.assertRegex(head.split(b"\r\n")[0].decode(), rf"^HTTP/1\.[01] {status} ")
        self.assertIn(b"content-length", head.lower())
        self.assertIn("code", json.loads(body)["error"])

    def test_malformed_requests_get_envelopes(self) -> None:
        self.check_envelope(self.raw_exchange(b"GARBAGE\r\n\r\n"), 400)
        self.check_envelope(self.raw_exchange(b"GET / HTTP/9.x\r\n\r\n"), 400)
        self.check_envelope(self.raw_exchange(
            b"PUT " + CONNS.encode() + b"/x?" + API.encode() + b" HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n"), 400)
        self.check_envelope(self.raw_exchange(b"BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"), 501)
        self.check_envelope(self.raw_exchange(b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n"), 414)
        self.assertEqual(self.emu.control("GET", "health"), {"status": "ok"})

    def test_chunked_body(self) -> None:
        c = self.emu.connect()
        try:
            data = json.dumps(APIM_BODY).encode()
            c.request("PUT", f"{CONNS}/chunky?{API}", body=iter([data[:10], data[10:]]), encode_chunked=True,
                      headers={"Authorization": f"Bearer {self.tok}", "Content-Type": "application/json"})
            r = Reply(c.getresponse())
        finally:
            c.close()
        self.assertEqual(r.status, 200, r.raw)
        self.assertEqual(r.json()["name"], "chunky")


# ------------------------------------------------------------------- separate emulator processes

class ProcessTest(unittest.TestCase):
    """Command-line options, each on its own emulator."""

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="armemu-proc-", dir=TMP)

    def test_state_file_log_and_sigterm(self) -> None:
        state, log = os.path.join(self.tmp, "state.json"), os.path.join(self.tmp, "requests.log")
        emu = Emulator(self.tmp, "--state-file", state, "--log", log)
        try:
            tok = emu.token()
            self.assertEqual(emu.arm("PUT", CONNS + "/kept", APIM_BODY, token=tok).status, 200)
            before = emu.arm("GET", CONNS + "/kept", token=tok).json()
        finally:
            self.assertEqual(emu.stop(signal.SIGTERM), 0)
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o600)
        emu = Emulator(self.tmp, "--state-file", state, "--log", log)
        try:
            r = emu.arm("GET", CONNS + "/kept", token=tok)  # tokens survive restarts too
            self.assertEqual((r.status, r.json()), (200, before))
            self.assertEqual(emu.control("GET", "store")[CONNS + "/kept"]["credentials"],
                             {"key": "apim-subscription-key-123"})
        finally:
            self.assertEqual(emu.stop(signal.SIGINT), 0)
        with open(log) as f:
            lines = f.read().splitlines()
        self.assertTrue(any(re.search(rf" PUT {re.escape(CONNS)}/kept 200 ", ln) for ln in lines), lines)
        self.assertTrue(any(" POST /" + TENANT + "/oauth2/v2.0/token 200 " in ln for ln in lines), lines)
        text = "\n".join(lines)
        for secret in (SECRET, tok, "apim-subscription-key-123"):
            self.assertNotIn(secret, text)

    def test_seed_no_auth_and_token_lifetime(self) -> None:
        seed = os.path.join(self.tmp, "seed.json")
        other = ("/subscriptions/aaaaaaaa-0000-0000-0000-000000000000/resourceGroups/rg-x/providers/"
                 "Microsoft.CognitiveServices/accounts/acct-x/projects/proj-x")
        with open(seed, "w") as f:
            json.dump({"parents": [other], "clients": {"55555555-5555-5555-5555-555555555555": "s3cret"}}, f)
        emu = Emulator(self.tmp, "--seed", seed, "--no-auth", "--token-lifetime", "120")
        try:
            self.assertEqual(emu.arm("PUT", other + "/connections/seeded", APIM_BODY).status, 200)
            self.assertEqual(emu.arm("GET", other.rsplit("/projects", 1)[0], query=API).status, 200)  # implied account
            self.assertEqual(emu.arm("PUT", CONNS + "/default", APIM_BODY).status, 404)
            self.assertEqual(emu.token_reply().status, 400)  # default client not seeded
            r = emu.token_reply(client_id="55555555-5555-5555-5555-555555555555", client_secret="s3cret")
            self.assertEqual((r.status, r.json()["expires_in"]), (200, 120))
            idle = emu.connect()  # an idle keep-alive connection must not delay shutdown
            self.assertEqual(emu.request("GET", "/_emulator/health", conn=idle).status, 200)
        finally:
            self.assertEqual(emu.stop(), 0)
            idle.close()

    def test_bad_seed_exits_nonzero(self) -> None:
        seed = os.path.join(self.tmp, "seed.json")
        with open(seed, "w") as f:
            f.write('{"parents": ["/not/an/id"]}')
        p = subprocess.run([sys.executable, ARMEMU, "--port", "0", "--seed", seed], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("not an account or project id", p.stderr)


if __name__ == "__main__":
    unittest.main()
