/*
 * auth: Azure credentials as azapi/azurerm users know them (docs/internals/arm.md section 4).
 *
 * One credential per configured provider: the first configured method of the chain
 *   client secret -> client certificate -> OIDC -> managed identity -> Azure CLI
 * is used; a failure names the method and why. Tokens are cached per process and refreshed before
 * expiry (5 minutes of margin), safe under concurrent RPCs, and never logged (every token and secret is
 * registered with tflog_add_secret).
 */
#ifndef FOUNDRY_INTERNAL_AUTH_AUTH_H
#define FOUNDRY_INTERNAL_AUTH_AUTH_H

#include "../common/fy_error.h"
#include "../http/http.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct auth_options {
	const char *tenant_id;
	const char *client_id;
	const char *client_secret;
	const char *client_secret_file_path;
	const char *client_certificate_path; /* PKCS#12 (.pfx/.p12) or PEM (cert + key) */
	const char *client_certificate_password;
	int use_oidc;
	const char *oidc_token;
	const char *oidc_token_file_path;
	const char *oidc_request_url;
	const char *oidc_request_token;
	int use_msi;
	const char *msi_endpoint; /* default IMDS http://169.254.169.254/metadata/identity/oauth2/token */
	int use_cli;
	const char *authority_host; /* "https://login.microsoftonline.com/" */
	const char *audience; /* resource manager audience, "https://management.core.windows.net/" */
	http_client *http; /* borrowed */
} auth_options;

/* -1 in an int field means "not set" for auth_options_from_env. */
#define AUTH_UNSET (-1)

/*
 * Fill every field that is NULL (or AUTH_UNSET) from the environment, azapi's names:
 * ARM_TENANT_ID, ARM_CLIENT_ID (AZURE_CLIENT_ID), ARM_CLIENT_SECRET, ARM_CLIENT_SECRET_FILE_PATH,
 * ARM_CLIENT_CERTIFICATE_PATH, ARM_CLIENT_CERTIFICATE_PASSWORD, ARM_USE_OIDC, ARM_OIDC_TOKEN,
 * ARM_OIDC_TOKEN_FILE_PATH (AZURE_FEDERATED_TOKEN_FILE), ARM_OIDC_REQUEST_URL (ACTIONS_ID_TOKEN_REQUEST_URL),
 * ARM_OIDC_REQUEST_TOKEN (ACTIONS_ID_TOKEN_REQUEST_TOKEN), ARM_USE_MSI, ARM_MSI_ENDPOINT, ARM_USE_CLI (default true),
 * ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST, ARM_RESOURCE_MANAGER_AUDIENCE. Configuration arguments win.
 * Strings are getenv() pointers (valid for the process).
 */
void auth_options_from_env(auth_options *o);

typedef struct auth_credential auth_credential;

/* Picks the method; FY_EAUTH when nothing is configured (message lists what was looked for). */
int auth_credential_new(auth_credential **out, const auth_options *opts);
void auth_credential_free(auth_credential *c);
/* "client secret", "client certificate", "OIDC", "managed identity", "Azure CLI". */
const char *auth_credential_method(const auth_credential *c);
/* A valid bearer token (malloc'd copy). FY_EAUTH with "<method>: <why>" on failure; FY_ECANCELED when cancelled. */
int auth_credential_token(char **out, auth_credential *c);
/* Drop the cached token (after a 401). */
void auth_credential_invalidate(auth_credential *c);

/* Additions. */
/* Refresh a cached token this many seconds before it expires (default 300). Tests shorten or lengthen it. */
void auth_credential_set_refresh_margin(auth_credential *c, long seconds);
/* Tokens obtained from the source so far (tests: proves caching and refresh). */
long auth_credential_tokens_fetched(auth_credential *c);

#ifdef __cplusplus
}
#endif
#endif
