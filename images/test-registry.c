/* Unit tests for images/registry.c: opening and migrations, version
 * numbering, publish/rollback, refusals, groups, clients, resolution,
 * audit, transactions and two processes writing at once.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "registry.h"
#include "testutil.h"
#include "util.h"

/* The schema this lanroot writes. */
#define SCHEMA_NOW 2

/* Versions each child adds in the concurrency test. */
#define CONCURRENT_ADDS 20
#define CONCURRENT_CHILDREN 2

struct fixture {
	char *dir;		/* private temporary directory */
	char path[128];		/* DIR/registry.db */
	struct registry *reg;	/* open on path */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char err[512] = "";

	f->dir = tu_scratch_make();
	snprintf(f->path, sizeof(f->path), "%s/registry.db", f->dir);
	if (registry_open(f->path, &f->reg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	registry_close(f->reg);
	tu_scratch_remove(f->dir);
	free(f);
	return 0;
}

/** add_version() - add a version of @image with fixed contents; its number. */
static int add_version(struct registry *reg, const char *image)
{
	struct reg_version v;
	int n = 0, rc;

	memset(&v, 0, sizeof(v));
	snprintf(v.image, sizeof(v.image), "%s", image);
	snprintf(v.format, sizeof(v.format), "ext4");
	memset(v.sha256, 'a', 64);
	v.size = 1 << 20;
	snprintf(v.kernel, sizeof(v.kernel), "vmlinuz");
	snprintf(v.initrd, sizeof(v.initrd), "initrd.img");
	rc = registry_version_add(reg, &v, NULL, NULL, &n);
	if (rc < 0) {
		fprintf(stderr, "add_version: %s\n", registry_error(reg));
		return rc;
	}
	return n;
}

/** add_group() - add group @name of @image pinned to @version (0 = follow). */
static int add_group(struct registry *reg, const char *name, const char *image, int version)
{
	struct reg_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.image, sizeof(g.image), "%s", image);
	g.version = version;
	return registry_group_add(reg, &g);
}

/** add_client() - add client @name with @mac in group @group. */
static int add_client(struct registry *reg, const char *mac, const char *name,
		      const char *group)
{
	struct reg_client c;

	memset(&c, 0, sizeof(c));
	snprintf(c.mac, sizeof(c.mac), "%s", mac);
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.group, sizeof(c.group), "%s", group);
	return registry_client_add(reg, &c);
}

/** raw_exec() - run @sql on @path with plain SQLite (outside the registry). */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/* ---- opening ------------------------------------------------------------- */

static void test_create_reopen(void **state)
{
	struct fixture *f = *state;
	struct registry *second = NULL;
	struct reg_image im;
	char err[512];

	assert_int_equal(registry_schema_version(f->reg), SCHEMA_NOW);
	assert_int_equal(add_version(f->reg, "lab"), 1);
	registry_close(f->reg);
	f->reg = NULL;

	/* Reopen: nothing to migrate, data kept; twice at once is fine. */
	assert_int_equal(registry_open(f->path, &f->reg, err, sizeof(err)), 0);
	assert_int_equal(registry_open(f->path, &second, err, sizeof(err)), 0);
	assert_int_equal(registry_schema_version(f->reg), SCHEMA_NOW);
	assert_int_equal(registry_schema_version(second), SCHEMA_NOW);
	assert_int_equal(registry_image_get(second, "lab", &im), 0);
	assert_int_equal(im.published, 1);
	assert_int_equal(im.nversions, 1);
	registry_close(second);
}

static void test_open_empty_file(void **state)
{
	struct fixture *f = *state;
	struct registry *reg = NULL;
	char path[192], err[512];
	int fd;

	/* A zero-length file is an empty database: initialised. */
	snprintf(path, sizeof(path), "%s/empty.db", f->dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(registry_open(path, &reg, err, sizeof(err)), 0);
	assert_int_equal(registry_schema_version(reg), SCHEMA_NOW);
	registry_close(reg);
}

static void test_open_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct registry *reg = NULL;
	char path[192], err[512] = "";

	snprintf(path, sizeof(path), "%s/no/such/dir/registry.db", f->dir);
	assert_true(registry_open(path, &reg, err, sizeof(err)) < 0);
	assert_null(reg);
	assert_contains(err, "cannot open registry");
	assert_contains(err, path);
}

static void test_not_a_database(void **state)
{
	struct fixture *f = *state;
	struct registry *reg = NULL;
	static const char junk[] = "this is a text file, not an SQLite database at all, "
		"and it is long enough to hold a whole header of one........";
	char path[192], err[512] = "", *data = NULL;
	size_t len = 0;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/junk.db", f->dir);
	assert_int_equal(file_write_atomic(path, junk, strlen(junk), 0600), 0);
	assert_int_equal(registry_open(path, &reg, err, sizeof(err)), -EINVAL);
	assert_null(reg);
	assert_contains(err, "is not a lanroot registry (file is not a database)");
	assert_contains(err, path);

	/* The file is left exactly as it was. */
	assert_int_equal(file_read_all(path, 4096, &data, &len), 0);
	assert_int_equal(len, strlen(junk));
	assert_memory_equal(data, junk, len);
	free(data);
	snprintf(path, sizeof(path), "%s/junk.db-wal", f->dir);
	assert_int_equal(stat(path, &sb), -1);
}

static void test_foreign_database(void **state)
{
	struct fixture *f = *state;
	struct registry *reg = NULL;
	char path[192], err[512] = "";

	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	raw_exec(path, "CREATE TABLE songs(title TEXT)");
	assert_int_equal(registry_open(path, &reg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "is not a lanroot registry");

	/* Another program's application_id, no tables: not ours either. */
	snprintf(path, sizeof(path), "%s/other2.db", f->dir);
	raw_exec(path, "PRAGMA application_id = 1234");
	assert_int_equal(registry_open(path, &reg, err, sizeof(err)), -EINVAL);
	assert_contains(err, "is not a lanroot registry");
}

static void test_newer_schema(void **state)
{
	struct fixture *f = *state;
	char err[512] = "";

	registry_close(f->reg);
	f->reg = NULL;
	raw_exec(f->path, "PRAGMA user_version = 7");
	assert_int_equal(registry_open(f->path, &f->reg, err, sizeof(err)), -ENOTSUP);
	assert_null(f->reg);
	assert_contains(err, "registry schema 7 is newer than this lanroot (knows 2)");
}

/* A schema 1 registry (lanroot 0.1) is migrated on open: its data kept,
 * the new group menu and client ip empty. */
static void test_migrate_from_1(void **state)
{
	struct fixture *f = *state;
	struct reg_group g;
	struct reg_client c;
	char err[512] = "";

	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_group(f->reg, "room101", "lab", 0), 0);
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:56", "pc1", "room101"), 0);
	registry_close(f->reg);
	f->reg = NULL;
	/* Take the database back to what schema 1 was. */
	raw_exec(f->path, "DROP INDEX clients_ip; ALTER TABLE clients DROP COLUMN ip; "
		 "ALTER TABLE groups DROP COLUMN menu; PRAGMA user_version = 1");
	assert_int_equal(registry_open(f->path, &f->reg, err, sizeof(err)), 0);
	assert_int_equal(registry_schema_version(f->reg), SCHEMA_NOW);
	assert_int_equal(registry_group_get(f->reg, "room101", &g), 0);
	assert_string_equal(g.image, "lab");
	assert_string_equal(g.menu, "");
	assert_int_equal(registry_client_get(f->reg, "pc1", &c), 0);
	assert_string_equal(c.ip, "");
	assert_string_equal(c.group, "room101");
	/* The new columns work after the migration. */
	snprintf(c.ip, sizeof(c.ip), "10.0.0.5");
	assert_int_equal(registry_client_set(f->reg, &c), 0);
	assert_int_equal(registry_client_get(f->reg, "pc1", &c), 0);
	assert_string_equal(c.ip, "10.0.0.5");
}

/* ---- versions ------------------------------------------------------------ */

static void test_version_numbering(void **state)
{
	struct fixture *f = *state;
	struct reg_version *list = NULL;
	struct reg_image im;
	size_t n = 0;

	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_version(f->reg, "lab"), 2);
	assert_int_equal(add_version(f->reg, "lab"), 3);
	/* Each image counts on its own. */
	assert_int_equal(add_version(f->reg, "kiosk"), 1);

	/* A deleted number is never handed out again, not even the top one. */
	assert_int_equal(registry_version_delete(f->reg, "lab", 3), 0);
	assert_int_equal(add_version(f->reg, "lab"), 4);
	assert_int_equal(registry_version_delete(f->reg, "lab", 2), 0);
	assert_int_equal(registry_version_delete(f->reg, "lab", 4), 0);
	assert_int_equal(add_version(f->reg, "lab"), 5);

	/* ... and the counter survives a reopen. */
	registry_close(f->reg);
	assert_int_equal(registry_open(f->path, &f->reg, NULL, 0), 0);
	assert_int_equal(add_version(f->reg, "lab"), 6);

	assert_int_equal(registry_version_list(f->reg, "lab", &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].version, 1);
	assert_int_equal(list[1].version, 5);
	assert_int_equal(list[2].version, 6);
	assert_string_equal(list[1].image, "lab");
	assert_string_equal(list[1].format, "ext4");
	assert_string_equal(list[1].kernel, "vmlinuz");
	assert_int_equal(list[1].size, 1 << 20);
	assert_true(list[0].published);
	assert_false(list[1].published);
	free(list);

	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.latest, 6);
	assert_int_equal(im.nversions, 3);
	assert_int_equal(im.published, 1);

	assert_int_equal(registry_version_list(f->reg, "nope", &list, &n), -ENOENT);
	assert_int_equal(registry_version_delete(f->reg, "lab", 2), -ENOENT);
	assert_contains(registry_error(f->reg), "image lab has no version 2");
}

static void test_first_version_published(void **state)
{
	struct fixture *f = *state;
	struct reg_version v;
	struct reg_image im;

	assert_int_equal(registry_image_get(f->reg, "lab", &im), -ENOENT);
	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_version(f->reg, "lab"), 2);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 1);
	assert_int_equal(im.latest, 2);
	assert_int_equal(registry_version_get(f->reg, "lab", 1, &v), 0);
	assert_true(v.published);
	assert_true(v.created[0] != '\0');
	assert_int_equal(registry_version_get(f->reg, "lab", 2, &v), 0);
	assert_false(v.published);
	assert_int_equal(registry_version_get(f->reg, "lab", 3, &v), -ENOENT);
}

static void test_version_fields(void **state)
{
	struct fixture *f = *state;
	struct reg_version v, got;
	int n = 0;

	memset(&v, 0, sizeof(v));
	snprintf(v.image, sizeof(v.image), "lab");
	snprintf(v.format, sizeof(v.format), "squashfs");
	snprintf(v.note, sizeof(v.note), "installed firefox");
	snprintf(v.created, sizeof(v.created), "2026-01-02T03:04:05Z");
	v.parent = 0;
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), 0);
	assert_int_equal(n, 1);
	v.parent = 1;
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), 0);
	assert_int_equal(registry_version_get(f->reg, "lab", 2, &got), 0);
	assert_int_equal(got.parent, 1);
	assert_string_equal(got.note, "installed firefox");
	assert_string_equal(got.created, "2026-01-02T03:04:05Z");
	assert_string_equal(got.sha256, "");

	/* A note filling its whole field (no terminator) is refused. */
	memset(v.note, 'x', sizeof(v.note));
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), -EINVAL);
	assert_contains(registry_error(f->reg), "note is too long (at most 255 bytes)");
	v.note[0] = '\0';

	snprintf(v.format, sizeof(v.format), "zip");
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), -EINVAL);
	assert_contains(registry_error(f->reg), "invalid format 'zip'");
	snprintf(v.format, sizeof(v.format), "raw");

	snprintf(v.sha256, sizeof(v.sha256), "abc");
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), -EINVAL);
	memset(v.sha256, 'A', 64);
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), -EINVAL);
	v.sha256[0] = '\0';

	snprintf(v.kernel, sizeof(v.kernel), "../../etc/shadow");
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), -EINVAL);
	assert_contains(registry_error(f->reg), "invalid kernel file name");
	v.kernel[0] = '\0';

	snprintf(v.image, sizeof(v.image), "../lab");
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), -EINVAL);
	assert_contains(registry_error(f->reg), "invalid image name");

	/* None of the refusals used a number. */
	snprintf(v.image, sizeof(v.image), "lab");
	assert_int_equal(registry_version_add(f->reg, &v, NULL, NULL, &n), 0);
	assert_int_equal(n, 3);
}

struct reserve_state {
	int calls;		/* times called */
	int seen;		/* version number it was given */
	int fail;		/* -errno to return */
};

static int reserve_cb(int version, void *arg)
{
	struct reserve_state *rs = arg;

	rs->calls++;
	rs->seen = version;
	return rs->fail;
}

static void test_reserve_failure(void **state)
{
	struct fixture *f = *state;
	struct reserve_state rs = { 0, 0, -ENOSPC };
	struct reg_version v;
	struct reg_image im;
	int n = -1;

	memset(&v, 0, sizeof(v));
	snprintf(v.image, sizeof(v.image), "lab");
	snprintf(v.format, sizeof(v.format), "ext4");

	/* A new image: nothing at all is recorded. */
	assert_int_equal(registry_version_add(f->reg, &v, reserve_cb, &rs, &n), -ENOSPC);
	assert_int_equal(rs.calls, 1);
	assert_int_equal(rs.seen, 1);
	assert_int_equal(n, -1);
	assert_contains(registry_error(f->reg), "version 1 of lab");
	assert_int_equal(registry_image_get(f->reg, "lab", &im), -ENOENT);

	rs.fail = 0;
	assert_int_equal(registry_version_add(f->reg, &v, reserve_cb, &rs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rs.seen, 1);

	/* An existing image: the failed number is not used up (documented). */
	rs.fail = -EIO;
	assert_int_equal(registry_version_add(f->reg, &v, reserve_cb, &rs, &n), -EIO);
	assert_int_equal(rs.seen, 2);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.nversions, 1);
	assert_int_equal(im.latest, 1);
	rs.fail = 0;
	assert_int_equal(registry_version_add(f->reg, &v, reserve_cb, &rs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rs.seen, 2);
	assert_int_equal(rs.calls, 4);
}

static void test_publish_rollback(void **state)
{
	struct fixture *f = *state;
	struct reg_image im;
	int now = 0;

	assert_int_equal(add_version(f->reg, "lab"), 1);
	/* Only one version ever published: nothing to roll back to. */
	assert_int_equal(registry_rollback(f->reg, "lab", &now), -ENOENT);
	assert_contains(registry_error(f->reg), "no earlier published version");

	assert_int_equal(registry_publish(f->reg, "lab", 1), 0);	/* no-op */
	assert_int_equal(add_version(f->reg, "lab"), 2);
	assert_int_equal(registry_publish(f->reg, "lab", 2), 0);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 2);
	assert_int_equal(registry_rollback(f->reg, "lab", &now), 0);
	assert_int_equal(now, 1);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 1);
	assert_int_equal(registry_rollback(f->reg, "lab", &now), -ENOENT);

	/* 1 → 2 → 3, back twice; a deleted version is skipped. */
	assert_int_equal(add_version(f->reg, "lab"), 3);
	assert_int_equal(add_version(f->reg, "lab"), 4);
	assert_int_equal(registry_publish(f->reg, "lab", 2), 0);
	assert_int_equal(registry_publish(f->reg, "lab", 3), 0);
	assert_int_equal(registry_publish(f->reg, "lab", 4), 0);
	assert_int_equal(registry_rollback(f->reg, "lab", &now), 0);
	assert_int_equal(now, 3);
	assert_int_equal(registry_version_delete(f->reg, "lab", 2), 0);
	assert_int_equal(registry_rollback(f->reg, "lab", &now), 0);
	assert_int_equal(now, 1);
	assert_int_equal(registry_rollback(f->reg, "lab", &now), -ENOENT);

	assert_int_equal(registry_publish(f->reg, "lab", 9), -ENOENT);
	assert_int_equal(registry_publish(f->reg, "nope", 1), -ENOENT);
	assert_int_equal(registry_rollback(f->reg, "nope", &now), -ENOENT);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 1);
}

static void test_delete_refusals(void **state)
{
	struct fixture *f = *state;
	char users[256];

	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_version(f->reg, "lab"), 2);
	assert_int_equal(add_version(f->reg, "lab"), 3);
	assert_int_equal(add_group(f->reg, "room102", "lab", 2), 0);
	assert_int_equal(add_group(f->reg, "room101", "lab", 2), 0);
	assert_int_equal(add_group(f->reg, "room103", "lab", 0), 0);
	assert_int_equal(add_group(f->reg, "room104", "lab", 2), 0);

	assert_int_equal(registry_version_delete(f->reg, "lab", 1), -EBUSY);
	assert_string_equal(registry_error(f->reg),
			    "version 1 of lab is the published version; publish another first");
	assert_int_equal(registry_version_delete(f->reg, "lab", 2), -EBUSY);
	assert_string_equal(registry_error(f->reg),
			    "version 2 of lab is in use by group(s) room101, room102, room104");

	assert_int_equal(registry_version_users(f->reg, "lab", 2, users, sizeof(users)), 0);
	assert_string_equal(users, "room101, room102, room104");
	assert_int_equal(registry_version_users(f->reg, "lab", 1, users, sizeof(users)), 0);
	assert_string_equal(users, "room103");
	assert_int_equal(registry_version_users(f->reg, "lab", 3, users, sizeof(users)), 0);
	assert_string_equal(users, "");
	assert_int_equal(registry_version_users(f->reg, "lab", 7, users, sizeof(users)),
			 -ENOENT);
	/* A short buffer gets what fits and a count. */
	assert_int_equal(registry_version_users(f->reg, "lab", 2, users, 26), 0);
	assert_string_equal(users, "room101, room102, room104");
	assert_int_equal(registry_version_users(f->reg, "lab", 2, users, 25), 0);
	assert_string_equal(users, "room101 and 2 more");
	assert_int_equal(registry_version_users(f->reg, "lab", 2, users, 12), 0);
	assert_string_equal(users, "3 groups");
	assert_int_equal(registry_version_users(f->reg, "lab", 2, users, 2), 0);
	assert_string_equal(users, "");

	/* Publishing 3 moves room103 along: 1 is free, 3 is taken. */
	assert_int_equal(registry_publish(f->reg, "lab", 3), 0);
	assert_int_equal(registry_version_users(f->reg, "lab", 3, users, sizeof(users)), 0);
	assert_string_equal(users, "room103");
	assert_int_equal(registry_version_delete(f->reg, "lab", 1), 0);

	/* The image goes only when its versions and groups have gone. */
	assert_int_equal(registry_image_delete(f->reg, "lab"), -EBUSY);
	assert_contains(registry_error(f->reg), "image lab still has 2 versions");
	assert_int_equal(registry_group_delete(f->reg, "room101"), 0);
	assert_int_equal(registry_group_delete(f->reg, "room102"), 0);
	assert_int_equal(registry_group_delete(f->reg, "room104"), 0);
	assert_int_equal(registry_version_delete(f->reg, "lab", 2), 0);
	/* The last version, though published, may go once nothing follows it. */
	assert_int_equal(registry_version_delete(f->reg, "lab", 3), -EBUSY);
	assert_string_equal(registry_error(f->reg),
			    "version 3 of lab is in use by group(s) room103");
	assert_int_equal(registry_group_delete(f->reg, "room103"), 0);
	assert_int_equal(registry_version_delete(f->reg, "lab", 3), 0);
	assert_int_equal(registry_image_delete(f->reg, "lab"), 0);
	assert_int_equal(registry_image_delete(f->reg, "lab"), -ENOENT);
}

static void test_image_delete_groups(void **state)
{
	struct fixture *f = *state;
	struct reg_image *list = NULL;
	struct reg_image im;
	size_t n = 0;

	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_version(f->reg, "alpha"), 1);
	assert_int_equal(add_group(f->reg, "room101", "lab", 0), 0);
	assert_int_equal(registry_image_list(f->reg, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "alpha");
	assert_string_equal(list[1].name, "lab");
	free(list);

	/* A last version still followed by a group stays. */
	assert_int_equal(registry_version_delete(f->reg, "lab", 1), -EBUSY);
	assert_int_equal(registry_group_delete(f->reg, "room101"), 0);
	assert_int_equal(registry_version_delete(f->reg, "lab", 1), 0);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 0);
	assert_int_equal(im.nversions, 0);
	/* Its next version is published at once, and numbered on. */
	assert_int_equal(add_version(f->reg, "lab"), 2);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 2);
}

/* ---- groups -------------------------------------------------------------- */

static void test_groups(void **state)
{
	struct fixture *f = *state;
	struct reg_group g, *list = NULL;
	size_t n = 0;
	int version = 0;

	assert_int_equal(add_group(f->reg, "room101", "lab", 0), -ENOENT);
	assert_contains(registry_error(f->reg), "no image named lab");
	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_group(f->reg, "room101", "lab", 9), -ENOENT);
	assert_contains(registry_error(f->reg), "image lab has no version 9");
	assert_int_equal(add_group(f->reg, "room 101", "lab", 0), -EINVAL);
	assert_contains(registry_error(f->reg), "invalid group name 'room 101'");
	assert_int_equal(add_group(f->reg, "room101", "lab", -1), -EINVAL);

	assert_int_equal(add_group(f->reg, "room101", "lab", 0), 0);
	assert_int_equal(add_group(f->reg, "room101", "lab", 1), -EEXIST);
	assert_contains(registry_error(f->reg), "group room101 already exists");

	/* Defaults. */
	assert_int_equal(registry_group_get(f->reg, "room101", &g), 0);
	assert_string_equal(g.image, "lab");
	assert_int_equal(g.version, 0);
	assert_string_equal(g.mode, MODE_VOLATILE);
	assert_string_equal(g.proto, PROTO_NBD);
	assert_string_equal(g.loader, "auto");
	assert_int_equal(registry_group_version(f->reg, &g, &version), 0);
	assert_int_equal(version, 1);

	/* Bad values, then a good change. */
	snprintf(g.mode, sizeof(g.mode), "sticky");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	assert_contains(registry_error(f->reg), "invalid mode 'sticky'");
	snprintf(g.mode, sizeof(g.mode), MODE_PERSISTENT);
	snprintf(g.proto, sizeof(g.proto), "smb");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	snprintf(g.proto, sizeof(g.proto), PROTO_ISCSI);
	snprintf(g.loader, sizeof(g.loader), "lilo");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	snprintf(g.loader, sizeof(g.loader), "ipxe");
	snprintf(g.cmdline, sizeof(g.cmdline), "quiet\ninitrd http://evil/x");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	assert_contains(registry_error(f->reg), "control character");
	snprintf(g.cmdline, sizeof(g.cmdline), "quiet");
	g.version = 2;
	assert_int_equal(registry_group_set(f->reg, &g), -ENOENT);
	assert_int_equal(add_version(f->reg, "lab"), 2);
	assert_int_equal(registry_group_set(f->reg, &g), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(registry_group_get(f->reg, "room101", &g), 0);
	assert_int_equal(g.version, 2);
	assert_string_equal(g.mode, MODE_PERSISTENT);
	assert_string_equal(g.proto, PROTO_ISCSI);
	assert_string_equal(g.loader, "ipxe");
	assert_string_equal(g.cmdline, "quiet");
	assert_int_equal(registry_group_version(f->reg, &g, &version), 0);
	assert_int_equal(version, 2);

	snprintf(g.name, sizeof(g.name), "room999");
	assert_int_equal(registry_group_set(f->reg, &g), -ENOENT);

	assert_int_equal(add_group(f->reg, "annex", "lab", 1), 0);
	assert_int_equal(registry_group_list(f->reg, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "annex");
	assert_string_equal(list[1].name, "room101");
	free(list);

	/* Delete: refused while clients belong. */
	assert_int_equal(add_client(f->reg, "52:54:00:00:00:01", "pc1", "room101"), 0);
	assert_int_equal(add_client(f->reg, "52:54:00:00:00:02", "pc2", "room101"), 0);
	assert_int_equal(registry_group_delete(f->reg, "room101"), -EBUSY);
	assert_string_equal(registry_error(f->reg),
			    "group room101 has 2 clients; move or delete them first");
	assert_int_equal(registry_client_delete(f->reg, "pc1"), 0);
	assert_int_equal(registry_group_delete(f->reg, "room101"), -EBUSY);
	assert_string_equal(registry_error(f->reg),
			    "group room101 has 1 client; move or delete them first");
	assert_int_equal(registry_client_delete(f->reg, "52-54-00-00-00-02"), 0);
	assert_int_equal(registry_group_delete(f->reg, "room101"), 0);
	assert_int_equal(registry_group_delete(f->reg, "room101"), -ENOENT);
}

/* ---- clients ------------------------------------------------------------- */

static void setup_lab(struct registry *reg)
{
	assert_int_equal(add_version(reg, "lab"), 1);
	assert_int_equal(add_group(reg, "room101", "lab", 0), 0);
}

static void test_client_mac_notations(void **state)
{
	static const char *const notations[] = {
		"52:54:00:12:34:56", "52-54-00-12-34-56", "5254.0012.3456", "525400123456",
		"52:54:0:12:34:56", "01-52-54-00-12-34-56", "52:54:00:12:34:56",
	};
	struct fixture *f = *state;
	struct reg_client c, *list = NULL;
	size_t i, n = 0;

	setup_lab(f->reg);
	assert_int_equal(add_client(f->reg, "52-54-00-12-34-56", "pc1", "room101"), 0);
	for (i = 0; i < ARRAY_SIZE(notations); i++) {
		memset(&c, 0, sizeof(c));
		assert_int_equal(registry_client_get(f->reg, notations[i], &c), 0);
		assert_string_equal(c.name, "pc1");
		assert_string_equal(c.mac, "52:54:00:12:34:56");
		assert_string_equal(c.group, "room101");
	}
	assert_int_equal(registry_client_get(f->reg, "pc1", &c), 0);
	assert_int_equal(registry_client_get(f->reg, "52:54:00:12:34:57", &c), -ENOENT);
	assert_int_equal(registry_client_get(f->reg, "pc2", &c), -ENOENT);
	assert_contains(registry_error(f->reg), "pc2");

	assert_int_equal(registry_client_list(f->reg, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].mac, "52:54:00:12:34:56");
	free(list);
}

static void test_client_duplicates(void **state)
{
	struct fixture *f = *state;
	struct reg_client c, *list = NULL;
	size_t n = 0;

	setup_lab(f->reg);
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:56", "pc1", "room101"), 0);
	assert_int_equal(add_client(f->reg, "5254.0012.3456", "pc2", "room101"), -EEXIST);
	assert_string_equal(registry_error(f->reg), "MAC 52:54:00:12:34:56 is already client pc1");
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:57", "pc1", "room101"), -EEXIST);
	assert_contains(registry_error(f->reg), "client pc1 already exists");
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:57", "pc2", "room999"), -ENOENT);
	assert_contains(registry_error(f->reg), "no group named room999");
	assert_int_equal(add_client(f->reg, "52:54:00:12:34", "pc2", "room101"), -EINVAL);
	assert_contains(registry_error(f->reg), "invalid MAC address");
	assert_int_equal(add_client(f->reg, "01:00:5e:00:00:01", "pc2", "room101"), -EINVAL);
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:57", "525400123458", "room101"),
			 -EINVAL);
	assert_contains(registry_error(f->reg), "reads as a MAC address");
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:57", "-pc2", "room101"), -EINVAL);

	/* Set: rename, move, override; a taken name is refused. */
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:57", "pc2", "room101"), 0);
	assert_int_equal(add_group(f->reg, "room102", "lab", 1), 0);
	memset(&c, 0, sizeof(c));
	snprintf(c.mac, sizeof(c.mac), "525400123457");
	snprintf(c.name, sizeof(c.name), "pc1");
	snprintf(c.group, sizeof(c.group), "room102");
	assert_int_equal(registry_client_set(f->reg, &c), -EEXIST);
	snprintf(c.name, sizeof(c.name), "teacher");
	snprintf(c.mode, sizeof(c.mode), "frozen");
	assert_int_equal(registry_client_set(f->reg, &c), -EINVAL);
	snprintf(c.mode, sizeof(c.mode), MODE_PERSISTENT);
	assert_int_equal(registry_client_set(f->reg, &c), 0);
	snprintf(c.mac, sizeof(c.mac), "52:54:00:12:34:99");
	assert_int_equal(registry_client_set(f->reg, &c), -ENOENT);

	assert_int_equal(registry_client_list(f->reg, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "pc1");
	assert_string_equal(list[1].name, "teacher");
	assert_string_equal(list[1].group, "room102");
	assert_string_equal(list[1].mode, MODE_PERSISTENT);
	assert_string_equal(list[1].mac, "52:54:00:12:34:57");
	free(list);
	assert_int_equal(registry_client_delete(f->reg, "pc2"), -ENOENT);
}

/* Groups: the boot menu is checked (images exist, names valid, no
 * repeats) and stored canonical; an image in a menu cannot be deleted. */
static void test_group_menu(void **state)
{
	struct fixture *f = *state;
	struct reg_group g;
	char item[NAME_MAX_LEN + 1];
	size_t pos = 0;

	setup_lab(f->reg);
	assert_int_equal(add_version(f->reg, "tools"), 1);
	assert_int_equal(add_version(f->reg, "exam"), 1);
	assert_int_equal(registry_group_get(f->reg, "room101", &g), 0);
	assert_string_equal(g.menu, "");

	snprintf(g.menu, sizeof(g.menu), " tools , exam");
	assert_int_equal(registry_group_set(f->reg, &g), 0);
	assert_int_equal(registry_group_get(f->reg, "room101", &g), 0);
	assert_string_equal(g.menu, "tools,exam");
	assert_true(registry_menu_next(g.menu, &pos, item));
	assert_string_equal(item, "tools");
	assert_true(registry_menu_next(g.menu, &pos, item));
	assert_string_equal(item, "exam");
	assert_false(registry_menu_next(g.menu, &pos, item));

	snprintf(g.menu, sizeof(g.menu), "tools,nosuch");
	assert_int_equal(registry_group_set(f->reg, &g), -ENOENT);
	assert_contains(registry_error(f->reg), "boot menu: no image named nosuch");
	snprintf(g.menu, sizeof(g.menu), "tools,tools");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	assert_contains(registry_error(f->reg), "listed twice");
	snprintf(g.menu, sizeof(g.menu), "tools,");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	assert_contains(registry_error(f->reg), "empty image name");
	snprintf(g.menu, sizeof(g.menu), ",tools");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	snprintf(g.menu, sizeof(g.menu), "to ols");
	assert_int_equal(registry_group_set(f->reg, &g), -EINVAL);
	assert_contains(registry_error(f->reg), "not an image name");
	/* The failed sets changed nothing. */
	assert_int_equal(registry_group_get(f->reg, "room101", &g), 0);
	assert_string_equal(g.menu, "tools,exam");

	/* A new group with a menu; the image in a menu stays. */
	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "room102");
	snprintf(g.image, sizeof(g.image), "lab");
	snprintf(g.menu, sizeof(g.menu), "exam");
	assert_int_equal(registry_group_add(f->reg, &g), 0);
	assert_int_equal(registry_group_get(f->reg, "room102", &g), 0);
	assert_string_equal(g.menu, "exam");
	assert_int_equal(registry_version_delete(f->reg, "exam", 1), 0);
	assert_int_equal(registry_image_delete(f->reg, "exam"), -EBUSY);
	assert_contains(registry_error(f->reg), "boot menu of group(s) room101, room102");
	/* "lab" is a prefix of no menu item: the image "tools" is, but not "tool". */
	assert_int_equal(add_version(f->reg, "tool"), 1);
	assert_int_equal(registry_version_delete(f->reg, "tool", 1), 0);
	assert_int_equal(registry_image_delete(f->reg, "tool"), 0);
}

/* Clients: an IPv4 reservation is checked, canonical and unique. */
static void test_client_ip(void **state)
{
	struct fixture *f = *state;
	struct reg_client c;
	static const char *const bad[] = {
		"10.0.0", "10.0.0.256", "0.0.0.0", "255.255.255.255", "127.0.0.2",
		"224.0.0.1", "fe80::1", "10.0.0.1 ", "ten",
	};
	size_t i;

	setup_lab(f->reg);
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:56", "pc1", "room101"), 0);
	assert_int_equal(registry_client_get(f->reg, "pc1", &c), 0);
	assert_string_equal(c.ip, "");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(c.ip, sizeof(c.ip), "%s", bad[i]);
		assert_int_equal(registry_client_set(f->reg, &c), -EINVAL);
		assert_contains(registry_error(f->reg), "IPv4 address");
	}
	snprintf(c.ip, sizeof(c.ip), "192.168.1.10");
	assert_int_equal(registry_client_set(f->reg, &c), 0);
	/* Setting the same again is not a clash with itself. */
	assert_int_equal(registry_client_set(f->reg, &c), 0);

	memset(&c, 0, sizeof(c));
	snprintf(c.mac, sizeof(c.mac), "52:54:00:12:34:57");
	snprintf(c.name, sizeof(c.name), "pc2");
	snprintf(c.group, sizeof(c.group), "room101");
	snprintf(c.ip, sizeof(c.ip), "192.168.1.10");
	assert_int_equal(registry_client_add(f->reg, &c), -EEXIST);
	assert_string_equal(registry_error(f->reg),
			    "IP address 192.168.1.10 is already reserved for client pc1");
	snprintf(c.ip, sizeof(c.ip), "192.168.1.11");
	assert_int_equal(registry_client_add(f->reg, &c), 0);
	/* Two clients without a reservation are fine. */
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:58", "pc3", "room101"), 0);
	assert_int_equal(add_client(f->reg, "52:54:00:12:34:59", "pc4", "room101"), 0);

	assert_int_equal(registry_client_by_ip(f->reg, "192.168.1.11", &c), 0);
	assert_string_equal(c.name, "pc2");
	assert_int_equal(registry_client_by_ip(f->reg, "192.168.1.12", &c), -ENOENT);
	assert_int_equal(registry_client_by_ip(f->reg, "", &c), -EINVAL);
	assert_int_equal(registry_client_by_ip(f->reg, "x", &c), -EINVAL);
	/* Freed by clearing. */
	assert_int_equal(registry_client_get(f->reg, "pc1", &c), 0);
	c.ip[0] = '\0';
	assert_int_equal(registry_client_set(f->reg, &c), 0);
	assert_int_equal(registry_client_get(f->reg, "pc3", &c), 0);
	snprintf(c.ip, sizeof(c.ip), "192.168.1.10");
	assert_int_equal(registry_client_set(f->reg, &c), 0);
}

static void test_resolve(void **state)
{
	struct fixture *f = *state;
	struct reg_resolved r;
	struct reg_group g;
	struct reg_client c;

	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_version(f->reg, "lab"), 2);
	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "room101");
	snprintf(g.image, sizeof(g.image), "lab");
	snprintf(g.cmdline, sizeof(g.cmdline), "  quiet splash ");
	assert_int_equal(registry_group_add(f->reg, &g), 0);

	memset(&c, 0, sizeof(c));
	snprintf(c.mac, sizeof(c.mac), "52:54:00:00:00:01");
	snprintf(c.name, sizeof(c.name), "pc1");
	snprintf(c.group, sizeof(c.group), "room101");
	snprintf(c.mode, sizeof(c.mode), MODE_PERSISTENT);
	snprintf(c.cmdline, sizeof(c.cmdline), " nomodeset  ");
	assert_int_equal(registry_client_add(f->reg, &c), 0);
	assert_int_equal(add_client(f->reg, "52:54:00:00:00:02", "pc2", "room101"), 0);

	/* Overrides. */
	assert_int_equal(registry_client_resolve(f->reg, "5254.0000.0001", &r), 0);
	assert_string_equal(r.client.name, "pc1");
	assert_string_equal(r.group.name, "room101");
	assert_int_equal(r.version.version, 1);
	assert_true(r.version.published);
	assert_string_equal(r.version.kernel, "vmlinuz");
	assert_string_equal(r.mode, MODE_PERSISTENT);
	assert_string_equal(r.cmdline, "quiet splash nomodeset");

	/* No overrides: the group's; follows publish. */
	assert_int_equal(registry_publish(f->reg, "lab", 2), 0);
	assert_int_equal(registry_client_resolve(f->reg, "pc2", &r), 0);
	assert_string_equal(r.mode, MODE_VOLATILE);
	assert_string_equal(r.cmdline, "quiet splash");
	assert_int_equal(r.version.version, 2);

	/* Pinned. */
	g.version = 1;
	g.cmdline[0] = '\0';
	assert_int_equal(registry_group_set(f->reg, &g), 0);
	assert_int_equal(registry_client_resolve(f->reg, "pc1", &r), 0);
	assert_int_equal(r.version.version, 1);
	assert_false(r.version.published);
	assert_string_equal(r.cmdline, "nomodeset");

	assert_int_equal(registry_client_resolve(f->reg, "pc9", &r), -ENOENT);
}

/* ---- audit --------------------------------------------------------------- */

static void test_audit(void **state)
{
	struct fixture *f = *state;
	struct reg_audit *list = NULL;
	char longtext[2048];
	size_t n = 0;

	setenv("SUDO_USER", "alice", 1);
	assert_int_equal(registry_audit(f->reg, "image.publish", "{\"image\":\"lab\"}"), 0);
	unsetenv("SUDO_USER");
	assert_int_equal(registry_audit(f->reg, "group.add", NULL), 0);
	assert_int_equal(registry_audit(f->reg, "", NULL), -EINVAL);
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(registry_audit(f->reg, "group.add", longtext), -EINVAL);
	assert_contains(registry_error(f->reg), "audit detail is too long");

	assert_int_equal(registry_audit_list(f->reg, 0, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].action, "group.add");
	assert_string_equal(list[0].detail, "");
	assert_true(list[0].who[0] != '\0');
	assert_string_not_equal(list[0].who, "alice");
	assert_string_equal(list[1].action, "image.publish");
	assert_string_equal(list[1].who, "alice");
	assert_string_equal(list[1].detail, "{\"image\":\"lab\"}");
	assert_true(list[0].id > list[1].id);
	assert_int_equal(strlen(list[1].at), strlen("2026-01-01T00:00:00Z"));
	free(list);

	assert_int_equal(registry_audit_list(f->reg, 1, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].action, "group.add");
	free(list);
}

/* ---- transactions and concurrency ---------------------------------------- */

static void test_nested_transactions(void **state)
{
	struct fixture *f = *state;
	struct reg_group g;
	struct reg_image im;

	assert_int_equal(registry_commit(f->reg), -EINVAL);
	assert_int_equal(registry_abort(f->reg), -EINVAL);

	/* Inner commit, outer abort: nothing. */
	assert_int_equal(registry_begin(f->reg), 0);
	assert_int_equal(registry_begin(f->reg), 0);
	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(add_group(f->reg, "room101", "lab", 0), 0);
	assert_int_equal(registry_commit(f->reg), 0);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(registry_abort(f->reg), 0);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), -ENOENT);
	assert_int_equal(registry_group_get(f->reg, "room101", &g), -ENOENT);

	/* Inner abort, outer commit: only the outer work. */
	assert_int_equal(registry_begin(f->reg), 0);
	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(registry_begin(f->reg), 0);
	assert_int_equal(add_group(f->reg, "room101", "lab", 0), 0);
	assert_int_equal(registry_abort(f->reg), 0);
	/* A failing call inside leaves the rest alone. */
	assert_int_equal(add_group(f->reg, "room102", "lab", 5), -ENOENT);
	assert_int_equal(registry_commit(f->reg), 0);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 1);
	assert_int_equal(registry_group_get(f->reg, "room101", &g), -ENOENT);

	/* Closing with a transaction open rolls it back. */
	assert_int_equal(registry_begin(f->reg), 0);
	assert_int_equal(add_version(f->reg, "kiosk"), 1);
	registry_close(f->reg);
	assert_int_equal(registry_open(f->path, &f->reg, NULL, 0), 0);
	assert_int_equal(registry_image_get(f->reg, "kiosk", &im), -ENOENT);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
}

static void test_locked(void **state)
{
	struct fixture *f = *state;
	struct registry *other = NULL;
	struct reg_image im;

	assert_int_equal(add_version(f->reg, "lab"), 1);
	assert_int_equal(registry_open(f->path, &other, NULL, 0), 0);
	registry_set_busy_timeout(other, 200);
	assert_int_equal(registry_begin(f->reg), 0);
	assert_int_equal(add_version(f->reg, "lab"), 2);

	/* A writer waits, then gives up with a clear message; readers don't wait. */
	assert_int_equal(add_group(other, "room101", "lab", 0), -EBUSY);
	assert_string_equal(registry_error(other), "registry is locked by another lanroot process");
	assert_int_equal(registry_image_get(other, "lab", &im), 0);
	assert_int_equal(im.latest, 1);

	assert_int_equal(registry_commit(f->reg), 0);
	assert_int_equal(add_group(other, "room101", "lab", 2), 0);
	registry_close(other);
}

static int slow_reserve(int version, void *arg)
{
	(void)version;
	(void)arg;
	usleep(1000);
	return 0;
}

/** concurrent_child() - add CONCURRENT_ADDS versions once @go is readable. */
static int concurrent_child(const char *path, int go)
{
	struct registry *reg = NULL;
	struct reg_version v;
	char err[512], byte;
	int i, n;

	if (read(go, &byte, 1) < 0)
		return 1;
	if (registry_open(path, &reg, err, sizeof(err)) < 0) {
		fprintf(stderr, "child: %s\n", err);
		return 1;
	}
	memset(&v, 0, sizeof(v));
	snprintf(v.image, sizeof(v.image), "lab");
	snprintf(v.format, sizeof(v.format), "raw");
	for (i = 0; i < CONCURRENT_ADDS; i++) {
		if (registry_version_add(reg, &v, slow_reserve, NULL, &n) < 0) {
			fprintf(stderr, "child: %s\n", registry_error(reg));
			registry_close(reg);
			return 1;
		}
	}
	registry_close(reg);
	return 0;
}

static void test_concurrent_adds(void **state)
{
	struct fixture *f = *state;
	struct reg_version *list = NULL;
	pid_t pids[CONCURRENT_CHILDREN];
	struct reg_image im;
	int go[2], i, status;
	size_t n = 0, k;

	/* No connection may cross a fork. */
	registry_close(f->reg);
	f->reg = NULL;
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < CONCURRENT_CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			_exit(concurrent_child(f->path, go[0]));
		}
	}
	close(go[0]);
	close(go[1]);		/* both start now */
	for (i = 0; i < CONCURRENT_CHILDREN; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	assert_int_equal(registry_open(f->path, &f->reg, NULL, 0), 0);
	assert_int_equal(registry_version_list(f->reg, "lab", &list, &n), 0);
	assert_int_equal(n, CONCURRENT_CHILDREN * CONCURRENT_ADDS);
	for (k = 0; k < n; k++)
		assert_int_equal(list[k].version, (int)k + 1);
	free(list);
	assert_int_equal(registry_image_get(f->reg, "lab", &im), 0);
	assert_int_equal(im.published, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_numbering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_version_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_delete_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_mac_notations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_menu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_adds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
