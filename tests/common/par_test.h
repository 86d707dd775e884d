/* Shared helpers for par's cmocka tests.
 *
 * Every test program ends with PAR_TEST_MAIN(tests): with no argument it runs
 * the whole group; with one argument it runs only the case of that exact name
 * (ctest registers one test per case, see tests/CMakeLists.txt), and an
 * unknown name is an error rather than an empty pass. */
#ifndef PAR_TEST_H
#define PAR_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAR_TEST_SEC ((int64_t)1000000000)
#define PAR_TEST_MS ((int64_t)1000000)

static inline int par_test_main(const struct CMUnitTest *tests, size_t n, const char *group,
				int argc, char **argv)
{
	if (argc > 1) {
		size_t i;
		for (i = 0; i < n && strcmp(tests[i].name, argv[1]) != 0; i++)
			;
		if (i == n) {
			fprintf(stderr, "%s: no test case named '%s'\n", group, argv[1]);
			return 2;
		}
		cmocka_set_test_filter(argv[1]);
	}
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

#define PAR_TEST_MAIN(tests)                                                                  \
	int main(int argc, char **argv)                                                       \
	{                                                                                     \
		return par_test_main(tests, sizeof(tests) / sizeof(tests[0]), __FILE__, argc, \
				     argv);                                                   \
	}

/* Zeroed MAP_SHARED memory that forked children share. */
static inline void *par_test_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

static inline void par_test_unshare(void *p, size_t size)
{
	munmap(p, size);
}

/* Fork a child running fn(arg); the child exits with its return value,
 * without running atexit handlers or cmocka's. */
static inline pid_t par_test_fork(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return pid;
}

/* Reap pid, failing the test (after SIGKILLing it) when it has not ended
 * within timeout_ns. Returns the wait status. */
static inline int par_test_reap(pid_t pid, int64_t timeout_ns)
{
	struct timespec nap = { 0, 1000000 };
	int status = 0;

	for (int64_t waited = 0;; waited += nap.tv_nsec) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		assert_true(r >= 0);
		if (r == pid)
			return status;
		if (waited >= timeout_ns) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("child %d still running after %lld ms", (int)pid,
				 (long long)(timeout_ns / PAR_TEST_MS));
		}
		nanosleep(&nap, NULL);
	}
}

/* Reap pid and assert it exited with code (bounded by timeout_ns). */
static inline void par_test_reap_code(pid_t pid, int64_t timeout_ns, int code)
{
	int status = par_test_reap(pid, timeout_ns);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

#endif /* PAR_TEST_H */
