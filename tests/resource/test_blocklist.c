/*
 * foundry_test_blocklist: a test-only second resource (Microsoft.CognitiveServices/accounts/raiBlocklists), to prove
 * that a resource is one file through the shared plumbing: a schema, an id declaration, the body mapping, and one
 * registration line at the end. Built only into build/testprovider/terraform-provider-foundry for tests/e2e.
 */
#include <ctype.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "provider/arm_resource.h"

/* Blocklist names: letters, digits, '_' and '-', 2-64 characters. */
static int blocklist_name_valid(const char *s, size_t n)
{
	if (n < 2 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

static const foundry_arm_name_rule name_rule = {blocklist_name_valid, "2-64 characters: letters, digits, '_', '-'"};
static const foundry_arm_shape *const parents[] = {&foundry_arm_shape_account, NULL};
static const foundry_arm_idspec id_spec = {"blocklist", parents, "raiBlocklists", &name_rule};

static const tf_validator v_parent[] = {
	{.kind = TF_V_FUNC, .func = foundry_arm_validate_parent, .data = &id_spec}, {0}};
static const tf_validator v_name[] = {{.kind = TF_V_FUNC, .func = foundry_arm_validate_name, .data = &id_spec}, {0}};

static const tf_attribute attrs[] = {
	{.name = "id", .type = "\"string\"", .flags = TF_COMPUTED, .description = "ARM id."},
	{.name = "parent_id",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_parent,
		.description = "ARM id of the Foundry account."},
	{.name = "name",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_name,
		.description = "Blocklist name."},
	{.name = "description", .type = "\"string\"", .flags = TF_OPTIONAL, .description = "What the list blocks."},
	{0},
};
static const tf_block_type blocks[] = {FOUNDRY_ARM_TIMEOUTS, {0}};
static const tf_block schema = {
	.description = "A content filter blocklist (test only).", .attributes = attrs, .blocks = blocks};

static int to_arm(cJSON **out, const cty_value *planned, const cty_value *config)
{
	(void)config;
	cJSON *body = cJSON_CreateObject();
	cJSON *props = cJSON_AddObjectToObject(body, "properties");
	const char *d = cty_get_string(planned, "description");
	if (d)
		cJSON_AddStringToObject(props, "description", d);
	*out = body;
	return 0;
}

static int from_arm(
	cty_value **out, fy_arena *a, const cty_type *t, const cJSON *body, const cty_value *prior, tf_diags *diags)
{
	(void)diags;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(body, "properties");
	if (!cJSON_IsObject(props))
		return fy_error_set(FY_EINVALID, "no \"properties\" object");
	const char *parent = prior ? cty_get_string(prior, "parent_id") : NULL;
	const char *name = prior ? cty_get_string(prior, "name") : NULL;
	if (!parent || !name) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
		char *p, *n;
		if (!cJSON_IsString(id) || foundry_arm_id_split(&p, &n, a, &id_spec, id->valuestring) < 0)
			return fy_error_set(FY_EINVALID, "no usable id");
		parent = p;
		name = n;
	}
	cty_value *st = cty_object(a, t);
	cty_object_set(st, "parent_id", cty_string(a, parent));
	cty_object_set(st, "name", cty_string(a, name));
	cty_object_set(st, "id", cty_string(a, foundry_arm_id_join(a, &id_spec, parent, name)));
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(props, "description");
	if (cJSON_IsString(d))
		cty_object_set(st, "description", cty_string(a, d->valuestring));
	*out = st;
	return 0;
}

static void modify_plan(tf_ctx *ctx, const cty_value *config, const cty_value *prior, cty_value *planned)
{
	(void)config;
	if (planned && cty_is_known(planned) && !cty_is_null(planned))
		foundry_arm_plan_identity(ctx, prior, planned);
}

static const foundry_arm_resource arm = {.type_name = "foundry_test_blocklist",
	.schema = &schema,
	.id = &id_spec,
	.to_arm = to_arm,
	.from_arm = from_arm};

static const tf_resource resource = {
	.type_name = "foundry_test_blocklist",
	.schema = &schema,
	.modify_plan = modify_plan,
	.create = foundry_arm_create,
	.read = foundry_arm_read,
	.update = foundry_arm_update,
	.delete = foundry_arm_delete,
	.import = foundry_arm_import,
	.impl = &arm,
};

/* The registration line. */
const tf_resource *const foundry_extra_resources[] = {&resource, NULL};
