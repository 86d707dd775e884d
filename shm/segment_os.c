/* Segment files (memfd, /dev/shm, hugetlbfs), NUMA binding and populating:
 * the system side of segment.c. */
#include "segment_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SHM_DIR "/dev/shm" /* where glibc's shm_open keeps names */
#define MAX_NODES 1024	   /* the kernel's largest MAX_NUMNODES */

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* The first hugetlbfs mount in /proc/mounts. 0 and dir, or -ENOENT. */
static int huge_mount(char *dir, size_t len)
{
	char buf[4096];
	struct mntent e;
	int r = -ENOENT;
	FILE *m = setmntent("/proc/mounts", "re");

	if (m == NULL)
		return -ENOENT;
	while (r != 0 && getmntent_r(m, &e, buf, sizeof(buf)) != NULL)
		if (strcmp(e.mnt_type, "hugetlbfs") == 0 && strlen(e.mnt_dir) < len) {
			strcpy(dir, e.mnt_dir);
			r = 0;
		}
	endmntent(m);
	return r;
}

/* dir/name for a name in /dev/shm (huge 0) or the hugetlbfs mount. */
static int name_path(const char *name, int huge, char *path, size_t len)
{
	char dir[PATH_MAX];

	if (!huge)
		strcpy(dir, SHM_DIR);
	else if (huge_mount(dir, sizeof(dir)) < 0)
		return -ENOENT;
	if ((size_t)snprintf(path, len, "%s%s", dir, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int file_granule(struct par__shm_file *f)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return -errno;
	f->granule = page_size();
	if (f->huge) {
		size_t g = (size_t)st.st_blksize; /* hugetlbfs reports its page size here */
		if (g <= f->granule || (g & (g - 1)) != 0)
			return -ENOMEM;
		f->granule = g;
	}
	return 0;
}

/* Does name exist in /dev/shm (huge 0) or the hugetlbfs mount (huge 1)? */
static int name_exists(const char *name, int huge)
{
	char path[PATH_MAX];

	return name_path(name, huge, path, sizeof(path)) == 0 &&
	       faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* An unnamed file in dir (O_TMPFILE), mode exactly as asked (no umask). */
static int tmpfile_in(const char *dir, mode_t mode)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode & 0777);

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int make_named(const char *name, mode_t mode, struct par__shm_file *f)
{
	char dir[PATH_MAX];

	/* Early and racy, to spare the work; the link decides. */
	if (name_exists(name, 0) || name_exists(name, 1))
		return -EEXIST;
	if (f->huge) {
		if (huge_mount(dir, sizeof(dir)) < 0)
			return -ENOMEM;
		f->fd = tmpfile_in(dir, mode);
		f->in_hugetlbfs = 1;
		return f->fd < 0 ? -ENOMEM : 0;
	}
	f->fd = tmpfile_in(SHM_DIR, mode);
	if (f->fd >= 0 || (f->fd != -EOPNOTSUPP && f->fd != -EISDIR && f->fd != -ENOENT))
		return f->fd < 0 ? f->fd : 0;
	/* No O_TMPFILE: the name shows before the header is written. */
	f->fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
	if (f->fd < 0)
		return -errno;
	f->named_early = 1;
	return fchmod(f->fd, mode) < 0 ? -errno : 0;
}

int par__shm_file_make(const char *name, mode_t mode, int huge, struct par__shm_file *f)
{
	int r;

	*f = (struct par__shm_file){ .fd = -1, .huge = huge };
	if (name != NULL) {
		r = make_named(name, mode, f);
	} else {
		unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | (huge ? MFD_HUGETLB : 0);
		f->fd = memfd_create("par-shm", flags);
		r = f->fd >= 0 ? 0 : huge ? -ENOMEM : -errno;
	}
	if (r == 0)
		r = file_granule(f);
	if (r < 0)
		par__shm_file_drop(name, f);
	return r;
}

int par__shm_file_size(struct par__shm_file *f, uint64_t total)
{
	if (total > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (ftruncate(f->fd, (off_t)total) < 0)
		return errno == EFBIG ? -ENOMEM : -errno;
	/* A memfd's size is fixed from here: a receiver cannot be made to
	 * SIGBUS by someone shrinking it. Named files cannot be sealed. */
	if (fcntl(f->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0 &&
	    errno != EINVAL && errno != EPERM)
		return -errno;
	return 0;
}

int par__shm_file_link(const char *name, struct par__shm_file *f)
{
	char path[PATH_MAX], self[64];
	int r;

	if (name == NULL || f->named_early)
		return 0;
	if ((r = name_path(name, f->in_hugetlbfs, path, sizeof(path))) < 0)
		return r;
	if (name_exists(name, !f->in_hugetlbfs)) /* par_shm_open would find the other */
		return -EEXIST;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", f->fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT) /* ENOENT: no /proc; AT_EMPTY_PATH may still do */
		return -errno;
	return linkat(f->fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0 ? 0 : -errno;
}

void par__shm_file_drop(const char *name, struct par__shm_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->named_early)
		shm_unlink(name);
	f->fd = -1;
	f->named_early = 0;
}

int par__shm_file_open(const char *name, int *in_hugetlbfs)
{
	char path[PATH_MAX];
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	int e = errno;

	*in_hugetlbfs = 0;
	if (fd >= 0)
		return fd;
	if (e != ENOENT || name_path(name, 1, path, sizeof(path)) < 0)
		return -e;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	*in_hugetlbfs = 1;
	return fd;
}

int par__shm_file_unlink(const char *name, int where)
{
	char path[PATH_MAX];

	if (where <= 0) {
		if (shm_unlink(name) == 0)
			return 0;
		if (errno != ENOENT || where == 0)
			return -errno;
	}
	if (name_path(name, 1, path, sizeof(path)) < 0)
		return -ENOENT;
	return unlink(path) == 0 ? 0 : -errno;
}

int par__shm_file_is(const char *name, int in_hugetlbfs, int fd)
{
	char path[PATH_MAX];
	struct stat a, b;

	return name_path(name, in_hugetlbfs, path, sizeof(path)) == 0 && stat(path, &a) == 0 &&
	       fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int par__shm_node_ok(int node)
{
	if (node == -1)
		return 0;
	if (node < 0 || node >= MAX_NODES)
		return -EINVAL;
	if (numa_available() < 0) /* a kernel without NUMA: all is node 0 */
		return node == 0 ? 0 : -EINVAL;
	return node <= numa_max_node() ? 0 : -EINVAL;
}

int par__shm_bind(void *p, size_t len, int node)
{
	unsigned long mask[MAX_NODES / (8 * sizeof(unsigned long))] = { 0 };
	const unsigned bits = 8 * sizeof(unsigned long);

	if (node < 0 || numa_available() < 0)
		return 0;
	mask[(unsigned)node / bits] = 1UL << ((unsigned)node % bits);
	/* The raw syscall wrapper: libnuma's helpers may print. A node without
	 * memory, or outside this process's cpuset, is EINVAL. */
	if (mbind(p, len, MPOL_BIND, mask, MAX_NODES + 1, 0) < 0)
		return -errno;
	return 0;
}

int par__shm_populate(void *p, size_t len)
{
	for (;;) {
		if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
			return 0;
		if (errno != EINTR)
			break;
	}
	if (errno != EINVAL) /* no memory, a full /dev/shm, no huge page on the node */
		return -ENOMEM;
	/* A kernel before 5.14: touch each page of the fresh (zero) file. */
	for (size_t o = 0; o < len; o += page_size())
		((volatile uint8_t *)p)[o] = 0;
	return 0;
}
