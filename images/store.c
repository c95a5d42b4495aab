/* The image store on disk (see store.h for the layout).
 *
 * The one delicate step is committing a version: the registry row and the
 * version directory must appear together or not at all.  The directory is
 * finished (files synced, manifest written) in STATE_DIR/tmp, and renamed
 * into images/NAME/N from inside the registry transaction that allocates N
 * (the reserve callback of registry_version_add()), just before the row is
 * committed.  If the commit then fails, the directory is moved back out.
 * A crash between rename and commit leaves a directory without a row; it is
 * never served (everything goes through the registry) and is replaced when
 * number N is allocated again.  Work directories left in tmp/ by a crash
 * are removed by `lanroot image gc`.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "store.h"
#include "digest.h"
#include "overlay.h"
#include "util.h"

#define STORE_REGISTRY "registry.db"
#define STORE_SECRET "secret"
#define STORE_IMAGES "images"
#define STORE_OVERLAYS "overlays"
#define STORE_TMP "tmp"
#define STORE_WORK_TEMPLATE "work-XXXXXX"
#define STORE_DIR_MODE 0755		/* state dir and images/: readable */
#define STORE_PRIVATE_MODE 0700		/* overlays/ and tmp/: private */
#define MANIFEST_DIGEST_NAME "sha256-chunked-1MiB" /* see digest.h */
#define MANIFEST_MAX (64 * 1024)	/* a manifest is a few hundred bytes */
#define DIGEST_SHOW 16			/* hex digits of a digest in messages */

/* ---- layout ------------------------------------------------------------ */

char *store_version_dir(const struct store *st, const char *image, int version)
{
	return xasprintf("%s/" STORE_IMAGES "/%s/%d", st->dir, image, version);
}

char *store_version_file(const struct store *st, const char *image, int version,
			 const char *file)
{
	return xasprintf("%s/" STORE_IMAGES "/%s/%d/%s", st->dir, image, version, file);
}

/**
 * store_overlay_dir() - the overlay directory of the client @mac (any
 * notation).  A caller that validated its input never passes anything
 * else; if it did, every character but letters and digits becomes '_', so
 * the path stays inside overlays/ whatever @mac holds.
 */
char *store_overlay_dir(const struct store *st, const char *mac)
{
	uint8_t bin[MAC_LEN];
	char dash[MAC_STR_LEN], *path, *p;
	size_t prefix;

	if (mac_parse(mac, bin) == 0) {
		mac_format_dash(bin, dash);
		return xasprintf("%s/" STORE_OVERLAYS "/%s", st->dir, dash);
	}
	path = xasprintf("%s/" STORE_OVERLAYS "/invalid-%s", st->dir, mac);
	prefix = strlen(st->dir) + strlen("/" STORE_OVERLAYS "/invalid-");
	for (p = path + prefix; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			*p = '_';
	return path;
}

/* ---- init and open ----------------------------------------------------- */

/**
 * make_dir() - create @dir/@sub (or @dir if @sub is NULL) with @mode if
 * missing.  Return 0 or -errno (+ @err).
 */
static int make_dir(const char *dir, const char *sub, unsigned mode,
		    char *err, size_t errlen)
{
	char *path = sub ? xasprintf("%s/%s", dir, sub) : xstrdup(dir);
	int rc = mkdir_p(path, mode);

	if (rc < 0)
		err_set(err, errlen, "cannot create %s: %s", path, strerror(-rc));
	free(path);
	return rc;
}

/**
 * store_init() - create the state directory, its layout, the secret and the
 * registry; keep whatever exists.  Return 0 or -errno (+ @err).
 */
int store_init(const char *dir, char *err, size_t errlen)
{
	uint8_t key[SECRET_LEN];
	struct registry *reg = NULL;
	char *secret = NULL, *db = NULL;
	int rc;

	if (!dir || !*dir) {
		err_set(err, errlen, "no state directory given");
		return -EINVAL;
	}
	rc = make_dir(dir, NULL, STORE_DIR_MODE, err, errlen);
	if (rc == 0)
		rc = make_dir(dir, STORE_IMAGES, STORE_DIR_MODE, err, errlen);
	if (rc == 0)
		rc = make_dir(dir, STORE_OVERLAYS, STORE_PRIVATE_MODE, err, errlen);
	if (rc == 0)
		rc = make_dir(dir, STORE_TMP, STORE_PRIVATE_MODE, err, errlen);
	if (rc < 0)
		goto err;

	secret = xasprintf("%s/" STORE_SECRET, dir);
	rc = secret_create(secret);
	if (rc == -EEXIST)
		rc = 0;		/* never replaced: tokens handed out stay valid */
	if (rc < 0) {
		err_set(err, errlen, "cannot create %s: %s", secret, strerror(-rc));
		goto err;
	}
	rc = secret_load(secret, key);
	if (rc < 0) {
		err_set(err, errlen, "%s: %s", secret, rc == -EPERM ?
			"readable by group or others (chmod 600 it)" : strerror(-rc));
		goto err;
	}

	db = xasprintf("%s/" STORE_REGISTRY, dir);
	rc = registry_open(db, &reg, err, errlen);
	if (rc < 0)
		goto err;
	registry_close(reg);
	rc = fsync_dir(dir);
	if (rc < 0)
		err_set(err, errlen, "cannot sync %s: %s", dir, strerror(-rc));
err:
	memset(key, 0, sizeof(key));
	free(secret);
	free(db);
	return rc;
}

/**
 * store_open() - open the store in @dir: load the secret, open the
 * registry.  Return 0 with *@out, or -errno (+ @err); -ENOENT if @dir is
 * not a state directory.
 */
int store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	struct store *st = NULL;
	char *secret = NULL, *db = NULL;
	int rc;

	if (!dir || !*dir) {
		err_set(err, errlen, "no state directory given");
		return -EINVAL;
	}
	secret = xasprintf("%s/" STORE_SECRET, dir);
	db = xasprintf("%s/" STORE_REGISTRY, dir);
	if (access(db, F_OK) < 0 || access(secret, F_OK) < 0) {
		rc = errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
		if (rc == -ENOENT)
			err_set(err, errlen, "%s is not a lanroot state directory; "
				"run 'lanroot init'", dir);
		else
			err_set(err, errlen, "%s: %s", dir, strerror(-rc));
		goto err;
	}

	st = xcalloc(1, sizeof(*st));
	st->dir = xstrdup(dir);
	st->cluster_size = OVERLAY_CLUSTER_DEFAULT;
	rc = secret_load(secret, st->secret);
	if (rc < 0) {
		err_set(err, errlen, "%s: %s", secret, rc == -EPERM ?
			"readable by group or others (chmod 600 it)" :
			rc == -EINVAL ? "not a lanroot secret (wrong size)" : strerror(-rc));
		goto err;
	}
	rc = registry_open(db, &st->reg, err, errlen);
	if (rc < 0)
		goto err;
	*out = st;
	st = NULL;
err:
	store_close(st);
	free(secret);
	free(db);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->reg)
		registry_close(st->reg);
	memset(st->secret, 0, sizeof(st->secret));
	free(st->dir);
	free(st);
}

/**
 * store_workdir() - mkdtemp under STATE_DIR/tmp (created if missing).
 * Return 0 with *@path (caller frees), or -errno.
 */
int store_workdir(const struct store *st, char **path)
{
	char *tmp = xasprintf("%s/" STORE_TMP, st->dir);
	char *p = xasprintf("%s/" STORE_WORK_TEMPLATE, tmp);
	int rc = mkdir_p(tmp, STORE_PRIVATE_MODE);

	free(tmp);
	if (rc < 0) {
		free(p);
		return rc;
	}
	if (!mkdtemp(p)) {
		rc = -errno;
		free(p);
		return rc;
	}
	*path = p;
	return 0;
}

/* ---- manifest ------------------------------------------------------------ */

/**
 * manifest_render() - the manifest of @v as indented JSON text ending in a
 * newline (caller frees); NULL if @v cannot be rendered.
 */
char *manifest_render(const struct reg_version *v)
{
	json_t *o;
	char *text, *out;

	if (!v)
		return NULL;
	o = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o}",
		      "image", v->image,
		      "version", v->version,
		      "size", (json_int_t)v->size,
		      "sha256", v->sha256,
		      "digest", MANIFEST_DIGEST_NAME,
		      "format", v->format,
		      "created", v->created,
		      "parent", v->parent > 0 ? json_integer(v->parent) : json_null(),
		      "note", v->note,
		      "kernel", v->kernel[0] ? json_string(v->kernel) : json_null(),
		      "initrd", v->initrd[0] ? json_string(v->initrd) : json_null());
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	if (!text)
		return NULL;
	out = xasprintf("%s\n", text);
	free(text);
	return out;
}

/**
 * manifest_read() - the size and digest recorded in the manifest @path.
 * Return: 0, -EBADMSG (not a manifest, message in @err), or -errno.
 */
static int manifest_read(const char *path, uint64_t *size, char sha[DIGEST_HEX_LEN + 1],
			 char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *o = NULL, *jsize, *jsha;
	char *text = NULL;
	size_t len;
	int rc;

	rc = file_read_all(path, MANIFEST_MAX, &text, &len);
	if (rc < 0) {
		err_set(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	o = json_loadb(text, len, 0, &jerr);
	if (!o) {
		err_set(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		rc = -EBADMSG;
		goto err;
	}
	jsize = json_object_get(o, "size");
	jsha = json_object_get(o, "sha256");
	if (!json_is_integer(jsize) || json_integer_value(jsize) < 0 ||
	    !json_is_string(jsha) || strlen(json_string_value(jsha)) != DIGEST_HEX_LEN) {
		err_set(err, errlen, "%s: no valid \"size\" and \"sha256\"", path);
		rc = -EBADMSG;
		goto err;
	}
	*size = (uint64_t)json_integer_value(jsize);
	memcpy(sha, json_string_value(jsha), DIGEST_HEX_LEN + 1);
err:
	json_decref(o);
	free(text);
	return rc;
}

/* ---- committing a version ------------------------------------------------- */

/* State shared with the reserve callback of registry_version_add(). */
struct commit_ctx {
	struct store *st;
	const char *workdir;		/* the finished work directory */
	struct reg_version v;		/* the version being added */
	char *target;			/* images/NAME/N once renamed, else NULL */
	char *err;			/* message of the callback's failure */
	size_t errlen;
	bool failed;			/* the callback set @err */
};

/**
 * sync_files() - fsync every regular file in @dir and then @dir, so that
 * the version's data is on disk before its registry row.
 * Return 0 or -errno.
 */
static int sync_files(const char *dir)
{
	struct dirent *ent;
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((ent = readdir(d))) {
		int fd;

		if (ent->d_type != DT_REG && ent->d_type != DT_UNKNOWN)
			continue;
		fd = openat(dirfd(d), ent->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ELOOP || errno == EISDIR)
				continue;
			rc = -errno;
			break;
		}
		if (fsync(fd) < 0)
			rc = -errno;
		close(fd);
		if (rc < 0)
			break;
	}
	closedir(d);
	if (rc == 0)
		rc = fsync_dir(dir);
	return rc;
}

/**
 * move_aside() - rename @path into STATE_DIR/tmp and remove it there, so
 * that it disappears from images/ at once even if the removal is slow or
 * interrupted.  Return 0 or -errno.
 */
static int move_aside(struct store *st, const char *path)
{
	char *aside = NULL;
	int rc;

	rc = store_workdir(st, &aside);
	if (rc < 0)
		return rm_rf(path);
	if (rmdir(aside) < 0 || rename(path, aside) < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		rmdir(aside);
		free(aside);
		return rc;
	}
	rc = rm_rf(aside);
	free(aside);
	return rc;
}

/**
 * commit_reserve() - the reserve callback: number @version is ours; write
 * the manifest and rename the work directory into images/NAME/@version.
 * Runs inside the registry's write transaction.
 * Return 0 or -errno (the registry then records nothing).
 */
static int commit_reserve(int version, void *arg)
{
	struct commit_ctx *c = arg;
	char *imgdir = xasprintf("%s/" STORE_IMAGES "/%s", c->st->dir, c->v.image);
	char *target = store_version_dir(c->st, c->v.image, version);
	char *mpath = xasprintf("%s/" STORE_MANIFEST, c->workdir);
	char *manifest = NULL;
	struct stat stbuf;
	int rc;

	c->failed = true;
	c->v.version = version;
	manifest = manifest_render(&c->v);
	if (!manifest) {
		err_set(c->err, c->errlen, "cannot render the manifest of %s version %d",
			c->v.image, version);
		rc = -EINVAL;
		goto err;
	}
	rc = file_write_atomic(mpath, manifest, strlen(manifest), 0644);
	if (rc < 0) {
		err_set(c->err, c->errlen, "cannot write %s: %s", mpath, strerror(-rc));
		goto err;
	}
	rc = mkdir_p(imgdir, STORE_DIR_MODE);
	if (rc < 0) {
		err_set(c->err, c->errlen, "cannot create %s: %s", imgdir, strerror(-rc));
		goto err;
	}
	/*
	 * The registry has no row for @version (it is allocating it under its
	 * write lock), so a directory already there is an orphan from a crash
	 * between rename and commit: take it away.
	 */
	if (lstat(target, &stbuf) == 0) {
		rc = move_aside(c->st, target);
		if (rc < 0) {
			err_set(c->err, c->errlen, "cannot remove the stale %s: %s",
				target, strerror(-rc));
			goto err;
		}
	}
	if (rename(c->workdir, target) < 0) {
		rc = -errno;
		err_set(c->err, c->errlen, "cannot move %s to %s: %s", c->workdir, target,
			strerror(-rc));
		goto err;
	}
	c->target = target;
	target = NULL;
	rc = fsync_dir(imgdir);
	if (rc == 0) {
		char *images = xasprintf("%s/" STORE_IMAGES, c->st->dir);

		rc = fsync_dir(images);
		free(images);
	}
	if (rc < 0) {
		err_set(c->err, c->errlen, "cannot sync %s: %s", imgdir, strerror(-rc));
		goto err;
	}
	c->failed = false;
err:
	free(manifest);
	free(mpath);
	free(target);
	free(imgdir);
	return rc;
}

/**
 * store_commit_version() - make the finished @workdir the next version of
 * @v->image (see the top of this file).  On failure the work directory is
 * gone and the registry is unchanged.
 * Return 0 with *@version, or -errno (+ @err).
 */
int store_commit_version(struct store *st, const char *workdir,
			 const struct reg_version *v, int *version,
			 char *err, size_t errlen)
{
	struct commit_ctx c = { .st = st, .workdir = workdir, .err = err, .errlen = errlen };
	char *rootfs = NULL;
	struct stat stbuf;
	int rc, got = 0;

	if (!st || !workdir || !v || !version) {
		err_set(err, errlen, "store_commit_version: missing argument");
		rc = -EINVAL;
		goto err;
	}
	if (!name_valid(v->image)) {
		err_set(err, errlen, "invalid image name '%s'", v->image);
		rc = -EINVAL;
		goto err;
	}
	rootfs = xasprintf("%s/" STORE_ROOTFS, workdir);
	if (stat(rootfs, &stbuf) < 0 || !S_ISREG(stbuf.st_mode)) {
		err_set(err, errlen, "%s: no root file system image", workdir);
		rc = -EINVAL;
		goto err;
	}
	c.v = *v;
	if (!c.v.created[0])
		now_rfc3339(c.v.created);
	/* mkdtemp made it private; a version is readable by the daemons. */
	if (chmod(workdir, STORE_DIR_MODE) < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot chmod %s: %s", workdir, strerror(-rc));
		goto err;
	}
	rc = sync_files(workdir);
	if (rc < 0) {
		err_set(err, errlen, "cannot sync %s: %s", workdir, strerror(-rc));
		goto err;
	}

	rc = registry_version_add(st->reg, &c.v, commit_reserve, &c, &got);
	if (rc == 0) {
		*version = got;
		goto out;
	}
	if (!c.failed)
		err_set(err, errlen, "%s", registry_error(st->reg));
	if (c.target) {
		/*
		 * Renamed, then the commit failed.  Take the directory back
		 * out only when the row is certainly absent; if we cannot
		 * tell, a directory without a row is the harmless leftover.
		 */
		struct reg_version check;

		if (registry_version_get(st->reg, v->image, c.v.version, &check) == -ENOENT)
			move_aside(st, c.target);
		goto out;
	}
err:
	if (workdir)
		rm_rf(workdir);
out:
	free(c.target);
	free(rootfs);
	return rc;
}

/* ---- deleting and verifying ------------------------------------------------ */

/**
 * store_delete_version() - forget a version, then remove its directory.
 * Return 0 or -errno (+ @err; -EBUSY naming the group that uses it).
 */
int store_delete_version(struct store *st, const char *image, int version,
			 char *err, size_t errlen)
{
	char *dir = NULL, *imgdir = NULL;
	int rc;

	if (!st || !image || !name_valid(image)) {
		err_set(err, errlen, "invalid image name '%s'", image ? image : "");
		return -EINVAL;
	}
	rc = registry_version_delete(st->reg, image, version);
	if (rc < 0) {
		err_set(err, errlen, "%s", registry_error(st->reg));
		return rc;
	}
	dir = store_version_dir(st, image, version);
	rc = move_aside(st, dir);
	if (rc < 0)
		err_set(err, errlen, "version %d of %s is forgotten but %s could not be "
			"removed: %s", version, image, dir, strerror(-rc));
	imgdir = xasprintf("%s/" STORE_IMAGES "/%s", st->dir, image);
	rmdir(imgdir);		/* only if that was the last version */
	free(imgdir);
	free(dir);
	return rc;
}

/**
 * store_verify_version() - recompute the digest of @image@@version and
 * compare it (and the size) with the registry and the manifest.
 * Return 0, -EBADMSG (+ @err) on a mismatch, or another -errno.
 */
int store_verify_version(struct store *st, const char *image, int version,
			 const struct progress *p, char *err, size_t errlen)
{
	char sha[DIGEST_HEX_LEN + 1], msha[DIGEST_HEX_LEN + 1];
	struct reg_version v;
	char *rootfs = NULL, *mpath = NULL;
	struct stat stbuf;
	uint64_t msize;
	int fd = -1, rc;

	if (!st || !image) {
		err_set(err, errlen, "store_verify_version: missing argument");
		return -EINVAL;
	}
	rc = registry_version_get(st->reg, image, version, &v);
	if (rc < 0) {
		err_set(err, errlen, "%s", registry_error(st->reg));
		return rc;
	}
	rootfs = store_version_file(st, image, version, STORE_ROOTFS);
	mpath = store_version_file(st, image, version, STORE_MANIFEST);

	fd = open(rootfs, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &stbuf) < 0) {
		rc = -errno;
		err_set(err, errlen, "version %d of %s: %s: %s", version, image, rootfs,
			strerror(-rc));
		goto err;
	}
	rc = manifest_read(mpath, &msize, msha, err, errlen);
	if (rc == -ENOENT) {
		err_set(err, errlen, "version %d of %s: %s is missing", version, image,
			STORE_MANIFEST);
		rc = -EBADMSG;
	}
	if (rc < 0)
		goto err;
	if ((uint64_t)stbuf.st_size != v.size || msize != v.size) {
		err_set(err, errlen, "version %d of %s: %s is %llu bytes, the registry says "
			"%llu and the manifest %llu", version, image, STORE_ROOTFS,
			(unsigned long long)stbuf.st_size, (unsigned long long)v.size,
			(unsigned long long)msize);
		rc = -EBADMSG;
		goto err;
	}
	rc = digest_file(fd, p, sha);
	if (rc < 0) {
		err_set(err, errlen, "version %d of %s: cannot read %s: %s", version, image,
			rootfs, strerror(-rc));
		goto err;
	}
	if (strcmp(sha, msha) != 0) {
		err_set(err, errlen, "version %d of %s: %s digest %.*s… does not match the "
			"manifest (%.*s…)", version, image, STORE_ROOTFS, DIGEST_SHOW, sha,
			DIGEST_SHOW, msha);
		rc = -EBADMSG;
		goto err;
	}
	if (strcmp(sha, v.sha256) != 0) {
		err_set(err, errlen, "version %d of %s: %s digest %.*s… does not match the "
			"registry (%.*s…)", version, image, STORE_ROOTFS, DIGEST_SHOW, sha,
			DIGEST_SHOW, v.sha256);
		rc = -EBADMSG;
		goto err;
	}
err:
	if (fd >= 0)
		close(fd);
	free(rootfs);
	free(mpath);
	return rc;
}
