/* cty types: static primitives, arena-allocated compound types, and the type JSON codec (docs/internals/protocol.md
 * 3.4). */
#include "cty_internal.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const cty_type t_string = {.kind = CTY_STRING};
static const cty_type t_number = {.kind = CTY_NUMBER};
static const cty_type t_bool = {.kind = CTY_BOOL};
static const cty_type t_dynamic = {.kind = CTY_DYNAMIC};

const cty_type *cty_type_string(void)
{
	return &t_string;
}
const cty_type *cty_type_number(void)
{
	return &t_number;
}
const cty_type *cty_type_bool(void)
{
	return &t_bool;
}
const cty_type *cty_type_dynamic(void)
{
	return &t_dynamic;
}

static const cty_type *collection(fy_arena *a, cty_kind k, const cty_type *elem)
{
	cty_type *t = fy_arena_alloc(a, sizeof(*t));
	t->kind = k;
	t->elem = elem != NULL ? elem : &t_dynamic;
	return t;
}

const cty_type *cty_type_list(fy_arena *a, const cty_type *elem)
{
	return collection(a, CTY_LIST, elem);
}
const cty_type *cty_type_set(fy_arena *a, const cty_type *elem)
{
	return collection(a, CTY_SET, elem);
}
const cty_type *cty_type_map(fy_arena *a, const cty_type *elem)
{
	return collection(a, CTY_MAP, elem);
}

typedef struct attr_sort {
	const char *name;
	const cty_type *type;
	size_t order;
} attr_sort;

static int attr_cmp(const void *x, const void *y)
{
	const attr_sort *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c != 0)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

const cty_type *cty_type_object(fy_arena *a, size_t n, const char *const names[], const cty_type *const types[])
{
	cty_type *t = fy_arena_alloc(a, sizeof(*t));
	t->kind = CTY_OBJECT;
	if (n == 0)
		return t;
	attr_sort *tmp = fy_arena_alloc(a, n * sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		tmp[i].name = names[i];
		tmp[i].type = types[i] != NULL ? types[i] : &t_dynamic;
		tmp[i].order = i;
	}
	/* Byte order, as cty sorts attribute names; `order` makes the sort stable so a repeated name keeps the
	 * last type given (the same as building a Go map literal entry by entry). */
	qsort(tmp, n, sizeof(*tmp), attr_cmp);
	const char **nm = fy_arena_alloc(a, n * sizeof(*nm));
	const cty_type **ty = fy_arena_alloc(a, n * sizeof(*ty));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m > 0 && strcmp(nm[m - 1], tmp[i].name) == 0) {
			ty[m - 1] = tmp[i].type;
			continue;
		}
		nm[m] = fy_arena_strdup(a, tmp[i].name);
		ty[m] = tmp[i].type;
		m++;
	}
	t->n = m;
	t->names = nm;
	t->types = ty;
	return t;
}

const cty_type *cty_type_tuple(fy_arena *a, size_t n, const cty_type *const types[])
{
	cty_type *t = fy_arena_alloc(a, sizeof(*t));
	t->kind = CTY_TUPLE;
	t->n = n;
	if (n > 0) {
		const cty_type **ty = fy_arena_alloc(a, n * sizeof(*ty));
		for (size_t i = 0; i < n; i++)
			ty[i] = types[i] != NULL ? types[i] : &t_dynamic;
		t->types = ty;
	}
	return t;
}

cty_kind cty_type_kind(const cty_type *t)
{
	return t->kind;
}

int cty_type_is_primitive(const cty_type *t)
{
	return t->kind == CTY_STRING || t->kind == CTY_NUMBER || t->kind == CTY_BOOL;
}

int cty_type_is_collection(const cty_type *t)
{
	return t->kind == CTY_LIST || t->kind == CTY_SET || t->kind == CTY_MAP;
}

const cty_type *cty_type_elem(const cty_type *t)
{
	return cty_type_is_collection(t) ? t->elem : NULL;
}

size_t cty_type_count(const cty_type *t)
{
	return (t->kind == CTY_OBJECT || t->kind == CTY_TUPLE) ? t->n : 0;
}

const char *cty_type_attr_name(const cty_type *t, size_t i)
{
	return (t->kind == CTY_OBJECT && i < t->n) ? t->names[i] : NULL;
}

const cty_type *cty_type_attr_type(const cty_type *t, size_t i)
{
	return ((t->kind == CTY_OBJECT || t->kind == CTY_TUPLE) && i < t->n) ? t->types[i] : NULL;
}

int cty_type_attr_index(const cty_type *t, const char *name)
{
	if (t->kind != CTY_OBJECT || name == NULL)
		return -1;
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->names[mid]);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

const cty_type *cty_type_attr(const cty_type *t, const char *name)
{
	int i = cty_type_attr_index(t, name);
	return i < 0 ? NULL : t->types[i];
}

static int type_equal(const cty_type *a, const cty_type *b, int depth)
{
	if (a == b)
		return 1;
	if (a == NULL || b == NULL || a->kind != b->kind || depth > CTY_MAX_DEPTH)
		return 0;
	switch (a->kind) {
	case CTY_LIST:
	case CTY_SET:
	case CTY_MAP: return type_equal(a->elem, b->elem, depth + 1);
	case CTY_OBJECT:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (strcmp(a->names[i], b->names[i]) != 0 || !type_equal(a->types[i], b->types[i], depth + 1))
				return 0;
		return 1;
	case CTY_TUPLE:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (!type_equal(a->types[i], b->types[i], depth + 1))
				return 0;
		return 1;
	default: return 1; /* primitives and dynamic: the kind says it all */
	}
}

int cty_type_equal(const cty_type *a, const cty_type *b)
{
	return type_equal(a, b, 0);
}

static int type_conforms(const cty_type *vt, const cty_type *t, int depth)
{
	if (vt == t || t->kind == CTY_DYNAMIC || vt->kind == CTY_DYNAMIC)
		return 1;
	if (vt->kind != t->kind || depth > CTY_MAX_DEPTH)
		return 0;
	switch (t->kind) {
	case CTY_LIST:
	case CTY_SET:
	case CTY_MAP: return type_conforms(vt->elem, t->elem, depth + 1);
	case CTY_OBJECT:
		if (vt->n != t->n)
			return 0;
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(vt->names[i], t->names[i]) != 0 ||
				!type_conforms(vt->types[i], t->types[i], depth + 1))
				return 0;
		return 1;
	case CTY_TUPLE:
		if (vt->n != t->n)
			return 0;
		for (size_t i = 0; i < t->n; i++)
			if (!type_conforms(vt->types[i], t->types[i], depth + 1))
				return 0;
		return 1;
	default: return 1;
	}
}

int cty__type_conforms(const cty_type *vt, const cty_type *t)
{
	return type_conforms(vt, t, 0);
}

const char *cty__type_name(const cty_type *t)
{
	switch (t->kind) {
	case CTY_STRING: return "string";
	case CTY_NUMBER: return "number";
	case CTY_BOOL: return "bool";
	case CTY_DYNAMIC: return "dynamic";
	case CTY_LIST: return "list";
	case CTY_SET: return "set";
	case CTY_MAP: return "map";
	case CTY_OBJECT: return "object";
	case CTY_TUPLE: return "tuple";
	}
	return "?";
}

/* ------------------------------------------------------------ type JSON */

static cJSON *type_to_cjson(const cty_type *t, int depth)
{
	if (depth > CTY_MAX_DEPTH)
		return NULL;
	if (t->kind == CTY_STRING || t->kind == CTY_NUMBER || t->kind == CTY_BOOL || t->kind == CTY_DYNAMIC)
		return cJSON_CreateString(cty__type_name(t));
	cJSON *arr = cJSON_CreateArray();
	if (arr == NULL)
		return NULL;
	cJSON *second = NULL;
	switch (t->kind) {
	case CTY_LIST:
	case CTY_SET:
	case CTY_MAP: second = type_to_cjson(t->elem, depth + 1); break;
	case CTY_OBJECT:
		second = cJSON_CreateObject();
		for (size_t i = 0; second != NULL && i < t->n; i++) {
			cJSON *at = type_to_cjson(t->types[i], depth + 1);
			if (at == NULL || !cJSON_AddItemToObject(second, t->names[i], at)) {
				cJSON_Delete(at);
				cJSON_Delete(second);
				second = NULL;
			}
		}
		break;
	case CTY_TUPLE:
		second = cJSON_CreateArray();
		for (size_t i = 0; second != NULL && i < t->n; i++) {
			cJSON *et = type_to_cjson(t->types[i], depth + 1);
			if (et == NULL || !cJSON_AddItemToArray(second, et)) {
				cJSON_Delete(et);
				cJSON_Delete(second);
				second = NULL;
			}
		}
		break;
	default: break;
	}
	cJSON *first = cJSON_CreateString(cty__type_name(t));
	if (second == NULL || first == NULL) {
		cJSON_Delete(first);
		cJSON_Delete(second);
		cJSON_Delete(arr);
		return NULL;
	}
	cJSON_AddItemToArray(arr, first);
	cJSON_AddItemToArray(arr, second);
	return arr;
}

int cty_type_to_json(char **out, fy_arena *a, const cty_type *t)
{
	cJSON *j = type_to_cjson(t, 0);
	if (j == NULL)
		return fy_error_set(FY_EINVALID, "cannot encode type as JSON (too deeply nested or out of memory)");
	char *s = cJSON_PrintUnformatted(j); /* compact; object keys come out in the (sorted) insertion order */
	cJSON_Delete(j);
	if (s == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory encoding type JSON");
	*out = fy_arena_strdup(a, s);
	cJSON_free(s);
	return FY_OK;
}

int cty__type_from_cjson(const cty_type **out, fy_arena *a, const void *vnode, int depth)
{
	const cJSON *node = vnode;
	if (depth > CTY_MAX_DEPTH)
		return fy_error_set(FY_EINVALID, "type JSON is nested too deeply");
	if (cJSON_IsString(node)) {
		const char *s = node->valuestring;
		if (strcmp(s, "string") == 0)
			*out = &t_string;
		else if (strcmp(s, "number") == 0)
			*out = &t_number;
		else if (strcmp(s, "bool") == 0)
			*out = &t_bool;
		else if (strcmp(s, "dynamic") == 0)
			*out = &t_dynamic;
		else
			return fy_error_set(FY_EINVALID, "invalid type JSON: unknown primitive type \"%.64s\"", s);
		return FY_OK;
	}
	if (!cJSON_IsArray(node))
		return fy_error_set(FY_EINVALID, "invalid type JSON: a type is a string or an array");
	int n = cJSON_GetArraySize(node);
	const cJSON *kind = node->child;
	if (n < 2 || !cJSON_IsString(kind))
		return fy_error_set(FY_EINVALID, "invalid type JSON: a compound type is [\"kind\", ...]");
	const char *k = kind->valuestring;
	const cJSON *arg = kind->next;
	int rc;
	if (strcmp(k, "list") == 0 || strcmp(k, "set") == 0 || strcmp(k, "map") == 0) {
		if (n != 2)
			return fy_error_set(FY_EINVALID, "invalid type JSON: %s takes one element type", k);
		const cty_type *et;
		if ((rc = cty__type_from_cjson(&et, a, arg, depth + 1)) < 0)
			return rc;
		*out = k[0] == 'l' ? cty_type_list(a, et) : k[0] == 's' ? cty_type_set(a, et) : cty_type_map(a, et);
		return FY_OK;
	}
	if (strcmp(k, "object") == 0) {
		/* A third element lists optional attributes; it only appears in type constraints and does not
		 * change the value type (docs/internals/protocol.md 3.4), so it is accepted and ignored. */
		if ((n != 2 && n != 3) || !cJSON_IsObject(arg))
			return fy_error_set(FY_EINVALID, "invalid type JSON: object takes {\"attr\": type, ...}");
		if (n == 3 && !cJSON_IsArray(arg->next))
			return fy_error_set(
				FY_EINVALID, "invalid type JSON: object optional attributes must be an array");
		int na = cJSON_GetArraySize(arg);
		const char **names = fy_arena_alloc(a, ((size_t)na + 1) * sizeof(*names));
		const cty_type **types = fy_arena_alloc(a, ((size_t)na + 1) * sizeof(*types));
		int i = 0;
		for (const cJSON *c = arg->child; c != NULL; c = c->next, i++) {
			names[i] = c->string;
			if ((rc = cty__type_from_cjson(&types[i], a, c, depth + 1)) < 0)
				return rc;
		}
		const cty_type *t = cty_type_object(a, (size_t)na, names, types);
		if (t->n != (size_t)na)
			return fy_error_set(FY_EINVALID, "invalid type JSON: duplicate object attribute");
		*out = t;
		return FY_OK;
	}
	if (strcmp(k, "tuple") == 0) {
		if (n != 2 || !cJSON_IsArray(arg))
			return fy_error_set(FY_EINVALID, "invalid type JSON: tuple takes [type, ...]");
		int ne = cJSON_GetArraySize(arg);
		const cty_type **types = fy_arena_alloc(a, ((size_t)ne + 1) * sizeof(*types));
		int i = 0;
		for (const cJSON *c = arg->child; c != NULL; c = c->next, i++)
			if ((rc = cty__type_from_cjson(&types[i], a, c, depth + 1)) < 0)
				return rc;
		*out = cty_type_tuple(a, (size_t)ne, types);
		return FY_OK;
	}
	return fy_error_set(FY_EINVALID, "invalid type JSON: unknown type kind \"%.64s\"", k);
}

int cty_type_from_json(const cty_type **out, fy_arena *a, const char *json, size_t len)
{
	if (json == NULL)
		return fy_error_set(FY_EINVALID, "invalid type JSON: empty");
	/* A NUL-terminated private copy: cJSON then never has a reason to look past `len`. */
	json = fy_arena_memdup(a, json, len);
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (j == NULL)
		return fy_error_set(FY_EINVALID, "invalid type JSON: not valid JSON");
	/* cJSON stops after the first value; anything but whitespace after it is an error. */
	for (const char *p = end; p != NULL && p < json + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			cJSON_Delete(j);
			return fy_error_set(FY_EINVALID, "invalid type JSON: trailing data");
		}
	}
	const cty_type *t = NULL;
	int rc = cty__type_from_cjson(&t, a, j, 0);
	cJSON_Delete(j);
	if (rc == 0)
		*out = t;
	return rc;
}
