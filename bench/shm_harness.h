// The harness of bench_shm: one producer (the benchmark thread, pinned to
// cpu a) sends numbered messages through a channel to one consumer (a thread
// or a forked process, pinned to cpu b).
//
// What is measured is end-to-end throughput: each benchmark iteration sends a
// batch of messages and ends when the consumer has taken the last of them
// (it publishes its count in shared memory at every batch end), so a producer
// that only fills a buffer gains nothing. Wall-clock time (UseRealTime).
//
// Every message carries its sequence number in its first 8 bytes (and, from
// 16 bytes on, its last 8), and the consumer checks each one: a lost,
// repeated, reordered, short or torn message ends the benchmark with
// SkipWithError.
#pragma once

#include "probe.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace shm_bench
{

// Ring and queue capacity (elements / slots) unless a peer forces another.
constexpr uint32_t SLOTS = 1024;
// Messages per burst / batch in the *_burst32 and *_batch32 cases.
constexpr unsigned BURST = 32;
// How long a blocking put may wait for room before the producer decides the
// consumer is gone (only the ones that take a timeout).
constexpr int64_t STALL_NS = 10LL * 1000 * 1000 * 1000;

// Messages per benchmark iteration: 16 MiB of payload, 256 to 65536 messages.
uint64_t batch_for(size_t bytes);

// Shared by producer and consumer: MAP_SHARED, so valid across fork.
struct ctl {
	alignas(64) std::atomic<uint64_t> done; // messages taken, published at batch ends
	alignas(64) std::atomic<int> stop;	// no more messages (the polling consumers' cue)
	std::atomic<int> failed;
	char why[200];
};

// Record the first failure (either side); the benchmark reports it.
void fail(ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

inline void cpu_relax()
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

// Write the sequence number into a message of len (>= 8) bytes.
inline void stamp(void *msg, size_t len, uint64_t seq)
{
	memcpy(msg, &seq, 8);
	if (len >= 16)
		memcpy((char *)msg + len - 8, &seq, 8);
}

// The consumer's bookkeeping: the sequence number it expects next.
struct checker {
	ctl *c;
	uint64_t batch;
	uint64_t next = 0;

	checker(ctl *cc, uint64_t b) : c(cc), batch(b)
	{
	}
	void got(uint64_t seq)
	{
		if (__builtin_expect(seq != next, 0))
			mismatch(seq);
		if (++next % batch == 0)
			// release: pairs with the acquire load in the producer's wait
			c->done.store(next, std::memory_order_release);
	}
	// A message of len bytes that should have want bytes.
	void got_msg(const void *msg, size_t len, size_t want)
	{
		uint64_t a, b;
		if (__builtin_expect(len != want, 0)) {
			bad_len(len, want);
			return;
		}
		memcpy(&a, msg, 8);
		if (len >= 16) {
			memcpy(&b, (const char *)msg + len - 8, 8);
			if (__builtin_expect(a != b, 0))
				a = ~next; // torn: counts as a mismatch
		}
		got(a);
	}
	void mismatch(uint64_t seq) __attribute__((noinline));
	void bad_len(size_t len, size_t want) __attribute__((noinline));
};

class consumer_peer;

// The producer's view of the consumer while it waits for room: notices a
// consumer process that died (the ring would stay full forever).
struct guard {
	consumer_peer *peer;
	unsigned spins = 0;

	// Call after each attempt that found no room; false: give up.
	bool wait()
	{
		cpu_relax();
		if (__builtin_expect((++spins & 0x3fff) != 0, 1))
			return true;
		return slow_check();
	}
	bool slow_check();
};

// One implementation, made for one benchmark (given its size and burst).
struct channel {
	virtual ~channel() = default;
	// Before the consumer starts. false after fail().
	virtual bool setup(ctl *c) = 0;
	// Producer process, just after forking the consumer process.
	virtual void parent_after_fork()
	{
	}
	// The consumer: take messages and feed chk until told to stop and
	// everything is taken. child: it runs in the forked process.
	virtual void consume(checker &chk, bool child) = 0;
	// Send messages seq0 .. seq0 + n - 1. false after fail().
	virtual bool produce(uint64_t seq0, uint64_t n, guard &g) = 0;
	// No more messages: make the consumer return once it has taken them.
	virtual void stop() = 0;
	// A note for the report (capacity a peer forced, ...); "" for none.
	virtual std::string label()
	{
		return "";
	}
};

// Run the benchmark loop over ch: consumer in a thread (xproc false) or a
// forked process, bytes per message.
void run(benchmark::State &st, channel &ch, bool xproc, size_t bytes);

// Shared anonymous memory (MAP_SHARED, populated, 64-byte aligned), nullptr
// on failure; and its release.
void *shared_alloc(size_t len);
void shared_free(void *p, size_t len);

// Registry: every benchmark of bench_shm adds itself here; main registers
// them grouped by case and size so that par and its peers run side by side.
using bench_fn = std::function<void(benchmark::State &)>;
struct reg {
	reg(const char *impl, const char *kase, size_t bytes, bench_fn fn);
};
void register_all();

// Runs f during static initialisation: each source registers its benchmarks.
struct reg_all {
	explicit reg_all(void (*f)())
	{
		f();
	}
};

// The four cases.
enum class mode { spsc, burst, xproc, xbatch };
inline bool is_xproc(mode m)
{
	return m == mode::xproc || m == mode::xbatch;
}
inline unsigned burst_of(mode m)
{
	return m == mode::burst || m == mode::xbatch ? BURST : 1;
}
inline const char *case_name(mode m)
{
	switch (m) {
	case mode::spsc:
		return "spsc";
	case mode::burst:
		return "spsc_burst32";
	case mode::xproc:
		return "xproc";
	default:
		return "xproc_batch32";
	}
}

// Register impl over the given modes and sizes: make(mode, bytes) builds the
// channel for one benchmark.
template <class Make>
void add_all(const char *impl, const std::vector<mode> &modes, const std::vector<size_t> &sizes,
	     Make make)
{
	for (mode m : modes)
		for (size_t bytes : sizes)
			reg(impl, case_name(m), bytes, [m, bytes, make](benchmark::State &st) {
				auto ch = make(m, bytes);
				run(st, *ch, is_xproc(m), bytes);
			});
}

// Sizes of the message-queue benchmarks, and all four cases.
inline std::vector<size_t> msg_sizes()
{
	return { 8, 64, 1024, 65536 };
}
inline std::vector<mode> all_modes()
{
	return { mode::spsc, mode::burst, mode::xproc, mode::xbatch };
}

} // namespace shm_bench
