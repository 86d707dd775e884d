/* Authentication: HMAC-SHA256 proofs over fresh nonces (OpenSSL libcrypto),
 * constant-time comparison, and loading the authkey from a file or the
 * environment. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

int par__nonce(uint8_t out[PAR__NONCE])
{
	if (RAND_bytes(out, PAR__NONCE) == 1)
		return 0;
	size_t got = 0;
	while (got < PAR__NONCE) {
		ssize_t r = getrandom(out + got, PAR__NONCE - got, 0);
		if (r < 0 && errno != EINTR)
			return -EIO;
		if (r > 0)
			got += (size_t)r;
	}
	return 0;
}

int par__auth_mac(const struct par_authkey *k, const char *label, const uint8_t a[PAR__NONCE],
		  const uint8_t b[PAR__NONCE], uint8_t mac[PAR__MAC])
{
	uint8_t msg[16 + 2 * PAR__NONCE];
	size_t ll = strlen(label);
	unsigned int mlen = 0;

	memset(mac, 0, PAR__MAC);
	if (k == NULL || k->len == 0 || k->len > PAR_AUTHKEY_MAX || ll > 16)
		return -EIO;
	memcpy(msg, label, ll);
	memcpy(msg + ll, a, PAR__NONCE);
	memcpy(msg + ll + PAR__NONCE, b, PAR__NONCE);
	if (HMAC(EVP_sha256(), k->key, (int)k->len, msg, ll + 2 * PAR__NONCE, mac, &mlen) == NULL ||
	    mlen != PAR__MAC) {
		memset(mac, 0, PAR__MAC);
		return -EIO;
	}
	return 0;
}

int par__mac_equal(const uint8_t a[PAR__MAC], const uint8_t b[PAR__MAC])
{
	return CRYPTO_memcmp(a, b, PAR__MAC) == 0;
}

int par_authkey_set(struct par_authkey *k, const void *bytes, size_t len)
{
	if (k == NULL || bytes == NULL || len == 0)
		return -EINVAL;
	if (len > PAR_AUTHKEY_MAX)
		return -EMSGSIZE;
	memcpy(k->key, bytes, len);
	k->len = len;
	return 0;
}

void par_authkey_clear(struct par_authkey *k)
{
	if (k != NULL)
		explicit_bzero(k, sizeof(*k));
}

/* Read all of fd (at most cap bytes; one more means too long). */
static ssize_t read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t got = 0;

	while (got < cap) {
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int par_authkey_from_file(const char *path, struct par_authkey *k)
{
	uint8_t buf[PAR_AUTHKEY_MAX + 3]; /* the key, "\r\n", one byte too many */
	struct stat st;

	if (path == NULL || k == NULL)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	ssize_t n = fstat(fd, &st) != 0 ? -errno : 0;
	if (n == 0 && (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0))
		n = -EACCES;
	if (n == 0)
		n = read_all(fd, buf, sizeof(buf));
	close(fd);
	if (n >= 1 && buf[n - 1] == '\n') {
		n--;
		if (n >= 1 && buf[n - 1] == '\r')
			n--;
	}
	int r = n < 0		      ? (int)n
		: n > PAR_AUTHKEY_MAX ? -EMSGSIZE
				      : par_authkey_set(k, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

int par_authkey_from_env(const char *name, struct par_authkey *k)
{
	if (name == NULL || *name == '\0' || k == NULL)
		return -EINVAL;
	const char *v = getenv(name);
	if (v == NULL)
		return -ENOENT;
	return par_authkey_set(k, v, strlen(v));
}
