/* Shared helpers for the provider unit suites (header only: each suite is its own executable). */
#ifndef TEST_PROVIDER_COMMON_H
#define TEST_PROVIDER_COMMON_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal/cty/cty.h"
#include "internal/tf/tf.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

#define PROJECT                                                                                                \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/"             \
	"Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main"
#define ACCOUNT                                                                                                \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-foundry/providers/"             \
	"Microsoft.CognitiveServices/accounts/foundry-acct"

static fy_arena *A;
static const cty_type *T; /* the resource's implied type */
static tf_ctx *CTX;       /* a detached context for the resource schema */

static __attribute__((unused)) void setup(void)
{
	ck_assert_int_eq(fy_arena_new(&A), 0);
	ck_assert_int_eq(tf_block_implied_type(&T, A, &foundry_gc_schema), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&CTX, A, &foundry_gc_schema, NULL), 0);
}

static __attribute__((unused)) void teardown(void)
{
	fy_arena_free(A);
	A = NULL;
}

static __attribute__((unused)) char *fixture(const char *name)
{
	char *path = fy_arena_sprintf(A, "%s/tests/unit/fixtures/provider/%s", FY_SOURCE_DIR, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "fixture %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = fy_arena_alloc(A, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* A resource value from JSON (missing attributes are null). */
static __attribute__((unused)) cty_value *val(const char *json)
{
	cty_value *v = NULL;
	int rc = cty_json_decode(&v, A, T, json, strlen(json));
	ck_assert_msg(rc == 0, "decode %s: %s", json, fy_error_last()->message);
	return v;
}

static __attribute__((unused)) char *enc_attr(const cty_value *v, const char *attr)
{
	char *s = NULL;
	int rc = cty_json_encode(&s, A, cty_get_attr(v, attr), cty_type_attr(T, attr));
	ck_assert_msg(rc == 0, "encode %s: %s", attr, fy_error_last()->message);
	return s;
}

static __attribute__((unused)) void assert_json_eq_(const char *got, const char *want, const char *what)
{
	cJSON *g = cJSON_Parse(got), *w = cJSON_Parse(want);
	ck_assert_msg(g && w, "%s: not JSON (got %s, want %s)", what, got, want);
	int eq = cJSON_Compare(g, w, 1);
	cJSON_Delete(g);
	cJSON_Delete(w);
	ck_assert_msg(eq, "%s:\n got  %s\n want %s", what, got, want);
}
#define assert_json_eq(got, want) assert_json_eq_((got), (want), #got)

/* The attribute `attr` of v, as JSON, equals `want`. */
static __attribute__((unused)) void assert_attr_(const cty_value *v, const char *attr, const char *want)
{
	assert_json_eq_(enc_attr(v, attr), want, attr);
}
#define assert_attr(v, attr, want) assert_attr_((v), (attr), (want))

static __attribute__((unused)) char *body_text(const cty_value *planned, const cty_value *config)
{
	cJSON *b = NULL;
	int rc = foundry_gc_to_arm(&b, planned, config);
	ck_assert_msg(rc == 0, "to_arm: %s", fy_error_last()->message);
	char *p = cJSON_PrintUnformatted(b);
	char *s = fy_arena_strdup(A, p);
	cJSON_free(p);
	cJSON_Delete(b);
	return s;
}

/* What ARM stores and answers for a PUT of `body`: no credentials, plus id/name/type/systemData/group. */
static __attribute__((unused)) char *service_echo(const char *body, const char *id, const char *name)
{
	cJSON *b = cJSON_Parse(body);
	cJSON *props = cJSON_GetObjectItemCaseSensitive(b, "properties");
	cJSON_DeleteItemFromObjectCaseSensitive(props, "credentials");
	cJSON_AddStringToObject(props, "group", "ServicesAndApps");
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddStringToObject(b, "name", name);
	cJSON_AddStringToObject(b, "type", "Microsoft.CognitiveServices/accounts/projects/connections");
	cJSON_AddItemToObject(b, "systemData", cJSON_Parse("{\"createdAt\":\"2026-01-01T00:00:00Z\"}"));
	char *p = cJSON_PrintUnformatted(b);
	char *s = fy_arena_strdup(A, p);
	cJSON_free(p);
	cJSON_Delete(b);
	return s;
}

/* A body read into state. Tests about metadata may leave out category, authType and target (a connection always
 * has them; from_arm refuses a body without, see unreadable_body_is_refused): they are filled in here. */
static __attribute__((unused)) cty_value *from_arm(const char *body, const cty_value *prior, tf_diags *d)
{
	cJSON *b = cJSON_Parse(body);
	ck_assert_msg(b != NULL, "body is JSON: %s", body);
	cJSON *props = cJSON_GetObjectItemCaseSensitive(b, "properties");
	static const char *const core[][2] = {{"category", "ApiManagement"}, {"authType", "ApiKey"},
		{"target", "https://contoso-apim.azure-api.net/foundry"}};
	for (size_t i = 0; cJSON_IsObject(props) && i < 3; i++)
		if (!cJSON_HasObjectItem(props, core[i][0]))
			cJSON_AddStringToObject(props, core[i][0], core[i][1]);
	cty_value *st = NULL;
	int rc = foundry_gc_from_arm(&st, A, T, b, prior, d);
	cJSON_Delete(b);
	ck_assert_msg(rc == 0, "from_arm: %s", fy_error_last()->message);
	return st;
}

/* The plan for config over prior (NULL = create). */
static __attribute__((unused)) cty_value *plan(const cty_value *config, const cty_value *prior, cty_path ***replace, size_t *nreplace)
{
	cty_value *planned = NULL;
	cty_path **rp = NULL;
	size_t nr = 0;
	int rc = tf_resource_plan(&planned, &rp, &nr, CTX, &foundry_gc_resource, config, prior, NULL);
	ck_assert_msg(rc == 0, "plan: %s", fy_error_last()->message);
	ck_assert_msg(!tf_diags_has_errors(tf_ctx_diags(CTX)), "plan diagnostics: %s",
		tf_diags_count(tf_ctx_diags(CTX)) ? tf_diags_detail(tf_ctx_diags(CTX), 0) : "");
	if (replace)
		*replace = rp;
	if (nreplace)
		*nreplace = nr;
	return planned;
}

/* Apply as the resource would: PUT body from the plan, the service's echo is the new state. */
static __attribute__((unused)) cty_value *apply(const cty_value *config, const cty_value *prior)
{
	cty_value *planned = plan(config, prior, NULL, NULL);
	const char *parent = cty_get_string(planned, "parent_id");
	const char *name = cty_get_string(planned, "name");
	char *resp = service_echo(body_text(planned, config), foundry_arm_id_join(A, &foundry_gc_id_spec, parent, name), name);
	return from_arm(resp, planned, NULL);
}

/* The diagnostics text, for failure messages. */
static __attribute__((unused)) char *diags_text(tf_diags *d)
{
	char *s = fy_arena_strdup(A, "");
	for (size_t i = 0; i < tf_diags_count(d); i++) {
		const cty_path *p = tf_diags_path(d, i);
		s = fy_arena_sprintf(A, "%s\n  [%s] %s: %s (at %s)", s, tf_diags_severity(d, i) == TF_ERROR ? "error" : "warning",
			tf_diags_summary(d, i), tf_diags_detail(d, i), p ? cty_path_string(A, p) : "-");
	}
	return s;
}

#endif
