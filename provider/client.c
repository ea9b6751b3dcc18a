/* The configured provider data (see client.h). */
#include "provider/client.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal/common/fy_arena.h"

struct foundry_client {
	http_client *http;
	auth_options auth; /* owned string copies */
	char *endpoint;
	char *api_version;
	int config_unknown;

	pthread_mutex_t mu; /* guards cred and arm, built lazily by whichever RPC needs them first */
	auth_credential *cred;
	arm_client *arm;
};

/* The auth_options string fields, so copying and freeing cannot miss one. */
/* clang-format off */
#define AUTH_STRINGS(X)                                                                                        \
	X(tenant_id) X(client_id) X(client_secret) X(client_secret_file_path) X(client_certificate_path)      \
	X(client_certificate_password) X(oidc_token) X(oidc_token_file_path) X(oidc_request_url)              \
	X(oidc_request_token) X(msi_endpoint) X(authority_host) X(audience)
/* clang-format on */

static char *dup_or_null(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		fy_oom();
	return d;
}

int foundry_client_new(foundry_client **out, const foundry_client_options *o)
{
	foundry_client *c = calloc(1, sizeof *c);
	if (!c)
		return fy_error_set(FY_ENOMEM, "out of memory");
	http_options ho = {.user_agent = o->user_agent, .ca_file = o->ca_file};
	int rc = http_client_new(&c->http, &ho);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->auth = o->auth;
#define COPY(f) c->auth.f = dup_or_null(o->auth.f);
	AUTH_STRINGS(COPY)
#undef COPY
	c->auth.http = c->http;
	c->endpoint = dup_or_null(
		o->resource_manager_endpoint ? o->resource_manager_endpoint : "https://management.azure.com");
	c->api_version = dup_or_null(o->api_version);
	c->config_unknown = o->config_unknown;
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return 0;
}

void foundry_client_free(foundry_client *c)
{
	if (!c)
		return;
	arm_client_free(c->arm);
	auth_credential_free(c->cred);
	http_client_free(c->http);
#define FREE(f) free((char *)c->auth.f);
	AUTH_STRINGS(FREE)
#undef FREE
	free(c->endpoint);
	free(c->api_version);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void foundry_client_cancel(foundry_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	if (c->arm)
		arm_client_cancel(c->arm);
	pthread_mutex_unlock(&c->mu);
	/* Token requests run on the same HTTP client; cancelling it aborts them too. */
	http_client_cancel(c->http);
}

const char *foundry_client_api_version(const foundry_client *c)
{
	return c->api_version;
}

const char *foundry_client_endpoint(const foundry_client *c)
{
	return c->endpoint;
}

int foundry_client_arm(arm_client **out, foundry_client *c)
{
	int rc = 0;
	if (c->config_unknown)
		return fy_error_set(FY_EINVALID,
			"The provider configuration depends on values that cannot be determined until apply, so the "
			"provider cannot reach Azure yet.");
	pthread_mutex_lock(&c->mu);
	if (!c->arm) {
		if (!c->cred)
			rc = auth_credential_new(&c->cred, &c->auth);
		if (rc == 0) {
			arm_options ao = {.endpoint = c->endpoint, .http = c->http, .credential = c->cred};
			rc = arm_client_new(&c->arm, &ao);
		}
	}
	*out = c->arm;
	pthread_mutex_unlock(&c->mu);
	return rc;
}

int foundry_client_token_for(char **out, foundry_client *c, const char *audience)
{
	*out = NULL;
	if (c->config_unknown)
		return fy_error_set(FY_EINVALID, "the provider configuration is not known yet");
	/* A credential of its own: the ARM one caches a token for ARM's audience. Built per use (a gateway check is
	 * one request or two), so nothing is cached for an audience nobody asks for again. */
	auth_options o = c->auth;
	o.audience = audience;
	o.http = c->http;
	auth_credential *cred = NULL;
	int rc = auth_credential_new(&cred, &o);
	if (rc == 0)
		rc = auth_credential_token(out, cred);
	auth_credential_free(cred);
	return rc;
}
