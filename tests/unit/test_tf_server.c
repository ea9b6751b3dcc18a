/*
 * tf handlers driven as the transport drives them: look the method up in an rpc_registry, call its
 * rpc_unary_fn with a request packed by protobuf-c, unpack the response.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/log/tflog.h"
#include "internal/rpc/rpc.h"
#include "internal/tf/tf.h"
#include "test_tf_fixture.h"
#include "tfplugin6.pb-c.h"

static fy_arena *A;
static tf_server *SRV;
static rpc_registry *REG;
static const cty_type *T;     /* resource */
static const cty_type *PT;    /* provider */
static const cty_type *DT;    /* data source */

static void setup(void)
{
	fx_reset();
	tflog_set_output(NULL, TFLOG_OFF);
	ck_assert_int_eq(fy_arena_new(&A), 0);
	ck_assert_int_eq(tf_server_new(&SRV, &fx_provider), 0);
	ck_assert_int_eq(rpc_registry_new(&REG), 0);
	ck_assert_int_eq(tf_server_register(SRV, REG), 0);
	ck_assert_int_eq(tf_block_implied_type(&T, A, &fx_schema), 0);
	ck_assert_int_eq(tf_block_implied_type(&PT, A, &fx_provider_schema), 0);
	ck_assert_int_eq(tf_block_implied_type(&DT, A, &fx_ds_schema), 0);
}

static void teardown(void)
{
	rpc_registry_free(REG);
	tf_server_free(SRV);
	fy_arena_free(A);
	REG = NULL;
	SRV = NULL;
}

static void *pb_alloc(void *data, size_t size)
{
	return fy_arena_alloc(data, size);
}

static void pb_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* Call /tfplugin6.Provider/<method> with raw bytes in arena `a`; returns the status. */
static int call_raw(fy_arena *a, const char *method, const uint8_t *req, size_t len, uint8_t **resp,
	size_t *resp_len, const char **msg)
{
	char path[128];
	snprintf(path, sizeof(path), "/tfplugin6.Provider/%s", method);
	rpc_unary_fn fn = NULL;
	void *data = NULL;
	ck_assert_msg(rpc_lookup(&fn, &data, REG, path) == 0, "%s not registered", path);
	*msg = NULL;
	return fn(data, a, req, len, resp, resp_len, msg);
}

static void *call_in(fy_arena *a, const char *method, const void *req, const ProtobufCMessageDescriptor *rd)
{
	const ProtobufCMessage *m = req;
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = fy_arena_alloc(a, len + 1);
	protobuf_c_message_pack(m, buf);
	uint8_t *resp = NULL;
	size_t rlen = 0;
	const char *msg = NULL;
	int st = call_raw(a, method, buf, len, &resp, &rlen, &msg);
	ck_assert_msg(st == 0, "%s: status %d %s", method, st, msg ? msg : "");
	ProtobufCAllocator al = {.alloc = pb_alloc, .free = pb_free, .allocator_data = a};
	void *out = protobuf_c_message_unpack(rd, &al, rlen, resp);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void *call(const char *method, const void *req, const ProtobufCMessageDescriptor *rd)
{
	return call_in(A, method, req, rd);
}

static Tfplugin6__DynamicValue *dv_in(fy_arena *a, const cty_value *v, const cty_type *t)
{
	Tfplugin6__DynamicValue *dv = fy_arena_alloc(a, sizeof(*dv));
	tfplugin6__dynamic_value__init(dv);
	void *buf = NULL;
	size_t len = 0;
	ck_assert_int_eq(cty_msgpack_encode(&buf, &len, a, v, t), 0);
	dv->msgpack.data = buf;
	dv->msgpack.len = len;
	return dv;
}

static Tfplugin6__DynamicValue *dv(const cty_value *v, const cty_type *t)
{
	return dv_in(A, v, t);
}

static cty_value *undv_in(fy_arena *a, const Tfplugin6__DynamicValue *d, const cty_type *t)
{
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_gt(d->msgpack.len, 0);
	ck_assert_uint_eq(d->json.len, 0); /* responses are msgpack only */
	cty_value *v = NULL;
	ck_assert_int_eq(cty_msgpack_decode(&v, a, t, d->msgpack.data, d->msgpack.len), 0);
	return v;
}

static cty_value *undv(const Tfplugin6__DynamicValue *d, const cty_type *t)
{
	return undv_in(A, d, t);
}

static cty_value *J(const cty_type *t, const char *json)
{
	cty_value *v = NULL;
	ck_assert_msg(cty_json_decode(&v, A, t, json, strlen(json)) == 0, "%s", fy_error_last()->message);
	return v;
}

static char *path_str(const Tfplugin6__AttributePath *p)
{
	char *s = "";
	for (size_t i = 0; p != NULL && i < p->n_steps; i++) {
		const Tfplugin6__AttributePath__Step *st = p->steps[i];
		switch (st->selector_case) {
		case TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ATTRIBUTE_NAME:
			s = fy_arena_sprintf(A, "%s%s%s", s, i ? "." : "", st->attribute_name);
			break;
		case TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_STRING:
			s = fy_arena_sprintf(A, "%s[\"%s\"]", s, st->element_key_string);
			break;
		case TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_INT:
			s = fy_arena_sprintf(A, "%s[%lld]", s, (long long)st->element_key_int);
			break;
		default:
			s = fy_arena_sprintf(A, "%s<?>", s);
		}
	}
	return s;
}

static int find_diag(Tfplugin6__Diagnostic **d, size_t n, int sev, const char *summary, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_ne(d[i]->severity, TFPLUGIN6__DIAGNOSTIC__SEVERITY__INVALID);
		if ((int)d[i]->severity == sev && strcmp(d[i]->summary, summary) == 0 &&
			strcmp(path_str(d[i]->attribute), path) == 0)
			return (int)i;
	}
	return -1;
}

#define ERR TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR
#define BASE_CONFIG "\"name\":\"conn-a\",\"kind\":\"ApiManagement\",\"target\":\"https://apim.example.com/\""
#define CONFIG "{" BASE_CONFIG ",\"models\":[{\"name\":\"m\"}],\"auth\":{\"type\":\"ApiKey\"},\"header\":[{\"name\":\"h\"}]}"

/* ------------------------------------------------------------------ schema */

static void check_type_json(const ProtobufCBinaryData *t)
{
	ck_assert_uint_gt(t->len, 0);
	const cty_type *ty = NULL;
	ck_assert_msg(cty_type_from_json(&ty, A, (const char *)t->data, t->len) == 0, "bad type JSON %.*s",
		(int)t->len, (const char *)t->data);
}

static void check_attr(const Tfplugin6__Schema__Attribute *at)
{
	ck_assert_int_eq(at->description_kind, TFPLUGIN6__STRING_KIND__MARKDOWN);
	ck_assert_ptr_nonnull(at->description);
	if (at->nested_type != NULL) {
		ck_assert_uint_eq(at->type.len, 0);
		ck_assert_int_ne(at->nested_type->nesting, TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__INVALID);
		for (size_t i = 0; i < at->nested_type->n_attributes; i++)
			check_attr(at->nested_type->attributes[i]);
	} else {
		check_type_json(&at->type);
	}
	ck_assert(at->required + at->optional + at->computed >= 1);
}

static void check_block(const Tfplugin6__Schema__Block *b)
{
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(b->description_kind, TFPLUGIN6__STRING_KIND__MARKDOWN);
	for (size_t i = 0; i < b->n_attributes; i++)
		check_attr(b->attributes[i]);
	for (size_t i = 0; i < b->n_block_types; i++) {
		ck_assert_int_ne(b->block_types[i]->nesting, TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__INVALID);
		check_block(b->block_types[i]->block); /* Terraform dereferences every nested block */
	}
}

static const Tfplugin6__Schema__Attribute *attr_named(const Tfplugin6__Schema__Block *b, const char *n)
{
	for (size_t i = 0; i < b->n_attributes; i++)
		if (strcmp(b->attributes[i]->name, n) == 0)
			return b->attributes[i];
	ck_abort_msg("no attribute %s", n);
	return NULL;
}

START_TEST(get_provider_schema)
{
	Tfplugin6__GetProviderSchema__Request req = TFPLUGIN6__GET_PROVIDER_SCHEMA__REQUEST__INIT;
	Tfplugin6__GetProviderSchema__Response *r =
		call("GetProviderSchema", &req, &tfplugin6__get_provider_schema__response__descriptor);
	ck_assert_ptr_nonnull(r->provider);
	check_block(r->provider->block);
	ck_assert_ptr_null(r->provider_meta);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	ck_assert_ptr_nonnull(r->server_capabilities);
	ck_assert(!r->server_capabilities->plan_destroy);
	ck_assert(!r->server_capabilities->get_provider_schema_optional);
	ck_assert(!r->server_capabilities->move_resource_state);

	ck_assert_uint_eq(r->n_resource_schemas, 1);
	ck_assert_str_eq(r->resource_schemas[0]->key, "fake_connection");
	const Tfplugin6__Schema *s = r->resource_schemas[0]->value;
	ck_assert_int_eq(s->version, 1);
	check_block(s->block);
	ck_assert_str_eq(s->block->description, "A **fake** connection.");
	ck_assert_uint_eq(s->block->n_attributes, 14);
	ck_assert_str_eq(attr_named(s->block, "name")->description, "The connection **name**.");
	ck_assert(attr_named(s->block, "name")->required);
	const Tfplugin6__Schema__Attribute *wo = attr_named(s->block, "api_key_wo");
	ck_assert(wo->write_only && wo->sensitive && wo->optional && !wo->computed);
	ck_assert(attr_named(s->block, "secret")->sensitive);
	ck_assert(!attr_named(s->block, "secret")->write_only);
	const Tfplugin6__Schema__Attribute *sh = attr_named(s->block, "shared");
	ck_assert(sh->optional && sh->computed);
	ck_assert(attr_named(s->block, "legacy")->deprecated);
	ck_assert_str_eq(attr_named(s->block, "legacy")->deprecation_message, "Use description instead.");
	ck_assert_uint_eq(attr_named(s->block, "tags")->type.len, strlen("[\"map\",\"string\"]"));
	ck_assert(memcmp(attr_named(s->block, "tags")->type.data, "[\"map\",\"string\"]", 16) == 0);
	const Tfplugin6__Schema__Attribute *models = attr_named(s->block, "models");
	ck_assert_ptr_nonnull(models->nested_type);
	ck_assert_int_eq(models->nested_type->nesting, TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__LIST);
	ck_assert_uint_eq(models->nested_type->n_attributes, 3);
	const Tfplugin6__Schema__Attribute *auth = attr_named(s->block, "auth");
	ck_assert_int_eq(auth->nested_type->nesting, TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__SINGLE);
	ck_assert_uint_eq(s->block->n_block_types, 1);
	ck_assert_str_eq(s->block->block_types[0]->type_name, "header");
	ck_assert_int_eq(s->block->block_types[0]->nesting, TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__LIST);
	ck_assert_str_eq(s->block->block_types[0]->block->description, "An extra header.");

	ck_assert_uint_eq(r->n_data_source_schemas, 1);
	ck_assert_str_eq(r->data_source_schemas[0]->key, "fake_connection");
	check_block(r->data_source_schemas[0]->value->block);

	/* Cached: the same bytes every time. */
	uint8_t *b1, *b2;
	size_t l1, l2;
	const char *msg;
	ck_assert_int_eq(call_raw(A, "GetProviderSchema", NULL, 0, &b1, &l1, &msg), 0);
	ck_assert_int_eq(call_raw(A, "GetProviderSchema", NULL, 0, &b2, &l2, &msg), 0);
	ck_assert_uint_eq(l1, l2);
	ck_assert(memcmp(b1, b2, l1) == 0);
}
END_TEST

START_TEST(get_metadata_and_registration)
{
	Tfplugin6__GetMetadata__Request req = TFPLUGIN6__GET_METADATA__REQUEST__INIT;
	Tfplugin6__GetMetadata__Response *r = call("GetMetadata", &req, &tfplugin6__get_metadata__response__descriptor);
	ck_assert_uint_eq(r->n_resources, 1);
	ck_assert_str_eq(r->resources[0]->type_name, "fake_connection");
	ck_assert_uint_eq(r->n_data_sources, 1);
	ck_assert_ptr_nonnull(r->server_capabilities);
	ck_assert_uint_eq(r->n_diagnostics, 0);

	/* Every unary RPC of 6.11 is registered, and ListResource as a server stream; the other streaming ones are
	 * left to UNIMPLEMENTED. */
	ck_assert_uint_eq(rpc_registry_count(REG), 33);
	rpc_unary_fn fn;
	rpc_stream_fn sfn;
	ck_assert_int_eq(rpc_lookup_method(&fn, &sfn, NULL, REG, "/tfplugin6.Provider/ListResource"), 0);
	ck_assert(fn == NULL && sfn != NULL);
	ck_assert_int_ne(rpc_lookup(&fn, NULL, REG, "/tfplugin6.Provider/InvokeAction"), 0);
	ck_assert_int_eq(rpc_lookup(&fn, NULL, REG, "/tfplugin6.Provider/StopProvider"), 0);
}
END_TEST

/* ------------------------------------------------------------------ validate */

START_TEST(validate_resource_config)
{
	cty_value *cfg = J(T, "{\"name\":\"conn-a\",\"kind\":\"apimanagement\",\"target\":\"https://t.example.com/\","
			      "\"models\":[{\"name\":\"m\"},{}],\"api_key_wo\":\"sk-1\",\"header\":[]}");
	Tfplugin6__ClientCapabilities caps = TFPLUGIN6__CLIENT_CAPABILITIES__INIT;
	caps.write_only_attributes_allowed = 1;
	Tfplugin6__ValidateResourceConfig__Request req = TFPLUGIN6__VALIDATE_RESOURCE_CONFIG__REQUEST__INIT;
	req.type_name = "fake_connection";
	req.config = dv(cfg, T);
	req.client_capabilities = &caps;
	Tfplugin6__ValidateResourceConfig__Response *r =
		call("ValidateResourceConfig", &req, &tfplugin6__validate_resource_config__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 2);
	int i = find_diag(r->diagnostics, r->n_diagnostics, ERR, "Invalid value", "kind");
	ck_assert_int_ge(i, 0);
	ck_assert(strstr(r->diagnostics[i]->detail, "did you mean \"ApiManagement\"?") != NULL);
	/* Inside a nested attribute the CLIs can point only at the top-level attribute (their elaboration descends
	 * through blocks, not attribute values): the path on the wire is `models`, the text names models[1].name. */
	i = find_diag(r->diagnostics, r->n_diagnostics, ERR, "Missing required argument", "models");
	ck_assert_int_ge(i, 0);
	Tfplugin6__AttributePath *p = r->diagnostics[i]->attribute;
	ck_assert_uint_eq(p->n_steps, 1);
	ck_assert_str_eq(p->steps[0]->attribute_name, "models");
	ck_assert_msg(strncmp(r->diagnostics[i]->detail, "models[1].name: ", 16) == 0, "%s", r->diagnostics[i]->detail);

	/* A client without write-only support must not get a value it would store. */
	req.client_capabilities = NULL;
	r = call("ValidateResourceConfig", &req, &tfplugin6__validate_resource_config__response__descriptor);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Write-only Attribute Not Allowed",
		"api_key_wo"), 0);

	/* JSON DynamicValue is accepted too. */
	const char *json = "{" BASE_CONFIG ",\"header\":[]}";
	Tfplugin6__DynamicValue jv = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	jv.json.data = (uint8_t *)json;
	jv.json.len = strlen(json);
	req.config = &jv;
	r = call("ValidateResourceConfig", &req, &tfplugin6__validate_resource_config__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 0);
}
END_TEST

START_TEST(unknown_type_and_bad_values_are_diagnostics)
{
	Tfplugin6__ValidateResourceConfig__Request req = TFPLUGIN6__VALIDATE_RESOURCE_CONFIG__REQUEST__INIT;
	req.type_name = "fake_nope";
	req.config = dv(J(T, "{}"), T);
	Tfplugin6__ValidateResourceConfig__Response *r =
		call("ValidateResourceConfig", &req, &tfplugin6__validate_resource_config__response__descriptor);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Unknown resource type", ""), 0);

	/* Malformed msgpack: a diagnostic naming the problem, not a gRPC error. */
	Tfplugin6__DynamicValue bad = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	bad.msgpack.data = (uint8_t *)"\x93\x01";
	bad.msgpack.len = 2;
	req.type_name = "fake_connection";
	req.config = &bad;
	r = call("ValidateResourceConfig", &req, &tfplugin6__validate_resource_config__response__descriptor);
	int i = find_diag(r->diagnostics, r->n_diagnostics, ERR, "Invalid value", "");
	ck_assert_int_ge(i, 0);
	ck_assert(strstr(r->diagnostics[i]->detail, "could not be decoded") != NULL);

	/* Undecodable protobuf: the one case for a gRPC status. */
	uint8_t *resp;
	size_t rlen;
	const char *msg = NULL;
	ck_assert_int_eq(call_raw(A, "PlanResourceChange", (const uint8_t *)"\x0a\xff\xff\xff", 4, &resp, &rlen, &msg),
		RPC_INVALID_ARGUMENT);
	ck_assert_ptr_nonnull(msg);
}
END_TEST

START_TEST(validate_provider_and_data_source)
{
	Tfplugin6__ValidateProviderConfig__Request req = TFPLUGIN6__VALIDATE_PROVIDER_CONFIG__REQUEST__INIT;
	req.config = dv(J(PT, "{\"endpoint\":\"http://plain.example.com\"}"), PT);
	Tfplugin6__ValidateProviderConfig__Response *r =
		call("ValidateProviderConfig", &req, &tfplugin6__validate_provider_config__response__descriptor);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Invalid value", "endpoint"), 0);

	Tfplugin6__ValidateDataResourceConfig__Request dq = TFPLUGIN6__VALIDATE_DATA_RESOURCE_CONFIG__REQUEST__INIT;
	dq.type_name = "fake_connection";
	dq.config = dv(J(DT, "{}"), DT);
	Tfplugin6__ValidateDataResourceConfig__Response *dr =
		call("ValidateDataResourceConfig", &dq, &tfplugin6__validate_data_resource_config__response__descriptor);
	ck_assert_int_ge(find_diag(dr->diagnostics, dr->n_diagnostics, ERR, "Missing required argument", "name"), 0);

	Tfplugin6__ReadDataSource__Request rq = TFPLUGIN6__READ_DATA_SOURCE__REQUEST__INIT;
	rq.type_name = "fake_connection";
	rq.config = dv(J(DT, "{\"name\":\"x\"}"), DT);
	Tfplugin6__ReadDataSource__Response *rr = call("ReadDataSource", &rq, &tfplugin6__read_data_source__response__descriptor);
	ck_assert_uint_eq(rr->n_diagnostics, 0);
	ck_assert_str_eq(cty_get_string(undv(rr->state, DT), "target"), "https://found.example.com/");
}
END_TEST

/* ------------------------------------------------------------------ plan / apply / read */

static Tfplugin6__PlanResourceChange__Response *plan_call(const cty_value *prior, const cty_value *cfg)
{
	tf_ctx *c = NULL;
	ck_assert_int_eq(tf_ctx_new_detached(&c, A, &fx_schema, NULL), 0);
	cty_value *pn = NULL;
	ck_assert_int_eq(tf_proposed_new(&pn, c, prior, cfg), 0);
	Tfplugin6__PlanResourceChange__Request req = TFPLUGIN6__PLAN_RESOURCE_CHANGE__REQUEST__INIT;
	req.type_name = "fake_connection";
	req.prior_state = dv(prior ? prior : cty_null(A, T), T);
	req.proposed_new_state = dv(pn, T);
	req.config = dv(cfg, T);
	req.prior_private.data = (uint8_t *)"priv";
	req.prior_private.len = 4;
	return call("PlanResourceChange", &req, &tfplugin6__plan_resource_change__response__descriptor);
}

START_TEST(plan_resource_change)
{
	cty_value *cfg = J(T, CONFIG);
	Tfplugin6__PlanResourceChange__Response *r = plan_call(NULL, cfg);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	ck_assert(!r->legacy_type_system);
	ck_assert_uint_eq(r->planned_private.len, 4);
	ck_assert(memcmp(r->planned_private.data, "priv", 4) == 0);
	cty_value *p = undv(r->planned_state, T);
	ck_assert(!cty_is_known(cty_get_attr(p, "id")));
	ck_assert_str_eq(cty_get_string(p, "etag"), "planned-etag");
	ck_assert_uint_eq(r->n_requires_replace, 0);

	/* Update renaming it: replace on "name". */
	cty_value *prior = J(T, "{" BASE_CONFIG ",\"id\":\"/c/1\",\"etag\":\"e\",\"shared\":false,\"count\":1,"
				"\"models\":[{\"name\":\"m\",\"version\":\"latest\",\"id\":\"x\"}],"
				"\"auth\":{\"type\":\"ApiKey\",\"header\":\"api-key\"},\"header\":[{\"name\":\"h\",\"hash\":\"h\"}]}");
	cty_value *cfg2 = J(T, "{\"name\":\"conn-b\",\"kind\":\"ApiManagement\",\"target\":\"https://apim.example.com/\","
			       "\"models\":[{\"name\":\"m\"}],\"auth\":{\"type\":\"ApiKey\"},\"header\":[{\"name\":\"h\"}]}");
	r = plan_call(prior, cfg2);
	ck_assert_uint_eq(r->n_requires_replace, 1);
	ck_assert_str_eq(path_str(r->requires_replace[0]), "name");
	ck_assert_int_eq(r->requires_replace[0]->steps[0]->selector_case,
		TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ATTRIBUTE_NAME);

	/* No change: planned == prior, nothing unknown. */
	r = plan_call(prior, cfg);
	cty_value *same = undv(r->planned_state, T);
	ck_assert(cty_equal(same, prior));

	/* Unknown type name: a diagnostic in an OK response. */
	Tfplugin6__PlanResourceChange__Request bad = TFPLUGIN6__PLAN_RESOURCE_CHANGE__REQUEST__INIT;
	bad.type_name = "nope";
	r = call("PlanResourceChange", &bad, &tfplugin6__plan_resource_change__response__descriptor);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Unknown resource type", ""), 0);
	ck_assert_ptr_null(r->planned_state);
}
END_TEST

START_TEST(apply_resource_change)
{
	cty_value *cfg = J(T, CONFIG);
	Tfplugin6__PlanResourceChange__Response *pr = plan_call(NULL, cfg);
	Tfplugin6__ApplyResourceChange__Request req = TFPLUGIN6__APPLY_RESOURCE_CHANGE__REQUEST__INIT;
	req.type_name = "fake_connection";
	req.prior_state = dv(cty_null(A, T), T);
	req.planned_state = pr->planned_state;
	req.config = dv(cfg, T);
	req.planned_private = pr->planned_private;
	Tfplugin6__ApplyResourceChange__Response *r =
		call("ApplyResourceChange", &req, &tfplugin6__apply_resource_change__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	ck_assert_uint_eq(r->private_.len, 4);
	cty_value *st = undv(r->new_state, T);
	ck_assert(cty_is_wholly_known(st));
	ck_assert_str_eq(cty_get_string(st, "id"), "/connections/c1");

	/* Delete: planned null -> new state null. */
	req.prior_state = dv(st, T);
	req.planned_state = dv(cty_null(A, T), T);
	req.config = dv(cty_null(A, T), T);
	r = call("ApplyResourceChange", &req, &tfplugin6__apply_resource_change__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	cty_value *gone = undv(r->new_state, T);
	ck_assert(cty_is_null(gone));
	ck_assert_int_eq(fx_deleted, 1);

	/* Failed create with a partial state: state and error together. */
	fx_mode = FX_FAIL_PARTIAL;
	req.prior_state = dv(cty_null(A, T), T);
	req.planned_state = pr->planned_state;
	req.config = dv(cfg, T);
	r = call("ApplyResourceChange", &req, &tfplugin6__apply_resource_change__response__descriptor);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Create failed", ""), 0);
	ck_assert_str_eq(cty_get_string(undv(r->new_state, T), "id"), "/connections/c1");
}
END_TEST

static int hook_stopped_before, hook_stopped_after;
static const char *hook_version;
static char hook_endpoint[128];

static void stop_from_read(tf_ctx *ctx)
{
	hook_stopped_before = tf_ctx_stopped(ctx);
	Tfplugin6__StopProvider__Request sreq = TFPLUGIN6__STOP_PROVIDER__REQUEST__INIT;
	Tfplugin6__StopProvider__Response *sr = call("StopProvider", &sreq, &tfplugin6__stop_provider__response__descriptor);
	ck_assert_str_eq(sr->error, "");
	hook_stopped_after = tf_ctx_stopped(ctx);
}

static void record_ctx(tf_ctx *ctx)
{
	hook_version = fy_arena_strdup(A, tf_ctx_terraform_version(ctx));
	fx_data *d = tf_ctx_provider_data(ctx);
	snprintf(hook_endpoint, sizeof(hook_endpoint), "%s", d ? d->endpoint : "(none)");
}

static Tfplugin6__ReadResource__Response *read_call(const cty_value *state)
{
	Tfplugin6__ReadResource__Request req = TFPLUGIN6__READ_RESOURCE__REQUEST__INIT;
	req.type_name = "fake_connection";
	req.current_state = dv(state, T);
	req.private_.data = (uint8_t *)"p1";
	req.private_.len = 2;
	return call("ReadResource", &req, &tfplugin6__read_resource__response__descriptor);
}

START_TEST(read_resource)
{
	cty_value *state = J(T, "{" BASE_CONFIG ",\"id\":\"/c/1\",\"header\":[]}");
	Tfplugin6__ReadResource__Response *r = read_call(state);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	ck_assert_uint_eq(r->private_.len, 2);
	ck_assert(memcmp(r->private_.data, "p1", 2) == 0);
	ck_assert_str_eq(cty_get_string(undv(r->new_state, T), "etag"), "e2");

	fx_mode = FX_GONE;
	r = read_call(state);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	ck_assert(cty_is_null(undv(r->new_state, T)));
}
END_TEST

START_TEST(configure_and_stop)
{
	/* Stop before configure: answered, nothing of the provider's to stop. */
	Tfplugin6__StopProvider__Request sreq = TFPLUGIN6__STOP_PROVIDER__REQUEST__INIT;
	Tfplugin6__StopProvider__Response *sr = call("StopProvider", &sreq, &tfplugin6__stop_provider__response__descriptor);
	ck_assert_str_eq(sr->error, "");
	ck_assert_int_eq(fx_stops, 0);

	Tfplugin6__ConfigureProvider__Request creq = TFPLUGIN6__CONFIGURE_PROVIDER__REQUEST__INIT;
	creq.terraform_version = "1.11.2";
	creq.config = dv(J(PT, "{\"endpoint\":\"https://one.example.com/\"}"), PT);
	Tfplugin6__ConfigureProvider__Response *cr =
		call("ConfigureProvider", &creq, &tfplugin6__configure_provider__response__descriptor);
	ck_assert_uint_eq(cr->n_diagnostics, 0);

	fx_read_hook = record_ctx;
	cty_value *state = J(T, "{" BASE_CONFIG ",\"id\":\"/c/1\",\"header\":[]}");
	read_call(state);
	ck_assert_str_eq(hook_version, "1.11.2");
	ck_assert_str_eq(hook_endpoint, "https://one.example.com/");

	/* Configured twice: the first data is freed, the second is used. */
	creq.config = dv(J(PT, "{\"endpoint\":\"https://two.example.com/\"}"), PT);
	call("ConfigureProvider", &creq, &tfplugin6__configure_provider__response__descriptor);
	ck_assert_int_eq(fx_frees, 1);
	read_call(state);
	ck_assert_str_eq(hook_endpoint, "https://two.example.com/");

	/* A refused configuration keeps the current data. */
	creq.config = dv(J(PT, "{\"endpoint\":\"https://refuse.example.com/\"}"), PT);
	cr = call("ConfigureProvider", &creq, &tfplugin6__configure_provider__response__descriptor);
	ck_assert_int_ge(find_diag(cr->diagnostics, cr->n_diagnostics, ERR, "Cannot configure", "endpoint"), 0);
	read_call(state);
	ck_assert_str_eq(hook_endpoint, "https://two.example.com/");

	/* StopProvider during a call: that call sees it, the next one starts fresh. */
	fx_read_hook = stop_from_read;
	read_call(state);
	ck_assert_int_eq(hook_stopped_before, 0);
	ck_assert_int_eq(hook_stopped_after, 1);
	ck_assert_int_eq(fx_stops, 1);
	read_call(state);
	ck_assert_int_eq(hook_stopped_before, 0);
	ck_assert_int_eq(fx_stops, 2);

	/* client_capabilities may be absent, and the config may carry unknowns. */
	cty_value *pc = J(PT, "{}");
	ck_assert_int_eq(cty_object_set(pc, "endpoint", cty_unknown(A, cty_type_string())), 0);
	creq.config = dv(pc, PT);
	creq.client_capabilities = NULL;
	cr = call("ConfigureProvider", &creq, &tfplugin6__configure_provider__response__descriptor);
	ck_assert_uint_eq(cr->n_diagnostics, 0);
	ck_assert_int_eq(fx_configures, 3);
}
END_TEST

START_TEST(import_resource_state)
{
	Tfplugin6__ImportResourceState__Request req = TFPLUGIN6__IMPORT_RESOURCE_STATE__REQUEST__INIT;
	req.type_name = "fake_connection";
	req.id = "/connections/imp";
	Tfplugin6__ImportResourceState__Response *r =
		call("ImportResourceState", &req, &tfplugin6__import_resource_state__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	ck_assert_uint_eq(r->n_imported_resources, 1);
	ck_assert_str_eq(r->imported_resources[0]->type_name, "fake_connection");
	ck_assert_uint_eq(r->imported_resources[0]->private_.len, 0);
	ck_assert_str_eq(cty_get_string(undv(r->imported_resources[0]->state, T), "id"), "/connections/imp");

	req.id = "missing";
	r = call("ImportResourceState", &req, &tfplugin6__import_resource_state__response__descriptor);
	ck_assert_uint_eq(r->n_imported_resources, 0);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Cannot import non-existent remote object", ""),
		0);
}
END_TEST

START_TEST(upgrade_resource_state)
{
	const char *json = "{\"name\":\"conn-a\",\"id\":\"/c/1\",\"old_field\":[1,2],\"header\":[{\"name\":\"h\","
			   "\"hash\":\"x\",\"dropped\":null}]}";
	Tfplugin6__RawState raw = TFPLUGIN6__RAW_STATE__INIT;
	raw.json.data = (uint8_t *)json;
	raw.json.len = strlen(json);
	Tfplugin6__UpgradeResourceState__Request req = TFPLUGIN6__UPGRADE_RESOURCE_STATE__REQUEST__INIT;
	req.type_name = "fake_connection";
	req.version = 1;
	req.raw_state = &raw;
	Tfplugin6__UpgradeResourceState__Response *r =
		call("UpgradeResourceState", &req, &tfplugin6__upgrade_resource_state__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 0);
	cty_value *st = undv(r->upgraded_state, T);
	ck_assert_str_eq(cty_get_string(st, "id"), "/c/1");
	ck_assert(cty_is_null(cty_get_attr(st, "etag")));
	ck_assert_str_eq(cty_get_string(cty_index(cty_get_attr(st, "header"), 0), "hash"), "x");

	req.version = 7;
	r = call("UpgradeResourceState", &req, &tfplugin6__upgrade_resource_state__response__descriptor);
	ck_assert_uint_eq(r->n_diagnostics, 1);
	ck_assert_ptr_null(r->upgraded_state);

	/* Flatmap (Terraform < 0.12): unsupported. */
	Tfplugin6__RawState__FlatmapEntry e = TFPLUGIN6__RAW_STATE__FLATMAP_ENTRY__INIT;
	e.key = "name";
	e.value = "conn-a";
	Tfplugin6__RawState__FlatmapEntry *ep = &e;
	Tfplugin6__RawState fm = TFPLUGIN6__RAW_STATE__INIT;
	fm.n_flatmap = 1;
	fm.flatmap = &ep;
	req.version = 0;
	req.raw_state = &fm;
	r = call("UpgradeResourceState", &req, &tfplugin6__upgrade_resource_state__response__descriptor);
	ck_assert_int_ge(find_diag(r->diagnostics, r->n_diagnostics, ERR, "Unsupported state format", ""), 0);
}
END_TEST

START_TEST(identity_functions_and_unsupported)
{
	Tfplugin6__GetResourceIdentitySchemas__Request iq = TFPLUGIN6__GET_RESOURCE_IDENTITY_SCHEMAS__REQUEST__INIT;
	Tfplugin6__GetResourceIdentitySchemas__Response *ir =
		call("GetResourceIdentitySchemas", &iq, &tfplugin6__get_resource_identity_schemas__response__descriptor);
	ck_assert_uint_eq(ir->n_identity_schemas, 0);
	ck_assert_uint_eq(ir->n_diagnostics, 0);

	Tfplugin6__UpgradeResourceIdentity__Request uq = TFPLUGIN6__UPGRADE_RESOURCE_IDENTITY__REQUEST__INIT;
	uq.type_name = "fake_connection";
	Tfplugin6__UpgradeResourceIdentity__Response *ur =
		call("UpgradeResourceIdentity", &uq, &tfplugin6__upgrade_resource_identity__response__descriptor);
	ck_assert_uint_eq(ur->n_diagnostics, 1);
	ck_assert_int_eq(ur->diagnostics[0]->severity, ERR);

	Tfplugin6__MoveResourceState__Request mq = TFPLUGIN6__MOVE_RESOURCE_STATE__REQUEST__INIT;
	mq.target_type_name = "fake_connection"; /* declares no move */
	Tfplugin6__MoveResourceState__Response *mr =
		call("MoveResourceState", &mq, &tfplugin6__move_resource_state__response__descriptor);
	ck_assert_uint_eq(mr->n_diagnostics, 1);
	ck_assert(strstr(mr->diagnostics[0]->summary, "not supported") != NULL);

	Tfplugin6__GenerateResourceConfig__Request gq = TFPLUGIN6__GENERATE_RESOURCE_CONFIG__REQUEST__INIT;
	Tfplugin6__GenerateResourceConfig__Response *gr =
		call("GenerateResourceConfig", &gq, &tfplugin6__generate_resource_config__response__descriptor);
	ck_assert_uint_eq(gr->n_diagnostics, 1);

	Tfplugin6__OpenEphemeralResource__Request oq = TFPLUGIN6__OPEN_EPHEMERAL_RESOURCE__REQUEST__INIT;
	oq.type_name = "fake_connection";
	Tfplugin6__OpenEphemeralResource__Response *orr =
		call("OpenEphemeralResource", &oq, &tfplugin6__open_ephemeral_resource__response__descriptor);
	ck_assert_uint_eq(orr->n_diagnostics, 1);
	ck_assert_int_eq(orr->diagnostics[0]->severity, ERR);
	ck_assert_str_eq(orr->diagnostics[0]->summary, "Unknown ephemeral resource type");

	Tfplugin6__LockState__Request lq = TFPLUGIN6__LOCK_STATE__REQUEST__INIT;
	Tfplugin6__LockState__Response *lr = call("LockState", &lq, &tfplugin6__lock_state__response__descriptor);
	ck_assert_uint_eq(lr->n_diagnostics, 1);
	ck_assert(strstr(lr->diagnostics[0]->summary, "state stores") != NULL);

	Tfplugin6__GetFunctions__Request fq = TFPLUGIN6__GET_FUNCTIONS__REQUEST__INIT;
	Tfplugin6__GetFunctions__Response *fr = call("GetFunctions", &fq, &tfplugin6__get_functions__response__descriptor);
	ck_assert_uint_eq(fr->n_functions, 0);
	ck_assert_uint_eq(fr->n_diagnostics, 0);

	Tfplugin6__CallFunction__Request cq = TFPLUGIN6__CALL_FUNCTION__REQUEST__INIT;
	cq.name = "parse";
	Tfplugin6__CallFunction__Response *cr = call("CallFunction", &cq, &tfplugin6__call_function__response__descriptor);
	ck_assert_ptr_nonnull(cr->error);
	ck_assert(strstr(cr->error->text, "parse") != NULL);
	ck_assert_ptr_null(cr->result);
}
END_TEST

/* ------------------------------------------------------------------ logging and threads */

START_TEST(logs_never_carry_values)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	tflog_set_output(f, TFLOG_TRACE);

	cty_value *cfg = J(T, "{" BASE_CONFIG ",\"secret\":\"SECRET-ONE\",\"api_key_wo\":\"SECRET-TWO\",\"header\":[]}");
	Tfplugin6__ClientCapabilities caps = TFPLUGIN6__CLIENT_CAPABILITIES__INIT;
	caps.write_only_attributes_allowed = 1;
	Tfplugin6__ValidateResourceConfig__Request vq = TFPLUGIN6__VALIDATE_RESOURCE_CONFIG__REQUEST__INIT;
	vq.type_name = "fake_connection";
	vq.config = dv(cfg, T);
	vq.client_capabilities = &caps;
	call("ValidateResourceConfig", &vq, &tfplugin6__validate_resource_config__response__descriptor);
	fx_mode = FX_DRIFT; /* makes the plumbing log a provider bug */
	Tfplugin6__PlanResourceChange__Response *pr = plan_call(NULL, cfg);
	Tfplugin6__ApplyResourceChange__Request aq = TFPLUGIN6__APPLY_RESOURCE_CHANGE__REQUEST__INIT;
	aq.type_name = "fake_connection";
	aq.prior_state = dv(cty_null(A, T), T);
	aq.planned_state = pr->planned_state;
	aq.config = dv(cfg, T);
	call("ApplyResourceChange", &aq, &tfplugin6__apply_resource_change__response__descriptor);

	tflog_set_output(NULL, TFLOG_OFF);
	fclose(f);
	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(strstr(buf, "PlanResourceChange") != NULL, "no trace line: %s", buf);
	ck_assert(strstr(buf, "fake_connection") != NULL);
	ck_assert_msg(strstr(buf, "\"target\"") != NULL || strstr(buf, "target") != NULL, "bug not logged: %s", buf);
	ck_assert(strstr(buf, "SECRET") == NULL);
	ck_assert(strstr(buf, "apim.example.com") == NULL); /* no values at all */
	free(buf);
}
END_TEST

/* Values of sensitive and write-only attributes are registered with tflog's redaction when decoded, so a
 * later log line that quotes them by another route (an ARM body at DEBUG) never prints them. */
START_TEST(decoded_secrets_are_redacted_everywhere)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	cty_value *cfg = J(T, "{" BASE_CONFIG ",\"secret\":\"SEKRIT-sensitive-value\",\"api_key_wo\":\"SEKRIT-wo-value\","
			      "\"header\":[]}");
	Tfplugin6__ClientCapabilities caps = TFPLUGIN6__CLIENT_CAPABILITIES__INIT;
	caps.write_only_attributes_allowed = 1;
	Tfplugin6__ValidateResourceConfig__Request vq = TFPLUGIN6__VALIDATE_RESOURCE_CONFIG__REQUEST__INIT;
	vq.type_name = "fake_connection";
	vq.config = dv(cfg, T);
	vq.client_capabilities = &caps;
	call("ValidateResourceConfig", &vq, &tfplugin6__validate_resource_config__response__descriptor);

	tflog_set_output(f, TFLOG_TRACE);
	tflog(TFLOG_DEBUG, "test", "body {\"x\":\"SEKRIT-sensitive-value\",\"y\":\"pre-SEKRIT-wo-value-post\"}");
	tflog_set_output(NULL, TFLOG_OFF);
	fclose(f);
	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(strstr(buf, "SEKRIT") == NULL, "secret logged: %s", buf);
	ck_assert(strstr(buf, "pre-") != NULL);
	free(buf);
}
END_TEST

typedef struct worker {
	int failures;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	fy_arena *a = NULL;
	if (fy_arena_new(&a) != 0)
		return NULL;
	for (int i = 0; i < 40; i++) {
		cty_value *cfg = NULL;
		const char *json = CONFIG;
		if (cty_json_decode(&cfg, a, T, json, strlen(json)) != 0) {
			w->failures++;
			continue;
		}
		Tfplugin6__PlanResourceChange__Request req = TFPLUGIN6__PLAN_RESOURCE_CHANGE__REQUEST__INIT;
		req.type_name = "fake_connection";
		req.prior_state = dv_in(a, cty_null(a, T), T);
		req.config = dv_in(a, cfg, T); /* no proposed state: the server computes it */
		Tfplugin6__PlanResourceChange__Response *r =
			call_in(a, "PlanResourceChange", &req, &tfplugin6__plan_resource_change__response__descriptor);
		cty_value *p = undv_in(a, r->planned_state, T);
		if (r->n_diagnostics != 0 || cty_is_known(cty_get_attr(p, "id")))
			w->failures++;
		Tfplugin6__StopProvider__Request sreq = TFPLUGIN6__STOP_PROVIDER__REQUEST__INIT;
		call_in(a, "StopProvider", &sreq, &tfplugin6__stop_provider__response__descriptor);
	}
	fy_arena_free(a);
	return NULL;
}

START_TEST(concurrent_calls)
{
	enum { N = 4 };
	pthread_t th[N];
	worker w[N];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	/* Reconfigure while the workers plan: each swap frees the previous data safely. */
	for (int i = 0; i < 10; i++) {
		fy_arena *a = NULL;
		ck_assert_int_eq(fy_arena_new(&a), 0);
		Tfplugin6__ConfigureProvider__Request creq = TFPLUGIN6__CONFIGURE_PROVIDER__REQUEST__INIT;
		cty_value *pc = NULL;
		ck_assert_int_eq(cty_json_decode(&pc, a, PT, "{}", 2), 0);
		creq.config = dv_in(a, pc, PT);
		creq.terraform_version = "1.12.0";
		call_in(a, "ConfigureProvider", &creq, &tfplugin6__configure_provider__response__descriptor);
		fy_arena_free(a);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(fx_configures, 10);
	ck_assert_int_eq(fx_frees, 9);
}
END_TEST

START_TEST(bad_provider_table)
{
	static const tf_attribute attrs[] = {{.name = "x", .type = "\"string\"", .flags = TF_REQUIRED | TF_COMPUTED}, {0}};
	static const tf_block b = {.attributes = attrs};
	static const tf_resource r = {.type_name = "fake_bad_thing", .schema = &b};
	static const tf_resource *const rs[] = {&fx_resource, &r, NULL};
	static const tf_provider p = {.name = "fake", .resources = rs};
	tf_server *s = NULL;
	ck_assert_int_eq(tf_server_new(&s, &p), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "fake_bad_thing") != NULL);
	ck_assert(strstr(fy_error_last()->message, "cannot set both Computed and Required") != NULL);

	/* The catalog's own rules: unique names, the provider's prefix, the operations a kind needs, an identity
	 * with an import over string attributes. */
	static const tf_resource *const dup[] = {&fx_resource, &fx_resource, NULL};
	static const tf_provider p2 = {.name = "fake", .resources = dup};
	ck_assert_int_eq(tf_server_new(&s, &p2), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "declared twice") != NULL);
	static const tf_provider p3 = {.name = "other", .resources = rs};
	ck_assert_int_eq(tf_server_new(&s, &p3), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "must start with \"other_\"") != NULL);
	static const tf_attribute ok_attrs[] = {{.name = "x", .type = "\"string\"", .flags = TF_REQUIRED}, {0}};
	static const tf_block ok = {.attributes = ok_attrs};
	static const tf_resource no_read = {.type_name = "fake_no_read", .schema = &ok, .create = fx_resource.create,
		.delete = fx_resource.delete};
	static const tf_resource *const rs4[] = {&no_read, NULL};
	static const tf_provider p4 = {.name = "fake", .resources = rs4};
	ck_assert_int_eq(tf_server_new(&s, &p4), FY_EINVALID);
	ck_assert_str_eq(fy_error_last()->message, "resource \"fake_no_read\" declares no read operation");
	static const tf_identity_attr ia[] = {{"y", 1, "not in the schema"}, {0}};
	static const tf_identity idn = {.attrs = ia, .import_id = NULL};
	static const tf_resource bad_id = {.type_name = "fake_bad_identity", .schema = &ok, .create = fx_resource.create,
		.read = fx_resource.read, .delete = fx_resource.delete, .import = fx_resource.import, .identity = &idn};
	static const tf_resource *const rs5[] = {&bad_id, NULL};
	static const tf_provider p5 = {.name = "fake", .resources = rs5};
	ck_assert_int_eq(tf_server_new(&s, &p5), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "identity but no import") != NULL);
	static const tf_ephemeral_resource eph = {.type_name = "fake_check", .schema = &ok};
	static const tf_ephemeral_resource *const es[] = {&eph, NULL};
	static const tf_provider p6 = {.name = "fake", .ephemeral_resources = es};
	ck_assert_int_eq(tf_server_new(&s, &p6), FY_EINVALID);
	ck_assert_str_eq(fy_error_last()->message, "ephemeral resource \"fake_check\" declares no open operation");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tf_server");
	TCase *tc = tcase_create("handlers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, get_provider_schema);
	tcase_add_test(tc, get_metadata_and_registration);
	tcase_add_test(tc, validate_resource_config);
	tcase_add_test(tc, unknown_type_and_bad_values_are_diagnostics);
	tcase_add_test(tc, validate_provider_and_data_source);
	tcase_add_test(tc, plan_resource_change);
	tcase_add_test(tc, apply_resource_change);
	tcase_add_test(tc, read_resource);
	tcase_add_test(tc, configure_and_stop);
	tcase_add_test(tc, import_resource_state);
	tcase_add_test(tc, upgrade_resource_state);
	tcase_add_test(tc, identity_functions_and_unsupported);
	tcase_add_test(tc, logs_never_carry_values);
	tcase_add_test(tc, decoded_secrets_are_redacted_everywhere);
	tcase_add_test(tc, concurrent_calls);
	tcase_add_test(tc, bad_provider_table);
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
