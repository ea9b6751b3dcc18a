/*
 * internal/common/fy_os: the platform layer's contract, the same on Linux and macOS (docs/internals/darwin.md 4).
 * Here it runs against fy_os_linux.c; a maintainer with a Mac runs it against fy_os_darwin.c (README "Platforms").
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal/common/fy_os.h"
#include "internal/common/fy_time.h"

START_TEST(pipe_flags)
{
	int fds[2];
	ck_assert_int_eq(fy_os_pipe(fds, 0), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		ck_assert(!(fcntl(fds[i], F_GETFL) & O_NONBLOCK));
		close(fds[i]);
	}
	ck_assert_int_eq(fy_os_pipe(fds, 1), 0);
	char b;
	for (int i = 0; i < 2; i++)
		ck_assert(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
	ck_assert_int_eq(read(fds[0], &b, 1), -1); /* empty and non-blocking: EAGAIN, not a hang */
	ck_assert_int_eq(errno, EAGAIN);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(random_differs)
{
	unsigned char a[32], b[32];
	ck_assert_int_eq(fy_os_random(a, sizeof(a)), 0);
	ck_assert_int_eq(fy_os_random(b, sizeof(b)), 0);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

/* The wait ends at its deadline on the monotonic clock: not before it, and not long after. */
START_TEST(cond_timedwait_deadline)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	fy_os_cond_init_monotonic(&cv);
	struct timespec until;
	fy_deadline_ms(&until, 150);
	long start = fy_now_ms();
	pthread_mutex_lock(&mu);
	int rc = 0;
	while (rc != ETIMEDOUT)
		rc = fy_os_cond_timedwait(&cv, &mu, &until);
	pthread_mutex_unlock(&mu);
	long waited = fy_now_ms() - start;
	ck_assert_int_ge(waited, 140);
	ck_assert_int_lt(waited, 2000);
	/* A deadline already past returns at once. */
	pthread_mutex_lock(&mu);
	ck_assert_int_eq(fy_os_cond_timedwait(&cv, &mu, &until), ETIMEDOUT);
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&cv);
}
END_TEST

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;
} waker;

static void *wake(void *p)
{
	waker *w = p;
	usleep(50 * 1000);
	pthread_mutex_lock(&w->mu);
	w->ready = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

START_TEST(cond_timedwait_signalled)
{
	waker w = {.mu = PTHREAD_MUTEX_INITIALIZER};
	fy_os_cond_init_monotonic(&w.cv);
	struct timespec until;
	fy_deadline_ms(&until, 10000);
	pthread_t t;
	pthread_create(&t, NULL, wake, &w);
	long start = fy_now_ms();
	pthread_mutex_lock(&w.mu);
	while (!w.ready)
		ck_assert_int_eq(fy_os_cond_timedwait(&w.cv, &w.mu, &until), 0);
	pthread_mutex_unlock(&w.mu);
	ck_assert_int_lt(fy_now_ms() - start, 5000);
	pthread_join(t, NULL);
	pthread_cond_destroy(&w.cv);
}
END_TEST

/* A blocked signal sent to the process arrives on the descriptor, with its number. */
START_TEST(signal_descriptor)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	int fd = -1;
	ck_assert_int_eq(fy_os_signal_fd(&fd, &set), 0);
	ck_assert_int_eq(fy_os_signal_read(fd), -1); /* nothing yet, and no hang */
	kill(getpid(), SIGUSR1);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(fy_os_signal_read(fd), SIGUSR1);
	close(fd);
}
END_TEST

START_TEST(trim_heap_is_harmless)
{
	void *big = malloc(64 << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 64 << 20);
	free(big);
	fy_os_trim_heap();
	void *again = malloc(16);
	ck_assert_ptr_nonnull(again);
	free(again);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("os");
	TCase *tc = tcase_create("os");
	tcase_add_test(tc, pipe_flags);
	tcase_add_test(tc, random_differs);
	tcase_add_test(tc, cond_timedwait_deadline);
	tcase_add_test(tc, cond_timedwait_signalled);
	tcase_add_test(tc, signal_descriptor);
	tcase_add_test(tc, trim_heap_is_harmless);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
