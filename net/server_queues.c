/* The queues a manager serves, independent of any wire format: in-memory
 * rings of messages or shm Queues, and the requests parked on them (gets
 * waiting for a message, puts waiting for room), served in arrival order
 * when the queue changes, or answered at their deadline. Serving thread
 * only, except the relaxed st_* mirrors that par_manager_queues reads. */
#include "server_impl.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define RELAXED memory_order_relaxed
/* While remote puts wait for room in a shm Queue, look again this often
 * (room there makes no event the server can wait on). */
#define SHM_POLL_NS (1000 * 1000LL)
/* Same for gets when the queue's eventfd cannot be had. */
#define SHM_GET_POLL_NS (2000 * 1000LL)

static void sq_fire_poll(struct par__timer *t);

static struct par__sq *sq_alloc(struct par_manager *m, const char *name)
{
	struct par__sq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	strncpy(q->name, name, PAR_MANAGER_NAME_MAX);
	q->m = m;
	q->watch.fd = -1;
	par__timer_init(&q->poll, sq_fire_poll);
	return q;
}

int par__sq_new_mem(struct par_manager *m, const char *name, uint32_t capacity, size_t max_bytes,
		    struct par__sq **out)
{
	uint32_t size = 1;

	if (capacity == 0 || capacity > (1u << 24) || max_bytes == 0)
		return -EINVAL;
	while (size < capacity)
		size *= 2;
	struct par__sq *q = sq_alloc(m, name);
	if (q == NULL)
		return -ENOMEM;
	q->ring = calloc(size, sizeof(*q->ring));
	if (q->ring == NULL) {
		free(q);
		return -ENOMEM;
	}
	q->mask = size - 1;
	q->capacity = capacity;
	q->max_bytes = max_bytes;
	q->max_msg = m->max_msg;
	*out = q;
	return 0;
}

int par__sq_new_shm(struct par_manager *m, const char *name, struct par_queue *pq,
		    struct par__sq **out)
{
	struct par__sq *q = sq_alloc(m, name);

	if (q == NULL)
		return -ENOMEM;
	q->pq = pq;
	q->capacity = par_queue_capacity(pq);
	q->max_msg = par_queue_max_msg(pq) < m->max_msg ? par_queue_max_msg(pq) : m->max_msg;
	*out = q;
	return 0;
}

void par__sq_free(struct par__sq *q)
{
	if (q == NULL)
		return;
	if (q->ring != NULL)
		for (uint64_t i = q->head; i != q->tail; i++)
			free(q->ring[i & q->mask]);
	free(q->ring);
	free(q);
}

static void sq_sync(struct par__sq *q)
{
	if (q->pq == NULL)
		atomic_store_explicit(&q->st_size, q->tail - q->head, RELAXED);
	atomic_store_explicit(&q->st_wget, q->getters.n, RELAXED);
	atomic_store_explicit(&q->st_wput, q->putters.n, RELAXED);
}

void par__sq_count(struct par__sq *q, int put, uint64_t n)
{
	if (put) {
		atomic_fetch_add_explicit(&q->st_puts, n, RELAXED);
		PAR__CNT(q->m, puts, n);
	} else {
		atomic_fetch_add_explicit(&q->st_gets, n, RELAXED);
		PAR__CNT(q->m, gets, n);
	}
}

static int mem_room(const struct par__sq *q, size_t len)
{
	uint64_t n = q->tail - q->head;

	/* One message always fits an empty queue, so none can wedge it. */
	return n < q->capacity && (n == 0 || q->bytes + len <= q->max_bytes);
}

int par__sq_put(struct par__sq *q, const uint8_t *msg, size_t len)
{
	if (q->shut)
		return -EPIPE;
	if (len > q->max_msg)
		return -EMSGSIZE;
	if (q->pq != NULL) {
		int r = par_queue_put(q->pq, msg, len, 0);
		q->unfinished += r == 0;
		return r == -ETIMEDOUT ? -EAGAIN : r;
	}
	if (!mem_room(q, len))
		return -EAGAIN;
	struct par__blob *b = malloc(sizeof(*b) + len);
	if (b == NULL)
		return -ENOMEM;
	b->len = (uint32_t)len;
	memcpy(b->data, msg, len);
	q->ring[q->tail++ & q->mask] = b;
	q->bytes += len;
	q->unfinished++;
	sq_sync(q);
	return 0;
}

/* A shm message goes through the manager's scratch buffer. */
static ssize_t shm_get(struct par__sq *q, size_t cap, par__sink_fn sink, void *arg)
{
	ssize_t r = par_queue_get(q->pq, q->m->scratch, cap < q->max_msg ? cap : q->max_msg, 0);

	if (r == -ETIMEDOUT)
		return -EAGAIN;
	if (r >= 0)
		sink(arg, q->m->scratch, (size_t)r);
	return r;
}

ssize_t par__sq_get(struct par__sq *q, size_t cap, par__sink_fn sink, void *arg)
{
	if (q->pq != NULL)
		return shm_get(q, cap, sink, arg);
	if (q->head == q->tail)
		return q->shut ? -EPIPE : -EAGAIN;
	struct par__blob *b = q->ring[q->head & q->mask];
	if (b->len > cap)
		return -EMSGSIZE;
	sink(arg, b->data, b->len);
	q->ring[q->head++ & q->mask] = NULL;
	q->bytes -= b->len;
	ssize_t len = b->len;
	free(b);
	sq_sync(q);
	return len;
}

uint64_t par__sq_size(const struct par__sq *q)
{
	return q->pq != NULL ? par_queue_size(q->pq) : q->tail - q->head;
}

/* ---- waiters ----------------------------------------------------------- */

static void wl_append(struct par__wlist *l, struct par__waiter *w)
{
	w->next = NULL;
	w->prev = l->last;
	if (l->last != NULL)
		l->last->next = w;
	else
		l->first = w;
	l->last = w;
	l->n++;
}

static void wl_remove(struct par__wlist *l, struct par__waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		l->first = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	else
		l->last = w->prev;
	w->prev = w->next = NULL;
	l->n--;
}

static struct par__wlist *wl_of(struct par__sq *q, int kind)
{
	return kind == PAR__WAIT_GET   ? &q->getters
	       : kind == PAR__WAIT_PUT ? &q->putters
				       : &q->joiners;
}

static void waiter_fire(struct par__timer *t)
{
	struct par__waiter *w =
		(struct par__waiter *)((char *)t - offsetof(struct par__waiter, timer));
	struct par_manager *m = w->q->m;

	par__sq_unpark(w);
	PAR__CNT(m, timeouts, 1);
	w->expire(w, -ETIMEDOUT);
}

static void shm_watch_fired(struct par__watch *wt)
{
	par__sq_kick(wt->arg);
}

/* A shm queue with waiters: be told (eventfd) or look again (timer). */
static void shm_arm(struct par__sq *q)
{
	struct par_manager *m = q->m;
	int64_t poll = PAR_NO_DEADLINE;

	if (q->getters.n > 0) {
		if (q->watch.fd < 0) {
			int fd = par_queue_eventfd(q->pq);
			q->watch = (struct par__watch){ .fd = fd, .cb = shm_watch_fired, .arg = q };
		}
		if (q->watch.fd < 0 || par__loop_watch(m->loop, &q->watch) != 0)
			poll = par_now_ns() + SHM_GET_POLL_NS;
	}
	if (q->putters.n > 0)
		poll = par_now_ns() + SHM_POLL_NS;
	if (poll != PAR_NO_DEADLINE && q->poll.idx == UINT32_MAX)
		par__timer_set(&m->timers, &q->poll, poll);
}

static void sq_fire_poll(struct par__timer *t)
{
	struct par__sq *q = (struct par__sq *)((char *)t - offsetof(struct par__sq, poll));

	par__sq_kick(q);
}

int par__sq_park(struct par__sq *q, struct par__waiter *w, int kind, int64_t deadline)
{
	par__timer_init(&w->timer, waiter_fire);
	w->q = q;
	w->kind = kind;
	wl_append(wl_of(q, kind), w);
	if (par__timer_set(&q->m->timers, &w->timer, deadline) != 0) {
		wl_remove(wl_of(q, kind), w);
		w->q = NULL;
		return -ENOMEM;
	}
	sq_sync(q);
	if (q->pq != NULL)
		shm_arm(q);
	return 0;
}

void par__sq_unpark(struct par__waiter *w)
{
	struct par__sq *q = w->q;

	if (q == NULL)
		return;
	wl_remove(wl_of(q, w->kind), w);
	par__timer_cancel(&q->m->timers, &w->timer);
	w->q = NULL;
	sq_sync(q);
}

void par__sq_expire_all(struct par__sq *q, int err)
{
	struct par__waiter *w;

	while ((w = q->getters.first) != NULL || (w = q->putters.first) != NULL ||
	       (w = q->joiners.first) != NULL) {
		par__sq_unpark(w);
		w->expire(w, err);
	}
	par__timer_cancel(&q->m->timers, &q->poll);
	q->watch.armed = q->watch.added = 0; /* the loop goes away */
}

static int may_get(const struct par__sq *q)
{
	return q->pq != NULL || q->head != q->tail;
}

static int may_put(const struct par__sq *q)
{
	return q->pq != NULL || mem_room(q, 0);
}

void par__sq_kick(struct par__sq *q)
{
	struct par__waiter *w;

	if (q->kicking) {
		q->again = 1;
		return;
	}
	q->kicking = 1;
	do {
		q->again = 0;
		while ((w = q->getters.first) != NULL && may_get(q) && w->retry(w))
			;
		while ((w = q->putters.first) != NULL && may_put(q) && w->retry(w))
			;
		while ((w = q->joiners.first) != NULL && q->unfinished == 0 && w->retry(w))
			;
	} while (q->again);
	q->kicking = 0;
	if (q->pq != NULL && (q->getters.n > 0 || q->putters.n > 0))
		shm_arm(q);
}

int par__sq_task_done(struct par__sq *q)
{
	if (q->unfinished == 0)
		return -EINVAL;
	if (--q->unfinished == 0)
		par__sq_kick(q);
	return 0;
}

/* Drop every message (shutdown(immediate=True)); each finishes a task. */
static void sq_drop_all(struct par__sq *q)
{
	uint64_t n = 0;

	if (q->pq != NULL) {
		while (par_queue_get(q->pq, q->m->scratch, q->max_msg, 0) >= 0)
			n++;
	} else {
		for (; q->head != q->tail; q->head++, n++) {
			free(q->ring[q->head & q->mask]);
			q->ring[q->head & q->mask] = NULL;
		}
		q->bytes = 0;
	}
	q->unfinished -= n < q->unfinished ? n : q->unfinished;
	sq_sync(q);
}

static void expire_list(struct par__wlist *l, int err)
{
	struct par__waiter *w;

	while ((w = l->first) != NULL) {
		par__sq_unpark(w);
		w->expire(w, err);
	}
}

void par__sq_shutdown(struct par__sq *q, int immediate)
{
	q->shut = 1;
	if (q->pq != NULL)
		par_queue_shutdown(q->pq);
	if (immediate)
		sq_drop_all(q);
	expire_list(&q->putters, -EPIPE);
	par__sq_kick(q);
	if (par__sq_size(q) == 0)
		expire_list(&q->getters, -EPIPE);
}

void par__sq_info(const struct par__sq *q, struct par_manager_queue_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->name, q->name, sizeof(info->name));
	info->size =
		q->pq != NULL ? par_queue_size(q->pq) : atomic_load_explicit(&q->st_size, RELAXED);
	info->capacity = q->capacity;
	info->puts = atomic_load_explicit(&q->st_puts, RELAXED);
	info->gets = atomic_load_explicit(&q->st_gets, RELAXED);
	info->waiting_gets = atomic_load_explicit(&q->st_wget, RELAXED);
	info->waiting_puts = atomic_load_explicit(&q->st_wput, RELAXED);
	info->shm = q->pq != NULL;
}
