/* gRPC C core's own threads, sized for a provider (one client, calls served on our workers' queues). */
#ifndef FOUNDRY_INTERNAL_PLUGIN_GRPC_THREADS_H
#define FOUNDRY_INTERNAL_PLUGIN_GRPC_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/* After grpc_init: stops gRPC's resolver executor thread, which a server never uses (grpc_threads.cc says why
 * the others stay). FOUNDRY_GRPC_EXECUTOR=threads keeps it. */
void plugin_grpc_trim_threads(void);

#ifdef __cplusplus
}
#endif

#endif
