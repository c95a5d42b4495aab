/* Importing a new version of an image from a raw image file, a directory
 * tree or a tar archive.
 */
#ifndef LR_IMPORT_H
#define LR_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"
#include "progress.h"

enum import_source { IMPORT_AUTO = 0, IMPORT_RAW, IMPORT_TREE, IMPORT_TAR };

struct import_opts {
	const char *image;	/* image name (created if new) */
	const char *src;	/* file, directory or tar archive */
	enum import_source kind; /* AUTO: directory → tree; tar magic → tar; else raw */
	const char *format;	/* tree/tar: ext4 | erofs | squashfs (default ext4) */
	uint64_t size;		/* tree/tar, ext4: image size, 0 = estimate */
	const char *kernel;	/* kernel file, NULL = look in the tree's /boot */
	const char *initrd;	/* initrd file, NULL = look in the tree's /boot */
	const char *note;	/* free text for the manifest */
	struct progress progress;
};

/**
 * image_import() - make a new version of @o->image from @o->src.
 * Raw images are checked first: the file must exist, be a regular file (or
 * block device), non-empty and, unless --format says otherwise, hold a file
 * system whose superblock fits in the file (a truncated image is refused).
 * Trees are built with fs_build(); tar archives are unpacked first with
 * every member checked: absolute names, ".." components, and members that
 * would be written through a symlink are refused, naming the member.
 * The kernel and initrd are taken from @o->kernel/@o->initrd, else from the
 * tree's /boot (vmlinuz*, initrd.img* / initramfs*); a raw image's /boot is
 * searched too.  Missing ones are a warning, not an error.
 * On any failure the half-made version is removed and the registry is
 * unchanged.
 * Return: 0 with *@version, or -errno with a message in @err.
 */
int image_import(struct store *st, const struct import_opts *o, int *version,
		 char *err, size_t errlen);

/**
 * tar_check_member() - the safety rule for one tar member name (and link
 * target, for symlinks and hard links).  Exposed for tests and the fuzzer.
 * @symlinks: names of symlinks seen so far in the archive (NULL-terminated
 *            array), since a later member must not pass through one.
 * Return: 0, or -EINVAL with a reason in @err.
 */
int tar_check_member(const char *name, int is_symlink, int is_hardlink,
		     const char *linkname, const char *const *symlinks,
		     char *err, size_t errlen);

#endif
