/*
 * par/sync.h — Lock, Event, Barrier and Value that work across threads and
 * processes.
 *
 * Each object can live in two places:
 *  - par_X_create() puts it in its own anonymous shared mapping, so processes
 *    forked after the call share it (like multiprocessing.Lock()). Release it
 *    with par_X_destroy() in every process that holds the mapping (children
 *    may also just exit).
 *  - par_X_init(mem, ...) builds it inside memory the caller owns, of
 *    par_X_memsize() bytes aligned to 64: a shared-memory segment that
 *    unrelated processes map at different addresses, or an ordinary struct
 *    when only threads use it. par_X_fini() tears it down; the memory stays
 *    the caller's. The object holds no pointers, so every process that maps
 *    the memory may use it.
 *
 * Robustness. A process or thread that dies holding a Lock never makes the
 * others hang: the next acquirer gets -EOWNERDEAD and owns the lock; it repairs
 * whatever the lock protects, calls par_lock_consistent(), and the lock goes on
 * working. (Releasing without that makes the lock unusable: every later
 * acquire returns -ENOTRECOVERABLE.) Event and Barrier keep their state in one
 * atomic word, so a party killed at any instant cannot leave them torn; every
 * wait takes a timeout, and a Barrier whose party never arrives is broken by
 * that timeout or by par_barrier_abort() from a supervisor, releasing all the
 * others with -EPIPE.
 *
 * Unless a function says otherwise it is thread-safe and process-safe, except
 * that init, fini and destroy must not race with other calls on the same
 * object. A handle that is NULL, misaligned, not yet initialised or already
 * finished is refused with -EINVAL (each object carries a magic number).
 */
#ifndef PAR_SYNC_H
#define PAR_SYNC_H

#include <par/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Alignment required of memory passed to par_*_init(). */
#define PAR_SYNC_ALIGN 64

/* ---- Lock -------------------------------------------------------------- */

struct par_lock;

struct par_lock_opts {
	size_t size;   /* sizeof(struct par_lock_opts); set by opts_init */
	int recursive; /* 1: the owner may acquire again (an RLock); default 0 */
};

PAR_API void par_lock_opts_init(struct par_lock_opts *o);

/* Bytes needed by par_lock_init(). */
PAR_API size_t par_lock_memsize(void);

/* Build a lock in mem (par_lock_memsize() bytes, PAR_SYNC_ALIGN-aligned).
 * opts may be NULL for defaults. 0 and *out = the lock, or -EINVAL. */
PAR_API int par_lock_init(void *mem, const struct par_lock_opts *opts, struct par_lock **out);

/* Tear down a lock built by par_lock_init. 0, or -EBUSY while a live thread
 * (the caller included, at any depth) holds it. A lock whose holder died counts
 * as free: fini takes and drops it unrepaired, so any process still using it
 * gets -ENOTRECOVERABLE from then on. */
PAR_API int par_lock_fini(struct par_lock *l);

/* A lock in its own shared anonymous mapping (inherited across fork).
 * 0, -EINVAL, or -ENOMEM. */
PAR_API int par_lock_create(const struct par_lock_opts *opts, struct par_lock **out);

/* Unmap a lock made by par_lock_create in this process; other processes keep
 * theirs. 0, -EINVAL (not a lock made by par_lock_create), or -EBUSY while a
 * live thread holds it (the lock is then left as it was). A dead holder counts
 * as none, as for par_lock_fini. */
PAR_API int par_lock_destroy(struct par_lock *l);

/* Acquire, waiting at most timeout_ns (PAR_FOREVER, 0, or ns).
 * 0: acquired. -EOWNERDEAD: acquired, but the previous owner died holding it
 * (see the overview). -EAGAIN: timeout 0 and the lock is held. -ETIMEDOUT.
 * -EDEADLK: a non-recursive lock already held by the calling thread (with any
 * timeout). -ENOTRECOVERABLE: an earlier owner-death was never made
 * consistent. -EINVAL: not a lock. The owner is a thread: a forked child does
 * not own what its parent holds. An uncontended acquire or release makes no
 * system call. */
PAR_API int par_lock_acquire(struct par_lock *l, int64_t timeout_ns);

/* Release (one level of a recursive lock). 0, or -EPERM when the calling
 * thread does not own the lock. */
PAR_API int par_lock_release(struct par_lock *l);

/* After -EOWNERDEAD, mark the protected state repaired, before releasing.
 * 0, or -EINVAL when the lock is not in that state or not owned by the caller.
 * A recursive lock may be acquired and released again inside, before this
 * call; only the outermost release decides whether it stays usable. */
PAR_API int par_lock_consistent(struct par_lock *l);

/* ---- Event ------------------------------------------------------------- */
/* A flag that threads and processes wait on until some party sets it
 * (Python's multiprocessing.Event). */

struct par_event;

/* Bytes needed by par_event_init (a multiple of PAR_SYNC_ALIGN). */
PAR_API size_t par_event_memsize(void);
/* Build a cleared event in mem. 0, or -EINVAL. */
PAR_API int par_event_init(void *mem, struct par_event **out);
/* 0, or -EINVAL. Nobody may wait on it any more. */
PAR_API int par_event_fini(struct par_event *e);
/* A cleared event in its own shared mapping (inherited across fork). 0,
 * -EINVAL, -ENOMEM. */
PAR_API int par_event_create(struct par_event **out);
/* Unmap it in this process. 0, or -EINVAL (not made by par_event_create). */
PAR_API int par_event_destroy(struct par_event *e);

/* Set the flag and wake every waiter. 0, or -EINVAL. What the setter wrote
 * before is visible to a waiter that returns 0 (release/acquire). Makes a
 * system call only when somebody sleeps on the event. */
PAR_API int par_event_set(struct par_event *e);
/* Clear the flag. 0, or -EINVAL. */
PAR_API int par_event_clear(struct par_event *e);
/* 1 if set, 0 if not, -EINVAL. */
PAR_API int par_event_is_set(const struct par_event *e);

/* Wait until the flag is set. 0 once set (at once if it already is), -EAGAIN
 * with timeout 0 when not set, -ETIMEDOUT, -EINVAL. Like Python's, a wait
 * returns 0 once any set happened after it began, even if a clear undid it
 * before the waiter ran. A waiter killed while asleep leaves nothing behind. */
PAR_API int par_event_wait(struct par_event *e, int64_t timeout_ns);

/* ---- Barrier ----------------------------------------------------------- */
/* parties threads or processes meet; none passes until all have arrived.
 * Reusable: after it releases, the next generation starts empty. */

struct par_barrier;

/* Most parties a barrier accepts. */
#define PAR_BARRIER_MAX_PARTIES 32767u

/* Bytes needed by par_barrier_init (a multiple of PAR_SYNC_ALIGN). */
PAR_API size_t par_barrier_memsize(void);
/* 0, or -EINVAL when parties is 0 or above PAR_BARRIER_MAX_PARTIES (or for bad
 * mem / out). */
PAR_API int par_barrier_init(void *mem, unsigned parties, struct par_barrier **out);
/* 0, or -EBUSY while parties are waiting (a party that died waiting counts
 * until par_barrier_reset). */
PAR_API int par_barrier_fini(struct par_barrier *b);
/* A barrier in its own shared mapping (inherited across fork). 0, -EINVAL,
 * -ENOMEM. */
PAR_API int par_barrier_create(unsigned parties, struct par_barrier **out);
/* Unmap it in this process; others keep theirs. 0, or -EINVAL (not made by
 * par_barrier_create). */
PAR_API int par_barrier_destroy(struct par_barrier *b);

/* Arrive and wait for the others. Returns this party's arrival index, 0 to
 * parties-1 (exactly one caller per generation gets parties-1: the last to
 * arrive, which released the others). -ETIMEDOUT: this caller timed out (or
 * timeout 0 and it was not the last), and the barrier is now broken.
 * -EPIPE: the barrier is broken (another party timed out, or it was aborted);
 * every waiter is released with -EPIPE and later waits fail at once until
 * par_barrier_reset(). Everything each party wrote before arriving is visible
 * to every party that passes. It takes no lock: a party killed at any point
 * leaves the barrier whole, though its arrival in the current generation
 * counts until a reset. A waiter that sleeps through more than 32 later
 * generations (only when more threads than parties share the barrier, or after
 * 32 resets) is told it passed even if its own generation was reset. */
PAR_API int par_barrier_wait(struct par_barrier *b, int64_t timeout_ns);

/* Break the barrier: current and later waiters get -EPIPE. 0 or -EINVAL. */
PAR_API int par_barrier_abort(struct par_barrier *b);

/* Start a fresh, empty, unbroken generation (Python's Barrier.reset): parties
 * still waiting in the old one, broken or not, are released with -EPIPE, even
 * those that only wake after the next generation has passed. Works even when
 * a waiter of the old generation died. 0 or -EINVAL. */
PAR_API int par_barrier_reset(struct par_barrier *b);

/* Parties the barrier was made for, waiting now (dead waiters included, until
 * a reset), and whether it is broken (1/0). -EINVAL for a bad handle. */
PAR_API int par_barrier_parties(const struct par_barrier *b);
PAR_API int par_barrier_n_waiting(const struct par_barrier *b);
PAR_API int par_barrier_broken(const struct par_barrier *b);

/* ---- Value ------------------------------------------------------------- */
/* A 64-bit integer shared by threads and forked processes, with its own Lock
 * (Python's multiprocessing.Value('q') and its get_lock()). */

struct par_value;

/* Bytes needed by par_value_init (a multiple of PAR_SYNC_ALIGN). */
PAR_API size_t par_value_memsize(void);
/* Build a value holding initial, with its (non-recursive) lock. 0, -EINVAL. */
PAR_API int par_value_init(void *mem, int64_t initial, struct par_value **out);
/* 0, -EINVAL, or -EBUSY while a live thread holds its lock. (A dead holder
 * counts as none; the integer needs no repair.) */
PAR_API int par_value_fini(struct par_value *v);
/* A value in its own shared mapping (inherited across fork). 0, -EINVAL,
 * -ENOMEM. */
PAR_API int par_value_create(int64_t initial, struct par_value **out);
/* Unmap it in this process. 0, -EINVAL (not made by par_value_create), or
 * -EBUSY while a live thread holds its lock. A dead holder counts as none, and
 * the lock is left repaired for the processes still using the value. */
PAR_API int par_value_destroy(struct par_value *v);

/* Atomic read and write of the integer, without the lock (relaxed: they order
 * nothing else; take the lock for that). A load followed by a separate store
 * is not atomic as a whole: concurrent updates between them are lost, which
 * the balance example shows. A bad handle loads 0 and stores nothing. */
PAR_API int64_t par_value_load(const struct par_value *v);
PAR_API void par_value_store(struct par_value *v, int64_t x);

/* Add delta under the value's lock; *result (may be NULL) gets the new value.
 * Wraps around (two's complement) instead of overflowing. 0, -EINVAL. The
 * integer is one word that no death can tear, so when an earlier holder of the
 * lock died the lock is repaired here and 0 returned. (-ENOTRECOVERABLE only
 * if a user of par_value_lock() released it unrepaired after -EOWNERDEAD.) */
PAR_API int par_value_add(struct par_value *v, int64_t delta, int64_t *result);

/* The value's lock, for compound updates: acquire it, load, compute, store,
 * release. Valid as long as the value; NULL for a bad handle. */
PAR_API struct par_lock *par_value_lock(struct par_value *v);

#ifdef __cplusplus
}
#endif

#endif /* PAR_SYNC_H */
