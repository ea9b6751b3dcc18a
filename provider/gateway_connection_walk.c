/*
 * Every gateway connection under a project or an account (and, on request, under each of the account's projects),
 * as ARM lists them, page by page: what the audit (gateway_audit.c) and the list resource (gateway_connection_list.c)
 * both walk. Connections of other categories are passed over; `category` narrows to one.
 */
#include <string.h>

#include "provider/arm_resource.h"
#include "provider/client.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

static const char *const gateway_categories[] = {"ApiManagement", "ModelGateway", NULL};
const tf_validator foundry_gc_walk_parent[] = {
	{.kind = TF_V_FUNC, .func = foundry_arm_validate_parent, .data = &foundry_gc_id_spec}, {0}};
const tf_validator foundry_gc_walk_category[] = {{.kind = TF_V_ONE_OF, .one_of = gateway_categories}, {0}};

typedef struct walk {
	const char *category;
	foundry_gc_visit_fn fn;
	void *ud;
	const char **projects;
	size_t nprojects, capprojects;
	fy_arena *a;
} walk;

static int visit(void *data, tf_ctx *ctx, const cJSON *item)
{
	walk *w = data;
	const cJSON *cat =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "properties"), "category");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
	if (!cJSON_IsString(cat) || !cJSON_IsString(id))
		return 0;
	int gateway = 0;
	for (const char *const *c = gateway_categories; *c; c++)
		gateway |= strcmp(*c, cat->valuestring) == 0;
	if (!gateway || (w->category && strcmp(w->category, cat->valuestring) != 0))
		return 0;
	return w->fn(w->ud, ctx, item);
}

static int add_project(void *data, tf_ctx *ctx, const cJSON *item)
{
	(void)ctx;
	walk *w = data;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
	if (!cJSON_IsString(id))
		return 0;
	w->projects = fy_arena_grow(w->a, w->projects, &w->capprojects, w->nprojects, sizeof(*w->projects));
	w->projects[w->nprojects++] = fy_arena_strdup(w->a, id->valuestring);
	return 0;
}

int foundry_gc_walk(
	tf_ctx *ctx, const char *parent, int include_projects, const char *category, foundry_gc_visit_fn fn, void *ud)
{
	fy_arena *a = tf_ctx_arena(ctx);
	size_t shape = 0;
	if (foundry_arm_parent_parse(&shape, &foundry_gc_id_spec, parent) < 0) {
		tf_error(ctx, tf_path(ctx, "parent_id"), "Invalid parent_id", "%s", fy_error_last()->message);
		return FY_EINVALID;
	}
	walk w = {.category = category, .fn = fn, .ud = ud, .a = a};
	const char *version = foundry_client_api_version(tf_ctx_provider_data(ctx));
	int rc = foundry_arm_list(
		ctx, fy_arena_sprintf(a, "%s/connections", parent), version, "list connections", visit, &w);
	int account = foundry_gc_id_spec.parents[shape] == &foundry_arm_shape_account;
	if (rc == 0 && account && include_projects) {
		rc = foundry_arm_list(
			ctx, fy_arena_sprintf(a, "%s/projects", parent), version, "list projects", add_project, &w);
		for (size_t i = 0; rc == 0 && i < w.nprojects; i++)
			rc = foundry_arm_list(ctx, fy_arena_sprintf(a, "%s/connections", w.projects[i]), version,
				"list connections", visit, &w);
	}
	return rc;
}

int foundry_gc_read_listed(cty_value **out_state, fy_arena *a, const cty_type *type, const cJSON *item, tf_diags *diags)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
	char *parent, *name;
	if (!cJSON_IsString(id) || foundry_arm_id_split(&parent, &name, a, &foundry_gc_id_spec, id->valuestring) < 0)
		return fy_error_set(FY_EINVALID, "the listed connection has no usable id");
	cty_value *stub = foundry_arm_stub(a, type, &foundry_gc_id_spec, parent, name);
	return foundry_gc_from_arm(out_state, a, type, item, stub, diags);
}
