/*
 * http: libcurl with one share (connections, DNS, TLS sessions) per provider process.
 *
 * Keep-alive and HTTP/2 where offered, so a 100-resource plan reuses connections.
 * `http://` is accepted only for loopback hosts (the emulator); everything else must be https.
 * Cancellation: http_client_cancel() aborts every transfer in flight (curl's progress callback checks a
 * generation counter) within well under a second; transfers started afterwards run normally
 * (StopProvider cancels but the process keeps serving).
 * Request/response logging at DEBUG/TRACE through tflog, with Authorization and secret-bearing fields redacted.
 * Thread-safe: one http_client serves concurrent RPCs.
 */
#ifndef FY_HTTP_H
#define FY_HTTP_H

#include <stddef.h>

#include "../common/fy_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Once per process, before threads (curl_global_init). */
int http_global_init(void);

typedef struct http_client http_client;

typedef struct http_options {
	const char *user_agent;   /* full User-Agent value */
	long connect_timeout_ms;  /* 0 = 30 s */
	const char *ca_file;      /* extra CA bundle (tests); NULL = system */
} http_options;

int http_client_new(http_client **out, const http_options *opts);
void http_client_free(http_client *c);
void http_client_cancel(http_client *c);
/* Connections opened so far by this client (for tests and benchmarks). */
long http_client_connections_opened(const http_client *c);

typedef struct http_request {
	const char *method;           /* "GET", "PUT", "POST", "DELETE", "PATCH" */
	const char *url;
	const char *const *headers;   /* NULL-terminated "Name: value" lines, or NULL */
	const char *body;             /* may be NULL */
	size_t body_len;
	long timeout_ms;              /* whole transfer; 0 = 5 min */
	const char *log_module;       /* tflog module, e.g. "foundry.arm"; NULL = "foundry.http" */
} http_request;

typedef struct http_response {
	long status;
	char *body;                   /* NUL-terminated; "" when empty */
	size_t body_len;
	/* headers, lower-cased names */
	size_t header_count;
	char **header_names;
	char **header_values;
} http_response;

/*
 * One attempt, no retries (arm/ and auth/ own their retry policies).
 * 0: a response arrived (any status). FY_ECANCELED: http_client_cancel(). FY_ETIMEOUT, FY_EIO (connection
 * refused/reset, DNS, TLS) with a message. FY_EINVALID: URL refused (plain http to a non-loopback host).
 */
int http_do(http_response **out, http_client *c, const http_request *req);
const char *http_response_header(const http_response *r, const char *name); /* case-insensitive; NULL if absent */
void http_response_free(http_response *r);

/* URL helpers. */
int http_url_is_allowed(const char *url); /* https://, or http:// to 127.0.0.0/8, ::1, localhost */
char *http_url_encode(const char *s);     /* malloc'd, percent-encoded (curl_easy_escape) */

#ifdef __cplusplus
}
#endif
#endif
