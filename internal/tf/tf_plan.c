/*
 * Planning, done once from the schema (docs/internals/protocol.md): defaults, computed-unknown marking, write-only
 * nulling, the provider's modify_plan with the rules it may not break, and RequiresReplace.
 *
 * Values coming from a resource or from ProposedNew may share subtrees with the request; every rule that edits a
 * value first takes a deep copy (cty_copy) in the call's arena, then edits that copy in place.
 */
#include "tf_internal.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "../log/tflog.h"

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
	return cty_is_set(c) ? c : NULL;
}

/* Set elements are correlated the way ProposedNew does it: equal once computed attributes are nulled. */
static const cty_value *set_match(fy_arena *a, const tf_cobj *o, const cty_value *e, const cty_value *comp, char *used)
{
	if (comp == NULL || !cty_is_set(e))
		return NULL;
	cty_value *ce = tf_computed_as_null(a, o, e);
	size_t n = cty_length(comp);
	for (size_t j = 0; j < n; j++) {
		if (used[j])
			continue;
		if (cty_equal(ce, tf_computed_as_null(a, o, cty_index(comp, j)))) {
			used[j] = 1;
			return cty_index(comp, j);
		}
	}
	return NULL;
}

static cty_value *walk_nested(walk *w, tf_nesting nesting, const tf_cobj *o, cty_value *v, const cty_value *c0,
	const cty_value *c1, const cty_path *path, obj_fn fn)
{
	if (!cty_is_set(v))
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
			/* Set elements have no path step (docs/internals/protocol.md 4.4): keep the set's own path. */
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
	if (!cty_is_set(obj))
		return obj;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *pv = cty_get_attr(obj, at->name);
		const cty_value *cv = cfg ? cty_get_attr(cfg, at->name) : pv;
		if (at->dflt != NULL && tf_is_null(cv)) {
			/* Defaults live in the long-lived schema arena, shared by every thread: hand out a copy. */
			cty_object_set(obj, at->name, cty_copy(w->a, at->dflt));
		} else if (at->nested != NULL && cty_is_set(cv)) {
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
	if (!cty_is_set(obj))
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
		} else if (at->nested != NULL && cty_is_set(cv)) {
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
	if (!cty_is_set(obj))
		return obj;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		cty_value *v = cty_get_attr(obj, at->name);
		if (at->flags & TF_WRITE_ONLY) {
			/* Never in plan or state (docs/internals/protocol.md 4.3: "planned value for write-only
			 * attribute is not null"). */
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
	if (!cty_is_set(obj))
		return obj;
	for (size_t i = 0; i < o->nblocks; i++) {
		const tf_cblocktype *bt = &o->blocks[i];
		cty_value *v = cty_get_attr(obj, bt->name);
		/* LIST/SET/MAP blocks are never null on the wire (docs/internals/protocol.md 3.1, plan_valid.go:88). */
		if (bt->nesting != TF_NEST_SINGLE && v != NULL && tf_is_null(v))
			cty_object_set(obj, bt->name, tf_empty_collection(w->a, bt->nesting, bt->obj));
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
	if (!cty_is_set(obj) || cfg == NULL || pre == NULL)
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
		 * (partly) unknown: it must stay unknown (docs/internals/protocol.md 4.3), or the final plan at
		 * apply may contradict it. */
		if (path == NULL && w->prior != NULL && !tf_is_null(cv) && cty_is_wholly_known(cv) && cty_is_set(cur) &&
			cty_equal(cur, cty_get_attr(w->prior, name)))
			continue;
		const cty_path *p = cty_path_attr(w->a, path, name);
		if (inner != NULL && cty_is_set(cur) && cty_is_set(prev) &&
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

/* Apply: every known planned value must come back unchanged (docs/internals/protocol.md 4.5,
 * objchange.AssertObjectCompatible).
 * Where the resource returned something else, the planned value wins and the bug goes to the log. */
static cty_value *fn_consistent(
	walk *w, const tf_cobj *o, cty_value *obj, const cty_value *planned, const cty_value *c1, const cty_path *path)
{
	(void)c1;
	if (!cty_is_set(obj) || planned == NULL)
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
		} else if (inner != NULL && cty_is_set(sv)) {
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
	if (!cty_is_set(pv))
		return;
	for (size_t i = 0; i < cty_length(pv); i++) {
		const cty_value *pe = cty_index(pv, i), *qe = NULL;
		const cty_path *ep;
		if (nesting == TF_NEST_MAP) {
			ep = cty_path_key(a, p, cty_map_key(pv, i));
			qe = cty_is_set(qv) ? cty_map_get(qv, cty_map_key(pv, i)) : NULL;
		} else {
			ep = cty_path_index(a, p, (int64_t)i);
			qe = cty_is_set(qv) && i < cty_length(qv) ? cty_index(qv, i) : NULL;
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
	/* Destroy: the planned state is null (docs/internals/protocol.md 4.2). */
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
		tf_proposed_new_from(&pn, a, s, create ? NULL : prior, config);
		proposed = pn;
	}
	walk w = {.a = a, .ctx = ctx, .type_name = r->type_name, .prior_exists = !create};
	cty_value *planned = cty_copy(a, proposed);
	planned = fn_defaults(&w, s->root, planned, config, NULL, NULL);
	planned = fn_write_only(&w, s->root, planned, NULL, NULL, NULL);
	/* Only when something changes, or every no-op plan would show "(known after apply)"
	 * (docs/internals/protocol.md 4.2). */
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

cty_value *tf_consistent_with_plan(tf_ctx *ctx, const tf_cobj *root, const char *type_name, int prior_exists,
	cty_value *new_state, const cty_value *planned)
{
	walk w = {.a = ctx->arena, .ctx = ctx, .type_name = type_name, .prior_exists = prior_exists};
	return fn_consistent(&w, root, new_state, planned, NULL, NULL);
}
