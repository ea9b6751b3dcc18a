"""Scenario 1: every example under examples/ applied against the emulator.

For each: `apply -auto-approve` succeeds; the emulator stores exactly the body Foundry expects (properties
compared as parsed JSON, metadata JSON strings parsed again; credentials checked in the store's separate
`credentials`); a second `plan -detailed-exitcode` exits 0; `destroy -auto-approve` empties the store.
For apim-static-models and modelgateway-oauth2 the expected bodies are the wire examples of
docs/internals/arm.md 2.4, with the values the example files choose.
"""

import json
import unittest

from harness import (ACCOUNT_ID, PROJECT_ID, E2ETestCase, connection_id, normalise_properties,
                     write_registry_layout)

APIM_KEY = "e2e-apim-subscription-key-5b7c"
GATEWAY_KEY = "e2e-litellm-gateway-key-93d1"
OAUTH2_SECRET = "e2e-oauth2-client-secret-c4e8"

SECRETS_ENV = {
    "TF_VAR_apim_subscription_key": APIM_KEY,
    "TF_VAR_gateway_key": GATEWAY_KEY,
    "TF_VAR_oauth2_client_secret": OAUTH2_SECRET,
}

# docs/internals/arm.md 2.4, first example, with examples/apim-static-models' values (the same ones).
APIM_STATIC_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/foundry",
    "authType": "ApiKey",
    "isSharedToAll": False,
    "metadata": {
        "deploymentInPath": "false",
        "models": "[{\"name\":\"gpt-4o-deployment\",\"properties\":{\"model\":{\"name\":\"gpt-4o\","
                  "\"version\":\"2024-11-20\",\"format\":\"OpenAI\"}}}]",
    },
}

# docs/internals/arm.md 2.4, second example, with examples/modelgateway-oauth2's values.
OAUTH2_PROPERTIES = {
    "category": "ModelGateway",
    "target": "https://gateway.example.com/v1",
    "authType": "OAuth2",
    "isSharedToAll": False,
    "tokenUrl": "https://idp.example.com/oauth2/token",
    "scopes": ["gateway.read"],
    "metadata": {
        "deploymentInPath": "false",
        "inferenceAPIVersion": "",
        "modelDiscovery": "{\"listModelsEndpoint\":\"/models\",\"getModelEndpoint\":\"/models/{deploymentName}\","
                          "\"deploymentProvider\":\"OpenAI\"}",
    },
}

QUICKSTART_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/foundry",
    "authType": "ApiKey",
    "isSharedToAll": False,
    "metadata": {
        "deploymentInPath": "true",
        "inferenceAPIVersion": "2024-10-21",
        "models": [
            {"name": "gpt-4o", "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20", "format": "OpenAI"}}},
            {"name": "gpt-4o-mini",
             "properties": {"model": {"name": "gpt-4o-mini", "version": "2024-07-18", "format": "OpenAI"}}},
        ],
    },
}

APIM_DYNAMIC_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/openai",
    "authType": "ProjectManagedIdentity",
    "isSharedToAll": False,
    "audience": "https://cognitiveservices.azure.com",
    "metadata": {
        "deploymentInPath": "true",
        "inferenceAPIVersion": "2024-10-21",
        "deploymentAPIVersion": "2024-10-21",
        "modelDiscovery": {"listModelsEndpoint": "/deployments", "getModelEndpoint": "/deployments/{deploymentName}",
                           "deploymentProvider": "AzureOpenAI"},
    },
}

LITELLM_PROPERTIES = {
    "category": "ModelGateway",
    "target": "https://litellm.example.com/v1",
    "authType": "ApiKey",
    "isSharedToAll": False,
    "metadata": {
        "deploymentInPath": "false",
        "authConfig": {"type": "api_key", "name": "Authorization", "format": "Bearer {api_key}"},
        "customHeaders": {"x-team": "platform"},
        "models": [
            {"name": "claude-sonnet",
             "properties": {"model": {"name": "claude-sonnet-4", "version": "", "format": "OpenAI"}}},
            {"name": "llama-70b", "properties": {"model": {"name": "llama-3.3-70b", "version": "1", "format": "OpenAI"}}},
        ],
    },
}

ACCOUNT_SHARED_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/shared",
    "authType": "ApiKey",
    "isSharedToAll": True,
    "metadata": {
        "deploymentInPath": "false",
        "models": [{"name": "gpt-4o", "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20",
                                                               "format": "OpenAI"}}}],
    },
}

MODULE_KEY_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/openai",
    "authType": "ApiKey",
    "isSharedToAll": False,
    "metadata": {
        "deploymentInPath": "true",
        "inferenceAPIVersion": "2024-10-21",
        "models": [
            {"name": "gpt-4o", "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20", "format": "OpenAI"}}},
            {"name": "o3-mini", "properties": {"model": {"name": "o3-mini", "version": "2025-01-31", "format": "OpenAI"}}},
        ],
    },
}

MODULE_MI_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/openai",
    "authType": "ProjectManagedIdentity",
    "isSharedToAll": False,
    "audience": "https://cognitiveservices.azure.com",
    "metadata": {
        "deploymentInPath": "true",
        "inferenceAPIVersion": "2024-10-21",
        "modelDiscovery": {"listModelsEndpoint": "/deployments", "getModelEndpoint": "/deployments/{deploymentName}",
                           "deploymentProvider": "AzureOpenAI"},
    },
}

REGISTRY_PROPERTIES = {
    "category": "ApiManagement",
    "target": "https://contoso-apim.azure-api.net/foundry",
    "authType": "ApiKey",
    "isSharedToAll": False,
    "metadata": {
        "deploymentInPath": "false",
        "inferenceAPIVersion": "2024-10-21",
        "models": [{"name": "gpt-4o-deployment",
                    "properties": {"model": {"name": "gpt-4o", "version": "2024-11-20", "format": "OpenAI"}}}],
    },
}

NO_CREDENTIALS = ({}, None)


class ExamplesTest(E2ETestCase):
    """apply -> exact stored body -> empty plan -> destroy, for each example."""

    def lifecycle(self, example, expected, outputs=None):
        """expected: {connection id: (properties, credentials or NO_CREDENTIALS)}."""
        ws = self.workspace(example, env=SECRETS_ENV)
        self.ok(ws, "init", "-no-color")
        self.apply(ws)

        store = self.emulator.store()
        self.assertEqual(sorted(k.lower() for k in store), sorted(k.lower() for k in expected),
                         "the connections in the emulator store")
        for rid, (props, creds) in expected.items():
            entry = self.emulator.stored(rid)
            if creds is NO_CREDENTIALS:
                self.assertStoredProperties(rid, props)
                self.assertFalse(entry.get("credentials"),
                                 f"{rid}: a connection without a secret sent credentials")
            else:
                self.assertStoredProperties(rid, props, creds)
        # The state records the id ARM knows (issue: id = {parent_id}/connections/{name}).
        ids = {inst["attributes"]["id"].lower() for inst in ws.instances().values()}
        self.assertEqual(ids, {k.lower() for k in expected}, "ids in the state")

        if outputs:
            r = self.ok(ws, "output", "-json")
            got = json.loads(r.stdout)
            for name, value in outputs.items():
                self.assertIn(name, got, r.describe())
                self.assertEqual(got[name]["value"], value, f"output {name}")

        self.plan_exit(ws, 0)
        self.destroy(ws)
        self.assertStoreEmpty()
        self.assertEqual(ws.instances(), {}, "destroy left instances in the state")
        return ws

    def test_quickstart(self):
        rid = connection_id(PROJECT_ID, "apim-quickstart")
        self.lifecycle("quickstart", {rid: (QUICKSTART_PROPERTIES, {"key": APIM_KEY})}, outputs={
            "connection_id": rid,
            "agent_model_names": ["apim-quickstart/gpt-4o", "apim-quickstart/gpt-4o-mini"],
        })

    def test_apim_static_models_matches_notes_wire_example(self):
        rid = connection_id(PROJECT_ID, "apim-static")
        self.lifecycle("apim-static-models", {rid: (APIM_STATIC_PROPERTIES, {"key": APIM_KEY})},
                       outputs={"connection_id": rid})

    def test_apim_dynamic_discovery(self):
        rid = connection_id(PROJECT_ID, "apim-dynamic")
        self.lifecycle("apim-dynamic-discovery", {rid: (APIM_DYNAMIC_PROPERTIES, NO_CREDENTIALS)},
                       outputs={"audience": "https://cognitiveservices.azure.com"})

    def test_modelgateway_apikey(self):
        rid = connection_id(PROJECT_ID, "litellm-gateway")
        ws = self.workspace("modelgateway-apikey", env=SECRETS_ENV)
        self.ok(ws, "init", "-no-color")
        self.apply(ws)
        self.assertStoredProperties(rid, LITELLM_PROPERTIES, {"key": GATEWAY_KEY})
        # `metadata` is computed: the exact map sent, but for customHeaders, whose values are secrets kept in
        # custom_headers only. The example outputs it.
        out = json.loads(self.ok(ws, "output", "-json").stdout)
        sent = {k: v for k, v in LITELLM_PROPERTIES["metadata"].items() if k != "customHeaders"}
        self.assertEqual(normalise_properties({"metadata": out["metadata"]["value"]}),
                         normalise_properties({"metadata": sent}), "output metadata")
        self.assertNotIn("platform", json.dumps(out["metadata"]), "a custom header value is in metadata")
        self.plan_exit(ws, 0)
        self.destroy(ws)
        self.assertStoreEmpty()

    def test_modelgateway_oauth2_matches_notes_wire_example(self):
        rid = connection_id(PROJECT_ID, "gateway-oauth2")
        self.lifecycle("modelgateway-oauth2", {rid: (OAUTH2_PROPERTIES,
                                                     {"clientId": "gateway-client", "clientSecret": OAUTH2_SECRET})})

    def test_account_shared(self):
        rid = connection_id(ACCOUNT_ID, "apim-shared")
        self.lifecycle("account-shared", {rid: (ACCOUNT_SHARED_PROPERTIES, {"key": APIM_KEY})})

    def test_module_usage(self):
        key_id = connection_id(PROJECT_ID, "apim-module-key")
        mi_id = connection_id(PROJECT_ID, "apim-module-mi")
        self.lifecycle("module-usage", {
            key_id: (MODULE_KEY_PROPERTIES, {"key": APIM_KEY}),
            mi_id: (MODULE_MI_PROPERTIES, NO_CREDENTIALS),
        }, outputs={
            "agent_model_names": ["apim-module-key/gpt-4o", "apim-module-key/o3-mini"],
            "identity_connection_id": mi_id,
        })

    def test_registry_layout_resource_and_data_source(self):
        """examples/provider + resources/.../resource.tf + data-sources/.../data-source.tf in one directory.
        The data source reads the connection the resource creates (depends_on, so Terraform reads it during
        apply, after the create)."""
        ws = self.workspace(None, env=SECRETS_ENV, subdir="registry")
        write_registry_layout(ws)
        rid = connection_id(PROJECT_ID, "apim-gateway")
        self.ok(ws, "init", "-no-color")
        self.apply(ws)
        self.assertStoredProperties(rid, REGISTRY_PROPERTIES, {"key": APIM_KEY})
        out = json.loads(self.ok(ws, "output", "-json").stdout)
        self.assertEqual(out["gateway_models"]["value"], ["apim-gateway/gpt-4o-deployment"])
        self.plan_exit(ws, 0)
        self.destroy(ws)
        self.assertStoreEmpty()


if __name__ == "__main__":
    unittest.main()
