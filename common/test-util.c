/* Unit tests for common/util.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

static void test_str_copy(void **state)
{
	char buf[6];

	assert_int_equal(str_copy(buf, sizeof(buf), "abc"), 0);
	assert_string_equal(buf, "abc");
	assert_int_equal(str_copy(buf, sizeof(buf), "abcde"), 0);	/* exact fit */
	assert_string_equal(buf, "abcde");
	assert_int_equal(str_copy(buf, sizeof(buf), "abcdef"), -ENAMETOOLONG);
	assert_string_equal(buf, "abcde");
	assert_int_equal(str_copy(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
	assert_int_equal(str_copy(buf, 0, "x"), -ENAMETOOLONG);
	assert_int_equal(str_copy(buf, 1, "x"), -ENAMETOOLONG);
	assert_string_equal(buf, "");
}

static void test_prefix_and_asprintf(void **state)
{
	char *s;

	assert_true(str_has_prefix("image.import", "image."));
	assert_true(str_has_prefix("abc", ""));
	assert_true(str_has_prefix("abc", "abc"));
	assert_false(str_has_prefix("ab", "abc"));
	assert_false(str_has_prefix("xabc", "abc"));

	s = xasprintf("%s-%d", "v", 42);
	assert_string_equal(s, "v-42");
	free(s);
	s = xstrdup("");
	assert_string_equal(s, "");
	free(s);
	s = xmalloc(0);		/* never NULL */
	assert_non_null(s);
	s = xrealloc(s, 100);
	memset(s, 1, 100);
	free(s);
	s = xcalloc(3, 4);
	assert_int_equal(s[11], 0);
	free(s);
}

static void test_read_write_full(void **state)
{
	char buf[16];
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write_full(p[1], "hello", 5), 0);
	assert_int_equal(write_full(p[1], "", 0), 0);
	assert_int_equal(read_full(p[0], buf, 3), 0);
	assert_memory_equal(buf, "hel", 3);
	close(p[1]);
	/* Two bytes left, three wanted: end of file first. */
	assert_int_equal(read_full(p[0], buf, 3), -EIO);
	close(p[0]);
	assert_int_equal(read_full(-1, buf, 1), -EBADF);
	assert_int_equal(write_full(-1, buf, 1), -EBADF);
}

static void test_pread_pwrite_full(void **state)
{
	struct tu_scratch *f = *state;
	char *path = tu_path(f->dir, "p");
	char buf[8];
	int fd;

	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite_full(fd, "abcd", 4, 4096), 0);
	assert_int_equal(pread_full(fd, buf, 4, 4096), 0);
	assert_memory_equal(buf, "abcd", 4);
	/* The hole reads as zeros. */
	assert_int_equal(pread_full(fd, buf, 4, 0), 0);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	/* Past the end. */
	assert_int_equal(pread_full(fd, buf, 4, 4098), -EIO);
	/* Offsets that off_t cannot hold. */
	assert_int_equal(pread_full(fd, buf, 1, UINT64_MAX), -EINVAL);
	assert_int_equal(pwrite_full(fd, buf, 2, (uint64_t)INT64_MAX), -EINVAL);
	close(fd);
	free(path);
}

static void test_pread_cached(void **state)
{
	struct tu_scratch *f = *state;
	char *path = tu_path(f->dir, "c");
	char buf[8];
	int fd, rc;

	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(pwrite_full(fd, "wxyz", 4, 100), 0);
	/* Just written: in the page cache, so it is read without waiting
	 * (or -EAGAIN where the file system cannot tell; never garbage). */
	memset(buf, 0, sizeof(buf));
	rc = pread_cached(fd, buf, 4, 100, false);
	assert_true(rc == 0 || rc == -EAGAIN);
	if (rc == 0)
		assert_memory_equal(buf, "wxyz", 4);
	/* Past the end: zeros when asked, else -EIO. */
	rc = pread_cached(fd, buf, 8, 102, true);
	assert_true(rc == 0 || rc == -EAGAIN);
	if (rc == 0)
		assert_memory_equal(buf, "yz\0\0\0\0\0\0", 8);
	rc = pread_cached(fd, buf, 8, 102, false);
	assert_true(rc == -EIO || rc == -EAGAIN);
	assert_int_equal(pread_cached(fd, buf, 1, UINT64_MAX, false), -EINVAL);
	assert_int_equal(pread_cached(-1, buf, 1, 0, false), -EBADF);
	close(fd);
	free(path);
}

static void test_file_write_atomic(void **state)
{
	struct tu_scratch *f = *state;
	char *path = tu_path(f->dir, "conf");
	char *missing = tu_path(f->dir, "no/such/dir/file");
	struct stat st;
	struct dirent *ent;
	size_t len, entries = 0;
	char *data;
	DIR *d;

	assert_int_equal(file_write_atomic(path, "one", 3, 0640), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_string_equal(data, "one");
	free(data);

	/* Replace with different contents and mode. */
	assert_int_equal(file_write_atomic(path, "second", 6, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_string_equal(data, "second");
	assert_int_equal(len, 6);
	free(data);

	/* Empty contents. */
	assert_int_equal(file_write_atomic(path, "", 0, 0644), 0);
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);

	assert_int_equal(file_write_atomic(missing, "x", 1, 0644), -ENOENT);

	/* No temporary file is left behind. */
	d = opendir(f->dir);
	assert_non_null(d);
	while ((ent = readdir(d)))
		if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);
	free(path);
	free(missing);
}

static void test_file_read_all(void **state)
{
	struct tu_scratch *f = *state;
	char *path = tu_path(f->dir, "r");
	char *big = xmalloc(10001);
	char *data = NULL;
	size_t len;

	memset(big, 'x', 10000);
	big[10000] = '\0';
	tu_put(f->dir, "r", big, 0644);
	assert_int_equal(file_read_all(path, 10000, &data, &len), 0);
	assert_int_equal(len, 10000);
	assert_int_equal(strlen(data), 10000);
	free(data);
	assert_int_equal(file_read_all(path, 9999, &data, &len), -EFBIG);
	assert_int_equal(file_read_all(path, 0, &data, &len), -EFBIG);
	free(path);

	path = tu_path(f->dir, "missing");
	assert_int_equal(file_read_all(path, 100, &data, &len), -ENOENT);
	free(path);
	/* A directory cannot be read. */
	assert_int_equal(file_read_all(f->dir, 100, &data, &len), -EISDIR);
	/* A file that does not say its size. */
	assert_int_equal(file_read_all("/proc/self/stat", 65536, &data, &len), 0);
	assert_true(len > 0);
	free(data);
	free(big);
}

static void test_mkdir_p(void **state)
{
	struct tu_scratch *f = *state;
	char *deep = tu_path(f->dir, "a/b//c/d/");
	char *file = tu_path(f->dir, "file");
	char *under = tu_path(f->dir, "file/sub");
	char *check = tu_path(f->dir, "a/b/c/d");
	struct stat st;

	assert_int_equal(mkdir_p(deep, 0755), 0);
	assert_int_equal(stat(check, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir_p(deep, 0755), 0);	/* exists: fine */
	assert_int_equal(mkdir_p(f->dir, 0755), 0);
	tu_put(f->dir, "file", "x", 0644);
	assert_int_equal(mkdir_p(file, 0755), -ENOTDIR);
	assert_int_equal(mkdir_p(under, 0755), -ENOTDIR);
	assert_int_equal(mkdir_p("", 0755), -ENOENT);
	free(deep);
	free(file);
	free(under);
	free(check);
}

static void test_rm_rf(void **state)
{
	struct tu_scratch *f = *state;
	char *tree = tu_path(f->dir, "tree");
	char *outside = tu_path(f->dir, "outside");
	char *keep = tu_path(f->dir, "outside/keep");
	char *p;
	struct stat st;
	int i;

	assert_int_equal(mkdir_p(outside, 0755), 0);
	tu_put(f->dir, "outside/keep", "precious", 0644);

	/* A nested tree with files, empty dirs and symlinks pointing out. */
	p = tu_path(f->dir, "tree/a/b/c/d/e");
	assert_int_equal(mkdir_p(p, 0755), 0);
	free(p);
	for (i = 0; i < 5; i++) {
		p = xasprintf("tree/a/b/f%d", i);
		tu_put(f->dir, p, "data", 0644);
		free(p);
	}
	p = tu_path(f->dir, "tree/a/link-to-outside");
	assert_int_equal(symlink(outside, p), 0);
	free(p);
	p = tu_path(f->dir, "tree/a/b/c/link-to-keep");
	assert_int_equal(symlink(keep, p), 0);
	free(p);
	p = tu_path(f->dir, "tree/dangling");
	assert_int_equal(symlink("/nonexistent/x", p), 0);
	free(p);
	/* A directory we may not write into still goes (we own it). */
	p = tu_path(f->dir, "tree/a/b/c/d/e");
	assert_int_equal(chmod(p, 0555), 0);
	free(p);

	assert_int_equal(rm_rf(tree), 0);
	assert_int_equal(lstat(tree, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(keep, &st), 0);

	/* A symlink given as the path is removed, not its target. */
	p = tu_path(f->dir, "toplink");
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(rm_rf(p), 0);
	assert_int_equal(lstat(p, &st), -1);
	assert_int_equal(stat(keep, &st), 0);
	free(p);

	/* A plain file; a missing path. */
	assert_int_equal(rm_rf(keep), 0);
	assert_int_equal(stat(keep, &st), -1);
	assert_int_equal(rm_rf(keep), 0);
	assert_int_equal(rm_rf(""), -ENOENT);
	free(tree);
	free(outside);
	free(keep);
}

static void test_fsync_dir(void **state)
{
	struct tu_scratch *f = *state;
	char *missing = tu_path(f->dir, "missing");
	char *file = tu_path(f->dir, "file");

	assert_int_equal(fsync_dir(f->dir), 0);
	assert_int_equal(fsync_dir(missing), -ENOENT);
	tu_put(f->dir, "file", "x", 0644);
	assert_int_equal(fsync_dir(file), -ENOTDIR);
	free(missing);
	free(file);
}

static void test_now_rfc3339(void **state)
{
	char buf[32];
	struct tm tm;
	time_t t, now = time(NULL);
	char *end;

	now_rfc3339(buf);
	assert_int_equal(strlen(buf), 20);
	assert_int_equal(buf[4], '-');
	assert_int_equal(buf[10], 'T');
	assert_int_equal(buf[19], 'Z');
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	t = timegm(&tm);
	assert_true(t >= now - 5 && t <= now + 5);
}

static void test_human_size(void **state)
{
	char buf[32];

	human_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0 B");
	human_size(1023, buf, sizeof(buf));
	assert_string_equal(buf, "1023 B");
	human_size(1024, buf, sizeof(buf));
	assert_string_equal(buf, "1.0 KiB");
	human_size(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1.5 KiB");
	/* Just below 1 MiB rounds up to it, not to "1024.0 KiB". */
	human_size(1048575, buf, sizeof(buf));
	assert_string_equal(buf, "1.0 MiB");
	human_size(4ULL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "4.0 GiB");
	human_size(UINT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "16.0 EiB");
	/* A small buffer is truncated, never overrun. */
	human_size(1536, buf, 4);
	assert_string_equal(buf, "1.5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_prefix_and_asprintf),
		cmocka_unit_test(test_read_write_full),
		tu_scratch_test(test_pread_pwrite_full),
		tu_scratch_test(test_pread_cached),
		tu_scratch_test(test_file_write_atomic),
		tu_scratch_test(test_file_read_all),
		tu_scratch_test(test_mkdir_p),
		tu_scratch_test(test_rm_rf),
		tu_scratch_test(test_fsync_dir),
		cmocka_unit_test(test_now_rfc3339),
		cmocka_unit_test(test_human_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
