/* Unit tests for the copy-on-write overlay engine (images/overlay.c).
 *
 * Every test keeps a model of what the virtual disk must hold (a plain
 * buffer) next to the overlay, applies each operation to both and compares
 * the whole disk, so a wrong byte anywhere fails the test.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "log.h"
#include "testutil.h"
#include "util.h"
#include "overlay.h"
#include "progress.h"

#define CS OVERLAY_CLUSTER_DEFAULT
#define BASE_ID "lab@1:0123abcd"
#define OTHER_ID "lab@2:4567cdef"
/* Ten whole clusters and a part of one: the size is not a multiple. */
#define BASE_SIZE (10u * CS + 1000u)

/* Per-test state: a scratch directory with a base file and a model. */
struct fixture {
	char *tmp;		/* scratch directory */
	char *base;		/* base image path */
	char *dir;		/* overlay directory */
	uint64_t size;		/* base size */
	uint8_t *model;		/* what the virtual disk must read as */
	char *log_buf;		/* captured log lines */
	size_t log_len;
	FILE *log;		/* stream behind log_buf */
};

/** pattern_byte() - base content: differs at every offset of a cluster
 * and between clusters, so misplaced data shows. */
static uint8_t pattern_byte(uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ull;

	return (uint8_t)((x >> 56) ^ (off >> 12) ^ 0x5a);
}

/** make_base() - write a patterned base of @size bytes at @path. */
static void make_base(const char *path, uint64_t size, uint8_t *model)
{
	uint8_t *buf = xmalloc(size ? size : 1);
	int fd;

	for (uint64_t i = 0; i < size; i++)
		buf[i] = pattern_byte(i);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, buf, size), 0);
	close(fd);
	if (model)
		memcpy(model, buf, size);
	free(buf);
}

static int setup_size(void **state, uint64_t size)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->tmp = tu_scratch_make();
	f->base = xasprintf("%s/base.img", f->tmp);
	f->dir = xasprintf("%s/overlay", f->tmp);
	f->size = size;
	f->model = xmalloc(size ? size : 1);
	make_base(f->base, size, f->model);
	f->log = open_memstream(&f->log_buf, &f->log_len);
	assert_non_null(f->log);
	log_set_stream(f->log);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_size(state, BASE_SIZE);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	log_set_stream(NULL);
	fclose(f->log);
	free(f->log_buf);
	tu_scratch_remove(f->tmp);
	free(f->base);
	free(f->dir);
	free(f->model);
	free(f);
	return 0;
}

/** logged() - true if the captured log contains @text. */
static bool logged(struct fixture *f, const char *text)
{
	fflush(f->log);
	return f->log_buf && strstr(f->log_buf, text);
}

static struct overlay *ov_open(struct fixture *f, unsigned flags)
{
	struct overlay *ov = NULL;

	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, CS, flags, &ov), 0);
	assert_non_null(ov);
	return ov;
}

/** check_all() - the whole overlay reads as the model. */
static void check_all(struct fixture *f, struct overlay *ov)
{
	uint8_t *buf = xmalloc(f->size + 1);

	assert_int_equal(overlay_size(ov), f->size);
	assert_int_equal(overlay_read(ov, buf, f->size, 0), 0);
	assert_memory_equal(buf, f->model, f->size);
	/* Small unaligned reads go through the same paths. */
	for (uint64_t off = 0; off + 333 <= f->size; off += 4001) {
		assert_int_equal(overlay_read(ov, buf, 333, off), 0);
		assert_memory_equal(buf, f->model + off, 333);
	}
	free(buf);
}

/** do_write() - write @len bytes of a fill derived from @seed at @off to
 * the overlay and the model. */
static void do_write(struct fixture *f, struct overlay *ov, uint64_t off, size_t len,
		     unsigned seed, unsigned flags)
{
	uint8_t *buf = xmalloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
	assert_int_equal(overlay_write(ov, buf, len, off, flags), 0);
	memcpy(f->model + off, buf, len);
	free(buf);
}

static uint64_t file_size(struct fixture *f, const char *name)
{
	char *path = xasprintf("%s/%s", f->dir, name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
	return (uint64_t)st.st_size;
}

/* A new overlay reads as its base; it exists only once created. */
static void test_create_read_through(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = NULL;
	struct overlay_stats s;
	struct overlay_extent ext[4];

	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, 0, &ov), -ENOENT);
	assert_null(ov);
	ov = ov_open(f, OVERLAY_CREATE);
	assert_int_equal(overlay_cluster_size(ov), CS);
	check_all(f, ov);
	overlay_stats(ov, &s);
	assert_int_equal(s.clusters, 11);
	assert_int_equal(s.data, 0);
	assert_int_equal(s.zero, 0);
	assert_int_equal(s.data_bytes, 0);
	assert_int_equal(overlay_map(ov, 0, f->size, ext, 4), 1);
	assert_int_equal(ext[0].off, 0);
	assert_int_equal(ext[0].len, f->size);
	assert_int_equal(ext[0].state, OVERLAY_BASE);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(file_size(f, "map"), 4096 + 11 * 8);

	/* It exists now: opening without OVERLAY_CREATE works. */
	ov = ov_open(f, 0);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
}

/* Arguments that are wrong are refused, and nothing is created. */
static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = NULL;
	char long_id[OVERLAY_BASE_ID_MAX + 2];
	char *missing = xasprintf("%s/no-such-base", f->tmp);
	struct stat st;

	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 3000, OVERLAY_CREATE, &ov),
			 -EINVAL);
	assert_true(logged(f, "invalid cluster size 3000"));
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 2048, OVERLAY_CREATE, &ov),
			 -EINVAL);
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 2u << 20, OVERLAY_CREATE,
				      &ov), -EINVAL);
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(overlay_open(f->dir, f->base, long_id, 0, OVERLAY_CREATE, &ov),
			 -EINVAL);
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0,
				      OVERLAY_CREATE | OVERLAY_READONLY, &ov), -EINVAL);
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, 0x80, &ov), -EINVAL);
	assert_int_equal(overlay_open(NULL, f->base, BASE_ID, 0, OVERLAY_CREATE, &ov),
			 -EINVAL);
	assert_int_equal(overlay_open(f->dir, f->base, NULL, 0, OVERLAY_CREATE, &ov),
			 -EINVAL);
	assert_int_equal(overlay_open(f->dir, missing, BASE_ID, 0, OVERLAY_CREATE, &ov),
			 -ENOENT);
	assert_int_equal(overlay_open(f->dir, f->tmp, BASE_ID, 0, OVERLAY_CREATE, &ov),
			 -EINVAL);
	assert_null(ov);
	assert_int_equal(stat(f->dir, &st), -1);

	/* The longest identity fits. */
	long_id[OVERLAY_BASE_ID_MAX] = '\0';
	assert_int_equal(overlay_open(f->dir, f->base, long_id, 0, OVERLAY_CREATE, &ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = NULL;
	assert_int_equal(overlay_open(f->dir, f->base, long_id, 0, 0, &ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(overlay_close(NULL), 0);
	free(missing);
}

/* Partial, cross-cluster and last-cluster writes; out-of-range access. */
static void test_writes(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct overlay_stats s;
	uint8_t byte = 0;

	do_write(f, ov, 100, 50, 1, 0);			/* inside cluster 0 */
	check_all(f, ov);
	do_write(f, ov, CS - 96, 2 * CS + 200, 2, 0);	/* spans clusters 0-3 */
	check_all(f, ov);
	do_write(f, ov, 5 * CS, CS, 3, 0);		/* one whole cluster */
	do_write(f, ov, 6 * CS, 3 * CS, 4, 0);		/* three whole clusters */
	do_write(f, ov, 5 * CS + 512, 512, 5, 0);	/* in place, mapped */
	do_write(f, ov, 4 * CS + 7, 6 * CS - 7, 6, 0);	/* over mapped and new */
	check_all(f, ov);
	do_write(f, ov, f->size - 10, 10, 7, 0);	/* end of the last cluster */
	check_all(f, ov);
	do_write(f, ov, 10 * CS, 1000, 8, 0);		/* all of the last cluster */
	do_write(f, ov, 0, 0, 9, 0);			/* empty */
	check_all(f, ov);
	overlay_stats(ov, &s);
	assert_int_equal(s.data, 11);
	/* Every data cluster is written whole, the last one too. */
	assert_int_equal(s.data_bytes, 11 * CS);

	assert_int_equal(overlay_write(ov, &byte, 1, f->size, 0), -EINVAL);
	assert_int_equal(overlay_write(ov, &byte, 2, f->size - 1, 0), -EINVAL);
	assert_int_equal(overlay_write(ov, &byte, 0, f->size + 1, 0), -EINVAL);
	assert_int_equal(overlay_write(ov, &byte, SIZE_MAX, 10, 0), -EINVAL);
	assert_int_equal(overlay_write(ov, &byte, 1, UINT64_MAX, 0), -EINVAL);
	assert_int_equal(overlay_write(ov, &byte, 1, 0, 0x100), -EINVAL);
	assert_int_equal(overlay_write(ov, NULL, 1, 0, 0), -EINVAL);
	assert_int_equal(overlay_read(ov, &byte, 1, f->size), -EINVAL);
	assert_int_equal(overlay_read(ov, &byte, SIZE_MAX, 1), -EINVAL);
	assert_int_equal(overlay_read(ov, &byte, 0, f->size), 0);
	assert_int_equal(overlay_trim(ov, f->size, 1), -EINVAL);
	assert_int_equal(overlay_zero(ov, 1, f->size, 0), -EINVAL);
	assert_int_equal(overlay_zero(ov, 0, 1, 0x100), -EINVAL);
	check_all(f, ov);

	/* Flushed writes are there after a reopen. */
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_flush(ov), 0);	/* nothing to do */
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);
	check_all(f, ov);
	overlay_stats(ov, &s);
	assert_int_equal(s.data, 11);
	assert_int_equal(overlay_close(ov), 0);
}

/* FUA makes a single write durable without a flush. */
static void test_fua(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);

	do_write(f, ov, 3 * CS + 5, 100, 1, OVERLAY_FUA);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);
	check_all(f, ov);
	assert_int_equal(overlay_zero(ov, 3 * CS, CS, OVERLAY_FUA), 0);
	memset(f->model + 3 * CS, 0, CS);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, OVERLAY_READONLY);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
}

/* Closing does not make writes durable: after a reopen an unflushed
 * cluster reads as the base (its map entry never reached the disk). */
static void test_close_without_flush(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	uint8_t *saved = xmalloc(f->size);

	memcpy(saved, f->model, f->size);
	do_write(f, ov, 2 * CS, CS, 1, 0);
	do_write(f, ov, 7 * CS + 1, 10, 2, 0);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(file_size(f, "data"), 2 * CS);

	/* Reopening read-write drops the unmapped clusters at the data end. */
	memcpy(f->model, saved, f->size);
	ov = ov_open(f, 0);
	check_all(f, ov);
	assert_int_equal(file_size(f, "data"), 0);
	assert_int_equal(overlay_close(ov), 0);
	free(saved);
}

/* A read-only handle refuses every change. */
static void test_readonly(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	uint8_t byte = 1;

	do_write(f, ov, 0, 10, 1, 0);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);

	ov = ov_open(f, OVERLAY_READONLY);
	assert_int_equal(overlay_write(ov, &byte, 1, 0, 0), -EROFS);
	assert_int_equal(overlay_trim(ov, 0, CS), -EROFS);
	assert_int_equal(overlay_zero(ov, 0, CS, 0), -EROFS);
	assert_int_equal(overlay_flush(ov), 0);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
}

/* One writer at a time; readers are not locked out. */
static void test_busy(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct overlay *ov2 = NULL;

	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, 0, &ov2), -EBUSY);
	assert_true(logged(f, "in use by another writer"));
	ov2 = ov_open(f, OVERLAY_READONLY);
	assert_int_equal(overlay_close(ov2), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);
	assert_int_equal(overlay_close(ov), 0);
}

/* An overlay made over another base is refused. */
static void test_stale(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);

	assert_int_equal(overlay_close(ov), 0);
	ov = NULL;
	assert_int_equal(overlay_open(f->dir, f->base, OTHER_ID, 0, 0, &ov), -ESTALE);
	assert_int_equal(overlay_open(f->dir, f->base, OTHER_ID, 0, OVERLAY_CREATE, &ov),
			 -ESTALE);
	assert_int_equal(overlay_open(f->dir, f->base, "", 0, OVERLAY_READONLY, &ov),
			 -ESTALE);
	assert_true(logged(f, "made over base 'lab@1:0123abcd', not 'lab@2:4567cdef'"));
	assert_null(ov);

	/* Same identity, but the base file changed size. */
	assert_int_equal(truncate(f->base, f->size + CS), 0);
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, 0, &ov), -ESTALE);
	assert_null(ov);
}

/** map_patch() - overwrite @len bytes of the map file at @off. */
static void map_patch(struct fixture *f, uint64_t off, const void *data, size_t len)
{
	char *path = xasprintf("%s/map", f->dir);
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite_full(fd, data, len, off), 0);
	close(fd);
	free(path);
}

static void expect_badmsg(struct fixture *f, const char *message)
{
	struct overlay *ov = NULL;

	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, 0, &ov), -EBADMSG);
	assert_null(ov);
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, OVERLAY_READONLY, &ov),
			 -EBADMSG);
	assert_true(logged(f, message));
}

/** make_flushed() - a fresh overlay with clusters 1 and 2 written. */
static void make_flushed(struct fixture *f)
{
	struct overlay *ov;

	overlay_reset(f->dir);
	ov = ov_open(f, OVERLAY_CREATE);
	do_write(f, ov, CS, 2 * CS, 1, 0);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
}

/* Damaged maps are refused with -EBADMSG and a message saying what. */
static void test_damaged(void **state)
{
	struct fixture *f = *state;
	char *map = xasprintf("%s/map", f->dir);
	char *data = xasprintf("%s/data", f->dir);
	uint64_t entry;
	uint8_t byte;

	make_flushed(f);
	assert_int_equal(truncate(map, 4096 + 10 * 8), 0);
	expect_badmsg(f, "truncated");

	make_flushed(f);
	assert_int_equal(truncate(map, 100), 0);
	expect_badmsg(f, "too short for its header");

	make_flushed(f);
	assert_int_equal(truncate(map, 4096 + 11 * 8 + 1), 0);
	expect_badmsg(f, "trailing garbage");

	make_flushed(f);
	map_patch(f, 0, "XXXX", 4);
	expect_badmsg(f, "bad magic");

	make_flushed(f);
	byte = 0x42;
	map_patch(f, 50, &byte, 1);	/* inside the base identity */
	expect_badmsg(f, "checksum mismatch");

	make_flushed(f);
	entry = htole64(2 + 2);		/* data cluster 2; the data file has 2 */
	map_patch(f, 4096 + 5 * 8, &entry, 8);
	expect_badmsg(f, "map entry 5 points past the end of data");

	make_flushed(f);
	entry = htole64(2 + 0);		/* data cluster 0, as entry 1 has */
	map_patch(f, 4096 + 6 * 8, &entry, 8);
	expect_badmsg(f, "which another entry uses too");

	make_flushed(f);
	assert_int_equal(truncate(data, CS), 0);	/* lost the second cluster */
	expect_badmsg(f, "map entry 2 points past the end of data");

	free(map);
	free(data);
}

/* A lost data file is harmless while no entry needs it, and refused
 * when one does. */
static void test_missing_data(void **state)
{
	struct fixture *f = *state;
	char *data = xasprintf("%s/data", f->dir);
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);

	assert_int_equal(overlay_zero(ov, 0, CS, OVERLAY_FUA), 0);
	memset(f->model, 0, CS);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(unlink(data), 0);
	ov = ov_open(f, OVERLAY_READONLY);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);	/* makes a new, empty data file */
	check_all(f, ov);
	do_write(f, ov, 2 * CS, 10, 1, OVERLAY_FUA);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(file_size(f, "data"), CS);

	assert_int_equal(unlink(data), 0);
	expect_badmsg(f, "map entry 2 points past the end of data");
	free(data);
}

/* Trim and zero of whole and partial clusters; OVERLAY_NO_HOLE. */
static void test_trim_zero(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct overlay_stats s;

	do_write(f, ov, 0, f->size, 1, 0);	/* every cluster is data */
	assert_int_equal(overlay_flush(ov), 0);

	/* Trim: whole clusters 1 and 2 read as zeros, the partial ends stay. */
	assert_int_equal(overlay_trim(ov, CS - 10, 2 * CS + 20), 0);
	memset(f->model + CS, 0, 2 * CS);
	check_all(f, ov);
	overlay_stats(ov, &s);
	assert_int_equal(s.data, 9);
	assert_int_equal(s.zero, 2);

	/* Zero: partial ends are written with zeros too. */
	assert_int_equal(overlay_zero(ov, 4 * CS + 100, CS + 200, 0), 0);
	memset(f->model + 4 * CS + 100, 0, CS + 200);
	check_all(f, ov);
	assert_int_equal(overlay_zero(ov, 6 * CS, CS, 0), 0);
	memset(f->model + 6 * CS, 0, CS);
	overlay_stats(ov, &s);
	assert_int_equal(s.data, 8);
	assert_int_equal(s.zero, 3);

	/* The short last cluster counts as whole when the range reaches the end. */
	assert_int_equal(overlay_trim(ov, 10 * CS, 1000), 0);
	memset(f->model + 10 * CS, 0, 1000);
	overlay_stats(ov, &s);
	assert_int_equal(s.zero, 4);
	check_all(f, ov);

	/* Partial zero of a cluster that already reads as zeros. */
	assert_int_equal(overlay_zero(ov, CS + 5, 10, 0), 0);
	overlay_stats(ov, &s);
	assert_int_equal(s.zero, 4);

	/* NO_HOLE: allocated zeros, not a hole. */
	assert_int_equal(overlay_zero(ov, CS, 2 * CS, OVERLAY_NO_HOLE), 0);
	assert_int_equal(overlay_zero(ov, 8 * CS, CS, OVERLAY_NO_HOLE), 0);
	memset(f->model + 8 * CS, 0, CS);
	overlay_stats(ov, &s);
	assert_int_equal(s.zero, 2);
	assert_int_equal(s.data, 9);
	check_all(f, ov);

	/* Zero over the base (nothing mapped), partial and whole. */
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	overlay_reset(f->dir);
	make_base(f->base, f->size, f->model);
	ov = ov_open(f, OVERLAY_CREATE);
	assert_int_equal(overlay_zero(ov, 100, 3 * CS, 0), 0);
	memset(f->model + 100, 0, 3 * CS);
	assert_int_equal(overlay_trim(ov, 5 * CS, CS), 0);
	memset(f->model + 5 * CS, 0, CS);
	check_all(f, ov);
	overlay_stats(ov, &s);
	assert_int_equal(s.zero, 3);
	assert_int_equal(s.data, 2);
	assert_int_equal(overlay_zero(ov, 0, 0, 0), 0);

	/* Zeros survive a flush and reopen. */
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
}

/* A freed cluster is not reused before the map that frees it is on
 * disk, and is reused after. */
static void test_free_reuse(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct overlay_stats s;

	do_write(f, ov, 0, 4 * CS, 1, 0);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(file_size(f, "data"), 4 * CS);

	assert_int_equal(overlay_trim(ov, 0, 4 * CS), 0);
	memset(f->model, 0, 4 * CS);
	do_write(f, ov, 5 * CS, 4 * CS, 2, 0);
	assert_int_equal(file_size(f, "data"), 8 * CS);	/* appended, not reused */
	check_all(f, ov);
	assert_int_equal(overlay_flush(ov), 0);

	do_write(f, ov, 0, 2 * CS, 3, 0);
	do_write(f, ov, 3 * CS + 1, 10, 4, 0);
	do_write(f, ov, 9 * CS, CS, 5, 0);
	assert_int_equal(file_size(f, "data"), 8 * CS);	/* reused */
	check_all(f, ov);
	overlay_stats(ov, &s);
	assert_int_equal(s.data, 8);
	assert_int_equal(s.data_bytes, 8 * CS);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);

	/* At open, free clusters are found again from the map. */
	ov = ov_open(f, 0);
	check_all(f, ov);
	assert_int_equal(overlay_trim(ov, 5 * CS, CS), 0);
	memset(f->model + 5 * CS, 0, CS);
	assert_int_equal(overlay_flush(ov), 0);
	do_write(f, ov, 10 * CS, 1000, 6, 0);
	assert_int_equal(file_size(f, "data"), 8 * CS);
	check_all(f, ov);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
}

/* overlay_map() describes runs of like clusters, clipped to the range. */
static void test_map(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct overlay_extent ext[8];
	int n;

	do_write(f, ov, 2 * CS, 2 * CS, 1, 0);		/* 2-3 data */
	assert_int_equal(overlay_zero(ov, 4 * CS, CS, 0), 0);	/* 4 zero */
	do_write(f, ov, 5 * CS, 1, 2, 0);			/* 5 data */
	do_write(f, ov, 10 * CS, 1, 3, 0);			/* 10 data */

	/* Which ranges still read from the base (blockd's sendfile path). */
	assert_int_equal(overlay_base_range(ov, 0, 2 * CS), 1);
	assert_int_equal(overlay_base_range(ov, CS + 1, CS - 1), 1);
	assert_int_equal(overlay_base_range(ov, CS, CS + 1), 0);	/* reaches data */
	assert_int_equal(overlay_base_range(ov, 4 * CS, 1), 0);	/* zeroed */
	assert_int_equal(overlay_base_range(ov, 6 * CS, 4 * CS), 1);
	assert_int_equal(overlay_base_range(ov, 6 * CS, 4 * CS + 1), 0);
	assert_int_equal(overlay_base_range(ov, f->size, 1), -EINVAL);

	n = overlay_map(ov, 0, f->size, ext, 8);
	assert_int_equal(n, 6);
	assert_int_equal(ext[0].off, 0);
	assert_int_equal(ext[0].len, 2 * CS);
	assert_int_equal(ext[0].state, OVERLAY_BASE);
	assert_int_equal(ext[1].off, 2 * CS);
	assert_int_equal(ext[1].len, 2 * CS);
	assert_int_equal(ext[1].state, OVERLAY_DATA);
	assert_int_equal(ext[2].off, 4 * CS);
	assert_int_equal(ext[2].len, CS);
	assert_int_equal(ext[2].state, OVERLAY_ZERO);
	assert_int_equal(ext[3].off, 5 * CS);
	assert_int_equal(ext[3].len, CS);
	assert_int_equal(ext[3].state, OVERLAY_DATA);
	assert_int_equal(ext[4].off, 6 * CS);
	assert_int_equal(ext[4].len, 4 * CS);
	assert_int_equal(ext[4].state, OVERLAY_BASE);
	assert_int_equal(ext[5].off, 10 * CS);
	assert_int_equal(ext[5].len, 1000);
	assert_int_equal(ext[5].state, OVERLAY_DATA);

	/* Too few slots: the first ones, in order. */
	n = overlay_map(ov, 0, f->size, ext, 2);
	assert_int_equal(n, 2);
	assert_int_equal(ext[1].off, 2 * CS);
	assert_int_equal(overlay_map(ov, 0, f->size, ext, 0), 0);

	/* Unaligned range: the ends are clipped. */
	n = overlay_map(ov, 3 * CS + 10, CS + 20, ext, 8);
	assert_int_equal(n, 2);
	assert_int_equal(ext[0].off, 3 * CS + 10);
	assert_int_equal(ext[0].len, CS - 10);
	assert_int_equal(ext[0].state, OVERLAY_DATA);
	assert_int_equal(ext[1].off, 4 * CS);
	assert_int_equal(ext[1].len, 30);
	assert_int_equal(ext[1].state, OVERLAY_ZERO);

	/* The short last cluster. */
	n = overlay_map(ov, 9 * CS, f->size - 9 * CS, ext, 8);
	assert_int_equal(n, 2);
	assert_int_equal(ext[1].off, 10 * CS);
	assert_int_equal(ext[1].len, 1000);
	assert_int_equal(ext[1].state, OVERLAY_DATA);

	assert_int_equal(overlay_map(ov, 0, 0, ext, 8), 0);
	assert_int_equal(overlay_map(ov, 0, f->size + 1, ext, 8), -EINVAL);
	assert_int_equal(overlay_map(ov, 0, 1, NULL, 8), -EINVAL);
	assert_int_equal(overlay_close(ov), 0);
}

/* Progress callback: remembers the last figures. */
struct progress_seen {
	uint64_t calls;
	uint64_t done;
	uint64_t total;
};

static void progress_record(const char *what, uint64_t done, uint64_t total, void *arg)
{
	struct progress_seen *seen = arg;

	assert_string_equal(what, "capture");
	assert_true(done <= total);
	assert_true(done >= seen->done);
	seen->calls++;
	seen->done = done;
	seen->total = total;
}

/* Capture writes the merged image over a copy of the base. */
static void test_capture(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct progress_seen seen = { 0 };
	struct progress p = { progress_record, &seen };
	char *dst = xasprintf("%s/captured.img", f->tmp);
	uint8_t *buf = xmalloc(f->size);
	int fd;

	do_write(f, ov, 100, 3 * CS, 1, 0);
	assert_int_equal(overlay_zero(ov, 5 * CS, 2 * CS, 0), 0);
	memset(f->model + 5 * CS, 0, 2 * CS);
	assert_int_equal(overlay_zero(ov, 7 * CS + 9, 10, 0), 0);
	memset(f->model + 7 * CS + 9, 0, 10);
	do_write(f, ov, f->size - 5, 5, 2, 0);
	check_all(f, ov);

	/* The target must hold the base: a short one is refused. */
	fd = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(overlay_capture(ov, fd, NULL), -EINVAL);
	close(fd);

	make_base(dst, f->size, NULL);
	fd = open(dst, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(overlay_capture(ov, fd, &p), 0);
	assert_true(seen.calls >= 2);
	assert_int_equal(seen.done, f->size);
	assert_int_equal(seen.total, f->size);
	assert_int_equal(pread_full(fd, buf, f->size, 0), 0);
	assert_memory_equal(buf, f->model, f->size);
	close(fd);

	/* A read-only handle captures the same. */
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, OVERLAY_READONLY);
	make_base(dst, f->size, NULL);
	fd = open(dst, O_RDWR);
	assert_int_equal(overlay_capture(ov, fd, NULL), 0);
	assert_int_equal(pread_full(fd, buf, f->size, 0), 0);
	assert_memory_equal(buf, f->model, f->size);
	close(fd);
	assert_int_equal(overlay_capture(ov, -1, NULL), -EINVAL);
	assert_int_equal(overlay_close(ov), 0);
	free(buf);
	free(dst);
}

/* Reset throws the overlay away; the directory stays. */
static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	uint8_t *base = xmalloc(f->size);
	struct stat st;

	memcpy(base, f->model, f->size);
	do_write(f, ov, 0, 2 * CS, 1, 0);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);

	assert_int_equal(overlay_reset(f->dir), 0);
	assert_int_equal(stat(f->dir, &st), 0);
	ov = NULL;
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, 0, &ov), -ENOENT);
	assert_int_equal(overlay_reset(f->dir), 0);	/* nothing there: fine */
	assert_int_equal(overlay_reset("/nonexistent/lanroot-overlay"), 0);
	assert_int_equal(overlay_reset(NULL), -EINVAL);

	/* A writer has it open: not removed under it. */
	ov = NULL;
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 0, OVERLAY_CREATE, &ov), 0);
	assert_int_equal(overlay_reset(f->dir), -EBUSY);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(overlay_reset(f->dir), 0);

	/* A new one over another base is fine now, and reads as its base. */
	ov = NULL;
	assert_int_equal(overlay_open(f->dir, f->base, OTHER_ID, 0, OVERLAY_CREATE, &ov), 0);
	memcpy(f->model, base, f->size);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
	free(base);
}

/* A bigger cluster size is kept by an existing overlay. */
static void test_cluster_size(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = NULL;
	struct overlay_stats s;
	const uint32_t big = 64u * 1024u;

	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, big, OVERLAY_CREATE, &ov), 0);
	assert_int_equal(overlay_cluster_size(ov), big);
	overlay_stats(ov, &s);
	assert_int_equal(s.clusters, 1);
	do_write(f, ov, 5000, 3000, 1, 0);
	do_write(f, ov, f->size - 1, 1, 2, 0);
	assert_int_equal(overlay_zero(ov, 100, 200, 0), 0);
	memset(f->model + 100, 0, 200);
	check_all(f, ov);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	assert_int_equal(file_size(f, "data"), big);

	/* Another size asked for an existing overlay: the old one stays. */
	ov = NULL;
	assert_int_equal(overlay_open(f->dir, f->base, BASE_ID, 8192, OVERLAY_CREATE, &ov), 0);
	assert_int_equal(overlay_cluster_size(ov), big);
	check_all(f, ov);
	assert_int_equal(overlay_trim(ov, 0, f->size), 0);
	memset(f->model, 0, f->size);
	check_all(f, ov);
	assert_int_equal(overlay_close(ov), 0);
}

/* An empty base gives an empty overlay. */
static void test_empty_base(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	struct overlay_extent ext;
	struct overlay_stats s;
	uint8_t byte = 0;

	assert_int_equal(overlay_size(ov), 0);
	assert_int_equal(overlay_read(ov, &byte, 0, 0), 0);
	assert_int_equal(overlay_write(ov, &byte, 1, 0, 0), -EINVAL);
	assert_int_equal(overlay_map(ov, 0, 0, &ext, 1), 0);
	overlay_stats(ov, &s);
	assert_int_equal(s.clusters, 0);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);
	assert_int_equal(overlay_close(ov), 0);
}

static int setup_empty(void **state)
{
	return setup_size(state, 0);
}

/* Threads: each writes and reads back its own region while the others
 * do the same and flush. */
#define THREADS 4
#define THREAD_ROUNDS 200

struct thread_arg {
	struct overlay *ov;
	uint64_t region;	/* first byte of this thread's region */
	uint64_t len;		/* region length */
	unsigned seed;
	int failures;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	uint8_t buf[3000], back[3000];

	for (unsigned r = 0; r < THREAD_ROUNDS; r++) {
		uint64_t off = a->region + (rand_r(&a->seed) % (a->len - sizeof(buf)));
		size_t len = 1 + rand_r(&a->seed) % sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand_r(&a->seed);
		if (overlay_write(a->ov, buf, len, off, 0) < 0 ||
		    overlay_read(a->ov, back, len, off) < 0 ||
		    memcmp(buf, back, len) != 0)
			a->failures++;
		if (r % 16 == 0 && overlay_flush(a->ov) < 0)
			a->failures++;
		if (r % 50 == 7 && overlay_trim(a->ov, a->region, a->len) < 0)
			a->failures++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	struct overlay *ov = ov_open(f, OVERLAY_CREATE);
	pthread_t t[THREADS];
	struct thread_arg a[THREADS];
	uint64_t region = f->size / THREADS / CS * CS;

	for (int i = 0; i < THREADS; i++) {
		a[i] = (struct thread_arg){ ov, i * region, region, 1234u + (unsigned)i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, &a[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failures, 0);
	}
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);
	ov = ov_open(f, 0);	/* the map must still be consistent */
	assert_int_equal(overlay_close(ov), 0);
}

static int setup_big(void **state)
{
	return setup_size(state, 256u * CS + 512u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_read_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fua, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_without_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trim_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_base, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup_big, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
