/* An unrelated program on the other end of a ring, for the exec tests:
 *   ring_peer NAME|fd:N produce|consume COUNT
 * opens the ring by name (or inherited descriptor) and enqueues / dequeues
 * COUNT elements numbered 0.. (every 8-byte word seq ^ (i << 40), the last
 * ~seq), checking each. Exit 0 on success; 2 bad usage, 3 open failed,
 * 4 an operation failed, 5 a wrong element. */
#include <par/ring.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT ((int64_t)10 * 1000000000)

static void fill(uint64_t *w, size_t n, uint64_t seq)
{
	for (size_t i = 0; i + 1 < n; i++)
		w[i] = seq ^ ((uint64_t)i << 40);
	w[n - 1] = ~seq;
}

static int check(const uint64_t *w, size_t n, uint64_t seq)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (w[i] != (seq ^ ((uint64_t)i << 40)))
			return 0;
	return w[n - 1] == ~seq;
}

int main(int argc, char **argv)
{
	struct par_ring *r;

	if (argc != 4)
		return 2;
	int rc = strncmp(argv[1], "fd:", 3) == 0 ? par_ring_open_fd(atoi(argv[1] + 3), &r)
						 : par_ring_open(argv[1], &r);
	if (rc != 0) {
		fprintf(stderr, "ring_peer: open %s: %s\n", argv[1], par_strerror(rc));
		return 3;
	}
	int produce = strcmp(argv[2], "produce") == 0;
	uint64_t count = strtoull(argv[3], NULL, 0);
	size_t n = par_ring_elem_size(r) / 8;
	uint64_t *w = malloc(n * 8);

	for (uint64_t seq = 0; seq < count; seq++) {
		if (produce) {
			fill(w, n, seq);
			rc = par_ring_enqueue_wait(r, w, TIMEOUT);
		} else {
			rc = par_ring_dequeue_wait(r, w, TIMEOUT);
		}
		if (rc != 0)
			return 4;
		if (!produce && !check(w, n, seq))
			return 5;
	}
	free(w);
	return par_ring_close(r) == 0 ? 0 : 4;
}
