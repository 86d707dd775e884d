/*
 * par/core.h — errors, monotonic time and futexes: the base of every par module.
 *
 * Conventions kept by the whole library (see docs/conventions.md):
 *  - A function returns 0 (or a count) on success and a negative errno value on
 *    failure; it never leaves the answer in errno, never prints, never exits.
 *    par_strerror() turns any such value into text.
 *  - Timeouts at the API are relative nanoseconds: PAR_FOREVER (-1) waits
 *    forever, 0 tries once and returns -EAGAIN instead of waiting, and a
 *    positive value waits at most that long and then returns -ETIMEDOUT.
 *    Inside, they become absolute CLOCK_MONOTONIC deadlines (par_deadline()).
 *  - Objects are opaque handles made by par_<object>_create / _init / _start
 *    and released by _destroy / _fini; options are small structs carrying their
 *    own size, filled with defaults by par_<object>_opts_init().
 *
 * Everything in this header is thread-safe and async-signal-safe except
 * par_strerror's text for unknown codes, which is still thread-safe.
 */
#ifndef PAR_CORE_H
#define PAR_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PAR_API __attribute__((visibility("default")))

#define PAR_VERSION_MAJOR 0
#define PAR_VERSION_MINOR 1
#define PAR_VERSION_PATCH 0

/* "MAJOR.MINOR.PATCH" of the library actually linked. */
PAR_API const char *par_version(void);

/* ---- Errors ------------------------------------------------------------ */

/* Text for a par return value: 0 gives "success", a negative errno value its
 * meaning in par (e.g. -EOWNERDEAD "a peer died while holding the object"),
 * anything else a generic text. Never NULL; the string is static. */
PAR_API const char *par_strerror(int err);

/* ---- Time -------------------------------------------------------------- */

/* Timeout meaning "wait forever". */
#define PAR_FOREVER ((int64_t)-1)
/* Deadline meaning "never". */
#define PAR_NO_DEADLINE INT64_MAX

/* CLOCK_MONOTONIC now, in nanoseconds. */
PAR_API int64_t par_now_ns(void);

/* Absolute deadline for a relative timeout: now + timeout_ns, PAR_NO_DEADLINE
 * for a negative timeout (forever), now for 0. Saturates instead of
 * overflowing. */
PAR_API int64_t par_deadline(int64_t timeout_ns);

/* Nanoseconds left until deadline: 0 once it has passed, PAR_FOREVER for
 * PAR_NO_DEADLINE. */
PAR_API int64_t par_deadline_left(int64_t deadline);

/* Sleep for ns nanoseconds, resuming after signals. 0, or -EINVAL for ns < 0. */
PAR_API int par_sleep_ns(int64_t ns);

/* ---- Futex ------------------------------------------------------------- */
/*
 * Wait and wake on a 32-bit word, which may live in memory shared between
 * processes (a MAP_SHARED mapping, a shm segment): waiters in one process are
 * woken by par_futex_wake in another. The word must be 4-byte aligned and the
 * caller reads and writes it with atomic operations; a wait that returns 0
 * may be spurious, so callers re-check their condition in a loop.
 */

/* Sleep while *word == expected, until woken or the CLOCK_MONOTONIC deadline
 * (PAR_NO_DEADLINE: none) passes. Returns 0 when woken (or spuriously, or by a
 * signal), -EAGAIN if *word != expected on entry, -ETIMEDOUT once the
 * deadline has passed, -EINVAL for a misaligned or NULL word. */
PAR_API int par_futex_wait_until(uint32_t *word, uint32_t expected, int64_t deadline);

/* The same with a relative timeout: PAR_FOREVER, 0 (returns -ETIMEDOUT at once
 * if the word still holds expected) or nanoseconds. */
PAR_API int par_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/* Wake up to n waiters on word (n < 0 or INT32_MAX: all). Returns how many
 * were woken, or -EINVAL. */
PAR_API int par_futex_wake(uint32_t *word, int n);

#ifdef __cplusplus
}
#endif

#endif /* PAR_CORE_H */
