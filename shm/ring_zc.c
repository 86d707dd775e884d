/* Ring: zero-copy reserve / commit and peek / release. The handle remembers
 * the one outstanding reservation (producer side) and peek (consumer side).
 *
 * On a single side, reserve / peek only look (nothing shared is written) and
 * commit / release publish any prefix with one release store of the tail.
 * On a multi side, reserve / peek claim with the head CAS, and those who
 * claimed after us may already be past the claimed span: it cannot be given
 * back in part, so commit / release must cover exactly what was claimed. */
#include "ring_impl.h"

#include <errno.h>

static void make_span(struct par_ring *r, uint32_t start, uint32_t n, struct par_ring_span *span)
{
	uint32_t at = start & r->mask, first = r->capacity - at;

	span->ptr1 = par__ring_slot(r, start);
	span->n1 = n <= first ? n : first;
	span->n2 = n - span->n1;
	span->ptr2 = span->n2 != 0 ? r->data : NULL;
}

static void no_span(struct par_ring_span *span)
{
	span->ptr1 = span->ptr2 = NULL;
	span->n1 = span->n2 = 0;
}

unsigned par_ring_reserve(struct par_ring *r, unsigned n, struct par_ring_span *span)
{
	uint32_t start;

	no_span(span);
	if (n == 0 || r->res_n != 0)
		return 0;
	if (r->flags & PAR_RING_SP_ENQ) {
		/* relaxed: only this producer writes prod.tail */
		start = __atomic_load_n(&r->prod->tail, __ATOMIC_RELAXED);
		uint32_t room = par__ring_sp_room(r, start, n);
		n = n <= room ? n : room;
	} else {
		n = par__ring_mp_claim(r, n, 1, &start);
	}
	if (n == 0)
		return 0;
	r->res_start = start;
	r->res_n = n;
	make_span(r, start, n, span);
	return n;
}

int par_ring_commit(struct par_ring *r, unsigned k)
{
	uint32_t n = r->res_n, start = r->res_start;

	if (n == 0 || k > n || (k != n && !(r->flags & PAR_RING_SP_ENQ)))
		return -EINVAL;
	r->res_n = 0;
	if (r->flags & PAR_RING_SP_ENQ) {
		/* relaxed: only this producer writes prod.tail. Moved on since
		 * reserve (an enqueue meanwhile): the reservation is void, and
		 * storing start + k would move the tail back */
		if (__atomic_load_n(&r->prod->tail, __ATOMIC_RELAXED) != start)
			return -EINVAL;
		/* release: pairs with the consumers' acquire load of prod.tail */
		__atomic_store_n(&r->prod->tail, start + k, __ATOMIC_RELEASE);
	} else
		par__ring_mt_publish(&r->prod->tail, start, k);
	if (k != 0)
		par__ring_wake_cons(r, k);
	return 0;
}

unsigned par_ring_peek(struct par_ring *r, unsigned n, struct par_ring_span *span)
{
	uint32_t start;

	no_span(span);
	if (n == 0 || r->peek_n != 0)
		return 0;
	if (r->flags & PAR_RING_SC_DEQ) {
		/* relaxed: only this consumer writes cons.tail */
		start = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
		uint32_t avail = par__ring_sc_avail(r, start, n);
		n = n <= avail ? n : avail;
	} else {
		n = par__ring_mc_claim(r, n, 1, &start);
	}
	if (n == 0)
		return 0;
	r->peek_start = start;
	r->peek_n = n;
	make_span(r, start, n, span);
	return n;
}

int par_ring_release(struct par_ring *r, unsigned k)
{
	uint32_t n = r->peek_n, start = r->peek_start;

	if (n == 0 || k > n || (k != n && !(r->flags & PAR_RING_SC_DEQ)))
		return -EINVAL;
	r->peek_n = 0;
	if (r->flags & PAR_RING_SC_DEQ) {
		/* relaxed: only this consumer writes cons.tail; moved on since
		 * peek (a dequeue meanwhile): the peek is void */
		if (__atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED) != start)
			return -EINVAL;
		/* release: pairs with the producers' acquire load of cons.tail */
		__atomic_store_n(&r->cons->tail, start + k, __ATOMIC_RELEASE);
	} else
		par__ring_mt_publish(&r->cons->tail, start, k);
	if (k != 0)
		par__ring_wake_prod(r, k);
	return 0;
}
