/*
 * tf internals: the compiled form of a provider's tables and the per-call context.
 *
 * tf_server_new walks every table once (tf_schema_compile) and keeps the result
 * read-only for the life of the process, so handlers on several threads share it
 * without locks. Everything per call lives in the call's arena.
 */
#ifndef FOUNDRY_INTERNAL_TF_TF_INTERNAL_H
#define FOUNDRY_INTERNAL_TF_TF_INTERNAL_H

#include <regex.h>
#include <stdatomic.h>

#include "tf.h"

#define TF_LOG_MODULE "foundry.tf"

typedef struct tf_cobj tf_cobj;

typedef struct tf_cvalidator {
	const tf_validator *def;
	regex_t *re; /* precompiled (server schemas); NULL = compile on use (detached contexts) */
} tf_cvalidator;

typedef struct tf_cattr {
	const tf_attribute *def;
	const char *name;
	unsigned flags;
	tf_nesting nesting; /* TF_NEST_NONE for a plain attribute */
	const cty_type *type; /* the attribute's whole type (for nested: object / list / set / map of object) */
	const tf_cobj *nested; /* nested attribute object, or NULL */
	const cty_value *dflt; /* decoded default_json, or NULL */
	size_t nvalidators;
	tf_cvalidator *validators;
} tf_cattr;

typedef struct tf_cblocktype {
	const tf_block_type *def;
	const char *name;
	tf_nesting nesting;
	const tf_cobj *obj; /* the nested block */
	const cty_type *type; /* object (SINGLE) or list / set / map of object */
} tf_cblocktype;

/* One object shape: a block (attributes + nested block types) or a nested attribute object (attributes only). */
struct tf_cobj {
	size_t nattrs;
	tf_cattr *attrs;
	size_t nblocks;
	tf_cblocktype *blocks;
	const cty_type *type; /* object type of one instance */
	const tf_block *block; /* NULL for nested attribute objects */
};

typedef struct tf_schema {
	const tf_block *def;
	const tf_cobj *root;
	regex_t **regexes; /* precompiled ones, released by tf_schema_release */
	size_t nregexes;
} tf_schema;

struct tf_server;

struct tf_ctx {
	fy_arena *arena;
	tf_diags *diags;
	void *provider_data;
	const char *terraform_version;
	struct tf_server *srv; /* NULL for detached contexts */
	uint64_t stop_gen; /* the server's stop generation when the call started */
	const tf_schema *schema; /* the schema this call works on (may be NULL before type lookup) */
	/* Detached contexts compile other schemas on demand (tf_resource_plan with a different resource). */
	const tf_schema *extra;
	const void *impl; /* the running resource's or data source's impl */
};

/* Shared between ProposedNew, planning and apply (tf_objchange.c, tf_plan.c). */
cty_value *tf_empty_collection(fy_arena *a, tf_nesting n, const tf_cobj *o);
cty_value *tf_computed_as_null(fy_arena *a, const tf_cobj *o, const cty_value *v);
/* ProposedNew for a compiled schema. */
int tf_proposed_new_from(
	cty_value **out, fy_arena *a, const tf_schema *s, const cty_value *prior, const cty_value *config);
/* The new state with what the plan fixed kept, and any other change to it logged as the provider bug it is. */
cty_value *tf_consistent_with_plan(tf_ctx *ctx, const tf_cobj *root, const char *type_name, int prior_exists,
	cty_value *new_state, const cty_value *planned);

/* Provider functions (tf_functions.c): the declared table as FunctionsEntry messages (GetProviderSchema's when
 * for_schema, else GetFunctions'), and one call (a FunctionError *, or NULL with *out_result a DynamicValue *). */
size_t tf_functions_count(const tf_function *const *fns);
void *tf_functions_to_proto(fy_arena *a, const tf_function *const *fns, int for_schema);
void *tf_call_function(void **out_result, fy_arena *a, const tf_function *const *fns, const char *name,
	void *const *arguments, size_t nargs);

/* Resource identity (tf_identity.c): GetResourceIdentitySchemas' entries; the ResourceIdentityData * for a
 * state (NULL when the resource declares none or the state lacks a value); an import id from an identity. */
void *tf_identity_schemas_to_proto(fy_arena *a, const tf_resource *const *res, size_t nres, size_t *n_out);
void *tf_identity_data(fy_arena *a, const tf_resource *r, const cty_value *state);
int tf_identity_import_id(char **out, fy_arena *a, const tf_resource *r, const void *identity_data);

/* Judge a block's declared rules against a configuration (tf_rules.c). */
void tf_rules_judge(tf_ctx *ctx, const tf_rule *rules, const cty_value *config);

/* Every user-set sensitive or write-only string under obj, registered with the log redactor (tf_server.c). */
void tf_register_secrets(const tf_cobj *o, const cty_value *obj);

/* ---------------------------------------------------------------- schema (tf_schema.c) */

/* Compile and check a table. `what` names it in errors ("resource \"x\""). precompile = keep regexes compiled
 * (release with tf_schema_release); otherwise they are only checked. FY_EINVALID with a message on a bad table. */
int tf_schema_compile(tf_schema **out, fy_arena *a, const tf_block *def, int precompile, const char *what);
void tf_schema_release(tf_schema *s);
/* A schema for `def` usable in ctx: ctx->schema when it matches, else compiled into the ctx arena. NULL + error
 * diagnostic when the table is bad. */
const tf_schema *tf_ctx_schema_for(tf_ctx *ctx, const tf_block *def);

/* protobuf-c message trees (Tfplugin6__Schema *), allocated from `a`. */
void *tf_schema_to_proto(fy_arena *a, const tf_schema *s);

/* ---------------------------------------------------------------- values (tf_plan.c) */

/* v is absent, or known and null. */
int tf_is_null(const cty_value *v);
/* Attribute of a known non-null object, else NULL. */
cty_value *tf_attr(const cty_value *obj, const char *name);
/* The value of a block with nothing in it: attributes null, LIST/SET/MAP blocks empty, SINGLE blocks null. */
cty_value *tf_empty_value(fy_arena *a, const tf_cobj *o);
/* Null every write-only attribute (returns the possibly-replaced value; v must be owned by the caller). */
cty_value *tf_null_write_only(fy_arena *a, const tf_cobj *o, cty_value *v);
/* Null LIST/SET/MAP blocks become empty collections (Terraform rejects null block lists). */
cty_value *tf_normalize_blocks(fy_arena *a, const tf_cobj *o, cty_value *v);
/* Replace every unknown below v with null; each one gets an error diagnostic (summary/what) unless diags NULL. */
cty_value *tf_null_unknowns(
	fy_arena *a, cty_value *v, const cty_path *path, tf_diags *d, const char *summary, const char *what);

/* ---------------------------------------------------------------- validation (tf_validate.c) */

void tf_validate_config(tf_ctx *ctx, const tf_schema *s, const cty_value *config);

/* ---------------------------------------------------------------- diagnostics (tf_diag.c) */

void tf_diag_addv(tf_diags *d, tf_severity sev, const cty_path *path, const char *summary, const char *fmt, va_list ap);
/* A path as Tfplugin6__AttributePath * (arena); NULL for the root. */
void *tf_path_to_proto(fy_arena *a, const cty_path *p);
/* The diagnostic list as Tfplugin6__Diagnostic ** (arena). `root` (may be NULL) is the schema the paths refer to:
 * paths into nested attributes are cut to what the CLIs can point at (see tf_diag.c). */
void *tf_diags_to_proto(fy_arena *a, const tf_diags *d, const tf_cobj *root, size_t *n_out);

#endif
