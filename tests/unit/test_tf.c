/*
 * tf rules, driven in process through a detached context: schema checks, validators with paths, ProposedNew,
 * plan (create / update / replace / destroy), apply consistency, read, import and state upgrade.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/log/tflog.h"
#include "internal/tf/tf.h"
#include "test_tf_fixture.h"

static fy_arena *A;
static tf_ctx *C;
static const cty_type *T;

static void setup(void)
{
	fx_reset();
	tflog_set_output(NULL, TFLOG_OFF);
	ck_assert_int_eq(fy_arena_new(&A), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&C, A, &fx_schema, NULL), 0);
	T = tf_ctx_schema_type(C);
	ck_assert_ptr_nonnull(T);
}

static void teardown(void)
{
	fy_arena_free(A);
	A = NULL;
}

/* A fresh context (fresh diagnostics) on the same arena. */
static void fresh_ctx(void)
{
	ck_assert_int_eq(tf_ctx_new_detached(&C, A, &fx_schema, NULL), 0);
}

static cty_value *J(const char *json)
{
	cty_value *v = NULL;
	int rc = cty_json_decode(&v, A, T, json, strlen(json));
	ck_assert_msg(rc == 0, "decode %s: %s", json, fy_error_last()->message);
	return v;
}

/* "models[0].id", "auth.header", "tags" */
static cty_value *P(const cty_value *v, const char *expr)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", expr);
	cty_value *cur = (cty_value *)v;
	for (char *tok = strtok(buf, "."); tok != NULL && cur != NULL; tok = strtok(NULL, ".")) {
		char *br = strchr(tok, '[');
		if (br != NULL)
			*br = '\0';
		cur = cty_get_attr(cur, tok);
		while (br != NULL && cur != NULL) {
			long i = strtol(br + 1, &br, 10);
			if (!cty_is_known(cur) || cty_is_null(cur) || (size_t)i >= cty_length(cur))
				return NULL;
			cur = cty_index(cur, (size_t)i);
			br = strchr(br, '[');
		}
	}
	return cur;
}

static const char *S(const cty_value *v, const char *expr)
{
	cty_value *x = P(v, expr);
	ck_assert_msg(x != NULL, "no value at %s", expr);
	return cty_as_string(x, NULL);
}

static int is_unknown(const cty_value *v, const char *expr)
{
	cty_value *x = P(v, expr);
	ck_assert_msg(x != NULL, "no value at %s", expr);
	return !cty_is_known(x);
}

static int is_null(const cty_value *v, const char *expr)
{
	cty_value *x = P(v, expr);
	ck_assert_msg(x != NULL, "no value at %s", expr);
	return cty_is_known(x) && cty_is_null(x);
}

static void set(cty_value *obj, const char *name, cty_value *v)
{
	ck_assert_int_eq(cty_object_set(obj, name, v), 0);
}

/* Index of the diagnostic with this summary at this path ("" = no path), or -1. */
static int find_diag(tf_severity sev, const char *summary, const char *path)
{
	tf_diags *d = tf_ctx_diags(C);
	for (size_t i = 0; i < tf_diags_count(d); i++) {
		if (tf_diags_severity(d, i) != sev || strcmp(tf_diags_summary(d, i), summary) != 0)
			continue;
		const cty_path *p = tf_diags_path(d, i);
		const char *ps = p ? cty_path_string(A, p) : "";
		if (strcmp(ps, path) == 0)
			return (int)i;
	}
	return -1;
}

static void dump_diags(void)
{
	tf_diags *d = tf_ctx_diags(C);
	for (size_t i = 0; i < tf_diags_count(d); i++) {
		const cty_path *p = tf_diags_path(d, i);
		fprintf(stderr, "  diag %zu: sev=%d [%s] %s: %s\n", i, (int)tf_diags_severity(d, i),
			p ? cty_path_string(A, p) : "", tf_diags_summary(d, i), tf_diags_detail(d, i));
	}
}

#define BASE_CONFIG "\"name\":\"conn-a\",\"kind\":\"ApiManagement\",\"target\":\"https://apim.example.com/\""

/* ------------------------------------------------------------------ schema */

static const tf_attribute bad_name_attrs[] = {{.name = "Bad-Name", .type = "\"string\"", .flags = TF_OPTIONAL}, {0}};
static const tf_attribute bad_req_opt[] = {{.name = "a", .type = "\"string\"", .flags = TF_OPTIONAL | TF_REQUIRED}, {0}};
static const tf_attribute bad_req_comp[] = {{.name = "a", .type = "\"string\"", .flags = TF_COMPUTED | TF_REQUIRED}, {0}};
static const tf_attribute bad_no_flags[] = {{.name = "a", .type = "\"string\""}, {0}};
static const tf_attribute bad_default_req[] = {
	{.name = "a", .type = "\"string\"", .flags = TF_REQUIRED, .default_json = "\"x\""}, {0}};
static const tf_attribute bad_default_json[] = {
	{.name = "a", .type = "\"bool\"", .flags = TF_OPTIONAL | TF_COMPUTED, .default_json = "\"x\""}, {0}};
static const tf_attribute bad_wo_computed[] = {
	{.name = "a", .type = "\"string\"", .flags = TF_OPTIONAL | TF_COMPUTED | TF_WRITE_ONLY}, {0}};
static const tf_attribute wo_inner[] = {{.name = "k", .type = "\"string\"", .flags = TF_OPTIONAL | TF_WRITE_ONLY}, {0}};
static const tf_object wo_obj = {.attributes = wo_inner};
static const tf_attribute bad_wo_in_set[] = {{.name = "s", .nested = &wo_obj, .nesting = TF_NEST_SET, .flags = TF_OPTIONAL}, {0}};
static const tf_attribute bad_type_and_nested[] = {
	{.name = "s", .type = "\"string\"", .nested = &wo_obj, .nesting = TF_NEST_LIST, .flags = TF_OPTIONAL}, {0}};
static const tf_attribute bad_type_json[] = {{.name = "a", .type = "[\"lisst\",\"string\"]", .flags = TF_OPTIONAL}, {0}};
static const tf_validator bad_re[] = {{.kind = TF_V_REGEX, .pattern = "a(b"}, {.kind = TF_V_END}};
static const tf_attribute bad_regex[] = {{.name = "a", .type = "\"string\"", .flags = TF_OPTIONAL, .validators = bad_re}, {0}};
static const tf_validator one_of_num_v[] = {{.kind = TF_V_ONE_OF, .one_of = fx_kinds}, {.kind = TF_V_END}};
static const tf_attribute bad_one_of_number[] = {
	{.name = "a", .type = "\"number\"", .flags = TF_OPTIONAL, .validators = one_of_num_v}, {0}};
static const tf_attribute dup_attrs[] = {
	{.name = "a", .type = "\"string\"", .flags = TF_OPTIONAL}, {.name = "a", .type = "\"bool\"", .flags = TF_OPTIONAL}, {0}};
static const tf_block_type bad_single_blocks[] = {
	{.name = "b", .nesting = TF_NEST_SINGLE, .block = &fx_header_block, .min_items = 0, .max_items = 2}, {0}};

START_TEST(schema_rejects_bad_tables)
{
	struct {
		tf_block b;
		const char *msg;
	} cases[] = {
		{{.attributes = bad_name_attrs}, "^[a-z0-9_]+$"},
		{{.attributes = bad_req_opt}, "cannot set both Optional and Required"},
		{{.attributes = bad_req_comp}, "cannot set both Computed and Required"},
		{{.attributes = bad_no_flags}, "must set Optional, Required or Computed"},
		{{.attributes = bad_default_req}, "default"},
		{{.attributes = bad_default_json}, "invalid default"},
		{{.attributes = bad_wo_computed}, "write-only"},
		{{.attributes = bad_wo_in_set}, "set"},
		{{.attributes = bad_type_and_nested}, "exactly one of type and nested"},
		{{.attributes = bad_type_json}, "invalid type"},
		{{.attributes = bad_regex}, "invalid regex"},
		{{.attributes = bad_one_of_number}, "non-string"},
		{{.attributes = dup_attrs}, "more than once"},
		{{.blocks = bad_single_blocks}, "NestingSingle"},
		{{.version = -1}, "negative"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const cty_type *t = NULL;
		int rc = tf_block_implied_type(&t, A, &cases[i].b);
		ck_assert_msg(rc == FY_EINVALID, "case %zu accepted", i);
		ck_assert_msg(strstr(fy_error_last()->message, cases[i].msg) != NULL, "case %zu: message %s", i,
			fy_error_last()->message);
	}
	/* A detached context refuses a bad schema too. */
	tf_ctx *c2 = NULL;
	ck_assert_int_eq(tf_ctx_new_detached(&c2, A, &cases[0].b, NULL), FY_EINVALID);
}
END_TEST

START_TEST(schema_implied_type)
{
	const cty_type *t = NULL;
	ck_assert_int_eq(tf_block_implied_type(&t, A, &fx_schema), 0);
	ck_assert(cty_type_equal(t, T));
	ck_assert_int_eq(cty_type_kind(t), CTY_OBJECT);
	ck_assert_uint_eq(cty_type_count(t), 15); /* 14 attributes + the header block */
	ck_assert_int_eq(cty_type_kind(cty_type_attr(t, "models")), CTY_LIST);
	ck_assert_int_eq(cty_type_kind(cty_type_elem(cty_type_attr(t, "models"))), CTY_OBJECT);
	ck_assert_int_eq(cty_type_kind(cty_type_attr(t, "auth")), CTY_OBJECT);
	ck_assert_int_eq(cty_type_kind(cty_type_attr(t, "header")), CTY_LIST);
	ck_assert_int_eq(cty_type_kind(cty_type_attr(t, "tags")), CTY_MAP);
	ck_assert_int_eq(cty_type_kind(cty_type_attr(t, "count")), CTY_NUMBER);
	ck_assert_ptr_nonnull(cty_type_attr(cty_type_elem(cty_type_attr(t, "header")), "hash"));
}
END_TEST

/* ------------------------------------------------------------------ validation */

START_TEST(validate_reports_paths)
{
	cty_value *cfg = J("{\"name\":\"Conn_A\",\"kind\":\"apimanagement\",\"target\":\"http://apim.example.com\","
			   "\"tags\":{},\"legacy\":\"x\",\"models\":[{\"name\":\"gpt\"},{\"version\":\"1\"}],"
			   "\"auth\":{\"type\":\"oauth2\",\"header\":\"nodash\"},\"header\":[{\"value\":\"v\"}]}");
	tf_resource_validate(C, &fx_resource, cfg);
	int i = find_diag(TF_ERROR, "Invalid value", "kind");
	ck_assert_int_ge(i, 0);
	const char *detail = tf_diags_detail(tf_ctx_diags(C), (size_t)i);
	ck_assert_msg(strstr(detail, "\"apimanagement\" is not valid; did you mean \"ApiManagement\"?") != NULL, "%s",
		detail);
	ck_assert_msg(strstr(detail, "\"ApiManagement\", \"ModelGateway\"") != NULL, "%s", detail);

	i = find_diag(TF_ERROR, "Invalid value", "name");
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "Names are lower-case letters, digits and dashes.");
	ck_assert_int_ge(find_diag(TF_ERROR, "Invalid value", "target"), 0);
	ck_assert_int_ge(find_diag(TF_ERROR, "Invalid value", "tags"), 0);
	ck_assert_int_ge(find_diag(TF_ERROR, "Missing required argument", "models[1].name"), 0);
	i = find_diag(TF_ERROR, "Invalid value", "auth.type");
	ck_assert_int_ge(i, 0);
	ck_assert(strstr(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "did you mean \"OAuth2\"?") != NULL);
	ck_assert_int_ge(find_diag(TF_ERROR, "Invalid value", "auth.header"), 0);
	ck_assert_int_ge(find_diag(TF_ERROR, "Missing required argument", "header[0].name"), 0);
	ck_assert_int_ge(find_diag(TF_WARNING, "Argument is deprecated", "legacy"), 0);
	if (tf_diags_count(tf_ctx_diags(C)) != 9)
		dump_diags();
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 9);
	ck_assert(tf_diags_has_errors(tf_ctx_diags(C)));
}
END_TEST

START_TEST(validate_missing_required_and_resource_hook)
{
	cty_value *cfg = J("{\"kind\":\"ModelGateway\",\"target\":\"https://gw.example.com\",\"header\":[]}");
	tf_resource_validate(C, &fx_resource, cfg);
	ck_assert_int_ge(find_diag(TF_ERROR, "Missing required argument", "name"), 0);
	/* r->validate runs after the table validators. */
	ck_assert_int_ge(find_diag(TF_ERROR, "Missing auth", "auth"), 0);
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 2);
}
END_TEST

START_TEST(validate_does_not_judge_unknowns)
{
	cty_value *cfg = J("{\"name\":\"ok\",\"header\":[]}");
	set(cfg, "kind", cty_unknown(A, cty_type_string()));
	set(cfg, "target", cty_unknown(A, cty_type_string()));
	set(cfg, "models", cty_unknown(A, cty_type_attr(T, "models")));
	set(cfg, "auth", cty_unknown(A, cty_type_attr(T, "auth")));
	tf_resource_validate(C, &fx_resource, cfg);
	if (tf_diags_count(tf_ctx_diags(C)) != 0)
		dump_diags();
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 0);
}
END_TEST

START_TEST(validate_https_urls)
{
	static const char *good[] = {"https://a.example.com", "https://a.example.com:8443/x?y=1#z", "HTTPS://h/",
		"https://user@h.example.com/", "https://[::1]:443/"};
	static const char *bad[] = {"http://a.example.com", "https://", "https:///path", "ftp://h", "https://h:port/",
		"https://h x/", "a.example.com", ""};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		fresh_ctx();
		cty_value *cfg = J("{" BASE_CONFIG ",\"header\":[]}");
		set(cfg, "target", cty_string(A, good[i]));
		tf_resource_validate(C, &fx_resource, cfg);
		ck_assert_msg(find_diag(TF_ERROR, "Invalid value", "target") < 0, "rejected %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fresh_ctx();
		cty_value *cfg = J("{" BASE_CONFIG ",\"header\":[]}");
		set(cfg, "target", cty_string(A, bad[i]));
		tf_resource_validate(C, &fx_resource, cfg);
		ck_assert_msg(find_diag(TF_ERROR, "Invalid value", "target") >= 0, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(validate_never_echoes_sensitive_values)
{
	static const tf_validator re[] = {{.kind = TF_V_REGEX, .pattern = "sk-[0-9]+"}, {.kind = TF_V_END}};
	static const tf_attribute attrs[] = {
		{.name = "key", .type = "\"string\"", .flags = TF_OPTIONAL | TF_SENSITIVE, .validators = re}, {0}};
	static const tf_block b = {.attributes = attrs};
	static const tf_resource r = {.type_name = "x", .schema = &b};
	const cty_type *t = NULL;
	ck_assert_int_eq(tf_block_implied_type(&t, A, &b), 0);
	cty_value *cfg = cty_object(A, t);
	set(cfg, "key", cty_string(A, "sk-TOPSECRET"));
	tf_resource_validate(C, &r, cfg);
	int i = find_diag(TF_ERROR, "Invalid value", "key");
	ck_assert_int_ge(i, 0);
	ck_assert(strstr(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "TOPSECRET") == NULL);
}
END_TEST

/* Sensitivity is inherited: a child of a sensitive or write-only nested attribute is never quoted either, while a
 * plain sibling after them still is. */
START_TEST(validate_never_echoes_children_of_sensitive_nested)
{
	static const char *const kinds[] = {"ApiKey", NULL};
	static const tf_validator re[] = {{.kind = TF_V_REGEX, .pattern = "sk-[0-9]+"}, {.kind = TF_V_END}};
	static const tf_validator one_of[] = {{.kind = TF_V_ONE_OF, .one_of = kinds}, {.kind = TF_V_END}};
	static const tf_validator url[] = {{.kind = TF_V_HTTPS_URL}, {.kind = TF_V_END}};
	static const tf_validator has_dash[] = {{.kind = TF_V_CONTAINS, .pattern = "-"}, {.kind = TF_V_END}};
	static const tf_attribute inner[] = {
		{.name = "k", .type = "\"string\"", .flags = TF_OPTIONAL, .validators = re},
		{.name = "t", .type = "\"string\"", .flags = TF_OPTIONAL, .validators = one_of},
		{.name = "u", .type = "\"string\"", .flags = TF_OPTIONAL, .validators = url},
		{.name = "h", .type = "\"string\"", .flags = TF_OPTIONAL, .validators = has_dash},
		{0}};
	static const tf_object inner_obj = {.attributes = inner};
	static const tf_attribute attrs[] = {
		{.name = "vault", .nested = &inner_obj, .nesting = TF_NEST_SINGLE, .flags = TF_OPTIONAL | TF_SENSITIVE},
		{.name = "wo", .nested = &inner_obj, .nesting = TF_NEST_LIST, .flags = TF_OPTIONAL | TF_WRITE_ONLY},
		{.name = "plain", .nested = &inner_obj, .nesting = TF_NEST_SINGLE, .flags = TF_OPTIONAL},
		{0}};
	static const tf_block b = {.attributes = attrs};
	static const tf_resource r = {.type_name = "x", .schema = &b};
	const cty_type *t = NULL;
	ck_assert_int_eq(tf_block_implied_type(&t, A, &b), 0);
	static const char *const bad = "{\"k\":\"TOPSECRET\",\"t\":\"TOPSECRET\",\"u\":\"TOPSECRET\",\"h\":\"TOPSECRET\"}";
	char json[512];
	snprintf(json, sizeof(json), "{\"vault\":%s,\"wo\":[%s],\"plain\":%s}", bad, bad, bad);
	cty_value *cfg = NULL;
	int rc = cty_json_decode(&cfg, A, t, json, strlen(json));
	ck_assert_msg(rc == 0, "%s", fy_error_last()->message);
	tf_resource_validate(C, &r, cfg);
	static const char *const kids[] = {"k", "t", "u", "h"};
	char path[32];
	for (size_t k = 0; k < 4; k++) {
		snprintf(path, sizeof(path), "vault.%s", kids[k]);
		int i = find_diag(TF_ERROR, "Invalid value", path);
		ck_assert_msg(i >= 0, "no diagnostic at %s", path);
		ck_assert_msg(strstr(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "TOPSECRET") == NULL, "%s quoted", path);
		snprintf(path, sizeof(path), "wo[0].%s", kids[k]);
		i = find_diag(TF_ERROR, "Invalid value", path);
		ck_assert_msg(i >= 0, "no diagnostic at %s", path);
		ck_assert_msg(strstr(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "TOPSECRET") == NULL, "%s quoted", path);
		snprintf(path, sizeof(path), "plain.%s", kids[k]);
		i = find_diag(TF_ERROR, "Invalid value", path);
		ck_assert_msg(i >= 0, "no diagnostic at %s", path);
		ck_assert_msg(strstr(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "TOPSECRET") != NULL, "%s not quoted", path);
	}
}
END_TEST

/* ------------------------------------------------------------------ ProposedNew */

START_TEST(proposed_new_create_is_config)
{
	cty_value *cfg = J("{" BASE_CONFIG ",\"models\":[{\"name\":\"m\"}],\"header\":[]}");
	cty_value *pn = NULL;
	ck_assert_int_eq(tf_proposed_new(&pn, C, NULL, cfg), 0);
	ck_assert(cty_equal(pn, cfg));
	ck_assert(is_null(pn, "id"));
	ck_assert(is_null(pn, "models[0].id"));
}
END_TEST

START_TEST(proposed_new_update_takes_prior_for_computed)
{
	cty_value *prior = J("{" BASE_CONFIG ",\"description\":\"old\",\"id\":\"X\",\"etag\":\"E\",\"shared\":true,"
			     "\"count\":2,\"models\":[{\"name\":\"m\",\"version\":\"latest\",\"id\":\"MID\"}],"
			     "\"auth\":{\"type\":\"ApiKey\",\"header\":\"api-key\"},"
			     "\"header\":[{\"name\":\"h\",\"hash\":\"H\"}]}");
	cty_value *cfg = J("{" BASE_CONFIG ",\"models\":[{\"name\":\"m\"},{\"name\":\"n\"}],\"count\":5,"
			   "\"auth\":{\"type\":\"OAuth2\"},\"header\":[{\"name\":\"h\"},{\"name\":\"i\"}]}");
	cty_value *pn = NULL;
	ck_assert_int_eq(tf_proposed_new(&pn, C, prior, cfg), 0);
	ck_assert_str_eq(S(pn, "id"), "X");          /* computed, null config: prior */
	ck_assert_str_eq(S(pn, "etag"), "E");
	ck_assert(cty_as_bool(P(pn, "shared")));     /* optional+computed, null config: prior */
	ck_assert_str_eq(cty_number_text(P(pn, "count")), "5"); /* optional+computed with config: config */
	ck_assert(is_null(pn, "description"));       /* non-computed: config, even null */
	ck_assert_str_eq(S(pn, "models[0].id"), "MID");
	ck_assert_str_eq(S(pn, "models[0].version"), "latest");
	ck_assert(is_null(pn, "models[1].id"));      /* no prior element: config as it is */
	ck_assert(is_null(pn, "models[1].version"));
	ck_assert_str_eq(S(pn, "auth.type"), "OAuth2");
	ck_assert_str_eq(S(pn, "auth.header"), "api-key");
	ck_assert_str_eq(S(pn, "header[0].hash"), "H");
	ck_assert(is_null(pn, "header[1].hash"));
	/* The request's values are not touched. */
	ck_assert(is_null(cfg, "models[0].id"));
}
END_TEST

START_TEST(proposed_new_correlates_sets)
{
	static const tf_attribute rule_attrs[] = {
		{.name = "port", .type = "\"number\"", .flags = TF_REQUIRED},
		{.name = "uid", .type = "\"string\"", .flags = TF_COMPUTED},
		{0}};
	static const tf_object rule_obj = {.attributes = rule_attrs};
	static const tf_attribute attrs[] = {
		{.name = "rules", .nested = &rule_obj, .nesting = TF_NEST_SET, .flags = TF_OPTIONAL}, {0}};
	static const tf_block_type blocks[] = {{.name = "b", .nesting = TF_NEST_SET, .block = &fx_header_block}, {0}};
	static const tf_block b = {.attributes = attrs, .blocks = blocks};
	tf_ctx *c = NULL;
	ck_assert_int_eq(tf_ctx_new_detached(&c, A, &b, NULL), 0);
	const cty_type *t = tf_ctx_schema_type(c);
	cty_value *prior = NULL, *cfg = NULL;
	const char *pj = "{\"rules\":[{\"port\":1,\"uid\":\"u1\"},{\"port\":2,\"uid\":\"u2\"}],"
			 "\"b\":[{\"name\":\"x\",\"hash\":\"hx\"}]}";
	const char *cj = "{\"rules\":[{\"port\":2},{\"port\":3}],\"b\":[{\"name\":\"x\"},{\"name\":\"y\"}]}";
	ck_assert_int_eq(cty_json_decode(&prior, A, t, pj, strlen(pj)), 0);
	ck_assert_int_eq(cty_json_decode(&cfg, A, t, cj, strlen(cj)), 0);
	cty_value *pn = NULL;
	ck_assert_int_eq(tf_proposed_new(&pn, c, prior, cfg), 0);
	cty_value *rules = cty_get_attr(pn, "rules");
	ck_assert_uint_eq(cty_length(rules), 2);
	int saw2 = 0, saw3 = 0;
	for (size_t i = 0; i < 2; i++) {
		cty_value *e = cty_index(rules, i);
		int64_t port = 0;
		ck_assert_int_eq(cty_number_as_int64(cty_get_attr(e, "port"), &port), 0);
		if (port == 2) {
			saw2 = 1;
			ck_assert_str_eq(cty_get_string(e, "uid"), "u2");
		} else {
			saw3 = port == 3;
			ck_assert(cty_is_null(cty_get_attr(e, "uid")));
		}
	}
	ck_assert(saw2 && saw3);
	cty_value *bs = cty_get_attr(pn, "b");
	ck_assert_uint_eq(cty_length(bs), 2);
	for (size_t i = 0; i < 2; i++) {
		cty_value *e = cty_index(bs, i);
		const char *h = cty_get_string(e, "hash");
		if (strcmp(cty_get_string(e, "name"), "x") == 0)
			ck_assert_str_eq(h, "hx");
		else
			ck_assert_ptr_null(h);
	}
}
END_TEST

/* ------------------------------------------------------------------ plan */

static cty_value *plan(const cty_value *config, const cty_value *prior, cty_path ***rep, size_t *nrep)
{
	cty_value *planned = NULL;
	cty_path **r = NULL;
	size_t n = 0;
	ck_assert_int_eq(tf_resource_plan(&planned, &r, &n, C, &fx_resource, config, prior, NULL), 0);
	ck_assert_ptr_nonnull(planned);
	ck_assert_int_eq(cty_conform(planned, T), 0);
	if (rep)
		*rep = r;
	if (nrep)
		*nrep = n;
	return planned;
}

#define CREATE_CONFIG "{" BASE_CONFIG ",\"api_key_wo\":\"sk-123\",\"models\":[{\"name\":\"m\"}],\"auth\":{\"type\":\"ApiKey\"},\"header\":[{\"name\":\"h\"}]}"

START_TEST(plan_create)
{
	cty_value *cfg = J(CREATE_CONFIG);
	set(cfg, "description", cty_unknown(A, cty_type_string()));
	cty_path **rep = NULL;
	size_t nrep = 99;
	cty_value *p = plan(cfg, NULL, &rep, &nrep);
	ck_assert(is_unknown(p, "id"));                 /* computed: known after apply */
	ck_assert(is_unknown(p, "count"));              /* optional+computed without default */
	ck_assert_str_eq(S(p, "etag"), "planned-etag"); /* set by modify_plan */
	ck_assert(!cty_as_bool(P(p, "shared")));        /* default */
	ck_assert(!is_null(p, "shared"));
	ck_assert(is_null(p, "api_key_wo"));            /* write-only: never planned */
	ck_assert_str_eq(S(p, "name"), "conn-a");       /* known config unchanged */
	ck_assert_str_eq(S(p, "target"), "https://apim.example.com/");
	ck_assert(is_unknown(p, "description"));        /* unknown config stays unknown */
	ck_assert(is_null(p, "secret"));                /* optional, not computed: stays null */
	ck_assert(is_unknown(p, "models[0].id"));
	ck_assert_str_eq(S(p, "models[0].version"), "latest"); /* default inside a nested attribute */
	ck_assert_str_eq(S(p, "auth.header"), "api-key");
	ck_assert(is_null(p, "auth.key"));
	ck_assert(is_unknown(p, "header[0].hash"));     /* computed inside a block */
	ck_assert_uint_eq(nrep, 0);                     /* never replace on create */
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 0);
	/* The config value was not edited in place. */
	ck_assert_str_eq(S(cfg, "api_key_wo"), "sk-123");
}
END_TEST

#define STATE_JSON                                                                                                    \
	"{" BASE_CONFIG ",\"id\":\"/connections/c1\",\"etag\":\"e1\",\"shared\":false,\"count\":3,"                   \
	"\"models\":[{\"name\":\"m\",\"version\":\"latest\",\"id\":\"m-id\"}],"                                   \
	"\"auth\":{\"type\":\"ApiKey\",\"header\":\"api-key\"},\"header\":[{\"name\":\"h\",\"hash\":\"h\"}]}"

START_TEST(plan_update_without_change_is_a_noop)
{
	cty_value *prior = J(STATE_JSON);
	cty_value *cfg = J(CREATE_CONFIG);
	cty_path **rep = NULL;
	size_t nrep = 99;
	cty_value *p = plan(cfg, prior, &rep, &nrep);
	ck_assert(cty_is_wholly_known(p)); /* no unknowns introduced */
	ck_assert(cty_equal(p, prior));
	ck_assert_uint_eq(nrep, 0);
}
END_TEST

START_TEST(plan_update_with_change)
{
	cty_value *prior = J(STATE_JSON);
	cty_value *cfg = J(CREATE_CONFIG);
	set(cfg, "description", cty_string(A, "now described"));
	size_t nrep = 99;
	cty_value *p = plan(cfg, prior, NULL, &nrep);
	ck_assert_str_eq(S(p, "description"), "now described");
	ck_assert_str_eq(S(p, "id"), "/connections/c1"); /* TF_STATE_FOR_UNKNOWN keeps the prior value */
	ck_assert(is_unknown(p, "etag"));                 /* other computed attributes: known after apply */
	ck_assert(is_unknown(p, "count"));
	ck_assert(is_unknown(p, "models[0].id"));
	ck_assert(is_unknown(p, "header[0].hash"));
	ck_assert(!cty_as_bool(P(p, "shared")));          /* defaults are not unknown */
	ck_assert_str_eq(S(p, "models[0].version"), "latest");
	ck_assert(is_null(p, "api_key_wo"));
	ck_assert_uint_eq(nrep, 0);
}
END_TEST

START_TEST(plan_update_default_returns_when_config_removed)
{
	cty_value *prior = J(STATE_JSON);
	set(prior, "shared", cty_bool(A, 1));
	cty_value *cfg = J(CREATE_CONFIG); /* shared not set: the default applies again */
	cty_value *p = plan(cfg, prior, NULL, NULL);
	ck_assert(!cty_as_bool(P(p, "shared")));
	ck_assert(is_unknown(p, "etag"));
}
END_TEST

START_TEST(plan_requires_replace)
{
	cty_value *prior = J(STATE_JSON);
	cty_value *cfg = J("{\"name\":\"conn-b\",\"kind\":\"ApiManagement\",\"target\":\"https://apim.example.com/\","
			   "\"models\":[{\"name\":\"m2\"}],\"auth\":{\"type\":\"ApiKey\"},\"header\":[{\"name\":\"h\"}]}");
	cty_path **rep = NULL;
	size_t nrep = 0;
	plan(cfg, prior, &rep, &nrep);
	ck_assert_uint_eq(nrep, 2);
	const char *a0 = cty_path_string(A, rep[0]), *a1 = cty_path_string(A, rep[1]);
	ck_assert_str_eq(a0, "name");
	ck_assert_str_eq(a1, "models[0].name");

	/* Unknown planned value for a replace attribute: replacement too. */
	fresh_ctx();
	cfg = J(CREATE_CONFIG);
	set(cfg, "name", cty_unknown(A, cty_type_string()));
	plan(cfg, prior, &rep, &nrep);
	ck_assert_uint_eq(nrep, 1);
	ck_assert_str_eq(cty_path_string(A, rep[0]), "name");
}
END_TEST

START_TEST(plan_destroy)
{
	cty_value *prior = J(STATE_JSON);
	cty_path **rep = NULL;
	size_t nrep = 99;
	cty_value *p = plan(NULL, prior, &rep, &nrep);
	ck_assert(cty_is_known(p) && cty_is_null(p));
	ck_assert_uint_eq(nrep, 0);
	p = plan(cty_null(A, T), prior, &rep, &nrep);
	ck_assert(cty_is_null(p));
}
END_TEST

START_TEST(plan_modify_cannot_change_config)
{
	fx_mode = FX_BAD_MODIFY;
	cty_value *cfg = J(CREATE_CONFIG);
	cty_value *p = plan(cfg, NULL, NULL, NULL);
	ck_assert_str_eq(S(p, "kind"), "ApiManagement");
	ck_assert_str_eq(S(p, "etag"), "planned-etag");
}
END_TEST

/* A modify_plan that plans the prior description in place of the configured one (the "functionally equal"
 * rule for, e.g., an ARM id in other casing). */
static void prior_desc_modify_plan(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned)
{
	(void)ctx;
	(void)config;
	if (prior != NULL)
		ck_assert_int_eq(cty_object_set(planned, "description", cty_get_attr(prior, "description")), 0);
}

START_TEST(plan_modify_keeps_unknown_config_unknown)
{
	tf_resource r = fx_resource;
	r.modify_plan = prior_desc_modify_plan;
	cty_value *prior = J(STATE_JSON);
	set(prior, "description", cty_string(A, "Described"));
	cty_value *cfg = J(CREATE_CONFIG);
	cty_value *planned = NULL;

	/* Known config: the prior value may stand in for it. */
	set(cfg, "description", cty_string(A, "described"));
	ck_assert_int_eq(tf_resource_plan(&planned, NULL, NULL, C, &r, cfg, prior, NULL), 0);
	ck_assert_str_eq(S(planned, "description"), "Described");

	/* Unknown config: it must stay unknown (docs/internals/protocol.md 4.3), whatever modify_plan wanted. */
	set(cfg, "description", cty_unknown(A, cty_type_string()));
	ck_assert_int_eq(tf_resource_plan(&planned, NULL, NULL, C, &r, cfg, prior, NULL), 0);
	ck_assert(is_unknown(planned, "description"));
}
END_TEST

/* ------------------------------------------------------------------ apply */

static cty_value *planned_create(cty_value **cfg_out)
{
	cty_value *cfg = J(CREATE_CONFIG);
	cty_value *p = plan(cfg, NULL, NULL, NULL);
	fresh_ctx();
	*cfg_out = cfg;
	return p;
}

START_TEST(apply_create)
{
	cty_value *cfg = NULL;
	cty_value *planned = planned_create(&cfg);
	cty_value *st = NULL;
	ck_assert_int_eq(tf_resource_apply(&st, C, &fx_resource, NULL, planned, cfg), 0);
	if (tf_diags_count(tf_ctx_diags(C)) != 0)
		dump_diags();
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 0);
	ck_assert(cty_is_wholly_known(st));
	ck_assert_str_eq(S(st, "id"), "/connections/c1");
	ck_assert_str_eq(S(st, "etag"), "planned-etag"); /* known planned value kept */
	ck_assert_str_eq(cty_number_text(P(st, "count")), "3");
	ck_assert_str_eq(S(st, "models[0].id"), "m-id");
	ck_assert_str_eq(S(st, "header[0].hash"), "h");
	ck_assert(is_null(st, "api_key_wo")); /* the resource echoed it; state never holds it */
}
END_TEST

START_TEST(apply_keeps_planned_values_and_nulls_unknowns)
{
	fx_mode = FX_DRIFT;
	cty_value *cfg = NULL;
	cty_value *planned = planned_create(&cfg);
	cty_value *st = NULL;
	tf_resource_apply(&st, C, &fx_resource, NULL, planned, cfg);
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(S(st, "target"), "https://apim.example.com/"); /* planned known value wins */
	ck_assert(is_null(st, "count"));                                /* left unknown: null + error */
	ck_assert_int_ge(find_diag(TF_ERROR, "Provider returned invalid result object after apply", "count"), 0);
	ck_assert(cty_is_wholly_known(st));
}
END_TEST

START_TEST(apply_failure_returns_partial_state)
{
	fx_mode = FX_FAIL_PARTIAL;
	cty_value *cfg = NULL;
	cty_value *planned = planned_create(&cfg);
	cty_value *st = NULL;
	ck_assert_int_eq(tf_resource_apply(&st, C, &fx_resource, NULL, planned, cfg), FY_EIO);
	ck_assert(tf_diags_has_errors(tf_ctx_diags(C)));
	int i = find_diag(TF_ERROR, "Create failed", "");
	ck_assert_int_ge(i, 0);
	ck_assert_str_eq(tf_diags_detail(tf_ctx_diags(C), (size_t)i), "the second request failed");
	ck_assert_ptr_nonnull(st);
	ck_assert_str_eq(S(st, "id"), "/connections/c1");
	ck_assert(is_null(st, "count")); /* unknowns of a failed apply become null */
	ck_assert(cty_is_wholly_known(st));
}
END_TEST

START_TEST(apply_failure_without_state)
{
	fx_mode = FX_FAIL_NONE;
	cty_value *cfg = NULL;
	cty_value *planned = planned_create(&cfg);
	cty_value *st = NULL;
	ck_assert_int_ne(tf_resource_apply(&st, C, &fx_resource, NULL, planned, cfg), 0);
	ck_assert(cty_is_null(st)); /* create: nothing exists */
	ck_assert_int_ge(find_diag(TF_ERROR, "Create failed", ""), 0);

	/* update: the prior state is what exists */
	fresh_ctx();
	cty_value *prior = J(STATE_JSON);
	cfg = J(CREATE_CONFIG);
	set(cfg, "description", cty_string(A, "x"));
	planned = plan(cfg, prior, NULL, NULL);
	fresh_ctx();
	ck_assert_int_ne(tf_resource_apply(&st, C, &fx_resource, prior, planned, cfg), 0);
	ck_assert(cty_equal(st, prior));
	ck_assert_int_ge(find_diag(TF_ERROR, "Update failed", ""), 0);

	fresh_ctx();
	fx_mode = FX_FAIL_PARTIAL;
	ck_assert_int_ne(tf_resource_apply(&st, C, &fx_resource, prior, planned, cfg), 0);
	ck_assert_str_eq(S(st, "description"), "half-updated");
}
END_TEST

static int leaky_create(cty_value **out, tf_ctx *ctx, const cty_value *planned, const cty_value *config)
{
	(void)out;
	(void)ctx;
	(void)planned;
	(void)config;
	/* No diagnostic, only an error text that quotes the server, which echoed the key. */
	return fy_error_set(FY_EIO, "PUT failed: 401 {\"message\":\"key sk-leaky-0123456789 is not valid\"}");
}

START_TEST(apply_failure_text_is_redacted)
{
	tflog_add_secret("sk-leaky-0123456789");
	tf_resource r = fx_resource;
	r.create = leaky_create;
	cty_value *cfg = NULL;
	cty_value *planned = planned_create(&cfg);
	cty_value *st = NULL;
	ck_assert_int_eq(tf_resource_apply(&st, C, &r, NULL, planned, cfg), FY_EIO);
	int i = find_diag(TF_ERROR, "Create failed", "");
	ck_assert_int_ge(i, 0);
	const char *detail = tf_diags_detail(tf_ctx_diags(C), (size_t)i);
	ck_assert_ptr_nonnull(strstr(detail, "PUT failed: 401"));
	ck_assert_ptr_null(strstr(detail, "sk-leaky-0123456789"));
}
END_TEST

START_TEST(apply_update_and_delete)
{
	cty_value *prior = J(STATE_JSON);
	cty_value *cfg = J(CREATE_CONFIG);
	set(cfg, "description", cty_string(A, "x"));
	cty_value *planned = plan(cfg, prior, NULL, NULL);
	fresh_ctx();
	cty_value *st = NULL;
	ck_assert_int_eq(tf_resource_apply(&st, C, &fx_resource, prior, planned, cfg), 0);
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 0);
	ck_assert_str_eq(S(st, "description"), "x");
	ck_assert_str_eq(S(st, "etag"), "e1");
	ck_assert_str_eq(S(st, "id"), "/connections/c1");

	ck_assert_int_eq(tf_resource_apply(&st, C, &fx_resource, prior, NULL, NULL), 0);
	ck_assert(cty_is_null(st));
	ck_assert_int_eq(fx_deleted, 1);
}
END_TEST

/* ------------------------------------------------------------------ read / import / upgrade */

START_TEST(read_rules)
{
	cty_value *state = J(STATE_JSON);
	cty_value *ns = NULL;
	ck_assert_int_eq(tf_resource_read(&ns, C, &fx_resource, state), 0);
	ck_assert_str_eq(S(ns, "etag"), "e2");

	fx_mode = FX_GONE;
	ck_assert_int_eq(tf_resource_read(&ns, C, &fx_resource, state), 0);
	ck_assert(cty_is_known(ns) && cty_is_null(ns));
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 0);

	fx_mode = FX_READ_UNKNOWN;
	ck_assert_int_eq(tf_resource_read(&ns, C, &fx_resource, state), 0);
	ck_assert(is_null(ns, "etag"));
	ck_assert_int_ge(find_diag(TF_ERROR, "Provider produced invalid object", "etag"), 0);
}
END_TEST

START_TEST(import_rules)
{
	cty_value *st = NULL;
	ck_assert_int_eq(tf_resource_import(&st, C, &fx_resource, "/connections/x"), 0);
	ck_assert_str_eq(S(st, "id"), "/connections/x");
	ck_assert(is_null(st, "name"));
	ck_assert_uint_eq(cty_length(P(st, "header")), 0); /* block lists are never null */

	ck_assert_int_ne(tf_resource_import(&st, C, &fx_resource, "missing"), 0);
	ck_assert_ptr_null(st);
	ck_assert_int_ge(find_diag(TF_ERROR, "Cannot import non-existent remote object", ""), 0);
}
END_TEST

START_TEST(upgrade_strips_removed_and_fills_missing)
{
	const char *raw = "{\"name\":\"conn-a\",\"kind\":\"ApiManagement\",\"target\":\"https://t.example.com/\","
			  "\"removed_attr\":{\"deep\":1},\"id\":\"/c/1\",\"api_key_wo\":\"sk-old\","
			  "\"count\":12345678901234567890123,"
			  "\"models\":[{\"name\":\"m\",\"gone\":true,\"id\":\"mid\"}]}";
	cty_value *st = NULL;
	ck_assert_int_eq(tf_resource_upgrade_state(&st, C, &fx_resource, 1, raw, strlen(raw)), 0);
	ck_assert_uint_eq(tf_diags_count(tf_ctx_diags(C)), 0);
	ck_assert_int_eq(cty_conform(st, T), 0);
	ck_assert_str_eq(S(st, "id"), "/c/1");
	ck_assert(is_null(st, "etag"));       /* missing: null */
	ck_assert(is_null(st, "api_key_wo")); /* write-only never in state */
	ck_assert_str_eq(S(st, "models[0].id"), "mid");
	ck_assert_uint_eq(cty_length(P(st, "header")), 0);

	/* Nothing to strip: the JSON is decoded as it is, so big numbers stay exact. */
	const char *exact = "{\"name\":\"conn-a\",\"count\":12345678901234567890123}";
	ck_assert_int_eq(tf_resource_upgrade_state(&st, C, &fx_resource, 0, exact, strlen(exact)), 0);
	ck_assert_str_eq(cty_number_text(P(st, "count")), "12345678901234567890123");

	ck_assert_int_ne(tf_resource_upgrade_state(&st, C, &fx_resource, 2, exact, strlen(exact)), 0);
	ck_assert_int_ge(find_diag(TF_ERROR, "Resource instance managed by newer provider version", ""), 0);

	fresh_ctx();
	ck_assert_int_ne(tf_resource_upgrade_state(&st, C, &fx_resource, 1, "{not json", 9), 0);
	ck_assert_int_ge(find_diag(TF_ERROR, "Invalid resource state", ""), 0);
}
END_TEST

START_TEST(diags_api)
{
	tf_diags *d = NULL;
	ck_assert_int_eq(tf_diags_new(&d, A), 0);
	ck_assert(!tf_diags_has_errors(d));
	char name[8] = "abc";
	cty_path *p = cty_path_index(A, cty_path_attr(A, NULL, name), 2);
	tf_diag_add(d, TF_WARNING, p, "Careful", "count=%d", 3);
	name[0] = 'X'; /* the diagnostic keeps its own copy of the path */
	ck_assert(!tf_diags_has_errors(d));
	tf_diag_add(d, TF_ERROR, NULL, "Broken", NULL);
	ck_assert(tf_diags_has_errors(d));
	ck_assert_uint_eq(tf_diags_count(d), 2);
	ck_assert_str_eq(tf_diags_detail(d, 0), "count=3");
	ck_assert_str_eq(cty_path_string(A, tf_diags_path(d, 0)), "abc[2]");
	ck_assert_ptr_null(tf_diags_path(d, 1));
	ck_assert_str_eq(tf_diags_detail(d, 1), "");
	ck_assert_str_eq(tf_ctx_terraform_version(C), "");
	ck_assert(!tf_ctx_stopped(C));
	ck_assert_ptr_null(tf_ctx_provider_data(C));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tf");
	TCase *tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, schema_rejects_bad_tables);
	tcase_add_test(tc, schema_implied_type);
	tcase_add_test(tc, validate_reports_paths);
	tcase_add_test(tc, validate_missing_required_and_resource_hook);
	tcase_add_test(tc, validate_does_not_judge_unknowns);
	tcase_add_test(tc, validate_https_urls);
	tcase_add_test(tc, validate_never_echoes_sensitive_values);
	tcase_add_test(tc, validate_never_echoes_children_of_sensitive_nested);
	tcase_add_test(tc, proposed_new_create_is_config);
	tcase_add_test(tc, proposed_new_update_takes_prior_for_computed);
	tcase_add_test(tc, proposed_new_correlates_sets);
	tcase_add_test(tc, plan_create);
	tcase_add_test(tc, plan_update_without_change_is_a_noop);
	tcase_add_test(tc, plan_update_with_change);
	tcase_add_test(tc, plan_update_default_returns_when_config_removed);
	tcase_add_test(tc, plan_requires_replace);
	tcase_add_test(tc, plan_destroy);
	tcase_add_test(tc, plan_modify_cannot_change_config);
	tcase_add_test(tc, plan_modify_keeps_unknown_config_unknown);
	tcase_add_test(tc, apply_create);
	tcase_add_test(tc, apply_keeps_planned_values_and_nulls_unknowns);
	tcase_add_test(tc, apply_failure_returns_partial_state);
	tcase_add_test(tc, apply_failure_without_state);
	tcase_add_test(tc, apply_failure_text_is_redacted);
	tcase_add_test(tc, apply_update_and_delete);
	tcase_add_test(tc, read_rules);
	tcase_add_test(tc, import_rules);
	tcase_add_test(tc, upgrade_strips_removed_and_fills_missing);
	tcase_add_test(tc, diags_api);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
