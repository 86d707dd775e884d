/* Client-side sockets: waiting on a descriptor until a deadline, and
 * dialing "HOST:PORT" with a connect timeout. Shared by par's client and the
 * client of Python managers. */
#include "addr.h"

#include <par/core.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

int par__wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = par_deadline_left(deadline); /* PAR_FOREVER: no deadline */
		int64_t msl = left < 0 ? -1 : left / 1000000 + (left % 1000000 != 0);
		int ms = msl < 0 || msl > 60000 ? 60000 : (int)msl;

		if (deadline != PAR_NO_DEADLINE && left == 0)
			return -ETIMEDOUT;
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* A blocking, TCP_NODELAY socket connected to ai, or -errno. */
static int connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int one = 1, err = 0;
	socklen_t el = sizeof(err);
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	int r = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : -errno;
	if (r == -EINPROGRESS) {
		r = par__wait_fd(fd, POLLOUT, deadline);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			r = -errno;
		if (r == 0)
			r = -err;
	}
	if (r == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
		r = -errno;
	if (r != 0) {
		close(fd);
		return r;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int par__dial(const char *addr, int64_t deadline)
{
	struct addrinfo *res;
	int r = par__addr_resolve(addr, 0, &res);

	if (r != 0)
		return r == -ENOENT ? -EINVAL : r;
	r = -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai != NULL && r < 0; ai = ai->ai_next)
		r = connect_one(ai, deadline);
	freeaddrinfo(res);
	return r;
}
