/* Subprocess: spawn a program with posix_spawn, its stdio piped or redirected;
 * wait, signal and destroy. The communicate loop is in subprocess_io.c. */
#include "subprocess_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* What spawn builds and frees whatever happens. */
struct spawn_plan {
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int child[3]; /* the child's pipe ends, closed in the parent after spawn */
};

void par_subprocess_opts_init(struct par_subprocess_opts *o)
{
	if (o != NULL)
		*o = (struct par_subprocess_opts){ .size = sizeof(*o), .search_path = 1 };
}

static int bad_modes(const enum par_stdio mode[3])
{
	for (int i = 0; i < 3; i++)
		if ((unsigned)mode[i] > (i == PAR__ERR ? PAR_STDIO_STDOUT : PAR_STDIO_NULL))
			return 1;
	return 0;
}

/* Move fd to 3 or above (keeping O_CLOEXEC), so that no dup2 onto 0..2 in the
 * child overwrites a pipe end that a later dup2 still needs. */
static int lift_fd(int fd)
{
	if (fd >= 3)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int err = errno;
	close(fd);
	return nfd >= 0 ? nfd : -err;
}

/* A pipe for stream i: the parent's end into sp->fd[i], the child's end dup2'd
 * onto i by the file actions. */
static int plan_pipe(struct par_subprocess *sp, struct spawn_plan *pl, int i)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	int mine = i == PAR__IN ? p[1] : p[0];
	int theirs = lift_fd(i == PAR__IN ? p[0] : p[1]);
	if (theirs < 0) {
		close(mine);
		return theirs;
	}
	sp->fd[i] = mine;
	pl->child[i] = theirs;
	return -posix_spawn_file_actions_adddup2(&pl->fa, theirs, i);
}

static int plan_stream(struct par_subprocess *sp, struct spawn_plan *pl, int i, enum par_stdio m)
{
	switch (m) {
	case PAR_STDIO_PIPE:
		return plan_pipe(sp, pl, i);
	case PAR_STDIO_NULL:
		return -posix_spawn_file_actions_addopen(&pl->fa, i, "/dev/null",
							 i == PAR__IN ? O_RDONLY : O_WRONLY, 0);
	case PAR_STDIO_STDOUT:
		return -posix_spawn_file_actions_adddup2(&pl->fa, 1, 2);
	default:
		return 0;
	}
}

/* The child starts with no blocked signals and default SIGPIPE and SIGXFSZ,
 * whatever the caller blocks or ignores (as Python's restore_signals). */
static int plan_attr(posix_spawnattr_t *attr)
{
	sigset_t none, dfl;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGXFSZ);
	int r = posix_spawnattr_setsigmask(attr, &none);
	if (r == 0)
		r = posix_spawnattr_setsigdefault(attr, &dfl);
	if (r == 0)
		r = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	return -r;
}

static int plan(struct par_subprocess *sp, struct spawn_plan *pl, const enum par_stdio mode[3],
		const char *cwd)
{
	int r = plan_attr(&pl->attr);
	for (int i = 0; i < 3 && r == 0; i++)
		r = plan_stream(sp, pl, i, mode[i]);
	if (r == 0 && cwd != NULL)
		r = -posix_spawn_file_actions_addchdir_np(&pl->fa, cwd);
	return r;
}

static int launch(struct par_subprocess *sp, const struct spawn_plan *pl, const char *const *argv,
		  const struct par_subprocess_opts *opts)
{
	const char *const *env = PAR__OPT(opts, env, NULL);
	char *const *envp = env != NULL ? (char *const *)env : environ;
	char *const *args = (char *const *)argv;

	if (PAR__OPT(opts, search_path, 1))
		return -posix_spawnp(&sp->pid, argv[0], &pl->fa, &pl->attr, args, envp);
	return -posix_spawn(&sp->pid, argv[0], &pl->fa, &pl->attr, args, envp);
}

static int spawn_with(struct par_subprocess *sp, const char *const *argv,
		      const struct par_subprocess_opts *opts, const enum par_stdio mode[3])
{
	struct spawn_plan pl = { .child = { -1, -1, -1 } };
	int r = posix_spawn_file_actions_init(&pl.fa);

	if (r != 0)
		return -r;
	r = posix_spawnattr_init(&pl.attr);
	if (r != 0) {
		posix_spawn_file_actions_destroy(&pl.fa);
		return -r;
	}
	r = plan(sp, &pl, mode, PAR__OPT(opts, cwd, NULL));
	if (r == 0)
		r = launch(sp, &pl, argv, opts);
	for (int i = 0; i < 3; i++)
		if (pl.child[i] >= 0)
			close(pl.child[i]);
	posix_spawnattr_destroy(&pl.attr);
	posix_spawn_file_actions_destroy(&pl.fa);
	return r;
}

int par_subprocess_spawn(const char *const *argv, const struct par_subprocess_opts *opts,
			 struct par_subprocess **out)
{
	if (argv == NULL || argv[0] == NULL || out == NULL || PAR__OPTS_BAD(opts))
		return -EINVAL;
	const enum par_stdio mode[3] = { PAR__OPT(opts, stdin_mode, PAR_STDIO_INHERIT),
					 PAR__OPT(opts, stdout_mode, PAR_STDIO_INHERIT),
					 PAR__OPT(opts, stderr_mode, PAR_STDIO_INHERIT) };
	if (bad_modes(mode))
		return -EINVAL;
	struct par_subprocess *sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return -ENOMEM;
	sp->fd[0] = sp->fd[1] = sp->fd[2] = -1;
	int r = spawn_with(sp, argv, opts, mode);
	if (r < 0) {
		for (int i = 0; i < 3; i++)
			par__subprocess_close(sp, i);
		free(sp);
		return r;
	}
	*out = sp;
	return 0;
}

int par__subprocess_reap(struct par_subprocess *sp, int64_t deadline)
{
	if (sp->reaped)
		return sp->reaped == 1 ? 0 : -ECHILD;
	int r = par__child_wait(sp->pid, deadline, &sp->status);
	if (r == 0)
		sp->reaped = 1;
	else if (r != -ETIMEDOUT)
		sp->reaped = 2; /* reaped elsewhere: never signal that pid again */
	return r == 0 || r == -ETIMEDOUT ? r : -ECHILD;
}

void par__subprocess_kill_reap(struct par_subprocess *sp, int64_t deadline)
{
	if (sp->reaped)
		return;
	kill(sp->pid, SIGKILL);
	par__subprocess_reap(sp, deadline);
}

void par__subprocess_close(struct par_subprocess *sp, int i)
{
	if (sp->fd[i] >= 0)
		close(sp->fd[i]);
	sp->fd[i] = -1;
}

int par_subprocess_wait(struct par_subprocess *sp, int64_t timeout_ns, struct par_exit *st)
{
	if (sp == NULL)
		return -EINVAL;
	int r = par__subprocess_reap(sp, par_deadline(timeout_ns));
	if (r == -ETIMEDOUT && timeout_ns == 0)
		return -EAGAIN;
	if (r == 0)
		par__exit_from_status(sp->status, st);
	return r;
}

int par_subprocess_signal(struct par_subprocess *sp, int sig)
{
	if (sp == NULL)
		return -EINVAL;
	if (sp->reaped)
		return -ESRCH; /* the pid may belong to another process by now */
	return kill(sp->pid, sig) == 0 ? 0 : -errno;
}

pid_t par_subprocess_pid(const struct par_subprocess *sp)
{
	return sp == NULL ? -EINVAL : sp->pid;
}

static int stream_fd(const struct par_subprocess *sp, int i)
{
	return sp == NULL || sp->fd[i] < 0 ? -EBADF : sp->fd[i];
}

int par_subprocess_stdin_fd(const struct par_subprocess *sp)
{
	return stream_fd(sp, PAR__IN);
}

int par_subprocess_stdout_fd(const struct par_subprocess *sp)
{
	return stream_fd(sp, PAR__OUT);
}

int par_subprocess_stderr_fd(const struct par_subprocess *sp)
{
	return stream_fd(sp, PAR__ERR);
}

int par_subprocess_destroy(struct par_subprocess *sp)
{
	if (sp == NULL)
		return 0;
	for (int i = 0; i < 3; i++)
		par__subprocess_close(sp, i);
	par__subprocess_kill_reap(sp, PAR_NO_DEADLINE);
	free(sp);
	return 0;
}

int par_subprocess_run(const char *const *argv, const struct par_subprocess_opts *opts,
		       const void *input, size_t input_len, int64_t timeout_ns,
		       struct par_subprocess_result *res)
{
	struct par_subprocess_opts dflt;
	struct par_subprocess *sp;

	if (res == NULL)
		return -EINVAL;
	*res = (struct par_subprocess_result){ .exit = { .code = -1 } };
	if (opts == NULL) {
		par_subprocess_opts_init(&dflt);
		dflt.stdin_mode = input != NULL ? PAR_STDIO_PIPE : PAR_STDIO_NULL;
		dflt.stdout_mode = dflt.stderr_mode = PAR_STDIO_PIPE;
		opts = &dflt;
	}
	int r = par_subprocess_spawn(argv, opts, &sp);
	if (r < 0)
		return r;
	r = par_subprocess_communicate(sp, input, input_len, timeout_ns, res);
	par_subprocess_destroy(sp);
	return r;
}

void par_subprocess_result_free(struct par_subprocess_result *res)
{
	if (res == NULL)
		return;
	free(res->out);
	free(res->err);
	*res = (struct par_subprocess_result){ .exit = { .code = -1 } };
}
