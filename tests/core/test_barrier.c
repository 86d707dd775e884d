/* Barrier: arrival indices across forked processes and generations, timeouts
 * that break it, abort, reset (also under blocked and dead waiters). */
#include "par_test.h"

#include <par/sync.h>

#include <pthread.h>

struct bar_mem {
	_Alignas(4096) unsigned char pad[64];
	unsigned char mem[128];
};

static struct bar_mem bm;

/* 0 once n_waiting(b) >= want, -1 after 10 s. */
static int await_waiting(struct par_barrier *b, int want)
{
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	while (par_barrier_n_waiting(b) < want) {
		if (par_now_ns() >= deadline)
			return -1;
		par_sleep_ns(100000);
	}
	return 0;
}

/* The exit code a child reports for a wait result: 0 for -EPIPE, 1 for
 * -ETIMEDOUT, 2 for another error, 10 + index when it passed. */
static int code_of(int r)
{
	return r == -EPIPE ? 0 : r == -ETIMEDOUT ? 1 : r < 0 ? 2 : 10 + r;
}

static int wait_once(void *arg)
{
	return code_of(par_barrier_wait(arg, 10 * PAR_TEST_SEC));
}

static void parties_are_validated(void **state)
{
	struct par_barrier *b = NULL;

	(void)state;
	assert_int_equal(par_barrier_memsize() % PAR_SYNC_ALIGN, 0);
	assert_true(par_barrier_memsize() <= sizeof(bm.mem));
	assert_int_equal(par_barrier_init(bm.mem, 0, &b), -EINVAL);
	assert_int_equal(par_barrier_init(bm.mem, PAR_BARRIER_MAX_PARTIES + 1, &b), -EINVAL);
	assert_int_equal(par_barrier_create(0, &b), -EINVAL);
	assert_int_equal(par_barrier_create(PAR_BARRIER_MAX_PARTIES + 1, &b), -EINVAL);
	assert_int_equal(par_barrier_init(bm.mem, PAR_BARRIER_MAX_PARTIES, &b), 0);
	assert_int_equal(par_barrier_parties(b), (int)PAR_BARRIER_MAX_PARTIES);
	assert_int_equal(par_barrier_n_waiting(b), 0);
	assert_int_equal(par_barrier_broken(b), 0);
	assert_int_equal(par_barrier_fini(b), 0);
	assert_int_equal(par_barrier_init(bm.mem, 3, &b), 0);
	assert_int_equal(par_barrier_parties(b), 3);
	assert_int_equal(par_barrier_fini(b), 0);
}

static void bad_handles_are_einval(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_init(NULL, 2, &b), -EINVAL);
	assert_int_equal(par_barrier_init(bm.mem + 16, 2, &b), -EINVAL);
	assert_int_equal(par_barrier_init(bm.mem, 2, NULL), -EINVAL);
	assert_int_equal(par_barrier_create(2, NULL), -EINVAL);
	assert_int_equal(par_barrier_wait(NULL, 0), -EINVAL);
	assert_int_equal(par_barrier_abort(NULL), -EINVAL);
	assert_int_equal(par_barrier_reset(NULL), -EINVAL);
	assert_int_equal(par_barrier_parties(NULL), -EINVAL);
	assert_int_equal(par_barrier_n_waiting(NULL), -EINVAL);
	assert_int_equal(par_barrier_broken(NULL), -EINVAL);
	assert_int_equal(par_barrier_fini(NULL), -EINVAL);
	assert_int_equal(par_barrier_destroy(NULL), -EINVAL);
	memset(bm.mem, 0, sizeof(bm.mem));
	b = (struct par_barrier *)bm.mem;
	assert_int_equal(par_barrier_wait(b, PAR_FOREVER), -EINVAL);
	assert_int_equal(par_barrier_init(bm.mem, 2, &b), 0);
	assert_int_equal(par_barrier_destroy(b), -EINVAL); /* not a mapping of its own */
	assert_int_equal(par_barrier_fini(b), 0);
	assert_int_equal(par_barrier_wait(b, 0), -EINVAL);
	assert_int_equal(par_barrier_parties(b), -EINVAL);
}

static void single_party_always_passes(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_create(1, &b), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(par_barrier_wait(b, PAR_FOREVER), 0);
		assert_int_equal(par_barrier_wait(b, 0), 0);
	}
	assert_int_equal(par_barrier_destroy(b), 0);
}

#define NPROC 4
#define GENS 200

struct gens {
	struct par_barrier *b;
	uint32_t next_id;
	int8_t index[GENS][NPROC];
	uint32_t arrived[GENS]; /* how many had arrived at generation g, read after it */
};

/* Child: GENS generations, recording its index in each; checks that everybody
 * had arrived at a generation before anybody left it. */
static int gens_worker(void *arg)
{
	struct gens *s = arg;
	int id = (int)__atomic_fetch_add(&s->next_id, 1, __ATOMIC_RELAXED);

	for (int g = 0; g < GENS; g++) {
		__atomic_fetch_add(&s->arrived[g], 1, __ATOMIC_RELAXED);
		int r = par_barrier_wait(s->b, 10 * PAR_TEST_SEC);
		if (r < 0)
			return code_of(r) + 100;
		s->index[g][id] = (int8_t)r;
		/* ordered after every party's increment by the barrier's acq_rel */
		if (__atomic_load_n(&s->arrived[g], __ATOMIC_RELAXED) != NPROC)
			return 99;
	}
	return 0;
}

static void processes_get_distinct_indices_per_generation(void **state)
{
	struct gens *s = par_test_shared(sizeof(*s));
	pid_t kids[NPROC];

	(void)state;
	assert_int_equal(par_barrier_create(NPROC, &s->b), 0);
	for (int i = 0; i < NPROC; i++)
		kids[i] = par_test_fork(gens_worker, s);
	for (int i = 0; i < NPROC; i++)
		par_test_reap_code(kids[i], 50 * PAR_TEST_SEC, 0);
	for (int g = 0; g < GENS; g++) {
		int seen = 0;
		for (int i = 0; i < NPROC; i++) {
			int x = s->index[g][i];
			assert_true(x >= 0 && x < NPROC);
			assert_false(seen & (1 << x));
			seen |= 1 << x;
		}
		assert_int_equal(seen, (1 << NPROC) - 1);
	}
	assert_int_equal(par_barrier_n_waiting(s->b), 0);
	assert_int_equal(par_barrier_broken(s->b), 0);
	assert_int_equal(par_barrier_destroy(s->b), 0);
	par_test_unshare(s, sizeof(*s));
}

static void timeout_breaks_it_for_everyone(void **state)
{
	struct par_barrier *b;
	pid_t kids[2];

	(void)state;
	assert_int_equal(par_barrier_create(4, &b), 0);
	for (int i = 0; i < 2; i++)
		kids[i] = par_test_fork(wait_once, b);
	assert_int_equal(await_waiting(b, 2), 0);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_barrier_wait(b, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	assert_int_equal(par_barrier_broken(b), 1);
	for (int i = 0; i < 2; i++)
		par_test_reap_code(kids[i], 10 * PAR_TEST_SEC, 0); /* -EPIPE */
	assert_int_equal(par_barrier_n_waiting(b), 0);
	assert_int_equal(par_barrier_wait(b, PAR_FOREVER), -EPIPE); /* at once */
	assert_int_equal(par_barrier_wait(b, 0), -EPIPE);
	assert_int_equal(par_barrier_reset(b), 0);
	assert_int_equal(par_barrier_broken(b), 0);
	assert_int_equal(par_barrier_destroy(b), 0);
}

static void timeout_zero_breaks_unless_last(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_create(2, &b), 0);
	assert_int_equal(par_barrier_wait(b, 0), -ETIMEDOUT);
	assert_int_equal(par_barrier_broken(b), 1);
	assert_int_equal(par_barrier_n_waiting(b), 0);
	assert_int_equal(par_barrier_reset(b), 0);
	/* the last arriver with timeout 0 just trips it */
	pid_t pid = par_test_fork(wait_once, b);
	assert_int_equal(await_waiting(b, 1), 0);
	assert_int_equal(par_barrier_wait(b, 0), 1);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 10 + 0);
	assert_int_equal(par_barrier_destroy(b), 0);
}

static void abort_releases_waiters(void **state)
{
	struct par_barrier *b;
	pid_t kids[2];

	(void)state;
	assert_int_equal(par_barrier_create(3, &b), 0);
	for (int i = 0; i < 2; i++)
		kids[i] = par_test_fork(wait_once, b);
	assert_int_equal(await_waiting(b, 2), 0);
	assert_int_equal(par_barrier_abort(b), 0);
	assert_int_equal(par_barrier_abort(b), 0);
	for (int i = 0; i < 2; i++)
		par_test_reap_code(kids[i], 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_barrier_broken(b), 1);
	assert_int_equal(par_barrier_wait(b, 10 * PAR_TEST_SEC), -EPIPE);
	assert_int_equal(par_barrier_fini(b), 0); /* nobody is waiting */
	assert_int_equal(par_barrier_init(bm.mem, 1, &b), 0);
	assert_int_equal(par_barrier_abort(b), 0);
	assert_int_equal(par_barrier_wait(b, 0), -EPIPE); /* even a lone party */
	assert_int_equal(par_barrier_fini(b), 0);
}

static void reset_then_reuse(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_create(2, &b), 0);
	assert_int_equal(par_barrier_abort(b), 0);
	assert_int_equal(par_barrier_reset(b), 0);
	assert_int_equal(par_barrier_broken(b), 0);
	assert_int_equal(par_barrier_reset(b), 0); /* on an empty one: harmless */
	for (int round = 0; round < 3; round++) {
		pid_t pid = par_test_fork(wait_once, b);
		int r = par_barrier_wait(b, 10 * PAR_TEST_SEC);
		assert_true(r == 0 || r == 1);
		par_test_reap_code(pid, 10 * PAR_TEST_SEC, 10 + (1 - r));
	}
	assert_int_equal(par_barrier_destroy(b), 0);
}

static void reset_releases_blocked_waiter_with_epipe(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_create(3, &b), 0);
	pid_t pid = par_test_fork(wait_once, b);
	assert_int_equal(await_waiting(b, 1), 0);
	assert_int_equal(par_barrier_fini(b), -EBUSY);
	assert_int_equal(par_barrier_reset(b), 0);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_barrier_n_waiting(b), 0);
	assert_int_equal(par_barrier_broken(b), 0);
	/* and it works as a 3-party barrier again */
	pid_t kids[2];
	for (int i = 0; i < 2; i++)
		kids[i] = par_test_fork(wait_once, b);
	int r = par_barrier_wait(b, 10 * PAR_TEST_SEC);
	assert_true(r >= 0 && r < 3);
	int codes = 1 << r;
	for (int i = 0; i < 2; i++) {
		int status = par_test_reap(kids[i], 10 * PAR_TEST_SEC);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) >= 10);
		codes |= 1 << (WEXITSTATUS(status) - 10);
	}
	assert_int_equal(codes, 7);
	assert_int_equal(par_barrier_destroy(b), 0);
}

/* A sleeper whose generation was reset must get -EPIPE even when it wakes only
 * after later generations have come and gone. */
struct late {
	struct par_barrier *b;
	int rc;
};

static void *late_sleeper(void *arg)
{
	struct late *l = arg;

	l->rc = par_barrier_wait(l->b, 10 * PAR_TEST_SEC);
	return NULL;
}

static void *plain_wait(void *arg)
{
	return (void *)(intptr_t)par_barrier_wait(arg, 10 * PAR_TEST_SEC);
}

static void reset_is_remembered_across_generations(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_create(2, &b), 0);
	for (int round = 0; round < 20; round++) {
		struct late l = { .b = b, .rc = 99 };
		pthread_t t, u;
		void *ret;

		assert_int_equal(pthread_create(&t, NULL, late_sleeper, &l), 0);
		assert_int_equal(await_waiting(b, 1), 0);
		assert_int_equal(par_barrier_reset(b), 0);
		if (round % 2) {
			assert_int_equal(par_barrier_reset(b), 0);
		} else {
			/* a whole new generation passes before the sleeper may look */
			assert_int_equal(pthread_create(&u, NULL, plain_wait, b), 0);
			int r = par_barrier_wait(b, 10 * PAR_TEST_SEC);
			assert_int_equal(pthread_join(u, &ret), 0);
			assert_int_equal(r + (int)(intptr_t)ret, 1);
		}
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(l.rc, -EPIPE);
	}
	assert_int_equal(par_barrier_destroy(b), 0);
}

/* Child: arrive, then wait to be killed inside the barrier. */
static int arrive_and_die(void *arg)
{
	par_barrier_wait(arg, 10 * PAR_TEST_SEC);
	return 3;
}

static void dead_waiter_then_reset_then_works(void **state)
{
	struct par_barrier *b;

	(void)state;
	assert_int_equal(par_barrier_create(2, &b), 0);
	pid_t pid = par_test_fork(arrive_and_die, b);
	assert_int_equal(await_waiting(b, 1), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_true(WIFSIGNALED(par_test_reap(pid, 10 * PAR_TEST_SEC)));
	assert_int_equal(par_barrier_n_waiting(b), 1); /* the dead one still counts */
	assert_int_equal(par_barrier_reset(b), 0);
	assert_int_equal(par_barrier_n_waiting(b), 0);
	for (int round = 0; round < 3; round++) {
		pid = par_test_fork(wait_once, b);
		int r = par_barrier_wait(b, 10 * PAR_TEST_SEC);
		assert_true(r == 0 || r == 1);
		par_test_reap_code(pid, 10 * PAR_TEST_SEC, 10 + (1 - r));
	}
	assert_int_equal(par_barrier_destroy(b), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(parties_are_validated),
	cmocka_unit_test(bad_handles_are_einval),
	cmocka_unit_test(single_party_always_passes),
	cmocka_unit_test(processes_get_distinct_indices_per_generation),
	cmocka_unit_test(timeout_breaks_it_for_everyone),
	cmocka_unit_test(timeout_zero_breaks_unless_last),
	cmocka_unit_test(abort_releases_waiters),
	cmocka_unit_test(reset_then_reuse),
	cmocka_unit_test(reset_releases_blocked_waiter_with_epipe),
	cmocka_unit_test(reset_is_remembered_across_generations),
	cmocka_unit_test(dead_waiter_then_reset_then_works),
};

PAR_TEST_MAIN(tests)
