/* Value: an int64 beside its own Lock. load/store are lock-free atomics; add
 * and compound updates through par_value_lock() take the lock. */
#include "sync_impl.h"

#include <errno.h>

static int value_live(const struct par_value *v)
{
	return v != NULL && par__sync_live(v, &v->magic, PAR__VALUE_MAGIC);
}

size_t par_value_memsize(void)
{
	return sizeof(struct par_value);
}

int par_value_init(void *mem, int64_t initial, struct par_value **out)
{
	struct par_lock *l;

	if (!par__sync_aligned(mem) || out == NULL)
		return -EINVAL;
	struct par_value *v = mem;
	int r = par_lock_init(&v->lock, NULL, &l);
	if (r != 0)
		return r;
	v->x = initial;
	/* release: pairs with the acquire load of the magic in par__sync_live */
	__atomic_store_n(&v->magic, PAR__VALUE_MAGIC, __ATOMIC_RELEASE);
	*out = v;
	return 0;
}

int par_value_fini(struct par_value *v)
{
	if (!value_live(v))
		return -EINVAL;
	int r = par__lock_idle(&v->lock, 1); /* one word: a death cannot tear it */
	if (r != 0)
		return r;
	__atomic_store_n(&v->magic, 0, __ATOMIC_RELAXED);
	return par_lock_fini(&v->lock);
}

int par_value_create(int64_t initial, struct par_value **out)
{
	void *mem;

	if (out == NULL)
		return -EINVAL;
	int r = par__shared_alloc(sizeof(struct par_value), &mem);
	if (r != 0)
		return r;
	r = par_value_init(mem, initial, out);
	if (r != 0)
		par__shared_free(mem, sizeof(struct par_value));
	return r;
}

int par_value_destroy(struct par_value *v)
{
	if (!value_live(v) || ((uintptr_t)v & 4095) != 0)
		return -EINVAL;
	int r = par__lock_idle(&v->lock, 1); /* one word: a death cannot tear it */
	if (r != 0)
		return r;
	par__shared_free(v, sizeof(*v)); /* other processes may still use their mapping */
	return 0;
}

/* Relaxed: the value orders nothing else. Whoever needs "the value and what it
 * stands for" takes the lock, whose acquire/release orders them. */
int64_t par_value_load(const struct par_value *v)
{
	return value_live(v) ? __atomic_load_n(&v->x, __ATOMIC_RELAXED) : 0;
}

void par_value_store(struct par_value *v, int64_t x)
{
	if (value_live(v))
		__atomic_store_n(&v->x, x, __ATOMIC_RELAXED); /* relaxed: see par_value_load */
}

int par_value_add(struct par_value *v, int64_t delta, int64_t *result)
{
	if (!value_live(v))
		return -EINVAL;
	int r = par_lock_acquire(&v->lock, PAR_FOREVER);
	if (r == -EOWNERDEAD) {
		r = par_lock_consistent(&v->lock); /* one word: a death cannot tear it */
		if (r != 0)
			par_lock_release(&v->lock);
	}
	if (r != 0)
		return r;
	/* under the lock, so a compound update through par_value_lock() never
	 * interleaves; atomic, so lock-free loads and stores never tear. Wraps
	 * like two's complement instead of overflowing. */
	uint64_t x = (uint64_t)__atomic_load_n(&v->x, __ATOMIC_RELAXED) + (uint64_t)delta;
	__atomic_store_n(&v->x, (int64_t)x, __ATOMIC_RELAXED);
	par_lock_release(&v->lock);
	if (result != NULL)
		*result = (int64_t)x;
	return 0;
}

struct par_lock *par_value_lock(struct par_value *v)
{
	return value_live(v) ? &v->lock : NULL;
}
