/*
 * par/manager.h — remote managers: named queues served to other processes
 * and machines over TCP, behind an authkey (Python's BaseManager with
 * get_task_queue / get_result_queue, without pickling).
 *
 * Server. par_manager_create, register queues by name (in memory in the
 * server process, or backed by a shm Queue so local processes use shared
 * memory and remote ones the network, on the same queue), par_manager_listen
 * on "HOST:PORT", then par_manager_serve (in the calling thread) or
 * par_manager_start (in a thread of its own) until par_manager_stop. A
 * stopped manager keeps its queues and their messages and may listen and
 * serve again. Log lines go through the log callback of the options; the
 * library itself never prints.
 *
 * What a client can do is exactly: open a registered queue by name, put,
 * get, ask a queue's size and ask the server's counters. No message makes the
 * server run code, open files, or touch anything but the queues it serves.
 *
 * Client. par_client_connect with the same authkey, par_client_open a queue
 * by name, then par_rqueue_put / _get with a timeout (the meanings of the
 * local Queue: -EAGAIN for timeout 0, -ETIMEDOUT, -EPIPE when the server
 * stops or the connection breaks), _put_many / _get_many (one frame each),
 * and pipelined puts (par_rqueue_put_async, up to `window` requests in flight
 * on the connection, answers collected as they come, par_client_flush to
 * wait for all of them). Reconnecting is the caller's: connect again.
 *
 * Delivery. A put is answered 0 only once its message is in the queue; the
 * server answers every request it read, in order. A message is delivered
 * exactly once as long as the connection that took it stays up: when a
 * connection breaks after the server sent a message but before the client
 * read it, that message is lost with the connection (as with any network
 * queue without acknowledged gets); when it breaks before a put's answer
 * came, the put may or may not have happened.
 *
 * Bounds (server options): connections (max_conns), bytes a connection may
 * buffer (max_msg for a request being read, out_max for unsent answers:
 * past it the server stops reading that connection until its client reads),
 * time to authenticate (auth_timeout_ns). A client that stops reading stalls
 * only itself. docs/net.md has the protocol, the bounds and the backends.
 *
 * Threads and processes: a manager is served by one thread; par_manager_stop,
 * par_manager_get_stats and par_manager_queues may be called from any
 * thread, the rest from one thread at a time. A client and its queue handles
 * may be shared by threads (calls on one connection take turns). Handles
 * belong to the process that made them: a forked child makes its own. A
 * client that dies mid-request costs the server only that connection (a
 * get it was waiting for is dropped, never handed a message); a server that
 * dies or stops gives its clients -EPIPE.
 */
#ifndef PAR_MANAGER_H
#define PAR_MANAGER_H

#include <par/core.h>
#include <par/net.h>
#include <par/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest queue name, in bytes (no NUL inside). */
#define PAR_MANAGER_NAME_MAX 255

/* ---- Server ------------------------------------------------------------ */

struct par_manager;

enum par_log_level {
	PAR_LOG_DEBUG = 0, /* each connection opened or closed */
	PAR_LOG_INFO = 1,  /* listening, stopping */
	PAR_LOG_WARN = 2,  /* a connection closed for cause: the reason */
	PAR_LOG_ERROR = 3, /* the server itself failed */
};

struct par_manager_opts {
	size_t size;		      /* sizeof(struct par_manager_opts); set by opts_init */
	enum par_net_backend backend; /* PAR_NET_BACKEND_AUTO */
	uint32_t max_conns;	      /* connections at once; more are refused (-EBUSY); 1024 */
	size_t max_msg;		      /* largest message in a request or answer; 1 MiB,
					 at most PAR_NET_MSG_MAX */
	size_t out_max;		      /* unsent answer bytes per connection before the
					 server stops reading it; 1 MiB */
	int64_t auth_timeout_ns;      /* a connection must authenticate within; 5 s */
	int64_t stop_flush_ns;	      /* at stop, time left to send answers; 1 s */
	/* Called from the serving thread with one line (no newline); NULL: none. */
	void (*log)(void *arg, enum par_log_level level, const char *line);
	void *log_arg;
	enum par_log_level log_level; /* lowest level passed to log; PAR_LOG_INFO */
};

PAR_API void par_manager_opts_init(struct par_manager_opts *o);

/* Options of an in-memory queue. */
struct par_manager_queue_opts {
	size_t size;	   /* sizeof(struct par_manager_queue_opts) */
	uint32_t capacity; /* messages held at most; puts wait beyond; 65536 */
	size_t max_bytes;  /* bytes of messages held at most; 64 MiB */
};

PAR_API void par_manager_queue_opts_init(struct par_manager_queue_opts *o);

/* A manager with a copy of key (wiped at destroy). opts may be NULL. 0,
 * -EINVAL (NULL or empty key, bad option), -ENOMEM, or as
 * par_net_backend_probe when the asked-for backend is refused. */
PAR_API int par_manager_create(const struct par_authkey *key, const struct par_manager_opts *opts,
			       struct par_manager **out);

/* Register an in-memory queue. Names are 1..PAR_MANAGER_NAME_MAX bytes.
 * 0, -EEXIST, -EINVAL, -ENOMEM, -EBUSY (while serving). */
PAR_API int par_manager_add_queue(struct par_manager *m, const char *name,
				  const struct par_manager_queue_opts *opts);

/* Register a shm Queue (par/queue.h) under name: remote puts and gets go to
 * it, beside local processes using it directly. The manager borrows q: close
 * it only after par_manager_destroy. Messages longer than the manager's
 * max_msg cannot travel. Errors as par_manager_add_queue. */
PAR_API int par_manager_add_shm_queue(struct par_manager *m, const char *name, struct par_queue *q);

/* Listen on "HOST:PORT" (IPv4, "[v6]:PORT", or a host name; port 0 lets the
 * kernel pick, see par_manager_address). 0, -EINVAL (bad address), -EBUSY
 * (already listening), -EADDRINUSE, -EACCES, or another -errno. */
PAR_API int par_manager_listen(struct par_manager *m, const char *addr);

/* The listening address as "HOST:PORT" in buf (cap bytes). Returns the port,
 * -ENOTCONN when not listening, -ENOSPC when buf is too small. buf may be
 * NULL (cap 0) to ask only the port. */
PAR_API int par_manager_address(const struct par_manager *m, char *buf, size_t cap);

/* Also listen for Python clients on "HOST:PORT": Python's
 * multiprocessing.managers protocol (BaseManager with authkey = this
 * manager's key, any CPython 3.8 to 3.13, either challenge dialect). A
 * Python worker that register()s a queue's name as a typeid and calls
 * m.<name>() gets that queue as a queue.Queue proxy: put, get, put_nowait,
 * get_nowait, qsize, empty, full, task_done, join, and shutdown (3.13).
 * queue.Empty and queue.Full reach Python as those exceptions. Values cross
 * as par/python.h says; items are kept as pickles the server never runs.
 * Before serving; the same errors as par_manager_listen. */
PAR_API int par_manager_listen_python(struct par_manager *m, const char *addr);

/* The Python listener's address, as par_manager_address. */
PAR_API int par_manager_python_address(const struct par_manager *m, char *buf, size_t cap);

/* Serve in the calling thread until par_manager_stop: then answer what was
 * read (parked requests get -EPIPE), flush for at most stop_flush_ns, close
 * every connection and the listening socket, and return 0. -ENOTCONN (not
 * listening), -EBUSY (already serving), or a -errno of the event loop. */
PAR_API int par_manager_serve(struct par_manager *m);

/* par_manager_serve in a new thread. 0, -EBUSY, -ENOTCONN, -EAGAIN. The
 * backend is set up in that thread before this returns. */
PAR_API int par_manager_start(struct par_manager *m);

/* Ask the serving thread to stop. Thread-safe and async-signal-safe; returns
 * at once. 0. */
PAR_API int par_manager_stop(struct par_manager *m);

/* Wait for the thread of par_manager_start to end (after a stop). Returns
 * serve's result, or -EINVAL when none was started. */
PAR_API int par_manager_join(struct par_manager *m);

/* Stop, join and free everything (in-memory messages too). Not while
 * par_manager_serve runs in another thread: stop it and let it return
 * first. NULL is a no-op. */
PAR_API void par_manager_destroy(struct par_manager *m);

/* The backend serving (or that would serve) this manager. */
PAR_API enum par_net_backend par_manager_backend(const struct par_manager *m);

/* Counters since create; readable from any thread at any time. */
struct par_manager_stats {
	uint64_t accepted;	/* connections accepted */
	uint64_t refused;	/* closed at once: max_conns reached */
	uint64_t active;	/* connections open now */
	uint64_t auth_ok;	/* connections authenticated */
	uint64_t auth_failed;	/* wrong proof, or anything else before auth */
	uint64_t auth_timeouts; /* silent past auth_timeout_ns */
	uint64_t proto_errors;	/* closed for an oversized, short, unknown or bad frame */
	uint64_t requests;	/* requests answered */
	uint64_t puts;		/* messages put through the network */
	uint64_t gets;		/* messages taken through the network */
	uint64_t timeouts;	/* requests answered -ETIMEDOUT */
	uint64_t bytes_in;	/* bytes received */
	uint64_t bytes_out;	/* bytes sent */
	uint64_t read_pauses;	/* times a connection's reading stopped for backpressure */
	uint32_t queues;	/* queues registered */
	uint32_t backend;	/* enum par_net_backend serving */
};

PAR_API int par_manager_get_stats(const struct par_manager *m, struct par_manager_stats *st);

/* One queue's state. */
struct par_manager_queue_info {
	char name[PAR_MANAGER_NAME_MAX + 1];
	uint64_t size;	       /* messages waiting */
	uint64_t capacity;     /* messages it holds at most */
	uint64_t puts;	       /* messages put through the network */
	uint64_t gets;	       /* messages taken through the network */
	uint32_t waiting_gets; /* gets parked until a message comes */
	uint32_t waiting_puts; /* puts parked until there is room */
	uint32_t shm;	       /* 1: backed by a shm Queue */
};

/* Fill up to cap entries (in registration order); returns the number of
 * queues (which may exceed cap). Thread-safe: a snapshot that may lag. */
PAR_API int par_manager_queues(const struct par_manager *m, struct par_manager_queue_info *qs,
			       unsigned cap);

/* ---- Client ------------------------------------------------------------ */

struct par_client;
struct par_rqueue;

struct par_client_opts {
	size_t size;		    /* sizeof(struct par_client_opts) */
	int64_t connect_timeout_ns; /* connect and authenticate within; 10 s */
	uint32_t window;	    /* async requests in flight at most; 1024 */
	/* How long past a request's own timeout to wait for the server's answer
	 * before the connection is given up as broken (-ETIMEDOUT, then -EPIPE);
	 * 5 s. Requests with PAR_FOREVER wait forever. */
	int64_t reply_grace_ns;
};

PAR_API void par_client_opts_init(struct par_client_opts *o);

/* Connect to a manager at "HOST:PORT" and authenticate both ways. 0;
 * -EACCES (a wrong key on either side); -ECONNREFUSED; -ETIMEDOUT; -EBUSY
 * (the server has max_conns connections); -EPROTO (not a par manager, or
 * another protocol version); -EINVAL (bad address or key); -EPIPE (the
 * server hung up); another -errno of the socket calls. */
PAR_API int par_client_connect(const char *addr, const struct par_authkey *key,
			       const struct par_client_opts *opts, struct par_client **out);

/* Close the connection (answers of async requests not yet flushed are
 * dropped) and free the client. Queue handles opened from it must be closed
 * before. NULL is a no-op. */
PAR_API void par_client_close(struct par_client *c);

/* Open the queue registered as name. 0, -ENOENT, -EINVAL, -ENOMEM, or a
 * connection error. */
PAR_API int par_client_open(struct par_client *c, const char *name, struct par_rqueue **out);

/* Release a queue handle (local only). NULL is a no-op. */
PAR_API void par_rqueue_close(struct par_rqueue *q);

/* Largest message this queue takes through this server. */
PAR_API size_t par_rqueue_max_msg(const struct par_rqueue *q);

/* As par_queue_put: 0, -EAGAIN (full, timeout 0), -ETIMEDOUT, -EPIPE (server
 * stopped, or the connection broke), -EMSGSIZE. */
PAR_API int par_rqueue_put(struct par_rqueue *q, const void *msg, size_t len, int64_t timeout_ns);

/* As par_queue_get: the message's length; -EAGAIN, -ETIMEDOUT, -EPIPE,
 * -EMSGSIZE (longer than cap: it stays in the queue). */
PAR_API ssize_t par_rqueue_get(struct par_rqueue *q, void *buf, size_t cap, int64_t timeout_ns);

/* put_many: put msgs[0..n) in order in one request, the server waiting (at
 * most timeout_ns in all) for room as needed, for all of them (the local
 * par_queue_put_many waits only for the first). Returns how many went in: n,
 * or fewer when the time ran out or a message failed; as par_rqueue_put when
 * none did. One request carries at most the server's payload limit (max_msg
 * + 64 bytes, 4 bytes per message included) and 65536 messages: a longer
 * batch sends only the part that fits, and the count says so.
 * get_many: as par_queue_get_many, in one request; the smallest msgs[i].cap
 * applies to every message, and one answer stops at the server's out_max
 * bytes (it always holds at least one message). */
PAR_API int par_rqueue_put_many(struct par_rqueue *q, const struct par_msg *msgs, unsigned n,
				int64_t timeout_ns);
PAR_API int par_rqueue_get_many(struct par_rqueue *q, struct par_msg *msgs, unsigned n,
				int64_t timeout_ns);

/* Pipelined put: send the request without waiting for its answer (requests
 * are buffered and sent in batches). When `window` requests are in flight,
 * first wait for the oldest answer (at most timeout_ns plus the grace).
 * timeout_ns is also how long the server waits for room. 0, or an error of
 * this call (-EMSGSIZE, -EPIPE, -ETIMEDOUT); a failed answer is kept for
 * par_client_flush. */
PAR_API int par_rqueue_put_async(struct par_rqueue *q, const void *msg, size_t len,
				 int64_t timeout_ns);

/* The same for a batch (as par_rqueue_put_many), answered as one. Returns
 * how many messages the request carries (the part of msgs that fits one
 * request), or an error of this call. */
PAR_API int par_rqueue_put_many_async(struct par_rqueue *q, const struct par_msg *msgs, unsigned n,
				      int64_t timeout_ns);

/* Send what is buffered and wait (at most timeout_ns) for every async answer.
 * 0 when all succeeded; else the first failure since the last flush
 * (-EAGAIN, -ETIMEDOUT, -EPIPE, ...; a put_many answered with fewer than all
 * its messages counts as -EAGAIN for timeout 0, else -ETIMEDOUT). Async
 * failures are counted in par_client_async_failed. */
PAR_API int par_client_flush(struct par_client *c, int64_t timeout_ns);

/* Async requests whose answer reported a failure, since connect. */
PAR_API uint64_t par_client_async_failed(const struct par_client *c);

/* Messages waiting in the queue now (a snapshot), or an error. */
PAR_API ssize_t par_rqueue_size(struct par_rqueue *q);

/* The server's counters and up to cap of its queues (see par_manager_stats,
 * par_manager_queues). Returns the number of queues or an error. */
PAR_API int par_client_status(struct par_client *c, struct par_manager_stats *st,
			      struct par_manager_queue_info *qs, unsigned cap);

/* The connection's descriptor (e.g. to shut it down for a test); -EPIPE
 * once it broke. */
PAR_API int par_client_fd(const struct par_client *c);

#ifdef __cplusplus
}
#endif

#endif /* PAR_MANAGER_H */
