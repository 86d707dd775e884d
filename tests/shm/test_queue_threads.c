/* Queue between threads of one process (the ThreadSanitizer build runs this
 * program): 1, 2 and 4 producers x 1, 2 and 4 consumers, messages from 0 bytes
 * to max_msg, single and batched calls, each delivered exactly once, whole,
 * in each producer's order. */
#include "queue_harness.h"

#include <poll.h>
#include <pthread.h>

#if defined(__SANITIZE_THREAD__)
#define MESSAGES 12000u
#else
#define MESSAGES 100000u
#endif

static void *thread_main(void *arg)
{
	struct qh_role *r = arg;

	return (void *)(intptr_t)(r->first == UINT32_MAX ? qh_consume(r) : qh_produce(r));
}

static void run_threads(uint32_t np, uint32_t nc, uint32_t capacity)
{
	struct par_queue_opts o;
	struct qh_run run = { .inline_max = 112 };
	struct qh_role roles[8];
	pthread_t t[8];
	uint32_t n = MESSAGES / np;

	par_queue_opts_init(&o);
	o.capacity = capacity;
	o.max_msg = 65536;
	assert_int_equal(par_queue_create(NULL, &o, &run.q), 0);
	run.res = qh_results(n);
	for (uint32_t i = 0; i < nc + np; i++) {
		int prod = i >= nc;
		roles[i] = (struct qh_role){ .run = &run,
					     .id = prod ? i - nc : i,
					     .batch = i % 2,
					     .first = prod ? 0 : UINT32_MAX,
					     .count = n };
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &roles[i]), 0);
	}
	for (uint32_t i = nc; i < nc + np; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(par_queue_shutdown(run.q), 0);
	for (uint32_t i = 0; i < nc; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	qh_check(&run, np, n);
	struct par_queue_stats st;
	assert_int_equal(par_queue_get_stats(run.q, &st), 0);
	assert_int_equal(st.puts, (uint64_t)np * n);
	assert_int_equal(st.gets, (uint64_t)np * n);
	assert_int_equal(st.torn + st.redelivered + st.dead_peers + st.pool_reclaimed, 0);
	assert_int_equal(st.participants, 1);
	assert_int_equal(par_queue_close(run.q), 0);
	qh_results_free(run.res);
}

#define CASE(np, nc)                                       \
	static void p##np##_c##nc(void **state)            \
	{                                                  \
		(void)state;                               \
		run_threads(np, nc, np *nc > 2 ? 64 : 16); \
	}
CASE(1, 1)
CASE(1, 2)
CASE(1, 4)
CASE(2, 1)
CASE(2, 2)
CASE(2, 4)
CASE(4, 1)
CASE(4, 2)
CASE(4, 4)

static void *put_slowly(void *arg)
{
	struct par_queue *q = arg;

	for (uint32_t i = 0; i < 3000; i++) {
		if (par_queue_put(q, &i, sizeof(i), QH_WAIT) != 0)
			return (void *)1;
		if (i % 64 == 0)
			par_sleep_ns(100000); /* let the reader find it empty */
	}
	return NULL;
}

/* A reader that only gets after poll says so, with the watcher thread and a
 * producer thread in the same process. */
static void eventfd_with_threads(void **state)
{
	struct par_queue_opts o;
	struct par_queue *q;
	pthread_t t;
	void *rc;
	uint32_t next = 0, v;

	(void)state;
	par_queue_opts_init(&o);
	o.capacity = 64;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	int fd = par_queue_eventfd(q);
	assert_true(fd >= 0);
	assert_int_equal(pthread_create(&t, NULL, put_slowly, q), 0);
	while (next < 3000) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&p, 1, 10000), 1);
		ssize_t n;
		while ((n = par_queue_get(q, &v, sizeof(v), 0)) == (ssize_t)sizeof(v))
			assert_int_equal(v, next++);
		assert_int_equal(n, -EAGAIN);
	}
	assert_int_equal(pthread_join(t, &rc), 0);
	assert_null(rc);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(par_queue_close(q), 0);
}

/* one case a line: tests/CMakeLists.txt registers them */
/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(p1_c1),
	cmocka_unit_test(p1_c2),
	cmocka_unit_test(p1_c4),
	cmocka_unit_test(p2_c1),
	cmocka_unit_test(p2_c2),
	cmocka_unit_test(p2_c4),
	cmocka_unit_test(p4_c1),
	cmocka_unit_test(p4_c2),
	cmocka_unit_test(p4_c4),
	cmocka_unit_test(eventfd_with_threads),
};
/* clang-format on */

PAR_TEST_MAIN(tests)
