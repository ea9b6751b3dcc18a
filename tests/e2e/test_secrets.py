"""Scenario 6: no secret is ever written to a log or printed. An apply + plan + destroy at TF_LOG=TRACE with
TF_LOG_PATH; the log file, the CLI's stdout/stderr and (for the write-only key) the state file are scanned
for every secret value: the API key, the write-only API key, the OAuth2 client secret, a sensitive custom header,
the ARM client secret, and any bearer/access token value (the emulator's request log redacts tokens, so the
scan looks for any `Bearer <value>` / `access_token` value that is not a redaction marker)."""

import os
import re
import unittest

from harness import CLI_NAME, CLIENT_SECRET, PROJECT_ID, E2ETestCase, connection_id, require

API_KEY = "e2e-secret-apikey-8c21f0"
WO_KEY = "e2e-secret-writeonly-4b7e9a"
OAUTH2_SECRET = "e2e-secret-oauth2-d3a5c7"
HEADER_SECRET = "e2e-secret-header-61f2b8"

CONFIG = f"""terraform {{
  required_providers {{
    foundry = {{
      source = "registry.terraform.io/foundry-labs/foundry"
    }}
  }}
}}

provider "foundry" {{}}

variable "api_key" {{
  type      = string
  sensitive = true
}}
variable "wo_key" {{
  type      = string
  sensitive = true
}}
variable "oauth2_secret" {{
  type      = string
  sensitive = true
}}

resource "foundry_gateway_connection" "key" {{
  parent_id          = "{PROJECT_ID}"
  name               = "secret-apikey"
  category           = "ApiManagement"
  target             = "https://contoso-apim.azure-api.net/foundry"
  auth_type          = "ApiKey"
  api_key            = var.api_key
  deployment_in_path = true
  models = [
    {{ name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" }},
  ]
}}

resource "foundry_gateway_connection" "wo" {{
  parent_id          = "{PROJECT_ID}"
  name               = "secret-writeonly"
  category           = "ModelGateway"
  target             = "https://litellm.example.com/v1"
  auth_type          = "ApiKey"
  api_key_wo         = var.wo_key
  api_key_wo_version = "1"
  models = [
    {{ name = "llama", model_name = "llama-3.3-70b", model_version = "1", model_format = "OpenAI" }},
  ]
}}

resource "foundry_gateway_connection" "oauth2" {{
  parent_id = "{PROJECT_ID}"
  name      = "secret-oauth2"
  category  = "ModelGateway"
  target    = "https://gateway.example.com/v1"
  auth_type = "OAuth2"
  oauth2 = {{
    client_id     = "gateway-client"
    client_secret = var.oauth2_secret
    token_url     = "https://idp.example.com/oauth2/token"
    scopes        = ["gateway.read"]
  }}
  model_discovery = {{
    list_models_endpoint = "/models"
    get_model_endpoint   = "/models/{{deploymentName}}"
    deployment_provider  = "OpenAI"
  }}
}}
"""

ENV = {"TF_VAR_api_key": API_KEY, "TF_VAR_wo_key": WO_KEY, "TF_VAR_oauth2_secret": OAUTH2_SECRET}

SECRETS = {"api_key": API_KEY, "api_key_wo": WO_KEY, "oauth2.client_secret": OAUTH2_SECRET,
           "ARM client secret": CLIENT_SECRET}

def excerpt(line, value):
    """Where a secret sits in a line, with the secret itself masked (the report should not repeat it)."""
    i = line.find(value)
    return (line[max(0, i - 160):i] + "<SECRET>" + line[i + len(value):i + len(value) + 80]).strip()


REDACTED = re.compile(r"(?i)^(<?redacted>?|\[redacted\]|\*+|<hidden>|\(sensitive value\)|\.\.\.|x+)$")
BEARER = re.compile(r"Bearer\s+([^\s\"'\\,}]+)")
ACCESS_TOKEN = re.compile(r"(?i)\\?\"(?:access_token|accessToken)\\?\"\s*:\s*\\?\"([^\"\\]+)")


# The emulator's access tokens are "emu." + 43 url-safe characters (emulator/armemu.py issue_token).
EMULATOR_TOKEN = re.compile(r"emu\.[A-Za-z0-9_-]{20,}")


def find_tokens(text):
    """Token-looking values after `Bearer ` or in an access_token field that are not redaction markers, and
    anything shaped like an access token the emulator issues."""
    found = [m.group(1) for m in BEARER.finditer(text)] + [m.group(1) for m in ACCESS_TOKEN.finditer(text)]
    found += EMULATOR_TOKEN.findall(text)
    return sorted({v for v in found if not REDACTED.match(v) and len(v) >= 8 and "{" not in v})


class SecretsTest(E2ETestCase):

    def setUp(self):
        require("write_only")  # the configuration holds api_key_wo too
        super().setUp()

    def test_no_secret_in_logs_output_or_state(self):
        ws = self.workspace(None, files={"main.tf": CONFIG}, env=ENV)
        log = os.path.join(self.tmp, "tf-trace.log")
        env = {"TF_LOG": "TRACE", "TF_LOG_PATH": log}
        results = [self.apply(ws, env=env), self.plan_exit(ws, 0, env=env)]

        # The connections really carry the secrets (otherwise the scan proves nothing).
        store = self.emulator.store()
        self.assertEqual(store[connection_id(PROJECT_ID, "secret-apikey")].get("credentials"), {"key": API_KEY})
        self.assertEqual(store[connection_id(PROJECT_ID, "secret-writeonly")].get("credentials"), {"key": WO_KEY})
        self.assertEqual(store[connection_id(PROJECT_ID, "secret-oauth2")].get("credentials"),
                         {"clientId": "gateway-client", "clientSecret": OAUTH2_SECRET})
        self.assertGreaterEqual(self.emulator.stats().get("tokens_issued", 0), 1)

        results.append(self.destroy(ws, env=env))

        self.assertTrue(os.path.exists(log), "TF_LOG_PATH was not written")
        with open(log, encoding="utf-8", errors="replace") as f:
            log_text = f.read()
        # The provider's own lines must be in the log (the CLI writes them under the
        # `provider.terraform-provider-foundry` logger), and at TRACE, else this test scans nothing.
        self.assertTrue(re.search(r"\[TRACE\] provider\.terraform-provider-foundry", log_text),
                        f"no provider TRACE line reached TF_LOG_PATH ({len(log_text)} bytes)")
        self.assertIn("HTTP request", log_text, "the provider logged no HTTP exchange at TRACE")
        print(f"\n[e2e.secrets] scanned {len(log_text.splitlines())} log lines, "
              f"{sum(len(r.output) for r in results)} bytes of {CLI_NAME} output")

        where = {"TF_LOG_PATH file": log_text}
        for r in results:
            where[f"{CLI_NAME} {' '.join(r.args)} stdout/stderr"] = r.output
        leaks = []
        for place, text in where.items():
            for what, value in SECRETS.items():
                for line in text.splitlines():
                    if value in line:
                        leaks.append(f"{what} in {place}: ...{excerpt(line, value)}...")
                        break
            for tok in find_tokens(text):
                leaks.append(f"a bearer/access token value in {place}: {tok[:12]}...")
        # The write-only key must not reach the state (the other secrets do, as in Terraform).
        for st in ("terraform.tfstate", "terraform.tfstate.backup"):
            if WO_KEY in ws.state_text(st):
                leaks.append(f"api_key_wo in {st}")
        self.assertFalse(leaks, "secrets leaked:\n" + "\n".join(leaks))


    def test_sensitive_custom_header_not_printed(self):
        """custom_headers is sensitive (issue); its values also travel inside the computed `metadata` map
        (customHeaders JSON string), which must not print them either."""
        cfg = CONFIG.split('resource "foundry_gateway_connection" "key"')[0] + f'''
variable "header_secret" {{
  type      = string
  sensitive = true
}}

resource "foundry_gateway_connection" "hdr" {{
  parent_id          = "{PROJECT_ID}"
  name               = "secret-header"
  category           = "ModelGateway"
  target             = "https://litellm.example.com/v1"
  auth_type          = "ApiKey"
  api_key            = var.api_key
  custom_headers = {{
    "x-api-secret" = var.header_secret
  }}
  models = [
    {{ name = "llama", model_name = "llama-3.3-70b", model_version = "1", model_format = "OpenAI" }},
  ]
}}
'''
        ws = self.workspace(None, files={"main.tf": cfg}, env=dict(ENV, TF_VAR_header_secret=HEADER_SECRET))
        log = os.path.join(self.tmp, "tf-trace.log")
        env = {"TF_LOG": "TRACE", "TF_LOG_PATH": log}
        results = [self.apply(ws, env=env), self.plan_exit(ws, 0, env=env)]
        md = self.emulator.stored(connection_id(PROJECT_ID, "secret-header"))["resource"]["properties"]["metadata"]
        self.assertIn(HEADER_SECRET, md.get("customHeaders", ""), "the header was not sent")
        leaks = [f"{CLI_NAME} {' '.join(r.args)}: ...{excerpt(line, HEADER_SECRET)}..." for r in results
                 for line in r.output.splitlines() if HEADER_SECRET in line]
        with open(log, encoding="utf-8", errors="replace") as f:
            leaks += [f"TF_LOG_PATH: ...{excerpt(line, HEADER_SECRET)}..." for line in f if HEADER_SECRET in line]
        self.assertFalse(leaks, "the sensitive custom header value was printed or logged:\n" + "\n".join(leaks))


if __name__ == "__main__":
    unittest.main()
