/* Queue between processes: forked producers and consumers (1, 2, 4 x 1, 2, 4),
 * and producers that are unrelated programs (exec'd) opening the queue by
 * name. Every message delivered exactly once, whole, in each producer's
 * order; results are recorded in shared memory. */
#include "queue_harness.h"

#define MESSAGES 100000u

static pid_t spawn_peer(const char *name, uint32_t p, uint32_t first, uint32_t count)
{
	char ps[16], fs[16], cs[16];
	pid_t pid;

	snprintf(ps, sizeof(ps), "%u", p);
	snprintf(fs, sizeof(fs), "%u", first);
	snprintf(cs, sizeof(cs), "%u", count);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(PAR_TEST_QUEUE_PEER, PAR_TEST_QUEUE_PEER, "produce", name, ps, fs, cs,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* np producers (the first nexec of them exec'd peers), nc consumers. */
static void run_procs(uint32_t np, uint32_t nc, uint32_t nexec)
{
	struct par_queue_opts o;
	struct qh_run *run = par_test_shared(sizeof(*run));
	uint32_t n = MESSAGES / np;
	pid_t pids[16];
	char name[64];

	par_queue_opts_init(&o);
	o.capacity = np * nc > 2 ? 64 : 16;
	o.max_msg = 65536;
	snprintf(name, sizeof(name), "/par-test-qprocs-%d", (int)getpid());
	par_queue_unlink(name);
	assert_int_equal(par_queue_create(nexec ? name : NULL, &o, &run->q), 0);
	run->res = qh_results(n);
	run->inline_max = 112;
	struct qh_role roles[16];
	for (uint32_t i = 0; i < nc + np; i++) {
		int prod = i >= nc;
		uint32_t id = prod ? i - nc : i;
		roles[i] = (struct qh_role){
			.run = run, .id = id, .batch = i % 2, .first = 0, .count = n
		};
		if (prod && id < nexec)
			pids[i] = spawn_peer(name, id, 0, n);
		else
			pids[i] = par_test_fork(prod ? qh_produce : qh_consume, &roles[i]);
	}
	for (uint32_t i = nc; i < nc + np; i++)
		par_test_reap_code(pids[i], 60 * PAR_TEST_SEC, 0);
	assert_int_equal(par_queue_shutdown(run->q), 0);
	for (uint32_t i = 0; i < nc; i++)
		par_test_reap_code(pids[i], 60 * PAR_TEST_SEC, 0);
	qh_check(run, np, n);
	struct par_queue_stats st;
	assert_int_equal(par_queue_get_stats(run->q, &st), 0);
	assert_int_equal(st.puts, (uint64_t)np * n);
	assert_int_equal(st.gets, (uint64_t)np * n);
	assert_int_equal(st.torn + st.redelivered + st.pool_reclaimed, 0);
	assert_int_equal(st.participants, 1); /* children closed or were found gone */
	assert_int_equal(par_queue_close(run->q), 0);
	if (nexec)
		assert_int_equal(par_queue_unlink(name), 0);
	qh_results_free(run->res);
	par_test_unshare(run, sizeof(*run));
}

#define CASE(np, nc)                            \
	static void p##np##_c##nc(void **state) \
	{                                       \
		(void)state;                    \
		run_procs(np, nc, 0);           \
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

/* Two exec'd producers that know the queue only by name, one forked. */
static void exec_peers_by_name(void **state)
{
	(void)state;
	run_procs(3, 2, 2);
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
	cmocka_unit_test(exec_peers_by_name),
};
/* clang-format on */

PAR_TEST_MAIN(tests)
