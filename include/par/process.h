/*
 * par/process.h — Process (a C function in a forked child), Thread (named) and
 * Subprocess (run a program, feed it, capture its output).
 *
 * What Python's multiprocessing.Process, threading.Thread and subprocess give,
 * with C's conventions: negative errno returns, relative timeouts in ns
 * (PAR_FOREVER, 0 = do not wait), opaque handles.
 *
 * The library installs no signal handlers. Reaping uses waitid() on the
 * child's own pid, so it must not be reaped elsewhere: do not set SIGCHLD to
 * SIG_IGN, and do not waitpid(-1) in a loop while par children run.
 *
 * One handle is used by one thread at a time; different handles are
 * independent. A Process or Subprocess handle is valid in the process that
 * created it only.
 */
#ifndef PAR_PROCESS_H
#define PAR_PROCESS_H

#include <par/core.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a child ended: by exit (code set, signal 0) or by a signal. */
struct par_exit {
	int code;	 /* exit status 0..255 when it exited, else -1 */
	int signal;	 /* terminating signal, or 0 when it exited */
	int core_dumped; /* 1 when the signal dumped core */
};

/* ---- Process ----------------------------------------------------------- */

struct par_process;

/* The child's body; its return value (0..255) becomes the exit code. */
typedef int (*par_process_fn)(void *arg);

struct par_process_opts {
	size_t size;	  /* sizeof(struct par_process_opts); set by opts_init */
	const char *name; /* copied: par_process_name() gives it whole, the
			     child's /proc/PID/comm its first 15 bytes;
			     default "par-process" */
};

PAR_API void par_process_opts_init(struct par_process_opts *o);

/* Fork a child that runs fn(arg), flushes stdio and exits with its return
 * value. arg is copied into the child by fork, pointers included. stdio is
 * flushed before the fork, so buffered output is not written twice. The
 * usual fork rules apply: in the child only the calling thread exists.
 * 0 and *out, or -EINVAL, -ENOMEM, -EAGAIN (fork refused). */
PAR_API int par_process_start(par_process_fn fn, void *arg, const struct par_process_opts *opts,
			      struct par_process **out);

/* Wait for the child to end, at most timeout_ns. 0 when it has ended (at
 * once on later calls) and *st (may be NULL) says how; -EAGAIN (timeout 0)
 * or -ETIMEDOUT while it runs; -ECHILD when it was reaped elsewhere. */
PAR_API int par_process_join(struct par_process *p, int64_t timeout_ns, struct par_exit *st);

/* 1 while the child runs, 0 once it has ended (it is then reaped; join
 * returns its status at once) or was reaped elsewhere. Never waits. */
PAR_API int par_process_is_alive(struct par_process *p);

/* Send SIGTERM / SIGKILL / any signal. 0, or -ESRCH once it has been joined.
 * Then join to collect the status. */
PAR_API int par_process_terminate(struct par_process *p);
PAR_API int par_process_kill(struct par_process *p);
PAR_API int par_process_signal(struct par_process *p, int sig);

PAR_API pid_t par_process_pid(const struct par_process *p);
PAR_API const char *par_process_name(const struct par_process *p);

/* Free the handle. 0, or -EBUSY while the child has not been joined (the
 * handle stays valid: kill and join it first). */
PAR_API int par_process_destroy(struct par_process *p);

/* ---- Thread ------------------------------------------------------------ */

struct par_thread;

/* The thread's body; its return value is handed to par_thread_join. */
typedef int (*par_thread_fn)(void *arg);

/* Longest name the kernel keeps (bytes, without the NUL); longer names are
 * cut to this length. */
#define PAR_THREAD_NAME_MAX 15

struct par_thread_opts {
	size_t size;	   /* sizeof(struct par_thread_opts); set by opts_init */
	const char *name;  /* shown in /proc/self/task/TID/comm; default "par-thread" */
	size_t stack_size; /* 0: the system default */
};

PAR_API void par_thread_opts_init(struct par_thread_opts *o);

/* Start a thread running fn(arg), already named when fn starts.
 * 0 and *out, or -EINVAL, -ENOMEM, -EAGAIN. */
PAR_API int par_thread_start(par_thread_fn fn, void *arg, const struct par_thread_opts *opts,
			     struct par_thread **out);

/* Wait at most timeout_ns for the thread to return. 0 and *result (may be
 * NULL) = fn's return value; -EAGAIN (timeout 0) or -ETIMEDOUT while it runs
 * (join again later); -EDEADLK when a thread joins itself. */
PAR_API int par_thread_join(struct par_thread *t, int64_t timeout_ns, int *result);

/* The name given at start (possibly cut to PAR_THREAD_NAME_MAX). */
PAR_API const char *par_thread_name(const struct par_thread *t);

/* Free the handle. 0, or -EBUSY while the thread has not been joined. */
PAR_API int par_thread_destroy(struct par_thread *t);

/* The calling thread's kernel name into buf (NUL-terminated, cut to len).
 * 0, -EINVAL, -ERANGE when len < 1. */
PAR_API int par_thread_self_name(char *buf, size_t len);

/* Rename the calling thread (cut to PAR_THREAD_NAME_MAX). 0 or -EINVAL. */
PAR_API int par_thread_set_self_name(const char *name);

/* ---- Subprocess -------------------------------------------------------- */

struct par_subprocess;

/* Where a child's stdin, stdout or stderr goes. */
enum par_stdio {
	PAR_STDIO_INHERIT = 0, /* the parent's own descriptor */
	PAR_STDIO_PIPE,	       /* a pipe to the parent (communicate, *_fd) */
	PAR_STDIO_NULL,	       /* /dev/null */
	PAR_STDIO_STDOUT       /* stderr only: the same place as stdout */
};

struct par_subprocess_opts {
	size_t size;		    /* sizeof(struct par_subprocess_opts) */
	enum par_stdio stdin_mode;  /* default PAR_STDIO_INHERIT */
	enum par_stdio stdout_mode; /* default PAR_STDIO_INHERIT */
	enum par_stdio stderr_mode; /* default PAR_STDIO_INHERIT */
	const char *const *env;	    /* NULL-terminated "K=V" list; NULL: inherit */
	const char *cwd;	    /* working directory; NULL: inherit */
	int search_path;	    /* 1 (default): look argv[0] up in the
				       parent's PATH when it has no '/' */
};

PAR_API void par_subprocess_opts_init(struct par_subprocess_opts *o);

/* What par_subprocess_communicate / par_subprocess_run collected. out and err
 * are malloc'd, NUL-terminated (the NUL not counted in the length), NULL when
 * that stream was not captured. */
struct par_subprocess_result {
	struct par_exit exit;
	char *out;
	size_t out_len;
	char *err;
	size_t err_len;
};

/* Start argv[0] with arguments argv (NULL-terminated) via posix_spawn.
 * The child starts with no blocked signals and SIGPIPE and SIGXFSZ at their
 * default action, whatever the caller blocks or ignores; it inherits no pipe
 * end but its own. A relative argv[0] with a '/' is taken from opts->cwd.
 * 0 and *out; -ENOENT when the program does not exist, -EACCES when it is not
 * executable, -ENOTDIR/-ENOENT for a bad cwd, -EINVAL (also PAR_STDIO_STDOUT
 * for stdin or stdout), -ENOMEM, -EAGAIN. */
PAR_API int par_subprocess_spawn(const char *const *argv, const struct par_subprocess_opts *opts,
				 struct par_subprocess **out);

/* Write input (may be NULL/0) to the child's stdin and close it, read its
 * stdout and stderr (each if piped) to the end, then wait for it, all within
 * timeout_ns, without deadlock whatever the sizes. 0 and *res filled; the
 * pipes are closed afterwards (*_fd give -EBADF). On timeout the child is
 * killed (SIGKILL) and reaped, *res holds what arrived (and the SIGKILL in
 * exit) and -ETIMEDOUT is returned; timeout 0 makes one pass that does not
 * wait, so a child not finished by then is killed the same way. -EINVAL when
 * input is given but stdin is not piped, and on a second call for a handle.
 * A child that stops reading its stdin gets EOF/EPIPE; the caller never sees
 * SIGPIPE (it is blocked in the calling thread while writing; one that was
 * already pending stays pending). res->exit.code is -1 until the child has
 * been reaped. Free *res with par_subprocess_result_free even on error. */
PAR_API int par_subprocess_communicate(struct par_subprocess *sp, const void *input,
				       size_t input_len, int64_t timeout_ns,
				       struct par_subprocess_result *res);

/* Wait for the child to end without touching its pipes. 0 and *st (may be
 * NULL), -EAGAIN (timeout 0) or -ETIMEDOUT while it runs. A child blocked
 * writing to a full pipe nobody reads never ends: use communicate for that. */
PAR_API int par_subprocess_wait(struct par_subprocess *sp, int64_t timeout_ns, struct par_exit *st);

/* Send a signal. 0, or -ESRCH once the child has been reaped. */
PAR_API int par_subprocess_signal(struct par_subprocess *sp, int sig);

PAR_API pid_t par_subprocess_pid(const struct par_subprocess *sp);

/* The parent's end of a piped stream, for callers that stream themselves
 * (read, write, poll); -EBADF when that stream is not piped or was closed.
 * The handle owns the descriptor (O_CLOEXEC): do not close it; communicate
 * with NULL input closes stdin and drains the rest. */
PAR_API int par_subprocess_stdin_fd(const struct par_subprocess *sp);
PAR_API int par_subprocess_stdout_fd(const struct par_subprocess *sp);
PAR_API int par_subprocess_stderr_fd(const struct par_subprocess *sp);

/* Close the pipes and free the handle. A child still running is killed with
 * SIGKILL and reaped first, so no zombie is left. Returns 0. */
PAR_API int par_subprocess_destroy(struct par_subprocess *sp);

/* spawn + communicate + destroy in one call (subprocess.run). With opts NULL,
 * stdout and stderr are captured and stdin is a pipe fed with input (or
 * /dev/null when input is NULL); otherwise opts are used as given. Returns as
 * communicate does, or as spawn does when the program cannot start. */
PAR_API int par_subprocess_run(const char *const *argv, const struct par_subprocess_opts *opts,
			       const void *input, size_t input_len, int64_t timeout_ns,
			       struct par_subprocess_result *res);

/* Free out and err and reset *res (NULL outputs, lengths 0, exit.code -1).
 * NULL is fine. */
PAR_API void par_subprocess_result_free(struct par_subprocess_result *res);

#ifdef __cplusplus
}
#endif

#endif /* PAR_PROCESS_H */
