/* The process engine's state, shared by pool_procs.c (workers, lifecycle)
 * and pool_manager.c (the manager thread). Not installed. */
#ifndef PAR_POOL_PROCS_H
#define PAR_POOL_PROCS_H

#include "pool_impl.h"

#include <sys/types.h>

/* A task the owner holds: waiting for a worker, or given to one. */
struct ptask {
	struct ptask *next;
	size_t len; /* of msg: header + argument */
	unsigned char msg[];
};

struct pworker {
	pid_t pid; /* 0: not running */
	struct par_queue *inbox;
	struct par_queue *outbox;	     /* its RESULTs, to the manager alone */
	struct ptask *held[PAR__POOL_DEPTH]; /* FIFO: given, not yet answered */
	unsigned nheld;
};

struct par__pool_engine {
	struct par_queue *mailbox; /* SUBMITs from the owner's threads */
	/* The manager's doorbell, in memory shared with the workers: bit 0 "the
	 * manager sleeps", then a sequence each ring moves on (a futex word).
	 * Whoever puts into the mailbox or an outbox rings it. Each worker has
	 * an outbox of its own: through one mailbox, the results of 16 workers
	 * contended for its positions and slots, and more workers ran slower. */
	uint32_t *bell;
	struct pworker *w;     /* [nworkers] */
	struct ptask *pending; /* FIFO of tasks no worker holds yet */
	struct ptask **pending_tail;
	size_t npending;
	struct par_thread *manager;
	pid_t owner;	    /* the pool's process */
	unsigned rr;	    /* next worker to try when dispatching */
	unsigned char *buf; /* manager's message buffer (msg_max) */
	/* atomic: submits between the closed check and put; written twice by
	 * each submit, so on a line of its own, away from what the manager
	 * reads at each message */
	_Alignas(64) uint32_t submitting;
};

#define PAR__BELL_WAITERS 1u
#define PAR__BELL_SIZE 64

/* After a put into the mailbox or an outbox: wake the manager if it sleeps
 * (pool_procs.c). */
void par__bell_ring(uint32_t *bell);

/* Workers (pool_procs.c). */
int par__pw_spawn(struct par_pool *p, unsigned i);
void par__pw_kill_all(struct par_pool *p);

/* The manager thread's body (pool_manager.c). */
int par__pool_manager(void *arg);

/* Pending FIFO. */
void par__pending_push_front(struct par__pool_engine *e, struct ptask *t);
void par__pending_push_back(struct par__pool_engine *e, struct ptask *t);
struct ptask *par__pending_pop(struct par__pool_engine *e);

#endif /* PAR_POOL_PROCS_H */
