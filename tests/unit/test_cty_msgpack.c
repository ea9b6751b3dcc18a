/* internal/cty msgpack codec: byte-exact encodings (go-cty's), round trips, unknowns, dynamic values,
 * numbers in every wire form, and malformed input (always FY_EINVALID, never a crash). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/cty/cty.h"

static fy_arena *A;

static void setup(void) { ck_assert_int_eq(fy_arena_new(&A), 0); }
static void teardown(void) { fy_arena_free(A); }

/* "82 a1 61" -> bytes (spaces ignored). */
static size_t unhex(unsigned char *out, const char *hex)
{
	size_t n = 0;
	for (const char *p = hex; *p != '\0';) {
		if (*p == ' ') {
			p++;
			continue;
		}
		unsigned int b;
		ck_assert_int_eq(sscanf(p, "%2x", &b), 1);
		out[n++] = (unsigned char)b;
		p += 2;
	}
	return n;
}

static char *tohex(const void *buf, size_t n)
{
	char *s = fy_arena_alloc(A, n * 3 + 1);
	const unsigned char *b = buf;
	for (size_t i = 0; i < n; i++)
		sprintf(s + i * 3, i + 1 < n ? "%02x " : "%02x", b[i]);
	return s;
}

static char *enc_hex(const cty_value *v, const cty_type *t)
{
	void *out;
	size_t n;
	int rc = cty_msgpack_encode(&out, &n, A, v, t);
	ck_assert_msg(rc == 0, "encode failed: %s", fy_error_last()->message);
	return tohex(out, n);
}

static int dec_hex(cty_value **v, const cty_type *t, const char *hex)
{
	unsigned char buf[4096];
	size_t n = unhex(buf, hex);
	return cty_msgpack_decode(v, A, t, buf, n);
}

static cty_value *dec_ok(const cty_type *t, const char *hex)
{
	cty_value *v = NULL;
	int rc = dec_hex(&v, t, hex);
	ck_assert_msg(rc == 0, "decode of %s failed: %s", hex, fy_error_last()->message);
	return v;
}

static void dec_bad(const cty_type *t, const char *hex, const char *msg_part)
{
	cty_value *v = NULL;
	int rc = dec_hex(&v, t, hex);
	ck_assert_msg(rc == FY_EINVALID, "decode of %s: rc %d, want FY_EINVALID", hex, rc);
	if (msg_part != NULL)
		ck_assert_msg(strstr(fy_error_last()->message, msg_part) != NULL, "message \"%s\" lacks \"%s\"",
			fy_error_last()->message, msg_part);
}

/* Decode, compare with `want`, re-encode and require the same bytes. */
static void round_trip(const cty_value *v, const cty_type *t)
{
	void *b1, *b2;
	size_t n1, n2;
	ck_assert_msg(cty_msgpack_encode(&b1, &n1, A, v, t) == 0, "%s", fy_error_last()->message);
	cty_value *back = NULL;
	ck_assert_msg(cty_msgpack_decode(&back, A, t, b1, n1) == 0, "%s", fy_error_last()->message);
	ck_assert_msg(cty_equal(v, back), "round trip changed the value (%s)", tohex(b1, n1));
	ck_assert_int_eq(cty_msgpack_encode(&b2, &n2, A, back, t), 0);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(b1, b2, n1);
}

static const cty_type *obj2(const char *n1, const cty_type *t1, const char *n2, const cty_type *t2)
{
	const char *names[] = {n1, n2};
	const cty_type *types[] = {t1, t2};
	return cty_type_object(A, 2, names, types);
}

/* ------------------------------------------------------------ byte-exact encodings */

START_TEST(object_with_unknown_attribute)
{
	/* {b: unknown, a: "x"}: fixmap, keys sorted, unknown as d4 00 00 exactly as go-cty writes it */
	const cty_type *t = obj2("b", cty_type_number(), "a", cty_type_string());
	cty_value *o = cty_object(A, t);
	ck_assert_int_eq(cty_object_set(o, "a", cty_string(A, "x")), 0);
	ck_assert_int_eq(cty_object_set(o, "b", cty_unknown(A, cty_type_number())), 0);
	ck_assert_str_eq(enc_hex(o, t), "82 a1 61 a1 78 a1 62 d4 00 00");
	/* unset attributes are present as nil */
	ck_assert_str_eq(enc_hex(cty_object(A, t), t), "82 a1 61 c0 a1 62 c0");
	ck_assert_str_eq(enc_hex(cty_null(A, t), t), "c0");
	ck_assert_str_eq(enc_hex(cty_unknown(A, t), t), "d4 00 00");
}
END_TEST

START_TEST(number_encodings)
{
	const cty_type *N = cty_type_number();
	ck_assert_str_eq(enc_hex(cty_number_int(A, 0), N), "00");
	ck_assert_str_eq(enc_hex(cty_number_int(A, 127), N), "7f");
	ck_assert_str_eq(enc_hex(cty_number_int(A, 200), N), "cc c8");
	ck_assert_str_eq(enc_hex(cty_number_int(A, 65536), N), "ce 00 01 00 00");
	ck_assert_str_eq(enc_hex(cty_number_int(A, -1), N), "ff");
	ck_assert_str_eq(enc_hex(cty_number_int(A, -33), N), "d0 df");
	ck_assert_str_eq(enc_hex(cty_number_int(A, -200), N), "d1 ff 38");
	ck_assert_str_eq(enc_hex(cty_number_int(A, INT64_MIN), N), "d3 80 00 00 00 00 00 00 00");
	ck_assert_str_eq(enc_hex(cty_number_double(A, 1.5), N), "cb 3f f8 00 00 00 00 00 00");
	ck_assert_str_eq(enc_hex(cty_number_double(A, 0.1), N), "cb 3f b9 99 99 99 99 99 9a");
	cty_value *v;
	/* integral text is an int; "1.5" is exactly a double */
	ck_assert_int_eq(cty_number_parse(&v, A, "42.000", 6), 0);
	ck_assert_str_eq(enc_hex(v, N), "2a");
	ck_assert_int_eq(cty_number_parse(&v, A, "1.5", 3), 0);
	ck_assert_str_eq(enc_hex(v, N), "cb 3f f8 00 00 00 00 00 00");
	/* decimal 0.1 is not a double: it travels as text, like go-cty's 512-bit ParseNumberVal result */
	ck_assert_int_eq(cty_number_parse(&v, A, "0.1", 3), 0);
	ck_assert_str_eq(enc_hex(v, N), "a3 30 2e 31");
	ck_assert_int_eq(cty_number_parse(&v, A, "1e-5", 4), 0);
	ck_assert_str_eq(enc_hex(v, N), "a7 30 2e 30 30 30 30 31");
	/* 2^63 is not an int64 but is exactly a double; 2^64-1 is neither */
	ck_assert_int_eq(cty_number_parse(&v, A, "9223372036854775808", 19), 0);
	ck_assert_str_eq(enc_hex(v, N), "cb 43 e0 00 00 00 00 00 00");
	ck_assert_int_eq(cty_number_parse(&v, A, "18446744073709551615", 20), 0);
	ck_assert_str_eq(enc_hex(v, N), "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 35");
	/* big integers that are exactly doubles go as float64 too (checked against go-cty 1.12 output) */
	ck_assert_int_eq(cty_number_parse(&v, A, "1e21", 4), 0);
	ck_assert_str_eq(enc_hex(v, N), "cb 44 4b 1a e4 d6 e2 ef 50");
	ck_assert_int_eq(cty_number_parse(&v, A, "1267650600228229401496703205376", 31), 0); /* 2^100 */
	ck_assert_str_eq(enc_hex(v, N), "cb 46 30 00 00 00 00 00 00");
	/* strings of 32..255 bytes use str8 (d9), as the Go encoder does */
	ck_assert_str_eq(enc_hex(cty_string(A, "0123456789012345678901234567890123456789"), cty_type_string()),
		"d9 28 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38 39 30 31 "
		"32 33 34 35 36 37 38 39");
}
END_TEST

START_TEST(number_decodings)
{
	const cty_type *N = cty_type_number();
	int64_t i;
	ck_assert_int_eq(cty_number_as_int64(dec_ok(N, "05"), &i), 0);
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(cty_number_as_int64(dec_ok(N, "d0 05"), &i), 0); /* positive in a signed width */
	ck_assert_int_eq(i, 5);
	ck_assert_int_eq(cty_number_as_int64(dec_ok(N, "d1 ff 38"), &i), 0);
	ck_assert_int_eq(i, -200);
	ck_assert_int_eq(cty_number_as_int64(dec_ok(N, "cd 01 00"), &i), 0);
	ck_assert_int_eq(i, 256);
	ck_assert_str_eq(cty_number_text(dec_ok(N, "cf ff ff ff ff ff ff ff ff")), "18446744073709551615");
	ck_assert_str_eq(cty_number_text(dec_ok(N, "d3 80 00 00 00 00 00 00 00")), "-9223372036854775808");
	ck_assert_str_eq(cty_number_text(dec_ok(N, "ca 3f c0 00 00")), "1.5"); /* float32 */
	ck_assert_str_eq(cty_number_text(dec_ok(N, "cb 3f f8 00 00 00 00 00 00")), "1.5");
	/* numbers as strings, and as bin */
	ck_assert_str_eq(cty_number_text(dec_ok(N, "b7 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38 39 30 31 32 33")),
		"12345678901234567890123");
	ck_assert_str_eq(cty_number_text(dec_ok(N, "a3 30 2e 31")), "0.1");
	ck_assert_str_eq(cty_number_text(dec_ok(N, "c4 03 30 2e 31")), "0.1");
	ck_assert_str_eq(cty_number_text(dec_ok(N, "a4 31 65 2d 35")), "0.00001");
	/* NaN / infinity: as floats and as text */
	dec_bad(N, "cb 7f f8 00 00 00 00 00 00", "finite");
	dec_bad(N, "cb 7f f0 00 00 00 00 00 00", "finite");
	dec_bad(N, "a3 4e 61 4e", "invalid number");
	dec_bad(N, "a3 49 6e 66", "invalid number");
	dec_bad(N, "c3", "expected number");
}
END_TEST

START_TEST(number_round_trips_are_lossless)
{
	const cty_type *N = cty_type_number();
	const char *texts[] = {"0", "1", "-1", "0.1", "-0.5", "3.14159265358979323846264338327950288",
		"12345678901234567890123", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"18446744073709551616", "1e400", "1e-300", "0.30000000000000004", "4503599627370497.5"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		cty_value *v;
		ck_assert_int_eq(cty_number_parse(&v, A, texts[i], strlen(texts[i])), 0);
		round_trip(v, N);
	}
	double ds[] = {0.1, -2.5e-310, 1e300, 123456.789, 5e-324, 1.7976931348623157e308};
	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++)
		round_trip(cty_number_double(A, ds[i]), N);
}
END_TEST

/* ------------------------------------------------------------ round trips */

static const cty_type *big_type(void)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number(), *B = cty_type_bool();
	const cty_type *model = obj2("format", S, "name", S);
	const cty_type *tup_types[] = {S, N, B};
	const char *names[] = {"name", "count", "enabled", "tags", "labels", "models", "meta", "extra", "pair",
		"nested", "any_list"};
	const cty_type *types[] = {S, N, B, cty_type_set(A, S), cty_type_map(A, S), cty_type_list(A, model),
		cty_type_map(A, cty_type_list(A, N)), cty_type_dynamic(), cty_type_tuple(A, 3, tup_types),
		cty_type_set(A, model), cty_type_list(A, cty_type_dynamic())};
	return cty_type_object(A, 11, names, types);
}

static cty_value *model(const cty_type *mt, const char *name, cty_value *format)
{
	cty_value *m = cty_object(A, mt);
	ck_assert_int_eq(cty_object_set(m, "name", name ? cty_string(A, name) : cty_null(A, cty_type_string())), 0);
	ck_assert_int_eq(cty_object_set(m, "format", format), 0);
	return m;
}

static cty_value *big_value(const cty_type *t, int with_unknowns)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number();
	const cty_type *mt = cty_type_elem(cty_type_attr(t, "models"));
	cty_value *o = cty_object(A, t);
	cty_value *unk = cty_unknown(A, S);
	cty_object_set(o, "name", cty_string(A, "gw-\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"));
	cty_value *n;
	ck_assert_int_eq(cty_number_parse(&n, A, "12345678901234567890.25", 23), 0);
	cty_object_set(o, "count", n);
	cty_object_set(o, "enabled", with_unknowns ? cty_unknown(A, cty_type_bool()) : cty_bool(A, 1));
	cty_value *tags[] = {cty_string(A, "b"), cty_string(A, "a"), with_unknowns ? unk : cty_string(A, "c")};
	cty_object_set(o, "tags", cty_set(A, S, 3, tags));
	const char *keys[] = {"z", "x-api-key", "a"};
	cty_value *lv[] = {cty_string(A, "1"), with_unknowns ? unk : cty_string(A, "2"), cty_null(A, S)};
	cty_object_set(o, "labels", cty_map(A, S, 3, keys, lv));
	cty_value *models[] = {model(mt, "gpt", cty_string(A, "OpenAI")), model(mt, NULL, cty_null(A, S)),
		model(mt, "m3", with_unknowns ? unk : cty_string(A, "x"))};
	cty_object_set(o, "models", cty_list(A, mt, 3, models));
	cty_value *nums[] = {cty_number_int(A, 1), cty_number_double(A, 0.25), cty_number_int(A, -7)};
	const char *mk[] = {"k"};
	cty_value *mv[] = {cty_list(A, N, 3, nums)};
	cty_object_set(o, "meta", cty_map(A, cty_type_list(A, N), 1, mk, mv));
	/* a dynamic attribute holding an object */
	cty_value *ex = cty_object(A, obj2("k", S, "v", N));
	cty_object_set(ex, "k", cty_string(A, "kv"));
	cty_object_set(ex, "v", with_unknowns ? cty_unknown(A, N) : cty_number_int(A, 3));
	cty_object_set(o, "extra", ex);
	cty_value *tup[] = {cty_string(A, "p"), cty_number_int(A, 2), cty_bool(A, 0)};
	cty_object_set(o, "pair", cty_tuple(A, cty_type_attr(t, "pair"), tup));
	cty_value *nested[] = {model(mt, "n1", cty_string(A, "f")), model(mt, "n2", cty_null(A, S))};
	cty_object_set(o, "nested", cty_set(A, mt, 2, nested));
	cty_value *anys[] = {cty_string(A, "s"), cty_number_int(A, 5), cty_null(A, cty_type_dynamic()),
		cty_unknown(A, cty_type_dynamic()), cty_null(A, S)};
	cty_object_set(o, "any_list", cty_list(A, cty_type_dynamic(), with_unknowns ? 5 : 3, anys));
	return o;
}

START_TEST(round_trip_every_kind)
{
	const cty_type *t = big_type();
	round_trip(big_value(t, 0), t);
	round_trip(big_value(t, 1), t);
	ck_assert(cty_is_wholly_known(big_value(t, 0)));
	ck_assert(!cty_is_wholly_known(big_value(t, 1)));
	/* nulls and unknowns at every level */
	round_trip(cty_null(A, t), t);
	round_trip(cty_unknown(A, t), t);
	round_trip(cty_object(A, t), t);
	for (size_t i = 0; i < cty_type_count(t); i++) {
		const cty_type *at = cty_type_attr_type(t, i);
		cty_value *o = big_value(t, 0);
		ck_assert_int_eq(cty_object_set(o, cty_type_attr_name(t, i), cty_unknown(A, at)), 0);
		round_trip(o, t);
		ck_assert_int_eq(cty_object_set(o, cty_type_attr_name(t, i), cty_null(A, at)), 0);
		round_trip(o, t);
	}
	/* empty collections */
	const cty_type *S = cty_type_string();
	round_trip(cty_list(A, S, 0, NULL), cty_type_list(A, S));
	round_trip(cty_set(A, S, 0, NULL), cty_type_set(A, S));
	round_trip(cty_map(A, S, 0, NULL, NULL), cty_type_map(A, S));
	ck_assert_str_eq(enc_hex(cty_list(A, S, 0, NULL), cty_type_list(A, S)), "90");
	ck_assert_str_eq(enc_hex(cty_map(A, S, 0, NULL, NULL), cty_type_map(A, S)), "80");
	const cty_type *empty = cty_type_object(A, 0, NULL, NULL);
	round_trip(cty_object(A, empty), empty);
	ck_assert_str_eq(enc_hex(cty_object(A, empty), empty), "80");
}
END_TEST

START_TEST(unknowns_nested)
{
	const cty_type *S = cty_type_string();
	const cty_type *lt = cty_type_list(A, S), *st = cty_type_set(A, S), *mt = cty_type_map(A, S);
	cty_value *items[] = {cty_string(A, "a"), cty_unknown(A, S)};
	ck_assert_str_eq(enc_hex(cty_list(A, S, 2, items), lt), "92 a1 61 d4 00 00");
	ck_assert_str_eq(enc_hex(cty_set(A, S, 2, items), st), "92 a1 61 d4 00 00");
	const char *keys[] = {"k"};
	ck_assert_str_eq(enc_hex(cty_map(A, S, 1, keys, &items[1]), mt), "81 a1 6b d4 00 00");
	cty_value *v = dec_ok(lt, "92 a1 61 d4 00 00");
	ck_assert(cty_is_known(v) && !cty_is_wholly_known(v));
	ck_assert(!cty_is_known(cty_index(v, 1)));
	ck_assert_ptr_eq(cty_value_type(cty_index(v, 1)), S);
	/* a whole nested block collection unknown */
	const cty_type *t = obj2("blocks", cty_type_list(A, obj2("a", S, "b", S)), "id", S);
	v = dec_ok(t, "82 a6 62 6c 6f 63 6b 73 d4 00 00 a2 69 64 c0");
	ck_assert(!cty_is_known(cty_get_attr(v, "blocks")));
	ck_assert(cty_is_null(cty_get_attr(v, "id")));
	/* two unknowns in a set stay two elements */
	cty_value *u2[] = {cty_unknown(A, S), cty_unknown(A, S)};
	ck_assert_uint_eq(cty_length(cty_set(A, S, 2, u2)), 2);
}
END_TEST

START_TEST(refined_and_odd_unknowns)
{
	const cty_type *S = cty_type_string();
	/* refined unknown: ext 12 with a map payload {1: false} ("not null") -> unknown, refinements ignored */
	cty_value *v = dec_ok(S, "c7 03 0c 81 01 c2");
	ck_assert(!cty_is_known(v));
	/* prefix refinement {2: "ab"} */
	ck_assert(!cty_is_known(dec_ok(S, "c7 05 0c 81 02 a2 61 62")));
	/* any ext with length <= 1, any type code */
	ck_assert(!cty_is_known(dec_ok(S, "d4 00 00")));
	ck_assert(!cty_is_known(dec_ok(S, "d4 07 01")));
	ck_assert(!cty_is_known(dec_ok(S, "c7 00 05")));
	ck_assert(!cty_is_known(dec_ok(cty_type_dynamic(), "d4 00 00")));
	/* ext of length 2 with type 0, refined with a non-map payload, refined with garbage */
	dec_bad(S, "d5 00 00 00", "unsupported extension type 0");
	dec_bad(S, "c7 02 0c 91 01", "must be a msgpack map");
	dec_bad(S, "c7 02 0c 82 01", "must be a msgpack map");
	dec_bad(S, "c7 02 0c c1 c1", "must be a msgpack map");
	/* refined unknown inside an object */
	const cty_type *t = obj2("a", S, "b", cty_type_number());
	v = dec_ok(t, "82 a1 61 c7 03 0c 81 01 c2 a1 62 01");
	ck_assert(!cty_is_known(cty_get_attr(v, "a")));
	ck_assert_str_eq(enc_hex(v, t), "82 a1 61 d4 00 00 a1 62 01");
}
END_TEST

START_TEST(dynamic_values)
{
	const cty_type *D = cty_type_dynamic(), *S = cty_type_string();
	/* a known value at a dynamic position: [type JSON as bin, value] */
	ck_assert_str_eq(enc_hex(cty_string(A, "hi"), D), "92 c4 08 22 73 74 72 69 6e 67 22 a2 68 69");
	/* null / unknown of dynamic type: plain nil / d4 00 00 */
	ck_assert_str_eq(enc_hex(cty_null(A, D), D), "c0");
	ck_assert_str_eq(enc_hex(cty_unknown(A, D), D), "d4 00 00");
	/* null / unknown of a known type at a dynamic position keep their type (go-cty marshal order) */
	ck_assert_str_eq(enc_hex(cty_null(A, S), D), "92 c4 08 22 73 74 72 69 6e 67 22 c0");
	ck_assert_str_eq(enc_hex(cty_unknown(A, S), D), "92 c4 08 22 73 74 72 69 6e 67 22 d4 00 00");
	/* decode: the type may come as str too */
	cty_value *v = dec_ok(D, "92 a8 22 73 74 72 69 6e 67 22 a2 68 69");
	ck_assert_ptr_eq(cty_value_type(v), S);
	ck_assert_str_eq(cty_as_string(v, NULL), "hi");
	v = dec_ok(D, "c0");
	ck_assert(cty_is_null(v));
	ck_assert_int_eq(cty_type_kind(cty_value_type(v)), CTY_DYNAMIC);
	/* an object type inside the wrapper: ["object",{"n":"number"}] */
	const char *tj = "[\"object\",{\"n\":\"number\"}]";
	char hex[256];
	int o = sprintf(hex, "92 c4 %02zx", strlen(tj));
	for (const char *p = tj; *p; p++)
		o += sprintf(hex + o, " %02x", (unsigned char)*p);
	sprintf(hex + o, " 81 a1 6e 07");
	v = dec_ok(D, hex);
	ck_assert_int_eq(cty_type_kind(cty_value_type(v)), CTY_OBJECT);
	int64_t n;
	ck_assert_int_eq(cty_number_as_int64(cty_get_attr(v, "n"), &n), 0);
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(enc_hex(v, D), hex);
	/* malformed wrappers */
	dec_bad(D, "a2 68 69", "[type JSON, value]");
	dec_bad(D, "93 c4 08 22 73 74 72 69 6e 67 22 a2 68 69 c0", "[type JSON, value]");
	dec_bad(D, "92 c4 05 22 66 6f 6f 22 c0", "unknown primitive type");
	dec_bad(D, "92 c4 08 22 73 74 72 69 6e 67 22 01", "expected string");
	/* dynamic inside a list and a map */
	const cty_type *lt = cty_type_list(A, D);
	cty_value *items[] = {cty_bool(A, 1), cty_null(A, D)};
	cty_value *l = cty_list(A, D, 2, items);
	ck_assert_str_eq(enc_hex(l, lt), "92 92 c4 06 22 62 6f 6f 6c 22 c3 c0");
	round_trip(l, lt);
}
END_TEST

START_TEST(sets_drop_duplicates_on_decode)
{
	const cty_type *st = cty_type_set(A, cty_type_string());
	cty_value *v = dec_ok(st, "93 a1 61 a1 61 a1 62");
	ck_assert_uint_eq(cty_length(v), 2);
	cty_value *w = dec_ok(st, "92 a1 62 a1 61");
	ck_assert(cty_equal(v, w)); /* order-free */
	ck_assert_ptr_eq(cty_value_type(v), st);
}
END_TEST

START_TEST(objects_and_maps_on_decode)
{
	const cty_type *S = cty_type_string();
	const cty_type *t = obj2("a", S, "b", S);
	/* key order on the wire does not matter */
	cty_value *v = dec_ok(t, "82 a1 62 a1 32 a1 61 a1 31");
	ck_assert_str_eq(cty_get_string(v, "a"), "1");
	ck_assert_str_eq(cty_get_string(v, "b"), "2");
	/* keys as bin */
	v = dec_ok(t, "82 c4 01 61 a1 31 c4 01 62 c0");
	ck_assert_str_eq(cty_get_string(v, "a"), "1");
	/* 0-entry map: every attribute null (documented choice) */
	v = dec_ok(t, "80");
	ck_assert(!cty_is_null(v));
	ck_assert(cty_is_null(cty_get_attr(v, "a")) && cty_is_null(cty_get_attr(v, "b")));
	dec_bad(t, "81 a1 61 a1 31", "an object with 2 attributes is required (1 given)");
	dec_bad(t, "83 a1 61 c0 a1 62 c0 a1 63 c0", "an object with 2 attributes is required (3 given)");
	dec_bad(t, "82 a1 61 c0 a1 63 c0", "unsupported attribute \"c\"");
	dec_bad(t, "82 a1 61 c0 a1 61 c0", "duplicate attribute");
	dec_bad(t, "82 01 c0 a1 61 c0", "must be strings");
	dec_bad(t, "92 c0 c0", "expected object");
	/* maps: sorted keys, str/bin keys, non-string keys refused */
	const cty_type *mt = cty_type_map(A, S);
	v = dec_ok(mt, "82 a1 7a a1 31 c4 01 61 a1 32");
	ck_assert_str_eq(cty_map_key(v, 0), "a");
	ck_assert_str_eq(cty_as_string(cty_map_get(v, "z"), NULL), "1");
	ck_assert_str_eq(enc_hex(v, mt), "82 a1 61 a1 32 a1 7a a1 31");
	dec_bad(mt, "81 01 a1 31", "map keys must be strings");
	dec_bad(mt, "81 a2 61 00 a1 31", "NUL");
	/* tuples need the exact count */
	const cty_type *tt[] = {S, cty_type_number()};
	const cty_type *tup = cty_type_tuple(A, 2, tt);
	dec_ok(tup, "92 a1 61 01");
	dec_bad(tup, "91 a1 61", "a tuple with 2 elements is required (1 given)");
}
END_TEST

START_TEST(error_paths)
{
	const cty_type *S = cty_type_string();
	const char *names[] = {"models", "custom_headers"};
	const cty_type *types[] = {cty_type_list(A, obj2("format", S, "name", S)), cty_type_map(A, S)};
	const cty_type *t = cty_type_object(A, 2, names, types);
	/* models[2].name is an integer */
	dec_bad(t,
		"82 a6 6d 6f 64 65 6c 73 93 82 a6 66 6f 72 6d 61 74 c0 a4 6e 61 6d 65 c0"
		" 82 a6 66 6f 72 6d 61 74 c0 a4 6e 61 6d 65 c0 82 a6 66 6f 72 6d 61 74 c0 a4 6e 61 6d 65 05"
		" ae 63 75 73 74 6f 6d 5f 68 65 61 64 65 72 73 c0",
		".models[2].name: expected string, got integer");
	dec_bad(t, "82 a6 6d 6f 64 65 6c 73 c0 ae 63 75 73 74 6f 6d 5f 68 65 61 64 65 72 73 81 a1 78 c3",
		".custom_headers[\"x\"]: expected string, got bool");
}
END_TEST

/* An object key "" (fuzzing found it): msgpack-c hands it over as a NULL pointer with length 0, which used to go
 * to memcmp (undefined behaviour, UBSan's nonnull-attribute). It is an unsupported attribute, nothing else. */
START_TEST(empty_object_key)
{
	const cty_type *S = cty_type_string();
	const cty_type *t = obj2("format", S, "name", S);
	dec_bad(t, "82 a4 6e 61 6d 65 c0 a0 c0", "unsupported attribute \"\"");
}
END_TEST

START_TEST(malformed_inputs)
{
	const cty_type *t = big_type();
	void *buf;
	size_t n;
	ck_assert_int_eq(cty_msgpack_encode(&buf, &n, A, big_value(t, 1), t), 0);
	/* every truncation of a valid encoding is an error, never a crash or an over-read */
	for (size_t k = 0; k < n; k++) {
		unsigned char *cut = malloc(k > 0 ? k : 1); /* exact-size heap copy: ASan catches over-reads */
		memcpy(cut, buf, k);
		cty_value *v = NULL;
		ck_assert_int_eq(cty_msgpack_decode(&v, A, t, cut, k), FY_EINVALID);
		free(cut);
	}
	/* trailing data */
	unsigned char *more = fy_arena_alloc(A, n + 1);
	memcpy(more, buf, n);
	more[n] = 0xc0;
	cty_value *v = NULL;
	ck_assert_int_eq(cty_msgpack_decode(&v, A, t, more, n + 1), FY_EINVALID);
	const cty_type *S = cty_type_string();
	/* wrong types */
	dec_bad(S, "01", "expected string, got integer");
	dec_bad(cty_type_bool(), "a1 61", "expected bool");
	dec_bad(cty_type_list(A, S), "81 a1 61 a1 62", "expected list");
	dec_bad(S, "c1", NULL);              /* never-used type byte */
	dec_bad(S, "a2 c3 28", "UTF-8");     /* invalid UTF-8 */
	dec_bad(S, "a3 ed a0 80", "UTF-8");  /* encoded surrogate */
	/* container counts far beyond the input: refused before msgpack-c allocates for them */
	dec_bad(cty_type_list(A, S), "dd ff ff ff ff", NULL);
	dec_bad(cty_type_map(A, S), "df ff ff ff ff a1 61", NULL);
	dec_bad(S, "db ff ff ff ff 61", NULL);
	dec_bad(S, "c9 ff ff ff ff 0c", NULL);
	ck_assert_int_eq(cty_msgpack_decode(&v, A, S, "", 0), FY_EINVALID);
	ck_assert_int_eq(cty_msgpack_decode(&v, A, S, NULL, 0), FY_EINVALID);
}
END_TEST

START_TEST(deep_nesting)
{
	/* list(list(...(string))) 100 deep against 100 nested arrays */
	const cty_type *t = cty_type_string();
	for (int i = 0; i < 100; i++)
		t = cty_type_list(A, t);
	char hex[100 * 3 + 8] = "";
	for (int i = 0; i < 100; i++)
		strcat(hex, "91 ");
	strcat(hex, "c0");
	dec_bad(t, hex, NULL);
	/* dynamic wrappers nested through the type JSON: "dynamic" inside "dynamic" ... */
	char deep[8192] = "";
	for (int i = 0; i < 80; i++)
		strcat(deep, "92 c4 09 22 64 79 6e 61 6d 69 63 22 ");
	strcat(deep, "c0");
	dec_bad(cty_type_dynamic(), deep, NULL);
	/* encoding a value nested beyond the limit fails cleanly too */
	const cty_type *S = cty_type_string();
	cty_value *v = cty_string(A, "x");
	const cty_type *vt = S;
	for (int i = 0; i < 100; i++) {
		v = cty_list(A, vt, 1, &v);
		vt = cty_value_type(v);
	}
	void *out;
	size_t n;
	ck_assert_int_eq(cty_msgpack_encode(&out, &n, A, v, vt), FY_EINVALID);
	/* within the limit: fine */
	const cty_type *t20 = S;
	char hex20[128] = "";
	for (int i = 0; i < 20; i++) {
		t20 = cty_type_list(A, t20);
		strcat(hex20, "91 ");
	}
	strcat(hex20, "a1 78");
	dec_ok(t20, hex20);
}
END_TEST

START_TEST(encode_rejects_mismatches)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number();
	void *out;
	size_t n;
	ck_assert_int_eq(cty_msgpack_encode(&out, &n, A, cty_number_int(A, 1), S), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "expected string") != NULL);
	ck_assert_int_eq(cty_msgpack_encode(&out, &n, A, cty_null(A, N), S), FY_EINVALID);
	ck_assert_int_eq(cty_msgpack_encode(&out, &n, A, NULL, S), FY_EINVALID);
	const cty_type *t1 = obj2("a", S, "b", S), *t2 = obj2("a", S, "c", S);
	ck_assert_int_eq(cty_msgpack_encode(&out, &n, A, cty_object(A, t1), t2), FY_EINVALID);
	/* null / unknown of dynamic type fit any position */
	ck_assert_str_eq(enc_hex(cty_null(A, cty_type_dynamic()), t1), "c0");
	ck_assert_str_eq(enc_hex(cty_unknown(A, cty_type_dynamic()), t1), "d4 00 00");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cty_msgpack");
	TCase *tc = tcase_create("msgpack");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, object_with_unknown_attribute);
	tcase_add_test(tc, number_encodings);
	tcase_add_test(tc, number_decodings);
	tcase_add_test(tc, number_round_trips_are_lossless);
	tcase_add_test(tc, round_trip_every_kind);
	tcase_add_test(tc, unknowns_nested);
	tcase_add_test(tc, refined_and_odd_unknowns);
	tcase_add_test(tc, dynamic_values);
	tcase_add_test(tc, sets_drop_duplicates_on_decode);
	tcase_add_test(tc, objects_and_maps_on_decode);
	tcase_add_test(tc, error_paths);
	tcase_add_test(tc, empty_object_key);
	tcase_add_test(tc, malformed_inputs);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, encode_rejects_mismatches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
