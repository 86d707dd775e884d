/* Exactly-once harness for the queue tests: producer and consumer bodies that
 * run in threads or forked children (no cmocka asserts in them), and the
 * parent's check of the shared record (queue_msg.h). */
#ifndef QUEUE_HARNESS_H
#define QUEUE_HARNESS_H

#include "par_test.h"
#include "queue_msg.h"

#include <par/queue.h>

#define QH_WAIT (30 * PAR_TEST_SEC) /* no single put or get waits longer */
#define QH_BATCH 8

/* Shared by every producer and consumer of one run (MAP_SHARED for
 * processes). */
struct qh_run {
	struct par_queue *q;
	struct qm_results *res;
	uint32_t per_producer; /* messages each producer puts */
	uint32_t errors;       /* puts or gets that failed */
	size_t inline_max;
};

struct qh_role {
	struct qh_run *run;
	uint32_t id;	/* producer id, or consumer number */
	int batch;	/* use put_many / get_many */
	uint32_t first; /* a producer's first seq */
	uint32_t count; /* how many it puts */
};

static inline void qh_fail(struct qh_run *run)
{
	__atomic_fetch_add(&run->errors, 1, __ATOMIC_RELAXED);
}

static inline int qh_put_batch(struct qh_role *r, unsigned char **bufs, uint32_t seq, uint32_t end)
{
	struct par_msg m[QH_BATCH];
	size_t max = par_queue_max_msg(r->run->q);
	unsigned n = 0;

	for (; n < QH_BATCH && seq + n < end; n++) {
		size_t len = qm_len(r->id, seq + n, r->run->inline_max, max);
		qm_make(bufs[n], r->id, seq + n, len);
		m[n] = (struct par_msg){ bufs[n], len, 0 };
	}
	return par_queue_put_many(r->run->q, m, n, QH_WAIT);
}

/* Put messages first..first+count-1 of producer id. 0, or 1 on failure. */
static inline int qh_produce(void *arg)
{
	struct qh_role *r = arg;
	size_t max = par_queue_max_msg(r->run->q);
	unsigned char *bufs[QH_BATCH];
	int rc = 0;

	for (int i = 0; i < QH_BATCH; i++)
		bufs[i] = malloc(max);
	for (uint32_t seq = r->first, end = r->first + r->count; seq < end && rc == 0;) {
		int n = 1;
		if (r->batch) {
			n = qh_put_batch(r, bufs, seq, end);
		} else {
			size_t len = qm_len(r->id, seq, r->run->inline_max, max);
			qm_make(bufs[0], r->id, seq, len);
			n = par_queue_put(r->run->q, bufs[0], len, QH_WAIT) == 0 ? 1 : -1;
		}
		if (n <= 0)
			rc = 1;
		else
			seq += (uint32_t)n;
	}
	for (int i = 0; i < QH_BATCH; i++)
		free(bufs[i]);
	if (rc)
		qh_fail(r->run);
	return rc;
}

static inline int qh_get_batch(struct qh_role *r, unsigned char **bufs, struct qm_seen *seen)
{
	struct par_msg m[QH_BATCH];
	size_t max = par_queue_max_msg(r->run->q);

	for (int i = 0; i < QH_BATCH; i++)
		m[i] = (struct par_msg){ bufs[i], 0, max };
	int n = par_queue_get_many(r->run->q, m, QH_BATCH, QH_WAIT);
	for (int i = 0; i < n; i++)
		qm_record(r->run->res, seen, bufs[i], m[i].len, 1);
	return n;
}

/* Take messages until the queue is shut down and drained. 0, or 1 when a get
 * failed otherwise (bad messages are counted in the record). */
static inline int qh_consume(void *arg)
{
	struct qh_role *r = arg;
	size_t max = par_queue_max_msg(r->run->q);
	struct qm_seen seen;
	unsigned char *bufs[QH_BATCH];
	int rc = 0;

	memset(&seen, 0, sizeof(seen));
	for (int i = 0; i < QH_BATCH; i++)
		bufs[i] = malloc(max);
	for (;;) {
		ssize_t n;
		if (r->batch) {
			n = qh_get_batch(r, bufs, &seen);
		} else {
			n = par_queue_get(r->run->q, bufs[0], max, QH_WAIT);
			if (n >= 0)
				qm_record(r->run->res, &seen, bufs[0], (size_t)n, 1);
		}
		if (n == -EPIPE)
			break;
		if (n < 0) {
			rc = 1;
			break;
		}
	}
	for (int i = 0; i < QH_BATCH; i++)
		free(bufs[i]);
	if (rc)
		qh_fail(r->run);
	return rc;
}

/* A record for producers of up to max_seq messages, in shared memory. */
static inline struct qm_results *qh_results(uint64_t max_seq)
{
	size_t size = qm_results_size(max_seq);
	struct qm_results *res = par_test_shared(size);

	res->words = (max_seq + 63) / 64;
	return res;
}

static inline void qh_results_free(struct qm_results *res)
{
	par_test_unshare(res, qm_results_size(res->words * 64));
}

/* Every message of producers 0..np-1 (n each) delivered exactly once, whole,
 * in each producer's order. */
static inline void qh_check(struct qh_run *run, uint32_t np, uint32_t n)
{
	struct qm_results *res = run->res;
	uint64_t nonempty, empty, missing = 0;

	assert_int_equal(run->errors, 0);
	assert_int_equal(res->bad, 0);
	assert_int_equal(res->dup, 0);
	assert_int_equal(res->order, 0);
	qm_shorts(n, &nonempty, &empty);
	for (uint32_t p = 0; p < np; p++) {
		for (uint32_t seq = 0; seq < n; seq++)
			missing += !qm_is_short(seq) && !qm_has(res, p, seq);
		assert_int_equal(res->shorts[p], nonempty);
	}
	assert_int_equal(missing, 0);
	assert_int_equal(res->shorts[QM_MAXP], np * empty);
	assert_int_equal(res->got, (uint64_t)np * n);
}

#endif /* QUEUE_HARNESS_H */
