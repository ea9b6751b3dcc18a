/*
 * plugin_serve: the life of the provider process as go-plugin/Terraform expect it (notes/tfplugin6.md 2.1-2.7):
 * cookie, protocol 6, a private unix socket, AutoMTLS, exactly one handshake line on stdout, then serve until
 * GRPCController.Shutdown, SIGTERM or the parent's death.
 */
#define _GNU_SOURCE /* asprintf, pipe2, strndup, pthread_timedjoin_np */
#include "plugin.h"

#include "../log/tflog.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MODULE "foundry"
/* Terraform waits 2 s after Shutdown before SIGKILL (notes 2.5): in-flight calls get 1 s. */
#define SHUTDOWN_GRACE_MS 1000

static const char *const held_streams[] = {"/plugin.GRPCStdio/StreamStdio", NULL};

/* A startup failure: stderr for the log, and one stdout line, which Terraform shows the user as
 * "Unrecognized remote plugin message: ..." (notes 2.2) instead of a bare "plugin exited". */
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

int plugin_serve(const tf_provider *provider, const char *source_address, int argc, char **argv)
{
	int debug = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] == '-')
			a++;
		if (strcmp(a, "-version") == 0) {
			printf("terraform-provider-foundry %s\n", FOUNDRY_VERSION);
			return 0;
		} else if (strcmp(a, "-debug") == 0) {
			debug = 1;
		} else {
			usage();
			return 2;
		}
	}

	tflog_init();
	tflog_install_crash_handler();
	pid_t parent = getppid();

	int version = 6;
	if (!debug) {
		if (plugin_check_cookie(getenv(PLUGIN_MAGIC_COOKIE_KEY)) != FY_OK) {
			fputs(PLUGIN_COOKIE_MESSAGE, stderr); /* go-plugin's exact text (GP server.go) */
			return 1;
		}
		if (plugin_negotiate_version(&version, getenv("PLUGIN_PROTOCOL_VERSIONS")) != FY_OK)
			return startup_error(1, "protocol negotiation");
	}
	tflog_kv(TFLOG_DEBUG, LOG_MODULE, "starting provider", "version", FOUNDRY_VERSION, "debug",
		debug ? "true" : "false", NULL);

	/* Signals before any thread exists (gRPC starts its own in grpc_init), so every thread inherits the mask:
	 * SIGTERM (and SIGINT under -debug) arrive only through the signalfd below. Terraform handles Ctrl-C
	 * itself and calls StopProvider, so a plugin ignores SIGINT (GP server.go "Eat the interrupts"). */
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (debug)
		sigaddset(&set, SIGINT);
	else
		signal(SIGINT, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fy_error_set(FY_EIO, "signalfd: %s", strerror(errno));
		return startup_error(!debug, "signals");
	}
	if (!debug) {
		/* An orphaned provider (Terraform killed) gets SIGTERM instead of lingering (notes 2.5). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			kill(getpid(), SIGTERM);
	}

	int rc = 1;
	tf_server *tfs = NULL;
	rpc_registry *reg = NULL;
	plugin_cert *cert = NULL;
	char *sock = NULL, *cert_b64 = NULL, *line = NULL, *addr = NULL;
	plugin_server *srv = NULL;

	if (tf_server_new(&tfs, provider) != FY_OK) {
		rc = startup_error(!debug, "provider schema");
		goto out;
	}
	if (rpc_registry_new(&reg) != FY_OK || tf_server_register(tfs, reg) != FY_OK) {
		rc = startup_error(!debug, "registering tfplugin6");
		goto out;
	}
	if (plugin_socket_path(&sock) != FY_OK) {
		rc = startup_error(!debug, "socket");
		goto out;
	}
	const char *client_cert = debug ? NULL : getenv("PLUGIN_CLIENT_CERT");
	if (client_cert != NULL && client_cert[0] == '\0')
		client_cert = NULL;
	if (client_cert != NULL) {
		size_t der_len;
		if (plugin_check_client_cert(client_cert) != FY_OK) {
			rc = startup_error(1, "AutoMTLS");
			goto out;
		}
		if (plugin_cert_generate(&cert) != FY_OK) {
			rc = startup_error(1, "AutoMTLS");
			goto out;
		}
		const unsigned char *der = plugin_cert_der(cert, &der_len);
		if (plugin_base64_raw(&cert_b64, der, der_len) != FY_OK) {
			rc = startup_error(1, "AutoMTLS");
			goto out;
		}
		tflog(TFLOG_DEBUG, LOG_MODULE, "configuring server automatic mTLS");
	}
	if (asprintf(&addr, "unix:%s", sock) < 0) {
		fy_error_set(FY_ENOMEM, "out of memory");
		rc = startup_error(!debug, "socket");
		goto out;
	}
	plugin_server_config cfg = {
		.address = addr,
		.client_ca_pem = client_cert,
		.cert_pem = cert ? plugin_cert_pem(cert) : NULL,
		.key_pem = cert ? plugin_cert_key_pem(cert) : NULL,
		.held_streams = held_streams,
	};
	mode_t old_umask = umask(077); /* the socket is created by the bind inside plugin_server_new */
	int brc = plugin_server_new(&srv, reg, &cfg);
	umask(old_umask);
	if (brc != FY_OK) {
		rc = startup_error(!debug, "listen");
		goto out;
	}
	const char *group = getenv("PLUGIN_UNIX_SOCKET_GROUP");
	if (group != NULL && group[0] != '\0' && apply_socket_group(sock, group) != FY_OK) {
		rc = startup_error(!debug, "socket");
		goto out;
	}
	if (plugin_register_builtin(reg, srv) != FY_OK || plugin_server_start(srv) != FY_OK) {
		rc = startup_error(!debug, "serve");
		goto out;
	}
	tflog_kv(TFLOG_DEBUG, LOG_MODULE, "plugin address", "network", "unix", "address", sock, NULL);

	if (debug) {
		char *json = NULL;
		if (plugin_reattach_json(&json, source_address, version, (long)getpid(), sock) != FY_OK) {
			rc = startup_error(0, "reattach");
			goto stop;
		}
		printf("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable "
		       "with the following:\n\n\tTF_REATTACH_PROVIDERS='%s'\n\n",
			json);
		fflush(stdout);
		free(json);
	} else {
		if (plugin_handshake_line(&line, version, sock, cert_b64) != FY_OK) {
			rc = startup_error(1, "handshake");
			goto stop;
		}
		fputs(line, stdout);
		fflush(stdout);
		/* Nothing may follow the handshake on stdout: stray writes go to stderr (logged by Terraform), and a
		 * close-on-exec copy keeps Terraform's stdout pipe open for the life of the process, as go-plugin's. */
		int keep = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		(void)keep;
		dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	tflog(TFLOG_INFO, LOG_MODULE, "provider serving on %s%s", sock, client_cert ? " (mTLS)" : "");

	for (;;) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = plugin_server_stop_fd(srv), .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			tflog(TFLOG_ERROR, LOG_MODULE, "poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				tflog(TFLOG_INFO, LOG_MODULE, "received %s, shutting down", strsignal((int)si.ssi_signo));
			break;
		}
		if (p[1].revents & POLLIN) {
			tflog(TFLOG_INFO, LOG_MODULE, "shutdown requested by the client");
			break;
		}
	}
	rc = 0;
stop:
	if (plugin_server_stop(srv, SHUTDOWN_GRACE_MS) != FY_OK) {
		/* A handler ignores cancellation: leave now rather than be SIGKILLed after Terraform's 2 s. */
		tflog(TFLOG_WARN, LOG_MODULE, "exiting with calls still running: %s", fy_error_last()->message);
		plugin_socket_cleanup(sock);
		fflush(stderr);
		_exit(rc);
	}
out:
	plugin_server_free_for_exit(srv);
	tf_server_free(tfs);
	rpc_registry_free(reg);
	plugin_cert_free(cert);
	if (sock != NULL)
		plugin_socket_cleanup(sock);
	free(sock);
	free(cert_b64);
	free(line);
	free(addr);
	close(sfd);
	tflog(TFLOG_DEBUG, LOG_MODULE, "provider exited");
	return rc;
}
