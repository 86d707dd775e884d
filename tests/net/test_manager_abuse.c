/* What a hostile or broken peer can do to a manager: wrong, missing and
 * replayed proofs, requests before authentication, oversized, truncated,
 * unknown and malformed frames, random bytes, a silent client, a client that
 * never reads, too many connections. Each closes only that connection (with
 * a logged reason and a counter) and serves nothing from the queues; a good
 * client beside it goes on undisturbed. Each case runs on both backends. */
#include "raw_client.h"

/* A good client beside the trouble. */
struct bystander {
	struct par_client *c;
	struct par_rqueue *q;
	uint32_t n;
};

static void by_open(struct nt_server *s, struct bystander *b)
{
	b->c = nt_connect(s);
	b->q = nt_open(b->c, "results");
	b->n = 0;
}

/* A put and a get on the bystander's connection work, in order. */
static void by_check(struct bystander *b)
{
	uint32_t v = ++b->n, got = 0;

	assert_int_equal(par_rqueue_put(b->q, &v, 4, PAR_TEST_SEC), 0);
	assert_int_equal(par_rqueue_get(b->q, &got, 4, PAR_TEST_SEC), 4);
	assert_int_equal(got, v);
}

static void by_close(struct bystander *b)
{
	by_check(b);
	par_rqueue_close(b->q);
	par_client_close(b->c);
}

static void short_auth(struct par_manager_opts *o)
{
	o->auth_timeout_ns = 200 * PAR_TEST_MS;
}

static void silent_client_is_closed_at_the_auth_deadline(void **state)
{
	uint8_t buf[64];
	struct par__frame f;

	(void)state;
	struct nt_server *s = nt_start(8, short_auth);
	struct bystander b;
	by_open(s, &b);
	int fd = raw_connect(s->addr, 0);
	assert_int_equal(raw_next(fd, buf, sizeof(buf), &f), 1); /* HELLO */
	assert_int_equal(f.type, PAR__T_HELLO);
	by_check(&b);
	assert_true(raw_closed(fd));
	close(fd);
	/* A client that connects and sends nothing at all, not even reading. */
	fd = raw_connect(s->addr, 0);
	assert_true(raw_closed(fd));
	close(fd);
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.auth_timeouts, 2);
	assert_int_equal(st.auth_ok, 1);
	assert_true(nt_logged(s, "not authenticated in time"));
	by_close(&b);
	nt_stop(s);
}

static void replayed_handshake_is_refused(void **state)
{
	uint8_t auth[PAR_NET_HEADER_SIZE + 64], buf[64];
	struct par__frame f;

	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	int fd = raw_connect(s->addr, 0);
	assert_int_equal(raw_handshake(fd, &s->key, auth), 0);
	close(fd);
	/* The same proof on a new connection: the server's nonce changed. */
	fd = raw_connect(s->addr, 0);
	assert_int_equal(raw_next(fd, buf, sizeof(buf), &f), 1);
	raw_send(fd, auth, sizeof(auth));
	assert_int_equal(raw_next(fd, buf, sizeof(buf), &f), 1);
	assert_int_equal(f.type, PAR__T_FAIL);
	assert_int_equal(par__errno_from_wire((int32_t)par__le32(buf)), -EACCES);
	assert_true(raw_closed(fd));
	close(fd);
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.auth_failed, 1);
	assert_int_equal(st.auth_ok, 1);
	nt_stop(s);
}

static void requests_before_auth_touch_nothing(void **state)
{
	uint8_t p[32] = { 0 }, buf[128];
	struct par__frame f;

	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	struct bystander b;
	by_open(s, &b);
	int fd = raw_connect(s->addr, 0);
	assert_int_equal(raw_next(fd, buf, sizeof(buf), &f), 1);
	par__le64_put(p + 4, 0);
	memcpy(p + 12, "evil", 4);
	raw_frame(fd, PAR__T_PUT, 1, p, 16);
	assert_true(raw_closed(fd));
	close(fd);
	/* Too long for any handshake frame. */
	fd = raw_connect(s->addr, 0);
	raw_frame(fd, PAR__T_AUTH, 0, buf, PAR__PREAUTH_MAX + 1);
	assert_true(raw_closed(fd));
	close(fd);
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.auth_failed, 2);
	assert_int_equal(st.puts, 0);
	assert_true(nt_logged(s, "request before authentication"));
	assert_true(nt_logged(s, "oversized frame"));
	assert_int_equal(par_rqueue_size(b.q), 0);
	by_close(&b);
	nt_stop(s);
}

/* Send bytes on a fresh authenticated connection and expect the server to
 * close it, logging why. */
static void expect_closed(struct nt_server *s, const void *bytes, size_t n, const char *why)
{
	int fd = raw_authed(s);
	raw_send(fd, bytes, n);
	assert_true(raw_closed(fd));
	close(fd);
	if (why != NULL && !nt_logged(s, why))
		fail_msg("no log line with '%s'", why);
}

static void bad_frames_close_only_their_connection(void **state)
{
	uint8_t f[64] = { 0 };

	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	struct bystander b;
	by_open(s, &b);
	par__frame_header(f, PAR__T_PUT, 1, (1u << 20) + 1000);
	expect_closed(s, f, PAR_NET_HEADER_SIZE, "oversized frame");
	by_check(&b);
	par__frame_header(f, 0x7e, 1, 0);
	expect_closed(s, f, PAR_NET_HEADER_SIZE, "unknown request type");
	par__frame_header(f, PAR__T_PING, 1, 0);
	f[4] = 9;
	expect_closed(s, f, PAR_NET_HEADER_SIZE, "unsupported protocol version");
	par__frame_header(f, PAR__T_PING, 1, 0);
	f[6] = 1;
	expect_closed(s, f, PAR_NET_HEADER_SIZE, "reserved flags set");
	par__frame_header(f, PAR__T_PUT, 1, 8);
	expect_closed(s, f, PAR_NET_HEADER_SIZE + 8, "short PUT");
	par__frame_header(f, PAR__T_PUT_MANY, 1, 24);
	par__le32_put(f + PAR_NET_HEADER_SIZE + 12, 2); /* 2 records said, 1 there */
	par__le32_put(f + PAR_NET_HEADER_SIZE + 16, 4);
	expect_closed(s, f, PAR_NET_HEADER_SIZE + 24, "malformed PUT_MANY records");
	par__frame_header(f, PAR__T_HELLO, 1, 32);
	expect_closed(s, f, PAR_NET_HEADER_SIZE + 32, "unknown request type");
	by_check(&b);
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.proto_errors, 7);
	assert_int_equal(st.puts, 2);
	assert_int_equal(st.active, 1);
	by_close(&b);
	nt_stop(s);
}

static void truncated_frame_at_eof_is_dropped(void **state)
{
	uint8_t f[64] = { 0 };

	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	int fd = raw_authed(s);
	par__frame_header(f, PAR__T_PUT, 1, 20);
	raw_send(fd, f, PAR_NET_HEADER_SIZE + 10);
	shutdown(fd, SHUT_WR);
	assert_true(raw_closed(fd));
	close(fd);
	assert_true(nt_logged(s, "truncated frame at end of stream"));
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.proto_errors, 1);
	assert_int_equal(st.puts, 0);
	/* A whole request then EOF: answered, then closed cleanly. */
	fd = raw_authed(s);
	raw_frame(fd, PAR__T_PING, 5, NULL, 0);
	shutdown(fd, SHUT_WR);
	struct par__frame fr;
	assert_int_equal(raw_next(fd, f, sizeof(f), &fr), 1);
	assert_int_equal(fr.type, PAR__T_PING | PAR__T_ANSWER);
	assert_int_equal(fr.id, 5);
	assert_true(raw_closed(fd));
	close(fd);
	assert_int_equal(nt_stats(s).proto_errors, 1);
	nt_stop(s);
}

static void random_bytes_close_the_sender(void **state)
{
	uint8_t junk[2048];
	uint32_t seed = 99;

	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	struct bystander b;
	by_open(s, &b);
	for (int round = 0; round < 16; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			seed = seed * 1103515245u + 12345u;
			junk[i] = (uint8_t)(seed >> 16);
		}
		int fd = round & 1 ? raw_authed(s) : raw_connect(s->addr, 0);
		send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		assert_true(raw_closed(fd));
		close(fd);
		by_check(&b);
	}
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.puts, 16);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.proto_errors + st.auth_failed, 16);
	by_close(&b);
	nt_stop(s);
}

static void small_out(struct par_manager_opts *o)
{
	o->out_max = 64 << 10;
}

#define FILL 8000

static int paused(struct nt_server *s)
{
	return nt_stats(s).read_pauses > 0;
}

/* A client that asks and never reads: its answers stop at the bound, the
 * server stops reading it, and everyone else goes on. */
static void slow_reader_is_bounded(void **state)
{
	static uint8_t msg[1024];
	uint8_t req[PAR_NET_HEADER_SIZE + 16];

	(void)state;
	struct nt_server *s = nt_start(FILL, small_out);
	struct bystander b;
	by_open(s, &b);
	struct par_client *c = nt_connect(s);
	struct par_rqueue *q = nt_open(c, "tasks");
	for (int i = 0; i < FILL; i++)
		assert_int_equal(par_rqueue_put_async(q, msg, sizeof(msg), 0), 0);
	assert_int_equal(par_client_flush(c, 10 * PAR_TEST_SEC), 0);
	int fd = raw_connect(s->addr, 4096);
	assert_int_equal(raw_handshake(fd, &s->key, NULL), 0);
	par__frame_header(req, PAR__T_GET, 1, 16);
	memset(req + PAR_NET_HEADER_SIZE, 0, 16);
	par__le32_put(req + PAR_NET_HEADER_SIZE + 12, 4096);
	int sent = 0;
	for (; sent < FILL; sent++) /* until the server stops reading us */
		if (send(fd, req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT) != sizeof(req))
			break;
	assert_true(nt_until(s, paused, 5 * PAR_TEST_SEC));
	by_check(&b);
	/* It stalls (once the socket buffers are full): the queue keeps what
	 * the slow reader did not get. */
	ssize_t left = par_rqueue_size(q), was = -1;
	for (int i = 0; i < 100 && left != was; i++) {
		par_sleep_ns(100 * PAR_TEST_MS);
		was = left;
		left = par_rqueue_size(q);
	}
	assert_int_equal(left, was);
	assert_true(left > 0);
	struct par_manager_stats st = nt_stats(s);
	assert_true(st.bytes_out < (uint64_t)FILL * sizeof(msg));
	by_check(&b);
	close(fd);
	par_rqueue_close(q);
	par_client_close(c);
	by_close(&b);
	nt_stop(s);
}

static void few_conns(struct par_manager_opts *o)
{
	o->max_conns = 3;
}

static void connections_are_bounded(void **state)
{
	struct par_client *c[3], *extra = NULL;

	(void)state;
	struct nt_server *s = nt_start(8, few_conns);
	for (int i = 0; i < 3; i++)
		c[i] = nt_connect(s);
	assert_int_equal(par_client_connect(s->addr, &s->key, NULL, &extra), -EBUSY);
	assert_int_equal(nt_stats(s).refused, 1);
	assert_true(nt_logged(s, "connection refused"));
	par_client_close(c[0]);
	for (int tries = 0; extra == NULL && tries < 500; tries++)
		if (par_client_connect(s->addr, &s->key, NULL, &extra) != 0)
			par_sleep_ns(2 * PAR_TEST_MS);
	assert_non_null(extra);
	par_client_close(extra);
	par_client_close(c[1]);
	par_client_close(c[2]);
	nt_stop(s);
}

static void a_wrong_server_key_fails_the_client(void **state)
{
	struct par_authkey other;
	struct par_client *c = NULL;

	(void)state;
	struct nt_server *s = nt_start(8, NULL);
	/* The client holds another key: the server refuses it (and the client
	 * would refuse the server's proof in turn). */
	assert_int_equal(par_authkey_set(&other, "another-key", 11), 0);
	assert_int_equal(par_client_connect(s->addr, &other, NULL, &c), -EACCES);
	/* A raw client checks the server's proof against the wrong key. */
	int fd = raw_connect(s->addr, 0);
	uint8_t buf[64], ns[32], nc[32], mac[64], want[32];
	struct par__frame f;
	assert_int_equal(raw_next(fd, buf, sizeof(buf), &f), 1);
	memcpy(ns, buf, 32);
	par__nonce(nc);
	par__auth_mac(&s->key, PAR__AUTH_CLIENT, ns, nc, mac);
	memcpy(mac + 32, nc, 32);
	raw_frame(fd, PAR__T_AUTH, 0, mac, 64);
	assert_int_equal(raw_next(fd, buf, sizeof(buf), &f), 1);
	par__auth_mac(&other, PAR__AUTH_SERVER, nc, ns, want);
	assert_false(par__mac_equal(buf, want));
	par__auth_mac(&s->key, PAR__AUTH_SERVER, nc, ns, want);
	assert_true(par__mac_equal(buf, want));
	close(fd);
	nt_stop(s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(silent_client_is_closed_at_the_auth_deadline),
	cmocka_unit_test(replayed_handshake_is_refused),
	cmocka_unit_test(requests_before_auth_touch_nothing),
	cmocka_unit_test(bad_frames_close_only_their_connection),
	cmocka_unit_test(truncated_frame_at_eof_is_dropped),
	cmocka_unit_test(random_bytes_close_the_sender),
	cmocka_unit_test(slow_reader_is_bounded),
	cmocka_unit_test(connections_are_bounded),
	cmocka_unit_test(a_wrong_server_key_fails_the_client),
};

PAR_TEST_MAIN(tests)
