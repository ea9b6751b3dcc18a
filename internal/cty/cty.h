/*
 * cty: Terraform's value model (zclconf/go-cty) in C, and its two wire codecs.
 *
 * Types are immutable once built; primitive types are static singletons and
 * compound types are allocated from an arena (or from a long-lived arena held
 * by the compiled schema). Values are arena-owned trees: build them, read them,
 * drop the arena. Values may be mutated (cty_object_set, cty_collection_set)
 * while they are being built; nothing else shares them.
 *
 * Wire rules: docs/internals/protocol.md section 3 (msgpack 3.1-3.4, JSON 3.5, raw state 3.7).
 *
 * Numbers are exact decimals. A number made from a double (cty_number_double, a msgpack float) is that
 * double's exact binary value, so cty_number_double(0.1) is not equal to cty_number_parse("0.1"), just as
 * Terraform's float64 0.1 differs from its 512-bit decimal 0.1. Text longer than ~1100 zeros of padding
 * ("1e2000") is refused.
 *
 * Decoding choices (documented in cty_msgpack.c / cty_json.c): a 0-entry msgpack map for an object type
 * with attributes decodes as that object with every attribute null; strings must be valid UTF-8 (no NFC
 * normalisation); map keys may not contain NUL; JSON strings may not contain \u0000; trailing bytes are
 * an error. Errors are FY_EINVALID with the path in Terraform's spelling, e.g. ".models[2].name: expected
 * string, got integer". Nesting is bounded (64 levels; msgpack-c itself stops at 32 nested containers).
 */
#ifndef FOUNDRY_INTERNAL_CTY_CTY_H
#define FOUNDRY_INTERNAL_CTY_CTY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/fy_arena.h"
#include "../common/fy_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- types */

typedef enum cty_kind {
	CTY_STRING = 1,
	CTY_NUMBER,
	CTY_BOOL,
	CTY_DYNAMIC, /* DynamicPseudoType: only as a type constraint; values carry their concrete type */
	CTY_LIST,
	CTY_SET,
	CTY_MAP,
	CTY_OBJECT,
	CTY_TUPLE
} cty_kind;

typedef struct cty_type cty_type;

const cty_type *cty_type_string(void);
const cty_type *cty_type_number(void);
const cty_type *cty_type_bool(void);
const cty_type *cty_type_dynamic(void);
const cty_type *cty_type_list(fy_arena *a, const cty_type *elem);
const cty_type *cty_type_set(fy_arena *a, const cty_type *elem);
const cty_type *cty_type_map(fy_arena *a, const cty_type *elem);
/* Attribute names are copied and kept sorted (byte order), as cty does. */
const cty_type *cty_type_object(fy_arena *a, size_t n, const char *const names[], const cty_type *const types[]);
const cty_type *cty_type_tuple(fy_arena *a, size_t n, const cty_type *const types[]);

cty_kind cty_type_kind(const cty_type *t);
int cty_type_is_primitive(const cty_type *t);
int cty_type_is_collection(const cty_type *t); /* list, set, map */
const cty_type *cty_type_elem(const cty_type *t); /* list/set/map element type, else NULL */
size_t cty_type_count(const cty_type *t); /* object attributes / tuple elements, else 0 */
const char *cty_type_attr_name(const cty_type *t, size_t i); /* object, sorted order */
const cty_type *cty_type_attr_type(const cty_type *t, size_t i); /* object attribute / tuple element */
int cty_type_attr_index(const cty_type *t, const char *name); /* object; -1 when absent */
const cty_type *cty_type_attr(const cty_type *t, const char *name); /* object; NULL when absent */
int cty_type_equal(const cty_type *a, const cty_type *b);

/* Type JSON (docs/internals/protocol.md 3.4): "string", ["list","string"], ["object",{"a":"bool"}], ... Output is
 * compact, keys sorted.
 * Decoding accepts (and ignores) the optional-attributes third element of an object type. */
int cty_type_to_json(char **out, fy_arena *a, const cty_type *t);
int cty_type_from_json(const cty_type **out, fy_arena *a, const char *json, size_t len);

/* --------------------------------------------------------------- values */

typedef struct cty_value cty_value;

cty_value *cty_null(fy_arena *a, const cty_type *t);
cty_value *cty_unknown(fy_arena *a, const cty_type *t); /* refinements are not modelled */
cty_value *cty_string(fy_arena *a, const char *s); /* copies; s must be valid UTF-8 */
cty_value *cty_string_n(fy_arena *a, const char *s, size_t n);
cty_value *cty_bool(fy_arena *a, int b);
cty_value *cty_number_int(fy_arena *a, int64_t v);
cty_value *cty_number_double(fy_arena *a, double v); /* must be finite */
/* Decimal text ("12", "-3.5", "1e400", "123456789012345678901234567890"): kept exactly. FY_EINVALID on junk. */
int cty_number_parse(cty_value **out, fy_arena *a, const char *text, size_t len);
/* Collections copy the item pointer arrays (not the items). Items must conform to `elem`. */
cty_value *cty_list(fy_arena *a, const cty_type *elem, size_t n, cty_value *const items[]);
cty_value *cty_set(fy_arena *a, const cty_type *elem, size_t n, cty_value *const items[]); /* drops known duplicates */
cty_value *cty_map(fy_arena *a, const cty_type *elem, size_t n, const char *const keys[],
	cty_value *const vals[]); /* sorted by key */
cty_value *cty_tuple(fy_arena *a, const cty_type *tuple_type, cty_value *const items[]);
/* A known object of type `t` with every attribute null; fill it with cty_object_set. */
cty_value *cty_object(fy_arena *a, const cty_type *t);
int cty_object_set(cty_value *obj, const char *name, cty_value *v); /* FY_ENOTFOUND: no such attribute */
int cty_collection_set(cty_value *v, size_t i, cty_value *item); /* list/tuple element, map value */

const cty_type *cty_value_type(const cty_value *v); /* the concrete type (never dynamic for a known value) */
int cty_is_null(const cty_value *v);
int cty_is_known(const cty_value *v); /* this node only */
/* For values that may be absent (NULL): present and not known yet; absent or known to be null. */
int cty_is_unknown_value(const cty_value *v);
int cty_is_absent(const cty_value *v);
/* "Set": present, known and not null. The one spelling of that test; NULL is not set. */
int cty_is_set(const cty_value *v);
int cty_is_wholly_known(const cty_value *v); /* no unknown anywhere below */

/* Accessors for known, non-null values of the right kind (NULL / 0 otherwise). */
const char *cty_as_string(const cty_value *v, size_t *len_out); /* NUL-terminated too; len_out may be NULL */
int cty_as_bool(const cty_value *v);
int cty_number_as_int64(const cty_value *v, int64_t *out); /* 0 when exactly an int64, else FY_EINVALID */
double cty_number_as_double(const cty_value *v); /* nearest double */
const char *cty_number_text(const cty_value *v); /* canonical decimal text, e.g. "1.5", "-7" */

size_t cty_length(const cty_value *v); /* elements / entries / attributes */
cty_value *cty_index(const cty_value *v, size_t i); /* list/set/tuple element, map value, object attribute (sorted) */
const char *cty_map_key(const cty_value *v, size_t i); /* map key (sorted) or object attribute name */
cty_value *cty_map_get(const cty_value *v, const char *key);
/* NULL when obj is null or unknown. A name the object's type does not have is a bug: NULL in release builds, and
 * in builds with FY_CHECKED_NAMES (sanitizer and test builds) the process aborts naming it, as it does for a
 * cty_object_set that fails. Probe with cty_has_attr where an attribute may deliberately be missing. */
cty_value *cty_get_attr(const cty_value *obj, const char *name);
int cty_has_attr(const cty_value *obj, const char *name); /* obj's type (known or not) has this attribute */

/* Convenience for provider code: the attribute's string / bool when known and non-null. */
const char *cty_get_string(const cty_value *obj, const char *name); /* NULL when null, unknown or absent */
int cty_get_bool(const cty_value *obj, const char *name, int dflt);

/* Raw equality: same type, same null/unknown markers, same contents (numbers by value, sets order-free). */
int cty_equal(const cty_value *a, const cty_value *b);
cty_value *cty_copy(fy_arena *a, const cty_value *v);
/* 0 when v conforms to t: dynamic accepts anything, a null/unknown of dynamic type fits any position (cty
 * converts it), known values are checked all the way down. FY_EINVALID with the offending path otherwise. */
int cty_conform(const cty_value *v, const cty_type *t);

/* ---------------------------------------------------------------- paths */

typedef enum cty_step_kind { CTY_STEP_ATTR = 1, CTY_STEP_KEY, CTY_STEP_INDEX } cty_step_kind;

typedef struct cty_step {
	cty_step_kind kind;
	const char *name; /* ATTR: attribute name; KEY: map key */
	int64_t index; /* INDEX: list/tuple index */
} cty_step;

/* A path is plain data; extending one never changes its parent. NULL is the root (empty path). */
typedef struct cty_path {
	size_t len;
	const cty_step *steps;
} cty_path;

cty_path *cty_path_root(fy_arena *a);
cty_path *cty_path_attr(fy_arena *a, const cty_path *parent, const char *name);
cty_path *cty_path_key(fy_arena *a, const cty_path *parent, const char *key);
cty_path *cty_path_index(fy_arena *a, const cty_path *parent, int64_t index);
/* Terraform's spelling: models[0].name, custom_headers["x-api-key"]. */
char *cty_path_string(fy_arena *a, const cty_path *p);
/* The value at `p`, or NULL when the path does not exist in v (or crosses a null/unknown). */
cty_value *cty_path_get(const cty_value *root, const cty_path *p);

/* --------------------------------------------------------------- codecs */

/* msgpack (docs/internals/protocol.md 3.1-3.4): unknown = any ext of length <= 1 or type 12 on input, d4 00 00 on
 * output; objects
 * carry every attribute; numbers accepted as int/uint/float/str; dynamic as [type-json-bin, value]. */
int cty_msgpack_decode(cty_value **out, fy_arena *a, const cty_type *t, const void *buf, size_t len);
int cty_msgpack_encode(void **out, size_t *out_len, fy_arena *a, const cty_value *v, const cty_type *t);

/* JSON (docs/internals/protocol.md 3.5, 3.7): for raw state and DynamicValue.json. Missing object attributes decode as
 * null;
 * unknown attributes are an error. Encoding fails on unknown values. Numbers keep their exact text. */
int cty_json_decode(cty_value **out, fy_arena *a, const cty_type *t, const char *json, size_t len);
int cty_json_encode(char **out, fy_arena *a, const cty_value *v, const cty_type *t);

#ifdef __cplusplus
}
#endif
#endif
