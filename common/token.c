/* Export tokens: HMAC-SHA256 over length-prefixed fields, keyed by the
 * server secret.  The secret is a file of SECRET_LEN random bytes, mode 0600.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "token.h"
#include "util.h"

/** Bytes of the big-endian length put before each field. */
#define TOKEN_FIELD_LEN_BYTES 8
/** Permission bits a secret file may not have: any for group or others. */
#define SECRET_FORBIDDEN_MODE (S_IRWXG | S_IRWXO)
/** Permission bits of a new secret file. */
#define SECRET_MODE 0600

/**
 * wipe() - clear key material so it does not linger in memory.
 * @p:   memory
 * @len: bytes
 */
static void wipe(void *p, size_t len)
{
	explicit_bzero(p, len);
}

/**
 * token_encode() - the HMAC input: every field as an 8-byte big-endian
 * length followed by its bytes, so no two field lists encode the same.
 * @fields:  the fields
 * @nfields: how many
 * @len:     receives the encoded length
 * Return: the encoding (caller frees), or NULL if a field is NULL.
 */
static uint8_t *token_encode(const char *const *fields, size_t nfields, size_t *len)
{
	size_t total = 0, i, off = 0;
	uint8_t *buf;

	for (i = 0; i < nfields; i++) {
		if (!fields[i])
			return NULL;
		total += TOKEN_FIELD_LEN_BYTES + strlen(fields[i]);
	}
	buf = xmalloc(total);
	for (i = 0; i < nfields; i++) {
		uint64_t flen = strlen(fields[i]);
		int b;

		for (b = TOKEN_FIELD_LEN_BYTES - 1; b >= 0; b--)
			buf[off++] = (uint8_t)(flen >> (8 * b));
		memcpy(buf + off, fields[i], flen);
		off += flen;
	}
	*len = total;
	return buf;
}

/**
 * token_make() - HMAC-SHA256(@key, encoded fields) as lowercase hex.
 * @key:     secret
 * @keylen:  its length (non-zero)
 * @fields:  the fields; none may be NULL
 * @nfields: how many
 * @out:     receives TOKEN_HEX_LEN hex digits and a NUL
 * Return: 0, -EINVAL for a missing key or field, -EIO if GnuTLS failed.
 */
int token_make(const uint8_t *key, size_t keylen, const char *const *fields,
	       size_t nfields, char out[TOKEN_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t digest[TOKEN_BYTES];
	uint8_t *msg;
	size_t len = 0, i;
	int rc = 0;

	if (!key || keylen == 0 || (!fields && nfields) || !out)
		return -EINVAL;
	msg = token_encode(fields, nfields, &len);
	if (!msg)
		return -EINVAL;
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, msg, len, digest) < 0) {
		rc = -EIO;
		goto out;
	}
	for (i = 0; i < TOKEN_BYTES; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[TOKEN_HEX_LEN] = '\0';
out:
	wipe(digest, sizeof(digest));
	free(msg);
	return rc;
}

/**
 * token_check() - whether @token is the token of these fields.  The
 * comparison takes the same time wherever the first difference is.
 * @key:     secret
 * @keylen:  its length
 * @fields:  the fields
 * @nfields: how many
 * @token:   candidate from a client (may be NULL or any string)
 * Return: true only for the exact lowercase token.
 */
bool token_check(const uint8_t *key, size_t keylen, const char *const *fields,
		 size_t nfields, const char *token)
{
	char expected[TOKEN_HEX_LEN + 1];
	bool ok;

	if (!token || strnlen(token, TOKEN_HEX_LEN + 1) != TOKEN_HEX_LEN)
		return false;
	if (token_make(key, keylen, fields, nfields, expected) < 0)
		return false;
	ok = gnutls_memcmp(expected, token, TOKEN_HEX_LEN) == 0;
	wipe(expected, sizeof(expected));
	return ok;
}

/**
 * secret_create() - write a new random secret, mode 0600.
 * @path: file to create; an existing file is never overwritten
 * Return: 0, -EEXIST, or another -errno.  A half-written file is removed.
 */
int secret_create(const char *path)
{
	uint8_t key[SECRET_LEN];
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, SECRET_MODE);
	if (fd < 0)
		return -errno;
	/* The umask may have taken bits away; make the mode exact. */
	if (fchmod(fd, SECRET_MODE) < 0) {
		rc = -errno;
		goto err;
	}
	if (gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key)) < 0) {
		rc = -EIO;
		goto err;
	}
	rc = write_full(fd, key, sizeof(key));
	if (rc < 0)
		goto err;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto err;
	}
	wipe(key, sizeof(key));
	if (close(fd) < 0) {
		rc = -errno;
		unlink(path);
		return rc;
	}
	return 0;

err:
	wipe(key, sizeof(key));
	close(fd);
	unlink(path);
	return rc;
}

/**
 * secret_load() - read the secret.
 * @path: secret file
 * @key:  receives SECRET_LEN bytes
 * Return: 0; -EPERM if group or others have any permission on the file;
 * -EINVAL if it is not a regular file of exactly SECRET_LEN bytes; or
 * another -errno.
 */
int secret_load(const char *path, uint8_t key[SECRET_LEN])
{
	uint8_t buf[SECRET_LEN + 1];
	struct stat st;
	ssize_t extra;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if (st.st_mode & SECRET_FORBIDDEN_MODE) {
		rc = -EPERM;
		goto out;
	}
	if (st.st_size != SECRET_LEN) {
		rc = -EINVAL;
		goto out;
	}
	rc = read_full(fd, buf, SECRET_LEN);
	if (rc == -EIO)
		rc = -EINVAL;	/* shrank under us */
	if (rc < 0)
		goto out;
	do {
		extra = read(fd, buf + SECRET_LEN, 1);
	} while (extra < 0 && errno == EINTR);
	if (extra != 0) {
		rc = extra < 0 ? -errno : -EINVAL;
		goto out;
	}
	memcpy(key, buf, SECRET_LEN);
out:
	wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}
