/* Plans of foundry_gateway_connection through tf_resource_plan: plan-time known values, unknowns, replacement. */
#include "test_provider_common.h"

#define APIM "apim_static_models.config.json"
#define OAUTH "modelgateway_oauth2.config.json"

static cty_value *with(cty_value *v, const char *attr, const char *json)
{
	cty_value *x = NULL;
	const cty_type *t = cty_type_attr(T, attr);
	if (strcmp(json, "?") == 0)
		x = cty_unknown(A, t);
	else
		ck_assert_msg(cty_json_decode(&x, A, t, json, strlen(json)) == 0, "%s = %s", attr, json);
	cty_value *c = cty_copy(A, v);
	cty_object_set(c, attr, x);
	return c;
}

static int attr_known(const cty_value *v, const char *attr)
{
	return cty_is_wholly_known(cty_get_attr(v, attr));
}

static int replaces(cty_path **paths, size_t n, const char *attr)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cty_path_string(A, paths[i]), attr) == 0)
			return 1;
	return 0;
}

/* Apply, then a refresh that finds exactly what was stored (GET without credentials). */
static cty_value *applied_and_refreshed(const cty_value *config)
{
	cty_value *st = apply(config, NULL);
	const char *parent = cty_get_string(st, "parent_id"), *name = cty_get_string(st, "name");
	char *get = service_echo(body_text(st, config), foundry_arm_id_join(A, &foundry_gc_id_spec, parent, name), name);
	return from_arm(get, st, NULL);
}

START_TEST(create_knows_id_and_metadata)
{
	cty_value *config = val(fixture(APIM));
	cty_value *p = plan(config, NULL, NULL, NULL);
	ck_assert_msg(cty_is_wholly_known(p), "every value of this plan is known at plan time");
	assert_attr(p, "id", "\"" PROJECT "/connections/apim-static\"");
	assert_attr(p, "metadata",
		"{\"deploymentInPath\":\"false\",\"models\":\"[{\\\"name\\\":\\\"gpt-4o-deployment\\\",\\\"properties\\\":{\\\"model\\\":{\\\"name\\\":\\\"gpt-4o\\\",\\\"version\\\":\\\"2024-11-20\\\",\\\"format\\\":\\\"OpenAI\\\"}}}]\"}");
	assert_attr(p, "audience", "null");
	assert_attr(p, "shared_to_all", "false");
	assert_attr(p, "deployment_in_path", "false");
	/* Config values are planned unchanged. */
	assert_attr(p, "api_key", "\"<apim-subscription-key>\"");
	assert_attr(p, "target", "\"https://contoso-apim.azure-api.net/foundry\"");
}
END_TEST

START_TEST(metadata_plan_equals_wire)
{
	cty_value *config = val(fixture(OAUTH));
	cty_value *p = plan(config, NULL, NULL, NULL);
	cJSON *b = cJSON_Parse(fixture("modelgateway_oauth2.body.json"));
	char *want = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "metadata"));
	assert_attr(p, "metadata", want);
	cJSON_free(want);
	cJSON_Delete(b);
	/* And the body built from the plan is the docs/internals/arm.md 2.4 wire example. */
	assert_json_eq(body_text(p, config), fixture("modelgateway_oauth2.body.json"));
}
END_TEST

START_TEST(audience_default)
{
	cty_value *config = with(with(val(fixture(APIM)), "auth_type", "\"ProjectManagedIdentity\""), "api_key", "null");
	cty_value *p = plan(config, NULL, NULL, NULL);
	assert_attr(p, "audience", "\"https://cognitiveservices.azure.com\"");

	p = plan(with(config, "audience", "\"api://apim-app\""), NULL, NULL, NULL);
	assert_attr(p, "audience", "\"api://apim-app\"");

	/* Auth type not known yet: the audience is not known either. */
	p = plan(with(config, "auth_type", "?"), NULL, NULL, NULL);
	ck_assert(!attr_known(p, "audience"));

	/* Switching away from ProjectManagedIdentity drops the defaulted audience. */
	cty_value *st = applied_and_refreshed(config);
	p = plan(with(with(config, "auth_type", "\"ApiKey\""), "api_key", "\"k\""), st, NULL, NULL);
	assert_attr(p, "audience", "null");
}
END_TEST

START_TEST(unknowns_propagate)
{
	cty_value *config = val(fixture(APIM));
	cty_value *p = plan(with(config, "name", "?"), NULL, NULL, NULL);
	ck_assert(!attr_known(p, "id"));
	ck_assert(!attr_known(p, "name")); /* an unknown config value stays unknown */
	ck_assert(attr_known(p, "metadata"));

	p = plan(with(config, "parent_id", "?"), NULL, NULL, NULL);
	ck_assert(!attr_known(p, "id"));

	p = plan(with(config, "models", "?"), NULL, NULL, NULL);
	ck_assert(attr_known(p, "id"));
	ck_assert(!attr_known(p, "metadata"));

	p = plan(with(config, "extra_metadata", "?"), NULL, NULL, NULL);
	ck_assert(!attr_known(p, "metadata"));

	p = plan(with(config, "deployment_in_path", "?"), NULL, NULL, NULL);
	ck_assert(!attr_known(p, "metadata"));

	/* An unknown secret does not hide the metadata (it is not part of it). */
	p = plan(with(config, "api_key", "?"), NULL, NULL, NULL);
	ck_assert(attr_known(p, "metadata"));
	ck_assert(!attr_known(p, "api_key"));
}
END_TEST

START_TEST(auth_config_type_default)
{
	cty_value *config = with(val(fixture(APIM)), "auth_config", "{\"header_name\":\"Authorization\",\"format\":\"Bearer {api_key}\"}");
	cty_value *p = plan(config, NULL, NULL, NULL);
	assert_attr(p, "auth_config", "{\"type\":\"api_key\",\"header_name\":\"Authorization\",\"format\":\"Bearer {api_key}\"}");
	cJSON *md = NULL;
	ck_assert_int_eq(foundry_gc_metadata(&md, p), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(md, "authConfig")->valuestring,
		"{\"type\":\"api_key\",\"name\":\"Authorization\",\"format\":\"Bearer {api_key}\"}");
	cJSON_Delete(md);
}
END_TEST

START_TEST(write_only_key_never_planned)
{
	cty_value *config = with(with(with(val(fixture(APIM)), "api_key", "null"), "api_key_wo", "\"wo\""), "api_key_wo_version", "\"1\"");
	cty_value *p = plan(config, NULL, NULL, NULL);
	assert_attr(p, "api_key_wo", "null");
	assert_attr(p, "api_key_wo_version", "\"1\"");
	/* The PUT still carries the key, from config. */
	cJSON *b = cJSON_Parse(body_text(p, config));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "credentials"), "key")->valuestring, "wo");
	cJSON_Delete(b);

	/* Bumping the version is an update (the key is re-sent); same version, no diff. */
	cty_value *st = applied_and_refreshed(config);
	ck_assert(cty_equal(plan(config, st, NULL, NULL), st));
	cty_value *bumped = plan(with(config, "api_key_wo_version", "\"2\""), st, NULL, NULL);
	ck_assert(!cty_equal(bumped, st));
	assert_attr(bumped, "api_key_wo_version", "\"2\"");
}
END_TEST

START_TEST(replacement_paths)
{
	cty_value *config = val(fixture(APIM));
	cty_value *st = applied_and_refreshed(config);
	cty_path **rp;
	size_t nr;

	plan(with(config, "parent_id", "\"" ACCOUNT "\""), st, &rp, &nr);
	ck_assert(replaces(rp, nr, "parent_id"));
	plan(with(config, "name", "\"apim-renamed\""), st, &rp, &nr);
	ck_assert(replaces(rp, nr, "name"));
	cty_value *p = plan(with(with(with(config, "category", "\"ModelGateway\""), "target", "\"https://g.example.com\""), "deployment_in_path", "null"), st, &rp, &nr);
	ck_assert(replaces(rp, nr, "category"));
	(void)p;

	/* An in-place change replaces nothing, and the new id/metadata are known. */
	p = plan(with(config, "target", "\"https://contoso-apim.azure-api.net/v2\""), st, &rp, &nr);
	ck_assert(!replaces(rp, nr, "parent_id") && !replaces(rp, nr, "name") && !replaces(rp, nr, "category"));
	ck_assert(!replaces(rp, nr, "target"));
	ck_assert(attr_known(p, "id") && attr_known(p, "metadata"));
	assert_attr(p, "target", "\"https://contoso-apim.azure-api.net/v2\"");

	/* A model change is an update whose planned metadata already shows the new JSON. */
	p = plan(with(config, "models", "[{\"name\":\"gpt-4o-deployment\",\"model_name\":\"gpt-4o\",\"model_version\":\"2025-01-01\",\"model_format\":\"OpenAI\"}]"),
		st, &rp, &nr);
	ck_assert(!replaces(rp, nr, "parent_id") && !replaces(rp, nr, "name") && !replaces(rp, nr, "category"));
	ck_assert_ptr_nonnull(strstr(enc_attr(p, "metadata"), "2025-01-01"));
}
END_TEST

START_TEST(no_diff_after_unchanged_read)
{
	const char *dyn =
		"{\"parent_id\":\"" PROJECT "\",\"name\":\"apim-dynamic\",\"category\":\"ApiManagement\","
		"\"target\":\"https://contoso-apim.azure-api.net/openai\",\"auth_type\":\"ProjectManagedIdentity\","
		"\"deployment_in_path\":true,\"inference_api_version\":\"2024-10-21\",\"deployment_api_version\":\"2024-10-21\","
		"\"model_discovery\":{\"list_models_endpoint\":\"/deployments\",\"get_model_endpoint\":\"/deployments/{deploymentName}\",\"deployment_provider\":\"AzureOpenAI\"}}";
	const char *litellm =
		"{\"parent_id\":\"" PROJECT "\",\"name\":\"litellm-gateway\",\"category\":\"ModelGateway\","
		"\"target\":\"https://litellm.example.com/v1\",\"auth_type\":\"ApiKey\",\"api_key\":\"gw-key\","
		"\"auth_config\":{\"header_name\":\"Authorization\",\"format\":\"Bearer {api_key}\"},"
		"\"custom_headers\":{\"x-team\":\"platform\"},\"extra_metadata\":{\"owner\":\"team-a\",\"note\":\"\"},"
		"\"models\":[{\"name\":\"claude-sonnet\",\"model_name\":\"claude-sonnet-4\",\"model_version\":\"\",\"model_format\":\"OpenAI\"},"
		"{\"name\":\"llama-70b\",\"model_name\":\"llama-3.3-70b\",\"model_version\":\"1\",\"model_format\":\"OpenAI\"}]}";
	const char *shared =
		"{\"parent_id\":\"" ACCOUNT "\",\"name\":\"apim-shared\",\"category\":\"ApiManagement\","
		"\"target\":\"https://contoso-apim.azure-api.net/shared\",\"auth_type\":\"ApiKey\",\"api_key\":\"k\",\"shared_to_all\":true,"
		"\"models\":[{\"name\":\"gpt-4o\",\"model_name\":\"gpt-4o\",\"model_version\":\"2024-11-20\",\"model_format\":\"OpenAI\"}]}";
	const char *configs[] = {fixture(APIM), fixture(OAUTH), dyn, litellm, shared};
	for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
		cty_value *config = val(configs[i]);
		cty_value *st = applied_and_refreshed(config);
		cty_value *p = plan(config, st, NULL, NULL);
		ck_assert_msg(cty_equal(p, st), "config %zu: second plan has no changes\n plan  %s", i,
			fy_arena_sprintf(A, "%s", enc_attr(p, "metadata")));
	}
}
END_TEST

/* ARM ids are case-insensitive: the same parent or name in other casing is the same connection, not a
 * replacement, and the plan keeps the spelling in state (Terraform accepts the prior value for a functionally
 * equal configured one). A real rename still replaces. */
START_TEST(id_case_change_is_not_a_replacement)
{
	cty_value *config = val(fixture(APIM));
	cty_value *st = applied_and_refreshed(config);
	cty_path **rp;
	size_t nr;
	const char *upper = "\"/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/resourcegroups/RG-FOUNDRY/providers/"
			    "microsoft.cognitiveservices/accounts/FOUNDRY-ACCT/projects/PROJ-MAIN\"";
	cty_value *p = plan(with(with(config, "parent_id", upper), "name", "\"APIM-STATIC\""), st, &rp, &nr);
	ck_assert(!replaces(rp, nr, "parent_id") && !replaces(rp, nr, "name"));
	ck_assert_msg(cty_equal(p, st), "a case-only change plans no change");
	plan(with(config, "name", "\"apim-static2\""), st, &rp, &nr);
	ck_assert(replaces(rp, nr, "name"));
}
END_TEST

START_TEST(destroy_plans_null)
{
	cty_value *st = applied_and_refreshed(val(fixture(APIM)));
	cty_value *p = NULL;
	cty_path **rp;
	size_t nr;
	ck_assert_int_eq(tf_resource_plan(&p, &rp, &nr, CTX, &foundry_gc_resource, NULL, st, NULL), 0);
	ck_assert(p == NULL || cty_is_null(p));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_plan");
	TCase *tc = tcase_create("plan");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_knows_id_and_metadata);
	tcase_add_test(tc, metadata_plan_equals_wire);
	tcase_add_test(tc, audience_default);
	tcase_add_test(tc, unknowns_propagate);
	tcase_add_test(tc, auth_config_type_default);
	tcase_add_test(tc, write_only_key_never_planned);
	tcase_add_test(tc, replacement_paths);
	tcase_add_test(tc, id_case_change_is_not_a_replacement);
	tcase_add_test(tc, no_diff_after_unchanged_read);
	tcase_add_test(tc, destroy_plans_null);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
