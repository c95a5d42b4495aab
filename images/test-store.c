/* Unit tests for images/store.c (layout, commit, delete, verify) and
 * images/capture.c (a client's overlay becomes the next version). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "capture.h"
#include "digest.h"
#include "overlay.h"
#include "store.h"
#include "testutil.h"
#include "util.h"

#define MiB (1024u * 1024u)
#define IMAGE_SIZE (4 * MiB + 4096)	/* a small image with a short last chunk */

/* Each test gets its own state directory. */
struct fixture {
	char *dir;		/* STATE_DIR */
	struct store *st;	/* open store */
	char err[512];		/* last message */
};

static int fixture_setup(void **state)
{
	static int n;
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = xasprintf("%s/state%d", tu_group_dir(), n++);
	if (store_init(f->dir, f->err, sizeof(f->err)) < 0 ||
	    store_open(f->dir, &f->st, f->err, sizeof(f->err)) < 0) {
		fprintf(stderr, "setup: %s\n", f->err);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	rm_rf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/**
 * make_work() - a work directory holding a rootfs (data in its first MiB,
 * the rest a hole), a kernel and an initrd; *@v describes it.
 */
static char *make_work(struct fixture *f, const char *image, uint32_t seed,
		       struct reg_version *v)
{
	char *work, *rootfs, *kernel, *initrd;
	int fd;

	assert_int_equal(store_workdir(f->st, &work), 0);
	rootfs = xasprintf("%s/" STORE_ROOTFS, work);
	kernel = xasprintf("%s/" STORE_KERNEL, work);
	initrd = xasprintf("%s/" STORE_INITRD, work);
	tu_write_random(rootfs, MiB, seed);
	fd = open(rootfs, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMAGE_SIZE), 0);
	memset(v, 0, sizeof(*v));
	strcpy(v->image, image);
	v->size = IMAGE_SIZE;
	assert_int_equal(digest_file(fd, NULL, v->sha256), 0);
	close(fd);
	tu_write_random(kernel, 1000, seed + 1);
	tu_write_random(initrd, 2000, seed + 2);
	strcpy(v->format, "ext4");
	strcpy(v->kernel, STORE_KERNEL);
	strcpy(v->initrd, STORE_INITRD);
	strcpy(v->note, "test");
	free(rootfs);
	free(kernel);
	free(initrd);
	return work;
}

/** commit() - make and commit a version of @image; returns its number. */
static int commit(struct fixture *f, const char *image, uint32_t seed)
{
	struct reg_version v;
	char *work = make_work(f, image, seed, &v);
	int version = 0;

	if (store_commit_version(f->st, work, &v, &version, f->err, sizeof(f->err)) < 0)
		fail_msg("commit: %s", f->err);
	assert_int_equal(access(work, F_OK), -1);	/* moved into place */
	free(work);
	return version;
}

/** exists() - whether @path exists (without following a last symlink). */
static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/** tmp_is_empty() - whether STATE_DIR/tmp holds nothing. */
static bool tmp_is_empty(struct fixture *f)
{
	char *tmp = xasprintf("%s/tmp", f->dir);
	char *cmd = xasprintf("test -z \"$(ls -A '%s')\"", tmp);
	int rc = system(cmd);

	free(tmp);
	free(cmd);
	return rc == 0;
}

/* ---- init and open ----------------------------------------------------- */

static void test_init_layout_and_idempotence(void **state)
{
	char *dir = xasprintf("%s/fresh/state", tu_group_dir());
	char *secret = xasprintf("%s/secret", dir), *sub;
	uint8_t key1[SECRET_LEN], key2[SECRET_LEN];
	char err[256];
	struct stat st;

	assert_int_equal(store_init(dir, err, sizeof(err)), 0);
	assert_int_equal(stat(secret, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(secret_load(secret, key1), 0);
	sub = xasprintf("%s/overlays", dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(sub);
	sub = xasprintf("%s/images", dir);
	assert_true(exists(sub));
	free(sub);
	sub = xasprintf("%s/registry.db", dir);
	assert_true(exists(sub));
	free(sub);

	/* Again: everything kept, the secret never replaced. */
	assert_int_equal(store_init(dir, err, sizeof(err)), 0);
	assert_int_equal(secret_load(secret, key2), 0);
	assert_memory_equal(key1, key2, SECRET_LEN);

	/* A secret others can read is refused, by init and by open. */
	assert_int_equal(chmod(secret, 0644), 0);
	assert_int_equal(store_init(dir, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "chmod 600"));
	{
		struct store *st2 = NULL;

		assert_int_equal(store_open(dir, &st2, err, sizeof(err)), -EPERM);
		assert_null(st2);
	}
	rm_rf(dir);
	free(dir);
	free(secret);
}

static void test_open_refuses_non_state_dir(void **state)
{
	char *dir = xasprintf("%s/not-state", tu_group_dir());
	struct store *st = NULL;
	char err[256] = "";

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(store_open(dir, &st, err, sizeof(err)), -ENOENT);
	assert_null(st);
	assert_non_null(strstr(err, "is not a lanroot state directory; run 'lanroot init'"));
	rmdir(dir);
	/* A directory that does not exist at all. */
	assert_int_equal(store_open(dir, &st, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "run 'lanroot init'"));
	assert_int_equal(store_init("", err, sizeof(err)), -EINVAL);
	free(dir);
}

static void test_paths(void **state)
{
	struct fixture *f = *state;
	char *p, *want, *work, *work2, *tmp;

	p = store_version_dir(f->st, "lab", 3);
	want = xasprintf("%s/images/lab/3", f->dir);
	assert_string_equal(p, want);
	free(p);
	free(want);
	p = store_version_file(f->st, "lab", 3, STORE_ROOTFS);
	want = xasprintf("%s/images/lab/3/rootfs.img", f->dir);
	assert_string_equal(p, want);
	free(p);
	free(want);
	p = store_overlay_dir(f->st, "52:54:00:AB:cd:0e");
	want = xasprintf("%s/overlays/52-54-00-ab-cd-0e", f->dir);
	assert_string_equal(p, want);
	free(p);
	free(want);
	p = store_overlay_dir(f->st, "../../etc");	/* never escapes overlays/ */
	want = xasprintf("%s/overlays/invalid-______etc", f->dir);
	assert_string_equal(p, want);
	free(p);
	free(want);

	assert_int_equal(store_workdir(f->st, &work), 0);
	assert_int_equal(store_workdir(f->st, &work2), 0);
	tmp = xasprintf("%s/tmp/", f->dir);
	assert_true(str_has_prefix(work, tmp));
	assert_string_not_equal(work, work2);
	assert_true(exists(work) && exists(work2));
	rmdir(work);
	rmdir(work2);
	free(work);
	free(work2);
	free(tmp);
}

/* ---- commit -------------------------------------------------------------- */

static void test_commit_versions(void **state)
{
	struct fixture *f = *state;
	struct reg_version v;
	json_error_t jerr;
	json_t *m;
	char *dir, *mpath;
	struct stat st;

	assert_int_equal(commit(f, "lab", 1), 1);
	assert_int_equal(commit(f, "lab", 2), 2);
	assert_int_equal(commit(f, "other", 3), 1);

	dir = store_version_dir(f->st, "lab", 2);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);	/* daemons read it */
	free(dir);
	assert_int_equal(registry_version_get(f->st->reg, "lab", 2, &v), 0);
	assert_int_equal(v.size, IMAGE_SIZE);
	assert_string_equal(v.note, "test");
	assert_true(v.created[0] != '\0');

	mpath = store_version_file(f->st, "lab", 2, STORE_MANIFEST);
	m = json_load_file(mpath, 0, &jerr);
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "image")), "lab");
	assert_int_equal(json_integer_value(json_object_get(m, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(m, "size")), IMAGE_SIZE);
	assert_string_equal(json_string_value(json_object_get(m, "sha256")), v.sha256);
	assert_string_equal(json_string_value(json_object_get(m, "digest")),
			    "sha256-chunked-1MiB");
	assert_string_equal(json_string_value(json_object_get(m, "format")), "ext4");
	assert_string_equal(json_string_value(json_object_get(m, "created")), v.created);
	assert_true(json_is_null(json_object_get(m, "parent")));
	assert_string_equal(json_string_value(json_object_get(m, "kernel")), STORE_KERNEL);
	json_decref(m);
	free(mpath);
	assert_true(tmp_is_empty(f));
}

static void test_commit_failure_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct reg_version v, got;
	struct reg_image im;
	char *work, *imgdir;
	int version = 0;

	/* images/NAME is a file: the rename into place fails. */
	imgdir = xasprintf("%s/images/blocked", f->dir);
	tu_write_random(imgdir, 10, 1);
	work = make_work(f, "blocked", 1, &v);
	assert_true(store_commit_version(f->st, work, &v, &version, f->err,
					 sizeof(f->err)) < 0);
	assert_non_null(strstr(f->err, "blocked"));
	assert_false(exists(work));
	assert_int_equal(registry_image_get(f->st->reg, "blocked", &im), -ENOENT);
	free(work);
	unlink(imgdir);
	free(imgdir);

	/* The registry refuses the row (bad digest): nothing either. */
	assert_int_equal(commit(f, "lab", 1), 1);
	work = make_work(f, "lab", 2, &v);
	strcpy(v.sha256, "not-a-digest");
	assert_int_equal(store_commit_version(f->st, work, &v, &version, f->err,
					      sizeof(f->err)), -EINVAL);
	assert_false(exists(work));
	free(work);
	assert_int_equal(registry_version_get(f->st->reg, "lab", 2, &got), -ENOENT);
	imgdir = store_version_dir(f->st, "lab", 2);
	assert_false(exists(imgdir));
	free(imgdir);

	/* A work directory without a rootfs. */
	assert_int_equal(store_workdir(f->st, &work), 0);
	assert_int_equal(store_commit_version(f->st, work, &v, &version, f->err,
					      sizeof(f->err)), -EINVAL);
	assert_false(exists(work));
	free(work);
	assert_true(tmp_is_empty(f));

	/* After all that, the next version is still number 2. */
	assert_int_equal(commit(f, "lab", 3), 2);
}

static void test_commit_replaces_orphan_dir(void **state)
{
	struct fixture *f = *state;
	char *orphan, *junk, *rootfs;

	/* A crash between rename and commit left images/lab/1 without a row. */
	orphan = store_version_dir(f->st, "lab", 1);
	assert_int_equal(mkdir_p(orphan, 0755), 0);
	junk = xasprintf("%s/junk", orphan);
	tu_write_random(junk, 10, 1);
	assert_int_equal(commit(f, "lab", 4), 1);
	assert_false(exists(junk));
	rootfs = store_version_file(f->st, "lab", 1, STORE_ROOTFS);
	assert_true(exists(rootfs));
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), 0);
	free(orphan);
	free(junk);
	free(rootfs);
}

/* ---- delete -------------------------------------------------------------- */

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct reg_group g;
	struct reg_version v;
	char *dir2, *dir3;

	assert_int_equal(commit(f, "lab", 1), 1);	/* published */
	assert_int_equal(commit(f, "lab", 2), 2);
	assert_int_equal(commit(f, "lab", 3), 3);
	memset(&g, 0, sizeof(g));
	strcpy(g.name, "room1");
	strcpy(g.image, "lab");
	g.version = 2;
	assert_int_equal(registry_group_add(f->st->reg, &g), 0);

	dir2 = store_version_dir(f->st, "lab", 2);
	dir3 = store_version_dir(f->st, "lab", 3);
	assert_int_equal(store_delete_version(f->st, "lab", 2, f->err, sizeof(f->err)),
			 -EBUSY);
	assert_non_null(strstr(f->err, "room1"));
	assert_true(exists(dir2));
	assert_int_equal(registry_version_get(f->st->reg, "lab", 2, &v), 0);

	assert_int_equal(store_delete_version(f->st, "lab", 3, f->err, sizeof(f->err)), 0);
	assert_false(exists(dir3));
	assert_int_equal(registry_version_get(f->st->reg, "lab", 3, &v), -ENOENT);
	assert_int_equal(store_delete_version(f->st, "lab", 3, f->err, sizeof(f->err)),
			 -ENOENT);
	assert_int_equal(store_delete_version(f->st, "../x", 1, f->err, sizeof(f->err)),
			 -EINVAL);
	assert_true(tmp_is_empty(f));
	free(dir2);
	free(dir3);
}

/* ---- verify -------------------------------------------------------------- */

static void test_verify(void **state)
{
	struct fixture *f = *state;
	char *rootfs, *mpath, *text;
	uint8_t byte;
	size_t len;
	int fd;

	assert_int_equal(commit(f, "lab", 1), 1);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), 0);

	/* One flipped byte. */
	rootfs = store_version_file(f->st, "lab", 1, STORE_ROOTFS);
	fd = open(rootfs, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread_full(fd, &byte, 1, 12345), 0);
	byte ^= 0x10;
	assert_int_equal(pwrite_full(fd, &byte, 1, 12345), 0);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), -EBADMSG);
	assert_non_null(strstr(f->err, "version 1 of lab: rootfs.img digest"));
	assert_non_null(strstr(f->err, "does not match the manifest"));
	byte ^= 0x10;
	assert_int_equal(pwrite_full(fd, &byte, 1, 12345), 0);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), 0);

	/* Data written into a hole of the image. */
	byte = 1;
	assert_int_equal(pwrite_full(fd, &byte, 1, IMAGE_SIZE - 1), 0);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), -EBADMSG);
	byte = 0;
	assert_int_equal(pwrite_full(fd, &byte, 1, IMAGE_SIZE - 1), 0);

	/* A truncated image. */
	assert_int_equal(ftruncate(fd, IMAGE_SIZE - 1), 0);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), -EBADMSG);
	assert_non_null(strstr(f->err, "bytes"));
	assert_int_equal(ftruncate(fd, IMAGE_SIZE), 0);
	close(fd);

	/* A damaged manifest. */
	mpath = store_version_file(f->st, "lab", 1, STORE_MANIFEST);
	assert_int_equal(file_read_all(mpath, 65536, &text, &len), 0);
	assert_int_equal(file_write_atomic(mpath, text, len / 2, 0644), 0);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), -EBADMSG);
	unlink(mpath);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), -EBADMSG);
	assert_non_null(strstr(f->err, "missing"));
	assert_int_equal(file_write_atomic(mpath, text, len, 0644), 0);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), 0);

	/* A missing image file; an unknown version. */
	unlink(rootfs);
	assert_int_equal(store_verify_version(f->st, "lab", 1, NULL, f->err,
					      sizeof(f->err)), -ENOENT);
	assert_int_equal(store_verify_version(f->st, "lab", 9, NULL, f->err,
					      sizeof(f->err)), -ENOENT);
	free(text);
	free(mpath);
	free(rootfs);
}

static void test_manifest_render(void **state)
{
	struct reg_version v;
	json_error_t jerr;
	json_t *m;
	char *text;

	memset(&v, 0, sizeof(v));
	strcpy(v.image, "lab");
	v.version = 4;
	v.size = 5000000000ull;		/* beyond 32 bits */
	memset(v.sha256, 'a', 64);
	strcpy(v.format, "squashfs");
	strcpy(v.created, "2026-01-01T00:00:00Z");
	v.parent = 3;
	strcpy(v.note, "with \"quotes\" and \\ backslash");
	text = manifest_render(&v);
	assert_non_null(text);
	assert_int_equal(text[strlen(text) - 1], '\n');
	m = json_loads(text, 0, &jerr);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "size")), 5000000000ll);
	assert_int_equal(json_integer_value(json_object_get(m, "parent")), 3);
	assert_string_equal(json_string_value(json_object_get(m, "note")), v.note);
	assert_true(json_is_null(json_object_get(m, "kernel")));
	assert_true(json_is_null(json_object_get(m, "initrd")));
	json_decref(m);
	free(text);
	assert_null(manifest_render(NULL));
}

/* ---- capture ------------------------------------------------------------- */

/** add_client() - group @group (@mode) on lab and client pc01 in it. */
static void add_client(struct fixture *f, const char *mode)
{
	struct reg_group g;
	struct reg_client c;

	memset(&g, 0, sizeof(g));
	strcpy(g.name, "room1");
	strcpy(g.image, "lab");
	strcpy(g.mode, mode);
	assert_int_equal(registry_group_add(f->st->reg, &g), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.mac, "52:54:00:12:34:56");
	strcpy(c.name, "pc01");
	strcpy(c.group, "room1");
	assert_int_equal(registry_client_add(f->st->reg, &c), 0);
}

static void test_capture(void **state)
{
	struct fixture *f = *state;
	struct reg_resolved r;
	struct reg_version v2;
	struct overlay *ov;
	uint8_t data[8192], *base, *got;
	char *k1, *k2, *rootfs1, *rootfs2;
	struct stat s1, s2;
	int version = 0, fd;

	assert_int_equal(commit(f, "lab", 1), 1);
	add_client(f, MODE_PERSISTENT);

	/* No overlay yet. */
	assert_int_equal(client_capture(f->st, "pc01", "x", NULL, &version, f->err,
					sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, "client pc01 has no server-side overlay"));

	/* Write through the overlay: into data and into the hole at the end. */
	assert_int_equal(registry_client_resolve(f->st->reg, "pc01", &r), 0);
	assert_int_equal(client_overlay_open(f->st, &r, OVERLAY_CREATE, &ov, f->err,
					     sizeof(f->err)), 0);
	tu_fill_random(data, sizeof(data), 77);
	assert_int_equal(overlay_write(ov, data, sizeof(data), 4096, 0), 0);
	assert_int_equal(overlay_write(ov, data, 100, IMAGE_SIZE - 100, 0), 0);
	assert_int_equal(overlay_flush(ov), 0);
	assert_int_equal(overlay_close(ov), 0);

	assert_int_equal(client_capture(f->st, "pc01", "golden", NULL, &version, f->err,
					sizeof(f->err)), 0);
	assert_int_equal(version, 2);
	assert_int_equal(registry_version_get(f->st->reg, "lab", 2, &v2), 0);
	assert_int_equal(v2.parent, 1);
	assert_string_equal(v2.note, "golden");
	assert_string_equal(v2.format, "ext4");
	assert_int_equal(v2.size, IMAGE_SIZE);
	assert_int_equal(store_verify_version(f->st, "lab", 2, NULL, f->err,
					      sizeof(f->err)), 0);

	/* New content = base + the writes. */
	rootfs1 = store_version_file(f->st, "lab", 1, STORE_ROOTFS);
	rootfs2 = store_version_file(f->st, "lab", 2, STORE_ROOTFS);
	base = malloc(IMAGE_SIZE);
	got = malloc(IMAGE_SIZE);
	fd = open(rootfs1, O_RDONLY);
	assert_int_equal(pread_full(fd, base, IMAGE_SIZE, 0), 0);
	close(fd);
	memcpy(base + 4096, data, sizeof(data));
	memcpy(base + IMAGE_SIZE - 100, data, 100);
	fd = open(rootfs2, O_RDONLY);
	assert_int_equal(pread_full(fd, got, IMAGE_SIZE, 0), 0);
	close(fd);
	assert_memory_equal(base, got, IMAGE_SIZE);

	/* Kernel shared with the base (a hard link). */
	k1 = store_version_file(f->st, "lab", 1, STORE_KERNEL);
	k2 = store_version_file(f->st, "lab", 2, STORE_KERNEL);
	assert_int_equal(stat(k1, &s1), 0);
	assert_int_equal(stat(k2, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);

	/* The overlay is left as it was; the group still boots version 1. */
	assert_int_equal(client_overlay_open(f->st, &r, OVERLAY_READONLY, &ov, f->err,
					     sizeof(f->err)), 0);
	overlay_close(ov);
	assert_true(tmp_is_empty(f));

	/* Unknown client. */
	assert_int_equal(client_capture(f->st, "pc99", NULL, NULL, &version, f->err,
					sizeof(f->err)), -ENOENT);
	free(k1);
	free(k2);
	free(rootfs1);
	free(rootfs2);
	free(base);
	free(got);
}

static void test_capture_volatile(void **state)
{
	struct fixture *f = *state;
	int version = 0;

	assert_int_equal(commit(f, "lab", 1), 1);
	add_client(f, MODE_VOLATILE);
	assert_int_equal(client_capture(f->st, "52-54-00-12-34-56", NULL, NULL, &version,
					f->err, sizeof(f->err)), -ENOENT);
	assert_string_equal(f->err,
			    "client pc01 has no server-side overlay (mode volatile)");
}

static void test_base_id(void **state)
{
	struct reg_version v;
	char id[OVERLAY_BASE_ID_MAX + 1];

	memset(&v, 0, sizeof(v));
	strcpy(v.image, "lab");
	v.version = 12;
	memset(v.sha256, 'f', 64);
	client_base_id(&v, id, sizeof(id));
	assert_true(str_has_prefix(id, "lab@12:ffff"));
	assert_int_equal(strlen(id), strlen("lab@12:") + 64);
	/* The longest name, version and whole digest still fit. */
	memset(v.image, 'x', NAME_MAX_LEN);
	v.version = 2147483647;
	client_base_id(&v, id, sizeof(id));
	assert_int_equal(strlen(id), NAME_MAX_LEN + strlen("@2147483647:") + 64);
	assert_true(strlen(id) <= OVERLAY_BASE_ID_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_layout_and_idempotence),
		cmocka_unit_test(test_open_refuses_non_state_dir),
		cmocka_unit_test_setup_teardown(test_paths, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_versions, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_leaves_nothing,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_commit_replaces_orphan_dir,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_delete, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_verify, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_manifest_render),
		cmocka_unit_test_setup_teardown(test_capture, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_capture_volatile, fixture_setup,
						fixture_teardown),
		cmocka_unit_test(test_base_id),
	};

	return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
