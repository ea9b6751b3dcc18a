/*
 * The server's life: compiling the provider's catalog once at start-up (refusing, with a message, one that is
 * inconsistent), the cached GetProviderSchema answer, registration with the RPC layer, and release.
 */
#include "tf_server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rpc/rpc.h"

static const tf_block tf_empty_block = {0};

static size_t count(const void *const *list)
{
	size_t n = 0;
	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

/* A declared name: present, unique among the names of its kind so far, and prefixed "<provider>_". */
static int check_name(const tf_provider *p, const char *kind, size_t i, const char *name, const char *const *seen)
{
	if (name == NULL || name[0] == '\0')
		return fy_error_set(FY_EINVALID, "%s #%zu has no type name", kind, i);
	size_t pl = p->name != NULL ? strlen(p->name) : 0;
	if (pl > 0 && (strncmp(name, p->name, pl) != 0 || name[pl] != '_'))
		return fy_error_set(FY_EINVALID, "%s \"%s\": its name must start with \"%s_\"", kind, name, p->name);
	for (size_t k = 0; k < i; k++)
		if (strcmp(seen[k], name) == 0)
			return fy_error_set(FY_EINVALID, "%s \"%s\" is declared twice", kind, name);
	return FY_OK;
}

static int need_op(const void *op, const char *kind, const char *name, const char *what)
{
	return op != NULL ? FY_OK : fy_error_set(FY_EINVALID, "%s \"%s\" declares no %s operation", kind, name, what);
}

/* An identity names string attributes of the resource's own schema and comes with an import. */
static int check_identity(const tf_resource *r, const tf_schema *s)
{
	if (r->identity == NULL)
		return FY_OK;
	if (r->import == NULL || r->identity->import_id == NULL)
		return fy_error_set(FY_EINVALID, "resource \"%s\" declares an identity but no import", r->type_name);
	for (const tf_identity_attr *ia = r->identity->attrs; ia != NULL && ia->name != NULL; ia++) {
		int k = cty_type_attr_index(s->root->type, ia->name);
		if (k < 0 || cty_type_kind(cty_type_attr_type(s->root->type, (size_t)k)) != CTY_STRING)
			return fy_error_set(FY_EINVALID,
				"resource \"%s\": identity attribute \"%s\" is not a string attribute of its schema",
				r->type_name, ia->name);
	}
	return FY_OK;
}

/*
 * Every declaration compiled and checked once; the first inconsistency stops the provider at start-up with a
 * message (a provider with a half-registered resource must not start).
 */
static int compile_catalog(struct tf_server *srv, fy_arena *a)
{
	const tf_provider *p = srv->p;
	srv->nres = count((const void *const *)p->resources);
	srv->nds = count((const void *const *)p->data_sources);
	srv->neph = count((const void *const *)p->ephemeral_resources);
	srv->nlst = count((const void *const *)p->list_resources);
	srv->lst = fy_arena_alloc(a, (srv->nlst + 1) * sizeof(*srv->lst));
	srv->res = fy_arena_alloc(a, (srv->nres + 1) * sizeof(*srv->res));
	srv->ds = fy_arena_alloc(a, (srv->nds + 1) * sizeof(*srv->ds));
	srv->eph = fy_arena_alloc(a, (srv->neph + 1) * sizeof(*srv->eph));
	const char **seen = fy_arena_alloc(a, (srv->nres + srv->nds + srv->neph + 1) * sizeof(*seen));
	int rc = FY_OK;
	for (size_t i = 0; rc == 0 && i < srv->nres; i++) {
		const tf_resource *r = p->resources[i];
		srv->res[i].r = r;
		rc = check_name(p, "resource", i, r->type_name, seen);
		if (rc == 0)
			rc = need_op(r->schema, "resource", r->type_name, "schema");
		if (rc == 0)
			rc = tf_schema_compile(
				&srv->res[i].s, a, r->schema, 1, fy_arena_sprintf(a, "resource \"%s\"", r->type_name));
		if (rc == 0)
			rc = need_op((const void *)r->create, "resource", r->type_name, "create");
		if (rc == 0)
			rc = need_op((const void *)r->read, "resource", r->type_name, "read");
		if (rc == 0)
			rc = need_op((const void *)r->delete, "resource", r->type_name, "delete");
		if (rc == 0)
			rc = check_identity(r, srv->res[i].s);
		seen[i] = r->type_name;
	}
	for (size_t i = 0; rc == 0 && i < srv->nds; i++) {
		const tf_data_source *d = p->data_sources[i];
		srv->ds[i].d = d;
		rc = check_name(p, "data source", i, d->type_name, seen + srv->nres);
		if (rc == 0)
			rc = need_op(tf_data_source_schema(d), "data source", d->type_name, "schema");
		if (rc == 0)
			rc = need_op((const void *)d->read, "data source", d->type_name, "read");
		if (rc == 0)
			rc = tf_schema_compile(&srv->ds[i].s, a, tf_data_source_schema(d), 1,
				fy_arena_sprintf(a, "data source \"%s\"", d->type_name));
		seen[srv->nres + i] = d->type_name;
	}
	for (size_t i = 0; rc == 0 && i < srv->neph; i++) {
		const tf_ephemeral_resource *e = p->ephemeral_resources[i];
		const char **eseen = seen + srv->nres + srv->nds;
		srv->eph[i].e = e;
		rc = check_name(p, "ephemeral resource", i, e->type_name, eseen);
		if (rc == 0)
			rc = need_op(e->schema, "ephemeral resource", e->type_name, "schema");
		if (rc == 0)
			rc = need_op((const void *)e->open, "ephemeral resource", e->type_name, "open");
		if (rc == 0)
			rc = tf_schema_compile(&srv->eph[i].s, a, e->schema, 1,
				fy_arena_sprintf(a, "ephemeral resource \"%s\"", e->type_name));
		eseen[i] = e->type_name;
	}
	const char **lseen = fy_arena_alloc(a, (srv->nlst + 1) * sizeof(*lseen));
	for (size_t i = 0; rc == 0 && i < srv->nlst; i++) {
		const tf_list_resource *l = p->list_resources[i];
		srv->lst[i].l = l;
		rc = check_name(p, "list resource", i, l->type_name, lseen);
		if (rc == 0)
			rc = need_op(l->schema, "list resource", l->type_name, "schema");
		if (rc == 0)
			rc = need_op((const void *)l->list, "list resource", l->type_name, "list");
		for (size_t k = 0; rc == 0 && k < srv->nres && srv->lst[i].res == NULL; k++)
			if (strcmp(srv->res[k].r->type_name, l->type_name) == 0)
				srv->lst[i].res = &srv->res[k];
		if (rc == 0 && (srv->lst[i].res == NULL || srv->lst[i].res->r->identity == NULL))
			rc = fy_error_set(FY_EINVALID,
				"list resource \"%s\" lists no managed resource of that name that declares an identity",
				l->type_name);
		if (rc == 0)
			rc = tf_schema_compile(&srv->lst[i].s, a, l->schema, 1,
				fy_arena_sprintf(a, "list resource \"%s\"", l->type_name));
		lseen[i] = l->type_name;
	}
	for (size_t i = 0; rc == 0 && p->functions != NULL && p->functions[i] != NULL; i++) {
		const tf_function *f = p->functions[i];
		if (f->name == NULL || f->call == NULL || f->return_type == NULL)
			return fy_error_set(
				FY_EINVALID, "function #%zu: a name, a return type and a call are needed", i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->functions[k]->name, f->name) == 0)
				return fy_error_set(FY_EINVALID, "function \"%s\" is declared twice", f->name);
	}
	return rc;
}
/* ------------------------------------------------------------------ lifecycle */

static int build_schema_response(struct tf_server *srv)
{
	fy_arena *a = NULL;
	if (fy_arena_new(&a) < 0)
		return fy_error_set(FY_ENOMEM, "out of memory");
	Tfplugin6__GetProviderSchema__Response resp;
	tfplugin6__get_provider_schema__response__init(&resp);
	/* Every Schema has a block, provider_meta is never sent (docs/internals/protocol.md 1.4, 4.2). */
	resp.provider = tf_schema_to_proto(a, srv->pschema);
	resp.n_resource_schemas = srv->nres;
	resp.resource_schemas = fy_arena_alloc(a, (srv->nres + 1) * sizeof(*resp.resource_schemas));
	for (size_t i = 0; i < srv->nres; i++) {
		Tfplugin6__GetProviderSchema__Response__ResourceSchemasEntry *en = fy_arena_alloc(a, sizeof(*en));
		tfplugin6__get_provider_schema__response__resource_schemas_entry__init(en);
		en->key = (char *)srv->res[i].r->type_name;
		en->value = tf_schema_to_proto(a, srv->res[i].s);
		resp.resource_schemas[i] = en;
	}
	resp.n_data_source_schemas = srv->nds;
	resp.data_source_schemas = fy_arena_alloc(a, (srv->nds + 1) * sizeof(*resp.data_source_schemas));
	for (size_t i = 0; i < srv->nds; i++) {
		Tfplugin6__GetProviderSchema__Response__DataSourceSchemasEntry *en = fy_arena_alloc(a, sizeof(*en));
		tfplugin6__get_provider_schema__response__data_source_schemas_entry__init(en);
		en->key = (char *)srv->ds[i].d->type_name;
		en->value = tf_schema_to_proto(a, srv->ds[i].s);
		resp.data_source_schemas[i] = en;
	}
	resp.n_ephemeral_resource_schemas = srv->neph;
	resp.ephemeral_resource_schemas = fy_arena_alloc(a, (srv->neph + 1) * sizeof(*resp.ephemeral_resource_schemas));
	for (size_t i = 0; i < srv->neph; i++) {
		Tfplugin6__GetProviderSchema__Response__EphemeralResourceSchemasEntry *en =
			fy_arena_alloc(a, sizeof(*en));
		tfplugin6__get_provider_schema__response__ephemeral_resource_schemas_entry__init(en);
		en->key = (char *)srv->eph[i].e->type_name;
		en->value = tf_schema_to_proto(a, srv->eph[i].s);
		resp.ephemeral_resource_schemas[i] = en;
	}
	resp.n_list_resource_schemas = srv->nlst;
	resp.list_resource_schemas = fy_arena_alloc(a, (srv->nlst + 1) * sizeof(*resp.list_resource_schemas));
	for (size_t i = 0; i < srv->nlst; i++) {
		Tfplugin6__GetProviderSchema__Response__ListResourceSchemasEntry *en = fy_arena_alloc(a, sizeof(*en));
		tfplugin6__get_provider_schema__response__list_resource_schemas_entry__init(en);
		en->key = (char *)srv->lst[i].l->type_name;
		en->value = tf_schema_to_proto(a, srv->lst[i].s);
		resp.list_resource_schemas[i] = en;
	}
	resp.n_functions = tf_functions_count(srv->p->functions);
	resp.functions = tf_functions_to_proto(a, srv->p->functions, 1);
	resp.server_capabilities = tf_capabilities(a, srv->p);
	size_t len = protobuf_c_message_get_packed_size(&resp.base);
	srv->schema_resp = malloc(len ? len : 1);
	if (srv->schema_resp == NULL)
		fy_oom();
	srv->schema_resp_len = protobuf_c_message_pack(&resp.base, srv->schema_resp);
	fy_arena_free(a);
	return FY_OK;
}

int tf_server_new(tf_server **out, const tf_provider *provider)
{
	if (provider == NULL)
		return fy_error_set(FY_EINVALID, "tf_server_new: no provider");
	struct tf_server *srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory");
	srv->p = provider;
	pthread_rwlock_init(&srv->data_lock, NULL);
	pthread_mutex_init(&srv->version_lock, NULL);
	atomic_init(&srv->stop_gen, 0);
	int rc = fy_arena_new(&srv->arena);
	if (rc < 0) {
		tf_server_free(srv);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	fy_arena *a = srv->arena;
	rc = tf_schema_compile(&srv->pschema, a, provider->schema ? provider->schema : &tf_empty_block, 1,
		fy_arena_sprintf(a, "provider \"%s\"", provider->name ? provider->name : ""));
	if (rc == 0)
		rc = compile_catalog(srv, a);
	if (rc == 0)
		rc = build_schema_response(srv);
	if (rc < 0) {
		/* Keep the message: tf_server_free must not overwrite it. */
		tf_server_free(srv);
		return rc;
	}
	srv->bindings = fy_arena_alloc(a, tf_nmethods * sizeof(*srv->bindings));
	for (size_t i = 0; i < tf_nmethods; i++) {
		srv->bindings[i].srv = srv;
		srv->bindings[i].m = &tf_methods[i];
	}
	*out = srv;
	return FY_OK;
}

void tf_server_free(tf_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->data != NULL && srv->p->data_free != NULL)
		srv->p->data_free(srv->data);
	tf_schema_release(srv->pschema);
	for (size_t i = 0; srv->res != NULL && i < srv->nres; i++)
		tf_schema_release(srv->res[i].s);
	for (size_t i = 0; srv->ds != NULL && i < srv->nds; i++)
		tf_schema_release(srv->ds[i].s);
	for (size_t i = 0; srv->eph != NULL && i < srv->neph; i++)
		tf_schema_release(srv->eph[i].s);
	for (size_t i = 0; srv->lst != NULL && i < srv->nlst; i++)
		tf_schema_release(srv->lst[i].s);
	free(srv->schema_resp);
	free(srv->tf_version);
	pthread_rwlock_destroy(&srv->data_lock);
	pthread_mutex_destroy(&srv->version_lock);
	fy_arena_free(srv->arena);
	free(srv);
}

int tf_server_register(tf_server *srv, struct rpc_registry *reg)
{
	char path[128];
	for (size_t i = 0; i < tf_nmethods; i++) {
		snprintf(path, sizeof(path), "/tfplugin6.Provider/%s", tf_methods[i].name);
		int rc = rpc_register_unary(reg, path, tf_dispatch, &srv->bindings[i]);
		if (rc < 0)
			return rc;
	}
	return rpc_register_server_stream(reg, "/tfplugin6.Provider/ListResource", tf_list_resource_stream, srv);
}