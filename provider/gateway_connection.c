/* foundry_gateway_connection: the schema table, plan-time validation and plan; ARM bodies are in
 * gateway_connection_arm.c, the move from azapi in gateway_connection_move.c, the data source in
 * gateway_connection_data.c. */
#include "provider/gateway_connection.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "internal/arm/arm.h"
#include "internal/log/tflog.h"
#include "provider/client.h"
#include "provider/arm_resource.h"
#include "provider/gateway_connection_arm.h"

#define LOG_MODULE "foundry.provider"

/* ------------------------------------------------------------------ schema */

static const char *const categories[] = {"ApiManagement", "ModelGateway", NULL};
static const char *const auth_types[] = {"ApiKey", "ProjectManagedIdentity", "AAD", "OAuth2", NULL};
static const char *const deployment_providers[] = {"OpenAI", "AzureOpenAI", NULL};
static const char *const auth_config_types[] = {"api_key", NULL};

/* An HTTP header field name is an RFC 9110 token: visible ASCII without separators (no space, ':' or '"'). */
static int header_name_ok(const char *k)
{
	if (!*k)
		return 0;
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *p))
			return 0;
	return 1;
}

/* custom_headers: names Foundry can send as HTTP headers, values without line breaks (header injection). */
static void validate_custom_headers(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	if (!cty_is_set(v))
		return;
	fy_arena *a = tf_diags_arena(d);
	for (size_t i = 0; i < cty_length(v); i++) {
		const char *k = cty_map_key(v, i);
		const cty_value *val = cty_index(v, i);
		const char *s = cty_is_known(val) ? cty_as_string(val, NULL) : NULL;
		if (!header_name_ok(k))
			tf_diag_add(d, TF_ERROR, cty_path_key(a, path, k), "Invalid HTTP header name",
				"\"%s\" is not an HTTP header name: a header name is one or more visible ASCII characters without "
				"spaces or any of ()<>@,;:\\\"/[]?={} (for example \"x-team\").",
				k);
		else if (s && strpbrk(s, "\r\n"))
			tf_diag_add(d, TF_ERROR, cty_path_key(a, path, k), "Invalid HTTP header value",
				"The value of header \"%s\" contains a line break, which HTTP does not allow.", k);
	}
}

/* target is the API's base URL: Foundry appends /chat/completions (or /deployments/{name}/chat/completions). */
static void validate_target(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	if (!s)
		return;
	size_t n = strcspn(s, "?#");
	while (n > 0 && s[n - 1] == '/')
		n--;
	static const char suffix[] = "/chat/completions";
	if (n >= sizeof suffix - 1 && strncasecmp(s + n - (sizeof suffix - 1), suffix, sizeof suffix - 1) == 0)
		tf_diag_add(d, TF_ERROR, path, "target includes the inference route",
			"\"%s\" ends with /chat/completions. target is the gateway API's base URL: Foundry appends "
			"/chat/completions itself (or /deployments/{name}/chat/completions with deployment_in_path), so "
			"this target would call .../chat/completions/chat/completions. Remove the suffix.",
			s);
}

static const tf_validator v_parent_id[] = {
	{.kind = TF_V_FUNC, .func = foundry_arm_validate_parent, .data = &foundry_gc_id_spec}, {0}};
static const tf_validator v_custom_headers[] = {{.kind = TF_V_FUNC, .func = validate_custom_headers}, {0}};
static const tf_validator v_target[] = {{.kind = TF_V_HTTPS_URL}, {.kind = TF_V_FUNC, .func = validate_target}, {0}};
static const tf_validator v_name[] = {
	{.kind = TF_V_FUNC, .func = foundry_arm_validate_name, .data = &foundry_gc_id_spec}, {0}};
static const tf_validator v_category[] = {{.kind = TF_V_ONE_OF, .one_of = categories}, {0}};
static const tf_validator v_auth_type[] = {{.kind = TF_V_ONE_OF, .one_of = auth_types}, {0}};
static const tf_validator v_https[] = {{.kind = TF_V_HTTPS_URL}, {0}};
static const tf_validator v_not_empty[] = {{.kind = TF_V_NOT_EMPTY}, {0}};
static const tf_validator v_get_model_endpoint[] = {{.kind = TF_V_NOT_EMPTY},
	{.kind = TF_V_CONTAINS,
		.pattern = "{deploymentName}",
		.message =
			"get_model_endpoint must contain the placeholder {deploymentName}, which Foundry replaces with "
			"the deployment it looks up (for example \"/deployments/{deploymentName}\")."},
	{0}};
static const tf_validator v_deployment_provider[] = {{.kind = TF_V_ONE_OF, .one_of = deployment_providers}, {0}};
static const tf_validator v_auth_config_type[] = {{.kind = TF_V_ONE_OF, .one_of = auth_config_types}, {0}};
static const tf_validator v_auth_format[] = {
	{.kind = TF_V_CONTAINS,
		.pattern = "{api_key}",
		.message = "format must contain the placeholder {api_key}, which Foundry replaces "
			   "with the key (for example \"Bearer {api_key}\")."},
	{0}};

static const tf_attribute oauth2_attrs[] = {
	{.name = "client_id",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_not_empty,
		.description =
			"Client id Foundry presents to the identity provider (sent as `credentials.clientId`). Any "
			"identity provider's id is accepted, not only Entra ID GUIDs. ARM's GET returns no "
			"credentials, so it is kept from state and is null after import; should a response carry "
			"`credentials.clientId`, that value is read back."},
	{.name = "client_secret",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.validators = v_not_empty,
		.description =
			"Client secret (sent as `credentials.clientSecret`). ARM never returns it: it is kept from "
			"state, and is null after import. Set this or `client_secret_wo`."},
	{.name = "client_secret_wo",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY,
		.validators = v_not_empty,
		.description =
			"Write-only client secret (Terraform 1.11 and later, OpenTofu 1.11 and later): never stored "
			"in plan or state. It is sent on every create and update; change `client_secret_wo_version` "
			"to send a new secret."},
	{.name = "client_secret_wo_version",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "Any string; changing it triggers an update that sends the current `client_secret_wo`."},
	{.name = "token_url",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_https,
		.description =
			"Absolute `https://` URL of the token endpoint; Foundry uses the client-credentials flow "
			"(sent as `properties.tokenUrl`)."},
	{.name = "scopes",
		.type = "[\"list\",\"string\"]",
		.flags = TF_OPTIONAL,
		.description = "Scopes requested with the token (sent as the `properties.scopes` array)."},
	{0},
};
static const tf_object oauth2_object = {oauth2_attrs};

static const tf_attribute model_attrs[] = {
	{.name = "name",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_not_empty,
		.description = "Deployment name agents use (`<connection>/<name>`); unique within the connection."},
	{.name = "model_name",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_not_empty,
		.description = "Model name at the provider, e.g. `gpt-4o`."},
	{.name = "model_version",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "Model version, e.g. `2024-11-20`. May be `\"\"`; omitted from the wire when null."},
	{.name = "model_format",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_not_empty,
		.description = "Model format, e.g. `OpenAI`."},
	{0},
};
static const tf_object model_object = {model_attrs};

static const tf_attribute discovery_attrs[] = {
	{.name = "list_models_endpoint",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_not_empty,
		.description = "Path, relative to `target`, that lists the models (e.g. `/deployments` or `/models`)."},
	{.name = "get_model_endpoint",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_get_model_endpoint,
		.description = "Path, relative to `target`, of one model; must contain `{deploymentName}`."},
	{.name = "deployment_provider",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_deployment_provider,
		.description = "Response format of the discovery endpoints: `OpenAI` or `AzureOpenAI`."},
	{0},
};
static const tf_object discovery_object = {discovery_attrs};

static const tf_attribute auth_config_attrs[] = {
	{.name = "type",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_COMPUTED,
		.default_json = "\"api_key\"",
		.validators = v_auth_config_type,
		.description = "Authentication scheme; only `api_key` today (the default)."},
	{.name = "header_name",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_not_empty,
		.description =
			"Header that carries the key (sent as `name`), e.g. `Authorization`. Foundry's default is "
			"`api-key`."},
	{.name = "format",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_auth_format,
		.description = "Header value template; must contain `{api_key}`, e.g. `Bearer {api_key}`. Foundry's "
			       "default is `{api_key}`."},
	{0},
};
static const tf_object auth_config_object = {auth_config_attrs};

static const tf_attribute gc_attrs[] = {
	{.name = "id",
		.type = "\"string\"",
		.flags = TF_COMPUTED,
		.description = "ARM id of the connection, `{parent_id}/connections/{name}`; known at plan time."},
	{.name = "parent_id",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_parent_id,
		.description =
			"ARM id of the Foundry project (`.../accounts/{account}/projects/{project}`) or account "
			"(`.../accounts/{account}`) that owns the connection. Changing it replaces the connection."},
	{.name = "name",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_name,
		.description =
			"Connection name, 3-33 characters: letters, digits, `_`, `-`, starting with a letter or "
			"digit. Agents address models as `<name>/<model>`. Changing it replaces the connection."},
	{.name = "category",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_category,
		.description = "`ApiManagement` (Azure API Management) or `ModelGateway` (any other gateway). Changing "
			       "it replaces the connection."},
	{.name = "target",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_target,
		.description = "Absolute `https://` base URL of the gateway API, without `/chat/completions`. With "
			       "`ApiManagement` the host should be `*.azure-api.net`."},
	{.name = "auth_type",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_auth_type,
		.description = "How Foundry authenticates to the gateway: `ApiKey`, `ProjectManagedIdentity` or `AAD` "
			       "with `ApiManagement`; `ApiKey` or `OAuth2` with `ModelGateway`."},
	{.name = "api_key",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.validators = v_not_empty,
		.description =
			"Gateway key (for APIM, the subscription key), sent as `credentials.key` with "
			"`auth_type = \"ApiKey\"`. ARM never returns it: it is kept from state and is null after "
			"import. Set this or `api_key_wo`."},
	{.name = "api_key_wo",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE | TF_WRITE_ONLY,
		.validators = v_not_empty,
		.description =
			"Write-only gateway key (Terraform 1.11 and later): never stored in plan or state. It is "
			"sent on every create and update; change `api_key_wo_version` to send a new key."},
	{.name = "api_key_wo_version",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "Any string; changing it triggers an update that sends the current `api_key_wo`. A "
			       "string so that dates, hashes or counters all fit."},
	{.name = "audience",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_COMPUTED,
		.validators = v_not_empty,
		.description = "Token audience with `auth_type = \"ProjectManagedIdentity\"` (sent as "
			       "`properties.audience`); defaults to `https://cognitiveservices.azure.com`. Not allowed "
			       "with other auth types."},
	{.name = "oauth2",
		.nested = &oauth2_object,
		.nesting = TF_NEST_SINGLE,
		.flags = TF_OPTIONAL,
		.description = "OAuth2 client-credentials settings, required with `auth_type = \"OAuth2\"`."},
	{.name = "shared_to_all",
		.type = "\"bool\"",
		.flags = TF_OPTIONAL | TF_COMPUTED,
		.default_json = "false",
		.description = "Share the connection with every user of the project (`properties.isSharedToAll`). "
			       "Defaults to `false`."},
	{.name = "deployment_in_path",
		.type = "\"bool\"",
		.flags = TF_OPTIONAL | TF_COMPUTED,
		.default_json = "false",
		.description = "`true`: Foundry calls `{target}/deployments/{deployment}/chat/completions`; `false`: "
			       "`{target}/chat/completions` with the model in the body. Always sent as metadata "
			       "`deploymentInPath` (`\"true\"`/`\"false\"`); defaults to `false`."},
	{.name = "inference_api_version",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description =
			"`api-version` query value for inference calls (metadata `inferenceAPIVersion`); omitted "
			"when null. `\"\"` and absent are treated alike when reading."},
	{.name = "deployment_api_version",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description =
			"`api-version` query value for discovery calls (metadata `deploymentAPIVersion`); omitted "
			"when null."},
	{.name = "models",
		.nested = &model_object,
		.nesting = TF_NEST_LIST,
		.flags = TF_OPTIONAL,
		.validators = v_not_empty,
		.description = "Static model list (metadata `models`, sent as a JSON string). Conflicts with "
			       "`model_discovery`; a `ModelGateway` connection needs one of the two."},
	{.name = "model_discovery",
		.nested = &discovery_object,
		.nesting = TF_NEST_SINGLE,
		.flags = TF_OPTIONAL,
		.description = "Dynamic model discovery (metadata `modelDiscovery`, sent as a JSON string). Conflicts "
			       "with `models`."},
	{.name = "custom_headers",
		.type = "[\"map\",\"string\"]",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.validators = v_custom_headers,
		.description =
			"Headers Foundry adds to inference requests (metadata `customHeaders`, sent as a JSON "
			"string). Sensitive because gateways often take keys here; note that ARM returns metadata "
			"in clear to anyone who can read the connection."},
	{.name = "auth_config",
		.nested = &auth_config_object,
		.nesting = TF_NEST_SINGLE,
		.flags = TF_OPTIONAL,
		.description = "Custom API-key header (metadata `authConfig`, sent as a JSON string), e.g. "
			       "`{ header_name = \"Authorization\", format = \"Bearer {api_key}\" }`."},
	{.name = "extra_metadata",
		.type = "[\"map\",\"string\"]",
		.flags = TF_OPTIONAL,
		.description =
			"Other metadata keys, sent verbatim. Keys managed by an attribute (e.g. `deploymentInPath`, "
			"in any case) are rejected. Keys the service adds on its own are ignored unless named here."},
	{.name = "metadata",
		.type = "[\"map\",\"string\"]",
		.flags = TF_COMPUTED,
		.description =
			"The exact `properties.metadata` map sent to ARM, known at plan time, except `customHeaders`, "
			"whose values are secrets and live only in `custom_headers`. A plan shows here any key the "
			"service holds in another case than Foundry reads (e.g. `Models`), replaced by the right one."},
	{0},
};

/* Which settings belong together, declared (tf_rule; docs/internals/arm.md 2.2 and 5.2). */
#define V(...) ((const char *const[]){__VA_ARGS__, NULL})
static const tf_rule gc_rules[] = {
	{TF_RULE_ONE_OF_WHEN, V("auth_type"), {"category", V("ApiManagement")},
		V("ApiKey", "ProjectManagedIdentity", "AAD"), "Unsupported auth_type for this category",
		"auth_type \"{value}\" cannot be used with category \"ApiManagement\"; ApiManagement connections use ApiKey, "
		"ProjectManagedIdentity or AAD."},
	{TF_RULE_ONE_OF_WHEN, V("auth_type"), {"category", V("ModelGateway")}, V("ApiKey", "OAuth2"),
		"Unsupported auth_type for this category",
		"auth_type \"{value}\" cannot be used with category \"ModelGateway\"; ModelGateway connections use ApiKey or "
		"OAuth2."},
	{TF_RULE_EXACTLY_ONE, V("api_key", "api_key_wo"), {"auth_type", V("ApiKey")}, NULL, "Missing API key",
		"auth_type \"ApiKey\" needs exactly one of api_key or api_key_wo (write-only, Terraform 1.11 and later)."},
	{TF_RULE_ONLY_WHEN, V("api_key", "api_key_wo"), {"auth_type", V("ApiKey")}, NULL, "API key not used",
		"{value} is only used with auth_type \"ApiKey\", not \"{when}\"."},
	{TF_RULE_REQUIRED_WITH, V("api_key_wo_version", "api_key_wo"), {0}, NULL,
		"api_key_wo_version without api_key_wo",
		"api_key_wo_version only says when to send api_key_wo again; set api_key_wo too, or remove it."},
	{TF_RULE_REQUIRED_WHEN, V("oauth2"), {"auth_type", V("OAuth2")}, NULL, "Missing OAuth2 settings",
		"auth_type \"OAuth2\" needs oauth2 = { client_id, client_secret, token_url } (token_url an https:// URL; "
		"scopes optional)."},
	{TF_RULE_ONLY_WHEN, V("oauth2"), {"auth_type", V("OAuth2")}, NULL, "OAuth2 settings not used",
		"oauth2 is only used with auth_type \"OAuth2\", not \"{when}\"."},
	{TF_RULE_EXACTLY_ONE, V("oauth2.client_secret", "oauth2.client_secret_wo"), {"oauth2", NULL}, NULL,
		"Missing OAuth2 client secret",
		"oauth2 needs exactly one of client_secret or client_secret_wo (write-only)."},
	{TF_RULE_REQUIRED_WITH, V("oauth2.client_secret_wo_version", "oauth2.client_secret_wo"), {0}, NULL,
		"client_secret_wo_version without client_secret_wo",
		"oauth2.client_secret_wo_version only says when to send oauth2.client_secret_wo again; set client_secret_wo "
		"too, or remove it."},
	{TF_RULE_ONLY_WHEN, V("audience"), {"auth_type", V("ProjectManagedIdentity")}, NULL, "audience not used",
		"audience is only used with auth_type \"ProjectManagedIdentity\", not \"{when}\"."},
	{TF_RULE_CONFLICTS, V("models", "model_discovery"), {0}, NULL, "Conflicting model settings",
		"Use either models (a static list) or model_discovery (dynamic discovery), not both."},
	{TF_RULE_REQUIRED_WHEN, V("models", "model_discovery"), {"category", V("ModelGateway")}, NULL, "Missing models",
		"A ModelGateway connection needs models (a static list) or model_discovery (dynamic discovery)."},
	{0},
};
#undef V

static const tf_block_type gc_blocks[] = {FOUNDRY_ARM_TIMEOUTS, {0}};

const tf_block foundry_gc_schema = {
	.version = 0,
	.description =
		"A Foundry \"bring your own AI gateway\" connection "
		"(`Microsoft.CognitiveServices/accounts/projects/connections` or `.../accounts/connections`, "
		"category `ApiManagement` or `ModelGateway`), with a typed schema that is encoded to the exact ARM "
		"body. Import with the connection's ARM id. ARM's GET returns no credentials, so `api_key`, "
		"`oauth2.client_secret` and `oauth2.client_id` are null after import (`oauth2.client_id` is "
		"read back only if a response carries `credentials.clientId`).",
	.attributes = gc_attrs,
	.blocks = gc_blocks,
	.rules = gc_rules,
};

/* --------------------------------------------------------------- validate */

/* Host of an absolute URL ("" when it has none). */
static char *url_host(fy_arena *a, const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n && p[0] == '[') { /* IPv6 literal */
		const char *e = memchr(p, ']', n);
		return fy_arena_strndup(a, p, e ? (size_t)(e + 1 - p) : n);
	}
	const char *colon = memchr(p, ':', n);
	return fy_arena_strndup(a, p, colon ? (size_t)(colon - p) : n);
}

static int ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

typedef struct named {
	const char *name;
	size_t index;
} named;

static int by_name_ci(const void *x, const void *y)
{
	const named *a = x, *b = y;
	int c = strcasecmp(a->name, b->name);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static void check_model_names(tf_ctx *ctx, const cty_value *models)
{
	fy_arena *a = tf_ctx_arena(ctx);
	size_t n = cty_length(models), k = 0;
	named *v = fy_arena_alloc(a, (n ? n : 1) * sizeof *v);
	for (size_t i = 0; i < n; i++) {
		const char *s = cty_get_string(cty_index(models, i), "name");
		if (s)
			v[k++] = (named){s, i};
	}
	qsort(v, k, sizeof *v, by_name_ci);
	for (size_t g = 0; g < k;) {
		size_t e = g + 1;
		while (e < k && strcasecmp(v[g].name, v[e].name) == 0)
			e++;
		for (size_t j = g + 1; j < e; j++) {
			const named *first = &v[g], *dup = &v[j];
			cty_path *p = cty_path_attr(
				a, cty_path_index(a, tf_path(ctx, "models"), (int64_t)dup->index), "name");
			if (strcmp(first->name, dup->name) == 0)
				tf_error(ctx, p, "Duplicate model name",
					"models[%zu] and models[%zu] are both named \"%s\"; agents address a model as "
					"<connection>/<name>, so names must be unique.",
					first->index, dup->index, dup->name);
			else
				tf_error(ctx, p, "Duplicate model name",
					"models[%zu] \"%s\" and models[%zu] \"%s\" differ only in case; deployment names are "
					"matched without regard to case, so agents could not tell them apart.",
					first->index, first->name, dup->index, dup->name);
		}
		g = e;
	}
}

/* What the declared rules cannot say: names unique without regard to case, managed keys kept out of
 * extra_metadata, and APIM's host. */
static void gc_validate(tf_ctx *ctx, const cty_value *config)
{
	fy_arena *a = tf_ctx_arena(ctx);
	/* Agents address a model as <connection>/<name>: names must be unique, and deployment names are looked up
	 * without regard to case, as Azure names are. Sorted, so that a list of any length costs n log n. */
	const cty_value *models = cty_get_attr(config, "models");
	if (cty_is_set(models))
		check_model_names(ctx, models);

	/* Managed metadata keys go through their attribute, whatever their case (docs/internals/arm.md 5.2). */
	const cty_value *extra = cty_get_attr(config, "extra_metadata");
	if (cty_is_set(extra)) {
		for (size_t i = 0; i < cty_length(extra); i++) {
			const char *k = cty_map_key(extra, i);
			const foundry_gc_managed_key *mk = foundry_gc_managed_key_find(k);
			if (mk)
				tf_error(ctx, cty_path_key(a, tf_path(ctx, "extra_metadata"), k),
					"Managed metadata key in extra_metadata", "\"%s\": use %s", k, mk->attr);
		}
	}

	/* APIM's gateway host (docs/internals/arm.md 2.2): Foundry rejects custom domains today, so say so before
	 * apply. */
	const char *target = cty_get_string(config, "target");
	const char *category = cty_get_string(config, "category");
	if (target && category && strcmp(category, "ApiManagement") == 0 && strncasecmp(target, "https://", 8) == 0) {
		char *host = url_host(a, target);
		if (*host && !ends_with_ci(host, ".azure-api.net"))
			tf_warning(ctx, tf_path(ctx, "target"), "API Management target is not an azure-api.net host",
				"The host \"%s\" is not *.azure-api.net. Foundry currently rejects custom domains for "
				"ApiManagement connections; use the gateway's *.azure-api.net URL.",
				host);
	}
}

/* ------------------------------------------------------------------- plan */

static void gc_modify_plan(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned)
{
	fy_arena *a = tf_ctx_arena(ctx);
	const cty_type *t = tf_ctx_schema_type(ctx);
	(void)prior;
	if (!cty_is_set(planned))
		return;

	/* audience defaults with ProjectManagedIdentity only, so it is not a table default. */
	if (cty_is_absent(cty_get_attr(config, "audience"))) {
		const cty_value *at = cty_get_attr(planned, "auth_type");
		cty_value *aud;
		if (cty_is_unknown_value(at))
			aud = cty_unknown(a, cty_type_string());
		else if (cty_get_string(planned, "auth_type") &&
			strcmp(cty_get_string(planned, "auth_type"), "ProjectManagedIdentity") == 0)
			aud = cty_string(a, FOUNDRY_DEFAULT_AUDIENCE);
		else
			aud = cty_null(a, cty_type_string());
		cty_object_set(planned, "audience", aud);
	}

	/* auth_config.type defaults to api_key (the table default; repeated here in case the plumbing left it
	 * unknown). Copy before changing: planned may share nodes with config. */
	const cty_value *ac = cty_get_attr(planned, "auth_config");
	const cty_value *cac = cty_get_attr(config, "auth_config");
	if (cty_is_set(ac) && cty_is_set(cac) && cty_is_absent(cty_get_attr(cac, "type")) &&
		cty_get_string(ac, "type") == NULL) {
		cty_value *copy = cty_copy(a, ac);
		cty_object_set(copy, "type", cty_string(a, "api_key"));
		cty_object_set(planned, "auth_config", copy);
	}

	/* metadata: exactly what to_arm will send, once everything it depends on is known. */
	cty_value *md = NULL;
	if (!foundry_gc_metadata_known(planned) || foundry_gc_metadata_value(&md, a, planned) < 0)
		md = cty_unknown(a, cty_type_attr(t, "metadata"));
	cty_object_set(planned, "metadata", md);
}

/* ------------------------------------------------------------- declaration */

const foundry_arm_resource foundry_gc_arm = {
	.resource = &foundry_gc_resource,
	.id = &foundry_gc_id_spec,
	.to_arm = foundry_gc_to_arm,
	.from_arm = foundry_gc_from_arm,
	.modify_plan = gc_modify_plan,
	.data_finish = foundry_gc_data_finish,
};

/* Resource identity: the connection's parent and name (an import by identity joins them into the id). */
static char *identity_import_id(fy_arena *a, const char *const *values)
{
	/* Each value checked as the resource checks it, so a bad one is named (not "Invalid import id"). */
	if (foundry_arm_parent_parse(NULL, &foundry_gc_id_spec, values[0]) < 0) {
		fy_error_set(FY_EINVALID, "parent_id: %s", fy_error_last()->message);
		return NULL;
	}
	if (!foundry_arm_name_valid(&foundry_gc_id_spec, values[1])) {
		fy_error_set(FY_EINVALID, "name: \"%s\" is not a valid connection name (%s).", values[1],
			foundry_gc_id_spec.name->rule);
		return NULL;
	}
	return foundry_arm_id_join(a, &foundry_gc_id_spec, values[0], values[1]);
}

static const tf_identity_attr identity_attrs[] = {
	{"parent_id", 1, "ARM id of the Foundry project or account that owns the connection."},
	{"name", 1, "Connection name."},
	{0},
};
static const tf_identity gc_identity = {.version = 0, .attrs = identity_attrs, .import_id = identity_import_id};

const tf_resource foundry_gc_resource = {
	.type_name = "foundry_gateway_connection",
	.schema = &foundry_gc_schema,
	FOUNDRY_ARM_OPERATIONS(&foundry_gc_arm),
	.validate = gc_validate,
	.move = foundry_gc_move,
	.identity = &gc_identity,
};
