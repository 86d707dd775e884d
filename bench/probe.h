// Shared by par's benchmarks: CPU choice for pinning, and the cross-core
// cache-line round-trip probe printed beside every run's figures (on shared
// VMs it varies from ~70 ns to several hundred between runs).
#pragma once

#include <pthread.h>

namespace par_bench
{

// The first two CPUs this process may run on (a == b on a one-CPU machine),
// as found at the first call (before add_context pins the caller to a).
struct cpu_pair {
	int a, b;
};
cpu_pair pick_cpus();

// Pin the calling thread / a pthread to one CPU. false on failure.
bool pin_self(int cpu);

// Median round trip (ns) of one cache line bounced between threads pinned to
// cpus a and b, over several short runs.
double cacheline_rtt_ns(int a, int b);

// Add the probe and the pinning to the benchmark's context (printed in the
// header and stored in the JSON). Call before RunSpecifiedBenchmarks.
void add_context();

} // namespace par_bench
