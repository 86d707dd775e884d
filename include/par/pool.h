/*
 * par/pool.h — a Pool of workers, threads or processes behind one API, that
 * never hangs (Python's multiprocessing.Pool, done right).
 *
 * A task is a C function plus argument bytes; its answer is a status code plus
 * result bytes. Because process workers are forked from the process that made
 * the pool, a function pointer means the same code in every worker, and the
 * argument and result travel as bytes through shared-memory queues (par/queue.h)
 * — so a task must not rely on pointers into the submitter's memory unless the
 * workers are threads.
 *
 *   static int square(const void *arg, size_t len, struct par_task_out *out)
 *   {
 *           int64_t x;
 *           memcpy(&x, arg, sizeof(x));
 *           x *= x;
 *           return par_task_out_set(out, &x, sizeof(x));
 *   }
 *   ...
 *   struct par_pool *pool;
 *   par_pool_create(NULL, &pool);                  // threads, one per core
 *   struct par_future *f;
 *   par_pool_submit(pool, square, &x, sizeof(x), &f);
 *   par_future_wait(f, PAR_FOREVER);               // 0 once resolved
 *   par_future_status(f);                          // square's return value
 *   par_future_result(f, &len);                    // its result bytes
 *
 * Placement: workers are pinned by a plan (par/topo.h) computed for the pool's
 * topology and policy; the task and result queues of each NUMA node live in
 * memory bound to that node, and a worker takes tasks from its own node's
 * queue first (then from the others'). Inside a task, par_self() says which
 * worker, CPU and NUMA node it runs on.
 *
 * Failure: a process worker that crashes or is killed mid-task resolves that
 * task's future with -EOWNERDEAD, is replaced by a fresh worker, and every
 * other task completes. (A thread worker that crashes takes the whole process
 * with it, as any crashing thread does.) Every wait takes a timeout.
 *
 * Idle thread workers: one waits on the queues, the others sleep, so a stream
 * of short tasks is run by one worker and leaves the submitter its CPU. When
 * that worker takes a task and more wait, the sleepers wake and help unless
 * the tasks finish as fast as they came; so a burst of long or blocking tasks
 * spreads over every worker at once. That hand-off is on where the process
 * may use 3 CPUs or more (with 2, a helper only takes a CPU the submitter or
 * the runner needs); PAR_POOL_HANDOFF=1 or 0 in the environment forces it.
 *
 * Pool functions are thread-safe, from the process that made the pool only.
 */
#ifndef PAR_POOL_H
#define PAR_POOL_H

#include <par/core.h>
#include <par/topo.h>

#ifdef __cplusplus
extern "C" {
#endif

struct par_pool;
struct par_future;

/* Where a task writes its result bytes: data has room for cap bytes (the
 * pool's result_max); set len. */
struct par_task_out {
	void *data;
	size_t cap;
	size_t len;
};

/* Copy len bytes into out. 0, or -EMSGSIZE when len > out->cap. */
PAR_API int par_task_out_set(struct par_task_out *out, const void *data, size_t len);

/* A task: its return value becomes the future's status (any int; by
 * convention 0 for success, a negative errno value for failure). */
typedef int (*par_task_fn)(const void *arg, size_t arg_len, struct par_task_out *out);

enum par_pool_kind {
	PAR_POOL_THREADS = 0,
	PAR_POOL_PROCESSES = 1,
};

struct par_pool_opts {
	size_t size;		      /* sizeof(struct par_pool_opts); set by opts_init */
	enum par_pool_kind kind;      /* default PAR_POOL_THREADS */
	unsigned workers;	      /* 0 (default): one per allowed core */
	enum par_place_policy policy; /* default PAR_PLACE_COMPACT */
	const char *topology;	      /* par_topo_load_spec() string; NULL: this machine.
					 A synthetic topology plans but does not pin */
	size_t arg_max;		      /* largest argument; default 64 KiB */
	size_t result_max;	      /* largest result; default 64 KiB */
	uint32_t queue_capacity;      /* tasks in flight per NUMA node; default 4096 */
};

PAR_API void par_pool_opts_init(struct par_pool_opts *o);

/* Start the workers. 0, -EINVAL (bad option), -ENOMEM, -EAGAIN (could not
 * start a worker). */
PAR_API int par_pool_create(const struct par_pool_opts *opts, struct par_pool **out);

/* Number of workers, and the pool's kind. */
PAR_API unsigned par_pool_workers(const struct par_pool *p);
PAR_API enum par_pool_kind par_pool_kind(const struct par_pool *p);

/* Queue fn(arg) and give its future. Waits for room when the queues are full.
 * 0 and *out; -EPIPE after close or terminate; -EMSGSIZE (arg_len > arg_max);
 * -EINVAL; -ENOMEM. */
PAR_API int par_pool_submit(struct par_pool *p, par_task_fn fn, const void *arg, size_t arg_len,
			    struct par_future **out);

/* Wait at most timeout_ns for the task to be resolved. 0 once it is; -EAGAIN
 * (timeout 0) or -ETIMEDOUT while it is not. */
PAR_API int par_future_wait(struct par_future *f, int64_t timeout_ns);

/* 1 once resolved, else 0. */
PAR_API int par_future_done(const struct par_future *f);

/* The resolved task's status: fn's return value; -EOWNERDEAD when its worker
 * died running it; -ECANCELED when terminate dropped it before it ran.
 * -EAGAIN while not resolved. */
PAR_API int par_future_status(const struct par_future *f);

/* The result bytes (valid until par_future_destroy) and their length; NULL
 * while not resolved or when the task failed as above. */
PAR_API const void *par_future_result(const struct par_future *f, size_t *len);

/* Free the future. Allowed at any time: a task whose future is gone still
 * runs, and its result is dropped. */
PAR_API void par_future_destroy(struct par_future *f);

/* ---- map ------------------------------------------------------------------ */

/* One input of par_pool_map, and one output. */
struct par_map_in {
	const void *data;
	size_t len;
};

struct par_map_out {
	int status; /* as par_future_status */
	void *data; /* result bytes, 16-byte aligned, NULL when len is 0; they
		       live in blocks par_map_free gives back (never free one) */
	size_t len;
};

/* fn over inputs[0..n), chunksize inputs per task (0: a chunk size chosen
 * from n and the worker count), waiting at most timeout_ns for all of it.
 * 0 and *outs (n entries, in input order; NULL when n is 0) to free with
 * par_map_free; each entry's status is its task's (or -EMSGSIZE when the
 * results of its chunk did not fit result_max, -EOWNERDEAD when its worker
 * died). -ETIMEDOUT (what finished is dropped); -EPIPE; -EMSGSIZE when a
 * chunk's inputs do not fit arg_max (then nothing was submitted). */
PAR_API int par_pool_map(struct par_pool *p, par_task_fn fn, const struct par_map_in *inputs,
			 size_t n, size_t chunksize, int64_t timeout_ns, struct par_map_out **outs);
PAR_API void par_map_free(struct par_map_out *outs, size_t n);

/* ---- ending ----------------------------------------------------------------- */

/* No more submits (they get -EPIPE); queued tasks still run. 0. */
PAR_API int par_pool_close(struct par_pool *p);

/* After close: wait at most timeout_ns until every queued task is resolved and
 * the workers have exited. 0, -ETIMEDOUT (join again later), -EINVAL when the
 * pool is not closed. */
PAR_API int par_pool_join(struct par_pool *p, int64_t timeout_ns);

/* Stop now: every future not yet resolved resolves -ECANCELED (tasks running
 * in thread workers finish first; process workers are killed), the workers
 * exit. 0. */
PAR_API int par_pool_terminate(struct par_pool *p);

/* Terminate if needed, join, and free the pool. Futures stay valid. 0. */
PAR_API int par_pool_destroy(struct par_pool *p);

/* What happened so far. */
struct par_pool_stats {
	uint64_t submitted;
	uint64_t completed; /* resolved with fn's own status */
	uint64_t crashed;   /* resolved -EOWNERDEAD */
	uint64_t cancelled; /* resolved -ECANCELED */
	uint64_t workers_replaced;
};

PAR_API int par_pool_get_stats(const struct par_pool *p, struct par_pool_stats *st);

/* ---- inside a task ------------------------------------------------------------ */

/* Where the calling task runs (Python's threading.local, for workers). */
struct par_self_info {
	unsigned worker; /* index 0..workers-1 in the pool's plan */
	int cpu;	 /* the CPU it runs on now (sched_getcpu) */
	int numa_node;	 /* its plan's NUMA node, -1 when not one node */
	enum par_pool_kind kind;
};

/* 0 and *out inside a pool worker; -ESRCH elsewhere. */
PAR_API int par_self(struct par_self_info *out);

#ifdef __cplusplus
}
#endif

#endif /* PAR_POOL_H */
