/* The image store: the on-disk layout under STATE_DIR and the objects in it.
 *
 *   STATE_DIR/registry.db            the registry (registry.h)
 *   STATE_DIR/secret                 HMAC key for export tokens (0600)
 *   STATE_DIR/images/NAME/N/         version N of image NAME, immutable:
 *        rootfs.img  vmlinuz  initrd.img  manifest.json
 *   STATE_DIR/overlays/MAC/          a client's copy-on-write overlay
 *   STATE_DIR/tmp/                   work in progress (same file system,
 *                                    so a finished version is renamed in)
 *
 * A version directory appears (by rename) only once complete, and the
 * registry row is committed only after that rename; a failure on the way
 * removes the work directory and leaves the registry as it was.
 */
#ifndef LR_STORE_H
#define LR_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "registry.h"
#include "token.h"
#include "progress.h"

#define STORE_ROOTFS "rootfs.img"
#define STORE_KERNEL "vmlinuz"
#define STORE_INITRD "initrd.img"
#define STORE_MANIFEST "manifest.json"

struct store {
	char *dir;		/* STATE_DIR */
	struct registry *reg;	/* open registry */
	uint8_t secret[SECRET_LEN]; /* token key */
	uint32_t cluster_size;	/* overlay cluster size for new overlays */
};

/**
 * store_init() - create STATE_DIR and its layout, the secret and an empty
 * registry.  Safe to run again: what exists is kept (the secret is never
 * replaced).  Return 0 or -errno with a message in @err.
 */
int store_init(const char *dir, char *err, size_t errlen);

/**
 * store_open() - open an initialised store.  -ENOENT with "run lanroot
 * init" in @err if it is not one.
 */
int store_open(const char *dir, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

/** store_version_dir() - "STATE_DIR/images/NAME/N" (caller frees). */
char *store_version_dir(const struct store *st, const char *image, int version);
/** store_version_file() - a file in that directory (caller frees). */
char *store_version_file(const struct store *st, const char *image, int version,
			 const char *file);
/** store_overlay_dir() - "STATE_DIR/overlays/aa-bb-cc-dd-ee-ff" (caller frees). */
char *store_overlay_dir(const struct store *st, const char *mac);

/**
 * store_workdir() - make a fresh private directory under STATE_DIR/tmp for
 * work in progress.  Caller frees the path and removes the directory.
 */
int store_workdir(const struct store *st, char **path);

/**
 * store_commit_version() - turn a complete work directory into the next
 * version of @v->image: allocate the number, rename the directory into
 * place, write the manifest, commit the registry row.  On failure the work
 * directory is removed and the registry is unchanged.
 * Return 0 with *@version set, or -errno (+ @err).
 */
int store_commit_version(struct store *st, const char *workdir,
			 const struct reg_version *v, int *version,
			 char *err, size_t errlen);

/**
 * store_delete_version() - remove a version that nothing uses: registry row
 * first, then the directory.  -EBUSY (+ @err naming the group) if in use.
 */
int store_delete_version(struct store *st, const char *image, int version,
			 char *err, size_t errlen);

/**
 * store_verify_version() - recompute the digest of a version's rootfs and
 * compare with the registry and the manifest.  0 if they match, -EBADMSG
 * (+ @err) if not, other -errno on I/O failure.
 */
int store_verify_version(struct store *st, const char *image, int version,
			 const struct progress *p, char *err, size_t errlen);

/** Manifest of a version as JSON text (caller frees), from @v. */
char *manifest_render(const struct reg_version *v);

#endif
