/* queue.Queue's methods on a proxy connection of the Python codec: the
 * arguments bound as Python binds them (put(item, block=True,
 * timeout=None), get(block=True, timeout=None), ...), answered as
 * queue.Queue answers (values, queue.Empty / queue.Full / ValueError /
 * TypeError as '#ERROR', queue.ShutDown from 3.13), and a get, put or join
 * that has to wait parked on the queue with a timer, so the loop never
 * blocks. What a put stores and a get delivers follows par/python.h: bytes
 * stay raw, other values are kept as their pickle (re-written from the
 * nodes read, never run); a stored message that passes par_py_is_pickle
 * but cannot be read is delivered as bytes. */
#include "proto_python.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sig {
	const char *name;
	const char *const *params;
	unsigned n, required;
};

static const char *const p_put[] = { "item", "block", "timeout" };
static const char *const p_get[] = { "block", "timeout" };
static const char *const p_shutdown[] = { "immediate" };

enum {
	M_EMPTY,
	M_FULL,
	M_GET,
	M_GET_NOWAIT,
	M_JOIN,
	M_PUT,
	M_PUT_NOWAIT,
	M_QSIZE,
	M_TASK_DONE,
	M_SHUTDOWN
};

static const struct sig methods[] = {
	[M_EMPTY] = { "empty", NULL, 0, 0 },
	[M_FULL] = { "full", NULL, 0, 0 },
	[M_GET] = { "get", p_get, 2, 0 },
	[M_GET_NOWAIT] = { "get_nowait", NULL, 0, 0 },
	[M_JOIN] = { "join", NULL, 0, 0 },
	[M_PUT] = { "put", p_put, 3, 1 },
	[M_PUT_NOWAIT] = { "put_nowait", p_put, 1, 1 },
	[M_QSIZE] = { "qsize", NULL, 0, 0 },
	[M_TASK_DONE] = { "task_done", NULL, 0, 0 },
	[M_SHUTDOWN] = { "shutdown", p_shutdown, 1, 0 },
};

#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

static int type_error(struct par__pyconn *s, const char *msg)
{
	return par__py_error(s, "builtins", "TypeError", msg);
}

/* Bind args and kwds to g's parameters in v (NULL: not given) as Python
 * does. 0 bound; 1 answered a TypeError; -1 closed. */
static int bind_args(struct par__pyconn *s, const struct sig *g, const struct par__pk *args,
		     const struct par__pk *kwds, const struct par__pk **v)
{
	char msg[400], key[300];

	for (unsigned i = 0; i < g->n; i++)
		v[i] = NULL;
	if (args->n > g->n) {
		if (g->required == g->n)
			snprintf(msg, sizeof(msg),
				 "Queue.%s() takes %u positional argument%s but %llu were given",
				 g->name, g->n + 1, g->n ? "s" : "",
				 (unsigned long long)args->n + 1);
		else
			snprintf(msg, sizeof(msg),
				 "Queue.%s() takes from %u to %u positional arguments but %llu "
				 "were given",
				 g->name, g->required + 1, g->n + 1,
				 (unsigned long long)args->n + 1);
		return type_error(s, msg) == 0 ? 1 : -1;
	}
	for (uint64_t i = 0; i < args->n; i++)
		v[i] = args->v[i];
	for (uint64_t i = 0; i < kwds->n; i++) {
		const struct par__pk *k = kwds->v[2 * i];
		unsigned j = 0;
		if (k->kind != PAR__PK_STR)
			return type_error(s, "keywords must be strings") == 0 ? 1 : -1;
		while (j < g->n && !par__pk_is_str(k, g->params[j]))
			j++;
		par__py_repr(k, key, sizeof(key));
		if (j == g->n || v[j] != NULL) {
			snprintf(msg, sizeof(msg),
				 j == g->n ? "Queue.%s() got an unexpected keyword argument %s"
					   : "Queue.%s() got multiple values for argument %s",
				 g->name, key);
			return type_error(s, msg) == 0 ? 1 : -1;
		}
		v[j] = kwds->v[2 * i + 1];
	}
	for (unsigned i = 0; i < g->required; i++)
		if (v[i] == NULL) {
			snprintf(msg, sizeof(msg),
				 "Queue.%s() missing 1 required positional argument: '%s'", g->name,
				 g->params[i]);
			return type_error(s, msg) == 0 ? 1 : -1;
		}
	return 0;
}

/* Python's truth value of a read node (objects of unknown classes: true). */
static int truthy(const struct par__pk *k)
{
	switch (k->kind) {
	case PAR__PK_NONE:
		return 0;
	case PAR__PK_BOOL:
	case PAR__PK_INT:
		return k->i != 0;
	case PAR__PK_FLOAT:
		return k->f != 0;
	case PAR__PK_STR:
	case PAR__PK_BYTES:
	case PAR__PK_BYTEARRAY:
	case PAR__PK_TUPLE:
	case PAR__PK_LIST:
	case PAR__PK_DICT:
	case PAR__PK_SET:
	case PAR__PK_FROZENSET:
		return k->n != 0;
	default:
		return 1; /* a LONG is past 64 bits, so not 0 */
	}
}

static const char *type_name(const struct par__pk *k)
{
	switch (k->kind) {
	case PAR__PK_STR:
		return "str";
	case PAR__PK_BYTES:
		return "bytes";
	case PAR__PK_BYTEARRAY:
		return "bytearray";
	case PAR__PK_TUPLE:
		return "tuple";
	case PAR__PK_LIST:
		return "list";
	case PAR__PK_DICT:
		return "dict";
	case PAR__PK_SET:
		return "set";
	case PAR__PK_FROZENSET:
		return "frozenset";
	case PAR__PK_GLOBAL:
		return "type";
	default:
		return "object";
	}
}

/* block and timeout as a wait: *ns 0 (try once), > 0, or PAR_FOREVER. 0,
 * 1 answered an error, -1 closed. */
static int wait_arg(struct par__pyconn *s, const struct par__pk *block, const struct par__pk *t,
		    int64_t *ns)
{
	char msg[200];
	double d;

	*ns = PAR_FOREVER;
	if (block != NULL && !truthy(block)) {
		*ns = 0; /* block=False: the timeout is not looked at */
		return 0;
	}
	if (t == NULL || t->kind == PAR__PK_NONE)
		return 0;
	if (par__pk_num(t, &d) != 0) {
		snprintf(msg, sizeof(msg), "'<' not supported between instances of '%s' and 'int'",
			 type_name(t));
		return type_error(s, msg) == 0 ? 1 : -1;
	}
	if (isnan(d))
		return par__py_error(s, "builtins", "ValueError",
				     "Invalid value NaN (not a number)") == 0
			       ? 1
			       : -1;
	if (d < 0)
		return par__py_error(s, "builtins", "ValueError",
				     "'timeout' must be a non-negative number") == 0
			       ? 1
			       : -1;
	if (d < 9.0e9) /* else about 285 years: forever */
		*ns = (int64_t)(d * 1e9);
	return 0;
}

/* ---- get --------------------------------------------------------------- */

static void get_sink(void *arg, const uint8_t *m, size_t len)
{
	struct par__pyconn *s = arg;
	struct par__pkarena a;
	struct par__pk *k = NULL;
	const char *why = NULL;

	par__pkarena_init(&a, PAR__PK_LIMIT(len));
	if (par_py_is_pickle(m, len) && par__pk_read(&a, m, len, &k, &why) != 0) {
		par__log(s->c->m, PAR_LOG_DEBUG,
			 "conn %llu %s: a message that looks like a pickle is not one (%s): "
			 "delivered as bytes",
			 (unsigned long long)s->c->serial, s->c->peer, why ? why : "?");
		k = NULL;
	}
	if (k != NULL) {
		par__py_begin(s, "#RETURN");
		par__pkw_node(&s->w, k);
		if (s->w.err != 0) /* e.g. nested too deep to write back */
			k = NULL;
	}
	if (k == NULL) {
		par__py_begin(s, "#RETURN");
		par__pkw_bytes(&s->w, m, len);
	}
	s->sink_rc = par__py_finish(s);
	par__pkarena_free(&a);
}

/* Take a message now: 1 answered, 0 none there, -1 closed. */
static int get_try(struct par__pyconn *s, struct par__sq *q)
{
	s->sink_rc = 0;
	ssize_t k = par__sq_get(q, SIZE_MAX, get_sink, s);

	if (k >= 0) {
		par__sq_count(q, 0, 1);
		par__sq_kick(q);
		return s->sink_rc < 0 ? -1 : 1;
	}
	if (k == -EAGAIN)
		return 0;
	if (k == -EPIPE)
		return par__py_shut_down(s, "_queue", "Empty") == 0 ? 1 : -1;
	char msg[128];
	snprintf(msg, sizeof(msg), "par-manager: get failed: %s", strerror((int)-k));
	return par__py_error(s, "builtins", "OSError", msg) == 0 ? 1 : -1;
}

/* ---- put --------------------------------------------------------------- */

/* The message a put of item stores (par/python.h): into *msg, *len, which
 * point into the request or s->iw. 0 or an error of the writer. */
static int item_message(struct par__pyconn *s, const struct par__pk *item, const uint8_t **msg,
			size_t *len)
{
	if (item->kind == PAR__PK_BYTES && !par_py_is_pickle(item->p, (size_t)item->n)) {
		*msg = item->p;
		*len = (size_t)item->n;
		return 0;
	}
	s->iw.err = 0;
	par__pkw_begin(&s->iw);
	if (item->kind == PAR__PK_BYTES)
		par__pkw_bytes(&s->iw, item->p, (size_t)item->n);
	else
		par__pkw_node(&s->iw, item);
	int r = par__pkw_end(&s->iw);
	*msg = s->iw.p;
	*len = s->iw.len;
	return r;
}

/* Put a message now: 1 answered, 0 no room, -1 closed. */
static int put_try(struct par__pyconn *s, struct par__sq *q, const uint8_t *msg, size_t len)
{
	char text[200];
	int r = par__sq_put(q, msg, len);

	switch (r) {
	case 0:
		par__sq_count(q, 1, 1);
		par__sq_kick(q);
		return par__py_none(s) == 0 ? 1 : -1;
	case -EAGAIN:
		return 0;
	case -EPIPE:
		return par__py_shut_down(s, "queue", "Full") == 0 ? 1 : -1;
	case -EMSGSIZE:
		snprintf(text, sizeof(text),
			 "par-manager: an item of %zu bytes is over the queue's limit of %zu bytes",
			 len, q->max_msg);
		return par__py_error(s, "builtins", "ValueError", text) == 0 ? 1 : -1;
	default:
		return par__py_error(s, "builtins", "MemoryError", NULL) == 0 ? 1 : -1;
	}
}

/* ---- parking ----------------------------------------------------------- */

static struct par__pyconn *of_waiter(struct par__waiter *w)
{
	return (struct par__pyconn *)((char *)w - offsetof(struct par__pyconn, wt));
}

static void unparked(struct par__pyconn *s)
{
	free(s->item);
	s->item = NULL;
	s->op = 0;
	par__sconn_unpark(s->c);
}

/* Called by the queue's kick: 1 served (it left the line), 0 wait on. */
static int py_retry(struct par__waiter *w)
{
	struct par__pyconn *s = of_waiter(w);
	struct par__sq *q = w->q;
	int k;

	if (s->op == PAR__PY_OP_GET)
		k = get_try(s, q);
	else if (s->op == PAR__PY_OP_PUT)
		k = put_try(s, q, s->item, s->item_len);
	else
		k = q->unfinished == 0 ? (par__py_none(s) == 0 ? 1 : -1) : 0;
	if (k == 0)
		return 0;
	par__sq_unpark(w);
	if (k > 0)
		unparked(s);
	return 1;
}

static void py_expire(struct par__waiter *w, int err)
{
	struct par__pyconn *s = of_waiter(w);
	int get = s->op == PAR__PY_OP_GET;

	if (err == -ETIMEDOUT)
		par__py_error(s, get ? "_queue" : "queue", get ? "Empty" : "Full", NULL);
	else if (!s->c->m->stopping) /* the queue was shut down */
		par__py_shut_down(s, get ? "_queue" : "queue", get ? "Empty" : "Full");
	/* at a stop: no answer, the connection closes */
	unparked(s);
}

/* Wait for q (ns > 0 or PAR_FOREVER): 0 parked, -1 closed. */
static int park(struct par__pyconn *s, struct par__sq *q, int op, int64_t ns, const uint8_t *msg,
		size_t len)
{
	static const int kinds[] = { [PAR__PY_OP_GET] = PAR__WAIT_GET,
				     [PAR__PY_OP_PUT] = PAR__WAIT_PUT,
				     [PAR__PY_OP_JOIN] = PAR__WAIT_JOIN };

	if (op == PAR__PY_OP_PUT) {
		s->item = malloc(len ? len : 1);
		if (s->item == NULL)
			return par__py_error(s, "builtins", "MemoryError", NULL);
		memcpy(s->item, msg, len);
		s->item_len = len;
	}
	s->op = op;
	s->wt.retry = py_retry;
	s->wt.expire = py_expire;
	if (par__sq_park(q, &s->wt, kinds[op], par_deadline(ns)) != 0) {
		free(s->item);
		s->item = NULL;
		s->op = 0;
		return par__py_error(s, "builtins", "MemoryError", NULL);
	}
	par__sconn_park(s->c);
	return 0;
}

void par__py_drop(struct par__pyconn *s)
{
	par__sq_unpark(&s->wt);
	free(s->item);
	s->item = NULL;
	s->op = 0;
}

/* ---- the methods ------------------------------------------------------- */

static int do_get(struct par__pyconn *s, struct par__sq *q, const struct par__pk **v, int nowait)
{
	int64_t ns = 0;
	int k = nowait ? 0 : wait_arg(s, v[0], v[1], &ns);

	if (k != 0)
		return k < 0 ? -1 : 0;
	k = get_try(s, q);
	if (k != 0)
		return k < 0 ? -1 : 0;
	if (ns == 0)
		return par__py_error(s, "_queue", "Empty", NULL);
	return park(s, q, PAR__PY_OP_GET, ns, NULL, 0);
}

static int do_put(struct par__pyconn *s, struct par__sq *q, const struct par__pk **v, int nowait)
{
	const uint8_t *msg;
	size_t len;
	int64_t ns = 0;
	char text[200];

	if (q->shut)
		return par__py_shut_down(s, "queue", "Full");
	int k = nowait ? 0 : wait_arg(s, v[1], v[2], &ns);
	if (k != 0)
		return k < 0 ? -1 : 0;
	int r = item_message(s, v[0], &msg, &len);
	if (r != 0) {
		snprintf(text, sizeof(text), "par-manager: the item cannot be stored: %s",
			 strerror(-r));
		return par__py_error(s, "builtins", "ValueError", text);
	}
	k = put_try(s, q, msg, len);
	if (k != 0)
		return k < 0 ? -1 : 0;
	if (ns == 0)
		return par__py_error(s, "queue", "Full", NULL);
	return park(s, q, PAR__PY_OP_PUT, ns, msg, len);
}

static int method(struct par__pyconn *s, struct par__sq *q, unsigned m, const struct par__pk **v)
{
	switch (m) {
	case M_EMPTY:
		return par__py_bool(s, par__sq_size(q) == 0);
	case M_FULL:
		return par__py_bool(s, par__sq_size(q) >= q->capacity);
	case M_QSIZE:
		return par__py_int(s, (int64_t)par__sq_size(q));
	case M_GET:
	case M_GET_NOWAIT:
		return do_get(s, q, v, m == M_GET_NOWAIT);
	case M_PUT:
	case M_PUT_NOWAIT:
		return do_put(s, q, v, m == M_PUT_NOWAIT);
	case M_TASK_DONE:
		if (par__sq_task_done(q) != 0)
			return par__py_error(s, "builtins", "ValueError",
					     "task_done() called too many times");
		return par__py_none(s);
	case M_JOIN:
		if (q->unfinished == 0)
			return par__py_none(s);
		return park(s, q, PAR__PY_OP_JOIN, PAR_FOREVER, NULL, 0);
	default: /* M_SHUTDOWN */
		par__sq_shutdown(q, v[0] != NULL && truthy(v[0]));
		return par__py_none(s);
	}
}

/* Names outside exposed: Python's fallbacks, else AttributeError. */
static int fallback(struct par__pyconn *s, struct par__sq *q, const struct par__pk *meth)
{
	char r[300], names[200];
	size_t o = 0;

	if (par__pk_is_str(meth, "__repr__") || par__pk_is_str(meth, "__str__")) {
		snprintf(r, sizeof(r), "<queue.Queue object at 0x%s>", q->pyident);
		return par__py_str(s, r);
	}
	if (par__pk_is_str(meth, "#GETVALUE"))
		return par__py_traceback(s, "#UNSERIALIZABLE", "serve_client",
					 "TypeError: cannot pickle '_thread.lock' object");
	for (unsigned i = 0; i < NMETHODS; i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s'%s'", i ? ", " : "",
				      methods[i].name);
	par__py_repr(meth, r, sizeof(r));
	return par__py_traceback(s, "#TRACEBACK", "serve_client",
				 "AttributeError: method %s of <class 'queue.Queue'> object is not "
				 "in exposed=(%s)",
				 r, names);
}

int par__py_call(struct par__pyconn *s, const struct par__pk *ident, const struct par__pk *meth,
		 const struct par__pk *args, const struct par__pk *kwds)
{
	const struct par__pk *v[3];
	struct par__sq *q = NULL;
	char r[300];

	if (ident->kind == PAR__PK_STR)
		q = par__srv_queue_pyident(s->c->m, ident->p, ident->n);
	if (q == NULL || q->pyrefs == 0) {
		par__py_repr(ident, r, sizeof(r));
		return par__py_traceback(s, "#TRACEBACK", "serve_client", "KeyError: %s", r);
	}
	for (unsigned m = 0; m < NMETHODS; m++) {
		if (!par__pk_is_str(meth, methods[m].name))
			continue;
		int k = bind_args(s, &methods[m], args, kwds, v);
		if (k != 0)
			return k < 0 ? -1 : 0;
		return method(s, q, m, v);
	}
	return fallback(s, q, meth);
}
