/* Ring: the blocking operations. Spin briefly, then sleep on an eventcount
 * in the ring (a sleeper counter and a futex sequence word per side).
 *
 * A sleeper registers (seq_cst increment of sleepers), reads seq, re-checks
 * the ring, and sleeps while seq is unchanged. The other side, after each
 * publish, looks at sleepers (relaxed) and only when it is non-zero bumps seq
 * and wakes. Its publish is a plain release store, so its look can miss a
 * sleeper that registered at that very moment: sleepers therefore re-check
 * every PAR_RING_SLEEP_SLICE_NS on their own. */
#include "ring_impl.h"

#include <errno.h>
#include <limits.h>

/* Polls of the ring before going to sleep. */
#define SPINS 256

/* One attempt at the operation: the count done, 0 when it could not. */
typedef uint32_t (*ring_op)(struct par_ring *r, void *buf, uint32_t n);

void par__ring_wake(struct par__ring_ec *ec, uint32_t n)
{
	/* release: pairs with the sleeper's acquire load of seq (a sleeper that
	 * read the old value finds the futex word changed and does not sleep) */
	__atomic_fetch_add(&ec->seq, 1, __ATOMIC_RELEASE);
	par_futex_wake(&ec->seq, n > INT_MAX ? INT_MAX : (int)n);
}

/* Register as a sleeper on ec, try once more, and sleep until woken, the
 * slice ends or the deadline. The count op did (0: none). */
static uint32_t sleep_once(struct par_ring *r, struct par__ring_ec *ec, ring_op op, void *buf,
			   uint32_t n, int64_t deadline)
{
	/* seq_cst: the registration is ordered before the re-check below */
	__atomic_fetch_add(&ec->sleepers, 1, __ATOMIC_SEQ_CST);
	/* acquire: pairs with the release increment in par__ring_wake */
	uint32_t seen = __atomic_load_n(&ec->seq, __ATOMIC_ACQUIRE);
	uint32_t done = op(r, buf, n);
	if (done == 0) {
		int64_t slice = par_now_ns() + PAR_RING_SLEEP_SLICE_NS;
		par_futex_wait_until(&ec->seq, seen, slice < deadline ? slice : deadline);
	}
	__atomic_fetch_sub(&ec->sleepers, 1, __ATOMIC_RELAXED);
	return done;
}

/* Repeat op until it does something or the deadline passes. */
static int wait_for(struct par_ring *r, struct par__ring_ec *ec, ring_op op, void *buf, uint32_t n,
		    int64_t timeout_ns)
{
	uint32_t done = op(r, buf, n);

	if (done != 0)
		return (int)done;
	if (timeout_ns == 0)
		return -EAGAIN;
	int64_t deadline = par_deadline(timeout_ns);
	for (int i = 0; i < SPINS; i++) {
		par__cpu_relax();
		if ((done = op(r, buf, n)) != 0)
			return (int)done;
	}
	for (;;) {
		if ((done = sleep_once(r, ec, op, buf, n, deadline)) != 0 ||
		    (done = op(r, buf, n)) != 0)
			return (int)done;
		if (par_now_ns() >= deadline)
			return -ETIMEDOUT;
	}
}

static uint32_t enq_bulk_op(struct par_ring *r, void *buf, uint32_t n)
{
	return par_ring_enqueue_bulk(r, buf, n) > 0 ? n : 0;
}

static uint32_t deq_burst_op(struct par_ring *r, void *buf, uint32_t n)
{
	return par_ring_dequeue_burst(r, buf, n);
}

int par_ring_enqueue_bulk_wait(struct par_ring *r, const void *elems, unsigned n,
			       int64_t timeout_ns)
{
	if (n > r->capacity)
		return -EINVAL;
	if (n == 0)
		return 0;
	return wait_for(r, r->not_full, enq_bulk_op, (void *)elems, n, timeout_ns);
}

int par_ring_dequeue_burst_wait(struct par_ring *r, void *elems, unsigned n, int64_t timeout_ns)
{
	if (n == 0)
		return 0;
	if (n > INT_MAX)
		n = INT_MAX;
	return wait_for(r, r->not_empty, deq_burst_op, elems, n, timeout_ns);
}

int par_ring_enqueue_wait(struct par_ring *r, const void *elem, int64_t timeout_ns)
{
	int rc = par_ring_enqueue(r, elem);

	if (rc == 0 || timeout_ns == 0)
		return rc;
	rc = wait_for(r, r->not_full, enq_bulk_op, (void *)elem, 1, timeout_ns);
	return rc > 0 ? 0 : rc;
}

int par_ring_dequeue_wait(struct par_ring *r, void *elem, int64_t timeout_ns)
{
	int rc = par_ring_dequeue(r, elem);

	if (rc == 0 || timeout_ns == 0)
		return rc;
	rc = wait_for(r, r->not_empty, deq_burst_op, elem, 1, timeout_ns);
	return rc > 0 ? 0 : rc;
}
