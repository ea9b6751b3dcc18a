/*
 * fy_os on macOS (12 or later: README "Platforms"). Only libSystem: no framework, since the build has no Apple SDK
 * (docs/internals/darwin.md). Where Linux has a single call (signalfd, PR_SET_PDEATHSIG, a monotonic condition
 * variable), this file builds the same behaviour from POSIX and kqueue.
 */
#include "fy_os.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc/malloc.h>
#include <sys/event.h>
#include <sys/random.h>
#include <unistd.h>

int fy_os_pipe(int fds[2], int nonblock)
{
	/* No pipe2 on macOS: set the flags right after. A child spawned by another thread in between would inherit the
	 * pipe, but the provider's one child (the Azure CLI) is spawned with POSIX_SPAWN_CLOEXEC_DEFAULT (below). */
	if (pipe(fds) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0 ||
			(nonblock && fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK) != 0)) {
			int e = errno;
			close(fds[0]);
			close(fds[1]);
			errno = e;
			return -1;
		}
	}
	return 0;
}

int fy_os_spawnattr_init(posix_spawnattr_t *attr)
{
	int e = posix_spawnattr_init(attr);
	if (e != 0)
		return e;
	/* Apple's extension: only what the file actions name crosses into the child. */
	e = posix_spawnattr_setflags(attr, POSIX_SPAWN_CLOEXEC_DEFAULT);
	if (e != 0)
		posix_spawnattr_destroy(attr);
	return e;
}

int fy_os_random(void *buf, size_t n)
{
	return getentropy(buf, n);
}

void fy_os_cond_init_monotonic(pthread_cond_t *cv)
{
	/* No pthread_condattr_setclock: fy_os_cond_timedwait waits a relative time instead. */
	pthread_cond_init(cv, NULL);
}

int fy_os_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *until)
{
	struct timespec now, rel;
	clock_gettime(CLOCK_MONOTONIC, &now);
	rel.tv_sec = until->tv_sec - now.tv_sec;
	rel.tv_nsec = until->tv_nsec - now.tv_nsec;
	if (rel.tv_nsec < 0) {
		rel.tv_sec--;
		rel.tv_nsec += 1000000000L;
	}
	if (rel.tv_sec < 0)
		return ETIMEDOUT;
	/* Relative to now, so the wall clock plays no part, as with a CLOCK_MONOTONIC condattr on Linux. */
	return pthread_cond_timedwait_relative_np(cv, mu, &rel);
}

void fy_os_trim_heap(void)
{
	malloc_zone_pressure_relief(NULL, 0);
}

/* A thread takes the blocked signals with sigwait and writes each number to a pipe: macOS has no signalfd, and a
 * kqueue descriptor is not reliably pollable there. */
typedef struct {
	sigset_t set;
	int wfd;
} sigpipe_arg;

static void *signal_main(void *p)
{
	sigpipe_arg *a = p;
	for (;;) {
		int sig = 0;
		if (sigwait(&a->set, &sig) != 0)
			continue;
		unsigned char b = (unsigned char)sig;
		(void)write(a->wfd, &b, 1);
	}
	return NULL;
}

int fy_os_signal_fd(int *out, const sigset_t *set)
{
	int fds[2];
	if (fy_os_pipe(fds, 0) < 0)
		return -1;
	/* Read side non-blocking, as a signalfd made with SFD_NONBLOCK. */
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	static sigpipe_arg arg; /* one per process: the provider asks once, at start */
	arg.set = *set;
	arg.wfd = fds[1];
	pthread_t t;
	int e = pthread_create(&t, NULL, signal_main, &arg);
	if (e != 0) {
		close(fds[0]);
		close(fds[1]);
		errno = e;
		return -1;
	}
	pthread_detach(t);
	*out = fds[0];
	return 0;
}

int fy_os_signal_read(int fd)
{
	unsigned char b;
	return read(fd, &b, 1) == 1 ? (int)b : -1;
}

/* The parent to watch and the signal to send; one per process (the provider asks once, at start). */
static pid_t watched_parent;
static int watch_signal;

static void *parent_watch(void *p)
{
	(void)p;
	int kq = kqueue();
	struct kevent ev;
	EV_SET(&ev, watched_parent, EVFILT_PROC, EV_ADD | EV_ONESHOT, NOTE_EXIT, 0, NULL);
	/* kevent fails with ESRCH when the parent is gone already: the caller's getppid check covers that. */
	if (kq >= 0 && kevent(kq, &ev, 1, NULL, 0, NULL) == 0 && kevent(kq, NULL, 0, &ev, 1, NULL) == 1)
		kill(getpid(), watch_signal);
	if (kq >= 0)
		close(kq);
	return NULL;
}

void fy_os_exit_with_parent(pid_t parent, int sig)
{
	watched_parent = parent;
	watch_signal = sig;
	pthread_t t;
	if (pthread_create(&t, NULL, parent_watch, NULL) == 0)
		pthread_detach(t);
}
