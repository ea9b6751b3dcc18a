/*
 * tflog: hclog-compatible JSON lines on stderr (docs/internals/protocol.md 2.4).
 *
 * Each line:
 * {"@level":"debug","@message":"...","@module":"foundry.arm","@timestamp":"2006-01-02T15:04:05.000000Z07:00",...kv}
 * with @level/@message/@timestamp always JSON strings (go-plugin type-asserts them). Level from TF_LOG_PROVIDER,
 * falling back to TF_LOG (TRACE, DEBUG, INFO, WARN, ERROR, JSON = trace, OFF); unset = off.
 * Nothing is ever written to stdout.
 *
 * Redaction happens here, for every line at every level: registered secret values are replaced by
 * "[REDACTED]" wherever they appear, so a secret that reaches a log call by any route is still not printed.
 * Thread-safe.
 */
#ifndef FOUNDRY_INTERNAL_LOG_TFLOG_H
#define FOUNDRY_INTERNAL_LOG_TFLOG_H

#include <stdarg.h>
#include <stdio.h>

#include "../common/fy_arena.h"
#include "../common/fy_error.h"

struct timespec;

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tflog_level { TFLOG_TRACE = 0, TFLOG_DEBUG, TFLOG_INFO, TFLOG_WARN, TFLOG_ERROR, TFLOG_OFF } tflog_level;

/* Read TF_LOG_PROVIDER / TF_LOG. Safe to call more than once. */
void tflog_init(void);
/* Tests: send lines to `f` (NULL = stderr) at `level`. */
void tflog_set_output(FILE *f, tflog_level level);
int tflog_enabled(tflog_level level);

/* Message only. */
void tflog(tflog_level level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Message plus string key/value pairs, NULL-terminated: tflog_kv(L, "foundry.arm", "request", "method", "GET",
 * NULL). */
void tflog_kv(tflog_level level, const char *module, const char *message, ...) __attribute__((sentinel));

/* Never print this value (API keys, client secrets, tokens, assertions). Values shorter than 4 bytes are ignored.
 * The registry is process-wide and only grows; copies are kept. */
void tflog_add_secret(const char *value);
/* How many secrets are registered (at most 1,024: the least recently seen is dropped first). */
size_t tflog_secret_count(void);
/* The redacted form of `s` (arena copy). */
char *tflog_redact(fy_arena *a, const char *s);
/* JSON text with the values of secret-bearing keys (key, clientSecret, client_secret, access_token, password,
 * client_assertion, refresh_token, api-key, Authorization, ...) replaced, then tflog_redact applied.
 * Non-JSON input gets tflog_redact only. */
char *tflog_redact_json(fy_arena *a, const char *json);

/* Additions (owned by internal/log). */
/* A level name as Terraform parses TF_LOG ("trace".."error", "json" = trace, "off", case-insensitive); NULL or
 * empty = off; any other non-empty value = trace, as Terraform does for an invalid level. */
tflog_level tflog_parse_level(const char *s);
/* TF_LOG_PROVIDER if non-empty, else TF_LOG, through tflog_parse_level. */
tflog_level tflog_level_from_env(void);
/* 1 when `key` names a secret-bearing JSON key (the list above; case-insensitive). */
int tflog_is_secret_key(const char *key);
/* hclog's timestamp layout for `ts` in local time: "2026-11-25T16:05:44.123456Z" or "...+01:00". */
int tflog_format_timestamp(char *buf, size_t n, const struct timespec *ts);
/* SIGSEGV/SIGABRT/SIGBUS/SIGFPE/SIGILL: write "fatal error: <signal> ..." to fd 2 (async-signal-safe),
 * then re-raise with the default action so the process still dies of the signal (docs/internals/protocol.md 2.4). */
int tflog_install_crash_handler(void);
/* A file and its directory that the crash handler removes before re-raising (the plugin socket: a crash must not
 * leave a stale socket directory in $TMPDIR). Copied into static storage; NULL clears it. */
void tflog_crash_cleanup(const char *file, const char *dir);

#ifdef __cplusplus
}
#endif
#endif
