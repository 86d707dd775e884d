/* Thread: named threads, results through join, timed joins. Threads only (no
 * fork), so the ThreadSanitizer build runs it. */
#include "par_test.h"

#include <par/process.h>

#include <fcntl.h>
#include <sys/syscall.h>

#define JOIN_LIMIT (10 * PAR_TEST_SEC)

struct gate {
	uint32_t go;
	uint32_t ready;
	pid_t tid;
	struct par_thread *self;
	int rc[4];
	char name[4][32];
};

static void open_gate(uint32_t *w)
{
	/* release: pairs with the acquire in pass_gate */
	__atomic_store_n(w, 1, __ATOMIC_RELEASE);
	par_futex_wake(w, -1);
}

/* 0 once *w is set, -ETIMEDOUT after 30 s. */
static int pass_gate(uint32_t *w)
{
	int64_t deadline = par_deadline(30 * PAR_TEST_SEC);

	/* acquire: pairs with the release in open_gate */
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == 0)
		if (par_futex_wait_until(w, 0, deadline) == -ETIMEDOUT)
			return -ETIMEDOUT;
	return 0;
}

static struct par_thread *start_named(par_thread_fn fn, void *arg, const char *name)
{
	struct par_thread_opts o;
	struct par_thread *t = NULL;

	par_thread_opts_init(&o);
	o.name = name;
	assert_int_equal(par_thread_start(fn, arg, &o, &t), 0);
	assert_non_null(t);
	return t;
}

static int join_done(struct par_thread *t)
{
	int result = -12345;

	assert_int_equal(par_thread_join(t, JOIN_LIMIT, &result), 0);
	return result;
}

static void read_comm(pid_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
}

static int twice(void *arg)
{
	return 2 * (int)(intptr_t)arg;
}

static void result_comes_through_join(void **state)
{
	(void)state;
	struct par_thread *t = start_named(twice, (void *)(intptr_t)21, NULL);
	assert_int_equal(join_done(t), 42);
	int again = 0;
	assert_int_equal(par_thread_join(t, 0, &again), 0); /* later joins: at once */
	assert_int_equal(again, 42);
	assert_int_equal(par_thread_join(t, PAR_FOREVER, NULL), 0);
	assert_int_equal(par_thread_destroy(t), 0);
}

/* Publish our tid, then wait for the test to look at our comm. */
static int show_name(void *arg)
{
	struct gate *g = arg;

	g->rc[0] = par_thread_self_name(g->name[0], sizeof(g->name[0]));
	g->tid = (pid_t)syscall(SYS_gettid);
	open_gate(&g->ready);
	if (pass_gate(&g->go) < 0)
		return 1;
	g->rc[1] = par_thread_set_self_name("renamed");
	g->rc[2] = par_thread_self_name(g->name[1], sizeof(g->name[1]));
	return 0;
}

static void name_is_visible_in_proc(void **state)
{
	struct gate g = { 0 };
	char comm[32];

	(void)state;
	struct par_thread *t = start_named(show_name, &g, "my-worker");
	assert_string_equal(par_thread_name(t), "my-worker");
	assert_int_equal(pass_gate(&g.ready), 0);
	read_comm(g.tid, comm, sizeof(comm));
	assert_string_equal(comm, "my-worker\n");
	open_gate(&g.go);
	assert_int_equal(join_done(t), 0);
	assert_int_equal(g.rc[0], 0);
	assert_string_equal(g.name[0], "my-worker"); /* named before fn started */
	assert_int_equal(g.rc[1], 0);
	assert_int_equal(g.rc[2], 0);
	assert_string_equal(g.name[1], "renamed");
	assert_int_equal(par_thread_destroy(t), 0);
}

static void default_name(void **state)
{
	struct gate g = { 0 };

	(void)state;
	open_gate(&g.go);
	struct par_thread *t = start_named(show_name, &g, NULL);
	assert_string_equal(par_thread_name(t), "par-thread");
	assert_int_equal(join_done(t), 0);
	assert_string_equal(g.name[0], "par-thread");
	assert_int_equal(par_thread_destroy(t), 0);
}

static void long_name_is_cut(void **state)
{
	struct gate g = { 0 };
	char comm[32];

	(void)state;
	struct par_thread *t = start_named(show_name, &g, "a-thread-name-longer-than-fifteen");
	assert_string_equal(par_thread_name(t), "a-thread-name-l");
	assert_int_equal(strlen(par_thread_name(t)), PAR_THREAD_NAME_MAX);
	assert_int_equal(pass_gate(&g.ready), 0);
	read_comm(g.tid, comm, sizeof(comm));
	assert_string_equal(comm, "a-thread-name-l\n");
	open_gate(&g.go);
	assert_int_equal(join_done(t), 0);
	assert_string_equal(g.name[0], "a-thread-name-l");
	assert_int_equal(par_thread_destroy(t), 0);
}

static int rename_self(void *arg)
{
	struct gate *g = arg;
	char tiny[4];

	g->rc[0] = par_thread_set_self_name("0123456789abcdefghij");
	g->rc[1] = par_thread_self_name(g->name[0], sizeof(g->name[0]));
	g->rc[2] = par_thread_self_name(tiny, sizeof(tiny));
	memcpy(g->name[1], tiny, sizeof(tiny));
	g->rc[3] = par_thread_self_name(tiny, 0);
	return par_thread_set_self_name(NULL) == -EINVAL && par_thread_self_name(NULL, 8) == -EINVAL
		       ? 0
		       : 1;
}

static void self_name_is_cut_to_len(void **state)
{
	struct gate g = { 0 };

	(void)state;
	struct par_thread *t = start_named(rename_self, &g, "x");
	assert_int_equal(join_done(t), 0);
	assert_int_equal(g.rc[0], 0);
	assert_int_equal(g.rc[1], 0);
	assert_string_equal(g.name[0], "0123456789abcde");
	assert_int_equal(g.rc[2], 0);
	assert_string_equal(g.name[1], "012");
	assert_int_equal(g.rc[3], -ERANGE);
	assert_int_equal(par_thread_destroy(t), 0);
}

static int wait_then_return(void *arg)
{
	struct gate *g = arg;

	return pass_gate(&g->go) == 0 ? 7 : -1;
}

static void join_times_out_while_running(void **state)
{
	struct gate g = { 0 };
	int result = 99;

	(void)state;
	struct par_thread *t = start_named(wait_then_return, &g, NULL);
	assert_int_equal(par_thread_join(t, 0, &result), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_thread_join(t, 50 * PAR_TEST_MS, &result), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 50 * PAR_TEST_MS);
	assert_int_equal(result, 99); /* untouched */
	assert_int_equal(par_thread_destroy(t), -EBUSY);
	open_gate(&g.go);
	assert_int_equal(join_done(t), 7);
	assert_int_equal(par_thread_destroy(t), 0);
}

static int join_myself(void *arg)
{
	struct gate *g = arg;

	if (pass_gate(&g->ready) < 0)
		return -1;
	/* acquire: the handle was stored before open_gate's release */
	return par_thread_join(g->self, 0, NULL);
}

static void self_join_is_deadlock(void **state)
{
	struct gate g = { 0 };

	(void)state;
	struct par_thread *t = start_named(join_myself, &g, NULL);
	g.self = t;
	open_gate(&g.ready);
	assert_int_equal(join_done(t), -EDEADLK);
	assert_int_equal(par_thread_destroy(t), 0);
}

static void many_threads(void **state)
{
	struct par_thread *t[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		t[i] = start_named(twice, (void *)(intptr_t)(1000 + i), NULL);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(join_done(t[i]), 2 * (1000 + i));
		assert_int_equal(par_thread_destroy(t[i]), 0);
	}
}

static int use_stack(void *arg)
{
	volatile char big[256 * 1024];

	big[0] = 1;
	big[sizeof(big) - 1] = 2;
	return big[0] + big[sizeof(big) - 1] + (int)(intptr_t)arg;
}

static void stack_size_option(void **state)
{
	struct par_thread_opts o;
	struct par_thread *t = (struct par_thread *)0x1;

	(void)state;
	par_thread_opts_init(&o);
	o.stack_size = 4 * 1024 * 1024;
	assert_int_equal(par_thread_start(use_stack, (void *)(intptr_t)4, &o, &t), 0);
	assert_int_equal(join_done(t), 7);
	assert_int_equal(par_thread_destroy(t), 0);
	o.stack_size = 1; /* below PTHREAD_STACK_MIN */
	t = (struct par_thread *)0x1;
	assert_int_equal(par_thread_start(use_stack, NULL, &o, &t), -EINVAL);
	assert_ptr_equal(t, (struct par_thread *)0x1);
}

static void bad_arguments(void **state)
{
	struct par_thread_opts o;
	struct par_thread *t = NULL;

	(void)state;
	assert_int_equal(par_thread_start(NULL, NULL, NULL, &t), -EINVAL);
	assert_int_equal(par_thread_start(twice, NULL, NULL, NULL), -EINVAL);
	par_thread_opts_init(&o);
	o.size = 0;
	assert_int_equal(par_thread_start(twice, NULL, &o, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(par_thread_join(NULL, 0, NULL), -EINVAL);
	assert_int_equal(par_thread_destroy(NULL), 0);
	assert_null(par_thread_name(NULL));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(result_comes_through_join),
	cmocka_unit_test(name_is_visible_in_proc),
	cmocka_unit_test(default_name),
	cmocka_unit_test(long_name_is_cut),
	cmocka_unit_test(self_name_is_cut_to_len),
	cmocka_unit_test(join_times_out_while_running),
	cmocka_unit_test(self_join_is_deadlock),
	cmocka_unit_test(many_threads),
	cmocka_unit_test(stack_size_option),
	cmocka_unit_test(bad_arguments),
};

PAR_TEST_MAIN(tests)
