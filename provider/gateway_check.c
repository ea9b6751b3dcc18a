/*
 * foundry_gateway_check, as a data source and as an ephemeral resource (one schema, one run): makes the requests that
 * Foundry's agent service makes to a connection's gateway, from where Terraform runs, and reports each step, so that a
 * wrong target path, missing discovery operations, a wrong api-version, deployment_in_path set the wrong way, a bad key
 * or a model the gateway does not serve show up before an agent meets them (docs/data-sources/gateway_check.md).
 *
 * The routes follow Microsoft's own setup guides (foundry-samples infrastructure-setup-bicep/01-connections/apim
 * and model-gateway, APIM-Connection-Objects.md): APIM discovery is GET {target}/deployments and
 * GET {target}/deployments/{name} (api-version = deploymentAPIVersion), ModelGateway discovery uses the connection's
 * modelDiscovery endpoints with {deploymentName} filled in; inference is POST {target}/deployments/{name}/chat/
 * completions with deploymentInPath "true", else POST {target}/chat/completions with the model in the body
 * (api-version = inferenceAPIVersion when set). A static model list, without inference, is checked at no token cost
 * against the OpenAI-style GET {target}/models.
 *
 * ok is true only after at least one authenticated request to the gateway succeeded and nothing failed: a check that
 * sent nothing proves nothing. An unhealthy gateway never fails the run: ok = false and problems, each quoting what
 * the gateway said (gateway_probe.c decides what it blames). Bad arguments and a connection that does not exist are
 * diagnostics.
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
#include "provider/gateway_probe.h"

#define LOG_MODULE "foundry.gateway_check"
#define MAX_MODELS 64 /* models probed at most (the rest are listed but not called) */

/* ------------------------------------------------------------------ schema */

static void validate_connection_id(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	char *parent, *name;
	fy_arena *a = tf_diags_arena(d);
	if (s && foundry_arm_id_split(&parent, &name, a, &foundry_gc_id_spec, s) < 0)
		tf_diag_add(d, TF_ERROR, path, "Invalid connection_id", "%s", fy_error_last()->message);
}

static void validate_timeout(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	if (!cty_is_set(v))
		return;
	double t = cty_number_as_double(v);
	if (!(t >= 1 && t <= 300))
		tf_diag_add(d, TF_ERROR, path, "Invalid timeout_seconds", "timeout_seconds is from 1 to 300, not %s.",
			cty_number_text(v));
}

static void validate_pem(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	const char *s = cty_is_set(v) ? cty_as_string(v, NULL) : NULL;
	if (s && !strstr(s, "-----BEGIN CERTIFICATE-----"))
		tf_diag_add(d, TF_ERROR, path, "Invalid ca_certificate",
			"ca_certificate is one or more PEM certificates (-----BEGIN CERTIFICATE----- ...), e.g. "
			"file(\"private-ca.pem\").");
}

/* "host:port" = "address:port", as curl's --resolve (with another port allowed, as --connect-to). */
static void validate_resolve(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d)
{
	(void)self;
	if (!cty_is_set(v))
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
	{.name = "duration_ms",
		.type = "\"number\"",
		.flags = TF_COMPUTED,
		.deprecation =
			"Always null: a duration changed on every read, so every plan showed a change. Durations are in "
			"the provider's DEBUG log.",
		.description =
			"Always null (durations are logged instead, so that two reads of a healthy gateway agree)."},
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
		.description =
			"The gateway key, for `ApiKey` connections (ARM never returns it). The data source stores "
			"it in the state (marked sensitive); the ephemeral resource never stores it."},
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
	{.name = "ok",
		.type = "\"bool\"",
		.flags = TF_COMPUTED,
		.description = "True when every step succeeded and at least one authenticated request to the gateway "
			       "succeeded. A connection whose kind has no check that costs no tokens is false until "
			       "`inference = true`."},
	{.name = "problems",
		.type = "[\"list\",\"string\"]",
		.flags = TF_COMPUTED,
		.description =
			"One line per problem: the step, method and URL path, the status or transport error, what the "
			"gateway said (its message and code, at most 300 characters, keys redacted), and the attribute "
			"to look at when the answer points at one."},
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
		"Checks a gateway connection the way Foundry's agent service uses it: discovery, authentication "
		"and (optionally) one chat completion per model, from where Terraform runs. Nothing is sent unless "
		"it is declared. This data source stores `api_key` in the state (marked sensitive): with Terraform "
		"1.10+ or OpenTofu 1.11+ use the ephemeral resource `foundry_gateway_check` instead, which stores "
		"nothing.",
	.attributes = check_attrs,
};

/* The ephemeral resource: the same table, a different description. */
static const tf_block ephemeral_schema = {
	.description =
		"Checks a gateway connection the way Foundry's agent service uses it, like the data source "
		"`foundry_gateway_check`, but as an ephemeral resource (Terraform 1.10+, OpenTofu 1.11+): neither its "
		"arguments (the key) nor its result are written to state or plan files. Turn its result into a "
		"warning with a `check {}` block or into an error with a postcondition on it.",
	.attributes = check_attrs,
};

/* ------------------------------------------------------------------- state */

typedef struct step {
	const char *name, *method, *path;
	long status;
	int ok;
} step;

typedef struct checker {
	tf_ctx *ctx;
	fy_arena *a;
	http_client *http;
	long timeout_ms;
	const cty_value *conn; /* the connection's state, read from ARM */
	const char *target;
	foundry_gw_facts facts;
	const char **headers; /* auth and custom headers for gateway requests */
	size_t nheaders, capheaders;
	step *steps;
	size_t nsteps, capsteps;
	const char **problems;
	size_t nproblems, capproblems;
	const char **models;
	size_t nmodels, capmodels;
	int proven; /* an authenticated request to the gateway succeeded */
} checker;

static void problem(checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(checker *k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	k->problems = fy_arena_grow(k->a, k->problems, &k->capproblems, k->nproblems, sizeof *k->problems);
	/* A gateway may echo what we sent: nothing registered as a secret reaches the output. */
	k->problems[k->nproblems++] = tflog_redact(k->a, buf);
}

static int has_model(const checker *k, const char *name)
{
	for (size_t i = 0; i < k->nmodels; i++)
		if (strcmp(k->models[i], name) == 0)
			return 1;
	return 0;
}

static void add_model(checker *k, const char *name)
{
	if (name == NULL || has_model(k, name))
		return;
	k->models = fy_arena_grow(k->a, k->models, &k->capmodels, k->nmodels, sizeof *k->models);
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

static step *add_step(checker *k, const char *name, const char *method, const char *path)
{
	k->steps = fy_arena_grow(k->a, k->steps, &k->capsteps, k->nsteps, sizeof *k->steps);
	step *s = &k->steps[k->nsteps++];
	*s = (step){.name = fy_arena_strdup(k->a, name), .method = method, .path = path};
	return s;
}

/*
 * One request to the gateway, recorded as a step. *out is the response (caller frees) when one came; a transport
 * failure is recorded (status 0) and reported here. Redirects are never followed; one to another host is named.
 * `gateway`: a request to the gateway with its auth headers (a success proves target, TLS and credentials).
 */
static int request(http_response **out, checker *k, const char *name, const char *method, const char *url,
	const char *const *extra_headers, const char *body, int gateway)
{
	const char *hdrs[32];
	size_t h = 0;
	for (size_t i = 0; gateway && i < k->nheaders && h < 24; i++)
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
	step *s = add_step(k, name, method, url_path(k->a, url));
	s->status = rc == 0 ? r->status : 0;
	s->ok = rc == 0 && r->status >= 200 && r->status < 300;
	k->proven |= gateway && s->ok;
	/* Durations go to the log only: an attribute that changes on every read would show a change on every plan. */
	tflog_kv(TFLOG_DEBUG, LOG_MODULE, "gateway check step", "step", s->name, "status",
		fy_arena_sprintf(k->a, "%ld", s->status), "duration_ms",
		fy_arena_sprintf(k->a, "%ld", fy_now_ms() - t0), NULL);
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

/* A failed answer as a problem: the status once, the gateway's own message and code, then the hint if it has one. */
static void status_problem(checker *k, const http_response *r, foundry_gw_step kind, const char *model)
{
	const step *s = &k->steps[k->nsteps - 1];
	if (r->status >= 300 && r->status < 400)
		return; /* reported by request() */
	const char *msg, *code;
	foundry_gw_said(&msg, &code, k->a, r->status, r->body, r->body_len);
	const char *hint = foundry_gw_hint(k->a, &k->facts, kind, r->status, code, msg, model);
	const char *said =
		*msg ? fy_arena_sprintf(k->a, ": the gateway said \"%s\"", msg) : ": the gateway gave no message";
	const char *coded = *code ? fy_arena_sprintf(k->a, " (%s)", code) : "";
	problem(k, "%s: %s %s -> %ld%s%s%s%s", s->name, s->method, s->path, r->status, said, coded, hint ? "; " : "",
		hint ? hint : "");
}

/* ------------------------------------------------------------------ auth */

static void add_header(checker *k, const char *line)
{
	k->headers = fy_arena_grow(k->a, k->headers, &k->capheaders, k->nheaders, sizeof *k->headers);
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

static void oauth2_token(checker *k, const char *url, const char *cid, const char *secret)
{
	fy_arena *a = k->a;
	const cty_value *o = cty_get_attr(k->conn, "oauth2");
	char *scope = fy_arena_strdup(a, "");
	const cty_value *sc = cty_is_set(o) ? cty_get_attr(o, "scopes") : NULL;
	for (size_t i = 0; cty_is_set(sc) && i < cty_length(sc); i++) {
		const char *one = cty_as_string(cty_index(sc, i), NULL);
		scope = fy_arena_sprintf(a, "%s%s%s", scope, i ? " " : "", one ? one : "");
	}
	char *body = fy_arena_sprintf(a, "grant_type=client_credentials&client_id=%s&client_secret=%s%s%s",
		form_value(a, cid), form_value(a, secret), *scope ? "&scope=" : "", *scope ? form_value(a, scope) : "");
	const char *form[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL};
	http_response *r = NULL;
	int rc = request(&r, k, "token", "POST", url, form, body, 0); /* the token endpoint gets no gateway headers */
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
		const char *msg, *code;
		foundry_gw_said(&msg, &code, a, r->status, r->body, r->body_len);
		problem(k,
			"token: POST %s -> %ld%s%s%s%s: the identity provider refused the client credentials: check "
			"oauth2_client_id, oauth2_client_secret and oauth2.scopes",
			k->steps[k->nsteps - 1].path, r->status, *msg ? ": it said \"" : "", msg, *msg ? "\"" : "",
			*code ? fy_arena_sprintf(a, " (%s)", code) : "");
	}
	http_response_free(r);
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
		add_header(k, foundry_gw_key_header(a, k->conn, key));
	} else if (auth && strcmp(auth, "OAuth2") == 0) {
		const cty_value *o = cty_get_attr(k->conn, "oauth2");
		const char *url = cty_is_set(o) ? cty_get_string(o, "token_url") : NULL;
		const char *cid = cty_get_string(config, "oauth2_client_id");
		if (!cid && cty_is_set(o))
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
		oauth2_token(k, url, cid, secret);
	} else if (auth) {
		/* ProjectManagedIdentity and AAD: Foundry sends the project's identity; from here only the caller's own
		 * identity (the provider's credential chain) can be sent, which proves the route but not the project's
		 * role assignment. */
		const char *aud = cty_get_string(k->conn, "audience");
		aud = aud ? aud : FOUNDRY_DEFAULT_AUDIENCE;
		char *tok = NULL;
		int rc = foundry_client_token_for(&tok, tf_ctx_provider_data(k->ctx), aud);
		step *s = add_step(
			k, fy_arena_sprintf(a, "token for %s (the caller's identity, not the project's)", aud), "", "");
		s->ok = rc == 0;
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
	for (size_t i = 0; cty_is_set(ch) && i < cty_length(ch); i++) {
		const char *v = cty_as_string(cty_index(ch, i), NULL);
		if (v) {
			tflog_add_secret(v);
			add_header(k, fy_arena_sprintf(a, "%s: %s", cty_map_key(ch, i), v));
		}
	}
	return 0;
}

/* --------------------------------------------------------------- discovery */

/* GET a model list: *names (and *nnames) when it answered one. `no_route`: a 404 or 405 is explained as "no list at
 * target" (a static connection's free check) rather than as discovery's missing operation. */
static void list_models(checker *k, const char *url, const char ***names, size_t *nnames, int no_route)
{
	const char *acc[] = {"Accept: application/json", NULL};
	http_response *r = NULL;
	*names = NULL;
	*nnames = 0;
	if (request(&r, k, "list models", "GET", url, acc, NULL, 1) == 0) {
		if (r->status == 200) {
			if (foundry_gw_list_names(names, nnames, k->a, r->body, r->body_len) < 0) {
				k->steps[k->nsteps - 1].ok = 0;
				problem(k,
					"list models: GET %s -> 200 but the answer is not a model list ({\"value\": [...]} "
					"or {\"data\": [...]}): check %s",
					k->steps[k->nsteps - 1].path,
					k->facts.apim ? "target"
						      : "model_discovery.deployment_provider and its endpoints");
			}
		} else if (no_route && (r->status == 404 || r->status == 405)) {
			const char *msg, *code;
			foundry_gw_said(&msg, &code, k->a, r->status, r->body, r->body_len);
			problem(k,
				"list models: GET %s -> %ld%s%s%s: there is no model list at target (target is not the "
				"API's base URL, or the gateway serves no list), so nothing could be checked without "
				"tokens: check target, or set inference = true to check each model with one chat "
				"completion",
				k->steps[k->nsteps - 1].path, r->status, *msg ? ": the gateway said \"" : "", msg,
				*msg ? "\"" : "");
		} else if (r->status < 300 || r->status >= 400) {
			status_problem(k, r, FOUNDRY_GW_LIST, NULL);
		}
	}
	http_response_free(r);
}

static void discover(checker *k, const char *list_ep, const char *get_ep, const char *const *only, size_t nonly)
{
	const char *ver = cty_get_string(k->conn, "deployment_api_version");
	const char *acc[] = {"Accept: application/json", NULL};
	const char **names;
	size_t nnames;
	list_models(k, with_version(k, foundry_gw_url(k->a, k->target, list_ep, NULL), ver), &names, &nnames, 0);
	for (size_t i = 0; i < nnames; i++)
		add_model(k, names[i]);
	if (names && k->nmodels == 0 && nonly == 0)
		problem(k, "list models: the gateway listed no models, so agents see none");
	/* Get each model (the ones asked for, else what the list returned). */
	size_t n = nonly ? nonly : k->nmodels;
	for (size_t i = 0; i < n && i < MAX_MODELS; i++) {
		const char *m = nonly ? only[i] : k->models[i];
		char *url = with_version(k, foundry_gw_url(k->a, k->target, get_ep, m), ver);
		char *name = fy_arena_sprintf(k->a, "get model %s", m);
		http_response *r = NULL;
		if (request(&r, k, name, "GET", url, acc, NULL, 1) == 0 && r->status != 200)
			status_problem(k, r, FOUNDRY_GW_GET, m);
		http_response_free(r);
	}
}

/*
 * A static list without inference: the OpenAI-style GET {target}/models costs no tokens, proves target, TLS and the
 * key, and tells whether the gateway serves each listed model. A gateway without it is told plainly: nothing was
 * checked, and inference = true is what would check it.
 */
static void check_static(checker *k, const char *const *want, size_t nwant)
{
	const char **names;
	size_t nnames;
	list_models(k, foundry_gw_url(k->a, k->target, "/models", NULL), &names, &nnames, 1);
	if (!names)
		return;
	for (size_t i = 0; i < nwant; i++) {
		int found = 0;
		for (size_t j = 0; j < nnames && !found; j++)
			found = strcmp(names[j], want[i]) == 0;
		if (!found)
			problem(k,
				"list models: the gateway does not list \"%s\": models[].name \"%s\" is not a model it "
				"serves",
				want[i], want[i]);
	}
}

/* --------------------------------------------------------------- inference */

static void infer(checker *k, const char *model)
{
	int in_path = cty_get_bool(k->conn, "deployment_in_path", 0);
	const char *ver = cty_get_string(k->conn, "inference_api_version");
	char *url = in_path ? foundry_gw_url(k->a, k->target, "/deployments/{deploymentName}/chat/completions", model)
			    : foundry_gw_url(k->a, k->target, "/chat/completions", NULL);
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
	if (request(&r, k, name, "POST", with_version(k, url, ver), hdrs, body, 1) == 0 &&
		(r->status < 200 || r->status >= 300))
		status_problem(k, r, FOUNDRY_GW_CHAT, model);
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
		items[i] = o;
	}
	return cty_list(k->a, et, k->nsteps, items);
}

/* "host:port" = "address:port" into curl's "host:port:address:port". */
static const char **connect_to(fy_arena *a, const cty_value *resolve)
{
	size_t n = cty_is_set(resolve) ? cty_length(resolve) : 0;
	const char **out = fy_arena_alloc(a, (n + 1) * sizeof *out);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *to = cty_as_string(cty_index(resolve, i), NULL);
		if (to)
			out[k++] = fy_arena_sprintf(a, "%s:%s", cty_map_key(resolve, i), to);
	}
	out[k] = NULL;
	return out;
}

/* The models a stored connection names. Another tool may have stored entries without a name: each is a problem
 * (an agent cannot call it), never a crash. */
static void static_models(checker *k, const cty_value *models)
{
	size_t n;
	const char **names = foundry_gw_model_names(k->a, models, &n);
	for (size_t i = 0; i < n; i++)
		if (names[i])
			add_model(k, names[i]);
		else
			problem(k,
				"models[%zu]: the stored entry has no name, so agents cannot call it: give every entry "
				"of models a name",
				i);
}

/* The list of strings in a list attribute, null entries left out. */
static const char **string_list(fy_arena *a, const cty_value *v, size_t *n)
{
	size_t len = cty_is_set(v) ? cty_length(v) : 0;
	const char **out = fy_arena_alloc(a, (len ? len : 1) * sizeof(*out));
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		const char *s = cty_as_string(cty_index(v, i), NULL);
		if (s)
			out[(*n)++] = s;
	}
	return out;
}

static void probe(checker *k, const cty_value *config)
{
	size_t nonly = 0;
	const char **onlyv = string_list(k->a, cty_get_attr(config, "only_models"), &nonly);
	const cty_value *models = cty_get_attr(k->conn, "models");
	const cty_value *disc = cty_get_attr(k->conn, "model_discovery");
	int inference = cty_get_bool(config, "inference", 0);
	if (cty_is_set(models)) {
		static_models(k, models);
		for (size_t i = 0; i < nonly; i++)
			if (!has_model(k, onlyv[i]))
				problem(k, "only_models: \"%s\" is not among the connection's models", onlyv[i]);
		if (!inference)
			check_static(k, nonly ? onlyv : k->models, nonly ? nonly : k->nmodels);
	} else if (cty_is_set(disc)) {
		const char *list = cty_get_string(disc, "list_models_endpoint");
		const char *get = cty_get_string(disc, "get_model_endpoint");
		if (list && get)
			discover(k, list, get, onlyv, nonly);
		else
			problem(k, "model_discovery: the stored value has no %s, so agents see no model",
				list ? "get_model_endpoint" : "list_models_endpoint");
	} else if (k->facts.apim) {
		/* APIM without models or modelDiscovery: Foundry's APIM defaults (APIM-Connection-Objects.md). */
		discover(k, "/deployments", "/deployments/{deploymentName}", onlyv, nonly);
	} else {
		problem(k, "models: the connection has neither models nor model_discovery, so agents see no model");
	}
	if (inference) {
		size_t n = nonly ? nonly : k->nmodels;
		for (size_t i = 0; i < n && i < MAX_MODELS; i++)
			infer(k, nonly ? onlyv[i] : k->models[i]);
	}
}

/* The check itself, for the data source and the ephemeral resource alike: the config plus the computed results.
 * `ephemeral`: a connection that does not exist yet is the first plan of the run that creates it (its id is known
 * before it exists), so the results are unknown and the CLI opens the check again at apply, after the create. */
static int check_run(cty_value **out_state, tf_ctx *ctx, const cty_value *config, int ephemeral)
{
	fy_arena *a = tf_ctx_arena(ctx);
	*out_state = NULL;
	tf_ctx_register_secrets(ctx, config);
	const char *cid = cty_get_string(config, "connection_id");
	cty_value *conn;
	int rc = ephemeral ? foundry_arm_find(&conn, ctx, &foundry_gc_arm, cid, tf_path(ctx, "connection_id"))
			   : foundry_arm_lookup(&conn, ctx, &foundry_gc_arm, cid, tf_path(ctx, "connection_id"));
	if (rc == FY_ENOTFOUND && ephemeral) {
		const cty_type *t = tf_ctx_schema_type(ctx);
		cty_value *st = cty_copy(a, config);
		static const char *const results[] = {"ok", "problems", "models", "steps"};
		for (size_t i = 0; i < sizeof results / sizeof results[0]; i++)
			cty_object_set(st, results[i], cty_unknown(a, cty_type_attr(t, results[i])));
		tflog(TFLOG_INFO, LOG_MODULE, "the connection does not exist yet: the check runs after it is created");
		*out_state = st;
		return 0;
	}
	if (rc < 0)
		return FY_ERROR;

	checker k = {.ctx = ctx, .a = a, .conn = conn};
	foundry_gw_facts_of(&k.facts, conn);
	const cty_value *tv = cty_get_attr(config, "timeout_seconds");
	k.timeout_ms = cty_is_set(tv) ? (long)(cty_number_as_double(tv) * 1000) : 10000;
	const char *target = cty_get_string(conn, "target");
	k.target = target ? target : "";

	http_options ho = {.ca_pem = cty_get_string(config, "ca_certificate"),
		.connect_to = connect_to(a, cty_get_attr(config, "resolve")),
		.connect_timeout_ms = k.timeout_ms};
	if (http_client_new(&k.http, &ho) < 0) {
		tf_error(ctx, NULL, "Cannot check the gateway", "%s", fy_error_last()->message);
		return FY_ERROR;
	}
	rc = set_auth(&k, config);
	if (rc < 0) {
		http_client_free(k.http);
		return rc;
	}
	probe(&k, config);
	http_client_free(k.http);
	if (!k.proven && k.nproblems == 0)
		problem(&k, "no request to the gateway succeeded, so nothing proves that it works");

	cty_value *st = cty_copy(a, config);
	cty_object_set(st, "ok", cty_bool(a, k.proven && k.nproblems == 0));
	cty_object_set(st, "problems", strings(a, k.problems, k.nproblems));
	cty_object_set(st, "models", strings(a, k.models, k.nmodels));
	cty_object_set(st, "steps", steps_value(&k, cty_type_attr(tf_ctx_schema_type(ctx), "steps")));
	for (size_t i = 0; i < k.nproblems; i++)
		tflog_kv(TFLOG_INFO, LOG_MODULE, "gateway check problem", "problem", k.problems[i], NULL);
	*out_state = st;
	return 0;
}

static int check_read(cty_value **out_state, tf_ctx *ctx, const cty_value *config)
{
	return check_run(out_state, ctx, config, 0);
}

static int check_open(cty_value **out_result, tf_ctx *ctx, const cty_value *config)
{
	return check_run(out_result, ctx, config, 1);
}

const tf_data_source foundry_gateway_check = {
	.type_name = "foundry_gateway_check",
	.schema = &foundry_gateway_check_schema,
	.read = check_read,
};

const tf_ephemeral_resource foundry_gateway_check_ephemeral = {
	.type_name = "foundry_gateway_check",
	.schema = &ephemeral_schema,
	.open = check_open,
};
