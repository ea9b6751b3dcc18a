/*
 * The gRPC transport on gRPC C core (libgrpc 1.51).
 *
 * Every method is an *unregistered* call (grpc_server_request_call), so any path reaches the rpc registry and
 * unknown paths answer UNIMPLEMENTED (docs/internals/protocol.md 1.3). Threads: a pool of workers, each with its own
 * completion queue. A worker has at most one outstanding request_call and withdraws it while a handler runs
 * on it, so gRPC only ever hands a new call to an idle worker: a slow handler (an ARM call) never delays
 * another RPC, which Terraform issues up to -parallelism=10 at a time (docs/internals/protocol.md 1.3), and
 * StopProvider/Shutdown
 * still find a free worker (PLUGIN_DEFAULT_WORKERS > 10). Workers start lazily: one at start (a process that
 * only answers GetProviderSchema needs no more), and another whenever the last idle one takes a call, so there
 * is always one waiting while threads remain. Every queue is created and registered up front (gRPC requires it
 * before grpc_server_start; a queue without a thread costs no thread). Everything after a call is matched is
 * asynchronous
 * on the worker's queue: read the request (one batch), run the handler, send initial metadata + message +
 * status (one batch). Held server streams (GRPCStdio) just wait for the end on the same queue without
 * occupying the worker.
 */
#define _GNU_SOURCE /* strndup */
#include "plugin.h"

#include "../common/fy_os.h"
#include "../common/fy_time.h"
#include "../log/tflog.h"
#include "grpc_threads.h"

#include <errno.h>
#include <fcntl.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MODULE "foundry.plugin"

/* CS_STREAM: a held stream (go-plugin's); CS_PUSH: a server stream sending its messages, one batch each. */
typedef enum call_state { CS_REQUEST = 0, CS_RECV, CS_SEND, CS_STREAM, CS_PUSH } call_state;

typedef struct worker worker;

typedef struct call_ctx {
	worker *w;
	call_state state;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array request_md;
	grpc_byte_buffer *recv_buf;
	grpc_byte_buffer *send_buf;
	grpc_slice status_details;
	int has_status_details;
	int cancelled;
	char *method;
	rpc_unary_fn fn;
	rpc_stream_fn sfn; /* a server-streaming method (fn is NULL) */
	void *fn_data;
	/* A server stream's messages, in `arena` (kept until the last is sent), and the next one to send. */
	fy_arena *arena;
	rpc_stream *out;
	size_t next_msg;
	int push_status;
	struct call_ctx *prev, *next; /* held streams list */
} call_ctx;

struct worker {
	plugin_server *srv;
	grpc_completion_queue *cq;
	pthread_t thread;
	int thread_started;
	int ran; /* a thread ever ran on this queue (else the queue is drained at free) */
	int outstanding; /* tags in flight on cq (touched by this worker only) */
	int has_request; /* a request_call is posted */
	int in_recv; /* a matched unary call waits for its request message: do not take another */
	int cq_shut;
	int exited; /* the thread has left worker_main; under srv->spawn_mu */
};

struct plugin_server {
	const rpc_registry *reg;
	grpc_server *server;
	grpc_completion_queue *shutdown_cq;
	worker *workers;
	int nworkers;
	int nstarted; /* workers [0, nstarted) have a thread; under spawn_mu */
	atomic_int idle; /* workers with a request_call posted */
	pthread_mutex_t spawn_mu;
	pthread_cond_t exit_cv; /* a worker exited; with spawn_mu, on the monotonic clock (fy_os.h) */
	char **held;
	size_t nheld;
	int stop_pipe[2];
	atomic_int stopping;
	int started;
	int shutdown_called;
	int shutdown_done;
	int joined;
	pthread_mutex_t streams_mu;
	call_ctx *streams;
};

/* ----------------------------------------------------------------- gRPC logs */

/* gRPC's own diagnostics (TLS handshake failures, ...) go through tflog so stderr stays hclog JSON. */
static void grpc_log_to_tflog(gpr_log_func_args *args)
{
	tflog_level l = TFLOG_DEBUG;
	if (args->severity == GPR_LOG_SEVERITY_INFO)
		l = TFLOG_TRACE;
	else if (args->severity == GPR_LOG_SEVERITY_ERROR)
		l = TFLOG_WARN;
	if (!tflog_enabled(l))
		return;
	char line[32];
	snprintf(line, sizeof(line), "%d", args->line);
	tflog_kv(l, "foundry.grpc", args->message, "file", args->file ? args->file : "", "line", line, NULL);
}

/* ------------------------------------------------------------------- helpers */

static gpr_timespec deadline_ms(int ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static call_ctx *ctx_new(worker *w)
{
	call_ctx *c = calloc(1, sizeof(*c));
	if (c == NULL)
		fy_oom();
	c->w = w;
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->request_md);
	return c;
}

static void ctx_free(call_ctx *c)
{
	if (c->call != NULL)
		grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->request_md);
	if (c->recv_buf != NULL)
		grpc_byte_buffer_destroy(c->recv_buf);
	if (c->send_buf != NULL)
		grpc_byte_buffer_destroy(c->send_buf);
	if (c->has_status_details)
		grpc_slice_unref(c->status_details);
	fy_arena_free(c->arena);
	free(c->method);
	free(c);
}

static int start_batch(call_ctx *c, const grpc_op *ops, size_t n, call_state next)
{
	c->state = next;
	grpc_call_error e = grpc_call_start_batch(c->call, ops, n, c, NULL);
	if (e != GRPC_CALL_OK) {
		tflog_kv(TFLOG_ERROR, LOG_MODULE, "grpc_call_start_batch failed", "method", c->method ? c->method : "",
			"error", grpc_call_error_to_string(e), NULL);
		return FY_ERROR;
	}
	c->w->outstanding++;
	return FY_OK;
}

static void post_request(worker *w)
{
	plugin_server *s = w->srv;
	if (w->has_request || w->in_recv || atomic_load(&s->stopping))
		return;
	call_ctx *c = ctx_new(w);
	c->state = CS_REQUEST;
	grpc_call_error e = grpc_server_request_call(s->server, &c->call, &c->details, &c->request_md, w->cq, w->cq, c);
	if (e != GRPC_CALL_OK) {
		tflog_kv(TFLOG_ERROR, LOG_MODULE, "grpc_server_request_call failed", "error",
			grpc_call_error_to_string(e), NULL);
		ctx_free(c);
		return;
	}
	w->has_request = 1;
	w->outstanding++;
	atomic_fetch_add(&s->idle, 1);
}

static void *worker_main(void *arg);

/* One more worker thread if none is idle and the pool allows it; never once stopping. */
static void spawn_worker(plugin_server *s)
{
	pthread_mutex_lock(&s->spawn_mu);
	if (!atomic_load(&s->stopping) && atomic_load(&s->idle) == 0 && s->nstarted < s->nworkers) {
		worker *w = &s->workers[s->nstarted];
		int e = pthread_create(&w->thread, NULL, worker_main, w);
		if (e == 0) {
			w->thread_started = w->ran = 1;
			s->nstarted++;
		} else {
			/* The running workers still serve; calls only queue longer. */
			tflog_kv(TFLOG_WARN, LOG_MODULE, "cannot start another worker thread", "error", strerror(e),
				NULL);
		}
	}
	pthread_mutex_unlock(&s->spawn_mu);
}

/* Initial metadata + (message) + status + close in one batch; the call is freed when it completes. */
static void send_response(call_ctx *c, int status, const char *details, const uint8_t *msg, size_t len, int with_msg)
{
	grpc_op ops[4];
	memset(ops, 0, sizeof(ops));
	size_t n = 0;
	if (c->next_msg == 0) { /* a server stream sent it with its first message */
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		ops[n].data.send_initial_metadata.count = 0;
		n++;
	}
	if (with_msg) {
		grpc_slice slice = grpc_slice_from_copied_buffer((const char *)msg, len);
		c->send_buf = grpc_raw_byte_buffer_create(&slice, 1);
		grpc_slice_unref(slice);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = c->send_buf;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.trailing_metadata_count = 0;
	ops[n].data.send_status_from_server.status = (grpc_status_code)status;
	if (details != NULL && details[0] != '\0') {
		c->status_details = grpc_slice_from_copied_string(details);
		c->has_status_details = 1;
		ops[n].data.send_status_from_server.status_details = &c->status_details;
	}
	n++;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n].data.recv_close_on_server.cancelled = &c->cancelled;
	n++;
	if (start_batch(c, ops, n, CS_SEND) < 0)
		ctx_free(c);
}

/*
 * A server stream's next step: initial metadata with the first message, then each message in its own batch (gRPC
 * allows one send in flight), then the status. Called once the handler ran, and on each send's completion.
 */
static void push_next(call_ctx *c, int success)
{
	if (c->send_buf != NULL) {
		grpc_byte_buffer_destroy(c->send_buf);
		c->send_buf = NULL;
	}
	size_t n = c->out ? rpc_stream_count(c->out) : 0;
	if (!success) { /* the client went away: nothing more to send */
		ctx_free(c);
		return;
	}
	if (c->next_msg >= n) {
		send_response(c, c->push_status, NULL, NULL, 0, 0);
		return;
	}
	grpc_op ops[2];
	memset(ops, 0, sizeof(ops));
	size_t k = 0;
	if (c->next_msg == 0) {
		ops[k].op = GRPC_OP_SEND_INITIAL_METADATA;
		k++;
	}
	size_t len;
	const uint8_t *msg = rpc_stream_message(c->out, c->next_msg++, &len);
	grpc_slice slice = grpc_slice_from_copied_buffer((const char *)msg, len);
	c->send_buf = grpc_raw_byte_buffer_create(&slice, 1);
	grpc_slice_unref(slice);
	ops[k].op = GRPC_OP_SEND_MESSAGE;
	ops[k].data.send_message.send_message = c->send_buf;
	k++;
	if (start_batch(c, ops, k, CS_PUSH) < 0)
		ctx_free(c);
}

static int is_held_stream(const plugin_server *s, const char *method)
{
	for (size_t i = 0; i < s->nheld; i++)
		if (strcmp(s->held[i], method) == 0)
			return 1;
	return 0;
}

static void hold_stream(call_ctx *c)
{
	plugin_server *s = c->w->srv;
	grpc_op ops[2];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[1].data.recv_close_on_server.cancelled = &c->cancelled;
	/* Register before starting the batch: plugin_server_stop may sweep the list from another thread. */
	pthread_mutex_lock(&s->streams_mu);
	if (start_batch(c, ops, 2, CS_STREAM) < 0) {
		pthread_mutex_unlock(&s->streams_mu);
		ctx_free(c);
		return;
	}
	c->next = s->streams;
	if (s->streams != NULL)
		s->streams->prev = c;
	s->streams = c;
	if (atomic_load(&s->stopping))
		grpc_call_cancel_with_status(c->call, GRPC_STATUS_UNAVAILABLE, "plugin is shutting down", NULL);
	pthread_mutex_unlock(&s->streams_mu);
	tflog_kv(TFLOG_TRACE, LOG_MODULE, "holding server stream open", "rpc.method", c->method, NULL);
}

static void unhold_stream(call_ctx *c)
{
	plugin_server *s = c->w->srv;
	pthread_mutex_lock(&s->streams_mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->streams = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&s->streams_mu);
	ctx_free(c);
}

/* ------------------------------------------------------------------- events */

static void on_request(worker *w, call_ctx *c, int success)
{
	w->has_request = 0;
	if (atomic_fetch_sub(&w->srv->idle, 1) == 1 && success)
		spawn_worker(w->srv); /* this worker is about to be busy: keep one waiting */
	if (!success) { /* the server is shutting down: the request was withdrawn */
		ctx_free(c);
		return;
	}
	c->method =
		strndup((const char *)GRPC_SLICE_START_PTR(c->details.method), GRPC_SLICE_LENGTH(c->details.method));
	if (c->method == NULL)
		fy_oom();
	if (is_held_stream(w->srv, c->method)) {
		hold_stream(c);
		return;
	}
	if (rpc_lookup_method(&c->fn, &c->sfn, &c->fn_data, w->srv->reg, c->method) < 0) {
		tflog_kv(TFLOG_DEBUG, LOG_MODULE, "unimplemented method", "rpc.method", c->method, NULL);
		char details[512];
		snprintf(details, sizeof(details), "unknown method %s", c->method);
		send_response(c, RPC_UNIMPLEMENTED, details, NULL, 0, 0);
		return;
	}
	grpc_op op;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_buf;
	if (start_batch(c, &op, 1, CS_RECV) < 0) {
		ctx_free(c);
		return;
	}
	w->in_recv = 1;
}

/* Copy a (possibly compressed, possibly multi-slice) message into the arena. */
static uint8_t *read_message(fy_arena *a, grpc_byte_buffer *buf, size_t *len, int *ok)
{
	*len = 0;
	*ok = 1;
	if (buf == NULL)
		return fy_arena_alloc(a, 1);
	grpc_byte_buffer_reader reader;
	if (!grpc_byte_buffer_reader_init(&reader, buf)) {
		*ok = 0;
		return NULL;
	}
	grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	*len = GRPC_SLICE_LENGTH(all);
	uint8_t *p = fy_arena_alloc(a, *len + 1);
	memcpy(p, GRPC_SLICE_START_PTR(all), *len);
	grpc_slice_unref(all);
	return p;
}

static void on_recv(worker *w, call_ctx *c, int success)
{
	w->in_recv = 0;
	if (!success) { /* cancelled by the client before the request arrived */
		ctx_free(c);
		return;
	}
	double t0 = fy_now_ms_exact();
	fy_arena *arena = NULL;
	if (fy_arena_new(&arena) < 0)
		fy_oom();
	size_t req_len = 0;
	int ok = 1;
	const uint8_t *req = read_message(arena, c->recv_buf, &req_len, &ok);
	int status;
	uint8_t *resp = NULL;
	size_t resp_len = 0;
	const char *msg = NULL;
	if (!ok) {
		status = RPC_INTERNAL;
		msg = "cannot read the request message";
	} else if (c->recv_buf == NULL) {
		/* A unary client always sends exactly one message. */
		status = RPC_INVALID_ARGUMENT;
		msg = "missing request message";
	} else if (c->sfn != NULL) {
		fy_error_clear();
		rpc_stream_new(&c->out, arena);
		status = c->sfn(c->fn_data, arena, req, req_len, c->out, &msg);
	} else {
		fy_error_clear();
		status = c->fn(c->fn_data, arena, req, req_len, &resp, &resp_len, &msg);
	}
	double dt = fy_now_ms_exact() - t0;
	if (tflog_enabled(TFLOG_TRACE)) {
		char dur[32], st[16], in[24], out[24];
		snprintf(dur, sizeof(dur), "%.3f", dt);
		snprintf(st, sizeof(st), "%d", status);
		snprintf(in, sizeof(in), "%zu", req_len);
		snprintf(out, sizeof(out), "%zu", resp_len);
		tflog_kv(TFLOG_TRACE, LOG_MODULE, "served rpc", "rpc.method", c->method, "rpc.duration_ms", dur,
			"rpc.status", st, "rpc.request_bytes", in, "rpc.response_bytes", out, NULL);
	}
	if (c->sfn != NULL && status == RPC_OK) {
		c->arena = arena; /* the messages live there until the last is sent (ctx_free) */
		c->push_status = status;
		push_next(c, 1);
		return;
	}
	if (status == RPC_OK)
		send_response(c, RPC_OK, NULL, resp ? resp : (const uint8_t *)"", resp ? resp_len : 0, 1);
	else
		send_response(c, status, msg, NULL, 0, 0);
	fy_arena_free(arena); /* the response was copied into the byte buffer */
}

static void maybe_shutdown_cq(worker *w)
{
	if (!w->cq_shut && w->outstanding == 0 && atomic_load(&w->srv->stopping)) {
		w->cq_shut = 1;
		grpc_completion_queue_shutdown(w->cq);
	}
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	post_request(w);
	maybe_shutdown_cq(w);
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		w->outstanding--;
		call_ctx *c = ev.tag;
		switch (c->state) {
		case CS_REQUEST: on_request(w, c, ev.success); break;
		case CS_RECV: on_recv(w, c, ev.success); break;
		case CS_SEND: ctx_free(c); break;
		case CS_STREAM: unhold_stream(c); break;
		case CS_PUSH: push_next(c, ev.success); break;
		}
		post_request(w);
		maybe_shutdown_cq(w);
	}
	/* plugin_server_stop waits for this, with a deadline, before it joins (no timed join on every platform). */
	pthread_mutex_lock(&w->srv->spawn_mu);
	w->exited = 1;
	pthread_cond_broadcast(&w->srv->exit_cv);
	pthread_mutex_unlock(&w->srv->spawn_mu);
	return NULL;
}

/* -------------------------------------------------------------------- server */

int plugin_server_new(plugin_server **out, const rpc_registry *reg, const plugin_server_config *cfg)
{
	if (reg == NULL || cfg == NULL || cfg->address == NULL)
		return fy_error_set(FY_EINVALID, "plugin_server_new: registry and address are required");
	if (cfg->client_ca_pem != NULL && (cfg->cert_pem == NULL || cfg->key_pem == NULL))
		return fy_error_set(FY_EINVALID, "plugin_server_new: mTLS needs our certificate and key");
	plugin_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory");
	s->reg = reg;
	s->stop_pipe[0] = s->stop_pipe[1] = -1;
	pthread_mutex_init(&s->streams_mu, NULL);
	pthread_mutex_init(&s->spawn_mu, NULL);
	fy_os_cond_init_monotonic(&s->exit_cv);
	s->nworkers = cfg->workers > 0 ? cfg->workers : PLUGIN_DEFAULT_WORKERS;
	if (cfg->held_streams != NULL) {
		while (cfg->held_streams[s->nheld] != NULL)
			s->nheld++;
		s->held = calloc(s->nheld + 1, sizeof(char *));
		if (s->held == NULL)
			goto oom;
		for (size_t i = 0; i < s->nheld; i++)
			if ((s->held[i] = strdup(cfg->held_streams[i])) == NULL)
				goto oom;
	}
	s->workers = calloc((size_t)s->nworkers, sizeof(worker));
	if (s->workers == NULL)
		goto oom;
	if (fy_os_pipe(s->stop_pipe, 1) < 0) {
		int e = errno;
		plugin_server_free(s);
		return fy_error_set(FY_EIO, "pipe: %s", strerror(e));
	}

	gpr_set_log_function(grpc_log_to_tflog);
	grpc_init();
	plugin_grpc_trim_threads();

	/* Terraform's client allows MaxInt32 and asks GetProviderSchema for up to 64 MiB; C core's default
	 * receive cap is 4 MiB. 256 MiB both ways, as terraform-plugin-go (docs/internals/protocol.md 1.3). */
	grpc_arg args[2];
	memset(args, 0, sizeof(args));
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = PLUGIN_MAX_MESSAGE_BYTES;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = PLUGIN_MAX_MESSAGE_BYTES;
	grpc_channel_args cargs = {.num_args = 2, .args = args};
	s->server = grpc_server_create(&cargs, NULL);
	s->shutdown_cq = grpc_completion_queue_create_for_pluck(NULL);
	for (int i = 0; i < s->nworkers; i++) {
		s->workers[i].srv = s;
		s->workers[i].cq = grpc_completion_queue_create_for_next(NULL);
		grpc_server_register_completion_queue(s->server, s->workers[i].cq, NULL);
	}

	grpc_server_credentials *creds;
	if (cfg->client_ca_pem != NULL) {
		/* go-plugin's AutoMTLS server: RequireAndVerifyClientCert against PLUGIN_CLIENT_CERT
		 * (docs/internals/protocol.md 2.3). */
		grpc_ssl_pem_key_cert_pair pair = {.private_key = cfg->key_pem, .cert_chain = cfg->cert_pem};
		creds = grpc_ssl_server_credentials_create_ex(
			cfg->client_ca_pem, &pair, 1, GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY, NULL);
	} else {
		creds = grpc_insecure_server_credentials_create();
	}
	if (creds == NULL) {
		plugin_server_free(s);
		return fy_error_set(FY_ERROR, "cannot create the gRPC server credentials (bad PLUGIN_CLIENT_CERT?)");
	}
	int port = grpc_server_add_http2_port(s->server, cfg->address, creds);
	grpc_server_credentials_release(creds);
	if (port == 0) {
		plugin_server_free(s);
		return fy_error_set(FY_EIO, "cannot listen on %s", cfg->address);
	}
	*out = s;
	return FY_OK;
oom:
	plugin_server_free(s);
	return fy_error_set(FY_ENOMEM, "out of memory");
}

int plugin_server_start(plugin_server *s)
{
	if (s->started)
		return fy_error_set(FY_EINVALID, "plugin_server_start: already started");
	grpc_server_start(s->server);
	s->started = 1;
	worker *w = &s->workers[0];
	int e = pthread_create(&w->thread, NULL, worker_main, w);
	if (e != 0)
		return fy_error_set(FY_EIO, "pthread_create: %s", strerror(e));
	w->thread_started = w->ran = 1;
	s->nstarted = 1;
	return FY_OK;
}

void plugin_server_request_stop(plugin_server *s)
{
	/* Async-signal-safe: a byte on a pipe; a full pipe already means "stop requested". */
	char b = 1;
	ssize_t ignored = write(s->stop_pipe[1], &b, 1);
	(void)ignored;
}

int plugin_server_stop_fd(const plugin_server *s)
{
	return s->stop_pipe[0];
}

static void cancel_streams(plugin_server *s)
{
	pthread_mutex_lock(&s->streams_mu);
	for (call_ctx *c = s->streams; c != NULL; c = c->next)
		grpc_call_cancel_with_status(c->call, GRPC_STATUS_UNAVAILABLE, "plugin is shutting down", NULL);
	pthread_mutex_unlock(&s->streams_mu);
}

static int server_shutdown(plugin_server *s, int grace_ms)
{
	if (!s->shutdown_called) {
		atomic_store(&s->stopping, 1);
		s->shutdown_called = 1;
		grpc_server_shutdown_and_notify(s->server, s->shutdown_cq, s);
		cancel_streams(s);
	}
	if (s->shutdown_done)
		return FY_OK;
	grpc_event ev = grpc_completion_queue_pluck(s->shutdown_cq, s, deadline_ms(grace_ms), NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		tflog(TFLOG_WARN, LOG_MODULE, "in-flight calls still running after %d ms; cancelling them", grace_ms);
		grpc_server_cancel_all_calls(s->server);
		ev = grpc_completion_queue_pluck(s->shutdown_cq, s, deadline_ms(grace_ms), NULL);
		if (ev.type == GRPC_QUEUE_TIMEOUT)
			return fy_error_set(FY_ETIMEOUT, "gRPC server did not shut down");
	}
	s->shutdown_done = 1;
	return FY_OK;
}

int plugin_server_stop(plugin_server *s, int grace_ms)
{
	if (!s->started || s->joined)
		return FY_OK;
	int rc = server_shutdown(s, grace_ms);
	if (rc < 0)
		return rc;
	/* Workers leave once their queue drains; a handler that ignores cancellation keeps its worker, and then
	 * the caller is told so rather than blocked. */
	struct timespec until;
	fy_deadline_ms(&until, grace_ms);
	/* stopping is set: no worker starts after this. */
	pthread_mutex_lock(&s->spawn_mu);
	int n = s->nstarted, timed_out = 0;
	for (int i = 0; i < n && !timed_out; i++)
		while (s->workers[i].thread_started && !s->workers[i].exited && !timed_out)
			timed_out = fy_os_cond_timedwait(&s->exit_cv, &s->spawn_mu, &until) == ETIMEDOUT;
	pthread_mutex_unlock(&s->spawn_mu);
	if (timed_out)
		return fy_error_set(FY_ETIMEOUT, "a handler is still running after shutdown");
	for (int i = 0; i < n; i++) {
		worker *w = &s->workers[i];
		if (!w->thread_started)
			continue;
		pthread_join(w->thread, NULL); /* it has exited: this returns at once */
		w->thread_started = 0;
	}
	s->joined = 1;
	return FY_OK;
}

static void server_free(plugin_server *s, int shutdown_grpc)
{
	if (s == NULL)
		return;
	if (s->server != NULL) {
		if (s->started && !s->joined) {
			/* Stop did not finish: workers may still use the server; leaking beats a use-after-free. */
			return;
		}
		if (server_shutdown(s, 1000) == 0)
			grpc_server_destroy(s->server);
		for (int i = 0; i < s->nworkers; i++) {
			worker *w = &s->workers[i];
			if (w->cq == NULL)
				continue;
			if (!w->ran) { /* no thread ever served it: drain the queue ourselves */
				grpc_completion_queue_shutdown(w->cq);
				while (grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
						.type != GRPC_QUEUE_SHUTDOWN)
					;
			}
			grpc_completion_queue_destroy(w->cq);
		}
		grpc_completion_queue_shutdown(s->shutdown_cq);
		while (grpc_completion_queue_pluck(s->shutdown_cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
				.type != GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(s->shutdown_cq);
		if (shutdown_grpc)
			grpc_shutdown();
	}
	for (size_t i = 0; s->held != NULL && i < s->nheld; i++)
		free(s->held[i]);
	free(s->held);
	free(s->workers);
	if (s->stop_pipe[0] >= 0)
		close(s->stop_pipe[0]);
	if (s->stop_pipe[1] >= 0)
		close(s->stop_pipe[1]);
	pthread_mutex_destroy(&s->streams_mu);
	pthread_mutex_destroy(&s->spawn_mu);
	pthread_cond_destroy(&s->exit_cv);
	free(s);
}

void plugin_server_free(plugin_server *s)
{
	server_free(s, 1);
}

void plugin_server_free_for_exit(plugin_server *s)
{
	server_free(s, 0);
}
