/* Ring: geometry, init / attach, and the non-blocking element operations.
 *
 * Single-producer / single-consumer sides use no read-modify-write: the side
 * reads its own tail, checks against its cached copy of the other side's tail
 * (re-reading that only when the copy says "full" / "empty"), copies, and
 * publishes with one release store of its tail. Multi sides claim with a CAS
 * of their head, copy, wait for earlier claimers to publish, then move the
 * tail (DPDK rte_ring's scheme). */
#include "ring_impl.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>

/* ---- geometry, init, attach ----------------------------------------------- */

size_t par_ring_memsize(size_t elem_size, uint32_t capacity)
{
	size_t data;

	if (elem_size == 0 || elem_size % 8 != 0 || elem_size > PAR_RING_ELEM_MAX)
		return 0;
	if (capacity == 0 || capacity > PAR_RING_CAPACITY_MAX || (capacity & (capacity - 1)) != 0)
		return 0;
	if (__builtin_mul_overflow(elem_size, (size_t)capacity, &data) ||
	    data > SIZE_MAX - sizeof(struct par__ring_shared))
		return 0;
	return sizeof(struct par__ring_shared) + data;
}

int par__ring_handle(struct par__ring_shared *sh, struct par_ring **out)
{
	struct par_ring *r;

	if (posix_memalign((void **)&r, alignof(struct par_ring), sizeof(*r)) != 0)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->sh = sh;
	r->prod = &sh->prod;
	r->cons = &sh->cons;
	r->data = (char *)(sh + 1);
	r->not_empty = &sh->not_empty;
	r->not_full = &sh->not_full;
	r->prod_tail = &sh->prod.tail;
	r->cons_tail = &sh->cons.tail;
	r->cons_sleepers = &sh->not_empty.sleepers;
	r->prod_sleepers = &sh->not_full.sleepers;
	r->mask = sh->hdr.mask;
	r->capacity = sh->hdr.capacity;
	r->elem_size = sh->hdr.elem_size;
	r->flags = sh->hdr.flags;
	if (r->elem_size == 8)
		r->fast = ((r->flags & PAR_RING_SP_ENQ) ? PAR__RING_FAST_ENQ : 0) |
			  ((r->flags & PAR_RING_SC_DEQ) ? PAR__RING_FAST_DEQ : 0);
	/* the caches start empty: the first operation of each side reads the
	 * other side's tail (par__ring_sp_room / sc_avail) */
	r->p_limit = __atomic_load_n(&sh->prod.tail, __ATOMIC_RELAXED);
	r->c_limit = __atomic_load_n(&sh->cons.tail, __ATOMIC_RELAXED);
	*out = r;
	return 0;
}

int par_ring_init(void *mem, size_t elem_size, uint32_t capacity, unsigned flags,
		  struct par_ring **out)
{
	struct par__ring_shared *sh = mem;
	size_t size = par_ring_memsize(elem_size, capacity);

	if (sh == NULL || out == NULL || ((uintptr_t)mem & (PAR__RING_LINE - 1)) != 0 ||
	    size == 0 || (flags & ~PAR_RING_SPSC) != 0)
		return -EINVAL;
	memset(sh, 0, sizeof(*sh));
	sh->hdr.version = PAR__RING_VERSION;
	sh->hdr.elem_size = (uint32_t)elem_size;
	sh->hdr.capacity = capacity;
	sh->hdr.mask = capacity - 1;
	sh->hdr.flags = flags;
	sh->hdr.memsize = size;
	/* release: pairs with the acquire load of the magic in par_ring_attach */
	__atomic_store_n(&sh->hdr.magic, PAR__RING_MAGIC, __ATOMIC_RELEASE);
	return par__ring_handle(sh, out);
}

/* Everything in the header adds up, and fits in mem_size bytes. */
static int header_ok(const struct par__ring_hdr *h, size_t mem_size)
{
	size_t size = par_ring_memsize(h->elem_size, h->capacity);

	return h->version == PAR__RING_VERSION && size != 0 && h->mask == h->capacity - 1 &&
	       (h->flags & ~PAR_RING_SPSC) == 0 && h->reserved == 0 && h->memsize == size &&
	       size <= mem_size;
}

int par_ring_attach(void *mem, size_t mem_size, struct par_ring **out)
{
	struct par__ring_shared *sh = mem;

	if (sh == NULL || out == NULL || ((uintptr_t)mem & (PAR__RING_LINE - 1)) != 0)
		return -EINVAL;
	if (mem_size < sizeof(*sh))
		return -EPROTO;
	/* acquire: pairs with the release store of the magic in par_ring_init */
	if (__atomic_load_n(&sh->hdr.magic, __ATOMIC_ACQUIRE) != PAR__RING_MAGIC ||
	    !header_ok(&sh->hdr, mem_size))
		return -EPROTO;
	return par__ring_handle(sh, out);
}

int par_ring_close(struct par_ring *r)
{
	if (r == NULL)
		return -EINVAL;
	if (r->shm != NULL)
		par_shm_close(r->shm);
	free(r);
	return 0;
}

/* ---- the slow halves of the index checks ---------------------------------- */

uint32_t par__ring_sp_refresh(struct par_ring *r, uint32_t t)
{
	/* acquire: pairs with the consumers' release store of cons.tail (the
	 * slots they read before it may be overwritten) */
	r->p_limit = __atomic_load_n(&r->cons->tail, __ATOMIC_ACQUIRE) + r->capacity;
	return r->p_limit - t;
}

uint32_t par__ring_sc_refresh(struct par_ring *r, uint32_t h)
{
	/* acquire: pairs with the producers' release store of prod.tail (the
	 * elements before it are written) */
	r->c_limit = __atomic_load_n(&r->prod->tail, __ATOMIC_ACQUIRE);
	return r->c_limit - h;
}

uint32_t par__ring_mp_claim(struct par_ring *r, uint32_t n, int burst, uint32_t *start)
{
	/* relaxed: the CAS below checks the head; nothing else rides on it */
	uint32_t head = __atomic_load_n(&r->prod->head, __ATOMIC_RELAXED), room, k;

	do {
		/* acquire: pairs with the consumers' release store of cons.tail */
		room = __atomic_load_n(&r->cons->tail, __ATOMIC_ACQUIRE) + r->capacity - head;
		k = n <= room ? n : burst ? room : 0;
		if (k == 0)
			return 0;
	} while (!__atomic_compare_exchange_n(&r->prod->head, &head, head + k, 1, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*start = head;
	return k;
}

uint32_t par__ring_mc_claim(struct par_ring *r, uint32_t n, int burst, uint32_t *start)
{
	/* relaxed: the CAS below checks the head; nothing else rides on it */
	uint32_t head = __atomic_load_n(&r->cons->head, __ATOMIC_RELAXED), avail, k;

	do {
		/* acquire: pairs with the producers' release store of prod.tail */
		avail = __atomic_load_n(&r->prod->tail, __ATOMIC_ACQUIRE) - head;
		k = n <= avail ? n : burst ? avail : 0;
		if (k == 0)
			return 0;
	} while (!__atomic_compare_exchange_n(&r->cons->head, &head, head + k, 1, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*start = head;
	return k;
}

void par__ring_relax(unsigned *spins)
{
	if (++*spins < 256) {
		par__cpu_relax();
		return;
	}
	sched_yield();
}

/* ---- n elements ----------------------------------------------------------- */

/* Enqueue exactly n (bulk) or up to n (burst); the count enqueued. */
static uint32_t enqueue_n(struct par_ring *r, const void *src, uint32_t n, int burst)
{
	uint32_t start;

	if (r->flags & PAR_RING_SP_ENQ) {
		/* relaxed: only this producer writes prod.tail */
		start = __atomic_load_n(&r->prod->tail, __ATOMIC_RELAXED);
		uint32_t room = par__ring_sp_room(r, start, n);
		if (room < n && (!burst || (n = room) == 0))
			return 0;
		par__ring_copy_in(r, start, src, n);
		/* release: pairs with the consumers' acquire load of prod.tail */
		__atomic_store_n(&r->prod->tail, start + n, __ATOMIC_RELEASE);
	} else {
		if ((n = par__ring_mp_claim(r, n, burst, &start)) == 0)
			return 0;
		par__ring_copy_in(r, start, src, n);
		par__ring_mt_publish(&r->prod->tail, start, n);
	}
	par__ring_wake_cons(r, n);
	return n;
}

/* Dequeue exactly n (bulk) or up to n (burst); the count dequeued. */
static uint32_t dequeue_n(struct par_ring *r, void *dst, uint32_t n, int burst)
{
	uint32_t start;

	if (r->flags & PAR_RING_SC_DEQ) {
		/* relaxed: only this consumer writes cons.tail */
		start = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
		uint32_t avail = par__ring_sc_avail(r, start, n);
		if (avail < n && (!burst || (n = avail) == 0))
			return 0;
		par__ring_copy_out(r, start, dst, n);
		/* release: pairs with the producers' acquire load of cons.tail */
		__atomic_store_n(&r->cons->tail, start + n, __ATOMIC_RELEASE);
	} else {
		if ((n = par__ring_mc_claim(r, n, burst, &start)) == 0)
			return 0;
		par__ring_copy_out(r, start, dst, n);
		par__ring_mt_publish(&r->cons->tail, start, n);
	}
	par__ring_wake_prod(r, n);
	return n;
}

int par_ring_enqueue_bulk(struct par_ring *r, const void *elems, unsigned n)
{
	if (n > r->capacity)
		return -EINVAL;
	return n == 0 || enqueue_n(r, elems, n, 0) != 0 ? (int)n : -EAGAIN;
}

int par_ring_dequeue_bulk(struct par_ring *r, void *elems, unsigned n)
{
	if (n > r->capacity)
		return -EINVAL;
	return n == 0 || dequeue_n(r, elems, n, 0) != 0 ? (int)n : -EAGAIN;
}

unsigned par_ring_enqueue_burst(struct par_ring *r, const void *elems, unsigned n)
{
	return n == 0 ? 0 : enqueue_n(r, elems, n, 1);
}

unsigned par_ring_dequeue_burst(struct par_ring *r, void *elems, unsigned n)
{
	return n == 0 ? 0 : dequeue_n(r, elems, n, 1);
}

/* ---- one element ---------------------------------------------------------- */

/* The slow ends (a multi side, a refresh, a wake-up) are out of line and
 * reached by tail calls, so the single-side fast path needs no stack frame. */

int par__ring_wake_cons1(struct par_ring *r)
{
	par__ring_wake(r->not_empty, 1);
	return 0;
}

int par__ring_wake_prod1(struct par_ring *r)
{
	par__ring_wake(r->not_full, 1);
	return 0;
}

/* The single producer puts one element at its tail t (room checked). */
static inline int sp_put1(struct par_ring *r, uint32_t t, const void *elem)
{
	par__ring_copy1(par__ring_slot(r, t), elem, r->elem_size);
	/* release: pairs with the consumers' acquire load of prod.tail */
	__atomic_store_n(&r->prod->tail, t + 1, __ATOMIC_RELEASE);
	if (PAR__UNLIKELY(__atomic_load_n(&r->not_empty->sleepers, __ATOMIC_RELAXED) != 0))
		return par__ring_wake_cons1(r);
	return 0;
}

static inline int sc_take1(struct par_ring *r, uint32_t h, void *elem)
{
	par__ring_copy1(elem, par__ring_slot(r, h), r->elem_size);
	/* release: pairs with the producers' acquire load of cons.tail */
	__atomic_store_n(&r->cons->tail, h + 1, __ATOMIC_RELEASE);
	if (PAR__UNLIKELY(__atomic_load_n(&r->not_full->sleepers, __ATOMIC_RELAXED) != 0))
		return par__ring_wake_prod1(r);
	return 0;
}

/* Elements of other sizes than 8 (the copy may call memcpy). */
static __attribute__((noinline)) int sp_put1_any(struct par_ring *r, uint32_t t, const void *elem)
{
	return sp_put1(r, t, elem);
}

static __attribute__((noinline)) int sc_take1_any(struct par_ring *r, uint32_t h, void *elem)
{
	return sc_take1(r, h, elem);
}

static __attribute__((noinline)) int enqueue1_slow(struct par_ring *r, const void *elem)
{
	if (!(r->flags & PAR_RING_SP_ENQ))
		return enqueue_n(r, elem, 1, 0) ? 0 : -EAGAIN;
	/* relaxed: only this producer writes prod.tail */
	uint32_t t = __atomic_load_n(&r->prod->tail, __ATOMIC_RELAXED);
	if (par__ring_sp_refresh(r, t) == 0)
		return -EAGAIN;
	return sp_put1(r, t, elem);
}

static __attribute__((noinline)) int dequeue1_slow(struct par_ring *r, void *elem)
{
	if (!(r->flags & PAR_RING_SC_DEQ))
		return dequeue_n(r, elem, 1, 0) ? 0 : -EAGAIN;
	/* relaxed: only this consumer writes cons.tail */
	uint32_t h = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
	if (par__ring_sc_refresh(r, h) == 0)
		return -EAGAIN;
	return sc_take1(r, h, elem);
}

int par_ring_enqueue(struct par_ring *r, const void *elem)
{
	if (PAR__UNLIKELY(!(r->flags & PAR_RING_SP_ENQ)))
		return enqueue1_slow(r, elem);
	/* relaxed: only this producer writes prod.tail */
	uint32_t t = __atomic_load_n(&r->prod->tail, __ATOMIC_RELAXED);
	/* the cached limit says full (or is stale): re-read the consumers' tail */
	if (PAR__UNLIKELY(r->p_limit - t - 1 >= r->capacity))
		return enqueue1_slow(r, elem);
	if (PAR__UNLIKELY(r->elem_size != 8))
		return sp_put1_any(r, t, elem);
	memcpy(r->data + (size_t)(t & r->mask) * 8, elem, 8);
	/* release: pairs with the consumers' acquire load of prod.tail */
	__atomic_store_n(&r->prod->tail, t + 1, __ATOMIC_RELEASE);
	if (PAR__UNLIKELY(__atomic_load_n(&r->not_empty->sleepers, __ATOMIC_RELAXED) != 0))
		return par__ring_wake_cons1(r);
	return 0;
}

int par_ring_dequeue(struct par_ring *r, void *elem)
{
	if (PAR__UNLIKELY(!(r->flags & PAR_RING_SC_DEQ)))
		return dequeue1_slow(r, elem);
	/* relaxed: only this consumer writes cons.tail */
	uint32_t h = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
	/* the cached tail says empty (or is stale): re-read the producers' tail */
	if (PAR__UNLIKELY(r->c_limit - h - 1 >= r->capacity))
		return dequeue1_slow(r, elem);
	if (PAR__UNLIKELY(r->elem_size != 8))
		return sc_take1_any(r, h, elem);
	memcpy(elem, r->data + (size_t)(h & r->mask) * 8, 8);
	/* release: pairs with the producers' acquire load of cons.tail */
	__atomic_store_n(&r->cons->tail, h + 1, __ATOMIC_RELEASE);
	if (PAR__UNLIKELY(__atomic_load_n(&r->not_full->sleepers, __ATOMIC_RELAXED) != 0))
		return par__ring_wake_prod1(r);
	return 0;
}

/* What the inline fast paths of par/ring.h fall back on. */
int par__ring_enqueue1(struct par_ring *r, const void *elem)
	__attribute__((alias("par_ring_enqueue")));
int par__ring_dequeue1(struct par_ring *r, void *elem) __attribute__((alias("par_ring_dequeue")));

/* ---- state ---------------------------------------------------------------- */

unsigned par_ring_count(const struct par_ring *r)
{
	/* relaxed: a snapshot; cons.tail first, so a racing pair reads high, and
	 * the clamp keeps it within the capacity */
	uint32_t c = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
	uint32_t used = __atomic_load_n(&r->prod->tail, __ATOMIC_RELAXED) - c;

	return used <= r->capacity ? used : r->capacity;
}

unsigned par_ring_free_count(const struct par_ring *r)
{
	return r->capacity - par_ring_count(r);
}

unsigned par_ring_capacity(const struct par_ring *r)
{
	return r->capacity;
}

size_t par_ring_elem_size(const struct par_ring *r)
{
	return r->elem_size;
}

unsigned par_ring_flags(const struct par_ring *r)
{
	return r->flags;
}
