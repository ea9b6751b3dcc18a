/* auth internals shared by auth.c, auth_sources.c and auth_cert.c (not a public header). */
#ifndef FOUNDRY_INTERNAL_AUTH_AUTH_INTERNAL_H
#define FOUNDRY_INTERNAL_AUTH_AUTH_INTERNAL_H

#include <pthread.h>
#include <time.h>

#include "auth.h"

typedef enum auth_credential_method { AUTH_M_SECRET, AUTH_M_CERT, AUTH_M_OIDC, AUTH_M_MSI, AUTH_M_CLI } auth_method;

typedef struct auth_token {
	char *token; /* malloc'd */
	time_t expires_at; /* wall-clock epoch seconds */
} auth_token;

struct auth_credential {
	auth_method method;
	http_client *http;
	char *authority; /* no trailing slash */
	char *audience;
	char *scope;
	char *token_url;
	char *tenant_id;
	char *client_id;
	char *secret;
	/* certificate */
	void *key; /* EVP_PKEY */
	char *x5t, *x5t_s256;
	/* OIDC */
	char *oidc_token, *oidc_token_file, *oidc_request_url, *oidc_request_token;
	/* managed identity */
	char *msi_endpoint;
	long cli_timeout_ms;

	/* cache */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *token;
	time_t expires_at;
	long margin_s;
	int refreshing;
	unsigned long refresh_seq;
	int last_rc;
	char last_msg[1024];
	long tokens_fetched;
};

const char *auth_method_name(const auth_credential *c);
/* fy_error_set(code, "<method>: <what>: <previous message>"); code becomes FY_EAUTH unless cancel/OOM. */
int auth_fail(int code, const auth_credential *c, const char *what);
int auth_read_file(char **out, const char *path); /* whole file, trailing whitespace trimmed */

int auth_fetch_client_credentials(
	auth_token *t, auth_credential *c, unsigned long gen, const char *field, const char *value);
int auth_fetch_certificate(auth_token *t, auth_credential *c, unsigned long gen);
int auth_fetch_oidc(auth_token *t, auth_credential *c, unsigned long gen);
int auth_fetch_msi(auth_token *t, auth_credential *c, unsigned long gen);
int auth_fetch_cli(auth_token *t, auth_credential *c, unsigned long gen);

int auth_cert_load(auth_credential *c, const char *path, const char *password);
/* Decoders of outside data, exposed for the fuzz targets: a token endpoint's JSON answer, the Azure CLI's output, a
 * PEM or PKCS#12 certificate with its key (0, or nonzero with nothing owned on failure of the caller's cleanup). */
int auth_parse_token_response(auth_token *t, const auth_credential *c, const http_response *r, const char *url);
int auth_parse_cli_output(auth_token *t, const char *output);
struct x509_st;
struct evp_pkey_st;
int auth_cert_parse(
	struct x509_st **cert, struct evp_pkey_st **key, const unsigned char *buf, size_t len, const char *password);
void auth_cert_free(auth_credential *c);
/* The signed client assertion (JWT) for the token endpoint; malloc'd. */
int auth_cert_assertion(char **out, const auth_credential *c);

#endif
