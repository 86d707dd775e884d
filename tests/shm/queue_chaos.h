/* Queue chaos: producers and consumers SIGKILLed at random instants, for the
 * fault and stress tests.
 *
 * ---- The chaos invariant --------------------------------------------------
 * Producers of a lane put seqs in order. Before a put (or put_many) of
 * seqs lo..hi a producer writes lo..hi to shared memory ("in flight"); after
 * it returned k, it sets the "acked" bits of lo..lo+k-1. When the parent kills
 * a producer, lo..hi of its lane become "uncertain": such a message may or may
 * not have been published (killed before or after the publish), but never in
 * part. A replacement continues after hi, so no seq is ever put twice.
 *
 * Consumers take messages into buffers in shared memory and then record them
 * (queue_msg.h: a bitmap per lane; a bit found already set is a duplicate; a
 * message whose bytes do not match its header is bad). A consumer killed
 * after a get returned but before it recorded the message loses that record;
 * the message is then whole in its buffer, so right after each consumer kill
 * the parent collects every valid message in the dead consumer's buffers
 * ("held by the dead"). One killed in the middle of a get leaves its buffer
 * partial (or stale) and the queue hands the message on.
 *
 * After every round (kill, replacement, producers done, consumers stopped, the
 * parent drains what is left with blocking gets, which also recover the dead)
 * and at the end, the test asserts:
 *  1. no message was delivered twice and none was corrupt or partial
 *     (dup == 0, bad == 0): a torn put is never delivered, not even in part;
 *  2. every recorded message was acked or uncertain (no phantom);
 *  3. every acked message was recorded, or is held by a killed consumer, and
 *     those excuses are no more than BATCH per consumer kill;
 *  4. short messages (no header, counted only) match the same bounds;
 *  5. nothing hangs: every put and get waits at most 10 s, every child is
 *     reaped within a bound;
 *  6. stats: torn <= BATCH per producer kill (a put_many may hold a run of
 *     slots: see queue_impl.h), redelivered <= BATCH per consumer kill,
 *     dead_peers <= kills and >= the killed children known to have
 *     registered, participants == 1 at the end, acked <= puts <= acked +
 *     BATCH per producer kill, gets == puts (drained) and gets >= recorded;
 *  7. at the end the pool is whole again: pool_size / max_msg puts of max_msg
 *     succeed at once (nothing leaked by the dead). */
#ifndef QUEUE_CHAOS_H
#define QUEUE_CHAOS_H

#include "par_test.h"
#include "queue_msg.h"

#include <par/queue.h>

#define LANES 2
#define CONSUMERS 2
#define BATCH 8
#define QUOTA 3000	  /* most seqs per lane per round */
#define KILLS 3		  /* per round */
#define MAXSEQ (1u << 21) /* per lane, over all rounds */
#define MAX_MSG 65536
#define WORDS (MAXSEQ / 64)
#define OP_WAIT (10 * PAR_TEST_SEC)

struct lane {
	uint32_t next;	 /* the first seq not yet begun */
	uint32_t lo, hi; /* in flight: lo..hi (hi < lo: none) */
};

struct chaos {
	struct par_queue *q;
	int big; /* the size profile: see chaos_len */
	size_t inline_max;
	size_t pool;
	struct lane lanes[LANES];
	uint32_t stop;				/* consumers end at their next empty get */
	uint32_t enough;			/* producers end after their current put */
	uint32_t failed;			/* a child's put or get failed */
	uint32_t registered[LANES + CONSUMERS]; /* role slot did an operation */
	uint64_t acked[LANES][WORDS];
	unsigned char cbuf[CONSUMERS][BATCH][MAX_MSG];
};

struct role {
	struct chaos *c;
	int slot; /* lane, or CONSUMERS..: consumer index + LANES */
	int batch;
	uint32_t target; /* a producer stops before this seq */
};

static void set_bit(uint64_t *bits, uint32_t i)
{
	__atomic_fetch_or(&bits[i / 64], 1ull << (i % 64), __ATOMIC_RELAXED);
}

static int get_bit(const uint64_t *bits, uint32_t i)
{
	return (__atomic_load_n(&bits[i / 64], __ATOMIC_RELAXED) >> (i % 64)) & 1;
}

/* ---- children (no cmocka asserts) ------------------------------------------- */

/* Mixed: queue_msg.h's spread (mostly small). Big: half inline 1-4 KiB (a
 * long copy inside the claimed slot), half out of line up to 64 KiB (a long
 * copy while a consumer holds the slot). Short ones stay in both. */
static size_t chaos_len(const struct chaos *c, uint32_t lane, uint32_t seq)
{
	if (!c->big || qm_is_short(seq))
		return qm_len(lane, seq, c->inline_max, MAX_MSG);
	uint64_t h = qm_mix(((uint64_t)lane << 32) | seq);
	return h % 2 ? 1024 + (h >> 8) % 3073 : 4097 + (h >> 8) % (MAX_MSG - 4096);
}

static int produce_some(struct role *r, unsigned char **bufs, uint32_t s)
{
	struct lane *ln = &r->c->lanes[r->slot];
	struct par_msg m[BATCH];
	unsigned n = r->batch ? BATCH : 1;

	if (n > r->target - s)
		n = r->target - s;
	for (unsigned i = 0; i < n; i++) {
		size_t len = chaos_len(r->c, (uint32_t)r->slot, s + i);
		qm_make(bufs[i], (uint32_t)r->slot, s + i, len);
		m[i] = (struct par_msg){ bufs[i], len, 0 };
	}
	/* hi first: a kill between the two stores leaves a wider range */
	__atomic_store_n(&ln->hi, s + n - 1, __ATOMIC_RELAXED);
	__atomic_store_n(&ln->lo, s, __ATOMIC_RELAXED);
	if (r->batch)
		return par_queue_put_many(r->c->q, m, n, OP_WAIT);
	return par_queue_put(r->c->q, m[0].data, m[0].len, OP_WAIT) == 0 ? 1 : -1;
}

static int chaos_producer(void *arg)
{
	struct role *r = arg;
	struct chaos *c = r->c;
	struct lane *ln = &c->lanes[r->slot];
	unsigned char *bufs[BATCH];
	uint32_t s = ln->next;
	int rc = 0;

	for (int i = 0; i < BATCH; i++)
		bufs[i] = malloc(MAX_MSG);
	while (s < r->target && !__atomic_load_n(&c->enough, __ATOMIC_RELAXED)) {
		int k = produce_some(r, bufs, s);
		if (k <= 0) {
			rc = 1;
			break;
		}
		__atomic_store_n(&c->registered[r->slot], 1, __ATOMIC_RELAXED);
		for (int i = 0; i < k; i++)
			set_bit(c->acked[r->slot], s + (uint32_t)i);
		s += (uint32_t)k;
		__atomic_store_n(&ln->next, s, __ATOMIC_RELAXED);
	}
	if (rc)
		__atomic_store_n(&c->failed, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&c->registered[r->slot], 0, __ATOMIC_RELAXED); /* leaving */
	par_queue_close(c->q);
	return rc;
}

static struct qm_results *results; /* shared, made before the children */

static struct qm_results *results_new(uint64_t max_seq)
{
	struct qm_results *r = par_test_shared(qm_results_size(max_seq));

	r->words = (max_seq + 63) / 64;
	return r;
}

static int consume_some(struct role *r, struct qm_seen *seen)
{
	struct chaos *c = r->c;
	int ci = r->slot - LANES;
	struct par_msg m[BATCH];

	if (!r->batch) {
		ssize_t n = par_queue_get(c->q, c->cbuf[ci][0], MAX_MSG, 10 * PAR_TEST_MS);
		if (n >= 0)
			qm_record(results, seen, c->cbuf[ci][0], (size_t)n, 0);
		return n < 0 ? (int)n : 1;
	}
	for (int i = 0; i < BATCH; i++)
		m[i] = (struct par_msg){ c->cbuf[ci][i], 0, MAX_MSG };
	int n = par_queue_get_many(c->q, m, BATCH, 10 * PAR_TEST_MS);
	for (int i = 0; i < n; i++)
		qm_record(results, seen, m[i].data, m[i].len, 0);
	return n;
}

static int chaos_consumer(void *arg)
{
	struct role *r = arg;
	struct qm_seen seen;
	int rc = 0;

	memset(&seen, 0, sizeof(seen));
	for (;;) {
		int n = consume_some(r, &seen);
		__atomic_store_n(&r->c->registered[r->slot], 1, __ATOMIC_RELAXED);
		if (n == -ETIMEDOUT && __atomic_load_n(&r->c->stop, __ATOMIC_RELAXED))
			break;
		if (n < 0 && n != -ETIMEDOUT) {
			rc = 1;
			__atomic_store_n(&r->c->failed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	__atomic_store_n(&r->c->registered[r->slot], 0, __ATOMIC_RELAXED); /* leaving */
	par_queue_close(r->c->q);
	return rc;
}

/* ---- the parent's bookkeeping --------------------------------------------------- */

struct tally {
	uint64_t uncertain[LANES][WORDS];
	uint64_t held[LANES][WORDS]; /* whole in a killed consumer's buffer */
	unsigned pkills, ckills, registered_kills;
	uint64_t seed;
	struct qm_seen seen; /* the parent's own drains */
};

static uint32_t rnd(struct tally *t)
{
	t->seed = qm_mix(t->seed);
	return (uint32_t)(t->seed >> 16);
}

/* A killed consumer's buffers: the valid messages in them were taken. */
static void collect_held(struct tally *t, struct chaos *c, int ci)
{
	for (int b = 0; b < BATCH; b++) {
		unsigned char *buf = c->cbuf[ci][b];
		struct qm_hdr h;
		uint32_t p, seq;
		memcpy(&h, buf, sizeof(h));
		if (h.len >= QM_HDR && h.len <= MAX_MSG && qm_check(buf, h.len, &p, &seq) == 0 &&
		    p < LANES && seq < MAXSEQ)
			set_bit(t->held[p], seq);
		memset(buf, 0, QM_HDR);
	}
}

static pid_t start_role(struct role *r, int (*fn)(void *))
{
	__atomic_store_n(&r->c->registered[r->slot], 0, __ATOMIC_RELAXED);
	return par_test_fork(fn, r);
}

static void start_producer(struct chaos *c, struct role *r, pid_t *pid)
{
	struct lane *ln = &c->lanes[r->slot];

	if (ln->hi >= ln->lo && ln->hi != UINT32_MAX && ln->next <= ln->hi)
		ln->next = ln->hi + 1; /* skip what was in flight */
	ln->lo = 1;
	ln->hi = 0;
	*pid = ln->next < r->target ? start_role(r, chaos_producer) : -1;
}

/* Let role slot v get going (it has done an operation, or is gone). */
static void await_busy(struct chaos *c, int v, pid_t pid)
{
	int64_t deadline = par_deadline(5 * PAR_TEST_SEC);
	siginfo_t si;

	while (pid > 0 && !__atomic_load_n(&c->registered[v], __ATOMIC_RELAXED) &&
	       par_now_ns() < deadline) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid)
			return; /* it has ended already */
		par_sleep_ns(20000);
	}
}

/* Kill role slot v (pid *pid) and start its replacement. */
static void kill_one(struct tally *t, struct chaos *c, struct role *roles, pid_t *pids, int v)
{
	if (pids[v] < 0)
		return;
	kill(pids[v], SIGKILL);
	int st = par_test_reap(pids[v], 10 * PAR_TEST_SEC);
	pids[v] = -1;
	if (!WIFSIGNALED(st)) {
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0); /* it had finished */
		return;
	}
	t->registered_kills += c->registered[v];
	if (v < LANES) {
		struct lane *ln = &c->lanes[v];
		t->pkills++;
		for (uint32_t s = ln->lo; s <= ln->hi && ln->hi != UINT32_MAX; s++)
			set_bit(t->uncertain[v], s);
		start_producer(c, &roles[v], &pids[v]);
	} else {
		t->ckills++;
		collect_held(t, c, v - LANES);
		pids[v] = start_role(&roles[v], chaos_consumer);
	}
}

/* The parent takes what is left; blocking gets also recover the dead. */
static void drain(struct tally *t, struct chaos *c)
{
	unsigned char *buf = malloc(MAX_MSG);
	ssize_t n;

	while ((n = par_queue_get(c->q, buf, MAX_MSG, 40 * PAR_TEST_MS)) >= 0)
		qm_record(results, &t->seen, buf, (size_t)n, 0);
	assert_int_equal(n, -ETIMEDOUT);
	free(buf);
}

static void one_round(struct tally *t, struct chaos *c, unsigned round)
{
	struct role roles[LANES + CONSUMERS];
	pid_t pids[LANES + CONSUMERS];

	for (int i = 0; i < LANES + CONSUMERS; i++)
		roles[i] = (struct role){ .c = c,
					  .slot = i,
					  .batch = (int)((round + i) % 3 == 0),
					  .target = c->lanes[i % LANES].next + QUOTA };
	for (int i = LANES; i < LANES + CONSUMERS; i++)
		pids[i] = start_role(&roles[i], chaos_consumer);
	for (int i = 0; i < LANES; i++)
		start_producer(c, &roles[i], &pids[i]);
	for (unsigned k = 0; k < KILLS; k++) {
		int v = (round + k) % 2 ? LANES + (int)(rnd(t) % CONSUMERS) : (int)(rnd(t) % LANES);
		await_busy(c, v, pids[v]);
		par_sleep_ns((int64_t)(rnd(t) % 1500) * 1000);
		kill_one(t, c, roles, pids, v);
	}
	__atomic_store_n(&c->enough, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < LANES; i++)
		if (pids[i] > 0)
			par_test_reap_code(pids[i], 30 * PAR_TEST_SEC, 0);
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	for (int i = LANES; i < LANES + CONSUMERS; i++)
		par_test_reap_code(pids[i], 30 * PAR_TEST_SEC, 0);
	__atomic_store_n(&c->stop, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->enough, 0, __ATOMIC_RELAXED);
	drain(t, c);
	assert_int_equal(c->failed, 0);
	assert_int_equal(results->bad, 0);
	assert_int_equal(results->dup, 0);
}

/* Invariants 2-4 over everything begun so far. */
static void check_delivery(struct tally *t, struct chaos *c)
{
	uint64_t excused = 0, acked_shorts = 0, uncertain_shorts = 0, got_shorts = 0;

	for (uint32_t p = 0; p < LANES; p++) {
		for (uint32_t s = 0; s < c->lanes[p].next + BATCH && s < MAXSEQ; s++) {
			int acked = get_bit(c->acked[p], s), unsure = get_bit(t->uncertain[p], s);
			if (qm_is_short(s)) {
				acked_shorts += acked;
				uncertain_shorts += !acked && unsure;
				continue;
			}
			int got = qm_has(results, p, s);
			if (got && !acked && !unsure)
				fail_msg("lane %u seq %u delivered but never put", p, s);
			if (acked && !got && !get_bit(t->held[p], s))
				fail_msg("lane %u seq %u acked but lost", p, s);
			excused += acked && !got;
		}
		got_shorts += results->shorts[p];
	}
	got_shorts += results->shorts[QM_MAXP];
	assert_true(excused <= (uint64_t)t->ckills * BATCH);
	assert_true(got_shorts <= acked_shorts + uncertain_shorts);
	assert_true(got_shorts + (uint64_t)t->ckills * BATCH >= acked_shorts);
}

/* Invariants 6 and 7. */
static void check_stats_and_pool(struct tally *t, struct chaos *c)
{
	struct par_queue_stats st;
	uint64_t acked = 0;

	for (uint32_t p = 0; p < LANES; p++)
		for (uint32_t w = 0; w < WORDS; w++)
			acked += (uint64_t)__builtin_popcountll(c->acked[p][w]);
	assert_int_equal(par_queue_get_stats(c->q, &st), 0);
	assert_true(st.torn <= (uint64_t)t->pkills * BATCH);
	assert_true(st.redelivered <= (uint64_t)t->ckills * BATCH);
	assert_true(st.dead_peers <= t->pkills + t->ckills);
	assert_true(st.dead_peers >= t->registered_kills);
	assert_int_equal(st.participants, 1);
	assert_true(st.puts >= acked);
	assert_true(st.puts <= acked + (uint64_t)t->pkills * BATCH);
	assert_int_equal(st.gets, st.puts); /* drained: every message put was taken */
	assert_true(st.gets >= results->got);
	assert_true(st.pool_reclaimed <=
		    (uint64_t)(t->pkills + t->ckills) * (1 + CONSUMERS) * (MAX_MSG + 4096));
	unsigned char *big = malloc(MAX_MSG);
	memset(big, 0x5a, MAX_MSG);
	for (size_t i = 0; i < c->pool / MAX_MSG; i++)
		assert_int_equal(par_queue_put(c->q, big, MAX_MSG, 0), 0);
	for (size_t i = 0; i < c->pool / MAX_MSG; i++)
		assert_int_equal(par_queue_get(c->q, big, MAX_MSG, 0), MAX_MSG);
	assert_int_equal(par_queue_get(c->q, big, MAX_MSG, 0), -EAGAIN);
	free(big);
	print_message("chaos: %u producer and %u consumer kills; torn %llu, redelivered %llu, "
		      "dead peers %llu, pool reclaimed %llu B\n",
		      t->pkills, t->ckills, (unsigned long long)st.torn,
		      (unsigned long long)st.redelivered, (unsigned long long)st.dead_peers,
		      (unsigned long long)st.pool_reclaimed);
}

/* rounds rounds (PAR_TEST_ROUNDS overrides) of the small-message (big 0) or
 * large-message (big 1) profile, seeded by PAR_TEST_SEED if set. */
static void chaos(int big, unsigned rounds)
{
	struct par_queue_opts o;
	struct chaos *c = par_test_shared(sizeof(*c));
	struct tally *t = calloc(1, sizeof(*t));
	const char *env = getenv("PAR_TEST_SEED");

	if (getenv("PAR_TEST_ROUNDS"))
		rounds = (unsigned)atoi(getenv("PAR_TEST_ROUNDS"));

	t->seed = env ? strtoull(env, NULL, 0) : 0x5eed + (uint64_t)big;
	print_message("chaos: seed %#llx (PAR_TEST_SEED), %u rounds\n", (unsigned long long)t->seed,
		      rounds);
	par_queue_opts_init(&o);
	c->big = big;
	c->inline_max = big ? 4096 : 112;
	c->pool = big ? 4 * MAX_MSG : 2 * MAX_MSG;
	o.capacity = 16;
	o.inline_max = c->inline_max;
	o.max_msg = MAX_MSG;
	o.pool_size = c->pool;
	assert_int_equal(par_queue_create(NULL, &o, &c->q), 0);
	results = results_new(MAXSEQ);
	for (int p = 0; p < LANES; p++)
		c->lanes[p] = (struct lane){ .next = 0, .lo = 1, .hi = 0 };
	for (unsigned r = 0; r < rounds && (r + 1) * QUOTA < MAXSEQ; r++) {
		one_round(t, c, r);
		if (r % 25 == 24 || r + 1 == rounds)
			check_delivery(t, c);
	}
	check_stats_and_pool(t, c);
	assert_int_equal(par_queue_close(c->q), 0);
	par_test_unshare(results, qm_results_size(MAXSEQ));
	par_test_unshare(c, sizeof(*c));
	free(t);
}

#endif /* QUEUE_CHAOS_H */
