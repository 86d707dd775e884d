/* Fan five tasks out to a pool of four worker processes, each task sleeping a
 * random time, and wait for all of them.
 *
 * Python:  p = Pool(4)
 *          for i in range(5): p.apply_async(long_time_task, args=(i,))
 *          p.close(); p.join()
 *
 * Sleeps are up to 0.5 s rather than 3 s. A task's argument travels as bytes
 * (here the task number); its result comes back as bytes too.
 */
#include <par/pool.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TASKS 5

static int long_time_task(const void *arg, size_t len, struct par_task_out *out)
{
	int name;

	if (len != sizeof(name))
		return -1;
	memcpy(&name, arg, sizeof(name));
	printf("Run task %d (%d)...\n", name, (int)getpid());
	fflush(stdout);
	srand((unsigned)getpid() ^ (unsigned)name);
	int64_t start = par_now_ns();
	par_sleep_ns((int64_t)(rand() % 500) * 1000000);
	double secs = (double)(par_now_ns() - start) / 1e9;
	printf("Task %d runs %0.2f seconds.\n", name, secs);
	fflush(stdout);
	return par_task_out_set(out, &secs, sizeof(secs));
}

int main(void)
{
	struct par_pool_opts o;
	struct par_pool *pool;
	struct par_future *f[TASKS];
	int err;

	printf("Parent process %d.\n", (int)getpid());
	par_pool_opts_init(&o);
	o.kind = PAR_POOL_PROCESSES;
	o.workers = 4;
	if ((err = par_pool_create(&o, &pool)) < 0) {
		fprintf(stderr, "pool: %s\n", par_strerror(err));
		return 1;
	}
	for (int i = 0; i < TASKS; i++)
		if ((err = par_pool_submit(pool, long_time_task, &i, sizeof(i), &f[i])) < 0) {
			fprintf(stderr, "submit: %s\n", par_strerror(err));
			return 1;
		}
	printf("Waiting for all subprocesses done...\n");
	fflush(stdout);
	par_pool_close(pool);
	par_pool_join(pool, PAR_FOREVER);
	int failed = 0;
	for (int i = 0; i < TASKS; i++) {
		failed |= par_future_status(f[i]) != 0;
		par_future_destroy(f[i]);
	}
	par_pool_destroy(pool);
	printf("All subprocesses done.\n");
	return failed;
}
