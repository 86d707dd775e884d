/* The epoll backend: non-blocking sockets, level-triggered readiness,
 * receive into one loop-owned buffer, sendmsg of the output chunks. Used
 * where io_uring is refused, or when asked for. */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define RBUF (64u << 10)
#define NEVENTS 256
/* Reads per connection per wakeup, so one busy client cannot starve others. */
#define READS_PER_EVENT 4
#define ACCEPTS_PER_EVENT 64

enum { TAG_LISTEN = 1, TAG_CONN = 2, TAG_WATCH = 3, TAG_MASK = 7 };

struct ep {
	int epfd;
	uint8_t *rbuf;
	struct epoll_event ev[NEVENTS];
};

static struct ep *EP(struct par__loop *l)
{
	return l->impl;
}

static uint64_t tag(void *p, unsigned t)
{
	return (uint64_t)(uintptr_t)p | t;
}

static int ep_init(struct par__loop *l)
{
	struct ep *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	e->rbuf = malloc(RBUF);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->rbuf == NULL || e->epfd < 0) {
		int r = e->epfd < 0 ? -errno : -ENOMEM;
		if (e->epfd >= 0)
			close(e->epfd);
		free(e->rbuf);
		free(e);
		return r;
	}
	l->impl = e;
	return 0;
}

static void ep_fini(struct par__loop *l)
{
	struct ep *e = EP(l);

	close(e->epfd);
	free(e->rbuf);
	free(e);
}

static int ctl(struct par__loop *l, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(EP(l)->epfd, op, fd, &ev) == 0 ? 0 : -errno;
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static int ep_listen(struct par__loop *l, struct par__listener *ls)
{
	if (ls->armed)
		return 0;
	int r = nonblock(ls->fd);
	if (r == 0)
		r = ctl(l, EPOLL_CTL_ADD, ls->fd, EPOLLIN, tag(ls, TAG_LISTEN));
	if (r == 0)
		ls->armed = 1;
	return r;
}

static void on_listen(struct par__loop *l, struct par__listener *ls)
{
	for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
		int fd = accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			l->cb.accept(l->cb.arg, ls, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno != EAGAIN) {
			/* Out of descriptors or memory: stop listening for a while. */
			ctl(l, EPOLL_CTL_DEL, ls->fd, 0, 0);
			ls->armed = 0;
			par__loop_accept_failed(l, ls, -errno);
		}
		return;
	}
}

static uint32_t conn_events(const struct par__lconn *c)
{
	return ((c->flags & PAR__LC_READ) ? EPOLLIN | EPOLLRDHUP : 0) |
	       ((c->flags & PAR__LC_POLLOUT) ? EPOLLOUT : 0);
}

static int ep_conn_start(struct par__loop *l, struct par__lconn *c)
{
	int r = nonblock(c->fd);

	if (r == 0)
		r = ctl(l, EPOLL_CTL_ADD, c->fd, conn_events(c), tag(c, TAG_CONN));
	if (r == 0)
		c->flags |= PAR__LC_RECV;
	return r;
}

static void ep_conn_read(struct par__loop *l, struct par__lconn *c, int on)
{
	(void)on;
	ctl(l, EPOLL_CTL_MOD, c->fd, conn_events(c), tag(c, TAG_CONN));
}

static void report_eof(struct par__loop *l, struct par__lconn *c, int err)
{
	if (c->flags & (PAR__LC_EOF | PAR__LC_CLOSING))
		return;
	c->flags |= PAR__LC_EOF;
	l->cb.eof(l->cb.arg, c, err);
}

static void set_pollout(struct par__loop *l, struct par__lconn *c, int on)
{
	if (!!(c->flags & PAR__LC_POLLOUT) == on)
		return;
	c->flags ^= PAR__LC_POLLOUT;
	ctl(l, EPOLL_CTL_MOD, c->fd, conn_events(c), tag(c, TAG_CONN));
}

static void ep_conn_send(struct par__loop *l, struct par__lconn *c)
{
	struct iovec iov[PAR__SEND_IOV];
	size_t total = 0;

	while (c->out.len > 0 && !(c->flags & PAR__LC_CLOSING)) {
		struct msghdr m = { .msg_iov = iov };
		m.msg_iovlen = (size_t)par__obuf_iov(&c->out, iov, PAR__SEND_IOV);
		ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			report_eof(l, c, -errno);
			return;
		}
		par__obuf_consume(&c->out, (size_t)n);
		total += (size_t)n;
	}
	if (c->flags & PAR__LC_CLOSING)
		return;
	set_pollout(l, c, c->out.len > 0);
	if (total > 0)
		l->cb.sent(l->cb.arg, c, total);
}

static void ep_conn_close(struct par__loop *l, struct par__lconn *c)
{
	ctl(l, EPOLL_CTL_DEL, c->fd, 0, 0);
	close(c->fd);
	c->fd = -1;
	par__loop_released(l, c);
}

static int ep_watch(struct par__loop *l, struct par__watch *w)
{
	int op = w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	int r = ctl(l, op, w->fd, EPOLLIN | EPOLLONESHOT, tag(w, TAG_WATCH));

	if (r == 0)
		w->added = w->armed = 1;
	return r;
}

static void on_readable(struct par__loop *l, struct par__lconn *c)
{
	struct ep *e = EP(l);

	for (int i = 0; i < READS_PER_EVENT && (c->flags & PAR__LC_READ); i++) {
		ssize_t n = recv(c->fd, e->rbuf, RBUF, MSG_DONTWAIT);
		if (n > 0) {
			l->cb.data(l->cb.arg, c, e->rbuf, (size_t)n);
			if ((size_t)n < RBUF)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		report_eof(l, c, n == 0 ? 0 : -errno);
		return;
	}
}

static void on_conn(struct par__loop *l, struct par__lconn *c, uint32_t ev)
{
	if (c->flags & PAR__LC_CLOSING)
		return;
	if ((ev & EPOLLOUT) && c->out.len > 0)
		ep_conn_send(l, c);
	if (c->flags & PAR__LC_CLOSING)
		return;
	if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && (c->flags & PAR__LC_READ))
		on_readable(l, c);
	else if (ev & (EPOLLHUP | EPOLLERR))
		report_eof(l, c, (ev & EPOLLERR) ? -ECONNRESET : 0);
}

static void dispatch(struct par__loop *l, struct epoll_event *ev)
{
	void *p = (void *)(uintptr_t)(ev->data.u64 & ~(uint64_t)TAG_MASK);

	switch (ev->data.u64 & TAG_MASK) {
	case TAG_LISTEN:
		on_listen(l, p);
		break;
	case TAG_CONN:
		on_conn(l, p, ev->events);
		break;
	case TAG_WATCH: {
		struct par__watch *w = p;
		w->armed = 0;
		w->cb(w);
		break;
	}
	}
}

static int ep_wait(struct par__loop *l, int64_t deadline)
{
	struct ep *e = EP(l);
	int ms = -1;

	if (deadline != PAR_NO_DEADLINE) {
		int64_t left = deadline - par_now_ns();
		ms = left <= 0 ? 0 : left / 1000000 + 1 > 60000 ? 60000 : (int)(left / 1000000 + 1);
	}
	/* Only one round of dispatch per call: a connection released in this
	 * batch is freed after it, so later events for it see CLOSING. */
	int n = epoll_wait(e->epfd, e->ev, NEVENTS, ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		dispatch(l, &e->ev[i]);
	return 0;
}

const struct par__loop_ops par__loop_epoll_ops = {
	.init = ep_init,
	.fini = ep_fini,
	.listen = ep_listen,
	.conn_start = ep_conn_start,
	.conn_read = ep_conn_read,
	.conn_send = ep_conn_send,
	.conn_close = ep_conn_close,
	.watch = ep_watch,
	.wait = ep_wait,
};
