/* The thread pool's idle protocol (sched/pool_threads.c): one poller waits
 * on the queues while the other idle workers sleep; a submit wakes them when
 * no poller is there to take the task. These cases are the ones a lost wake
 * would hang (each wait is bounded), and they run under ThreadSanitizer. */
#include "par_test.h"

#include <par/pool.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static struct par_pool *make(unsigned workers)
{
	struct par_pool_opts o;
	struct par_pool *p = NULL;

	par_pool_opts_init(&o);
	o.kind = PAR_POOL_THREADS;
	o.workers = workers;
	assert_int_equal(par_pool_create(&o, &p), 0);
	return p;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int add_one(const void *arg, size_t len, struct par_task_out *out)
{
	int64_t x;

	if (len != sizeof(x))
		return -EINVAL;
	memcpy(&x, arg, sizeof(x));
	x++;
	return par_task_out_set(out, &x, sizeof(x));
}

static int64_t result_of(struct par_future *f)
{
	size_t len = 0;
	int64_t v = -1;
	const void *r = par_future_result(f, &len);

	assert_non_null(r);
	assert_int_equal(len, sizeof(v));
	memcpy(&v, r, sizeof(v));
	return v;
}

/* A lone task after the workers fell asleep (the poller in the queue's
 * futex, the others on the engine's) is run, again and again. */
static void lone_tasks_wake_sleeping_workers(void **s)
{
	struct par_pool *p = make(3);

	(void)s;
	for (int64_t i = 0; i < 60; i++) {
		struct par_future *f;
		if (i % 3 == 0)
			nap_ms(15); /* past every spin: all asleep */
		assert_int_equal(par_pool_submit(p, add_one, &i, sizeof(i), &f), 0);
		assert_int_equal(par_future_wait(f, 10 * PAR_TEST_SEC), 0);
		assert_int_equal(par_future_status(f), 0);
		assert_true(result_of(f) == i + 1);
		par_future_destroy(f);
	}
	assert_int_equal(par_pool_destroy(p), 0);
}

/* Tasks that wait for each other: they finish only if every worker runs one
 * at the same time, so a worker left asleep while tasks wait fails this
 * (after a bounded wait inside the task). */
static atomic_int running;

static int meet_all(const void *arg, size_t len, struct par_task_out *out)
{
	int workers;
	struct timespec until;

	(void)out;
	if (len != sizeof(workers))
		return -EINVAL;
	memcpy(&workers, arg, sizeof(workers));
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 10;
	atomic_fetch_add(&running, 1);
	for (;;) {
		struct timespec now;
		if (atomic_load(&running) >= workers)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec ||
		    (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec))
			return -ETIMEDOUT;
		nap_ms(1);
	}
}

static void long_tasks_wake_every_worker(void **s)
{
	for (int workers = 2; workers <= 4; workers++) {
		struct par_pool *p = make((unsigned)workers);
		struct par_future *f[4];

		(void)s;
		atomic_store(&running, 0);
		nap_ms(15); /* start from sleeping workers */
		for (int i = 0; i < workers; i++)
			assert_int_equal(
				par_pool_submit(p, meet_all, &workers, sizeof(workers), &f[i]), 0);
		for (int i = 0; i < workers; i++) {
			assert_int_equal(par_future_wait(f[i], 30 * PAR_TEST_SEC), 0);
			assert_int_equal(par_future_status(f[i]), 0);
			par_future_destroy(f[i]);
		}
		assert_int_equal(par_pool_destroy(p), 0);
	}
}

/* The same, and a stream of short tasks, with the hand-off forced on: the
 * poller that takes a task and leaves others wakes the sleepers, who help
 * or sleep again (this machine may have 2 CPUs, where it is off). */
static void handoff_runs_rounds_and_streams(void **s)
{
	setenv("PAR_POOL_HANDOFF", "1", 1);
	long_tasks_wake_every_worker(s);
	struct par_pool *p = make(3);
	struct par_future *f[2000];
	int64_t sum = 0;

	for (int round = 0; round < 3; round++) {
		nap_ms(15); /* a burst after every worker slept */
		for (int64_t i = 0; i < 2000; i++)
			assert_int_equal(par_pool_submit(p, add_one, &i, sizeof(i), &f[i]), 0);
		for (int i = 0; i < 2000; i++) {
			assert_int_equal(par_future_wait(f[i], 30 * PAR_TEST_SEC), 0);
			assert_int_equal(par_future_status(f[i]), 0);
			sum += result_of(f[i]);
			par_future_destroy(f[i]);
		}
	}
	assert_true(sum == 3 * (2000 * 2001 / 2));
	assert_int_equal(par_pool_destroy(p), 0);
	unsetenv("PAR_POOL_HANDOFF");
}

/* Several submitters at once: every task runs once, with its own result. */
#define SUBMITTERS 4
#define PER 5000

struct sub {
	struct par_pool *p;
	int64_t base;
	int64_t sum;
	int err;
};

static void *submitter(void *arg)
{
	struct sub *s = arg;
	struct par_future **f = calloc(PER, sizeof(*f));

	for (int64_t i = 0; f != NULL && i < PER && s->err == 0; i++) {
		int64_t x = s->base + i;
		s->err = par_pool_submit(s->p, add_one, &x, sizeof(x), &f[i]);
	}
	for (int64_t i = 0; f != NULL && i < PER && s->err == 0; i++) {
		if (par_future_wait(f[i], 60 * PAR_TEST_SEC) != 0 || par_future_status(f[i]) != 0)
			s->err = -EIO;
		else
			s->sum += result_of(f[i]);
		par_future_destroy(f[i]);
	}
	free(f);
	return NULL;
}

static void concurrent_submitters_get_every_result(void **s)
{
	struct par_pool *p = make(2);
	pthread_t t[SUBMITTERS];
	struct sub subs[SUBMITTERS];

	(void)s;
	for (int i = 0; i < SUBMITTERS; i++) {
		subs[i] = (struct sub){ .p = p, .base = (int64_t)i * PER };
		assert_int_equal(pthread_create(&t[i], NULL, submitter, &subs[i]), 0);
	}
	int64_t total = 0;
	for (int i = 0; i < SUBMITTERS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(subs[i].err, 0);
		total += subs[i].sum;
	}
	int64_t n = (int64_t)SUBMITTERS * PER;
	assert_true(total == n * (n - 1) / 2 + n); /* sum of (x + 1) over 0..n-1 */
	struct par_pool_stats st;
	assert_int_equal(par_pool_get_stats(p, &st), 0);
	assert_true(st.submitted == (uint64_t)n && st.completed == (uint64_t)n);
	assert_int_equal(par_pool_destroy(p), 0);
}

/* close + join of a pool whose workers all sleep returns (they are woken). */
static void close_wakes_sleeping_workers(void **s)
{
	struct par_pool *p = make(3);

	(void)s;
	nap_ms(30);
	assert_int_equal(par_pool_close(p), 0);
	assert_int_equal(par_pool_join(p, 10 * PAR_TEST_SEC), 0);
	assert_int_equal(par_pool_destroy(p), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(lone_tasks_wake_sleeping_workers),
	cmocka_unit_test(long_tasks_wake_every_worker),
	cmocka_unit_test(handoff_runs_rounds_and_streams),
	cmocka_unit_test(concurrent_submitters_get_every_result),
	cmocka_unit_test(close_wakes_sleeping_workers),
};

PAR_TEST_MAIN(tests)
