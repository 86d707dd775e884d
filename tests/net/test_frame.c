/* The native codec's pure functions: frame header parsing (incremental,
 * total, bounded), request and answer decoding, handshake payloads, wire
 * error codes and STATUS bodies. */
#include "par_test.h"

#include "frame.h"

static size_t frame(uint8_t *buf, uint8_t type, uint32_t id, const void *p, uint32_t len)
{
	par__frame_header(buf, type, id, len);
	if (len > 0)
		memcpy(buf + PAR_NET_HEADER_SIZE, p, len);
	return PAR_NET_HEADER_SIZE + len;
}

static void header_parses_incrementally(void **state)
{
	uint8_t buf[64];
	struct par__frame f;
	const char *why = NULL;
	size_t n = frame(buf, PAR__T_PING, 0xdeadbeef, "abc", 3);

	(void)state;
	assert_int_equal(n, 15);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(par__frame_parse(buf, i, 100, &f, &why), 0);
	assert_int_equal(par__frame_parse(buf, n, 100, &f, &why), 15);
	assert_int_equal(f.len, 3);
	assert_int_equal(f.type, PAR__T_PING);
	assert_int_equal(f.id, 0xdeadbeef);
	assert_int_equal(f.version, PAR_NET_PROTO_VERSION);
	assert_memory_equal(f.payload, "abc", 3);
	/* Two frames back to back: the first only. */
	memcpy(buf + n, buf, n);
	assert_int_equal(par__frame_parse(buf, 2 * n, 100, &f, &why), 15);
	/* Little-endian on the wire. */
	assert_int_equal(buf[0], 3);
	assert_int_equal(buf[8], 0xef);
	assert_int_equal(buf[11], 0xde);
}

static void bad_headers_are_refused_from_the_header_alone(void **state)
{
	uint8_t buf[PAR_NET_HEADER_SIZE];
	struct par__frame f;
	const char *why = NULL;

	(void)state;
	par__frame_header(buf, PAR__T_PUT, 1, 101);
	assert_int_equal(par__frame_parse(buf, sizeof(buf), 100, &f, &why), -1);
	assert_string_equal(why, "oversized frame");
	par__frame_header(buf, PAR__T_PUT, 1, PAR_NET_PAYLOAD_MAX + 1);
	assert_int_equal(par__frame_parse(buf, sizeof(buf), UINT32_MAX, &f, &why), -1);
	par__frame_header(buf, PAR__T_PUT, 1, PAR_NET_PAYLOAD_MAX);
	assert_int_equal(par__frame_parse(buf, sizeof(buf), UINT32_MAX, &f, &why), 0);
	par__frame_header(buf, PAR__T_PUT, 1, 4);
	buf[4] = 2;
	assert_int_equal(par__frame_parse(buf, sizeof(buf), 100, &f, &why), -1);
	assert_string_equal(why, "unsupported protocol version");
	par__frame_header(buf, PAR__T_PUT, 1, 4);
	buf[7] = 0x80;
	assert_int_equal(par__frame_parse(buf, sizeof(buf), 100, &f, &why), -1);
	assert_string_equal(why, "reserved flags set");
}

/* Decode a request built from type and payload. */
static int req(uint8_t type, const void *p, uint32_t len, size_t max_msg, struct par__req *r,
	       const char **why)
{
	static uint8_t buf[1024];
	struct par__frame f;
	size_t n = frame(buf, type, 7, p, len);

	assert_int_equal(par__frame_parse(buf, n, 1000, &f, why), (ssize_t)n);
	return par__req_decode(&f, max_msg, r, why);
}

static void requests_decode(void **state)
{
	uint8_t p[64] = { 0 };
	struct par__req r;
	const char *why = NULL;

	(void)state;
	assert_int_equal(req(PAR__T_OPEN, "tasks", 5, 100, &r, &why), 0);
	assert_int_equal(r.len, 5);
	assert_int_equal(req(PAR__T_OPEN, "ta\0ks", 5, 100, &r, &why), -1);
	assert_int_equal(req(PAR__T_OPEN, "", 0, 100, &r, &why), -1);
	par__le32_put(p, 3);
	par__le64_put(p + 4, (uint64_t)-1);
	memcpy(p + 12, "msg", 3);
	assert_int_equal(req(PAR__T_PUT, p, 15, 100, &r, &why), 0);
	assert_int_equal(r.qid, 3);
	assert_int_equal(r.timeout_ns, -1);
	assert_int_equal(r.len, 3);
	assert_int_equal(req(PAR__T_PUT, p, 15, 2, &r, &why), -1); /* over max_msg */
	assert_int_equal(req(PAR__T_PUT, p, 11, 100, &r, &why), -1);
	assert_string_equal(why, "short PUT");
	par__le32_put(p + 12, 99);
	assert_int_equal(req(PAR__T_GET, p, 16, 100, &r, &why), 0);
	assert_int_equal(r.cap, 99);
	assert_int_equal(req(PAR__T_GET, p, 17, 100, &r, &why), -1);
	par__le32_put(p + 16, 5);
	assert_int_equal(req(PAR__T_GET_MANY, p, 20, 100, &r, &why), 0);
	assert_int_equal(r.n, 99);
	assert_int_equal(r.cap, 5);
	par__le32_put(p + 12, 0);
	assert_int_equal(req(PAR__T_GET_MANY, p, 20, 100, &r, &why), -1);
	assert_int_equal(req(PAR__T_QSIZE, p, 4, 100, &r, &why), 0);
	assert_int_equal(req(PAR__T_QSIZE, p, 5, 100, &r, &why), -1);
	assert_int_equal(req(PAR__T_STATUS, p, 0, 100, &r, &why), 0);
	assert_int_equal(req(PAR__T_PING, p, 1, 100, &r, &why), -1);
	assert_int_equal(req(0x7f, p, 0, 100, &r, &why), -1);
	assert_string_equal(why, "unknown request type");
	assert_int_equal(req(PAR__T_HELLO, p, 0, 100, &r, &why), -1);
}

static void put_many_records_must_fill_the_payload(void **state)
{
	uint8_t p[64] = { 0 };
	struct par__req r;
	const char *why = NULL;
	const uint8_t *it, *m;
	size_t left;
	uint32_t len;

	(void)state;
	par__le32_put(p + 12, 2); /* n */
	par__le32_put(p + 16, 3);
	memcpy(p + 20, "abc", 3);
	par__le32_put(p + 23, 1);
	p[27] = 'z';
	assert_int_equal(req(PAR__T_PUT_MANY, p, 28, 100, &r, &why), 0);
	assert_int_equal(r.n, 2);
	it = r.data;
	left = r.len;
	assert_int_equal(par__records_next(&it, &left, &m, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(m, "abc", 3);
	assert_int_equal(par__records_next(&it, &left, &m, &len), 1);
	assert_int_equal(len, 1);
	assert_int_equal(par__records_next(&it, &left, &m, &len), 0);
	assert_int_equal(req(PAR__T_PUT_MANY, p, 29, 100, &r, &why), -1); /* trailing */
	assert_int_equal(req(PAR__T_PUT_MANY, p, 27, 100, &r, &why), -1); /* short */
	assert_int_equal(req(PAR__T_PUT_MANY, p, 28, 2, &r, &why), -1);	  /* over max */
	par__le32_put(p + 12, 3);
	assert_int_equal(req(PAR__T_PUT_MANY, p, 28, 100, &r, &why), -1); /* count */
	par__le32_put(p + 12, 1);
	assert_int_equal(req(PAR__T_PUT_MANY, p, 28, 100, &r, &why), -1);
	par__le32_put(p + 12, 2);
	par__le32_put(p + 16, 0xffffffff); /* a length past the end */
	assert_int_equal(req(PAR__T_PUT_MANY, p, 28, UINT32_MAX, &r, &why), -1);
}

static int ans(uint8_t type, int32_t status, const void *body, uint32_t blen, struct par__ans *a)
{
	static uint8_t buf[1024], p[512];
	struct par__frame f;
	const char *why = NULL;

	par__le32_put(p, (uint32_t)status);
	if (blen > 0)
		memcpy(p + 4, body, blen);
	size_t n = frame(buf, type | PAR__T_ANSWER, 9, p, 4 + blen);
	assert_int_equal(par__frame_parse(buf, n, 1000, &f, &why), (ssize_t)n);
	return par__ans_decode(&f, a, &why);
}

static void answers_decode(void **state)
{
	struct par__ans a;
	uint8_t rec[16];

	(void)state;
	assert_int_equal(ans(PAR__T_PUT, 0, NULL, 0, &a), 0);
	assert_int_equal(a.type, PAR__T_PUT);
	assert_int_equal(a.id, 9);
	assert_int_equal(ans(PAR__T_PUT, -PAR__W_EAGAIN, NULL, 0, &a), 0);
	assert_int_equal(par__errno_from_wire(a.status), -EAGAIN);
	assert_int_equal(ans(PAR__T_PUT, -PAR__W_EAGAIN, "x", 1, &a), -1);
	assert_int_equal(ans(PAR__T_GET, 3, "abc", 3, &a), 0);
	assert_int_equal(ans(PAR__T_GET, 4, "abc", 3, &a), -1);
	par__le32_put(rec, 2);
	memcpy(rec + 4, "hi", 2);
	assert_int_equal(ans(PAR__T_GET_MANY, 1, rec, 6, &a), 0);
	assert_int_equal(ans(PAR__T_GET_MANY, 2, rec, 6, &a), -1);
	assert_int_equal(ans(PAR__T_OPEN, 0, rec, 12, &a), 0);
	assert_int_equal(ans(PAR__T_OPEN, 0, rec, 8, &a), -1);
	assert_int_equal(ans(PAR__T_QSIZE, 0, rec, 8, &a), 0);
	assert_int_equal(ans(PAR__T_PUT_MANY, 0, NULL, 0, &a), -1);
	assert_int_equal(ans(0x70, 0, NULL, 0, &a), -1);
}

static void handshake_payloads(void **state)
{
	uint8_t buf[128], p[64], ns[32], mac[32], nc[32];
	struct par__frame f;
	const char *why = NULL;
	int err = 0;

	(void)state;
	for (int i = 0; i < 64; i++)
		p[i] = (uint8_t)i;
	frame(buf, PAR__T_HELLO, 0, p, 32);
	par__frame_parse(buf, 44, 64, &f, &why);
	assert_int_equal(par__hello_decode(&f, ns, &why), 0);
	assert_memory_equal(ns, p, 32);
	assert_int_equal(par__auth_decode(&f, mac, nc, &why), -1);
	frame(buf, PAR__T_AUTH, 0, p, 64);
	par__frame_parse(buf, 76, 64, &f, &why);
	assert_int_equal(par__auth_decode(&f, mac, nc, &why), 0);
	assert_memory_equal(nc, p + 32, 32);
	assert_int_equal(par__hello_decode(&f, ns, &why), -1);
	frame(buf, PAR__T_AUTH, 0, p, 63);
	par__frame_parse(buf, 75, 64, &f, &why);
	assert_int_equal(par__auth_decode(&f, mac, nc, &why), -1);
	frame(buf, PAR__T_AUTH_OK, 0, p, 32);
	par__frame_parse(buf, 44, 64, &f, &why);
	assert_int_equal(par__auth_ok_decode(&f, mac, &why), 0);
	par__le32_put(p, (uint32_t)-PAR__W_EBUSY);
	frame(buf, PAR__T_FAIL, 0, p, 4);
	par__frame_parse(buf, 16, 64, &f, &why);
	assert_int_equal(par__fail_decode(&f, &err, &why), 0);
	assert_int_equal(err, -EBUSY);
}

static void wire_codes_round_trip(void **state)
{
	static const int errs[] = { EAGAIN, ETIMEDOUT, EPIPE,  EMSGSIZE, ENOENT, EINVAL,
				    EPROTO, EBUSY,     EACCES, ENOMEM,	 EIO };

	(void)state;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		int32_t w = par__wire_from_errno(-errs[i]);
		assert_true(w < 0 && w >= -PAR__W_EIO);
		assert_int_equal(par__errno_from_wire(w), -errs[i]);
	}
	assert_int_equal(par__wire_from_errno(-ENOTSOCK), -PAR__W_EIO);
	assert_int_equal(par__errno_from_wire(-999), -EIO);
	assert_int_equal(par__errno_from_wire(INT32_MIN), -EIO);
	assert_int_equal(par__wire_from_errno(17), 17);
}

static void status_round_trips_and_rejects_truncation(void **state)
{
	struct par_manager_stats st = { .accepted = 1, .puts = 5, .read_pauses = 9, .backend = 2 },
				 got;
	struct par_manager_queue_info qs[2] = { { .name = "a", .size = 3, .shm = 1 },
						{ .name = "results", .waiting_puts = 4 } },
				      gq[2];
	uint8_t buf[512];

	(void)state;
	ssize_t n = par__status_encode(buf, sizeof(buf), &st, qs, 2);
	assert_true(n > 0);
	assert_int_equal(par__status_encode(buf, (size_t)n - 1, &st, qs, 2), -ENOSPC);
	assert_int_equal(par__status_decode(buf, (size_t)n, &got, gq, 2), 2);
	assert_int_equal(got.accepted, 1);
	assert_int_equal(got.puts, 5);
	assert_int_equal(got.read_pauses, 9);
	assert_int_equal(got.backend, 2);
	assert_string_equal(gq[0].name, "a");
	assert_int_equal(gq[0].size, 3);
	assert_int_equal(gq[0].shm, 1);
	assert_string_equal(gq[1].name, "results");
	assert_int_equal(gq[1].waiting_puts, 4);
	assert_int_equal(par__status_decode(buf, (size_t)n, &got, gq, 1), 2);
	for (ssize_t i = 0; i < n; i++)
		assert_int_equal(par__status_decode(buf, (size_t)i, &got, gq, 2), -1);
}

/* Random bytes through every decoder: no crash, no read out of bounds
 * (ASan), and an answer for every prefix. */
static void random_bytes_are_total(void **state)
{
	uint8_t buf[256];
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(seed % sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		if (n >= 6 && (round & 1)) {
			buf[4] = PAR_NET_PROTO_VERSION; /* get past the header more often */
			buf[6] = buf[7] = 0;
			par__le32_put(buf, (uint32_t)(n - PAR_NET_HEADER_SIZE) & 0xff);
		}
		struct par__frame f;
		const char *why = NULL;
		ssize_t k = par__frame_parse(buf, n, sizeof(buf), &f, &why);
		assert_true(k >= -1 && k <= (ssize_t)n);
		if (k > 0) {
			struct par__req r;
			struct par__ans a;
			uint8_t x[32], y[32];
			int e;
			par__req_decode(&f, 64, &r, &why);
			par__ans_decode(&f, &a, &why);
			par__hello_decode(&f, x, &why);
			par__auth_decode(&f, x, y, &why);
			par__fail_decode(&f, &e, &why);
			par__status_decode(f.payload, f.len, NULL, NULL, 0);
		}
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(header_parses_incrementally),
	cmocka_unit_test(bad_headers_are_refused_from_the_header_alone),
	cmocka_unit_test(requests_decode),
	cmocka_unit_test(put_many_records_must_fill_the_payload),
	cmocka_unit_test(answers_decode),
	cmocka_unit_test(handshake_payloads),
	cmocka_unit_test(wire_codes_round_trip),
	cmocka_unit_test(status_round_trips_and_rejects_truncation),
	cmocka_unit_test(random_bytes_are_total),
};

PAR_TEST_MAIN(tests)
