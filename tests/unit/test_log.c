/* tflog: hclog JSON line format, levels from the environment, redaction, crash reporting. */
#define _GNU_SOURCE
#include "internal/log/tflog.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Captures log lines in memory. */
static char *cap_buf;
static size_t cap_len;
static FILE *cap;

static void cap_start(tflog_level level)
{
	cap = open_memstream(&cap_buf, &cap_len);
	ck_assert_ptr_nonnull(cap);
	tflog_set_output(cap, level);
}

/* Stop capturing; returns the text (caller frees). */
static char *cap_stop(void)
{
	tflog_set_output(NULL, TFLOG_OFF);
	fclose(cap);
	cap = NULL;
	char *s = cap_buf;
	cap_buf = NULL;
	return s;
}

static cJSON *parse_single_line(const char *text)
{
	size_t n = strlen(text);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(text[n - 1], '\n');
	ck_assert_ptr_eq(strchr(text, '\n'), text + n - 1); /* exactly one line */
	cJSON *o = cJSON_Parse(text);
	ck_assert_msg(o != NULL, "not JSON: %s", text);
	return o;
}

static const char *str_field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(cJSON_IsString(v), "%s must be a JSON string", k);
	return v->valuestring;
}

static int matches(const char *re, const char *s)
{
	regex_t r;
	ck_assert_int_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	int ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

#define HCLOG_TS_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}(Z|[+-][0-9]{2}:[0-9]{2})$"

START_TEST(test_line_format)
{
	cap_start(TFLOG_TRACE);
	tflog(TFLOG_INFO, "foundry.arm", "hello %d", 42);
	char *out = cap_stop();
	cJSON *o = parse_single_line(out);
	/* go-plugin type-asserts these three as strings (docs/internals/protocol.md 2.4). */
	ck_assert_str_eq(str_field(o, "@level"), "info");
	ck_assert_str_eq(str_field(o, "@message"), "hello 42");
	ck_assert_str_eq(str_field(o, "@module"), "foundry.arm");
	ck_assert_msg(matches(HCLOG_TS_RE, str_field(o, "@timestamp")), "timestamp layout: %s",
		str_field(o, "@timestamp"));
	cJSON_Delete(o);
	free(out);
}
END_TEST

START_TEST(test_levels_named)
{
	static const struct {
		tflog_level l;
		const char *name;
	} t[] = {{TFLOG_TRACE, "trace"}, {TFLOG_DEBUG, "debug"}, {TFLOG_INFO, "info"}, {TFLOG_WARN, "warn"},
		{TFLOG_ERROR, "error"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cap_start(TFLOG_TRACE);
		tflog(t[i].l, NULL, "m");
		char *out = cap_stop();
		cJSON *o = parse_single_line(out);
		ck_assert_str_eq(str_field(o, "@level"), t[i].name);
		ck_assert_str_eq(str_field(o, "@module"), "foundry"); /* default module */
		cJSON_Delete(o);
		free(out);
	}
}
END_TEST

START_TEST(test_kv_and_escaping)
{
	cap_start(TFLOG_TRACE);
	tflog_kv(TFLOG_DEBUG, "foundry.arm", "request \"quoted\"\nnext", "method", "GET", "url",
		"https://example.test/a?b=c", "@level", "bogus", NULL);
	char *out = cap_stop();
	cJSON *o = parse_single_line(out); /* the embedded newline is escaped: still one line */
	ck_assert_str_eq(str_field(o, "@message"), "request \"quoted\"\nnext");
	ck_assert_str_eq(str_field(o, "method"), "GET");
	ck_assert_str_eq(str_field(o, "url"), "https://example.test/a?b=c");
	ck_assert_str_eq(str_field(o, "@level"), "debug"); /* reserved keys cannot be overridden */
	cJSON_Delete(o);
	free(out);
}
END_TEST

START_TEST(test_level_filter)
{
	cap_start(TFLOG_WARN);
	ck_assert(!tflog_enabled(TFLOG_INFO));
	ck_assert(tflog_enabled(TFLOG_WARN));
	ck_assert(tflog_enabled(TFLOG_ERROR));
	ck_assert(!tflog_enabled(TFLOG_OFF));
	tflog(TFLOG_INFO, NULL, "dropped");
	tflog_kv(TFLOG_DEBUG, NULL, "dropped", "k", "v", NULL);
	tflog(TFLOG_ERROR, NULL, "kept");
	char *out = cap_stop();
	cJSON *o = parse_single_line(out);
	ck_assert_str_eq(str_field(o, "@message"), "kept");
	cJSON_Delete(o);
	free(out);

	cap_start(TFLOG_OFF);
	tflog(TFLOG_ERROR, NULL, "nothing at off");
	out = cap_stop();
	ck_assert(out == NULL || out[0] == '\0');
	free(out);

	/* A level outside the enum is never enabled (emit would index its name table with it). */
	cap_start(TFLOG_TRACE);
	ck_assert(!tflog_enabled((tflog_level)42));
	ck_assert(!tflog_enabled((tflog_level)-1));
	tflog((tflog_level)42, NULL, "out of range");
	out = cap_stop();
	ck_assert(out == NULL || out[0] == '\0');
	free(out);
}
END_TEST

START_TEST(test_parse_level)
{
	ck_assert_int_eq(tflog_parse_level(NULL), TFLOG_OFF);
	ck_assert_int_eq(tflog_parse_level(""), TFLOG_OFF);
	ck_assert_int_eq(tflog_parse_level("TRACE"), TFLOG_TRACE);
	ck_assert_int_eq(tflog_parse_level("debug"), TFLOG_DEBUG);
	ck_assert_int_eq(tflog_parse_level("Info"), TFLOG_INFO);
	ck_assert_int_eq(tflog_parse_level("WARN"), TFLOG_WARN);
	ck_assert_int_eq(tflog_parse_level("error"), TFLOG_ERROR);
	ck_assert_int_eq(tflog_parse_level("JSON"), TFLOG_TRACE);
	ck_assert_int_eq(tflog_parse_level("off"), TFLOG_OFF);
	ck_assert_int_eq(tflog_parse_level("verbose"), TFLOG_TRACE); /* Terraform: invalid = TRACE */
}
END_TEST

START_TEST(test_level_from_env)
{
	setenv("TF_LOG_PROVIDER", "DEBUG", 1);
	setenv("TF_LOG", "ERROR", 1);
	ck_assert_int_eq(tflog_level_from_env(), TFLOG_DEBUG);
	setenv("TF_LOG_PROVIDER", "", 1);
	ck_assert_int_eq(tflog_level_from_env(), TFLOG_ERROR);
	unsetenv("TF_LOG_PROVIDER");
	ck_assert_int_eq(tflog_level_from_env(), TFLOG_ERROR);
	setenv("TF_LOG", "json", 1);
	ck_assert_int_eq(tflog_level_from_env(), TFLOG_TRACE);
	unsetenv("TF_LOG");
	ck_assert_int_eq(tflog_level_from_env(), TFLOG_OFF);
	setenv("TF_LOG_PROVIDER", "off", 1);
	setenv("TF_LOG", "TRACE", 1);
	tflog_init();
	ck_assert(!tflog_enabled(TFLOG_ERROR));
	unsetenv("TF_LOG_PROVIDER");
	tflog_init();
	ck_assert(tflog_enabled(TFLOG_TRACE));
	unsetenv("TF_LOG");
	tflog_init();
	ck_assert(!tflog_enabled(TFLOG_ERROR));
}
END_TEST

START_TEST(test_timestamp_layout)
{
	struct timespec ts = {.tv_sec = 1795622744, .tv_nsec = 123456789};
	char buf[64];
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	static const struct {
		const char *tz, *want;
	} t[] = {{"UTC0", "2026-11-25T16:05:44.123456Z"}, {"CET-1", "2026-11-25T17:05:44.123456+01:00"},
		{"EST5", "2026-11-25T11:05:44.123456-05:00"}, {"IST-5:30", "2026-11-25T21:35:44.123456+05:30"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setenv("TZ", t[i].tz, 1);
		tzset();
		ck_assert_int_eq(tflog_format_timestamp(buf, sizeof(buf), &ts), 0);
		ck_assert_str_eq(buf, t[i].want);
		ck_assert(matches(HCLOG_TS_RE, buf));
	}
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}
END_TEST

START_TEST(test_redact_registered)
{
	fy_arena *a;
	ck_assert_int_eq(fy_arena_new(&a), 0);
	tflog_add_secret("s3cr3t-value");
	tflog_add_secret("abc"); /* too short to register */
	tflog_add_secret(NULL);
	ck_assert_str_eq(tflog_redact(a, "a s3cr3t-value b s3cr3t-values3cr3t-value"),
		"a [REDACTED] b [REDACTED][REDACTED]");
	ck_assert_str_eq(tflog_redact(a, "abc stays"), "abc stays");
	ck_assert_str_eq(tflog_redact(a, ""), "");
	ck_assert_ptr_null(tflog_redact(a, NULL));

	/* A longer secret containing a shorter one is replaced whole. */
	tflog_add_secret("tok-1234");
	tflog_add_secret("tok-1234-extended");
	ck_assert_str_eq(tflog_redact(a, "[tok-1234-extended] [tok-1234]"), "[[REDACTED]] [[REDACTED]]");
	fy_arena_free(a);
}
END_TEST

START_TEST(test_redact_in_lines)
{
	tflog_add_secret("pa\"ss\\word-42");
	tflog_add_secret("line-secret-xyz");
	cap_start(TFLOG_TRACE);
	tflog(TFLOG_ERROR, "foundry.auth", "token is line-secret-xyz and pa\"ss\\word-42");
	tflog_kv(TFLOG_DEBUG, "foundry.auth", "kv", "header", "Bearer line-secret-xyz", "line-secret-xyz", "v", NULL);
	char *out = cap_stop();
	ck_assert_ptr_null(strstr(out, "line-secret-xyz"));
	ck_assert_ptr_null(strstr(out, "word-42"));
	char *nl = strchr(out, '\n');
	ck_assert_ptr_nonnull(nl);
	*nl = '\0';
	cJSON *o = cJSON_Parse(out);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(str_field(o, "@message"), "token is [REDACTED] and [REDACTED]");
	cJSON_Delete(o);
	o = cJSON_Parse(nl + 1);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(str_field(o, "header"), "Bearer [REDACTED]");
	ck_assert_str_eq(str_field(o, "[REDACTED]"), "v");
	cJSON_Delete(o);
	free(out);
}
END_TEST

/* A value logged under a secret key is withheld even though it was never registered. */
/* The list is bounded: registering more secrets than fit drops the least recently seen, and one registered
 * again (every request re-registers the secrets it carries) survives. */
START_TEST(test_secret_list_bounded)
{
	fy_arena *a;
	ck_assert_int_eq(fy_arena_new(&a), 0);
	tflog_add_secret("keep-me-seen-again");
	char buf[64];
	for (int i = 0; i < 1500; i++) {
		snprintf(buf, sizeof buf, "bounded-secret-%05d", i);
		tflog_add_secret(buf);
		if (i % 100 == 0)
			tflog_add_secret("keep-me-seen-again");
	}
	ck_assert_uint_le(tflog_secret_count(), 1024);
	ck_assert_str_eq(tflog_redact(a, "x keep-me-seen-again y"), "x [REDACTED] y");
	ck_assert_str_eq(tflog_redact(a, "bounded-secret-01499"), "[REDACTED]");
	ck_assert_str_eq(tflog_redact(a, "bounded-secret-00001"), "bounded-secret-00001"); /* dropped long ago */
	fy_arena_free(a);
}
END_TEST

START_TEST(test_redact_secret_keys_in_lines)
{
	cap_start(TFLOG_TRACE);
	tflog_kv(TFLOG_DEBUG, "foundry.auth", "kv", "client_secret", "never-registered-1", "Authorization",
		"Bearer never-registered-2", "AUTHORIZATION", "never-registered-3", "method", "GET", "empty", "",
		NULL);
	char *out = cap_stop();
	ck_assert_ptr_null(strstr(out, "never-registered"));
	cJSON *o = parse_single_line(out);
	ck_assert_str_eq(str_field(o, "client_secret"), "[REDACTED]");
	ck_assert_str_eq(str_field(o, "Authorization"), "[REDACTED]");
	ck_assert_str_eq(str_field(o, "AUTHORIZATION"), "[REDACTED]"); /* names match case-insensitively */
	ck_assert_str_eq(str_field(o, "method"), "GET");			/* other keys untouched */
	ck_assert_str_eq(str_field(o, "empty"), "");
	cJSON_Delete(o);
	free(out);
}
END_TEST

START_TEST(test_redact_json_keys)
{
	fy_arena *a;
	ck_assert_int_eq(fy_arena_new(&a), 0);
	const char *in = "{\"properties\":{\"category\":\"ApiManagement\",\"credentials\":{\"key\":\"k-123\"},"
			 "\"metadata\":{\"ApiVersion\":\"2024-02-01\",\"customHeaders\":{\"API-KEY\":\"hdr\"}}},"
			 "\"Authorization\":\"Bearer t\",\"list\":[{\"client_secret\":\"zz\",\"clientSecret\":\"yy\","
			 "\"ClientSecret\":null}],\"keys\":{\"a\":\"b\"},\"access_token\":\"at\",\"refresh_token\":\"rt\","
			 "\"password\":\"pw\",\"client_assertion\":\"ca\",\"n\":1}";
	char *out = tflog_redact_json(a, in);
	cJSON *o = cJSON_Parse(out);
	ck_assert_ptr_nonnull(o);
	cJSON *props = cJSON_GetObjectItem(o, "properties");
	ck_assert_str_eq(str_field(props, "category"), "ApiManagement");
	ck_assert_str_eq(str_field(cJSON_GetObjectItem(props, "credentials"), "key"), "[REDACTED]");
	cJSON *md = cJSON_GetObjectItem(props, "metadata");
	ck_assert_str_eq(str_field(md, "ApiVersion"), "2024-02-01");
	ck_assert_str_eq(str_field(md, "customHeaders"), "[REDACTED]"); /* redacted whole */
	ck_assert_str_eq(str_field(o, "Authorization"), "[REDACTED]");
	cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "list"), 0);
	ck_assert_str_eq(str_field(item, "client_secret"), "[REDACTED]");
	ck_assert_str_eq(str_field(item, "clientSecret"), "[REDACTED]");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(item, "ClientSecret")));
	ck_assert_str_eq(str_field(o, "keys"), "[REDACTED]"); /* a whole map of secrets */
	ck_assert_str_eq(str_field(o, "access_token"), "[REDACTED]");
	ck_assert_str_eq(str_field(o, "refresh_token"), "[REDACTED]");
	ck_assert_str_eq(str_field(o, "password"), "[REDACTED]");
	ck_assert_str_eq(str_field(o, "client_assertion"), "[REDACTED]");
	ck_assert_int_eq(cJSON_GetObjectItem(o, "n")->valueint, 1);
	cJSON_Delete(o);

	/* Registered values are redacted too, anywhere in the text; non-JSON input gets that only. */
	tflog_add_secret("json-secret-777");
	out = tflog_redact_json(a, "{\"note\":\"x json-secret-777 y\"}");
	ck_assert_str_eq(out, "{\"note\":\"x [REDACTED] y\"}");
	ck_assert_str_eq(tflog_redact_json(a, "key=json-secret-777 not json"), "key=[REDACTED] not json");
	ck_assert(tflog_is_secret_key("CLIENTSECRET"));
	ck_assert(tflog_is_secret_key("ocp-apim-subscription-key"));
	ck_assert(!tflog_is_secret_key("ApiVersion"));
	ck_assert(!tflog_is_secret_key("keyVault"));
	/* A connection's customHeaders metadata (a JSON string) is redacted whole: GET returns it in clear. */
	out = tflog_redact_json(a, "{\"properties\":{\"metadata\":{\"customHeaders\":\"{\\\"x-k\\\":\\\"hdr-val\\\"}\","
				   "\"deploymentInPath\":\"true\"}}}");
	ck_assert_msg(strstr(out, "hdr-val") == NULL, "%s", out);
	ck_assert(strstr(out, "deploymentInPath") != NULL);
	/* A registered value with characters JSON escapes ('"', '\\') is still found inside a JSON string. */
	tflog_add_secret("q\"uo\\te-secret");
	out = tflog_redact_json(a, "{\"note\":\"x q\\\"uo\\\\te-secret y\",\"list\":[\"q\\\"uo\\\\te-secret\"]}");
	ck_assert_msg(strstr(out, "te-secret") == NULL, "%s", out);
	ck_assert_str_eq(out, "{\"note\":\"x [REDACTED] y\",\"list\":[\"[REDACTED]\"]}");
	fy_arena_free(a);
}
END_TEST

struct writer_arg {
	int id;
};

static void *writer(void *p)
{
	struct writer_arg *w = p;
	for (int i = 0; i < 200; i++)
		tflog_kv(TFLOG_INFO, "foundry.test", "concurrent line with some padding to make it longer", "writer",
			w->id == 0 ? "zero" : w->id == 1 ? "one" : w->id == 2 ? "two" : "three", NULL);
	return NULL;
}

START_TEST(test_concurrent_lines_do_not_interleave)
{
	cap_start(TFLOG_TRACE);
	pthread_t t[4];
	struct writer_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i].id = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	char *out = cap_stop();
	int lines = 0;
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(l);
		ck_assert_msg(o != NULL, "interleaved line: %s", l);
		cJSON_Delete(o);
		lines++;
	}
	ck_assert_int_eq(lines, 800);
	free(out);
}
END_TEST

static void check_crash(int sig, const char *prefix)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		if (tflog_install_crash_handler() != 0)
			_exit(3);
		raise(sig);
		_exit(4); /* not reached: the handler re-raises with the default action */
	}
	close(p[1]);
	char buf[512];
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(p[0]);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == sig, "child status %d", st);
	ck_assert_msg(strncmp(buf, prefix, strlen(prefix)) == 0, "stderr was: %s", buf);
	ck_assert_int_eq(buf[n - 1], '\n');
}

START_TEST(test_crash_handler)
{
	check_crash(SIGSEGV, "fatal error: SIGSEGV");
	check_crash(SIGABRT, "fatal error: SIGABRT");
	check_crash(SIGBUS, "fatal error: SIGBUS");
	check_crash(SIGFPE, "fatal error: SIGFPE");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("tflog");
	tcase_add_test(tc, test_line_format);
	tcase_add_test(tc, test_levels_named);
	tcase_add_test(tc, test_kv_and_escaping);
	tcase_add_test(tc, test_level_filter);
	tcase_add_test(tc, test_parse_level);
	tcase_add_test(tc, test_level_from_env);
	tcase_add_test(tc, test_timestamp_layout);
	tcase_add_test(tc, test_redact_registered);
	tcase_add_test(tc, test_redact_in_lines);
	tcase_add_test(tc, test_redact_json_keys);
	tcase_add_test(tc, test_redact_secret_keys_in_lines);
	tcase_add_test(tc, test_secret_list_bounded);
	tcase_add_test(tc, test_concurrent_lines_do_not_interleave);
	tcase_add_test(tc, test_crash_handler);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
