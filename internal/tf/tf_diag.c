/* Diagnostics and the per-call context (tf.h). */
#include "tf_internal.h"

#include <stdarg.h>
#include <string.h>

#include "tfplugin6.pb-c.h"

typedef struct tf_diag {
	tf_severity sev;
	const char *summary;
	const char *detail;
	const cty_path *path;
} tf_diag;

struct tf_diags {
	fy_arena *a;
	tf_diag *items;
	size_t n, cap;
};

int tf_diags_new(tf_diags **out, fy_arena *a)
{
	tf_diags *d = fy_arena_alloc(a, sizeof(*d));
	d->a = a;
	*out = d;
	return FY_OK;
}

/* Paths handed in may live in another arena (or on the stack): keep our own copy. */
static const cty_path *path_copy(fy_arena *a, const cty_path *p)
{
	if (p == NULL || p->len == 0)
		return NULL;
	cty_path *c = fy_arena_alloc(a, sizeof(*c));
	cty_step *steps = fy_arena_alloc(a, p->len * sizeof(*steps));
	for (size_t i = 0; i < p->len; i++) {
		steps[i] = p->steps[i];
		if (p->steps[i].name != NULL)
			steps[i].name = fy_arena_strdup(a, p->steps[i].name);
	}
	c->len = p->len;
	c->steps = steps;
	return c;
}

void tf_diag_addv(tf_diags *d, tf_severity sev, const cty_path *path, const char *summary, const char *fmt, va_list ap)
{
	if (d == NULL)
		return;
	if (d->n == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 8;
		d->items = fy_arena_realloc(d->a, d->items, d->cap * sizeof(tf_diag), ncap * sizeof(tf_diag));
		d->cap = ncap;
	}
	tf_diag *g = &d->items[d->n++];
	/* Terraform drops diagnostics whose severity is INVALID (docs/internals/protocol.md 4.9): only the two real
	 * ones exist here. */
	g->sev = sev == TF_WARNING ? TF_WARNING : TF_ERROR;
	g->summary = fy_arena_strdup(d->a, summary ? summary : "");
	g->detail = fmt ? fy_arena_vsprintf(d->a, fmt, ap) : "";
	g->path = path_copy(d->a, path);
}

void tf_diag_add(tf_diags *d, tf_severity sev, const cty_path *path, const char *summary, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	tf_diag_addv(d, sev, path, summary, detail_fmt, ap);
	va_end(ap);
}

int tf_diags_has_errors(const tf_diags *d)
{
	if (d == NULL)
		return 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].sev == TF_ERROR)
			return 1;
	return 0;
}

size_t tf_diags_count(const tf_diags *d)
{
	return d ? d->n : 0;
}

tf_severity tf_diags_severity(const tf_diags *d, size_t i)
{
	return d->items[i].sev;
}

const char *tf_diags_summary(const tf_diags *d, size_t i)
{
	return d->items[i].summary;
}

const char *tf_diags_detail(const tf_diags *d, size_t i)
{
	return d->items[i].detail;
}

fy_arena *tf_diags_arena(tf_diags *d)
{
	return d->a;
}

const cty_path *tf_diags_path(const tf_diags *d, size_t i)
{
	return d->items[i].path;
}

/* AttributePath steps (docs/internals/protocol.md 4.4): attribute_name, element_key_string for map keys,
 * element_key_int for list
 * indexes. Set elements cannot be addressed; walkers stop extending paths inside sets. */
void *tf_path_to_proto(fy_arena *a, const cty_path *p)
{
	if (p == NULL || p->len == 0)
		return NULL;
	Tfplugin6__AttributePath *ap = fy_arena_alloc(a, sizeof(*ap));
	tfplugin6__attribute_path__init(ap);
	ap->n_steps = p->len;
	ap->steps = fy_arena_alloc(a, p->len * sizeof(*ap->steps));
	for (size_t i = 0; i < p->len; i++) {
		Tfplugin6__AttributePath__Step *s = fy_arena_alloc(a, sizeof(*s));
		tfplugin6__attribute_path__step__init(s);
		switch (p->steps[i].kind) {
		case CTY_STEP_ATTR:
			s->selector_case = TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ATTRIBUTE_NAME;
			s->attribute_name = (char *)p->steps[i].name;
			break;
		case CTY_STEP_KEY:
			s->selector_case = TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_STRING;
			s->element_key_string = (char *)p->steps[i].name;
			break;
		case CTY_STEP_INDEX:
		default:
			s->selector_case = TFPLUGIN6__ATTRIBUTE_PATH__STEP__SELECTOR_ELEMENT_KEY_INT;
			s->element_key_int = p->steps[i].index;
			break;
		}
		ap->steps[i] = s;
	}
	return ap;
}

/*
 * How many leading steps of `p` Terraform and OpenTofu can point at in the configuration. Their elaboration
 * (terraform internal/tfdiags/contextual.go, attributeDiagnostic.ElaborateFromConfigBody) descends through nested
 * *blocks* only, then looks the last attribute name up in the body it reached: a path into a nested *attribute*
 * (models[0].name, oauth2.token_url) would highlight the resource header, or worse an unrelated top-level attribute
 * with the same name (the connection's own `name`). Such paths are cut after the top-level attribute, whose line
 * the CLI then shows; the full path goes into the text. Returns p->len when nothing needs cutting.
 */
static size_t pointable_len(const tf_cobj *o, const cty_path *p)
{
	for (size_t i = 0; o != NULL && i < p->len; i++) {
		if (p->steps[i].kind != CTY_STEP_ATTR)
			return p->len;
		const tf_cobj *next = NULL;
		for (size_t k = 0; k < o->nattrs; k++)
			if (strcmp(o->attrs[k].name, p->steps[i].name) == 0)
				return o->attrs[k].nested != NULL && i + 1 < p->len ? i + 1 : p->len;
		for (size_t k = 0; k < o->nblocks; k++)
			if (strcmp(o->blocks[k].name, p->steps[i].name) == 0) {
				next = o->blocks[k].obj;
				if (o->blocks[k].nesting != TF_NEST_SINGLE && i + 1 < p->len)
					i++; /* the block's index or key */
			}
		o = next;
	}
	return p->len;
}

void *tf_diags_to_proto(fy_arena *a, const tf_diags *d, const tf_cobj *root, size_t *n_out)
{
	size_t n = tf_diags_count(d);
	*n_out = n;
	if (n == 0)
		return NULL;
	Tfplugin6__Diagnostic **arr = fy_arena_alloc(a, n * sizeof(*arr));
	for (size_t i = 0; i < n; i++) {
		Tfplugin6__Diagnostic *g = fy_arena_alloc(a, sizeof(*g));
		tfplugin6__diagnostic__init(g);
		g->severity = d->items[i].sev == TF_WARNING ? TFPLUGIN6__DIAGNOSTIC__SEVERITY__WARNING
							    : TFPLUGIN6__DIAGNOSTIC__SEVERITY__ERROR;
		g->summary = (char *)d->items[i].summary;
		g->detail = (char *)d->items[i].detail;
		const cty_path *path = d->items[i].path;
		size_t keep = path != NULL ? pointable_len(root, path) : 0;
		if (path != NULL && keep < path->len) {
			cty_path cut = {keep, path->steps};
			g->detail = fy_arena_sprintf(a, "%s: %s", cty_path_string(a, path), d->items[i].detail);
			g->attribute = tf_path_to_proto(a, &cut);
		} else {
			g->attribute = tf_path_to_proto(a, path);
		}
		arr[i] = g;
	}
	return arr;
}

/* ------------------------------------------------------------------ context */

fy_arena *tf_ctx_arena(tf_ctx *ctx)
{
	return ctx->arena;
}

tf_diags *tf_ctx_diags(tf_ctx *ctx)
{
	return ctx->diags;
}

void *tf_ctx_provider_data(tf_ctx *ctx)
{
	return ctx->provider_data;
}

const char *tf_ctx_terraform_version(tf_ctx *ctx)
{
	return ctx->terraform_version ? ctx->terraform_version : "";
}

const void *tf_ctx_impl(tf_ctx *ctx)
{
	return ctx->impl;
}

void tf_ctx_set_impl(tf_ctx *ctx, const void *impl)
{
	ctx->impl = impl;
}

void tf_ctx_register_secrets(tf_ctx *ctx, const cty_value *v)
{
	if (ctx->schema != NULL)
		tf_register_secrets(ctx->schema->root, v);
}

const cty_type *tf_ctx_schema_type(tf_ctx *ctx)
{
	return ctx->schema ? ctx->schema->root->type : NULL;
}

void tf_error(tf_ctx *ctx, const cty_path *path, const char *summary, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	tf_diag_addv(ctx->diags, TF_ERROR, path, summary, detail_fmt, ap);
	va_end(ap);
}

void tf_warning(tf_ctx *ctx, const cty_path *path, const char *summary, const char *detail_fmt, ...)
{
	va_list ap;
	va_start(ap, detail_fmt);
	tf_diag_addv(ctx->diags, TF_WARNING, path, summary, detail_fmt, ap);
	va_end(ap);
}

cty_path *tf_path(tf_ctx *ctx, const char *attr)
{
	return cty_path_attr(ctx->arena, NULL, attr);
}

int tf_ctx_new_detached(tf_ctx **out, fy_arena *a, const tf_block *schema, void *provider_data)
{
	tf_schema *s = NULL;
	if (schema != NULL) {
		/* Regexes are checked but not kept: nothing would regfree them when the arena is dropped. */
		int rc = tf_schema_compile(&s, a, schema, 0, "schema");
		if (rc < 0)
			return rc;
	}
	tf_ctx *ctx = fy_arena_alloc(a, sizeof(*ctx));
	ctx->arena = a;
	tf_diags_new(&ctx->diags, a);
	ctx->provider_data = provider_data;
	ctx->terraform_version = "";
	ctx->schema = s;
	*out = ctx;
	return FY_OK;
}

const tf_schema *tf_ctx_schema_for(tf_ctx *ctx, const tf_block *def)
{
	if (ctx->schema != NULL && ctx->schema->def == def)
		return ctx->schema;
	if (ctx->extra != NULL && ctx->extra->def == def)
		return ctx->extra;
	tf_schema *s = NULL;
	if (tf_schema_compile(&s, ctx->arena, def, 0, "schema") < 0) {
		tf_error(ctx, NULL, "Invalid provider schema", "%s. This is a bug in the provider.",
			fy_error_last()->message);
		return NULL;
	}
	ctx->extra = s;
	return s;
}
