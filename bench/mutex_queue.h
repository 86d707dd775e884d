// The textbook baseline: a bounded queue of fixed-size slots guarded by one
// process-shared mutex and two condition variables (not empty, not full),
// all in one block of shared memory, so a forked child can use it. Puts and
// gets copy the message in and out; the batch forms take the lock once for
// up to n messages and signal once.
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct mutex_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full; // CLOCK_MONOTONIC for timed waits
	uint32_t slots;			    // power of two
	uint32_t slot_size;		    // bytes of message a slot holds
	uint64_t head, tail;		    // taken / put so far
	int closed;
	// slots * (8-byte length + slot_size), 64-aligned, follow
};

// Bytes for a queue of slots slots of slot_size bytes.
size_t mutex_queue_memsize(uint32_t slots, uint32_t slot_size);

// Make an empty queue in mem. 0 or a positive errno.
int mutex_queue_init(struct mutex_queue *q, uint32_t slots, uint32_t slot_size);
void mutex_queue_destroy(struct mutex_queue *q);

// Put msgs[0..n) (each len bytes) in order, waiting for room for the first
// until deadline (CLOCK_MONOTONIC; nullptr: forever). The count put, or
// -ETIMEDOUT, -EPIPE (closed), -EMSGSIZE.
int mutex_queue_put_many(struct mutex_queue *q, const void *const *msgs, size_t len, unsigned n,
			 const struct timespec *deadline);

// Take up to n messages into bufs[i] (cap bytes each; lens[i] set), waiting
// for the first. The count, or -EPIPE when closed and empty.
int mutex_queue_get_many(struct mutex_queue *q, void *const *bufs, size_t cap, size_t *lens,
			 unsigned n);

// No more puts: waiting getters return what is left, then -EPIPE.
void mutex_queue_close(struct mutex_queue *q);
