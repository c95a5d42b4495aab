/* Tests for images/import.c and images/fsformat.c: importing raw images,
 * trees (as ext4, erofs and squashfs) and tar archives; what is refused
 * (missing, empty, truncated, not a file system) and that a refusal or a
 * full disk leaves the store as it was; the kernel and initrd search.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "diff.h"
#include "digest.h"
#include "fsformat.h"
#include "import.h"
#include "log.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define MIB (1024 * 1024)
#define RANDOM_SEED 0	/* for the bytes of random_file() */

struct fixture {
	char *top;		/* scratch directory holding the rest */
	char *tree;		/* a source tree */
	char *state;		/* the store */
	char *scratch;		/* files made by a test */
	struct store *st;
	FILE *log;		/* warnings land here */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char err[512];

	umask(022);
	f->top = tu_scratch_make();
	tu_mkdir(f->top, "tree", 0755);
	tu_mkdir(f->top, "scratch", 0755);
	f->tree = tu_path(f->top, "tree");
	f->state = tu_path(f->top, "state");
	f->scratch = tu_path(f->top, "scratch");
	assert_int_equal(store_init(f->state, err, sizeof(err)), 0);
	assert_int_equal(store_open(f->state, &f->st, err, sizeof(err)), 0);
	f->log = tmpfile();
	assert_non_null(f->log);
	log_set_stream(f->log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	log_set_stream(NULL);
	fclose(f->log);
	store_close(f->st);
	tu_scratch_remove(f->top);
	free(f->tree);
	free(f->state);
	free(f->scratch);
	free(f);
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

/** random_file() - @dir/@name with @size random (incompressible) bytes. */
static void random_file(const char *dir, const char *name, size_t size)
{
	char *p = tu_path(dir, name);

	tu_write_random(p, size, RANDOM_SEED);
	free(p);
}

/** make_tree() - a small root file system with a /boot. */
static void make_tree(const char *t)
{
	tu_mkdir(t, "etc", 0755);
	tu_put(t, "etc/hostname", "lab\n", 0644);
	tu_put(t, "etc/shadow", "root:*:1::::::\n", 0640);
	tu_mkdir(t, "etc/secret", 0700);
	tu_put(t, "etc/secret/key", "k", 0600);
	tu_mkdir(t, "usr", 0755);
	tu_mkdir(t, "usr/bin", 0755);
	tu_put(t, "usr/bin/tool", "#!/bin/sh\necho hi\n", 0755);
	tu_put(t, "usr/bin/su", "setuid\n", 04755);
	tu_put(t, "usr/bin/wall", "setgid\n", 02755);
	tu_mkdir(t, "usr/lib", 0755);
	random_file(t, "usr/lib/big.so", 300 * 1024);
	tu_symlink(t, "lib", "usr/lib");
	tu_symlink(t, "bin", "/usr/bin");
	tu_mkdir(t, "empty", 0755);
	tu_mkdir(t, "tmp", 01777);
	tu_mkdir(t, "boot", 0755);
	tu_put(t, "boot/vmlinuz-6.1.0-2-amd64", "kernel 6.1.0-2\n", 0644);
	tu_put(t, "boot/initrd.img-6.1.0-2-amd64", "initrd 6.1.0-2\n", 0644);
	tu_put(t, "boot/vmlinuz-6.1.0-13-amd64", "kernel 6.1.0-13\n", 0644);
	tu_put(t, "boot/initrd.img-6.1.0-13-amd64", "initrd 6.1.0-13\n", 0644);
	tu_symlink(t, "boot/vmlinuz", "vmlinuz-6.1.0-13-amd64");
	tu_symlink(t, "boot/initrd.img", "initrd.img-6.1.0-13-amd64");
	{
		char *fifo = xasprintf("%s/run-fifo", t), *sock = xasprintf("%s/run-sock", t);

		assert_int_equal(mknod(fifo, S_IFIFO | 0620, 0), 0);
		assert_int_equal(mknod(sock, S_IFSOCK | 0755, 0), 0);
		free(fifo);
		free(sock);
	}
	if (geteuid() == 0) {
		char *p = xasprintf("%s/etc/owned", t);
		char *dev = xasprintf("%s/dev", t), *null = xasprintf("%s/dev/null", t);

		tu_put(t, "etc/owned", "mine\n", 0644);
		assert_int_equal(lchown(p, 1000, 1000), 0);
		assert_int_equal(mkdir(dev, 0755), 0);
		assert_int_equal(mknod(null, S_IFCHR | 0666, makedev(1, 3)), 0);
		assert_int_equal(chmod(null, 0666), 0);
		free(p);
		free(dev);
		free(null);
	}
}

struct unexpected {
	const char *const *allowed;	/* "M /path" lines to let pass */
	int n;
};

static int print_diff(enum diff_change change, const char *path, void *arg)
{
	struct unexpected *u = arg;
	size_t i;
	char *line = xasprintf("%c %s", (char)change, path);

	for (i = 0; u->allowed && u->allowed[i]; i++) {
		if (strcmp(u->allowed[i], line) == 0) {
			free(line);
			return 0;
		}
	}
	fprintf(stderr, "unexpected difference: %s\n", line);
	free(line);
	u->n++;
	return 0;
}

/** assert_same_tree_but() - tree_diff() finds nothing between @a and @b
 * but the lines in @allowed (NULL-terminated; NULL = none). */
static void assert_same_tree_but(const char *a, const char *b,
				 const char *const *allowed)
{
	struct unexpected u = { allowed, 0 };
	char err[512] = "";

	if (tree_diff(a, b, print_diff, &u, err, sizeof(err)) != 0)
		fail_msg("tree_diff: %s", err);
	assert_int_equal(u.n, 0);
}

/* Known losses of the unpacking tools: fsck.erofs (erofs-utils 1.5) sets
 * the mode before the owner when it unpacks as root, and the kernel then
 * clears setuid/setgid on files; unsquashfs clears them when not root. */
static const char *const setid_lost[] = { "M /usr/bin/su", "M /usr/bin/wall", NULL };

static const char *const *unpack_losses(const char *format)
{
	if (strcmp(format, geteuid() == 0 ? "erofs" : "squashfs") == 0)
		return setid_lost;
	return NULL;
}

/** version_file_text() - a small file of a version, NULL if missing. */
static char *version_file_text(struct fixture *f, const char *image, int v,
			       const char *file)
{
	char *p = store_version_file(f->st, image, v, file);
	char *data = tu_read_file(p);

	free(p);
	return data;
}

static void assert_version_text(struct fixture *f, const char *image, int v,
				const char *file, const char *want)
{
	char *got = version_file_text(f, image, v, file);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/** assert_store_clean() - nothing of @image (with @versions versions) but
 * what the registry says, and no work left in tmp/. */
static void assert_store_clean(struct fixture *f, const char *image, int versions)
{
	char *tmp = xasprintf("%s/tmp", f->state);
	char *dir = xasprintf("%s/images/%s", f->state, image);
	struct reg_image im;
	int rc = registry_image_get(f->st->reg, image, &im);

	if (versions == 0) {
		assert_int_equal(rc, -ENOENT);
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(im.nversions, versions);
	}
	assert_int_equal(tu_count_entries(dir), versions);
	assert_int_equal(tu_count_entries(tmp), 0);
	free(tmp);
	free(dir);
}

/** mkfs_ext4() - build @image of @size from @dir with the stock tool. */
static void mkfs_ext4(const char *dir, const char *image, const char *size)
{
	char out[1100];
	char *argv[] = { "mkfs.ext4", "-q", "-F", "-t", "ext4", "-d", (char *)dir,
			 (char *)image, (char *)size, NULL };
	int fd = open(image, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	close(fd);
	if (run_command(argv, out, sizeof(out)) != 0)
		fail_msg("mkfs.ext4: %s", out);
}

static int import(struct fixture *f, const char *image, const char *src,
		  const char *format, int *v, char *err, size_t errlen)
{
	struct import_opts o = { .image = image, .src = src, .format = format };

	if (format && strcmp(format, "raw") == 0)
		o.kind = IMPORT_RAW;
	*v = 0;
	return image_import(f->st, &o, v, err, errlen);
}

/* ---- fsformat ------------------------------------------------------------- */

static void test_run_command(void **state)
{
	char out[64], big[2048];
	char *missing[] = { "lanroot-no-such-program", NULL };
	char *fails[] = { "sh", "-c", "echo first; echo boom >&2; exit 3", NULL };
	char *quiet[] = { "sh", "-c", "exit 4", NULL };
	char *chatty[] = { "sh", "-c", "i=0; while [ $i -lt 500 ]; do echo line $i; "
			   "i=$((i+1)); done; exit 1", NULL };
	char *ok[] = { "true", NULL };

	(void)state;
	assert_int_equal(run_command(missing, out, sizeof(out)), -ENOENT);
	assert_non_null(strstr(out, "lanroot-no-such-program"));
	assert_int_equal(run_command(fails, out, sizeof(out)), -EIO);
	assert_string_equal(out, "first\nboom");
	assert_int_equal(run_command(quiet, out, sizeof(out)), -EIO);
	assert_string_equal(out, "sh exited with status 4");
	/* long output: the end is kept, cut at a line start */
	assert_int_equal(run_command(chatty, big, sizeof(big)), -EIO);
	assert_true(strlen(big) <= 1024);
	assert_non_null(strstr(big, "line 499"));
	assert_null(strstr(big, "line 1\n"));
	assert_true(str_has_prefix(big, "line "));
	assert_int_equal(run_command(chatty, out, sizeof(out)), -EIO);
	assert_true(strlen(out) < sizeof(out));
	assert_non_null(strstr(out, "line 499"));
	assert_int_equal(run_command(ok, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(run_command(ok, NULL, 0), 0);
}

static void test_detect_and_claimed_size(void **state)
{
	struct fixture *f = *state;
	static const enum fs_format formats[] = { FS_EXT4, FS_EROFS, FS_SQUASHFS };
	char err[1100];
	size_t i;
	int fd;

	make_tree(f->tree);
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		char *img = xasprintf("%s/%s.img", f->scratch, fs_format_name(formats[i]));
		uint64_t claimed = 0;
		struct stat st;

		if (fs_build(formats[i], f->tree, img, 0, err, sizeof(err)) != 0)
			fail_msg("fs_build %s: %s", fs_format_name(formats[i]), err);
		fd = open(img, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(fs_detect(fd), formats[i]);
		assert_int_equal(fs_claimed_size(fd, formats[i], &claimed), 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(claimed > 0);
		assert_true(claimed <= (uint64_t)st.st_size);
		/* asking for the wrong format is refused */
		assert_int_equal(fs_claimed_size(fd, formats[(i + 1) % 3], &claimed),
				 -EINVAL);
		close(fd);
		free(img);
	}

	/* too short, or nothing known */
	{
		char *p = xasprintf("%s/short", f->scratch);
		uint64_t claimed;

		assert_int_equal(file_write_atomic(p, "hsq", 3, 0644), 0);
		fd = open(p, O_RDONLY);
		assert_int_equal(fs_detect(fd), FS_UNKNOWN);
		assert_int_equal(fs_claimed_size(fd, FS_EXT4, &claimed), -EINVAL);
		close(fd);
		random_file(f->scratch, "noise", 8192);
		free(p);
		p = xasprintf("%s/noise", f->scratch);
		fd = open(p, O_RDONLY);
		assert_int_equal(fs_detect(fd), FS_UNKNOWN);
		close(fd);
		free(p);
	}
	assert_string_equal(fs_format_name(FS_UNKNOWN), "raw");
	assert_int_equal(fs_format_parse("erofs"), FS_EROFS);
	assert_int_equal(fs_format_parse("raw"), FS_UNKNOWN);
	assert_int_equal(fs_format_parse(NULL), FS_UNKNOWN);
}

static void test_build_errors(void **state)
{
	struct fixture *f = *state;
	char err[1100], *img = xasprintf("%s/x.img", f->scratch);
	char *file = xasprintf("%s/etc/hostname", f->tree);

	make_tree(f->tree);
	/* an explicit size that is too small is not grown */
	random_file(f->tree, "usr/lib/huge", 12 * MIB);
	assert_int_equal(fs_build(FS_EXT4, f->tree, img, 8 * MIB, err, sizeof(err)),
			 -EFBIG);
	assert_non_null(strstr(err, "does not fit"));
	assert_int_equal(access(img, F_OK), -1);
	/* not a directory, no such directory, unknown format */
	assert_int_equal(fs_build(FS_EXT4, file, img, 0, err, sizeof(err)), -ENOTDIR);
	assert_int_equal(fs_build(FS_SQUASHFS, "/nonexistent", img, 0, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(fs_build(FS_UNKNOWN, f->tree, img, 0, err, sizeof(err)), -EINVAL);

	/* unpacking something that is not what it is said to be */
	{
		char *out = xasprintf("%s/out", f->scratch);

		assert_int_equal(mkdir(out, 0755), 0);
		assert_int_equal(fs_build(FS_SQUASHFS, f->tree, img, 0, err, sizeof(err)), 0);
		assert_true(fs_extract(FS_EXT4, img, out, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "debugfs"));
		assert_true(fs_extract(FS_EROFS, img, out, err, sizeof(err)) < 0);
		assert_non_null(strstr(err, "fsck.erofs"));
		assert_int_equal(fs_extract(FS_SQUASHFS, "/nonexistent.img", out, err,
					    sizeof(err)), -ENOENT);
		assert_int_equal(fs_extract(FS_UNKNOWN, img, out, err, sizeof(err)),
				 -EINVAL);
		free(out);
	}
	free(img);
	free(file);
}

static void test_extract_file(void **state)
{
	struct fixture *f = *state;
	static const enum fs_format formats[] = { FS_EXT4, FS_EROFS, FS_SQUASHFS };
	char err[1100];
	size_t i;

	make_tree(f->tree);
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		char *img = xasprintf("%s/%s.img", f->scratch, fs_format_name(formats[i]));
		char *dst = xasprintf("%s/out", f->scratch);
		char *text = NULL;
		size_t len;

		assert_int_equal(fs_build(formats[i], f->tree, img, 0, err, sizeof(err)), 0);
		/* a symlink inside /boot is followed */
		if (fs_extract_file(formats[i], img, "/boot/vmlinuz", dst, err,
				    sizeof(err)) != 0)
			fail_msg("%s: %s", fs_format_name(formats[i]), err);
		assert_int_equal(file_read_all(dst, MIB, &text, &len), 0);
		assert_string_equal(text, "kernel 6.1.0-13\n");
		free(text);
		assert_int_equal(fs_extract_file(formats[i], img, "/etc/hostname", dst, err,
						 sizeof(err)), 0);
		assert_int_equal(fs_extract_file(formats[i], img, "/boot/nothing", dst,
						 err, sizeof(err)), -ENOENT);
		assert_int_equal(fs_extract_file(formats[i], img, "/nodir/nothing", dst,
						 err, sizeof(err)), -ENOENT);
		assert_int_equal(fs_extract_file(formats[i], img, "/etc/../x", dst,
						 err, sizeof(err)), -EINVAL);
		/* nothing left beside dst */
		assert_int_equal(unlink(dst), 0);
		assert_int_equal(tu_count_entries(f->scratch), (long)i + 1);
		free(img);
		free(dst);
	}
}

/* ---- trees ------------------------------------------------------------------- */

static void progress_count(const char *what, uint64_t done, uint64_t total, void *arg)
{
	int *calls = arg;

	(void)what;
	(void)done;
	(void)total;
	(*calls)++;
}

static void test_tree_each_format(void **state)
{
	struct fixture *f = *state;
	static const char *const formats[] = { "ext4", "erofs", "squashfs" };
	char err[1100];
	size_t i;

	make_tree(f->tree);
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		struct import_opts o = { .image = "lab", .src = f->tree,
					 .format = formats[i], .note = "from a tree" };
		struct reg_version rv;
		char *rootfs, *out = xasprintf("%s/%s", f->scratch, formats[i]);
		char sha[DIGEST_HEX_LEN + 1];
		int v = 0, fd, calls = 0;
		struct stat st;

		o.progress.fn = progress_count;
		o.progress.arg = &calls;
		if (image_import(f->st, &o, &v, err, sizeof(err)) != 0)
			fail_msg("%s: %s", formats[i], err);
		assert_int_equal(v, (int)i + 1);
		assert_true(calls > 0);
		assert_int_equal(registry_version_get(f->st->reg, "lab", v, &rv), 0);
		assert_string_equal(rv.format, formats[i]);
		assert_string_equal(rv.note, "from a tree");
		assert_string_equal(rv.kernel, STORE_KERNEL);
		assert_string_equal(rv.initrd, STORE_INITRD);

		rootfs = store_version_file(f->st, "lab", v, STORE_ROOTFS);
		fd = open(rootfs, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(fs_detect(fd), fs_format_parse(formats[i]));
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(rv.size, (uint64_t)st.st_size);
		assert_int_equal(digest_file(fd, NULL, sha), 0);
		assert_string_equal(rv.sha256, sha);
		close(fd);

		/* unpacked again it is the same tree */
		assert_int_equal(mkdir(out, 0755), 0);
		if (fs_extract(fs_format_parse(formats[i]), rootfs, out, err,
			       sizeof(err)) != 0)
			fail_msg("fs_extract %s: %s", formats[i], err);
		assert_same_tree_but(f->tree, out, unpack_losses(formats[i]));

		/* the newest kernel and its initrd */
		assert_version_text(f, "lab", v, STORE_KERNEL, "kernel 6.1.0-13\n");
		assert_version_text(f, "lab", v, STORE_INITRD, "initrd 6.1.0-13\n");
		free(rootfs);
		free(out);
	}
	assert_store_clean(f, "lab", 3);
}

static void test_tree_as_raw_refused(void **state)
{
	struct fixture *f = *state;
	char err[1100];
	int v;

	make_tree(f->tree);
	assert_int_equal(import(f, "lab", f->tree, "raw", &v, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "is a directory"));
	{
		struct import_opts o = { .image = "lab", .src = f->tree, .format = "raw" };

		assert_int_equal(image_import(f->st, &o, &v, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--format raw is for image files"));
	}
	assert_int_equal(import(f, "lab", f->tree, "xfs", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown format 'xfs' (use ext4, erofs or squashfs)");
	assert_int_equal(import(f, "bad/name", f->tree, NULL, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "invalid image name"));
	assert_store_clean(f, "lab", 0);
}

/* ---- kernel search ------------------------------------------------------------ */

static void test_kernel_search(void **state)
{
	struct fixture *f = *state;
	char err[1100], *log, *k, *i;
	int v;

	/* Fedora naming; a newer version whose files escape the tree or are
	 * not files is passed over; a rescue kernel sorts first. */
	tu_mkdir(f->tree, "boot", 0755);
	tu_put(f->tree, "boot/vmlinuz-6.5.6-300.fc39.x86_64", "fedora kernel\n", 0644);
	tu_put(f->tree, "boot/initramfs-6.5.6-300.fc39.x86_64.img", "fedora initramfs\n",
	    0644);
	tu_put(f->tree, "boot/vmlinuz-0-rescue-abc", "rescue\n", 0644);
	tu_symlink(f->tree, "boot/vmlinuz-9.9", "/etc/passwd");
	tu_symlink(f->tree, "boot/vmlinuz-9.8", "../../../../../../etc/passwd");
	tu_mkdir(f->tree, "boot/vmlinuz-9.7", 0755);
	tu_put(f->tree, "boot/vmlinuz-9.6", "", 0644);	/* empty */
	assert_int_equal(import(f, "fed", f->tree, "squashfs", &v, err, sizeof(err)), 0);
	assert_version_text(f, "fed", v, STORE_KERNEL, "fedora kernel\n");
	assert_version_text(f, "fed", v, STORE_INITRD, "fedora initramfs\n");

	/* --kernel and --initrd win over /boot */
	k = xasprintf("%s/my-kernel", f->scratch);
	i = xasprintf("%s/my-initrd", f->scratch);
	tu_put(f->scratch, "my-kernel", "given kernel\n", 0644);
	tu_put(f->scratch, "my-initrd", "given initrd\n", 0644);
	{
		struct import_opts o = { .image = "fed", .src = f->tree, .format = "squashfs",
					 .kernel = k, .initrd = i };

		assert_int_equal(image_import(f->st, &o, &v, err, sizeof(err)), 0);
		assert_version_text(f, "fed", v, STORE_KERNEL, "given kernel\n");
		assert_version_text(f, "fed", v, STORE_INITRD, "given initrd\n");

		/* only the kernel given: the initrd still comes from /boot */
		o.initrd = NULL;
		assert_int_equal(image_import(f->st, &o, &v, err, sizeof(err)), 0);
		assert_version_text(f, "fed", v, STORE_KERNEL, "given kernel\n");
		assert_version_text(f, "fed", v, STORE_INITRD, "fedora initramfs\n");

		/* a given file that is missing is an error, not a warning */
		o.kernel = "/nonexistent/vmlinuz";
		assert_int_equal(image_import(f->st, &o, &v, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "/nonexistent/vmlinuz"));
		o.kernel = f->scratch;
		assert_int_equal(image_import(f->st, &o, &v, err, sizeof(err)), -EINVAL);
	}
	assert_store_clean(f, "fed", 3);

	/* a plain vmlinuz / initrd.img pair */
	assert_int_equal(rm_rf(f->tree), 0);
	tu_mkdir(f->top, "tree", 0755);
	tu_mkdir(f->tree, "boot", 0755);
	tu_put(f->tree, "boot/vmlinuz", "plain kernel\n", 0644);
	tu_put(f->tree, "boot/initrd.img", "plain initrd\n", 0644);
	assert_int_equal(import(f, "plain", f->tree, "squashfs", &v, err, sizeof(err)), 0);
	assert_version_text(f, "plain", v, STORE_KERNEL, "plain kernel\n");
	assert_version_text(f, "plain", v, STORE_INITRD, "plain initrd\n");

	/* a kernel without its initrd: the kernel, and a warning */
	tu_put(f->tree, "boot/vmlinuz-7.0", "kernel 7\n", 0644);
	assert_int_equal(import(f, "plain", f->tree, "squashfs", &v, err, sizeof(err)), 0);
	assert_version_text(f, "plain", v, STORE_KERNEL, "kernel 7\n");
	assert_version_text(f, "plain", v, STORE_INITRD, NULL);
	log = tu_stream_text(f->log);
	assert_non_null(strstr(log, "no initrd found in"));
	free(log);

	/* no /boot at all: a warning naming the version */
	assert_int_equal(rm_rf(f->tree), 0);
	tu_mkdir(f->top, "tree", 0755);
	tu_put(f->tree, "hello", "world\n", 0644);
	assert_int_equal(import(f, "noboot", f->tree, "squashfs", &v, err, sizeof(err)), 0);
	assert_version_text(f, "noboot", v, STORE_KERNEL, NULL);
	log = tu_stream_text(f->log);
	assert_non_null(strstr(log, "no kernel or initrd found in"));
	assert_non_null(strstr(log, "noboot version 1"));
	free(log);
	{
		struct reg_version rv;

		assert_int_equal(registry_version_get(f->st->reg, "noboot", v, &rv), 0);
		assert_string_equal(rv.kernel, "");
		assert_string_equal(rv.initrd, "");
	}
	free(k);
	free(i);
}

/* ---- raw images ------------------------------------------------------------------ */

static void test_raw_images(void **state)
{
	struct fixture *f = *state;
	static const char *const formats[] = { "ext4", "erofs", "squashfs" };
	char err[1100];
	size_t i;

	make_tree(f->tree);
	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		char *img = xasprintf("%s/%s.img", f->scratch, formats[i]);
		char sha[DIGEST_HEX_LEN + 1];
		struct reg_version rv;
		int v, fd;

		if (i == 0)
			mkfs_ext4(f->tree, img, "64M");	/* not made by us */
		else
			assert_int_equal(fs_build(fs_format_parse(formats[i]), f->tree, img,
						  0, err, sizeof(err)), 0);
		if (import(f, "raw", img, NULL, &v, err, sizeof(err)) != 0)
			fail_msg("%s: %s", formats[i], err);
		assert_int_equal(registry_version_get(f->st->reg, "raw", v, &rv), 0);
		assert_string_equal(rv.format, formats[i]);
		fd = open(img, O_RDONLY);
		assert_int_equal(digest_file(fd, NULL, sha), 0);
		close(fd);
		assert_string_equal(rv.sha256, sha);
		/* the kernel came out of the image's /boot */
		assert_version_text(f, "raw", v, STORE_KERNEL, "kernel 6.1.0-13\n");
		assert_version_text(f, "raw", v, STORE_INITRD, "initrd 6.1.0-13\n");
		/* --format that says the same is fine, another is refused */
		assert_int_equal(import(f, "raw", img, formats[i], &v, err, sizeof(err)), 0);
		assert_int_equal(import(f, "raw", img, formats[(i + 1) % 3], &v, err,
					sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "file system, not"));
		free(img);
	}
	assert_store_clean(f, "raw", 6);
}

static void test_raw_refused(void **state)
{
	struct fixture *f = *state;
	char err[1100], want[1400];
	char *img = xasprintf("%s/disk.img", f->scratch);
	char *empty = xasprintf("%s/empty.img", f->scratch);
	char *noise = xasprintf("%s/noise.img", f->scratch);
	int v;

	make_tree(f->tree);

	/* missing */
	assert_int_equal(import(f, "lab", "/nonexistent/disk.img", NULL, &v, err,
				sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot read /nonexistent/disk.img: No such file or "
			    "directory");

	/* empty */
	assert_int_equal(file_write_atomic(empty, "", 0, 0644), 0);
	assert_int_equal(import(f, "lab", empty, NULL, &v, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s is empty", empty);
	assert_string_equal(err, want);

	/* truncated ext4 */
	mkfs_ext4(f->tree, img, "256M");
	assert_int_equal(truncate(img, MIB), 0);
	assert_int_equal(import(f, "lab", img, NULL, &v, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s is truncated: the ext4 file system needs "
		 "268435456 bytes, the file has 1048576", img);
	assert_string_equal(err, want);
	assert_int_equal(import(f, "lab", img, "raw", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is truncated"));

	/* truncated squashfs */
	assert_int_equal(fs_build(FS_SQUASHFS, f->tree, img, 0, err, sizeof(err)), 0);
	assert_int_equal(truncate(img, 4096), 0);
	assert_int_equal(import(f, "lab", img, NULL, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is truncated: the squashfs file system needs"));

	/* not a file system: refused unless --format raw */
	random_file(f->scratch, "noise.img", 2 * MIB);
	assert_int_equal(import(f, "lab", noise, NULL, &v, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s holds no ext4, erofs or squashfs file system "
		 "(use --format raw to import it anyway)", noise);
	assert_string_equal(err, want);
	assert_int_equal(import(f, "lab", noise, "ext4", &v, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s holds no ext4 file system", noise);
	assert_string_equal(err, want);
	assert_store_clean(f, "lab", 0);

	assert_int_equal(import(f, "lab", noise, "raw", &v, err, sizeof(err)), 0);
	{
		struct reg_version rv;

		assert_int_equal(registry_version_get(f->st->reg, "lab", v, &rv), 0);
		assert_string_equal(rv.format, "raw");
		assert_int_equal(rv.size, 2 * MIB);
		assert_string_equal(rv.kernel, "");
	}
	assert_store_clean(f, "lab", 1);

	/* a character device is no image */
	assert_int_equal(import(f, "lab", "/dev/null", NULL, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a regular file or a block device"));
	assert_store_clean(f, "lab", 1);
	free(img);
	free(empty);
	free(noise);
}

/* ---- tar ------------------------------------------------------------------------- */

static void test_tar(void **state)
{
	struct fixture *f = *state;
	char err[1100], out[1100];
	char *tar = xasprintf("%s/rootfs.tar.gz", f->scratch);
	char *plain = xasprintf("%s/rootfs.tar", f->scratch);
	char *back = xasprintf("%s/back", f->scratch);
	char *argv[] = { "tar", "-C", f->tree, "--numeric-owner", "-czf", tar, ".", NULL };
	char *argv2[] = { "tar", "-C", f->tree, "--numeric-owner", "-cf", plain, ".", NULL };
	char *rootfs;
	int v;

	make_tree(f->tree);
	if (run_command(argv, out, sizeof(out)) != 0 ||
	    run_command(argv2, out, sizeof(out)) != 0)
		fail_msg("tar: %s", out);
	/* detected as a tar by its magic, compressed or not */
	assert_int_equal(import(f, "tar", tar, NULL, &v, err, sizeof(err)), 0);
	assert_int_equal(import(f, "tar", plain, "erofs", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2);
	assert_version_text(f, "tar", v, STORE_KERNEL, "kernel 6.1.0-13\n");
	assert_version_text(f, "tar", v, STORE_INITRD, "initrd 6.1.0-13\n");
	rootfs = store_version_file(f->st, "tar", 1, STORE_ROOTFS);
	assert_int_equal(mkdir(back, 0755), 0);
	assert_int_equal(fs_extract(FS_EXT4, rootfs, back, err, sizeof(err)), 0);
	if (geteuid() == 0) {	/* owners survive only when root unpacks */
		static const char *const tar_loses[] = { "D /run-sock", NULL };

		assert_same_tree_but(f->tree, back, tar_loses);	/* tar skips sockets */
	}
	assert_store_clean(f, "tar", 2);

	/* a tar that is corrupt after its first header */
	{
		int fd = open(plain, O_WRONLY);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 5000), 0);	/* inside a block */
		close(fd);
	}
	assert_true(import(f, "tar", plain, NULL, &v, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, plain));
	assert_store_clean(f, "tar", 2);
	free(rootfs);
	free(tar);
	free(plain);
	free(back);
}

/* ---- a disk that fills up ------------------------------------------------------- */

/**
 * small_state() - a new store on an 8 MiB tmpfs, in a private mount
 * namespace so that nothing stays mounted.  Return 0, or -1 to skip.
 */
static int small_state(struct fixture *f, const char *dir)
{
	char err[512];

	if (geteuid() != 0)
		return -1;
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	assert_int_equal(mkdir(dir, 0755), 0);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=8m") < 0)
		return -1;
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_init(dir, err, sizeof(err)), 0);
	assert_int_equal(store_open(dir, &f->st, err, sizeof(err)), 0);
	return 0;
}

static void test_disk_full(void **state)
{
	struct fixture *f = *state;
	char *small = xasprintf("%s/small", f->top);
	char *img = xasprintf("%s/big.img", f->scratch);
	char *tmp = xasprintf("%s/tmp", small), *images = xasprintf("%s/images", small);
	char err[1100];
	struct reg_image im;
	int v;

	if (small_state(f, small) < 0) {
		free(small);
		free(img);
		free(tmp);
		free(images);
		tu_skip("mounting a small tmpfs needs root and CAP_SYS_ADMIN");
	}
	/* a small version fits */
	tu_put(f->tree, "hello", "world\n", 0644);
	assert_int_equal(import(f, "lab", f->tree, "squashfs", &v, err, sizeof(err)), 0);

	/* a raw image bigger than the disk */
	random_file(f->tree, "big", 20 * MIB);
	assert_int_equal(fs_build(FS_SQUASHFS, f->tree, img, 0, err, sizeof(err)), 0);
	assert_int_equal(import(f, "lab", img, NULL, &v, err, sizeof(err)), -ENOSPC);
	assert_true(str_has_prefix(err, "disk full while importing lab: "));

	/* a tree built on the full disk, as each format */
	assert_int_equal(import(f, "lab", f->tree, "ext4", &v, err, sizeof(err)), -ENOSPC);
	assert_true(str_has_prefix(err, "disk full while importing lab: "));
	assert_int_equal(import(f, "lab", f->tree, "erofs", &v, err, sizeof(err)), -ENOSPC);
	assert_int_equal(import(f, "lab", f->tree, "squashfs", &v, err, sizeof(err)),
			 -ENOSPC);

	/* a tar unpacked on the full disk */
	{
		char *tar = xasprintf("%s/big.tar", f->scratch), out[1100];
		char *argv[] = { "tar", "-C", f->tree, "-cf", tar, ".", NULL };

		assert_int_equal(run_command(argv, out, sizeof(out)), 0);
		assert_int_equal(import(f, "lab", tar, NULL, &v, err, sizeof(err)), -ENOSPC);
		assert_true(str_has_prefix(err, "disk full while importing lab: "));
		free(tar);
	}

	/* the registry and the store are as before */
	assert_int_equal(registry_image_get(f->st->reg, "lab", &im), 0);
	assert_int_equal(im.nversions, 1);
	assert_int_equal(im.latest, 1);
	assert_int_equal(tu_count_entries(tmp), 0);
	{
		char *lab = xasprintf("%s/lab", images);

		assert_int_equal(tu_count_entries(lab), 1);
		free(lab);
	}
	/* and, with the space back, the next import works */
	assert_int_equal(unlink(img), 0);
	{
		char *big = xasprintf("%s/big", f->tree);

		assert_int_equal(unlink(big), 0);
		free(big);
	}
	assert_int_equal(import(f, "lab", f->tree, "squashfs", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2);
	store_close(f->st);
	f->st = NULL;
	umount(small);
	assert_int_equal(store_open(f->state, &f->st, err, sizeof(err)), 0);
	free(small);
	free(img);
	free(tmp);
	free(images);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_command),
		cmocka_unit_test_setup_teardown(test_detect_and_claimed_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extract_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_each_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_as_raw_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
	};

	log_init("test-import", LOG_TARGET_STDERR, LOG_LVL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
