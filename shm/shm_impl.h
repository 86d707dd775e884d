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
 * PAR__SHM_GEOM_MAX bytes; geom may be NULL when geom_len is 0). The data
 * area (par_shm_data) is page-aligned and zero. The segment is not yet
 * visible as ready: openers get -EAGAIN until the caller has built its
 * structure in the data area and called par__shm_publish. A caller that
 * dies before publishing leaves a named segment that stays -EAGAIN (its
 * name must be unlinked). Same errors as par_shm_create, plus -EINVAL for an
 * unknown kind or a bad geometry. */
int par__shm_create_kind(const char *name, enum par_shm_kind kind, const void *geom,
			 size_t geom_len, size_t data_size, const struct par_shm_opts *opts,
			 struct par_shm **out);

/* Mark a segment made by par__shm_create_kind ready (release: everything the
 * creator wrote before is visible to whoever opens it after). Once only. */
void par__shm_publish(struct par_shm *s);

/* Open a segment of this kind by name (fd < 0) or by descriptor (name NULL,
 * fd duplicated; both given: -EINVAL). Validates the header against the file
 * and kind; the stored geometry must be exactly geom_len bytes long (else
 * -EPROTO), and is copied to geom for the caller to check field by field.
 * -ENOENT, -EPROTO, -EAGAIN (not ready yet), -EACCES, -EBADF, -EINVAL. */
int par__shm_open_kind(const char *name, int fd, enum par_shm_kind kind, void *geom,
		       size_t geom_len, struct par_shm **out);

/* Check a name: "/x..." with exactly one slash, 2..PAR_SHM_NAME_MAX bytes,
 * not "/." or "/..". 0 when good, -EINVAL when not (not a boolean). */
int par__shm_name_ok(const char *name);

#endif /* PAR_SHM_IMPL_H */
