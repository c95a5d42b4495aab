/* Unit tests for images/digest.c: the chunked content digest. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/crypto.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "digest.h"
#include "testutil.h"
#include "util.h"

#define SHA_BYTES 32
#define MiB (1024u * 1024u)

/** expected_digest() - the digest of @len bytes of @data, computed here
 * independently of digest.c: SHA-256 over the SHA-256 of each 1 MiB chunk. */
static void expected_digest(const uint8_t *data, size_t len, char out[DIGEST_HEX_LEN + 1])
{
	size_t nchunks = (len + DIGEST_CHUNK - 1) / DIGEST_CHUNK, i;
	uint8_t *sums = calloc(nchunks ? nchunks : 1, SHA_BYTES);
	uint8_t final[SHA_BYTES];

	assert_non_null(sums);
	for (i = 0; i < nchunks; i++) {
		size_t n = len - i * DIGEST_CHUNK;

		if (n > DIGEST_CHUNK)
			n = DIGEST_CHUNK;
		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, data + i * DIGEST_CHUNK,
						  n, sums + i * SHA_BYTES), 0);
	}
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, sums, nchunks * SHA_BYTES,
					  final), 0);
	for (i = 0; i < SHA_BYTES; i++)
		sprintf(out + 2 * i, "%02x", final[i]);
	free(sums);
}

/** file_digest() - digest_file() of @fd, asserting success. */
static void file_digest(int fd, char out[DIGEST_HEX_LEN + 1])
{
	assert_int_equal(digest_file(fd, NULL, out), 0);
	assert_int_equal(strlen(out), DIGEST_HEX_LEN);
}

static void test_tiny_file(void **state)
{
	static const char text[] = "lanroot\n";
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	int fd = tu_open_new(tu_group_dir(), "tiny");

	assert_int_equal(write_full(fd, text, strlen(text)), 0);
	expected_digest((const uint8_t *)text, strlen(text), want);
	file_digest(fd, got);
	assert_string_equal(got, want);
	/* Not the plain SHA-256 of the content (that is documented). */
	close(fd);
}

static void test_empty_file(void **state)
{
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	int fd = tu_open_new(tu_group_dir(), "empty");

	expected_digest(NULL, 0, want);
	/* SHA-256 of nothing. */
	assert_string_equal(want, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	file_digest(fd, got);
	assert_string_equal(got, want);
	close(fd);
}

static void test_multi_chunk_and_threads(void **state)
{
	size_t len = 37 * MiB + 12345;	/* many chunks, short last one */
	uint8_t *data = malloc(len);
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	int fd = tu_open_new(tu_group_dir(), "multi");

	assert_non_null(data);
	tu_fill_random(data, len, 7);
	memset(data + 5 * MiB, 0, 3 * MiB);	/* zero chunks written as data */
	assert_int_equal(write_full(fd, data, len), 0);
	expected_digest(data, len, want);
	file_digest(fd, got);
	assert_string_equal(got, want);
	free(data);
	close(fd);
}

static void test_sparse_equals_dense(void **state)
{
	size_t len = 9 * MiB + 100;
	uint8_t *data = calloc(1, len);
	char dense[DIGEST_HEX_LEN + 1], sparse[DIGEST_HEX_LEN + 1], want[DIGEST_HEX_LEN + 1];
	int fd1 = tu_open_new(tu_group_dir(), "dense");
	int fd2 = tu_open_new(tu_group_dir(), "sparse");
	struct stat st;

	assert_non_null(data);
	/* Data in chunk 1 (partly) and a few bytes straddling chunks 4/5. */
	tu_fill_random(data + MiB + 4096, 300000, 3);
	tu_fill_random(data + 5 * MiB - 10, 20, 4);
	assert_int_equal(write_full(fd1, data, len), 0);

	assert_int_equal(pwrite_full(fd2, data + MiB + 4096, 300000, MiB + 4096), 0);
	assert_int_equal(pwrite_full(fd2, data + 5 * MiB - 10, 20, 5 * MiB - 10), 0);
	assert_int_equal(ftruncate(fd2, (off_t)len), 0);	/* ends in a hole */
	assert_int_equal(fstat(fd2, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 < 2 * MiB);	/* really sparse */

	expected_digest(data, len, want);
	file_digest(fd1, dense);
	file_digest(fd2, sparse);
	assert_string_equal(dense, want);
	assert_string_equal(sparse, want);
	free(data);
	close(fd1);
	close(fd2);
}

static void test_all_hole(void **state)
{
	size_t len = 3 * MiB + 1;
	uint8_t *zeros = calloc(1, len);
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	int fd = tu_open_new(tu_group_dir(), "hole");

	assert_non_null(zeros);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	expected_digest(zeros, len, want);
	file_digest(fd, got);
	assert_string_equal(got, want);
	free(zeros);
	close(fd);
}

static void test_one_byte_changes_it(void **state)
{
	size_t len = 2 * MiB + 17;
	uint8_t *data = malloc(len);
	char a[DIGEST_HEX_LEN + 1], b[DIGEST_HEX_LEN + 1], c[DIGEST_HEX_LEN + 1];
	int fd = tu_open_new(tu_group_dir(), "flip");

	assert_non_null(data);
	tu_fill_random(data, len, 11);
	assert_int_equal(write_full(fd, data, len), 0);
	file_digest(fd, a);
	data[MiB + 3] ^= 1;
	assert_int_equal(pwrite_full(fd, data + MiB + 3, 1, MiB + 3), 0);
	file_digest(fd, b);
	assert_string_not_equal(a, b);
	/* A zero byte appended also changes it (the size is part of it). */
	assert_int_equal(ftruncate(fd, (off_t)len + 1), 0);
	file_digest(fd, c);
	assert_string_not_equal(b, c);
	free(data);
	close(fd);
}

static void test_feed_any_order(void **state)
{
	size_t len = 3 * MiB + 5;
	uint8_t *data = malloc(len);
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	struct digest *d;

	assert_non_null(data);
	tu_fill_random(data, len, 5);
	memset(data + 2 * MiB, 0, MiB);
	expected_digest(data, len, want);

	d = digest_new(len);
	assert_non_null(d);
	assert_int_equal(digest_chunk(d, 3, data + 3 * MiB, 5), 0);
	assert_int_equal(digest_chunk(d, 1, data + MiB, MiB), 0);
	/* Missing chunks 0 and 2: refused. */
	assert_int_equal(digest_final(d, got), -EINVAL);
	assert_int_equal(digest_zero_chunk(d, 2), 0);
	assert_int_equal(digest_chunk(d, 0, data, MiB), 0);
	assert_int_equal(digest_final(d, got), 0);
	assert_string_equal(got, want);
	digest_free(d);
	free(data);
}

static void test_zero_chunk_short_last(void **state)
{
	size_t len = MiB + 777;
	uint8_t *zeros = calloc(1, len);
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1], got2[DIGEST_HEX_LEN + 1];
	struct digest *d;

	assert_non_null(zeros);
	expected_digest(zeros, len, want);
	d = digest_new(len);
	assert_int_equal(digest_zero_chunk(d, 1), 0);
	assert_int_equal(digest_zero_chunk(d, 0), 0);
	assert_int_equal(digest_final(d, got), 0);
	digest_free(d);
	assert_string_equal(got, want);

	/* The same zeros fed as data give the same digest. */
	d = digest_new(len);
	assert_int_equal(digest_chunk(d, 0, zeros, MiB), 0);
	assert_int_equal(digest_chunk(d, 1, zeros, 777), 0);
	assert_int_equal(digest_final(d, got2), 0);
	digest_free(d);
	assert_string_equal(got2, want);
	free(zeros);
}

static void test_bad_arguments(void **state)
{
	uint8_t buf[16] = { 1 };
	char out[DIGEST_HEX_LEN + 1];
	struct digest *d = digest_new(MiB + 16);
	int fd;

	assert_non_null(d);
	assert_int_equal(digest_chunk(d, 2, buf, 16), -EINVAL);	/* past the end */
	assert_int_equal(digest_chunk(d, 1, buf, 15), -EINVAL);	/* wrong length */
	assert_int_equal(digest_chunk(d, 0, buf, 16), -EINVAL);	/* chunk 0 is 1 MiB */
	assert_int_equal(digest_zero_chunk(d, 2), -EINVAL);
	assert_int_equal(digest_final(NULL, out), -EINVAL);
	digest_free(d);
	digest_free(NULL);

	fd = open(tu_group_dir(), O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(digest_file(fd, NULL, out), -EINVAL);	/* not a file */
	close(fd);
	assert_int_equal(digest_file(-1, NULL, out), -EBADF);

	/* digest_feed_file() with a digest of another size. */
	fd = tu_open_new(tu_group_dir(), "size");
	assert_int_equal(write_full(fd, buf, sizeof(buf)), 0);
	d = digest_new(sizeof(buf) + 1);
	assert_int_equal(digest_feed_file(d, fd, NULL), -EINVAL);
	digest_free(d);
	close(fd);
}

static void test_set_chunk_and_data_chunks(void **state)
{
	size_t len = 6 * MiB + 3;
	uint8_t *data = calloc(1, len), sum[DIGEST_BYTES];
	char want[DIGEST_HEX_LEN + 1], got[DIGEST_HEX_LEN + 1];
	uint64_t *chunks = NULL, n = 0, i;
	struct digest *d;
	int fd = tu_open_new(tu_group_dir(), "chunks");

	assert_non_null(data);
	/* Data in chunk 1, straddling chunks 3 and 4, and in the short last one. */
	tu_fill_random(data + MiB + 10, 100, 1);
	tu_fill_random(data + 4 * MiB - 50, 100, 2);
	tu_fill_random(data + 6 * MiB, 3, 3);
	assert_int_equal(pwrite_full(fd, data + MiB + 10, 100, MiB + 10), 0);
	assert_int_equal(pwrite_full(fd, data + 4 * MiB - 50, 100, 4 * MiB - 50), 0);
	assert_int_equal(pwrite_full(fd, data + 6 * MiB, 3, 6 * MiB), 0);
	assert_int_equal(digest_data_chunks(fd, len, &chunks, &n), 0);
	/* File systems allocate in blocks, so exactly these chunks hold data. */
	assert_int_equal(n, 4);
	assert_int_equal(chunks[0], 1);
	assert_int_equal(chunks[1], 3);
	assert_int_equal(chunks[2], 4);
	assert_int_equal(chunks[3], 6);

	/* Feeding precomputed chunk sums gives the same digest. */
	expected_digest(data, len, want);
	d = digest_new(len);
	for (i = 0; i < 7; i++) {
		size_t clen = i == 6 ? 3 : MiB;

		assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, data + i * MiB, clen,
						  sum), 0);
		assert_int_equal(digest_set_chunk(d, i, sum), 0);
	}
	assert_int_equal(digest_set_chunk(d, 7, sum), -EINVAL);
	assert_int_equal(digest_final(d, got), 0);
	assert_string_equal(got, want);
	digest_free(d);
	free(chunks);

	/* A file that is one hole has no data chunks. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(digest_data_chunks(fd, len, &chunks, &n), 0);
	assert_int_equal(n, 0);
	free(chunks);
	free(data);
	close(fd);
}

struct progress_seen {
	int calls;
	uint64_t last_done, last_total;
};

static void progress_cb(const char *what, uint64_t done, uint64_t total, void *arg)
{
	struct progress_seen *s = arg;

	assert_string_equal(what, "hash");
	assert_true(done <= total);
	s->calls++;
	s->last_done = done;
	s->last_total = total;
}

static void test_progress(void **state)
{
	size_t len = 80 * MiB;
	uint8_t *data = malloc(MiB);
	struct progress_seen seen = { 0 };
	struct progress p = { progress_cb, &seen };
	char out[DIGEST_HEX_LEN + 1];
	size_t i;
	int fd = tu_open_new(tu_group_dir(), "progress");

	assert_non_null(data);
	tu_fill_random(data, MiB, 9);
	for (i = 0; i < len / MiB; i += 2)	/* half the chunks are holes */
		assert_int_equal(pwrite_full(fd, data, MiB, i * MiB), 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	assert_int_equal(digest_file(fd, &p, out), 0);
	assert_true(seen.calls >= 1);
	assert_true(seen.last_done == seen.last_total);
	assert_true(seen.last_total <= len);	/* only data is hashed */
	free(data);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tiny_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_multi_chunk_and_threads),
		cmocka_unit_test(test_sparse_equals_dense),
		cmocka_unit_test(test_all_hole),
		cmocka_unit_test(test_one_byte_changes_it),
		cmocka_unit_test(test_feed_any_order),
		cmocka_unit_test(test_zero_chunk_short_last),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_set_chunk_and_data_chunks),
		cmocka_unit_test(test_progress),
	};

	return cmocka_run_group_tests(tests, tu_group_setup, tu_group_teardown);
}
