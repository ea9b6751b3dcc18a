/*
 * arm: Azure Resource Manager requests with ARM's semantics (docs/internals/arm.md 1.3-1.5, 4.3).
 *
 * - api-version on every request; `x-ms-correlation-request-id` and a User-Agent naming the provider and
 *   Terraform versions; ARM's `x-ms-request-id` kept for diagnostics.
 * - Retries for 408, 429, 500, 502, 503, 504 and connection failures of idempotent calls (GET, PUT, DELETE);
 *   POST and PATCH are retried only after a 429. Retry-After is honoured, otherwise capped exponential backoff
 *   with jitter, bounded by the operation timeout; the last real error is reported, never "deadline exceeded".
 * - A GET answering 404/403 shortly after this process wrote the same resource is retried briefly
 *   (replication lag, azapi DefaultRetryableReadAfterCreateStatusCodes).
 * - Long-running operations: 201/202 with Azure-AsyncOperation or Location are polled to a terminal state.
 * - Writes (PUT/PATCH/DELETE) under one Cognitive Services account go out in parallel; after ARM answers one
 *   "another operation is in progress" (409 RequestConflict, docs/internals/arm.md 1.5), that account's writes go one
 *   attempt at a time for 30 s, the lock never held while a write backs off, and that write is retried.
 * - Bearer token from the auth credential; one refresh and retry after a 401.
 * - arm_client_cancel() (StopProvider) aborts in-flight requests within a second.
 */
#ifndef FOUNDRY_INTERNAL_ARM_ARM_H
#define FOUNDRY_INTERNAL_ARM_ARM_H

#include <stddef.h>

#include "../auth/auth.h"
#include "../common/fy_error.h"
#include "../http/http.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct arm_options {
	const char *endpoint; /* "https://management.azure.com" (trailing slash optional) */
	http_client *http; /* borrowed */
	auth_credential *credential; /* borrowed; NULL = send no Authorization (tests only) */
	const char *correlation_id; /* NULL = a random UUID per client */
	long op_timeout_ms; /* per arm_do, including retries; 0 = 10 min */
	long request_timeout_ms; /* per HTTP attempt (a hung answer is retried like a reset); 0 = 60 s */
	int max_attempts; /* 0 = 8 */
	long backoff_base_ms; /* 0 = 1000; tests make it small */
	long backoff_max_ms; /* 0 = 60000 */
	long read_after_write_ms; /* window for the 404/403-after-write retry; 0 = 60000 */
} arm_options;

typedef struct arm_client arm_client;

int arm_client_new(arm_client **out, const arm_options *opts);
void arm_client_free(arm_client *c);
void arm_client_cancel(arm_client *c);

typedef struct arm_result {
	long status; /* final HTTP status */
	char *body; /* NUL-terminated, "" when empty */
	size_t body_len;
	char *request_id; /* x-ms-request-id, or NULL */
	char *correlation_id; /* x-ms-correlation-request-id sent */
	/* ARM error envelope {"error":{"code","message"}} when status >= 400; NULL otherwise or when absent */
	char *error_code;
	char *error_message;
	int attempts; /* HTTP attempts made */
} arm_result;

/*
 * method: GET, PUT, PATCH, DELETE, POST. resource_id: an ARM id path ("/subscriptions/..."), query string
 * allowed for list calls; or a full URL (nextLink). body may be NULL.
 * Returns 0 when ARM answered (any status: the caller decides what 404 means), or a negative FY_E* code
 * (FY_ECANCELED, FY_ETIMEOUT, FY_EIO, FY_EAUTH) with a message naming the last real error.
 * A long-running operation that ends Failed/Canceled returns FY_ERROR with ARM's code and message, request and
 * correlation ids; a polling or nextLink URL on another host than the endpoint is refused with FY_EINVALID (the
 * bearer token would go with it). Connection failures are retried for GET, PUT and DELETE only (libcurl itself
 * replays any request once when a reused keep-alive connection turns out dead before answering).
 */
int arm_do(arm_result **out, arm_client *c, const char *method, const char *resource_id, const char *api_version,
	const char *body);
/* arm_do with its own operation deadline (a resource's `timeouts`): timeout_ms > 0 replaces op_timeout_ms. */
int arm_do_within(arm_result **out, arm_client *c, const char *method, const char *resource_id, const char *api_version,
	const char *body, long timeout_ms);
void arm_result_free(arm_result *r);

/* "ARM answered 409 Conflict (code X): message. Request id: ..., correlation id: ..." (malloc'd). */
char *arm_result_describe(const arm_result *r);

#ifdef __cplusplus
}
#endif
#endif
