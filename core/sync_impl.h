/* Layouts of the sync objects (core/lock.c, event.c, barrier.c, value.c): not
 * installed. Every object is PAR_SYNC_ALIGN-aligned, holds no pointers of its
 * own and starts life when its magic is published; fini clears the magic, so a
 * stale or foreign handle answers -EINVAL instead of being trusted. */
#ifndef PAR_SYNC_IMPL_H
#define PAR_SYNC_IMPL_H

#include "core_impl.h"

#include <par/sync.h>

#include <assert.h>
#include <pthread.h>
#include <stdint.h>

#define PAR__LOCK_MAGIC 0x4c726170u    /* "parL" */
#define PAR__EVENT_MAGIC 0x45726170u   /* "parE" */
#define PAR__BARRIER_MAGIC 0x42726170u /* "parB" */
#define PAR__VALUE_MAGIC 0x56726170u   /* "parV" */

/* A process-shared robust pthread mutex, plus who holds it: owner is the
 * holder's kernel thread id (0 when free), written only by the holder, so the
 * calling thread can tell "I hold it" apart from "someone holds it" (a try
 * cannot: it nests for the owner of a recursive mutex), and release and
 * consistent can refuse a non-owner before touching the mutex. depth counts
 * the owner's nested acquires; only the holder touches it. */
struct par_lock {
	pthread_mutex_t m;
	uint32_t owner;
	uint32_t depth;
	uint32_t recursive;
	uint32_t magic;
} __attribute__((aligned(PAR_SYNC_ALIGN)));

static_assert(sizeof(struct par_lock) % PAR_SYNC_ALIGN == 0, "lock size: whole cache lines");

/* One futex word: bit 0 set, bit 1 somebody may sleep on it. */
struct par_event {
	uint32_t word;
	uint32_t magic;
} __attribute__((aligned(PAR_SYNC_ALIGN)));

static_assert(sizeof(struct par_event) == PAR_SYNC_ALIGN, "event: one cache line");

/* The whole barrier state is one 64-bit atomic word. Its low half (the futex
 * word) holds broken | generation | count; its high half remembers, for each of
 * the last 32 generations (bit g % 32), whether it ended by reset (1) or by the
 * last party arriving (0), so a waiter that wakes late still learns how its own
 * generation ended. */
union par__barrier_state {
	uint64_t all;
	uint32_t half[2];
};

struct par_barrier {
	union par__barrier_state s;
	uint32_t parties;
	uint32_t magic;
} __attribute__((aligned(PAR_SYNC_ALIGN)));

static_assert(sizeof(struct par_barrier) == PAR_SYNC_ALIGN, "barrier: one cache line");

/* The integer sits on the line after the lock's, so lock-free readers of the
 * value do not bounce the mutex's line. */
struct par_value {
	struct par_lock lock;
	int64_t x;
	uint32_t magic;
} __attribute__((aligned(PAR_SYNC_ALIGN)));

static_assert(offsetof(struct par_value, x) == sizeof(struct par_lock), "value: x after the lock");
static_assert(sizeof(struct par_value) % PAR_SYNC_ALIGN == 0, "value size: whole cache lines");

/* For fini/destroy: 0 when no live thread holds l, -EBUSY when one does. A
 * lock whose holder died counts as free: probing takes it (EOWNERDEAD) and
 * releases it, repaired when repair is nonzero (the caller knows the state it
 * guards cannot be torn), else unrepaired, so that from then on it answers
 * -ENOTRECOVERABLE. */
int par__lock_idle(struct par_lock *l, int repair);

/* Nonzero when p is a usable PAR_SYNC_ALIGN-aligned address. */
static inline int par__sync_aligned(const void *p)
{
	return p != NULL && ((uintptr_t)p & (PAR_SYNC_ALIGN - 1)) == 0;
}

/* Nonzero when obj is aligned and its magic (at *magic) has been published. */
static inline int par__sync_live(const void *obj, const uint32_t *magic, uint32_t want)
{
	/* acquire: pairs with the release store of the magic at the end of init */
	return par__sync_aligned(obj) && __atomic_load_n(magic, __ATOMIC_ACQUIRE) == want;
}

#endif /* PAR_SYNC_IMPL_H */
