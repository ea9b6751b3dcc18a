/*
 * The go-plugin handshake pieces (docs/internals/protocol.md 2.1, 2.2, 2.7): cookie, protocol negotiation, the unix
 * socket's location, the handshake line and the reattach JSON. Kept apart from serve.c so unit tests link
 * them without the transport.
 */
#define _GNU_SOURCE /* asprintf */
#include "plugin.h"

#include "../log/tflog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int plugin_check_cookie(const char *value)
{
	if (value == NULL || strcmp(value, PLUGIN_MAGIC_COOKIE_VALUE) != 0)
		return fy_error_set(
			FY_EINVALID, "%s is not set to the Terraform plugin cookie", PLUGIN_MAGIC_COOKIE_KEY);
	return FY_OK;
}

int plugin_negotiate_version(int *out, const char *versions_env)
{
	/* go-plugin treats an unset or empty list as a client that does not negotiate and serves its own
	 * version (GP server.go protocolVersion); Terraform always sends "5,6" in random map order
	 * (docs/internals/protocol.md 2.1). */
	const char *p = versions_env;
	while (p != NULL && (*p == ' ' || *p == '\t'))
		p++;
	if (p == NULL || *p == '\0') {
		*out = 6;
		return FY_OK;
	}
	int have6 = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		int ok = end != p && errno == 0;
		while (*end == ' ' || *end == '\t')
			end++;
		/* Entries that are not integers are skipped, as go-plugin does ("server sent invalid plugin
		 * version"). */
		if (ok && (*end == ',' || *end == '\0') && v == 6)
			have6 = 1;
		const char *comma = strchr(p, ',');
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (!have6)
		return fy_error_set(FY_EINVALID,
			"this provider speaks plugin protocol 6 only; the client offered PLUGIN_PROTOCOL_VERSIONS=%s",
			versions_env);
	*out = 6;
	return FY_OK;
}

int plugin_socket_path(char **out)
{
	/* Same directory choice as go-plugin (PLUGIN_UNIX_SOCKET_DIR, else os.TempDir()); the socket then goes in
	 * a fresh 0700 directory so only this user can reach it whatever the umask. */
	const char *base = getenv("PLUGIN_UNIX_SOCKET_DIR");
	if (base == NULL || base[0] == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	char tmpl[PATH_MAX];
	int n = snprintf(
		tmpl, sizeof(tmpl), "%s%splugin-foundry-XXXXXX", base, base[strlen(base) - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= sizeof(tmpl))
		return fy_error_set(FY_EINVALID, "socket directory %s: path too long", base);
	if (mkdtemp(tmpl) == NULL)
		return fy_error_set(FY_EIO, "cannot create a socket directory under %s: %s", base, strerror(errno));
	char *dir = realpath(tmpl, NULL); /* the handshake needs an absolute path */
	if (dir == NULL) {
		int e = errno;
		rmdir(tmpl);
		return fy_error_set(FY_EIO, "realpath %s: %s", tmpl, strerror(e));
	}
	struct sockaddr_un sun;
	size_t need = strlen(dir) + strlen("/plugin.sock") + 1;
	if (need > sizeof(sun.sun_path)) {
		rmdir(dir);
		free(dir);
		return fy_error_set(FY_EINVALID, "socket directory %s: path too long for a unix socket (%zu > %zu)",
			base, need, sizeof(sun.sun_path));
	}
	char *path = malloc(need);
	if (path == NULL) {
		rmdir(dir);
		free(dir);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	snprintf(path, need, "%s/plugin.sock", dir);
	tflog_crash_cleanup(path, dir); /* our own mkdtemp directory: the crash handler removes it too */
	free(dir);
	*out = path;
	return FY_OK;
}

void plugin_socket_cleanup(const char *path)
{
	if (path == NULL)
		return;
	tflog_crash_cleanup(NULL, NULL);
	unlink(path);
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return;
	char dir[PATH_MAX];
	size_t n = (size_t)(slash - path);
	if (n >= sizeof(dir))
		return;
	memcpy(dir, path, n);
	dir[n] = '\0';
	/* Only our own mkdtemp directory: never remove a user-supplied PLUGIN_UNIX_SOCKET_DIR. */
	const char *leaf = strrchr(dir, '/');
	if (leaf != NULL && strncmp(leaf + 1, "plugin-foundry-", 15) == 0)
		rmdir(dir);
}

int plugin_handshake_line(char **out, int version, const char *socket_path, const char *cert_b64)
{
	/* GP server.go: fmt.Printf("%d|%d|%s|%s|%s|%s\n", CoreProtocolVersion, protoVersion, network, address,
	 * protoType, serverCert) with serverCert "" when TLS is off; no 7th field (docs/internals/protocol.md 2.2). */
	if (socket_path == NULL || socket_path[0] != '/')
		return fy_error_set(FY_EINVALID, "handshake: the socket path must be absolute");
	char *line = NULL;
	if (asprintf(&line, "1|%d|unix|%s|grpc|%s\n", version, socket_path, cert_b64 ? cert_b64 : "") < 0)
		return fy_error_set(FY_ENOMEM, "out of memory");
	*out = line;
	return FY_OK;
}

int plugin_reattach_json(char **out, const char *source_address, int version, long pid, const char *socket_path)
{
	/* TF internal/getproviders/reattach: Test=true is needed for protocol 6 (docs/internals/protocol.md 2.7). */
	cJSON *root = cJSON_CreateObject();
	cJSON *p = cJSON_AddObjectToObject(root, source_address);
	if (p == NULL || cJSON_AddStringToObject(p, "Protocol", "grpc") == NULL ||
		cJSON_AddNumberToObject(p, "ProtocolVersion", version) == NULL ||
		cJSON_AddNumberToObject(p, "Pid", (double)pid) == NULL || cJSON_AddTrueToObject(p, "Test") == NULL) {
		cJSON_Delete(root);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	cJSON *addr = cJSON_AddObjectToObject(p, "Addr");
	if (addr == NULL || cJSON_AddStringToObject(addr, "Network", "unix") == NULL ||
		cJSON_AddStringToObject(addr, "String", socket_path) == NULL) {
		cJSON_Delete(root);
		return fy_error_set(FY_ENOMEM, "out of memory");
	}
	char *s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (s == NULL)
		return fy_error_set(FY_ENOMEM, "out of memory");
	*out = strdup(s);
	cJSON_free(s);
	return *out ? FY_OK : fy_error_set(FY_ENOMEM, "out of memory");
}
