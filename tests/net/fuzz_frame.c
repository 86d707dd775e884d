/* Fuzz target for the native codec's parser and decoders (net/frame.c):
 * libFuzzer drives LLVMFuzzerTestOneInput when built with clang
 * -fsanitize=fuzzer; otherwise main() replays the files (or folders of
 * files) it is given, so the seed corpus is a regression test under any
 * compiler.
 *
 * Each input is read as a stream of frames, whole and in pieces split where
 * its first byte says, under the pre-authentication and the full payload
 * limits; every frame goes through every decoder. The two readings must
 * agree, and no decoder may read outside the input (ASan watches). */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void decode_all(const struct par__frame *f)
{
	struct par__req r;
	struct par__ans a;
	struct par_manager_stats st;
	struct par_manager_queue_info qs[4];
	uint8_t x[PAR__NONCE], y[PAR__NONCE];
	const char *why = NULL;
	int e;

	if (par__req_decode(f, 1u << 20, &r, &why) == 0 && (r.type == PAR__T_PUT_MANY)) {
		const uint8_t *p = r.data, *m;
		size_t left = r.len;
		uint32_t len, n = 0;
		while (par__records_next(&p, &left, &m, &len))
			n++;
		if (n != r.n || left != 0)
			abort();
	}
	if (par__ans_decode(f, &a, &why) == 0 && a.type == PAR__T_STATUS && a.status == 0)
		par__status_decode(a.data, a.len, &st, qs, 4);
	par__hello_decode(f, x, &why);
	par__auth_decode(f, x, y, &why);
	par__auth_ok_decode(f, x, &why);
	par__fail_decode(f, &e, &why);
	par__status_decode(f->payload, f->len, &st, qs, 4);
}

/* Frames in data[0..n) read whole: how many before need-more (or -1 - that
 * count on an error). */
static long read_whole(const uint8_t *data, size_t n, uint32_t max)
{
	struct par__frame f;
	const char *why = NULL;
	size_t used = 0;
	long count = 0;

	for (;;) {
		ssize_t k = par__frame_parse(data + used, n - used, max, &f, &why);
		if (k < 0)
			return -1 - count;
		if (k == 0)
			return count;
		if ((size_t)k > n - used || why != NULL)
			abort();
		decode_all(&f);
		used += (size_t)k;
		count++;
	}
}

/* The same, fed in pieces of step bytes through an assembly buffer, as the
 * server does. */
static long read_pieces(const uint8_t *data, size_t n, uint32_t max, size_t step)
{
	uint8_t *buf = malloc(n ? n : 1);
	size_t have = 0, off = 0;
	long count = 0;

	for (size_t fed = 0; fed < n;) {
		size_t k = step < n - fed ? step : n - fed;
		memcpy(buf + have, data + fed, k);
		have += k;
		fed += k;
		for (;;) {
			struct par__frame f;
			const char *why = NULL;
			ssize_t r = par__frame_parse(buf + off, have - off, max, &f, &why);
			if (r < 0) {
				free(buf);
				return -1 - count;
			}
			if (r == 0)
				break;
			off += (size_t)r;
			count++;
		}
	}
	free(buf);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	size_t step = n > 0 ? (size_t)data[0] % 17 + 1 : 1;
	static const uint32_t limits[] = { PAR__PREAUTH_MAX, (1u << 20) + 64, PAR_NET_PAYLOAD_MAX };

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (read_whole(data, n, limits[i]) != read_pieces(data, n, limits[i], step))
			abort();
	return 0;
}

#define PAR_FUZZ_NAME "fuzz_frame"
#include "fuzz_replay.h"
