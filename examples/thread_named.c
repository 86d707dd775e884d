/* A named thread counting to five.
 *
 * Python:  t = threading.Thread(target=loop, name='LoopThread'); t.start(); t.join()
 *
 * The name is the kernel's (see /proc/self/task/TID/comm), read back with
 * par_thread_self_name. Steps are 0.1 s rather than 1 s.
 */
#include <par/process.h>

#include <stdio.h>

static const char *current_name(char *buf, size_t len)
{
	return par_thread_self_name(buf, len) == 0 ? buf : "?";
}

static int loop(void *arg)
{
	char name[PAR_THREAD_NAME_MAX + 1];

	(void)arg;
	printf("thread %s is running...\n", current_name(name, sizeof(name)));
	for (int n = 1; n <= 5; n++) {
		printf("thread %s >>> %d\n", current_name(name, sizeof(name)), n);
		par_sleep_ns(100000000);
	}
	printf("thread %s ended.\n", current_name(name, sizeof(name)));
	return 0;
}

int main(void)
{
	struct par_thread_opts o;
	struct par_thread *t;
	char name[PAR_THREAD_NAME_MAX + 1];
	int err;

	par_thread_set_self_name("MainThread");
	printf("thread %s is running...\n", current_name(name, sizeof(name)));
	par_thread_opts_init(&o);
	o.name = "LoopThread";
	err = par_thread_start(loop, NULL, &o, &t);
	if (err < 0) {
		fprintf(stderr, "thread: %s\n", par_strerror(err));
		return 1;
	}
	par_thread_join(t, PAR_FOREVER, NULL);
	par_thread_destroy(t);
	printf("thread %s ended.\n", current_name(name, sizeof(name)));
	return 0;
}
