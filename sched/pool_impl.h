/* Pool internals (sched/pool*.c): not installed.
 *
 * Two engines behind one API:
 *  - threads: one task queue per NUMA node of the plan (a par_queue bound to
 *    that node). A task message carries the future's address; the worker runs
 *    the task and resolves the future itself (same address space).
 *  - processes: a mailbox queue read by one manager thread in the owner
 *    process, and one inbox queue per worker (bound to its node). Submitters
 *    post SUBMIT messages to the mailbox; the manager dispatches each task to
 *    a worker's inbox (at most PAR__POOL_DEPTH in flight per worker) and
 *    remembers it; workers post RESULT messages to the mailbox; the manager
 *    resolves futures. Because the manager knows exactly which tasks each
 *    worker holds, a worker's death is settled exactly: its results already
 *    posted are taken, tasks still in its inbox go back to the pending list,
 *    and the one it had taken fails with -EOWNERDEAD.
 */
#ifndef PAR_POOL_IMPL_H
#define PAR_POOL_IMPL_H

#include "sched_impl.h"

#include <par/pool.h>
#include <par/process.h>
#include <par/queue.h>

#include <pthread.h>
#include <stdint.h>

/* Tasks a process worker holds at once (one running, the rest queued),
 * when many wait (pool_manager.c). Deeper inboxes keep workers from
 * waiting on the manager between short tasks: 16 moves empty tasks 1.4x
 * faster than 4 (2 CPUs); 32 and 64 gain nothing more. */
#define PAR__POOL_DEPTH 16
/* How long the manager sleeps before it checks for dead workers. */
#define PAR__POOL_SLICE_NS ((int64_t)10 * 1000 * 1000)
/* How many pauses a thread-pool sleeper woken by a poller that left tasks
 * behind watches the runners for before it helps (pool_threads.c). */
#define PAR__POOL_HELP_SPINS 256u

/* Task flags. */
#define PAR__TASK_CHUNK 0x1u /* a map chunk: packed inputs, packed results */

/* The head of every task message; the argument bytes follow. kind comes
 * first in both message heads: the process engine's mailbox carries both. */
struct par__task_msg {
	uint32_t kind; /* PAR__MSG_SUBMIT */
	uint32_t flags;
	uint64_t id;
	struct par_future *future; /* owner's address (valid in the owner only) */
	par_task_fn fn;		   /* same address in forked workers */
	uint32_t arg_len;
	uint32_t pad;
};

/* A process worker's answer; the result bytes follow. */
struct par__result_msg {
	uint32_t kind; /* PAR__MSG_RESULT */
	int32_t status;
	uint64_t id;
	uint32_t worker;
	uint32_t len;
};

enum { PAR__MSG_SUBMIT = 1, PAR__MSG_RESULT = 2 };

/* future->state: bit 0 resolved, bit 1 a waiter may sleep. */
#define PAR__FUT_DONE 1u
#define PAR__FUT_WAITERS 2u

struct par_future {
	uint32_t state; /* futex word */
	uint32_t refs;	/* the user's and the pool's */
	int status;
	void *result;
	size_t len;
	uint64_t id;
};

struct par__pool_engine;

struct par_pool {
	struct par_pool_opts o; /* resolved options */
	unsigned nworkers;
	struct par_plan *plan;
	int pin;	       /* the plan is for this machine */
	unsigned nnodes;       /* distinct NUMA nodes in the plan */
	int *node_os;	       /* [nnodes] OS numbers (-1: unbound) */
	unsigned *worker_node; /* [nworkers] index into node_os */
	size_t msg_max;	       /* largest task or result message */
	struct par__pool_engine *eng;
	uint32_t closed;     /* atomic: no more submits */
	uint32_t terminated; /* atomic */
	/* Written at each submit (by submitters) and at each resolve (by
	 * workers or the manager): each on a line of its own, away from the
	 * fields above that both read at each task (they shared one line, and
	 * every task moved it between the submitter and a worker twice). */
	_Alignas(64) uint64_t next_id;		  /* atomic */
	uint64_t submitted;			  /* atomic */
	_Alignas(64) struct par_pool_stats stats; /* atomics; submitted unused */
};

/* calloc for a struct with lines of its own (aligned to them). */
void *par__pool_zalloc(size_t size);

/* Put a task message (header m, then arg) into q, waiting for room. */
int par__pool_put_task(struct par_queue *q, const struct par__task_msg *m, const void *arg);

/* par_pool_submit with task flags (PAR__TASK_CHUNK for map). */
int par__pool_submit(struct par_pool *p, par_task_fn fn, uint32_t flags, const void *arg,
		     size_t arg_len, struct par_future **out);

/* Engines. */
int par__pool_threads_start(struct par_pool *p);
int par__pool_threads_submit(struct par_pool *p, struct par__task_msg *m, const void *arg);
int par__pool_threads_close(struct par_pool *p);
int par__pool_threads_join(struct par_pool *p, int64_t deadline);
int par__pool_threads_terminate(struct par_pool *p);
void par__pool_threads_free(struct par_pool *p);

int par__pool_procs_start(struct par_pool *p);
int par__pool_procs_submit(struct par_pool *p, struct par__task_msg *m, const void *arg);
int par__pool_procs_close(struct par_pool *p);
int par__pool_procs_join(struct par_pool *p, int64_t deadline);
int par__pool_procs_terminate(struct par_pool *p);
void par__pool_procs_free(struct par_pool *p);

/* Futures. */
struct par_future *par__future_new(uint64_t id);
/* Resolve with status and a copy of result[0..len) (the pool's reference is
 * dropped). Counts into p's stats. */
void par__future_resolve(struct par_pool *p, struct par_future *f, int status, const void *result,
			 size_t len);

/* Run one task (or chunk) into out; the task's status. Shared by both
 * engines' workers. */
int par__task_run(const struct par__task_msg *m, const void *arg, struct par_task_out *out);

/* Worker-side identity for par_self(). */
void par__self_set(unsigned worker, int numa_node, enum par_pool_kind kind);

/* Pin the calling thread/process as worker i of the plan (when p->pin). */
void par__pool_pin(const struct par_pool *p, unsigned i);

/* Options of the queues the engines make, bound to node_os (or not). */
void par__pool_queue_opts(const struct par_pool *p, int node_os, uint32_t capacity,
			  struct par_queue_opts *qo);

#endif /* PAR_POOL_IMPL_H */
