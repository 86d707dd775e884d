/* Queue recovery on forged states: the traces a death leaves are written into
 * the shared layout directly (queue_impl.h), so that every recovery path runs
 * deterministically: a slot left mid-write or mid-read by a killed process
 * (left a zombie, not reaped), a recoverer killed in the middle of its
 * recovery, a pid reused by a live process, and a live owner that must be
 * left alone. */
#include "par_test.h"

#include "queue_impl.h"

#include <par/queue.h>

#include <poll.h>

/* A child that registers (one put of "reg", taken back by the parent) and
 * then waits to be killed. */
struct peer {
	struct par_queue *q;
	uint32_t ready;
};

static int register_and_wait(void *arg)
{
	struct peer *p = arg;

	if (par_queue_put(p->q, "reg", 3, 0) != 0)
		return 1;
	/* release: pairs with the parent's acquire */
	__atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
	par_sleep_ns(20 * PAR_TEST_SEC);
	return 2;
}

static struct peer *peer_new(struct par_queue *q)
{
	struct peer *p = par_test_shared(sizeof(*p));

	p->q = q;
	return p;
}

/* Start a registered peer: its pid, and its participant index in *idx. */
static pid_t peer_start(struct peer *p, uint32_t *idx)
{
	char buf[8];
	pid_t pid = par_test_fork(register_and_wait, p);
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);

	/* acquire: pairs with the child's release store */
	while (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE) && par_now_ns() < deadline)
		par_sleep_ns(100000);
	assert_int_equal(p->ready, 1);
	p->ready = 0;
	assert_int_equal(par_queue_get(p->q, buf, sizeof(buf), 0), 3);
	for (uint32_t i = 0; i < PAR__Q_PARTS; i++) {
		uint64_t st = p->q->sh->parts[i].state;
		if (PAR__QP_KIND(st) == PAR__QP_ACTIVE && PAR__QP_LOW(st) == (uint32_t)pid) {
			*idx = i;
			return pid;
		}
	}
	fail_msg("peer %d not in the table", (int)pid);
	return -1;
}

/* Kill and leave a zombie: waitid(WNOWAIT) returns once it is dead, without
 * reaping it. */
static void kill_to_zombie(pid_t pid)
{
	siginfo_t si;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
}

static struct par_queue *make(uint32_t capacity)
{
	struct par_queue_opts o;
	struct par_queue *q;

	par_queue_opts_init(&o);
	o.capacity = capacity;
	o.max_msg = 65536;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	return q;
}

/* Claim the next put position for participant idx, as a put would, and
 * leave it WRITING. */
static uint64_t forge_writing(struct par_queue *q, uint32_t idx)
{
	uint64_t pos = q->sh->enq;
	struct par__qslot *s = par__qslot_at(q, pos);

	assert_int_equal(s->ctl, PAR__Q_CTL(pos >> q->shift, PAR__QS_EMPTY, 0));
	s->ctl = PAR__Q_CTL(pos >> q->shift, PAR__QS_WRITING, idx);
	q->sh->enq = pos + 1;
	return pos;
}

/* Take the message at the head for participant idx, as a get would, and
 * leave it READING. */
static void forge_reading(struct par_queue *q, uint32_t idx)
{
	uint64_t pos = q->sh->deq;
	struct par__qslot *s = par__qslot_at(q, pos);

	assert_int_equal(s->ctl, PAR__Q_CTL(pos >> q->shift, PAR__QS_FULL, 0));
	s->ctl = PAR__Q_CTL(pos >> q->shift, PAR__QS_READING, idx);
	q->sh->deq = pos + 1;
}

static void expect_stats(struct par_queue *q, uint64_t torn, uint64_t redelivered, uint64_t dead)
{
	struct par_queue_stats st;

	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.torn, torn);
	assert_int_equal(st.redelivered, redelivered);
	assert_int_equal(st.dead_peers, dead);
}

/* A get blocked behind a slot its dead producer left mid-write skips it. */
static void writing_dead_owner_is_skipped(void **state)
{
	struct par_queue *q = make(8);
	struct peer *p = peer_new(q);
	uint32_t idx;
	char buf[8];

	(void)state;
	pid_t pid = peer_start(p, &idx);
	forge_writing(q, idx);
	assert_int_equal(par_queue_put(q, "after", 5, 0), 0);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), -EAGAIN); /* alive: wait */
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 30 * PAR_TEST_MS), -ETIMEDOUT);
	assert_int_equal(par_queue_size(q), 2);
	kill_to_zombie(pid);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 5 * PAR_TEST_SEC), 5);
	assert_memory_equal(buf, "after", 5);
	expect_stats(q, 1, 0, 1);
	par_test_reap(pid, 5 * PAR_TEST_SEC);
	assert_int_equal(par_queue_close(q), 0);
	par_test_unshare(p, sizeof(*p));
}

/* The torn slot had out-of-line chunks attached: freed when skipped. */
static void torn_slot_chunks_are_freed(void **state)
{
	struct par_queue_opts o;
	struct par_queue *q;
	uint32_t idx, head;
	unsigned char *big = calloc(1, 65536);

	(void)state;
	par_queue_opts_init(&o);
	o.capacity = 4;
	o.max_msg = 65536;
	o.pool_size = 65536;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	struct peer *p = peer_new(q);
	pid_t pid = peer_start(p, &idx);
	/* as the peer would: chunks for a whole pool, the slot, then attach */
	assert_int_equal(par__qpool_take(q, idx, big, 65536, &head), 0);
	uint64_t pos = forge_writing(q, idx);
	par__qpool_attach(q, head, par__qtag_pos(q, pos));
	assert_int_equal(par_queue_put(q, big, 65536, 0), -EAGAIN); /* no pool left */
	kill_to_zombie(pid);
	assert_int_equal(par_queue_put(q, big, 65536, 5 * PAR_TEST_SEC), 0);
	assert_int_equal(par_queue_get(q, big, 65536, 0), 65536);
	expect_stats(q, 1, 0, 1);
	par_test_reap(pid, 5 * PAR_TEST_SEC);
	assert_int_equal(par_queue_close(q), 0);
	par_test_unshare(p, sizeof(*p));
	free(big);
}

/* A message its dead consumer was reading is handed on, whole, to a get that
 * had found the queue empty. Inline and out of line. */
static void reading_dead_owner_is_redelivered(void **state)
{
	(void)state;
	for (size_t len = 50; len <= 50000; len *= 1000) {
		struct par_queue *q = make(8);
		struct peer *p = peer_new(q);
		unsigned char *msg = malloc(len), *buf = malloc(65536);
		uint32_t idx;
		memset(msg, 0x3c, len);
		pid_t pid = peer_start(p, &idx);
		assert_int_equal(par_queue_put(q, msg, len, 0), 0);
		forge_reading(q, idx);
		assert_int_equal(par_queue_get(q, buf, 65536, 0), -EAGAIN);
		kill_to_zombie(pid);
		memset(buf, 0, 65536);
		assert_int_equal(par_queue_get(q, buf, 65536, 5 * PAR_TEST_SEC), (ssize_t)len);
		assert_memory_equal(buf, msg, len);
		expect_stats(q, 0, 1, 1);
		/* its slot is usable again: a full lap of puts and gets */
		for (int i = 0; i < 8; i++) {
			assert_int_equal(par_queue_put(q, msg, len, 0), 0);
			assert_int_equal(par_queue_get(q, buf, 65536, 0), (ssize_t)len);
		}
		par_test_reap(pid, 5 * PAR_TEST_SEC);
		assert_int_equal(par_queue_close(q), 0);
		par_test_unshare(p, sizeof(*p));
		free(msg);
		free(buf);
	}
}

/* Move both positions of an empty queue to pos, as pos puts and gets would. */
static void advance_to(struct par_queue *q, uint64_t pos)
{
	char c;

	while (q->sh->enq < pos) {
		assert_int_equal(par_queue_put(q, "x", 1, 0), 0);
		assert_int_equal(par_queue_get(q, &c, 1, 0), 1);
	}
}

/* Publish text at position pos, as a put_many's run does. */
static void forge_publish(struct par_queue *q, uint64_t pos, const char *text)
{
	struct par__qslot *s = par__qslot_at(q, pos);

	s->len = (uint32_t)strlen(text);
	s->chunk = PAR__Q_NO_CHUNK;
	memcpy(par__qdata_at(q, pos), text, s->len);
	s->ctl = PAR__Q_CTL(pos >> q->shift, PAR__QS_FULL, 0);
}

static void expect_get(struct par_queue *q, const char *text, int64_t timeout_ns)
{
	char buf[16];
	size_t len = strlen(text);

	assert_int_equal(par_queue_get(q, buf, sizeof(buf), timeout_ns), (ssize_t)len);
	assert_memory_equal(buf, text, len);
}

/* A put_many killed in the middle of a run (5 slots across the end of the
 * ring, claimed on the first, enq not yet moved on): a put meanwhile goes
 * past the whole run; once the owner is dead, what it published of the run
 * is delivered in order, the rest is torn. */
static void dead_run_writer_keeps_what_it_published(void **state)
{
	struct par_queue *q = make(8);
	struct peer *p = peer_new(q);
	uint32_t idx;

	(void)state;
	pid_t pid = peer_start(p, &idx);
	advance_to(q, 6);
	par__qslot_at(q, 6)->ctl = PAR__Q_CTL_RUNS(0, PAR__QS_WRITING, idx, 5);
	forge_publish(q, 7, "t1");
	forge_publish(q, 9, "t3");
	assert_int_equal(par_queue_put(q, "after", 5, 0), 0); /* at 11, past the run */
	assert_int_equal(q->sh->enq, 12);
	assert_int_equal(par_queue_get(q, NULL, 0, 0), -EAGAIN); /* alive: wait */
	kill_to_zombie(pid);
	expect_get(q, "t1", 5 * PAR_TEST_SEC);
	expect_get(q, "t3", 0);
	expect_get(q, "after", 0);
	assert_int_equal(par_queue_get(q, NULL, 0, 0), -EAGAIN);
	expect_stats(q, 3, 0, 1);
	for (int i = 0; i < 8; i++) { /* every slot usable again */
		assert_int_equal(par_queue_put(q, "lap", 3, 0), 0);
		expect_get(q, "lap", 0);
	}
	par_test_reap(pid, 5 * PAR_TEST_SEC);
	assert_int_equal(par_queue_close(q), 0);
	par_test_unshare(p, sizeof(*p));
}

/* A get_many killed in the middle of a run it took (5 messages across the
 * end of the ring, deq not yet moved on): gets meanwhile go past the run;
 * once the owner is dead, the messages it had not emptied are handed on. */
static void dead_run_reader_hands_on_the_rest(void **state)
{
	static const char *const text[] = { "m0", "m1", "m2", "m3", "m4" };
	struct par_queue *q = make(8);
	struct peer *p = peer_new(q);
	uint32_t idx;
	char buf[16];
	unsigned seen = 0;

	(void)state;
	pid_t pid = peer_start(p, &idx);
	advance_to(q, 6);
	for (int i = 0; i < 5; i++)
		assert_int_equal(par_queue_put(q, text[i], 2, 0), 0);
	assert_int_equal(par_queue_put(q, "after", 5, 0), 0);
	par__qslot_at(q, 6)->ctl = PAR__Q_CTL_RUNS(0, PAR__QS_READING, idx, 5);
	par__qslot_at(q, 7)->ctl = PAR__Q_CTL(1, PAR__QS_EMPTY, 0); /* m1, m2 taken */
	par__qslot_at(q, 8)->ctl = PAR__Q_CTL(2, PAR__QS_EMPTY, 0);
	expect_get(q, "after", 0); /* alive: the others go past its run */
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), -EAGAIN);
	kill_to_zombie(pid);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(par_queue_get(q, buf, sizeof(buf), 5 * PAR_TEST_SEC), 2);
		assert_int_equal(buf[0], 'm');
		seen |= 1u << (buf[1] - '0');
	}
	assert_int_equal(seen, 0x19); /* m0, m3, m4 */
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), -EAGAIN);
	expect_stats(q, 0, 3, 1);
	par_test_reap(pid, 5 * PAR_TEST_SEC);
	assert_int_equal(par_queue_close(q), 0);
	par_test_unshare(p, sizeof(*p));
}

/* enq and deq left behind where they are (a late plain store of a claim
 * that raced another): size and stats walk past the claimed slots, a put
 * still lands after the last message, gets keep the order, and the eventfd
 * still says ready. */
static void stale_positions_are_walked_past(void **state)
{
	struct par_queue *q = make(8);
	struct par_queue_stats st;
	struct pollfd pfd = { .events = POLLIN };
	static const char *const text[] = { "a", "b", "c", "d", "e", "f" };

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(par_queue_put(q, text[i], 1, 0), 0);
	expect_get(q, "a", 0);
	expect_get(q, "b", 0);
	q->sh->enq = 1;
	q->sh->deq = 0;
	assert_int_equal(par_queue_size(q), 3);
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.puts, 5);
	assert_int_equal(st.gets, 2);
	pfd.fd = par_queue_eventfd(q);
	assert_true(pfd.fd >= 0);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	q->sh->enq = 2;
	q->sh->deq = 1;
	assert_int_equal(par_queue_put(q, text[5], 1, 0), 0);
	for (int i = 2; i < 6; i++)
		expect_get(q, text[i], 0);
	assert_int_equal(par_queue_get(q, NULL, 0, 0), -EAGAIN);
	assert_int_equal(par_queue_size(q), 0);
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.puts, 6);
	assert_int_equal(st.gets, 6);
	assert_int_equal(par_queue_close(q), 0);
}

/* An orphan too big for the caller's buffer stays (-EMSGSIZE), then goes to
 * a big enough one. */
static void orphan_respects_emsgsize(void **state)
{
	struct par_queue *q = make(8);
	struct peer *p = peer_new(q);
	char buf[64];
	uint32_t idx;

	(void)state;
	pid_t pid = peer_start(p, &idx);
	assert_int_equal(par_queue_put(q, "0123456789", 10, 0), 0);
	forge_reading(q, idx);
	kill_to_zombie(pid);
	assert_int_equal(par_queue_get_stats(q, &(struct par_queue_stats){ 0 }), 0); /* recovers */
	assert_int_equal(par_queue_size(q), 1);
	assert_int_equal(par_queue_get(q, buf, 4, 0), -EMSGSIZE);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), 10);
	assert_memory_equal(buf, "0123456789", 10);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), -EAGAIN);
	par_test_reap(pid, 5 * PAR_TEST_SEC);
	assert_int_equal(par_queue_close(q), 0);
	par_test_unshare(p, sizeof(*p));
}

/* B began recovering dead A (A's entry says RECOVERING by B) and died too:
 * the next one to look finishes both. */
static void dead_recoverer_is_taken_over(void **state)
{
	struct par_queue *q = make(8);
	struct peer *pa = peer_new(q), *pb = peer_new(q);
	uint32_t a, b;
	char buf[8];

	(void)state;
	pid_t pida = peer_start(pa, &a), pidb = peer_start(pb, &b);
	forge_writing(q, a);
	assert_int_equal(par_queue_put(q, "z", 1, 0), 0);
	uint64_t sa = q->sh->parts[a].state, sb = q->sh->parts[b].state;
	q->sh->parts[a].state = PAR__QP_MAKE(PAR__QP_RECOVERING, PAR__QP_GEN(sa),
					     (b << 16) | (PAR__QP_GEN(sb) & 0xffff));
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 20 * PAR_TEST_MS), -ETIMEDOUT);
	kill_to_zombie(pida);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 20 * PAR_TEST_MS), -ETIMEDOUT);
	kill_to_zombie(pidb);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 5 * PAR_TEST_SEC), 1);
	expect_stats(q, 1, 0, 2);
	assert_int_equal(PAR__QP_KIND(q->sh->parts[a].state), PAR__QP_FREE);
	assert_int_equal(PAR__QP_KIND(q->sh->parts[b].state), PAR__QP_FREE);
	par_test_reap(pida, 5 * PAR_TEST_SEC);
	par_test_reap(pidb, 5 * PAR_TEST_SEC);
	assert_int_equal(par_queue_close(q), 0);
	par_test_unshare(pa, sizeof(*pa));
	par_test_unshare(pb, sizeof(*pb));
}

/* An entry naming a live pid with another start time is a dead process whose
 * pid was reused; with the right start time it is alive and left alone. */
static void reused_pid_is_dead(void **state)
{
	struct par_queue *q = make(8);
	uint64_t start;
	char buf[8];

	(void)state;
	assert_int_equal(par__qproc_start(getpid(), &start), 0);
	for (int reused = 0; reused < 2; reused++) {
		uint32_t idx = 100 + (uint32_t)reused;
		struct par__qpart *e = &q->sh->parts[idx];
		e->pidns = q->pidns;
		e->start = reused ? start + 1 : start;
		e->state = PAR__QP_MAKE(PAR__QP_ACTIVE, 1, (uint32_t)getpid());
		forge_writing(q, idx);
		assert_int_equal(par_queue_put(q, "y", 1, 0), 0);
		ssize_t r = par_queue_get(q, buf, sizeof(buf), 100 * PAR_TEST_MS);
		if (!reused) {
			assert_int_equal(r, -ETIMEDOUT);
			expect_stats(q, 0, 0, 0);
			e->start = start + 1; /* now let it go */
			r = par_queue_get(q, buf, sizeof(buf), 5 * PAR_TEST_SEC);
		}
		assert_int_equal(r, 1);
	}
	expect_stats(q, 2, 0, 2);
	assert_int_equal(par_queue_close(q), 0);
}

/* A participant of another pid namespace (its pid means nothing here), or
 * one whose namespace is not known yet, is never judged dead. */
static void other_pid_namespace_is_left_alone(void **state)
{
	struct par_queue *q = make(8);
	char buf[8];

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct par__qpart *e = &q->sh->parts[200];
		e->pidns = k == 0 ? q->pidns + 1 : 0;
		e->start = 12345;
		e->state = PAR__QP_MAKE(PAR__QP_ACTIVE, 1, 999999999u); /* no such pid here */
		uint64_t pos = forge_writing(q, 200);
		assert_int_equal(par_queue_get(q, buf, sizeof(buf), 60 * PAR_TEST_MS), -ETIMEDOUT);
		expect_stats(q, 0, 0, 0);
		e->state = 0; /* clean up by hand: the slot back to EMPTY */
		par__qslot_at(q, pos)->ctl = PAR__Q_CTL(pos >> q->shift, PAR__QS_EMPTY, 0);
		q->sh->enq = pos;
	}
	assert_int_equal(par_queue_put(q, "ok", 2, 0), 0);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), 2);
	assert_int_equal(par_queue_close(q), 0);
}

static int put_big_until_shutdown(void *arg)
{
	static unsigned char big[65536];

	return par_queue_put(arg, big, sizeof(big), 10 * PAR_TEST_SEC) == -EPIPE ? 0 : 1;
}

static uint32_t chunks_not_free(const struct par_queue *q)
{
	uint32_t n = 0;

	for (uint32_t k = 0; k < q->chunk_count; k++)
		n += __atomic_load_n(&q->chunks[k].state, __ATOMIC_RELAXED) != PAR__QC_FREE;
	return n;
}

/* A put waiting for a slot holds its copy in the pool; shut down, it gives
 * the chunks back. */
static void shutdown_gives_back_held_chunks(void **state)
{
	struct par_queue_opts o;
	struct par_queue *q;
	char one = 1;

	(void)state;
	par_queue_opts_init(&o);
	o.capacity = 1;
	o.max_msg = 65536;
	o.pool_size = 65536;
	assert_int_equal(par_queue_create(NULL, &o, &q), 0);
	assert_int_equal(par_queue_put(q, &one, 1, 0), 0); /* full */
	pid_t pid = par_test_fork(put_big_until_shutdown, q);
	int64_t deadline = par_deadline(10 * PAR_TEST_SEC);
	while (chunks_not_free(q) < q->chunk_count && par_now_ns() < deadline)
		par_sleep_ns(1000000);
	assert_int_equal(chunks_not_free(q), q->chunk_count);
	assert_int_equal(par_queue_shutdown(q), 0);
	par_test_reap_code(pid, 10 * PAR_TEST_SEC, 0);
	assert_int_equal(chunks_not_free(q), 0);
	assert_int_equal(par_queue_get(q, &one, 1, 0), 1);
	assert_int_equal(par_queue_get(q, &one, 1, 0), -EPIPE);
	assert_int_equal(par_queue_close(q), 0);
}

/* A child that exits without closing is found dead and its entry freed. */
static int just_put(void *arg)
{
	return par_queue_put(arg, "bye", 3, 0) == 0 ? 0 : 1;
}

static void exit_without_close(void **state)
{
	struct par_queue *q = make(8);
	struct par_queue_stats st;
	char buf[8];

	(void)state;
	for (int i = 0; i < 3; i++)
		par_test_reap_code(par_test_fork(just_put, q), 5 * PAR_TEST_SEC, 0);
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.participants, 1);
	assert_int_equal(st.dead_peers, 3);
	assert_int_equal(st.puts, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(par_queue_get(q, buf, sizeof(buf), 0), 3);
	assert_int_equal(par_queue_close(q), 0);
}

static int nothing(void *arg)
{
	(void)arg;
	return 0;
}

/* A full table: a newcomer frees the entries of the dead that hold nothing
 * (forged: 1023 entries of a pid that is gone), and one that holds a slot is
 * left for a real recovery. */
static void full_table_frees_the_idle_dead(void **state)
{
	struct par_queue *q = make(8), *q2;
	uint64_t start;
	char buf[8];

	(void)state;
	pid_t gone = par_test_fork(nothing, NULL);
	par_test_reap(gone, 5 * PAR_TEST_SEC);
	assert_int_equal(par__qproc_start(getpid(), &start), 0);
	for (uint32_t i = 0; i < PAR__Q_PARTS; i++) {
		struct par__qpart *e = &q->sh->parts[i];
		if (i == q->me)
			continue;
		e->pidns = q->pidns;
		e->start = start;
		e->state = PAR__QP_MAKE(PAR__QP_ACTIVE, 1, (uint32_t)gone);
	}
	uint64_t pos = forge_writing(q, 5); /* entry 5 holds a slot */
	assert_int_equal(par_queue_open_fd(par_queue_fd(q), &q2), 0);
	assert_int_equal(PAR__QP_KIND(q->sh->parts[5].state), PAR__QP_ACTIVE);
	assert_int_equal(par_queue_put(q2, "x", 1, 0), 0);
	assert_int_equal(par_queue_get(q, buf, sizeof(buf), 5 * PAR_TEST_SEC), 1); /* skips 5's */
	assert_int_equal(PAR__Q_CTL_ST(par__qslot_at(q, pos)->ctl), PAR__QS_EMPTY);
	struct par_queue_stats st;
	assert_int_equal(par_queue_get_stats(q, &st), 0);
	assert_int_equal(st.participants, 2);
	assert_int_equal(st.dead_peers, PAR__Q_PARTS - 1);
	assert_int_equal(st.torn, 1);
	assert_int_equal(par_queue_close(q2), 0);
	assert_int_equal(par_queue_close(q), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(writing_dead_owner_is_skipped),
	cmocka_unit_test(torn_slot_chunks_are_freed),
	cmocka_unit_test(reading_dead_owner_is_redelivered),
	cmocka_unit_test(dead_run_writer_keeps_what_it_published),
	cmocka_unit_test(dead_run_reader_hands_on_the_rest),
	cmocka_unit_test(stale_positions_are_walked_past),
	cmocka_unit_test(orphan_respects_emsgsize),
	cmocka_unit_test(dead_recoverer_is_taken_over),
	cmocka_unit_test(reused_pid_is_dead),
	cmocka_unit_test(other_pid_namespace_is_left_alone),
	cmocka_unit_test(shutdown_gives_back_held_chunks),
	cmocka_unit_test(exit_without_close),
	cmocka_unit_test(full_table_frees_the_idle_dead),
};

PAR_TEST_MAIN(tests)
