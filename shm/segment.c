/* Segments: create, publish, open (validating the header against the file),
 * close. The system side (files, NUMA, populating) is in segment_os.c. */
#include "segment_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Data areas larger than this are refused (-EINVAL): far beyond any machine,
 * and no rounding below can overflow. */
#define DATA_MAX ((size_t)1 << 56)

/* What par__shm_create_kind was asked for, options resolved. */
struct seg_req {
	const char *name;
	enum par_shm_kind kind;
	const void *geom;
	size_t geom_len;
	size_t data_size;
	mode_t mode;
	int node;
	enum par_shm_huge huge;
	int unlink_on_close;
	int populate;
};

uint64_t par__shm_header_sum(const struct par__shm_header *h)
{
	const uint8_t *p = (const uint8_t *)h;
	uint64_t x = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < offsetof(struct par__shm_header, checksum); i++)
		x = (x ^ p[i]) * 0x100000001b3ull;
	return x;
}

int par__shm_name_ok(const char *name)
{
	size_t n = name != NULL ? strnlen(name, PAR_SHM_NAME_MAX + 1) : 0;

	if (n < 2 || n > PAR_SHM_NAME_MAX || name[0] != '/' || memchr(name + 1, '/', n - 1))
		return -EINVAL;
	if (strcmp(name, "/.") == 0 || strcmp(name, "/..") == 0)
		return -EINVAL;
	return 0;
}

void par_shm_opts_init(struct par_shm_opts *o)
{
	*o = (struct par_shm_opts){ .size = sizeof(*o), .mode = 0600, .numa_node = -1 };
}

static int kind_ok(enum par_shm_kind k)
{
	return k == PAR_SHM_KIND_RAW || k == PAR_SHM_KIND_RING || k == PAR_SHM_KIND_QUEUE;
}

static int req_resolve(const struct par_shm_opts *o, struct seg_req *q)
{
	if (PAR__OPTS_BAD(o))
		return -EINVAL;
	q->mode = PAR__OPT(o, mode, 0600);
	q->node = PAR__OPT(o, numa_node, -1);
	q->huge = PAR__OPT(o, huge, PAR_SHM_HUGE_NO);
	q->unlink_on_close = PAR__OPT(o, unlink_on_close, 0);
	q->populate = PAR__OPT(o, populate, 0);
	if ((q->mode & ~(mode_t)07777) != 0 || (unsigned)q->huge > PAR_SHM_HUGE_REQUIRE)
		return -EINVAL;
	if (q->name != NULL && par__shm_name_ok(q->name) < 0)
		return -EINVAL;
	if (q->data_size == 0 || q->data_size > DATA_MAX || !kind_ok(q->kind))
		return -EINVAL;
	if (q->geom_len > PAR__SHM_GEOM_MAX || (q->geom == NULL && q->geom_len > 0))
		return -EINVAL;
	return par__shm_node_ok(q->node);
}

static void header_fill(struct par__shm_header *h, const struct seg_req *q, int huge,
			uint64_t total)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, PAR__SHM_MAGIC, sizeof(h->magic));
	h->version = PAR__SHM_VERSION;
	h->kind = (uint32_t)q->kind;
	h->header_size = PAR__SHM_HEADER_SIZE;
	h->flags = huge ? PAR__SHM_F_HUGE : 0;
	h->total_size = total;
	h->data_offset = PAR__SHM_HEADER_SIZE;
	h->data_size = q->data_size;
	h->creator_pid = (int32_t)getpid();
	h->numa_node = q->node;
	h->geom_len = (uint32_t)q->geom_len;
	if (q->geom_len > 0)
		memcpy(h->geom, q->geom, q->geom_len);
	h->checksum = par__shm_header_sum(h);
}

/* Map the file, bind and populate it, write the header (not ready). */
static int seg_fill(struct par_shm *s, struct par__shm_file *f, const struct seg_req *q)
{
	uint64_t total = (PAR__SHM_HEADER_SIZE + q->data_size + f->granule - 1) & ~(f->granule - 1);
	struct par__shm_header h;
	int r;

	if ((r = par__shm_file_size(f, total)) < 0)
		return r;
	s->base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		return errno == ENOMEM ? -ENOMEM : -errno;
	}
	s->map_size = total;
	/* Bind before any page exists, so every page lands on the node. */
	if ((r = par__shm_bind(s->base, total, q->node)) < 0)
		return r;
	if (!f->huge && q->huge == PAR_SHM_HUGE_TRY)
		madvise(s->base, total, MADV_HUGEPAGE); /* transparent ones, where shmem allows */
	/* The header page is populated first: no room fails here, not SIGBUS. */
	r = par__shm_populate(s->base, q->populate ? total : PAR__SHM_HEADER_SIZE);
	if (r < 0)
		return r;
	header_fill(&h, q, f->huge, total);
	memcpy(s->base, &h, sizeof(h));
	return 0;
}

/* Make, fill and name the segment with or without huge pages. */
static int seg_build(struct par_shm *s, const struct seg_req *q, int huge)
{
	struct par__shm_file f;
	int r = par__shm_file_make(q->name, q->mode, huge, &f);

	if (r < 0)
		return r;
	if ((r = seg_fill(s, &f, q)) == 0 && (r = par__shm_file_link(q->name, &f)) == 0) {
		s->fd = f.fd;
		s->huge = f.huge;
		s->in_hugetlbfs = f.in_hugetlbfs;
		return 0;
	}
	if (s->base != NULL)
		munmap(s->base, s->map_size);
	s->base = NULL;
	par__shm_file_drop(q->name, &f);
	return r;
}

int par__shm_create_kind(const char *name, enum par_shm_kind kind, const void *geom,
			 size_t geom_len, size_t data_size, const struct par_shm_opts *opts,
			 struct par_shm **out)
{
	struct seg_req q = { .name = name,
			     .kind = kind,
			     .geom = geom,
			     .geom_len = geom_len,
			     .data_size = data_size };
	struct par_shm *s;
	int r;

	if (out == NULL)
		return -EINVAL;
	if ((r = req_resolve(opts, &q)) < 0)
		return r;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	r = -ENOMEM;
	if (q.huge != PAR_SHM_HUGE_NO)
		r = seg_build(s, &q, 1);
	if (r == -ENOMEM && q.huge != PAR_SHM_HUGE_REQUIRE)
		r = seg_build(s, &q, 0);
	if (r < 0) {
		free(s);
		return r;
	}
	s->kind = kind;
	s->creator = getpid();
	s->numa_node = q.node;
	s->data_size = data_size;
	if (name != NULL && q.unlink_on_close) {
		s->unlinker = s->creator;
		strcpy(s->name, name);
	}
	*out = s;
	return 0;
}

int par_shm_create(const char *name, size_t data_size, const struct par_shm_opts *opts,
		   struct par_shm **out)
{
	int r = par__shm_create_kind(name, PAR_SHM_KIND_RAW, NULL, 0, data_size, opts, out);

	if (r == 0)
		par__shm_publish(*out);
	return r;
}

void par__shm_publish(struct par_shm *s)
{
	struct par__shm_header *h = (struct par__shm_header *)s->base;

	/* release: pairs with the acquire load of ready in seg_attach */
	__atomic_store_n(&h->ready, PAR__SHM_READY, __ATOMIC_RELEASE);
}

/* The header as the file holds it, read (not mapped: a short file cannot
 * SIGBUS us) after checking the file is big enough to have one. */
static int header_read(int fd, struct par__shm_header *h, struct stat *st)
{
	ssize_t n;

	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode) || st->st_size < (off_t)PAR__SHM_HEADER_SIZE)
		return -EPROTO;
	do
		n = pread(fd, h, sizeof(*h), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(*h) ? 0 : -EPROTO;
}

/* Sizes and offsets agree with each other and with the file. */
static int layout_ok(const struct par__shm_header *h, const struct stat *st)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), g = page;
	uint64_t end = PAR__SHM_HEADER_SIZE + h->data_size;

	if (h->header_size != PAR__SHM_HEADER_SIZE || h->data_offset != PAR__SHM_HEADER_SIZE)
		return 0;
	if ((h->flags & ~PAR__SHM_F_HUGE) != 0 || h->reserved != 0 || h->pad != 0)
		return 0;
	if (h->creator_pid <= 0 || h->numa_node < -1 || h->geom_len > PAR__SHM_GEOM_MAX)
		return 0;
	for (size_t i = h->geom_len; i < PAR__SHM_GEOM_MAX; i++)
		if (h->geom[i] != 0)
			return 0;
	if (h->flags & PAR__SHM_F_HUGE) /* on hugetlbfs, which reports its page size */
		g = (uint64_t)st->st_blksize;
	if (g < page || (g & (g - 1)) != 0 || (g == page) != !(h->flags & PAR__SHM_F_HUGE))
		return 0;
	if (h->data_size == 0 || h->data_size > DATA_MAX)
		return 0;
	return h->total_size == (uint64_t)st->st_size &&
	       h->total_size == ((end + g - 1) & ~(g - 1));
}

/* Every field, in order; ready last: 0 is "not yet", anything else foreign. */
static int header_check(const struct par__shm_header *h, const struct stat *st,
			enum par_shm_kind kind, size_t geom_len)
{
	if (memcmp(h->magic, PAR__SHM_MAGIC, sizeof(h->magic)) != 0)
		return -EPROTO;
	if (h->version != PAR__SHM_VERSION || h->checksum != par__shm_header_sum(h))
		return -EPROTO;
	if (h->kind != (uint32_t)kind || !layout_ok(h, st) || h->geom_len != geom_len)
		return -EPROTO;
	if (h->ready != PAR__SHM_READY)
		return h->ready == 0 ? -EAGAIN : -EPROTO;
	return 0;
}

/* Validate the file behind fd (ours now) and map it into s. */
static int seg_attach(struct par_shm *s, int fd, enum par_shm_kind kind, void *geom,
		      size_t geom_len)
{
	struct par__shm_header h;
	struct stat st;
	void *p;
	int r;

	if ((r = header_read(fd, &h, &st)) < 0 || (r = header_check(&h, &st, kind, geom_len)) < 0)
		return r;
	p = mmap(NULL, h.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	/* acquire: pairs with the release store in par__shm_publish, so the
	 * creator's data-area writes before publishing are visible */
	if (__atomic_load_n(&((struct par__shm_header *)p)->ready, __ATOMIC_ACQUIRE) !=
	    PAR__SHM_READY) {
		munmap(p, h.total_size);
		return -EPROTO; /* ready went back: someone rewrote the header */
	}
	*s = (struct par_shm){ .base = p,
			       .map_size = h.total_size,
			       .fd = fd,
			       .kind = kind,
			       .creator = h.creator_pid,
			       .huge = (h.flags & PAR__SHM_F_HUGE) != 0,
			       .numa_node = h.numa_node,
			       .data_size = h.data_size };
	if (geom_len > 0)
		memcpy(geom, h.geom, geom_len);
	return 0;
}

static int open_fd_of(const char *name, int fd, int *in_hugetlbfs)
{
	*in_hugetlbfs = 0;
	if (fd < 0)
		return par__shm_name_ok(name) < 0 ? -EINVAL
						  : par__shm_file_open(name, in_hugetlbfs);
	if (name != NULL)
		return -EINVAL;
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	return fd >= 0 ? fd : -errno;
}

int par__shm_open_kind(const char *name, int fd, enum par_shm_kind kind, void *geom,
		       size_t geom_len, struct par_shm **out)
{
	struct par_shm *s;
	int in_hugetlbfs, r;

	if (out == NULL || !kind_ok(kind) || geom_len > PAR__SHM_GEOM_MAX ||
	    (geom == NULL && geom_len > 0))
		return -EINVAL;
	if ((fd = open_fd_of(name, fd, &in_hugetlbfs)) < 0)
		return fd;
	if ((s = malloc(sizeof(*s))) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	if ((r = seg_attach(s, fd, kind, geom, geom_len)) < 0) {
		close(fd);
		free(s);
		return r;
	}
	s->in_hugetlbfs = in_hugetlbfs;
	*out = s;
	return 0;
}

int par_shm_open(const char *name, const struct par_shm_opts *opts, struct par_shm **out)
{
	int node = PAR__OPT(opts, numa_node, -1);
	int r;

	if (PAR__OPTS_BAD(opts) || out == NULL || name == NULL)
		return -EINVAL;
	if ((r = par__shm_node_ok(node)) < 0)
		return r;
	if ((r = par__shm_open_kind(name, -1, PAR_SHM_KIND_RAW, NULL, 0, out)) < 0)
		return r;
	if (node >= 0) {
		struct par_shm *s = *out;
		if ((r = par__shm_bind(s->base, s->map_size, node)) < 0) {
			par_shm_close(s);
			*out = NULL;
			return r;
		}
		s->numa_node = node;
	}
	return 0;
}

int par_shm_open_fd(int fd, struct par_shm **out)
{
	if (fd < 0)
		return -EBADF;
	return par__shm_open_kind(NULL, fd, PAR_SHM_KIND_RAW, NULL, 0, out);
}

int par_shm_unlink(const char *name)
{
	if (par__shm_name_ok(name) < 0)
		return -EINVAL;
	return par__shm_file_unlink(name, -1);
}

int par_shm_close(struct par_shm *s)
{
	if (s == NULL)
		return -EINVAL;
	/* Only the creating process, and only the file it made (the name may
	 * have been removed and made again by someone else). */
	if (s->unlinker != 0 && s->unlinker == getpid() &&
	    par__shm_file_is(s->name, s->in_hugetlbfs, s->fd))
		par__shm_file_unlink(s->name, s->in_hugetlbfs);
	munmap(s->base, s->map_size);
	close(s->fd);
	free(s);
	return 0;
}

void *par_shm_data(const struct par_shm *s)
{
	return s != NULL ? s->base + PAR__SHM_HEADER_SIZE : NULL;
}

size_t par_shm_data_size(const struct par_shm *s)
{
	return s != NULL ? s->data_size : 0;
}

int par_shm_fd(const struct par_shm *s)
{
	return s != NULL ? s->fd : -EINVAL;
}

int par_shm_huge_pages(const struct par_shm *s)
{
	return s != NULL && s->huge;
}

int par_shm_numa_node(const struct par_shm *s)
{
	return s != NULL ? s->numa_node : -1;
}

enum par_shm_kind par_shm_kind(const struct par_shm *s)
{
	return s != NULL ? s->kind : (enum par_shm_kind)0;
}

pid_t par_shm_creator(const struct par_shm *s)
{
	return s != NULL ? s->creator : -1;
}
