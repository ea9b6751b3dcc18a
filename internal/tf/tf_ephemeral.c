/*
 * Ephemeral resources (tfplugin6 6.7+, Terraform 1.10, OpenTofu 1.11): ValidateEphemeralResourceConfig, then
 * OpenEphemeralResource during plan and apply. The result goes back to the CLI and is never written to state or plan
 * files (docs/internals/protocol.md 4.10). Declarations hold nothing open (no private data, no renew_at), so Renew
 * and Close only confirm the type exists.
 */
#include "tf_server_internal.h"

#include <string.h>

#include "../rpc/rpc.h"

static const tf_eentry *need_ephemeral(tf_call *c, const char *name)
{
	const tf_eentry *e = NULL;
	for (size_t i = 0; name != NULL && i < c->srv->neph && e == NULL; i++)
		if (strcmp(c->srv->eph[i].e->type_name, name) == 0)
			e = &c->srv->eph[i];
	return tf_need_type(c, e ? e->s : NULL, "Unknown ephemeral resource type", "ephemeral resource type", name) == 0
		? e
		: NULL;
}

int tf_h_validate_ephemeral_resource_config(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__ValidateEphemeralResourceConfig__Request *req = rq;
	const tf_eentry *e = need_ephemeral(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	tf_validate_config(c->ctx, e->s, config);
	if (e->e->validate != NULL && cty_is_set(config))
		e->e->validate(c->ctx, config);
	return RPC_OK;
}

int tf_h_open_ephemeral_resource(tf_call *c, const void *rq, void *rs)
{
	const Tfplugin6__OpenEphemeralResource__Request *req = rq;
	Tfplugin6__OpenEphemeralResource__Response *resp = rs;
	const tf_eentry *e = need_ephemeral(c, req->type_name);
	if (e == NULL)
		return RPC_OK;
	cty_value *config = NULL;
	if (tf_dv_decode(c, &config, e->s, req->config, "configuration") < 0)
		return RPC_OK;
	cty_value *result = NULL;
	if (tf_ephemeral_open(&result, c->ctx, e->e, config) == 0 && result != NULL)
		resp->result = tf_dv_encode(c, result, e->s, "ephemeral result");
	return RPC_OK;
}

int tf_h_renew_ephemeral_resource(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__RenewEphemeralResource__Request *req = rq;
	need_ephemeral(c, req->type_name);
	return RPC_OK;
}

int tf_h_close_ephemeral_resource(tf_call *c, const void *rq, void *rs)
{
	(void)rs;
	const Tfplugin6__CloseEphemeralResource__Request *req = rq;
	need_ephemeral(c, req->type_name);
	return RPC_OK;
}
