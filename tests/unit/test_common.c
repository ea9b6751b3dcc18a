/* internal/common: the error object. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal/common/fy_arena.h"
#include "internal/common/fy_error.h"
#include "internal/common/fy_utf8.h"

/* The cause is passed back in as an argument, as callers do to wrap it; it must survive the new text
 * (formatting into the slot that the argument points at was undefined behaviour). */
START_TEST(wrap_last_message)
{
	fy_error_set(FY_EINVALID, "segment %d is empty", 3);
	int rc = fy_error_set(FY_ERROR, "bad id: %s (code %d)", fy_error_last()->message, 7);
	ck_assert_int_eq(rc, FY_ERROR);
	ck_assert_int_eq(fy_error_last()->code, FY_ERROR);
	ck_assert_str_eq(fy_error_last()->message, "bad id: segment 3 is empty (code 7)");
	/* Twice over, with the cause first. */
	fy_error_set(FY_ERROR, "%s; then %s", fy_error_last()->message, "more");
	ck_assert_str_eq(fy_error_last()->message, "bad id: segment 3 is empty (code 7); then more");
}
END_TEST

START_TEST(long_message_truncated)
{
	char big[4096];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	fy_error_set(FY_EIO, "%s", big);
	size_t n = strlen(fy_error_last()->message);
	ck_assert_uint_gt(n, 500);
	ck_assert_uint_lt(n, sizeof big);
	fy_error_set(FY_EIO, "wrapped: %s", fy_error_last()->message);
	ck_assert(strncmp(fy_error_last()->message, "wrapped: xxx", 12) == 0);
}
END_TEST

START_TEST(clear_and_codes)
{
	fy_error_set(FY_EAUTH, "no token");
	fy_error_clear();
	ck_assert_int_eq(fy_error_last()->code, 0);
	ck_assert_str_eq(fy_error_last()->message, "");
	ck_assert_str_eq(fy_error_code_str(FY_ETIMEOUT), "timed out");
}
END_TEST

/* Service text that is not UTF-8 becomes U+FFFD, one per maximal invalid subpart; valid text is untouched. */
START_TEST(utf8_sanitize)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain", "plain"},
		{"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
		{"a\xFF" "b", "a\xEF\xBF\xBD" "b"},
		{"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},              /* overlong '/' */
		{"\xED\xA0\x80" "x", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "x"}, /* a surrogate */
		{"\xE2\x82", "\xEF\xBF\xBD"},                            /* truncated at the end */
		{"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* above U+10FFFF */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = 0;
		char *o = fy_utf8_sanitize(&n, cases[i].in, strlen(cases[i].in));
		ck_assert_ptr_nonnull(o);
		ck_assert_msg(strcmp(o, cases[i].out) == 0, "case %zu", i);
		ck_assert_uint_eq(n, strlen(cases[i].out));
		ck_assert(fy_utf8_valid(o, n));
		ck_assert_int_eq(fy_utf8_valid(cases[i].in, strlen(cases[i].in)), strcmp(cases[i].in, cases[i].out) == 0);
		free(o);
	}
}
END_TEST

START_TEST(arena_grow_keeps_contents)
{
	fy_arena *a = NULL;
	ck_assert_int_eq(fy_arena_new(&a), 0);
	int *xs = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 100; i++) {
		int *before = xs;
		xs = fy_arena_grow(a, xs, &cap, n, sizeof(*xs));
		if (n < 16 && n > 0)
			ck_assert_ptr_eq(xs, before); /* no copy while it fits */
		xs[n++] = i;
	}
	ck_assert_uint_ge(cap, 100);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(xs[i], i);
	fy_arena_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("error");
	tcase_add_test(tc, wrap_last_message);
	tcase_add_test(tc, long_message_truncated);
	tcase_add_test(tc, clear_and_codes);
	tcase_add_test(tc, utf8_sanitize);
	tcase_add_test(tc, arena_grow_keeps_contents);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
