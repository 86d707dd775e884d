// A channel over a polling ring of 8-byte elements (par_ring and the
// lock-free peers): both sides spin on full / empty (with a pause), the
// consumer checks ctl::stop when it finds the ring empty. The element is the
// sequence number itself.
//
// A Ring policy provides:
//   bool init(ctl *c)                       make the ring (shared memory); false after fail()
//   void fini()                             free it (producer process)
//   bool put1(uint64_t v) / take1(uint64_t &v)              one element
//   unsigned putn(const uint64_t *v, unsigned n) / taken(uint64_t *v, unsigned n)
//                                           a burst: how many went / came
//   std::string label()
#pragma once

#include "shm_harness.h"

#include <algorithm>

namespace shm_bench
{

template <class Ring> struct ring_chan : channel {
	Ring ring;
	unsigned burst;
	ctl *c = nullptr;
	bool made = false;

	explicit ring_chan(unsigned b) : burst(b)
	{
	}
	~ring_chan() override
	{
		if (made)
			ring.fini();
	}
	bool setup(ctl *cc) override
	{
		c = cc;
		made = ring.init(c);
		return made;
	}
	std::string label() override
	{
		return ring.label();
	}

	// Returns when stop is set and the ring is empty.
	template <class Take> void poll(Take take)
	{
		for (;;) {
			if (take())
				continue;
			// acquire: pairs with the release store in stop(), after
			// the producer's last put
			if (c->stop.load(std::memory_order_acquire)) {
				while (take())
					;
				return;
			}
			cpu_relax();
		}
	}

	void consume(checker &chk, bool) override
	{
		if (burst == 1) {
			poll([&] {
				uint64_t v;
				if (!ring.take1(v))
					return false;
				chk.got(v);
				return true;
			});
			return;
		}
		poll([&] {
			uint64_t v[BURST];
			unsigned n = ring.taken(v, burst);
			for (unsigned i = 0; i < n; i++)
				chk.got(v[i]);
			return n != 0;
		});
	}

	bool produce(uint64_t seq, uint64_t n, guard &g) override
	{
		uint64_t end = seq + n;
		if (burst == 1) {
			while (seq < end) {
				if (ring.put1(seq))
					seq++;
				else if (!g.wait())
					return false;
			}
			return true;
		}
		uint64_t v[BURST];
		while (seq < end) {
			unsigned k = (unsigned)std::min<uint64_t>(burst, end - seq);
			for (unsigned i = 0; i < k; i++)
				v[i] = seq + i;
			unsigned put = ring.putn(v, k);
			if (put)
				seq += put;
			else if (!g.wait())
				return false;
		}
		return true;
	}

	void stop() override
	{
		c->stop.store(1, std::memory_order_release); // pairs with poll()
	}
};

} // namespace shm_bench
