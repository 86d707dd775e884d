/* Queue out-of-line space: chains of fixed-size chunks, each with a state word
 * that always says who may free it (see queue_impl.h). */
#include "queue_impl.h"

#include <errno.h>
#include <string.h>

static unsigned char *chunk_data(const struct par_queue *q, uint32_t k)
{
	return q->pool + (size_t)k * q->chunk_size;
}

static uint32_t chunk_next(const struct par_queue *q, uint32_t k)
{
	/* relaxed: written by the chain's owner before it published the chain */
	return __atomic_load_n(&q->chunks[k].next, __ATOMIC_RELAXED);
}

static void copy_in(struct par_queue *q, uint32_t k, const void *msg, size_t len)
{
	const unsigned char *p = msg;

	for (; len > 0; k = chunk_next(q, k)) {
		size_t n = len < q->chunk_size ? len : q->chunk_size;
		memcpy(chunk_data(q, k), p, n);
		p += n;
		len -= n;
	}
}

void par__qpool_copy_out(const struct par_queue *q, uint32_t k, void *buf, size_t len)
{
	unsigned char *p = buf;

	for (; len > 0; k = chunk_next(q, k)) {
		size_t n = len < q->chunk_size ? len : q->chunk_size;
		memcpy(p, chunk_data(q, k), n);
		p += n;
		len -= n;
	}
}

/* Claim chunks for len bytes (each FREE -> OWNED(me) by CAS, from a rotating
 * hint), chain them and copy msg in: 0 and *head, or PAR__Q_NOTYET when too
 * few are free (none kept). */
int par__qpool_take(struct par_queue *q, uint32_t me, const void *msg, size_t len, uint32_t *head)
{
	uint32_t n = q->chunk_count, need = (uint32_t)((len + q->chunk_size - 1) / q->chunk_size);
	uint32_t first = PAR__Q_NO_CHUNK, last = PAR__Q_NO_CHUNK, got = 0;
	/* relaxed: only where to start looking */
	uint32_t k = __atomic_load_n(&q->sh->alloc_hint, __ATOMIC_RELAXED) % n;

	for (uint32_t i = 0; i < n && got < need; i++, k = k + 1 == n ? 0 : k + 1) {
		struct par__qchunk *c = &q->chunks[k];
		uint64_t st = PAR__QC_FREE;

		if (__atomic_load_n(&c->state, __ATOMIC_RELAXED) != PAR__QC_FREE)
			continue;
		/* acquire: pairs with the release that freed it (its reader is done) */
		if (!__atomic_compare_exchange_n(&c->state, &st, PAR__QC_OWNED | me, 0,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&c->next, PAR__Q_NO_CHUNK, __ATOMIC_RELAXED);
		if (last == PAR__Q_NO_CHUNK)
			first = k;
		else
			__atomic_store_n(&q->chunks[last].next, k, __ATOMIC_RELAXED);
		last = k;
		got++;
	}
	if (got < need) {
		if (first != PAR__Q_NO_CHUNK)
			par__qpool_release(q, first);
		return PAR__Q_NOTYET;
	}
	__atomic_store_n(&q->sh->alloc_hint, k, __ATOMIC_RELAXED);
	copy_in(q, first, msg, len);
	*head = first;
	return 0;
}

/* Bind an owned chain to the message of a claimed slot (tag). */
void par__qpool_attach(struct par_queue *q, uint32_t k, uint64_t tag)
{
	for (; k != PAR__Q_NO_CHUNK; k = chunk_next(q, k)) {
		/* release: pairs with the acquire load in par__qpool_collect (the
		 * slot's claim is visible before the tag is) */
		__atomic_store_n(&q->chunks[k].state, PAR__QC_ATTACHED | tag, __ATOMIC_RELEASE);
	}
}

/* Give back an owned chain (a put that did not happen). */
void par__qpool_release(struct par_queue *q, uint32_t k)
{
	while (k != PAR__Q_NO_CHUNK) {
		struct par__qchunk *c = &q->chunks[k];
		k = chunk_next(q, k);
		/* seq_cst: releases it to par__qpool_take's acquiring CAS; the
		 * last orders the frees before the word's load */
		__atomic_store_n(&c->state, PAR__QC_FREE, __ATOMIC_SEQ_CST);
	}
	par__qec_notify(&q->sh->not_full);
}

/* A consumer frees the chain of the message it emptied the slot of. A
 * recoverer may have freed part of it as garbage meanwhile (this consumer
 * looked dead-ish to nobody, but a death elsewhere ran a collection between
 * the emptying and here): stop at the first chunk no longer ours. */
void par__qpool_free_chain(struct par_queue *q, uint32_t k, uint64_t tag)
{
	while (k != PAR__Q_NO_CHUNK) {
		struct par__qchunk *c = &q->chunks[k];
		uint32_t next = chunk_next(q, k);
		uint64_t st = PAR__QC_ATTACHED | tag;

		/* seq_cst: releases it to par__qpool_take's acquiring CAS (our
		 * copy-out is done); ordered before the word's load */
		if (!__atomic_compare_exchange_n(&c->state, &st, PAR__QC_FREE, 0, __ATOMIC_SEQ_CST,
						 __ATOMIC_RELAXED))
			break;
		k = next;
	}
	par__qec_notify(&q->sh->not_full);
}

/* Free every chunk attached to the message tag (a torn one whose chain
 * cannot be trusted). Bytes freed. */
uint64_t par__qpool_free_tagged(struct par_queue *q, uint64_t tag)
{
	uint64_t freed = 0;

	for (uint32_t k = 0; k < q->chunk_count; k++) {
		uint64_t st = PAR__QC_ATTACHED | tag;
		/* seq_cst: as in par__qpool_free_chain */
		if (__atomic_load_n(&q->chunks[k].state, __ATOMIC_RELAXED) == st &&
		    __atomic_compare_exchange_n(&q->chunks[k].state, &st, PAR__QC_FREE, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			freed += q->chunk_size;
	}
	if (freed > 0)
		par__qec_notify(&q->sh->not_full);
	return freed;
}

/* Is the message of tag still to be delivered: its slot holds its lap, and
 * not as TORN (a torn message never is; only a dead producer's claim or a
 * claim given back before anything was attached becomes TORN)? */
static int tag_live(const struct par_queue *q, uint64_t tag)
{
	uint64_t idx = tag & q->mask;
	/* acquire: ordered after the chunk's state load (see the caller) */
	uint64_t ctl = __atomic_load_n(&par__qslot_at(q, idx)->ctl, __ATOMIC_ACQUIRE);

	return PAR__Q_CTL_ST(ctl) != PAR__QS_TORN && par__qtag(q, PAR__Q_CTL_LAP(ctl), idx) == tag;
}

/* Recovery of participant dead: free what it owned and every attached chunk
 * whose message has left its slot or was torn. Bytes freed. */
uint64_t par__qpool_collect(struct par_queue *q, uint32_t dead)
{
	uint64_t freed = 0;

	for (uint32_t k = 0; k < q->chunk_count; k++) {
		struct par__qchunk *c = &q->chunks[k];
		/* acquire: pairs with par__qpool_attach's release store, so the
		 * slot word read next is no older than the claim it was tagged in */
		uint64_t st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

		if (st != (PAR__QC_OWNED | dead) &&
		    (PAR__QC_KIND(st) != PAR__QC_ATTACHED || tag_live(q, PAR__QC_LOW(st))))
			continue;
		/* seq_cst: as in par__qpool_free_chain */
		if (__atomic_compare_exchange_n(&c->state, &st, PAR__QC_FREE, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_RELAXED))
			freed += q->chunk_size;
	}
	if (freed > 0)
		par__qec_notify(&q->sh->not_full);
	return freed;
}
