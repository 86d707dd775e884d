/* The native codec: par's binary protocol over a server connection. The
 * handshake (HELLO, AUTH, AUTH_OK or FAIL), then requests decoded by frame.c
 * and served by the queue service; one request at a time per connection, in
 * order, so answers come in the order of the requests. */
#include "auth.h"
#include "frame.h"
#include "server_impl.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct nat {
	struct par__sconn *c;
	uint8_t ns[PAR__NONCE];
	struct par__waiter w; /* the parked request */
	struct par__req r;    /* its fields; r.data points at a copy (puts) */
	uint8_t *copy;
};

static struct nat *NAT(struct par__sconn *c)
{
	return par__sconn_state(c);
}

/* Header and status of an answer with a body of blen bytes to follow. NULL
 * when out of memory. */
static uint8_t *answer_begin(struct par__sconn *c, uint8_t type, uint32_t id, int32_t status,
			     size_t blen)
{
	struct par__obuf *o = par__sconn_out(c);
	uint8_t *h = par__obuf_reserve(o, PAR_NET_HEADER_SIZE + PAR__ANS_FIXED + blen);

	if (h == NULL)
		return NULL;
	par__frame_header(h, type | PAR__T_ANSWER, id, (uint32_t)(PAR__ANS_FIXED + blen));
	par__le32_put(h + PAR_NET_HEADER_SIZE, (uint32_t)par__wire_from_errno(status));
	return h + PAR_NET_HEADER_SIZE + PAR__ANS_FIXED;
}

static void answer_end(struct par__sconn *c, size_t blen)
{
	par__obuf_commit(par__sconn_out(c), PAR_NET_HEADER_SIZE + PAR__ANS_FIXED + blen);
	PAR__CNT(c->m, requests, 1);
	par__sconn_wrote(c);
}

/* A bodiless answer. 0, or -1 (the connection is closed). */
static int answer(struct par__sconn *c, const struct par__req *r, int status)
{
	if (answer_begin(c, r->type, r->id, status, 0) == NULL) {
		par__sconn_fail(c, PAR_LOG_ERROR, "out of memory", NULL, 0);
		return -1;
	}
	answer_end(c, 0);
	return 0;
}

/* ---- gets -------------------------------------------------------------- */

struct gctx {
	struct par__sconn *c;
	const struct par__req *r;
	uint8_t *hdr; /* GET_MANY: the header, patched at the end */
	uint32_t count;
	size_t body;
	int oom;
};

static void sink_one(void *arg, const uint8_t *p, size_t len)
{
	struct gctx *g = arg;
	uint8_t *b = answer_begin(g->c, PAR__T_GET, g->r->id, (int32_t)len, len);

	if (b == NULL) {
		g->oom = 1;
		return;
	}
	memcpy(b, p, len);
	answer_end(g->c, len);
	g->count = 1;
}

static void sink_many(void *arg, const uint8_t *p, size_t len)
{
	struct gctx *g = arg;
	struct par__obuf *o = par__sconn_out(g->c);
	size_t hl = PAR_NET_HEADER_SIZE + PAR__ANS_FIXED;

	if (g->oom)
		return;
	if (g->count == 0) {
		g->hdr = par__obuf_reserve(o, hl);
		if (g->hdr == NULL) {
			g->oom = 1;
			return;
		}
		par__obuf_commit(o, hl); /* patched when the batch ends */
	}
	uint8_t *b = par__obuf_reserve(o, 4 + len);
	if (b == NULL) {
		g->oom = 1;
		return;
	}
	par__le32_put(b, (uint32_t)len);
	memcpy(b + 4, p, len);
	par__obuf_commit(o, 4 + len);
	g->count++;
	g->body += 4 + len;
}

/* Take up to r->n messages into one answer: as many as are there, within
 * the answer budget (at least one). */
static ssize_t get_many(struct par__sq *q, struct gctx *g)
{
	size_t budget = g->c->m->out_max;
	ssize_t k = 0;

	if (budget > PAR_NET_PAYLOAD_MAX - PAR__ANS_FIXED)
		budget = PAR_NET_PAYLOAD_MAX - PAR__ANS_FIXED;
	for (uint32_t i = 0; i < g->r->n && !g->oom; i++) {
		size_t cap = g->r->cap;
		if (i > 0) {
			if (g->body + 4 >= budget)
				break;
			if (cap > budget - g->body - 4)
				cap = budget - g->body - 4;
		}
		k = par__sq_get(q, cap, sink_many, g);
		if (k < 0)
			break;
	}
	if (g->count == 0)
		return k;
	par__frame_header(g->hdr, PAR__T_GET_MANY | PAR__T_ANSWER, g->r->id,
			  (uint32_t)(PAR__ANS_FIXED + g->body));
	par__le32_put(g->hdr + PAR_NET_HEADER_SIZE, g->count);
	PAR__CNT(g->c->m, requests, 1);
	par__sconn_wrote(g->c);
	return g->count;
}

/* Serve a get now: 1 answered, 0 nothing there (-EAGAIN), -1 closed. */
static int get_now(struct par__sconn *c, struct par__sq *q, const struct par__req *r)
{
	struct gctx g = { .c = c, .r = r };
	ssize_t k = r->type == PAR__T_GET ? par__sq_get(q, r->cap, sink_one, &g) : get_many(q, &g);

	if (g.oom) {
		par__sconn_fail(c, PAR_LOG_ERROR, "out of memory", NULL, 0);
		return -1;
	}
	if (g.count > 0) {
		par__sq_count(q, 0, g.count);
		par__sq_kick(q);
		return 1;
	}
	if (k == -EAGAIN)
		return 0;
	return answer(c, r, (int)k) == 0 ? 1 : -1;
}

/* ---- puts -------------------------------------------------------------- */

/* Put what is left of r in order (advancing r->data, r->done): 0 when all
 * went in, else the error of the one that did not. */
static int put_records(struct par__sq *q, struct par__req *r)
{
	const uint8_t *p = r->data, *msg;
	size_t left = r->len;
	uint32_t len;

	if (r->type == PAR__T_PUT) {
		int err = par__sq_put(q, r->data, r->len);
		r->done += err == 0;
		return err;
	}
	while (par__records_next(&p, &left, &msg, &len)) {
		int err = par__sq_put(q, msg, len);
		if (err != 0)
			return err;
		r->done++;
		r->data = p;
		r->len = left;
	}
	return 0;
}

/* The answer to a put that ends now with err (0: all went in). */
static int put_status(const struct par__req *r, int err)
{
	if (r->done == 0)
		return err;
	return r->type == PAR__T_PUT ? 0 : (int)r->done;
}

/* Serve a put now: 1 answered, 0 no room for (the rest of) it, -1 closed. */
static int put_now(struct par__sconn *c, struct par__sq *q, struct par__req *r)
{
	uint32_t before = r->done;
	int err = put_records(q, r);

	if (r->done > before) {
		par__sq_count(q, 1, r->done - before);
		par__sq_kick(q);
	}
	if (err == -EAGAIN)
		return 0;
	return answer(c, r, put_status(r, err)) == 0 ? 1 : -1;
}

/* ---- parking ----------------------------------------------------------- */

static int serve_now(struct par__sconn *c, struct par__sq *q, struct par__req *r)
{
	int put = r->type == PAR__T_PUT || r->type == PAR__T_PUT_MANY;

	return put ? put_now(c, q, r) : get_now(c, q, r);
}

static void unpark_done(struct nat *n)
{
	free(n->copy);
	n->copy = NULL;
	par__sconn_unpark(n->c);
}

/* Called by the queue's kick (never re-entered): served stays out of line. */
static int nat_retry(struct par__waiter *w)
{
	struct nat *n = (struct nat *)((char *)w - offsetof(struct nat, w));
	int k = serve_now(n->c, w->q, &n->r);

	if (k == 0)
		return 0; /* still nothing: keep its place */
	par__sq_unpark(w);
	unpark_done(n);
	return 1;
}

static void nat_expire(struct par__waiter *w, int err)
{
	struct nat *n = (struct nat *)((char *)w - offsetof(struct nat, w));

	answer(n->c, &n->r, put_status(&n->r, err));
	unpark_done(n);
}

/* Wait for the queue (timeout_ns > 0 or forever), or answer -EAGAIN (or
 * how many of a put_many went in). */
static int park(struct par__sconn *c, struct par__sq *q, const struct par__req *r)
{
	struct nat *n = NAT(c);
	int put = r->type == PAR__T_PUT || r->type == PAR__T_PUT_MANY;

	if (r->timeout_ns == 0)
		return answer(c, r, put_status(r, -EAGAIN));
	n->r = *r;
	if (put) {
		n->copy = malloc(r->len ? r->len : 1);
		if (n->copy == NULL)
			return answer(c, r, -ENOMEM);
		memcpy(n->copy, r->data, r->len);
		n->r.data = n->copy;
	}
	n->w.retry = nat_retry;
	n->w.expire = nat_expire;
	if (par__sq_park(q, &n->w, put ? PAR__WAIT_PUT : PAR__WAIT_GET,
			 par_deadline(r->timeout_ns)) != 0) {
		free(n->copy);
		n->copy = NULL;
		return answer(c, r, -ENOMEM);
	}
	par__sconn_park(c);
	return 0;
}

/* ---- requests ---------------------------------------------------------- */

static int answer_open(struct par__sconn *c, const struct par__req *r)
{
	struct par__sq *q = par__srv_queue_named(c->m, r->data, r->len);

	if (q == NULL)
		return answer(c, r, -ENOENT);
	uint8_t *b = answer_begin(c, r->type, r->id, 0, 12);
	if (b == NULL)
		return answer(c, r, -ENOMEM);
	par__le32_put(b, q->id);
	par__le32_put(b + 4, (uint32_t)q->max_msg);
	par__le32_put(b + 8, (uint32_t)(c->m->max_msg + PAR__REQ_SLACK));
	answer_end(c, 12);
	return 0;
}

static int answer_qsize(struct par__sconn *c, const struct par__req *r, struct par__sq *q)
{
	uint8_t *b = answer_begin(c, r->type, r->id, 0, 8);

	if (b == NULL)
		return answer(c, r, -ENOMEM);
	par__le64_put(b, par__sq_size(q));
	answer_end(c, 8);
	return 0;
}

static int answer_status(struct par__sconn *c, const struct par__req *r)
{
	struct par_manager *m = c->m;
	struct par_manager_queue_info *qs = calloc(m->nq ? m->nq : 1, sizeof(*qs));
	struct par_manager_stats st;
	size_t need = 256;

	if (qs == NULL)
		return answer(c, r, -ENOMEM);
	par__srv_stats(m, &st);
	for (uint32_t i = 0; i < m->nq; i++) {
		par__sq_info(m->queues[i], &qs[i]);
		need += par__status_queue_size(&qs[i]);
	}
	uint8_t *b = answer_begin(c, r->type, r->id, 0, need);
	ssize_t len = b != NULL ? par__status_encode(b, need, &st, qs, m->nq) : -ENOMEM;
	free(qs);
	if (len < 0)
		return answer(c, r, (int)len);
	/* The header said need bytes: fix it to what was written. */
	par__frame_header(b - PAR__ANS_FIXED - PAR_NET_HEADER_SIZE, r->type | PAR__T_ANSWER, r->id,
			  (uint32_t)(PAR__ANS_FIXED + (size_t)len));
	answer_end(c, (size_t)len);
	return 0;
}

static int nat_request(struct par__sconn *c, const struct par__frame *f)
{
	struct par__req r;
	const char *why = NULL;

	if (par__req_decode(f, c->m->max_msg, &r, &why) != 0) {
		par__sconn_fail(c, PAR_LOG_WARN, why, &c->m->st.proto_errors, 0);
		return -1;
	}
	switch (r.type) {
	case PAR__T_OPEN:
		return answer_open(c, &r);
	case PAR__T_STATUS:
		return answer_status(c, &r);
	case PAR__T_PING:
		return answer(c, &r, 0);
	}
	struct par__sq *q = par__srv_queue(c->m, r.qid);
	if (q == NULL)
		return answer(c, &r, -EINVAL);
	if (r.type == PAR__T_QSIZE)
		return answer_qsize(c, &r, q);
	int k = serve_now(c, q, &r);
	return k != 0 ? (k > 0 ? 0 : -1) : park(c, q, &r);
}

/* ---- handshake --------------------------------------------------------- */

static int send_frame(struct par__sconn *c, uint8_t type, const uint8_t *p, size_t len)
{
	uint8_t *h = par__obuf_reserve(par__sconn_out(c), PAR_NET_HEADER_SIZE + len);

	if (h == NULL)
		return -ENOMEM;
	par__frame_header(h, type, 0, (uint32_t)len);
	memcpy(h + PAR_NET_HEADER_SIZE, p, len);
	par__obuf_commit(par__sconn_out(c), PAR_NET_HEADER_SIZE + len);
	par__sconn_wrote(c);
	return 0;
}

static int nat_open(struct par__sconn *c)
{
	struct nat *n = NAT(c);

	n->c = c;
	int r = par__nonce(n->ns);
	return r == 0 ? send_frame(c, PAR__T_HELLO, n->ns, PAR__NONCE) : r;
}

static int nat_auth(struct par__sconn *c, const struct par__frame *f)
{
	struct nat *n = NAT(c);
	uint8_t mac[PAR__MAC], nc[PAR__NONCE], want[PAR__MAC], fail[4];
	const char *why = NULL;

	if (par__auth_decode(f, mac, nc, &why) != 0) {
		par__sconn_fail(c, PAR_LOG_WARN, why, &c->m->st.auth_failed, 0);
		return -1;
	}
	if (par__auth_mac(&c->m->key, PAR__AUTH_CLIENT, n->ns, nc, want) != 0 ||
	    !par__mac_equal(mac, want)) {
		par__le32_put(fail, (uint32_t)par__wire_from_errno(-EACCES));
		send_frame(c, PAR__T_FAIL, fail, sizeof(fail));
		par__sconn_fail(c, PAR_LOG_WARN, "authentication failed", &c->m->st.auth_failed, 1);
		return -1;
	}
	if (par__auth_mac(&c->m->key, PAR__AUTH_SERVER, nc, n->ns, want) != 0 ||
	    send_frame(c, PAR__T_AUTH_OK, want, PAR__MAC) != 0) {
		par__sconn_fail(c, PAR_LOG_ERROR, "cannot answer the challenge", NULL, 0);
		return -1;
	}
	par__sconn_authed(c);
	return 0;
}

static ssize_t nat_input(struct par__sconn *c, const uint8_t *p, size_t len)
{
	size_t used = 0;

	while (used < len && par__sconn_can_work(c)) {
		int authed = (c->state & PAR__SC_AUTHED) != 0;
		uint32_t max =
			authed ? (uint32_t)(c->m->max_msg + PAR__REQ_SLACK) : PAR__PREAUTH_MAX;
		struct par__frame f;
		const char *why = NULL;
		ssize_t k = par__frame_parse(p + used, len - used, max, &f, &why);
		if (k == 0)
			break;
		if (k < 0) {
			par__sconn_fail(c, PAR_LOG_WARN, why,
					authed ? &c->m->st.proto_errors : &c->m->st.auth_failed, 0);
			return -1;
		}
		if ((authed ? nat_request(c, &f) : nat_auth(c, &f)) < 0)
			return -1;
		used += (size_t)k;
	}
	return (ssize_t)used;
}

static void nat_close(struct par__sconn *c)
{
	struct nat *n = NAT(c);

	par__sq_unpark(&n->w);
	free(n->copy);
	n->copy = NULL;
}

static void nat_refuse(int fd, int err)
{
	uint8_t f[PAR_NET_HEADER_SIZE + 4];

	par__frame_header(f, PAR__T_FAIL, 0, 4);
	par__le32_put(f + PAR_NET_HEADER_SIZE, (uint32_t)par__wire_from_errno(err));
	(void)!send(fd, f, sizeof(f), MSG_DONTWAIT | MSG_NOSIGNAL);
}

const struct par__codec par__codec_native = {
	.name = "par",
	.state_size = sizeof(struct nat),
	.open = nat_open,
	.input = nat_input,
	.close = nat_close,
	.refuse = nat_refuse,
};
