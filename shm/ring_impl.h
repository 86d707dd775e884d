/* Ring internals shared by shm/ring*.c: the shared layout, the process-local
 * handle and the index arithmetic. Not installed.
 *
 * Indices are 32-bit and wrap naturally: head and tail count elements ever
 * claimed / published modulo 2^32, the slot of index i is i & mask, and
 * "used" is prod.tail - cons.tail in unsigned arithmetic, exact because the
 * capacity is at most 2^30. */
#ifndef PAR_RING_IMPL_H
#define PAR_RING_IMPL_H

#include "shm_impl.h"

/* the library defines par_ring_enqueue / dequeue itself */
#define PAR__RING_BUILD
#include <par/ring.h>

#include <assert.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#define PAR__RING_MAGIC 0x474e495272617055ull /* "UparRING" */
#define PAR__RING_VERSION 1u
#define PAR__RING_LINE 64
/* Intel's adjacent-line prefetcher pulls cache lines in 128-byte pairs: a
 * line that another core writes gets a pair of its own. */
#define PAR__RING_PAIR 128

#define PAR__LIKELY(x) __builtin_expect(!!(x), 1)
#define PAR__UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- shared layout (no pointers) ------------------------------------------ */

/* Written once by par_ring_init, magic last; read-only after. */
struct par__ring_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t elem_size;
	uint32_t capacity;
	uint32_t mask;
	uint32_t flags;
	uint32_t reserved;
	uint64_t memsize;
} __attribute__((aligned(PAR__RING_PAIR)));

/* One side's indices. head: next index to claim (multi-producer/consumer
 * sides only; a single-producer/consumer side keeps it equal to tail and
 * never reads it). tail: everything before it is published (prod) or
 * consumed (cons). */
struct par__ring_idx {
	uint32_t head;
	uint32_t tail;
} __attribute__((aligned(PAR__RING_PAIR)));

/* An eventcount for one side's sleepers: sleepers counts those registered,
 * seq is the futex word the other side bumps when it finds sleepers. */
struct par__ring_ec {
	uint32_t sleepers;
	uint32_t seq;
} __attribute__((aligned(PAR__RING_LINE)));

struct par__ring_shared {
	struct par__ring_hdr hdr;
	struct par__ring_idx prod;
	struct par__ring_idx cons;
	struct par__ring_ec not_empty; /* consumers sleep here */
	struct par__ring_ec not_full;  /* producers sleep here */
				       /* elements follow, capacity * elem_size bytes */
} __attribute__((aligned(PAR__RING_PAIR)));

static_assert(sizeof(struct par__ring_hdr) == PAR__RING_PAIR, "ring header: one line pair");
static_assert(offsetof(struct par__ring_shared, prod) == 128, "ring: producer line at 128");
static_assert(offsetof(struct par__ring_shared, cons) == 256, "ring: consumer line at 256");
static_assert(offsetof(struct par__ring_shared, not_empty) == 384, "ring: wait lines at 384");
static_assert(offsetof(struct par__ring_shared, not_full) == 448, "ring: wait lines at 448");
static_assert(sizeof(struct par__ring_shared) == 512, "ring: elements at 512");

/* ---- the process-local handle --------------------------------------------- */

/* struct par_ring is in the internal part of par/ring.h (the inline fast
 * paths read it): read-only fields, then one line pair the producer side
 * writes and one the consumer side writes, so a producer thread and a
 * consumer thread sharing a handle do not share a written line. */
static_assert(offsetof(struct par_ring, p_limit) == PAR__RING_PAIR, "handle: producer line");
static_assert(offsetof(struct par_ring, c_limit) == 2 * PAR__RING_PAIR, "handle: consumer line");

/* ---- elements ------------------------------------------------------------- */

static inline char *par__ring_slot(const struct par_ring *r, uint32_t i)
{
	return r->data + (size_t)(i & r->mask) * r->elem_size;
}

/* One element; the common sizes become fixed-size copies the compiler
 * inlines. */
static inline void par__ring_copy1(void *dst, const void *src, size_t es)
{
	switch (es) {
	case 8:
		memcpy(dst, src, 8);
		break;
	case 16:
		memcpy(dst, src, 16);
		break;
	case 32:
		memcpy(dst, src, 32);
		break;
	case 64:
		memcpy(dst, src, 64);
		break;
	default:
		memcpy(dst, src, es);
	}
}

/* n elements into the ring from index i on, wrapping with a second copy. */
static inline void par__ring_copy_in(struct par_ring *r, uint32_t i, const void *src, uint32_t n)
{
	size_t es = r->elem_size;
	uint32_t at = i & r->mask, first = r->capacity - at;

	if (PAR__LIKELY(n <= first)) {
		memcpy(r->data + at * es, src, n * es);
		return;
	}
	memcpy(r->data + at * es, src, first * es);
	memcpy(r->data, (const char *)src + first * es, (n - first) * es);
}

static inline void par__ring_copy_out(struct par_ring *r, uint32_t i, void *dst, uint32_t n)
{
	size_t es = r->elem_size;
	uint32_t at = i & r->mask, first = r->capacity - at;

	if (PAR__LIKELY(n <= first)) {
		memcpy(dst, r->data + at * es, n * es);
		return;
	}
	memcpy(dst, r->data + at * es, first * es);
	memcpy((char *)dst + first * es, r->data, (n - first) * es);
}

/* ---- shared between ring.c, ring_zc.c and ring_wait.c --------------------- */

/* The single producer's room at its tail t / the single consumer's elements
 * at its tail h, re-reading the other side's tail (the cached copy said too
 * few, or was stale). */
uint32_t par__ring_sp_refresh(struct par_ring *r, uint32_t t);
uint32_t par__ring_sc_refresh(struct par_ring *r, uint32_t h);

/* Room for the single producer at its tail t: n or more, else all there is.
 * The cached limit is trusted only when it says there is room for n and is
 * not stale (from before another producer moved the tail on). */
static inline uint32_t par__ring_sp_room(struct par_ring *r, uint32_t t, uint32_t n)
{
	uint32_t room = r->p_limit - t;

	if (PAR__LIKELY(room >= n && room <= r->capacity))
		return room;
	return par__ring_sp_refresh(r, t);
}

/* Elements for the single consumer at its tail h: n or more, else all. */
static inline uint32_t par__ring_sc_avail(struct par_ring *r, uint32_t h, uint32_t n)
{
	uint32_t avail = r->c_limit - h;

	if (PAR__LIKELY(avail >= n && avail <= r->capacity))
		return avail;
	return par__ring_sc_refresh(r, h);
}

/* Multi-producer / multi-consumer claim of exactly n (bulk) or up to n
 * (burst) by a CAS of the side's head: the count claimed, from *start. */
uint32_t par__ring_mp_claim(struct par_ring *r, uint32_t n, int burst, uint32_t *start);
uint32_t par__ring_mc_claim(struct par_ring *r, uint32_t n, int burst, uint32_t *start);

/* Pause in a spin loop; after a while, yield the CPU too (the one we wait
 * for may have been preempted). */
void par__ring_relax(unsigned *spins);

/* Publish [start, start + n) of a multi side: wait until everyone who claimed
 * before us has published, then move the tail on. */
static inline void par__ring_mt_publish(uint32_t *tail, uint32_t start, uint32_t n)
{
	unsigned spins = 0;

	/* acquire: pairs with the release store below by whoever claimed just
	 * before us, so that ours also publishes their elements / slots */
	while (PAR__UNLIKELY(__atomic_load_n(tail, __ATOMIC_ACQUIRE) != start))
		par__ring_relax(&spins);
	/* release: pairs with the other side's acquire load of this tail */
	__atomic_store_n(tail, start + n, __ATOMIC_RELEASE);
}

/* Wake up to n sleepers of ec (out of line: only when some sleep). */
void par__ring_wake(struct par__ring_ec *ec, uint32_t n);

/* After publishing n elements / freeing n slots: wake the other side's
 * sleepers, if any. A relaxed look at the counter keeps the common case free
 * of system calls; a sleeper that registers as we look is caught by its
 * PAR_RING_SLEEP_SLICE_NS. */
static inline void par__ring_wake_cons(struct par_ring *r, uint32_t n)
{
	if (PAR__UNLIKELY(__atomic_load_n(&r->not_empty->sleepers, __ATOMIC_RELAXED) != 0))
		par__ring_wake(r->not_empty, n);
}

static inline void par__ring_wake_prod(struct par_ring *r, uint32_t n)
{
	if (PAR__UNLIKELY(__atomic_load_n(&r->not_full->sleepers, __ATOMIC_RELAXED) != 0))
		par__ring_wake(r->not_full, n);
}

/* A handle on a validated ring in mem (freed with free()). 0 or -ENOMEM. */
int par__ring_handle(struct par__ring_shared *sh, struct par_ring **out);

#endif /* PAR_RING_IMPL_H */
