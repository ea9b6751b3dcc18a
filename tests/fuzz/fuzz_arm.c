/*
 * What ARM (or whatever answers in its place) sends back: a connection body read into state (against a prior state
 * and as an import stub), the data source's view of it, ARM's error envelope, and connection ids. Errors are fine;
 * crashes, leaks and sanitizer reports are not, and whatever becomes state must be valid UTF-8 for the next decode.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal/arm/arm_internal.h"
#include "internal/common/fy_utf8.h"
#include "internal/cty/cty.h"
#include "internal/log/tflog.h"
#include "provider/arm_id.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prior_json[] =
	"{\"parent_id\":\"/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct/projects/p1\","
	"\"name\":\"c01\",\"category\":\"ApiManagement\",\"target\":\"https://x.azure-api.net/v1\",\"auth_type\":\"ApiKey\","
	"\"api_key\":\"k\",\"deployment_in_path\":true,\"inference_api_version\":\"2024-10-21\",\"models\":[{\"name\":\"m\","
	"\"model_name\":\"gpt-4o\",\"model_version\":\"1\",\"model_format\":\"OpenAI\"}],\"extra_metadata\":{\"owner\":\"t\"}}";

static void check_state(fy_arena *a, const cty_type *t, const cty_value *st)
{
	/* What reaches state must encode and decode again (the next plan reads it back). */
	void *buf;
	size_t n;
	cty_value *back;
	if (cty_msgpack_encode(&buf, &n, a, st, t) < 0 || cty_msgpack_decode(&back, a, t, buf, n) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		tflog_set_output(NULL, TFLOG_OFF);
	fy_arena *a;
	if (fy_arena_new(&a) < 0)
		abort();
	/* ARM's bodies pass through the UTF-8 repair first (arm.c fill_result), as here. */
	size_t clean_len;
	char *clean = fy_utf8_sanitize(&clean_len, (const char *)data, size);
	const cty_type *t;
	if (!clean || tf_block_implied_type(&t, a, &foundry_gc_schema) < 0)
		abort();
	cJSON *body = cJSON_ParseWithLength(clean, clean_len);
	if (cJSON_IsObject(body)) {
		cty_value *prior = NULL, *st = NULL;
		if (cty_json_decode(&prior, a, t, prior_json, strlen(prior_json)) < 0)
			abort();
		if (foundry_gc_from_arm(&st, a, t, body, prior, NULL) == 0)
			check_state(a, t, st);
		cty_value *stub = cty_object(a, t);
		cty_object_set(stub, "parent_id", cty_get_attr(prior, "parent_id"));
		cty_object_set(stub, "name", cty_get_attr(prior, "name"));
		if (foundry_gc_from_arm(&st, a, t, body, stub, NULL) == 0)
			check_state(a, t, st);
		if (foundry_gc_from_arm(&st, a, t, body, NULL, NULL) == 0)
			check_state(a, t, st);
	}
	cJSON_Delete(body);
	char *code = NULL, *msg = NULL;
	arm__parse_error(clean, clean_len, &code, &msg);
	free(code);
	free(msg);
	char *parent, *name;
	foundry_arm_id_split(&parent, &name, a, &foundry_gc_id_spec, clean);
	foundry_arm_parent_parse(NULL, &foundry_gc_id_spec, clean);
	free(clean);
	fy_arena_free(a);
	return 0;
}
