/* Copying image files (see copy.h).
 *
 * The fast way is a reflink (FICLONE): no data moves.  Otherwise only the
 * digest chunks that overlap the source's data extents (SEEK_DATA/
 * SEEK_HOLE) are read; blocks of zeros found in them are not written, so
 * they stay holes.  Chunks are shared out to one worker per core
 * (chunkpool.h).  A worker
 * moves its chunk in small blocks that stay in the CPU cache from read to
 * write to hash, so the data crosses memory once, and each chunk's hash is
 * computed on the way (no second pass).  After a chunk is written its
 * writeback is started, so the caller's fsync() overlaps with the copy.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <gnutls/crypto.h>

#include "chunkpool.h"
#include "copy.h"
#include "digest.h"
#include "util.h"

#define COPY_BLOCK (128u * 1024u)	/* bytes moved at once: fits the cache */
#define COPY_HOLE_BLOCK 4096u		/* granularity of holes we make */
#define COPY_MAX_THREADS 8		/* workers; more only contend on the inode */
#define COPY_PROGRESS_STEP (64ull * DIGEST_CHUNK) /* bytes between reports */

/* Zeros to hash for the zero blocks that begin a chunk with data later. */
static const uint8_t zero_block[COPY_BLOCK];

/* What the threads of one copy share (read only). */
struct copy_job {
	int srcfd, dstfd;		/* source and (empty) destination */
	uint64_t size;			/* bytes in the source */
	struct digest *digest;		/* fed per chunk, or NULL */
	const uint64_t *chunks;		/* indexes of chunks with data */
};

/**
 * block_is_zero() - whether the @len bytes at @p are all zero.  Data blocks
 * usually differ from zero in their first word, so test that first.
 */
static bool block_is_zero(const uint8_t *p, size_t len)
{
	uint64_t w;

	if (len >= sizeof(w)) {
		memcpy(&w, p, sizeof(w));
		if (w)
			return false;
	}
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/**
 * write_nonzero() - write @len bytes of @buf at @off of @fd, skipping
 * blocks of zeros (they stay holes of the empty destination).
 * @all_zero: set to whether every byte was zero.
 * Return: 0 or -errno.
 */
static int write_nonzero(int fd, const uint8_t *buf, size_t len, uint64_t off,
			 bool *all_zero)
{
	size_t pos = 0, run = 0;	/* run: start of pending non-zero bytes */
	bool in_run = false, any = false;
	int rc;

	while (pos < len) {
		size_t blk = len - pos < COPY_HOLE_BLOCK ? len - pos : COPY_HOLE_BLOCK;

		if (!block_is_zero(buf + pos, blk)) {
			any = true;
			if (!in_run) {
				run = pos;
				in_run = true;
			}
		} else if (in_run) {
			rc = pwrite_full(fd, buf + run, pos - run, off + run);
			if (rc < 0)
				return rc;
			in_run = false;
		}
		pos += blk;
	}
	if (in_run) {
		rc = pwrite_full(fd, buf + run, len - run, off + run);
		if (rc < 0)
			return rc;
	}
	*all_zero = !any;
	return 0;
}

/**
 * hash_zeros() - feed @len zero bytes to @h.  Return 0 or -EIO.
 */
static int hash_zeros(gnutls_hash_hd_t h, size_t len)
{
	while (len) {
		size_t n = len < COPY_BLOCK ? len : COPY_BLOCK;

		if (gnutls_hash(h, zero_block, n) < 0)
			return -EIO;
		len -= n;
	}
	return 0;
}

/**
 * copy_chunk() - copy chunk @index of @job block by block and, if a digest
 * is wanted, hash it on the way.  Leading zero blocks are only counted, so
 * a chunk of zeros costs no hashing (it gets the known zero digest).
 * @buf: COPY_BLOCK bytes of scratch.
 * Return: 0 or -errno.
 */
static int copy_chunk(struct copy_job *job, uint64_t index, uint8_t *buf)
{
	uint64_t off = index * DIGEST_CHUNK;
	size_t len = job->size - off < DIGEST_CHUNK ? (size_t)(job->size - off) : DIGEST_CHUNK;
	size_t pos, zero_prefix = 0;
	gnutls_hash_hd_t h = NULL;
	uint8_t sum[DIGEST_BYTES];
	int rc = 0;

	for (pos = 0; pos < len; pos += COPY_BLOCK) {
		size_t n = len - pos < COPY_BLOCK ? len - pos : COPY_BLOCK;
		bool zero;

		rc = pread_full(job->srcfd, buf, n, off + pos);
		if (rc < 0)
			goto err;
		rc = write_nonzero(job->dstfd, buf, n, off + pos, &zero);
		if (rc < 0)
			goto err;
		if (!job->digest)
			continue;
		if (!h && zero) {
			zero_prefix += n;
			continue;
		}
		if (!h) {
			if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
				h = NULL;
				rc = -EIO;
				goto err;
			}
			rc = hash_zeros(h, zero_prefix);
			if (rc < 0)
				goto err;
		}
		if (gnutls_hash(h, buf, n) < 0) {
			rc = -EIO;
			goto err;
		}
	}
	if (job->digest) {
		if (h) {
			gnutls_hash_deinit(h, sum);
			h = NULL;
			rc = digest_set_chunk(job->digest, index, sum);
		} else {
			rc = digest_zero_chunk(job->digest, index);
		}
	}
	/* Start writing it to disk; errors show up at the caller's fsync(). */
	sync_file_range(job->dstfd, (off64_t)off, (off64_t)len, SYNC_FILE_RANGE_WRITE);
err:
	if (h)
		gnutls_hash_deinit(h, NULL);
	return rc;
}

/**
 * copy_item() - chunkpool_fn that copies data chunk number @k of the job.
 * @k: entry of the job's chunks list
 * @buf: COPY_BLOCK bytes of scratch
 * @arg: the struct copy_job
 * Return: DIGEST_CHUNK (bytes for progress) or -errno.
 */
static int64_t copy_item(uint64_t k, void *buf, void *arg)
{
	struct copy_job *job = arg;
	int rc = copy_chunk(job, job->chunks[k], buf);

	return rc < 0 ? rc : DIGEST_CHUNK;
}

/**
 * copy_sparse() - the copy when no reflink is possible: chunks in holes
 * are skipped (and given the zero digest), data chunks are copied by one
 * worker per core.
 * Return: 0 or -errno.
 */
static int copy_sparse(int srcfd, int dstfd, uint64_t size, struct digest *digest,
		       const struct progress *p)
{
	struct copy_job job = { .srcfd = srcfd, .dstfd = dstfd, .size = size,
				.digest = digest };
	struct chunkpool pool = { .fn = copy_item, .arg = &job, .bufsize = COPY_BLOCK,
				  .max_threads = COPY_MAX_THREADS, .p = p, .what = "copy",
				  .step = COPY_PROGRESS_STEP };
	uint64_t *chunks = NULL, k = 0, c;
	int rc;

	rc = digest_data_chunks(srcfd, size, &chunks, &pool.nitems);
	if (rc < 0)
		return rc;
	if (digest) {
		for (c = 0; c * DIGEST_CHUNK < size; c++) {
			if (k < pool.nitems && chunks[k] == c) {
				k++;
				continue;
			}
			rc = digest_zero_chunk(digest, c);
			if (rc < 0)
				goto err;
		}
	}
	job.chunks = chunks;
	pool.total = pool.nitems * DIGEST_CHUNK < size ? pool.nitems * DIGEST_CHUNK : size;
	posix_fadvise(srcfd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = chunkpool_run(&pool);
err:
	free(chunks);
	return rc;
}

/**
 * copy_image() - copy all of @srcfd into the empty file @dstfd (see copy.h).
 * Return: 0 or -errno.
 */
int copy_image(int srcfd, int dstfd, struct digest *digest, const struct progress *p)
{
	struct stat stbuf;
	uint64_t size;
	int rc;

	if (fstat(srcfd, &stbuf) < 0)
		return -errno;
	if (!S_ISREG(stbuf.st_mode))
		return -EINVAL;
	size = (uint64_t)stbuf.st_size;

	if (ioctl(dstfd, FICLONE, srcfd) == 0) {
		progress_report(p, "copy", size, size);
		return digest ? digest_feed_file(digest, dstfd, p) : 0;
	}

	rc = copy_sparse(srcfd, dstfd, size, digest, p);
	if (rc < 0)
		return rc;
	if (ftruncate(dstfd, (off_t)size) < 0)
		return -errno;
	progress_report(p, "copy", size, size);
	return 0;
}

/**
 * copy_file_path() - copy the file @src to the new file @dst (0644).  A
 * half-written @dst is removed on failure.
 * Return: 0 or -errno (-EEXIST if @dst exists).
 */
int copy_file_path(const char *src, const char *dst, const struct progress *p)
{
	int srcfd, dstfd = -1, rc;

	srcfd = open(src, O_RDONLY | O_CLOEXEC);
	if (srcfd < 0)
		return -errno;
	dstfd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (dstfd < 0) {
		rc = -errno;
		goto err;
	}
	rc = copy_image(srcfd, dstfd, NULL, p);
	if (close(dstfd) < 0 && rc == 0)
		rc = -errno;
	dstfd = -1;
	if (rc < 0)
		unlink(dst);
err:
	close(srcfd);
	return rc;
}
