/* The process engine: forked workers with an inbox each, one manager thread
 * in the owner (pool_manager.c) that dispatches tasks and settles deaths. */
#include "pool_procs.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long a worker waits on its inbox before checking its owner is alive. */
#define OWNER_CHECK_NS ((int64_t)200 * 1000 * 1000)

/* How long an idle worker keeps looking at its inbox before it sleeps. */
#define WORKER_SPIN_NS ((int64_t)50 * 1000)

/* The next task from the inbox: look for a while before sleeping on it, as
 * the manager that refills it serves every other worker meanwhile. With
 * only the queue's own 2 us spin, a worker slept between refills and the
 * manager paid a wake-up for each: on 16 CPUs, empty tasks at 16 workers
 * went 0.39 -> 0.66 M/s with 50 us (0.78 with 200 us), at 8 workers
 * 0.39 -> 0.87; on 2 CPUs no change (1.6-2.1 M/s either way). */
static ssize_t inbox_get(struct par_queue *inbox, void *buf, size_t cap)
{
	ssize_t n = par_queue_get(inbox, buf, cap, 0);

	for (int64_t until = 0; n == -EAGAIN; n = par_queue_get(inbox, buf, cap, 0)) {
		int64_t now = par_now_ns();
		if (until == 0)
			until = now + WORKER_SPIN_NS;
		else if (now >= until)
			break;
		for (int k = 0; k < 32; k++)
			par__cpu_relax();
	}
	return n == -EAGAIN ? par_queue_get(inbox, buf, cap, OWNER_CHECK_NS) : n;
}

/* Run tasks from the inbox until it is shut down and drained, or the owner
 * process is gone (a worker must never outlive its pool). */
static _Noreturn void worker_loop(struct par_pool *p, unsigned i)
{
	struct par__pool_engine *e = p->eng;
	size_t head = sizeof(struct par__result_msg);
	unsigned char *in = malloc(p->msg_max), *res = malloc(head + p->o.result_max);
	struct par_task_out out = { res + head, p->o.result_max, 0 };

	par__pool_pin(p, i);
	while (in != NULL && res != NULL) {
		ssize_t n = inbox_get(e->w[i].inbox, in, p->msg_max);
		if (n == -ETIMEDOUT && getppid() == e->owner)
			continue;
		if (n < (ssize_t)sizeof(struct par__task_msg))
			break;
		struct par__task_msg m;
		memcpy(&m, in, sizeof(m));
		int st = par__task_run(&m, in + sizeof(m), &out);
		struct par__result_msg r = { .kind = PAR__MSG_RESULT,
					     .status = st,
					     .id = m.id,
					     .worker = i,
					     .len = (uint32_t)out.len };
		memcpy(res, &r, head);
		if (par_queue_put(e->w[i].outbox, res, head + out.len, PAR_FOREVER) != 0)
			break;
		par__bell_ring(e->bell);
	}
	_exit(0);
}

void par__bell_ring(uint32_t *bell)
{
	/* seq_cst: after the put's seq_cst publication; pairs with the
	 * manager's seq_cst announcement and fence before its last look */
	uint32_t w = __atomic_load_n(bell, __ATOMIC_SEQ_CST);

	do {
		if (!(w & PAR__BELL_WAITERS))
			return;
		/* relaxed: the word only says "look again" */
	} while (!__atomic_compare_exchange_n(bell, &w, (w + 2) & ~PAR__BELL_WAITERS, 0,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	par_futex_wake(bell, 1);
}

int par__pw_spawn(struct par_pool *p, unsigned i)
{
	struct pworker *w = &p->eng->w[i];
	struct par_queue_opts qo;

	/* a worker holds at most PAR__POOL_DEPTH tasks, so has as many answers
	 * at most in its outbox: a put there never waits */
	par__pool_queue_opts(p, p->node_os[p->worker_node[i]], 2 * PAR__POOL_DEPTH, &qo);
	int r = w->inbox != NULL ? 0 : par_queue_create(NULL, &qo, &w->inbox);
	if (r == 0 && w->outbox == NULL)
		r = par_queue_create(NULL, &qo, &w->outbox);
	if (r != 0)
		return r;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -EAGAIN;
	if (pid == 0)
		worker_loop(p, i);
	w->pid = pid;
	return 0;
}

void par__pw_kill_all(struct par_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->eng->w[i].pid > 0)
			kill(p->eng->w[i].pid, SIGKILL);
}

void par__pending_push_back(struct par__pool_engine *e, struct ptask *t)
{
	t->next = NULL;
	*e->pending_tail = t;
	e->pending_tail = &t->next;
	e->npending++;
}

void par__pending_push_front(struct par__pool_engine *e, struct ptask *t)
{
	t->next = e->pending;
	if (e->pending == NULL)
		e->pending_tail = &t->next;
	e->pending = t;
	e->npending++;
}

struct ptask *par__pending_pop(struct par__pool_engine *e)
{
	struct ptask *t = e->pending;
	if (t != NULL) {
		e->pending = t->next;
		e->npending--;
		if (e->pending == NULL)
			e->pending_tail = &e->pending;
	}
	return t;
}

int par__pool_procs_start(struct par_pool *p)
{
	struct par__pool_engine *e = par__pool_zalloc(sizeof(*e));
	struct par_queue_opts qo;

	if (e == NULL)
		return -ENOMEM;
	p->eng = e;
	e->pending_tail = &e->pending;
	e->owner = getpid();
	e->w = calloc(p->nworkers, sizeof(*e->w));
	e->buf = malloc(p->msg_max);
	if (e->w == NULL || e->buf == NULL || par__shared_alloc(PAR__BELL_SIZE, (void **)&e->bell))
		return -ENOMEM;
	par__pool_queue_opts(p, -1, p->o.queue_capacity, &qo);
	int r = par_queue_create(NULL, &qo, &e->mailbox);
	for (unsigned i = 0; r == 0 && i < p->nworkers; i++)
		r = par__pw_spawn(p, i);
	if (r != 0)
		return r;
	struct par_thread_opts to;
	par_thread_opts_init(&to);
	to.name = "par-pool-mgr";
	return par_thread_start(par__pool_manager, p, &to, &e->manager);
}

int par__pool_procs_submit(struct par_pool *p, struct par__task_msg *m, const void *arg)
{
	struct par__pool_engine *e = p->eng;

	/* seq_cst: the manager reads submitting after it has seen closed; we
	 * re-read closed after announcing ourselves (Dekker), so either it
	 * waits for this put or we see closed and back out. */
	__atomic_add_fetch(&e->submitting, 1, __ATOMIC_SEQ_CST);
	int r = __atomic_load_n(&p->closed, __ATOMIC_SEQ_CST)
			? -EPIPE
			: par__pool_put_task(e->mailbox, m, arg);
	if (r == 0)
		par__bell_ring(e->bell);
	__atomic_sub_fetch(&e->submitting, 1, __ATOMIC_SEQ_CST);
	return r;
}

int par__pool_procs_close(struct par_pool *p)
{
	(void)p; /* the manager sees closed and winds down by itself */
	return 0;
}

int par__pool_procs_join(struct par_pool *p, int64_t deadline)
{
	struct par__pool_engine *e = p->eng;

	if (e == NULL || e->manager == NULL)
		return 0;
	int r = par_thread_join(e->manager, par_deadline_left(deadline), NULL);
	if (r != 0)
		return r == -EAGAIN ? -ETIMEDOUT : r;
	par_thread_destroy(e->manager);
	e->manager = NULL;
	return 0;
}

int par__pool_procs_terminate(struct par_pool *p)
{
	(void)p; /* the manager sees terminated within a slice */
	return 0;
}

void par__pool_procs_free(struct par_pool *p)
{
	struct par__pool_engine *e = p->eng;

	if (e == NULL)
		return;
	/* workers still running here had no manager (a start that failed
	 * half-way): nobody else will ever stop them */
	for (unsigned i = 0; e->w != NULL && i < p->nworkers; i++) {
		int status;
		if (e->w[i].pid > 0 && kill(e->w[i].pid, SIGKILL) == 0)
			par__child_wait(e->w[i].pid, PAR_NO_DEADLINE, &status);
		if (e->w[i].inbox != NULL)
			par_queue_close(e->w[i].inbox);
		if (e->w[i].outbox != NULL)
			par_queue_close(e->w[i].outbox);
	}
	if (e->mailbox != NULL)
		par_queue_close(e->mailbox);
	par__shared_free(e->bell, PAR__BELL_SIZE);
	free(e->w);
	free(e->buf);
	free(e);
	p->eng = NULL;
}
