/* The manager server's internals: the manager, its connections, the codec
 * interface each listener speaks through, the queue service and timers.
 *
 * Layers: the loop (loop.h) moves bytes; server.c owns connections (input
 * assembly, output bounds, backpressure, auth deadline, closing) and knows no
 * protocol; a codec (proto_native.c, proto_python*.c) turns bytes into calls on
 * the queue service (server_queues.c), which knows no wire format. */
#ifndef PAR_NET_SERVER_IMPL_H
#define PAR_NET_SERVER_IMPL_H

#include "buf.h"
#include "loop.h"

#include <par/manager.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

/* ---- Timers: a binary min-heap of deadlines ---------------------------- */

struct par__timer {
	int64_t deadline;
	uint32_t idx; /* place in the heap; UINT32_MAX when not in it */
	void (*fire)(struct par__timer *t);
};

struct par__theap {
	struct par__timer **v;
	uint32_t n;
	uint32_t cap;
};

void par__timer_init(struct par__timer *t, void (*fire)(struct par__timer *t));
int par__timer_set(struct par__theap *h, struct par__timer *t, int64_t deadline);
void par__timer_cancel(struct par__theap *h, struct par__timer *t);
/* The earliest deadline, PAR_NO_DEADLINE when none. */
int64_t par__timer_next(const struct par__theap *h);
/* Fire every timer due at now (each removed before its call). */
void par__timer_run(struct par__theap *h, int64_t now);
void par__theap_free(struct par__theap *h);

/* ---- Queue service ----------------------------------------------------- */

struct par__sq;

enum { PAR__WAIT_GET = 0, PAR__WAIT_PUT = 1, PAR__WAIT_JOIN = 2 };

/* A request parked on a queue until it can be served or its deadline. */
struct par__waiter {
	struct par__waiter *prev, *next;
	struct par__sq *q; /* NULL when not parked */
	int kind;
	struct par__timer timer;
	/* The queue may serve it now: try again. 1 when done (it unparked
	 * itself), 0 when it must go on waiting (it stays first in line). */
	int (*retry)(struct par__waiter *w);
	/* Unparked by its deadline (-ETIMEDOUT) or a stop (-EPIPE): answer. */
	void (*expire)(struct par__waiter *w, int err);
};

struct par__wlist {
	struct par__waiter *first, *last;
	uint32_t n;
};

struct par__blob {
	uint32_t len;
	uint8_t data[];
};

struct par__sq {
	char name[PAR_MANAGER_NAME_MAX + 1];
	uint32_t id;
	struct par_manager *m;
	/* in memory: a ring of messages */
	struct par__blob **ring;
	uint32_t mask;
	uint64_t head, tail;
	uint32_t capacity;
	size_t bytes, max_bytes;
	/* or a shm Queue */
	struct par_queue *pq;
	struct par__watch watch; /* its eventfd, while getters wait */
	struct par__timer poll;	 /* look again (shm: room, or no eventfd) */
	size_t max_msg;
	struct par__wlist getters, putters;
	struct par__wlist joiners; /* until unfinished is 0 (Python's join) */
	int kicking, again;
	/* Python's queue.Queue bookkeeping: every put through the manager is
	 * unfinished until a task_done; shut: shut down (Queue.shutdown) */
	uint64_t unfinished;
	int shut;
	/* how Python clients name it (create's ident) and their references */
	char pyident[16];
	uint64_t pyrefs;
	/* mirrors for other threads (relaxed) */
	_Atomic uint64_t st_size, st_puts, st_gets;
	_Atomic uint32_t st_wget, st_wput;
};

/* Sink for messages taken from a queue. */
typedef void (*par__sink_fn)(void *arg, const uint8_t *p, size_t len);

int par__sq_new_mem(struct par_manager *m, const char *name, uint32_t capacity, size_t max_bytes,
		    struct par__sq **out);
int par__sq_new_shm(struct par_manager *m, const char *name, struct par_queue *pq,
		    struct par__sq **out);
void par__sq_free(struct par__sq *q);

/* Put one message: 0, -EAGAIN (no room), -EMSGSIZE, -EPIPE (shut down).
 * Each put adds an unfinished task. Waiting getters are served when the
 * caller kicks. */
int par__sq_put(struct par__sq *q, const uint8_t *msg, size_t len);
/* Take one message of at most cap bytes into sink: its length, -EAGAIN
 * (empty), -EMSGSIZE (longer than cap: it stays), -EPIPE (shut down and
 * empty). */
ssize_t par__sq_get(struct par__sq *q, size_t cap, par__sink_fn sink, void *arg);
/* Serve waiters after a change (put, get) until nothing more can move. */
void par__sq_kick(struct par__sq *q);
uint64_t par__sq_size(const struct par__sq *q);

/* Park w on q (in line, after the others) until deadline. 0 or -ENOMEM. */
int par__sq_park(struct par__sq *q, struct par__waiter *w, int kind, int64_t deadline);
void par__sq_unpark(struct par__waiter *w);
/* Expire every waiter of q with err (at stop). */
void par__sq_expire_all(struct par__sq *q, int err);
void par__sq_info(const struct par__sq *q, struct par_manager_queue_info *info);
void par__sq_count(struct par__sq *q, int put, uint64_t n);
/* Python's Queue.task_done: one unfinished task less (joiners go on at 0).
 * 0, or -EINVAL when none is unfinished. */
int par__sq_task_done(struct par__sq *q);
/* Python's Queue.shutdown: puts fail with -EPIPE from now on (waiting ones
 * too), gets take what is left and then fail with -EPIPE; immediate drops
 * what is left first (each dropped message finishes a task). A shm queue is
 * shut down for its local users as well (par_queue_shutdown). */
void par__sq_shutdown(struct par__sq *q, int immediate);

/* ---- Connections and codecs -------------------------------------------- */

struct par__sconn;

/* What a listener speaks. The server calls: open once (greet), input with
 * bytes (consume whole requests; stop early when the connection parks or
 * its output is full), close when the connection goes (drop what it holds);
 * refuse instead of open when the server is full. Parked requests are
 * answered through their waiters (the queues expire them at a stop). */
struct par__codec {
	const char *name;
	size_t state_size;
	int (*open)(struct par__sconn *c);
	/* Bytes consumed, or -1: stop, the connection is closing. */
	ssize_t (*input)(struct par__sconn *c, const uint8_t *p, size_t n);
	void (*close)(struct par__sconn *c);
	/* Tell a connection that will not be served why (best effort, once). */
	void (*refuse)(int fd, int err);
};

extern const struct par__codec par__codec_native;
/* Python's multiprocessing.managers protocol (proto_python*.c). */
extern const struct par__codec par__codec_python;

enum {
	PAR__SC_AUTHED = 1u << 0,
	PAR__SC_PARKED = 1u << 1,   /* a request waits: input is held */
	PAR__SC_PAUSED = 1u << 2,   /* reading paused */
	PAR__SC_RESUME = 1u << 3,   /* on the resume list */
	PAR__SC_CLOSING = 1u << 4,  /* closed */
	PAR__SC_DRAIN = 1u << 5,    /* close once the output is sent */
	PAR__SC_PEER_EOF = 1u << 6, /* the peer sent all it will */
};

struct par__sconn {
	struct par__lconn lc; /* first: the loop hands it back */
	struct par_manager *m;
	const struct par__codec *codec;
	struct par__ibuf in;
	unsigned state;
	uint64_t serial;
	char peer[64];
	struct par__timer auth_timer;
	struct par__sconn *prev, *next;	  /* all connections */
	struct par__sconn *rprev, *rnext; /* resume list */
	_Alignas(16) uint8_t codec_state[];
};

static inline void *par__sconn_state(struct par__sconn *c)
{
	return c->codec_state;
}

/* The connection's output queue (call par__sconn_wrote after writing). */
static inline struct par__obuf *par__sconn_out(struct par__sconn *c)
{
	return &c->lc.out;
}

/* Output was queued: send it this iteration. */
void par__sconn_wrote(struct par__sconn *c);
/* 1 while the codec may take another request: not parked, output under its
 * bound, not closing, the server not stopping. */
int par__sconn_can_work(const struct par__sconn *c);
/* Authenticated: stop the auth clock. */
void par__sconn_authed(struct par__sconn *c);
/* Close for cause: log reason at level, count it (a par_manager_stats field
 * or NULL); with drain, after the queued output is sent. */
void par__sconn_fail(struct par__sconn *c, enum par_log_level level, const char *reason,
		     _Atomic uint64_t *counter, int drain);
/* Close once the queued output is sent (a request served, nothing more to
 * read). */
void par__sconn_end(struct par__sconn *c);
/* A request parked / is done: hold / go on with the input. */
void par__sconn_park(struct par__sconn *c);
void par__sconn_unpark(struct par__sconn *c);

/* ---- The manager ------------------------------------------------------- */

#define PAR__QUEUES_MAX 1024
/* Extra payload a request may carry beyond max_msg (its own fields). */
#define PAR__REQ_SLACK 64

struct par__mstats {
	_Atomic uint64_t accepted, refused, active, auth_ok, auth_failed, auth_timeouts,
		proto_errors, requests, puts, gets, timeouts, bytes_in, bytes_out, read_pauses;
};

struct par_manager {
	struct par_authkey key;
	enum par_net_backend want;
	_Atomic int backend;
	uint32_t max_conns;
	size_t max_msg;
	size_t out_max;
	int64_t auth_timeout_ns;
	int64_t stop_flush_ns;
	void (*log)(void *arg, enum par_log_level level, const char *line);
	void *log_arg;
	enum par_log_level log_level;

	pthread_mutex_t qlock; /* the queue table, against readers of par_manager_queues */
	struct par__sq *queues[PAR__QUEUES_MAX];
	uint32_t nq;

	int lfd;   /* the native listener, or -1 */
	int pylfd; /* the Python listener, or -1 */
	int stop_fd;
	_Atomic int serving;
	pthread_t thread;
	int started;
	int thread_rc;

	/* while serving (the serving thread only) */
	struct par__loop *loop;
	struct par__listener ls;
	struct par__listener pyls;
	struct par__watch stop_w;
	struct par__theap timers;
	struct par__sconn *conns;
	struct par__sconn *resume;
	uint64_t nconns;
	uint64_t serial;
	int stopping;
	uint8_t *scratch; /* max_msg bytes: shm messages pass through it */

	struct par__mstats st;
};

#define PAR__CNT(m, field, n) atomic_fetch_add_explicit(&(m)->st.field, (n), memory_order_relaxed)

void par__log(struct par_manager *m, enum par_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct par__sq *par__srv_queue(struct par_manager *m, uint32_t qid);
struct par__sq *par__srv_queue_named(struct par_manager *m, const uint8_t *name, size_t len);
/* The queue Python clients know as ident, NULL when none. */
struct par__sq *par__srv_queue_pyident(struct par_manager *m, const uint8_t *ident, size_t len);
/* Resume the parked connections and serve what was held (after events). */
void par__srv_resume_all(struct par_manager *m);
/* The serving loop, in the calling thread; the loop is made here. */
int par__srv_serve(struct par_manager *m, void (*ready)(void *arg, int rc), void *arg);
void par__srv_stats(const struct par_manager *m, struct par_manager_stats *st);

#endif /* PAR_NET_SERVER_IMPL_H */
