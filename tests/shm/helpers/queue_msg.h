/* Self-checking queue messages and the shared record of what consumers got,
 * for the queue tests and their exec'd peer.
 *
 * Message seq of producer p has a length that depends on (p, seq) only
 * (qm_len): most are 16 bytes or more and carry a header (producer, seq,
 * length, checksum of those) followed by a pattern seeded by (p, seq), so a
 * consumer tells exactly which message it got and whether any byte is wrong.
 * Every 64th is "short" (0..15 bytes): too small for a header, its bytes
 * follow a pattern of (p, len) (byte 0 is p) and consumers only count them.
 *
 * Consumers record full messages in a bitmap per producer (a set bit found
 * set again is a duplicate), count short ones, and check that the seqs of
 * each producer rise in the order they themselves took them. No cmocka
 * asserts here: the code runs in threads, forked children and the peer. */
#ifndef QUEUE_MSG_H
#define QUEUE_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define QM_HDR 16
#define QM_MAXP 8

struct qm_hdr {
	uint32_t producer;
	uint32_t seq;
	uint32_t len;
	uint32_t sum;
};

static inline uint64_t qm_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline int qm_is_short(uint32_t seq)
{
	return seq % 64 == 63;
}

/* The length of message seq of producer p: short ones 0..15; else mostly
 * inline, a quarter out of line up to 4 KiB, a few up to max_msg / 4, and one
 * in 512 exactly max_msg. */
static inline size_t qm_len(uint32_t p, uint32_t seq, size_t inline_max, size_t max_msg)
{
	uint64_t h = qm_mix(((uint64_t)p << 32) | seq);
	size_t r = (size_t)(h % 1024), v = (size_t)(h >> 20);

	if (qm_is_short(seq))
		return (seq / 64) % 16;
	if (r < 2)
		return max_msg;
	if (r < 48 && max_msg / 4 > 4096)
		return 4097 + v % (max_msg / 4 - 4096);
	if (r < 300 && max_msg > inline_max)
		return inline_max + 1 + v % ((max_msg < 4096 ? max_msg : 4096) - inline_max);
	return QM_HDR + v % (inline_max - QM_HDR + 1);
}

static inline uint32_t qm_sum(uint32_t p, uint32_t seq, uint32_t len)
{
	return (uint32_t)qm_mix(((uint64_t)p << 40) ^ ((uint64_t)seq << 8) ^ len ^ 0x5a5a);
}

/* The pattern of seed from byte `from` to `len`: 8 bytes at a time (word w
 * of the message is a function of seed and w), cheap next to the queue. */
static inline uint64_t qm_word(uint64_t seed, size_t w)
{
	return (seed ^ (w * 0x9e3779b97f4a7c15ull)) + (w << 17);
}

static inline void qm_fill(unsigned char *buf, size_t from, size_t len, uint64_t seed)
{
	for (size_t k = from; k < len; k += 8) {
		uint64_t v = qm_word(seed, k / 8);
		memcpy(buf + k, &v, len - k < 8 ? len - k : 8);
	}
}

static inline int qm_same(const unsigned char *buf, size_t from, size_t len, uint64_t seed)
{
	for (size_t k = from; k < len; k += 8) {
		uint64_t v = qm_word(seed, k / 8);
		if (memcmp(buf + k, &v, len - k < 8 ? len - k : 8) != 0)
			return 0;
	}
	return 1;
}

static inline void qm_make(unsigned char *buf, uint32_t p, uint32_t seq, size_t len)
{
	if (len < QM_HDR) {
		if (len > 0)
			buf[0] = (unsigned char)p;
		qm_fill(buf, len > 0, len, qm_mix(0x1000 + p * 16 + len));
		return;
	}
	struct qm_hdr h = { p, seq, (uint32_t)len, qm_sum(p, seq, (uint32_t)len) };
	memcpy(buf, &h, sizeof(h));
	qm_fill(buf, QM_HDR, len, qm_mix(((uint64_t)p << 32) | seq));
}

/* 0 and *p, *seq (UINT32_MAX for a short message; *p is QM_MAXP for an empty
 * one), or -1 when the message is not one qm_make made. */
static inline int qm_check(const unsigned char *buf, size_t len, uint32_t *p, uint32_t *seq)
{
	if (len < QM_HDR) {
		*seq = UINT32_MAX;
		*p = len == 0 ? QM_MAXP : buf[0];
		if (*p > QM_MAXP)
			return -1;
		return qm_same(buf, len > 0, len, qm_mix(0x1000 + *p * 16 + len)) ? 0 : -1;
	}
	struct qm_hdr h;
	memcpy(&h, buf, sizeof(h));
	if (h.producer >= QM_MAXP || h.len != len || h.sum != qm_sum(h.producer, h.seq, h.len))
		return -1;
	*p = h.producer;
	*seq = h.seq;
	return qm_same(buf, QM_HDR, len, qm_mix(((uint64_t)h.producer << 32) | h.seq)) ? 0 : -1;
}

/* ---- what consumers got (shared memory, atomics only) ---------------------- */

struct qm_results {
	uint64_t bad;		      /* corrupt or foreign messages */
	uint64_t dup;		      /* a message delivered twice */
	uint64_t order;		      /* a consumer saw a producer's seqs go backwards */
	uint64_t got;		      /* messages recorded, all kinds */
	uint64_t shorts[QM_MAXP + 1]; /* short ones per producer; [QM_MAXP]: empty */
	uint64_t words;		      /* bitmap words per producer */
	uint64_t bits[];	      /* QM_MAXP * words */
};

static inline size_t qm_results_size(uint64_t max_seq)
{
	return sizeof(struct qm_results) + QM_MAXP * ((max_seq + 63) / 64) * 8;
}

/* What one consumer saw last of each producer: seq + 1, 0 for nothing. */
struct qm_seen {
	uint64_t last[QM_MAXP];
};

/* Record one delivered message. strict_order: a redelivered message (after a
 * death) may come late, so fault tests pass 0. Returns 0, or -1 when it was
 * bad, a duplicate or out of order. */
static inline int qm_record(struct qm_results *r, struct qm_seen *s, const unsigned char *buf,
			    size_t len, int strict_order)
{
	uint32_t p, seq;

	if (qm_check(buf, len, &p, &seq) < 0 || (seq != UINT32_MAX && seq / 64 >= r->words)) {
		__atomic_fetch_add(&r->bad, 1, __ATOMIC_RELAXED);
		return -1;
	}
	__atomic_fetch_add(&r->got, 1, __ATOMIC_RELAXED);
	if (seq == UINT32_MAX) {
		__atomic_fetch_add(&r->shorts[p], 1, __ATOMIC_RELAXED);
		return 0;
	}
	uint64_t bit = 1ull << (seq % 64);
	if (__atomic_fetch_or(&r->bits[p * r->words + seq / 64], bit, __ATOMIC_RELAXED) & bit) {
		__atomic_fetch_add(&r->dup, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (strict_order && s->last[p] > seq) {
		__atomic_fetch_add(&r->order, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (s->last[p] < (uint64_t)seq + 1)
		s->last[p] = (uint64_t)seq + 1;
	return 0;
}

static inline int qm_has(const struct qm_results *r, uint32_t p, uint32_t seq)
{
	uint64_t w = __atomic_load_n(&r->bits[p * r->words + seq / 64], __ATOMIC_RELAXED);
	return (w >> (seq % 64)) & 1;
}

/* Short messages among seqs 0..n-1 of a producer: *nonempty carry its id,
 * *empty (0 bytes) do not. */
static inline void qm_shorts(uint32_t n, uint64_t *nonempty, uint64_t *empty)
{
	*nonempty = *empty = 0;
	for (uint32_t seq = 63; seq < n; seq += 64) {
		if ((seq / 64) % 16 == 0)
			(*empty)++;
		else
			(*nonempty)++;
	}
}

#endif /* QUEUE_MSG_H */
