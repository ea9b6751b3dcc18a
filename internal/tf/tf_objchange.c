/*
 * Values as the protocol sees them, and ProposedNew (terraform internal/plans/objchange/objchange.go): what the
 * CLI will propose from prior state and configuration, done once from the schema (docs/internals/protocol.md).
 */
#include "tf_internal.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "../log/tflog.h"

int tf_is_null(const cty_value *v)
{
	return v == NULL || (cty_is_known(v) && cty_is_null(v));
}

cty_value *tf_attr(const cty_value *obj, const char *name)
{
	return cty_is_set(obj) ? cty_get_attr(obj, name) : NULL;
}

cty_value *tf_empty_collection(fy_arena *a, tf_nesting n, const tf_cobj *o)
{
	switch (n) {
	case TF_NEST_LIST: return cty_list(a, o->type, 0, NULL);
	case TF_NEST_SET: return cty_set(a, o->type, 0, NULL);
	case TF_NEST_MAP: return cty_map(a, o->type, 0, NULL, NULL);
	default: return cty_null(a, o->type);
	}
}

cty_value *tf_empty_value(fy_arena *a, const tf_cobj *o)
{
	/* configschema.Block.EmptyValue: attributes null, SINGLE blocks null, collections of blocks empty. */
	cty_value *obj = cty_object(a, o->type);
	for (size_t i = 0; i < o->nblocks; i++)
		if (o->blocks[i].nesting != TF_NEST_SINGLE)
			cty_object_set(
				obj, o->blocks[i].name, tf_empty_collection(a, o->blocks[i].nesting, o->blocks[i].obj));
	return obj;
}

/* ------------------------------------------------------------ non-mutating maps */

typedef cty_value *(*elem_map_fn)(fy_arena *a, const tf_cobj *o, const cty_value *elem);

/* A new collection (or object, for SINGLE) with fn applied to each object in it. */
static cty_value *map_objects(fy_arena *a, tf_nesting n, const tf_cobj *o, const cty_value *v, elem_map_fn fn)
{
	if (!cty_is_set(v))
		return (cty_value *)v;
	if (n == TF_NEST_SINGLE)
		return fn(a, o, v);
	size_t len = cty_length(v);
	cty_value **items = fy_arena_alloc(a, (len ? len : 1) * sizeof(*items));
	for (size_t i = 0; i < len; i++)
		items[i] = fn(a, o, cty_index(v, i));
	switch (n) {
	case TF_NEST_LIST: return cty_list(a, o->type, len, items);
	case TF_NEST_SET: return cty_set(a, o->type, len, items);
	default: {
		const char **keys = fy_arena_alloc(a, (len ? len : 1) * sizeof(*keys));
		for (size_t i = 0; i < len; i++)
			keys[i] = cty_map_key(v, i);
		return cty_map(a, o->type, len, keys, items);
	}
	}
}

/* objchange.setElementComputedAsNull: the element with every computed attribute (at any depth) null, so prior
 * set elements can be correlated with config elements. */
cty_value *tf_computed_as_null(fy_arena *a, const tf_cobj *o, const cty_value *v)
{
	if (!cty_is_set(v))
		return (cty_value *)v;
	cty_value *obj = cty_object(a, o->type);
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *av = cty_get_attr(v, at->name);
		if (cty_is_set(av) && (at->flags & TF_COMPUTED))
			av = cty_null(a, at->type);
		else if (at->nested != NULL)
			av = map_objects(a, at->nesting, at->nested, av, tf_computed_as_null);
		cty_object_set(obj, at->name, av);
	}
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_object_set(obj, bt->name,
			map_objects(a, bt->nesting, bt->obj, cty_get_attr(v, bt->name), tf_computed_as_null));
	}
	return obj;
}

/* ------------------------------------------------------------ ProposedNew (objchange.go) */

static cty_value *pn_block(fy_arena *a, const tf_cobj *o, const cty_value *prior, const cty_value *config);

/* proposedNewAttributes: non-computed attributes take config (even null); computed ones with null config take
 * prior; nested attribute types are merged element by element. */
static void pn_attrs(fy_arena *a, const tf_cobj *o, const cty_value *prior, const cty_value *config, cty_value *out);

static cty_value *pn_attrs_obj(fy_arena *a, const tf_cobj *o, const cty_value *prior, const cty_value *config)
{
	cty_value *obj = cty_object(a, o->type);
	if (!cty_is_known(config)) {
		/* GetAttr on an unknown object yields unknowns: every attribute of the result is unknown. */
		for (size_t i = 0; i < o->nattrs; i++)
			cty_object_set(obj, o->attrs[i].name, cty_unknown(a, o->attrs[i].type));
		return obj;
	}
	if (cty_is_null(config))
		return (cty_value *)config;
	pn_attrs(a, o, prior, config, obj);
	return obj;
}

/* A list or map of objects: each config element merged with the prior element at the same index or key; an element
 * with no prior counterpart is taken from config as it is. */
static cty_value *pn_pairwise(fy_arena *a, tf_nesting nesting, const tf_cobj *o, const cty_value *prior,
	const cty_value *config, cty_value *(*merge)(fy_arena *, const tf_cobj *, const cty_value *, const cty_value *))
{
	size_t n = cty_length(config);
	cty_value **items = fy_arena_alloc(a, n * sizeof(*items));
	const char **keys = fy_arena_alloc(a, n * sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		cty_value *ce = cty_index(config, i);
		cty_value *pe = NULL;
		if (nesting == TF_NEST_MAP) {
			keys[i] = cty_map_key(config, i);
			pe = cty_is_set(prior) ? cty_map_get(prior, keys[i]) : NULL;
		} else if (cty_is_set(prior) && i < cty_length(prior)) {
			pe = cty_index(prior, i);
		}
		items[i] = pe == NULL ? ce : merge(a, o, pe, ce);
	}
	return nesting == TF_NEST_MAP ? cty_map(a, o->type, n, keys, items) : cty_list(a, o->type, n, items);
}

static cty_value **set_compare_values(fy_arena *a, const tf_cobj *o, const cty_value *prior, size_t *n)
{
	*n = 0;
	if (!cty_is_set(prior))
		return NULL;
	*n = cty_length(prior);
	cty_value **cmp = fy_arena_alloc(a, (*n ? *n : 1) * sizeof(*cmp));
	for (size_t i = 0; i < *n; i++)
		cmp[i] = tf_computed_as_null(a, o, cty_index(prior, i));
	return cmp;
}

static cty_value *pn_nested_type(fy_arena *a, const tf_cattr *at, const cty_value *prior, const cty_value *config)
{
	const tf_cobj *o = at->nested;
	switch (at->nesting) {
	case TF_NEST_SINGLE:
		if (tf_is_null(config))
			return (cty_value *)config;
		return pn_attrs_obj(a, o, prior, config);
	case TF_NEST_LIST:
	case TF_NEST_MAP: {
		if (!cty_is_set(config) || cty_length(config) == 0)
			return (cty_value *)config;
		return pn_pairwise(a, at->nesting, o, prior, config, pn_attrs_obj);
	}
	case TF_NEST_SET: {
		if (!cty_is_set(config) || cty_length(config) == 0)
			return (cty_value *)config;
		size_t ncmp = 0;
		cty_value **cmp = set_compare_values(a, o, prior, &ncmp);
		char *used = fy_arena_alloc(a, ncmp + 1);
		size_t n = cty_length(config);
		cty_value **items = fy_arena_alloc(a, n * sizeof(*items));
		for (size_t i = 0; i < n; i++) {
			cty_value *ce = cty_index(config, i);
			cty_value *pe = NULL;
			for (size_t j = 0; j < ncmp; j++) {
				if (!used[j] && cty_equal(cmp[j], ce)) {
					pe = cty_index(prior, j);
					used[j] = 1;
					break;
				}
			}
			items[i] = pe == NULL ? ce : pn_attrs_obj(a, o, pe, ce);
		}
		return cty_set(a, o->type, n, items);
	}
	default: return (cty_value *)config;
	}
}

static void pn_attrs(fy_arena *a, const tf_cobj *o, const cty_value *prior, const cty_value *config, cty_value *out)
{
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *pv;
		if (prior == NULL || tf_is_null(prior))
			pv = cty_null(a, at->type);
		else if (!cty_is_known(prior))
			pv = cty_unknown(a, at->type);
		else
			pv = cty_get_attr(prior, at->name);
		cty_value *cv = cty_get_attr(config, at->name);
		cty_value *nv;
		if ((at->flags & TF_COMPUTED) && tf_is_null(cv))
			nv = pv;
		else if (at->nested != NULL)
			nv = cty_is_known(cv) ? pn_nested_type(a, at, pv, cv) : cv;
		else
			nv = cv;
		cty_object_set(out, at->name, nv);
	}
}

static cty_value *pn_nested_block(fy_arena *a, const tf_cblocktype *bt, const cty_value *prior, const cty_value *config)
{
	/* Only a dynamic block with an unknown for_each gives a wholly unknown block value. */
	if (config == NULL || !cty_is_known(config))
		return (cty_value *)config;
	const tf_cobj *o = bt->obj;
	switch (bt->nesting) {
	case TF_NEST_SINGLE:
		if (cty_is_null(config))
			return (cty_value *)config;
		return pn_block(a, o, prior, config);
	case TF_NEST_LIST:
	case TF_NEST_MAP: {
		size_t n = cty_is_null(config) ? 0 : cty_length(config);
		if (n == 0)
			return tf_empty_collection(a, bt->nesting, o);
		return pn_pairwise(a, bt->nesting, o, prior, config, pn_block);
	}
	case TF_NEST_SET: {
		size_t n = cty_is_null(config) ? 0 : cty_length(config);
		if (n == 0)
			return tf_empty_collection(a, TF_NEST_SET, o);
		size_t ncmp = 0;
		cty_value **cmp = set_compare_values(a, o, prior, &ncmp);
		char *used = fy_arena_alloc(a, ncmp + 1);
		cty_value **items = fy_arena_alloc(a, n * sizeof(*items));
		for (size_t i = 0; i < n; i++) {
			cty_value *ce = cty_index(config, i);
			cty_value *pe = NULL;
			for (size_t j = 0; j < ncmp; j++) {
				if (!used[j] && cty_equal(cmp[j], ce)) {
					pe = cty_index(prior, j);
					used[j] = 1;
					break;
				}
			}
			items[i] = pn_block(a, o, pe != NULL ? pe : cty_null(a, o->type), ce);
		}
		return cty_set(a, o->type, n, items);
	}
	default: return (cty_value *)config;
	}
}

/* objchange.ProposedNew for one block. */
static cty_value *pn_block(fy_arena *a, const tf_cobj *o, const cty_value *prior, const cty_value *config)
{
	if (tf_is_null(config) && tf_is_null(prior))
		return prior != NULL ? (cty_value *)prior : cty_null(a, o->type);
	if (tf_is_null(prior))
		prior = tf_empty_value(a, o);
	if (tf_is_null(config) || !cty_is_known(config))
		return (cty_value *)prior;
	cty_value *obj = cty_object(a, o->type);
	pn_attrs(a, o, prior, config, obj);
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_object_set(obj, bt->name,
			pn_nested_block(a, bt, tf_attr(prior, bt->name), cty_get_attr(config, bt->name)));
	}
	return obj;
}

int tf_proposed_new_from(
	cty_value **out, fy_arena *a, const tf_schema *s, const cty_value *prior, const cty_value *config)
{
	if (config == NULL)
		config = cty_null(a, s->root->type);
	*out = pn_block(a, s->root, prior, config);
	return FY_OK;
}

int tf_proposed_new(cty_value **out, tf_ctx *ctx, const cty_value *prior, const cty_value *config)
{
	if (ctx->schema == NULL)
		return fy_error_set(FY_EINVALID, "tf_proposed_new: the context has no schema");
	return tf_proposed_new_from(out, ctx->arena, ctx->schema, prior, config);
}
