/* Death on the single sides of a ring: a producer (or consumer) SIGKILLed at a
 * random point leaves only whole elements, in order, none twice, and the
 * next producer (consumer) goes on from there. A sleeper killed in a wait
 * leaves the ring working. */
#include "ring_test.h"

#include <sched.h>

#define ROUNDS 40
#define ES_MAX 4096

struct shared {
	void *mem;
	size_t size;
	size_t es;
	uint64_t start; /* the child's first seq */
	uint64_t done;	/* consumer child: seqs consumed so far (atomic) */
	int bad;	/* consumer child: saw a wrong element (atomic) */
};

static char *span_at(const struct par_ring_span *sp, unsigned i, size_t es)
{
	return i < sp->n1 ? (char *)sp->ptr1 + i * es : (char *)sp->ptr2 + (i - sp->n1) * es;
}

/* Enqueue seq.. forever in every shape, until killed. */
static int endless_producer(void *arg)
{
	struct shared *s = arg;
	struct par_ring *r;
	static char buf[8 * ES_MAX];
	struct par_ring_span sp;

	if (par_ring_attach(s->mem, s->size, &r) != 0)
		return 3;
	for (uint64_t seq = s->start, k = 0;; k++) {
		unsigned n = 1 + (unsigned)(k % 8), got;
		for (unsigned i = 0; i < n; i++)
			elem_fill(buf + i * s->es, s->es, seq + i);
		switch (k % 5) {
		case 0:
			got = par_ring_enqueue(r, buf) == 0;
			break;
		case 1:
			got = par_ring_enqueue_bulk(r, buf, n) > 0 ? n : 0;
			break;
		case 2:
			got = par_ring_enqueue_burst(r, buf, n);
			break;
		case 3:
			got = par_ring_enqueue_wait(r, buf, PAR_TEST_MS) == 0;
			break;
		default:
			got = par_ring_reserve(r, n, &sp);
			for (unsigned i = 0; i < got; i++)
				memcpy(span_at(&sp, i, s->es), buf + i * s->es, s->es);
			got = got / 2 + (got & 1); /* commit a part */
			if (par_ring_commit(r, got) != 0)
				got = 0;
		}
		seq += got;
		if (got == 0)
			sched_yield();
	}
}

/* Dequeue in order in every shape, recording progress, until killed. */
static int endless_consumer(void *arg)
{
	struct shared *s = arg;
	struct par_ring *r;
	static char buf[8 * ES_MAX];
	struct par_ring_span sp;

	if (par_ring_attach(s->mem, s->size, &r) != 0)
		return 3;
	for (uint64_t seq = s->start, k = 0;; k++) {
		unsigned n = 1 + (unsigned)(k % 8), got;
		const char *from = buf;
		switch (k % 4) {
		case 0:
			got = par_ring_dequeue(r, buf) == 0;
			break;
		case 1:
			got = par_ring_dequeue_burst(r, buf, n);
			break;
		case 2:
			got = par_ring_dequeue_wait(r, buf, PAR_TEST_MS) == 0;
			break;
		default:
			got = par_ring_peek(r, n, &sp);
			for (unsigned i = 0; i < got; i++)
				if (!elem_is(span_at(&sp, i, s->es), s->es, seq + i))
					__atomic_store_n(&s->bad, 1, __ATOMIC_RELAXED);
			if (got != 0 && par_ring_release(r, got) != 0)
				__atomic_store_n(&s->bad, 2, __ATOMIC_RELAXED);
			from = NULL;
		}
		for (unsigned i = 0; from != NULL && i < got; i++)
			if (!elem_is(from + i * s->es, s->es, seq + i))
				__atomic_store_n(&s->bad, 1, __ATOMIC_RELAXED);
		seq += got;
		__atomic_store_n(&s->done, seq, __ATOMIC_RELAXED);
		if (got == 0)
			sched_yield();
	}
}

static void kill_and_reap(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* Take everything there is; each must be next. */
static void drain(struct par_ring *r, size_t es, uint64_t *next)
{
	static char e[ES_MAX];

	while (par_ring_dequeue(r, e) == 0)
		assert_true(elem_is(e, es, (*next)++));
}

/* As the new single producer, put k more (in two shapes) and take them. */
static void go_on(struct par_ring *r, size_t es, uint64_t *next_in, uint64_t *next_out)
{
	static char e[ES_MAX];
	struct par_ring_span sp;

	for (int i = 0; i < 3; i++) {
		elem_fill(e, es, (*next_in)++);
		assert_int_equal(par_ring_enqueue(r, e), 0);
	}
	unsigned n = par_ring_reserve(r, 4, &sp);
	assert_int_equal(n, 4);
	for (unsigned i = 0; i < n; i++)
		elem_fill(span_at(&sp, i, es), es, (*next_in)++);
	assert_int_equal(par_ring_commit(r, n), 0);
	drain(r, es, next_out);
	assert_int_equal(*next_out, *next_in);
}

static void producer_killed(size_t es, uint32_t cap)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_ring *r;
	static char e[ES_MAX];
	uint64_t next = 0, next_in;

	s->es = es;
	s->size = par_ring_memsize(es, cap);
	s->mem = par_test_shared(s->size);
	assert_int_equal(par_ring_init(s->mem, es, cap, PAR_RING_SPSC, &r), 0);
	srand((unsigned)getpid());
	for (int round = 0; round < ROUNDS; round++) {
		s->start = next;
		pid_t pid = par_test_fork(endless_producer, s);
		int64_t until = par_now_ns() + (1 + rand() % 20) * PAR_TEST_MS;
		while (par_now_ns() < until)
			if (par_ring_dequeue(r, e) == 0)
				assert_true(elem_is(e, es, next++));
		kill_and_reap(pid);
		drain(r, es, &next);
		next_in = next;
		go_on(r, es, &next_in, &next);
	}
	assert_true(next > ROUNDS * 7);
	assert_int_equal(par_ring_close(r), 0);
	par_test_unshare(s->mem, s->size);
	par_test_unshare(s, sizeof(*s));
}

static void producer_killed_small_elements(void **state)
{
	(void)state;
	producer_killed(16, 16);
}

static void producer_killed_large_elements(void **state)
{
	(void)state;
	producer_killed(ES_MAX, 8);
}

static void consumer_killed(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_ring *r;
	static char e[64];
	uint64_t next_in = 0, next_out;
	const size_t es = 64;

	(void)state;
	s->es = es;
	s->size = par_ring_memsize(es, 16);
	s->mem = par_test_shared(s->size);
	assert_int_equal(par_ring_init(s->mem, es, 16, PAR_RING_SPSC, &r), 0);
	srand((unsigned)getpid());
	for (int round = 0; round < ROUNDS; round++) {
		s->start = next_in;
		s->done = next_in; /* it may die before it records anything */
		pid_t pid = par_test_fork(endless_consumer, s);
		int64_t until = par_now_ns() + (1 + rand() % 20) * PAR_TEST_MS;
		while (par_now_ns() < until) {
			elem_fill(e, es, next_in);
			if (par_ring_enqueue(r, e) == 0)
				next_in++;
		}
		kill_and_reap(pid);
		assert_int_equal(s->bad, 0);
		/* the parent consumes on: from where the child's last release or
		 * dequeue left off (it may have died before recording it) */
		next_out = next_in - par_ring_count(r);
		assert_true(next_out >= s->done && next_out <= s->done + 8);
		drain(r, es, &next_out);
		assert_int_equal(next_out, next_in);
		elem_fill(e, es, next_in);
		assert_int_equal(par_ring_enqueue(r, e), 0);
		assert_int_equal(par_ring_dequeue(r, e), 0);
		assert_true(elem_is(e, es, next_in++));
	}
	assert_int_equal(par_ring_close(r), 0);
	par_test_unshare(s->mem, s->size);
	par_test_unshare(s, sizeof(*s));
}

static int sleeper(void *arg)
{
	struct shared *s = arg;
	struct par_ring *r;
	uint64_t v;

	if (par_ring_attach(s->mem, s->size, &r) != 0)
		return 3;
	return par_ring_dequeue_wait(r, &v, PAR_FOREVER) == 0 ? 0 : 4;
}

/* A consumer killed asleep: producers go on, a later sleeper is woken. */
static void sleeper_killed(void **state)
{
	struct shared *s = par_test_shared(sizeof(*s));
	struct par_ring *r;
	uint64_t v = 5;

	(void)state;
	s->es = 8;
	s->size = par_ring_memsize(8, 8);
	s->mem = par_test_shared(s->size);
	assert_int_equal(par_ring_init(s->mem, 8, 8, PAR_RING_SPSC, &r), 0);
	pid_t pid = par_test_fork(sleeper, s);
	par_sleep_ns(30 * PAR_TEST_MS);
	kill_and_reap(pid);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(par_ring_enqueue(r, &v), 0);
		assert_int_equal(par_ring_dequeue(r, &v), 0);
	}
	pid = par_test_fork(sleeper, s);
	par_sleep_ns(30 * PAR_TEST_MS);
	assert_int_equal(par_ring_enqueue(r, &v), 0);
	par_test_reap_code(pid, 5 * PAR_TEST_SEC, 0);
	assert_int_equal(par_ring_close(r), 0);
	par_test_unshare(s->mem, s->size);
	par_test_unshare(s, sizeof(*s));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(producer_killed_small_elements),
	cmocka_unit_test(producer_killed_large_elements),
	cmocka_unit_test(consumer_killed),
	cmocka_unit_test(sleeper_killed),
};

PAR_TEST_MAIN(tests)
