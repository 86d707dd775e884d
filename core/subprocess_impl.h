/* Subprocess internals shared by subprocess.c and subprocess_io.c. */
#ifndef PAR_SUBPROCESS_IMPL_H
#define PAR_SUBPROCESS_IMPL_H

#include "core_impl.h"

#include <par/process.h>

enum { PAR__IN, PAR__OUT, PAR__ERR };

struct par_subprocess {
	pid_t pid;
	int reaped;	  /* 1 once waited for (status valid), 2 reaped elsewhere */
	int status;	  /* wait status once reaped == 1 */
	int communicated; /* communicate ran: it may run once */
	int fd[3];	  /* parent's pipe ends for stdin, stdout, stderr; -1 */
};

/* Reap the child before deadline. 0 (status cached), -ETIMEDOUT, -ECHILD. */
int par__subprocess_reap(struct par_subprocess *sp, int64_t deadline);

/* SIGKILL a child not yet reaped and reap it before deadline. */
void par__subprocess_kill_reap(struct par_subprocess *sp, int64_t deadline);

/* Close the parent's end of stream i (PAR__IN/OUT/ERR) if open. */
void par__subprocess_close(struct par_subprocess *sp, int i);

#endif /* PAR_SUBPROCESS_IMPL_H */
