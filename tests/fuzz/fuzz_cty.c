/*
 * Fuzz entry point for internal/cty: every input is decoded as msgpack and as JSON against a fixed type
 * shaped like foundry_gateway_connection (every kind, nested blocks, a dynamic attribute), as msgpack
 * against `dynamic`, and as type JSON. Whatever decodes must round-trip: encode, decode again, compare
 * equal, re-encode to the same bytes. A violated invariant aborts (the fuzzer reports it as a crash);
 * errors are fine, crashes, leaks and sanitizer reports are not.
 *
 * Built twice: as a plain executable that replays tests/fuzz/corpus/cty (fuzz_main.c; ctest runs it in
 * both variants), and, when clang has libFuzzer, as the optional target fuzz_cty_libfuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal/cty/cty.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_cty: invariant violated: %s (%s)\n", what, fy_error_last()->message);
	abort();
}

static const cty_type *obj(fy_arena *a, size_t n, const char *const names[], const cty_type *const types[])
{
	return cty_type_object(a, n, names, types);
}

static const cty_type *schema(fy_arena *a)
{
	const cty_type *S = cty_type_string(), *N = cty_type_number(), *B = cty_type_bool();
	const char *mn[] = {"name", "version", "format"};
	const cty_type *mtys[] = {S, S, S};
	const char *cn[] = {"key", "client_id"};
	const cty_type *ctys[] = {S, S};
	const char *dn[] = {"name", "capacity"};
	const cty_type *dtys[] = {S, N};
	const cty_type *pair[] = {S, N};
	const char *names[] = {"id", "name", "category", "target", "auth_type", "credentials", "metadata", "models",
		"custom_headers", "tags", "timeout", "is_shared", "extra", "pair", "deployments"};
	const cty_type *types[] = {S, S, S, S, S, obj(a, 2, cn, ctys), cty_type_map(a, S),
		cty_type_list(a, obj(a, 3, mn, mtys)), cty_type_map(a, S), cty_type_set(a, S), N, B, cty_type_dynamic(),
		cty_type_tuple(a, 2, pair), cty_type_set(a, obj(a, 2, dn, dtys))};
	return obj(a, sizeof(names) / sizeof(names[0]), names, types);
}

static void msgpack_round_trip(fy_arena *a, const cty_value *v, const cty_type *t)
{
	void *b1, *b2;
	size_t n1, n2;
	if (cty_msgpack_encode(&b1, &n1, a, v, t) != 0)
		fail("msgpack encode of a decoded value");
	cty_value *back = NULL;
	if (cty_msgpack_decode(&back, a, t, b1, n1) != 0) {
		/* msgpack-c stops at 32 nested containers; values from JSON may nest deeper than that */
		if (strstr(fy_error_last()->message, "nested too deeply") != NULL)
			return;
		fail("msgpack decode of our own encoding");
	}
	if (!cty_equal(v, back))
		fail("msgpack round trip changed the value");
	if (cty_msgpack_encode(&b2, &n2, a, back, t) != 0 || n1 != n2 || memcmp(b1, b2, n1) != 0)
		fail("msgpack re-encoding differs");
}

static void json_round_trip(fy_arena *a, const cty_value *v, const cty_type *t)
{
	char *j1, *j2;
	if (cty_json_encode(&j1, a, v, t) != 0)
		fail("json encode of a JSON-decoded value");
	cty_value *back = NULL;
	if (cty_json_decode(&back, a, t, j1, strlen(j1)) != 0)
		fail("json decode of our own encoding");
	if (!cty_equal(v, back))
		fail("json round trip changed the value");
	if (cty_json_encode(&j2, a, back, t) != 0 || strcmp(j1, j2) != 0)
		fail("json re-encoding differs");
}

/* FUZZ_CTY_VERBOSE=1 says which decoders accepted an input (handy when curating seeds). */
static void note(const char *what, int rc)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_CTY_VERBOSE") != NULL;
	if (verbose)
		printf("  %s: %s\n", what, rc == 0 ? "ok" : fy_error_last()->message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fy_arena *a;
	if (fy_arena_new(&a) != 0)
		return 0;
	const cty_type *t = schema(a);
	cty_value *v = NULL;

	int rc = cty_msgpack_decode(&v, a, t, data, size);
	note("msgpack", rc);
	if (rc == 0) {
		(void)cty_conform(v, t);
		msgpack_round_trip(a, v, t);
	}
	if (cty_msgpack_decode(&v, a, cty_type_dynamic(), data, size) == 0)
		msgpack_round_trip(a, v, cty_type_dynamic());
	rc = cty_json_decode(&v, a, t, (const char *)data, size);
	note("json", rc);
	if (rc == 0) {
		if (!cty_is_wholly_known(v) || cty_conform(v, t) != 0)
			fail("JSON-decoded value not wholly known and conformant");
		json_round_trip(a, v, t);
		msgpack_round_trip(a, v, t);
		(void)cty_copy(a, v);
	}
	const cty_type *ty = NULL;
	rc = cty_type_from_json(&ty, a, (const char *)data, size);
	note("type json", rc);
	if (rc == 0) {
		char *s1, *s2;
		const cty_type *ty2 = NULL;
		if (cty_type_to_json(&s1, a, ty) != 0 || cty_type_from_json(&ty2, a, s1, strlen(s1)) != 0 ||
			!cty_type_equal(ty, ty2) || cty_type_to_json(&s2, a, ty2) != 0 || strcmp(s1, s2) != 0)
			fail("type JSON round trip");
		/* a msgpack nil decodes as a null of any parsed type */
		if (cty_msgpack_decode(&v, a, ty, "\xc0", 1) != 0 || !cty_is_null(v))
			fail("nil of a parsed type");
	}
	fy_arena_free(a);
	return 0;
}
