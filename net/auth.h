/* The mutual HMAC challenge and its nonces (net/auth.c). */
#ifndef PAR_NET_AUTH_H
#define PAR_NET_AUTH_H

#include "frame.h"

#include <par/net.h>

#include <stdint.h>

/* Labels that keep the two proofs apart (a server's answer can never stand
 * in for a client's proof, nor the other way round). */
#define PAR__AUTH_CLIENT "par-client"
#define PAR__AUTH_SERVER "par-server"

/* A fresh random nonce (OpenSSL RAND_bytes, getrandom where that fails).
 * 0 or -EIO. */
int par__nonce(uint8_t out[PAR__NONCE]);

/* mac = HMAC-SHA256(key, label || a || b). 0, or -EIO (mac is zeroed). */
int par__auth_mac(const struct par_authkey *k, const char *label, const uint8_t a[PAR__NONCE],
		  const uint8_t b[PAR__NONCE], uint8_t mac[PAR__MAC]);

/* 1 when the two MACs are equal, compared in constant time. */
int par__mac_equal(const uint8_t a[PAR__MAC], const uint8_t b[PAR__MAC]);

#endif /* PAR_NET_AUTH_H */
