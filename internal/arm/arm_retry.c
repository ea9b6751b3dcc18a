/* One logical request with ARM's retry policy: 429/408/5xx and transport failures, Retry-After, back-off,
 * one token refresh after a 401, and the error envelope (docs/internals/arm.md). */
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

#include "../common/fy_time.h"
#include "../common/fy_utf8.h"
#include "../log/tflog.h"

/* ------------------------------------------------------------------ responses */

const char *arm__status_text(long s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "";
	}
}

/* {"error":{"code","message"}} (common-types ErrorResponse, docs/internals/arm.md 1.5). */
void arm__parse_error(const char *body, size_t len, char **code, char **message)
{
	*code = *message = NULL;
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *e = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
	if (cJSON_IsObject(e)) {
		const cJSON *cd = cJSON_GetObjectItemCaseSensitive(e, "code");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (cJSON_IsString(cd) && cd->valuestring)
			*code = strdup(cd->valuestring);
		if (cJSON_IsString(m) && m->valuestring)
			*message = strdup(m->valuestring);
	}
	cJSON_Delete(j);
}

/* "ARM answered 503 Service Unavailable (code X): message" for retry logs and error messages. */
void arm__describe_response(char *dst, size_t n, const http_response *r)
{
	char *code, *msg;
	arm__parse_error(r->body, r->body_len, &code, &msg);
	const char *st = arm__status_text(r->status);
	snprintf(dst, n, "ARM answered %ld%s%s%s%s%s%s%s", r->status, *st ? " " : "", st, code ? " (code " : "",
		code ? code : "", code ? ")" : "", msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
}

/* azapi's provider-level set (docs/internals/arm.md 4.3) for idempotent methods. A POST or PATCH answered 408 or 5xx
 * may have
 * been carried out, so sending it again could apply it twice: only 429 (throttled, refused before any work) is
 * retried for them. */
static int status_retryable(long s, int idempotent)
{
	if (s == 429)
		return 1;
	return idempotent && (s == 408 || s == 500 || s == 502 || s == 503 || s == 504);
}

static int method_idempotent(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 || strcmp(m, "HEAD") == 0;
}

/* ------------------------------------------------------------------ one logical request, with retries */

int arm__op_fail(int code, arm_op *o, const char *what)
{
	if (o->last[0])
		return fy_error_set(code, "%s; last error: %s (after %d attempt%s)", what, o->last, o->attempts,
			o->attempts == 1 ? "" : "s");
	return fy_error_set(code, "%s", what);
}

/*
 * One attempt: a fresh token, the headers, the request, with the account's write lock held for the attempt alone
 * (never for the back-off after it). *fatal when no attempt could be made (no token, the lock wait ended): the
 * caller returns rc as it is. Otherwise rc is http_do's.
 */
static int attempt(
	http_response **r, int *fatal, arm_op *o, const char *method, const char *url, const char *body, long remaining)
{
	arm_client *c = o->c;
	*fatal = 1;
	char *token = NULL;
	if (c->cred) {
		int rc = auth_credential_token(&token, c->cred);
		if (rc < 0) {
			if (rc == FY_ECANCELED)
				return arm__op_fail(FY_ECANCELED, o, "cancelled");
			char why[1024];
			snprintf(why, sizeof(why), "%s", fy_error_last()->message);
			return fy_error_set(rc == FY_ENOMEM ? rc : FY_EAUTH, "%s", why);
		}
	}
	char *authz = NULL, *corr = NULL;
	if ((token && asprintf(&authz, "Authorization: Bearer %s", token) < 0) ||
		asprintf(&corr, "x-ms-correlation-request-id: %s", c->correlation_id) < 0) {
		free(token);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	free(token);
	const char *headers[6];
	int h = 0;
	if (authz)
		headers[h++] = authz;
	headers[h++] = corr;
	headers[h++] = "Accept: application/json";
	if (body)
		headers[h++] = "Content-Type: application/json";
	headers[h] = NULL;
	http_request req = {.method = method,
		.url = url,
		.headers = headers,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.timeout_ms = remaining < c->request_timeout_ms ? remaining : c->request_timeout_ms,
		.log_module = ARM_MODULE};
	arm_lock *lk = NULL;
	/* A write takes its account's lock only while the account answers concurrent writes with conflicts. */
	int serial = o->lock_key && arm__account_serial(c, o->lock_key);
	int rc = serial ? arm__lock_account(&lk, c, o->lock_key, o->gen, o->deadline) : 0;
	if (rc == 0) {
		*fatal = 0;
		rc = http_do_since(r, c->http, &req, o->gen);
		arm__unlock_account(c, lk);
		o->attempts++;
	}
	free(authz);
	free(corr);
	return rc;
}

/*
 * Sends method+url until a final answer: retries 429 (any method: ARM refused it unprocessed), statuses 408/5xx
 * and connection failures (idempotent methods only), honouring
 * Retry-After, capped exponential back-off with jitter, within max_attempts and the op deadline. A 401 gets one
 * fresh token and an immediate retry. raw_key: a GET of a resource this process wrote recently, whose 404/403
 * is replication lag (azapi DefaultRetryableReadAfterCreateStatusCodes) and retried within the window.
 */
int arm__exchange(
	http_response **out, arm_op *o, const char *method, const char *url, const char *body, const char *raw_key)
{
	*out = NULL;
	arm_client *c = o->c;
	long backoff = c->backoff_base_ms;
	int idempotent = method_idempotent(method);
	for (;;) {
		if (arm__canceled(c, o->gen))
			return arm__op_fail(FY_ECANCELED, o, "cancelled");
		long remaining = o->deadline - fy_now_ms();
		if (remaining <= 0)
			return arm__op_fail(FY_ETIMEOUT, o, "the operation timed out");

		http_response *r = NULL;
		int fatal = 0;
		int rc = attempt(&r, &fatal, o, method, url, body, remaining);
		if (fatal)
			return rc;

		long wait = arm__jitter(backoff);
		if (rc == 0) {
			long s = r->status;
			if (s == 401 && c->cred && !o->reauthed) {
				/* Revoked or expired earlier than announced: one fresh token, at once. */
				o->reauthed = 1;
				arm__describe_response(o->last, sizeof(o->last), r);
				tflog(TFLOG_INFO, ARM_MODULE, "%s %s: 401, refreshing the token and retrying", method,
					url);
				auth_credential_invalidate(c->cred);
				http_response_free(r);
				continue;
			}
			int lag = 0;
			if (raw_key && (s == 404 || s == 403)) {
				long left = arm__write_window_left(c, raw_key);
				lag = left > 0;
				if (lag && wait > left)
					wait = left;
			}
			/* "Another operation is in progress" on the account: waiting solves it. The account's writes go
			 * one at a time from now, this one included, after the usual back-off. */
			int busy = o->lock_key && arm__busy_conflict(s, r->body, r->body_len);
			if (busy) {
				char why[sizeof(o->last)];
				arm__describe_response(why, sizeof(why), r);
				arm__account_conflict(c, o->lock_key, why);
			}
			if (!status_retryable(s, idempotent) && !lag && !busy) {
				*out = r;
				return 0;
			}
			arm__describe_response(o->last, sizeof(o->last), r);
			/* Retry-After: 0 (or absent) means "no particular wait": the normal back-off applies, as in
			 * Azure's
			 * SDKs (azcore policy/retry), else eight attempts go out in a fraction of a second. */
			long ra = http_response_retry_after_ms(r);
			if (ra > 0 && !lag)
				wait = ra;
			if (o->attempts >= c->max_attempts || fy_now_ms() + wait >= o->deadline) {
				/* Out of budget: the last answer is the result, with its status and error. */
				*out = r;
				return 0;
			}
			http_response_free(r);
		} else if (rc == FY_ECANCELED) {
			return arm__op_fail(FY_ECANCELED, o, "cancelled");
		} else if ((rc == FY_EIO || rc == FY_ETIMEOUT) && idempotent) {
			char msg[sizeof(o->last)];
			snprintf(msg, sizeof(msg), "%s", fy_error_last()->message);
			if (o->attempts >= c->max_attempts || fy_now_ms() + wait >= o->deadline) {
				/* This failure is the answer; an earlier different one (say a 503 before a hang) is
				 * kept alongside so nothing is lost. */
				if (o->last[0] && strcmp(o->last, msg) != 0)
					return fy_error_set(rc, "%s (after %d attempts); previous error: %s", msg,
						o->attempts, o->last);
				return fy_error_set(
					rc, "%s (after %d attempt%s)", msg, o->attempts, o->attempts == 1 ? "" : "s");
			}
			snprintf(o->last, sizeof(o->last), "%s", msg);
		} else {
			return rc; /* refused URL, non-idempotent transport failure, OOM: message already set */
		}
		tflog(TFLOG_INFO, ARM_MODULE, "%s %s: %s; retrying in %ld ms (attempt %d of %d)", method, url, o->last,
			wait, o->attempts + 1, c->max_attempts);
		if (http_client_sleep(c->http, o->gen, wait))
			return arm__op_fail(FY_ECANCELED, o, "cancelled");
		backoff = backoff * 2 < c->backoff_max_ms ? backoff * 2 : c->backoff_max_ms;
	}
}
