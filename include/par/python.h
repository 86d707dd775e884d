/*
 * par/python.h — crossing into Python: the values that travel between C and
 * Python programs, pickled the way Python pickles them, and a client for
 * Python's own managers (multiprocessing.managers.BaseManager servers).
 * The other direction, par-manager serving Python workers, is
 * par_manager_listen_python in par/manager.h.
 *
 * Values. struct par_py is a plain tree that a C program builds (on the
 * stack, with the par_py_* constructors below) or gets from par_py_loads:
 * None, bool, int (64-bit), float, str (UTF-8), bytes, tuple and list.
 * par_py_dumps writes one as a pickle (protocol 4, which Python 3.4 and later
 * read); par_py_loads reads pickles of protocols 2 to 5. Whatever else a
 * pickle holds (an int past 64 bits, a dict, a set, an instance of some
 * class, a structure that refers to itself) arrives as a PAR_PY_PICKLE
 * value: that part's own standalone pickle, kept as opaque bytes, which
 * par_py_dumps writes back so Python gets the same object again. Nothing
 * read is ever imported, called or run: a pickle that names os.system is
 * just data here.
 *
 * Queue messages and Python. A message in a par queue is bytes. When a queue
 * is served to Python clients (par_manager_listen_python) or read from a
 * Python manager (par_pyqueue_get), a message is read like this:
 *   - a message for which par_py_is_pickle() is 1 is the pickle of a value:
 *     Python clients get that value;
 *   - any other message is plain bytes: Python clients get it as `bytes`.
 * A Python client's put of a bytes object stores those bytes as they are
 * (unless they would pass par_py_is_pickle: then they are stored as the
 * pickle of that bytes object, so Python still gets bytes back); a put of
 * any other value stores its pickle. So a C producer puts raw bytes, or
 * par_py_dumps' output to send an int, a str or a tuple; a C consumer tests
 * par_py_is_pickle and par_py_loads what is one.
 *
 * Client of a Python manager. par_pymanager_connect is BaseManager.connect():
 * TCP, the mutual HMAC challenge in whichever dialect the server speaks
 * (HMAC-MD5 up to 3.11, {sha256} from 3.12). par_pymanager_queue(m, typeid)
 * is m.<typeid>() on a manager that registered typeid as a queue.Queue.
 * put / get map to the proxy's put / get with block and timeout, with the
 * meanings of par's own queues: -EAGAIN (timeout 0: queue.Empty or
 * queue.Full), -ETIMEDOUT, -EPIPE (the server went away), -EREMOTEIO (the
 * server answered with another exception; par_pymanager_last_error has its
 * text). A manager handle and its queues belong to one thread at a time.
 */
#ifndef PAR_PYTHON_H
#define PAR_PYTHON_H

#include <par/core.h>
#include <par/manager.h>
#include <par/net.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Values ------------------------------------------------------------ */

enum par_py_type {
	PAR_PY_NONE = 0,
	PAR_PY_BOOL = 1,   /* i: 0 or 1 */
	PAR_PY_INT = 2,	   /* i */
	PAR_PY_FLOAT = 3,  /* f */
	PAR_PY_STR = 4,	   /* s, len bytes of UTF-8 */
	PAR_PY_BYTES = 5,  /* b, len bytes */
	PAR_PY_TUPLE = 6,  /* items, len of them */
	PAR_PY_LIST = 7,   /* items, len of them */
	PAR_PY_PICKLE = 8, /* b, len bytes: a whole pickle of a value of another type */
};

/* Nesting deeper than this is refused (Python's own recursion limit is
 * about 1000 too). */
#define PAR_PY_DEPTH_MAX 512

struct par_py {
	enum par_py_type type;
	size_t len;
	union {
		int64_t i;
		double f;
		const char *s; /* from par_py_loads: NUL-terminated as well */
		const void *b;
		const struct par_py *items;
	};
};

static inline struct par_py par_py_none(void)
{
	struct par_py v;
	v.type = PAR_PY_NONE;
	v.len = 0;
	v.i = 0;
	return v;
}

static inline struct par_py par_py_bool(int b)
{
	struct par_py v;
	v.type = PAR_PY_BOOL;
	v.len = 0;
	v.i = b != 0;
	return v;
}

static inline struct par_py par_py_int(int64_t i)
{
	struct par_py v;
	v.type = PAR_PY_INT;
	v.len = 0;
	v.i = i;
	return v;
}

static inline struct par_py par_py_float(double f)
{
	struct par_py v;
	v.type = PAR_PY_FLOAT;
	v.len = 0;
	v.f = f;
	return v;
}

/* s must stay valid while the value is used. */
static inline struct par_py par_py_str(const char *s, size_t len)
{
	struct par_py v;
	v.type = PAR_PY_STR;
	v.len = len;
	v.s = s;
	return v;
}

static inline struct par_py par_py_bytes(const void *b, size_t len)
{
	struct par_py v;
	v.type = PAR_PY_BYTES;
	v.len = len;
	v.b = b;
	return v;
}

/* items[0..n) must stay valid while the value is used. */
static inline struct par_py par_py_tuple(const struct par_py *items, size_t n)
{
	struct par_py v;
	v.type = PAR_PY_TUPLE;
	v.len = n;
	v.items = items;
	return v;
}

static inline struct par_py par_py_list(const struct par_py *items, size_t n)
{
	struct par_py v;
	v.type = PAR_PY_LIST;
	v.len = n;
	v.items = items;
	return v;
}

/* Write v as a pickle into buf (cap bytes). Returns the pickle's length,
 * written only when it is at most cap (call with cap 0 to size a buffer);
 * -EINVAL (NULL v, an unknown type), -EILSEQ (a str that is not UTF-8),
 * -ELOOP (nesting past PAR_PY_DEPTH_MAX, counting what a PAR_PY_PICKLE part
 * nests at its place: so a value par_py_loads made with a deep opaque part
 * under deep lists may be refused), -EPROTO (a PAR_PY_PICKLE that is not a
 * pickle par_py_loads would read). What it writes, par_py_loads reads back.
 * Thread-safe. */
PAR_API ssize_t par_py_dumps(const struct par_py *v, void *buf, size_t cap);

/* Read the pickle p[0..len) into a tree in one allocation (*out; release
 * with par_py_free). A part shared in the pickle is copied at each place.
 * Parts of other types become PAR_PY_PICKLE values, and so do a bytearray,
 * an int past 64 bits, and a str that is not strict UTF-8 (a lone
 * surrogate); a list or tuple that contains itself (through lists and
 * tuples) becomes one PAR_PY_PICKLE holding the whole cycle, the outermost
 * one the walk meets (l = [l] is all one). Protocol 2's bytes
 * (_codecs.encode(s, 'latin1')) are bytes. 0; -EPROTO (not a pickle,
 * truncated, malformed, an opcode outside protocols 2-5's data opcodes, or
 * nesting past PAR_PY_DEPTH_MAX, with memory bounded by a multiple of len
 * whatever the input), -E2BIG (the tree would pass 16 M values, or 256 MiB
 * of strings and pickle parts, e.g. a structure sharing one part many
 * times), -ENOMEM. Thread-safe. */
PAR_API int par_py_loads(const void *p, size_t len, struct par_py **out);

PAR_API void par_py_free(struct par_py *v);

/* 1 when msg[0..len) is to be read as a pickle: it begins with a PROTO
 * opcode of protocol 2 to 5 and ends with STOP; else 0. */
PAR_API int par_py_is_pickle(const void *msg, size_t len);

/* 1 when a and b are the same value (floats compared by bits, PAR_PY_PICKLE
 * by bytes, bools by truth), else 0; two NULLs are equal, and trees nested
 * past PAR_PY_DEPTH_MAX are not. */
PAR_API int par_py_equal(const struct par_py *a, const struct par_py *b);

/* Python's repr() of v into buf (cap bytes, NUL-terminated when cap > 0),
 * e.g. "('3 * 3 = 9', 9, b'\\x00', None)"; a PAR_PY_PICKLE shows as
 * "<pickle of N bytes>". Floats are the shortest text that reads back, as
 * Python's; in a str non-ASCII characters are kept except U+0080..U+00A0
 * and U+00AD (shown \\xNN; Python escapes some rarer unprintable ones too).
 * Returns the full length (as snprintf), -EINVAL, or -ELOOP. */
PAR_API int par_py_repr(const struct par_py *v, char *buf, size_t cap);

/* ---- Client of a Python manager ----------------------------------------- */

struct par_pymanager;
struct par_pyqueue;

/* Connect to the BaseManager server at "HOST:PORT" with its authkey and check
 * it answers (BaseManager.connect()). opts: connect_timeout_ns bounds each
 * connection's set-up, reply_grace_ns how long past a call's own timeout to
 * wait for an answer (window is not used). 0; -EACCES (wrong key, either
 * side); -ECONNREFUSED; -ETIMEDOUT; -EPROTO (not a Python manager); -EINVAL;
 * -EPIPE; another -errno of the socket calls. */
PAR_API int par_pymanager_connect(const char *addr, const struct par_authkey *key,
				  const struct par_client_opts *opts, struct par_pymanager **out);

/* Close the manager's connections. Queues got from it must be closed
 * before. NULL is a no-op. */
PAR_API void par_pymanager_close(struct par_pymanager *m);

/* m.<type_id>(): ask the server for the object registered as type_id (a
 * queue.Queue), taking a reference to it as a Python proxy does. 0;
 * -ENOENT (no such type_id), -EREMOTEIO (another remote error), or a
 * connection error. */
PAR_API int par_pymanager_queue(struct par_pymanager *m, const char *type_id,
				struct par_pyqueue **out);

/* Give the reference back (decref) and free the handle. NULL is a no-op. */
PAR_API void par_pyqueue_close(struct par_pyqueue *q);

/* q.put(item, block, timeout): timeout_ns 0 is put_nowait, PAR_FOREVER
 * blocks without a limit. 0, -EAGAIN, -ETIMEDOUT (queue.Full), -EPIPE,
 * -EREMOTEIO, or as par_py_dumps for a bad item. */
PAR_API int par_pyqueue_put(struct par_pyqueue *q, const struct par_py *item, int64_t timeout_ns);

/* q.get(block, timeout) into *item (release with par_py_free). 0, -EAGAIN,
 * -ETIMEDOUT (queue.Empty), -EPIPE, -EREMOTEIO, -EPROTO (an answer that
 * could not be read: the connection is dropped; or an item nested past
 * PAR_PY_DEPTH_MAX once its shared parts are copied: that item is lost, the
 * connection goes on), -E2BIG (an item past par_py_loads' bounds, or an
 * answer whose nodes would take over 2 GiB: lost, the connection goes on),
 * -EMSGSIZE (an answer over 1 GiB: the connection is dropped), -ENOMEM. */
PAR_API int par_pyqueue_get(struct par_pyqueue *q, struct par_py **item, int64_t timeout_ns);

/* q.qsize(), or an error. */
PAR_API ssize_t par_pyqueue_size(struct par_pyqueue *q);

/* The text of the last remote exception or traceback into buf (cap bytes,
 * NUL-terminated), e.g. "KeyError: 'get_nothing'". Returns its length, 0
 * when none. */
PAR_API int par_pymanager_last_error(const struct par_pymanager *m, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* PAR_PYTHON_H */
