/*
 * par/scale.h — the scaling profiler behind par-scale: how a workload scales
 * over 1..N workers as par threads, par processes, threads under an emulated
 * global interpreter lock, and Python's threading and multiprocessing.
 *
 * A point is one (workload, mode, workers) measured over several repetitions.
 * Each repetition of a par mode builds a fresh Pool and splits its time in
 * three:
 *  - start-up: pool creation plus a first task on every worker (the
 *    workload's per-worker set-up: nothing for compute, allocating and
 *    first-touching the worker's arrays for memory);
 *  - transfer: a round of empty tasks, one per worker, with the same argument
 *    and result sizes as the work: what the pool's dispatch costs;
 *  - work: from the first worker starting its share to the last one ending it,
 *    as the workers' own CLOCK_MONOTONIC stamps say.
 * Every round starts with a barrier of all workers, so each worker takes
 * exactly one task of a round and the fixed total work is split evenly.
 * Throughput is units of work per second of work; the point keeps the median
 * of the repetitions and their spread. Python modes run bench/python/scale.py
 * (path given in the options), which measures the same three parts with
 * multiprocessing.pool.Pool / ThreadPool and prints JSON.
 *
 * Workloads (par_scale_workload_find):
 *  - compute: an integer hash chain (blocks of 4096 steps of a 32-bit
 *    multiply-xorshift hash), no shared data; unit: hashes.
 *  - memory: each worker runs a STREAM triad a = b + s*c over its own arrays;
 *    unit: bytes (24 per element and pass, as STREAM counts).
 *  - queue: producer/consumer pairs passing 64-byte messages through par
 *    Queues (with an odd worker count the last worker puts and gets its own);
 *    unit: messages.
 *  - counter: every worker adds 1 to one shared Value under its par Lock;
 *    counter-local: the same with one Value per worker, summed at the end
 *    (contention versus partitioning); unit: increments.
 * The same algorithms are in scale.py; Python runs fewer units
 * (par_scale_workload_python_units), so its throughput is per unit of the same
 * work, only slower.
 *
 * The library never prints; progress goes to a callback. Functions are
 * thread-safe except that one point runs at a time per process (each builds
 * and destroys its own pools; process pools fork).
 */
#ifndef PAR_SCALE_H
#define PAR_SCALE_H

#include <par/core.h>
#include <par/topo.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- modes ----------------------------------------------------------------- */

enum par_scale_mode {
	PAR_SCALE_THREADS = 0,	    /* "threads": par Pool of threads */
	PAR_SCALE_PROCESSES,	    /* "processes": par Pool of processes */
	PAR_SCALE_THREADS_GIL,	    /* "threads-gil": threads under an emulated GIL */
	PAR_SCALE_PYTHON_THREADS,   /* "python-threads": ThreadPool in python3 */
	PAR_SCALE_PYTHON_PROCESSES, /* "python-processes": multiprocessing Pool */
};
#define PAR_SCALE_MODES 5

/* Mode by name; -EINVAL otherwise. */
PAR_API int par_scale_mode_parse(const char *name, enum par_scale_mode *out);
/* The name, or "?" for a bad mode. */
PAR_API const char *par_scale_mode_name(enum par_scale_mode m);
/* 1 for the python-* modes, else 0. */
PAR_API int par_scale_mode_is_python(enum par_scale_mode m);

/* ---- workloads --------------------------------------------------------------- */

enum par_scale_size {
	PAR_SCALE_TINY = 0, /* milliseconds: tests */
	PAR_SCALE_SMALL,
	PAR_SCALE_DEFAULT, /* a few tenths of a second per point at 1 worker */
	PAR_SCALE_LARGE,
};

/* "tiny", "small", "default", "large"; -EINVAL otherwise. */
PAR_API int par_scale_size_parse(const char *name, enum par_scale_size *out);
PAR_API const char *par_scale_size_name(enum par_scale_size s);

/* A workload: static, never freed. */
struct par_scale_workload;

/* By name ("compute", "memory", "queue", "counter", "counter-local"); NULL
 * when there is none. */
PAR_API const struct par_scale_workload *par_scale_workload_find(const char *name);
/* The i-th workload, i = 0, 1, ...; NULL past the last. */
PAR_API const struct par_scale_workload *par_scale_workload_at(unsigned i);

PAR_API const char *par_scale_workload_name(const struct par_scale_workload *w);
/* What one unit of work is ("hashes", "bytes", "messages", "increments"). */
PAR_API const char *par_scale_workload_unit(const struct par_scale_workload *w);
/* One line saying what the workload does. */
PAR_API const char *par_scale_workload_about(const struct par_scale_workload *w);

/* Units of work per repetition at a size preset (0 for a bad preset). */
PAR_API uint64_t par_scale_workload_units(const struct par_scale_workload *w,
					  enum par_scale_size s);
/* The units a run really does when asked for units (rounded to the
 * workload's granule, at least one granule). */
PAR_API uint64_t par_scale_workload_round(const struct par_scale_workload *w, uint64_t units);
/* Units the Python script runs in place of units (Python is 30-300x slower
 * per unit, depending on the workload). */
PAR_API uint64_t par_scale_workload_python_units(const struct par_scale_workload *w,
						 uint64_t units);
/* The checksum a correct run of units must give, where it is cheap to know
 * (0 and *out), else -ENOSYS (compute beyond 2^24 units). */
PAR_API int par_scale_workload_expect(const struct par_scale_workload *w, uint64_t units,
				      uint64_t *out);

/* ---- the GIL emulation ------------------------------------------------------- */
/*
 * A global lock that a thread holds while it computes and hands over at a
 * switch interval, as CPython 3.2+'s "new GIL" does: a thread that has waited
 * for the interval without the lock changing hands sets a drop request; the
 * holder, at its next par_scale_gil_check(), releases and queues again. The
 * lock is a ticket lock (waiters are served in arrival order, so a holder
 * that drops it always lets a waiter in first: forced switching) sleeping on
 * a futex. Threads of one process only.
 */
struct par_scale_gil;

/* interval_ns > 0 (CPython's default is 5 ms). 0, -EINVAL, -ENOMEM. */
PAR_API int par_scale_gil_create(int64_t interval_ns, struct par_scale_gil **out);
PAR_API void par_scale_gil_destroy(struct par_scale_gil *g);
/* Take the lock, waiting as long as it takes. 0 or -EINVAL. */
PAR_API int par_scale_gil_acquire(struct par_scale_gil *g);
/* Give it up (the caller must hold it). 0 or -EINVAL. */
PAR_API int par_scale_gil_release(struct par_scale_gil *g);
/* Called by the holder every little while: hands the lock over when a waiter
 * asked for it, then takes it back in turn. 1 when it switched, else 0. */
PAR_API int par_scale_gil_check(struct par_scale_gil *g);
/* Forced hand-overs so far. */
PAR_API uint64_t par_scale_gil_switches(const struct par_scale_gil *g);

/* ---- statistics -------------------------------------------------------------- */

struct par_scale_stat {
	double median, min, max;
};

/* Median (mean of the middle two for even n), min and max of v[0..n).
 * 0, or -EINVAL for n == 0. v is not changed. */
PAR_API int par_scale_stat_of(const double *v, unsigned n, struct par_scale_stat *out);

/* ---- measuring ------------------------------------------------------------------ */

#define PAR_SCALE_MAX_REPS 32

struct par_scale_rep {
	double startup_s;      /* pool creation + set-up task on every worker */
	double transfer_s;     /* a round of empty tasks of the same sizes */
	double work_s;	       /* first worker start to last worker end */
	uint64_t units;	       /* work done (the workers' own count) */
	uint64_t checksum;     /* the workload's result (see _expect) */
	uint64_t gil_switches; /* threads-gil: forced hand-overs */
};

struct par_scale_point {
	const struct par_scale_workload *workload;
	enum par_scale_mode mode;
	unsigned workers;
	unsigned reps;	   /* repetitions in rep[] */
	int status;	   /* 0; -ENOENT: skipped (python3 or script absent);
			      else what failed */
	char note[160];	   /* why skipped or failed; "" when fine */
	char runtime[32];  /* "par 0.1.0", "python 3.11.7" */
	uint64_t units;	   /* per repetition */
	uint64_t checksum; /* of the first repetition (all agree) */
	struct par_scale_rep rep[PAR_SCALE_MAX_REPS];
	struct par_scale_stat startup, transfer, work; /* seconds */
	struct par_scale_stat throughput;	       /* units per second */
	double spread;				       /* (max - min) / median throughput */
	double speedup;	   /* median throughput over that of 1 worker, same
			      workload and mode; 0 when unknown */
	double efficiency; /* speedup / workers */
};

/* Where a sweep stands, for a progress line. */
struct par_scale_progress {
	size_t point, points; /* this point's index, 0-based, of points */
	unsigned rep, reps;   /* repetition starting now, 0-based (python: 0) */
	const char *workload;
	enum par_scale_mode mode;
	unsigned workers;
};

typedef void (*par_scale_progress_fn)(void *arg, const struct par_scale_progress *p);

struct par_scale_opts {
	size_t size;			/* sizeof(struct par_scale_opts); set by opts_init */
	unsigned reps;			/* repetitions per point, 1..PAR_SCALE_MAX_REPS; 3 */
	enum par_scale_size preset;	/* PAR_SCALE_DEFAULT */
	uint64_t units;			/* 0: the preset's units for each workload */
	enum par_place_policy policy;	/* worker placement; PAR_PLACE_COMPACT */
	const char *topology;		/* par_topo_load_spec(); NULL: this machine */
	int64_t gil_interval_ns;	/* threads-gil switch interval; 5 ms */
	const char *python;		/* interpreter (PATH searched); "python3" */
	const char *python_script;	/* scale.py's path; NULL: use python_code */
	int64_t timeout_ns;		/* longest wait (a barrier, a task, python); 600 s */
	par_scale_progress_fn progress; /* NULL: none */
	void *progress_arg;
	const char *python_code; /* scale.py's text, run with "python -c" when
				    python_script is NULL (a binary that carries
				    its own copy); both NULL: python modes are
				    skipped */
};

PAR_API void par_scale_opts_init(struct par_scale_opts *o);

/* Measure one point into *out (opts NULL: defaults). Returns out->status:
 * 0; -ENOENT when a python mode cannot run (python3 or the script absent:
 * out->note says which); -EINVAL (bad arguments); -ETIMEDOUT; -EPROTO (a
 * wrong result or unreadable Python output); or what the pool returned.
 * speedup and efficiency are left 0 (par_scale_speedups fills them). */
PAR_API int par_scale_run(const struct par_scale_workload *w, enum par_scale_mode mode,
			  unsigned workers, const struct par_scale_opts *opts,
			  struct par_scale_point *out);

/* Every workload x mode x worker count, in that nesting order, then
 * par_scale_speedups. 0 and *out (nw * nm * nk points, malloc'd; free()
 * it), each with its own status; -EINVAL, -ENOMEM. */
PAR_API int par_scale_sweep(const struct par_scale_workload *const *w, unsigned nw,
			    const enum par_scale_mode *modes, unsigned nm, const unsigned *workers,
			    unsigned nk, const struct par_scale_opts *opts,
			    struct par_scale_point **out);

/* Fill speedup and efficiency of every successful point from the 1-worker
 * point of the same workload and mode (left 0 where there is none). */
PAR_API void par_scale_speedups(struct par_scale_point *pts, size_t n);

/* Fill a point from scale.py's JSON output: runtime, units, checksum, reps and
 * the statistics. 0, or -EPROTO (not the expected JSON). Used by python modes;
 * public so tests can feed it canned output. */
PAR_API int par_scale_python_parse(const char *json, size_t len, struct par_scale_point *out);

/* ---- the machine ------------------------------------------------------------------ */

struct par_scale_machine {
	char cpu_model[128]; /* /proc/cpuinfo "model name" (or a fallback) */
	char kernel[128];    /* "Linux 6.1.0 x86_64" (uname) */
	char hostname[64];
	char topology[160];		      /* "1 package, 1 NUMA node, 2 cores, 2 PUs" */
	char cpus[128];			      /* allowed CPUs, "0-3,8" */
	int packages, numa_nodes, cores, pus; /* allowed ones */
	int this_machine;		      /* the topology is the one we run on */
};

/* Describe the machine (topology as par_topo_load_spec). 0, or the
 * topology's load error. */
PAR_API int par_scale_machine_get(const char *topology, struct par_scale_machine *out);

#ifdef __cplusplus
}
#endif

#endif /* PAR_SCALE_H */
