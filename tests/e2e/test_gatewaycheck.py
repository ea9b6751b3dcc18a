"""Scenario: the gateway check. A connection is applied against the ARM emulator and pointed at the fake gateway
(emulator/fakegw.py: APIM and LiteLLM, its own CA, reached through `resolve`); a check {} block with a scoped
`foundry_gateway_check` passes for a working gateway, and for each fault warns (the apply still succeeds), naming
the status and the attribute to look at. Secrets never reach the output or the logs."""

import json
import os
import re
import unittest

from harness import PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, FakeGateway, require

KEY = "e2e-gw-key-5a5b"
OAUTH2_SECRET = "e2e-gw-oauth2-secret-6c6d"

HEADER = """terraform {
  required_providers {
    foundry = { source = "%s" }
  }
}
provider "foundry" {}
variable "key" {
  type      = string
  sensitive = true
}
""" % PROVIDER_SOURCE

APIM = HEADER + """
resource "foundry_gateway_connection" "apim" {
  parent_id              = "%(parent)s"
  name                   = "apim-checked"
  category               = "ApiManagement"
  target                 = "%(target)s"
  auth_type              = "ApiKey"
  api_key                = var.key
  deployment_in_path     = %(in_path)s
  inference_api_version  = "2024-10-21"
  deployment_api_version = "2024-10-21"
  %(models)s
}

check "gateway" {
  data "foundry_gateway_check" "apim" {
    connection_id  = foundry_gateway_connection.apim.id
    api_key        = %(check_key)s
    inference      = true
    timeout_seconds = 2
    ca_certificate = file("%(ca)s")
    resolve        = %(resolve)s
  }
  assert {
    condition     = data.foundry_gateway_check.apim.ok
    error_message = join("\\n", data.foundry_gateway_check.apim.problems)
  }
}
"""

LITELLM = HEADER + """
variable "secret" {
  type      = string
  sensitive = true
}
resource "foundry_gateway_connection" "litellm" {
  parent_id = "%(parent)s"
  name      = "litellm-checked"
  category  = "ModelGateway"
  target    = "%(target)s"
  auth_type = "OAuth2"
  oauth2 = {
    client_id     = "gw-client"
    client_secret = var.secret
    token_url     = "%(token_url)s"
    scopes        = ["models.read"]
  }
  model_discovery = {
    list_models_endpoint = "/models"
    get_model_endpoint   = "/models/{deploymentName}"
    deployment_provider  = "OpenAI"
  }
}

# Outside the check block, so that an output can show what it found (a scoped data source is the check's own).
data "foundry_gateway_check" "litellm" {
  connection_id        = foundry_gateway_connection.litellm.id
  oauth2_client_id     = "gw-client"
  oauth2_client_secret = var.secret
  inference            = true
  ca_certificate       = file("%(ca)s")
  resolve              = %(resolve)s
}

check "gateway" {
  assert {
    condition     = data.foundry_gateway_check.litellm.ok
    error_message = join("\\n", data.foundry_gateway_check.litellm.problems)
  }
}

output "models" {
  value = data.foundry_gateway_check.litellm.models
}
"""


def hcl_map(d: dict) -> str:
    return "{ " + ", ".join(f'"{k}" = "{v}"' for k, v in d.items()) + " }"


class GatewayCheckTest(E2ETestCase):

    trace_secrets = (KEY, OAUTH2_SECRET)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = FakeGateway(cls._class_tmp)

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        super().tearDownClass()

    def setUp(self):
        require("check_block")
        super().setUp()
        self.gw.reset()
        self.gw.config(key=KEY)

    def apim(self, in_path="true", check_key="var.key", models='models = [\n    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },\n  ]'):
        cfg = APIM % {"parent": PROJECT_ID, "target": self.gw.url("apim.gateway.test", "/apim"), "in_path": in_path,
                      "models": models, "check_key": check_key, "ca": self.gw.ca_pem,
                      "resolve": hcl_map(self.gw.resolve("apim.gateway.test"))}
        return self.workspace(None, files={"main.tf": cfg}, env={"TF_VAR_key": KEY})

    def warned(self, ws, *patterns):
        """apply succeeds, with the check's warning carrying each pattern; then destroy."""
        r = self.apply(ws)
        self.assertIn("Check block assertion failed", r.output, r.describe())
        flat = re.sub(r"\s+", " ", r.output)  # the CLIs wrap long diagnostics
        for p in patterns:
            self.assertRegex(flat, p, r.describe())
        self.assertNotIn(KEY, r.output)
        self.destroy(ws)
        return r

    def test_working_apim_connection_passes(self):
        ws = self.apim()
        log = os.path.join(self.tmp, "trace.log")
        r = self.apply(ws, env={"TF_LOG": "TRACE", "TF_LOG_PATH": log})
        self.assertNotIn("Check block assertion failed", r.output, r.describe())
        reqs = self.gw.requests()
        paths = [f"{q['method']} {q['path']}" for q in reqs]
        # Static models: no discovery; inference with the deployment in the path and the api-version.
        self.assertEqual(paths, ["POST /apim/deployments/gpt-4o/chat/completions?api-version=2024-10-21"], paths)
        self.assertEqual(reqs[0]["headers"].get("api-key"), KEY)
        with open(log, errors="replace") as f:
            self.assertNotIn(KEY, f.read(), "the gateway key is in the TRACE log")
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertNotIn("Check block assertion failed", r.output, "the check runs again at plan\n" + r.describe())
        self.destroy(ws)

    def test_dynamic_discovery_passes_and_lists_models(self):
        ws = self.apim(models="")
        r = self.apply(ws)
        self.assertNotIn("Check block assertion failed", r.output, r.describe())
        paths = [f"{q['method']} {q['path'].split('?')[0]}" for q in self.gw.requests()]
        self.assertIn("GET /apim/deployments", paths)
        self.assertIn("GET /apim/deployments/gpt-4o-mini", paths)
        self.destroy(ws)

    def test_wrong_key_warns(self):
        self.gw.config(key="another-key")
        self.warned(self.apim(), r"401", r"api_key")

    def test_missing_discovery_operations_warn(self):
        self.gw.config(discovery=False)
        self.warned(self.apim(models=""), r"GET /apim/deployments\?api-version=2024-10-21 -> 404",
                    r"list-deployments", r"deployment_api_version")

    def test_wrong_api_version_warns(self):
        self.gw.config(api_version="2025-01-01")
        self.warned(self.apim(), r"-> 400", r"inference_api_version")

    def test_deployment_in_path_the_wrong_way_warns(self):
        self.gw.config(in_path=False)
        self.warned(self.apim(), r"-> 404", r"deployment_in_path")

    def test_unknown_deployment_warns(self):
        self.gw.config(deployments=["gpt-35-turbo"])
        self.warned(self.apim(), r"DeploymentNotFound", r"models\[\]\.name")

    def test_slow_gateway_warns(self):
        self.gw.config(delay_ms=4000)
        self.warned(self.apim(), r"no answer within timeout_seconds")

    def test_redirect_to_another_host_warns(self):
        self.gw.config(redirect=True)
        self.warned(self.apim(), r"302 redirect to https://other\.gateway\.test", r"not followed")

    def test_bad_arguments_are_diagnostics(self):
        ws = self.apim(check_key="null")
        r = ws.run("apply", "-auto-approve", "-no-color")
        self.assertIn("api_key needed", r.output, r.describe())
        self.destroy(ws)

    def test_example_passes_and_warns(self):
        """examples/gateway-check as shipped: a passing check, then a warning once the key is rotated away."""
        res = self.gw.resolve("apim.gateway.test")
        env = {"TF_VAR_gateway_url": self.gw.url("apim.gateway.test", "/apim"), "TF_VAR_gateway_key": KEY,
               "TF_VAR_resolve": json.dumps(res)}
        with open(self.gw.ca_pem) as f:
            env["TF_VAR_ca_certificate"] = f.read()
        ws = self.workspace("gateway-check", env=env)
        r = self.apply(ws)
        self.assertNotIn("Check block assertion failed", r.output, r.describe())
        self.gw.config(key="rotated-key")
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn("The gateway does not work as Foundry will use it", re.sub(r"\s+", " ", r.output), r.describe())
        self.destroy(ws)

    def test_managed_identity_sends_the_callers_token(self):
        """ProjectManagedIdentity: Foundry would send the project's identity; from Terraform the check can only send
        the caller's (the provider's credentials), for the connection's audience, and its step says so."""
        self.gw.config(accept_bearer=True)
        cfg = (APIM % {"parent": PROJECT_ID, "target": self.gw.url("apim.gateway.test", "/apim"), "in_path": "true",
                       "models": 'models = [{ name = "gpt-4o", model_name = "gpt-4o", model_format = "OpenAI" }]',
                       "check_key": "null", "ca": self.gw.ca_pem,
                       "resolve": hcl_map(self.gw.resolve("apim.gateway.test"))})
        cfg = cfg.replace('auth_type              = "ApiKey"\n  api_key                = var.key\n',
                          'auth_type              = "ProjectManagedIdentity"\n  audience               = "api://gw"\n')
        ws = self.workspace(None, files={"main.tf": cfg}, env={"TF_VAR_key": KEY})
        r = self.apply(ws)
        self.assertNotIn("Check block assertion failed", r.output, r.describe())
        reqs = self.gw.requests()
        self.assertTrue(reqs and reqs[0]["headers"].get("authorization", "").startswith("Bearer "), reqs)
        self.assertIsNone(reqs[0]["headers"].get("api-key"))
        self.destroy(ws)

    def test_litellm_oauth2_discovery_passes(self):
        cfg = LITELLM % {"parent": PROJECT_ID, "target": self.gw.url("litellm.gateway.test", "/litellm"),
                         "token_url": self.gw.url("litellm.gateway.test", "/oauth2/token"), "ca": self.gw.ca_pem,
                         "resolve": hcl_map(self.gw.resolve("litellm.gateway.test"))}
        self.gw.config(client_secret=OAUTH2_SECRET)
        ws = self.workspace(None, files={"main.tf": cfg}, env={"TF_VAR_key": KEY, "TF_VAR_secret": OAUTH2_SECRET})
        r = self.apply(ws)
        self.assertNotIn("Check block assertion failed", r.output, r.describe())
        self.assertNotIn(OAUTH2_SECRET, r.output)
        out = json.loads(self.ok(ws, "output", "-json").stdout)
        self.assertEqual(out["models"]["value"], ["gpt-4o", "gpt-4o-mini"])
        paths = [f"{q['method']} {q['path']}" for q in self.gw.requests()]
        self.assertEqual(paths[0], "POST /oauth2/token")
        self.assertIn("POST /litellm/chat/completions", paths)
        self.destroy(ws)


if __name__ == "__main__":
    unittest.main()
