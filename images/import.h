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
 * Additions: --format raw (o->format "raw", kind IMPORT_RAW) takes a file
 * with no known file system as it is (a whole disk); a raw file that does
 * hold one is still checked for truncation and recorded as that format.
 * A full disk fails with -ENOSPC and "disk full while importing NAME: …".
 * Warnings (no kernel / initrd found) go to log_warn() after the commit,
 * naming the new version.
 * Return: 0 with *@version, or -errno with a message in @err.
 */
int image_import(struct store *st, const struct import_opts *o, int *version,
		 char *err, size_t errlen);

/**
 * tar_check_member() - the safety rule for one tar member name (and link
 * target, for symlinks and hard links).  Exposed for tests and the fuzzer.
 * Refused: an empty, over-long or absolute name; a ".." component; a name
 * that goes through one of @symlinks, or (not being a symlink) replaces
 * one; a symlink without a target, or whose relative target climbs above
 * the top ("a/b" -> "../../etc"; an absolute target is fine: it is read
 * inside the image); a hard link whose target is absolute, has "..", goes
 * through a symlink or is one.  Names compare after dropping "." and empty
 * components ("./lib/" is "lib").
 * @symlinks: names of symlinks seen so far in the archive (NULL-terminated
 *            array), since a later member must not pass through one.
 * Return: 0, or -EINVAL with a reason in @err.
 */
int tar_check_member(const char *name, int is_symlink, int is_hardlink,
		     const char *linkname, const char *const *symlinks,
		     char *err, size_t errlen);

/**
 * tar_extract_safe() - unpack the tar archive @archive (plain, or
 * compressed in any way libarchive recognises) into the existing empty
 * directory @dir.  Two passes: first every member is read and checked with
 * the rule of tar_check_member() against all the symlinks in the archive
 * (wherever they are listed), and nothing is written if one is refused;
 * then the archive is read again and unpacked with libarchive's own
 * safety flags on top.  Owners are kept when running as root; device nodes
 * are skipped (one warning) when not.  The archive must be a regular file.
 * The process's working directory is changed to @dir meanwhile (libarchive
 * writes relative to it) and restored after.
 * Return: 0, or -errno with a message in @err (-ENOSPC when the disk fills).
 */
int tar_extract_safe(const char *archive, const char *dir,
		     const struct progress *p, char *err, size_t errlen);

#endif
