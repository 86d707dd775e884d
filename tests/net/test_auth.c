/* Authentication pieces: the HMAC proofs (against independent values),
 * constant-time comparison, nonces, and loading the authkey from files and
 * the environment; backend names and choice. */
#include "par_test.h"

#include "auth.h"

#include <par/net.h>

#include <par/manager.h>

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static void unhex(const char *h, uint8_t *out)
{
	for (int i = 0; h[2 * i]; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

static void macs_match_independent_values(void **state)
{
	struct par_authkey k;
	uint8_t a[32], b[32], mac[32], want[32];

	(void)state;
	memset(a, 1, 32);
	memset(b, 2, 32);
	assert_int_equal(par_authkey_set(&k, "k", 1), 0);
	/* python3: hmac.new(b'k', b'par-client' + a + b, 'sha256') */
	unhex("4fedc44ccc8a349b648df77235a93b0ab9c00328814e9a53d2c9f87f676f4c5a", want);
	assert_int_equal(par__auth_mac(&k, PAR__AUTH_CLIENT, a, b, mac), 0);
	assert_memory_equal(mac, want, 32);
	assert_true(par__mac_equal(mac, want));
	unhex("4dddf474ff969dc68506f1cbb29906de588b4c383f1d6f670dac68019a310c68", want);
	assert_int_equal(par__auth_mac(&k, PAR__AUTH_SERVER, b, a, mac), 0);
	assert_memory_equal(mac, want, 32);
	/* The labels, the order and the key all matter. */
	assert_int_equal(par__auth_mac(&k, PAR__AUTH_CLIENT, b, a, mac), 0);
	assert_false(par__mac_equal(mac, want));
	assert_int_equal(par_authkey_set(&k, "K", 1), 0);
	assert_int_equal(par__auth_mac(&k, PAR__AUTH_SERVER, b, a, mac), 0);
	assert_false(par__mac_equal(mac, want));
	k.len = 0;
	assert_int_equal(par__auth_mac(&k, PAR__AUTH_SERVER, b, a, mac), -EIO);
}

static void nonces_are_fresh(void **state)
{
	uint8_t a[32], b[32], zero[32] = { 0 };

	(void)state;
	assert_int_equal(par__nonce(a), 0);
	assert_int_equal(par__nonce(b), 0);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, zero, 32);
}

/* Write a key file of mode with content; returns its path (static). */
static const char *key_file(const char *content, size_t len, mode_t mode)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/par-test-key-%d", (int)getpid());
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

static void key_from_file(void **state)
{
	struct par_authkey k;
	static char big[PAR_AUTHKEY_MAX + 2];

	(void)state;
	assert_int_equal(par_authkey_from_file(key_file("secret\n", 7, 0600), &k), 0);
	assert_int_equal(k.len, 6);
	assert_memory_equal(k.key, "secret", 6);
	assert_int_equal(par_authkey_from_file(key_file("s3\r\n", 4, 0400), &k), 0);
	assert_int_equal(k.len, 2);
	assert_int_equal(par_authkey_from_file(key_file("a\n\n", 3, 0600), &k), 0);
	assert_int_equal(k.len, 2); /* only one newline goes */
	assert_int_equal(par_authkey_from_file(key_file("bin\0ary", 7, 0600), &k), 0);
	assert_int_equal(k.len, 7);
	assert_int_equal(par_authkey_from_file(key_file("secret", 6, 0644), &k), -EACCES);
	assert_int_equal(par_authkey_from_file(key_file("secret", 6, 0620), &k), -EACCES);
	assert_int_equal(par_authkey_from_file(key_file("\n", 1, 0600), &k), -EINVAL);
	assert_int_equal(par_authkey_from_file(key_file("", 0, 0600), &k), -EINVAL);
	memset(big, 'x', sizeof(big));
	assert_int_equal(par_authkey_from_file(key_file(big, PAR_AUTHKEY_MAX, 0600), &k), 0);
	assert_int_equal(k.len, PAR_AUTHKEY_MAX);
	assert_int_equal(par_authkey_from_file(key_file(big, PAR_AUTHKEY_MAX + 1, 0600), &k),
			 -EMSGSIZE);
	unlink(key_file("", 0, 0600));
	assert_int_equal(par_authkey_from_file("/nonexistent/par-key", &k), -ENOENT);
	assert_int_equal(par_authkey_from_file("/tmp", &k), -EACCES);
	assert_int_equal(par_authkey_from_file(NULL, &k), -EINVAL);
}

static void key_from_env_and_bytes(void **state)
{
	struct par_authkey k;
	static char big[PAR_AUTHKEY_MAX + 1];

	(void)state;
	setenv("PAR_TEST_AUTHKEY", "from-env", 1);
	assert_int_equal(par_authkey_from_env("PAR_TEST_AUTHKEY", &k), 0);
	assert_int_equal(k.len, 8);
	assert_memory_equal(k.key, "from-env", 8);
	setenv("PAR_TEST_AUTHKEY", "", 1);
	assert_int_equal(par_authkey_from_env("PAR_TEST_AUTHKEY", &k), -EINVAL);
	unsetenv("PAR_TEST_AUTHKEY");
	assert_int_equal(par_authkey_from_env("PAR_TEST_AUTHKEY", &k), -ENOENT);
	assert_int_equal(par_authkey_from_env("", &k), -EINVAL);
	assert_int_equal(par_authkey_set(&k, "x", 0), -EINVAL);
	assert_int_equal(par_authkey_set(&k, NULL, 1), -EINVAL);
	assert_int_equal(par_authkey_set(&k, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(par_authkey_set(&k, "abc", 3), 0);
	par_authkey_clear(&k);
	assert_int_equal(k.len, 0);
	assert_int_equal(k.key[0], 0);
}

static void backends_are_named_and_chosen(void **state)
{
	(void)state;
	assert_string_equal(par_net_backend_name(PAR_NET_BACKEND_AUTO), "auto");
	assert_string_equal(par_net_backend_name(PAR_NET_BACKEND_URING), "io_uring");
	assert_string_equal(par_net_backend_name(PAR_NET_BACKEND_EPOLL), "epoll");
	assert_string_equal(par_net_backend_name((enum par_net_backend)9), "unknown");
	assert_int_equal(par_net_backend_probe(PAR_NET_BACKEND_EPOLL), PAR_NET_BACKEND_EPOLL);
	assert_int_equal(par_net_backend_probe((enum par_net_backend)9), -EINVAL);
	setenv("PAR_NET_BACKEND", "epoll", 1);
	assert_int_equal(par_net_backend_probe(PAR_NET_BACKEND_AUTO), PAR_NET_BACKEND_EPOLL);
	setenv("PAR_NET_BACKEND", "bogus", 1);
	assert_int_equal(par_net_backend_probe(PAR_NET_BACKEND_AUTO), -EINVAL);
	unsetenv("PAR_NET_BACKEND");
	int b = par_net_backend_probe(PAR_NET_BACKEND_AUTO);
	assert_true(b == PAR_NET_BACKEND_URING || b == PAR_NET_BACKEND_EPOLL);
	int u = par_net_backend_probe(PAR_NET_BACKEND_URING);
	/* Auto takes io_uring exactly when it is there. */
	assert_true(u == PAR_NET_BACKEND_URING ? b == u : (u < 0 && b == PAR_NET_BACKEND_EPOLL));
}

/* As a container's seccomp profile does: io_uring_setup fails with EPERM. */
static int refuse_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int refused_child(void *arg)
{
	struct par_authkey k;
	struct par_manager *m = NULL;
	struct par_client *c = NULL;
	struct par_rqueue *q = NULL;
	char addr[64], buf[8];

	(void)arg;
	unsetenv("PAR_NET_BACKEND");
	if (refuse_io_uring() != 0)
		return 10;
	if (par_net_backend_probe(PAR_NET_BACKEND_URING) != -EPERM)
		return 11;
	if (par_net_backend_probe(PAR_NET_BACKEND_AUTO) != PAR_NET_BACKEND_EPOLL)
		return 12;
	par_authkey_set(&k, "k", 1);
	setenv("PAR_NET_BACKEND", "uring", 1); /* asked for by name: refused */
	if (par_manager_create(&k, NULL, &m) != -EPERM)
		return 13;
	unsetenv("PAR_NET_BACKEND");
	if (par_manager_create(&k, NULL, &m) != 0 || par_manager_add_queue(m, "q", NULL) ||
	    par_manager_listen(m, "127.0.0.1:0") || par_manager_start(m))
		return 14;
	if (par_manager_backend(m) != PAR_NET_BACKEND_EPOLL)
		return 15;
	par_manager_address(m, addr, sizeof(addr));
	if (par_client_connect(addr, &k, NULL, &c) || par_client_open(c, "q", &q) ||
	    par_rqueue_put(q, "ok", 2, 0) || par_rqueue_get(q, buf, sizeof(buf), 0) != 2)
		return 16;
	par_rqueue_close(q);
	par_client_close(c);
	par_manager_destroy(m);
	return 0;
}

static void io_uring_refused_means_epoll(void **state)
{
	(void)state;
	if (par_net_backend_probe(PAR_NET_BACKEND_URING) < 0)
		skip(); /* already refused here: nothing to take away */
	par_test_reap_code(par_test_fork(refused_child, NULL), 30 * PAR_TEST_SEC, 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(macs_match_independent_values),
	cmocka_unit_test(nonces_are_fresh),
	cmocka_unit_test(key_from_file),
	cmocka_unit_test(key_from_env_and_bytes),
	cmocka_unit_test(backends_are_named_and_chosen),
	cmocka_unit_test(io_uring_refused_means_epoll),
};

PAR_TEST_MAIN(tests)
