/*
 * JSON <-> cty values (docs/internals/protocol.md 3.5, 3.7; go-cty cty/json marshal.go, unmarshal.go): raw state
 * for UpgradeResourceState and DynamicValue.json.
 *
 * Exact numbers: cJSON keeps a number only as a double, and its number scanner stops after 63 characters,
 * so long or precise numbers (state written by go-cty uses big.Float.Text('f', -1)) would be rounded or
 * rejected. Before parsing, a lexical scan of the source records the text of every number token (outside
 * strings, a JSON number is the only token that starts with '-' or a digit), checks it against the JSON
 * number grammar, and overwrites it in a private copy with "0" plus spaces of the same length. cJSON then
 * parses the structure; its number nodes, visited in document order, match the recorded tokens one to
 * one, and each node's valueint is set to its token's index. Values are decoded from the recorded text.
 *
 * Like go-cty's decoder, a string position also accepts a JSON number or bool (as its text), a number
 * position a decimal string, and a bool position "true"/"false". cJSON strings are C strings, so "\u0000"
 * inside a string is refused rather than silently cut.
 */
#include "cty_internal.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef struct jtok {
	const char *s;
	size_t n;
} jtok;

typedef struct js_dec {
	fy_arena *a;
	const jtok *toks;
	size_t ntoks;
	int rec;
	size_t nsteps;
	cty_step steps[CTY_MAX_DEPTH + 1];
} js_dec;

#define DERR(d, ...) cty__path_error((d)->a, (d)->steps, (d)->nsteps, __VA_ARGS__)

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int json_number_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !is_digit(s[i]))
		return 0;
	if (s[i] == '0')
		i++;
	else
		while (i < n && is_digit(s[i]))
			i++;
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return 0;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i == n;
}

static int is_number_char(char c)
{
	return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Record and blank out every number token of `buf` (see the file comment). */
static int scan_numbers(jtok **out, size_t *nout, fy_arena *a, const char *orig, char *buf, size_t len)
{
	size_t cap = 16, n = 0;
	jtok *toks = fy_arena_alloc(a, cap * sizeof(*toks));
	for (size_t i = 0; i < len;) {
		char c = buf[i];
		if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				/* A raw NUL would cut cJSON's C string short as silently as \u0000 would. */
				if (buf[i] == '\0')
					return fy_error_set(
						FY_EINVALID, "JSON: strings containing NUL are not supported");
				if (buf[i] != '\\')
					continue;
				if (len - i >= 6 && memcmp(buf + i + 1, "u0000", 5) == 0)
					return fy_error_set(
						FY_EINVALID, "JSON: strings containing \\u0000 are not supported");
				i++; /* skip the escaped character */
			}
			i++;
			continue;
		}
		if (c != '-' && !is_digit(c)) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && is_number_char(buf[i]))
			i++;
		if (!json_number_ok(buf + start, i - start))
			return fy_error_set(FY_EINVALID, "JSON: invalid number at offset %zu", start);
		if (n == cap) {
			toks = fy_arena_realloc(a, toks, cap * sizeof(*toks), 2 * cap * sizeof(*toks));
			cap *= 2;
		}
		toks[n++] = (jtok){orig + start, i - start};
		buf[start] = '0';
		memset(buf + start + 1, ' ', i - start - 1);
	}
	*out = toks;
	*nout = n;
	return FY_OK;
}

/* Pre-order, document-order walk: give the k-th number node token index k. */
static int number_index(cJSON *node, size_t *k, size_t ntoks)
{
	for (; node != NULL; node = node->next) {
		if (cJSON_IsNumber(node)) {
			if (*k >= ntoks)
				return -1;
			node->valueint = (int)(*k)++;
		}
		if (node->child != NULL && number_index(node->child, k, ntoks) != 0)
			return -1;
	}
	return 0;
}

static const char *js_kind(const cJSON *j)
{
	if (cJSON_IsNull(j))
		return "null";
	if (cJSON_IsBool(j))
		return "bool";
	if (cJSON_IsNumber(j))
		return "number";
	if (cJSON_IsString(j))
		return "string";
	if (cJSON_IsArray(j))
		return "array";
	if (cJSON_IsObject(j))
		return "object";
	return "invalid";
}

static const jtok *js_tok(const js_dec *d, const cJSON *j)
{
	return (size_t)j->valueint < d->ntoks ? &d->toks[j->valueint] : NULL;
}

static int dec_value(cty_value **out, js_dec *d, const cty_type *t, const cJSON *j);

static int dec_child(cty_value **out, js_dec *d, cty_step step, const cty_type *t, const cJSON *j)
{
	d->steps[d->nsteps++] = step;
	int rc = dec_value(out, d, t, j);
	d->nsteps--;
	return rc;
}

static int dec_string_text(const cJSON *j, const char **s)
{
	*s = j->valuestring;
	return *s != NULL && cty__utf8_valid(*s, strlen(*s));
}

static int dec_dynamic(cty_value **out, js_dec *d, const cJSON *j)
{
	if (!cJSON_IsObject(j))
		return DERR(d, "a dynamically-typed value must be a JSON object {\"value\":..., \"type\":...}");
	const cJSON *val = NULL, *typ = NULL;
	for (const cJSON *c = j->child; c != NULL; c = c->next) {
		if (strcmp(c->string, "value") == 0 && val == NULL)
			val = c;
		else if (strcmp(c->string, "type") == 0 && typ == NULL)
			typ = c;
		else
			return DERR(d, "invalid key \"%.64s\" in dynamically-typed value", c->string);
	}
	if (typ == NULL)
		return DERR(d, "missing type in dynamically-typed value");
	if (val == NULL)
		return DERR(d, "missing value in dynamically-typed value");
	const cty_type *ty;
	if (cty__type_from_cjson(&ty, d->a, typ, 0) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", fy_error_last()->message);
		return DERR(d, "%s", why);
	}
	return dec_value(out, d, ty, val);
}

static int dec_primitive(cty_value **out, js_dec *d, const cty_type *t, const cJSON *j)
{
	const char *s;
	const jtok *tok;
	switch (t->kind) {
	case CTY_STRING:
		if (cJSON_IsString(j)) {
			if (!dec_string_text(j, &s))
				return DERR(d, "string is not valid UTF-8");
			*out = cty_string(d->a, s);
		} else if (cJSON_IsNumber(j) && (tok = js_tok(d, j)) != NULL) {
			*out = cty_string_n(d->a, tok->s, tok->n);
		} else if (cJSON_IsBool(j)) {
			*out = cty_string(d->a, cJSON_IsTrue(j) ? "true" : "false");
		} else {
			return DERR(d, "expected string, got %s", js_kind(j));
		}
		return FY_OK;
	case CTY_NUMBER: {
		int rc;
		if (cJSON_IsNumber(j) && (tok = js_tok(d, j)) != NULL)
			rc = cty__number_parse(out, d->a, tok->s, tok->n, 1);
		else if (cJSON_IsString(j))
			rc = cty__number_parse(out, d->a, j->valuestring, strlen(j->valuestring), 0);
		else
			return DERR(d, "expected number, got %s", js_kind(j));
		if (rc < 0) {
			char why[256];
			snprintf(why, sizeof(why), "%s", fy_error_last()->message);
			return DERR(d, "%s", why);
		}
		return FY_OK;
	}
	default: /* bool */
		if (cJSON_IsBool(j)) {
			*out = cty_bool(d->a, cJSON_IsTrue(j));
		} else if (cJSON_IsString(j) && strcmp(j->valuestring, "true") == 0) {
			*out = cty_bool(d->a, 1);
		} else if (cJSON_IsString(j) && strcmp(j->valuestring, "false") == 0) {
			*out = cty_bool(d->a, 0);
		} else {
			return DERR(d, "expected bool, got %s", js_kind(j));
		}
		return FY_OK;
	}
}

static int dec_value(cty_value **out, js_dec *d, const cty_type *t, const cJSON *j)
{
	if (d->rec >= CTY_MAX_DEPTH)
		return DERR(d, "value nested too deeply (more than %d levels)", CTY_MAX_DEPTH);
	if (cJSON_IsNull(j)) {
		*out = cty_null(d->a, t);
		return FY_OK;
	}
	d->rec++;
	int rc = FY_OK;
	switch (t->kind) {
	case CTY_DYNAMIC: rc = dec_dynamic(out, d, j); break;
	case CTY_STRING:
	case CTY_NUMBER:
	case CTY_BOOL: rc = dec_primitive(out, d, t, j); break;
	case CTY_LIST:
	case CTY_SET:
	case CTY_TUPLE: {
		if (!cJSON_IsArray(j)) {
			rc = DERR(d, "expected %s (a JSON array), got %s", cty__type_name(t), js_kind(j));
			break;
		}
		size_t cnt = (size_t)cJSON_GetArraySize(j);
		if (t->kind == CTY_TUPLE && cnt != t->n) {
			rc = DERR(d, "a tuple with %zu elements is required (%zu given)", t->n, cnt);
			break;
		}
		cty_value *v = cty__compound(d->a, t, cnt);
		size_t i = 0;
		for (const cJSON *c = j->child; c != NULL && rc == 0; c = c->next, i++)
			rc = dec_child(&v->u.c.items[i], d, (cty_step){.kind = CTY_STEP_INDEX, .index = (int64_t)i},
				t->kind == CTY_TUPLE ? t->types[i] : t->elem, c);
		if (rc == 0 && t->kind == CTY_SET) {
			v = cty_set(d->a, t->elem, cnt, v->u.c.items);
			v->type = t;
		}
		if (rc == 0)
			*out = v;
		break;
	}
	case CTY_MAP: {
		if (!cJSON_IsObject(j)) {
			rc = DERR(d, "expected map (a JSON object), got %s", js_kind(j));
			break;
		}
		size_t cnt = (size_t)cJSON_GetArraySize(j);
		const char **keys = fy_arena_alloc(d->a, (cnt > 0 ? cnt : 1) * sizeof(*keys));
		cty_value **vals = fy_arena_alloc(d->a, (cnt > 0 ? cnt : 1) * sizeof(*vals));
		size_t i = 0;
		for (const cJSON *c = j->child; c != NULL && rc == 0; c = c->next, i++) {
			if (!cty__utf8_valid(c->string, strlen(c->string))) {
				rc = DERR(d, "map key is not valid UTF-8");
				break;
			}
			keys[i] = fy_arena_strdup(d->a, c->string);
			rc = dec_child(&vals[i], d, (cty_step){.kind = CTY_STEP_KEY, .name = keys[i]}, t->elem, c);
		}
		if (rc == 0) {
			cty_value *v =
				cty_map(d->a, t->elem, cnt, keys, vals); /* a repeated key: last wins, as in go-cty */
			v->type = t;
			*out = v;
		}
		break;
	}
	case CTY_OBJECT: {
		if (!cJSON_IsObject(j)) {
			rc = DERR(d, "expected object (a JSON object), got %s", js_kind(j));
			break;
		}
		/* Missing attributes are null (ctyjson unmarshalObject); unknown ones are an error. */
		cty_value *v = cty__compound(d->a, t, t->n);
		for (const cJSON *c = j->child; c != NULL && rc == 0; c = c->next) {
			int idx = cty_type_attr_index(t, c->string);
			if (idx < 0) {
				rc = DERR(d, "unsupported attribute \"%.128s\"", c->string);
				break;
			}
			rc = dec_child(&v->u.c.items[idx], d, (cty_step){.kind = CTY_STEP_ATTR, .name = t->names[idx]},
				t->types[idx], c);
		}
		for (size_t i = 0; i < t->n && rc == 0; i++)
			if (v->u.c.items[i] == NULL)
				v->u.c.items[i] = cty_null(d->a, t->types[i]);
		if (rc == 0)
			*out = v;
		break;
	}
	}
	d->rec--;
	return rc;
}

int cty_json_decode(cty_value **out, fy_arena *a, const cty_type *t, const char *json, size_t len)
{
	if (json == NULL || len == 0)
		return fy_error_set(FY_EINVALID, "JSON: empty input");
	if (len >= (size_t)INT_MAX)
		return fy_error_set(FY_EINVALID, "JSON: input too large");
	char *buf = fy_arena_memdup(a, json, len); /* private, NUL-terminated copy */
	jtok *toks = NULL;
	size_t ntoks = 0;
	int rc = scan_numbers(&toks, &ntoks, a, json, buf, len);
	if (rc < 0)
		return rc;
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (root == NULL)
		return fy_error_set(FY_EINVALID, "JSON: syntax error");
	for (const char *p = end; p != NULL && p < buf + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			cJSON_Delete(root);
			return fy_error_set(FY_EINVALID, "JSON: trailing data after the value");
		}
	}
	size_t k = 0;
	if (number_index(root, &k, ntoks) != 0 || k != ntoks) {
		cJSON_Delete(root);
		return fy_error_set(FY_EINVALID, "JSON: malformed numbers");
	}
	js_dec d = {.a = a, .toks = toks, .ntoks = ntoks};
	cty_value *v = NULL;
	rc = dec_value(&v, &d, t, root);
	cJSON_Delete(root);
	if (rc == 0)
		*out = v;
	return rc;
}

/* ---------------------------------------------------------------- encode */

typedef struct js_enc {
	fy_arena *a;
	int rec;
	size_t nsteps;
	cty_step steps[CTY_MAX_DEPTH + 1];
} js_enc;

#define EERR(e, ...) cty__path_error((e)->a, (e)->steps, (e)->nsteps, __VA_ARGS__)

static int enc_value(cJSON **out, js_enc *e, const cty_value *v, const cty_type *t);

static int oom(void)
{
	return fy_error_set(FY_ENOMEM, "JSON: out of memory");
}

static int enc_child(cJSON *parent, const char *key, js_enc *e, cty_step step, const cty_value *v, const cty_type *t)
{
	cJSON *c = NULL;
	e->steps[e->nsteps++] = step;
	int rc = enc_value(&c, e, v, t);
	e->nsteps--;
	if (rc < 0)
		return rc;
	if (!(key != NULL ? cJSON_AddItemToObject(parent, key, c) : cJSON_AddItemToArray(parent, c))) {
		cJSON_Delete(c);
		return oom();
	}
	return FY_OK;
}

static int enc_known(cJSON **out, js_enc *e, const cty_value *v, const cty_type *t)
{
	cJSON *j = NULL;
	int rc = FY_OK;
	switch (t->kind) {
	case CTY_STRING:
		if (strlen(v->u.str.s) != v->u.str.len)
			return EERR(e, "strings containing NUL cannot be encoded as JSON here");
		j = cJSON_CreateString(v->u.str.s);
		break;
	case CTY_NUMBER:
		j = cJSON_CreateRaw(v->u.num.text); /* exact text, as go-cty writes Text('f', -1) */
		break;
	case CTY_BOOL: j = cJSON_CreateBool(v->u.b); break;
	case CTY_LIST:
	case CTY_SET:
	case CTY_TUPLE:
		if (t->kind == CTY_TUPLE && v->u.c.n != t->n)
			return EERR(e, "a tuple with %zu elements is required (%zu given)", t->n, v->u.c.n);
		if ((j = cJSON_CreateArray()) == NULL)
			break;
		for (size_t i = 0; i < v->u.c.n && rc == 0; i++)
			rc = enc_child(j, NULL, e, (cty_step){.kind = CTY_STEP_INDEX, .index = (int64_t)i},
				v->u.c.items[i], t->kind == CTY_TUPLE ? t->types[i] : t->elem);
		break;
	case CTY_MAP:
		if ((j = cJSON_CreateObject()) == NULL)
			break;
		for (size_t i = 0; i < v->u.c.n && rc == 0; i++)
			rc = enc_child(j, v->u.c.keys[i], e, (cty_step){.kind = CTY_STEP_KEY, .name = v->u.c.keys[i]},
				v->u.c.items[i], t->elem);
		break;
	case CTY_OBJECT:
		if (v->type->n != t->n)
			return EERR(e, "an object with %zu attributes is required (%zu given)", t->n, v->type->n);
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(v->type->names[i], t->names[i]) != 0)
				return EERR(e, "attribute \"%s\" is required", t->names[i]);
		if ((j = cJSON_CreateObject()) == NULL)
			break;
		for (size_t i = 0; i < t->n && rc == 0; i++)
			rc = enc_child(j, t->names[i], e, (cty_step){.kind = CTY_STEP_ATTR, .name = t->names[i]},
				v->u.c.items[i], t->types[i]);
		break;
	default: return EERR(e, "cannot encode a known value of type %s", cty__type_name(t));
	}
	if (j == NULL)
		return oom();
	if (rc < 0) {
		cJSON_Delete(j);
		return rc;
	}
	*out = j;
	return FY_OK;
}

static int enc_value(cJSON **out, js_enc *e, const cty_value *v, const cty_type *t)
{
	if (v == NULL)
		return EERR(e, "missing value");
	if (e->rec >= CTY_MAX_DEPTH)
		return EERR(e, "value nested too deeply (more than %d levels)", CTY_MAX_DEPTH);
	e->rec++;
	int rc = FY_OK;
	if (t->kind == CTY_DYNAMIC && v->type->kind != CTY_DYNAMIC) {
		/* {"value": <v>, "type": <type JSON>}, value first as go-cty writes it (marshalDynamic). */
		char *tj;
		cJSON *w = NULL, *inner = NULL, *tyj = NULL;
		if ((rc = cty_type_to_json(&tj, e->a, v->type)) == 0 && (rc = enc_value(&inner, e, v, v->type)) == 0) {
			w = cJSON_CreateObject();
			tyj = cJSON_CreateRaw(tj);
			if (w == NULL || tyj == NULL || !cJSON_AddItemToObject(w, "value", inner)) {
				cJSON_Delete(inner);
				rc = oom();
			} else if (!cJSON_AddItemToObject(w, "type", tyj)) {
				rc = oom();
			} else {
				tyj = NULL;
				*out = w;
				w = NULL;
			}
			cJSON_Delete(tyj);
			cJSON_Delete(w);
		}
	} else if (v->is_unknown) {
		rc = EERR(e, "value is not known");
	} else if (v->is_null) {
		if (!cty__type_conforms(v->type, t))
			rc = EERR(e, "expected %s, got a %s value", cty__type_name(t), cty__type_name(v->type));
		else if ((*out = cJSON_CreateNull()) == NULL)
			rc = oom();
	} else if (v->type->kind != t->kind) {
		rc = EERR(e, "expected %s, got a %s value", cty__type_name(t), cty__type_name(v->type));
	} else {
		rc = enc_known(out, e, v, t);
	}
	e->rec--;
	return rc;
}

int cty_json_encode(char **out, fy_arena *a, const cty_value *v, const cty_type *t)
{
	js_enc e = {.a = a};
	cJSON *j = NULL;
	int rc = enc_value(&j, &e, v, t != NULL ? t : cty_type_dynamic());
	if (rc < 0)
		return rc;
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (s == NULL)
		return oom();
	*out = fy_arena_strdup(a, s);
	cJSON_free(s);
	return FY_OK;
}
