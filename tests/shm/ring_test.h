/* Helpers shared by the ring tests: rings in caller memory, and elements
 * that check themselves. */
#ifndef PAR_RING_TEST_H
#define PAR_RING_TEST_H

#include "par_test.h"

#include <par/ring.h>

#include <stdbool.h>

static const unsigned ring_modes[] = { PAR_RING_SPSC, PAR_RING_SC_DEQ, PAR_RING_SP_ENQ,
				       PAR_RING_MPMC };

/* A ring in fresh 64-aligned heap memory; free it with ring_free. */
static inline struct par_ring *ring_new(size_t es, uint32_t cap, unsigned flags, void **mem)
{
	struct par_ring *r = NULL;
	size_t size = par_ring_memsize(es, cap);

	assert_true(size != 0);
	*mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	assert_non_null(*mem);
	assert_int_equal(par_ring_init(*mem, es, cap, flags, &r), 0);
	assert_non_null(r);
	return r;
}

static inline void ring_free(struct par_ring *r, void *mem)
{
	assert_int_equal(par_ring_close(r), 0);
	free(mem);
}

/* Element number seq of es bytes: every 8-byte word holds seq mixed with its
 * word index, the last one ~seq, so a torn or shifted element shows. */
static inline void elem_fill(void *e, size_t es, uint64_t seq)
{
	uint64_t *w = e;
	size_t n = es / 8;

	for (size_t i = 0; i + 1 < n; i++)
		w[i] = seq ^ ((uint64_t)i << 40);
	w[n - 1] = ~seq;
}

/* The seq of a whole element, or -1 when it is not one. */
static inline int64_t elem_seq(const void *e, size_t es)
{
	const uint64_t *w = e;
	size_t n = es / 8;
	uint64_t seq = ~w[n - 1];

	for (size_t i = 0; i + 1 < n; i++)
		if (w[i] != (seq ^ ((uint64_t)i << 40)))
			return -1;
	return (int64_t)seq;
}

static inline bool elem_is(const void *e, size_t es, uint64_t seq)
{
	return elem_seq(e, es) == (int64_t)seq;
}

#endif /* PAR_RING_TEST_H */
