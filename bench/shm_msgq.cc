// The message-queue baselines of par_queue, messages of 8 B to 64 KiB, the
// consumer blocking in the kernel as each one naturally does:
//   pipe         a pipe of the kernel's default size (64 KiB); one write and
//                one read of a whole message each, or 32 messages per write
//                with the reader taking what is there
//   socketpair   AF_UNIX SOCK_SEQPACKET (message boundaries kept), default
//                buffers; send/recv, or sendmmsg/recvmmsg of 32
//   posix_mq     mq_open/mq_timedsend/mq_receive with 1024 messages, or the
//                most the system allows (msg_max, then halving; the label
//                says how many); no batch call, so no batch cases. Sizes the
//                system refuses (msgsize_max, RLIMIT_MSGQUEUE) are skipped
//                with the reason
//   mutex_queue  mutex_queue.h: 1024 slots in MAP_SHARED memory behind a
//                process-shared mutex and two condition variables
#include "mutex_queue.h"
#include "shm_harness.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <mqueue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace shm_bench
{
namespace
{

// What every message channel keeps: sizes and the producer's messages (burst
// of them, pre-filled, stamped before sending).
struct msg_chan : channel {
	size_t bytes;
	unsigned burst;
	ctl *c = nullptr;
	std::vector<char> out;

	msg_chan(size_t b, unsigned n) : bytes(b), burst(n), out(b * n, 0x5a)
	{
	}
	char *msg(unsigned i)
	{
		return out.data() + (size_t)i * bytes;
	}
	// Stamp the first k messages of out for seq, seq + 1, ...
	void stamp_n(uint64_t seq, unsigned k)
	{
		for (unsigned i = 0; i < k; i++)
			stamp(msg(i), bytes, seq + i);
	}
	unsigned chunk(uint64_t seq, uint64_t end)
	{
		return (unsigned)std::min<uint64_t>(burst, end - seq);
	}
};

static timespec deadline_after(clockid_t clk, int64_t ns)
{
	timespec t;
	clock_gettime(clk, &t);
	t.tv_sec += ns / 1000000000;
	t.tv_nsec += ns % 1000000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static void close_fd(int &fd)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

// ---- pipe ------------------------------------------------------------------

struct pipe_chan : msg_chan {
	int fd[2] = { -1, -1 };

	using msg_chan::msg_chan;
	~pipe_chan() override
	{
		close_fd(fd[0]);
		close_fd(fd[1]);
	}
	bool setup(ctl *cc) override
	{
		c = cc;
		if (pipe(fd) != 0) {
			fail(c, "pipe: %s", strerror(errno));
			return false;
		}
		return true;
	}
	void parent_after_fork() override
	{
		close_fd(fd[0]); // so that a dead reader means EPIPE, not a hang
	}
	void consume(checker &chk, bool child) override
	{
		if (child)
			close_fd(fd[1]);
		// One message per read, or whatever is there (up to burst).
		size_t want = bytes * burst, have = 0;
		std::vector<char> in(want);
		for (;;) {
			ssize_t r = read(fd[0], in.data() + have, want - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				if (r < 0 || have != 0)
					fail(c, "pipe read: %s",
					     r < 0 ? strerror(errno) : "torn message");
				return;
			}
			have += (size_t)r;
			size_t off = 0;
			for (; have - off >= bytes; off += bytes)
				chk.got_msg(in.data() + off, bytes, bytes);
			have -= off;
			if (have && off)
				memmove(in.data(), in.data() + off, have);
		}
	}
	bool write_all(const char *p, size_t len)
	{
		while (len) {
			ssize_t w = write(fd[1], p, len);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				fail(c, "pipe write: %s", strerror(errno));
				return false;
			}
			p += w;
			len -= (size_t)w;
		}
		return true;
	}
	bool produce(uint64_t seq, uint64_t n, guard &) override
	{
		for (uint64_t end = seq + n; seq < end;) {
			unsigned k = chunk(seq, end);
			stamp_n(seq, k);
			if (!write_all(out.data(), k * bytes))
				return false;
			seq += k;
		}
		return true;
	}
	void stop() override
	{
		close_fd(fd[1]); // the reader sees EOF
	}
};

// ---- socketpair --------------------------------------------------------------

struct sock_chan : msg_chan {
	int fd[2] = { -1, -1 }; // producer, consumer

	using msg_chan::msg_chan;
	~sock_chan() override
	{
		close_fd(fd[0]);
		close_fd(fd[1]);
	}
	bool setup(ctl *cc) override
	{
		c = cc;
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fd) != 0) {
			fail(c, "socketpair: %s", strerror(errno));
			return false;
		}
		return true;
	}
	void parent_after_fork() override
	{
		close_fd(fd[1]);
	}
	void consume(checker &chk, bool child) override
	{
		if (child)
			close_fd(fd[0]);
		std::vector<char> in(bytes * burst);
		std::vector<iovec> iov(burst);
		std::vector<mmsghdr> mm(burst);
		for (unsigned i = 0; i < burst; i++) {
			iov[i] = { in.data() + (size_t)i * bytes, bytes };
			mm[i] = {};
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		// MSG_TRUNC: the real length, so that a longer message shows.
		for (;;) {
			int n;
			if (burst == 1) {
				ssize_t r = recv(fd[1], in.data(), bytes, MSG_TRUNC);
				mm[0].msg_len = r > 0 ? (unsigned)r : 0;
				n = r < 0 ? -1 : 1;
			} else {
				n = recvmmsg(fd[1], mm.data(), burst, MSG_WAITFORONE | MSG_TRUNC,
					     nullptr);
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				fail(c, "socketpair recv: %s", strerror(errno));
				return;
			}
			if (n == 0 || mm[0].msg_len == 0)
				return; // end of stream (no message is empty)
			for (int i = 0; i < n; i++)
				chk.got_msg(in.data() + (size_t)i * bytes, mm[i].msg_len, bytes);
		}
	}
	bool produce(uint64_t seq, uint64_t n, guard &) override
	{
		mmsghdr mm[BURST];
		iovec iov[BURST];
		for (unsigned i = 0; i < burst; i++) {
			iov[i] = { msg(i), bytes };
			mm[i] = {};
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		for (uint64_t end = seq + n; seq < end;) {
			unsigned k = chunk(seq, end), sent = 0;
			stamp_n(seq, k);
			while (sent < k) {
				int r;
				if (burst == 1)
					r = send(fd[0], msg(0), bytes, MSG_NOSIGNAL) ==
							    (ssize_t)bytes
						    ? 1
						    : -1;
				else
					r = sendmmsg(fd[0], mm + sent, k - sent, MSG_NOSIGNAL);
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0) {
					fail(c, "socketpair send: %s", strerror(errno));
					return false;
				}
				sent += (unsigned)r;
			}
			seq += k;
		}
		return true;
	}
	void stop() override
	{
		shutdown(fd[0], SHUT_WR); // the reader sees end of stream
	}
};

// ---- POSIX message queue -------------------------------------------------

struct mq_chan : msg_chan {
	mqd_t mq = (mqd_t)-1;
	long slots = 0;

	using msg_chan::msg_chan;
	~mq_chan() override
	{
		if (mq != (mqd_t)-1)
			mq_close(mq);
	}
	static long sysctl(const char *name)
	{
		char path[128];
		long v = -1;
		snprintf(path, sizeof(path), "/proc/sys/fs/mqueue/%s", name);
		if (FILE *f = fopen(path, "r")) {
			if (fscanf(f, "%ld", &v) != 1)
				v = -1;
			fclose(f);
		}
		return v;
	}
	bool setup(ctl *cc) override
	{
		c = cc;
		char name[64];
		static int serial;
		snprintf(name, sizeof(name), "/par_bench_%d_%d", (int)getpid(), serial++);
		int err = 0;
		// 1024 messages, or the most the system allows: msg_max (the
		// limit without CAP_SYS_RESOURCE), then halving (RLIMIT_MSGQUEUE).
		long msg_max = sysctl("msg_max");
		for (slots = SLOTS; slots >= 1;
		     slots = slots == SLOTS && msg_max > 0 && msg_max < SLOTS ? msg_max
									      : slots / 2) {
			mq_attr a = {};
			a.mq_maxmsg = slots;
			a.mq_msgsize = (long)bytes;
			mq = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
			if (mq != (mqd_t)-1)
				break;
			err = errno;
			if (err != EINVAL && err != EMFILE && err != ENOMEM)
				break;
		}
		if (mq == (mqd_t)-1) {
			fail(c,
			     "the system refuses a POSIX mq of %zu-byte messages: %s (msgsize_max "
			     "%ld, msg_max %ld)",
			     bytes, strerror(err), sysctl("msgsize_max"), sysctl("msg_max"));
			return false;
		}
		mq_unlink(name); // the descriptors keep it
		return true;
	}
	std::string label() override
	{
		return slots == SLOTS ? "" : "slots=" + std::to_string(slots);
	}
	void consume(checker &chk, bool) override
	{
		std::vector<char> in(bytes);
		for (;;) {
			ssize_t r = mq_receive(mq, in.data(), bytes, nullptr);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				fail(c, "mq_receive: %s", strerror(errno));
				return;
			}
			if (r == 0)
				return; // the producer's end mark
			chk.got_msg(in.data(), (size_t)r, bytes);
		}
	}
	bool send(const char *m, size_t len, const timespec &dl)
	{
		while (mq_timedsend(mq, m, len, 0, &dl) != 0) {
			if (errno == EINTR)
				continue;
			fail(c, "mq_timedsend: %s", strerror(errno));
			return false;
		}
		return true;
	}
	bool produce(uint64_t seq, uint64_t n, guard &) override
	{
		timespec dl = deadline_after(CLOCK_REALTIME, STALL_NS);
		for (uint64_t end = seq + n; seq < end; seq++) {
			stamp(msg(0), bytes, seq);
			if (!send(msg(0), bytes, dl))
				return false;
		}
		return true;
	}
	void stop() override
	{
		send(msg(0), 0, deadline_after(CLOCK_REALTIME, STALL_NS));
	}
};

// ---- mutex + condition variable queue ---------------------------------------

struct mutexq_chan : msg_chan {
	mutex_queue *q = nullptr;
	size_t memsize = 0;
	bool inited = false;

	using msg_chan::msg_chan;
	~mutexq_chan() override
	{
		if (inited)
			mutex_queue_destroy(q);
		shared_free(q, memsize);
	}
	bool setup(ctl *cc) override
	{
		c = cc;
		memsize = mutex_queue_memsize(SLOTS, (uint32_t)bytes);
		q = static_cast<mutex_queue *>(shared_alloc(memsize));
		if (!q) {
			fail(c, "mmap of %zu bytes failed", memsize);
			return false;
		}
		int rc = mutex_queue_init(q, SLOTS, (uint32_t)bytes);
		if (rc) {
			fail(c, "mutex_queue_init: %s", strerror(rc));
			return false;
		}
		inited = true;
		return true;
	}
	void consume(checker &chk, bool) override
	{
		std::vector<char> in(bytes * burst);
		void *bufs[BURST];
		size_t lens[BURST];
		for (unsigned i = 0; i < burst; i++)
			bufs[i] = in.data() + (size_t)i * bytes;
		for (;;) {
			int n = mutex_queue_get_many(q, bufs, bytes, lens, burst);
			if (n < 0)
				return; // closed and drained
			for (int i = 0; i < n; i++)
				chk.got_msg(bufs[i], lens[i], bytes);
		}
	}
	bool produce(uint64_t seq, uint64_t n, guard &) override
	{
		timespec dl = deadline_after(CLOCK_MONOTONIC, STALL_NS);
		const void *ptrs[BURST];
		for (unsigned i = 0; i < burst; i++)
			ptrs[i] = msg(i);
		for (uint64_t end = seq + n; seq < end;) {
			unsigned k = chunk(seq, end), sent = 0;
			stamp_n(seq, k);
			while (sent < k) {
				int r = mutex_queue_put_many(q, ptrs + sent, bytes, k - sent, &dl);
				if (r < 0) {
					fail(c, "mutex_queue_put_many: %s", strerror(-r));
					return false;
				}
				sent += (unsigned)r;
			}
			seq += k;
		}
		return true;
	}
	void stop() override
	{
		mutex_queue_close(q);
	}
};

template <class Chan> std::unique_ptr<channel> make_msg(mode m, size_t bytes)
{
	return std::make_unique<Chan>(bytes, burst_of(m));
}

reg_all msgq_regs([] {
	add_all("pipe", all_modes(), msg_sizes(), make_msg<pipe_chan>);
	add_all("socketpair", all_modes(), msg_sizes(), make_msg<sock_chan>);
	add_all("posix_mq", { mode::spsc, mode::xproc }, msg_sizes(), make_msg<mq_chan>);
	add_all("mutex_queue", all_modes(), msg_sizes(), make_msg<mutexq_chan>);
});

} // namespace
} // namespace shm_bench
