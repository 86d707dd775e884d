/* Peer for the segment tests, run by exec so it shares nothing with the test
 * but the segment:
 *   segment_peer name NAME SEED   open NAME with par_shm_open
 *   segment_peer fd N SEED        open inherited descriptor N (par_shm_open_fd)
 * then check the data area holds the pattern of SEED and fill it with the
 * pattern of SEED + 1. Exits 0, 2 (bad arguments), 3 (open failed), 4 (the
 * data is not the pattern). */
#include "seg_pattern.h"

#include <par/shm.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct par_shm *s = NULL;
	int r;

	if (argc != 4)
		return 2;
	uint64_t seed = strtoull(argv[3], NULL, 10);
	if (strcmp(argv[1], "name") == 0) {
		r = par_shm_open(argv[2], NULL, &s);
	} else if (strcmp(argv[1], "fd") == 0) {
		int fd = atoi(argv[2]);
		r = par_shm_open_fd(fd, &s);
		close(fd);
	} else {
		return 2;
	}
	if (r < 0)
		return 3;
	if (!seg_check(par_shm_data(s), par_shm_data_size(s), seed)) {
		par_shm_close(s);
		return 4;
	}
	seg_fill(par_shm_data(s), par_shm_data_size(s), seed + 1);
	par_shm_close(s);
	return 0;
}
