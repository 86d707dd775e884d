/*
 * par/par.h — everything par offers, in one include.
 *
 * core.h     errors, time, futexes
 * sync.h     Lock, Event, Barrier, Value across threads and processes
 * process.h  Process, Thread, Subprocess
 * shm.h      shared-memory segments
 * ring.h     lock-free rings of fixed-size elements
 * queue.h    Queue of variable-length messages, robust to killed processes; Pipe
 * topo.h     topology (hwloc) and placement plans
 * pool.h     Pool of thread or process workers
 * scale.h    the scaling profiler behind par-scale
 * net.h      network backends, authkey, protocol limits
 * manager.h  remote managers: named queues served over TCP, and their client
 * python.h   values and pickles shared with Python; a client of Python managers
 */
#ifndef PAR_PAR_H
#define PAR_PAR_H

#include <par/core.h>
#include <par/manager.h>
#include <par/net.h>
#include <par/pool.h>
#include <par/process.h>
#include <par/python.h>
#include <par/queue.h>
#include <par/ring.h>
#include <par/scale.h>
#include <par/shm.h>
#include <par/sync.h>
#include <par/topo.h>

#endif /* PAR_PAR_H */
