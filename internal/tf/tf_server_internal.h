/*
 * The tfplugin6 server's insides, shared by its files: tf_server.c (helpers, handlers, method table, dispatch),
 * tf_server_lifecycle.c (compiling the catalog at start-up, the cached schema), tf_ephemeral.c (ephemeral resources).
 */
#ifndef FOUNDRY_INTERNAL_TF_TF_SERVER_INTERNAL_H
#define FOUNDRY_INTERNAL_TF_TF_SERVER_INTERNAL_H

#include <pthread.h>

#include "tf_internal.h"
#include "tfplugin6.pb-c.h"

struct rpc_stream;

typedef struct tf_rentry {
	const tf_resource *r;
	tf_schema *s;
} tf_rentry;

typedef struct tf_dentry {
	const tf_data_source *d;
	tf_schema *s;
} tf_dentry;

typedef struct tf_eentry {
	const tf_ephemeral_resource *e;
	tf_schema *s;
} tf_eentry;

typedef struct tf_lentry {
	const tf_list_resource *l;
	tf_schema *s; /* the list block's configuration */
	const tf_rentry *res; /* the managed resource it lists */
} tf_lentry;

struct tf_method;

typedef struct tf_binding {
	struct tf_server *srv;
	const struct tf_method *m;
} tf_binding;

struct tf_server {
	const tf_provider *p;
	fy_arena *arena; /* long-lived: compiled schemas, bindings */
	tf_schema *pschema;
	tf_rentry *res;
	size_t nres;
	tf_dentry *ds;
	size_t nds;
	tf_eentry *eph;
	size_t neph;
	tf_lentry *lst;
	size_t nlst;
	uint8_t *schema_resp; /* serialized GetProviderSchema.Response (malloc) */
	size_t schema_resp_len;
	tf_binding *bindings;

	pthread_rwlock_t data_lock;
	void *data;
	int configured;
	pthread_mutex_t version_lock;
	char *tf_version; /* malloc */
	_Atomic uint64_t stop_gen;
};

typedef struct tf_call {
	struct tf_server *srv;
	fy_arena *a;
	tf_ctx *ctx;
	const struct tf_method *m;
	const uint8_t *raw; /* a handler may answer with ready bytes (cached schema) */
	size_t raw_len;
} tf_call;

typedef int (*tf_handler)(tf_call *c, const void *req, void *resp);

enum { LOCK_NONE = 0, LOCK_DATA = 1 };

typedef struct tf_method {
	const char *name;
	const ProtobufCMessageDescriptor *req, *resp;
	tf_handler fn;
	int lock;
	const char *feature; /* for unsupported RPCs: what the error names */
} tf_method;

/* The method table (tf_server.c) and the dispatcher every registered method goes through. */
extern const tf_method tf_methods[];
extern const size_t tf_nmethods;
int tf_dispatch(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message);

/* Helpers the handlers share (tf_server.c). */
int tf_need_type(tf_call *c, const tf_schema *s, const char *summary, const char *kind, const char *name);
int tf_dv_decode(tf_call *c, cty_value **out, const tf_schema *s, const Tfplugin6__DynamicValue *dv, const char *what);
Tfplugin6__DynamicValue *tf_dv_encode(tf_call *c, const cty_value *v, const tf_schema *s, const char *what);
Tfplugin6__ServerCapabilities *tf_capabilities(fy_arena *a, const tf_provider *p);

/* protobuf-c's allocator over the call's arena. */
void *tf_pb_alloc(void *data, size_t size);
void tf_pb_free(void *data, void *p);

/* A call's context, as every handler gets it. */
tf_ctx *tf_call_ctx(struct tf_server *srv, fy_arena *arena);

/* List resources (tf_list.c): ValidateListResourceConfig, and ListResource, a server stream (data: the server). */
int tf_h_validate_list_resource_config(tf_call *c, const void *rq, void *rs);
int tf_list_resource_stream(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, struct rpc_stream *out,
	const char **status_message);

/* Ephemeral resources (tf_ephemeral.c). */
int tf_h_validate_ephemeral_resource_config(tf_call *c, const void *rq, void *rs);
int tf_h_open_ephemeral_resource(tf_call *c, const void *rq, void *rs);
int tf_h_renew_ephemeral_resource(tf_call *c, const void *rq, void *rs);
int tf_h_close_ephemeral_resource(tf_call *c, const void *rq, void *rs);

#endif
