/*
 * par/shm.h — shared-memory segments: named (POSIX shm, /dev/shm) or
 * anonymous (memfd), optionally bound to a NUMA node and backed by huge pages,
 * always behind a validated header.
 *
 * A segment is the home of rings, queues and sync objects that several
 * processes share. Its file starts with a 4 KiB header page (magic, layout
 * version, total size, kind, kind-specific geometry, creator pid, a checksum
 * over them, and a "ready" word); the data area follows at offset 4096, so
 * par_shm_data() is page-aligned. par_shm_open() and par_shm_open_fd() check
 * every field against the file and refuse anything that does not add up with
 * -EPROTO (wrong kind, version or geometry, a truncated, extended or corrupted
 * file), never trusting it and never crashing: the header is read with
 * pread() after checking the file's size, and only a file that passes is
 * mapped. Nothing inside a segment is a pointer, so each process may map it
 * at any address.
 *
 * A named segment appears whole: it is built as an unnamed file (O_TMPFILE)
 * and linked under its name only once its header is written, so an opener
 * never sees a half-made file; it sees -EAGAIN until the creator publishes
 * (par_shm_create publishes before it returns).
 *
 * Sharing: a named segment is opened by name from any process of the same
 * user (mode 0600 by default). An anonymous one is inherited by forked
 * children, and its descriptor (par_shm_fd) can be handed to an unrelated
 * process over a Unix socket (SCM_RIGHTS) or across exec (dup it without
 * FD_CLOEXEC first), which then calls par_shm_open_fd.
 *
 * What validation cannot catch: a named file truncated by someone else
 * *after* a process mapped it makes that process's accesses past the new end
 * SIGBUS, as with any shared file. Anonymous segments are sealed against
 * resizing (F_SEAL_SHRINK | F_SEAL_GROW), so they are immune. Likewise, pages
 * are allocated when first touched unless populate is set, so a full
 * /dev/shm (or, with huge pages bound to a node, no free huge page on that
 * node) shows up as SIGBUS at that first touch; populate = 1 turns it into
 * -ENOMEM at create.
 *
 * Huge pages: an anonymous segment becomes a hugetlb memfd; a named one a file
 * in the first hugetlbfs mount (e.g. /dev/hugepages) instead of /dev/shm, and
 * par_shm_open / par_shm_unlink look there for a name /dev/shm lacks. The
 * file is rounded up to whole huge pages.
 *
 * A struct par_shm handle belongs to the process that made it; a forked child
 * may use the parent's handle (the mapping is inherited) and must close its
 * own copy. Functions are thread-safe except close, which must be the last
 * call on a handle. A segment outlives every process that used it until its
 * name is removed and the last mapping and descriptor go; the death of its
 * creator changes nothing for the others.
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
	size_t size;		/* sizeof(struct par_shm_opts); set by opts_init */
	mode_t mode;		/* permissions of a named segment, exactly (the umask is
				   not applied); default 0600. Beyond 07777: -EINVAL */
	int numa_node;		/* bind the pages to this node (MPOL_BIND, set before any
				   page exists); -1 (default) none. A node the machine
				   lacks, or one without memory this process may use:
				   -EINVAL */
	enum par_shm_huge huge; /* default PAR_SHM_HUGE_NO */
	int unlink_on_close;	/* 1: the creator's close removes the name */
	int populate;		/* 1: allocate every page at create (default 0) */
};

/* Fill o with the defaults. */
PAR_API void par_shm_opts_init(struct par_shm_opts *o);

/* Longest segment name, including the leading '/'. */
#define PAR_SHM_NAME_MAX 255

/* Create a segment with a data area of data_size bytes, published (openers
 * may use it at once). name: "/something" (one leading slash, no other, not
 * "/." or "/..") for a named segment, or NULL for an anonymous one. opts may
 * be NULL (defaults). -EEXIST when the name exists, -EINVAL for a bad name, a
 * size of 0 or beyond 2^56, or a bad option, -ENOMEM (no memory, no huge
 * pages with PAR_SHM_HUGE_REQUIRE, or populate failed), -EACCES, or another
 * system error (-EMFILE...). On failure nothing is left behind. */
PAR_API int par_shm_create(const char *name, size_t data_size, const struct par_shm_opts *opts,
			   struct par_shm **out);

/* Open an existing named segment of kind PAR_SHM_KIND_RAW. -ENOENT when there
 * is none, -EPROTO when it is not a valid raw segment, -EAGAIN when its creator
 * has not finished making it (try again), -EACCES, -EINVAL (bad name or
 * opts). opts may be NULL; only numa_node is used: it binds the pages not yet
 * allocated to that node (for /dev/shm and memfd files the policy is the
 * file's, so it holds for every process's first touch); pages already there
 * stay where they are. */
PAR_API int par_shm_open(const char *name, const struct par_shm_opts *opts, struct par_shm **out);

/* Open a raw segment from a descriptor (one received over a socket or
 * inherited across exec). The descriptor is duplicated (close-on-exec): the
 * caller still owns fd. -EBADF, -EPROTO (not a regular file, or as
 * par_shm_open), -EAGAIN, -EACCES (fd not open for reading and writing). */
PAR_API int par_shm_open_fd(int fd, struct par_shm **out);

/* Remove a segment's name (from /dev/shm, else from the hugetlbfs mount);
 * processes that have it open keep it until they close. 0, -ENOENT, -EINVAL
 * (bad name), -EACCES. */
PAR_API int par_shm_unlink(const char *name);

/* Unmap and free the handle. A creator's handle with unlink_on_close also
 * removes the name, but only in the creating process (not in a forked copy
 * of the handle) and only while the name still refers to this segment. 0 or
 * -EINVAL (NULL). */
PAR_API int par_shm_close(struct par_shm *s);

/* The data area (page-aligned) and its size as asked at create (the header
 * is before it, not part of it). */
PAR_API void *par_shm_data(const struct par_shm *s);
PAR_API size_t par_shm_data_size(const struct par_shm *s);

/* The segment's descriptor (close-on-exec; owned by the handle). */
PAR_API int par_shm_fd(const struct par_shm *s);

/* 1 when the segment is backed by huge pages, 0 when by ordinary pages (with
 * PAR_SHM_HUGE_TRY this is how the fallback is reported; the fallback also
 * asks for transparent huge pages, MADV_HUGEPAGE, where shmem allows). */
PAR_API int par_shm_huge_pages(const struct par_shm *s);

/* The NUMA node the pages are bound to, or -1: the node asked for at create
 * or open, else the one the creator bound them to (from the header). */
PAR_API int par_shm_numa_node(const struct par_shm *s);

/* The segment's kind and its creator's pid (from the validated header). */
PAR_API enum par_shm_kind par_shm_kind(const struct par_shm *s);
PAR_API pid_t par_shm_creator(const struct par_shm *s);

#ifdef __cplusplus
}
#endif

#endif /* PAR_SHM_H */
