/* The files bootd serves, by name, shared by TFTP and HTTP.
 *
 * Name space (both protocols; a leading '/' is ignored and '\' is read as
 * '/'):
 *   boot.ipxe                      iPXE script rendered for the client
 *                                  (?mac= over HTTP, else the requester)
 *   [PREFIX/]pxelinux.cfg/NAME     syslinux config rendered for the client:
 *                                  NAME = UUID, 01-<mac>, hex IP prefix
 *                                  (C0A80001 … C) or "default"
 *   images/IMAGE/VERSION/FILE      vmlinuz, initrd.img, rootfs.img of a
 *                                  registered image version
 *   loaders                        pxelinux.0, lpxelinux.0, NAME.c32
 *                                  (syslinux bios modules),
 *                                  efi64/syslinux.efi, efi64/NAME.e64 and
 *                                  efi64/NAME.c32 (efi64 modules),
 *                                  undionly.kpxe, snponly.efi, ipxe.efi,
 *                                  ipxe.pxe, arm64/NAME (ipxe_dir/arm64-efi),
 *                                  from the Debian package directories
 *   anything else                  beneath [tftp] root (a file there also
 *                                  overrides a loader of the same name)
 * Everything is opened with open_beneath() on directory descriptors opened
 * by bootcfg_new()/bootcfg_reload(), so nothing outside those directories
 * can be reached and it keeps working after the privilege drop.
 */
#ifndef LR_VFS_H
#define LR_VFS_H

#include <stdint.h>
#include <time.h>
#include "mac.h"

struct bootcfg;

/* Longest name accepted (bytes, after the leading '/'). */
#define VFS_PATH_MAX 1024

enum vfs_proto { VFS_TFTP, VFS_HTTP };

/* What a client asked for. */
struct vfs_req {
	const char *path;		/* TFTP file name, or the HTTP path already %-decoded */
	enum vfs_proto proto;
	uint32_t peer_ip;		/* host order; 0x7f000001 etc. for loopback */
	uint32_t server_ip;		/* the address the client reached (for URLs in scripts) */
	const char *query_mac;		/* HTTP ?mac=…, else NULL */
};

/* An open file, or rendered text. */
struct vfs_file {
	int fd;				/* open file (O_RDONLY), or -1 for rendered text */
	char *data;			/* rendered text (malloc'd) when fd < 0 */
	uint64_t size;			/* bytes */
	time_t mtime;			/* modification time (rendering time for text) */
	const char *kind;		/* "config" | "loader" | "image" | "file" */
	char mac[MAC_STR_LEN];		/* the client a config was rendered for, else "" */
};

#define VFS_KIND_CONFIG "config"
#define VFS_KIND_LOADER "loader"
#define VFS_KIND_IMAGE "image"
#define VFS_KIND_FILE "file"

/**
 * vfs_open() - open what @req->path names.
 * @bc: the boot configuration (directories, registry, client map)
 * @req: the request
 * @out: filled on success (close with vfs_close()); on failure fd = -1,
 *       data = NULL
 * @err: on failure, what was wrong, for the log and the client
 * Return: 0; -ENOENT not found (also: a config for an unknown client that
 * is refused); -EACCES outside the root, a '..' component, someone else's
 * config; -EINVAL malformed path (empty, NUL, control character, empty
 * component, too long); -EISDIR a directory; other -errno.
 */
int vfs_open(struct bootcfg *bc, const struct vfs_req *req, struct vfs_file *out,
	     char *err, size_t errlen);

/** vfs_close() - close the descriptor or free the text of @f (idempotent). */
void vfs_close(struct vfs_file *f);

/**
 * vfs_normalize() - the checks and rewriting vfs_open() does on a name:
 * leading '/' dropped, '\' read as '/', no '..' component (-EACCES), no
 * NUL in the first @len bytes, control character or empty component
 * (-EINVAL).  "." components are dropped.  @out gets the result
 * (VFS_PATH_MAX bytes).  Return: 0 or -errno (+ @err).
 */
int vfs_normalize(const char *path, size_t len, char out[VFS_PATH_MAX], char *err,
		  size_t errlen);

#endif
