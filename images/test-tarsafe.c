/* Tests for images/tarsafe.c: the member rule (tar_check_member), unpacking
 * real archives made here with libarchive (tar_extract_safe), and imports
 * of hostile archives that must fail naming the member and leave no trace.
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
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <archive.h>
#include <archive_entry.h>

#include "import.h"
#include "log.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

/* ---- the rule, as a table ------------------------------------------------ */

struct rule_case {
	const char *name;
	int is_symlink, is_hardlink;
	const char *link;
	const char *const *symlinks;
	const char *error;	/* NULL = accepted; else a part of the message */
};

static const char *const lib_only[] = { "lib", NULL };
static const char *const lib_dotted[] = { "./lib/", NULL };
static const char *const lib2_only[] = { "lib2", "x/lib", NULL };
static const char *const deep_link[] = { "usr/share/doc", NULL };

static const struct rule_case rule_cases[] = {
	/* accepted */
	{ "a", 0, 0, NULL, NULL, NULL },
	{ "./a", 0, 0, NULL, NULL, NULL },
	{ "a/b/c", 0, 0, NULL, NULL, NULL },
	{ "a//b/./c/", 0, 0, NULL, NULL, NULL },
	{ ".", 0, 0, NULL, NULL, NULL },
	{ "./", 0, 0, NULL, NULL, NULL },
	{ "a..b", 0, 0, NULL, NULL, NULL },
	{ "..a/b..", 0, 0, NULL, NULL, NULL },
	{ "lib/x", 0, 0, NULL, lib2_only, NULL },
	{ "lib2x/y", 0, 0, NULL, lib2_only, NULL },
	{ "usr/share/x", 0, 0, NULL, deep_link, NULL },
	{ "lib", 1, 0, "/usr/lib", lib_only, NULL },	/* the same symlink again */
	{ "lib", 1, 0, "/usr/lib", NULL, NULL },
	{ "etc/mtab", 1, 0, "/proc/self/mounts", NULL, NULL },
	{ "a/b", 1, 0, "../c", NULL, NULL },
	{ "a/b/c", 1, 0, "../../d/./e", NULL, NULL },
	{ "a/b", 1, 0, "x/../../y", NULL, NULL },
	{ "h", 0, 1, "a/b", NULL, NULL },
	{ "d/h", 0, 1, "./a//b", lib_only, NULL },
	/* refused */
	{ "", 0, 0, NULL, NULL, "empty name" },
	{ "/etc/passwd", 0, 0, NULL, NULL, "tar member '/etc/passwd': absolute path" },
	{ "//x", 0, 0, NULL, NULL, "absolute path" },
	{ "../etc/passwd", 0, 0, NULL, NULL,
	  "tar member '../etc/passwd': '..' in the path" },
	{ "a/../../b", 0, 0, NULL, NULL, "'..' in the path" },
	{ "a/..", 0, 0, NULL, NULL, "'..' in the path" },
	{ "..", 0, 0, NULL, NULL, "'..' in the path" },
	{ "./../x", 0, 0, NULL, NULL, "'..' in the path" },
	{ "lib/x", 0, 0, NULL, lib_only, "tar member 'lib/x': goes through symlink 'lib'" },
	{ "lib/a/b", 0, 0, NULL, lib_only, "goes through symlink 'lib'" },
	{ "./lib//x", 0, 0, NULL, lib_only, "goes through symlink 'lib'" },
	{ "lib/x", 0, 0, NULL, lib_dotted, "goes through symlink 'lib'" },
	{ "usr/share/doc/x", 0, 0, NULL, deep_link,
	  "goes through symlink 'usr/share/doc'" },
	{ "lib/y", 1, 0, "z", lib_only, "goes through symlink 'lib'" },
	{ "lib", 0, 0, NULL, lib_only, "tar member 'lib': replaces symlink 'lib'" },
	{ "a/b", 1, 0, "../../../etc", NULL,
	  "symlink 'a/b' -> '../../../etc' leaves the tree" },
	{ "x", 1, 0, "..", NULL, "leaves the tree" },
	{ "x", 1, 0, "y/../../z", NULL, "leaves the tree" },
	{ "x", 1, 0, "", NULL, "symlink 'x' has no target" },
	{ "x", 1, 0, NULL, NULL, "symlink 'x' has no target" },
	{ ".", 1, 0, "/", NULL, "cannot replace the top directory" },
	{ "h", 0, 1, "/etc/passwd", NULL, "hard link to the absolute path '/etc/passwd'" },
	{ "h", 0, 1, "../x", NULL, "hard link target '../x' has '..' in the path" },
	{ "h", 0, 1, "lib/passwd", lib_only,
	  "hard link target 'lib/passwd' goes through symlink 'lib'" },
	{ "h", 0, 1, "lib", lib_only, "hard link to symlink 'lib'" },
	{ "h", 0, 1, "", NULL, "hard link without a target" },
	{ "h", 0, 1, ".", NULL, "hard link to the top directory" },
	{ "/h", 0, 1, "a", NULL, "absolute path" },
};

static void test_rule_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rule_cases); i++) {
		const struct rule_case *c = &rule_cases[i];
		char err[512] = "";
		int rc = tar_check_member(c->name, c->is_symlink, c->is_hardlink, c->link,
					  c->symlinks, err, sizeof(err));

		if (!c->error) {
			if (rc != 0)
				fail_msg("'%s' refused: %s", c->name, err);
		} else {
			if (rc != -EINVAL)
				fail_msg("'%s' accepted, expected: %s", c->name, c->error);
			if (!strstr(err, c->error))
				fail_msg("'%s': message \"%s\", expected \"%s\"", c->name,
					 err, c->error);
		}
	}
}

static void test_rule_edges(void **state)
{
	char err[16], big[512];
	char *longname = xmalloc(PATH_MAX + 2);

	(void)state;
	/* a short buffer still gets a terminated message */
	memset(err, 'x', sizeof(err));
	assert_int_equal(tar_check_member("/etc/passwd", 0, 0, NULL, NULL, err,
					  sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);

	assert_int_equal(tar_check_member(NULL, 0, 0, NULL, NULL, big, sizeof(big)),
			 -EINVAL);

	/* over-long names and targets */
	memset(longname, 'a', PATH_MAX + 1);
	longname[PATH_MAX + 1] = '\0';
	assert_int_equal(tar_check_member(longname, 0, 0, NULL, NULL, big, sizeof(big)),
			 -EINVAL);
	assert_non_null(strstr(big, "longer than"));
	assert_true(strlen(big) < 400);	/* the name is shortened in the message */
	assert_int_equal(tar_check_member("x", 1, 0, longname, NULL, big, sizeof(big)),
			 -EINVAL);
	longname[PATH_MAX - 1] = '\0';
	assert_int_equal(tar_check_member(longname, 0, 0, NULL, NULL, big, sizeof(big)), 0);

	/* control characters are not copied into messages */
	assert_int_equal(tar_check_member("/a\nb\033c", 0, 0, NULL, NULL, big,
					  sizeof(big)), -EINVAL);
	assert_null(strchr(big, '\n'));
	assert_null(strchr(big, '\033'));
	free(longname);
}

/* ---- archives --------------------------------------------------------------- */

/* One member of an archive made by a test. */
struct tmember {
	char type;		/* f file, d dir, l symlink, h hard link, c char device */
	const char *name;
	const char *data;	/* file contents, or link target */
	mode_t perm;
};

enum compression { PLAIN, GZIP, XZ, ZSTD };

/** make_tar() - write the archive @path holding @m (ends with type 0). */
static void make_tar(const char *path, enum compression comp, const struct tmember *m)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	switch (comp) {
	case GZIP:
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
		break;
	case XZ:
		assert_int_equal(archive_write_add_filter_xz(a), ARCHIVE_OK);
		break;
	case ZSTD:
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
		break;
	default:
		break;
	}
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (; m->type; m++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = 0;

		archive_entry_set_pathname(e, m->name);
		archive_entry_set_perm(e, m->perm ? m->perm : 0644);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, 1700000000, 0);
		switch (m->type) {
		case 'f':
			len = strlen(m->data);
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)len);
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, m->perm ? m->perm : 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, m->data);
			archive_entry_set_perm(e, 0777);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, m->data);
			archive_entry_set_size(e, 0);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdev(e, makedev(1, 3));
			break;
		default:
			fail();
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (len)
			assert_int_equal(archive_write_data(a, m->data, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

struct fixture {
	char *top;		/* scratch directory holding the rest */
	char *out;		/* an empty directory to unpack into */
	char *outside;		/* a directory outside it: must stay empty */
	char *tar;		/* archive path */
	char *state;		/* store directory */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	umask(022);
	f->top = tu_scratch_make();
	tu_mkdir(f->top, "out", 0755);
	tu_mkdir(f->top, "outside", 0755);
	f->out = tu_path(f->top, "out");
	f->outside = tu_path(f->top, "outside");
	f->tar = tu_path(f->top, "t.tar");
	f->state = tu_path(f->top, "state");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_scratch_remove(f->top);
	free(f->out);
	free(f->outside);
	free(f->tar);
	free(f->state);
	free(f);
	return 0;
}

/** slurp() - the small file @dir/@name, or NULL if missing (caller frees). */
static char *slurp(const char *dir, const char *name)
{
	char *p = tu_path(dir, name);
	char *data = tu_read_file(p);

	free(p);
	return data;
}

static void check_good_tree(const char *out)
{
	char buf[256], *s, *p;
	struct stat a, b;
	ssize_t n;

	s = slurp(out, "etc/hostname");
	assert_non_null(s);
	assert_string_equal(s, "lab\n");
	free(s);
	p = xasprintf("%s/etc", out);
	assert_int_equal(lstat(p, &a), 0);
	assert_true(S_ISDIR(a.st_mode));
	assert_int_equal(a.st_mode & 07777, 0750);	/* listed after its file */
	free(p);
	p = xasprintf("%s/bin/tool", out);
	assert_int_equal(lstat(p, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0755);
	assert_int_equal(a.st_mtime, 1700000000);
	free(p);
	p = xasprintf("%s/lib", out);
	n = readlink(p, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "/usr/lib");
	free(p);
	p = xasprintf("%s/usr/bin/sh", out);
	n = readlink(p, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "../../bin/tool");
	free(p);
	p = xasprintf("%s/bin/tool", out);
	assert_int_equal(stat(p, &a), 0);
	free(p);
	p = xasprintf("%s/bin/tool-again", out);
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);	/* a hard link */
	free(p);
}

static const struct tmember good_members[] = {
	{ 'f', "./etc/hostname", "lab\n", 0644 },
	{ 'd', "./etc/", NULL, 0750 },		/* the directory after its file */
	{ 'd', "bin", NULL, 0755 },
	{ 'f', "bin/tool", "#!/bin/sh\necho hi\n", 0755 },
	{ 'h', "bin/tool-again", "bin/tool", 0 },
	{ 'l', "lib", "/usr/lib", 0 },		/* absolute: read inside the image */
	{ 'd', "usr", NULL, 0755 },
	{ 'd', "usr/bin", NULL, 0755 },
	{ 'l', "usr/bin/sh", "../../bin/tool", 0 },
	{ 'd', "usr/lib", NULL, 0755 },
	{ 'f', "usr/lib/libc.so", "ELF", 0644 },
	{ 0, NULL, NULL, 0 },
};

static void test_extract_good(void **state)
{
	struct fixture *f = *state;
	enum compression comps[] = { PLAIN, GZIP, XZ, ZSTD };
	char err[512], cwd[PATH_MAX], after[PATH_MAX];
	size_t i;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (i = 0; i < ARRAY_SIZE(comps); i++) {
		make_tar(f->tar, comps[i], good_members);
		assert_int_equal(rm_rf(f->out), 0);
		assert_int_equal(mkdir(f->out, 0755), 0);
		err[0] = '\0';
		if (tar_extract_safe(f->tar, f->out, NULL, err, sizeof(err)) != 0)
			fail_msg("compression %zu: %s", i, err);
		check_good_tree(f->out);
		assert_int_equal(tu_count_entries(f->outside), 0);
		/* the working directory is given back */
		assert_non_null(getcwd(after, sizeof(after)));
		assert_string_equal(cwd, after);
	}
}

static void test_extract_device(void **state)
{
	struct fixture *f = *state;
	static const struct tmember members[] = {
		{ 'd', "dev", NULL, 0755 },
		{ 'c', "dev/null", NULL, 0666 },
		{ 'f', "etc-file", "x", 0644 },
		{ 0, NULL, NULL, 0 },
	};
	char err[512], *p = xasprintf("%s/dev/null", f->out);
	struct stat st;

	make_tar(f->tar, PLAIN, members);
	assert_int_equal(tar_extract_safe(f->tar, f->out, NULL, err, sizeof(err)), 0);
	if (geteuid() == 0) {
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(st.st_rdev, makedev(1, 3));
	} else {
		assert_int_equal(lstat(p, &st), -1);	/* skipped, with a warning */
	}
	free(p);
	p = slurp(f->out, "etc-file");
	assert_non_null(p);
	free(p);
}

/* Archives that must be refused, with the message naming the member. */
struct bad_case {
	const char *what;
	struct tmember members[5];
	const char *error;
};

static const struct bad_case bad_cases[] = {
	{ "dotdot", {
		{ 'f', "ok.txt", "fine", 0 },
		{ 'f', "../escaped", "boom", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member '../escaped': '..' in the path" },
	{ "absolute", {
		{ 'f', "ok.txt", "fine", 0 },
		{ 'f', "/tmp/lanroot-tarsafe-absolute", "boom", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member '/tmp/lanroot-tarsafe-absolute': absolute path" },
	{ "through symlink", {
		{ 'l', "lib", "OUTSIDE", 0 },
		{ 'f', "lib/x", "boom", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member 'lib/x': goes through symlink 'lib' (which points to 'OUTSIDE')" },
	{ "through a symlink listed later", {
		{ 'd', "lib", NULL, 0 },
		{ 'f', "lib/x", "boom", 0 },
		{ 'l', "lib", "OUTSIDE", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member 'lib/': replaces symlink 'lib'" },
	{ "symlink climbing out", {
		{ 'd', "a", NULL, 0 },
		{ 'l', "a/b", "../../../etc", 0 },
		{ 0, NULL, NULL, 0 } },
	  "symlink 'a/b' -> '../../../etc' leaves the tree" },
	{ "hard link escaping", {
		{ 'f', "ok.txt", "fine", 0 },
		{ 'h', "h", "../../../../etc/passwd", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member 'h': hard link target '../../../../etc/passwd' has '..' in the path" },
	{ "hard link absolute", {
		{ 'h', "h", "/etc/passwd", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member 'h': hard link to the absolute path '/etc/passwd'" },
	{ "hard link through symlink", {
		{ 'l', "etc", "OUTSIDE", 0 },
		{ 'h', "h", "etc/passwd", 0 },
		{ 0, NULL, NULL, 0 } },
	  "tar member 'h': hard link target 'etc/passwd' goes through symlink 'etc' "
	  "(which points to 'OUTSIDE')" },
};

/** bad_members() - @c's members with OUTSIDE replaced by @outside. */
static struct tmember *bad_members(const struct bad_case *c, const char *outside)
{
	struct tmember *m = xcalloc(ARRAY_SIZE(c->members), sizeof(*m));
	size_t i;

	for (i = 0; c->members[i].type; i++) {
		m[i] = c->members[i];
		if (m[i].data && strcmp(m[i].data, "OUTSIDE") == 0)
			m[i].data = outside;
	}
	return m;
}

static char *expected_message(const char *error, const char *outside)
{
	const char *at = strstr(error, "OUTSIDE");

	if (!at)
		return xstrdup(error);
	return xasprintf("%.*s%s%s", (int)(at - error), error, outside,
			 at + strlen("OUTSIDE"));
}

static void test_extract_bad(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		char err[512] = "";
		struct tmember *m = bad_members(c, f->outside);
		char *want = expected_message(c->error, f->outside);
		int rc;

		make_tar(f->tar, GZIP, m);
		rc = tar_extract_safe(f->tar, f->out, NULL, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("%s: rc %d (%s)", c->what, rc, err);
		if (strcmp(err, want) != 0)
			fail_msg("%s: message \"%s\", expected \"%s\"", c->what, err, want);
		/* nothing written: not inside, not outside */
		assert_int_equal(tu_count_entries(f->out), 0);
		assert_int_equal(tu_count_entries(f->outside), 0);
		assert_int_equal(access("/tmp/lanroot-tarsafe-absolute", F_OK), -1);
		free(want);
		free(m);
	}
	{
		char *escaped = xasprintf("%s/escaped", f->top);

		assert_int_equal(access(escaped, F_OK), -1);
		free(escaped);
	}
}

static void test_extract_not_tar(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";
	static const char junk[] = "\x1f\x8b this is not gzip at all, nor a tar";
	char *dir = xasprintf("%s/adir", f->top);

	assert_int_equal(file_write_atomic(f->tar, junk, sizeof(junk), 0644), 0);
	assert_true(tar_extract_safe(f->tar, f->out, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, f->tar));
	assert_int_equal(tu_count_entries(f->out), 0);

	assert_int_equal(tar_extract_safe("/nonexistent/x.tar", f->out, NULL, err,
					  sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.tar"));

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(tar_extract_safe(dir, f->out, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	free(dir);
}

/* ---- through image_import: no trace of a refused archive --------------- */

static void test_import_bad_tar_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct import_opts o = { .image = "lab", .src = f->tar, .format = "squashfs" };
	struct reg_image im;
	struct store *st = NULL;
	char err[1024], *tmp = xasprintf("%s/tmp", f->state);
	char *images = xasprintf("%s/images/lab", f->state);
	int v = 0;
	size_t i;

	assert_int_equal(store_init(f->state, err, sizeof(err)), 0);
	assert_int_equal(store_open(f->state, &st, err, sizeof(err)), 0);

	/* a first refused import: no image at all */
	{
		struct tmember *m = bad_members(&bad_cases[0], f->outside);

		make_tar(f->tar, PLAIN, m);
		free(m);
	}
	assert_int_equal(image_import(st, &o, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, bad_cases[0].error);
	assert_int_equal(registry_image_get(st->reg, "lab", &im), -ENOENT);
	assert_int_equal(tu_count_entries(tmp), 0);
	assert_int_equal(tu_count_entries(images), 0);

	/* a good one makes version 1 */
	make_tar(f->tar, ZSTD, good_members);
	assert_int_equal(image_import(st, &o, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1);

	/* every bad one after that changes nothing */
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		char *want = expected_message(bad_cases[i].error, f->outside);
		struct tmember *m = bad_members(&bad_cases[i], f->outside);

		make_tar(f->tar, XZ, m);
		v = 0;
		assert_int_equal(image_import(st, &o, &v, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, want);
		assert_int_equal(v, 0);
		assert_int_equal(registry_image_get(st->reg, "lab", &im), 0);
		assert_int_equal(im.latest, 1);
		assert_int_equal(im.nversions, 1);
		assert_int_equal(tu_count_entries(tmp), 0);
		assert_int_equal(tu_count_entries(images), 1);
		assert_int_equal(tu_count_entries(f->outside), 0);
		free(want);
		free(m);
	}
	store_close(st);
	free(tmp);
	free(images);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_table),
		cmocka_unit_test(test_rule_edges),
		cmocka_unit_test_setup_teardown(test_extract_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extract_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extract_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extract_not_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_bad_tar_leaves_nothing, setup,
						teardown),
	};

	log_init("test-tarsafe", LOG_TARGET_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
