/* Parsing, resolving and printing "HOST:PORT" addresses. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split into host and port; brackets allowed around the host. */
static int split(const char *addr, char *host, size_t hcap, char *port, size_t pcap)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr, *he;

	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	he = colon;
	if (*h == '[') {
		if (colon == addr || colon[-1] != ']')
			return -EINVAL;
		h++;
		he = colon - 1;
	} else if (memchr(addr, ':', (size_t)(colon - addr)) != NULL) {
		return -EINVAL; /* an IPv6 literal wants brackets */
	}
	if ((size_t)(he - h) >= hcap || strlen(colon + 1) >= pcap)
		return -EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';
	strcpy(port, colon + 1);
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	return atol(port) > 65535 ? -EINVAL : 0;
}

int par__addr_resolve(const char *addr, int passive, struct addrinfo **res)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) };

	if (addr == NULL || split(addr, host, sizeof(host), port, sizeof(port)) != 0)
		return -EINVAL;
	int r = getaddrinfo(host[0] ? host : NULL, port, &hints, res);
	if (r == 0)
		return 0;
	if (r == EAI_SYSTEM)
		return -errno;
	return r == EAI_MEMORY ? -ENOMEM : r == EAI_AGAIN ? -EAGAIN : -ENOENT;
}

int par__addr_format(const struct sockaddr *sa, char *buf, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0, n;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		n = snprintf(buf, cap, "[%s]:%d", host, port);
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		n = snprintf(buf, cap, "%s:%d", host, port);
	}
	return n < 0 || (size_t)n >= cap ? -ENOSPC : port;
}
