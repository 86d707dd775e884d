/* Queue waiting: eventcounts, the blocking loop, and the eventfd watcher. */
#include "queue_impl.h"

#include <errno.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- eventcounts ------------------------------------------------------------ */

/* Move the sequence on and clear WAITERS, then wake every sleeper: when
 * WAITERS is set, or always (shutdown, a recovery, a watcher to stop). */
void par__qec_wake(struct par__qec *ec, int always)
{
	uint32_t w = __atomic_load_n(&ec->word, __ATOMIC_RELAXED);

	do {
		if (!always && !(w & PAR__QEC_WAITERS))
			return; /* another waker took care of them */
				/* relaxed: the word only says "look again"; what there is to
				 * see is published by the slot and chunk words */
	} while (!__atomic_compare_exchange_n(&ec->word, &w, (w + 2) & ~PAR__QEC_WAITERS, 0,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	par_futex_wake(&ec->word, -1);
}

/* How long a waiter spins before it sleeps: long enough to catch a partner
 * that is about to deliver on another core, short enough not to steal the
 * CPU from that partner when both share one (oversubscribed machines). */
#define SPIN_NS 2000

/* Spin a little (growing pauses, bounded in time) before anyone sleeps. */
static int spin(struct par_queue *q, par__qtry_fn fn, void *arg)
{
	int r = PAR__Q_NOTYET;
	int64_t until = 0;

	for (unsigned i = 0; r == PAR__Q_NOTYET; i++) {
		for (unsigned k = 0; k < (1u << (i < 6 ? i : 6)); k++)
			par__cpu_relax();
		r = fn(q, arg);
		if (i == 3)
			until = par_now_ns() + SPIN_NS;
		else if (i > 3 && par_now_ns() >= until)
			break;
	}
	return r;
}

/* One sleep on ec: set WAITERS, look again, sleep until woken, the deadline
 * or a slice. fn's answer, or PAR__Q_NOTYET. */
static int sleep_once(struct par_queue *q, struct par__qec *ec, int64_t until, par__qtry_fn fn,
		      void *arg)
{
	/* seq_cst: pairs with par__qec_notify's seq_cst load of the word */
	uint32_t w = __atomic_or_fetch(&ec->word, PAR__QEC_WAITERS, __ATOMIC_SEQ_CST);
	/* seq_cst: the look below reads after the bit is visible (a fence,
	 * since fn's loads are only acquire) */
	PAR__Q_FENCE(__ATOMIC_SEQ_CST);
	int r = fn(q, arg);

	/* a wake after the bit was set changes the word: no sleep then. The bit
	 * stays set when we time out; it costs one spare wake at most */
	if (r == PAR__Q_NOTYET)
		par_futex_wait_until(&ec->word, w, until);
	return r;
}

int par__queue_wait(struct par_queue *q, struct par__qec *ec, int64_t deadline, par__qtry_fn fn,
		    void *arg)
{
	int r = spin(q, fn, arg);

	while (r == PAR__Q_NOTYET) {
		int64_t now = par_now_ns();
		if (now >= deadline)
			return PAR__Q_NOTYET;
		int64_t until = deadline - now > PAR__Q_SLICE_NS ? now + PAR__Q_SLICE_NS : deadline;
		if ((r = sleep_once(q, ec, until, fn, arg)) != PAR__Q_NOTYET)
			return r;
		par__queue_sweep_maybe(q); /* a dead holder may be what we wait for */
		r = fn(q, arg);
	}
	return r;
}

/* ---- readiness -------------------------------------------------------------- */

/* Could a get find something now? A message (or a torn slot to skip) at the
 * head, past slots being read; an orphan; or shut down (get answers -EPIPE). */
int par__queue_ready(const struct par_queue *q)
{
	const struct par__qshared *sh = q->sh;

	/* relaxed: a snapshot; the eventcount protocol covers what changes after */
	if (__atomic_load_n(&sh->flags.shutdown, __ATOMIC_RELAXED) ||
	    (uint32_t)__atomic_load_n(&sh->flags.orphans, __ATOMIC_RELAXED) != 0)
		return 1;
	uint64_t pos = par__qpos_frontier(q, 0);
	for (unsigned i = 0; i < 64; i++, pos++) {
		/* acquire: pairs with the publishing exchange */
		uint64_t ctl = __atomic_load_n(&par__qslot_at(q, pos)->ctl, __ATOMIC_ACQUIRE);
		int64_t d = par__qlap_diff(q, ctl, pos);
		unsigned st = PAR__Q_CTL_ST(ctl);

		if (d == 0 && (st == PAR__QS_FULL || st == PAR__QS_ORPHAN || st == PAR__QS_TORN))
			return 1;
		if (!(d > 0 || (d == 0 && st == PAR__QS_READING)))
			return 0;
		pos += par__qrun_at(q, ctl, pos, PAR__QS_READING) - 1; /* past a run */
	}
	return 0;
}

/* ---- the eventfd watcher -----------------------------------------------------
 *
 * The watcher keeps the eventfd readable while a get could find something.
 * armed says what the fd holds: UNARMED (drained), ARMING (the watcher is
 * writing 1), ARMED (readable), DRAINING (a get is emptying it). Only the
 * watcher leaves UNARMED and only gets leave ARMED, so "UNARMED" always means
 * "drained". Unarmed, the watcher sleeps on not_empty like a get; when the
 * queue is ready it arms, then sleeps until a get disarms
 * (par__queue_disarm). */

#define W_UNARMED 0u
#define W_ARMED 1u
#define W_DRAINING 2u
#define W_ARMING 3u

static int watch_sleep_ready(struct par_queue *q, void *arg)
{
	(void)arg;
	return par__queue_ready(q) ? 1 : PAR__Q_NOTYET;
}

static void watch_arm(struct par__qwatch *w)
{
	uint64_t one = 1;

	__atomic_store_n(&w->armed, W_ARMING, __ATOMIC_RELAXED); /* only we leave UNARMED */
	while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	/* release: pairs with the acquire loads in par__queue_disarm (the count
	 * is in the fd) */
	__atomic_store_n(&w->armed, W_ARMED, __ATOMIC_RELEASE);
	par_futex_wake(&w->armed, -1); /* a get waiting for the write to finish */
}

static int watch_main(void *arg)
{
	struct par_queue *q = arg;
	struct par__qwatch *w = &q->watch;

	/* acquire: pairs with the release store in par__queue_watch_stop */
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		/* acquire: pairs with the release store in par__queue_disarm */
		uint32_t armed = __atomic_load_n(&w->armed, __ATOMIC_ACQUIRE);
		if (armed != W_UNARMED) {
			par_futex_wait(&w->armed, armed, PAR__Q_SLICE_NS);
			continue;
		}
		if (par__queue_ready(q)) {
			watch_arm(w);
			continue;
		}
		sleep_once(q, &q->sh->not_empty, par_now_ns() + PAR__Q_SLICE_NS, watch_sleep_ready,
			   NULL);
		par__queue_sweep_maybe(q);
	}
	return 0;
}

/* A get found the queue empty. Drain the fd, then disarm (waking the
 * watcher); then the caller looks at the queue once more before it answers
 * -EAGAIN. No readiness is lost: a message put before the disarm is seen by
 * that last look or by the watcher's look after the disarm (it re-arms); one
 * put later finds the watcher either about to look or asleep on not_empty,
 * where the put wakes it. A write in progress (ARMING) or another get's drain
 * is waited for, so that once a get has answered -EAGAIN the fd is not
 * readable unless a message came since. */
void par__queue_disarm(struct par_queue *q)
{
	struct par__qwatch *w = &q->watch;
	uint64_t v;

	for (;;) {
		/* acquire: pairs with watch_arm's release store (the count is in) */
		uint32_t a = __atomic_load_n(&w->armed, __ATOMIC_ACQUIRE);
		if (a == W_UNARMED)
			return;
		if (a != W_ARMED) {
			par_futex_wait(&w->armed, a, PAR__Q_SLICE_NS);
			continue;
		}
		/* acquire: as the load above; only one get drains */
		if (__atomic_compare_exchange_n(&w->armed, &a, W_DRAINING, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
	}
	while (read(w->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	/* release: pairs with the watcher's acquire load of armed */
	__atomic_store_n(&w->armed, W_UNARMED, __ATOMIC_RELEASE);
	par_futex_wake(&w->armed, -1);
}

static int watch_start(struct par_queue *q)
{
	struct par__qwatch *w = &q->watch;
	struct par_thread_opts o;

	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0)
		return -errno;
	w->stop = 0;
	w->armed = 0;
	par_thread_opts_init(&o);
	o.name = "par-qwatch";
	int r = par_thread_start(watch_main, q, &o, &w->thread);
	if (r < 0) {
		close(w->efd);
		w->efd = -1;
	}
	return r;
}

int par_queue_eventfd(struct par_queue *q)
{
	if (q == NULL)
		return -EINVAL;
	int r = par__queue_me(q); /* a forked child gets a watcher of its own */
	if (r < 0)
		return r;
	struct par__qwatch *w = &q->watch;
	for (;;) {
		/* acquire: pairs with the release store below (efd is set) */
		uint32_t s = __atomic_load_n(&w->state, __ATOMIC_ACQUIRE);
		if (s == PAR__QW_RUNNING)
			return w->efd;
		if (s == PAR__QW_STARTING) {
			sched_yield();
			continue;
		}
		/* acquire: as the load above; only one thread starts it */
		if (__atomic_compare_exchange_n(&w->state, &s, PAR__QW_STARTING, 0,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
	}
	r = watch_start(q);
	/* release: pairs with the acquire load above */
	__atomic_store_n(&w->state, r == 0 ? PAR__QW_RUNNING : PAR__QW_NONE, __ATOMIC_RELEASE);
	return r == 0 ? w->efd : r;
}

/* Stop and join the watcher: 0, or -EBUSY when it did not end in time (it
 * still uses the handle, which must then stay). */
int par__queue_watch_stop(struct par_queue *q)
{
	struct par__qwatch *w = &q->watch;

	/* acquire: pairs with the release store in par_queue_eventfd */
	if (__atomic_load_n(&w->state, __ATOMIC_ACQUIRE) != PAR__QW_RUNNING)
		return 0;
	/* release: pairs with the watcher's acquire load of stop */
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	par_futex_wake(&w->armed, 1);
	par__qec_wake(&q->sh->not_empty, 1); /* others woken too only look again */
	if (par_thread_join(w->thread, 5 * (int64_t)1000000000, NULL) != 0)
		return -EBUSY;
	par_thread_destroy(w->thread);
	close(w->efd);
	w->efd = -1;
	w->thread = NULL;
	/* release: pairs with the acquire load in par_queue_eventfd */
	__atomic_store_n(&w->state, PAR__QW_NONE, __ATOMIC_RELEASE);
	return 0;
}

/* In a forked child: the watcher thread is the parent's and the eventfd the
 * parent's too; drop them (a new par_queue_eventfd makes the child's own). */
void par__queue_watch_forget(struct par_queue *q)
{
	struct par__qwatch *w = &q->watch;

	if (w->efd >= 0)
		close(w->efd);
	w->efd = -1;
	w->thread = NULL;
	w->armed = 0;
	w->stop = 0;
	/* release: pairs with the acquire load in par_queue_eventfd */
	__atomic_store_n(&w->state, PAR__QW_NONE, __ATOMIC_RELEASE);
}
