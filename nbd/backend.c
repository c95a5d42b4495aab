/* Backends of NBD sessions: client overlays and read-only bases (see
 * backend.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backend.h"
#include "capture.h"
#include "overlay.h"
#include "util.h"

#define BOOT_ID_FILE "boot-id"
#define EXTENTS_SCAN_MAX 64	/* overlay extents looked at per call */

/** backend_new() - a zeroed backend for @image @version. */
static struct backend *backend_new(enum backend_kind kind, const char *image, int version)
{
	struct backend *b = xcalloc(1, sizeof(*b));

	b->kind = kind;
	b->base_fd = -1;
	str_copy(b->image, sizeof(b->image), image);
	b->version = version;
	return b;
}

/** open_base_fd() - open the rootfs of @image @version read-only. */
static int open_base_fd(struct store *st, const char *image, int version, int *fd,
			uint64_t *size, char *err, size_t errlen)
{
	char *path = store_version_file(st, image, version, STORE_ROOTFS);
	struct stat sb;
	int rc = 0;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 || fstat(*fd, &sb) < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	} else {
		*size = (uint64_t)sb.st_size;
	}
	free(path);
	return rc;
}

/** backend_open_overlay() - see backend.h. */
int backend_open_overlay(struct store *st, const struct reg_resolved *r,
			 struct backend **out, char *err, size_t errlen)
{
	struct backend *b = backend_new(BACKEND_OVERLAY, r->version.image, r->version.version);
	int rc;

	str_copy(b->mac, sizeof(b->mac), r->client.mac);
	str_copy(b->key, sizeof(b->key), r->client.mac);
	rc = open_base_fd(st, r->version.image, r->version.version, &b->base_fd, &b->size,
			  err, errlen);
	if (rc < 0)
		goto err;
	rc = client_overlay_open(st, r, OVERLAY_CREATE, &b->ov, err, errlen);
	if (rc < 0)
		goto err;
	b->size = overlay_size(b->ov);
	*out = b;
	return 0;
err:
	if (b->base_fd >= 0)
		close(b->base_fd);
	free(b);
	return rc;
}

/** backend_open_base() - see backend.h. */
int backend_open_base(struct store *st, const char *image, int version,
		      struct backend **out, char *err, size_t errlen)
{
	struct backend *b = backend_new(BACKEND_BASE, image, version);
	int rc;

	snprintf(b->key, sizeof(b->key), "%s@%d", image, version);
	rc = open_base_fd(st, image, version, &b->base_fd, &b->size, err, errlen);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

/** backend_shutdown() - see backend.h. */
int backend_shutdown(struct backend *b)
{
	int rc = 0, rc2;

	if (b->ov) {
		rc = overlay_flush(b->ov);
		rc2 = overlay_close(b->ov);
		if (rc == 0)
			rc = rc2;
		b->ov = NULL;
	}
	if (b->base_fd >= 0) {
		close(b->base_fd);
		b->base_fd = -1;
	}
	return rc;
}

/** backend_close() - see backend.h. */
int backend_close(struct backend *b)
{
	int rc;

	if (!b)
		return 0;
	rc = backend_shutdown(b);
	free(b);
	return rc;
}

/** backend_read() - see backend.h. */
int backend_read(struct backend *b, void *buf, size_t len, uint64_t off)
{
	if (b->ov)
		return overlay_read(b->ov, buf, len, off);
	return pread_full(b->base_fd, buf, len, (off_t)off);
}

/** backend_read_cached() - see backend.h. */
int backend_read_cached(struct backend *b, void *buf, size_t len, uint64_t off)
{
	if (b->ov)
		return overlay_read_cached(b->ov, buf, len, off);
	return pread_cached(b->base_fd, buf, len, off, false);
}

/** backend_base_range() - see backend.h. */
bool backend_base_range(struct backend *b, uint64_t off, uint64_t len)
{
	if (off > b->size || len > b->size - off)
		return false;
	if (!b->ov)
		return true;
	return overlay_base_range(b->ov, off, len) == 1;
}

/** backend_write() - see backend.h. */
int backend_write(struct backend *b, const void *buf, size_t len, uint64_t off, bool fua)
{
	if (!b->ov)
		return -EROFS;
	return overlay_write(b->ov, buf, len, off, fua ? OVERLAY_FUA : 0);
}

/** backend_flush() - see backend.h. */
int backend_flush(struct backend *b)
{
	return b->ov ? overlay_flush(b->ov) : 0;
}

/** backend_trim() - see backend.h. */
int backend_trim(struct backend *b, uint64_t off, uint64_t len)
{
	if (!b->ov)
		return -EROFS;
	return overlay_trim(b->ov, off, len);
}

/** backend_zero() - see backend.h. */
int backend_zero(struct backend *b, uint64_t off, uint64_t len, bool no_hole, bool fast,
		 bool fua)
{
	unsigned flags = (no_hole ? OVERLAY_NO_HOLE : 0) | (fua ? OVERLAY_FUA : 0);

	if (!b->ov)
		return -EROFS;
	/* Unmapping whole clusters is a map change: fast.  Allocating zeros
	 * writes every byte: not what a FAST_ZERO caller wants. */
	if (fast && no_hole)
		return -ENOTSUP;
	return overlay_zero(b->ov, off, len, flags);
}

/**
 * base_extent() - how the base file reads at @off: as data or as a hole
 * (zeros), and for how many bytes up to @end.
 * Return: 0 with *@len and *@flags, or -errno.
 */
static int base_extent(int fd, uint64_t off, uint64_t end, uint64_t *len, uint32_t *flags)
{
	off_t data, hole;

	data = lseek(fd, (off_t)off, SEEK_DATA);
	if (data < 0 && errno != ENXIO)
		return -errno;
	if (data < 0 || (uint64_t)data > off) {
		/* A hole up to the next data (or the end). */
		*len = (data < 0 || (uint64_t)data > end ? end : (uint64_t)data) - off;
		*flags = NBD_STATE_HOLE | NBD_STATE_ZERO;
		return 0;
	}
	hole = lseek(fd, (off_t)off, SEEK_HOLE);
	if (hole < 0)
		return -errno;
	*len = ((uint64_t)hole > end ? end : (uint64_t)hole) - off;
	*flags = 0;
	return 0;
}

/**
 * add_extent() - append (@len, @flags) to @ext, merging with the last one
 * when alike.  Return: false when @max extents are used and it does not merge.
 */
static bool add_extent(struct nbd_extent *ext, size_t *n, size_t max, uint64_t len,
		       uint32_t flags)
{
	if (*n > 0 && ext[*n - 1].flags == flags) {
		ext[*n - 1].length += (uint32_t)len;
		return true;
	}
	if (*n == max)
		return false;
	ext[*n].length = (uint32_t)len;
	ext[*n].flags = flags;
	(*n)++;
	return true;
}

/**
 * base_extents() - add the base's allocation of [@off, @end) to @ext.
 * Return: bytes described (less than the range when @max ran out), or
 * -errno.
 */
static int64_t base_extents(int fd, uint64_t off, uint64_t end, struct nbd_extent *ext,
			    size_t *n, size_t max)
{
	uint64_t pos = off, len = 0;
	uint32_t flags = 0;
	int rc;

	while (pos < end) {
		rc = base_extent(fd, pos, end, &len, &flags);
		if (rc < 0)
			return rc;
		if (len == 0)
			break;
		if (!add_extent(ext, n, max, len, flags))
			break;
		pos += len;
	}
	return (int64_t)(pos - off);
}

/** backend_extents() - see backend.h. */
int backend_extents(struct backend *b, uint64_t off, uint32_t len, struct nbd_extent *ext,
		    size_t max)
{
	struct overlay_extent oe[EXTENTS_SCAN_MAX];
	uint64_t end = off + len;
	int64_t got;
	size_t n = 0;
	int i, m;

	if (max == 0 || len == 0)
		return -EINVAL;
	if (!b->ov) {
		got = base_extents(b->base_fd, off, end, ext, &n, max);
		return got < 0 ? (int)got : (int)n;
	}
	m = overlay_map(b->ov, off, len, oe, EXTENTS_SCAN_MAX);
	if (m < 0)
		return m;
	for (i = 0; i < m; i++) {
		if (oe[i].state == OVERLAY_BASE) {
			got = base_extents(b->base_fd, oe[i].off, oe[i].off + oe[i].len,
					   ext, &n, max);
			if (got < 0)
				return (int)got;
			if ((uint64_t)got < oe[i].len)
				break;
		} else if (!add_extent(ext, &n, max, oe[i].len,
				       oe[i].state == OVERLAY_ZERO ?
				       NBD_STATE_HOLE | NBD_STATE_ZERO : 0)) {
			break;
		}
	}
	return n ? (int)n : -EIO;
}

/** boot_path() - "OVERLAY_DIR/boot-id" of client @mac (caller frees). */
static char *boot_path(struct store *st, const char *mac)
{
	char *dir = store_overlay_dir(st, mac);
	char *path = xasprintf("%s/" BOOT_ID_FILE, dir);

	free(dir);
	return path;
}

/** backend_boot_load() - see backend.h. */
int backend_boot_load(struct store *st, const char *mac, char out[EXPORT_BOOT_LEN + 1])
{
	char *path = boot_path(st, mac);
	char buf[EXPORT_BOOT_LEN + 2];
	ssize_t n;
	int fd, rc = 0;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	/* A damaged file counts as no boot seen: the next boot resets. */
	if (n >= EXPORT_BOOT_LEN) {
		memcpy(out, buf, EXPORT_BOOT_LEN);
		out[EXPORT_BOOT_LEN] = '\0';
	}
out:
	free(path);
	return rc;
}

/** backend_boot_store() - see backend.h. */
int backend_boot_store(struct store *st, const char *mac, const char *boot)
{
	char *path = boot_path(st, mac);
	char *dir = store_overlay_dir(st, mac);
	char line[EXPORT_BOOT_LEN + 2];
	int rc;

	rc = mkdir_p(dir, 0700);
	if (rc == 0) {
		snprintf(line, sizeof(line), "%s\n", boot);
		rc = file_write_atomic(path, line, strlen(line), 0600);
	}
	free(dir);
	free(path);
	return rc;
}

/** backend_reset_overlay() - see backend.h. */
int backend_reset_overlay(struct store *st, const char *mac, const char *boot,
			  char *err, size_t errlen)
{
	char *dir = store_overlay_dir(st, mac);
	int rc;

	rc = overlay_reset(dir);
	if (rc < 0) {
		err_set(err, errlen, "cannot empty the overlay in %s: %s", dir, strerror(-rc));
		goto out;
	}
	rc = backend_boot_store(st, mac, boot);
	if (rc < 0)
		err_set(err, errlen, "cannot record the boot id in %s: %s", dir, strerror(-rc));
out:
	free(dir);
	return rc;
}
