/* Subprocess stress: tens of MiB through stdin, stdout and stderr at once,
 * which deadlocks any reader that blocks on one pipe while another fills. */
#include "par_test.h"

#include <par/process.h>

#include "pattern.h"

#define BIG ((size_t)50 << 20)
#define LIMIT (240 * PAR_TEST_SEC)

/* Index of the first byte of p[0..n) that differs from stream s, or n. */
static size_t first_bad(const char *p, size_t n, unsigned s)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] != par_pattern(i, s))
			return i;
	return n;
}

static char *pattern_buf(size_t n, unsigned s)
{
	char *p = malloc(n);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)par_pattern(i, s);
	return p;
}

static void big_stdout_and_stderr_together(void **state)
{
	char size[32];
	struct par_subprocess_result res;

	(void)state;
	snprintf(size, sizeof(size), "%zu", BIG);
	const char *argv[] = { PAR_TEST_BIGIO, "gen", size, NULL };
	assert_int_equal(par_subprocess_run(argv, NULL, NULL, 0, LIMIT, &res), 0);
	assert_int_equal(res.exit.code, 0);
	assert_int_equal(res.out_len, BIG);
	assert_int_equal(res.err_len, BIG);
	assert_int_equal(first_bad(res.out, res.out_len, 0), BIG);
	assert_int_equal(first_bad(res.err, res.err_len, 1), BIG);
	assert_int_equal(res.out[BIG], '\0');
	assert_int_equal(res.err[BIG], '\0');
	par_subprocess_result_free(&res);
}

static void big_through_cat(void **state)
{
	struct par_subprocess_result res;

	(void)state;
	char *in = pattern_buf(BIG, 2);
	const char *argv[] = { "cat", NULL };
	assert_int_equal(par_subprocess_run(argv, NULL, in, BIG, LIMIT, &res), 0);
	assert_int_equal(res.exit.code, 0);
	assert_int_equal(res.out_len, BIG);
	assert_int_equal(first_bad(res.out, res.out_len, 2), BIG);
	assert_int_equal(res.err_len, 0);
	par_subprocess_result_free(&res);
	free(in);
}

static void big_in_to_both_outputs(void **state)
{
	size_t n = (size_t)20 << 20;
	struct par_subprocess_result res;

	(void)state;
	char *in = pattern_buf(n, 3);
	const char *argv[] = { PAR_TEST_BIGIO, "tee", NULL };
	assert_int_equal(par_subprocess_run(argv, NULL, in, n, LIMIT, &res), 0);
	assert_int_equal(res.exit.code, 0);
	assert_int_equal(res.out_len, n);
	assert_int_equal(res.err_len, n);
	assert_memory_equal(res.out, in, n);
	assert_memory_equal(res.err, in, n);
	par_subprocess_result_free(&res);
	free(in);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(big_stdout_and_stderr_together),
	cmocka_unit_test(big_through_cat),
	cmocka_unit_test(big_in_to_both_outputs),
};

PAR_TEST_MAIN(tests)
