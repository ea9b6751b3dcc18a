/* internal/cty: types and type JSON, exact numbers, values (sets, maps, equality, copy, conformance),
 * paths, and the JSON codec (raw state). */
#include <check.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal/cty/cty.h"

static fy_arena *A;

static void setup(void) { ck_assert_int_eq(fy_arena_new(&A), 0); }
static void teardown(void) { fy_arena_free(A); }

static const cty_type *obj2(const char *n1, const cty_type *t1, const char *n2, const cty_type *t2)
{
	const char *names[] = {n1, n2};
	const cty_type *types[] = {t1, t2};
	return cty_type_object(A, 2, names, types);
}

static cty_value *num(const char *text)
{
	cty_value *v = NULL;
	int rc = cty_number_parse(&v, A, text, strlen(text));
	ck_assert_msg(rc == 0, "parse %s: %s", text, fy_error_last()->message);
	return v;
}

static const cty_type *type_of(const char *json)
{
	const cty_type *t = NULL;
	int rc = cty_type_from_json(&t, A, json, strlen(json));
	ck_assert_msg(rc == 0, "type %s: %s", json, fy_error_last()->message);
	return t;
}

static const char *type_json(const cty_type *t)
{
	char *s = NULL;
	ck_assert_int_eq(cty_type_to_json(&s, A, t), 0);
	return s;
}

static cty_value *jdec(const cty_type *t, const char *json)
{
	cty_value *v = NULL;
	int rc = cty_json_decode(&v, A, t, json, strlen(json));
	ck_assert_msg(rc == 0, "json decode %s: %s", json, fy_error_last()->message);
	return v;
}

static void jdec_bad(const cty_type *t, const char *json, const char *msg_part)
{
	cty_value *v = NULL;
	int rc = cty_json_decode(&v, A, t, json, strlen(json));
	ck_assert_msg(rc == FY_EINVALID, "json decode of %s: rc %d, want FY_EINVALID", json, rc);
	if (msg_part != NULL)
		ck_assert_msg(strstr(fy_error_last()->message, msg_part) != NULL, "message \"%s\" lacks \"%s\"",
			fy_error_last()->message, msg_part);
}

static const char *jenc(const cty_value *v, const cty_type *t)
{
	char *s = NULL;
	int rc = cty_json_encode(&s, A, v, t);
	ck_assert_msg(rc == 0, "json encode: %s", fy_error_last()->message);
	return s;
}

/* ------------------------------------------------------------ types */

START_TEST(types_basics)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number();
	ck_assert_ptr_eq(cty_type_string(), S);
	ck_assert(cty_type_is_primitive(S) && !cty_type_is_primitive(cty_type_dynamic()));
	const cty_type *l = cty_type_list(A, S);
	ck_assert(cty_type_is_collection(l));
	ck_assert_ptr_eq(cty_type_elem(l), S);
	ck_assert_ptr_null(cty_type_elem(S));
	/* attributes are sorted by bytes */
	const char *names[] = {"b", "a", "C"};
	const cty_type *types[] = {S, N, cty_type_bool()};
	const cty_type *o = cty_type_object(A, 3, names, types);
	ck_assert_uint_eq(cty_type_count(o), 3);
	ck_assert_str_eq(cty_type_attr_name(o, 0), "C");
	ck_assert_str_eq(cty_type_attr_name(o, 1), "a");
	ck_assert_str_eq(cty_type_attr_name(o, 2), "b");
	ck_assert_ptr_eq(cty_type_attr(o, "a"), N);
	ck_assert_int_eq(cty_type_attr_index(o, "b"), 2);
	ck_assert_int_eq(cty_type_attr_index(o, "zz"), -1);
	ck_assert_ptr_null(cty_type_attr(o, "zz"));
	ck_assert_ptr_null(cty_type_attr_name(o, 3));
	/* structural equality */
	const char *names2[] = {"a", "C", "b"};
	const cty_type *types2[] = {N, cty_type_bool(), S};
	ck_assert(cty_type_equal(o, cty_type_object(A, 3, names2, types2)));
	ck_assert(!cty_type_equal(o, obj2("a", N, "b", S)));
	ck_assert(cty_type_equal(cty_type_list(A, S), cty_type_list(A, S)));
	ck_assert(!cty_type_equal(cty_type_list(A, S), cty_type_set(A, S)));
	ck_assert(!cty_type_equal(cty_type_map(A, S), cty_type_map(A, N)));
	const cty_type *tt[] = {S, N};
	ck_assert(cty_type_equal(cty_type_tuple(A, 2, tt), cty_type_tuple(A, 2, tt)));
	ck_assert(!cty_type_equal(cty_type_tuple(A, 2, tt), cty_type_tuple(A, 1, tt)));
}
END_TEST

START_TEST(type_json_both_ways)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number();
	ck_assert_str_eq(type_json(S), "\"string\"");
	ck_assert_str_eq(type_json(cty_type_dynamic()), "\"dynamic\"");
	ck_assert_str_eq(type_json(cty_type_set(A, cty_type_map(A, cty_type_bool()))), "[\"set\",[\"map\",\"bool\"]]");
	const cty_type *o = obj2("b", N, "a", cty_type_list(A, S));
	ck_assert_str_eq(type_json(o), "[\"object\",{\"a\":[\"list\",\"string\"],\"b\":\"number\"}]");
	const cty_type *tt[] = {S, cty_type_dynamic()};
	ck_assert_str_eq(type_json(cty_type_tuple(A, 2, tt)), "[\"tuple\",[\"string\",\"dynamic\"]]");
	ck_assert_str_eq(type_json(cty_type_object(A, 0, NULL, NULL)), "[\"object\",{}]");
	ck_assert_str_eq(type_json(cty_type_tuple(A, 0, NULL)), "[\"tuple\",[]]");
	/* from JSON, whitespace and key order free; output is canonical */
	const cty_type *t = type_of(" [ \"object\" , { \"z\" : \"bool\", \"a\": [\"set\", \"number\"] } ] ");
	ck_assert_str_eq(type_json(t), "[\"object\",{\"a\":[\"set\",\"number\"],\"z\":\"bool\"}]");
	/* the optional-attributes third element is accepted and ignored */
	t = type_of("[\"object\",{\"a\":\"string\",\"b\":\"number\"},[\"b\"]]");
	ck_assert(cty_type_equal(t, obj2("a", S, "b", N)));
	const char *samples[] = {"\"number\"", "[\"list\",[\"tuple\",[\"string\",[\"map\",\"dynamic\"]]]]",
		"[\"map\",[\"object\",{\"k\":[\"list\",\"bool\"]}]]"};
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(type_json(type_of(samples[i])), samples[i]);
	/* errors */
	const char *bad[] = {"", "\"str\"", "[\"list\"]", "[\"list\",\"string\",\"x\"]", "[\"object\",[]]",
		"[\"object\",{\"a\":\"string\",\"a\":\"number\"}]", "[\"tuple\",{}]", "[\"frob\",\"string\"]", "42",
		"[\"list\",\"string\"] x", "[\"object\",{\"a\":\"string\"},\"b\"]", "{", "[1,2]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const cty_type *x = NULL;
		ck_assert_msg(cty_type_from_json(&x, A, bad[i], strlen(bad[i])) == FY_EINVALID, "accepted %s", bad[i]);
	}
	/* nesting beyond the limit */
	char deep[2048] = "";
	for (int i = 0; i < 100; i++)
		strcat(deep, "[\"list\",");
	strcat(deep, "\"string\"");
	for (int i = 0; i < 100; i++)
		strcat(deep, "]");
	const cty_type *x = NULL;
	ck_assert_int_eq(cty_type_from_json(&x, A, deep, strlen(deep)), FY_EINVALID);
}
END_TEST

/* ------------------------------------------------------------ numbers */

START_TEST(number_parsing_and_text)
{
	struct {
		const char *in, *text;
	} cases[] = {{"12", "12"}, {"-3.5", "-3.5"}, {"0.1", "0.1"}, {"1e-5", "0.00001"}, {"1E+3", "1000"},
		{"00012.3400", "12.34"}, {"-0", "0"}, {"-0.000", "0"}, {"+5", "5"}, {".5", "0.5"}, {"5.", "5"},
		{"0e99999999999999999999", "0"}, {"123456789012345678901234567890", "123456789012345678901234567890"},
		{"1.5e-10", "0.00000000015"}, {"12.5e1", "125"}, {"-9223372036854775808", "-9223372036854775808"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_str_eq(cty_number_text(num(cases[i].in)), cases[i].text);
	/* 1e400: a 1 and 400 zeros, exactly */
	const char *big = cty_number_text(num("1e400"));
	ck_assert_uint_eq(strlen(big), 401);
	ck_assert(big[0] == '1' && strspn(big + 1, "0") == 400);
	const char *junk[] = {"", "abc", "1e", "1e+", "NaN", "nan", "Inf", "-Infinity", "1.2.3", " 1", "1 ", "0x10",
		"--1", "e5", ".", "-", "1_000", "1e999999", "1e-2000", "1e99999999999999999999"};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		cty_value *v = NULL;
		ck_assert_msg(cty_number_parse(&v, A, junk[i], strlen(junk[i])) == FY_EINVALID, "accepted \"%s\"", junk[i]);
	}
	/* length-delimited: no reading past len */
	cty_value *v;
	ck_assert_int_eq(cty_number_parse(&v, A, "123xyz", 3), 0);
	ck_assert_str_eq(cty_number_text(v), "123");
}
END_TEST

START_TEST(number_conversions)
{
	int64_t i;
	ck_assert_int_eq(cty_number_as_int64(num("9223372036854775807"), &i), 0);
	ck_assert_int_eq(i, INT64_MAX);
	ck_assert_int_eq(cty_number_as_int64(num("-9223372036854775808"), &i), 0);
	ck_assert_int_eq(i, INT64_MIN);
	ck_assert_int_eq(cty_number_as_int64(num("9223372036854775808"), &i), FY_EINVALID);
	ck_assert_int_eq(cty_number_as_int64(num("1.5"), &i), FY_EINVALID);
	ck_assert_int_eq(cty_number_as_int64(num("1e3"), &i), 0);
	ck_assert_int_eq(i, 1000);
	ck_assert_int_eq(cty_number_as_int64(cty_null(A, cty_type_number()), &i), FY_EINVALID);
	ck_assert(cty_number_as_double(num("0.1")) == 0.1);
	ck_assert(cty_number_as_double(num("-2.5")) == -2.5);
	ck_assert(cty_number_as_double(num("1e400")) == HUGE_VAL);
	ck_assert(cty_number_as_double(cty_number_double(A, -0.1)) == -0.1);
	ck_assert_str_eq(cty_number_text(cty_number_int(A, INT64_MIN)), "-9223372036854775808");
	ck_assert_str_eq(cty_number_text(cty_number_int(A, 1200)), "1200");
	/* a double is its exact binary value; the decimal 0.1 is a different number (as in Terraform) */
	ck_assert_str_eq(cty_number_text(cty_number_double(A, 0.1)),
		"0.1000000000000000055511151231257827021181583404541015625");
	ck_assert(!cty_equal(cty_number_double(A, 0.1), num("0.1")));
	ck_assert(cty_equal(cty_number_double(A, 1.5), num("1.50")));
	ck_assert(cty_equal(cty_number_int(A, 7), num("7.0")));
	ck_assert(cty_equal(cty_number_double(A, -0.0), num("0")));
	ck_assert_str_eq(cty_number_text(cty_number_double(A, 1e21)), "1000000000000000000000");
	/* non-finite doubles are refused (a null number comes back, with an error recorded) */
	cty_value *bad = cty_number_double(A, NAN);
	ck_assert(cty_is_null(bad));
	ck_assert_int_eq(fy_error_last()->code, FY_EINVALID);
	ck_assert_ptr_null(cty_number_text(cty_unknown(A, cty_type_number())));
}
END_TEST

/* ------------------------------------------------------------ values */

START_TEST(primitive_values)
{
	size_t len;
	cty_value *s = cty_string_n(A, "a\0b", 3);
	ck_assert_mem_eq(cty_as_string(s, &len), "a\0b", 3);
	ck_assert_uint_eq(len, 3);
	ck_assert_str_eq(cty_as_string(cty_string(A, "hé"), NULL), "hé");
	ck_assert_ptr_null(cty_as_string(cty_null(A, cty_type_string()), &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_null(cty_as_string(cty_unknown(A, cty_type_string()), NULL));
	ck_assert_ptr_null(cty_as_string(cty_bool(A, 1), NULL));
	ck_assert_int_eq(cty_as_bool(cty_bool(A, 5)), 1);
	ck_assert_int_eq(cty_as_bool(cty_null(A, cty_type_bool())), 0);
	ck_assert(cty_is_null(cty_null(A, cty_type_string())));
	ck_assert(!cty_is_known(cty_unknown(A, cty_type_string())));
	ck_assert(cty_is_known(cty_null(A, cty_type_string())));
	ck_assert_ptr_eq(cty_value_type(cty_string(A, "")), cty_type_string());
	ck_assert(cty_equal(cty_string(A, "x"), cty_string(A, "x")));
	ck_assert(!cty_equal(cty_string(A, "x"), cty_string(A, "y")));
	ck_assert(!cty_equal(cty_string(A, "1"), cty_number_int(A, 1)));
	ck_assert(cty_equal(cty_null(A, cty_type_string()), cty_null(A, cty_type_string())));
	ck_assert(!cty_equal(cty_null(A, cty_type_string()), cty_null(A, cty_type_dynamic())));
	ck_assert(cty_equal(cty_unknown(A, cty_type_bool()), cty_unknown(A, cty_type_bool())));
	ck_assert(!cty_equal(cty_unknown(A, cty_type_bool()), cty_null(A, cty_type_bool())));
}
END_TEST

START_TEST(collections)
{
	const cty_type *S = cty_type_string();
	cty_value *items[] = {cty_string(A, "b"), cty_string(A, "a"), cty_string(A, "b"), cty_unknown(A, S),
		cty_unknown(A, S)};
	cty_value *l = cty_list(A, S, 3, items);
	ck_assert_uint_eq(cty_length(l), 3);
	ck_assert_str_eq(cty_as_string(cty_index(l, 2), NULL), "b");
	ck_assert_ptr_null(cty_index(l, 3));
	/* sets: known duplicates dropped, unknowns kept, equality order-free */
	cty_value *s = cty_set(A, S, 5, items);
	ck_assert_uint_eq(cty_length(s), 4);
	cty_value *rev[] = {cty_unknown(A, S), cty_string(A, "a"), cty_unknown(A, S), cty_string(A, "b")};
	ck_assert(cty_equal(s, cty_set(A, S, 4, rev)));
	cty_value *other[] = {cty_string(A, "a"), cty_string(A, "c"), cty_unknown(A, S), cty_unknown(A, S)};
	ck_assert(!cty_equal(s, cty_set(A, S, 4, other)));
	ck_assert(!cty_equal(s, cty_set(A, S, 2, items)));
	/* sets of objects and sets of sets */
	const cty_type *ot = obj2("k", S, "n", cty_type_number());
	cty_value *objs[40];
	for (int i = 0; i < 40; i++) {
		objs[i] = cty_object(A, ot);
		cty_object_set(objs[i], "k", cty_string(A, i % 2 ? "odd" : "even"));
		cty_object_set(objs[i], "n", cty_number_int(A, i % 10));
	}
	ck_assert_uint_eq(cty_length(cty_set(A, ot, 40, objs)), 10);
	cty_value *ab[] = {cty_string(A, "a"), cty_string(A, "b")}, *ba[] = {cty_string(A, "b"), cty_string(A, "a")};
	cty_value *ss[] = {cty_set(A, S, 2, ab), cty_set(A, S, 2, ba)};
	ck_assert_uint_eq(cty_length(cty_set(A, cty_type_set(A, S), 2, ss)), 1);
	/* a big set: dedup stays fast and exact */
	cty_value **many = fy_arena_alloc(A, 20000 * sizeof(*many));
	for (int i = 0; i < 20000; i++)
		many[i] = cty_number_int(A, i % 5000);
	ck_assert_uint_eq(cty_length(cty_set(A, cty_type_number(), 20000, many)), 5000);
	/* maps: sorted, a repeated key keeps the last value */
	const char *keys[] = {"z", "a", "m", "a"};
	cty_value *vals[] = {cty_string(A, "1"), cty_string(A, "2"), cty_string(A, "3"), cty_string(A, "4")};
	cty_value *m = cty_map(A, S, 4, keys, vals);
	ck_assert_uint_eq(cty_length(m), 3);
	ck_assert_str_eq(cty_map_key(m, 0), "a");
	ck_assert_str_eq(cty_map_key(m, 2), "z");
	ck_assert_str_eq(cty_as_string(cty_map_get(m, "a"), NULL), "4");
	ck_assert_ptr_null(cty_map_get(m, "q"));
	ck_assert_str_eq(cty_as_string(cty_index(m, 1), NULL), "3");
	/* tuples */
	const cty_type *tt[] = {S, cty_type_bool()};
	const cty_type *tup = cty_type_tuple(A, 2, tt);
	cty_value *tv[] = {cty_string(A, "x"), cty_bool(A, 1)};
	cty_value *t = cty_tuple(A, tup, tv);
	ck_assert_uint_eq(cty_length(t), 2);
	ck_assert_int_eq(cty_collection_set(t, 1, cty_bool(A, 0)), 0);
	ck_assert_int_eq(cty_as_bool(cty_index(t, 1)), 0);
	ck_assert_int_eq(cty_collection_set(t, 2, cty_bool(A, 0)), FY_EINVALID);
	ck_assert_int_eq(cty_collection_set(s, 0, cty_string(A, "q")), FY_EINVALID);
	ck_assert_int_eq(cty_collection_set(l, 0, cty_string(A, "q")), 0);
	ck_assert_int_eq(cty_collection_set(m, 0, cty_string(A, "q")), 0);
	ck_assert_str_eq(cty_as_string(cty_map_get(m, "a"), NULL), "q");
	/* null and unknown collections have no elements */
	ck_assert_uint_eq(cty_length(cty_null(A, cty_type_list(A, S))), 0);
	ck_assert_ptr_null(cty_index(cty_unknown(A, cty_type_list(A, S)), 0));
}
END_TEST

START_TEST(objects)
{
	const cty_type *S = cty_type_string(), *B = cty_type_bool();
	const cty_type *t = obj2("name", S, "enabled", B);
	cty_value *o = cty_object(A, t);
	ck_assert_uint_eq(cty_length(o), 2);
	ck_assert(cty_is_null(cty_get_attr(o, "name")));
	ck_assert_ptr_null(cty_get_string(o, "name"));
	ck_assert_int_eq(cty_get_bool(o, "enabled", 7), 7);
	ck_assert_int_eq(cty_object_set(o, "name", cty_string(A, "gw")), 0);
	ck_assert_int_eq(cty_object_set(o, "enabled", cty_bool(A, 0)), 0);
	ck_assert_str_eq(cty_get_string(o, "name"), "gw");
	ck_assert_int_eq(cty_get_bool(o, "enabled", 1), 0);
#ifndef FY_CHECKED_NAMES /* there each of these aborts: see checked_names */
	ck_assert_int_eq(cty_object_set(o, "nope", cty_string(A, "x")), FY_ENOTFOUND);
	ck_assert_int_eq(cty_object_set(o, "name", cty_bool(A, 1)), FY_EINVALID);
	ck_assert_int_eq(cty_object_set(cty_null(A, t), "name", cty_string(A, "x")), FY_EINVALID);
	ck_assert_ptr_null(cty_get_attr(o, "nope"));
#endif
	ck_assert(cty_has_attr(o, "name") && !cty_has_attr(o, "nope") && !cty_has_attr(NULL, "name"));
	ck_assert(cty_is_set(o) && !cty_is_set(NULL) && !cty_is_set(cty_null(A, t)) && !cty_is_set(cty_unknown(A, t)));
	ck_assert_ptr_null(cty_get_attr(cty_null(A, t), "name"));
	ck_assert_ptr_null(cty_get_attr(cty_unknown(A, t), "name"));
	ck_assert_ptr_null(cty_get_string(o, "enabled"));
	ck_assert_str_eq(cty_map_key(o, 0), "enabled");
	ck_assert_ptr_eq(cty_map_get(o, "name"), cty_get_attr(o, "name"));
	ck_assert_int_eq(cty_object_set(o, "name", cty_unknown(A, S)), 0);
	ck_assert_ptr_null(cty_get_string(o, "name"));
	ck_assert(!cty_is_wholly_known(o));
	/* dynamic attribute takes anything */
	const cty_type *dt = obj2("any", cty_type_dynamic(), "x", S);
	cty_value *d = cty_object(A, dt);
	ck_assert_int_eq(cty_object_set(d, "any", cty_number_int(A, 3)), 0);
	ck_assert_int_eq(cty_type_kind(cty_value_type(cty_get_attr(d, "any"))), CTY_NUMBER);
}
END_TEST

START_TEST(copy_is_deep)
{
	fy_arena *b;
	ck_assert_int_eq(fy_arena_new(&b), 0);
	const cty_type *S = cty_type_string();
	const cty_type *mt = obj2("name", S, "n", cty_type_number());
	const cty_type *t = obj2("models", cty_type_list(A, mt), "tags", cty_type_map(A, cty_type_set(A, S)));
	cty_value *o = cty_object(A, t);
	cty_value *ms[2];
	for (int i = 0; i < 2; i++) {
		ms[i] = cty_object(A, mt);
		cty_object_set(ms[i], "name", cty_string(A, i ? "b" : "a"));
		cty_object_set(ms[i], "n", num(i ? "0.1" : "123456789012345678901234567890"));
	}
	cty_object_set(o, "models", cty_list(A, mt, 2, ms));
	cty_value *set_items[] = {cty_string(A, "x"), cty_unknown(A, S)};
	cty_value *set = cty_set(A, S, 2, set_items);
	const char *keys[] = {"k"};
	cty_object_set(o, "tags", cty_map(A, cty_type_set(A, S), 1, keys, &set));
	/* copy into another arena, then drop the original's arena: the copy stands alone (ASan checks) */
	cty_value *c = cty_copy(b, o);
	ck_assert(cty_equal(o, c));
	fy_arena_free(A);
	ck_assert_int_eq(fy_arena_new(&A), 0);
	ck_assert_str_eq(cty_number_text(cty_get_attr(cty_index(cty_get_attr(c, "models"), 0), "n")),
		"123456789012345678901234567890");
	ck_assert_str_eq(type_json(cty_value_type(c)),
		"[\"object\",{\"models\":[\"list\",[\"object\",{\"n\":\"number\",\"name\":\"string\"}]],"
		"\"tags\":[\"map\",[\"set\",\"string\"]]}]");
	ck_assert_uint_eq(cty_length(cty_map_get(cty_get_attr(c, "tags"), "k")), 2);
	ck_assert_ptr_null(cty_copy(b, NULL));
	fy_arena_free(b);
}
END_TEST

START_TEST(conformance)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number(), *D = cty_type_dynamic();
	const cty_type *mt = obj2("name", S, "n", N);
	const cty_type *t = obj2("models", cty_type_list(A, mt), "any", D);
	cty_value *o = cty_object(A, t);
	ck_assert_int_eq(cty_conform(o, t), 0);
	ck_assert_int_eq(cty_conform(cty_null(A, t), t), 0);
	ck_assert_int_eq(cty_conform(cty_unknown(A, D), t), 0);
	ck_assert_int_eq(cty_conform(cty_null(A, D), S), 0);
	ck_assert_int_eq(cty_conform(cty_string(A, "x"), D), 0);
	ck_assert_int_eq(cty_conform(cty_string(A, "x"), N), FY_EINVALID);
	ck_assert_int_eq(cty_conform(cty_null(A, S), N), FY_EINVALID);
	cty_value *m = cty_object(A, mt);
	cty_object_set(m, "name", cty_string(A, "a"));
	cty_value *bad = cty_object(A, obj2("name", N, "n", N));
	cty_object_set(bad, "name", cty_number_int(A, 1));
	cty_value *ms[] = {m, m, bad};
	/* a list value whose declared element type is dynamic still has its elements checked */
	cty_object_set(o, "models", cty_null(A, cty_type_list(A, mt)));
	ck_assert_int_eq(cty_conform(o, t), 0);
	cty_value *lst = cty_list(A, D, 3, ms);
	ck_assert_int_eq(cty_conform(lst, cty_type_list(A, mt)), FY_EINVALID);
	ck_assert_str_eq(fy_error_last()->message, "[2].name: a value of the wrong type: expected string");
	const cty_type *other = obj2("name", S, "x", N);
	ck_assert_int_eq(cty_conform(cty_object(A, other), mt), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "attribute n") != NULL);
	ck_assert_int_eq(cty_conform(NULL, S), FY_EINVALID);
}
END_TEST

/* ------------------------------------------------------------ paths */

START_TEST(paths)
{
	cty_path *root = cty_path_root(A);
	ck_assert_str_eq(cty_path_string(A, root), "");
	ck_assert_str_eq(cty_path_string(A, NULL), "");
	cty_path *m = cty_path_attr(A, NULL, "models");
	cty_path *m0 = cty_path_index(A, m, 0);
	cty_path *m0n = cty_path_attr(A, m0, "name");
	ck_assert_str_eq(cty_path_string(A, m0n), "models[0].name");
	ck_assert_str_eq(cty_path_string(A, m), "models"); /* parent unchanged */
	ck_assert_uint_eq(m0n->len, 3);
	ck_assert_str_eq(cty_path_string(A, cty_path_key(A, cty_path_attr(A, root, "custom_headers"), "x-api-key")),
		"custom_headers[\"x-api-key\"]");
	ck_assert_str_eq(cty_path_string(A, cty_path_key(A, NULL, "a\"b\\c\n")), "[\"a\\\"b\\\\c\\n\"]");
	ck_assert_str_eq(cty_path_string(A, cty_path_index(A, cty_path_index(A, NULL, 3), -1)), "[3][-1]");
	/* path_get */
	const cty_type *S = cty_type_string();
	const cty_type *mt = obj2("name", S, "format", S);
	const cty_type *t = obj2("models", cty_type_list(A, mt), "custom_headers", cty_type_map(A, S));
	cty_value *o = cty_object(A, t);
	cty_value *mm = cty_object(A, mt);
	cty_object_set(mm, "name", cty_string(A, "gpt"));
	cty_object_set(o, "models", cty_list(A, mt, 1, &mm));
	const char *k[] = {"x-api-key"};
	cty_value *hv = cty_string(A, "secret-ish");
	cty_object_set(o, "custom_headers", cty_map(A, S, 1, k, &hv));
	ck_assert_str_eq(cty_as_string(cty_path_get(o, m0n), NULL), "gpt");
	ck_assert_ptr_eq(cty_path_get(o, NULL), o);
	ck_assert_ptr_eq(cty_path_get(o, cty_path_key(A, cty_path_attr(A, NULL, "custom_headers"), "x-api-key")), hv);
	ck_assert_ptr_null(cty_path_get(o, cty_path_index(A, m, 1)));
	ck_assert_ptr_null(cty_path_get(o, cty_path_attr(A, m0n, "deeper")));
	ck_assert_ptr_null(cty_path_get(o, cty_path_attr(A, NULL, "nope")));
	ck_assert_ptr_null(cty_path_get(o, cty_path_key(A, NULL, "models")));
	cty_object_set(o, "models", cty_null(A, cty_type_list(A, mt)));
	ck_assert_ptr_null(cty_path_get(o, m0n));
}
END_TEST

/* ------------------------------------------------------------ JSON */

static const cty_type *state_type(void)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number();
	const char *names[] = {"id", "name", "timeout", "enabled", "models", "tags", "metadata", "extra"};
	const cty_type *types[] = {S, S, N, cty_type_bool(), cty_type_list(A, obj2("name", S, "version", N)),
		cty_type_set(A, S), cty_type_map(A, S), cty_type_dynamic()};
	return cty_type_object(A, 8, names, types);
}

START_TEST(json_raw_state)
{
	const cty_type *t = state_type();
	/* as ctyjson.Marshal wrote it, minus attributes added since (missing -> null) */
	cty_value *v = jdec(t, "{\"id\":\"/subscriptions/x\",\"name\":\"gw\",\"models\":[{\"name\":\"m\","
		"\"version\":12345678901234567890123456789}],\"tags\":[\"b\",\"a\",\"b\"]}");
	ck_assert_str_eq(cty_get_string(v, "id"), "/subscriptions/x");
	ck_assert(cty_is_null(cty_get_attr(v, "timeout")));
	ck_assert(cty_is_null(cty_get_attr(v, "extra")));
	ck_assert_int_eq(cty_type_kind(cty_value_type(cty_get_attr(v, "extra"))), CTY_DYNAMIC);
	ck_assert_str_eq(cty_number_text(cty_get_attr(cty_index(cty_get_attr(v, "models"), 0), "version")),
		"12345678901234567890123456789");
	ck_assert_uint_eq(cty_length(cty_get_attr(v, "tags")), 2);
	jdec_bad(t, "{\"id\":\"x\",\"legacy\":1}", "unsupported attribute \"legacy\"");
	jdec_bad(t, "{\"models\":[{\"name\":5,\"version\":true}]}", ".models[0].version: expected number, got bool");
	jdec_bad(t, "{\"metadata\":{\"k\":[]}}", ".metadata[\"k\"]: expected string, got array");
	jdec_bad(t, "[]", "expected object");
	/* encode writes every attribute, sorted, nulls included */
	ck_assert_str_eq(jenc(v, t),
		"{\"enabled\":null,\"extra\":null,\"id\":\"/subscriptions/x\",\"metadata\":null,"
		"\"models\":[{\"name\":\"m\",\"version\":12345678901234567890123456789}],\"name\":\"gw\","
		"\"tags\":[\"b\",\"a\"],\"timeout\":null}");
}
END_TEST

START_TEST(json_exact_numbers)
{
	const cty_type *N = cty_type_number();
	const char *cases[] = {"0", "-1", "0.1", "1.5", "12345678901234567890123",
		"0.100000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
		"-98765432109876543210987654321098765432109876543210987654321098765432109876543210.5",
		"1e400", "2.5E-3", "-0.0"};
	const char *texts[] = {"0", "-1", "0.1", "1.5", "12345678901234567890123",
		"0.100000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
		"-98765432109876543210987654321098765432109876543210987654321098765432109876543210.5",
		NULL, "0.0025", "0"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cty_value *v = jdec(N, cases[i]);
		if (texts[i] != NULL) {
			ck_assert_str_eq(cty_number_text(v), texts[i]);
			ck_assert_str_eq(jenc(v, N), texts[i]);
		}
		ck_assert(cty_equal(v, jdec(N, jenc(v, N)))); /* lossless both ways */
	}
	/* a double's exact expansion survives JSON too */
	cty_value *d = cty_number_double(A, 0.1);
	ck_assert(cty_equal(d, jdec(N, jenc(d, N))));
	/* numbers in arrays, next to strings holding digits and minus signs */
	const cty_type *t = obj2("a", cty_type_list(A, N), "s", cty_type_string());
	cty_value *v = jdec(t, "{\"s\":\"-12 \\\"3e4\\\" 5\",\"a\":[1,-2.50,3e2,99999999999999999999999]}");
	ck_assert_str_eq(cty_get_string(v, "s"), "-12 \"3e4\" 5");
	cty_value *a = cty_get_attr(v, "a");
	ck_assert_str_eq(cty_number_text(cty_index(a, 1)), "-2.5");
	ck_assert_str_eq(cty_number_text(cty_index(a, 2)), "300");
	ck_assert_str_eq(cty_number_text(cty_index(a, 3)), "99999999999999999999999");
	/* JSON number grammar is enforced */
	const char *bad[] = {"01", "+1", ".5", "5.", "1e", "-", "1.2.3", "0x10", "NaN", "Infinity", "1-2", "[1 2]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		jdec_bad(strchr(bad[i], '[') ? cty_type_list(A, N) : N, bad[i], NULL);
}
END_TEST

START_TEST(json_lenient_primitives)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number(), *B = cty_type_bool();
	/* as go-cty's decoder: strings from numbers/bools, numbers and bools from strings */
	ck_assert_str_eq(cty_as_string(jdec(S, "1.50"), NULL), "1.50");
	ck_assert_str_eq(cty_as_string(jdec(S, "true"), NULL), "true");
	ck_assert_str_eq(cty_number_text(jdec(N, "\"42\"")), "42");
	ck_assert_int_eq(cty_as_bool(jdec(B, "\"true\"")), 1);
	ck_assert_int_eq(cty_as_bool(jdec(B, "\"false\"")), 0);
	jdec_bad(B, "\"yes\"", "expected bool");
	jdec_bad(N, "\"abc\"", "invalid number");
	jdec_bad(S, "{}", "expected string");
	ck_assert(cty_is_null(jdec(S, "null")));
	ck_assert_str_eq(cty_as_string(jdec(S, "\"\\u00e9\\ud83d\\ude00\""), NULL), "\xc3\xa9\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(json_dynamic)
{
	const cty_type *D = cty_type_dynamic();
	cty_value *v = jdec(D, "{\"value\":{\"a\":[1,2]},\"type\":[\"object\",{\"a\":[\"list\",\"number\"]}]}");
	ck_assert_int_eq(cty_type_kind(cty_value_type(v)), CTY_OBJECT);
	ck_assert_uint_eq(cty_length(cty_get_attr(v, "a")), 2);
	/* key order free on input; value first on output, as go-cty writes it */
	v = jdec(D, "{\"type\":\"string\",\"value\":\"x\"}");
	ck_assert_str_eq(jenc(v, D), "{\"value\":\"x\",\"type\":\"string\"}");
	ck_assert_str_eq(jenc(cty_null(A, cty_type_string()), D), "{\"value\":null,\"type\":\"string\"}");
	ck_assert_str_eq(jenc(cty_null(A, D), D), "null");
	ck_assert(cty_is_null(jdec(D, "null")));
	jdec_bad(D, "{\"value\":1}", "missing type");
	jdec_bad(D, "{\"type\":\"number\"}", "missing value");
	jdec_bad(D, "{\"value\":1,\"type\":\"number\",\"x\":1}", "invalid key");
	jdec_bad(D, "{\"value\":1,\"type\":\"nope\"}", "unknown primitive type");
	jdec_bad(D, "\"bare\"", "dynamically-typed");
	/* round trip through a dynamic attribute */
	const cty_type *t = state_type();
	v = jdec(t, "{\"extra\":{\"value\":[\"a\",true],\"type\":[\"tuple\",[\"string\",\"bool\"]]}}");
	cty_value *back = jdec(t, jenc(v, t));
	ck_assert(cty_equal(v, back));
}
END_TEST

START_TEST(json_encode_rules)
{
	const cty_type *S = cty_type_string();
	char *out;
	/* unknowns cannot be written */
	ck_assert_int_eq(cty_json_encode(&out, A, cty_unknown(A, S), S), FY_EINVALID);
	ck_assert(strstr(fy_error_last()->message, "not known") != NULL);
	const cty_type *t = obj2("a", cty_type_list(A, S), "b", S);
	cty_value *o = cty_object(A, t);
	cty_value *items[] = {cty_string(A, "x"), cty_unknown(A, S)};
	cty_object_set(o, "a", cty_list(A, S, 2, items));
	ck_assert_int_eq(cty_json_encode(&out, A, o, t), FY_EINVALID);
	ck_assert_str_eq(fy_error_last()->message, ".a[1]: value is not known");
	/* escaping is cJSON's */
	ck_assert_str_eq(jenc(cty_string(A, "q\"\\\n\x01"), S), "\"q\\\"\\\\\\n\\u0001\"");
	ck_assert_int_eq(cty_json_encode(&out, A, cty_string_n(A, "a\0b", 3), S), FY_EINVALID);
	ck_assert_int_eq(cty_json_encode(&out, A, cty_bool(A, 1), S), FY_EINVALID);
	const char *keys[] = {"b", "a"};
	cty_value *vals[] = {cty_string(A, "2"), cty_null(A, S)};
	ck_assert_str_eq(jenc(cty_map(A, S, 2, keys, vals), cty_type_map(A, S)), "{\"a\":null,\"b\":\"2\"}");
	const cty_type *tt[] = {S, cty_type_number()};
	cty_value *tv[] = {cty_string(A, "x"), cty_number_int(A, -3)};
	ck_assert_str_eq(jenc(cty_tuple(A, cty_type_tuple(A, 2, tt), tv), cty_type_tuple(A, 2, tt)), "[\"x\",-3]");
}
END_TEST

START_TEST(json_malformed)
{
	const cty_type *t = state_type();
	const char *bad[] = {"", "{", "{\"id\":}", "{\"id\":\"x\"} x", "{\"id\":\"x\",}", "[1,]", "{\"id\":\"\\u0000\"}",
		"{\"id\":\"a\\u0000b\"}", "\"unterminated", "{\"id\":\"\xff\"}", "{\"tags\":[\"\xc3\"]}", "nul", "{\"id\" \"x\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		jdec_bad(t, bad[i], NULL);
	/* not NUL-terminated input: only `len` bytes are read */
	char buf[4] = {'"', 'a', 'b', '"'};
	cty_value *v;
	ck_assert_int_eq(cty_json_decode(&v, A, cty_type_string(), buf, 4), 0);
	ck_assert_str_eq(cty_as_string(v, NULL), "ab");
	ck_assert_int_eq(cty_json_decode(&v, A, cty_type_string(), buf, 3), FY_EINVALID);
	/* a raw NUL inside a string is refused, not cut short */
	ck_assert_int_eq(cty_json_decode(&v, A, cty_type_string(), "\"a\0b\"", 5), FY_EINVALID);
	/* deep nesting: bounded */
	const cty_type *lt = cty_type_string();
	for (int i = 0; i < 100; i++)
		lt = cty_type_list(A, lt);
	char deep[512] = "";
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	for (int i = 0; i < 100; i++)
		strcat(deep, "]");
	jdec_bad(lt, deep, "nested too deeply");
	/* whitespace around the value is fine */
	ck_assert_str_eq(cty_as_string(jdec(cty_type_string(), " \n\t\"x\" \r\n"), NULL), "x");
}
END_TEST

/* fy_arena (internal/common): a size whose rounding would wrap must not come back as a tiny block. The
 * request is fatal (fy_oom aborts), so it runs in a child (ctest sets CK_FORK=no). */
static int dies_of_abort(int which)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (which == 0)
			fy_arena_alloc(A, SIZE_MAX - 3);
		else
			fy_arena_strndup(A, "x", SIZE_MAX);
		_exit(0); /* returned: the bug */
	}
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

START_TEST(arena_huge_requests_abort)
{
	ck_assert(dies_of_abort(0));
	ck_assert(dies_of_abort(1));
}
END_TEST

#ifdef FY_CHECKED_NAMES
/* A misspelled attribute name stops a checked build, naming it (run in a child: the abort is the expected end). */
static void expect_abort(void (*fn)(void), const char *name)
{
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		fn();
		_exit(0);
	}
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "%s did not abort", name);
}
static const cty_type *named_type(fy_arena *a)
{
	const cty_type *t = NULL;
	ck_assert_int_eq(cty_type_from_json(&t, a, "[\"object\",{\"name\":\"string\"}]", 28), 0);
	return t;
}
static void get_misspelled(void)
{
	fy_arena *a = NULL;
	fy_arena_new(&a);
	cty_get_attr(cty_object(a, named_type(a)), "nmae");
}
static void set_misspelled(void)
{
	fy_arena *a = NULL;
	fy_arena_new(&a);
	cty_object_set(cty_object(a, named_type(a)), "nmae", cty_string(a, "x"));
}
static void set_wrong_type(void)
{
	fy_arena *a = NULL;
	fy_arena_new(&a);
	cty_object_set(cty_object(a, named_type(a)), "name", cty_bool(a, 1));
}
START_TEST(checked_names)
{
	expect_abort(get_misspelled, "cty_get_attr(\"nmae\")");
	expect_abort(set_misspelled, "cty_object_set(\"nmae\")");
	expect_abort(set_wrong_type, "cty_object_set(name, bool)");
}
END_TEST
#endif

static Suite *suite(void)
{
	Suite *s = suite_create("cty");
	TCase *tc = tcase_create("cty");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, types_basics);
#ifdef FY_CHECKED_NAMES
	tcase_add_test(tc, checked_names);
#endif
	tcase_add_test(tc, type_json_both_ways);
	tcase_add_test(tc, number_parsing_and_text);
	tcase_add_test(tc, number_conversions);
	tcase_add_test(tc, primitive_values);
	tcase_add_test(tc, collections);
	tcase_add_test(tc, objects);
	tcase_add_test(tc, copy_is_deep);
	tcase_add_test(tc, conformance);
	tcase_add_test(tc, paths);
	tcase_add_test(tc, json_raw_state);
	tcase_add_test(tc, json_exact_numbers);
	tcase_add_test(tc, json_lenient_primitives);
	tcase_add_test(tc, json_dynamic);
	tcase_add_test(tc, json_encode_rules);
	tcase_add_test(tc, json_malformed);
	tcase_add_test(tc, arena_huge_requests_abort);
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
