/* Futures, task execution (single tasks and map chunks), par_self. */
#include "pool_impl.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct par_future *par__future_new(uint64_t id)
{
	struct par_future *f = calloc(1, sizeof(*f));
	if (f != NULL) {
		f->refs = 2; /* the user's and the pool's */
		f->id = id;
		f->status = -EAGAIN;
	}
	return f;
}

static void future_unref(struct par_future *f)
{
	/* acq_rel: the last holder sees every write of the others before freeing */
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(f->result);
		free(f);
	}
}

void par__future_resolve(struct par_pool *p, struct par_future *f, int status, const void *result,
			 size_t len)
{
	uint64_t *counter = status == -EOWNERDEAD  ? &p->stats.crashed
			    : status == -ECANCELED ? &p->stats.cancelled
						   : &p->stats.completed;

	f->status = status;
	if (len > 0 && (f->result = malloc(len)) != NULL) {
		memcpy(f->result, result, len);
		f->len = len;
	}
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
	/* release: pairs with the acquire loads of state in wait/done/status */
	uint32_t old = __atomic_fetch_or(&f->state, PAR__FUT_DONE, __ATOMIC_ACQ_REL);
	if (old & PAR__FUT_WAITERS)
		par_futex_wake(&f->state, -1);
	future_unref(f);
}

/* How long a waiter polls before it sleeps: a task's result often lands
 * within a microsecond or two, and a futex sleep plus wake costs more. */
#define FUTURE_SPIN_NS 3000

/* The clock is read only once a first round of looks found it not done:
 * a wait for a task that is done already costs no clock read. */
static int spin_until_done(const struct par_future *f)
{
	int64_t until = 0;

	do {
		for (int i = 0; i < 32; i++) {
			/* acquire: pairs with the release in par__future_resolve */
			if (__atomic_load_n(&f->state, __ATOMIC_ACQUIRE) & PAR__FUT_DONE)
				return 1;
			par__cpu_relax();
		}
		if (until == 0)
			until = par_now_ns() + FUTURE_SPIN_NS;
	} while (par_now_ns() < until);
	return 0;
}

int par_future_wait(struct par_future *f, int64_t timeout_ns)
{
	if (f == NULL)
		return -EINVAL;
	/* acquire: pairs with the release in par__future_resolve */
	if (__atomic_load_n(&f->state, __ATOMIC_ACQUIRE) & PAR__FUT_DONE)
		return 0;
	int64_t deadline = par_deadline(timeout_ns);
	if (timeout_ns != 0 && spin_until_done(f))
		return 0;
	for (;;) {
		/* acquire: pairs with the release in par__future_resolve */
		uint32_t s = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);
		if (s & PAR__FUT_DONE)
			return 0;
		if (timeout_ns == 0)
			return -EAGAIN;
		if (!(s & PAR__FUT_WAITERS) &&
		    !__atomic_compare_exchange_n(&f->state, &s, s | PAR__FUT_WAITERS, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		if (par_futex_wait_until(&f->state, s | PAR__FUT_WAITERS, deadline) == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

int par_future_done(const struct par_future *f)
{
	return f != NULL && (__atomic_load_n(&f->state, __ATOMIC_ACQUIRE) & PAR__FUT_DONE);
}

int par_future_status(const struct par_future *f)
{
	if (f == NULL)
		return -EINVAL;
	return par_future_done(f) ? f->status : -EAGAIN;
}

const void *par_future_result(const struct par_future *f, size_t *len)
{
	if (f == NULL || !par_future_done(f)) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = f->len;
	return f->result;
}

void par_future_destroy(struct par_future *f)
{
	if (f != NULL)
		future_unref(f);
}

int par_task_out_set(struct par_task_out *out, const void *data, size_t len)
{
	if (out == NULL || (data == NULL && len > 0))
		return -EINVAL;
	if (len > out->cap)
		return -EMSGSIZE;
	if (len > 0)
		memcpy(out->data, data, len);
	out->len = len;
	return 0;
}

/* A chunk's argument: u32 count, count x u32 lengths, then the inputs back to
 * back. Its result: for each input, i32 status, u32 length, bytes. */
static int run_chunk(par_task_fn fn, const unsigned char *arg, size_t arg_len,
		     struct par_task_out *out)
{
	uint32_t count, len;
	size_t at = 0, in_at;

	if (arg_len < 4)
		return -EPROTO;
	memcpy(&count, arg, 4);
	in_at = 4 + (size_t)count * 4;
	if (in_at > arg_len)
		return -EPROTO;
	for (uint32_t i = 0; i < count; i++) {
		memcpy(&len, arg + 4 + 4 * (size_t)i, 4);
		if (in_at + len > arg_len || at + 8 > out->cap)
			return -EMSGSIZE;
		struct par_task_out one = { (unsigned char *)out->data + at + 8, out->cap - at - 8,
					    0 };
		int32_t st = fn(arg + in_at, len, &one);
		uint32_t olen = (uint32_t)(one.len <= one.cap ? one.len : 0);
		memcpy((unsigned char *)out->data + at, &st, 4);
		memcpy((unsigned char *)out->data + at + 4, &olen, 4);
		at += 8 + olen;
		in_at += len;
	}
	out->len = at;
	return 0;
}

int par__task_run(const struct par__task_msg *m, const void *arg, struct par_task_out *out)
{
	out->len = 0;
	if (m->flags & PAR__TASK_CHUNK)
		return run_chunk(m->fn, arg, m->arg_len, out);
	int st = m->fn(arg, m->arg_len, out);
	if (out->len > out->cap)
		out->len = 0;
	return st;
}

static __thread struct par_self_info self_info;
static __thread int self_set;

void par__self_set(unsigned worker, int numa_node, enum par_pool_kind kind)
{
	self_info =
		(struct par_self_info){ .worker = worker, .numa_node = numa_node, .kind = kind };
	self_set = 1;
}

int par_self(struct par_self_info *out)
{
	if (out == NULL)
		return -EINVAL;
	if (!self_set)
		return -ESRCH;
	*out = self_info;
	out->cpu = sched_getcpu();
	return 0;
}
