/*
 * Resource identity (tfplugin6 6.9): the schemas for GetResourceIdentitySchemas, the identity that goes with every
 * state the provider returns, and import by identity, all from each resource's declared tf_identity.
 */
#include "tf_internal.h"

#include <string.h>

#include "tfplugin6.pb-c.h"

static size_t nattrs(const tf_identity *id)
{
	size_t n = 0;
	while (id->attrs[n].name)
		n++;
	return n;
}

static const cty_type *identity_type(fy_arena *a, const tf_identity *id)
{
	size_t n = nattrs(id);
	const char **names = fy_arena_alloc(a, (n ? n : 1) * sizeof *names);
	const cty_type **types = fy_arena_alloc(a, (n ? n : 1) * sizeof *types);
	for (size_t i = 0; i < n; i++) {
		names[i] = id->attrs[i].name;
		types[i] = cty_type_string();
	}
	return cty_type_object(a, n, names, types);
}

void *tf_identity_schemas_to_proto(fy_arena *a, const tf_resource *const *res, size_t nres, size_t *n_out)
{
	size_t n = 0;
	for (size_t i = 0; i < nres; i++)
		n += res[i]->identity != NULL;
	Tfplugin6__GetResourceIdentitySchemas__Response__IdentitySchemasEntry **out =
		fy_arena_alloc(a, (n ? n : 1) * sizeof(*out));
	size_t k = 0;
	for (size_t i = 0; i < nres; i++) {
		const tf_identity *id = res[i]->identity;
		if (id == NULL)
			continue;
		Tfplugin6__ResourceIdentitySchema *sch = fy_arena_alloc(a, sizeof(*sch));
		tfplugin6__resource_identity_schema__init(sch);
		sch->version = id->version;
		sch->n_identity_attributes = nattrs(id);
		sch->identity_attributes =
			fy_arena_alloc(a, (sch->n_identity_attributes + 1) * sizeof(*sch->identity_attributes));
		for (size_t j = 0; j < sch->n_identity_attributes; j++) {
			Tfplugin6__ResourceIdentitySchema__IdentityAttribute *at = fy_arena_alloc(a, sizeof(*at));
			tfplugin6__resource_identity_schema__identity_attribute__init(at);
			at->name = (char *)id->attrs[j].name;
			at->type.data = (uint8_t *)"\"string\"";
			at->type.len = 8;
			at->required_for_import = id->attrs[j].required_for_import;
			at->optional_for_import = !id->attrs[j].required_for_import;
			at->description = (char *)(id->attrs[j].description ? id->attrs[j].description : "");
			sch->identity_attributes[j] = at;
		}
		out[k] = fy_arena_alloc(a, sizeof(*out[k]));
		tfplugin6__get_resource_identity_schemas__response__identity_schemas_entry__init(out[k]);
		out[k]->key = (char *)res[i]->type_name;
		out[k]->value = sch;
		k++;
	}
	*n_out = k;
	return out;
}

void *tf_identity_data(fy_arena *a, const tf_resource *r, const cty_value *state)
{
	const tf_identity *id = r->identity;
	if (id == NULL || state == NULL || !cty_is_known(state) || cty_is_null(state))
		return NULL;
	const cty_type *t = identity_type(a, id);
	cty_value *v = cty_object(a, t);
	for (size_t i = 0; id->attrs[i].name; i++) {
		const char *s = cty_get_string(state, id->attrs[i].name);
		if (s == NULL)
			return NULL; /* not known yet: no identity to give */
		cty_object_set(v, id->attrs[i].name, cty_string(a, s));
	}
	void *buf;
	size_t len;
	if (cty_msgpack_encode(&buf, &len, a, v, t) < 0)
		return NULL;
	Tfplugin6__DynamicValue *dv = fy_arena_alloc(a, sizeof(*dv));
	tfplugin6__dynamic_value__init(dv);
	dv->msgpack.data = buf;
	dv->msgpack.len = len;
	Tfplugin6__ResourceIdentityData *d = fy_arena_alloc(a, sizeof(*d));
	tfplugin6__resource_identity_data__init(d);
	d->identity_data = dv;
	return d;
}

int tf_identity_import_id(char **out, fy_arena *a, const tf_resource *r, const void *identity_data)
{
	const Tfplugin6__ResourceIdentityData *d = identity_data;
	const tf_identity *id = r->identity;
	*out = NULL;
	if (id == NULL || id->import_id == NULL)
		return fy_error_set(FY_EINVALID, "%s cannot be imported by identity", r->type_name);
	const Tfplugin6__DynamicValue *dv = d ? d->identity_data : NULL;
	const cty_type *t = identity_type(a, id);
	cty_value *v = NULL;
	int rc = dv && dv->msgpack.len ? cty_msgpack_decode(&v, a, t, dv->msgpack.data, dv->msgpack.len)
		: dv && dv->json.len   ? cty_json_decode(&v, a, t, (const char *)dv->json.data, dv->json.len)
				       : fy_error_set(FY_EINVALID, "the identity has no value");
	if (rc < 0)
		return fy_error_set(
			FY_EINVALID, "the identity of %s does not decode: %s", r->type_name, fy_error_last()->message);
	size_t n = nattrs(id);
	const char **values = fy_arena_alloc(a, (n ? n : 1) * sizeof *values);
	for (size_t i = 0; i < n; i++) {
		values[i] = cty_get_string(v, id->attrs[i].name);
		if (values[i] == NULL && id->attrs[i].required_for_import)
			return fy_error_set(
				FY_EINVALID, "the identity of %s needs %s", r->type_name, id->attrs[i].name);
	}
	*out = id->import_id(a, values);
	return *out ? 0 : FY_EINVALID;
}
