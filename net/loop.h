/* The event loop: one internal interface, one file per backend
 * (loop_uring.c, loop_epoll.c), as libuv does. Single-threaded: every
 * function here is called from the loop's thread, except that the readiness
 * of a watched descriptor (e.g. an eventfd written by another thread) is how
 * other threads reach it.
 *
 * The loop owns no connection memory: the user embeds a par__lconn in its
 * own connection, and frees it in the released callback. Output is queued by
 * the user in c->out and sent by the loop once per iteration (batched).
 * Received bytes are handed to the data callback and are valid only during
 * the call. */
#ifndef PAR_NET_LOOP_H
#define PAR_NET_LOOP_H

#include "buf.h"

#include <par/net.h>

#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define PAR__SEND_IOV 16

enum {
	PAR__LC_READ = 1u << 0,	   /* the user wants bytes */
	PAR__LC_RECV = 1u << 1,	   /* a receive is armed (io_uring) / EPOLLIN registered */
	PAR__LC_SENDING = 1u << 2, /* a send is in flight (io_uring) */
	PAR__LC_POLLOUT = 1u << 3, /* waiting for room to send (epoll) */
	PAR__LC_DIRTY = 1u << 4,   /* on the list of connections to send from */
	PAR__LC_CLOSING = 1u << 5, /* closed by the user: no more callbacks but released */
	PAR__LC_EOF = 1u << 6,	   /* eof was reported */
	PAR__LC_GONE = 1u << 7,	   /* on the release list */
};

struct par__lconn {
	int fd;
	unsigned flags;
	struct par__obuf out;
	struct par__lconn *dprev, *dnext; /* dirty list */
	struct par__lconn *rnext;	  /* release list */
	struct msghdr msg;		  /* io_uring: the send in flight */
	struct iovec iov[PAR__SEND_IOV];
};

struct par__listener {
	int fd;
	unsigned armed;
	int64_t retry_at; /* accept failed for want of resources: retry then (0: no) */
	void *arg;
};

struct par__watch {
	int fd;
	unsigned armed;
	unsigned added; /* epoll: registered */
	void (*cb)(struct par__watch *w);
	void *arg;
};

struct par__loop_cb {
	void *arg;
	/* A connection on ls: fd (close-on-exec). The user takes it (and calls
	 * par__loop_conn_start) or closes it. */
	void (*accept)(void *arg, struct par__listener *ls, int fd);
	void (*data)(void *arg, struct par__lconn *c, const uint8_t *p, size_t n);
	/* The peer closed (err 0) or the connection failed (-errno). Once per
	 * connection; the user then calls par__loop_conn_close. */
	void (*eof)(void *arg, struct par__lconn *c, int err);
	/* n bytes of c->out went out. */
	void (*sent)(void *arg, struct par__lconn *c, size_t n);
	/* After par__loop_conn_close, once nothing refers to c: free it. */
	void (*released)(void *arg, struct par__lconn *c);
};

struct par__loop;

struct par__loop_ops {
	int (*init)(struct par__loop *l);
	void (*fini)(struct par__loop *l);
	int (*listen)(struct par__loop *l, struct par__listener *ls);
	int (*conn_start)(struct par__loop *l, struct par__lconn *c);
	void (*conn_read)(struct par__loop *l, struct par__lconn *c, int on);
	void (*conn_send)(struct par__loop *l, struct par__lconn *c);
	void (*conn_close)(struct par__loop *l, struct par__lconn *c);
	int (*watch)(struct par__loop *l, struct par__watch *w);
	int (*wait)(struct par__loop *l, int64_t deadline);
};

struct par__loop {
	const struct par__loop_ops *ops;
	enum par_net_backend backend;
	struct par__loop_cb cb;
	struct par__lconn *dirty;   /* connections with output to send */
	struct par__lconn *release; /* closed, waiting for released() */
	struct par__listener *listeners[4];
	unsigned nlisteners;
	void *impl;
};

extern const struct par__loop_ops par__loop_uring_ops;
extern const struct par__loop_ops par__loop_epoll_ops;

/* The backend a loop asking for want gets (see par_net_backend_probe). */
int par__loop_pick(enum par_net_backend want);

/* Make a loop in this thread (io_uring rings are bound to their creator).
 * want is resolved as par_net_backend_probe says. 0 or -errno. */
int par__loop_create(enum par_net_backend want, const struct par__loop_cb *cb,
		     struct par__loop **out);
/* Free the loop; every connection must have been released. */
void par__loop_destroy(struct par__loop *l);

/* Accept connections on ls->fd (a listening socket). */
int par__loop_listen(struct par__loop *l, struct par__listener *ls);
/* Begin reading c->fd (set by the user). */
int par__loop_conn_start(struct par__loop *l, struct par__lconn *c);
/* Pause (on = 0) or resume reading. Bytes may still arrive from a receive
 * already under way. */
void par__loop_conn_read(struct par__loop *l, struct par__lconn *c, int on);
/* Send c->out at the end of this iteration. */
void par__loop_conn_flush(struct par__loop *l, struct par__lconn *c);
/* Close: no more callbacks for c but released(), once the backend is done
 * with it; unsent output is dropped. */
void par__loop_conn_close(struct par__loop *l, struct par__lconn *c);
/* Call w->cb once when w->fd is readable (re-arm in the callback to go on). */
int par__loop_watch(struct par__loop *l, struct par__watch *w);
/* Send what is queued, wait for events until deadline (PAR_NO_DEADLINE:
 * none; a past one: only what is ready), dispatch them, release closed
 * connections. 0 or -errno. */
int par__loop_run(struct par__loop *l, int64_t deadline);

/* For the backends. */
void par__loop_released(struct par__loop *l, struct par__lconn *c);
void par__loop_undirty(struct par__loop *l, struct par__lconn *c);
/* Accept failed with err: retry soon (resources) or give up. */
void par__loop_accept_failed(struct par__loop *l, struct par__listener *ls, int err);

#endif /* PAR_NET_LOOP_H */
