/*
 * The gateway check's decisions, apart from its I/O so that they are unit-tested and fuzzed: which models a stored
 * connection names, the routes and auth header Foundry uses, what a gateway's answer says (its own message and code,
 * bounded and redacted) and which attribute, if any, that answer blames. Nothing here sends a request.
 */
#ifndef FOUNDRY_PROVIDER_GATEWAY_PROBE_H
#define FOUNDRY_PROVIDER_GATEWAY_PROBE_H

#include <stddef.h>

#include "internal/common/fy_arena.h"
#include "internal/cty/cty.h"

#define FOUNDRY_GW_MESSAGE_MAX 300 /* characters of the gateway's own message quoted in a problem */

typedef enum foundry_gw_step {
	FOUNDRY_GW_LIST, /* list models (discovery, or the no-token probe of a static list) */
	FOUNDRY_GW_GET, /* get one model (discovery) */
	FOUNDRY_GW_CHAT /* one chat completion */
} foundry_gw_step;

/* What the stored connection sets: a hint names only attributes that are set. */
typedef struct foundry_gw_facts {
	int apim; /* category ApiManagement */
	int discovery; /* models come from discovery (APIM default or model_discovery), not a static list */
	const char *auth_type; /* "ApiKey", "OAuth2", "ProjectManagedIdentity", ...; may be NULL */
	const char *inference_api_version, *deployment_api_version; /* NULL when not set */
	int auth_config, custom_headers; /* set */
} foundry_gw_facts;

/* The name of each entry of a stored `models` list, NULL for an entry without one (another tool may have written
 * it so: an agent cannot call it, and it must never crash the check). *n is the list's length. */
const char **foundry_gw_model_names(fy_arena *a, const cty_value *models, size_t *n);

/* The facts of a connection state (the resource's schema). */
void foundry_gw_facts_of(foundry_gw_facts *out, const cty_value *conn);

/* The gateway's own words from an error answer: OpenAI/Azure {"error":{"message","code"|"type"}}, LiteLLM's
 * {"error":{...}} or {"message","type"}, {"detail"}, or the text itself. *message is at most
 * FOUNDRY_GW_MESSAGE_MAX characters (UTF-8 kept whole), "" when there is none; anything that looks like a key or
 * token, and every registered secret, is redacted. *code is "" when there is none, and never just the status again. */
void foundry_gw_said(const char **message, const char **code, fy_arena *a, long status, const char *body, size_t len);

/* The hint for a failed step, from the status and what the gateway said; NULL when the answer blames no attribute
 * (the quoted message is then all there is to say). `model` is the step's model or NULL. */
const char *foundry_gw_hint(fy_arena *a, const foundry_gw_facts *f, foundry_gw_step step, long status, const char *code,
	const char *message, const char *model);

/* Model names from a list answer ({"value":[{"name"}]}, or {"data":[{"id"}]}); FY_EINVALID when it is not one. */
int foundry_gw_list_names(const char ***out, size_t *n, fy_arena *a, const char *body, size_t len);

/* The auth header of an ApiKey connection: auth_config's header name and format ("api-key", "{api_key}" by
 * default), as Foundry sends them. */
const char *foundry_gw_key_header(fy_arena *a, const cty_value *conn, const char *key);

/* {target}/{path}, with {deploymentName} in `path` replaced by `model` when given. */
char *foundry_gw_url(fy_arena *a, const char *target, const char *path, const char *model);

#endif
