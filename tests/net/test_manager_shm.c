/* A manager serving a shm Queue: local processes use the shared memory,
 * remote clients the network, on the same queue; parked remote gets are
 * woken by local puts (through the queue's eventfd) and parked remote puts
 * by local gets. Each case runs on both backends. */
#include "net_test.h"

#include <par/queue.h>

struct shm_server {
	struct nt_server *s;
	struct par_queue *q;
	char name[64];
};

static struct shm_server start(uint32_t capacity)
{
	struct shm_server x = { 0 };
	struct par_queue_opts qo;
	struct par_manager_opts o;

	nt_require_backend();
	x.s = calloc(1, sizeof(*x.s));
	assert_non_null(x.s);
	pthread_mutex_init(&x.s->mu, NULL);
	nt_key(&x.s->key);
	snprintf(x.name, sizeof(x.name), "/par-test-mgr-%d", (int)getpid());
	par_queue_unlink(x.name);
	par_queue_opts_init(&qo);
	qo.capacity = capacity;
	assert_int_equal(par_queue_create(x.name, &qo, &x.q), 0);
	par_manager_opts_init(&o);
	o.log = nt_log;
	o.log_arg = x.s;
	assert_int_equal(par_manager_create(&x.s->key, &o, &x.s->m), 0);
	assert_int_equal(par_manager_add_shm_queue(x.s->m, "jobs", x.q), 0);
	assert_int_equal(par_manager_add_queue(x.s->m, "tasks", NULL), 0);
	assert_int_equal(par_manager_listen(x.s->m, "127.0.0.1:0"), 0);
	assert_true(par_manager_address(x.s->m, x.s->addr, sizeof(x.s->addr)) > 0);
	assert_int_equal(par_manager_start(x.s->m), 0);
	return x;
}

static void stop(struct shm_server *x)
{
	nt_stop(x->s);
	assert_int_equal(par_queue_close(x->q), 0);
	par_queue_unlink(x->name);
}

static void local_and_remote_share_the_queue(void **state)
{
	(void)state;
	struct shm_server x = start(64);
	struct par_client *c = nt_connect(x.s);
	struct par_rqueue *q = nt_open(c, "jobs");
	struct par_manager_queue_info qi[2];
	char buf[32];

	assert_int_equal(par_rqueue_put(q, "remote", 6, 0), 0);
	assert_int_equal(par_queue_size(x.q), 1);
	assert_int_equal(par_queue_get(x.q, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "remote", 6);
	assert_int_equal(par_queue_put(x.q, "local", 5, 0), 0);
	assert_int_equal(par_rqueue_size(q), 1);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "local", 5);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(par_manager_queues(x.s->m, qi, 2), 2);
	assert_string_equal(qi[0].name, "jobs");
	assert_int_equal(qi[0].shm, 1);
	assert_int_equal(qi[0].capacity, 64);
	assert_int_equal(qi[1].shm, 0);
	par_rqueue_close(q);
	par_client_close(c);
	stop(&x);
}

struct getter {
	struct nt_server *s;
	ssize_t got;
	char buf[32];
};

static void *remote_get(void *arg)
{
	struct getter *g = arg;
	struct par_client *c = nt_connect(g->s);
	struct par_rqueue *q = nt_open(c, "jobs");

	g->got = par_rqueue_get(q, g->buf, sizeof(g->buf), 10 * PAR_TEST_SEC);
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static int get_waits(struct nt_server *s)
{
	struct par_manager_queue_info qi[2];
	return par_manager_queues(s->m, qi, 2) == 2 && qi[0].waiting_gets == 1;
}

static int put_waits(struct nt_server *s)
{
	struct par_manager_queue_info qi[2];
	return par_manager_queues(s->m, qi, 2) == 2 && qi[0].waiting_puts == 1;
}

static int local_putter(void *arg)
{
	struct shm_server *x = arg;
	struct par_queue *q = NULL;

	if (par_queue_open(x->name, &q) != 0)
		return 1;
	int r = par_queue_put(q, "from-child", 10, PAR_TEST_SEC);
	par_queue_close(q);
	return r == 0 ? 0 : 2;
}

static void local_put_wakes_a_parked_remote_get(void **state)
{
	(void)state;
	struct shm_server x = start(64);
	struct getter g = { .s = x.s };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, remote_get, &g), 0);
	assert_true(nt_until(x.s, get_waits, 5 * PAR_TEST_SEC));
	/* Another process puts into the shared memory directly. */
	pid_t pid = par_test_fork(local_putter, &x);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	pthread_join(t, NULL);
	assert_int_equal(g.got, 10);
	assert_memory_equal(g.buf, "from-child", 10);
	stop(&x);
}

struct putter {
	struct nt_server *s;
	int rc;
};

static void *remote_put(void *arg)
{
	struct putter *p = arg;
	struct par_client *c = nt_connect(p->s);
	struct par_rqueue *q = nt_open(c, "jobs");

	p->rc = par_rqueue_put(q, "waited", 6, 10 * PAR_TEST_SEC);
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static void local_get_makes_room_for_a_parked_remote_put(void **state)
{
	(void)state;
	struct shm_server x = start(2);
	struct par_client *c = nt_connect(x.s);
	struct par_rqueue *q = nt_open(c, "jobs");
	struct putter p = { .s = x.s };
	char buf[16];
	pthread_t t;

	assert_int_equal(par_rqueue_put(q, "a", 1, 0), 0);
	assert_int_equal(par_rqueue_put(q, "b", 1, 0), 0);
	assert_int_equal(par_rqueue_put(q, "c", 1, 0), -EAGAIN);
	assert_int_equal(par_rqueue_put(q, "c", 1, 20 * PAR_TEST_MS), -ETIMEDOUT);
	assert_int_equal(pthread_create(&t, NULL, remote_put, &p), 0);
	assert_true(nt_until(x.s, put_waits, 5 * PAR_TEST_SEC));
	assert_int_equal(par_queue_get(x.q, buf, sizeof(buf), 0), 1);
	pthread_join(t, NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(par_queue_get(x.q, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'b');
	assert_int_equal(par_queue_get(x.q, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "waited", 6);
	par_rqueue_close(q);
	par_client_close(c);
	stop(&x);
}

static void shutdown_reaches_remote_clients(void **state)
{
	(void)state;
	struct shm_server x = start(8);
	struct par_client *c = nt_connect(x.s);
	struct par_rqueue *q = nt_open(c, "jobs");
	char buf[16];

	assert_int_equal(par_rqueue_put(q, "last", 4, 0), 0);
	assert_int_equal(par_queue_shutdown(x.q), 0);
	assert_int_equal(par_rqueue_put(q, "more", 4, 0), -EPIPE);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), 4);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), PAR_TEST_SEC), -EPIPE);
	par_rqueue_close(q);
	par_client_close(c);
	stop(&x);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(local_and_remote_share_the_queue),
	cmocka_unit_test(local_put_wakes_a_parked_remote_get),
	cmocka_unit_test(local_get_makes_room_for_a_parked_remote_put),
	cmocka_unit_test(shutdown_reaches_remote_clients),
};

PAR_TEST_MAIN(tests)
