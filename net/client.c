/* The manager client: connecting, the mutual challenge, sending requests
 * and reading answers in order (async ones first), with deadlines. The
 * socket stays blocking: a wait without deadline is one recv; with one, a
 * poll and a non-blocking recv. */
#include "addr.h"
#include "auth.h"
#include "client_impl.h"
#include "core_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK (64u << 10)
/* Batched async requests go out once this much is queued. */
#define SEND_BATCH (64u << 10)

void par_client_opts_init(struct par_client_opts *o)
{
	*o = (struct par_client_opts){
		.size = sizeof(*o),
		.connect_timeout_ns = 10 * 1000000000LL,
		.window = 1024,
		.reply_grace_ns = 5 * 1000000000LL,
	};
}

int par__client_break(struct par_client *c, int err)
{
	if (c->err == 0) {
		c->err = -EPIPE;
		shutdown(c->fd, SHUT_RDWR);
	}
	return err;
}

int64_t par__client_deadline(const struct par_client *c, int64_t timeout_ns)
{
	if (timeout_ns < 0 || c->grace < 0)
		return PAR_NO_DEADLINE;
	return par_deadline(timeout_ns > INT64_MAX - c->grace ? INT64_MAX : timeout_ns + c->grace);
}

int par__client_send(struct par_client *c, int64_t deadline)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, par__ibuf_data(&c->out), c->out.len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			par__ibuf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return par__client_break(c, -EPIPE);
		int r = par__wait_fd(c->fd, POLLOUT, deadline);
		if (r < 0)
			return par__client_break(c, r);
	}
	return 0;
}

/* Receive more bytes (at least want more in all, to hold a whole frame). */
static int fill(struct par_client *c, size_t want, int64_t deadline)
{
	size_t room = want > c->in.len + READ_CHUNK ? want : c->in.len + READ_CHUNK;

	if (par__ibuf_reserve(&c->in, room) != 0)
		return par__client_break(c, -ENOMEM);
	for (;;) {
		uint8_t *p = par__ibuf_data(&c->in) + c->in.len;
		size_t cap = c->in.cap - c->in.off - c->in.len;
		int flags = deadline == PAR_NO_DEADLINE ? 0 : MSG_DONTWAIT;
		ssize_t n = recv(c->fd, p, cap, flags);
		if (n > 0) {
			c->in.len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return par__client_break(c, -EPIPE);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return par__client_break(c, -EPIPE);
		int r = par__wait_fd(c->fd, POLLIN, deadline);
		if (r < 0)
			return par__client_break(c, r);
	}
}

/* The next frame (payload at most max) into *f, valid until the next call. */
static int next_frame(struct par_client *c, uint32_t max, int64_t deadline, struct par__frame *f)
{
	const char *why = NULL;

	par__ibuf_consume(&c->in, c->in_used);
	c->in_used = 0;
	for (;;) {
		ssize_t k = par__frame_parse(par__ibuf_data(&c->in), c->in.len, max, f, &why);
		if (k > 0) {
			c->in_used = (size_t)k;
			return 0;
		}
		if (k < 0)
			return par__client_break(c, -EPROTO);
		size_t want = c->in.len >= PAR_NET_HEADER_SIZE
				      ? PAR_NET_HEADER_SIZE + par__le32(par__ibuf_data(&c->in))
				      : 0;
		int r = fill(c, want, deadline);
		if (r < 0)
			return r;
	}
}

static int next_answer(struct par_client *c, uint32_t id, uint8_t type, int64_t deadline,
		       struct par__ans *a)
{
	struct par__frame f;
	const char *why = NULL;
	int r = next_frame(c, PAR_NET_PAYLOAD_MAX, deadline, &f);

	if (r < 0)
		return r;
	if (par__ans_decode(&f, a, &why) != 0 || a->id != id || a->type != type)
		return par__client_break(c, -EPROTO);
	return 0;
}

/* Read the oldest async answer and account for it. */
static int read_async(struct par_client *c, int64_t deadline)
{
	struct par__pend *p = &c->pend[c->pend_head];
	struct par__ans a;
	int r = next_answer(c, p->id, p->type, deadline, &a);

	if (r < 0)
		return r;
	c->pend_head = (c->pend_head + 1) % c->window;
	c->npend--;
	int st = par__errno_from_wire(a.status);
	if (st >= 0 && p->type == PAR__T_PUT_MANY && (uint32_t)st < p->n)
		st = p->once ? -EAGAIN : -ETIMEDOUT;
	if (st < 0) {
		c->async_failed++;
		if (c->async_err == 0)
			c->async_err = st;
	}
	return 0;
}

uint8_t *par__client_req(struct par_client *c, uint8_t type, uint32_t len, uint32_t *id)
{
	if (par__ibuf_reserve(&c->out, c->out.len + PAR_NET_HEADER_SIZE + len) != 0)
		return NULL;
	uint8_t *h = par__ibuf_data(&c->out) + c->out.len;
	*id = ++c->next_id;
	par__frame_header(h, type, *id, len);
	c->out.len += PAR_NET_HEADER_SIZE + len;
	return h + PAR_NET_HEADER_SIZE;
}

int par__client_call(struct par_client *c, uint32_t id, uint8_t type, int64_t deadline,
		     struct par__ans *a)
{
	int r = par__client_send(c, deadline);

	while (r == 0 && c->npend > 0)
		r = read_async(c, deadline);
	return r == 0 ? next_answer(c, id, type, deadline, a) : r;
}

int par__client_async(struct par_client *c, uint32_t id, uint8_t type, uint32_t n,
		      int64_t timeout_ns)
{
	int64_t deadline = par__client_deadline(c, timeout_ns);
	int r = 0;

	if (c->npend == c->window) {
		/* Full: send it all and take answers down to half the window, so
		 * requests keep going out in batches rather than one by one. */
		r = par__client_send(c, deadline);
		while (r == 0 && c->npend > c->window / 2)
			r = read_async(c, deadline);
	}
	if (r != 0)
		return r;
	c->pend[(c->pend_head + c->npend) % c->window] =
		(struct par__pend){ .id = id, .type = type, .n = n, .once = timeout_ns == 0 };
	c->npend++;
	return c->out.len >= SEND_BATCH ? par__client_send(c, deadline) : 0;
}

int par_client_flush(struct par_client *c, int64_t timeout_ns)
{
	if (c == NULL)
		return -EINVAL;
	pthread_mutex_lock(&c->mu);
	int64_t deadline = par_deadline(timeout_ns);
	int r = c->err != 0 ? c->err : par__client_send(c, deadline);
	while (r == 0 && c->npend > 0)
		r = read_async(c, deadline);
	if (r == 0) {
		r = c->async_err;
		c->async_err = 0;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

uint64_t par_client_async_failed(const struct par_client *c)
{
	return c != NULL ? c->async_failed : 0;
}

int par_client_fd(const struct par_client *c)
{
	return c == NULL ? -EINVAL : c->err != 0 ? c->err : c->fd;
}

/* ---- connecting -------------------------------------------------------- */

static int send_frame(struct par_client *c, uint8_t type, const uint8_t *p, uint32_t len,
		      int64_t deadline)
{
	uint32_t id;
	uint8_t *b = par__client_req(c, type, len, &id);

	if (b == NULL)
		return -ENOMEM;
	memcpy(b, p, len);
	return par__client_send(c, deadline);
}

/* A FAIL frame's code, or what an unexpected frame means. */
static int failed(const struct par__frame *f)
{
	const char *why;
	int err;

	return par__fail_decode(f, &err, &why) == 0 ? err : -EPROTO;
}

static int handshake(struct par_client *c, const struct par_authkey *key, int64_t deadline)
{
	uint8_t ns[PAR__NONCE], nc[PAR__NONCE], mac[2 * PAR__MAC];
	struct par__frame f;
	const char *why;
	int r = next_frame(c, PAR__PREAUTH_MAX, deadline, &f);

	if (r < 0)
		return r;
	if (par__hello_decode(&f, ns, &why) != 0)
		return failed(&f);
	if (par__nonce(nc) != 0 || par__auth_mac(key, PAR__AUTH_CLIENT, ns, nc, mac) != 0)
		return -EIO;
	memcpy(mac + PAR__MAC, nc, PAR__NONCE);
	r = send_frame(c, PAR__T_AUTH, mac, sizeof(mac), deadline);
	if (r == 0)
		r = next_frame(c, PAR__PREAUTH_MAX, deadline, &f);
	if (r == -EPIPE)
		return -EACCES; /* hung up on our proof */
	if (r < 0)
		return r;
	if (par__auth_ok_decode(&f, mac, &why) != 0)
		return failed(&f);
	if (par__auth_mac(key, PAR__AUTH_SERVER, nc, ns, mac + PAR__MAC) != 0 ||
	    !par__mac_equal(mac, mac + PAR__MAC))
		return -EACCES;
	return 0;
}

static int client_new(const struct par_client_opts *o, struct par_client **out)
{
	struct par_client_opts d;

	par_client_opts_init(&d);
	if (PAR__OPTS_BAD(o))
		return -EINVAL;
	struct par_client *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->fd = -1;
	c->window = PAR__OPT(o, window, d.window);
	c->grace = PAR__OPT(o, reply_grace_ns, d.reply_grace_ns);
	c->pend = c->window ? calloc(c->window, sizeof(*c->pend)) : NULL;
	if (c->pend == NULL) {
		int r = c->window ? -ENOMEM : -EINVAL;
		free(c);
		return r;
	}
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return 0;
}

int par_client_connect(const char *addr, const struct par_authkey *key,
		       const struct par_client_opts *opts, struct par_client **out)
{
	struct par_client_opts d;
	struct par_client *c;

	par_client_opts_init(&d);
	if (addr == NULL || key == NULL || key->len == 0 || key->len > PAR_AUTHKEY_MAX ||
	    out == NULL)
		return -EINVAL;
	int r = client_new(opts, &c);
	if (r != 0)
		return r;
	int64_t deadline = par_deadline(PAR__OPT(opts, connect_timeout_ns, d.connect_timeout_ns));
	c->fd = par__dial(addr, deadline);
	r = c->fd < 0 ? c->fd : handshake(c, key, deadline);
	if (r != 0) {
		par_client_close(c);
		return r;
	}
	par__ibuf_consume(&c->in, c->in_used);
	c->in_used = 0;
	*out = c;
	return 0;
}

void par_client_close(struct par_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	par__ibuf_free(&c->in);
	par__ibuf_free(&c->out);
	pthread_mutex_destroy(&c->mu);
	free(c->pend);
	free(c);
}
