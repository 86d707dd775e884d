/* Peer for the queue and pipe tests, run by exec so that it shares nothing
 * with the test but the queue's name:
 *   queue_peer produce NAME P FIRST COUNT   open queue NAME, put messages
 *                                           FIRST..FIRST+COUNT-1 of producer P
 *                                           (queue_msg.h)
 *   queue_peer echo NAME END COUNT          open end END of pipe NAME, send
 *                                           back each of COUNT messages
 * Exits 0, 2 (bad arguments), 3 (open failed), 4 (a put, send or receive
 * failed), 5 (no memory). Every wait is bounded (30 s). */
#include "queue_msg.h"

#include <par/queue.h>

#include <stdlib.h>
#include <string.h>

#define PEER_WAIT ((int64_t)30 * 1000000000)

static int produce(const char *name, uint32_t p, uint32_t first, uint32_t count)
{
	struct par_queue *q;
	struct par_queue_stats st;

	if (par_queue_open(name, &q) < 0)
		return 3;
	size_t max = par_queue_max_msg(q), inl = 112;
	unsigned char *buf = malloc(max);
	int r = buf == NULL ? 5 : 0;
	if (par_queue_get_stats(q, &st) == 0 && st.participants == 0)
		r = 4; /* we are one */
	for (uint32_t seq = first; r == 0 && seq < first + count; seq++) {
		size_t len = qm_len(p, seq, inl, max);
		qm_make(buf, p, seq, len);
		if (par_queue_put(q, buf, len, PEER_WAIT) != 0)
			r = 4;
	}
	free(buf);
	par_queue_close(q);
	return r;
}

static int echo(const char *name, int end, uint32_t count)
{
	struct par_pipe *p;
	char buf[65536];

	if (par_pipe_open(name, end, &p) < 0)
		return 3;
	int r = 0;
	for (uint32_t i = 0; r == 0 && i < count; i++) {
		ssize_t n = par_pipe_recv(p, buf, sizeof(buf), PEER_WAIT);
		if (n < 0 || par_pipe_send(p, buf, (size_t)n, PEER_WAIT) != 0)
			r = 4;
	}
	par_pipe_close(p);
	return r;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], (uint32_t)atoi(argv[3]),
			       (uint32_t)strtoul(argv[4], NULL, 10),
			       (uint32_t)strtoul(argv[5], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "echo") == 0)
		return echo(argv[2], atoi(argv[3]), (uint32_t)strtoul(argv[4], NULL, 10));
	return 2;
}
