/*
 * data "foundry_gateway_connections": the audit of existing gateway connections. Lists the connections of a
 * project or an account (and, with include_projects, of each of the account's projects), reads each into the
 * resource's state exactly as an import does (keys the schema does not manage go to extra_metadata), and runs the
 * resource's own plan-time validation on it: the findings are those diagnostics, with the reading's warnings (a
 * metadata key in another case, a value that is not a JSON string). One set of rules serves both the plan and the
 * audit, so they cannot disagree. Credentials, which ARM never returns, are treated as not known yet, so rules about
 * them are not judged. Only ApiManagement and ModelGateway connections are audited (category narrows further).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "internal/log/tflog.h"
#include "provider/arm_resource.h"
#include "provider/client.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

static const tf_attribute found_attrs[] = {
	{.name = "id", .type = "\"string\"", .flags = TF_COMPUTED, .description = "ARM id of the connection."},
	{.name = "name", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Connection name."},
	{.name = "category",
		.type = "\"string\"",
		.flags = TF_COMPUTED,
		.description = "`ApiManagement` or `ModelGateway`."},
	{.name = "target", .type = "\"string\"", .flags = TF_COMPUTED, .description = "The gateway's base URL."},
	{.name = "auth_type", .type = "\"string\"", .flags = TF_COMPUTED, .description = "The connection's auth type."},
	{.name = "findings",
		.type = "[\"list\",\"string\"]",
		.flags = TF_COMPUTED,
		.description =
			"What stops the connection from working as Foundry reads it, each with its fix, in the words "
			"`foundry_gateway_connection` uses at plan time (`attribute: summary: detail`). Empty for a "
			"healthy connection."},
	{0},
};
static const tf_object found_object = {found_attrs};

static const tf_attribute audit_attrs[] = {
	FOUNDRY_GC_WALK_ATTRIBUTES,
	{.name = "connections",
		.nested = &found_object,
		.nesting = TF_NEST_LIST,
		.flags = TF_COMPUTED,
		.description = "Every gateway connection found, sorted by id."},
	{0},
};

static const tf_block audit_schema = {
	.description =
		"Audits existing gateway connections (made in the portal, with Bicep, azapi or REST calls) for the "
		"mistakes that let a connection be created and not work: a metadata key in another case than Foundry "
		"reads, `models` or `modelDiscovery` that are not JSON strings, a discovery endpoint without "
		"`{deploymentName}`, a target that ends in an inference route, and everything else "
		"`foundry_gateway_connection` refuses at plan time. Reads only; one list request per page.",
	.attributes = audit_attrs,
};

/* ----------------------------------------------------------------- findings */

typedef struct audit {
	tf_ctx *ctx;
	fy_arena *a;
	const cty_type *conn_type; /* the resource's state type */
	const cty_type *found_type; /* one element of `connections` */
	cty_value **found;
	size_t nfound, capfound;
} audit;

/* The secrets a user sets (ARM never returns them) as not known yet, at the top and one nested level down. */
static cty_value *secrets_unknown(fy_arena *a, const tf_attribute *attrs, const cty_type *t, const cty_value *v)
{
	cty_value *out = cty_copy(a, v);
	for (const tf_attribute *at = attrs; at->name; at++) {
		const cty_type *at_t = cty_type_attr(t, at->name);
		int secret = (at->flags & (TF_SENSITIVE | TF_WRITE_ONLY)) && (at->flags & (TF_OPTIONAL | TF_REQUIRED));
		if (secret && !at->nested)
			cty_object_set(out, at->name, cty_unknown(a, at_t));
		else if (at->nested && at->nesting == TF_NEST_SINGLE && cty_is_set(cty_get_attr(out, at->name)))
			cty_object_set(out, at->name,
				secrets_unknown(a, at->nested->attributes, at_t, cty_get_attr(out, at->name)));
	}
	return out;
}

static void add_findings(audit *au, tf_diags *d, const char ***out, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < tf_diags_count(d); i++) {
		const cty_path *p = tf_diags_path(d, i);
		const char *where = p ? cty_path_string(au->a, p) : "";
		*out = fy_arena_grow(au->a, *out, cap, *n, sizeof(**out));
		(*out)[(*n)++] = fy_arena_sprintf(
			au->a, "%s%s%s: %s", where, *where ? ": " : "", tf_diags_summary(d, i), tf_diags_detail(d, i));
	}
}

/* One connection: read as an import reads it, then judged by the resource's own validation. */
static int audit_one(void *ud, tf_ctx *ctx, const cJSON *item)
{
	audit *au = ud;
	fy_arena *a = au->a;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(item, "properties");
	const char *cat = cJSON_GetObjectItemCaseSensitive(props, "category")->valuestring;
	const char *id = cJSON_GetObjectItemCaseSensitive(item, "id")->valuestring;
	const char **findings = NULL;
	size_t n = 0, cap = 0;
	cty_value *st = NULL;
	tf_diags *read_diags;
	tf_diags_new(&read_diags, a);
	if (foundry_gc_read_listed(&st, a, au->conn_type, item, read_diags) < 0) {
		findings = fy_arena_alloc(a, sizeof(*findings));
		findings[n++] = fy_arena_sprintf(a, "the connection cannot be read: %s", fy_error_last()->message);
		st = NULL;
	}
	add_findings(au, read_diags, &findings, &n, &cap);
	if (st) {
		tf_ctx *vctx;
		if (tf_ctx_new_detached(&vctx, a, &foundry_gc_schema, tf_ctx_provider_data(ctx)) < 0)
			return fy_error_set(FY_ERROR, "cannot validate: %s", fy_error_last()->message);
		tf_resource_validate(vctx, &foundry_gc_resource,
			secrets_unknown(a, foundry_gc_schema.attributes, au->conn_type, st));
		add_findings(au, tf_ctx_diags(vctx), &findings, &n, &cap);
	}
	const char *name = st ? cty_get_string(st, "name") : NULL;
	const char *target = st ? cty_get_string(st, "target") : NULL;
	const char *auth = st ? cty_get_string(st, "auth_type") : NULL;
	cty_value *o = cty_object(a, au->found_type);
	cty_object_set(o, "id", cty_string(a, id));
	cty_object_set(o, "name", name ? cty_string(a, name) : cty_null(a, cty_type_string()));
	cty_object_set(o, "category", cty_string(a, cat));
	cty_object_set(o, "target", target ? cty_string(a, target) : cty_null(a, cty_type_string()));
	cty_object_set(o, "auth_type", auth ? cty_string(a, auth) : cty_null(a, cty_type_string()));
	cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof(*items));
	for (size_t i = 0; i < n; i++)
		items[i] = cty_string(a, findings[i]);
	cty_object_set(o, "findings", cty_list(a, cty_type_string(), n, items));
	au->found = fy_arena_grow(a, au->found, &au->capfound, au->nfound, sizeof(*au->found));
	au->found[au->nfound++] = o;
	return 0;
}

static int by_id(const void *x, const void *y)
{
	const cty_value *const *a = x, *const *b = y;
	return strcasecmp(cty_get_string(*a, "id"), cty_get_string(*b, "id"));
}

static int audit_read(cty_value **out_state, tf_ctx *ctx, const cty_value *config)
{
	fy_arena *a = tf_ctx_arena(ctx);
	const cty_type *t = tf_ctx_schema_type(ctx);
	audit au = {.ctx = ctx, .a = a};
	au.found_type = cty_type_elem(cty_type_attr(t, "connections"));
	if (tf_block_implied_type(&au.conn_type, a, &foundry_gc_schema) < 0)
		return fy_error_set(FY_ERROR, "%s", fy_error_last()->message);
	int rc = foundry_gc_walk(ctx, cty_get_string(config, "parent_id"), cty_get_bool(config, "include_projects", 0),
		cty_get_string(config, "category"), audit_one, &au);
	if (rc < 0)
		return rc;
	if (au.nfound > 1)
		qsort(au.found, au.nfound, sizeof(*au.found), by_id);
	cty_value *st = cty_copy(a, config);
	cty_object_set(st, "connections", cty_list(a, au.found_type, au.nfound, au.found));
	*out_state = st;
	return 0;
}

const tf_data_source foundry_gateway_audit = {
	.type_name = "foundry_gateway_connections",
	.schema = &audit_schema,
	.read = audit_read,
};
