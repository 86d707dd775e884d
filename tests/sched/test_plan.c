/* Placement plans checked worker by worker on synthetic and XML topologies,
 * and applied on this machine. */
#include "par_test.h"

#include <par/process.h>
#include <par/topo.h>

#include <sched.h>

#define BIG "package:2 numa:2 core:4 pu:2" /* 32 PUs; node n = P#8n..8n+7 */

static struct par_plan *plan(const char *spec, unsigned n, enum par_place_policy pol)
{
	struct par_topo *t = NULL;
	struct par_plan *p = NULL;

	assert_int_equal(par_topo_load_spec(spec, &t), 0);
	assert_int_equal(par_topo_plan(t, n, pol, &p), 0);
	par_topo_destroy(t);
	assert_int_equal(par_plan_workers(p), n);
	return p;
}

/* Worker i runs on exactly the one CPU want[i]. */
static void expect_single(const struct par_plan *p, const int *want, unsigned n)
{
	int cpus[4];

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(par_plan_cpus(p, i, cpus, 4), 1);
		if (cpus[0] != want[i])
			fail_msg("worker %u on cpu %d, want %d", i, cpus[0], want[i]);
	}
}

static void compact_fills_node_cores_then_siblings(void **state)
{
	int want[33];

	(void)state;
	struct par_plan *p = plan(BIG, 33, PAR_PLACE_COMPACT);
	for (int i = 0; i < 16; i++)
		want[i] = 2 * i; /* every core's first PU, node by node */
	for (int i = 16; i < 32; i++)
		want[i] = 2 * (i - 16) + 1; /* then the SMT siblings */
	want[32] = 0;			    /* wraps around */
	expect_single(p, want, 33);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(par_plan_numa(p, i), (int)i / 4);
		assert_int_equal(par_plan_package(p, i), (int)i / 8);
	}
	assert_int_equal(par_plan_policy(p), PAR_PLACE_COMPACT);
	par_plan_destroy(p);
}

static void scatter_alternates_packages_and_nodes(void **state)
{
	/* pkg0/node0, pkg1/node2, pkg0/node1, pkg1/node3, then each node's next core */
	static const int want[] = { 0, 16, 8,  24, 2, 18, 10, 26, 4, 20, 12, 28,
				    6, 22, 14, 30, 1, 17, 9,  25, 3, 19, 11, 27 };
	static const int numa[] = { 0, 2, 1, 3 };

	(void)state;
	struct par_plan *p = plan(BIG, 24, PAR_PLACE_SCATTER);
	expect_single(p, want, 24);
	for (unsigned i = 0; i < 24; i++) {
		assert_int_equal(par_plan_numa(p, i), numa[i % 4]);
		assert_int_equal(par_plan_package(p, i), (int)i % 2);
	}
	par_plan_destroy(p);
}

static void numa_policy_keeps_each_worker_in_a_node(void **state)
{
	int cpus[32];

	(void)state;
	struct par_plan *p = plan(BIG, 6, PAR_PLACE_NUMA);
	for (unsigned i = 0; i < 6; i++) {
		int node = (int)i % 4;
		assert_int_equal(par_plan_cpus(p, i, cpus, 32), 8);
		for (int k = 0; k < 8; k++)
			assert_int_equal(cpus[k], node * 8 + k);
		assert_int_equal(par_plan_numa(p, i), node);
		assert_int_equal(par_plan_package(p, i), node / 2);
	}
	par_plan_destroy(p);
}

static void none_gives_everything(void **state)
{
	int cpus[32];

	(void)state;
	struct par_plan *p = plan(BIG, 3, PAR_PLACE_NONE);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(par_plan_cpus(p, i, cpus, 32), 32);
		assert_int_equal(cpus[31], 31);
		assert_int_equal(par_plan_numa(p, i), -1);
		assert_int_equal(par_plan_package(p, i), -1);
	}
	par_plan_destroy(p);
}

static void single_node_machine(void **state)
{
	static const int want[] = { 0, 2, 4, 6, 1, 3, 5, 7, 0 };
	int cpus[8];

	(void)state;
	for (int pol = PAR_PLACE_COMPACT; pol <= PAR_PLACE_SCATTER; pol++) {
		struct par_plan *p = plan("core:4 pu:2", 9, (enum par_place_policy)pol);
		expect_single(p, want, 9);
		par_plan_destroy(p);
	}
	struct par_plan *p = plan("core:4 pu:2", 2, PAR_PLACE_NUMA);
	assert_int_equal(par_plan_cpus(p, 1, cpus, 8), 8);
	assert_int_equal(par_plan_numa(p, 1), 0);
	par_plan_destroy(p);
	p = plan("core:4 pu:2", 1, PAR_PLACE_NONE);
	assert_int_equal(par_plan_numa(p, 0), 0); /* one node: it is that node */
	par_plan_destroy(p);
}

static void asymmetric_machine(void **state)
{
	/* package 0: cores 0-3 (P#0-7, node 0); package 1: cores 4-5 (P#8-11, node 1) */
	static const int scatter[] = { 0, 8, 2, 10, 4, 6, 1, 9, 3, 11, 5, 7 };
	static const int compact[] = { 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11 };
	const char *xml = PAR_TEST_DATA "/asymmetric.xml";
	int cpus[12];

	(void)state;
	struct par_plan *p = plan(xml, 12, PAR_PLACE_SCATTER);
	expect_single(p, scatter, 12);
	par_plan_destroy(p);
	p = plan(xml, 12, PAR_PLACE_COMPACT);
	expect_single(p, compact, 12);
	par_plan_destroy(p);
	p = plan(xml, 2, PAR_PLACE_NUMA);
	assert_int_equal(par_plan_cpus(p, 0, cpus, 12), 8);
	assert_int_equal(par_plan_cpus(p, 1, cpus, 12), 4);
	assert_int_equal(cpus[0], 8);
	assert_int_equal(par_plan_numa(p, 1), 1);
	par_plan_destroy(p);
}

static void restricted_cpuset(void **state)
{
	static const int keep[] = { 0, 1, 2, 3, 16, 17 };
	static const int want[] = { 0, 2, 16, 1, 3, 17, 0 };
	struct par_topo *t = NULL;
	struct par_plan *p = NULL;
	int cpus[8];

	(void)state;
	assert_int_equal(par_topo_load_synthetic(BIG, &t), 0);
	assert_int_equal(par_topo_restrict(t, keep, 6), 0);
	assert_int_equal(par_topo_plan(t, 7, PAR_PLACE_COMPACT, &p), 0);
	expect_single(p, want, 7);
	par_plan_destroy(p);
	assert_int_equal(par_topo_plan(t, 2, PAR_PLACE_NUMA, &p), 0);
	assert_int_equal(par_plan_cpus(p, 0, cpus, 8), 4);
	assert_int_equal(par_plan_cpus(p, 1, cpus, 8), 2);
	assert_int_equal(par_plan_numa(p, 1), 2);
	par_plan_destroy(p);
	par_topo_destroy(t);
}

static void bad_arguments(void **state)
{
	struct par_topo *t = NULL;
	struct par_plan *p = NULL;
	enum par_place_policy pol;
	int cpu;

	(void)state;
	assert_int_equal(par_topo_load_synthetic(BIG, &t), 0);
	assert_int_equal(par_topo_plan(t, 0, PAR_PLACE_COMPACT, &p), -EINVAL);
	assert_int_equal(par_topo_plan(t, 1, (enum par_place_policy)9, &p), -EINVAL);
	assert_int_equal(par_topo_plan(NULL, 1, PAR_PLACE_NONE, &p), -EINVAL);
	assert_int_equal(par_topo_plan(t, 2, PAR_PLACE_NONE, &p), 0);
	assert_int_equal(par_plan_cpus(p, 2, &cpu, 1), -EINVAL);
	assert_int_equal(par_plan_numa(p, 7), -EINVAL);
	assert_int_equal(par_plan_apply(p, 5), -EINVAL);
	par_plan_destroy(p);
	par_topo_destroy(t);
	assert_int_equal(par_place_policy_parse("scatter", &pol), 0);
	assert_int_equal(pol, PAR_PLACE_SCATTER);
	assert_int_equal(par_place_policy_parse("spread", &pol), -EINVAL);
	assert_string_equal(par_place_policy_name(PAR_PLACE_NUMA), "numa");
}

struct applied {
	const struct par_plan *p;
	unsigned i;
};

/* In a thread: apply worker i's pinning, then sched_getaffinity must agree. */
static int apply_and_check(void *arg)
{
	struct applied *a = arg;
	int want[CPU_SETSIZE];
	cpu_set_t set;

	int n = par_plan_cpus(a->p, a->i, want, CPU_SETSIZE);
	if (par_plan_apply(a->p, a->i) != 0 || sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	if (CPU_COUNT(&set) != n)
		return 2;
	for (int k = 0; k < n; k++)
		if (!CPU_ISSET(want[k], &set))
			return 3;
	return sched_getcpu() == want[0] || n > 1 ? 0 : 4;
}

static void apply_on_this_machine(void **state)
{
	struct par_topo *t = NULL;

	(void)state;
	assert_int_equal(par_topo_load(&t), 0);
	int npus = par_topo_count(t, PAR_TOPO_PU);
	for (int pol = PAR_PLACE_NONE; pol <= PAR_PLACE_NUMA; pol++) {
		struct par_plan *p = NULL;
		assert_int_equal(
			par_topo_plan(t, (unsigned)npus + 1, (enum par_place_policy)pol, &p), 0);
		for (unsigned i = 0; i <= (unsigned)npus; i++) {
			struct applied a = { p, i };
			struct par_thread *th;
			int rc = -1;
			assert_int_equal(par_thread_start(apply_and_check, &a, NULL, &th), 0);
			assert_int_equal(par_thread_join(th, 10 * PAR_TEST_SEC, &rc), 0);
			par_thread_destroy(th);
			assert_int_equal(rc, 0);
		}
		par_plan_destroy(p);
	}
	par_topo_destroy(t);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(compact_fills_node_cores_then_siblings),
	cmocka_unit_test(scatter_alternates_packages_and_nodes),
	cmocka_unit_test(numa_policy_keeps_each_worker_in_a_node),
	cmocka_unit_test(none_gives_everything),
	cmocka_unit_test(single_node_machine),
	cmocka_unit_test(asymmetric_machine),
	cmocka_unit_test(restricted_cpuset),
	cmocka_unit_test(bad_arguments),
	cmocka_unit_test(apply_on_this_machine),
};

PAR_TEST_MAIN(tests)
