/* Lock: acquire/release, timeouts, error codes, recursion, teardown, and mutual
 * exclusion across threads and forked processes. */
#include "par_test.h"

#include <par/sync.h>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>

/* 64-aligned but never page-aligned memory, so a mistaken destroy could not
 * unmap it. */
struct lock_mem {
	_Alignas(4096) unsigned char pad[64];
	unsigned char mem[256];
};

static struct lock_mem lm;

static struct par_lock *new_lock(int recursive)
{
	struct par_lock_opts o;
	struct par_lock *l = NULL;

	par_lock_opts_init(&o);
	o.recursive = recursive;
	assert_int_equal(par_lock_init(lm.mem, &o, &l), 0);
	assert_ptr_equal(l, lm.mem);
	return l;
}

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

static void opts_and_memsize(void **state)
{
	struct par_lock_opts o;

	(void)state;
	memset(&o, 0xff, sizeof(o));
	par_lock_opts_init(&o);
	assert_int_equal(o.size, sizeof(o));
	assert_int_equal(o.recursive, 0);
	par_lock_opts_init(NULL);
	assert_true(par_lock_memsize() >= 40);
	assert_int_equal(par_lock_memsize() % PAR_SYNC_ALIGN, 0);
	assert_true(par_lock_memsize() <= sizeof(lm.mem));
}

static void init_acquire_release(void **state)
{
	struct par_lock *l = NULL;

	(void)state;
	assert_int_equal(par_lock_init(lm.mem, NULL, &l), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(par_lock_acquire(l, PAR_FOREVER), 0);
		assert_int_equal(par_lock_release(l), 0);
		assert_int_equal(par_lock_acquire(l, 0), 0);
		assert_int_equal(par_lock_release(l), 0);
		assert_int_equal(par_lock_acquire(l, 50 * PAR_TEST_MS), 0);
		assert_int_equal(par_lock_release(l), 0);
	}
	assert_int_equal(par_lock_fini(l), 0);
}

static void create_and_destroy(void **state)
{
	struct par_lock *l = NULL;
	struct par_lock_opts o;

	(void)state;
	assert_int_equal(par_lock_create(NULL, &l), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_destroy(l), 0);
	par_lock_opts_init(&o);
	o.recursive = 1;
	assert_int_equal(par_lock_create(&o, &l), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_destroy(l), 0);
}

static void bad_arguments_are_einval(void **state)
{
	struct par_lock *l = NULL;
	struct par_lock_opts o;

	(void)state;
	assert_int_equal(par_lock_init(NULL, NULL, &l), -EINVAL);
	assert_int_equal(par_lock_init(lm.mem + 8, NULL, &l), -EINVAL);
	assert_int_equal(par_lock_init(lm.mem, NULL, NULL), -EINVAL);
	par_lock_opts_init(&o);
	o.size = 2;
	assert_int_equal(par_lock_init(lm.mem, &o, &l), -EINVAL);
	assert_int_equal(par_lock_create(&o, &l), -EINVAL);
	assert_int_equal(par_lock_create(NULL, NULL), -EINVAL);
	assert_int_equal(par_lock_acquire(NULL, 0), -EINVAL);
	assert_int_equal(par_lock_release(NULL), -EINVAL);
	assert_int_equal(par_lock_consistent(NULL), -EINVAL);
	assert_int_equal(par_lock_fini(NULL), -EINVAL);
	assert_int_equal(par_lock_destroy(NULL), -EINVAL);
	/* zeroed and garbage memory is not a lock */
	memset(lm.mem, 0, sizeof(lm.mem));
	l = (struct par_lock *)lm.mem;
	assert_int_equal(par_lock_acquire(l, PAR_FOREVER), -EINVAL);
	assert_int_equal(par_lock_release(l), -EINVAL);
	assert_int_equal(par_lock_fini(l), -EINVAL);
	memset(lm.mem, 0x5a, sizeof(lm.mem));
	assert_int_equal(par_lock_acquire(l, 0), -EINVAL);
	/* a finished lock is no longer one; an init'd one is not destroy's */
	l = new_lock(0);
	assert_int_equal(par_lock_destroy(l), -EINVAL);
	assert_int_equal(par_lock_fini(l), 0);
	assert_int_equal(par_lock_acquire(l, 0), -EINVAL);
	assert_int_equal(par_lock_fini(l), -EINVAL);
}

static void old_opts_size_takes_defaults(void **state)
{
	struct par_lock_opts o;
	struct par_lock *l;

	(void)state;
	par_lock_opts_init(&o);
	o.recursive = 1;
	o.size = sizeof(size_t); /* a caller built before 'recursive' existed */
	assert_int_equal(par_lock_init(lm.mem, &o, &l), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_acquire(l, 0), -EDEADLK);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_fini(l), 0);
}

struct holder {
	struct par_lock *l;
	uint32_t held;	  /* 1 once the holder has the lock */
	uint32_t release; /* set by the test to let the holder go */
	int rc;
};

static void *hold_until_told(void *arg)
{
	struct holder *h = arg;

	h->rc = par_lock_acquire(h->l, PAR_FOREVER);
	/* release: pairs with await_flag's acquire load */
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	if (wait_flag(&h->release, 1) != 0)
		h->rc = -ETIME;
	if (h->rc == 0)
		h->rc = par_lock_release(h->l);
	return NULL;
}

static void busy_by_thread_eagain_and_etimedout(void **state)
{
	struct holder h = { .l = new_lock(0) };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, hold_until_told, &h), 0);
	await_flag(&h.held, 1);
	assert_int_equal(par_lock_acquire(h.l, 0), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_lock_acquire(h.l, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	assert_int_equal(par_lock_release(h.l), -EPERM);
	assert_int_equal(par_lock_consistent(h.l), -EINVAL);
	assert_int_equal(par_lock_fini(h.l), -EBUSY);
	__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(h.rc, 0);
	assert_int_equal(par_lock_acquire(h.l, 0), 0);
	assert_int_equal(par_lock_release(h.l), 0);
	assert_int_equal(par_lock_fini(h.l), 0);
}

static void timed_acquire_gets_lock_released_in_time(void **state)
{
	struct holder h = { .l = new_lock(0) };
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, hold_until_told, &h), 0);
	await_flag(&h.held, 1);
	__atomic_store_n(&h.release, 1, __ATOMIC_RELEASE);
	assert_int_equal(par_lock_acquire(h.l, 10 * PAR_TEST_SEC), 0);
	assert_int_equal(par_lock_release(h.l), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(h.rc, 0);
	assert_int_equal(par_lock_fini(h.l), 0);
}

/* Child: take the lock, report, wait to be told, release. Exit 0 on success. */
static int child_holds(void *arg)
{
	struct holder *h = arg;

	if (par_lock_acquire(h->l, PAR_FOREVER) != 0)
		return 1;
	__atomic_store_n(&h->held, 1, __ATOMIC_RELEASE);
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);
	while (__atomic_load_n(&h->release, __ATOMIC_ACQUIRE) == 0) {
		if (par_now_ns() > deadline)
			return 2;
		par_sleep_ns(100000);
	}
	return par_lock_release(h->l) == 0 ? 0 : 3;
}

static void busy_by_process_eagain_and_etimedout(void **state)
{
	struct holder *h = par_test_shared(sizeof(*h));
	struct par_lock *l;

	(void)state;
	assert_int_equal(par_lock_create(NULL, &l), 0);
	h->l = l;
	pid_t pid = par_test_fork(child_holds, h);
	await_flag(&h->held, 1);
	assert_int_equal(par_lock_acquire(l, 0), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_lock_acquire(l, 40 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 40 * PAR_TEST_MS);
	assert_int_equal(par_lock_release(l), -EPERM);
	assert_int_equal(par_lock_destroy(l), -EBUSY);
	__atomic_store_n(&h->release, 1, __ATOMIC_RELEASE);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_destroy(l), 0);
	par_test_unshare(h, sizeof(*h));
}

static void self_relock_is_edeadlk(void **state)
{
	struct par_lock *l = new_lock(0);

	(void)state;
	assert_int_equal(par_lock_acquire(l, PAR_FOREVER), 0);
	assert_int_equal(par_lock_acquire(l, PAR_FOREVER), -EDEADLK);
	assert_int_equal(par_lock_acquire(l, 0), -EDEADLK);
	assert_int_equal(par_lock_acquire(l, 20 * PAR_TEST_MS), -EDEADLK);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_release(l), -EPERM);
	assert_int_equal(par_lock_fini(l), 0);
}

static void release_unowned_is_eperm(void **state)
{
	struct par_lock *l = new_lock(0);

	(void)state;
	assert_int_equal(par_lock_release(l), -EPERM);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_release(l), -EPERM);
	assert_int_equal(par_lock_acquire(l, 0), 0); /* the failed releases changed nothing */
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_fini(l), 0);
}

static int child_release_then_try(void *arg)
{
	struct par_lock *l = arg;

	if (par_lock_release(l) != -EPERM)
		return 1;
	if (par_lock_acquire(l, 0) != -EAGAIN) /* held by the parent's thread */
		return 2;
	return 0;
}

static void release_by_other_process_is_eperm(void **state)
{
	struct par_lock *l;

	(void)state;
	assert_int_equal(par_lock_create(NULL, &l), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	par_test_reap_code(par_test_fork(child_release_then_try, l), 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_destroy(l), 0);
}

static void *try_once(void *arg)
{
	return (void *)(intptr_t)par_lock_acquire(arg, 0);
}

static int try_from_thread(struct par_lock *l)
{
	pthread_t t;
	void *ret;

	assert_int_equal(pthread_create(&t, NULL, try_once, l), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	return (int)(intptr_t)ret;
}

static void recursive_lock_nests(void **state)
{
	struct par_lock *l = new_lock(1);

	(void)state;
	assert_int_equal(par_lock_acquire(l, PAR_FOREVER), 0);
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_acquire(l, 20 * PAR_TEST_MS), 0);
	assert_int_equal(try_from_thread(l), -EAGAIN);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(try_from_thread(l), -EAGAIN); /* still held once */
	assert_int_equal(par_lock_fini(l), -EBUSY);    /* by this very thread */
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_release(l), -EPERM);
	/* the thread got it and exited holding it, so the lock's owner is dead */
	assert_int_equal(try_from_thread(l), 0);
	assert_int_equal(par_lock_acquire(l, 0), -EOWNERDEAD);
	assert_int_equal(par_lock_consistent(l), 0);
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_fini(l), 0);
}

static void fini_and_destroy_busy_while_held(void **state)
{
	struct par_lock *l = new_lock(0), *c;

	(void)state;
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_fini(l), -EBUSY);
	assert_int_equal(par_lock_release(l), 0); /* the failed fini left it as it was */
	assert_int_equal(par_lock_fini(l), 0);

	assert_int_equal(par_lock_create(NULL, &c), 0);
	assert_int_equal(par_lock_acquire(c, 0), 0);
	assert_int_equal(par_lock_destroy(c), -EBUSY);
	assert_int_equal(par_lock_acquire(c, 0), -EDEADLK);
	assert_int_equal(par_lock_release(c), 0);
	assert_int_equal(par_lock_destroy(c), 0);
}

static void consistent_without_dead_owner_is_einval(void **state)
{
	struct par_lock *l = new_lock(0);

	(void)state;
	assert_int_equal(par_lock_consistent(l), -EINVAL); /* not owned */
	assert_int_equal(par_lock_acquire(l, 0), 0);
	assert_int_equal(par_lock_consistent(l), -EINVAL); /* owned, but consistent */
	assert_int_equal(par_lock_release(l), 0);
	assert_int_equal(par_lock_fini(l), 0);
}

/* Mutual exclusion: a torn read-modify-write of counter would lose updates and
 * 'inside' would be seen at 1 by a second holder. */
struct excl {
	struct par_lock *l;
	uint64_t counter;
	uint32_t inside;
	uint32_t overlaps;
};

#define EXCL_ROUNDS 20000

static int excl_worker(void *arg)
{
	struct excl *x = arg;

	for (int i = 0; i < EXCL_ROUNDS; i++) {
		if (par_lock_acquire(x->l, 10 * PAR_TEST_SEC) != 0)
			return 1;
		if (__atomic_exchange_n(&x->inside, 1, __ATOMIC_RELAXED) != 0)
			__atomic_fetch_add(&x->overlaps, 1, __ATOMIC_RELAXED);
		uint64_t c = __atomic_load_n(&x->counter, __ATOMIC_RELAXED);
		if (i % 64 == 0)
			sched_yield(); /* widen the window a broken lock would lose */
		__atomic_store_n(&x->counter, c + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&x->inside, 0, __ATOMIC_RELAXED);
		if (par_lock_release(x->l) != 0)
			return 2;
	}
	return 0;
}

static void mutual_exclusion_across_processes(void **state)
{
	struct excl *x = par_test_shared(sizeof(*x));
	pid_t kids[3];

	(void)state;
	assert_int_equal(par_lock_create(NULL, &x->l), 0);
	for (int i = 0; i < 3; i++)
		kids[i] = par_test_fork(excl_worker, x);
	assert_int_equal(excl_worker(x), 0);
	for (int i = 0; i < 3; i++)
		par_test_reap_code(kids[i], 50 * PAR_TEST_SEC, 0);
	assert_int_equal(x->counter, 4 * EXCL_ROUNDS);
	assert_int_equal(x->overlaps, 0);
	assert_int_equal(par_lock_destroy(x->l), 0);
	par_test_unshare(x, sizeof(*x));
}

/* Unrelated mappings: one lock in a memfd mapped at two addresses (as two
 * processes would), used through either. */
static void works_at_two_addresses(void **state)
{
	int fd = memfd_create("par-test-lock", 0);
	struct par_lock *a, *b;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	void *m1 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	void *m2 = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(m1 != MAP_FAILED && m2 != MAP_FAILED && m1 != m2);
	close(fd);
	assert_int_equal(par_lock_init((char *)m1 + 128, NULL, &a), 0);
	b = (struct par_lock *)((char *)m2 + 128);
	assert_int_equal(par_lock_acquire(b, 0), 0);
	assert_int_equal(try_from_thread(a), -EAGAIN);
	assert_int_equal(par_lock_acquire(a, 0), -EDEADLK);
	assert_int_equal(par_lock_release(a), 0);
	assert_int_equal(par_lock_acquire(a, 0), 0);
	assert_int_equal(par_lock_release(b), 0);
	assert_int_equal(par_lock_fini(b), 0);
	assert_int_equal(par_lock_acquire(a, 0), -EINVAL);
	munmap(m1, 4096);
	munmap(m2, 4096);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(opts_and_memsize),
	cmocka_unit_test(init_acquire_release),
	cmocka_unit_test(create_and_destroy),
	cmocka_unit_test(bad_arguments_are_einval),
	cmocka_unit_test(old_opts_size_takes_defaults),
	cmocka_unit_test(busy_by_thread_eagain_and_etimedout),
	cmocka_unit_test(timed_acquire_gets_lock_released_in_time),
	cmocka_unit_test(busy_by_process_eagain_and_etimedout),
	cmocka_unit_test(self_relock_is_edeadlk),
	cmocka_unit_test(release_unowned_is_eperm),
	cmocka_unit_test(release_by_other_process_is_eperm),
	cmocka_unit_test(recursive_lock_nests),
	cmocka_unit_test(fini_and_destroy_busy_while_held),
	cmocka_unit_test(consistent_without_dead_owner_is_einval),
	cmocka_unit_test(mutual_exclusion_across_processes),
	cmocka_unit_test(works_at_two_addresses),
};

PAR_TEST_MAIN(tests)
