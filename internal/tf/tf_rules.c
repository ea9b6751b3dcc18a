/* Cross-attribute rules declared in a block (tf_rule in tf.h), judged after the table validators. */
#include "tf_internal.h"

#include <string.h>

typedef enum { V_UNKNOWN, V_NULL, V_SET } vstate;

/* The value at a dotted path through single nested objects; V_NULL when a parent is null. */
static vstate lookup(const cty_value **out, const cty_value *config, const char *path)
{
	const cty_value *v = config;
	*out = NULL;
	for (const char *p = path; v != NULL;) {
		if (!cty_is_known(v))
			return V_UNKNOWN;
		if (cty_is_null(v))
			return V_NULL;
		const char *dot = strchr(p, '.');
		char name[128];
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof name)
			return V_NULL;
		memcpy(name, p, n);
		name[n] = '\0';
		v = cty_get_attr(v, name);
		if (!dot)
			break;
		p = dot + 1;
	}
	if (v == NULL)
		return V_NULL;
	if (!cty_is_known(v))
		return V_UNKNOWN;
	if (cty_is_null(v))
		return V_NULL;
	*out = v;
	return V_SET;
}

/* "a.b" as a diagnostic path. */
static cty_path *path_of(fy_arena *a, const char *dotted)
{
	cty_path *p = NULL;
	for (const char *s = dotted;;) {
		const char *dot = strchr(s, '.');
		p = cty_path_attr(a, p, dot ? fy_arena_strndup(a, s, (size_t)(dot - s)) : s);
		if (!dot)
			return p;
		s = dot + 1;
	}
}

static int one_of(const char *s, const char *const *values)
{
	for (; s && values && *values; values++)
		if (strcmp(s, *values) == 0)
			return 1;
	return 0;
}

/* 1 when the rule's condition holds, 0 when not, -1 when it cannot be told yet. The condition's value in *val. */
static int condition(const char **val, const cty_value *config, const tf_condition *c)
{
	*val = "";
	if (c->attr == NULL)
		return 1;
	const cty_value *v;
	vstate st = lookup(&v, config, c->attr);
	if (st == V_UNKNOWN)
		return -1;
	if (c->values == NULL)
		return st == V_SET;
	const char *s = st == V_SET ? cty_as_string(v, NULL) : NULL;
	*val = s ? s : "";
	return one_of(s, c->values);
}

/* The text with {value} and {when} filled in. */
static char *fill(fy_arena *a, const char *text, const char *value, const char *when)
{
	char *out = fy_arena_strdup(a, "");
	for (const char *p = text; *p;) {
		const char *v = strstr(p, "{value}"), *w = strstr(p, "{when}");
		const char *hit = v && (!w || v < w) ? v : w;
		if (!hit)
			return fy_arena_sprintf(a, "%s%s", out, p);
		out = fy_arena_sprintf(a, "%s%.*s%s", out, (int)(hit - p), p, hit == v ? value : when);
		p = hit + (hit == v ? 7 : 6);
	}
	return out;
}

/* 1 when an error already stands at this attribute (its own validator refused it): one error per mistake. */
static int already_refused(tf_ctx *ctx, const char *dotted)
{
	const char *want = cty_path_string(ctx->arena, path_of(ctx->arena, dotted));
	for (size_t i = 0; i < tf_diags_count(ctx->diags); i++) {
		const cty_path *p = tf_diags_path(ctx->diags, i);
		if (tf_diags_severity(ctx->diags, i) == TF_ERROR && p &&
			strcmp(cty_path_string(ctx->arena, p), want) == 0)
			return 1;
	}
	return 0;
}

static void judge(tf_ctx *ctx, const tf_rule *r, const cty_value *config)
{
	fy_arena *a = ctx->arena;
	for (size_t i = 0; r->attrs[i]; i++)
		if (already_refused(ctx, r->attrs[i]))
			return;
	if (r->when.attr && already_refused(ctx, r->when.attr))
		return;
	const char *when;
	int holds = condition(&when, config, &r->when);
	if (holds < 0)
		return;
	size_t n = 0, nset = 0, nunknown = 0, first_set = 0, last_set = 0;
	for (; r->attrs[n]; n++) {
		const cty_value *v;
		vstate st = lookup(&v, config, r->attrs[n]);
		nunknown += st == V_UNKNOWN;
		if (st == V_SET) {
			if (!nset)
				first_set = n;
			last_set = n;
			nset++;
		}
	}
	const cty_value *v0;
	const char *value = lookup(&v0, config, r->attrs[0]) == V_SET ? cty_as_string(v0, NULL) : NULL;
	value = value ? value : "";
	switch (r->kind) {
	case TF_RULE_CONFLICTS:
	case TF_RULE_EXACTLY_ONE:
		if (!holds || nunknown)
			return;
		if (nset > 1) {
			const char *both = r->kind == TF_RULE_CONFLICTS
				? fill(a, r->detail, value, when)
				: fy_arena_sprintf(a, "Set exactly one of %s and %s, not both.", r->attrs[first_set],
					  r->attrs[last_set]);
			tf_error(ctx, path_of(a, r->attrs[last_set]),
				r->kind == TF_RULE_CONFLICTS ? r->summary : "Conflicting arguments", "%s", both);
		} else if (nset == 0 && r->kind == TF_RULE_EXACTLY_ONE) {
			tf_error(ctx, path_of(a, r->attrs[0]), r->summary, "%s", fill(a, r->detail, value, when));
		}
		return;
	case TF_RULE_REQUIRED_WITH: {
		const cty_value *v;
		if (!holds || lookup(&v, config, r->attrs[0]) != V_SET || nunknown)
			return;
		if (nset < n)
			tf_error(ctx, path_of(a, r->attrs[0]), r->summary, "%s", fill(a, r->detail, value, when));
		return;
	}
	case TF_RULE_REQUIRED_WHEN:
		if (holds && !nunknown && nset == 0)
			tf_error(ctx, path_of(a, r->attrs[0]), r->summary, "%s", fill(a, r->detail, value, when));
		return;
	case TF_RULE_ONLY_WHEN:
		for (size_t i = 0; !holds && i < n; i++) {
			const cty_value *v;
			if (lookup(&v, config, r->attrs[i]) == V_SET)
				tf_error(ctx, path_of(a, r->attrs[i]), r->summary, "%s",
					fill(a, fill(a, r->detail, r->attrs[i], when), value, when));
		}
		return;
	case TF_RULE_ONE_OF_WHEN:
		if (holds && nset == 1 && !one_of(value, r->values))
			tf_error(ctx, path_of(a, r->attrs[0]), r->summary, "%s", fill(a, r->detail, value, when));
		return;
	case TF_RULE_END: return;
	}
}

void tf_rules_judge(tf_ctx *ctx, const tf_rule *rules, const cty_value *config)
{
	if (rules == NULL || config == NULL || !cty_is_known(config) || cty_is_null(config))
		return;
	for (const tf_rule *r = rules; r->kind != TF_RULE_END; r++)
		judge(ctx, r, config);
}
