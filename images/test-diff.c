/* Tests for images/diff.c: tree_diff() on hand-made trees, and image_diff()
 * between two imported versions.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "diff.h"
#include "fsformat.h"
#include "import.h"
#include "log.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define MAX_LINES 64

/* What the callback saw: "A /x" lines. */
struct seen {
	char *lines[MAX_LINES];
	size_t n;
	size_t stop_after;	/* return 1 after this many; 0 = never */
};

static int record(enum diff_change change, const char *path, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_LINES);
	s->lines[s->n++] = xasprintf("%c %s", (char)change, path);
	if (s->stop_after && s->n == s->stop_after)
		return 1;
	return 0;
}

static void seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	s->n = 0;
}

/** seen_expect() - the lines must be exactly @want (NULL-terminated). */
static void seen_expect(const struct seen *s, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		assert_true(i < s->n);
		assert_string_equal(s->lines[i], want[i]);
	}
	assert_int_equal(s->n, i);
}

struct fixture {
	char *top;		/* scratch directory */
	char *a, *b;		/* the two trees in it */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	umask(022);
	f->top = tu_scratch_make();
	tu_mkdir(f->top, "a", 0755);
	tu_mkdir(f->top, "b", 0755);
	f->a = tu_path(f->top, "a");
	f->b = tu_path(f->top, "b");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_scratch_remove(f->top);
	free(f->a);
	free(f->b);
	free(f);
	return 0;
}

/** make_pair() - two trees with every kind of difference. */
static void make_pair(const char *a, const char *b)
{
	const char *t[2] = { a, b };
	int i;

	for (i = 0; i < 2; i++) {
		tu_put(t[i], "same.txt", "same\n", 0644);
		tu_mkdir(t[i], "nest", 0755);
		tu_mkdir(t[i], "nest/deep", 0755);
		tu_put(t[i], "nest/keep", "keep\n", 0644);
		tu_symlink(t[i], "samelink", "same.txt");
	}
	tu_put(a, "changed.txt", "old\n", 0644);	/* same size, other bytes */
	tu_put(b, "changed.txt", "new\n", 0644);
	tu_put(a, "size.txt", "a", 0644);
	tu_put(b, "size.txt", "ab", 0644);
	tu_put(a, "mode.sh", "#!/bin/sh\n", 0644);
	tu_put(b, "mode.sh", "#!/bin/sh\n", 0755);
	tu_mkdir(a, "modedir", 0755);
	tu_mkdir(b, "modedir", 0700);
	tu_symlink(a, "link", "target1");
	tu_symlink(b, "link", "target2");
	tu_put(a, "typechg", "file\n", 0644);	/* file → directory */
	tu_mkdir(b, "typechg", 0755);
	tu_put(b, "typechg/inside", "x", 0644);
	tu_mkdir(a, "dir2file", 0755);		/* directory → file */
	tu_put(a, "dir2file/child", "x", 0644);
	tu_put(b, "dir2file", "x", 0644);
	tu_put(a, "removed.txt", "gone\n", 0644);
	tu_mkdir(a, "removed_dir", 0755);
	tu_put(a, "removed_dir/f1", "1", 0644);
	tu_mkdir(a, "removed_dir/sub", 0755);
	tu_put(a, "removed_dir/sub/f2", "2", 0644);
	tu_put(b, "added.txt", "new\n", 0644);
	tu_mkdir(b, "added_dir", 0755);
	tu_put(b, "added_dir/g", "g", 0644);
	tu_put(a, "nest/deep/x", "1", 0644);
	tu_put(b, "nest/deep/x", "2", 0644);
	tu_symlink(a, "link2file", "x");		/* symlink → file */
	tu_put(b, "link2file", "x", 0644);
}

static const char *const pair_expected[] = {
	"A /added.txt",
	"A /added_dir",
	"A /added_dir/g",
	"M /changed.txt",
	"M /dir2file",
	"D /dir2file/child",
	"M /link",
	"M /link2file",
	"M /mode.sh",
	"M /modedir",
	"M /nest/deep/x",
	"D /removed.txt",
	"D /removed_dir",
	"D /removed_dir/f1",
	"D /removed_dir/sub",
	"D /removed_dir/sub/f2",
	"M /size.txt",
	"M /typechg",
	"A /typechg/inside",
	NULL,
};

static void test_tree_diff_all_kinds(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };
	char err[256];

	make_pair(f->a, f->b);
	assert_int_equal(tree_diff(f->a, f->b, record, &s, err, sizeof(err)), 0);
	seen_expect(&s, pair_expected);
	seen_free(&s);
}

static void test_tree_diff_reverse(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };
	char err[256];
	static const char *const want[] = {
		"D /added.txt", "D /added_dir", "D /added_dir/g", "M /changed.txt",
		"M /dir2file", "A /dir2file/child", "M /link", "M /link2file",
		"M /mode.sh", "M /modedir", "M /nest/deep/x", "A /removed.txt",
		"A /removed_dir", "A /removed_dir/f1", "A /removed_dir/sub",
		"A /removed_dir/sub/f2", "M /size.txt", "M /typechg",
		"D /typechg/inside", NULL,
	};

	make_pair(f->a, f->b);
	assert_int_equal(tree_diff(f->b, f->a, record, &s, err, sizeof(err)), 0);
	seen_expect(&s, want);
	seen_free(&s);
}

static void test_tree_diff_identical(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };
	static const char *const none[] = { NULL };
	char err[256];

	make_pair(f->a, f->b);
	assert_int_equal(tree_diff(f->a, f->a, record, &s, err, sizeof(err)), 0);
	seen_expect(&s, none);
	assert_int_equal(tree_diff(f->b, f->b, record, &s, err, sizeof(err)), 0);
	seen_expect(&s, none);
}

static void test_tree_diff_owner(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };
	static const char *const want[] = { "M /owned", NULL };
	char err[256], *p;

	if (geteuid() != 0)
		tu_skip("comparing owners needs root");
	tu_put(f->a, "owned", "x", 0644);
	tu_put(f->b, "owned", "x", 0644);
	p = xasprintf("%s/owned", f->b);
	assert_int_equal(lchown(p, 1, 1), 0);
	free(p);
	assert_int_equal(tree_diff(f->a, f->b, record, &s, err, sizeof(err)), 0);
	seen_expect(&s, want);
	seen_free(&s);
}

static void test_tree_diff_stop(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0, .stop_after = 2 };
	char err[256];

	make_pair(f->a, f->b);
	assert_int_equal(tree_diff(f->a, f->b, record, &s, err, sizeof(err)), 1);
	assert_int_equal(s.n, 2);
	seen_free(&s);
}

static void test_tree_diff_missing(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .n = 0 };
	char err[256], *nope = xasprintf("%s/nope", f->top);

	assert_int_equal(tree_diff(f->a, nope, record, &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(tree_diff(nope, f->b, record, &s, err, sizeof(err)), -ENOENT);
	assert_int_equal(s.n, 0);
	free(nope);
}

/**
 * diff_unreadable() - tree_diff() with a directory it may not read: an
 * error naming it.  Return 0 if so (run as a user that is not root).
 */
static int diff_unreadable(struct fixture *f)
{
	struct seen s = { .n = 0 };
	char err[256];
	int rc = tree_diff(f->a, f->b, record, &s, err, sizeof(err));

	seen_free(&s);
	return rc == -EACCES && strstr(err, "/locked") ? 0 : 1;
}

static void test_tree_diff_unreadable(void **state)
{
	struct fixture *f = *state;
	char *p;
	int status;
	pid_t pid;

	tu_mkdir(f->a, "locked", 0755);
	tu_mkdir(f->b, "locked", 0755);
	tu_put(f->a, "locked/x", "x", 0644);
	p = xasprintf("%s/locked", f->a);
	assert_int_equal(chmod(p, 0), 0);
	if (geteuid() != 0) {
		assert_int_equal(diff_unreadable(f), 0);
	} else {
		/* root reads anything: try it as nobody */
		assert_int_equal(chmod(f->top, 0755), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setresgid(65534, 65534, 65534) < 0 ||
			    setresuid(65534, 65534, 65534) < 0)
				_exit(2);
			_exit(diff_unreadable(f));
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	chmod(p, 0755);
	free(p);
}

/* ---- image_diff -------------------------------------------------------- */

static int quiet_tools(void)
{
	char out[64];
	char *argv[] = { "mksquashfs", "-version", NULL };

	return run_command(argv, out, sizeof(out));
}

static void test_image_diff(void **state)
{
	struct fixture *f = *state;
	struct import_opts o = { .image = "lab", .format = "squashfs" };
	struct seen s = { .n = 0 };
	struct store *st = NULL;
	char err[512], *sd = xasprintf("%s/state", f->top), *tmp;
	int v1 = 0, v2 = 0;

	assert_int_equal(quiet_tools(), 0);
	make_pair(f->a, f->b);
	assert_int_equal(store_init(sd, err, sizeof(err)), 0);
	assert_int_equal(store_open(sd, &st, err, sizeof(err)), 0);
	o.src = f->a;
	assert_int_equal(image_import(st, &o, &v1, err, sizeof(err)), 0);
	o.src = f->b;
	o.format = "ext4";
	assert_int_equal(image_import(st, &o, &v2, err, sizeof(err)), 0);
	assert_int_equal(v1, 1);
	assert_int_equal(v2, 2);

	/* squashfs against ext4: the same differences as the trees. */
	assert_int_equal(image_diff(st, "lab", v1, v2, record, &s, err, sizeof(err)), 0);
	seen_expect(&s, pair_expected);
	seen_free(&s);

	{
		static const char *const none[] = { NULL };

		assert_int_equal(image_diff(st, "lab", v2, v2, record, &s, err,
					    sizeof(err)), 0);
		seen_expect(&s, none);
	}

	/* an unknown version is an error naming it; nothing is left behind */
	assert_true(image_diff(st, "lab", v1, 9, record, &s, err, sizeof(err)) < 0);
	assert_true(err[0] != '\0');
	assert_int_equal(s.n, 0);
	assert_true(image_diff(st, "nosuch", 1, 2, record, &s, err, sizeof(err)) < 0);

	/* a raw disk image cannot be compared file by file */
	{
		struct import_opts r = { .image = "disk", .kind = IMPORT_RAW,
					 .format = "raw" };
		char *noise = xasprintf("%s/noise", f->top);
		int v3 = 0;

		assert_int_equal(file_write_atomic(noise, "0123456789", 10, 0644), 0);
		r.src = noise;
		assert_int_equal(image_import(st, &r, &v3, err, sizeof(err)), 0);
		assert_int_equal(image_diff(st, "disk", v3, v3, record, &s, err,
					    sizeof(err)), -EINVAL);
		assert_string_equal(err, "disk version 1 is a raw image; diff needs "
				    "ext4, erofs or squashfs");
		free(noise);
	}
	tmp = xasprintf("%s/tmp", sd);
	assert_int_equal(tu_count_entries(tmp), 0);
	free(tmp);
	store_close(st);
	free(sd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tree_diff_all_kinds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_diff_reverse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_diff_identical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_diff_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_diff_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_diff_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_diff_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_diff, setup, teardown),
	};

	log_init("test-diff", LOG_TARGET_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
