/* Queue: options and geometry, create / open / close, participants'
 * registration (and a forked child's), and the queue's state. */
#include "queue_impl.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- fork generations ----------------------------------------------------- */

/* Bumped in every child a fork makes (the one thread there runs the handler),
 * so a handle whose forkgen differs was registered by an ancestor. */
uint32_t par__queue_forkgen;
static pthread_once_t forkgen_once = PTHREAD_ONCE_INIT;

static void forkgen_bump(void)
{
	__atomic_fetch_add(&par__queue_forkgen, 1, __ATOMIC_RELAXED); /* one thread here */
}

static void forkgen_setup(void)
{
	pthread_atfork(NULL, NULL, forkgen_bump);
}

int par__queue_registered_here(const struct par_queue *q)
{
	/* acquire: pairs with the release store of forkgen in par__queue_rejoin */
	return __atomic_load_n(&q->forkgen, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&par__queue_forkgen, __ATOMIC_RELAXED);
}

/* ---- options and geometry -------------------------------------------------- */

void par_queue_opts_init(struct par_queue_opts *o)
{
	if (o == NULL)
		return;
	*o = (struct par_queue_opts){ .size = sizeof(*o),
				      .capacity = 1024,
				      .inline_max = 112,
				      .max_msg = (size_t)1 << 20,
				      .pool_size = 0,
				      .mode = 0600,
				      .numa_node = -1,
				      .huge = PAR_SHM_HUGE_NO,
				      .unlink_on_close = 0 };
}

static size_t align_up(size_t n, size_t a)
{
	return (n + a - 1) & ~(a - 1);
}

/* Chunks: about 256 per largest message, 256 B to 64 KiB. */
static uint32_t chunk_size_for(size_t max_msg)
{
	size_t c = PAR__Q_CHUNK_MIN;

	while (c < PAR__Q_CHUNK_MAX && c * 256 < max_msg)
		c <<= 1;
	return (uint32_t)c;
}

static size_t slots_off(void)
{
	return sizeof(struct par__qshared);
}

static size_t data_off(const struct par__qgeom *g)
{
	return align_up(slots_off() + (size_t)g->capacity * sizeof(struct par__qslot), PAR__Q_LINE);
}

static size_t chunks_off(const struct par__qgeom *g)
{
	return align_up(data_off(g) + (size_t)g->capacity * g->slot_stride, PAR__Q_LINE);
}

static size_t pool_off(const struct par__qgeom *g)
{
	return align_up(chunks_off(g) + (size_t)g->chunk_count * sizeof(struct par__qchunk),
			PAR__Q_LINE);
}

static uint64_t layout_size(const struct par__qgeom *g)
{
	return pool_off(g) + (uint64_t)g->chunk_count * g->chunk_size;
}

static int pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Every field agrees with the rules and with the others (an opened queue's
 * geometry is checked the same way as a new one's). */
static int geom_ok(const struct par__qgeom *g)
{
	if (g->version != PAR__Q_VERSION || g->reserved != 0 || g->parts != PAR__Q_PARTS)
		return 0;
	if (!pow2(g->capacity) || g->capacity > PAR__Q_CAPACITY_MAX)
		return 0;
	if (g->inline_max < 8 || g->inline_max > PAR__Q_INLINE_MAX || g->inline_max % 8 != 0)
		return 0;
	if (g->slot_stride != align_up(g->inline_max, 64))
		return 0;
	if (g->max_msg == 0 || g->max_msg > PAR__Q_MSG_MAX)
		return 0;
	if (g->max_msg <= g->inline_max)
		return g->chunk_count == 0 && g->chunk_size == 0 && g->size == layout_size(g);
	if (g->chunk_size != chunk_size_for(g->max_msg) || g->chunk_count == 0)
		return 0;
	if ((uint64_t)g->chunk_count * g->chunk_size < g->max_msg ||
	    (uint64_t)g->chunk_count * g->chunk_size > PAR__Q_POOL_MAX + g->chunk_size)
		return 0;
	return g->size == layout_size(g);
}

static int geom_make(const struct par_queue_opts *o, struct par__qgeom *g)
{
	size_t max_msg = PAR__OPT(o, max_msg, (size_t)1 << 20);
	size_t pool = PAR__OPT(o, pool_size, 0);
	size_t inl = PAR__OPT(o, inline_max, 112);

	if (PAR__OPTS_BAD(o) || inl > PAR__Q_INLINE_MAX || max_msg > PAR__Q_MSG_MAX)
		return -EINVAL;
	*g = (struct par__qgeom){ .version = PAR__Q_VERSION,
				  .capacity = PAR__OPT(o, capacity, 1024),
				  .inline_max = (uint32_t)inl,
				  .slot_stride = (uint32_t)align_up(inl, 64),
				  .max_msg = max_msg,
				  .parts = PAR__Q_PARTS };
	if (max_msg > inl) {
		if (pool == 0)
			pool = max_msg * 4;
		if (pool < max_msg || pool > PAR__Q_POOL_MAX)
			return -EINVAL;
		g->chunk_size = chunk_size_for(max_msg);
		g->chunk_count = (uint32_t)((pool + g->chunk_size - 1) / g->chunk_size);
	}
	g->size = layout_size(g);
	return geom_ok(g) ? 0 : -EINVAL;
}

/* ---- handles ---------------------------------------------------------------- */

static struct par_queue *handle_new(struct par_shm *shm, const struct par__qgeom *g)
{
	struct par_queue *q = calloc(1, sizeof(*q));
	unsigned char *base = par_shm_data(shm);

	if (q == NULL)
		return NULL;
	q->shm = shm;
	q->sh = (struct par__qshared *)base;
	q->slots = (struct par__qslot *)(base + slots_off());
	q->data = base + data_off(g);
	q->chunks = (struct par__qchunk *)(base + chunks_off(g));
	q->pool = base + pool_off(g);
	q->capacity = g->capacity;
	q->mask = g->capacity - 1;
	q->shift = (unsigned)__builtin_ctz(g->capacity);
	q->ahead = g->capacity / 4 < PAR__Q_AHEAD ? g->capacity / 4 : PAR__Q_AHEAD;
	q->stride = g->slot_stride;
	q->inline_max = g->inline_max;
	q->max_msg = g->max_msg;
	q->chunk_size = g->chunk_size;
	q->chunk_count = g->chunk_count;
	q->watch.efd = -1;
	return q;
}

/* Take a FREE entry: ACTIVE(gen + 1, pid) in one CAS, then the pid namespace
 * and the start time. 0, or -EUSERS when none is free. */
static int part_take(struct par_queue *q, uint64_t start, uint64_t ns)
{
	pid_t pid = getpid();

	for (uint32_t i = 0; i < PAR__Q_PARTS; i++) {
		struct par__qpart *p = &q->sh->parts[i];
		uint64_t st = __atomic_load_n(&p->state, __ATOMIC_RELAXED);

		if (PAR__QP_KIND(st) != PAR__QP_FREE)
			continue;
		uint64_t next = PAR__QP_MAKE(PAR__QP_ACTIVE, PAR__QP_GEN(st) + 1, (uint32_t)pid);
		/* acq_rel: acquires the freeing store (start and pidns were zeroed
		 * before it); releases to checkers, who then read them as 0 or
		 * ours */
		if (!__atomic_compare_exchange_n(&p->state, &st, next, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&p->pidns, ns, __ATOMIC_RELAXED);
		__atomic_store_n(&p->start, start, __ATOMIC_RELAXED);
		q->me = i;
		q->mygen = PAR__QP_GEN(next);
		return 0;
	}
	return -EUSERS;
}

/* Register: a free entry, else one freed from the dead that hold nothing
 * (a newcomer has no entry to recover the others under). */
static int part_register(struct par_queue *q)
{
	uint64_t start = 0, ns = 0;

	if (par__qproc_self(&start, &ns) < 0)
		start = ns = 0;
	q->pidns = ns;
	int r = part_take(q, start, ns);
	if (r == -EUSERS && par__queue_free_idle_dead(q) > 0)
		r = part_take(q, start, ns);
	return r;
}

static void part_unregister(struct par_queue *q)
{
	struct par__qpart *p = &q->sh->parts[q->me];
	uint64_t st = PAR__QP_MAKE(PAR__QP_ACTIVE, q->mygen, (uint32_t)getpid());

	__atomic_store_n(&p->start, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->pidns, 0, __ATOMIC_RELAXED);
	/* release: pairs with the acquire CAS in part_register (start and pidns
	 * are 0 first) */
	__atomic_compare_exchange_n(&p->state, &st, PAR__QP_MAKE(PAR__QP_FREE, q->mygen, 0), 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

/* A forked child's first use of an inherited handle: register the child as a
 * participant of its own. No mutex (one inherited locked would deadlock): the
 * thread that moves joining to g registers, the others wait for forkgen. */
int par__queue_rejoin(struct par_queue *q, uint32_t g)
{
	for (;;) {
		/* acquire: pairs with the release store below */
		if (__atomic_load_n(&q->forkgen, __ATOMIC_ACQUIRE) == g)
			return (int)q->me;
		uint32_t j = __atomic_load_n(&q->joining, __ATOMIC_RELAXED);
		if (j == g) {
			sched_yield(); /* another thread of this child is at it */
			continue;
		}
		if (!__atomic_compare_exchange_n(&q->joining, &j, g, 0, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		par__queue_watch_forget(q);
		int r = part_register(q);
		if (r < 0) {
			__atomic_store_n(&q->joining, j, __ATOMIC_RELAXED);
			return r;
		}
		/* release: pairs with the acquire loads of forkgen (me is set) */
		__atomic_store_n(&q->forkgen, g, __ATOMIC_RELEASE);
		return (int)q->me;
	}
}

static int handle_start(struct par_queue *q)
{
	pthread_once(&forkgen_once, forkgen_setup);
	uint32_t g = __atomic_load_n(&par__queue_forkgen, __ATOMIC_RELAXED);
	int r = part_register(q);

	if (r < 0)
		return r;
	q->joining = g;
	q->forkgen = g;
	return 0;
}

/* ---- create, open, close ------------------------------------------------------ */

int par_queue_create(const char *name, const struct par_queue_opts *opts, struct par_queue **out)
{
	struct par__qgeom g;
	struct par_shm_opts so;
	struct par_shm *shm;
	int r;

	if (out == NULL || (r = geom_make(opts, &g)) < 0)
		return out == NULL ? -EINVAL : r;
	par_shm_opts_init(&so);
	so.mode = PAR__OPT(opts, mode, 0600);
	so.numa_node = PAR__OPT(opts, numa_node, -1);
	so.huge = PAR__OPT(opts, huge, PAR_SHM_HUGE_NO);
	so.unlink_on_close = PAR__OPT(opts, unlink_on_close, 0);
	r = par__shm_create_kind(name, PAR_SHM_KIND_QUEUE, &g, sizeof(g), g.size, &so, &shm);
	if (r < 0)
		return r;
	struct par_queue *q = handle_new(shm, &g);
	if (q == NULL) {
		par_shm_close(shm);
		return -ENOMEM;
	}
	/* the segment is zero-filled: an empty queue once it has its header */
	q->sh->head.geom = g;
	q->sh->head.magic = PAR__Q_MAGIC;
	par__shm_publish(shm); /* release: pairs with the segment open's acquire */
	if ((r = handle_start(q)) < 0) {
		par_shm_close(shm);
		free(q);
		return r;
	}
	*out = q;
	return 0;
}

/* The segment's geometry, the data area's copy and the data size agree. */
static int open_check(struct par_shm *shm, const struct par__qgeom *g)
{
	const struct par__qshared *sh = par_shm_data(shm);

	if (!geom_ok(g) || par_shm_data_size(shm) < g->size)
		return -EPROTO;
	if (sh->head.magic != PAR__Q_MAGIC || memcmp(&sh->head.geom, g, sizeof(*g)) != 0)
		return -EPROTO;
	return 0;
}

static int queue_open(const char *name, int fd, struct par_queue **out)
{
	struct par__qgeom g;
	struct par_shm *shm;
	struct par_queue *q;
	int r;

	if (out == NULL)
		return -EINVAL;
	if ((r = par__shm_open_kind(name, fd, PAR_SHM_KIND_QUEUE, &g, sizeof(g), &shm)) < 0)
		return r;
	if ((r = open_check(shm, &g)) < 0 || (q = handle_new(shm, &g)) == NULL) {
		par_shm_close(shm);
		return r < 0 ? r : -ENOMEM;
	}
	if ((r = handle_start(q)) < 0) {
		par_shm_close(shm);
		free(q);
		return r;
	}
	*out = q;
	return 0;
}

int par_queue_open(const char *name, struct par_queue **out)
{
	if (name == NULL)
		return -EINVAL;
	return queue_open(name, -1, out);
}

int par_queue_open_fd(int fd, struct par_queue **out)
{
	if (fd < 0)
		return -EBADF;
	return queue_open(NULL, fd, out);
}

int par_queue_fd(const struct par_queue *q)
{
	return q == NULL ? -EINVAL : par_shm_fd(q->shm);
}

int par_queue_unlink(const char *name)
{
	return par_shm_unlink(name);
}

int par_queue_close(struct par_queue *q)
{
	if (q == NULL)
		return -EINVAL;
	if (par__queue_registered_here(q)) {
		if (par__queue_watch_stop(q) < 0)
			return 0; /* the watcher is stuck on the handle: keep it */
		part_unregister(q);
	} else {
		par__queue_watch_forget(q); /* a child's copy: no watcher thread here */
	}
	par_shm_close(q->shm);
	free(q);
	return 0;
}

/* ---- state -------------------------------------------------------------------- */

size_t par_queue_size(const struct par_queue *q)
{
	if (q == NULL)
		return 0;
	/* a snapshot. deq first, so enq is not older than it (a claim skipped
	 * before enq was helped on is clamped) */
	uint64_t d = par__qpos_frontier(q, 0);
	uint64_t e = par__qpos_frontier(q, 1);
	uint64_t o = __atomic_load_n(&q->sh->flags.orphans, __ATOMIC_RELAXED);
	uint64_t n = (int64_t)(e - d) > 0 ? e - d : 0;

	n += (uint32_t)o;
	return n > q->capacity ? q->capacity : (size_t)n;
}

int par_queue_empty(const struct par_queue *q)
{
	return par_queue_size(q) == 0;
}

int par_queue_full(const struct par_queue *q)
{
	return q != NULL && par_queue_size(q) >= q->capacity;
}

size_t par_queue_max_msg(const struct par_queue *q)
{
	return q == NULL ? 0 : q->max_msg;
}

uint32_t par_queue_capacity(const struct par_queue *q)
{
	return q == NULL ? 0 : q->capacity;
}

int par_queue_shutdown(struct par_queue *q)
{
	if (q == NULL)
		return -EINVAL;
	/* seq_cst: pairs with the seq_cst load of shutdown after a put's claim
	 * and with a get's seq_cst look at the head before -EPIPE */
	__atomic_exchange_n(&q->sh->flags.shutdown, 1, __ATOMIC_SEQ_CST);
	par__qec_wake(&q->sh->not_empty, 1);
	par__qec_wake(&q->sh->not_full, 1);
	return 0;
}

int par_queue_is_shutdown(const struct par_queue *q)
{
	if (q == NULL)
		return -EINVAL;
	/* acquire: pairs with the exchange in par_queue_shutdown */
	return __atomic_load_n(&q->sh->flags.shutdown, __ATOMIC_ACQUIRE) != 0;
}

/* Is position pos, whose slot word is ctl, passed by the producers (claimed:
 * any word of its lap but EMPTY) or by the consumers (READING or ORPHAN of
 * its lap)? Either way a later lap means it is. How far past: a whole run
 * when its slot holds a run's claim. 0: not past. */
static uint64_t passed(const struct par_queue *q, uint64_t ctl, uint64_t pos, int puts)
{
	int64_t d = par__qlap_diff(q, ctl, pos);
	unsigned st = PAR__Q_CTL_ST(ctl);

	if (d > 0)
		return 1;
	if (d < 0 || (puts ? st == PAR__QS_EMPTY : st != PAR__QS_READING && st != PAR__QS_ORPHAN))
		return 0;
	return par__qrun_at(q, ctl, pos, puts ? PAR__QS_WRITING : PAR__QS_READING);
}

uint64_t par__qpos_frontier(const struct par_queue *q, int puts)
{
	/* relaxed: a snapshot (see "Positions" in queue_impl.h) */
	uint64_t pos = __atomic_load_n(puts ? &q->sh->enq : &q->sh->deq, __ATOMIC_RELAXED);

	for (uint64_t i = 0, n; i < 2 * (uint64_t)q->capacity + 64; i++, pos += n) {
		/* relaxed: as above */
		uint64_t ctl = __atomic_load_n(&par__qslot_at(q, pos)->ctl, __ATOMIC_RELAXED);
		if ((n = passed(q, ctl, pos, puts)) == 0)
			break;
	}
	return pos;
}

/* Slots holding an orphan now. */
static uint64_t orphans_now(const struct par_queue *q)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < q->capacity; i++) {
		/* relaxed: a snapshot */
		uint64_t ctl = __atomic_load_n(&par__qslot_at(q, i)->ctl, __ATOMIC_RELAXED);
		n += PAR__Q_CTL_ST(ctl) == PAR__QS_ORPHAN;
	}
	return n;
}

/* Puts and gets come from the positions, so no operation pays for a shared
 * counter: every position below max(enq, deq) was claimed by a put, which
 * published it unless it became TORN (torn by a death, or abandoned at
 * shutdown); every position below deq was taken by a get, unless it was a
 * TORN one skipped, or its reader died and it waits as an orphan. A put or
 * get killed after its publish counts. */
int par_queue_get_stats(const struct par_queue *q, struct par_queue_stats *st)
{
	if (q == NULL || st == NULL)
		return -EINVAL;
	struct par__qshared *sh = q->sh;

	if (par__queue_registered_here(q))
		par__queue_sweep((struct par_queue *)q); /* report the dead as such */
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i < PAR__Q_PARTS; i++) {
		/* relaxed: a snapshot */
		uint64_t s = __atomic_load_n(&sh->parts[i].state, __ATOMIC_RELAXED);
		st->participants += PAR__QP_KIND(s) == PAR__QP_ACTIVE;
	}
	/* a snapshot; deq first, so enq is no older */
	uint64_t deq = par__qpos_frontier(q, 0);
	uint64_t enq = par__qpos_frontier(q, 1);
	uint64_t skipped = __atomic_load_n(&sh->stats.skipped, __ATOMIC_RELAXED);
	uint64_t abandoned = __atomic_load_n(&sh->stats.abandoned, __ATOMIC_RELAXED);
	st->torn = __atomic_load_n(&sh->stats.torn, __ATOMIC_RELAXED);
	st->redelivered = __atomic_load_n(&sh->stats.redelivered, __ATOMIC_RELAXED);
	st->dead_peers = __atomic_load_n(&sh->stats.dead_peers, __ATOMIC_RELAXED);
	st->pool_reclaimed = __atomic_load_n(&sh->stats.pool_reclaimed, __ATOMIC_RELAXED);
	uint64_t claimed = enq > deq ? enq : deq, lost = st->torn + abandoned;
	uint64_t passed = skipped + orphans_now(q);
	st->puts = claimed > lost ? claimed - lost : 0;
	st->gets = deq > passed ? deq - passed : 0;
	return 0;
}
