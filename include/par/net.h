/*
 * par/net.h — the network layer under par's remote managers (par/manager.h):
 * the event-loop backends, the authkey, and the limits of the wire protocol.
 *
 * Backends. A manager serves its connections from one event loop per serving
 * thread: io_uring (multishot accept, multishot receive into a provided
 * buffer ring, sends batched once per loop iteration, single-issuer and
 * deferred task-run where the kernel has them) or, where io_uring is refused
 * (kernel.io_uring_disabled, a container's seccomp profile, an old kernel),
 * epoll with non-blocking sockets and writev. Both behave the same; the one
 * in use is reported. Choice: an explicit backend in the options wins; with
 * PAR_NET_BACKEND_AUTO the environment variable PAR_NET_BACKEND ("uring" or
 * "epoll") decides, and without it io_uring is tried first.
 *
 * Wire protocol (version PAR_NET_PROTO_VERSION; docs/net.md has every
 * message): each frame is a 12-byte little-endian header
 *   u32 payload length | u8 version | u8 type | u16 flags (0) | u32 request id
 * followed by the payload. No frame's payload exceeds PAR_NET_PAYLOAD_MAX; a
 * server may set a lower limit. An oversized, short, unknown or malformed
 * frame closes that one connection, with a reason the server logs.
 *
 * Authentication is mutual and comes before anything else: the server sends
 * a fresh 32-byte random nonce Ns; the client answers
 * HMAC-SHA256(key, "par-client" || Ns || Nc) with its own fresh nonce Nc; the
 * server checks it in constant time and answers
 * HMAC-SHA256(key, "par-server" || Nc || Ns), which the client checks. A
 * wrong key on either side fails with -EACCES and the server serves nothing.
 *
 * The authkey is a byte string of 1 to PAR_AUTHKEY_MAX bytes, read from a
 * file or an environment variable, never from a command line.
 *
 * Everything here is thread-safe.
 */
#ifndef PAR_NET_H
#define PAR_NET_H

#include <par/core.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Backends ---------------------------------------------------------- */

enum par_net_backend {
	PAR_NET_BACKEND_AUTO = 0,  /* $PAR_NET_BACKEND, else io_uring, else epoll */
	PAR_NET_BACKEND_URING = 1, /* io_uring only: fails where it is refused */
	PAR_NET_BACKEND_EPOLL = 2, /* epoll only */
};

/* "auto", "io_uring", "epoll"; "unknown" for anything else. Static text. */
PAR_API const char *par_net_backend_name(enum par_net_backend b);

/* Which backend a loop asking for `want` gets on this machine now (by setting
 * up, then dropping, a small io_uring where one is wanted). Returns
 * PAR_NET_BACKEND_URING or PAR_NET_BACKEND_EPOLL; -EINVAL for an unknown value
 * (or an unknown $PAR_NET_BACKEND under AUTO); when io_uring is asked for
 * explicitly (or by $PAR_NET_BACKEND) and refused, the kernel's reason:
 * -EPERM (disabled by sysctl or seccomp), -ENOSYS (no io_uring), -EINVAL or
 * -EOPNOTSUPP (too old for what par uses). */
PAR_API int par_net_backend_probe(enum par_net_backend want);

/* ---- Protocol limits --------------------------------------------------- */

#define PAR_NET_PROTO_VERSION 1
#define PAR_NET_HEADER_SIZE 12
/* Largest payload of any frame (16 MiB); bigger ones close the connection. */
#define PAR_NET_PAYLOAD_MAX (16u << 20)
/* Largest frame on the wire, header included. */
#define PAR_NET_FRAME_MAX (PAR_NET_HEADER_SIZE + PAR_NET_PAYLOAD_MAX)
/* Largest message one request can carry (the payload less the request's own
 * fields); a server's max_msg may be lower. */
#define PAR_NET_MSG_MAX (PAR_NET_PAYLOAD_MAX - 64)

/* ---- Authkey ----------------------------------------------------------- */

#define PAR_AUTHKEY_MAX 1024

/* A shared secret. Fill it with one of the functions below; wipe it with
 * par_authkey_clear when done. */
struct par_authkey {
	size_t len;
	unsigned char key[PAR_AUTHKEY_MAX];
};

/* Copy len bytes (1..PAR_AUTHKEY_MAX) into k. 0, -EINVAL (NULL or empty),
 * -EMSGSIZE (too long). */
PAR_API int par_authkey_set(struct par_authkey *k, const void *bytes, size_t len);

/* Read the key from a file: its whole content less one trailing "\n" or
 * "\r\n". The file must be a regular file that neither group nor others may
 * read or write (like ssh's private keys): else -EACCES, so a key cannot leak
 * through a careless mode. 0, -ENOENT, -EACCES, -EINVAL (empty), -EMSGSIZE
 * (more than PAR_AUTHKEY_MAX bytes), or another -errno from open/read. */
PAR_API int par_authkey_from_file(const char *path, struct par_authkey *k);

/* Read the key from environment variable name (its bytes as they are).
 * 0, -ENOENT (unset), -EINVAL (empty or NULL name), -EMSGSIZE. Not safe
 * against a concurrent setenv in another thread (getenv's contract). */
PAR_API int par_authkey_from_env(const char *name, struct par_authkey *k);

/* Wipe the key (a store the compiler may not drop). */
PAR_API void par_authkey_clear(struct par_authkey *k);

#ifdef __cplusplus
}
#endif

#endif /* PAR_NET_H */
