/* Deadlines of the serving thread: a binary min-heap (auth deadlines,
 * parked requests). */
#include "server_impl.h"

#include <errno.h>
#include <stdlib.h>

#define NONE UINT32_MAX

void par__timer_init(struct par__timer *t, void (*fire)(struct par__timer *t))
{
	t->deadline = PAR_NO_DEADLINE;
	t->idx = NONE;
	t->fire = fire;
}

static void place(struct par__theap *h, uint32_t i, struct par__timer *t)
{
	h->v[i] = t;
	t->idx = i;
}

static void sift_up(struct par__theap *h, uint32_t i)
{
	struct par__timer *t = h->v[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (h->v[p]->deadline <= t->deadline)
			break;
		place(h, i, h->v[p]);
		i = p;
	}
	place(h, i, t);
}

static void sift_down(struct par__theap *h, uint32_t i)
{
	struct par__timer *t = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->deadline < h->v[c]->deadline)
			c++;
		if (t->deadline <= h->v[c]->deadline)
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, t);
}

void par__timer_cancel(struct par__theap *h, struct par__timer *t)
{
	if (t->idx == NONE)
		return;
	uint32_t i = t->idx;
	t->idx = NONE;
	struct par__timer *last = h->v[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	sift_down(h, i);
	sift_up(h, last->idx);
}

int par__timer_set(struct par__theap *h, struct par__timer *t, int64_t deadline)
{
	par__timer_cancel(h, t);
	t->deadline = deadline;
	if (deadline == PAR_NO_DEADLINE)
		return 0;
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? 2 * h->cap : 64;
		struct par__timer **v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	place(h, h->n++, t);
	sift_up(h, t->idx);
	return 0;
}

int64_t par__timer_next(const struct par__theap *h)
{
	return h->n > 0 ? h->v[0]->deadline : PAR_NO_DEADLINE;
}

void par__timer_run(struct par__theap *h, int64_t now)
{
	while (h->n > 0 && h->v[0]->deadline <= now) {
		struct par__timer *t = h->v[0];
		par__timer_cancel(h, t);
		t->fire(t);
	}
}

void par__theap_free(struct par__theap *h)
{
	free(h->v);
	*h = (struct par__theap){ 0 };
}
