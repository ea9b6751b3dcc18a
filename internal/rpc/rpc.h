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

typedef struct rpc_registry rpc_registry;

int rpc_registry_new(rpc_registry **out);
void rpc_registry_free(rpc_registry *reg);
int rpc_register_unary(rpc_registry *reg, const char *path, rpc_unary_fn fn, void *data);
/* Paths must look like "/package.Service/Method"; registering a path twice is FY_EINVALID. Register
 * everything before serving: lookups take a read lock, registration a write lock. */
/* Lookup; *fn_out = NULL (and FY_ENOTFOUND) when the path is not registered. data_out may be NULL. */
int rpc_lookup(rpc_unary_fn *fn_out, void **data_out, const rpc_registry *reg, const char *path);
/* Paths in sorted order; i < rpc_registry_count(). */ size_t rpc_registry_count(const rpc_registry *reg);
const char *rpc_registry_path(const rpc_registry *reg, size_t i);

#ifdef __cplusplus
}
#endif
#endif
