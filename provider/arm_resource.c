/* Shared ARM resource operations (see arm_resource.h). */
#include "provider/arm_resource.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal/log/tflog.h"
#include "provider/client.h"

#define LOG_MODULE "foundry.provider"

/* ---------------------------------------------------------------- timeouts */

static const tf_validator v_duration[];

static const tf_attribute timeout_attrs[] = {
	{.name = "create",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_duration,
		.description = "How long a create may take, retries included, e.g. `\"30m\"` (default 10 minutes)."},
	{.name = "read",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_duration,
		.description = "How long a read may take (default 10 minutes)."},
	{.name = "update",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_duration,
		.description = "How long an update may take (default 10 minutes)."},
	{.name = "delete",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_duration,
		.description = "How long a delete may take (default 10 minutes)."},
	{0},
};
const tf_block foundry_arm_timeouts_block = {
	.description = "Limits for each operation, as in azurerm and azapi: a Go duration such as `\"45s\"`, `\"30m\"` "
		       "or `\"1h30m\"`.",
	.attributes = timeout_attrs,
};

int foundry_duration_ms(long *out, const char *s)
{
	/* Units as Go's time.ParseDuration names them; ns and us round down to whole milliseconds. */
	static const struct {
		const char *unit;
		double ms;
	} units[] = {{"ms", 1}, {"us", 1e-3}, {"µs", 1e-3}, {"ns", 1e-6}, {"h", 3600e3}, {"m", 60e3}, {"s", 1e3}};
	double total = 0;
	const char *p = s;
	if (!s || !*s)
		return fy_error_set(FY_EINVALID, "a duration is a number with a unit, e.g. \"30m\" or \"1h30m\"");
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return fy_error_set(FY_EINVALID, "\"%s\" is not a duration: expected a number at \"%s\"", s, p);
		double v = strtod(p, &end);
		if (end == p)
			return fy_error_set(FY_EINVALID, "\"%s\" is not a duration", s);
		size_t u = 0;
		for (; u < sizeof units / sizeof units[0]; u++)
			if (strncmp(end, units[u].unit, strlen(units[u].unit)) == 0)
				break;
		if (u == sizeof units / sizeof units[0])
			return fy_error_set(FY_EINVALID,
				"\"%s\" is not a duration: a unit (h, m, s, ms) must follow %.*s", s, (int)(end - p),
				p);
		total += v * units[u].ms;
		p = end + strlen(units[u].unit);
	}
	if (total > 7.0 * 24 * 3600e3)
		return fy_error_set(FY_EINVALID, "\"%s\" is longer than a week", s);
	*out = (long)total;
	return 0;
}

static void validate_duration(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	long ms;
	if (s && foundry_duration_ms(&ms, s) < 0)
		tf_diag_add(d, TF_ERROR, path, "Invalid duration", "%s.", fy_error_last()->message);
}
static const tf_validator v_duration[] = {{.kind = TF_V_FUNC, .func = validate_duration}, {0}};

/* The operation's limit from the value's timeouts block; 0 = the client's default. */
static long timeout_of(const cty_value *v, const char *op)
{
	const cty_value *t = cty_get_attr(v, "timeouts");
	const char *s = cty_is_set(t) ? cty_get_string(t, op) : NULL;
	long ms = 0;
	if (s && foundry_duration_ms(&ms, s) < 0)
		ms = 0;
	return ms;
}

/* timeouts is the configuration's, not ARM's: what a state had (or a plan said), it keeps. */
static void keep_timeouts(cty_value *st, const cty_value *from)
{
	cty_value *t = cty_is_set(from) ? cty_get_attr(from, "timeouts") : NULL;
	if (st && t && cty_get_attr(st, "timeouts"))
		cty_object_set(st, "timeouts", t);
}

/* ------------------------------------------------------------------ calls */

void foundry_arm_error(tf_ctx *ctx, const char *what, const char *id, const arm_result *r)
{
	/* ARM's error text (and a transport or auth error) is not ours: a service that quotes the request, say a
	 * header value, would put a secret into the diagnostic, which Terraform prints. tflog_redact removes every
	 * registered secret, as it does for log lines. */
	fy_arena *a = tf_ctx_arena(ctx);
	if (r) {
		char *d = arm_result_describe(r);
		tf_error(ctx, NULL, "ARM rejected the request", "Could not %s \"%s\".\n\n%s", what, id,
			tflog_redact(a, d ? d : ""));
		free(d);
	} else {
		tf_error(ctx, NULL, fy_arena_sprintf(a, "Failed to %s", what), "%s: %s", id,
			tflog_redact(a, fy_error_last()->message));
	}
}

static const foundry_arm_resource *impl_of(tf_ctx *ctx)
{
	const foundry_arm_resource *r = tf_ctx_impl(ctx);
	if (!r)
		tf_error(ctx, NULL, "Internal error", "An ARM resource operation ran without its declaration (a bug).");
	return r;
}

/* One ARM call; 0 when ARM answered (any status). Failures to authenticate or to reach ARM become diagnostics
 * that say `what` ("create connection"). */
static int call(arm_result **out, tf_ctx *ctx, const foundry_arm_resource *res, const char *method, const char *id,
	const char *body, const char *what, long timeout_ms)
{
	foundry_client *c = tf_ctx_provider_data(ctx);
	arm_client *arm;
	if (!c) {
		tf_error(ctx, NULL, "Provider not configured",
			"The foundry provider was not configured before this operation (a bug in the caller).");
		return FY_EINVALID;
	}
	if (foundry_client_arm(&arm, c) < 0) {
		tf_error(ctx, NULL, "Cannot authenticate to Azure", "Could not %s \"%s\": %s", what, id,
			tflog_redact(tf_ctx_arena(ctx), fy_error_last()->message));
		return FY_EAUTH;
	}
	tflog_kv(TFLOG_DEBUG, LOG_MODULE, "ARM request", "method", method, "id", id, NULL);
	int rc = arm_do_within(out, arm, method, id,
		res->api_version ? res->api_version : foundry_client_api_version(c), body, timeout_ms);
	if (rc < 0)
		foundry_arm_error(ctx, what, id, NULL);
	return rc;
}

/* The object's id from a value's parent_id and name; NULL (and a diagnostic) when either is missing. */
static char *id_of(tf_ctx *ctx, const foundry_arm_resource *res, const cty_value *v, const char *what)
{
	const char *parent = cty_get_string(v, "parent_id");
	const char *name = cty_get_string(v, "name");
	if (parent && name)
		return foundry_arm_id_join(tf_ctx_arena(ctx), res->id, parent, name);
	tf_error(ctx, NULL, fy_arena_sprintf(tf_ctx_arena(ctx), "Failed to %s", what),
		"parent_id and name must be known.");
	return NULL;
}

/* An answer the operation does not expect: ARM's error as a diagnostic; the result is freed. */
static int unexpected(tf_ctx *ctx, const char *what, const char *id, arm_result *r)
{
	foundry_arm_error(ctx, what, id, r);
	arm_result_free(r);
	return FY_ERROR;
}

/* GET the object that a state or configuration names; *out_id is its ARM id. */
static int get_named(arm_result **out, const char **out_id, tf_ctx *ctx, const foundry_arm_resource *res,
	const cty_value *v, const char *what)
{
	*out = NULL;
	*out_id = id_of(ctx, res, v, what);
	if (!*out_id)
		return FY_EINVALID;
	return call(out, ctx, res, "GET", *out_id, NULL, what, timeout_of(v, "read"));
}

/* A response body read into state through from_arm; a diagnostic naming the object when it cannot be. */
static int state_from(cty_value **out, tf_ctx *ctx, const foundry_arm_resource *res, const cty_type *type,
	const arm_result *r, const cty_value *prior, const char *id)
{
	cJSON *body = cJSON_ParseWithLength(r->body, r->body_len);
	int rc = cJSON_IsObject(body) ? res->from_arm(out, tf_ctx_arena(ctx), type, body, prior, tf_ctx_diags(ctx))
				      : fy_error_set(FY_EINVALID, "the body is not a JSON object");
	cJSON_Delete(body);
	if (rc == 0)
		keep_timeouts(*out, prior);
	if (rc < 0)
		tf_error(ctx, NULL, "Unreadable ARM response",
			"ARM answered %ld for %s \"%s\" with a body that is not a %s: %s. Nothing was changed in the "
			"state; this is usually a proxy or gateway in the way, or a fault in the service.",
			r->status, res->id->noun, id, res->id->noun, fy_error_last()->message);
	return rc;
}

/* ------------------------------------------------------------------ writes */

/*
 * Create and update: one PUT of the full body; its response is the new state (no GET after it). On failure
 * *out_state is what exists: the prior state for an update, nothing for a create. A create whose PUT failed in
 * transport may have reached ARM: no state is returned, and the next apply's existence check names the import.
 */
static int put(cty_value **out_state, tf_ctx *ctx, const foundry_arm_resource *res, const cty_value *planned,
	const cty_value *config, const cty_value *prior)
{
	fy_arena *a = tf_ctx_arena(ctx);
	const char *what = fy_arena_sprintf(a, "%s %s", prior ? "update" : "create", res->id->noun);
	*out_state = prior ? cty_copy(a, prior) : NULL;
	char *id = id_of(ctx, res, planned, what);
	if (!id)
		return FY_EINVALID;
	tf_ctx_register_secrets(ctx, planned);
	tf_ctx_register_secrets(ctx, config);
	cJSON *body;
	if (res->to_arm(&body, planned, config) < 0) {
		tf_error(ctx, NULL, fy_arena_sprintf(a, "Failed to %s", what), "%s: %s", id, fy_error_last()->message);
		return FY_EINVALID;
	}
	char *text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!text)
		fy_oom();
	arm_result *r = NULL;
	int rc = call(&r, ctx, res, "PUT", id, text, what, timeout_of(planned, prior ? "update" : "create"));
	cJSON_free(text);
	if (rc < 0)
		return rc;
	if (r->status != 200 && r->status != 201) {
		return unexpected(ctx, what, id, r);
	}
	cty_value *st = NULL;
	cJSON *resp = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	if (cJSON_IsObject(resp) && res->from_arm(&st, a, tf_ctx_schema_type(ctx), resp, planned, NULL) == 0) {
		keep_timeouts(st, planned);
		*out_state = st;
	} else
		*out_state = cty_copy(a, planned); /* a gateway that answers with nothing still applied our body */
	cJSON_Delete(resp);
	arm_result_free(r);
	return 0;
}

/*
 * Create never takes over an object that exists already (made in the portal, by another team or another state, or
 * by an apply of ours interrupted before the CLI saved the state): a PUT would silently overwrite it, and two
 * states would manage one object. One GET first, as azurerm and azapi do; the error names the import that adopts
 * it. That costs one request per create.
 */
int foundry_arm_create(cty_value **out_state, tf_ctx *ctx, const cty_value *planned, const cty_value *config)
{
	const foundry_arm_resource *res = impl_of(ctx);
	*out_state = NULL;
	if (!res)
		return FY_EINVALID;
	fy_arena *a = tf_ctx_arena(ctx);
	const char *what = fy_arena_sprintf(a, "check for an existing %s", res->id->noun);
	char *id = id_of(ctx, res, planned, what);
	if (!id)
		return FY_EINVALID;
	arm_result *r = NULL;
	int rc = call(&r, ctx, res, "GET", id, NULL, what, timeout_of(planned, "create"));
	if (rc < 0)
		return rc;
	long status = r->status;
	if (status == 200)
		tf_error(ctx, NULL,
			fy_arena_sprintf(
				a, "%c%s already exists", toupper((unsigned char)res->id->noun[0]), res->id->noun + 1),
			"A %s \"%s\" already exists in %s, and this resource would overwrite it. Nothing was written.\n\n"
			"To manage the existing %s with Terraform, import it into this resource's address (shown "
			"above), for example:\n\n"
			"  terraform import %s.NAME '%s'\n\n"
			"or with an import block (Terraform 1.5 and later, OpenTofu):\n\n"
			"  import {\n    to = %s.NAME\n    id = \"%s\"\n  }\n\n"
			"Otherwise choose another name, or delete the existing %s first.",
			res->id->noun, cty_get_string(planned, "name"), cty_get_string(planned, "parent_id"),
			res->id->noun, res->resource->type_name, id, res->resource->type_name, id, res->id->noun);
	else if (status != 404)
		foundry_arm_error(ctx, what, id, r);
	arm_result_free(r);
	if (status != 404)
		return FY_ERROR;
	return put(out_state, ctx, res, planned, config, NULL);
}

/* 1 when planned and prior differ in timeouts alone (after an import, say): nothing for ARM to do. */
static int only_timeouts_change(fy_arena *a, const cty_value *planned, const cty_value *prior)
{
	cty_value *t = cty_get_attr(planned, "timeouts");
	if (t == NULL || !cty_is_wholly_known(planned) || prior == NULL || cty_is_null(prior))
		return 0;
	cty_value *p = cty_copy(a, planned), *q = cty_copy(a, prior);
	cty_object_set(p, "timeouts", cty_null(a, cty_value_type(t)));
	cty_object_set(q, "timeouts", cty_null(a, cty_value_type(t)));
	return cty_equal(p, q);
}

int foundry_arm_update(
	cty_value **out_state, tf_ctx *ctx, const cty_value *planned, const cty_value *prior, const cty_value *config)
{
	const foundry_arm_resource *res = impl_of(ctx);
	*out_state = cty_copy(tf_ctx_arena(ctx), prior);
	if (res && only_timeouts_change(tf_ctx_arena(ctx), planned, prior)) {
		*out_state = cty_copy(tf_ctx_arena(ctx), planned); /* a setting of ours, not ARM's: no request */
		return 0;
	}
	return res ? put(out_state, ctx, res, planned, config, prior) : FY_EINVALID;
}

int foundry_arm_delete(tf_ctx *ctx, const cty_value *prior)
{
	const foundry_arm_resource *res = impl_of(ctx);
	if (!res)
		return FY_EINVALID;
	fy_arena *a = tf_ctx_arena(ctx);
	const char *parent = cty_get_string(prior, "parent_id");
	const char *name = cty_get_string(prior, "name");
	if (!parent || !name)
		return 0; /* nothing addressable was ever created */
	char *id = foundry_arm_id_join(a, res->id, parent, name);
	const char *what = fy_arena_sprintf(a, "delete %s", res->id->noun);
	arm_result *r = NULL;
	int rc = call(&r, ctx, res, "DELETE", id, NULL, what, timeout_of(prior, "delete"));
	if (rc < 0)
		return rc;
	/* 200 deleted, 204 did not exist (docs/internals/arm.md 1.3), 404 gone too, 202 deletes later. */
	long s = r->status;
	if (s != 200 && s != 202 && s != 204 && s != 404) {
		return unexpected(ctx, what, id, r);
	}
	arm_result_free(r);
	return 0;
}

/* ------------------------------------------------------------------- reads */

int foundry_arm_read(cty_value **out_state, tf_ctx *ctx, const cty_value *state)
{
	const foundry_arm_resource *res = impl_of(ctx);
	fy_arena *a = tf_ctx_arena(ctx);
	*out_state = cty_copy(a, state); /* on error, nothing is lost */
	if (!res)
		return FY_EINVALID;
	const char *what = fy_arena_sprintf(a, "read %s", res->id->noun);
	const char *id = NULL;
	arm_result *r = NULL;
	int rc = get_named(&r, &id, ctx, res, state, what);
	if (rc < 0)
		return rc;
	if (r->status == 404) {
		/* Gone: a null state, so the plan proposes to create it again (docs/internals/protocol.md). */
		tflog_kv(TFLOG_INFO, LOG_MODULE, "object not found, removing from state", "id", id, NULL);
		arm_result_free(r);
		*out_state = NULL;
		return 0;
	}
	if (r->status != 200) {
		return unexpected(ctx, what, id, r);
	}
	cty_value *st;
	rc = state_from(&st, ctx, res, tf_ctx_schema_type(ctx), r, state, id);
	arm_result_free(r);
	if (rc == 0)
		*out_state = st;
	return rc;
}

/*
 * Import checks the id and returns only the identity: the CLIs read every imported object right after
 * ImportResourceState, and that read is the one GET (a stub has nothing to normalise against, so the read takes
 * everything from ARM). An object that does not exist is then the CLI's "Cannot import non-existent remote object".
 */
int foundry_arm_import(cty_value **out_state, tf_ctx *ctx, const char *import_id)
{
	const foundry_arm_resource *res = impl_of(ctx);
	fy_arena *a = tf_ctx_arena(ctx);
	char *parent, *name;
	*out_state = NULL;
	if (!res)
		return FY_EINVALID;
	if (foundry_arm_id_split(&parent, &name, a, res->id, import_id) < 0) {
		tf_error(ctx, NULL, "Invalid import id", "%s", fy_error_last()->message);
		return FY_EINVALID;
	}
	*out_state = foundry_arm_stub(a, tf_ctx_schema_type(ctx), res->id, parent, name);
	return 0;
}

/* Copy `v` into type `t`, keeping only the attributes `t` has (a data source is a view of the resource). */
static cty_value *project(fy_arena *a, const cty_value *v, const cty_type *t)
{
	if (!v || cty_is_null(v))
		return cty_null(a, t);
	switch (cty_type_kind(t)) {
	case CTY_OBJECT: {
		cty_value *o = cty_object(a, t);
		for (size_t i = 0; i < cty_type_count(t); i++) {
			const char *n = cty_type_attr_name(t, i);
			cty_object_set(o, n, project(a, cty_get_attr(v, n), cty_type_attr_type(t, i)));
		}
		return o;
	}
	case CTY_LIST: {
		size_t n = cty_length(v);
		cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof *items);
		for (size_t i = 0; i < n; i++)
			items[i] = project(a, cty_index(v, i), cty_type_elem(t));
		return cty_list(a, cty_type_elem(t), n, items);
	}
	default: return cty_copy(a, v);
	}
}

static int lookup(cty_value **out_state, tf_ctx *ctx, const foundry_arm_resource *res, const char *id,
	const cty_path *path, int missing_ok)
{
	fy_arena *a = tf_ctx_arena(ctx);
	char *parent, *name;
	*out_state = NULL;
	if (foundry_arm_id_split(&parent, &name, a, res->id, id) < 0) {
		tf_error(
			ctx, path, fy_arena_sprintf(a, "Invalid %s id", res->id->noun), "%s", fy_error_last()->message);
		return FY_EINVALID;
	}
	const cty_type *rt;
	if (tf_block_implied_type(&rt, a, res->resource->schema) < 0) {
		tf_error(ctx, NULL, "Internal error", "%s", fy_error_last()->message);
		return FY_EINVALID;
	}
	const char *what = fy_arena_sprintf(a, "read %s", res->id->noun);
	arm_result *r = NULL;
	int rc = call(&r, ctx, res, "GET", id, NULL, what, 0);
	if (rc < 0)
		return rc;
	if (r->status == 404) {
		if (!missing_ok)
			tf_error(ctx, path,
				fy_arena_sprintf(a, "%c%s not found", toupper((unsigned char)res->id->noun[0]),
					res->id->noun + 1),
				"%c%s \"%s\" was not found.", toupper((unsigned char)res->id->noun[0]),
				res->id->noun + 1, id);
		arm_result_free(r);
		return FY_ENOTFOUND;
	}
	if (r->status != 200) {
		return unexpected(ctx, what, id, r);
	}
	rc = state_from(out_state, ctx, res, rt, r, foundry_arm_stub(a, rt, res->id, parent, name), id);
	arm_result_free(r);
	return rc;
}

int foundry_arm_lookup(
	cty_value **out_state, tf_ctx *ctx, const foundry_arm_resource *res, const char *id, const cty_path *path)
{
	return lookup(out_state, ctx, res, id, path, 0);
}

int foundry_arm_find(
	cty_value **out_state, tf_ctx *ctx, const foundry_arm_resource *res, const char *id, const cty_path *path)
{
	return lookup(out_state, ctx, res, id, path, 1);
}

int foundry_arm_data_read(cty_value **out_state, tf_ctx *ctx, const cty_value *config)
{
	const foundry_arm_resource *res = impl_of(ctx);
	fy_arena *a = tf_ctx_arena(ctx);
	*out_state = NULL;
	if (!res)
		return FY_EINVALID;
	const char *what = fy_arena_sprintf(a, "read %s", res->id->noun);
	const char *id = NULL;
	arm_result *r = NULL;
	int rc = get_named(&r, &id, ctx, res, config, what);
	if (rc < 0)
		return rc;
	if (r->status == 404) {
		/* A data source must find its object (unlike a resource, where 404 means "create it again"). */
		tf_error(ctx, tf_path(ctx, "name"),
			fy_arena_sprintf(
				a, "%c%s not found", toupper((unsigned char)res->id->noun[0]), res->id->noun + 1),
			"%c%s \"%s\" was not found.", toupper((unsigned char)res->id->noun[0]), res->id->noun + 1, id);
		arm_result_free(r);
		return FY_ENOTFOUND;
	}
	if (r->status != 200) {
		return unexpected(ctx, what, id, r);
	}
	const cty_type *rt;
	if (tf_block_implied_type(&rt, a, res->resource->schema) < 0) {
		arm_result_free(r);
		tf_error(ctx, NULL, "Internal error", "%s", fy_error_last()->message);
		return FY_EINVALID;
	}
	cty_value *stub = cty_object(a, rt), *full = NULL;
	cty_object_set(stub, "parent_id", cty_get_attr(config, "parent_id"));
	cty_object_set(stub, "name", cty_get_attr(config, "name"));
	rc = state_from(&full, ctx, res, rt, r, stub, id);
	if (rc == 0) {
		cty_value *st = project(a, full, tf_ctx_schema_type(ctx));
		cty_object_set(st, "timeouts", cty_get_attr(config, "timeouts"));
		if (res->data_finish) {
			cJSON *body = cJSON_ParseWithLength(r->body, r->body_len);
			res->data_finish(ctx, st, body);
			cJSON_Delete(body);
		}
		*out_state = st;
	}
	arm_result_free(r);
	return rc;
}

/* ------------------------------------------------------------------- lists */

#define MAX_LIST_PAGES 10000 /* a nextLink chain longer than this is a loop, not a list */

int foundry_arm_list(tf_ctx *ctx, const char *collection, const char *api_version, const char *what,
	foundry_arm_item_fn fn, void *ud)
{
	fy_arena *a = tf_ctx_arena(ctx);
	foundry_client *c = tf_ctx_provider_data(ctx);
	arm_client *arm;
	if (!c || foundry_client_arm(&arm, c) < 0) {
		tf_error(ctx, NULL, "Cannot authenticate to Azure", "Could not %s: %s", what,
			c ? tflog_redact(a, fy_error_last()->message) : "the provider is not configured");
		return FY_EAUTH;
	}
	const char *url = collection, *prev = NULL;
	for (int page = 0; url != NULL; page++) {
		if (page == MAX_LIST_PAGES || (prev && strcmp(prev, url) == 0)) {
			tf_error(ctx, NULL, fy_arena_sprintf(a, "Failed to %s", what),
				"ARM's nextLink chain for \"%s\" does not end (it repeats or passes %d pages).",
				collection, MAX_LIST_PAGES);
			return FY_EINVALID;
		}
		arm_result *r = NULL;
		/* A nextLink carries its own api-version (arm_do adds ours only where there is none). */
		int rc = arm_do(&r, arm, "GET", url, api_version, NULL);
		if (rc < 0) {
			foundry_arm_error(ctx, what, collection, NULL);
			return rc;
		}
		if (r->status != 200)
			return unexpected(ctx, what, collection, r);
		cJSON *body = cJSON_ParseWithLength(r->body, r->body_len);
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(body, "value");
		if (!cJSON_IsArray(value)) {
			cJSON_Delete(body);
			tf_error(ctx, NULL, fy_arena_sprintf(a, "Failed to %s", what),
				"ARM answered a list of \"%s\" with a body that has no \"value\" array.", collection);
			arm_result_free(r);
			return FY_EINVALID;
		}
		const cJSON *it;
		cJSON_ArrayForEach (it, value) {
			rc = fn(ud, ctx, it);
			if (rc < 0)
				break;
		}
		const cJSON *next = cJSON_GetObjectItemCaseSensitive(body, "nextLink");
		prev = url;
		url = rc == 0 && cJSON_IsString(next) && next->valuestring[0] ? fy_arena_strdup(a, next->valuestring)
									      : NULL;
		cJSON_Delete(body);
		arm_result_free(r);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------- plan, checks */

void foundry_arm_modify_plan(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned)
{
	const foundry_arm_resource *res = tf_ctx_impl(ctx);
	fy_arena *a = tf_ctx_arena(ctx);
	if (!cty_is_set(planned))
		return;
	static const char *const ci_attrs[] = {"parent_id", "name"};
	for (size_t i = 0; prior && i < 2; i++) {
		const char *want = cty_get_string(planned, ci_attrs[i]);
		const char *had = cty_get_string(prior, ci_attrs[i]);
		if (want && had && strcmp(want, had) != 0 && strcasecmp(want, had) == 0)
			cty_object_set(planned, ci_attrs[i], cty_string(a, had));
	}
	const char *parent = cty_get_string(planned, "parent_id");
	const char *name = cty_get_string(planned, "name");
	cty_object_set(planned, "id",
		parent && name && res ? cty_string(a, foundry_arm_id_join(a, res->id, parent, name))
				      : cty_unknown(a, cty_type_string()));
	if (res && res->modify_plan)
		res->modify_plan(ctx, config, prior, planned);
}

static void put_identity(
	cty_value *st, fy_arena *a, const foundry_arm_idspec *spec, const char *parent, const char *name)
{
	cty_object_set(st, "parent_id", cty_string(a, parent));
	cty_object_set(st, "name", cty_string(a, name));
	cty_object_set(st, "id", cty_string(a, foundry_arm_id_join(a, spec, parent, name)));
}

int foundry_arm_set_identity(
	cty_value *st, fy_arena *a, const foundry_arm_idspec *spec, const cty_value *prior, const cJSON *body)
{
	const char *parent = prior ? cty_get_string(prior, "parent_id") : NULL;
	const char *name = prior ? cty_get_string(prior, "name") : NULL;
	if (!parent || !name) {
		char *bp, *bn;
		const cJSON *bid = cJSON_GetObjectItemCaseSensitive(body, "id");
		if (!cJSON_IsString(bid) || foundry_arm_id_split(&bp, &bn, a, spec, bid->valuestring) < 0)
			return fy_error_set(FY_EINVALID, "the ARM response has no usable %s id", spec->noun);
		parent = parent ? parent : bp;
		name = name ? name : bn;
	}
	put_identity(st, a, spec, parent, name);
	return 0;
}

cty_value *foundry_arm_stub(
	fy_arena *a, const cty_type *type, const foundry_arm_idspec *spec, const char *parent, const char *name)
{
	cty_value *stub = cty_object(a, type);
	put_identity(stub, a, spec, parent, name);
	return stub;
}

void foundry_arm_validate_parent(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	if (s && foundry_arm_parent_parse(NULL, self->data, s) < 0)
		tf_diag_add(d, TF_ERROR, path, "Invalid parent_id", "%s", fy_error_last()->message);
}

void foundry_arm_validate_name(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	const foundry_arm_idspec *spec = self->data;
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	if (s && !foundry_arm_name_valid(spec, s))
		tf_diag_add(d, TF_ERROR, path, "Invalid value", "\"%s\" is not a valid %s name: %s.", s, spec->noun,
			spec->name->rule);
}
