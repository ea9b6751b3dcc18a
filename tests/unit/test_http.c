/* internal/http: URL policy, transfers against the emulator, connection reuse, cancellation, log redaction. */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helpers/emu.h"
#include "internal/http/http.h"
#include "internal/log/tflog.h"

static emu g_emu;
static http_client *g_http;

static long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static char *url_of(const char *path)
{
	char *u;
	ck_assert_int_ge(asprintf(&u, "%s%s", g_emu.base_url, path), 0);
	return u;
}

static void emu_up(void)
{
	ck_assert_int_eq(emu_start(&g_emu, NULL), 0);
}

static void emu_down(void)
{
	emu_stop(&g_emu);
}

static void client_up(void)
{
	ck_assert_int_eq(http_global_init(), 0);
	ck_assert_int_eq(emu_reset(&g_emu), 0);
	http_options o = {.user_agent = "terraform-provider-foundry/test terraform/1.9.0"};
	ck_assert_int_eq(http_client_new(&g_http, &o), 0);
}

static void client_down(void)
{
	emu_clear_faults(&g_emu);
	http_client_free(g_http);
	g_http = NULL;
}

/* ------------------------------------------------------------------ URL policy (no network) */

START_TEST(url_policy)
{
	ck_assert_int_eq(http_url_is_allowed("https://management.azure.com/subscriptions"), 1);
	ck_assert_int_eq(http_url_is_allowed("HTTPS://Management.Azure.com"), 1);
	ck_assert_int_eq(http_url_is_allowed("http://127.0.0.1:8080/x"), 1);
	ck_assert_int_eq(http_url_is_allowed("http://127.9.8.7/"), 1);
	ck_assert_int_eq(http_url_is_allowed("http://localhost:1/"), 1);
	ck_assert_int_eq(http_url_is_allowed("http://[::1]:443/"), 1);
	ck_assert_int_eq(http_url_is_allowed("http://169.254.169.254/metadata/identity/oauth2/token"), 1);
	/* An ARM or authority endpoint is never the IMDS address (issue 21: it passed validation before). */
	ck_assert_int_eq(http_url_is_endpoint_allowed("http://169.254.169.254"), 0);
	ck_assert_int_eq(http_url_is_endpoint_allowed("http://127.0.0.1:8080"), 1);
	ck_assert_int_eq(http_url_is_endpoint_allowed("https://management.azure.com"), 1);
	ck_assert_int_eq(http_url_is_allowed("http://management.azure.com/"), 0);
	ck_assert_int_eq(http_url_is_allowed("http://10.0.0.1/"), 0);
	ck_assert_int_eq(http_url_is_allowed("http://127.0.0.1.nip.io/"), 0);
	ck_assert_int_eq(http_url_is_allowed("http://localhost.example.com/"), 0);
	ck_assert_int_eq(http_url_is_allowed("http://[::2]/"), 0);
	ck_assert_int_eq(http_url_is_allowed("ftp://127.0.0.1/"), 0);
	ck_assert_int_eq(http_url_is_allowed("file:///etc/passwd"), 0);
	ck_assert_int_eq(http_url_is_allowed("not a url"), 0);
	ck_assert_int_eq(http_url_is_allowed(""), 0);
	ck_assert_int_eq(http_url_is_allowed(NULL), 0);
}
END_TEST

START_TEST(plain_http_to_remote_is_refused)
{
	ck_assert_int_eq(http_global_init(), 0);
	http_client *c;
	ck_assert_int_eq(http_client_new(&c, NULL), 0);
	http_response *r = (http_response *)1;
	http_request req = {.method = "GET", .url = "http://example.invalid/secret"};
	ck_assert_int_eq(http_do(&r, c, &req), FY_EINVALID);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "https"));
	ck_assert_int_eq(http_client_connections_opened(c), 0);
	http_client_free(c);
}
END_TEST

START_TEST(url_helpers)
{
	char *u = http_url_encode("a b/c?d=e&f");
	ck_assert_str_eq(u, "a%20b%2Fc%3Fd%3De%26f");
	free(u);

	char *q;
	ck_assert_int_eq(http_url_append_query(&q, "https://h/p", "api-version", "2025-12-01"), 0);
	ck_assert_str_eq(q, "https://h/p?api-version=2025-12-01");
	char *q2;
	ck_assert_int_eq(http_url_append_query(&q2, q, "resource", "https://management.core.windows.net/"), 0);
	/* curl writes lower-case hex escapes */
	ck_assert_ptr_nonnull(strcasestr(q2, "?api-version=2025-12-01&resource=https%3A%2F%2Fmanagement.core.windows.net%2F"));
	ck_assert_int_eq(http_url_has_query_param(q2, "api-version"), 1);
	ck_assert_int_eq(http_url_has_query_param(q2, "resource"), 1);
	ck_assert_int_eq(http_url_has_query_param(q2, "version"), 0);
	ck_assert_int_eq(http_url_has_query_param("https://h/p", "api-version"), 0);
	free(q);
	free(q2);

	ck_assert_int_eq(http_url_same_origin("https://management.azure.com/a?x", "https://MANAGEMENT.azure.com:443"), 1);
	ck_assert_int_eq(http_url_same_origin("https://management.azure.com/a", "https://evil.example/a"), 0);
	ck_assert_int_eq(http_url_same_origin("http://127.0.0.1:1/", "http://127.0.0.1:2/"), 0);
	ck_assert_int_eq(http_url_same_origin("http://127.0.0.1:1/", "https://127.0.0.1:1/"), 0);
}
END_TEST

START_TEST(retry_after_parsing)
{
	char *names[] = {"retry-after"};
	char *values[1];
	http_response r = {.status = 429, .body = "", .header_count = 1, .header_names = names, .header_values = values};
	values[0] = "7";
	ck_assert_int_eq(http_response_retry_after_ms(&r), 7000);
	values[0] = "0";
	ck_assert_int_eq(http_response_retry_after_ms(&r), 0);
	values[0] = "Wed, 21 Oct 2015 07:28:00 GMT"; /* in the past */
	ck_assert_int_eq(http_response_retry_after_ms(&r), 0);
	char future[64];
	time_t t = time(NULL) + 120;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(future, sizeof(future), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	values[0] = future;
	long ms = http_response_retry_after_ms(&r);
	ck_assert_int_gt(ms, 100000);
	ck_assert_int_le(ms, 120000);
	values[0] = "soon";
	ck_assert_int_eq(http_response_retry_after_ms(&r), -1);
	r.header_count = 0;
	ck_assert_int_eq(http_response_retry_after_ms(&r), -1);
}
END_TEST

START_TEST(sleep_wakes_on_cancel)
{
	ck_assert_int_eq(http_global_init(), 0);
	http_client *c;
	ck_assert_int_eq(http_client_new(&c, NULL), 0);
	unsigned long gen = http_client_generation(c);
	ck_assert_int_eq(http_client_sleep(c, gen, 1), 0);
	http_client_cancel(c);
	/* Cancelled before the sleep: returns at once, however long the sleep. */
	ck_assert_int_eq(http_client_sleep(c, gen, 60000), FY_ECANCELED);
	/* A new generation sleeps normally. */
	ck_assert_int_eq(http_client_sleep(c, http_client_generation(c), 1), 0);
	http_client_free(c);
}
END_TEST

/* ------------------------------------------------------------------ against the emulator */

START_TEST(get_and_headers)
{
	char *u = url_of("/subscriptions/" EMU_SUBSCRIPTION "/resourceGroups/rg-foundry/providers/"
			 "Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main/connections/x"
			 "?api-version=" EMU_API_VERSION);
	const char *hdrs[] = {"x-ms-correlation-request-id: 6a1c2d9e-0000-4000-8000-000000000001", NULL};
	http_request req = {.method = "GET", .url = u, .headers = hdrs};
	http_response *r;
	ck_assert_int_eq(http_do(&r, g_http, &req), 0);
	ck_assert_int_eq(r->status, 401); /* no bearer token: ARM's answer, not a transport error */
	ck_assert_ptr_nonnull(strstr(r->body, "AuthenticationFailed"));
	ck_assert_ptr_nonnull(http_response_header(r, "X-MS-Request-Id"));
	ck_assert_str_eq(http_response_header(r, "x-ms-correlation-request-id"), "6a1c2d9e-0000-4000-8000-000000000001");
	ck_assert_ptr_nonnull(http_response_header(r, "www-authenticate"));
	ck_assert_ptr_null(http_response_header(r, "x-not-there"));
	for (size_t i = 0; i < r->header_count; i++)
		for (const char *p = r->header_names[i]; *p; p++)
			ck_assert(!(*p >= 'A' && *p <= 'Z'));
	http_response_free(r);

	/* The emulator saw our User-Agent. */
	cJSON *log = emu_requests(&g_emu);
	ck_assert_ptr_nonnull(log);
	cJSON *reqs = cJSON_GetObjectItem(log, "requests");
	ck_assert_int_eq(cJSON_GetArraySize(reqs), 1);
	cJSON *h = cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "headers");
	ck_assert_str_eq(cJSON_GetObjectItem(h, "user-agent")->valuestring, "terraform-provider-foundry/test terraform/1.9.0");
	cJSON_Delete(log);
	free(u);
}
END_TEST

START_TEST(post_form_body)
{
	char *u = url_of("/" EMU_TENANT "/oauth2/v2.0/token");
	const char *body = "grant_type=client_credentials&client_id=" EMU_CLIENT_ID
			   "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&client_secret=" EMU_CLIENT_SECRET;
	const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
	http_request req = {.method = "POST", .url = u, .headers = hdrs, .body = body, .body_len = strlen(body)};
	http_response *r;
	ck_assert_int_eq(http_do(&r, g_http, &req), 0);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "access_token"));
	ck_assert_uint_eq(strlen(r->body), r->body_len);
	http_response_free(r);
	free(u);
}
END_TEST

/* 20 sequential requests ride one keep-alive connection through the share. */
START_TEST(connection_reuse)
{
	char *u = url_of("/subscriptions/" EMU_SUBSCRIPTION "/resourceGroups/rg-foundry/providers/"
			 "Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main/connections"
			 "?api-version=" EMU_API_VERSION);
	long before = http_client_connections_opened(g_http);
	for (int i = 0; i < 20; i++) {
		http_request req = {.method = "GET", .url = u};
		http_response *r;
		ck_assert_int_eq(http_do(&r, g_http, &req), 0);
		ck_assert_int_eq(r->status, 401);
		http_response_free(r);
	}
	ck_assert_int_eq(http_client_connections_opened(g_http) - before, 1);
	ck_assert_int_eq(emu_stat(&g_emu, "requests"), 20);
	ck_assert_int_eq(emu_stat(&g_emu, "connections_opened"), 1);
	free(u);
}
END_TEST

/* Concurrent transfers share the pool too: 8 threads x 10 GETs need about one connection per thread, not one per
 * request. Each http_do runs a private multi handle whose default connection limit (4 per easy handle in curl
 * 7.88) used to close pooled connections whenever more than 4 were open in the share. The bound is generous
 * (a thread may briefly find every pooled connection busy), the old behaviour opened several dozen. */
#define POOL_THREADS 8
#define POOL_GETS 10

typedef struct pool_job {
	const char *url;
	pthread_barrier_t *start;
	int failures;
} pool_job;

static void *pool_thread(void *arg)
{
	pool_job *j = arg;
	pthread_barrier_wait(j->start);
	for (int i = 0; i < POOL_GETS; i++) {
		http_request req = {.method = "GET", .url = j->url};
		http_response *r = NULL;
		if (http_do(&r, g_http, &req) != 0 || r->status != 401)
			j->failures++;
		http_response_free(r);
	}
	return NULL;
}

START_TEST(concurrent_connection_reuse)
{
	char *u = url_of("/subscriptions/" EMU_SUBSCRIPTION "/resourceGroups/rg-foundry/providers/"
			 "Microsoft.CognitiveServices/accounts/foundry-acct/projects/proj-main/connections"
			 "?api-version=" EMU_API_VERSION);
	pthread_barrier_t start;
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, POOL_THREADS), 0);
	pool_job jobs[POOL_THREADS];
	pthread_t t[POOL_THREADS];
	long before = http_client_connections_opened(g_http);
	for (int i = 0; i < POOL_THREADS; i++) {
		jobs[i] = (pool_job){.url = u, .start = &start};
		ck_assert_int_eq(pthread_create(&t[i], NULL, pool_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < POOL_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(jobs[i].failures, 0);
	}
	pthread_barrier_destroy(&start);
	long opened = http_client_connections_opened(g_http) - before;
	long seen = emu_stat(&g_emu, "connections_opened");
	ck_assert_int_eq(emu_stat(&g_emu, "requests"), POOL_THREADS * POOL_GETS);
	ck_assert_int_ge(opened, 1);
	ck_assert_int_le(opened, 12);
	ck_assert_int_ge(seen, 1);
	ck_assert_int_le(seen, 12);

	/* Once they are idle, the pool keeps them: another round opens nothing new. */
	before = http_client_connections_opened(g_http);
	for (int i = 0; i < POOL_GETS; i++) {
		http_request req = {.method = "GET", .url = u};
		http_response *r;
		ck_assert_int_eq(http_do(&r, g_http, &req), 0);
		http_response_free(r);
	}
	ck_assert_int_eq(http_client_connections_opened(g_http) - before, 0);
	ck_assert_int_eq(emu_stat(&g_emu, "connections_opened"), seen);
	free(u);
}
END_TEST

START_TEST(connection_reset_is_eio)
{
	ck_assert_int_eq(emu_fault(&g_emu, "{\"method\":\"GET\",\"path_regex\":\"/reset-me$\",\"action\":\"reset\"}"), 0);
	char *u = url_of("/subscriptions/reset-me");
	http_request req = {.method = "GET", .url = u};
	http_response *r;
	ck_assert_int_eq(http_do(&r, g_http, &req), FY_EIO);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(fy_error_last()->message, "/subscriptions/reset-me"));
	/* The next request gets a fresh connection and an answer. */
	ck_assert_int_eq(http_do(&r, g_http, &req), 0);
	ck_assert_int_eq(r->status, 401);
	http_response_free(r);
	free(u);
}
END_TEST

typedef struct hang_job {
	http_client *c;
	const char *url;
	unsigned long gen;
	int rc;
	long done_ms;
} hang_job;

static void *hang_thread(void *arg)
{
	hang_job *j = arg;
	http_request req = {.method = "GET", .url = j->url};
	http_response *r = NULL;
	j->rc = http_do_since(&r, j->c, &req, j->gen);
	j->done_ms = mono_ms();
	http_response_free(r);
	return NULL;
}

START_TEST(cancel_aborts_hanging_request)
{
	ck_assert_int_eq(emu_fault(&g_emu, "{\"method\":\"GET\",\"path_regex\":\"/hang$\",\"action\":\"hang\","
					   "\"delay_ms\":30000,\"status\":200}"),
		0);
	char *u = url_of("/subscriptions/hang");
	hang_job j = {.c = g_http, .url = u, .gen = http_client_generation(g_http)};
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, hang_thread, &j), 0);
	usleep(300 * 1000); /* let the request reach the server */
	long cancel_at = mono_ms();
	http_client_cancel(g_http);
	pthread_join(t, NULL);
	ck_assert_int_eq(j.rc, FY_ECANCELED);
	ck_assert_int_lt(j.done_ms - cancel_at, 1000);
	ck_assert_int_eq(emu_clear_faults(&g_emu), 0); /* wakes the emulator's hanging handler */

	/* StopProvider does not stop the provider: the next request runs normally. */
	http_request req = {.method = "GET", .url = u};
	http_response *r;
	ck_assert_int_eq(http_do(&r, g_http, &req), 0);
	ck_assert_int_eq(r->status, 401);
	http_response_free(r);
	free(u);
}
END_TEST

START_TEST(timeout_is_etimeout)
{
	ck_assert_int_eq(emu_fault(&g_emu, "{\"method\":\"GET\",\"path_regex\":\"/slow$\",\"action\":\"hang\","
					   "\"delay_ms\":30000,\"status\":200}"),
		0);
	char *u = url_of("/subscriptions/slow");
	http_request req = {.method = "GET", .url = u, .timeout_ms = 200};
	http_response *r;
	ck_assert_int_eq(http_do(&r, g_http, &req), FY_ETIMEOUT);
	ck_assert_int_eq(emu_clear_faults(&g_emu), 0);
	free(u);
}
END_TEST

/* DEBUG lines carry the request and response, without Authorization or form secrets. */
START_TEST(log_redaction)
{
	char *path = strdup(emu_path(&g_emu, "http.log"));
	FILE *f = fopen(path, "w+");
	ck_assert_ptr_nonnull(f);
	tflog_set_output(f, TFLOG_TRACE);

	char *u = url_of("/" EMU_TENANT "/oauth2/v2.0/token");
	const char *secret = "s3cr3t+value/with=chars&more";
	char *enc = http_url_encode(secret);
	char *body;
	ck_assert_int_ge(asprintf(&body, "grant_type=client_credentials&client_id=" EMU_CLIENT_ID
					 "&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default&client_secret=%s",
			     enc),
		0);
	const char *hdrs[] = {"Content-Type: application/x-www-form-urlencoded",
		"Authorization: Bearer super-secret-bearer-token", NULL};
	http_request req = {.method = "POST", .url = u, .headers = hdrs, .body = body, .body_len = strlen(body)};
	http_response *r;
	ck_assert_int_eq(http_do(&r, g_http, &req), 0);
	ck_assert_int_eq(r->status, 401); /* wrong secret */
	http_response_free(r);

	/* A token response body: access_token is a secret-bearing key. */
	const char *good = "grant_type=client_credentials&client_id=" EMU_CLIENT_ID
			   "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&client_secret=" EMU_CLIENT_SECRET;
	http_request req2 = {.method = "POST", .url = u, .headers = hdrs, .body = good, .body_len = strlen(good)};
	ck_assert_int_eq(http_do(&r, g_http, &req2), 0);
	ck_assert_int_eq(r->status, 200);
	cJSON *j = cJSON_Parse(r->body);
	char *token = strdup(cJSON_GetObjectItem(j, "access_token")->valuestring);
	cJSON_Delete(j);
	http_response_free(r);

	tflog_set_output(NULL, TFLOG_OFF);
	fflush(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *text = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);

	ck_assert_ptr_nonnull(strstr(text, "HTTP request"));
	ck_assert_ptr_nonnull(strstr(text, "HTTP response"));
	ck_assert_ptr_nonnull(strstr(text, "oauth2/v2.0/token"));
	ck_assert_ptr_null(strstr(text, "super-secret-bearer-token"));
	ck_assert_ptr_null(strstr(text, enc));
	ck_assert_ptr_null(strstr(text, EMU_CLIENT_SECRET));
	ck_assert_ptr_null(strstr(text, token));
	ck_assert_ptr_nonnull(strstr(text, "REDACTED"));

	free(text);
	free(token);
	free(body);
	free(enc);
	free(u);
	unlink(path);
	free(path);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *pure = tcase_create("pure");
	tcase_add_test(pure, url_policy);
	tcase_add_test(pure, plain_http_to_remote_is_refused);
	tcase_add_test(pure, url_helpers);
	tcase_add_test(pure, retry_after_parsing);
	tcase_add_test(pure, sleep_wakes_on_cancel);
	suite_add_tcase(s, pure);

	TCase *live = tcase_create("emulator");
	tcase_add_unchecked_fixture(live, emu_up, emu_down);
	tcase_add_checked_fixture(live, client_up, client_down);
	tcase_set_timeout(live, 60);
	tcase_add_test(live, get_and_headers);
	tcase_add_test(live, post_form_body);
	tcase_add_test(live, connection_reuse);
	tcase_add_test(live, concurrent_connection_reuse);
	tcase_add_test(live, connection_reset_is_eio);
	tcase_add_test(live, cancel_aborts_hanging_request);
	tcase_add_test(live, timeout_is_etimeout);
	tcase_add_test(live, log_redaction);
	suite_add_tcase(s, live);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
