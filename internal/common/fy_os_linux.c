/* fy_os on Linux (glibc 2.25 or later for getrandom; the lean build's floor is 2.34). */
#define _GNU_SOURCE /* pipe2 */
#include "fy_os.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

int fy_os_pipe(int fds[2], int nonblock)
{
	return pipe2(fds, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
}

int fy_os_spawnattr_init(posix_spawnattr_t *attr)
{
	return posix_spawnattr_init(attr);
}

int fy_os_random(void *buf, size_t n)
{
	/* Never short for n <= 256 once the pool is initialised (getrandom(2)). */
	return getrandom(buf, n, 0) == (ssize_t)n ? 0 : -1;
}

void fy_os_cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

int fy_os_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *until)
{
	return pthread_cond_timedwait(cv, mu, until);
}

void fy_os_trim_heap(void)
{
	/* glibc keeps freed memory in its arenas; malloc_trim hands the free pages back. */
	malloc_trim(0);
}

int fy_os_signal_fd(int *out, const sigset_t *set)
{
	int fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -1;
	*out = fd;
	return 0;
}

int fy_os_signal_read(int fd)
{
	struct signalfd_siginfo si;
	return read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si) ? (int)si.ssi_signo : -1;
}

void fy_os_exit_with_parent(pid_t parent, int sig)
{
	(void)parent;
	prctl(PR_SET_PDEATHSIG, sig);
}
