/* par_strerror and par_version. */
#include "core_impl.h"

#include <errno.h>
#include <string.h>

#define PAR__STR2(x) #x
#define PAR__STR(x) PAR__STR2(x)

const char *par_version(void)
{
	return PAR__STR(PAR_VERSION_MAJOR) "." PAR__STR(PAR_VERSION_MINOR) "." PAR__STR(
		PAR_VERSION_PATCH);
}

/* What the codes mean in par's own vocabulary; the rest falls back to libc. */
static const struct {
	int code;
	const char *text;
} par_errors[] = {
	{ EAGAIN, "would block: empty, full or busy, and the timeout was 0" },
	{ ETIMEDOUT, "timed out" },
	{ EPIPE, "closed or broken: the other side is gone or the object was shut" },
	{ EOWNERDEAD, "a peer died while holding the object; state was recovered" },
	{ ENOTRECOVERABLE, "unrecoverable: an owner died and the state was never made consistent" },
	{ EPROTO, "protocol or layout mismatch: wrong kind, version or geometry" },
	{ EACCES, "permission denied or authentication failed" },
	{ EINVAL, "invalid argument" },
	{ EMSGSIZE, "message too large" },
	{ ENOENT, "no such file, program or name" },
	{ ECHILD, "no such child: it was reaped elsewhere" },
	{ EBUSY, "busy: still held, waited on or running" },
	{ EDEADLK, "would deadlock: the caller already holds it or is waiting on itself" },
	{ EPERM, "not permitted: the caller does not own it" },
	{ ESRCH, "no such process: it has already ended" },
};

const char *par_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err > 0)
		return "not an error code (a count or a positive value)";
	if (err < -4095) /* beyond any errno value (and -INT_MIN would overflow) */
		return "unknown error";
	for (size_t i = 0; i < sizeof(par_errors) / sizeof(par_errors[0]); i++)
		if (par_errors[i].code == -err)
			return par_errors[i].text;
	const char *s = strerrordesc_np(-err); /* static, thread-safe */
	return s ? s : "unknown error";
}
