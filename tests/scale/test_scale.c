/* scale/: workloads, GIL, points, statistics, Python parsing, machine. */
#include "par_test.h"

#include <par/scale.h>

static void workload_lookup(void **state)
{
	(void)state;
	assert_non_null(par_scale_workload_find("compute"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(workload_lookup),
};

PAR_TEST_MAIN(tests)
