/* The transport of Python's multiprocessing connections (connection.py):
 * length-prefixed messages, and the mutual HMAC challenge in both dialects
 * (raw HMAC-MD5 up to 3.11; "{digest}" + HMAC from 3.12). Pure functions,
 * used by the Python codec of the server (proto_python.c) and by the client
 * of Python managers (pyclient.c). */
#ifndef PAR_NET_PYWIRE_H
#define PAR_NET_PYWIRE_H

#include <par/net.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* During the handshake both sides read with recv_bytes(256). */
#define PAR__PY_HS_MAX 256
#define PAR__PY_CHALLENGE "#CHALLENGE#"
#define PAR__PY_WELCOME "#WELCOME#"
#define PAR__PY_FAILURE "#FAILURE#"
/* Room for any challenge answer: "{sha3_384}" + 48 bytes. */
#define PAR__PY_ANSWER_MAX 64
/* Room for a challenge message made here. */
#define PAR__PY_CHALLENGE_MAX 64

/* The header of a message of len payload bytes into h; its size: 4 (int32
 * big-endian), or 12 (-1 then uint64 big-endian) past 0x7fffffff. */
size_t par__py_frame_header(uint8_t h[12], uint64_t len);

/* One message at p[0..n): its total size (> 0, header included) with
 * *payload and *len set; 0 when more bytes are needed; -EMSGSIZE when its
 * length passes max (decided from the header alone); -EPROTO for a negative
 * length other than -1. Never reads past n. */
ssize_t par__py_frame_parse(const uint8_t *p, size_t n, uint64_t max, const uint8_t **payload,
			    uint64_t *len);

/* A challenge message into msg: "#CHALLENGE#{sha256}" + 40 random bytes
 * (modern, what every client from 3.8 to 3.13 answers), or "#CHALLENGE#" +
 * 20 random bytes (legacy). Its length, or -EIO. */
int par__py_challenge(uint8_t msg[PAR__PY_CHALLENGE_MAX], int modern);

/* Answer the challenge message msg[0..len) (with its "#CHALLENGE#") as
 * Python 3.12 does: a 20-byte body gets the raw HMAC-MD5; a body starting
 * "{name}" (md5, sha256, sha384, sha3_256, sha3_384) gets "{name}" +
 * HMAC-name over the whole body. The answer's length in out, or -EPROTO (no
 * prefix, a body under 20 bytes, an unknown digest, an unprefixed body that
 * is not 20 bytes), -EIO. */
int par__py_answer(const struct par_authkey *k, const uint8_t *msg, size_t len,
		   uint8_t out[PAR__PY_ANSWER_MAX]);

/* 1 when resp[0..rlen) proves the key for the challenge message
 * chal[0..clen) (with its prefix): a raw 16-byte HMAC-MD5 over the body, or
 * "{name}" + HMAC-name over the body; compared in constant time. Else 0. */
int par__py_verify(const struct par_authkey *k, const uint8_t *chal, size_t clen,
		   const uint8_t *resp, size_t rlen);

#endif /* PAR_NET_PYWIRE_H */
