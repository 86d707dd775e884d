/* A worker of the distributed task queue: it connects to task_master, takes
 * numbers from the task queue, squares them and puts "N * N = M" on the
 * result queue, until the task queue stays empty for a second. Run several
 * at once.
 *
 * Python:  QueueManager.register('get_task_queue')
 *          m = QueueManager(address=(server_addr, 5000), authkey=b'abc')
 *          m.connect(); task = m.get_task_queue()
 *          n = task.get(timeout=1); r = '%d * %d = %d' % (n, n, n*n)
 *          result.put(r)
 *
 *   task_worker [--connect HOST:PORT] [--authkey-file FILE]
 *
 * Defaults: 127.0.0.1:5000 and the key in $PAR_AUTHKEY (a fixed demo key,
 * with a warning, when it is unset).
 */
#include <par/manager.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_KEY "par-demo-authkey"
#define SEC 1000000000LL

static int load_key(const char *file, struct par_authkey *key)
{
	int r = file ? par_authkey_from_file(file, key) : par_authkey_from_env("PAR_AUTHKEY", key);

	if (r == -ENOENT && file == NULL) {
		fprintf(stderr, "warning: PAR_AUTHKEY is not set: using the demo key\n");
		r = par_authkey_set(key, DEMO_KEY, strlen(DEMO_KEY));
	}
	if (r != 0)
		fprintf(stderr, "authkey: %s\n", par_strerror(r));
	return r;
}

/* Connect, retrying for a few seconds while the master is not up yet. */
static int connect_retry(const char *addr, const struct par_authkey *key, struct par_client **c)
{
	int r = -ECONNREFUSED;

	for (int i = 0; i < 50 && (r == -ECONNREFUSED || r == -EPIPE); i++) {
		r = par_client_connect(addr, key, NULL, c);
		if (r != 0)
			par_sleep_ns(SEC / 10);
	}
	return r;
}

static int work(struct par_rqueue *task, struct par_rqueue *result)
{
	char out[128];
	int n;

	for (;;) {
		ssize_t len = par_rqueue_get(task, &n, sizeof(n), SEC);
		if (len == -ETIMEDOUT || len == -EAGAIN) {
			printf("task queue is empty.\n");
			return 0;
		}
		if (len == -EPIPE) {
			printf("the master has gone.\n");
			return 0;
		}
		if (len != sizeof(n))
			return len < 0 ? (int)len : -EPROTO;
		printf("run task %d * %d...\n", n, n);
		fflush(stdout);
		int k = snprintf(out, sizeof(out), "%d * %d = %lld", n, n, (long long)n * n);
		par_sleep_ns(SEC / 20);
		int r = par_rqueue_put(result, out, (size_t)k, PAR_FOREVER);
		if (r != 0)
			return r;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "connect", required_argument, NULL, 'c' },
					      { "authkey-file", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	const char *addr = "127.0.0.1:5000", *key_file = NULL;
	struct par_authkey key;
	struct par_client *c = NULL;
	struct par_rqueue *task = NULL, *result = NULL;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'c')
			addr = optarg;
		else if (o == 'k')
			key_file = optarg;
		else
			return 2;
	}
	if (load_key(key_file, &key) != 0)
		return 1;
	printf("Connect to server %s...\n", addr);
	int r = connect_retry(addr, &key, &c);
	par_authkey_clear(&key);
	if (r == 0)
		r = par_client_open(c, "tasks", &task);
	if (r == 0)
		r = par_client_open(c, "results", &result);
	if (r == 0)
		r = work(task, result);
	if (r != 0)
		fprintf(stderr, "worker: %s\n", par_strerror(r));
	par_rqueue_close(task);
	par_rqueue_close(result);
	par_client_close(c);
	printf("worker exit.\n");
	return r == 0 ? 0 : 1;
}
