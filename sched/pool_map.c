/* par_pool_map: inputs packed into chunk tasks, results unpacked in order.
 * Chunk formats are described in future.c (run_chunk). */
#include "pool_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Pack inputs[0..count) into a chunk argument; its length, or -EMSGSIZE. */
static ssize_t pack(const struct par_map_in *in, size_t count, size_t max, unsigned char **out)
{
	size_t len = 4 + 4 * count;
	for (size_t i = 0; i < count; i++)
		len += in[i].len;
	if (len > max || count > UINT32_MAX)
		return -EMSGSIZE;
	unsigned char *b = malloc(len);
	if (b == NULL)
		return -ENOMEM;
	uint32_t c = (uint32_t)count, at = 4 + 4 * c;
	memcpy(b, &c, 4);
	for (size_t i = 0; i < count; i++) {
		uint32_t l = (uint32_t)in[i].len;
		memcpy(b + 4 + 4 * i, &l, 4);
		if (l > 0)
			memcpy(b + at, in[i].data, l);
		at += l;
	}
	*out = b;
	return (ssize_t)len;
}

/* Fill outs[0..count) from chunk future f. */
static int unpack(const struct par_future *f, struct par_map_out *outs, size_t count)
{
	size_t len, at = 0;
	const unsigned char *r = par_future_result(f, &len);
	int chunk_status = par_future_status(f);

	for (size_t i = 0; i < count; i++) {
		int32_t st = chunk_status != 0 ? chunk_status : -EMSGSIZE;
		uint32_t l = 0;
		if (chunk_status == 0 && at + 8 <= len) {
			memcpy(&st, r + at, 4);
			memcpy(&l, r + at + 4, 4);
			if (at + 8 + l > len)
				return -EPROTO;
		}
		outs[i].status = st;
		if (l > 0 && (outs[i].data = malloc(l)) == NULL)
			return -ENOMEM;
		if (l > 0)
			memcpy(outs[i].data, r + at + 8, l);
		outs[i].len = l;
		at += chunk_status == 0 ? 8 + l : 0;
	}
	return 0;
}

/* -EMSGSIZE when some chunk's packed inputs exceed max. */
static int check_sizes(const struct par_map_in *in, size_t n, size_t cs, size_t max)
{
	for (size_t k = 0; k * cs < n; k++) {
		size_t count = n - k * cs < cs ? n - k * cs : cs, len = 4 + 4 * count;
		for (size_t i = 0; i < count && len <= max; i++)
			len += in[k * cs + i].len;
		if (len > max)
			return -EMSGSIZE;
	}
	return 0;
}

/* Submit every chunk (futs[k] for inputs [k*cs, ...)). */
static int submit_all(struct par_pool *p, par_task_fn fn, const struct par_map_in *in, size_t n,
		      size_t cs, struct par_future **futs)
{
	for (size_t k = 0; k * cs < n; k++) {
		unsigned char *arg;
		size_t count = n - k * cs < cs ? n - k * cs : cs;
		ssize_t len = pack(in + k * cs, count, p->o.arg_max, &arg);
		if (len < 0)
			return (int)len;
		int r = par__pool_submit(p, fn, PAR__TASK_CHUNK, arg, (size_t)len, &futs[k]);
		free(arg);
		if (r != 0)
			return r;
	}
	return 0;
}

static int wait_all(struct par_future **futs, size_t nchunks, int64_t deadline)
{
	for (size_t k = 0; k < nchunks; k++) {
		int r = par_future_wait(futs[k], par_deadline_left(deadline));
		if (r != 0)
			return r == -EAGAIN ? -ETIMEDOUT : r;
	}
	return 0;
}

int par_pool_map(struct par_pool *p, par_task_fn fn, const struct par_map_in *inputs, size_t n,
		 size_t chunksize, int64_t timeout_ns, struct par_map_out **outs)
{
	if (p == NULL || fn == NULL || outs == NULL || (inputs == NULL && n > 0))
		return -EINVAL;
	*outs = NULL;
	if (n == 0)
		return 0;
	int64_t deadline = par_deadline(timeout_ns);
	size_t cs = chunksize ? chunksize : (n + 4 * p->nworkers - 1) / (4 * p->nworkers);
	size_t nchunks = (n + cs - 1) / cs;
	struct par_future **futs = calloc(nchunks, sizeof(*futs));
	struct par_map_out *o = calloc(n, sizeof(*o));
	int r = futs != NULL && o != NULL ? check_sizes(inputs, n, cs, p->o.arg_max) : -ENOMEM;
	if (r == 0)
		r = submit_all(p, fn, inputs, n, cs, futs);
	if (r == 0)
		r = wait_all(futs, nchunks, deadline);
	for (size_t k = 0; r == 0 && k < nchunks; k++)
		r = unpack(futs[k], o + k * cs, n - k * cs < cs ? n - k * cs : cs);
	for (size_t k = 0; futs != NULL && k < nchunks; k++)
		par_future_destroy(futs[k]);
	free(futs);
	if (r != 0) {
		par_map_free(o, o != NULL ? n : 0);
		return r;
	}
	*outs = o;
	return 0;
}

void par_map_free(struct par_map_out *outs, size_t n)
{
	for (size_t i = 0; outs != NULL && i < n; i++)
		free(outs[i].data);
	free(outs);
}
