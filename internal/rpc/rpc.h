/*
 * rpc: the method table between the gRPC transport (internal/plugin) and the
 * services (tfplugin6 in internal/tf, go-plugin's controller, grpc health).
 *
 * A method is a full gRPC path ("/tfplugin6.Provider/PlanResourceChange") and a
 * unary handler working on serialized protobuf bytes. Paths that are not
 * registered answer UNIMPLEMENTED, which Terraform tolerates where it matters
 * (docs/internals/protocol.md 1.3).
 */
#ifndef FOUNDRY_INTERNAL_RPC_RPC_H
#define FOUNDRY_INTERNAL_RPC_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "../common/fy_arena.h"
#include "../common/fy_error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gRPC status codes used here (grpc/status.h values). */
enum {
	RPC_OK = 0,
	RPC_CANCELLED = 1,
	RPC_UNKNOWN = 2,
	RPC_INVALID_ARGUMENT = 3,
	RPC_NOT_FOUND = 5,
	RPC_UNIMPLEMENTED = 12,
	RPC_INTERNAL = 13,
	RPC_UNAVAILABLE = 14
};

/*
 * A unary handler. `req` is the serialized request; the handler allocates the
 * serialized response from `arena` (dropped once it is sent). Returns a gRPC
 * status code; a non-OK status may set *status_message (arena string).
 * Business errors are diagnostics inside an OK response, never a status.
 */
typedef int (*rpc_unary_fn)(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp,
	size_t *resp_len, const char **status_message);

/*
 * A server-streaming handler: one request, then any number of messages and a status. The handler appends its
 * messages with rpc_stream_send (copied into the call's arena); the transport sends them in order, one at a time,
 * then the status. Messages are gathered before the first is sent: a handler bounds what it produces (a list
 * resource stops at Terraform's limit).
 */
typedef struct rpc_stream rpc_stream;
typedef int (*rpc_stream_fn)(
	void *data, fy_arena *arena, const uint8_t *req, size_t req_len, rpc_stream *out, const char **status_message);
int rpc_stream_new(rpc_stream **out, fy_arena *a);
void rpc_stream_send(rpc_stream *s, const uint8_t *msg, size_t len);
size_t rpc_stream_count(const rpc_stream *s);
const uint8_t *rpc_stream_message(const rpc_stream *s, size_t i, size_t *len);

typedef struct rpc_registry rpc_registry;

int rpc_registry_new(rpc_registry **out);
void rpc_registry_free(rpc_registry *reg);
int rpc_register_unary(rpc_registry *reg, const char *path, rpc_unary_fn fn, void *data);
int rpc_register_server_stream(rpc_registry *reg, const char *path, rpc_stream_fn fn, void *data);
/* Paths must look like "/package.Service/Method"; registering a path twice is FY_EINVALID. Register
 * everything before serving: lookups take a read lock, registration a write lock. */
/* Lookup; *fn_out = NULL (and FY_ENOTFOUND) when the path is not registered. data_out may be NULL. */
int rpc_lookup(rpc_unary_fn *fn_out, void **data_out, const rpc_registry *reg, const char *path);
/* Either kind: exactly one of *fn_out (unary) and *sfn_out (server stream) is set when found. */
int rpc_lookup_method(
	rpc_unary_fn *fn_out, rpc_stream_fn *sfn_out, void **data_out, const rpc_registry *reg, const char *path);
/* Paths in sorted order; i < rpc_registry_count(). */ size_t rpc_registry_count(const rpc_registry *reg);
const char *rpc_registry_path(const rpc_registry *reg, size_t i);

#ifdef __cplusplus
}
#endif
#endif
