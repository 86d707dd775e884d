/* Queue robustness: telling the dead from the living, and cleaning up after
 * the dead (see queue_impl.h, "Participants"). */
#include "queue_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- /proc ------------------------------------------------------------------ */

struct pstat {
	char state;	/* field 3 */
	long threads;	/* field 20 */
	uint64_t start; /* field 22, clock ticks after boot */
};

/* Field n (from 3) of a stat line, given the text after "pid (comm) ". */
static const char *stat_field(const char *p, int n)
{
	for (int f = 3; f < n && p != NULL; f++) {
		p = strchr(p, ' ');
		if (p != NULL)
			p++;
	}
	return p;
}

static int proc_stat(pid_t pid, struct pstat *ps)
{
	char path[48], buf[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	int e = n < 0 ? errno : 0;
	close(fd);
	if (n <= 0)
		return n < 0 ? -e : -ESRCH;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (p == NULL || p[1] != ' ')
		return -EPROTO;
	p += 2;
	const char *t = stat_field(p, 20), *s = stat_field(p, 22);
	if (t == NULL || s == NULL)
		return -EPROTO;
	ps->state = p[0];
	ps->threads = strtol(t, NULL, 10);
	ps->start = strtoull(s, NULL, 10);
	return 0;
}

/* Our own start time and pid namespace: 0, or -errno when /proc is not
 * usable here. */
int par__qproc_self(uint64_t *start, uint64_t *pidns)
{
	struct stat st;
	int r = par__qproc_start(getpid(), start);

	if (r < 0)
		return r;
	if (stat("/proc/self/ns/pid", &st) < 0)
		return -errno;
	*pidns = (uint64_t)st.st_ino;
	return *pidns != 0 && *start != 0 ? 0 : -EPROTO;
}

int par__qproc_start(pid_t pid, uint64_t *start)
{
	struct pstat ps;
	int r = proc_stat(pid, &ps);

	if (r == 0)
		*start = ps.start;
	return r;
}

/* 0 only when pid is surely dead: no /proc entry, a zombie with no thread
 * left (a killed child not yet reaped), or another start time (the pid was
 * reused). start 0: unknown. Anything unclear counts as alive. */
static int proc_alive(pid_t pid, uint64_t start)
{
	struct pstat ps;
	int r = proc_stat(pid, &ps);

	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return 1;
	if (ps.state == 'X' || (ps.state == 'Z' && ps.threads <= 1))
		return 0;
	return start == 0 || ps.start == start;
}

/* ---- participants ------------------------------------------------------------- */

/* Alive unless we can tell it is dead: we judge only with a usable /proc and
 * within our own pid namespace. */
static int part_alive(const struct par_queue *q, const struct par__qpart *p, uint64_t st)
{
	/* relaxed: after the acquire load of st, 0 or the registrant's (see
	 * part_register) */
	uint64_t ns = __atomic_load_n(&p->pidns, __ATOMIC_RELAXED);
	uint64_t start = __atomic_load_n(&p->start, __ATOMIC_RELAXED);

	if (q->pidns == 0 || ns != q->pidns)
		return 1;
	return proc_alive((pid_t)PAR__QP_LOW(st), start);
}

/* Is the recoverer named in RECOVERING word st still at it? */
static int recoverer_alive(const struct par_queue *q, uint64_t st)
{
	uint32_t r = PAR__QP_LOW(st) >> 16, rgen = PAR__QP_LOW(st) & 0xffffu;

	if (r >= PAR__Q_PARTS)
		return 0;
	if (r == q->me && rgen == (q->mygen & 0xffffu))
		return 1; /* another thread of ours */
	const struct par__qpart *p = &q->sh->parts[r];
	/* acquire: as in par__queue_check */
	uint64_t rs = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);

	if (PAR__QP_KIND(rs) != PAR__QP_ACTIVE || (PAR__QP_GEN(rs) & 0xffffu) != rgen)
		return 0; /* it left the table, or is being recovered itself */
	return part_alive(q, p, rs);
}

void par__qorphan_add(struct par_queue *q)
{
	/* relaxed: a hint, counted before the slot becomes an orphan */
	__atomic_fetch_add(&q->sh->flags.orphans, PAR__Q_ORPHAN_ONE, __ATOMIC_RELAXED);
}

void par__qorphan_taken(struct par_queue *q)
{
	uint64_t o = __atomic_load_n(&q->sh->flags.orphans, __ATOMIC_RELAXED);

	/* relaxed: a hint; never below zero (a scan may have cleared it) */
	while ((uint32_t)o != 0 && !__atomic_compare_exchange_n(&q->sh->flags.orphans, &o, o - 1, 0,
								__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

static void stat_add(uint64_t *counter, uint64_t n)
{
	/* relaxed: a statistic */
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* The slot of position pos, left by the dead mid-put (writing) or mid-get:
 * TORN or ORPHAN, if it still holds word expect. */
static void recover_slot(struct par_queue *q, uint64_t pos, uint64_t expect, int writing)
{
	uint64_t next = PAR__Q_CTL(pos >> q->shift, writing ? PAR__QS_TORN : PAR__QS_ORPHAN, 0);

	if (!writing)
		par__qorphan_add(q);
	/* seq_cst: releases the slot to gets (the payload the dead consumer
	 * read is untouched); ordered before the wakes in recover */
	if (__atomic_compare_exchange_n(&par__qslot_at(q, pos)->ctl, &expect, next, 0,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		stat_add(writing ? &q->sh->stats.torn : &q->sh->stats.redelivered, 1);
	else if (!writing)
		par__qorphan_taken(q);
}

/* Slots the dead left mid-operation, and the rest of a run before its first
 * slot: what it had not yet published (still EMPTY) or not yet emptied
 * (still FULL) goes as a lone claim's slot would. */
static void recover_slots(struct par_queue *q, uint32_t dead)
{
	for (uint32_t i = 0; i < q->capacity; i++) {
		/* relaxed: the CAS in recover_slot is what counts */
		uint64_t ctl = __atomic_load_n(&par__qslot_at(q, i)->ctl, __ATOMIC_RELAXED);
		unsigned st = PAR__Q_CTL_ST(ctl);

		if ((st != PAR__QS_WRITING && st != PAR__QS_READING) || PAR__Q_CTL_WHO(ctl) != dead)
			continue;
		int writing = st == PAR__QS_WRITING;
		unsigned left = writing ? PAR__QS_EMPTY : PAR__QS_FULL;
		/* the lap modulo 2^45 is all a slot word keeps; enough here */
		uint64_t pos = (PAR__Q_CTL_LAP(ctl) << q->shift) | i;
		for (uint64_t j = PAR__Q_CTL_RUN(ctl) - 1; j > 0; j--)
			recover_slot(q, pos + j, PAR__Q_CTL((pos + j) >> q->shift, left, 0),
				     writing);
		recover_slot(q, pos, ctl, writing);
	}
}

/* Participant idx (state word st, now RECOVERING by us) is dead: undo what it
 * left half done, then free its entry. Anyone may redo this after us. */
static void recover(struct par_queue *q, uint32_t idx, uint64_t mine)
{
	struct par__qpart *p = &q->sh->parts[idx];

	recover_slots(q, idx);
	uint64_t bytes = par__qpool_collect(q, idx);
	if (bytes > 0)
		stat_add(&q->sh->stats.pool_reclaimed, bytes);
	par__qec_wake(&q->sh->not_empty, 1);
	par__qec_wake(&q->sh->not_full, 1);
	stat_add(&q->sh->stats.dead_peers, 1);
	__atomic_store_n(&p->start, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->pidns, 0, __ATOMIC_RELAXED);
	/* release: pairs with part_register's acquiring CAS (start and pidns are
	 * 0 first) */
	__atomic_compare_exchange_n(&p->state, &mine,
				    PAR__QP_MAKE(PAR__QP_FREE, PAR__QP_GEN(mine), 0), 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

int par__queue_check(struct par_queue *q, uint32_t idx)
{
	struct par__qpart *p = &q->sh->parts[idx];
	/* acquire: pairs with part_register's CAS (start, read next, is 0 or
	 * the registrant's own) */
	uint64_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
	unsigned kind = PAR__QP_KIND(st);

	if (kind == PAR__QP_ACTIVE && (idx == q->me || part_alive(q, p, st)))
		return 0;
	if (kind != PAR__QP_ACTIVE && (kind != PAR__QP_RECOVERING || recoverer_alive(q, st)))
		return 0;
	uint64_t mine = PAR__QP_MAKE(PAR__QP_RECOVERING, PAR__QP_GEN(st),
				     (q->me << 16) | (q->mygen & 0xffffu));
	/* acquire: whatever the dead (or the dead recoverer) did is visible */
	if (!__atomic_compare_exchange_n(&p->state, &st, mine, 0, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return 0;
	recover(q, idx, mine);
	return 1;
}

int par__queue_sweep(struct par_queue *q)
{
	int n = 0;

	for (uint32_t i = 0; i < PAR__Q_PARTS; i++) {
		/* relaxed: a first look; par__queue_check looks again */
		uint64_t st = __atomic_load_n(&q->sh->parts[i].state, __ATOMIC_RELAXED);
		unsigned kind = PAR__QP_KIND(st);

		if ((kind == PAR__QP_ACTIVE && i != q->me) || kind == PAR__QP_RECOVERING)
			n += par__queue_check(q, i);
	}
	return n;
}

/* Does participant idx hold a slot or a chunk? */
static int holds_anything(const struct par_queue *q, uint32_t idx)
{
	for (uint32_t i = 0; i < q->capacity; i++) {
		/* relaxed: idx is dead, nothing it holds changes but by recovery */
		uint64_t ctl = __atomic_load_n(&par__qslot_at(q, i)->ctl, __ATOMIC_RELAXED);
		unsigned st = PAR__Q_CTL_ST(ctl);
		if ((st == PAR__QS_WRITING || st == PAR__QS_READING) && PAR__Q_CTL_WHO(ctl) == idx)
			return 1;
	}
	for (uint32_t k = 0; k < q->chunk_count; k++)
		/* relaxed: as above */
		if (__atomic_load_n(&q->chunks[k].state, __ATOMIC_RELAXED) == (PAR__QC_OWNED | idx))
			return 1;
	return 0;
}

int par__queue_free_idle_dead(struct par_queue *q)
{
	int n = 0;

	for (uint32_t i = 0; i < PAR__Q_PARTS; i++) {
		struct par__qpart *p = &q->sh->parts[i];
		/* acquire: as in par__queue_check */
		uint64_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
		if (PAR__QP_KIND(st) != PAR__QP_ACTIVE || part_alive(q, p, st) ||
		    holds_anything(q, i))
			continue;
		__atomic_store_n(&p->start, 0, __ATOMIC_RELAXED); /* reads as "unknown" */
		__atomic_store_n(&p->pidns, 0, __ATOMIC_RELAXED);
		/* release: as in recover (a CAS from ACTIVE fails if a recoverer
		 * got there first) */
		if (__atomic_compare_exchange_n(&p->state, &st,
						PAR__QP_MAKE(PAR__QP_FREE, PAR__QP_GEN(st), 0), 0,
						__ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			stat_add(&q->sh->stats.dead_peers, 1);
			n++;
		}
	}
	return n;
}

static void mark(uint64_t *seen, uint32_t idx)
{
	seen[idx / 64] |= 1ull << (idx % 64);
}

/* The participants whose death would leave something behind right now: the
 * owners of slots mid-operation and of pool chunks not yet in a slot. Check
 * each once (one /proc read each). How many were dead. */
int par__queue_check_holders(struct par_queue *q)
{
	uint64_t seen[PAR__Q_PARTS / 64] = { 0 };
	int n = 0;

	for (uint32_t i = 0; i < q->capacity; i++) {
		/* relaxed: a first look; par__queue_check looks again */
		uint64_t ctl = __atomic_load_n(&par__qslot_at(q, i)->ctl, __ATOMIC_RELAXED);
		unsigned st = PAR__Q_CTL_ST(ctl);
		if (st == PAR__QS_WRITING || st == PAR__QS_READING)
			mark(seen, PAR__Q_CTL_WHO(ctl));
	}
	for (uint32_t k = 0; k < q->chunk_count; k++) {
		/* relaxed: as above */
		uint64_t cs = __atomic_load_n(&q->chunks[k].state, __ATOMIC_RELAXED);
		if (PAR__QC_KIND(cs) == PAR__QC_OWNED)
			mark(seen, (uint32_t)PAR__QC_LOW(cs) % PAR__Q_PARTS);
	}
	for (uint32_t w = 0; w < PAR__Q_PARTS / 64; w++)
		for (uint64_t b = seen[w]; b != 0; b &= b - 1) {
			uint32_t idx = w * 64 + (uint32_t)__builtin_ctzll(b);
			if (idx != q->me)
				n += par__queue_check(q, idx);
		}
	return n;
}

/* While waiting or failing to put or get: at most every PAR__Q_SWEEP_NS per
 * handle, check the holders (memory reads, and a /proc read per holder); at
 * most every PAR__Q_FULL_SWEEP_NS per queue (whoever comes first), every
 * participant, so the dead that hold nothing leave the table too. */
int par__queue_sweep_maybe(struct par_queue *q)
{
	int64_t now = par_now_ns();
	/* relaxed: a rate limit of this handle's */
	int64_t next = __atomic_load_n(&q->next_sweep, __ATOMIC_RELAXED);

	if (now < next || !__atomic_compare_exchange_n(&q->next_sweep, &next, now + PAR__Q_SWEEP_NS,
						       0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0;
	int n = par__queue_check_holders(q);
	/* relaxed: a rate limit shared by every process */
	int64_t full = __atomic_load_n(&q->sh->stats.next_full_sweep, __ATOMIC_RELAXED);
	if (now >= full && __atomic_compare_exchange_n(&q->sh->stats.next_full_sweep, &full,
						       now + PAR__Q_FULL_SWEEP_NS, 0,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		n += par__queue_sweep(q);
	return n;
}
