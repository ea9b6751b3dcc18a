/* Attribute paths and their Terraform spelling. */
#include "cty_internal.h"

#include <stdio.h>
#include <string.h>

cty_path *cty_path_root(fy_arena *a)
{
	return fy_arena_alloc(a, sizeof(cty_path));
}

static cty_path *extend(fy_arena *a, const cty_path *parent, cty_step step)
{
	size_t n = parent != NULL ? parent->len : 0;
	cty_step *steps = fy_arena_alloc(a, (n + 1) * sizeof(*steps));
	if (n > 0)
		memcpy(steps, parent->steps, n * sizeof(*steps));
	steps[n] = step;
	cty_path *p = fy_arena_alloc(a, sizeof(*p));
	p->len = n + 1;
	p->steps = steps;
	return p;
}

cty_path *cty_path_attr(fy_arena *a, const cty_path *parent, const char *name)
{
	return extend(
		a, parent, (cty_step){.kind = CTY_STEP_ATTR, .name = fy_arena_strdup(a, name != NULL ? name : "")});
}

cty_path *cty_path_key(fy_arena *a, const cty_path *parent, const char *key)
{
	return extend(a, parent, (cty_step){.kind = CTY_STEP_KEY, .name = fy_arena_strdup(a, key != NULL ? key : "")});
}

cty_path *cty_path_index(fy_arena *a, const cty_path *parent, int64_t index)
{
	return extend(a, parent, (cty_step){.kind = CTY_STEP_INDEX, .index = index});
}

/* Growable arena string. */
typedef struct sbuf {
	fy_arena *a;
	char *p;
	size_t len, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap * 2 + n + 16;
		b->p = fy_arena_realloc(b->a, b->p, b->cap, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Map keys are quoted the way Go's %q does for printable text (tfdiags.FormatCtyPath uses %q). */
static void sb_quoted(sbuf *b, const char *k)
{
	sb_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)k; *p != '\0'; p++) {
		char esc[8];
		switch (*p) {
		case '"': sb_str(b, "\\\""); break;
		case '\\': sb_str(b, "\\\\"); break;
		case '\n': sb_str(b, "\\n"); break;
		case '\r': sb_str(b, "\\r"); break;
		case '\t': sb_str(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", *p);
				sb_str(b, esc);
			} else {
				sb_put(b, (const char *)p, 1);
			}
		}
	}
	sb_put(b, "\"", 1);
}

char *cty__path_format(fy_arena *a, const cty_step *steps, size_t n, int leading_dot)
{
	sbuf b = {.a = a};
	sb_put(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		const cty_step *s = &steps[i];
		char num[32];
		switch (s->kind) {
		case CTY_STEP_ATTR:
			if (i > 0 || leading_dot)
				sb_put(&b, ".", 1);
			sb_str(&b, s->name != NULL ? s->name : "");
			break;
		case CTY_STEP_KEY:
			sb_put(&b, "[", 1);
			sb_quoted(&b, s->name != NULL ? s->name : "");
			sb_put(&b, "]", 1);
			break;
		case CTY_STEP_INDEX:
			snprintf(num, sizeof(num), "[%lld]", (long long)s->index);
			sb_str(&b, num);
			break;
		}
	}
	return b.p;
}

char *cty_path_string(fy_arena *a, const cty_path *p)
{
	if (p == NULL)
		return fy_arena_strdup(a, "");
	return cty__path_format(a, p->steps, p->len, 0);
}

int cty__path_error(fy_arena *a, const cty_step *steps, size_t n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n == 0)
		return fy_error_set(FY_EINVALID, "%s", msg);
	return fy_error_set(FY_EINVALID, "%s: %s", cty__path_format(a, steps, n, 1), msg);
}

cty_value *cty_path_get(const cty_value *root, const cty_path *p)
{
	const cty_value *v = root;
	size_t n = p != NULL ? p->len : 0;
	for (size_t i = 0; i < n && v != NULL; i++) {
		const cty_step *s = &p->steps[i];
		if (v->is_null || v->is_unknown)
			return NULL;
		switch (s->kind) {
		case CTY_STEP_ATTR:
			v = cty_has_attr(v, s->name) ? cty_get_attr(v, s->name) : NULL;
			break; /* paths come from outside */
		case CTY_STEP_KEY: v = v->type->kind == CTY_MAP ? cty_map_get(v, s->name) : NULL; break;
		case CTY_STEP_INDEX:
			/* Lists and tuples by position; sets too, in their stored order (cty addresses set elements
			 * by value, which this model does not). */
			if (v->type->kind != CTY_LIST && v->type->kind != CTY_TUPLE && v->type->kind != CTY_SET)
				return NULL;
			if (s->index < 0 || (uint64_t)s->index >= cty_length(v))
				return NULL;
			v = cty_index(v, (size_t)s->index);
			break;
		}
	}
	return (cty_value *)v;
}
