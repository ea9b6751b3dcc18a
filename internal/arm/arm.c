/*
 * arm: ARM requests with azapi's semantics on top of http/ and auth/ (arm.h; notes/arm-connections.md 1.5, 4.3).
 */
#define _GNU_SOURCE
#include "arm.h"
#include "../common/fy_time.h"

#include "../common/fy_utf8.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "../log/tflog.h"

#define ARM_MODULE "foundry.arm"
#define ARM_LOCK_SLICE_MS 100 /* lock waits re-check cancellation this often */
#define ARM_MAX_URL 8192 /* polling URLs can be 4 KB (notes 4.3) */

typedef struct arm_lock {
	char *key; /* lower-cased /subscriptions/.../accounts/{name} */
	int busy;
	int refs;
	struct arm_lock *next;
} arm_lock;

typedef struct arm_write {
	char *key; /* lower-cased resource id, no query */
	long at_ms;
	struct arm_write *next;
} arm_write;

struct arm_client {
	char *endpoint; /* no trailing slash */
	http_client *http;
	auth_credential *cred;
	char *correlation_id;
	long op_timeout_ms, request_timeout_ms;
	int max_attempts;
	long backoff_base_ms, backoff_max_ms, read_after_write_ms;
	pthread_mutex_t mu; /* locks, writes */
	pthread_cond_t cv; /* a lock was released, or cancel */
	arm_lock *locks;
	arm_write *writes;
};

static void uuid4(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* getrandom never fails for 16 bytes once the pool is initialised; keep a unique-enough fallback */
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
static long jitter(long backoff)
{
	unsigned int r = 0;
	if (backoff <= 1 || getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
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
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
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

static int canceled(const arm_client *c, unsigned long gen)
{
	return http_client_generation(c->http) != gen;
}

/* ------------------------------------------------------------------ ids and keys */

/* The resource path of an id or URL, lower-cased, without query: "/subscriptions/...". NULL when none. */
static char *id_key(const char *resource_id)
{
	const char *p = strcasestr(resource_id, "/subscriptions/");
	if (!p)
		return NULL;
	size_t n = strcspn(p, "?#");
	char *k = strndup(p, n);
	if (!k)
		return NULL;
	for (char *q = k; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	while (n > 1 && k[n - 1] == '/')
		k[--n] = '\0';
	return k;
}

/* ARM gives transient errors on concurrent writes in one account (notes 1.5: azapi's example chains deletes with
 * depends_on, azurerm locks the account id), so writes are serialised per account:
 * "/subscriptions/{s}/resourcegroups/{rg}/providers/microsoft.cognitiveservices/accounts/{name}". */
static char *account_key(const char *resource_id)
{
	char *k = id_key(resource_id);
	if (!k)
		return NULL;
	static const char marker[] = "/providers/microsoft.cognitiveservices/accounts/";
	char *m = strstr(k, marker);
	if (!m) {
		free(k);
		return NULL;
	}
	char *name = m + sizeof(marker) - 1;
	size_t nl = strcspn(name, "/");
	if (nl == 0) {
		free(k);
		return NULL;
	}
	name[nl] = '\0';
	return k;
}

/* Waits for the account's write lock until `deadline` (the operation's, fy_now_ms() clock) or cancellation: a holder
 * can outlive our deadline (its token fetch is not bounded by it), and a queued write must not outwait its own. */
static int lock_account(arm_lock **out, arm_client *c, const char *key, unsigned long gen, long deadline)
{
	*out = NULL;
	pthread_mutex_lock(&c->mu);
	arm_lock *l = c->locks;
	while (l && strcmp(l->key, key) != 0)
		l = l->next;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l || !(l->key = strdup(key))) {
			free(l);
			pthread_mutex_unlock(&c->mu);
			return fy_error_set(FY_ENOMEM, "out of memory");
		}
		l->next = c->locks;
		c->locks = l;
	}
	l->refs++;
	int waited = 0;
	long left;
	while (l->busy && !canceled(c, gen) && (left = deadline - fy_now_ms()) > 0) {
		if (!waited)
			tflog(TFLOG_DEBUG, ARM_MODULE, "waiting for another write in account %s", key);
		waited = 1;
		long slice = left < ARM_LOCK_SLICE_MS ? left : ARM_LOCK_SLICE_MS;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts); /* c->cv runs on CLOCK_MONOTONIC */
		ts.tv_nsec += slice * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	if (l->busy) { /* cancelled or out of time while queued */
		l->refs--;
		pthread_mutex_unlock(&c->mu);
		if (canceled(c, gen))
			return fy_error_set(
				FY_ECANCELED, "cancelled while waiting for another write in account %s", key);
		return fy_error_set(FY_ETIMEOUT,
			"the operation timed out waiting for the account write lock: another write in account %s was "
			"still running (writes in one account are serialised)",
			key);
	}
	l->busy = 1;
	pthread_mutex_unlock(&c->mu);
	*out = l;
	return 0;
}

static void unlock_account(arm_client *c, arm_lock *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&c->mu);
	l->busy = 0;
	l->refs--;
	/* Drop idle entries so a long session with many accounts does not grow the list. */
	if (l->refs == 0) {
		for (arm_lock **pp = &c->locks; *pp; pp = &(*pp)->next)
			if (*pp == l) {
				*pp = l->next;
				free(l->key);
				free(l);
				break;
			}
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void prune_writes(arm_client *c, long now)
{
	for (arm_write **pp = &c->writes; *pp;) {
		if (now - (*pp)->at_ms > c->read_after_write_ms) {
			arm_write *w = *pp;
			*pp = w->next;
			free(w->key);
			free(w);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Remember (or, for a delete, forget) that this process just wrote `key`. */
static void note_write(arm_client *c, const char *key, int deleted)
{
	long now = fy_now_ms();
	pthread_mutex_lock(&c->mu);
	prune_writes(c, now);
	arm_write **pp = &c->writes;
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	if (deleted) {
		if (*pp) {
			arm_write *w = *pp;
			*pp = w->next;
			free(w->key);
			free(w);
		}
	} else if (*pp) {
		(*pp)->at_ms = now;
	} else {
		arm_write *w = calloc(1, sizeof(*w));
		if (w && (w->key = strdup(key)) != NULL) {
			w->at_ms = now;
			w->next = c->writes;
			c->writes = w;
		} else {
			free(w);
		}
	}
	pthread_mutex_unlock(&c->mu);
}

/* Milliseconds left in the read-after-write window of `key`, or 0. */
static long write_window_left(arm_client *c, const char *key)
{
	long now = fy_now_ms(), left = 0;
	pthread_mutex_lock(&c->mu);
	for (arm_write *w = c->writes; w; w = w->next)
		if (strcmp(w->key, key) == 0) {
			left = w->at_ms + c->read_after_write_ms - now;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	return left > 0 ? left : 0;
}

/* ------------------------------------------------------------------ responses */

static const char *status_text(long s)
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

/* {"error":{"code","message"}} (common-types ErrorResponse, notes 1.5). */
static void parse_error(const char *body, size_t len, char **code, char **message)
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
static void describe_response(char *dst, size_t n, const http_response *r)
{
	char *code, *msg;
	parse_error(r->body, r->body_len, &code, &msg);
	const char *st = status_text(r->status);
	snprintf(dst, n, "ARM answered %ld%s%s%s%s%s%s%s", r->status, *st ? " " : "", st, code ? " (code " : "",
		code ? code : "", code ? ")" : "", msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
}

/* azapi's provider-level set (notes 4.3) for idempotent methods. A POST or PATCH answered 408 or 5xx may have
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

typedef struct arm_op {
	arm_client *c;
	unsigned long gen;
	long deadline;
	const char *lock_key; /* the account whose writes are serialised, or NULL */
	int attempts;
	int reauthed;
	char last[1024]; /* the last real error, reported instead of "deadline exceeded" */
} arm_op;

static int op_fail(int code, arm_op *o, const char *what)
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
				return op_fail(FY_ECANCELED, o, "cancelled");
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
	int rc = o->lock_key ? lock_account(&lk, c, o->lock_key, o->gen, o->deadline) : 0;
	if (rc == 0) {
		*fatal = 0;
		rc = http_do_since(r, c->http, &req, o->gen);
		unlock_account(c, lk);
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
static int exchange(
	http_response **out, arm_op *o, const char *method, const char *url, const char *body, const char *raw_key)
{
	*out = NULL;
	arm_client *c = o->c;
	long backoff = c->backoff_base_ms;
	int idempotent = method_idempotent(method);
	for (;;) {
		if (canceled(c, o->gen))
			return op_fail(FY_ECANCELED, o, "cancelled");
		long remaining = o->deadline - fy_now_ms();
		if (remaining <= 0)
			return op_fail(FY_ETIMEOUT, o, "the operation timed out");

		http_response *r = NULL;
		int fatal = 0;
		int rc = attempt(&r, &fatal, o, method, url, body, remaining);
		if (fatal)
			return rc;

		long wait = jitter(backoff);
		if (rc == 0) {
			long s = r->status;
			if (s == 401 && c->cred && !o->reauthed) {
				/* Revoked or expired earlier than announced: one fresh token, at once. */
				o->reauthed = 1;
				describe_response(o->last, sizeof(o->last), r);
				tflog(TFLOG_INFO, ARM_MODULE, "%s %s: 401, refreshing the token and retrying", method,
					url);
				auth_credential_invalidate(c->cred);
				http_response_free(r);
				continue;
			}
			int lag = 0;
			if (raw_key && (s == 404 || s == 403)) {
				long left = write_window_left(c, raw_key);
				lag = left > 0;
				if (lag && wait > left)
					wait = left;
			}
			if (!status_retryable(s, idempotent) && !lag) {
				*out = r;
				return 0;
			}
			describe_response(o->last, sizeof(o->last), r);
			/* Retry-After: 0 (or absent) means "no particular wait": the normal back-off applies, as in Azure's
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
			return op_fail(FY_ECANCELED, o, "cancelled");
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
			return op_fail(FY_ECANCELED, o, "cancelled");
		backoff = backoff * 2 < c->backoff_max_ms ? backoff * 2 : c->backoff_max_ms;
	}
}

/* ------------------------------------------------------------------ long-running operations */

static int lro_status(const http_response *r, char **status)
{
	*status = NULL;
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const cJSON *s = j ? cJSON_GetObjectItemCaseSensitive(j, "status") : NULL;
	if (cJSON_IsString(s) && s->valuestring)
		*status = strdup(s->valuestring);
	cJSON_Delete(j);
	return *status ? 0 : -1;
}

/*
 * 201/202 with Azure-AsyncOperation (poll until Succeeded/Failed/Canceled) or Location (poll until not 202),
 * honouring Retry-After (notes 4.3); then PUT/PATCH read the resource. *final replaces the initial response.
 */
static int poll_lro(http_response **final, arm_op *o, const char *method, const char *url, http_response *initial)
{
	arm_client *c = o->c;
	const char *async = http_response_header(initial, "azure-asyncoperation");
	const char *loc = http_response_header(initial, "location");
	const char *poll = async ? async : loc;
	*final = initial;
	if (!poll)
		return 0;
	if (strlen(poll) > ARM_MAX_URL || !http_url_same_origin(poll, c->endpoint))
		return fy_error_set(FY_EINVALID, "%s %s: refusing to poll %s: not on the resource manager endpoint",
			method, url, poll);
	char *poll_url = strdup(poll), *loc_url = loc ? strdup(loc) : NULL;
	if (!poll_url || (loc && !loc_url)) {
		free(poll_url);
		free(loc_url);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	int use_async = async != NULL;
	http_response *last = initial;
	int rc = 0, done = 0;
	while (!done) {
		long wait = http_response_retry_after_ms(last);
		if (wait < 0)
			wait = c->backoff_base_ms;
		if (fy_now_ms() + wait >= o->deadline) {
			rc = fy_error_set(FY_ETIMEOUT,
				"%s %s: the long-running operation did not finish in time (polling %s)", method, url,
				poll_url);
			break;
		}
		if (http_client_sleep(c->http, o->gen, wait)) {
			rc = op_fail(FY_ECANCELED, o, "cancelled");
			break;
		}
		http_response *p = NULL;
		if ((rc = exchange(&p, o, "GET", poll_url, NULL, NULL)) != 0)
			break;
		if (last != initial)
			http_response_free(last);
		last = p;
		if (p->status >= 400) { /* the poll itself failed: that answer is the result */
			done = 2;
			break;
		}
		if (use_async) {
			char *st = NULL;
			lro_status(p, &st);
			if (st && strcasecmp(st, "Succeeded") == 0) {
				done = 1;
			} else if (st && (strcasecmp(st, "Failed") == 0 || strcasecmp(st, "Canceled") == 0)) {
				char *code = NULL, *msg = NULL;
				parse_error(p->body, p->body_len, &code, &msg);
				const char *rid = http_response_header(p, "x-ms-request-id");
				rc = fy_error_set(FY_ERROR,
					"%s %s: the long-running operation ended %s%s%s%s%s%s. Request id: %s, correlation "
					"id: %s",
					method, url, st, code ? " (code " : "", code ? code : "", code ? ")" : "",
					msg ? ": " : "", msg ? msg : "", rid ? rid : "none", c->correlation_id);
				free(code);
				free(msg);
				free(st);
				break;
			}
			free(st);
		} else if (p->status != 202) {
			done = 1;
		}
	}
	if (rc == 0 && done == 1) {
		const char *final_url = NULL;
		if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
			final_url = url; /* the resource as it now is */
		else if (strcmp(method, "POST") == 0 && use_async && loc_url)
			final_url = loc_url; /* the action's result */
		if (final_url) {
			http_response *g = NULL;
			rc = exchange(&g, o, "GET", final_url, NULL, NULL);
			if (rc == 0) {
				if (last != initial)
					http_response_free(last);
				last = g;
			}
		}
	}
	free(poll_url);
	free(loc_url);
	if (rc) {
		if (last != initial)
			http_response_free(last);
		return rc;
	}
	*final = last;
	if (last != initial)
		http_response_free(initial);
	return 0;
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
		parse_error(res->body, res->body_len, &res->error_code, &res->error_message);
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
	char *key = id_key(resource_id);
	char *acct = is_write ? account_key(resource_id) : NULL;
	o.lock_key = acct;

	http_response *r = NULL;
	rc = exchange(&r, &o, method, url, body, is_get && key && write_window_left(c, key) > 0 ? key : NULL);
	if (rc == 0 && (r->status == 201 || r->status == 202)) {
		http_response *f = NULL;
		o.lock_key = NULL; /* polls are reads: they do not hold up the account's other writes */
		rc = poll_lro(&f, &o, method, url, r);
		if (rc)
			http_response_free(r);
		else
			r = f;
	}
	if (rc == 0 && key && is_write && r->status >= 200 && r->status < 300)
		note_write(c, key, strcmp(method, "DELETE") == 0);
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
	const char *st = status_text(r->status);
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
