/*
 * bench_plugin: what Terraform pays per provider process (it starts several per command, docs/internals/protocol.md
 * 1.3), measured on the built binary the way go-plugin drives it:
 *   exec -> handshake line on stdout; first GetProviderSchema (connect + TLS handshake + call); a second
 *   GetProviderSchema round trip on the warm connection; Shutdown + close -> process exit (Terraform allows 2 s);
 *   peak RSS of the provider (getrusage of the child via wait4).
 * Plaintext (TF_DISABLE_PLUGIN_TLS / reattach) and AutoMTLS (the default). Median of N runs. Figures only.
 *
 * usage: bench_plugin /path/to/terraform-provider-foundry [runs]
 */
#define _GNU_SOURCE
#include "internal/plugin/plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One unary call; returns the gRPC status and the response size. */
static grpc_status_code unary(grpc_channel *ch, const char *method, size_t *resp_len)
{
	grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_slice m = grpc_slice_from_copied_string(method);
	gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_seconds(30, GPR_TIMESPAN));
	grpc_call *call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL, deadline, NULL);
	grpc_slice_unref(m);
	grpc_slice empty = grpc_empty_slice();
	grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&empty, 1);
	grpc_metadata_array imd, tmd;
	grpc_metadata_array_init(&imd);
	grpc_metadata_array_init(&tmd);
	grpc_byte_buffer *recv = NULL;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details;
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
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	if (grpc_call_start_batch(call, ops, 6, (void *)1, NULL) == GRPC_CALL_OK)
		grpc_completion_queue_pluck(cq, (void *)1, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	*resp_len = recv ? grpc_byte_buffer_length(recv) : 0;
	if (recv)
		grpc_byte_buffer_destroy(recv);
	grpc_slice_unref(details);
	grpc_byte_buffer_destroy(send);
	grpc_metadata_array_destroy(&imd);
	grpc_metadata_array_destroy(&tmd);
	grpc_call_unref(call);
	grpc_completion_queue_shutdown(cq);
	while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(cq);
	return status;
}

static char *der_b64_to_pem(const char *b64)
{
	size_t n = strlen(b64), pad = (4 - n % 4) % 4;
	char *padded = calloc(1, n + pad + 1);
	unsigned char *der = malloc(n + pad + 1);
	char *pem = NULL;
	memcpy(padded, b64, n);
	memset(padded + n, '=', pad);
	int len = EVP_DecodeBlock(der, (unsigned char *)padded, (int)(n + pad));
	const unsigned char *p = der;
	X509 *x = len > 0 ? d2i_X509(NULL, &p, len - (int)pad) : NULL;
	if (x != NULL) {
		BIO *b = BIO_new(BIO_s_mem());
		PEM_write_bio_X509(b, x);
		char *data;
		long l = BIO_get_mem_data(b, &data);
		pem = strndup(data, (size_t)l);
		BIO_free(b);
		X509_free(x);
	}
	free(der);
	free(padded);
	return pem;
}

typedef struct sample {
	double handshake_ms, first_schema_ms, schema_rtt_ms, exit_ms;
	long rss_kib;
	size_t schema_bytes;
} sample;

static int run_once(sample *s, const char *bin, const char *sockdir, const plugin_cert *client_id)
{
	char cookie[160], dir[600], *cert_env = NULL;
	snprintf(cookie, sizeof(cookie), "%s=%s", PLUGIN_MAGIC_COOKIE_KEY, PLUGIN_MAGIC_COOKIE_VALUE);
	snprintf(dir, sizeof(dir), "PLUGIN_UNIX_SOCKET_DIR=%s", sockdir);
	const char *envp[8] = {cookie, dir, "PLUGIN_PROTOCOL_VERSIONS=5,6", NULL};
	if (client_id != NULL) {
		if (asprintf(&cert_env, "PLUGIN_CLIENT_CERT=%s", plugin_cert_pem(client_id)) < 0)
			return -1;
		envp[3] = cert_env;
	}
	int o[2];
	if (pipe2(o, O_CLOEXEC) != 0)
		return -1;
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(o[1], STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		char *argv[] = {(char *)bin, NULL};
		execve(bin, argv, (char *const *)envp);
		_exit(127);
	}
	close(o[1]);
	close(devnull);
	char line[8192];
	size_t n = 0;
	while (n < sizeof(line) - 1) {
		struct pollfd p = {.fd = o[0], .events = POLLIN};
		if (poll(&p, 1, 30000) != 1 || read(o[0], line + n, 1) != 1)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	s->handshake_ms = now_ms() - t0;
	free(cert_env);

	int rc = -1;
	char *f[6] = {0};
	int k = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, "|\n", &save); t != NULL && k < 6; t = strtok_r(NULL, "|\n", &save))
		f[k++] = t;
	if (k >= 5 && strcmp(f[0], "1") == 0) {
		char addr[600];
		snprintf(addr, sizeof(addr), "unix:%s", f[3]);
		grpc_channel_credentials *creds;
		char *server_pem = NULL;
		if (client_id != NULL && k == 6 && (server_pem = der_b64_to_pem(f[5])) != NULL) {
			grpc_ssl_pem_key_cert_pair pair = {.private_key = plugin_cert_key_pem(client_id),
				.cert_chain = plugin_cert_pem(client_id)};
			creds = grpc_ssl_credentials_create(server_pem, &pair, NULL, NULL);
		} else {
			creds = grpc_insecure_credentials_create();
		}
		grpc_arg args[2] = {
			{.type = GRPC_ARG_INTEGER, .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, .value.integer = 64 << 20},
			{.type = GRPC_ARG_STRING, .key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, .value.string = (char *)"localhost"},
		};
		grpc_channel_args ca = {.num_args = 2, .args = args};
		grpc_channel *ch = grpc_channel_create(addr, creds, &ca);
		grpc_channel_credentials_release(creds);
		double t1 = now_ms();
		grpc_status_code st1 = unary(ch, "/tfplugin6.Provider/GetProviderSchema", &s->schema_bytes);
		double t2 = now_ms();
		grpc_status_code st2 = unary(ch, "/tfplugin6.Provider/GetProviderSchema", &s->schema_bytes);
		double t3 = now_ms();
		s->first_schema_ms = t2 - t1;
		s->schema_rtt_ms = t3 - t2;
		size_t ignored;
		double t4 = now_ms();
		unary(ch, "/plugin.GRPCController/Shutdown", &ignored);
		grpc_channel_destroy(ch); /* go-plugin: Shutdown, then close the connection */
		struct rusage ru;
		int status;
		wait4(pid, &status, 0, &ru);
		s->exit_ms = now_ms() - t4;
		s->rss_kib = ru.ru_maxrss;
		free(server_pem);
		rc = st1 == GRPC_STATUS_OK && st2 == GRPC_STATUS_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0
			? 0
			: -1;
	} else {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "bench: no handshake from %s\n", bin);
	}
	close(o[0]);
	return rc;
}

static void bench_mode(const char *name, const char *bin, int runs, const char *sockdir, const plugin_cert *client)
{
	double *h = calloc((size_t)runs, sizeof(double)), *f = calloc((size_t)runs, sizeof(double));
	double *r = calloc((size_t)runs, sizeof(double)), *e = calloc((size_t)runs, sizeof(double));
	double *m = calloc((size_t)runs, sizeof(double));
	size_t bytes = 0;
	int ok = 0;
	for (int i = 0; i < runs; i++) {
		sample s = {0};
		if (run_once(&s, bin, sockdir, client) != 0) {
			fprintf(stderr, "bench: run %d (%s) failed\n", i, name);
			continue;
		}
		h[ok] = s.handshake_ms;
		f[ok] = s.first_schema_ms;
		r[ok] = s.schema_rtt_ms;
		e[ok] = s.exit_ms;
		m[ok] = (double)s.rss_kib;
		bytes = s.schema_bytes;
		ok++;
	}
	if (ok > 0)
		printf("%-10s %5d %20.2f %20.2f %14.3f %20.2f %13.0f %13zu\n", name, ok, median(h, ok), median(f, ok),
			median(r, ok), median(e, ok), median(m, ok), bytes);
	free(h);
	free(f);
	free(r);
	free(e);
	free(m);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s /path/to/terraform-provider-foundry [runs]\n", argv[0]);
		return 2;
	}
	const char *bin = argv[1];
	int runs = argc > 2 ? atoi(argv[2]) : 20;
	if (runs < 1)
		runs = 1;
	signal(SIGPIPE, SIG_IGN);
	char tmpl[] = "/tmp/bench_plugin-XXXXXX";
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	grpc_init();
	plugin_cert *terraform_id = NULL; /* Terraform's side of AutoMTLS: same recipe (GP mtls.go) */
	if (plugin_cert_generate(&terraform_id) != FY_OK) {
		fprintf(stderr, "bench: %s\n", fy_error_last()->message);
		return 1;
	}
	printf("%s: median of %d runs\n", bin, runs);
	printf("%-10s %5s %20s %20s %14s %20s %13s %13s\n", "mode", "runs", "exec_to_handshake_ms",
		"first_schema_ms", "schema_rtt_ms", "shutdown_to_exit_ms", "peak_rss_kib", "schema_bytes");
	bench_mode("plaintext", bin, runs, tmpl, NULL);
	bench_mode("automtls", bin, runs, tmpl, terraform_id);
	plugin_cert_free(terraform_id);
	grpc_shutdown();
	rmdir(tmpl);
	return 0;
}
