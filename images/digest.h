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
#define DIGEST_BYTES 32		/* SHA-256 of one chunk */

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
 * digest_set_chunk() - chunk @index has the SHA-256 @sum, hashed by the
 * caller (e.g. incrementally while copying).  0 or -EINVAL.
 */
int digest_set_chunk(struct digest *d, uint64_t index, const uint8_t sum[DIGEST_BYTES]);

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

/**
 * digest_feed_file() - feed every chunk of @d (made with digest_new() for
 * the file's size) from the open file @fd, as digest_file() reads it; used
 * after a reflink copy.  0 or -errno (-EINVAL if the sizes differ).
 */
int digest_feed_file(struct digest *d, int fd, const struct progress *p);

/**
 * digest_data_chunks() - the indexes of the chunks of @fd (@size bytes)
 * that overlap a data extent (SEEK_DATA/SEEK_HOLE), ascending; the others
 * lie wholly in holes.  A file system without SEEK_DATA makes every chunk
 * a data chunk.  Return 0 with *@chunks (caller frees) and *@n, or -errno.
 */
int digest_data_chunks(int fd, uint64_t size, uint64_t **chunks, uint64_t *n);

#endif
