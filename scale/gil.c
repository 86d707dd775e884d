/* An emulated global interpreter lock: a ticket lock with CPython's forced
 * switching (see par/scale.h). */
#include "scale_impl.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

struct par_scale_gil {
	alignas(64) uint32_t next;    /* ticket dispenser */
	alignas(64) uint32_t serving; /* futex word: the ticket holding the lock */
	alignas(64) uint32_t drop;    /* a waiter asks the holder to switch */
	uint64_t switches;	      /* written by the holder only */
	int64_t interval_ns;
};

int par_scale_gil_create(int64_t interval_ns, struct par_scale_gil **out)
{
	if (interval_ns <= 0 || out == NULL)
		return -EINVAL;
	struct par_scale_gil *g = aligned_alloc(64, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	*g = (struct par_scale_gil){ .interval_ns = interval_ns };
	*out = g;
	return 0;
}

void par_scale_gil_destroy(struct par_scale_gil *g)
{
	free(g);
}

int par_scale_gil_acquire(struct par_scale_gil *g)
{
	if (g == NULL)
		return -EINVAL;
	uint32_t t = __atomic_fetch_add(&g->next, 1, __ATOMIC_RELAXED);
	for (;;) {
		/* acquire: pairs with the release store in par_scale_gil_release */
		uint32_t s = __atomic_load_n(&g->serving, __ATOMIC_ACQUIRE);
		if (s == t)
			break;
		int r = par_futex_wait(&g->serving, s, g->interval_ns);
		/* A whole interval without a hand-over: ask the holder to drop it
		 * (CPython's gil_drop_request). */
		if (r == -ETIMEDOUT && __atomic_load_n(&g->serving, __ATOMIC_RELAXED) == s)
			__atomic_store_n(&g->drop, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&g->drop, 0, __ATOMIC_RELAXED);
	return 0;
}

int par_scale_gil_release(struct par_scale_gil *g)
{
	if (g == NULL)
		return -EINVAL;
	uint32_t s = __atomic_load_n(&g->serving, __ATOMIC_RELAXED) + 1;
	/* release: pairs with the acquire load in par_scale_gil_acquire */
	__atomic_store_n(&g->serving, s, __ATOMIC_RELEASE);
	/* Every sleeper re-checks its ticket; a waiter that has not slept yet
	 * sees the new value in the kernel's compare and does not sleep. */
	par_futex_wake(&g->serving, INT32_MAX);
	return 0;
}

int par_scale_gil_check(struct par_scale_gil *g)
{
	if (g == NULL || !__atomic_load_n(&g->drop, __ATOMIC_RELAXED))
		return 0;
	par_scale_gil_release(g);
	/* The waiter that asked holds an earlier ticket, so it runs first. */
	par_scale_gil_acquire(g);
	__atomic_store_n(&g->switches, g->switches + 1, __ATOMIC_RELAXED);
	return 1;
}

uint64_t par_scale_gil_switches(const struct par_scale_gil *g)
{
	return g != NULL ? __atomic_load_n(&g->switches, __ATOMIC_RELAXED) : 0;
}
