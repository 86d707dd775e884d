/* Workloads over shared objects: queue (producer/consumer pairs over par
 * Queues) and counter / counter-local (par Values under their Locks). */
#include "scale_impl.h"

#include <par/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ---- queue -------------------------------------------------------------------- */

#define MSG_BYTES 64u
#define SELF_BATCH 64u

/* Workers 2k and 2k+1 are lane k's producer and consumer; with an odd count
 * the last worker is a lane of its own that puts and then gets batches. */
static unsigned lanes(unsigned workers)
{
	return workers / 2 + workers % 2;
}

static int queue_prepare(struct par__scale_run *r)
{
	unsigned n = lanes(r->workers);
	struct par_queue **q = calloc(n, sizeof(*q));
	struct par_queue_opts o;

	if (q == NULL)
		return -ENOMEM;
	par_queue_opts_init(&o);
	o.max_msg = MSG_BYTES;
	o.pool_size = 4096;
	r->shared = q;
	for (unsigned i = 0; i < n; i++) {
		int e = par_queue_create(NULL, &o, &q[i]);
		if (e != 0)
			return e;
	}
	return 0;
}

static void queue_release(struct par__scale_run *r)
{
	struct par_queue **q = r->shared;

	for (unsigned i = 0; q != NULL && i < lanes(r->workers); i++)
		if (q[i] != NULL)
			par_queue_close(q[i]);
	free(q);
	r->shared = NULL;
}

/* Under threads-gil a blocking call lets the GIL go, as CPython's do. */
static int put(struct par__scale_run *r, struct par_queue *q, const void *m)
{
	int e = par_queue_put(q, m, MSG_BYTES, r->gil != NULL ? 0 : r->wait_ns);

	if (e == -EAGAIN) {
		par_scale_gil_release(r->gil);
		e = par_queue_put(q, m, MSG_BYTES, r->wait_ns);
		par_scale_gil_acquire(r->gil);
	}
	par__scale_tick(r);
	return e;
}

static int get(struct par__scale_run *r, struct par_queue *q, uint64_t *sum)
{
	uint64_t m[MSG_BYTES / 8];
	ssize_t e = par_queue_get(q, m, sizeof(m), r->gil != NULL ? 0 : r->wait_ns);

	if (e == -EAGAIN) {
		par_scale_gil_release(r->gil);
		e = par_queue_get(q, m, sizeof(m), r->wait_ns);
		par_scale_gil_acquire(r->gil);
	}
	par__scale_tick(r);
	if (e < 0)
		return (int)e;
	*sum += m[0];
	return e == MSG_BYTES ? 0 : -EPROTO;
}

static int produce(struct par__scale_run *r, struct par_queue *q, uint64_t first, uint64_t n)
{
	uint64_t m[MSG_BYTES / 8] = { 0 };

	for (uint64_t i = first; i < first + n; i++) {
		m[0] = i;
		int e = put(r, q, m);
		if (e != 0)
			return e;
	}
	return 0;
}

static int consume(struct par__scale_run *r, struct par_queue *q, uint64_t n, uint64_t *sum)
{
	for (uint64_t i = 0; i < n; i++) {
		int e = get(r, q, sum);
		if (e != 0)
			return e;
	}
	return 0;
}

static int self_lane(struct par__scale_run *r, struct par_queue *q, uint64_t first, uint64_t n,
		     uint64_t *sum)
{
	for (uint64_t done = 0; done < n;) {
		uint64_t k = n - done < SELF_BATCH ? n - done : SELF_BATCH;
		int e = produce(r, q, first + done, k);
		if (e == 0)
			e = consume(r, q, k, sum);
		if (e != 0)
			return e;
		done += k;
	}
	return 0;
}

static int queue_work(struct par__scale_run *r, unsigned chunk, unsigned worker,
		      struct par__scale_done *d)
{
	struct par_queue **q = r->shared;
	unsigned lane = chunk / 2;
	uint64_t first, n = par__scale_share(r->units, lanes(r->workers), lane, &first);

	(void)worker;
	if (chunk == r->workers - 1 && r->workers % 2 == 1) {
		d->units = n;
		return self_lane(r, q[lane], first, n, &d->checksum);
	}
	if (chunk % 2 == 0)
		return produce(r, q[lane], first, n);
	d->units = n;
	return consume(r, q[lane], n, &d->checksum);
}

/* Messages carry their index: the sum of 0..units-1. */
static uint64_t queue_expect(uint64_t units)
{
	return units % 2 == 0 ? units / 2 * (units - 1) : (units - 1) / 2 * units;
}

const struct par_scale_workload par__scale_queue = {
	.name = "queue",
	.unit = "messages",
	.about = "producer/consumer pairs passing 64-byte messages through par Queues",
	.sizes = { 1u << 12, 1u << 16, 1u << 20, 1u << 22 },
	.granule = 64,
	.py_divisor = 128,
	.expect_max = UINT64_MAX,
	.prepare = queue_prepare,
	.work = queue_work,
	.release = queue_release,
	.expect = queue_expect,
};

/* ---- counter, counter-local ------------------------------------------------- */

/* Values 128 bytes apart, so neighbours share no cache line (nor the
 * adjacent-line prefetcher's pair). */
#define VALUE_STRIDE 128u

struct counters {
	void *mem;
	size_t mem_size;
	unsigned n;
	struct par_value *v[];
};

static int counters_make(struct par__scale_run *r, unsigned n)
{
	struct counters *c = calloc(1, sizeof(*c) + n * sizeof(c->v[0]));
	size_t stride = par_value_memsize() > VALUE_STRIDE ? par_value_memsize() : VALUE_STRIDE;

	if (c == NULL)
		return -ENOMEM;
	r->shared = c;
	c->mem_size = stride * n;
	c->mem = mmap(NULL, c->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED) {
		c->mem = NULL;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		int e = par_value_init((char *)c->mem + i * stride, 0, &c->v[i]);
		if (e != 0)
			return e;
		c->n = i + 1;
	}
	return 0;
}

static int counter_prepare(struct par__scale_run *r)
{
	return counters_make(r, 1);
}

static int counter_local_prepare(struct par__scale_run *r)
{
	return counters_make(r, r->workers);
}

static void counter_release(struct par__scale_run *r)
{
	struct counters *c = r->shared;

	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n; i++)
		par_value_fini(c->v[i]);
	if (c->mem != NULL)
		munmap(c->mem, c->mem_size);
	free(c);
	r->shared = NULL;
}

/* Only the GIL's holder runs here, so under threads-gil nobody ever waits for
 * the Value's lock while holding the GIL. */
static int counter_work(struct par__scale_run *r, unsigned chunk, unsigned worker,
			struct par__scale_done *d)
{
	struct counters *c = r->shared;
	struct par_value *v = c->v[c->n == 1 ? 0 : chunk];
	uint64_t n = par__scale_share(r->units, r->workers, chunk, NULL);

	(void)worker;
	for (uint64_t i = 0; i < n; i++) {
		int e = par_value_add(v, 1, NULL);
		if (e != 0)
			return e;
		par__scale_tick(r);
	}
	d->units = n;
	return 0;
}

static int counter_verify(struct par__scale_run *r, uint64_t *checksum)
{
	struct counters *c = r->shared;
	uint64_t sum = 0;

	for (unsigned i = 0; i < c->n; i++)
		sum += (uint64_t)par_value_load(c->v[i]);
	*checksum = sum;
	return 0;
}

static uint64_t counter_expect(uint64_t units)
{
	return units;
}

const struct par_scale_workload par__scale_counter = {
	.name = "counter",
	.unit = "increments",
	.about = "every worker adds 1 to one shared Value under its par Lock (contention)",
	.sizes = { 1u << 12, 1u << 18, 1u << 23, 1u << 25 },
	.granule = 64,
	.py_divisor = 32,
	.expect_max = UINT64_MAX,
	.prepare = counter_prepare,
	.work = counter_work,
	.verify = counter_verify,
	.release = counter_release,
	.expect = counter_expect,
};

const struct par_scale_workload par__scale_counter_local = {
	.name = "counter-local",
	.unit = "increments",
	.about = "the same with one Value per worker, summed at the end (partitioning)",
	.sizes = { 1u << 12, 1u << 18, 1u << 23, 1u << 25 },
	.granule = 64,
	.py_divisor = 32,
	.expect_max = UINT64_MAX,
	.prepare = counter_local_prepare,
	.work = counter_work,
	.verify = counter_verify,
	.release = counter_release,
	.expect = counter_expect,
};
