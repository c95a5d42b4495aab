/* Export names and root URLs: how a client names its root device to
 * lanroot-blockd, and what bootd puts on the kernel command line.
 *
 * A per-client NBD export name is
 *     MAC/IMAGE/VERSION/MODE/TOKEN
 * e.g. 52-54-00-12-34-56/lab/3/persistent/9f2c…(64 hex)
 * where TOKEN = HMAC-SHA256(secret, "lanroot-export-v1", mac, image,
 * version, mode).  blockd rebuilds the token from the fields and compares.
 * A reset-on-boot client's name carries a boot id before the token:
 *     MAC/IMAGE/VERSION/reset-on-boot/BOOT/TOKEN   (BOOT = 16 lowercase hex digits)
 * with TOKEN = HMAC-SHA256(secret, "lanroot-export-v1", mac, image, version,
 * mode, boot).  Whoever renders a boot config (bootd at each PXE boot, or
 * `lanroot client show`) makes a new boot id, larger than the last one;
 * blockd empties the overlay when it sees a larger boot id than the one it
 * stored, reconnects the same boot id, and refuses a smaller one.
 * The root URL is nbd://HOST:PORT/EXPORT (or an iscsi: URL for iSCSI
 * groups).  A plain read-only export of a version is "IMAGE@VERSION".
 */
#ifndef LR_EXPORT_H
#define LR_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include "registry.h"

#define EXPORT_NAME_MAX 256
#define EXPORT_TOKEN_DOMAIN "lanroot-export-v1"
#define EXPORT_BOOT_LEN 16	/* hex digits of a boot id */

struct export_name {
	char mac[MAC_STR_LEN];		/* canonical aa:bb:… */
	char image[NAME_MAX_LEN + 1];
	int version;
	char mode[16];
	char boot[EXPORT_BOOT_LEN + 1];	/* reset-on-boot: the boot id; else "" */
	char token[65];
};

/**
 * export_make() - the export name for a resolved client.
 * @boot: the boot id (EXPORT_BOOT_LEN hex digits) when @r's mode is
 *        reset-on-boot, NULL otherwise (see export_boot_id_new()).
 * Return: 0 or -errno (-EINVAL: a field of @r, or @boot missing/unwanted).
 */
int export_make(const uint8_t *secret, size_t secretlen, const struct reg_resolved *r,
		const char *boot, char out[EXPORT_NAME_MAX]);

/**
 * export_boot_id_new() - a new boot id: the wall clock in microseconds as
 * EXPORT_BOOT_LEN hex digits, so a later boot has a larger id (compare
 * with strcmp: equal length, zero-padded).
 */
void export_boot_id_new(char out[EXPORT_BOOT_LEN + 1]);

/**
 * export_name_public() - @e's name without its token (for listings and
 * logs, where the token must not appear).
 */
void export_name_public(const struct export_name *e, char out[EXPORT_NAME_MAX]);

/**
 * export_parse() - split an export name received from the network.  Every
 * field is checked (MAC syntax, name rule, version range, mode, 64 hex
 * digits).  Does not check the token.  Return 0 or -EINVAL (+ @err).
 */
int export_parse(const char *name, struct export_name *out, char *err, size_t errlen);

/** export_token_ok() - whether @e's token is right for its fields. */
int export_token_ok(const uint8_t *secret, size_t secretlen, const struct export_name *e);

/**
 * export_root_url() - the root= URL for the kernel command line:
 * "nbd://HOST:PORT/EXPORT" (IPv6 hosts in brackets).  0 or -ENAMETOOLONG.
 */
int export_root_url(const char *host, unsigned port, const char *export,
		    char *out, size_t outlen);

#endif
