/*
 * tflog: hclog JSON lines on stderr, with secret redaction (see tflog.h).
 *
 * go-plugin parses each stderr line as hclog JSON and type-asserts @level/@message/@timestamp as strings
 * (docs/internals/protocol.md 2.4, GP log_entry.go), so those three are always strings and the timestamp uses hclog's
 * layout "2006-01-02T15:04:05.000000Z07:00". Lines are built with cJSON and written with a single write()
 * under a mutex so concurrent RPCs never interleave.
 */
#define _GNU_SOURCE /* vasprintf */
#include "tflog.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define TFLOG_REDACTED "[REDACTED]"
#define TFLOG_DEFAULT_MODULE "foundry"

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error", "off"};

static atomic_int g_level = TFLOG_OFF;
static pthread_mutex_t g_out_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *g_out; /* NULL = fd 2 */

/* Secret registry: grows only; longest first so a secret containing another is replaced whole. */
static pthread_rwlock_t g_sec_mu = PTHREAD_RWLOCK_INITIALIZER;
static char **g_secrets;
static size_t *g_secret_lens;
static unsigned long *g_secret_seen; /* when each was last registered: the least recent goes first when full */
static size_t g_nsecrets, g_capsecrets;
static unsigned long g_secret_clock;
/* A provider process lives for one Terraform phase, but a long one sees every key of every connection: bound the
 * list (each log line is scanned against all of it). Values in use are registered again by every request that
 * carries them, so eviction drops only secrets that have not been seen for a while. */
#define TFLOG_MAX_SECRETS 1024

/* ------------------------------------------------------------------ levels */

tflog_level tflog_parse_level(const char *s)
{
	if (s == NULL)
		return TFLOG_OFF;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return TFLOG_OFF;
	/* Terraform's parseLogLevel (TF internal/logging/logging.go): JSON = trace in JSON form; an invalid
	 * non-empty value falls back to TRACE. */
	static const struct {
		const char *name;
		tflog_level level;
	} names[] = {{"TRACE", TFLOG_TRACE}, {"JSON", TFLOG_TRACE}, {"DEBUG", TFLOG_DEBUG}, {"INFO", TFLOG_INFO},
		{"WARN", TFLOG_WARN}, {"ERROR", TFLOG_ERROR}, {"OFF", TFLOG_OFF}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	return TFLOG_TRACE;
}

tflog_level tflog_level_from_env(void)
{
	/* Terraform's provider logger: TF_LOG_PROVIDER, falling back to TF_LOG (docs/internals/protocol.md 2.4). */
	const char *p = getenv("TF_LOG_PROVIDER");
	if (p != NULL && p[0] != '\0')
		return tflog_parse_level(p);
	return tflog_parse_level(getenv("TF_LOG"));
}

void tflog_init(void)
{
	atomic_store(&g_level, (int)tflog_level_from_env());
}

void tflog_set_output(FILE *f, tflog_level level)
{
	pthread_mutex_lock(&g_out_mu);
	g_out = f;
	pthread_mutex_unlock(&g_out_mu);
	atomic_store(&g_level, (int)level);
}

int tflog_enabled(tflog_level level)
{
	/* Out-of-range levels are never enabled: emit() indexes level_names with them. */
	return (unsigned)level < (unsigned)TFLOG_OFF && (int)level >= atomic_load(&g_level);
}

/* --------------------------------------------------------------- redaction */

/* Remove entry i (keeps the longest-first order). Called with g_sec_mu held for writing. */
static void secret_remove(size_t i)
{
	free(g_secrets[i]);
	memmove(g_secrets + i, g_secrets + i + 1, (g_nsecrets - i - 1) * sizeof(*g_secrets));
	memmove(g_secret_lens + i, g_secret_lens + i + 1, (g_nsecrets - i - 1) * sizeof(*g_secret_lens));
	memmove(g_secret_seen + i, g_secret_seen + i + 1, (g_nsecrets - i - 1) * sizeof(*g_secret_seen));
	g_nsecrets--;
}

void tflog_add_secret(const char *value)
{
	if (value == NULL)
		return;
	size_t len = strlen(value);
	if (len < 4)
		return;
	pthread_rwlock_wrlock(&g_sec_mu);
	g_secret_clock++;
	for (size_t i = 0; i < g_nsecrets; i++) {
		if (g_secret_lens[i] == len && memcmp(g_secrets[i], value, len) == 0) {
			g_secret_seen[i] = g_secret_clock;
			pthread_rwlock_unlock(&g_sec_mu);
			return;
		}
	}
	if (g_nsecrets == TFLOG_MAX_SECRETS) {
		size_t oldest = 0;
		for (size_t i = 1; i < g_nsecrets; i++)
			if (g_secret_seen[i] < g_secret_seen[oldest])
				oldest = i;
		secret_remove(oldest);
	}
	if (g_nsecrets == g_capsecrets) {
		size_t cap = g_capsecrets ? g_capsecrets * 2 : 8;
		char **s = realloc(g_secrets, cap * sizeof(*s));
		if (s == NULL)
			fy_oom();
		g_secrets = s;
		size_t *l = realloc(g_secret_lens, cap * sizeof(*l));
		if (l == NULL)
			fy_oom();
		g_secret_lens = l;
		unsigned long *w = realloc(g_secret_seen, cap * sizeof(*w));
		if (w == NULL)
			fy_oom();
		g_secret_seen = w;
		g_capsecrets = cap;
	}
	char *copy = strdup(value);
	if (copy == NULL)
		fy_oom();
	size_t at = g_nsecrets;
	while (at > 0 && g_secret_lens[at - 1] < len) {
		g_secrets[at] = g_secrets[at - 1];
		g_secret_lens[at] = g_secret_lens[at - 1];
		g_secret_seen[at] = g_secret_seen[at - 1];
		at--;
	}
	g_secrets[at] = copy;
	g_secret_lens[at] = len;
	g_secret_seen[at] = g_secret_clock;
	g_nsecrets++;
	pthread_rwlock_unlock(&g_sec_mu);
}

size_t tflog_secret_count(void)
{
	pthread_rwlock_rdlock(&g_sec_mu);
	size_t n = g_nsecrets;
	pthread_rwlock_unlock(&g_sec_mu);
	return n;
}

/* malloc'd redacted copy of s, or NULL when s contains no registered secret (use s as is). */
static char *redact_dup(const char *s)
{
	if (s == NULL)
		return NULL;
	char *cur = NULL; /* current text when something was replaced */
	pthread_rwlock_rdlock(&g_sec_mu);
	for (size_t i = 0; i < g_nsecrets; i++) {
		const char *text = cur ? cur : s;
		const char *hit = strstr(text, g_secrets[i]);
		if (hit == NULL)
			continue;
		size_t slen = g_secret_lens[i], rlen = strlen(TFLOG_REDACTED);
		size_t n = 0;
		for (const char *p = hit; p != NULL; p = strstr(p + slen, g_secrets[i]))
			n++;
		size_t tlen = strlen(text);
		size_t out_len = tlen - n * slen + n * rlen;
		char *out = malloc(out_len + 1);
		if (out == NULL)
			fy_oom();
		char *w = out;
		const char *r = text;
		for (const char *p = hit; p != NULL; p = strstr(r, g_secrets[i])) {
			memcpy(w, r, (size_t)(p - r));
			w += p - r;
			memcpy(w, TFLOG_REDACTED, rlen);
			w += rlen;
			r = p + slen;
		}
		strcpy(w, r);
		free(cur);
		cur = out;
	}
	pthread_rwlock_unlock(&g_sec_mu);
	return cur;
}

char *tflog_redact(fy_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	char *r = redact_dup(s);
	if (r == NULL)
		return fy_arena_strdup(a, s);
	char *out = fy_arena_strdup(a, r);
	free(r);
	return out;
}

/* Keys whose values are credentials (docs/internals/arm.md 1.4: x-ms-secret fields; OAuth2 token
 * responses; HTTP auth headers). Matched case-insensitively, so "clientsecret" covers "clientSecret".
 * "customHeaders" is connection metadata that gateways use for keys (docs/internals/protocol.md 2.2, KARPIKPL puts an
 * APIM key
 * there) and that GET returns in clear: a refresh or an import logs it before any value is known. */
static const char *const secret_keys[] = {"key", "keys", "clientSecret", "client_secret", "access_token", "accessToken",
	"refresh_token", "refreshToken", "id_token", "password", "client_assertion", "assertion", "api-key", "api_key",
	"apiKey", "x-api-key", "Authorization", "Ocp-Apim-Subscription-Key", "developerToken", "securityToken",
	"secretAccessKey", "pat", "sas", "primaryKey", "secondaryKey", "secret", "token", "customHeaders", NULL};

int tflog_is_secret_key(const char *key)
{
	if (key == NULL)
		return 0;
	for (size_t i = 0; secret_keys[i] != NULL; i++)
		if (strcasecmp(key, secret_keys[i]) == 0)
			return 1;
	return 0;
}

static void redact_tree(cJSON *node)
{
	cJSON *child = node->child;
	while (child != NULL) {
		cJSON *next = child->next;
		if (cJSON_IsObject(node) && child->string != NULL && tflog_is_secret_key(child->string) &&
			!cJSON_IsNull(child)) {
			/* The whole value goes, even an object (CustomKeys' `keys` map). */
			cJSON *r = cJSON_CreateString(TFLOG_REDACTED);
			size_t klen = strlen(child->string);
			char *k = r ? cJSON_malloc(klen + 1) : NULL;
			if (k == NULL)
				fy_oom();
			memcpy(k, child->string, klen + 1);
			r->string = k; /* ReplaceItemViaPointer keeps the replacement's own name */
			cJSON_ReplaceItemViaPointer(node, child, r);
		} else if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
			redact_tree(child);
		} else if (cJSON_IsString(child)) {
			/* Registered values are matched before printing: printed JSON escapes '"', '\\' and control
			 * characters, so a secret holding one would not be found in the text afterwards. */
			char *r = redact_dup(child->valuestring);
			if (r != NULL && cJSON_SetValuestring(child, r) == NULL)
				fy_oom();
			free(r);
		}
		child = next;
	}
}

char *tflog_redact_json(fy_arena *a, const char *json)
{
	if (json == NULL)
		return NULL;
	cJSON *root = cJSON_Parse(json);
	if (root == NULL)
		return tflog_redact(a, json);
	if (cJSON_IsObject(root) || cJSON_IsArray(root))
		redact_tree(root);
	char *printed = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (printed == NULL)
		fy_oom();
	char *out = tflog_redact(a, printed);
	cJSON_free(printed);
	return out;
}

/* ------------------------------------------------------------------ output */

int tflog_format_timestamp(char *buf, size_t n, const struct timespec *ts)
{
	/* hclog TimeFormat "2006-01-02T15:04:05.000000Z07:00": local time, microseconds, "Z" for UTC. */
	struct tm tm;
	if (localtime_r(&ts->tv_sec, &tm) == NULL)
		return FY_ERROR;
	char date[32];
	if (strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return FY_ERROR;
	char zone[16];
	long off = tm.tm_gmtoff;
	if (off == 0) {
		strcpy(zone, "Z");
	} else {
		char sign = off < 0 ? '-' : '+';
		if (off < 0)
			off = -off;
		snprintf(zone, sizeof(zone), "%c%02ld:%02ld", sign, (off / 3600) % 100, (off / 60) % 60);
	}
	int w = snprintf(buf, n, "%s.%06ld%s", date, (long)(ts->tv_nsec / 1000), zone);
	return (w < 0 || (size_t)w >= n) ? FY_ERROR : FY_OK;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* stderr gone: nothing sensible to do */
		}
		p += w;
		n -= (size_t)w;
	}
}

static void add_redacted(cJSON *obj, const char *key, const char *value)
{
	char *r = redact_dup(value);
	if (cJSON_AddStringToObject(obj, key, r ? r : (value ? value : "")) == NULL)
		fy_oom();
	free(r);
}

/* `kv` is a NULL-terminated key/value list walked from a va_list, or NULL. */
static void emit(tflog_level level, const char *module, const char *message, va_list *kv)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char stamp[64];
	if (tflog_format_timestamp(stamp, sizeof(stamp), &ts) < 0)
		strcpy(stamp, "1970-01-01T00:00:00.000000Z");

	cJSON *o = cJSON_CreateObject();
	if (o == NULL)
		fy_oom();
	if (cJSON_AddStringToObject(o, "@level", level_names[level]) == NULL)
		fy_oom();
	add_redacted(o, "@message", message);
	if (cJSON_AddStringToObject(o, "@module", module && module[0] ? module : TFLOG_DEFAULT_MODULE) == NULL)
		fy_oom();
	if (cJSON_AddStringToObject(o, "@timestamp", stamp) == NULL)
		fy_oom();
	if (kv != NULL) {
		for (;;) {
			const char *k = va_arg(*kv, const char *);
			if (k == NULL)
				break;
			const char *v = va_arg(*kv, const char *);
			if (k[0] == '@')
				continue; /* reserved hclog keys stay ours */
			/* An odd trailing key gets an empty value rather than reading past the sentinel. */
			char *rk = redact_dup(k);
			const char *key = rk ? rk : k;
			cJSON_DeleteItemFromObjectCaseSensitive(o, key);
			if (v != NULL && tflog_is_secret_key(k)) {
				/* A secret-named field is withheld whole, registered or not (as tflog_redact_json
				 * does). */
				if (cJSON_AddStringToObject(o, key, TFLOG_REDACTED) == NULL)
					fy_oom();
			} else {
				add_redacted(o, key, v);
			}
			free(rk);
			if (v == NULL)
				break;
		}
	}
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (line == NULL)
		fy_oom();
	size_t n = strlen(line);
	/* cJSON escapes control characters, so the line has no raw newline; append the terminator. */
	char *buf = malloc(n + 2);
	if (buf == NULL)
		fy_oom();
	memcpy(buf, line, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	cJSON_free(line);

	pthread_mutex_lock(&g_out_mu);
	if (g_out != NULL) {
		fwrite(buf, 1, n + 1, g_out);
		fflush(g_out);
	} else {
		write_all(STDERR_FILENO, buf, n + 1);
	}
	pthread_mutex_unlock(&g_out_mu);
	free(buf);
}

void tflog(tflog_level level, const char *module, const char *fmt, ...)
{
	if (!tflog_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		fy_oom();
	va_end(ap);
	emit(level, module, msg, NULL);
	free(msg);
}

void tflog_kv(tflog_level level, const char *module, const char *message, ...)
{
	if (!tflog_enabled(level))
		return;
	va_list ap;
	va_start(ap, message);
	emit(level, module, message, &ap);
	va_end(ap);
}
