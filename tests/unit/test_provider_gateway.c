/*
 * The gateway check's decisions (provider/gateway_probe.c), the provider functions and the move from azapi, in
 * process: what a gateway's answer blames, what a stored connection names, and what each function makes of its
 * arguments. The requests themselves are end-to-end tests (tests/e2e/test_gatewaycheck*.py, a real LiteLLM).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/cty/cty.h"
#include "internal/log/tflog.h"
#include "internal/tf/tf.h"
#include "provider/catalog.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_probe.h"

static fy_arena *A;

static void setup(void)
{
	ck_assert_int_eq(fy_arena_new(&A), 0);
}

static void teardown(void)
{
	fy_arena_free(A);
}

static const cty_type *conn_type(void)
{
	const cty_type *t;
	ck_assert_int_eq(tf_block_implied_type(&t, A, &foundry_gc_schema), 0);
	return t;
}

static cty_value *conn(const char *json)
{
	cty_value *v = NULL;
	ck_assert_int_eq(cty_json_decode(&v, A, conn_type(), json, strlen(json)), 0);
	return v;
}

START_TEST(what_the_gateway_said)
{
	const char *msg, *code;
	/* LiteLLM: error.code is the status as a string; the type is the code worth naming. */
	const char *litellm = "{\"error\":{\"message\":\"Invalid model name passed in model=gpt-5-turbo. Call "
			      "/v1/models to view available models\",\"type\":\"invalid_request_error\",\"param\":null,"
			      "\"code\":\"400\"}}";
	foundry_gw_said(&msg, &code, A, 400, litellm, strlen(litellm));
	ck_assert_str_eq(msg, "Invalid model name passed in model=gpt-5-turbo. Call /v1/models to view available models");
	ck_assert_str_eq(code, "invalid_request_error");
	const char *nodb = "{\"message\":\"No connected db.\",\"type\":\"no_db_connection\",\"param\":null,\"code\":\"400\"}";
	foundry_gw_said(&msg, &code, A, 400, nodb, strlen(nodb));
	ck_assert_str_eq(msg, "No connected db.");
	ck_assert_str_eq(code, "no_db_connection");
	/* Azure OpenAI / APIM. */
	const char *aoai = "{\"error\":{\"code\":\"DeploymentNotFound\",\"message\":\"The API deployment for this "
			   "resource does not exist.\"}}";
	foundry_gw_said(&msg, &code, A, 404, aoai, strlen(aoai));
	ck_assert_str_eq(code, "DeploymentNotFound");
	/* Text, bounded to 300 characters, keys redacted, one line. */
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	foundry_gw_said(&msg, &code, A, 500, big, strlen(big));
	ck_assert_uint_eq(strlen(msg), 303);
	const char *echo = "{\"detail\":\"Authentication Error, Invalid proxy server token passed. Received API Key = "
			   "sk-abcdef1234567890, Key Hash = 0123456789abcdef0123456789abcdef01234567\\nbye\"}";
	foundry_gw_said(&msg, &code, A, 401, echo, strlen(echo));
	ck_assert_ptr_null(strstr(msg, "sk-abcdef"));
	ck_assert_ptr_null(strstr(msg, "0123456789abcdef0123"));
	ck_assert_ptr_null(strchr(msg, '\n'));
	ck_assert_ptr_nonnull(strstr(msg, "[redacted]"));
	tflog_add_secret("hunter2-secret");
	const char *mine = "{\"error\":\"bad key hunter2-secret\"}";
	foundry_gw_said(&msg, &code, A, 401, mine, strlen(mine));
	ck_assert_ptr_null(strstr(msg, "hunter2"));
	foundry_gw_said(&msg, &code, A, 404, NULL, 0);
	ck_assert_str_eq(msg, "");
	ck_assert_str_eq(code, "");
}
END_TEST

START_TEST(what_an_answer_blames)
{
	foundry_gw_facts plain = {.apim = 0, .discovery = 0, .auth_type = "ApiKey"};
	/* No connected db names no key: no attribute is blamed, the quoted message says it all. */
	ck_assert_ptr_null(foundry_gw_hint(A, &plain, FOUNDRY_GW_LIST, 400, "no_db_connection", "No connected db.", NULL));
	/* An unknown model names the model, never inference_api_version (which this connection does not set). */
	const char *h = foundry_gw_hint(A, &plain, FOUNDRY_GW_CHAT, 400, "invalid_request_error",
		"Invalid model name passed in model=gpt-5-turbo. Call /v1/models", "gpt-5-turbo");
	ck_assert_str_eq(h, "models[].name \"gpt-5-turbo\" is not a model the gateway serves");
	/* Keys: by status, or by what the body says. */
	ck_assert_str_eq(foundry_gw_hint(A, &plain, FOUNDRY_GW_LIST, 401, "", "", NULL),
		"the gateway refused the credentials: check api_key");
	foundry_gw_facts withac = plain;
	withac.auth_config = withac.custom_headers = 1;
	ck_assert_str_eq(foundry_gw_hint(A, &withac, FOUNDRY_GW_LIST, 400, "", "Invalid API Key provided", NULL),
		"the gateway refused the credentials: check api_key, auth_config, custom_headers");
	/* Versions only when the connection sets one. */
	ck_assert_ptr_null(foundry_gw_hint(A, &plain, FOUNDRY_GW_CHAT, 400, "", "Unsupported api-version", NULL));
	foundry_gw_facts ver = plain;
	ver.inference_api_version = "2024-10-21";
	ck_assert_str_eq(foundry_gw_hint(A, &ver, FOUNDRY_GW_CHAT, 400, "", "Unsupported api-version", NULL),
		"check inference_api_version (\"2024-10-21\")");
	/* 404 without a cause in the body: the route. */
	ck_assert_str_eq(foundry_gw_hint(A, &plain, FOUNDRY_GW_CHAT, 404, "", "", NULL),
		"no such route: check target and deployment_in_path");
	foundry_gw_facts apim = {.apim = 1, .discovery = 1, .auth_type = "ApiKey"};
	ck_assert_ptr_nonnull(strstr(foundry_gw_hint(A, &apim, FOUNDRY_GW_LIST, 404, "", "Resource not found", NULL),
		"list-deployments"));
	ck_assert_ptr_nonnull(strstr(foundry_gw_hint(A, &apim, FOUNDRY_GW_GET, 404, "DeploymentNotFound", "", "gpt-4o"),
		"does not serve \"gpt-4o\""));
	ck_assert_str_eq(foundry_gw_hint(A, &plain, FOUNDRY_GW_LIST, 429, "", "", NULL),
		"the gateway throttled the check: try again later");
	/* "max_tokens" is not about keys. */
	ck_assert_ptr_null(foundry_gw_hint(A, &plain, FOUNDRY_GW_CHAT, 400, "", "max_tokens must be at least 1", NULL));
}
END_TEST

START_TEST(routes_headers_lists_facts)
{
	ck_assert_str_eq(foundry_gw_url(A, "https://gw/v1/", "/models", NULL), "https://gw/v1/models");
	ck_assert_str_eq(foundry_gw_url(A, "https://gw/apim", "deployments/{deploymentName}", "gpt-4o"),
		"https://gw/apim/deployments/gpt-4o");
	cty_value *c = conn("{\"category\":\"ModelGateway\",\"auth_type\":\"ApiKey\",\"target\":\"https://gw/v1\","
			    "\"auth_config\":{\"type\":\"api_key\",\"header_name\":\"Authorization\",\"format\":\"Bearer "
			    "{api_key}\"},\"models\":[{\"name\":\"a\",\"model_name\":\"a\",\"model_format\":\"OpenAI\"}]}");
	ck_assert_str_eq(foundry_gw_key_header(A, c, "sk-1"), "Authorization: Bearer sk-1");
	foundry_gw_facts f;
	foundry_gw_facts_of(&f, c);
	ck_assert(!f.apim && !f.discovery && f.auth_config && !f.custom_headers);
	ck_assert_ptr_null(f.inference_api_version);
	cty_value *apim = conn("{\"category\":\"ApiManagement\",\"auth_type\":\"ApiKey\",\"target\":\"https://gw\"}");
	ck_assert_str_eq(foundry_gw_key_header(A, apim, "k"), "api-key: k");
	foundry_gw_facts_of(&f, apim);
	ck_assert(f.apim && f.discovery);
	const char **names;
	size_t n;
	const char *openai = "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-4o\"},{\"id\":7},{\"name\":\"b\"}]}";
	ck_assert_int_eq(foundry_gw_list_names(&names, &n, A, openai, strlen(openai)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "gpt-4o");
	ck_assert_int_eq(foundry_gw_list_names(&names, &n, A, "[]", 2), FY_EINVALID);
	ck_assert_int_eq(foundry_gw_list_names(&names, &n, A, NULL, 0), FY_EINVALID);
}
END_TEST

/* A stored connection another tool wrote with a nameless model reads into state with a null name (the crash of the
 * gateway check was a NULL compared there); the fuzz target replays the body (tests/fuzz/corpus/gwcheck-regressions). */
START_TEST(nameless_stored_model)
{
	cty_value *c = conn("{\"category\":\"ModelGateway\",\"models\":[{\"model_name\":\"x\"},{\"name\":\"ok\"}]}");
	const cty_value *models = cty_get_attr(c, "models");
	ck_assert_ptr_null(cty_get_string(cty_index(models, 0), "name"));
	ck_assert_str_eq(cty_get_string(cty_index(models, 1), "name"), "ok");
}
END_TEST

/* ------------------------------------------------------------ functions */

static const tf_function *fn(const char *name)
{
	for (const tf_function *const *f = foundry_shipped_catalog.functions; *f; f++)
		if (strcmp((*f)->name, name) == 0)
			return *f;
	ck_abort_msg("no function %s", name);
	return NULL;
}

static int call1(cty_value **out, int64_t *bad, const char *name, cty_value *arg0, cty_value *arg1)
{
	cty_value *args[2] = {arg0, arg1};
	int rc = fn(name)->call(out, bad, A, args, arg1 ? 2 : 1);
	if (rc < 0)
		fprintf(stderr, "%s: %s\n", name, fy_error_last()->message);
	return rc;
}

#define PROJ "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/p1"

START_TEST(functions)
{
	cty_value *out = NULL;
	int64_t bad = -1;
	ck_assert_int_eq(call1(&out, &bad, "connection_id", cty_string(A, PROJ), cty_string(A, "conn1")), 0);
	ck_assert_str_eq(cty_as_string(out, NULL), PROJ "/connections/conn1");
	ck_assert_int_eq(call1(&out, &bad, "parse_connection_id", cty_string(A, PROJ "/connections/conn1"), NULL), 0);
	ck_assert_str_eq(cty_get_string(out, "name"), "conn1");
	ck_assert_str_eq(cty_get_string(out, "project_name"), "p1");
	ck_assert_int_lt(call1(&out, &bad, "parse_connection_id", cty_string(A, PROJ), NULL), 0);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_lt(call1(&out, &bad, "connection_id", cty_string(A, PROJ), cty_string(A, "bad name!")), 0);
	ck_assert_int_eq(call1(&out, &bad, "models_from_json",
				 cty_string(A, "[{\"name\":\"m\",\"properties\":{\"model\":{\"name\":\"gpt-4o\","
					       "\"version\":\"1\",\"format\":\"OpenAI\"}}}]"),
				 NULL),
		0);
	ck_assert_uint_eq(cty_length(out), 1);
	ck_assert_str_eq(cty_get_string(cty_index(out, 0), "model_name"), "gpt-4o");
	cty_value *back = NULL;
	ck_assert_int_eq(call1(&back, &bad, "models_json", out, NULL), 0);
	ck_assert_str_eq(cty_as_string(back, NULL),
		"[{\"name\":\"m\",\"properties\":{\"model\":{\"name\":\"gpt-4o\",\"version\":\"1\",\"format\":\"OpenAI\"}}}]");
	ck_assert_int_lt(call1(&out, &bad, "models_from_json", cty_string(A, "{\"not\":\"a list\"}"), NULL), 0);
	ck_assert_int_lt(call1(&out, &bad, "models_json", cty_string(A, "x"), NULL), 0);
}
END_TEST

/* --------------------------------------------------------------- move */

static int move(cty_value **out, tf_ctx **ctx, const char *type, const char *state)
{
	ck_assert_int_eq(tf_ctx_new_detached(ctx, A, &foundry_gc_schema, NULL), 0);
	tf_move_source src = {.provider_address = "registry.terraform.io/azure/azapi",
		.type_name = type,
		.schema_version = 2,
		.state_json = state,
		.state_len = strlen(state)};
	int rc = tf_resource_move(out, *ctx, &foundry_gc_resource, &src);
	if (rc < 0)
		fprintf(stderr, "move: %s\n", tf_diags_count(tf_ctx_diags(*ctx)) ? tf_diags_detail(tf_ctx_diags(*ctx), 0) : "");
	return rc;
}

START_TEST(move_from_azapi)
{
	cty_value *st = NULL;
	tf_ctx *ctx;
	const char *ok = "{\"type\":\"Microsoft.CognitiveServices/accounts/projects/connections@2026-09-01\","
			 "\"parent_id\":\"" PROJ "\",\"name\":\"conn1\",\"id\":\"" PROJ "/connections/conn1\","
			 "\"body\":{\"properties\":{\"category\":\"ModelGateway\",\"target\":\"https://gw/v1\","
			 "\"authType\":\"ApiKey\",\"metadata\":{\"deploymentInPath\":\"false\","
			 "\"models\":\"[{\\\"name\\\":\\\"m\\\",\\\"properties\\\":{\\\"model\\\":{\\\"name\\\":"
			 "\\\"gpt-4o\\\",\\\"format\\\":\\\"OpenAI\\\"}}}]\"}}}}";
	ck_assert_int_eq(move(&st, &ctx, "azapi_resource", ok), 0);
	ck_assert_str_eq(cty_get_string(st, "name"), "conn1");
	ck_assert_str_eq(cty_get_string(st, "category"), "ModelGateway");
	ck_assert_str_eq(cty_get_string(cty_index(cty_get_attr(st, "models"), 0), "model_name"), "gpt-4o");
	/* Not a connection: an error naming it, no state. */
	const char *other = "{\"type\":\"Microsoft.Storage/storageAccounts@2023-01-01\",\"name\":\"x\",\"body\":{}}";
	ck_assert_int_lt(move(&st, &ctx, "azapi_resource", other), 0);
	ck_assert_ptr_null(st);
	ck_assert(tf_diags_has_errors(tf_ctx_diags(ctx)));
	ck_assert_int_lt(move(&st, &ctx, "azapi_resource", "not json"), 0);
	ck_assert_int_lt(move(&st, &ctx, "azurerm_storage_account", ok), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_gateway");
	TCase *tc = tcase_create("gateway");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, what_the_gateway_said);
	tcase_add_test(tc, what_an_answer_blames);
	tcase_add_test(tc, routes_headers_lists_facts);
	tcase_add_test(tc, nameless_stored_model);
	tcase_add_test(tc, functions);
	tcase_add_test(tc, move_from_azapi);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
