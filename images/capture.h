/* Capture: a client's overlay merged with its base becomes the next version
 * of the image (build a golden machine by hand, then roll it out).
 */
#ifndef LR_CAPTURE_H
#define LR_CAPTURE_H

#include <stddef.h>
#include "store.h"
#include "progress.h"

/**
 * client_capture() - copy the client's base version (reflink or sparse
 * copy), apply its overlay, hash, and commit as a new version of the same
 * image with parent = the base version; kernel and initrd are shared with
 * the base (hard links).  The overlay is left as it is.
 * Return 0 with *@version, or -errno (+ @err): -ENOENT if the client has no
 * overlay (volatile clients write nothing on the server).
 */
int client_capture(struct store *st, const char *client, const char *note,
		   const struct progress *p, int *version, char *err, size_t errlen);

/**
 * client_overlay_open() - open the overlay of a resolved client over its
 * effective base version.  Shared by capture, the CLI and blockd.
 */
struct overlay;
int client_overlay_open(struct store *st, const struct reg_resolved *r,
			unsigned flags, struct overlay **out, char *err, size_t errlen);

/** client_base_id() - "IMAGE@VERSION:SHA256" for overlay_open(). */
void client_base_id(const struct reg_version *v, char *out, size_t outlen);

#endif
