/*
 * What the gateway check reads from outside: a connection as another tool stored it in ARM (read into state the way
 * the check reads it, then the models it names and the facts it blames by), and a gateway's answer (its message and
 * code, the hint drawn from them, a model list). The input is the connection body, a NUL, then the gateway's answer;
 * the first byte of the answer picks its status. Errors are fine; crashes and sanitizer reports are not.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/common/fy_utf8.h"
#include "internal/cty/cty.h"
#include "internal/log/tflog.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"
#include "provider/gateway_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const long statuses[] = {200, 400, 401, 403, 404, 405, 429, 500, 503};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		tflog_set_output(NULL, TFLOG_OFF);
	fy_arena *a;
	if (fy_arena_new(&a) < 0)
		abort();
	const uint8_t *nul = memchr(data, 0, size);
	size_t clen = nul ? (size_t)(nul - data) : size;
	const uint8_t *ans = nul ? nul + 1 : data + size;
	size_t alen = nul ? size - clen - 1 : 0;

	const cty_type *t;
	if (tf_block_implied_type(&t, a, &foundry_gc_schema) < 0)
		abort();
	size_t clean_len;
	char *clean = fy_utf8_sanitize(&clean_len, (const char *)data, clen);
	cJSON *body = clean ? cJSON_ParseWithLength(clean, clean_len) : NULL;
	cty_value *conn = NULL;
	foundry_gw_facts facts = {0};
	const char *model = NULL;
	if (cJSON_IsObject(body) && foundry_gc_from_arm(&conn, a, t, body, NULL, NULL) == 0) {
		size_t n;
		const char **names = foundry_gw_model_names(a, cty_get_attr(conn, "models"), &n);
		for (size_t i = 0; i < n; i++)
			if (names[i] && strlen(names[i]) > 0)
				model = names[i];
		foundry_gw_facts_of(&facts, conn);
		foundry_gw_key_header(a, conn, "key");
		const char *target = cty_get_string(conn, "target");
		const cty_value *disc = cty_get_attr(conn, "model_discovery");
		const char *get = cty_is_set(disc) ? cty_get_string(disc, "get_model_endpoint") : NULL;
		if (target && get)
			foundry_gw_url(a, target, get, model ? model : "m");
	}
	cJSON_Delete(body);
	free(clean);

	long status = statuses[(alen ? ans[0] : 0) % (sizeof statuses / sizeof statuses[0])];
	const char *rest = alen ? (const char *)ans + 1 : "";
	size_t rlen = alen ? alen - 1 : 0;
	const char *msg, *code;
	foundry_gw_said(&msg, &code, a, status, rest, rlen);
	if (strlen(msg) > FOUNDRY_GW_MESSAGE_MAX * 4 + 3 || !fy_utf8_valid(msg, strlen(msg)))
		abort(); /* bounded and valid, whatever came */
	for (int step = FOUNDRY_GW_LIST; step <= FOUNDRY_GW_CHAT; step++)
		foundry_gw_hint(a, &facts, (foundry_gw_step)step, status, code, msg, model);
	const char **names;
	size_t n;
	foundry_gw_list_names(&names, &n, a, rest, rlen);
	fy_arena_free(a);
	return 0;
}
