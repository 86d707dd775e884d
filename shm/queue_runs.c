/* Queue runs: a batch's claim of several slots with one CAS (see "Runs" in
 * queue_impl.h). */
#include "queue_impl.h"

#include <errno.h>
#include <string.h>

/* At most this many positions from pos: n, the longest run, the capacity. */
static unsigned run_cap(const struct par_queue *q, unsigned n)
{
	unsigned k = n < PAR__Q_RUN_MAX ? n : PAR__Q_RUN_MAX;

	return k < q->capacity ? k : q->capacity;
}

/* ---- put ------------------------------------------------------------------ */

/* How many of msgs[0..k), from the first, can join a run at pos: inline
 * messages (no longer than max_msg either) whose slots are EMPTY of their
 * lap. */
static unsigned put_ready(const struct par_queue *q, uint64_t pos, const struct par_msg *msgs,
			  unsigned k)
{
	unsigned j;

	for (j = 0; j < k; j++) {
		const struct par_msg *m = &msgs[j];
		uint64_t at = pos + j;
		if (m->len > q->inline_max || m->len > q->max_msg ||
		    (m->data == NULL && m->len > 0))
			break;
		/* acquire: pairs with the emptying store of the slot's last reader
		 * (done with the old payload before we write over it) */
		if (__atomic_load_n(&par__qslot_at(q, at)->ctl, __ATOMIC_ACQUIRE) !=
		    PAR__Q_CTL(at >> q->shift, PAR__QS_EMPTY, 0))
			break;
	}
	return j;
}

/* Fill position pos with m and publish it. */
static void put_publish(struct par_queue *q, uint64_t pos, const struct par_msg *m)
{
	struct par__qslot *s = par__qslot_at(q, pos);

	/* relaxed: as in put_fill */
	__atomic_store_n(&s->len, (uint32_t)m->len, __ATOMIC_RELAXED);
	__atomic_store_n(&s->chunk, PAR__Q_NO_CHUNK, __ATOMIC_RELAXED);
	if (m->len > 0)
		memcpy(par__qdata_at(q, pos), m->data, m->len);
	/* release: pairs with the gets' acquire loads of the slot word */
	__atomic_store_n(&s->ctl, PAR__Q_CTL(pos >> q->shift, PAR__QS_FULL, 0), __ATOMIC_RELEASE);
}

/* Shut down after the claim of run pos..pos+k: give it back, the rest before
 * the first slot (TORN, never delivered). */
static int put_run_closed(struct par_queue *q, uint64_t pos, unsigned k)
{
	/* seq_cst: after the claim's seq_cst CAS, as in put_closed */
	if (PAR__Q_LIKELY(!__atomic_load_n(&q->sh->flags.shutdown, __ATOMIC_SEQ_CST)))
		return 0;
	/* relaxed: a statistic (see par_queue_stats) */
	__atomic_fetch_add(&q->sh->stats.abandoned, k, __ATOMIC_RELAXED);
	for (unsigned j = k; j-- > 0;)
		/* seq_cst: releases the slots to gets; ordered before the wake */
		__atomic_store_n(&par__qslot_at(q, pos + j)->ctl,
				 PAR__Q_CTL((pos + j) >> q->shift, PAR__QS_TORN, 0),
				 __ATOMIC_SEQ_CST);
	par__qec_notify(&q->sh->not_empty);
	return 1;
}

int par__qrun_put(struct par_queue *q, uint32_t me, uint64_t pos, const struct par_msg *msgs,
		  unsigned n)
{
	unsigned k = put_ready(q, pos, msgs, run_cap(q, n));
	struct par__qslot *first = par__qslot_at(q, pos);
	uint64_t empty = PAR__Q_CTL(pos >> q->shift, PAR__QS_EMPTY, 0);

	/* seq_cst: as put_claim's CAS; the others' emptying stores were
	 * acquired by put_ready */
	if (k < 2 ||
	    !__atomic_compare_exchange_n(&first->ctl, &empty,
					 PAR__Q_CTL_RUNS(pos >> q->shift, PAR__QS_WRITING, me, k),
					 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return 0;
	par__qpos_help(&q->sh->enq, pos, k);
	if (PAR__Q_UNLIKELY(put_run_closed(q, pos, k)))
		return -EPIPE;
	for (unsigned j = 1; j < k; j++)
		put_publish(q, pos + j, &msgs[j]);
	put_publish(q, pos, &msgs[0]);
	return (int)k;
}

/* ---- get ------------------------------------------------------------------ */

/* How many messages, from pos, can join a run into msgs[0..k): inline ones,
 * FULL in their lap, that fit their buffers. */
static unsigned get_ready(const struct par_queue *q, uint64_t pos, const struct par_msg *msgs,
			  unsigned k)
{
	unsigned j;

	for (j = 0; j < k; j++) {
		struct par__qslot *s = par__qslot_at(q, pos + j);
		/* acquire: pairs with the publishing store (len, chunk, payload) */
		uint64_t ctl = __atomic_load_n(&s->ctl, __ATOMIC_ACQUIRE);
		if (ctl != PAR__Q_CTL((pos + j) >> q->shift, PAR__QS_FULL, 0))
			break;
		/* relaxed: until the run is claimed another get may take the first
		 * slot and go on here; the claim's CAS then fails */
		uint32_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
		uint32_t chunk = __atomic_load_n(&s->chunk, __ATOMIC_RELAXED);
		if (chunk != PAR__Q_NO_CHUNK || len > msgs[j].cap ||
		    (msgs[j].data == NULL && msgs[j].cap > 0))
			break;
	}
	return j;
}

/* Copy position pos's message out into m and empty its slot. */
static void get_empty(struct par_queue *q, uint64_t pos, struct par_msg *m)
{
	struct par__qslot *s = par__qslot_at(q, pos);

	/* relaxed: ours now (the claim acquired it) */
	m->len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
	if (m->len > 0)
		memcpy(m->data, par__qdata_at(q, pos), m->len);
	/* release: pairs with the producers' acquire loads (our reads are done) */
	__atomic_store_n(&s->ctl, PAR__Q_CTL((pos >> q->shift) + 1, PAR__QS_EMPTY, 0),
			 __ATOMIC_RELEASE);
}

int par__qrun_get(struct par_queue *q, uint32_t me, uint64_t pos, struct par_msg *msgs, unsigned n)
{
	unsigned k = get_ready(q, pos, msgs, run_cap(q, n));
	struct par__qslot *first = par__qslot_at(q, pos);
	uint64_t full = PAR__Q_CTL(pos >> q->shift, PAR__QS_FULL, 0);

	/* acquire: as claim_msg's CAS (the others were acquired by get_ready) */
	if (k < 2 ||
	    !__atomic_compare_exchange_n(&first->ctl, &full,
					 PAR__Q_CTL_RUNS(pos >> q->shift, PAR__QS_READING, me, k),
					 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	par__qpos_help(&q->sh->deq, pos, k);
	for (unsigned j = 1; j < k; j++)
		get_empty(q, pos + j, &msgs[j]);
	get_empty(q, pos, &msgs[0]);
	return (int)k;
}
