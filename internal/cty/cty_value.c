/* cty values: construction, access, raw equality (sets order-free), copy and type conformance. */
#include "cty_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- construction */

static cty_value *new_value(fy_arena *a, const cty_type *t)
{
	cty_value *v = fy_arena_alloc(a, sizeof(*v));
	v->type = t != NULL ? t : cty_type_dynamic();
	return v;
}

cty_value *cty_null(fy_arena *a, const cty_type *t)
{
	cty_value *v = new_value(a, t);
	v->is_null = 1;
	return v;
}

cty_value *cty_unknown(fy_arena *a, const cty_type *t)
{
	cty_value *v = new_value(a, t);
	v->is_unknown = 1;
	return v;
}

cty_value *cty_string_n(fy_arena *a, const char *s, size_t n)
{
	cty_value *v = new_value(a, cty_type_string());
	v->u.str.s = fy_arena_strndup(a, s != NULL ? s : "", s != NULL ? n : 0);
	v->u.str.len = s != NULL ? n : 0;
	return v;
}

cty_value *cty_string(fy_arena *a, const char *s)
{
	return cty_string_n(a, s, s != NULL ? strlen(s) : 0);
}

cty_value *cty_bool(fy_arena *a, int b)
{
	cty_value *v = new_value(a, cty_type_bool());
	v->u.b = b != 0;
	return v;
}

cty_value *cty__compound(fy_arena *a, const cty_type *t, size_t n)
{
	cty_value *v = new_value(a, t);
	v->u.c.n = n;
	v->u.c.items = fy_arena_alloc(a, (n > 0 ? n : 1) * sizeof(cty_value *));
	return v;
}

cty_value *cty_list(fy_arena *a, const cty_type *elem, size_t n, cty_value *const items[])
{
	cty_value *v = cty__compound(a, cty_type_list(a, elem), n);
	if (n > 0)
		memcpy(v->u.c.items, items, n * sizeof(cty_value *));
	return v;
}

cty_value *cty_tuple(fy_arena *a, const cty_type *tt, cty_value *const items[])
{
	size_t n = tt->kind == CTY_TUPLE ? tt->n : 0;
	cty_value *v = cty__compound(a, tt, n);
	for (size_t i = 0; i < n; i++)
		v->u.c.items[i] = items != NULL && items[i] != NULL ? items[i] : cty_null(a, tt->types[i]);
	return v;
}

cty_value *cty_object(fy_arena *a, const cty_type *t)
{
	size_t n = t->kind == CTY_OBJECT ? t->n : 0;
	cty_value *v = cty__compound(a, t, n);
	for (size_t i = 0; i < n; i++)
		v->u.c.items[i] = cty_null(a, t->types[i]);
	return v;
}

typedef struct key_sort {
	const char *key;
	cty_value *val;
	size_t order;
} key_sort;

static int key_cmp(const void *x, const void *y)
{
	const key_sort *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	if (c != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

cty_value *cty_map(fy_arena *a, const cty_type *elem, size_t n, const char *const keys[], cty_value *const vals[])
{
	key_sort *tmp = fy_arena_alloc(a, (n > 0 ? n : 1) * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		tmp[i].key = keys[i];
		tmp[i].val = vals[i];
		tmp[i].order = i;
	}
	if (n > 1)
		qsort(tmp, n, sizeof(*tmp), key_cmp);
	cty_value *v = cty__compound(a, cty_type_map(a, elem), n);
	v->u.c.keys = fy_arena_alloc(a, (n > 0 ? n : 1) * sizeof(char *));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		/* A repeated key keeps its last value, as assigning into a Go map does. */
		if (m > 0 && strcmp(v->u.c.keys[m - 1], tmp[i].key) == 0) {
			v->u.c.items[m - 1] = tmp[i].val;
			continue;
		}
		v->u.c.keys[m] = fy_arena_strdup(a, tmp[i].key);
		v->u.c.items[m] = tmp[i].val;
		m++;
	}
	v->u.c.n = m;
	return v;
}

/* ---------------------------------------------------------------- hashing (sets) */

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t bytes_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* Consistent with raw equality: equal values hash equal (set hashes are order-free sums). */
static uint64_t value_hash(const cty_value *v)
{
	if (v->is_unknown)
		return 0x756e6b6e6f776eull;
	if (v->is_null)
		return 0x6e756c6cull;
	uint64_t h = (uint64_t)v->type->kind;
	switch (v->type->kind) {
	case CTY_STRING: return mix64(bytes_hash(v->u.str.s, v->u.str.len));
	case CTY_NUMBER: return mix64(cty__number_hash(&v->u.num));
	case CTY_BOOL: return mix64(h + (uint64_t)v->u.b);
	case CTY_SET:
		for (size_t i = 0; i < v->u.c.n; i++)
			h += mix64(value_hash(v->u.c.items[i]));
		return mix64(h);
	case CTY_MAP:
		for (size_t i = 0; i < v->u.c.n; i++)
			h = mix64(h ^ bytes_hash(v->u.c.keys[i], strlen(v->u.c.keys[i]))) + value_hash(v->u.c.items[i]);
		return mix64(h);
	default: /* list, tuple, object: ordered */
		for (size_t i = 0; i < v->u.c.n; i++)
			h = mix64(h * 31 + value_hash(v->u.c.items[i]));
		return mix64(h);
	}
}

typedef struct hidx {
	uint64_t h;
	size_t i;
} hidx;

static int hidx_cmp(const void *x, const void *y)
{
	const hidx *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

cty_value *cty_set(fy_arena *a, const cty_type *elem, size_t n, cty_value *const items[])
{
	cty_value *v = cty__compound(a, cty_type_set(a, elem), n);
	if (n == 0)
		return v;
	/* Drop later copies of a wholly-known element; elements with unknowns inside stay (cty cannot know
	 * whether they will turn out equal). Hash + sort keeps this O(n log n). */
	hidx *hs = fy_arena_alloc(a, n * sizeof(*hs));
	unsigned char *dup = fy_arena_alloc(a, n);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (cty_is_wholly_known(items[i]))
			hs[m++] = (hidx){value_hash(items[i]), i};
	qsort(hs, m, sizeof(*hs), hidx_cmp);
	for (size_t s = 0; s < m;) {
		size_t e = s + 1;
		while (e < m && hs[e].h == hs[s].h)
			e++;
		for (size_t i = s; i < e; i++)
			for (size_t j = s; j < i && !dup[hs[i].i]; j++)
				if (!dup[hs[j].i] && cty_equal(items[hs[i].i], items[hs[j].i]))
					dup[hs[i].i] = 1;
		s = e;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!dup[i])
			v->u.c.items[k++] = items[i];
	v->u.c.n = k;
	return v;
}

/* ---------------------------------------------------------------- mutation while building */

/*
 * Checked names (FY_CHECKED_NAMES: the sanitizer and test builds): an attribute name that the object's type does not
 * have, or a value that does not fit, is a programming error, so it stops the process with the name instead of
 * becoming a silent NULL. Release builds return the error as documented.
 */
#ifdef FY_CHECKED_NAMES
static void name_fault(const char *what, const char *msg)
{
	fprintf(stderr, "cty: %s: %s (checked names, internal/cty/cty.h)\n", what, msg);
	abort();
}
static void check_name(const cty_value *obj, const char *name)
{
	if (obj != NULL && obj->type->kind == CTY_OBJECT && (name == NULL || cty_type_attr_index(obj->type, name) < 0))
		name_fault("cty_get_attr: no such attribute", name != NULL ? name : "(null)");
}
#else
#define check_name(obj, name) ((void)0)
#endif

static int object_set(cty_value *obj, const char *name, cty_value *v)
{
	if (obj == NULL || v == NULL || obj->is_null || obj->is_unknown || obj->type->kind != CTY_OBJECT)
		return fy_error_set(FY_EINVALID, "cty_object_set: not a known object");
	int i = cty_type_attr_index(obj->type, name);
	if (i < 0)
		return fy_error_set(FY_ENOTFOUND, "unsupported attribute \"%s\"", name != NULL ? name : "");
	if (!cty__type_conforms(v->type, obj->type->types[i]))
		return fy_error_set(FY_EINVALID, "attribute \"%s\": a %s value does not fit type %s", name,
			cty__type_name(v->type), cty__type_name(obj->type->types[i]));
	obj->u.c.items[i] = v;
	return FY_OK;
}

int cty_object_set(cty_value *obj, const char *name, cty_value *v)
{
	int rc = object_set(obj, name, v);
#ifdef FY_CHECKED_NAMES
	if (rc < 0)
		name_fault("cty_object_set", fy_error_last()->message);
#endif
	return rc;
}

int cty_collection_set(cty_value *v, size_t i, cty_value *item)
{
	if (v == NULL || item == NULL || v->is_null || v->is_unknown)
		return fy_error_set(FY_EINVALID, "cty_collection_set: not a known collection");
	switch (v->type->kind) {
	case CTY_LIST:
	case CTY_MAP:
	case CTY_TUPLE:
	case CTY_OBJECT: break;
	default:
		/* Sets are not indexable: replacing an element could create a duplicate. */
		return fy_error_set(
			FY_EINVALID, "cty_collection_set: a %s has no settable elements", cty__type_name(v->type));
	}
	if (i >= v->u.c.n)
		return fy_error_set(FY_EINVALID, "cty_collection_set: index %zu out of range (%zu)", i, v->u.c.n);
	v->u.c.items[i] = item;
	return FY_OK;
}

/* ---------------------------------------------------------------- access */

const cty_type *cty_value_type(const cty_value *v)
{
	return v->type;
}
int cty_is_null(const cty_value *v)
{
	return v->is_null;
}
int cty_is_known(const cty_value *v)
{
	return !v->is_unknown;
}
int cty_is_unknown_value(const cty_value *v)
{
	return v != NULL && v->is_unknown;
}
int cty_is_absent(const cty_value *v)
{
	return v == NULL || (!v->is_unknown && v->is_null);
}
int cty_is_set(const cty_value *v)
{
	return v != NULL && !v->is_unknown && !v->is_null;
}

static int has_items(const cty_value *v)
{
	if (v == NULL || v->is_null || v->is_unknown)
		return 0;
	switch (v->type->kind) {
	case CTY_LIST:
	case CTY_SET:
	case CTY_MAP:
	case CTY_OBJECT:
	case CTY_TUPLE: return 1;
	default: return 0;
	}
}

int cty_is_wholly_known(const cty_value *v)
{
	if (v->is_unknown)
		return 0;
	if (!has_items(v))
		return 1;
	for (size_t i = 0; i < v->u.c.n; i++)
		if (!cty_is_wholly_known(v->u.c.items[i]))
			return 0;
	return 1;
}

const char *cty_as_string(const cty_value *v, size_t *len_out)
{
	if (v == NULL || v->is_null || v->is_unknown || v->type->kind != CTY_STRING) {
		if (len_out != NULL)
			*len_out = 0;
		return NULL;
	}
	if (len_out != NULL)
		*len_out = v->u.str.len;
	return v->u.str.s;
}

int cty_as_bool(const cty_value *v)
{
	if (v == NULL || v->is_null || v->is_unknown || v->type->kind != CTY_BOOL)
		return 0;
	return v->u.b;
}

size_t cty_length(const cty_value *v)
{
	return has_items(v) ? v->u.c.n : 0;
}

cty_value *cty_index(const cty_value *v, size_t i)
{
	return has_items(v) && i < v->u.c.n ? v->u.c.items[i] : NULL;
}

const char *cty_map_key(const cty_value *v, size_t i)
{
	if (!has_items(v) || i >= v->u.c.n)
		return NULL;
	if (v->type->kind == CTY_MAP)
		return v->u.c.keys[i];
	if (v->type->kind == CTY_OBJECT)
		return v->type->names[i];
	return NULL;
}

cty_value *cty_map_get(const cty_value *v, const char *key)
{
	if (!has_items(v) || key == NULL)
		return NULL;
	if (v->type->kind == CTY_OBJECT)
		return cty_get_attr(v, key);
	if (v->type->kind != CTY_MAP)
		return NULL;
	size_t lo = 0, hi = v->u.c.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, v->u.c.keys[mid]);
		if (c == 0)
			return v->u.c.items[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int cty_has_attr(const cty_value *obj, const char *name)
{
	return obj != NULL && obj->type->kind == CTY_OBJECT && name != NULL &&
		cty_type_attr_index(obj->type, name) >= 0;
}

cty_value *cty_get_attr(const cty_value *obj, const char *name)
{
	check_name(obj, name);
	if (!has_items(obj) || obj->type->kind != CTY_OBJECT)
		return NULL;
	int i = cty_type_attr_index(obj->type, name);
	return i < 0 ? NULL : obj->u.c.items[i];
}

const char *cty_get_string(const cty_value *obj, const char *name)
{
	return cty_as_string(cty_get_attr(obj, name), NULL);
}

int cty_get_bool(const cty_value *obj, const char *name, int dflt)
{
	const cty_value *v = cty_get_attr(obj, name);
	if (v == NULL || v->is_null || v->is_unknown || v->type->kind != CTY_BOOL)
		return dflt;
	return v->u.b;
}

/* ---------------------------------------------------------------- equality */

static int set_equal(const cty_value *a, const cty_value *b)
{
	size_t n = a->u.c.n;
	if (n != b->u.c.n)
		return 0;
	if (n == 0)
		return 1;
	hidx *hb = malloc(n * sizeof(*hb));
	unsigned char *used = calloc(n, 1);
	if (hb == NULL || used == NULL)
		fy_oom();
	for (size_t j = 0; j < n; j++)
		hb[j] = (hidx){value_hash(b->u.c.items[j]), j};
	qsort(hb, n, sizeof(*hb), hidx_cmp);
	int eq = 1;
	for (size_t i = 0; i < n && eq; i++) {
		const cty_value *x = a->u.c.items[i];
		uint64_t h = value_hash(x);
		size_t lo = 0, hi = n;
		while (lo < hi) { /* first entry with hash >= h */
			size_t mid = lo + (hi - lo) / 2;
			if (hb[mid].h < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		int found = 0;
		for (size_t k = lo; k < n && hb[k].h == h && !found; k++) {
			if (!used[hb[k].i] && cty_equal(x, b->u.c.items[hb[k].i])) {
				used[hb[k].i] = 1;
				found = 1;
			}
		}
		eq = found;
	}
	free(hb);
	free(used);
	return eq;
}

int cty_equal(const cty_value *a, const cty_value *b)
{
	if (a == b)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	if (a->is_unknown != b->is_unknown || a->is_null != b->is_null || !cty_type_equal(a->type, b->type))
		return 0;
	if (a->is_unknown || a->is_null)
		return 1;
	switch (a->type->kind) {
	case CTY_STRING: return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case CTY_NUMBER: return cty__number_equal(&a->u.num, &b->u.num);
	case CTY_BOOL: return a->u.b == b->u.b;
	case CTY_SET: return set_equal(a, b);
	case CTY_DYNAMIC: return 1;
	default:
		if (a->u.c.n != b->u.c.n)
			return 0;
		for (size_t i = 0; i < a->u.c.n; i++) {
			if (a->type->kind == CTY_MAP && strcmp(a->u.c.keys[i], b->u.c.keys[i]) != 0)
				return 0;
			if (!cty_equal(a->u.c.items[i], b->u.c.items[i]))
				return 0;
		}
		return 1;
	}
}

/* ---------------------------------------------------------------- copy */

static const cty_type *type_copy(fy_arena *a, const cty_type *t)
{
	switch (t->kind) {
	case CTY_LIST: return cty_type_list(a, type_copy(a, t->elem));
	case CTY_SET: return cty_type_set(a, type_copy(a, t->elem));
	case CTY_MAP: return cty_type_map(a, type_copy(a, t->elem));
	case CTY_OBJECT:
	case CTY_TUPLE: {
		const cty_type **ty = fy_arena_alloc(a, (t->n > 0 ? t->n : 1) * sizeof(*ty));
		for (size_t i = 0; i < t->n; i++)
			ty[i] = type_copy(a, t->types[i]);
		if (t->kind == CTY_TUPLE)
			return cty_type_tuple(a, t->n, ty);
		return cty_type_object(a, t->n, (const char *const *)t->names, ty);
	}
	default: return t; /* static singletons */
	}
}

/* `orig`/`copied`: a type already copied by the parent, so a list of 1000 objects shares one copy. */
static cty_value *value_copy(fy_arena *a, const cty_value *v, const cty_type *orig, const cty_type *copied)
{
	const cty_type *t = v->type == orig ? copied : type_copy(a, v->type);
	cty_value *c = new_value(a, t);
	c->is_null = v->is_null;
	c->is_unknown = v->is_unknown;
	if (v->is_null || v->is_unknown)
		return c;
	switch (t->kind) {
	case CTY_STRING:
		c->u.str.s = fy_arena_strndup(a, v->u.str.s, v->u.str.len);
		c->u.str.len = v->u.str.len;
		return c;
	case CTY_NUMBER: cty__number_copy(a, &c->u.num, &v->u.num); return c;
	case CTY_BOOL: c->u.b = v->u.b; return c;
	case CTY_DYNAMIC: return c;
	default: break;
	}
	size_t n = v->u.c.n;
	c->u.c.n = n;
	c->u.c.items = fy_arena_alloc(a, (n > 0 ? n : 1) * sizeof(cty_value *));
	if (t->kind == CTY_MAP)
		c->u.c.keys = fy_arena_alloc(a, (n > 0 ? n : 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const cty_type *eo = NULL, *ec = NULL;
		if (cty_type_is_collection(t)) {
			eo = v->type->elem;
			ec = t->elem;
		} else {
			eo = v->type->types[i];
			ec = t->types[i];
		}
		c->u.c.items[i] = value_copy(a, v->u.c.items[i], eo, ec);
		if (t->kind == CTY_MAP)
			c->u.c.keys[i] = fy_arena_strdup(a, v->u.c.keys[i]);
	}
	return c;
}

cty_value *cty_copy(fy_arena *a, const cty_value *v)
{
	if (v == NULL)
		return NULL;
	return value_copy(a, v, NULL, NULL);
}

/* ---------------------------------------------------------------- conformance */

typedef struct conform_ctx {
	fy_arena *scratch;
	cty_step steps[CTY_MAX_DEPTH];
	size_t depth;
} conform_ctx;

static int conform_err(conform_ctx *c, const char *msg, const char *arg)
{
	if (fy_arena_new(&c->scratch) < 0)
		return fy_error_set(FY_EINVALID, "%s%s", msg, arg);
	return cty__path_error(c->scratch, c->steps, c->depth, "%s%s", msg, arg);
}

static int conform(conform_ctx *c, const cty_value *v, const cty_type *t)
{
	if (v == NULL)
		return conform_err(c, "missing value", "");
	if (t->kind == CTY_DYNAMIC)
		return FY_OK;
	if (v->is_null || v->is_unknown) {
		if (!cty__type_conforms(v->type, t))
			return conform_err(c, "a value of the wrong type: expected ", cty__type_name(t));
		return FY_OK;
	}
	if (v->type->kind != t->kind)
		return conform_err(c, "a value of the wrong type: expected ", cty__type_name(t));
	if (!has_items(v))
		return FY_OK;
	if (c->depth >= CTY_MAX_DEPTH)
		return conform_err(c, "value nested too deeply", "");
	if (t->kind == CTY_OBJECT || t->kind == CTY_TUPLE) {
		if (v->type->n != t->n) {
			if (t->kind == CTY_TUPLE)
				return conform_err(c, "wrong number of tuple elements", "");
			for (size_t i = 0; i < t->n; i++)
				if (cty_type_attr_index(v->type, t->names[i]) < 0)
					return conform_err(c, "missing attribute ", t->names[i]);
			for (size_t i = 0; i < v->type->n; i++)
				if (cty_type_attr_index(t, v->type->names[i]) < 0)
					return conform_err(c, "unsupported attribute ", v->type->names[i]);
		}
		if (t->kind == CTY_OBJECT)
			for (size_t i = 0; i < t->n; i++)
				if (strcmp(v->type->names[i], t->names[i]) != 0)
					return conform_err(c, "missing attribute ", t->names[i]);
	}
	size_t d = c->depth++;
	int rc = FY_OK;
	for (size_t i = 0; i < v->u.c.n && rc == 0; i++) {
		cty_step *s = &c->steps[d];
		memset(s, 0, sizeof(*s));
		const cty_type *et;
		switch (t->kind) {
		case CTY_OBJECT:
			*s = (cty_step){.kind = CTY_STEP_ATTR, .name = t->names[i]};
			et = t->types[i];
			break;
		case CTY_TUPLE:
			*s = (cty_step){.kind = CTY_STEP_INDEX, .index = (int64_t)i};
			et = t->types[i];
			break;
		case CTY_MAP:
			*s = (cty_step){.kind = CTY_STEP_KEY, .name = v->u.c.keys[i]};
			et = t->elem;
			break;
		default:
			*s = (cty_step){.kind = CTY_STEP_INDEX, .index = (int64_t)i};
			et = t->elem;
			break;
		}
		rc = conform(c, v->u.c.items[i], et);
	}
	c->depth = d;
	return rc;
}

int cty_conform(const cty_value *v, const cty_type *t)
{
	conform_ctx c = {.scratch = NULL, .depth = 0};
	int rc = conform(&c, v, t);
	fy_arena_free(c.scratch); /* the message was already copied into the error slot */
	return rc;
}

/* ---------------------------------------------------------------- UTF-8 */

int cty__utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}
