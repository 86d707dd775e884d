/* par_strerror and par_version. */
#include "par_test.h"

#include <par/core.h>

static void success_and_positive(void **state)
{
	(void)state;
	assert_string_equal(par_strerror(0), "success");
	assert_string_equal(par_strerror(5), "not an error code (a count or a positive value)");
}

static void par_vocabulary(void **state)
{
	(void)state;
	assert_string_equal(par_strerror(-ETIMEDOUT), "timed out");
	assert_non_null(strstr(par_strerror(-EOWNERDEAD), "peer died"));
	assert_non_null(strstr(par_strerror(-EPIPE), "closed"));
	assert_non_null(strstr(par_strerror(-EPROTO), "mismatch"));
	assert_non_null(strstr(par_strerror(-EAGAIN), "would block"));
}

static void libc_fallback_and_unknown(void **state)
{
	(void)state;
	assert_string_equal(par_strerror(-ENOSPC), "No space left on device");
	assert_string_equal(par_strerror(-100000), "unknown error");
	assert_string_equal(par_strerror(INT32_MIN), "unknown error");
}

static void version_matches_header(void **state)
{
	char want[32];

	(void)state;
	snprintf(want, sizeof(want), "%d.%d.%d", PAR_VERSION_MAJOR, PAR_VERSION_MINOR,
		 PAR_VERSION_PATCH);
	assert_string_equal(par_version(), want);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(success_and_positive),
	cmocka_unit_test(par_vocabulary),
	cmocka_unit_test(libc_fallback_and_unknown),
	cmocka_unit_test(version_matches_header),
};

PAR_TEST_MAIN(tests)
