/*
 * DynamicValue.msgpack <-> cty values (docs/internals/protocol.md 3.1-3.4; go-cty cty/msgpack marshal.go,
 * unmarshal.go, unknown.go, dynamic.go).
 *
 * Decoding is type-directed over the msgpack_object tree that msgpack-c builds. Choices where cty leaves
 * room: a 0-entry map for an object with attributes decodes as that object with every attribute null
 * (go-cty yields the empty object, which Terraform then rejects as non-conformant; all-null is the
 * useful reading and still round-trips to a valid encoding); strings must be valid UTF-8 and are not
 * NFC-normalised; map keys may not contain NUL; trailing bytes after the value are an error.
 */
#include "cty_internal.h"

#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

/* cty's refined-unknown extension code (cty/msgpack/unknown.go) and its payload cap. */
#define CTY_EXT_REFINED 12
#define CTY_REFINED_MAX 1024

/* ---------------------------------------------------------------- framing pre-check */

static uint64_t be_read(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * msgpack-c allocates a container's element array from its declared count before it reads a single
 * element, so five bytes ("dd ff ff ff ff") ask it for ~100 GB. Walk the framing first and require every
 * declared count to fit in the bytes that remain (each element takes at least one byte): allocation then
 * stays proportional to the input. Returns 0, or a static description of the problem.
 */
static const char *mp_precheck(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t off = 0;
	uint64_t pending = 1;
	while (pending > 0) {
		if (off >= len)
			return "truncated input";
		unsigned char b = p[off++];
		pending--;
		uint64_t skip = 0, items = 0;
		size_t lenbytes = 0;
		uint64_t extra = 0; /* ext type byte */
		if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
			/* fixint, nil, bool */
		} else if (b <= 0x8f) {
			items = 2u * (b & 0x0f);
		} else if (b <= 0x9f) {
			items = b & 0x0f;
		} else if (b <= 0xbf) {
			skip = b & 0x1f;
		} else {
			switch (b) {
			case 0xc4: lenbytes = 1; break;
			case 0xc5: lenbytes = 2; break;
			case 0xc6: lenbytes = 4; break;
			case 0xc7:
				lenbytes = 1;
				extra = 1;
				break;
			case 0xc8:
				lenbytes = 2;
				extra = 1;
				break;
			case 0xc9:
				lenbytes = 4;
				extra = 1;
				break;
			case 0xca: skip = 4; break;
			case 0xcb: skip = 8; break;
			case 0xcc: skip = 1; break;
			case 0xcd: skip = 2; break;
			case 0xce: skip = 4; break;
			case 0xcf: skip = 8; break;
			case 0xd0: skip = 1; break;
			case 0xd1: skip = 2; break;
			case 0xd2: skip = 4; break;
			case 0xd3: skip = 8; break;
			case 0xd4: skip = 2; break;
			case 0xd5: skip = 3; break;
			case 0xd6: skip = 5; break;
			case 0xd7: skip = 9; break;
			case 0xd8: skip = 17; break;
			case 0xd9: lenbytes = 1; break;
			case 0xda: lenbytes = 2; break;
			case 0xdb: lenbytes = 4; break;
			case 0xdc:
				lenbytes = 2;
				items = 1;
				break;
			case 0xdd:
				lenbytes = 4;
				items = 1;
				break;
			case 0xde:
				lenbytes = 2;
				items = 2;
				break;
			case 0xdf:
				lenbytes = 4;
				items = 2;
				break;
			default: return "invalid type byte 0xc1";
			}
			if (lenbytes > 0) {
				if (len - off < lenbytes)
					return "truncated input";
				uint64_t n = be_read(p + off, lenbytes);
				off += lenbytes;
				if (items > 0)
					items *= n; /* array: n, map: 2n */
				else
					skip = n + extra;
			}
		}
		if (skip > len - off)
			return "truncated input";
		off += (size_t)skip;
		if (items > len - off || pending + items > len - off)
			return "container holds more elements than the input has bytes";
		pending += items;
	}
	if (off != len)
		return "trailing bytes after the value";
	return NULL;
}

/* msgpack_unpack_next over a pre-checked buffer; 0 on success. */
static const char *mp_unpack(msgpack_unpacked *up, const void *buf, size_t len)
{
	const char *why = mp_precheck(buf, len);
	if (why != NULL)
		return why;
	size_t off = 0;
	msgpack_unpack_return r = msgpack_unpack_next(up, buf, len, &off);
	if (r == MSGPACK_UNPACK_NOMEM_ERROR)
		return "nested too deeply"; /* msgpack-c reports its 32-level container limit this way */
	if (r != MSGPACK_UNPACK_SUCCESS || off != len)
		return "malformed input";
	return NULL;
}

/* ---------------------------------------------------------------- decode */

typedef struct mp_dec {
	fy_arena *a;
	int rec;
	size_t nsteps;
	cty_step steps[CTY_MAX_DEPTH + 1];
} mp_dec;

#define DERR(d, ...) cty__path_error((d)->a, (d)->steps, (d)->nsteps, __VA_ARGS__)

static const char *mp_kind(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return "nil";
	case MSGPACK_OBJECT_BOOLEAN: return "bool";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "integer";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return "float";
	case MSGPACK_OBJECT_STR: return "string";
	case MSGPACK_OBJECT_ARRAY: return "array";
	case MSGPACK_OBJECT_MAP: return "map";
	case MSGPACK_OBJECT_BIN: return "binary";
	case MSGPACK_OBJECT_EXT: return "extension";
	}
	return "unknown";
}

/* str or bin (the Go decoder accepts both wherever it reads a string). */
static int mp_bytes(const msgpack_object *o, const char **p, size_t *n)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*n = o->via.str.size;
		return 1;
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*n = o->via.bin.size;
		return 1;
	}
	return 0;
}

static int dec_value(cty_value **out, mp_dec *d, const cty_type *t, const msgpack_object *o);

static int dec_child(cty_value **out, mp_dec *d, cty_step step, const cty_type *t, const msgpack_object *o)
{
	d->steps[d->nsteps++] = step;
	int rc = dec_value(out, d, t, o);
	d->nsteps--;
	return rc;
}

static int dec_unknown(cty_value **out, mp_dec *d, const cty_type *t, const msgpack_object *o)
{
	const msgpack_object_ext *e = &o->via.ext;
	/* Any extension of length <= 1 is a wholly unknown value, whatever its type code (docs/internals/protocol.md
	 * 3.2). */
	if (e->size > 1) {
		if (e->type != CTY_EXT_REFINED)
			return DERR(d, "unsupported extension type %d", (int)e->type);
		if (e->size > CTY_REFINED_MAX)
			return DERR(d, "refined unknown payload too large (%u bytes)", (unsigned)e->size);
		/* Refinements (nullness, prefix, bounds) are not modelled; the payload must still be a map. */
		msgpack_unpacked up;
		msgpack_unpacked_init(&up);
		const char *why = mp_unpack(&up, e->ptr, e->size);
		int is_map = why == NULL && up.data.type == MSGPACK_OBJECT_MAP;
		msgpack_unpacked_destroy(&up);
		if (!is_map)
			return DERR(d, "refined unknown payload must be a msgpack map");
	}
	*out = cty_unknown(d->a, t);
	return FY_OK;
}

static int dec_dynamic(cty_value **out, mp_dec *d, const msgpack_object *o)
{
	const char *tj;
	size_t tn;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2 || !mp_bytes(&o->via.array.ptr[0], &tj, &tn))
		return DERR(d, "a dynamically-typed value must be a [type JSON, value] array (got %s)", mp_kind(o));
	const cty_type *ty;
	if (cty_type_from_json(&ty, d->a, tj, tn) < 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s", fy_error_last()->message);
		return DERR(d, "%s", why);
	}
	return dec_value(out, d, ty, &o->via.array.ptr[1]);
}

static int dec_number(cty_value **out, mp_dec *d, const msgpack_object *o)
{
	const char *s;
	size_t n;
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 <= (uint64_t)INT64_MAX) {
			*out = cty_number_int(d->a, (int64_t)o->via.u64);
		} else {
			char buf[24];
			int len = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o->via.u64);
			return cty_number_parse(out, d->a, buf, (size_t)len);
		}
		return FY_OK;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = cty_number_int(d->a, o->via.i64); return FY_OK;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		if (!isfinite(o->via.f64))
			return DERR(d, "number must be finite (NaN and infinity are not supported)");
		*out = cty_number_double(d->a, o->via.f64);
		return FY_OK;
	default:
		/* Numbers that are neither int64 nor exactly a float64 arrive as decimal strings
		 * (docs/internals/protocol.md 3.3). */
		if (!mp_bytes(o, &s, &n))
			return DERR(d, "expected number, got %s", mp_kind(o));
		if (cty_number_parse(out, d->a, s, n) < 0) {
			char why[256];
			snprintf(why, sizeof(why), "%s", fy_error_last()->message);
			return DERR(d, "%s", why);
		}
		return FY_OK;
	}
}

static int find_attr(const cty_type *t, const char *k, size_t kn)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = t->names[mid];
		size_t nn = strlen(name);
		/* An empty key arrives as k == NULL (msgpack-c): memcmp may not be given NULL, even for 0 bytes. */
		int c = kn && nn ? memcmp(k, name, kn < nn ? kn : nn) : 0;
		if (c == 0)
			c = kn < nn ? -1 : kn > nn;
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int dec_object(cty_value **out, mp_dec *d, const cty_type *t, const msgpack_object *o)
{
	if (o->type != MSGPACK_OBJECT_MAP)
		return DERR(d, "expected object (a msgpack map), got %s", mp_kind(o));
	uint32_t n = o->via.map.size;
	if (n == 0 && t->n > 0) {
		*out = cty_object(d->a, t); /* see the file comment: all attributes null */
		return FY_OK;
	}
	if (n != t->n)
		return DERR(d, "an object with %zu attributes is required (%u given)", t->n, (unsigned)n);
	cty_value *v = cty__compound(d->a, t, t->n);
	for (uint32_t i = 0; i < n; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];
		const char *k;
		size_t kn;
		if (!mp_bytes(&kv->key, &k, &kn))
			return DERR(d, "object attribute names must be strings, got %s", mp_kind(&kv->key));
		int idx = find_attr(t, k, kn);
		if (idx < 0)
			return DERR(d, "unsupported attribute \"%.*s\"", (int)(kn > 128 ? 128 : kn), k);
		if (v->u.c.items[idx] != NULL)
			return DERR(d, "duplicate attribute \"%s\"", t->names[idx]);
		int rc = dec_child(&v->u.c.items[idx], d, (cty_step){.kind = CTY_STEP_ATTR, .name = t->names[idx]},
			t->types[idx], &kv->val);
		if (rc < 0)
			return rc;
	}
	*out = v;
	return FY_OK;
}

static int dec_value(cty_value **out, mp_dec *d, const cty_type *t, const msgpack_object *o)
{
	if (d->rec >= CTY_MAX_DEPTH)
		return DERR(d, "value nested too deeply (more than %d levels)", CTY_MAX_DEPTH);
	if (o->type == MSGPACK_OBJECT_NIL) {
		*out = cty_null(d->a, t);
		return FY_OK;
	}
	if (o->type == MSGPACK_OBJECT_EXT)
		return dec_unknown(out, d, t, o);
	d->rec++;
	int rc = FY_OK;
	const char *s;
	size_t n;
	switch (t->kind) {
	case CTY_DYNAMIC: rc = dec_dynamic(out, d, o); break;
	case CTY_STRING:
		if (!mp_bytes(o, &s, &n))
			rc = DERR(d, "expected string, got %s", mp_kind(o));
		else if (!cty__utf8_valid(s, n))
			rc = DERR(d, "string is not valid UTF-8");
		else
			*out = cty_string_n(d->a, s, n);
		break;
	case CTY_NUMBER: rc = dec_number(out, d, o); break;
	case CTY_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			rc = DERR(d, "expected bool, got %s", mp_kind(o));
		else
			*out = cty_bool(d->a, o->via.boolean);
		break;
	case CTY_LIST:
	case CTY_SET:
	case CTY_TUPLE: {
		if (o->type != MSGPACK_OBJECT_ARRAY) {
			rc = DERR(d, "expected %s (a msgpack array), got %s", cty__type_name(t), mp_kind(o));
			break;
		}
		uint32_t cnt = o->via.array.size;
		if (t->kind == CTY_TUPLE && cnt != t->n) {
			rc = DERR(d, "a tuple with %zu elements is required (%u given)", t->n, (unsigned)cnt);
			break;
		}
		cty_value *v = cty__compound(d->a, t, cnt);
		for (uint32_t i = 0; i < cnt && rc == 0; i++)
			rc = dec_child(&v->u.c.items[i], d, (cty_step){.kind = CTY_STEP_INDEX, .index = i},
				t->kind == CTY_TUPLE ? t->types[i] : t->elem, &o->via.array.ptr[i]);
		if (rc == 0 && t->kind == CTY_SET) {
			v = cty_set(d->a, t->elem, cnt, v->u.c.items); /* drops duplicates as cty.SetVal does */
			v->type = t;
		}
		if (rc == 0)
			*out = v;
		break;
	}
	case CTY_MAP: {
		if (o->type != MSGPACK_OBJECT_MAP) {
			rc = DERR(d, "expected map (a msgpack map), got %s", mp_kind(o));
			break;
		}
		uint32_t cnt = o->via.map.size;
		const char **keys = fy_arena_alloc(d->a, (cnt > 0 ? cnt : 1) * sizeof(*keys));
		cty_value **vals = fy_arena_alloc(d->a, (cnt > 0 ? cnt : 1) * sizeof(*vals));
		for (uint32_t i = 0; i < cnt && rc == 0; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			if (!mp_bytes(&kv->key, &s, &n)) {
				rc = DERR(d, "map keys must be strings, got %s", mp_kind(&kv->key));
				break;
			}
			if (!cty__utf8_valid(s, n) || memchr(s, '\0', n) != NULL) {
				rc = DERR(d, "map key is not valid UTF-8 text (or contains NUL)");
				break;
			}
			keys[i] = fy_arena_strndup(d->a, s, n);
			rc = dec_child(
				&vals[i], d, (cty_step){.kind = CTY_STEP_KEY, .name = keys[i]}, t->elem, &kv->val);
		}
		if (rc == 0) {
			cty_value *v = cty_map(d->a, t->elem, cnt, keys, vals);
			v->type = t;
			*out = v;
		}
		break;
	}
	case CTY_OBJECT: rc = dec_object(out, d, t, o); break;
	}
	d->rec--;
	return rc;
}

int cty_msgpack_decode(cty_value **out, fy_arena *a, const cty_type *t, const void *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return fy_error_set(FY_EINVALID, "msgpack: empty input");
	msgpack_unpacked up;
	msgpack_unpacked_init(&up);
	const char *why = mp_unpack(&up, buf, len);
	if (why != NULL) {
		msgpack_unpacked_destroy(&up);
		return fy_error_set(FY_EINVALID, "msgpack: %s", why);
	}
	mp_dec d = {.a = a};
	cty_value *v = NULL;
	int rc = dec_value(&v, &d, t, &up.data);
	msgpack_unpacked_destroy(&up);
	if (rc == 0)
		*out = v;
	return rc;
}

/* ---------------------------------------------------------------- encode */

typedef struct mp_enc {
	fy_arena *a;
	msgpack_packer pk;
	int rec;
	size_t nsteps;
	cty_step steps[CTY_MAX_DEPTH + 1];
} mp_enc;

#define EERR(e, ...) cty__path_error((e)->a, (e)->steps, (e)->nsteps, __VA_ARGS__)
#define PK(e, call)                                                               \
	do {                                                                      \
		if ((call) != 0)                                                  \
			return fy_error_set(FY_ENOMEM, "msgpack: out of memory"); \
	} while (0)

static int enc_value(mp_enc *e, const cty_value *v, const cty_type *t);

static int enc_child(mp_enc *e, cty_step step, const cty_value *v, const cty_type *t)
{
	e->steps[e->nsteps++] = step;
	int rc = enc_value(e, v, t);
	e->nsteps--;
	return rc;
}

static int enc_str(mp_enc *e, const char *s, size_t n)
{
	PK(e, msgpack_pack_str(&e->pk, n));
	PK(e, msgpack_pack_str_body(&e->pk, s, n));
	return FY_OK;
}

static int enc_compound(mp_enc *e, const cty_value *v, const cty_type *t)
{
	size_t n = v->u.c.n;
	int rc = FY_OK;
	switch (t->kind) {
	case CTY_LIST:
	case CTY_SET:
		PK(e, msgpack_pack_array(&e->pk, n));
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = enc_child(
				e, (cty_step){.kind = CTY_STEP_INDEX, .index = (int64_t)i}, v->u.c.items[i], t->elem);
		return rc;
	case CTY_TUPLE:
		if (n != t->n)
			return EERR(e, "a tuple with %zu elements is required (%zu given)", t->n, n);
		PK(e, msgpack_pack_array(&e->pk, n));
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = enc_child(e, (cty_step){.kind = CTY_STEP_INDEX, .index = (int64_t)i}, v->u.c.items[i],
				t->types[i]);
		return rc;
	case CTY_MAP:
		/* Keys are kept sorted, matching go-cty's sorted element iteration. */
		PK(e, msgpack_pack_map(&e->pk, n));
		for (size_t i = 0; i < n && rc == 0; i++) {
			if ((rc = enc_str(e, v->u.c.keys[i], strlen(v->u.c.keys[i]))) < 0)
				return rc;
			rc = enc_child(
				e, (cty_step){.kind = CTY_STEP_KEY, .name = v->u.c.keys[i]}, v->u.c.items[i], t->elem);
		}
		return rc;
	case CTY_OBJECT:
		if (v->type->n != t->n)
			return EERR(e, "an object with %zu attributes is required (%zu given)", t->n, v->type->n);
		for (size_t i = 0; i < t->n; i++)
			if (strcmp(v->type->names[i], t->names[i]) != 0)
				return EERR(e, "attribute \"%s\" is required", t->names[i]);
		/* Every attribute, null ones included, in sorted key order (docs/internals/protocol.md 3.1). */
		PK(e, msgpack_pack_map(&e->pk, n));
		for (size_t i = 0; i < n && rc == 0; i++) {
			if ((rc = enc_str(e, t->names[i], strlen(t->names[i]))) < 0)
				return rc;
			rc = enc_child(e, (cty_step){.kind = CTY_STEP_ATTR, .name = t->names[i]}, v->u.c.items[i],
				t->types[i]);
		}
		return rc;
	default: return EERR(e, "cannot encode a known value of type %s", cty__type_name(t));
	}
}

static int enc_value(mp_enc *e, const cty_value *v, const cty_type *t)
{
	if (v == NULL)
		return EERR(e, "missing value");
	if (e->rec >= CTY_MAX_DEPTH)
		return EERR(e, "value nested too deeply (more than %d levels)", CTY_MAX_DEPTH);
	int rc = FY_OK;
	e->rec++;
	if (t->kind == CTY_DYNAMIC && v->type->kind != CTY_DYNAMIC) {
		/* go-cty marshal: a value of known type at a dynamic position is wrapped as [type JSON as bin,
		 * value], nulls and unknowns of a known type included (cty/msgpack/marshal.go, dynamic.go). */
		char *tj;
		if ((rc = cty_type_to_json(&tj, e->a, v->type)) == 0) {
			size_t tn = strlen(tj);
			PK(e, msgpack_pack_array(&e->pk, 2));
			PK(e, msgpack_pack_bin(&e->pk, tn));
			PK(e, msgpack_pack_bin_body(&e->pk, tj, tn));
			rc = enc_value(e, v, v->type);
		}
	} else if (v->is_unknown || v->is_null) {
		if (!cty__type_conforms(v->type, t))
			rc = EERR(e, "expected %s, got a %s value", cty__type_name(t), cty__type_name(v->type));
		else if (v->is_unknown)
			/* The compact form d4 00 00: refinements are not modelled (docs/internals/protocol.md 3.2). */
			PK(e, msgpack_pack_ext_with_body(&e->pk, "\0", 1, 0));
		else
			PK(e, msgpack_pack_nil(&e->pk));
	} else if (v->type->kind != t->kind) {
		rc = EERR(e, "expected %s, got a %s value", cty__type_name(t), cty__type_name(v->type));
	} else {
		switch (t->kind) {
		case CTY_STRING: rc = enc_str(e, v->u.str.s, v->u.str.len); break;
		case CTY_NUMBER:
			/* go-cty: exact int64 -> smallest int, exact float64 -> float64, else the decimal text. */
			if (v->u.num.is_int64)
				PK(e, msgpack_pack_int64(&e->pk, v->u.num.i64));
			else if (v->u.num.is_double)
				PK(e, msgpack_pack_double(&e->pk, v->u.num.d));
			else
				rc = enc_str(e, v->u.num.text, strlen(v->u.num.text));
			break;
		case CTY_BOOL: PK(e, v->u.b ? msgpack_pack_true(&e->pk) : msgpack_pack_false(&e->pk)); break;
		default: rc = enc_compound(e, v, t); break;
		}
	}
	e->rec--;
	return rc;
}

int cty_msgpack_encode(void **out, size_t *out_len, fy_arena *a, const cty_value *v, const cty_type *t)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	mp_enc e = {.a = a};
	msgpack_packer_init(&e.pk, &sb, msgpack_sbuffer_write);
	int rc = enc_value(&e, v, t != NULL ? t : cty_type_dynamic());
	if (rc == 0) {
		*out = fy_arena_memdup(a, sb.data, sb.size);
		*out_len = sb.size;
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}
