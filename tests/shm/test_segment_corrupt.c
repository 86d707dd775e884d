/* Segments whose files are not what a segment should be: every one is
 * refused with -EPROTO (or -EAGAIN while not yet published), and none makes
 * the opener crash (a SIGBUS or SIGSEGV would end the program). */
#include "par_test.h"
#include "seg_pattern.h"
#include "segment_impl.h"

#include <par/shm.h>

#include <fcntl.h>
#include <sys/stat.h>

#define DATA (2 * 4096)

static char name[64];

/* A published raw segment, named for this process, and a descriptor on its
 * file to corrupt it through. */
static int setup(void **state)
{
	struct par_shm *s;
	char path[128];

	snprintf(name, sizeof(name), "/par-test-segc-%d", (int)getpid());
	par_shm_unlink(name);
	assert_int_equal(par_shm_create(name, DATA, NULL, &s), 0);
	seg_fill(par_shm_data(s), DATA, 3);
	par_shm_close(s);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	*state = (void *)(intptr_t)fd;
	return 0;
}

static int teardown(void **state)
{
	close((int)(intptr_t)*state);
	par_shm_unlink(name);
	return 0;
}

static int fd_of(void **state)
{
	return (int)(intptr_t)*state;
}

static int try_open(void)
{
	struct par_shm *s = NULL;
	int r = par_shm_open(name, NULL, &s);

	if (r == 0) {
		assert_true(seg_check(par_shm_data(s), DATA, 3));
		par_shm_close(s);
	} else {
		assert_null(s);
	}
	return r;
}

static void header_get(int fd, struct par__shm_header *h)
{
	assert_int_equal(pread(fd, h, sizeof(*h), 0), sizeof(*h));
}

/* Write h back, with a checksum that matches it when resum. */
static void header_put(int fd, struct par__shm_header *h, int resum)
{
	if (resum)
		h->checksum = par__shm_header_sum(h);
	assert_int_equal(pwrite(fd, h, sizeof(*h), 0), sizeof(*h));
}

static void intact_file_opens(void **state)
{
	(void)state;
	assert_int_equal(try_open(), 0);
}

static void wrong_magic_version_or_checksum(void **state)
{
	int fd = fd_of(state);
	struct par__shm_header good, h;

	header_get(fd, &good);
	h = good;
	h.magic[0] = 'Q';
	header_put(fd, &h, 1);
	assert_int_equal(try_open(), -EPROTO);
	h = good;
	h.version = PAR__SHM_VERSION + 1;
	header_put(fd, &h, 1);
	assert_int_equal(try_open(), -EPROTO);
	h = good;
	h.checksum ^= 1;
	header_put(fd, &h, 0);
	assert_int_equal(try_open(), -EPROTO);
	h = good;
	h.data_size -= 1; /* a field changed, the checksum not */
	header_put(fd, &h, 0);
	assert_int_equal(try_open(), -EPROTO);
	header_put(fd, &good, 0);
	assert_int_equal(try_open(), 0);
}

/* Flip each byte of the header in turn: every one is caught. */
static void every_header_byte_flipped(void **state)
{
	int fd = fd_of(state);

	for (off_t i = 0; i < (off_t)sizeof(struct par__shm_header); i++) {
		unsigned char b, x;
		assert_int_equal(pread(fd, &b, 1, i), 1);
		x = b ^ 0xff;
		assert_int_equal(pwrite(fd, &x, 1, i), 1);
		if (try_open() != -EPROTO)
			fail_msg("header byte %ld flipped: not refused", (long)i);
		assert_int_equal(pwrite(fd, &b, 1, i), 1);
	}
	assert_int_equal(try_open(), 0);
}

/* Each field forged to a wrong value with a checksum that matches it. */
static void forged_fields_with_good_checksum(void **state)
{
	int fd = fd_of(state);
	struct par__shm_header good, h;

	header_get(fd, &good);
	for (int c = 0;; c++) {
		h = good;
		switch (c) {
		case 0:
			h.kind = PAR_SHM_KIND_QUEUE;
			break;
		case 1:
			h.kind = 77;
			break;
		case 2:
			h.header_size = 8192;
			break;
		case 3:
			h.data_offset = 0;
			break;
		case 4:
			h.data_offset = 8192;
			break;
		case 5:
			h.data_size = DATA + 4096;
			break;
		case 6:
			h.data_size = 0;
			break;
		case 7:
			h.data_size = UINT64_MAX - 100;
			break;
		case 8:
			h.total_size += 4096;
			break;
		case 9:
			h.total_size = UINT64_MAX;
			break;
		case 10:
			h.flags = PAR__SHM_F_HUGE;
			break; /* not a hugetlbfs file */
		case 11:
			h.flags = 0x80;
			break;
		case 12:
			h.creator_pid = 0;
			break;
		case 13:
			h.numa_node = -5;
			break;
		case 14:
			h.geom_len = PAR__SHM_GEOM_MAX + 1;
			break;
		case 15:
			h.geom_len = 1;
			break; /* a raw segment has none */
		case 16:
			h.geom[40] = 1;
			break; /* past geom_len */
		case 17:
			h.reserved = 1;
			break;
		case 18:
			h.pad = 1;
			break;
		case 19:
			h.ready = 2;
			break;
		default:
			header_put(fd, &good, 0);
			assert_int_equal(try_open(), 0);
			return;
		}
		header_put(fd, &h, 1);
		if (try_open() != -EPROTO)
			fail_msg("forged field, case %d: not refused", c);
	}
}

static void truncated_or_extended_file(void **state)
{
	int fd = fd_of(state);
	const off_t full = 4096 + DATA;
	const off_t sizes[] = { full - 4096, full - 1, 4096,	    4095,     100,
				1,	     full + 1, full + 4096, full * 64 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_int_equal(ftruncate(fd, sizes[i]), 0);
		if (try_open() != -EPROTO)
			fail_msg("file of %ld bytes: not refused", (long)sizes[i]);
	}
	assert_int_equal(ftruncate(fd, full), 0);
	assert_int_equal(try_open(), -EPROTO); /* the data is gone, the header too */
}

static void zero_length_file(void **state)
{
	assert_int_equal(ftruncate(fd_of(state), 0), 0);
	assert_int_equal(try_open(), -EPROTO);
}

static void random_bytes_file(void **state)
{
	int fd = fd_of(state);
	static uint8_t junk[4096 + DATA];

	for (uint64_t seed = 1; seed <= 20; seed++) {
		seg_fill(junk, sizeof(junk), seed);
		if (seed > 10) /* the magic right, the rest noise */
			memcpy(junk, PAR__SHM_MAGIC, 8);
		assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), sizeof(junk));
		assert_int_equal(try_open(), -EPROTO);
	}
	memset(junk, 0, sizeof(junk)); /* all zero: not a header either */
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 0), sizeof(junk));
	assert_int_equal(try_open(), -EPROTO);
}

static void not_published_is_eagain(void **state)
{
	int fd = fd_of(state);
	struct par__shm_header good, h;
	struct par_shm *s = NULL;
	char other[80];

	header_get(fd, &good);
	h = good;
	h.ready = 0;
	header_put(fd, &h, 0); /* ready is not summed */
	assert_int_equal(try_open(), -EAGAIN);
	h.ready = PAR__SHM_READY ^ 0x100;
	header_put(fd, &h, 0);
	assert_int_equal(try_open(), -EPROTO);
	header_put(fd, &good, 0);
	assert_int_equal(try_open(), 0);

	snprintf(other, sizeof(other), "%s-unpub", name);
	par_shm_unlink(other);
	assert_int_equal(par__shm_create_kind(other, PAR_SHM_KIND_RAW, NULL, 0, 64, NULL, &s), 0);
	struct par_shm *t = NULL;
	assert_int_equal(par_shm_open(other, NULL, &t), -EAGAIN);
	assert_int_equal(par_shm_open_fd(par_shm_fd(s), &t), -EAGAIN);
	par__shm_publish(s);
	assert_int_equal(par_shm_open(other, NULL, &t), 0);
	par_shm_close(t);
	assert_int_equal(par_shm_unlink(other), 0);
	par_shm_close(s);
}

static void not_a_segment_descriptor(void **state)
{
	struct par_shm *s = NULL;
	char path[128];

	snprintf(path, sizeof(path), "/dev/shm%s", name);
	int ro = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	assert_int_equal(par_shm_open_fd(ro, &s), -EACCES); /* valid, but not writable */
	close(ro);
	int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	assert_int_equal(par_shm_open_fd(dir, &s), -EPROTO);
	close(dir);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(null >= 0);
	assert_int_equal(par_shm_open_fd(null, &s), -EPROTO);
	close(null);
	assert_null(s);
	(void)state;
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(intact_file_opens, setup, teardown),
	cmocka_unit_test_setup_teardown(wrong_magic_version_or_checksum, setup, teardown),
	cmocka_unit_test_setup_teardown(every_header_byte_flipped, setup, teardown),
	cmocka_unit_test_setup_teardown(forged_fields_with_good_checksum, setup, teardown),
	cmocka_unit_test_setup_teardown(truncated_or_extended_file, setup, teardown),
	cmocka_unit_test_setup_teardown(zero_length_file, setup, teardown),
	cmocka_unit_test_setup_teardown(random_bytes_file, setup, teardown),
	cmocka_unit_test_setup_teardown(not_published_is_eagain, setup, teardown),
	cmocka_unit_test_setup_teardown(not_a_segment_descriptor, setup, teardown),
};

PAR_TEST_MAIN(tests)
