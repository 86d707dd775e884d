/* Thread: a named pthread whose result comes back through a timed join. */
#include "core_impl.h"

#include <par/process.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

struct par_thread {
	pthread_t tid;
	par_thread_fn fn;
	void *arg;
	int result;
	uint32_t done; /* 1 once fn has returned and result is set */
	int joined;    /* pthread_join done: the handle may be freed */
	char name[PAR_THREAD_NAME_MAX + 1];
};

void par_thread_opts_init(struct par_thread_opts *o)
{
	if (o != NULL)
		*o = (struct par_thread_opts){ .size = sizeof(*o), .name = "par-thread" };
}

/* Copy name cut to the kernel's 15 bytes. */
static void cut_name(char *dst, const char *name)
{
	size_t n = strnlen(name, PAR_THREAD_NAME_MAX);

	memcpy(dst, name, n);
	dst[n] = '\0';
}

static void *trampoline(void *arg)
{
	struct par_thread *t = arg;

	prctl(PR_SET_NAME, t->name, 0, 0, 0);
	t->result = t->fn(t->arg);
	/* release: pairs with the acquire load of done in par_thread_join */
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	par_futex_wake(&t->done, -1);
	return NULL;
}

static int make_attr(pthread_attr_t *attr, size_t stack_size)
{
	int r = pthread_attr_init(attr);
	if (r != 0)
		return -r;
	if (stack_size != 0 && (r = pthread_attr_setstacksize(attr, stack_size)) != 0) {
		pthread_attr_destroy(attr);
		return -r;
	}
	return 0;
}

int par_thread_start(par_thread_fn fn, void *arg, const struct par_thread_opts *opts,
		     struct par_thread **out)
{
	if (fn == NULL || out == NULL || PAR__OPTS_BAD(opts))
		return -EINVAL;
	const char *name = PAR__OPT(opts, name, NULL);
	pthread_attr_t attr;
	int r = make_attr(&attr, PAR__OPT(opts, stack_size, (size_t)0));
	if (r < 0)
		return r;
	struct par_thread *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		pthread_attr_destroy(&attr);
		return -ENOMEM;
	}
	t->fn = fn;
	t->arg = arg;
	cut_name(t->name, name != NULL ? name : "par-thread");
	r = pthread_create(&t->tid, &attr, trampoline, t);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		free(t);
		return r == EAGAIN ? -EAGAIN : r == EINVAL || r == EPERM ? -r : -ENOMEM;
	}
	*out = t;
	return 0;
}

int par_thread_join(struct par_thread *t, int64_t timeout_ns, int *result)
{
	if (t == NULL)
		return -EINVAL;
	if (!t->joined) {
		if (pthread_equal(t->tid, pthread_self()))
			return -EDEADLK;
		int64_t deadline = par_deadline(timeout_ns);
		/* acquire: pairs with the release store of done in trampoline */
		while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) == 0) {
			if (timeout_ns == 0)
				return -EAGAIN;
			if (par_futex_wait_until(&t->done, 0, deadline) == -ETIMEDOUT)
				return -ETIMEDOUT;
		}
		int r = pthread_join(t->tid, NULL); /* fn has returned: prompt */
		if (r != 0)
			return -r;
		t->joined = 1;
	}
	if (result != NULL)
		*result = t->result;
	return 0;
}

const char *par_thread_name(const struct par_thread *t)
{
	return t == NULL ? NULL : t->name;
}

int par_thread_destroy(struct par_thread *t)
{
	if (t == NULL)
		return 0;
	if (!t->joined)
		return -EBUSY;
	free(t);
	return 0;
}

int par_thread_self_name(char *buf, size_t len)
{
	char name[PAR_THREAD_NAME_MAX + 1] = { 0 };

	if (buf == NULL)
		return -EINVAL;
	if (len < 1)
		return -ERANGE;
	if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0)
		return -errno;
	size_t n = strnlen(name, len - 1);
	memcpy(buf, name, n);
	buf[n] = '\0';
	return 0;
}

int par_thread_set_self_name(const char *name)
{
	char comm[PAR_THREAD_NAME_MAX + 1];

	if (name == NULL)
		return -EINVAL;
	cut_name(comm, name);
	return prctl(PR_SET_NAME, comm, 0, 0, 0) == 0 ? 0 : -errno;
}
