/*
 * foundry_test_capability_host: a test-only third resource, a child of a project
 * (Microsoft.CognitiveServices/accounts/projects/capabilityHosts), to prove that a resource costs one file and one
 * line in tests/resource/registry.def, and that the emulator serves project children generically.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "provider/arm_resource.h"

static int host_name_valid(const char *s, size_t n)
{
	return n >= 3 && n <= 33 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static const foundry_arm_name_rule name_rule = {host_name_valid, "3-33 characters: letters, digits and '-'"};
static const foundry_arm_shape *const parents[] = {&foundry_arm_shape_project, NULL};
static const foundry_arm_idspec id_spec = {"capability host", parents, "capabilityHosts", &name_rule};

static const tf_validator v_parent[] = {
	{.kind = TF_V_FUNC, .func = foundry_arm_validate_parent, .data = &id_spec}, {0}};
static const tf_validator v_name[] = {{.kind = TF_V_FUNC, .func = foundry_arm_validate_name, .data = &id_spec}, {0}};
static const char *const kinds[] = {"Agents", NULL};
static const tf_validator v_kind[] = {{.kind = TF_V_ONE_OF, .one_of = kinds}, {0}};

static const tf_attribute attrs[] = {
	{.name = "id", .type = "\"string\"", .flags = TF_COMPUTED, .description = "ARM id."},
	{.name = "parent_id",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_parent,
		.description = "ARM id of the Foundry project."},
	{.name = "name",
		.type = "\"string\"",
		.flags = TF_REQUIRED | TF_REPLACE,
		.validators = v_name,
		.description = "Capability host name."},
	{.name = "kind",
		.type = "\"string\"",
		.flags = TF_OPTIONAL | TF_COMPUTED,
		.default_json = "\"Agents\"",
		.validators = v_kind,
		.description = "`capabilityHostKind`."},
	{0},
};
static const tf_block_type blocks[] = {FOUNDRY_ARM_TIMEOUTS, {0}};
static const tf_block schema = {
	.description = "A project's capability host (test only).", .attributes = attrs, .blocks = blocks};

static int to_arm(cJSON **out, const cty_value *planned, const cty_value *config)
{
	(void)config;
	cJSON *body = cJSON_CreateObject();
	cJSON *props = cJSON_AddObjectToObject(body, "properties");
	const char *k = cty_get_string(planned, "kind");
	cJSON_AddStringToObject(props, "capabilityHostKind", k ? k : "Agents");
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
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(props, "capabilityHostKind");
	if (cJSON_IsString(k))
		cty_object_set(st, "kind", cty_string(a, k->valuestring));
	*out = st;
	return 0;
}

extern const tf_resource foundry_test_capability_host;
static const foundry_arm_resource arm = {
	.resource = &foundry_test_capability_host, .id = &id_spec, .to_arm = to_arm, .from_arm = from_arm};

const tf_resource foundry_test_capability_host = {
	.type_name = "foundry_test_capability_host", .schema = &schema, FOUNDRY_ARM_OPERATIONS(&arm)};
