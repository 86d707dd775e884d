/* Pool: threads and processes behind one API — results, map, placement,
 * crashes, terminate, close/join. Every case runs for both kinds. */
#include "par_test.h"

#include <par/pool.h>

#include <sched.h>
#include <stdatomic.h>

static int square(const void *arg, size_t len, struct par_task_out *out)
{
	int64_t x;

	if (len != sizeof(x))
		return -EINVAL;
	memcpy(&x, arg, sizeof(x));
	x *= x;
	return par_task_out_set(out, &x, sizeof(x));
}

static struct par_pool *make(enum par_pool_kind kind, unsigned workers)
{
	struct par_pool_opts o;
	struct par_pool *p = NULL;

	par_pool_opts_init(&o);
	o.kind = kind;
	o.workers = workers;
	assert_int_equal(par_pool_create(&o, &p), 0);
	assert_int_equal(par_pool_kind(p), kind);
	return p;
}

static int64_t result_i64(struct par_future *f)
{
	size_t len = 0;
	int64_t v;
	const void *r = par_future_result(f, &len);

	assert_non_null(r);
	assert_int_equal(len, sizeof(v));
	memcpy(&v, r, sizeof(v));
	return v;
}

#define MANY 100000

static void many_tasks(enum par_pool_kind kind)
{
	struct par_pool *p = make(kind, 2);
	struct par_future **f = calloc(MANY, sizeof(*f));

	for (int64_t i = 0; i < MANY; i++)
		assert_int_equal(par_pool_submit(p, square, &i, sizeof(i), &f[i]), 0);
	for (int64_t i = 0; i < MANY; i++) {
		assert_int_equal(par_future_wait(f[i], 60 * PAR_TEST_SEC), 0);
		assert_int_equal(par_future_status(f[i]), 0);
		assert_true(result_i64(f[i]) == i * i);
		par_future_destroy(f[i]);
	}
	struct par_pool_stats st;
	assert_int_equal(par_pool_get_stats(p, &st), 0);
	assert_true(st.submitted == MANY && st.completed == MANY && st.crashed == 0);
	assert_int_equal(par_pool_close(p), 0);
	assert_int_equal(par_pool_join(p, 30 * PAR_TEST_SEC), 0);
	assert_int_equal(par_pool_destroy(p), 0);
	free(f);
}

static void many_tasks_threads(void **s)
{
	(void)s;
	many_tasks(PAR_POOL_THREADS);
}

static void many_tasks_processes(void **s)
{
	(void)s;
	many_tasks(PAR_POOL_PROCESSES);
}

/* map over n inputs (i as int64) with a chunk size, checking order. */
static void map_case(struct par_pool *p, size_t n, size_t chunk)
{
	struct par_map_in *in = calloc(n + 1, sizeof(*in));
	int64_t *vals = calloc(n + 1, sizeof(*vals));
	struct par_map_out *out = (void *)1;

	for (size_t i = 0; i < n; i++) {
		vals[i] = (int64_t)i - 7;
		in[i] = (struct par_map_in){ &vals[i], sizeof(vals[i]) };
	}
	assert_int_equal(par_pool_map(p, square, in, n, chunk, 60 * PAR_TEST_SEC, &out), 0);
	if (n == 0)
		assert_null(out);
	for (size_t i = 0; i < n; i++) {
		int64_t v;
		assert_int_equal(out[i].status, 0);
		assert_int_equal(out[i].len, sizeof(v));
		memcpy(&v, out[i].data, sizeof(v));
		assert_true(v == vals[i] * vals[i]);
	}
	par_map_free(out, n);
	free(in);
	free(vals);
}

static void map_sizes(enum par_pool_kind kind)
{
	static const size_t chunks[] = { 0, 1, 3, 7, 1000, 4000 };
	struct par_pool *p = make(kind, 2);

	map_case(p, 0, 0);
	for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		map_case(p, 1, chunks[c]);
		map_case(p, 10007, chunks[c]);
	}
	/* 6000 inputs of 8 bytes in one chunk do not fit the 64 KiB arg_max */
	struct par_map_in in[6000];
	int64_t zero = 0;
	struct par_map_out *out = NULL;
	for (int i = 0; i < 6000; i++)
		in[i] = (struct par_map_in){ &zero, sizeof(zero) };
	struct par_pool_stats before, after;
	par_pool_get_stats(p, &before);
	assert_int_equal(par_pool_map(p, square, in, 6000, 6000, PAR_TEST_SEC, &out), -EMSGSIZE);
	assert_null(out);
	par_pool_get_stats(p, &after);
	assert_true(after.submitted == before.submitted); /* nothing was sent */
	par_pool_destroy(p);
}

/* (v % 3) copies of v: results of 0, 8 and 16 bytes, side by side in a
 * chunk's block; a negative v fails with status v. */
static int copies(const void *arg, size_t len, struct par_task_out *out)
{
	int64_t v, r[2];

	if (len != sizeof(v))
		return -EINVAL;
	memcpy(&v, arg, sizeof(v));
	if (v < 0)
		return (int)v;
	r[0] = r[1] = v;
	return par_task_out_set(out, r, (size_t)(v % 3) * sizeof(v));
}

/* Each result has its own length, NULL data when empty, 16-byte aligned
 * data otherwise, and its status; failures in a chunk leave the others. */
static void map_result_shapes(enum par_pool_kind kind)
{
	enum { N = 3001 };
	struct par_pool *p = make(kind, 2);
	static struct par_map_in in[N];
	static int64_t vals[N];
	struct par_map_out *out = NULL;

	for (int i = 0; i < N; i++) {
		vals[i] = i % 100 == 99 ? -(i % 7 + 1) : i;
		in[i] = (struct par_map_in){ &vals[i], sizeof(vals[i]) };
	}
	assert_int_equal(par_pool_map(p, copies, in, N, 37, 60 * PAR_TEST_SEC, &out), 0);
	for (int i = 0; i < N; i++) {
		int64_t v = vals[i], got[2];
		if (v < 0) {
			assert_int_equal(out[i].status, (int)v);
			assert_int_equal(out[i].len, 0);
			assert_null(out[i].data);
			continue;
		}
		assert_int_equal(out[i].status, 0);
		assert_int_equal(out[i].len, (size_t)(v % 3) * sizeof(v));
		if (out[i].len == 0) {
			assert_null(out[i].data);
			continue;
		}
		assert_int_equal((uintptr_t)out[i].data % 16, 0);
		memcpy(got, out[i].data, out[i].len);
		for (size_t k = 0; k < out[i].len / sizeof(v); k++)
			assert_true(got[k] == v);
	}
	par_map_free(out, N);
	par_map_free(NULL, 0);
	par_pool_destroy(p);
}

static void map_threads(void **s)
{
	(void)s;
	map_sizes(PAR_POOL_THREADS);
	map_result_shapes(PAR_POOL_THREADS);
}

static void map_processes(void **s)
{
	(void)s;
	map_sizes(PAR_POOL_PROCESSES);
	map_result_shapes(PAR_POOL_PROCESSES);
}

/* ---- placement ---------------------------------------------------------- */

struct where {
	int worker, cpu, numa, ncpus;
	int cpus[8];
};

static int report_where(const void *arg, size_t len, struct par_task_out *out)
{
	struct par_self_info me;
	struct where w = { 0 };
	cpu_set_t set;

	(void)arg;
	(void)len;
	if (par_self(&me) != 0 || sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	w.worker = (int)me.worker;
	w.cpu = me.cpu;
	w.numa = me.numa_node;
	for (int c = 0; c < CPU_SETSIZE && w.ncpus < 8; c++)
		if (CPU_ISSET(c, &set))
			w.cpus[w.ncpus++] = c;
	par_sleep_ns(2 * PAR_TEST_MS); /* let every worker take some */
	return par_task_out_set(out, &w, sizeof(w));
}

/* Each report matches the plan for its worker: the affinity mask is exactly
 * the plan's CPUs, and the reported CPU is one of them. */
static void placement(enum par_pool_kind kind, enum par_place_policy pol)
{
	struct par_topo *t = NULL;
	struct par_plan *plan = NULL;
	struct par_pool_opts o;
	struct par_pool *p = NULL;
	struct par_future *f[64];
	int want[8];

	assert_int_equal(par_topo_load(&t), 0);
	unsigned n = (unsigned)par_topo_count(t, PAR_TOPO_CORE);
	assert_int_equal(par_topo_plan(t, n, pol, &plan), 0);
	par_pool_opts_init(&o);
	o.kind = kind;
	o.policy = pol;
	assert_int_equal(par_pool_create(&o, &p), 0);
	assert_int_equal(par_pool_workers(p), n); /* default: one per allowed core */
	for (int i = 0; i < 64; i++)
		assert_int_equal(par_pool_submit(p, report_where, NULL, 0, &f[i]), 0);
	for (int i = 0; i < 64; i++) {
		struct where w;
		size_t len;
		assert_int_equal(par_future_wait(f[i], 30 * PAR_TEST_SEC), 0);
		assert_int_equal(par_future_status(f[i]), 0);
		memcpy(&w, par_future_result(f[i], &len), sizeof(w));
		assert_true(w.worker >= 0 && (unsigned)w.worker < n);
		int k = par_plan_cpus(plan, (unsigned)w.worker, want, 8);
		assert_int_equal(w.ncpus, k);
		assert_memory_equal(w.cpus, want, sizeof(int) * (size_t)k);
		int on = 0;
		for (int c = 0; c < k; c++)
			on |= w.cpu == want[c];
		assert_true(on);
		assert_int_equal(w.numa, par_plan_numa(plan, (unsigned)w.worker));
		par_future_destroy(f[i]);
	}
	par_pool_destroy(p);
	par_plan_destroy(plan);
	par_topo_destroy(t);
}

static void placement_threads(void **s)
{
	(void)s;
	placement(PAR_POOL_THREADS, PAR_PLACE_COMPACT);
	placement(PAR_POOL_THREADS, PAR_PLACE_NUMA);
}

static void placement_processes(void **s)
{
	(void)s;
	placement(PAR_POOL_PROCESSES, PAR_PLACE_SCATTER);
	placement(PAR_POOL_PROCESSES, PAR_PLACE_NONE);
}

static void self_outside_a_worker(void **s)
{
	struct par_self_info me;

	(void)s;
	assert_int_equal(par_self(&me), -ESRCH);
	assert_int_equal(par_self(NULL), -EINVAL);
}

/* ---- crashes (process workers) -------------------------------------------- */

static _Atomic int *victim_pid; /* shared with the workers (MAP_SHARED) */

static int hang_and_report(const void *arg, size_t len, struct par_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	atomic_store(victim_pid, (int)getpid());
	par_sleep_ns(60 * PAR_TEST_SEC); /* until killed */
	return 0;
}

static int segfault(const void *arg, size_t len, struct par_task_out *out)
{
	(void)arg;
	(void)len;
	(void)out;
	raise(SIGSEGV);
	return 0;
}

/* Submit 20 squares, then the bad task, then 20 more; all squares complete,
 * the bad one fails -EOWNERDEAD, and one worker was replaced. */
static void crash_case(par_task_fn bad, int kill_it)
{
	struct par_pool *p = make(PAR_POOL_PROCESSES, 2);
	struct par_future *f[41];

	for (int64_t i = 0; i < 41; i++) {
		par_task_fn fn = i == 20 ? bad : square;
		assert_int_equal(par_pool_submit(p, fn, &i, sizeof(i), &f[i]), 0);
	}
	if (kill_it) {
		int64_t deadline = par_deadline(30 * PAR_TEST_SEC);
		while (atomic_load(victim_pid) == 0 && par_now_ns() < deadline)
			par_sleep_ns(PAR_TEST_MS);
		assert_true(atomic_load(victim_pid) > 0);
		assert_int_equal(kill(atomic_load(victim_pid), SIGKILL), 0);
	}
	for (int64_t i = 0; i < 41; i++) {
		assert_int_equal(par_future_wait(f[i], 30 * PAR_TEST_SEC), 0);
		if (i == 20) {
			assert_int_equal(par_future_status(f[i]), -EOWNERDEAD);
			assert_null(par_future_result(f[i], NULL));
		} else {
			assert_int_equal(par_future_status(f[i]), 0);
			assert_true(result_i64(f[i]) == i * i);
		}
		par_future_destroy(f[i]);
	}
	struct par_pool_stats st;
	par_pool_get_stats(p, &st);
	assert_true(st.crashed == 1 && st.completed == 40 && st.workers_replaced == 1);
	/* the pool goes on with a fresh worker */
	int64_t x = 12;
	struct par_future *g;
	assert_int_equal(par_pool_submit(p, square, &x, sizeof(x), &g), 0);
	assert_int_equal(par_future_wait(g, 30 * PAR_TEST_SEC), 0);
	assert_true(result_i64(g) == 144);
	par_future_destroy(g);
	par_pool_destroy(p);
}

static void sigkill_worker_mid_task(void **s)
{
	(void)s;
	victim_pid = par_test_shared(sizeof(*victim_pid));
	crash_case(hang_and_report, 1);
	par_test_unshare((void *)victim_pid, sizeof(*victim_pid));
}

static void task_that_segfaults(void **s)
{
	(void)s;
	crash_case(segfault, 0);
}

/* ---- ending --------------------------------------------------------------- */

static int nap(const void *arg, size_t len, struct par_task_out *out)
{
	int64_t ns = 0;

	(void)out;
	if (len == sizeof(ns))
		memcpy(&ns, arg, sizeof(ns));
	par_sleep_ns(ns);
	return 7;
}

/* Sleeps for the argument's ns, then answers the worker it ran on. */
static int nap_where(const void *arg, size_t len, struct par_task_out *out)
{
	struct par_self_info me;
	int64_t ns = 0, w;

	if (len == sizeof(ns))
		memcpy(&ns, arg, sizeof(ns));
	par_sleep_ns(ns);
	if (par_self(&me) != 0)
		return -ESRCH;
	w = me.worker;
	return par_task_out_set(out, &w, sizeof(w));
}

/* A long task, a short one, a long one on 2 workers: the third is not
 * queued behind the first, it goes to the worker the short one frees. */
static void free_worker_takes_the_next_task(enum par_pool_kind kind)
{
	struct par_pool *p = make(kind, 2);
	int64_t ns[3] = { 600 * PAR_TEST_MS, 20 * PAR_TEST_MS, 600 * PAR_TEST_MS };
	struct par_future *f[3];

	par_sleep_ns(20 * PAR_TEST_MS); /* the workers are up */
	for (int i = 0; i < 3; i++)
		assert_int_equal(par_pool_submit(p, nap_where, &ns[i], sizeof(ns[i]), &f[i]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(par_future_wait(f[i], 30 * PAR_TEST_SEC), 0);
	assert_true(result_i64(f[0]) != result_i64(f[1]));
	assert_true(result_i64(f[2]) == result_i64(f[1]));
	for (int i = 0; i < 3; i++)
		par_future_destroy(f[i]);
	assert_int_equal(par_pool_destroy(p), 0);
}

static void free_worker_threads(void **s)
{
	(void)s;
	free_worker_takes_the_next_task(PAR_POOL_THREADS);
}

static void free_worker_processes(void **s)
{
	(void)s;
	free_worker_takes_the_next_task(PAR_POOL_PROCESSES);
}

/* terminate with 10,000 queued: every future resolves promptly, each either
 * ran (7) or was cancelled, and the counts add up. */
static void terminate_pending(enum par_pool_kind kind)
{
	enum { N = 10000 };
	struct par_pool_opts o;
	struct par_pool *p = NULL;
	par_pool_opts_init(&o);
	o.kind = kind;
	o.workers = 2;
	o.queue_capacity = 16384; /* room for all 10,000 to be pending */
	assert_int_equal(par_pool_create(&o, &p), 0);
	struct par_future **f = calloc(N, sizeof(*f));
	int64_t ns = 200 * 1000; /* 0.2 ms each: far from done when we stop */
	int ran = 0, cancelled = 0;

	for (int i = 0; i < N; i++)
		assert_int_equal(par_pool_submit(p, nap, &ns, sizeof(ns), &f[i]), 0);
	assert_int_equal(par_pool_terminate(p), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(par_future_wait(f[i], 30 * PAR_TEST_SEC), 0);
		int st = par_future_status(f[i]);
		assert_true(st == 7 || st == -ECANCELED);
		ran += st == 7;
		cancelled += st == -ECANCELED;
		par_future_destroy(f[i]);
	}
	assert_true(cancelled > N / 2);
	struct par_pool_stats st;
	par_pool_get_stats(p, &st);
	assert_true(st.completed == (uint64_t)ran && st.cancelled == (uint64_t)cancelled);
	int64_t x = 1;
	struct par_future *g;
	assert_int_equal(par_pool_submit(p, square, &x, sizeof(x), &g), -EPIPE);
	assert_int_equal(par_pool_join(p, 30 * PAR_TEST_SEC), 0);
	par_pool_destroy(p);
	free(f);
}

static void terminate_threads(void **s)
{
	(void)s;
	terminate_pending(PAR_POOL_THREADS);
}

static void terminate_processes(void **s)
{
	(void)s;
	terminate_pending(PAR_POOL_PROCESSES);
}

/* close: later submits fail -EPIPE, queued tasks still run; join waits for
 * them, and a join shorter than the work times out. */
static void close_and_join(enum par_pool_kind kind)
{
	struct par_pool *p = make(kind, 2);
	struct par_future *f[4], *g;
	int64_t ns = 300 * PAR_TEST_MS, x = 3;

	assert_int_equal(par_pool_join(p, 0), -EINVAL); /* not closed yet */
	for (int i = 0; i < 4; i++)
		assert_int_equal(par_pool_submit(p, nap, &ns, sizeof(ns), &f[i]), 0);
	assert_int_equal(par_pool_close(p), 0);
	assert_int_equal(par_pool_submit(p, square, &x, sizeof(x), &g), -EPIPE);
	int64_t t0 = par_now_ns();
	assert_int_equal(par_pool_join(p, 50 * PAR_TEST_MS), -ETIMEDOUT);
	assert_true(par_now_ns() - t0 >= 50 * PAR_TEST_MS);
	assert_int_equal(par_pool_join(p, 30 * PAR_TEST_SEC), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(par_future_wait(f[i], 0), 0); /* resolved before join returned */
		assert_int_equal(par_future_status(f[i]), 7);
		par_future_destroy(f[i]);
	}
	par_pool_destroy(p);
}

static void close_join_threads(void **s)
{
	(void)s;
	close_and_join(PAR_POOL_THREADS);
}

static void close_join_processes(void **s)
{
	(void)s;
	close_and_join(PAR_POOL_PROCESSES);
}

static int big_result(const void *arg, size_t len, struct par_task_out *out)
{
	static char big[128 * 1024];

	(void)arg;
	(void)len;
	return par_task_out_set(out, big, sizeof(big));
}

/* Bad input: too-large argument, a result that does not fit, bad options,
 * a future waited with timeout 0, and a future dropped before it resolves. */
static void limits_and_errors(void **s)
{
	struct par_pool_opts o;
	struct par_pool *p = NULL;
	struct par_future *f = NULL;
	static char arg[65 * 1024];
	int64_t ns = 100 * PAR_TEST_MS;

	(void)s;
	par_pool_opts_init(&o);
	o.queue_capacity = 1000; /* not a power of two */
	assert_int_equal(par_pool_create(&o, &p), -EINVAL);
	par_pool_opts_init(&o);
	o.kind = (enum par_pool_kind)5;
	assert_int_equal(par_pool_create(&o, &p), -EINVAL);
	p = make(PAR_POOL_PROCESSES, 1);
	assert_int_equal(par_pool_submit(p, square, arg, sizeof(arg), &f), -EMSGSIZE);
	assert_int_equal(par_pool_submit(p, NULL, NULL, 0, &f), -EINVAL);
	assert_int_equal(par_pool_submit(p, big_result, NULL, 0, &f), 0);
	assert_int_equal(par_future_wait(f, 30 * PAR_TEST_SEC), 0);
	assert_int_equal(par_future_status(f), -EMSGSIZE);
	par_future_destroy(f);
	assert_int_equal(par_pool_submit(p, nap, &ns, sizeof(ns), &f), 0);
	assert_int_equal(par_future_wait(f, 0), -EAGAIN);
	assert_int_equal(par_future_status(f), -EAGAIN);
	assert_int_equal(par_future_done(f), 0);
	par_future_destroy(f); /* before it resolves: the result is dropped */
	par_pool_destroy(p);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(many_tasks_threads),	 cmocka_unit_test(many_tasks_processes),
	cmocka_unit_test(map_threads),		 cmocka_unit_test(map_processes),
	cmocka_unit_test(placement_threads),	 cmocka_unit_test(placement_processes),
	cmocka_unit_test(self_outside_a_worker), cmocka_unit_test(sigkill_worker_mid_task),
	cmocka_unit_test(task_that_segfaults),	 cmocka_unit_test(terminate_threads),
	cmocka_unit_test(terminate_processes),	 cmocka_unit_test(close_join_threads),
	cmocka_unit_test(close_join_processes),	 cmocka_unit_test(limits_and_errors),
	cmocka_unit_test(free_worker_threads),	 cmocka_unit_test(free_worker_processes),
};

PAR_TEST_MAIN(tests)
