/* The io_uring backend: multishot accept, multishot receive into a provided
 * buffer ring, one sendmsg in flight per connection (the output queued in an
 * iteration goes out together), single-issuer + deferred task-run rings
 * (Linux 6.1), else cooperative task-run (6.0). Needs Linux 6.0 for
 * multishot receive; older kernels are refused and epoll serves. */
#include "loop.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SQ_ENTRIES 256
#define CQ_ENTRIES 8192
#define NBUFS 64 /* power of two */
#define BUFSZ (64u << 10)
#define BGID 0
#define CQE_BATCH 256

enum { TAG_LISTEN = 1, TAG_RECV = 2, TAG_SEND = 3, TAG_WATCH = 4, TAG_MASK = 7 };

struct ur {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	uint8_t *bufs;
	size_t br_size;
};

static struct ur *UR(struct par__loop *l)
{
	return l->impl;
}

static uint64_t tag(void *p, unsigned t)
{
	return (uint64_t)(uintptr_t)p | t;
}

/* A ring with the best setup flags this kernel takes; -EOPNOTSUPP before 6.0. */
static int ring_setup(struct io_uring *ring)
{
	static const unsigned flags[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN,
	};
	int r = -EINVAL;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct io_uring_params p = { .flags = flags[i] | IORING_SETUP_CQSIZE,
					     .cq_entries = CQ_ENTRIES };
		r = io_uring_queue_init_params(SQ_ENTRIES, ring, &p);
		if (r != -EINVAL)
			break;
	}
	return r == -EINVAL ? -EOPNOTSUPP : r;
}

/* Register the provided buffer ring and fill it. */
static int bufs_setup(struct ur *u)
{
	struct io_uring_buf_reg reg = { 0 };

	u->br_size = NBUFS * sizeof(struct io_uring_buf);
	void *m =
		mmap(NULL, u->br_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	u->br = m;
	u->bufs = malloc((size_t)NBUFS * BUFSZ);
	if (u->bufs == NULL)
		return -ENOMEM;
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	reg.ring_entries = NBUFS;
	reg.bgid = BGID;
	int r = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (r < 0)
		return r == -EINVAL ? -EOPNOTSUPP : r;
	io_uring_buf_ring_init(u->br);
	for (unsigned i = 0; i < NBUFS; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * BUFSZ, BUFSZ, (unsigned short)i,
				      io_uring_buf_ring_mask(NBUFS), (int)i);
	io_uring_buf_ring_advance(u->br, NBUFS);
	return 0;
}

static void ur_free(struct ur *u, int ring_up)
{
	if (ring_up)
		io_uring_queue_exit(&u->ring);
	if (u->br != NULL)
		munmap(u->br, u->br_size);
	free(u->bufs);
	free(u);
}

static int ur_init(struct par__loop *l)
{
	struct ur *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return -ENOMEM;
	int r = ring_setup(&u->ring);
	if (r < 0) {
		ur_free(u, 0);
		return r;
	}
	r = bufs_setup(u);
	if (r < 0) {
		ur_free(u, 1);
		return r;
	}
	l->impl = u;
	return 0;
}

int par__uring_probe(void)
{
	struct par__loop l = { 0 };
	int r = ur_init(&l);

	if (r == 0)
		ur_free(l.impl, 1);
	return r;
}

static void ur_fini(struct par__loop *l)
{
	ur_free(UR(l), 1);
}

/* A free SQE, submitting the queued ones when the ring is full. */
static struct io_uring_sqe *sqe_get(struct par__loop *l)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&UR(l)->ring);

	while (s == NULL) {
		io_uring_submit(&UR(l)->ring);
		s = io_uring_get_sqe(&UR(l)->ring);
	}
	return s;
}

static int ur_listen(struct par__loop *l, struct par__listener *ls)
{
	if (ls->armed)
		return 0;
	struct io_uring_sqe *s = sqe_get(l);
	io_uring_prep_multishot_accept(s, ls->fd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, tag(ls, TAG_LISTEN));
	ls->armed = 1;
	return 0;
}

static void arm_recv(struct par__loop *l, struct par__lconn *c)
{
	struct io_uring_sqe *s = sqe_get(l);

	io_uring_prep_recv_multishot(s, c->fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = BGID;
	io_uring_sqe_set_data64(s, tag(c, TAG_RECV));
	c->flags |= PAR__LC_RECV;
}

static void cancel_recv(struct par__loop *l, struct par__lconn *c)
{
	struct io_uring_sqe *s = sqe_get(l);

	io_uring_prep_cancel64(s, tag(c, TAG_RECV), 0);
	io_uring_sqe_set_data64(s, 0);
}

static int ur_conn_start(struct par__loop *l, struct par__lconn *c)
{
	arm_recv(l, c);
	return 0;
}

static void ur_conn_read(struct par__loop *l, struct par__lconn *c, int on)
{
	if (on && !(c->flags & PAR__LC_RECV))
		arm_recv(l, c);
	else if (!on && (c->flags & PAR__LC_RECV))
		cancel_recv(l, c);
}

static void ur_conn_send(struct par__loop *l, struct par__lconn *c)
{
	if (c->flags & (PAR__LC_SENDING | PAR__LC_CLOSING))
		return;
	struct io_uring_sqe *s = sqe_get(l);
	c->msg = (struct msghdr){ .msg_iov = c->iov };
	c->msg.msg_iovlen = (size_t)par__obuf_iov(&c->out, c->iov, PAR__SEND_IOV);
	io_uring_prep_sendmsg(s, c->fd, &c->msg, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, tag(c, TAG_SEND));
	c->flags |= PAR__LC_SENDING;
}

/* Released once no operation refers to c any more. */
static void maybe_release(struct par__loop *l, struct par__lconn *c)
{
	if ((c->flags & PAR__LC_CLOSING) && !(c->flags & (PAR__LC_RECV | PAR__LC_SENDING))) {
		close(c->fd);
		c->fd = -1;
		par__loop_released(l, c);
	}
}

static void ur_conn_close(struct par__loop *l, struct par__lconn *c)
{
	/* Ends a send stuck on a peer that does not read, and the receive. */
	shutdown(c->fd, SHUT_RDWR);
	if (c->flags & PAR__LC_RECV)
		cancel_recv(l, c);
	maybe_release(l, c);
}

static int ur_watch(struct par__loop *l, struct par__watch *w)
{
	struct io_uring_sqe *s = sqe_get(l);

	io_uring_prep_poll_add(s, w->fd, POLLIN);
	io_uring_sqe_set_data64(s, tag(w, TAG_WATCH));
	w->armed = 1;
	return 0;
}

static void report_eof(struct par__loop *l, struct par__lconn *c, int err)
{
	if (c->flags & (PAR__LC_EOF | PAR__LC_CLOSING))
		return;
	c->flags |= PAR__LC_EOF;
	l->cb.eof(l->cb.arg, c, err);
}

static void on_accept(struct par__loop *l, struct par__listener *ls, struct io_uring_cqe *e)
{
	if (!(e->flags & IORING_CQE_F_MORE))
		ls->armed = 0;
	if (e->res >= 0)
		l->cb.accept(l->cb.arg, ls, e->res);
	if (ls->armed)
		return;
	if (e->res >= 0 || e->res == -EINTR || e->res == -ECONNABORTED)
		ur_listen(l, ls);
	else
		par__loop_accept_failed(l, ls, e->res);
}

static void give_back(struct par__loop *l, unsigned bid)
{
	struct ur *u = UR(l);

	io_uring_buf_ring_add(u->br, u->bufs + (size_t)bid * BUFSZ, BUFSZ, (unsigned short)bid,
			      io_uring_buf_ring_mask(NBUFS), 0);
	io_uring_buf_ring_advance(u->br, 1);
}

static void on_recv(struct par__loop *l, struct par__lconn *c, struct io_uring_cqe *e)
{
	if (!(e->flags & IORING_CQE_F_MORE))
		c->flags &= ~PAR__LC_RECV;
	if (e->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = e->flags >> IORING_CQE_BUFFER_SHIFT;
		if (e->res > 0 && !(c->flags & PAR__LC_CLOSING))
			l->cb.data(l->cb.arg, c, UR(l)->bufs + (size_t)bid * BUFSZ, (size_t)e->res);
		give_back(l, bid);
	}
	if (e->res == 0)
		report_eof(l, c, 0);
	else if (e->res < 0 && e->res != -ENOBUFS && e->res != -ECANCELED)
		report_eof(l, c, e->res);
	if (!(c->flags & (PAR__LC_RECV | PAR__LC_CLOSING | PAR__LC_EOF)) &&
	    (c->flags & PAR__LC_READ))
		arm_recv(l, c); /* ended (no buffer, or a limit): go on */
	maybe_release(l, c);
}

static void on_send(struct par__loop *l, struct par__lconn *c, struct io_uring_cqe *e)
{
	c->flags &= ~PAR__LC_SENDING;
	if (e->res > 0 && !(c->flags & PAR__LC_CLOSING)) {
		par__obuf_consume(&c->out, (size_t)e->res);
		if (c->out.len > 0)
			par__loop_conn_flush(l, c);
		l->cb.sent(l->cb.arg, c, (size_t)e->res);
	} else if (e->res < 0) {
		report_eof(l, c, e->res);
	}
	maybe_release(l, c);
}

static void dispatch(struct par__loop *l, struct io_uring_cqe *e)
{
	void *p = (void *)(uintptr_t)(e->user_data & ~(uint64_t)TAG_MASK);

	switch (e->user_data & TAG_MASK) {
	case TAG_LISTEN:
		on_accept(l, p, e);
		break;
	case TAG_RECV:
		on_recv(l, p, e);
		break;
	case TAG_SEND:
		on_send(l, p, e);
		break;
	case TAG_WATCH: {
		struct par__watch *w = p;
		w->armed = 0;
		w->cb(w);
		break;
	}
	}
}

static int ur_wait(struct par__loop *l, int64_t deadline)
{
	struct io_uring *ring = &UR(l)->ring;
	struct io_uring_cqe *cqe, *batch[CQE_BATCH];
	struct __kernel_timespec ts, *tsp = NULL;

	if (deadline != PAR_NO_DEADLINE) {
		int64_t left = deadline - par_now_ns();
		if (left < 0)
			left = 0;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		tsp = &ts;
	}
	int r = io_uring_submit_and_wait_timeout(ring, &cqe, 1, tsp, NULL);
	if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY && r != -EAGAIN)
		return r;
	unsigned n = io_uring_peek_batch_cqe(ring, batch, CQE_BATCH);
	for (unsigned i = 0; i < n; i++)
		dispatch(l, batch[i]);
	io_uring_cq_advance(ring, n);
	return 0;
}

const struct par__loop_ops par__loop_uring_ops = {
	.init = ur_init,
	.fini = ur_fini,
	.listen = ur_listen,
	.conn_start = ur_conn_start,
	.conn_read = ur_conn_read,
	.conn_send = ur_conn_send,
	.conn_close = ur_conn_close,
	.watch = ur_watch,
	.wait = ur_wait,
};
