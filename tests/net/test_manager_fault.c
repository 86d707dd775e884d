/* Faults around a manager: a client process killed in the middle of a
 * request (parked, half sent, pipelining), and a server stopped and served
 * again with clients reconnecting: no acknowledged message is lost or
 * delivered twice. Each case runs on both backends. */
#include "net_test.h"

#include <stdatomic.h>
#include <sys/socket.h>

static int waiting_get(struct nt_server *s)
{
	struct par_manager_queue_info qi[2];
	return par_manager_queues(s->m, qi, 2) == 2 && qi[0].waiting_gets == 1;
}

static int one_active(struct nt_server *s)
{
	return nt_stats(s).active == 1;
}

static int parked_get_child(void *arg)
{
	struct nt_server *s = arg;
	struct par_client *c = NULL;
	struct par_rqueue *q = NULL;
	char buf[16];

	if (par_client_connect(s->addr, &s->key, NULL, &c) != 0 || par_client_open(c, "tasks", &q))
		return 1;
	par_rqueue_get(q, buf, sizeof(buf), PAR_FOREVER); /* killed while parked */
	return 2;
}

static int half_put_child(void *arg)
{
	struct nt_server *s = arg;
	struct par_client *c = NULL;
	static char big[1 << 19];

	if (par_client_connect(s->addr, &s->key, NULL, &c) != 0)
		return 1;
	int fd = par_client_fd(c);
	uint8_t h[12 + 12] = { 0 };
	/* A PUT header announcing 512 KiB, then only part of it. */
	h[0] = 12;
	h[2] = 8;
	h[4] = 1;
	h[5] = 0x11;
	send(fd, h, sizeof(h), MSG_NOSIGNAL);
	send(fd, big, sizeof(big) / 2, MSG_NOSIGNAL);
	raise(SIGKILL);
	return 3;
}

static int pipelining_child(void *arg)
{
	struct nt_server *s = arg;
	struct par_client *c = NULL;
	struct par_rqueue *q = NULL;
	uint64_t v[2];

	if (par_client_connect(s->addr, &s->key, NULL, &c) != 0 ||
	    par_client_open(c, "results", &q))
		return 1;
	for (uint64_t i = 0;; i++) { /* until killed */
		v[0] = i;
		v[1] = ~i;
		if (par_rqueue_put_async(q, v, sizeof(v), PAR_FOREVER) != 0)
			return 2;
	}
}

static void killed_clients_leave_no_trace(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(1 << 20, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks"), *r = nt_open(c, "results");
	char buf[16];

	/* Parked in a get: after the kill, a message goes to a live client. */
	pid_t pid = par_test_fork(parked_get_child, s);
	assert_true(nt_until(s, waiting_get, 10 * PAR_TEST_SEC));
	kill(pid, SIGKILL);
	par_test_reap(pid, 10 * PAR_TEST_SEC);
	assert_true(nt_until(s, one_active, 10 * PAR_TEST_SEC));
	assert_int_equal(par_rqueue_put(q, "kept", 4, 0), 0);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), PAR_TEST_SEC), 4);
	assert_memory_equal(buf, "kept", 4);

	/* Killed halfway through sending a request: nothing of it is put. */
	pid = par_test_fork(half_put_child, s);
	par_test_reap(pid, 10 * PAR_TEST_SEC);
	assert_true(nt_until(s, one_active, 10 * PAR_TEST_SEC));
	assert_int_equal(par_rqueue_size(q), 0);

	/* Killed while pipelining puts: what arrived is whole and in order. */
	pid = par_test_fork(pipelining_child, s);
	while (par_rqueue_size(r) < 1000)
		par_sleep_ns(PAR_TEST_MS);
	kill(pid, SIGKILL);
	par_test_reap(pid, 10 * PAR_TEST_SEC);
	assert_true(nt_until(s, one_active, 10 * PAR_TEST_SEC));
	ssize_t n = par_rqueue_size(r);
	uint64_t v[2];
	for (ssize_t i = 0; i < n; i++) {
		assert_int_equal(par_rqueue_get(r, v, sizeof(v), 0), sizeof(v));
		assert_int_equal(v[0], (uint64_t)i);
		assert_int_equal(v[1], ~(uint64_t)i);
	}
	assert_int_equal(par_rqueue_get(r, v, sizeof(v), 0), -EAGAIN);
	par_rqueue_close(q);
	par_rqueue_close(r);
	par_client_close(c);
	nt_stop(s);
}

/* ---- stop and serve again ---------------------------------------------- */

#define MSGS 3000

struct restart {
	struct nt_server *s;
	_Atomic uint32_t acked[MSGS];	 /* puts told 0 */
	_Atomic uint32_t unsure[MSGS];	 /* puts whose answer was lost */
	_Atomic uint32_t received[MSGS]; /* times each arrived */
	_Atomic int producer_done;
	_Atomic uint64_t reconnects;
};

/* Connect, retrying while the server is away (bounded). */
static struct par_rqueue *reconnect(struct restart *rs, struct par_client **c)
{
	struct par_rqueue *q = NULL;
	int64_t end = par_deadline(20 * PAR_TEST_SEC);

	par_client_close(*c);
	*c = NULL;
	while (par_now_ns() < end) {
		if (par_client_connect(rs->s->addr, &rs->s->key, NULL, c) == 0 &&
		    par_client_open(*c, "tasks", &q) == 0)
			return q;
		par_client_close(*c);
		*c = NULL;
		par_sleep_ns(5 * PAR_TEST_MS);
	}
	return NULL;
}

static void *restart_producer(void *arg)
{
	struct restart *rs = arg;
	struct par_client *c = NULL;
	struct par_rqueue *q = reconnect(rs, &c);

	for (uint32_t i = 0; i < MSGS && q != NULL; i++) {
		int r = par_rqueue_put(q, &i, 4, PAR_TEST_SEC);
		if (r == 0) {
			atomic_store(&rs->acked[i], 1);
		} else {
			atomic_store(&rs->unsure[i], 1); /* may or may not be in */
			par_rqueue_close(q);
			q = reconnect(rs, &c);
			atomic_fetch_add(&rs->reconnects, 1);
		}
		if (i % 8 == 0) /* spread over several stops */
			par_sleep_ns(PAR_TEST_MS);
	}
	par_rqueue_close(q);
	par_client_close(c);
	atomic_store(&rs->producer_done, 1);
	return NULL;
}

static void *restart_consumer(void *arg)
{
	struct restart *rs = arg;
	struct par_client *c = NULL;
	struct par_rqueue *q = reconnect(rs, &c);
	int64_t end = par_deadline(60 * PAR_TEST_SEC);
	uint32_t v;

	while (q != NULL && par_now_ns() < end) {
		ssize_t r = par_rqueue_get(q, &v, 4, 50 * PAR_TEST_MS);
		if (r == 4 && v < MSGS) {
			atomic_fetch_add(&rs->received[v], 1);
		} else if (r == -ETIMEDOUT || r == -EAGAIN) {
			if (atomic_load(&rs->producer_done))
				break;
		} else {
			par_rqueue_close(q);
			q = reconnect(rs, &c);
		}
	}
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static void stop_and_serve_again(void **state)
{
	(void)state;
	struct restart *rs = calloc(1, sizeof(*rs));
	pthread_t t[3];

	rs->s = nt_start(MSGS, NULL);
	assert_int_equal(pthread_create(&t[0], NULL, restart_producer, rs), 0);
	assert_int_equal(pthread_create(&t[1], NULL, restart_consumer, rs), 0);
	assert_int_equal(pthread_create(&t[2], NULL, restart_consumer, rs), 0);
	for (int round = 0; round < 3; round++) {
		par_sleep_ns(80 * PAR_TEST_MS);
		assert_int_equal(par_manager_stop(rs->s->m), 0);
		assert_int_equal(par_manager_join(rs->s->m), 0);
		assert_int_equal(par_manager_address(rs->s->m, NULL, 0), -ENOTCONN);
		par_sleep_ns(20 * PAR_TEST_MS);
		assert_int_equal(par_manager_listen(rs->s->m, rs->s->addr), 0);
		assert_int_equal(par_manager_start(rs->s->m), 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	uint32_t acked = 0;
	for (int i = 0; i < MSGS; i++) {
		uint32_t got = atomic_load(&rs->received[i]);
		if (atomic_load(&rs->acked[i])) {
			assert_int_equal(got, 1); /* acknowledged: exactly once */
			acked++;
		} else {
			assert_true(got <= 1); /* unsure: at most once */
		}
	}
	assert_true(acked > MSGS / 2);
	assert_true(atomic_load(&rs->reconnects) >= 1);
	nt_stop(rs->s);
	free(rs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(killed_clients_leave_no_trace),
	cmocka_unit_test(stop_and_serve_again),
};

PAR_TEST_MAIN(tests)
