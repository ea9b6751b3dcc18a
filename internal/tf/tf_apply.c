/*
 * What apply, read, import, upgrade and data source reads hand back, checked against the plan and the schema as
 * the CLIs check it, before it goes out (docs/internals/protocol.md).
 */
#include "tf_internal.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "../log/tflog.h"

/* ------------------------------------------------------------ apply / read / import / upgrade */

/* A failing operation that said nothing still has to fail visibly. The error text may quote what ARM or the
 * transport said, which can echo a registered secret: Terraform prints diagnostics, so redact it. */
static void ensure_error(tf_ctx *ctx, int rc, const char *summary)
{
	if (tf_diags_has_errors(ctx->diags))
		return;
	const fy_error *e = fy_error_last();
	tf_error(ctx, NULL, summary, "%s",
		e->message[0] ? tflog_redact(ctx->arena, e->message) : fy_error_code_str(rc ? rc : FY_ERROR));
}

/* The common tail for values a resource hands back: owned copy, write-only nulled, blocks normalized, no
 * unknowns left. */
static cty_value *finish_state(
	tf_ctx *ctx, const tf_schema *s, const cty_value *v, tf_diags *d, const char *summary, const char *what)
{
	fy_arena *a = ctx->arena;
	cty_value *st = cty_copy(a, v);
	st = tf_null_write_only(a, s->root, st);
	st = tf_normalize_blocks(a, s->root, st);
	return tf_null_unknowns(a, st, NULL, d, summary, what);
}

static int conforms(tf_ctx *ctx, const tf_schema *s, const cty_value *v, const char *op)
{
	if (cty_conform(v, s->root->type) == 0)
		return 1;
	tf_error(ctx, NULL, "Provider produced invalid object",
		"The provider produced a value of the wrong type after %s: %s. This is a bug in the provider.", op,
		fy_error_last()->message);
	return 0;
}

int tf_resource_apply(cty_value **out_new_state, tf_ctx *ctx, const tf_resource *r, const cty_value *prior,
	const cty_value *planned, const cty_value *config)
{
	fy_arena *a = ctx->arena;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL) {
		*out_new_state = prior ? cty_copy(a, prior) : NULL;
		return FY_EINVALID;
	}
	const cty_type *T = s->root->type;
	int create = prior == NULL || tf_is_null(prior);
	cty_value *prior_copy = create ? cty_null(a, T) : cty_copy(a, prior);

	if (planned == NULL || tf_is_null(planned)) {
		/* Delete: the new state is null (docs/internals/protocol.md 4.5); a failed delete keeps the object
		 * in state. */
		*out_new_state = cty_null(a, T);
		if (create)
			return FY_OK;
		int rc = r->delete ? r->delete (ctx, prior) : 0;
		if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
			ensure_error(ctx, rc, "Delete failed");
			*out_new_state = prior_copy;
			return rc ? rc : FY_ERROR;
		}
		return FY_OK;
	}

	cty_value *st = NULL;
	int rc;
	if (create && r->create == NULL) {
		tf_error(ctx, NULL, "Create not supported", "The resource type %s cannot be created.", r->type_name);
		rc = FY_EINVALID;
	} else if (!create && r->update == NULL) {
		tf_error(ctx, NULL, "Update not supported",
			"The resource type %s cannot be updated in place; this is a bug in its schema (mark the changed "
			"attributes as requiring replacement).",
			r->type_name);
		rc = FY_EINVALID;
	} else if (create) {
		rc = r->create(&st, ctx, planned, config);
	} else {
		rc = r->update(&st, ctx, planned, prior, config);
	}
	const char *op = create ? "create" : "update";

	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, create ? "Create failed" : "Update failed");
		/* A failed apply still returns what exists (docs/internals/protocol.md 4.5): the resource's partial
		 * state, else prior. */
		if (st != NULL && !tf_is_null(st) && cty_conform(st, T) == 0)
			*out_new_state = finish_state(ctx, s, st, NULL, NULL, NULL);
		else
			*out_new_state = prior_copy;
		return rc ? rc : FY_ERROR;
	}
	if (st == NULL || tf_is_null(st)) {
		tf_error(ctx, NULL, "Provider returned invalid result object after apply",
			"After applying a %s plan, the provider returned a null object for %s. Only destroying should "
			"produce a null value. This is a bug in the provider.",
			op, r->type_name);
		*out_new_state = prior_copy;
		return FY_ERROR;
	}
	if (!conforms(ctx, s, st, op)) {
		*out_new_state = prior_copy;
		return FY_ERROR;
	}
	cty_value *ns = tf_consistent_with_plan(ctx, s->root, r->type_name, !create, cty_copy(a, st), planned);
	*out_new_state = finish_state(ctx, s, ns, ctx->diags, "Provider returned invalid result object after apply",
		"After the apply operation, the provider");
	return FY_OK;
}

int tf_resource_read(cty_value **out_new_state, tf_ctx *ctx, const tf_resource *r, const cty_value *state)
{
	fy_arena *a = ctx->arena;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL) {
		*out_new_state = state ? cty_copy(a, state) : NULL;
		return FY_EINVALID;
	}
	const cty_type *T = s->root->type;
	if (state == NULL || tf_is_null(state)) {
		*out_new_state = cty_null(a, T);
		return FY_OK;
	}
	if (r->read == NULL) {
		*out_new_state = finish_state(ctx, s, state, NULL, NULL, NULL);
		return FY_OK;
	}
	cty_value *st = NULL;
	int rc = r->read(&st, ctx, state);
	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, "Read failed");
		*out_new_state = cty_copy(a, state);
		return rc ? rc : FY_ERROR;
	}
	/* Gone: a null new_state removes it from state and the next plan creates it (docs/internals/protocol.md
	 * 4.6). */
	if (st == NULL || tf_is_null(st)) {
		*out_new_state = cty_null(a, T);
		return FY_OK;
	}
	if (!conforms(ctx, s, st, "refresh")) {
		*out_new_state = cty_copy(a, state);
		return FY_ERROR;
	}
	*out_new_state = finish_state(
		ctx, s, st, ctx->diags, "Provider produced invalid object", "During refresh, the provider");
	return FY_OK;
}

int tf_resource_import(cty_value **out_state, tf_ctx *ctx, const tf_resource *r, const char *id)
{
	*out_state = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return FY_EINVALID;
	if (r->import == NULL) {
		tf_error(ctx, NULL, "Resource Import Not Implemented", "The resource type %s does not support import.",
			r->type_name);
		return FY_EINVALID;
	}
	cty_value *st = NULL;
	int rc = r->import(&st, ctx, id ? id : "");
	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, "Import failed");
		return rc ? rc : FY_ERROR;
	}
	if (st == NULL || tf_is_null(st)) {
		tf_error(ctx, NULL, "Cannot import non-existent remote object",
			"While attempting to import an existing object to %s, the provider detected that no object exists "
			"with the given id. Only pre-existing objects can be imported; check that the id is correct.",
			r->type_name);
		return FY_ENOTFOUND;
	}
	if (!conforms(ctx, s, st, "import"))
		return FY_ERROR;
	*out_state =
		finish_state(ctx, s, st, ctx->diags, "Provider produced invalid object", "After import, the provider");
	return FY_OK;
}

/* stripRemovedStateAttributes: drop object keys the current schema no longer has, at every depth the schema
 * types reach, so an attribute removed from the schema does not make the stored state undecodable. */
static int strip_removed(cJSON *node, const cty_type *t)
{
	int changed = 0;
	if (node == NULL || t == NULL)
		return 0;
	switch (cty_type_kind(t)) {
	case CTY_OBJECT:
		if (!cJSON_IsObject(node))
			return 0;
		for (cJSON *c = node->child, *next; c != NULL; c = next) {
			next = c->next;
			const cty_type *at = c->string ? cty_type_attr(t, c->string) : NULL;
			if (at == NULL) {
				cJSON_Delete(cJSON_DetachItemViaPointer(node, c));
				changed = 1;
			} else {
				changed |= strip_removed(c, at);
			}
		}
		return changed;
	case CTY_LIST:
	case CTY_SET:
		if (!cJSON_IsArray(node))
			return 0;
		for (cJSON *c = node->child; c != NULL; c = c->next)
			changed |= strip_removed(c, cty_type_elem(t));
		return changed;
	case CTY_MAP:
		if (!cJSON_IsObject(node))
			return 0;
		for (cJSON *c = node->child; c != NULL; c = c->next)
			changed |= strip_removed(c, cty_type_elem(t));
		return changed;
	case CTY_TUPLE: {
		if (!cJSON_IsArray(node))
			return 0;
		size_t i = 0;
		for (cJSON *c = node->child; c != NULL && i < cty_type_count(t); c = c->next, i++)
			changed |= strip_removed(c, cty_type_attr_type(t, i));
		return changed;
	}
	default: return 0; /* primitives; dynamic values carry their own type */
	}
}

int tf_resource_upgrade_state(
	cty_value **out_state, tf_ctx *ctx, const tf_resource *r, int64_t version, const char *json, size_t len)
{
	fy_arena *a = ctx->arena;
	*out_state = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return FY_EINVALID;
	const cty_type *T = s->root->type;
	if (version > s->def->version) {
		tf_error(ctx, NULL, "Resource instance managed by newer provider version",
			"The current state of %s was created by a newer provider version than is currently selected "
			"(state schema version %lld, this provider's is %lld). Upgrade the provider to work with this state.",
			r->type_name, (long long)version, (long long)s->def->version);
		return FY_EINVALID;
	}
	if (json == NULL || len == 0) {
		*out_state = cty_null(a, T);
		return FY_OK;
	}
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (root == NULL) {
		tf_error(
			ctx, NULL, "Invalid resource state", "The stored state of %s is not valid JSON.", r->type_name);
		return FY_EINVALID;
	}
	const char *text = json;
	size_t tlen = len;
	/* Only re-serialize when something was removed: cJSON keeps numbers as doubles, and the untouched text
	 * keeps big numbers exact (docs/internals/protocol.md 3.3, 3.7). */
	if (strip_removed(root, T)) {
		char *printed = cJSON_PrintUnformatted(root);
		if (printed == NULL) {
			cJSON_Delete(root);
			fy_oom();
		}
		tlen = strlen(printed);
		text = fy_arena_memdup(a, printed, tlen);
		cJSON_free(printed);
	}
	cJSON_Delete(root);
	cty_value *v = NULL;
	if (cty_json_decode(&v, a, T, text, tlen) < 0) {
		tf_error(ctx, NULL, "Invalid resource state", "The stored state of %s could not be decoded: %s",
			r->type_name, fy_error_last()->message);
		return FY_EINVALID;
	}
	*out_state = finish_state(ctx, s, v, ctx->diags, "Invalid resource state upgrade", "The upgraded state");
	return FY_OK;
}

/* ReadDataSource and OpenEphemeralResource: an object from its configuration, held to the same checks. */
typedef int (*config_read_fn)(cty_value **out, tf_ctx *ctx, const cty_value *config);
static int read_from_config(cty_value **out, tf_ctx *ctx, const tf_block *schema, const void *impl, config_read_fn fn,
	const char *kind, const char *type_name, const cty_value *config, int allow_unknown)
{
	*out = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, schema);
	ctx->impl = impl;
	if (s == NULL)
		return FY_EINVALID;
	if (fn == NULL) {
		tf_error(ctx, NULL, "Not implemented", "The %s %s cannot be read.", kind, type_name);
		return FY_EINVALID;
	}
	cty_value *st = NULL;
	int rc = fn(&st, ctx, config);
	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, "Read failed");
		return rc < 0 ? rc : FY_ERROR;
	}
	if (st == NULL || tf_is_null(st)) {
		tf_error(ctx, NULL, "Provider produced null object",
			"The provider produced a null value for %s %s. This is a bug in the provider.", kind,
			type_name);
		return FY_ERROR;
	}
	if (!conforms(ctx, s, st, "read"))
		return FY_ERROR;
	/* An ephemeral result may be unknown in a plan (Terraform opens it again at apply); state never is. */
	*out = allow_unknown ? st
			     : finish_state(ctx, s, st, ctx->diags, "Provider produced invalid object",
				       fy_arena_sprintf(ctx->arena, "After reading the %s, the provider", kind));
	return FY_OK;
}

int tf_data_source_read(cty_value **out_state, tf_ctx *ctx, const tf_data_source *ds, const cty_value *config)
{
	return read_from_config(
		out_state, ctx, tf_data_source_schema(ds), ds->impl, ds->read, "data source", ds->type_name, config, 0);
}

int tf_ephemeral_open(cty_value **out_result, tf_ctx *ctx, const tf_ephemeral_resource *e, const cty_value *config)
{
	return read_from_config(
		out_result, ctx, e->schema, e->impl, e->open, "ephemeral resource", e->type_name, config, 1);
}

int tf_resource_move(cty_value **out_state, tf_ctx *ctx, const tf_resource *r, const tf_move_source *src)
{
	*out_state = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return FY_EINVALID;
	if (r->move == NULL) {
		tf_error(ctx, NULL, "Move resource state not supported",
			"%s cannot take state moved from %s (%s); remove the moved block and import the object instead.",
			r->type_name, src->type_name ? src->type_name : "",
			src->provider_address ? src->provider_address : "");
		return FY_EINVALID;
	}
	cty_value *st = NULL;
	int rc = r->move(&st, ctx, src);
	if (rc < 0 || tf_diags_has_errors(ctx->diags) || st == NULL) {
		ensure_error(ctx, rc, "Move failed");
		return rc < 0 ? rc : FY_ERROR; /* nothing is half-moved: no state at all */
	}
	if (!conforms(ctx, s, st, "move"))
		return FY_ERROR;
	*out_state = tf_null_write_only(ctx->arena, s->root, st);
	return FY_OK;
}
