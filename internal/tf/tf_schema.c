/*
 * Schema compilation: the provider's tables -> cty types, checked defaults and validators, once at startup;
 * and the compiled form -> tfplugin6.Schema messages.
 */
#include "tf_internal.h"

#include <stdlib.h>
#include <string.h>

#include "tfplugin6.pb-c.h"

typedef struct compiler {
	fy_arena *a;
	int precompile;
	regex_t **regexes;
	size_t nregexes, cap;
} compiler;

static int name_ok(const char *n)
{
	/* Terraform's InternalValidate: ^[a-z0-9_]+$ (docs/internals/protocol.md 1.4). */
	if (n == NULL || *n == '\0')
		return 0;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return 0;
	return 1;
}

static int type_has_dynamic(const cty_type *t)
{
	switch (cty_type_kind(t)) {
	case CTY_DYNAMIC: return 1;
	case CTY_LIST:
	case CTY_SET:
	case CTY_MAP: return type_has_dynamic(cty_type_elem(t));
	case CTY_OBJECT:
	case CTY_TUPLE:
		for (size_t i = 0; i < cty_type_count(t); i++)
			if (type_has_dynamic(cty_type_attr_type(t, i)))
				return 1;
		return 0;
	default: return 0;
	}
}

static const cty_type *wrap_nesting(fy_arena *a, tf_nesting n, const cty_type *obj)
{
	switch (n) {
	case TF_NEST_LIST: return cty_type_list(a, obj);
	case TF_NEST_SET: return cty_type_set(a, obj);
	case TF_NEST_MAP: return cty_type_map(a, obj);
	default: return obj;
	}
}

/* A regex validator must match the whole value: anchor it here rather than trusting every pattern to. */
static int compile_regex(compiler *c, regex_t **out, const char *pattern, const char *where)
{
	regex_t tmp;
	char *anchored = fy_arena_sprintf(c->a, "^(%s)$", pattern);
	int err = regcomp(&tmp, anchored, REG_EXTENDED | REG_NOSUB); /* a positive REG_* code on failure */
	if (err) {
		char msg[256];
		regerror(err, &tmp, msg, sizeof(msg));
		return fy_error_set(FY_EINVALID, "%s: invalid regex %s: %s", where, pattern, msg);
	}
	if (!c->precompile) {
		regfree(&tmp);
		*out = NULL;
		return FY_OK;
	}
	regex_t *re = fy_arena_alloc(c->a, sizeof(*re));
	*re = tmp;
	if (c->nregexes == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		c->regexes =
			fy_arena_realloc(c->a, c->regexes, c->cap * sizeof(*c->regexes), ncap * sizeof(*c->regexes));
		c->cap = ncap;
	}
	c->regexes[c->nregexes++] = re;
	*out = re;
	return FY_OK;
}

static int compile_validators(compiler *c, tf_cattr *at, const char *where)
{
	const tf_validator *v = at->def->validators;
	if (v == NULL)
		return FY_OK;
	size_t n = 0;
	while (v[n].kind != TF_V_END)
		n++;
	at->nvalidators = n;
	at->validators = fy_arena_alloc(c->a, (n ? n : 1) * sizeof(tf_cvalidator));
	int is_string = at->nesting == TF_NEST_NONE && cty_type_kind(at->type) == CTY_STRING;
	int is_coll = at->nesting == TF_NEST_LIST || at->nesting == TF_NEST_SET || at->nesting == TF_NEST_MAP ||
		(at->nesting == TF_NEST_NONE && cty_type_is_collection(at->type));
	for (size_t i = 0; i < n; i++) {
		at->validators[i].def = &v[i];
		switch (v[i].kind) {
		case TF_V_ONE_OF:
			if (v[i].one_of == NULL || v[i].one_of[0] == NULL)
				return fy_error_set(FY_EINVALID, "%s: one_of validator without values", where);
			/* fallthrough */
		case TF_V_HTTPS_URL:
			if (!is_string)
				return fy_error_set(
					FY_EINVALID, "%s: string validator on a non-string attribute", where);
			break;
		case TF_V_CONTAINS:
			if (!is_string || v[i].pattern == NULL)
				return fy_error_set(FY_EINVALID,
					"%s: contains validator needs a string attribute and a pattern", where);
			break;
		case TF_V_REGEX:
			if (!is_string || v[i].pattern == NULL)
				return fy_error_set(FY_EINVALID,
					"%s: regex validator needs a string attribute and a pattern", where);
			if (compile_regex(c, &at->validators[i].re, v[i].pattern, where) != 0)
				return FY_EINVALID;
			break;
		case TF_V_NOT_EMPTY:
			if (!is_string && !is_coll)
				return fy_error_set(FY_EINVALID,
					"%s: not_empty validator on a non-string, non-collection attribute", where);
			break;
		case TF_V_FUNC:
			if (v[i].func == NULL)
				return fy_error_set(FY_EINVALID, "%s: func validator without a function", where);
			break;
		default: return fy_error_set(FY_EINVALID, "%s: unknown validator kind %d", where, (int)v[i].kind);
		}
	}
	return FY_OK;
}

static int compile_object(compiler *c, tf_cobj **out, const tf_attribute *attrs, const tf_block_type *blocks,
	int in_set, const char *where);

static int compile_attr(compiler *c, tf_cattr *at, const tf_attribute *def, int in_set, const char *owner)
{
	fy_arena *a = c->a;
	const char *where = fy_arena_sprintf(a, "%s: attribute \"%s\"", owner, def->name);
	unsigned f = def->flags;
	at->def = def;
	at->name = def->name;
	at->flags = f;
	at->nesting = def->nesting;
	if (!name_ok(def->name))
		return fy_error_set(FY_EINVALID, "%s: name must match ^[a-z0-9_]+$", where);
	/* InternalValidate's flag rules, same wording (docs/internals/protocol.md 1.4). */
	int req = (f & TF_REQUIRED) != 0, opt = (f & TF_OPTIONAL) != 0, comp = (f & TF_COMPUTED) != 0;
	if (!req && !opt && !comp)
		return fy_error_set(FY_EINVALID, "%s: must set Optional, Required or Computed", where);
	if (req && opt)
		return fy_error_set(FY_EINVALID, "%s: cannot set both Optional and Required", where);
	if (req && comp)
		return fy_error_set(FY_EINVALID, "%s: cannot set both Computed and Required", where);
	if ((f & TF_STATE_FOR_UNKNOWN) && !comp)
		return fy_error_set(FY_EINVALID, "%s: state-for-unknown needs a computed attribute", where);
	if (f & TF_WRITE_ONLY) {
		if (comp)
			return fy_error_set(FY_EINVALID, "%s: a write-only attribute cannot be computed", where);
		if (in_set)
			return fy_error_set(FY_EINVALID, "%s: write-only attributes cannot be nested in a set", where);
	}
	if ((def->type == NULL) == (def->nested == NULL))
		return fy_error_set(FY_EINVALID, "%s: exactly one of type and nested must be set", where);
	if (def->type != NULL) {
		if (def->nesting != TF_NEST_NONE)
			return fy_error_set(FY_EINVALID, "%s: nesting is only for nested attributes", where);
		if (cty_type_from_json(&at->type, a, def->type, strlen(def->type)) < 0)
			return fy_error_set(
				FY_EINVALID, "%s: invalid type %s: %s", where, def->type, fy_error_last()->message);
		if (in_set && type_has_dynamic(at->type))
			return fy_error_set(FY_EINVALID, "%s: sets may not contain dynamic types", where);
	} else {
		if (def->nesting < TF_NEST_SINGLE || def->nesting > TF_NEST_MAP)
			return fy_error_set(FY_EINVALID, "%s: nested attribute without a valid nesting mode", where);
		if (def->nested->attributes == NULL)
			return fy_error_set(FY_EINVALID, "%s: nested object without attributes", where);
		tf_cobj *o = NULL;
		int rc = compile_object(
			c, &o, def->nested->attributes, NULL, in_set || def->nesting == TF_NEST_SET, where);
		if (rc < 0)
			return rc;
		at->nested = o;
		at->type = wrap_nesting(a, def->nesting, o->type);
	}
	if (def->default_json != NULL) {
		if (!(opt && comp))
			return fy_error_set(
				FY_EINVALID, "%s: a default needs an Optional and Computed attribute", where);
		cty_value *dv = NULL;
		if (cty_json_decode(&dv, a, at->type, def->default_json, strlen(def->default_json)) < 0)
			return fy_error_set(FY_EINVALID, "%s: invalid default %s: %s", where, def->default_json,
				fy_error_last()->message);
		at->dflt = dv;
	}
	return compile_validators(c, at, where);
}

static int compile_object(compiler *c, tf_cobj **out, const tf_attribute *attrs, const tf_block_type *blocks,
	int in_set, const char *where)
{
	fy_arena *a = c->a;
	tf_cobj *o = fy_arena_alloc(a, sizeof(*o));
	size_t na = 0, nb = 0;
	while (attrs != NULL && attrs[na].name != NULL)
		na++;
	while (blocks != NULL && blocks[nb].name != NULL)
		nb++;
	o->nattrs = na;
	o->attrs = fy_arena_alloc(a, (na ? na : 1) * sizeof(tf_cattr));
	o->nblocks = nb;
	o->blocks = fy_arena_alloc(a, (nb ? nb : 1) * sizeof(tf_cblocktype));
	size_t n = na + nb;
	const char **names = fy_arena_alloc(a, (n ? n : 1) * sizeof(char *));
	const cty_type **types = fy_arena_alloc(a, (n ? n : 1) * sizeof(cty_type *));
	for (size_t i = 0; i < na; i++) {
		int rc = compile_attr(c, &o->attrs[i], &attrs[i], in_set, where);
		if (rc < 0)
			return rc;
		names[i] = o->attrs[i].name;
		types[i] = o->attrs[i].type;
	}
	for (size_t i = 0; i < nb; i++) {
		const tf_block_type *bt = &blocks[i];
		tf_cblocktype *cb = &o->blocks[i];
		const char *bw = fy_arena_sprintf(a, "%s: block \"%s\"", where, bt->name);
		if (!name_ok(bt->name))
			return fy_error_set(FY_EINVALID, "%s: name must match ^[a-z0-9_]+$", bw);
		if (bt->block == NULL)
			return fy_error_set(FY_EINVALID, "%s: no block", bw);
		switch (bt->nesting) {
		case TF_NEST_SINGLE:
			if (bt->min_items != bt->max_items)
				return fy_error_set(
					FY_EINVALID, "%s: MinItems and MaxItems must match in NestingSingle mode", bw);
			if (bt->min_items < 0 || bt->min_items > 1)
				return fy_error_set(FY_EINVALID,
					"%s: MinItems and MaxItems must be set to either 0 or 1 in NestingSingle mode",
					bw);
			break;
		case TF_NEST_LIST:
		case TF_NEST_SET:
			if (bt->min_items < 0 || bt->max_items < 0)
				return fy_error_set(
					FY_EINVALID, "%s: MinItems and MaxItems must both be greater than zero", bw);
			if (bt->max_items != 0 && bt->min_items > bt->max_items)
				return fy_error_set(
					FY_EINVALID, "%s: MinItems must be less than or equal to MaxItems", bw);
			break;
		case TF_NEST_MAP:
			if (bt->min_items != 0 || bt->max_items != 0)
				return fy_error_set(
					FY_EINVALID, "%s: MinItems and MaxItems must both be 0 in NestingMap mode", bw);
			break;
		default: return fy_error_set(FY_EINVALID, "%s: invalid nesting mode", bw);
		}
		tf_cobj *inner = NULL;
		int rc = compile_object(
			c, &inner, bt->block->attributes, bt->block->blocks, in_set || bt->nesting == TF_NEST_SET, bw);
		if (rc < 0)
			return rc;
		inner->block = bt->block;
		cb->def = bt;
		cb->name = bt->name;
		cb->nesting = bt->nesting;
		cb->obj = inner;
		cb->type = wrap_nesting(a, bt->nesting, inner->type);
		names[na + i] = cb->name;
		types[na + i] = cb->type;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) == 0)
				return fy_error_set(
					FY_EINVALID, "%s: \"%s\" is declared more than once", where, names[i]);
	o->type = cty_type_object(a, n, names, types);
	*out = o;
	return FY_OK;
}

/* 1 when a rule's dotted path names an attribute (through single nested attributes). */
static int rule_path_ok(const tf_cobj *o, const char *path)
{
	for (const char *p = path; o != NULL;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		const tf_cattr *hit = NULL;
		for (size_t i = 0; i < o->nattrs; i++)
			if (strlen(o->attrs[i].name) == n && strncmp(o->attrs[i].name, p, n) == 0)
				hit = &o->attrs[i];
		if (hit == NULL)
			return 0;
		if (!dot)
			return 1;
		o = hit->nesting == TF_NEST_SINGLE ? hit->nested : NULL;
		p = dot + 1;
	}
	return 0;
}

/* A rule that names no attribute would silently never fire: refuse the table at start-up. */
static int check_rules(const tf_cobj *root, const tf_rule *rules, const char *what)
{
	for (const tf_rule *r = rules; r != NULL && r->kind != TF_RULE_END; r++) {
		if (r->attrs == NULL || r->attrs[0] == NULL || r->summary == NULL || r->detail == NULL)
			return fy_error_set(FY_EINVALID, "%s: rule %zu needs attributes, a summary and a detail", what,
				(size_t)(r - rules));
		for (const char *const *p = r->attrs; *p; p++)
			if (!rule_path_ok(root, *p))
				return fy_error_set(
					FY_EINVALID, "%s: rule \"%s\" names no attribute \"%s\"", what, r->summary, *p);
		if (r->when.attr && !rule_path_ok(root, r->when.attr))
			return fy_error_set(FY_EINVALID, "%s: rule \"%s\" names no attribute \"%s\"", what, r->summary,
				r->when.attr);
	}
	return FY_OK;
}

int tf_schema_compile(tf_schema **out, fy_arena *a, const tf_block *def, int precompile, const char *what)
{
	compiler c = {.a = a, .precompile = precompile};
	if (def == NULL)
		return fy_error_set(FY_EINVALID, "%s: no schema", what);
	if (def->version < 0)
		return fy_error_set(FY_EINVALID, "%s: negative schema version", what);
	tf_cobj *root = NULL;
	int rc = compile_object(&c, &root, def->attributes, def->blocks, 0, what);
	if (rc == 0)
		rc = check_rules(root, def->rules, what);
	if (rc < 0) {
		for (size_t i = 0; i < c.nregexes; i++)
			regfree(c.regexes[i]);
		return rc;
	}
	root->block = def;
	tf_schema *s = fy_arena_alloc(a, sizeof(*s));
	s->def = def;
	s->root = root;
	s->regexes = c.regexes;
	s->nregexes = c.nregexes;
	*out = s;
	return FY_OK;
}

void tf_schema_release(tf_schema *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nregexes; i++)
		regfree(s->regexes[i]);
	s->nregexes = 0;
}

int tf_block_implied_type(const cty_type **out, fy_arena *a, const tf_block *schema)
{
	tf_schema *s = NULL;
	int rc = tf_schema_compile(&s, a, schema, 0, "schema");
	if (rc < 0)
		return rc;
	*out = s->root->type;
	return FY_OK;
}

/* ------------------------------------------------------------ -> tfplugin6.Schema */

static char *str_or_empty(const char *s)
{
	return (char *)(s ? s : "");
}

static Tfplugin6__Schema__Attribute *attr_to_proto(fy_arena *a, const tf_cattr *at);

static Tfplugin6__Schema__Object *object_to_proto(fy_arena *a, const tf_cattr *at)
{
	Tfplugin6__Schema__Object *o = fy_arena_alloc(a, sizeof(*o));
	tfplugin6__schema__object__init(o);
	o->n_attributes = at->nested->nattrs;
	o->attributes = fy_arena_alloc(a, (o->n_attributes ? o->n_attributes : 1) * sizeof(*o->attributes));
	for (size_t i = 0; i < o->n_attributes; i++)
		o->attributes[i] = attr_to_proto(a, &at->nested->attrs[i]);
	switch (at->nesting) {
	case TF_NEST_LIST: o->nesting = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__LIST; break;
	case TF_NEST_SET: o->nesting = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__SET; break;
	case TF_NEST_MAP: o->nesting = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__MAP; break;
	default: o->nesting = TFPLUGIN6__SCHEMA__OBJECT__NESTING_MODE__SINGLE; break;
	}
	return o;
}

static Tfplugin6__Schema__Attribute *attr_to_proto(fy_arena *a, const tf_cattr *at)
{
	Tfplugin6__Schema__Attribute *p = fy_arena_alloc(a, sizeof(*p));
	tfplugin6__schema__attribute__init(p);
	p->name = (char *)at->name;
	if (at->nested != NULL) {
		p->nested_type = object_to_proto(a, at);
	} else {
		/* Terraform panics on a type it cannot parse (docs/internals/protocol.md 1.4): this JSON comes from
		 * cty's own encoder. */
		char *json = NULL;
		if (cty_type_to_json(&json, a, at->type) == 0) {
			p->type.data = (uint8_t *)json;
			p->type.len = strlen(json);
		}
	}
	p->description = str_or_empty(at->def->description);
	p->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
	p->required = (at->flags & TF_REQUIRED) != 0;
	p->optional = (at->flags & TF_OPTIONAL) != 0;
	p->computed = (at->flags & TF_COMPUTED) != 0;
	p->sensitive = (at->flags & TF_SENSITIVE) != 0;
	p->write_only = (at->flags & TF_WRITE_ONLY) != 0;
	p->deprecated = at->def->deprecation != NULL;
	p->deprecation_message = str_or_empty(at->def->deprecation);
	return p;
}

static Tfplugin6__Schema__Block *block_to_proto(fy_arena *a, const tf_cobj *o, int64_t version)
{
	Tfplugin6__Schema__Block *b = fy_arena_alloc(a, sizeof(*b));
	tfplugin6__schema__block__init(b);
	b->version = version;
	b->n_attributes = o->nattrs;
	b->attributes = fy_arena_alloc(a, (o->nattrs ? o->nattrs : 1) * sizeof(*b->attributes));
	for (size_t i = 0; i < o->nattrs; i++)
		b->attributes[i] = attr_to_proto(a, &o->attrs[i]);
	b->n_block_types = o->nblocks;
	b->block_types = fy_arena_alloc(a, (o->nblocks ? o->nblocks : 1) * sizeof(*b->block_types));
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *cb = &o->blocks[i];
		Tfplugin6__Schema__NestedBlock *nb = fy_arena_alloc(a, sizeof(*nb));
		tfplugin6__schema__nested_block__init(nb);
		nb->type_name = (char *)cb->name;
		/* Every nested block carries a block: Terraform dereferences it unconditionally
		 * (docs/internals/protocol.md 1.4). */
		nb->block = block_to_proto(a, cb->obj, 0);
		switch (cb->nesting) {
		case TF_NEST_LIST: nb->nesting = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__LIST; break;
		case TF_NEST_SET: nb->nesting = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__SET; break;
		case TF_NEST_MAP: nb->nesting = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__MAP; break;
		default: nb->nesting = TFPLUGIN6__SCHEMA__NESTED_BLOCK__NESTING_MODE__SINGLE; break;
		}
		nb->min_items = cb->def->min_items;
		nb->max_items = cb->def->max_items;
		b->block_types[i] = nb;
	}
	const tf_block *def = o->block;
	b->description = str_or_empty(def ? def->description : NULL);
	b->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
	b->deprecated = def != NULL && def->deprecation != NULL;
	b->deprecation_message = str_or_empty(def ? def->deprecation : NULL);
	return b;
}

void *tf_schema_to_proto(fy_arena *a, const tf_schema *s)
{
	Tfplugin6__Schema *p = fy_arena_alloc(a, sizeof(*p));
	tfplugin6__schema__init(p);
	p->version = s->def->version;
	p->block = block_to_proto(a, s->root, s->def->version);
	return p;
}
