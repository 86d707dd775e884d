/*
 * par/shm.h — shared-memory segments: named (POSIX shm, /dev/shm) or
 * anonymous (memfd), optionally bound to a NUMA node and backed by huge pages,
 * always behind a validated header.
 *
 * A segment is the home of rings, queues and sync objects that several
 * processes share. Its first bytes are a header (magic, layout version, total
 * size, kind, kind-specific geometry, creator pid); par_shm_open() and
 * par_shm_open_fd() check every field against the file and refuse anything
 * that does not add up with -EPROTO (wrong kind, version or geometry, a
 * truncated or corrupted file), never trusting it and never crashing. Nothing
 * inside a segment is a pointer, so each process may map it at any address.
 *
 * Sharing: a named segment is opened by name from any process of the same
 * user (mode 0600 by default). An anonymous one is inherited by forked
 * children, and its descriptor (par_shm_fd) can be handed to an unrelated
 * process over a Unix socket (SCM_RIGHTS) or across exec, which then calls
 * par_shm_open_fd.
 *
 * A struct par_shm handle belongs to the process that made it; a forked child
 * may use the parent's handle (the mapping is inherited) and must close its
 * own copy. Functions are thread-safe except close, which must be the last
 * call on a handle.
 */
#ifndef PAR_SHM_H
#define PAR_SHM_H

#include <par/core.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct par_shm;

/* Segment kinds: what lives in the data area. Rings and queues make their
 * own; PAR_SHM_KIND_RAW is a plain area for the caller. */
enum par_shm_kind {
	PAR_SHM_KIND_RAW = 1,
	PAR_SHM_KIND_RING = 2,
	PAR_SHM_KIND_QUEUE = 3,
};

/* Huge pages. */
enum par_shm_huge {
	PAR_SHM_HUGE_NO = 0,	  /* ordinary pages (default) */
	PAR_SHM_HUGE_TRY = 1,	  /* huge pages when the system has them, else
				     ordinary ones: par_shm_huge_pages() says which */
	PAR_SHM_HUGE_REQUIRE = 2, /* huge pages or -ENOMEM */
};

struct par_shm_opts {
	size_t size;		  /* sizeof(struct par_shm_opts); set by opts_init */
	mode_t mode;		  /* permissions of a named segment; default 0600 */
	int numa_node;		  /* bind the pages to this node; -1 (default) none.
				     A node the machine lacks: -EINVAL */
	enum par_shm_huge huge;	  /* default PAR_SHM_HUGE_NO */
	int unlink_on_close;	  /* 1: the creator's close removes the name */
	int populate;		  /* 1: touch every page at create (default 0) */
};

PAR_API void par_shm_opts_init(struct par_shm_opts *o);

/* Longest segment name, including the leading '/'. */
#define PAR_SHM_NAME_MAX 255

/* Create a segment with a data area of data_size bytes. name: "/something"
 * (one leading slash, no other) for a named segment, or NULL for an anonymous
 * one. Fails with -EEXIST when the name exists, -EINVAL for a bad name, size
 * or option, -ENOMEM, -EACCES. */
PAR_API int par_shm_create(const char *name, size_t data_size, const struct par_shm_opts *opts,
			   struct par_shm **out);

/* Open an existing named segment of kind PAR_SHM_KIND_RAW. -ENOENT when there
 * is none, -EPROTO when it is not a valid raw segment, -EAGAIN when its creator
 * has not finished making it (try again), -EACCES. opts may be NULL; only
 * numa_node is used (binds this process's accesses policy, not the pages). */
PAR_API int par_shm_open(const char *name, const struct par_shm_opts *opts, struct par_shm **out);

/* Open a raw segment from a descriptor (one received over a socket or
 * inherited across exec). The descriptor is duplicated: the caller still
 * owns fd. -EPROTO as par_shm_open, -EBADF. */
PAR_API int par_shm_open_fd(int fd, struct par_shm **out);

/* Remove a segment's name; processes that have it open keep it until they
 * close. 0, -ENOENT, -EINVAL. */
PAR_API int par_shm_unlink(const char *name);

/* Unmap and free the handle (and unlink, for a creator with unlink_on_close).
 * 0 or -EINVAL. */
PAR_API int par_shm_close(struct par_shm *s);

/* The data area and its size (the header is before it, not part of it). */
PAR_API void *par_shm_data(const struct par_shm *s);
PAR_API size_t par_shm_data_size(const struct par_shm *s);

/* The segment's descriptor (close-on-exec; owned by the handle). */
PAR_API int par_shm_fd(const struct par_shm *s);

/* 1 when the segment is backed by huge pages, 0 when by ordinary pages (with
 * PAR_SHM_HUGE_TRY this is how the fallback is reported). */
PAR_API int par_shm_huge_pages(const struct par_shm *s);

/* The NUMA node the pages are bound to, or -1. */
PAR_API int par_shm_numa_node(const struct par_shm *s);

/* The segment's kind and its creator's pid (from the validated header). */
PAR_API enum par_shm_kind par_shm_kind(const struct par_shm *s);
PAR_API pid_t par_shm_creator(const struct par_shm *s);

#ifdef __cplusplus
}
#endif

#endif /* PAR_SHM_H */
