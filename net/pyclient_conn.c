/* One connection to a Python manager: dial, the mutual challenge
 * (connection.answer_challenge then deliver_challenge, as
 * multiprocessing.connection.Client does), and length-prefixed messages. */
#include "addr.h"
#include "pyclient.h"
#include "pywire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define READ_CHUNK (64u << 10)

int par__pyconn_send(struct par__pyconn *c, const void *p, size_t n, int64_t deadline)
{
	uint8_t h[12];
	struct iovec iov[2] = { { h, par__py_frame_header(h, n) }, { (void *)p, n } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	int flags = MSG_NOSIGNAL | (deadline == PAR_NO_DEADLINE ? 0 : MSG_DONTWAIT);

	if (c->fd < 0)
		return -EPIPE;
	while (mh.msg_iovlen > 0) {
		ssize_t k = sendmsg(c->fd, &mh, flags);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN)
			return -EPIPE;
		if (k < 0) {
			int r = par__wait_fd(c->fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		while (mh.msg_iovlen > 0 && (size_t)k >= mh.msg_iov[0].iov_len) {
			k -= (ssize_t)mh.msg_iov[0].iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov[0].iov_base = (uint8_t *)mh.msg_iov[0].iov_base + k;
			mh.msg_iov[0].iov_len -= (size_t)k;
		}
	}
	return 0;
}

/* Room for want bytes received in all. */
static int reserve(struct par__pyconn *c, size_t want)
{
	if (c->off > 0 && c->off + want > c->cap) {
		memmove(c->buf, c->buf + c->off, c->len);
		c->off = 0;
	}
	if (want <= c->cap)
		return 0;
	size_t cap = c->cap ? c->cap : READ_CHUNK;
	while (cap < want)
		cap *= 2;
	uint8_t *b = realloc(c->buf, cap);
	if (b == NULL)
		return -ENOMEM;
	c->buf = b;
	c->cap = cap;
	return 0;
}

/* Receive more bytes, at least want in all (a whole message) if known. */
static int fill(struct par__pyconn *c, size_t want, int64_t deadline)
{
	int r = reserve(c, (want > c->len ? want : c->len) + READ_CHUNK);

	if (r != 0)
		return r;
	for (;;) {
		int flags = deadline == PAR_NO_DEADLINE ? 0 : MSG_DONTWAIT;
		ssize_t k = recv(c->fd, c->buf + c->off + c->len, c->cap - c->off - c->len, flags);
		if (k > 0) {
			c->len += (size_t)k;
			return 0;
		}
		if (k == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -EPIPE;
		r = par__wait_fd(c->fd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

/* The size of the message whose header starts p[0..n), 0 when unknown. */
static uint64_t wanted(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	if (n < 4)
		return 0;
	if (p[0] != 0xff || p[1] != 0xff || p[2] != 0xff || p[3] != 0xff)
		return 4 + (((uint64_t)p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]);
	if (n < 12)
		return 0;
	for (int i = 4; i < 12; i++)
		v = v << 8 | p[i];
	return v > UINT64_MAX - 12 ? 0 : 12 + v;
}

int par__pyconn_recv(struct par__pyconn *c, uint64_t max, int64_t deadline, const uint8_t **p,
		     size_t *n)
{
	if (c->fd < 0)
		return -EPIPE;
	c->off += c->used;
	c->len -= c->used;
	c->used = 0;
	if (c->len == 0)
		c->off = 0;
	for (;;) {
		uint64_t len;
		ssize_t k = par__py_frame_parse(c->buf + c->off, c->len, max, p, &len);
		if (k > 0) {
			c->used = (size_t)k;
			*n = (size_t)len;
			return 0;
		}
		if (k < 0)
			return (int)k;
		uint64_t want = wanted(c->buf + c->off, c->len);
		if (want > SIZE_MAX - READ_CHUNK)
			return -ENOMEM;
		int r = fill(c, (size_t)want, deadline);
		if (r < 0)
			return r;
	}
}

void par__pyconn_close(struct par__pyconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	*c = (struct par__pyconn){ .fd = -1 };
}

static int starts(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(p, s, k) == 0;
}

static int is(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/* A handshake message: bad sizes mean this is no Python manager. */
static int hs_recv(struct par__pyconn *c, int64_t deadline, const uint8_t **p, size_t *n)
{
	int r = par__pyconn_recv(c, PAR__PY_HS_MAX, deadline, p, n);

	return r == -EMSGSIZE ? -EPROTO : r;
}

/* Steps 1-3: answer the server's challenge, get its welcome. */
static int answer_challenge(struct par__pyconn *c, const struct par_authkey *key, int64_t deadline)
{
	uint8_t ans[PAR__PY_ANSWER_MAX];
	const uint8_t *p;
	size_t n;
	int r = hs_recv(c, deadline, &p, &n);

	if (r != 0)
		return r;
	if (!starts(p, n, PAR__PY_CHALLENGE))
		return -EPROTO;
	int k = par__py_answer(key, p, n, ans);
	if (k < 0)
		return k;
	r = par__pyconn_send(c, ans, (size_t)k, deadline);
	if (r == 0)
		r = hs_recv(c, deadline, &p, &n);
	if (r == -EPIPE)
		return -EACCES; /* hung up on our answer */
	if (r != 0)
		return r;
	if (is(p, n, PAR__PY_WELCOME))
		return 0;
	return is(p, n, PAR__PY_FAILURE) ? -EACCES : -EPROTO;
}

/* Steps 4-6: challenge the server (the {sha256} form: a 3.8-3.11 server
 * answers it with raw HMAC-MD5 over the whole body, which is accepted). */
static int deliver_challenge(struct par__pyconn *c, const struct par_authkey *key, int64_t deadline)
{
	uint8_t chal[PAR__PY_CHALLENGE_MAX];
	const uint8_t *p;
	size_t n;
	int k = par__py_challenge(chal, 1);

	if (k < 0)
		return k;
	int r = par__pyconn_send(c, chal, (size_t)k, deadline);
	if (r == 0)
		r = hs_recv(c, deadline, &p, &n);
	if (r != 0)
		return r;
	if (!par__py_verify(key, chal, (size_t)k, p, n)) {
		par__pyconn_send(c, PAR__PY_FAILURE, strlen(PAR__PY_FAILURE), deadline);
		return -EACCES;
	}
	return par__pyconn_send(c, PAR__PY_WELCOME, strlen(PAR__PY_WELCOME), deadline);
}

int par__pyconn_open(struct par__pyconn *c, const char *addr, const struct par_authkey *key,
		     int64_t deadline)
{
	*c = (struct par__pyconn){ .fd = par__dial(addr, deadline) };
	if (c->fd < 0) {
		int r = c->fd;
		c->fd = -1;
		return r;
	}
	int r = answer_challenge(c, key, deadline);
	if (r == 0)
		r = deliver_challenge(c, key, deadline);
	if (r != 0)
		par__pyconn_close(c);
	return r;
}
