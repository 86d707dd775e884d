/* Lock: a process-shared, robust pthread mutex (recursive or error-checking)
 * that also records which thread holds it. */
#include "sync_impl.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the calling thread's kernel id, cached ------------------------------ */

/* gettid() is a system call; the id is cached per thread and forgotten in the
 * child of a fork() (its one thread has a new id but a copy of the parent
 * thread's cache). A child made without running atfork handlers (raw clone,
 * _Fork) would keep the stale id, so the cache is only used once the handler
 * is in place. */
static __thread uint32_t tid_cache;
static pthread_once_t tid_once = PTHREAD_ONCE_INIT;
static int tid_cacheable;

static void tid_forget(void)
{
	tid_cache = 0;
}

static void tid_setup(void)
{
	tid_cacheable = pthread_atfork(NULL, NULL, tid_forget) == 0;
}

static uint32_t self_tid(void)
{
	uint32_t t = tid_cache;

	if (__builtin_expect(t != 0, 1))
		return t;
	pthread_once(&tid_once, tid_setup);
	t = (uint32_t)gettid();
	if (tid_cacheable)
		tid_cache = t;
	return t;
}

/* ---- helpers ------------------------------------------------------------- */

static int lock_live(const struct par_lock *l)
{
	return l != NULL && par__sync_live(l, &l->magic, PAR__LOCK_MAGIC);
}

/* owner is written only by the thread that holds the mutex, and read by
 * others only to ask "is it me?": relaxed, the mutex itself orders the rest. */
static uint32_t owner_of(const struct par_lock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

static void set_owner(struct par_lock *l, uint32_t tid)
{
	__atomic_store_n(&l->owner, tid, __ATOMIC_RELAXED);
}

/* The calling thread (me) has just acquired the mutex; r is 0 or EOWNERDEAD. */
static void took(struct par_lock *l, uint32_t me, int r)
{
	if (r == 0 && owner_of(l) == me) {
		l->depth++; /* a nested acquire of a recursive lock */
		return;
	}
	set_owner(l, me); /* a dead owner's id may still be there: overwrite it */
	l->depth = 1;
}

static int make_mutex(pthread_mutex_t *m, int recursive)
{
	pthread_mutexattr_t a;
	int r = pthread_mutexattr_init(&a);

	if (r != 0)
		return -r;
	r = pthread_mutexattr_settype(&a, recursive ? PTHREAD_MUTEX_RECURSIVE
						    : PTHREAD_MUTEX_ERRORCHECK);
	if (r == 0)
		r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (r == 0)
		r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (r == 0)
		r = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

#ifdef PAR__TSAN /* core_impl.h, through sync_impl.h */
#include <sanitizer/tsan_interface.h>
#endif

/* pthread_mutex_clocklock on CLOCK_MONOTONIC. ThreadSanitizer intercepts
 * lock, trylock and unlock but not clocklock, so it is told about these
 * acquisitions here (else it reports the unlock of a mutex never locked). It
 * has no public way to learn of an EOWNERDEAD hand-over, so one between
 * threads of a process, seen here, shows up as a false "double lock". */
static int clocklock(pthread_mutex_t *m, const struct timespec *abs)
{
#ifdef PAR__TSAN
	__tsan_mutex_pre_lock(m, __tsan_mutex_try_lock);
	int r = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, abs);
	__tsan_mutex_post_lock(
		m,
		__tsan_mutex_try_lock |
			(r == 0 || r == EOWNERDEAD ? 0 : __tsan_mutex_try_lock_failed),
		0);
	return r;
#else
	return pthread_mutex_clocklock(m, CLOCK_MONOTONIC, abs);
#endif
}

/* Take the mutex only if that needs no waiting. Not pthread_mutex_trylock:
 * glibc's (2.36) leaves a robust mutex that is not recoverable locked by the
 * caller after answering ENOTRECOVERABLE, so everyone else would then block on
 * it for good. A deadline in the past does the same try through the lock path,
 * which unlocks properly; glibc answers ETIMEDOUT for a busy mutex without a
 * system call and without marking waiters, and EDEADLK or nests for the
 * owner. */
static int try_lock(pthread_mutex_t *m)
{
	static const struct timespec past = { .tv_sec = -1, .tv_nsec = 0 };
	int r = clocklock(m, &past);

	return r == ETIMEDOUT ? EBUSY : r;
}

/* The caller's own hold is seen through owner: a try by the owner of a
 * recursive mutex would just nest. */
int par__lock_idle(struct par_lock *l, int repair)
{
	if (owner_of(l) == self_tid())
		return -EBUSY;
	int r = try_lock(&l->m);
	if (r == EBUSY)
		return -EBUSY;
	if (r == ENOTRECOVERABLE)
		return 0;
	if (r != 0 && r != EOWNERDEAD)
		return -r;
	if (r == EOWNERDEAD && repair)
		pthread_mutex_consistent(&l->m);
	set_owner(l, 0);
	l->depth = 0;
	pthread_mutex_unlock(&l->m);
	return 0;
}

/* ---- API ----------------------------------------------------------------- */

void par_lock_opts_init(struct par_lock_opts *o)
{
	if (o != NULL)
		*o = (struct par_lock_opts){ .size = sizeof(*o), .recursive = 0 };
}

size_t par_lock_memsize(void)
{
	return sizeof(struct par_lock);
}

int par_lock_init(void *mem, const struct par_lock_opts *opts, struct par_lock **out)
{
	if (!par__sync_aligned(mem) || out == NULL || PAR__OPTS_BAD(opts))
		return -EINVAL;
	int recursive = PAR__OPT(opts, recursive, 0);
	struct par_lock *l = mem;

	memset(l, 0, sizeof(*l));
	int r = make_mutex(&l->m, recursive != 0);
	if (r != 0)
		return r;
	l->recursive = recursive != 0;
	/* release: pairs with the acquire load of the magic in par__sync_live */
	__atomic_store_n(&l->magic, PAR__LOCK_MAGIC, __ATOMIC_RELEASE);
	*out = l;
	return 0;
}

int par_lock_fini(struct par_lock *l)
{
	if (!lock_live(l))
		return -EINVAL;
	int r = par__lock_idle(l, 0);
	if (r != 0)
		return r;
	__atomic_store_n(&l->magic, 0, __ATOMIC_RELAXED); /* no one may use it any more */
	pthread_mutex_destroy(&l->m);
	return 0;
}

int par_lock_create(const struct par_lock_opts *opts, struct par_lock **out)
{
	void *mem;

	if (out == NULL || PAR__OPTS_BAD(opts))
		return -EINVAL;
	int r = par__shared_alloc(sizeof(struct par_lock), &mem);
	if (r != 0)
		return r;
	r = par_lock_init(mem, opts, out);
	if (r != 0)
		par__shared_free(mem, sizeof(struct par_lock));
	return r;
}

int par_lock_destroy(struct par_lock *l)
{
	/* a mapping of its own starts on a page */
	if (!lock_live(l) || ((uintptr_t)l & 4095) != 0)
		return -EINVAL;
	int r = par__lock_idle(l, 0);
	if (r != 0)
		return r;
	par__shared_free(l, sizeof(*l)); /* other processes may still use their mapping */
	return 0;
}

int par_lock_acquire(struct par_lock *l, int64_t timeout_ns)
{
	if (!lock_live(l))
		return -EINVAL;
	uint32_t me = self_tid();
	int r;

	if (timeout_ns == 0) {
		r = try_lock(&l->m);
		if (r == EBUSY)
			return -EAGAIN;
	} else if (timeout_ns < 0) {
		r = pthread_mutex_lock(&l->m);
	} else {
		struct timespec ts = par__timespec(par_deadline(timeout_ns));
		r = clocklock(&l->m, &ts);
	}
	if (r == 0 || r == EOWNERDEAD)
		took(l, me, r);
	return -r;
}

int par_lock_release(struct par_lock *l)
{
	if (!lock_live(l))
		return -EINVAL;
	uint32_t me = self_tid();

	if (owner_of(l) != me)
		return -EPERM;
	uint32_t depth = l->depth;
	if (depth <= 1)
		set_owner(l, 0); /* before unlocking: afterwards owner is the next holder's */
	l->depth = depth > 0 ? depth - 1 : 0;
	int r = pthread_mutex_unlock(&l->m);
	if (r == ENOTRECOVERABLE && depth > 1)
		r = 0; /* glibc counts a nested release before consistent down, but says so */
	if (r != 0) {
		l->depth = depth;
		set_owner(l, me);
	}
	return -r;
}

int par_lock_consistent(struct par_lock *l)
{
	if (!lock_live(l) || owner_of(l) != self_tid())
		return -EINVAL;
	return -pthread_mutex_consistent(&l->m);
}
