/* A program outside the par tree, built against an installed par. It uses a
 * shared Value from a forked Process and a named Thread, and prints one line
 * the install test checks. */
#include <par/par.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int add_one(void *arg)
{
	return par_value_add(arg, 1, NULL) == 0 ? 0 : 1;
}

int main(void)
{
	struct par_value *v;
	struct par_process *p;
	struct par_thread *t;
	struct par_exit st;
	int rc = 1;

	if (par_value_create(41, &v) < 0 || par_process_start(add_one, v, NULL, &p) < 0)
		return 1;
	if (par_process_join(p, 10 * (int64_t)1000000000, &st) < 0 || st.code != 0)
		return 1;
	par_process_destroy(p);
	if (par_thread_start(add_one, v, NULL, &t) < 0 ||
	    par_thread_join(t, 10 * (int64_t)1000000000, &rc) < 0 || rc != 0)
		return 1;
	par_thread_destroy(t);
	printf("par %s value %lld %s\n", par_version(), (long long)par_value_load(v),
	       par_strerror(-ETIMEDOUT));
	par_value_destroy(v);
	return 0;
}
