"""Scenario 4: validation at plan time. Each invalid configuration makes `plan` exit 1 with a diagnostic
that names the attribute, and nothing is written to ARM (the emulator's request log has no PUT)."""

import re
import unittest

from harness import PROJECT_ID, E2ETestCase

HEADER = """terraform {
  required_providers {
    foundry = {
      source = "registry.terraform.io/foundry-labs/foundry"
    }
  }
}

provider "foundry" {}

variable "apim_subscription_key" {
  type      = string
  sensitive = true
  default   = "e2e-validation-key"
}
"""

MODELS = """[
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
  ]"""

DISCOVERY = """{
    list_models_endpoint = "/deployments"
    get_model_endpoint   = "/deployments/{deploymentName}"
    deployment_provider  = "AzureOpenAI"
  }"""


def config(**overrides):
    """A valid APIM connection, with attributes replaced (value None removes the attribute)."""
    attrs = {
        "parent_id": f'"{PROJECT_ID}"',
        "name": '"apim-valid"',
        "category": '"ApiManagement"',
        "target": '"https://contoso-apim.azure-api.net/foundry"',
        "auth_type": '"ApiKey"',
        "api_key": "var.apim_subscription_key",
        "deployment_in_path": "true",
        "models": MODELS,
    }
    attrs.update(overrides)
    body = "\n".join(f"  {k} = {v}" for k, v in attrs.items() if v is not None)
    return HEADER + f'\nresource "foundry_gateway_connection" "x" {{\n{body}\n}}\n'


SNIPPET_LINE = re.compile(r"^\s*\d+:\s")
ON_LINE = re.compile(r"on main\.tf line (\d+)")


def diagnostic_text(output):
    """The CLI's output without the source snippet lines Terraform prints under a diagnostic (they would
    contain the attribute name whatever the diagnostic says)."""
    return "\n".join(line for line in output.splitlines() if not SNIPPET_LINE.match(line))


def names_attribute(output, cfg, name):
    """Terraform names the attribute of a diagnostic in two ways: in its text, or by pointing at the
    attribute's own line (`on main.tf line N` is the attribute's line when the diagnostic carries an attribute
    path, tfdiags.AttributeValue; without a path it is the resource block's line)."""
    if name in diagnostic_text(output):
        return True
    lines = cfg.splitlines()
    return any(name in lines[int(n) - 1] for n in ON_LINE.findall(output) if 0 < int(n) <= len(lines))


class ValidationTest(E2ETestCase):

    def invalid(self, cfg, *attribute_names, also=()):
        ws = self.workspace(None, files={"main.tf": cfg})
        r = ws.run("plan", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        text = diagnostic_text(r.output)
        self.assertIn("Error", text, r.describe())
        self.assertIn("foundry_gateway_connection.x", text, r.describe())
        for name in attribute_names:
            self.assertTrue(names_attribute(r.output, cfg, name),
                            f"the diagnostic names {name} neither in its text nor by its line\n{r.describe()}")
        for pattern in also:
            self.assertRegex(text, pattern, r.describe())
        self.assertNoPut()
        self.assertEqual(self.emulator.store(), {})
        return r

    def test_valid_baseline_plans(self):
        """The base configuration is valid: the failures below come from the one change each makes."""
        ws = self.workspace(None, files={"main.tf": config()})
        self.plan_exit(ws, 2)
        self.assertNoPut()

    def test_category_wrong_case_suggests(self):
        self.invalid(config(category='"apimanagement"'), "category",
                     also=[r"(?i)did you mean", r"ApiManagement"])

    def test_bad_name(self):
        self.invalid(config(name='"-not a name"'), "name")

    def test_http_target(self):
        self.invalid(config(target='"http://contoso-apim.azure-api.net/foundry"'), "target",
                     also=[r"https"])

    def test_apikey_without_key(self):
        self.invalid(config(api_key=None), "api_key")

    def test_models_and_model_discovery(self):
        self.invalid(config(model_discovery=DISCOVERY), "model_discovery")

    def test_duplicate_model_names(self):
        dup = """[
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
    { name = "gpt-4o", model_name = "gpt-4o-mini", model_version = "2024-07-18", model_format = "OpenAI" },
  ]"""
        self.invalid(config(models=dup), "models", also=[r"gpt-4o"])

    def test_get_model_endpoint_without_placeholder(self):
        bad = DISCOVERY.replace("/deployments/{deploymentName}", "/deployments/gpt-4o")
        self.invalid(config(models=None, model_discovery=bad), "get_model_endpoint",
                     also=[r"\{deploymentName\}"])

    def test_extra_metadata_managed_key(self):
        self.invalid(config(extra_metadata='{ DeploymentInPath = "true" }'), "deployment_in_path",
                     also=[r"DeploymentInPath"])

    # -- nested attributes: the CLI points at the top-level attribute's line, the text names the full path
    def nested(self, cfg, top, path, *patterns):
        r = self.invalid(cfg, top, also=[re.escape(path), *patterns])
        lines = cfg.splitlines()
        pointed = [lines[int(n) - 1] for n in ON_LINE.findall(r.output) if 0 < int(n) <= len(lines)]
        self.assertTrue(pointed and all(re.match(rf"\s*{top}\s*=", ln) for ln in pointed),
                        f"the diagnostic for {path} points at {pointed}, not at the {top} attribute\n{r.describe()}")

    def test_nested_empty_model_name(self):
        bad = MODELS.replace('name = "gpt-4o", model_name', 'name = "", model_name')
        self.nested(config(models=bad), "models", "models[0].name")

    def test_nested_oauth2_token_url(self):
        oauth2 = '{\n    client_id     = "c"\n    client_secret = "s"\n    token_url     = "http://idp.example.com/t"\n  }'
        self.nested(config(category='"ModelGateway"', auth_type='"OAuth2"', api_key=None,
                           deployment_in_path=None, oauth2=oauth2), "oauth2", "oauth2.token_url", r"https")

    def test_nested_auth_config_format(self):
        self.nested(config(category='"ModelGateway"', deployment_in_path=None,
                           auth_config='{\n    format = "Bearer"\n  }'), "auth_config", "auth_config.format",
                    r"\{api_key\}")

    def test_nested_get_model_endpoint(self):
        bad = DISCOVERY.replace('"/deployments/{deploymentName}"', '""')
        self.nested(config(models=None, model_discovery=bad), "model_discovery", "model_discovery.get_model_endpoint")

    # -- values ARM accepts and Foundry cannot use
    def test_custom_header_names(self):
        for name in ('"bad header"', '"x:y"', '""'):
            with self.subTest(name=name):
                self.invalid(config(custom_headers=f'{{ {name} = "v" }}'), "custom_headers",
                             also=[r"Invalid HTTP header name"])

    def test_target_with_chat_completions(self):
        self.invalid(config(target='"https://contoso-apim.azure-api.net/foundry/chat/completions"'), "target",
                     also=[r"/chat/completions"])

    def test_model_names_differing_in_case(self):
        dup = """[
    { name = "gpt-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
    { name = "GPT-4o", model_name = "gpt-4o", model_version = "2024-11-20", model_format = "OpenAI" },
  ]"""
        self.invalid(config(models=dup), "models", also=[r"differ only in\s+case", re.escape("models[1].name")])

    def test_oauth2_two_secrets(self):
        oauth2 = ('{\n    client_id     = "c"\n    client_secret = "s"\n    client_secret_wo = "w"\n'
                  '    token_url     = "https://idp.example.com/t"\n  }')
        self.invalid(config(category='"ModelGateway"', auth_type='"OAuth2"', api_key=None, deployment_in_path=None,
                            oauth2=oauth2), "oauth2", also=[re.escape("oauth2.client_secret_wo")])


if __name__ == "__main__":
    unittest.main()
