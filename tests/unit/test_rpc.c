/* rpc: the method table between the transport and the services. */
#include "internal/rpc/rpc.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_a(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message)
{
	*resp = fy_arena_memdup(arena, req, req_len);
	*resp_len = req_len;
	return RPC_OK;
}

static int h_b(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message)
{
	*status_message = "b failed";
	return RPC_INTERNAL;
}

START_TEST(test_register_and_lookup)
{
	rpc_registry *r;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	ck_assert_uint_eq(rpc_registry_count(r), 0);
	int tag_a = 1, tag_b = 2;
	ck_assert_int_eq(rpc_register_unary(r, "/tfplugin6.Provider/PlanResourceChange", h_a, &tag_a), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/tfplugin6.Provider/ApplyResourceChange", h_b, &tag_b), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/grpc.health.v1.Health/Check", h_a, NULL), FY_OK);
	ck_assert_uint_eq(rpc_registry_count(r), 3);

	rpc_unary_fn fn;
	void *data;
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/tfplugin6.Provider/PlanResourceChange"), FY_OK);
	ck_assert_ptr_eq((void *)fn, (void *)h_a);
	ck_assert_ptr_eq(data, &tag_a);
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/tfplugin6.Provider/ApplyResourceChange"), FY_OK);
	ck_assert_ptr_eq((void *)fn, (void *)h_b);
	ck_assert_ptr_eq(data, &tag_b);
	ck_assert_int_eq(rpc_lookup(&fn, NULL, r, "/grpc.health.v1.Health/Check"), FY_OK);
	ck_assert_ptr_eq((void *)fn, (void *)h_a);

	/* The handler is callable through the table. */
	fy_arena *a;
	ck_assert_int_eq(fy_arena_new(&a), 0);
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	const char *msg = NULL;
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/tfplugin6.Provider/PlanResourceChange"), FY_OK);
	ck_assert_int_eq(fn(data, a, (const uint8_t *)"abc", 3, &resp, &resp_len, &msg), RPC_OK);
	ck_assert_uint_eq(resp_len, 3);
	ck_assert_int_eq(memcmp(resp, "abc", 3), 0);
	fy_arena_free(a);
	rpc_registry_free(r);
}
END_TEST

/* A server stream: three messages, in order. */
static int h_stream(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, rpc_stream *out,
	const char **status_message)
{
	(void)data;
	(void)arena;
	(void)req;
	(void)req_len;
	(void)status_message;
	rpc_stream_send(out, (const uint8_t *)"one", 3);
	rpc_stream_send(out, (const uint8_t *)"", 0);
	rpc_stream_send(out, (const uint8_t *)"three", 5);
	return RPC_OK;
}

START_TEST(test_server_streams)
{
	rpc_registry *r = NULL;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	int tag = 7;
	ck_assert_int_eq(rpc_register_server_stream(r, "/tfplugin6.Provider/ListResource", h_stream, &tag), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/tfplugin6.Provider/ListResource", h_a, NULL), FY_EINVALID);
	rpc_unary_fn fn = NULL;
	rpc_stream_fn sfn = NULL;
	void *data = NULL;
	ck_assert_int_eq(rpc_lookup_method(&fn, &sfn, &data, r, "/tfplugin6.Provider/ListResource"), FY_OK);
	ck_assert_ptr_null(fn);
	ck_assert(sfn == h_stream);
	ck_assert_ptr_eq(data, &tag);
	/* The unary lookup does not hand out a stream. */
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/tfplugin6.Provider/ListResource"), FY_ENOTFOUND);
	fy_arena *a = NULL;
	ck_assert_int_eq(fy_arena_new(&a), 0);
	rpc_stream *out = NULL;
	ck_assert_int_eq(rpc_stream_new(&out, a), FY_OK);
	const char *msg = NULL;
	ck_assert_int_eq(sfn(data, a, NULL, 0, out, &msg), RPC_OK);
	for (int i = 0; i < 40; i++) /* past the first growth */
		rpc_stream_send(out, (const uint8_t *)"x", 1);
	ck_assert_uint_eq(rpc_stream_count(out), 43);
	size_t len = 0;
	ck_assert_int_eq(memcmp(rpc_stream_message(out, 0, &len), "one", 3), 0);
	ck_assert_uint_eq(len, 3);
	rpc_stream_message(out, 1, &len);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(memcmp(rpc_stream_message(out, 2, &len), "three", 5), 0);
	fy_arena_free(a);
	rpc_registry_free(r);
}
END_TEST

START_TEST(test_miss_is_not_found)
{
	rpc_registry *r;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B/C", h_a, NULL), FY_OK);
	rpc_unary_fn fn = h_b;
	void *data = &fn;
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/a.B/D"), FY_ENOTFOUND);
	ck_assert_ptr_null((void *)fn);
	ck_assert_ptr_null(data);
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/a.B/"), FY_ENOTFOUND);
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, ""), FY_ENOTFOUND);
	ck_assert_int_eq(rpc_lookup(&fn, &data, r, "/a.B/c"), FY_ENOTFOUND); /* case-sensitive, like gRPC */
	rpc_registry_free(r);
}
END_TEST

START_TEST(test_rejects_bad_registrations)
{
	rpc_registry *r;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B/C", h_a, NULL), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B/C", h_b, NULL), FY_EINVALID);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "already registered"));
	ck_assert_int_eq(rpc_register_unary(r, "a.B/C", h_a, NULL), FY_EINVALID);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B", h_a, NULL), FY_EINVALID);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B/", h_a, NULL), FY_EINVALID);
	ck_assert_int_eq(rpc_register_unary(r, "//C", h_a, NULL), FY_EINVALID);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B/C/D", h_a, NULL), FY_EINVALID);
	ck_assert_int_eq(rpc_register_unary(r, NULL, h_a, NULL), FY_EINVALID);
	ck_assert_int_eq(rpc_register_unary(r, "/a.B/D", NULL, NULL), FY_EINVALID);
	ck_assert_uint_eq(rpc_registry_count(r), 1);
	/* The first registration survives a rejected duplicate. */
	rpc_unary_fn fn;
	ck_assert_int_eq(rpc_lookup(&fn, NULL, r, "/a.B/C"), FY_OK);
	ck_assert_ptr_eq((void *)fn, (void *)h_a);
	rpc_registry_free(r);
	rpc_registry_free(NULL);
}
END_TEST

START_TEST(test_paths_sorted)
{
	rpc_registry *r;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	const char *paths[] = {"/z.S/M", "/a.S/M", "/m.S/B", "/m.S/A"};
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(rpc_register_unary(r, paths[i], h_a, NULL), FY_OK);
	ck_assert_str_eq(rpc_registry_path(r, 0), "/a.S/M");
	ck_assert_str_eq(rpc_registry_path(r, 1), "/m.S/A");
	ck_assert_str_eq(rpc_registry_path(r, 2), "/m.S/B");
	ck_assert_str_eq(rpc_registry_path(r, 3), "/z.S/M");
	ck_assert_ptr_null(rpc_registry_path(r, 4));
	rpc_registry_free(r);
}
END_TEST

START_TEST(test_many_methods)
{
	rpc_registry *r;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	char p[64];
	for (int i = 0; i < 500; i++) {
		snprintf(p, sizeof(p), "/svc%03d.S/M%d", (i * 7919) % 500, i);
		ck_assert_int_eq(rpc_register_unary(r, p, h_a, (void *)(intptr_t)(i + 1)), FY_OK);
	}
	ck_assert_uint_eq(rpc_registry_count(r), 500);
	for (int i = 0; i < 500; i++) {
		snprintf(p, sizeof(p), "/svc%03d.S/M%d", (i * 7919) % 500, i);
		rpc_unary_fn fn;
		void *data;
		ck_assert_int_eq(rpc_lookup(&fn, &data, r, p), FY_OK);
		ck_assert_int_eq((int)(intptr_t)data, i + 1);
	}
	for (size_t i = 1; i < 500; i++)
		ck_assert_int_lt(strcmp(rpc_registry_path(r, i - 1), rpc_registry_path(r, i)), 0);
	rpc_registry_free(r);
}
END_TEST

static void *lookup_loop(void *p)
{
	rpc_registry *r = p;
	for (int i = 0; i < 20000; i++) {
		rpc_unary_fn fn;
		void *data;
		if (rpc_lookup(&fn, &data, r, (i & 1) ? "/a.S/One" : "/a.S/Two") != FY_OK || fn == NULL)
			return (void *)1;
		if (rpc_lookup(&fn, &data, r, "/a.S/Missing") != FY_ENOTFOUND)
			return (void *)1;
	}
	return NULL;
}

START_TEST(test_concurrent_lookups)
{
	rpc_registry *r;
	ck_assert_int_eq(rpc_registry_new(&r), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/a.S/One", h_a, NULL), FY_OK);
	ck_assert_int_eq(rpc_register_unary(r, "/a.S/Two", h_b, NULL), FY_OK);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, lookup_loop, r), 0);
	for (int i = 0; i < 4; i++) {
		void *res;
		pthread_join(t[i], &res);
		ck_assert_ptr_null(res);
	}
	rpc_registry_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, test_register_and_lookup);
	tcase_add_test(tc, test_server_streams);
	tcase_add_test(tc, test_miss_is_not_found);
	tcase_add_test(tc, test_rejects_bad_registrations);
	tcase_add_test(tc, test_paths_sorted);
	tcase_add_test(tc, test_many_methods);
	tcase_add_test(tc, test_concurrent_lookups);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
