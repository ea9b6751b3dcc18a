/* The gateway check's decisions (gateway_probe.h): pure functions of the stored connection and the gateway's
 * answers. */
#define _GNU_SOURCE /* strcasestr */
#include "provider/gateway_probe.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "internal/common/fy_utf8.h"
#include "internal/log/tflog.h"

const char **foundry_gw_model_names(fy_arena *a, const cty_value *models, size_t *n)
{
	*n = cty_is_set(models) ? cty_length(models) : 0;
	const char **out = fy_arena_alloc(a, (*n ? *n : 1) * sizeof(*out));
	for (size_t i = 0; i < *n; i++) {
		const char *name = cty_get_string(cty_index(models, i), "name");
		out[i] = name && *name ? name : NULL;
	}
	return out;
}

void foundry_gw_facts_of(foundry_gw_facts *out, const cty_value *conn)
{
	const char *cat = cty_get_string(conn, "category");
	*out = (foundry_gw_facts){.apim = cat && strcmp(cat, "ApiManagement") == 0,
		.auth_type = cty_get_string(conn, "auth_type"),
		.inference_api_version = cty_get_string(conn, "inference_api_version"),
		.deployment_api_version = cty_get_string(conn, "deployment_api_version"),
		.auth_config = cty_is_set(cty_get_attr(conn, "auth_config")),
		.custom_headers = cty_is_set(cty_get_attr(conn, "custom_headers")) &&
			cty_length(cty_get_attr(conn, "custom_headers")) > 0};
	out->discovery = !cty_is_set(cty_get_attr(conn, "models")) &&
		(out->apim || cty_is_set(cty_get_attr(conn, "model_discovery")));
}

/* ------------------------------------------------------------- what it said */

static int secretish_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' || c == '+' || c == '/' || c == '=';
}

/* Keys and tokens a gateway may echo: "sk-..." keys, "Bearer ..." values, and any run of 32 or more key-like
 * characters with a digit in it (subscription keys, JWTs). Registered secrets are taken out before this. */
static char *redact_secretish(fy_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *out = fy_arena_alloc(a, n * 2 + 16);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && secretish_char(s[j]))
			j++;
		size_t len = j - i;
		int digit = 0;
		for (size_t k = i; k < j; k++)
			digit |= isdigit((unsigned char)s[k]) != 0;
		int key = (len > 6 && strncmp(s + i, "sk-", 3) == 0) || (len >= 32 && digit);
		int bearer = o >= 7 && strncasecmp(out + o - 7, "bearer ", 7) == 0 && len > 0;
		if (len > 0 && (key || bearer)) {
			memcpy(out + o, "[redacted]", 10);
			o += 10;
			i = j;
			continue;
		}
		if (len == 0)
			j = i + 1;
		memcpy(out + o, s + i, j - i);
		o += j - i;
		i = j;
	}
	out[o] = '\0';
	return out;
}

/* At most FOUNDRY_GW_MESSAGE_MAX code points, on one line, never cutting a UTF-8 sequence. */
static char *bound(fy_arena *a, const char *s)
{
	size_t n = 0, chars = 0, len = strlen(s);
	while (n < len && chars < FOUNDRY_GW_MESSAGE_MAX) {
		n++;
		while (n < len && ((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
		chars++;
	}
	char *out = fy_arena_sprintf(a, "%.*s%s", (int)n, s, n < len ? "..." : "");
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return out;
}

static const char *str_item(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(it) && it->valuestring[0] ? it->valuestring : NULL;
}

/* A code may be a string or a number (LiteLLM sends the status as the string "400"). */
static const char *code_item(fy_arena *a, const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	if (cJSON_IsNumber(it))
		return fy_arena_sprintf(a, "%.0f", it->valuedouble);
	return str_item(o, k);
}

void foundry_gw_said(const char **message, const char **code, fy_arena *a, long status, const char *body, size_t len)
{
	*message = "";
	*code = "";
	if (body == NULL || len == 0)
		return;
	size_t clean_len = 0;
	char *text = fy_utf8_sanitize(&clean_len, body, len);
	if (text == NULL)
		return;
	const char *msg = NULL, *c = NULL;
	cJSON *j = cJSON_ParseWithLength(text, clean_len);
	if (cJSON_IsObject(j)) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
		const cJSON *src = cJSON_IsObject(e) ? e : j;
		msg = str_item(src, "message");
		if (!msg)
			msg = str_item(j, "message");
		if (!msg)
			msg = str_item(j, "detail");
		if (!msg && cJSON_IsString(e))
			msg = e->valuestring;
		if (!msg)
			msg = str_item(j, "error_description");
		c = code_item(a, src, "code");
		if (!c || strcmp(c, fy_arena_sprintf(a, "%ld", status)) == 0)
			c = str_item(src, "type");
		if (!c)
			c = str_item(j, "error");
	} else if (!j) {
		msg = text; /* a plain-text answer is its own message */
	}
	if (msg)
		*message = bound(a, redact_secretish(a, tflog_redact(a, msg)));
	if (c && strcmp(c, fy_arena_sprintf(a, "%ld", status)) != 0)
		*code = bound(a, redact_secretish(a, tflog_redact(a, c)));
	cJSON_Delete(j);
	free(text);
}

/* ----------------------------------------------------------------- hints */

static int says(const char *hay, const char *const *needles)
{
	for (; *needles; needles++)
		if (strcasestr(hay, *needles))
			return 1;
	return 0;
}

static const char *const auth_words[] = {"api key", "api-key", "apikey", "api_key", "invalid key", "access key",
	"subscription key", "unauthori", "authenticat", "credential", "permission", "forbidden", "access token",
	"invalid token", "expired token", "token is", "no auth", NULL};
/* Words that are about a model, not a route: a bare "Not Found" (a wrong path) is not among them. */
static const char *const model_words[] = {"model_not_found", "deploymentnotfound", "invalid model", "unknown model",
	"model not found", "no such model", "model does not exist", "deployment does not exist", NULL};
static const char *const version_words[] = {"api-version", "api version", "apiversion", NULL};

static const char *auth_hint(fy_arena *a, const foundry_gw_facts *f)
{
	const char *what = "the credentials";
	if (f->auth_type && strcmp(f->auth_type, "ApiKey") == 0)
		what = "api_key";
	else if (f->auth_type && strcmp(f->auth_type, "OAuth2") == 0)
		what = "oauth2_client_id and oauth2_client_secret (and oauth2.scopes)";
	else if (f->auth_type)
		what = "the identity's access to the gateway";
	return fy_arena_sprintf(a, "the gateway refused the credentials: check %s%s%s", what,
		f->auth_config ? ", auth_config" : "", f->custom_headers ? ", custom_headers" : "");
}

const char *foundry_gw_hint(fy_arena *a, const foundry_gw_facts *f, foundry_gw_step step, long status, const char *code,
	const char *message, const char *model)
{
	const char *text = fy_arena_sprintf(a, "%s %s", code ? code : "", message ? message : "");
	int names_model = model && *model && strstr(text, model) != NULL;
	if (status == 401 || status == 403 || says(text, auth_words))
		return auth_hint(a, f);
	if (model && *model && (names_model || says(text, model_words)) && status != 429 && status < 500) {
		if (f->discovery)
			return fy_arena_sprintf(
				a, "the gateway does not serve \"%s\", which its own model list named", model);
		return fy_arena_sprintf(a, "models[].name \"%s\" is not a model the gateway serves", model);
	}
	if (says(text, version_words)) {
		const char *attr = step == FOUNDRY_GW_CHAT ? "inference_api_version" : "deployment_api_version";
		const char *v = step == FOUNDRY_GW_CHAT ? f->inference_api_version : f->deployment_api_version;
		return v ? fy_arena_sprintf(a, "check %s (\"%s\")", attr, v) : NULL;
	}
	if (status == 404) {
		if (step == FOUNDRY_GW_CHAT)
			return "no such route: check target and deployment_in_path";
		if (f->discovery && f->apim)
			return "target is not the API's base URL, or the gateway has no list-deployments or "
			       "get-deployment operation (dynamic discovery needs both)";
		if (f->discovery)
			return "model_discovery's endpoints do not exist at target, or target is not the API's base URL";
		return NULL; /* the no-token list of a static connection: the caller says what to do */
	}
	if (status == 429)
		return "the gateway throttled the check: try again later";
	if (status >= 500)
		return "the gateway failed: see its logs";
	return NULL;
}

/* ------------------------------------------------------------ lists, routes */

int foundry_gw_list_names(const char ***out, size_t *n, fy_arena *a, const char *body, size_t len)
{
	*out = NULL;
	*n = 0;
	cJSON *j = cJSON_ParseWithLength(body ? body : "", body ? len : 0);
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "value");
	if (!cJSON_IsArray(arr))
		arr = cJSON_GetObjectItemCaseSensitive(j, "data");
	if (!cJSON_IsArray(arr)) {
		cJSON_Delete(j);
		return FY_EINVALID;
	}
	size_t cap = (size_t)cJSON_GetArraySize(arr);
	const char **names = fy_arena_alloc(a, (cap ? cap : 1) * sizeof(*names));
	const cJSON *it;
	cJSON_ArrayForEach (it, arr) {
		const char *nm = str_item(it, "name");
		if (!nm)
			nm = str_item(it, "id");
		if (nm && fy_utf8_valid(nm, strlen(nm)))
			names[(*n)++] = fy_arena_strdup(a, nm);
	}
	*out = names;
	cJSON_Delete(j);
	return 0;
}

const char *foundry_gw_key_header(fy_arena *a, const cty_value *conn, const char *key)
{
	const cty_value *ac = cty_get_attr(conn, "auth_config");
	const char *hname = cty_is_set(ac) ? cty_get_string(ac, "header_name") : NULL;
	const char *fmt = cty_is_set(ac) ? cty_get_string(ac, "format") : NULL;
	hname = hname ? hname : "api-key";
	fmt = fmt ? fmt : "{api_key}";
	const char *at = strstr(fmt, "{api_key}");
	const char *value = at ? fy_arena_sprintf(a, "%.*s%s%s", (int)(at - fmt), fmt, key, at + 9) : key;
	return fy_arena_sprintf(a, "%s: %s", hname, value);
}

char *foundry_gw_url(fy_arena *a, const char *target, const char *path, const char *model)
{
	size_t tl = strlen(target);
	while (tl > 0 && target[tl - 1] == '/')
		tl--;
	const char *ph = model ? strstr(path, "{deploymentName}") : NULL;
	const char *p = ph ? fy_arena_sprintf(a, "%.*s%s%s", (int)(ph - path), path, model, ph + 16) : path;
	return fy_arena_sprintf(a, "%.*s%s%s", (int)tl, target, p[0] == '/' ? "" : "/", p);
}
