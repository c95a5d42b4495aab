/* Export tokens: HMAC-SHA256 over a list of fields, keyed by the server
 * secret that `lanroot init` makes.  A token proves that the server issued
 * an export name for exactly these fields (client, image, version, mode …).
 */
#ifndef LR_TOKEN_H
#define LR_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define SECRET_LEN 32		/* bytes of key material in the secret file */
#define TOKEN_BYTES 32		/* HMAC-SHA256 output */
#define TOKEN_HEX_LEN 64	/* token as lowercase hex, without NUL */

/**
 * token_make() - HMAC-SHA256(@key, fields) as lowercase hex.
 * The fields are encoded unambiguously (each prefixed with its length), so
 * ("ab","c") and ("a","bc") give different tokens.
 * Return: 0, or -EINVAL / -EIO (GnuTLS failure).
 */
int token_make(const uint8_t *key, size_t keylen, const char *const *fields,
	       size_t nfields, char out[TOKEN_HEX_LEN + 1]);

/**
 * token_check() - whether @token is the token for these fields.  Compares
 * in constant time; a token of the wrong length or with non-hex characters
 * is simply wrong.
 */
bool token_check(const uint8_t *key, size_t keylen, const char *const *fields,
		 size_t nfields, const char *token);

/**
 * secret_create() - write SECRET_LEN random bytes to @path, mode 0600.
 * Refuses to overwrite an existing file (-EEXIST).  Return 0 or -errno.
 */
int secret_create(const char *path);

/**
 * secret_load() - read the secret at @path into @key.  Refuses a file that
 * group or others have any permission on (-EPERM), a symlink (-ELOOP), or a
 * file that is not a regular file of exactly SECRET_LEN bytes (-EINVAL).
 * Return 0 or -errno.
 */
int secret_load(const char *path, uint8_t key[SECRET_LEN]);

#endif
