/* Queue stress: millions of messages between threads and between processes
 * (exactly once, whole, in each producer's order), and long chaos runs
 * (queue_chaos.h). */
#include "queue_chaos.h"
#include "queue_harness.h"

#include <pthread.h>

static void *thread_main(void *arg)
{
	struct qh_role *r = arg;

	return (void *)(intptr_t)(r->first == UINT32_MAX ? qh_consume(r) : qh_produce(r));
}

/* np producers and nc consumers, threads or processes, n messages each. */
static void run(uint32_t np, uint32_t nc, uint32_t n, size_t max_msg, int procs)
{
	struct par_queue_opts o;
	struct qh_run *run = par_test_shared(sizeof(*run));
	struct qh_role roles[16];
	pthread_t t[16];
	pid_t pids[16];

	par_queue_opts_init(&o);
	o.capacity = 256;
	o.max_msg = max_msg;
	assert_int_equal(par_queue_create(NULL, &o, &run->q), 0);
	run->res = qh_results(n);
	run->inline_max = 112;
	for (uint32_t i = 0; i < nc + np; i++) {
		int prod = i >= nc;
		roles[i] = (struct qh_role){ .run = run,
					     .id = prod ? i - nc : i,
					     .batch = i % 2,
					     .first = prod ? 0 : UINT32_MAX,
					     .count = n };
		if (procs)
			pids[i] = par_test_fork(prod ? qh_produce : qh_consume, &roles[i]);
		else
			assert_int_equal(pthread_create(&t[i], NULL, thread_main, &roles[i]), 0);
	}
	for (uint32_t i = nc; i < nc + np; i++) {
		if (procs)
			par_test_reap_code(pids[i], 120 * PAR_TEST_SEC, 0);
		else
			assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	assert_int_equal(par_queue_shutdown(run->q), 0);
	for (uint32_t i = 0; i < nc; i++) {
		if (procs)
			par_test_reap_code(pids[i], 120 * PAR_TEST_SEC, 0);
		else
			assert_int_equal(pthread_join(t[i], NULL), 0);
	}
	qh_check(run, np, n);
	assert_int_equal(par_queue_close(run->q), 0);
	qh_results_free(run->res);
	par_test_unshare(run, sizeof(*run));
}

static void threads_4x4_two_million(void **state)
{
	(void)state;
	run(4, 4, 500000, 65536, 0);
}

static void processes_4x4_two_million(void **state)
{
	(void)state;
	run(4, 4, 500000, 65536, 1);
}

static void processes_1x1_small_five_million(void **state)
{
	(void)state;
	run(1, 1, 5000000, 112, 1);
}

static void chaos_long_mixed_sizes(void **state)
{
	(void)state;
	chaos(0, 600);
}

static void chaos_long_large_messages(void **state)
{
	(void)state;
	chaos(1, 400);
}

/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(threads_4x4_two_million),
	cmocka_unit_test(processes_4x4_two_million),
	cmocka_unit_test(processes_1x1_small_five_million),
	cmocka_unit_test(chaos_long_mixed_sizes),
	cmocka_unit_test(chaos_long_large_messages),
};
/* clang-format on */

PAR_TEST_MAIN(tests)
