/* Lock, Event, Barrier, Value and futex handoff between threads only: the
 * program the ThreadSanitizer build runs. Plain (non-atomic) data is passed
 * through each object, so a missing happens-before edge is a reported race. */
#include "par_test.h"

#include <par/sync.h>

#include <pthread.h>
#include <sched.h>

#define NTHREADS 4

static void run_threads(void *(*fn)(void *), void *arg, void *ret[NTHREADS])
{
	pthread_t t[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, fn, arg), 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(t[i], &ret[i]), 0);
}

static void assert_all_null(void *ret[NTHREADS])
{
	for (int i = 0; i < NTHREADS; i++)
		assert_null(ret[i]);
}

/* ---- Lock ---------------------------------------------------------------- */

#define LOCK_ROUNDS 100000

struct counted {
	struct par_lock *l;
	uint64_t counter; /* plain: only the lock orders it */
	int64_t timeout;
};

static void *locked_increments(void *arg)
{
	struct counted *c = arg;

	for (int i = 0; i < LOCK_ROUNDS; i++) {
		int r;
		while ((r = par_lock_acquire(c->l, c->timeout)) == -EAGAIN)
			sched_yield(); /* timeout 0: try again */
		if (r != 0)
			return (void *)"acquire";
		c->counter++;
		if (par_lock_release(c->l) != 0)
			return (void *)"release";
	}
	return NULL;
}

static void lock_increments_exact(void **state)
{
	_Alignas(64) static unsigned char mem[256];
	int64_t timeouts[] = { PAR_FOREVER, 10 * PAR_TEST_SEC, 0 };
	void *ret[NTHREADS];

	(void)state;
	for (int k = 0; k < 3; k++) {
		struct counted c = { .timeout = timeouts[k] };
		struct par_lock_opts o;
		par_lock_opts_init(&o);
		o.recursive = k == 1;
		assert_int_equal(par_lock_init(mem, &o, &c.l), 0);
		run_threads(locked_increments, &c, ret);
		assert_all_null(ret);
		assert_int_equal(c.counter, (uint64_t)NTHREADS * LOCK_ROUNDS);
		assert_int_equal(par_lock_fini(c.l), 0);
	}
}

static void *exit_holding(void *arg)
{
	return (void *)(intptr_t)par_lock_acquire(arg, PAR_FOREVER);
}

static void lock_owner_death_between_threads(void **state)
{
	struct par_lock *l;
	pthread_t t;
	void *ret;

	(void)state;
	assert_int_equal(par_lock_create(NULL, &l), 0);
	assert_int_equal(pthread_create(&t, NULL, exit_holding, l), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((int)(intptr_t)ret, 0);
	assert_int_equal(par_lock_acquire(l, PAR_FOREVER), -EOWNERDEAD);
	assert_int_equal(par_lock_consistent(l), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_destroy(l), 0);
}

/* ---- Event --------------------------------------------------------------- */

struct evt {
	struct par_event *e;
	uint32_t arrived;
	int payload; /* plain: written before set, read after wait */
};

static void *event_waiter(void *arg)
{
	struct evt *s = arg;

	__atomic_fetch_add(&s->arrived, 1, __ATOMIC_RELAXED);
	if (par_event_wait(s->e, 10 * PAR_TEST_SEC) != 0)
		return (void *)"wait";
	return s->payload == 1234 ? NULL : (void *)"payload";
}

static void event_wakes_several_threads(void **state)
{
	struct evt s = { 0 };
	pthread_t t[NTHREADS];
	void *ret;

	(void)state;
	assert_int_equal(par_event_create(&s.e), 0);
	for (int round = 0; round < 20; round++) {
		s.arrived = 0;
		for (int i = 0; i < NTHREADS; i++)
			assert_int_equal(pthread_create(&t[i], NULL, event_waiter, &s), 0);
		if (round % 2) /* let them fall asleep every other round */
			while (__atomic_load_n(&s.arrived, __ATOMIC_RELAXED) < NTHREADS)
				par_sleep_ns(100000);
		s.payload = 1234;
		assert_int_equal(par_event_set(s.e), 0);
		for (int i = 0; i < NTHREADS; i++) {
			assert_int_equal(pthread_join(t[i], &ret), 0);
			assert_null(ret);
		}
		assert_int_equal(par_event_clear(s.e), 0);
		s.payload = 0;
	}
	assert_int_equal(par_event_destroy(s.e), 0);
}

/* ---- Barrier ------------------------------------------------------------- */

#define BAR_GENS 1000

struct bar {
	struct par_barrier *b;
	uint32_t next_id;
	int16_t index[BAR_GENS][NTHREADS];
	int slot[2][NTHREADS]; /* plain: written before a generation, read after */
};

static void *barrier_worker(void *arg)
{
	struct bar *s = arg;
	int id = (int)__atomic_fetch_add(&s->next_id, 1, __ATOMIC_RELAXED);

	for (int g = 0; g < BAR_GENS; g++) {
		s->slot[g % 2][id] = g;
		int r = par_barrier_wait(s->b, 10 * PAR_TEST_SEC);
		if (r < 0)
			return (void *)"wait";
		s->index[g][id] = (int16_t)r;
		for (int i = 0; i < NTHREADS; i++)
			if (s->slot[g % 2][i] != g)
				return (void *)"slot";
	}
	return NULL;
}

static void barrier_generations_distinct_indices(void **state)
{
	static struct bar s;
	void *ret[NTHREADS];

	(void)state;
	assert_int_equal(par_barrier_create(NTHREADS, &s.b), 0);
	run_threads(barrier_worker, &s, ret);
	assert_all_null(ret);
	for (int g = 0; g < BAR_GENS; g++) {
		int seen = 0;
		for (int i = 0; i < NTHREADS; i++) {
			int x = s.index[g][i];
			assert_true(x >= 0 && x < NTHREADS);
			seen |= 1 << x;
		}
		assert_int_equal(seen, (1 << NTHREADS) - 1);
	}
	assert_int_equal(par_barrier_n_waiting(s.b), 0);
	assert_int_equal(par_barrier_destroy(s.b), 0);
}

struct aborted {
	struct par_barrier *b;
	int rc[NTHREADS];
	uint32_t next_id;
};

static void *wait_for_abort(void *arg)
{
	struct aborted *s = arg;
	int id = (int)__atomic_fetch_add(&s->next_id, 1, __ATOMIC_RELAXED);

	s->rc[id] = par_barrier_wait(s->b, 10 * PAR_TEST_SEC);
	return NULL;
}

static void barrier_abort_and_reset_release_threads(void **state)
{
	struct aborted s = { 0 };
	void *ret[NTHREADS];
	pthread_t t[NTHREADS];

	(void)state;
	assert_int_equal(par_barrier_create(NTHREADS + 1, &s.b), 0);
	for (int round = 0; round < 2; round++) {
		s.next_id = 0;
		for (int i = 0; i < NTHREADS; i++)
			assert_int_equal(pthread_create(&t[i], NULL, wait_for_abort, &s), 0);
		while (par_barrier_n_waiting(s.b) < NTHREADS)
			par_sleep_ns(100000);
		assert_int_equal(round ? par_barrier_reset(s.b) : par_barrier_abort(s.b), 0);
		for (int i = 0; i < NTHREADS; i++)
			assert_int_equal(pthread_join(t[i], &ret[i]), 0);
		for (int i = 0; i < NTHREADS; i++) /* rc is by arrival, not by t[] */
			assert_int_equal(s.rc[i], -EPIPE);
		memset(s.rc, 0, sizeof(s.rc));
		assert_int_equal(par_barrier_reset(s.b), 0);
	}
	assert_int_equal(par_barrier_destroy(s.b), 0);
}

/* ---- Value --------------------------------------------------------------- */

#define VALUE_ROUNDS 100000

static void *value_adder(void *arg)
{
	struct par_value *v = arg;
	int64_t last = INT64_MIN, x;

	for (int i = 0; i < VALUE_ROUNDS; i++) {
		if (par_value_add(v, 2, &x) != 0)
			return (void *)"add";
		if (x <= last || x % 2 != 0)
			return (void *)"order";
		last = x;
		(void)par_value_load(v);
	}
	return NULL;
}

static void value_add_from_threads_exact(void **state)
{
	struct par_value *v;
	void *ret[NTHREADS];

	(void)state;
	assert_int_equal(par_value_create(0, &v), 0);
	run_threads(value_adder, v, ret);
	assert_all_null(ret);
	assert_int_equal(par_value_load(v), 2 * NTHREADS * VALUE_ROUNDS);
	assert_int_equal(par_value_destroy(v), 0);
}

/* ---- futex handoff ------------------------------------------------------- */

#define HANDOFFS 20000

/* Two threads pass a baton: turn is whose move it is (0 or 1); the data moved
 * with it is plain. */
struct baton {
	uint32_t turn;
	uint64_t data;
};

struct player {
	struct baton *b;
	uint32_t me;
};

static void *play(void *arg)
{
	struct player *p = arg;
	struct baton *b = p->b;
	int64_t deadline = par_deadline(30 * PAR_TEST_SEC);

	for (int i = 0; i < HANDOFFS; i++) {
		uint32_t t;
		/* acquire: pairs with the other player's release store of turn */
		while ((t = __atomic_load_n(&b->turn, __ATOMIC_ACQUIRE)) != p->me)
			if (par_futex_wait_until(&b->turn, t, deadline) == -ETIMEDOUT)
				return (void *)"timeout";
		if (b->data != (uint64_t)(2 * i + p->me))
			return (void *)"data";
		b->data++;
		/* release: pairs with the other player's acquire load of turn */
		__atomic_store_n(&b->turn, 1 - p->me, __ATOMIC_RELEASE);
		par_futex_wake(&b->turn, 1);
	}
	return NULL;
}

static void futex_handoff_between_threads(void **state)
{
	struct baton b = { 0 };
	struct player p[2] = { { &b, 0 }, { &b, 1 } };
	pthread_t t[2];
	void *ret;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, play, &p[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(b.data, 2 * HANDOFFS);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(lock_increments_exact),
	cmocka_unit_test(lock_owner_death_between_threads),
	cmocka_unit_test(event_wakes_several_threads),
	cmocka_unit_test(barrier_generations_distinct_indices),
	cmocka_unit_test(barrier_abort_and_reset_release_threads),
	cmocka_unit_test(value_add_from_threads_exact),
	cmocka_unit_test(futex_handoff_between_threads),
};

PAR_TEST_MAIN(tests)
