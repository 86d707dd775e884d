/* The thread engine: one task queue per NUMA node; workers resolve futures
 * themselves. */
#include "pool_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct tworker {
	struct par_pool *p;
	unsigned index;
	struct par_thread *t;
};

struct par__pool_engine {
	struct par_queue **q; /* [nnodes] */
	struct tworker *w;    /* [nworkers] */
	unsigned started;
	uint32_t rr; /* round-robin over node queues for submit */
	/* 1 + the node of the worker polling, 0: none (atomic); on a line of
	 * its own, away from rr, which every submit writes */
	_Alignas(64) uint32_t spinning;
	/* sleeping workers' eventcount: bit 0 "someone sleeps", then a
	 * sequence each wake moves on (the futex word) */
	_Alignas(64) uint32_t ec;
	uint32_t handoffs; /* moved on by a poller that left tasks behind */
	int can_hand_off;  /* the process may use 3 CPUs or more (see poll_take) */
};

/* Idle workers. At most one waits on the queues (the poller: the queue's
 * own short spin, then its futex); the others sleep on the engine's
 * eventcount. A submit wakes the sleepers only when the poller is not
 * waiting on the queue it put into: then a flood of short tasks is taken by
 * one poller while the submitter keeps its CPU (with as many workers as
 * CPUs, more spinning workers steal it: 2.5x slower on 2 CPUs), and long
 * tasks still wake every worker, since a worker running a task is no
 * poller. */
#define EC_WAITERS 1u

/* A task from node's queue, else another node's: its length; -EAGAIN when
 * none; -EPIPE once every queue is shut down and drained. */
static ssize_t take(struct par_pool *p, unsigned node, void *buf)
{
	struct par__pool_engine *e = p->eng;
	int shut = 1;

	for (unsigned k = 0; k < p->nnodes; k++) {
		ssize_t n = par_queue_get(e->q[(node + k) % p->nnodes], buf, p->msg_max, 0);
		if (n != -EAGAIN && n != -EPIPE)
			return n;
		shut &= n == -EPIPE;
	}
	return shut ? -EPIPE : -EAGAIN;
}

static void wake_idle(struct par__pool_engine *e, int always);

/* Tasks waiting in the queues. */
static size_t pending(const struct par_pool *p)
{
	size_t n = 0;

	for (unsigned k = 0; k < p->nnodes; k++)
		n += par_queue_size(p->eng->q[k]);
	return n;
}

/* Wait on the queues as the one poller, if no other worker is: the queue's
 * own wait (a short spin, then its futex) on node's queue, a look at the
 * others between slices. */
static ssize_t poll_take(struct par_pool *p, unsigned node, void *buf)
{
	struct par__pool_engine *e = p->eng;
	uint32_t none = 0;

	/* seq_cst: pairs with the seq_cst load in par__pool_threads_submit */
	if (!__atomic_compare_exchange_n(&e->spinning, &none, node + 1, 0, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return -EAGAIN;
	ssize_t n = par_queue_get(e->q[node], buf, p->msg_max, PAR__POOL_SLICE_NS);
	if (n == -ETIMEDOUT || n == -EPIPE)
		n = take(p, node, buf);
	/* seq_cst: a submit after this sees no poller and wakes a sleeper (a
	 * task put before it is taken: the sleeper looks after announcing) */
	__atomic_store_n(&e->spinning, 0, __ATOMIC_SEQ_CST);
	/* Tasks put while we polled woke nobody, and we run one of them: if
	 * others wait, the sleepers look whether we and the other runners get
	 * through them (see help). Without that, a burst of long or blocking
	 * tasks put while we woke from the futex ran one at a time, or waited
	 * a sleeper's slice (a round of tasks behind a barrier on 16 workers:
	 * 10 ms, now 0.1 ms). Not with 2 CPUs: there the sleeper woken takes
	 * the CPU of the submitter or of the runner, and a stream of short
	 * tasks went 25% slower. */
	if (n >= 0 && e->can_hand_off && pending(p) > 0) {
		/* relaxed: a hint; a sleeper that misses it takes the usual path */
		__atomic_add_fetch(&e->handoffs, 1, __ATOMIC_RELAXED);
		wake_idle(e, 0);
	}
	return n;
}

/* A sleeper woken by a poller that left tasks behind watches the runners
 * for a moment: if none finishes a task meanwhile and tasks still wait, it
 * takes them (the runners' tasks are long, or block, as a round of tasks
 * behind a barrier does: -EAGAIN); if one does, the runners keep up, and it
 * sleeps again without taking any (-EBUSY): a stream of short tasks stays
 * with the worker that keeps up with it, whose loop takes what waits. */
static ssize_t help(struct par_pool *p)
{
	/* relaxed: a count, compared as a sign of progress */
	uint64_t done = __atomic_load_n(&p->stats.completed, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < PAR__POOL_HELP_SPINS; i++) {
		par__cpu_relax();
		if (__atomic_load_n(&p->stats.completed, __ATOMIC_RELAXED) != done)
			return -EBUSY;
	}
	return pending(p) > 0 ? -EAGAIN : -EBUSY;
}

/* Announce a sleeper, look once more (unless told the runners take what
 * waits), then sleep until a wake or a slice. -EBUSY: woken to help, and
 * not needed. */
static ssize_t sleep_take(struct par_pool *p, unsigned node, void *buf, int look)
{
	struct par__pool_engine *e = p->eng;
	uint32_t h = __atomic_load_n(&e->handoffs, __ATOMIC_RELAXED);
	/* seq_cst: pairs with the seq_cst load in wake_idle (the bit before our
	 * look, their task before their look at the bit) */
	uint32_t w = __atomic_or_fetch(&e->ec, EC_WAITERS, __ATOMIC_SEQ_CST);
	ssize_t n = look ? take(p, node, buf) : -EAGAIN;

	if (n != -EAGAIN)
		return n;
	par_futex_wait_until(&e->ec, w, par_deadline(PAR__POOL_SLICE_NS));
	/* relaxed: a hint, as in poll_take */
	return __atomic_load_n(&e->handoffs, __ATOMIC_RELAXED) != h ? help(p) : -EAGAIN;
}

/* Wake the sleepers (one syscall until one sleeps again). */
static void wake_idle(struct par__pool_engine *e, int always)
{
	/* seq_cst: pairs with the seq_cst or in sleep_take */
	uint32_t w = __atomic_load_n(&e->ec, __ATOMIC_SEQ_CST);

	do {
		if (!always && !(w & EC_WAITERS))
			return;
		/* relaxed: the word only says "look again" */
	} while (!__atomic_compare_exchange_n(&e->ec, &w, (w + 2) & ~EC_WAITERS, 0,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	par_futex_wake(&e->ec, -1);
}

/* Next task for a worker: its node's queue first, then the others'. The
 * message's length, -EPIPE once every queue is shut down and drained. */
static ssize_t next_task(struct par_pool *p, unsigned node, void *buf)
{
	for (;;) {
		ssize_t n = take(p, node, buf);
		if (n == -EAGAIN)
			n = poll_take(p, node, buf);
		if (n == -EAGAIN)
			n = sleep_take(p, node, buf, 1);
		while (n == -EBUSY) /* woken to help, and not needed */
			n = sleep_take(p, node, buf, 0);
		if (n != -EAGAIN)
			return n;
	}
}

static int worker_main(void *arg)
{
	struct tworker *w = arg;
	struct par_pool *p = w->p;
	unsigned char *buf = malloc(p->msg_max);
	struct par_task_out out = { malloc(p->o.result_max), p->o.result_max, 0 };
	ssize_t n;

	par__pool_pin(p, w->index);
	while (buf != NULL && out.data != NULL &&
	       (n = next_task(p, p->worker_node[w->index], buf)) >= 0) {
		struct par__task_msg m;
		memcpy(&m, buf, sizeof(m));
		/* acquire: pairs with the release exchange in par_pool_terminate */
		if (__atomic_load_n(&p->terminated, __ATOMIC_ACQUIRE)) {
			par__future_resolve(p, m.future, -ECANCELED, NULL, 0);
			continue;
		}
		int st = par__task_run(&m, buf + sizeof(m), &out);
		par__future_resolve(p, m.future, st, out.data, out.len);
	}
	free(buf);
	free(out.data);
	return 0;
}

/* $PAR_POOL_HANDOFF (1 or 0), else whether the process may use 3 CPUs. */
static int hand_off_wanted(void)
{
	const char *v = getenv("PAR_POOL_HANDOFF");
	cpu_set_t allowed;

	if (v != NULL && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0))
		return *v == '1';
	return sched_getaffinity(0, sizeof(allowed), &allowed) != 0 || CPU_COUNT(&allowed) > 2;
}

int par__pool_threads_start(struct par_pool *p)
{
	struct par__pool_engine *e = par__pool_zalloc(sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	p->eng = e;
	e->can_hand_off = hand_off_wanted();
	e->q = calloc(p->nnodes, sizeof(*e->q));
	e->w = calloc(p->nworkers, sizeof(*e->w));
	if (e->q == NULL || e->w == NULL)
		return -ENOMEM;
	for (unsigned k = 0; k < p->nnodes; k++) {
		struct par_queue_opts qo;
		par__pool_queue_opts(p, p->node_os[k], p->o.queue_capacity, &qo);
		int r = par_queue_create(NULL, &qo, &e->q[k]);
		if (r != 0)
			return r;
	}
	for (unsigned i = 0; i < p->nworkers; i++) {
		struct par_thread_opts to;
		par_thread_opts_init(&to);
		to.name = "par-pool";
		e->w[i] = (struct tworker){ .p = p, .index = i };
		int r = par_thread_start(worker_main, &e->w[i], &to, &e->w[i].t);
		if (r != 0)
			return r;
		e->started++;
	}
	return 0;
}

int par__pool_threads_submit(struct par_pool *p, struct par__task_msg *m, const void *arg)
{
	struct par__pool_engine *e = p->eng;
	unsigned k =
		p->nnodes == 1 ? 0 : __atomic_fetch_add(&e->rr, 1, __ATOMIC_RELAXED) % p->nnodes;
	int r = par__pool_put_task(e->q[k], m, arg);

	/* seq_cst: pairs with the seq_cst stores of spinning in poll_take (a
	 * poller on this node's queue that has not stopped yet takes the task;
	 * else the sleepers are woken) */
	if (r == 0 && __atomic_load_n(&e->spinning, __ATOMIC_SEQ_CST) != k + 1)
		wake_idle(e, 0);
	return r;
}

int par__pool_threads_close(struct par_pool *p)
{
	for (unsigned k = 0; p->eng->q != NULL && k < p->nnodes; k++)
		if (p->eng->q[k] != NULL)
			par_queue_shutdown(p->eng->q[k]);
	wake_idle(p->eng, 1);
	return 0;
}

int par__pool_threads_join(struct par_pool *p, int64_t deadline)
{
	struct par__pool_engine *e = p->eng;

	for (unsigned i = 0; i < e->started; i++) {
		if (e->w[i].t == NULL)
			continue;
		int r = par_thread_join(e->w[i].t, par_deadline_left(deadline), NULL);
		if (r != 0)
			return r == -EAGAIN ? -ETIMEDOUT : r;
		par_thread_destroy(e->w[i].t);
		e->w[i].t = NULL;
	}
	return 0;
}

/* Shut the queues, then take what is left in them and cancel it. */
int par__pool_threads_terminate(struct par_pool *p)
{
	struct par__pool_engine *e = p->eng;
	unsigned char *buf = malloc(p->msg_max);

	par__pool_threads_close(p);
	for (unsigned k = 0; buf != NULL && e->q != NULL && k < p->nnodes; k++) {
		while (e->q[k] != NULL && par_queue_get(e->q[k], buf, p->msg_max, 0) >= 0) {
			struct par__task_msg m;
			memcpy(&m, buf, sizeof(m));
			par__future_resolve(p, m.future, -ECANCELED, NULL, 0);
		}
	}
	free(buf);
	return buf != NULL ? 0 : -ENOMEM;
}

void par__pool_threads_free(struct par_pool *p)
{
	struct par__pool_engine *e = p->eng;

	if (e == NULL)
		return;
	for (unsigned k = 0; e->q != NULL && k < p->nnodes; k++)
		if (e->q[k] != NULL)
			par_queue_close(e->q[k]);
	free(e->q);
	free(e->w);
	free(e);
	p->eng = NULL;
}
