/* Capture: a client's base version plus its server-side overlay becomes the
 * next version of the image (see capture.h).
 *
 * The base is copied into a work directory (reflink or sparse copy), the
 * clusters the overlay changed are written over it, the result is hashed
 * and committed with store_commit_version().  Kernel and initrd are the
 * base's (hard links, so they cost no space).  The overlay is only read.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "copy.h"
#include "digest.h"
#include "overlay.h"
#include "util.h"

#define OVERLAY_DIR_MODE 0700	/* a client's overlay is private */

/**
 * client_base_id() - "IMAGE@VERSION:SHA256" of @v into @out, which should
 * hold OVERLAY_BASE_ID_MAX + 1 bytes (the longest name, version and digest
 * fit; a shorter buffer gets a prefix).
 */
void client_base_id(const struct reg_version *v, char *out, size_t outlen)
{
	int n;

	if (!outlen)
		return;
	n = snprintf(out, outlen, "%s@%d:", v->image, v->version);
	if (n < 0 || (size_t)n >= outlen)
		return;
	str_copy(out + n, outlen - (size_t)n, v->sha256);
}

/**
 * client_overlay_open() - open the overlay of the resolved client @r over
 * its effective base version.
 * @flags: OVERLAY_CREATE (the overlay directory is made too) and/or
 *         OVERLAY_READONLY, as for overlay_open().
 * Return: 0 with *@out, or -errno (+ @err): -ENOENT no overlay, -ESTALE made
 * over another base, -EBADMSG damaged.
 */
int client_overlay_open(struct store *st, const struct reg_resolved *r,
			unsigned flags, struct overlay **out, char *err, size_t errlen)
{
	char id[OVERLAY_BASE_ID_MAX + 1];
	char *dir = NULL, *base = NULL;
	const char *who;
	int rc;

	if (!st || !r || !out) {
		err_set(err, errlen, "client_overlay_open: missing argument");
		return -EINVAL;
	}
	who = r->client.name[0] ? r->client.name : r->client.mac;
	dir = store_overlay_dir(st, r->client.mac);
	base = store_version_file(st, r->version.image, r->version.version, STORE_ROOTFS);
	client_base_id(&r->version, id, sizeof(id));
	if (flags & OVERLAY_CREATE) {
		rc = mkdir_p(dir, OVERLAY_DIR_MODE);
		if (rc < 0) {
			err_set(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
			goto err;
		}
	}
	rc = overlay_open(dir, base, id, st->cluster_size, flags, out);
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
		err_set(err, errlen, "client %s has no server-side overlay (mode %s)",
			who, r->mode);
		break;
	case -ESTALE:
		err_set(err, errlen, "the overlay of client %s was made over another "
			"version than %s %d; reset it with 'lanroot client reset %s'",
			who, r->version.image, r->version.version, who);
		break;
	case -EBADMSG:
		err_set(err, errlen, "the overlay of client %s in %s is damaged", who, dir);
		break;
	default:
		err_set(err, errlen, "cannot open the overlay of client %s in %s: %s",
			who, dir, strerror(-rc));
		break;
	}
err:
	free(dir);
	free(base);
	return rc;
}

/**
 * share_file() - give @dst the content of @src: a hard link, or a copy
 * where links are not possible.  Return 0 or -errno.
 */
static int share_file(const char *src, const char *dst)
{
	if (link(src, dst) == 0)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
		return -errno;
	return copy_file_path(src, dst, NULL);
}

/**
 * share_boot_file() - share the base version's kernel or initrd @name (""
 * = none) into @workdir.  Return 0 or -errno (+ @err).
 */
static int share_boot_file(struct store *st, const struct reg_version *base,
			   const char *name, const char *workdir,
			   char *err, size_t errlen)
{
	char *src, *dst;
	int rc;

	if (!name[0])
		return 0;
	if (strchr(name, '/')) {
		err_set(err, errlen, "version %d of %s: bad file name '%s'", base->version,
			base->image, name);
		return -EINVAL;
	}
	src = store_version_file(st, base->image, base->version, name);
	dst = xasprintf("%s/%s", workdir, name);
	rc = share_file(src, dst);
	if (rc < 0)
		err_set(err, errlen, "cannot share %s into the new version: %s", src,
			strerror(-rc));
	free(src);
	free(dst);
	return rc;
}

/**
 * client_capture() - make the next version of the client's image from its
 * base and overlay (see capture.h).
 * Return 0 with *@version, or -errno (+ @err).
 */
int client_capture(struct store *st, const char *client, const char *note,
		   const struct progress *p, int *version, char *err, size_t errlen)
{
	struct reg_resolved r;
	struct reg_version nv;
	struct overlay *ov = NULL;
	char *work = NULL, *base = NULL, *dst = NULL;
	int basefd = -1, dstfd = -1, rc;
	struct stat stbuf;

	if (!st || !client || !version) {
		err_set(err, errlen, "client_capture: missing argument");
		return -EINVAL;
	}
	if (note && strlen(note) >= sizeof(nv.note)) {
		err_set(err, errlen, "note too long (at most %zu bytes)", sizeof(nv.note) - 1);
		return -EINVAL;
	}
	rc = registry_client_resolve(st->reg, client, &r);
	if (rc < 0) {
		err_set(err, errlen, "%s", registry_error(st->reg));
		return rc;
	}
	rc = client_overlay_open(st, &r, OVERLAY_READONLY, &ov, err, errlen);
	if (rc < 0)
		return rc;

	rc = store_workdir(st, &work);
	if (rc < 0) {
		err_set(err, errlen, "cannot make a work directory in %s/tmp: %s", st->dir,
			strerror(-rc));
		goto err;
	}
	base = store_version_file(st, r.version.image, r.version.version, STORE_ROOTFS);
	dst = xasprintf("%s/" STORE_ROOTFS, work);
	basefd = open(base, O_RDONLY | O_CLOEXEC);
	if (basefd < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot open %s: %s", base, strerror(-rc));
		goto err;
	}
	dstfd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (dstfd < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot create %s: %s", dst, strerror(-rc));
		goto err;
	}
	rc = copy_image(basefd, dstfd, NULL, p);
	if (rc < 0) {
		err_set(err, errlen, "cannot copy %s: %s", base, strerror(-rc));
		goto err;
	}
	rc = overlay_capture(ov, dstfd, p);
	if (rc < 0) {
		err_set(err, errlen, "cannot apply the overlay of %s: %s", client,
			strerror(-rc));
		goto err;
	}

	memset(&nv, 0, sizeof(nv));
	str_copy(nv.image, sizeof(nv.image), r.version.image);
	str_copy(nv.format, sizeof(nv.format), r.version.format);
	str_copy(nv.kernel, sizeof(nv.kernel), r.version.kernel);
	str_copy(nv.initrd, sizeof(nv.initrd), r.version.initrd);
	str_copy(nv.note, sizeof(nv.note), note ? note : "");
	nv.parent = r.version.version;
	if (fstat(dstfd, &stbuf) < 0) {
		rc = -errno;
		err_set(err, errlen, "%s: %s", dst, strerror(-rc));
		goto err;
	}
	nv.size = (uint64_t)stbuf.st_size;
	rc = digest_file(dstfd, p, nv.sha256);
	if (rc < 0) {
		err_set(err, errlen, "cannot hash %s: %s", dst, strerror(-rc));
		goto err;
	}
	close(dstfd);
	dstfd = -1;
	rc = share_boot_file(st, &r.version, nv.kernel, work, err, errlen);
	if (rc == 0)
		rc = share_boot_file(st, &r.version, nv.initrd, work, err, errlen);
	if (rc < 0)
		goto err;

	/* The commit removes the work directory itself if it fails. */
	rc = store_commit_version(st, work, &nv, version, err, errlen);
	free(work);
	work = NULL;
err:
	if (dstfd >= 0)
		close(dstfd);
	if (basefd >= 0)
		close(basefd);
	if (work) {
		rm_rf(work);
		free(work);
	}
	if (ov)
		overlay_close(ov);
	free(base);
	free(dst);
	return rc;
}
