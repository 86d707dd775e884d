/* Manager server and client over 127.0.0.1: put/get with the local Queue's
 * meanings, parked gets and puts, batches, pipelining, names, sizes,
 * status, many clients at once. Each case runs on both backends. */
#include "net_test.h"

static void backend_is_the_one_asked_for(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(16, NULL);
	const char *env = getenv("PAR_NET_BACKEND");
	enum par_net_backend b = par_manager_backend(s->m);

	if (env != NULL && strcmp(env, "epoll") == 0)
		assert_int_equal(b, PAR_NET_BACKEND_EPOLL);
	else if (env != NULL && strcmp(env, "uring") == 0)
		assert_int_equal(b, PAR_NET_BACKEND_URING);
	assert_int_equal(nt_stats(s).backend, b);
	assert_true(nt_logged(s, par_net_backend_name(b)));
	nt_stop(s);
}

static void put_then_get(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(16, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	char buf[64];

	assert_int_equal(par_rqueue_put(q, "hello", 5, 0), 0);
	assert_int_equal(par_rqueue_put(q, "", 0, PAR_FOREVER), 0);
	assert_int_equal(par_rqueue_size(q), 2);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), PAR_FOREVER), 0);
	assert_int_equal(par_rqueue_size(q), 0);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 50 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 50 * PAR_TEST_MS);
	assert_int_equal(nt_stats(s).timeouts, 1);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

static void sizes_and_names(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(16, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "results"), *none = NULL;
	size_t big = par_rqueue_max_msg(q) + 1;
	char *buf = calloc(1, big);
	char small[4];

	assert_int_equal(par_rqueue_max_msg(q), 1 << 20);
	assert_int_equal(par_client_open(c, "nope", &none), -ENOENT);
	assert_int_equal(par_client_open(c, "", &none), -EINVAL);
	assert_int_equal(par_rqueue_put(q, buf, big, 0), -EMSGSIZE);
	assert_int_equal(par_rqueue_put(q, buf, big - 1, 0), 0);
	assert_int_equal(par_rqueue_put(q, "abcdef", 6, 0), 0);
	/* Too long for the buffer: it stays for a later get. */
	assert_int_equal(par_rqueue_get(q, small, sizeof(small), 0), -EMSGSIZE);
	assert_int_equal(par_rqueue_get(q, buf, big, 0), (ssize_t)big - 1);
	assert_int_equal(par_rqueue_get(q, small, sizeof(small), 0), -EMSGSIZE);
	assert_int_equal(par_rqueue_get(q, buf, 6, 0), 6);
	assert_memory_equal(buf, "abcdef", 6);
	free(buf);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

struct getter {
	struct nt_server *s;
	ssize_t got;
	char buf[32];
	int64_t timeout;
};

static void *get_thread(void *arg)
{
	struct getter *g = arg;
	struct par_client *c = nt_connect(g->s);
	struct par_rqueue *q = nt_open(c, "tasks");

	g->got = par_rqueue_get(q, g->buf, sizeof(g->buf), g->timeout);
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static int one_get_waits(struct nt_server *s)
{
	struct par_manager_queue_info qi[2];
	return par_manager_queues(s->m, qi, 2) == 2 && qi[0].waiting_gets == 1;
}

static void parked_get_is_served_by_a_put(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(16, NULL);
	struct getter g = { .s = s, .timeout = 10 * PAR_TEST_SEC };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, get_thread, &g), 0);
	assert_true(nt_until(s, one_get_waits, 5 * PAR_TEST_SEC));
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	assert_int_equal(par_rqueue_put(q, "wake", 4, 0), 0);
	pthread_join(t, NULL);
	assert_int_equal(g.got, 4);
	assert_memory_equal(g.buf, "wake", 4);
	assert_int_equal(par_rqueue_size(q), 0);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

struct putter {
	struct nt_server *s;
	int rc;
};

static void *put_thread(void *arg)
{
	struct putter *p = arg;
	struct par_client *c = nt_connect(p->s);
	struct par_rqueue *q = nt_open(c, "tasks");

	p->rc = par_rqueue_put(q, "late", 4, 10 * PAR_TEST_SEC);
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static int one_put_waits(struct nt_server *s)
{
	struct par_manager_queue_info qi[2];
	return par_manager_queues(s->m, qi, 2) == 2 && qi[0].waiting_puts == 1;
}

static void full_queue_parks_puts(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(2, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	struct putter p = { .s = s };
	char buf[8];
	pthread_t t;

	assert_int_equal(par_rqueue_put(q, "1", 1, 0), 0);
	assert_int_equal(par_rqueue_put(q, "2", 1, 0), 0);
	assert_int_equal(par_rqueue_put(q, "3", 1, 0), -EAGAIN);
	assert_int_equal(par_rqueue_put(q, "3", 1, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_int_equal(pthread_create(&t, NULL, put_thread, &p), 0);
	assert_true(nt_until(s, one_put_waits, 5 * PAR_TEST_SEC));
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], '1');
	pthread_join(t, NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], '2');
	assert_int_equal(par_rqueue_get(q, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "late", 4);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

static void batches_in_one_request(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(1000, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	struct par_msg in[100], out[64];
	uint32_t vals[100], got[64];

	for (int i = 0; i < 100; i++) {
		vals[i] = (uint32_t)i * 7;
		in[i] = (struct par_msg){ .data = &vals[i], .len = 4 };
	}
	for (int i = 0; i < 64; i++)
		out[i] = (struct par_msg){ .data = &got[i], .cap = 4 };
	uint64_t req0 = nt_stats(s).requests;
	assert_int_equal(par_rqueue_put_many(q, in, 100, 0), 100);
	assert_int_equal(par_rqueue_get_many(q, out, 64, 0), 64);
	assert_int_equal(nt_stats(s).requests - req0, 2);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(out[i].len, 4);
		assert_int_equal(got[i], (uint32_t)i * 7);
	}
	assert_int_equal(par_rqueue_get_many(q, out, 64, 0), 36);
	assert_int_equal(got[35], 99 * 7);
	assert_int_equal(par_rqueue_get_many(q, out, 64, 0), -EAGAIN);
	assert_int_equal(par_rqueue_get_many(q, out, 64, 20 * PAR_TEST_MS), -ETIMEDOUT);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

static void pipelined_puts_keep_order(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(20000, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	struct par_msg out[256];
	uint32_t got[256], next = 0;

	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(par_rqueue_put_async(q, &i, sizeof(i), PAR_FOREVER), 0);
	assert_int_equal(par_client_flush(c, 10 * PAR_TEST_SEC), 0);
	assert_int_equal(par_client_async_failed(c), 0);
	assert_int_equal(par_rqueue_size(q), 10000);
	for (int i = 0; i < 256; i++)
		out[i] = (struct par_msg){ .data = &got[i], .cap = 4 };
	while (next < 10000) {
		int n = par_rqueue_get_many(q, out, 256, 0);
		assert_true(n > 0);
		for (int i = 0; i < n; i++)
			assert_int_equal(got[i], next++);
	}
	/* Async failures are reported by flush: a full queue of capacity 1. */
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

static void async_failures_reach_flush(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(1, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");

	assert_int_equal(par_rqueue_put_async(q, "a", 1, 0), 0);
	assert_int_equal(par_rqueue_put_async(q, "b", 1, 0), 0);
	assert_int_equal(par_rqueue_put_async(q, "c", 1, 0), 0);
	assert_int_equal(par_client_flush(c, 10 * PAR_TEST_SEC), -EAGAIN);
	assert_int_equal(par_client_async_failed(c), 2);
	assert_int_equal(par_client_flush(c, 10 * PAR_TEST_SEC), 0);
	assert_int_equal(par_rqueue_size(q), 1);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

static void status_reports_counters_and_queues(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "results");
	struct par_manager_queue_info qi[4];
	struct par_manager_stats st;

	assert_int_equal(par_rqueue_put(q, "x", 1, 0), 0);
	assert_int_equal(par_client_status(c, &st, qi, 4), 2);
	assert_string_equal(qi[0].name, "tasks");
	assert_string_equal(qi[1].name, "results");
	assert_int_equal(qi[1].size, 1);
	assert_int_equal(qi[1].capacity, 8);
	assert_int_equal(qi[1].puts, 1);
	assert_int_equal(st.queues, 2);
	assert_int_equal(st.puts, 1);
	assert_int_equal(st.auth_ok, 1);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.backend, par_manager_backend(s->m));
	assert_int_equal(par_client_status(c, NULL, NULL, 0), 2);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

#define NCLIENTS 24
#define PER_CLIENT 300

struct worker {
	struct nt_server *s;
	int idx;
	uint64_t sum;
	int ok;
};

/* Each client puts its numbers to tasks; then takes PER_CLIENT from tasks
 * (anyone's) and sums them. */
static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct par_client *c = nt_connect(w->s);
	struct par_rqueue *q = nt_open(c, "tasks");
	uint32_t v;

	w->ok = 1;
	for (int i = 0; i < PER_CLIENT; i++) {
		v = (uint32_t)(w->idx * PER_CLIENT + i);
		w->ok &= par_rqueue_put(q, &v, 4, 5 * PAR_TEST_SEC) == 0;
	}
	for (int i = 0; i < PER_CLIENT; i++) {
		w->ok &= par_rqueue_get(q, &v, 4, 10 * PAR_TEST_SEC) == 4;
		w->sum += v;
	}
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static void many_clients_at_once(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(NCLIENTS * PER_CLIENT, NULL);
	struct worker w[NCLIENTS];
	pthread_t t[NCLIENTS];
	uint64_t sum = 0, n = NCLIENTS * PER_CLIENT;

	for (int i = 0; i < NCLIENTS; i++) {
		w[i] = (struct worker){ .s = s, .idx = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_thread, &w[i]), 0);
	}
	for (int i = 0; i < NCLIENTS; i++) {
		pthread_join(t[i], NULL);
		assert_true(w[i].ok);
		sum += w[i].sum;
	}
	assert_int_equal(sum, n * (n - 1) / 2);
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.puts, n);
	assert_int_equal(st.gets, n);
	assert_int_equal(st.auth_ok, NCLIENTS);
	nt_stop(s);
}

static void wrong_key_is_refused(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	struct par_authkey bad;
	struct par_client *c = NULL;

	assert_int_equal(par_authkey_set(&bad, "not-the-key", 11), 0);
	assert_int_equal(par_client_connect(s->addr, &bad, NULL, &c), -EACCES);
	assert_null(c);
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.auth_failed, 1);
	assert_int_equal(st.auth_ok, 0);
	assert_int_equal(st.requests, 0);
	assert_true(nt_logged(s, "authentication failed"));
	/* The right key still works. */
	c = nt_connect(s);
	par_client_close(c);
	nt_stop(s);
}

static void stop_answers_parked_gets_with_epipe(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(16, NULL);
	struct getter g = { .s = s, .timeout = PAR_FOREVER };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, get_thread, &g), 0);
	assert_true(nt_until(s, one_get_waits, 5 * PAR_TEST_SEC));
	assert_int_equal(par_manager_stop(s->m), 0);
	pthread_join(t, NULL);
	assert_int_equal(g.got, -EPIPE);
	nt_stop(s);
}

static void small_out(struct par_manager_opts *o)
{
	o->out_max = 16 << 10;
}

static void batches_are_bounded(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(4, small_out);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	static char big[100][1024];
	struct par_msg in[10], out[100];
	int64_t t0;

	for (int i = 0; i < 10; i++)
		in[i] = (struct par_msg){ .data = big[i], .len = 1024 };
	/* Room for 4: timeout 0 puts what fits; a timeout waits for the rest
	 * until it runs out. */
	assert_int_equal(par_rqueue_put_many(q, in, 10, 0), 4);
	assert_int_equal(par_rqueue_put_many(q, in, 10, 0), -EAGAIN);
	t0 = par_now_ns();
	assert_int_equal(par_rqueue_put_many(q, in, 10, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	for (int i = 0; i < 100; i++)
		out[i] = (struct par_msg){ .data = big[i], .cap = 1024 };
	assert_int_equal(par_rqueue_get_many(q, out, 100, 0), 4);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);

	/* An answer stops at out_max (16 KiB here), with at least one message. */
	s = nt_start(1000, small_out);
	c = nt_connect(s);
	q = nt_open(c, "tasks");
	for (int i = 0; i < 10; i++)
		assert_int_equal(par_rqueue_put_many(q, in, 10, 0), 10);
	int n = par_rqueue_get_many(q, out, 100, 0);
	assert_true(n >= 1 && n < 16);
	assert_int_equal(par_rqueue_size(q), 100 - n);
	par_rqueue_close(q);
	par_client_close(c);
	nt_stop(s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(backend_is_the_one_asked_for),
	cmocka_unit_test(put_then_get),
	cmocka_unit_test(sizes_and_names),
	cmocka_unit_test(parked_get_is_served_by_a_put),
	cmocka_unit_test(full_queue_parks_puts),
	cmocka_unit_test(batches_in_one_request),
	cmocka_unit_test(batches_are_bounded),
	cmocka_unit_test(pipelined_puts_keep_order),
	cmocka_unit_test(async_failures_reach_flush),
	cmocka_unit_test(status_reports_counters_and_queues),
	cmocka_unit_test(many_clients_at_once),
	cmocka_unit_test(wrong_key_is_refused),
	cmocka_unit_test(stop_answers_parked_gets_with_epipe),
};

PAR_TEST_MAIN(tests)
