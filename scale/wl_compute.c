/* Workloads without shared data: compute (a hash chain) and memory (a STREAM
 * triad over each worker's own arrays). */
#include "scale_impl.h"

#include <errno.h>
#include <stdlib.h>

/* ---- compute ------------------------------------------------------------------ */

uint64_t par__scale_compute_blocks(uint64_t b0, uint64_t b1, struct par__scale_run *r)
{
	uint64_t sum = 0;
	uint32_t h = 0;

	for (uint64_t b = b0; b < b1; b++) {
		/* zero, as far as the compiler knows, depends on the last chain: the
		 * blocks stay one chain (no interleaving of blocks at -O3, which
		 * threads-gil's calls would prevent), yet each block's value
		 * depends on b alone, so the sum does not depend on the split. */
		uint32_t zero = 0;
		__asm__("" : "+r"(zero) : "r"(h));
		uint32_t base = (uint32_t)(b * PAR__SCALE_BLOCK);
		h = (uint32_t)b + zero;
		for (uint32_t i = 0; i < PAR__SCALE_BLOCK; i++)
			h = par__scale_hash(h + base + i);
		sum += h;
		if (r != NULL)
			par__scale_tick(r);
	}
	return sum;
}

static int compute_work(struct par__scale_run *r, unsigned chunk, unsigned worker,
			struct par__scale_done *d)
{
	uint64_t first,
		n = par__scale_share(r->units / PAR__SCALE_BLOCK, r->workers, chunk, &first);

	(void)worker;
	d->checksum = par__scale_compute_blocks(first, first + n, r);
	d->units = n * PAR__SCALE_BLOCK;
	return 0;
}

static uint64_t compute_expect(uint64_t units)
{
	return par__scale_compute_blocks(0, units / PAR__SCALE_BLOCK, NULL);
}

const struct par_scale_workload par__scale_compute = {
	.name = "compute",
	.unit = "hashes",
	.about = "integer hash chains, no shared data: the total split across workers",
	.sizes = { 1u << 16, 1u << 22, 1u << 26, 1u << 28 },
	.granule = PAR__SCALE_BLOCK,
	.py_divisor = 64,
	.expect_max = 1u << 24,
	.work = compute_work,
	.expect = compute_expect,
};

/* ---- memory ------------------------------------------------------------------- */

/* Elements of each worker's arrays at most (3 x 8 MiB: beyond the caches). */
#define MEM_MAX_ELEMS (1u << 20)
/* Bytes per element and pass, as STREAM counts a triad. */
#define MEM_BYTES 24u

struct mem_local {
	double *a, *b, *c;
	size_t n;
};

static size_t mem_elems(const struct par__scale_run *r)
{
	uint64_t total = r->units / MEM_BYTES;
	return total < MEM_MAX_ELEMS ? (size_t)total : MEM_MAX_ELEMS;
}

/* Allocate and first-touch in the worker, so the pages sit on its node. */
static int memory_setup(struct par__scale_run *r, unsigned worker)
{
	struct mem_local *m = calloc(1, sizeof(*m));
	size_t n = mem_elems(r), bytes = n * sizeof(double);

	if (m == NULL)
		return -ENOMEM;
	m->n = n;
	m->a = aligned_alloc(64, bytes);
	m->b = aligned_alloc(64, bytes);
	m->c = aligned_alloc(64, bytes);
	r->local[worker] = m;
	if (m->a == NULL || m->b == NULL || m->c == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m->a[i] = 0.0;
		m->b[i] = 1.0;
		m->c[i] = 2.0;
	}
	return 0;
}

static void memory_teardown(struct par__scale_run *r, unsigned worker)
{
	struct mem_local *m = r->local[worker];

	if (m != NULL) {
		free(m->a);
		free(m->b);
		free(m->c);
		free(m);
		r->local[worker] = NULL;
	}
}

/* a = b + s*c over [i0, i1), ticking the GIL every 4096 elements. */
static void triad(struct mem_local *m, size_t i0, size_t i1, struct par__scale_run *r)
{
	const double s = 3.0;

	while (i0 < i1) {
		size_t end = i1 - i0 > 4096 ? i0 + 4096 : i1;
		for (size_t i = i0; i < end; i++)
			m->a[i] = m->b[i] + s * m->c[i];
		i0 = end;
		par__scale_tick(r);
	}
}

/* 1 when the triad's result (b + 3c = 7) is in a[0..n), sampled every 4096
 * elements and at the end: a skipped or wrong triad cannot pass. */
static int triad_done(const struct mem_local *m, size_t n)
{
	for (size_t i = 0; i < n; i += 4096)
		if (m->a[i] != 7.0)
			return 0;
	return n == 0 || m->a[n - 1] == 7.0;
}

static int memory_work(struct par__scale_run *r, unsigned chunk, unsigned worker,
		       struct par__scale_done *d)
{
	struct mem_local *m = r->local[worker];
	uint64_t todo = par__scale_share(r->units / MEM_BYTES, r->workers, chunk, NULL);

	if (m == NULL)
		return -EINVAL;
	d->units = todo * MEM_BYTES;
	size_t touched = todo < m->n ? (size_t)todo : m->n;
	while (todo > 0) {
		size_t n = todo < m->n ? (size_t)todo : m->n;
		triad(m, 0, n, r);
		todo -= n;
	}
	/* the checksum is the units only when the arrays hold the result */
	d->checksum = triad_done(m, touched) ? d->units : 0;
	return 0;
}

static uint64_t same_units(uint64_t units)
{
	return units;
}

const struct par_scale_workload par__scale_memory = {
	.name = "memory",
	.unit = "bytes",
	.about = "STREAM triad a = b + s*c over each worker's own 24 MiB of arrays",
	.sizes = { (uint64_t)MEM_BYTES << 16, (uint64_t)MEM_BYTES << 22, (uint64_t)MEM_BYTES << 27,
		   (uint64_t)MEM_BYTES << 29 },
	.granule = MEM_BYTES * 4096,
	.py_divisor = 64,
	.expect_max = UINT64_MAX,
	.setup = memory_setup,
	.work = memory_work,
	.teardown = memory_teardown,
	.expect = same_units,
};
