#include "mutex_queue.h"

#include <errno.h>
#include <string.h>

static size_t slot_bytes(uint32_t slot_size)
{
	return (8 + (size_t)slot_size + 7) & ~(size_t)7;
}

static size_t header_bytes()
{
	return (sizeof(struct mutex_queue) + 63) & ~(size_t)63;
}

static char *slot(struct mutex_queue *q, uint64_t i)
{
	return (char *)q + header_bytes() + (i & (q->slots - 1)) * slot_bytes(q->slot_size);
}

size_t mutex_queue_memsize(uint32_t slots, uint32_t slot_size)
{
	return header_bytes() + (size_t)slots * slot_bytes(slot_size);
}

int mutex_queue_init(struct mutex_queue *q, uint32_t slots, uint32_t slot_size)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int rc;

	if (slots == 0 || (slots & (slots - 1)) != 0)
		return EINVAL;
	memset(q, 0, sizeof(*q));
	q->slots = slots;
	q->slot_size = slot_size;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	rc = pthread_mutex_init(&q->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	if (rc)
		return rc;
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&q->not_empty, &ca);
	if (!rc)
		rc = pthread_cond_init(&q->not_full, &ca);
	pthread_condattr_destroy(&ca);
	return rc;
}

void mutex_queue_destroy(struct mutex_queue *q)
{
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
}

int mutex_queue_put_many(struct mutex_queue *q, const void *const *msgs, size_t len, unsigned n,
			 const struct timespec *deadline)
{
	unsigned k = 0;
	int rc = 0;

	if (len > q->slot_size)
		return -EMSGSIZE;
	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->tail - q->head == q->slots && rc == 0)
		rc = deadline ? pthread_cond_timedwait(&q->not_full, &q->lock, deadline)
			      : pthread_cond_wait(&q->not_full, &q->lock);
	if (q->closed) {
		rc = EPIPE;
	} else if (q->tail - q->head < q->slots) {
		rc = 0;
		for (; k < n && q->tail - q->head < q->slots; k++, q->tail++) {
			char *s = slot(q, q->tail);
			uint64_t l = len;
			memcpy(s, &l, 8);
			memcpy(s + 8, msgs[k], len);
		}
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	return k ? (int)k : -rc;
}

int mutex_queue_get_many(struct mutex_queue *q, void *const *bufs, size_t cap, size_t *lens,
			 unsigned n)
{
	unsigned k = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->tail == q->head)
		pthread_cond_wait(&q->not_empty, &q->lock);
	for (; k < n && q->head != q->tail; k++, q->head++) {
		char *s = slot(q, q->head);
		uint64_t l;
		memcpy(&l, s, 8);
		lens[k] = l;
		memcpy(bufs[k], s + 8, l < cap ? l : cap);
	}
	if (k)
		pthread_cond_signal(&q->not_full);
	pthread_mutex_unlock(&q->lock);
	return k ? (int)k : -EPIPE;
}

void mutex_queue_close(struct mutex_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}
