/* Ring between threads (no fork: what ThreadSanitizer runs): SPSC with
 * sequence and checksum, and the MPMC matrix with per-producer FIFO and
 * exactly-once delivery. */
#include "ring_matrix.h"

#if defined(__SANITIZE_THREAD__)
#define SCALE 10
#else
#define SCALE 1
#endif

static void spsc_single_million(void **state)
{
	(void)state;
	ring_matrix_run(&(struct matrix){ .mode = PAR_RING_SPSC,
					  .producers = 1,
					  .consumers = 1,
					  .per_producer = 1000000 / SCALE,
					  .cap = 1024,
					  .es = 8,
					  .shape = SHAPE_SINGLE });
}

static void spsc_bursts_million(void **state)
{
	(void)state;
	ring_matrix_run(&(struct matrix){ .mode = PAR_RING_SPSC,
					  .producers = 1,
					  .consumers = 1,
					  .per_producer = 1000000 / SCALE,
					  .cap = 64,
					  .es = 16,
					  .shape = SHAPE_MIXED });
}

static void spsc_zero_copy(void **state)
{
	(void)state;
	ring_matrix_run(&(struct matrix){ .mode = PAR_RING_SPSC,
					  .producers = 1,
					  .consumers = 1,
					  .per_producer = 300000 / SCALE,
					  .cap = 16,
					  .es = 24,
					  .shape = SHAPE_ZERO_COPY });
}

static void spsc_blocking(void **state)
{
	(void)state;
	ring_matrix_run(&(struct matrix){ .mode = PAR_RING_SPSC,
					  .producers = 1,
					  .consumers = 1,
					  .per_producer = 200000 / SCALE,
					  .cap = 8,
					  .es = 8,
					  .shape = SHAPE_WAIT });
}

static void matrix(unsigned mode, unsigned np, unsigned nc, int shape)
{
	ring_matrix_run(&(struct matrix){ .mode = mode,
					  .producers = np,
					  .consumers = nc,
					  .per_producer = 100000 / SCALE,
					  .cap = 16,
					  .es = 16,
					  .shape = shape });
}

static void mpsc_4x1(void **state)
{
	(void)state;
	matrix(PAR_RING_SC_DEQ, 4, 1, SHAPE_MIXED);
}

static void spmc_1x4(void **state)
{
	(void)state;
	matrix(PAR_RING_SP_ENQ, 1, 4, SHAPE_MIXED);
}

static void mpmc_2x2(void **state)
{
	(void)state;
	matrix(PAR_RING_MPMC, 2, 2, SHAPE_MIXED);
}

static void mpmc_4x4(void **state)
{
	(void)state;
	matrix(PAR_RING_MPMC, 4, 4, SHAPE_MIXED);
}

static void mpmc_2x4(void **state)
{
	(void)state;
	matrix(PAR_RING_MPMC, 2, 4, SHAPE_SINGLE);
}

static void mpmc_4x2(void **state)
{
	(void)state;
	matrix(PAR_RING_MPMC, 4, 2, SHAPE_SINGLE);
}

static void mpmc_zero_copy_4x4(void **state)
{
	(void)state;
	matrix(PAR_RING_MPMC, 4, 4, SHAPE_ZERO_COPY);
}

static void mpmc_blocking_4x4(void **state)
{
	(void)state;
	matrix(PAR_RING_MPMC, 4, 4, SHAPE_WAIT);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(spsc_single_million),
	cmocka_unit_test(spsc_bursts_million),
	cmocka_unit_test(spsc_zero_copy),
	cmocka_unit_test(spsc_blocking),
	cmocka_unit_test(mpsc_4x1),
	cmocka_unit_test(spmc_1x4),
	cmocka_unit_test(mpmc_2x2),
	cmocka_unit_test(mpmc_4x4),
	cmocka_unit_test(mpmc_2x4),
	cmocka_unit_test(mpmc_4x2),
	cmocka_unit_test(mpmc_zero_copy_4x4),
	cmocka_unit_test(mpmc_blocking_4x4),
};

PAR_TEST_MAIN(tests)
