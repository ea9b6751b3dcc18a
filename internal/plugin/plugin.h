/*
 * plugin: the process side of go-plugin (notes/tfplugin6.md section 2).
 *
 * plugin_serve() is the whole life of the provider process: check the magic
 * cookie, negotiate protocol 6, listen on a user-only unix socket, set up
 * AutoMTLS when PLUGIN_CLIENT_CERT is given, print the handshake line, serve
 * tfplugin6 + GRPCController + GRPCStdio + grpc.health.v1 on a pool of workers
 * until Shutdown, then exit. `-debug` serves without the cookie and prints the
 * TF_REATTACH_PROVIDERS value instead.
 */
#ifndef PLUGIN_H
#define PLUGIN_H

#include "../tf/tf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the process exit code. `source_address` is the provider's registry address used for debug mode
 * ("registry.terraform.io/example/foundry"). */
int plugin_serve(const tf_provider *provider, const char *source_address, int argc, char **argv);

/* Handshake pieces, exposed for unit tests. */
#define PLUGIN_MAGIC_COOKIE_KEY "TF_PLUGIN_MAGIC_COOKIE"
#define PLUGIN_MAGIC_COOKIE_VALUE "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

/* Pick the protocol from a PLUGIN_PROTOCOL_VERSIONS list ("5,6", "6,5", " 6 "); 6 or FY_EINVALID. */
int plugin_negotiate_version(int *out, const char *versions_env);
/* A fresh unix socket path under PLUGIN_UNIX_SOCKET_DIR, else TMPDIR, else /tmp (malloc'd). */
int plugin_socket_path(char **out);

#ifdef __cplusplus
}
#endif
#endif
