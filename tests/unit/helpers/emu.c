/* Test helper: see emu.h. */
#define _GNU_SOURCE
#include "emu.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FY_SOURCE_DIR
#error "FY_SOURCE_DIR must be defined (tests/unit/CMakeLists.txt does)"
#endif

/* Safety bounds only: a healthy emulator starts in well under a second. */
#define EMU_START_WAIT_MS 20000
#define EMU_STOP_WAIT_MS 5000

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void print_stderr_file(emu *e)
{
	FILE *f = fopen(emu_path(e, "emulator.stderr"), "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  emulator: %s", line);
	fclose(f);
}

int emu_start(emu *e, const char *const *extra_args)
{
	memset(e, 0, sizeof(*e));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *tmp = getenv("TMPDIR");
	snprintf(e->dir, sizeof(e->dir), "%s/fy-emu-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(e->dir)) {
		fprintf(stderr, "emu_start: mkdtemp: %s\n", strerror(errno));
		e->dir[0] = '\0';
		return -1;
	}
	char port_file[300], err_file[300], script[512];
	snprintf(port_file, sizeof(port_file), "%s/port", e->dir);
	snprintf(err_file, sizeof(err_file), "%s/emulator.stderr", e->dir);
	snprintf(script, sizeof(script), "%s/emulator/armemu.py", FY_SOURCE_DIR);

	const char *argv[64];
	int n = 0;
	argv[n++] = "python3";
	argv[n++] = script;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	for (int i = 0; extra_args && extra_args[i] && n < 62; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;

	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "emu_start: fork: %s\n", strerror(errno));
		emu_stop(e);
		return -1;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. Dies with the test process. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		int devnull = open("/dev/null", O_RDWR);
		int errfd = open(err_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (errfd >= 0)
			dup2(errfd, 2);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	e->pid = pid;
	for (long waited = 0; waited < EMU_START_WAIT_MS; waited += 20) {
		FILE *f = fopen(port_file, "r");
		if (f) {
			int port = 0;
			int ok = fscanf(f, "%d", &port) == 1 && port > 0;
			fclose(f);
			if (ok) {
				e->port = port;
				snprintf(e->base_url, sizeof(e->base_url), "http://127.0.0.1:%d", port);
				return 0;
			}
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			e->pid = 0;
			fprintf(stderr, "emu_start: the emulator exited early (status %d)\n", status);
			print_stderr_file(e);
			emu_stop(e);
			return -1;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "emu_start: no port file after %d ms\n", EMU_START_WAIT_MS);
	print_stderr_file(e);
	emu_stop(e);
	return -1;
}

void emu_stop(emu *e)
{
	if (e->pid > 0) {
		kill(e->pid, SIGTERM);
		int status;
		long waited = 0;
		while (waitpid(e->pid, &status, WNOHANG) == 0) {
			if (waited >= EMU_STOP_WAIT_MS) {
				kill(e->pid, SIGKILL);
				waitpid(e->pid, &status, 0);
				break;
			}
			sleep_ms(10);
			waited += 10;
		}
		e->pid = 0;
	}
	if (e->dir[0]) {
		nftw(e->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		e->dir[0] = '\0';
	}
}

typedef struct emu_buf {
	char *p;
	size_t n;
} emu_buf;

static size_t emu_write_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	emu_buf *b = ud;
	size_t k = size * nmemb;
	char *np = realloc(b->p, b->n + k + 1);
	if (!np)
		return 0;
	memcpy(np + b->n, ptr, k);
	b->n += k;
	np[b->n] = '\0';
	b->p = np;
	return k;
}

long emu_call(emu *e, const char *method, const char *path, const char *json, char **out_body)
{
	if (out_body)
		*out_body = NULL;
	CURL *h = curl_easy_init();
	if (!h)
		return -1;
	char url[1024];
	snprintf(url, sizeof(url), "%s%s", e->base_url, path);
	emu_buf b = {0};
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, emu_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (json) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	}
	long status = -1;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (out_body)
		*out_body = b.p ? b.p : strdup("");
	else
		free(b.p);
	return status;
}

static int emu_ok(long status)
{
	return status >= 200 && status < 300 ? 0 : -1;
}

int emu_reset(emu *e)
{
	return emu_ok(emu_call(e, "POST", "/_emulator/reset", "{}", NULL));
}

int emu_fault(emu *e, const char *rule_json)
{
	char *body = NULL;
	long s = emu_call(e, "POST", "/_emulator/faults", rule_json, &body);
	if (emu_ok(s))
		fprintf(stderr, "emu_fault: %ld %s\n", s, body ? body : "");
	free(body);
	return emu_ok(s);
}

int emu_clear_faults(emu *e)
{
	return emu_ok(emu_call(e, "DELETE", "/_emulator/faults", NULL, NULL));
}

int emu_config(emu *e, const char *json)
{
	char *body = NULL;
	long s = emu_call(e, "POST", "/_emulator/config", json, &body);
	if (emu_ok(s))
		fprintf(stderr, "emu_config: %ld %s\n", s, body ? body : "");
	free(body);
	return emu_ok(s);
}

static cJSON *emu_get_json(emu *e, const char *path)
{
	char *body = NULL;
	long s = emu_call(e, "GET", path, NULL, &body);
	cJSON *j = s == 200 && body ? cJSON_Parse(body) : NULL;
	free(body);
	return j;
}

long emu_stat(emu *e, const char *name)
{
	cJSON *j = emu_get_json(e, "/_emulator/stats");
	const cJSON *v = j ? cJSON_GetObjectItemCaseSensitive(j, name) : NULL;
	long r = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
	cJSON_Delete(j);
	return r;
}

cJSON *emu_requests(emu *e)
{
	return emu_get_json(e, "/_emulator/requests");
}

cJSON *emu_store(emu *e)
{
	return emu_get_json(e, "/_emulator/store");
}

const char *emu_path(emu *e, const char *name)
{
	snprintf(e->path_buf, sizeof(e->path_buf), "%s/%s", e->dir, name);
	return e->path_buf;
}

const char *emu_write_file(emu *e, const char *name, const char *text)
{
	const char *p = emu_path(e, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return NULL;
	size_t n = strlen(text);
	ssize_t w = write(fd, text, n);
	close(fd);
	return w == (ssize_t)n ? p : NULL;
}

const char *emu_fake_az_dir(emu *e)
{
	snprintf(e->az_dir, sizeof(e->az_dir), "%s/bin", e->dir);
	if (mkdir(e->az_dir, 0700) < 0 && errno != EEXIST)
		return NULL;
	char link[400], target[512];
	snprintf(link, sizeof(link), "%s/az", e->az_dir);
	snprintf(target, sizeof(target), "%s/emulator/fake-az", FY_SOURCE_DIR);
	if (symlink(target, link) < 0 && errno != EEXIST)
		return NULL;
	setenv("FOUNDRY_EMULATOR_URL", e->base_url, 1);
	return e->az_dir;
}
