/* Pipe: both directions between a parent and a forked child, a named pipe
 * whose other end an unrelated (exec'd) program opens, shutdown of one
 * direction, names, readiness. */
#include "par_test.h"

#include <par/queue.h>

#include <poll.h>

#define WAIT (10 * PAR_TEST_SEC)

static void name_of(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/par-test-pipe-%s-%d", what, (int)getpid());
}

/* Child: answer each message with its bytes reversed, until -EPIPE. */
static int reverser(void *arg)
{
	struct par_pipe *p = arg;
	char buf[5000], out[5000];
	ssize_t n;

	while ((n = par_pipe_recv(p, buf, sizeof(buf), WAIT)) >= 0) {
		for (ssize_t i = 0; i < n; i++)
			out[i] = buf[n - 1 - i];
		if (par_pipe_send(p, out, (size_t)n, WAIT) != 0)
			return 1;
	}
	return n == -EPIPE ? 0 : 2;
}

static void both_directions_with_a_child(void **state)
{
	struct par_pipe *a, *b;
	char msg[5000], back[5000];

	(void)state;
	assert_int_equal(par_pipe_create(NULL, NULL, &a, &b), 0);
	pid_t pid = par_test_fork(reverser, b);
	assert_int_equal(par_pipe_close(b), 0); /* the child has its own copy */
	for (int i = 0; i < 200; i++) {
		size_t len = (size_t)(i * 97) % sizeof(msg);
		for (size_t k = 0; k < len; k++)
			msg[k] = (char)(i + k);
		assert_int_equal(par_pipe_send(a, msg, len, WAIT), 0);
		assert_int_equal(par_pipe_recv(a, back, sizeof(back), WAIT), (ssize_t)len);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(back[k], msg[len - 1 - k]);
	}
	assert_int_equal(par_pipe_shutdown(a), 0);
	par_test_reap_code(pid, WAIT, 0);
	assert_int_equal(par_pipe_close(a), 0);
}

static void shutdown_is_one_direction(void **state)
{
	struct par_pipe *a, *b;
	char buf[16];

	(void)state;
	assert_int_equal(par_pipe_create(NULL, NULL, &a, &b), 0);
	assert_int_equal(par_pipe_send(a, "last", 4, 0), 0);
	assert_int_equal(par_pipe_shutdown(a), 0);
	assert_int_equal(par_pipe_send(a, "more", 4, 0), -EPIPE);
	assert_int_equal(par_pipe_recv(b, buf, sizeof(buf), 0), 4); /* drains */
	assert_int_equal(par_pipe_recv(b, buf, sizeof(buf), WAIT), -EPIPE);
	/* the other direction still works */
	assert_int_equal(par_pipe_send(b, "back", 4, 0), 0);
	assert_int_equal(par_pipe_recv(a, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "back", 4);
	assert_int_equal(par_pipe_recv(a, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(par_pipe_close(a), 0);
	assert_int_equal(par_pipe_close(b), 0);
}

static void named_pipe_with_an_exec_peer(void **state)
{
	struct par_pipe *a, *b;
	char name[64], msg[3000], back[3000];

	(void)state;
	name_of(name, sizeof(name), "exec");
	par_pipe_unlink(name);
	assert_int_equal(par_pipe_create(name, NULL, &a, &b), 0);
	assert_int_equal(par_pipe_close(b), 0); /* the peer opens end 1 by name */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(PAR_TEST_QUEUE_PEER, PAR_TEST_QUEUE_PEER, "echo", name, "1", "50",
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 50; i++) {
		size_t len = (size_t)i * 60;
		memset(msg, 'a' + i % 26, len);
		assert_int_equal(par_pipe_send(a, msg, len, WAIT), 0);
		assert_int_equal(par_pipe_recv(a, back, sizeof(back), WAIT), (ssize_t)len);
		assert_memory_equal(back, msg, len);
	}
	par_test_reap_code(pid, WAIT, 0);
	assert_int_equal(par_pipe_open(name, 1, &b), 0); /* and here too */
	assert_int_equal(par_pipe_send(b, "x", 1, 0), 0);
	assert_int_equal(par_pipe_recv(a, back, sizeof(back), 0), 1);
	assert_int_equal(par_pipe_close(b), 0);
	assert_int_equal(par_pipe_close(a), 0);
	assert_int_equal(par_pipe_unlink(name), 0);
	assert_int_equal(par_pipe_open(name, 0, &a), -ENOENT);
	assert_int_equal(par_pipe_unlink(name), -ENOENT);
}

static void names_and_arguments(void **state)
{
	struct par_pipe *a, *b;
	char name[PAR_SHM_NAME_MAX + 8];

	(void)state;
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[PAR_SHM_NAME_MAX - 1] = '\0'; /* fits, but name.0 does not */
	assert_int_equal(par_pipe_create(name, NULL, &a, &b), -EINVAL);
	assert_int_equal(par_pipe_open(name, 0, &a), -EINVAL);
	assert_int_equal(par_pipe_create("no-slash", NULL, &a, &b), -EINVAL);
	assert_int_equal(par_pipe_create(NULL, NULL, NULL, &b), -EINVAL);
	assert_int_equal(par_pipe_open("/x", 2, &a), -EINVAL);
	assert_int_equal(par_pipe_send(NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(par_pipe_recv(NULL, name, 1, 0), -EINVAL);
	assert_int_equal(par_pipe_close(NULL), -EINVAL);
	name_of(name, sizeof(name), "dup");
	par_pipe_unlink(name);
	assert_int_equal(par_pipe_create(name, NULL, &a, &b), 0);
	struct par_pipe *c, *d;
	assert_int_equal(par_pipe_create(name, NULL, &c, &d), -EEXIST);
	assert_int_equal(par_pipe_close(a), 0);
	assert_int_equal(par_pipe_close(b), 0);
	assert_int_equal(par_pipe_unlink(name), 0);
}

static void readiness(void **state)
{
	struct par_pipe *a, *b;
	char buf[8];

	(void)state;
	assert_int_equal(par_pipe_create(NULL, NULL, &a, &b), 0);
	int fd = par_pipe_eventfd(b);
	assert_true(fd >= 0);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 20), 0);
	assert_int_equal(par_pipe_send(b, "self", 4, 0), 0); /* b's own sends: not for b */
	assert_int_equal(poll(&p, 1, 20), 0);
	assert_int_equal(par_pipe_send(a, "hi", 2, 0), 0);
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_int_equal(par_pipe_recv(b, buf, sizeof(buf), 0), 2);
	assert_int_equal(par_pipe_recv(b, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(poll(&p, 1, 20), 0);
	assert_int_equal(par_pipe_close(a), 0);
	assert_int_equal(par_pipe_close(b), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(both_directions_with_a_child),
	cmocka_unit_test(shutdown_is_one_direction),
	cmocka_unit_test(named_pipe_with_an_exec_peer),
	cmocka_unit_test(names_and_arguments),
	cmocka_unit_test(readiness),
};

PAR_TEST_MAIN(tests)
