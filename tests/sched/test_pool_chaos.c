/* Process workers killed at random while tasks flow: every future resolves,
 * each either with its correct result or -EOWNERDEAD, and the counts add up.
 * Nothing may hang: every wait is bounded. */
#include "par_test.h"

#include <par/pool.h>

#include <stdatomic.h>

#define N 3000
#define WORKERS 2

static _Atomic int *worker_pid; /* [WORKERS], shared with the workers */

static int work(const void *arg, size_t len, struct par_task_out *out)
{
	struct par_self_info me;
	int64_t x;

	if (len != sizeof(x) || par_self(&me) != 0)
		return -EINVAL;
	atomic_store(&worker_pid[me.worker], (int)getpid());
	memcpy(&x, arg, sizeof(x));
	par_sleep_ns((x % 7) * 20000); /* 0..120 us */
	x = x * 3 + 1;
	return par_task_out_set(out, &x, sizeof(x));
}

/* 1 when pid is a child of ours (a pool worker), so we never kill a stranger. */
static int is_our_child(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	int ppid = 0;
	char state = 0;
	return p != NULL && sscanf(p + 2, "%c %d", &state, &ppid) == 2 && ppid == getpid() &&
	       state != 'Z';
}

static void random_kills_never_hang(void **state)
{
	struct par_pool_opts o;
	struct par_pool *p = NULL;
	struct par_future **f = calloc(N, sizeof(*f));
	int kills = 0, dead = 0;

	(void)state;
	worker_pid = par_test_shared(sizeof(int) * WORKERS);
	srand(12345);
	par_pool_opts_init(&o);
	o.kind = PAR_POOL_PROCESSES;
	o.workers = WORKERS;
	assert_int_equal(par_pool_create(&o, &p), 0);
	for (int64_t i = 0; i < N; i++) {
		assert_int_equal(par_pool_submit(p, work, &i, sizeof(i), &f[i]), 0);
		if (i % 100 == 99) { /* every 100 submits, kill a worker at random */
			par_sleep_ns((rand() % 2000) * 1000);
			int pid = atomic_load(&worker_pid[rand() % WORKERS]);
			if (pid > 0 && is_our_child(pid) && kill(pid, SIGKILL) == 0)
				kills++;
		}
	}
	for (int64_t i = 0; i < N; i++) {
		assert_int_equal(par_future_wait(f[i], 60 * PAR_TEST_SEC), 0);
		int st = par_future_status(f[i]);
		if (st == -EOWNERDEAD) {
			dead++;
		} else {
			int64_t v;
			size_t len;
			assert_int_equal(st, 0);
			memcpy(&v, par_future_result(f[i], &len), sizeof(v));
			assert_true(v == i * 3 + 1);
		}
		par_future_destroy(f[i]);
	}
	struct par_pool_stats st;
	par_pool_get_stats(p, &st);
	assert_true(kills > 0);
	assert_true(dead <= kills); /* a kill fails at most the task it hit */
	assert_true(st.crashed == (uint64_t)dead && st.completed == (uint64_t)(N - dead));
	assert_true(st.workers_replaced >= (uint64_t)dead);
	print_message("%d kills, %d tasks failed, %llu workers replaced\n", kills, dead,
		      (unsigned long long)st.workers_replaced);
	assert_int_equal(par_pool_close(p), 0);
	assert_int_equal(par_pool_join(p, 30 * PAR_TEST_SEC), 0);
	par_pool_destroy(p);
	par_test_unshare((void *)worker_pid, sizeof(int) * WORKERS);
	free(f);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(random_kills_never_hang),
};

PAR_TEST_MAIN(tests)
