/* Internals shared by core/ files (and later modules): not installed. */
#ifndef PAR_CORE_IMPL_H
#define PAR_CORE_IMPL_H

#include <par/core.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read an options field only when the caller's struct is new enough to have
 * it (opts carry their own size), else take the default. */
#define PAR__OPT(o, field, dflt)                                                              \
	(((o) != NULL && (o)->size >= offsetof(__typeof__(*(o)), field) + sizeof((o)->field)) \
		 ? (o)->field                                                                 \
		 : (dflt))

/* Options structs must at least carry a plausible size. */
#define PAR__OPTS_BAD(o) ((o) != NULL && (o)->size < sizeof(size_t))

#if defined(__SANITIZE_THREAD__)
#define PAR__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PAR__TSAN 1
#endif
#endif

/* A memory fence. GCC refuses fences under ThreadSanitizer, which does not
 * model them: there a relaxed RMW on the thread's own word stands in (a
 * locked instruction, a full barrier on x86, and no happens-before edge that
 * could hide a race from TSan). */
#ifdef PAR__TSAN
extern __thread uint32_t par__fence_word;
#define PAR__FENCE(order) ((void)__atomic_fetch_add(&par__fence_word, 0, __ATOMIC_RELAXED))
#else
#define PAR__FENCE(order) __atomic_thread_fence(order)
#endif

/* timespec for an absolute CLOCK_MONOTONIC deadline in ns. */
struct timespec par__timespec(int64_t ns);

/* An anonymous MAP_SHARED mapping of size bytes, inherited across fork.
 * 0 and *out, or -ENOMEM. */
int par__shared_alloc(size_t size, void **out);
void par__shared_free(void *p, size_t size);

/* Wait for child pid to end before deadline and reap it. 0 and *status (the
 * waitid siginfo reduced to a wait status), -ETIMEDOUT (deadline passed, also
 * for a deadline of "now"), -ECHILD. Uses a pidfd where the kernel has one,
 * else polls with a growing sleep. */
int par__child_wait(pid_t pid, int64_t deadline, int *status);

/* One pause in a spin loop: tell the CPU we wait (x86 PAUSE, Arm YIELD). */
static inline void par__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Fill a par_exit from a wait status. */
struct par_exit;
void par__exit_from_status(int status, struct par_exit *st);

#endif /* PAR_CORE_IMPL_H */
