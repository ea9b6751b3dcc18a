#include "fy_error.h"

#include <stdio.h>
#include <string.h>

/* One slot per thread: an RPC runs on one worker from request to response. */
static _Thread_local char tl_message[1024];
static _Thread_local fy_error tl_error = {0, ""};

int fy_error_setv(int code, const char *fmt, va_list ap)
{
	/* Format into a local buffer first: a caller may pass fy_error_last()->message (our own slot) as an
	 * argument to wrap the cause, and vsnprintf into the buffer it reads from is undefined behaviour. */
	char buf[sizeof(tl_message)];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	memcpy(tl_message, buf, sizeof(buf));
	tl_error.code = code;
	tl_error.message = tl_message;
	return code;
}

int fy_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fy_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

const fy_error *fy_error_last(void)
{
	if (tl_error.message == NULL)
		tl_error.message = "";
	return &tl_error;
}

void fy_error_clear(void)
{
	tl_error.code = 0;
	tl_message[0] = '\0';
	tl_error.message = tl_message;
}

const char *fy_error_code_str(int code)
{
	switch (code) {
	case FY_OK: return "ok";
	case FY_ENOMEM: return "out of memory";
	case FY_EINVALID: return "invalid input";
	case FY_ENOTFOUND: return "not found";
	case FY_ECANCELED: return "cancelled";
	case FY_ETIMEOUT: return "timed out";
	case FY_EIO: return "I/O error";
	case FY_EAUTH: return "authentication failed";
	default: return "error";
	}
}
