/* Queue under SIGKILL: producers and consumers killed at random instants
 * (chaos, see queue_chaos.h for the invariant it asserts), a producer killed
 * while it holds out-of-line chunks, a consumer killed in the middle of taking
 * a large message. */
#include "queue_chaos.h"

/* ---- deterministic deaths ------------------------------------------------------ */

struct holder {
	struct par_queue *q;
	uint32_t started; /* the child is about to put / get */
	uint32_t done;	  /* its get returned the whole message */
	size_t len;
	unsigned char *buf; /* shared: what a consumer took */
};

static void await_flag(uint32_t *flag)
{
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) && par_now_ns() < deadline)
		par_sleep_ns(100000);
	assert_int_equal(__atomic_load_n(flag, __ATOMIC_ACQUIRE), 1);
}

/* Child: put one max_msg message into a full queue: it copies the message
 * into the pool, then waits for a slot holding the chunks. */
static int put_big_and_block(void *arg)
{
	struct holder *h = arg;
	unsigned char *big = malloc(h->len);

	qm_make(big, 1, 1, h->len);
	/* release: pairs with await_flag's acquire */
	__atomic_store_n(&h->started, 1, __ATOMIC_RELEASE);
	par_queue_put(h->q, big, h->len, 10 * PAR_TEST_SEC);
	return 1; /* killed before, normally */
}

/* A producer killed while it owns out-of-line chunks (not yet in any slot):
 * recovery frees them, so max_msg puts keep succeeding. */
static void producer_killed_holding_chunks(void **state)
{
	struct par_queue_opts o;
	struct holder *h = par_test_shared(sizeof(*h));
	unsigned char *big = malloc(262144), one = 1;
	struct par_queue_stats st;

	(void)state;
	par_queue_opts_init(&o);
	o.capacity = 1;
	o.max_msg = h->len = 262144;
	o.pool_size = 262144; /* exactly one largest message */
	assert_int_equal(par_queue_create(NULL, &o, &h->q), 0);
	assert_int_equal(par_queue_put(h->q, &one, 1, 0), 0); /* full */
	pid_t pid = par_test_fork(put_big_and_block, h);
	await_flag(&h->started);
	par_sleep_ns(50 * PAR_TEST_MS); /* it copies, then sleeps holding the pool */
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status = par_test_reap(pid, 10 * PAR_TEST_SEC);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(par_queue_get(h->q, big, 262144, 0), 1);
	for (uint32_t i = 0; i < 10; i++) {
		qm_make(big, 2, i, 262144);
		assert_int_equal(par_queue_put(h->q, big, 262144, 0), 0);
		memset(big, 0, 262144);
		assert_int_equal(par_queue_get(h->q, big, 262144, 0), 262144);
		uint32_t p, seq;
		assert_int_equal(qm_check(big, 262144, &p, &seq), 0);
		assert_int_equal(seq, i);
	}
	assert_int_equal(par_queue_get_stats(h->q, &st), 0);
	assert_int_equal(st.pool_reclaimed, 262144);
	assert_int_equal(st.dead_peers, 1);
	assert_int_equal(st.torn + st.redelivered, 0);
	assert_int_equal(par_queue_close(h->q), 0);
	par_test_unshare(h, sizeof(*h));
	free(big);
}

/* Child: take one message into shared memory (fresh pages: a slow copy). */
static int get_big(void *arg)
{
	struct holder *h = arg;

	/* release: pairs with await_flag's acquire */
	__atomic_store_n(&h->started, 1, __ATOMIC_RELEASE);
	ssize_t n = par_queue_get(h->q, h->buf, h->len, 10 * PAR_TEST_SEC);
	if (n == (ssize_t)h->len)
		__atomic_store_n(&h->done, 1, __ATOMIC_RELEASE);
	par_sleep_ns(10 * PAR_TEST_SEC);
	return 1;
}

/* One try: a consumer killed about delay_us into taking a 32 MiB message.
 * 1 when the kill caught it mid-read (the message is handed on whole), 0
 * when it came too early or too late (then the message is whole where it
 * went). */
static int kill_mid_get(struct holder *h, unsigned char *msg, uint32_t seq, int64_t delay_us)
{
	struct par_queue_stats before, after;
	uint32_t p, s;

	qm_make(msg, 3, seq, h->len);
	assert_int_equal(par_queue_put(h->q, msg, h->len, 0), 0);
	assert_int_equal(par_queue_get_stats(h->q, &before), 0);
	h->started = h->done = 0;
	h->buf = par_test_shared(h->len);
	pid_t pid = par_test_fork(get_big, h);
	await_flag(&h->started);
	par_sleep_ns(delay_us * 1000);
	assert_int_equal(kill(pid, SIGKILL), 0);
	par_test_reap(pid, 10 * PAR_TEST_SEC);
	memset(msg, 0, h->len);
	ssize_t n = par_queue_get(h->q, msg, h->len, 500 * PAR_TEST_MS);
	assert_int_equal(par_queue_get_stats(h->q, &after), 0);
	if (n == -ETIMEDOUT) { /* the child had it: it must be whole there */
		assert_int_equal(qm_check(h->buf, h->len, &p, &s), 0);
		assert_int_equal(s, seq);
		assert_int_equal(after.redelivered, before.redelivered);
	} else {
		assert_int_equal(n, (ssize_t)h->len);
		assert_int_equal(qm_check(msg, h->len, &p, &s), 0);
		assert_int_equal(s, seq);
		assert_int_equal(h->done, 0);
	}
	par_test_unshare(h->buf, h->len);
	return after.redelivered == before.redelivered + 1;
}

static void consumer_killed_mid_get_redelivered(void **state)
{
	struct par_queue_opts o;
	struct holder *h = par_test_shared(sizeof(*h));
	int caught = 0;

	(void)state;
	par_queue_opts_init(&o);
	o.capacity = 4;
	o.max_msg = h->len = (size_t)32 << 20;
	o.pool_size = h->len;
	assert_int_equal(par_queue_create(NULL, &o, &h->q), 0);
	unsigned char *msg = malloc(h->len);
	for (uint32_t i = 0; i < 20 && !caught; i++)
		caught = kill_mid_get(h, msg, i, 1000 + 700 * (int64_t)i);
	assert_true(caught);
	free(msg);
	assert_int_equal(par_queue_close(h->q), 0);
	par_test_unshare(h, sizeof(*h));
}

/* Mostly small messages, a few up to max_msg; a small pool. */
static void chaos_mixed_sizes(void **state)
{
	(void)state;
	chaos(0, 200);
}

/* Large inline and out-of-line messages: long windows inside the slots. */
static void chaos_large_messages(void **state)
{
	(void)state;
	chaos(1, 200);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(producer_killed_holding_chunks),
	cmocka_unit_test(consumer_killed_mid_get_redelivered),
	cmocka_unit_test(chaos_mixed_sizes),
	cmocka_unit_test(chaos_large_messages),
};

PAR_TEST_MAIN(tests)
