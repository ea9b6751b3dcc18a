/*
 * bench_plugin: what Terraform pays per provider process (it starts several per command, docs/internals/protocol.md
 * 1.3), for several provider binaries side by side, each driven the way go-plugin drives it with AutoMTLS:
 *   exec -> handshake line on stdout (cold start); then, 100 ms later, RSS, anonymous RSS and threads from
 *   /proc/<pid>/status; first GetProviderSchema (connect + TLS handshake + call); a second GetProviderSchema on the
 *   warm connection; threads and RSS again; Shutdown + close -> process exit; peak RSS (wait4).
 * Median of N runs, interleaved (run i of every binary before run i+1), and every figure of a binary beside the
 * first one's as a ratio (first / other). Figures only, never pass/fail.
 *
 * usage: bench_plugin RUNS NAME=/path/to/provider [NAME=/path/to/provider ...]
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
	while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
		GRPC_QUEUE_SHUTDOWN)
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

enum { M_HANDSHAKE, M_RSS, M_ANON, M_THREADS, M_SCHEMA1, M_SCHEMA2, M_THREADS2, M_RSS2, M_EXIT, M_PEAK, M_COUNT };

static const struct {
	const char *label;
	const char *unit;
} METRICS[M_COUNT] = {
	[M_HANDSHAKE] = {"cold start: exec to handshake line", "ms"},
	[M_RSS] = {"RSS after the handshake", "MiB"},
	[M_ANON] = {"anonymous RSS after the handshake", "MiB"},
	[M_THREADS] = {"threads after the handshake", ""},
	[M_SCHEMA1] = {"first GetProviderSchema (connect+TLS+call)", "ms"},
	[M_SCHEMA2] = {"GetProviderSchema, warm connection", "ms"},
	[M_THREADS2] = {"threads after GetProviderSchema", ""},
	[M_RSS2] = {"RSS after GetProviderSchema", "MiB"},
	[M_EXIT] = {"Shutdown to process exit", "ms"},
	[M_PEAK] = {"peak RSS", "MiB"},
};

/* VmRSS, RssAnon (MiB) and Threads of a live process. */
static void proc_status(pid_t pid, double *rss, double *anon, double *threads)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	long v;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (rss != NULL && sscanf(line, "VmRSS: %ld kB", &v) == 1)
			*rss = (double)v / 1024.0;
		else if (anon != NULL && sscanf(line, "RssAnon: %ld kB", &v) == 1)
			*anon = (double)v / 1024.0;
		else if (threads != NULL && sscanf(line, "Threads: %ld", &v) == 1)
			*threads = (double)v;
	}
	fclose(f);
}

static pid_t spawn(const char *bin, const char *sockdir, const plugin_cert *client_id, int *out_fd)
{
	char cookie[160], dir[600], *cert_env = NULL;
	snprintf(cookie, sizeof(cookie), "%s=%s", PLUGIN_MAGIC_COOKIE_KEY, PLUGIN_MAGIC_COOKIE_VALUE);
	snprintf(dir, sizeof(dir), "PLUGIN_UNIX_SOCKET_DIR=%s", sockdir);
	if (asprintf(&cert_env, "PLUGIN_CLIENT_CERT=%s", plugin_cert_pem(client_id)) < 0)
		return -1;
	const char *envp[] = {cookie, dir, "PLUGIN_PROTOCOL_VERSIONS=5,6", cert_env, "TMPDIR=/tmp", NULL};
	int o[2];
	if (pipe2(o, O_CLOEXEC) != 0) {
		free(cert_env);
		return -1;
	}
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
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
	free(cert_env);
	*out_fd = o[0];
	return pid;
}

static size_t read_line(int fd, char *line, size_t cap)
{
	size_t n = 0;
	while (n < cap - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 30000) != 1 || read(fd, line + n, 1) != 1)
			break;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	return n;
}

static grpc_channel *dial(const char *addr, const char *server_pem, const plugin_cert *client_id)
{
	grpc_ssl_pem_key_cert_pair pair = {
		.private_key = plugin_cert_key_pem(client_id), .cert_chain = plugin_cert_pem(client_id)};
	grpc_channel_credentials *creds = grpc_ssl_credentials_create(server_pem, &pair, NULL, NULL);
	grpc_arg args[2] = {
		{.type = GRPC_ARG_INTEGER,
			.key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
			.value.integer = 64 << 20},
		{.type = GRPC_ARG_STRING,
			.key = (char *)GRPC_SSL_TARGET_NAME_OVERRIDE_ARG,
			.value.string = (char *)"localhost"},
	};
	grpc_channel_args ca = {.num_args = 2, .args = args};
	grpc_channel *ch = grpc_channel_create(addr, creds, &ca);
	grpc_channel_credentials_release(creds);
	return ch;
}

/* One run of one binary: fills m[M_*]; 0 on success. */
static int run_once(double *m, const char *bin, const char *sockdir, const plugin_cert *client_id)
{
	int fd = -1;
	double t0 = now_ms();
	pid_t pid = spawn(bin, sockdir, client_id, &fd);
	if (pid < 0)
		return -1;
	char line[8192];
	read_line(fd, line, sizeof(line));
	m[M_HANDSHAKE] = now_ms() - t0;
	usleep(100 * 1000);
	proc_status(pid, &m[M_RSS], &m[M_ANON], &m[M_THREADS]);

	char *f[6] = {0};
	int k = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, "|\n", &save); t != NULL && k < 6; t = strtok_r(NULL, "|\n", &save))
		f[k++] = t;
	char *server_pem = k == 6 && strcmp(f[0], "1") == 0 ? der_b64_to_pem(f[5]) : NULL;
	if (server_pem == NULL) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(fd);
		fprintf(stderr, "bench: no AutoMTLS handshake from %s\n", bin);
		return -1;
	}
	char addr[600];
	snprintf(addr, sizeof(addr), "%s:%s", strcmp(f[2], "unix") == 0 ? "unix" : "ipv4", f[3]);
	grpc_channel *ch = dial(addr, server_pem, client_id);
	size_t bytes = 0, ignored;
	double t1 = now_ms();
	grpc_status_code st1 = unary(ch, "/tfplugin6.Provider/GetProviderSchema", &bytes);
	double t2 = now_ms();
	grpc_status_code st2 = unary(ch, "/tfplugin6.Provider/GetProviderSchema", &bytes);
	double t3 = now_ms();
	m[M_SCHEMA1] = t2 - t1;
	m[M_SCHEMA2] = t3 - t2;
	proc_status(pid, &m[M_RSS2], NULL, &m[M_THREADS2]);
	double t4 = now_ms();
	unary(ch, "/plugin.GRPCController/Shutdown", &ignored);
	grpc_channel_destroy(ch); /* go-plugin: Shutdown, then close the connection */
	struct rusage ru;
	int status;
	wait4(pid, &status, 0, &ru);
	m[M_EXIT] = now_ms() - t4;
	m[M_PEAK] = (double)ru.ru_maxrss / 1024.0;
	free(server_pem);
	close(fd);
	return st1 == GRPC_STATUS_OK && st2 == GRPC_STATUS_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

typedef struct subject {
	const char *name, *bin;
	double *v[M_COUNT];
	int ok;
	double med[M_COUNT];
} subject;

static void report(subject *sub, int n, int runs)
{
	printf("bench_plugin: median of %d runs each, AutoMTLS as Terraform uses it\n", runs);
	for (int i = 0; i < n; i++)
		printf("  %-6s %s (%d runs ok)\n", sub[i].name, sub[i].bin, sub[i].ok);
	printf("%-44s", "");
	for (int i = 0; i < n; i++)
		printf(" %12s", sub[i].name);
	for (int i = 1; i < n; i++)
		printf("   %s/%s", sub[0].name, sub[i].name);
	printf("\n");
	for (int k = 0; k < M_COUNT; k++) {
		char label[64];
		snprintf(label, sizeof(label), "%s%s%s%s", METRICS[k].label, METRICS[k].unit[0] ? " (" : "",
			METRICS[k].unit, METRICS[k].unit[0] ? ")" : "");
		printf("%-44s", label);
		for (int i = 0; i < n; i++)
			printf(" %12.2f", sub[i].med[k]);
		for (int i = 1; i < n; i++)
			printf("   %*.2f", (int)(strlen(sub[0].name) + strlen(sub[i].name) + 1),
				sub[0].med[k] / sub[i].med[k]);
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s RUNS NAME=/path/to/provider [NAME=/path/to/provider ...]\n", argv[0]);
		return 2;
	}
	int runs = atoi(argv[1]) > 0 ? atoi(argv[1]) : 1;
	int n = argc - 2;
	subject *sub = calloc((size_t)n, sizeof(*sub));
	for (int i = 0; i < n; i++) {
		char *eq = strchr(argv[i + 2], '=');
		if (eq == NULL) {
			fprintf(stderr, "bench: %s is not NAME=PATH\n", argv[i + 2]);
			return 2;
		}
		*eq = '\0';
		sub[i].name = argv[i + 2];
		sub[i].bin = eq + 1;
		for (int k = 0; k < M_COUNT; k++)
			sub[i].v[k] = calloc((size_t)runs, sizeof(double));
	}
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
	for (int r = 0; r < runs; r++) {
		for (int i = 0; i < n; i++) {
			double m[M_COUNT] = {0};
			if (run_once(m, sub[i].bin, tmpl, terraform_id) != 0) {
				fprintf(stderr, "bench: run %d of %s failed\n", r, sub[i].name);
				continue;
			}
			for (int k = 0; k < M_COUNT; k++)
				sub[i].v[k][sub[i].ok] = m[k];
			sub[i].ok++;
		}
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < M_COUNT; k++)
			sub[i].med[k] = sub[i].ok > 0 ? median(sub[i].v[k], sub[i].ok) : 0;
	report(sub, n, runs);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < M_COUNT; k++)
			free(sub[i].v[k]);
	free(sub);
	plugin_cert_free(terraform_id);
	grpc_shutdown();
	rmdir(tmpl);
	return 0;
}
