/* The process engine's manager thread: takes SUBMITs from the mailbox and
 * RESULTs from the workers' outboxes, hands tasks to workers, settles worker
 * deaths and winds the pool down. It alone touches pending, the workers'
 * held tasks and their queues. */
#include "pool_procs.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* How long to wait for workers to exit at the end. */
#define EXIT_WAIT_NS ((int64_t)5 * 1000 * 1000 * 1000)

static struct par__task_msg task_head(const struct ptask *t)
{
	struct par__task_msg m;
	memcpy(&m, t->msg, sizeof(m));
	return m;
}

static void resolve_task(struct par_pool *p, struct ptask *t, int status, const void *res,
			 size_t len)
{
	par__future_resolve(p, task_head(t).future, status, res, len);
	free(t);
}

static void on_submit(struct par_pool *p, const unsigned char *msg, size_t len)
{
	struct ptask *t = malloc(sizeof(*t) + len);
	if (t == NULL) { /* cannot hold it: fail it rather than lose it */
		struct par__task_msg m;
		memcpy(&m, msg, sizeof(m));
		par__future_resolve(p, m.future, -ENOMEM, NULL, 0);
		return;
	}
	t->len = len;
	memcpy(t->msg, msg, len);
	if (__atomic_load_n(&p->terminated, __ATOMIC_ACQUIRE))
		resolve_task(p, t, -ECANCELED, NULL, 0);
	else
		par__pending_push_back(p->eng, t);
}

static void on_result(struct par_pool *p, const unsigned char *msg, size_t len)
{
	struct par__result_msg r;
	memcpy(&r, msg, sizeof(r));
	if (r.worker >= p->nworkers || sizeof(r) + r.len > len)
		return; /* not ours: cannot happen with our own workers */
	struct pworker *w = &p->eng->w[r.worker];
	for (unsigned j = 0; j < w->nheld; j++) {
		if (task_head(w->held[j]).id != r.id)
			continue;
		resolve_task(p, w->held[j], r.status, msg + sizeof(r), r.len);
		memmove(&w->held[j], &w->held[j + 1], (w->nheld - j - 1) * sizeof(w->held[0]));
		w->nheld--;
		return;
	}
}

/* Handle what q holds now. How many messages. */
static int drain_queue(struct par_pool *p, struct par_queue *q)
{
	struct par__pool_engine *e = p->eng;
	int n = 0;
	ssize_t len;

	while (q != NULL && (len = par_queue_get(q, e->buf, p->msg_max, 0)) >= 4) {
		uint32_t kind;
		memcpy(&kind, e->buf, 4);
		if (kind == PAR__MSG_SUBMIT && (size_t)len >= sizeof(struct par__task_msg))
			on_submit(p, e->buf, (size_t)len);
		else if (kind == PAR__MSG_RESULT && (size_t)len >= sizeof(struct par__result_msg))
			on_result(p, e->buf, (size_t)len);
		n++;
	}
	return n;
}

/* The mailbox and every outbox, once each. */
static int drain_all(struct par_pool *p)
{
	int n = drain_queue(p, p->eng->mailbox);

	for (unsigned i = 0; i < p->nworkers; i++)
		n += drain_queue(p, p->eng->w[i].outbox);
	return n;
}

/* Handle the messages there are; when there are none, sleep on the doorbell
 * for at most wait_ns, then look again. How many. */
static int drain(struct par_pool *p, int64_t wait_ns)
{
	uint32_t *bell = p->eng->bell;
	int n = drain_all(p);

	if (n > 0 || wait_ns == 0)
		return n;
	/* seq_cst: pairs with the seq_cst load in par__bell_ring (the bit is
	 * seen there, or our look below sees the put that came before it) */
	uint32_t w = __atomic_or_fetch(bell, PAR__BELL_WAITERS, __ATOMIC_SEQ_CST);
	/* seq_cst: the look below reads after the bit is visible (a fence, as
	 * the queues' loads are only acquire) */
	PAR__FENCE(__ATOMIC_SEQ_CST);
	if ((n = drain_all(p)) > 0)
		return n;
	par_futex_wait_until(bell, w, par_deadline(wait_ns));
	return drain_all(p);
}

/* The running worker holding the fewest tasks, if it has room. A worker
 * that holds a task gets more only while the pool has more than two tasks a
 * worker (held or pending): a flood of short tasks fills every inbox (a
 * worker then never waits for the manager between tasks), while a few long
 * ones go one to a worker, the rest to whichever worker is free first. */
static struct pworker *least_loaded(struct par_pool *p)
{
	struct pworker *best = NULL;
	size_t tasks = p->eng->npending;

	for (unsigned k = 0; k < p->nworkers; k++)
		tasks += p->eng->w[k].nheld;
	unsigned depth = tasks > 2 * (size_t)p->nworkers ? PAR__POOL_DEPTH : 1;
	for (unsigned k = 0; k < p->nworkers; k++) {
		struct pworker *w = &p->eng->w[(p->eng->rr + k) % p->nworkers];
		if (w->pid > 0 && w->nheld < depth && (!best || w->nheld < best->nheld))
			best = w;
	}
	p->eng->rr++;
	return best;
}

static void dispatch(struct par_pool *p)
{
	struct par__pool_engine *e = p->eng;
	struct pworker *w;

	while (e->pending != NULL && (w = least_loaded(p)) != NULL) {
		struct ptask *t = e->pending;
		if (par_queue_put(w->inbox, t->msg, t->len, 0) != 0)
			return; /* its room for large messages is used up: the worker's next
				 * result brings the manager back here */
		par__pending_pop(e);
		w->held[w->nheld++] = t;
	}
}

/* Empty a dead worker's inbox; how many tasks were still in it. */
static unsigned take_back(struct par_pool *p, struct pworker *w)
{
	unsigned n = 0;

	while (par_queue_get(w->inbox, p->eng->buf, p->msg_max, 0) >= 0)
		n++;
	return n;
}

/* Worker i died. Its answers already posted are taken first; tasks still in
 * its inbox go back to the front of pending (in order); the one it had
 * taken fails with -EOWNERDEAD (-ECANCELED when terminating). */
static void settle_death(struct par_pool *p, unsigned i)
{
	struct pworker *w = &p->eng->w[i];
	int terminating = __atomic_load_n(&p->terminated, __ATOMIC_ACQUIRE);

	w->pid = 0;
	drain_all(p);
	/* the inbox is FIFO, so the held tasks split into a prefix the worker
	 * took (its answers are handled above: what is left of it was lost) and
	 * a suffix still queued */
	unsigned queued = take_back(p, w);
	unsigned taken = queued <= w->nheld ? w->nheld - queued : 0;
	for (unsigned j = 0; j < taken; j++)
		resolve_task(p, w->held[j], terminating ? -ECANCELED : -EOWNERDEAD, NULL, 0);
	for (unsigned j = w->nheld; j > taken; j--)
		par__pending_push_front(p->eng, w->held[j - 1]);
	w->nheld = 0;
	par_queue_close(w->inbox);
	par_queue_close(w->outbox); /* emptied above; a torn put may stay there */
	w->inbox = w->outbox = NULL;
	if (!terminating && par__pw_spawn(p, i) == 0)
		__atomic_add_fetch(&p->stats.workers_replaced, 1, __ATOMIC_RELAXED);
}

static void check_workers(struct par_pool *p)
{
	int status;

	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->eng->w[i].pid > 0 && par__child_wait(p->eng->w[i].pid, 0, &status) == 0)
			settle_death(p, i);
}

/* Kill every worker, settle them, cancel what is pending. */
static void terminate_now(struct par_pool *p)
{
	struct par__pool_engine *e = p->eng;
	struct ptask *t;
	int status;

	par__pw_kill_all(p);
	for (unsigned i = 0; i < p->nworkers; i++) {
		if (e->w[i].pid <= 0)
			continue;
		par__child_wait(e->w[i].pid, par_deadline(EXIT_WAIT_NS), &status);
		settle_death(p, i);
	}
	while ((t = par__pending_pop(e)) != NULL)
		resolve_task(p, t, -ECANCELED, NULL, 0);
}

static int idle(struct par_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->eng->w[i].nheld > 0)
			return 0;
	return p->eng->pending == NULL;
}

/* Closed, no submit under way, nothing queued, held or in the mailbox. */
static int finished(struct par_pool *p)
{
	/* seq_cst: pairs with the announce-then-check in par__pool_procs_submit */
	if (!__atomic_load_n(&p->closed, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&p->eng->submitting, __ATOMIC_SEQ_CST) != 0 || !idle(p))
		return 0;
	return drain_all(p) == 0 && idle(p);
}

/* Shut the inboxes so idle workers exit, and reap them (killing stragglers). */
static void wind_down(struct par_pool *p)
{
	int status;

	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->eng->w[i].inbox != NULL)
			par_queue_shutdown(p->eng->w[i].inbox);
	for (unsigned i = 0; i < p->nworkers; i++) {
		pid_t pid = p->eng->w[i].pid;
		if (pid <= 0)
			continue;
		if (par__child_wait(pid, par_deadline(EXIT_WAIT_NS), &status) != 0) {
			kill(pid, SIGKILL);
			par__child_wait(pid, PAR_NO_DEADLINE, &status);
		}
		p->eng->w[i].pid = 0;
	}
}

/* The manager may run on any of the workers' CPUs (not just on the CPU the
 * thread that made the pool happens to be pinned to). */
static void unpin(const struct par_pool *p)
{
	cpu_set_t set;
	int cpus[64];

	if (!p->pin)
		return;
	CPU_ZERO(&set);
	for (unsigned i = 0; i < p->nworkers; i++) {
		int n = par_plan_cpus(p->plan, i, cpus, 64);
		for (int k = 0; k < n && k < 64; k++)
			if (cpus[k] >= 0 && cpus[k] < CPU_SETSIZE)
				CPU_SET(cpus[k], &set);
	}
	sched_setaffinity(0, sizeof(set), &set); /* best effort */
}

int par__pool_manager(void *arg)
{
	struct par_pool *p = arg;
	int64_t next_check = par_deadline(PAR__POOL_SLICE_NS);
	int terminated = 0;

	unpin(p);
	for (;;) {
		int got = drain(p, PAR__POOL_SLICE_NS);
		if (!terminated && __atomic_load_n(&p->terminated, __ATOMIC_ACQUIRE)) {
			terminated = 1;
			terminate_now(p);
		}
		dispatch(p);
		if (got == 0 || par_now_ns() >= next_check) {
			check_workers(p);
			next_check = par_deadline(PAR__POOL_SLICE_NS);
		}
		if (finished(p))
			break;
	}
	wind_down(p);
	return 0;
}
