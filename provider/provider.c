/* The foundry provider: configuration schema, validation, configure/stop, and its resources. */
#include "provider/provider.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal/http/http.h"
#include "internal/log/tflog.h"
#include "provider/catalog.h"
#include "provider/client.h"
#include "provider/gateway_connection_arm.h"

/* Clouds as azapi maps them (docs/internals/arm.md 4.1, 4.3). */
typedef struct foundry_cloud {
	const char *name, *endpoint, *authority, *audience;
} foundry_cloud;

static const foundry_cloud clouds[] = {
	{"public", "https://management.azure.com", "https://login.microsoftonline.com/",
		"https://management.core.windows.net/"},
	{"usgovernment", "https://management.usgovcloudapi.net", "https://login.microsoftonline.us/",
		"https://management.core.usgovcloudapi.net/"},
	{"china", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn/",
		"https://management.core.chinacloudapi.cn/"},
	{NULL, NULL, NULL, NULL},
};

/* "custom": a private or sovereign cloud described only by the three endpoint settings, as azapi reads them
 * (ARM_ENVIRONMENT=custom with ARM_RESOURCE_MANAGER_ENDPOINT, ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST and
 * ARM_RESOURCE_MANAGER_AUDIENCE), so one environment configures both providers. */
static const foundry_cloud custom_cloud = {"custom", NULL, NULL, NULL};
static const char *const cloud_names[] = {"public", "usgovernment", "china", "custom", NULL};

/* https://, or http:// to a loopback host (the local emulator): http_url_is_endpoint_allowed. */
static void validate_endpoint(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	if (s && !http_url_is_endpoint_allowed(s))
		tf_diag_add(d, TF_ERROR, path, "Invalid endpoint URL",
			"\"%s\" must be an absolute https:// URL (http:// is accepted only for loopback hosts).", s);
}

static const tf_validator v_endpoint[] = {{.kind = TF_V_FUNC, .func = validate_endpoint}, {0}};
static const tf_validator v_cloud[] = {{.kind = TF_V_ONE_OF, .one_of = cloud_names}, {0}};
static const tf_validator v_api_version[] = {
	{.kind = TF_V_REGEX,
		.pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$",
		.message = "An api-version looks like 2026-09-01 or 2026-09-15-preview."},
	{0}};

static const tf_attribute provider_attrs[] = {
	{.name = "tenant_id",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "Entra ID tenant id. Environment: `ARM_TENANT_ID`."},
	{.name = "client_id",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description =
			"Client (application) id of a service principal, or of a user-assigned managed identity. "
			"Environment: `ARM_CLIENT_ID`, `AZURE_CLIENT_ID`."},
	{.name = "client_secret",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.description = "Client secret of the service principal. Environment: `ARM_CLIENT_SECRET`."},
	{.name = "client_secret_file_path",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "File holding the client secret. Environment: `ARM_CLIENT_SECRET_FILE_PATH`."},
	{.name = "client_certificate_path",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "PKCS#12 (`.pfx`/`.p12`) or PEM file with the service principal's certificate and key. "
			       "Environment: `ARM_CLIENT_CERTIFICATE_PATH`."},
	{.name = "client_certificate_password",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.description = "Password of the certificate file. Environment: `ARM_CLIENT_CERTIFICATE_PASSWORD`."},
	{.name = "use_oidc",
		.type = "\"bool\"",
		.flags = TF_OPTIONAL,
		.description = "Authenticate with an OIDC (workload identity federation) token. Environment: "
			       "`ARM_USE_OIDC`."},
	{.name = "oidc_token",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.description = "The OIDC token itself. Environment: `ARM_OIDC_TOKEN`."},
	{.name = "oidc_token_file_path",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "File holding the OIDC token. Environment: `ARM_OIDC_TOKEN_FILE_PATH`, "
			       "`AZURE_FEDERATED_TOKEN_FILE`."},
	{.name = "oidc_request_url",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description =
			"URL to request an OIDC token from (GitHub Actions). Environment: `ARM_OIDC_REQUEST_URL`, "
			"`ACTIONS_ID_TOKEN_REQUEST_URL`."},
	{.name = "oidc_request_token",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.description = "Bearer token for `oidc_request_url`. Environment: `ARM_OIDC_REQUEST_TOKEN`, "
			       "`ACTIONS_ID_TOKEN_REQUEST_TOKEN`."},
	{.name = "use_msi",
		.type = "\"bool\"",
		.flags = TF_OPTIONAL,
		.description = "Authenticate with a managed identity. Environment: `ARM_USE_MSI`."},
	{.name = "msi_endpoint",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "Managed identity token endpoint (default: the instance metadata service). Environment: "
			       "`ARM_MSI_ENDPOINT`."},
	{.name = "use_cli",
		.type = "\"bool\"",
		.flags = TF_OPTIONAL,
		.description = "Authenticate with the Azure CLI's login (default `true`, tried last). Environment: "
			       "`ARM_USE_CLI`."},
	{.name = "environment",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_cloud,
		.description = "Azure cloud: `public` (default), `usgovernment` or `china`, which set the three "
			       "endpoints below; or `custom`, where all three must be given (arguments or their "
			       "environment variables), as with azapi. Environment: `ARM_ENVIRONMENT`."},
	{.name = "resource_manager_endpoint",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_endpoint,
		.description = "ARM endpoint, e.g. `https://management.azure.com`. Environment: "
			       "`ARM_RESOURCE_MANAGER_ENDPOINT`."},
	{.name = "active_directory_authority_host",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_endpoint,
		.description = "Entra ID authority, e.g. `https://login.microsoftonline.com/`. Environment: "
			       "`ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST`."},
	{.name = "resource_manager_audience",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.description = "Audience of ARM tokens, e.g. `https://management.core.windows.net/`. Environment: "
			       "`ARM_RESOURCE_MANAGER_AUDIENCE`."},
	{.name = "api_version",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_api_version,
		.description =
			"api-version of `Microsoft.CognitiveServices` connection requests. Defaults to `" FOUNDRY_DEFAULT_API_VERSION
			"`, the newest GA version whose categories include `ApiManagement` and `ModelGateway`. "
			"Environment: `FOUNDRY_API_VERSION`."},
	{0},
};

static const tf_block provider_schema = {
	.description = "The foundry provider manages Microsoft Foundry \"bring your own AI gateway\" connections "
		       "through Azure Resource Manager. It authenticates like azapi and azurerm: arguments here or the "
		       "`ARM_*` environment variables; with nothing configured, the Azure CLI login.",
	.attributes = provider_attrs,
};

/* Any unknown string in the provider configuration (plan before its dependencies exist, docs/internals/protocol.md
 * 4.1). */
static int any_unknown(const cty_value *config)
{
	for (size_t i = 0; cty_is_set(config) && i < cty_length(config); i++)
		if (!cty_is_known(cty_index(config, i)))
			return 1;
	return config && !cty_is_known(config);
}

static const char *cfg_str(const cty_value *config, const char *name)
{
	return cty_get_string(config, name);
}

static const char *env_nonempty(const char *name)
{
	const char *s = getenv(name);
	return s && *s ? s : NULL;
}

static int cfg_bool(const cty_value *config, const char *name)
{
	const cty_value *v = cty_get_attr(config, name);
	if (!cty_is_set(v))
		return AUTH_UNSET;
	return cty_as_bool(v);
}

static void provider_validate(tf_ctx *ctx, const cty_value *config)
{
	static const char *const pairs[][2] = {
		{"client_secret", "client_secret_file_path"}, {"oidc_token", "oidc_token_file_path"}};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		const cty_value *x = cty_get_attr(config, pairs[i][0]);
		const cty_value *y = cty_get_attr(config, pairs[i][1]);
		if (cty_is_set(x) && cty_is_set(y))
			tf_error(ctx, tf_path(ctx, pairs[i][1]), "Conflicting provider arguments",
				"Set only one of %s or %s.", pairs[i][0], pairs[i][1]);
	}
}

/* The three endpoints: argument, then environment variable, then the cloud's value; a custom cloud has no values of
 * its own, so each must be given. FY_EINVALID after a diagnostic. */
static int endpoints(foundry_client_options *po, tf_ctx *ctx, const cty_value *config, const foundry_cloud *cloud)
{
	foundry_client_options o = *po;
	o.resource_manager_endpoint = cfg_str(config, "resource_manager_endpoint");
	if (!o.resource_manager_endpoint)
		o.resource_manager_endpoint = env_nonempty("ARM_RESOURCE_MANAGER_ENDPOINT");
	if (!o.resource_manager_endpoint)
		o.resource_manager_endpoint = cloud->endpoint;
	o.auth.authority_host = cfg_str(config, "active_directory_authority_host");
	if (!o.auth.authority_host)
		o.auth.authority_host = env_nonempty("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST");
	if (!o.auth.authority_host)
		o.auth.authority_host = cloud->authority;
	o.auth.audience = cfg_str(config, "resource_manager_audience");
	if (!o.auth.audience)
		o.auth.audience = env_nonempty("ARM_RESOURCE_MANAGER_AUDIENCE");
	if (!o.auth.audience)
		o.auth.audience = cloud->audience;
	if (cloud == &custom_cloud) {
		const char *missing[3];
		size_t n = 0;
		if (!o.resource_manager_endpoint)
			missing[n++] = "resource_manager_endpoint (ARM_RESOURCE_MANAGER_ENDPOINT)";
		if (!o.auth.authority_host)
			missing[n++] = "active_directory_authority_host (ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST)";
		if (!o.auth.audience)
			missing[n++] = "resource_manager_audience (ARM_RESOURCE_MANAGER_AUDIENCE)";
		if (n > 0) {
			tf_error(ctx, tf_path(ctx, "environment"), "Incomplete custom environment",
				"environment \"custom\" takes its endpoints from the configuration only; missing: %s%s%s%s%s.",
				missing[0], n > 1 ? ", " : "", n > 1 ? missing[1] : "", n > 2 ? ", " : "",
				n > 2 ? missing[2] : "");
			return FY_EINVALID;
		}
	}
	if (!http_url_is_endpoint_allowed(o.resource_manager_endpoint)) {
		tf_error(ctx, tf_path(ctx, "resource_manager_endpoint"), "Invalid endpoint URL",
			"\"%s\" must be an absolute https:// URL (http:// only for loopback hosts).",
			o.resource_manager_endpoint);
		return FY_EINVALID;
	}
	*po = o;
	return 0;
}

static int provider_configure(void **out_data, tf_ctx *ctx, const cty_value *config)
{
	foundry_client_options o = {0};
	const foundry_cloud *cloud = NULL;
	const char *env = cfg_str(config, "environment");
	if (!env)
		env = env_nonempty("ARM_ENVIRONMENT");
	if (!env)
		env = "public";
	for (const foundry_cloud *c = clouds; c->name; c++)
		if (strcasecmp(c->name, env) == 0)
			cloud = c;
	if (strcasecmp(env, "custom") == 0)
		cloud = &custom_cloud;
	if (!cloud) {
		tf_error(ctx, tf_path(ctx, "environment"), "Unknown Azure environment",
			"\"%s\" is not an Azure environment; use public, usgovernment, china, or custom with the three "
			"endpoint settings.",
			env);
		return FY_EINVALID;
	}

	if (endpoints(&o, ctx, config, cloud) < 0)
		return FY_EINVALID;
	o.api_version = cfg_str(config, "api_version");
	if (!o.api_version)
		o.api_version = env_nonempty("FOUNDRY_API_VERSION");
	if (!o.api_version)
		o.api_version = FOUNDRY_DEFAULT_API_VERSION;

	o.auth.tenant_id = cfg_str(config, "tenant_id");
	o.auth.client_id = cfg_str(config, "client_id");
	o.auth.client_secret = cfg_str(config, "client_secret");
	o.auth.client_secret_file_path = cfg_str(config, "client_secret_file_path");
	o.auth.client_certificate_path = cfg_str(config, "client_certificate_path");
	o.auth.client_certificate_password = cfg_str(config, "client_certificate_password");
	o.auth.use_oidc = cfg_bool(config, "use_oidc");
	o.auth.oidc_token = cfg_str(config, "oidc_token");
	o.auth.oidc_token_file_path = cfg_str(config, "oidc_token_file_path");
	o.auth.oidc_request_url = cfg_str(config, "oidc_request_url");
	o.auth.oidc_request_token = cfg_str(config, "oidc_request_token");
	o.auth.use_msi = cfg_bool(config, "use_msi");
	o.auth.msi_endpoint = cfg_str(config, "msi_endpoint");
	o.auth.use_cli = cfg_bool(config, "use_cli");
	auth_options_from_env(&o.auth); /* fills only what configuration left unset */
	/* Never log a secret, whichever route it came by. */
	const char *secrets[] = {
		o.auth.client_secret, o.auth.client_certificate_password, o.auth.oidc_token, o.auth.oidc_request_token};
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (secrets[i])
			tflog_add_secret(secrets[i]);

	const char *tfv = tf_ctx_terraform_version(ctx);
	o.user_agent = fy_arena_sprintf(tf_ctx_arena(ctx), "terraform-provider-foundry/%s Terraform/%s",
		FOUNDRY_VERSION, tfv && *tfv ? tfv : "unknown");
	o.config_unknown = any_unknown(config);

	foundry_client *c;
	if (foundry_client_new(&c, &o) < 0) {
		tf_error(ctx, NULL, "Failed to configure the foundry provider", "%s", fy_error_last()->message);
		return FY_ERROR;
	}
	*out_data = c;
	return 0;
}

static void provider_data_free(void *data)
{
	foundry_client_free(data);
}

static void provider_stop(void *data)
{
	foundry_client_cancel(data);
}

/* The shipped catalog: provider/registry.def, one line per declaration. */
#define FOUNDRY_REGISTRY "provider/registry.def"
#define FOUNDRY_CATALOG foundry_shipped_catalog
#include "provider/catalog_expand.inc"

static tf_provider provider = {
	.name = "foundry",
	.version = FOUNDRY_VERSION,
	.schema = &provider_schema,
	.validate = provider_validate,
	.configure = provider_configure,
	.data_free = provider_data_free,
	.stop = provider_stop,
};
static const foundry_catalog *extra_catalog;

/* One list per kind: the shipped catalog's entries, then the extra catalog's (malloc'd once, kept for the life of
 * the process). */
static const void **merge(const void *const *a, const void *const *b)
{
	size_t na = 0, nb = 0;
	while (a && a[na])
		na++;
	while (b && b[nb])
		nb++;
	const void **out = calloc(na + nb + 1, sizeof(*out));
	if (out == NULL)
		fy_oom();
	memcpy(out, a, na * sizeof(*out));
	if (nb)
		memcpy(out + na, b, nb * sizeof(*out));
	return out;
}

static void build(void)
{
	const foundry_catalog *s = &foundry_shipped_catalog, *x = extra_catalog;
	provider.resources = (const tf_resource *const *)merge(
		(const void *const *)s->resources, x ? (const void *const *)x->resources : NULL);
	provider.data_sources = (const tf_data_source *const *)merge(
		(const void *const *)s->data_sources, x ? (const void *const *)x->data_sources : NULL);
	provider.ephemeral_resources = (const tf_ephemeral_resource *const *)merge(
		(const void *const *)s->ephemeral_resources, x ? (const void *const *)x->ephemeral_resources : NULL);
	provider.list_resources = (const tf_list_resource *const *)merge(
		(const void *const *)s->list_resources, x ? (const void *const *)x->list_resources : NULL);
	provider.functions = (const tf_function *const *)merge(
		(const void *const *)s->functions, x ? (const void *const *)x->functions : NULL);
}

const tf_provider *foundry_provider_with(const foundry_catalog *extra)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	extra_catalog = extra;
	pthread_once(&once, build);
	return &provider;
}

const tf_provider *foundry_provider(void)
{
	return foundry_provider_with(NULL);
}
