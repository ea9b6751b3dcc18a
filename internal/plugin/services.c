/*
 * go-plugin's side services (docs/internals/protocol.md 2.6): GRPCController.Shutdown and grpc.health.v1.Health.Check.
 * GRPCStdio.StreamStdio is a held stream in the server (server.c); GRPCBroker.StartStream stays unregistered,
 * which answers UNIMPLEMENTED, tolerated by go-plugin.
 */
#include "plugin.h"

#include "../log/tflog.h"

#include <protobuf-c/protobuf-c.h>
#include <string.h>

#include "grpc_controller.pb-c.h"
#include "health.pb-c.h"

/* protobuf-c allocations come from the RPC's arena, freed with it. */
static void *arena_pb_alloc(void *data, size_t size)
{
	return fy_arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr;
}

static int shutdown_rpc(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp,
	size_t *resp_len, const char **status_message)
{
	(void)req;
	(void)req_len;
	(void)status_message;
	plugin_server *s = data;
	tflog(TFLOG_DEBUG, "foundry.plugin", "GRPCController.Shutdown: stopping the plugin");
	/* The owner thread stops the server after this reply is queued; in-flight calls get a grace period. */
	plugin_server_request_stop(s);
	Plugin__Empty empty = PLUGIN__EMPTY__INIT;
	*resp_len = plugin__empty__get_packed_size(&empty);
	*resp = fy_arena_alloc(arena, *resp_len + 1);
	plugin__empty__pack(&empty, *resp);
	return RPC_OK;
}

static int health_check_rpc(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp,
	size_t *resp_len, const char **status_message)
{
	(void)data;
	ProtobufCAllocator alloc = {.alloc = arena_pb_alloc, .free = arena_pb_free, .allocator_data = arena};
	Grpc__Health__V1__HealthCheckRequest *in = grpc__health__v1__health_check_request__unpack(&alloc, req_len, req);
	if (in == NULL) {
		*status_message = "cannot decode grpc.health.v1.HealthCheckRequest";
		return RPC_INVALID_ARGUMENT;
	}
	/* go-plugin registers "plugin" as SERVING (GP grpc_server.go); "" is the whole server (health spec). */
	if (in->service != NULL && in->service[0] != '\0' && strcmp(in->service, "plugin") != 0) {
		*status_message = fy_arena_sprintf(arena, "unknown service %s", in->service);
		return RPC_NOT_FOUND;
	}
	Grpc__Health__V1__HealthCheckResponse out = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	out.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	*resp_len = grpc__health__v1__health_check_response__get_packed_size(&out);
	*resp = fy_arena_alloc(arena, *resp_len + 1);
	grpc__health__v1__health_check_response__pack(&out, *resp);
	return RPC_OK;
}

int plugin_register_builtin(rpc_registry *reg, plugin_server *s)
{
	int rc = rpc_register_unary(reg, "/plugin.GRPCController/Shutdown", shutdown_rpc, s);
	if (rc == 0)
		rc = rpc_register_unary(reg, "/grpc.health.v1.Health/Check", health_check_rpc, NULL);
	return rc;
}
