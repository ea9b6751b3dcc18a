/*
 * The configured provider: what ConfigureProvider produces and every resource operation borrows.
 *
 * The HTTP client is built at configure time; the Azure credential and the ARM client are built on the first
 * ARM call and cached, so `validate` and a plan with nothing to refresh never need credentials (and a plan
 * whose provider configuration is still unknown works). Thread-safe: RPCs run concurrently.
 */
#ifndef FOUNDRY_PROVIDER_CLIENT_H
#define FOUNDRY_PROVIDER_CLIENT_H

#include "internal/arm/arm.h"
#include "internal/auth/auth.h"
#include "internal/http/http.h"

typedef struct foundry_client foundry_client;

typedef struct foundry_client_options {
	auth_options auth; /* strings are copied; `http` is ignored (the client's own is used) */
	const char *resource_manager_endpoint; /* "https://management.azure.com" */
	const char *api_version; /* connections api-version */
	const char *user_agent;
	const char *ca_file; /* extra CA bundle (tests); NULL = system */
	/* Set when the provider configuration held values unknown at plan time: ARM calls then fail with a
	 * diagnostic instead of authenticating with half a configuration. */
	int config_unknown;
} foundry_client_options;

int foundry_client_new(foundry_client **out, const foundry_client_options *opts);
void foundry_client_free(foundry_client *c);
/* StopProvider: abort in-flight requests (token and ARM); later calls run normally. */
void foundry_client_cancel(foundry_client *c);

const char *foundry_client_api_version(const foundry_client *c);
const char *foundry_client_endpoint(const foundry_client *c);

/* The ARM client, creating the credential on first use. FY_EAUTH with "<method>: <why>" (or the list of what
 * was looked for) when no credential can be built; FY_EINVALID when the configuration is not known yet. */
int foundry_client_arm(arm_client **out, foundry_client *c);

/* A token for another audience (a gateway's), from the same credential chain the provider uses for ARM: the
 * identity of whoever runs Terraform. The caller free()s *out. */
int foundry_client_token_for(char **out, foundry_client *c, const char *audience);

#endif
