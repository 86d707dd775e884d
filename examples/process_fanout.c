/* Fan five tasks out to at most four worker processes, each sleeping a random
 * time, and wait for all of them.
 *
 * Python:  p = Pool(4)
 *          for i in range(5): p.apply_async(long_time_task, args=(i,))
 *          p.close(); p.join()
 *
 * Until par's Pool lands this uses one Process per task; the fifth task starts
 * when the first worker is done. Sleeps are up to 0.5 s rather than 3 s.
 */
#include <par/process.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TASKS 5
#define WORKERS 4

static int long_time_task(void *arg)
{
	int name = (int)(intptr_t)arg;

	printf("Run task %d (%d)...\n", name, (int)getpid());
	fflush(stdout);
	srand((unsigned)getpid());
	int64_t start = par_now_ns();
	par_sleep_ns((int64_t)(rand() % 500) * 1000000);
	printf("Task %d runs %0.2f seconds.\n", name, (double)(par_now_ns() - start) / 1e9);
	return 0;
}

/* Join task i's process; 0 when it exited with code 0. */
static int finish(struct par_process *p)
{
	struct par_exit st;
	int err = par_process_join(p, PAR_FOREVER, &st);

	par_process_destroy(p);
	return err < 0 ? err : st.code;
}

int main(void)
{
	struct par_process *procs[TASKS];
	int failed = 0;

	printf("Parent process %d.\n", (int)getpid());
	for (int i = 0; i < TASKS; i++) {
		if (i >= WORKERS) /* all four busy: wait for the oldest */
			failed |= finish(procs[i - WORKERS]) != 0;
		int err = par_process_start(long_time_task, (void *)(intptr_t)i, NULL, &procs[i]);
		if (err < 0) {
			fprintf(stderr, "start: %s\n", par_strerror(err));
			return 1;
		}
		if (i == WORKERS - 1)
			printf("Waiting for all subprocesses done...\n");
	}
	for (int i = TASKS - WORKERS; i < TASKS; i++)
		failed |= finish(procs[i]) != 0;
	printf("All subprocesses done.\n");
	return failed;
}
