/* Queue internals shared by shm/queue*.c and pipe.c: the shared layout, the
 * process-local handle and the slot protocol's encodings. Not installed.
 *
 * ---- Layout ---------------------------------------------------------------
 * One segment of kind PAR_SHM_KIND_QUEUE; its header's geometry is a struct
 * par__qgeom, repeated in the data area's own header. Offsets from the data
 * area, every part 128-aligned:
 *
 *   struct par__qshared   header (magic, geometry), control lines, the
 *                         participant table (PAR__Q_PARTS entries)
 *   slots                 capacity x struct par__qslot (16 bytes: the word,
 *                         the length, the first chunk; 4 to a line, so a
 *                         batch touches a quarter of a line per message)
 *   payloads              capacity x slot_stride (inline_max rounded up to 64)
 *   chunk descriptors     chunk_count x struct par__qchunk
 *   pool                  chunk_count x chunk_size bytes
 *
 * All-zero memory past the header is an empty queue: every slot EMPTY(lap 0),
 * every chunk FREE, every participant FREE, positions 0. A fresh segment is
 * zero-filled, so making a queue writes only its header.
 *
 * ---- Slots (a variant of Vyukov's bounded MPMC queue) ----------------------
 * Positions count puts (enq) and gets (deq) ever claimed; position p lives in
 * slot p & mask, in lap p >> shift. Each slot's 64-bit ctl word is
 * lap (45 bits, modulo 2^45) | state (3) | run length - 1 (6, see "Runs") |
 * owner participant (10):
 *   EMPTY(l)      free for the put of position l*cap+i
 *   WRITING(l,o)  participant o is writing it
 *   FULL(l)       published
 *   READING(l,o)  participant o is copying it out
 *   TORN(l)       its producer died mid-write (or gave the claim back when it
 *                 found the queue shut down): never delivered, skipped
 *   ORPHAN(l)     full but behind deq: its consumer died mid-read; gets take
 *                 orphans first (while orphans' count is non-zero)
 * A consumed or skipped slot becomes EMPTY(l+1). A put claims slot enq by CAS
 * EMPTY(l) -> WRITING(l, me), then moves enq on (CAS); anyone who finds the
 * slot of enq already claimed for its lap helps move enq on, so a producer
 * killed between the two CASes blocks nobody. Gets do the same with FULL ->
 * READING and deq. A batch (put_many, get_many) claims the position right
 * after its previous claim directly (one CAS) and moves enq / deq once at
 * its end; others help them on meanwhile. Claims happen in position order
 * (a position is claimed only once every earlier one is), so a consumer never
 * passes a WRITING slot: per-producer order holds for every consumer.
 * Nothing counts operations: par_queue_stats reads puts and gets off the
 * positions and the counts of torn, abandoned and skipped slots.
 *
 * ---- Positions ----------------------------------------------------------------
 * enq and deq are where to look, not what was claimed: the slot words are.
 * A lone claim of p sets its position to p + 1 with a plain store (a CAS
 * there cost a lone put and get 25-35%), so when claims race a late store
 * may set it back, by less than the capacity (until its store the claimer
 * holds p, WRITING or READING, so the other side cannot pass p nor this side
 * lap it); whoever looks from there walks forward past the slots already
 * claimed for their lap, helping it on with CASes. A position
 * never goes past an unclaimed slot, so claims still come in position order.
 * par_queue_size and par_queue_stats walk from the words the same way
 * (par__qpos_frontier).
 *
 * ---- Runs (put_many, get_many) ----------------------------------------------
 * A batch may claim k consecutive positions (a run, 2..PAR__Q_RUN_MAX) right
 * after its previous claim with one CAS on the first slot alone, when every
 * slot of the run is ready (EMPTY of its lap for a put, FULL with an inline
 * message that fits for a get): WRITING(l,o) or READING(l,o) then carries
 * k - 1 in bits 10-15 of the owner field. The batch moves enq / deq past the
 * whole run, and so do helpers that find the first slot claimed; the others
 * never stand inside a run (they reach a position only from the one before
 * it, or from a batch's last claim), so the run's other slots need no claim
 * and take plain release stores: a put fills them and publishes them (FULL)
 * before it publishes the first, a get empties them before it empties the
 * first. So while the first slot is still claimed its word names the run,
 * and once it is not, no slot of the run is left to claim. Recovery of a
 * dead owner does the rest of its run before the first slot: EMPTY -> TORN
 * (what it published stays and is delivered), FULL -> ORPHAN.
 *
 * ---- Out-of-line pool -----------------------------------------------------
 * A message longer than inline_max lives in a chain of fixed-size chunks
 * (next links, PAR__Q_NO_CHUNK ends it); the slot holds the first index. A
 * chunk's 64-bit state is FREE, OWNED(participant) (claimed by CAS, written
 * by its owner before it claims a slot: a death leaves it owned, never
 * leaked) or ATTACHED(tag) once bound to the message of a claimed slot
 * (tag = slot index and lap, see par__qtag). An attached chunk is live while
 * its slot still holds that lap and is not TORN; once the slot moved on
 * (consumed or skipped) or was torn, it is garbage, whoever left it there:
 * recovery frees both kinds of leftovers. A consumer frees a chain after it
 * emptied the slot.
 *
 * ---- Participants ---------------------------------------------------------
 * Each handle registers an entry (threads share their handle's; a forked
 * child that uses an inherited handle registers anew, detected by a fork
 * generation counter bumped by a pthread_atfork child handler). An entry's
 * state word is kind (2 bits) | generation (30) | low (32):
 *   FREE(gen)                 unused
 *   ACTIVE(gen, pid)          registered; start holds the process's start
 *                             time (/proc/PID/stat field 22), 0 while unknown
 *   RECOVERING(gen, idx|gen16) participant idx (of generation gen16) is
 *                             cleaning up after this dead one
 * The generation goes up at each registration, so no stale CAS can touch a
 * later occupant. A participant is dead when /proc/PID/stat is gone, shows a
 * zombie with no thread left, or shows another start time (pid reused). Only
 * a process that can read its own /proc/self/stat judges, and only
 * participants of its own pid namespace (pidns): a pid from another
 * namespace means nothing here, so such a participant counts as alive.
 * Recovery (idempotent, restartable by anyone once its recoverer is dead):
 * WRITING(dead) -> TORN, READING(dead) -> ORPHAN, chunks OWNED(dead) and
 * garbage ATTACHED chunks -> FREE; then the entry -> FREE.
 *
 * ---- Waiting ----------------------------------------------------------------
 * Eventcounts, one futex word each (sequence << 1 | WAITERS): not_empty for
 * gets (and the eventfd watcher), not_full for puts waiting for a slot or for
 * pool space. A sleeper sets WAITERS (seq_cst RMW), fences, re-checks, and
 * futex-waits on the word it set. A waker makes its change with a seq_cst
 * RMW (or fence), then loads the word (seq_cst): either it sees WAITERS, or
 * the sleeper's re-check sees the change. Seeing WAITERS, the waker moves the
 * sequence on and clears the bit in one CAS and wakes everyone; later wakers
 * see no bit and make no system call until someone sleeps again (a sleeper
 * slow to wake up does not cost each put a futex_wake). Sleeps last at most
 * PAR__Q_SLICE_NS; then waiters look for the dead (par__queue_sweep_maybe).
 */
#ifndef PAR_QUEUE_IMPL_H
#define PAR_QUEUE_IMPL_H

#include "shm_impl.h"

#include <par/process.h>
#include <par/queue.h>

#include <assert.h>
#include <stdint.h>
#include <sys/types.h>

#define PAR__Q_MAGIC 0x5545555152415055ull /* "UPARQUEU" */
#define PAR__Q_VERSION 2u		   /* 2: runs (6 bits of the owner field), payloads apart */
#define PAR__Q_LINE 128			   /* a line pair: the adjacent-line prefetcher pulls 2 */
#define PAR__Q_PARTS 1024u
#define PAR__Q_CAPACITY_MAX (1u << 24)
#define PAR__Q_INLINE_MAX 4096u
#define PAR__Q_MSG_MAX ((size_t)1 << 30)
#define PAR__Q_POOL_MAX ((size_t)1 << 38)
#define PAR__Q_CHUNK_MIN 256u
#define PAR__Q_CHUNK_MAX 65536u
#define PAR__Q_NO_CHUNK UINT32_MAX

/* A sleeper re-checks on its own after this long; waiters look at the
 * holders of slots and chunks (for the dead among them) at most this often
 * per handle, and at the whole participant table at most this often per
 * queue. */
#define PAR__Q_SLICE_NS ((int64_t)10000000)
#define PAR__Q_SWEEP_NS ((int64_t)20000000)
#define PAR__Q_FULL_SWEEP_NS ((int64_t)1000000000)

/* A lone put asks for the payload line of the slot this many positions ahead
 * (at most a quarter of the capacity) to be made writable in its cache, so
 * that its copy there later finds the line already moved over from the
 * consumer's cache: 64-byte puts between two cores 9-10 -> 12-13 M/s.
 * Batches go without (it slowed them). */
#define PAR__Q_AHEAD 8u

/* Internal "not yet": try again or wait. */
#define PAR__Q_NOTYET (-EAGAIN)

#ifdef PAR__TSAN
#define PAR__Q_TSAN 1
#endif

/* A memory fence (core_impl.h). */
#define PAR__Q_FENCE(order) PAR__FENCE(order)

#define PAR__Q_LIKELY(x) __builtin_expect(!!(x), 1)
#define PAR__Q_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- slot words ------------------------------------------------------------ */

enum par__qstate {
	PAR__QS_EMPTY = 0,
	PAR__QS_WRITING = 1,
	PAR__QS_FULL = 2,
	PAR__QS_READING = 3,
	PAR__QS_TORN = 4,
	PAR__QS_ORPHAN = 5,
};

#define PAR__Q_LAP_SHIFT 19
#define PAR__Q_LAP_BITS 45
#define PAR__Q_CTL(lap, st, who) \
	(((uint64_t)(lap) << PAR__Q_LAP_SHIFT) | ((uint64_t)(st) << 16) | (uint64_t)(who))
#define PAR__Q_CTL_LAP(c) ((c) >> PAR__Q_LAP_SHIFT)
#define PAR__Q_CTL_ST(c) ((unsigned)((c) >> 16) & 7u)
#define PAR__Q_CTL_WHO(c) ((uint32_t)(c)&0x3ffu)
/* A run's length (1 for a lone claim): see "Runs" above. */
#define PAR__Q_RUN_MAX 64u
#define PAR__Q_CTL_RUN(c) ((((uint32_t)(c) >> 10) & 63u) + 1u)
#define PAR__Q_CTL_RUNS(lap, st, who, run) (PAR__Q_CTL(lap, st, who) | ((uint64_t)((run)-1u) << 10))

static_assert(PAR__Q_PARTS <= 1024, "queue: an owner takes 10 bits of a slot word");

/* ---- chunk states ---------------------------------------------------------- */

#define PAR__QC_FREE 0ull
#define PAR__QC_OWNED (1ull << 62)
#define PAR__QC_ATTACHED (2ull << 62)
#define PAR__QC_KIND(s) ((s) & (3ull << 62))
#define PAR__QC_LOW(s) ((s) & ((1ull << 62) - 1))

/* ---- participant states ---------------------------------------------------- */

#define PAR__QP_FREE 0u
#define PAR__QP_ACTIVE 1u
#define PAR__QP_RECOVERING 2u
#define PAR__QP_MAKE(kind, gen, low)                                        \
	(((uint64_t)(kind) << 62) | ((uint64_t)((gen)&0x3fffffffu) << 32) | \
	 (uint64_t)(uint32_t)(low))
#define PAR__QP_KIND(s) ((unsigned)((s) >> 62))
#define PAR__QP_GEN(s) ((uint32_t)((s) >> 32) & 0x3fffffffu)
#define PAR__QP_LOW(s) ((uint32_t)(s))

/* Orphan count: live count in the low half, a generation of increments in the
 * high half (so that "none found, clear it" cannot undo a concurrent one). */
#define PAR__Q_ORPHAN_ONE ((1ull << 32) | 1ull)

/* ---- shared layout (no pointers) -------------------------------------------- */

/* The geometry: the segment header's kind-specific bytes and the data area's
 * header carry the same copy. */
struct par__qgeom {
	uint32_t version;
	uint32_t capacity;
	uint32_t inline_max;
	uint32_t slot_stride;
	uint64_t max_msg;
	uint32_t chunk_size;
	uint32_t chunk_count;
	uint32_t parts;
	uint32_t reserved; /* 0 */
	uint64_t size;	   /* bytes of the whole layout */
};

static_assert(sizeof(struct par__qgeom) == 48, "queue geometry layout changed");
static_assert(sizeof(struct par__qgeom) <= PAR__SHM_GEOM_MAX, "geometry must fit the header");

/* An eventcount: the futex word (sequence << 1 | PAR__QEC_WAITERS). */
struct par__qec {
	uint32_t word;
	uint32_t reserved;
};

#define PAR__QEC_WAITERS 1u

/* One participant (a line pair, though only registration and recovery write
 * it). */
struct par__qpart {
	uint64_t state;
	uint64_t start; /* process start time in clock ticks, 0 while unknown */
	uint64_t pidns; /* the process's pid namespace (inode), 0 while unknown */
} __attribute__((aligned(PAR__Q_LINE)));

struct par__qshared {
	struct {
		uint64_t magic;
		uint64_t reserved;
		struct par__qgeom geom;
	} __attribute__((aligned(PAR__Q_LINE))) head;
	uint64_t enq __attribute__((aligned(PAR__Q_LINE)));
	uint64_t deq __attribute__((aligned(PAR__Q_LINE)));
	struct par__qec not_empty __attribute__((aligned(PAR__Q_LINE)));
	struct par__qec not_full __attribute__((aligned(PAR__Q_LINE)));
	/* read by every put and get, written only when shut down or on a death */
	struct {
		uint32_t shutdown;
		uint32_t reserved;
		uint64_t orphans;
	} __attribute__((aligned(PAR__Q_LINE))) flags;
	uint32_t alloc_hint __attribute__((aligned(PAR__Q_LINE)));
	/* Rare events only: puts and gets are counted by the positions (no
	 * per-operation counter): see par_queue_stats */
	struct {
		uint64_t torn;	      /* WRITING(dead) -> TORN */
		uint64_t redelivered; /* READING(dead) -> ORPHAN */
		uint64_t dead_peers;
		uint64_t pool_reclaimed;
		uint64_t abandoned;	 /* claims given back at shutdown (TORN too) */
		uint64_t skipped;	 /* TORN slots the head moved past */
		int64_t next_full_sweep; /* CLOCK_MONOTONIC ns */
	} __attribute__((aligned(PAR__Q_LINE))) stats;
	struct par__qpart parts[PAR__Q_PARTS];
};

static_assert(offsetof(struct par__qshared, enq) == 128, "queue: enq on its own line pair");
static_assert(offsetof(struct par__qshared, deq) == 256, "queue: deq on its own line pair");
static_assert(sizeof(struct par__qpart) == PAR__Q_LINE, "queue: one line pair per participant");
static_assert(sizeof(struct par__qshared) % PAR__Q_LINE == 0, "queue: slots start on a line");

struct par__qslot {
	uint64_t ctl;
	uint32_t len;	/* read (relaxed) by gets before they claim */
	uint32_t chunk; /* first chunk, or PAR__Q_NO_CHUNK for inline */
};

static_assert(sizeof(struct par__qslot) == 16, "queue slot: 16 bytes, 4 to a line");

struct par__qchunk {
	uint64_t state;
	uint32_t next;
	uint32_t reserved;
};

/* ---- the process-local handle ----------------------------------------------- */

/* eventfd readiness (per handle, started by par_queue_eventfd). */
struct par__qwatch {
	int efd;	/* -1 until started */
	uint32_t state; /* PAR__QW_* */
	uint32_t armed; /* 1: the eventfd holds a count; 2: a get is draining it */
	uint32_t stop;	/* close asks the watcher to end */
	struct par_thread *thread;
};

#define PAR__QW_NONE 0u
#define PAR__QW_STARTING 1u
#define PAR__QW_RUNNING 2u

struct par_queue {
	struct par__qshared *sh;
	struct par__qslot *slots;
	unsigned char *data; /* capacity x stride bytes of inline payload */
	struct par__qchunk *chunks;
	unsigned char *pool;
	uint64_t mask;
	unsigned shift;
	uint32_t stride;
	uint32_t inline_max;
	uint32_t capacity;
	uint32_t ahead; /* slots a put prefetches ahead of its own (0: none) */
	uint32_t chunk_size;
	uint32_t chunk_count;
	size_t max_msg;
	struct par_shm *shm;
	/* who we are in the table, valid while forkgen equals the process's */
	uint32_t me;
	uint32_t mygen;
	uint64_t pidns; /* ours; 0 when /proc is unusable: then we judge no one */
	uint32_t forkgen;
	uint32_t joining; /* fork generation being registered (see par__queue_rejoin) */
	int64_t next_sweep;
	struct par__qwatch watch;
};

/* ---- shared helpers --------------------------------------------------------- */

/* Prefetch the line at a for writing: PREFETCHW on x86-64 (decoded as a
 * no-op by the few CPUs without it), a plain prefetch elsewhere. */
static inline void par__prefetch_w(const void *a)
{
#if defined(__x86_64__) && !defined(PAR__Q_TSAN)
	__asm__ __volatile__("prefetchw %0" ::"m"(*(const char *)a));
#else
	__builtin_prefetch(a, 1, 3);
#endif
}

extern uint32_t par__queue_forkgen;

/* queue.c */
int par__queue_rejoin(struct par_queue *q, uint32_t g);
int par__queue_registered_here(const struct par_queue *q);

static inline struct par__qslot *par__qslot_at(const struct par_queue *q, uint64_t pos)
{
	return &q->slots[pos & q->mask];
}

/* The inline payload of position pos's slot. */
static inline unsigned char *par__qdata_at(const struct par_queue *q, uint64_t pos)
{
	return q->data + (size_t)(pos & q->mask) * q->stride;
}

/* Laps from position pos's lap to the lap in slot word ctl (modulo 2^45):
 * 0 same lap, < 0 the slot is behind, > 0 ahead. */
static inline int64_t par__qlap_diff(const struct par_queue *q, uint64_t ctl, uint64_t pos)
{
	uint64_t d = PAR__Q_CTL_LAP(ctl) - (pos >> q->shift);

	return (int64_t)(d << PAR__Q_LAP_SHIFT) >> PAR__Q_LAP_SHIFT;
}

/* The participant index of the calling process, registering it first when it
 * is a forked child that has not yet used this handle. Negative on failure. */
static inline int par__queue_me(struct par_queue *q)
{
	/* relaxed: a plain per-process counter, only ever bumped in a new child */
	uint32_t g = __atomic_load_n(&par__queue_forkgen, __ATOMIC_RELAXED);

	/* acquire: pairs with the release store of forkgen in par__queue_rejoin */
	if (PAR__Q_LIKELY(__atomic_load_n(&q->forkgen, __ATOMIC_ACQUIRE) == g))
		return (int)q->me;
	return par__queue_rejoin(q, g);
}

/* After a lone claim of pos: the position is at least pos + 1 (a plain
 * store, so it may briefly go back when claims race; see "Positions"). */
static inline void par__qpos_hint(uint64_t *at, uint64_t next)
{
	/* relaxed: positions only say where to look */
	__atomic_store_n(at, next, __ATOMIC_RELAXED);
}

/* Move a position on from pos by n (whoever claimed pos may have died before
 * doing it). Returns where it is now. */
static inline uint64_t par__qpos_help(uint64_t *at, uint64_t pos, uint64_t n)
{
	uint64_t cur = pos;

	/* relaxed: positions only say where to look; slot words carry the claims */
	if (__atomic_compare_exchange_n(at, &cur, pos + n, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return pos + n;
	return cur;
}

/* How far a helper moves a position from pos, whose slot word is ctl: past
 * the whole run when the slot holds the first claim of one (state st) for
 * pos's own lap, else by one. */
static inline uint64_t par__qrun_at(const struct par_queue *q, uint64_t ctl, uint64_t pos,
				    unsigned st)
{
	return PAR__Q_CTL_ST(ctl) == st && par__qlap_diff(q, ctl, pos) == 0 ? PAR__Q_CTL_RUN(ctl)
									    : 1;
}

/* queue.c: where enq (puts) or deq (gets) really is, walking from its word
 * past the slots claimed for their lap (at most about 2 laps: a snapshot). */
uint64_t par__qpos_frontier(const struct par_queue *q, int puts);

/* queue_runs.c */
int par__qrun_put(struct par_queue *q, uint32_t me, uint64_t pos, const struct par_msg *msgs,
		  unsigned n);
int par__qrun_get(struct par_queue *q, uint32_t me, uint64_t pos, struct par_msg *msgs, unsigned n);

/* queue_pool.c */
int par__qpool_take(struct par_queue *q, uint32_t me, const void *msg, size_t len, uint32_t *head);
void par__qpool_attach(struct par_queue *q, uint32_t head, uint64_t tag);
void par__qpool_copy_out(const struct par_queue *q, uint32_t head, void *buf, size_t len);
void par__qpool_release(struct par_queue *q, uint32_t head);
void par__qpool_free_chain(struct par_queue *q, uint32_t head, uint64_t tag);
uint64_t par__qpool_free_tagged(struct par_queue *q, uint64_t tag);
uint64_t par__qpool_collect(struct par_queue *q, uint32_t dead);

/* The tag of a message in slot idx at lap (ctl's 45-bit lap): lap modulo
 * 2^(62 - shift), then the slot index. */
static inline uint64_t par__qtag(const struct par_queue *q, uint64_t lap, uint64_t idx)
{
	return PAR__QC_LOW((lap << q->shift) | idx);
}

static inline uint64_t par__qtag_pos(const struct par_queue *q, uint64_t pos)
{
	return par__qtag(q, PAR__Q_CTL_LAP(PAR__Q_CTL(pos >> q->shift, 0, 0)), pos & q->mask);
}

/* queue_recover.c */
int par__qproc_start(pid_t pid, uint64_t *start);
int par__qproc_self(uint64_t *start, uint64_t *pidns);
int par__queue_check(struct par_queue *q, uint32_t idx);
int par__queue_sweep(struct par_queue *q);
int par__queue_sweep_maybe(struct par_queue *q);
void par__qorphan_add(struct par_queue *q);
void par__qorphan_taken(struct par_queue *q);
int par__queue_check_holders(struct par_queue *q);
int par__queue_free_idle_dead(struct par_queue *q);

/* queue_wait.c */
void par__qec_wake(struct par__qec *ec, int always);
typedef int (*par__qtry_fn)(struct par_queue *q, void *arg);
int par__queue_wait(struct par_queue *q, struct par__qec *ec, int64_t deadline, par__qtry_fn fn,
		    void *arg);
void par__queue_disarm(struct par_queue *q);
int par__queue_ready(const struct par_queue *q);
int par__queue_watch_stop(struct par_queue *q);
void par__queue_watch_forget(struct par_queue *q);

/* Wake whoever sleeps on ec. The caller's change must be ordered before this
 * by a seq_cst RMW or fence. */
static inline void par__qec_notify(struct par__qec *ec)
{
	/* seq_cst: pairs with the sleeper's seq_cst setting of WAITERS (it is
	 * seen here, or its re-check sees the caller's change) */
	if (__atomic_load_n(&ec->word, __ATOMIC_SEQ_CST) & PAR__QEC_WAITERS)
		par__qec_wake(ec, 0);
}

#endif /* PAR_QUEUE_IMPL_H */
