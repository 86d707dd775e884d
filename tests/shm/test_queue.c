/* Queue, one process (and a forked child here and there): sizes, edges,
 * timeouts, batches, shutdown, options, open validation, stats, eventfd. */
#include "par_test.h"

#include <par/queue.h>

#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>

/* Deterministic bytes for message i of length len. */
static void fill(unsigned char *p, size_t len, unsigned i)
{
	for (size_t k = 0; k < len; k++)
		p[k] = (unsigned char)(i * 131u + k * 7u + (k >> 8));
}

static bool same(const unsigned char *p, size_t len, unsigned i)
{
	for (size_t k = 0; k < len; k++)
		if (p[k] != (unsigned char)(i * 131u + k * 7u + (k >> 8)))
			return false;
	return true;
}

static struct par_queue *make(uint32_t capacity, size_t inline_max, size_t max_msg)
{
	struct par_queue_opts o;
	struct par_queue *q;

	par_queue_opts_init(&o);
	if (capacity)
		o.capacity = capacity;
	if (inline_max)
		o.inline_max = inline_max;
	if (max_msg)
		o.max_msg = max_msg;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	return q;
}

static void name_of(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "/par-test-q-%s-%d", what, (int)getpid());
}

/* put then get one message of len bytes and check it */
static void roundtrip(struct par_queue *q, size_t len, unsigned i)
{
	size_t max = par_queue_max_msg(q);
	unsigned char *in = malloc(len + 1), *out = malloc(max + 1);

	fill(in, len, i);
	assert_int_equal(par_queue_put(q, in, len, 0), 0);
	memset(out, 0xee, max + 1);
	assert_int_equal(par_queue_get(q, out, max, 0), (ssize_t)len);
	assert_true(same(out, len, i));
	assert_int_equal(out[len], 0xee); /* nothing written past it */
	free(in);
	free(out);
}

static void sizes_roundtrip(void **state)
{
	struct par_queue *q = make(16, 0, 0);
	size_t inl = 112, max = par_queue_max_msg(q);

	(void)state;
	assert_int_equal(max, (size_t)1 << 20);
	size_t lens[] = {
		0, 1, 7, 8, inl - 1, inl, inl + 1, 4095, 4096, 4097, 100000, max - 1, max
	};
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		roundtrip(q, lens[i], i);
	unsigned char *big = calloc(1, max + 1);
	assert_int_equal(par_queue_put(q, big, max + 1, 0), -EMSGSIZE);
	assert_int_equal(par_queue_put(q, big, max + 1, PAR_FOREVER), -EMSGSIZE);
	assert_int_equal(par_queue_get(q, big, max, 0), -EAGAIN);
	free(big);
	assert_int_equal(par_queue_close(q), 0);
}

static void small_buffer_keeps_the_message(void **state)
{
	struct par_queue *q = make(8, 0, 0);
	unsigned char in[3000], out[3000];

	(void)state;
	for (int k = 0; k < 2; k++) {
		size_t len = k == 0 ? 100 : sizeof(in); /* inline, then out of line */
		fill(in, len, 7);
		assert_int_equal(par_queue_put(q, in, len, 0), 0);
		assert_int_equal(par_queue_get(q, out, len - 1, 0), -EMSGSIZE);
		assert_int_equal(par_queue_get(q, out, 0, PAR_FOREVER), -EMSGSIZE);
		assert_int_equal(par_queue_size(q), 1);
		assert_int_equal(par_queue_get(q, out, len, 0), (ssize_t)len);
		assert_true(same(out, len, 7));
	}
	/* a batch ends before a message that does not fit */
	unsigned char a[16], b[16];
	struct par_msg m[2] = { { a, 0, sizeof(a) }, { b, 0, 4 } };
	fill(in, 16, 1);
	assert_int_equal(par_queue_put(q, in, 16, 0), 0);
	assert_int_equal(par_queue_put(q, in, 16, 0), 0);
	assert_int_equal(par_queue_get_many(q, m, 2, 0), 1);
	assert_int_equal(m[0].len, 16);
	m[0].cap = 4;
	assert_int_equal(par_queue_get_many(q, m, 2, 0), -EMSGSIZE);
	m[0].cap = 16;
	assert_int_equal(par_queue_get_many(q, m, 2, 0), 1);
	assert_true(same(a, 16, 1));
	assert_int_equal(par_queue_close(q), 0);
}

static void full_and_empty_edges(void **state)
{
	struct par_queue *q = make(4, 0, 0);
	char buf[8] = "abcdefg";

	(void)state;
	assert_true(par_queue_empty(q));
	assert_false(par_queue_full(q));
	assert_int_equal(par_queue_capacity(q), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(par_queue_size(q), (size_t)i);
		assert_int_equal(par_queue_put(q, buf, 8, 0), 0);
	}
	assert_true(par_queue_full(q));
	assert_false(par_queue_empty(q));
	assert_int_equal(par_queue_put(q, buf, 8, 0), -EAGAIN);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_queue_put(q, buf, 8, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	for (int i = 0; i < 4; i++)
		assert_int_equal(par_queue_get(q, buf, 8, 0), 8);
	assert_int_equal(par_queue_get(q, buf, 8, 0), -EAGAIN);
	t0 = par_now_ns();
	assert_int_equal(par_queue_get(q, buf, 8, 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 30 * PAR_TEST_MS);
	assert_true(par_queue_empty(q));
	assert_int_equal(par_queue_close(q), 0);
}

/* Out-of-line space runs short before the slots do: a put waits like on a
 * full queue. */
static void pool_short_waits(void **state)
{
	struct par_queue_opts o;
	struct par_queue *q;
	unsigned char *big = malloc(4096);

	(void)state;
	par_queue_opts_init(&o);
	o.capacity = 64;
	o.max_msg = 4096;
	o.pool_size = 8192;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	fill(big, 4096, 3);
	assert_int_equal(par_queue_put(q, big, 4096, 0), 0);
	assert_int_equal(par_queue_put(q, big, 4096, 0), 0);
	assert_int_equal(par_queue_put(q, big, 4096, 0), -EAGAIN);
	assert_int_equal(par_queue_put(q, big, 4096, 20 * PAR_TEST_MS), -ETIMEDOUT);
	assert_int_equal(par_queue_put(q, big, 10, 0), 0); /* inline still fits */
	assert_int_equal(par_queue_get(q, big, 4096, 0), 4096);
	assert_true(same(big, 4096, 3));
	fill(big, 4096, 4);
	assert_int_equal(par_queue_put(q, big, 4096, 0), 0);
	assert_int_equal(par_queue_size(q), 3);
	assert_int_equal(par_queue_close(q), 0);
	free(big);
}

static void wrap_around(void **state)
{
	struct par_queue *q = make(8, 0, 0);
	unsigned char buf[200];

	(void)state;
	for (unsigned i = 0; i < 99999; i++) {
		size_t len = (i * 37u) % 200; /* inline and out of line */
		fill(buf, len, i);
		assert_int_equal(par_queue_put(q, buf, len, 0), 0);
		if (i % 3 == 2) { /* keep a few in, so that slots wrap at all offsets */
			for (int k = 0; k < 3; k++) {
				unsigned j = i - 2 + (unsigned)k;
				size_t jl = (j * 37u) % 200;
				assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0),
						 (ssize_t)jl);
				assert_true(same(buf, jl, j));
			}
		}
	}
	assert_true(par_queue_empty(q));
	struct par_queue_stats st;
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.puts, 99999);
	assert_int_equal(st.gets, 99999);
	assert_int_equal(par_queue_close(q), 0);
}

static void batches_at_the_edges(void **state)
{
	struct par_queue *q = make(8, 0, 0);
	unsigned char data[12][300];
	struct par_msg m[12];

	(void)state;
	for (unsigned i = 0; i < 12; i++) {
		size_t len = i % 2 ? 300 : i * 3;
		fill(data[i], len, i);
		m[i] = (struct par_msg){ data[i], len, 0 };
	}
	assert_int_equal(par_queue_put_many(q, m, 0, 0), 0);
	assert_int_equal(par_queue_put_many(q, m, 5, 0), 5);
	assert_int_equal(par_queue_put_many(q, m + 5, 7, 0), 3); /* room for 3 */
	assert_int_equal(par_queue_put_many(q, m + 8, 4, 0), -EAGAIN);
	assert_int_equal(par_queue_put_many(q, m + 8, 4, 20 * PAR_TEST_MS), -ETIMEDOUT);
	unsigned char out[12][300];
	struct par_msg g[12];
	for (unsigned i = 0; i < 12; i++)
		g[i] = (struct par_msg){ out[i], 0, 300 };
	assert_int_equal(par_queue_get_many(q, g, 3, 0), 3);
	assert_int_equal(par_queue_get_many(q, g + 3, 12, 0), 5);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(g[i].len, i % 2 ? 300 : i * 3);
		assert_true(same(out[i], g[i].len, i));
	}
	assert_int_equal(par_queue_get_many(q, g, 12, 0), -EAGAIN);
	assert_int_equal(par_queue_get_many(q, g, 12, 20 * PAR_TEST_MS), -ETIMEDOUT);
	/* a too-big message in a put batch ends it */
	m[1].len = (size_t)2 << 20;
	assert_int_equal(par_queue_put_many(q, m, 3, 0), 1);
	assert_int_equal(par_queue_put_many(q, m + 1, 2, 0), -EMSGSIZE);
	assert_int_equal(par_queue_close(q), 0);
	/* so does one that would fit inline but is longer than max_msg */
	q = make(8, 112, 16);
	for (unsigned i = 0; i < 4; i++)
		m[i].len = i == 2 ? 100 : 8;
	assert_int_equal(par_queue_put_many(q, m, 4, 0), 2);
	assert_int_equal(par_queue_size(q), 2);
	assert_int_equal(par_queue_close(q), 0);
}

/* Batches over many laps of a 16-slot queue: runs of inline messages
 * (0 to 112 bytes) broken by out-of-line ones, every batch size from 1 to
 * 20 on both sides, and a get buffer too small in the middle of a batch,
 * which ends that batch there. Exact contents and order. */
static void batch_runs_over_laps(void **state)
{
	struct par_queue *q = make(16, 112, 4096);
	static unsigned char in[20][400], out[20][400];
	struct par_msg m[20], g[20];
	unsigned put = 0, got = 0;

	(void)state;
	for (unsigned round = 0; round < 400; round++) {
		unsigned n = 1 + round % 20, k = 1 + (round * 7) % 20;
		for (unsigned i = 0; i < n; i++) {
			unsigned seq = put + i;
			size_t len = seq % 11 == 5 ? 400 : (seq * 13) % 113;
			fill(in[i], len, seq);
			m[i] = (struct par_msg){ len ? in[i] : NULL, len, 0 };
		}
		int r = par_queue_put_many(q, m, n, 0);
		assert_true(r >= 1 && r <= (int)n);
		put += (unsigned)r;
		for (unsigned i = 0; i < k; i++)
			g[i] = (struct par_msg){ out[i], 0,
						 i == k / 2 && round % 3 == 0 ? 8 : 400 };
		while (got < put) {
			r = par_queue_get_many(q, g, k, 0);
			if (r == -EMSGSIZE) { /* the small buffer came first: take it alone */
				g[0].cap = 400;
				continue;
			}
			assert_true(r >= 1 && r <= (int)k);
			for (int i = 0; i < r; i++) {
				assert_true(g[i].len <= g[i].cap);
				assert_int_equal(g[i].len, got % 11 == 5 ? 400 : (got * 13) % 113);
				assert_true(same(out[i], g[i].len, got));
				got++;
			}
			if (r < (int)k && got < put) /* ended early: at the small buffer */
				assert_true(g[r].cap == 8 && g[r].len == 0);
			for (unsigned i = 0; i < k; i++)
				g[i].cap = 400;
		}
	}
	assert_int_equal(par_queue_get_many(q, g, 20, 0), -EAGAIN);
	assert_true(put > 2000);
	assert_int_equal(par_queue_close(q), 0);
}

struct sleeper_arg {
	struct par_queue *q;
	int put; /* wait in put (full queue) rather than in get */
};

static int sleeper(void *arg)
{
	struct sleeper_arg *a = arg;
	char buf[16] = { 0 };

	if (a->put)
		return par_queue_put(a->q, buf, 16, 10 * PAR_TEST_SEC) == -EPIPE ? 0 : 1;
	return par_queue_get(a->q, buf, 16, 10 * PAR_TEST_SEC) == -EPIPE ? 0 : 1;
}

static void shutdown_drains_then_epipe(void **state)
{
	struct par_queue *q = make(4, 0, 0);
	char buf[300];

	(void)state;
	assert_int_equal(par_queue_is_shutdown(q), 0);
	fill((unsigned char *)buf, 300, 9);
	assert_int_equal(par_queue_put(q, buf, 10, 0), 0);
	assert_int_equal(par_queue_put(q, buf, 300, 0), 0);
	assert_int_equal(par_queue_shutdown(q), 0);
	assert_int_equal(par_queue_shutdown(q), 0);
	assert_int_equal(par_queue_is_shutdown(q), 1);
	assert_int_equal(par_queue_put(q, buf, 10, 0), -EPIPE);
	assert_int_equal(par_queue_put(q, buf, 10, PAR_FOREVER), -EPIPE);
	assert_int_equal(par_queue_get(q, buf, 300, 0), 10);
	assert_int_equal(par_queue_get(q, buf, 300, PAR_FOREVER), 300);
	assert_true(same((unsigned char *)buf, 300, 9));
	assert_int_equal(par_queue_get(q, buf, 300, 0), -EPIPE);
	assert_int_equal(par_queue_get(q, buf, 300, PAR_FOREVER), -EPIPE);
	struct par_msg m = { buf, 0, 300 };
	assert_int_equal(par_queue_get_many(q, &m, 1, PAR_FOREVER), -EPIPE);
	assert_int_equal(par_queue_put_many(q, &m, 1, PAR_FOREVER), -EPIPE);
	assert_int_equal(par_queue_close(q), 0);
}

/* Sleepers in another process, in get (empty) and in put (full), wake up
 * with -EPIPE when the queue is shut down. */
static void shutdown_wakes_sleepers(void **state)
{
	(void)state;
	for (int put = 0; put < 2; put++) {
		struct par_queue *q = make(2, 0, 0);
		struct sleeper_arg a = { q, put };
		char buf[16] = { 0 };
		if (put) {
			assert_int_equal(par_queue_put(q, buf, 16, 0), 0);
			assert_int_equal(par_queue_put(q, buf, 16, 0), 0);
		}
		pid_t pids[2];
		for (int i = 0; i < 2; i++)
			pids[i] = par_test_fork(sleeper, &a);
		par_sleep_ns(50 * PAR_TEST_MS); /* let them sleep */
		assert_int_equal(par_queue_shutdown(q), 0);
		for (int i = 0; i < 2; i++)
			par_test_reap_code(pids[i], 5 * PAR_TEST_SEC, 0);
		assert_int_equal(par_queue_close(q), 0);
	}
}

static int put_later(void *arg)
{
	struct par_queue *q = arg;

	par_sleep_ns(30 * PAR_TEST_MS);
	return par_queue_put(q, "late", 4, 0) == 0 ? 0 : 1;
}

static void blocking_get_woken_by_other_process(void **state)
{
	struct par_queue *q = make(4, 0, 0);
	char buf[8];

	(void)state;
	pid_t pid = par_test_fork(put_later, q);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 5 * PAR_TEST_SEC), 4);
	assert_memory_equal(buf, "late", 4);
	par_test_reap_code(pid, 5 * PAR_TEST_SEC, 0);
	assert_int_equal(par_queue_close(q), 0);
}

static void options_validation(void **state)
{
	struct par_queue_opts o;
	struct par_queue *q;

	(void)state;
	par_queue_opts_init(&o);
	assert_int_equal(o.size, sizeof(o));
	assert_int_equal(o.capacity, 1024);
	assert_int_equal(o.inline_max, 112);
	assert_int_equal(o.max_msg, (size_t)1 << 20);
	assert_int_equal(par_queue_create(NULL, NULL, NULL), -EINVAL);
	struct {
		uint32_t cap;
		size_t inl, max, pool;
	} bad[] = { { 0, 112, 1024, 0 },	{ 3, 112, 1024, 0 },
		    { 1u << 25, 112, 1024, 0 }, { 8, 0, 1024, 0 },
		    { 8, 100, 1024, 0 },	{ 8, 4104, 8192, 0 },
		    { 8, 112, 0, 0 },		{ 8, 112, ((size_t)1 << 30) + 1, 0 },
		    { 8, 112, 4096, 4095 } };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		par_queue_opts_init(&o);
		o.capacity = bad[i].cap;
		o.inline_max = bad[i].inl;
		o.max_msg = bad[i].max;
		o.pool_size = bad[i].pool;
		assert_int_equal(par_queue_create(NULL, &o, &q), -EINVAL);
	}
	par_queue_opts_init(&o);
	o.size = 2;
	assert_int_equal(par_queue_create(NULL, &o, &q), -EINVAL);
	o.size = offsetof(struct par_queue_opts, inline_max); /* an old caller: defaults */
	o.capacity = 2;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	assert_int_equal(par_queue_capacity(q), 2);
	assert_int_equal(par_queue_max_msg(q), (size_t)1 << 20);
	assert_int_equal(par_queue_close(q), 0);
	/* good odd shapes: capacity 1, everything inline, the largest inline */
	par_queue_opts_init(&o);
	o.capacity = 1;
	o.max_msg = 64;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	roundtrip(q, 64, 1);
	roundtrip(q, 0, 2);
	assert_int_equal(par_queue_close(q), 0);
	par_queue_opts_init(&o);
	o.inline_max = 4096;
	o.max_msg = 5000;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	roundtrip(q, 4096, 3);
	roundtrip(q, 5000, 4);
	assert_int_equal(par_queue_close(q), 0);
	assert_int_equal(par_queue_close(NULL), -EINVAL);
	assert_int_equal(par_queue_put(NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(par_queue_get(NULL, &o, 1, 0), -EINVAL);
}

static void named_open_and_validation(void **state)
{
	char name[64], raw[64];
	struct par_queue *q, *q2;
	struct par_shm *shm;

	(void)state;
	name_of(name, sizeof(name), "named");
	name_of(raw, sizeof(raw), "raw");
	par_queue_unlink(name);
	assert_int_equal(par_queue_open(name, &q), -ENOENT);
	assert_int_equal(par_queue_create(name, NULL, &q), 0);
	assert_int_equal(par_queue_create(name, NULL, &q2), -EEXIST);
	assert_int_equal(par_queue_open(name, &q2), 0);
	roundtrip(q, 5, 1);
	assert_int_equal(par_queue_put(q2, "hello", 5, 0), 0);
	char buf[8];
	assert_int_equal(par_queue_get(q, buf, 8, 0), 5);
	assert_int_equal(par_queue_close(q2), 0);
	/* by descriptor */
	assert_int_equal(par_queue_open_fd(par_queue_fd(q), &q2), 0);
	assert_int_equal(par_queue_put(q2, "x", 1, 0), 0);
	assert_int_equal(par_queue_get(q, buf, 8, 0), 1);
	assert_int_equal(par_queue_close(q2), 0);
	assert_int_equal(par_queue_open_fd(-1, &q2), -EBADF);
	/* a raw segment is not a queue */
	par_shm_unlink(raw);
	assert_int_equal(par_shm_create(raw, 1 << 20, NULL, &shm), 0);
	assert_int_equal(par_queue_open(raw, &q2), -EPROTO);
	assert_int_equal(par_queue_open_fd(par_shm_fd(shm), &q2), -EPROTO);
	assert_int_equal(par_shm_close(shm), 0);
	assert_int_equal(par_shm_unlink(raw), 0);
	/* damage the queue's own header in the data area: refused */
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	uint64_t v, junk = 0x1234;
	off_t spots[] = { 4096, 4112, 4120, 4128, 4136, 4144, 4152 }; /* magic, geometry */
	for (unsigned i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		off_t at = spots[i];
		assert_int_equal(pread(fd, &v, 8, at), 8);
		assert_int_equal(pwrite(fd, &junk, 8, at), 8);
		assert_int_equal(par_queue_open(name, &q2), -EPROTO);
		assert_int_equal(pwrite(fd, &v, 8, at), 8);
	}
	close(fd);
	assert_int_equal(par_queue_open(name, &q2), 0);
	assert_int_equal(par_queue_close(q2), 0);
	assert_int_equal(par_queue_close(q), 0);
	assert_int_equal(par_queue_unlink(name), 0);
	assert_int_equal(par_queue_open(name, &q2), -ENOENT);
}

static void stats_count(void **state)
{
	struct par_queue *q = make(8, 0, 0);
	struct par_queue_stats st;
	char buf[512] = { 0 };

	(void)state;
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.participants, 1);
	assert_int_equal(st.puts + st.gets + st.torn + st.redelivered + st.dead_peers, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(par_queue_put(q, buf, (size_t)i * 100, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_true(par_queue_get(q, buf, sizeof(buf), 0) >= 0);
	struct par_queue *q2;
	assert_int_equal(par_queue_open_fd(par_queue_fd(q), &q2), 0);
	assert_int_equal(par_queue_put(q2, buf, 1, 0), 0);
	assert_int_equal(par_queue_get_stats(q2, &st), 0);
	assert_int_equal(st.participants, 2);
	assert_int_equal(st.puts, 6);
	assert_int_equal(st.gets, 3);
	assert_int_equal(par_queue_close(q2), 0);
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.participants, 1);
	assert_int_equal(st.puts, 6); /* a closed participant's counts stay */
	assert_int_equal(st.pool_reclaimed + st.dead_peers, 0);
	assert_int_equal(par_queue_get_stats(NULL, &st), -EINVAL);
	assert_int_equal(par_queue_close(q), 0);
}

static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, ms);

	assert_true(r >= 0);
	return r > 0 && (p.revents & POLLIN);
}

static int put_one_later(void *arg)
{
	struct par_queue *q = arg;

	par_sleep_ns(20 * PAR_TEST_MS);
	return par_queue_put(q, "ping", 4, PAR_FOREVER) == 0 ? 0 : 1;
}

static void eventfd_readiness(void **state)
{
	struct par_queue *q = make(8, 0, 0);
	char buf[8];

	(void)state;
	int fd = par_queue_eventfd(q);
	assert_true(fd >= 0);
	assert_int_equal(par_queue_eventfd(q), fd);
	assert_false(readable(fd, 30));
	pid_t pid = par_test_fork(put_one_later, q);
	assert_true(readable(fd, 5000));
	assert_true(readable(fd, 0)); /* level: still readable */
	assert_int_equal(par_queue_get(q, buf, 8, 0), 4);
	par_test_reap_code(pid, 5 * PAR_TEST_SEC, 0);
	assert_int_equal(par_queue_get(q, buf, 8, 0), -EAGAIN);
	assert_false(readable(fd, 30));
	/* several at once, drained in turn */
	for (int i = 0; i < 3; i++)
		assert_int_equal(par_queue_put(q, "abc", 3, 0), 0);
	assert_true(readable(fd, 5000));
	for (int i = 0; i < 3; i++) {
		assert_true(readable(fd, 5000));
		assert_int_equal(par_queue_get(q, buf, 8, 0), 3);
	}
	assert_int_equal(par_queue_get(q, buf, 8, 0), -EAGAIN);
	assert_false(readable(fd, 30));
	/* shut down: readable, a get answers -EPIPE */
	assert_int_equal(par_queue_shutdown(q), 0);
	assert_true(readable(fd, 5000));
	assert_int_equal(par_queue_get(q, buf, 8, 0), -EPIPE);
	assert_int_equal(par_queue_close(q), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(sizes_roundtrip),
	cmocka_unit_test(small_buffer_keeps_the_message),
	cmocka_unit_test(full_and_empty_edges),
	cmocka_unit_test(pool_short_waits),
	cmocka_unit_test(wrap_around),
	cmocka_unit_test(batches_at_the_edges),
	cmocka_unit_test(batch_runs_over_laps),
	cmocka_unit_test(shutdown_drains_then_epipe),
	cmocka_unit_test(shutdown_wakes_sleepers),
	cmocka_unit_test(blocking_get_woken_by_other_process),
	cmocka_unit_test(options_validation),
	cmocka_unit_test(named_open_and_validation),
	cmocka_unit_test(stats_count),
	cmocka_unit_test(eventfd_readiness),
};

PAR_TEST_MAIN(tests)
