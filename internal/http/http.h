/*
 * http: libcurl with one share (connections, DNS, TLS sessions) per provider process.
 *
 * Keep-alive and HTTP/2 where offered, so a 100-resource plan reuses connections.
 * `http://` is accepted only for loopback hosts (the emulator) and, for managed identity tokens, the IMDS address
 * 169.254.169.254; everything else must be https.
 * Cancellation: http_client_cancel() aborts every transfer in flight (curl's progress callback checks a
 * generation counter) within well under a second; transfers started afterwards run normally
 * (StopProvider cancels but the process keeps serving).
 * Request/response logging at DEBUG/TRACE through tflog, with Authorization and secret-bearing fields redacted.
 * Thread-safe: one http_client serves concurrent RPCs.
 */
#ifndef FOUNDRY_INTERNAL_HTTP_HTTP_H
#define FOUNDRY_INTERNAL_HTTP_HTTP_H

#include <stddef.h>

#include "../common/fy_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Once per process, before threads (curl_global_init). */
int http_global_init(void);

typedef struct http_client http_client;

typedef struct http_options {
	const char *user_agent; /* full User-Agent value */
	long connect_timeout_ms; /* 0 = 30 s */
	const char *ca_file; /* extra CA bundle (tests); NULL = system */
	const char *ca_pem; /* trust exactly these PEM certificates instead (a private CA); NULL = as above */
	/* Connect elsewhere than DNS says, as curl's --connect-to: "host:port:address:port" entries, NULL-terminated
	 * (private endpoints, split DNS, tests). TLS still verifies the URL's host name. */
	const char *const *connect_to;
} http_options;

int http_client_new(http_client **out, const http_options *opts);
void http_client_free(http_client *c);
void http_client_cancel(http_client *c);
/* The cancellation generation (bumped by every http_client_cancel). Callers that do more than one transfer for
 * one logical operation (arm retries, auth's Azure CLI wait) capture it once and pass it to http_do_since, or
 * compare it, so a cancel between two transfers is not missed. */
unsigned long http_client_generation(const http_client *c);
/* Connections opened so far by this client (for tests and benchmarks). */
long http_client_connections_opened(const http_client *c);

typedef struct http_request {
	const char *method; /* "GET", "PUT", "POST", "DELETE", "PATCH" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
	const char *body; /* may be NULL */
	size_t body_len;
	long timeout_ms; /* whole transfer; 0 = 5 min */
	const char *log_module; /* tflog module, e.g. "foundry.arm"; NULL = "foundry.http" */
	int redact_response_body; /* addition: the body is a credential under a key tflog does not know (an OIDC
	                               * ID token response {"value": ...}); log it as "[REDACTED]" */
} http_request;

typedef struct http_response {
	long status;
	char *body; /* NUL-terminated; "" when empty */
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
/* Sleep `ms` unless http_client_cancel() runs (or ran) after `generation` was captured: 0, or FY_ECANCELED at
 * once. Retry back-offs use it so StopProvider also cuts waits short. */
int http_client_sleep(http_client *c, unsigned long generation, long ms);
/* http_do, but the transfer counts as cancelled if http_client_cancel() ran after `generation` was captured. */
int http_do_since(http_response **out, http_client *c, const http_request *req, unsigned long generation);
const char *http_response_header(const http_response *r, const char *name); /* case-insensitive; NULL if absent */
void http_response_free(http_response *r);
/* Retry-After in milliseconds (delay-seconds or an HTTP-date, parsed by curl_getdate); -1 when absent or
 * unparsable; 0 for a date in the past. */
long http_response_retry_after_ms(const http_response *r);

/* URL helpers. */
/* 1 for https://, or http:// to 127.0.0.0/8, ::1, localhost, and the link-local IMDS address 169.254.169.254
 * (Azure serves managed identity tokens there over plain http only); 0 otherwise. Parsed with CURLU. */
int http_url_is_allowed(const char *url);
/* The same for an endpoint a user configures (ARM, the Entra ID authority): https://, or http:// to loopback only.
 * The IMDS address serves tokens, not ARM, so `http://169.254.169.254` is refused there. */
int http_url_is_endpoint_allowed(const char *url);
char *http_url_encode(const char *s); /* malloc'd, percent-encoded (curl_easy_escape) */
/* *out = url with "&name=value" (or "?name=value") appended, value percent-encoded; malloc'd. */
int http_url_append_query(char **out, const char *url, const char *name, const char *value);
/* 1 when the query string has a parameter `name` (case-insensitive). */
int http_url_has_query_param(const char *url, const char *name);
/* 1 when both URLs have the same scheme, host and port (a nextLink or polling URL must not take the bearer
 * token to another host). */
int http_url_same_origin(const char *a, const char *b);

#ifdef __cplusplus
}
#endif
#endif
