/* Pool: options, creation from a placement plan, submit, the common ending
 * calls and stats; the engines are in pool_threads.c and pool_procs.c. */
#include "pool_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void par_pool_opts_init(struct par_pool_opts *o)
{
	if (o != NULL)
		*o = (struct par_pool_opts){ .size = sizeof(*o),
					     .kind = PAR_POOL_THREADS,
					     .policy = PAR_PLACE_COMPACT,
					     .arg_max = 64 * 1024,
					     .result_max = 64 * 1024,
					     .queue_capacity = 4096 };
}

static int resolve_opts(const struct par_pool_opts *in, struct par_pool_opts *o)
{
	if (PAR__OPTS_BAD(in))
		return -EINVAL;
	par_pool_opts_init(o);
	o->kind = PAR__OPT(in, kind, o->kind);
	o->workers = PAR__OPT(in, workers, 0u);
	o->policy = PAR__OPT(in, policy, o->policy);
	o->topology = PAR__OPT(in, topology, (const char *)NULL);
	o->arg_max = PAR__OPT(in, arg_max, o->arg_max);
	o->result_max = PAR__OPT(in, result_max, o->result_max);
	o->queue_capacity = PAR__OPT(in, queue_capacity, o->queue_capacity);
	if ((unsigned)o->kind > PAR_POOL_PROCESSES || (unsigned)o->policy > PAR_PLACE_NUMA ||
	    o->arg_max > (1u << 30) || o->result_max > (1u << 30) || o->queue_capacity < 2 ||
	    (o->queue_capacity & (o->queue_capacity - 1)) != 0)
		return -EINVAL;
	return 0;
}

/* The plan's distinct NUMA nodes, and each worker's index among them. */
static int group_nodes(struct par_pool *p)
{
	p->node_os = calloc(p->nworkers, sizeof(int));
	p->worker_node = calloc(p->nworkers, sizeof(unsigned));
	if (p->node_os == NULL || p->worker_node == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < p->nworkers; i++) {
		int node = p->pin ? par_plan_numa(p->plan, i) : -1;
		unsigned k = 0;
		while (k < p->nnodes && p->node_os[k] != node)
			k++;
		if (k == p->nnodes)
			p->node_os[p->nnodes++] = node;
		p->worker_node[i] = k;
	}
	return 0;
}

static int plan_pool(struct par_pool *p)
{
	struct par_topo *t = NULL;
	int r = p->o.topology != NULL ? par_topo_load_spec(p->o.topology, &t) : par_topo_load(&t);

	if (r != 0)
		return r;
	p->nworkers = p->o.workers ? p->o.workers : (unsigned)par_topo_count(t, PAR_TOPO_CORE);
	if (p->nworkers == 0)
		p->nworkers = 1;
	p->pin = par_topo_is_this_machine(t);
	r = par_topo_plan(t, p->nworkers, p->o.policy, &p->plan);
	par_topo_destroy(t);
	return r != 0 ? r : group_nodes(p);
}

void *par__pool_zalloc(size_t size)
{
	size_t rounded = (size + 63) & ~(size_t)63;
	void *m = aligned_alloc(64, rounded);

	if (m != NULL)
		memset(m, 0, rounded);
	return m;
}

static void pool_free(struct par_pool *p)
{
	par_plan_destroy(p->plan);
	free(p->node_os);
	free(p->worker_node);
	free(p);
}

int par_pool_create(const struct par_pool_opts *opts, struct par_pool **out)
{
	if (out == NULL)
		return -EINVAL;
	struct par_pool *p = par__pool_zalloc(sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	int r = resolve_opts(opts, &p->o);
	if (r == 0)
		r = plan_pool(p);
	if (r == 0) {
		size_t big = p->o.arg_max > p->o.result_max ? p->o.arg_max : p->o.result_max;
		p->msg_max = big + sizeof(struct par__task_msg) + sizeof(struct par__result_msg);
		r = p->o.kind == PAR_POOL_THREADS ? par__pool_threads_start(p)
						  : par__pool_procs_start(p);
	}
	if (r != 0) {
		if (p->eng != NULL) /* a half-started engine: stop what did start */
			par_pool_destroy(p);
		else
			pool_free(p);
		return r;
	}
	*out = p;
	return 0;
}

unsigned par_pool_workers(const struct par_pool *p)
{
	return p != NULL ? p->nworkers : 0;
}

enum par_pool_kind par_pool_kind(const struct par_pool *p)
{
	return p != NULL ? p->o.kind : PAR_POOL_THREADS;
}

int par_pool_submit(struct par_pool *p, par_task_fn fn, const void *arg, size_t arg_len,
		    struct par_future **out)
{
	return par__pool_submit(p, fn, 0, arg, arg_len, out);
}

int par__pool_submit(struct par_pool *p, par_task_fn fn, uint32_t flags, const void *arg,
		     size_t arg_len, struct par_future **out)
{
	if (p == NULL || fn == NULL || out == NULL || (arg == NULL && arg_len > 0))
		return -EINVAL;
	if (arg_len > p->o.arg_max)
		return -EMSGSIZE;
	/* acquire: pairs with the release store in par_pool_close / terminate */
	if (__atomic_load_n(&p->closed, __ATOMIC_ACQUIRE))
		return -EPIPE;
	uint64_t id = __atomic_add_fetch(&p->next_id, 1, __ATOMIC_RELAXED);
	struct par_future *f = par__future_new(id);
	if (f == NULL)
		return -ENOMEM;
	struct par__task_msg m = { .kind = PAR__MSG_SUBMIT,
				   .flags = flags,
				   .id = id,
				   .future = f,
				   .fn = fn,
				   .arg_len = (uint32_t)arg_len };
	int r = p->o.kind == PAR_POOL_THREADS ? par__pool_threads_submit(p, &m, arg)
					      : par__pool_procs_submit(p, &m, arg);
	if (r != 0) {
		free(f);
		return r;
	}
	__atomic_add_fetch(&p->submitted, 1, __ATOMIC_RELAXED);
	*out = f;
	return 0;
}

int par_pool_close(struct par_pool *p)
{
	if (p == NULL)
		return -EINVAL;
	/* release: pairs with the acquire load in par_pool_submit */
	if (__atomic_exchange_n(&p->closed, 1, __ATOMIC_ACQ_REL))
		return 0;
	return p->o.kind == PAR_POOL_THREADS ? par__pool_threads_close(p)
					     : par__pool_procs_close(p);
}

int par_pool_join(struct par_pool *p, int64_t timeout_ns)
{
	if (p == NULL || !__atomic_load_n(&p->closed, __ATOMIC_ACQUIRE))
		return -EINVAL;
	int64_t deadline = par_deadline(timeout_ns);
	return p->o.kind == PAR_POOL_THREADS ? par__pool_threads_join(p, deadline)
					     : par__pool_procs_join(p, deadline);
}

int par_pool_terminate(struct par_pool *p)
{
	if (p == NULL)
		return -EINVAL;
	__atomic_store_n(&p->closed, 1, __ATOMIC_RELEASE);
	if (__atomic_exchange_n(&p->terminated, 1, __ATOMIC_ACQ_REL))
		return 0;
	return p->o.kind == PAR_POOL_THREADS ? par__pool_threads_terminate(p)
					     : par__pool_procs_terminate(p);
}

int par_pool_destroy(struct par_pool *p)
{
	if (p == NULL)
		return 0;
	par_pool_terminate(p);
	par_pool_join(p, PAR_FOREVER);
	if (p->o.kind == PAR_POOL_THREADS)
		par__pool_threads_free(p);
	else
		par__pool_procs_free(p);
	pool_free(p);
	return 0;
}

int par_pool_get_stats(const struct par_pool *p, struct par_pool_stats *st)
{
	if (p == NULL || st == NULL)
		return -EINVAL;
	st->submitted = __atomic_load_n(&p->submitted, __ATOMIC_RELAXED);
	st->completed = __atomic_load_n(&p->stats.completed, __ATOMIC_RELAXED);
	st->crashed = __atomic_load_n(&p->stats.crashed, __ATOMIC_RELAXED);
	st->cancelled = __atomic_load_n(&p->stats.cancelled, __ATOMIC_RELAXED);
	st->workers_replaced = __atomic_load_n(&p->stats.workers_replaced, __ATOMIC_RELAXED);
	return 0;
}

void par__pool_pin(const struct par_pool *p, unsigned i)
{
	if (p->pin)
		par_plan_apply(p->plan, i); /* best effort: a worker runs unpinned otherwise */
	par__self_set(i, par_plan_numa(p->plan, i), p->o.kind);
}

void par__pool_queue_opts(const struct par_pool *p, int node_os, uint32_t capacity,
			  struct par_queue_opts *qo)
{
	par_queue_opts_init(qo);
	qo->capacity = capacity;
	qo->max_msg = p->msg_max;
	qo->pool_size = 4 * p->msg_max;
	qo->numa_node = node_os;
}
