/* Ring blocking operations: timeouts, and sleepers in another thread or
 * process woken by the other side. */
#include "ring_test.h"

#include <pthread.h>

#define WAKE_BOUND (5 * PAR_TEST_SEC)

static void dequeue_wait_times_out(void **state)
{
	(void)state;
	for (size_t m = 0; m < 4; m++) {
		void *mem;
		struct par_ring *r = ring_new(8, 4, ring_modes[m], &mem);
		uint64_t v[4];

		assert_int_equal(par_ring_dequeue_wait(r, v, 0), -EAGAIN);
		assert_int_equal(par_ring_dequeue_burst_wait(r, v, 4, 0), -EAGAIN);
		int64_t t0 = par_now_ns();
		assert_int_equal(par_ring_dequeue_wait(r, v, 20 * PAR_TEST_MS), -ETIMEDOUT);
		assert_true(par_now_ns() - t0 >= 20 * PAR_TEST_MS);
		t0 = par_now_ns();
		assert_int_equal(par_ring_dequeue_burst_wait(r, v, 4, 5 * PAR_TEST_MS), -ETIMEDOUT);
		assert_true(par_now_ns() - t0 >= 5 * PAR_TEST_MS);
		assert_int_equal(par_ring_dequeue_burst_wait(r, v, 0, 0), 0);
		/* with something there, no wait */
		v[0] = 9;
		assert_int_equal(par_ring_enqueue(r, v), 0);
		assert_int_equal(par_ring_dequeue_wait(r, v + 1, PAR_FOREVER), 0);
		assert_int_equal(v[1], 9);
		assert_int_equal(par_ring_enqueue_bulk(r, v, 2), 2);
		assert_int_equal(par_ring_dequeue_burst_wait(r, v, 4, 0), 2);
		ring_free(r, mem);
	}
}

static void enqueue_wait_times_out(void **state)
{
	(void)state;
	for (size_t m = 0; m < 4; m++) {
		void *mem;
		struct par_ring *r = ring_new(8, 4, ring_modes[m], &mem);
		uint64_t v[5] = { 1, 2, 3, 4, 5 };

		assert_int_equal(par_ring_enqueue_bulk_wait(r, v, 5, 0), -EINVAL);
		assert_int_equal(par_ring_enqueue_bulk_wait(r, v, 0, 0), 0);
		assert_int_equal(par_ring_enqueue_bulk_wait(r, v, 3, PAR_FOREVER), 3);
		assert_int_equal(par_ring_enqueue_bulk_wait(r, v, 2, 0), -EAGAIN);
		int64_t t0 = par_now_ns();
		assert_int_equal(par_ring_enqueue_bulk_wait(r, v, 2, 10 * PAR_TEST_MS), -ETIMEDOUT);
		assert_true(par_now_ns() - t0 >= 10 * PAR_TEST_MS);
		assert_int_equal(par_ring_enqueue_wait(r, v + 3, 0), 0);
		assert_int_equal(par_ring_enqueue_wait(r, v, 0), -EAGAIN);
		t0 = par_now_ns();
		assert_int_equal(par_ring_enqueue_wait(r, v, 20 * PAR_TEST_MS), -ETIMEDOUT);
		assert_true(par_now_ns() - t0 >= 20 * PAR_TEST_MS);
		assert_int_equal(par_ring_count(r), 4);
		ring_free(r, mem);
	}
}

/* ---- a sleeper in another thread ------------------------------------------ */

struct waiter {
	struct par_ring *r;
	int rc;
	uint64_t v[4];
	int64_t done_at;
	int burst; /* the burst / bulk forms */
};

static void *deq_waiter(void *arg)
{
	struct waiter *w = arg;

	if (w->burst)
		w->rc = par_ring_dequeue_burst_wait(w->r, w->v, 4, 10 * PAR_TEST_SEC);
	else
		w->rc = par_ring_dequeue_wait(w->r, w->v, 10 * PAR_TEST_SEC);
	w->done_at = par_now_ns();
	return NULL;
}

static void *enq_waiter(void *arg)
{
	struct waiter *w = arg;

	w->v[0] = 77;
	w->v[1] = 78;
	if (w->burst)
		w->rc = par_ring_enqueue_bulk_wait(w->r, w->v, 2, 10 * PAR_TEST_SEC);
	else
		w->rc = par_ring_enqueue_wait(w->r, w->v, 10 * PAR_TEST_SEC);
	w->done_at = par_now_ns();
	return NULL;
}

/* Long enough for the waiter to pass its spin and fall asleep. */
static void let_it_sleep(void)
{
	par_sleep_ns(30 * PAR_TEST_MS);
}

static void thread_dequeuer_is_woken(int burst)
{
	for (size_t m = 0; m < 4; m++) {
		void *mem;
		struct waiter w = { 0 };
		pthread_t t;
		uint64_t v = 5;

		w.r = ring_new(8, 4, ring_modes[m], &mem);
		w.burst = burst;
		assert_int_equal(pthread_create(&t, NULL, deq_waiter, &w), 0);
		let_it_sleep();
		int64_t t0 = par_now_ns();
		assert_int_equal(par_ring_enqueue(w.r, &v), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(w.rc, burst ? 1 : 0);
		assert_int_equal(w.v[0], 5);
		assert_true(w.done_at - t0 < WAKE_BOUND);
		ring_free(w.r, mem);
	}
}

static void thread_enqueuer_is_woken(int burst)
{
	for (size_t m = 0; m < 4; m++) {
		void *mem;
		struct waiter w = { 0 };
		pthread_t t;
		uint64_t v[4] = { 1, 2, 3, 4 };

		w.r = ring_new(8, 4, ring_modes[m], &mem);
		w.burst = burst;
		assert_int_equal(par_ring_enqueue_bulk(w.r, v, 4), 4);
		assert_int_equal(pthread_create(&t, NULL, enq_waiter, &w), 0);
		let_it_sleep();
		int64_t t0 = par_now_ns();
		assert_int_equal(par_ring_dequeue_bulk(w.r, v, burst ? 2 : 1), burst ? 2 : 1);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(w.rc, burst ? 2 : 0);
		assert_true(w.done_at - t0 < WAKE_BOUND);
		assert_int_equal(par_ring_count(w.r), 4);
		ring_free(w.r, mem);
	}
}

static void dequeue_wait_woken_by_thread(void **state)
{
	(void)state;
	thread_dequeuer_is_woken(0);
}

static void dequeue_burst_wait_woken_by_thread(void **state)
{
	(void)state;
	thread_dequeuer_is_woken(1);
}

static void enqueue_wait_woken_by_thread(void **state)
{
	(void)state;
	thread_enqueuer_is_woken(0);
}

static void enqueue_bulk_wait_woken_by_thread(void **state)
{
	(void)state;
	thread_enqueuer_is_woken(1);
}

/* Zero-copy commit and release wake sleepers too. */
static void commit_and_release_wake(void **state)
{
	void *mem;
	struct waiter w = { 0 };
	pthread_t t;
	struct par_ring_span sp;

	(void)state;
	w.r = ring_new(8, 2, PAR_RING_SPSC, &mem);
	assert_int_equal(pthread_create(&t, NULL, deq_waiter, &w), 0);
	let_it_sleep();
	assert_int_equal(par_ring_reserve(w.r, 2, &sp), 2);
	((uint64_t *)sp.ptr1)[0] = 11;
	((uint64_t *)sp.ptr1)[1] = 12;
	assert_int_equal(par_ring_commit(w.r, 2), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(w.v[0], 11);

	uint64_t v = 13;
	assert_int_equal(par_ring_enqueue(w.r, &v), 0); /* full again */
	assert_int_equal(pthread_create(&t, NULL, enq_waiter, &w), 0);
	let_it_sleep();
	assert_int_equal(par_ring_peek(w.r, 1, &sp), 1);
	assert_int_equal(((uint64_t *)sp.ptr1)[0], 12);
	assert_int_equal(par_ring_release(w.r, 1), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	ring_free(w.r, mem);
}

/* Several consumers asleep on an MPMC ring: a burst of enqueues reaches all. */
static void many_sleepers_all_woken(void **state)
{
	void *mem;
	struct waiter w[4];
	pthread_t t[4];
	struct par_ring *r = ring_new(8, 8, PAR_RING_MPMC, &mem);
	uint64_t v[4] = { 1, 2, 3, 4 }, seen = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct waiter){ .r = r };
		assert_int_equal(pthread_create(&t[i], NULL, deq_waiter, &w[i]), 0);
	}
	let_it_sleep();
	assert_int_equal(par_ring_enqueue_bulk(r, v, 4), 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].rc, 0);
		seen |= 1u << w[i].v[0];
	}
	assert_int_equal(seen, 0x1e);
	ring_free(r, mem);
}

/* ---- a sleeper in another process ----------------------------------------- */

struct shared_ring {
	void *mem;
	size_t size;
	int burst;
};

/* Exit 0 when it got element 42 in time, 1 on timeout, 2 otherwise. */
static int child_dequeuer(void *arg)
{
	struct shared_ring *s = arg;
	struct par_ring *r;
	uint64_t v[4] = { 0 };

	if (par_ring_attach(s->mem, s->size, &r) != 0)
		return 3;
	int rc = s->burst ? par_ring_dequeue_burst_wait(r, v, 4, 10 * PAR_TEST_SEC)
			  : par_ring_dequeue_wait(r, v, 10 * PAR_TEST_SEC);
	par_ring_close(r);
	if (rc == -ETIMEDOUT)
		return 1;
	return rc == (s->burst ? 1 : 0) && v[0] == 42 ? 0 : 2;
}

/* Exit 0 when its element went in, 1 on timeout, 2 otherwise. */
static int child_enqueuer(void *arg)
{
	struct shared_ring *s = arg;
	struct par_ring *r;
	uint64_t v = 43;

	if (par_ring_attach(s->mem, s->size, &r) != 0)
		return 3;
	int rc = par_ring_enqueue_wait(r, &v, 10 * PAR_TEST_SEC);
	par_ring_close(r);
	return rc == 0 ? 0 : rc == -ETIMEDOUT ? 1 : 2;
}

static void process_dequeuer_is_woken(void **state)
{
	(void)state;
	for (size_t m = 0; m < 4; m++) {
		for (int burst = 0; burst < 2; burst++) {
			struct shared_ring s = { .size = par_ring_memsize(8, 4), .burst = burst };
			struct par_ring *r;
			uint64_t v = 42;

			s.mem = par_test_shared(s.size);
			assert_int_equal(par_ring_init(s.mem, 8, 4, ring_modes[m], &r), 0);
			pid_t pid = par_test_fork(child_dequeuer, &s);
			let_it_sleep();
			assert_int_equal(par_ring_enqueue(r, &v), 0);
			par_test_reap_code(pid, WAKE_BOUND, 0);
			assert_int_equal(par_ring_count(r), 0);
			assert_int_equal(par_ring_close(r), 0);
			par_test_unshare(s.mem, s.size);
		}
	}
}

static void process_enqueuer_is_woken(void **state)
{
	(void)state;
	for (size_t m = 0; m < 4; m++) {
		struct shared_ring s = { .size = par_ring_memsize(8, 2) };
		struct par_ring *r;
		uint64_t v[2] = { 1, 2 };

		s.mem = par_test_shared(s.size);
		assert_int_equal(par_ring_init(s.mem, 8, 2, ring_modes[m], &r), 0);
		assert_int_equal(par_ring_enqueue_bulk(r, v, 2), 2);
		pid_t pid = par_test_fork(child_enqueuer, &s);
		let_it_sleep();
		assert_int_equal(par_ring_dequeue(r, v), 0);
		par_test_reap_code(pid, WAKE_BOUND, 0);
		assert_int_equal(par_ring_dequeue_bulk(r, v, 2), 2);
		assert_int_equal(v[1], 43);
		assert_int_equal(par_ring_close(r), 0);
		par_test_unshare(s.mem, s.size);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(dequeue_wait_times_out),
	cmocka_unit_test(enqueue_wait_times_out),
	cmocka_unit_test(dequeue_wait_woken_by_thread),
	cmocka_unit_test(dequeue_burst_wait_woken_by_thread),
	cmocka_unit_test(enqueue_wait_woken_by_thread),
	cmocka_unit_test(enqueue_bulk_wait_woken_by_thread),
	cmocka_unit_test(commit_and_release_wake),
	cmocka_unit_test(many_sleepers_all_woken),
	cmocka_unit_test(process_dequeuer_is_woken),
	cmocka_unit_test(process_enqueuer_is_woken),
};

PAR_TEST_MAIN(tests)
