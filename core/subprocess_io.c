/* par_subprocess_communicate: feed stdin and drain stdout and stderr in one
 * poll loop, so no pipe fills up while we block on another, then reap. */
#include "subprocess_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define READ_CHUNK ((size_t)64 * 1024)
/* How long a SIGKILLed child may take to be reaped after a timeout. */
#define KILL_REAP_NS ((int64_t)5 * 1000000000)

struct buf {
	char *p;
	size_t len, cap;
};

struct io {
	struct par_subprocess *sp;
	const char *in;
	size_t in_left;
	int epipe;	 /* a write to stdin failed with EPIPE (SIGPIPE raised) */
	struct buf b[3]; /* b[PAR__OUT], b[PAR__ERR] */
	int captured[3]; /* that stream was piped when we started */
};

/* SIGPIPE blocked in this thread while we write; see pipe_guard_off. */
struct pipe_guard {
	sigset_t old;
	int was_pending;
};

static void pipe_guard_on(struct pipe_guard *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	g->was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1;
}

/* Consume the SIGPIPE our own write raised (unless one was pending before we
 * began: signals coalesce, so that one stays), then restore the mask. */
static void pipe_guard_off(struct pipe_guard *g, int raised)
{
	sigset_t set, pend;
	struct timespec zero = { 0, 0 };

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (raised && !g->was_pending && sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE) == 1)
		sigtimedwait(&set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* Room for at least READ_CHUNK more bytes plus the final NUL. */
static int buf_room(struct buf *b)
{
	if (b->cap - b->len > READ_CHUNK)
		return 0;
	size_t cap = b->cap != 0 ? b->cap : READ_CHUNK;
	while (cap - b->len <= READ_CHUNK)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int pump_read(struct io *io, int i)
{
	struct buf *b = &io->b[i];
	int r = buf_room(b);
	if (r < 0)
		return r;
	ssize_t n = read(io->sp->fd[i], b->p + b->len, b->cap - b->len - 1);
	if (n > 0)
		b->len += (size_t)n;
	else if (n == 0)
		par__subprocess_close(io->sp, i); /* EOF */
	else if (errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

static int pump_write(struct io *io)
{
	ssize_t n = write(io->sp->fd[PAR__IN], io->in, io->in_left);
	if (n >= 0) {
		io->in += n;
		io->in_left -= (size_t)n;
	} else if (errno == EPIPE) {
		io->epipe = 1; /* the child stopped reading: it gets no more */
		io->in_left = 0;
	} else if (errno != EAGAIN && errno != EINTR) {
		return -errno;
	}
	if (io->in_left == 0)
		par__subprocess_close(io->sp, PAR__IN); /* EOF for the child */
	return 0;
}

static int poll_ms(int64_t deadline)
{
	int64_t left = par_deadline_left(deadline);
	if (left < 0)
		return -1;
	int64_t ms = (left + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Run until every stream is closed. 0, -ETIMEDOUT, or a read/write error. */
static int pump(struct io *io, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd[3];
		int idx[3], n = 0;
		for (int i = 0; i < 3; i++) {
			if (io->sp->fd[i] < 0)
				continue;
			pfd[n] = (struct pollfd){ .fd = io->sp->fd[i],
						  .events = i == PAR__IN ? POLLOUT : POLLIN };
			idx[n++] = i;
		}
		if (n == 0)
			return 0;
		int r = poll(pfd, (nfds_t)n, poll_ms(deadline));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0 && par_now_ns() >= deadline)
			return -ETIMEDOUT;
		for (int k = 0; k < n && r > 0; k++) {
			if (pfd[k].revents == 0)
				continue;
			int e = idx[k] == PAR__IN ? pump_write(io) : pump_read(io, idx[k]);
			if (e < 0)
				return e;
		}
	}
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int start(struct io *io)
{
	struct par_subprocess *sp = io->sp;

	if (io->in_left == 0)
		par__subprocess_close(sp, PAR__IN);
	for (int i = 0; i < 3; i++) {
		io->captured[i] = i != PAR__IN && sp->fd[i] >= 0;
		if (sp->fd[i] >= 0) {
			int r = set_nonblock(sp->fd[i]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Hand the collected output (NUL-terminated) and the exit status to res. */
static int finish(struct io *io, struct par_subprocess_result *res, int r)
{
	char **dst[3] = { NULL, &res->out, &res->err };
	size_t *len[3] = { NULL, &res->out_len, &res->err_len };

	for (int i = PAR__OUT; i <= PAR__ERR; i++) {
		struct buf *b = &io->b[i];
		if (!io->captured[i])
			continue;
		if (b->p == NULL && (b->p = malloc(1)) == NULL)
			r = r < 0 ? r : -ENOMEM;
		if (b->p != NULL)
			b->p[b->len] = '\0';
		*dst[i] = b->p;
		*len[i] = b->len;
	}
	if (io->sp->reaped == 1)
		par__exit_from_status(io->sp->status, &res->exit);
	return r;
}

int par_subprocess_communicate(struct par_subprocess *sp, const void *input, size_t input_len,
			       int64_t timeout_ns, struct par_subprocess_result *res)
{
	if (res == NULL)
		return -EINVAL;
	*res = (struct par_subprocess_result){ .exit = { .code = -1 } };
	if (sp == NULL || sp->communicated || (input == NULL && input_len > 0) ||
	    (input != NULL && sp->fd[PAR__IN] < 0))
		return -EINVAL;
	sp->communicated = 1;
	int64_t deadline = par_deadline(timeout_ns);
	struct io io = { .sp = sp, .in = input, .in_left = input != NULL ? input_len : 0 };
	struct pipe_guard guard = { .was_pending = 0 };
	int r = start(&io);
	int writing = sp->fd[PAR__IN] >= 0;
	if (r == 0) {
		if (writing)
			pipe_guard_on(&guard);
		r = pump(&io, deadline);
		if (writing)
			pipe_guard_off(&guard, io.epipe);
	}
	if (r == 0)
		r = par__subprocess_reap(sp, deadline);
	if (r == -ETIMEDOUT)
		par__subprocess_kill_reap(sp, par_deadline(KILL_REAP_NS));
	return finish(&io, res, r);
}
