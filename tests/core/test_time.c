/* Monotonic time, deadlines and sleep. */
#include "par_test.h"

#include <par/core.h>

static void now_is_monotonic(void **state)
{
	(void)state;
	int64_t a = par_now_ns();
	int64_t b = par_now_ns();
	assert_true(a > 0);
	assert_true(b >= a);
}

static void deadline_conversions(void **state)
{
	(void)state;
	assert_true(par_deadline(PAR_FOREVER) == PAR_NO_DEADLINE);
	assert_true(par_deadline(-42) == PAR_NO_DEADLINE);
	assert_true(par_deadline(INT64_MAX - 1) == PAR_NO_DEADLINE); /* saturates */
	int64_t before = par_now_ns();
	int64_t d = par_deadline(5 * PAR_TEST_SEC);
	assert_true(d >= before + 5 * PAR_TEST_SEC);
	assert_true(d <= par_now_ns() + 5 * PAR_TEST_SEC);
	assert_true(par_deadline(0) <= par_now_ns());
}

static void deadline_left(void **state)
{
	(void)state;
	assert_true(par_deadline_left(PAR_NO_DEADLINE) == PAR_FOREVER);
	assert_true(par_deadline_left(par_now_ns() - 1000) == 0);
	int64_t left = par_deadline_left(par_deadline(PAR_TEST_SEC));
	assert_true(left > 0 && left <= PAR_TEST_SEC);
}

static void sleep_waits_at_least(void **state)
{
	(void)state;
	int64_t t0 = par_now_ns();
	assert_int_equal(par_sleep_ns(20 * PAR_TEST_MS), 0);
	assert_true(par_now_ns() - t0 >= 20 * PAR_TEST_MS);
	assert_int_equal(par_sleep_ns(0), 0);
	assert_int_equal(par_sleep_ns(-1), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(now_is_monotonic),
	cmocka_unit_test(deadline_conversions),
	cmocka_unit_test(deadline_left),
	cmocka_unit_test(sleep_waits_at_least),
};

PAR_TEST_MAIN(tests)
