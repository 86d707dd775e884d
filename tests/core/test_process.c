/* Process: a function in a forked child; exit codes, signals, timed joins. */
#include "par_test.h"

#include <par/process.h>

#include <fcntl.h>
#include <sys/resource.h>

#define JOIN_LIMIT (10 * PAR_TEST_SEC)

/* What children report back through a MAP_SHARED page. */
struct shared {
	uint32_t go;	/* the parent's release */
	uint32_t ready; /* the child's arrival */
	pid_t pid;
	char comm[32];
	int arg_seen;
};

static struct par_process *start(par_process_fn fn, void *arg)
{
	struct par_process *p = NULL;

	assert_int_equal(par_process_start(fn, arg, NULL, &p), 0);
	assert_non_null(p);
	return p;
}

static struct par_exit join_done(struct par_process *p)
{
	struct par_exit st = { .code = -2, .signal = -2 };

	assert_int_equal(par_process_join(p, JOIN_LIMIT, &st), 0);
	return st;
}

static void finish(struct par_process *p)
{
	assert_int_equal(par_process_destroy(p), 0);
}

static int return_arg(void *arg)
{
	return (int)(intptr_t)arg;
}

static void exit_codes_are_reported(void **state)
{
	static const int codes[] = { 0, 3, 255 };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct par_process *p = start(return_arg, (void *)(intptr_t)codes[i]);
		struct par_exit st = join_done(p);
		assert_int_equal(st.code, codes[i]);
		assert_int_equal(st.signal, 0);
		assert_int_equal(st.core_dumped, 0);
		finish(p);
	}
}

static void exit_code_keeps_low_byte(void **state)
{
	(void)state;
	struct par_process *p = start(return_arg, (void *)(intptr_t)0x1ff);
	assert_int_equal(join_done(p).code, 0xff);
	finish(p);
}

static int check_arg(void *arg)
{
	struct shared *s = arg;

	s->arg_seen = 1;
	return s->arg_seen == 1 && s->go == 42 ? 9 : 1;
}

static void fn_receives_its_arg(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));

	(void)state;
	s->go = 42;
	struct par_process *p = start(check_arg, s);
	assert_int_equal(join_done(p).code, 9);
	assert_int_equal(s->arg_seen, 1);
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static int segfault(void *arg)
{
	struct rlimit none = { 0, 0 };

	(void)arg;
	setrlimit(RLIMIT_CORE, &none); /* no core file, and no slow dump */
	signal(SIGSEGV, SIG_DFL);      /* sanitizers install their own handler */
	raise(SIGSEGV);
	return 0;
}

static void crash_reports_the_signal(void **state)
{
	(void)state;
	struct par_process *p = start(segfault, NULL);
	struct par_exit st = join_done(p);
	assert_int_equal(st.signal, SIGSEGV);
	assert_int_equal(st.code, -1);
	finish(p);
}

/* Arrive, then wait (bounded) for the parent's go; exit 0 when released. */
static int wait_for_go(void *arg)
{
	struct shared *s = arg;
	int64_t deadline = par_deadline(30 * PAR_TEST_SEC);

	/* release: pairs with the acquire in wait_ready */
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	par_futex_wake(&s->ready, -1);
	while (__atomic_load_n(&s->go, __ATOMIC_ACQUIRE) == 0)
		if (par_futex_wait_until(&s->go, 0, deadline) == -ETIMEDOUT)
			return 1;
	return 0;
}

static void wait_ready(struct shared *s)
{
	int64_t deadline = par_deadline(JOIN_LIMIT);

	/* acquire: pairs with the release in wait_for_go */
	while (__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) == 0)
		assert_int_not_equal(par_futex_wait_until(&s->ready, 0, deadline), -ETIMEDOUT);
}

static void release(struct shared *s)
{
	/* release: pairs with the acquire in wait_for_go */
	__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	par_futex_wake(&s->go, -1);
}

static void kill_and_terminate_report_signals(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));

	(void)state;
	struct par_process *a = start(wait_for_go, s);
	struct par_process *b = start(wait_for_go, s);
	assert_int_equal(par_process_kill(a), 0);
	assert_int_equal(par_process_terminate(b), 0);
	assert_int_equal(join_done(a).signal, SIGKILL);
	struct par_exit st = join_done(b);
	assert_int_equal(st.signal, SIGTERM);
	assert_int_equal(st.code, -1);
	finish(a);
	finish(b);
	par_test_unshare(s, sizeof(*s));
}

static void any_signal_is_sent(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));

	(void)state;
	struct par_process *p = start(wait_for_go, s);
	wait_ready(s);
	assert_int_equal(par_process_signal(p, SIGUSR1), 0);
	assert_int_equal(join_done(p).signal, SIGUSR1);
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void join_times_out_while_running(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_exit st = { .code = 77 };

	(void)state;
	struct par_process *p = start(wait_for_go, s);
	assert_int_equal(par_process_join(p, 0, &st), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_process_join(p, 50 * PAR_TEST_MS, &st), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 50 * PAR_TEST_MS);
	assert_int_equal(st.code, 77); /* untouched */
	assert_int_equal(par_process_kill(p), 0);
	assert_int_equal(join_done(p).signal, SIGKILL);
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void later_joins_return_at_once(void **state)
{
	(void)state;
	struct par_process *p = start(return_arg, (void *)(intptr_t)5);
	assert_int_equal(join_done(p).code, 5);
	struct par_exit st = { 0 };
	assert_int_equal(par_process_join(p, 0, &st), 0);
	assert_int_equal(st.code, 5);
	assert_int_equal(par_process_join(p, PAR_FOREVER, NULL), 0);
	finish(p);
}

static int report_pid_and_comm(void *arg)
{
	struct shared *s = arg;
	int fd = open("/proc/self/comm", O_RDONLY);

	s->pid = getpid();
	if (fd < 0)
		return 1;
	ssize_t n = read(fd, s->comm, sizeof(s->comm) - 1);
	close(fd);
	return n > 0 ? 0 : 1;
}

static void pid_and_name_are_the_childs(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_process_opts o;
	struct par_process *p;

	(void)state;
	par_process_opts_init(&o);
	o.name = "worker-one";
	assert_int_equal(par_process_start(report_pid_and_comm, s, &o, &p), 0);
	assert_string_equal(par_process_name(p), "worker-one");
	assert_int_equal(join_done(p).code, 0);
	assert_int_equal(s->pid, par_process_pid(p));
	assert_string_equal(s->comm, "worker-one\n");
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void long_name_is_cut_in_comm_only(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_process_opts o;
	struct par_process *p;
	char name[] = "a-process-name-longer-than-fifteen";

	(void)state;
	par_process_opts_init(&o);
	o.name = name;
	assert_int_equal(par_process_start(report_pid_and_comm, s, &o, &p), 0);
	name[0] = 'X'; /* the handle holds its own copy */
	assert_string_equal(par_process_name(p), "a-process-name-longer-than-fifteen");
	assert_int_equal(join_done(p).code, 0);
	assert_string_equal(s->comm, "a-process-name-\n");
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void default_name(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));

	(void)state;
	struct par_process *p = start(report_pid_and_comm, s);
	assert_string_equal(par_process_name(p), "par-process");
	assert_int_equal(join_done(p).code, 0);
	assert_string_equal(s->comm, "par-process\n");
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void is_alive_before_and_after(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));

	(void)state;
	struct par_process *p = start(wait_for_go, s);
	wait_ready(s);
	assert_int_equal(par_process_is_alive(p), 1);
	release(s);
	int64_t deadline = par_deadline(JOIN_LIMIT);
	while (par_process_is_alive(p) == 1 && par_now_ns() < deadline)
		par_sleep_ns(PAR_TEST_MS);
	assert_int_equal(par_process_is_alive(p), 0);
	struct par_exit st = { .code = -2 };
	assert_int_equal(par_process_join(p, 0, &st), 0); /* is_alive reaped it */
	assert_int_equal(st.code, 0);
	assert_int_equal(par_process_is_alive(p), 0);
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void signals_after_join_are_refused(void **state)
{
	(void)state;
	struct par_process *p = start(return_arg, NULL);
	join_done(p);
	assert_int_equal(par_process_signal(p, SIGTERM), -ESRCH);
	assert_int_equal(par_process_terminate(p), -ESRCH);
	assert_int_equal(par_process_kill(p), -ESRCH);
	finish(p);
}

static void destroy_before_join_is_busy(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));

	(void)state;
	struct par_process *p = start(wait_for_go, s);
	assert_int_equal(par_process_destroy(p), -EBUSY);
	assert_int_equal(par_process_is_alive(p), 1);
	assert_int_equal(par_process_kill(p), 0);
	assert_int_equal(join_done(p).signal, SIGKILL);
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static void reaped_elsewhere_is_echild(void **state)
{
	int status;

	(void)state;
	struct par_process *p = start(return_arg, (void *)(intptr_t)6);
	assert_int_equal(waitpid(par_process_pid(p), &status, 0), par_process_pid(p));
	assert_int_equal(WEXITSTATUS(status), 6);
	assert_int_equal(par_process_join(p, JOIN_LIMIT, NULL), -ECHILD);
	assert_int_equal(par_process_join(p, 0, NULL), -ECHILD);
	assert_int_equal(par_process_is_alive(p), 0);
	assert_int_equal(par_process_kill(p), -ESRCH); /* the pid is no longer ours */
	finish(p);
}

static void bad_arguments(void **state)
{
	struct par_process *p = (struct par_process *)0x1;
	struct par_process_opts o;

	(void)state;
	assert_int_equal(par_process_start(NULL, NULL, NULL, &p), -EINVAL);
	assert_int_equal(par_process_start(return_arg, NULL, NULL, NULL), -EINVAL);
	par_process_opts_init(&o);
	o.size = 1;
	assert_int_equal(par_process_start(return_arg, NULL, &o, &p), -EINVAL);
	assert_ptr_equal(p, (struct par_process *)0x1);
	assert_int_equal(par_process_join(NULL, 0, NULL), -EINVAL);
	assert_int_equal(par_process_signal(NULL, SIGTERM), -EINVAL);
	assert_int_equal(par_process_destroy(NULL), 0);
}

static void old_opts_get_defaults(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_process_opts o;
	struct par_process *p;

	(void)state;
	par_process_opts_init(&o);
	o.name = "ignored";
	o.size = sizeof(size_t); /* a caller built before name existed */
	assert_int_equal(par_process_start(report_pid_and_comm, s, &o, &p), 0);
	assert_string_equal(par_process_name(p), "par-process");
	assert_int_equal(join_done(p).code, 0);
	finish(p);
	par_test_unshare(s, sizeof(*s));
}

static FILE *flush_file;

static int write_child_line(void *arg)
{
	(void)arg;
	fputs("child\n", flush_file);
	return 0; /* the library flushes before _exit */
}

static void stdio_is_flushed_before_fork(void **state)
{
	char got[64] = { 0 };

	(void)state;
	flush_file = tmpfile();
	assert_non_null(flush_file);
	assert_int_equal(setvbuf(flush_file, NULL, _IOFBF, 4096), 0);
	fputs("before\n", flush_file); /* still in the buffer at fork */
	struct par_process *p = start(write_child_line, NULL);
	assert_int_equal(join_done(p).code, 0);
	fputs("after\n", flush_file);
	assert_int_equal(fflush(flush_file), 0);
	assert_true(pread(fileno(flush_file), got, sizeof(got) - 1, 0) > 0);
	assert_string_equal(got, "before\nchild\nafter\n");
	fclose(flush_file);
	finish(p);
}

static void many_children(void **state)
{
	struct par_process *p[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		p[i] = start(return_arg, (void *)(intptr_t)(100 + i));
	for (int i = 0; i < 16; i++) {
		assert_int_equal(join_done(p[i]).code, 100 + i);
		finish(p[i]);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(exit_codes_are_reported),
	cmocka_unit_test(exit_code_keeps_low_byte),
	cmocka_unit_test(fn_receives_its_arg),
	cmocka_unit_test(crash_reports_the_signal),
	cmocka_unit_test(kill_and_terminate_report_signals),
	cmocka_unit_test(any_signal_is_sent),
	cmocka_unit_test(join_times_out_while_running),
	cmocka_unit_test(later_joins_return_at_once),
	cmocka_unit_test(pid_and_name_are_the_childs),
	cmocka_unit_test(long_name_is_cut_in_comm_only),
	cmocka_unit_test(default_name),
	cmocka_unit_test(is_alive_before_and_after),
	cmocka_unit_test(signals_after_join_are_refused),
	cmocka_unit_test(destroy_before_join_is_busy),
	cmocka_unit_test(reaped_elsewhere_is_echild),
	cmocka_unit_test(bad_arguments),
	cmocka_unit_test(old_opts_get_defaults),
	cmocka_unit_test(stdio_is_flushed_before_fork),
	cmocka_unit_test(many_children),
};

PAR_TEST_MAIN(tests)
