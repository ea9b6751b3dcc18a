"""Scenario 2: drift. After an apply of the quick start, the connection is edited out of band in the emulator
store; `plan -detailed-exitcode` must exit 2 for real drift (and `plan -json` show the change on the right
attribute) and 0 for differences that mean nothing (JSON key order / whitespace, "True" vs "true", metadata
keys the service adds). Issue: "reports real drift and nothing else".
"""

import copy
import os
import json
import unittest

from harness import EXAMPLES_DIR, PROJECT_ID, RESOURCE_TYPE, E2ETestCase, connection_id, diff_paths, resource_change, top_level

APIM_KEY = "e2e-drift-apim-key-1e0f"
RID = connection_id(PROJECT_ID, "apim-quickstart")
ADDR = f"{RESOURCE_TYPE}.apim"


class DriftTest(E2ETestCase):

    def setUp(self):
        super().setUp()
        self.ws = self.workspace("quickstart", env={"TF_VAR_apim_subscription_key": APIM_KEY})
        self.apply(self.ws)
        self.plan_exit(self.ws, 0)

    # -- helpers
    def edit(self, fn):
        """Apply fn(resource) to the stored resource (as GET returns it) and write it back out of band."""
        resource = copy.deepcopy(self.emulator.stored(RID)["resource"])
        fn(resource)
        self.emulator.put_store(RID, resource)
        return resource

    def edit_models(self, fn):
        def f(res):
            md = res["properties"]["metadata"]
            models = json.loads(md["models"])
            fn(models)
            md["models"] = json.dumps(models, separators=(",", ":"))
        return self.edit(f)

    def drift(self, expect_paths):
        """plan exits 2; plan -json proposes an in-place update whose before/after differ at expect_paths."""
        r = self.plan_exit(self.ws, 2)
        self.assertNotIn("must be replaced", r.stdout, r.describe())
        plan = self.plan_json(self.ws)
        rc = resource_change(plan, ADDR)
        self.assertEqual(rc["change"]["actions"], ["update"], json.dumps(rc, indent=1))
        paths = diff_paths(rc["change"].get("before"), rc["change"].get("after"))
        for p in expect_paths:
            self.assertTrue(any(q == p or q.startswith(p + ".") or q.startswith(p + "[") for q in paths),
                            f"expected a change at {p}; plan -json changes: {paths}\n{json.dumps(rc, indent=1)}")
        return rc, paths

    def no_drift(self):
        self.plan_exit(self.ws, 0)

    def reapply_converges(self):
        """Applying the plan puts back exactly what the configuration says."""
        self.apply(self.ws)
        md = self.emulator.stored(RID)["resource"]["properties"]["metadata"]
        self.assertEqual(md.get("deploymentInPath"), "true")
        self.assertEqual([m["properties"]["model"]["version"] for m in json.loads(md["models"])],
                         ["2024-11-20", "2024-07-18"])
        self.assertEqual(self.emulator.stored(RID).get("credentials"), {"key": APIM_KEY},
                         "the update did not re-send the key")
        self.plan_exit(self.ws, 0)

    # -- real drift
    def test_model_version_changed(self):
        self.edit_models(lambda m: m[0]["properties"]["model"].__setitem__("version", "2099-01-01"))
        rc, _ = self.drift(["models[0].model_version"])
        self.assertEqual(rc["change"]["before"]["models"][0]["model_version"], "2099-01-01")
        self.assertEqual(rc["change"]["after"]["models"][0]["model_version"], "2024-11-20")
        self.reapply_converges()

    def test_model_added(self):
        self.edit_models(lambda m: m.append({"name": "o1", "properties": {"model": {
            "name": "o1", "version": "2024-12-17", "format": "OpenAI"}}}))
        rc, _ = self.drift(["models"])
        self.assertEqual(len(rc["change"]["before"]["models"]), 3)
        self.assertEqual(len(rc["change"]["after"]["models"]), 2)
        self.reapply_converges()

    def test_model_removed(self):
        self.edit_models(lambda m: m.pop())
        rc, _ = self.drift(["models"])
        self.assertEqual(len(rc["change"]["before"]["models"]), 1)
        self.assertEqual(len(rc["change"]["after"]["models"]), 2)
        self.reapply_converges()

    def test_target_changed(self):
        self.edit(lambda r: r["properties"].__setitem__("target", "https://evil-apim.azure-api.net/foundry"))
        rc, paths = self.drift(["target"])
        self.assertEqual(rc["change"]["before"]["target"], "https://evil-apim.azure-api.net/foundry")
        self.assertEqual(rc["change"]["after"]["target"], "https://contoso-apim.azure-api.net/foundry")
        self.reapply_converges()

    def test_deployment_in_path_key_deleted(self):
        self.edit(lambda r: r["properties"]["metadata"].pop("deploymentInPath"))
        # Shows on deployment_in_path and/or on the computed `metadata` map (design notes: a deleted key
        # surfaces as a difference of `metadata`).
        rc, paths = self.drift([])
        self.assertTrue(top_level(paths) & {"metadata", "deployment_in_path"},
                        f"the deleted key shows on neither metadata nor deployment_in_path: {paths}")
        after_md = rc["change"].get("after", {}).get("metadata")
        if isinstance(after_md, dict):
            self.assertEqual(after_md.get("deploymentInPath"), "true")
        self.reapply_converges()

    def test_miscased_metadata_keys_are_drift(self):
        """Foundry reads metadata keys case-sensitively: a key the service holds as `Models`, `inferenceApiVersion`
        or `DeploymentInPath` is one Foundry ignores. The plan (and -refresh-only) must show it, name it, and the
        apply must write the keys in the right case."""
        renames = {"models": "Models", "inferenceAPIVersion": "inferenceApiVersion",
                   "deploymentInPath": "DeploymentInPath"}

        def f(res):
            md = res["properties"]["metadata"]
            for good, bad in renames.items():
                md[bad] = md.pop(good)
        self.edit(f)
        rc, paths = self.drift(["metadata"])
        r = self.plan_exit(self.ws, 2)
        for bad in renames.values():
            self.assertIn(f'"{bad}"', r.output, f"the plan does not name the miscased key {bad}\n{r.describe()}")
        self.assertIn("Metadata key in the wrong case", r.output, r.describe())
        # metadata is not sensitive (customHeaders stays out of it): the diff shows the keys themselves.
        self.assertEqual(set(rc["change"]["before"]["metadata"]) & set(renames.values()), set(renames.values()))
        self.assertEqual(set(rc["change"]["after"]["metadata"]) & set(renames), set(renames))
        r = self.ws.run("plan", "-refresh-only", "-detailed-exitcode", "-no-color")
        self.assertEqual(r.rc, 2, "-refresh-only shows the out-of-band change\n" + r.describe())
        self.reapply_converges()
        md = self.emulator.stored(RID)["resource"]["properties"]["metadata"]
        self.assertEqual(set(md) & set(renames.values()), set(), f"miscased keys left behind: {sorted(md)}")
        self.assertEqual(md.get("inferenceAPIVersion"), "2024-10-21")

    def test_deleted_out_of_band_plans_create(self):
        self.emulator.delete_store(RID)
        self.plan_exit(self.ws, 2)
        rc = resource_change(self.plan_json(self.ws), ADDR)
        self.assertEqual(rc["change"]["actions"], ["create"], json.dumps(rc, indent=1))
        self.apply(self.ws)
        self.assertEqual(self.emulator.stored(RID).get("credentials"), {"key": APIM_KEY})
        self.plan_exit(self.ws, 0)

    # -- differences that are not drift
    def test_models_json_reordered_and_spaced_is_not_drift(self):
        def f(res):
            md = res["properties"]["metadata"]
            models = json.loads(md["models"])
            # Keys in another order, indentation and spaces: the same JSON value.
            reordered = [{"properties": {"model": dict(reversed(list(m["properties"]["model"].items())))},
                          "name": m["name"]} for m in models]
            md["models"] = json.dumps(reordered, indent=2, separators=(" , ", " : "))
        before = self.emulator.stored(RID)["resource"]["properties"]["metadata"]["models"]
        self.edit(f)
        after = self.emulator.stored(RID)["resource"]["properties"]["metadata"]["models"]
        self.assertNotEqual(before, after, "the out-of-band edit did not change the stored string")
        self.assertEqual(json.loads(before), json.loads(after))
        self.no_drift()

    def test_true_capitalised_is_not_drift(self):
        self.edit(lambda r: r["properties"]["metadata"].__setitem__("deploymentInPath", "True"))
        self.assertEqual(self.emulator.stored(RID)["resource"]["properties"]["metadata"]["deploymentInPath"], "True")
        self.no_drift()

    def test_service_added_metadata_is_not_drift(self):
        self.emulator.config(add_service_metadata=True)
        # Sanity: the emulator really returns the extra keys now.
        status, body = self.emulator.arm("GET", RID)
        self.assertEqual(status, 200, body)
        self.assertIn("ApiVersion", body["properties"]["metadata"], body)
        self.no_drift()

    def test_null_metadata_values_are_absent(self):
        """Real ARM returns null for a metadata value a body set to null ("inferenceAPIVersion": null): it is
        absent, so no warning and no drift, and an import of such a connection converges like any other."""
        body = copy.deepcopy(self.emulator.stored(RID)["resource"])
        md = body["properties"]["metadata"]
        nulled = [k for k in ("inferenceAPIVersion", "deploymentAPIVersion") if k not in md]
        self.assertTrue(nulled, md)
        for k in nulled:
            md[k] = None
        body["properties"]["credentials"] = {"key": APIM_KEY}
        for k in ("id", "name", "type", "systemData"):
            body.pop(k, None)
        status, answer = self.emulator.arm("PUT", RID, body)  # through ARM's own API: null is accepted
        self.assertEqual(status, 200, answer)
        status, got = self.emulator.arm("GET", RID)
        self.assertIsNone(got["properties"]["metadata"][nulled[0]], "GET returns the null as ARM does")
        r = self.plan_exit(self.ws, 0)
        self.assertNotIn("changed outside Terraform", r.output, r.describe())
        self.assertNotIn("is not a string", r.output, r.describe())
        # Import into a fresh state: the first plan changes only what import cannot know (the key, timeouts).
        with open(os.path.join(EXAMPLES_DIR, "quickstart", "main.tf")) as f:
            ws2 = self.workspace(None, files={"main.tf": f.read()}, env={"TF_VAR_apim_subscription_key": APIM_KEY})
        r = self.ok(ws2, "import", "-no-color", ADDR, RID)
        self.assertNotIn("is not a string", r.stdout + r.stderr)
        plan = self.plan_json(ws2)
        rc = resource_change(plan, ADDR)
        paths = diff_paths(rc["change"].get("before"), rc["change"].get("after"))
        self.assertFalse([p for p in paths if "api_version" in p or p.startswith("metadata")], paths)


if __name__ == "__main__":
    unittest.main()
