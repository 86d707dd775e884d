/* Test peer for the subprocess tests.
 *   bigio gen N   writes N pattern bytes (stream 0) to stdout and N (stream 1)
 *                 to stderr, interleaved in chunks of varying size
 *   bigio tee     copies stdin to both stdout and stderr until EOF
 * Exits 0, or 1 on a write or read error. */
#include "pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int gen(size_t total)
{
	static const size_t sizes[] = { 4093, 65536, 1, 100003, 777, 131072 };
	static unsigned char chunk[131072];
	size_t done[2] = { 0, 0 };

	for (unsigned k = 0; done[0] < total || done[1] < total; k++) {
		unsigned s = k & 1;
		size_t n = sizes[k % 6];
		if (n > total - done[s])
			n = total - done[s];
		for (size_t i = 0; i < n; i++)
			chunk[i] = par_pattern(done[s] + i, s);
		if (write_all(s == 0 ? 1 : 2, chunk, n) < 0)
			return 1;
		done[s] += n;
	}
	return 0;
}

static int tee(void)
{
	static unsigned char buf[65536];

	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 1;
		if (n == 0)
			return 0;
		if (write_all(1, buf, (size_t)n) < 0 || write_all(2, buf, (size_t)n) < 0)
			return 1;
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		return gen(strtoull(argv[2], NULL, 10));
	if (argc == 2 && strcmp(argv[1], "tee") == 0)
		return tee();
	return 2;
}
