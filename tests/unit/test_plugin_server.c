/* plugin: the gRPC transport, driven in-process by a gRPC C-core client over a unix socket:
 * dispatch through the registry, UNIMPLEMENTED, statuses, big messages, concurrency (a slow handler does not
 * block others), held streams, graceful stop, Shutdown/health built-ins, and AutoMTLS client verification. */
#define _GNU_SOURCE
#include "internal/log/tflog.h"
#include "internal/plugin/plugin.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "grpc_controller.pb-c.h"
#include "health.pb-c.h"

/* ----------------------------------------------------------------- handlers */

static int h_echo(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message)
{
	*resp = fy_arena_memdup(arena, req, req_len);
	*resp_len = req_len;
	return RPC_OK;
}

static int h_fail(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message)
{
	*status_message = fy_arena_sprintf(arena, "bad request of %zu bytes", req_len);
	return RPC_INVALID_ARGUMENT;
}

/* A handler that blocks until the test releases it (bounded, so a broken test cannot hang forever). */
static pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cv = PTHREAD_COND_INITIALIZER;
static int slow_entered, slow_released;

static int h_slow(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp, size_t *resp_len,
	const char **status_message)
{
	pthread_mutex_lock(&slow_mu);
	slow_entered++;
	pthread_cond_broadcast(&slow_cv);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;
	while (!slow_released)
		if (pthread_cond_timedwait(&slow_cv, &slow_mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&slow_mu);
	*resp = (uint8_t *)fy_arena_strdup(arena, "slow");
	*resp_len = 4;
	return RPC_OK;
}

static void slow_reset(void)
{
	pthread_mutex_lock(&slow_mu);
	slow_entered = 0;
	slow_released = 0;
	pthread_mutex_unlock(&slow_mu);
}

static void slow_release(void)
{
	pthread_mutex_lock(&slow_mu);
	slow_released = 1;
	pthread_cond_broadcast(&slow_cv);
	pthread_mutex_unlock(&slow_mu);
}

static int slow_wait_entered(int n)
{
	pthread_mutex_lock(&slow_mu);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 20;
	while (slow_entered < n)
		if (pthread_cond_timedwait(&slow_cv, &slow_mu, &until) == ETIMEDOUT)
			break;
	int got = slow_entered;
	pthread_mutex_unlock(&slow_mu);
	return got;
}

static atomic_int handler_calls;

static int h_count(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp,
	size_t *resp_len, const char **status_message)
{
	atomic_fetch_add(&handler_calls, 1);
	return h_echo(data, arena, req, req_len, resp, resp_len, status_message);
}

/* ------------------------------------------------------------------ fixture */

static char *scratch;
static char *sock;
static char addr[256];
static rpc_registry *reg;
static plugin_server *srv;

static void setup(void)
{
	tflog_set_output(NULL, TFLOG_OFF);
	char tmpl[] = "/tmp/test_plugin_server-XXXXXX";
	scratch = strdup(mkdtemp(tmpl));
	setenv("PLUGIN_UNIX_SOCKET_DIR", scratch, 1);
	ck_assert_int_eq(plugin_socket_path(&sock), FY_OK);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	ck_assert_int_eq(rpc_registry_new(&reg), FY_OK);
	ck_assert_int_eq(rpc_register_unary(reg, "/test.S/Echo", h_echo, NULL), FY_OK);
	ck_assert_int_eq(rpc_register_unary(reg, "/test.S/Fail", h_fail, NULL), FY_OK);
	ck_assert_int_eq(rpc_register_unary(reg, "/test.S/Slow", h_slow, NULL), FY_OK);
	ck_assert_int_eq(rpc_register_unary(reg, "/test.S/Count", h_count, NULL), FY_OK);
	slow_reset();
	atomic_store(&handler_calls, 0);
	grpc_init(); /* the client side's reference */
	srv = NULL;
}

static void teardown(void)
{
	slow_release();
	if (srv != NULL) {
		plugin_server_stop(srv, 5000);
		plugin_server_free(srv);
	}
	grpc_shutdown();
	rpc_registry_free(reg);
	plugin_socket_cleanup(sock);
	free(sock);
	rmdir(scratch);
	free(scratch);
	unsetenv("PLUGIN_UNIX_SOCKET_DIR");
}

static const char *const held[] = {"/plugin.GRPCStdio/StreamStdio", NULL};

static void serve(const plugin_server_config *extra)
{
	plugin_server_config cfg = {.address = addr, .held_streams = held};
	if (extra != NULL) {
		cfg = *extra;
		cfg.address = addr;
	}
	ck_assert_int_eq(plugin_server_new(&srv, reg, &cfg), FY_OK);
	ck_assert_int_eq(plugin_register_builtin(reg, srv), FY_OK);
	ck_assert_int_eq(plugin_server_start(srv), FY_OK);
}

/* ------------------------------------------------------------------- client */

static grpc_channel *dial(grpc_channel_credentials *creds)
{
	grpc_arg args[2];
	memset(args, 0, sizeof(args));
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = 64 * 1024 * 1024;
	args[1].type = GRPC_ARG_STRING;
	args[1].key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG;
	args[1].value.string = (char *)"localhost";
	grpc_channel_args ca = {.num_args = 2, .args = args};
	int own = creds == NULL;
	if (own)
		creds = grpc_insecure_credentials_create();
	grpc_channel *ch = grpc_channel_create(addr, creds, &ca);
	if (own)
		grpc_channel_credentials_release(creds);
	ck_assert_ptr_nonnull(ch);
	return ch;
}

typedef struct result {
	grpc_status_code status;
	char *details;
	uint8_t *resp;
	size_t resp_len;
	int has_resp;
} result;

static void result_free(result *r)
{
	free(r->details);
	free(r->resp);
	memset(r, 0, sizeof(*r));
}

static void read_bb(grpc_byte_buffer *bb, uint8_t **out, size_t *len)
{
	grpc_byte_buffer_reader rd;
	ck_assert(grpc_byte_buffer_reader_init(&rd, bb));
	grpc_slice s = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	*len = GRPC_SLICE_LENGTH(s);
	*out = malloc(*len + 1);
	memcpy(*out, GRPC_SLICE_START_PTR(s), *len);
	grpc_slice_unref(s);
}

static void drain_destroy(grpc_completion_queue *cq)
{
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
}

static gpr_timespec in_ms(int ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static void unary(result *r, grpc_channel *ch, const char *method, const void *req, size_t len, int timeout_ms)
{
	memset(r, 0, sizeof(*r));
	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_slice m = grpc_slice_from_copied_string(method);
	grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL, in_ms(timeout_ms), NULL);
	grpc_slice_unref(m);
	grpc_slice payload = grpc_slice_from_copied_buffer(req, len);
	grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&payload, 1);
	grpc_slice_unref(payload);
	grpc_metadata_array imd, tmd;
	grpc_metadata_array_init(&imd);
	grpc_metadata_array_init(&tmd);
	grpc_byte_buffer *recv = NULL;
	grpc_slice details = grpc_empty_slice();
	grpc_op ops[6];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &imd;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &tmd;
	ops[5].data.recv_status_on_client.status = &r->status;
	ops[5].data.recv_status_on_client.status_details = &details;
	ck_assert_int_eq(grpc_call_start_batch(call, ops, 6, (void *)1, NULL), GRPC_CALL_OK);
	grpc_event ev = grpc_completion_queue_pluck(cq, (void *)1, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	ck_assert_int_eq(ev.type, GRPC_OP_COMPLETE);
	r->details = grpc_slice_to_c_string(details);
	if (recv != NULL) {
		r->has_resp = 1;
		read_bb(recv, &r->resp, &r->resp_len);
		grpc_byte_buffer_destroy(recv);
	}
	grpc_slice_unref(details);
	grpc_byte_buffer_destroy(send);
	grpc_metadata_array_destroy(&imd);
	grpc_metadata_array_destroy(&tmd);
	grpc_call_unref(call);
	drain_destroy(cq);
}

/* grpc_slice_to_c_string allocates with gpr_malloc; keep one allocator for result_free. */
static char *dup_details(char *s)
{
	char *d = strdup(s);
	gpr_free(s);
	return d;
}

static void call(result *r, grpc_channel *ch, const char *method, const void *req, size_t len)
{
	unary(r, ch, method, req, len, 20000);
	r->details = dup_details(r->details);
}

/* ------------------------------------------------------------------- tests */

START_TEST(test_dispatch_and_statuses)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	result r;

	call(&r, ch, "/test.S/Echo", "hello", 5);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	ck_assert(r.has_resp);
	ck_assert_uint_eq(r.resp_len, 5);
	ck_assert_int_eq(memcmp(r.resp, "hello", 5), 0);
	result_free(&r);

	call(&r, ch, "/test.S/Echo", "", 0); /* an empty message is a message */
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	ck_assert(r.has_resp);
	ck_assert_uint_eq(r.resp_len, 0);
	result_free(&r);

	call(&r, ch, "/test.S/Fail", "abc", 3);
	ck_assert_int_eq(r.status, GRPC_STATUS_INVALID_ARGUMENT);
	ck_assert_str_eq(r.details, "bad request of 3 bytes");
	ck_assert(!r.has_resp);
	result_free(&r);

	/* Any path reaches the server; unknown ones are UNIMPLEMENTED (docs/internals/protocol.md 1.3). */
	call(&r, ch, "/tfplugin6.Provider/GetResourceIdentitySchemas", "", 0);
	ck_assert_int_eq(r.status, GRPC_STATUS_UNIMPLEMENTED);
	ck_assert_ptr_nonnull(strstr(r.details, "GetResourceIdentitySchemas"));
	result_free(&r);
	call(&r, ch, "/plugin.GRPCBroker/StartStream", "", 0);
	ck_assert_int_eq(r.status, GRPC_STATUS_UNIMPLEMENTED);
	result_free(&r);

	grpc_channel_destroy(ch);
}
END_TEST

START_TEST(test_big_messages)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	/* Past C core's 4 MiB default receive cap, as a large GetProviderSchema or state would be. */
	size_t n = 12 * 1024 * 1024;
	uint8_t *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 31 + 7);
	result r;
	call(&r, ch, "/test.S/Echo", big, n);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	ck_assert_uint_eq(r.resp_len, n);
	ck_assert_int_eq(memcmp(r.resp, big, n), 0);
	result_free(&r);
	free(big);
	grpc_channel_destroy(ch);
}
END_TEST

struct bg_call {
	grpc_channel *ch;
	const char *method;
	result r;
	atomic_int done;
	pthread_t t;
};

static void *bg_main(void *p)
{
	struct bg_call *b = p;
	unary(&b->r, b->ch, b->method, "x", 1, 60000);
	b->r.details = dup_details(b->r.details);
	atomic_store(&b->done, 1);
	return NULL;
}

static void bg_start(struct bg_call *b, grpc_channel *ch, const char *method)
{
	memset(b, 0, sizeof(*b));
	b->ch = ch;
	b->method = method;
	ck_assert_int_eq(pthread_create(&b->t, NULL, bg_main, b), 0);
}

START_TEST(test_slow_handler_does_not_block_others)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	struct bg_call slow;
	bg_start(&slow, ch, "/test.S/Slow");
	ck_assert_int_eq(slow_wait_entered(1), 1);

	/* The slow handler is still inside its handler; a second call must complete meanwhile. */
	result r;
	call(&r, ch, "/test.S/Echo", "fast", 4);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	ck_assert_int_eq(memcmp(r.resp, "fast", 4), 0);
	result_free(&r);
	ck_assert_int_eq(atomic_load(&slow.done), 0);

	slow_release();
	pthread_join(slow.t, NULL);
	ck_assert_int_eq(slow.r.status, GRPC_STATUS_OK);
	ck_assert_int_eq(memcmp(slow.r.resp, "slow", 4), 0);
	result_free(&slow.r);
	grpc_channel_destroy(ch);
}
END_TEST

START_TEST(test_terraform_parallelism)
{
	/* Terraform's -parallelism=10 in flight at once, and StopProvider still gets through. */
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	struct bg_call slow[10];
	for (int i = 0; i < 10; i++)
		bg_start(&slow[i], ch, "/test.S/Slow");
	ck_assert_int_eq(slow_wait_entered(10), 10);
	result r;
	call(&r, ch, "/test.S/Echo", "stop", 4);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	result_free(&r);
	slow_release();
	for (int i = 0; i < 10; i++) {
		pthread_join(slow[i].t, NULL);
		ck_assert_int_eq(slow[i].r.status, GRPC_STATUS_OK);
		result_free(&slow[i].r);
	}
	grpc_channel_destroy(ch);
}
END_TEST

static void pack_health(uint8_t **out, size_t *len, const char *service)
{
	Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	req.service = (char *)service;
	*len = grpc__health__v1__health_check_request__get_packed_size(&req);
	*out = malloc(*len + 1);
	grpc__health__v1__health_check_request__pack(&req, *out);
}

static void check_health(grpc_channel *ch, const char *service, grpc_status_code want_status, int want_serving)
{
	uint8_t *req;
	size_t len;
	pack_health(&req, &len, service);
	result r;
	call(&r, ch, "/grpc.health.v1.Health/Check", req, len);
	free(req);
	ck_assert_int_eq(r.status, want_status);
	if (want_status == GRPC_STATUS_OK) {
		Grpc__Health__V1__HealthCheckResponse *resp =
			grpc__health__v1__health_check_response__unpack(NULL, r.resp_len, r.resp);
		ck_assert_ptr_nonnull(resp);
		ck_assert_int_eq(resp->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
			want_serving);
		grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
	}
	result_free(&r);
}

START_TEST(test_health)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	check_health(ch, "plugin", GRPC_STATUS_OK, 1);
	check_health(ch, "", GRPC_STATUS_OK, 1);
	check_health(ch, "other.Service", GRPC_STATUS_NOT_FOUND, 0);
	result r;
	call(&r, ch, "/grpc.health.v1.Health/Check", "\xff\xff", 2); /* not a protobuf message */
	ck_assert_int_eq(r.status, GRPC_STATUS_INVALID_ARGUMENT);
	result_free(&r);
	grpc_channel_destroy(ch);
}
END_TEST

static int stop_fd_readable(void)
{
	struct pollfd p = {.fd = plugin_server_stop_fd(srv), .events = POLLIN};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

START_TEST(test_shutdown_rpc)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	ck_assert(!stop_fd_readable());
	Plugin__Empty e = PLUGIN__EMPTY__INIT;
	uint8_t buf[8];
	size_t n = plugin__empty__pack(&e, buf);
	result r;
	call(&r, ch, "/plugin.GRPCController/Shutdown", buf, n);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK); /* the reply arrives before the stop */
	ck_assert(r.has_resp);
	ck_assert_uint_eq(r.resp_len, 0);
	result_free(&r);
	ck_assert(stop_fd_readable());
	/* The owner then stops; the connected client does not hold the stop up. */
	ck_assert_int_eq(plugin_server_stop(srv, 5000), FY_OK);
	grpc_channel_destroy(ch);
}
END_TEST

START_TEST(test_held_stream_does_not_occupy_a_worker)
{
	plugin_server_config cfg = {.workers = 1, .held_streams = held};
	serve(&cfg);
	grpc_channel *ch = dial(NULL);

	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_slice m = grpc_slice_from_static_string("/plugin.GRPCStdio/StreamStdio");
	grpc_call *stream =
		grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_slice empty = grpc_empty_slice();
	grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&empty, 1);
	grpc_metadata_array imd, tmd;
	grpc_metadata_array_init(&imd);
	grpc_metadata_array_init(&tmd);
	grpc_op ops[4];
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &imd;
	ck_assert_int_eq(grpc_call_start_batch(stream, ops, 4, (void *)1, NULL), GRPC_CALL_OK);
	grpc_event ev = grpc_completion_queue_pluck(cq, (void *)1, in_ms(20000), NULL);
	ck_assert_int_eq(ev.type, GRPC_OP_COMPLETE); /* the server accepted and opened the stream */
	ck_assert(ev.success);

	grpc_byte_buffer *recv = NULL;
	grpc_status_code st = GRPC_STATUS_OK;
	grpc_slice details;
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_MESSAGE;
	ops[0].data.recv_message.recv_message = &recv;
	ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[1].data.recv_status_on_client.trailing_metadata = &tmd;
	ops[1].data.recv_status_on_client.status = &st;
	ops[1].data.recv_status_on_client.status_details = &details;
	ck_assert_int_eq(grpc_call_start_batch(stream, ops, 2, (void *)2, NULL), GRPC_CALL_OK);

	/* With a single worker, this only completes if the open stream left the worker free. */
	result r;
	call(&r, ch, "/test.S/Echo", "x", 1);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	result_free(&r);

	/* Stop ends the stream (it sent nothing) and does not wait for the client to hang up. */
	ck_assert_int_eq(plugin_server_stop(srv, 5000), FY_OK);
	ev = grpc_completion_queue_pluck(cq, (void *)2, in_ms(20000), NULL);
	ck_assert_int_eq(ev.type, GRPC_OP_COMPLETE);
	ck_assert_ptr_null(recv);
	ck_assert_int_eq(st, GRPC_STATUS_UNAVAILABLE);

	grpc_slice_unref(details);
	grpc_byte_buffer_destroy(send);
	grpc_metadata_array_destroy(&imd);
	grpc_metadata_array_destroy(&tmd);
	grpc_call_unref(stream);
	drain_destroy(cq);
	grpc_channel_destroy(ch);
}
END_TEST

struct stopper {
	pthread_t t;
	int grace;
	int rc;
};

static void *stop_main(void *p)
{
	struct stopper *s = p;
	s->rc = plugin_server_stop(srv, s->grace);
	return NULL;
}

START_TEST(test_stop_lets_in_flight_finish)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	struct bg_call slow;
	bg_start(&slow, ch, "/test.S/Slow");
	ck_assert_int_eq(slow_wait_entered(1), 1);
	struct stopper st = {.grace = 20000};
	ck_assert_int_eq(pthread_create(&st.t, NULL, stop_main, &st), 0);
	slow_release();
	pthread_join(st.t, NULL);
	pthread_join(slow.t, NULL);
	ck_assert_int_eq(st.rc, FY_OK);
	ck_assert_int_eq(slow.r.status, GRPC_STATUS_OK); /* the in-flight call got its answer */
	result_free(&slow.r);
	/* Nothing is accepted any more. */
	result r;
	unary(&r, ch, "/test.S/Echo", "x", 1, 5000);
	r.details = dup_details(r.details);
	ck_assert_int_ne(r.status, GRPC_STATUS_OK);
	result_free(&r);
	grpc_channel_destroy(ch);
}
END_TEST

START_TEST(test_stop_reports_a_stuck_handler)
{
	serve(NULL);
	grpc_channel *ch = dial(NULL);
	struct bg_call slow;
	bg_start(&slow, ch, "/test.S/Slow");
	ck_assert_int_eq(slow_wait_entered(1), 1);
	/* The handler ignores cancellation: stop gives up instead of blocking (the process then _exits). */
	ck_assert_int_eq(plugin_server_stop(srv, 100), FY_ETIMEOUT);
	pthread_join(slow.t, NULL); /* the client side was cancelled */
	ck_assert_int_ne(slow.r.status, GRPC_STATUS_OK);
	result_free(&slow.r);
	slow_release();
	ck_assert_int_eq(plugin_server_stop(srv, 20000), FY_OK);
	grpc_channel_destroy(ch);
}
END_TEST

/* ------------------------------------------------------------------- mTLS */

static void mtls_case(grpc_channel_credentials *creds, int want_ok)
{
	grpc_channel *ch = dial(creds);
	grpc_channel_credentials_release(creds);
	result r;
	unary(&r, ch, "/test.S/Count", "x", 1, 20000);
	r.details = dup_details(r.details);
	if (want_ok) {
		ck_assert_msg(r.status == GRPC_STATUS_OK, "status %d: %s", r.status, r.details);
		ck_assert_int_eq(memcmp(r.resp, "x", 1), 0);
	} else {
		ck_assert_msg(r.status != GRPC_STATUS_OK, "an unauthenticated client was served");
	}
	result_free(&r);
	grpc_channel_destroy(ch);
}

START_TEST(test_mtls_requires_terraforms_certificate)
{
	/* Terraform's side of AutoMTLS makes its certificate with the same recipe (GP mtls.go). */
	plugin_cert *server_id, *terraform_id, *stranger;
	ck_assert_int_eq(plugin_cert_generate(&server_id), FY_OK);
	ck_assert_int_eq(plugin_cert_generate(&terraform_id), FY_OK);
	ck_assert_int_eq(plugin_cert_generate(&stranger), FY_OK);
	plugin_server_config cfg = {
		.client_ca_pem = plugin_cert_pem(terraform_id),
		.cert_pem = plugin_cert_pem(server_id),
		.key_pem = plugin_cert_key_pem(server_id),
		.held_streams = held,
	};
	serve(&cfg);

	grpc_ssl_pem_key_cert_pair tf = {.private_key = plugin_cert_key_pem(terraform_id),
		.cert_chain = plugin_cert_pem(terraform_id)};
	grpc_ssl_pem_key_cert_pair other = {.private_key = plugin_cert_key_pem(stranger),
		.cert_chain = plugin_cert_pem(stranger)};

	/* Terraform: trusts the handshake's certificate, presents its own. */
	mtls_case(grpc_ssl_credentials_create(plugin_cert_pem(server_id), &tf, NULL, NULL), 1);
	ck_assert_int_eq(atomic_load(&handler_calls), 1);
	/* No client certificate, someone else's certificate, or plaintext: refused before any handler runs. */
	mtls_case(grpc_ssl_credentials_create(plugin_cert_pem(server_id), NULL, NULL, NULL), 0);
	mtls_case(grpc_ssl_credentials_create(plugin_cert_pem(server_id), &other, NULL, NULL), 0);
	mtls_case(grpc_insecure_credentials_create(), 0);
	ck_assert_int_eq(atomic_load(&handler_calls), 1);
	/* A client that does not trust our certificate does not talk to us either. */
	mtls_case(grpc_ssl_credentials_create(plugin_cert_pem(stranger), &tf, NULL, NULL), 0);
	ck_assert_int_eq(atomic_load(&handler_calls), 1);

	plugin_cert_free(server_id);
	plugin_cert_free(terraform_id);
	plugin_cert_free(stranger);
}
END_TEST

START_TEST(test_bad_config)
{
	plugin_server *s = NULL;
	plugin_server_config cfg = {.address = NULL};
	ck_assert_int_eq(plugin_server_new(&s, reg, &cfg), FY_EINVALID);
	cfg.address = addr;
	cfg.client_ca_pem = "x";
	ck_assert_int_eq(plugin_server_new(&s, reg, &cfg), FY_EINVALID); /* mTLS without our identity */
	/* A directory that does not exist cannot be listened on. */
	plugin_server_config bad = {.address = "unix:/nonexistent-dir-for-test/plugin.sock"};
	ck_assert_int_eq(plugin_server_new(&s, reg, &bad), FY_EIO);
	/* Created but never started: free is clean. */
	plugin_server_config ok = {.address = addr};
	ck_assert_int_eq(plugin_server_new(&s, reg, &ok), FY_OK);
	plugin_server_free(s);
}
END_TEST


/* ======================================================================================================
 * plugin_serve, as Terraform launches it: this test binary re-executes itself with "--serve" and runs
 * plugin_serve() with a stand-in for internal/tf (tf_server_new/register/free below), so the process side
 * (cookie, negotiation, handshake line, AutoMTLS, signals, Shutdown -> exit, -debug, -version) is tested
 * without the provider. The real provider binary is exercised by tests/conformance.
 * ====================================================================================================== */

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "tfplugin6.pb-c.h"

struct tf_server {
	const tf_provider *provider;
};

int tf_server_new(tf_server **out, const tf_provider *provider)
{
	if (provider == NULL || provider->name == NULL)
		return fy_error_set(FY_EINVALID, "stand-in: no provider");
	*out = calloc(1, sizeof(**out));
	(*out)->provider = provider;
	return FY_OK;
}

void tf_server_free(tf_server *srv)
{
	free(srv);
}

static int standin_schema(void *data, fy_arena *arena, const uint8_t *req, size_t req_len, uint8_t **resp,
	size_t *resp_len, const char **status_message)
{
	Tfplugin6__GetProviderSchema__Response out = TFPLUGIN6__GET_PROVIDER_SCHEMA__RESPONSE__INIT;
	*resp_len = protobuf_c_message_get_packed_size(&out.base);
	*resp = fy_arena_alloc(arena, *resp_len + 1);
	protobuf_c_message_pack(&out.base, *resp);
	return RPC_OK;
}

int tf_server_register(tf_server *srv, struct rpc_registry *r)
{
	int rc = rpc_register_unary(r, "/tfplugin6.Provider/GetProviderSchema", standin_schema, srv);
	return rc == FY_OK ? rpc_register_unary(r, "/standin.S/Echo", h_echo, NULL) : rc;
}

static const tf_provider standin_provider = {.name = "standin", .version = "0.0.1"};

/* ------------------------------------------------------------- child process */

typedef struct child {
	pid_t pid;
	int out; /* child's stdout */
	int err; /* child's stderr */
} child;

/* envp entries are "K=V"; sanitizer settings pass through so the -asan child checks itself too. The child's
 * stdout/stderr are the write ends of `o` and `e`, which the caller made. */
static pid_t spawn_fds(const char *const *args, const char *const *env, const int o[2], const int e[2])
{
	const char *argv[16];
	size_t n = 0;
	argv[n++] = "test_plugin_server";
	argv[n++] = "--serve";
	for (size_t i = 0; args != NULL && args[i] != NULL; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	const char *envp[32];
	size_t m = 0;
	static const char *const pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};
	static char passbuf[3][512];
	for (size_t i = 0; pass[i] != NULL; i++) {
		const char *v = getenv(pass[i]);
		if (v != NULL) {
			snprintf(passbuf[i], sizeof(passbuf[i]), "%s=%s", pass[i], v);
			envp[m++] = passbuf[i];
		}
	}
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		envp[m++] = env[i];
	envp[m] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(o[1], STDOUT_FILENO);
		dup2(e[1], STDERR_FILENO);
		execve("/proc/self/exe", (char *const *)argv, (char *const *)envp);
		_exit(127);
	}
	return pid;
}

static void spawn(child *c, const char *const *args, const char *const *env)
{
	int o[2], e[2];
	ck_assert_int_eq(pipe2(o, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(e, O_CLOEXEC), 0);
	c->pid = spawn_fds(args, env, o, e);
	ck_assert_int_gt(c->pid, 0);
	close(o[1]);
	close(e[1]);
	c->out = o[0];
	c->err = e[0];
}

/* Everything until EOF (bounded wait so a broken child cannot hang the suite). */
static char *read_all(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 30000) != 1)
			break;
		if (n + 1024 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	return buf;
}

/* The first line of stdout, read byte by byte so nothing after it is consumed. */
static char *read_line(int fd)
{
	char *buf = calloc(1, 8192);
	size_t n = 0;
	while (n < 8191) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 30000) != 1)
			break;
		if (read(fd, buf + n, 1) != 1)
			break;
		if (buf[n++] == '\n')
			break;
	}
	return buf;
}

static int wait_exit(child *c)
{
	int st = 0;
	for (int i = 0; i < 3000; i++) { /* safety bound: 30 s */
		pid_t r = waitpid(c->pid, &st, WNOHANG);
		if (r == c->pid)
			return st;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &st, 0);
	ck_abort_msg("the plugin did not exit");
	return st;
}

static char cookie_env[] = PLUGIN_MAGIC_COOKIE_KEY "=" PLUGIN_MAGIC_COOKIE_VALUE;
static char sockdir_env[512];

static void serve_setup(void)
{
	tflog_set_output(NULL, TFLOG_OFF);
	char tmpl[] = "/tmp/test_plugin_serve-XXXXXX";
	scratch = strdup(mkdtemp(tmpl));
	snprintf(sockdir_env, sizeof(sockdir_env), "PLUGIN_UNIX_SOCKET_DIR=%s", scratch);
	sock = NULL;
	grpc_init();
}

static void serve_teardown(void)
{
	grpc_shutdown();
	if (sock != NULL)
		plugin_socket_cleanup(sock);
	free(sock);
	sock = NULL;
	ck_assert_int_eq(rmdir(scratch), 0); /* the plugin left nothing behind */
	free(scratch);
}

/* Parse "1|6|unix|PATH|grpc|CERT\n"; sets sock/addr; returns the cert field (malloc'd). */
static char *parse_handshake(const char *line)
{
	ck_assert_msg(strncmp(line, "1|6|unix|/", 10) == 0, "handshake: %s", line);
	size_t n = strlen(line);
	ck_assert_int_eq(line[n - 1], '\n');
	ck_assert_ptr_null(strchr(line, '\r'));
	char *copy = strdup(line);
	copy[n - 1] = '\0';
	char *f[7] = {0};
	int k = 0;
	char *save = NULL;
	for (char *t = strtok_r(copy, "|", &save); t != NULL && k < 7; t = strtok_r(NULL, "|", &save))
		f[k++] = t;
	ck_assert_msg(k == 5 || k == 6, "fields: %d", k); /* strtok drops an empty 6th field */
	ck_assert_str_eq(f[4], "grpc");
	ck_assert_int_eq(strncmp(f[3], scratch, strlen(scratch)), 0);
	free(sock);
	sock = strdup(f[3]);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	char *cert = strdup(k == 6 ? f[5] : "");
	free(copy);
	return cert;
}

static void check_stderr_is_hclog(const char *err, const char *must_contain)
{
	int found = must_contain == NULL;
	char *copy = strdup(err);
	char *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(l);
		ck_assert_msg(o != NULL, "stderr line is not JSON: %s", l);
		ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "@level")));
		ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "@message")));
		ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "@timestamp")));
		if (must_contain != NULL && strstr(l, must_contain) != NULL)
			found = 1;
		cJSON_Delete(o);
	}
	free(copy);
	ck_assert_msg(found, "no log line mentions %s", must_contain);
}

static void call_shutdown(grpc_channel *ch)
{
	result r;
	call(&r, ch, "/plugin.GRPCController/Shutdown", "", 0);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	result_free(&r);
}

static void check_schema(grpc_channel *ch)
{
	result r;
	call(&r, ch, "/tfplugin6.Provider/GetProviderSchema", "", 0);
	ck_assert_msg(r.status == GRPC_STATUS_OK, "status %d: %s", r.status, r.details);
	ProtobufCMessage *resp = protobuf_c_message_unpack(
		&tfplugin6__get_provider_schema__response__descriptor, NULL, r.resp_len, r.resp);
	ck_assert_ptr_nonnull(resp);
	protobuf_c_message_free_unpacked(resp, NULL);
	result_free(&r);
}

START_TEST(test_serve_refuses_without_cookie)
{
	child c;
	const char *env[] = {sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=5,6", NULL};
	spawn(&c, NULL, env);
	char *out = read_all(c.out);
	char *err = read_all(c.err);
	int st = wait_exit(&c);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert_str_eq(out, "");
	ck_assert_str_eq(err, PLUGIN_COOKIE_MESSAGE);
	free(out);
	free(err);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_refuses_protocol_5)
{
	child c;
	const char *env[] = {cookie_env, sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=5", NULL};
	spawn(&c, NULL, env);
	char *out = read_all(c.out);
	char *err = read_all(c.err);
	int st = wait_exit(&c);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	/* One line Terraform shows the user ("Unrecognized remote plugin message: ..."); never a handshake. */
	ck_assert_ptr_nonnull(strstr(out, "protocol 6"));
	ck_assert_int_ne(strncmp(out, "1|", 2), 0);
	ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
	ck_assert_ptr_nonnull(strstr(err, "protocol 6"));
	free(out);
	free(err);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_refuses_bad_client_cert)
{
	child c;
	const char *env[] = {cookie_env, sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=5,6", "PLUGIN_CLIENT_CERT=garbage",
		NULL};
	spawn(&c, NULL, env);
	char *out = read_all(c.out);
	char *err = read_all(c.err);
	int st = wait_exit(&c);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 1);
	ck_assert_ptr_nonnull(strstr(out, "PLUGIN_CLIENT_CERT"));
	ck_assert_int_ne(strncmp(out, "1|", 2), 0);
	free(out);
	free(err);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_plaintext_shutdown)
{
	child c;
	const char *env[] = {cookie_env, sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=6,5", "TF_LOG=TRACE",
		"PLUGIN_MIN_PORT=10000", "PLUGIN_MAX_PORT=25000", NULL};
	spawn(&c, NULL, env);
	char *line = read_line(c.out);
	char *cert = parse_handshake(line);
	ck_assert_str_eq(cert, ""); /* TLS off: empty sixth field */
	ck_assert_ptr_nonnull(strstr(line, "|grpc|\n"));

	/* Only this user can reach the socket: it lives in a fresh 0700 directory. */
	struct stat st;
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	char *dir = strdup(sock);
	*strrchr(dir, '/') = '\0';
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);

	grpc_channel *ch = dial(NULL);
	check_schema(ch);
	check_health(ch, "plugin", GRPC_STATUS_OK, 1);
	/* SIGINT is Terraform's to handle (it calls StopProvider): the plugin keeps serving. */
	kill(c.pid, SIGINT);
	check_schema(ch);
	/* A large message through the process (and the exit after it stays clean). */
	size_t big_len = 12 * 1024 * 1024;
	uint8_t *big = malloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i % 251);
	result r;
	call(&r, ch, "/standin.S/Echo", big, big_len);
	ck_assert_int_eq(r.status, GRPC_STATUS_OK);
	ck_assert_uint_eq(r.resp_len, big_len);
	ck_assert_int_eq(memcmp(r.resp, big, big_len), 0);
	result_free(&r);
	free(big);
	/* go-plugin's Close: Shutdown, then close the connection (GP grpc_client.go). */
	call_shutdown(ch);
	grpc_channel_destroy(ch);
	int status = wait_exit(&c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* Exactly one stdout line, ever; stderr is hclog JSON with a TRACE line per RPC. */
	char *rest = read_all(c.out);
	ck_assert_str_eq(rest, "");
	char *err = read_all(c.err);
	check_stderr_is_hclog(err, "\"rpc.method\":\"/tfplugin6.Provider/GetProviderSchema\"");
	ck_assert_int_eq(access(sock, F_OK), -1); /* socket and its directory removed */
	ck_assert_int_eq(access(dir, F_OK), -1);
	free(dir);
	free(rest);
	free(err);
	free(cert);
	free(line);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_socket_group)
{
	/* PLUGIN_UNIX_SOCKET_GROUP (go-plugin's setGroupWritable): that group may connect. Our own gid, so the
	 * chgrp is allowed without privileges. */
	char group_env[64];
	snprintf(group_env, sizeof(group_env), "PLUGIN_UNIX_SOCKET_GROUP=%d", (int)getgid());
	child c;
	const char *env[] = {cookie_env, sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=6", group_env, NULL};
	spawn(&c, NULL, env);
	char *line = read_line(c.out);
	char *cert = parse_handshake(line);
	struct stat st;
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	ck_assert_int_eq(st.st_gid, getgid());
	char *dir = strdup(sock);
	*strrchr(dir, '/') = '\0';
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0710);
	free(dir);
	grpc_channel *ch = dial(NULL);
	check_schema(ch);
	call_shutdown(ch);
	grpc_channel_destroy(ch);
	int status = wait_exit(&c);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char *rest = read_all(c.out);
	char *err = read_all(c.err);
	free(rest);
	free(err);
	free(cert);
	free(line);
	close(c.out);
	close(c.err);
}
END_TEST

static char *der_b64_to_pem(const char *b64)
{
	size_t n = strlen(b64), pad = (4 - n % 4) % 4;
	char *padded = calloc(1, n + pad + 1);
	memcpy(padded, b64, n);
	memset(padded + n, '=', pad);
	unsigned char *der = malloc(n + pad);
	int len = EVP_DecodeBlock(der, (unsigned char *)padded, (int)(n + pad));
	ck_assert_int_gt(len, 0);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, len - (int)pad);
	ck_assert_ptr_nonnull(x);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *data;
	long l = BIO_get_mem_data(b, &data);
	char *pem = strndup(data, (size_t)l);
	BIO_free(b);
	X509_free(x);
	free(der);
	free(padded);
	return pem;
}

START_TEST(test_serve_automtls_sigterm)
{
	plugin_cert *terraform_id;
	ck_assert_int_eq(plugin_cert_generate(&terraform_id), FY_OK);
	char *cert_env = NULL;
	ck_assert_int_ge(asprintf(&cert_env, "PLUGIN_CLIENT_CERT=%s", plugin_cert_pem(terraform_id)), 0);
	child c;
	const char *env[] = {cookie_env, sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=5,6", cert_env, NULL};
	spawn(&c, NULL, env);
	char *line = read_line(c.out);
	char *cert = parse_handshake(line);
	ck_assert_uint_gt(strlen(cert), 50); /* go-plugin only reads a cert field longer than 50 */
	ck_assert_ptr_null(strchr(cert, '='));
	char *server_pem = der_b64_to_pem(cert);

	grpc_ssl_pem_key_cert_pair tf = {.private_key = plugin_cert_key_pem(terraform_id),
		.cert_chain = plugin_cert_pem(terraform_id)};
	grpc_channel_credentials *creds = grpc_ssl_credentials_create(server_pem, &tf, NULL, NULL);
	grpc_channel *ch = dial(creds);
	grpc_channel_credentials_release(creds);
	check_schema(ch);
	grpc_channel_destroy(ch);

	/* Without Terraform's certificate: refused. */
	creds = grpc_ssl_credentials_create(server_pem, NULL, NULL, NULL);
	ch = dial(creds);
	grpc_channel_credentials_release(creds);
	result r;
	unary(&r, ch, "/tfplugin6.Provider/GetProviderSchema", "", 0, 20000);
	r.details = dup_details(r.details);
	ck_assert_int_ne(r.status, GRPC_STATUS_OK);
	result_free(&r);
	grpc_channel_destroy(ch);

	kill(c.pid, SIGTERM); /* graceful, like Shutdown */
	int status = wait_exit(&c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(access(sock, F_OK), -1);
	char *rest = read_all(c.out);
	ck_assert_str_eq(rest, "");
	free(rest);
	char *err = read_all(c.err);
	free(err);
	free(server_pem);
	free(cert);
	free(line);
	free(cert_env);
	plugin_cert_free(terraform_id);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_debug_mode)
{
	child c;
	const char *args[] = {"-debug", NULL};
	const char *env[] = {sockdir_env, NULL}; /* no cookie, no versions: a human started it */
	spawn(&c, args, env);
	char buf[4096] = "";
	size_t n = 0;
	/* Read up to the blank line that ends the message. */
	while (n < sizeof(buf) - 1 && strstr(buf, "'\n\n") == NULL) {
		char *l = read_line(c.out);
		size_t ll = strlen(l);
		if (ll == 0) {
			free(l);
			break;
		}
		memcpy(buf + n, l, ll + 1 <= sizeof(buf) - n ? ll + 1 : sizeof(buf) - n - 1);
		n += ll;
		buf[n] = '\0';
		free(l);
	}
	char *q = strstr(buf, "TF_REATTACH_PROVIDERS='");
	ck_assert_msg(q != NULL, "stdout: %s", buf);
	q += strlen("TF_REATTACH_PROVIDERS='");
	char *end = strchr(q, '\'');
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	cJSON *o = cJSON_Parse(q);
	ck_assert_ptr_nonnull(o);
	cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "registry.terraform.io/test/standin");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(p, "Pid")->valueint, c.pid);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "Test")));
	ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(p, "ProtocolVersion")->valueint, 6);
	const char *path = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "Addr"), "String")->valuestring;
	free(sock);
	sock = strdup(path);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	cJSON_Delete(o);

	grpc_channel *ch = dial(NULL); /* reattach is plaintext (docs/internals/protocol.md 2.7) */
	check_schema(ch);
	grpc_channel_destroy(ch);
	kill(c.pid, SIGINT); /* in debug mode Ctrl-C ends the server */
	int status = wait_exit(&c);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(access(sock, F_OK), -1);
	char *rest = read_all(c.out);
	free(rest);
	char *err = read_all(c.err);
	free(err);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_version_and_usage)
{
	child c;
	const char *args[] = {"-version", NULL};
	spawn(&c, args, NULL);
	char *out = read_all(c.out);
	int st = wait_exit(&c);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_str_eq(out, "terraform-provider-foundry " FOUNDRY_VERSION "\n");
	free(out);
	close(c.out);
	close(c.err);

	const char *bad[] = {"-frobnicate", NULL};
	spawn(&c, bad, NULL);
	out = read_all(c.out);
	char *err = read_all(c.err);
	st = wait_exit(&c);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_nonnull(strstr(err, "usage"));
	free(out);
	free(err);
	close(c.out);
	close(c.err);
}
END_TEST

START_TEST(test_serve_exits_when_orphaned)
{
	/* Become the reaper of orphans, so the plugin is re-parented to us when its parent dies. */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	int ctl[2];
	ck_assert_int_eq(pipe2(ctl, O_CLOEXEC), 0);
	int pidp[2], o[2], e[2];
	ck_assert_int_eq(pipe2(pidp, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(o, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(e, O_CLOEXEC), 0);
	child c;
	/* The intermediate parent: spawn the plugin, report its pid, die when told. */
	const char *env[] = {cookie_env, sockdir_env, "PLUGIN_PROTOCOL_VERSIONS=6", NULL};
	pid_t mid = fork();
	ck_assert_int_ge(mid, 0);
	if (mid == 0) {
		close(ctl[1]);
		pid_t p = spawn_fds(NULL, env, o, e);
		ssize_t w = write(pidp[1], &p, sizeof(p));
		char b;
		ssize_t r = read(ctl[0], &b, 1); /* returns 0 when the test closes its end */
		_exit(p > 0 && w == (ssize_t)sizeof(p) && r >= 0 ? 0 : 1);
	}
	close(ctl[0]);
	close(pidp[1]);
	close(o[1]);
	close(e[1]);
	c.out = o[0];
	c.err = e[0];
	ck_assert_int_eq(read(pidp[0], &c.pid, sizeof(c.pid)), (ssize_t)sizeof(c.pid));
	close(pidp[0]);
	char *line = read_line(c.out);
	char *cert = parse_handshake(line);

	close(ctl[1]); /* Terraform dies... */
	int st;
	ck_assert_int_eq(waitpid(mid, &st, 0), mid);
	int status = wait_exit(&c); /* ...and the plugin follows (PR_SET_PDEATHSIG -> SIGTERM -> clean exit) */
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(access(sock, F_OK), -1);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	char *rest = read_all(c.out);
	free(rest);
	char *err = read_all(c.err);
	free(err);
	free(cert);
	free(line);
	close(c.out);
	close(c.err);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--serve") == 0)
		return plugin_serve(&standin_provider, "registry.terraform.io/test/standin", argc - 1, argv + 1);
	/* One gRPC initialisation for the whole run, never shut down: the per-test init/shutdown pairs nest inside
	 * it. A full grpc_shutdown after large messages can sit ~10 s joining gRPC's executor (libgrpc 1.51; the
	 * reason plugin_serve exits through plugin_server_free_for_exit). */
	grpc_init();
	Suite *s = suite_create("plugin_server");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dispatch_and_statuses);
	tcase_add_test(tc, test_big_messages);
	tcase_add_test(tc, test_slow_handler_does_not_block_others);
	tcase_add_test(tc, test_terraform_parallelism);
	tcase_add_test(tc, test_health);
	tcase_add_test(tc, test_shutdown_rpc);
	tcase_add_test(tc, test_held_stream_does_not_occupy_a_worker);
	tcase_add_test(tc, test_stop_lets_in_flight_finish);
	tcase_add_test(tc, test_stop_reports_a_stuck_handler);
	tcase_add_test(tc, test_mtls_requires_terraforms_certificate);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	TCase *ts = tcase_create("serve");
	tcase_set_timeout(ts, 120);
	tcase_add_checked_fixture(ts, serve_setup, serve_teardown);
	tcase_add_test(ts, test_serve_refuses_without_cookie);
	tcase_add_test(ts, test_serve_refuses_protocol_5);
	tcase_add_test(ts, test_serve_refuses_bad_client_cert);
	tcase_add_test(ts, test_serve_plaintext_shutdown);
	tcase_add_test(ts, test_serve_automtls_sigterm);
	tcase_add_test(ts, test_serve_socket_group);
	tcase_add_test(ts, test_serve_debug_mode);
	tcase_add_test(ts, test_serve_version_and_usage);
	tcase_add_test(ts, test_serve_exits_when_orphaned);
	suite_add_tcase(s, ts);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
