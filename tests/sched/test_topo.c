/* Topology loading and queries on synthetic, XML and this machine's topologies. */
#include "par_test.h"

#include <par/topo.h>

#include <sched.h>

#define BIG "package:2 numa:2 core:4 pu:2" /* 32 PUs, P#0..31 in order */

static struct par_topo *load(const char *desc)
{
	struct par_topo *t = NULL;
	assert_int_equal(par_topo_load_synthetic(desc, &t), 0);
	return t;
}

static void synthetic_counts(void **state)
{
	(void)state;
	struct par_topo *t = load(BIG);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PACKAGE), 2);
	assert_int_equal(par_topo_count(t, PAR_TOPO_NUMA), 4);
	assert_int_equal(par_topo_count(t, PAR_TOPO_CORE), 16);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PU), 32);
	assert_int_equal(par_topo_count(t, (enum par_topo_kind)99), -EINVAL);
	assert_int_equal(par_topo_is_this_machine(t), 0);
	par_topo_destroy(t);
}

static void numa_nodes_and_cpus(void **state)
{
	int cpus[64];

	(void)state;
	struct par_topo *t = load(BIG);
	for (int node = 0; node < 4; node++) {
		assert_int_equal(par_topo_numa_os_index(t, node), node);
		assert_true(par_topo_numa_memory(t, node) > 0);
		assert_int_equal(par_topo_numa_cpus(t, node, cpus, 64), 8);
		for (int k = 0; k < 8; k++)
			assert_int_equal(cpus[k], node * 8 + k);
	}
	assert_int_equal(par_topo_numa_os_index(t, 4), -EINVAL);
	assert_int_equal(par_topo_cpu_numa(t, 17), 2);
	assert_int_equal(par_topo_cpu_numa(t, 99), -EINVAL);
	assert_int_equal(par_topo_cpus(t, cpus, 4), 32); /* count in all, 4 written */
	assert_int_equal(cpus[3], 3);
	par_topo_destroy(t);
}

static void caches(void **state)
{
	(void)state;
	struct par_topo *t = load("package:1 l3:1 l2:2 core:1 pu:2");
	assert_true(par_topo_cache_size(t, 3) > 0);
	assert_int_equal(par_topo_cache_count(t, 3), 1);
	assert_int_equal(par_topo_cache_count(t, 2), 2);
	assert_int_equal(par_topo_cache_count(t, 1), 0);
	assert_int_equal(par_topo_cache_size(t, 1), 0);
	assert_int_equal(par_topo_cache_size(t, 6), -EINVAL);
	par_topo_destroy(t);
}

static void restrict_allowed(void **state)
{
	static const int keep[] = { 0, 1, 2, 3, 16, 17, 200 };
	int cpus[8];

	(void)state;
	struct par_topo *t = load(BIG);
	assert_int_equal(par_topo_restrict(t, keep, 7), 0);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PU), 6);
	assert_int_equal(par_topo_count(t, PAR_TOPO_CORE), 3);
	assert_int_equal(par_topo_count(t, PAR_TOPO_NUMA), 2);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PACKAGE), 2);
	assert_int_equal(par_topo_numa_os_index(t, 1), 2);
	assert_int_equal(par_topo_numa_cpus(t, 1, cpus, 8), 2);
	assert_int_equal(cpus[0], 16);
	static const int none[] = { 300 };
	assert_int_equal(par_topo_restrict(t, none, 1), -EINVAL); /* would be empty */
	assert_int_equal(par_topo_count(t, PAR_TOPO_PU), 6);	  /* unchanged */
	par_topo_destroy(t);
}

static void xml_and_errors(void **state)
{
	struct par_topo *t = NULL;

	(void)state;
	assert_int_equal(par_topo_load_xml(PAR_TEST_DATA "/asymmetric.xml", &t), 0);
	assert_int_equal(par_topo_count(t, PAR_TOPO_CORE), 6);
	assert_int_equal(par_topo_count(t, PAR_TOPO_NUMA), 2);
	par_topo_destroy(t);
	assert_int_equal(par_topo_load_xml("/nonexistent/topo.xml", &t), -ENOENT);
	assert_int_equal(par_topo_load_synthetic("bogus:7 nonsense", &t), -EINVAL);
	assert_int_equal(par_topo_load_synthetic(NULL, &t), -EINVAL);
	assert_int_equal(par_topo_load_xml(PAR_TEST_DATA "/not-a-topology.xml", &t), -EINVAL);
}

static void spec_strings_and_env(void **state)
{
	struct par_topo *t = NULL;

	(void)state;
	assert_int_equal(par_topo_load_spec("core:3 pu:1", &t), 0);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PU), 3);
	par_topo_destroy(t);
	assert_int_equal(par_topo_load_spec(PAR_TEST_DATA "/asymmetric.xml", &t), 0);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PU), 12);
	par_topo_destroy(t);
	setenv("PAR_TOPOLOGY", "package:3 core:1 pu:1", 1);
	assert_int_equal(par_topo_load_spec(NULL, &t), 0);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PACKAGE), 3);
	par_topo_destroy(t);
	assert_int_equal(par_topo_load_spec("machine", &t), 0); /* env ignored */
	assert_int_equal(par_topo_is_this_machine(t), 1);
	par_topo_destroy(t);
	unsetenv("PAR_TOPOLOGY");
}

static int affinity_count(void)
{
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	return CPU_COUNT(&set);
}

static void this_machine_matches_affinity(void **state)
{
	struct par_topo *t = NULL;

	(void)state;
	assert_int_equal(par_topo_load(&t), 0);
	assert_int_equal(par_topo_is_this_machine(t), 1);
	assert_int_equal(par_topo_count(t, PAR_TOPO_PU), affinity_count());
	assert_true(par_topo_count(t, PAR_TOPO_CORE) >= 1);
	assert_true(par_topo_count(t, PAR_TOPO_NUMA) >= 1);
	par_topo_destroy(t);
}

/* In a child bound to one CPU (like taskset), only that CPU is allowed. */
static int child_bound(void *arg)
{
	struct par_topo *t = NULL;
	cpu_set_t set;
	int cpu = *(int *)arg, got = -1;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0 || par_topo_load(&t) != 0)
		return 10;
	int n = par_topo_cpus(t, &got, 1);
	par_topo_destroy(t);
	return n == 1 && got == cpu ? 0 : 11;
}

static void this_machine_respects_taskset(void **state)
{
	cpu_set_t set;
	int cpu = 0;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	while (!CPU_ISSET(cpu, &set))
		cpu++;
	par_test_reap_code(par_test_fork(child_bound, &cpu), 10 * PAR_TEST_SEC, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(synthetic_counts),
	cmocka_unit_test(numa_nodes_and_cpus),
	cmocka_unit_test(caches),
	cmocka_unit_test(restrict_allowed),
	cmocka_unit_test(xml_and_errors),
	cmocka_unit_test(spec_strings_and_env),
	cmocka_unit_test(this_machine_matches_affinity),
	cmocka_unit_test(this_machine_respects_taskset),
};

PAR_TEST_MAIN(tests)
