/*
 * par/par.h — everything par offers, in one include.
 *
 * core.h     errors, time, futexes
 * sync.h     Lock, Event, Barrier, Value across threads and processes
 * process.h  Process, Thread, Subprocess
 */
#ifndef PAR_PAR_H
#define PAR_PAR_H

#include <par/core.h>
#include <par/process.h>
#include <par/sync.h>

#endif /* PAR_PAR_H */
