/* Input and output byte buffers (net/buf.h). */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An input buffer emptied above this size gives its memory back. */
#define IBUF_KEEP (64u << 10)

int par__ibuf_reserve(struct par__ibuf *b, size_t total)
{
	if (b->off > 0 && b->off + total > b->cap) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	if (total <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < total)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int par__ibuf_append(struct par__ibuf *b, const void *d, size_t n)
{
	if (b->off + b->len + n > b->cap && par__ibuf_reserve(b, b->len + n) != 0)
		return -ENOMEM;
	memcpy(b->p + b->off + b->len, d, n);
	b->len += n;
	return 0;
}

void par__ibuf_consume(struct par__ibuf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (b->len == 0) {
		b->off = 0;
		if (b->cap > IBUF_KEEP)
			par__ibuf_free(b);
	}
}

void par__ibuf_free(struct par__ibuf *b)
{
	free(b->p);
	*b = (struct par__ibuf){ 0 };
}

static struct par__chunk *chunk_new(size_t n)
{
	size_t cap = n > PAR__CHUNK ? n : PAR__CHUNK;
	struct par__chunk *c = malloc(sizeof(*c) + cap);

	if (c != NULL)
		*c = (struct par__chunk){ .cap = cap };
	return c;
}

uint8_t *par__obuf_reserve(struct par__obuf *o, size_t n)
{
	struct par__chunk *c = o->last;

	if (c != NULL && c->cap - c->tail >= n)
		return c->data + c->tail;
	c = chunk_new(n);
	if (c == NULL)
		return NULL;
	if (o->last != NULL)
		o->last->next = c;
	else
		o->first = c;
	o->last = c;
	return c->data;
}

void par__obuf_commit(struct par__obuf *o, size_t n)
{
	o->last->tail += n;
	o->len += n;
}

int par__obuf_write(struct par__obuf *o, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n > 0) {
		struct par__chunk *c = o->last;
		size_t room = c != NULL ? c->cap - c->tail : 0;
		if (room == 0) {
			if (par__obuf_reserve(o, n < PAR__CHUNK ? n : PAR__CHUNK) == NULL)
				return -ENOMEM;
			continue;
		}
		size_t k = room < n ? room : n;
		memcpy(c->data + c->tail, s, k);
		par__obuf_commit(o, k);
		s += k;
		n -= k;
	}
	return 0;
}

int par__obuf_iov(const struct par__obuf *o, struct iovec *iov, int max)
{
	int n = 0;

	for (struct par__chunk *c = o->first; c != NULL && n < max; c = c->next) {
		if (c->tail == c->head)
			continue;
		iov[n].iov_base = c->data + c->head;
		iov[n].iov_len = c->tail - c->head;
		n++;
	}
	return n;
}

void par__obuf_consume(struct par__obuf *o, size_t n)
{
	o->len -= n;
	while (o->first != NULL) {
		struct par__chunk *c = o->first;
		size_t k = c->tail - c->head;
		if (k > n) {
			c->head += n;
			return;
		}
		n -= k;
		c->head = c->tail;
		if (c->next == NULL) {
			/* Keep the last one, emptied, for the next answers. */
			if (c->cap > PAR__CHUNK) {
				free(c);
				o->first = o->last = NULL;
			} else {
				c->head = c->tail = 0;
			}
			return;
		}
		o->first = c->next;
		free(c);
	}
}

void par__obuf_free(struct par__obuf *o)
{
	while (o->first != NULL) {
		struct par__chunk *c = o->first;
		o->first = c->next;
		free(c);
	}
	*o = (struct par__obuf){ 0 };
}
