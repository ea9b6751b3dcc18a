/*
 * data "foundry_gateway_check": makes the requests that Foundry's agent service makes to a connection's gateway,
 * from where Terraform runs, and reports each step, so that a wrong target path, missing discovery operations, a
 * wrong api-version, deployment_in_path set the wrong way or a bad key show up at plan time instead of as
 * 401/404/DeploymentNotFound when an agent runs (docs/data-sources/gateway_check.md).
 *
 * The routes follow Microsoft's own setup guides (foundry-samples infrastructure-setup-bicep/01-connections/apim
 * and model-gateway, APIM-Connection-Objects.md): APIM discovery is GET {target}/deployments and
 * GET {target}/deployments/{name} (api-version = deploymentAPIVersion), ModelGateway discovery uses the connection's
 * modelDiscovery endpoints with {deploymentName} filled in; inference is POST {target}/deployments/{name}/chat/
 * completions with deploymentInPath "true", else POST {target}/chat/completions with the model in the body
 * (api-version = inferenceAPIVersion when set).
 *
 * An unhealthy gateway never fails the run: ok = false and problems, so a configuration chooses a check {} block
 * (a warning) or a postcondition (an error). Bad arguments and a connection that does not exist are diagnostics.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "internal/http/http.h"
#include "internal/common/fy_time.h"
#include "internal/log/tflog.h"
#include "provider/arm_resource.h"
#include "provider/client.h"
#include "provider/gateway_check.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

#define LOG_MODULE "foundry.gateway_check"
#define MAX_MODELS 64 /* models probed at most (the rest are listed but not called) */

/* ------------------------------------------------------------------ schema */

static void validate_connection_id(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = (v && cty_is_known(v) && !cty_is_null(v)) ? cty_as_string(v, NULL) : NULL;
	char *parent, *name;
	fy_arena *a = tf_diags_arena(d);
	if (s && foundry_arm_id_split(&parent, &name, a, &foundry_gc_id_spec, s) < 0)
		tf_diag_add(d, TF_ERROR, path, "Invalid connection_id", "%s", fy_error_last()->message);
}

static void validate_timeout(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	if (!v || !cty_is_known(v) || cty_is_null(v))
		return;
	double t = cty_number_as_double(v);
	if (!(t >= 1 && t <= 300))
		tf_diag_add(d, TF_ERROR, path, "Invalid timeout_seconds", "timeout_seconds is from 1 to 300, not %s.",
			cty_number_text(v));
}

static void validate_pem(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = (v && cty_is_known(v) && !cty_is_null(v)) ? cty_as_string(v, NULL) : NULL;
	if (s && !strstr(s, "-----BEGIN CERTIFICATE-----"))
		tf_diag_add(d, TF_ERROR, path, "Invalid ca_certificate",
			"ca_certificate is one or more PEM certificates (-----BEGIN CERTIFICATE----- ...), e.g. "
			"file(\"private-ca.pem\").");
}

/* "host:port" = "address:port", as curl's --resolve (with another port allowed, as --connect-to). */
static void validate_resolve(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	if (!v || !cty_is_known(v) || cty_is_null(v))
		return;
	fy_arena *a = tf_diags_arena(d);
	for (size_t i = 0; i < cty_length(v); i++) {
		const char *k = cty_map_key(v, i);
		const char *val = cty_as_string(cty_index(v, i), NULL);
		const char *kc = strrchr(k, ':'), *vc = val ? strrchr(val, ':') : NULL;
		if (!kc || kc == k || !kc[1] || strspn(kc + 1, "0123456789") != strlen(kc + 1) ||
			(val && (!vc || vc == val || !vc[1] || strspn(vc + 1, "0123456789") != strlen(vc + 1))))
			tf_diag_add(d, TF_ERROR, cty_path_key(a, path, k), "Invalid resolve entry",
				"resolve maps \"host:port\" to \"address:port\", e.g. { \"gw.contoso.com:443\" = "
				"\"10.0.0.5:443\" }; \"%s\" = \"%s\" is not of that form.",
				k, val ? val : "");
	}
}

static const tf_validator v_connection_id[] = {{.kind = TF_V_FUNC, .func = validate_connection_id}, {0}};
static const tf_validator v_timeout[] = {{.kind = TF_V_FUNC, .func = validate_timeout}, {0}};
static const tf_validator v_pem[] = {{.kind = TF_V_FUNC, .func = validate_pem}, {0}};
static const tf_validator v_resolve[] = {{.kind = TF_V_FUNC, .func = validate_resolve}, {0}};
static const tf_validator v_not_empty[] = {{.kind = TF_V_NOT_EMPTY}, {0}};

static const tf_attribute step_attrs[] = {
	{.name = "name",
		.type = "\"string\"",
		.flags = TF_COMPUTED,
		.description = "What the step checks, e.g. `list models`, `get model gpt-4o`, `chat gpt-4o`, `token`."},
	{.name = "method", .type = "\"string\"", .flags = TF_COMPUTED, .description = "HTTP method."},
	{.name = "path",
		.type = "\"string\"",
		.flags = TF_COMPUTED,
		.description = "URL path and query (never a secret; the host is the connection's target)."},
	{.name = "status",
		.type = "\"number\"",
		.flags = TF_COMPUTED,
		.description = "HTTP status, or 0 when no answer came (timeout, TLS or connection error)."},
	{.name = "ok", .type = "\"bool\"", .flags = TF_COMPUTED, .description = "Whether the step succeeded."},
	{.name = "duration_ms", .type = "\"number\"", .flags = TF_COMPUTED, .description = "How long it took."},
	{0},
};
static const tf_object step_object = {step_attrs};

static const tf_attribute check_attrs[] = {
	{.name = "connection_id",
		.type = "\"string\"",
		.flags = TF_REQUIRED,
		.validators = v_connection_id,
		.description =
			"ARM id of the connection to check, e.g. `foundry_gateway_connection.apim.id`. Its target, "
			"category, auth type and metadata are read from ARM (one GET)."},
	{.name = "api_key",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.validators = v_not_empty,
		.description = "The gateway key, for `ApiKey` connections (ARM never returns it)."},
	{.name = "oauth2_client_id",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_not_empty,
		.description =
			"For `OAuth2` connections: the client id (ARM does not return it; the token URL and scopes "
			"come from the connection)."},
	{.name = "oauth2_client_secret",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_SENSITIVE,
		.validators = v_not_empty,
		.description = "For `OAuth2` connections: the client secret."},
	{.name = "inference",
		.type = "\"bool\"",
		.flags = TF_OPTIONAL,
		.description =
			"Also send one minimal chat completion per model (one short message, `max_tokens` 1), which "
			"proves the inference route, `inference_api_version` and `deployment_in_path`. Default "
			"false: it costs a token or two per model."},
	{.name = "only_models",
		.type = "[\"list\",\"string\"]",
		.flags = TF_OPTIONAL,
		.description = "Which models to check (default: the static list, or what discovery returns)."},
	{.name = "timeout_seconds",
		.type = "\"number\"",
		.flags = TF_OPTIONAL,
		.validators = v_timeout,
		.description = "Per request, 1 to 300; default 10."},
	{.name = "ca_certificate",
		.type = "\"string\"",
		.flags = TF_OPTIONAL,
		.validators = v_pem,
		.description =
			"PEM certificates to trust instead of the system's (a private CA). TLS is always verified."},
	{.name = "resolve",
		.type = "[\"map\",\"string\"]",
		.flags = TF_OPTIONAL,
		.validators = v_resolve,
		.description =
			"`\"host:port\" = \"address:port\"` entries, as curl's `--resolve`: for private endpoints "
			"and split DNS. The certificate is still checked against the host name."},
	{.name = "ok", .type = "\"bool\"", .flags = TF_COMPUTED, .description = "True when every step succeeded."},
	{.name = "problems",
		.type = "[\"list\",\"string\"]",
		.flags = TF_COMPUTED,
		.description =
			"One line per failed step: the step, method and URL path, the status or transport error, "
			"and the attribute to look at."},
	{.name = "models",
		.type = "[\"list\",\"string\"]",
		.flags = TF_COMPUTED,
		.description = "The models the gateway listed (dynamic discovery) or the connection names (static)."},
	{.name = "steps",
		.nested = &step_object,
		.nesting = TF_NEST_LIST,
		.flags = TF_COMPUTED,
		.description = "Every request made, in order."},
	{0},
};

const tf_block foundry_gateway_check_schema = {
	.description =
		"Checks a gateway connection the way Foundry's agent service uses it: discovery, "
		"authentication and (optionally) one chat completion per model, from where Terraform runs. Nothing "
		"is sent unless this data source is declared. Use it in a `check {}` block (a warning) or a "
		"postcondition (an error).",
	.attributes = check_attrs,
};

/* ------------------------------------------------------------------- state */

typedef struct step {
	const char *name, *method, *path;
	long status;
	int ok;
	long ms;
} step;

typedef struct checker {
	tf_ctx *ctx;
	fy_arena *a;
	http_client *http;
	long timeout_ms;
	const cty_value *conn; /* the connection's state, read from ARM */
	const char *target; /* without a trailing '/' */
	int apim;
	const char **headers; /* auth and custom headers for gateway requests */
	size_t nheaders, capheaders;
	step *steps;
	size_t nsteps, capsteps;
	const char **problems;
	size_t nproblems, capproblems;
	const char **models;
	size_t nmodels, capmodels;
} checker;

static void *grow(fy_arena *a, void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = fy_arena_alloc(a, nc * size);
	if (n)
		memcpy(p, arr, n * size);
	*cap = nc;
	return p;
}

static void problem(checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(checker *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	k->problems = grow(k->a, k->problems, &k->capproblems, k->nproblems, sizeof *k->problems);
	/* A gateway may echo what we sent: nothing registered as a secret reaches the output. */
	k->problems[k->nproblems++] = tflog_redact(k->a, buf);
}

static void add_model(checker *k, const char *name)
{
	for (size_t i = 0; i < k->nmodels; i++)
		if (strcmp(k->models[i], name) == 0)
			return;
	k->models = grow(k->a, k->models, &k->capmodels, k->nmodels, sizeof *k->models);
	k->models[k->nmodels++] = fy_arena_strdup(k->a, name);
}

/* The URL's path and query: what a step shows (the host is the target's; secrets never go in URLs here). */
static const char *url_path(fy_arena *a, const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return fy_arena_strdup(a, p ? p : "/");
}

static char *with_version(checker *k, const char *url, const char *version)
{
	if (!version || !*version)
		return fy_arena_strdup(k->a, url);
	char *out = NULL;
	if (http_url_append_query(&out, url, "api-version", version) < 0)
		fy_oom();
	char *s = fy_arena_strdup(k->a, out);
	free(out);
	return s;
}

/*
 * One request to the gateway, recorded as a step. *out is the response (caller frees) when one came; a transport
 * failure is recorded (status 0) and reported here. Redirects are never followed; one to another host is named.
 */
static int request(http_response **out, checker *k, const char *name, const char *method, const char *url,
	const char *const *extra_headers, const char *body)
{
	const char *hdrs[32];
	size_t h = 0;
	for (size_t i = 0; i < k->nheaders && h < 24; i++)
		hdrs[h++] = k->headers[i];
	for (size_t i = 0; extra_headers && extra_headers[i] && h < 31; i++)
		hdrs[h++] = extra_headers[i];
	hdrs[h] = NULL;
	http_request req = {.method = method,
		.url = url,
		.headers = hdrs,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.timeout_ms = k->timeout_ms,
		.log_module = LOG_MODULE};
	long t0 = fy_now_ms();
	http_response *r = NULL;
	int rc = http_do(&r, k->http, &req);
	k->steps = grow(k->a, k->steps, &k->capsteps, k->nsteps, sizeof *k->steps);
	step *s = &k->steps[k->nsteps++];
	*s = (step){.name = fy_arena_strdup(k->a, name),
		.method = method,
		.path = url_path(k->a, url),
		.status = rc == 0 ? r->status : 0,
		.ms = fy_now_ms() - t0};
	s->ok = rc == 0 && r->status >= 200 && r->status < 300;
	*out = r;
	if (rc < 0) {
		const char *why = rc == FY_ETIMEOUT ? "no answer within timeout_seconds" : fy_error_last()->message;
		problem(k, "%s: %s %s -> %s (check target and network reach%s)", name, method, s->path, why,
			rc == FY_ETIMEOUT ? "; or raise timeout_seconds" : ", ca_certificate, resolve");
		return rc;
	}
	if (r->status >= 300 && r->status < 400) {
		const char *loc = http_response_header(r, "location");
		problem(k,
			"%s: %s %s -> %ld redirect to %s, not followed (Foundry does not follow it either): target "
			"is not the gateway API's own URL",
			name, method, s->path, r->status, loc ? loc : "(no Location)");
	}
	return 0;
}

/* The error code of an OpenAI/Azure error body ({"error":{"code":...}}), or "". */
static const char *error_code(fy_arena *a, const http_response *r)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
	const char *s = fy_arena_strdup(a, cJSON_IsString(c) ? c->valuestring : "");
	cJSON_Delete(j);
	return s;
}

/* What a failed status says about the connection, for a step of the given kind. */
static void status_problem(checker *k, const http_response *r, const char *name, const char *kind)
{
	const step *s = &k->steps[k->nsteps - 1];
	long st = r->status;
	if (st >= 300 && st < 400)
		return; /* reported by request() */
	const char *code = error_code(k->a, r);
	const char *hint;
	int discovery = strcmp(kind, "discovery") == 0;
	if (st == 401 || st == 403)
		hint = "the gateway refused the credentials: check api_key (or the OAuth2 client, or the identity's "
		       "access), auth_config and custom_headers";
	else if (st == 404 && strcasecmp(code, "DeploymentNotFound") == 0)
		hint = "the deployment does not exist behind the gateway: check models[].name";
	else if (st == 404 && discovery)
		hint = k->apim
			? "the gateway has no list-deployments or get-deployment operation (dynamic discovery needs "
			  "both) or deployment_api_version is wrong, or target is not the API's base URL"
			: "model_discovery's endpoints do not exist at target, or target is not the API's base URL";
	else if (st == 404)
		hint = "no such route: deployment_in_path may be set the wrong way, or target is not the API's base URL";
	else if (st == 400 && strcasecmp(code, "DeploymentNotFound") == 0)
		hint = "the gateway does not know this deployment: check models[].name and deployment_in_path";
	else if (st == 400)
		hint = discovery ? "the gateway rejected the request: deployment_api_version may be wrong"
				 : "the gateway rejected the request: inference_api_version may be wrong";
	else if (st == 429)
		hint = "the gateway throttled the check: try again later";
	else
		hint = "the gateway failed: see its logs";
	problem(k, "%s: %s %s -> %ld%s%s%s: %s", name, s->method, s->path, st, *code ? " (" : "", code,
		*code ? ")" : "", hint);
}

/* ------------------------------------------------------------------ auth */

static void add_header(checker *k, const char *line)
{
	k->headers = grow(k->a, k->headers, &k->capheaders, k->nheaders, sizeof *k->headers);
	k->headers[k->nheaders++] = line;
}

/* The form value of an OAuth2 client-credentials request, percent-encoded. */
static char *form_value(fy_arena *a, const char *s)
{
	char *e = http_url_encode(s);
	if (!e)
		fy_oom();
	char *out = fy_arena_strdup(a, e);
	free(e);
	return out;
}

/* Authentication as Foundry sends it. 0, or FY_EINVALID after a diagnostic (an argument the connection needs). */
static int set_auth(checker *k, const cty_value *config)
{
	fy_arena *a = k->a;
	const char *auth = cty_get_string(k->conn, "auth_type");
	if (auth && strcmp(auth, "ApiKey") == 0) {
		const char *key = cty_get_string(config, "api_key");
		if (!key) {
			tf_error(k->ctx, tf_path(k->ctx, "api_key"), "api_key needed",
				"The connection uses auth_type \"ApiKey\", and ARM never returns the key: pass the gateway "
				"key as api_key (e.g. the same variable the connection takes).");
			return FY_EINVALID;
		}
		tflog_add_secret(key);
		/* APIM: the subscription key in api-key (the header of Azure OpenAI APIs imported into APIM);
		 * ModelGateway: authConfig's header and format, "api-key" and "{api_key}" by default. */
		const cty_value *ac = cty_get_attr(k->conn, "auth_config");
		const char *hname = NULL, *fmt = NULL;
		if (ac && !cty_is_null(ac)) {
			hname = cty_get_string(ac, "header_name");
			fmt = cty_get_string(ac, "format");
		}
		hname = hname ? hname : "api-key";
		fmt = fmt ? fmt : "{api_key}";
		const char *at = strstr(fmt, "{api_key}");
		char *value = at ? fy_arena_sprintf(a, "%.*s%s%s", (int)(at - fmt), fmt, key, at + 9)
				 : fy_arena_strdup(a, key);
		add_header(k, fy_arena_sprintf(a, "%s: %s", hname, value));
	} else if (auth && strcmp(auth, "OAuth2") == 0) {
		const cty_value *o = cty_get_attr(k->conn, "oauth2");
		const char *url = o && !cty_is_null(o) ? cty_get_string(o, "token_url") : NULL;
		const char *cid = cty_get_string(config, "oauth2_client_id");
		if (!cid && o && !cty_is_null(o))
			cid = cty_get_string(o, "client_id");
		const char *secret = cty_get_string(config, "oauth2_client_secret");
		if (!url || !cid || !secret) {
			tf_error(k->ctx, tf_path(k->ctx, !cid ? "oauth2_client_id" : "oauth2_client_secret"),
				"OAuth2 credentials needed",
				"The connection uses auth_type \"OAuth2\", and ARM returns neither its client id nor its secret: "
				"pass oauth2_client_id and oauth2_client_secret%s.",
				url ? "" : " (and the connection has no token URL)");
			return FY_EINVALID;
		}
		tflog_add_secret(secret);
		char *scope = fy_arena_strdup(a, "");
		const cty_value *sc = cty_get_attr(o, "scopes");
		for (size_t i = 0; sc && cty_is_known(sc) && !cty_is_null(sc) && i < cty_length(sc); i++)
			scope = fy_arena_sprintf(
				a, "%s%s%s", scope, i ? " " : "", cty_as_string(cty_index(sc, i), NULL));
		char *body = fy_arena_sprintf(a, "grant_type=client_credentials&client_id=%s&client_secret=%s%s%s",
			form_value(a, cid), form_value(a, secret), *scope ? "&scope=" : "",
			*scope ? form_value(a, scope) : "");
		const char *form[] = {
			"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
		http_response *r = NULL;
		size_t saved = k->nheaders;
		k->nheaders = 0; /* the token endpoint gets no gateway headers */
		int rc = request(&r, k, "token", "POST", url, form, body);
		k->nheaders = saved;
		if (rc == 0 && r->status == 200) {
			cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
			if (cJSON_IsString(t)) {
				tflog_add_secret(t->valuestring);
				add_header(k, fy_arena_sprintf(a, "Authorization: Bearer %s", t->valuestring));
			} else {
				k->steps[k->nsteps - 1].ok = 0;
				problem(k, "token: POST %s -> 200 without an access_token: check oauth2.token_url",
					k->steps[k->nsteps - 1].path);
			}
			cJSON_Delete(j);
		} else if (rc == 0) {
			problem(k,
				"token: POST %s -> %ld: the identity provider refused the client credentials: check "
				"oauth2_client_id, oauth2_client_secret and oauth2.scopes",
				k->steps[k->nsteps - 1].path, r->status);
		}
		http_response_free(r);
	} else if (auth) {
		/* ProjectManagedIdentity and AAD: Foundry sends the project's identity; from here only the caller's own
		 * identity (the provider's credential chain) can be sent, which proves the route but not the project's
		 * role assignment. */
		const char *aud = cty_get_string(k->conn, "audience");
		aud = aud ? aud : FOUNDRY_DEFAULT_AUDIENCE;
		char *tok = NULL;
		long t0 = fy_now_ms();
		int rc = foundry_client_token_for(&tok, tf_ctx_provider_data(k->ctx), aud);
		k->steps = grow(k->a, k->steps, &k->capsteps, k->nsteps, sizeof *k->steps);
		k->steps[k->nsteps++] = (step){.name = fy_arena_sprintf(a,
						       "token for %s (the caller's identity, not the "
						       "project's)",
						       aud),
			.method = "",
			.path = "",
			.status = 0,
			.ok = rc == 0,
			.ms = fy_now_ms() - t0};
		if (rc < 0) {
			problem(k, "token: no token for %s from the provider's credentials: %s", aud,
				fy_error_last()->message);
		} else {
			tflog_add_secret(tok);
			add_header(k, fy_arena_sprintf(a, "Authorization: Bearer %s", tok));
			free(tok);
		}
	}
	const cty_value *ch = cty_get_attr(k->conn, "custom_headers");
	for (size_t i = 0; ch && cty_is_known(ch) && !cty_is_null(ch) && i < cty_length(ch); i++) {
		const char *v = cty_as_string(cty_index(ch, i), NULL);
		if (v) {
			tflog_add_secret(v);
			add_header(k, fy_arena_sprintf(a, "%s: %s", cty_map_key(ch, i), v));
		}
	}
	return 0;
}

/* --------------------------------------------------------------- discovery */

/* Model names from a list answer: {"value":[{"name"}]} (ARM deployments, APIM) or {"data":[{"id"}]} (OpenAI). */
static void names_from_list(checker *k, const http_response *r)
{
	cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "value");
	if (!cJSON_IsArray(arr))
		arr = cJSON_GetObjectItemCaseSensitive(j, "data");
	const cJSON *it;
	cJSON_ArrayForEach (it, arr) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (!cJSON_IsString(n))
			n = cJSON_GetObjectItemCaseSensitive(it, "id");
		if (cJSON_IsString(n) && n->valuestring[0])
			add_model(k, n->valuestring);
	}
	if (!cJSON_IsArray(arr))
		problem(k,
			"list models: %s %s -> %ld but the answer is not a model list ({\"value\": [...]} or {\"data\": "
			"[...]}): check model_discovery.deployment_provider and the list endpoint",
			k->steps[k->nsteps - 1].method, k->steps[k->nsteps - 1].path, r->status);
	cJSON_Delete(j);
}

static char *join(checker *k, const char *path)
{
	return fy_arena_sprintf(k->a, "%s%s%s", k->target, path[0] == '/' ? "" : "/", path);
}

static void discover(checker *k, const char *list_ep, const char *get_ep, const char *const *only, size_t nonly)
{
	const char *ver = cty_get_string(k->conn, "deployment_api_version");
	const char *acc[] = {"Accept: application/json", NULL};
	http_response *r = NULL;
	if (request(&r, k, "list models", "GET", with_version(k, join(k, list_ep), ver), acc, NULL) == 0) {
		if (r->status == 200)
			names_from_list(k, r);
		else
			status_problem(k, r, "list models", "discovery");
	}
	http_response_free(r);
	/* Get each model (the ones asked for, else what the list returned). */
	size_t n = nonly ? nonly : k->nmodels;
	for (size_t i = 0; i < n && i < MAX_MODELS; i++) {
		const char *m = nonly ? only[i] : k->models[i];
		const char *ph = strstr(get_ep, "{deploymentName}");
		char *path = ph ? fy_arena_sprintf(k->a, "%.*s%s%s", (int)(ph - get_ep), get_ep, m, ph + 16)
				: fy_arena_strdup(k->a, get_ep);
		char *name = fy_arena_sprintf(k->a, "get model %s", m);
		r = NULL;
		if (request(&r, k, name, "GET", with_version(k, join(k, path), ver), acc, NULL) == 0 &&
			r->status != 200)
			status_problem(k, r, name, "discovery");
		http_response_free(r);
	}
}

/* --------------------------------------------------------------- inference */

static void infer(checker *k, const char *model)
{
	int in_path = cty_get_bool(k->conn, "deployment_in_path", 0);
	const char *ver = cty_get_string(k->conn, "inference_api_version");
	char *url = in_path ? join(k, fy_arena_sprintf(k->a, "/deployments/%s/chat/completions", model))
			    : join(k, "/chat/completions");
	cJSON *b = cJSON_CreateObject();
	if (!in_path)
		cJSON_AddStringToObject(b, "model", model);
	cJSON *msgs = cJSON_AddArrayToObject(b, "messages");
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", "ping");
	cJSON_AddItemToArray(msgs, m);
	cJSON_AddNumberToObject(b, "max_tokens", 1);
	char *body = cJSON_PrintUnformatted(b);
	cJSON_Delete(b);
	const char *hdrs[] = {"Content-Type: application/json", "Accept: application/json", NULL};
	char *name = fy_arena_sprintf(k->a, "chat %s", model);
	http_response *r = NULL;
	if (request(&r, k, name, "POST", with_version(k, url, ver), hdrs, body) == 0 &&
		(r->status < 200 || r->status >= 300))
		status_problem(k, r, name, "inference");
	http_response_free(r);
	cJSON_free(body);
}

/* ------------------------------------------------------------------- read */

static cty_value *strings(fy_arena *a, const char *const *s, size_t n)
{
	cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = cty_string(a, s[i]);
	return cty_list(a, cty_type_string(), n, items);
}

static cty_value *steps_value(checker *k, const cty_type *t)
{
	const cty_type *et = cty_type_elem(t);
	cty_value **items = fy_arena_alloc(k->a, (k->nsteps ? k->nsteps : 1) * sizeof *items);
	for (size_t i = 0; i < k->nsteps; i++) {
		const step *s = &k->steps[i];
		cty_value *o = cty_object(k->a, et);
		cty_object_set(o, "name", cty_string(k->a, s->name));
		cty_object_set(o, "method", cty_string(k->a, s->method));
		cty_object_set(o, "path", cty_string(k->a, s->path));
		cty_object_set(o, "status", cty_number_int(k->a, s->status));
		cty_object_set(o, "ok", cty_bool(k->a, s->ok));
		cty_object_set(o, "duration_ms", cty_number_int(k->a, s->ms));
		items[i] = o;
	}
	return cty_list(k->a, et, k->nsteps, items);
}

/* "host:port" = "address:port" into curl's "host:port:address:port". */
static const char **connect_to(fy_arena *a, const cty_value *resolve)
{
	size_t n = resolve && cty_is_known(resolve) && !cty_is_null(resolve) ? cty_length(resolve) : 0;
	const char **out = fy_arena_alloc(a, (n + 1) * sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = fy_arena_sprintf(
			a, "%s:%s", cty_map_key(resolve, i), cty_as_string(cty_index(resolve, i), NULL));
	out[n] = NULL;
	return out;
}

static int check_read(cty_value **out_state, tf_ctx *ctx, const cty_value *config)
{
	fy_arena *a = tf_ctx_arena(ctx);
	*out_state = NULL;
	tf_ctx_register_secrets(ctx, config);
	const char *cid = cty_get_string(config, "connection_id");
	const cty_value *conn = NULL;
	cty_value *st0;
	if (foundry_arm_lookup(&st0, ctx, &foundry_gc_arm, cid, tf_path(ctx, "connection_id")) < 0)
		return FY_ERROR;
	conn = st0;

	checker k = {.ctx = ctx, .a = a, .conn = conn};
	const cty_value *tv = cty_get_attr(config, "timeout_seconds");
	k.timeout_ms = tv && cty_is_known(tv) && !cty_is_null(tv) ? (long)(cty_number_as_double(tv) * 1000) : 10000;
	const char *target = cty_get_string(conn, "target");
	size_t tl = strlen(target);
	while (tl > 0 && target[tl - 1] == '/')
		tl--;
	k.target = fy_arena_strndup(a, target, tl);
	k.apim = strcmp(cty_get_string(conn, "category"), "ApiManagement") == 0;

	http_options ho = {.ca_pem = cty_get_string(config, "ca_certificate"),
		.connect_to = connect_to(a, cty_get_attr(config, "resolve")),
		.connect_timeout_ms = k.timeout_ms};
	if (http_client_new(&k.http, &ho) < 0) {
		tf_error(ctx, NULL, "Cannot check the gateway", "%s", fy_error_last()->message);
		return FY_ERROR;
	}
	int rc = set_auth(&k, config);
	if (rc < 0) {
		http_client_free(k.http);
		return rc;
	}

	/* Which models: only_models, else the static list, else what discovery returns. */
	const cty_value *only = cty_get_attr(config, "only_models");
	size_t nonly = only && cty_is_known(only) && !cty_is_null(only) ? cty_length(only) : 0;
	const char **onlyv = fy_arena_alloc(a, (nonly ? nonly : 1) * sizeof *onlyv);
	for (size_t i = 0; i < nonly; i++)
		onlyv[i] = cty_as_string(cty_index(only, i), NULL);
	const cty_value *models = cty_get_attr(conn, "models");
	const cty_value *disc = cty_get_attr(conn, "model_discovery");
	if (models && !cty_is_null(models)) {
		for (size_t i = 0; i < cty_length(models); i++)
			add_model(&k, cty_get_string(cty_index(models, i), "name"));
		for (size_t i = 0; i < nonly; i++) {
			size_t j = 0;
			while (j < k.nmodels && strcmp(k.models[j], onlyv[i]) != 0)
				j++;
			if (j == k.nmodels)
				problem(&k, "only_models: \"%s\" is not among the connection's models", onlyv[i]);
		}
	} else if (disc && !cty_is_null(disc)) {
		discover(&k, cty_get_string(disc, "list_models_endpoint"), cty_get_string(disc, "get_model_endpoint"),
			onlyv, nonly);
	} else if (k.apim) {
		/* APIM without models or modelDiscovery: Foundry's APIM defaults (APIM-Connection-Objects.md). */
		discover(&k, "/deployments", "/deployments/{deploymentName}", onlyv, nonly);
	} else {
		problem(&k, "models: the connection has neither models nor model_discovery, so agents see no model");
	}
	const cty_value *inf = cty_get_attr(config, "inference");
	if (inf && cty_is_known(inf) && !cty_is_null(inf) && cty_as_bool(inf)) {
		size_t n = nonly ? nonly : k.nmodels;
		for (size_t i = 0; i < n && i < MAX_MODELS; i++)
			infer(&k, nonly ? onlyv[i] : k.models[i]);
	}
	http_client_free(k.http);

	const cty_type *t = tf_ctx_schema_type(ctx);
	cty_value *st = cty_copy(a, config);
	cty_object_set(st, "ok", cty_bool(a, k.nproblems == 0));
	cty_object_set(st, "problems", strings(a, k.problems, k.nproblems));
	cty_object_set(st, "models", strings(a, k.models, k.nmodels));
	cty_object_set(st, "steps", steps_value(&k, cty_type_attr(t, "steps")));
	for (size_t i = 0; i < k.nproblems; i++)
		tflog_kv(TFLOG_INFO, LOG_MODULE, "gateway check problem", "problem", k.problems[i], NULL);
	*out_state = st;
	return 0;
}

const tf_data_source foundry_gateway_check = {
	.type_name = "foundry_gateway_check",
	.schema = &foundry_gateway_check_schema,
	.read = check_read,
};
