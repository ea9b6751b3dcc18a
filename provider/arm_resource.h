/*
 * The shared plumbing of every ARM-backed resource and data source: create (never taking over an object that
 * exists), read (404 is gone), update, delete, import and the data source read, driven by a declaration. A
 * resource file holds its schema, its validation and plan rules, its body mapping (to_arm / from_arm) and one
 * foundry_arm_resource; its tf_resource points at the operations below and at that declaration (`.impl`).
 *
 * Conventions every such resource follows: the attributes `parent_id`, `name` and `id`
 * ({parent_id}/{collection}/{name}, known at plan time), and a `timeouts` block (foundry_arm_timeouts).
 */
#ifndef FOUNDRY_PROVIDER_ARM_RESOURCE_H
#define FOUNDRY_PROVIDER_ARM_RESOURCE_H

#include <cjson/cJSON.h>

#include "internal/arm/arm.h"
#include "internal/tf/tf.h"
#include "provider/arm_id.h"

typedef struct foundry_arm_resource {
	const tf_resource *resource; /* the resource this implements: its type name and schema, declared once there */
	const foundry_arm_idspec *id; /* the id's shape; its noun names the object in every message */
	const char *api_version; /* NULL: the provider's api_version */
	/* The full PUT body for `planned`; write-only values come from `config` (may be NULL). */
	int (*to_arm)(cJSON **out_body, const cty_value *planned, const cty_value *config);
	/* State from a GET or PUT body. `prior` is the state, or for import and data sources a stub holding only
	 * parent_id, name and id. FY_EINVALID with a message when the body is not such an object. parent_id, name
	 * and id come from foundry_arm_set_identity. */
	int (*from_arm)(cty_value **out_state, fy_arena *a, const cty_type *type, const cJSON *body,
		const cty_value *prior, tf_diags *diags);
	/* Optional: the resource's own plan work, after the plumbing has planned id, parent_id and name. */
	void (*modify_plan)(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned);
	/* Data source only (may be NULL): after the resource state is projected onto the data source's type. */
	void (*data_finish)(tf_ctx *ctx, cty_value *state, const cJSON *body);
} foundry_arm_resource;

/* tf_resource / tf_data_source operations; they find their foundry_arm_resource in tf_ctx_impl(). */
int foundry_arm_create(cty_value **out_state, tf_ctx *ctx, const cty_value *planned, const cty_value *config);
int foundry_arm_read(cty_value **out_state, tf_ctx *ctx, const cty_value *state);
int foundry_arm_update(
	cty_value **out_state, tf_ctx *ctx, const cty_value *planned, const cty_value *prior, const cty_value *config);
int foundry_arm_delete(tf_ctx *ctx, const cty_value *prior);
int foundry_arm_import(cty_value **out_state, tf_ctx *ctx, const char *id);
int foundry_arm_data_read(cty_value **out_state, tf_ctx *ctx, const cty_value *config);

/* Read one object by its ARM id into the resource's state type (for data sources that take an id, such as the
 * gateway check). Not found, a bad id or an unreadable answer are error diagnostics at `path`. */
int foundry_arm_lookup(
	cty_value **out_state, tf_ctx *ctx, const foundry_arm_resource *res, const char *id, const cty_path *path);
/* The same, but an object that does not exist is FY_ENOTFOUND with no diagnostic (the caller decides). */
int foundry_arm_find(
	cty_value **out_state, tf_ctx *ctx, const foundry_arm_resource *res, const char *id, const cty_path *path);

/* Every element of an ARM list (GET `collection`, then each `nextLink`, with the usual retries and throttling):
 * fn(ud, ctx, item) per element of `value`. 0, or < 0 after an error diagnostic naming `what` (ARM's error, an answer
 * that is not a list, or a nextLink that loops). A negative fn result stops the walk and is returned. */
typedef int (*foundry_arm_item_fn)(void *ud, tf_ctx *ctx, const cJSON *item);
int foundry_arm_list(tf_ctx *ctx, const char *collection, const char *api_version, const char *what,
	foundry_arm_item_fn fn, void *ud);

/* The plan of every ARM resource: `id` from parent_id and name, and a parent_id or name that differs from the
 * prior one only in case kept as it was (ARM ids are case-insensitive: no replacement for a change of spelling);
 * then the declaration's own modify_plan. */
void foundry_arm_modify_plan(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned);

/* parent_id, name and id of a state read from an ARM body: the user's spelling from `prior` (ARM may answer in other
 * casing, docs/internals/arm.md 5.3.8), else the body's own id. FY_EINVALID when neither gives them. */
int foundry_arm_set_identity(
	cty_value *st, fy_arena *a, const foundry_arm_idspec *spec, const cty_value *prior, const cJSON *body);

/* A state of `type` holding only parent_id, name and id: what an import returns, and what a read of a resource this
 * provider did not write (listed, moved, looked up) normalises against. */
cty_value *foundry_arm_stub(
	fy_arena *a, const cty_type *type, const foundry_arm_idspec *spec, const char *parent, const char *name);

/* The operations of a tf_resource backed by ARM, in its initializer after type_name and schema:
 *   const tf_resource r = {.type_name = "...", .schema = &schema, FOUNDRY_ARM_OPERATIONS(&arm)};
 * (.validate, .move and .identity may follow). */
#define FOUNDRY_ARM_OPERATIONS(arm)                                                                     \
	.modify_plan = foundry_arm_modify_plan, .create = foundry_arm_create, .read = foundry_arm_read, \
	.update = foundry_arm_update, .delete = foundry_arm_delete, .import = foundry_arm_import, .impl = (arm)

/* TF_V_FUNC validators whose .data is a foundry_arm_idspec: a parent id of one of its shapes; a valid name. */
void foundry_arm_validate_parent(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d);
void foundry_arm_validate_name(const tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d);

/* The `timeouts` block (create, read, update, delete: Go durations such as "30m" or "1h30m"), as azurerm and
 * azapi have it; each bounds that operation, retries included (default 10 minutes). A resource lists
 * FOUNDRY_ARM_TIMEOUTS in its block's `blocks`. */
extern const tf_block foundry_arm_timeouts_block;
#define FOUNDRY_ARM_TIMEOUTS                                                                        \
	{                                                                                           \
		.name = "timeouts", .nesting = TF_NEST_SINGLE, .block = &foundry_arm_timeouts_block \
	}
/* "1h30m" -> 5400000; FY_EINVALID for anything else (no sign, no days: what Go's time.ParseDuration takes,
 * less negatives). */
int foundry_duration_ms(long *out, const char *s);

/* Diagnostics for a failed ARM call: ARM's error envelope (`r`) or the transport error in fy_error_last(). */
void foundry_arm_error(tf_ctx *ctx, const char *what, const char *id, const arm_result *r);

#endif
