"""Scenario 3: import. A connection created outside Terraform (through the ARM API with a token, as the
portal or the CLI would) is imported with `import ADDR ID` and with an `import {}` block.

Secrets are never returned by ARM (docs/internals/arm.md 0.2), so the imported state has them null. What the next plan shows
follows from Terraform's rules (docs/internals/protocol.md 4.2/4.3): a secret such as `api_key` is a plain optional
(non-computed) attribute, so a configured value against a null state is a difference the provider cannot
suppress -> exactly one in-place update whose only change is the secret (applying it re-sends the key, which
is also the only way to be sure ARM holds the configured one). When the configuration sets no secret
(ProjectManagedIdentity), the imported state equals the configuration and the plan is empty.
"""

import json
import unittest

from harness import (PROJECT_ID, require, RESOURCE_TYPE, E2ETestCase, connection_id, diff_paths, resource_change,
                     top_level, wire_properties)
from test_examples import APIM_DYNAMIC_PROPERTIES, APIM_STATIC_PROPERTIES, OAUTH2_PROPERTIES

APIM_KEY = "e2e-import-apim-key-77aa"
OUT_OF_BAND_KEY = "e2e-out-of-band-key-0c1d"
OAUTH2_SECRET = "e2e-import-oauth2-secret-5e6f"

STATIC_RID = connection_id(PROJECT_ID, "apim-static")
STATIC_ADDR = f"{RESOURCE_TYPE}.apim_static"
DYNAMIC_RID = connection_id(PROJECT_ID, "apim-dynamic")
DYNAMIC_ADDR = f"{RESOURCE_TYPE}.apim_dynamic"
OAUTH2_RID = connection_id(PROJECT_ID, "gateway-oauth2")
OAUTH2_ADDR = f"{RESOURCE_TYPE}.oauth2"

ENV = {"TF_VAR_apim_subscription_key": APIM_KEY, "TF_VAR_oauth2_client_secret": OAUTH2_SECRET}


class ImportTest(E2ETestCase):

    def create_out_of_band(self, rid, properties, credentials):
        body = {"properties": dict(wire_properties(properties), credentials=credentials)}
        status, resp = self.emulator.arm("PUT", rid, body)
        self.assertEqual(status, 200, resp)
        self.emulator.clear_requests()

    def only_secret_changes(self, ws, addr, secret_path, also=()):
        """The next plan is one in-place update whose only difference is the secret (and `also`: values that
        live in ARM's write-only `credentials` without being secrets, e.g. the OAuth2 client id)."""
        r = self.plan_exit(ws, 2)
        self.assertIn(secret_path.split(".")[-1], r.stdout, r.describe())
        rc = resource_change(self.plan_json(ws), addr)
        self.assertEqual(rc["change"]["actions"], ["update"], json.dumps(rc, indent=1))
        paths = diff_paths(rc["change"].get("before"), rc["change"].get("after"))
        # Sensitive values may be hidden in plan -json; whatever differs must be the secret alone.
        allowed = {secret_path, secret_path.split(".")[0], *also}
        self.assertTrue(set(paths) <= allowed, f"import left differences other than {sorted(allowed)}: {paths}")

    def test_import_command_apikey(self):
        self.create_out_of_band(STATIC_RID, APIM_STATIC_PROPERTIES, {"key": OUT_OF_BAND_KEY})
        ws = self.workspace("apim-static-models", env=ENV)
        self.ok(ws, "import", "-no-color", STATIC_ADDR, STATIC_RID)
        self.assertEqual(self.emulator.arm_requests("PUT"), [], "import wrote to ARM")
        self.assertEqual(len(self.emulator.arm_requests("GET")), 1, "import reads the connection once")

        attrs = ws.instances()[STATIC_ADDR]["attributes"]
        self.assertIsNone(attrs.get("api_key"), "a secret came back from import")
        self.assertIsNone(attrs.get("api_key_wo"))
        self.assertEqual(attrs["id"].lower(), STATIC_RID.lower())
        self.assertEqual(attrs["name"], "apim-static")
        self.assertEqual(attrs["parent_id"].lower(), PROJECT_ID.lower())
        self.assertEqual(attrs["category"], "ApiManagement")
        self.assertEqual(attrs["target"], "https://contoso-apim.azure-api.net/foundry")
        self.assertEqual(attrs["auth_type"], "ApiKey")
        self.assertEqual(attrs["deployment_in_path"], False)
        self.assertEqual([(m["name"], m["model_name"], m["model_version"], m["model_format"])
                          for m in attrs["models"]], [("gpt-4o-deployment", "gpt-4o", "2024-11-20", "OpenAI")])
        self.assertNotIn(OUT_OF_BAND_KEY, ws.state_text())

        self.only_secret_changes(ws, STATIC_ADDR, "api_key")
        self.apply(ws)
        self.assertStoredProperties(STATIC_RID, APIM_STATIC_PROPERTIES, {"key": APIM_KEY})
        self.plan_exit(ws, 0)

    def test_import_command_oauth2(self):
        self.create_out_of_band(OAUTH2_RID, OAUTH2_PROPERTIES, {"clientId": "gateway-client",
                                                                "clientSecret": "out-of-band-secret"})
        ws = self.workspace("modelgateway-oauth2", env=ENV)
        self.ok(ws, "import", "-no-color", OAUTH2_ADDR, OAUTH2_RID)
        attrs = ws.instances()[OAUTH2_ADDR]["attributes"]
        self.assertIsNotNone(attrs.get("oauth2"), attrs)
        self.assertIsNone(attrs["oauth2"].get("client_secret"), "a secret came back from import")
        self.assertEqual(attrs["oauth2"].get("token_url"), "https://idp.example.com/oauth2/token")
        self.assertEqual(attrs["oauth2"].get("scopes"), ["gateway.read"])
        # ARM returns neither credentials.clientSecret nor credentials.clientId: both are null after import.
        self.assertIsNone(attrs["oauth2"].get("client_id"))
        self.only_secret_changes(ws, OAUTH2_ADDR, "oauth2.client_secret", also=["oauth2.client_id"])
        self.apply(ws)
        self.assertStoredProperties(OAUTH2_RID, OAUTH2_PROPERTIES,
                                    {"clientId": "gateway-client", "clientSecret": OAUTH2_SECRET})
        self.plan_exit(ws, 0)

    def test_import_command_without_secret_plans_nothing(self):
        self.create_out_of_band(DYNAMIC_RID, APIM_DYNAMIC_PROPERTIES, {})
        ws = self.workspace("apim-dynamic-discovery", env=ENV)
        self.ok(ws, "import", "-no-color", DYNAMIC_ADDR, DYNAMIC_RID)
        attrs = ws.instances()[DYNAMIC_ADDR]["attributes"]
        self.assertEqual(attrs["audience"], "https://cognitiveservices.azure.com")
        self.assertEqual(attrs["model_discovery"], {"list_models_endpoint": "/deployments",
                                                    "get_model_endpoint": "/deployments/{deploymentName}",
                                                    "deployment_provider": "AzureOpenAI"})
        # The resource needs nothing. (The plan is not empty: `import` stores no outputs, so the `audience`
        # output is still to be written - Terraform counts that as a change for -detailed-exitcode too.)
        plan = self.plan_json(ws)
        for rc in plan.get("resource_changes", []):
            if rc.get("address") == DYNAMIC_ADDR:
                self.assertEqual(rc["change"]["actions"], ["no-op"], json.dumps(rc, indent=1))
        self.apply(ws)
        self.assertEqual(self.emulator.arm_requests("PUT"), [], "nothing to change, yet the apply wrote to ARM")
        self.plan_exit(ws, 0)

    def test_import_block(self):
        require("import_block")
        self.create_out_of_band(STATIC_RID, APIM_STATIC_PROPERTIES, {"key": OUT_OF_BAND_KEY})
        ws = self.workspace("apim-static-models", env=ENV)
        ws.write("import.tf", f'import {{\n  to = {STATIC_ADDR}\n  id = "{STATIC_RID}"\n}}\n')
        # Plan-time import, then the update of the secret only.
        r = self.plan_exit(ws, 2)
        self.assertRegex(r.stdout, r"(?i)import", r.describe())
        self.assertEqual(ws.instances(), {}, "plan wrote the imported object to the state")
        rc = resource_change(self.plan_json(ws), STATIC_ADDR)
        # Terraform shows an import as "update" (or "no-op") with `importing`; never a create or a delete.
        self.assertFalse({"create", "delete"} & set(rc["change"]["actions"]), json.dumps(rc, indent=1))
        paths = diff_paths(rc["change"].get("before"), rc["change"].get("after"))
        self.assertTrue(top_level(paths) <= {"api_key"}, f"import block plan changes more than api_key: {paths}")
        self.assertEqual(self.emulator.arm_requests("PUT"), [], "plan wrote to ARM")

        self.apply(ws)
        self.assertIn(STATIC_ADDR, ws.instances())
        self.assertStoredProperties(STATIC_RID, APIM_STATIC_PROPERTIES, {"key": APIM_KEY})
        self.assertEqual(len(self.emulator.store()), 1)
        self.plan_exit(ws, 0)

    def test_import_shows_the_removal_of_unmanaged_metadata(self):
        """A key the schema does not manage (set in the portal, say) is in extra_metadata after import: a
        configuration that does not name it shows its removal in the plan, instead of an apply that drops it
        silently; naming it keeps it."""
        props = json.loads(json.dumps(APIM_STATIC_PROPERTIES))
        props["metadata"]["owner"] = "team-a"
        self.create_out_of_band(STATIC_RID, props, {"key": OUT_OF_BAND_KEY})
        ws = self.workspace("apim-static-models", env=ENV)
        self.ok(ws, "import", "-no-color", STATIC_ADDR, STATIC_RID)
        self.assertEqual(ws.instances()[STATIC_ADDR]["attributes"]["extra_metadata"], {"owner": "team-a"})
        rc = resource_change(self.plan_json(ws), STATIC_ADDR)
        self.assertEqual(rc["change"]["before"]["extra_metadata"], {"owner": "team-a"})
        self.assertIsNone(rc["change"]["after"]["extra_metadata"], json.dumps(rc, indent=1)[:3000])

    def test_import_missing_connection_fails(self):
        ws = self.workspace("apim-static-models", env=ENV)
        r = ws.run("import", "-no-color", STATIC_ADDR, STATIC_RID)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertRegex(r.output, r"(?i)non-existent|does not exist|not found", r.describe())
        self.assertEqual(ws.instances(), {})

    def test_import_wrong_id_shape_fails(self):
        ws = self.workspace("apim-static-models", env=ENV)
        r = ws.run("import", "-no-color", STATIC_ADDR, PROJECT_ID)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("connections", r.output, "the error should show the expected id shape\n" + r.describe())
        self.assertEqual(ws.instances(), {})


class NoTakeoverTest(ImportTest):
    """A configuration that names a connection which already exists (made in the portal, by another team or state)
    must not overwrite it: the apply fails for that resource, writes nothing, and says how to import it. Following
    the diagnostic adopts the connection with nothing lost."""

    test_import_command_apikey = test_import_command_oauth2 = None
    test_import_command_without_secret_plans_nothing = test_import_block = None
    test_import_missing_connection_fails = test_import_wrong_id_shape_fails = None
    test_import_shows_the_removal_of_unmanaged_metadata = None

    def test_existing_connection_is_refused_then_imported(self):
        self.create_out_of_band(STATIC_RID, APIM_STATIC_PROPERTIES, {"key": OUT_OF_BAND_KEY})
        before = self.emulator.stored(STATIC_RID)
        ws = self.workspace("apim-static-models", env=ENV)
        r = ws.run("apply", "-auto-approve", "-no-color")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("Connection already exists", r.output, r.describe())
        # The diagnostic names the import command and block with the exact id; the CLI shows the address.
        self.assertIn(f"import foundry_gateway_connection.NAME '{STATIC_RID}'", r.output, r.describe())
        self.assertIn(f'id = "{STATIC_RID}"', r.output, r.describe())
        self.assertIn(STATIC_ADDR, r.output, "the CLI names the resource the error belongs to")
        self.assertEqual(self.emulator.arm_requests("PUT"), [], "the existing connection was overwritten")
        self.assertEqual(self.emulator.stored(STATIC_RID), before)
        self.assertEqual(ws.instances(), {}, "a refused create left something in the state")

        # Follow it: import at the address the CLI named, then the plan changes the key only, and applying adopts.
        self.ok(ws, "import", "-no-color", STATIC_ADDR, STATIC_RID)
        self.only_secret_changes(ws, STATIC_ADDR, "api_key")
        self.apply(ws)
        self.assertEqual(self.emulator.stored(STATIC_RID)["credentials"], {"key": APIM_KEY})
        self.plan_exit(ws, 0)


if __name__ == "__main__":
    unittest.main()
