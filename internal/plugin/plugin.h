/*
 * plugin: the process side of go-plugin (docs/internals/protocol.md section 2).
 *
 * plugin_serve() is the whole life of the provider process: check the magic
 * cookie, negotiate protocol 6, listen on a user-only unix socket, set up
 * AutoMTLS when PLUGIN_CLIENT_CERT is given, print the handshake line, serve
 * tfplugin6 + GRPCController + GRPCStdio + grpc.health.v1 on a pool of workers
 * until Shutdown, then exit. `-debug` serves without the cookie and prints the
 * TF_REATTACH_PROVIDERS value instead.
 */
#ifndef FOUNDRY_INTERNAL_PLUGIN_PLUGIN_H
#define FOUNDRY_INTERNAL_PLUGIN_PLUGIN_H

#include <stddef.h>

#include "../rpc/rpc.h"
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

/* ---------------------------------------------------------------- additions (owned by internal/plugin) */

/* go-plugin's text for a binary run without the cookie (GP server.go), printed to stderr before exit 1. */
#define PLUGIN_COOKIE_MESSAGE                                                     \
	"This binary is a plugin. These are not meant to be executed directly.\n" \
	"Please execute the program that consumes these plugins, which will\n"    \
	"load any plugins automatically\n"

/* 0 when `value` (the TF_PLUGIN_MAGIC_COOKIE variable, may be NULL) is the cookie, FY_EINVALID otherwise. */
int plugin_check_cookie(const char *value);
/* plugin_socket_path creates a private 0700 directory holding the socket; this removes the socket and that
 * directory. Safe on a path whose socket was never created. */
void plugin_socket_cleanup(const char *path);
/* "1|<version>|unix|<path>|grpc|<cert>\n" (cert "" when TLS is off, as go-plugin prints it); malloc'd. */
int plugin_handshake_line(char **out, int version, const char *socket_path, const char *cert_b64);
/* The TF_REATTACH_PROVIDERS value for -debug (docs/internals/protocol.md 2.7); malloc'd. */
int plugin_reattach_json(char **out, const char *source_address, int version, long pid, const char *socket_path);

/* AutoMTLS identity (docs/internals/protocol.md 2.3): an EC key and a self-signed CA/leaf cert for "localhost". */
typedef struct plugin_cert plugin_cert;
int plugin_cert_generate(plugin_cert **out);
void plugin_cert_free(plugin_cert *c);
const char *plugin_cert_pem(const plugin_cert *c);
const char *plugin_cert_key_pem(const plugin_cert *c);
const unsigned char *plugin_cert_der(const plugin_cert *c, size_t *len);
/* FY_OK when `pem` (PLUGIN_CLIENT_CERT) holds at least one PEM certificate. go-plugin only logs a bad one and
 * serves a server no client can reach; gRPC would refuse the credentials anyway, so say what is wrong. */
int plugin_check_client_cert(const char *pem);
/* Standard base64 alphabet without '=' padding (Go's base64.RawStdEncoding); malloc'd. */
int plugin_base64_raw(char **out, const unsigned char *data, size_t len);

/* The gRPC transport: any method path is accepted and dispatched through an rpc_registry. */
typedef struct plugin_server plugin_server;
typedef struct plugin_server_config {
	const char *address; /* "unix:/abs/path" */
	const char *client_ca_pem; /* PLUGIN_CLIENT_CERT: mTLS requiring that client cert; NULL = plaintext */
	const char *cert_pem, *key_pem; /* our identity, with client_ca_pem */
	int workers; /* 0 = PLUGIN_DEFAULT_WORKERS */
	const char *const *held_streams; /* NULL-terminated server-streaming paths kept open, sending nothing, until
	                                   * stop (GRPCStdio/StreamStdio); they do not occupy a worker */
} plugin_server_config;

/* More than Terraform's default -parallelism (10), so StopProvider and Shutdown always find a free worker. */
#define PLUGIN_DEFAULT_WORKERS 16
#define PLUGIN_MAX_MESSAGE_BYTES (256 * 1024 * 1024) /* terraform-plugin-go's grpcMaxMessageSize */

/* Create and bind (calls grpc_init); nothing is served before plugin_server_start. */
int plugin_server_new(plugin_server **out, const rpc_registry *reg, const plugin_server_config *cfg);
int plugin_server_start(plugin_server *s);
/* Ask the owner to stop (from a handler, another thread or a signal handler: async-signal-safe). */
void plugin_server_request_stop(plugin_server *s);
/* A descriptor that turns readable once plugin_server_request_stop was called (for poll()). */
int plugin_server_stop_fd(const plugin_server *s);
/* Stop accepting, end held streams, give in-flight calls `grace_ms`, then cancel them and join the workers.
 * FY_ETIMEOUT when a handler is still running after cancellation plus another `grace_ms` (workers left
 * behind: the caller should _exit). */
int plugin_server_stop(plugin_server *s, int grace_ms);
/* After a clean stop (or if never started). Calls grpc_shutdown. */
void plugin_server_free(plugin_server *s);
/* The same without grpc_shutdown, for a process about to exit: after large messages, libgrpc 1.51's
 * grpc_shutdown can wait ~10 s joining an executor thread that sits in a timed poll, and Terraform SIGKILLs a
 * plugin 2 s after Shutdown (docs/internals/protocol.md 2.5). */
void plugin_server_free_for_exit(plugin_server *s);

/* The go-plugin side services: GRPCController/Shutdown (requests a stop of `s` after replying),
 * grpc.health.v1.Health/Check ("plugin" and "" are SERVING). GRPCBroker is left unregistered (UNIMPLEMENTED). */
int plugin_register_builtin(rpc_registry *reg, plugin_server *s);

#ifdef __cplusplus
}
#endif
#endif
