// Pool benchmarks: tasks per second through par's Pool (threads and
// processes) for empty tasks and 64-byte argument/result round trips, map
// with chunks of 1000, and an OpenMP parallel-for over the same work, all in
// this run. bench/python/pool_baseline.py measures Python's Pool beside it.
// Each iteration submits a batch and waits for every result, so the rate is
// end to end. Pools use the machine's default: one worker per allowed core.
#include "probe.h"

#include <par/pool.h>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <vector>

static int empty_task(const void *, size_t, struct par_task_out *)
{
	return 0;
}

static int echo64(const void *arg, size_t len, struct par_task_out *out)
{
	return par_task_out_set(out, arg, len);
}

// Map work per 8-byte input. light: a little arithmetic, the same as
// bench/python/pool_baseline.py's (what Python's chunked map is measured on);
// heavy: 256 rounds of an integer hash (well under a microsecond), run by the
// pool and by OpenMP alike, so that comparison is about handing out chunks.
static inline int64_t light_work(int64_t x)
{
	return x * x + 3;
}

static inline int64_t heavy_work(int64_t x)
{
	uint64_t h = (uint64_t)x;
	for (int i = 0; i < 256; i++) {
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdULL;
	}
	return (int64_t)h;
}

template <int64_t (*work)(int64_t)>
static int map_task(const void *arg, size_t len, struct par_task_out *out)
{
	int64_t x;
	if (len != sizeof(x))
		return -1;
	std::memcpy(&x, arg, sizeof(x));
	x = work(x);
	return par_task_out_set(out, &x, sizeof(x));
}

static struct par_pool *make_pool(enum par_pool_kind kind)
{
	struct par_pool_opts o;
	struct par_pool *p = nullptr;
	par_pool_opts_init(&o);
	o.kind = kind;
	o.queue_capacity = 4096;
	// PAR_BENCH_POOL_WORKERS=N: N workers instead of one per allowed core.
	if (const char *w = getenv("PAR_BENCH_POOL_WORKERS"))
		o.workers = (unsigned)atoi(w);
	return par_pool_create(&o, &p) == 0 ? p : nullptr;
}

// Submit a batch of tasks with arg_len bytes each, wait for all of them.
static void submit_batch(benchmark::State &st, enum par_pool_kind kind, par_task_fn fn,
			 size_t arg_len)
{
	const int batch = 10000;
	struct par_pool *p = make_pool(kind);
	std::vector<struct par_future *> f(batch);
	char arg[64] = { 0 };
	if (p == nullptr) {
		st.SkipWithError("pool");
		return;
	}
	for (auto _ : st) {
		for (int i = 0; i < batch; i++)
			if (par_pool_submit(p, fn, arg, arg_len, &f[i]) != 0)
				st.SkipWithError("submit");
		for (int i = 0; i < batch; i++) {
			if (par_future_wait(f[i], PAR_FOREVER) != 0 || par_future_status(f[i]) != 0)
				st.SkipWithError("task");
			par_future_destroy(f[i]);
		}
	}
	st.SetItemsProcessed(st.iterations() * batch);
	par_pool_destroy(p);
}

static void map_batch(benchmark::State &st, enum par_pool_kind kind, par_task_fn fn)
{
	const size_t n = 100000;
	std::vector<int64_t> vals(n);
	std::vector<struct par_map_in> in(n);
	for (size_t i = 0; i < n; i++)
		in[i] = { &(vals[i] = (int64_t)i), sizeof(int64_t) };
	struct par_pool *p = make_pool(kind);
	if (p == nullptr) {
		st.SkipWithError("pool");
		return;
	}
	for (auto _ : st) {
		struct par_map_out *out = nullptr;
		if (par_pool_map(p, fn, in.data(), n, 1000, PAR_FOREVER, &out) != 0) {
			st.SkipWithError("map");
			break;
		}
		benchmark::DoNotOptimize(out[n - 1].data);
		par_map_free(out, n);
	}
	st.SetItemsProcessed(st.iterations() * (int64_t)n);
	par_pool_destroy(p);
}

static void openmp_for(benchmark::State &st)
{
	const int64_t n = 100000;
	std::vector<int64_t> out(n);
	for (auto _ : st) {
#pragma omp parallel for schedule(dynamic, 1000)
		for (int64_t i = 0; i < n; i++)
			out[i] = heavy_work(i);
		benchmark::DoNotOptimize(out.data());
	}
	st.SetItemsProcessed(st.iterations() * n);
}

BENCHMARK_CAPTURE(submit_batch, threads_empty, PAR_POOL_THREADS, empty_task, 0)
	->Name("par_pool_threads/empty_submit/0")
	->UseRealTime();
BENCHMARK_CAPTURE(submit_batch, procs_empty, PAR_POOL_PROCESSES, empty_task, 0)
	->Name("par_pool_processes/empty_submit/0")
	->UseRealTime();
BENCHMARK_CAPTURE(submit_batch, threads_64, PAR_POOL_THREADS, echo64, 64)
	->Name("par_pool_threads/task_roundtrip/64")
	->UseRealTime();
BENCHMARK_CAPTURE(submit_batch, procs_64, PAR_POOL_PROCESSES, echo64, 64)
	->Name("par_pool_processes/task_roundtrip/64")
	->UseRealTime();
BENCHMARK_CAPTURE(map_batch, threads, PAR_POOL_THREADS, map_task<light_work>)
	->Name("par_pool_threads/map_chunk1000/8")
	->UseRealTime();
BENCHMARK_CAPTURE(map_batch, procs, PAR_POOL_PROCESSES, map_task<light_work>)
	->Name("par_pool_processes/map_chunk1000/8")
	->UseRealTime();
BENCHMARK_CAPTURE(map_batch, threads_heavy, PAR_POOL_THREADS, map_task<heavy_work>)
	->Name("par_pool_threads/map_work_chunk1000/8")
	->UseRealTime();
BENCHMARK_CAPTURE(map_batch, procs_heavy, PAR_POOL_PROCESSES, map_task<heavy_work>)
	->Name("par_pool_processes/map_work_chunk1000/8")
	->UseRealTime();
BENCHMARK(openmp_for)->Name("openmp/map_work_chunk1000/8")->UseRealTime();

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	// The probe pins this thread to one CPU; the submitter of a pool is left
	// free instead (the workers are pinned by the pool's plan), as Python's is.
	cpu_set_t all;
	sched_getaffinity(0, sizeof(all), &all);
	par_bench::add_context();
	pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
