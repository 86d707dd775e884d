/* Process: a C function run in a forked child, joined with a timeout. */
#include "core_impl.h"

#include <par/process.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

enum proc_state { PROC_RUNNING, PROC_REAPED, PROC_LOST };

struct par_process {
	pid_t pid;
	enum proc_state state; /* LOST: reaped by someone else (-ECHILD) */
	int status;	       /* wait status once REAPED */
	char name[];	       /* full name as given; comm gets the first 15 bytes */
};

void par_process_opts_init(struct par_process_opts *o)
{
	if (o != NULL)
		*o = (struct par_process_opts){ .size = sizeof(*o), .name = "par-process" };
}

static _Noreturn void child_main(par_process_fn fn, void *arg, const char *name)
{
	char comm[PAR_THREAD_NAME_MAX + 1];

	snprintf(comm, sizeof(comm), "%s", name);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	int rc = fn(arg);
	fflush(NULL);
	_exit(rc & 0xff);
}

int par_process_start(par_process_fn fn, void *arg, const struct par_process_opts *opts,
		      struct par_process **out)
{
	if (fn == NULL || out == NULL || PAR__OPTS_BAD(opts))
		return -EINVAL;
	const char *name = PAR__OPT(opts, name, NULL);
	if (name == NULL)
		name = "par-process";
	size_t len = strlen(name);
	struct par_process *p = malloc(sizeof(*p) + len + 1);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p->name, name, len + 1);
	p->state = PROC_RUNNING;
	p->status = 0;

	fflush(NULL); /* buffered output must not be written by both sides */
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		free(p);
		return err == ENOMEM ? -ENOMEM : -EAGAIN;
	}
	if (pid == 0)
		child_main(fn, arg, p->name);
	p->pid = pid;
	*out = p;
	return 0;
}

/* Reap before deadline and record the outcome. 0 ended, -ETIMEDOUT, -ECHILD. */
static int reap(struct par_process *p, int64_t deadline)
{
	if (p->state == PROC_REAPED)
		return 0;
	if (p->state == PROC_LOST)
		return -ECHILD;
	int r = par__child_wait(p->pid, deadline, &p->status);
	if (r == 0)
		p->state = PROC_REAPED;
	else if (r != -ETIMEDOUT)
		p->state = PROC_LOST; /* reaped elsewhere: the pid may be reused */
	return r == -ETIMEDOUT || r == 0 ? r : -ECHILD;
}

int par_process_join(struct par_process *p, int64_t timeout_ns, struct par_exit *st)
{
	if (p == NULL)
		return -EINVAL;
	int r = reap(p, par_deadline(timeout_ns));
	if (r == -ETIMEDOUT && timeout_ns == 0)
		return -EAGAIN;
	if (r == 0)
		par__exit_from_status(p->status, st);
	return r;
}

int par_process_is_alive(struct par_process *p)
{
	if (p == NULL)
		return 0;
	return reap(p, par_now_ns()) == -ETIMEDOUT ? 1 : 0;
}

int par_process_signal(struct par_process *p, int sig)
{
	if (p == NULL)
		return -EINVAL;
	if (p->state != PROC_RUNNING)
		return -ESRCH; /* never signal a reaped pid: it may belong to another process */
	return kill(p->pid, sig) == 0 ? 0 : -errno;
}

int par_process_terminate(struct par_process *p)
{
	return par_process_signal(p, SIGTERM);
}

int par_process_kill(struct par_process *p)
{
	return par_process_signal(p, SIGKILL);
}

pid_t par_process_pid(const struct par_process *p)
{
	return p == NULL ? -EINVAL : p->pid;
}

const char *par_process_name(const struct par_process *p)
{
	return p == NULL ? NULL : p->name;
}

int par_process_destroy(struct par_process *p)
{
	if (p == NULL)
		return 0;
	if (p->state == PROC_RUNNING)
		return -EBUSY;
	free(p);
	return 0;
}
