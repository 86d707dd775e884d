/*
 * par/ring.h — lock-free rings of fixed-size elements, between threads or
 * processes.
 *
 * A ring holds capacity elements (a power of two, all of them usable) of
 * elem_size bytes (a multiple of 8). Whether one or several threads/processes
 * enqueue, and one or several dequeue, is fixed when the ring is made
 * (PAR_RING_SP_ENQ, PAR_RING_SC_DEQ; both = SPSC, neither = MPMC), like
 * DPDK's rte_ring. The single-producer and single-consumer sides use no atomic
 * read-modify-write at all and keep a cached copy of the other side's index,
 * so an operation reads the other side's cache line only when that copy says
 * full / empty, and no operation makes a system call unless someone sleeps.
 *
 * Where it lives:
 *  - in caller memory: par_ring_memsize() bytes aligned to 64, made with
 *    par_ring_init() (embed it in a struct, a MAP_SHARED mapping or a segment)
 *    and reached from other processes with par_ring_attach();
 *  - in a segment of its own: par_ring_create() (named or anonymous),
 *    par_ring_open() / par_ring_open_fd() elsewhere.
 * The ring's memory holds no pointers and starts with a validated header;
 * attaching to memory that is not such a ring, or of another layout version,
 * or too short, fails with -EPROTO.
 *
 * Operations come in four shapes: one element; bulk (all n or nothing);
 * burst (as many of n as fit / are there); zero-copy (reserve space and write
 * in place, then commit; peek at elements in place, then release). Each is
 * non-blocking; the *_wait forms block with a timeout: they spin briefly, then
 * sleep on a futex. A sleeper is woken by the operation that makes room or
 * data; at worst (a wake-up raced with going to sleep) it notices within
 * PAR_RING_SLEEP_SLICE_NS on its own.
 *
 * Concurrency: with PAR_RING_SP_ENQ exactly one thread (in any process) may
 * enqueue at a time, with PAR_RING_SC_DEQ exactly one may dequeue; otherwise
 * any number. All functions are otherwise thread- and process-safe. Handing
 * the single-producer (or -consumer) role to another thread or process needs
 * only the usual happens-before (join, a lock, a pipe, a death noticed).
 * A multi-producer side claims slots with a CAS and then publishes in claim
 * order, so a producer preempted between the two holds up the producers that
 * claimed after it (they spin, then yield) until it runs again; the same on a
 * multi-consumer side.
 * Death: in a single-producer or single-consumer side, a party killed midway
 * leaves nothing published or consumed and the next one resumes cleanly
 * (a half-written element is never seen). On a multi-producer or
 * multi-consumer side, one killed between claiming and publishing stops the
 * others of that side from completing: use par/queue.h where processes may die.
 * A process killed while asleep in a *_wait leaves its sleeper mark behind:
 * the ring still works, but every operation of the other side then makes a
 * futex wake call.
 *
 * A struct par_ring handle is process-local: make one per process with
 * par_ring_attach / par_ring_open (a forked child may use its parent's). The
 * threads of one process may share it, except for zero-copy: a handle holds
 * one reservation and one peek, so on a multi-producer (-consumer) ring each
 * thread that reserves (peeks) needs a handle of its own (par_ring_attach the
 * memory again, or par_ring_open_fd(par_ring_fd(r))). The element operations
 * do not validate their arguments (a NULL or closed handle, a short buffer):
 * like rte_ring, they trust the caller, to stay a few instructions long.
 *
 * Indices are 32-bit counters that wrap naturally; the capacity is at most
 * 2^30, so counts are exact across the wrap.
 */
#ifndef PAR_RING_H
#define PAR_RING_H

#include <par/core.h>
#include <par/shm.h>

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct par_ring;

/* Sync-mode flags for par_ring_init / par_ring_create. */
#define PAR_RING_MPMC 0u
#define PAR_RING_SP_ENQ 0x1u /* single producer */
#define PAR_RING_SC_DEQ 0x2u /* single consumer */
#define PAR_RING_SPSC (PAR_RING_SP_ENQ | PAR_RING_SC_DEQ)

/* Largest element and capacity. */
#define PAR_RING_ELEM_MAX ((size_t)65536)
#define PAR_RING_CAPACITY_MAX (1u << 30)

/* How long a sleeper may go before re-checking on its own. */
#define PAR_RING_SLEEP_SLICE_NS ((int64_t)1000000)

/* Bytes a ring of this geometry needs, or 0 when elem_size is 0, not a
 * multiple of 8 or above PAR_RING_ELEM_MAX, or capacity is not a power of two
 * in 1..PAR_RING_CAPACITY_MAX. */
PAR_API size_t par_ring_memsize(size_t elem_size, uint32_t capacity);

/* Make an empty ring in mem (par_ring_memsize bytes, 64-aligned) and a handle
 * to it. 0, -EINVAL (bad geometry, flags or alignment), -ENOMEM. */
PAR_API int par_ring_init(void *mem, size_t elem_size, uint32_t capacity, unsigned flags,
			  struct par_ring **out);

/* A handle to a ring that par_ring_init made in mem (mapped here at any
 * address). mem_size: the bytes available at mem. 0, -EPROTO (not a ring,
 * another layout version, a geometry that does not fit mem_size), -EINVAL. */
PAR_API int par_ring_attach(void *mem, size_t mem_size, struct par_ring **out);

/* A ring in its own segment (name "/x", or NULL for anonymous); shm_opts may
 * be NULL. 0, or as par_ring_init and par_shm_create. */
PAR_API int par_ring_create(const char *name, size_t elem_size, uint32_t capacity, unsigned flags,
			    const struct par_shm_opts *shm_opts, struct par_ring **out);

/* Open a ring segment by name or descriptor (the descriptor is duplicated).
 * Checks the segment header, and the ring header in its data area against
 * it. -ENOENT, -EPROTO (not a ring segment, or damaged), -EAGAIN (still being
 * made), -EACCES, -EBADF (a bad descriptor), -EINVAL (NULL name or out). */
PAR_API int par_ring_open(const char *name, struct par_ring **out);
PAR_API int par_ring_open_fd(int fd, struct par_ring **out);

/* The segment descriptor of a ring made by create/open, to pass on; -EINVAL
 * for a ring in caller memory. */
PAR_API int par_ring_fd(const struct par_ring *r);

/* Free the handle (and unmap the ring's own segment). The ring itself goes on
 * for the other handles. 0 or -EINVAL. */
PAR_API int par_ring_close(struct par_ring *r);

/* ---- one element ------------------------------------------------------ */

/* Copy one element in / out. 0, or -EAGAIN when full / empty. */
PAR_API int par_ring_enqueue(struct par_ring *r, const void *elem);
PAR_API int par_ring_dequeue(struct par_ring *r, void *elem);

/* The same, waiting at most timeout_ns for room / an element.
 * 0, -EAGAIN (timeout 0), -ETIMEDOUT. */
PAR_API int par_ring_enqueue_wait(struct par_ring *r, const void *elem, int64_t timeout_ns);
PAR_API int par_ring_dequeue_wait(struct par_ring *r, void *elem, int64_t timeout_ns);

/* ---- n elements (contiguous arrays of elem_size-byte elements) ---------- */

/* Bulk: all n or none. n, or -EAGAIN (not all fit / are there; nothing was
 * moved), -EINVAL for n > capacity (it never could). n = 0 gives 0. */
PAR_API int par_ring_enqueue_bulk(struct par_ring *r, const void *elems, unsigned n);
PAR_API int par_ring_dequeue_bulk(struct par_ring *r, void *elems, unsigned n);

/* Burst: as many as fit / are there, 0..n (never more than the capacity). */
PAR_API unsigned par_ring_enqueue_burst(struct par_ring *r, const void *elems, unsigned n);
PAR_API unsigned par_ring_dequeue_burst(struct par_ring *r, void *elems, unsigned n);

/* Bulk enqueue waiting for room for all n (n <= capacity, else -EINVAL);
 * burst dequeue waiting for at least one. Count (0 for n = 0), -EAGAIN
 * (timeout 0), -ETIMEDOUT. */
PAR_API int par_ring_enqueue_bulk_wait(struct par_ring *r, const void *elems, unsigned n,
				       int64_t timeout_ns);
PAR_API int par_ring_dequeue_burst_wait(struct par_ring *r, void *elems, unsigned n,
					int64_t timeout_ns);

/* ---- zero-copy ---------------------------------------------------------- */

/* Up to n elements in place: n1 at ptr1, then (when the span wraps) n2 at
 * ptr2. */
struct par_ring_span {
	void *ptr1;
	unsigned n1;
	void *ptr2;
	unsigned n2;
};

/* Reserve room for up to n elements (burst) and describe it in *span; write
 * the elements there, then commit. Returns the count reserved: 0 when full,
 * for n = 0, or while this handle already holds a reservation (a call that
 * returns 0 reserves nothing and leaves *span empty: NULL pointers, zero
 * counts).
 * Until commit nothing is visible to consumers, and on a multi-producer ring
 * later producers wait for this one's commit, so keep it short, and do not
 * enqueue from this thread meanwhile (on a single-producer ring the slots
 * are not yet claimed, so such an enqueue would write into them). */
PAR_API unsigned par_ring_reserve(struct par_ring *r, unsigned n, struct par_ring_span *span);

/* End the reservation, publishing its first k elements in order.
 * Single-producer ring: any k <= reserved; the rest is given back (k = 0
 * publishes nothing). Multi-producer ring: k must equal the count reserved,
 * since later producers may already have claimed the slots after it.
 * 0, or -EINVAL with no reservation or a k these rules refuse (the
 * reservation then stays, to be committed properly). On a single-producer
 * ring, a reservation overtaken by an enqueue made meanwhile is dropped with
 * -EINVAL, publishing nothing. */
PAR_API int par_ring_commit(struct par_ring *r, unsigned k);

/* Look at up to n waiting elements in place (burst); read them, then release.
 * Returns the count: 0 when empty, for n = 0, or while this handle already
 * holds a peek (a call that returns 0 peeks at nothing and leaves *span
 * empty). On a
 * multi-consumer ring the peeked elements are claimed: no other consumer
 * gets them, and later consumers wait for this one's release, so do not
 * dequeue from this thread meanwhile; on a single-consumer ring a dequeue
 * meanwhile would take the peeked elements. */
PAR_API unsigned par_ring_peek(struct par_ring *r, unsigned n, struct par_ring_span *span);

/* End the peek, consuming its first k elements. Single-consumer ring: any
 * k <= peeked; the rest stay for the next dequeue or peek. Multi-consumer
 * ring: k must equal the count peeked. 0, or -EINVAL (no peek, or a k these
 * rules refuse; the peek then stays). On a single-consumer ring, a peek
 * overtaken by a dequeue made meanwhile is dropped with -EINVAL. */
PAR_API int par_ring_release(struct par_ring *r, unsigned k);

/* ---- state (a snapshot: others may change it at once) ------------------- */
/* count: published and not yet consumed (elements claimed by a dequeuer but
 * not yet released still count); free_count: capacity - count. */

PAR_API unsigned par_ring_count(const struct par_ring *r);
PAR_API unsigned par_ring_free_count(const struct par_ring *r);
PAR_API unsigned par_ring_capacity(const struct par_ring *r);
PAR_API size_t par_ring_elem_size(const struct par_ring *r);
PAR_API unsigned par_ring_flags(const struct par_ring *r);

/* ---- internal: the inline fast path (do not use directly) --------------- */
/*
 * par_ring_enqueue and par_ring_dequeue on a single-producer / single-
 * consumer side with 8-byte elements are a dozen instructions, fewer than a
 * call costs: with GCC or Clang they are inlined from here (falling back to
 * the library for everything else), and the library still exports them as
 * functions. Nothing below is API: the handle's layout may change with any
 * version of par, and only the library and these inlines may touch it.
 */
struct par__ring_idx;
struct par__ring_ec;
struct par__ring_shared;

struct par_ring {
	/* read-only once made */
	uint32_t *prod_tail;	 /* in the shared ring: producers' tail */
	uint32_t *cons_tail;	 /* consumers' tail */
	uint32_t *cons_sleepers; /* consumers asleep, waiting for elements */
	uint32_t *prod_sleepers; /* producers asleep, waiting for room */
	char *data;		 /* the elements */
	uint32_t mask;
	uint32_t capacity;
	uint32_t elem_size;
	uint32_t flags;
	uint32_t fast; /* PAR__RING_FAST_*: which inline paths apply */
	struct par__ring_idx *prod;
	struct par__ring_idx *cons;
	struct par__ring_ec *not_empty;
	struct par__ring_ec *not_full;
	struct par__ring_shared *sh;
	struct par_shm *shm; /* the ring's own segment, or NULL (caller memory) */

	/* producer side: its own line pair */
	uint32_t p_limit __attribute__((aligned(128))); /* cons.tail + capacity, as seen */
	uint32_t res_start;				/* the outstanding reservation */
	uint32_t res_n;

	/* consumer side: its own line pair */
	uint32_t c_limit __attribute__((aligned(128))); /* prod.tail, as seen */
	uint32_t peek_start;				/* the outstanding peek */
	uint32_t peek_n;
};

#define PAR__RING_FAST_ENQ 0x1u /* single producer, 8-byte elements */
#define PAR__RING_FAST_DEQ 0x2u /* single consumer, 8-byte elements */

/* The out-of-line whole operations, and the wake-up of a sleeping side. */
PAR_API int par__ring_enqueue1(struct par_ring *r, const void *elem);
PAR_API int par__ring_dequeue1(struct par_ring *r, void *elem);
PAR_API int par__ring_wake_cons1(struct par_ring *r);
PAR_API int par__ring_wake_prod1(struct par_ring *r);

#if defined(__GNUC__) && !defined(PAR__RING_BUILD)

/* Used only for inlining (gnu_inline): calls that are not inlined, and the
 * address of the function, reach the library's exported definition. */
#define PAR__RING_INLINE extern __inline__ __attribute__((__gnu_inline__, __always_inline__))

PAR__RING_INLINE int par_ring_enqueue(struct par_ring *r, const void *elem)
{
	if (__builtin_expect(r->fast & PAR__RING_FAST_ENQ, 1)) {
		/* relaxed: only this producer writes prod.tail */
		uint32_t t = __atomic_load_n(r->prod_tail, __ATOMIC_RELAXED);
		/* room by the cached consumers' tail (else the library re-reads it) */
		if (__builtin_expect(r->p_limit - t - 1 < r->capacity, 1)) {
			__builtin_memcpy(r->data + (size_t)(t & r->mask) * 8, elem, 8);
			/* release: pairs with the consumers' acquire load of prod.tail */
			__atomic_store_n(r->prod_tail, t + 1, __ATOMIC_RELEASE);
			if (__builtin_expect(__atomic_load_n(r->cons_sleepers, __ATOMIC_RELAXED),
					     0))
				return par__ring_wake_cons1(r);
			return 0;
		}
	}
	return par__ring_enqueue1(r, elem);
}

PAR__RING_INLINE int par_ring_dequeue(struct par_ring *r, void *elem)
{
	if (__builtin_expect(r->fast & PAR__RING_FAST_DEQ, 1)) {
		/* relaxed: only this consumer writes cons.tail */
		uint32_t h = __atomic_load_n(r->cons_tail, __ATOMIC_RELAXED);
		/* elements by the cached producers' tail (else the library re-reads it) */
		if (__builtin_expect(r->c_limit - h - 1 < r->capacity, 1)) {
			__builtin_memcpy(elem, r->data + (size_t)(h & r->mask) * 8, 8);
			/* release: pairs with the producers' acquire load of cons.tail */
			__atomic_store_n(r->cons_tail, h + 1, __ATOMIC_RELEASE);
			if (__builtin_expect(__atomic_load_n(r->prod_sleepers, __ATOMIC_RELAXED),
					     0))
				return par__ring_wake_prod1(r);
			return 0;
		}
	}
	return par__ring_dequeue1(r, elem);
}

#undef PAR__RING_INLINE
#endif /* __GNUC__ && !PAR__RING_BUILD */

#ifdef __cplusplus
}
#endif

#endif /* PAR_RING_H */
