/* data "foundry_gateway_connection": parent_id + name -> every non-secret attribute, read with one GET. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal/arm/arm.h"
#include "internal/log/tflog.h"
#include "provider/client.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

static const tf_validator v_parent_id[] = {{.kind = TF_V_FUNC, .func = foundry_gc_validate_parent_id}, {0}};
static const tf_validator v_name[] = {{.kind = TF_V_REGEX,
					      .pattern = "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$",
					      .message = "A connection name has 3 to 33 characters: letters, digits, '_' and '-', "
							 "starting with a letter or digit."},
	{0}};

static const tf_attribute oauth2_attrs[] = {
	{.name = "token_url", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Token endpoint URL."},
	{.name = "scopes", .type = "[\"list\",\"string\"]", .flags = TF_COMPUTED, .description = "Requested scopes."},
	{0},
};
static const tf_object oauth2_object = {oauth2_attrs};

static const tf_attribute model_attrs[] = {
	{.name = "name", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Deployment name agents use."},
	{.name = "model_name", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Model name at the provider."},
	{.name = "model_version", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Model version."},
	{.name = "model_format", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Model format."},
	{0},
};
static const tf_object model_object = {model_attrs};

static const tf_attribute discovery_attrs[] = {
	{.name = "list_models_endpoint", .type = "\"string\"", .flags = TF_COMPUTED, .description = "List path."},
	{.name = "get_model_endpoint", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Get path."},
	{.name = "deployment_provider", .type = "\"string\"", .flags = TF_COMPUTED,
		.description = "`OpenAI` or `AzureOpenAI`."},
	{0},
};
static const tf_object discovery_object = {discovery_attrs};

static const tf_attribute auth_config_attrs[] = {
	{.name = "type", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Authentication scheme."},
	{.name = "header_name", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Header carrying the key."},
	{.name = "format", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Header value template."},
	{0},
};
static const tf_object auth_config_object = {auth_config_attrs};

static const tf_attribute data_attrs[] = {
	{.name = "parent_id", .type = "\"string\"", .flags = TF_REQUIRED, .validators = v_parent_id,
		.description = "ARM id of the Foundry project or account that owns the connection."},
	{.name = "name", .type = "\"string\"", .flags = TF_REQUIRED, .validators = v_name,
		.description = "Connection name."},
	{.name = "id", .type = "\"string\"", .flags = TF_COMPUTED, .description = "ARM id of the connection."},
	{.name = "category", .type = "\"string\"", .flags = TF_COMPUTED, .description = "`ApiManagement` or `ModelGateway` (or any other category the connection has)."},
	{.name = "target", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Base URL of the gateway."},
	{.name = "auth_type", .type = "\"string\"", .flags = TF_COMPUTED, .description = "Authentication type."},
	{.name = "audience", .type = "\"string\"", .flags = TF_COMPUTED,
		.description = "Token audience (ProjectManagedIdentity), when the service returns it."},
	{.name = "oauth2", .nested = &oauth2_object, .nesting = TF_NEST_SINGLE, .flags = TF_COMPUTED,
		.description = "OAuth2 settings without credentials (ARM never returns them)."},
	{.name = "shared_to_all", .type = "\"bool\"", .flags = TF_COMPUTED, .description = "Shared with every user."},
	{.name = "deployment_in_path", .type = "\"bool\"", .flags = TF_COMPUTED,
		.description = "Whether the deployment name is part of the inference path."},
	{.name = "inference_api_version", .type = "\"string\"", .flags = TF_COMPUTED,
		.description = "Metadata `inferenceAPIVersion`."},
	{.name = "deployment_api_version", .type = "\"string\"", .flags = TF_COMPUTED,
		.description = "Metadata `deploymentAPIVersion`."},
	{.name = "models", .nested = &model_object, .nesting = TF_NEST_LIST, .flags = TF_COMPUTED,
		.description = "Static model list (metadata `models`)."},
	{.name = "model_discovery", .nested = &discovery_object, .nesting = TF_NEST_SINGLE, .flags = TF_COMPUTED,
		.description = "Dynamic discovery settings (metadata `modelDiscovery`)."},
	{.name = "custom_headers", .type = "[\"map\",\"string\"]", .flags = TF_COMPUTED | TF_SENSITIVE,
		.description = "Metadata `customHeaders` (sensitive: gateways often take keys here)."},
	{.name = "auth_config", .nested = &auth_config_object, .nesting = TF_NEST_SINGLE, .flags = TF_COMPUTED,
		.description = "Custom API-key header (metadata `authConfig`)."},
	{.name = "extra_metadata", .type = "[\"map\",\"string\"]", .flags = TF_COMPUTED,
		.description = "Metadata keys not managed by a typed attribute (including keys the service adds)."},
	{.name = "metadata", .type = "[\"map\",\"string\"]", .flags = TF_COMPUTED | TF_SENSITIVE,
		.description = "The whole metadata map as ARM returns it (sensitive: it holds `customHeaders`)."},
	{0},
};

const tf_block foundry_gc_data_schema = {
	.description = "Reads an existing Foundry gateway connection (for example one another team manages). "
		       "Credentials are never returned by ARM and are not exposed.",
	.attributes = data_attrs,
};

/* Copy `v` into type `t`, keeping only the attributes `t` has (the data source is a subset of the resource). */
static cty_value *project(fy_arena *a, const cty_value *v, const cty_type *t)
{
	if (!v || cty_is_null(v))
		return cty_null(a, t);
	switch (cty_type_kind(t)) {
	case CTY_OBJECT: {
		cty_value *o = cty_object(a, t);
		for (size_t i = 0; i < cty_type_count(t); i++) {
			const char *n = cty_type_attr_name(t, i);
			cty_object_set(o, n, project(a, cty_get_attr(v, n), cty_type_attr_type(t, i)));
		}
		return o;
	}
	case CTY_LIST: {
		size_t n = cty_length(v);
		cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof *items);
		for (size_t i = 0; i < n; i++)
			items[i] = project(a, cty_index(v, i), cty_type_elem(t));
		return cty_list(a, cty_type_elem(t), n, items);
	}
	default:
		return cty_copy(a, v);
	}
}

/* Exact spelling only: the service's own keys (e.g. "DeploymentApiVersion") are not ours. */
static int managed_exact(const char *key)
{
	for (const foundry_gc_managed_key *k = foundry_gc_managed_keys; k->key; k++)
		if (strcmp(k->key, key) == 0)
			return 1;
	return 0;
}

static int gcd_read(cty_value **out_state, tf_ctx *ctx, const cty_value *config)
{
	fy_arena *a = tf_ctx_arena(ctx);
	const char *parent = cty_get_string(config, "parent_id");
	const char *name = cty_get_string(config, "name");
	foundry_client *c = tf_ctx_provider_data(ctx);
	arm_client *arm;
	*out_state = NULL;
	if (!parent || !name) {
		tf_error(ctx, NULL, "Failed to read connection", "parent_id and name must be known.");
		return FY_EINVALID;
	}
	char *id = foundry_gc_id(a, parent, name);
	if (!c) {
		tf_error(ctx, NULL, "Provider not configured", "The foundry provider was not configured.");
		return FY_EINVALID;
	}
	if (foundry_client_arm(&arm, c) < 0) {
		tf_error(ctx, NULL, "Cannot authenticate to Azure", "Could not read connection \"%s\": %s", id,
			tflog_redact(a, fy_error_last()->message));
		return FY_EAUTH;
	}
	arm_result *r = NULL;
	if (arm_do(&r, arm, "GET", id, foundry_client_api_version(c), NULL) < 0) {
		foundry_gc_arm_error(ctx, "read", id, NULL);
		return FY_EIO;
	}
	if (r->status == 404) {
		/* A data source must find its object (unlike a resource, where 404 means "create it again"). */
		tf_error(ctx, tf_path(ctx, "name"), "Connection not found", "Connection \"%s\" was not found.", id);
		arm_result_free(r);
		return FY_ENOTFOUND;
	}
	if (r->status != 200) {
		foundry_gc_arm_error(ctx, "read", id, r);
		arm_result_free(r);
		return FY_ERROR;
	}
	cJSON *body = cJSON_ParseWithLength(r->body, r->body_len);
	arm_result_free(r);
	const cty_type *rt;
	cty_value *full = NULL;
	int rc = FY_EINVALID;
	if (cJSON_IsObject(body) && tf_block_implied_type(&rt, a, &foundry_gc_schema) == 0) {
		cty_value *stub = cty_object(a, rt);
		cty_object_set(stub, "parent_id", cty_string(a, parent));
		cty_object_set(stub, "name", cty_string(a, name));
		rc = foundry_gc_from_arm(&full, a, rt, body, stub, tf_ctx_diags(ctx));
	}
	if (rc < 0) {
		tf_error(ctx, NULL, "Failed to read connection", "%s: %s", id,
			cJSON_IsObject(body) ? fy_error_last()->message : "ARM answered with a body that is not a JSON object");
		cJSON_Delete(body);
		return rc;
	}
	cty_value *st = project(a, full, tf_ctx_schema_type(ctx));
	/* A data source shows the metadata as it is, service-added keys included. */
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "properties"), "metadata");
	cty_object_set(st, "metadata", foundry_string_map(a, md, NULL, NULL));
	cty_object_set(st, "extra_metadata", foundry_string_map(a, md, managed_exact, NULL));
	cJSON_Delete(body);
	*out_state = st;
	return 0;
}

const tf_data_source foundry_gc_data_source = {
	.type_name = "foundry_gateway_connection",
	.schema = &foundry_gc_data_schema,
	.read = gcd_read,
};
