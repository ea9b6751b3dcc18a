/*
 * auth: the credential chain and its token cache (auth.h; docs/internals/arm.md 4.1-4.2).
 *
 * Token sources live in auth_sources.c (client credentials, IMDS, Azure CLI) and auth_cert.c (certificate
 * assertion). This file picks the method, holds the cache and serialises refreshes.
 */
#define _GNU_SOURCE
#include "auth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../log/tflog.h"
#include "auth_internal.h"

/* Refresh this long before expiry (azure-sdk and azidentity use 5 minutes). */
#define AUTH_REFRESH_MARGIN_S 300
/* On a failed refresh, a cached token with at least this much life left is still handed out. */
#define AUTH_STALE_GRACE_S 30

static const char *const g_method_names[] = {
	[AUTH_M_SECRET] = "client secret",
	[AUTH_M_CERT] = "client certificate",
	[AUTH_M_OIDC] = "OIDC",
	[AUTH_M_MSI] = "managed identity",
	[AUTH_M_CLI] = "Azure CLI",
};

/* ------------------------------------------------------------------ environment */

static const char *env_first(const char *a, const char *b, const char *c)
{
	const char *names[] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		if (!names[i])
			continue;
		const char *v = getenv(names[i]);
		if (v && *v)
			return v; /* an empty variable counts as unset, as in azapi */
	}
	return NULL;
}

/* Go's strconv.ParseBool, which azapi/azurerm use for ARM_USE_*: AUTH_UNSET when absent or unparsable. */
static int auth_parse_bool(const char *v)
{
	if (!v || !*v)
		return AUTH_UNSET;
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
	for (int i = 0; t[i]; i++)
		if (strcmp(v, t[i]) == 0)
			return 1;
	for (int i = 0; f[i]; i++)
		if (strcmp(v, f[i]) == 0)
			return 0;
	return AUTH_UNSET;
}

#define FILL_STR(field, ...)                               \
	do {                                               \
		if (!o->field)                             \
			o->field = env_first(__VA_ARGS__); \
	} while (0)

static void fill_bool(int *field, const char *env, int dflt)
{
	if (*field == AUTH_UNSET)
		*field = auth_parse_bool(getenv(env));
	if (*field == AUTH_UNSET)
		*field = dflt;
}

void auth_options_from_env(auth_options *o)
{
	if (!o)
		return;
	FILL_STR(tenant_id, "ARM_TENANT_ID", NULL, NULL);
	FILL_STR(client_id, "ARM_CLIENT_ID", "AZURE_CLIENT_ID", NULL);
	FILL_STR(client_secret, "ARM_CLIENT_SECRET", NULL, NULL);
	FILL_STR(client_secret_file_path, "ARM_CLIENT_SECRET_FILE_PATH", NULL, NULL);
	FILL_STR(client_certificate_path, "ARM_CLIENT_CERTIFICATE_PATH", NULL, NULL);
	FILL_STR(client_certificate_password, "ARM_CLIENT_CERTIFICATE_PASSWORD", NULL, NULL);
	FILL_STR(oidc_token, "ARM_OIDC_TOKEN", NULL, NULL);
	FILL_STR(oidc_token_file_path, "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE", NULL);
	FILL_STR(oidc_request_url, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL", NULL);
	FILL_STR(oidc_request_token, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", NULL);
	FILL_STR(msi_endpoint, "ARM_MSI_ENDPOINT", NULL, NULL);
	FILL_STR(authority_host, "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", NULL, NULL);
	FILL_STR(audience, "ARM_RESOURCE_MANAGER_AUDIENCE", NULL, NULL);
	fill_bool(&o->use_oidc, "ARM_USE_OIDC", 0);
	fill_bool(&o->use_msi, "ARM_USE_MSI", 0);
	fill_bool(&o->use_cli, "ARM_USE_CLI", 1);
}

/* ------------------------------------------------------------------ credential */

static int set_str(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : FY_ENOMEM;
}

/* Tenant ids and domain names only: the tenant becomes a path segment of the token URL. */
static int tenant_is_valid(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > 256 || !isalnum((unsigned char)t[0]))
		return 0;
	for (const char *p = t; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			return 0;
	return 1;
}

static char *strip_trailing_slashes(const char *s)
{
	char *r = strdup(s);
	if (!r)
		return NULL;
	size_t n = strlen(r);
	while (n > 0 && r[n - 1] == '/')
		r[--n] = '\0';
	return r;
}

static int need_ids(const auth_credential *c, const auth_options *o)
{
	const char *m = g_method_names[c->method];
	if (!o->client_id)
		return fy_error_set(FY_EAUTH, "%s: client_id is required (argument client_id or ARM_CLIENT_ID)", m);
	if (!o->tenant_id)
		return fy_error_set(FY_EAUTH, "%s: tenant_id is required (argument tenant_id or ARM_TENANT_ID)", m);
	if (!tenant_is_valid(o->tenant_id))
		return fy_error_set(FY_EAUTH, "%s: tenant_id %s is not a tenant id or domain name", m, o->tenant_id);
	return 0;
}

static int pick_method(auth_method *out, const auth_options *o)
{
	if (o->client_secret || o->client_secret_file_path)
		*out = AUTH_M_SECRET;
	else if (o->client_certificate_path)
		*out = AUTH_M_CERT;
	else if (o->use_oidc == 1)
		*out = AUTH_M_OIDC;
	else if (o->use_msi == 1)
		*out = AUTH_M_MSI;
	else if (o->use_cli != 0) /* default true; AUTH_UNSET counts as the default */
		*out = AUTH_M_CLI;
	else
		return fy_error_set(FY_EAUTH,
			"no Azure credential configured: looked for a client secret (client_secret, "
			"client_secret_file_path / ARM_CLIENT_SECRET, ARM_CLIENT_SECRET_FILE_PATH), a client certificate "
			"(client_certificate_path / ARM_CLIENT_CERTIFICATE_PATH), OIDC (use_oidc / ARM_USE_OIDC), managed "
			"identity (use_msi / ARM_USE_MSI) and the Azure CLI (use_cli / ARM_USE_CLI, disabled)");
	return 0;
}

/* scope = audience + "/.default", exactly what azure-sdk (and so azapi/azurerm) sends: for the default audience
 * with its trailing slash that is "https://management.core.windows.net//.default", which Entra ID accepts. An
 * audience already ending in "/.default" is used as the scope unchanged. */
static int set_audience(auth_credential *c, const auth_options *opts)
{
	c->authority = strip_trailing_slashes(
		opts->authority_host ? opts->authority_host : "https://login.microsoftonline.com/");
	if (set_str(&c->audience, opts->audience ? opts->audience : "https://management.core.windows.net/") < 0 ||
		!c->authority)
		return fy_error_set(FY_ENOMEM, "out of memory");
	size_t al = strlen(c->audience);
	int rc = al >= 9 && strcmp(c->audience + al - 9, "/.default") == 0
		? set_str(&c->scope, c->audience)
		: (asprintf(&c->scope, "%s/.default", c->audience) < 0 ? FY_ENOMEM : 0);
	if (rc < 0) {
		c->scope = NULL;
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	return 0;
}

static int setup_secret(auth_credential *c, const auth_options *opts, const char *m)
{
	int rc = need_ids(c, opts);
	if (rc < 0)
		return rc;
	if (opts->client_secret) {
		if (set_str(&c->secret, opts->client_secret) < 0)
			return fy_error_set(FY_ENOMEM, "out of memory");
	} else {
		if (auth_read_file(&c->secret, opts->client_secret_file_path) < 0)
			return auth_fail(FY_EAUTH, c, "reading client_secret_file_path");
		if (!*c->secret)
			return fy_error_set(
				FY_EAUTH, "%s: client_secret_file_path %s is empty", m, opts->client_secret_file_path);
	}
	tflog_add_secret(c->secret);
	return 0;
}

static int setup_oidc(auth_credential *c, const auth_options *opts)
{
	int rc = need_ids(c, opts);
	if (rc < 0)
		return rc;
	if (!opts->oidc_token && !opts->oidc_token_file_path && !(opts->oidc_request_url && opts->oidc_request_token))
		return fy_error_set(FY_EAUTH,
			"OIDC: use_oidc is set but there is no ID token: set oidc_token (ARM_OIDC_TOKEN), "
			"oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH, AZURE_FEDERATED_TOKEN_FILE) or "
			"oidc_request_url and oidc_request_token (ARM_OIDC_REQUEST_URL / "
			"ACTIONS_ID_TOKEN_REQUEST_URL, ARM_OIDC_REQUEST_TOKEN / ACTIONS_ID_TOKEN_REQUEST_TOKEN)");
	if (opts->oidc_token)
		tflog_add_secret(opts->oidc_token);
	if (opts->oidc_request_token)
		tflog_add_secret(opts->oidc_request_token);
	if (set_str(&c->oidc_token, opts->oidc_token) | set_str(&c->oidc_token_file, opts->oidc_token_file_path) |
		set_str(&c->oidc_request_url, opts->oidc_request_url) |
		set_str(&c->oidc_request_token, opts->oidc_request_token))
		return fy_error_set(FY_ENOMEM, "out of memory");
	return 0;
}

/* What each method needs beyond the common fields. */
static int setup_method(auth_credential *c, const auth_options *opts, const char *m)
{
	int rc;
	switch (c->method) {
	case AUTH_M_SECRET: return setup_secret(c, opts, m);
	case AUTH_M_CERT:
		if ((rc = need_ids(c, opts)) < 0)
			return rc;
		if (opts->client_certificate_password)
			tflog_add_secret(opts->client_certificate_password);
		return auth_cert_load(c, opts->client_certificate_path, opts->client_certificate_password);
	case AUTH_M_OIDC: return setup_oidc(c, opts);
	case AUTH_M_MSI:
		if (set_str(&c->msi_endpoint,
			    opts->msi_endpoint ? opts->msi_endpoint
					       : "http://169.254.169.254/metadata/identity/oauth2/token") < 0)
			return fy_error_set(FY_ENOMEM, "out of memory");
		if (!http_url_is_allowed(c->msi_endpoint))
			return fy_error_set(FY_EAUTH,
				"managed identity: msi_endpoint %s must be https:// (or http:// to a "
				"loopback host or 169.254.169.254)",
				c->msi_endpoint);
		return 0;
	case AUTH_M_CLI:
		/* The tenant becomes an argv element of az: only tenant ids and domain names. */
		if (opts->tenant_id && !tenant_is_valid(opts->tenant_id))
			return fy_error_set(
				FY_EAUTH, "Azure CLI: tenant_id %s is not a tenant id or domain name", opts->tenant_id);
		return 0;
	}
	return 0;
}

int auth_credential_new(auth_credential **out, const auth_options *opts)
{
	*out = NULL;
	if (!opts)
		return fy_error_set(FY_EINVALID, "auth_credential_new: no options");
	auth_credential *c = calloc(1, sizeof(*c));
	if (!c)
		return fy_error_set(FY_ENOMEM, "out of memory");
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->http = opts->http;
	c->margin_s = AUTH_REFRESH_MARGIN_S;
	c->cli_timeout_ms = 30000;

	int rc = pick_method(&c->method, opts);
	if (rc < 0)
		goto fail;
	const char *m = g_method_names[c->method];
	if (c->method != AUTH_M_CLI && !c->http) {
		rc = fy_error_set(FY_EINVALID, "%s: no HTTP client", m);
		goto fail;
	}
	if ((rc = set_audience(c, opts)) < 0 || (rc = setup_method(c, opts, m)) < 0)
		goto fail;
	if (set_str(&c->client_id, opts->client_id) || set_str(&c->tenant_id, opts->tenant_id)) {
		rc = fy_error_set(FY_ENOMEM, "out of memory");
		goto fail;
	}
	if (c->method == AUTH_M_SECRET || c->method == AUTH_M_CERT || c->method == AUTH_M_OIDC) {
		if (asprintf(&c->token_url, "%s/%s/oauth2/v2.0/token", c->authority, c->tenant_id) < 0) {
			c->token_url = NULL;
			rc = fy_error_set(FY_ENOMEM, "out of memory");
			goto fail;
		}
		if (!http_url_is_allowed(c->token_url)) {
			rc = fy_error_set(
				FY_EAUTH, "%s: active_directory_authority_host %s must be https://", m, c->authority);
			goto fail;
		}
	}
	tflog(TFLOG_DEBUG, "foundry.auth", "Azure credential: %s", m);
	*out = c;
	return 0;
fail:
	auth_credential_free(c);
	return rc;
}

void auth_credential_free(auth_credential *c)
{
	if (!c)
		return;
	auth_cert_free(c);
	free(c->authority);
	free(c->audience);
	free(c->scope);
	free(c->token_url);
	free(c->tenant_id);
	free(c->client_id);
	free(c->secret);
	free(c->oidc_token);
	free(c->oidc_token_file);
	free(c->oidc_request_url);
	free(c->oidc_request_token);
	free(c->msi_endpoint);
	free(c->token);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}

const char *auth_credential_method(const auth_credential *c)
{
	return c ? g_method_names[c->method] : "";
}

void auth_credential_set_refresh_margin(auth_credential *c, long seconds)
{
	pthread_mutex_lock(&c->mu);
	c->margin_s = seconds < 0 ? 0 : seconds;
	pthread_mutex_unlock(&c->mu);
}

void auth_credential_invalidate(auth_credential *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	free(c->token);
	c->token = NULL;
	c->expires_at = 0;
	pthread_mutex_unlock(&c->mu);
}

static int token_fresh(const auth_credential *c, time_t now)
{
	return c->token && now < c->expires_at - c->margin_s;
}

static int token_usable(const auth_credential *c, time_t now)
{
	return c->token && now < c->expires_at - AUTH_STALE_GRACE_S;
}

static int copy_token(char **out, const auth_credential *c)
{
	*out = strdup(c->token);
	return *out ? 0 : fy_error_set(FY_ENOMEM, "out of memory");
}

static int fetch(auth_token *t, auth_credential *c, unsigned long gen)
{
	switch (c->method) {
	case AUTH_M_SECRET: return auth_fetch_client_credentials(t, c, gen, "client_secret", c->secret);
	case AUTH_M_CERT: return auth_fetch_certificate(t, c, gen);
	case AUTH_M_OIDC: return auth_fetch_oidc(t, c, gen);
	case AUTH_M_MSI: return auth_fetch_msi(t, c, gen);
	case AUTH_M_CLI: return auth_fetch_cli(t, c, gen);
	}
	return fy_error_set(FY_EAUTH, "unknown method");
}

/*
 * One refresh at a time: the first caller that finds the cache stale fetches while holding `refreshing`;
 * everyone else waits on the condition variable for that fetch's outcome instead of stampeding the token
 * endpoint (or spawning one `az` per RPC).
 */
int auth_credential_token(char **out, auth_credential *c)
{
	*out = NULL;
	if (!c)
		return fy_error_set(FY_EINVALID, "auth_credential_token: no credential");
	unsigned long gen = http_client_generation(c->http);
	pthread_mutex_lock(&c->mu);
	for (;;) {
		time_t now = time(NULL);
		if (token_fresh(c, now)) {
			int rc = copy_token(out, c);
			pthread_mutex_unlock(&c->mu);
			return rc;
		}
		if (!c->refreshing)
			break;
		unsigned long seq = c->refresh_seq;
		while (c->refreshing && c->refresh_seq == seq)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->last_rc != 0) {
			/* The refresh we waited for failed: same answer for every waiter, no second attempt. */
			if (token_usable(c, time(NULL))) {
				int rc = copy_token(out, c);
				pthread_mutex_unlock(&c->mu);
				return rc;
			}
			int rc = c->last_rc;
			char msg[sizeof(c->last_msg)];
			memcpy(msg, c->last_msg, sizeof(msg));
			pthread_mutex_unlock(&c->mu);
			return fy_error_set(rc, "%s", msg);
		}
		/* Fresh token (or a lifetime shorter than the margin): hand it out as is. */
		if (c->token && time(NULL) < c->expires_at) {
			int rc = copy_token(out, c);
			pthread_mutex_unlock(&c->mu);
			return rc;
		}
	}
	c->refreshing = 1;
	pthread_mutex_unlock(&c->mu);

	auth_token t = {0};
	int rc = fetch(&t, c, gen);
	if (rc == 0)
		tflog_add_secret(t.token);

	pthread_mutex_lock(&c->mu);
	c->refreshing = 0;
	c->refresh_seq++;
	c->last_rc = rc;
	if (rc == 0) {
		free(c->token);
		c->token = t.token;
		c->expires_at = t.expires_at;
		c->last_msg[0] = '\0';
		c->tokens_fetched++;
		tflog(TFLOG_DEBUG, "foundry.auth", "%s: new access token, expires in %lld s", g_method_names[c->method],
			(long long)(t.expires_at - time(NULL)));
		rc = copy_token(out, c);
	} else {
		snprintf(c->last_msg, sizeof(c->last_msg), "%s", fy_error_last()->message);
		if (rc != FY_ECANCELED && token_usable(c, time(NULL))) {
			/* Keep working on the old token while it lasts; the next call tries again. */
			tflog(TFLOG_WARN, "foundry.auth", "token refresh failed, using the cached token: %s",
				c->last_msg);
			rc = copy_token(out, c);
		} else {
			rc = fy_error_set(rc, "%s", c->last_msg);
		}
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

long auth_credential_tokens_fetched(auth_credential *c)
{
	pthread_mutex_lock(&c->mu);
	long n = c->tokens_fetched;
	pthread_mutex_unlock(&c->mu);
	return n;
}

/* ------------------------------------------------------------------ shared helpers */

const char *auth_method_name(const auth_credential *c)
{
	return g_method_names[c->method];
}

int auth_fail(int code, const auth_credential *c, const char *what)
{
	char prev[1024];
	snprintf(prev, sizeof(prev), "%s", fy_error_last()->message);
	if (code != FY_ECANCELED && code != FY_ENOMEM)
		code = FY_EAUTH;
	if (prev[0])
		return fy_error_set(code, "%s: %s: %s", g_method_names[c->method], what, prev);
	return fy_error_set(code, "%s: %s", g_method_names[c->method], what);
}
