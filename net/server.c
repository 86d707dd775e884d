/* The manager's connections, whatever their protocol: accept and refuse,
 * input assembly (whole requests go to the codec straight from the receive
 * buffer; only a partial one is copied), output bounds and backpressure,
 * the authentication deadline, draining and closing; and the serving loop
 * with its clean stop. */
#include "addr.h"
#include "server_impl.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes held unprocessed while a connection waits before reading pauses. */
#define IN_SLACK (64u << 10)
/* After the stop's flush, how long closing may take at most. */
#define CLOSE_GRACE_NS (1000 * 1000000LL)

static void close_now(struct par__sconn *c);
static void process_in(struct par__sconn *c);

void par__sconn_wrote(struct par__sconn *c)
{
	par__loop_conn_flush(c->m->loop, &c->lc);
}

int par__sconn_can_work(const struct par__sconn *c)
{
	return !(c->state & (PAR__SC_PARKED | PAR__SC_CLOSING | PAR__SC_DRAIN)) &&
	       c->lc.out.len <= c->m->out_max && !c->m->stopping;
}

static void update_reading(struct par__sconn *c)
{
	struct par_manager *m = c->m;

	if (c->state & PAR__SC_CLOSING)
		return;
	int blocked = (c->state & PAR__SC_PARKED) || c->lc.out.len > m->out_max || m->stopping;
	int want = !(c->state & (PAR__SC_PEER_EOF | PAR__SC_DRAIN)) &&
		   (!blocked || c->in.len < IN_SLACK);
	if (want && (c->state & PAR__SC_PAUSED)) {
		c->state &= ~PAR__SC_PAUSED;
		par__loop_conn_read(m->loop, &c->lc, 1);
	} else if (!want && !(c->state & PAR__SC_PAUSED)) {
		c->state |= PAR__SC_PAUSED;
		if (blocked && !m->stopping)
			PAR__CNT(m, read_pauses, 1);
		par__loop_conn_read(m->loop, &c->lc, 0);
	}
}

static void resume_unlink(struct par__sconn *c)
{
	struct par_manager *m = c->m;

	if (!(c->state & PAR__SC_RESUME))
		return;
	if (c->rprev != NULL)
		c->rprev->rnext = c->rnext;
	else
		m->resume = c->rnext;
	if (c->rnext != NULL)
		c->rnext->rprev = c->rprev;
	c->rprev = c->rnext = NULL;
	c->state &= ~PAR__SC_RESUME;
}

void par__sconn_park(struct par__sconn *c)
{
	c->state |= PAR__SC_PARKED;
}

void par__sconn_unpark(struct par__sconn *c)
{
	struct par_manager *m = c->m;

	c->state &= ~PAR__SC_PARKED;
	par__sconn_wrote(c);
	if (c->state & (PAR__SC_RESUME | PAR__SC_CLOSING))
		return;
	c->state |= PAR__SC_RESUME;
	c->rprev = NULL;
	c->rnext = m->resume;
	if (m->resume != NULL)
		m->resume->rprev = c;
	m->resume = c;
}

void par__sconn_authed(struct par__sconn *c)
{
	c->state |= PAR__SC_AUTHED;
	par__timer_cancel(&c->m->timers, &c->auth_timer);
	PAR__CNT(c->m, auth_ok, 1);
}

static void drain_close(struct par__sconn *c)
{
	if (c->state & (PAR__SC_CLOSING | PAR__SC_DRAIN))
		return;
	c->state |= PAR__SC_DRAIN;
	if (c->lc.out.len == 0)
		close_now(c);
	else
		update_reading(c);
}

void par__sconn_end(struct par__sconn *c)
{
	drain_close(c);
}

void par__sconn_fail(struct par__sconn *c, enum par_log_level level, const char *reason,
		     _Atomic uint64_t *counter, int drain)
{
	if (c->state & PAR__SC_CLOSING)
		return;
	par__log(c->m, level, "conn %llu %s: closed: %s", (unsigned long long)c->serial, c->peer,
		 reason);
	if (counter != NULL)
		atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
	if (drain)
		drain_close(c);
	else
		close_now(c);
}

static void close_now(struct par__sconn *c)
{
	if (c->state & PAR__SC_CLOSING)
		return;
	c->state |= PAR__SC_CLOSING;
	c->codec->close(c);
	par__timer_cancel(&c->m->timers, &c->auth_timer);
	resume_unlink(c);
	par__loop_conn_close(c->m->loop, &c->lc);
}

/* The peer sent all it will: a partial frame left over is an error; else
 * close once the answers are out. */
static void finish_eof(struct par__sconn *c)
{
	if (!par__sconn_can_work(c))
		return;
	if (c->in.len > 0)
		par__sconn_fail(c, PAR_LOG_WARN, "truncated frame at end of stream",
				&c->m->st.proto_errors, 0);
	else
		drain_close(c);
}

static void process_in(struct par__sconn *c)
{
	while (c->in.len > 0 && par__sconn_can_work(c)) {
		ssize_t k = c->codec->input(c, par__ibuf_data(&c->in), c->in.len);
		if (k <= 0)
			break;
		par__ibuf_consume(&c->in, (size_t)k);
	}
	if (c->state & PAR__SC_PEER_EOF)
		finish_eof(c);
}

static void on_data(void *arg, struct par__lconn *lc, const uint8_t *p, size_t n)
{
	struct par__sconn *c = (struct par__sconn *)lc;

	PAR__CNT((struct par_manager *)arg, bytes_in, n);
	if (c->state & (PAR__SC_CLOSING | PAR__SC_DRAIN))
		return;
	if (c->in.len == 0) {
		if (par__sconn_can_work(c)) {
			ssize_t k = c->codec->input(c, p, n);
			if (k < 0)
				return;
			p += k;
			n -= (size_t)k;
		}
		if (n > 0 && par__ibuf_append(&c->in, p, n) != 0) {
			par__sconn_fail(c, PAR_LOG_ERROR, "out of memory", NULL, 0);
			return;
		}
	} else {
		if (par__ibuf_append(&c->in, p, n) != 0) {
			par__sconn_fail(c, PAR_LOG_ERROR, "out of memory", NULL, 0);
			return;
		}
		process_in(c);
	}
	update_reading(c);
}

static void on_eof(void *arg, struct par__lconn *lc, int err)
{
	struct par__sconn *c = (struct par__sconn *)lc;

	(void)arg;
	if (err < 0) {
		par__log(c->m, PAR_LOG_DEBUG, "conn %llu %s: %s", (unsigned long long)c->serial,
			 c->peer, strerror(-err));
		close_now(c);
		return;
	}
	if (c->state & PAR__SC_PARKED) {
		/* A killed peer looks the same: never hand it a message. */
		par__log(c->m, PAR_LOG_DEBUG, "conn %llu %s: gone with a request waiting",
			 (unsigned long long)c->serial, c->peer);
		close_now(c);
		return;
	}
	c->state |= PAR__SC_PEER_EOF;
	update_reading(c);
	finish_eof(c);
}

static void on_sent(void *arg, struct par__lconn *lc, size_t n)
{
	struct par__sconn *c = (struct par__sconn *)lc;

	PAR__CNT((struct par_manager *)arg, bytes_out, n);
	if ((c->state & PAR__SC_DRAIN) && c->lc.out.len == 0) {
		close_now(c);
		return;
	}
	if (c->in.len > 0)
		process_in(c);
	update_reading(c);
}

static void on_released(void *arg, struct par__lconn *lc)
{
	struct par_manager *m = arg;
	struct par__sconn *c = (struct par__sconn *)lc;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->nconns--;
	atomic_fetch_sub_explicit(&m->st.active, 1, memory_order_relaxed);
	par__log(m, PAR_LOG_DEBUG, "conn %llu %s: closed", (unsigned long long)c->serial, c->peer);
	par__ibuf_free(&c->in);
	par__obuf_free(&c->lc.out);
	free(c);
}

static void auth_expired(struct par__timer *t)
{
	struct par__sconn *c =
		(struct par__sconn *)((char *)t - offsetof(struct par__sconn, auth_timer));

	par__sconn_fail(c, PAR_LOG_WARN, "not authenticated in time", &c->m->st.auth_timeouts, 0);
}

static void peer_name(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	snprintf(buf, cap, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		par__addr_format((struct sockaddr *)&ss, buf, cap);
}

static int conn_open(struct par_manager *m, struct par__sconn *c)
{
	int r = par__loop_conn_start(m->loop, &c->lc);

	if (r == 0)
		r = par__timer_set(&m->timers, &c->auth_timer, par_deadline(m->auth_timeout_ns));
	if (r == 0)
		r = c->codec->open(c);
	if (r == 0)
		par__sconn_wrote(c);
	return r;
}

static void on_accept(void *arg, struct par__listener *ls, int fd)
{
	struct par_manager *m = arg;
	const struct par__codec *codec = ls == &m->pyls ? &par__codec_python : &par__codec_native;
	int one = 1;

	PAR__CNT(m, accepted, 1);
	if (m->stopping || m->nconns >= m->max_conns) {
		PAR__CNT(m, refused, 1);
		if (!m->stopping)
			par__log(m, PAR_LOG_WARN, "connection refused: %u connections open",
				 m->max_conns);
		codec->refuse(fd, -EBUSY);
		close(fd);
		return;
	}
	struct par__sconn *c = calloc(1, sizeof(*c) + codec->state_size);
	if (c == NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->lc.fd = fd;
	c->m = m;
	c->codec = codec;
	c->serial = ++m->serial;
	peer_name(fd, c->peer, sizeof(c->peer));
	par__timer_init(&c->auth_timer, auth_expired);
	c->next = m->conns;
	if (m->conns != NULL)
		m->conns->prev = c;
	m->conns = c;
	m->nconns++;
	atomic_fetch_add_explicit(&m->st.active, 1, memory_order_relaxed);
	par__log(m, PAR_LOG_DEBUG, "conn %llu %s: accepted", (unsigned long long)c->serial,
		 c->peer);
	int r = conn_open(m, c);
	if (r != 0)
		par__sconn_fail(c, PAR_LOG_ERROR, strerror(-r), NULL, 0);
}

void par__srv_resume_all(struct par_manager *m)
{
	struct par__sconn *c;

	while ((c = m->resume) != NULL) {
		resume_unlink(c);
		process_in(c);
		update_reading(c);
	}
}

static void stop_fired(struct par__watch *w)
{
	struct par_manager *m = w->arg;

	m->stopping = 1;
}

static const struct par__loop_cb loop_cb = {
	.accept = on_accept,
	.data = on_data,
	.eof = on_eof,
	.sent = on_sent,
	.released = on_released,
};

static int serve_setup(struct par_manager *m)
{
	struct par__loop_cb cb = loop_cb;

	cb.arg = m;
	int r = par__loop_create(m->want, &cb, &m->loop);
	if (r != 0)
		return r;
	atomic_store(&m->backend, (int)m->loop->backend);
	m->ls = (struct par__listener){ .fd = m->lfd, .arg = m };
	m->pyls = (struct par__listener){ .fd = m->pylfd, .arg = m };
	m->stop_w = (struct par__watch){ .fd = m->stop_fd, .cb = stop_fired, .arg = m };
	m->stopping = 0;
	if (m->lfd >= 0)
		r = par__loop_listen(m->loop, &m->ls);
	if (r == 0 && m->pylfd >= 0)
		r = par__loop_listen(m->loop, &m->pyls);
	if (r == 0)
		r = par__loop_watch(m->loop, &m->stop_w);
	if (r == 0 && m->scratch == NULL)
		m->scratch = malloc(m->max_msg ? m->max_msg : 1);
	if (r == 0 && m->scratch == NULL)
		r = -ENOMEM;
	if (r != 0) {
		par__loop_destroy(m->loop);
		m->loop = NULL;
	}
	return r;
}

/* Answer what is parked (-EPIPE), send what is queued for at most
 * stop_flush_ns, then close everything. */
static void serve_stop(struct par_manager *m)
{
	int64_t flush_end = par_deadline(m->stop_flush_ns);

	par__log(m, PAR_LOG_INFO, "stopping: %llu connections", (unsigned long long)m->nconns);
	m->stopping = 1;
	for (uint32_t i = 0; i < m->nq; i++)
		par__sq_expire_all(m->queues[i], -EPIPE);
	for (struct par__sconn *c = m->conns; c != NULL; c = c->next) {
		resume_unlink(c);
		drain_close(c);
	}
	while (m->conns != NULL && par_now_ns() < flush_end) {
		par__loop_run(m->loop, flush_end);
		par__timer_run(&m->timers, par_now_ns());
	}
	for (struct par__sconn *c = m->conns; c != NULL; c = c->next)
		close_now(c);
	int64_t end = par_deadline(CLOSE_GRACE_NS);
	while (m->conns != NULL && par_now_ns() < end)
		par__loop_run(m->loop, par_now_ns() + 10 * 1000000LL);
	for (uint32_t i = 0; i < m->nq; i++)
		m->queues[i]->watch.armed = m->queues[i]->watch.added = 0;
}

int par__srv_serve(struct par_manager *m, void (*ready)(void *arg, int rc), void *arg)
{
	int r = serve_setup(m);

	if (r == 0)
		par__log(m, PAR_LOG_INFO, "serving %u queues with %s", m->nq,
			 par_net_backend_name(m->loop->backend));
	ready(arg, r);
	if (r != 0)
		return r;
	while (!m->stopping) {
		r = par__loop_run(m->loop, par__timer_next(&m->timers));
		if (r < 0) {
			par__log(m, PAR_LOG_ERROR, "event loop failed: %s", strerror(-r));
			break;
		}
		par__timer_run(&m->timers, par_now_ns());
		par__srv_resume_all(m);
	}
	serve_stop(m);
	par__loop_destroy(m->loop);
	m->loop = NULL;
	while (m->conns != NULL) { /* only if closing outlived its grace */
		struct par__sconn *c = m->conns;
		if (c->lc.fd >= 0)
			close(c->lc.fd);
		on_released(m, &c->lc);
	}
	par__theap_free(&m->timers);
	par__log(m, PAR_LOG_INFO, "stopped");
	return r < 0 ? r : 0;
}
