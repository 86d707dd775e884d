/* A deterministic byte pattern for the segment tests and their exec'd peer:
 * fill a data area from a seed, and check one. */
#ifndef PAR_TEST_SEG_PATTERN_H
#define PAR_TEST_SEG_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t seg_next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static inline void seg_fill(void *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)seg_next(&x);
}

/* 1 when p holds the pattern of seed. */
static inline int seg_check(const void *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != (uint8_t)seg_next(&x))
			return 0;
	return 1;
}

#endif /* PAR_TEST_SEG_PATTERN_H */
