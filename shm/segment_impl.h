/* Segment layout and the helpers shared by segment.c and segment_os.c: not
 * installed. The tests include it to forge headers. */
#ifndef PAR_SEGMENT_IMPL_H
#define PAR_SEGMENT_IMPL_H

#include "shm_impl.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PAR__SHM_MAGIC "PARSHM\0\1" /* 8 bytes, compared without the NUL */
#define PAR__SHM_VERSION 1u
#define PAR__SHM_HEADER_SIZE 4096u /* the header's page; data starts here */
#define PAR__SHM_READY 0x59444552u /* "REDY": published */
#define PAR__SHM_F_HUGE 1u	   /* backed by hugetlb pages */

/* The first bytes of every segment file. Fixed-width fields in host order;
 * the rest of the header page is zero and unused. checksum is FNV-1a 64 over
 * every byte before it; ready is 0 until par__shm_publish stores READY. */
struct par__shm_header {
	char magic[8];
	uint32_t version;
	uint32_t kind;
	uint32_t header_size; /* PAR__SHM_HEADER_SIZE */
	uint32_t flags;	      /* PAR__SHM_F_* */
	uint64_t total_size;  /* the file's size */
	uint64_t data_offset; /* PAR__SHM_HEADER_SIZE */
	uint64_t data_size;   /* as asked at create; the file may extend past it */
	int32_t creator_pid;
	int32_t numa_node; /* the node the creator bound the pages to, or -1 */
	uint32_t geom_len;
	uint32_t reserved; /* 0 */
	uint8_t geom[PAR__SHM_GEOM_MAX];
	uint64_t checksum;
	uint32_t ready;
	uint32_t pad; /* 0, not summed */
};

static_assert(sizeof(struct par__shm_header) == 144, "segment header layout changed");
static_assert(offsetof(struct par__shm_header, geom) == 64, "segment header layout changed");
static_assert(offsetof(struct par__shm_header, checksum) == 128, "segment header layout changed");
static_assert(offsetof(struct par__shm_header, ready) % 4 == 0, "ready must be a futex-able word");

/* FNV-1a 64 over the bytes before checksum. */
uint64_t par__shm_header_sum(const struct par__shm_header *h);

/* A process's handle on a segment. */
struct par_shm {
	uint8_t *base; /* the whole file, header first */
	size_t map_size;
	int fd;
	enum par_shm_kind kind;
	pid_t creator;
	int huge;
	int numa_node;
	size_t data_size;
	pid_t unlinker;	  /* the process whose close removes the name, or 0 */
	int in_hugetlbfs; /* where the name lives: /dev/shm or the hugetlbfs mount */
	char name[PAR_SHM_NAME_MAX + 1];
};

/* A new segment file, not yet visible by name (segment_os.c). */
struct par__shm_file {
	int fd;
	size_t granule;	  /* page size of the file: ordinary or huge */
	int huge;	  /* hugetlb pages */
	int named_early;  /* the name already exists (no O_TMPFILE): unlink on failure */
	int in_hugetlbfs; /* named, in the hugetlbfs mount */
};

/* Make the file of a segment: anonymous (name NULL) or named, with hugetlb
 * pages when huge. A named file is made unnamed (O_TMPFILE) where the file
 * system allows, so par__shm_file_link shows it whole. 0, or -errno (-ENOMEM
 * when huge pages are wanted but there is nowhere to get them). */
int par__shm_file_make(const char *name, mode_t mode, int huge, struct par__shm_file *f);

/* Set the file's size (and seal it against resizing, for a memfd). */
int par__shm_file_size(struct par__shm_file *f, uint64_t total);

/* Give the file its name. 0, -EEXIST, -errno. */
int par__shm_file_link(const char *name, struct par__shm_file *f);

/* Undo par__shm_file_make after a failure. */
void par__shm_file_drop(const char *name, struct par__shm_file *f);

/* Open a named segment's file read-write, in /dev/shm or else the hugetlbfs
 * mount. fd, or -ENOENT, -EACCES, -errno. */
int par__shm_file_open(const char *name, int *in_hugetlbfs);

/* Remove a name: where 0 in /dev/shm, 1 in the hugetlbfs mount, -1 the
 * first of the two that has it. 0, -ENOENT, -errno. */
int par__shm_file_unlink(const char *name, int where);

/* Does name (in /dev/shm, or the hugetlbfs mount) still refer to fd's file? */
int par__shm_file_is(const char *name, int in_hugetlbfs, int fd);

/* 0 when node is -1 or a node with memory this process may use, else -EINVAL. */
int par__shm_node_ok(int node);

/* Bind [p, p+len) to node with MPOL_BIND (node -1: nothing). 0 or -errno. */
int par__shm_bind(void *p, size_t len, int node);

/* Allocate every page of [p, p+len) now. 0 or -ENOMEM. */
int par__shm_populate(void *p, size_t len);

#endif /* PAR_SEGMENT_IMPL_H */
