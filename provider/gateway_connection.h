/* foundry_gateway_connection: the resource and the data source. */
#ifndef FOUNDRY_PROVIDER_GATEWAY_CONNECTION_H
#define FOUNDRY_PROVIDER_GATEWAY_CONNECTION_H

#include "internal/tf/tf.h"

#include <cjson/cJSON.h>

extern const tf_block foundry_gc_schema; /* resource schema */
extern const tf_resource foundry_gc_resource;
struct foundry_arm_resource;
extern const struct foundry_arm_resource foundry_gc_arm; /* the resource's ARM declaration */

/* moved {} from azapi_resource (gateway_connection_move.c). */
int foundry_gc_move(cty_value **out_state, tf_ctx *ctx, const tf_move_source *src);

extern const tf_data_source foundry_gc_data_source; /* a view of the resource's schema */
/* Every gateway connection under `parent` (a project or an account; with include_projects also the account's
 * projects'), page by page; `category` NULL for both. fn(ud, ctx, item) gets ARM's object; < 0 stops the walk. Errors
 * are diagnostics (gateway_connection_walk.c). */
typedef int (*foundry_gc_visit_fn)(void *ud, tf_ctx *ctx, const cJSON *item);
/* The walk's arguments (parent_id, include_projects, category), as the audit data source and the list resource both
 * declare them: FOUNDRY_GC_WALK_ATTRIBUTES in an attribute table. */
extern const tf_validator foundry_gc_walk_parent[], foundry_gc_walk_category[];
#define FOUNDRY_GC_WALK_ATTRIBUTES                                                                        \
	{.name = "parent_id",                                                                             \
		.type = "\"string\"",                                                                     \
		.flags = TF_REQUIRED,                                                                     \
		.validators = foundry_gc_walk_parent,                                                     \
		.description = "ARM id of a Foundry project, or of an account."},                         \
		{.name = "include_projects",                                                              \
			.type = "\"bool\"",                                                               \
			.flags = TF_OPTIONAL,                                                             \
			.description = "For an account: also every project's connections (through ARM's " \
				       "list of the account's projects). Default false."},                \
	{                                                                                                 \
		.name = "category", .type = "\"string\"", .flags = TF_OPTIONAL,                           \
		.validators = foundry_gc_walk_category,                                                   \
		.description = "Only this category (`ApiManagement` or `ModelGateway`); default both."    \
	}
int foundry_gc_walk(
	tf_ctx *ctx, const char *parent, int include_projects, const char *category, foundry_gc_visit_fn fn, void *ud);
/* A listed connection read into the resource's state as an import reads it (its diagnostics into `diags`, may be
 * NULL). FY_EINVALID when it is no connection this provider can read. */
int foundry_gc_read_listed(
	cty_value **out_state, fy_arena *a, const cty_type *type, const cJSON *item, tf_diags *diags);

/* The data source's last step (metadata as ARM holds it). */
void foundry_gc_data_finish(tf_ctx *ctx, cty_value *state, const cJSON *body);

#endif
