/*
 * moved { from = azapi_resource.x  to = foundry_gateway_connection.x }: the typed state from an azapi_resource's
 * stored state, with no ARM call. azapi 1.x stores `body` as a JSON string, 2.x as a value; both are read. Every
 * property of the body maps to an attribute (metadata through the same reader as an import, so models and
 * modelDiscovery are decoded from their JSON strings, "true"/"false" become booleans and unknown keys land in
 * extra_metadata); the key comes from body.properties.credentials or sensitive_body when the state holds them. A
 * source that is not a gateway connection, or a property that cannot be mapped, is an error naming it: nothing is
 * half-moved. (azapi's own MoveState takes the api-version from its newest index and drops properties,
 * Azure/terraform-provider-azapi #1216, #1227; here the source's api-version is reported, see below.)
 */
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "provider/arm_id.h"
#include "provider/arm_resource.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

static const char *const azapi_addresses[] = {
	"registry.terraform.io/azure/azapi", "registry.opentofu.org/azure/azapi", NULL};
static const char *const connection_types[] = {"Microsoft.CognitiveServices/accounts/projects/connections",
	"Microsoft.CognitiveServices/accounts/connections", NULL};
/* What body.properties may hold: the keys the resource maps, and the service's own. */
static const char *const known_properties[] = {"category", "target", "authType", "isSharedToAll", "credentials",
	"metadata", "audience", "tokenUrl", "scopes", "group", "createdByWorkspaceArmId", "peStatus", "error",
	"expiryTime", "isSharedToAllInferred", NULL};

static int listed(const char *const *list, const char *s, int ci)
{
	for (; s && *list; list++)
		if (ci ? strcasecmp(*list, s) == 0 : strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/* body as a JSON object: azapi 2.x stores the value, 1.x a JSON string. NULL when absent; *bad when unusable. */
static cJSON *body_object(const cJSON *attr, int *bad)
{
	*bad = 0;
	if (attr == NULL || cJSON_IsNull(attr))
		return NULL;
	/* A dynamic attribute is stored as {"value": ..., "type": ...} (cty's JSON for dynamic values). */
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(attr, "value");
	if (cJSON_IsObject(attr) && value && cJSON_GetObjectItemCaseSensitive(attr, "type"))
		attr = value;
	if (cJSON_IsNull(attr))
		return NULL;
	if (cJSON_IsObject(attr))
		return cJSON_Duplicate(attr, 1);
	cJSON *j = cJSON_IsString(attr) ? cJSON_Parse(attr->valuestring) : NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		*bad = 1;
		return NULL;
	}
	return j;
}

static int move_fail(tf_ctx *ctx, const char *property, const char *why)
{
	tf_error(ctx, NULL, "Cannot move this azapi_resource",
		"%s: %s. Nothing was moved; import the connection instead "
		"(docs/guides/migrating-from-azapi.md).",
		property, why);
	return FY_EINVALID;
}

static int check_source(tf_ctx *ctx, const tf_move_source *src, const char **api_version, const cJSON *attrs)
{
	if (!listed(azapi_addresses, src->provider_address, 1) ||
		strcmp(src->type_name ? src->type_name : "", "azapi_resource"))
		return move_fail(ctx, "source",
			fy_arena_sprintf(tf_ctx_arena(ctx), "%s from %s is not an azapi_resource",
				src->type_name ? src->type_name : "",
				src->provider_address ? src->provider_address : ""));
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(attrs, "type");
	if (!cJSON_IsString(type))
		return move_fail(ctx, "type", "the state has no resource type");
	const char *at = strchr(type->valuestring, '@');
	char *t = fy_arena_strndup(tf_ctx_arena(ctx), type->valuestring,
		at ? (size_t)(at - type->valuestring) : strlen(type->valuestring));
	if (!listed(connection_types, t, 1))
		return move_fail(
			ctx, "type", fy_arena_sprintf(tf_ctx_arena(ctx), "\"%s\" is not a Foundry connection", t));
	*api_version = at ? at + 1 : NULL;
	return 0;
}

/* The connection's id from the azapi state: `id`, else parent_id + name. */
static const char *source_id(fy_arena *a, const cJSON *attrs)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(attrs, "id");
	if (cJSON_IsString(id) && id->valuestring[0])
		return id->valuestring;
	const cJSON *parent = cJSON_GetObjectItemCaseSensitive(attrs, "parent_id");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(attrs, "name");
	if (cJSON_IsString(parent) && cJSON_IsString(name))
		return foundry_arm_id_join(a, &foundry_gc_id_spec, parent->valuestring, name->valuestring);
	return NULL;
}

/* Secrets ARM never returns but azapi may have kept: body.properties.credentials, or sensitive_body's. */
static void take_credentials(fy_arena *a, cty_value *st, const cJSON *props, const cJSON *sensitive)
{
	const cJSON *creds = cJSON_GetObjectItemCaseSensitive(props, "credentials");
	const cJSON *screds = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(sensitive, "properties"), "credentials");
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(creds, "key");
	if (!cJSON_IsString(key))
		key = cJSON_GetObjectItemCaseSensitive(screds, "key");
	const char *auth = cty_get_string(st, "auth_type");
	if (cJSON_IsString(key) && auth && strcmp(auth, "ApiKey") == 0)
		cty_object_set(st, "api_key", cty_string(a, key->valuestring));
	cty_value *o = cty_get_attr(st, "oauth2");
	if (o && !cty_is_null(o)) {
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(creds, "clientSecret");
		if (!cJSON_IsString(sec))
			sec = cJSON_GetObjectItemCaseSensitive(screds, "clientSecret");
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(creds, "clientId");
		if (!cJSON_IsString(cid))
			cid = cJSON_GetObjectItemCaseSensitive(screds, "clientId");
		cty_value *c = cty_copy(a, o);
		if (cJSON_IsString(sec))
			cty_object_set(c, "client_secret", cty_string(a, sec->valuestring));
		if (cJSON_IsString(cid))
			cty_object_set(c, "client_id", cty_string(a, cid->valuestring));
		cty_object_set(st, "oauth2", c);
	}
}

int foundry_gc_move(cty_value **out_state, tf_ctx *ctx, const tf_move_source *src)
{
	fy_arena *a = tf_ctx_arena(ctx);
	*out_state = NULL;
	cJSON *attrs = src->state_json ? cJSON_ParseWithLength(src->state_json, src->state_len) : NULL;
	int bad = 0, rc;
	const char *api_version = NULL;
	cJSON *body = NULL, *sensitive = NULL;
	if (!cJSON_IsObject(attrs)) {
		rc = move_fail(ctx, "state", "the source state is not a JSON object");
		goto done;
	}
	if ((rc = check_source(ctx, src, &api_version, attrs)) < 0)
		goto done;
	body = body_object(cJSON_GetObjectItemCaseSensitive(attrs, "body"), &bad);
	sensitive = body_object(cJSON_GetObjectItemCaseSensitive(attrs, "sensitive_body"), &bad);
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "properties");
	if (bad || !cJSON_IsObject(props)) {
		rc = move_fail(ctx, "body", "it has no \"properties\" object");
		goto done;
	}
	const cJSON *p;
	cJSON_ArrayForEach (p, props) {
		if (!listed(known_properties, p->string, 0)) {
			rc = move_fail(ctx, fy_arena_sprintf(a, "body.properties.%s", p->string),
				"foundry_gateway_connection has no attribute for this property");
			goto done;
		}
	}
	const char *cat = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(props, "category"));
	if (!cat || (strcasecmp(cat, "ApiManagement") && strcasecmp(cat, "ModelGateway"))) {
		rc = move_fail(ctx, "body.properties.category",
			fy_arena_sprintf(a, "\"%s\" is not a gateway connection (ApiManagement or ModelGateway)",
				cat ? cat : ""));
		goto done;
	}
	const char *id = source_id(a, attrs);
	char *parent, *name;
	if (!id || foundry_arm_id_split(&parent, &name, a, &foundry_gc_id_spec, id) < 0) {
		rc = move_fail(
			ctx, "id", id ? fy_error_last()->message : "the state has neither id nor parent_id and name");
		goto done;
	}
	/* The same reader as an import: a stub with the id's spelling. */
	cJSON *arm = cJSON_CreateObject();
	cJSON_AddStringToObject(arm, "id", id);
	cJSON_AddItemToObject(arm, "properties", cJSON_Duplicate(props, 1));
	const cty_type *t = tf_ctx_schema_type(ctx);
	cty_value *stub = foundry_arm_stub(a, t, &foundry_gc_id_spec, parent, name), *st = NULL;
	/* No diagnostics from the reading here: the plan that follows reads the connection again and warns, with the
	 * attribute path a MoveResourceState diagnostic cannot carry (the wrong-case warning was printed twice). */
	rc = foundry_gc_from_arm(&st, a, t, arm, stub, NULL);
	cJSON_Delete(arm);
	if (rc < 0) {
		rc = move_fail(ctx, "body.properties", fy_error_last()->message);
		goto done;
	}
	take_credentials(a, st, props, sensitive);
	if (api_version && strcmp(api_version, FOUNDRY_DEFAULT_API_VERSION) != 0)
		tf_warning(ctx, NULL, "api-version of the moved connection",
			"azapi addressed this connection with api-version %s; foundry_gateway_connection uses the provider's "
			"api_version (default %s). To keep %s, set api_version = \"%s\" in the provider block.",
			api_version, FOUNDRY_DEFAULT_API_VERSION, api_version, api_version);
	*out_state = st;
	rc = 0;
done:
	cJSON_Delete(attrs);
	cJSON_Delete(body);
	cJSON_Delete(sensitive);
	return rc;
}
