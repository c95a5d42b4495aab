/* What an NBD session reads and writes: a backend.
 *
 * Two kinds:
 *   overlay - a persistent or reset-on-boot client's copy-on-write overlay
 *             over its base version (read-write).  One per client, shared
 *             by all that client's connections, so they see one another's
 *             writes and a FLUSH on any of them covers them all
 *             (NBD_FLAG_CAN_MULTI_CONN).
 *   base    - an image version served read-only (volatile clients and
 *             IMAGE@VERSION exports).  One per version, shared by every
 *             session reading it, so all of them read through one page
 *             cache.
 *
 * Opening and closing run on the loop thread (open) and on a worker
 * (close: it flushes); the I/O functions run on worker threads and may be
 * called concurrently on one backend.  Every I/O function returns 0 or a
 * negative errno; ranges are checked by the caller (nbd_check_request()).
 */
#ifndef LR_NBD_BACKEND_H
#define LR_NBD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "export.h"
#include "nbd-proto.h"
#include "store.h"

enum backend_kind {
	BACKEND_OVERLAY,
	BACKEND_BASE,
};

#define BACKEND_KEY_MAX (NAME_MAX_LEN + 16)

struct overlay;

struct backend {
	struct backend *next;		/* in the server's table */
	enum backend_kind kind;
	char key[BACKEND_KEY_MAX];	/* overlay: the MAC; base: IMAGE@VERSION */
	char image[NAME_MAX_LEN + 1];
	int version;
	char mac[MAC_STR_LEN];		/* overlay: the client's MAC, else "" */
	char boot[EXPORT_BOOT_LEN + 1];	/* reset-on-boot: the boot served now */
	struct overlay *ov;		/* overlay only */
	int base_fd;			/* the version's rootfs.img, read only */
	uint64_t size;			/* export size in bytes */
	unsigned refs;			/* sessions using it */
	bool closing;			/* released: a close job is running */
};

/**
 * backend_open_overlay() - open (creating if needed) the overlay of the
 * resolved client @r.  -ESTALE (+ @err) when it was made over another
 * version.  Return: 0 with *@out (refs 0), or -errno (+ @err).
 */
int backend_open_overlay(struct store *st, const struct reg_resolved *r,
			 struct backend **out, char *err, size_t errlen);

/**
 * backend_open_base() - open version @version of @image read-only.
 * Return: 0 with *@out (refs 0), or -errno (+ @err): -ENOENT no such
 * version.
 */
int backend_open_base(struct store *st, const char *image, int version,
		      struct backend **out, char *err, size_t errlen);

/**
 * backend_shutdown() - flush (overlay) and close @b's files, keeping the
 * structure (its key stays valid).  Runs on a worker.
 * Return: 0, or the -errno of the final flush.
 */
int backend_shutdown(struct backend *b);

/**
 * backend_close() - backend_shutdown() and free @b.
 * Return: 0, or the -errno of the final flush (the backend is freed anyway).
 */
int backend_close(struct backend *b);

/** backend_read() - @len bytes at @off into @buf. */
int backend_read(struct backend *b, void *buf, size_t len, uint64_t off);

/**
 * backend_read_cached() - backend_read() from the page cache only, on the
 * loop thread: -EAGAIN when it would wait (a worker does it then).
 */
int backend_read_cached(struct backend *b, void *buf, size_t len, uint64_t off);

/**
 * backend_base_range() - whether [@off, @off + @len) reads exactly as the
 * same range of the base file (b->base_fd) now, found without waiting; the
 * loop then sends it with sendfile().  The base never changes, so bytes
 * sent later are still what the read returned.
 */
bool backend_base_range(struct backend *b, uint64_t off, uint64_t len);

/** backend_write() - write @buf; @fua: durable before return. -EROFS on a base. */
int backend_write(struct backend *b, const void *buf, size_t len, uint64_t off,
		  bool fua);

/** backend_flush() - make every completed write durable. */
int backend_flush(struct backend *b);

/** backend_trim() - the range may read back as zeros; space is freed. */
int backend_trim(struct backend *b, uint64_t off, uint64_t len);

/**
 * backend_zero() - the range reads as zeros.
 * @no_hole: allocate rather than unmap (NBD_CMD_FLAG_NO_HOLE)
 * @fast:    fail with -ENOTSUP rather than write zeros slowly
 *           (NBD_CMD_FLAG_FAST_ZERO): with @no_hole it always does
 * @fua:     durable before return
 */
int backend_zero(struct backend *b, uint64_t off, uint64_t len, bool no_hole,
		 bool fast, bool fua);

/**
 * backend_extents() - "base:allocation" of [@off, @off + @len): up to @max
 * extents in order, each with NBD_STATE_HOLE/NBD_STATE_ZERO flags; like
 * neighbours are merged.  Return: the number of extents (at least 1), or
 * -errno.
 */
int backend_extents(struct backend *b, uint64_t off, uint32_t len,
		    struct nbd_extent *ext, size_t max);

/**
 * backend_boot_load()/backend_boot_store() - the last boot id a
 * reset-on-boot client's overlay was emptied for, kept in its overlay
 * directory as "boot-id".  Load gives "" when there is none.
 */
int backend_boot_load(struct store *st, const char *mac, char out[EXPORT_BOOT_LEN + 1]);
int backend_boot_store(struct store *st, const char *mac, const char *boot);

/**
 * backend_reset_overlay() - empty the overlay of client @mac (no handle
 * may be open) and record @boot as its boot id.  0 or -errno (+ @err).
 */
int backend_reset_overlay(struct store *st, const char *mac, const char *boot,
			  char *err, size_t errlen);

#endif
