/* Ring: in a segment of its own (par_ring_create / open / open_fd). The
 * segment header carries the ring's geometry; the data area holds the ring
 * exactly as par_ring_init lays it out in caller memory. */
#include "ring_impl.h"

#include <errno.h>

/* The geometry in the segment header, checked against the ring's own. */
struct ring_geom {
	uint32_t version;
	uint32_t elem_size;
	uint32_t capacity;
	uint32_t flags;
	uint64_t memsize;
};

static_assert(sizeof(struct ring_geom) <= PAR__SHM_GEOM_MAX, "ring geometry fits the header");

int par_ring_create(const char *name, size_t elem_size, uint32_t capacity, unsigned flags,
		    const struct par_shm_opts *shm_opts, struct par_ring **out)
{
	size_t size = par_ring_memsize(elem_size, capacity);
	struct ring_geom g = { PAR__RING_VERSION, (uint32_t)elem_size, capacity, flags, size };
	struct par_shm *s;
	struct par_ring *r;

	if (out == NULL || size == 0 || (flags & ~PAR_RING_SPSC) != 0)
		return -EINVAL;
	int rc = par__shm_create_kind(name, PAR_SHM_KIND_RING, &g, sizeof(g), size, shm_opts, &s);
	if (rc != 0)
		return rc;
	rc = par_ring_init(par_shm_data(s), elem_size, capacity, flags, &r);
	if (rc != 0) {
		if (name != NULL)
			par_shm_unlink(name); /* never published: nobody can use it */
		par_shm_close(s);
		return rc;
	}
	par__shm_publish(s);
	r->shm = s;
	*out = r;
	return 0;
}

/* The segment's geometry agrees with the ring in its data area. */
static int geom_matches(const struct ring_geom *g, const struct par_ring *r)
{
	return g->version == PAR__RING_VERSION && g->elem_size == r->elem_size &&
	       g->capacity == r->capacity && g->flags == r->flags &&
	       g->memsize == par_ring_memsize(r->elem_size, r->capacity);
}

static int ring_open(const char *name, int fd, struct par_ring **out)
{
	struct ring_geom g;
	struct par_shm *s;
	struct par_ring *r = NULL;

	if (out == NULL)
		return -EINVAL;
	int rc = par__shm_open_kind(name, fd, PAR_SHM_KIND_RING, &g, sizeof(g), &s);
	if (rc != 0)
		return rc;
	rc = par_ring_attach(par_shm_data(s), par_shm_data_size(s), &r);
	if (rc == 0 && !geom_matches(&g, r)) {
		par_ring_close(r);
		rc = -EPROTO;
	}
	if (rc != 0) {
		par_shm_close(s);
		return rc == -EINVAL ? -EPROTO : rc;
	}
	r->shm = s;
	*out = r;
	return 0;
}

int par_ring_open(const char *name, struct par_ring **out)
{
	if (name == NULL)
		return -EINVAL;
	return ring_open(name, -1, out);
}

int par_ring_open_fd(int fd, struct par_ring **out)
{
	if (fd < 0)
		return -EBADF;
	return ring_open(NULL, fd, out);
}

int par_ring_fd(const struct par_ring *r)
{
	if (r == NULL || r->shm == NULL)
		return -EINVAL;
	return par_shm_fd(r->shm);
}
