/* The event loop's backend-neutral half: choosing a backend, the lists of
 * connections to send from and to release, and retrying accept. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int par__uring_probe(void);

/* Wait this long before accepting again after running out of descriptors. */
#define ACCEPT_RETRY_NS (100 * 1000000LL)

const char *par_net_backend_name(enum par_net_backend b)
{
	switch (b) {
	case PAR_NET_BACKEND_AUTO:
		return "auto";
	case PAR_NET_BACKEND_URING:
		return "io_uring";
	case PAR_NET_BACKEND_EPOLL:
		return "epoll";
	}
	return "unknown";
}

/* $PAR_NET_BACKEND: 1 and *b when set, 0 when not, -EINVAL when unknown. */
static int env_backend(enum par_net_backend *b)
{
	const char *e = getenv("PAR_NET_BACKEND");

	if (e == NULL || *e == '\0' || strcmp(e, "auto") == 0)
		return 0;
	if (strcmp(e, "uring") == 0 || strcmp(e, "io_uring") == 0)
		*b = PAR_NET_BACKEND_URING;
	else if (strcmp(e, "epoll") == 0)
		*b = PAR_NET_BACKEND_EPOLL;
	else
		return -EINVAL;
	return 1;
}

int par__loop_pick(enum par_net_backend want)
{
	int explicit = want != PAR_NET_BACKEND_AUTO;

	if (!explicit) {
		explicit = env_backend(&want);
		if (explicit < 0)
			return explicit;
		if (!explicit)
			want = PAR_NET_BACKEND_URING;
	}
	if (want == PAR_NET_BACKEND_EPOLL)
		return PAR_NET_BACKEND_EPOLL;
	if (want != PAR_NET_BACKEND_URING)
		return -EINVAL;
	int r = par__uring_probe();
	if (r == 0)
		return PAR_NET_BACKEND_URING;
	return explicit ? r : PAR_NET_BACKEND_EPOLL;
}

int par_net_backend_probe(enum par_net_backend want)
{
	return par__loop_pick(want);
}

int par__loop_create(enum par_net_backend want, const struct par__loop_cb *cb,
		     struct par__loop **out)
{
	int b = par__loop_pick(want);

	if (b < 0)
		return b;
	struct par__loop *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->cb = *cb;
	l->backend = (enum par_net_backend)b;
	l->ops = b == PAR_NET_BACKEND_URING ? &par__loop_uring_ops : &par__loop_epoll_ops;
	int r = l->ops->init(l);
	if (r < 0 && b == PAR_NET_BACKEND_URING && want == PAR_NET_BACKEND_AUTO &&
	    getenv("PAR_NET_BACKEND") == NULL) {
		/* Probed fine but refused now (e.g. out of locked memory). */
		l->backend = PAR_NET_BACKEND_EPOLL;
		l->ops = &par__loop_epoll_ops;
		r = l->ops->init(l);
	}
	if (r < 0) {
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

void par__loop_destroy(struct par__loop *l)
{
	if (l == NULL)
		return;
	l->ops->fini(l);
	free(l);
}

int par__loop_listen(struct par__loop *l, struct par__listener *ls)
{
	if (l->nlisteners == sizeof(l->listeners) / sizeof(l->listeners[0]))
		return -ENOSPC;
	int r = l->ops->listen(l, ls);
	if (r == 0)
		l->listeners[l->nlisteners++] = ls;
	return r;
}

void par__loop_accept_failed(struct par__loop *l, struct par__listener *ls, int err)
{
	(void)l;
	if (err == -ECANCELED)
		return;
	ls->retry_at = par_now_ns() + ACCEPT_RETRY_NS;
}

int par__loop_conn_start(struct par__loop *l, struct par__lconn *c)
{
	c->flags |= PAR__LC_READ;
	return l->ops->conn_start(l, c);
}

void par__loop_conn_read(struct par__loop *l, struct par__lconn *c, int on)
{
	if (c->flags & PAR__LC_CLOSING)
		return;
	if (on)
		c->flags |= PAR__LC_READ;
	else
		c->flags &= ~PAR__LC_READ;
	l->ops->conn_read(l, c, on);
}

void par__loop_conn_flush(struct par__loop *l, struct par__lconn *c)
{
	if (c->flags & (PAR__LC_DIRTY | PAR__LC_CLOSING))
		return;
	c->flags |= PAR__LC_DIRTY;
	c->dprev = NULL;
	c->dnext = l->dirty;
	if (l->dirty != NULL)
		l->dirty->dprev = c;
	l->dirty = c;
}

void par__loop_undirty(struct par__loop *l, struct par__lconn *c)
{
	if (!(c->flags & PAR__LC_DIRTY))
		return;
	if (c->dprev != NULL)
		c->dprev->dnext = c->dnext;
	else
		l->dirty = c->dnext;
	if (c->dnext != NULL)
		c->dnext->dprev = c->dprev;
	c->dprev = c->dnext = NULL;
	c->flags &= ~PAR__LC_DIRTY;
}

void par__loop_conn_close(struct par__loop *l, struct par__lconn *c)
{
	if (c->flags & PAR__LC_CLOSING)
		return;
	par__loop_undirty(l, c);
	c->flags |= PAR__LC_CLOSING;
	c->flags &= ~PAR__LC_READ;
	l->ops->conn_close(l, c);
}

void par__loop_released(struct par__loop *l, struct par__lconn *c)
{
	if (c->flags & PAR__LC_GONE)
		return;
	c->flags |= PAR__LC_GONE;
	c->rnext = l->release;
	l->release = c;
}

int par__loop_watch(struct par__loop *l, struct par__watch *w)
{
	if (w->armed)
		return 0;
	return l->ops->watch(l, w);
}

static void flush_dirty(struct par__loop *l)
{
	struct par__lconn *c;

	while ((c = l->dirty) != NULL) {
		par__loop_undirty(l, c);
		if (c->out.len > 0)
			l->ops->conn_send(l, c);
	}
}

/* The earliest accept retry, and re-arm the listeners whose time has come. */
static int64_t listeners_due(struct par__loop *l, int64_t now)
{
	int64_t next = PAR_NO_DEADLINE;

	for (unsigned i = 0; i < l->nlisteners; i++) {
		struct par__listener *ls = l->listeners[i];
		if (ls->retry_at == 0)
			continue;
		if (ls->retry_at <= now) {
			ls->retry_at = 0;
			if (l->ops->listen(l, ls) != 0)
				ls->retry_at = now + ACCEPT_RETRY_NS;
		}
		if (ls->retry_at != 0 && ls->retry_at < next)
			next = ls->retry_at;
	}
	return next;
}

int par__loop_run(struct par__loop *l, int64_t deadline)
{
	flush_dirty(l);
	if (l->nlisteners > 0) {
		int64_t retry = listeners_due(l, par_now_ns());
		if (retry < deadline)
			deadline = retry;
	}
	int r = l->ops->wait(l, deadline);
	flush_dirty(l);
	struct par__lconn *c;
	while ((c = l->release) != NULL) {
		l->release = c->rnext;
		l->cb.released(l->cb.arg, c);
	}
	return r;
}
