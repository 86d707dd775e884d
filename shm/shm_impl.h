/* Segment internals shared by shm/ (rings and queues make segments of their
 * own kind through these): not installed. */
#ifndef PAR_SHM_IMPL_H
#define PAR_SHM_IMPL_H

#include "core_impl.h"

#include <par/shm.h>

#include <stddef.h>
#include <stdint.h>

/* Most bytes of kind-specific geometry a segment header carries. */
#define PAR__SHM_GEOM_MAX 64

/* Create a segment of a given kind whose header carries geom (geom_len <=
 * PAR__SHM_GEOM_MAX bytes, compared byte for byte by par__shm_open_kind's
 * caller). The segment is not yet visible as ready: the caller builds its
 * structure in the data area, then calls par__shm_publish. Same errors as
 * par_shm_create. */
int par__shm_create_kind(const char *name, enum par_shm_kind kind, const void *geom,
			 size_t geom_len, size_t data_size, const struct par_shm_opts *opts,
			 struct par_shm **out);

/* Mark a segment made by par__shm_create_kind ready (release: everything the
 * creator wrote before is visible to whoever opens it after). */
void par__shm_publish(struct par_shm *s);

/* Open a segment of this kind by name (fd < 0) or by descriptor (name NULL,
 * fd duplicated). Validates the header against the file and kind; copies the
 * geometry (geom_len bytes) to geom for the caller to check further.
 * -ENOENT, -EPROTO, -EAGAIN (not ready yet), -EACCES, -EBADF. */
int par__shm_open_kind(const char *name, int fd, enum par_shm_kind kind, void *geom,
		       size_t geom_len, struct par_shm **out);

/* Check a name: "/x..." with exactly one slash, 2..PAR_SHM_NAME_MAX bytes. */
int par__shm_name_ok(const char *name);

#endif /* PAR_SHM_IMPL_H */
