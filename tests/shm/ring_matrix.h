/* A producers x consumers run over one ring, with threads or forked
 * processes, each worker on its own handle. Every element is tagged
 * (producer << 48 | seq) and checks itself; consumers check that each
 * producer's seqs arrive in increasing order, count every (producer, seq) in
 * a shared table and add to a checksum: the run passes when every element
 * was seen exactly once and the sums agree. */
#ifndef PAR_RING_MATRIX_H
#define PAR_RING_MATRIX_H

#include "ring_test.h"

#include <pthread.h>
#include <sched.h>

enum {
	SHAPE_SINGLE,	 /* one element at a time */
	SHAPE_MIXED,	 /* single, bulk, burst and waits, at random */
	SHAPE_ZERO_COPY, /* reserve / commit, peek / release */
	SHAPE_WAIT,	 /* the blocking forms only */
};

#define MATRIX_MAX_WORKERS 16
#define MATRIX_BATCH 8

struct matrix {
	unsigned mode;
	unsigned producers;
	unsigned consumers;
	uint64_t per_producer;
	uint32_t cap;
	size_t es;
	int shape;
	int processes;	  /* fork the workers instead of starting threads */
	int64_t limit_ns; /* the whole run must end within this (default 90 s) */
	void *ring_mem;	  /* in: a ring already made there (else one is made) */
	size_t ring_size;
	const char *name; /* workers par_ring_open this name instead of attaching */
};

struct matrix_ctx {
	struct matrix m;
	uint64_t total;
	uint64_t consumed; /* atomic */
	uint64_t sum;	   /* atomic */
	int failed;	   /* atomic: the line of the first failure */
	int64_t deadline;
	uint8_t *seen; /* producers * per_producer counters */
};

struct matrix_arg {
	struct matrix_ctx *ctx;
	unsigned index;
};

#define MATRIX_CHECK(ctx, cond)                                                          \
	do {                                                                             \
		if (!(cond)) {                                                           \
			int zero_ = 0;                                                   \
			__atomic_compare_exchange_n(&(ctx)->failed, &zero_, __LINE__, 0, \
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
			return 1;                                                        \
		}                                                                        \
	} while (0)

static inline int matrix_open(const struct matrix *m, struct par_ring **r)
{
	if (m->name != NULL)
		return par_ring_open(m->name, r);
	return par_ring_attach(m->ring_mem, m->ring_size, r);
}

static inline int matrix_stop(struct matrix_ctx *ctx)
{
	return __atomic_load_n(&ctx->failed, __ATOMIC_RELAXED) != 0 || par_now_ns() > ctx->deadline;
}

static inline uint64_t matrix_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Which operation: 0..4 (see matrix_put), 9 + shape for the fixed shapes. */
static inline int matrix_pick(const struct matrix *m, uint64_t *rnd)
{
	if (m->shape == SHAPE_MIXED)
		return (int)(matrix_rand(rnd) % 5);
	return m->shape == SHAPE_SINGLE ? 0 : 9 + m->shape;
}

static inline char *span_at(const struct par_ring_span *sp, unsigned i, size_t es)
{
	return i < sp->n1 ? (char *)sp->ptr1 + i * es : (char *)sp->ptr2 + (i - sp->n1) * es;
}

/* One attempt to put up to n of the elements in buf; how many went. */
static inline unsigned matrix_put(struct par_ring *r, const struct matrix *m, char *buf, unsigned n,
				  uint64_t *rnd)
{
	struct par_ring_span sp;
	int rc;

	switch (matrix_pick(m, rnd)) {
	case 0:
		return par_ring_enqueue(r, buf) == 0;
	case 1:
		return par_ring_enqueue_bulk(r, buf, n) > 0 ? n : 0;
	case 2:
		return par_ring_enqueue_burst(r, buf, n);
	case 3:
		return par_ring_enqueue_wait(r, buf, PAR_TEST_MS) == 0;
	case 4:
	case 9 + SHAPE_WAIT:
		n = n <= m->cap ? n : m->cap;
		rc = par_ring_enqueue_bulk_wait(r, buf, n, 10 * PAR_TEST_MS);
		return rc > 0 ? (unsigned)rc : 0;
	default: /* zero-copy */
		n = par_ring_reserve(r, n, &sp);
		for (unsigned i = 0; i < n; i++)
			memcpy(span_at(&sp, i, m->es), buf + i * m->es, m->es);
		/* a single producer may commit a part */
		if (n != 0 && (m->mode & PAR_RING_SP_ENQ))
			n = (unsigned)(matrix_rand(rnd) % (n + 1));
		if (par_ring_commit(r, n) != 0 && n != 0)
			return 0;
		return n;
	}
}

static inline int matrix_producer(void *arg)
{
	struct matrix_arg *a = arg;
	struct matrix_ctx *ctx = a->ctx;
	const struct matrix *m = &ctx->m;
	struct par_ring *r;
	char *buf = malloc(MATRIX_BATCH * m->es);
	uint64_t rnd = 0x9e3779b97f4a7c15ull ^ (a->index + 1), seq = 0;

	MATRIX_CHECK(ctx, buf != NULL);
	MATRIX_CHECK(ctx, matrix_open(m, &r) == 0);
	while (seq < m->per_producer && !matrix_stop(ctx)) {
		unsigned n = 1 + (unsigned)(matrix_rand(&rnd) % MATRIX_BATCH);
		if (n > m->per_producer - seq)
			n = (unsigned)(m->per_producer - seq);
		for (unsigned i = 0; i < n; i++)
			elem_fill(buf + i * m->es, m->es, ((uint64_t)a->index << 48) | (seq + i));
		unsigned done = matrix_put(r, m, buf, n, &rnd);
		if (done == 0)
			sched_yield();
		seq += done;
	}
	par_ring_close(r);
	free(buf);
	MATRIX_CHECK(ctx, seq == m->per_producer);
	return 0;
}

/* One attempt to take up to n elements into buf; how many came. */
static inline unsigned matrix_take(struct par_ring *r, const struct matrix *m, char *buf,
				   unsigned n, uint64_t *rnd)
{
	struct par_ring_span sp;
	int rc;

	switch (matrix_pick(m, rnd)) {
	case 0:
		return par_ring_dequeue(r, buf) == 0;
	case 1:
		return par_ring_dequeue_bulk(r, buf, n) > 0 ? n : 0;
	case 2:
		return par_ring_dequeue_burst(r, buf, n);
	case 3:
		return par_ring_dequeue_wait(r, buf, PAR_TEST_MS) == 0;
	case 4:
	case 9 + SHAPE_WAIT:
		rc = par_ring_dequeue_burst_wait(r, buf, n, 10 * PAR_TEST_MS);
		return rc > 0 ? (unsigned)rc : 0;
	default: /* zero-copy */
		n = par_ring_peek(r, n, &sp);
		if (n != 0 && (m->mode & PAR_RING_SC_DEQ))
			n = (unsigned)(matrix_rand(rnd) % (n + 1));
		for (unsigned i = 0; i < n; i++)
			memcpy(buf + i * m->es, span_at(&sp, i, m->es), m->es);
		if (par_ring_release(r, n) != 0 && n != 0)
			return 0;
		return n;
	}
}

/* Check and count one element; 0 or the failing line. */
static inline int matrix_got(struct matrix_ctx *ctx, const char *e, int64_t *last)
{
	const struct matrix *m = &ctx->m;
	int64_t tag = elem_seq(e, m->es);

	MATRIX_CHECK(ctx, tag >= 0);
	uint64_t p = (uint64_t)tag >> 48, seq = (uint64_t)tag & ((1ull << 48) - 1);
	MATRIX_CHECK(ctx, p < m->producers && seq < m->per_producer);
	MATRIX_CHECK(ctx, (int64_t)seq > last[p]); /* FIFO per producer */
	last[p] = (int64_t)seq;
	__atomic_fetch_add(&ctx->seen[p * m->per_producer + seq], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ctx->sum, (uint64_t)tag, __ATOMIC_RELAXED);
	return 0;
}

static inline int matrix_consumer(void *arg)
{
	struct matrix_arg *a = arg;
	struct matrix_ctx *ctx = a->ctx;
	const struct matrix *m = &ctx->m;
	struct par_ring *r;
	char *buf = malloc(MATRIX_BATCH * m->es);
	int64_t last[MATRIX_MAX_WORKERS];
	uint64_t rnd = 0x2545f4914f6cdd1dull ^ (a->index + 1);

	for (int i = 0; i < MATRIX_MAX_WORKERS; i++)
		last[i] = -1;
	MATRIX_CHECK(ctx, buf != NULL);
	MATRIX_CHECK(ctx, matrix_open(m, &r) == 0);
	while (__atomic_load_n(&ctx->consumed, __ATOMIC_RELAXED) < ctx->total &&
	       !matrix_stop(ctx)) {
		unsigned n = matrix_take(r, m, buf,
					 1 + (unsigned)(matrix_rand(&rnd) % MATRIX_BATCH), &rnd);
		for (unsigned i = 0; i < n; i++)
			if (matrix_got(ctx, buf + i * m->es, last) != 0)
				break;
		__atomic_fetch_add(&ctx->consumed, n, __ATOMIC_RELAXED);
		if (n == 0)
			sched_yield();
	}
	par_ring_close(r);
	free(buf);
	return 0;
}

static inline void *matrix_thread(void *arg)
{
	struct matrix_arg *a = arg;

	return a->index >= MATRIX_MAX_WORKERS
		       ? (void *)(intptr_t)matrix_consumer(
				 &(struct matrix_arg){ a->ctx, a->index - MATRIX_MAX_WORKERS })
		       : (void *)(intptr_t)matrix_producer(a);
}

static inline int matrix_process(void *arg)
{
	return matrix_thread(arg) != NULL;
}

/* Run m (threads or processes), then check everything arrived exactly once. */
static inline void ring_matrix_run(const struct matrix *m)
{
	unsigned nw = m->producers + m->consumers;
	struct matrix_ctx *ctx = par_test_shared(sizeof(*ctx));
	size_t seen_size = m->producers * m->per_producer;
	struct par_ring *r = NULL;
	struct matrix_arg args[2 * MATRIX_MAX_WORKERS];
	pthread_t t[2 * MATRIX_MAX_WORKERS];
	pid_t pid[2 * MATRIX_MAX_WORKERS];
	int64_t limit = m->limit_ns ? m->limit_ns : 90 * PAR_TEST_SEC;
	int exits = 0;

	assert_true(m->producers <= MATRIX_MAX_WORKERS && m->consumers <= MATRIX_MAX_WORKERS);
	ctx->m = *m;
	if (ctx->m.ring_mem == NULL && m->name == NULL) {
		ctx->m.ring_size = par_ring_memsize(m->es, m->cap);
		ctx->m.ring_mem = par_test_shared(ctx->m.ring_size);
		assert_int_equal(par_ring_init(ctx->m.ring_mem, m->es, m->cap, m->mode, &r), 0);
	}
	ctx->total = m->producers * m->per_producer;
	ctx->seen = par_test_shared(seen_size);
	ctx->deadline = par_now_ns() + limit;
	for (unsigned i = 0; i < nw; i++) {
		unsigned idx = i < m->producers ? i : MATRIX_MAX_WORKERS + i - m->producers;
		args[i] = (struct matrix_arg){ ctx, idx };
		if (m->processes)
			pid[i] = par_test_fork(matrix_process, &args[i]);
		else
			assert_int_equal(pthread_create(&t[i], NULL, matrix_thread, &args[i]), 0);
	}
	for (unsigned i = 0; i < nw; i++) {
		if (m->processes) {
			int status = par_test_reap(pid[i], limit + 10 * PAR_TEST_SEC);
			exits |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		} else {
			void *ret = (void *)1;
			assert_int_equal(pthread_join(t[i], &ret), 0);
		}
	}
	if (ctx->failed != 0)
		fail_msg("ring matrix: check at ring_matrix.h line %d failed", ctx->failed);
	assert_int_equal(exits, 0);
	if (ctx->consumed != ctx->total)
		fail_msg("ring matrix: %llu of %llu consumed in %lld ms",
			 (unsigned long long)ctx->consumed, (unsigned long long)ctx->total,
			 (long long)(limit / PAR_TEST_MS));
	uint64_t want = 0;
	for (uint64_t p = 0; p < m->producers; p++)
		for (uint64_t s = 0; s < m->per_producer; s++) {
			want += (p << 48) | s;
			if (ctx->seen[p * m->per_producer + s] != 1)
				fail_msg("producer %llu seq %llu seen %u times",
					 (unsigned long long)p, (unsigned long long)s,
					 ctx->seen[p * m->per_producer + s]);
		}
	assert_int_equal(ctx->sum, want);
	if (r != NULL) {
		assert_int_equal(par_ring_count(r), 0);
		assert_int_equal(par_ring_close(r), 0);
		par_test_unshare(ctx->m.ring_mem, ctx->m.ring_size);
	}
	par_test_unshare(ctx->seen, seen_size);
	par_test_unshare(ctx, sizeof(*ctx));
}

#endif /* PAR_RING_MATRIX_H */
