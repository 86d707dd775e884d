// core/ benchmarks: lock, futex hand-off, process/thread/subprocess start-up,
// each beside its baseline in the same run. Names are impl/case/bytes.
// The benchmark thread is pinned to the first allowed CPU, partner threads
// to the second (see the par_cpus context line).
#include "probe.h"

#include <par/par.h>

#include <benchmark/benchmark.h>

#include <atomic>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

// ---- Lock, uncontended --------------------------------------------------

static void par_lock_uncontended(benchmark::State &st)
{
	struct par_lock *l;
	par_lock_create(nullptr, &l);
	for (auto _ : st) {
		par_lock_acquire(l, PAR_FOREVER);
		par_lock_release(l);
	}
	st.SetItemsProcessed(st.iterations());
	par_lock_destroy(l);
}
BENCHMARK(par_lock_uncontended)->Name("par_lock/uncontended/0");

static void pthread_mutex_uncontended(benchmark::State &st)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	for (auto _ : st) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(pthread_mutex_uncontended)->Name("pthread_mutex/uncontended/0");

// The mutex par_lock wraps (robust, process-shared, error-checking), bare.
static void pthread_robust_uncontended(benchmark::State &st)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &a);
	for (auto _ : st) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
	st.SetItemsProcessed(st.iterations());
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}
BENCHMARK(pthread_robust_uncontended)->Name("pthread_robust/uncontended/0");

// ---- Wake-up hand-off between two pinned threads -------------------------

static void par_futex_pingpong(benchmark::State &st)
{
	// The word counts half-trips: odd after a ping, even after a pong;
	// STOP ends the partner. Both sides sleep in the kernel, like the pipe.
	const uint32_t STOP = UINT32_MAX;
	alignas(64) uint32_t word = 0;
	par_bench::cpu_pair cpus = par_bench::pick_cpus();
	std::thread partner([&] {
		par_bench::pin_self(cpus.b);
		for (uint32_t want = 1;; want += 2) {
			uint32_t w;
			// acquire: pairs with the release store of ping (or STOP)
			while ((w = __atomic_load_n(&word, __ATOMIC_ACQUIRE)) != want && w != STOP)
				par_futex_wait(&word, w, PAR_FOREVER);
			if (w == STOP)
				return;
			__atomic_store_n(&word, want + 1, __ATOMIC_RELEASE); // pong
			par_futex_wake(&word, 1);
		}
	});
	uint32_t v = 0;
	for (auto _ : st) {
		__atomic_store_n(&word, ++v, __ATOMIC_RELEASE); // ping
		par_futex_wake(&word, 1);
		++v;
		while (__atomic_load_n(&word, __ATOMIC_ACQUIRE) != v) // pairs with pong
			par_futex_wait(&word, v - 1, PAR_FOREVER);
	}
	__atomic_store_n(&word, STOP, __ATOMIC_RELEASE);
	par_futex_wake(&word, 1);
	partner.join();
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(par_futex_pingpong)->Name("par_futex/pingpong/0")->UseRealTime();

static void pipe_pingpong(benchmark::State &st)
{
	int ab[2], ba[2];
	if (pipe(ab) != 0 || pipe(ba) != 0) {
		st.SkipWithError("pipe");
		return;
	}
	par_bench::cpu_pair cpus = par_bench::pick_cpus();
	std::thread partner([&] {
		par_bench::pin_self(cpus.b);
		char c;
		while (read(ab[0], &c, 1) == 1 && c != 'q')
			if (write(ba[1], &c, 1) != 1)
				return;
	});
	char c = 'p';
	for (auto _ : st)
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			st.SkipWithError("pipe i/o");
	c = 'q';
	if (write(ab[1], &c, 1) != 1)
		st.SkipWithError("pipe i/o");
	partner.join();
	for (int fd : { ab[0], ab[1], ba[0], ba[1] })
		close(fd);
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(pipe_pingpong)->Name("pipe/pingpong/0")->UseRealTime();

// ---- Start-up: process, thread, subprocess -------------------------------

static int nothing(void *)
{
	return 0;
}

static void par_process_start_join(benchmark::State &st)
{
	for (auto _ : st) {
		struct par_process *p;
		par_process_start(nothing, nullptr, nullptr, &p);
		par_process_join(p, PAR_FOREVER, nullptr);
		par_process_destroy(p);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(par_process_start_join)->Name("par_process/process_start_join/0")->UseRealTime();

static void fork_start_join(benchmark::State &st)
{
	for (auto _ : st) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, nullptr, 0);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(fork_start_join)->Name("fork/process_start_join/0")->UseRealTime();

static void par_thread_start_join(benchmark::State &st)
{
	for (auto _ : st) {
		struct par_thread *t;
		par_thread_start(nothing, nullptr, nullptr, &t);
		par_thread_join(t, PAR_FOREVER, nullptr);
		par_thread_destroy(t);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(par_thread_start_join)->Name("par_thread/thread_start_join/0")->UseRealTime();

static void *pnothing(void *)
{
	return nullptr;
}

static void pthread_start_join(benchmark::State &st)
{
	for (auto _ : st) {
		pthread_t t;
		pthread_create(&t, nullptr, pnothing, nullptr);
		pthread_join(t, nullptr);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(pthread_start_join)->Name("pthread/thread_start_join/0")->UseRealTime();

static void par_subprocess_true(benchmark::State &st)
{
	const char *const argv[] = { "/bin/true", nullptr };
	struct par_subprocess_opts o; // inherit stdio, like the baseline
	par_subprocess_opts_init(&o);
	for (auto _ : st) {
		struct par_subprocess_result r;
		par_subprocess_run(argv, &o, nullptr, 0, PAR_FOREVER, &r);
		par_subprocess_result_free(&r);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(par_subprocess_true)->Name("par_subprocess/run_true/0")->UseRealTime();

static void posix_spawn_true(benchmark::State &st)
{
	char arg0[] = "/bin/true";
	char *const argv[] = { arg0, nullptr };
	for (auto _ : st) {
		pid_t pid;
		posix_spawn(&pid, argv[0], nullptr, nullptr, argv, environ);
		waitpid(pid, nullptr, 0);
	}
	st.SetItemsProcessed(st.iterations());
}
BENCHMARK(posix_spawn_true)->Name("posix_spawn/run_true/0")->UseRealTime();

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	par_bench::add_context();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
