/* data "foundry_gateway_connection": parent_id + name -> every attribute but the secrets, read with one GET.
 * Its schema is a view of the resource's (tf_block_view), read through the shared ARM plumbing. */
#include <string.h>

#include <cjson/cJSON.h>

#include "provider/arm_resource.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

static const char *const lookup[] = {"parent_id", "name", NULL};
/* Settings of writing only: a version that says when to send a write-only secret again. */
static const char *const omit[] = {"api_key_wo_version", "oauth2.client_secret_wo_version", NULL};
static const tf_view_description texts[] = {
	{"parent_id", "ARM id of the Foundry project or account that owns the connection."},
	{"name", "Connection name."},
	{"extra_metadata",
		"Metadata keys not managed by a typed attribute, as the service holds them (keys the "
		"service adds, and keys in another case than Foundry reads, included)."},
	{"metadata", "The whole metadata map as ARM returns it, except `customHeaders` (see `custom_headers`)."},
	{NULL, NULL},
};
static const tf_view view = {
	.description = "Reads an existing Foundry gateway connection (for example one another team manages). "
		       "Credentials are never returned by ARM and are not exposed.",
	.required = lookup,
	.omit = omit,
	.descriptions = texts,
};

/* Exact spelling only: "Models" is not a key Foundry reads, so it is one of the others. */
static int managed_exact(const char *key)
{
	for (const foundry_gc_managed_key *k = foundry_gc_managed_keys; k->key; k++)
		if (strcmp(k->key, key) == 0)
			return 1;
	return 0;
}

static int custom_headers_key(const char *key)
{
	return strcmp(key, "customHeaders") == 0;
}

/* A data source shows the metadata as it is (service-added keys included), header values aside. */
void foundry_gc_data_finish(tf_ctx *ctx, cty_value *st, const cJSON *body)
{
	fy_arena *a = tf_ctx_arena(ctx);
	const cJSON *md =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "properties"), "metadata");
	cty_object_set(st, "metadata", foundry_string_map(a, md, custom_headers_key, NULL));
	cty_object_set(st, "extra_metadata", foundry_string_map(a, md, managed_exact, NULL));
}

const tf_data_source foundry_gc_data_source = {
	.type_name = "foundry_gateway_connection",
	.view_of = &foundry_gc_schema,
	.view = &view,
	.read = foundry_arm_data_read,
	.impl = &foundry_gc_arm,
};
