/* Segments: named and anonymous, shared with forked children, unrelated
 * (exec'd) processes and over a Unix socket; names, modes, options, kinds,
 * NUMA binding and huge pages. Corrupted files are in test_segment_corrupt.c. */
#include "par_test.h"
#include "seg_pattern.h"
#include "segment_impl.h"

#include <par/shm.h>

#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define WAIT (10 * PAR_TEST_SEC)

/* A name of this test process's own, so parallel runs do not collide. */
static const char *seg_name(const char *tag)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "/par-test-seg-%d-%s", (int)getpid(), tag);
	par_shm_unlink(buf);
	return buf;
}

static struct par_shm *create_ok(const char *name, size_t size, const struct par_shm_opts *o)
{
	struct par_shm *s = NULL;

	assert_int_equal(par_shm_create(name, size, o, &s), 0);
	assert_non_null(s);
	return s;
}

static void named_create_open_close_unlink(void **state)
{
	const char *name = seg_name("basic");
	struct par_shm *a, *b = NULL;

	(void)state;
	a = create_ok(name, 100000, NULL);
	assert_int_equal(par_shm_data_size(a), 100000);
	assert_int_equal((uintptr_t)par_shm_data(a) % 4096, 0);
	seg_fill(par_shm_data(a), 100000, 1);
	assert_int_equal(par_shm_open(name, NULL, &b), 0);
	assert_true(par_shm_data(b) != par_shm_data(a));
	assert_int_equal(par_shm_data_size(b), 100000);
	assert_true(seg_check(par_shm_data(b), 100000, 1));
	assert_int_equal(par_shm_kind(b), PAR_SHM_KIND_RAW);
	assert_int_equal(par_shm_creator(b), getpid());
	assert_int_equal(par_shm_creator(a), getpid());
	assert_int_equal(par_shm_numa_node(b), -1);
	assert_int_equal(par_shm_huge_pages(b), 0);
	((char *)par_shm_data(b))[5] = 'x'; /* the same pages */
	assert_int_equal(((char *)par_shm_data(a))[5], 'x');
	assert_int_equal(par_shm_close(b), 0);
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(par_shm_unlink(name), -ENOENT);
	assert_int_equal(par_shm_open(name, NULL, &b), -ENOENT);
	assert_int_equal(((char *)par_shm_data(a))[5], 'x'); /* still mapped */
	assert_int_equal(par_shm_close(a), 0);
	assert_int_equal(par_shm_close(NULL), -EINVAL);
}

struct peer_arg {
	const char *name;
	uint64_t seed;
};

/* A forked child: open by name, check the parent's pattern, write its own. */
static int child_open_by_name(void *arg)
{
	struct peer_arg *p = arg;
	struct par_shm *s;

	if (par_shm_open(p->name, NULL, &s) != 0)
		return 3;
	if (!seg_check(par_shm_data(s), par_shm_data_size(s), p->seed))
		return 4;
	seg_fill(par_shm_data(s), par_shm_data_size(s), p->seed + 1);
	return par_shm_close(s) == 0 ? 0 : 5;
}

static void named_shared_with_forked_child(void **state)
{
	struct peer_arg p = { seg_name("fork"), 7 };
	struct par_shm *s;

	(void)state;
	s = create_ok(p.name, 3 * 4096 + 5, NULL);
	seg_fill(par_shm_data(s), par_shm_data_size(s), p.seed);
	par_test_reap_code(par_test_fork(child_open_by_name, &p), WAIT, 0);
	assert_true(seg_check(par_shm_data(s), par_shm_data_size(s), p.seed + 1));
	assert_int_equal(par_shm_unlink(p.name), 0);
	par_shm_close(s);
}

/* Run the exec'd peer with argv and return its exit code. */
static int run_peer(const char *how, const char *what, uint64_t seed)
{
	char seedbuf[32];
	pid_t pid;

	snprintf(seedbuf, sizeof(seedbuf), "%llu", (unsigned long long)seed);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(PAR_TEST_SEGMENT_PEER, PAR_TEST_SEGMENT_PEER, how, what, seedbuf,
		      (char *)NULL);
		_exit(127);
	}
	int status = par_test_reap(pid, WAIT);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void named_shared_with_exec_peer(void **state)
{
	const char *name = seg_name("exec");
	struct par_shm *s;

	(void)state;
	s = create_ok(name, 1 << 20, NULL);
	seg_fill(par_shm_data(s), par_shm_data_size(s), 11);
	assert_int_equal(run_peer("name", name, 11), 0);
	assert_true(seg_check(par_shm_data(s), par_shm_data_size(s), 12));
	assert_int_equal(run_peer("name", name, 11), 4); /* the peer checks, too */
	par_shm_close(s);
	assert_int_equal(run_peer("name", name, 12), 0);
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(run_peer("name", name, 13), 3);
}

static void existing_and_missing_names(void **state)
{
	const char *name = seg_name("exist");
	struct par_shm *s, *t = NULL;

	(void)state;
	s = create_ok(name, 64, NULL);
	assert_int_equal(par_shm_create(name, 64, NULL, &t), -EEXIST);
	assert_null(t);
	par_shm_close(s);
	assert_int_equal(par_shm_create(name, 64, NULL, &t), -EEXIST); /* closed, not unlinked */
	assert_int_equal(par_shm_unlink(name), 0);
	assert_int_equal(par_shm_open(name, NULL, &t), -ENOENT);
	assert_int_equal(par_shm_unlink(name), -ENOENT);
}

static void bad_names_are_einval(void **state)
{
	static const char *bad[] = { "", "/", "x", "noslash", "/a/b", "//", "/a/", "/.", "/.." };
	char longest[PAR_SHM_NAME_MAX + 2];
	struct par_shm *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(par_shm_create(bad[i], 64, NULL, &s), -EINVAL);
		assert_int_equal(par_shm_open(bad[i], NULL, &s), -EINVAL);
		assert_int_equal(par_shm_unlink(bad[i]), -EINVAL);
		assert_int_equal(par__shm_name_ok(bad[i]), -EINVAL);
	}
	assert_int_equal(par_shm_open(NULL, NULL, &s), -EINVAL);
	assert_int_equal(par_shm_unlink(NULL), -EINVAL);
	assert_int_equal(par__shm_name_ok(NULL), -EINVAL);
	assert_null(s);

	memset(longest, 'n', sizeof(longest));
	longest[0] = '/';
	longest[PAR_SHM_NAME_MAX + 1] = '\0';
	assert_int_equal(par_shm_create(longest, 64, NULL, &s), -EINVAL);
	longest[PAR_SHM_NAME_MAX] = '\0';
	par_shm_unlink(longest);
	assert_int_equal(par__shm_name_ok(longest), 0);
	assert_int_equal(par_shm_create(longest, 64, NULL, &s), 0);
	assert_int_equal(par_shm_unlink(longest), 0);
	par_shm_close(s);
}

static void bad_sizes_and_options_are_einval(void **state)
{
	const char *name = seg_name("opts");
	struct par_shm_opts o;
	struct par_shm *s = NULL;

	(void)state;
	assert_int_equal(par_shm_create(name, 0, NULL, &s), -EINVAL);
	assert_int_equal(par_shm_create(name, SIZE_MAX, NULL, &s), -EINVAL);
	assert_int_equal(par_shm_create(name, SIZE_MAX - 4000, NULL, &s), -EINVAL);
	assert_int_equal(par_shm_create(name, 64, NULL, NULL), -EINVAL);
	par_shm_opts_init(&o);
	o.size = 2;
	assert_int_equal(par_shm_create(name, 64, &o, &s), -EINVAL);
	assert_int_equal(par_shm_open(name, &o, &s), -EINVAL);
	par_shm_opts_init(&o);
	o.mode = 010600;
	assert_int_equal(par_shm_create(name, 64, &o, &s), -EINVAL);
	par_shm_opts_init(&o);
	o.huge = (enum par_shm_huge)3;
	assert_int_equal(par_shm_create(NULL, 64, &o, &s), -EINVAL);
	par_shm_opts_init(&o);
	o.numa_node = -2;
	assert_int_equal(par_shm_create(NULL, 64, &o, &s), -EINVAL);
	assert_null(s);
	assert_int_equal(par_shm_open(name, NULL, &s), -ENOENT); /* nothing was left */

	/* An old caller's shorter struct: the fields it lacks take defaults. */
	par_shm_opts_init(&o);
	o.size = offsetof(struct par_shm_opts, numa_node);
	o.mode = 0640;
	o.numa_node = 12345; /* beyond the caller's struct: not read */
	assert_int_equal(par_shm_create(name, 64, &o, &s), 0);
	assert_int_equal(par_shm_numa_node(s), -1);
	par_shm_unlink(name);
	par_shm_close(s);
}

static mode_t mode_of(const struct par_shm *s)
{
	struct stat st;

	assert_int_equal(fstat(par_shm_fd(s), &st), 0);
	return st.st_mode & 07777;
}

static void mode_default_and_custom(void **state)
{
	const char *name = seg_name("mode");
	struct par_shm_opts o;
	struct par_shm *s;
	struct stat st;
	char path[128];
	mode_t old = umask(077); /* the mode asked for is the mode made */

	(void)state;
	s = create_ok(name, 64, NULL);
	assert_int_equal(mode_of(s), 0600);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 8192);
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(s);

	par_shm_opts_init(&o);
	o.mode = 0664;
	s = create_ok(name, 64, &o);
	assert_int_equal(mode_of(s), 0664);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0664);
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(s);
	umask(old);
}

static int child_writes(void *arg)
{
	struct par_shm *s = arg; /* the parent's handle, copied by fork */

	if (!seg_check(par_shm_data(s), par_shm_data_size(s), 21))
		return 4;
	seg_fill(par_shm_data(s), par_shm_data_size(s), 22);
	return par_shm_close(s) == 0 ? 0 : 5;
}

static void anonymous_shared_with_forked_child(void **state)
{
	struct par_shm *s;
	struct stat st;

	(void)state;
	s = create_ok(NULL, 50000, NULL);
	assert_int_equal(par_shm_kind(s), PAR_SHM_KIND_RAW);
	assert_true(fcntl(par_shm_fd(s), F_GETFD) & FD_CLOEXEC);
	seg_fill(par_shm_data(s), 50000, 21);
	par_test_reap_code(par_test_fork(child_writes, s), WAIT, 0);
	assert_true(seg_check(par_shm_data(s), 50000, 22));
	/* Its size is sealed: nobody can shrink it under a mapper. */
	assert_int_equal(fstat(par_shm_fd(s), &st), 0);
	assert_int_equal(ftruncate(par_shm_fd(s), 4096), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(par_shm_fd(s), st.st_size * 2), -1);
	par_shm_close(s);
}

static int send_fd(int sock, int fd)
{
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c1 = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	c1->cmsg_level = SOL_SOCKET;
	c1->cmsg_type = SCM_RIGHTS;
	c1->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c1), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	int fd = -1;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	struct cmsghdr *c1 = CMSG_FIRSTHDR(&m);
	if (c1 == NULL || c1->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c1), sizeof(int));
	return fd;
}

/* Forked before the segment exists, so only the socket can give it one. */
static int child_receives_fd(void *arg)
{
	int sock = *(int *)arg, fd = recv_fd(sock);
	struct par_shm *s;
	char ok = 'k';

	if (fd < 0)
		return 2;
	if (par_shm_open_fd(fd, &s) != 0)
		return 3;
	close(fd); /* the handle has its own */
	if (par_shm_creator(s) != getppid() || !seg_check(par_shm_data(s), 8192, 31))
		return 4;
	seg_fill(par_shm_data(s), 8192, 32);
	par_shm_close(s);
	return write(sock, &ok, 1) == 1 ? 0 : 6;
}

static void anonymous_fd_over_unix_socket(void **state)
{
	int sv[2];
	struct par_shm *s;
	char ok = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid_t pid = par_test_fork(child_receives_fd, &sv[1]);
	s = create_ok(NULL, 8192, NULL);
	seg_fill(par_shm_data(s), 8192, 31);
	assert_int_equal(send_fd(sv[0], par_shm_fd(s)), 0);
	par_test_reap_code(pid, WAIT, 0);
	assert_int_equal(read(sv[0], &ok, 1), 1);
	assert_int_equal(ok, 'k');
	assert_true(seg_check(par_shm_data(s), 8192, 32));
	par_shm_close(s);
	close(sv[0]);
	close(sv[1]);
}

static void anonymous_fd_across_exec(void **state)
{
	struct par_shm *s;
	char fdbuf[16];

	(void)state;
	s = create_ok(NULL, 40000, NULL);
	seg_fill(par_shm_data(s), 40000, 41);
	int fd = fcntl(par_shm_fd(s), F_DUPFD, 10); /* without close-on-exec */
	assert_true(fd >= 10);
	snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
	assert_int_equal(run_peer("fd", fdbuf, 41), 0);
	close(fd);
	assert_true(seg_check(par_shm_data(s), 40000, 42));
	par_shm_close(s);
}

static void open_fd_duplicates_and_checks(void **state)
{
	struct par_shm *s, *t;
	int pipefd[2];

	(void)state;
	s = create_ok(NULL, 100, NULL);
	int fd = dup(par_shm_fd(s));
	assert_int_equal(par_shm_open_fd(fd, &t), 0);
	assert_true(par_shm_fd(t) != fd);
	assert_true(fcntl(par_shm_fd(t), F_GETFD) & FD_CLOEXEC);
	assert_int_equal(close(fd), 0); /* the caller still owned it */
	par_shm_close(s);
	((char *)par_shm_data(t))[99] = 1; /* t alone keeps it alive */
	assert_int_equal(par_shm_data_size(t), 100);
	par_shm_close(t);
	assert_int_equal(par_shm_open_fd(-1, &t), -EBADF);
	assert_int_equal(par_shm_open_fd(fd, &t), -EBADF); /* closed */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(par_shm_open_fd(pipefd[0], &t), -EPROTO);
	close(pipefd[0]);
	close(pipefd[1]);
}

static int child_closes_copy(void *arg)
{
	return par_shm_close(arg) == 0 ? 0 : 5;
}

static void unlink_on_close_by_creator_only(void **state)
{
	const char *name = seg_name("uoc");
	struct par_shm_opts o;
	struct par_shm *s, *t;

	(void)state;
	par_shm_opts_init(&o);
	o.unlink_on_close = 1;
	s = create_ok(name, 64, &o);
	/* Neither a forked copy of the handle nor an opener removes the name. */
	par_test_reap_code(par_test_fork(child_closes_copy, s), WAIT, 0);
	assert_int_equal(par_shm_open(name, &o, &t), 0);
	par_shm_close(t);
	assert_int_equal(par_shm_open(name, NULL, &t), 0);
	par_shm_close(s);
	assert_int_equal(par_shm_open(name, NULL, &s), -ENOENT);
	assert_int_equal(par_shm_unlink(name), -ENOENT);
	par_shm_close(t);

	/* A name removed and made again by someone else is theirs. */
	s = create_ok(name, 64, &o);
	assert_int_equal(par_shm_unlink(name), 0);
	t = create_ok(name, 64, NULL);
	par_shm_close(s);
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(t);
}

static int child_creates(void *arg)
{
	struct par_shm *s;

	if (par_shm_create(arg, 64, NULL, &s) != 0)
		return 3;
	seg_fill(par_shm_data(s), 64, 51);
	return par_shm_close(s) == 0 ? 0 : 5;
}

static void kind_and_creator_come_from_header(void **state)
{
	const char *name = seg_name("creator");
	struct par_shm *s;

	(void)state;
	pid_t pid = par_test_fork(child_creates, (void *)name);
	par_test_reap_code(pid, WAIT, 0);
	assert_int_equal(par_shm_open(name, NULL, &s), 0);
	assert_int_equal(par_shm_creator(s), pid);
	assert_int_equal(par_shm_kind(s), PAR_SHM_KIND_RAW);
	assert_true(seg_check(par_shm_data(s), 64, 51));
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(s);
}

static void internal_kinds_geometry_and_publish(void **state)
{
	const char *name = seg_name("kind");
	const uint8_t geom[PAR__SHM_GEOM_MAX] = { 1, 2, 3, 4, 5, 6, 7, 8, [63] = 9 };
	uint8_t got[PAR__SHM_GEOM_MAX];
	struct par_shm *s, *t = NULL;

	(void)state;
	assert_int_equal(par__shm_create_kind(name, PAR_SHM_KIND_RING, geom, 12, 4096, NULL, &s),
			 0);
	assert_int_equal(par_shm_kind(s), PAR_SHM_KIND_RING);
	assert_int_equal(par__shm_open_kind(name, -1, PAR_SHM_KIND_RING, got, 12, &t), -EAGAIN);
	assert_int_equal(par_shm_open(name, NULL, &t), -EPROTO); /* the kind is checked first */
	strcpy(par_shm_data(s), "built");
	par__shm_publish(s);

	memset(got, 0xee, sizeof(got));
	assert_int_equal(par__shm_open_kind(name, -1, PAR_SHM_KIND_RING, got, 12, &t), 0);
	assert_memory_equal(got, geom, 12);
	assert_int_equal(got[12], 0xee); /* geom_len bytes, no more */
	assert_string_equal(par_shm_data(t), "built");
	assert_int_equal(par_shm_kind(t), PAR_SHM_KIND_RING);
	par_shm_close(t);
	assert_int_equal(par__shm_open_kind(NULL, par_shm_fd(s), PAR_SHM_KIND_RING, got, 12, &t),
			 0);
	par_shm_close(t);
	t = NULL;
	assert_int_equal(par__shm_open_kind(name, -1, PAR_SHM_KIND_RING, got, 11, &t), -EPROTO);
	assert_int_equal(par__shm_open_kind(name, -1, PAR_SHM_KIND_RING, got, 13, &t), -EPROTO);
	assert_int_equal(par__shm_open_kind(name, -1, PAR_SHM_KIND_QUEUE, got, 12, &t), -EPROTO);
	assert_int_equal(par_shm_open(name, NULL, &t), -EPROTO);
	assert_int_equal(par_shm_open_fd(par_shm_fd(s), &t), -EPROTO);
	assert_int_equal(par__shm_open_kind(name, -1, (enum par_shm_kind)9, got, 12, &t), -EINVAL);
	assert_int_equal(par__shm_open_kind(name, -1, PAR_SHM_KIND_RING, got, 65, &t), -EINVAL);
	assert_int_equal(par__shm_open_kind(name, 3, PAR_SHM_KIND_RING, got, 12, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(s);

	/* The whole geometry, and create's own checks. */
	assert_int_equal(par__shm_create_kind(NULL, PAR_SHM_KIND_QUEUE, geom, 64, 1, NULL, &s), 0);
	par__shm_publish(s);
	assert_int_equal(par__shm_open_kind(NULL, par_shm_fd(s), PAR_SHM_KIND_QUEUE, got, 64, &t),
			 0);
	assert_memory_equal(got, geom, 64);
	par_shm_close(t);
	par_shm_close(s);
	assert_int_equal(par__shm_create_kind(NULL, PAR_SHM_KIND_RING, geom, 65, 64, NULL, &s),
			 -EINVAL);
	assert_int_equal(par__shm_create_kind(NULL, PAR_SHM_KIND_RING, NULL, 4, 64, NULL, &s),
			 -EINVAL);
	assert_int_equal(par__shm_create_kind(NULL, (enum par_shm_kind)0, NULL, 0, 64, NULL, &s),
			 -EINVAL);
}

/* The policy of the page at p, and the node it sits on once touched. */
static void page_policy(void *p, int *mode, unsigned long *mask, int *node)
{
	assert_int_equal(get_mempolicy(mode, mask, 8 * sizeof(*mask), p, MPOL_F_ADDR), 0);
	assert_int_equal(get_mempolicy(node, NULL, 0, p, MPOL_F_ADDR | MPOL_F_NODE), 0);
}

static void numa_node_zero_binds(void **state)
{
	const char *name = seg_name("numa");
	struct par_shm_opts o;
	struct par_shm *s, *t;
	int mode = -1, node = -1;
	unsigned long mask = 0;

	(void)state;
	if (numa_available() < 0)
		skip();
	par_shm_opts_init(&o);
	o.numa_node = 0;
	o.populate = 1;
	s = create_ok(name, 1 << 20, &o);
	assert_int_equal(par_shm_numa_node(s), 0);
	char *d = par_shm_data(s);
	for (size_t off = 0; off < (1 << 20); off += 65536) {
		page_policy(d + off, &mode, &mask, &node);
		assert_int_equal(mode, MPOL_BIND);
		assert_int_equal(mask, 1);
		assert_int_equal(node, 0);
	}
	assert_int_equal(par_shm_open(name, NULL, &t), 0);
	assert_int_equal(par_shm_numa_node(t), 0); /* as the creator bound it */
	par_shm_close(t);
	assert_int_equal(par_shm_open(name, &o, &t), 0);
	assert_int_equal(par_shm_numa_node(t), 0);
	page_policy((char *)par_shm_data(t) + 4096, &mode, &mask, &node);
	assert_int_equal(mode, MPOL_BIND);
	assert_int_equal(node, 0);
	par_shm_close(t);
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(s);

	s = create_ok(NULL, 4096, &o); /* anonymous, too */
	page_policy(par_shm_data(s), &mode, &mask, &node);
	assert_int_equal(mode, MPOL_BIND);
	assert_int_equal(node, 0);
	par_shm_close(s);
}

static void numa_missing_node_is_einval(void **state)
{
	const char *name = seg_name("nonode");
	struct par_shm_opts o;
	struct par_shm *s = NULL;
	int missing = numa_available() < 0 ? 1 : numa_max_node() + 1;
	const int nodes[] = { missing, 9999, 1 << 20, -2 };

	(void)state;
	par_shm_opts_init(&o);
	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		o.numa_node = nodes[i];
		assert_int_equal(par_shm_create(name, 4096, &o, &s), -EINVAL);
		assert_int_equal(par_shm_create(NULL, 4096, &o, &s), -EINVAL);
	}
	assert_int_equal(par_shm_open(name, NULL, &s), -ENOENT); /* nothing was left */
	s = create_ok(name, 4096, NULL);
	struct par_shm *t = NULL;
	assert_int_equal(par_shm_open(name, &o, &t), -EINVAL);
	assert_null(t);
	assert_int_equal(par_shm_unlink(name), 0);
	par_shm_close(s);
}

/* A number from a /proc/sys file, 0 when it cannot be read. */
static long proc_long(const char *path)
{
	long n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

static void huge_try_and_require(void **state)
{
	const char *name = seg_name("huge");
	struct par_shm_opts o;
	struct par_shm *s = NULL, *t;
	struct stat st;

	(void)state;
	par_shm_opts_init(&o);
	o.huge = PAR_SHM_HUGE_TRY;
	o.populate = 1;
	for (int named = 0; named < 2; named++) {
		const char *n = named ? name : NULL;
		s = create_ok(n, 5000, &o);
		seg_fill(par_shm_data(s), 5000, 61);
		assert_int_equal(fstat(par_shm_fd(s), &st), 0);
		if (par_shm_huge_pages(s)) {
			assert_true(st.st_blksize > 4096);
			assert_int_equal(st.st_size % st.st_blksize, 0);
		} else {
			assert_int_equal(st.st_size, 4096 + 8192);
		}
		if (named) {
			assert_int_equal(par_shm_open(name, NULL, &t), 0);
			assert_int_equal(par_shm_huge_pages(t), par_shm_huge_pages(s));
			assert_true(seg_check(par_shm_data(t), 5000, 61));
			par_shm_close(t);
			assert_int_equal(par_shm_unlink(name), 0);
		}
		par_shm_close(s);
	}
	o.huge = PAR_SHM_HUGE_REQUIRE;
	s = NULL;
	if (proc_long("/proc/sys/vm/nr_hugepages") == 0 &&
	    proc_long("/proc/sys/vm/nr_overcommit_hugepages") == 0) {
		assert_int_equal(par_shm_create(NULL, 5000, &o, &s), -ENOMEM);
		assert_int_equal(par_shm_create(name, 5000, &o, &s), -ENOMEM);
		assert_null(s);
		assert_int_equal(par_shm_open(name, NULL, &s), -ENOENT); /* nothing was left */
		return;
	}
	/* A machine with huge pages: REQUIRE gets them, or none are free now. */
	for (int named = 0; named < 2; named++) {
		int r = par_shm_create(named ? name : NULL, 5000, &o, &s);
		print_message("huge pages required (%s): %d\n", named ? "named" : "anonymous", r);
		if (r == -ENOMEM)
			continue;
		assert_int_equal(r, 0);
		assert_int_equal(par_shm_huge_pages(s), 1);
		seg_fill(par_shm_data(s), 5000, 62);
		if (named)
			assert_int_equal(par_shm_unlink(name), 0);
		par_shm_close(s);
	}
}

static void populate_allocates_every_page(void **state)
{
	struct par_shm_opts o;
	struct par_shm *s;
	size_t len = 64 * 4096 + 4096;
	unsigned char vec[65];

	(void)state;
	par_shm_opts_init(&o);
	o.populate = 1;
	s = create_ok(NULL, 64 * 4096, &o);
	assert_int_equal(mincore((char *)par_shm_data(s) - 4096, len, vec), 0);
	for (size_t i = 0; i < sizeof(vec); i++)
		assert_true(vec[i] & 1);
	par_shm_close(s);

	s = create_ok(NULL, 64 * 4096, NULL); /* lazily: only the header page */
	assert_int_equal(mincore((char *)par_shm_data(s) - 4096, len, vec), 0);
	assert_true(vec[0] & 1);
	assert_false(vec[64] & 1);
	par_shm_close(s);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(named_create_open_close_unlink),
	cmocka_unit_test(named_shared_with_forked_child),
	cmocka_unit_test(named_shared_with_exec_peer),
	cmocka_unit_test(existing_and_missing_names),
	cmocka_unit_test(bad_names_are_einval),
	cmocka_unit_test(bad_sizes_and_options_are_einval),
	cmocka_unit_test(mode_default_and_custom),
	cmocka_unit_test(anonymous_shared_with_forked_child),
	cmocka_unit_test(anonymous_fd_over_unix_socket),
	cmocka_unit_test(anonymous_fd_across_exec),
	cmocka_unit_test(open_fd_duplicates_and_checks),
	cmocka_unit_test(unlink_on_close_by_creator_only),
	cmocka_unit_test(kind_and_creator_come_from_header),
	cmocka_unit_test(internal_kinds_geometry_and_publish),
	cmocka_unit_test(numa_node_zero_binds),
	cmocka_unit_test(numa_missing_node_is_einval),
	cmocka_unit_test(huge_try_and_require),
	cmocka_unit_test(populate_allocates_every_page),
};

PAR_TEST_MAIN(tests)
