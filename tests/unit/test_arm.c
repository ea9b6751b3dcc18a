/* internal/arm against the emulator: CRUD semantics, retries (429 + Retry-After, 503 storms, resets), replication
 * lag, 401 refresh, long-running operations, connection reuse, per-account write serialisation, cancellation. */
#define _GNU_SOURCE
#include <check.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers/emu.h"
#include "internal/arm/arm.h"
#include "internal/log/tflog.h"

#define CONN_BODY                                                                                              \
	"{\"properties\":{\"category\":\"ApiManagement\",\"target\":\"https://apim.example.com/openai\","       \
	"\"authType\":\"ApiKey\",\"credentials\":{\"key\":\"k-123456\"},\"metadata\":{\"deploymentInPath\":\"true\"}}}"

static emu g_emu;
static http_client *g_http;
static auth_credential *g_cred;
static arm_client *g_arm;

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static const char *conn_id(const char *name)
{
	static _Thread_local char buf[512];
	snprintf(buf, sizeof(buf), "%s/connections/%s", EMU_PROJECT_ID, name);
	return buf;
}

static void emu_up(void)
{
	ck_assert_int_eq(emu_start(&g_emu, NULL), 0);
}

static void emu_down(void)
{
	emu_stop(&g_emu);
}

static arm_options test_options(void)
{
	arm_options o = {.endpoint = g_emu.base_url, .http = g_http, .credential = g_cred, .backoff_base_ms = 10,
		.backoff_max_ms = 100, .max_attempts = 4, .read_after_write_ms = 5000};
	return o;
}

static void client_up(void)
{
	ck_assert_int_eq(http_global_init(), 0);
	ck_assert_int_eq(emu_reset(&g_emu), 0);
	http_options ho = {.user_agent = "terraform-provider-foundry/0.1.0 (terraform 1.9.8)"};
	ck_assert_int_eq(http_client_new(&g_http, &ho), 0);
	auth_options ao = {.tenant_id = EMU_TENANT, .client_id = EMU_CLIENT_ID, .client_secret = EMU_CLIENT_SECRET,
		.authority_host = g_emu.base_url, .http = g_http};
	ck_assert_int_eq(auth_credential_new(&g_cred, &ao), 0);
	arm_options o = test_options();
	ck_assert_int_eq(arm_client_new(&g_arm, &o), 0);
}

static void client_down(void)
{
	emu_clear_faults(&g_emu);
	arm_client_free(g_arm);
	auth_credential_free(g_cred);
	http_client_free(g_http);
	g_arm = NULL;
	g_cred = NULL;
	g_http = NULL;
}

static arm_result *must_do(const char *method, const char *id, const char *body)
{
	arm_result *r = NULL;
	int rc = arm_do(&r, g_arm, method, id, EMU_API_VERSION, body);
	ck_assert_msg(rc == 0, "%s %s: %d %s", method, id, rc, fy_error_last()->message);
	ck_assert_ptr_nonnull(r);
	return r;
}

static void put_conn(const char *name)
{
	arm_result *r = must_do("PUT", conn_id(name), CONN_BODY);
	ck_assert_int_eq(r->status, 200);
	arm_result_free(r);
}

static void fault(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fault(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *j;
	ck_assert_int_ge(vasprintf(&j, fmt, ap), 0);
	va_end(ap);
	ck_assert_int_eq(emu_fault(&g_emu, j), 0);
	free(j);
}

/* Count logged requests with this method whose path ends with `suffix`. */
static int count_requests(const char *method, const char *suffix)
{
	cJSON *log = emu_requests(&g_emu);
	ck_assert_ptr_nonnull(log);
	int n = 0;
	cJSON *r;
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests"))
	{
		const char *p = cJSON_GetObjectItem(r, "path")->valuestring;
		size_t pl = strlen(p), sl = strlen(suffix);
		if (strcmp(cJSON_GetObjectItem(r, "method")->valuestring, method) == 0 && pl >= sl &&
		    strcmp(p + pl - sl, suffix) == 0)
			n++;
	}
	cJSON_Delete(log);
	return n;
}

/* ------------------------------------------------------------------ basics */

START_TEST(crud_and_diagnostics)
{
	put_conn("conn-one");
	arm_result *r = must_do("GET", conn_id("conn-one"), NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 1);
	ck_assert_ptr_nonnull(strstr(r->body, "\"ApiManagement\""));
	ck_assert_ptr_null(strstr(r->body, "k-123456")); /* ARM never returns credentials */
	ck_assert_ptr_nonnull(r->request_id);
	ck_assert_ptr_nonnull(r->correlation_id);
	ck_assert_ptr_null(r->error_code);
	arm_result_free(r);

	r = must_do("DELETE", conn_id("conn-one"), NULL);
	ck_assert_int_eq(r->status, 200);
	arm_result_free(r);
	/* Deleted by this process: a 404 now is the truth, answered at once (no replication-lag retry). */
	r = must_do("GET", conn_id("conn-one"), NULL);
	ck_assert_int_eq(r->status, 404);
	ck_assert_int_eq(r->attempts, 1);
	ck_assert_str_eq(r->error_code, "ResourceNotFound");
	ck_assert_ptr_nonnull(r->error_message);
	char *d = arm_result_describe(r);
	ck_assert_ptr_nonnull(strstr(d, "ARM answered 404 Not Found (code ResourceNotFound): The Resource"));
	ck_assert_ptr_nonnull(strstr(d, r->request_id));
	ck_assert_ptr_nonnull(strstr(d, r->correlation_id));
	free(d);
	arm_result_free(r);
	/* ARM's messages end with a period; the description must not double it ("is invalid.."). */
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/conn-one$\",\"status\":400,"
	      "\"body\":{\"error\":{\"code\":\"InvalidName\",\"message\":\"The name is invalid.\"}}}");
	r = must_do("GET", conn_id("conn-one"), NULL);
	d = arm_result_describe(r);
	ck_assert_msg(strstr(d, "(code InvalidName): The name is invalid. Request id: ") != NULL, "%s", d);
	free(d);
	arm_result_free(r);
	r = must_do("DELETE", conn_id("conn-one"), NULL);
	ck_assert_int_eq(r->status, 204);
	arm_result_free(r);
}
END_TEST

START_TEST(headers_and_api_version)
{
	arm_result *r = must_do("GET", conn_id("nope"), NULL);
	ck_assert_int_eq(r->status, 404);
	cJSON *log = emu_requests(&g_emu);
	cJSON *last = NULL, *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(log, "requests")) last = it;
	ck_assert_ptr_nonnull(last);
	cJSON *h = cJSON_GetObjectItem(last, "headers");
	ck_assert_str_eq(cJSON_GetObjectItem(h, "x-ms-correlation-request-id")->valuestring, r->correlation_id);
	ck_assert_str_eq(cJSON_GetObjectItem(h, "user-agent")->valuestring,
		"terraform-provider-foundry/0.1.0 (terraform 1.9.8)");
	ck_assert_str_eq(cJSON_GetObjectItem(h, "authorization")->valuestring, "Bearer <redacted>");
	char *q = cJSON_PrintUnformatted(cJSON_GetObjectItem(last, "query"));
	ck_assert_ptr_nonnull(strstr(q, EMU_API_VERSION));
	free(q);
	cJSON_Delete(log);
	arm_result_free(r);

	/* A configured correlation id is used as is. */
	arm_client *c2;
	arm_options o = test_options();
	o.correlation_id = "11112222-3333-4444-5555-666677778888";
	ck_assert_int_eq(arm_client_new(&c2, &o), 0);
	ck_assert_int_eq(arm_do(&r, c2, "GET", conn_id("nope"), EMU_API_VERSION, NULL), 0);
	ck_assert_str_eq(r->correlation_id, "11112222-3333-4444-5555-666677778888");
	arm_result_free(r);

	/* No api-version: ARM's own 400, reported with its code. */
	ck_assert_int_eq(arm_do(&r, c2, "GET", conn_id("nope"), NULL, NULL), 0);
	ck_assert_int_eq(r->status, 400);
	ck_assert_str_eq(r->error_code, "MissingApiVersionParameter");
	arm_result_free(r);
	arm_client_free(c2);
}
END_TEST

START_TEST(list_paging_with_next_link)
{
	put_conn("page-a");
	put_conn("page-b");
	put_conn("page-c");
	char list_id[512];
	snprintf(list_id, sizeof(list_id), "%s/connections", EMU_PROJECT_ID);
	int total = 0, pages = 0;
	char *next = NULL;
	do {
		arm_result *r = must_do("GET", next ? next : list_id, NULL);
		ck_assert_int_eq(r->status, 200);
		cJSON *j = cJSON_Parse(r->body);
		total += cJSON_GetArraySize(cJSON_GetObjectItem(j, "value"));
		free(next);
		cJSON *nl = cJSON_GetObjectItem(j, "nextLink");
		next = cJSON_IsString(nl) && *nl->valuestring ? strdup(nl->valuestring) : NULL;
		cJSON_Delete(j);
		arm_result_free(r);
		pages++;
	} while (next && pages < 10);
	ck_assert_int_eq(total, 3);
	ck_assert_int_eq(pages, 2);
}
END_TEST

START_TEST(endpoint_policy)
{
	arm_client *c;
	arm_options o = test_options();
	o.endpoint = "http://management.azure.com";
	ck_assert_int_eq(arm_client_new(&c, &o), FY_EINVALID);
	/* A nextLink to another host would carry the bearer token away: refused. */
	arm_result *r = NULL;
	ck_assert_int_eq(arm_do(&r, g_arm, "GET", "https://evil.example/subscriptions/x?$skipToken=1", EMU_API_VERSION,
				 NULL),
		FY_EINVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(arm_do(&r, g_arm, "GET", "subscriptions/relative", EMU_API_VERSION, NULL), FY_EINVALID);
}
END_TEST

/* ------------------------------------------------------------------ retries */

START_TEST(throttled_429_honours_retry_after)
{
	put_conn("throttled");
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/throttled$\",\"status\":429,\"retry_after\":\"1\"}");
	long t0 = mono_ms();
	arm_result *r = must_do("GET", conn_id("throttled"), NULL);
	long took = mono_ms() - t0;
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 2);
	ck_assert_int_ge(took, 900); /* waited the 1 s ARM asked for, not the 10 ms back-off */
	arm_result_free(r);
}
END_TEST

START_TEST(storm_503_exhausts_budget)
{
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/stormy$\",\"status\":503,\"times\":0}");
	arm_result *r = must_do("GET", conn_id("stormy"), NULL);
	ck_assert_int_eq(r->status, 503);
	ck_assert_int_eq(r->attempts, 4);
	ck_assert_str_eq(r->error_code, "ServiceUnavailable");
	char *d = arm_result_describe(r);
	ck_assert_ptr_nonnull(strstr(d, "ARM answered 503 Service Unavailable (code ServiceUnavailable)"));
	ck_assert_ptr_nonnull(strstr(d, "after 4 attempts"));
	ck_assert_ptr_nonnull(strstr(d, "Request id: "));
	free(d);
	arm_result_free(r);
	ck_assert_int_eq(count_requests("GET", "/connections/stormy"), 4);
}
END_TEST

/* The op deadline bounds retries, and the answer is ARM's last error, never "deadline exceeded". */
START_TEST(deadline_reports_last_real_error)
{
	arm_client *c;
	arm_options o = test_options();
	o.op_timeout_ms = 500;
	ck_assert_int_eq(arm_client_new(&c, &o), 0);
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/busy$\",\"status\":503,\"retry_after\":\"5\","
	      "\"times\":0}");
	arm_result *r = NULL;
	long t0 = mono_ms();
	ck_assert_int_eq(arm_do(&r, c, "GET", conn_id("busy"), EMU_API_VERSION, NULL), 0);
	ck_assert_int_lt(mono_ms() - t0, 2000); /* did not sleep 5 s past the deadline */
	ck_assert_int_eq(r->status, 503);
	ck_assert_int_eq(r->attempts, 1);
	arm_result_free(r);
	ck_assert_int_eq(emu_clear_faults(&g_emu), 0);

	/* A server that never answers: the timeout is the real error, with the earlier 503 alongside. */
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/busy2$\",\"status\":503,\"times\":1}");
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/busy2$\",\"action\":\"hang\",\"delay_ms\":30000,"
	      "\"status\":200,\"times\":0}");
	ck_assert_int_eq(arm_do(&r, c, "GET", conn_id("busy2"), EMU_API_VERSION, NULL), FY_ETIMEOUT);
	const char *m = fy_error_last()->message;
	ck_assert_ptr_nonnull(strstr(m, "timed out"));
	ck_assert_msg(strstr(m, "503") != NULL, "%s", m);
	ck_assert_ptr_null(strstr(m, "deadline"));
	ck_assert_int_eq(emu_clear_faults(&g_emu), 0);
	arm_client_free(c);
}
END_TEST

START_TEST(connection_reset_get_and_put)
{
	put_conn("resetty");
	/* times 2: on a reused keep-alive connection libcurl itself replays a request that got no byte back once
	 * (a stale connection); the second reset, on a fresh connection, is the failure our retry handles. */
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/resetty$\",\"action\":\"reset\",\"times\":2}");
	arm_result *r = must_do("GET", conn_id("resetty"), NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 2);
	arm_result_free(r);

	fault("{\"method\":\"PUT\",\"path_regex\":\"/connections/resetty2$\",\"action\":\"reset\",\"times\":2}");
	r = must_do("PUT", conn_id("resetty2"), CONN_BODY);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 2);
	arm_result_free(r);
	r = must_do("GET", conn_id("resetty2"), NULL);
	ck_assert_int_eq(r->status, 200);
	arm_result_free(r);

	/* PATCH is not idempotent: a transport failure is reported, not replayed. */
	fault("{\"method\":\"PATCH\",\"path_regex\":\"/connections/resetty$\",\"action\":\"reset\",\"times\":2}");
	r = NULL;
	ck_assert_int_eq(arm_do(&r, g_arm, "PATCH", conn_id("resetty"), EMU_API_VERSION,
				 "{\"properties\":{\"target\":\"https://apim2.example.com\"}}"),
		FY_EIO);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "PATCH"));
}
END_TEST

/* A PATCH (or POST) answered 503 may have been applied: it is reported, not sent again; 429 is retried. */
START_TEST(non_idempotent_status_not_replayed)
{
	put_conn("patchy");
	const char *patch = "{\"properties\":{\"target\":\"https://apim2.example.com\"}}";
	fault("{\"method\":\"PATCH\",\"path_regex\":\"/connections/patchy$\",\"status\":503,\"times\":1}");
	arm_result *r = must_do("PATCH", conn_id("patchy"), patch);
	ck_assert_int_eq(r->status, 503);
	ck_assert_int_eq(r->attempts, 1);
	arm_result_free(r);
	ck_assert_int_eq(count_requests("PATCH", "/connections/patchy"), 1);

	fault("{\"method\":\"PATCH\",\"path_regex\":\"/connections/patchy$\",\"status\":429,\"retry_after\":\"0\","
	      "\"times\":1}");
	r = must_do("PATCH", conn_id("patchy"), patch);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 2);
	arm_result_free(r);
}
END_TEST

START_TEST(read_after_create_lag)
{
	ck_assert_int_eq(emu_config(&g_emu, "{\"read_after_create_404\":2}"), 0);
	put_conn("laggy");
	arm_result *r = must_do("GET", conn_id("laggy"), NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 3);
	arm_result_free(r);

	/* A resource this process did not write: 404 is final at once. */
	r = must_do("GET", conn_id("never-written"), NULL);
	ck_assert_int_eq(r->status, 404);
	ck_assert_int_eq(r->attempts, 1);
	arm_result_free(r);
}
END_TEST

START_TEST(unauthorized_refreshes_token_once)
{
	put_conn("authy");
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 1);
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/authy$\",\"status\":401,\"body\":{\"error\":{\"code\":"
	      "\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}}");
	arm_result *r = must_do("GET", conn_id("authy"), NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 2);
	ck_assert_int_eq(emu_stat(&g_emu, "tokens_issued"), 2);
	arm_result_free(r);

	/* Twice in a row: one refresh only, then ARM's 401 is the answer. */
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/authy$\",\"status\":401,\"times\":2}");
	r = must_do("GET", conn_id("authy"), NULL);
	ck_assert_int_eq(r->status, 401);
	ck_assert_int_eq(r->attempts, 2);
	arm_result_free(r);
}
END_TEST

/* The credential's failure surfaces with the method named. */
START_TEST(auth_failure_is_eauth)
{
	auth_credential *bad;
	auth_options ao = {.tenant_id = EMU_TENANT, .client_id = EMU_CLIENT_ID, .client_secret = "wrong",
		.authority_host = g_emu.base_url, .http = g_http};
	ck_assert_int_eq(auth_credential_new(&bad, &ao), 0);
	arm_options o = test_options();
	o.credential = bad;
	arm_client *c;
	ck_assert_int_eq(arm_client_new(&c, &o), 0);
	arm_result *r = NULL;
	ck_assert_int_eq(arm_do(&r, c, "GET", conn_id("x"), EMU_API_VERSION, NULL), FY_EAUTH);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "client secret: "));
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "AADSTS7000215"));
	arm_client_free(c);
	auth_credential_free(bad);
}
END_TEST

/* ------------------------------------------------------------------ long-running operations */

START_TEST(lro_async_operation)
{
	put_conn("lro-put");
	char op_url[512];
	snprintf(op_url, sizeof(op_url), "%s/subscriptions/%s/providers/Microsoft.CognitiveServices/locations/x/"
		"operationStatuses/op1?api-version=%s", g_emu.base_url, EMU_SUBSCRIPTION, EMU_API_VERSION);
	fault("{\"method\":\"PUT\",\"path_regex\":\"/connections/lro-put$\",\"status\":201,\"body\":{},"
	      "\"headers\":{\"Azure-AsyncOperation\":\"%s\"}}", op_url);
	fault("{\"method\":\"GET\",\"path_regex\":\"/operationStatuses/op1$\",\"status\":200,\"retry_after\":\"0\","
	      "\"body\":{\"status\":\"InProgress\"}}");
	fault("{\"method\":\"GET\",\"path_regex\":\"/operationStatuses/op1$\",\"status\":200,"
	      "\"body\":{\"status\":\"Succeeded\"}}");
	arm_result *r = must_do("PUT", conn_id("lro-put"), CONN_BODY);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "\"lro-put\"")); /* the final GET of the resource */
	arm_result_free(r);
	ck_assert_int_eq(count_requests("GET", "/operationStatuses/op1"), 2);
	ck_assert_int_eq(count_requests("GET", "/connections/lro-put"), 1);

	/* Failed: an error naming ARM's code. */
	fault("{\"method\":\"PUT\",\"path_regex\":\"/connections/lro-put$\",\"status\":202,\"body\":{},"
	      "\"headers\":{\"Azure-AsyncOperation\":\"%s\"}}", op_url);
	fault("{\"method\":\"GET\",\"path_regex\":\"/operationStatuses/op1$\",\"status\":200,"
	      "\"body\":{\"status\":\"Failed\",\"error\":{\"code\":\"QuotaExceeded\",\"message\":\"no room\"}}}");
	r = NULL;
	ck_assert_int_eq(arm_do(&r, g_arm, "PUT", conn_id("lro-put"), EMU_API_VERSION, CONN_BODY), FY_ERROR);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "Failed (code QuotaExceeded): no room"));

	/* Location polling for a DELETE: 202 until done. */
	char loc[512];
	snprintf(loc, sizeof(loc), "%s/subscriptions/%s/providers/Microsoft.CognitiveServices/locations/x/"
		"operationResults/op2?api-version=%s", g_emu.base_url, EMU_SUBSCRIPTION, EMU_API_VERSION);
	fault("{\"method\":\"DELETE\",\"path_regex\":\"/connections/lro-put$\",\"status\":202,\"body\":{},"
	      "\"headers\":{\"Location\":\"%s\"}}", loc);
	fault("{\"method\":\"GET\",\"path_regex\":\"/operationResults/op2$\",\"status\":202,\"body\":{}}");
	fault("{\"method\":\"GET\",\"path_regex\":\"/operationResults/op2$\",\"status\":200,\"body\":{}}");
	r = must_do("DELETE", conn_id("lro-put"), NULL);
	ck_assert_int_eq(r->status, 200);
	arm_result_free(r);
	ck_assert_int_eq(count_requests("GET", "/operationResults/op2"), 2);

	/* A polling URL on another host is refused (it would receive the token). */
	fault("{\"method\":\"PUT\",\"path_regex\":\"/connections/lro-put$\",\"status\":202,\"body\":{},"
	      "\"headers\":{\"Azure-AsyncOperation\":\"https://evil.example/op\"}}");
	ck_assert_int_eq(arm_do(&r, g_arm, "PUT", conn_id("lro-put"), EMU_API_VERSION, CONN_BODY), FY_EINVALID);
}
END_TEST

/* ------------------------------------------------------------------ connections, locks, cancel */

START_TEST(sequential_gets_reuse_one_connection)
{
	put_conn("reuse");
	ck_assert_int_eq(emu_call(&g_emu, "DELETE", "/_emulator/requests", NULL, NULL), 200);
	for (int i = 0; i < 20; i++) {
		arm_result *r = must_do("GET", conn_id("reuse"), NULL);
		ck_assert_int_eq(r->status, 200);
		arm_result_free(r);
	}
	/* The token request, the PUT and 20 GETs: one connection, counted by both ends. */
	ck_assert_int_eq(http_client_connections_opened(g_http), 1);
	ck_assert_int_eq(emu_stat(&g_emu, "connections_opened"), 1);
	cJSON *log = emu_requests(&g_emu);
	cJSON *it;
	double conn = -1;
	int n = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(log, "requests"))
	{
		double c = cJSON_GetObjectItem(it, "conn")->valuedouble;
		if (conn < 0)
			conn = c;
		ck_assert(c == conn);
		n++;
	}
	ck_assert_int_eq(n, 20);
	cJSON_Delete(log);
}
END_TEST

typedef struct del_job {
	const char *name;
	pthread_barrier_t *start;
	int rc;
	long status;
} del_job;

static void *delete_thread(void *arg)
{
	del_job *j = arg;
	char id[512];
	snprintf(id, sizeof(id), "%s/connections/%s", EMU_PROJECT_ID, j->name);
	pthread_barrier_wait(j->start);
	arm_result *r = NULL;
	j->rc = arm_do(&r, g_arm, "DELETE", id, EMU_API_VERSION, NULL);
	j->status = r ? r->status : -1;
	arm_result_free(r);
	return NULL;
}

/* The emulator answers 409 to overlapping deletes in one project (as ARM does); the per-account lock queues them. */
START_TEST(writes_in_one_account_are_serialised)
{
	enum { N = 4 };
	const char *names[N] = {"del-a", "del-b", "del-c", "del-d"};
	for (int i = 0; i < N; i++)
		put_conn(names[i]);
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, N);
	pthread_t th[N];
	del_job jobs[N];
	for (int i = 0; i < N; i++) {
		jobs[i] = (del_job){.name = names[i], .start = &start};
		ck_assert_int_eq(pthread_create(&th[i], NULL, delete_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(jobs[i].rc, 0);
		ck_assert_int_eq(jobs[i].status, 200);
	}
	ck_assert_int_eq(count_requests("DELETE", ""), N); /* no 409, no retries */
	pthread_barrier_destroy(&start);
}
END_TEST

typedef struct put_job {
	arm_client *c;
	const char *name;
	int rc;
	char msg[1024];
	long done_ms;
} put_job;

static void *put_thread(void *arg)
{
	put_job *j = arg;
	arm_result *r = NULL;
	j->rc = arm_do(&r, j->c, "PUT", conn_id(j->name), EMU_API_VERSION, CONN_BODY);
	snprintf(j->msg, sizeof(j->msg), "%s", fy_error_last()->message);
	j->done_ms = mono_ms();
	arm_result_free(r);
	return NULL;
}

/* One failing write must not stall the account: the write lock covers an attempt, not the back-off after it. The
 * holder's PUT is answered 503 with Retry-After: 2; a write queued behind it goes out during that wait and finishes
 * first. (Held through the back-off, 15 resets on PUTs once made a 137 s apply.) */
START_TEST(backoff_is_outside_the_account_lock)
{
	fault("{\"method\":\"PUT\",\"path_regex\":\"/connections/lock-holder$\",\"status\":503,\"retry_after\":\"2\","
	      "\"times\":1}");
	put_job holder = {.c = g_arm, .name = "lock-holder"}, queued = {.c = g_arm, .name = "lock-queued"};
	pthread_t th, tq;
	long t0 = mono_ms();
	ck_assert_int_eq(pthread_create(&th, NULL, put_thread, &holder), 0);
	usleep(300 * 1000); /* the holder's first attempt got its 503 and is waiting */
	ck_assert_int_eq(pthread_create(&tq, NULL, put_thread, &queued), 0);
	pthread_join(tq, NULL);
	pthread_join(th, NULL);
	ck_assert_int_eq(holder.rc, 0);
	ck_assert_int_eq(queued.rc, 0);
	ck_assert_int_lt(queued.done_ms, holder.done_ms);
	ck_assert_int_lt(queued.done_ms - t0, 1500);
	ck_assert_int_eq(count_requests("PUT", "/connections/lock-holder"), 2);
}
END_TEST

/* A body that is not UTF-8 (a proxy, a gateway) is repaired before anyone parses it into state. */
START_TEST(non_utf8_body_repaired)
{
	put_conn("latin1");
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/latin1$\",\"status\":200,"
	      "\"body\":\"{\\\"properties\\\":{\\\"target\\\":\\\"https://caf\\udce9.example\\\"}}\"}");
	arm_result *r = must_do("GET", conn_id("latin1"), NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "caf\xEF\xBF\xBD.example"));
	arm_result_free(r);
}
END_TEST

/* Retry-After: 0 is no reason to hammer: the normal exponential back-off applies (10, 20, 40 ms in the tests). */
START_TEST(retry_after_zero_backs_off)
{
	put_conn("zero");
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/zero$\",\"status\":429,\"retry_after\":\"0\",\"times\":3}");
	long t0 = mono_ms();
	arm_result *r = must_do("GET", conn_id("zero"), NULL);
	long took = mono_ms() - t0;
	ck_assert_int_eq(r->status, 200);
	ck_assert_int_eq(r->attempts, 4);
	ck_assert_int_ge(took, 35); /* at least half of 10 + 20 + 40 ms of jittered back-off */
	arm_result_free(r);
}
END_TEST

typedef struct cancel_job {
	const char *name;
	int rc;
	char msg[1024];
	long done_ms;
} cancel_job;

static void *get_thread(void *arg)
{
	cancel_job *j = arg;
	arm_result *r = NULL;
	j->rc = arm_do(&r, g_arm, "GET", conn_id(j->name), EMU_API_VERSION, NULL);
	snprintf(j->msg, sizeof(j->msg), "%s", fy_error_last()->message);
	j->done_ms = mono_ms();
	arm_result_free(r);
	return NULL;
}

START_TEST(cancel_aborts_hanging_request)
{
	put_conn("hangs"); /* token cached first */
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/hangs$\",\"action\":\"hang\",\"delay_ms\":30000,"
	      "\"status\":200}");
	cancel_job j = {.name = "hangs"};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, get_thread, &j), 0);
	usleep(300 * 1000);
	long cancel_at = mono_ms();
	arm_client_cancel(g_arm);
	pthread_join(t, NULL);
	ck_assert_int_eq(j.rc, FY_ECANCELED);
	ck_assert_int_lt(j.done_ms - cancel_at, 1000);
	ck_assert_int_eq(emu_clear_faults(&g_emu), 0);

	/* The provider keeps serving after StopProvider. */
	arm_result *r = must_do("GET", conn_id("hangs"), NULL);
	ck_assert_int_eq(r->status, 200);
	arm_result_free(r);
}
END_TEST

START_TEST(cancel_wakes_retry_sleep)
{
	put_conn("sleepy");
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/sleepy$\",\"status\":503,\"retry_after\":\"30\","
	      "\"times\":0}");
	cancel_job j = {.name = "sleepy"};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, get_thread, &j), 0);
	usleep(300 * 1000);
	long cancel_at = mono_ms();
	arm_client_cancel(g_arm);
	pthread_join(t, NULL);
	ck_assert_int_eq(j.rc, FY_ECANCELED);
	ck_assert_int_lt(j.done_ms - cancel_at, 1000);
	ck_assert_msg(strstr(j.msg, "503") != NULL, "%s", j.msg); /* what it was waiting out */
}
END_TEST

/* TRACE logging of a whole create/read/delete: requests and responses are there, no secret is. */
START_TEST(trace_log_has_no_secrets)
{
	char *log_path = strdup(emu_path(&g_emu, "arm-trace.log"));
	FILE *f = fopen(log_path, "w+");
	ck_assert_ptr_nonnull(f);
	tflog_set_output(f, TFLOG_TRACE);
	put_conn("logged");
	fault("{\"method\":\"GET\",\"path_regex\":\"/connections/logged$\",\"status\":429,\"retry_after\":\"0\"}");
	arm_result *r = must_do("GET", conn_id("logged"), NULL);
	ck_assert_int_eq(r->status, 200);
	arm_result_free(r);
	char *token = NULL;
	ck_assert_int_eq(auth_credential_token(&token, g_cred), 0);
	tflog_set_output(NULL, TFLOG_OFF);

	fflush(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "/connections/logged"));
	ck_assert_ptr_nonnull(strstr(text, "retrying")); /* the 429 retry is visible */
	ck_assert_ptr_nonnull(strstr(text, "ApiManagement")); /* bodies are logged... */
	ck_assert_ptr_null(strstr(text, "k-123456"));          /* ...without the credential */
	ck_assert_ptr_null(strstr(text, EMU_CLIENT_SECRET));
	ck_assert_ptr_null(strstr(text, token));
	free(token);
	free(text);
	unlink(log_path);
	free(log_path);
}
END_TEST

static Suite *arm_suite(void)
{
	Suite *s = suite_create("arm");
	TCase *tc = tcase_create("emulator");
	tcase_add_unchecked_fixture(tc, emu_up, emu_down);
	tcase_add_checked_fixture(tc, client_up, client_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, crud_and_diagnostics);
	tcase_add_test(tc, headers_and_api_version);
	tcase_add_test(tc, list_paging_with_next_link);
	tcase_add_test(tc, endpoint_policy);
	tcase_add_test(tc, throttled_429_honours_retry_after);
	tcase_add_test(tc, storm_503_exhausts_budget);
	tcase_add_test(tc, deadline_reports_last_real_error);
	tcase_add_test(tc, connection_reset_get_and_put);
	tcase_add_test(tc, non_idempotent_status_not_replayed);
	tcase_add_test(tc, read_after_create_lag);
	tcase_add_test(tc, unauthorized_refreshes_token_once);
	tcase_add_test(tc, auth_failure_is_eauth);
	tcase_add_test(tc, lro_async_operation);
	tcase_add_test(tc, sequential_gets_reuse_one_connection);
	tcase_add_test(tc, writes_in_one_account_are_serialised);
	tcase_add_test(tc, backoff_is_outside_the_account_lock);
	tcase_add_test(tc, retry_after_zero_backs_off);
	tcase_add_test(tc, non_utf8_body_repaired);
	tcase_add_test(tc, cancel_aborts_hanging_request);
	tcase_add_test(tc, cancel_wakes_retry_sleep);
	tcase_add_test(tc, trace_log_has_no_secrets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(arm_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
