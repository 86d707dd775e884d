/* Python's connection layer: message framing and the mutual HMAC challenge
 * (Lib/multiprocessing/connection.py), both dialects. HMACs come from
 * OpenSSL's libcrypto; comparisons are constant-time. */
#include "auth.h"
#include "pywire.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define CHAL_LEN (sizeof(PAR__PY_CHALLENGE) - 1)
/* An unprefixed challenge body (and the shortest body at all). */
#define LEGACY_BODY 20
#define MD5_LEN 16
/* Random bytes after a "{sha256}" prefix, as Python sends. */
#define MODERN_RANDOM 40
/* Longest digest name between the braces ("sha3_384"). */
#define DIGEST_NAME_MAX 8

size_t par__py_frame_header(uint8_t h[12], uint64_t len)
{
	if (len <= 0x7fffffff) {
		for (int i = 0; i < 4; i++)
			h[i] = (uint8_t)(len >> (24 - 8 * i));
		return 4;
	}
	memset(h, 0xff, 4);
	for (int i = 0; i < 8; i++)
		h[4 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 12;
}

ssize_t par__py_frame_parse(const uint8_t *p, size_t n, uint64_t max, const uint8_t **payload,
			    uint64_t *len)
{
	uint64_t size = 0;
	size_t hl = 4;

	if (n < 4)
		return 0;
	int32_t v =
		(int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
	if (v < -1)
		return -EPROTO;
	if (v == -1) {
		hl = 12;
		if (n < hl)
			return 0;
		for (int i = 0; i < 8; i++)
			size = size << 8 | p[4 + i];
	} else {
		size = (uint64_t)v;
	}
	if (size > max)
		return -EMSGSIZE;
	if (n - hl < size)
		return 0;
	*payload = p + hl;
	*len = size;
	return (ssize_t)(hl + size);
}

int par__py_challenge(uint8_t msg[PAR__PY_CHALLENGE_MAX], int modern)
{
	size_t off = CHAL_LEN;
	size_t nr = modern ? MODERN_RANDOM : LEGACY_BODY;

	memcpy(msg, PAR__PY_CHALLENGE, CHAL_LEN);
	if (modern) {
		memcpy(msg + off, "{sha256}", 8);
		off += 8;
	}
	if (RAND_bytes(msg + off, (int)nr) != 1)
		return -EIO;
	return (int)(off + nr);
}

/* The digest named name[0..n), NULL when it is not one Python allows. */
static const EVP_MD *digest_named(const uint8_t *name, size_t n)
{
	static const struct {
		const char *name;
		const EVP_MD *(*md)(void);
	} allowed[] = {
		{ "md5", EVP_md5 },	      { "sha256", EVP_sha256 },
		{ "sha384", EVP_sha384 },     { "sha3_256", EVP_sha3_256 },
		{ "sha3_384", EVP_sha3_384 },
	};

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strlen(allowed[i].name) == n && memcmp(allowed[i].name, name, n) == 0)
			return allowed[i].md();
	return NULL;
}

/* A "{name}" prefix of m[0..n): its length (braces included) and *md, or 0
 * when there is none or the digest is not allowed. */
static size_t digest_prefix(const uint8_t *m, size_t n, const EVP_MD **md)
{
	if (n < 3 || m[0] != '{')
		return 0;
	for (size_t i = 1; i < n && i <= DIGEST_NAME_MAX + 1; i++) {
		if (m[i] != '}')
			continue;
		*md = digest_named(m + 1, i - 1);
		return *md != NULL ? i + 1 : 0;
	}
	return 0;
}

/* HMAC-md(key, d[0..n)) into out; its length, or -EIO. */
static int mac(const struct par_authkey *k, const EVP_MD *md, const uint8_t *d, size_t n,
	       uint8_t out[EVP_MAX_MD_SIZE])
{
	unsigned int len = 0;

	if (k == NULL || k->len > PAR_AUTHKEY_MAX)
		return -EIO;
	if (HMAC(md, k->key, (int)k->len, d, n, out, &len) == NULL)
		return -EIO;
	return (int)len;
}

int par__py_answer(const struct par_authkey *k, const uint8_t *msg, size_t len,
		   uint8_t out[PAR__PY_ANSWER_MAX])
{
	const EVP_MD *md = NULL;
	uint8_t h[EVP_MAX_MD_SIZE];

	if (len < CHAL_LEN || memcmp(msg, PAR__PY_CHALLENGE, CHAL_LEN) != 0)
		return -EPROTO;
	const uint8_t *body = msg + CHAL_LEN;
	size_t blen = len - CHAL_LEN;
	if (blen < LEGACY_BODY)
		return -EPROTO;
	if (blen == LEGACY_BODY) {
		int r = mac(k, EVP_md5(), body, blen, h);
		if (r == MD5_LEN)
			memcpy(out, h, MD5_LEN);
		return r < 0 ? r : MD5_LEN;
	}
	size_t pl = digest_prefix(body, blen, &md);
	if (pl == 0)
		return -EPROTO;
	int r = mac(k, md, body, blen, h); /* the MAC covers the prefix too */
	if (r < 0 || pl + (size_t)r > PAR__PY_ANSWER_MAX)
		return r < 0 ? r : -EIO;
	memcpy(out, body, pl);
	memcpy(out + pl, h, (size_t)r);
	return (int)pl + r;
}

int par__py_verify(const struct par_authkey *k, const uint8_t *chal, size_t clen,
		   const uint8_t *resp, size_t rlen)
{
	const EVP_MD *md = EVP_md5();
	uint8_t h[EVP_MAX_MD_SIZE];
	size_t pl = 0;

	if (clen < CHAL_LEN || memcmp(chal, PAR__PY_CHALLENGE, CHAL_LEN) != 0)
		return 0;
	/* 16 or 20 bytes: an unprefixed (legacy) HMAC-MD5, as Python reads it */
	if (rlen != MD5_LEN && rlen != LEGACY_BODY) {
		pl = digest_prefix(resp, rlen, &md);
		if (pl == 0)
			return 0;
	}
	int r = mac(k, md, chal + CHAL_LEN, clen - CHAL_LEN, h);
	return r > 0 && rlen - pl == (size_t)r && CRYPTO_memcmp(h, resp + pl, (size_t)r) == 0;
}
