// shm/ benchmarks: par_ring and par_queue beside their peers and baselines,
// all in this binary (shm_rings.cc, shm_msgq.cc), named impl/case/bytes:
//   spsc           producer thread -> consumer thread, one at a time
//   spsc_burst32   the same, 32 per call (burst / batch API)
//   xproc          producer process -> consumer process (forked), one at a time
//   xproc_batch32  the same, 32 per call
// Rings carry 8-byte elements; message queues 8 B, 64 B, 1 KiB and 64 KiB.
// Capacities are 1024 elements / messages unless a peer forces otherwise (see
// the peers' sources). The producer is the benchmark thread on cpu a, the
// consumer a thread or process on cpu b (the par_cpus context line). How the
// time is taken and the messages checked: shm_harness.h.
#include "shm_harness.h"
#include "shm_ring_chan.h"

#include <par/par.h>
#include <par/queue.h>
#include <par/ring.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <vector>

namespace shm_bench
{
namespace
{

// ---- par_ring: SPSC, 8-byte elements, 1024 (all usable), own anonymous
// segment (shared with the forked child) -------------------------------------

struct par_spsc_ring {
	struct par_ring *r = nullptr;

	bool init(ctl *c)
	{
		int rc = par_ring_create(nullptr, 8, SLOTS, PAR_RING_SPSC, nullptr, &r);
		if (rc != 0)
			fail(c, "par_ring_create: %s", par_strerror(rc));
		return rc == 0;
	}
	void fini()
	{
		par_ring_close(r);
	}
	bool put1(uint64_t v)
	{
		return par_ring_enqueue(r, &v) == 0;
	}
	bool take1(uint64_t &v)
	{
		return par_ring_dequeue(r, &v) == 0;
	}
	unsigned putn(const uint64_t *v, unsigned n)
	{
		return par_ring_enqueue_burst(r, v, n);
	}
	unsigned taken(uint64_t *v, unsigned n)
	{
		return par_ring_dequeue_burst(r, v, n);
	}
	std::string label()
	{
		return "";
	}
};

// ---- par_queue: default options (1024 slots; messages above 112 B go to the
// out-of-line pool of 4 MiB), anonymous --------------------------------------

struct par_queue_chan : channel {
	size_t bytes;
	unsigned burst;
	ctl *c = nullptr;
	struct par_queue *q = nullptr;
	std::vector<char> out;

	par_queue_chan(size_t b, unsigned n) : bytes(b), burst(n), out(b * n, 0x5a)
	{
	}
	~par_queue_chan() override
	{
		if (q)
			par_queue_close(q);
	}
	bool setup(ctl *cc) override
	{
		c = cc;
		int rc = par_queue_create(nullptr, nullptr, &q);
		if (rc != 0) {
			q = nullptr;
			fail(c, "par_queue_create: %s", par_strerror(rc));
		}
		return rc == 0;
	}
	void consume(checker &chk, bool child) override
	{
		std::vector<char> in(bytes * burst);
		struct par_msg m[BURST];
		for (unsigned i = 0; i < burst; i++)
			m[i] = { in.data() + (size_t)i * bytes, 0, bytes };
		for (;;) {
			int n;
			if (burst == 1) {
				ssize_t r = par_queue_get(q, in.data(), bytes, PAR_FOREVER);
				m[0].len = r > 0 ? (size_t)r : 0;
				n = r < 0 ? (int)r : 1;
			} else {
				n = par_queue_get_many(q, m, burst, PAR_FOREVER);
			}
			if (n == -EPIPE)
				break; // shut down and drained
			if (n < 0) {
				fail(c, "par_queue_get: %s", par_strerror(n));
				break;
			}
			for (int i = 0; i < n; i++)
				chk.got_msg(m[i].data, m[i].len, bytes);
		}
		if (child)
			par_queue_close(q); // this process's participation
	}
	bool produce(uint64_t seq, uint64_t n, guard &) override
	{
		struct par_msg m[BURST];
		for (unsigned i = 0; i < burst; i++)
			m[i] = { out.data() + (size_t)i * bytes, bytes, bytes };
		for (uint64_t end = seq + n; seq < end;) {
			unsigned k = (unsigned)std::min<uint64_t>(burst, end - seq), sent = 0;
			for (unsigned i = 0; i < k; i++)
				stamp(m[i].data, bytes, seq + i);
			while (sent < k) {
				int r = burst == 1 ? par_queue_put(q, m[0].data, bytes, STALL_NS)
						   : par_queue_put_many(q, m + sent, k - sent,
									STALL_NS);
				if (r < 0) {
					fail(c, "par_queue_put: %s", par_strerror(r));
					return false;
				}
				sent += burst == 1 ? 1 : (unsigned)r;
			}
			seq += k;
		}
		return true;
	}
	void stop() override
	{
		par_queue_shutdown(q);
	}
};

reg_all par_regs([] {
	add_all("par_ring", all_modes(), { 8 }, [](mode m, size_t) -> std::unique_ptr<channel> {
		return std::make_unique<ring_chan<par_spsc_ring>>(burst_of(m));
	});
	add_all("par_queue", all_modes(), msg_sizes(),
		[](mode m, size_t bytes) -> std::unique_ptr<channel> {
			return std::make_unique<par_queue_chan>(bytes, burst_of(m));
		});
});

} // namespace
} // namespace shm_bench

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN); // a dead reader shows as EPIPE
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	par_bench::add_context();
	shm_bench::register_all();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
