/*
 * http: libcurl behind a small synchronous API (http.h).
 *
 * One CURLSH per http_client shares the connection cache, DNS cache and TLS sessions between every transfer
 * of the process, so sequential and concurrent ARM calls reuse keep-alive (or HTTP/2) connections instead of
 * opening one per call. Each http_do drives its easy handle through a private multi handle polled in 100 ms
 * slices: that is what lets http_client_cancel() abort a transfer that is waiting on a silent server well within
 * a second (curl_easy_perform only calls the progress callback about once per second when idle).
 */
#define _GNU_SOURCE
#include "http.h"
#include "../common/fy_os.h"
#include "../common/fy_time.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../common/fy_arena.h"
#include "../log/tflog.h"

#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 30000L
#define HTTP_DEFAULT_TIMEOUT_MS (5L * 60L * 1000L)
/* No ARM, token or gateway answer comes near this (a connection is a few KiB): a larger body is a proxy or a fault,
 * and four concurrent 60 MB bodies once took the process to 1 GB. */
#define HTTP_MAX_BODY (4u * 1024u * 1024u)
#define HTTP_POLL_SLICE_MS 100 /* cancellation latency bound */
#define HTTP_LOG_BODY_MAX 16384 /* keep DEBUG lines readable */
/* Connections the shared pool may hold (busy + idle). Above the provider's concurrency (Terraform's
 * -parallelism, 10 by default, plus token requests), so a finished transfer never has to evict one. */
#define HTTP_POOL_MAX_CONNECTIONS 64L

struct http_client {
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	char *user_agent;
	long connect_timeout_ms;
	char *ca_file;
	char *ca_pem;
	struct curl_slist *connect_to;
	atomic_ulong generation;
	atomic_long connections_opened;
	/* http_client_sleep waits here; http_client_cancel broadcasts. */
	pthread_mutex_t sleep_mu;
	pthread_cond_t sleep_cv;
};

/* ------------------------------------------------------------------ global init */

static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;
static CURLcode g_init_rc = CURLE_OK;
/*
 * One trust rule for every build and every request (ARM, identity endpoints, the gateway check without
 * ca_certificate): SSL_CERT_FILE / SSL_CERT_DIR when set, as OpenSSL and Go read them; else the system's store.
 * Debian's libcurl passes its compiled-in bundle to OpenSSL explicitly, which would hide SSL_CERT_FILE, so the rule
 * is applied here rather than left to the library; the lean release's curl has no bundle compiled in, so the
 * system's is found at run time (the paths Go's crypto/x509 reads).
 */
static const char *g_trust_file, *g_trust_dir;
static const char *g_system_ca;

static const char *env_nonempty(const char *name)
{
	const char *s = getenv(name);
	return s != NULL && *s ? s : NULL;
}

/* Where distributions keep their bundle: Debian/Ubuntu/Gentoo, Fedora/RHEL, openSUSE, OpenELEC, CentOS/RHEL 7,
 * Alpine. NULL when libcurl has its own. */
static const char *find_system_ca(void)
{
	static const char *const bundles[] = {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/ca-bundle.pem", "/etc/pki/tls/cacert.pem",
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"};
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (v->age >= 9 && v->cainfo != NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(bundles) / sizeof(bundles[0]); i++)
		if (access(bundles[i], R_OK) == 0)
			return bundles[i];
	return NULL;
}

static void global_init_once(void)
{
	g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	g_trust_file = env_nonempty("SSL_CERT_FILE");
	g_trust_dir = env_nonempty("SSL_CERT_DIR");
	g_system_ca = g_trust_file || g_trust_dir ? NULL : find_system_ca();
}

int http_global_init(void)
{
	pthread_once(&g_init_once, global_init_once);
	if (g_init_rc != CURLE_OK)
		return fy_error_set(FY_ERROR, "curl_global_init: %s", curl_easy_strerror(g_init_rc));
	return 0;
}

/* ------------------------------------------------------------------ client */

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userptr)
{
	(void)handle;
	(void)access;
	http_client *c = userptr;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userptr)
{
	(void)handle;
	http_client *c = userptr;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_locks[data]);
}

int http_client_new(http_client **out, const http_options *opts)
{
	*out = NULL;
	int rc = http_global_init();
	if (rc)
		return rc;
	http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return fy_error_set(FY_ENOMEM, "http client: out of memory");
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	atomic_init(&c->generation, 0);
	atomic_init(&c->connections_opened, 0);
	pthread_mutex_init(&c->sleep_mu, NULL);
	fy_os_cond_init_monotonic(&c->sleep_cv);
	const char *ua = opts && opts->user_agent ? opts->user_agent : "terraform-provider-foundry/" FOUNDRY_VERSION;
	c->user_agent = strdup(ua);
	c->connect_timeout_ms =
		opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
	if (opts && opts->ca_file)
		c->ca_file = strdup(opts->ca_file);
	if (opts && opts->ca_pem)
		c->ca_pem = strdup(opts->ca_pem);
	int list_ok = 1;
	for (const char *const *ct = opts ? opts->connect_to : NULL; ct && *ct && list_ok; ct++) {
		struct curl_slist *n = curl_slist_append(c->connect_to, *ct);
		list_ok = n != NULL;
		if (n)
			c->connect_to = n;
	}
	c->share = curl_share_init();
	if (!c->user_agent || (opts && opts->ca_file && !c->ca_file) || (opts && opts->ca_pem && !c->ca_pem) ||
		!list_ok || !c->share) {
		http_client_free(c);
		return fy_error_set(FY_ENOMEM, "http client: out of memory");
	}
	/* The lock callbacks make the share safe for concurrent transfers on several RPC threads. */
	CURLSHcode sc = CURLSHE_OK;
	sc |= curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
	sc |= curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	sc |= curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	sc |= curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	sc |= curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	sc |= curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (sc != CURLSHE_OK) {
		http_client_free(c);
		return fy_error_set(FY_ERROR, "http client: configuring the curl share failed");
	}
	*out = c;
	return 0;
}

void http_client_free(http_client *c)
{
	if (!c)
		return;
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->sleep_mu);
	pthread_cond_destroy(&c->sleep_cv);
	free(c->user_agent);
	free(c->ca_file);
	free(c->ca_pem);
	curl_slist_free_all(c->connect_to);
	free(c);
}

void http_client_cancel(http_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->sleep_mu);
	atomic_fetch_add(&c->generation, 1);
	pthread_cond_broadcast(&c->sleep_cv);
	pthread_mutex_unlock(&c->sleep_mu);
}

int http_client_sleep(http_client *c, unsigned long generation, long ms)
{
	if (!c)
		return 0;
	struct timespec until;
	fy_deadline_ms(&until, ms);
	int rc = 0;
	pthread_mutex_lock(&c->sleep_mu);
	for (;;) {
		if (atomic_load(&c->generation) != generation) {
			rc = fy_error_set(FY_ECANCELED, "cancelled");
			break;
		}
		if (ms <= 0 || fy_os_cond_timedwait(&c->sleep_cv, &c->sleep_mu, &until) == ETIMEDOUT) {
			if (atomic_load(&c->generation) != generation)
				rc = fy_error_set(FY_ECANCELED, "cancelled");
			break;
		}
	}
	pthread_mutex_unlock(&c->sleep_mu);
	return rc;
}

unsigned long http_client_generation(const http_client *c)
{
	return c ? atomic_load(&((http_client *)c)->generation) : 0;
}

long http_client_connections_opened(const http_client *c)
{
	return c ? atomic_load(&((http_client *)c)->connections_opened) : 0;
}

/* ------------------------------------------------------------------ URL helpers */

static int host_is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	char buf[64];
	size_t n = strlen(host);
	if (n >= 2 && n < sizeof(buf) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		struct in6_addr a6;
		if (inet_pton(AF_INET6, buf, &a6) == 1)
			return IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return 0;
}

/* Scheme and host through CURLU (never by hand): 0 or FY_EINVALID. Outputs are curl_free()'d by the caller. */
static int url_parts(const char *url, char **scheme, char **host, char **port)
{
	*scheme = *host = NULL;
	if (port)
		*port = NULL;
	if (!url)
		return FY_EINVALID;
	CURLU *u = curl_url();
	if (!u)
		return FY_ENOMEM;
	int rc = FY_EINVALID;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
		(!port || curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK))
		rc = 0;
	curl_url_cleanup(u);
	if (rc) {
		curl_free(*scheme);
		curl_free(*host);
		*scheme = *host = NULL;
		if (port) {
			curl_free(*port);
			*port = NULL;
		}
	}
	return rc;
}

static int url_allowed(const char *url, int imds)
{
	char *scheme, *host;
	if (url_parts(url, &scheme, &host, NULL))
		return 0;
	int ok = 0;
	if (strcasecmp(scheme, "https") == 0)
		ok = 1;
	else if (strcasecmp(scheme, "http") == 0)
		/* Plain http only where nothing can sit in between: loopback (the emulator, App Service / Arc
		 * managed identity endpoints) and, for managed identity only, the link-local IMDS address, which
		 * Azure serves over http only. */
		ok = host_is_loopback(host) || (imds && strcmp(host, "169.254.169.254") == 0);
	curl_free(scheme);
	curl_free(host);
	return ok;
}

int http_url_is_allowed(const char *url)
{
	return url_allowed(url, 1);
}

int http_url_is_endpoint_allowed(const char *url)
{
	return url_allowed(url, 0);
}

int http_url_same_origin(const char *a, const char *b)
{
	char *sa, *ha, *pa, *sb, *hb, *pb;
	if (url_parts(a, &sa, &ha, &pa))
		return 0;
	if (url_parts(b, &sb, &hb, &pb)) {
		curl_free(sa);
		curl_free(ha);
		curl_free(pa);
		return 0;
	}
	int same = strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
	curl_free(sa);
	curl_free(ha);
	curl_free(pa);
	curl_free(sb);
	curl_free(hb);
	curl_free(pb);
	return same;
}

char *http_url_encode(const char *s)
{
	if (!s)
		return NULL;
	char *e = curl_easy_escape(NULL, s, (int)strlen(s));
	if (!e)
		return NULL;
	char *r = strdup(e);
	curl_free(e);
	return r;
}

int http_url_append_query(char **out, const char *url, const char *name, const char *value)
{
	*out = NULL;
	CURLU *u = curl_url();
	if (!u)
		return fy_error_set(FY_ENOMEM, "out of memory");
	int rc = 0;
	char *pair = NULL, *res = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		rc = fy_error_set(FY_EINVALID, "not a valid URL: %s", url);
		goto done;
	}
	if (asprintf(&pair, "%s=%s", name, value ? value : "") < 0) {
		pair = NULL;
		rc = fy_error_set(FY_ENOMEM, "out of memory");
		goto done;
	}
	/* CURLU_URLENCODE with APPENDQUERY encodes the part after '=' only. */
	if (curl_url_set(u, CURLUPART_QUERY, pair, CURLU_APPENDQUERY | CURLU_URLENCODE) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_URL, &res, 0) != CURLUE_OK) {
		rc = fy_error_set(FY_EINVALID, "cannot add %s to URL %s", name, url);
		goto done;
	}
	*out = strdup(res);
	if (!*out)
		rc = fy_error_set(FY_ENOMEM, "out of memory");
done:
	curl_free(res);
	free(pair);
	curl_url_cleanup(u);
	return rc;
}

int http_url_has_query_param(const char *url, const char *name)
{
	CURLU *u = curl_url();
	if (!u)
		return 0;
	char *q = NULL;
	int found = 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK && q) {
		size_t n = strlen(name);
		for (const char *p = q; p && *p;) {
			if (strncasecmp(p, name, n) == 0 && (p[n] == '=' || p[n] == '&' || p[n] == '\0')) {
				found = 1;
				break;
			}
			p = strchr(p, '&');
			if (p)
				p++;
		}
	}
	curl_free(q);
	curl_url_cleanup(u);
	return found;
}

/* ------------------------------------------------------------------ response */

typedef struct xfer {
	http_client *client;
	unsigned long generation;
	char *body;
	size_t body_len, body_cap;
	int too_big;
	size_t hcount, hcap;
	char **hnames, **hvalues;
	int oom;
} xfer;

static void xfer_clear_headers(xfer *x)
{
	for (size_t i = 0; i < x->hcount; i++) {
		free(x->hnames[i]);
		free(x->hvalues[i]);
	}
	x->hcount = 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	xfer *x = userdata;
	size_t n = size * nmemb;
	if (x->body_len + n + 1 > HTTP_MAX_BODY) {
		x->too_big = 1;
		return 0;
	}
	if (x->body_len + n + 1 > x->body_cap) {
		size_t cap = x->body_cap ? x->body_cap : 4096;
		while (cap < x->body_len + n + 1)
			cap *= 2;
		char *nb = realloc(x->body, cap);
		if (!nb) {
			x->oom = 1;
			return 0;
		}
		x->body = nb;
		x->body_cap = cap;
	}
	memcpy(x->body + x->body_len, ptr, n);
	x->body_len += n;
	x->body[x->body_len] = '\0';
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	xfer *x = userdata;
	size_t n = size * nitems;
	/* A new status line (after 100 Continue) starts a new header block. */
	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		xfer_clear_headers(x);
		return n;
	}
	const char *colon = memchr(buf, ':', n);
	if (!colon)
		return n; /* blank line ending the block, or junk */
	size_t nl = (size_t)(colon - buf);
	const char *v = colon + 1, *end = buf + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (x->hcount == x->hcap) {
		size_t cap = x->hcap ? x->hcap * 2 : 16;
		char **nn = realloc(x->hnames, cap * sizeof(char *));
		if (!nn) {
			x->oom = 1;
			return 0;
		}
		x->hnames = nn;
		char **nv = realloc(x->hvalues, cap * sizeof(char *));
		if (!nv) {
			x->oom = 1;
			return 0;
		}
		x->hvalues = nv;
		x->hcap = cap;
	}
	char *name = strndup(buf, nl), *value = strndup(v, (size_t)(end - v));
	if (!name || !value) {
		free(name);
		free(value);
		x->oom = 1;
		return 0;
	}
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	x->hnames[x->hcount] = name;
	x->hvalues[x->hcount] = value;
	x->hcount++;
	return n;
}

static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	xfer *x = clientp;
	/* Non-zero aborts the transfer with CURLE_ABORTED_BY_CALLBACK. */
	return atomic_load(&x->client->generation) != x->generation;
}

const char *http_response_header(const http_response *r, const char *name)
{
	if (!r || !name)
		return NULL;
	for (size_t i = 0; i < r->header_count; i++)
		if (strcasecmp(r->header_names[i], name) == 0)
			return r->header_values[i];
	return NULL;
}

long http_response_retry_after_ms(const http_response *r)
{
	const char *v = http_response_header(r, "retry-after");
	if (!v || !*v)
		return -1;
	char *end;
	long secs = strtol(v, &end, 10);
	if (end != v && *end == '\0')
		return secs < 0 ? -1 : (secs > 86400 ? 86400L * 1000L : secs * 1000L);
	time_t when = curl_getdate(v, NULL);
	if (when < 0)
		return -1;
	time_t now = time(NULL);
	/* A date far ahead (fuzzing found year 1749776752) must not overflow: a day at most, as for seconds. */
	if (when <= now)
		return 0;
	return when - now > 86400 ? 86400L * 1000L : (long)(when - now) * 1000L;
}

void http_response_free(http_response *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->header_count; i++) {
		free(r->header_names[i]);
		free(r->header_values[i]);
	}
	free(r->header_names);
	free(r->header_values);
	free(r->body);
	free(r);
}

/* ------------------------------------------------------------------ logging */

static int header_is_secret(const char *line)
{
	static const char *const names[] = {"authorization", "proxy-authorization", "cookie", "set-cookie", "api-key",
		"x-api-key", "ocp-apim-subscription-key", "x-functions-key", NULL};
	const char *colon = strchr(line, ':');
	size_t n = colon ? (size_t)(colon - line) : strlen(line);
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncasecmp(line, names[i], n) == 0)
			return 1;
	return 0;
}

/* application/x-www-form-urlencoded bodies (token requests): blank the values of credential fields. The
 * values are percent-encoded, so tflog's registry of raw secrets would not necessarily recognise them. */
static char *redact_form(fy_arena *a, const char *body)
{
	static const char *const keys[] = {"client_secret", "client_assertion", "assertion", "password",
		"refresh_token", "access_token", "code", NULL};
	size_t len = strlen(body);
	char *out = fy_arena_alloc(a, len + 16 * (len / 2 + 1) + 1);
	char *o = out;
	const char *p = body;
	while (*p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', seg);
		int secret = 0;
		if (eq)
			for (int i = 0; keys[i]; i++)
				if (strlen(keys[i]) == (size_t)(eq - p) && strncmp(p, keys[i], (size_t)(eq - p)) == 0)
					secret = 1;
		if (secret) {
			size_t kl = (size_t)(eq - p) + 1;
			memcpy(o, p, kl);
			o += kl;
			memcpy(o, "[REDACTED]", 10);
			o += 10;
		} else {
			memcpy(o, p, seg);
			o += seg;
		}
		p += seg;
		if (*p == '&')
			*o++ = *p++;
	}
	*o = '\0';
	return tflog_redact(a, out);
}

static char *log_body(fy_arena *a, const char *body, size_t len, int is_form)
{
	if (!body || len == 0)
		return "";
	char *b = fy_arena_strndup(a, body, len);
	char *r = is_form ? redact_form(a, b) : tflog_redact_json(a, b);
	if (strlen(r) > HTTP_LOG_BODY_MAX)
		r = fy_arena_sprintf(a, "%.*s...(truncated)", HTTP_LOG_BODY_MAX, r);
	return r;
}

static void log_request(const char *module, const http_request *req)
{
	if (!tflog_enabled(TFLOG_DEBUG))
		return;
	fy_arena *a;
	if (fy_arena_new(&a))
		return;
	char *hdrs = "";
	int is_form = 0;
	for (const char *const *h = req->headers; h && *h; h++) {
		const char *line = *h;
		if (header_is_secret(line)) {
			const char *colon = strchr(line, ':');
			int n = colon ? (int)(colon - line) : (int)strlen(line);
			hdrs = fy_arena_sprintf(a, "%s%s%.*s: [REDACTED]", hdrs, *hdrs ? "; " : "", n, line);
		} else {
			hdrs = fy_arena_sprintf(a, "%s%s%s", hdrs, *hdrs ? "; " : "", line);
		}
		if (strncasecmp(line, "content-type:", 13) == 0 && strstr(line, "x-www-form-urlencoded"))
			is_form = 1;
	}
	tflog_kv(TFLOG_DEBUG, module, "HTTP request", "method", req->method, "url", tflog_redact(a, req->url),
		"headers", tflog_redact(a, hdrs), "body", log_body(a, req->body, req->body_len, is_form), NULL);
	fy_arena_free(a);
}

static void log_response(const char *module, const http_request *req, const http_response *r, long ms)
{
	if (!tflog_enabled(TFLOG_DEBUG))
		return;
	fy_arena *a;
	if (fy_arena_new(&a))
		return;
	char *hdrs = "";
	for (size_t i = 0; i < r->header_count; i++) {
		int secret = header_is_secret(r->header_names[i]);
		hdrs = fy_arena_sprintf(a, "%s%s%s: %s", hdrs, *hdrs ? "; " : "", r->header_names[i],
			secret ? "[REDACTED]" : r->header_values[i]);
	}
	const char *ct = http_response_header(r, "content-type");
	int is_form = ct && strstr(ct, "x-www-form-urlencoded");
	tflog_kv(TFLOG_DEBUG, module, "HTTP response", "method", req->method, "url", tflog_redact(a, req->url),
		"status", fy_arena_sprintf(a, "%ld", r->status), "duration_ms", fy_arena_sprintf(a, "%ld", ms),
		"headers", tflog_redact(a, hdrs), "body",
		req->redact_response_body ? "[REDACTED]" : log_body(a, r->body, r->body_len, is_form), NULL);
	fy_arena_free(a);
}

/* ------------------------------------------------------------------ one transfer */

static int setup_easy(CURL *e, http_client *c, const http_request *req, xfer *x, struct curl_slist **hdrs, int loopback)
{
	CURLcode rc = CURLE_OK;
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	rc |= curl_easy_setopt(e, CURLOPT_SHARE, c->share);
	rc |= curl_easy_setopt(e, CURLOPT_URL, req->url);
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* never replay Authorization to another host */
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* threads */
	rc |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* No CURLOPT_PIPEWAIT: a transfer waiting for another transfer's connection to learn whether it multiplexes
	 * goes "pending" in its own multi handle, and only that handle's completions wake it; with one multi per
	 * http_do (connections shared through the CURLSH) nothing would. Sequential requests reuse the connection. */
	rc |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	rc |= curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	rc |= curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	rc |= curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
	if (loopback)
		rc |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* a proxy can never reach our loopback */
	if (c->ca_file) {
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	} else if (c->ca_pem == NULL && (g_trust_file || g_trust_dir)) {
		/* The environment's trust replaces the compiled-in bundle entirely (a NULL option clears it). */
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, g_trust_file);
		rc |= curl_easy_setopt(e, CURLOPT_CAPATH, g_trust_dir);
	} else if (g_system_ca != NULL && c->ca_pem == NULL) {
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO, g_system_ca);
	}
	if (c->ca_pem) {
		struct curl_blob blob = {.data = c->ca_pem, .len = strlen(c->ca_pem), .flags = CURL_BLOB_COPY};
		rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (c->connect_to) {
		rc |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
		rc |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* the caller named the address to reach */
	}

	const char *m = req->method ? req->method : "GET";
	if (strcmp(m, "GET") == 0 && !req->body) {
		rc |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		if (req->body || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0) {
			rc |= curl_easy_setopt(
				e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
			rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		}
	}
	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = curl_slist_append(*hdrs, *h);
		if (!n)
			return FY_ENOMEM;
		*hdrs = n;
	}
	/* No 100-continue round trip for request bodies; ARM does not need it. */
	struct curl_slist *n = curl_slist_append(*hdrs, "Expect:");
	if (!n)
		return FY_ENOMEM;
	*hdrs = n;
	rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, *hdrs);
	return rc == CURLE_OK ? 0 : FY_ERROR;
}

/* Drive one transfer on its own multi handle until it ends, checking for cancellation between slices.
 * *canceled when http_client_cancel() ran meanwhile. */
static CURLcode run_transfer(CURLM *m, http_client *c, unsigned long gen, char *errbuf, int *canceled)
{
	*canceled = 0;
	for (;;) {
		int running = 0;
		CURLMcode mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_multi_strerror(mc));
			return CURLE_FAILED_INIT;
		}
		int q;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &q)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				return msg->data.result;
		if (!running)
			return CURLE_OK;
		if (atomic_load(&c->generation) != gen) {
			*canceled = 1;
			return CURLE_OK;
		}
		mc = curl_multi_poll(m, NULL, 0, HTTP_POLL_SLICE_MS, NULL);
		if (mc != CURLM_OK) {
			snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_multi_strerror(mc));
			return CURLE_FAILED_INIT;
		}
	}
}

/* The outcome of a finished transfer: a response (taking the body and headers out of x), or the error. */
static int finish_transfer(http_response **out, CURL *e, xfer *x, const http_request *req, const char *method,
	CURLcode res, int canceled, const char *errbuf)
{
	const char *module = req->log_module ? req->log_module : "foundry.http";
	if (canceled || res == CURLE_ABORTED_BY_CALLBACK) {
		tflog(TFLOG_DEBUG, module, "%s %s: cancelled", method, req->url);
		return fy_error_set(FY_ECANCELED, "%s %s: cancelled", method, req->url);
	}
	if (x->oom)
		return fy_error_set(FY_ENOMEM, "%s %s: out of memory", method, req->url);
	if (x->too_big)
		return fy_error_set(
			FY_EIO, "%s %s: response body larger than %u bytes", method, req->url, HTTP_MAX_BODY);
	if (res != CURLE_OK) {
		const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(res);
		int rc = res == CURLE_OPERATION_TIMEDOUT
			? fy_error_set(FY_ETIMEOUT, "%s %s: timed out: %s", method, req->url, detail)
			: fy_error_set(FY_EIO, "%s %s: %s", method, req->url, detail);
		tflog(TFLOG_DEBUG, module, "%s", fy_error_last()->message);
		return rc;
	}
	http_response *r = calloc(1, sizeof(*r));
	if (!r || (!x->body && !(x->body = strdup("")))) {
		free(r);
		return fy_error_set(FY_ENOMEM, "%s %s: out of memory", method, req->url);
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = x->body;
	r->body_len = x->body_len;
	r->header_count = x->hcount;
	r->header_names = x->hnames;
	r->header_values = x->hvalues;
	x->body = NULL;
	x->hnames = x->hvalues = NULL;
	x->hcount = 0;
	*out = r;
	return 0;
}

/* Refuse what must never be sent (plain http to a public host), before any connection. */
static int check_request(const http_client *c, const http_request *req, const char *method, unsigned long gen)
{
	if (!req->url)
		return fy_error_set(FY_EINVALID, "%s: no URL", method);
	if (!http_url_is_allowed(req->url))
		return fy_error_set(FY_EINVALID,
			"%s %s: refused: only https:// URLs are allowed (plain http:// only for loopback hosts)",
			method, req->url);
	if (atomic_load(&c->generation) != gen)
		return fy_error_set(FY_ECANCELED, "%s %s: cancelled", method, req->url);
	return 0;
}

static int do_transfer(http_response **out, http_client *c, const http_request *req, unsigned long gen)
{
	*out = NULL;
	const char *module = req->log_module ? req->log_module : "foundry.http";
	const char *method = req->method ? req->method : "GET";
	int rc = check_request(c, req, method, gen);
	if (rc < 0)
		return rc;

	char *scheme = NULL, *host = NULL;
	int loopback = 0;
	if (url_parts(req->url, &scheme, &host, NULL) == 0)
		loopback = host_is_loopback(host);
	curl_free(scheme);
	curl_free(host);

	xfer x = {.client = c, .generation = gen};
	struct curl_slist *hdrs = NULL;
	CURL *e = curl_easy_init();
	CURLM *m = curl_multi_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	/* The pool limit is read from the multi handle of the transfer that finishes with a connection, and it is
	 * compared with the size of the whole shared cache: curl 7.88 defaults it to 4 x the easy handles in that
	 * multi (Curl_conncache_return_conn), which is 4 here. With more than 4 transfers in flight on other
	 * threads every finished transfer closed the oldest idle connection, usually its own, so concurrent
	 * requests opened a connection each. */
	if (!e || !m)
		rc = fy_error_set(FY_ENOMEM, "%s %s: out of memory", method, req->url);
	else if (curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, HTTP_POOL_MAX_CONNECTIONS) != CURLM_OK ||
		(rc = setup_easy(e, c, req, &x, &hdrs, loopback)) < 0)
		rc = fy_error_set(rc < 0 ? rc : FY_ERROR, "%s %s: configuring the transfer failed", method, req->url);
	else if (curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK ||
		curl_multi_add_handle(m, e) != CURLM_OK)
		rc = fy_error_set(FY_ERROR, "%s %s: curl_multi_add_handle failed", method, req->url);
	if (rc == 0) {
		log_request(module, req);
		long t0 = fy_now_ms();
		int canceled;
		CURLcode res = run_transfer(m, c, gen, errbuf, &canceled);
		long conns = 0;
		if (curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK && conns > 0)
			atomic_fetch_add(&c->connections_opened, conns);
		curl_multi_remove_handle(m, e);
		rc = finish_transfer(out, e, &x, req, method, res, canceled, errbuf);
		if (rc == 0)
			log_response(module, req, *out, fy_now_ms() - t0);
	}
	if (m)
		curl_multi_cleanup(m);
	if (e)
		curl_easy_cleanup(e);
	curl_slist_free_all(hdrs);
	xfer_clear_headers(&x);
	free(x.hnames);
	free(x.hvalues);
	free(x.body);
	return rc;
}

int http_do(http_response **out, http_client *c, const http_request *req)
{
	*out = NULL;
	if (!c || !req)
		return fy_error_set(FY_EINVALID, "http_do: no client or request");
	return do_transfer(out, c, req, atomic_load(&c->generation));
}

int http_do_since(http_response **out, http_client *c, const http_request *req, unsigned long generation)
{
	*out = NULL;
	if (!c || !req)
		return fy_error_set(FY_EINVALID, "http_do: no client or request");
	return do_transfer(out, c, req, generation);
}
