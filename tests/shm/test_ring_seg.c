/* Rings in segments of their own: create / open / open_fd, validation, and
 * processes that share a ring by name, by inherited descriptor, or as an
 * exec'd unrelated program. */
#include "ring_matrix.h"

#include <fcntl.h>

#define WAIT (10 * PAR_TEST_SEC)

/* A name of this test process's own, so parallel runs do not collide. */
static const char *ring_name(const char *tag)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "/par-test-ring-%d-%s", (int)getpid(), tag);
	par_shm_unlink(buf);
	return buf;
}

static void anonymous_create_and_open_fd(void **state)
{
	struct par_ring *a = NULL, *b = NULL;
	char e[32];

	(void)state;
	assert_int_equal(par_ring_create(NULL, 32, 64, PAR_RING_SPSC, NULL, &a), 0);
	assert_true(par_ring_fd(a) >= 0);
	assert_int_equal(par_ring_open_fd(par_ring_fd(a), &b), 0);
	assert_true(par_ring_fd(b) >= 0 && par_ring_fd(b) != par_ring_fd(a));
	assert_int_equal(par_ring_flags(b), PAR_RING_SPSC);
	assert_int_equal(par_ring_capacity(b), 64);
	assert_int_equal(par_ring_elem_size(b), 32);
	for (uint64_t i = 0; i < 200; i++) {
		elem_fill(e, 32, i);
		assert_int_equal(par_ring_enqueue(a, e), 0);
		assert_int_equal(par_ring_count(b), 1);
		assert_int_equal(par_ring_dequeue(b, e), 0);
		assert_true(elem_is(e, 32, i));
	}
	assert_int_equal(par_ring_close(a), 0);
	/* the ring lives on for the other handle */
	assert_int_equal(par_ring_enqueue(b, e), 0);
	assert_int_equal(par_ring_dequeue(b, e), 0);
	assert_int_equal(par_ring_close(b), 0);
}

static void named_create_open_and_exclusive(void **state)
{
	const char *name = ring_name("named");
	struct par_ring *a = NULL, *b = NULL, *c = NULL;
	uint64_t v[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(par_ring_create(name, 8, 16, PAR_RING_MPMC, NULL, &a), 0);
	assert_int_equal(par_ring_create(name, 8, 16, PAR_RING_MPMC, NULL, &c), -EEXIST);
	assert_int_equal(par_ring_open(name, &b), 0);
	assert_int_equal(par_ring_flags(b), PAR_RING_MPMC);
	assert_int_equal(par_ring_enqueue_bulk(a, v, 4), 4);
	assert_int_equal(par_ring_dequeue_bulk(b, v, 4), 4);
	assert_int_equal(v[3], 4);
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(par_ring_open(name, &c), -ENOENT);
	assert_null(c);
	assert_int_equal(par_ring_close(b), 0);
	assert_int_equal(par_ring_close(a), 0);
}

static void unlink_on_close_option(void **state)
{
	const char *name = ring_name("uoc");
	struct par_shm_opts o;
	struct par_ring *a = NULL, *b = NULL;

	(void)state;
	par_shm_opts_init(&o);
	o.unlink_on_close = 1;
	assert_int_equal(par_ring_create(name, 8, 8, 0, &o, &a), 0);
	assert_int_equal(par_ring_close(a), 0);
	assert_int_equal(par_ring_open(name, &b), -ENOENT);
}

static void create_rejects_bad_arguments(void **state)
{
	struct par_ring *r = NULL;

	(void)state;
	assert_int_equal(par_ring_create(NULL, 12, 8, 0, NULL, &r), -EINVAL);
	assert_int_equal(par_ring_create(NULL, 8, 12, 0, NULL, &r), -EINVAL);
	assert_int_equal(par_ring_create(NULL, 8, 8, 8, NULL, &r), -EINVAL);
	assert_int_equal(par_ring_create(NULL, 8, 8, 0, NULL, NULL), -EINVAL);
	assert_int_equal(par_ring_create("no-slash", 8, 8, 0, NULL, &r), -EINVAL);
	assert_int_equal(par_ring_create("/a/b", 8, 8, 0, NULL, &r), -EINVAL);
	assert_null(r);
}

static void open_rejects_what_is_not_a_ring(void **state)
{
	const char *name = ring_name("raw");
	struct par_shm *s;
	struct par_ring *r = NULL;
	void *mem;

	(void)state;
	assert_int_equal(par_ring_open(name, &r), -ENOENT);
	assert_int_equal(par_ring_open(NULL, &r), -EINVAL);
	assert_int_equal(par_ring_open_fd(-1, &r), -EBADF);
	assert_int_equal(par_shm_create(name, 1 << 16, NULL, &s), 0);
	assert_int_equal(par_ring_open(name, &r), -EPROTO);
	assert_int_equal(par_ring_open_fd(par_shm_fd(s), &r), -EPROTO);
	assert_int_equal(par_shm_close(s), 0);
	assert_int_equal(par_shm_unlink(name), 0);
	assert_null(r);
	/* a ring in caller memory has no descriptor */
	r = ring_new(8, 8, 0, &mem);
	assert_int_equal(par_ring_fd(r), -EINVAL);
	assert_int_equal(par_ring_fd(NULL), -EINVAL);
	ring_free(r, mem);
}

/* A ring segment whose ring header was damaged after it was made. */
static void open_rejects_a_damaged_ring(void **state)
{
	const char *name = ring_name("damaged");
	struct par_ring *a = NULL, *b = NULL;
	struct par_shm *s;

	(void)state;
	assert_int_equal(par_ring_create(name, 8, 8, 0, NULL, &a), 0);
	/* reach the data area through a raw view of the same file */
	int fd = par_ring_fd(a);
	size_t len = 4096 + par_ring_memsize(8, 8);
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	for (int byte = 0; byte < 40; byte += 4) {
		p[4096 + byte] ^= 0x10;
		assert_int_equal(par_ring_open(name, &b), -EPROTO);
		p[4096 + byte] ^= 0x10;
	}
	assert_int_equal(par_ring_open(name, &b), 0);
	assert_int_equal(par_ring_close(b), 0);
	munmap(p, len);
	(void)s;
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(par_ring_close(a), 0);
}

/* ---- processes ------------------------------------------------------------ */

struct peer {
	const char *name;
	struct par_ring *inherited;
	uint64_t count;
	size_t es;
};

/* Consume count elements in order, checking each. */
static int consume_all(struct par_ring *r, uint64_t count, size_t es)
{
	char e[64];

	for (uint64_t seq = 0; seq < count; seq++) {
		if (par_ring_dequeue_wait(r, e, WAIT) != 0)
			return 4;
		if (!elem_is(e, es, seq))
			return 5;
	}
	return 0;
}

static int produce_all(struct par_ring *r, uint64_t count, size_t es)
{
	char e[64];

	for (uint64_t seq = 0; seq < count; seq++) {
		elem_fill(e, es, seq);
		if (par_ring_enqueue_wait(r, e, WAIT) != 0)
			return 4;
	}
	return 0;
}

static int child_consumer_by_name(void *arg)
{
	struct peer *p = arg;
	struct par_ring *r;

	if (par_ring_open(p->name, &r) != 0)
		return 3;
	int rc = consume_all(r, p->count, p->es);
	return par_ring_close(r) == 0 ? rc : 6;
}

static int child_producer_inherited(void *arg)
{
	struct peer *p = arg;
	int rc = produce_all(p->inherited, p->count, p->es);

	return par_ring_close(p->inherited) == 0 ? rc : 6; /* its own copy */
}

static void named_spsc_across_processes(void **state)
{
	struct peer p = { .name = ring_name("spsc"), .count = 300000, .es = 24 };
	struct par_ring *r;

	(void)state;
	assert_int_equal(par_ring_create(p.name, 24, 128, PAR_RING_SPSC, NULL, &r), 0);
	pid_t pid = par_test_fork(child_consumer_by_name, &p);
	assert_int_equal(produce_all(r, p.count, p.es), 0);
	par_test_reap_code(pid, 60 * PAR_TEST_SEC, 0);
	assert_int_equal(par_ring_count(r), 0);
	assert_int_equal(par_shm_unlink(p.name), 0);
	assert_int_equal(par_ring_close(r), 0);
}

/* A forked child uses (and closes) its copy of the parent's handle. */
static void anonymous_ring_inherited_by_child(void **state)
{
	struct peer p = { .count = 200000, .es = 16 };

	(void)state;
	assert_int_equal(par_ring_create(NULL, 16, 32, PAR_RING_SPSC, NULL, &p.inherited), 0);
	pid_t pid = par_test_fork(child_producer_inherited, &p);
	assert_int_equal(consume_all(p.inherited, p.count, p.es), 0);
	par_test_reap_code(pid, 60 * PAR_TEST_SEC, 0);
	assert_int_equal(par_ring_close(p.inherited), 0);
}

static void named_mpmc_across_processes(void **state)
{
	const char *name = ring_name("mpmc");
	struct par_ring *r;

	(void)state;
	assert_int_equal(par_ring_create(name, 16, 16, PAR_RING_MPMC, NULL, &r), 0);
	ring_matrix_run(&(struct matrix){ .mode = PAR_RING_MPMC,
					  .producers = 3,
					  .consumers = 3,
					  .per_producer = 50000,
					  .cap = 16,
					  .es = 16,
					  .shape = SHAPE_MIXED,
					  .processes = 1,
					  .name = name });
	assert_int_equal(par_ring_count(r), 0);
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(par_ring_close(r), 0);
}

/* ---- an exec'd unrelated program ------------------------------------------ */

static pid_t spawn_peer(const char *where, const char *role, uint64_t count)
{
	char n[32];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)count);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(PAR_TEST_RING_PEER, PAR_TEST_RING_PEER, where, role, n, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void exec_peer_consumes_by_name(void **state)
{
	const char *name = ring_name("exec");
	struct par_ring *r;

	(void)state;
	assert_int_equal(par_ring_create(name, 32, 64, PAR_RING_SPSC, NULL, &r), 0);
	pid_t pid = spawn_peer(name, "consume", 100000);
	assert_int_equal(produce_all(r, 100000, 32), 0);
	par_test_reap_code(pid, 60 * PAR_TEST_SEC, 0);
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(par_ring_close(r), 0);
}

static void exec_peer_produces_by_fd(void **state)
{
	struct par_ring *r;
	char where[32];

	(void)state;
	assert_int_equal(par_ring_create(NULL, 8, 16, PAR_RING_MPMC, NULL, &r), 0);
	int fd = dup(par_ring_fd(r)); /* without close-on-exec */
	assert_true(fd >= 0);
	snprintf(where, sizeof(where), "fd:%d", fd);
	pid_t pid = spawn_peer(where, "produce", 100000);
	close(fd);
	assert_int_equal(consume_all(r, 100000, 8), 0);
	par_test_reap_code(pid, 60 * PAR_TEST_SEC, 0);
	assert_int_equal(par_ring_close(r), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(anonymous_create_and_open_fd),
	cmocka_unit_test(named_create_open_and_exclusive),
	cmocka_unit_test(unlink_on_close_option),
	cmocka_unit_test(create_rejects_bad_arguments),
	cmocka_unit_test(open_rejects_what_is_not_a_ring),
	cmocka_unit_test(open_rejects_a_damaged_ring),
	cmocka_unit_test(named_spsc_across_processes),
	cmocka_unit_test(anonymous_ring_inherited_by_child),
	cmocka_unit_test(named_mpmc_across_processes),
	cmocka_unit_test(exec_peer_consumes_by_name),
	cmocka_unit_test(exec_peer_produces_by_fd),
};

PAR_TEST_MAIN(tests)
