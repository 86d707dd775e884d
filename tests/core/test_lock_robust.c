/* Lock robustness: holders that die (SIGKILLed processes, exiting threads),
 * waiters that die, repair with par_lock_consistent, and what happens without
 * it. */
#include "par_test.h"

#include <par/sync.h>

#include <pthread.h>

struct guarded {
	struct par_lock *l;
	uint64_t a, b; /* a == b whenever nobody is inside */
	uint32_t held; /* a child has the lock (or has looped once) */
	uint32_t go;   /* the parent lets a child on */
	uint64_t loops[2];
};

/* 0 once *flag >= want, -1 after 10 s. No cmocka asserts: safe in threads
 * and forked children. */
static int wait_flag(uint32_t *flag, uint32_t want)
{
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	/* acquire: pairs with the release stores of the flag's writer */
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < want) {
		if (par_now_ns() >= deadline)
			return -1;
		par_sleep_ns(100000);
	}
	return 0;
}

static void await_flag(uint32_t *flag, uint32_t want)
{
	assert_int_equal(wait_flag(flag, want), 0);
}

static struct guarded *new_guarded(int recursive)
{
	struct guarded *g = par_test_shared(sizeof(*g));
	struct par_lock_opts o;

	par_lock_opts_init(&o);
	o.recursive = recursive;
	assert_int_equal(par_lock_create(&o, &g->l), 0);
	return g;
}

static void free_guarded(struct guarded *g)
{
	assert_int_equal(par_lock_destroy(g->l), 0);
	par_test_unshare(g, sizeof(*g));
}

/* Child: take the lock, leave the guarded state torn, report, and wait to be
 * killed (exits 1 after 10 s if nobody does). */
static int hold_and_wait_for_death(void *arg)
{
	struct guarded *g = arg;

	if (par_lock_acquire(g->l, PAR_FOREVER) != 0)
		return 2;
	g->a++;
	/* release: pairs with await_flag's acquire load */
	__atomic_store_n(&g->held, 1, __ATOMIC_RELEASE);
	par_sleep_ns(10 * PAR_TEST_SEC);
	return 1;
}

static void kill_holder(struct guarded *g)
{
	pid_t pid = par_test_fork(hold_and_wait_for_death, g);

	await_flag(&g->held, 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status = par_test_reap(pid, 10 * PAR_TEST_SEC);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void killed_holder_then_consistent(void **state)
{
	struct guarded *g = new_guarded(0);

	(void)state;
	kill_holder(g);
	assert_int_equal(par_lock_acquire(g->l, 5 * PAR_TEST_SEC), -EOWNERDEAD);
	assert_int_equal(g->a, g->b + 1); /* the state the dead holder left */
	g->b = g->a;
	assert_int_equal(par_lock_consistent(g->l), 0);
	assert_int_equal(par_lock_consistent(g->l), -EINVAL); /* once is enough */
	assert_int_equal(par_lock_release(g->l), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(par_lock_acquire(g->l, i == 0 ? 0 : PAR_FOREVER), 0);
		assert_int_equal(par_lock_release(g->l), 0);
	}
	free_guarded(g);
}

static void killed_holder_trylock_sees_it_too(void **state)
{
	struct guarded *g = new_guarded(1);

	(void)state;
	kill_holder(g);
	assert_int_equal(par_lock_acquire(g->l, 0), -EOWNERDEAD);
	assert_int_equal(par_lock_acquire(g->l, 0), 0); /* recursive: nests */
	assert_int_equal(par_lock_release(g->l), 0);
	assert_int_equal(par_lock_consistent(g->l), 0);
	assert_int_equal(par_lock_release(g->l), 0);
	assert_int_equal(par_lock_acquire(g->l, 0), 0);
	assert_int_equal(par_lock_release(g->l), 0);
	free_guarded(g);
}

static int child_expects(void *arg)
{
	struct guarded *g = arg;
	int r1 = par_lock_acquire(g->l, PAR_FOREVER);
	int r2 = par_lock_acquire(g->l, 0);

	return r1 == -ENOTRECOVERABLE && r2 == -ENOTRECOVERABLE ? 0 : 1;
}

static void release_without_consistent_is_unrecoverable(void **state)
{
	struct guarded *g = new_guarded(0);

	(void)state;
	kill_holder(g);
	assert_int_equal(par_lock_acquire(g->l, PAR_FOREVER), -EOWNERDEAD);
	assert_int_equal(par_lock_release(g->l), 0);
	assert_int_equal(par_lock_acquire(g->l, PAR_FOREVER), -ENOTRECOVERABLE);
	assert_int_equal(par_lock_acquire(g->l, 0), -ENOTRECOVERABLE);
	assert_int_equal(par_lock_acquire(g->l, 20 * PAR_TEST_MS), -ENOTRECOVERABLE);
	assert_int_equal(par_lock_release(g->l), -EPERM);
	assert_int_equal(par_lock_consistent(g->l), -EINVAL);
	par_test_reap_code(par_test_fork(child_expects, g), 10 * PAR_TEST_SEC, 0);
	free_guarded(g);
}

static void *take_and_exit(void *arg)
{
	return (void *)(intptr_t)par_lock_acquire(arg, PAR_FOREVER);
}

struct handover {
	struct par_lock *l;
	uint32_t held;
	uint32_t exit;
};

static void *take_hold_and_exit(void *arg)
{
	struct handover *h = arg;
	int r = par_lock_acquire(h->l, PAR_FOREVER);

	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	return (void *)(intptr_t)(wait_flag(&h->exit, 1) == 0 ? r : -ETIME);
}

static void *take_blocking(void *arg)
{
	struct handover *h = arg;

	__atomic_store_n(&h->held, 2, __ATOMIC_RELEASE);
	return (void *)(intptr_t)par_lock_acquire(h->l, 10 * PAR_TEST_SEC);
}

static void thread_exiting_holder_gives_eownerdead(void **state)
{
	struct guarded *g = new_guarded(0);
	struct handover h = { .l = g->l };
	pthread_t t, w;
	void *ret;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, take_and_exit, g->l), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((int)(intptr_t)ret, 0);
	assert_int_equal(par_lock_acquire(g->l, PAR_FOREVER), -EOWNERDEAD);
	assert_int_equal(par_lock_consistent(g->l), 0);
	assert_int_equal(par_lock_release(g->l), 0);

	/* the same for a thread already blocked on it when the holder exits */
	assert_int_equal(pthread_create(&t, NULL, take_hold_and_exit, &h), 0);
	await_flag(&h.held, 1);
	assert_int_equal(pthread_create(&w, NULL, take_blocking, &h), 0);
	await_flag(&h.held, 2);
	par_sleep_ns(20 * PAR_TEST_MS);
	__atomic_store_n(&h.exit, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_int_equal((int)(intptr_t)ret, 0);
	assert_int_equal(pthread_join(w, &ret), 0);
	assert_int_equal((int)(intptr_t)ret, -EOWNERDEAD); /* and it exited holding it */
	assert_int_equal(par_lock_acquire(g->l, 0), -EOWNERDEAD);
	assert_int_equal(par_lock_consistent(g->l), 0);
	assert_int_equal(par_lock_release(g->l), 0);
	free_guarded(g);
}

/* Child: announce, block on the lock (the parent holds it), release it. */
static int wait_for_lock(void *arg)
{
	struct guarded *g = arg;

	__atomic_fetch_add(&g->held, 1, __ATOMIC_RELEASE);
	int r = par_lock_acquire(g->l, __atomic_load_n(&g->go, __ATOMIC_RELAXED) ? 10 * PAR_TEST_SEC
										 : PAR_FOREVER);
	if (r != 0)
		return 1;
	return par_lock_release(g->l) == 0 ? 0 : 2;
}

static void killed_waiters_do_not_disturb(void **state)
{
	struct guarded *g = new_guarded(0);
	pid_t kids[4];

	(void)state;
	assert_int_equal(par_lock_acquire(g->l, 0), 0);
	for (int i = 0; i < 4; i++) {
		g->go = i % 2; /* half wait forever, half with a timeout */
		kids[i] = par_test_fork(wait_for_lock, g);
	}
	await_flag(&g->held, 4);
	par_sleep_ns(50 * PAR_TEST_MS); /* let them reach the futex */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(kill(kids[i], SIGKILL), 0);
		int status = par_test_reap(kids[i], 10 * PAR_TEST_SEC);
		assert_true(WIFSIGNALED(status));
	}
	assert_int_equal(par_lock_release(g->l), 0);
	assert_int_equal(par_lock_acquire(g->l, 0), 0);
	/* a live waiter still gets it once released */
	g->held = 0;
	pid_t pid = par_test_fork(wait_for_lock, g);
	await_flag(&g->held, 1);
	par_sleep_ns(20 * PAR_TEST_MS);
	assert_int_equal(par_lock_release(g->l), 0);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_lock_acquire(g->l, 0), 0);
	assert_int_equal(par_lock_release(g->l), 0);
	free_guarded(g);
}

/* Child: acquire / tear / spin / mend / release forever, repairing after a
 * dead peer; exits only on an error (or after 20 s). */
static int churn(void *arg)
{
	struct guarded *g = arg;
	int me = __atomic_fetch_add(&g->go, 1, __ATOMIC_RELAXED) & 1;
	int64_t deadline = par_deadline(20 * PAR_TEST_SEC);

	while (par_now_ns() < deadline) {
		int r = par_lock_acquire(g->l, 10 * PAR_TEST_SEC);
		if (r == -EOWNERDEAD) {
			g->b = g->a;
			r = par_lock_consistent(g->l);
		}
		if (r != 0)
			return 10 - r;
		if (g->a != g->b)
			return 3;
		g->a++;
		for (volatile int i = 0; i < 200; i++)
			;
		g->b++;
		__atomic_fetch_add(&g->loops[me], 1, __ATOMIC_RELAXED);
		__atomic_store_n(&g->held, 1, __ATOMIC_RELEASE);
		if (par_lock_release(g->l) != 0)
			return 4;
	}
	return 5;
}

static void kill_at_random_points_keeps_lock_working(void **state)
{
	struct guarded *g = new_guarded(0);
	unsigned seed = (unsigned)par_now_ns();
	int owner_dead = 0;

	(void)state;
	print_message("seed %u\n", seed);
	for (int round = 0; round < 20; round++) {
		pid_t kids[2];
		g->held = 0;
		for (int i = 0; i < 2; i++)
			kids[i] = par_test_fork(churn, g);
		await_flag(&g->held, 1);
		for (int i = 0; i < 2; i++) {
			par_sleep_ns((int64_t)(rand_r(&seed) % 3000) * 1000);
			assert_int_equal(kill(kids[i], SIGKILL), 0);
			int status = par_test_reap(kids[i], 10 * PAR_TEST_SEC);
			assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		}
		int r = par_lock_acquire(g->l, 5 * PAR_TEST_SEC);
		assert_true(r == 0 || r == -EOWNERDEAD);
		if (r == -EOWNERDEAD) {
			owner_dead++;
			g->b = g->a;
			assert_int_equal(par_lock_consistent(g->l), 0);
		}
		assert_int_equal(g->a, g->b);
		assert_int_equal(par_lock_release(g->l), 0);
		assert_int_equal(par_lock_acquire(g->l, 0), 0);
		assert_int_equal(par_lock_release(g->l), 0);
	}
	print_message("%d of 20 kills hit the holder; %llu + %llu loops\n", owner_dead,
		      (unsigned long long)g->loops[0], (unsigned long long)g->loops[1]);
	free_guarded(g);
}

static int child_after_go_expects(void *arg)
{
	struct guarded *g = arg;

	return wait_flag(&g->go, 1) == 0 ? child_expects(arg) : 2;
}

static void dead_owner_counts_as_free_for_fini(void **state)
{
	struct guarded *g = new_guarded(0);
	struct par_lock *inner;
	_Alignas(64) static unsigned char mem[128];

	(void)state;
	/* destroy: this mapping goes; another process's finds it unrecoverable */
	kill_holder(g);
	pid_t pid = par_test_fork(child_after_go_expects, g);
	assert_int_equal(par_lock_destroy(g->l), 0);
	__atomic_store_n(&g->go, 1, __ATOMIC_RELEASE);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	/* fini: a thread died holding it */
	assert_int_equal(par_lock_init(mem, NULL, &inner), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, take_and_exit, inner), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(par_lock_fini(inner), 0);
	assert_int_equal(par_lock_acquire(inner, 0), -EINVAL);
	par_test_unshare(g, sizeof(*g));
}

static void value_add_repairs_dead_holder(void **state)
{
	struct par_value *v;
	int64_t x = 0;

	(void)state;
	assert_int_equal(par_value_create(10, &v), 0);
	struct guarded *g = par_test_shared(sizeof(*g));
	g->l = par_value_lock(v);
	kill_holder(g);
	assert_int_equal(par_value_add(v, 5, &x), 0);
	assert_int_equal(x, 15);
	assert_int_equal(par_lock_acquire(par_value_lock(v), 0), 0);
	assert_int_equal(par_lock_release(par_value_lock(v)), 0);
	assert_int_equal(par_value_load(v), 15);
	assert_int_equal(par_value_destroy(v), 0);
	par_test_unshare(g, sizeof(*g));
}

struct value_after {
	struct par_value *v;
	uint32_t go;
};

/* Child: after go, the value must work as if nothing had happened. */
static int value_still_works(void *arg)
{
	struct value_after *a = arg;
	int64_t x = 0;

	if (wait_flag(&a->go, 1) != 0)
		return 1;
	if (par_value_add(a->v, 1, &x) != 0 || x != 4)
		return 2;
	if (par_lock_acquire(par_value_lock(a->v), 0) != 0)
		return 3;
	return par_lock_release(par_value_lock(a->v)) == 0 ? 0 : 4;
}

static void value_destroy_after_dead_holder_leaves_it_working(void **state)
{
	struct value_after *a = par_test_shared(sizeof(*a));
	struct guarded *g = par_test_shared(sizeof(*g));

	(void)state;
	assert_int_equal(par_value_create(3, &a->v), 0);
	g->l = par_value_lock(a->v);
	kill_holder(g);
	pid_t pid = par_test_fork(value_still_works, a);
	assert_int_equal(par_value_destroy(a->v), 0);
	__atomic_store_n(&a->go, 1, __ATOMIC_RELEASE);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	par_test_unshare(g, sizeof(*g));
	par_test_unshare(a, sizeof(*a));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(killed_holder_then_consistent),
	cmocka_unit_test(killed_holder_trylock_sees_it_too),
	cmocka_unit_test(release_without_consistent_is_unrecoverable),
	cmocka_unit_test(thread_exiting_holder_gives_eownerdead),
	cmocka_unit_test(killed_waiters_do_not_disturb),
	cmocka_unit_test(kill_at_random_points_keeps_lock_working),
	cmocka_unit_test(dead_owner_counts_as_free_for_fini),
	cmocka_unit_test(value_add_repairs_dead_holder),
	cmocka_unit_test(value_destroy_after_dead_holder_leaves_it_working),
};

PAR_TEST_MAIN(tests)
