/* Event: set / clear / is_set, waits with every kind of timeout, and wakeups of
 * threads and forked processes. */
#include "par_test.h"

#include <par/sync.h>

#include <pthread.h>

struct ev_mem {
	_Alignas(4096) unsigned char pad[64];
	unsigned char mem[128];
};

static struct ev_mem em;

/* 0 once *flag >= want, -1 after 10 s. No cmocka asserts: safe in children. */
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

static void set_clear_is_set(void **state)
{
	struct par_event *e = NULL;

	(void)state;
	assert_int_equal(par_event_memsize() % PAR_SYNC_ALIGN, 0);
	assert_true(par_event_memsize() <= sizeof(em.mem));
	assert_int_equal(par_event_init(em.mem, &e), 0);
	assert_int_equal(par_event_is_set(e), 0);
	assert_int_equal(par_event_set(e), 0);
	assert_int_equal(par_event_is_set(e), 1);
	assert_int_equal(par_event_set(e), 0);
	assert_int_equal(par_event_is_set(e), 1);
	assert_int_equal(par_event_clear(e), 0);
	assert_int_equal(par_event_is_set(e), 0);
	assert_int_equal(par_event_clear(e), 0);
	assert_int_equal(par_event_is_set(e), 0);
	assert_int_equal(par_event_fini(e), 0);
}

static void wait_on_set_event_returns_at_once(void **state)
{
	struct par_event *e;

	(void)state;
	assert_int_equal(par_event_create(&e), 0);
	assert_int_equal(par_event_set(e), 0);
	assert_int_equal(par_event_wait(e, PAR_FOREVER), 0);
	assert_int_equal(par_event_wait(e, 0), 0);
	assert_int_equal(par_event_wait(e, PAR_TEST_SEC), 0);
	assert_int_equal(par_event_is_set(e), 1); /* waiting does not consume it */
	assert_int_equal(par_event_destroy(e), 0);
}

static void wait_timeouts(void **state)
{
	struct par_event *e;

	(void)state;
	assert_int_equal(par_event_create(&e), 0);
	assert_int_equal(par_event_wait(e, 0), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_event_wait(e, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	assert_int_equal(par_event_set(e), 0);
	assert_int_equal(par_event_clear(e), 0);
	t0 = par_now_ns();
	assert_int_equal(par_event_wait(e, 20 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 20 * PAR_TEST_MS);
	assert_int_equal(par_event_wait(e, 1), -ETIMEDOUT);
	assert_int_equal(par_event_destroy(e), 0);
}

static void bad_arguments_are_einval(void **state)
{
	struct par_event *e;

	(void)state;
	assert_int_equal(par_event_init(NULL, &e), -EINVAL);
	assert_int_equal(par_event_init(em.mem + 4, &e), -EINVAL);
	assert_int_equal(par_event_init(em.mem, NULL), -EINVAL);
	assert_int_equal(par_event_create(NULL), -EINVAL);
	assert_int_equal(par_event_set(NULL), -EINVAL);
	assert_int_equal(par_event_clear(NULL), -EINVAL);
	assert_int_equal(par_event_is_set(NULL), -EINVAL);
	assert_int_equal(par_event_wait(NULL, 0), -EINVAL);
	assert_int_equal(par_event_fini(NULL), -EINVAL);
	assert_int_equal(par_event_destroy(NULL), -EINVAL);
	memset(em.mem, 0, sizeof(em.mem));
	e = (struct par_event *)em.mem;
	assert_int_equal(par_event_set(e), -EINVAL);
	assert_int_equal(par_event_wait(e, PAR_FOREVER), -EINVAL);
	assert_int_equal(par_event_init(em.mem, &e), 0);
	assert_int_equal(par_event_destroy(e), -EINVAL); /* not a mapping of its own */
	assert_int_equal(par_event_fini(e), 0);
	assert_int_equal(par_event_is_set(e), -EINVAL);
	assert_int_equal(par_event_wait(e, 0), -EINVAL);
}

struct waiters {
	struct par_event *e;
	uint32_t arrived;
	uint32_t payload; /* written before set; waiters must see it */
	int rc[4];
};

static void *thread_waiter(void *arg)
{
	struct waiters *w = arg;

	__atomic_fetch_add(&w->arrived, 1, __ATOMIC_RELEASE);
	int r = par_event_wait(w->e, 10 * PAR_TEST_SEC);
	return (void *)(intptr_t)(r == 0 ? (int)w->payload : r);
}

static void set_wakes_waiting_threads(void **state)
{
	struct waiters w = { 0 };
	pthread_t t[3];
	void *ret;

	(void)state;
	assert_int_equal(par_event_create(&w.e), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_waiter, &w), 0);
	assert_int_equal(wait_flag(&w.arrived, 3), 0);
	par_sleep_ns(20 * PAR_TEST_MS);
	w.payload = 42;
	assert_int_equal(par_event_set(w.e), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_int_equal((int)(intptr_t)ret, 42);
	}
	assert_int_equal(par_event_destroy(w.e), 0);
}

/* Child: exit 0 when woken by the set with the payload visible, 1 on timeout. */
static int process_waiter(void *arg)
{
	struct waiters *w = arg;

	__atomic_fetch_add(&w->arrived, 1, __ATOMIC_RELEASE);
	int r = par_event_wait(w->e, 10 * PAR_TEST_SEC);
	if (r != 0)
		return r == -ETIMEDOUT ? 1 : 2;
	return w->payload == 7 && par_event_is_set(w->e) == 1 ? 0 : 3;
}

static void set_wakes_several_processes(void **state)
{
	struct waiters *w = par_test_shared(sizeof(*w));
	pid_t kids[4];

	(void)state;
	assert_int_equal(par_event_create(&w->e), 0);
	for (int i = 0; i < 4; i++)
		kids[i] = par_test_fork(process_waiter, w);
	assert_int_equal(wait_flag(&w->arrived, 4), 0);
	par_sleep_ns(30 * PAR_TEST_MS);
	w->payload = 7;
	assert_int_equal(par_event_set(w->e), 0);
	for (int i = 0; i < 4; i++)
		par_test_reap_code(kids[i], 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_event_destroy(w->e), 0);
	par_test_unshare(w, sizeof(*w));
}

/* Child: exit 0 when woken by a set, even one cleared again at once. */
static int pulse_waiter(void *arg)
{
	struct waiters *w = arg;

	__atomic_fetch_add(&w->arrived, 1, __ATOMIC_RELEASE);
	int r = par_event_wait(w->e, 10 * PAR_TEST_SEC);
	return r == 0 ? (w->payload == 9 ? 0 : 3) : r == -ETIMEDOUT ? 1 : 2;
}

/* 0 once process pid is asleep in the kernel (for these children: in the
 * event's futex wait, their only blocking call), -1 after 10 s. */
static int await_asleep(pid_t pid)
{
	char path[64], buf[512];
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (par_now_ns() < deadline) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		char *paren = strrchr(buf, ')');
		if (paren != NULL && paren[1] == ' ' && paren[2] == 'S')
			return 0;
		par_sleep_ns(100000);
	}
	return -1;
}

static void set_then_clear_still_wakes_sleepers(void **state)
{
	struct waiters *w = par_test_shared(sizeof(*w));
	pid_t kids[3];

	(void)state;
	assert_int_equal(par_event_create(&w->e), 0);
	for (int round = 0; round < 5; round++) {
		w->arrived = 0;
		for (int i = 0; i < 3; i++)
			kids[i] = par_test_fork(pulse_waiter, w);
		assert_int_equal(wait_flag(&w->arrived, 3), 0);
		for (int i = 0; i < 3; i++)
			assert_int_equal(await_asleep(kids[i]), 0);
		w->payload = 9;
		assert_int_equal(par_event_set(w->e), 0);
		assert_int_equal(par_event_clear(w->e), 0);
		for (int i = 0; i < 3; i++)
			par_test_reap_code(kids[i], 10 * PAR_TEST_SEC, 0);
		assert_int_equal(par_event_is_set(w->e), 0);
		assert_int_equal(par_event_wait(w->e, 0), -EAGAIN); /* the pulse is gone */
		w->payload = 0;
	}
	assert_int_equal(par_event_destroy(w->e), 0);
	par_test_unshare(w, sizeof(*w));
}

/* A waiter killed while asleep leaves nothing behind that matters. */
static void killed_waiter_does_not_disturb(void **state)
{
	struct waiters *w = par_test_shared(sizeof(*w));

	(void)state;
	assert_int_equal(par_event_create(&w->e), 0);
	pid_t pid = par_test_fork(process_waiter, w);
	assert_int_equal(wait_flag(&w->arrived, 1), 0);
	par_sleep_ns(20 * PAR_TEST_MS);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_true(WIFSIGNALED(par_test_reap(pid, 10 * PAR_TEST_SEC)));
	assert_int_equal(par_event_wait(w->e, 0), -EAGAIN);
	w->payload = 7;
	assert_int_equal(par_event_set(w->e), 0);
	assert_int_equal(par_event_wait(w->e, 0), 0);
	par_test_reap_code(par_test_fork(process_waiter, w), 10 * PAR_TEST_SEC, 0);
	assert_int_equal(par_event_destroy(w->e), 0);
	par_test_unshare(w, sizeof(*w));
}

/* Set and clear in a tight loop while a process waits with a short timeout
 * each round: every wait ends with 0 or -ETIMEDOUT and none hangs. */
static int toggle_waiter(void *arg)
{
	struct waiters *w = arg;

	for (int i = 0; i < 2000; i++) {
		int r = par_event_wait(w->e, 2 * PAR_TEST_MS);
		if (r != 0 && r != -ETIMEDOUT)
			return 1;
	}
	return 0;
}

static void set_clear_race_with_waiter(void **state)
{
	struct waiters *w = par_test_shared(sizeof(*w));
	int64_t deadline = par_deadline(30 * PAR_TEST_SEC);
	int status = 0;
	pid_t r;

	(void)state;
	assert_int_equal(par_event_create(&w->e), 0);
	pid_t pid = par_test_fork(toggle_waiter, w);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && par_now_ns() < deadline) {
		assert_int_equal(par_event_set(w->e), 0);
		assert_int_equal(par_event_clear(w->e), 0);
	}
	if (r == 0)
		par_test_reap(pid, 0); /* kills it and fails */
	assert_int_equal(r, pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(par_event_destroy(w->e), 0);
	par_test_unshare(w, sizeof(*w));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(set_clear_is_set),
	cmocka_unit_test(wait_on_set_event_returns_at_once),
	cmocka_unit_test(wait_timeouts),
	cmocka_unit_test(bad_arguments_are_einval),
	cmocka_unit_test(set_wakes_waiting_threads),
	cmocka_unit_test(set_wakes_several_processes),
	cmocka_unit_test(set_then_clear_still_wakes_sleepers),
	cmocka_unit_test(killed_waiter_does_not_disturb),
	cmocka_unit_test(set_clear_race_with_waiter),
};

PAR_TEST_MAIN(tests)
