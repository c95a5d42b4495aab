/* Unit tests for images/copy.c: sparse-aware image copies. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "copy.h"
#include "digest.h"
#include "testutil.h"
#include "util.h"

#define MiB (1024u * 1024u)
#define KiB 1024u
#define SMALL_TMPFS "size=8m"	/* the tmpfs that fills up */

/** write_random() - @len random bytes at @off of @fd, none of them zero
 * (so no block of them reads as a hole). */
static void write_random(int fd, size_t len, uint64_t off, uint32_t seed)
{
	uint8_t *buf = xmalloc(len);
	size_t i;

	tu_fill_random(buf, len, seed);
	for (i = 0; i < len; i++)
		buf[i] |= 1;
	assert_int_equal(pwrite_full(fd, buf, len, off), 0);
	free(buf);
}

/** assert_same_content() - @a and @b have the same size and bytes. */
static void assert_same_content(int a, int b)
{
	struct stat sa, sb;
	uint8_t *ba = malloc(MiB), *bb = malloc(MiB);
	uint64_t off;

	assert_non_null(ba);
	assert_non_null(bb);
	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_size, sb.st_size);
	for (off = 0; off < (uint64_t)sa.st_size; off += MiB) {
		size_t n = (uint64_t)sa.st_size - off < MiB ? (size_t)(sa.st_size - off) : MiB;

		assert_int_equal(pread_full(a, ba, n, off), 0);
		assert_int_equal(pread_full(b, bb, n, off), 0);
		assert_memory_equal(ba, bb, n);
	}
	free(ba);
	free(bb);
}

/** allocated() - bytes allocated on disk for @fd. */
static uint64_t allocated(int fd)
{
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

/**
 * copy_and_check() - copy @src to a new file with and without a digest;
 * both copies equal the source, and the digest fed during the copy equals
 * digest_file() of the source.  Returns the fd of the digested copy.
 */
static int copy_and_check(int src, const char *name)
{
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	char *plain_name = xasprintf("%s.plain", name);
	int dst = tu_open_new(tu_group_dir(), name);
	int plain = tu_open_new(tu_group_dir(), plain_name);
	struct digest *d;
	struct stat st;

	assert_int_equal(fstat(src, &st), 0);
	d = digest_new((uint64_t)st.st_size);
	assert_non_null(d);
	assert_int_equal(copy_image(src, dst, d, NULL), 0);
	assert_int_equal(digest_final(d, got), 0);
	digest_free(d);
	assert_int_equal(digest_file(src, NULL, want), 0);
	assert_string_equal(got, want);
	assert_same_content(src, dst);

	assert_int_equal(copy_image(src, plain, NULL, NULL), 0);
	assert_same_content(src, plain);
	close(plain);
	free(plain_name);
	return dst;
}

static void test_sparse_stays_sparse(void **state)
{
	int src = tu_open_new(tu_group_dir(), "sparse"), dst;

	/* 256 MiB with 2 MiB of data in three places. */
	assert_int_equal(ftruncate(src, 256 * MiB), 0);
	write_random(src, MiB, 0, 1);
	write_random(src, 512 * KiB, 100 * MiB + 4 * KiB, 2);
	write_random(src, 512 * KiB, 200 * MiB - 256 * KiB, 3);	/* straddles chunks */
	dst = copy_and_check(src, "sparse.copy");
	assert_true(allocated(dst) <= 3 * MiB);
	close(dst);
	close(src);
}

static void test_ends_in_hole(void **state)
{
	int src = tu_open_new(tu_group_dir(), "endhole"), dst;

	write_random(src, 100 * KiB, 3 * KiB, 4);
	assert_int_equal(ftruncate(src, 10 * MiB + 3), 0);	/* odd size */
	dst = copy_and_check(src, "endhole.copy");
	assert_true(allocated(dst) <= 200 * KiB);
	close(dst);
	close(src);
}

static void test_zero_blocks_become_holes(void **state)
{
	uint8_t *zeros = calloc(1, 4 * MiB);
	int src = tu_open_new(tu_group_dir(), "zeros"), dst;

	assert_non_null(zeros);
	/* Zeros written as data, with a few data blocks among them. */
	assert_int_equal(pwrite_full(src, zeros, 4 * MiB, 0), 0);
	write_random(src, 4 * KiB, MiB + 8 * KiB, 5);
	write_random(src, 1, 3 * MiB + 5000, 6);	/* one byte inside a block */
	assert_true(allocated(src) >= 4 * MiB);
	dst = copy_and_check(src, "zeros.copy");
	assert_true(allocated(dst) <= 64 * KiB);
	close(dst);
	close(src);
	free(zeros);
}

static void test_empty_and_tiny(void **state)
{
	int src = tu_open_new(tu_group_dir(), "empty"), dst;

	dst = copy_and_check(src, "empty.copy");
	close(dst);
	write_random(src, 1, 0, 7);
	dst = copy_and_check(src, "tiny.copy");
	close(dst);
	close(src);
}

static void test_dense_random_layout(void **state)
{
	int src = tu_open_new(tu_group_dir(), "layout"), dst, i;
	uint32_t seed = 12345;

	/* Runs of data and holes of many sizes, unaligned. */
	for (i = 0; i < 60; i++) {
		uint64_t off, len;

		seed = seed * 1103515245u + 12345u;
		off = (seed >> 4) % (48 * MiB);
		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 8) % (3 * MiB);
		write_random(src, (size_t)len, off, seed);
	}
	dst = copy_and_check(src, "layout.copy");
	close(dst);
	close(src);
}

struct progress_seen {
	uint64_t last_done, last_total;
	int calls;
};

static void progress_cb(const char *what, uint64_t done, uint64_t total, void *arg)
{
	struct progress_seen *s = arg;

	assert_true(done <= total);
	if (strcmp(what, "copy") == 0) {
		s->calls++;
		s->last_done = done;
		s->last_total = total;
	}
}

static void test_progress(void **state)
{
	struct progress_seen seen = { 0 };
	struct progress p = { progress_cb, &seen };
	int src = tu_open_new(tu_group_dir(), "progress");
	int dst = tu_open_new(tu_group_dir(), "progress.copy");

	write_random(src, 70 * MiB, 0, 8);
	assert_int_equal(copy_image(src, dst, NULL, &p), 0);
	assert_true(seen.calls >= 2);
	assert_true(seen.last_done == 70 * MiB && seen.last_total == 70 * MiB);
	close(dst);
	close(src);
}

static void test_copy_file_path(void **state)
{
	char *src = tu_path(tu_group_dir(), "kernel");
	char *dst = tu_path(tu_group_dir(), "kernel.copy");
	char *missing = tu_path(tu_group_dir(), "no-such-file");
	char *other = tu_path(tu_group_dir(), "x");
	struct stat st;
	int fd = tu_open_new(tu_group_dir(), "kernel"), a, b;

	write_random(fd, 3 * MiB + 11, 0, 9);
	close(fd);
	assert_int_equal(copy_file_path(src, dst, NULL), 0);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644 & ~umask(0));
	a = open(src, O_RDONLY);
	b = open(dst, O_RDONLY);
	assert_same_content(a, b);
	close(a);
	close(b);
	/* An existing destination is not overwritten. */
	assert_int_equal(copy_file_path(src, dst, NULL), -EEXIST);
	assert_int_equal(copy_file_path(missing, other, NULL), -ENOENT);
	assert_int_equal(access(other, F_OK), -1);
	free(other);
	free(src);
	free(dst);
	free(missing);
}

static void test_bad_source(void **state)
{
	int dir = open(tu_group_dir(), O_RDONLY | O_DIRECTORY);
	int dst = tu_open_new(tu_group_dir(), "bad.copy");

	assert_int_equal(copy_image(dir, dst, NULL, NULL), -EINVAL);
	assert_int_equal(copy_image(-1, dst, NULL, NULL), -EBADF);
	close(dir);
	close(dst);
}

static void test_disk_full(void **state)
{
	char *mnt = tu_path(tu_group_dir(), "small");
	char *dstpath = xasprintf("%s/full.img", mnt);
	struct digest *d;
	int src, dst, rc;

	if (geteuid() != 0)
		tu_skip("mounting the small tmpfs needs root");
	assert_int_equal(mkdir(mnt, 0700), 0);
	/* A private mount namespace, so the tmpfs never shows outside. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	if (mount("lanroot-test", mnt, "tmpfs", 0, SMALL_TMPFS) < 0) {
		rmdir(mnt);
		tu_skip("no CAP_SYS_ADMIN to mount a tmpfs");
	}
	src = tu_open_new(tu_group_dir(), "big");
	write_random(src, 16 * MiB, 0, 10);
	dst = open(dstpath, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(dst >= 0);
	d = digest_new(16 * MiB);
	rc = copy_image(src, dst, d, NULL);
	digest_free(d);
	close(dst);
	close(src);
	umount(mnt);
	rmdir(mnt);
	free(mnt);
	free(dstpath);
	assert_int_equal(rc, -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_stays_sparse),
		cmocka_unit_test(test_ends_in_hole),
		cmocka_unit_test(test_zero_blocks_become_holes),
		cmocka_unit_test(test_empty_and_tiny),
		cmocka_unit_test(test_dense_random_layout),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_copy_file_path),
		cmocka_unit_test(test_bad_source),
		cmocka_unit_test(test_disk_full),
	};

	return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
