/*
 * par/queue.h — Queue: variable-length messages between any number of
 * producer and consumer threads and processes, in shared memory (the Python
 * multiprocessing.Queue of par, without pickling); and Pipe, a duplex channel
 * built on two queues.
 *
 * Messages are byte strings of 0 to max_msg bytes (default 1 MiB). Small ones
 * travel inline in the queue's slots; larger ones are copied out of line into
 * a pool in the same segment. Delivery is exactly once and, for the messages
 * of one producer thread, in the order they were put.
 *
 * Robust to death: a producer or consumer killed with SIGKILL at any instant
 * never makes the others hang. Every message whose put returned 0 before the
 * kill is delivered exactly once; a message whose put was cut short is
 * delivered whole or not at all (killed before or after it was published),
 * never in part and never twice; a message a killed consumer was in the
 * middle of taking is handed to another consumer (possibly after messages
 * that were put later); out-of-line space the dead held is reclaimed.
 * Survivors notice a death when they meet its traces or while they wait (at
 * most every 20 ms or so), and par_queue_get_stats() counts what was recovered.
 * A participant is judged dead when its /proc/PID/stat is gone, shows a
 * zombie, or belongs to a newer process with the same pid; so this needs
 * /proc, and participants of another pid namespace (a container sharing
 * /dev/shm) are never judged: their deaths are not recovered from.
 *
 * Closing: par_queue_shutdown() closes the queue for everyone (Python 3.13's
 * Queue.shutdown): puts fail with -EPIPE at once; gets return what is left,
 * then -EPIPE. par_queue_close() only releases this process's handle.
 *
 * Readiness: par_queue_eventfd() gives a descriptor that polls readable while
 * messages may be waiting, so a queue can sit in poll/epoll/io_uring beside
 * sockets, in any process that opened it.
 *
 * Handles are process-local. A child made by fork() may use its parent's
 * handle, and then counts as a participant of its own; a child made without
 * fork()'s atfork handlers (a raw clone, vfork) must not: it would pass for
 * its parent. A queue has room for 1024 participants at a time. Every
 * function is thread-safe and process-safe, except that par_queue_close must
 * be a handle's last call. A process that exits without closing is found
 * dead like a killed one.
 */
#ifndef PAR_QUEUE_H
#define PAR_QUEUE_H

#include <par/core.h>
#include <par/shm.h>

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct par_queue;

struct par_queue_opts {
	size_t size;		/* sizeof(struct par_queue_opts); set by opts_init */
	uint32_t capacity;	/* messages the queue holds (power of two,
				   1..2^24); 1024 */
	size_t inline_max;	/* largest message kept inline in a slot (multiple of 8,
				   8..4096); 112. Larger ones go to the pool */
	size_t max_msg;		/* largest message (1..1 GiB); 1 MiB (1 << 20) */
	size_t pool_size;	/* bytes of out-of-line space, in chunks of about
				   max_msg / 256 (256 B..64 KiB); 0 (default):
				   4 * max_msg. Must be >= max_msg (unless
				   max_msg <= inline_max: then there is no pool) */
	mode_t mode;		/* named queue permissions; 0600 */
	int numa_node;		/* bind the memory to this node; -1 (default) none */
	enum par_shm_huge huge; /* huge pages; PAR_SHM_HUGE_NO */
	int unlink_on_close;	/* the creator's close removes the name; 0 */
};

PAR_API void par_queue_opts_init(struct par_queue_opts *o);

/* Make a queue in a new segment: named ("/x", error -EEXIST if it exists) or
 * anonymous (name NULL: shared with forked children, or by par_queue_fd).
 * opts may be NULL. 0, -EINVAL (bad option), -ENOMEM, -EACCES. The handle
 * registers this process as a participant. */
PAR_API int par_queue_create(const char *name, const struct par_queue_opts *opts,
			     struct par_queue **out);

/* Open an existing queue by name / by a segment descriptor (duplicated).
 * -ENOENT, -EPROTO (not a queue, another layout version, damaged),
 * -EAGAIN (its creator is still making it), -EUSERS (1024 participants
 * already), -EBADF. */
PAR_API int par_queue_open(const char *name, struct par_queue **out);
PAR_API int par_queue_open_fd(int fd, struct par_queue **out);

/* The segment's descriptor, to pass to an unrelated process. */
PAR_API int par_queue_fd(const struct par_queue *q);

/* Remove a queue's name (its users keep it until they close). */
PAR_API int par_queue_unlink(const char *name);

/* Release this handle (and this process's participation; in a forked child
 * that never used an inherited handle, only the child's copy). Messages stay
 * in the queue for the other handles. 0 or -EINVAL. */
PAR_API int par_queue_close(struct par_queue *q);

/* ---- put and get ------------------------------------------------------- */

/* Put one message of len bytes (0..max_msg), waiting at most timeout_ns for
 * room (a free slot, and pool space for a message longer than inline_max).
 * 0; -EAGAIN (full, timeout 0); -ETIMEDOUT; -EPIPE (shut down);
 * -EMSGSIZE (len > max_msg); -EUSERS (a forked child's first call, with no
 * room for one more participant). No system call unless a get sleeps. */
PAR_API int par_queue_put(struct par_queue *q, const void *msg, size_t len, int64_t timeout_ns);

/* Take one message into buf (cap bytes), waiting at most timeout_ns. Returns
 * its length; -EAGAIN (empty, timeout 0); -ETIMEDOUT; -EPIPE (shut down and
 * drained); -EMSGSIZE (the message is longer than cap: it stays in the queue
 * for a later get; a buffer of par_queue_max_msg() bytes always fits);
 * -EUSERS as par_queue_put. */
PAR_API ssize_t par_queue_get(struct par_queue *q, void *buf, size_t cap, int64_t timeout_ns);

/* One message for put_many (data, len) or get_many (data is a buffer of cap
 * bytes; len is set). */
struct par_msg {
	void *data;
	size_t len;
	size_t cap;
};

/* Put msgs[0..n) in order: as many as there is room for, waiting at most
 * timeout_ns for room for the first. Returns how many were put (>= 1; 0 for
 * n == 0), or as par_queue_put when none was. A message longer than max_msg
 * ends the batch (-EMSGSIZE if it is the first). A batch costs less per
 * message than lone puts: up to 64 consecutive inline messages are claimed
 * with one atomic operation (and taken so by get_many). */
PAR_API int par_queue_put_many(struct par_queue *q, const struct par_msg *msgs, unsigned n,
			       int64_t timeout_ns);

/* Take up to n messages, waiting at most timeout_ns for the first. Returns how
 * many (>= 1; msgs[i].len set; 0 for n == 0), or as par_queue_get when none.
 * A message longer than its msgs[i].cap ends the batch there (it stays
 * queued); if it is the first, -EMSGSIZE. */
PAR_API int par_queue_get_many(struct par_queue *q, struct par_msg *msgs, unsigned n,
			       int64_t timeout_ns);

/* ---- state ------------------------------------------------------------- */

/* Messages waiting (a snapshot: it counts messages still being written, and
 * those a dead consumer left once they are found), whether none / no room,
 * the largest message and the capacity. */
PAR_API size_t par_queue_size(const struct par_queue *q);
PAR_API int par_queue_empty(const struct par_queue *q);
PAR_API int par_queue_full(const struct par_queue *q);
PAR_API size_t par_queue_max_msg(const struct par_queue *q);
PAR_API uint32_t par_queue_capacity(const struct par_queue *q);

/* Close the queue for every participant: see the overview. Idempotent. */
PAR_API int par_queue_shutdown(struct par_queue *q);
/* 1 once shut down. */
PAR_API int par_queue_is_shutdown(const struct par_queue *q);

/* A descriptor that polls readable while messages may be waiting, or once
 * the queue is shut down (level: it stays readable until a get of this
 * handle finds the queue empty). Owned by the handle; do not read or close
 * it. The first call starts a small watcher thread ("par-qwatch") in this
 * process; a forked child that uses an inherited handle gets a descriptor
 * and watcher of its own from its own call (the inherited one is closed in
 * the child). -ENOMEM, -EMFILE, -EAGAIN (no thread). */
PAR_API int par_queue_eventfd(struct par_queue *q);

/* What the queue has seen since it was made (all participants together). */
struct par_queue_stats {
	uint64_t puts;		 /* messages put */
	uint64_t gets;		 /* messages taken */
	uint64_t torn;		 /* puts cut short by a death, never delivered */
	uint64_t redelivered;	 /* messages a dead consumer held, handed on */
	uint64_t dead_peers;	 /* participants found dead and cleaned up */
	uint64_t pool_reclaimed; /* out-of-line bytes a death left, freed again */
	uint32_t participants;	 /* live participants now */
};

PAR_API int par_queue_get_stats(const struct par_queue *q, struct par_queue_stats *st);

/* ---- Pipe: a duplex channel between two parties ------------------------ */

struct par_pipe;

/* Make both ends (anonymous, for a parent and its forked child, or named, so
 * that other processes can par_pipe_open an end). Each direction is a queue
 * made with opts: end k sends on queue k and receives on the other; a named
 * pipe's queues are name + ".0" and name + ".1" (-EINVAL when that is longer
 * than PAR_SHM_NAME_MAX). The two ends hold separate handles: close the one
 * a process does not use. */
PAR_API int par_pipe_create(const char *name, const struct par_queue_opts *opts,
			    struct par_pipe **end0, struct par_pipe **end1);

/* Open end 0 or 1 of a named pipe. As par_queue_open. */
PAR_API int par_pipe_open(const char *name, int end, struct par_pipe **out);

/* Send to / receive from the other end: as par_queue_put / par_queue_get. */
PAR_API int par_pipe_send(struct par_pipe *p, const void *msg, size_t len, int64_t timeout_ns);
PAR_API ssize_t par_pipe_recv(struct par_pipe *p, void *buf, size_t cap, int64_t timeout_ns);

/* No more sends from this end: the other end drains, then gets -EPIPE. */
PAR_API int par_pipe_shutdown(struct par_pipe *p);

/* Readable while messages for this end may be waiting. */
PAR_API int par_pipe_eventfd(struct par_pipe *p);

/* Remove a named pipe's names. */
PAR_API int par_pipe_unlink(const char *name);

/* Release this end's handle. */
PAR_API int par_pipe_close(struct par_pipe *p);

#ifdef __cplusplus
}
#endif

#endif /* PAR_QUEUE_H */
