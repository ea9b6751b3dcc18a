/*
 * auth token sources: Entra ID client credentials (secret, certificate assertion, federated OIDC token),
 * managed identity (IMDS form) and the Azure CLI (docs/internals/arm.md 4.2).
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../log/tflog.h"
#include "../common/fy_os.h"
#include "../common/fy_time.h"
#include "auth_internal.h"

extern char **environ;

#define AUTH_HTTP_TIMEOUT_MS 60000L
#define AUTH_HTTP_ATTEMPTS 3
#define AUTH_HTTP_BACKOFF_MS 500L
#define AUTH_HTTP_BACKOFF_MAX_MS 5000L
#define AUTH_FILE_MAX (1024 * 1024)
#define AUTH_MSG_MAX 400 /* error descriptions quoted in messages */

/* ------------------------------------------------------------------ small helpers */

int auth_read_file(char **out, const char *path)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return fy_error_set(FY_EIO, "%s: %s", path, strerror(errno));
	char *buf = malloc(AUTH_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	size_t n = fread(buf, 1, AUTH_FILE_MAX + 1, f);
	int err = ferror(f);
	fclose(f);
	if (err || n > AUTH_FILE_MAX) {
		free(buf);
		return fy_error_set(FY_EIO, "%s: %s", path, err ? "read error" : "file too large");
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* First line of `s`, at most AUTH_MSG_MAX bytes (AAD descriptions carry trace ids on later lines). */
static void first_line(char *dst, size_t n, const char *s)
{
	size_t i = 0;
	while (s && s[i] && s[i] != '\r' && s[i] != '\n' && i + 1 < n && i < AUTH_MSG_MAX) {
		dst[i] = s[i];
		i++;
	}
	dst[i] = '\0';
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* Token lifetimes beyond this are not believed (Entra ID, IMDS and the CLI issue hours, not weeks); the bound also
 * keeps `now + expires_in` and the double-to-integer conversion of a hostile value defined. */
#define AUTH_MAX_LIFETIME_S (7L * 24L * 3600L)
#define AUTH_MAX_EPOCH 32503680000LL /* year 3000 */
/* Assumed when a token endpoint states no lifetime. It must exceed the refresh margin (300 s by default) or the
 * token would be fetched again on every call; Entra ID issues 60-90 minute tokens, and a 401 from ARM invalidates
 * a token that expired sooner (auth_credential_invalidate), so guessing an hour is safe. */
#define AUTH_DEFAULT_LIFETIME_S 3600L

/* A JSON number or a numeric string (IMDS and App Service send epoch strings), saturated at AUTH_MAX_EPOCH;
 * -1 when absent or negative. */
static long long json_int(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0)) /* negative or NaN */
			return -1;
		return v->valuedouble < (double)AUTH_MAX_EPOCH ? (long long)v->valuedouble : AUTH_MAX_EPOCH;
	}
	if (cJSON_IsString(v) && v->valuestring && *v->valuestring) {
		char *end;
		long long r = strtoll(v->valuestring, &end, 10); /* saturates at LLONG_MAX */
		if (*end == '\0' && r >= 0)
			return r < AUTH_MAX_EPOCH ? r : AUTH_MAX_EPOCH;
	}
	return -1;
}

/* expires_on (epoch) or expires_in (seconds) -> when the token expires, at most AUTH_MAX_LIFETIME_S from now. */
static time_t token_expiry(long long on, long long in)
{
	time_t now = time(NULL);
	if (on > 0)
		return on < (long long)now + AUTH_MAX_LIFETIME_S ? (time_t)on : now + AUTH_MAX_LIFETIME_S;
	if (in > 0)
		return now + (time_t)(in < AUTH_MAX_LIFETIME_S ? in : AUTH_MAX_LIFETIME_S);
	return now + AUTH_DEFAULT_LIFETIME_S; /* no lifetime given */
}

/* "HTTP 401 invalid_client: AADSTS7000215: ..." from an Entra ID / IMDS error body. */
static void describe_error_body(char *dst, size_t n, const http_response *r)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	char desc[AUTH_MSG_MAX + 1] = "";
	const char *code = NULL;
	if (j) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
		if (cJSON_IsObject(e)) { /* ARM-style envelope */
			code = json_str(e, "code");
			first_line(desc, sizeof(desc), json_str(e, "message"));
		} else {
			code = json_str(j, "error");
			first_line(desc, sizeof(desc), json_str(j, "error_description"));
		}
	} else {
		first_line(desc, sizeof(desc), r->body);
	}
	snprintf(dst, n, "HTTP %ld%s%s%s%s", r->status, code ? " " : "", code ? code : "", desc[0] ? ": " : "", desc);
	cJSON_Delete(j);
}

/* One token-ish HTTP exchange with a short retry policy of its own: 429, 5xx (and for IMDS 404/410, which it
 * answers while the identity is being assigned) and connection failures. Token requests are safe to repeat. */
static int auth_http(http_response **out, auth_credential *c, unsigned long gen, const http_request *req, int imds)
{
	*out = NULL;
	long delay = AUTH_HTTP_BACKOFF_MS;
	for (int attempt = 1;; attempt++) {
		int rc = http_do_since(out, c->http, req, gen);
		long wait = delay;
		if (rc == 0) {
			long s = (*out)->status;
			int retry = s == 429 || s >= 500 || (imds && (s == 404 || s == 410));
			if (!retry || attempt >= AUTH_HTTP_ATTEMPTS)
				return 0;
			long ra = http_response_retry_after_ms(*out);
			if (ra >= 0)
				wait = ra < AUTH_HTTP_BACKOFF_MAX_MS ? ra : AUTH_HTTP_BACKOFF_MAX_MS;
			tflog(TFLOG_DEBUG, "foundry.auth", "%s %s answered %ld, retrying in %ld ms", req->method,
				req->url, s, wait);
			http_response_free(*out);
			*out = NULL;
		} else if (rc == FY_EIO || rc == FY_ETIMEOUT) {
			if (attempt >= AUTH_HTTP_ATTEMPTS)
				return rc;
			tflog(TFLOG_DEBUG, "foundry.auth", "%s, retrying in %ld ms", fy_error_last()->message, wait);
		} else {
			return rc;
		}
		if (http_client_sleep(c->http, gen, wait))
			return fy_error_set(FY_ECANCELED, "%s %s: cancelled", req->method, req->url);
		delay = delay * 2 < AUTH_HTTP_BACKOFF_MAX_MS ? delay * 2 : AUTH_HTTP_BACKOFF_MAX_MS;
	}
}

/* {"access_token", "expires_in" | "expires_on"} -> token. */
int auth_parse_token_response(auth_token *t, const auth_credential *c, const http_response *r, const char *url)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const char *tok = j ? json_str(j, "access_token") : NULL;
	if (!tok || !*tok) {
		cJSON_Delete(j);
		return fy_error_set(
			FY_EAUTH, "%s: %s answered %ld without an access_token", auth_method_name(c), url, r->status);
	}
	t->expires_at = token_expiry(json_int(j, "expires_on"), json_int(j, "expires_in"));
	t->token = strdup(tok);
	cJSON_Delete(j);
	if (!t->token)
		return fy_error_set(FY_ENOMEM, "out of memory");
	tflog_add_secret(t->token);
	return 0;
}

static int append_form(char **body, const char *name, const char *value, int secret)
{
	char *enc = http_url_encode(value);
	if (!enc)
		return FY_ENOMEM;
	if (secret) /* the form-encoded spelling can differ from the raw secret */
		tflog_add_secret(enc);
	char *nb;
	int n = asprintf(&nb, "%s%s%s=%s", *body ? *body : "", *body ? "&" : "", name, enc);
	free(enc);
	if (n < 0)
		return FY_ENOMEM;
	free(*body);
	*body = nb;
	return 0;
}

/* ------------------------------------------------------------------ client credentials */

int auth_fetch_client_credentials(
	auth_token *t, auth_credential *c, unsigned long gen, const char *field, const char *value)
{
	char *body = NULL;
	int rc = append_form(&body, "grant_type", "client_credentials", 0);
	rc = rc ? rc : append_form(&body, "client_id", c->client_id, 0);
	rc = rc ? rc : append_form(&body, "scope", c->scope, 0);
	if (strcmp(field, "client_assertion") == 0)
		rc = rc ? rc
			: append_form(&body, "client_assertion_type",
				  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", 0);
	rc = rc ? rc : append_form(&body, field, value, 1);
	if (rc) {
		free(body);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
	http_request req = {.method = "POST",
		.url = c->token_url,
		.headers = headers,
		.body = body,
		.body_len = strlen(body),
		.timeout_ms = AUTH_HTTP_TIMEOUT_MS,
		.log_module = "foundry.auth"};
	http_response *r = NULL;
	rc = auth_http(&r, c, gen, &req, 0);
	free(body);
	if (rc)
		return auth_fail(rc, c, "token request failed");
	if (r->status != 200) {
		char why[600];
		describe_error_body(why, sizeof(why), r);
		http_response_free(r);
		return fy_error_set(
			FY_EAUTH, "%s: token request to %s failed: %s", auth_method_name(c), c->token_url, why);
	}
	rc = auth_parse_token_response(t, c, r, c->token_url);
	http_response_free(r);
	return rc;
}

int auth_fetch_certificate(auth_token *t, auth_credential *c, unsigned long gen)
{
	char *jwt = NULL;
	int rc = auth_cert_assertion(&jwt, c);
	if (rc)
		return rc;
	tflog_add_secret(jwt);
	rc = auth_fetch_client_credentials(t, c, gen, "client_assertion", jwt);
	free(jwt);
	return rc;
}

/* ------------------------------------------------------------------ OIDC */

/* GitHub Actions style: GET <request url>&audience=api://AzureADTokenExchange, bearer request token, {"value"}. */
static int oidc_request(char **out, auth_credential *c, unsigned long gen)
{
	*out = NULL;
	char *url = NULL;
	int rc = http_url_append_query(&url, c->oidc_request_url, "audience", "api://AzureADTokenExchange");
	if (rc)
		return auth_fail(rc, c, "oidc_request_url");
	char *authz = NULL;
	if (asprintf(&authz, "Authorization: Bearer %s", c->oidc_request_token) < 0) {
		free(url);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	const char *headers[] = {authz, "Accept: application/json", NULL};
	http_request req = {.method = "GET",
		.url = url,
		.headers = headers,
		.timeout_ms = AUTH_HTTP_TIMEOUT_MS,
		.log_module = "foundry.auth",
		.redact_response_body = 1};
	http_response *r = NULL;
	rc = auth_http(&r, c, gen, &req, 0);
	free(authz);
	if (rc) {
		free(url);
		return auth_fail(rc, c, "requesting an ID token failed");
	}
	if (r->status != 200) {
		char why[600];
		describe_error_body(why, sizeof(why), r);
		rc = fy_error_set(
			FY_EAUTH, "OIDC: requesting an ID token from %s failed: %s", c->oidc_request_url, why);
	} else {
		cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
		const char *v = j ? json_str(j, "value") : NULL;
		if (!v || !*v)
			rc = fy_error_set(
				FY_EAUTH, "OIDC: the ID token response from %s has no \"value\"", c->oidc_request_url);
		else if (!(*out = strdup(v)))
			rc = fy_error_set(FY_ENOMEM, "out of memory");
		else
			tflog_add_secret(*out);
		cJSON_Delete(j);
	}
	http_response_free(r);
	free(url);
	return rc;
}

int auth_fetch_oidc(auth_token *t, auth_credential *c, unsigned long gen)
{
	char *assertion = NULL;
	int rc = 0;
	if (c->oidc_token) {
		assertion = strdup(c->oidc_token);
		if (!assertion)
			return fy_error_set(FY_ENOMEM, "out of memory");
	} else if (c->oidc_token_file) {
		/* Re-read every time: workload identity rotates the projected token file. */
		if ((rc = auth_read_file(&assertion, c->oidc_token_file)) < 0)
			return auth_fail(FY_EAUTH, c, "reading oidc_token_file_path");
		if (!*assertion) {
			free(assertion);
			return fy_error_set(FY_EAUTH, "OIDC: oidc_token_file_path %s is empty", c->oidc_token_file);
		}
		tflog_add_secret(assertion);
	} else if ((rc = oidc_request(&assertion, c, gen)) < 0) {
		return rc;
	}
	rc = auth_fetch_client_credentials(t, c, gen, "client_assertion", assertion);
	free(assertion);
	return rc;
}

/* ------------------------------------------------------------------ managed identity */

int auth_fetch_msi(auth_token *t, auth_credential *c, unsigned long gen)
{
	/* IMDS wants the resource (the audience), not a scope. */
	char *u1 = NULL, *u2 = NULL, *url = NULL;
	int rc = 0;
	if (http_url_has_query_param(c->msi_endpoint, "api-version"))
		u1 = strdup(c->msi_endpoint);
	else
		rc = http_url_append_query(&u1, c->msi_endpoint, "api-version", "2018-02-01");
	if (!rc && !u1)
		rc = fy_error_set(FY_ENOMEM, "out of memory");
	rc = rc ? rc : http_url_append_query(&u2, u1, "resource", c->audience);
	if (!rc && c->client_id)
		rc = http_url_append_query(&url, u2, "client_id", c->client_id);
	else if (!rc) {
		url = u2;
		u2 = NULL;
	}
	free(u1);
	free(u2);
	if (rc)
		return auth_fail(rc, c, "msi_endpoint");
	const char *headers[] = {"Metadata: true", "Accept: application/json", NULL};
	http_request req = {.method = "GET",
		.url = url,
		.headers = headers,
		.timeout_ms = AUTH_HTTP_TIMEOUT_MS,
		.log_module = "foundry.auth"};
	http_response *r = NULL;
	rc = auth_http(&r, c, gen, &req, 1);
	if (rc) {
		free(url);
		return auth_fail(rc, c, "token request failed");
	}
	if (r->status != 200) {
		char why[600];
		describe_error_body(why, sizeof(why), r);
		rc = fy_error_set(FY_EAUTH, "managed identity: token request to %s failed: %s", c->msi_endpoint, why);
	} else {
		rc = auth_parse_token_response(t, c, r, c->msi_endpoint);
	}
	http_response_free(r);
	free(url);
	return rc;
}

/* ------------------------------------------------------------------ Azure CLI */

typedef struct cap {
	char *buf;
	size_t len, cap;
} cap;

static int cap_read(cap *b, int fd)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN) ? 1 : 0;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 8192;
		while (nc < b->len + (size_t)n + 1)
			nc *= 2;
		if (nc > AUTH_FILE_MAX)
			return 1; /* drop the excess, keep draining so the child never blocks */
		char *nb = realloc(b->buf, nc);
		if (!nb)
			return 1;
		b->buf = nb;
		b->cap = nc;
	}
	memcpy(b->buf + b->len, tmp, (size_t)n);
	b->len += (size_t)n;
	b->buf[b->len] = '\0';
	return 1;
}

/* "expiresOn": "2026-11-25 17:05:44.123456" in local time (CLI < 2.54 has no expires_on). */
static time_t parse_local_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end)
		return (time_t)-1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The token in `az account get-access-token -o json`'s output. */
int auth_parse_cli_output(auth_token *t, const char *output)
{
	int rc = 0;
	cJSON *j = output ? cJSON_Parse(output) : NULL;
	const char *tok = j ? json_str(j, "accessToken") : NULL;
	if (!tok || !*tok) {
		rc = fy_error_set(FY_EAUTH, "Azure CLI: `az account get-access-token` printed no accessToken");
	} else {
		long long on = json_int(j, "expires_on");
		const char *eon = json_str(j, "expiresOn");
		if (on <= 0 && eon) {
			time_t local = parse_local_time(eon);
			on = local == (time_t)-1 ? -1 : (long long)local;
		}
		t->token = strdup(tok);
		t->expires_at = token_expiry(on, -1);
		if (!t->token)
			rc = fy_error_set(FY_ENOMEM, "out of memory");
		else
			tflog_add_secret(t->token);
	}
	cJSON_Delete(j);
	return rc;
}

int auth_fetch_cli(auth_token *t, auth_credential *c, unsigned long gen)
{
	/* argv, no shell; az found on PATH by posix_spawnp. With a tenant_id, ask for that tenant (as azidentity's
	 * AzureCLICredential does). */
	char *argv[] = {"az", "account", "get-access-token", "--resource", c->audience, "-o", "json", NULL, NULL, NULL};
	if (c->tenant_id) {
		argv[7] = "--tenant";
		argv[8] = c->tenant_id;
	}
	int out_p[2] = {-1, -1}, err_p[2] = {-1, -1};
	if (fy_os_pipe(out_p, 0) < 0 || fy_os_pipe(err_p, 0) < 0) {
		int e = errno;
		for (int i = 0; i < 2; i++) {
			if (out_p[i] >= 0)
				close(out_p[i]);
			if (err_p[i] >= 0)
				close(err_p[i]);
		}
		return fy_error_set(FY_EAUTH, "Azure CLI: pipe: %s", strerror(e));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
	pid_t pid;
	posix_spawnattr_t sa;
	int se = fy_os_spawnattr_init(&sa);
	if (se == 0) {
		se = posix_spawnp(&pid, "az", &fa, &sa, argv, environ);
		posix_spawnattr_destroy(&sa);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(out_p[1]);
	close(err_p[1]);
	if (se != 0) {
		close(out_p[0]);
		close(err_p[0]);
		if (se == ENOENT)
			return fy_error_set(FY_EAUTH,
				"Azure CLI: `az` was not found on PATH (install the Azure CLI and run "
				"`az login`, or configure another authentication method)");
		return fy_error_set(FY_EAUTH, "Azure CLI: running az: %s", strerror(se));
	}

	cap out = {0}, err = {0};
	struct pollfd pfd[2] = {{.fd = out_p[0], .events = POLLIN}, {.fd = err_p[0], .events = POLLIN}};
	int open_fds = 2, rc = 0;
	long deadline = fy_now_ms() + c->cli_timeout_ms;
	while (open_fds > 0) {
		/* 100 ms slices so StopProvider is noticed promptly. */
		int n = poll(pfd, 2, 100);
		if (n < 0 && errno != EINTR) {
			rc = fy_error_set(FY_EAUTH, "Azure CLI: poll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < 2 && n > 0; i++) {
			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!cap_read(i == 0 ? &out : &err, pfd[i].fd)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			}
		}
		if (c->http && http_client_generation(c->http) != gen) {
			rc = fy_error_set(FY_ECANCELED, "Azure CLI: cancelled");
			break;
		}
		if (fy_now_ms() > deadline) {
			rc = fy_error_set(FY_EAUTH,
				"Azure CLI: `az account get-access-token` did not finish within %ld s",
				c->cli_timeout_ms / 1000);
			break;
		}
	}
	for (int i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (rc < 0)
		kill(pid, SIGKILL);
	int status = 0;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (rc == 0 && w == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char why[AUTH_MSG_MAX + 1] = "";
		/* az prints its reason on stderr ("ERROR: Please run 'az login' to setup account."). */
		const char *e = err.buf ? err.buf : "";
		while (*e == '\n' || *e == '\r' || *e == ' ')
			e++;
		first_line(why, sizeof(why), e);
		if (WIFEXITED(status))
			rc = fy_error_set(FY_EAUTH,
				"Azure CLI: `az account get-access-token` exited with status %d: %s",
				WEXITSTATUS(status), why[0] ? why : "(no output on stderr)");
		else
			rc = fy_error_set(FY_EAUTH, "Azure CLI: `az account get-access-token` was killed by signal %d",
				WTERMSIG(status));
	}
	if (rc == 0)
		rc = auth_parse_cli_output(
			t, out.buf); /* w < 0 (ECHILD when SIGCHLD is ignored): judge by the output */
	free(out.buf);
	free(err.buf);
	return rc;
}
