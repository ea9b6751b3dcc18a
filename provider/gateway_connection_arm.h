/*
 * The pure mapping between foundry_gateway_connection values and ARM connection bodies.
 *
 * No I/O: these functions turn a planned/config value into the exact PUT body (docs/internals/arm.md 2.4)
 * and a GET/PUT response back into state, with the drift rules of docs/internals/arm.md 5.3 (managed metadata keys
 * matched
 * ignoring case, JSON-string metadata compared by meaning, "" and absent alike, credentials kept from prior
 * state, service-added keys ignored). Unit-tested on their own (tests/unit/test_provider_arm.c).
 */
#ifndef FOUNDRY_PROVIDER_GATEWAY_CONNECTION_ARM_H
#define FOUNDRY_PROVIDER_GATEWAY_CONNECTION_ARM_H

#include <cjson/cJSON.h>

#include "internal/common/fy_arena.h"
#include "internal/cty/cty.h"
#include "internal/tf/tf.h"
#include "provider/arm_id.h"

/* The newest GA api-version whose ConnectionCategory has ApiManagement and ModelGateway (docs/internals/arm.md 0.4,
 * 0.8). */
#define FOUNDRY_DEFAULT_API_VERSION "2026-09-01"
/* Audience Foundry uses with ProjectManagedIdentity when none is given (docs/internals/arm.md 2.2, FS
 * apim-connection-common.bicep). */
#define FOUNDRY_DEFAULT_AUDIENCE "https://cognitiveservices.azure.com"

/* The metadata keys the resource manages, with the attribute a user must set instead. NULL-key terminated. */
typedef struct foundry_gc_managed_key {
	const char *key; /* wire spelling, e.g. "deploymentInPath" */
	const char *attr; /* attribute, e.g. "deployment_in_path" */
} foundry_gc_managed_key;
extern const foundry_gc_managed_key foundry_gc_managed_keys[];

/* The managed key equal to `key` ignoring case, or NULL. */
const foundry_gc_managed_key *foundry_gc_managed_key_find(const char *key);

/* The connection's id: {account or project id}/connections/{name} (docs/internals/arm.md 0.6). */
extern const foundry_arm_idspec foundry_gc_id_spec;

/* 1 when every attribute the metadata map depends on is known in `v`. */
int foundry_gc_metadata_known(const cty_value *v);
/* The exact `properties.metadata` object to_arm sends for `v` (caller cJSON_Delete()s). FY_EINVALID when
 * something it needs is unknown. */
int foundry_gc_metadata(cJSON **out, const cty_value *v);
/* The same as a cty map(string) in the arena (what `metadata` holds). */
int foundry_gc_metadata_value(cty_value **out, fy_arena *a, const cty_value *v);

/*
 * The full PUT body {"properties":{...}} for the planned value `planned`. Write-only values (api_key_wo) come
 * from `config` (may be NULL). FY_EINVALID with a message when a needed value is unknown or missing.
 * The caller cJSON_Delete()s *out_body.
 */
int foundry_gc_to_arm(cJSON **out_body, const cty_value *planned, const cty_value *config);

/*
 * State from an ARM body (GET or PUT response). `type` is the resource's implied type. `prior` (may be NULL or
 * a partial object holding only parent_id/name) supplies what GET never returns (credentials, write-only
 * version) and the user's spelling of parent_id/name; values the service echoes with the same meaning keep
 * the prior spelling, so only real drift makes a diff. Out-of-band metadata that cannot be decoded gives a
 * warning in `diags` (may be NULL) naming the attribute. FY_EINVALID when the body is not a connection.
 */
int foundry_gc_from_arm(cty_value **out_state, fy_arena *a, const cty_type *type, const cJSON *body,
	const cty_value *prior, tf_diags *diags);

/*
 * The string members of a JSON object as a cty map(string) in the arena (an empty map when `o` is NULL or not an
 * object). Members whose value is not a string are left out, and *clean (may be NULL) is then set to 0; members
 * for which `skip` (may be NULL) returns 1 are left out silently. Keys are borrowed from `o`.
 */
cty_value *foundry_string_map(fy_arena *a, const cJSON *o, int (*skip)(const char *key), int *clean);

/* JSON texts equal by meaning (object key order and whitespace ignored). 0 when either is not JSON. */
int foundry_json_text_equal(const char *a, const char *b);

/* The `models` metadata string for a list of model objects (the resource's shape), and back: what the provider
 * functions models_json and models_from_json expose. */
int foundry_gc_models_to_json(char **out, const cty_value *list);
int foundry_gc_models_from_json(cty_value **out, fy_arena *a, const cty_type *list_type, const char *json);

#endif
