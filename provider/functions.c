/*
 * Provider functions (Terraform 1.8 and later, OpenTofu 1.7 and later), declared as a table beside the resources:
 *   provider::foundry::parse_connection_id(id)            -> {subscription_id, resource_group_name, account_name,
 *                                                             project_name (null at account level), name}
 *   provider::foundry::connection_id(parent_id, name)     -> the connection's ARM id
 *   provider::foundry::models_json(models)                -> the exact `models` metadata string Foundry wants
 *   provider::foundry::models_from_json(json)             -> the list of model objects back
 * For module authors, and for people who keep azapi_resource bodies but want the models string right.
 */
#include <string.h>
#include <stdlib.h>

#include "internal/tf/tf.h"
#include "provider/arm_id.h"
#include "provider/catalog.h"
#include "provider/gateway_connection.h"
#include "provider/gateway_connection_arm.h"

#define ID_OBJECT                                                                                                     \
	"[\"object\",{\"subscription_id\":\"string\",\"resource_group_name\":\"string\",\"account_name\":\"string\"," \
	"\"project_name\":\"string\",\"name\":\"string\"}]"
#define MODEL_LIST                                                                                           \
	"[\"list\",[\"object\",{\"name\":\"string\",\"model_name\":\"string\",\"model_version\":\"string\"," \
	"\"model_format\":\"string\"}]]"

/* The n-th "/"-separated part of s (0-based), in the arena. */
static char *part(fy_arena *a, const char *s, int n)
{
	for (; n > 0 && s; n--) {
		s = strchr(s, '/');
		s = s ? s + 1 : NULL;
	}
	if (!s)
		return NULL;
	return fy_arena_strndup(a, s, strcspn(s, "/"));
}

static int parse_connection_id(cty_value **out, int64_t *bad, fy_arena *a, cty_value *const *args, size_t n)
{
	(void)n;
	*bad = 0;
	const char *id = cty_as_string(args[0], NULL);
	char *parent, *name;
	if (foundry_arm_id_split(&parent, &name, a, &foundry_gc_id_spec, id) < 0)
		return FY_EINVALID;
	const cty_type *t;
	if (cty_type_from_json(&t, a, ID_OBJECT, strlen(ID_OBJECT)) < 0)
		return FY_EINVALID;
	/* /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.CognitiveServices/accounts/{a}[/projects/{p}] */
	size_t shape = 0;
	foundry_arm_parent_parse(&shape, &foundry_gc_id_spec, parent);
	cty_value *o = cty_object(a, t);
	cty_object_set(o, "subscription_id", cty_string(a, part(a, parent + 1, 1)));
	cty_object_set(o, "resource_group_name", cty_string(a, part(a, parent + 1, 3)));
	cty_object_set(o, "account_name", cty_string(a, part(a, parent + 1, 7)));
	cty_object_set(
		o, "project_name", shape == 1 ? cty_string(a, part(a, parent + 1, 9)) : cty_null(a, cty_type_string()));
	cty_object_set(o, "name", cty_string(a, name));
	*out = o;
	return 0;
}

static int connection_id(cty_value **out, int64_t *bad, fy_arena *a, cty_value *const *args, size_t n)
{
	(void)n;
	const char *parent = cty_as_string(args[0], NULL), *name = cty_as_string(args[1], NULL);
	*bad = 0;
	if (foundry_arm_parent_parse(NULL, &foundry_gc_id_spec, parent) < 0)
		return fy_error_set(FY_EINVALID, "parent_id: %s", fy_error_last()->message);
	*bad = 1;
	if (!foundry_arm_name_valid(&foundry_gc_id_spec, name))
		return fy_error_set(FY_EINVALID, "name: \"%s\" is not a valid connection name (%s)", name,
			foundry_gc_id_spec.name->rule);
	*out = cty_string(a, foundry_arm_id_join(a, &foundry_gc_id_spec, parent, name));
	return 0;
}

/* A string attribute of a model object, or NULL; required ones must be there and non-empty. */
static int model_str(const char **out, fy_arena *a, const cty_value *m, size_t i, const char *attr, int required)
{
	cty_value *v = cty_get_attr(m, attr);
	*out = NULL;
	if (!v || cty_is_null(v)) {
		if (required)
			return fy_error_set(FY_EINVALID, "models[%zu].%s is missing", i, attr);
		return 0;
	}
	if (cty_type_kind(cty_value_type(v)) != CTY_STRING)
		return fy_error_set(FY_EINVALID, "models[%zu].%s is not a string", i, attr);
	*out = cty_as_string(v, NULL);
	if (required && !**out)
		return fy_error_set(FY_EINVALID, "models[%zu].%s is empty", i, attr);
	(void)a;
	return 0;
}

static int models_json(cty_value **out, int64_t *bad, fy_arena *a, cty_value *const *args, size_t n)
{
	(void)n;
	*bad = 0;
	const cty_value *in = args[0];
	cty_kind k = cty_type_kind(cty_value_type(in));
	if (k != CTY_LIST && k != CTY_TUPLE && k != CTY_SET)
		return fy_error_set(FY_EINVALID,
			"models must be a list of objects { name, model_name, model_version, "
			"model_format }");
	const cty_type *lt;
	if (cty_type_from_json(&lt, a, MODEL_LIST, strlen(MODEL_LIST)) < 0)
		return FY_EINVALID;
	size_t len = cty_length(in);
	cty_value **items = fy_arena_alloc(a, (len ? len : 1) * sizeof *items);
	for (size_t i = 0; i < len; i++) {
		const cty_value *m = cty_index(in, i);
		if (cty_type_kind(cty_value_type(m)) != CTY_OBJECT)
			return fy_error_set(FY_EINVALID, "models[%zu] is not an object", i);
		const char *name, *model, *version, *format;
		int rc;
		if ((rc = model_str(&name, a, m, i, "name", 1)) < 0 ||
			(rc = model_str(&model, a, m, i, "model_name", 1)) < 0 ||
			(rc = model_str(&version, a, m, i, "model_version", 0)) < 0 ||
			(rc = model_str(&format, a, m, i, "model_format", 1)) < 0)
			return rc;
		cty_value *o = cty_object(a, cty_type_elem(lt));
		cty_object_set(o, "name", cty_string(a, name));
		cty_object_set(o, "model_name", cty_string(a, model));
		cty_object_set(o, "model_version", version ? cty_string(a, version) : cty_null(a, cty_type_string()));
		cty_object_set(o, "model_format", cty_string(a, format));
		items[i] = o;
	}
	char *text;
	if (foundry_gc_models_to_json(&text, cty_list(a, cty_type_elem(lt), len, items)) < 0)
		return FY_ENOMEM;
	*out = cty_string(a, text);
	free(text);
	return 0;
}

static int models_from_json(cty_value **out, int64_t *bad, fy_arena *a, cty_value *const *args, size_t n)
{
	(void)n;
	*bad = 0;
	const cty_type *lt;
	if (cty_type_from_json(&lt, a, MODEL_LIST, strlen(MODEL_LIST)) < 0)
		return FY_EINVALID;
	if (foundry_gc_models_from_json(out, a, lt, cty_as_string(args[0], NULL)) < 0)
		return fy_error_set(FY_EINVALID, "json: %s", fy_error_last()->message);
	return 0;
}

static const tf_function_param p_id[] = {
	{"id", "\"string\"", 0, "ARM id of a connection (project or account level)."}, {0}};
static const tf_function_param p_parent_name[] = {
	{"parent_id", "\"string\"", 0, "ARM id of the Foundry project or account."},
	{"name", "\"string\"", 0, "Connection name."}, {0}};
static const tf_function_param p_models[] = {
	{"models", "\"dynamic\"", 0,
		"A list of { name, model_name, model_version (optional), model_format }, as the "
		"resource's `models` takes."},
	{0}};
static const tf_function_param p_json[] = {{"json", "\"string\"", 0, "A `models` metadata string."}, {0}};

const tf_function foundry_fn_parse_connection_id = {"parse_connection_id",
	"Splits a connection's ARM id into its parts.",
	"Returns `{subscription_id, resource_group_name, account_name, project_name, name}`; `project_name` is null for an "
	"account-level connection. An id of another shape is an error naming what is wrong.",
	p_id, ID_OBJECT, parse_connection_id};
const tf_function foundry_fn_connection_id = {"connection_id", "Builds a connection's ARM id.",
	"`{parent_id}/connections/{name}`, with both checked as the resource checks them.", p_parent_name, "\"string\"",
	connection_id};
const tf_function foundry_fn_models_json = {"models_json", "The exact `models` metadata string Foundry wants.",
	"For `azapi_resource` bodies: the same list of objects `foundry_gateway_connection` takes, encoded as the JSON "
	"string Foundry reads (`[{\"name\", \"properties\": {\"model\": {\"name\", \"version\", \"format\"}}}]`).",
	p_models, "\"string\"", models_json};
const tf_function foundry_fn_models_from_json = {"models_from_json", "Reads a `models` metadata string back.",
	"The inverse of `models_json`: a list of `{name, model_name, model_version, model_format}`.", p_json,
	MODEL_LIST, models_from_json};
