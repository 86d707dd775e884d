/* Event: a flag in one futex word. An uncontended set, clear, is_set or wait
 * on a set flag makes no system call; only a set that finds sleepers wakes.
 *
 *   bit 0 set | bit 1 someone may sleep on the word | bits 2..31 sets so far
 *
 * Counting sets lets a waiter return once any set happened after it started,
 * even one already undone by a clear (Python's Event does the same). */
#include "sync_impl.h"

#include <errno.h>

#define EV_SET 1u
#define EV_WAITERS 2u /* the next set wakes all */
#define EV_GEN_ONE 4u
#define EV_GEN(v) ((v) & ~(EV_SET | EV_WAITERS))

static int event_live(const struct par_event *e)
{
	return e != NULL && par__sync_live(e, &e->magic, PAR__EVENT_MAGIC);
}

size_t par_event_memsize(void)
{
	return sizeof(struct par_event);
}

int par_event_init(void *mem, struct par_event **out)
{
	if (!par__sync_aligned(mem) || out == NULL)
		return -EINVAL;
	struct par_event *e = mem;

	e->word = 0;
	/* release: pairs with the acquire load of the magic in par__sync_live */
	__atomic_store_n(&e->magic, PAR__EVENT_MAGIC, __ATOMIC_RELEASE);
	*out = e;
	return 0;
}

int par_event_fini(struct par_event *e)
{
	if (!event_live(e))
		return -EINVAL;
	__atomic_store_n(&e->magic, 0, __ATOMIC_RELAXED);
	return 0;
}

int par_event_create(struct par_event **out)
{
	void *mem;

	if (out == NULL)
		return -EINVAL;
	int r = par__shared_alloc(sizeof(struct par_event), &mem);
	if (r != 0)
		return r;
	return par_event_init(mem, out);
}

int par_event_destroy(struct par_event *e)
{
	if (!event_live(e) || ((uintptr_t)e & 4095) != 0)
		return -EINVAL;
	par__shared_free(e, sizeof(*e));
	return 0;
}

int par_event_set(struct par_event *e)
{
	if (!event_live(e))
		return -EINVAL;
	uint32_t old = __atomic_load_n(&e->word, __ATOMIC_RELAXED), next;

	do {
		/* a clear flag: count the set and drop EV_WAITERS (everyone asleep
		 * now is woken below; a later sleeper sets the bit anew). A set
		 * one (nobody sleeps then) is rewritten as it is, to publish this
		 * caller's writes too */
		next = (old & EV_SET) ? old : (EV_GEN(old + EV_GEN_ONE) | EV_SET);
		/* release: pairs with the acquire loads in par_event_wait / is_set */
	} while (!__atomic_compare_exchange_n(&e->word, &old, next, 0, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	if (old & EV_WAITERS)
		par_futex_wake(&e->word, -1);
	return 0;
}

int par_event_clear(struct par_event *e)
{
	if (!event_live(e))
		return -EINVAL;
	/* relaxed: clearing publishes nothing (and, a read-modify-write, it keeps
	 * the set's release sequence going for waiters that read past it) */
	__atomic_fetch_and(&e->word, ~EV_SET, __ATOMIC_RELAXED);
	return 0;
}

int par_event_is_set(const struct par_event *e)
{
	if (!event_live(e))
		return -EINVAL;
	/* acquire: pairs with the release CAS in par_event_set */
	return (__atomic_load_n(&e->word, __ATOMIC_ACQUIRE) & EV_SET) != 0;
}

int par_event_wait(struct par_event *e, int64_t timeout_ns)
{
	if (!event_live(e))
		return -EINVAL;
	/* acquire: pairs with the release CAS in par_event_set */
	uint32_t v = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
	uint32_t gen = EV_GEN(v);

	if (v & EV_SET)
		return 0;
	if (timeout_ns == 0)
		return -EAGAIN;
	int64_t deadline = par_deadline(timeout_ns);
	int timed_out = 0;
	for (;;) {
		if ((v & EV_SET) || EV_GEN(v) != gen)
			return 0; /* a set that raced the timeout still counts */
		if (timed_out)
			return -ETIMEDOUT;
		/* acquire (on failure): v is checked above; pairs with the release
		 * CAS in par_event_set */
		if (!(v & EV_WAITERS) &&
		    !__atomic_compare_exchange_n(&e->word, &v, v | EV_WAITERS, 0, __ATOMIC_ACQUIRE,
						 __ATOMIC_ACQUIRE))
			continue;
		timed_out = par_futex_wait_until(&e->word, v | EV_WAITERS, deadline) == -ETIMEDOUT;
		/* acquire: pairs with the release CAS in par_event_set */
		v = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
	}
}
