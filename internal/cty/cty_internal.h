/*
 * Private layout of cty types and values, shared by the cty_*.c files only.
 */
#ifndef FOUNDRY_INTERNAL_CTY_CTY_INTERNAL_H
#define FOUNDRY_INTERNAL_CTY_CTY_INTERNAL_H

#include "cty.h"

#include <stdarg.h>

/* Bound on recursion through values/types in every walker (decoders, encoders, equality, copy). Inputs
 * nested deeper are rejected, which keeps stack use bounded whatever the input (msgpack-c itself stops at
 * 32 nested containers). */
#define CTY_MAX_DEPTH 64

/* Numbers are exact decimals: value = (neg ? -1 : 1) * digits * 10^exp. `digits` has no leading or trailing
 * zeros (zero is ndigits == 0, never negative), so equal values have equal fields. */
typedef struct cty_num {
	int neg;
	size_t ndigits;
	const char *digits;
	int64_t exp;
	const char *text; /* canonical plain decimal (no exponent), built once at construction */
	int is_int64;
	int64_t i64;
	int is_double; /* the value is exactly the double `d` */
	double d;
} cty_num;

struct cty_type {
	cty_kind kind;
	const cty_type *elem; /* list, set, map */
	size_t n; /* object attributes, tuple elements */
	const char *const *names; /* object: sorted by strcmp */
	const cty_type *const *types; /* object (aligned with names), tuple */
};

struct cty_value {
	const cty_type *type;
	unsigned char is_null;
	unsigned char is_unknown;
	union {
		struct {
			const char *s; /* NUL-terminated as well */
			size_t len;
		} str;
		int b;
		cty_num num;
		struct {
			size_t n;
			cty_value **items; /* list/set/tuple elements, map values, object attributes (type order) */
			const char **keys; /* map only, sorted by strcmp */
		} c;
	} u;
};

/* A known compound value of type `t` with `n` element slots (NULL), keys unset. */
cty_value *cty__compound(fy_arena *a, const cty_type *t, size_t n);

/* Path text: Terraform's spelling; with leading_dot the first attribute step gets a "." too, as
 * tfdiags.FormatCtyPath does in error messages (".models[2].name"). */
char *cty__path_format(fy_arena *a, const cty_step *steps, size_t n, int leading_dot);

/* Set an FY_EINVALID error prefixed with the path (when not empty). */
int cty__path_error(fy_arena *a, const cty_step *steps, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* 1 when vt can stand where t is expected (dynamic on either side matches anything). */
int cty__type_conforms(const cty_type *vt, const cty_type *t);

/* UTF-8 validity (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
int cty__utf8_valid(const char *s, size_t n);

/* Number helpers (cty_number.c). `json_strict` demands RFC 8259 number syntax. */
int cty__number_parse(cty_value **out, fy_arena *a, const char *text, size_t len, int json_strict);
int cty__number_equal(const cty_num *x, const cty_num *y);
uint64_t cty__number_hash(const cty_num *x);
void cty__number_copy(fy_arena *a, cty_num *dst, const cty_num *src);

/* Type JSON as a cJSON tree / from one (cty_type.c); void * keeps cJSON out of this header. */
int cty__type_from_cjson(const cty_type **out, fy_arena *a, const void *node, int depth);

/* A friendly name for messages: "string", "list of string", "object", ... */
const char *cty__type_name(const cty_type *t);

#endif
