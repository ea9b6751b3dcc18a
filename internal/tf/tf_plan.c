/*
 * The value rules Terraform holds a provider to (notes/tfplugin6.md 4.2-4.8), done once from the schema:
 * ProposedNew, planning (defaults, computed-unknown marking, write-only nulling, RequiresReplace), and the
 * checks on what apply / read / import / upgrade hand back.
 *
 * Values coming from a resource or from ProposedNew may share subtrees with the request; every rule that
 * edits a value first takes a deep copy (cty_copy) in the call's arena, then edits that copy in place.
 */
#include "tf_internal.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "../log/tflog.h"

int tf_is_null(const cty_value *v)
{
	return v == NULL || (cty_is_known(v) && cty_is_null(v));
}

static int known_nonnull(const cty_value *v)
{
	return v != NULL && cty_is_known(v) && !cty_is_null(v);
}

cty_value *tf_attr(const cty_value *obj, const char *name)
{
	return known_nonnull(obj) ? cty_get_attr(obj, name) : NULL;
}

static cty_value *empty_collection(fy_arena *a, tf_nesting n, const tf_cobj *o)
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
				obj, o->blocks[i].name, empty_collection(a, o->blocks[i].nesting, o->blocks[i].obj));
	return obj;
}

/* ------------------------------------------------------------ non-mutating maps */

typedef cty_value *(*elem_map_fn)(fy_arena *a, const tf_cobj *o, const cty_value *elem);

/* A new collection (or object, for SINGLE) with fn applied to each object in it. */
static cty_value *map_objects(fy_arena *a, tf_nesting n, const tf_cobj *o, const cty_value *v, elem_map_fn fn)
{
	if (!known_nonnull(v))
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
static cty_value *computed_as_null(fy_arena *a, const tf_cobj *o, const cty_value *v)
{
	if (!known_nonnull(v))
		return (cty_value *)v;
	cty_value *obj = cty_object(a, o->type);
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *av = cty_get_attr(v, at->name);
		if (known_nonnull(av) && (at->flags & TF_COMPUTED))
			av = cty_null(a, at->type);
		else if (at->nested != NULL)
			av = map_objects(a, at->nesting, at->nested, av, computed_as_null);
		cty_object_set(obj, at->name, av);
	}
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_object_set(obj, bt->name,
			map_objects(a, bt->nesting, bt->obj, cty_get_attr(v, bt->name), computed_as_null));
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

static cty_value **set_compare_values(fy_arena *a, const tf_cobj *o, const cty_value *prior, size_t *n)
{
	*n = 0;
	if (!known_nonnull(prior))
		return NULL;
	*n = cty_length(prior);
	cty_value **cmp = fy_arena_alloc(a, (*n ? *n : 1) * sizeof(*cmp));
	for (size_t i = 0; i < *n; i++)
		cmp[i] = computed_as_null(a, o, cty_index(prior, i));
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
		if (!known_nonnull(config) || cty_length(config) == 0)
			return (cty_value *)config;
		size_t n = cty_length(config);
		cty_value **items = fy_arena_alloc(a, n * sizeof(*items));
		const char **keys = fy_arena_alloc(a, n * sizeof(*keys));
		for (size_t i = 0; i < n; i++) {
			cty_value *ce = cty_index(config, i);
			cty_value *pe = NULL;
			if (at->nesting == TF_NEST_MAP) {
				keys[i] = cty_map_key(config, i);
				pe = known_nonnull(prior) ? cty_map_get(prior, keys[i]) : NULL;
			} else if (known_nonnull(prior) && i < cty_length(prior)) {
				pe = cty_index(prior, i);
			}
			/* No corresponding prior element: take the config element as it is. */
			items[i] = pe == NULL ? ce : pn_attrs_obj(a, o, pe, ce);
		}
		return at->nesting == TF_NEST_MAP ? cty_map(a, o->type, n, keys, items)
						  : cty_list(a, o->type, n, items);
	}
	case TF_NEST_SET: {
		if (!known_nonnull(config) || cty_length(config) == 0)
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
			return empty_collection(a, bt->nesting, o);
		cty_value **items = fy_arena_alloc(a, n * sizeof(*items));
		const char **keys = fy_arena_alloc(a, n * sizeof(*keys));
		for (size_t i = 0; i < n; i++) {
			cty_value *ce = cty_index(config, i);
			cty_value *pe = NULL;
			if (bt->nesting == TF_NEST_MAP) {
				keys[i] = cty_map_key(config, i);
				pe = known_nonnull(prior) ? cty_map_get(prior, keys[i]) : NULL;
			} else if (known_nonnull(prior) && i < cty_length(prior)) {
				pe = cty_index(prior, i);
			}
			items[i] = pe == NULL ? ce : pn_block(a, o, pe, ce);
		}
		return bt->nesting == TF_NEST_MAP ? cty_map(a, o->type, n, keys, items)
						  : cty_list(a, o->type, n, items);
	}
	case TF_NEST_SET: {
		size_t n = cty_is_null(config) ? 0 : cty_length(config);
		if (n == 0)
			return empty_collection(a, TF_NEST_SET, o);
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

static int proposed_new(
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
	return proposed_new(out, ctx->arena, ctx->schema, prior, config);
}

/* ------------------------------------------------------------ mutating walks */

typedef struct walk {
	fy_arena *a;
	tf_ctx *ctx;
	const char *type_name;
	int prior_exists;
	const cty_value *prior; /* prior state object (plan), for fn_restore's "functionally equal" rule */
} walk;

/* Called for each object of a nested collection with the correlated objects of up to two companion values
 * (config, prior, planned... depending on the rule); returns the object to keep. */
typedef cty_value *(*obj_fn)(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *c0, const cty_value *c1, const cty_path *path);

static const cty_value *usable(const cty_value *c)
{
	return known_nonnull(c) ? c : NULL;
}

/* Set elements are correlated the way ProposedNew does it: equal once computed attributes are nulled. */
static const cty_value *set_match(fy_arena *a, const tf_cobj *o, const cty_value *e, const cty_value *comp, char *used)
{
	if (comp == NULL || !known_nonnull(e))
		return NULL;
	cty_value *ce = computed_as_null(a, o, e);
	size_t n = cty_length(comp);
	for (size_t j = 0; j < n; j++) {
		if (used[j])
			continue;
		if (cty_equal(ce, computed_as_null(a, o, cty_index(comp, j)))) {
			used[j] = 1;
			return cty_index(comp, j);
		}
	}
	return NULL;
}

static cty_value *walk_nested(walk *w, tf_nesting nesting, const tf_cobj *o, cty_value *v, const cty_value *c0,
	const cty_value *c1, const cty_path *path, obj_fn fn)
{
	if (!known_nonnull(v))
		return v;
	c0 = usable(c0);
	c1 = usable(c1);
	fy_arena *a = w->a;
	size_t n = nesting == TF_NEST_SINGLE ? 1 : cty_length(v);
	switch (nesting) {
	case TF_NEST_SINGLE: return fn(w, o, v, c0, c1, path);
	case TF_NEST_LIST:
		for (size_t i = 0; i < n; i++) {
			cty_value *e = cty_index(v, i);
			const cty_value *e0 = c0 && i < cty_length(c0) ? cty_index(c0, i) : NULL;
			const cty_value *e1 = c1 && i < cty_length(c1) ? cty_index(c1, i) : NULL;
			cty_value *ne = fn(w, o, e, e0, e1, cty_path_index(a, path, (int64_t)i));
			if (ne != e)
				cty_collection_set(v, i, ne);
		}
		return v;
	case TF_NEST_MAP:
		for (size_t i = 0; i < n; i++) {
			cty_value *e = cty_index(v, i);
			const char *k = cty_map_key(v, i);
			const cty_value *e0 = c0 ? cty_map_get(c0, k) : NULL;
			const cty_value *e1 = c1 ? cty_map_get(c1, k) : NULL;
			cty_value *ne = fn(w, o, e, e0, e1, cty_path_key(a, path, k));
			if (ne != e)
				cty_collection_set(v, i, ne);
		}
		return v;
	case TF_NEST_SET: {
		char *u0 = c0 ? fy_arena_alloc(a, cty_length(c0) + 1) : NULL;
		char *u1 = c1 ? fy_arena_alloc(a, cty_length(c1) + 1) : NULL;
		cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof(*items));
		for (size_t i = 0; i < n; i++) {
			cty_value *e = cty_index(v, i);
			const cty_value *e0 = set_match(a, o, e, c0, u0);
			const cty_value *e1 = set_match(a, o, e, c1, u1);
			/* Set elements have no path step (notes 4.4): keep the set's own path. */
			items[i] = fn(w, o, e, e0, e1, path);
		}
		/* Elements may have changed: rebuild so the set's identity rules hold again. */
		return cty_set(a, o->type, n, items);
	}
	default: return v;
	}
}

static void set_attr(cty_value *obj, const char *name, cty_value *nv, cty_value *old)
{
	if (nv != old)
		cty_object_set(obj, name, nv);
}

/* The shared descent of the config-driven rules (defaults, unknown marking): apply `fn` to the nested attribute
 * objects the config has, and to every nested block, each correlated with its config. */
static void descend_nested_attr(walk *w, const tf_cattr *at, cty_value *obj, cty_value *pv, const cty_value *cv,
	const cty_value *cfg, const cty_path *path, obj_fn fn)
{
	set_attr(obj, at->name,
		walk_nested(
			w, at->nesting, at->nested, pv, cfg ? cv : NULL, NULL, cty_path_attr(w->a, path, at->name), fn),
		pv);
}

static void descend_blocks(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *cfg, const cty_path *path, obj_fn fn)
{
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_value *pv = cty_get_attr(obj, bt->name);
		set_attr(obj, bt->name,
			walk_nested(w, bt->nesting, bt->obj, pv, tf_attr(cfg, bt->name), NULL,
				cty_path_attr(w->a, path, bt->name), fn),
			pv);
	}
}

/* Defaults (default_json) for optional+computed attributes whose config is null, also inside nested attribute
 * objects and blocks that the config has. c0 = the matching config object (NULL: judge by the value itself). */
static cty_value *fn_defaults(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *cfg, const cty_value *c1, const cty_path *path)
{
	(void)c1;
	if (!known_nonnull(obj))
		return obj;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *pv = cty_get_attr(obj, at->name);
		const cty_value *cv = cfg ? cty_get_attr(cfg, at->name) : pv;
		if (at->dflt != NULL && tf_is_null(cv)) {
			/* Defaults live in the long-lived schema arena, shared by every thread: hand out a copy. */
			cty_object_set(obj, at->name, cty_copy(w->a, at->dflt));
		} else if (at->nested != NULL && known_nonnull(cv)) {
			descend_nested_attr(w, at, obj, pv, cv, cfg, path, fn_defaults);
		}
	}
	descend_blocks(w, o, obj, cfg, path, fn_defaults);
	return obj;
}

/* terraform-plugin-framework's MarkComputedNilsAsUnknown: computed attributes that are null in config become
 * unknown, except those with a default, and (with TF_STATE_FOR_UNKNOWN, on update) those holding a prior value. */
static cty_value *fn_unknown(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *cfg, const cty_value *c1, const cty_path *path)
{
	(void)c1;
	if (!known_nonnull(obj))
		return obj;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		if (at->flags & TF_WRITE_ONLY)
			continue;
		cty_value *pv = cty_get_attr(obj, at->name);
		const cty_value *cv = cfg ? cty_get_attr(cfg, at->name) : pv;
		if ((at->flags & TF_COMPUTED) && tf_is_null(cv) && at->dflt == NULL) {
			if (pv != NULL && !cty_is_known(pv))
				continue;
			if ((at->flags & TF_STATE_FOR_UNKNOWN) && w->prior_exists && !tf_is_null(pv))
				continue;
			cty_object_set(obj, at->name, cty_unknown(w->a, at->type));
		} else if (at->nested != NULL && known_nonnull(cv)) {
			descend_nested_attr(w, at, obj, pv, cv, cfg, path, fn_unknown);
		}
	}
	descend_blocks(w, o, obj, cfg, path, fn_unknown);
	return obj;
}

static cty_value *fn_write_only(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *c0, const cty_value *c1, const cty_path *path)
{
	(void)c0;
	(void)c1;
	if (!known_nonnull(obj))
		return obj;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *v = cty_get_attr(obj, at->name);
		if (at->flags & TF_WRITE_ONLY) {
			/* Never in plan or state (notes 4.3: "planned value for write-only attribute is not null"). */
			if (!tf_is_null(v))
				cty_object_set(obj, at->name, cty_null(w->a, at->type));
		} else if (at->nested != NULL) {
			set_attr(obj, at->name,
				walk_nested(w, at->nesting, at->nested, v, NULL, NULL, path, fn_write_only), v);
		}
	}
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_value *v = cty_get_attr(obj, bt->name);
		set_attr(obj, bt->name, walk_nested(w, bt->nesting, bt->obj, v, NULL, NULL, path, fn_write_only), v);
	}
	return obj;
}

cty_value *tf_null_write_only(fy_arena *a, const tf_cobj *o, cty_value *v)
{
	walk w = {.a = a};
	return fn_write_only(&w, o, v, NULL, NULL, NULL);
}

static cty_value *fn_normalize(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *c0, const cty_value *c1, const cty_path *path)
{
	(void)c0;
	(void)c1;
	if (!known_nonnull(obj))
		return obj;
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_value *v = cty_get_attr(obj, bt->name);
		/* LIST/SET/MAP blocks are never null on the wire (notes 3.1, plan_valid.go:88). */
		if (bt->nesting != TF_NEST_SINGLE && v != NULL && tf_is_null(v))
			cty_object_set(obj, bt->name, empty_collection(w->a, bt->nesting, bt->obj));
		else
			set_attr(obj, bt->name, walk_nested(w, bt->nesting, bt->obj, v, NULL, NULL, path, fn_normalize),
				v);
	}
	return obj;
}

cty_value *tf_normalize_blocks(fy_arena *a, const tf_cobj *o, cty_value *v)
{
	walk w = {.a = a};
	return fn_normalize(&w, o, v, NULL, NULL, NULL);
}

cty_value *tf_null_unknowns(
	fy_arena *a, cty_value *v, const cty_path *path, tf_diags *d, const char *summary, const char *what)
{
	if (v == NULL || cty_is_wholly_known(v))
		return v;
	if (!cty_is_known(v)) {
		if (d != NULL) {
			char *p = cty_path_string(a, path);
			tf_diag_add(d, TF_ERROR, path, summary,
				"%s still indicated an unknown value for %s. All values must be "
				"known at this point; the value was replaced by null. This is a bug in the provider.",
				what, p && *p ? p : "the object");
		}
		return cty_null(a, cty_value_type(v));
	}
	const cty_type *t = cty_value_type(v);
	size_t n = cty_length(v);
	switch (cty_type_kind(t)) {
	case CTY_OBJECT:
		for (size_t i = 0; i < n; i++) {
			const char *name = cty_map_key(v, i);
			cty_value *e = cty_index(v, i);
			cty_value *ne = tf_null_unknowns(a, e, cty_path_attr(a, path, name), d, summary, what);
			if (ne != e)
				cty_object_set(v, name, ne);
		}
		return v;
	case CTY_LIST:
	case CTY_TUPLE:
	case CTY_MAP:
		for (size_t i = 0; i < n; i++) {
			cty_value *e = cty_index(v, i);
			const cty_path *ep = cty_type_kind(t) == CTY_MAP ? cty_path_key(a, path, cty_map_key(v, i))
									 : cty_path_index(a, path, (int64_t)i);
			cty_value *ne = tf_null_unknowns(a, e, ep, d, summary, what);
			if (ne != e)
				cty_collection_set(v, i, ne);
		}
		return v;
	case CTY_SET: {
		cty_value **items = fy_arena_alloc(a, (n ? n : 1) * sizeof(*items));
		for (size_t i = 0; i < n; i++)
			items[i] = tf_null_unknowns(a, cty_index(v, i), path, d, summary, what);
		return cty_set(a, cty_type_elem(t), n, items);
	}
	default: return v;
	}
}

static void log_bug(walk *w, const cty_path *path, const char *what)
{
	/* Paths only: values may be secrets. */
	tflog_kv(TFLOG_ERROR, TF_LOG_MODULE, what, "tf_resource_type", w->type_name ? w->type_name : "",
		"tf_attribute_path", cty_path_string(w->a, path), (char *)NULL);
}

/* After modify_plan: only computed attributes (with null config) may change. Anything else goes back to what
 * the plumbing planned, so Terraform never sees "Provider produced invalid plan". c0 = config, c1 = before. */
static cty_value *fn_restore(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *cfg, const cty_value *pre, const cty_path *path)
{
	if (!known_nonnull(obj) || cfg == NULL || pre == NULL)
		return obj;
	for (size_t i = 0; i < o->nattrs + o->nblocks; i++) {
		const tf_cattr *at = i < o->nattrs ? &o->attrs[i] : NULL;
		const tf_cblocktype *bt = at ? NULL : &o->blocks[i - o->nattrs];
		const char *name = at ? at->name : bt->name;
		const tf_cobj *inner = at ? at->nested : bt->obj;
		tf_nesting nesting = at ? at->nesting : bt->nesting;
		cty_value *cur = cty_get_attr(obj, name);
		const cty_value *cv = cty_get_attr(cfg, name);
		const cty_value *prev = cty_get_attr(pre, name);
		if (at != NULL && (at->flags & TF_COMPUTED) && tf_is_null(cv))
			continue;
		if (cty_equal(cur, prev))
			continue;
		/* Terraform accepts the prior value in place of a functionally equal configured one, e.g. an ARM id
		 * in other casing (plan_valid.go assertPlannedValueValid: planned == prior, both non-null). Only
		 * top-level attributes are correlated with the prior state here. Not for a config value that is still
		 * (partly) unknown: it must stay unknown (notes 4.3), or the final plan at apply may contradict it. */
		if (path == NULL && w->prior != NULL && !tf_is_null(cv) && cty_is_wholly_known(cv) &&
			known_nonnull(cur) && cty_equal(cur, cty_get_attr(w->prior, name)))
			continue;
		const cty_path *p = cty_path_attr(w->a, path, name);
		if (inner != NULL && known_nonnull(cur) && known_nonnull(prev) &&
			(nesting == TF_NEST_SINGLE || cty_length(cur) == cty_length(prev))) {
			/* Same shape: computed attributes inside may legitimately differ; check each one. */
			set_attr(obj, name, walk_nested(w, nesting, inner, cur, cv, prev, p, fn_restore), cur);
			continue;
		}
		log_bug(w, p, "provider bug: modify_plan changed a configured attribute; keeping the planned value");
		cty_object_set(obj, name, cty_copy(w->a, prev));
	}
	return obj;
}

/* Apply: every known planned value must come back unchanged (notes 4.5, objchange.AssertObjectCompatible).
 * Where the resource returned something else, the planned value wins and the bug goes to the log. */
static cty_value *fn_consistent(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *planned, const cty_value *c1, const cty_path *path)
{
	(void)c1;
	if (!known_nonnull(obj) || planned == NULL)
		return obj;
	for (size_t i = 0; i < o->nattrs + o->nblocks; i++) {
		const tf_cattr *at = i < o->nattrs ? &o->attrs[i] : NULL;
		const tf_cblocktype *bt = at ? NULL : &o->blocks[i - o->nattrs];
		const char *name = at ? at->name : bt->name;
		const tf_cobj *inner = at ? at->nested : bt->obj;
		tf_nesting nesting = at ? at->nesting : bt->nesting;
		if (at != NULL && (at->flags & TF_WRITE_ONLY))
			continue;
		cty_value *sv = cty_get_attr(obj, name);
		const cty_value *pv = cty_get_attr(planned, name);
		if (pv == NULL || !cty_is_known(pv))
			continue; /* unknown in the plan: whatever the resource found */
		const cty_path *p = cty_path_attr(w->a, path, name);
		if (cty_is_wholly_known(pv)) {
			if (!cty_equal(sv, pv)) {
				log_bug(w, p,
					"provider bug: apply returned a value that differs from the known planned value; "
					"keeping the planned value");
				cty_object_set(obj, name, cty_copy(w->a, pv));
			}
		} else if (inner != NULL && known_nonnull(sv)) {
			set_attr(obj, name, walk_nested(w, nesting, inner, sv, pv, NULL, p, fn_consistent), sv);
		}
	}
	return obj;
}

/* ------------------------------------------------------------ requires_replace */

typedef struct paths {
	cty_path **items;
	size_t n, cap;
} paths;

static void paths_add(fy_arena *a, paths *ps, const cty_path *p)
{
	if (ps->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 4;
		ps->items = fy_arena_realloc(a, ps->items, ps->cap * sizeof(*ps->items), ncap * sizeof(*ps->items));
		ps->cap = ncap;
	}
	ps->items[ps->n++] = (cty_path *)p;
}

static int has_replace(const tf_cobj *o)
{
	for (size_t i = 0; i < o->nattrs; i++)
		if ((o->attrs[i].flags & TF_REPLACE) || (o->attrs[i].nested && has_replace(o->attrs[i].nested)))
			return 1;
	for (size_t i = 0; i < o->nblocks; i++)
		if (has_replace(o->blocks[i].obj))
			return 1;
	return 0;
}

/* Terraform's getRequiredReplaces: replace when the value differs between prior and planned, or is unknown. */
static int differs(const cty_value *planned, const cty_value *prior)
{
	if (planned != NULL && !cty_is_wholly_known(planned))
		return 1;
	if (planned == NULL || prior == NULL)
		return !(tf_is_null(planned) && tf_is_null(prior));
	return !cty_equal(planned, prior);
}

static void collect_replace(fy_arena *a, const tf_cobj *o, const cty_value *planned, const cty_value *prior,
	const cty_path *path, paths *out);

static void collect_nested(fy_arena *a, tf_nesting nesting, const tf_cobj *o, const cty_value *pv, const cty_value *qv,
	const cty_path *p, paths *out)
{
	if (nesting == TF_NEST_SET) {
		/* Set elements cannot be addressed: the set itself is the path. */
		if (differs(pv, qv))
			paths_add(a, out, p);
		return;
	}
	if (pv != NULL && !cty_is_known(pv)) {
		paths_add(a, out, p);
		return;
	}
	if (nesting == TF_NEST_SINGLE) {
		collect_replace(a, o, pv, qv, p, out);
		return;
	}
	if (!known_nonnull(pv))
		return;
	for (size_t i = 0; i < cty_length(pv); i++) {
		const cty_value *pe = cty_index(pv, i), *qe = NULL;
		const cty_path *ep;
		if (nesting == TF_NEST_MAP) {
			ep = cty_path_key(a, p, cty_map_key(pv, i));
			qe = known_nonnull(qv) ? cty_map_get(qv, cty_map_key(pv, i)) : NULL;
		} else {
			ep = cty_path_index(a, p, (int64_t)i);
			qe = known_nonnull(qv) && i < cty_length(qv) ? cty_index(qv, i) : NULL;
		}
		if (!cty_is_known(pe))
			paths_add(a, out, ep);
		else
			collect_replace(a, o, pe, qe, ep, out);
	}
}

static void collect_replace(fy_arena *a, const tf_cobj *o, const cty_value *planned, const cty_value *prior,
	const cty_path *path, paths *out)
{
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		const cty_value *pv = tf_attr(planned, at->name), *qv = tf_attr(prior, at->name);
		if (at->flags & TF_REPLACE) {
			if (differs(pv, qv))
				paths_add(a, out, cty_path_attr(a, path, at->name));
		} else if (at->nested != NULL && has_replace(at->nested)) {
			collect_nested(a, at->nesting, at->nested, pv, qv, cty_path_attr(a, path, at->name), out);
		}
	}
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		if (has_replace(bt->obj))
			collect_nested(a, bt->nesting, bt->obj, tf_attr(planned, bt->name), tf_attr(prior, bt->name),
				cty_path_attr(a, path, bt->name), out);
	}
}

/* ------------------------------------------------------------ plan */

int tf_resource_plan(cty_value **out_planned, cty_path ***out_replace, size_t *out_nreplace, tf_ctx *ctx,
	const tf_resource *r, const cty_value *config, const cty_value *prior, const cty_value *proposed)
{
	fy_arena *a = ctx->arena;
	if (out_replace != NULL)
		*out_replace = NULL;
	if (out_nreplace != NULL)
		*out_nreplace = 0;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return FY_EINVALID;
	const cty_type *T = s->root->type;
	/* Destroy: the planned state is null (notes 4.2). */
	if (config == NULL || tf_is_null(config)) {
		*out_planned = cty_null(a, T);
		return FY_OK;
	}
	if (!cty_is_known(config)) {
		*out_planned = cty_unknown(a, T);
		return FY_OK;
	}
	int create = prior == NULL || tf_is_null(prior);
	if (proposed == NULL || tf_is_null(proposed)) {
		cty_value *pn = NULL;
		proposed_new(&pn, a, s, create ? NULL : prior, config);
		proposed = pn;
	}
	walk w = {.a = a, .ctx = ctx, .type_name = r->type_name, .prior_exists = !create};
	cty_value *planned = cty_copy(a, proposed);
	planned = fn_defaults(&w, s->root, planned, config, NULL, NULL);
	planned = fn_write_only(&w, s->root, planned, NULL, NULL, NULL);
	/* Only when something changes, or every no-op plan would show "(known after apply)" (notes 4.2). */
	if (create || !cty_equal(planned, prior))
		planned = fn_unknown(&w, s->root, planned, config, NULL, NULL);
	if (r->modify_plan != NULL) {
		cty_value *before = cty_copy(a, planned);
		w.prior = create ? NULL : prior;
		r->modify_plan(ctx, config, create ? NULL : prior, planned);
		planned = fn_restore(&w, s->root, planned, config, before, NULL);
		planned = fn_write_only(&w, s->root, planned, NULL, NULL, NULL);
	}
	if (!create && out_replace != NULL) {
		paths ps = {0};
		collect_replace(a, s->root, planned, prior, NULL, &ps);
		*out_replace = ps.items;
		if (out_nreplace != NULL)
			*out_nreplace = ps.n;
	}
	*out_planned = planned;
	return FY_OK;
}

/* ------------------------------------------------------------ apply / read / import / upgrade */

/* A failing operation that said nothing still has to fail visibly. The error text may quote what ARM or the
 * transport said, which can echo a registered secret: Terraform prints diagnostics, so redact it. */
static void ensure_error(tf_ctx *ctx, int rc, const char *summary)
{
	if (tf_diags_has_errors(ctx->diags))
		return;
	const fy_error *e = fy_error_last();
	tf_error(ctx, NULL, summary, "%s",
		e->message[0] ? tflog_redact(ctx->arena, e->message) : fy_error_code_str(rc ? rc : FY_ERROR));
}

/* The common tail for values a resource hands back: owned copy, write-only nulled, blocks normalized, no
 * unknowns left. */
static cty_value *finish_state(
	tf_ctx *ctx, const tf_schema *s, const cty_value *v, tf_diags *d, const char *summary, const char *what)
{
	fy_arena *a = ctx->arena;
	cty_value *st = cty_copy(a, v);
	st = tf_null_write_only(a, s->root, st);
	st = tf_normalize_blocks(a, s->root, st);
	return tf_null_unknowns(a, st, NULL, d, summary, what);
}

static int conforms(tf_ctx *ctx, const tf_schema *s, const cty_value *v, const char *op)
{
	if (cty_conform(v, s->root->type) == 0)
		return 1;
	tf_error(ctx, NULL, "Provider produced invalid object",
		"The provider produced a value of the wrong type after %s: %s. This is a bug in the provider.", op,
		fy_error_last()->message);
	return 0;
}

int tf_resource_apply(cty_value **out_new_state, tf_ctx *ctx, const tf_resource *r, const cty_value *prior,
	const cty_value *planned, const cty_value *config)
{
	fy_arena *a = ctx->arena;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL) {
		*out_new_state = prior ? cty_copy(a, prior) : NULL;
		return FY_EINVALID;
	}
	const cty_type *T = s->root->type;
	int create = prior == NULL || tf_is_null(prior);
	cty_value *prior_copy = create ? cty_null(a, T) : cty_copy(a, prior);

	if (planned == NULL || tf_is_null(planned)) {
		/* Delete: the new state is null (notes 4.5); a failed delete keeps the object in state. */
		*out_new_state = cty_null(a, T);
		if (create)
			return FY_OK;
		int rc = r->delete ? r->delete (ctx, prior) : 0;
		if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
			ensure_error(ctx, rc, "Delete failed");
			*out_new_state = prior_copy;
			return rc ? rc : FY_ERROR;
		}
		return FY_OK;
	}

	cty_value *st = NULL;
	int rc;
	if (create && r->create == NULL) {
		tf_error(ctx, NULL, "Create not supported", "The resource type %s cannot be created.", r->type_name);
		rc = FY_EINVALID;
	} else if (!create && r->update == NULL) {
		tf_error(ctx, NULL, "Update not supported",
			"The resource type %s cannot be updated in place; this is a bug in its schema (mark the changed "
			"attributes as requiring replacement).",
			r->type_name);
		rc = FY_EINVALID;
	} else if (create) {
		rc = r->create(&st, ctx, planned, config);
	} else {
		rc = r->update(&st, ctx, planned, prior, config);
	}
	const char *op = create ? "create" : "update";

	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, create ? "Create failed" : "Update failed");
		/* A failed apply still returns what exists (notes 4.5): the resource's partial state, else prior. */
		if (st != NULL && !tf_is_null(st) && cty_conform(st, T) == 0)
			*out_new_state = finish_state(ctx, s, st, NULL, NULL, NULL);
		else
			*out_new_state = prior_copy;
		return rc ? rc : FY_ERROR;
	}
	if (st == NULL || tf_is_null(st)) {
		tf_error(ctx, NULL, "Provider returned invalid result object after apply",
			"After applying a %s plan, the provider returned a null object for %s. Only destroying should "
			"produce a null value. This is a bug in the provider.",
			op, r->type_name);
		*out_new_state = prior_copy;
		return FY_ERROR;
	}
	if (!conforms(ctx, s, st, op)) {
		*out_new_state = prior_copy;
		return FY_ERROR;
	}
	walk w = {.a = a, .ctx = ctx, .type_name = r->type_name, .prior_exists = !create};
	cty_value *ns = cty_copy(a, st);
	ns = fn_consistent(&w, s->root, ns, planned, NULL, NULL);
	*out_new_state = finish_state(ctx, s, ns, ctx->diags, "Provider returned invalid result object after apply",
		"After the apply operation, the provider");
	return FY_OK;
}

int tf_resource_read(cty_value **out_new_state, tf_ctx *ctx, const tf_resource *r, const cty_value *state)
{
	fy_arena *a = ctx->arena;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL) {
		*out_new_state = state ? cty_copy(a, state) : NULL;
		return FY_EINVALID;
	}
	const cty_type *T = s->root->type;
	if (state == NULL || tf_is_null(state)) {
		*out_new_state = cty_null(a, T);
		return FY_OK;
	}
	if (r->read == NULL) {
		*out_new_state = finish_state(ctx, s, state, NULL, NULL, NULL);
		return FY_OK;
	}
	cty_value *st = NULL;
	int rc = r->read(&st, ctx, state);
	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, "Read failed");
		*out_new_state = cty_copy(a, state);
		return rc ? rc : FY_ERROR;
	}
	/* Gone: a null new_state removes it from state and the next plan creates it (notes 4.6). */
	if (st == NULL || tf_is_null(st)) {
		*out_new_state = cty_null(a, T);
		return FY_OK;
	}
	if (!conforms(ctx, s, st, "refresh")) {
		*out_new_state = cty_copy(a, state);
		return FY_ERROR;
	}
	*out_new_state = finish_state(
		ctx, s, st, ctx->diags, "Provider produced invalid object", "During refresh, the provider");
	return FY_OK;
}

int tf_resource_import(cty_value **out_state, tf_ctx *ctx, const tf_resource *r, const char *id)
{
	*out_state = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return FY_EINVALID;
	if (r->import == NULL) {
		tf_error(ctx, NULL, "Resource Import Not Implemented", "The resource type %s does not support import.",
			r->type_name);
		return FY_EINVALID;
	}
	cty_value *st = NULL;
	int rc = r->import(&st, ctx, id ? id : "");
	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, "Import failed");
		return rc ? rc : FY_ERROR;
	}
	if (st == NULL || tf_is_null(st)) {
		tf_error(ctx, NULL, "Cannot import non-existent remote object",
			"While attempting to import an existing object to %s, the provider detected that no object exists "
			"with the given id. Only pre-existing objects can be imported; check that the id is correct.",
			r->type_name);
		return FY_ENOTFOUND;
	}
	if (!conforms(ctx, s, st, "import"))
		return FY_ERROR;
	*out_state =
		finish_state(ctx, s, st, ctx->diags, "Provider produced invalid object", "After import, the provider");
	return FY_OK;
}

/* stripRemovedStateAttributes: drop object keys the current schema no longer has, at every depth the schema
 * types reach, so an attribute removed from the schema does not make the stored state undecodable. */
static int strip_removed(cJSON *node, const cty_type *t)
{
	int changed = 0;
	if (node == NULL || t == NULL)
		return 0;
	switch (cty_type_kind(t)) {
	case CTY_OBJECT:
		if (!cJSON_IsObject(node))
			return 0;
		for (cJSON *c = node->child, *next; c != NULL; c = next) {
			next = c->next;
			const cty_type *at = c->string ? cty_type_attr(t, c->string) : NULL;
			if (at == NULL) {
				cJSON_Delete(cJSON_DetachItemViaPointer(node, c));
				changed = 1;
			} else {
				changed |= strip_removed(c, at);
			}
		}
		return changed;
	case CTY_LIST:
	case CTY_SET:
		if (!cJSON_IsArray(node))
			return 0;
		for (cJSON *c = node->child; c != NULL; c = c->next)
			changed |= strip_removed(c, cty_type_elem(t));
		return changed;
	case CTY_MAP:
		if (!cJSON_IsObject(node))
			return 0;
		for (cJSON *c = node->child; c != NULL; c = c->next)
			changed |= strip_removed(c, cty_type_elem(t));
		return changed;
	case CTY_TUPLE: {
		if (!cJSON_IsArray(node))
			return 0;
		size_t i = 0;
		for (cJSON *c = node->child; c != NULL && i < cty_type_count(t); c = c->next, i++)
			changed |= strip_removed(c, cty_type_attr_type(t, i));
		return changed;
	}
	default: return 0; /* primitives; dynamic values carry their own type */
	}
}

int tf_resource_upgrade_state(
	cty_value **out_state, tf_ctx *ctx, const tf_resource *r, int64_t version, const char *json, size_t len)
{
	fy_arena *a = ctx->arena;
	*out_state = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, r->schema);
	ctx->impl = r->impl;
	if (s == NULL)
		return FY_EINVALID;
	const cty_type *T = s->root->type;
	if (version > s->def->version) {
		tf_error(ctx, NULL, "Resource instance managed by newer provider version",
			"The current state of %s was created by a newer provider version than is currently selected "
			"(state schema version %lld, this provider's is %lld). Upgrade the provider to work with this state.",
			r->type_name, (long long)version, (long long)s->def->version);
		return FY_EINVALID;
	}
	if (json == NULL || len == 0) {
		*out_state = cty_null(a, T);
		return FY_OK;
	}
	cJSON *root = cJSON_ParseWithLength(json, len);
	if (root == NULL) {
		tf_error(
			ctx, NULL, "Invalid resource state", "The stored state of %s is not valid JSON.", r->type_name);
		return FY_EINVALID;
	}
	const char *text = json;
	size_t tlen = len;
	/* Only re-serialize when something was removed: cJSON keeps numbers as doubles, and the untouched text
	 * keeps big numbers exact (notes 3.3, 3.7). */
	if (strip_removed(root, T)) {
		char *printed = cJSON_PrintUnformatted(root);
		if (printed == NULL) {
			cJSON_Delete(root);
			fy_oom();
		}
		tlen = strlen(printed);
		text = fy_arena_memdup(a, printed, tlen);
		cJSON_free(printed);
	}
	cJSON_Delete(root);
	cty_value *v = NULL;
	if (cty_json_decode(&v, a, T, text, tlen) != 0) {
		tf_error(ctx, NULL, "Invalid resource state", "The stored state of %s could not be decoded: %s",
			r->type_name, fy_error_last()->message);
		return FY_EINVALID;
	}
	*out_state = finish_state(ctx, s, v, ctx->diags, "Invalid resource state upgrade", "The upgraded state");
	return FY_OK;
}

int tf_data_source_read(cty_value **out_state, tf_ctx *ctx, const tf_data_source *ds, const cty_value *config)
{
	*out_state = NULL;
	const tf_schema *s = tf_ctx_schema_for(ctx, ds->schema);
	ctx->impl = ds->impl;
	if (s == NULL)
		return FY_EINVALID;
	if (ds->read == NULL) {
		tf_error(ctx, NULL, "Data source not implemented", "The data source %s cannot be read.", ds->type_name);
		return FY_EINVALID;
	}
	cty_value *st = NULL;
	int rc = ds->read(&st, ctx, config);
	if (rc < 0 || tf_diags_has_errors(ctx->diags)) {
		ensure_error(ctx, rc, "Read failed");
		return rc ? rc : FY_ERROR;
	}
	if (st == NULL || tf_is_null(st)) {
		tf_error(ctx, NULL, "Provider produced null object",
			"The provider produced a null value for data source %s. This is a bug in the provider.",
			ds->type_name);
		return FY_ERROR;
	}
	if (!conforms(ctx, s, st, "read"))
		return FY_ERROR;
	*out_state = finish_state(ctx, s, st, ctx->diags, "Provider produced invalid object",
		"After reading the data source, the provider");
	return FY_OK;
}
