/* fy_time: the one monotonic clock every module measures deadlines, back-offs and durations with. */
#ifndef FOUNDRY_INTERNAL_COMMON_FY_TIME_H
#define FOUNDRY_INTERNAL_COMMON_FY_TIME_H

/* Milliseconds on CLOCK_MONOTONIC (never jumps with the wall clock). */
long fy_now_ms(void);
/* The same clock with its sub-millisecond part, for durations logged at TRACE. */
double fy_now_ms_exact(void);

struct timespec;
/* *until = now + ms (ms <= 0: now) on the same clock: the deadline of a timed wait (fy_os_cond_timedwait). */
void fy_deadline_ms(struct timespec *until, long ms);

#endif
