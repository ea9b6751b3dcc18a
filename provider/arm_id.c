/* ARM ids checked against a declaration (see arm_id.h). */
#include "provider/arm_id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal/common/fy_error.h"

/* Account and project names: ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$, 2-64 characters (docs/internals/arm.md 0.6). */
static int account_name_valid(const char *s, size_t n)
{
	if (n < 2 || n > 64 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

/* Resource group names: 1-90 of letters, digits, '_', '-', '.', '(', ')' (and non-ASCII), not ending with '.'. */
static int group_name_valid(const char *s, size_t n)
{
	if (n < 1 || n > 90 || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.' && c != '(' && c != ')' && c < 0x80)
			return 0;
	}
	return 1;
}

const foundry_arm_name_rule foundry_arm_rule_group = {
	group_name_valid, "1-90 characters: letters, digits, '_', '-', '.', '(', ')', not ending with '.'"};
const foundry_arm_name_rule foundry_arm_rule_account = {
	account_name_valid, "2-64 characters: letters, digits, '_', '.', '-', starting with a letter or digit"};

#define BASE_SEGMENTS                                                                     \
	{"subscriptions", NULL, "subscription", NULL},                                    \
		{"resourceGroups", NULL, "resource group", &foundry_arm_rule_group},      \
		{"providers", "Microsoft.CognitiveServices", "provider namespace", NULL}, \
	{                                                                                 \
		"accounts", NULL, "account", &foundry_arm_rule_account                    \
	}

static const foundry_arm_segment account_segments[] = {BASE_SEGMENTS, {NULL, NULL, NULL, NULL}};
static const foundry_arm_segment project_segments[] = {
	BASE_SEGMENTS, {"projects", NULL, "project", &foundry_arm_rule_account}, {NULL, NULL, NULL, NULL}};
const foundry_arm_shape foundry_arm_shape_account = {"account", account_segments};
const foundry_arm_shape foundry_arm_shape_project = {"project", project_segments};

/* ----------------------------------------------------------------- messages */

/* "  /subscriptions/{subscription}/.../accounts/{account}" for one shape, plus an optional child. */
static size_t shape_text(char *buf, size_t n, const foundry_arm_shape *s, const foundry_arm_idspec *child)
{
	size_t o = 0;
	o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "  ");
	for (const foundry_arm_segment *g = s->segments; g->key; g++)
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "/%s/%s%s%s", g->key, g->value ? "" : "{",
			g->value ? g->value : g->what, g->value ? "" : "}");
	if (child)
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "/%s/{name}", child->collection);
	return o;
}

/* The accepted shapes, one a line, for the end of a message. */
static const char *shapes_text(char *buf, size_t n, const foundry_arm_idspec *spec, int with_child)
{
	size_t o = (size_t)snprintf(
		buf, n, "Expected the ARM id of a %s:", with_child ? spec->noun : "parent (an account or a project)");
	if (!with_child && spec->parents[0] && !spec->parents[1])
		o = (size_t)snprintf(buf, n, "Expected the ARM id of a Foundry %s:", spec->parents[0]->what);
	else if (!with_child) {
		o = (size_t)snprintf(buf, n, "Expected the ARM id of a Foundry ");
		for (size_t i = 0; spec->parents[i]; i++)
			o += (size_t)snprintf(
				buf + o, o < n ? n - o : 0, "%s%s", i ? " or " : "", spec->parents[i]->what);
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, ":");
	}
	for (size_t i = 0; spec->parents[i]; i++) {
		o += (size_t)snprintf(buf + o, o < n ? n - o : 0, "\n");
		o += shape_text(buf + o, o < n ? n - o : 0, spec->parents[i], with_child ? spec : NULL);
	}
	return buf;
}

/* ----------------------------------------------------------------- parsing */

enum { MAX_SEGMENTS = 16 };

typedef struct parsed {
	const char *seg[MAX_SEGMENTS * 2];
	size_t len[MAX_SEGMENTS * 2];
	size_t n;
} parsed;

/* "/a/b/c/d" into its parts; a message names the first problem. */
static int split_parts(parsed *p, const char *id)
{
	p->n = 0;
	if (!id || id[0] != '/')
		return fy_error_set(FY_EINVALID, "The id must start with \"/subscriptions/\".");
	for (const char *s = id + 1;;) {
		const char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l == 0)
			return fy_error_set(FY_EINVALID, "The id has an empty segment (a doubled or trailing \"/\").");
		if (p->n == MAX_SEGMENTS * 2)
			return fy_error_set(FY_EINVALID, "The id has too many segments.");
		p->seg[p->n] = s;
		p->len[p->n++] = l;
		if (!e)
			return 0;
		s = e + 1;
	}
}

static int seg_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static size_t shape_parts(const foundry_arm_shape *s)
{
	size_t n = 0;
	while (s->segments[n].key)
		n++;
	return 2 * n;
}

/* 1 when the fixed keys match (the shape is the one meant); then *why is set to the first invalid value, if any. */
static int match_shape(const char **why, char *buf, size_t bn, const foundry_arm_shape *s, const parsed *p)
{
	if (p->n != shape_parts(s))
		return 0;
	for (size_t i = 0; s->segments[i].key; i++)
		if (!seg_eq(p->seg[2 * i], p->len[2 * i], s->segments[i].key))
			return 0;
	*why = NULL;
	for (size_t i = 0; s->segments[i].key && !*why; i++) {
		const foundry_arm_segment *g = &s->segments[i];
		const char *v = p->seg[2 * i + 1];
		size_t vl = p->len[2 * i + 1];
		if (g->value && !seg_eq(v, vl, g->value)) {
			snprintf(buf, bn, "The %s is \"%.*s\", not %s.", g->what, (int)vl, v, g->value);
			*why = buf;
		} else if (g->name && !g->name->valid(v, vl)) {
			snprintf(buf, bn, "\"%.*s\" is not a valid %s name (%s).", (int)vl, v, g->what, g->name->rule);
			*why = buf;
		}
	}
	return 1;
}

int foundry_arm_parent_parse(size_t *out_shape, const foundry_arm_idspec *spec, const char *id)
{
	char shapes[1024], why_buf[512];
	parsed p;
	if (split_parts(&p, id) < 0)
		return fy_error_set(
			FY_EINVALID, "%s\n\n%s", fy_error_last()->message, shapes_text(shapes, sizeof shapes, spec, 0));
	for (size_t i = 0; spec->parents[i]; i++) {
		const char *why;
		if (!match_shape(&why, why_buf, sizeof why_buf, spec->parents[i], &p))
			continue;
		if (why)
			return fy_error_set(FY_EINVALID, "%s\n\n%s", why, shapes_text(shapes, sizeof shapes, spec, 0));
		if (out_shape)
			*out_shape = i;
		return 0;
	}
	return fy_error_set(FY_EINVALID, "The id does not have the segments of a %s.\n\n%s",
		spec->parents[1] ? "Foundry account or project" : spec->parents[0]->what,
		shapes_text(shapes, sizeof shapes, spec, 0));
}

int foundry_arm_name_valid(const foundry_arm_idspec *spec, const char *name)
{
	return name && spec->name->valid(name, strlen(name));
}

int foundry_arm_id_split(
	char **out_parent, char **out_name, fy_arena *a, const foundry_arm_idspec *spec, const char *id)
{
	char shapes[1024];
	char sep[96];
	snprintf(sep, sizeof sep, "/%s/", spec->collection);
	size_t sl = strlen(sep), n = id ? strlen(id) : 0;
	const char *hit = NULL;
	for (size_t i = 0; i + sl <= n; i++)
		if (strncasecmp(id + i, sep, sl) == 0)
			hit = id + i;
	if (!hit)
		return fy_error_set(FY_EINVALID, "\"%s\" is not a %s id.\n\n%s", id ? id : "", spec->noun,
			shapes_text(shapes, sizeof shapes, spec, 1));
	const char *name = hit + sl;
	char *parent = fy_arena_strndup(a, id, (size_t)(hit - id));
	if (foundry_arm_parent_parse(NULL, spec, parent) < 0)
		return fy_error_set(FY_EINVALID, "\"%s\" is not a %s id: %s", id, spec->noun, fy_error_last()->message);
	if (!foundry_arm_name_valid(spec, name))
		return fy_error_set(FY_EINVALID, "\"%s\" is not a valid %s name (%s).\n\n%s", name, spec->noun,
			spec->name->rule, shapes_text(shapes, sizeof shapes, spec, 1));
	*out_parent = parent;
	*out_name = fy_arena_strdup(a, name);
	return 0;
}

char *foundry_arm_id_join(fy_arena *a, const foundry_arm_idspec *spec, const char *parent, const char *name)
{
	return fy_arena_sprintf(a, "%s/%s/%s", parent, spec->collection, name);
}
