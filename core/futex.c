/* Futex wait/wake on words that may be shared between processes. */
#include "core_impl.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Shared (not FUTEX_PRIVATE_FLAG) so a waker in another process finds us.
 * FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC timeout. */
static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts, uint32_t bits)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, bits);
}

static int bad_word(const uint32_t *word)
{
	return word == NULL || ((uintptr_t)word & 3) != 0;
}

int par_futex_wait_until(uint32_t *word, uint32_t expected, int64_t deadline)
{
	if (bad_word(word))
		return -EINVAL;
	struct timespec ts, *tsp = NULL;
	if (deadline != PAR_NO_DEADLINE) {
		if (deadline <= par_now_ns())
			return __atomic_load_n(word, __ATOMIC_RELAXED) == expected ? -ETIMEDOUT
										   : -EAGAIN;
		ts = par__timespec(deadline);
		tsp = &ts;
	}
	if (futex(word, FUTEX_WAIT_BITSET, expected, tsp, FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	switch (errno) {
	case EAGAIN:
		return -EAGAIN;
	case ETIMEDOUT:
		return -ETIMEDOUT;
	case EINTR:
		return 0; /* a signal: callers re-check their condition */
	default:
		return -errno;
	}
}

int par_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	return par_futex_wait_until(word, expected, par_deadline(timeout_ns));
}

int par_futex_wake(uint32_t *word, int n)
{
	if (bad_word(word))
		return -EINVAL;
	if (n < 0)
		n = INT_MAX;
	long r = futex(word, FUTEX_WAKE, (uint32_t)n, NULL, 0);
	return r < 0 ? -errno : (int)r;
}
