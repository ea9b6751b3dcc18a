/*
 * arm: ARM requests with azapi's semantics on top of http/ and auth/ (arm.h; docs/internals/arm.md): the client and
 * arm_do, which builds the URL and puts retries, long-running operations and the account lock together.
 */
#define _GNU_SOURCE
#include "arm_internal.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../common/fy_os.h"
#include "../common/fy_time.h"
#include "../common/fy_utf8.h"
#include "../log/tflog.h"

static void uuid4(char out[37])
{
	unsigned char b[16];
	if (fy_os_random(b, sizeof(b)) < 0) {
		/* The kernel's source does not fail for 16 bytes once it is seeded; keep a unique-enough fallback */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)((ts.tv_nsec >> (i % 4 * 8)) ^ (ts.tv_sec >> (i % 8)) ^ (long)i * 131);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* "Equal jitter": half the back-off plus a random half, so concurrent clients spread out. */
long arm__jitter(long backoff)
{
	unsigned int r = 0;
	if (backoff <= 1 || fy_os_random(&r, sizeof(r)) < 0)
		return backoff;
	long half = backoff / 2;
	return half + (long)(r % (unsigned long)(backoff - half + 1));
}

/* ------------------------------------------------------------------ client */

int arm_client_new(arm_client **out, const arm_options *opts)
{
	*out = NULL;
	if (!opts || !opts->endpoint || !opts->http)
		return fy_error_set(FY_EINVALID, "arm_client_new: endpoint and http client are required");
	if (!http_url_is_allowed(opts->endpoint))
		return fy_error_set(FY_EINVALID,
			"resource manager endpoint %s: only https:// is allowed (plain http:// only for loopback hosts)",
			opts->endpoint);
	arm_client *c = calloc(1, sizeof(*c));
	if (!c)
		return fy_error_set(FY_ENOMEM, "out of memory");
	c->endpoint = strdup(opts->endpoint);
	char corr[37];
	uuid4(corr);
	c->correlation_id = strdup(opts->correlation_id ? opts->correlation_id : corr);
	if (!c->endpoint || !c->correlation_id) {
		free(c->endpoint);
		free(c->correlation_id);
		free(c);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	size_t n = strlen(c->endpoint);
	while (n > 0 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	c->http = opts->http;
	c->cred = opts->credential;
	c->op_timeout_ms = opts->op_timeout_ms > 0 ? opts->op_timeout_ms : 10L * 60L * 1000L;
	/* ARM itself gives up on a synchronous request after about 60 s. */
	c->request_timeout_ms = opts->request_timeout_ms > 0 ? opts->request_timeout_ms : 60L * 1000L;
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 8;
	c->backoff_base_ms = opts->backoff_base_ms > 0 ? opts->backoff_base_ms : 1000;
	c->backoff_max_ms = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 60000;
	if (c->backoff_max_ms < c->backoff_base_ms)
		c->backoff_max_ms = c->backoff_base_ms;
	c->read_after_write_ms = opts->read_after_write_ms > 0 ? opts->read_after_write_ms : 60000;
	pthread_mutex_init(&c->mu, NULL);
	fy_os_cond_init_monotonic(&c->cv);
	*out = c;
	return 0;
}

void arm_client_free(arm_client *c)
{
	if (!c)
		return;
	for (arm_lock *l = c->locks, *n; l; l = n) {
		n = l->next;
		free(l->key);
		free(l);
	}
	for (arm_write *w = c->writes, *n; w; w = n) {
		n = w->next;
		free(w->key);
		free(w);
	}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->endpoint);
	free(c->correlation_id);
	free(c);
}

void arm_client_cancel(arm_client *c)
{
	if (!c)
		return;
	/* Aborts transfers and back-off sleeps (http), then wakes writers queued on an account lock. */
	http_client_cancel(c->http);
	pthread_mutex_lock(&c->mu);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

int arm__canceled(const arm_client *c, unsigned long gen)
{
	return http_client_generation(c->http) != gen;
}

/* ------------------------------------------------------------------ arm_do */

static int build_url(char **out, const arm_client *c, const char *resource_id, const char *api_version)
{
	*out = NULL;
	char *base = NULL;
	if (strncasecmp(resource_id, "https://", 8) == 0 || strncasecmp(resource_id, "http://", 7) == 0) {
		/* A nextLink: it must stay on the ARM endpoint, the bearer token goes with it. */
		if (!http_url_same_origin(resource_id, c->endpoint))
			return fy_error_set(FY_EINVALID,
				"refusing to follow %s: not on the resource manager endpoint %s", resource_id,
				c->endpoint);
		base = strdup(resource_id);
	} else if (resource_id[0] == '/') {
		if (asprintf(&base, "%s%s", c->endpoint, resource_id) < 0)
			base = NULL;
	} else {
		return fy_error_set(FY_EINVALID, "not an ARM resource id: %s", resource_id);
	}
	if (!base)
		return fy_error_set(FY_ENOMEM, "out of memory");
	if (api_version && *api_version && !http_url_has_query_param(base, "api-version")) {
		int rc = http_url_append_query(out, base, "api-version", api_version);
		free(base);
		return rc;
	}
	*out = base;
	return 0;
}

static int fill_result(arm_result **out, const arm_client *c, http_response *r, int attempts)
{
	arm_result *res = calloc(1, sizeof(*res));
	if (!res)
		return fy_error_set(FY_ENOMEM, "out of memory");
	res->status = r->status;
	if (fy_utf8_valid(r->body, r->body_len)) {
		res->body = r->body; /* take it */
		res->body_len = r->body_len;
		r->body = NULL;
	} else {
		/* JSON is UTF-8 (RFC 8259); anything else would reach the state and make it unreadable next time. */
		res->body = fy_utf8_sanitize(&res->body_len, r->body, r->body_len);
		if (res->body == NULL) {
			free(res);
			return fy_error_set(FY_ENOMEM, "out of memory");
		}
		tflog(TFLOG_WARN, ARM_MODULE,
			"ARM answered with text that is not UTF-8; invalid bytes replaced by U+FFFD");
	}
	const char *rid = http_response_header(r, "x-ms-request-id");
	res->request_id = rid ? strdup(rid) : NULL;
	res->correlation_id = strdup(c->correlation_id);
	res->attempts = attempts;
	if (res->status >= 400)
		arm__parse_error(res->body, res->body_len, &res->error_code, &res->error_message);
	if (!res->correlation_id || (rid && !res->request_id)) {
		arm_result_free(res);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	*out = res;
	return 0;
}

int arm_do(arm_result **out, arm_client *c, const char *method, const char *resource_id, const char *api_version,
	const char *body)
{
	return arm_do_within(out, c, method, resource_id, api_version, body, 0);
}

int arm_do_within(arm_result **out, arm_client *c, const char *method, const char *resource_id, const char *api_version,
	const char *body, long timeout_ms)
{
	*out = NULL;
	if (!c || !method || !resource_id)
		return fy_error_set(FY_EINVALID, "arm_do: client, method and resource id are required");
	unsigned long gen = http_client_generation(c->http);
	arm_op o = {.c = c, .gen = gen, .deadline = fy_now_ms() + (timeout_ms > 0 ? timeout_ms : c->op_timeout_ms)};
	char *url = NULL;
	int rc = build_url(&url, c, resource_id, api_version);
	if (rc)
		return rc;

	int is_get = strcmp(method, "GET") == 0;
	int is_write = strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
	char *key = arm__id_key(resource_id);
	char *acct = is_write ? arm__account_key(resource_id) : NULL;
	o.lock_key = acct;

	http_response *r = NULL;
	rc = arm__exchange(&r, &o, method, url, body, is_get && key && arm__write_window_left(c, key) > 0 ? key : NULL);
	if (rc == 0 && (r->status == 201 || r->status == 202)) {
		http_response *f = NULL;
		o.lock_key = NULL; /* polls are reads: they do not hold up the account's other writes */
		rc = arm__poll_lro(&f, &o, method, url, r);
		if (rc)
			http_response_free(r);
		else
			r = f;
	}
	if (rc == 0 && key && is_write && r->status >= 200 && r->status < 300)
		arm__note_write(c, key, strcmp(method, "DELETE") == 0);
	if (rc == 0) {
		rc = fill_result(out, c, r, o.attempts);
		http_response_free(r);
	}
	free(url);
	free(key);
	free(acct);
	return rc;
}

void arm_result_free(arm_result *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->request_id);
	free(r->correlation_id);
	free(r->error_code);
	free(r->error_message);
	free(r);
}

char *arm_result_describe(const arm_result *r)
{
	if (!r)
		return strdup("no ARM response");
	const char *st = arm__status_text(r->status);
	char *s = NULL;
	char attempts[48] = "";
	if (r->attempts > 1)
		snprintf(attempts, sizeof(attempts), " (after %d attempts)", r->attempts);
	/* ARM's messages usually end with a period; ours follows, so drop theirs ("is invalid.." otherwise). */
	int mlen = r->error_message ? (int)strlen(r->error_message) : 0;
	while (mlen > 0 && (r->error_message[mlen - 1] == '.' || r->error_message[mlen - 1] == ' '))
		mlen--;
	if (asprintf(&s, "ARM answered %ld%s%s%s%s%s%s%.*s. Request id: %s, correlation id: %s%s", r->status,
		    *st ? " " : "", st, r->error_code ? " (code " : "", r->error_code ? r->error_code : "",
		    r->error_code ? ")" : "", r->error_message ? ": " : "", mlen,
		    r->error_message ? r->error_message : "", r->request_id ? r->request_id : "none",
		    r->correlation_id ? r->correlation_id : "none", attempts) < 0)
		return NULL;
	return s;
}
