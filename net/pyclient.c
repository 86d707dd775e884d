/* The client of Python managers: BaseManager.connect(), m.<typeid>() and a
 * queue proxy's calls, with the connections Python's own client makes
 * (../shared/ref/python-manager-protocol.md section 3.3): a one-shot
 * connection per server-level call (dummy, create, incref, decref) and one
 * kept-open proxy connection for the method calls, answered in order. */
#include "core_impl.h"
#include "pickle.h"
#include "pyclient.h"

#include <par/python.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_MAX 1024
#define IDENT_MAX 256

struct par_pymanager {
	char *addr;
	struct par_authkey key;
	int64_t connect_timeout_ns;
	int64_t grace_ns;
	struct par__pyconn proxy; /* fd -1 until the first queue; -1 again once broken */
	int broken;		  /* the proxy connection was given up: -EPIPE */
	struct par__pkw w;
	char err[ERR_MAX];
};

struct par_pyqueue {
	struct par_pymanager *m;
	char ident[];
};

/* ---- answers ------------------------------------------------------------ */

static void set_err(struct par_pymanager *m, const char *prefix, const uint8_t *p, size_t n)
{
	size_t k = strlen(prefix);

	if (k >= ERR_MAX)
		k = ERR_MAX - 1;
	memcpy(m->err, prefix, k);
	if (n > ERR_MAX - 1 - k)
		n = ERR_MAX - 1 - k;
	if (n > 0)
		memcpy(m->err + k, p, n);
	m->err[k + n] = '\0';
}

/* A traceback's last non-empty line: the exception and its message. */
static void set_err_traceback(struct par_pymanager *m, const char *prefix, const struct par__pk *t)
{
	if (t->kind != PAR__PK_STR) {
		set_err(m, prefix, NULL, 0);
		return;
	}
	const uint8_t *p = t->p;
	size_t end = t->n;

	while (end > 0 && (p[end - 1] == '\n' || p[end - 1] == '\r' || p[end - 1] == ' '))
		end--;
	size_t start = end;
	while (start > 0 && p[start - 1] != '\n')
		start--;
	set_err(m, prefix, p + start, end - start);
}

/* An exception instance: GLOBAL(module, name) called with args. */
static int exc_name(const struct par__pk *e, const struct par__pk **mod,
		    const struct par__pk **name)
{
	if (e->kind != PAR__PK_OBJ || e->a == NULL || e->a->kind != PAR__PK_GLOBAL)
		return 0;
	*mod = e->a->a;
	*name = e->a->b;
	return *mod != NULL && *name != NULL && (*mod)->kind == PAR__PK_STR &&
	       (*name)->kind == PAR__PK_STR;
}

/* "Name: first str arg" ("module.Name" outside builtins). */
static void set_err_exc(struct par_pymanager *m, const struct par__pk *e)
{
	const struct par__pk *mod, *name;
	char head[ERR_MAX];

	if (!exc_name(e, &mod, &name)) {
		set_err(m, "remote exception", NULL, 0);
		return;
	}
	int k = par__pk_is_str(mod, "builtins")
			? snprintf(head, sizeof(head), "%.*s", (int)name->n, (const char *)name->p)
			: snprintf(head, sizeof(head), "%.*s.%.*s", (int)mod->n,
				   (const char *)mod->p, (int)name->n, (const char *)name->p);
	const struct par__pk *args = e->b;
	if (args != NULL && args->kind == PAR__PK_TUPLE && args->n > 0 &&
	    args->v[0]->kind == PAR__PK_STR && k >= 0 && (size_t)k + 2 < sizeof(head)) {
		memcpy(head + k, ": ", 3);
		set_err(m, head, args->v[0]->p, args->v[0]->n);
		return;
	}
	set_err(m, head, NULL, 0);
}

/* queue.Empty / queue.Full (the class is _queue.Empty in C builds). */
static int is_empty_or_full(const struct par__pk *e)
{
	const struct par__pk *mod, *name;

	if (!exc_name(e, &mod, &name))
		return 0;
	if (!par__pk_is_str(mod, "queue") && !par__pk_is_str(mod, "_queue"))
		return 0;
	return par__pk_is_str(name, "Empty") || par__pk_is_str(name, "Full");
}

/* Read the answer (kind, result) p[0..n) into arena a. 0 and *res for
 * #RETURN; -EAGAIN / -ETIMEDOUT (by once) for queue.Empty and queue.Full;
 * -EREMOTEIO for another exception, a traceback or an unserializable
 * result (text in m->err); -EPROTO for anything malformed (the connection
 * must be dropped); -E2BIG, -ENOMEM. */
static int answer(struct par_pymanager *m, struct par__pkarena *a, const uint8_t *p, size_t n,
		  int once, struct par__pk **res)
{
	struct par__pk *t;
	const char *why;
	int r = par__pk_read(a, p, n, &t, &why);

	if (r != 0)
		return r;
	if (t->kind != PAR__PK_TUPLE || t->n != 2 || t->v[0]->kind != PAR__PK_STR)
		return -EPROTO;
	const struct par__pk *kind = t->v[0], *v = t->v[1];
	if (par__pk_is_str(kind, "#RETURN")) {
		*res = t->v[1];
		return 0;
	}
	if (par__pk_is_str(kind, "#ERROR")) {
		if (is_empty_or_full(v))
			return once ? -EAGAIN : -ETIMEDOUT;
		set_err_exc(m, v);
		return -EREMOTEIO;
	}
	if (par__pk_is_str(kind, "#TRACEBACK"))
		set_err_traceback(m, "", v);
	else if (par__pk_is_str(kind, "#UNSERIALIZABLE"))
		set_err_traceback(m, "Unserializable message: ", v);
	else if (par__pk_is_str(kind, "#PROXY"))
		set_err(m, "a proxy was returned (not supported)", NULL, 0);
	else
		return -EPROTO;
	return -EREMOTEIO;
}

/* ---- requests ----------------------------------------------------------- */

/* (ident, method, ( ... then the arguments, then req_end. */
static void req_begin(struct par__pkw *w, const char *ident, const char *method)
{
	par__pkw_begin(w);
	par__pkw_mark(w);
	if (ident != NULL)
		par__pkw_str(w, ident, strlen(ident));
	else
		par__pkw_none(w);
	par__pkw_str(w, method, strlen(method));
	par__pkw_mark(w);
}

static int req_end(struct par__pkw *w)
{
	par__pkw_tuple_mark(w); /* args */
	par__pkw_empty_dict(w); /* kwds */
	par__pkw_tuple_mark(w);
	return par__pkw_end(w);
}

/* The reader's memory for an n-byte answer: the usual bound, but never past
 * PAR__PYCLIENT_GRAPH_MAX (a hostile server's 1 GiB of one-byte opcodes
 * would otherwise cost the client 192 GiB of nodes). */
static size_t arena_limit(size_t n)
{
	size_t l = PAR__PK_LIMIT(n);
	return l < PAR__PYCLIENT_GRAPH_MAX ? l : PAR__PYCLIENT_GRAPH_MAX;
}

/* A server-level call on its own connection: (None, name, (arg,), {}).
 * With ident, the result must be (ident, exposed): the ident is copied. */
static int public_call(struct par_pymanager *m, const char *name, const char *arg, char *ident)
{
	struct par__pyconn c;
	struct par__pkarena a;
	struct par__pk *res;
	const uint8_t *p;
	size_t n = 0;
	int64_t deadline = par_deadline(m->connect_timeout_ns);

	req_begin(&m->w, NULL, name);
	if (arg != NULL)
		par__pkw_str(&m->w, arg, strlen(arg));
	int r = req_end(&m->w);
	if (r != 0)
		return r;
	r = par__pyconn_open(&c, m->addr, &m->key, deadline);
	if (r != 0)
		return r;
	r = par__pyconn_send(&c, m->w.p, m->w.len, deadline);
	if (r == 0)
		r = par__pyconn_recv(&c, PAR__PYCLIENT_ANSWER_MAX, deadline, &p, &n);
	par__pkarena_init(&a, arena_limit(n));
	if (r == 0)
		r = answer(m, &a, p, n, 0, &res);
	if (r == 0 && ident != NULL) {
		if (res->kind != PAR__PK_TUPLE || res->n < 1 || res->v[0]->kind != PAR__PK_STR ||
		    res->v[0]->n == 0 || res->v[0]->n >= IDENT_MAX ||
		    memchr(res->v[0]->p, 0, res->v[0]->n) != NULL)
			r = -EPROTO;
		else
			snprintf(ident, IDENT_MAX, "%.*s", (int)res->v[0]->n,
				 (const char *)res->v[0]->p);
	}
	par__pkarena_free(&a);
	par__pyconn_close(&c);
	return r;
}

/* Give the proxy connection up. Returns err. */
static int drop(struct par_pymanager *m, int err)
{
	par__pyconn_close(&m->proxy);
	m->broken = 1;
	return err;
}

/* Deadline for the answer to a call with timeout_ns. */
static int64_t answer_deadline(const struct par_pymanager *m, int64_t timeout_ns)
{
	if (timeout_ns < 0 || m->grace_ns < 0)
		return PAR_NO_DEADLINE;
	return par_deadline(timeout_ns > INT64_MAX - m->grace_ns ? INT64_MAX
								 : timeout_ns + m->grace_ns);
}

/* The request in m->w on the proxy connection; its answer read into a
 * (which must be freed after *res is used, before the next call). */
static int proxy_call(struct par_pymanager *m, int64_t timeout_ns, struct par__pkarena *a,
		      struct par__pk **res)
{
	int64_t deadline = answer_deadline(m, timeout_ns);
	const uint8_t *p;
	size_t n = 0;

	par__pkarena_init(a, 0);
	if (m->broken || m->proxy.fd < 0)
		return -EPIPE;
	int r = par__pyconn_send(&m->proxy, m->w.p, m->w.len, deadline);
	if (r == 0)
		r = par__pyconn_recv(&m->proxy, PAR__PYCLIENT_ANSWER_MAX, deadline, &p, &n);
	if (r != 0)
		return drop(m, r);
	par__pkarena_init(a, arena_limit(n));
	r = answer(m, a, p, n, timeout_ns == 0, res);
	return r == -EPROTO ? drop(m, r) : r;
}

/* The proxy connection, made once: (None, 'accept_connection',
 * ('MainProcess',), {}) turns a fresh connection into one. */
static int proxy_open(struct par_pymanager *m)
{
	struct par__pkarena a;
	struct par__pk *res;
	const uint8_t *p;
	size_t n;

	if (m->broken)
		return -EPIPE;
	if (m->proxy.fd >= 0)
		return 0;
	int64_t deadline = par_deadline(m->connect_timeout_ns);
	req_begin(&m->w, NULL, "accept_connection");
	par__pkw_str(&m->w, "MainProcess", strlen("MainProcess"));
	int r = req_end(&m->w);
	if (r != 0)
		return r;
	r = par__pyconn_open(&m->proxy, m->addr, &m->key, deadline);
	if (r != 0)
		return r;
	r = par__pyconn_send(&m->proxy, m->w.p, m->w.len, deadline);
	if (r == 0)
		r = par__pyconn_recv(&m->proxy, PAR__PYCLIENT_ANSWER_MAX, deadline, &p, &n);
	if (r == 0) {
		par__pkarena_init(&a, arena_limit(n));
		r = answer(m, &a, p, n, 0, &res);
		par__pkarena_free(&a);
	}
	if (r != 0)
		par__pyconn_close(&m->proxy);
	return r;
}

/* ---- the API ------------------------------------------------------------ */

int par_pymanager_connect(const char *addr, const struct par_authkey *key,
			  const struct par_client_opts *opts, struct par_pymanager **out)
{
	struct par_client_opts d;

	par_client_opts_init(&d);
	if (addr == NULL || key == NULL || key->len > PAR_AUTHKEY_MAX || out == NULL ||
	    PAR__OPTS_BAD(opts))
		return -EINVAL;
	struct par_pymanager *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->addr = strdup(addr);
	m->key = *key;
	m->connect_timeout_ns = PAR__OPT(opts, connect_timeout_ns, d.connect_timeout_ns);
	m->grace_ns = PAR__OPT(opts, reply_grace_ns, d.reply_grace_ns);
	m->proxy.fd = -1;
	par__pkw_init(&m->w);
	int r = m->addr == NULL ? -ENOMEM : public_call(m, "dummy", NULL, NULL);
	if (r == -EREMOTEIO)
		r = -EPROTO; /* dummy cannot fail on a Python manager */
	if (r != 0) {
		par_pymanager_close(m);
		return r;
	}
	*out = m;
	return 0;
}

void par_pymanager_close(struct par_pymanager *m)
{
	if (m == NULL)
		return;
	par__pyconn_close(&m->proxy);
	par__pkw_free(&m->w);
	par_authkey_clear(&m->key);
	free(m->addr);
	free(m);
}

int par_pymanager_queue(struct par_pymanager *m, const char *type_id, struct par_pyqueue **out)
{
	char ident[IDENT_MAX];

	if (m == NULL || type_id == NULL || type_id[0] == '\0' || out == NULL)
		return -EINVAL;
	int r = public_call(m, "create", type_id, ident);
	if (r == -EREMOTEIO && strncmp(m->err, "KeyError", 8) == 0)
		return -ENOENT;
	if (r != 0)
		return r;
	/* As BaseProxy: take our own reference, then drop create's. */
	int refs = 1;
	r = public_call(m, "incref", ident, NULL);
	refs += r == 0;
	if (r == 0) {
		r = public_call(m, "decref", ident, NULL);
		refs -= r == 0;
	}
	if (r == 0)
		r = proxy_open(m);
	struct par_pyqueue *q = r == 0 ? malloc(sizeof(*q) + strlen(ident) + 1) : NULL;
	if (r == 0 && q == NULL)
		r = -ENOMEM;
	if (r != 0) {
		while (refs-- > 0) /* give back every reference we hold */
			public_call(m, "decref", ident, NULL);
		return r;
	}
	q->m = m;
	strcpy(q->ident, ident);
	*out = q;
	return 0;
}

void par_pyqueue_close(struct par_pyqueue *q)
{
	if (q == NULL)
		return;
	public_call(q->m, "decref", q->ident, NULL);
	free(q);
}

/* The method for a timeout: *_nowait for 0; block=True, timeout as float
 * seconds for a finite one; the defaults (block, no timeout) for
 * PAR_FOREVER. Returns whether block and timeout were written. */
static int timed_args(struct par__pkw *w, int64_t timeout_ns)
{
	if (timeout_ns <= 0)
		return 0;
	par__pkw_bool(w, 1);
	par__pkw_float(w, (double)timeout_ns / 1e9);
	return 1;
}

int par_pyqueue_put(struct par_pyqueue *q, const struct par_py *item, int64_t timeout_ns)
{
	struct par__pkarena a;
	struct par__pk *res;

	if (q == NULL || item == NULL)
		return -EINVAL;
	struct par_pymanager *m = q->m;
	req_begin(&m->w, q->ident, timeout_ns == 0 ? "put_nowait" : "put");
	par__pkw_py(&m->w, item);
	timed_args(&m->w, timeout_ns);
	int r = req_end(&m->w);
	if (r != 0)
		return r;
	r = proxy_call(m, timeout_ns, &a, &res);
	par__pkarena_free(&a);
	return r;
}

int par_pyqueue_get(struct par_pyqueue *q, struct par_py **item, int64_t timeout_ns)
{
	struct par__pkarena a;
	struct par__pk *res;

	if (q == NULL || item == NULL)
		return -EINVAL;
	struct par_pymanager *m = q->m;
	req_begin(&m->w, q->ident, timeout_ns == 0 ? "get_nowait" : "get");
	timed_args(&m->w, timeout_ns);
	int r = req_end(&m->w);
	if (r != 0)
		return r;
	r = proxy_call(m, timeout_ns, &a, &res);
	if (r == 0)
		r = par__pk_to_py(res, item);
	par__pkarena_free(&a);
	return r;
}

ssize_t par_pyqueue_size(struct par_pyqueue *q)
{
	struct par__pkarena a;
	struct par__pk *res;
	int64_t v = 0;

	if (q == NULL)
		return -EINVAL;
	struct par_pymanager *m = q->m;
	req_begin(&m->w, q->ident, "qsize");
	int r = req_end(&m->w);
	if (r == 0)
		r = proxy_call(m, 0, &a, &res);
	else
		par__pkarena_init(&a, 0);
	if (r == 0 && (par__pk_int(res, &v) != 0 || v < 0))
		r = drop(m, -EPROTO);
	par__pkarena_free(&a);
	return r != 0 ? r : (ssize_t)v;
}

int par_pymanager_last_error(const struct par_pymanager *m, char *buf, size_t cap)
{
	if (m == NULL)
		return 0;
	size_t n = strlen(m->err);
	if (cap > 0) {
		size_t k = n < cap - 1 ? n : cap - 1;
		memcpy(buf, m->err, k);
		buf[k] = '\0';
	}
	return (int)n;
}
