/*
 * foundry_test_blocklist: a test-only second resource (Microsoft.CognitiveServices/accounts/raiBlocklists), to prove
 * that a resource is one file through the shared plumbing: a schema, an id declaration and the body mapping, plus one
 * line in tests/resource/registry.def. Built only into build/testprovider/terraform-provider-foundry for tests/e2e.
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
	cty_value *st = cty_object(a, t);
	if (foundry_arm_set_identity(st, a, &id_spec, prior, body) < 0)
		return FY_EINVALID;
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(props, "description");
	if (cJSON_IsString(d))
		cty_object_set(st, "description", cty_string(a, d->valuestring));
	*out = st;
	return 0;
}

extern const tf_resource foundry_test_blocklist;
static const foundry_arm_resource arm = {
	.resource = &foundry_test_blocklist, .id = &id_spec, .to_arm = to_arm, .from_arm = from_arm};

const tf_resource foundry_test_blocklist = {
	.type_name = "foundry_test_blocklist", .schema = &schema, FOUNDRY_ARM_OPERATIONS(&arm)};
