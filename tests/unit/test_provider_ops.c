/*
 * The resource and data source operations in-process against the ARM emulator: configure, create/read/update/
 * delete, import, ARM errors as diagnostics. What the emulator receives is compared with the docs/internals/arm.md 2.4 wire
 * examples as parsed JSON. (The same scenarios through Terraform's protocol are in tests/e2e.)
 */
#include "test_provider_common.h"

#include "helpers/emu.h"
#include "internal/http/http.h"
#include "provider/provider.h"

static emu E;
static void *DATA; /* the configured provider (foundry_client) */

static void emu_up(void)
{
	ck_assert_int_eq(emu_start(&E, NULL), 0);
	http_global_init();
}

static void emu_down(void)
{
	emu_stop(&E);
}

/* Configure the provider the way Terraform would, in-process; `extra` is more provider config JSON. */
static void *configure(const char *extra, tf_diags **out_diags)
{
	const tf_provider *p = foundry_provider();
	const cty_type *pt;
	tf_ctx *pctx;
	ck_assert_int_eq(tf_block_implied_type(&pt, A, p->schema), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&pctx, A, p->schema, NULL), 0);
	char *json = fy_arena_sprintf(A,
		"{\"resource_manager_endpoint\":\"%s\",\"active_directory_authority_host\":\"%s/\",\"tenant_id\":\"%s\","
		"\"client_id\":\"%s\",\"use_cli\":false%s%s}",
		E.base_url, E.base_url, EMU_TENANT, EMU_CLIENT_ID, extra ? "," : "", extra ? extra : "");
	cty_value *config;
	ck_assert_int_eq(cty_json_decode(&config, A, pt, json, strlen(json)), 0);
	void *data = NULL;
	int rc = p->configure(&data, pctx, config);
	if (out_diags)
		*out_diags = tf_ctx_diags(pctx);
	ck_assert_msg(rc == 0, "configure: %s", diags_text(tf_ctx_diags(pctx)));
	return data;
}

static void setup_ops(void)
{
	setup();
	ck_assert_int_eq(emu_reset(&E), 0);
	DATA = configure("\"client_secret\":\"" EMU_CLIENT_SECRET "\"", NULL);
	ck_assert_int_eq(tf_ctx_new_detached(&CTX, A, &foundry_gc_schema, DATA), 0);
}

static void teardown_ops(void)
{
	foundry_provider()->data_free(DATA);
	DATA = NULL;
	teardown();
}

/* A fresh context (fresh diagnostics) for one operation. */
static tf_ctx *op_ctx(void)
{
	tf_ctx *ctx;
	ck_assert_int_eq(tf_ctx_new_detached(&ctx, A, &foundry_gc_schema, DATA), 0);
	tf_ctx_set_impl(ctx, foundry_gc_resource.impl); /* the ops run here without the tf_resource_* entries */
	return ctx;
}

static cty_value *do_create(const cty_value *config)
{
	cty_value *planned = plan(config, NULL, NULL, NULL);
	tf_ctx *ctx = op_ctx();
	cty_value *st = NULL;
	int rc = foundry_gc_resource.create(&st, ctx, planned, config);
	ck_assert_msg(rc == 0, "create: %s", diags_text(tf_ctx_diags(ctx)));
	ck_assert_ptr_nonnull(st);
	/* What Terraform checks after apply: every planned value came back. */
	ck_assert_msg(cty_equal(st, planned), "state after create equals the plan");
	return st;
}

static cty_value *do_read(const cty_value *state, tf_ctx **out_ctx)
{
	tf_ctx *ctx = op_ctx();
	cty_value *st = NULL;
	int rc = foundry_gc_resource.read(&st, ctx, state);
	ck_assert_msg(rc == 0, "read: %s", diags_text(tf_ctx_diags(ctx)));
	if (out_ctx)
		*out_ctx = ctx;
	return st;
}

/* The last request with this method, from the emulator's log (caller deletes *root). */
static cJSON *last_request(const char *method, cJSON **root)
{
	*root = emu_requests(&E);
	ck_assert_ptr_nonnull(*root);
	cJSON *found = NULL, *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(*root, "requests"))
	{
		if (strcmp(cJSON_GetObjectItem(r, "method")->valuestring, method) == 0)
			found = r;
	}
	ck_assert_msg(found != NULL, "a %s reached the emulator", method);
	return found;
}

static int count_requests(const char *method)
{
	cJSON *root = emu_requests(&E);
	int n = 0;
	cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(root, "requests"))
	{
		n += strcmp(cJSON_GetObjectItem(r, "method")->valuestring, method) == 0;
	}
	cJSON_Delete(root);
	return n;
}

static void assert_put_body_is(const char *fixture_name)
{
	cJSON *root;
	cJSON *put = last_request("PUT", &root);
	char *got = cJSON_PrintUnformatted(cJSON_GetObjectItem(put, "body"));
	assert_json_eq_(got, fixture(fixture_name), fixture_name);
	/* The provider's api-version by default: the newest GA with both categories. */
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(put, "query"), "api-version")->valuestring, "2026-09-01");
	cJSON *ua = cJSON_GetObjectItem(cJSON_GetObjectItem(put, "headers"), "user-agent");
	ck_assert_ptr_nonnull(ua);
	ck_assert_msg(strncmp(ua->valuestring, "terraform-provider-foundry/", 27) == 0, "User-Agent %s", ua->valuestring);
	cJSON_free(got);
	cJSON_Delete(root);
}

START_TEST(apim_static_models_lifecycle)
{
	cty_value *config = val(fixture("apim_static_models.config.json"));
	cty_value *st = do_create(config);
	/* One GET before (the existence check: never take over a connection) and one PUT, nothing after it. */
	ck_assert_int_eq(count_requests("PUT"), 1);
	ck_assert_int_eq(count_requests("GET"), 1);
	assert_put_body_is("apim_static_models.body.json");

	/* The credentials reached the service (kept apart from the resource, never returned by GET). */
	cJSON *store = emu_store(&E);
	cJSON *entry = cJSON_GetObjectItem(store, PROJECT "/connections/apim-static");
	ck_assert_ptr_nonnull(entry);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "credentials"), "key")->valuestring,
		"<apim-subscription-key>");
	cJSON_Delete(store);

	/* Refresh: no drift, so the second plan is empty. */
	cty_value *read = do_read(st, NULL);
	ck_assert(cty_equal(read, st));
	ck_assert(cty_equal(plan(config, read, NULL, NULL), read));

	/* Update in place: one more PUT of the full body, credentials re-sent. */
	cty_value *config2 = cty_copy(A, config);
	cty_object_set(config2, "shared_to_all", cty_bool(A, 1));
	cty_value *planned = plan(config2, read, NULL, NULL);
	tf_ctx *ctx = op_ctx();
	cty_value *st2 = NULL;
	ck_assert_int_eq(foundry_gc_resource.update(&st2, ctx, planned, read, config2), 0);
	ck_assert(cty_equal(st2, planned));
	cJSON *root;
	cJSON *put = last_request("PUT", &root);
	cJSON *props = cJSON_GetObjectItem(cJSON_GetObjectItem(put, "body"), "properties");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(props, "isSharedToAll")));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(props, "credentials"), "key")->valuestring, "<apim-subscription-key>");
	cJSON_Delete(root);

	/* Delete, then the object is gone for a refresh (null state) and a second delete is fine (204). */
	ck_assert_int_eq(foundry_gc_resource.delete(op_ctx(), st2), 0);
	tf_ctx *rctx;
	ck_assert_ptr_null(do_read(st2, &rctx));
	ck_assert_int_eq(tf_diags_count(tf_ctx_diags(rctx)), 0);
	ck_assert_int_eq(foundry_gc_resource.delete(op_ctx(), st2), 0);
}
END_TEST

START_TEST(modelgateway_oauth2_wire)
{
	cty_value *config = val(fixture("modelgateway_oauth2.config.json"));
	cty_value *st = do_create(config);
	assert_put_body_is("modelgateway_oauth2.body.json");
	cty_value *read = do_read(st, NULL);
	ck_assert(cty_equal(read, st));
	ck_assert(cty_equal(plan(config, read, NULL, NULL), read));
}
END_TEST

START_TEST(out_of_band_delete_and_drift)
{
	cty_value *config = val(fixture("apim_static_models.config.json"));
	cty_value *st = do_create(config);
	/* Service-added metadata keys are not drift. */
	ck_assert_int_eq(emu_config(&E, "{\"add_service_metadata\":true}"), 0);
	ck_assert(cty_equal(do_read(st, NULL), st));
	/* Deleted out of band: gone (null), so the plan creates it again. The refresh runs in a new provider
	 * instance, as in Terraform (a new process per run): this one would retry a 404 so soon after its own
	 * PUT as replication lag (internal/arm). */
	char *path = fy_arena_sprintf(A, "/_emulator/store?id=%s", cty_get_string(st, "id"));
	ck_assert_int_lt(emu_call(&E, "DELETE", path, NULL, NULL), 300);
	foundry_provider()->data_free(DATA);
	DATA = configure("\"client_secret\":\"" EMU_CLIENT_SECRET "\"", NULL);
	ck_assert_ptr_null(do_read(st, NULL));
}
END_TEST

START_TEST(import_and_data_source)
{
	cty_value *config = val(fixture("apim_static_models.config.json"));
	do_create(config);

	/* Import by id in another casing: the spelling of the import id is kept; secrets are null. */
	const char *iid = "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg-foundry/providers/"
			  "microsoft.cognitiveservices/accounts/foundry-acct/projects/proj-main/connections/apim-static";
	tf_ctx *ctx = op_ctx();
	cty_value *st = NULL;
	emu_call(&E, "DELETE", "/_emulator/requests", NULL, NULL);
	ck_assert_int_eq(foundry_gc_resource.import(&st, ctx, iid), 0);
	/* Import sends nothing: the read that Terraform makes right after it is the one GET. */
	ck_assert_int_eq(count_requests("GET"), 0);
	assert_attr(st, "id", fy_arena_sprintf(A, "\"%s\"", iid));
	assert_attr(st, "category", "null");
	st = do_read(st, NULL);
	ck_assert_int_eq(count_requests("GET"), 1);
	assert_attr(st, "id", fy_arena_sprintf(A, "\"%s\"", iid));
	assert_attr(st, "api_key", "null");
	assert_attr(st, "models",
		"[{\"name\":\"gpt-4o-deployment\",\"model_name\":\"gpt-4o\",\"model_version\":\"2024-11-20\",\"model_format\":\"OpenAI\"}]");
	/* With the config's own spelling, the next plan changes only the secret. */
	cty_value *imported = do_read(val(fy_arena_sprintf(A, "{\"parent_id\":\"%s\",\"name\":\"apim-static\"}", PROJECT)), NULL);
	cty_value *p = plan(config, imported, NULL, NULL);
	cty_value *without_secret = cty_copy(A, p);
	cty_object_set(without_secret, "api_key", cty_null(A, cty_type_string()));
	ck_assert(cty_equal(without_secret, imported));

	/* Import errors. */
	ctx = op_ctx();
	ck_assert_int_eq(foundry_gc_resource.import(&st, ctx, PROJECT "/connections/missing1"), 0);
	ck_assert_ptr_null(do_read(st, NULL)); /* gone: Terraform says "Cannot import non-existent remote object" */
	ctx = op_ctx();
	ck_assert_int_lt(foundry_gc_resource.import(&st, ctx, PROJECT), 0);
	ck_assert_ptr_nonnull(strstr(tf_diags_detail(tf_ctx_diags(ctx), 0), "/connections/{name}"));

	/* Data source: every non-secret attribute; the whole metadata map. */
	const tf_data_source *dsrc = (&foundry_gc_data_source);
	const cty_type *dt;
	ck_assert_int_eq(tf_block_implied_type(&dt, A, tf_data_source_schema(dsrc)), 0);
	tf_ctx *dctx;
	ck_assert_int_eq(tf_ctx_new_detached(&dctx, A, tf_data_source_schema(dsrc), DATA), 0);
	tf_ctx_set_impl(dctx, dsrc->impl);
	cty_value *dcfg;
	char *json = fy_arena_sprintf(A, "{\"parent_id\":\"%s\",\"name\":\"apim-static\"}", PROJECT);
	ck_assert_int_eq(cty_json_decode(&dcfg, A, dt, json, strlen(json)), 0);
	cty_value *ds = NULL;
	ck_assert_int_eq(dsrc->read(&ds, dctx, dcfg), 0);
	ck_assert(cty_is_wholly_known(ds));
	ck_assert_str_eq(cty_get_string(ds, "target"), "https://contoso-apim.azure-api.net/foundry");
	ck_assert_str_eq(cty_as_string(cty_get_attr(cty_index(cty_get_attr(ds, "models"), 0), "name"), NULL), "gpt-4o-deployment");
	ck_assert(!cty_has_attr(ds, "api_key")); /* secrets are not part of the data source */
	ck_assert_uint_eq(cty_length(cty_get_attr(ds, "extra_metadata")), 0);

	/* Keys the service adds are other metadata for a data source, never our deployment_api_version. */
	ck_assert_int_eq(emu_config(&E, "{\"add_service_metadata\":true}"), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&dctx, A, tf_data_source_schema(dsrc), DATA), 0);
	tf_ctx_set_impl(dctx, dsrc->impl);
	ck_assert_int_eq(dsrc->read(&ds, dctx, dcfg), 0);
	ck_assert_ptr_nonnull(cty_map_get(cty_get_attr(ds, "extra_metadata"), "DeploymentApiVersion"));
	ck_assert_ptr_nonnull(cty_map_get(cty_get_attr(ds, "metadata"), "ApiVersion"));
	ck_assert(cty_is_null(cty_get_attr(ds, "deployment_api_version")));

	/* Not found is an error for a data source. */
	json = fy_arena_sprintf(A, "{\"parent_id\":\"%s\",\"name\":\"nope1\"}", PROJECT);
	ck_assert_int_eq(cty_json_decode(&dcfg, A, dt, json, strlen(json)), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&dctx, A, tf_data_source_schema(dsrc), DATA), 0);
	tf_ctx_set_impl(dctx, dsrc->impl);
	ck_assert_int_lt(dsrc->read(&ds, dctx, dcfg), 0);
	ck_assert_str_eq(tf_diags_summary(tf_ctx_diags(dctx), 0), "Connection not found");
}
END_TEST

START_TEST(arm_errors_are_diagnostics)
{
	/* An api-version without the gateway categories: ARM's code, message, status and request id. */
	void *old = DATA;
	DATA = configure("\"client_secret\":\"" EMU_CLIENT_SECRET "\",\"api_version\":\"2025-06-01\"", NULL);
	cty_value *config = val(fixture("apim_static_models.config.json"));
	cty_value *planned = plan(config, NULL, NULL, NULL);
	tf_ctx *ctx = op_ctx();
	cty_value *st = (cty_value *)1;
	ck_assert_int_lt(foundry_gc_resource.create(&st, ctx, planned, config), 0);
	ck_assert_ptr_null(st); /* nothing was created */
	tf_diags *d = tf_ctx_diags(ctx);
	ck_assert_str_eq(tf_diags_summary(d, 0), "ARM rejected the request");
	const char *detail = tf_diags_detail(d, 0);
	ck_assert_msg(strstr(detail, "400") && strstr(detail, "BadRequest") && strstr(detail, "2025-06-01"), "%s", detail);
	foundry_provider()->data_free(DATA);
	DATA = old;

	/* A failed update keeps the prior state. */
	cty_value *prior = do_create(config);
	ck_assert_int_eq(emu_fault(&E, "{\"method\":\"PUT\",\"status\":409,\"body\":{\"error\":{\"code\":\"Conflict\",\"message\":\"busy\"}}}"), 0);
	cty_value *config2 = cty_copy(A, config);
	cty_object_set(config2, "target", cty_string(A, "https://contoso-apim.azure-api.net/v2"));
	planned = plan(config2, prior, NULL, NULL);
	ctx = op_ctx();
	ck_assert_int_lt(foundry_gc_resource.update(&st, ctx, planned, prior, config2), 0);
	ck_assert(cty_equal(st, prior));
	ck_assert_ptr_nonnull(strstr(tf_diags_detail(tf_ctx_diags(ctx), 0), "Conflict"));

	/* ARM text that quotes a secret (here the API key) does not carry it into the diagnostic. */
	ck_assert_int_eq(emu_fault(&E, "{\"method\":\"PUT\",\"status\":400,\"times\":1,\"body\":{\"error\":{\"code\":"
				       "\"BadRequest\",\"message\":\"key <apim-subscription-key> was refused\"}}}"),
		0);
	ctx = op_ctx();
	ck_assert_int_lt(foundry_gc_resource.update(&st, ctx, planned, prior, config2), 0);
	detail = tf_diags_detail(tf_ctx_diags(ctx), 0);
	ck_assert_msg(strstr(detail, "BadRequest") && strstr(detail, "was refused"), "%s", detail);
	ck_assert_msg(strstr(detail, "<apim-subscription-key>") == NULL, "%s", detail);

	/* Wrong credentials: the failure names the method, and no secret is printed. */
	old = DATA;
	DATA = configure("\"client_secret\":\"wrong-secret-value\"", NULL);
	ctx = op_ctx();
	ck_assert_int_lt(foundry_gc_resource.read(&st, ctx, prior), 0);
	detail = tf_diags_detail(tf_ctx_diags(ctx), 0);
	ck_assert_msg(strstr(detail, "client secret") != NULL, "%s", detail);
	ck_assert_ptr_null(strstr(detail, "wrong-secret-value"));
	foundry_provider()->data_free(DATA);
	DATA = old;
}
END_TEST

START_TEST(write_only_key)
{
	cty_value *config = val(fixture("apim_static_models.config.json"));
	cty_object_set(config, "api_key", cty_null(A, cty_type_string()));
	cty_object_set(config, "api_key_wo", cty_string(A, "wo-key-1"));
	cty_object_set(config, "api_key_wo_version", cty_string(A, "1"));
	cty_value *st = do_create(config);
	assert_attr(st, "api_key_wo", "null");
	cJSON *store = emu_store(&E);
	cJSON *entry = cJSON_GetObjectItem(store, PROJECT "/connections/apim-static");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(entry, "credentials"), "key")->valuestring, "wo-key-1");
	cJSON_Delete(store);
}
END_TEST

START_TEST(provider_configuration)
{
	/* Unknown provider config at plan: configure works, ARM calls say why they cannot run. */
	const tf_provider *p = foundry_provider();
	const cty_type *pt;
	tf_ctx *pctx;
	ck_assert_int_eq(tf_block_implied_type(&pt, A, p->schema), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&pctx, A, p->schema, NULL), 0);
	cty_value *config = cty_object(A, pt);
	cty_object_set(config, "client_secret", cty_unknown(A, cty_type_string()));
	void *data = NULL;
	ck_assert_int_eq(p->configure(&data, pctx, config), 0);
	tf_ctx *ctx;
	ck_assert_int_eq(tf_ctx_new_detached(&ctx, A, &foundry_gc_schema, data), 0);
	tf_ctx_set_impl(ctx, foundry_gc_resource.impl);
	cty_value *st;
	ck_assert_int_lt(foundry_gc_resource.read(&st, ctx, val("{\"parent_id\":\"" PROJECT "\",\"name\":\"abc\"}")), 0);
	ck_assert_ptr_nonnull(strstr(tf_diags_detail(tf_ctx_diags(ctx), 0), "until apply"));
	p->stop(data);
	p->data_free(data);

	/* A bad environment name is an error on `environment`. */
	ck_assert_int_eq(tf_ctx_new_detached(&pctx, A, p->schema, NULL), 0);
	config = cty_object(A, pt);
	cty_object_set(config, "environment", cty_string(A, "mars"));
	data = NULL;
	ck_assert_int_lt(p->configure(&data, pctx, config), 0);
	ck_assert_str_eq(cty_path_string(A, tf_diags_path(tf_ctx_diags(pctx), 0)), "environment");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_ops");
	TCase *tc = tcase_create("ops");
	tcase_add_unchecked_fixture(tc, emu_up, emu_down);
	tcase_add_checked_fixture(tc, setup_ops, teardown_ops);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, apim_static_models_lifecycle);
	tcase_add_test(tc, modelgateway_oauth2_wire);
	tcase_add_test(tc, out_of_band_delete_and_drift);
	tcase_add_test(tc, import_and_data_source);
	tcase_add_test(tc, arm_errors_are_diagnostics);
	tcase_add_test(tc, write_only_key);
	tcase_add_test(tc, provider_configuration);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
