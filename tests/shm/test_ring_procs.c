/* Ring in MAP_SHARED memory between forked processes, each attaching its own
 * handle: every sync mode and shape, with exactly-once, per-producer order
 * and checksum checks (ring_matrix.h). */
#include "ring_matrix.h"

static void run(unsigned mode, unsigned np, unsigned nc, uint64_t per, int shape)
{
	ring_matrix_run(&(struct matrix){ .mode = mode,
					  .producers = np,
					  .consumers = nc,
					  .per_producer = per,
					  .cap = 32,
					  .es = 16,
					  .shape = shape,
					  .processes = 1 });
}

static void spsc_single(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 200000, SHAPE_SINGLE);
}

static void spsc_mixed(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 100000, SHAPE_MIXED);
}

static void spsc_zero_copy(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 100000, SHAPE_ZERO_COPY);
}

static void mpsc_3x1(void **state)
{
	(void)state;
	run(PAR_RING_SC_DEQ, 3, 1, 30000, SHAPE_MIXED);
}

static void spmc_1x3(void **state)
{
	(void)state;
	run(PAR_RING_SP_ENQ, 1, 3, 100000, SHAPE_MIXED);
}

static void mpmc_2x2(void **state)
{
	(void)state;
	run(PAR_RING_MPMC, 2, 2, 50000, SHAPE_MIXED);
}

static void mpmc_4x4_zero_copy(void **state)
{
	(void)state;
	run(PAR_RING_MPMC, 4, 4, 20000, SHAPE_ZERO_COPY);
}

static void mpmc_4x4_blocking(void **state)
{
	(void)state;
	run(PAR_RING_MPMC, 4, 4, 20000, SHAPE_WAIT);
}

/* one case a line: tests/CMakeLists.txt registers the first of each line */
/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(spsc_single),
	cmocka_unit_test(spsc_mixed),
	cmocka_unit_test(spsc_zero_copy),
	cmocka_unit_test(mpsc_3x1),
	cmocka_unit_test(spmc_1x3),
	cmocka_unit_test(mpmc_2x2),
	cmocka_unit_test(mpmc_4x4_zero_copy),
	cmocka_unit_test(mpmc_4x4_blocking),
};
/* clang-format on */

PAR_TEST_MAIN(tests)
