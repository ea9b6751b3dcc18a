/* Drift: what a refresh after an out-of-band change reads, and what the next plan then shows. */
#include "test_provider_common.h"

#define APIM "apim_static_models.config.json"

/* The connection as the service stores it after our apply, and the state that apply left. */
static cty_value *CONFIG, *STATE;
static char *STORED;

static void setup_drift(void)
{
	setup();
	CONFIG = val(fixture(APIM));
	STATE = apply(CONFIG, NULL);
	STORED = service_echo(body_text(STATE, CONFIG), cty_get_string(STATE, "id"), cty_get_string(STATE, "name"));
}

/* STORED with properties[prop] (metadata[key] when md) replaced by `json` (NULL deletes it). */
static char *edit(const char *body, int md, const char *key, const char *json)
{
	cJSON *b = cJSON_Parse(body);
	cJSON *o = cJSON_GetObjectItem(b, "properties");
	if (md)
		o = cJSON_GetObjectItem(o, "metadata");
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	if (json)
		cJSON_AddItemToObject(o, key, cJSON_Parse(json));
	char *p = cJSON_PrintUnformatted(b);
	char *s = fy_arena_strdup(A, p);
	cJSON_free(p);
	cJSON_Delete(b);
	return s;
}

/* metadata[key] = the JSON string of `text`. */
static char *edit_md_string(const char *body, const char *key, const char *text)
{
	cJSON *s = cJSON_CreateString(text);
	char *p = cJSON_PrintUnformatted(s);
	char *r = edit(body, 1, key, p);
	cJSON_free(p);
	cJSON_Delete(s);
	return r;
}

static cty_value *refresh(const char *stored)
{
	return from_arm(stored, STATE, tf_ctx_diags(CTX));
}

static const char *at(const cty_value *v, const char *path_attr, int64_t idx, const char *leaf)
{
	cty_path *p = cty_path_attr(A, NULL, path_attr);
	if (idx >= 0)
		p = cty_path_index(A, p, idx);
	if (leaf)
		p = cty_path_attr(A, p, leaf);
	cty_value *x = cty_path_get(v, p);
	return x ? cty_as_string(x, NULL) : NULL;
}

START_TEST(unchanged_is_no_drift)
{
	cty_value *read = refresh(STORED);
	ck_assert(cty_equal(read, STATE));
	ck_assert(cty_equal(plan(CONFIG, read, NULL, NULL), read));
}
END_TEST

START_TEST(reordered_json_is_no_drift)
{
	const char *models = "[ {\"properties\" : {\"model\": {\"format\":\"OpenAI\",\"version\":\"2024-11-20\",\"name\":\"gpt-4o\"}},\n"
			     "   \"name\":\"gpt-4o-deployment\"} ]";
	char *stored = edit_md_string(STORED, "models", models);
	/* Metadata keys in another order, "False"-style booleans, service-added keys (a key in another case is
	 * drift: miscased_key_is_drift). */
	stored = edit(stored, 1, "deploymentInPath", NULL);
	stored = edit(stored, 1, "deploymentInPath", "\"False\"");
	stored = edit(stored, 1, "ApiVersion", "\"2024-10-21\"");
	stored = edit(stored, 1, "DeploymentApiVersion", "\"2024-10-21\"");
	cty_value *read = refresh(stored);
	ck_assert_msg(cty_equal(read, STATE), "same meaning, same state");
	ck_assert(cty_equal(plan(CONFIG, read, NULL, NULL), read));
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(CTX)), 0);
}
END_TEST

START_TEST(miscased_key_is_drift)
{
	/* "Models" holds the same list, but Foundry reads only "models": the plan must rewrite it. */
	const cJSON *md = NULL;
	cJSON *j = cJSON_Parse(STORED);
	md = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "properties"), "metadata");
	char *models = fy_arena_strdup(A, cJSON_GetObjectItem(md, "models")->valuestring);
	cJSON_Delete(j);
	char *stored = edit(STORED, 1, "models", NULL);
	stored = edit_md_string(stored, "Models", models);
	cty_value *read = refresh(stored);
	ck_assert_msg(!cty_equal(read, STATE), "a miscased key is drift");
	ck_assert(cty_is_null(cty_get_attr(read, "models")));
	cty_value *planned = plan(CONFIG, read, NULL, NULL);
	ck_assert_msg(!cty_equal(planned, read), "the plan changes the connection");
	const cty_value *pm = cty_get_attr(planned, "metadata");
	ck_assert_ptr_null(cty_map_get(pm, "Models"));
	ck_assert_ptr_nonnull(cty_map_get(pm, "models"));
}
END_TEST

START_TEST(model_added)
{
	char *stored = edit_md_string(STORED, "models",
		"[{\"name\":\"gpt-4o-deployment\",\"properties\":{\"model\":{\"name\":\"gpt-4o\",\"version\":\"2024-11-20\",\"format\":\"OpenAI\"}}},"
		"{\"name\":\"rogue\",\"properties\":{\"model\":{\"name\":\"gpt-4.1\",\"version\":\"1\",\"format\":\"OpenAI\"}}}]");
	cty_value *read = refresh(stored);
	ck_assert_uint_eq(cty_length(cty_get_attr(read, "models")), 2);
	ck_assert_str_eq(at(read, "models", 1, "name"), "rogue");
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	ck_assert_uint_eq(cty_length(cty_get_attr(p, "models")), 1);
	ck_assert(!cty_equal(p, read));
	ck_assert(!cty_equal(cty_get_attr(p, "metadata"), cty_get_attr(read, "metadata")));
}
END_TEST

START_TEST(model_removed)
{
	cty_value *read = refresh(edit_md_string(STORED, "models", "[]"));
	ck_assert_uint_eq(cty_length(cty_get_attr(read, "models")), 0);
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	ck_assert_uint_eq(cty_length(cty_get_attr(p, "models")), 1);
	ck_assert(!cty_equal(p, read));

	/* The whole key deleted: models is null in state, a diff against config. */
	read = refresh(edit(STORED, 1, "models", NULL));
	assert_attr(read, "models", "null");
	ck_assert(!cty_equal(plan(CONFIG, read, NULL, NULL), read));
}
END_TEST

START_TEST(model_changed)
{
	cty_value *read = refresh(edit_md_string(STORED, "models",
		"[{\"name\":\"gpt-4o-deployment\",\"properties\":{\"model\":{\"name\":\"gpt-4o\",\"version\":\"2025-01-31\",\"format\":\"OpenAI\"}}}]"));
	/* The diff is at models[0].model_version, not a blob of JSON. */
	ck_assert_str_eq(at(read, "models", 0, "model_version"), "2025-01-31");
	ck_assert_str_eq(at(read, "models", 0, "name"), "gpt-4o-deployment");
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	ck_assert_str_eq(at(p, "models", 0, "model_version"), "2024-11-20");
	ck_assert(cty_equal(cty_get_attr(p, "target"), cty_get_attr(read, "target")));
	ck_assert(!cty_equal(p, read));
}
END_TEST

START_TEST(target_changed)
{
	cty_value *read = refresh(edit(STORED, 0, "target", "\"https://evil.azure-api.net/foundry\""));
	assert_attr(read, "target", "\"https://evil.azure-api.net/foundry\"");
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	assert_attr(p, "target", "\"https://contoso-apim.azure-api.net/foundry\"");
	/* Only the target moves; metadata is unchanged. */
	ck_assert(cty_equal(cty_get_attr(p, "metadata"), cty_get_attr(read, "metadata")));
}
END_TEST

START_TEST(key_deleted)
{
	/* deploymentInPath deleted: our config always sends it, so the planned metadata differs. */
	cty_value *read = refresh(edit(STORED, 1, "deploymentInPath", NULL));
	ck_assert_ptr_null(cty_map_get(cty_get_attr(read, "metadata"), "deploymentInPath"));
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	ck_assert_ptr_nonnull(cty_map_get(cty_get_attr(p, "metadata"), "deploymentInPath"));
	ck_assert(!cty_equal(p, read));
}
END_TEST

START_TEST(auth_and_category_changed)
{
	/* authType changed out of band is drift on auth_type (not "gone"). */
	cty_value *read = refresh(edit(STORED, 0, "authType", "\"AAD\""));
	assert_attr(read, "auth_type", "\"AAD\"");
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	assert_attr(p, "auth_type", "\"ApiKey\"");

	/* category changed: the plan replaces. */
	read = refresh(edit(STORED, 0, "category", "\"ModelGateway\""));
	cty_path **rp;
	size_t nr;
	plan(CONFIG, read, &rp, &nr);
	int found = 0;
	for (size_t i = 0; i < nr; i++)
		found |= strcmp(cty_path_string(A, rp[i]), "category") == 0;
	ck_assert(found);

	/* isSharedToAll flipped. */
	read = refresh(edit(STORED, 0, "isSharedToAll", "true"));
	assert_attr(read, "shared_to_all", "true");
	ck_assert(!cty_equal(plan(CONFIG, read, NULL, NULL), read));
}
END_TEST

START_TEST(json_keys_drift_on_their_attribute)
{
	/* custom headers / auth config / extra metadata added by someone else. */
	char *stored = edit_md_string(STORED, "customHeaders", "{\"x-leak\":\"1\"}");
	stored = edit_md_string(stored, "authConfig", "{\"type\":\"api_key\",\"name\":\"X-Key\"}");
	cty_value *read = refresh(stored);
	assert_attr(read, "custom_headers", "{\"x-leak\":\"1\"}");
	assert_attr(read, "auth_config", "{\"type\":\"api_key\",\"header_name\":\"X-Key\",\"format\":null}");
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	assert_attr(p, "custom_headers", "null");
	assert_attr(p, "auth_config", "null");
	ck_assert(!cty_equal(p, read));
}
END_TEST

START_TEST(edited_into_garbage)
{
	cty_value *read = refresh(edit_md_string(STORED, "models", "not json"));
	tf_diags *d = tf_ctx_diags(CTX);
	ck_assert_uint_eq(tf_diags_count(d), 1);
	ck_assert_int_eq(tf_diags_severity(d, 0), TF_WARNING);
	ck_assert_str_eq(cty_path_string(A, tf_diags_path(d, 0)), "models");
	ck_assert_str_eq(cty_as_string(cty_map_get(cty_get_attr(read, "metadata"), "models"), NULL), "not json");
	/* The next plan rewrites it from config. */
	cty_value *p = plan(CONFIG, read, NULL, NULL);
	ck_assert(!cty_equal(p, read));
	ck_assert_uint_eq(cty_length(cty_get_attr(p, "models")), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_drift");
	TCase *tc = tcase_create("drift");
	tcase_add_checked_fixture(tc, setup_drift, teardown);
	tcase_add_test(tc, unchanged_is_no_drift);
	tcase_add_test(tc, reordered_json_is_no_drift);
	tcase_add_test(tc, miscased_key_is_drift);
	tcase_add_test(tc, model_added);
	tcase_add_test(tc, model_removed);
	tcase_add_test(tc, model_changed);
	tcase_add_test(tc, target_changed);
	tcase_add_test(tc, key_deleted);
	tcase_add_test(tc, auth_and_category_changed);
	tcase_add_test(tc, json_keys_drift_on_their_attribute);
	tcase_add_test(tc, edited_into_garbage);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
