/* Helpers of the Python-codec tests: a manager with a Python listener, and a
 * raw Python-protocol client (framing, both challenge dialects, requests
 * written and answers read with the pickle code) so a test sends exactly
 * the bytes it means. */
#ifndef PAR_TEST_PYSERVER_H
#define PAR_TEST_PYSERVER_H

#include "net_test.h"
#include "pickle.h"
#include "proto_python.h"
#include "pywire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>

#define PS_TASKS "get_task_queue"
#define PS_RESULTS "get_result_queue"
#define PS_IDENT0 "7f0000001000" /* the first queue registered */
#define PS_IDENT1 "7f0000001010"

struct ps {
	struct nt_server s; /* s.addr: the native listener */
	char pyaddr[64];
	struct par__pkarena a; /* answers read by the test */
	struct par__pkw w;     /* requests written by the test */
	uint8_t *buf;
	size_t cap;
};

/* A manager with queues PS_TASKS (capacity cap) and PS_RESULTS, listening
 * natively and for Python, serving. */
static inline struct ps *ps_start(uint32_t cap, void (*tweak)(struct par_manager_opts *o))
{
	struct ps *p = calloc(1, sizeof(*p));
	struct nt_server *s = &p->s;
	struct par_manager_queue_opts qo;

	nt_require_backend();
	assert_non_null(p);
	nt_server_make(s, tweak);
	par_manager_queue_opts_init(&qo);
	qo.capacity = cap;
	assert_int_equal(par_manager_add_queue(s->m, PS_TASKS, &qo), 0);
	assert_int_equal(par_manager_add_queue(s->m, PS_RESULTS, NULL), 0);
	assert_int_equal(par_manager_listen(s->m, "127.0.0.1:0"), 0);
	assert_int_equal(par_manager_listen_python(s->m, "127.0.0.1:0"), 0);
	assert_true(par_manager_address(s->m, s->addr, sizeof(s->addr)) > 0);
	assert_true(par_manager_python_address(s->m, p->pyaddr, sizeof(p->pyaddr)) > 0);
	assert_int_equal(par_manager_start(s->m), 0);
	par__pkarena_init(&p->a, 1u << 26);
	par__pkw_init(&p->w);
	p->cap = 1u << 20;
	p->buf = malloc(p->cap);
	assert_non_null(p->buf);
	return p;
}

static inline void ps_stop(struct ps *p)
{
	nt_server_end(&p->s);
	par__pkarena_free(&p->a);
	par__pkw_free(&p->w);
	free(p->buf);
	free(p);
}

static inline int ps_connect(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(addr, ':');
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static inline void ps_send_raw(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* One message: the header (int32 form, or the -1 + u64 form when large),
 * then the payload (sent apart, as Python does past 16 KiB). */
static inline void ps_send_msg(int fd, const void *p, size_t n, int large)
{
	uint8_t h[12];
	size_t hl = par__py_frame_header(h, n);

	if (large) {
		memset(h, 0xff, 4);
		for (int i = 0; i < 8; i++)
			h[4 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 12;
	}
	ps_send_raw(fd, h, hl);
	if (n > 0)
		ps_send_raw(fd, p, n);
}

/* Read n bytes within ms: 1, 0 at EOF (or reset), -1 on timeout. */
static inline int ps_read(int fd, uint8_t *p, size_t n, int ms)
{
	for (size_t got = 0; got < n;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, ms) <= 0)
			return -1;
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* The next message into p->buf: its length; -1 on timeout, -2 at EOF. */
static inline ssize_t ps_recv_ms(struct ps *p, int fd, int ms)
{
	uint8_t h[8];
	int r = ps_read(fd, h, 4, ms);

	if (r <= 0)
		return r == 0 ? -2 : -1;
	int32_t v =
		(int32_t)((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]);
	uint64_t n = (uint64_t)v;
	if (v == -1) {
		assert_int_equal(ps_read(fd, h, 8, ms), 1);
		n = 0;
		for (int i = 0; i < 8; i++)
			n = n << 8 | h[i];
	}
	assert_true(v >= -1 && n <= p->cap);
	r = n ? ps_read(fd, p->buf, n, ms) : 1;
	assert_int_equal(r, 1);
	return (ssize_t)n;
}

static inline ssize_t ps_recv(struct ps *p, int fd)
{
	return ps_recv_ms(p, fd, 5000);
}

/* 1 when the server closes fd within 5 s (messages before are dropped). */
static inline int ps_closed(int fd)
{
	uint8_t b[4096];

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 5000) <= 0)
			return 0;
		if (recv(fd, b, sizeof(b), 0) <= 0)
			return 1;
	}
}

static inline void ps_hmac_md5(const struct par_authkey *k, const uint8_t *p, size_t n,
			       uint8_t out[16])
{
	unsigned len = 16;
	assert_non_null(HMAC(EVP_md5(), k->key, (int)k->len, p, n, out, &len));
}

/* Challenge dialects of the client's side. */
enum { PS_LEGACY = 0, PS_MODERN = 1 };

/* The handshake by hand, in dialect d (legacy: answer with raw HMAC-MD5
 * and challenge with 20 bytes, as 3.8-3.11; modern: {sha256} both ways,
 * as 3.12+), with key k. 0 when both sides were welcomed; -1 when the
 * server refused our proof (#FAILURE#); -2 when its proof was wrong. */
static inline int ps_handshake(struct ps *p, int fd, const struct par_authkey *k, int d)
{
	uint8_t ans[PAR__PY_ANSWER_MAX], chal[PAR__PY_CHALLENGE_MAX];
	ssize_t n = ps_recv(p, fd);
	size_t pre = strlen(PAR__PY_CHALLENGE);

	assert_true(n == (ssize_t)pre + 48);
	assert_memory_equal(p->buf, PAR__PY_CHALLENGE "{sha256}", pre + 8);
	if (d == PS_LEGACY) {
		ps_hmac_md5(k, p->buf + pre, (size_t)n - pre, ans);
		ps_send_msg(fd, ans, 16, 0);
	} else {
		int a = par__py_answer(k, p->buf, (size_t)n, ans);
		assert_int_equal(a, 8 + 32);
		ps_send_msg(fd, ans, (size_t)a, 0);
	}
	n = ps_recv(p, fd);
	if (n == 9 && memcmp(p->buf, PAR__PY_FAILURE, 9) == 0)
		return -1;
	assert_true(n == 9 && memcmp(p->buf, PAR__PY_WELCOME, 9) == 0);
	int cl = par__py_challenge(chal, d == PS_MODERN);
	assert_true(cl > 0);
	ps_send_msg(fd, chal, (size_t)cl, 0);
	n = ps_recv(p, fd);
	assert_true(n > 0);
	int ok = par__py_verify(k, chal, (size_t)cl, p->buf, (size_t)n);
	if (d == PS_LEGACY)
		assert_int_equal(n, 16);
	ps_send_msg(fd, ok ? PAR__PY_WELCOME : PAR__PY_FAILURE, 9, 0);
	return ok ? 0 : -2;
}

/* A connection to the Python listener, authenticated in dialect d. */
static inline int ps_authed(struct ps *p, int d)
{
	int fd = ps_connect(p->pyaddr);
	assert_int_equal(ps_handshake(p, fd, &p->s.key, d), 0);
	return fd;
}

/* Requests: ps_req(p, ident, method) starts (ident NULL: None) and opens
 * the args tuple (MARK); the test writes the args, then ps_kw(p) closes
 * them and opens the kwds (write key, value pairs), then ps_send_req sends. */
static inline void ps_req(struct ps *p, const char *ident, const char *method)
{
	par__pkw_begin(&p->w);
	par__pkw_mark(&p->w);
	if (ident == NULL)
		par__pkw_none(&p->w);
	else
		par__pkw_str(&p->w, ident, strlen(ident));
	par__pkw_str(&p->w, method, strlen(method));
	par__pkw_mark(&p->w);
}

static inline void ps_kw(struct ps *p)
{
	par__pkw_tuple_mark(&p->w);
	par__pkw_empty_dict(&p->w);
	par__pkw_mark(&p->w);
}

static inline void ps_send_req(struct ps *p, int fd)
{
	par__pkw_setitems(&p->w);
	par__pkw_tuple_mark(&p->w);
	assert_int_equal(par__pkw_end(&p->w), 0);
	ps_send_msg(fd, p->w.p, p->w.len, 0);
}

static inline void ps_str(struct ps *p, const char *s)
{
	par__pkw_str(&p->w, s, strlen(s));
}

/* A call with no arguments. */
static inline void ps_call0(struct ps *p, int fd, const char *ident, const char *method)
{
	ps_req(p, ident, method);
	ps_kw(p);
	ps_send_req(p, fd);
}

/* The answer: its kind ("#RETURN", ...) checked, its result returned. */
static inline struct par__pk *ps_answer(struct ps *p, int fd, const char *kind)
{
	struct par__pk *k = NULL;
	const char *why = NULL;
	ssize_t n = ps_recv(p, fd);

	assert_true(n > 0);
	assert_int_equal(par__pk_read(&p->a, p->buf, (size_t)n, &k, &why), 0);
	assert_int_equal(k->kind, PAR__PK_TUPLE);
	assert_int_equal(k->n, 2);
	if (!par__pk_is_str(k->v[0], kind)) {
		fprintf(stderr, "want %s, got %.*s\n", kind, (int)k->v[0]->n, k->v[0]->p);
		char r[400];
		par__py_repr(k->v[1], r, sizeof(r));
		fprintf(stderr, "%s\n", r);
		if (k->v[1]->kind == PAR__PK_OBJ && k->v[1]->b->kind == PAR__PK_TUPLE &&
		    k->v[1]->b->n > 0 && k->v[1]->b->v[0]->kind == PAR__PK_STR)
			fprintf(stderr, "%.*s\n", (int)k->v[1]->b->v[0]->n, k->v[1]->b->v[0]->p);
		fail();
	}
	return k->v[1];
}

/* The result of a '#RETURN' answer. */
static inline struct par__pk *ps_ret(struct ps *p, int fd)
{
	return ps_answer(p, fd, "#RETURN");
}

static inline void ps_ret_none(struct ps *p, int fd)
{
	assert_int_equal(ps_ret(p, fd)->kind, PAR__PK_NONE);
}

static inline int64_t ps_ret_int(struct ps *p, int fd)
{
	int64_t v = 0;
	assert_int_equal(par__pk_int(ps_ret(p, fd), &v), 0);
	return v;
}

/* A str node holds text (a substring of it when sub). */
static inline void ps_is_text(const struct par__pk *k, const char *text, int sub)
{
	assert_int_equal(k->kind, PAR__PK_STR);
	char *t = strndup((const char *)k->p, (size_t)k->n);
	assert_non_null(t);
	if (sub ? strstr(t, text) == NULL : strcmp(t, text) != 0) {
		fprintf(stderr, "'%s' not %s '%s'\n", text, sub ? "in" : "equal to", t);
		fail();
	}
	free(t);
}

/* An '#ERROR' answer whose exception is module.name(text...) (text NULL:
 * no args). */
static inline void ps_error(struct ps *p, int fd, const char *module, const char *name,
			    const char *text)
{
	struct par__pk *e = ps_answer(p, fd, "#ERROR");

	assert_int_equal(e->kind, PAR__PK_OBJ);
	assert_int_equal(e->a->kind, PAR__PK_GLOBAL);
	ps_is_text(e->a->a, module, 0);
	ps_is_text(e->a->b, name, 0);
	assert_int_equal(e->b->kind, PAR__PK_TUPLE);
	if (text == NULL) {
		assert_int_equal(e->b->n, 0);
		return;
	}
	assert_int_equal(e->b->n, 1);
	ps_is_text(e->b->v[0], text, 0);
}

/* A '#TRACEBACK' (or kind) answer whose text holds text. */
static inline void ps_traceback(struct ps *p, int fd, const char *kind, const char *text)
{
	struct par__pk *t = ps_answer(p, fd, kind);

	ps_is_text(t, "Traceback (most recent call last):\n", 1);
	ps_is_text(t, text, 1);
}

/* create(typeid) on a public connection: the ident. */
static inline void ps_create(struct ps *p, const char *typeid, char ident[32])
{
	int fd = ps_authed(p, PS_MODERN);

	ps_req(p, NULL, "create");
	ps_str(p, typeid);
	ps_kw(p);
	ps_send_req(p, fd);
	struct par__pk *r = ps_ret(p, fd);
	assert_int_equal(r->kind, PAR__PK_TUPLE);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->v[0]->kind, PAR__PK_STR);
	assert_true(r->v[0]->n < 32);
	memcpy(ident, r->v[0]->p, (size_t)r->v[0]->n);
	ident[r->v[0]->n] = '\0';
	assert_true(ps_closed(fd));
	close(fd);
}

/* A public call with one str argument (incref, decref): 0 when it
 * returned None, else 1 (a traceback holding KeyError). */
static inline int ps_public1(struct ps *p, const char *method, const char *arg)
{
	int fd = ps_authed(p, PS_MODERN);

	ps_req(p, NULL, method);
	ps_str(p, arg);
	ps_kw(p);
	ps_send_req(p, fd);
	ssize_t n = ps_recv(p, fd);
	struct par__pk *k = NULL;
	const char *why;
	assert_true(n > 0);
	assert_int_equal(par__pk_read(&p->a, p->buf, (size_t)n, &k, &why), 0);
	assert_true(ps_closed(fd));
	close(fd);
	if (par__pk_is_str(k->v[0], "#RETURN"))
		return 0;
	assert_true(par__pk_is_str(k->v[0], "#TRACEBACK"));
	ps_is_text(k->v[1], "KeyError: ", 1);
	return 1;
}

/* A proxy connection (the way a worker makes one: create, incref, decref,
 * then accept_connection); the queue's ident into ident. */
static inline int ps_proxy(struct ps *p, const char *typeid, char ident[32])
{
	ps_create(p, typeid, ident);
	assert_int_equal(ps_public1(p, "incref", ident), 0);
	assert_int_equal(ps_public1(p, "decref", ident), 0);
	int fd = ps_authed(p, PS_MODERN);
	ps_req(p, NULL, "accept_connection");
	ps_str(p, "MainProcess");
	ps_kw(p);
	ps_send_req(p, fd);
	ps_ret_none(p, fd);
	return fd;
}

/* Message of one int pickled as par writes it. */
static inline size_t ps_pickle_int(int64_t v, uint8_t *out, size_t cap)
{
	struct par__pkw w;
	par__pkw_init(&w);
	par__pkw_begin(&w);
	par__pkw_int(&w, v);
	assert_int_equal(par__pkw_end(&w), 0);
	assert_true(w.len <= cap);
	memcpy(out, w.p, w.len);
	size_t n = w.len;
	par__pkw_free(&w);
	return n;
}

#endif /* PAR_TEST_PYSERVER_H */
