/* The chunked content digest of image files (see digest.h).
 *
 * Each 1 MiB chunk is hashed on its own (SHA-256, GnuTLS); the digest of the
 * file is SHA-256 over the chunk digests in order.  Chunks may therefore be
 * hashed in any order and on several threads, and a chunk of zeros has a
 * digest known in advance, so holes cost nothing.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <gnutls/crypto.h>

#include "chunkpool.h"
#include "digest.h"
#include "util.h"

#define DIGEST_MAX_THREADS 16	/* more threads than this only contend */
#define DIGEST_PROGRESS_STEP (64ull * DIGEST_CHUNK) /* bytes between reports */

struct digest {
	uint64_t size;			/* bytes in the file */
	uint64_t nchunks;		/* chunks, the last one may be short */
	uint8_t (*sums)[DIGEST_BYTES];	/* digest of each chunk */
	uint8_t *have;			/* 1 once chunk i has been fed */
	pthread_mutex_t zero_lock;	/* guards the zero digest of the last chunk */
	bool last_zero_known;		/* last_zero holds the short zero digest */
	uint8_t last_zero[DIGEST_BYTES]; /* digest of a short chunk of zeros */
};

static pthread_once_t zero_once = PTHREAD_ONCE_INIT;
static uint8_t zero_full[DIGEST_BYTES];	/* digest of DIGEST_CHUNK zero bytes */
static int zero_full_rc;		/* 0, or -EIO if it could not be made */

/**
 * zeros_digest() - SHA-256 of @len zero bytes.
 * Return: 0 or -EIO (GnuTLS failure) / -ENOMEM.
 */
static int zeros_digest(size_t len, uint8_t out[DIGEST_BYTES])
{
	void *zeros = calloc(1, len ? len : 1);
	int rc = 0;

	if (!zeros)
		return -ENOMEM;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, zeros, len, out) < 0)
		rc = -EIO;
	free(zeros);
	return rc;
}

/** zero_full_init() - compute the digest of a full chunk of zeros, once. */
static void zero_full_init(void)
{
	zero_full_rc = zeros_digest(DIGEST_CHUNK, zero_full);
}

/** chunk_len() - length of chunk @index of @d. */
static size_t chunk_len(const struct digest *d, uint64_t index)
{
	uint64_t start = index * DIGEST_CHUNK;
	uint64_t left = d->size - start;

	return left < DIGEST_CHUNK ? (size_t)left : DIGEST_CHUNK;
}

/**
 * buf_is_zero() - whether @len bytes at @buf are all zero.  Comparing the
 * buffer with itself shifted by one byte runs at memcmp speed.
 */
static bool buf_is_zero(const void *buf, size_t len)
{
	const unsigned char *b = buf;

	if (len == 0)
		return true;
	return b[0] == 0 && memcmp(b, b + 1, len - 1) == 0;
}

struct digest *digest_new(uint64_t size)
{
	struct digest *d = xcalloc(1, sizeof(*d));

	d->size = size;
	d->nchunks = size / DIGEST_CHUNK + (size % DIGEST_CHUNK ? 1 : 0);
	if (d->nchunks > SIZE_MAX / DIGEST_BYTES) {
		free(d);
		return NULL;
	}
	d->sums = xcalloc(d->nchunks ? d->nchunks : 1, DIGEST_BYTES);
	d->have = xcalloc(d->nchunks ? d->nchunks : 1, 1);
	pthread_mutex_init(&d->zero_lock, NULL);
	return d;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->zero_lock);
	free(d->sums);
	free(d->have);
	free(d);
}

/**
 * digest_chunk() - hash chunk @index of @d from @buf.
 * @len: must be the chunk's length (DIGEST_CHUNK except maybe the last).
 * Return: 0, -EINVAL (index or length wrong), -EIO (GnuTLS).
 */
int digest_chunk(struct digest *d, uint64_t index, const void *buf, size_t len)
{
	if (!d || index >= d->nchunks || len != chunk_len(d, index))
		return -EINVAL;
	if (buf_is_zero(buf, len))
		return digest_zero_chunk(d, index);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, len, d->sums[index]) < 0)
		return -EIO;
	d->have[index] = 1;
	return 0;
}

/**
 * digest_zero_chunk() - record chunk @index as all zeros.
 * Return: 0, -EINVAL (index out of range), -EIO / -ENOMEM.
 */
int digest_zero_chunk(struct digest *d, uint64_t index)
{
	size_t len;
	int rc = 0;

	if (!d || index >= d->nchunks)
		return -EINVAL;
	len = chunk_len(d, index);
	if (len == DIGEST_CHUNK) {
		pthread_once(&zero_once, zero_full_init);
		if (zero_full_rc < 0)
			return zero_full_rc;
		memcpy(d->sums[index], zero_full, DIGEST_BYTES);
	} else {
		/* Only the last chunk can be short: its own zero digest. */
		pthread_mutex_lock(&d->zero_lock);
		if (!d->last_zero_known) {
			rc = zeros_digest(len, d->last_zero);
			d->last_zero_known = (rc == 0);
		}
		if (rc == 0)
			memcpy(d->sums[index], d->last_zero, DIGEST_BYTES);
		pthread_mutex_unlock(&d->zero_lock);
		if (rc < 0)
			return rc;
	}
	d->have[index] = 1;
	return 0;
}

/**
 * digest_set_chunk() - record the SHA-256 @sum of chunk @index.
 * Return: 0 or -EINVAL (index out of range).
 */
int digest_set_chunk(struct digest *d, uint64_t index, const uint8_t sum[DIGEST_BYTES])
{
	if (!d || !sum || index >= d->nchunks)
		return -EINVAL;
	memcpy(d->sums[index], sum, DIGEST_BYTES);
	d->have[index] = 1;
	return 0;
}

/**
 * digest_final() - SHA-256 over all chunk digests, as lowercase hex.
 * Return: 0, -EINVAL if a chunk was never fed, -EIO (GnuTLS).
 */
int digest_final(struct digest *d, char out[DIGEST_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t sum[DIGEST_BYTES];
	uint64_t i;

	if (!d)
		return -EINVAL;
	for (i = 0; i < d->nchunks; i++)
		if (!d->have[i])
			return -EINVAL;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, d->sums, d->nchunks * DIGEST_BYTES, sum) < 0)
		return -EIO;
	for (i = 0; i < DIGEST_BYTES; i++) {
		out[2 * i] = hex[sum[i] >> 4];
		out[2 * i + 1] = hex[sum[i] & 0xf];
	}
	out[DIGEST_HEX_LEN] = '\0';
	return 0;
}

/* ---- hashing a file ---------------------------------------------------- */

/* What the threads that hash one file share (read only). */
struct digest_job {
	int fd;				/* the file, read with pread */
	struct digest *d;		/* where chunk digests go */
	const uint64_t *chunks;		/* indexes of chunks that hold data */
};

/**
 * digest_item() - chunkpool_fn that reads and hashes data chunk number @k
 * of the job.
 * @k: entry of the job's chunks list
 * @buf: DIGEST_CHUNK bytes of scratch
 * @arg: the struct digest_job
 * Return: the chunk's length (bytes hashed) or -errno.
 */
static int64_t digest_item(uint64_t k, void *buf, void *arg)
{
	struct digest_job *job = arg;
	uint64_t index = job->chunks[k];
	size_t len = chunk_len(job->d, index);
	int rc;

	rc = pread_full(job->fd, buf, len, index * DIGEST_CHUNK);
	if (rc < 0)
		return rc;
	rc = digest_chunk(job->d, index, buf, len);
	if (rc < 0)
		return rc;
	return (int64_t)len;
}

/**
 * digest_data_chunks() - list the chunks of the file @fd (of @size bytes)
 * that overlap a data extent, in order.  A file system without SEEK_DATA
 * makes every chunk a data chunk.
 * Return: 0 with *@out (caller frees) and *@n, or -errno.
 */
int digest_data_chunks(int fd, uint64_t size, uint64_t **out, uint64_t *n)
{
	uint64_t nchunks = size / DIGEST_CHUNK + (size % DIGEST_CHUNK ? 1 : 0);
	uint64_t *list = xcalloc(nchunks ? nchunks : 1, sizeof(*list));
	uint64_t count = 0, next_chunk = 0;
	off_t pos = 0;
	int rc;

	while ((uint64_t)pos < size) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		off_t hole;
		uint64_t first, last, c;

		if (data < 0 && errno == ENXIO)
			break;		/* only a hole up to the end */
		if (data < 0 && errno == EINVAL && pos == 0) {
			data = 0;	/* no SEEK_DATA here: all data */
			hole = (off_t)size;
		} else if (data < 0) {
			rc = -errno;
			goto err;
		} else {
			hole = lseek(fd, data, SEEK_HOLE);
			if (hole < 0) {
				rc = -errno;
				goto err;
			}
		}
		if ((uint64_t)hole > size)
			hole = (off_t)size;
		if (hole <= data)
			break;
		first = (uint64_t)data / DIGEST_CHUNK;
		last = ((uint64_t)hole - 1) / DIGEST_CHUNK;
		if (first < next_chunk)
			first = next_chunk;
		for (c = first; c <= last && c < nchunks; c++)
			list[count++] = c;
		if (last + 1 > next_chunk)
			next_chunk = last + 1;
		pos = hole;
	}
	*out = list;
	*n = count;
	return 0;
err:
	free(list);
	return rc;
}

/**
 * digest_feed_file() - feed @d (made for the size of @fd) from the file
 * @fd: chunks in holes get the zero digest without a read, the others are
 * read and hashed on all cores.
 * @p: progress ("hash", bytes of data hashed), may be NULL.
 * Return: 0 or -errno (-EINVAL if the sizes differ).
 */
int digest_feed_file(struct digest *d, int fd, const struct progress *p)
{
	struct digest_job job = { .fd = fd, .d = d };
	struct chunkpool pool = { .fn = digest_item, .arg = &job, .bufsize = DIGEST_CHUNK,
				  .max_threads = DIGEST_MAX_THREADS, .p = p, .what = "hash",
				  .step = DIGEST_PROGRESS_STEP };
	uint64_t *chunks = NULL, i;
	struct stat stbuf;
	int rc;

	if (!d)
		return -EINVAL;
	if (fstat(fd, &stbuf) < 0)
		return -errno;
	if (!S_ISREG(stbuf.st_mode) || (uint64_t)stbuf.st_size != d->size)
		return -EINVAL;
	rc = digest_data_chunks(fd, d->size, &chunks, &pool.nitems);
	if (rc < 0)
		goto err;

	/* Chunks that are not listed lie wholly in holes. */
	{
		uint64_t k = 0, c;

		for (c = 0; c < d->nchunks; c++) {
			if (k < pool.nitems && chunks[k] == c) {
				k++;
				continue;
			}
			rc = digest_zero_chunk(d, c);
			if (rc < 0)
				goto err;
		}
	}

	job.chunks = chunks;
	for (i = 0; i < pool.nitems; i++)
		pool.total += chunk_len(d, chunks[i]);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = chunkpool_run(&pool);
	if (rc < 0)
		goto err;
	progress_report(p, "hash", pool.total, pool.total);
err:
	free(chunks);
	return rc;
}

/**
 * digest_file() - the digest of the open file @fd (see digest_feed_file()).
 * Return: 0 with @out, or -errno.
 */
int digest_file(int fd, const struct progress *p, char out[DIGEST_HEX_LEN + 1])
{
	struct digest *d;
	struct stat stbuf;
	int rc;

	if (fstat(fd, &stbuf) < 0)
		return -errno;
	if (!S_ISREG(stbuf.st_mode))
		return -EINVAL;
	d = digest_new((uint64_t)stbuf.st_size);
	if (!d)
		return -EFBIG;
	rc = digest_feed_file(d, fd, p);
	if (rc == 0)
		rc = digest_final(d, out);
	digest_free(d);
	return rc;
}
