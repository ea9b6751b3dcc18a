/*
 * Fatal-signal reporting. Terraform records stderr from a line starting "fatal error: " on and prints it as
 * "The plugin crashed!" (docs/internals/protocol.md 2.4, TF internal/logging/panic.go), so a crash reaches the user
 * even when provider logging is off. Only async-signal-safe calls here: write(), sigaction(), raise().
 */
#include "tflog.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int fatal_signals[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};

static const char *fatal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV: segmentation violation";
	case SIGABRT: return "SIGABRT: abort";
	case SIGBUS: return "SIGBUS: bus error";
	case SIGFPE: return "SIGFPE: floating-point exception";
	case SIGILL: return "SIGILL: illegal instruction";
	default: return "fatal signal";
	}
}

/* Filled before the server starts, read only by the handler (unlink and rmdir are async-signal-safe). */
static char cleanup_file[4096];
static char cleanup_dir[4096];

void tflog_crash_cleanup(const char *file, const char *dir)
{
	cleanup_file[0] = cleanup_dir[0] = '\0';
	if (file != NULL && strlen(file) < sizeof(cleanup_file))
		memcpy(cleanup_file, file, strlen(file) + 1);
	if (dir != NULL && strlen(dir) < sizeof(cleanup_dir))
		memcpy(cleanup_dir, dir, strlen(dir) + 1);
}

static void fatal_handler(int sig)
{
	/* One write so the line is not split by another thread's log line. */
	char buf[160];
	size_t n = 0;
	const char *parts[] = {"fatal error: ", fatal_name(sig), " in terraform-provider-foundry\n"};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(parts[i]);
		if (n + l > sizeof(buf))
			l = sizeof(buf) - n;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	ssize_t ignored = write(STDERR_FILENO, buf, n);
	(void)ignored;
	if (cleanup_file[0])
		unlink(cleanup_file);
	if (cleanup_dir[0])
		rmdir(cleanup_dir);
	/* SA_RESETHAND put the default action back: re-raise so the exit status still says "killed by signal". */
	raise(sig);
}

int tflog_install_crash_handler(void)
{
	/* An alternate stack so a stack overflow (SIGSEGV on a guard page) can still be reported. */
	static char *altstack;
	if (altstack == NULL) {
		size_t size = 64 * 1024;
		altstack = malloc(size);
		if (altstack != NULL) {
			stack_t ss = {.ss_sp = altstack, .ss_size = size, .ss_flags = 0};
			sigaltstack(&ss, NULL);
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_ONSTACK | SA_NODEFER;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		if (sigaction(fatal_signals[i], &sa, NULL) != 0)
			return fy_error_set(FY_EIO, "sigaction(%d) failed", fatal_signals[i]);
	return FY_OK;
}
