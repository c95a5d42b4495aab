/* Unit tests for common/beneath.c: every case runs twice, once through
 * openat2() (skipped if the kernel lacks it) and once through the forced
 * component walk.  Where the two differ (symlinks), both are tested.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "beneath.h"
#include "testutil.h"
#include "util.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/** One test run: a tree under @top, with @root the root handed out. */
struct fixture {
	char *top;		/* scratch dir holding root/ and outside */
	int rootfd;		/* open root/ */
	bool walk;		/* forced fallback */
	bool no_openat2;	/* openat2 run on a kernel without it: skip */
};

/** kernel_has_openat2() - whether openat2(2) exists here. */
static bool kernel_has_openat2(void)
{
	/* A NULL how with size 0 is EINVAL if the call exists. */
	long rc = syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0);

	return !(rc < 0 && errno == ENOSYS);
}

/*
 * The tree:
 *   top/outside             "SECRET"
 *   top/root/b              "B"
 *   top/root/a/file         "A"
 *   top/root/link-in      -> a/file
 *   top/root/dirlink      -> a
 *   top/root/link-out     -> /etc
 *   top/root/link-up      -> ..
 *   top/root/a/link-abs   -> /a/file (absolute: means the host's /a)
 */
static int setup_common(void **state, bool walk)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *root;

	f->no_openat2 = !walk && !kernel_has_openat2();
	f->top = tu_scratch_make();
	tu_put(f->top, "outside", "SECRET", 0644);
	tu_mkdir(f->top, "root", 0755);
	root = tu_path(f->top, "root");
	tu_mkdir(root, "a", 0755);
	tu_put(root, "b", "B", 0644);
	tu_put(root, "a/file", "A", 0644);
	tu_symlink(root, "link-in", "a/file");
	tu_symlink(root, "dirlink", "a");
	tu_symlink(root, "link-out", "/etc");
	tu_symlink(root, "link-up", "..");
	tu_symlink(root, "a/link-abs", "/a/file");
	f->rootfd = open(root, O_RDONLY | O_DIRECTORY);
	free(root);
	if (f->rootfd < 0)
		return -1;
	f->walk = walk;
	open_beneath_force_fallback(walk);
	*state = f;
	return 0;
}

static int setup_openat2(void **state)
{
	return setup_common(state, false);
}

static int setup_walk(void **state)
{
	return setup_common(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	open_beneath_force_fallback(0);
	close(f->rootfd);
	rc = tu_scratch_remove(f->top);
	free(f);
	return rc;
}

/** fixture() - the test's fixture; skips openat2 runs where it is missing. */
static struct fixture *fixture(void **state)
{
	struct fixture *f = *state;

	if (f->no_openat2)
		tu_skip("the kernel has no openat2()");
	return f;
}

/** read_beneath() - open @path read-only beneath the root and read it.
 * Return: the contents (caller frees), or NULL with *@rc set. */
static char *read_beneath(struct fixture *f, const char *path, int *rc)
{
	char buf[64];
	ssize_t n;
	int fd;

	fd = open_beneath(f->rootfd, path, O_RDONLY, 0);
	*rc = fd < 0 ? fd : 0;
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return xstrdup(buf);
}

/** assert_reads() - @path opens and holds @want. */
static void assert_reads(struct fixture *f, const char *path, const char *want)
{
	int rc;
	char *got = read_beneath(f, path, &rc);

	if (!got)
		fail_msg("%s: open_beneath(\"%s\") failed: %s", f->walk ? "walk" : "openat2",
			 path, strerror(-rc));
	assert_string_equal(got, want);
	free(got);
}

/** assert_refused() - @path does not open, with error @want. */
static void assert_refused(struct fixture *f, const char *path, int want)
{
	int rc;
	char *got = read_beneath(f, path, &rc);

	if (got)
		fail_msg("%s: open_beneath(\"%s\") opened \"%s\"", f->walk ? "walk" : "openat2",
			 path, got);
	if (rc != want)
		fail_msg("%s: open_beneath(\"%s\") gave %s, wanted %s",
			 f->walk ? "walk" : "openat2", path, strerror(-rc), strerror(-want));
}

/** assert_is_root() - @path opens as the root directory itself. */
static void assert_is_root(struct fixture *f, const char *path)
{
	struct stat a, b;
	int fd = open_beneath(f->rootfd, path, O_RDONLY | O_DIRECTORY, 0);

	if (fd < 0)
		fail_msg("open_beneath(\"%s\") failed: %s", path, strerror(-fd));
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(f->rootfd, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	close(fd);
}

static void test_inside(void **state)
{
	struct fixture *f = fixture(state);

	assert_reads(f, "b", "B");
	assert_reads(f, "a/file", "A");
	assert_reads(f, "./a/./file", "A");
	assert_reads(f, "a//file", "A");
	/* absolute paths are relative to the root */
	assert_reads(f, "/a/file", "A");
	assert_reads(f, "///b", "B");
	assert_is_root(f, "");
	assert_is_root(f, "/");
	assert_is_root(f, ".");
	assert_is_root(f, "./");
	assert_refused(f, "missing", -ENOENT);
	assert_refused(f, "a/missing", -ENOENT);
	assert_refused(f, "b/x", -ENOTDIR);
}

static void test_dotdot(void **state)
{
	struct fixture *f = fixture(state);

	/* ".." that stays inside is followed on both paths */
	assert_reads(f, "a/../b", "B");
	assert_reads(f, "a/./../a/file", "A");
	assert_is_root(f, "a/..");
	/* ".." above the root is refused */
	assert_refused(f, "..", -EXDEV);
	assert_refused(f, "../outside", -EXDEV);
	assert_refused(f, "/../outside", -EXDEV);
	assert_refused(f, "a/../../outside", -EXDEV);
	assert_refused(f, "a/../../root/b", -EXDEV);
	/* ".." after a missing directory is not resolved lexically */
	assert_refused(f, "nodir/../b", -ENOENT);
	assert_refused(f, "b/../b", -ENOTDIR);
}

static void test_symlink_escape(void **state)
{
	struct fixture *f = fixture(state);
	/* openat2 says the path would leave the root; the walk refuses every
	 * symlink. */
	int escape = f->walk ? -ELOOP : -EXDEV;

	assert_refused(f, "link-out/passwd", escape);
	assert_refused(f, "link-out", escape);
	assert_refused(f, "link-up/outside", escape);
	assert_refused(f, "a/link-abs", escape);
}

static void test_symlink_inside(void **state)
{
	struct fixture *f = fixture(state);

	if (f->walk) {
		assert_refused(f, "link-in", -ELOOP);
		assert_refused(f, "dirlink/file", -ELOOP);
		assert_refused(f, "dirlink/../b", -ELOOP);
	} else {
		assert_reads(f, "link-in", "A");
		assert_reads(f, "dirlink/file", "A");
		assert_reads(f, "/dirlink/../b", "B");
	}
}

static void test_magic_links(void **state)
{
	struct fixture *f = fixture(state);
	char path[32];
	int procfd, fd;

	/* With /proc/self as the root, "fd/N" is a magic link. */
	procfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	if (procfd < 0)
		tu_skip("/proc/self/fd cannot be opened");
	snprintf(path, sizeof(path), "fd/%d", f->rootfd);
	fd = open_beneath(procfd, path, O_RDONLY, 0);
	if (fd >= 0)
		close(fd);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	fd = open_beneath(procfd, "cwd/.", O_RDONLY, 0);
	if (fd >= 0)
		close(fd);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	close(procfd);
}

static void test_create(void **state)
{
	struct fixture *f = fixture(state);
	struct stat st;
	mode_t old = umask(022);
	int fd;

	fd = open_beneath(f->rootfd, "/a/new", O_WRONLY | O_CREAT | O_EXCL, 0640);
	umask(old);
	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, "N", 1), 0);
	close(fd);
	assert_int_equal(fstatat(f->rootfd, "a/new", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_reads(f, "a/new", "N");
	/* O_EXCL on an existing file */
	assert_int_equal(open_beneath(f->rootfd, "a/new", O_WRONLY | O_CREAT | O_EXCL, 0640),
			 -EEXIST);
	/* no missing parents are made */
	assert_int_equal(open_beneath(f->rootfd, "nodir/x", O_WRONLY | O_CREAT, 0640), -ENOENT);
	/* creating through an escaping path or symlink is refused */
	assert_int_equal(open_beneath(f->rootfd, "../created", O_WRONLY | O_CREAT, 0640),
			 -EXDEV);
	fd = open_beneath(f->rootfd, "link-out/lanroot-test", O_WRONLY | O_CREAT, 0640);
	assert_int_equal(fd, f->walk ? -ELOOP : -EXDEV);
	fd = open_beneath(f->rootfd, "link-up/created", O_WRONLY | O_CREAT, 0640);
	assert_int_equal(fd, f->walk ? -ELOOP : -EXDEV);
	/* a dangling symlink as the last component is never created through */
	assert_int_equal(symlinkat("../created", f->rootfd, "dangle"), 0);
	fd = open_beneath(f->rootfd, "dangle", O_WRONLY | O_CREAT, 0640);
	if (fd >= 0)
		close(fd);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	{
		char *created = xasprintf("%s/created", f->top);

		assert_int_equal(access(created, F_OK), -1);
		free(created);
	}
	/* "dir/" cannot be created as a file */
	assert_true(open_beneath(f->rootfd, "newdir/", O_WRONLY | O_CREAT, 0640) < 0);
}

static void test_trailing_slash_and_flags(void **state)
{
	struct fixture *f = fixture(state);
	int fd;

	fd = open_beneath(f->rootfd, "a/", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(open_beneath(f->rootfd, "b/", O_RDONLY, 0), -ENOTDIR);
	assert_int_equal(open_beneath(f->rootfd, "b", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	/* O_PATH on a symlink: refused by the walk, followed inside by openat2 */
	fd = open_beneath(f->rootfd, "link-in", O_PATH, 0);
	if (f->walk) {
		assert_int_equal(fd, -ELOOP);
	} else {
		assert_true(fd >= 0);
		close(fd);
	}
	/* O_CLOEXEC is always set */
	fd = open_beneath(f->rootfd, "b", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = fixture(state);
	char *longpath = xmalloc(PATH_MAX + 1);

	assert_int_equal(open_beneath(f->rootfd, NULL, O_RDONLY, 0), -EINVAL);
	assert_int_equal(open_beneath(-1, "b", O_RDONLY, 0), -EINVAL);
	memset(longpath, 'a', PATH_MAX);
	longpath[PATH_MAX] = '\0';
	assert_int_equal(open_beneath(f->rootfd, longpath, O_RDONLY, 0), -ENAMETOOLONG);
	free(longpath);
}

#define BOTH(test) \
	cmocka_unit_test_setup_teardown(test, setup_openat2, teardown), \
	cmocka_unit_test_setup_teardown(test, setup_walk, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_inside),
		BOTH(test_dotdot),
		BOTH(test_symlink_escape),
		BOTH(test_symlink_inside),
		BOTH(test_magic_links),
		BOTH(test_create),
		BOTH(test_trailing_slash_and_flags),
		BOTH(test_bad_arguments),
	};

	if (!kernel_has_openat2())
		fprintf(stderr, "test-beneath: no openat2() here, testing the walk only\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
