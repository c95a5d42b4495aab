/* Copying image files: reflink where the file system offers it, otherwise
 * a sparse-aware copy that moves only data extents and keeps holes.
 */
#ifndef LR_COPY_H
#define LR_COPY_H

#include <stdint.h>
#include "progress.h"

struct digest;

/**
 * copy_image() - copy all of @srcfd to @dstfd (an empty file): first try
 * FICLONE; else walk data extents with SEEK_DATA/SEEK_HOLE and copy them
 * (copy_file_range, or read/write), leaving holes as holes; all-zero blocks
 * read from the source also become holes.  Sets the destination size.
 * @digest: if not NULL, fed every chunk while copying (zero chunks cost
 *          nothing), so no second pass is needed.
 * Chunks are copied by one worker per core, and writeback of each copied
 * chunk is started at once (sync_file_range), so the caller's fsync() has
 * little left to wait for.  The source must not change during the copy.
 * Return: 0 or -errno (-ENOSPC when the disk fills; the caller removes the
 * half-written file).
 */
int copy_image(int srcfd, int dstfd, struct digest *digest, const struct progress *p);

/**
 * copy_file_path() - copy the file @src to a new file @dst (mode 0644) with
 * copy_image().  0 or -errno.
 */
int copy_file_path(const char *src, const char *dst, const struct progress *p);

#endif
