/* Plan-time validation of foundry_gateway_connection: each rule, with the attribute path it names. */
#include <stdarg.h>

#include "test_provider_common.h"

/* A config from a base fixture with some attributes replaced ("attr", json, ..., NULL). */
static cty_value *cfg(const char *base, ...)
{
	cty_value *v = val(fixture(base));
	va_list ap;
	va_start(ap, base);
	for (const char *attr; (attr = va_arg(ap, const char *));) {
		const char *json = va_arg(ap, const char *);
		cty_value *x = NULL;
		const cty_type *t = cty_type_attr(T, attr);
		ck_assert_msg(t != NULL, "attribute %s", attr);
		if (strcmp(json, "?") == 0)
			x = cty_unknown(A, t);
		else
			ck_assert_msg(cty_json_decode(&x, A, t, json, strlen(json)) == 0, "%s = %s", attr, json);
		cty_object_set(v, attr, x);
	}
	va_end(ap);
	return v;
}

#define APIM "apim_static_models.config.json"
#define OAUTH "modelgateway_oauth2.config.json"

static tf_diags *check(const cty_value *config)
{
	tf_ctx *ctx;
	ck_assert_int_eq(tf_ctx_new_detached(&ctx, A, &foundry_gc_schema, NULL), 0);
	tf_resource_validate(ctx, &foundry_gc_resource, config);
	return tf_ctx_diags(ctx);
}

static void expect_none(const cty_value *config)
{
	tf_diags *d = check(config);
	ck_assert_msg(tf_diags_count(d) == 0, "no diagnostics expected:%s", diags_text(d));
}

/* Exactly one diagnostic, of this severity, at this path; summary and detail checked when given. */
static void expect_one(const cty_value *config, tf_severity sev, const char *path, const char *summary, const char *detail_part)
{
	tf_diags *d = check(config);
	ck_assert_msg(tf_diags_count(d) == 1, "one diagnostic expected at %s:%s", path, diags_text(d));
	ck_assert_int_eq(tf_diags_severity(d, 0), sev);
	const cty_path *p = tf_diags_path(d, 0);
	ck_assert_msg(p != NULL, "diagnostic has a path");
	ck_assert_str_eq(cty_path_string(A, p), path);
	if (summary)
		ck_assert_str_eq(tf_diags_summary(d, 0), summary);
	if (detail_part)
		ck_assert_msg(strstr(tf_diags_detail(d, 0), detail_part) != NULL, "detail \"%s\" contains \"%s\"",
			tf_diags_detail(d, 0), detail_part);
}

START_TEST(valid_configs)
{
	expect_none(cfg(APIM, NULL));
	expect_none(cfg(OAUTH, NULL));
	expect_none(cfg(APIM, "auth_type", "\"ProjectManagedIdentity\"", "api_key", "null", "audience", "\"api://apim\"", NULL));
	expect_none(cfg(APIM, "auth_type", "\"AAD\"", "api_key", "null", "parent_id", "\"" ACCOUNT "\"", NULL));
	expect_none(cfg(APIM, "models", "null", NULL)); /* APIM has default discovery */
	expect_none(cfg(APIM, "api_key", "null", "api_key_wo", "\"k\"", "api_key_wo_version", "\"1\"", NULL));
	expect_none(cfg(OAUTH, "auth_type", "\"ApiKey\"", "oauth2", "null", "api_key", "\"k\"",
		"auth_config", "{\"header_name\":\"Authorization\",\"format\":\"Bearer {api_key}\"}",
		"custom_headers", "{\"x-team\":\"platform\"}", "extra_metadata", "{\"ApiType\":\"openai\"}", NULL));
}
END_TEST

START_TEST(name_pattern)
{
	expect_one(cfg(APIM, "name", "\"ab\"", NULL), TF_ERROR, "name", NULL, NULL);
	expect_one(cfg(APIM, "name", "\"bad name\"", NULL), TF_ERROR, "name", NULL, NULL);
	expect_one(cfg(APIM, "name", "\"-abc\"", NULL), TF_ERROR, "name", NULL, NULL);
}
END_TEST

START_TEST(parent_id_shape)
{
	expect_one(cfg(APIM, "parent_id", "\"" PROJECT "/\"", NULL), TF_ERROR, "parent_id", "Invalid parent_id",
		"/accounts/{account}/projects/{project}");
	expect_one(cfg(APIM, "parent_id", "\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/x\"", NULL),
		TF_ERROR, "parent_id", "Invalid parent_id", "Microsoft.CognitiveServices/accounts/{account}\n");
	/* Namespace in another case is the same id to ARM. */
	expect_none(cfg(APIM, "parent_id",
		"\"/subscriptions/s/resourceGroups/rg/providers/microsoft.cognitiveservices/accounts/acct/projects/p1\"", NULL));
}
END_TEST

START_TEST(category_and_auth_type_values)
{
	expect_one(cfg(APIM, "category", "\"apimanagement\"", NULL), TF_ERROR, "category", NULL, "ApiManagement");
	expect_one(cfg(APIM, "category", "\"AzureOpenAI\"", NULL), TF_ERROR, "category", NULL, NULL);
	expect_one(cfg(APIM, "auth_type", "\"apikey\"", NULL), TF_ERROR, "auth_type", NULL, "ApiKey");
}
END_TEST

START_TEST(category_auth_type_combinations)
{
	/* ApiManagement + OAuth2 (oauth2 set, no key): only the combination is wrong. */
	expect_one(cfg(OAUTH, "category", "\"ApiManagement\"", "target", "\"https://a.azure-api.net/x\"", NULL), TF_ERROR,
		"auth_type", "Unsupported auth_type for this category", "ApiKey, ProjectManagedIdentity or AAD");
	expect_one(cfg(OAUTH, "auth_type", "\"ProjectManagedIdentity\"", "oauth2", "null", NULL), TF_ERROR, "auth_type",
		"Unsupported auth_type for this category", "ApiKey or OAuth2");
	expect_one(cfg(OAUTH, "auth_type", "\"AAD\"", "oauth2", "null", NULL), TF_ERROR, "auth_type", NULL, NULL);
}
END_TEST

START_TEST(api_key_rules)
{
	expect_one(cfg(APIM, "api_key", "null", NULL), TF_ERROR, "api_key", "Missing API key", "api_key_wo");
	expect_one(cfg(APIM, "api_key_wo", "\"k2\"", NULL), TF_ERROR, "api_key_wo", "Conflicting arguments", NULL);
	expect_one(cfg(APIM, "auth_type", "\"AAD\"", NULL), TF_ERROR, "api_key", "API key not used", "AAD");
	expect_one(cfg(APIM, "auth_type", "\"AAD\"", "api_key", "null", "api_key_wo", "\"k\"", NULL), TF_ERROR,
		"api_key_wo", "API key not used", NULL);
	expect_one(cfg(APIM, "api_key_wo_version", "\"2\"", NULL), TF_ERROR, "api_key_wo_version", NULL, "api_key_wo");
	expect_one(cfg(APIM, "api_key", "\"\"", NULL), TF_ERROR, "api_key", NULL, NULL);
	/* An API key known only at apply counts as set. */
	expect_none(cfg(APIM, "api_key", "?", NULL));
}
END_TEST

START_TEST(oauth2_rules)
{
	expect_one(cfg(OAUTH, "oauth2", "null", NULL), TF_ERROR, "oauth2", "Missing OAuth2 settings", "token_url");
	expect_one(cfg(APIM, "oauth2", "{\"client_id\":\"c\",\"client_secret\":\"s\",\"token_url\":\"https://idp/t\"}", NULL),
		TF_ERROR, "oauth2", "OAuth2 settings not used", NULL);
	expect_one(cfg(OAUTH, "oauth2", "{\"client_id\":\"c\",\"client_secret\":\"s\",\"token_url\":\"http://idp.example.com/t\"}", NULL),
		TF_ERROR, "oauth2.token_url", NULL, NULL);
	expect_one(cfg(OAUTH, "oauth2", "{\"client_id\":\"c\",\"token_url\":\"https://idp.example.com/t\"}", NULL), TF_ERROR,
		"oauth2.client_secret", NULL, NULL);
	expect_one(cfg(OAUTH, "oauth2", "{\"client_secret\":\"s\",\"token_url\":\"https://idp.example.com/t\"}", NULL), TF_ERROR,
		"oauth2.client_id", NULL, NULL);
}
END_TEST

START_TEST(audience_rule)
{
	expect_one(cfg(APIM, "audience", "\"https://cognitiveservices.azure.com\"", NULL), TF_ERROR, "audience",
		"audience not used", "ProjectManagedIdentity");
}
END_TEST

START_TEST(models_and_discovery)
{
	const char *disc = "{\"list_models_endpoint\":\"/models\",\"get_model_endpoint\":\"/models/{deploymentName}\",\"deployment_provider\":\"OpenAI\"}";
	expect_one(cfg(APIM, "model_discovery", disc, NULL), TF_ERROR, "model_discovery", "Conflicting model settings", NULL);
	expect_one(cfg(OAUTH, "model_discovery", "null", NULL), TF_ERROR, "models", "Missing models", "model_discovery");
	expect_one(cfg(OAUTH, "model_discovery",
			   "{\"list_models_endpoint\":\"/models\",\"get_model_endpoint\":\"/models/x\",\"deployment_provider\":\"OpenAI\"}", NULL),
		TF_ERROR, "model_discovery.get_model_endpoint", NULL, "{deploymentName}");
	expect_one(cfg(OAUTH, "model_discovery",
			   "{\"list_models_endpoint\":\"/models\",\"get_model_endpoint\":\"/models/{deploymentName}\",\"deployment_provider\":\"openai\"}", NULL),
		TF_ERROR, "model_discovery.deployment_provider", NULL, "OpenAI");
	expect_one(cfg(OAUTH, "model_discovery",
			   "{\"list_models_endpoint\":\"\",\"get_model_endpoint\":\"/models/{deploymentName}\",\"deployment_provider\":\"OpenAI\"}", NULL),
		TF_ERROR, "model_discovery.list_models_endpoint", NULL, NULL);
}
END_TEST

START_TEST(model_names)
{
	expect_one(cfg(APIM, "models",
			   "[{\"name\":\"gpt\",\"model_name\":\"a\",\"model_format\":\"OpenAI\"},"
			   "{\"name\":\"other\",\"model_name\":\"b\",\"model_format\":\"OpenAI\"},"
			   "{\"name\":\"gpt\",\"model_name\":\"c\",\"model_format\":\"OpenAI\"}]", NULL),
		TF_ERROR, "models[2].name", "Duplicate model name", "models[0]");
	expect_one(cfg(APIM, "models", "[{\"name\":\"\",\"model_name\":\"a\",\"model_format\":\"OpenAI\"}]", NULL), TF_ERROR,
		"models[0].name", NULL, NULL);
	expect_one(cfg(APIM, "models", "[]", NULL), TF_ERROR, "models", NULL, NULL);
	/* model_version may be "" or absent. */
	expect_none(cfg(APIM, "models", "[{\"name\":\"a1\",\"model_name\":\"a\",\"model_version\":\"\",\"model_format\":\"OpenAI\"},"
					"{\"name\":\"a2\",\"model_name\":\"a\",\"model_format\":\"DeepSeek\"}]", NULL));
}
END_TEST

START_TEST(auth_config_rules)
{
	expect_one(cfg(APIM, "auth_config", "{\"header_name\":\"Authorization\",\"format\":\"Bearer KEY\"}", NULL), TF_ERROR,
		"auth_config.format", NULL, "{api_key}");
	expect_one(cfg(APIM, "auth_config", "{\"type\":\"bearer\"}", NULL), TF_ERROR, "auth_config.type", NULL, "api_key");
}
END_TEST

START_TEST(extra_metadata_managed_keys)
{
	expect_one(cfg(APIM, "extra_metadata", "{\"DeploymentInPath\":\"true\",\"ok\":\"1\"}", NULL), TF_ERROR,
		"extra_metadata[\"DeploymentInPath\"]", "Managed metadata key in extra_metadata",
		"\"DeploymentInPath\": use deployment_in_path");
	expect_one(cfg(APIM, "extra_metadata", "{\"models\":\"[]\"}", NULL), TF_ERROR, "extra_metadata[\"models\"]", NULL,
		"\"models\": use models");
	expect_one(cfg(APIM, "extra_metadata", "{\"INFERENCEAPIVERSION\":\"x\"}", NULL), TF_ERROR,
		"extra_metadata[\"INFERENCEAPIVERSION\"]", NULL, "use inference_api_version");
}
END_TEST

START_TEST(target_rules)
{
	expect_one(cfg(APIM, "target", "\"https://ai.contoso.com/foundry\"", NULL), TF_WARNING, "target",
		"API Management target is not an azure-api.net host", "ai.contoso.com");
	expect_none(cfg(APIM, "target", "\"https://CONTOSO.Azure-Api.NET:443/foundry\"", NULL));
	expect_none(cfg(OAUTH, "target", "\"https://ai.contoso.com/v1\"", NULL)); /* ModelGateway: any host */
	expect_one(cfg(APIM, "target", "\"http://contoso.azure-api.net/x\"", NULL), TF_ERROR, "target", NULL, NULL);
}
END_TEST

START_TEST(unknowns_not_judged)
{
	/* auth_type unknown: no credential rule can be judged. */
	expect_none(cfg(APIM, "auth_type", "?", "api_key", "null", NULL));
	/* category unknown: neither the combination nor the models rule. */
	expect_none(cfg(OAUTH, "category", "?", "model_discovery", "null", NULL));
	/* models unknown with model_discovery: maybe null at apply. */
	expect_none(cfg(OAUTH, "models", "?", NULL));
	expect_none(cfg(APIM, "name", "?", "parent_id", "?", "target", "?", "extra_metadata", "?", NULL));
	expect_none(cfg(OAUTH, "oauth2", "?", NULL));
}
END_TEST

START_TEST(data_source_table)
{
	tf_resource ds = {.type_name = "foundry_gateway_connection", .schema = tf_data_source_schema(&foundry_gc_data_source)};
	const cty_type *dt;
	ck_assert_int_eq(tf_block_implied_type(&dt, A, tf_data_source_schema(&foundry_gc_data_source)), 0);
	tf_ctx *ctx;
	ck_assert_int_eq(tf_ctx_new_detached(&ctx, A, tf_data_source_schema(&foundry_gc_data_source), NULL), 0);
	cty_value *v = NULL;
	const char *json = "{\"parent_id\":\"" PROJECT "/\",\"name\":\"x\"}";
	ck_assert_int_eq(cty_json_decode(&v, A, dt, json, strlen(json)), 0);
	tf_resource_validate(ctx, &ds, v);
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(ctx)), 2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_validate");
	TCase *tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_configs);
	tcase_add_test(tc, name_pattern);
	tcase_add_test(tc, parent_id_shape);
	tcase_add_test(tc, category_and_auth_type_values);
	tcase_add_test(tc, category_auth_type_combinations);
	tcase_add_test(tc, api_key_rules);
	tcase_add_test(tc, oauth2_rules);
	tcase_add_test(tc, audience_rule);
	tcase_add_test(tc, models_and_discovery);
	tcase_add_test(tc, model_names);
	tcase_add_test(tc, auth_config_rules);
	tcase_add_test(tc, extra_metadata_managed_keys);
	tcase_add_test(tc, target_rules);
	tcase_add_test(tc, unknowns_not_judged);
	tcase_add_test(tc, data_source_table);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
