/* STATUS answer bodies: the server's counters and its queues, encoded by the
 * server and decoded by the client (both bounds-checked). */
#include "frame.h"

#include <errno.h>
#include <string.h>

#define NFIELDS 16
#define QUEUE_FIXED (1 + 4 * 8 + 3 * 4)

static void stats_fields(const struct par_manager_stats *st, uint64_t v[NFIELDS])
{
	const uint64_t f[NFIELDS] = {
		st->accepted,	 st->refused,	    st->active,	      st->auth_ok,
		st->auth_failed, st->auth_timeouts, st->proto_errors, st->requests,
		st->puts,	 st->gets,	    st->timeouts,     st->bytes_in,
		st->bytes_out,	 st->read_pauses,   st->queues,	      st->backend,
	};
	memcpy(v, f, sizeof(f));
}

static void stats_set(struct par_manager_stats *st, const uint64_t v[NFIELDS])
{
	*st = (struct par_manager_stats){
		.accepted = v[0],
		.refused = v[1],
		.active = v[2],
		.auth_ok = v[3],
		.auth_failed = v[4],
		.auth_timeouts = v[5],
		.proto_errors = v[6],
		.requests = v[7],
		.puts = v[8],
		.gets = v[9],
		.timeouts = v[10],
		.bytes_in = v[11],
		.bytes_out = v[12],
		.read_pauses = v[13],
		.queues = (uint32_t)v[14],
		.backend = (uint32_t)v[15],
	};
}

size_t par__status_queue_size(const struct par_manager_queue_info *q)
{
	return QUEUE_FIXED + strnlen(q->name, PAR_MANAGER_NAME_MAX);
}

static uint8_t *queue_encode(uint8_t *p, const struct par_manager_queue_info *q)
{
	size_t nl = strnlen(q->name, PAR_MANAGER_NAME_MAX);

	*p++ = (uint8_t)nl;
	memcpy(p, q->name, nl);
	p += nl;
	par__le64_put(p, q->size);
	par__le64_put(p + 8, q->capacity);
	par__le64_put(p + 16, q->puts);
	par__le64_put(p + 24, q->gets);
	par__le32_put(p + 32, q->waiting_gets);
	par__le32_put(p + 36, q->waiting_puts);
	par__le32_put(p + 40, q->shm);
	return p + 44;
}

ssize_t par__status_encode(uint8_t *out, size_t cap, const struct par_manager_stats *st,
			   const struct par_manager_queue_info *qs, unsigned nq)
{
	size_t need = 2 + 8 * NFIELDS + 4;
	uint64_t v[NFIELDS];
	uint8_t *p = out;

	for (unsigned i = 0; i < nq; i++)
		need += par__status_queue_size(&qs[i]);
	if (need > cap)
		return -ENOSPC;
	stats_fields(st, v);
	par__le16_put(p, NFIELDS);
	p += 2;
	for (int i = 0; i < NFIELDS; i++, p += 8)
		par__le64_put(p, v[i]);
	par__le32_put(p, nq);
	p += 4;
	for (unsigned i = 0; i < nq; i++)
		p = queue_encode(p, &qs[i]);
	return p - out;
}

/* One queue from p[0..*left); 0 or -1. */
static int queue_decode(const uint8_t **pp, size_t *left, struct par_manager_queue_info *q)
{
	const uint8_t *p = *pp;

	if (*left < 1 || *left - 1 < (size_t)p[0] + QUEUE_FIXED - 1)
		return -1;
	size_t nl = p[0];
	if (q != NULL) {
		memset(q, 0, sizeof(*q));
		memcpy(q->name, p + 1, nl);
		p += 1 + nl;
		q->size = par__le64(p);
		q->capacity = par__le64(p + 8);
		q->puts = par__le64(p + 16);
		q->gets = par__le64(p + 24);
		q->waiting_gets = par__le32(p + 32);
		q->waiting_puts = par__le32(p + 36);
		q->shm = par__le32(p + 40);
	}
	*pp += QUEUE_FIXED + nl;
	*left -= QUEUE_FIXED + nl;
	return 0;
}

int par__status_decode(const uint8_t *p, size_t len, struct par_manager_stats *st,
		       struct par_manager_queue_info *qs, unsigned cap)
{
	uint64_t v[NFIELDS] = { 0 };

	if (len < 2)
		return -1;
	size_t nf = par__le16(p);
	p += 2;
	len -= 2;
	if (len / 8 < nf)
		return -1;
	for (size_t i = 0; i < nf && i < NFIELDS; i++)
		v[i] = par__le64(p + 8 * i);
	p += 8 * nf;
	len -= 8 * nf;
	if (len < 4)
		return -1;
	uint32_t nq = par__le32(p);
	p += 4;
	len -= 4;
	for (uint32_t i = 0; i < nq; i++)
		if (queue_decode(&p, &len, i < cap ? &qs[i] : NULL) != 0)
			return -1;
	if (len != 0 || nq > INT32_MAX)
		return -1;
	if (st != NULL)
		stats_set(st, v);
	return (int)nq;
}
