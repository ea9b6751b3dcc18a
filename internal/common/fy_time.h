/* fy_time: the one monotonic clock every module measures deadlines, back-offs and durations with. */
#ifndef FOUNDRY_INTERNAL_COMMON_FY_TIME_H
#define FOUNDRY_INTERNAL_COMMON_FY_TIME_H

/* Milliseconds on CLOCK_MONOTONIC (never jumps with the wall clock). */
long fy_now_ms(void);
/* The same clock with its sub-millisecond part, for durations logged at TRACE. */
double fy_now_ms_exact(void);

#endif
