/* Queue put and get: the slot protocol (see queue_impl.h). */
#include "queue_impl.h"

#include <errno.h>
#include <string.h>

#define NO_POS UINT64_MAX

/* A batch claims the position after its last one directly when it is free,
 * without moving enq or deq for each message (the others help them on when
 * they find those slots taken), and moves them once at its end. */
struct qput {
	const void *msg;
	size_t len;
	uint32_t me;
	uint32_t chunks; /* an out-of-line copy already made, or PAR__Q_NO_CHUNK */
	uint32_t ahead;	 /* prefetch the slot this far ahead (q->ahead), or 0 */
	uint64_t next;	 /* a batch's next position, or NO_POS */
};

struct qget {
	void *buf;
	size_t cap;
	uint32_t me;
	int busy;      /* the head slot was being written */
	uint64_t next; /* a batch's next position, or NO_POS */
};

/* Move a position on to `to` unless it is there or past it already. */
static void pos_raise(uint64_t *at, uint64_t to)
{
	/* relaxed: as in par__qpos_help */
	uint64_t cur = __atomic_load_n(at, __ATOMIC_RELAXED);

	while ((int64_t)(to - cur) > 0 &&
	       !__atomic_compare_exchange_n(at, &cur, to, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* ---- put ------------------------------------------------------------------ */

/* A batch's next position, right after its last claim (so every position
 * before it is claimed): claim it if it is free. */
static int put_claim_at(struct par_queue *q, uint32_t me, uint64_t pos)
{
	struct par__qslot *s = par__qslot_at(q, pos);
	uint64_t empty = PAR__Q_CTL(pos >> q->shift, PAR__QS_EMPTY, 0);

	/* seq_cst: as in put_claim */
	return __atomic_load_n(&s->ctl, __ATOMIC_RELAXED) == empty &&
	       __atomic_compare_exchange_n(&s->ctl, &empty,
					   PAR__Q_CTL(pos >> q->shift, PAR__QS_WRITING, me), 0,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

/* Claim the slot of the next put position: 1 and *out (now WRITING(me)), or
 * 0 when it still holds the previous lap (full). */
static int put_claim(struct par_queue *q, uint32_t me, uint64_t *out)
{
	uint64_t *enq = &q->sh->enq;
	uint64_t pos = __atomic_load_n(enq, __ATOMIC_RELAXED);

	for (;;) {
		struct par__qslot *s = par__qslot_at(q, pos);
		uint64_t lap = pos >> q->shift;
		uint64_t ctl = __atomic_load_n(&s->ctl, __ATOMIC_RELAXED);

		if (ctl == PAR__Q_CTL(lap, PAR__QS_EMPTY, 0)) {
			/* seq_cst: acquires the emptying exchange of the slot's last
			 * reader (done with the old payload); ordered before the
			 * shutdown check in put_once */
			if (__atomic_compare_exchange_n(&s->ctl, &ctl,
							PAR__Q_CTL(lap, PAR__QS_WRITING, me), 0,
							__ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
				par__qpos_hint(enq, pos + 1);
				*out = pos;
				return 1;
			}
			continue;
		}
		if (par__qlap_diff(q, ctl, pos) >= 0) { /* pos is taken: move on */
			pos = par__qpos_help(enq, pos, par__qrun_at(q, ctl, pos, PAR__QS_WRITING));
			continue;
		}
		uint64_t now = __atomic_load_n(enq, __ATOMIC_RELAXED);
		if (now == pos)
			return 0;
		pos = now;
	}
}

static void put_fill(struct par_queue *q, struct par__qslot *s, const struct qput *p, uint64_t pos)
{
	/* relaxed: gets read len (and a run's gets chunk) before they claim,
	 * and check the word after */
	__atomic_store_n(&s->len, (uint32_t)p->len, __ATOMIC_RELAXED);
	__atomic_store_n(&s->chunk, p->chunks, __ATOMIC_RELAXED);
	if (p->chunks != PAR__Q_NO_CHUNK)
		par__qpool_attach(q, p->chunks, par__qtag_pos(q, pos));
	else if (p->len > 0)
		memcpy(par__qdata_at(q, pos), p->msg, p->len);
}

/* After the claim of slot s (position pos): shut down meanwhile? Then give
 * the claim back (TORN, never delivered, not counted) and say so. */
static int put_closed(struct par_queue *q, struct par__qslot *s, uint64_t pos)
{
	/* seq_cst: after the claim's seq_cst CAS, against the shutdown exchange
	 * and get_closed's fence: a put that claims after a get saw the queue
	 * shut and drained gives its claim back */
	if (PAR__Q_LIKELY(!__atomic_load_n(&q->sh->flags.shutdown, __ATOMIC_SEQ_CST)))
		return 0;
	/* relaxed: a statistic (see par_queue_stats) */
	__atomic_fetch_add(&q->sh->stats.abandoned, 1, __ATOMIC_RELAXED);
	/* seq_cst: releases the slot to gets; ordered before the wake */
	__atomic_exchange_n(&s->ctl, PAR__Q_CTL(pos >> q->shift, PAR__QS_TORN, 0),
			    __ATOMIC_SEQ_CST);
	par__qec_notify(&q->sh->not_empty);
	return 1;
}

/* Give up a put: what it holds of the pool goes back. Returns r. */
static int put_drop(struct par_queue *q, struct qput *p, int r)
{
	if (p->chunks != PAR__Q_NO_CHUNK)
		par__qpool_release(q, p->chunks);
	p->chunks = PAR__Q_NO_CHUNK;
	return r;
}

/* One put without waiting, counting or waking: 0 published, PAR__Q_NOTYET
 * (full, or the pool is short), -EPIPE. seq_cst publishes with a full
 * barrier (the caller then checks for sleepers); else the caller fences. */
static int put_once(struct par_queue *q, struct qput *p, int seq_cst)
{
	uint64_t pos;
	int r;

	/* relaxed: the early answer; put_closed's seq_cst check is the exact one */
	if (PAR__Q_UNLIKELY(__atomic_load_n(&q->sh->flags.shutdown, __ATOMIC_RELAXED)))
		return put_drop(q, p, -EPIPE);
	if (p->len > q->inline_max && p->chunks == PAR__Q_NO_CHUNK &&
	    (r = par__qpool_take(q, p->me, p->msg, p->len, &p->chunks)) < 0)
		return r;
	if (p->next != NO_POS && put_claim_at(q, p->me, p->next))
		pos = p->next;
	else if (!put_claim(q, p->me, &pos))
		return PAR__Q_NOTYET;
	p->next = pos + 1;
	struct par__qslot *s = par__qslot_at(q, pos);
	if (PAR__Q_UNLIKELY(put_closed(q, s, pos)))
		return put_drop(q, p, -EPIPE);
	if (p->ahead != 0)
		par__prefetch_w(par__qdata_at(q, pos + p->ahead));
	put_fill(q, s, p, pos);
	p->chunks = PAR__Q_NO_CHUNK; /* the message's now */
	uint64_t full = PAR__Q_CTL(pos >> q->shift, PAR__QS_FULL, 0);
	/* release: pairs with the gets' acquire loads of the slot word. The
	 * exchange also orders it before the word's load in par__qec_notify */
	if (seq_cst)
		__atomic_exchange_n(&s->ctl, full, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&s->ctl, full, __ATOMIC_RELEASE);
	return 0;
}

static int put_try(struct par_queue *q, void *arg)
{
	return put_once(q, arg, 1);
}

/* The first try failed: wait (or not) for room. */
static int put_slow(struct par_queue *q, struct qput *p, int64_t timeout_ns)
{
	int r = PAR__Q_NOTYET;

	if (timeout_ns != 0)
		r = par__queue_wait(q, &q->sh->not_full, par_deadline(timeout_ns), put_try, p);
	else if (par__queue_sweep_maybe(q) > 0)
		r = put_once(q, p, 1);
	if (r == PAR__Q_NOTYET)
		r = timeout_ns == 0 ? -EAGAIN : -ETIMEDOUT;
	return r == 0 ? 0 : put_drop(q, p, r);
}

static int put_start(struct par_queue *q, struct qput *p, const void *msg, size_t len)
{
	if (msg == NULL && len > 0)
		return -EINVAL;
	if (len > q->max_msg)
		return -EMSGSIZE;
	int me = par__queue_me(q);
	if (me < 0)
		return me;
	*p = (struct qput){ .msg = msg,
			    .len = len,
			    .me = (uint32_t)me,
			    .chunks = PAR__Q_NO_CHUNK,
			    .next = NO_POS };
	return 0;
}

int par_queue_put(struct par_queue *q, const void *msg, size_t len, int64_t timeout_ns)
{
	struct qput p;
	int r;

	if (q == NULL)
		return -EINVAL;
	if ((r = put_start(q, &p, msg, len)) < 0)
		return r;
	p.ahead = q->ahead;
	r = put_once(q, &p, 1);
	if (PAR__Q_UNLIKELY(r != 0))
		r = r == PAR__Q_NOTYET ? put_slow(q, &p, timeout_ns) : r;
	if (PAR__Q_LIKELY(r == 0))
		par__qec_notify(&q->sh->not_empty);
	return r;
}

int par_queue_put_many(struct par_queue *q, const struct par_msg *msgs, unsigned n,
		       int64_t timeout_ns)
{
	struct qput p;
	unsigned i;
	int r;

	if (q == NULL || (msgs == NULL && n > 0))
		return -EINVAL;
	if (n == 0)
		return 0;
	if ((r = put_start(q, &p, msgs[0].data, msgs[0].len)) < 0)
		return r;
	if ((r = put_once(q, &p, 0)) == PAR__Q_NOTYET)
		r = put_slow(q, &p, timeout_ns);
	if (r < 0)
		return r;
	for (i = 1; i < n;) {
		uint64_t next = p.next;
		if (n - i >= 2 && (r = par__qrun_put(q, p.me, next, msgs + i, n - i)) != 0) {
			if (r < 0)
				break;
			i += (unsigned)r;
			p.next = next + (unsigned)r;
			continue;
		}
		if (put_start(q, &p, msgs[i].data, msgs[i].len) < 0)
			break;
		p.next = next;
		if (put_once(q, &p, 0) < 0)
			break;
		i++;
	}
	put_drop(q, &p, 0);
	if (p.next != NO_POS)
		pos_raise(&q->sh->enq, p.next);
	/* seq_cst: orders the release stores that published the batch before
	 * the word's load in par__qec_notify */
	PAR__Q_FENCE(__ATOMIC_SEQ_CST);
	par__qec_notify(&q->sh->not_empty);
	return (int)i;
}

/* ---- get ------------------------------------------------------------------ */

/* Claim a FULL or ORPHAN slot (word ctl) for reading if its message fits:
 * 1, 0 (it changed: look again), -EMSGSIZE (it stays). */
static int claim_msg(struct par__qslot *s, uint64_t ctl, uint64_t reading, size_t cap)
{
	/* relaxed: checked against the slot word below */
	uint32_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);

	if (PAR__Q_UNLIKELY(len > cap)) {
		/* acquire: the len load completes before the word is read again
		 * (the seqlock reader's fence): same word, same message */
		PAR__Q_FENCE(__ATOMIC_ACQUIRE);
		return __atomic_load_n(&s->ctl, __ATOMIC_RELAXED) == ctl ? -EMSGSIZE : 0;
	}
	/* acquire: pairs with the publishing exchange (payload visible) */
	return __atomic_compare_exchange_n(&s->ctl, &ctl, reading, 0, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* A TORN slot at the head: empty it (and free what its producer attached). */
static void skip_torn(struct par_queue *q, struct par__qslot *s, uint64_t ctl, uint64_t pos)
{
	uint64_t empty = PAR__Q_CTL((pos >> q->shift) + 1, PAR__QS_EMPTY, 0);

	/* seq_cst: releases the slot to producers (pairs with their claiming
	 * CAS); ordered before the word's load in par__qec_notify */
	if (__atomic_compare_exchange_n(&s->ctl, &ctl, empty, 0, __ATOMIC_SEQ_CST,
					__ATOMIC_RELAXED)) {
		/* relaxed: a statistic (see par_queue_stats) */
		__atomic_fetch_add(&q->sh->stats.skipped, 1, __ATOMIC_RELAXED);
		par__qpool_free_tagged(q, par__qtag_pos(q, pos));
		par__qec_notify(&q->sh->not_full);
	}
}

/* The head slot s (word ctl) of position pos holds no message to take: move
 * past it if it is done with (being read, torn, or a lap ahead). The position
 * to look at next; pos itself when there is nothing (g->busy: the head is
 * being written). */
static uint64_t get_past(struct par_queue *q, struct qget *g, struct par__qslot *s, uint64_t ctl,
			 uint64_t pos)
{
	int64_t d = par__qlap_diff(q, ctl, pos);
	unsigned st = PAR__Q_CTL_ST(ctl);

	if (d > 0 || (d == 0 && st == PAR__QS_READING))
		return par__qpos_help(&q->sh->deq, pos, par__qrun_at(q, ctl, pos, PAR__QS_READING));
	if (d == 0 && st == PAR__QS_TORN) {
		skip_torn(q, s, ctl, pos);
		return par__qpos_help(&q->sh->deq, pos, 1);
	}
	/* EMPTY (nothing put yet), WRITING, or the previous lap still read */
	uint64_t now = __atomic_load_n(&q->sh->deq, __ATOMIC_RELAXED);
	if (now == pos)
		g->busy = d == 0 && st == PAR__QS_WRITING;
	return now;
}

/* Claim the message at the head: 1 and *out (READING(me)); 0 when nothing is
 * ready there (g->busy: it is being written); -EMSGSIZE. */
static int get_claim(struct par_queue *q, struct qget *g, uint64_t *out)
{
	uint64_t pos = __atomic_load_n(&q->sh->deq, __ATOMIC_RELAXED);

	for (;;) {
		struct par__qslot *s = par__qslot_at(q, pos);
		/* acquire: pairs with the publishing exchange (len and payload) */
		uint64_t ctl = __atomic_load_n(&s->ctl, __ATOMIC_ACQUIRE);
		unsigned st = PAR__Q_CTL_ST(ctl);

		if (par__qlap_diff(q, ctl, pos) == 0 &&
		    (st == PAR__QS_FULL || st == PAR__QS_ORPHAN)) {
			uint64_t reading = PAR__Q_CTL(pos >> q->shift, PAR__QS_READING, g->me);
			int r = claim_msg(s, ctl, reading, g->cap);
			if (r < 0)
				return r;
			if (r == 0)
				continue;
			par__qpos_hint(&q->sh->deq, pos + 1);
			if (st == PAR__QS_ORPHAN)
				par__qorphan_taken(q);
			*out = pos;
			return 1;
		}
		uint64_t next = get_past(q, g, s, ctl, pos);
		if (next == pos)
			return 0;
		pos = next;
	}
}

/* A batch's next position, right after its last claim: claim its message if
 * it is there and fits: 1, 0 (not there), -EMSGSIZE (it stays). */
static int get_claim_at(struct par_queue *q, struct qget *g, uint64_t pos)
{
	struct par__qslot *s = par__qslot_at(q, pos);
	/* acquire: pairs with the publishing exchange (len and payload) */
	uint64_t ctl = __atomic_load_n(&s->ctl, __ATOMIC_ACQUIRE);
	unsigned st = PAR__Q_CTL_ST(ctl);

	if (par__qlap_diff(q, ctl, pos) != 0 || (st != PAR__QS_FULL && st != PAR__QS_ORPHAN))
		return 0;
	int r = claim_msg(s, ctl, PAR__Q_CTL(pos >> q->shift, PAR__QS_READING, g->me), g->cap);
	if (r > 0 && st == PAR__QS_ORPHAN)
		par__qorphan_taken(q);
	return r;
}

/* Claim an orphan (a message a dead consumer held): 1 and *out, 0 none,
 * -EMSGSIZE. */
static int orphan_claim(struct par_queue *q, struct qget *g, uint64_t *out)
{
	/* relaxed: a hint; a recoverer counts before it makes an orphan */
	uint64_t o = __atomic_load_n(&q->sh->flags.orphans, __ATOMIC_RELAXED);

	for (uint32_t i = 0; i < q->capacity; i++) {
		struct par__qslot *s = par__qslot_at(q, i);
		/* acquire: pairs with the publishing exchange (len and payload) */
		uint64_t ctl = __atomic_load_n(&s->ctl, __ATOMIC_ACQUIRE);
		uint64_t lap = PAR__Q_CTL_LAP(ctl);

		if (PAR__Q_CTL_ST(ctl) != PAR__QS_ORPHAN)
			continue;
		int r = claim_msg(s, ctl, PAR__Q_CTL(lap, PAR__QS_READING, g->me), g->cap);
		if (r < 0)
			return r;
		if (r > 0) {
			par__qorphan_taken(q);
			*out = (lap << q->shift) | i; /* this lap modulo 2^45: all that is used */
			return 1;
		}
	}
	/* none: clear the count unless an orphan was added meanwhile (each
	 * addition moves its high half) */
	__atomic_compare_exchange_n(&q->sh->flags.orphans, &o, o & ~0xffffffffull, 0,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	return 0;
}

/* Copy the claimed message at pos out and empty its slot. Its length. */
static size_t get_take(struct par_queue *q, struct qget *g, uint64_t pos, int seq_cst)
{
	struct par__qslot *s = par__qslot_at(q, pos);
	size_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
	uint32_t chunk = s->chunk;
	uint64_t empty = PAR__Q_CTL((pos >> q->shift) + 1, PAR__QS_EMPTY, 0);

	if (chunk != PAR__Q_NO_CHUNK)
		par__qpool_copy_out(q, chunk, g->buf, len);
	else if (len > 0)
		memcpy(g->buf, par__qdata_at(q, pos), len);
	/* release: pairs with the producers' claiming CAS (our reads are done).
	 * The exchange also orders it before the word's load in
	 * par__qec_notify */
	if (seq_cst)
		__atomic_exchange_n(&s->ctl, empty, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&s->ctl, empty, __ATOMIC_RELEASE);
	if (chunk != PAR__Q_NO_CHUNK)
		par__qpool_free_chain(q, chunk, par__qtag_pos(q, pos));
	return len;
}

/* Shut down and nothing ready at the head: -EPIPE once nothing is left (no
 * put in flight, no orphan, no message held by a dead consumer), else
 * NOTYET, or a message found on the way. */
static int get_closed(struct par_queue *q, struct qget *g)
{
	uint64_t pos;

	if (g->busy || par__queue_check_holders(q) > 0)
		return PAR__Q_NOTYET;
	/* seq_cst: pairs with the shutdown exchange; the fence orders it before
	 * the head's words read below, against put_once's claim + re-check */
	__atomic_load_n(&q->sh->flags.shutdown, __ATOMIC_SEQ_CST);
	PAR__Q_FENCE(__ATOMIC_SEQ_CST);
	int r = get_claim(q, g, &pos);
	if (r != 0)
		return r < 0 ? r : (int)get_take(q, g, pos, 1);
	/* relaxed: counted before any orphan is made */
	if (g->busy || (uint32_t)__atomic_load_n(&q->sh->flags.orphans, __ATOMIC_RELAXED) != 0)
		return PAR__Q_NOTYET;
	return -EPIPE;
}

/* Might an orphan wait (gets take them first)? */
static inline int orphans_maybe(const struct par_queue *q)
{
	/* relaxed: a hint, see orphan_claim */
	return (uint32_t)__atomic_load_n(&q->sh->flags.orphans, __ATOMIC_RELAXED) != 0;
}

/* One get without waiting, counting or waking: the length, PAR__Q_NOTYET,
 * -EMSGSIZE, -EPIPE. */
static int get_once(struct par_queue *q, struct qget *g, int seq_cst)
{
	uint64_t pos = g->next;
	int r;

	if (pos != NO_POS && (r = get_claim_at(q, g, pos)) != 0)
		return r < 0 ? r : (g->next = pos + 1, (int)get_take(q, g, pos, seq_cst));
	if (PAR__Q_UNLIKELY(orphans_maybe(q))) {
		if ((r = orphan_claim(q, g, &pos)) != 0)
			return r < 0 ? r : (int)get_take(q, g, pos, seq_cst);
	}
	r = get_claim(q, g, &pos);
	if (PAR__Q_LIKELY(r > 0)) {
		g->next = pos + 1;
		return (int)get_take(q, g, pos, seq_cst);
	}
	if (r < 0)
		return r;
	/* relaxed: get_closed checks again with seq_cst */
	if (PAR__Q_UNLIKELY(__atomic_load_n(&q->sh->flags.shutdown, __ATOMIC_RELAXED)))
		return get_closed(q, g);
	return PAR__Q_NOTYET;
}

static int get_try(struct par_queue *q, void *arg)
{
	return get_once(q, arg, 1);
}

/* The first try found nothing: wait (or not); then, empty, disarm the
 * eventfd and look once more (see par__queue_disarm). */
static int get_slow(struct par_queue *q, struct qget *g, int64_t timeout_ns)
{
	int r = PAR__Q_NOTYET;

	if (timeout_ns != 0)
		r = par__queue_wait(q, &q->sh->not_empty, par_deadline(timeout_ns), get_try, g);
	else
		par__queue_sweep_maybe(q);
	if (r != PAR__Q_NOTYET)
		return r;
	par__queue_disarm(q);
	r = get_once(q, g, 1);
	if (r == PAR__Q_NOTYET)
		r = timeout_ns == 0 ? -EAGAIN : -ETIMEDOUT;
	return r;
}

static int get_start(struct par_queue *q, struct qget *g, void *buf, size_t cap)
{
	if (buf == NULL && cap > 0)
		return -EINVAL;
	int me = par__queue_me(q);
	if (me < 0)
		return me;
	*g = (struct qget){ .buf = buf, .cap = cap, .me = (uint32_t)me, .next = NO_POS };
	return 0;
}

ssize_t par_queue_get(struct par_queue *q, void *buf, size_t cap, int64_t timeout_ns)
{
	struct qget g;
	int r;

	if (q == NULL)
		return -EINVAL;
	if ((r = get_start(q, &g, buf, cap)) < 0)
		return r;
	r = get_once(q, &g, 1);
	if (PAR__Q_UNLIKELY(r == PAR__Q_NOTYET))
		r = get_slow(q, &g, timeout_ns);
	if (PAR__Q_LIKELY(r >= 0))
		par__qec_notify(&q->sh->not_full);
	return r;
}

int par_queue_get_many(struct par_queue *q, struct par_msg *msgs, unsigned n, int64_t timeout_ns)
{
	struct qget g;
	unsigned i;
	int r;

	if (q == NULL || (msgs == NULL && n > 0))
		return -EINVAL;
	if (n == 0)
		return 0;
	if ((r = get_start(q, &g, msgs[0].data, msgs[0].cap)) < 0)
		return r;
	if ((r = get_once(q, &g, 0)) == PAR__Q_NOTYET)
		r = get_slow(q, &g, timeout_ns);
	if (r < 0)
		return r;
	msgs[0].len = (size_t)r;
	for (i = 1; i < n;) {
		uint64_t next = g.next;
		if (next != NO_POS && n - i >= 2 && !orphans_maybe(q) &&
		    (r = par__qrun_get(q, g.me, next, msgs + i, n - i)) > 0) {
			i += (unsigned)r;
			g.next = next + (unsigned)r;
			continue;
		}
		if (get_start(q, &g, msgs[i].data, msgs[i].cap) < 0)
			break;
		g.next = next;
		if ((r = get_once(q, &g, 0)) < 0)
			break;
		msgs[i++].len = (size_t)r;
	}
	if (g.next != NO_POS)
		pos_raise(&q->sh->deq, g.next);
	/* seq_cst: orders the release stores that emptied the slots before the
	 * word's load in par__qec_notify */
	PAR__Q_FENCE(__ATOMIC_SEQ_CST);
	par__qec_notify(&q->sh->not_full);
	return (int)i;
}
