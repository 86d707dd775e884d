/* Barrier: lock-free, its whole state in one 64-bit atomic word whose low half
 * is the futex word the waiters sleep on.
 *
 *   low half:  bit 31 broken | bits 15..30 generation (wraps) | bits 0..14 count
 *   high half: bit g % 32 = 1 when generation g ended by reset, 0 by a trip
 *
 * A party arrives by adding 1 to count (its arrival index is the count before);
 * the last one instead starts the next generation (count 0) and wakes all.
 * Sleepers leave when the generation moves on (they passed, or -EPIPE if the
 * history says reset) or when broken (they take their arrival back, -EPIPE).
 * Since no step needs a lock and reset discards count, a party that dies
 * anywhere inside costs at most a reset. */
#include "sync_impl.h"

#include <errno.h>

#define B_BROKEN (UINT64_C(1) << 31)
#define B_GEN_SHIFT 15
#define B_GEN_MASK 0xffffu
#define B_COUNT_MASK 0x7fffu
#define B_HIST_SHIFT 32
#define B_HIST_SPAN 32 /* generations the history remembers */

static_assert(PAR_BARRIER_MAX_PARTIES == B_COUNT_MASK, "count field holds max parties");

static uint32_t gen_of(uint64_t s)
{
	return (uint32_t)(s >> B_GEN_SHIFT) & B_GEN_MASK;
}

static uint32_t count_of(uint64_t s)
{
	return (uint32_t)s & B_COUNT_MASK;
}

/* The first state of the generation after s's: empty, unbroken, with s's
 * generation recorded as ended by reset or not. */
static uint64_t next_gen(uint64_t s, int by_reset)
{
	uint32_t g = gen_of(s);
	uint32_t hist = (uint32_t)(s >> B_HIST_SHIFT);
	uint32_t bit = UINT32_C(1) << (g % B_HIST_SPAN);

	hist = by_reset ? hist | bit : hist & ~bit;
	return (uint64_t)hist << B_HIST_SHIFT | (uint64_t)((g + 1) & B_GEN_MASK) << B_GEN_SHIFT;
}

/* A sleeper of generation g sees s in a later one: did g end by a trip? Past
 * B_HIST_SPAN generations (only when more threads than parties share the
 * barrier and this one slept that long) the answer is lost: count it passed. */
static int passed(uint64_t s, uint32_t g)
{
	uint32_t d = (gen_of(s) - g) & B_GEN_MASK;

	return d > B_HIST_SPAN || !((s >> B_HIST_SHIFT >> (g % B_HIST_SPAN)) & 1);
}

static uint32_t *futex_word(struct par_barrier *b)
{
	return &b->s.half[__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 1];
}

static void wake_all(struct par_barrier *b)
{
	par_futex_wake(futex_word(b), -1);
}

static uint64_t load_state(const struct par_barrier *b)
{
	/* acquire: pairs with the acq_rel CAS of whoever last changed the state */
	return __atomic_load_n(&b->s.all, __ATOMIC_ACQUIRE);
}

/* acq_rel: release publishes the caller's work before the barrier; acquire
 * pairs with every earlier party's CAS (one release sequence on this word). */
static int cas_state(struct par_barrier *b, uint64_t *s, uint64_t n)
{
	return __atomic_compare_exchange_n(&b->s.all, s, n, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static int barrier_live(const struct par_barrier *b)
{
	return b != NULL && par__sync_live(b, &b->magic, PAR__BARRIER_MAGIC);
}

/* Leave broken generation g, taking back this party's arrival. */
static int leave(struct par_barrier *b, uint64_t s, uint32_t g)
{
	while (gen_of(s) == g && count_of(s) > 0 && !cas_state(b, &s, s - 1))
		;
	return -EPIPE;
}

/* Sleep as arrival s-count-1 of generation gen_of(s) until it ends. */
static int sleep_in(struct par_barrier *b, uint64_t s, int64_t deadline)
{
	uint32_t g = gen_of(s), index = count_of(s) - 1;
	int timed_out = 0;

	for (;;) {
		if (gen_of(s) != g)
			return passed(s, g) ? (int)index : -EPIPE;
		if (s & B_BROKEN)
			return leave(b, s, g);
		if (timed_out) {
			/* break it and take back this arrival; a trip just now wins */
			if (cas_state(b, &s, (s | B_BROKEN) - (count_of(s) > 0))) {
				wake_all(b);
				return -ETIMEDOUT;
			}
			continue;
		}
		timed_out =
			par_futex_wait_until(futex_word(b), (uint32_t)s, deadline) == -ETIMEDOUT;
		s = load_state(b);
	}
}

int par_barrier_wait(struct par_barrier *b, int64_t timeout_ns)
{
	if (!barrier_live(b))
		return -EINVAL;
	int64_t deadline = timeout_ns == 0 ? 0 : par_deadline(timeout_ns);
	uint64_t s = load_state(b), n;

	do {
		if (s & B_BROKEN)
			return -EPIPE;
		if (count_of(s) + 1 >= b->parties)
			n = next_gen(s, 0);
		else if (timeout_ns == 0)
			n = s | B_BROKEN; /* Python: a wait that times out breaks it */
		else
			n = s + 1;
	} while (!cas_state(b, &s, n));
	if (gen_of(n) != gen_of(s)) {
		if (count_of(s) > 0) /* else nobody sleeps: a lone party makes no call */
			wake_all(b);
		return (int)b->parties - 1;
	}
	if (n & B_BROKEN) {
		wake_all(b);
		return -ETIMEDOUT;
	}
	return sleep_in(b, n, deadline);
}

int par_barrier_abort(struct par_barrier *b)
{
	if (!barrier_live(b))
		return -EINVAL;
	uint64_t s = load_state(b);

	while (!(s & B_BROKEN))
		if (cas_state(b, &s, s | B_BROKEN)) {
			wake_all(b);
			break;
		}
	return 0;
}

int par_barrier_reset(struct par_barrier *b)
{
	if (!barrier_live(b))
		return -EINVAL;
	uint64_t s = load_state(b);

	while (!cas_state(b, &s, next_gen(s, 1)))
		;
	if (count_of(s) > 0)
		wake_all(b);
	return 0;
}

size_t par_barrier_memsize(void)
{
	return sizeof(struct par_barrier);
}

int par_barrier_init(void *mem, unsigned parties, struct par_barrier **out)
{
	if (!par__sync_aligned(mem) || out == NULL || parties == 0 ||
	    parties > PAR_BARRIER_MAX_PARTIES)
		return -EINVAL;
	struct par_barrier *b = mem;

	b->s.all = 0;
	b->parties = parties;
	/* release: pairs with the acquire load of the magic in par__sync_live */
	__atomic_store_n(&b->magic, PAR__BARRIER_MAGIC, __ATOMIC_RELEASE);
	*out = b;
	return 0;
}

int par_barrier_fini(struct par_barrier *b)
{
	if (!barrier_live(b))
		return -EINVAL;
	if (count_of(load_state(b)) > 0)
		return -EBUSY;
	__atomic_store_n(&b->magic, 0, __ATOMIC_RELAXED);
	return 0;
}

int par_barrier_create(unsigned parties, struct par_barrier **out)
{
	void *mem;

	if (out == NULL || parties == 0 || parties > PAR_BARRIER_MAX_PARTIES)
		return -EINVAL;
	int r = par__shared_alloc(sizeof(struct par_barrier), &mem);
	if (r != 0)
		return r;
	return par_barrier_init(mem, parties, out);
}

int par_barrier_destroy(struct par_barrier *b)
{
	if (!barrier_live(b) || ((uintptr_t)b & 4095) != 0)
		return -EINVAL;
	par__shared_free(b, sizeof(*b));
	return 0;
}

int par_barrier_parties(const struct par_barrier *b)
{
	return barrier_live(b) ? (int)b->parties : -EINVAL;
}

int par_barrier_n_waiting(const struct par_barrier *b)
{
	return barrier_live(b) ? (int)count_of(load_state(b)) : -EINVAL;
}

int par_barrier_broken(const struct par_barrier *b)
{
	return barrier_live(b) ? (load_state(b) & B_BROKEN) != 0 : -EINVAL;
}
