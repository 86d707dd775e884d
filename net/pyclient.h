/* The client of Python managers, inside: one TCP connection to a
 * BaseManager server (pyclient_conn.c: dialling, the mutual challenge in
 * both dialects, whole messages in and out with deadlines) and the calls
 * made over such connections (pyclient.c). The socket stays blocking: a
 * wait without deadline is one recv; with one, a poll and a non-blocking
 * recv. Sends never raise SIGPIPE. */
#ifndef PAR_NET_PYCLIENT_H
#define PAR_NET_PYCLIENT_H

#include <par/net.h>

#include <stddef.h>
#include <stdint.h>

/* Largest answer read after the handshake (a bigger one drops the
 * connection with -EMSGSIZE). */
#define PAR__PYCLIENT_ANSWER_MAX (1ull << 30)
/* Most memory the nodes read from one answer may take. */
#define PAR__PYCLIENT_GRAPH_MAX ((size_t)2 << 30)

struct par__pyconn {
	int fd; /* -1: closed */
	uint8_t *buf;
	size_t off, len, cap; /* received bytes buf[off..off+len) */
	size_t used;	      /* the message last handed out, consumed on the next read */
};

/* Dial "HOST:PORT" and authenticate both ways before deadline. 0; -EACCES
 * (the server refused our answer, or its answer to ours was wrong: we then
 * say #FAILURE#); -EPROTO (no challenge, a handshake message over 256 bytes,
 * an unknown digest); -ECONNREFUSED, -ETIMEDOUT, -EPIPE, -EINVAL (bad
 * address), -ENOMEM. On error c is closed. */
int par__pyconn_open(struct par__pyconn *c, const char *addr, const struct par_authkey *key,
		     int64_t deadline);

/* Send one message (header and payload p[0..n)). 0, -EPIPE, -ETIMEDOUT. */
int par__pyconn_send(struct par__pyconn *c, const void *p, size_t n, int64_t deadline);

/* The next message into *p, *n (valid until the next call). 0; -EPIPE
 * (EOF or a socket error), -ETIMEDOUT, -EMSGSIZE (longer than max), -EPROTO
 * (a bad length), -ENOMEM. After an error the connection is out of step:
 * close it. */
int par__pyconn_recv(struct par__pyconn *c, uint64_t max, int64_t deadline, const uint8_t **p,
		     size_t *n);

/* Close the socket and free the buffer. A closed one is a no-op. */
void par__pyconn_close(struct par__pyconn *c);

#endif /* PAR_NET_PYCLIENT_H */
