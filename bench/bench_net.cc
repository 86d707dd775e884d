// net/ benchmarks over 127.0.0.1: a manager served from a thread on the
// second CPU, the client on the first. Per backend (par_net_uring,
// par_net_epoll):
//   roundtrip/64        blocking put + get of 64 B, items = calls (round trips)
//   put_pipelined/N     par_rqueue_put_async of N-byte messages (window 256),
//                       items = messages; the queue is drained untimed
//   put_batch16/N       put_many_async of 16 messages per request
// and the bound every blocking call lives under, in the same run:
//   tcp_pingpong/roundtrip/64  a bare TCP echo of 64 B on the same CPUs.
// Python's BaseManager (bench/python/manager_baseline.py) and Redis
// (bench/python/redis_baseline.py, when installed) write their own JSON with
// the same names; bench/net_run.sh runs all of them together.
#include "probe.h"

#include <par/manager.h>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace
{

const char *KEY = "bench-net-key";

struct server {
	par_manager *m = nullptr;
	char addr[64] = { 0 };
	bool ok = false;
};

// One manager per backend, made on first use, served from a thread pinned
// to the second CPU (it inherits the affinity of the thread that starts it).
server *get_server(par_net_backend b)
{
	static server servers[3];
	server *s = &servers[b];
	if (s->m != nullptr || s->ok)
		return s->ok ? s : nullptr;
	par_authkey key;
	par_manager_opts o;
	par_manager_queue_opts qo;
	par_authkey_set(&key, KEY, strlen(KEY));
	par_manager_opts_init(&o);
	o.backend = b;
	par_manager_queue_opts_init(&qo);
	qo.capacity = 1u << 20;
	qo.max_bytes = size_t(1) << 31;
	if (par_manager_create(&key, &o, &s->m) != 0)
		return nullptr;
	par_manager_add_queue(s->m, "q", &qo);
	par_manager_listen(s->m, "127.0.0.1:0");
	par_manager_address(s->m, s->addr, sizeof(s->addr));
	par_bench::cpu_pair cpus = par_bench::pick_cpus();
	par_bench::pin_self(cpus.b);
	s->ok = par_manager_start(s->m) == 0;
	par_bench::pin_self(cpus.a);
	return s->ok ? s : nullptr;
}

struct conn {
	par_client *c = nullptr;
	par_rqueue *q = nullptr;
	conn(server *s)
	{
		par_authkey key;
		par_authkey_set(&key, KEY, strlen(KEY));
		if (par_client_connect(s->addr, &key, nullptr, &c) == 0)
			par_client_open(c, "q", &q);
	}
	~conn()
	{
		par_rqueue_close(q);
		par_client_close(c);
	}
	// Take everything out (untimed by the callers).
	void drain()
	{
		static char bufs[256][1024];
		par_msg m[256];
		for (int i = 0; i < 256; i++)
			m[i] = par_msg{ bufs[i], 0, sizeof(bufs[i]) };
		while (par_rqueue_get_many(q, m, 256, 0) > 0)
			;
	}
};

void roundtrip(benchmark::State &st, par_net_backend b)
{
	server *s = get_server(b);
	if (s == nullptr) {
		st.SkipWithError("backend refused here");
		return;
	}
	conn c(s);
	char msg[64] = { 1 }, buf[64];
	for (auto _ : st) {
		if (par_rqueue_put(c.q, msg, sizeof(msg), PAR_FOREVER) != 0 ||
		    par_rqueue_get(c.q, buf, sizeof(buf), PAR_FOREVER) != 64) {
			st.SkipWithError("put/get failed");
			break;
		}
	}
	st.SetItemsProcessed(st.iterations() * 2);
}

const int64_t DRAIN_EVERY = 1 << 16;

void put_pipelined(benchmark::State &st, par_net_backend b, int size)
{
	server *s = get_server(b);
	if (s == nullptr) {
		st.SkipWithError("backend refused here");
		return;
	}
	conn c(s);
	std::string msg(size_t(size), 'x');
	int64_t n = 0;
	for (auto _ : st) {
		par_rqueue_put_async(c.q, msg.data(), msg.size(), PAR_FOREVER);
		if (++n % DRAIN_EVERY == 0) {
			par_client_flush(c.c, PAR_FOREVER);
			st.PauseTiming();
			c.drain();
			st.ResumeTiming();
		}
	}
	if (par_client_flush(c.c, PAR_FOREVER) != 0)
		st.SkipWithError("an async put failed");
	c.drain();
	st.SetItemsProcessed(st.iterations());
	st.SetBytesProcessed(st.iterations() * size);
}

void put_batch16(benchmark::State &st, par_net_backend b, int size)
{
	server *s = get_server(b);
	if (s == nullptr) {
		st.SkipWithError("backend refused here");
		return;
	}
	conn c(s);
	std::string msg(size_t(size), 'x');
	par_msg m[16];
	for (auto &x : m)
		x = par_msg{ msg.data(), msg.size(), 0 };
	int64_t n = 0;
	for (auto _ : st) {
		par_rqueue_put_many_async(c.q, m, 16, PAR_FOREVER);
		if (++n % (DRAIN_EVERY / 16) == 0) {
			par_client_flush(c.c, PAR_FOREVER);
			st.PauseTiming();
			c.drain();
			st.ResumeTiming();
		}
	}
	if (par_client_flush(c.c, PAR_FOREVER) != 0)
		st.SkipWithError("an async put failed");
	c.drain();
	st.SetItemsProcessed(st.iterations() * 16);
	st.SetBytesProcessed(st.iterations() * 16 * size);
}

// ---- bare TCP ping-pong: the loopback round trip ------------------------

bool full(int fd, char *p, size_t n, bool out)
{
	while (n > 0) {
		ssize_t r = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
		if (r <= 0)
			return false;
		p += r;
		n -= size_t(r);
	}
	return true;
}

void tcp_pingpong(benchmark::State &st)
{
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	sockaddr_in sa{};
	socklen_t len = sizeof(sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(lfd, (sockaddr *)&sa, sizeof(sa));
	listen(lfd, 1);
	getsockname(lfd, (sockaddr *)&sa, &len);
	par_bench::cpu_pair cpus = par_bench::pick_cpus();
	std::thread echo([&] {
		par_bench::pin_self(cpus.b);
		int fd = accept(lfd, nullptr, nullptr);
		char b[64];
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (full(fd, b, sizeof(b), false) && full(fd, b, sizeof(b), true))
			;
		close(fd);
	});
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	connect(fd, (sockaddr *)&sa, sizeof(sa));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char b[64] = { 1 };
	for (auto _ : st)
		if (!full(fd, b, sizeof(b), true) || !full(fd, b, sizeof(b), false)) {
			st.SkipWithError("echo failed");
			break;
		}
	close(fd);
	echo.join();
	close(lfd);
	st.SetItemsProcessed(st.iterations());
}

void register_all()
{
	const struct {
		par_net_backend b;
		const char *name;
	} backends[] = { { PAR_NET_BACKEND_URING, "par_net_uring" },
			 { PAR_NET_BACKEND_EPOLL, "par_net_epoll" } };
	benchmark::RegisterBenchmark("tcp_pingpong/roundtrip/64", tcp_pingpong)->UseRealTime();
	for (auto &be : backends) {
		std::string n = be.name;
		benchmark::RegisterBenchmark((n + "/roundtrip/64").c_str(), roundtrip, be.b)
			->UseRealTime();
		for (int size : { 64, 1024 }) {
			std::string sz = std::to_string(size);
			par_net_backend b = be.b;
			benchmark::RegisterBenchmark(
				(n + "/put_pipelined/" + sz).c_str(),
				[b, size](benchmark::State &st) { put_pipelined(st, b, size); })
				->UseRealTime();
			benchmark::RegisterBenchmark(
				(n + "/put_batch16/" + sz).c_str(),
				[b, size](benchmark::State &st) { put_batch16(st, b, size); })
				->UseRealTime();
		}
	}
}

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	par_bench::add_context();
	benchmark::AddCustomContext(
		"par_net_backend_auto",
		par_net_backend_name((par_net_backend)par_net_backend_probe(PAR_NET_BACKEND_AUTO)));
	register_all();
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
