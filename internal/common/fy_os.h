/*
 * fy_os: the few operating-system calls that differ between Linux and macOS, behind one interface, so that no other
 * module carries a platform #ifdef (docs/internals/darwin.md). fy_os_linux.c and fy_os_darwin.c implement it; the
 * build compiles the one for its target (CMakeLists.txt, FY_OS_OTHER).
 */
#ifndef FOUNDRY_INTERNAL_COMMON_FY_OS_H
#define FOUNDRY_INTERNAL_COMMON_FY_OS_H

#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* A close-on-exec pipe, both ends non-blocking if asked. 0, or -1 with errno (and no descriptor left open). */
int fy_os_pipe(int fds[2], int nonblock);

/* Attributes for posix_spawn with which the child inherits no descriptor of ours but those its file actions set up
 * (Linux: every descriptor the provider and its libraries open is close-on-exec already; macOS: pipes get that flag
 * a moment after they are made, and curl's sockets never, so the spawn closes them). 0, or an errno value. */
int fy_os_spawnattr_init(posix_spawnattr_t *attr);

/* n bytes (n <= 256) from the kernel's random source. 0, or -1 with errno. */
int fy_os_random(void *buf, size_t n);

/* A condition variable whose timed waits run on CLOCK_MONOTONIC (so a wall-clock jump neither cuts nor stretches a
 * back-off), and its timed wait: 0 when signalled, ETIMEDOUT once `until` (CLOCK_MONOTONIC) has passed. */
void fy_os_cond_init_monotonic(pthread_cond_t *cv);
int fy_os_cond_timedwait(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *until);

/* Give memory the allocator holds but no longer uses back to the system (after one unusually large request). */
void fy_os_trim_heap(void);

/*
 * Signals as a readable descriptor: the signals in `set`, already blocked in every thread by the caller, arrive as
 * readable events on *out (poll it), and fy_os_signal_read returns the next one's number (or -1). 0, or -1 with
 * errno.
 */
int fy_os_signal_fd(int *out, const sigset_t *set);
int fy_os_signal_read(int fd);

/* Have the kernel (or a watcher) send `sig` to this process when `parent` exits, so an orphaned provider does not
 * linger after Terraform is killed. The caller still checks getppid() against `parent` for the race before it. */
void fy_os_exit_with_parent(pid_t parent, int sig);

#endif
