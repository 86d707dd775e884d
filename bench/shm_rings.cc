// The lock-free ring peers of par_ring, 8-byte elements, each in MAP_SHARED
// anonymous memory (the same memory serves the thread and the process
// cases; a forked child maps it at the same address):
//   boost_spsc   boost::lockfree::spsc_queue<uint64_t, capacity<1024>>
//                (compile-time capacity: no pointers, so it can live in shared
//                memory; holds 1024); bursts are push/pop of ranges
//   boost_queue  boost::lockfree::queue<uint64_t, capacity<1024>> (MPMC, an
//                index-linked node pool inside the object; holds 1024); one
//                element at a time only: it has no range operations
//   ck_ring      Concurrency Kit ck_ring, ck_ring_enqueue_spsc/dequeue_spsc,
//                1024 slots (holds 1023); no burst call, so its burst cases are
//                a loop of single calls and named ck_ring_loop
//   rte_ring     DPDK rte_ring made by rte_ring_init (no EAL) with
//                RING_F_SP_ENQ | RING_F_SC_DEQ, count 1024 (holds 1023);
//                rte_ring_enqueue/dequeue and rte_ring_enqueue/dequeue_burst
// Each is compiled in when CMake found it (PAR_BENCH_HAVE_*).
#include "shm_ring_chan.h"

#include <memory>
#include <new>

#ifdef PAR_BENCH_HAVE_BOOST
#include <boost/lockfree/queue.hpp>
#include <boost/lockfree/spsc_queue.hpp>
#endif
#ifdef PAR_BENCH_HAVE_CK
// ck_ring.h is C: its MP reserve functions `return false` from a void *
// function, which C++ refuses; 0 is what C meant there.
#pragma push_macro("false")
#define false 0
#include <ck_ring.h>
#pragma pop_macro("false")
#endif
#ifdef PAR_BENCH_HAVE_DPDK
#include <rte_ring.h>
#endif

namespace shm_bench
{
namespace
{

// A T placement-new'd in shared memory.
template <class T> struct in_shm {
	T *p = nullptr;
	bool make(ctl *c, size_t bytes = sizeof(T))
	{
		void *m = shared_alloc(bytes);
		if (!m) {
			fail(c, "mmap of %zu bytes failed", bytes);
			return false;
		}
		p = new (m) T();
		return true;
	}
	void free(size_t bytes = sizeof(T))
	{
		p->~T();
		shared_free(p, bytes);
	}
};

template <class Ring> std::unique_ptr<channel> make_ring(mode m, size_t)
{
	return std::make_unique<ring_chan<Ring>>(burst_of(m));
}

#ifdef PAR_BENCH_HAVE_BOOST
struct boost_spsc_ring {
	using q_t = boost::lockfree::spsc_queue<uint64_t, boost::lockfree::capacity<SLOTS>>;
	in_shm<q_t> q;

	bool init(ctl *c)
	{
		return q.make(c);
	}
	void fini()
	{
		q.free();
	}
	bool put1(uint64_t v)
	{
		return q.p->push(v);
	}
	bool take1(uint64_t &v)
	{
		return q.p->pop(v);
	}
	unsigned putn(const uint64_t *v, unsigned n)
	{
		return (unsigned)q.p->push(v, n);
	}
	unsigned taken(uint64_t *v, unsigned n)
	{
		return (unsigned)q.p->pop(v, n);
	}
	std::string label()
	{
		return "";
	}
};

struct boost_mpmc_ring {
	using q_t = boost::lockfree::queue<uint64_t, boost::lockfree::capacity<SLOTS>>;
	in_shm<q_t> q;

	bool init(ctl *c)
	{
		if (!q.make(c))
			return false;
		if (!q.p->is_lock_free()) {
			fail(c, "boost::lockfree::queue is not lock-free here");
			return false;
		}
		return true;
	}
	void fini()
	{
		q.free();
	}
	bool put1(uint64_t v)
	{
		return q.p->bounded_push(v);
	}
	bool take1(uint64_t &v)
	{
		return q.p->pop(v);
	}
	unsigned putn(const uint64_t *, unsigned)
	{
		return 0; // not used: no range operations
	}
	unsigned taken(uint64_t *, unsigned)
	{
		return 0;
	}
	std::string label()
	{
		return "";
	}
};

reg_all boost_regs([] {
	add_all("boost_spsc", all_modes(), { 8 }, make_ring<boost_spsc_ring>);
	add_all("boost_queue", { mode::spsc, mode::xproc }, { 8 }, make_ring<boost_mpmc_ring>);
});
#endif

#ifdef PAR_BENCH_HAVE_CK
struct ck_spsc_ring {
	struct mem {
		struct ck_ring ring;
		struct ck_ring_buffer buf[SLOTS];
	};
	in_shm<mem> m;

	bool init(ctl *c)
	{
		if (!m.make(c))
			return false;
		ck_ring_init(&m.p->ring, SLOTS);
		return true;
	}
	void fini()
	{
		m.free();
	}
	bool put1(uint64_t v)
	{
		return ck_ring_enqueue_spsc(&m.p->ring, m.p->buf, (const void *)(uintptr_t)v);
	}
	bool take1(uint64_t &v)
	{
		void *p;
		if (!ck_ring_dequeue_spsc(&m.p->ring, m.p->buf, &p))
			return false;
		v = (uintptr_t)p;
		return true;
	}
	// No burst call in ck_ring: a loop of single ones.
	unsigned putn(const uint64_t *v, unsigned n)
	{
		unsigned i = 0;
		while (i < n && put1(v[i]))
			i++;
		return i;
	}
	unsigned taken(uint64_t *v, unsigned n)
	{
		unsigned i = 0;
		while (i < n && take1(v[i]))
			i++;
		return i;
	}
	std::string label()
	{
		return "holds 1023";
	}
};

reg_all ck_regs([] {
	add_all("ck_ring", { mode::spsc, mode::xproc }, { 8 }, make_ring<ck_spsc_ring>);
	add_all("ck_ring_loop", { mode::burst, mode::xbatch }, { 8 }, make_ring<ck_spsc_ring>);
});
#endif

#ifdef PAR_BENCH_HAVE_DPDK
struct dpdk_ring {
	struct rte_ring *r = nullptr;
	size_t bytes = 0;

	bool init(ctl *c)
	{
		ssize_t sz = rte_ring_get_memsize(SLOTS);
		if (sz < 0) {
			fail(c, "rte_ring_get_memsize: %zd", sz);
			return false;
		}
		bytes = (size_t)sz;
		r = static_cast<struct rte_ring *>(shared_alloc(bytes));
		if (!r) {
			fail(c, "mmap of %zu bytes failed", bytes);
			return false;
		}
		int rc = rte_ring_init(r, "par_bench", SLOTS, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rc != 0) {
			fail(c, "rte_ring_init: %d", rc);
			shared_free(r, bytes);
			return false;
		}
		return true;
	}
	void fini()
	{
		shared_free(r, bytes);
	}
	bool put1(uint64_t v)
	{
		return rte_ring_enqueue(r, (void *)(uintptr_t)v) == 0;
	}
	bool take1(uint64_t &v)
	{
		void *p;
		if (rte_ring_dequeue(r, &p) != 0)
			return false;
		v = (uintptr_t)p;
		return true;
	}
	unsigned putn(const uint64_t *v, unsigned n)
	{
		static_assert(sizeof(void *) == sizeof(uint64_t), "64-bit pointers");
		return rte_ring_enqueue_burst(r, (void *const *)v, n, nullptr);
	}
	unsigned taken(uint64_t *v, unsigned n)
	{
		return rte_ring_dequeue_burst(r, (void **)v, n, nullptr);
	}
	std::string label()
	{
		return "holds 1023";
	}
};

reg_all dpdk_regs([] { add_all("rte_ring", all_modes(), { 8 }, make_ring<dpdk_ring>); });
#endif

} // namespace
} // namespace shm_bench
