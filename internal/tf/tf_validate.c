/*
 * Config validation from the table: required arguments, validators (known, non-null values only: an unknown
 * value is judged at apply time, docs/internals/protocol.md 4.1), deprecation warnings. Then the resource's own
 * validate().
 */
#include "tf_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct vwalk {
	tf_ctx *ctx;
	fy_arena *a;
	int in_secret; /* inside a sensitive or write-only nested attribute */
} vwalk;

/* Never echo a secret back in a diagnostic: Terraform prints details verbatim. Sensitivity is inherited: Terraform
 * marks the whole value of a sensitive nested attribute sensitive, children included. */
static int secret(const vwalk *w, const tf_cattr *at)
{
	return w->in_secret || (at->flags & (TF_SENSITIVE | TF_WRITE_ONLY)) != 0;
}

static const char *allowed_list(fy_arena *a, const char *const *vals)
{
	char *s = "";
	for (size_t i = 0; vals[i] != NULL; i++)
		s = fy_arena_sprintf(a, "%s%s\"%s\"", s, i ? ", " : "", vals[i]);
	return s;
}

static int https_url_ok(const char *s)
{
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	if (strncasecmp(s, "https://", 8) != 0)
		return 0;
	const char *auth = s + 8;
	size_t alen = strcspn(auth, "/?#");
	if (alen == 0)
		return 0;
	/* userinfo@host:port -> host:port */
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	const char *host = at ? at + 1 : auth;
	const char *end = auth + alen;
	const char *hend = end;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));
		if (rb == NULL || rb == host + 1)
			return 0;
		hend = rb + 1;
	} else {
		const char *colon = memchr(host, ':', (size_t)(end - host));
		if (colon != NULL)
			hend = colon;
	}
	if (hend == host)
		return 0;
	if (hend < end) {
		if (*hend != ':' || hend + 1 == end)
			return 0;
		for (const char *p = hend + 1; p < end; p++)
			if (!isdigit((unsigned char)*p))
				return 0;
	}
	return 1;
}

static void invalid(vwalk *w, const cty_path *path, const tf_validator *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void invalid(vwalk *w, const cty_path *path, const tf_validator *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *dflt = fy_arena_vsprintf(w->a, fmt, ap);
	va_end(ap);
	if (v->message != NULL)
		tf_error(w->ctx, path, "Invalid value", "%s", v->message);
	else
		tf_error(w->ctx, path, "Invalid value", "%s", dflt);
}

static void run_validator(
	vwalk *w, const tf_cattr *at, const tf_cvalidator *cv, const cty_value *v, const cty_path *path)
{
	const tf_validator *def = cv->def;
	size_t len = 0;
	const char *s = cty_type_kind(cty_value_type(v)) == CTY_STRING ? cty_as_string(v, &len) : NULL;
	switch (def->kind) {
	case TF_V_ONE_OF: {
		if (s == NULL)
			return;
		const char *near = NULL;
		for (size_t i = 0; def->one_of[i] != NULL; i++) {
			if (strcmp(def->one_of[i], s) == 0)
				return;
			if (near == NULL && strcasecmp(def->one_of[i], s) == 0)
				near = def->one_of[i];
		}
		const char *allowed = allowed_list(w->a, def->one_of);
		const char *extra = def->message ? fy_arena_sprintf(w->a, "\n\n%s", def->message) : "";
		if (secret(w, at))
			tf_error(w->ctx, path, "Invalid value", "The value is not one of the allowed values: %s.%s",
				allowed, extra);
		else if (near != NULL)
			tf_error(w->ctx, path, "Invalid value",
				"\"%s\" is not valid; did you mean \"%s\"? Allowed values: %s.%s", s, near, allowed,
				extra);
		else
			tf_error(w->ctx, path, "Invalid value", "\"%s\" is not valid. Allowed values: %s.%s", s,
				allowed, extra);
		return;
	}
	case TF_V_REGEX: {
		if (s == NULL)
			return;
		int match;
		if (cv->re != NULL) {
			match = regexec(cv->re, s, 0, NULL, 0) == 0;
		} else {
			/* Detached contexts: compile per use (the table was checked when the schema was compiled). */
			regex_t re;
			char *anchored = fy_arena_sprintf(w->a, "^(%s)$", def->pattern);
			if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
				return;
			match = regexec(&re, s, 0, NULL, 0) == 0;
			regfree(&re);
		}
		if (!match) {
			if (secret(w, at))
				invalid(w, path, def, "The value does not match the pattern %s.", def->pattern);
			else
				invalid(w, path, def, "\"%s\" does not match the pattern %s.", s, def->pattern);
		}
		return;
	}
	case TF_V_HTTPS_URL:
		if (s != NULL && !https_url_ok(s)) {
			if (secret(w, at))
				invalid(w, path, def, "The value must be an absolute https:// URL with a host.");
			else
				invalid(w, path, def, "\"%s\" is not an absolute https:// URL with a host.", s);
		}
		return;
	case TF_V_NOT_EMPTY: {
		int empty = s != NULL ? len == 0 : (cty_type_is_collection(cty_value_type(v)) && cty_length(v) == 0);
		if (empty)
			invalid(w, path, def, "The value must not be empty.");
		return;
	}
	case TF_V_CONTAINS:
		if (s != NULL && strstr(s, def->pattern) == NULL) {
			if (secret(w, at))
				invalid(w, path, def, "The value must contain \"%s\".", def->pattern);
			else
				invalid(w, path, def, "\"%s\" must contain \"%s\".", s, def->pattern);
		}
		return;
	case TF_V_FUNC: def->func(def, v, path, w->ctx->diags); return;
	default: return;
	}
}

static void validate_obj(vwalk *w, const tf_cobj *o, const cty_value *obj, const cty_path *path, int in_set);

/* Elements of a nested attribute / block collection. Set elements cannot be addressed (docs/internals/protocol.md 4.4):
 * problems
 * inside them point at the set itself. */
static void validate_nested(
	vwalk *w, tf_nesting nesting, const tf_cobj *o, const cty_value *v, const cty_path *path, int in_set)
{
	if (v == NULL || !cty_is_known(v) || cty_is_null(v))
		return;
	size_t n;
	switch (nesting) {
	case TF_NEST_SINGLE: validate_obj(w, o, v, path, in_set); return;
	case TF_NEST_LIST:
		n = cty_length(v);
		for (size_t i = 0; i < n; i++)
			validate_obj(
				w, o, cty_index(v, i), in_set ? path : cty_path_index(w->a, path, (int64_t)i), in_set);
		return;
	case TF_NEST_MAP:
		n = cty_length(v);
		for (size_t i = 0; i < n; i++)
			validate_obj(w, o, cty_index(v, i), in_set ? path : cty_path_key(w->a, path, cty_map_key(v, i)),
				in_set);
		return;
	case TF_NEST_SET:
		n = cty_length(v);
		for (size_t i = 0; i < n; i++)
			validate_obj(w, o, cty_index(v, i), path, 1);
		return;
	default: return;
	}
}

static void validate_obj(vwalk *w, const tf_cobj *o, const cty_value *obj, const cty_path *path, int in_set)
{
	if (obj == NULL || !cty_is_known(obj) || cty_is_null(obj))
		return;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		const cty_value *v = cty_get_attr(obj, at->name);
		const cty_path *p = in_set ? path : cty_path_attr(w->a, path, at->name);
		if (cty_is_unknown_value(v)) {
			if (at->def->deprecation != NULL)
				tf_warning(w->ctx, p, "Argument is deprecated", "%s", at->def->deprecation);
			continue;
		}
		if (tf_is_null(v)) {
			if (at->flags & TF_REQUIRED)
				tf_error(w->ctx, p, "Missing required argument",
					"The argument \"%s\" is required, but no definition was found.", at->name);
			continue;
		}
		if (at->def->deprecation != NULL)
			tf_warning(w->ctx, p, "Argument is deprecated", "%s", at->def->deprecation);
		for (size_t k = 0; k < at->nvalidators; k++)
			run_validator(w, at, &at->validators[k], v, p);
		if (at->nested != NULL) {
			int outer = w->in_secret;
			w->in_secret = secret(w, at);
			validate_nested(w, at->nesting, at->nested, v, p, in_set);
			w->in_secret = outer;
		}
	}
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		const cty_value *v = cty_get_attr(obj, bt->name);
		if (v == NULL || !cty_is_known(v) || cty_is_null(v))
			continue;
		const cty_path *p = in_set ? path : cty_path_attr(w->a, path, bt->name);
		if (bt->obj->block->deprecation != NULL && (bt->nesting == TF_NEST_SINGLE || cty_length(v) > 0))
			tf_warning(w->ctx, p, "Block is deprecated", "%s", bt->obj->block->deprecation);
		validate_nested(w, bt->nesting, bt->obj, v, p, in_set);
	}
}

void tf_validate_config(tf_ctx *ctx, const tf_schema *s, const cty_value *config)
{
	vwalk w = {.ctx = ctx, .a = ctx->arena};
	validate_obj(&w, s->root, config, NULL, 0);
}

void tf_resource_validate(tf_ctx *ctx, const tf_resource *r, const cty_value *config)
{
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return;
	if (s->def->deprecation != NULL)
		tf_warning(ctx, NULL, "Deprecated Resource", "%s", s->def->deprecation);
	tf_validate_config(ctx, s, config);
	tf_rules_judge(ctx, s->def->rules, config);
	if (r->validate != NULL && cty_is_set(config))
		r->validate(ctx, config);
}
