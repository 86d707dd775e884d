/* "HOST:PORT" addresses (net/addr.c). */
#ifndef PAR_NET_ADDR_H
#define PAR_NET_ADDR_H

#include <netdb.h>
#include <stddef.h>
#include <sys/socket.h>

/* Resolve "HOST:PORT" ("[v6]:PORT" for IPv6 literals; an empty host means
 * any address when passive) with getaddrinfo. 0 and *res (freeaddrinfo it),
 * -EINVAL (malformed), -ENOENT (unknown host). */
int par__addr_resolve(const char *addr, int passive, struct addrinfo **res);

/* "HOST:PORT" of a socket address into buf. Returns the port or -ENOSPC. */
int par__addr_format(const struct sockaddr *sa, char *buf, size_t cap);

#endif /* PAR_NET_ADDR_H */
