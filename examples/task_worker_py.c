/* A C worker for the classic *Python* master (task_master.py: a
 * BaseManager on port 5000 with authkey b'abc' serving get_task_queue and
 * get_result_queue). It takes the ints the master put, squares them and
 * puts the string "N * N = M" back, until the task queue stays empty for a
 * second or the master goes away. Run several at once, beside Python
 * workers if you like.
 *
 * Python:  QueueManager.register('get_task_queue')
 *          m = QueueManager(address=(server_addr, 5000), authkey=b'abc')
 *          m.connect(); task = m.get_task_queue()
 *          n = task.get(timeout=1); r = '%d * %d = %d' % (n, n, n*n)
 *          result.put(r)
 *
 *   task_worker_py [--connect HOST:PORT] [--authkey-file FILE]
 *
 * Defaults: 127.0.0.1:5000 and the key in $PAR_AUTHKEY (the classic
 * master's b'abc', with a warning, when it is unset).
 */
#include <par/python.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define CLASSIC_KEY "abc"
#define SEC 1000000000LL

static int load_key(const char *file, struct par_authkey *key)
{
	int r = file ? par_authkey_from_file(file, key) : par_authkey_from_env("PAR_AUTHKEY", key);

	if (r == -ENOENT && file == NULL) {
		fprintf(stderr, "warning: PAR_AUTHKEY is not set: using the classic key\n");
		r = par_authkey_set(key, CLASSIC_KEY, strlen(CLASSIC_KEY));
	}
	if (r != 0)
		fprintf(stderr, "authkey: %s\n", par_strerror(r));
	return r;
}

/* Connect, retrying for a few seconds while the master is not up yet. */
static int connect_retry(const char *addr, const struct par_authkey *key, struct par_pymanager **m)
{
	int r = -ECONNREFUSED;

	for (int i = 0; i < 50 && (r == -ECONNREFUSED || r == -EPIPE); i++) {
		r = par_pymanager_connect(addr, key, NULL, m);
		if (r != 0)
			par_sleep_ns(SEC / 10);
	}
	return r;
}

static int work(struct par_pyqueue *task, struct par_pyqueue *result)
{
	char out[128];
	struct par_py *n;

	for (;;) {
		int r = par_pyqueue_get(task, &n, SEC);
		if (r == -ETIMEDOUT || r == -EAGAIN) {
			printf("task queue is empty.\n");
			return 0;
		}
		if (r == -EPIPE) {
			printf("the master has gone.\n");
			return 0;
		}
		if (r != 0)
			return r;
		if (n->type != PAR_PY_INT) {
			fprintf(stderr, "not an int: skipped\n");
			par_py_free(n);
			continue;
		}
		long long v = n->i;
		par_py_free(n);
		printf("run task %lld * %lld...\n", v, v);
		fflush(stdout);
		int k = snprintf(out, sizeof(out), "%lld * %lld = %lld", v, v, v * v);
		struct par_py s = par_py_str(out, (size_t)k);
		par_sleep_ns(SEC / 20);
		r = par_pyqueue_put(result, &s, PAR_FOREVER);
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
	struct par_pymanager *m = NULL;
	struct par_pyqueue *task = NULL, *result = NULL;
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
	int r = connect_retry(addr, &key, &m);
	par_authkey_clear(&key);
	if (r == 0)
		r = par_pymanager_queue(m, "get_task_queue", &task);
	if (r == 0)
		r = par_pymanager_queue(m, "get_result_queue", &result);
	if (r == 0)
		r = work(task, result);
	if (r != 0)
		fprintf(stderr, "worker: %s\n", par_strerror(r));
	par_pyqueue_close(task);
	par_pyqueue_close(result);
	par_pymanager_close(m);
	printf("worker exit.\n");
	return r == 0 ? 0 : 1;
}
