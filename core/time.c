/* Monotonic time and deadlines. */
#include "core_impl.h"

#include <errno.h>
#include <time.h>

int64_t par_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#ifdef PAR__TSAN
__thread uint32_t par__fence_word; /* PAR__FENCE's stand-in (core_impl.h) */
#endif

int64_t par_deadline(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return PAR_NO_DEADLINE;
	int64_t now = par_now_ns();
	return timeout_ns > PAR_NO_DEADLINE - now ? PAR_NO_DEADLINE : now + timeout_ns;
}

int64_t par_deadline_left(int64_t deadline)
{
	if (deadline == PAR_NO_DEADLINE)
		return PAR_FOREVER;
	int64_t left = deadline - par_now_ns();
	return left > 0 ? left : 0;
}

struct timespec par__timespec(int64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
	return ts;
}

int par_sleep_ns(int64_t ns)
{
	if (ns < 0)
		return -EINVAL;
	struct timespec ts = par__timespec(par_deadline(ns));
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	return 0;
}
