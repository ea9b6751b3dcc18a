/* foundry_gateway_connection <-> ARM connection body (see gateway_connection_arm.h). */
#include "provider/gateway_connection_arm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provider/arm_resource.h"

const foundry_gc_managed_key foundry_gc_managed_keys[] = {
	/* Exact wire spelling from docs/internals/arm.md 2.3 (metadata keys are case-sensitive for Foundry). */
	{"deploymentInPath", "deployment_in_path"},
	{"inferenceAPIVersion", "inference_api_version"},
	{"deploymentAPIVersion", "deployment_api_version"},
	{"models", "models"},
	{"modelDiscovery", "model_discovery"},
	{"customHeaders", "custom_headers"},
	{"authConfig", "auth_config"},
	{NULL, NULL},
};

const foundry_gc_managed_key *foundry_gc_managed_key_find(const char *key)
{
	for (const foundry_gc_managed_key *k = foundry_gc_managed_keys; key && k->key; k++)
		if (strcasecmp(k->key, key) == 0)
			return k;
	return NULL;
}

/* ------------------------------------------------------------ value helpers */

static int known_deep(const cty_value *v)
{
	return !v || cty_is_wholly_known(v);
}

static cty_value *attr(const cty_value *obj, const char *name)
{
	return cty_is_set(obj) ? cty_get_attr(obj, name) : NULL;
}

/* A required string attribute of the planned value; FY_EINVALID names it when null or unknown. */
static int need_str(const char **out, const cty_value *obj, const char *name, const char *where)
{
	cty_value *v = attr(obj, name);
	if (cty_is_unknown_value(v))
		return fy_error_set(FY_EINVALID, "%s%s is not known yet", where, name);
	*out = cty_get_string(obj, name);
	if (!*out)
		return fy_error_set(FY_EINVALID, "%s%s is required", where, name);
	return 0;
}

/* ------------------------------------------------------------- identifiers */

/* ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$ (SPEC-2609 connectionName, docs/internals/arm.md 0.6). */
static int connection_name_valid(const char *s, size_t n)
{
	if (n < 3 || n > 33 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

static const foundry_arm_name_rule connection_name = {
	connection_name_valid, "3-33 characters: letters, digits, '_', '-', starting with a letter or digit"};
static const foundry_arm_shape *const connection_parents[] = {
	&foundry_arm_shape_account, &foundry_arm_shape_project, NULL};
const foundry_arm_idspec foundry_gc_id_spec = {"connection", connection_parents, "connections", &connection_name};

/* ------------------------------------------------------------ JSON helpers */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* Add o[k] = the string attribute `name` of obj when it is non-null. */
static void add_str_attr(cJSON *o, const char *k, const cty_value *obj, const char *name)
{
	const char *s = cty_get_string(obj, name);
	if (s)
		cJSON_AddStringToObject(o, k, s);
}

int foundry_json_text_equal(const char *a, const char *b)
{
	cJSON *ja = a ? cJSON_ParseWithOpts(a, NULL, 1) : NULL;
	cJSON *jb = b ? cJSON_ParseWithOpts(b, NULL, 1) : NULL;
	/* cJSON_Compare matches object members by name, so key order never matters. */
	int eq = ja && jb && cJSON_Compare(ja, jb, 1);
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	return eq;
}

/* ------------------------------------------------- typed attribute <-> JSON */

/* models = [{"name","properties":{"model":{"name","version","format"}}}] (docs/internals/arm.md 2.3, FS
 * string(staticModels)). */
static cJSON *enc_models(const cty_value *list)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < cty_length(list); i++) {
		const cty_value *m = cty_index(list, i);
		cJSON *item = cJSON_CreateObject();
		cJSON *props = cJSON_CreateObject();
		cJSON *model = cJSON_CreateObject();
		add_str_attr(item, "name", m, "name");
		add_str_attr(model, "name", m, "model_name");
		/* A null version is omitted (the deepseek sample has none); "" is sent as "". */
		add_str_attr(model, "version", m, "model_version");
		add_str_attr(model, "format", m, "model_format");
		cJSON_AddItemToObject(props, "model", model);
		cJSON_AddItemToObject(item, "properties", props);
		cJSON_AddItemToArray(arr, item);
	}
	return arr;
}

static cJSON *enc_discovery(const cty_value *o)
{
	cJSON *j = cJSON_CreateObject();
	add_str_attr(j, "listModelsEndpoint", o, "list_models_endpoint");
	add_str_attr(j, "getModelEndpoint", o, "get_model_endpoint");
	add_str_attr(j, "deploymentProvider", o, "deployment_provider");
	return j;
}

static cJSON *enc_headers(const cty_value *map)
{
	cJSON *j = cJSON_CreateObject();
	for (size_t i = 0; i < cty_length(map); i++) {
		const char *s = cty_as_string(cty_index(map, i), NULL);
		if (s)
			cJSON_AddStringToObject(j, cty_map_key(map, i), s);
	}
	return j;
}

/* authConfig = {"type","name","format"}; type defaults to "api_key" (docs/internals/arm.md 2.3). */
static cJSON *enc_auth_config(const cty_value *o)
{
	cJSON *j = cJSON_CreateObject();
	const char *type = cty_get_string(o, "type");
	cJSON_AddStringToObject(j, "type", type ? type : "api_key");
	add_str_attr(j, "name", o, "header_name");
	add_str_attr(j, "format", o, "format");
	return j;
}

/* Decoders: the typed value from the service's JSON; *clean = 0 when something did not have the expected shape. */
static cty_value *str_or_null(fy_arena *a, const cJSON *o, const char *k, int required, int *clean)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsString(it))
		return cty_string(a, it->valuestring);
	if (it || required)
		*clean = 0;
	return cty_null(a, cty_type_string());
}

static cty_value *dec_models(fy_arena *a, const cty_type *t, const cJSON *j, int *clean)
{
	if (!cJSON_IsArray(j)) {
		*clean = 0;
		return cty_null(a, t);
	}
	const cty_type *et = cty_type_elem(t);
	size_t n = (size_t)cJSON_GetArraySize(j), k = 0;
	cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof *items);
	const cJSON *it;
	cJSON_ArrayForEach (it, j) {
		if (!cJSON_IsObject(it)) {
			*clean = 0;
			continue;
		}
		const cJSON *props = cJSON_GetObjectItemCaseSensitive(it, "properties");
		const cJSON *model = cJSON_GetObjectItemCaseSensitive(props, "model");
		if (!cJSON_IsObject(model))
			*clean = 0;
		cty_value *m = cty_object(a, et);
		cty_object_set(m, "name", str_or_null(a, it, "name", 1, clean));
		cty_object_set(m, "model_name", str_or_null(a, model, "name", 1, clean));
		cty_object_set(m, "model_version", str_or_null(a, model, "version", 0, clean));
		cty_object_set(m, "model_format", str_or_null(a, model, "format", 1, clean));
		items[k++] = m;
	}
	return cty_list(a, et, k, items);
}

static cty_value *dec_discovery(fy_arena *a, const cty_type *t, const cJSON *j, int *clean)
{
	if (!cJSON_IsObject(j)) {
		*clean = 0;
		return cty_null(a, t);
	}
	cty_value *o = cty_object(a, t);
	cty_object_set(o, "list_models_endpoint", str_or_null(a, j, "listModelsEndpoint", 1, clean));
	cty_object_set(o, "get_model_endpoint", str_or_null(a, j, "getModelEndpoint", 1, clean));
	cty_object_set(o, "deployment_provider", str_or_null(a, j, "deploymentProvider", 1, clean));
	return o;
}

cty_value *foundry_string_map(fy_arena *a, const cJSON *o, int (*skip)(const char *key), int *clean)
{
	if (!cJSON_IsObject(o))
		o = NULL;
	size_t n = (size_t)cJSON_GetArraySize(o), k = 0;
	const char **keys = fy_arena_alloc(a, (n ? n : 1) * sizeof *keys);
	cty_value **vals = fy_arena_alloc(a, (n ? n : 1) * sizeof *vals);
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		if (!cJSON_IsString(it)) {
			if (clean)
				*clean = 0;
			continue;
		}
		if (skip && skip(it->string))
			continue;
		keys[k] = it->string;
		vals[k++] = cty_string(a, it->valuestring);
	}
	return cty_map(a, cty_type_string(), k, keys, vals);
}

static cty_value *dec_headers(fy_arena *a, const cty_type *t, const cJSON *j, int *clean)
{
	if (!cJSON_IsObject(j)) {
		*clean = 0;
		return cty_null(a, t);
	}
	return foundry_string_map(a, j, NULL, clean); /* custom_headers is map(string) */
}

static cty_value *dec_auth_config(fy_arena *a, const cty_type *t, const cJSON *j, int *clean)
{
	if (!cJSON_IsObject(j)) {
		*clean = 0;
		return cty_null(a, t);
	}
	cty_value *o = cty_object(a, t);
	cty_value *type = str_or_null(a, j, "type", 0, clean);
	/* An absent type means the default, as it does when we send it. */
	cty_object_set(o, "type", cty_is_null(type) ? cty_string(a, "api_key") : type);
	cty_object_set(o, "header_name", str_or_null(a, j, "name", 0, clean));
	cty_object_set(o, "format", str_or_null(a, j, "format", 0, clean));
	return o;
}

typedef struct json_attr {
	const char *key; /* metadata key */
	const char *attr; /* attribute */
	const char *shape;
	cJSON *(*enc)(const cty_value *v);
	cty_value *(*dec)(fy_arena *a, const cty_type *t, const cJSON *j, int *clean);
} json_attr;

static const json_attr json_attrs[] = {
	{"models", "models",
		"a JSON array of {\"name\", \"properties\": {\"model\": {\"name\", \"version\", \"format\"}}}",
		enc_models, dec_models},
	{"modelDiscovery", "model_discovery",
		"a JSON object {\"listModelsEndpoint\", \"getModelEndpoint\", \"deploymentProvider\"}", enc_discovery,
		dec_discovery},
	{"customHeaders", "custom_headers", "a JSON object of string values", enc_headers, dec_headers},
	{"authConfig", "auth_config", "a JSON object {\"type\", \"name\", \"format\"}", enc_auth_config,
		dec_auth_config},
	{NULL, NULL, NULL, NULL, NULL},
};

/* ---------------------------------------------------------------- metadata */

static const char *const metadata_deps[] = {"deployment_in_path", "inference_api_version", "deployment_api_version",
	"models", "model_discovery", "custom_headers", "auth_config", "extra_metadata", NULL};

int foundry_gc_metadata_known(const cty_value *v)
{
	if (!cty_is_set(v))
		return 0;
	for (const char *const *d = metadata_deps; *d; d++)
		if (!known_deep(cty_get_attr(v, *d)))
			return 0;
	return 1;
}

static void add_json_text(cJSON *md, const char *key, cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);
	cJSON_AddStringToObject(md, key, text ? text : "null");
	cJSON_free(text);
	cJSON_Delete(j);
}

int foundry_gc_metadata(cJSON **out, const cty_value *v)
{
	if (!foundry_gc_metadata_known(v))
		return fy_error_set(FY_EINVALID, "the connection metadata depends on values that are not known yet");
	cJSON *md = cJSON_CreateObject();
	/* Always sent: APIM fails validation without it (docs/internals/arm.md 2.3); the default is false. */
	cJSON_AddStringToObject(md, "deploymentInPath", cty_get_bool(v, "deployment_in_path", 0) ? "true" : "false");
	/* Omitted when null; "" is sent as "" (the ModelGateway template sends inferenceAPIVersion: ""). */
	add_str_attr(md, "inferenceAPIVersion", v, "inference_api_version");
	add_str_attr(md, "deploymentAPIVersion", v, "deployment_api_version");
	/* Complex values are JSON strings: metadata is map<string,string> (docs/internals/arm.md 0.3). */
	for (const json_attr *ja = json_attrs; ja->key; ja++) {
		const cty_value *x = cty_get_attr(v, ja->attr);
		if (!cty_is_absent(x))
			add_json_text(md, ja->key, ja->enc(x));
	}
	const cty_value *extra = cty_get_attr(v, "extra_metadata");
	for (size_t i = 0; !cty_is_absent(extra) && i < cty_length(extra); i++) {
		const char *k = cty_map_key(extra, i);
		const char *s = cty_as_string(cty_index(extra, i), NULL);
		if (foundry_gc_managed_key_find(k)) {
			cJSON_Delete(md);
			return fy_error_set(FY_EINVALID, "extra_metadata key \"%s\" is managed by the attribute %s", k,
				foundry_gc_managed_key_find(k)->attr);
		}
		if (s)
			cJSON_AddStringToObject(md, k, s);
	}
	*out = md;
	return 0;
}

/* customHeaders carries secrets (gateway keys go in headers): its values live in `custom_headers` (sensitive)
 * only, so that `metadata` can be shown in plans and outputs and no secret is stored twice. */
static int metadata_hidden(const char *key)
{
	return strcmp(key, "customHeaders") == 0;
}

int foundry_gc_metadata_value(cty_value **out, fy_arena *a, const cty_value *v)
{
	cJSON *md;
	int rc = foundry_gc_metadata(&md, v);
	if (rc < 0)
		return rc;
	*out = foundry_string_map(a, md, metadata_hidden, NULL);
	cJSON_Delete(md);
	return 0;
}

/* -------------------------------------------------------------------- to_arm */

int foundry_gc_to_arm(cJSON **out_body, const cty_value *v, const cty_value *config)
{
	const char *category, *target, *auth_type;
	int rc;

	if (!cty_is_set(v))
		return fy_error_set(FY_EINVALID, "no planned value to send");
	if ((rc = need_str(&category, v, "category", "")) < 0 || (rc = need_str(&target, v, "target", "")) < 0 ||
		(rc = need_str(&auth_type, v, "auth_type", "")) < 0)
		return rc;
	if (cty_is_unknown_value(attr(v, "shared_to_all")))
		return fy_error_set(FY_EINVALID, "shared_to_all is not known yet");

	cJSON *md;
	if ((rc = foundry_gc_metadata(&md, v)) < 0)
		return rc;

	cJSON *body = cJSON_CreateObject();
	cJSON *props = cJSON_AddObjectToObject(body, "properties");
	cJSON_AddStringToObject(props, "category", category);
	cJSON_AddStringToObject(props, "target", target);
	cJSON_AddStringToObject(props, "authType", auth_type);
	cJSON_AddBoolToObject(props, "isSharedToAll", cty_get_bool(v, "shared_to_all", 0));
	cJSON *creds = cJSON_AddObjectToObject(props, "credentials");

	if (strcmp(auth_type, "ApiKey") == 0) {
		const char *key = cty_get_string(v, "api_key");
		/* Write-only values are never in the plan; Terraform passes them in the config at apply. */
		if (!key && config)
			key = cty_get_string(config, "api_key_wo");
		if (!key) {
			rc = fy_error_set(FY_EINVALID, "auth_type ApiKey needs api_key or api_key_wo");
			goto fail;
		}
		cJSON_AddStringToObject(creds, "key", key);
	} else if (strcmp(auth_type, "OAuth2") == 0) {
		const cty_value *o = attr(v, "oauth2");
		const char *cid, *secret, *url;
		if (!cty_is_set(o)) {
			rc = fy_error_set(FY_EINVALID, "auth_type OAuth2 needs oauth2");
			goto fail;
		}
		if ((rc = need_str(&cid, o, "client_id", "oauth2.")) < 0 ||
			(rc = need_str(&url, o, "token_url", "oauth2.")) < 0)
			goto fail;
		/* The write-only secret is never in the plan; Terraform passes it in the config at apply. */
		secret = cty_get_string(o, "client_secret");
		if (!secret && config)
			secret = cty_get_string(attr(config, "oauth2"), "client_secret_wo");
		if (!secret) {
			rc = cty_is_unknown_value(attr(o, "client_secret"))
				? fy_error_set(FY_EINVALID, "oauth2.client_secret is not known yet")
				: fy_error_set(FY_EINVALID,
					  "auth_type OAuth2 needs oauth2.client_secret or oauth2.client_secret_wo");
			goto fail;
		}
		cJSON_AddStringToObject(creds, "clientId", cid);
		cJSON_AddStringToObject(creds, "clientSecret", secret);
		/* tokenUrl and scopes are top-level properties, not credentials (docs/internals/arm.md 0.5, FS
		 * modelgateway bicep). */
		cJSON_AddStringToObject(props, "tokenUrl", url);
		const cty_value *scopes = cty_get_attr(o, "scopes");
		if (cty_is_unknown_value(scopes) || !known_deep(scopes)) {
			rc = fy_error_set(FY_EINVALID, "oauth2.scopes is not known yet");
			goto fail;
		}
		if (!cty_is_absent(scopes)) {
			cJSON *arr = cJSON_AddArrayToObject(props, "scopes");
			for (size_t i = 0; i < cty_length(scopes); i++) {
				const char *s = cty_as_string(cty_index(scopes, i), NULL);
				if (s)
					cJSON_AddItemToArray(arr, cJSON_CreateString(s));
			}
		}
	} else if (strcmp(auth_type, "ProjectManagedIdentity") == 0) {
		const cty_value *aud = attr(v, "audience");
		if (cty_is_unknown_value(aud)) {
			rc = fy_error_set(FY_EINVALID, "audience is not known yet");
			goto fail;
		}
		const char *s = cty_get_string(v, "audience");
		/* The plan fills the default; this covers values built without a plan. */
		cJSON_AddStringToObject(props, "audience", s ? s : FOUNDRY_DEFAULT_AUDIENCE);
	}
	cJSON_AddItemToObject(props, "metadata", md);
	*out_body = body;
	return 0;
fail:
	cJSON_Delete(md);
	cJSON_Delete(body);
	return rc;
}

/* ------------------------------------------------------------------ from_arm */

/* Keys ARM adds to metadata on its own (docs/internals/arm.md 5.3.2): never ours, never drift, never imported. */
static const char *const service_keys[] = {"ApiVersion", "DeploymentApiVersion", NULL};

static int is_service_key(const char *k)
{
	for (const char *const *s = service_keys; *s; s++)
		if (strcmp(*s, k) == 0)
			return 1;
	return 0;
}

/* metadata[key], exact spelling only: Foundry reads metadata keys case-sensitively, so "Models" is not "models".
 * ARM returns null for metadata values a body set to null ("inferenceAPIVersion": null): absent, as ARM means it. */
static const cJSON *md_get(const cJSON *md, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(md, key);
	return cJSON_IsNull(it) ? NULL : it;
}

/* The service's spelling of an enum-like value, or the prior spelling when they differ only in case. */
static cty_value *keep_case(fy_arena *a, const char *svc, const cty_value *prior_obj, const char *name)
{
	const char *ps = prior_obj ? cty_get_string(prior_obj, name) : NULL;
	return cty_string(a, ps && strcasecmp(ps, svc) == 0 ? ps : svc);
}

static void set_if(cty_value *obj, const char *name, cty_value *v)
{
	if (v)
		cty_object_set(obj, name, v);
}

/* Reading one ARM body into state: what the steps share. */
typedef struct gc_reader {
	fy_arena *a;
	const cty_type *type;
	const cJSON *props;
	const cJSON *md; /* properties.metadata, or NULL */
	const cty_value *pv; /* prior state (or an import stub), or NULL */
	int import_stub; /* no prior values to normalise against: an import or the data source */
	tf_diags *diags;
	cty_value *st;
	/* Metadata whose service text goes into `metadata` as it is, so the difference stays visible: malformed
	 * managed keys and miscased spellings. At most one per metadata member. */
	const char **raw_keys;
	const char **raw_texts;
	size_t nraw, capraw;
} gc_reader;

/* What a managed key was meant to say. A state keeps Foundry's view (the exact spelling only); an import, an audit or
 * a listing reads a key written in another case as the value its writer meant, so that the configuration generated
 * from it keeps that value and its first plan shows the fix (the key rewritten in Foundry's spelling) as an update.
 * The wrong-case key itself stays in `metadata` and is warned about (read_miscased). */
static const cJSON *md_meant(const gc_reader *r, const char *key)
{
	const cJSON *it = md_get(r->md, key);
	if (it || !r->import_stub)
		return it;
	const cJSON *c;
	cJSON_ArrayForEach (c, r->md) /* the service's own spellings (ApiVersion, ...) are not anybody's intent */
		if (!cJSON_IsNull(c) && strcasecmp(c->string, key) == 0 && !is_service_key(c->string))
			return c;
	return NULL;
}

static void add_raw(gc_reader *r, const char *key, const char *text)
{
	if (r->nraw == r->capraw)
		return; /* cannot happen: capraw is the number of metadata members, and each is added once */
	r->raw_keys[r->nraw] = key;
	r->raw_texts[r->nraw++] = text;
}

static int is_raw(const gc_reader *r, const char *key)
{
	for (size_t i = 0; i < r->nraw; i++)
		if (strcmp(r->raw_keys[i], key) == 0)
			return 1;
	return 0;
}

/* A metadata value as `metadata` shows it. metadata is map<string,string>; a value another tool stored as JSON
 * (an array it forgot to jsonencode) is shown marked, so that it never looks like the string Foundry would read and
 * the plan that fixes it shows the change. */
static char *json_text(fy_arena *a, const cJSON *it)
{
	if (cJSON_IsString(it))
		return fy_arena_strdup(a, it->valuestring);
	char *p = cJSON_PrintUnformatted(it);
	char *s = fy_arena_sprintf(a, "(not a string) %s", p ? p : "");
	cJSON_free(p);
	return s;
}

static void warn_metadata(gc_reader *r, const char *attr_name, const char *key, const char *why)
{
	if (r->diags)
		tf_diag_add(r->diags, TF_WARNING, cty_path_attr(r->a, NULL, attr_name),
			"Connection metadata changed outside Terraform",
			"The connection's metadata key \"%s\" %s, so %s shows only what could be decoded. The next apply "
			"rewrites the key from the configuration.",
			key, why, attr_name);
}

/* The prior value of an attribute is set (we sent its key). */
static int sent(const gc_reader *r, const char *attr_name)
{
	return !cty_is_absent(attr(r->pv, attr_name));
}

/* category, authType and target identify what the connection is; a 200 without them (a proxy's page, a bad
 * gateway, `{"properties":{}}`) is not a connection, and reading it as nulls would plan a replacement of a working
 * one. Refuse it, naming the property. */
static int read_core(gc_reader *r)
{
	static const char *const core[][2] = {
		{"category", "category"}, {"authType", "auth_type"}, {"target", "target"}};
	for (size_t i = 0; i < 3; i++) {
		const cJSON *it = cJSON_GetObjectItemCaseSensitive(r->props, core[i][0]);
		if (!cJSON_IsString(it) || !it->valuestring[0])
			return fy_error_set(FY_EINVALID, "properties.%s is %s", core[i][0],
				it ? "not a non-empty string" : "missing");
		cty_object_set(r->st, core[i][1],
			i < 2 ? keep_case(r->a, it->valuestring, r->pv, core[i][1])
			      : cty_string(r->a, it->valuestring));
	}
	const cJSON *shared = cJSON_GetObjectItemCaseSensitive(r->props, "isSharedToAll");
	cty_object_set(r->st, "shared_to_all", cty_bool(r->a, cJSON_IsTrue(shared)));
	return 0;
}

/* GET never returns credentials (docs/internals/arm.md 0.2): keep them, and the write-only key's version, from prior.
 * audience,
 * tokenUrl and scopes are not in the swagger (docs/internals/arm.md 0.5): a service that drops them on GET must not
 * cause a
 * perpetual diff, so absent means "as before". */
static void read_auth(gc_reader *r)
{
	fy_arena *a = r->a;
	const cty_value *pv = r->pv;
	set_if(r->st, "api_key", attr(pv, "api_key"));
	set_if(r->st, "api_key_wo_version", attr(pv, "api_key_wo_version"));
	const char *aud = jstr(r->props, "audience");
	set_if(r->st, "audience", aud ? cty_string(a, aud) : attr(pv, "audience"));

	const cty_value *po = attr(pv, "oauth2");
	po = cty_is_set(po) ? po : NULL;
	const cJSON *creds = cJSON_GetObjectItemCaseSensitive(r->props, "credentials");
	const char *cid = jstr(creds, "clientId");
	const char *turl = jstr(r->props, "tokenUrl");
	const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(r->props, "scopes");
	if (!po && !cid && !turl && !cJSON_IsArray(scopes))
		return;
	cty_value *o = cty_object(a, cty_type_attr(r->type, "oauth2"));
	set_if(o, "client_id", cid ? cty_string(a, cid) : attr(po, "client_id"));
	set_if(o, "client_secret", attr(po, "client_secret"));
	set_if(o, "client_secret_wo_version", attr(po, "client_secret_wo_version"));
	set_if(o, "token_url", turl ? cty_string(a, turl) : attr(po, "token_url"));
	if (cJSON_IsArray(scopes)) {
		size_t n = (size_t)cJSON_GetArraySize(scopes), k = 0;
		cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof *items);
		const cJSON *s;
		cJSON_ArrayForEach (s, scopes) {
			if (cJSON_IsString(s))
				items[k++] = cty_string(a, s->valuestring);
		}
		cty_object_set(o, "scopes", cty_list(a, cty_type_string(), k, items));
	} else {
		set_if(o, "scopes", attr(po, "scopes"));
	}
	cty_object_set(r->st, "oauth2", o);
}

/* deploymentInPath: "True"/"true"/"TRUE" alike (docs/internals/arm.md 5.3.4). Absent keeps the prior value; the missing
 * key then
 * shows as drift on `metadata`, which the plan recomputes from configuration. */
static void read_deployment_in_path(gc_reader *r)
{
	const cJSON *dip = md_meant(r, "deploymentInPath");
	cty_value *pdip = attr(r->pv, "deployment_in_path");
	int val = cty_is_absent(pdip) || cty_is_unknown_value(pdip) ? 0 : cty_as_bool(pdip);
	if (dip) {
		if (cJSON_IsString(dip) && strcasecmp(dip->valuestring, "true") == 0) {
			val = 1;
		} else if (cJSON_IsString(dip) && strcasecmp(dip->valuestring, "false") == 0) {
			val = 0;
		} else {
			warn_metadata(r, "deployment_in_path", "deploymentInPath", "is neither \"true\" nor \"false\"");
			add_raw(r, dip->string, json_text(r->a, dip));
		}
	}
	cty_object_set(r->st, "deployment_in_path", cty_bool(r->a, val));
}

/* Plain string keys: "" and absent alike (docs/internals/arm.md 5.3.5): a prior "" or null is kept when the service has
 * "" or
 * nothing. An import (or data source) stub has nothing to normalise against: the service's value as it is. */
static void read_versions(gc_reader *r)
{
	static const char *const keys[][2] = {
		{"inferenceAPIVersion", "inference_api_version"}, {"deploymentAPIVersion", "deployment_api_version"}};
	for (size_t i = 0; i < 2; i++) {
		cty_value *p = attr(r->pv, keys[i][1]);
		const cJSON *it = md_meant(r, keys[i][0]);
		const char *s = cJSON_IsString(it) ? it->valuestring : NULL;
		const char *ps = cty_is_absent(p) || cty_is_unknown_value(p) ? NULL : cty_as_string(p, NULL);
		if (r->import_stub) {
			if (s)
				cty_object_set(r->st, keys[i][1], cty_string(r->a, s));
		} else if ((!s || !*s) && (!ps || !*ps)) {
			set_if(r->st, keys[i][1], ps ? p : NULL); /* prior "" stays "", prior null stays null */
		} else if (s) {
			cty_object_set(r->st, keys[i][1], cty_string(r->a, s));
		}
		if (it && !cJSON_IsString(it)) {
			warn_metadata(r, keys[i][1], keys[i][0], "is not a string");
			add_raw(r, it->string, json_text(r->a, it));
		}
	}
}

/* JSON-string keys: compared by meaning with what the prior state sends; real drift decodes into the typed
 * attribute so the plan shows it at its path (models[1].model_version). */
static void read_json_keys(gc_reader *r)
{
	for (const json_attr *ja = json_attrs; ja->key; ja++) {
		const cJSON *it = md_meant(r, ja->key);
		if (!it || (cJSON_IsString(it) && it->valuestring[0] == '\0'))
			continue; /* absent: the typed attribute is null, a diff when configuration sets it */
		if (!cJSON_IsString(it)) {
			warn_metadata(r, ja->attr, ja->key, "is not a JSON string");
			add_raw(r, it->string, json_text(r->a, it));
			/* An import keeps what the writer meant (the JSON it forgot to encode), so the first plan
			 * shows the fix: the same value, encoded. */
			int clean = 1;
			cty_value *meant = r->import_stub && (cJSON_IsArray(it) || cJSON_IsObject(it))
				? ja->dec(r->a, cty_type_attr(r->type, ja->attr), it, &clean)
				: NULL;
			if (meant && clean)
				cty_object_set(r->st, ja->attr, meant);
			continue;
		}
		cJSON *j = cJSON_ParseWithOpts(it->valuestring, NULL, 1);
		if (!j) {
			warn_metadata(r, ja->attr, ja->key, "is not valid JSON");
			add_raw(r, ja->key, fy_arena_strdup(r->a, it->valuestring));
			continue;
		}
		cty_value *p = attr(r->pv, ja->attr);
		int same = 0;
		if (!cty_is_absent(p) && known_deep(p)) {
			cJSON *pe = ja->enc(p);
			same = cJSON_Compare(pe, j, 1);
			cJSON_Delete(pe);
		}
		if (same) {
			cty_object_set(r->st, ja->attr, p);
		} else {
			int clean = 1;
			cty_object_set(r->st, ja->attr, ja->dec(r->a, cty_type_attr(r->type, ja->attr), j, &clean));
			if (!clean) {
				warn_metadata(r, ja->attr, ja->key, fy_arena_sprintf(r->a, "is not %s", ja->shape));
				add_raw(r, ja->key, fy_arena_strdup(r->a, it->valuestring));
			}
		}
		cJSON_Delete(j);
	}
}

/*
 * A managed key in another case ("Models", "inferenceApiVersion", "DeploymentInPath") is a key Foundry does not
 * read: the connection silently lacks the setting. It is drift when our spelling is absent and we sent the key
 * (or, on import, unless it is a spelling ARM adds on its own): the service text goes into `metadata`, so the plan
 * shows it replaced by ours, and a warning names it.
 */
static void read_miscased(gc_reader *r)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, r->md) {
		const foundry_gc_managed_key *mk = foundry_gc_managed_key_find(it->string);
		if (!mk || cJSON_IsNull(it) || strcmp(mk->key, it->string) == 0 || md_get(r->md, mk->key) ||
			is_raw(r, it->string))
			continue;
		int ours = strcmp(mk->key, "deploymentInPath") == 0 || sent(r, mk->attr) ||
			(r->import_stub && !is_service_key(it->string));
		if (!ours)
			continue;
		add_raw(r, it->string, json_text(r->a, it));
		if (r->diags)
			tf_diag_add(r->diags, TF_WARNING, cty_path_attr(r->a, NULL, mk->attr),
				"Metadata key in the wrong case",
				"The connection's metadata key \"%s\" differs from \"%s\" only in case. Foundry reads metadata "
				"keys case-sensitively, so it ignores this key and the connection does not work as "
				"configured. The next apply writes \"%s\" and removes \"%s\".",
				it->string, mk->key, mk->key, it->string);
	}
}

/* extra_metadata: the keys the user named. An import has no names yet, so it takes every key that is neither
 * managed nor ARM's own: the first plan then shows which keys the configuration would remove. */
static void read_extra(gc_reader *r)
{
	const cty_value *pe = attr(r->pv, "extra_metadata");
	if (r->import_stub) {
		size_t n = (size_t)cJSON_GetArraySize(r->md), k = 0;
		const char **keys = fy_arena_alloc(r->a, (n ? n : 1) * sizeof *keys);
		cty_value **vals = fy_arena_alloc(r->a, (n ? n : 1) * sizeof *vals);
		const cJSON *it;
		cJSON_ArrayForEach (it, r->md) {
			if (cJSON_IsString(it) && !foundry_gc_managed_key_find(it->string) &&
				!is_service_key(it->string)) {
				keys[k] = it->string;
				vals[k++] = cty_string(r->a, it->valuestring);
			}
		}
		if (k)
			cty_object_set(r->st, "extra_metadata", cty_map(r->a, cty_type_string(), k, keys, vals));
		return;
	}
	if (cty_is_absent(pe) || cty_is_unknown_value(pe))
		return;
	size_t n = cty_length(pe), k = 0;
	const char **keys = fy_arena_alloc(r->a, (n ? n : 1) * sizeof *keys);
	cty_value **vals = fy_arena_alloc(r->a, (n ? n : 1) * sizeof *vals);
	for (size_t i = 0; i < n; i++) {
		const char *key = cty_map_key(pe, i);
		const cJSON *it = md_get(r->md, key);
		const char *ps = cty_as_string(cty_index(pe, i), NULL);
		if (cJSON_IsString(it)) {
			keys[k] = key;
			vals[k++] = cty_string(r->a, it->valuestring);
		} else if (!it && ps && !*ps) {
			keys[k] = key;
			vals[k++] = cty_string(r->a, "");
		}
	}
	cty_object_set(r->st, "extra_metadata", cty_map(r->a, cty_type_string(), k, keys, vals));
}

/* metadata: our canonical encoding of the resulting typed values, for the keys the service has, so an unchanged
 * connection gives exactly what the plan computes and a deleted key shows as a diff; plus the raw keys. */
static int read_metadata(gc_reader *r)
{
	cJSON *canon;
	if (foundry_gc_metadata(&canon, r->st) < 0)
		return fy_error_set(FY_EINVALID, "cannot encode the connection metadata: %s", fy_error_last()->message);
	size_t n = (size_t)cJSON_GetArraySize(canon) + r->nraw, k = 0;
	const char **keys = fy_arena_alloc(r->a, (n ? n : 1) * sizeof *keys);
	cty_value **vals = fy_arena_alloc(r->a, (n ? n : 1) * sizeof *vals);
	const cJSON *c;
	cJSON_ArrayForEach (c, canon) {
		const foundry_gc_managed_key *mk = foundry_gc_managed_key_find(c->string);
		int include = !is_raw(r, c->string) && !metadata_hidden(c->string);
		if (mk && include) {
			int is_ver = strcmp(mk->key, "inferenceAPIVersion") == 0 ||
				strcmp(mk->key, "deploymentAPIVersion") == 0;
			/* c is in canon, so the state has the attribute: we sent the key. */
			include = md_get(r->md, mk->key) != NULL || (is_ver && c->valuestring[0] == '\0');
		}
		if (include) {
			keys[k] = fy_arena_strdup(r->a, c->string);
			vals[k++] = cty_string(r->a, c->valuestring);
		}
	}
	for (size_t i = 0; i < r->nraw; i++) {
		if (metadata_hidden(r->raw_keys[i]))
			continue;
		keys[k] = r->raw_keys[i];
		vals[k++] = cty_string(r->a, r->raw_texts[i]);
	}
	cJSON_Delete(canon);
	cty_object_set(r->st, "metadata", cty_map(r->a, cty_type_string(), k, keys, vals));
	return 0;
}

/* Identity: the user's spelling from prior state; ARM may answer with other casing (docs/internals/arm.md 5.3.8). */
static int read_identity(gc_reader *r, const cJSON *body)
{
	return foundry_arm_set_identity(r->st, r->a, &foundry_gc_id_spec, r->pv, body);
}

int foundry_gc_from_arm(cty_value **out_state, fy_arena *a, const cty_type *type, const cJSON *body,
	const cty_value *prior, tf_diags *diags)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "properties");
	if (!cJSON_IsObject(body) || !cJSON_IsObject(props))
		return fy_error_set(FY_EINVALID, "the ARM response is not a connection (no \"properties\" object)");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(props, "metadata");
	gc_reader r = {.a = a,
		.type = type,
		.props = props,
		.md = cJSON_IsObject(md) ? md : NULL,
		.pv = cty_is_set(prior) ? prior : NULL,
		.diags = diags,
		.st = cty_object(a, type)};
	/* A real state always has a category; an import or data source stub has only parent_id/name. */
	r.import_stub = !r.pv || cty_is_absent(attr(r.pv, "category"));
	r.capraw = (size_t)cJSON_GetArraySize(r.md) + 1;
	r.raw_keys = fy_arena_alloc(a, r.capraw * sizeof *r.raw_keys);
	r.raw_texts = fy_arena_alloc(a, r.capraw * sizeof *r.raw_texts);
	int rc;
	if ((rc = read_identity(&r, body)) < 0 || (rc = read_core(&r)) < 0)
		return rc;
	read_auth(&r);
	read_deployment_in_path(&r);
	read_versions(&r);
	read_json_keys(&r);
	read_miscased(&r);
	read_extra(&r);
	if ((rc = read_metadata(&r)) < 0)
		return rc;
	*out_state = r.st;
	return 0;
}

int foundry_gc_models_to_json(char **out, const cty_value *list)
{
	cJSON *j = enc_models(list);
	*out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return *out ? 0 : fy_error_set(FY_ENOMEM, "out of memory");
}

int foundry_gc_models_from_json(cty_value **out, fy_arena *a, const cty_type *list_type, const char *json)
{
	cJSON *j = cJSON_ParseWithOpts(json, NULL, 1);
	if (!j)
		return fy_error_set(FY_EINVALID, "the text is not JSON");
	int clean = 1;
	*out = dec_models(a, list_type, j, &clean);
	cJSON_Delete(j);
	if (!clean)
		return fy_error_set(FY_EINVALID, "the JSON is not %s", json_attrs[0].shape);
	return 0;
}
