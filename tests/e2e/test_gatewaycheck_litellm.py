"""Scenario: the gateway check against a real gateway, LiteLLM's proxy (installed by the setup from PyPI, pinned
with hashes; HTTPS with a CA made here, `mock_response` models, a master key, on loopback). Each scenario asserts
`ok` and the substance of the problem: the gateway's own message, the attribute it points at, and never an
attribute the connection does not set. The fake gateway (test_gatewaycheck.py) stays for what a real one cannot do
on demand (slow answers, redirects)."""

import json
import re
import unittest

from harness import PROJECT_ID, PROVIDER_SOURCE, E2ETestCase, LiteLLMGateway

MASTER_KEY = "sk-e2e-litellm-master-8a8b"

CONFIG = """terraform {
  required_providers {
    foundry = { source = "%(source)s" }
  }
}
provider "foundry" {}
variable "key" {
  type      = string
  sensitive = true
}
resource "foundry_gateway_connection" "litellm" {
  parent_id = "%(parent)s"
  name      = "%(name)s"
  category  = "ModelGateway"
  target    = "%(target)s"
  auth_type = "ApiKey"
  api_key   = var.key
  auth_config = {
    type        = "api_key"
    header_name = "Authorization"
    format      = "Bearer {api_key}"
  }
  %(models)s
}
data "foundry_gateway_check" "litellm" {
  connection_id   = foundry_gateway_connection.litellm.id
  api_key         = %(check_key)s
  inference       = %(inference)s
  timeout_seconds = 5
  %(ca)s
  resolve         = { "%(rk)s" = "%(rv)s" }
}
output "ok" {
  value = data.foundry_gateway_check.litellm.ok
}
output "problems" {
  value = data.foundry_gateway_check.litellm.problems
}
output "models" {
  value = data.foundry_gateway_check.litellm.models
}
output "steps" {
  value = data.foundry_gateway_check.litellm.steps
}
"""

STATIC = """models = [
    { name = "gpt-4o", model_name = "gpt-4o", model_format = "OpenAI" },
    { name = "%s", model_name = "gpt-4o-mini", model_format = "OpenAI" },
  ]"""
DISCOVERY = """model_discovery = {
    list_models_endpoint = "/models"
    get_model_endpoint   = "/models/{deploymentName}"
    deployment_provider  = "OpenAI"
  }"""


class LiteLLMGatewayCheckTest(E2ETestCase):

    trace_secrets = (MASTER_KEY,)
    counter = 0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gw = LiteLLMGateway(cls._class_tmp, MASTER_KEY)

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        super().tearDownClass()

    def check(self, models=None, inference="false", key=MASTER_KEY, path="/v1", trust=True, env=None):
        """Apply a connection and its check; returns (ok, problems, steps, models, workspace)."""
        LiteLLMGatewayCheckTest.counter += 1
        (rk, rv), = self.gw.resolve().items()
        cfg = CONFIG % {"source": PROVIDER_SOURCE, "parent": PROJECT_ID, "name": f"litellm-{self.counter}",
                        "target": self.gw.url(path), "models": models if models is not None else STATIC % "gpt-4o-mini",
                        "check_key": "var.check_key", "inference": inference, "rk": rk, "rv": rv,
                        "ca": f'ca_certificate = file("{self.gw.ca_pem}")' if trust else ""}
        cfg += 'variable "check_key" {\n  type      = string\n  sensitive = true\n}\n'
        ws = self.workspace(None, files={"main.tf": cfg},
                            env={"TF_VAR_key": MASTER_KEY, "TF_VAR_check_key": key, **(env or {})})
        r = self.apply(ws)
        self.assertNotIn(MASTER_KEY, r.output)
        out = json.loads(self.ok(ws, "output", "-json").stdout)
        problems = out["problems"]["value"]
        flat = [re.sub(r"\s+", " ", p) for p in problems]
        return out["ok"]["value"], flat, out["steps"]["value"], out["models"]["value"], ws

    def assertBlamesNothingUnset(self, problems):
        for p in problems:
            for attr in ("inference_api_version", "deployment_api_version", "custom_headers", "deployment_in_path"):
                self.assertNotIn(attr, p, "a problem names an attribute the connection does not set")

    def test_static_models_checked_without_tokens(self):
        ok, problems, steps, models, ws = self.check()
        self.assertTrue(ok, problems)
        self.assertEqual([(s["method"], s["path"], s["status"]) for s in steps], [("GET", "/v1/models", 200)])
        self.assertEqual(models, ["gpt-4o", "gpt-4o-mini"])
        self.destroy(ws)

    def test_static_models_with_inference(self):
        ok, problems, steps, _, ws = self.check(inference="true")
        self.assertTrue(ok, problems)
        self.assertEqual([(s["name"], s["path"], s["status"]) for s in steps],
                         [("chat gpt-4o", "/v1/chat/completions", 200), ("chat gpt-4o-mini", "/v1/chat/completions", 200)])
        self.destroy(ws)

    def test_dynamic_discovery(self):
        ok, problems, steps, models, ws = self.check(models=DISCOVERY)
        self.assertTrue(ok, problems)
        self.assertEqual(models, ["gpt-4o", "gpt-4o-mini"])
        self.assertEqual([s["path"] for s in steps], ["/v1/models", "/v1/models/gpt-4o", "/v1/models/gpt-4o-mini"])
        self.destroy(ws)

    def test_wrong_key_quotes_the_gateway_and_guesses_nothing(self):
        for inference in ("false", "true"):
            ok, problems, _, _, ws = self.check(key="sk-not-the-key", inference=inference)
            self.assertFalse(ok)
            self.assertTrue(problems)
            for p in problems:
                # LiteLLM without a database says this for any wrong sk- key; it names no key, so nothing is blamed.
                self.assertIn('the gateway said "No connected db."', p)
                self.assertIn("(no_db_connection)", p)
                self.assertNotIn("(400)", p, "the status is printed once")
                self.assertNotIn("check api_key", p)
            self.assertBlamesNothingUnset(problems)
            self.destroy(ws)

    def test_unknown_model_names_that_model(self):
        ok, problems, _, _, ws = self.check(models=STATIC % "gpt-5-turbo", inference="true")
        self.assertFalse(ok)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("Invalid model name passed in model=gpt-5-turbo", problems[0])
        self.assertIn('models[].name "gpt-5-turbo" is not a model the gateway serves', problems[0])
        self.assertBlamesNothingUnset(problems)
        self.destroy(ws)
        # Without inference, the free model list says the same.
        ok, problems, _, _, ws = self.check(models=STATIC % "gpt-5-turbo")
        self.assertFalse(ok)
        self.assertEqual(len(problems), 1, problems)
        self.assertIn('the gateway does not list "gpt-5-turbo"', problems[0])
        self.destroy(ws)

    def test_wrong_path(self):
        ok, problems, _, _, ws = self.check(path="/v2")
        self.assertFalse(ok)
        self.assertIn("GET /v2/models -> 404", problems[0])
        self.assertIn('"Not Found"', problems[0])
        self.assertIn("check target", problems[0])
        self.destroy(ws)
        ok, problems, _, _, ws = self.check(path="/v2", inference="true")
        self.assertFalse(ok)
        self.assertIn("no such route: check target and deployment_in_path", problems[0])
        self.destroy(ws)

    def test_untrusted_certificate(self):
        ok, problems, steps, _, ws = self.check(trust=False)
        self.assertFalse(ok)
        self.assertEqual(steps[0]["status"], 0)
        self.assertRegex(problems[0], r"(?i)certificate")
        self.assertIn("ca_certificate", problems[0])
        self.destroy(ws)

    def test_private_ca_through_ssl_cert_file(self):
        """One trust rule in every build: SSL_CERT_FILE (a private CA, a TLS-inspecting proxy) is the trust store
        when set, also in a development build whose libcurl has a bundle compiled in."""
        ok, problems, _, _, ws = self.check(trust=False, env={"SSL_CERT_FILE": self.gw.ca_pem})
        self.assertTrue(ok, problems)
        self.destroy(ws)

    def test_two_plans_show_no_change(self):
        """A healthy gateway read twice gives the same attributes: an output of `steps` does not change."""
        ok, _, _, _, ws = self.check(inference="true")
        self.assertTrue(ok)
        for _ in range(2):
            self.plan_exit(ws, 0)
        self.destroy(ws)

    def test_zz_stopped_gateway(self):
        """Last (the proxy stays down): a gateway that does not answer."""
        _, _, _, _, ws = self.check()
        self.gw.stop()
        r = ws.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 0, r.describe())
        out = json.loads(self.ok(ws, "output", "-json").stdout)
        self.assertFalse(out["ok"]["value"])
        self.assertRegex(" ".join(out["problems"]["value"]), r"(?i)(connect|refused).*check target and network reach")
        self.destroy(ws)


if __name__ == "__main__":
    unittest.main()
