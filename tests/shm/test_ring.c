/* Ring in caller memory, one thread: geometry and attach validation, every
 * operation shape in every sync mode, wrap-around, element sizes, zero-copy. */
#include "ring_test.h"

#include <stdalign.h>

/* ---- geometry and validation ---------------------------------------------- */

static void memsize_checks_geometry(void **state)
{
	(void)state;
	assert_int_equal(par_ring_memsize(0, 8), 0);
	assert_int_equal(par_ring_memsize(12, 8), 0);
	assert_int_equal(par_ring_memsize(PAR_RING_ELEM_MAX + 8, 8), 0);
	assert_int_equal(par_ring_memsize(8, 0), 0);
	assert_int_equal(par_ring_memsize(8, 3), 0);
	assert_int_equal(par_ring_memsize(8, 24), 0);
	assert_int_equal(par_ring_memsize(8, PAR_RING_CAPACITY_MAX << 1), 0);
	assert_int_equal(par_ring_memsize(8, UINT32_MAX), 0);

	size_t one = par_ring_memsize(8, 1);
	assert_true(one > 8);
	assert_int_equal((one - 8) % 64, 0); /* a header of whole lines, then data */
	assert_int_equal(par_ring_memsize(8, 2) - one, 8);
	assert_int_equal(par_ring_memsize(64, 1024) - par_ring_memsize(64, 512), 64 * 512);
	assert_true(par_ring_memsize(PAR_RING_ELEM_MAX, 1) > PAR_RING_ELEM_MAX);
	assert_true(par_ring_memsize(8, PAR_RING_CAPACITY_MAX) > (size_t)8 << 30);
	assert_true(par_ring_memsize(PAR_RING_ELEM_MAX, PAR_RING_CAPACITY_MAX) >
		    (size_t)PAR_RING_ELEM_MAX << 30);
}

static void init_rejects_bad_arguments(void **state)
{
	alignas(64) static char mem[8192];
	struct par_ring *r = NULL;

	(void)state;
	assert_int_equal(par_ring_init(mem, 12, 8, 0, &r), -EINVAL);
	assert_int_equal(par_ring_init(mem, 8, 6, 0, &r), -EINVAL);
	assert_int_equal(par_ring_init(mem, 8, 0, 0, &r), -EINVAL);
	assert_int_equal(par_ring_init(mem, 8, 8, 4, &r), -EINVAL);
	assert_int_equal(par_ring_init(mem, 8, 8, ~0u, &r), -EINVAL);
	assert_int_equal(par_ring_init(mem + 8, 8, 8, 0, &r), -EINVAL);
	assert_int_equal(par_ring_init(NULL, 8, 8, 0, &r), -EINVAL);
	assert_int_equal(par_ring_init(mem, 8, 8, 0, NULL), -EINVAL);
	assert_null(r);
	assert_int_equal(par_ring_close(NULL), -EINVAL);
}

static void flags_and_geometry_are_reported(void **state)
{
	void *mem;

	(void)state;
	for (size_t m = 0; m < 4; m++) {
		struct par_ring *r = ring_new(24, 32, ring_modes[m], &mem);
		assert_int_equal(par_ring_flags(r), ring_modes[m]);
		assert_int_equal(par_ring_capacity(r), 32);
		assert_int_equal(par_ring_elem_size(r), 24);
		assert_int_equal(par_ring_count(r), 0);
		assert_int_equal(par_ring_free_count(r), 32);
		ring_free(r, mem);
	}
}

static void attach_sees_the_same_ring(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(16, 8, PAR_RING_SPSC, &mem), *a = NULL;
	char e[16];

	(void)state;
	assert_int_equal(par_ring_attach(mem, par_ring_memsize(16, 8), &a), 0);
	assert_int_equal(par_ring_flags(a), PAR_RING_SPSC);
	assert_int_equal(par_ring_capacity(a), 8);
	assert_int_equal(par_ring_elem_size(a), 16);
	elem_fill(e, 16, 42);
	assert_int_equal(par_ring_enqueue(r, e), 0);
	assert_int_equal(par_ring_count(a), 1);
	memset(e, 0, sizeof(e));
	assert_int_equal(par_ring_dequeue(a, e), 0);
	assert_true(elem_is(e, 16, 42));
	assert_int_equal(par_ring_count(r), 0);
	/* the producer handle's cached view of the consumer catches up */
	for (int i = 0; i < 8; i++)
		assert_int_equal(par_ring_enqueue(r, e), 0);
	assert_int_equal(par_ring_enqueue(r, e), -EAGAIN);
	assert_int_equal(par_ring_close(a), 0);
	ring_free(r, mem);
}

static void attach_rejects_bad_arguments(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, 0, &mem), *a = NULL;
	size_t size = par_ring_memsize(8, 8);

	(void)state;
	assert_int_equal(par_ring_attach(NULL, size, &a), -EINVAL);
	assert_int_equal(par_ring_attach(mem, size, NULL), -EINVAL);
	assert_int_equal(par_ring_attach((char *)mem + 8, size, &a), -EINVAL);
	assert_int_equal(par_ring_attach(mem, size - 1, &a), -EPROTO);
	assert_int_equal(par_ring_attach(mem, 64, &a), -EPROTO);
	assert_int_equal(par_ring_attach(mem, 0, &a), -EPROTO);
	assert_null(a);
	ring_free(r, mem);
}

/* Flip every bit of the first 64 bytes (the header) in turn: attach refuses
 * each change, except one that turns the flags into other valid flags. */
static void attach_rejects_any_damaged_header(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 16, PAR_RING_SPSC, &mem), *a = NULL;
	size_t size = par_ring_memsize(8, 16);
	unsigned char *b = mem;
	int accepted = 0;

	(void)state;
	for (int byte = 0; byte < 64; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			b[byte] ^= (unsigned char)(1u << bit);
			int rc = par_ring_attach(mem, size, &a);
			b[byte] ^= (unsigned char)(1u << bit);
			if (rc == 0) {
				accepted++;
				assert_int_equal(par_ring_capacity(a), 16);
				assert_int_equal(par_ring_elem_size(a), 8);
				if (byte < 40) /* the used part: only the flags may change */
					assert_int_not_equal(par_ring_flags(a), PAR_RING_SPSC);
				assert_int_equal(par_ring_close(a), 0);
				continue;
			}
			assert_int_equal(rc, -EPROTO);
		}
	}
	assert_true(accepted <= 2 + 8 * 24);
	assert_int_equal(par_ring_attach(mem, size, &a), 0);
	assert_int_equal(par_ring_close(a), 0);
	ring_free(r, mem);
}

static void attach_rejects_zero_and_random_memory(void **state)
{
	size_t size = 1 << 16;
	void *mem = aligned_alloc(64, size);
	struct par_ring *a = NULL;

	(void)state;
	memset(mem, 0, size);
	assert_int_equal(par_ring_attach(mem, size, &a), -EPROTO);
	srand(7);
	for (int round = 0; round < 1000; round++) {
		for (size_t i = 0; i < 512; i++)
			((unsigned char *)mem)[i] = (unsigned char)rand();
		assert_int_equal(par_ring_attach(mem, size, &a), -EPROTO);
	}
	assert_null(a);
	free(mem);
}

/* A header whose geometry is consistent but larger than the memory. */
static void attach_rejects_a_ring_larger_than_memory(void **state)
{
	void *big = aligned_alloc(64, par_ring_memsize(8, 64));
	struct par_ring *r = NULL, *a = NULL;

	(void)state;
	assert_int_equal(par_ring_init(big, 8, 64, 0, &r), 0);
	assert_int_equal(par_ring_attach(big, par_ring_memsize(8, 32), &a), -EPROTO);
	assert_int_equal(par_ring_attach(big, par_ring_memsize(8, 64), &a), 0);
	assert_int_equal(par_ring_close(a), 0);
	ring_free(r, big);
}

/* ---- every shape in every mode -------------------------------------------- */

static void single(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(8, 4, mode, &mem);
	uint64_t v;

	for (uint64_t i = 0; i < 4; i++) {
		v = i;
		assert_int_equal(par_ring_enqueue(r, &v), 0);
		assert_int_equal(par_ring_count(r), i + 1);
	}
	assert_int_equal(par_ring_enqueue(r, &v), -EAGAIN);
	assert_int_equal(par_ring_free_count(r), 0);
	for (uint64_t i = 0; i < 4; i++) {
		assert_int_equal(par_ring_dequeue(r, &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(par_ring_dequeue(r, &v), -EAGAIN);
	assert_int_equal(par_ring_count(r), 0);
	ring_free(r, mem);
}

static void bulk(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, mode, &mem);
	uint64_t in[9], out[9];

	for (int i = 0; i < 9; i++)
		in[i] = 100 + i;
	assert_int_equal(par_ring_enqueue_bulk(r, in, 9), -EINVAL);
	assert_int_equal(par_ring_dequeue_bulk(r, out, 9), -EINVAL);
	assert_int_equal(par_ring_enqueue_bulk(r, in, 0), 0);
	assert_int_equal(par_ring_enqueue_bulk(r, in, 5), 5);
	/* 4 do not fit in the 3 left: nothing goes in */
	assert_int_equal(par_ring_enqueue_bulk(r, in + 5, 4), -EAGAIN);
	assert_int_equal(par_ring_count(r), 5);
	assert_int_equal(par_ring_enqueue_bulk(r, in + 5, 3), 3);
	assert_int_equal(par_ring_enqueue_bulk(r, in, 1), -EAGAIN);
	/* 9 are not there: nothing comes out */
	assert_int_equal(par_ring_dequeue_bulk(r, out, 0), 0);
	assert_int_equal(par_ring_dequeue_bulk(r, out, 6), 6);
	assert_int_equal(par_ring_dequeue_bulk(r, out + 6, 3), -EAGAIN);
	assert_int_equal(par_ring_count(r), 2);
	assert_int_equal(par_ring_dequeue_bulk(r, out + 6, 2), 2);
	for (int i = 0; i < 8; i++)
		assert_int_equal(out[i], 100 + i);
	assert_int_equal(par_ring_dequeue_bulk(r, out, 1), -EAGAIN);
	ring_free(r, mem);
}

static void burst(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, mode, &mem);
	uint64_t in[20], out[20];

	for (int i = 0; i < 20; i++)
		in[i] = 7 * i;
	assert_int_equal(par_ring_enqueue_burst(r, in, 0), 0);
	assert_int_equal(par_ring_enqueue_burst(r, in, 3), 3);
	assert_int_equal(par_ring_enqueue_burst(r, in + 3, 20), 5);
	assert_int_equal(par_ring_enqueue_burst(r, in + 8, 1), 0);
	assert_int_equal(par_ring_dequeue_burst(r, out, 0), 0);
	assert_int_equal(par_ring_dequeue_burst(r, out, 2), 2);
	assert_int_equal(par_ring_enqueue_burst(r, in + 8, 20), 2);
	assert_int_equal(par_ring_dequeue_burst(r, out + 2, 20), 8);
	assert_int_equal(par_ring_dequeue_burst(r, out, 20), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(out[i], 7 * i);
	assert_int_equal(par_ring_enqueue_burst(r, in, 1), 1);
	assert_int_equal(par_ring_dequeue_burst(r, out, 20), 1);
	assert_int_equal(out[0], 0);
	ring_free(r, mem);
}

/* Many laps of a small ring, mixing every shape, checking order. */
static void wrap(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, mode, &mem);
	uint64_t next_in = 0, next_out = 0, buf[8];

	srand(mode + 1);
	while (next_out < 2000000) {
		unsigned n = 1 + (unsigned)rand() % 8, shape = (unsigned)rand() % 3;
		for (unsigned i = 0; i < n; i++)
			buf[i] = next_in + i;
		if (shape == 0)
			n = par_ring_enqueue(r, buf) == 0;
		else if (shape == 1)
			n = par_ring_enqueue_bulk(r, buf, n) > 0 ? n : 0;
		else
			n = par_ring_enqueue_burst(r, buf, n);
		next_in += n;
		n = 1 + (unsigned)rand() % 8;
		shape = (unsigned)rand() % 3;
		if (shape == 0)
			n = par_ring_dequeue(r, buf) == 0;
		else if (shape == 1)
			n = par_ring_dequeue_bulk(r, buf, n) > 0 ? n : 0;
		else
			n = par_ring_dequeue_burst(r, buf, n);
		for (unsigned i = 0; i < n; i++)
			assert_int_equal(buf[i], next_out + i);
		next_out += n;
		assert_int_equal(par_ring_count(r), next_in - next_out);
	}
	ring_free(r, mem);
}

/* Whole elements of each size survive single, bulk and wrapping bursts. */
static void sizes(unsigned mode)
{
	static const size_t es_list[] = { 8, 16, 24, 32, 64, 4096 };
	static char in[6 * 4096], out[6 * 4096];

	for (size_t s = 0; s < sizeof(es_list) / sizeof(es_list[0]); s++) {
		size_t es = es_list[s];
		void *mem;
		struct par_ring *r = ring_new(es, 8, mode, &mem);
		uint64_t seq_in = 0, seq_out = 0;

		for (int lap = 0; lap < 40; lap++) {
			unsigned n = 1 + (unsigned)lap % 6;
			for (unsigned i = 0; i < n; i++)
				elem_fill(in + i * es, es, seq_in + i);
			if (lap % 3 == 0) {
				for (unsigned i = 0; i < n; i++)
					assert_int_equal(par_ring_enqueue(r, in + i * es), 0);
			} else {
				assert_int_equal(par_ring_enqueue_bulk(r, in, n), (int)n);
			}
			seq_in += n;
			unsigned got = lap % 2 ? par_ring_dequeue_burst(r, out, 6)
					       : (par_ring_dequeue(r, out) == 0);
			for (unsigned i = 0; i < got; i++)
				assert_true(elem_is(out + i * es, es, seq_out + i));
			seq_out += got;
			if (par_ring_count(r) > 2) {
				got = (unsigned)par_ring_dequeue_bulk(r, out, 3);
				assert_int_equal(got, 3);
				for (unsigned i = 0; i < got; i++)
					assert_true(elem_is(out + i * es, es, seq_out + i));
				seq_out += got;
			}
		}
		ring_free(r, mem);
	}
}

#define MODE_CASES(fn)                      \
	static void fn##_spsc(void **state) \
	{                                   \
		(void)state;                \
		fn(PAR_RING_SPSC);          \
	}                                   \
	static void fn##_mpsc(void **state) \
	{                                   \
		(void)state;                \
		fn(PAR_RING_SC_DEQ);        \
	}                                   \
	static void fn##_spmc(void **state) \
	{                                   \
		(void)state;                \
		fn(PAR_RING_SP_ENQ);        \
	}                                   \
	static void fn##_mpmc(void **state) \
	{                                   \
		(void)state;                \
		fn(PAR_RING_MPMC);          \
	}

MODE_CASES(single)
MODE_CASES(bulk)
MODE_CASES(burst)
MODE_CASES(wrap)
MODE_CASES(sizes)

/* ---- zero-copy ------------------------------------------------------------ */

/* Move an empty ring's indices on to k. */
static void advance(struct par_ring *r, unsigned k)
{
	char e[64] = { 0 };

	assert_true(par_ring_elem_size(r) <= sizeof(e));
	for (unsigned i = 0; i < k; i++) {
		assert_int_equal(par_ring_enqueue(r, e), 0);
		assert_int_equal(par_ring_dequeue(r, e), 0);
	}
}

static void reserve_commit_wraps(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(16, 8, mode, &mem);
	struct par_ring_span sp;
	char out[16];

	advance(r, 5);
	assert_int_equal(par_ring_reserve(r, 6, &sp), 6);
	assert_int_equal(sp.n1, 3);
	assert_int_equal(sp.n2, 3);
	assert_ptr_equal(sp.ptr2, (char *)sp.ptr1 - 5 * 16);
	assert_int_equal(par_ring_count(r), 0); /* nothing visible before commit */
	assert_int_equal(par_ring_dequeue(r, out), -EAGAIN);
	for (unsigned i = 0; i < 3; i++) {
		elem_fill((char *)sp.ptr1 + i * 16, 16, i);
		elem_fill((char *)sp.ptr2 + i * 16, 16, 3 + i);
	}
	assert_int_equal(par_ring_commit(r, 6), 0);
	assert_int_equal(par_ring_count(r), 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(par_ring_dequeue(r, out), 0);
		assert_true(elem_is(out, 16, i));
	}
	/* a reservation that does not wrap has no second part */
	assert_int_equal(par_ring_reserve(r, 2, &sp), 2);
	assert_int_equal(sp.n1, 2);
	assert_int_equal(sp.n2, 0);
	assert_null(sp.ptr2);
	assert_int_equal(par_ring_commit(r, 2), 0);
	ring_free(r, mem);
}

static void peek_release_wraps(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(16, 8, mode, &mem);
	struct par_ring_span sp;
	char in[16];

	advance(r, 6);
	for (unsigned i = 0; i < 5; i++) {
		elem_fill(in, 16, i);
		assert_int_equal(par_ring_enqueue(r, in), 0);
	}
	assert_int_equal(par_ring_peek(r, 8, &sp), 5);
	assert_int_equal(sp.n1, 2);
	assert_int_equal(sp.n2, 3);
	for (unsigned i = 0; i < 2; i++)
		assert_true(elem_is((char *)sp.ptr1 + i * 16, 16, i));
	for (unsigned i = 0; i < 3; i++)
		assert_true(elem_is((char *)sp.ptr2 + i * 16, 16, 2 + i));
	assert_int_equal(par_ring_count(r), 5); /* still there until release */
	assert_int_equal(par_ring_release(r, 5), 0);
	assert_int_equal(par_ring_count(r), 0);
	assert_int_equal(par_ring_peek(r, 8, &sp), 0);
	assert_int_equal(sp.n1 + sp.n2, 0);
	assert_null(sp.ptr1);
	ring_free(r, mem);
}

/* Without an outstanding reservation / peek, commit and release refuse;
 * while one is outstanding, another reserve / peek gets nothing. */
static void zero_copy_needs_one_outstanding(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, mode, &mem);
	struct par_ring_span sp;

	assert_int_equal(par_ring_commit(r, 0), -EINVAL);
	assert_int_equal(par_ring_release(r, 0), -EINVAL);
	assert_int_equal(par_ring_reserve(r, 0, &sp), 0);
	assert_int_equal(par_ring_commit(r, 0), -EINVAL);
	assert_int_equal(par_ring_peek(r, 4, &sp), 0); /* empty: no peek */
	assert_int_equal(par_ring_release(r, 0), -EINVAL);
	assert_int_equal(par_ring_reserve(r, 3, &sp), 3);
	assert_int_equal(par_ring_reserve(r, 3, &sp), 0);
	assert_null(sp.ptr1);
	assert_int_equal(par_ring_commit(r, 4), -EINVAL);
	assert_int_equal(par_ring_commit(r, 3), 0);
	assert_int_equal(par_ring_commit(r, 3), -EINVAL);
	assert_int_equal(par_ring_peek(r, 2, &sp), 2);
	assert_int_equal(par_ring_peek(r, 2, &sp), 0);
	assert_int_equal(par_ring_release(r, 3), -EINVAL);
	assert_int_equal(par_ring_release(r, 2), 0);
	assert_int_equal(par_ring_release(r, 2), -EINVAL);
	assert_int_equal(par_ring_count(r), 1);
	ring_free(r, mem);
}

/* Reserve on a full ring / more than the room gets what there is. */
static void reserve_takes_what_fits(unsigned mode)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, mode, &mem);
	struct par_ring_span sp;
	uint64_t v[8] = { 0 };

	assert_int_equal(par_ring_enqueue_bulk(r, v, 5), 5);
	assert_int_equal(par_ring_reserve(r, 100, &sp), 3);
	assert_int_equal(sp.n1 + sp.n2, 3);
	assert_int_equal(par_ring_commit(r, 3), 0);
	assert_int_equal(par_ring_reserve(r, 1, &sp), 0);
	assert_null(sp.ptr1);
	assert_int_equal(par_ring_commit(r, 0), -EINVAL);
	assert_int_equal(par_ring_peek(r, 100, &sp), 8);
	assert_int_equal(par_ring_release(r, 8), 0);
	ring_free(r, mem);
}

MODE_CASES(reserve_commit_wraps)
MODE_CASES(peek_release_wraps)
MODE_CASES(zero_copy_needs_one_outstanding)
MODE_CASES(reserve_takes_what_fits)

/* Single producer: commit any prefix, the rest is given back. */
static void sp_commit_partial(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, PAR_RING_SPSC, &mem);
	struct par_ring_span sp;
	uint64_t v;

	(void)state;
	assert_int_equal(par_ring_reserve(r, 4, &sp), 4);
	for (uint64_t i = 0; i < 4; i++)
		((uint64_t *)sp.ptr1)[i] = 10 + i;
	assert_int_equal(par_ring_commit(r, 2), 0);
	assert_int_equal(par_ring_count(r), 2);
	assert_int_equal(par_ring_reserve(r, 8, &sp), 6);
	assert_int_equal(((uint64_t *)sp.ptr1)[0], 12); /* the given-back slot */
	((uint64_t *)sp.ptr1)[0] = 20;
	assert_int_equal(par_ring_commit(r, 1), 0);
	assert_int_equal(par_ring_reserve(r, 1, &sp), 1);
	assert_int_equal(par_ring_commit(r, 0), 0); /* gives it all back */
	assert_int_equal(par_ring_count(r), 3);
	uint64_t want[] = { 10, 11, 20 };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(par_ring_dequeue(r, &v), 0);
		assert_int_equal(v, want[i]);
	}
	ring_free(r, mem);
}

/* Single side: an enqueue (dequeue) between reserve (peek) and commit
 * (release) voids the reservation (peek) instead of moving the tail back. */
static void sp_sc_overtaken_reservation_is_dropped(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, PAR_RING_SPSC, &mem);
	struct par_ring_span sp;
	uint64_t v = 1;

	(void)state;
	assert_int_equal(par_ring_reserve(r, 2, &sp), 2);
	assert_int_equal(par_ring_enqueue(r, &v), 0);
	assert_int_equal(par_ring_commit(r, 2), -EINVAL);
	assert_int_equal(par_ring_commit(r, 2), -EINVAL); /* dropped */
	assert_int_equal(par_ring_count(r), 1);
	assert_int_equal(par_ring_reserve(r, 1, &sp), 1); /* a new one works */
	((uint64_t *)sp.ptr1)[0] = 2;
	assert_int_equal(par_ring_commit(r, 1), 0);
	assert_int_equal(par_ring_peek(r, 2, &sp), 2);
	assert_int_equal(par_ring_dequeue(r, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(par_ring_release(r, 1), -EINVAL);
	assert_int_equal(par_ring_release(r, 1), -EINVAL);
	assert_int_equal(par_ring_count(r), 1);
	assert_int_equal(par_ring_dequeue(r, &v), 0);
	assert_int_equal(v, 2);
	ring_free(r, mem);
}

/* Multi producer: commit must cover the whole reservation. */
static void mp_commit_must_be_whole(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, PAR_RING_SC_DEQ, &mem);
	struct par_ring_span sp;
	uint64_t v;

	(void)state;
	assert_int_equal(par_ring_reserve(r, 4, &sp), 4);
	assert_int_equal(par_ring_commit(r, 2), -EINVAL);
	assert_int_equal(par_ring_commit(r, 0), -EINVAL);
	for (uint64_t i = 0; i < 4; i++)
		((uint64_t *)sp.ptr1)[i] = 30 + i;
	assert_int_equal(par_ring_commit(r, 4), 0);
	for (uint64_t i = 0; i < 4; i++) {
		assert_int_equal(par_ring_dequeue(r, &v), 0);
		assert_int_equal(v, 30 + i);
	}
	ring_free(r, mem);
}

/* Single consumer: release any prefix, the rest stays for the next dequeue. */
static void sc_release_partial(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, PAR_RING_SPSC, &mem);
	struct par_ring_span sp;
	uint64_t in[4] = { 1, 2, 3, 4 }, v;

	(void)state;
	assert_int_equal(par_ring_enqueue_bulk(r, in, 4), 4);
	assert_int_equal(par_ring_peek(r, 4, &sp), 4);
	assert_int_equal(par_ring_release(r, 1), 0);
	assert_int_equal(par_ring_count(r), 3);
	assert_int_equal(par_ring_dequeue(r, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(par_ring_peek(r, 4, &sp), 2);
	assert_int_equal(((uint64_t *)sp.ptr1)[0], 3);
	assert_int_equal(par_ring_release(r, 0), 0);
	assert_int_equal(par_ring_dequeue_burst(r, in, 4), 2);
	assert_int_equal(in[0], 3);
	assert_int_equal(in[1], 4);
	ring_free(r, mem);
}

/* Multi consumer: release must cover the whole peek. */
static void mc_release_must_be_whole(void **state)
{
	void *mem;
	struct par_ring *r = ring_new(8, 8, PAR_RING_SP_ENQ, &mem);
	struct par_ring_span sp;
	uint64_t in[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(par_ring_enqueue_bulk(r, in, 4), 4);
	assert_int_equal(par_ring_peek(r, 3, &sp), 3);
	assert_int_equal(par_ring_release(r, 1), -EINVAL);
	assert_int_equal(par_ring_release(r, 0), -EINVAL);
	assert_int_equal(par_ring_release(r, 3), 0);
	assert_int_equal(par_ring_dequeue_burst(r, in, 4), 1);
	assert_int_equal(in[0], 4);
	ring_free(r, mem);
}

/* Zero-copy and copying operations interleave over many laps. */
static void zero_copy_laps(void **state)
{
	(void)state;
	for (size_t m = 0; m < 4; m++) {
		void *mem;
		struct par_ring *r = ring_new(24, 16, ring_modes[m], &mem);
		struct par_ring_span sp;
		uint64_t seq_in = 0, seq_out = 0;
		char e[24];

		for (int lap = 0; lap < 20000; lap++) {
			unsigned n = par_ring_reserve(r, 1 + lap % 11, &sp);
			for (unsigned i = 0; i < n; i++)
				elem_fill(i < sp.n1 ? (char *)sp.ptr1 + i * 24
						    : (char *)sp.ptr2 + (i - sp.n1) * 24,
					  24, seq_in + i);
			if (n != 0)
				assert_int_equal(par_ring_commit(r, n), 0);
			seq_in += n;
			elem_fill(e, 24, seq_in);
			seq_in += par_ring_enqueue(r, e) == 0;
			n = par_ring_peek(r, 1 + lap % 7, &sp);
			for (unsigned i = 0; i < n; i++)
				assert_true(elem_is(i < sp.n1 ? (char *)sp.ptr1 + i * 24
							      : (char *)sp.ptr2 + (i - sp.n1) * 24,
						    24, seq_out + i));
			if (n != 0)
				assert_int_equal(par_ring_release(r, n), 0);
			seq_out += n;
			if (par_ring_dequeue(r, e) == 0)
				assert_true(elem_is(e, 24, seq_out++));
		}
		ring_free(r, mem);
	}
}

/* The one-element calls are inlined from par/ring.h where they can be; the
 * library's exported functions (reached through a pointer) do the same. */
static void exported_functions_match_the_inline_ones(void **state)
{
	/* volatile: a call the compiler cannot see through to the inline */
	int (*volatile enq)(struct par_ring *, const void *) = par_ring_enqueue;
	int (*volatile deq)(struct par_ring *, void *) = par_ring_dequeue;

	(void)state;
	for (size_t m = 0; m < 4; m++) {
		for (size_t es = 8; es <= 16; es += 8) {
			void *mem;
			struct par_ring *r = ring_new(es, 4, ring_modes[m], &mem);
			char e[16];
			uint64_t seq_in = 0, seq_out = 0;

			for (int lap = 0; lap < 50; lap++) {
				int (*in)(struct par_ring *, const void *) =
					lap % 2 ? enq : par_ring_enqueue;
				elem_fill(e, es, seq_in);
				if (in(r, e) == 0)
					seq_in++;
				else
					assert_int_equal(par_ring_count(r), 4);
				if (lap % 3 == 0)
					continue;
				int rc = lap % 5 ? par_ring_dequeue(r, e) : deq(r, e);
				if (rc == 0)
					assert_true(elem_is(e, es, seq_out++));
				else
					assert_int_equal(rc, -EAGAIN);
			}
			assert_int_equal(par_ring_count(r), seq_in - seq_out);
			ring_free(r, mem);
		}
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(memsize_checks_geometry),
	cmocka_unit_test(init_rejects_bad_arguments),
	cmocka_unit_test(flags_and_geometry_are_reported),
	cmocka_unit_test(attach_sees_the_same_ring),
	cmocka_unit_test(attach_rejects_bad_arguments),
	cmocka_unit_test(attach_rejects_any_damaged_header),
	cmocka_unit_test(attach_rejects_zero_and_random_memory),
	cmocka_unit_test(attach_rejects_a_ring_larger_than_memory),
	cmocka_unit_test(single_spsc),
	cmocka_unit_test(single_mpsc),
	cmocka_unit_test(single_spmc),
	cmocka_unit_test(single_mpmc),
	cmocka_unit_test(bulk_spsc),
	cmocka_unit_test(bulk_mpsc),
	cmocka_unit_test(bulk_spmc),
	cmocka_unit_test(bulk_mpmc),
	cmocka_unit_test(burst_spsc),
	cmocka_unit_test(burst_mpsc),
	cmocka_unit_test(burst_spmc),
	cmocka_unit_test(burst_mpmc),
	cmocka_unit_test(wrap_spsc),
	cmocka_unit_test(wrap_mpsc),
	cmocka_unit_test(wrap_spmc),
	cmocka_unit_test(wrap_mpmc),
	cmocka_unit_test(sizes_spsc),
	cmocka_unit_test(sizes_mpsc),
	cmocka_unit_test(sizes_spmc),
	cmocka_unit_test(sizes_mpmc),
	cmocka_unit_test(reserve_commit_wraps_spsc),
	cmocka_unit_test(reserve_commit_wraps_mpsc),
	cmocka_unit_test(reserve_commit_wraps_spmc),
	cmocka_unit_test(reserve_commit_wraps_mpmc),
	cmocka_unit_test(peek_release_wraps_spsc),
	cmocka_unit_test(peek_release_wraps_mpsc),
	cmocka_unit_test(peek_release_wraps_spmc),
	cmocka_unit_test(peek_release_wraps_mpmc),
	cmocka_unit_test(zero_copy_needs_one_outstanding_spsc),
	cmocka_unit_test(zero_copy_needs_one_outstanding_mpsc),
	cmocka_unit_test(zero_copy_needs_one_outstanding_spmc),
	cmocka_unit_test(zero_copy_needs_one_outstanding_mpmc),
	cmocka_unit_test(reserve_takes_what_fits_spsc),
	cmocka_unit_test(reserve_takes_what_fits_mpsc),
	cmocka_unit_test(reserve_takes_what_fits_spmc),
	cmocka_unit_test(reserve_takes_what_fits_mpmc),
	cmocka_unit_test(sp_commit_partial),
	cmocka_unit_test(sp_sc_overtaken_reservation_is_dropped),
	cmocka_unit_test(mp_commit_must_be_whole),
	cmocka_unit_test(sc_release_partial),
	cmocka_unit_test(mc_release_must_be_whole),
	cmocka_unit_test(zero_copy_laps),
	cmocka_unit_test(exported_functions_match_the_inline_ones),
};

PAR_TEST_MAIN(tests)
