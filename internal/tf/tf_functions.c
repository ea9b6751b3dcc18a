/*
 * Provider functions (GetFunctions, CallFunction, and the functions map of GetProviderSchema): the declared tables
 * turned into tfplugin6 Function messages, and a call's arguments decoded against the declared types, the function
 * run, its result encoded. A bad argument is a FunctionError naming the argument, not a diagnostic
 * (docs/internals/protocol.md 4.9).
 */
#include "tf_internal.h"

#include <string.h>

#include "tfplugin6.pb-c.h"

static Tfplugin6__Function *function_to_proto(fy_arena *a, const tf_function *f)
{
	Tfplugin6__Function *p = fy_arena_alloc(a, sizeof(*p));
	tfplugin6__function__init(p);
	size_t n = 0;
	while (f->params && f->params[n].name)
		n++;
	p->n_parameters = n;
	p->parameters = fy_arena_alloc(a, (n ? n : 1) * sizeof(*p->parameters));
	for (size_t i = 0; i < n; i++) {
		Tfplugin6__Function__Parameter *q = fy_arena_alloc(a, sizeof(*q));
		tfplugin6__function__parameter__init(q);
		q->name = (char *)f->params[i].name;
		q->type.data = (uint8_t *)f->params[i].type;
		q->type.len = strlen(f->params[i].type);
		q->allow_null_value = f->params[i].allow_null;
		q->description = (char *)(f->params[i].description ? f->params[i].description : "");
		p->parameters[i] = q;
	}
	p->return_ = fy_arena_alloc(a, sizeof(*p->return_));
	tfplugin6__function__return__init(p->return_);
	p->return_->type.data = (uint8_t *)f->return_type;
	p->return_->type.len = strlen(f->return_type);
	p->summary = (char *)(f->summary ? f->summary : "");
	p->description = (char *)(f->description ? f->description : "");
	p->description_kind = TFPLUGIN6__STRING_KIND__MARKDOWN;
	return p;
}

size_t tf_functions_count(const tf_function *const *fns)
{
	size_t n = 0;
	while (fns && fns[n])
		n++;
	return n;
}

void *tf_functions_to_proto(fy_arena *a, const tf_function *const *fns, int for_schema)
{
	size_t n = tf_functions_count(fns);
	if (for_schema) {
		Tfplugin6__GetProviderSchema__Response__FunctionsEntry **out =
			fy_arena_alloc(a, (n ? n : 1) * sizeof(*out));
		for (size_t i = 0; i < n; i++) {
			out[i] = fy_arena_alloc(a, sizeof(*out[i]));
			tfplugin6__get_provider_schema__response__functions_entry__init(out[i]);
			out[i]->key = (char *)fns[i]->name;
			out[i]->value = function_to_proto(a, fns[i]);
		}
		return out;
	}
	Tfplugin6__GetFunctions__Response__FunctionsEntry **out = fy_arena_alloc(a, (n ? n : 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[i] = fy_arena_alloc(a, sizeof(*out[i]));
		tfplugin6__get_functions__response__functions_entry__init(out[i]);
		out[i]->key = (char *)fns[i]->name;
		out[i]->value = function_to_proto(a, fns[i]);
	}
	return out;
}

/* A FunctionError; argument < 0: about the call as a whole. */
static void *function_error(fy_arena *a, int64_t argument, const char *fmt, const char *text)
{
	Tfplugin6__FunctionError *fe = fy_arena_alloc(a, sizeof(*fe));
	tfplugin6__function_error__init(fe);
	fe->text = fy_arena_sprintf(a, fmt, text);
	/* protoc-c 1.4 compiles proto3 `optional` without presence (CMakeLists.txt): argument 0 travels as "absent", so
	 * the CLI shows it as an error of the call; the text names the argument either way. */
	if (argument > 0)
		fe->function_argument = argument;
	return fe;
}

void *tf_call_function(void **out_result, fy_arena *a, const tf_function *const *fns, const char *name,
	void *const *arguments, size_t nargs)
{
	*out_result = NULL;
	const tf_function *f = NULL;
	for (size_t i = 0; fns && fns[i]; i++)
		if (strcmp(fns[i]->name, name ? name : "") == 0)
			f = fns[i];
	if (f == NULL)
		return function_error(a, -1, "The provider has no function named \"%s\".", name ? name : "");
	size_t n = 0;
	while (f->params && f->params[n].name)
		n++;
	if (nargs != n)
		return function_error(a, -1, "%s",
			fy_arena_sprintf(a, "%s takes %zu argument%s, not %zu.", f->name, n, n == 1 ? "" : "s", nargs));
	cty_value **args = fy_arena_alloc(a, (n ? n : 1) * sizeof(*args));
	for (size_t i = 0; i < n; i++) {
		const cty_type *t;
		const Tfplugin6__DynamicValue *dv = arguments[i];
		if (cty_type_from_json(&t, a, f->params[i].type, strlen(f->params[i].type)) < 0)
			return function_error(a, (int64_t)i, "%s", "the function's declared type is invalid (a bug)");
		int rc = dv && dv->msgpack.len ? cty_msgpack_decode(&args[i], a, t, dv->msgpack.data, dv->msgpack.len)
			: dv && dv->json.len
			? cty_json_decode(&args[i], a, t, (const char *)dv->json.data, dv->json.len)
			: fy_error_set(FY_EINVALID, "no value");
		if (rc < 0)
			return function_error(a, (int64_t)i, "%s",
				fy_arena_sprintf(a, "%s: %s", f->params[i].name, fy_error_last()->message));
		if (!cty_is_known(args[i]))
			return function_error(
				a, (int64_t)i, "%s", fy_arena_sprintf(a, "%s is not known", f->params[i].name));
		if (cty_is_null(args[i]) && !f->params[i].allow_null)
			return function_error(
				a, (int64_t)i, "%s", fy_arena_sprintf(a, "%s must not be null", f->params[i].name));
	}
	cty_value *result = NULL;
	int64_t bad = -1;
	if (f->call(&result, &bad, a, args, n) < 0)
		return function_error(a, bad, "%s", fy_error_last()->message);
	const cty_type *rt;
	void *buf;
	size_t len;
	if (cty_type_from_json(&rt, a, f->return_type, strlen(f->return_type)) < 0 ||
		cty_msgpack_encode(&buf, &len, a, result, rt) < 0)
		return function_error(a, -1, "%s",
			fy_arena_sprintf(
				a, "%s: the result does not encode: %s (a bug)", f->name, fy_error_last()->message));
	Tfplugin6__DynamicValue *dv = fy_arena_alloc(a, sizeof(*dv));
	tfplugin6__dynamic_value__init(dv);
	dv->msgpack.data = buf;
	dv->msgpack.len = len;
	*out_result = dv;
	return NULL;
}
