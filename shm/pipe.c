/* Pipe: a duplex channel made of two queues. End k sends on queue k and
 * receives on queue 1 - k; a named pipe's queues are name + ".0" and
 * name + ".1". Each end holds handles of its own, so either may be closed
 * (or used in another process) without the other. */
#include "queue_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct par_pipe {
	struct par_queue *tx;
	struct par_queue *rx;
};

/* name + ".k" into buf (PAR_SHM_NAME_MAX + 1 bytes): 0 or -EINVAL. */
static int pipe_name(const char *name, int k, char *buf)
{
	if (name == NULL || strlen(name) + 2 > PAR_SHM_NAME_MAX)
		return -EINVAL;
	snprintf(buf, PAR_SHM_NAME_MAX + 1, "%s.%d", name, k);
	return par__shm_name_ok(buf) < 0 ? -EINVAL : 0;
}

static int pipe_new(struct par_queue *tx, struct par_queue *rx, struct par_pipe **out)
{
	struct par_pipe *p = malloc(sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->tx = tx;
	p->rx = rx;
	*out = p;
	return 0;
}

static void close_all(struct par_queue **q, int n)
{
	for (int i = 0; i < n; i++)
		if (q[i] != NULL)
			par_queue_close(q[i]);
}

/* q[0], q[1]: the queues (created); q[2], q[3]: end 1's handles on 1 and 0. */
static int pipe_make(const char *name, const struct par_queue_opts *opts, struct par_queue **q)
{
	char n[2][PAR_SHM_NAME_MAX + 1];
	int r = 0;

	for (int k = 0; k < 2 && name != NULL && r == 0; k++)
		r = pipe_name(name, k, n[k]);
	for (int k = 0; k < 2 && r == 0; k++)
		r = par_queue_create(name ? n[k] : NULL, opts, &q[k]);
	if (r == 0)
		r = par_queue_open_fd(par_queue_fd(q[1]), &q[2]);
	if (r == 0)
		r = par_queue_open_fd(par_queue_fd(q[0]), &q[3]);
	if (r < 0 && name != NULL && r != -EINVAL) {
		for (int k = 0; k < 2; k++)
			if (q[k] != NULL)
				par_queue_unlink(n[k]);
	}
	return r;
}

int par_pipe_create(const char *name, const struct par_queue_opts *opts, struct par_pipe **end0,
		    struct par_pipe **end1)
{
	struct par_queue *q[4] = { NULL, NULL, NULL, NULL };
	int r;

	if (end0 == NULL || end1 == NULL)
		return -EINVAL;
	if ((r = pipe_make(name, opts, q)) < 0) {
		close_all(q, 4);
		return r;
	}
	if ((r = pipe_new(q[0], q[1], end0)) < 0) {
		close_all(q, 4);
		return r;
	}
	if ((r = pipe_new(q[2], q[3], end1)) < 0) {
		free(*end0);
		close_all(q, 4);
	}
	return r;
}

int par_pipe_open(const char *name, int end, struct par_pipe **out)
{
	char n[2][PAR_SHM_NAME_MAX + 1];
	struct par_queue *tx = NULL, *rx = NULL;
	int r;

	if ((end != 0 && end != 1) || out == NULL)
		return -EINVAL;
	if ((r = pipe_name(name, end, n[0])) < 0 || (r = pipe_name(name, 1 - end, n[1])) < 0)
		return r;
	if ((r = par_queue_open(n[0], &tx)) == 0 && (r = par_queue_open(n[1], &rx)) == 0 &&
	    (r = pipe_new(tx, rx, out)) == 0)
		return 0;
	if (tx != NULL)
		par_queue_close(tx);
	if (rx != NULL)
		par_queue_close(rx);
	return r;
}

int par_pipe_send(struct par_pipe *p, const void *msg, size_t len, int64_t timeout_ns)
{
	return p == NULL ? -EINVAL : par_queue_put(p->tx, msg, len, timeout_ns);
}

ssize_t par_pipe_recv(struct par_pipe *p, void *buf, size_t cap, int64_t timeout_ns)
{
	return p == NULL ? -EINVAL : par_queue_get(p->rx, buf, cap, timeout_ns);
}

int par_pipe_shutdown(struct par_pipe *p)
{
	return p == NULL ? -EINVAL : par_queue_shutdown(p->tx);
}

int par_pipe_eventfd(struct par_pipe *p)
{
	return p == NULL ? -EINVAL : par_queue_eventfd(p->rx);
}

int par_pipe_unlink(const char *name)
{
	char n[PAR_SHM_NAME_MAX + 1];
	int r = 0;

	for (int k = 0; k < 2; k++) {
		int e = pipe_name(name, k, n);
		if (e == 0)
			e = par_queue_unlink(n);
		if (r == 0)
			r = e;
	}
	return r;
}

int par_pipe_close(struct par_pipe *p)
{
	if (p == NULL)
		return -EINVAL;
	par_queue_close(p->tx);
	par_queue_close(p->rx);
	free(p);
	return 0;
}
