/* The content digest of an image file, as recorded in its manifest.
 *
 * "sha256" in a manifest is SHA-256 over the concatenated SHA-256 digests of
 * the file's 1 MiB chunks (the last one may be short).  A chunk that is a
 * hole, or all zeros, has a known digest and is not read or hashed again, so
 * hashing a 2 GiB sparse image costs what its data costs; chunks hash on all
 * cores.  `lanroot image verify` recomputes it; any change to any byte
 * changes it.  (It is therefore not what sha256sum prints; see lanroot(8).)
 */
#ifndef LR_DIGEST_H
#define LR_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include "progress.h"

#define DIGEST_CHUNK (1024 * 1024)
#define DIGEST_HEX_LEN 64

struct digest;

/**
 * digest_new() - a digest of a file of @size bytes, fed chunk by chunk
 * (in any order) with digest_chunk()/digest_zero_chunk().
 */
struct digest *digest_new(uint64_t size);
void digest_free(struct digest *d);

/**
 * digest_chunk() - hash chunk @index from @buf (DIGEST_CHUNK bytes, or
 * fewer for the last one).  Thread-safe for distinct indexes.  0 or -errno.
 */
int digest_chunk(struct digest *d, uint64_t index, const void *buf, size_t len);

/** digest_zero_chunk() - chunk @index is all zeros (a hole). */
int digest_zero_chunk(struct digest *d, uint64_t index);

/**
 * digest_final() - the hex digest once every chunk has been fed; -EINVAL
 * if some chunk is missing.
 */
int digest_final(struct digest *d, char out[DIGEST_HEX_LEN + 1]);

/**
 * digest_file() - the digest of an open file: reads only its data
 * (SEEK_DATA/SEEK_HOLE), hashes in parallel.  0 or -errno.
 */
int digest_file(int fd, const struct progress *p, char out[DIGEST_HEX_LEN + 1]);

#endif
