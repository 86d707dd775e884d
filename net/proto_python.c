/* The Python codec: Python's multiprocessing.managers protocol on a server
 * connection (../shared/ref/python-manager-protocol.md). The mutual
 * challenge (ours first, then the client's), then pickled requests
 * (ident, method, args, kwds), each answered ('#KIND', result) in order:
 * a public connection makes one server call (dummy, create, incref, decref,
 * accept_connection, ...) and is closed; accept_connection turns it into a
 * proxy connection that calls queue.Queue methods (proto_python_queue.c).
 * Requests are read into nodes (pickle.h) and never run; the only names a
 * request can reach are the queues registered with the manager. */
#include "proto_python.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct par__pyconn *PY(struct par__sconn *c)
{
	return par__sconn_state(c);
}

/* ---- messages ---------------------------------------------------------- */

static int send_msg(struct par__sconn *c, const void *p, size_t len)
{
	struct par__obuf *o = par__sconn_out(c);
	uint8_t h[12];
	size_t hl = par__py_frame_header(h, len);

	if (par__obuf_write(o, h, hl) != 0 || par__obuf_write(o, p, len) != 0)
		return -ENOMEM;
	par__sconn_wrote(c);
	return 0;
}

void par__py_begin(struct par__pyconn *s, const char *kind)
{
	s->w.err = 0;
	par__pkw_begin(&s->w);
	par__pkw_str(&s->w, kind, strlen(kind));
}

int par__py_finish(struct par__pyconn *s)
{
	par__pkw_tuple(&s->w, 2);
	int r = par__pkw_end(&s->w);

	if (r == 0)
		r = send_msg(s->c, s->w.p, s->w.len);
	if (r != 0) {
		par__log(s->c->m, PAR_LOG_ERROR, "conn %llu %s: cannot write an answer: %s",
			 (unsigned long long)s->c->serial, s->c->peer, strerror(-r));
		par__sconn_fail(s->c, PAR_LOG_ERROR, "out of memory", NULL, 0);
		return -1;
	}
	PAR__CNT(s->c->m, requests, 1);
	return 0;
}

int par__py_none(struct par__pyconn *s)
{
	par__py_begin(s, "#RETURN");
	par__pkw_none(&s->w);
	return par__py_finish(s);
}

int par__py_int(struct par__pyconn *s, int64_t v)
{
	par__py_begin(s, "#RETURN");
	par__pkw_int(&s->w, v);
	return par__py_finish(s);
}

int par__py_bool(struct par__pyconn *s, int v)
{
	par__py_begin(s, "#RETURN");
	par__pkw_bool(&s->w, v);
	return par__py_finish(s);
}

int par__py_str(struct par__pyconn *s, const char *text)
{
	par__py_begin(s, "#RETURN");
	par__pkw_str(&s->w, text, strlen(text));
	return par__py_finish(s);
}

int par__py_error(struct par__pyconn *s, const char *module, const char *name, const char *msg)
{
	par__py_begin(s, "#ERROR");
	par__pkw_global(&s->w, module, name);
	if (msg != NULL)
		par__pkw_str(&s->w, msg, strlen(msg));
	par__pkw_tuple(&s->w, msg != NULL);
	par__pkw_reduce(&s->w);
	return par__py_finish(s);
}

int par__py_shut_down(struct par__pyconn *s, const char *fb_module, const char *fb_name)
{
	/* getattr(importlib.import_module('queue'), 'ShutDown', fallback)() */
	par__py_begin(s, "#ERROR");
	par__pkw_global(&s->w, "builtins", "getattr");
	par__pkw_global(&s->w, "importlib", "import_module");
	par__pkw_str(&s->w, "queue", 5);
	par__pkw_tuple(&s->w, 1);
	par__pkw_reduce(&s->w);
	par__pkw_str(&s->w, "ShutDown", 8);
	par__pkw_global(&s->w, fb_module, fb_name);
	par__pkw_tuple(&s->w, 3);
	par__pkw_reduce(&s->w);
	par__pkw_tuple(&s->w, 0);
	par__pkw_reduce(&s->w);
	return par__py_finish(s);
}

int par__py_traceback(struct par__pyconn *s, const char *kind, const char *where, const char *fmt,
		      ...)
{
	char text[1024];
	va_list ap;
	int n = snprintf(text, sizeof(text),
			 "Traceback (most recent call last):\n  File \"par-manager\", in %s\n",
			 where);

	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(text) - 2)
		n += vsnprintf(text + n, sizeof(text) - 2 - (size_t)n, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > sizeof(text) - 2)
		n = (int)strlen(text);
	text[n] = '\n';
	text[n + 1] = '\0';
	par__py_begin(s, kind);
	par__pkw_str(&s->w, text, (size_t)n + 1);
	return par__py_finish(s);
}

/* ---- repr -------------------------------------------------------------- */

static void quoted(char *buf, size_t cap, const char *pre, const uint8_t *p, uint64_t n)
{
	size_t o = (size_t)snprintf(buf, cap, "%s'", pre);

	for (uint64_t i = 0; i < n && o + 8 < cap; i++) {
		uint8_t ch = p[i];
		if (ch == '\'' || ch == '\\')
			o += (size_t)snprintf(buf + o, cap - o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	snprintf(buf + o, cap - o, "'");
}

void par__py_repr(const struct par__pk *k, char *buf, size_t cap)
{
	static const char *const names[] = {
		[PAR__PK_LONG] = "int",
		[PAR__PK_BYTEARRAY] = "bytearray",
		[PAR__PK_TUPLE] = "tuple",
		[PAR__PK_LIST] = "list",
		[PAR__PK_DICT] = "dict",
		[PAR__PK_SET] = "set",
		[PAR__PK_FROZENSET] = "frozenset",
		[PAR__PK_GLOBAL] = "type",
		[PAR__PK_OBJ] = "object",
	};

	if (cap < 16)
		return;
	switch (k->kind) {
	case PAR__PK_NONE:
		snprintf(buf, cap, "None");
		return;
	case PAR__PK_BOOL:
		snprintf(buf, cap, "%s", k->i ? "True" : "False");
		return;
	case PAR__PK_INT:
		snprintf(buf, cap, "%lld", (long long)k->i);
		return;
	case PAR__PK_FLOAT:
		snprintf(buf, cap, "%.17g", k->f);
		return;
	case PAR__PK_STR:
		quoted(buf, cap, "", k->p, k->n);
		return;
	case PAR__PK_BYTES:
		quoted(buf, cap, "b", k->p, k->n);
		return;
	}
	snprintf(buf, cap, "<%s object>",
		 k->kind < sizeof(names) / sizeof(names[0]) && names[k->kind] ? names[k->kind]
									      : "unknown");
}

/* ---- the server's calls ------------------------------------------------ */

static const char *const exposed[] = { "empty", "full",	      "get",   "get_nowait", "join",
				       "put",	"put_nowait", "qsize", "task_done",  "shutdown" };

void par__py_exposed(struct par__pkw *w)
{
	par__pkw_mark(w);
	for (size_t i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++)
		par__pkw_str(w, exposed[i], strlen(exposed[i]));
	par__pkw_tuple_mark(w);
}

/* The queue a public call names by ident (args[0]) with references, else
 * answered KeyError (NULL). */
static struct par__sq *known(struct par__pyconn *s, const char *fn, const struct par__pk *args,
			     int *rc)
{
	char r[300];
	struct par__sq *q = NULL;

	if (args->n < 1) {
		*rc = par__py_traceback(s, "#TRACEBACK", fn,
					"TypeError: Server.%s() missing 1 required positional "
					"argument: 'ident'",
					fn);
		return NULL;
	}
	const struct par__pk *id = args->v[0];
	if (id->kind == PAR__PK_STR)
		q = par__srv_queue_pyident(s->c->m, id->p, id->n);
	if (q != NULL && q->pyrefs > 0)
		return q;
	par__py_repr(id, r, sizeof(r));
	*rc = par__py_traceback(s, "#TRACEBACK", fn, "KeyError: %s", r);
	return NULL;
}

static int call_create(struct par__pyconn *s, const struct par__pk *args)
{
	char r[300];
	struct par__sq *q = NULL;

	if (args->n < 1)
		return par__py_traceback(s, "#TRACEBACK", "create",
					 "TypeError: Server.create() missing 1 required "
					 "positional argument: 'typeid'");
	const struct par__pk *t = args->v[0];
	if (t->kind == PAR__PK_STR)
		q = par__srv_queue_named(s->c->m, t->p, t->n);
	if (q == NULL) {
		par__py_repr(t, r, sizeof(r));
		return par__py_traceback(s, "#TRACEBACK", "create", "KeyError: %s", r);
	}
	if (args->n > 1)
		return par__py_traceback(s, "#TRACEBACK", "create",
					 "TypeError: %s() takes 0 positional arguments but %llu "
					 "were given",
					 q->name, (unsigned long long)(args->n - 1));
	q->pyrefs++;
	par__py_begin(s, "#RETURN");
	par__pkw_str(&s->w, q->pyident, strlen(q->pyident));
	par__py_exposed(&s->w);
	par__pkw_tuple(&s->w, 2);
	return par__py_finish(s);
}

/* get_methods(token): the exposed names of the object token.id names. */
static int call_get_methods(struct par__pyconn *s, const struct par__pk *args)
{
	const struct par__pk *t = args->n == 1 ? args->v[0] : NULL, *state = NULL;
	const char *fn = "get_methods";

	if (t != NULL && t->kind == PAR__PK_OBJ)
		for (uint64_t i = 0; i < t->n; i++)
			if (t->ops[i].op == 'b')
				state = t->ops[i].x;
	if (state == NULL || state->kind != PAR__PK_TUPLE || state->n != 3)
		return par__py_traceback(s, "#TRACEBACK", fn,
					 "AttributeError: the argument is not a Token");
	int rc = 0;
	const struct par__pk *ident = state->v[2];
	struct par__pk one = { .kind = PAR__PK_TUPLE, .n = 1 };
	struct par__pk *v[1] = { (struct par__pk *)ident };
	one.v = v;
	if (known(s, fn, &one, &rc) == NULL)
		return rc;
	par__py_begin(s, "#RETURN");
	par__py_exposed(&s->w);
	return par__py_finish(s);
}

static int call_debug_info(struct par__pyconn *s)
{
	struct par_manager *m = s->c->m;
	char *text = calloc(m->nq ? m->nq : 1, 400);
	size_t o = 0;

	if (text == NULL) {
		par__sconn_fail(s->c, PAR_LOG_ERROR, "out of memory", NULL, 0);
		return -1;
	}
	for (uint32_t i = 0; i < m->nq; i++)
		if (m->queues[i]->pyrefs > 0)
			o += (size_t)snprintf(
				text + o, 400,
				"%s  %s:       refcount=%llu\n    <queue.Queue object "
				"at 0x%s> (par queue '%.200s')",
				o ? "\n" : "", m->queues[i]->pyident,
				(unsigned long long)m->queues[i]->pyrefs, m->queues[i]->pyident,
				m->queues[i]->name);
	int r = par__py_str(s, text);
	free(text);
	return r;
}

static int call_public(struct par__pyconn *s, const struct par__pk *meth,
		       const struct par__pk *args)
{
	struct par_manager *m = s->c->m;
	struct par__sq *q;
	int rc = 0;
	char r[300];

	if (par__pk_is_str(meth, "dummy"))
		return par__py_none(s);
	if (par__pk_is_str(meth, "create"))
		return call_create(s, args);
	if (par__pk_is_str(meth, "incref") || par__pk_is_str(meth, "decref")) {
		int inc = par__pk_is_str(meth, "incref");
		if ((q = known(s, inc ? "incref" : "decref", args, &rc)) == NULL)
			return rc;
		q->pyrefs += inc ? 1 : (uint64_t)-1;
		return par__py_none(s);
	}
	if (par__pk_is_str(meth, "accept_connection")) {
		s->phase = PAR__PY_PROXY;
		return par__py_none(s);
	}
	if (par__pk_is_str(meth, "get_methods"))
		return call_get_methods(s, args);
	if (par__pk_is_str(meth, "number_of_objects")) {
		int64_t n = 0;
		for (uint32_t i = 0; i < m->nq; i++)
			n += m->queues[i]->pyrefs > 0;
		return par__py_int(s, n);
	}
	if (par__pk_is_str(meth, "debug_info"))
		return call_debug_info(s);
	if (par__pk_is_str(meth, "shutdown"))
		return par__py_traceback(s, "#TRACEBACK", "shutdown",
					 "PermissionError: par-manager is not shut down by its "
					 "clients (stop it with SIGTERM)");
	par__py_repr(meth, r, sizeof(r));
	return par__py_traceback(s, "#TRACEBACK", "handle_request",
				 "AssertionError: %s unrecognized", r);
}

/* ---- requests ---------------------------------------------------------- */

/* A request that is not (ident, name, args, kwds) as Python sends: why. */
static const char *bad_shape(const struct par__pk *k)
{
	if (k->kind != PAR__PK_TUPLE || k->n != 4)
		return "ValueError: a request is a tuple of 4 items";
	if (k->v[0]->kind != PAR__PK_NONE && k->v[0]->kind != PAR__PK_STR)
		return "TypeError: the ident is not a str";
	if (k->v[1]->kind != PAR__PK_STR)
		return "TypeError: the method name is not a str";
	if (k->v[2]->kind != PAR__PK_TUPLE)
		return "TypeError: the arguments are not a tuple";
	if (k->v[3]->kind != PAR__PK_DICT)
		return "TypeError: the keyword arguments are not a dict";
	return NULL;
}

static int request(struct par__pyconn *s, const uint8_t *p, size_t n)
{
	struct par__sconn *c = s->c;
	struct par__pkarena a;
	struct par__pk *k = NULL;
	const char *why = NULL;
	int rc;

	par__pkarena_init(&a, PAR__PK_LIMIT(n));
	int r = par__pk_read(&a, p, n, &k, &why);
	if (r != 0) {
		char reason[160];
		snprintf(reason, sizeof(reason), "unreadable request: %s",
			 r == -E2BIG	? "too many values"
			 : r == -ENOMEM ? "out of memory"
			 : why		? why
					: "malformed pickle");
		par__pkarena_free(&a);
		if (par__py_traceback(s, "#TRACEBACK", "recv", "_pickle.UnpicklingError: %s",
				      reason) == 0)
			par__sconn_fail(c, PAR_LOG_WARN, reason, &c->m->st.proto_errors, 1);
		return -1;
	}
	int public = s->phase == PAR__PY_PUBLIC;
	if ((why = bad_shape(k)) != NULL)
		rc = par__py_traceback(s, "#TRACEBACK", public ? "handle_request" : "serve_client",
				       "%s", why);
	else if (public)
		rc = call_public(s, k->v[1], k->v[2]);
	else
		rc = par__py_call(s, k->v[0], k->v[1], k->v[2], k->v[3]);
	par__pkarena_free(&a);
	if (rc == 0 && public && s->phase == PAR__PY_PUBLIC)
		par__sconn_end(c); /* Python's handle_request: one call, then close */
	return rc;
}

/* ---- handshake --------------------------------------------------------- */

static int handshake(struct par__pyconn *s, const uint8_t *p, size_t n)
{
	struct par__sconn *c = s->c;
	uint8_t ans[PAR__PY_ANSWER_MAX];
	_Atomic uint64_t *failed = &c->m->st.auth_failed;

	switch (s->phase) {
	case PAR__PY_AUTH_ANSWER:
		if (!par__py_verify(&c->m->key, s->chal, (size_t)s->chal_len, p, n)) {
			send_msg(c, PAR__PY_FAILURE, strlen(PAR__PY_FAILURE));
			par__sconn_fail(c, PAR_LOG_WARN, "authentication failed", failed, 1);
			return -1;
		}
		s->phase = PAR__PY_AUTH_CHALLENGE;
		return send_msg(c, PAR__PY_WELCOME, strlen(PAR__PY_WELCOME)) == 0 ? 0 : -ENOMEM;
	case PAR__PY_AUTH_CHALLENGE: {
		int k = par__py_answer(&c->m->key, p, n, ans);
		if (k < 0) {
			par__sconn_fail(c, PAR_LOG_WARN, "bad challenge from the client", failed,
					0);
			return -1;
		}
		s->phase = PAR__PY_AUTH_WELCOME;
		return send_msg(c, ans, (size_t)k) == 0 ? 0 : -ENOMEM;
	}
	default:
		if (n != strlen(PAR__PY_WELCOME) || memcmp(p, PAR__PY_WELCOME, n) != 0) {
			par__sconn_fail(c, PAR_LOG_WARN,
					"authentication failed: the client refused the server's "
					"proof",
					failed, 0);
			return -1;
		}
		s->phase = PAR__PY_PUBLIC;
		par__sconn_authed(c);
		return 0;
	}
}

static ssize_t py_input(struct par__sconn *c, const uint8_t *p, size_t len)
{
	struct par__pyconn *s = PY(c);
	size_t used = 0;

	while (used < len && par__sconn_can_work(c)) {
		int authed = s->phase >= PAR__PY_PUBLIC;
		uint64_t max = authed ? c->m->max_msg + PAR__PY_REQ_SLACK : PAR__PY_HS_MAX;
		const uint8_t *msg;
		uint64_t n;
		ssize_t k = par__py_frame_parse(p + used, len - used, max, &msg, &n);
		if (k == 0)
			break;
		if (k < 0) {
			par__sconn_fail(c, PAR_LOG_WARN,
					k == -EMSGSIZE ? "message longer than the limit"
						       : "bad message length",
					authed ? &c->m->st.proto_errors : &c->m->st.auth_failed, 0);
			return -1;
		}
		used += (size_t)k;
		int r = authed ? request(s, msg, (size_t)n) : handshake(s, msg, (size_t)n);
		if (r == -ENOMEM)
			par__sconn_fail(c, PAR_LOG_ERROR, "out of memory", NULL, 0);
		if (r < 0)
			return -1;
	}
	return (ssize_t)used;
}

static int py_open(struct par__sconn *c)
{
	struct par__pyconn *s = PY(c);

	s->c = c;
	s->phase = PAR__PY_AUTH_ANSWER;
	par__pkw_init(&s->w);
	par__pkw_init(&s->iw);
	s->chal_len = par__py_challenge(s->chal, 1);
	if (s->chal_len < 0)
		return s->chal_len;
	return send_msg(c, s->chal, (size_t)s->chal_len);
}

static void py_close(struct par__sconn *c)
{
	struct par__pyconn *s = PY(c);

	par__py_drop(s);
	par__pkw_free(&s->w);
	par__pkw_free(&s->iw);
}

static void py_refuse(int fd, int err)
{
	/* A Python client waits for a challenge: the close says it all. */
	(void)fd;
	(void)err;
}

const struct par__codec par__codec_python = {
	.name = "python",
	.state_size = sizeof(struct par__pyconn),
	.open = py_open,
	.input = py_input,
	.close = py_close,
	.refuse = py_refuse,
};
