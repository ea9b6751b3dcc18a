/*
 * tf: what a provider declares, and the protocol semantics shared by every resource.
 *
 * A provider is a tf_provider: a schema table and a small set of operations per
 * resource, in the spirit of terraform-plugin-framework. Everything the schema
 * can express is done once here, from the table, for every resource:
 *   - schema -> tfplugin6.Schema (types, nesting, descriptions, sensitive, write-only, deprecation);
 *   - attribute validators (one_of with "did you mean", regex, https URL, ...) with attribute paths;
 *   - plan rules (docs/internals/protocol.md 4.2-4.4): defaults, computed-unknown on create, write-only nulling,
 *     RequiresReplace paths, keeping unknown config values unknown;
 *   - apply/read/import/upgrade rules (4.5-4.8, 3.7): state nulling for write-only, consistency,
 *     echoing private data.
 * provider/ code sees cty values, schemas and diagnostics; never protobuf or gRPC.
 */
#ifndef FOUNDRY_INTERNAL_TF_TF_H
#define FOUNDRY_INTERNAL_TF_TF_H

#include <stddef.h>
#include <stdint.h>

#include "../common/fy_arena.h"
#include "../common/fy_error.h"
#include "../cty/cty.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ diagnostics */

typedef enum tf_severity { TF_ERROR = 1, TF_WARNING = 2 } tf_severity;

typedef struct tf_diags tf_diags;

/* `path` may be NULL (whole resource). Detail is printf-formatted; summary is one line. */
void tf_diag_add(tf_diags *d, tf_severity sev, const cty_path *path, const char *summary, const char *detail_fmt, ...)
	__attribute__((format(printf, 5, 6)));
int tf_diags_has_errors(const tf_diags *d);
size_t tf_diags_count(const tf_diags *d);
/* Accessors (for the server and tests). */
tf_severity tf_diags_severity(const tf_diags *d, size_t i);
const char *tf_diags_summary(const tf_diags *d, size_t i);
/* The arena the list allocates in: a validator builds the paths of its diagnostics there. */
fy_arena *tf_diags_arena(tf_diags *d);
const char *tf_diags_detail(const tf_diags *d, size_t i);
const cty_path *tf_diags_path(const tf_diags *d, size_t i);

int tf_diags_new(tf_diags **out, fy_arena *a); /* lives in the arena */

/* ------------------------------------------------------------- the table */

typedef enum tf_nesting {
	TF_NEST_NONE = 0, /* plain attribute with `type` */
	TF_NEST_SINGLE,
	TF_NEST_LIST,
	TF_NEST_SET,
	TF_NEST_MAP
} tf_nesting;

enum tf_attr_flags {
	TF_REQUIRED = 1u << 0,
	TF_OPTIONAL = 1u << 1,
	TF_COMPUTED = 1u << 2,
	TF_SENSITIVE = 1u << 3,
	TF_WRITE_ONLY = 1u << 4, /* Terraform >= 1.11; never in plan or state */
	TF_REPLACE = 1u << 5, /* a change to this attribute replaces the resource */
	TF_STATE_FOR_UNKNOWN = 1u << 6 /* computed: keep the prior value on update instead of marking it unknown */
};

typedef enum tf_validator_kind {
	TF_V_END = 0, /* terminator */
	TF_V_ONE_OF, /* exact match against `one_of`; a case-insensitive match says "did you mean" */
	TF_V_REGEX, /* POSIX extended regex in `pattern`, whole value must match */
	TF_V_HTTPS_URL, /* absolute https:// URL with a host */
	TF_V_NOT_EMPTY, /* strings non-empty; collections non-empty */
	TF_V_CONTAINS, /* string contains `pattern` literally */
	TF_V_FUNC /* custom check */
} tf_validator_kind;

struct tf_validator;
typedef void (*tf_validate_fn)(const struct tf_validator *self, const cty_value *v, const cty_path *path, tf_diags *d);

typedef struct tf_validator {
	tf_validator_kind kind;
	const char *const *one_of; /* NULL-terminated */
	const char *pattern;
	const char *message; /* detail when the rule fails; a sensible default otherwise */
	tf_validate_fn func;
	const void *data; /* what a TF_V_FUNC needs beyond the value (e.g. an ARM id declaration) */
} tf_validator;

struct tf_object;
struct tf_block;

typedef struct tf_attribute {
	const char *name; /* NULL terminates a table */
	const char *type; /* cty type JSON, e.g. "\"string\"", "[\"list\",\"string\"]"; NULL with `nested` */
	const struct tf_object *nested; /* nested attribute object type (HCL `x = { ... }`) */
	tf_nesting nesting; /* with `nested` */
	unsigned flags; /* enum tf_attr_flags */
	const char *description; /* Markdown */
	const char *default_json; /* JSON value planned when config is null (attribute is OPTIONAL|COMPUTED) */
	const tf_validator *validators; /* TF_V_END-terminated array, or NULL */
	const char *deprecation; /* non-NULL: deprecated, with this message */
} tf_attribute;

typedef struct tf_object {
	const tf_attribute *attributes; /* NULL-name terminated */
} tf_object;

typedef struct tf_block_type {
	const char *name; /* NULL terminates a table */
	tf_nesting nesting; /* SINGLE, LIST, SET, MAP */
	const struct tf_block *block;
	int64_t min_items, max_items;
} tf_block_type;

/*
 * Cross-attribute rules, declared beside the attributes (tf_rules.c). Attributes are named by path ("api_key",
 * "oauth2.client_secret": through single nested objects). "Set" means known and not null. One treatment of
 * unknown values for every rule: a rule that reads a value not known yet is not judged now (the CLI validates
 * again once it is known). Texts may say {value} (the first attribute's value) and {when} (the condition's).
 */
typedef enum tf_rule_kind {
	TF_RULE_END = 0,
	TF_RULE_CONFLICTS, /* at most one of attrs is set */
	TF_RULE_EXACTLY_ONE, /* exactly one of attrs is set (none: summary/detail; several: "Conflicting arguments") */
	TF_RULE_REQUIRED_WITH, /* attrs[0] set: attrs[1..] must be set too */
	TF_RULE_REQUIRED_WHEN, /* when `when` holds, at least one of attrs must be set */
	TF_RULE_ONLY_WHEN, /* each of attrs may be set only while `when` holds */
	TF_RULE_ONE_OF_WHEN /* when `when` holds, attrs[0] must be one of `values` */
} tf_rule_kind;

typedef struct tf_condition {
	const char *attr; /* NULL: always */
	const char *const *values; /* the attribute equals one of these; NULL: the attribute is set */
} tf_condition;

typedef struct tf_rule {
	tf_rule_kind kind;
	const char *const *attrs; /* NULL-terminated paths */
	tf_condition when;
	const char *const *values; /* ONE_OF_WHEN */
	const char *summary;
	const char *detail;
} tf_rule;

typedef struct tf_block {
	int64_t version; /* schema version, for resources */
	const char *description; /* Markdown */
	const tf_attribute *attributes; /* NULL-name terminated */
	const tf_block_type *blocks; /* NULL-name terminated, or NULL */
	const char *deprecation;
	const tf_rule *rules; /* TF_RULE_END-terminated, or NULL */
} tf_block;

/* ------------------------------------------------------- per-call context */

typedef struct tf_ctx tf_ctx;

fy_arena *tf_ctx_arena(tf_ctx *ctx);
tf_diags *tf_ctx_diags(tf_ctx *ctx);
void *tf_ctx_provider_data(tf_ctx *ctx); /* what configure() produced; NULL before ConfigureProvider */
const char *tf_ctx_terraform_version(tf_ctx *ctx); /* "" when unknown */
int tf_ctx_stopped(tf_ctx *ctx); /* StopProvider was called since this RPC started */
/* The `impl` of the resource or data source whose operation runs (NULL outside one). tf_ctx_set_impl is for
 * callers that run an operation in process without the tf_resource_* entries (tests). */
const void *tf_ctx_impl(tf_ctx *ctx);
void tf_ctx_set_impl(tf_ctx *ctx, const void *impl);
/* Register every string the user gave a sensitive or write-only attribute of `v` (of the call's schema) with the
 * log redactor, before anything built from it can reach a log line or a diagnostic. Registering twice is harmless. */
void tf_ctx_register_secrets(tf_ctx *ctx, const cty_value *v);
/* The implied cty type of a resource/data source/provider schema (for building state values). */
const cty_type *tf_ctx_schema_type(tf_ctx *ctx);

/* Shorthands for tf_diag_add(tf_ctx_diags(ctx), ...). */
void tf_error(tf_ctx *ctx, const cty_path *path, const char *summary, const char *detail_fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tf_warning(tf_ctx *ctx, const cty_path *path, const char *summary, const char *detail_fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Path helper: cty_path_attr(tf_ctx_arena(ctx), NULL, name). */
cty_path *tf_path(tf_ctx *ctx, const char *attr);

/* ------------------------------------------------------------ operations */

/* Resource identity (protocol 6.9, Terraform 1.12 `import { identity = {...} }` and `terraform query`): string
 * attributes copied from the state attributes of the same name, and how an identity becomes an import id. */
typedef struct tf_identity_attr {
	const char *name; /* NULL terminates a list */
	int required_for_import;
	const char *description;
} tf_identity_attr;

typedef struct tf_identity {
	int64_t version;
	const tf_identity_attr *attrs;
	/* The import id from the identity's values, in the order of attrs; NULL with fy_error set when they do not
	 * make one. */
	char *(*import_id)(fy_arena *a, const char *const *values);
} tf_identity;

/* Where a moved object comes from. */
typedef struct tf_move_source {
	const char *provider_address; /* "registry.terraform.io/azure/azapi" */
	const char *type_name; /* "azapi_resource" */
	int64_t schema_version;
	const char *state_json; /* the source's state as the CLI stored it */
	size_t state_len;
} tf_move_source;

/*
 * Operations return 0 or a negative FY_E* code; what went wrong for the user
 * is in the context's diagnostics. A failing create/update may still set
 * *out_state to what exists, and the plumbing returns it so nothing is lost.
 */
typedef struct tf_resource {
	const char *type_name; /* "foundry_gateway_connection" */
	const tf_block *schema;

	/* Cross-attribute checks; config may hold unknowns (judge only what is known). Table validators already ran. */
	void (*validate)(tf_ctx *ctx, const cty_value *config);
	/* After the plumbing built the plan (defaults, unknown marking): fill computed values known at plan time.
	 * prior is NULL on create. `planned` may be changed in place: computed attributes, or a configured top-level
	 * attribute set back to its prior value when the two are functionally equal (an ARM id in other casing);
	 * any other change to a configured value is undone by the plumbing (docs/internals/protocol.md 4.3). */
	void (*modify_plan)(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned);
	int (*create)(cty_value **out_state, tf_ctx *ctx, const cty_value *planned, const cty_value *config);
	/* *out_state = NULL or a null value: the object is gone. */
	int (*read)(cty_value **out_state, tf_ctx *ctx, const cty_value *state);
	int (*update)(cty_value **out_state, tf_ctx *ctx, const cty_value *planned, const cty_value *prior,
		const cty_value *config);
	int (*delete)(tf_ctx *ctx, const cty_value *prior);
	/* A partial state is fine (Terraform calls read next); secrets stay null. */
	int (*import)(cty_value **out_state, tf_ctx *ctx, const char *id);
	/* moved {} from another resource type or provider (MoveResourceState): state of this type from the source's
	 * raw JSON state; NULL when no move into this type is supported. No remote call may happen here. */
	int (*move)(cty_value **out_state, tf_ctx *ctx, const tf_move_source *src);
	const tf_identity *identity; /* or NULL */
	/* What shared operations need to know of this resource (tf_ctx_impl() during its calls), or NULL. */
	const void *impl;
} tf_resource;

/* A data source's schema as a view of a resource's (tf_view.c): `required` attributes (the lookup arguments) keep
 * their validators; the rest become computed; user-set secrets and write-only values, and `omit`, are left out. */
typedef struct tf_view_description {
	const char *name; /* NULL terminates */
	const char *description; /* replaces the resource's text for this attribute */
} tf_view_description;
typedef struct tf_view {
	const char *description;
	const char *const *required; /* NULL-terminated */
	const char *const *omit; /* NULL-terminated, or NULL */
	const tf_view_description *descriptions; /* or NULL */
} tf_view;
/* Built once and kept for the life of the process. */
const tf_block *tf_block_view(const tf_block *resource, const tf_view *v);

typedef struct tf_data_source {
	const char *type_name;
	const tf_block *schema; /* or NULL with view_of */
	/* Instead of `schema`: a view of a resource's schema (tf_block_view), made once when first needed. */
	const tf_block *view_of;
	const tf_view *view;
	void (*validate)(tf_ctx *ctx, const cty_value *config);
	int (*read)(cty_value **out_state, tf_ctx *ctx, const cty_value *config);
	const void *impl; /* as tf_resource.impl */
} tf_data_source;
/* A data source's schema: `schema`, or the view it declares (built once, kept for the life of the process). */
const tf_block *tf_data_source_schema(const tf_data_source *d);

/*
 * An ephemeral resource (Terraform 1.10, OpenTofu 1.11): opened during plan and apply, its result never stored in
 * state or plan files. Open returns the result object (the config with computed attributes filled in); nothing is
 * held open, so Renew and Close have nothing to do (no renew_at, no private data).
 */
typedef struct tf_ephemeral_resource {
	const char *type_name;
	const tf_block *schema;
	void (*validate)(tf_ctx *ctx, const cty_value *config);
	int (*open)(cty_value **out_result, tf_ctx *ctx, const cty_value *config);
	const void *impl;
} tf_ephemeral_resource;

/*
 * A list resource (Terraform 1.14 `list` blocks and `terraform query`): finds existing objects of the managed
 * resource of the same type name, which must declare an identity. `list` calls emit once per object found, with a
 * state of that resource (its identity is derived from it, and it is the resource object when Terraform asks for one)
 * and a name a person can read; emit returns < 0 when Terraform has what it asked for (its limit): stop then.
 */
typedef int (*tf_list_emit_fn)(void *emit_data, const cty_value *state, const char *display_name);
typedef struct tf_list_resource {
	const char *type_name; /* the managed resource's type name */
	const tf_block *schema; /* the list block's configuration */
	void (*validate)(tf_ctx *ctx, const cty_value *config);
	int (*list)(tf_ctx *ctx, const cty_value *config, tf_list_emit_fn emit, void *emit_data);
	const void *impl;
} tf_list_resource;

/* A provider function (Terraform 1.8, OpenTofu 1.7): provider::<name>::<function>(...), declared as a table. */
typedef struct tf_function_param {
	const char *name; /* NULL terminates a list */
	const char *type; /* cty type JSON; "\"dynamic\"" takes any value (the function checks its shape) */
	int allow_null;
	const char *description;
} tf_function_param;

typedef struct tf_function {
	const char *name;
	const char *summary;
	const char *description; /* Markdown */
	const tf_function_param *params;
	const char *return_type; /* cty type JSON */
	/* *out of return_type. A bad argument: FY_EINVALID with fy_error set and *bad_arg its index (-1: none). */
	int (*call)(cty_value **out, int64_t *bad_arg, fy_arena *a, cty_value *const *args, size_t nargs);
} tf_function;

typedef struct tf_provider {
	const char *name; /* local name, "foundry" */
	const char *version; /* provider version, "0.1.0" */
	const tf_block *schema;
	void (*validate)(tf_ctx *ctx, const cty_value *config);
	/* config may contain unknowns during plan (docs/internals/protocol.md 4.1). */
	int (*configure)(void **out_data, tf_ctx *ctx, const cty_value *config);
	void (*data_free)(void *data);
	/* StopProvider: cancel in-flight work promptly; the process keeps serving. Called only after a successful
	 * configure() (with what it produced, possibly NULL): nothing of the provider's is in flight before. */
	void (*stop)(void *data);
	const tf_resource *const *resources; /* NULL-terminated */
	const tf_data_source *const *data_sources; /* NULL-terminated */
	const tf_ephemeral_resource *const *ephemeral_resources; /* NULL-terminated, or NULL */
	const tf_list_resource *const *list_resources; /* NULL-terminated, or NULL */
	const tf_function *const *functions; /* NULL-terminated, or NULL */
} tf_provider;

/* ------------------------------------ in-process driving (unit tests, benches) */

/* A context outside any RPC, so provider code can be unit-tested without gRPC. The schema is compiled into
 * the arena; provider_data is what configure() would have produced (may be NULL). */
int tf_ctx_new_detached(tf_ctx **out, fy_arena *a, const tf_block *schema, void *provider_data);
/* The implied cty type of a block (what state/config values of that resource look like). */
int tf_block_implied_type(const cty_type **out, fy_arena *a, const tf_block *schema);
/* Terraform's ProposedNew(schema, prior, config) (docs/internals/protocol.md 4.2); prior NULL/null = create. */
int tf_proposed_new(cty_value **out, tf_ctx *ctx, const cty_value *prior, const cty_value *config);
/* Exactly what ValidateResourceConfig runs: table validators, then r->validate. Results in ctx diagnostics. */
void tf_resource_validate(tf_ctx *ctx, const tf_resource *r, const cty_value *config);
/* Exactly what PlanResourceChange runs: proposed = tf_proposed_new(prior, config) unless given; prior NULL =
 * create; config NULL = destroy (planned null). requires_replace paths go to *out_replace (arena array). */
int tf_resource_plan(cty_value **out_planned, cty_path ***out_replace, size_t *out_nreplace, tf_ctx *ctx,
	const tf_resource *r, const cty_value *config, const cty_value *prior, const cty_value *proposed);
/* Exactly what ApplyResourceChange runs (docs/internals/protocol.md 4.5): prior NULL/null = create, planned NULL/null =
 * delete. Known
 * planned values are kept, write-only attributes nulled, unknowns left by the resource nulled with an error
 * diagnostic. On failure *out_new_state is what exists (the resource's partial state, else prior, else null) and
 * the diagnostics say why. Returns 0 or the operation's error code. */
int tf_resource_apply(cty_value **out_new_state, tf_ctx *ctx, const tf_resource *r, const cty_value *prior,
	const cty_value *planned, const cty_value *config);
/* Exactly what ReadResource runs (docs/internals/protocol.md 4.6): *out_new_state is null when the object is gone. */
int tf_resource_read(cty_value **out_new_state, tf_ctx *ctx, const tf_resource *r, const cty_value *state);
/* Exactly what ImportResourceState runs (docs/internals/protocol.md 4.8); *out_state NULL on failure. */
int tf_resource_import(cty_value **out_state, tf_ctx *ctx, const tf_resource *r, const char *id);
/* Exactly what UpgradeResourceState runs for raw_state.json (docs/internals/protocol.md 3.7): attributes the schema no
 * longer has are
 * dropped, missing ones are null. A version newer than the schema's is an error diagnostic. */
int tf_resource_upgrade_state(
	cty_value **out_state, tf_ctx *ctx, const tf_resource *r, int64_t version, const char *json, size_t len);
/* MoveResourceState into `r`: the resource's move, with the result checked against its schema. */
int tf_resource_move(cty_value **out_state, tf_ctx *ctx, const tf_resource *r, const tf_move_source *src);
/* Exactly what ReadDataSource runs (docs/internals/protocol.md 4.7): a non-null, wholly known result or an error
 * diagnostic. */
int tf_data_source_read(cty_value **out_state, tf_ctx *ctx, const tf_data_source *ds, const cty_value *config);
/* Exactly what OpenEphemeralResource runs: a non-null, wholly known result or an error diagnostic. */
int tf_ephemeral_open(cty_value **out_result, tf_ctx *ctx, const tf_ephemeral_resource *e, const cty_value *config);

/* --------------------------------------------------------- plumbing entry */

typedef struct tf_server tf_server;
struct rpc_registry;

/* Compile the provider's tables (types, validators); FY_EINVALID with a message on a bad table. */
int tf_server_new(tf_server **out, const tf_provider *provider);
void tf_server_free(tf_server *srv);
/* Register every unary "/tfplugin6.Provider/<Name>" method with the RPC layer. */
int tf_server_register(tf_server *srv, struct rpc_registry *reg);

#ifdef __cplusplus
}
#endif
#endif
