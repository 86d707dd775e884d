/* Futex wait/wake within a process and across forked processes. */
#include "par_test.h"

#include <par/core.h>

#include <pthread.h>

static void wait_on_changed_word_returns_eagain(void **state)
{
	uint32_t w = 7;

	(void)state;
	assert_int_equal(par_futex_wait(&w, 6, PAR_FOREVER), -EAGAIN);
	assert_int_equal(par_futex_wait(&w, 6, 0), -EAGAIN);
}

static void wait_times_out(void **state)
{
	uint32_t w = 0;

	(void)state;
	int64_t t0 = par_now_ns();
	assert_int_equal(par_futex_wait(&w, 0, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	assert_int_equal(par_futex_wait(&w, 0, 0), -ETIMEDOUT);
	assert_int_equal(par_futex_wait_until(&w, 0, par_now_ns() - 1), -ETIMEDOUT);
}

static void bad_words_are_rejected(void **state)
{
	uint32_t w[2] = { 0, 0 };

	(void)state;
	assert_int_equal(par_futex_wait(NULL, 0, 0), -EINVAL);
	assert_int_equal(par_futex_wait((uint32_t *)((char *)w + 1), 0, 0), -EINVAL);
	assert_int_equal(par_futex_wake(NULL, 1), -EINVAL);
	assert_int_equal(par_futex_wake((uint32_t *)((char *)w + 2), 1), -EINVAL);
}

static void wake_without_waiters_wakes_none(void **state)
{
	uint32_t w = 0;

	(void)state;
	assert_int_equal(par_futex_wake(&w, 1), 0);
	assert_int_equal(par_futex_wake(&w, -1), 0);
}

static void *thread_waiter(void *arg)
{
	uint32_t *w = arg;
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	/* acquire: pairs with the release store in the waker */
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0)
		if (par_futex_wait_until(w, 0, deadline) == -ETIMEDOUT)
			return (void *)1;
	return NULL;
}

static void wake_another_thread(void **state)
{
	uint32_t w = 0;
	pthread_t t;
	void *ret = (void *)2;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, thread_waiter, &w), 0);
	par_sleep_ns(10 * PAR_TEST_MS);
	__atomic_store_n(&w, 1, __ATOMIC_RELEASE);
	assert_true(par_futex_wake(&w, -1) >= 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
}

struct shared_words {
	uint32_t word;
	uint32_t arrived;
};

/* Exit 0 when woken with the word still 0, 1 on timeout, 2 otherwise. */
static int process_waiter(void *arg)
{
	struct shared_words *s = arg;

	__atomic_fetch_add(&s->arrived, 1, __ATOMIC_RELEASE);
	int r = par_futex_wait(&s->word, 0, 10 * PAR_TEST_SEC);
	return r == 0 ? 0 : r == -ETIMEDOUT ? 1 : 2;
}

static void wake_one_process_at_a_time(void **state)
{
	struct shared_words *s = par_test_shared(sizeof(*s));
	pid_t kids[2];
	int woken = 0;

	(void)state;
	for (int i = 0; i < 2; i++)
		kids[i] = par_test_fork(process_waiter, s);
	while (__atomic_load_n(&s->arrived, __ATOMIC_ACQUIRE) < 2)
		par_sleep_ns(PAR_TEST_MS);
	int64_t deadline = par_deadline(5 * PAR_TEST_SEC);
	while (woken < 2 && par_now_ns() < deadline) {
		int n = par_futex_wake(&s->word, 1);
		assert_true(n == 0 || n == 1);
		woken += n;
		par_sleep_ns(PAR_TEST_MS);
	}
	assert_int_equal(woken, 2);
	for (int i = 0; i < 2; i++)
		par_test_reap_code(kids[i], 5 * PAR_TEST_SEC, 0);
	par_test_unshare(s, sizeof(*s));
}

static int process_wait_for_one(void *arg)
{
	uint32_t *w = arg;
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	/* acquire: pairs with the parent's release store */
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0)
		if (par_futex_wait_until(w, 0, deadline) == -ETIMEDOUT)
			return 1;
	return 0;
}

static void wake_all_processes(void **state)
{
	uint32_t *w = par_test_shared(sizeof(*w));
	pid_t kids[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		kids[i] = par_test_fork(process_wait_for_one, w);
	par_sleep_ns(20 * PAR_TEST_MS);
	__atomic_store_n(w, 1, __ATOMIC_RELEASE);
	assert_true(par_futex_wake(w, -1) >= 0);
	for (int i = 0; i < 3; i++)
		par_test_reap_code(kids[i], 5 * PAR_TEST_SEC, 0);
	par_test_unshare(w, sizeof(*w));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(wait_on_changed_word_returns_eagain),
	cmocka_unit_test(wait_times_out),
	cmocka_unit_test(bad_words_are_rejected),
	cmocka_unit_test(wake_without_waiters_wakes_none),
	cmocka_unit_test(wake_another_thread),
	cmocka_unit_test(wake_one_process_at_a_time),
	cmocka_unit_test(wake_all_processes),
};

PAR_TEST_MAIN(tests)
