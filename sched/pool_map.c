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

/* The outs array given to the caller follows this header, which keeps the
 * result blocks (one a chunk) that par_map_free gives back: one malloc a
 * chunk instead of one a result (100,000 of them cost the caller more time
 * than 16 workers took to run the map). */
struct map_hdr {
	void **blocks; /* [nblocks] */
	size_t nblocks;
} __attribute__((aligned(16)));

#define RESULT_ALIGN 16 /* each result's bytes, as malloc would align them */

static struct par_map_out *outs_new(size_t n, size_t nchunks)
{
	struct map_hdr *h = calloc(1, sizeof(*h) + n * sizeof(struct par_map_out));

	if (h == NULL || (h->blocks = calloc(nchunks, sizeof(void *))) == NULL) {
		free(h);
		return NULL;
	}
	h->nblocks = nchunks;
	return (struct par_map_out *)(h + 1);
}

static struct map_hdr *outs_hdr(struct par_map_out *outs)
{
	return (struct map_hdr *)outs - 1;
}

/* Walk chunk result r[0..len) for count entries: each entry's status and
 * length into outs (data not set); the bytes the entries' data take in a
 * block. -EPROTO when the result is cut short. */
static ssize_t unpack_sizes(const unsigned char *r, size_t len, int chunk_status,
			    struct par_map_out *outs, size_t count)
{
	size_t at = 0, bytes = 0;

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
		outs[i].len = l;
		bytes += (l + RESULT_ALIGN - 1) & ~(size_t)(RESULT_ALIGN - 1);
		at += chunk_status == 0 ? 8 + l : 0;
	}
	return (ssize_t)bytes;
}

/* Fill outs[0..count) from chunk future f; their bytes go to one block,
 * kept as *block. */
static int unpack(const struct par_future *f, struct par_map_out *outs, size_t count, void **block)
{
	size_t len;
	const unsigned char *r = par_future_result(f, &len);
	ssize_t bytes = unpack_sizes(r, len, par_future_status(f), outs, count);
	unsigned char *b;

	if (bytes <= 0)
		return (int)bytes;
	if ((b = *block = aligned_alloc(RESULT_ALIGN, (size_t)bytes)) == NULL)
		return -ENOMEM;
	/* bytes > 0: the chunk ran, and every entry has its 8-byte head */
	for (size_t i = 0, at = 8; i < count; at += 8 + outs[i].len, i++) {
		size_t l = outs[i].len;
		if (l == 0)
			continue;
		outs[i].data = memcpy(b, r + at, l);
		b += (l + RESULT_ALIGN - 1) & ~(size_t)(RESULT_ALIGN - 1);
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

/* Wait for each chunk in turn and unpack it while the later ones run. */
static int collect(struct par_future **futs, size_t n, size_t cs, int64_t deadline,
		   struct par_map_out *o)
{
	void **blocks = outs_hdr(o)->blocks;

	for (size_t k = 0; k * cs < n; k++) {
		int r = par_future_wait(futs[k], par_deadline_left(deadline));
		if (r != 0)
			return r == -EAGAIN ? -ETIMEDOUT : r;
		r = unpack(futs[k], o + k * cs, n - k * cs < cs ? n - k * cs : cs, &blocks[k]);
		if (r != 0)
			return r;
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
	struct par_map_out *o = outs_new(n, nchunks);
	int r = futs != NULL && o != NULL ? check_sizes(inputs, n, cs, p->o.arg_max) : -ENOMEM;
	if (r == 0)
		r = submit_all(p, fn, inputs, n, cs, futs);
	if (r == 0)
		r = collect(futs, n, cs, deadline, o);
	for (size_t k = 0; futs != NULL && k < nchunks; k++)
		par_future_destroy(futs[k]);
	free(futs);
	if (r != 0) {
		par_map_free(o, n);
		return r;
	}
	*outs = o;
	return 0;
}

void par_map_free(struct par_map_out *outs, size_t n)
{
	(void)n; /* kept for callers; the header knows the blocks */
	if (outs == NULL)
		return;
	struct map_hdr *h = outs_hdr(outs);
	for (size_t k = 0; k < h->nblocks; k++)
		free(h->blocks[k]);
	free(h->blocks);
	free(h);
}
