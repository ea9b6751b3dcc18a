/* foundry_gc_to_arm / foundry_gc_from_arm: every attribute to and from the ARM body (docs/internals/arm.md 2.3-2.4, 5.3). */
#include "test_provider_common.h"

/* ------------------------------------------------------------ to_arm */

START_TEST(wire_apim_static_models)
{
	/* docs/internals/arm.md 2.4 first example, compared as parsed JSON: the metadata strings must match byte for byte. */
	cty_value *v = val(fixture("apim_static_models.config.json"));
	assert_json_eq(body_text(v, NULL), fixture("apim_static_models.body.json"));
}
END_TEST

START_TEST(wire_modelgateway_oauth2)
{
	cty_value *v = val(fixture("modelgateway_oauth2.config.json"));
	assert_json_eq(body_text(v, NULL), fixture("modelgateway_oauth2.body.json"));
}
END_TEST

START_TEST(wire_project_managed_identity)
{
	/* Default audience, empty credentials (FS apim-connection-common.bicep), discovery JSON. */
	cty_value *v = val("{\"parent_id\":\"" PROJECT "\",\"name\":\"apim-dyn\",\"category\":\"ApiManagement\","
			   "\"target\":\"https://contoso-apim.azure-api.net/openai\",\"auth_type\":\"ProjectManagedIdentity\","
			   "\"deployment_in_path\":true,\"inference_api_version\":\"2024-10-21\",\"deployment_api_version\":\"2024-10-21\","
			   "\"model_discovery\":{\"list_models_endpoint\":\"/deployments\",\"get_model_endpoint\":\"/deployments/{deploymentName}\","
			   "\"deployment_provider\":\"AzureOpenAI\"}}");
	assert_json_eq(body_text(v, NULL),
		"{\"properties\":{\"category\":\"ApiManagement\",\"target\":\"https://contoso-apim.azure-api.net/openai\","
		"\"authType\":\"ProjectManagedIdentity\",\"isSharedToAll\":false,\"credentials\":{},"
		"\"audience\":\"https://cognitiveservices.azure.com\",\"metadata\":{\"deploymentInPath\":\"true\","
		"\"inferenceAPIVersion\":\"2024-10-21\",\"deploymentAPIVersion\":\"2024-10-21\","
		"\"modelDiscovery\":\"{\\\"listModelsEndpoint\\\":\\\"/deployments\\\",\\\"getModelEndpoint\\\":\\\"/deployments/{deploymentName}\\\",\\\"deploymentProvider\\\":\\\"AzureOpenAI\\\"}\"}}}");
}
END_TEST

START_TEST(wire_explicit_audience_and_aad)
{
	cty_value *v = val("{\"category\":\"ApiManagement\",\"target\":\"https://a.azure-api.net/x\",\"auth_type\":\"ProjectManagedIdentity\","
			   "\"audience\":\"api://my-apim\"}");
	cJSON *b = cJSON_Parse(body_text(v, NULL));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "audience")->valuestring, "api://my-apim");
	cJSON_Delete(b);

	v = val("{\"category\":\"ApiManagement\",\"target\":\"https://a.azure-api.net/x\",\"auth_type\":\"AAD\",\"shared_to_all\":true}");
	assert_json_eq(body_text(v, NULL),
		"{\"properties\":{\"category\":\"ApiManagement\",\"target\":\"https://a.azure-api.net/x\",\"authType\":\"AAD\","
		"\"isSharedToAll\":true,\"credentials\":{},\"metadata\":{\"deploymentInPath\":\"false\"}}}");
}
END_TEST

START_TEST(wire_api_key_write_only_from_config)
{
	/* api_key_wo is never in the plan: the key comes from the config passed at apply. */
	cty_value *planned = val("{\"category\":\"ModelGateway\",\"target\":\"https://g.example.com\",\"auth_type\":\"ApiKey\","
				 "\"api_key_wo_version\":\"1\",\"models\":[{\"name\":\"m1\",\"model_name\":\"x\",\"model_format\":\"OpenAI\"}]}");
	cty_value *config = val("{\"api_key_wo\":\"wo-secret\"}");
	cJSON *b = cJSON_Parse(body_text(planned, config));
	cJSON *creds = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "credentials");
	ck_assert_str_eq(cJSON_GetObjectItem(creds, "key")->valuestring, "wo-secret");
	/* A null model_version is omitted, not sent as null or "". */
	cJSON *md = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "metadata");
	ck_assert_str_eq(cJSON_GetObjectItem(md, "models")->valuestring,
		"[{\"name\":\"m1\",\"properties\":{\"model\":{\"name\":\"x\",\"format\":\"OpenAI\"}}}]");
	cJSON_Delete(b);

	/* No key at all: refused with a message, nothing built. */
	cJSON *out = NULL;
	ck_assert_int_eq(foundry_gc_to_arm(&out, planned, NULL), FY_EINVALID);
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "api_key"));
}
END_TEST

START_TEST(wire_every_metadata_key)
{
	cty_value *v = val("{\"category\":\"ModelGateway\",\"target\":\"https://litellm.example.com/v1\",\"auth_type\":\"ApiKey\","
			   "\"api_key\":\"k\",\"deployment_in_path\":true,\"inference_api_version\":\"\",\"deployment_api_version\":\"v1\","
			   "\"models\":[{\"name\":\"claude\",\"model_name\":\"claude-sonnet-4\",\"model_version\":\"\",\"model_format\":\"OpenAI\"},"
			   "{\"name\":\"llama\",\"model_name\":\"llama-3.3-70b\",\"model_version\":\"1\",\"model_format\":\"OpenAI\"}],"
			   "\"custom_headers\":{\"x-team\":\"platform\",\"a-first\":\"1\"},"
			   "\"auth_config\":{\"header_name\":\"Authorization\",\"format\":\"Bearer {api_key}\"},"
			   "\"extra_metadata\":{\"ApiType\":\"openai\",\"location\":\"westeurope\"}}");
	cJSON *b = cJSON_Parse(body_text(v, NULL));
	cJSON *md = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "metadata");
	char *p = cJSON_PrintUnformatted(md);
	assert_json_eq(p,
		"{\"deploymentInPath\":\"true\",\"inferenceAPIVersion\":\"\",\"deploymentAPIVersion\":\"v1\","
		"\"models\":\"[{\\\"name\\\":\\\"claude\\\",\\\"properties\\\":{\\\"model\\\":{\\\"name\\\":\\\"claude-sonnet-4\\\",\\\"version\\\":\\\"\\\",\\\"format\\\":\\\"OpenAI\\\"}}},"
		"{\\\"name\\\":\\\"llama\\\",\\\"properties\\\":{\\\"model\\\":{\\\"name\\\":\\\"llama-3.3-70b\\\",\\\"version\\\":\\\"1\\\",\\\"format\\\":\\\"OpenAI\\\"}}}]\","
		"\"customHeaders\":\"{\\\"a-first\\\":\\\"1\\\",\\\"x-team\\\":\\\"platform\\\"}\","
		"\"authConfig\":\"{\\\"type\\\":\\\"api_key\\\",\\\"name\\\":\\\"Authorization\\\",\\\"format\\\":\\\"Bearer {api_key}\\\"}\","
		"\"ApiType\":\"openai\",\"location\":\"westeurope\"}");
	cJSON_free(p);
	/* Every metadata value is a string: metadata is map<string,string> (docs/internals/arm.md 0.3). */
	cJSON *it;
	cJSON_ArrayForEach(it, md) ck_assert_msg(cJSON_IsString(it), "metadata %s is a string", it->string);
	cJSON_Delete(b);

	/* A null version key is omitted entirely. */
	v = val("{\"category\":\"ApiManagement\",\"target\":\"https://a.azure-api.net/x\",\"auth_type\":\"AAD\"}");
	b = cJSON_Parse(body_text(v, NULL));
	md = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "metadata");
	ck_assert_int_eq(cJSON_GetArraySize(md), 1);
	ck_assert_ptr_null(cJSON_GetObjectItem(md, "inferenceAPIVersion"));
	cJSON_Delete(b);
}
END_TEST

START_TEST(metadata_value_matches_body)
{
	cty_value *v = val(fixture("modelgateway_oauth2.config.json"));
	cty_value *md = NULL;
	ck_assert_int_eq(foundry_gc_metadata_value(&md, A, v), 0);
	char *s = NULL;
	ck_assert_int_eq(cty_json_encode(&s, A, md, cty_type_attr(T, "metadata")), 0);
	cJSON *b = cJSON_Parse(fixture("modelgateway_oauth2.body.json"));
	char *want = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "properties"), "metadata"));
	assert_json_eq(s, want);
	cJSON_free(want);
	cJSON_Delete(b);

	/* Unknown dependencies: the map is not known. */
	cty_object_set(v, "models", cty_unknown(A, cty_type_attr(T, "models")));
	ck_assert_int_eq(foundry_gc_metadata_known(v), 0);
	ck_assert_int_eq(foundry_gc_metadata_value(&md, A, v), FY_EINVALID);
}
END_TEST

/* ---------------------------------------------------------- from_arm */

START_TEST(roundtrip_examples)
{
	/* PUT body -> service echo (no credentials) -> state == the value we sent, secrets kept. */
	const char *names[] = {"apim_static_models.config.json", "modelgateway_oauth2.config.json"};
	for (size_t i = 0; i < 2; i++) {
		cty_value *v = val(fixture(names[i]));
		cty_value *md;
		ck_assert_int_eq(foundry_gc_metadata_value(&md, A, v), 0);
		cty_object_set(v, "metadata", md);
		const char *parent = cty_get_string(v, "parent_id"), *name = cty_get_string(v, "name");
		cty_object_set(v, "id", cty_string(A, foundry_arm_id_join(A, &foundry_gc_id_spec, parent, name)));
		cty_object_set(v, "shared_to_all", cty_bool(A, 0));
		cty_object_set(v, "deployment_in_path", cty_bool(A, 0));
		char *resp = service_echo(body_text(v, NULL), foundry_arm_id_join(A, &foundry_gc_id_spec, parent, name), name);
		cty_value *st = from_arm(resp, v, NULL);
		ck_assert_msg(cty_equal(st, v), "%s round trip", names[i]);
	}
}
END_TEST

START_TEST(import_decodes_everything_but_secrets)
{
	/* No prior: identity from the body's id, typed attributes from metadata, secrets null. */
	cty_value *st = from_arm(fixture("apim_static_models.get.json"), NULL, NULL);
	assert_attr(st, "parent_id", "\"" PROJECT "\"");
	assert_attr(st, "name", "\"apim-static\"");
	assert_attr(st, "id", "\"" PROJECT "/connections/apim-static\"");
	assert_attr(st, "category", "\"ApiManagement\"");
	assert_attr(st, "auth_type", "\"ApiKey\"");
	assert_attr(st, "target", "\"https://contoso-apim.azure-api.net/foundry\"");
	assert_attr(st, "api_key", "null");
	assert_attr(st, "api_key_wo", "null");
	assert_attr(st, "shared_to_all", "false");
	assert_attr(st, "deployment_in_path", "false");
	assert_attr(st, "models",
		"[{\"name\":\"gpt-4o-deployment\",\"model_name\":\"gpt-4o\",\"model_version\":\"2024-11-20\",\"model_format\":\"OpenAI\"}]");
	assert_attr(st, "model_discovery", "null");
	assert_attr(st, "extra_metadata", "null");
	assert_attr(st, "metadata",
		"{\"deploymentInPath\":\"false\",\"models\":\"[{\\\"name\\\":\\\"gpt-4o-deployment\\\",\\\"properties\\\":{\\\"model\\\":{\\\"name\\\":\\\"gpt-4o\\\",\\\"version\\\":\\\"2024-11-20\\\",\\\"format\\\":\\\"OpenAI\\\"}}}]\"}");

	/* OAuth2 body: token_url/scopes decoded, client id/secret null (credentials never returned). */
	cJSON *b = cJSON_Parse(fixture("modelgateway_oauth2.body.json"));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(b, "properties"), "credentials");
	cJSON_AddStringToObject(b, "id", ACCOUNT "/connections/gw1");
	char *p = cJSON_PrintUnformatted(b);
	st = from_arm(p, NULL, NULL);
	cJSON_free(p);
	cJSON_Delete(b);
	assert_attr(st, "parent_id", "\"" ACCOUNT "\"");
	assert_attr(st, "oauth2", "{\"client_id\":null,\"client_secret\":null,\"client_secret_wo\":null,\"client_secret_wo_version\":null,\"token_url\":\"https://idp.example.com/oauth2/token\",\"scopes\":[\"gateway.read\"]}");
	assert_attr(st, "model_discovery",
		"{\"list_models_endpoint\":\"/models\",\"get_model_endpoint\":\"/models/{deploymentName}\",\"deployment_provider\":\"OpenAI\"}");
	/* Import: the service's "" as it is, so a config with "" plans no change to it. */
	assert_attr(st, "inference_api_version", "\"\"");

	/* Documented GETs carry no credentials; should one carry credentials.clientId, it is read back (the schema
	 * and docs say so), while the secret never is. */
	b = cJSON_Parse(fixture("modelgateway_oauth2.body.json"));
	cJSON_AddStringToObject(b, "id", ACCOUNT "/connections/gw1");
	p = cJSON_PrintUnformatted(b);
	st = from_arm(p, NULL, NULL);
	cJSON_free(p);
	cJSON_Delete(b);
	ck_assert_str_eq(cty_get_string(cty_get_attr(st, "oauth2"), "client_id"), "<id>");
	ck_assert(cty_is_null(cty_get_attr(cty_get_attr(st, "oauth2"), "client_secret")));
}
END_TEST

START_TEST(true_spellings)
{
	cty_value *prior = val("{\"parent_id\":\"" PROJECT "\",\"name\":\"c01\",\"deployment_in_path\":false}");
	const char *spellings[] = {"true", "True", "TRUE"};
	for (size_t i = 0; i < 3; i++) {
		char *body = fy_arena_sprintf(A, "{\"properties\":{\"category\":\"ApiManagement\",\"authType\":\"AAD\","
						 "\"metadata\":{\"deploymentInPath\":\"%s\"}}}", spellings[i]);
		cty_value *st = from_arm(body, prior, NULL);
		assert_attr(st, "deployment_in_path", "true");
		/* metadata holds our canonical spelling, so config true plans no diff. */
		assert_attr(st, "metadata", "{\"deploymentInPath\":\"true\"}");
	}
	cty_value *st = from_arm("{\"properties\":{\"metadata\":{\"deploymentInPath\":\"False\"}}}", prior, NULL);
	assert_attr(st, "deployment_in_path", "false");
}
END_TEST

START_TEST(empty_string_and_absent_alike)
{
	/* Prior "" + service absent -> ""; prior null + service "" -> null; prior "" + service "" -> "". */
	const char *body_absent = "{\"properties\":{\"metadata\":{\"deploymentInPath\":\"false\"}}}";
	const char *body_empty = "{\"properties\":{\"metadata\":{\"deploymentInPath\":\"false\",\"inferenceAPIVersion\":\"\",\"deploymentAPIVersion\":\"\"}}}";
	cty_value *pe = val("{\"parent_id\":\"" PROJECT "\",\"name\":\"c01\",\"category\":\"ApiManagement\",\"inference_api_version\":\"\"}");
	cty_value *pn = val("{\"parent_id\":\"" PROJECT "\",\"name\":\"c01\",\"category\":\"ApiManagement\"}");

	cty_value *st = from_arm(body_absent, pe, NULL);
	assert_attr(st, "inference_api_version", "\"\"");
	assert_attr(st, "metadata", "{\"deploymentInPath\":\"false\",\"inferenceAPIVersion\":\"\"}");

	st = from_arm(body_empty, pn, NULL);
	assert_attr(st, "inference_api_version", "null");
	assert_attr(st, "deployment_api_version", "null");
	assert_attr(st, "metadata", "{\"deploymentInPath\":\"false\"}");

	st = from_arm(body_empty, pe, NULL);
	assert_attr(st, "inference_api_version", "\"\"");
	assert_attr(st, "metadata", "{\"deploymentInPath\":\"false\",\"inferenceAPIVersion\":\"\"}");

	/* A real value replaces either. */
	st = from_arm("{\"properties\":{\"metadata\":{\"inferenceAPIVersion\":\"v1\"}}}", pe, NULL);
	assert_attr(st, "inference_api_version", "\"v1\"");

	/* An empty JSON-string key is absent too. */
	st = from_arm("{\"properties\":{\"metadata\":{\"models\":\"\"}}}", pn, NULL);
	assert_attr(st, "models", "null");
}
END_TEST

START_TEST(key_order_and_whitespace_are_not_drift)
{
	cty_value *prior = apply(val(fixture("apim_static_models.config.json")), NULL);
	/* The same models, keys reordered and spaced (Bicep, jsonencode and the service all differ). */
	const char *body =
		"{\"properties\":{\"category\":\"ApiManagement\",\"target\":\"https://contoso-apim.azure-api.net/foundry\","
		"\"authType\":\"ApiKey\",\"isSharedToAll\":false,\"metadata\":{\"deploymentInPath\":\"false\","
		"\"models\":\"[ { \\\"properties\\\": { \\\"model\\\": { \\\"format\\\": \\\"OpenAI\\\", \\\"version\\\": \\\"2024-11-20\\\", \\\"name\\\": \\\"gpt-4o\\\" } }, \\\"name\\\": \\\"gpt-4o-deployment\\\" } ]\"}}}";
	cty_value *st = from_arm(body, prior, NULL);
	ck_assert_msg(cty_equal(st, prior), "semantically equal JSON keeps the prior state exactly");
}
END_TEST

START_TEST(service_added_keys_ignored_unless_named)
{
	cty_value *prior = val("{\"parent_id\":\"" PROJECT "\",\"name\":\"c01\",\"category\":\"ApiManagement\",\"extra_metadata\":{\"location\":\"westeurope\",\"gone\":\"x\",\"empty\":\"\"}}");
	const char *body = "{\"properties\":{\"metadata\":{\"deploymentInPath\":\"false\",\"ApiVersion\":\"2024-10-21\","
			   "\"DeploymentApiVersion\":\"2024-10-21\",\"location\":\"northeurope\"}}}";
	cty_value *st = from_arm(body, prior, NULL);
	/* Named keys: the service value (drift shows); a deleted one disappears; "" stays "" (absent alike). */
	assert_attr(st, "extra_metadata", "{\"location\":\"northeurope\",\"empty\":\"\"}");
	assert_attr(st, "metadata", "{\"deploymentInPath\":\"false\",\"location\":\"northeurope\",\"empty\":\"\"}");

	/* Without extra_metadata in prior, service keys never reach state. */
	st = from_arm(body, val("{\"parent_id\":\"" PROJECT "\",\"name\":\"c01\",\"category\":\"ApiManagement\"}"), NULL);
	assert_attr(st, "extra_metadata", "null");
	assert_attr(st, "metadata", "{\"deploymentInPath\":\"false\"}");
}
END_TEST

START_TEST(enum_values_keep_the_users_case)
{
	cty_value *prior = apply(val(fixture("apim_static_models.config.json")), NULL);
	const char *body =
		"{\"properties\":{\"category\":\"apimanagement\",\"target\":\"https://contoso-apim.azure-api.net/foundry\","
		"\"authType\":\"apikey\",\"isSharedToAll\":false,\"metadata\":{\"deploymentInPath\":\"False\","
		"\"models\":\"[{\\\"name\\\":\\\"gpt-4o-deployment\\\",\\\"properties\\\":{\\\"model\\\":{\\\"name\\\":\\\"gpt-4o\\\",\\\"version\\\":\\\"2024-11-20\\\",\\\"format\\\":\\\"OpenAI\\\"}}}]\"}}}";
	cty_value *st = from_arm(body, prior, NULL);
	/* ARM's enum values are case-insensitive: the user's spelling stays, no drift. */
	ck_assert_msg(cty_equal(st, prior), "case-only differences of enum values are not drift");
}
END_TEST

/* Foundry reads metadata keys case-sensitively: "Models", "inferenceApiVersion", "DeploymentInPath" are keys it
 * ignores. Each is drift (in `metadata`, with a warning naming it), never read as ours. */
START_TEST(miscased_metadata_keys_are_drift)
{
	cty_value *prior = apply(val(fixture("apim_static_models.config.json")), NULL);
	cty_object_set(prior, "inference_api_version", cty_string(A, "2024-10-21"));
	const char *body =
		"{\"properties\":{\"category\":\"ApiManagement\",\"target\":\"https://contoso-apim.azure-api.net/foundry\","
		"\"authType\":\"ApiKey\",\"isSharedToAll\":false,\"metadata\":{\"DeploymentInPath\":\"false\","
		"\"inferenceApiVersion\":\"2024-10-21\",\"Models\":\"[]\",\"DeploymentApiVersion\":\"2024-10-21\"}}}";
	tf_diags *d = tf_ctx_diags(CTX);
	cty_value *st = from_arm(body, prior, d);
	ck_assert_msg(!cty_equal(st, prior), "miscased keys are drift");
	assert_attr(st, "models", "null");
	assert_attr(st, "inference_api_version", "null");
	/* DeploymentApiVersion is ARM's own key (we never sent deploymentAPIVersion): ignored. */
	assert_attr(st, "metadata", "{\"DeploymentInPath\":\"false\",\"inferenceApiVersion\":\"2024-10-21\",\"Models\":\"[]\"}");
	ck_assert_uint_eq(tf_diags_count(d), 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(tf_diags_summary(d, i), "Metadata key in the wrong case");
	ck_assert_msg(strstr(tf_diags_detail(d, 0), "\"DeploymentInPath\" differs from \"deploymentInPath\""), "%s",
		tf_diags_detail(d, 0));

	/* The exact key present beside a service-added variant: ours is read, the variant ignored. */
	body = "{\"properties\":{\"category\":\"ApiManagement\",\"target\":\"https://contoso-apim.azure-api.net/foundry\","
	       "\"authType\":\"ApiKey\",\"metadata\":{\"deploymentInPath\":\"true\",\"DeploymentInPath\":\"false\"}}}";
	st = from_arm(body, prior, NULL);
	assert_attr(st, "deployment_in_path", "true");
}
END_TEST

/* A 200 that is not a connection (a proxy page, `{"properties":{}}`) must never become a state of nulls:
 * category would force a replacement of a working connection. */
START_TEST(unreadable_body_is_refused)
{
	const char *bodies[] = {"{\"properties\":{}}", "{\"properties\":{\"category\":\"ApiManagement\",\"authType\":\"ApiKey\"}}",
		"{\"properties\":{\"category\":7,\"authType\":\"ApiKey\",\"target\":\"https://x\"}}",
		"{\"properties\":{\"category\":\"ApiManagement\",\"authType\":null,\"target\":\"https://x\"}}"};
	const char *why[] = {"properties.category is missing", "properties.target is missing",
		"properties.category is not a non-empty string", "properties.authType is not a non-empty string"};
	cty_value *prior = apply(val(fixture("apim_static_models.config.json")), NULL);
	for (size_t i = 0; i < 4; i++) {
		cJSON *b = cJSON_Parse(bodies[i]);
		cty_value *st = NULL;
		ck_assert_int_eq(foundry_gc_from_arm(&st, A, T, b, prior, NULL), FY_EINVALID);
		ck_assert_str_eq(fy_error_last()->message, why[i]);
		cJSON_Delete(b);
	}
}
END_TEST

/* Import: metadata keys the schema does not manage become extra_metadata, so the first plan shows their removal
 * when the configuration does not name them; ARM's own keys and miscased managed keys do not. */
START_TEST(import_keeps_unmanaged_keys_in_extra_metadata)
{
	const char *body = "{\"id\":\"" PROJECT "/connections/c01\",\"properties\":{\"category\":\"ApiManagement\","
			   "\"target\":\"https://x.azure-api.net/v1\",\"authType\":\"ApiKey\",\"metadata\":{"
			   "\"deploymentInPath\":\"false\",\"owner\":\"team-a\",\"ApiVersion\":\"1\",\"Models\":\"[]\"}}}";
	cty_value *st = from_arm(body, NULL, NULL);
	assert_attr(st, "extra_metadata", "{\"owner\":\"team-a\"}");
	assert_attr(st, "metadata", "{\"deploymentInPath\":\"false\",\"owner\":\"team-a\",\"Models\":\"[]\"}");
}
END_TEST

START_TEST(credentials_kept_from_prior)
{
	cty_value *prior = apply(val(fixture("modelgateway_oauth2.config.json")), NULL);
	assert_attr(prior, "oauth2", "{\"client_id\":\"<id>\",\"client_secret\":\"<secret>\",\"client_secret_wo\":null,\"client_secret_wo_version\":null,\"token_url\":\"https://idp.example.com/oauth2/token\",\"scopes\":[\"gateway.read\"]}");
	/* A GET that omits credentials, tokenUrl and scopes: all kept. */
	const char *body = "{\"properties\":{\"category\":\"ModelGateway\",\"target\":\"https://gateway.example.com/v1\","
			   "\"authType\":\"OAuth2\",\"isSharedToAll\":false,\"metadata\":{\"deploymentInPath\":\"false\",\"inferenceAPIVersion\":\"\","
			   "\"modelDiscovery\":\"{\\\"listModelsEndpoint\\\":\\\"/models\\\",\\\"getModelEndpoint\\\":\\\"/models/{deploymentName}\\\",\\\"deploymentProvider\\\":\\\"OpenAI\\\"}\"}}}";
	cty_value *st = from_arm(body, prior, NULL);
	ck_assert_msg(cty_equal(st, prior), "credentials and undocumented fields kept");

	cty_value *kp = apply(val(fixture("apim_static_models.config.json")), NULL);
	st = from_arm(fixture("apim_static_models.get.json"), kp, NULL);
	assert_attr(st, "api_key", "\"<apim-subscription-key>\"");
	ck_assert(cty_equal(st, kp));

	/* The write-only key's version comes from prior; the key itself is never in state. */
	cty_value *wp = val("{\"parent_id\":\"" PROJECT "\",\"name\":\"c01\",\"api_key_wo_version\":\"3\"}");
	st = from_arm(fixture("apim_static_models.get.json"), wp, NULL);
	assert_attr(st, "api_key_wo_version", "\"3\"");
	assert_attr(st, "api_key_wo", "null");
	assert_attr(st, "api_key", "null");
}
END_TEST

START_TEST(identity_keeps_user_spelling)
{
	const char *lower = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/RG-Foundry/providers/"
			    "microsoft.cognitiveservices/accounts/foundry-acct/projects/proj-main";
	cty_value *prior = val(fy_arena_sprintf(A, "{\"parent_id\":\"%s\",\"name\":\"My-Conn\"}", lower));
	cty_value *st = from_arm(fixture("apim_static_models.get.json"), prior, NULL);
	assert_attr(st, "parent_id", fy_arena_sprintf(A, "\"%s\"", lower));
	assert_attr(st, "name", "\"My-Conn\"");
	assert_attr(st, "id", fy_arena_sprintf(A, "\"%s/connections/My-Conn\"", lower));
}
END_TEST

START_TEST(malformed_metadata_warns_and_surfaces)
{
	tf_diags *d = tf_ctx_diags(CTX);
	cty_value *prior = apply(val(fixture("apim_static_models.config.json")), NULL);
	const char *body = "{\"properties\":{\"category\":\"ApiManagement\",\"authType\":\"ApiKey\",\"metadata\":{"
			   "\"deploymentInPath\":\"maybe\",\"models\":\"[{\\\"name\\\":\\\"m\\\"\",\"customHeaders\":\"[1]\","
			   "\"modelDiscovery\":\"{\\\"listModelsEndpoint\\\":\\\"/l\\\"}\"}}}";
	cty_value *st = from_arm(body, prior, d);
	ck_assert_msg(!tf_diags_has_errors(d), "%s", diags_text(d));
	ck_assert_uint_eq(tf_diags_count(d), 4);
	const char *want_paths[] = {"deployment_in_path", "models", "model_discovery", "custom_headers"};
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(tf_diags_severity(d, i), TF_WARNING);
		ck_assert_str_eq(cty_path_string(A, tf_diags_path(d, i)), want_paths[i]);
	}
	/* What could be decoded is in the typed attribute; the raw text is in metadata so the diff is visible. */
	assert_attr(st, "models", "null");
	assert_attr(st, "model_discovery", "{\"list_models_endpoint\":\"/l\",\"get_model_endpoint\":null,\"deployment_provider\":null}");
	assert_attr(st, "custom_headers", "null");
	assert_attr(st, "deployment_in_path", "false");
	/* customHeaders never goes into metadata (its values are secrets); custom_headers shows the drift. */
	assert_attr(st, "metadata",
		"{\"deploymentInPath\":\"maybe\",\"models\":\"[{\\\"name\\\":\\\"m\\\"\","
		"\"modelDiscovery\":\"{\\\"listModelsEndpoint\\\":\\\"/l\\\"}\"}");
	/* No secret reaches a diagnostic. */
	for (size_t i = 0; i < tf_diags_count(d); i++)
		ck_assert_ptr_null(strstr(tf_diags_detail(d, i), "<apim-subscription-key>"));
}
END_TEST

START_TEST(not_a_connection)
{
	cty_value *st = NULL;
	cJSON *b = cJSON_Parse("{\"error\":{\"code\":\"X\"}}");
	ck_assert_int_eq(foundry_gc_from_arm(&st, A, T, b, NULL, NULL), FY_EINVALID);
	cJSON_Delete(b);
	/* No prior and no id: nothing to name the state with. */
	b = cJSON_Parse("{\"properties\":{}}");
	ck_assert_int_eq(foundry_gc_from_arm(&st, A, T, b, NULL, NULL), FY_EINVALID);
	cJSON_Delete(b);
}
END_TEST

/* ------------------------------------------------------------- ids */

/* The connection's declared id (provider/arm_id.c parses it). */
static int parse_parent(int *is_project, const char *id)
{
	size_t shape = 0;
	int rc = foundry_arm_parent_parse(&shape, &foundry_gc_id_spec, id);
	if (rc == 0 && is_project)
		*is_project = shape == 1;
	return rc;
}

static int name_valid(const char *name)
{
	return foundry_arm_name_valid(&foundry_gc_id_spec, name);
}

START_TEST(parent_ids)
{
	int proj = -1;
	ck_assert_int_eq(parse_parent(&proj, PROJECT), 0);
	ck_assert_int_eq(proj, 1);
	ck_assert_int_eq(parse_parent(&proj, ACCOUNT), 0);
	ck_assert_int_eq(proj, 0);
	/* Namespace and fixed segments in any case. */
	ck_assert_int_eq(parse_parent(&proj,
				 "/SUBSCRIPTIONS/s/resourcegroups/rg/PROVIDERS/microsoft.cognitiveservices/ACCOUNTS/ab"), 0);
	const char *bad[] = {
		PROJECT "/",                                                    /* trailing slash */
		"subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct", /* relative */
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/accounts/acct",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a",  /* 1 char */
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/-acct",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/deployments/d",
		PROJECT "/connections/x",
		"/subscriptions//resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(parse_parent(NULL, bad[i]) == FY_EINVALID, "rejects %s", bad[i]);
		/* The message shows both accepted shapes. */
		ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "/accounts/{account}/projects/{project}"));
	}
}
END_TEST

START_TEST(connection_ids)
{
	char *parent, *name;
	ck_assert_int_eq(foundry_arm_id_split(&parent, &name, A, &foundry_gc_id_spec, PROJECT "/connections/apim-gw"), 0);
	ck_assert_str_eq(parent, PROJECT);
	ck_assert_str_eq(name, "apim-gw");
	ck_assert_int_eq(foundry_arm_id_split(&parent, &name, A, &foundry_gc_id_spec, ACCOUNT "/Connections/Gw_1"), 0);
	ck_assert_str_eq(parent, ACCOUNT);
	ck_assert_str_eq(name, "Gw_1");
	ck_assert_int_eq(foundry_arm_id_split(&parent, &name, A, &foundry_gc_id_spec, PROJECT), FY_EINVALID);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "/connections/{name}"));
	ck_assert_int_eq(foundry_arm_id_split(&parent, &name, A, &foundry_gc_id_spec, PROJECT "/connections/x"), FY_EINVALID);
	ck_assert_int_eq(foundry_arm_id_split(&parent, &name, A, &foundry_gc_id_spec,
				 "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa/connections/abc"),
		FY_EINVALID);

	ck_assert(name_valid("abc"));
	ck_assert(name_valid("A1_-"));
	ck_assert(!name_valid("ab"));
	ck_assert(!name_valid("_abc"));
	ck_assert(!name_valid("abc.d"));
	ck_assert(!name_valid("a23456789012345678901234567890123x"));
	ck_assert(name_valid("a2345678901234567890123456789012"));
}
END_TEST

static int skip_b(const char *key)
{
	return strcmp(key, "b") == 0;
}

/* The one JSON-object-of-strings -> map(string) helper behind metadata, custom_headers and the data source. */
START_TEST(string_map_helper)
{
	cJSON *o = cJSON_Parse("{\"a\":\"1\",\"b\":\"2\",\"n\":3,\"c\":\"\"}");
	int clean = 1;
	char *s = NULL;
	ck_assert_int_eq(cty_json_encode(&s, A, foundry_string_map(A, o, NULL, &clean), cty_type_map(A, cty_type_string())), 0);
	assert_json_eq(s, "{\"a\":\"1\",\"b\":\"2\",\"c\":\"\"}");
	ck_assert_int_eq(clean, 0); /* the number was left out */
	clean = 1;
	ck_assert_int_eq(cty_json_encode(&s, A, foundry_string_map(A, o, skip_b, NULL), cty_type_map(A, cty_type_string())), 0);
	assert_json_eq(s, "{\"a\":\"1\",\"c\":\"\"}");
	cJSON_Delete(o);
	o = cJSON_Parse("[\"x\"]");
	ck_assert_int_eq(cty_length(foundry_string_map(A, o, NULL, &clean)), 0); /* not an object: empty */
	ck_assert_int_eq(cty_length(foundry_string_map(A, NULL, NULL, &clean)), 0);
	ck_assert_int_eq(clean, 1);
	cJSON_Delete(o);
}
END_TEST

START_TEST(json_equal_by_meaning)
{
	ck_assert(foundry_json_text_equal("{\"a\":1,\"b\":[1,2]}", " { \"b\" : [1, 2], \"a\": 1 } "));
	ck_assert(!foundry_json_text_equal("{\"a\":1}", "{\"a\":\"1\"}"));
	ck_assert(!foundry_json_text_equal("[1,2]", "[2,1]"));
	ck_assert(!foundry_json_text_equal("{\"a\":1} x", "{\"a\":1}"));
	ck_assert(!foundry_json_text_equal(NULL, "{}"));
	ck_assert_ptr_nonnull(foundry_gc_managed_key_find("DEPLOYMENTINPATH"));
	ck_assert_str_eq(foundry_gc_managed_key_find("authconfig")->attr, "auth_config");
	ck_assert_ptr_null(foundry_gc_managed_key_find("ApiVersion"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_arm");
	TCase *tc = tcase_create("arm");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wire_apim_static_models);
	tcase_add_test(tc, wire_modelgateway_oauth2);
	tcase_add_test(tc, wire_project_managed_identity);
	tcase_add_test(tc, wire_explicit_audience_and_aad);
	tcase_add_test(tc, wire_api_key_write_only_from_config);
	tcase_add_test(tc, wire_every_metadata_key);
	tcase_add_test(tc, metadata_value_matches_body);
	tcase_add_test(tc, roundtrip_examples);
	tcase_add_test(tc, import_decodes_everything_but_secrets);
	tcase_add_test(tc, true_spellings);
	tcase_add_test(tc, empty_string_and_absent_alike);
	tcase_add_test(tc, key_order_and_whitespace_are_not_drift);
	tcase_add_test(tc, service_added_keys_ignored_unless_named);
	tcase_add_test(tc, enum_values_keep_the_users_case);
	tcase_add_test(tc, miscased_metadata_keys_are_drift);
	tcase_add_test(tc, unreadable_body_is_refused);
	tcase_add_test(tc, import_keeps_unmanaged_keys_in_extra_metadata);
	tcase_add_test(tc, credentials_kept_from_prior);
	tcase_add_test(tc, identity_keeps_user_spelling);
	tcase_add_test(tc, malformed_metadata_warns_and_surfaces);
	tcase_add_test(tc, not_a_connection);
	tcase_add_test(tc, parent_ids);
	tcase_add_test(tc, connection_ids);
	tcase_add_test(tc, json_equal_by_meaning);
	tcase_add_test(tc, string_map_helper);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
