/*
 * The tfplugin6.Provider service: one handler per unary RPC of protocol 6.11 (docs/internals/protocol.md 1.2),
 * registered with the
 * RPC layer as "/tfplugin6.Provider/<Name>".
 *
 * Each call: unpack the request into the call's arena (protobuf-c with an arena allocator), run the handler
 * with a tf_ctx, attach the diagnostics, pack. Business problems are diagnostics in an OK response; only a
 * request protobuf cannot decode is a gRPC status (docs/internals/protocol.md 1.3: any status is shown as "Plugin
 * error").
 *
 * Shared state: the compiled schemas and the cached GetProviderSchema response are read-only after
 * tf_server_new. The configured provider data is guarded by a rwlock: calls that may use it hold it shared
 * for their whole run, ConfigureProvider swaps it exclusively, so a second configure never frees data that a
 * running call still uses. StopProvider bumps an atomic generation that tf_ctx_stopped compares.
 */
#include "tf_server_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../log/tflog.h"
#include "../rpc/rpc.h"

/* ------------------------------------------------------------------ helpers */

void *tf_pb_alloc(void *data, size_t size)
{
	return fy_arena_alloc(data, size);
}

void tf_pb_free(void *data, void *p)
{
	/* Arena memory goes when the call's arena is dropped. */
	(void)data;
	(void)p;
}

int tf_ctx_stopped(tf_ctx *ctx)
{
	if (ctx->srv == NULL)
		return 0;
	return atomic_load(&ctx->srv->stop_gen) != ctx->stop_gen;
}

static const tf_rentry *find_resource(struct tf_server *srv, const char *name)
{
	for (size_t i = 0; name != NULL && i < srv->nres; i++)
		if (strcmp(srv->res[i].r->type_name, name) == 0)
			return &srv->res[i];
	return NULL;
}

static const tf_dentry *find_data_source(struct tf_server *srv, const char *name)
{
	for (size_t i = 0; name != NULL && i < srv->nds; i++)
		if (strcmp(srv->ds[i].d->type_name, name) == 0)
			return &srv->ds[i];
	return NULL;
}

/* An unknown type_name is a diagnostic, not a transport error. Returns 0 when found (and sets the call's schema). */
int tf_need_type(tf_call *c, const tf_schema *s, const char *summary, const char *kind, const char *name)
{
	if (s != NULL) {
		c->ctx->schema = s;
		return 0;
	}
	tf_error(c->ctx, NULL, summary, "The provider %s does not support %s \"%s\".",
		c->srv->p->name ? c->srv->p->name : "", kind, name ? name : "");
	return FY_ENOTFOUND;
}

static const tf_rentry *need_resource(tf_call *c, const char *name)
{
	const tf_rentry *e = find_resource(c->srv, name);
	return tf_need_type(c, e ? e->s : NULL, "Unknown resource type", "resource type", name) == 0 ? e : NULL;
}

static const tf_dentry *need_data_source(tf_call *c, const char *name)
{
	const tf_dentry *e = find_data_source(c->srv, name);
	return tf_need_type(c, e ? e->s : NULL, "Unknown data source", "data source", name) == 0 ? e : NULL;
}

/* Every string under a value (a secret attribute may be a string, a map of strings, or an object). */
static void register_secret_leaves(const cty_value *v)
{
	if (v == NULL || !cty_is_known(v) || cty_is_null(v))
		return;
	switch (cty_type_kind(cty_value_type(v))) {
	case CTY_STRING: tflog_add_secret(cty_as_string(v, NULL)); return;
	case CTY_LIST:
	case CTY_SET:
	case CTY_MAP:
	case CTY_OBJECT:
	case CTY_TUPLE:
		for (size_t i = 0; i < cty_length(v); i++)
			register_secret_leaves(cty_index(v, i));
		return;
	default: return;
	}
}

/*
 * Secrets are never logged, by any route (a request body echoed at DEBUG, an ARM error message quoting
 * a header): every value the user gives a sensitive or write-only attribute is registered with tflog's
 * redaction as soon as it is decoded. Computed-only sensitive attributes (values the provider derives,
 * such as a metadata map that also holds "true") are left out: their secret parts come from user-set
 * attributes already, and registering "true" would redact half of every log line.
 */
void tf_register_secrets(const tf_cobj *o, const cty_value *obj)
{
	if (o == NULL || obj == NULL || !cty_is_known(obj) || cty_is_null(obj))
		return;
	for (size_t i = 0; i < o->nattrs; i++) {
		const tf_cattr *at = &o->attrs[i];
		const cty_value *v = cty_get_attr(obj, at->name);
		if (v == NULL || !cty_is_known(v) || cty_is_null(v))
			continue;
		if ((at->flags & (TF_SENSITIVE | TF_WRITE_ONLY)) && (at->flags & (TF_OPTIONAL | TF_REQUIRED))) {
			register_secret_leaves(v);
			continue;
		}
		if (at->nested == NULL)
			continue;
		if (at->nesting == TF_NEST_SINGLE)
			tf_register_secrets(at->nested, v);
		else
			for (size_t k = 0; k < cty_length(v); k++)
				tf_register_secrets(at->nested, cty_index(v, k));
	}
	for (size_t i = 0; i < o->nblocks; i++) {
		const cty_value *v = cty_get_attr(obj, o->blocks[i].name);
		if (v == NULL || !cty_is_known(v) || cty_is_null(v))
			continue;
		if (o->blocks[i].nesting == TF_NEST_SINGLE)
			tf_register_secrets(o->blocks[i].obj, v);
		else
			for (size_t k = 0; k < cty_length(v); k++)
				tf_register_secrets(o->blocks[i].obj, cty_index(v, k));
	}
}

/* DynamicValue (docs/internals/protocol.md 3.1): msgpack if non-empty, else JSON if non-empty, else null. */
int tf_dv_decode(tf_call *c, cty_value **out, const tf_schema *s, const Tfplugin6__DynamicValue *dv, const char *what)
{
	const cty_type *T = s->root->type;
	int rc = 0;
	if (dv != NULL && dv->msgpack.len > 0)
		rc = cty_msgpack_decode(out, c->a, T, dv->msgpack.data, dv->msgpack.len);
	else if (dv != NULL && dv->json.len > 0)
		rc = cty_json_decode(out, c->a, T, (const char *)dv->json.data, dv->json.len);
	else
		*out = cty_null(c->a, T);
	if (rc < 0) {
		tf_error(c->ctx, NULL, "Invalid value", "The %s value sent by Terraform could not be decoded: %s", what,
			fy_error_last()->message);
		*out = NULL;
		return rc;
	}
	tf_register_secrets(s->root, *out);
	return rc;
}

/* Responses are always msgpack (docs/internals/protocol.md 3.1). NULL on failure, with an error diagnostic. */
Tfplugin6__DynamicValue *tf_dv_encode(tf_call *c, const cty_value *v, const tf_schema *s, const char *what)
{
	const cty_type *T = s->root->type;
	if (v == NULL)
		v = cty_null(c->a, T);
	void *buf = NULL;
	size_t len = 0;
	if (cty_msgpack_encode(&buf, &len, c->a, v, T) < 0) {
		tf_error(c->ctx, NULL, "Provider produced invalid object",
			"The %s value could not be encoded: %s. This is a bug in the provider.", what,
			fy_error_last()->message);
		return NULL;
	}
	Tfplugin6__DynamicValue *dv = fy_arena_alloc(c->a, sizeof(*dv));
	tfplugin6__dynamic_value__init(dv);
	dv->msgpack.data = buf;
	dv->msgpack.len = len;
	return dv;
}

Tfplugin6__ServerCapabilities *tf_capabilities(fy_arena *a, const tf_provider *p)
{
	Tfplugin6__ServerCapabilities *sc = fy_arena_alloc(a, sizeof(*sc));
	tfplugin6__server_capabilities__init(sc);
	/* Destroy plans are Terraform's (planned null), GetProviderSchema is always called, no GenerateResourceConfig
	 * (docs/internals/protocol.md 1.3). MoveResourceState when a resource declares a move: without the capability
	 * the CLIs refuse a moved {} across types before asking. */
	int moves = 0;
	for (size_t i = 0; p->resources && p->resources[i]; i++)
		moves |= p->resources[i]->move != NULL;
	sc->plan_destroy = 0;
	sc->get_provider_schema_optional = 0;
	sc->move_resource_state = moves;
	sc->generate_resource_config = 0;
	return sc;
}

/* Terraform < 1.11 does not know write-only attributes and would keep their values in plan and state. */
static int find_write_only(
	fy_arena *a, const tf_cobj *o, const cty_value *obj, const cty_path *path, const cty_path **found)
{
	if (obj == NULL || !cty_is_known(obj) || cty_is_null(obj))
		return 0;
	for (size_t i = 0; i < o->nattrs + o->nblocks; i++) {
		const tf_cattr *at = i < o->nattrs ? &o->attrs[i] : NULL;
		const char *name = at ? at->name : o->blocks[i - o->nattrs].name;
		const tf_cobj *inner = at ? at->nested : o->blocks[i - o->nattrs].obj;
		tf_nesting nesting = at ? at->nesting : o->blocks[i - o->nattrs].nesting;
		const cty_value *v = cty_get_attr(obj, name);
		const cty_path *p = cty_path_attr(a, path, name);
		if (at != NULL && (at->flags & TF_WRITE_ONLY)) {
			if (!tf_is_null(v)) {
				*found = p;
				return 1;
			}
			continue;
		}
		if (inner == NULL || v == NULL || !cty_is_known(v) || cty_is_null(v))
			continue;
		if (nesting == TF_NEST_SINGLE) {
			if (find_write_only(a, inner, v, p, found))
				return 1;
			continue;
		}
		for (size_t k = 0; k < cty_length(v); k++)
			if (find_write_only(a, inner, cty_index(v, k), p, found))
				return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ handlers */

static int h_get_metadata(tf_call *c, const void *rq, void *rs)
{
	(void)rq;
	Tfplugin6__GetMetadata__Response *resp = rs;
	struct tf_server *srv = c->srv;
	resp->server_capabilities = tf_capabilities(c->a, c->srv->p);
	resp->n_resources = srv->nres;
	resp->resources = fy_arena_alloc(c->a, (srv->nres + 1) * sizeof(*resp->resources));
	for (size_t i = 0; i < srv->nres; i++) {
		Tfplugin6__GetMetadata__ResourceMetadata *m = fy_arena_alloc(c->a, sizeof(*m));
		tfplugin6__get_metadata__resource_metadata__init(m);
		m->type_name = (char *)srv->res[i].r->type_name;
		resp->resources[i] = m;
	}
	resp->n_data_sources = srv->nds;
	resp->data_sources = fy_arena_alloc(c->a, (srv->nds + 1) * sizeof(*resp->data_sources));
	for (size_t i = 0; i < srv->nds; i++) {
		Tfplugin6__GetMetadata__DataSourceMetadata *m = fy_arena_alloc(c->a, sizeof(*m));
		tfplugin6__get_metadata__data_source_metadata__init(m);
		m->type_name = (char *)srv->ds[i].d->type_name;
		resp->data_sources[i] = m;
	}
	resp->n_list_resources = srv->nlst;
	resp->list_resources = fy_arena_alloc(c->a, (srv->nlst + 1) * sizeof(*resp->list_resources));
	for (size_t i = 0; i < srv->nlst; i++) {
		Tfplugin6__GetMetadata__ListResourceMetadata *m = fy_arena_alloc(c->a, sizeof(*m));
		tfplugin6__get_metadata__list_resource_metadata__init(m);
		m->type_name = (char *)srv->lst[i].l->type_name;
		resp->list_resources[i] = m;
	}
	resp->n_ephemeral_resources = srv->neph;
	resp->ephemeral_resources = fy_arena_alloc(c->a, (srv->neph + 1) * sizeof(*resp->ephemeral_resources));
	for (size_t i = 0; i < srv->neph; i++) {
		Tfplugin6__GetMetadata__EphemeralMetadata *m = fy_arena_alloc(c->a, sizeof(*m));
		tfplugin6__get_metadata__ephemeral_metadata__init(m);
		m->type_name = (char *)srv->eph[i].e->type_name;
		resp->ephemeral_resources[i] = m;
	}
	return RPC_OK;
}

static int h_get_provider_schema(tf_call *c, const void *rq, void *rs)
{
	(void)rq;
	(void)rs;
	/* Built once in tf_server_new; Terraform asks for it in every provider process (docs/internals/protocol.md
	 * 1.3). */
	c->raw = c->srv->schema_resp;
	c->raw_len = c->srv->schema_resp_len;
	return RPC_OK;
}

static int h_validate_provider_config(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__ValidateProviderConfig__Request *req = rq;
	c->ctx->schema = c->srv->pschema;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, c->srv->pschema, req->config, "provider configuration") < 0)
		return RPC_OK;
	tf_validate_config(c->ctx, c->srv->pschema, config);
	if (c->srv->p->validate != NULL && cty_is_set(config))
		c->srv->p->validate(c->ctx, config);
	return RPC_OK;
}

static int h_validate_resource_config(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__ValidateResourceConfig__Request *req = rq;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	const cty_path *wo = NULL;
	if ((req->client_capabilities == NULL || !req->client_capabilities->write_only_attributes_allowed) &&
		find_write_only(c->a, e->s->root, config, NULL, &wo)) {
		/* Same rule and wording as terraform-plugin-framework. */
		tf_error(c->ctx, wo, "Write-only Attribute Not Allowed",
			"The resource contains a non-null value for write-only attribute \"%s\". Write-only attributes are "
			"only supported in Terraform 1.11 and later.",
			cty_path_string(c->a, wo));
	}
	tf_resource_validate(c->ctx, e->r, config);
	return RPC_OK;
}

static int h_validate_data_resource_config(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__ValidateDataResourceConfig__Request *req = rq;
	const tf_dentry *e = need_data_source(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	if (e->s->def->deprecation != NULL)
		tf_warning(c->ctx, NULL, "Deprecated Data Source", "%s", e->s->def->deprecation);
	tf_validate_config(c->ctx, e->s, config);
	if (e->d->validate != NULL && cty_is_set(config))
		e->d->validate(c->ctx, config);
	return RPC_OK;
}

static int h_upgrade_resource_state(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__UpgradeResourceState__Request *req = rq;
	Tfplugin6__UpgradeResourceState__Response *resp = rs;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	const Tfplugin6__RawState *raw = req->raw_state;
	if (raw != NULL && raw->json.len == 0 && raw->n_flatmap > 0) {
		/* Terraform sends flatmap only for state last written by Terraform < 0.12
		 * (docs/internals/protocol.md 3.7). */
		tf_error(c->ctx, NULL, "Unsupported state format",
			"The state of this %s was last written by Terraform older than 0.12 (flatmap format), which this "
			"provider does not support. Upgrade the state with Terraform 0.12-0.15 first, or import the object "
			"again.",
			e->r->type_name);
		return RPC_OK;
	}
	cty_value *st = NULL;
	tf_resource_upgrade_state(
		&st, c->ctx, e->r, req->version, raw ? (const char *)raw->json.data : NULL, raw ? raw->json.len : 0);
	if (st != NULL)
		resp->upgraded_state = tf_dv_encode(c, st, e->s, "upgraded state");
	return RPC_OK;
}

static int h_get_resource_identity_schemas(tf_call *c, const void *rq, void *rs)
{
	/* Terraform calls this after every GetProviderSchema and fails the load on any error
	 * (docs/internals/protocol.md
	 * 1.3); resources without a declared identity are simply absent. */
	(void)rq;
	Tfplugin6__GetResourceIdentitySchemas__Response *resp = rs;
	const tf_resource **res = fy_arena_alloc(c->a, (c->srv->nres + 1) * sizeof(*res));
	for (size_t i = 0; i < c->srv->nres; i++)
		res[i] = c->srv->res[i].r;
	resp->identity_schemas = tf_identity_schemas_to_proto(c->a, res, c->srv->nres, &resp->n_identity_schemas);
	return RPC_OK;
}

static int h_upgrade_resource_identity(tf_call *c, const void *rq, void *rs)
{
	/* Every identity is at version 0: what is stored is current, and goes back as it came. */
	const Tfplugin6__UpgradeResourceIdentity__Request *req = rq;
	Tfplugin6__UpgradeResourceIdentity__Response *resp = rs;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	if (e->r->identity == NULL) {
		tf_error(c->ctx, NULL, "Resource identity not supported", "%s has no identity.", e->r->type_name);
		return RPC_OK;
	}
	char *id = NULL;
	Tfplugin6__ResourceIdentityData d = TFPLUGIN6__RESOURCE_IDENTITY_DATA__INIT;
	Tfplugin6__DynamicValue dv = TFPLUGIN6__DYNAMIC_VALUE__INIT;
	if (req->raw_identity) {
		dv.json = req->raw_identity->json;
		d.identity_data = &dv;
	}
	if (tf_identity_import_id(&id, c->a, e->r, &d) < 0) {
		tf_error(c->ctx, NULL, "Invalid resource identity", "%s", fy_error_last()->message);
		return RPC_OK;
	}
	resp->upgraded_identity = fy_arena_alloc(c->a, sizeof(*resp->upgraded_identity));
	tfplugin6__resource_identity_data__init(resp->upgraded_identity);
	resp->upgraded_identity->identity_data = fy_arena_memdup(c->a, &dv, sizeof dv);
	return RPC_OK;
}

static int h_configure_provider(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__ConfigureProvider__Request *req = rq;
	struct tf_server *srv = c->srv;
	c->ctx->schema = srv->pschema;

	const char *ver = req->terraform_version ? req->terraform_version : "";
	char *vcopy = strdup(ver);
	if (vcopy == NULL)
		fy_oom();
	pthread_mutex_lock(&srv->version_lock);
	free(srv->tf_version);
	srv->tf_version = vcopy;
	pthread_mutex_unlock(&srv->version_lock);
	c->ctx->terraform_version = fy_arena_strdup(c->a, ver);

	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, srv->pschema, req->config, "provider configuration") < 0)
		return RPC_OK;
	void *data = NULL;
	int rc = 0;
	/* The config may hold unknowns during plan (docs/internals/protocol.md 4.1): the provider decides what it
	 * can do with them. */
	if (srv->p->configure != NULL)
		rc = srv->p->configure(&data, c->ctx, config);
	if (rc < 0 || tf_diags_has_errors(c->ctx->diags)) {
		if (!tf_diags_has_errors(c->ctx->diags))
			tf_error(c->ctx, NULL, "Provider configuration failed", "%s",
				fy_error_last()->message[0] ? fy_error_last()->message : fy_error_code_str(rc));
		if (data != NULL && srv->p->data_free != NULL)
			srv->p->data_free(data);
		return RPC_OK;
	}
	/* Exclusive: no call is using the old data once we hold the lock. */
	pthread_rwlock_wrlock(&srv->data_lock);
	void *old = srv->data;
	srv->data = data;
	srv->configured = 1;
	pthread_rwlock_unlock(&srv->data_lock);
	if (old != NULL && old != data && srv->p->data_free != NULL)
		srv->p->data_free(old);
	return RPC_OK;
}

static int h_read_resource(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__ReadResource__Request *req = rq;
	Tfplugin6__ReadResource__Response *resp = rs;
	/* private replaces what Terraform stores (docs/internals/protocol.md 4.6): echo it. */
	resp->private_ = req->private_;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *state = NULL;
	if (tf_dv_decode(c, &state, e->s, req->current_state, "current state") < 0)
		return RPC_OK;
	cty_value *ns = NULL;
	tf_resource_read(&ns, c->ctx, e->r, state);
	resp->new_state = tf_dv_encode(c, ns, e->s, "new state");
	resp->new_identity = tf_identity_data(c->a, e->r, ns);
	return RPC_OK;
}

static int h_plan_resource_change(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__PlanResourceChange__Request *req = rq;
	Tfplugin6__PlanResourceChange__Response *resp = rs;
	resp->planned_private = req->prior_private;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *prior = NULL, *proposed = NULL, *config = NULL;
	if (tf_dv_decode(c, &prior, e->s, req->prior_state, "prior state") < 0 ||
		tf_dv_decode(c, &proposed, e->s, req->proposed_new_state, "proposed new state") < 0 ||
		tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	cty_value *planned = NULL;
	cty_path **rep = NULL;
	size_t nrep = 0;
	if (tf_resource_plan(&planned, &rep, &nrep, c->ctx, e->r, config, prior, proposed) < 0 || planned == NULL)
		return RPC_OK;
	resp->planned_state = tf_dv_encode(c, planned, e->s, "planned state");
	resp->planned_identity = tf_identity_data(c->a, e->r, planned);
	if (nrep > 0) {
		resp->n_requires_replace = nrep;
		resp->requires_replace = fy_arena_alloc(c->a, nrep * sizeof(*resp->requires_replace));
		for (size_t i = 0; i < nrep; i++)
			resp->requires_replace[i] = tf_path_to_proto(c->a, rep[i]);
	}
	return RPC_OK;
}

static int h_apply_resource_change(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__ApplyResourceChange__Request *req = rq;
	Tfplugin6__ApplyResourceChange__Response *resp = rs;
	resp->private_ = req->planned_private;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *prior = NULL, *planned = NULL, *config = NULL;
	if (tf_dv_decode(c, &prior, e->s, req->prior_state, "prior state") < 0 ||
		tf_dv_decode(c, &planned, e->s, req->planned_state, "planned state") < 0 ||
		tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	cty_value *ns = NULL;
	tf_resource_apply(&ns, c->ctx, e->r, prior, planned, config);
	resp->new_state = tf_dv_encode(c, ns, e->s, "new state");
	resp->new_identity = tf_identity_data(c->a, e->r, ns);
	return RPC_OK;
}

static int h_import_resource_state(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__ImportResourceState__Request *req = rq;
	Tfplugin6__ImportResourceState__Response *resp = rs;
	const tf_rentry *e = need_resource(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	/* By id, or (Terraform 1.12 `import { identity = {...} }`) by identity, which the resource turns into an id. */
	const char *import_id = req->id;
	if ((import_id == NULL || import_id[0] == '\0') && req->identity != NULL) {
		char *from_identity = NULL;
		if (tf_identity_import_id(&from_identity, c->a, e->r, req->identity) < 0) {
			tf_error(c->ctx, NULL, "Invalid import identity", "%s", fy_error_last()->message);
			return RPC_OK;
		}
		import_id = from_identity;
	}
	cty_value *st = NULL;
	if (tf_resource_import(&st, c->ctx, e->r, import_id) < 0 || st == NULL)
		return RPC_OK;
	Tfplugin6__DynamicValue *dv = tf_dv_encode(c, st, e->s, "imported state");
	if (dv == NULL)
		return RPC_OK;
	Tfplugin6__ImportResourceState__ImportedResource *ir = fy_arena_alloc(c->a, sizeof(*ir));
	tfplugin6__import_resource_state__imported_resource__init(ir);
	/* type_name must be set (docs/internals/protocol.md 4.8: "import of %s didn't set type"). */
	ir->type_name = (char *)e->r->type_name;
	ir->state = dv;
	ir->identity = tf_identity_data(c->a, e->r, st);
	resp->n_imported_resources = 1;
	resp->imported_resources = fy_arena_alloc(c->a, sizeof(*resp->imported_resources));
	resp->imported_resources[0] = ir;
	return RPC_OK;
}

static int h_move_resource_state(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__MoveResourceState__Request *req = rq;
	Tfplugin6__MoveResourceState__Response *resp = rs;
	const tf_rentry *e = need_resource(c, req->target_type_name);
	if (e == NULL)
		return RPC_OK;
	c->ctx->schema = e->s;
	tf_move_source src = {.provider_address = req->source_provider_address,
		.type_name = req->source_type_name,
		.schema_version = req->source_schema_version,
		.state_json = req->source_state ? (const char *)req->source_state->json.data : NULL,
		.state_len = req->source_state ? req->source_state->json.len : 0};
	cty_value *st = NULL;
	if (tf_resource_move(&st, c->ctx, e->r, &src) < 0 || st == NULL)
		return RPC_OK;
	tf_register_secrets(e->s->root, st);
	resp->target_state = tf_dv_encode(c, st, e->s, "moved state");
	resp->target_identity = tf_identity_data(c->a, e->r, st);
	return RPC_OK;
}

static int h_read_data_source(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__ReadDataSource__Request *req = rq;
	Tfplugin6__ReadDataSource__Response *resp = rs;
	const tf_dentry *e = need_data_source(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	cty_value *st = NULL;
	if (tf_data_source_read(&st, c->ctx, e->d, config) < 0 || st == NULL)
		return RPC_OK;
	resp->state = tf_dv_encode(c, st, e->s, "data source state");
	return RPC_OK;
}

static int h_generate_resource_config(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__GenerateResourceConfig__Request *req = rq;
	tf_error(c->ctx, NULL, "Generating configuration not supported",
		"The provider does not generate configuration for \"%s\"; Terraform derives it from the imported state.",
		req->type_name ? req->type_name : "");
	return RPC_OK;
}

static int h_unsupported(tf_call *c, const void *rq, void *rs)
{
	(void)rq;
	(void)rs;
	tf_error(c->ctx, NULL, fy_arena_sprintf(c->a, "%s not supported", c->m->feature),
		"The provider does not support %s (%s).", c->m->feature, c->m->name);
	return RPC_OK;
}

static int h_get_functions(tf_call *c, const void *rq, void *rs)
{
	(void)rq;
	Tfplugin6__GetFunctions__Response *resp = rs;
	resp->n_functions = tf_functions_count(c->srv->p->functions);
	resp->functions = tf_functions_to_proto(c->a, c->srv->p->functions, 0);
	return RPC_OK;
}

static int h_call_function(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__CallFunction__Request *req = rq;
	Tfplugin6__CallFunction__Response *resp = rs;
	void *result = NULL;
	resp->error = tf_call_function(
		&result, c->a, c->srv->p->functions, req->name, (void *const *)req->arguments, req->n_arguments);
	resp->result = result;
	return RPC_OK;
}

static int h_stop_provider(tf_call *c, const void *rq, void *rs)
{
	(void)rq;
	Tfplugin6__StopProvider__Response *resp = rs;
	struct tf_server *srv = c->srv;
	/* Generation first: in-flight work polling tf_ctx_stopped sees it even before stop() returns. */
	atomic_fetch_add(&srv->stop_gen, 1);
	tflog(TFLOG_INFO, TF_LOG_MODULE, "StopProvider: cancelling in-flight work");
	if (srv->configured && srv->p->stop != NULL)
		srv->p->stop(srv->data);
	resp->error = ""; /* empty: stopped (the process keeps serving, docs/internals/protocol.md 2.5) */
	return RPC_OK;
}

#define M(name, lower, fn, lock)                                                                                    \
	{                                                                                                           \
#name, &tfplugin6__##lower##__request__descriptor, &tfplugin6__##lower##__response__descriptor, fn, \
			lock, NULL                                                                                  \
	}
#define U(name, lower, feature)                                                                                 \
	{                                                                                                       \
#name, &tfplugin6__##lower##__request__descriptor, &tfplugin6__##lower##__response__descriptor, \
			h_unsupported, LOCK_NONE, feature                                                       \
	}

/* Every unary RPC of the 6.11 service. ListResource, a server stream, is registered apart (tf_list.c); the other
 * streaming ones (ReadStateBytes, WriteStateBytes, InvokeAction) stay unregistered: the transport answers
 * UNIMPLEMENTED, and Terraform only calls them for schema types this provider never declares
 * (docs/internals/protocol.md 1.3). */
const tf_method tf_methods[] = {
	M(GetMetadata, get_metadata, h_get_metadata, LOCK_NONE),
	M(GetProviderSchema, get_provider_schema, h_get_provider_schema, LOCK_NONE),
	M(ValidateProviderConfig, validate_provider_config, h_validate_provider_config, LOCK_NONE),
	M(ValidateResourceConfig, validate_resource_config, h_validate_resource_config, LOCK_NONE),
	M(ValidateDataResourceConfig, validate_data_resource_config, h_validate_data_resource_config, LOCK_NONE),
	M(UpgradeResourceState, upgrade_resource_state, h_upgrade_resource_state, LOCK_DATA),
	M(GetResourceIdentitySchemas, get_resource_identity_schemas, h_get_resource_identity_schemas, LOCK_NONE),
	M(UpgradeResourceIdentity, upgrade_resource_identity, h_upgrade_resource_identity, LOCK_NONE),
	M(ConfigureProvider, configure_provider, h_configure_provider, LOCK_NONE),
	M(ReadResource, read_resource, h_read_resource, LOCK_DATA),
	M(PlanResourceChange, plan_resource_change, h_plan_resource_change, LOCK_DATA),
	M(ApplyResourceChange, apply_resource_change, h_apply_resource_change, LOCK_DATA),
	M(ImportResourceState, import_resource_state, h_import_resource_state, LOCK_DATA),
	M(MoveResourceState, move_resource_state, h_move_resource_state, LOCK_NONE),
	M(ReadDataSource, read_data_source, h_read_data_source, LOCK_DATA),
	M(GenerateResourceConfig, generate_resource_config, h_generate_resource_config, LOCK_NONE),
	M(ValidateEphemeralResourceConfig, validate_ephemeral_resource_config, tf_h_validate_ephemeral_resource_config,
		LOCK_NONE),
	M(OpenEphemeralResource, open_ephemeral_resource, tf_h_open_ephemeral_resource, LOCK_DATA),
	M(RenewEphemeralResource, renew_ephemeral_resource, tf_h_renew_ephemeral_resource, LOCK_NONE),
	M(CloseEphemeralResource, close_ephemeral_resource, tf_h_close_ephemeral_resource, LOCK_NONE),
	M(ValidateListResourceConfig, validate_list_resource_config, tf_h_validate_list_resource_config, LOCK_NONE),
	M(GetFunctions, get_functions, h_get_functions, LOCK_NONE),
	M(CallFunction, call_function, h_call_function, LOCK_NONE),
	U(ValidateStateStoreConfig, validate_state_store, "state stores"),
	U(ConfigureStateStore, configure_state_store, "state stores"),
	U(LockState, lock_state, "state stores"),
	U(UnlockState, unlock_state, "state stores"),
	U(GetStates, get_states, "state stores"),
	U(DeleteState, delete_state, "state stores"),
	U(PlanAction, plan_action, "actions"),
	U(ValidateActionConfig, validate_action_config, "actions"),
	M(StopProvider, stop_provider, h_stop_provider, LOCK_DATA),
};

const size_t tf_nmethods = sizeof(tf_methods) / sizeof(tf_methods[0]);

/* ------------------------------------------------------------------ dispatch */

static const char *string_field(const ProtobufCMessageDescriptor *d, const void *msg, const char *name)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return *(char *const *)((const char *)msg + f->offset);
}

tf_ctx *tf_call_ctx(struct tf_server *srv, fy_arena *arena)
{
	tf_ctx *ctx = fy_arena_alloc(arena, sizeof(*ctx));
	memset(ctx, 0, sizeof(*ctx));
	ctx->arena = arena;
	tf_diags_new(&ctx->diags, arena);
	ctx->srv = srv;
	ctx->stop_gen = atomic_load(&srv->stop_gen);
	pthread_mutex_lock(&srv->version_lock);
	ctx->terraform_version = fy_arena_strdup(arena, srv->tf_version ? srv->tf_version : "");
	pthread_mutex_unlock(&srv->version_lock);
	return ctx;
}

int tf_dispatch(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message)
{
	const tf_binding *b = data;
	struct tf_server *srv = b->srv;
	const tf_method *m = b->m;
	ProtobufCAllocator al = {.alloc = tf_pb_alloc, .free = tf_pb_free, .allocator_data = arena};

	ProtobufCMessage *in = protobuf_c_message_unpack(m->req, &al, req_len, req);
	if (in == NULL) {
		/* The only case that is a gRPC status rather than a diagnostic. */
		*status_message = fy_arena_sprintf(arena, "malformed tfplugin6.%s request", m->name);
		tflog_kv(TFLOG_ERROR, TF_LOG_MODULE, "malformed request", "tf_rpc", m->name, (char *)NULL);
		return RPC_INVALID_ARGUMENT;
	}
	ProtobufCMessage *out = fy_arena_alloc(arena, m->resp->sizeof_message);
	protobuf_c_message_init(m->resp, out);

	const char *type_name = string_field(m->req, in, "type_name");
	tflog_kv(TFLOG_TRACE, TF_LOG_MODULE, "Received request", "tf_rpc", m->name, "tf_resource_type",
		type_name ? type_name : "", (char *)NULL);

	tf_ctx *ctx = tf_call_ctx(srv, arena);

	tf_call call = {.srv = srv, .a = arena, .ctx = ctx, .m = m};
	if (m->lock == LOCK_DATA) {
		pthread_rwlock_rdlock(&srv->data_lock);
		ctx->provider_data = srv->data;
	}
	int status = m->fn(&call, in, out);
	if (m->lock == LOCK_DATA)
		pthread_rwlock_unlock(&srv->data_lock);

	if (call.raw != NULL) {
		*resp = fy_arena_memdup(arena, call.raw, call.raw_len);
		*resp_len = call.raw_len;
	} else {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(m->resp, "diagnostics");
		if (f != NULL && f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = 0;
			void *arr = tf_diags_to_proto(arena, ctx->diags, ctx->schema ? ctx->schema->root : NULL, &n);
			*(size_t *)((char *)out + f->quantifier_offset) = n;
			*(void **)((char *)out + f->offset) = arr;
		}
		size_t len = protobuf_c_message_get_packed_size(out);
		uint8_t *buf = fy_arena_alloc(arena, len ? len : 1);
		protobuf_c_message_pack(out, buf);
		*resp = buf;
		*resp_len = len;
	}
	size_t nd = tf_diags_count(ctx->diags);
	if (nd > 0)
		tflog_kv(tf_diags_has_errors(ctx->diags) ? TFLOG_DEBUG : TFLOG_TRACE, TF_LOG_MODULE, "Served request",
			"tf_rpc", m->name, "tf_resource_type", type_name ? type_name : "", "diagnostics",
			fy_arena_sprintf(arena, "%zu", nd), "first_summary", tf_diags_summary(ctx->diags, 0),
			(char *)NULL);
	else
		tflog_kv(TFLOG_TRACE, TF_LOG_MODULE, "Served request", "tf_rpc", m->name, "tf_resource_type",
			type_name ? type_name : "", (char *)NULL);
	return status;
}
