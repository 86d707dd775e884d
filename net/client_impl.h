/* The manager client's internals (client.c: connection, handshake, sending
 * and reading answers; client_queue.c: the queue calls). */
#ifndef PAR_NET_CLIENT_IMPL_H
#define PAR_NET_CLIENT_IMPL_H

#include "buf.h"
#include "frame.h"

#include <par/manager.h>

#include <pthread.h>
#include <stdint.h>

/* An async request whose answer has not been read. */
struct par__pend {
	uint32_t id;
	uint8_t type;
	uint32_t n; /* messages in it: a put_many answered fewer failed */
	int once;   /* timeout 0: a shortfall is -EAGAIN, else -ETIMEDOUT */
};

struct par_client {
	int fd;
	pthread_mutex_t mu; /* one call at a time on the connection */
	uint32_t next_id;
	struct par__ibuf in;  /* received, not yet read */
	size_t in_used;	      /* bytes of the last answer handed out */
	struct par__ibuf out; /* requests not yet sent */
	struct par__pend *pend;
	uint32_t npend, pend_head;
	uint32_t window;
	int64_t grace;
	int err; /* once broken: -EPIPE */
	int async_err;
	uint64_t async_failed;
};

struct par_rqueue {
	struct par_client *c;
	uint32_t qid;
	uint32_t max_msg;
	uint32_t max_payload;
};

/* Deadline for an answer to a request with timeout_ns. */
int64_t par__client_deadline(const struct par_client *c, int64_t timeout_ns);
/* Room for a request of payload len: the header is written, the payload
 * goes at the returned pointer. NULL when out of memory. */
uint8_t *par__client_req(struct par_client *c, uint8_t type, uint32_t len, uint32_t *id);
/* Send what is queued, then read the answers of the async requests in
 * flight and then this request's (id, type) into *a (valid until the next
 * call). 0, or -errno (the connection is then broken, except for a
 * timeout of the wait, which breaks it too: -ETIMEDOUT once, then -EPIPE). */
int par__client_call(struct par_client *c, uint32_t id, uint8_t type, int64_t deadline,
		     struct par__ans *a);
/* Queue an async request: make room in the window first. */
int par__client_async(struct par_client *c, uint32_t id, uint8_t type, uint32_t n,
		      int64_t timeout_ns);
/* Send what is buffered (all of it). */
int par__client_send(struct par_client *c, int64_t deadline);
/* Mark broken. Returns err. */
int par__client_break(struct par_client *c, int err);

#endif /* PAR_NET_CLIENT_IMPL_H */
