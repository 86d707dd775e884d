/* scale/ internals: the workload interface and one repetition's state. Not
 * installed.
 *
 * A workload is a table of hooks. The runner (run.c) calls, per repetition:
 *   prepare  in the submitting process, before the pool exists, so that
 *            shared state (queues, values) is inherited by forked workers;
 *   setup    in every worker, once (start-up round);
 *   work     in every worker, for its chunk of the units (work round; the
 *            worker index says whose per-worker state to use);
 *   teardown in every worker, once (last round);
 *   verify   in the submitting process after the work round (checksum of
 *            state the workers shared), optional;
 *   release  in the submitting process after the pool is gone.
 */
#ifndef PAR_SCALE_IMPL_H
#define PAR_SCALE_IMPL_H

#include <par/scale.h>
#include <par/sync.h>

#include <stdint.h>

struct par__scale_run;

/* What a worker's work hook reports. */
struct par__scale_done {
	int64_t t0, t1; /* CLOCK_MONOTONIC ns: started, ended */
	uint64_t units;
	uint64_t checksum;
};

struct par_scale_workload {
	const char *name, *unit, *about;
	uint64_t sizes[4];   /* units per preset */
	uint64_t granule;    /* units are a multiple of this */
	uint64_t py_divisor; /* python runs units / py_divisor */
	uint64_t expect_max; /* _expect computes up to this many units */
	int (*prepare)(struct par__scale_run *r);
	int (*setup)(struct par__scale_run *r, unsigned worker);
	int (*work)(struct par__scale_run *r, unsigned chunk, unsigned worker,
		    struct par__scale_done *d);
	void (*teardown)(struct par__scale_run *r, unsigned worker);
	int (*verify)(struct par__scale_run *r, uint64_t *checksum);
	void (*release)(struct par__scale_run *r);
	uint64_t (*expect)(uint64_t units);
};

/* One repetition; allocated before the pool so forked workers inherit it
 * (pointers stay valid: same addresses after fork). */
struct par__scale_run {
	const struct par_scale_workload *w;
	unsigned workers;
	uint64_t units;
	struct par_barrier *bar;   /* all workers; starts every round */
	struct par_scale_gil *gil; /* threads-gil only, else NULL */
	int64_t wait_ns;	   /* longest barrier wait */
	void *shared;		   /* the workload's, made by prepare: inherited by workers */
	void **local;		   /* per worker index; each worker sets its own slot */
};

/* Chunk i's share of total split into n parts (the first total % n get one
 * more), and where it starts. */
static inline uint64_t par__scale_share(uint64_t total, unsigned n, unsigned i, uint64_t *first)
{
	uint64_t q = total / n, rem = total % n;

	if (first != NULL)
		*first = q * i + (i < rem ? i : rem);
	return q + (i < rem ? 1 : 0);
}

/* Under threads-gil, give the GIL up when asked; cheap otherwise. */
static inline void par__scale_tick(struct par__scale_run *r)
{
	if (r->gil != NULL)
		par_scale_gil_check(r->gil);
}

extern const struct par_scale_workload par__scale_compute;
extern const struct par_scale_workload par__scale_memory;
extern const struct par_scale_workload par__scale_queue;
extern const struct par_scale_workload par__scale_counter;
extern const struct par_scale_workload par__scale_counter_local;

/* The compute hash (also in scale.py). */
static inline uint32_t par__scale_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/* Compute's block size: a block is one dependent chain. */
#define PAR__SCALE_BLOCK 4096u

/* Sum over the blocks [b0, b1) of each block's final chain value. */
uint64_t par__scale_compute_blocks(uint64_t b0, uint64_t b1, struct par__scale_run *r);

/* Python modes (python.c). */
int par__scale_python(const struct par_scale_workload *w, enum par_scale_mode mode,
		      unsigned workers, const struct par_scale_opts *o,
		      struct par_scale_point *out);

/* The point's statistics from its rep[] (stats.c). */
void par__scale_summarise(struct par_scale_point *p);

/* Options with defaults filled in (workload.c). 0 or -EINVAL. */
int par__scale_resolve(const struct par_scale_opts *in, struct par_scale_opts *o);

/* JSON reading (json.c): a cursor over a buffer. */
struct par__json {
	const char *p, *end;
};

/* Each returns 0 or -EPROTO and moves past what it read. */
int par__json_lit(struct par__json *j, char c); /* the next non-blank char is c */
int par__json_peek(struct par__json *j);	/* next non-blank char, or -1 */
int par__json_string(struct par__json *j, char *buf, size_t cap);
int par__json_double(struct par__json *j, double *out);
int par__json_u64(struct par__json *j, uint64_t *out);
int par__json_skip(struct par__json *j); /* any value */

#endif /* PAR_SCALE_IMPL_H */
