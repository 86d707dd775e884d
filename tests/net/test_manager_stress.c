/* A million messages through one manager: producers put batches pipelined,
 * consumers take batches, every message carries a checksum, and each must
 * arrive exactly once. Also many connections coming and going. Each case
 * runs on both backends. $PAR_NET_STRESS_N changes the count. */
#include "net_test.h"

#include <stdatomic.h>

#define PRODUCERS 4
#define CONSUMERS 4
#define BATCH 64

struct rec {
	uint32_t producer;
	uint32_t seq;
	uint64_t sum;
};

static uint64_t checksum(uint32_t p, uint32_t s)
{
	uint64_t x = ((uint64_t)p << 32 | s) * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

struct run {
	struct nt_server *s;
	uint32_t per_producer;
	uint64_t total;
	_Atomic uint64_t got;
	_Atomic uint64_t *seen; /* one bit per message */
	_Atomic int bad;
};

struct role {
	struct run *run;
	uint32_t idx;
};

static void *producer(void *arg)
{
	struct role *r = arg;
	struct par_client *c = nt_connect(r->run->s);
	struct par_rqueue *q = nt_open(c, "tasks");
	struct rec recs[BATCH];
	struct par_msg m[BATCH];

	for (uint32_t seq = 0; seq < r->run->per_producer;) {
		unsigned n = 0;
		for (; n < BATCH && seq + n < r->run->per_producer; n++) {
			recs[n] = (struct rec){ r->idx, seq + n, checksum(r->idx, seq + n) };
			m[n] = (struct par_msg){ .data = &recs[n], .len = sizeof(recs[n]) };
		}
		int k = par_rqueue_put_many_async(q, m, n, PAR_FOREVER);
		if (k != (int)n) {
			fprintf(stderr, "producer %u: put_many_async: %d\n", r->idx, k);
			atomic_store(&r->run->bad, 1);
			break;
		}
		seq += n;
	}
	int f = par_client_flush(c, 60 * PAR_TEST_SEC);
	if (f != 0) {
		fprintf(stderr, "producer %u: flush: %d, %llu failed\n", r->idx, f,
			(unsigned long long)par_client_async_failed(c));
		atomic_store(&r->run->bad, 1);
	}
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static int take(struct run *run, const struct rec *x, size_t len)
{
	if (len != sizeof(*x) || x->producer >= PRODUCERS || x->seq >= run->per_producer ||
	    x->sum != checksum(x->producer, x->seq))
		return 0;
	uint64_t i = (uint64_t)x->producer * run->per_producer + x->seq;
	uint64_t bit = 1ull << (i % 64);
	/* Exactly once: the bit must not be set yet. */
	return !(atomic_fetch_or(&run->seen[i / 64], bit) & bit);
}

static void *consumer(void *arg)
{
	struct role *r = arg;
	struct run *run = r->run;
	struct par_client *c = nt_connect(run->s);
	struct par_rqueue *q = nt_open(c, "tasks");
	struct rec recs[256];
	struct par_msg m[256];
	int64_t end = par_deadline(120 * PAR_TEST_SEC);

	for (int i = 0; i < 256; i++)
		m[i] = (struct par_msg){ .data = &recs[i], .cap = sizeof(recs[i]) };
	while (atomic_load(&run->got) < run->total && par_now_ns() < end && !run->bad) {
		int n = par_rqueue_get_many(q, m, 256, 50 * PAR_TEST_MS);
		if (n == -ETIMEDOUT)
			continue;
		if (n < 0) {
			atomic_store(&run->bad, 2);
			break;
		}
		for (int i = 0; i < n; i++)
			if (!take(run, &recs[i], m[i].len))
				atomic_store(&run->bad, 3);
		atomic_fetch_add(&run->got, (uint64_t)n);
	}
	par_rqueue_close(q);
	par_client_close(c);
	return NULL;
}

static void million_messages_exactly_once(void **state)
{
	(void)state;
	const char *env = getenv("PAR_NET_STRESS_N");
	struct run run = { .total = env ? strtoull(env, NULL, 10) : 1000000 };
	struct role roles[PRODUCERS + CONSUMERS];
	pthread_t t[PRODUCERS + CONSUMERS];

	run.per_producer = (uint32_t)(run.total / PRODUCERS);
	run.total = (uint64_t)run.per_producer * PRODUCERS;
	run.seen = calloc(run.total / 64 + 1, sizeof(*run.seen));
	run.s = nt_start(65536, NULL);
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++) {
		roles[i] = (struct role){ &run, (uint32_t)(i % PRODUCERS) };
		assert_int_equal(
			pthread_create(&t[i], NULL, i < PRODUCERS ? producer : consumer, &roles[i]),
			0);
	}
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(run.bad, 0);
	assert_int_equal(atomic_load(&run.got), run.total);
	for (uint64_t i = 0; i < run.total; i++)
		assert_true(atomic_load(&run.seen[i / 64]) & (1ull << (i % 64)));
	struct par_manager_stats st = nt_stats(run.s);
	assert_int_equal(st.puts, run.total);
	assert_int_equal(st.gets, run.total);
	nt_stop(run.s);
	free(run.seen);
}

#define CHURNERS 16
#define ROUNDS 25

static void *churn(void *arg)
{
	struct nt_server *s = arg;
	uint32_t v, got;
	intptr_t bad = 0;

	for (int i = 0; i < ROUNDS; i++) {
		struct par_client *c = nt_connect(s);
		struct par_rqueue *q = nt_open(c, "results");
		v = (uint32_t)i;
		bad |= par_rqueue_put(q, &v, 4, PAR_TEST_SEC) != 0;
		bad |= par_rqueue_get(q, &got, 4, 5 * PAR_TEST_SEC) != 4;
		par_rqueue_close(q);
		par_client_close(c);
	}
	return (void *)bad;
}

static int all_closed(struct nt_server *s)
{
	return nt_stats(s).active == 0;
}

static void connections_come_and_go(void **state)
{
	(void)state;
	struct nt_server *s = nt_start(1024, NULL);
	pthread_t t[CHURNERS];
	void *bad;

	for (int i = 0; i < CHURNERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn, s), 0);
	for (int i = 0; i < CHURNERS; i++) {
		pthread_join(t[i], &bad);
		assert_null(bad);
	}
	assert_true(nt_until(s, all_closed, 5 * PAR_TEST_SEC));
	struct par_manager_stats st = nt_stats(s);
	assert_int_equal(st.accepted, CHURNERS * ROUNDS);
	assert_int_equal(st.auth_ok, CHURNERS * ROUNDS);
	assert_int_equal(st.puts, CHURNERS * ROUNDS);
	assert_int_equal(st.gets, CHURNERS * ROUNDS);
	nt_stop(s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(million_messages_exactly_once),
	cmocka_unit_test(connections_come_and_go),
};

PAR_TEST_MAIN(tests)
