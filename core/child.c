/* Waiting for a child with a deadline, shared by Process and Subprocess. */
#include "core_impl.h"

#include <par/process.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Reap pid if it has ended. 1 reaped (*status set), 0 still running, <0 error. */
static int reap_now(pid_t pid, int *status)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG) < 0)
		return -errno;
	if (si.si_pid == 0)
		return 0;
	*status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
					   : (si.si_status | (si.si_code == CLD_DUMPED ? 0x80 : 0));
	return 1;
}

/* Block on the child's pidfd until it is readable (the child ended) or the
 * deadline passes. 0 readable or interrupted, -ETIMEDOUT, or poll's error. */
static int pidfd_sleep(int pidfd, int64_t deadline)
{
	int64_t left = par_deadline_left(deadline);
	int ms = left < 0 ? -1 : (int)((left + 999999) / 1000000);
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	if (left > (int64_t)2000000000 * 1000000)
		ms = 2000000000;
	int r = poll(&pfd, 1, ms);
	if (r < 0 && errno != EINTR)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

int par__child_wait(pid_t pid, int64_t deadline, int *status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int64_t nap = 50000; /* polling fallback: 50 us growing to 10 ms */
	int r;

	while ((r = reap_now(pid, status)) == 0) {
		if (par_now_ns() >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (pidfd >= 0) {
			int e = pidfd_sleep(pidfd, deadline);
			if (e == 0 || e == -ETIMEDOUT)
				continue;
			close(pidfd); /* poll refused: fall back to polling */
			pidfd = -1;
		}
		int64_t left = par_deadline_left(deadline);
		par_sleep_ns(left >= 0 && left < nap ? left : nap);
		nap = nap < 10000000 ? nap * 2 : nap;
	}
	if (pidfd >= 0)
		close(pidfd);
	return r < 0 ? r : 0;
}

void par__exit_from_status(int status, struct par_exit *st)
{
	if (st == NULL)
		return;
	if (WIFEXITED(status)) {
		*st = (struct par_exit){ .code = WEXITSTATUS(status), .signal = 0 };
	} else {
		*st = (struct par_exit){ .code = -1,
					 .signal = WTERMSIG(status),
					 .core_dumped = WCOREDUMP(status) ? 1 : 0 };
	}
}
