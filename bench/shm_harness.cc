#include "shm_harness.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <new>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <tuple>
#include <unistd.h>
#include <vector>

namespace shm_bench
{

uint64_t batch_for(size_t bytes)
{
	return std::min<uint64_t>(65536, std::max<uint64_t>(256, (16u << 20) / bytes));
}

void fail(ctl *c, const char *fmt, ...)
{
	int zero = 0;
	if (!c->failed.compare_exchange_strong(zero, 1))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->failed.store(2, std::memory_order_release); // why is written
}

void checker::mismatch(uint64_t seq)
{
	fail(c, "message %llu arrived as %llu (lost, repeated, reordered or torn)",
	     (unsigned long long)next, (unsigned long long)seq);
}

void checker::bad_len(size_t len, size_t want)
{
	fail(c, "message %llu has %zu bytes, not %zu", (unsigned long long)next, len, want);
	++next; // count it, so the producer is not left waiting
	if (next % batch == 0)
		c->done.store(next, std::memory_order_release);
}

void *shared_alloc(size_t len)
{
	void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? nullptr : p;
}

void shared_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

// The consumer: a thread, or a forked process that dies with its parent.
class consumer_peer
{
      public:
	ctl *c;
	bool xproc;
	pid_t pid = -1;
	bool exited = false; // reaped already
	int status = 0;
	std::thread thr;

	consumer_peer(ctl *cc, bool x) : c(cc), xproc(x)
	{
	}

	bool start(channel &ch, int cpu, uint64_t batch)
	{
		if (!xproc) {
			thr = std::thread([this, &ch, cpu, batch] {
				par_bench::pin_self(cpu);
				checker chk(c, batch);
				ch.consume(chk, false);
			});
			return true;
		}
		pid_t parent = getpid();
		fflush(nullptr);
		pid = fork();
		if (pid < 0) {
			fail(c, "fork: %s", strerror(errno));
			return false;
		}
		if (pid == 0) {
			// Never outlive the benchmark (parent killed: we go too).
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(3);
			par_bench::pin_self(cpu);
			checker chk(c, batch);
			ch.consume(chk, true);
			_exit(0);
		}
		ch.parent_after_fork();
		return true;
	}

	// false once the consumer process has gone (reaped here).
	bool alive()
	{
		if (!xproc || exited)
			return !exited;
		if (waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		return !exited;
	}

	// Wait for the consumer to return (a process gets 10 s, then SIGKILL).
	void finish()
	{
		if (!xproc) {
			thr.join();
			return;
		}
		for (int i = 0; i < 10000 && alive(); i++)
			usleep(1000);
		if (!exited) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			exited = true;
			fail(c, "the consumer process did not finish (killed)");
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fail(c, "the consumer process ended with status 0x%x", status);
		}
	}
};

bool guard::slow_check()
{
	if (peer->c->failed.load(std::memory_order_relaxed) && !peer->xproc)
		return true; // a failed thread consumer still drains
	if (!peer->alive()) {
		fail(peer->c, "the consumer process died");
		return false;
	}
	sched_yield(); // one CPU for both sides: let the consumer run
	return true;
}

// Wait until the consumer has taken target messages.
static bool wait_done(ctl *c, uint64_t target, guard &g)
{
	// acquire: pairs with the consumer's release store in checker::got
	while (c->done.load(std::memory_order_acquire) < target)
		if (!g.wait())
			return false;
	return true;
}

void run(benchmark::State &st, channel &ch, bool xproc, size_t bytes)
{
	uint64_t batch = batch_for(bytes);
	ctl *c = static_cast<ctl *>(shared_alloc(sizeof(ctl)));
	if (!c) {
		st.SkipWithError("mmap of the control block failed");
		return;
	}
	new (c) ctl();
	par_bench::cpu_pair cpus = par_bench::pick_cpus();
	consumer_peer peer(c, xproc);
	guard g{ &peer };
	bool started = ch.setup(c) && peer.start(ch, cpus.b, batch);
	uint64_t seq = 0;

	// One untimed batch first: the consumer is running, pages are touched.
	if (started && ch.produce(seq, batch, g) && wait_done(c, seq + batch, g)) {
		seq += batch;
		for (auto _ : st) {
			if (!ch.produce(seq, batch, g))
				break;
			seq += batch;
			if (!wait_done(c, seq, g) || c->failed.load(std::memory_order_relaxed))
				break;
		}
	}
	if (started) {
		ch.stop();
		peer.finish();
	}
	if (c->failed.load(std::memory_order_acquire)) {
		st.SkipWithError(c->failed.load() == 2 ? c->why : "failed");
	} else {
		st.SetItemsProcessed(st.iterations() * (int64_t)batch);
		st.SetBytesProcessed(st.iterations() * (int64_t)(batch * bytes));
		std::string l = ch.label();
		if (!l.empty())
			st.SetLabel(l);
	}
	c->~ctl();
	shared_free(c, sizeof(ctl));
}

// ---- registry ------------------------------------------------------------

namespace
{
struct entry {
	std::string impl, kase;
	size_t bytes;
	bench_fn fn;
};
std::vector<entry> &entries()
{
	static std::vector<entry> v;
	return v;
}
int case_rank(const std::string &k)
{
	static const char *order[] = { "spsc", "spsc_burst32", "xproc", "xproc_batch32" };
	for (int i = 0; i < 4; i++)
		if (k == order[i])
			return i;
	return 4;
}
} // namespace

reg::reg(const char *impl, const char *kase, size_t bytes, bench_fn fn)
{
	entries().push_back({ impl, kase, bytes, std::move(fn) });
}

void register_all()
{
	auto &v = entries();
	// Case, then size, then par before its peers.
	std::stable_sort(v.begin(), v.end(), [](const entry &a, const entry &b) {
		auto key = [](const entry &e) {
			return std::make_tuple(case_rank(e.kase), e.bytes,
					       e.impl.compare(0, 4, "par_") != 0, e.impl);
		};
		return key(a) < key(b);
	});
	for (auto &e : v) {
		std::string name = e.impl + "/" + e.kase + "/" + std::to_string(e.bytes);
		benchmark::RegisterBenchmark(name.c_str(), e.fn)->UseRealTime();
	}
}

} // namespace shm_bench
