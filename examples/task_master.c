/* The master of a distributed task queue: it serves a task queue and a
 * result queue on the network, puts ten random numbers as tasks, and prints
 * the results that workers (task_worker) send back.
 *
 * Python:  class QueueManager(BaseManager): pass
 *          QueueManager.register('get_task_queue', callable=lambda: task_queue)
 *          manager = QueueManager(address=('', 5000), authkey=b'abc')
 *          manager.start(); task = manager.get_task_queue()
 *          for i in range(10): task.put(random.randint(0, 10000))
 *          for i in range(10): print('Result: %s' % result.get(timeout=10))
 *
 *   task_master [--listen HOST:PORT] [--authkey-file FILE]
 *
 * Defaults: 127.0.0.1:5000 and the key in $PAR_AUTHKEY (a fixed demo key,
 * with a warning, when it is unset). Start it, then one or more task_worker.
 */
#include <par/manager.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TASKS 10
#define DEMO_KEY "par-demo-authkey"

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

static int run(const char *addr, const struct par_authkey *key)
{
	struct par_client *c = NULL;
	struct par_rqueue *task = NULL, *result = NULL;
	char buf[128];

	/* Like the Python master, go through the network to our own queues. */
	int r = par_client_connect(addr, key, NULL, &c);
	if (r == 0)
		r = par_client_open(c, "tasks", &task);
	if (r == 0)
		r = par_client_open(c, "results", &result);
	srand((unsigned)getpid());
	for (int i = 0; r == 0 && i < TASKS; i++) {
		int n = rand() % 10001;
		printf("Put task %d...\n", n);
		r = par_rqueue_put(task, &n, sizeof(n), PAR_FOREVER);
	}
	if (r == 0)
		printf("Try get results...\n");
	for (int i = 0; r == 0 && i < TASKS; i++) {
		ssize_t len = par_rqueue_get(result, buf, sizeof(buf) - 1, 10 * 1000000000LL);
		if (len < 0) {
			r = (int)len;
			break;
		}
		buf[len] = '\0';
		printf("Result: %s\n", buf);
		fflush(stdout);
	}
	if (r != 0)
		fprintf(stderr, "master: %s\n", par_strerror(r));
	par_rqueue_close(task);
	par_rqueue_close(result);
	par_client_close(c);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "listen", required_argument, NULL, 'l' },
					      { "authkey-file", required_argument, NULL, 'k' },
					      { NULL, 0, NULL, 0 } };
	const char *listen_on = "127.0.0.1:5000", *key_file = NULL;
	struct par_authkey key;
	struct par_manager *m = NULL;
	char addr[128];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			listen_on = optarg;
		else if (c == 'k')
			key_file = optarg;
		else
			return 2;
	}
	if (load_key(key_file, &key) != 0)
		return 1;
	int r = par_manager_create(&key, NULL, &m);
	if (r == 0)
		r = par_manager_add_queue(m, "tasks", NULL);
	if (r == 0)
		r = par_manager_add_queue(m, "results", NULL);
	if (r == 0)
		r = par_manager_listen(m, listen_on);
	if (r == 0)
		r = par_manager_start(m);
	if (r != 0) {
		fprintf(stderr, "master: %s: %s\n", listen_on, par_strerror(r));
		par_manager_destroy(m);
		return 1;
	}
	par_manager_address(m, addr, sizeof(addr));
	printf("Master listening on %s\n", addr);
	fflush(stdout);
	r = run(addr, &key);
	par_manager_destroy(m);
	par_authkey_clear(&key);
	printf("master exit.\n");
	return r == 0 ? 0 : 1;
}
