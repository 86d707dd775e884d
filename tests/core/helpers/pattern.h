/* A byte pattern with no short period, so a lost, doubled or shifted chunk
 * shows: byte i of stream s. Shared by par_test_bigio and its tests. */
#ifndef PAR_TEST_PATTERN_H
#define PAR_TEST_PATTERN_H

#include <stdint.h>

static inline unsigned char par_pattern(uint64_t i, unsigned s)
{
	uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ (s + 1) * 0xD1B54A32D192ED03ull;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	return (unsigned char)(x ^ (x >> 32));
}

#endif
