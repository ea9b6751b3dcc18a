/* Provider configuration: argument, then environment variable, then the cloud's value (issue 4). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "internal/cty/cty.h"
#include "internal/tf/tf.h"
#include "provider/client.h"
#include "provider/provider.h"

static fy_arena *A;
static tf_ctx *CTX;
static const cty_type *PT;

static const char *const ENV_VARS[] = {"ARM_ENVIRONMENT", "ARM_RESOURCE_MANAGER_ENDPOINT", "FOUNDRY_API_VERSION",
	"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", "ARM_RESOURCE_MANAGER_AUDIENCE", NULL}; /* cleared before each test */

static void setup(void)
{
	for (size_t i = 0; ENV_VARS[i]; i++)
		unsetenv(ENV_VARS[i]);
	ck_assert_int_eq(fy_arena_new(&A), 0);
	ck_assert_int_eq(tf_ctx_new_detached(&CTX, A, foundry_provider()->schema, NULL), 0);
	PT = tf_ctx_schema_type(CTX);
}

static void teardown(void)
{
	fy_arena_free(A);
}

/* Configure from a JSON config; returns the client (caller frees) or NULL with diagnostics in CTX. */
static foundry_client *configure(const char *json)
{
	cty_value *cfg = NULL;
	ck_assert_int_eq(cty_json_decode(&cfg, A, PT, json, strlen(json)), 0);
	void *data = NULL;
	if (foundry_provider()->configure(&data, CTX, cfg) != 0)
		return NULL;
	return data;
}

START_TEST(clouds_and_defaults)
{
	foundry_client *c = configure("{}");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(foundry_client_endpoint(c), "https://management.azure.com");
	ck_assert_str_eq(foundry_client_api_version(c), "2026-09-01");
	foundry_client_free(c);

	c = configure("{\"environment\":\"usgovernment\"}");
	ck_assert_str_eq(foundry_client_endpoint(c), "https://management.usgovcloudapi.net");
	foundry_client_free(c);

	setenv("ARM_ENVIRONMENT", "china", 1);
	c = configure("{}");
	ck_assert_str_eq(foundry_client_endpoint(c), "https://management.chinacloudapi.cn");
	foundry_client_free(c);
	/* The argument wins over the environment. */
	c = configure("{\"environment\":\"public\"}");
	ck_assert_str_eq(foundry_client_endpoint(c), "https://management.azure.com");
	foundry_client_free(c);
}
END_TEST

START_TEST(argument_wins_over_environment)
{
	setenv("ARM_RESOURCE_MANAGER_ENDPOINT", "http://127.0.0.1:9", 1);
	setenv("FOUNDRY_API_VERSION", "2025-12-01", 1);
	foundry_client *c = configure("{}");
	ck_assert_str_eq(foundry_client_endpoint(c), "http://127.0.0.1:9");
	ck_assert_str_eq(foundry_client_api_version(c), "2025-12-01");
	foundry_client_free(c);
	c = configure("{\"resource_manager_endpoint\":\"https://arm.contoso.example\",\"api_version\":\"2026-09-15-preview\"}");
	ck_assert_str_eq(foundry_client_endpoint(c), "https://arm.contoso.example");
	ck_assert_str_eq(foundry_client_api_version(c), "2026-09-15-preview");
	foundry_client_free(c);
}
END_TEST

/* ARM_ENVIRONMENT=custom, as azapi takes it: the three endpoint variables, all of them. */
START_TEST(custom_environment)
{
	setenv("ARM_ENVIRONMENT", "custom", 1);
	setenv("ARM_RESOURCE_MANAGER_ENDPOINT", "https://management.sovereign.example", 1);
	ck_assert_ptr_null(configure("{}"));
	tf_diags *d = tf_ctx_diags(CTX);
	ck_assert_str_eq(tf_diags_summary(d, 0), "Incomplete custom environment");
	ck_assert_ptr_nonnull(strstr(tf_diags_detail(d, 0), "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"));
	ck_assert_ptr_nonnull(strstr(tf_diags_detail(d, 0), "ARM_RESOURCE_MANAGER_AUDIENCE"));
	ck_assert_ptr_null(strstr(tf_diags_detail(d, 0), "(ARM_RESOURCE_MANAGER_ENDPOINT)"));
	setenv("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", "https://login.sovereign.example/", 1);
	setenv("ARM_RESOURCE_MANAGER_AUDIENCE", "https://management.core.sovereign.example/", 1);
	foundry_client *c = configure("{}");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(foundry_client_endpoint(c), "https://management.sovereign.example");
	foundry_client_free(c);
	c = configure("{\"environment\":\"custom\"}");
	ck_assert_ptr_nonnull(c);
	foundry_client_free(c);
	unsetenv("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST");
	unsetenv("ARM_RESOURCE_MANAGER_AUDIENCE");
}
END_TEST

START_TEST(bad_values_are_diagnostics)
{
	setenv("ARM_ENVIRONMENT", "mooncake", 1);
	ck_assert_ptr_null(configure("{}"));
	tf_diags *d = tf_ctx_diags(CTX);
	ck_assert(tf_diags_has_errors(d));
	ck_assert_ptr_nonnull(strstr(tf_diags_detail(d, 0), "mooncake"));
	unsetenv("ARM_ENVIRONMENT");

	/* Plain http to a remote host is refused: only the loopback emulator may use it. */
	ck_assert_ptr_null(configure("{\"resource_manager_endpoint\":\"http://arm.contoso.example\"}"));
	ck_assert_str_eq(cty_path_string(A, tf_diags_path(tf_ctx_diags(CTX), 1)), "resource_manager_endpoint");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("provider_config");
	TCase *tc = tcase_create("config");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clouds_and_defaults);
	tcase_add_test(tc, argument_wins_over_environment);
	tcase_add_test(tc, custom_environment);
	tcase_add_test(tc, bad_values_are_diagnostics);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
