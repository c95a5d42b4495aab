/* Comparing two versions of an image file by file. */
#ifndef LR_DIFF_H
#define LR_DIFF_H

#include <stddef.h>
#include "store.h"

enum diff_change { DIFF_ADDED = 'A', DIFF_REMOVED = 'D', DIFF_CHANGED = 'M' };

/** diff_cb - one changed path ("/etc/hostname"), in path order. */
typedef int (*diff_cb)(enum diff_change change, const char *path, void *arg);

/**
 * image_diff() - list files added, removed and changed (content, type,
 * mode, owner or symlink target) from version @a to @b of @image.  Both are
 * unpacked with fs_extract() into a work directory that is removed after.
 * Return 0 or -errno (+ @err).
 */
int image_diff(struct store *st, const char *image, int a, int b, diff_cb cb,
	       void *arg, char *err, size_t errlen);

/**
 * tree_diff() - the same for two directories (used by image_diff).
 * Entries are visited in pre-order, each directory's sorted by name; a
 * path found in one tree only is reported with everything under it.  Times
 * are not compared.  A non-zero return from @cb stops the walk and is
 * returned (also by image_diff).
 */
int tree_diff(const char *dira, const char *dirb, diff_cb cb, void *arg,
	      char *err, size_t errlen);

#endif
