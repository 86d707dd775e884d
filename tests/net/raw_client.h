/* A raw protocol client for the abuse tests: sockets, frames and the
 * handshake by hand, so a test can send exactly the bytes it means. */
#ifndef PAR_NET_RAW_CLIENT_H
#define PAR_NET_RAW_CLIENT_H

#include "auth.h"
#include "frame.h"
#include "net_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

/* Connect to "127.0.0.1:PORT"; rcvbuf > 0 shrinks the receive buffer. */
static inline int raw_connect(const char *addr, int rcvbuf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(addr, ':');
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static inline void raw_send(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

static inline void raw_frame(int fd, uint8_t type, uint32_t id, const void *p, uint32_t len)
{
	uint8_t h[PAR_NET_HEADER_SIZE];
	par__frame_header(h, type, id, len);
	raw_send(fd, h, sizeof(h));
	if (len > 0)
		raw_send(fd, p, len);
}

/* Read exactly n bytes within 5 s: 1, 0 at EOF (or reset), -1 on timeout. */
static inline int raw_read(int fd, uint8_t *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 5000) <= 0)
			return -1;
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* The next frame (payload into buf, cap bytes). 1, 0 at EOF, -1 timeout. */
static inline int raw_next(int fd, uint8_t *buf, size_t cap, struct par__frame *f)
{
	uint8_t h[PAR_NET_HEADER_SIZE];
	const char *why;
	int r = raw_read(fd, h, sizeof(h));

	if (r <= 0)
		return r;
	f->len = par__le32(h);
	f->type = h[5];
	f->id = par__le32(h + 8);
	f->version = h[4];
	f->flags = 0;
	assert_true(f->len <= cap);
	r = f->len ? raw_read(fd, buf, f->len) : 1;
	f->payload = buf;
	(void)why;
	return r;
}

/* 1 when the server closes within 5 s (frames before the close are read
 * and dropped). */
static inline int raw_closed(int fd)
{
	uint8_t buf[4096];
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 5000) <= 0)
			return 0;
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0)
			return 1;
	}
}

/* The handshake by hand; the AUTH frame sent is copied to auth (76 bytes)
 * when not NULL. Returns 0 when the server proved itself. */
static inline int raw_handshake(int fd, const struct par_authkey *key, uint8_t *auth)
{
	uint8_t buf[128], ns[32], nc[32], mac[64], want[32];
	struct par__frame f;

	if (raw_next(fd, buf, sizeof(buf), &f) != 1 || f.type != PAR__T_HELLO || f.len != 32)
		return -1;
	memcpy(ns, buf, 32);
	assert_int_equal(par__nonce(nc), 0);
	assert_int_equal(par__auth_mac(key, PAR__AUTH_CLIENT, ns, nc, mac), 0);
	memcpy(mac + 32, nc, 32);
	if (auth != NULL) {
		par__frame_header(auth, PAR__T_AUTH, 0, 64);
		memcpy(auth + PAR_NET_HEADER_SIZE, mac, 64);
	}
	raw_frame(fd, PAR__T_AUTH, 0, mac, 64);
	if (raw_next(fd, buf, sizeof(buf), &f) != 1 || f.type != PAR__T_AUTH_OK)
		return -1;
	assert_int_equal(par__auth_mac(key, PAR__AUTH_SERVER, nc, ns, want), 0);
	return par__mac_equal(buf, want) ? 0 : -1;
}

static inline int raw_authed(struct nt_server *s)
{
	int fd = raw_connect(s->addr, 0);
	assert_int_equal(raw_handshake(fd, &s->key, NULL), 0);
	return fd;
}

#endif /* PAR_NET_RAW_CLIENT_H */
