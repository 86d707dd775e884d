/* Start a child process running a C function, and join it.
 *
 * Python:  p = Process(target=run_proc, args=('test',)); p.start(); p.join()
 */
#include <par/process.h>

#include <stdio.h>
#include <unistd.h>

static int run_proc(void *arg)
{
	const char *name = arg;

	printf("Run child process %s (%d)...\n", name, (int)getpid());
	return 0; /* the child's exit code */
}

int main(void)
{
	struct par_process *p;
	struct par_exit st;
	int err;

	printf("Parent process %d.\n", (int)getpid());
	printf("Child process will start.\n");
	err = par_process_start(run_proc, "test", NULL, &p);
	if (err < 0) {
		fprintf(stderr, "start: %s\n", par_strerror(err));
		return 1;
	}
	err = par_process_join(p, PAR_FOREVER, &st);
	if (err < 0) {
		fprintf(stderr, "join: %s\n", par_strerror(err));
		return 1;
	}
	printf("Child process %d end, exit code %d.\n", (int)par_process_pid(p), st.code);
	par_process_destroy(p);
	return st.code;
}
