/* Subprocess: spawn programs, feed and capture them, exit codes, signals,
 * environment, working directory, timeouts and SIGPIPE. */
#include "par_test.h"

#include <par/process.h>

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>

#define LIMIT (20 * PAR_TEST_SEC)

static struct par_subprocess_result
run_ok(const char *const *argv, const struct par_subprocess_opts *o, const char *input, size_t len)
{
	struct par_subprocess_result res;

	assert_int_equal(par_subprocess_run(argv, o, input, len, LIMIT, &res), 0);
	return res;
}

static void assert_exited(const struct par_subprocess_result *res, int code)
{
	assert_int_equal(res->exit.signal, 0);
	assert_int_equal(res->exit.code, code);
}

static void echo_and_printf_capture_exact_bytes(void **state)
{
	(void)state;
	const char *echo[] = { "echo", "hello", "world", NULL };
	struct par_subprocess_result res = run_ok(echo, NULL, NULL, 0);
	assert_exited(&res, 0);
	assert_int_equal(res.out_len, 12);
	assert_string_equal(res.out, "hello world\n");
	assert_int_equal(res.err_len, 0);
	assert_string_equal(res.err, "");
	par_subprocess_result_free(&res);
	assert_null(res.out);

	const char *pf[] = { "printf", "a\\000b%s", "tail", NULL };
	res = run_ok(pf, NULL, NULL, 0);
	assert_int_equal(res.out_len, 7);
	assert_memory_equal(res.out, "a\0btail", 8); /* with the final NUL */
	par_subprocess_result_free(&res);
}

static void stdin_feeds_sort(void **state)
{
	(void)state;
	const char *argv[] = { "sort", NULL };
	const char in[] = "pear\napple\nfig\nbanana\n";
	struct par_subprocess_result res = run_ok(argv, NULL, in, strlen(in));
	assert_exited(&res, 0);
	assert_string_equal(res.out, "apple\nbanana\nfig\npear\n");
	assert_int_equal(res.out_len, strlen(in));
	par_subprocess_result_free(&res);
}

static void stdin_feeds_wc(void **state)
{
	(void)state;
	const char *argv[] = { "wc", "-c", NULL };
	size_t n = 1234567;
	char *in = malloc(n);
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		in[i] = (char)('a' + i % 26);
	struct par_subprocess_result res = run_ok(argv, NULL, in, n);
	assert_exited(&res, 0);
	assert_string_equal(res.out, "1234567\n");
	par_subprocess_result_free(&res);
	free(in);
}

static void null_stdin_gives_eof(void **state)
{
	(void)state;
	const char *argv[] = { "cat", NULL };
	struct par_subprocess_result res = run_ok(argv, NULL, NULL, 0);
	assert_exited(&res, 0);
	assert_int_equal(res.out_len, 0);
	assert_string_equal(res.out, "");
	par_subprocess_result_free(&res);
}

static void exit_code_is_reported(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "echo oops >&2; exit 7", NULL };
	struct par_subprocess_result res = run_ok(argv, NULL, NULL, 0);
	assert_exited(&res, 7);
	assert_string_equal(res.err, "oops\n");
	par_subprocess_result_free(&res);
}

static void signal_death_is_reported(void **state)
{
	(void)state;
	const char *argv[] = { "sh", "-c", "kill -TERM $$", NULL };
	struct par_subprocess_result res = run_ok(argv, NULL, NULL, 0);
	assert_int_equal(res.exit.signal, SIGTERM);
	assert_int_equal(res.exit.code, -1);
	par_subprocess_result_free(&res);
}

static void env_replaces_the_environment(void **state)
{
	struct par_subprocess_opts o;
	const char *env[] = { "FOO=bar", "PAR_X=1 2", NULL };

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdout_mode = PAR_STDIO_PIPE;
	o.env = env;
	const char *argv[] = { "/usr/bin/env", NULL };
	struct par_subprocess_result res = run_ok(argv, &o, NULL, 0);
	assert_exited(&res, 0);
	assert_string_equal(res.out, "FOO=bar\nPAR_X=1 2\n");
	assert_null(res.err);
	par_subprocess_result_free(&res);
}

static void cwd_option(void **state)
{
	char tmpl[] = "/tmp/par-cwd-XXXXXX";
	char real[PATH_MAX], want[PATH_MAX + 2];
	struct par_subprocess_opts o;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, real));
	snprintf(want, sizeof(want), "%s\n", real);
	par_subprocess_opts_init(&o);
	o.stdout_mode = PAR_STDIO_PIPE;
	o.cwd = tmpl;
	const char *argv[] = { "pwd", NULL };
	struct par_subprocess_result res = run_ok(argv, &o, NULL, 0);
	assert_exited(&res, 0);
	assert_string_equal(res.out, want);
	par_subprocess_result_free(&res);
	assert_int_equal(rmdir(tmpl), 0);

	o.cwd = "/usr/bin"; /* a relative program path is found from cwd */
	o.search_path = 0;
	const char *rel[] = { "./sh", "-c", "exit 4", NULL };
	res = run_ok(rel, &o, NULL, 0);
	assert_exited(&res, 4);
	par_subprocess_result_free(&res);
}

static void bad_cwd_fails_spawn(void **state)
{
	struct par_subprocess_opts o;
	struct par_subprocess *sp = (struct par_subprocess *)0x1;

	(void)state;
	par_subprocess_opts_init(&o);
	const char *argv[] = { "true", NULL };
	o.cwd = "/nonexistent-par-dir/x";
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), -ENOENT);
	o.cwd = "/dev/null";
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), -ENOTDIR);
	assert_ptr_equal(sp, (struct par_subprocess *)0x1);
}

static void missing_program_is_enoent(void **state)
{
	struct par_subprocess_result res;
	struct par_subprocess *sp = (struct par_subprocess *)0x1;

	(void)state;
	const char *bare[] = { "par-no-such-program-xyz", NULL };
	assert_int_equal(par_subprocess_spawn(bare, NULL, &sp), -ENOENT);
	const char *path[] = { "/nonexistent-par-dir/prog", NULL };
	assert_int_equal(par_subprocess_spawn(path, NULL, &sp), -ENOENT);
	assert_ptr_equal(sp, (struct par_subprocess *)0x1);
	assert_int_equal(par_subprocess_run(bare, NULL, "x", 1, LIMIT, &res), -ENOENT);
	assert_null(res.out);
	par_subprocess_result_free(&res);
}

static void search_path_off_needs_a_path(void **state)
{
	struct par_subprocess_opts o;
	struct par_subprocess *sp = NULL;

	(void)state;
	par_subprocess_opts_init(&o);
	o.search_path = 0;
	const char *bare[] = { "true", NULL }; /* no ./true here */
	int r = par_subprocess_spawn(bare, &o, &sp);
	if (r == 0) { /* the test runs in a directory holding "true" */
		par_subprocess_destroy(sp);
		skip();
	}
	assert_int_equal(r, -ENOENT);
	const char *full[] = { "/usr/bin/true", NULL };
	struct par_subprocess_result res = run_ok(full, &o, NULL, 0);
	assert_exited(&res, 0);
	par_subprocess_result_free(&res);
}

static void non_executable_is_eacces(void **state)
{
	char path[] = "/tmp/par-noexec-XXXXXX";
	struct par_subprocess *sp = NULL;

	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	const char *argv[] = { path, NULL };
	assert_int_equal(par_subprocess_spawn(argv, NULL, &sp), -EACCES);
	unlink(path);
}

static void timeout_kills_the_child(void **state)
{
	struct par_subprocess *sp;
	struct par_subprocess_result res;
	struct par_subprocess_opts o;

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdout_mode = PAR_STDIO_PIPE;
	const char *argv[] = { "sleep", "30", NULL };
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), 0);
	pid_t pid = par_subprocess_pid(sp);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_subprocess_communicate(sp, NULL, 0, 200 * PAR_TEST_MS, &res),
			 -ETIMEDOUT);
	int64_t took = par_now_ns() - t0;
	assert_true(took >= 200 * PAR_TEST_MS);
	assert_true(took < 10 * PAR_TEST_SEC);
	assert_int_equal(res.exit.signal, SIGKILL); /* killed and reaped */
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(par_subprocess_signal(sp, SIGTERM), -ESRCH);
	assert_string_equal(res.out, "");
	par_subprocess_result_free(&res);
	assert_int_equal(par_subprocess_destroy(sp), 0);
}

static void timeout_keeps_partial_output(void **state)
{
	(void)state;
	struct par_subprocess_result res;
	const char *argv[] = { "sh", "-c", "printf partial; echo half >&2; exec sleep 30", NULL };
	assert_int_equal(par_subprocess_run(argv, NULL, NULL, 0, 1 * PAR_TEST_SEC, &res),
			 -ETIMEDOUT);
	assert_int_equal(res.out_len, 7);
	assert_string_equal(res.out, "partial");
	assert_string_equal(res.err, "half\n");
	assert_int_equal(res.exit.signal, SIGKILL);
	par_subprocess_result_free(&res);
}

static void null_and_stdout_redirections(void **state)
{
	struct par_subprocess_opts o;

	(void)state;
	const char *argv[] = { "sh", "-c", "echo a; echo b >&2; echo c", NULL };
	par_subprocess_opts_init(&o);
	o.stdout_mode = PAR_STDIO_NULL;
	o.stderr_mode = PAR_STDIO_PIPE;
	struct par_subprocess_result res = run_ok(argv, &o, NULL, 0);
	assert_null(res.out);
	assert_string_equal(res.err, "b\n");
	par_subprocess_result_free(&res);

	o.stdout_mode = PAR_STDIO_PIPE;
	o.stderr_mode = PAR_STDIO_STDOUT;
	res = run_ok(argv, &o, NULL, 0);
	assert_string_equal(res.out, "a\nb\nc\n");
	assert_null(res.err);
	par_subprocess_result_free(&res);

	o.stderr_mode = PAR_STDIO_NULL;
	o.stdin_mode = PAR_STDIO_NULL;
	const char *cat[] = { "sh", "-c", "cat; echo gone >&2; echo end", NULL };
	res = run_ok(cat, &o, NULL, 0);
	assert_string_equal(res.out, "end\n");
	assert_null(res.err);
	par_subprocess_result_free(&res);
}

static void bad_modes_are_einval(void **state)
{
	struct par_subprocess_opts o;
	struct par_subprocess *sp = (struct par_subprocess *)0x1;
	const char *argv[] = { "true", NULL };
	const char *empty[] = { NULL };

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdin_mode = PAR_STDIO_STDOUT;
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), -EINVAL);
	par_subprocess_opts_init(&o);
	o.stdout_mode = PAR_STDIO_STDOUT;
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), -EINVAL);
	par_subprocess_opts_init(&o);
	o.stderr_mode = (enum par_stdio)42;
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), -EINVAL);
	assert_int_equal(par_subprocess_spawn(NULL, NULL, &sp), -EINVAL);
	assert_int_equal(par_subprocess_spawn(empty, NULL, &sp), -EINVAL);
	assert_int_equal(par_subprocess_spawn(argv, NULL, NULL), -EINVAL);
	o.size = 0;
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), -EINVAL);
	assert_ptr_equal(sp, (struct par_subprocess *)0x1);
	assert_int_equal(par_subprocess_run(argv, NULL, NULL, 0, LIMIT, NULL), -EINVAL);
}

static void fd_accessors(void **state)
{
	struct par_subprocess_opts o;
	struct par_subprocess *sp;
	struct par_subprocess_result res;

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdin_mode = o.stdout_mode = PAR_STDIO_PIPE;
	const char *argv[] = { "cat", NULL };
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), 0);
	int in = par_subprocess_stdin_fd(sp);
	assert_true(in > 2);
	assert_true(par_subprocess_stdout_fd(sp) > 2);
	assert_int_equal(par_subprocess_stderr_fd(sp), -EBADF);
	assert_true(fcntl(in, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(in, "xyz", 3), 3);
	/* NULL input: communicate only closes stdin */
	assert_int_equal(par_subprocess_communicate(sp, NULL, 0, LIMIT, &res), 0);
	assert_string_equal(res.out, "xyz");
	assert_exited(&res, 0);
	assert_int_equal(par_subprocess_stdin_fd(sp), -EBADF);
	assert_int_equal(par_subprocess_stdout_fd(sp), -EBADF);
	par_subprocess_result_free(&res);
	/* once per handle */
	assert_int_equal(par_subprocess_communicate(sp, NULL, 0, LIMIT, &res), -EINVAL);
	assert_int_equal(par_subprocess_destroy(sp), 0);
	assert_int_equal(par_subprocess_stdin_fd(NULL), -EBADF);
}

static void input_without_piped_stdin_is_einval(void **state)
{
	struct par_subprocess_opts o;
	struct par_subprocess *sp;
	struct par_subprocess_result res;

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdin_mode = PAR_STDIO_NULL;
	o.stdout_mode = PAR_STDIO_PIPE;
	const char *argv[] = { "cat", NULL };
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), 0);
	assert_int_equal(par_subprocess_communicate(sp, "data", 4, LIMIT, &res), -EINVAL);
	assert_null(res.out);
	assert_int_equal(par_subprocess_communicate(sp, NULL, 0, LIMIT, &res), 0);
	assert_string_equal(res.out, "");
	par_subprocess_result_free(&res);
	assert_int_equal(par_subprocess_destroy(sp), 0);
	assert_int_equal(par_subprocess_run(argv, &o, "data", 4, LIMIT, &res), -EINVAL);
	par_subprocess_result_free(&res);
}

static int sigpipe_is_pending(void)
{
	sigset_t pend;

	assert_int_equal(sigpending(&pend), 0);
	return sigismember(&pend, SIGPIPE);
}

static void unread_stdin_raises_no_sigpipe(void **state)
{
	size_t n = 10 << 20;
	char *in = calloc(1, n);
	sigset_t before, after;

	(void)state;
	assert_non_null(in);
	signal(SIGPIPE, SIG_DFL); /* a leaked SIGPIPE would kill this test */
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	const char *argv[] = { "true", NULL };
	struct par_subprocess_result res = run_ok(argv, NULL, in, n);
	assert_exited(&res, 0);
	par_subprocess_result_free(&res);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	assert_int_equal(sigismember(&after, SIGPIPE), sigismember(&before, SIGPIPE));
	assert_int_equal(sigpipe_is_pending(), 0);
	free(in);
}

static void pending_sigpipe_is_left_alone(void **state)
{
	size_t n = 4 << 20;
	char *in = calloc(1, n);
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };

	(void)state;
	assert_non_null(in);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	raise(SIGPIPE); /* the caller's own, pending before the call */
	assert_int_equal(sigpipe_is_pending(), 1);
	const char *argv[] = { "true", NULL };
	struct par_subprocess_result res = run_ok(argv, NULL, in, n);
	assert_exited(&res, 0);
	par_subprocess_result_free(&res);
	assert_int_equal(sigpipe_is_pending(), 1);
	assert_int_equal(sigtimedwait(&pipe_set, NULL, &zero), SIGPIPE);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(in);
}

static void ignored_signals_are_reset_in_the_child(void **state)
{
	sigset_t usr1, old;

	(void)state;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	void (*prev)(int) = signal(SIGPIPE, SIG_IGN);
	const char *argv[] = { "grep", "-E", "^(SigBlk|SigIgn)", "/proc/self/status", NULL };
	struct par_subprocess_result res = run_ok(argv, NULL, NULL, 0);
	signal(SIGPIPE, prev);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	assert_exited(&res, 0);
	/* the caller blocked SIGUSR1 and ignored SIGPIPE: the child neither */
	unsigned long long blk = 1, ign = 1;
	char *ig = strstr(res.out, "SigIgn:");
	assert_non_null(ig);
	assert_int_equal(sscanf(res.out, "SigBlk: %llx", &blk), 1);
	assert_int_equal(sscanf(ig, "SigIgn: %llx", &ign), 1);
	assert_int_equal(blk, 0);
	assert_int_equal(ign & (1ull << (SIGPIPE - 1)), 0);
	par_subprocess_result_free(&res);
}

static void wait_and_signal(void **state)
{
	struct par_subprocess *sp;
	struct par_exit st = { .code = 55 };

	(void)state;
	const char *argv[] = { "sleep", "30", NULL };
	assert_int_equal(par_subprocess_spawn(argv, NULL, &sp), 0);
	assert_int_equal(par_subprocess_wait(sp, 0, &st), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_subprocess_wait(sp, 50 * PAR_TEST_MS, &st), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 50 * PAR_TEST_MS);
	assert_int_equal(st.code, 55);
	assert_int_equal(par_subprocess_signal(sp, SIGINT), 0);
	assert_int_equal(par_subprocess_wait(sp, LIMIT, &st), 0);
	assert_int_equal(st.signal, SIGINT);
	assert_int_equal(par_subprocess_wait(sp, 0, NULL), 0);
	assert_int_equal(par_subprocess_signal(sp, SIGKILL), -ESRCH);
	assert_int_equal(par_subprocess_destroy(sp), 0);
}

static void reaped_elsewhere_is_echild(void **state)
{
	struct par_subprocess *sp;
	int status;

	(void)state;
	const char *argv[] = { "sh", "-c", "exit 3", NULL };
	assert_int_equal(par_subprocess_spawn(argv, NULL, &sp), 0);
	pid_t pid = par_subprocess_pid(sp);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_int_equal(par_subprocess_wait(sp, LIMIT, NULL), -ECHILD);
	assert_int_equal(par_subprocess_signal(sp, SIGKILL), -ESRCH);
	assert_int_equal(par_subprocess_destroy(sp), 0);
}

static void destroy_kills_and_reaps(void **state)
{
	struct par_subprocess *sp;
	struct par_subprocess_opts o;

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdin_mode = o.stdout_mode = PAR_STDIO_PIPE;
	const char *argv[] = { "sleep", "30", NULL };
	assert_int_equal(par_subprocess_spawn(argv, &o, &sp), 0);
	pid_t pid = par_subprocess_pid(sp);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(par_subprocess_destroy(sp), 0);
	assert_int_equal(kill(pid, 0), -1); /* no zombie left */
	assert_int_equal(errno, ESRCH);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void stdin_pipe_without_input_closes_it(void **state)
{
	struct par_subprocess_opts o;

	(void)state;
	par_subprocess_opts_init(&o);
	o.stdin_mode = o.stdout_mode = PAR_STDIO_PIPE;
	const char *argv[] = { "wc", "-c", NULL };
	struct par_subprocess_result res = run_ok(argv, &o, NULL, 0);
	assert_string_equal(res.out, "0\n");
	par_subprocess_result_free(&res);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(echo_and_printf_capture_exact_bytes),
	cmocka_unit_test(stdin_feeds_sort),
	cmocka_unit_test(stdin_feeds_wc),
	cmocka_unit_test(null_stdin_gives_eof),
	cmocka_unit_test(exit_code_is_reported),
	cmocka_unit_test(signal_death_is_reported),
	cmocka_unit_test(env_replaces_the_environment),
	cmocka_unit_test(cwd_option),
	cmocka_unit_test(bad_cwd_fails_spawn),
	cmocka_unit_test(missing_program_is_enoent),
	cmocka_unit_test(search_path_off_needs_a_path),
	cmocka_unit_test(non_executable_is_eacces),
	cmocka_unit_test(timeout_kills_the_child),
	cmocka_unit_test(timeout_keeps_partial_output),
	cmocka_unit_test(null_and_stdout_redirections),
	cmocka_unit_test(bad_modes_are_einval),
	cmocka_unit_test(fd_accessors),
	cmocka_unit_test(input_without_piped_stdin_is_einval),
	cmocka_unit_test(unread_stdin_raises_no_sigpipe),
	cmocka_unit_test(pending_sigpipe_is_left_alone),
	cmocka_unit_test(ignored_signals_are_reset_in_the_child),
	cmocka_unit_test(wait_and_signal),
	cmocka_unit_test(reaped_elsewhere_is_echild),
	cmocka_unit_test(destroy_kills_and_reaps),
	cmocka_unit_test(stdin_pipe_without_input_closes_it),
};

PAR_TEST_MAIN(tests)
