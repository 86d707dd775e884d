#include "probe.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <sched.h>
#include <string>
#include <thread>
#include <vector>

namespace par_bench
{

static cpu_pair first_two_cpus()
{
	cpu_set_t set;
	cpu_pair p{ 0, 0 };
	int found = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return p;
	for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
		if (CPU_ISSET(c, &set))
			(found++ == 0 ? p.a : p.b) = c;
	if (found < 2)
		p.b = p.a;
	return p;
}

// Chosen once, at the first call: add_context() then pins the calling thread
// to cpu a, and asking its affinity again would find cpu a alone.
cpu_pair pick_cpus()
{
	static const cpu_pair p = first_two_cpus();
	return p;
}

bool pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

static double one_rtt_run(int a, int b, int rounds)
{
	alignas(64) std::atomic<int> ball{ 0 };
	std::thread partner([&] {
		pin_self(b);
		for (int i = 0; i < rounds; i++) {
			while (ball.load(std::memory_order_acquire) != 2 * i + 1) // pairs with ping
				;
			ball.store(2 * i + 2, std::memory_order_release); // pong
		}
	});
	pin_self(a);
	auto t0 = std::chrono::steady_clock::now();
	for (int i = 0; i < rounds; i++) {
		ball.store(2 * i + 1, std::memory_order_release);	  // ping
		while (ball.load(std::memory_order_acquire) != 2 * i + 2) // pairs with pong
			;
	}
	auto t1 = std::chrono::steady_clock::now();
	partner.join();
	return std::chrono::duration<double, std::nano>(t1 - t0).count() / rounds;
}

double cacheline_rtt_ns(int a, int b)
{
	std::vector<double> runs;
	for (int i = 0; i < 7; i++)
		runs.push_back(one_rtt_run(a, b, 20000));
	std::sort(runs.begin(), runs.end());
	return runs[runs.size() / 2];
}

void add_context()
{
	cpu_pair p = pick_cpus();
	double rtt = cacheline_rtt_ns(p.a, p.b);
	pin_self(p.a); // benchmark threads start on cpu a; partners go to b
	benchmark::AddCustomContext("par_cpus", std::to_string(p.a) + "," + std::to_string(p.b));
	benchmark::AddCustomContext("par_cacheline_rtt_ns", std::to_string((int)(rtt + 0.5)));
}

} // namespace par_bench
