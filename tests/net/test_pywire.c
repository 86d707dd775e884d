/* Python's connection layer (net/pywire.c): framing in both header forms,
 * incremental and bounded; the challenge in both dialects, answered and
 * verified against HMACs computed by CPython's hmac module (key b'abc'). */
#include "par_test.h"

#include "pywire.h"

#include <errno.h>
#include <string.h>

static const uint8_t md5_20[16] = { 0x1b, 0x37, 0x31, 0x76, 0xa8, 0x4c, 0x1b, 0x04,
				    0x4d, 0x9b, 0xa0, 0x97, 0x95, 0xb5, 0x37, 0x91 };
static const uint8_t md5_48[16] = { 0x94, 0x8d, 0x4c, 0xa3, 0x59, 0x65, 0x37, 0xdc,
				    0xd3, 0xfa, 0xf4, 0x83, 0xb1, 0x41, 0x08, 0x1a };
static const uint8_t sha256_48[32] = { 0x2b, 0xff, 0xbc, 0xa9, 0x41, 0xf3, 0x44, 0xd1,
				       0x8a, 0x89, 0xfe, 0x0f, 0xe3, 0xa4, 0x2f, 0x3f,
				       0x35, 0xac, 0x3a, 0x74, 0xc8, 0xb4, 0xbd, 0xd6,
				       0xfc, 0x6c, 0x81, 0x44, 0x69, 0x4a, 0x0c, 0x65 };

static struct par_authkey key(const char *s)
{
	struct par_authkey k;
	assert_int_equal(par_authkey_set(&k, s, strlen(s)), 0);
	return k;
}

/* "#CHALLENGE#" + body into m; its length. */
static size_t challenge(uint8_t *m, const uint8_t *body, size_t n)
{
	memcpy(m, PAR__PY_CHALLENGE, 11);
	memcpy(m + 11, body, n);
	return 11 + n;
}

static size_t legacy(uint8_t *m)
{
	uint8_t b[20];
	for (int i = 0; i < 20; i++)
		b[i] = (uint8_t)i;
	return challenge(m, b, 20);
}

static size_t modern(uint8_t *m)
{
	uint8_t b[48];
	memcpy(b, "{sha256}", 8);
	for (int i = 0; i < 40; i++)
		b[8 + i] = (uint8_t)(100 + i);
	return challenge(m, b, 48);
}

static void frame_small_and_large_headers(void **state)
{
	uint8_t h[12];
	(void)state;
	assert_int_equal(par__py_frame_header(h, 0), 4);
	assert_memory_equal(h, "\0\0\0\0", 4);
	assert_int_equal(par__py_frame_header(h, 70078), 4);
	assert_memory_equal(h, "\x00\x01\x11\xbe", 4); /* the recorded 70078-byte put */
	assert_int_equal(par__py_frame_header(h, 0x7fffffff), 4);
	assert_memory_equal(h, "\x7f\xff\xff\xff", 4);
	assert_int_equal(par__py_frame_header(h, 0x80000000ull), 12);
	assert_memory_equal(h, "\xff\xff\xff\xff\0\0\0\0\x80\0\0\0", 12);
}

static void frame_parses_incrementally(void **state)
{
	uint8_t buf[32] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0 };
	const uint8_t *p = NULL;
	uint64_t len = 99;
	(void)state;
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(par__py_frame_parse(buf, i, 100, &p, &len), 0);
	assert_int_equal(par__py_frame_parse(buf, 11, 100, &p, &len), 7);
	assert_ptr_equal(p, buf + 4);
	assert_int_equal(len, 3);
	/* a zero-length message is legal */
	assert_int_equal(par__py_frame_parse(buf + 7, 4, 100, &p, &len), 4);
	assert_int_equal(len, 0);
	/* the large form: -1, then a 64-bit length */
	uint8_t big[16] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 2, 'x', 'y' };
	for (size_t i = 0; i < 14; i++)
		assert_int_equal(par__py_frame_parse(big, i, 100, &p, &len), 0);
	assert_int_equal(par__py_frame_parse(big, 14, 100, &p, &len), 14);
	assert_int_equal(len, 2);
	assert_memory_equal(p, "xy", 2);
}

static void frame_refuses_oversized_and_negative(void **state)
{
	uint8_t h[12];
	const uint8_t *p;
	uint64_t len;
	(void)state;
	/* decided from the header alone, before the payload is there */
	par__py_frame_header(h, 257);
	assert_int_equal(par__py_frame_parse(h, 4, 256, &p, &len), -EMSGSIZE);
	par__py_frame_header(h, 1ull << 40);
	assert_int_equal(par__py_frame_parse(h, 12, 1u << 30, &p, &len), -EMSGSIZE);
	uint8_t neg[4] = { 0xff, 0xff, 0xff, 0xfe };
	assert_int_equal(par__py_frame_parse(neg, 4, 256, &p, &len), -EPROTO);
	uint8_t min[4] = { 0x80, 0, 0, 0 };
	assert_int_equal(par__py_frame_parse(min, 4, 256, &p, &len), -EPROTO);
}

static void answers_legacy_challenge_with_raw_md5(void **state)
{
	struct par_authkey k = key("abc");
	uint8_t m[64], out[PAR__PY_ANSWER_MAX];
	(void)state;
	size_t n = legacy(m);
	assert_int_equal(par__py_answer(&k, m, n, out), 16);
	assert_memory_equal(out, md5_20, 16);
	assert_int_equal(par__py_verify(&k, m, n, md5_20, 16), 1);
}

static void answers_modern_challenge_with_prefixed_sha256(void **state)
{
	struct par_authkey k = key("abc");
	uint8_t m[64], out[PAR__PY_ANSWER_MAX], want[40];
	(void)state;
	size_t n = modern(m);
	memcpy(want, "{sha256}", 8);
	memcpy(want + 8, sha256_48, 32);
	assert_int_equal(par__py_answer(&k, m, n, out), 40);
	assert_memory_equal(out, want, 40);
	/* A verifier takes both what 3.12+ sends and a 3.8-3.11 client's raw
	 * HMAC-MD5 over the whole prefixed body. */
	assert_int_equal(par__py_verify(&k, m, n, want, 40), 1);
	assert_int_equal(par__py_verify(&k, m, n, md5_48, 16), 1);
}

static void rejects_wrong_keys_and_forgeries(void **state)
{
	struct par_authkey k = key("abc"), bad = key("abd");
	uint8_t m[64], l[64], out[PAR__PY_ANSWER_MAX], want[40];
	(void)state;
	size_t n = modern(m), ln = legacy(l);
	memcpy(want, "{sha256}", 8);
	memcpy(want + 8, sha256_48, 32);
	assert_int_equal(par__py_verify(&bad, m, n, want, 40), 0);
	assert_int_equal(par__py_verify(&bad, l, ln, md5_20, 16), 0);
	int r = par__py_answer(&bad, m, n, out);
	assert_int_equal(r, 40);
	assert_int_equal(par__py_verify(&k, m, n, out, (size_t)r), 0);
	/* a right MAC with the wrong prefix, truncated, or padded */
	memcpy(want, "{sha384}", 8);
	assert_int_equal(par__py_verify(&k, m, n, want, 40), 0);
	memcpy(want, "{sha256}", 8);
	assert_int_equal(par__py_verify(&k, m, n, want, 39), 0);
	assert_int_equal(par__py_verify(&k, m, n, md5_48, 15), 0);
	uint8_t md5_pad[20];
	memcpy(md5_pad, md5_20, 16);
	memset(md5_pad + 16, 0, 4);
	assert_int_equal(par__py_verify(&k, l, ln, md5_pad, 20), 0);
	assert_int_equal(par__py_verify(&k, l, ln, md5_20, 0), 0);
	/* a challenge without its prefix is never verified */
	assert_int_equal(par__py_verify(&k, l + 1, ln - 1, md5_20, 16), 0);
}

static void refuses_challenges_python_refuses(void **state)
{
	struct par_authkey k = key("abc");
	uint8_t m[96], out[PAR__PY_ANSWER_MAX], b[40] = { 0 };
	(void)state;
	/* shorter than 20, unprefixed but not 20, unknown digest, no prefix */
	assert_int_equal(par__py_answer(&k, m, challenge(m, b, 19), out), -EPROTO);
	assert_int_equal(par__py_answer(&k, m, challenge(m, b, 32), out), -EPROTO);
	memcpy(b, "{sha1}", 6);
	assert_int_equal(par__py_answer(&k, m, challenge(m, b, 40), out), -EPROTO);
	memcpy(b, "{sha256", 7);
	assert_int_equal(par__py_answer(&k, m, challenge(m, b, 40), out), -EPROTO);
	memcpy(m, "#CHALLENGX#", 11);
	assert_int_equal(par__py_answer(&k, m, 31, out), -EPROTO);
	assert_int_equal(par__py_answer(&k, m, 5, out), -EPROTO);
	/* every allowed digest answers, prefixed */
	static const char *names[] = { "{md5}", "{sha384}", "{sha3_256}", "{sha3_384}" };
	static const int sizes[] = { 16, 48, 32, 48 };
	for (int i = 0; i < 4; i++) {
		size_t pl = strlen(names[i]);
		memset(b, 7, sizeof(b));
		memcpy(b, names[i], pl);
		size_t n = challenge(m, b, 40);
		int r = par__py_answer(&k, m, n, out);
		assert_int_equal(r, (int)pl + sizes[i]);
		assert_memory_equal(out, names[i], pl);
		assert_int_equal(par__py_verify(&k, m, n, out, (size_t)r), 1);
	}
}

static void makes_challenges_of_both_kinds(void **state)
{
	uint8_t a[PAR__PY_CHALLENGE_MAX], b[PAR__PY_CHALLENGE_MAX];
	(void)state;
	assert_int_equal(par__py_challenge(a, 1), 59);
	assert_memory_equal(a, "#CHALLENGE#{sha256}", 19);
	assert_int_equal(par__py_challenge(b, 1), 59);
	assert_memory_not_equal(a + 19, b + 19, 40); /* fresh random bytes */
	assert_int_equal(par__py_challenge(a, 0), 31);
	assert_memory_equal(a, "#CHALLENGE#", 11);
	/* and they answer themselves */
	struct par_authkey k = key("abc");
	uint8_t out[PAR__PY_ANSWER_MAX];
	int r = par__py_answer(&k, a, 31, out);
	assert_int_equal(r, 16);
	assert_int_equal(par__py_verify(&k, a, 31, out, 16), 1);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(frame_small_and_large_headers),
	cmocka_unit_test(frame_parses_incrementally),
	cmocka_unit_test(frame_refuses_oversized_and_negative),
	cmocka_unit_test(answers_legacy_challenge_with_raw_md5),
	cmocka_unit_test(answers_modern_challenge_with_prefixed_sha256),
	cmocka_unit_test(rejects_wrong_keys_and_forgeries),
	cmocka_unit_test(refuses_challenges_python_refuses),
	cmocka_unit_test(makes_challenges_of_both_kinds),
};

PAR_TEST_MAIN(tests)
