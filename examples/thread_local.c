/* Per-thread data: each thread sees its own "student".
 *
 * Python:  local_school = threading.local()
 *          def process_thread(name): local_school.student = name; process_student()
 *
 * In C this is a _Thread_local variable: one copy per thread, no lock needed.
 */
#include <par/process.h>

#include <stdio.h>

static _Thread_local const char *student;

static void process_student(void)
{
	char name[PAR_THREAD_NAME_MAX + 1];

	par_thread_self_name(name, sizeof(name));
	printf("Hello, %s (in %s)\n", student, name);
}

static int process_thread(void *arg)
{
	student = arg;
	process_student();
	return 0;
}

int main(void)
{
	static const char *names[][2] = { { "Alice", "Thread-A" }, { "Bob", "Thread-B" } };
	struct par_thread *t[2];
	struct par_thread_opts o;

	student = "nobody"; /* main's own copy, untouched by the threads */
	for (int i = 0; i < 2; i++) {
		par_thread_opts_init(&o);
		o.name = names[i][1];
		if (par_thread_start(process_thread, (void *)names[i][0], &o, &t[i]) < 0)
			return 1;
	}
	for (int i = 0; i < 2; i++) {
		par_thread_join(t[i], PAR_FOREVER, NULL);
		par_thread_destroy(t[i]);
	}
	printf("Main thread still sees: %s\n", student);
	return 0;
}
