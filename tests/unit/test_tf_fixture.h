/*
 * A small fake provider for the tf suites: every kind of attribute the table can express (required, optional,
 * computed, default, sensitive, write-only, requires-replace, state-for-unknown, deprecated), a nested list
 * attribute, a nested single attribute, a nested list block, and operations whose behaviour a test steers.
 */
#ifndef TEST_TF_FIXTURE_H
#define TEST_TF_FIXTURE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal/tf/tf.h"

/* ------------------------------------------------------------------ the table */

static const char *const fx_kinds[] = {"ApiManagement", "ModelGateway", NULL};
static const char *const fx_auth_types[] = {"ApiKey", "OAuth2", NULL};

static const tf_validator fx_v_kind[] = {{.kind = TF_V_ONE_OF, .one_of = fx_kinds}, {.kind = TF_V_END}};
static const tf_validator fx_v_auth_type[] = {{.kind = TF_V_ONE_OF, .one_of = fx_auth_types}, {.kind = TF_V_END}};
static const tf_validator fx_v_url[] = {{.kind = TF_V_HTTPS_URL}, {.kind = TF_V_END}};
static const tf_validator fx_v_name[] = {
	{.kind = TF_V_NOT_EMPTY},
	{.kind = TF_V_REGEX, .pattern = "[a-z][a-z0-9-]*", .message = "Names are lower-case letters, digits and dashes."},
	{.kind = TF_V_END}};
static const tf_validator fx_v_header[] = {{.kind = TF_V_CONTAINS, .pattern = "-"}, {.kind = TF_V_END}};
static const tf_validator fx_v_tags[] = {{.kind = TF_V_NOT_EMPTY}, {.kind = TF_V_END}};

static const tf_attribute fx_model_attrs[] = {
	{.name = "name", .type = "\"string\"", .flags = TF_REQUIRED | TF_REPLACE, .description = "Model name."},
	{.name = "version", .type = "\"string\"", .flags = TF_OPTIONAL | TF_COMPUTED, .default_json = "\"latest\""},
	{.name = "id", .type = "\"string\"", .flags = TF_COMPUTED},
	{0}};
static const tf_object fx_model_obj = {.attributes = fx_model_attrs};

static const tf_attribute fx_auth_attrs[] = {
	{.name = "type", .type = "\"string\"", .flags = TF_REQUIRED, .validators = fx_v_auth_type},
	{.name = "key", .type = "\"string\"", .flags = TF_OPTIONAL | TF_SENSITIVE},
	{.name = "header", .type = "\"string\"", .flags = TF_OPTIONAL | TF_COMPUTED, .default_json = "\"api-key\"",
		.validators = fx_v_header},
	{0}};
static const tf_object fx_auth_obj = {.attributes = fx_auth_attrs};

static const tf_attribute fx_header_attrs[] = {
	{.name = "name", .type = "\"string\"", .flags = TF_REQUIRED},
	{.name = "value", .type = "\"string\"", .flags = TF_OPTIONAL},
	{.name = "hash", .type = "\"string\"", .flags = TF_COMPUTED},
	{0}};
static const tf_block fx_header_block = {.description = "An extra header.", .attributes = fx_header_attrs};
static const tf_block_type fx_blocks[] = {
	{.name = "header", .nesting = TF_NEST_LIST, .block = &fx_header_block},
	{0}};

static const tf_attribute fx_attrs[] = {
	{.name = "name", .type = "\"string\"", .flags = TF_REQUIRED | TF_REPLACE, .validators = fx_v_name,
		.description = "The connection **name**."},
	{.name = "kind", .type = "\"string\"", .flags = TF_REQUIRED, .validators = fx_v_kind},
	{.name = "target", .type = "\"string\"", .flags = TF_REQUIRED, .validators = fx_v_url},
	{.name = "description", .type = "\"string\"", .flags = TF_OPTIONAL},
	{.name = "legacy", .type = "\"string\"", .flags = TF_OPTIONAL, .deprecation = "Use description instead."},
	{.name = "tags", .type = "[\"map\",\"string\"]", .flags = TF_OPTIONAL, .validators = fx_v_tags},
	{.name = "shared", .type = "\"bool\"", .flags = TF_OPTIONAL | TF_COMPUTED, .default_json = "false"},
	{.name = "count", .type = "\"number\"", .flags = TF_OPTIONAL | TF_COMPUTED},
	{.name = "id", .type = "\"string\"", .flags = TF_COMPUTED | TF_STATE_FOR_UNKNOWN},
	{.name = "etag", .type = "\"string\"", .flags = TF_COMPUTED},
	{.name = "secret", .type = "\"string\"", .flags = TF_OPTIONAL | TF_SENSITIVE},
	{.name = "api_key_wo", .type = "\"string\"", .flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY},
	{.name = "models", .nested = &fx_model_obj, .nesting = TF_NEST_LIST, .flags = TF_OPTIONAL},
	{.name = "auth", .nested = &fx_auth_obj, .nesting = TF_NEST_SINGLE, .flags = TF_OPTIONAL},
	{0}};

static const tf_block fx_schema = {
	.version = 1,
	.description = "A **fake** connection.",
	.attributes = fx_attrs,
	.blocks = fx_blocks,
};

static const tf_attribute fx_ds_attrs[] = {
	{.name = "name", .type = "\"string\"", .flags = TF_REQUIRED},
	{.name = "target", .type = "\"string\"", .flags = TF_COMPUTED},
	{0}};
static const tf_block fx_ds_schema = {.attributes = fx_ds_attrs};

static const tf_attribute fx_provider_attrs[] = {
	{.name = "endpoint", .type = "\"string\"", .flags = TF_OPTIONAL, .validators = fx_v_url},
	{.name = "client_secret", .type = "\"string\"", .flags = TF_OPTIONAL | TF_SENSITIVE},
	{0}};
static const tf_block fx_provider_schema = {.attributes = fx_provider_attrs};

/* ------------------------------------------------------------------ steerable behaviour */

enum fx_mode {
	FX_OK = 0,
	FX_FAIL_PARTIAL,   /* create/update fail with a partial state */
	FX_FAIL_NONE,      /* create/update fail with no state */
	FX_DRIFT,          /* apply returns a different value for a known planned attribute, leaves count unknown */
	FX_GONE,           /* read: the object no longer exists */
	FX_READ_UNKNOWN,   /* read returns an unknown value */
	FX_BAD_MODIFY      /* modify_plan also changes a configured attribute */
};

static enum fx_mode fx_mode;
static int fx_deleted;
static _Atomic int fx_stops;
static _Atomic int fx_frees;
static _Atomic int fx_configures;
/* Called at the start of read(), so a test can look at the context a handler built. */
static void (*fx_read_hook)(tf_ctx *ctx);

static cty_value *fx_set(tf_ctx *ctx, cty_value *obj, const char *name, const char *s)
{
	ck_assert_int_eq(cty_object_set(obj, name, cty_string(tf_ctx_arena(ctx), s)), 0);
	return obj;
}

static void fx_validate(tf_ctx *ctx, const cty_value *config)
{
	const char *kind = cty_get_string(config, "kind");
	const cty_value *auth = cty_get_attr(config, "auth");
	if (kind != NULL && strcmp(kind, "ModelGateway") == 0 && auth != NULL && cty_is_known(auth) && cty_is_null(auth))
		tf_error(ctx, tf_path(ctx, "auth"), "Missing auth", "A ModelGateway connection needs an auth block.");
}

static void fx_modify_plan(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned)
{
	(void)config;
	/* A value known at plan time: the etag of a new object is predictable. */
	if (prior == NULL)
		fx_set(ctx, planned, "etag", "planned-etag");
	if (fx_mode == FX_BAD_MODIFY)
		fx_set(ctx, planned, "kind", "ModelGateway");
}

static int fx_create(cty_value **out, tf_ctx *ctx, const cty_value *planned, const cty_value *config)
{
	(void)config;
	fy_arena *a = tf_ctx_arena(ctx);
	cty_value *st = cty_copy(a, planned);
	if (fx_mode == FX_FAIL_NONE) {
		tf_error(ctx, NULL, "Create failed", "The emulator said no.");
		return FY_EIO;
	}
	fx_set(ctx, st, "id", "/connections/c1");
	if (fx_mode == FX_FAIL_PARTIAL) {
		/* Half made: the id exists, the rest is unknown still. */
		*out = st;
		return fy_error_set(FY_EIO, "the second request failed");
	}
	if (!cty_is_known(cty_get_attr(st, "etag")))
		fx_set(ctx, st, "etag", "e1");
	if (fx_mode == FX_DRIFT)
		fx_set(ctx, st, "target", "https://normalized.example.com/");
	/* Fill the unknowns a real resource would learn from the server. */
	cty_value *models = cty_get_attr(st, "models");
	if (models != NULL && cty_is_known(models) && !cty_is_null(models))
		for (size_t i = 0; i < cty_length(models); i++)
			fx_set(ctx, cty_index(models, i), "id", "m-id");
	cty_value *headers = cty_get_attr(st, "header");
	for (size_t i = 0; headers != NULL && cty_is_known(headers) && i < cty_length(headers); i++)
		fx_set(ctx, cty_index(headers, i), "hash", "h");
	if (fx_mode != FX_DRIFT && !cty_is_known(cty_get_attr(st, "count")))
		ck_assert_int_eq(cty_object_set(st, "count", cty_number_int(a, 3)), 0);
	/* A careless resource echoing the write-only value: the plumbing must drop it. */
	const char *wo = cty_get_string(config, "api_key_wo");
	if (wo != NULL)
		fx_set(ctx, st, "api_key_wo", wo);
	*out = st;
	return 0;
}

static int fx_update(cty_value **out, tf_ctx *ctx, const cty_value *planned, const cty_value *prior,
	const cty_value *config)
{
	(void)prior;
	if (fx_mode == FX_FAIL_NONE)
		return fy_error_set(FY_EIO, "update refused");
	if (fx_mode == FX_FAIL_PARTIAL) {
		*out = cty_copy(tf_ctx_arena(ctx), prior);
		fx_set(ctx, *out, "description", "half-updated");
		tf_error(ctx, NULL, "Update failed", "Only part of the update went through.");
		return FY_EIO;
	}
	return fx_create(out, ctx, planned, config);
}

static int fx_read(cty_value **out, tf_ctx *ctx, const cty_value *state)
{
	if (fx_read_hook != NULL)
		fx_read_hook(ctx);
	if (fx_mode == FX_GONE) {
		*out = NULL;
		return 0;
	}
	cty_value *st = cty_copy(tf_ctx_arena(ctx), state);
	if (fx_mode == FX_READ_UNKNOWN)
		ck_assert_int_eq(cty_object_set(st, "etag", cty_unknown(tf_ctx_arena(ctx), cty_type_string())), 0);
	else
		fx_set(ctx, st, "etag", "e2");
	*out = st;
	return 0;
}

static int fx_delete(tf_ctx *ctx, const cty_value *prior)
{
	(void)ctx;
	(void)prior;
	fx_deleted++;
	return 0;
}

static int fx_import(cty_value **out, tf_ctx *ctx, const char *id)
{
	if (strcmp(id, "missing") == 0) {
		*out = NULL;
		return 0;
	}
	cty_value *st = cty_object(tf_ctx_arena(ctx), tf_ctx_schema_type(ctx));
	fx_set(ctx, st, "id", id);
	*out = st;
	return 0;
}

static const tf_resource fx_resource = {
	.type_name = "fake_connection",
	.schema = &fx_schema,
	.validate = fx_validate,
	.modify_plan = fx_modify_plan,
	.create = fx_create,
	.read = fx_read,
	.update = fx_update,
	.delete = fx_delete,
	.import = fx_import,
};

static int fx_ds_read(cty_value **out, tf_ctx *ctx, const cty_value *config)
{
	cty_value *st = cty_copy(tf_ctx_arena(ctx), config);
	fx_set(ctx, st, "target", "https://found.example.com/");
	*out = st;
	return 0;
}

static const tf_data_source fx_data_source = {
	.type_name = "fake_connection",
	.schema = &fx_ds_schema,
	.read = fx_ds_read,
};

typedef struct fx_data {
	char endpoint[128];
} fx_data;

static int fx_configure(void **out, tf_ctx *ctx, const cty_value *config)
{
	const char *ep = cty_get_string(config, "endpoint");
	if (ep != NULL && strcmp(ep, "https://refuse.example.com/") == 0) {
		tf_error(ctx, tf_path(ctx, "endpoint"), "Cannot configure", "Refused.");
		return FY_EINVALID;
	}
	fx_data *d = calloc(1, sizeof(*d));
	ck_assert_ptr_nonnull(d);
	snprintf(d->endpoint, sizeof(d->endpoint), "%s", ep ? ep : "");
	fx_configures++;
	*out = d;
	return 0;
}

static void fx_data_free(void *data)
{
	fx_frees++;
	free(data);
}

static void fx_stop(void *data)
{
	(void)data;
	fx_stops++;
}

static const tf_resource *const fx_resources[] = {&fx_resource, NULL};
static const tf_data_source *const fx_data_sources[] = {&fx_data_source, NULL};

static const tf_provider fx_provider = {
	.name = "fake",
	.version = "0.0.1",
	.schema = &fx_provider_schema,
	.configure = fx_configure,
	.data_free = fx_data_free,
	.stop = fx_stop,
	.resources = fx_resources,
	.data_sources = fx_data_sources,
};

static void fx_reset(void)
{
	fx_mode = FX_OK;
	fx_deleted = fx_stops = fx_frees = fx_configures = 0;
	fx_read_hook = NULL;
}

#endif
