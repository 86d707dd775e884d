/* Byte buffers of the network layer: a contiguous input buffer (bytes of a
 * frame not yet whole) and an output queue of chunks that never move once
 * written, so an io_uring send in flight may point into them while more
 * output is appended behind it. */
#ifndef PAR_NET_BUF_H
#define PAR_NET_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Data is p[off .. off + len). */
struct par__ibuf {
	uint8_t *p;
	size_t off;
	size_t len;
	size_t cap;
};

/* Append n bytes. 0 or -ENOMEM. */
int par__ibuf_append(struct par__ibuf *b, const void *d, size_t n);
/* Room for at least total bytes of data (moves the data to the front). */
int par__ibuf_reserve(struct par__ibuf *b, size_t total);
/* Drop n bytes from the front; an emptied large buffer is freed. */
void par__ibuf_consume(struct par__ibuf *b, size_t n);
void par__ibuf_free(struct par__ibuf *b);

static inline uint8_t *par__ibuf_data(const struct par__ibuf *b)
{
	return b->p + b->off;
}

/* Default output chunk: answers of one loop iteration usually fit one. */
#define PAR__CHUNK (16u << 10)

struct par__chunk {
	struct par__chunk *next;
	size_t head; /* first unsent byte */
	size_t tail; /* end of the data */
	size_t cap;
	uint8_t data[];
};

struct par__obuf {
	struct par__chunk *first;
	struct par__chunk *last;
	size_t len; /* unsent bytes in all chunks */
};

/* n contiguous writable bytes at the tail (a new chunk when the last lacks
 * room), valid until the next reserve; NULL when out of memory. Nothing is
 * queued until par__obuf_commit. */
uint8_t *par__obuf_reserve(struct par__obuf *o, size_t n);
void par__obuf_commit(struct par__obuf *o, size_t n);
/* Copy n bytes in (across chunks as needed). 0 or -ENOMEM. */
int par__obuf_write(struct par__obuf *o, const void *p, size_t n);
/* Unsent data as up to max iovecs; returns how many. */
int par__obuf_iov(const struct par__obuf *o, struct iovec *iov, int max);
/* n bytes were sent: drop them (the last chunk is kept for reuse). */
void par__obuf_consume(struct par__obuf *o, size_t n);
void par__obuf_free(struct par__obuf *o);

#endif /* PAR_NET_BUF_H */
