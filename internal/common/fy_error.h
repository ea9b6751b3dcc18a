/*
 * fy_error: the error object behind every `int` return in internal/.
 *
 * In the manner of libgit2's git_error_last(): a function that fails returns a
 * negative FY_E* code and leaves a message in a thread-local slot that the
 * caller can read with fy_error_last(). Each RPC runs on one worker thread from
 * request to response, so the slot is never shared between requests.
 */
#ifndef FOUNDRY_INTERNAL_COMMON_FY_ERROR_H
#define FOUNDRY_INTERNAL_COMMON_FY_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	FY_OK = 0,
	FY_ERROR = -1, /* generic failure */
	FY_ENOMEM = -2, /* allocation failed */
	FY_EINVALID = -3, /* malformed input (decode errors, bad arguments) */
	FY_ENOTFOUND = -4, /* lookup missed (ARM 404, absent attribute) */
	FY_ECANCELED = -5, /* StopProvider or shutdown cancelled the work */
	FY_ETIMEOUT = -6, /* a deadline passed */
	FY_EIO = -7, /* transport / OS failure */
	FY_EAUTH = -8 /* authentication failed */
};

typedef struct fy_error {
	int code;
	const char *message; /* never NULL; "" when nothing was recorded */
} fy_error;

/* Record an error for the calling thread; returns `code` so callers can `return fy_error_set(...)`. */
int fy_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int fy_error_setv(int code, const char *fmt, va_list ap);

/* The last error recorded on this thread; valid until the next fy_error_set/clear on this thread. */
const fy_error *fy_error_last(void);
void fy_error_clear(void);

/* A short text for a code ("out of memory", "invalid input", ...). */
const char *fy_error_code_str(int code);

#ifdef __cplusplus
}
#endif
#endif
