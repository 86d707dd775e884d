/* The Python codec under trouble and waiting: malformed frames and hostile
 * pickles close only their connection (a bystander goes on), a blocking get
 * does not stall other connections, parked gets, puts and joins are
 * answered by later calls or their deadline, shutdown and a server stop
 * with requests parked. Each case runs on both backends. */
#include "test_pyserver.h"

static void put_int(struct ps *p, int fd, const char *id, int64_t v)
{
	ps_req(p, id, "put");
	par__pkw_int(&p->w, v);
	ps_kw(p);
	ps_send_req(p, fd);
	ps_ret_none(p, fd);
}

static void get_timeout(struct ps *p, int fd, const char *id, double t)
{
	ps_req(p, id, "get");
	ps_kw(p);
	ps_str(p, "timeout");
	if (t < 0)
		par__pkw_none(&p->w);
	else
		par__pkw_float(&p->w, t);
	ps_send_req(p, fd);
}

static int64_t get_int_or(struct ps *p, int fd, const char *id)
{
	ps_call0(p, fd, id, "get");
	return ps_ret_int(p, fd);
}

/* A bystander proxy connection answers qsize. */
static void alive(struct ps *p, int fd, const char *id)
{
	ps_call0(p, fd, id, "qsize");
	(void)ps_ret_int(p, fd);
}

static void small_msgs(struct par_manager_opts *o)
{
	o->max_msg = 64 << 10;
}

/* Oversized, negative and truncated frames; hostile pickles (deep nesting,
 * huge lengths, memo out of range, truncated, an opcode outside the
 * subset): each closes its connection (a traceback first for a pickle),
 * counted as a protocol error; the bystander goes on. */
static void malformed(void **state)
{
	struct ps *p = ps_start(16, small_msgs);
	char id[32];
	uint8_t deep[1200];
	struct {
		const char *p;
		size_t n;
		const char *why;
	} bad[] = {
		{ "\x80\x04(N\x8c\x05qsize)}t", 13, "truncated" },
		{ "\x80\x04h\x05.", 5, "memo" },
		{ "\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x0f.", 12, "" },
		{ "\x80\x04X\xff\xff\xff\x7f.", 8, "" },
		{ "\x80\x04I12\n.", 7, "" },
		{ "\x80\x04\x94.", 4, "" },
		{ "\x80\x04)..", 5, "" },
		{ "", 0, "" },
		{ (const char *)deep, sizeof(deep), "" },
	};

	(void)state;
	deep[0] = 0x80;
	deep[1] = 4;
	for (size_t i = 2; i < sizeof(deep) - 1; i++)
		deep[i] = ']';
	deep[sizeof(deep) - 1] = '.';
	int by = ps_proxy(p, PS_TASKS, id);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = ps_authed(p, i % 2 ? PS_LEGACY : PS_MODERN);
		ps_send_msg(fd, bad[i].p, bad[i].n, 0);
		ps_traceback(p, fd, "#TRACEBACK", "UnpicklingError: unreadable request");
		assert_true(ps_closed(fd));
		close(fd);
		alive(p, by, id);
	}
	assert_int_equal(nt_stats(&p->s).proto_errors, sizeof(bad) / sizeof(bad[0]));
	/* over max_msg + slack, from the header alone */
	int fd = ps_authed(p, PS_MODERN);
	ps_send_raw(fd, "\x00\x10\x00\x00", 4);
	assert_true(ps_closed(fd));
	close(fd);
	fd = ps_authed(p, PS_MODERN);
	ps_send_raw(fd, "\xff\xff\xff\xff\x00\x00\x00\x01\x00\x00\x00\x00", 12);
	assert_true(ps_closed(fd));
	close(fd);
	/* a negative length other than -1 */
	fd = ps_authed(p, PS_MODERN);
	ps_send_raw(fd, "\xff\xff\xff\xfe", 4);
	assert_true(ps_closed(fd));
	close(fd);
	/* half a message, then EOF */
	fd = ps_authed(p, PS_MODERN);
	ps_send_raw(fd, "\x00\x00\x00\x10\x80\x04", 6);
	shutdown(fd, SHUT_WR);
	assert_true(ps_closed(fd));
	close(fd);
	assert_true(nt_logged(&p->s, "message longer than the limit"));
	assert_true(nt_logged(&p->s, "bad message length"));
	alive(p, by, id);
	/* the same on a proxy connection: it is closed, the bystander is not */
	fd = ps_proxy(p, PS_TASKS, id);
	ps_send_msg(fd, "\x80\x04h\x05.", 5, 0);
	ps_traceback(p, fd, "#TRACEBACK", "UnpicklingError");
	assert_true(ps_closed(fd));
	close(fd);
	alive(p, by, id);
	close(by);
	ps_stop(p);
}

/* An item that fits a request (max_msg + slack) but not the queue
 * (max_msg) is refused with a ValueError; the connection goes on. */
static void item_too_big(void **state)
{
	struct ps *p = ps_start(16, small_msgs);
	size_t n = (64 << 10) + 100;
	uint8_t *item = calloc(1, n);
	char id[32];

	(void)state;
	int fd = ps_proxy(p, PS_TASKS, id);
	ps_req(p, id, "put");
	par__pkw_bytes(&p->w, item, n);
	ps_kw(p);
	ps_send_req(p, fd);
	struct par__pk *e = ps_answer(p, fd, "#ERROR");
	ps_is_text(e->a->b, "ValueError", 0);
	ps_is_text(e->b->v[0], "over the queue's limit", 1);
	ps_call0(p, fd, id, "qsize");
	assert_int_equal(ps_ret_int(p, fd), 0);
	close(fd);
	free(item);
	ps_stop(p);
}

/* A get waiting forever on one connection; others are served meanwhile; a
 * put answers it; a get whose client goes away takes nothing. */
static void get_parks(void **state)
{
	struct ps *p = ps_start(16, NULL);
	char id[32];

	(void)state;
	int a = ps_proxy(p, PS_TASKS, id);
	int b = ps_proxy(p, PS_TASKS, id);
	ps_call0(p, a, id, "get");
	assert_int_equal(ps_recv_ms(p, a, 100), -1);
	for (int i = 0; i < 20; i++)
		alive(p, b, id);
	int fd = ps_authed(p, PS_LEGACY); /* new connections too */
	ps_call0(p, fd, NULL, "dummy");
	ps_ret_none(p, fd);
	close(fd);
	put_int(p, b, id, 5);
	assert_int_equal(ps_ret_int(p, a), 5);
	/* a get with a timeout, answered by a native put */
	get_timeout(p, a, id, 5.0);
	assert_int_equal(ps_recv_ms(p, a, 50), -1);
	struct par_client *c = nt_connect(&p->s);
	struct par_rqueue *q = nt_open(c, PS_TASKS);
	assert_int_equal(par_rqueue_put(q, "xy", 2, PAR_TEST_SEC), 0);
	struct par__pk *r = ps_ret(p, a);
	assert_int_equal(r->kind, PAR__PK_BYTES);
	assert_memory_equal(r->p, "xy", 2);
	/* a timeout elapses while b works */
	int64_t t0 = par_now_ns();
	get_timeout(p, a, id, 0.2);
	alive(p, b, id);
	ps_error(p, a, "_queue", "Empty", NULL);
	assert_true(par_now_ns() - t0 >= 200 * PAR_TEST_MS);
	/* a parked getter that goes away takes nothing */
	get_timeout(p, a, id, -1);
	assert_int_equal(ps_recv_ms(p, a, 50), -1);
	close(a);
	par_sleep_ns(50 * PAR_TEST_MS);
	put_int(p, b, id, 6);
	ps_call0(p, b, id, "get");
	assert_int_equal(ps_ret_int(p, b), 6);
	close(b);
	par_rqueue_close(q);
	par_client_close(c);
	ps_stop(p);
}

/* A put waiting for room is answered by a get (Python's or a native one). */
static void put_parks(void **state)
{
	struct ps *p = ps_start(1, NULL);
	struct par_client *c = nt_connect(&p->s);
	struct par_rqueue *q = nt_open(c, PS_TASKS);
	char id[32];
	uint8_t got[64], want[64];

	(void)state;
	int a = ps_proxy(p, PS_TASKS, id);
	int b = ps_proxy(p, PS_TASKS, id);
	put_int(p, a, id, 1);
	ps_req(p, id, "put");
	par__pkw_int(&p->w, 2);
	ps_kw(p);
	ps_send_req(p, a);
	assert_int_equal(ps_recv_ms(p, a, 100), -1); /* parked: full */
	ps_call0(p, b, id, "get");
	assert_int_equal(ps_ret_int(p, b), 1);
	ps_ret_none(p, a); /* went in */
	ps_req(p, id, "put");
	par__pkw_int(&p->w, 3);
	ps_kw(p);
	ps_str(p, "timeout");
	par__pkw_int(&p->w, 5);
	ps_send_req(p, a);
	assert_int_equal(ps_recv_ms(p, a, 50), -1);
	size_t wl = ps_pickle_int(2, want, sizeof(want));
	assert_int_equal(par_rqueue_get(q, got, sizeof(got), PAR_TEST_SEC), (ssize_t)wl);
	assert_memory_equal(got, want, wl);
	ps_ret_none(p, a);
	ps_call0(p, b, id, "get");
	assert_int_equal(ps_ret_int(p, b), 3);
	close(a);
	close(b);
	par_rqueue_close(q);
	par_client_close(c);
	ps_stop(p);
}

/* join waits (without stalling the loop) until every put is task_done. */
static void join_parks(void **state)
{
	struct ps *p = ps_start(16, NULL);
	struct par_client *c = nt_connect(&p->s);
	struct par_rqueue *q = nt_open(c, PS_TASKS);
	char id[32];

	(void)state;
	int a = ps_proxy(p, PS_TASKS, id);
	int b = ps_proxy(p, PS_TASKS, id);
	put_int(p, b, id, 1);
	assert_int_equal(par_rqueue_put(q, "n", 1, PAR_TEST_SEC), 0); /* native puts count */
	ps_call0(p, a, id, "join");
	assert_int_equal(ps_recv_ms(p, a, 100), -1);
	for (int i = 0; i < 2; i++) {
		ps_call0(p, b, id, "get");
		(void)ps_ret(p, b);
		ps_call0(p, b, id, "task_done");
		ps_ret_none(p, b);
		if (i == 0)
			assert_int_equal(ps_recv_ms(p, a, 50), -1);
	}
	ps_ret_none(p, a);
	close(a);
	close(b);
	par_rqueue_close(q);
	par_client_close(c);
	ps_stop(p);
}

/* shutdown(): puts raise ShutDown (native: -EPIPE), gets drain then raise
 * it; parked getters are woken with it; immediate=True drops the items
 * and finishes their tasks. */
static void shut_down(void **state)
{
	struct ps *p = ps_start(16, NULL);
	struct par_client *c = nt_connect(&p->s);
	struct par_rqueue *tq = nt_open(c, PS_TASKS), *rq = nt_open(c, PS_RESULTS);
	char id[32], rid[32];
	uint8_t got[64];

	(void)state;
	int a = ps_proxy(p, PS_TASKS, id);
	int b = ps_proxy(p, PS_RESULTS, rid);
	put_int(p, a, id, 1);
	ps_call0(p, a, id, "shutdown");
	ps_ret_none(p, a);
	ps_req(p, id, "put");
	par__pkw_int(&p->w, 2);
	ps_kw(p);
	ps_send_req(p, a);
	struct par__pk *e = ps_answer(p, a, "#ERROR");
	/* getattr(import_module('queue'), 'ShutDown', queue.Full)() */
	assert_int_equal(e->kind, PAR__PK_OBJ);
	assert_int_equal(e->a->kind, PAR__PK_OBJ);
	ps_is_text(e->a->b->v[1], "ShutDown", 0);
	assert_int_equal(par_rqueue_put(tq, "x", 1, PAR_TEST_SEC), -EPIPE);
	assert_int_equal(get_int_or(p, a, id), 1);
	ps_call0(p, a, id, "get");
	e = ps_answer(p, a, "#ERROR");
	ps_is_text(e->a->b->v[1], "ShutDown", 0);
	ps_is_text(e->a->b->v[2]->b, "Empty", 0);
	assert_int_equal(par_rqueue_get(tq, got, sizeof(got), PAR_TEST_SEC), -EPIPE);
	/* a getter parked on the other queue, then shutdown(immediate=True) */
	ps_call0(p, b, rid, "get");
	assert_int_equal(ps_recv_ms(p, b, 50), -1);
	int d = ps_proxy(p, PS_RESULTS, rid);
	ps_req(p, rid, "shutdown");
	par__pkw_bool(&p->w, 1);
	ps_kw(p);
	ps_send_req(p, d);
	ps_ret_none(p, d);
	ps_answer(p, b, "#ERROR");
	ps_call0(p, d, rid, "join");
	ps_ret_none(p, d);
	(void)rq;
	close(a);
	close(b);
	close(d);
	par_rqueue_close(tq);
	par_rqueue_close(rq);
	par_client_close(c);
	ps_stop(p);
}

/* A server stop with Python requests parked: no answer, their connections
 * close, what was held behind them is not done. */
static void stop_parked(void **state)
{
	struct ps *p = ps_start(16, NULL);
	struct par_client *c = nt_connect(&p->s);
	struct par_rqueue *rq = nt_open(c, PS_RESULTS);
	char id[32], rid[32];

	(void)state;
	assert_int_equal(par_rqueue_put(rq, "r", 1, PAR_TEST_SEC), 0);
	int a = ps_proxy(p, PS_TASKS, id);
	int b = ps_proxy(p, PS_RESULTS, rid);
	ps_call0(p, a, id, "get");
	ps_call0(p, b, rid, "join");
	ps_req(p, id, "put"); /* held behind b's join */
	par__pkw_int(&p->w, 0);
	ps_kw(p);
	ps_send_req(p, b);
	assert_int_equal(ps_recv_ms(p, a, 50), -1);
	assert_int_equal(ps_recv_ms(p, b, 50), -1);
	assert_int_equal(par_manager_stop(p->s.m), 0);
	assert_int_equal(par_manager_join(p->s.m), 0);
	assert_int_equal(ps_recv(p, a), -2); /* EOF, no answer */
	assert_int_equal(ps_recv(p, b), -2);
	close(a);
	close(b);
	assert_int_equal(nt_stats(&p->s).puts, 1);
	par_rqueue_close(rq);
	par_client_close(c);
	/* it may listen and serve again */
	assert_int_equal(par_manager_listen_python(p->s.m, "127.0.0.1:0"), 0);
	assert_int_equal(par_manager_listen(p->s.m, "127.0.0.1:0"), 0);
	assert_int_equal(par_manager_start(p->s.m), 0);
	ps_stop(p);
}

/* one case a line: tests/net/CMakeLists.txt registers them by line */
/* clang-format off */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(malformed),
	cmocka_unit_test(item_too_big),
	cmocka_unit_test(get_parks),
	cmocka_unit_test(put_parks),
	cmocka_unit_test(join_parks),
	cmocka_unit_test(shut_down),
	cmocka_unit_test(stop_parked),
};
/* clang-format on */

PAR_TEST_MAIN(tests)
