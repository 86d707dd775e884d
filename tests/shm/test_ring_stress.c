/* Ring stress between threads (no fork: ThreadSanitizer runs it too, with
 * fewer elements): millions of elements, tiny rings wrapped over and over,
 * and the producers x consumers matrix in every shape. */
#include "ring_matrix.h"

#if defined(__SANITIZE_THREAD__)
#define SCALE 20
#else
#define SCALE 1
#endif

#define LIMIT (240 * PAR_TEST_SEC)

static void run(unsigned mode, unsigned np, unsigned nc, uint64_t per, uint32_t cap, size_t es,
		int shape)
{
	ring_matrix_run(&(struct matrix){ .mode = mode,
					  .producers = np,
					  .consumers = nc,
					  .per_producer = per / SCALE,
					  .cap = cap,
					  .es = es,
					  .shape = shape,
					  .limit_ns = LIMIT });
}

static void spsc_ten_million_cap8(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 10000000, 8, 8, SHAPE_SINGLE);
}

static void spsc_mixed_cap16(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 5000000, 16, 24, SHAPE_MIXED);
}

static void spsc_zero_copy_cap8(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 3000000, 8, 16, SHAPE_ZERO_COPY);
}

static void mpsc_8x1(void **state)
{
	(void)state;
	run(PAR_RING_SC_DEQ, 8, 1, 500000, 16, 16, SHAPE_MIXED);
}

static void spmc_1x8(void **state)
{
	(void)state;
	run(PAR_RING_SP_ENQ, 1, 8, 3000000, 16, 16, SHAPE_MIXED);
}

/* The matrix: 1, 2, 4 producers x 1, 2, 4 consumers on an MPMC ring. */
static void mpmc_matrix(void **state)
{
	static const unsigned n[] = { 1, 2, 4 };

	(void)state;
	for (int p = 0; p < 3; p++)
		for (int c = 0; c < 3; c++)
			run(PAR_RING_MPMC, n[p], n[c], 1000000 / n[p], 16, 16, SHAPE_MIXED);
}

static void mpmc_zero_copy_4x4(void **state)
{
	(void)state;
	run(PAR_RING_MPMC, 4, 4, 500000, 8, 32, SHAPE_ZERO_COPY);
}

static void mpmc_blocking_8x8(void **state)
{
	(void)state;
	run(PAR_RING_MPMC, 8, 8, 200000, 8, 16, SHAPE_WAIT);
}

static void spsc_blocking_cap1(void **state)
{
	(void)state;
	run(PAR_RING_SPSC, 1, 1, 500000, 1, 8, SHAPE_WAIT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(spsc_ten_million_cap8),
	cmocka_unit_test(spsc_mixed_cap16),
	cmocka_unit_test(spsc_zero_copy_cap8),
	cmocka_unit_test(mpsc_8x1),
	cmocka_unit_test(spmc_1x8),
	cmocka_unit_test(mpmc_matrix),
	cmocka_unit_test(mpmc_zero_copy_4x4),
	cmocka_unit_test(mpmc_blocking_8x8),
	cmocka_unit_test(spsc_blocking_cap1),
};

PAR_TEST_MAIN(tests)
