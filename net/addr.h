/* "HOST:PORT" addresses (net/addr.c), and dialing them (net/dial.c). */
#ifndef PAR_NET_ADDR_H
#define PAR_NET_ADDR_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Resolve "HOST:PORT" ("[v6]:PORT" for IPv6 literals; an empty host means
 * any address when passive) with getaddrinfo. 0 and *res (freeaddrinfo it),
 * -EINVAL (malformed), -ENOENT (unknown host). */
int par__addr_resolve(const char *addr, int passive, struct addrinfo **res);

/* "HOST:PORT" of a socket address into buf. Returns the port or -ENOSPC. */
int par__addr_format(const struct sockaddr *sa, char *buf, size_t cap);

/* Wait until fd has one of events or the deadline (absolute; PAR_NO_DEADLINE
 * waits forever): 0, -ETIMEDOUT, or -errno of poll. */
int par__wait_fd(int fd, short events, int64_t deadline);

/* A blocking TCP socket (TCP_NODELAY, close-on-exec) connected to "HOST:PORT"
 * by the deadline, trying each address the name resolves to: the
 * descriptor, or -EINVAL (bad address, unknown host), -ECONNREFUSED,
 * -ETIMEDOUT, another -errno. */
int par__dial(const char *addr, int64_t deadline);

#endif /* PAR_NET_ADDR_H */
