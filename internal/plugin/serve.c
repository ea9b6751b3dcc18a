/*
 * plugin_serve: the life of the provider process as go-plugin/Terraform expect it (docs/internals/protocol.md 2.1-2.7):
 * cookie, protocol 6, a private unix socket, AutoMTLS, exactly one handshake line on stdout, then serve until
 * GRPCController.Shutdown, SIGTERM or the parent's death.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin.h"

#include "../common/fy_os.h"
#include "../log/tflog.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MODULE "foundry"
/* Terraform waits 2 s after Shutdown before SIGKILL (docs/internals/protocol.md 2.5): in-flight calls get 1 s. */
#define SHUTDOWN_GRACE_MS 1000

static const char *const held_streams[] = {"/plugin.GRPCStdio/StreamStdio", NULL};

/* A startup failure: stderr for the log, and one stdout line, which Terraform shows the user as
 * "Unrecognized remote plugin message: ..." (docs/internals/protocol.md 2.2) instead of a bare "plugin exited". */
static int startup_error(int handshake_pending, const char *what)
{
	const char *msg = fy_error_last()->message;
	fprintf(stderr, "terraform-provider-foundry: %s: %s\n", what, msg);
	if (handshake_pending) {
		fprintf(stdout, "terraform-provider-foundry: %s: %s\n", what, msg);
		fflush(stdout);
	}
	return 1;
}

/* go-plugin's setGroupWritable for PLUGIN_UNIX_SOCKET_GROUP (name or numeric id): the group may connect. */
static int apply_socket_group(const char *path, const char *group)
{
	gid_t gid;
	char *end;
	long n = strtol(group, &end, 10);
	if (*group != '\0' && *end == '\0' && n >= 0) {
		gid = (gid_t)n;
	} else {
		char buf[4096];
		struct group gr, *res = NULL;
		if (getgrnam_r(group, &gr, buf, sizeof(buf), &res) != 0 || res == NULL)
			return fy_error_set(FY_EINVALID, "PLUGIN_UNIX_SOCKET_GROUP: no group %s", group);
		gid = gr.gr_gid;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	if (chown(dir, (uid_t)-1, gid) != 0 || chmod(dir, 0710) != 0 || chown(path, (uid_t)-1, gid) != 0 ||
		chmod(path, 0660) != 0)
		return fy_error_set(FY_EIO, "PLUGIN_UNIX_SOCKET_GROUP %s: %s", group, strerror(errno));
	return FY_OK;
}

static void usage(void)
{
	fputs("usage: terraform-provider-foundry [-debug | -version]\n"
	      "  Terraform/OpenTofu start this binary themselves; -debug serves for TF_REATTACH_PROVIDERS.\n",
		stderr);
}

/* -version, -debug (also with two dashes). 0 to serve, else the exit status (1 for -version: print and stop). */
static int parse_args(int *debug, int argc, char **argv)
{
	*debug = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-version") == 0) {
			printf("terraform-provider-foundry %s\n", FOUNDRY_VERSION);
			return -1;
		} else if (strcmp(a, "-debug") == 0) {
			*debug = 1;
		} else {
			usage();
			return 2;
		}
	}
	return 0;
}

/*
 * Signals before any thread exists (gRPC starts its own in grpc_init), so every thread inherits the mask: SIGTERM
 * (and SIGINT under -debug) arrive only through the returned descriptor (fy_os_signal_fd). Terraform handles Ctrl-C
 * itself and calls StopProvider, so a plugin ignores SIGINT (GP server.go "Eat the interrupts"). -1 with fy_error set
 * on failure.
 */
static int setup_signals(int debug, pid_t parent)
{
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (debug)
		sigaddset(&set, SIGINT);
	else
		signal(SIGINT, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sfd = -1;
	if (fy_os_signal_fd(&sfd, &set) < 0) {
		fy_error_set(FY_EIO, "signal descriptor: %s", strerror(errno));
		return -1;
	}
	if (!debug) {
		/* An orphaned provider (Terraform killed) gets SIGTERM instead of lingering
		 * (docs/internals/protocol.md). */
		fy_os_exit_with_parent(parent, SIGTERM);
		if (getppid() != parent)
			kill(getpid(), SIGTERM);
	}
	return sfd;
}

/* AutoMTLS: with Terraform's client certificate, our own certificate (and its raw base64 for the handshake). */
static int setup_mtls(plugin_cert **cert, char **cert_b64, const char *client_cert)
{
	size_t der_len;
	if (plugin_check_client_cert(client_cert) < 0 || plugin_cert_generate(cert) < 0)
		return FY_ERROR;
	const unsigned char *der = plugin_cert_der(*cert, &der_len);
	if (plugin_base64_raw(cert_b64, der, der_len) < 0)
		return FY_ERROR;
	tflog(TFLOG_DEBUG, LOG_MODULE, "configuring server automatic mTLS");
	return 0;
}

/* Tell the client where we are: the handshake line (and nothing after it on stdout), or under -debug the
 * TF_REATTACH_PROVIDERS value for a person to export. */
static int announce(int debug, const char *source_address, int version, const char *sock, const char *cert_b64)
{
	if (debug) {
		char *json = NULL;
		if (plugin_reattach_json(&json, source_address, version, (long)getpid(), sock) < 0)
			return startup_error(0, "reattach");
		printf("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable "
		       "with the following:\n\n\tTF_REATTACH_PROVIDERS='%s'\n\n",
			json);
		fflush(stdout);
		free(json);
		return 0;
	}
	char *line = NULL;
	if (plugin_handshake_line(&line, version, sock, cert_b64) < 0)
		return startup_error(1, "handshake");
	fputs(line, stdout);
	fflush(stdout);
	free(line);
	/* Nothing may follow the handshake on stdout: stray writes go to stderr (logged by Terraform), and a
	 * close-on-exec copy keeps Terraform's stdout pipe open for the life of the process, as go-plugin's. */
	int keep = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	(void)keep;
	dup2(STDERR_FILENO, STDOUT_FILENO);
	return 0;
}

/* Until SIGTERM (SIGINT under -debug) or the client's Shutdown. */
static void wait_for_stop(int sfd, plugin_server *srv)
{
	for (;;) {
		struct pollfd p[2] = {
			{.fd = sfd, .events = POLLIN}, {.fd = plugin_server_stop_fd(srv), .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			tflog(TFLOG_ERROR, LOG_MODULE, "poll: %s", strerror(errno));
			return;
		}
		if (p[0].revents & POLLIN) {
			int sig = fy_os_signal_read(sfd);
			if (sig > 0)
				tflog(TFLOG_INFO, LOG_MODULE, "received %s, shutting down", strsignal(sig));
			return;
		}
		if (p[1].revents & POLLIN) {
			tflog(TFLOG_INFO, LOG_MODULE, "shutdown requested by the client");
			return;
		}
	}
}

/* What the server is made of, and one place that frees it. */
typedef struct serving {
	tf_server *tfs;
	rpc_registry *reg;
	plugin_cert *cert;
	char *sock, *cert_b64, *addr;
	plugin_server *srv;
} serving;

static void serving_free(serving *v)
{
	plugin_server_free_for_exit(v->srv);
	tf_server_free(v->tfs);
	rpc_registry_free(v->reg);
	plugin_cert_free(v->cert);
	if (v->sock != NULL)
		plugin_socket_cleanup(v->sock);
	free(v->sock);
	free(v->cert_b64);
	free(v->addr);
}

/* The provider's services on a fresh private unix socket, with AutoMTLS when the client sent its certificate. */
static int start_server(serving *v, const tf_provider *provider, int debug, const char *client_cert)
{
	if (tf_server_new(&v->tfs, provider) < 0)
		return startup_error(!debug, "provider schema");
	if (rpc_registry_new(&v->reg) < 0 || tf_server_register(v->tfs, v->reg) < 0)
		return startup_error(!debug, "registering tfplugin6");
	if (plugin_socket_path(&v->sock) < 0)
		return startup_error(!debug, "socket");
	if (client_cert != NULL && setup_mtls(&v->cert, &v->cert_b64, client_cert) < 0)
		return startup_error(1, "AutoMTLS");
	if (asprintf(&v->addr, "unix:%s", v->sock) < 0) {
		v->addr = NULL;
		fy_error_set(FY_ENOMEM, "out of memory");
		return startup_error(!debug, "socket");
	}
	plugin_server_config cfg = {
		.address = v->addr,
		.client_ca_pem = client_cert,
		.cert_pem = v->cert ? plugin_cert_pem(v->cert) : NULL,
		.key_pem = v->cert ? plugin_cert_key_pem(v->cert) : NULL,
		.held_streams = held_streams,
	};
	mode_t old_umask = umask(077); /* the socket is created by the bind inside plugin_server_new */
	int brc = plugin_server_new(&v->srv, v->reg, &cfg);
	umask(old_umask);
	if (brc < 0)
		return startup_error(!debug, "listen");
	const char *group = getenv("PLUGIN_UNIX_SOCKET_GROUP");
	if (group != NULL && group[0] != '\0' && apply_socket_group(v->sock, group) < 0)
		return startup_error(!debug, "socket");
	if (plugin_register_builtin(v->reg, v->srv) < 0 || plugin_server_start(v->srv) < 0)
		return startup_error(!debug, "serve");
	tflog_kv(TFLOG_DEBUG, LOG_MODULE, "plugin address", "network", "unix", "address", v->sock, NULL);
	return 0;
}

int plugin_serve(const tf_provider *provider, const char *source_address, int argc, char **argv)
{
	int debug;
	int status = parse_args(&debug, argc, argv);
	if (status)
		return status < 0 ? 0 : status;
	int rc;

	tflog_init();
	tflog_install_crash_handler();
	pid_t parent = getppid();

	int version = 6;
	if (!debug) {
		if (plugin_check_cookie(getenv(PLUGIN_MAGIC_COOKIE_KEY)) < 0) {
			fputs(PLUGIN_COOKIE_MESSAGE, stderr); /* go-plugin's exact text (GP server.go) */
			return 1;
		}
		if (plugin_negotiate_version(&version, getenv("PLUGIN_PROTOCOL_VERSIONS")) < 0)
			return startup_error(1, "protocol negotiation");
	}
	tflog_kv(TFLOG_DEBUG, LOG_MODULE, "starting provider", "version", FOUNDRY_VERSION, "debug",
		debug ? "true" : "false", NULL);

	int sfd = setup_signals(debug, parent);
	if (sfd < 0)
		return startup_error(!debug, "signals");

	const char *client_cert = debug ? NULL : getenv("PLUGIN_CLIENT_CERT");
	if (client_cert != NULL && client_cert[0] == '\0')
		client_cert = NULL;
	serving v = {0};
	rc = start_server(&v, provider, debug, client_cert);
	int started = rc == 0;
	if (started && (rc = announce(debug, source_address, version, v.sock, v.cert_b64)) == 0) {
		tflog(TFLOG_INFO, LOG_MODULE, "provider serving on %s%s", v.sock, client_cert ? " (mTLS)" : "");
		wait_for_stop(sfd, v.srv);
	}
	if (started && plugin_server_stop(v.srv, SHUTDOWN_GRACE_MS) < 0) {
		/* A handler ignores cancellation: leave now rather than be SIGKILLed after Terraform's 2 s. */
		tflog(TFLOG_WARN, LOG_MODULE, "exiting with calls still running: %s", fy_error_last()->message);
		plugin_socket_cleanup(v.sock);
		fflush(stderr);
		_exit(rc);
	}
	serving_free(&v);
	close(sfd);
	tflog(TFLOG_DEBUG, LOG_MODULE, "provider exited");
	return rc;
}
