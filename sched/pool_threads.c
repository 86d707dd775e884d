/* The thread engine: one task queue per NUMA node; workers resolve futures
 * themselves. */
#include "pool_impl.h"

#include <errno.h>
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
};

/* Next task for a worker: its node's queue first, then the others'. The
 * message's length, -EPIPE once every queue is shut down and drained. */
static ssize_t next_task(struct par_pool *p, unsigned node, void *buf)
{
	struct par__pool_engine *e = p->eng;
	int64_t wait = p->nnodes > 1 ? PAR__POOL_SLICE_NS : PAR_FOREVER;

	for (;;) {
		ssize_t n = par_queue_get(e->q[node], buf, p->msg_max, wait);
		if (n >= 0 || (n != -ETIMEDOUT && n != -EPIPE))
			return n;
		int shut = n == -EPIPE;
		for (unsigned k = 1; k < p->nnodes; k++) {
			n = par_queue_get(e->q[(node + k) % p->nnodes], buf, p->msg_max, 0);
			if (n >= 0)
				return n;
			shut &= n == -EPIPE;
		}
		if (shut)
			return -EPIPE;
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

int par__pool_threads_start(struct par_pool *p)
{
	struct par__pool_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	p->eng = e;
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
	unsigned k = __atomic_fetch_add(&e->rr, 1, __ATOMIC_RELAXED) % p->nnodes;
	return par__pool_put_task(e->q[k], m, arg);
}

int par__pool_threads_close(struct par_pool *p)
{
	for (unsigned k = 0; p->eng->q != NULL && k < p->nnodes; k++)
		if (p->eng->q[k] != NULL)
			par_queue_shutdown(p->eng->q[k]);
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
