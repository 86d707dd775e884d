/* The Python codec of the manager server (proto_python.c: connection,
 * handshake, requests, answers, the public calls; proto_python_queue.c: the
 * queue.Queue methods of proxy connections). Serving thread only. */
#ifndef PAR_NET_PROTO_PYTHON_H
#define PAR_NET_PROTO_PYTHON_H

#include "pickle.h"
#include "pywire.h"
#include "server_impl.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes a request may carry beyond max_msg: the envelope around an item. */
#define PAR__PY_REQ_SLACK 4096

enum {
	PAR__PY_AUTH_ANSWER,	/* waiting for the answer to our challenge */
	PAR__PY_AUTH_CHALLENGE, /* waiting for the client's challenge */
	PAR__PY_AUTH_WELCOME,	/* waiting for the client's verdict */
	PAR__PY_PUBLIC,		/* one server call, then close */
	PAR__PY_PROXY,		/* method calls on objects, in order */
};

enum { PAR__PY_OP_GET = 1, PAR__PY_OP_PUT, PAR__PY_OP_JOIN };

struct par__pyconn {
	struct par__sconn *c;
	int phase;
	int chal_len;
	uint8_t chal[PAR__PY_CHALLENGE_MAX];
	struct par__pkw w;  /* answers */
	struct par__pkw iw; /* the message a put stores */
	/* the parked request */
	struct par__waiter wt;
	int op;
	uint8_t *item; /* a parked put's message (own copy) */
	size_t item_len;
	int sink_rc; /* a get's answer: 0, or -1 (the connection closed) */
};

/* Answers: each writes one ('#KIND', result) message and queues it. 0, or
 * -1 when it could not (the connection is closed). */
void par__py_begin(struct par__pyconn *s, const char *kind);
int par__py_finish(struct par__pyconn *s);
int par__py_none(struct par__pyconn *s);
int par__py_int(struct par__pyconn *s, int64_t v);
int par__py_bool(struct par__pyconn *s, int v);
int par__py_str(struct par__pyconn *s, const char *text);
/* ('#ERROR', module.name(msg)), or with no args when msg is NULL. */
int par__py_error(struct par__pyconn *s, const char *module, const char *name, const char *msg);
/* ('#ERROR', queue.ShutDown()) where the client has it (3.13), else an
 * instance of fallback (queue.Empty for gets, queue.Full for puts). */
int par__py_shut_down(struct par__pyconn *s, const char *fb_module, const char *fb_name);
/* ('#TRACEBACK' or '#UNSERIALIZABLE', text) with text as a Python
 * traceback in function where ending in the line fmt makes. */
int par__py_traceback(struct par__pyconn *s, const char *kind, const char *where, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

/* Python's repr() of a read node, shortened to fit cap (NUL-terminated). */
void par__py_repr(const struct par__pk *k, char *buf, size_t cap);
/* The exposed names of a queue, as a tuple. */
void par__py_exposed(struct par__pkw *w);

/* A method call on a proxy connection: answered now or parked. 0, or -1
 * (the connection is closed). */
int par__py_call(struct par__pyconn *s, const struct par__pk *ident, const struct par__pk *meth,
		 const struct par__pk *args, const struct par__pk *kwds);
/* Drop a parked request (the connection goes). */
void par__py_drop(struct par__pyconn *s);

#endif /* PAR_NET_PROTO_PYTHON_H */
