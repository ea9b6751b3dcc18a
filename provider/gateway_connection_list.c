/*
 * list "foundry_gateway_connection" (Terraform 1.14 `terraform query`): every gateway connection of a project or an
 * account (and, with include_projects, of each of its projects), each read as an import reads it. Terraform shows
 * each by its display name, imports it by its identity, and with -generate-config-out writes its configuration from
 * the resource object. Keys never come back from ARM: the generated configuration must be given api_key (or
 * api_key_wo) or the OAuth2 client before it applies (docs/guides/adopting-existing-connections.md).
 */
#include <cjson/cJSON.h>

#include "provider/arm_resource.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

static const tf_attribute list_attrs[] = {
	FOUNDRY_GC_WALK_ATTRIBUTES,
	{0},
};

static const tf_block list_schema = {
	.description = "Finds the gateway connections of a project or an account (and its projects), for `terraform "
		       "query`: each result is importable by its identity, and `-generate-config-out` writes its "
		       "configuration (add the key: ARM never returns it).",
	.attributes = list_attrs,
};

typedef struct lister {
	fy_arena *a;
	const cty_type *type;
	tf_list_emit_fn emit;
	void *emit_data;
} lister;

static int one(void *ud, tf_ctx *ctx, const cJSON *item)
{
	lister *l = ud;
	cty_value *st = NULL;
	if (foundry_gc_read_listed(&st, l->a, l->type, item, NULL) < 0) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
		tf_warning(ctx, NULL, "Connection skipped", "%s: %s", cJSON_IsString(id) ? id->valuestring : "(no id)",
			fy_error_last()->message);
		return 0;
	}
	const char *target = cty_get_string(st, "target");
	const char *name = fy_arena_sprintf(l->a, "%s (%s, %s)", cty_get_string(st, "name"),
		cty_get_string(st, "category"), target ? target : "no target");
	return l->emit(l->emit_data, st, name);
}

static int list(tf_ctx *ctx, const cty_value *config, tf_list_emit_fn emit, void *emit_data)
{
	lister l = {.a = tf_ctx_arena(ctx), .emit = emit, .emit_data = emit_data};
	if (tf_block_implied_type(&l.type, l.a, &foundry_gc_schema) < 0)
		return fy_error_set(FY_ERROR, "%s", fy_error_last()->message);
	return foundry_gc_walk(ctx, cty_get_string(config, "parent_id"), cty_get_bool(config, "include_projects", 0),
		cty_get_string(config, "category"), one, &l);
}

const tf_list_resource foundry_gc_list = {
	.type_name = "foundry_gateway_connection",
	.schema = &list_schema,
	.list = list,
};
