/*
 * List resources (tfplugin6 6.10+, Terraform 1.14 `list` blocks and `terraform query`): ValidateListResourceConfig,
 * and ListResource, a server stream of one Event per object found: the managed resource's identity, a display name,
 * and the full resource object when Terraform asks for it (include_resource_object). Problems travel as an Event
 * carrying only diagnostics (docs/internals/protocol.md 4.11). The stream stops at Terraform's limit.
 */
#include "tf_server_internal.h"

#include <pthread.h>
#include <string.h>

#include "../log/tflog.h"
#include "../rpc/rpc.h"

static const tf_lentry *find_list(struct tf_server *srv, const char *name)
{
	for (size_t i = 0; name != NULL && i < srv->nlst; i++)
		if (strcmp(srv->lst[i].l->type_name, name) == 0)
			return &srv->lst[i];
	return NULL;
}

int tf_h_validate_list_resource_config(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__ValidateListResourceConfig__Request *req = rq;
	const tf_lentry *e = find_list(c->srv, req->type_name);
	if (tf_need_type(c, e ? e->s : NULL, "Unknown list resource type", "list resource type", req->type_name) < 0)
		return RPC_OK;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	tf_validate_config(c->ctx, e->s, config);
	if (e->l->validate != NULL && cty_is_set(config))
		e->l->validate(c->ctx, config);
	return RPC_OK;
}

typedef struct list_run {
	tf_call *c;
	const tf_lentry *e;
	rpc_stream *out;
	int with_object;
	int64_t limit, sent;
} list_run;

static void send_event(list_run *r, Tfplugin6__ListResource__Event *ev)
{
	size_t len = protobuf_c_message_get_packed_size(&ev->base);
	uint8_t *buf = fy_arena_alloc(r->c->a, len ? len : 1);
	protobuf_c_message_pack(&ev->base, buf);
	rpc_stream_send(r->out, buf, len);
}

/* The diagnostics gathered so far, as one Event (then cleared). */
static void send_diagnostics(list_run *r)
{
	tf_ctx *ctx = r->c->ctx;
	if (tf_diags_count(ctx->diags) == 0)
		return;
	Tfplugin6__ListResource__Event ev = TFPLUGIN6__LIST_RESOURCE__EVENT__INIT;
	ev.diagnostic = tf_diags_to_proto(r->c->a, ctx->diags, r->e ? r->e->s->root : NULL, &ev.n_diagnostic);
	send_event(r, &ev);
	tf_diags_new(&ctx->diags, r->c->a);
}

static int emit(void *data, const cty_value *state, const char *display_name)
{
	list_run *r = data;
	if (r->limit > 0 && r->sent >= r->limit)
		return FY_ECANCELED;
	const tf_rentry *res = r->e->res;
	Tfplugin6__ListResource__Event ev = TFPLUGIN6__LIST_RESOURCE__EVENT__INIT;
	ev.identity = tf_identity_data(r->c->a, res->r, state);
	ev.display_name = (char *)(display_name ? display_name : "");
	if (r->with_object) {
		/* The object as state holds it: write-only and secret values the user set are never in it. */
		cty_value *obj = tf_null_write_only(r->c->a, res->s->root, cty_copy(r->c->a, state));
		r->c->ctx->schema = res->s;
		ev.resource_object = tf_dv_encode(r->c, obj, res->s, "resource object");
		r->c->ctx->schema = r->e->s;
	}
	ev.diagnostic = tf_diags_to_proto(r->c->a, r->c->ctx->diags, res->s->root, &ev.n_diagnostic);
	tf_diags_new(&r->c->ctx->diags, r->c->a);
	send_event(r, &ev);
	r->sent++;
	return r->limit > 0 && r->sent >= r->limit ? FY_ECANCELED : 0;
}

int tf_list_resource_stream(
	void *data, fy_arena *arena, const uint8_t *req, size_t req_len, rpc_stream *out, const char **status_message)
{
	struct tf_server *srv = data;
	ProtobufCAllocator al = {.alloc = tf_pb_alloc, .free = tf_pb_free, .allocator_data = arena};
	/* Nested messages have no unpack function of their own in protoc-c: the generic one with its descriptor. */
	Tfplugin6__ListResource__Request *in = (Tfplugin6__ListResource__Request *)protobuf_c_message_unpack(
		&tfplugin6__list_resource__request__descriptor, &al, req_len, req);
	if (in == NULL) {
		*status_message = "malformed tfplugin6.ListResource request";
		return RPC_INVALID_ARGUMENT;
	}
	tf_call call = {.srv = srv, .a = arena, .ctx = tf_call_ctx(srv, arena)};
	list_run r = {.c = &call, .out = out, .with_object = in->include_resource_object, .limit = in->limit};
	r.e = find_list(srv, in->type_name);
	tflog_kv(TFLOG_TRACE, TF_LOG_MODULE, "Received request", "tf_rpc", "ListResource", "tf_resource_type",
		in->type_name ? in->type_name : "", (char *)NULL);
	if (tf_need_type(&call, r.e ? r.e->s : NULL, "Unknown list resource type", "list resource type",
		    in->type_name) < 0) {
		send_diagnostics(&r);
		return RPC_OK;
	}
	cty_value *config = NULL;
	if (tf_dv_decode(&call, &config, r.e->s, in->config, "configuration") < 0) {
		send_diagnostics(&r);
		return RPC_OK;
	}
	pthread_rwlock_rdlock(&srv->data_lock);
	call.ctx->provider_data = srv->data;
	call.ctx->impl = r.e->l->impl;
	int rc = r.e->l->list(call.ctx, config, emit, &r);
	pthread_rwlock_unlock(&srv->data_lock);
	if (rc < 0 && rc != FY_ECANCELED && tf_diags_count(call.ctx->diags) == 0)
		tf_error(call.ctx, NULL, "List failed", "%s", fy_error_last()->message);
	send_diagnostics(&r);
	tflog_kv(TFLOG_TRACE, TF_LOG_MODULE, "Served request", "tf_rpc", "ListResource", "results",
		fy_arena_sprintf(arena, "%lld", (long long)r.sent), (char *)NULL);
	return RPC_OK;
}
