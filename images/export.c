/* Per-client export names and root URLs (see export.h).
 *
 * An export name arrives from the network (NBD_OPT_GO), so export_parse()
 * treats it as hostile: exact field count, every field checked, no field
 * longer than its buffer.  Only then does blockd rebuild the token from
 * the fields with export_token_ok().
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "token.h"
#include "util.h"

#define EXPORT_FIELDS 5		/* MAC/IMAGE/VERSION/MODE/TOKEN */
#define EXPORT_FIELDS_BOOT 6	/* MAC/IMAGE/VERSION/reset-on-boot/BOOT/TOKEN */
#define TOKEN_FIELDS_MAX 6	/* domain, mac, image, version, mode[, boot] */
#define EXPORT_SEP '/'
#define VERSION_STR_MAX 16	/* INT_MAX in decimal, with room */

/**
 * export_token_fields() - the token's fields for @mac (canonical), @image,
 * @version, @mode and (reset-on-boot only) @boot, in the order export.h
 * gives.
 * @verbuf: holds the version as decimal text.
 * Return: the number of fields.
 */
static size_t export_token_fields(const char *mac, const char *image, int version,
				  const char *mode, const char *boot,
				  char verbuf[VERSION_STR_MAX],
				  const char *fields[TOKEN_FIELDS_MAX])
{
	snprintf(verbuf, VERSION_STR_MAX, "%d", version);
	fields[0] = EXPORT_TOKEN_DOMAIN;
	fields[1] = mac;
	fields[2] = image;
	fields[3] = verbuf;
	fields[4] = mode;
	if (boot && boot[0]) {
		fields[5] = boot;
		return 6;
	}
	return 5;
}

/** is_reset_on_boot() - whether @mode is MODE_RESET_ON_BOOT. */
static bool is_reset_on_boot(const char *mode)
{
	return strcmp(mode, MODE_RESET_ON_BOOT) == 0;
}

/**
 * is_lower_hex() - whether @s is exactly @len lowercase hex digits.
 */
static bool is_lower_hex(const char *s, size_t len)
{
	size_t i;

	if (strlen(s) != len)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/**
 * export_make() - "MAC/IMAGE/VERSION/MODE[/BOOT]/TOKEN" for the resolved
 * client @r, the MAC written with dashes; @boot for reset-on-boot only.
 * Return: 0, -EINVAL (a field of @r is not valid, @boot missing for
 * reset-on-boot or given for another mode), -ENAMETOOLONG, -EIO.
 */
int export_make(const uint8_t *secret, size_t secretlen, const struct reg_resolved *r,
		const char *boot, char out[EXPORT_NAME_MAX])
{
	char mac[MAC_STR_LEN], dash[MAC_STR_LEN], verbuf[VERSION_STR_MAX];
	char token[TOKEN_HEX_LEN + 1];
	const char *fields[TOKEN_FIELDS_MAX];
	uint8_t bin[MAC_LEN];
	size_t nfields;
	int rc, n;

	if (!secret || !r || mac_parse(r->client.mac, bin) < 0 ||
	    !name_valid(r->version.image) || r->version.version < 1 ||
	    !mode_valid(r->mode))
		return -EINVAL;
	if (is_reset_on_boot(r->mode) ? !boot || !is_lower_hex(boot, EXPORT_BOOT_LEN)
				      : boot != NULL)
		return -EINVAL;
	mac_format(bin, mac);
	mac_format_dash(bin, dash);
	nfields = export_token_fields(mac, r->version.image, r->version.version, r->mode,
				      boot, verbuf, fields);
	rc = token_make(secret, secretlen, fields, nfields, token);
	if (rc < 0)
		return rc;
	if (boot)
		n = snprintf(out, EXPORT_NAME_MAX, "%s/%s/%d/%s/%s/%s", dash,
			     r->version.image, r->version.version, r->mode, boot, token);
	else
		n = snprintf(out, EXPORT_NAME_MAX, "%s/%s/%d/%s/%s", dash,
			     r->version.image, r->version.version, r->mode, token);
	if (n < 0 || n >= EXPORT_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/**
 * export_boot_id_new() - the wall clock in microseconds, as EXPORT_BOOT_LEN
 * lowercase hex digits.
 */
void export_boot_id_new(char out[EXPORT_BOOT_LEN + 1])
{
	struct timespec ts;
	uint64_t us;

	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	snprintf(out, EXPORT_BOOT_LEN + 1, "%016" PRIx64, us);
}

/**
 * export_name_public() - "MAC/IMAGE/VERSION/MODE[/BOOT]" of @e, MAC with
 * dashes.
 */
void export_name_public(const struct export_name *e, char out[EXPORT_NAME_MAX])
{
	char dash[MAC_STR_LEN];
	uint8_t bin[MAC_LEN];

	if (mac_parse(e->mac, bin) == 0)
		mac_format_dash(bin, dash);
	else
		str_copy(dash, sizeof(dash), e->mac);
	snprintf(out, EXPORT_NAME_MAX, "%s/%s/%d/%s%s%s", dash, e->image, e->version,
		 e->mode, e->boot[0] ? "/" : "", e->boot);
}


/**
 * export_parse() - split and check the export name @name (see export.h).
 * Return: 0 with @out filled, or -EINVAL with a message in @err.
 */
int export_parse(const char *name, struct export_name *out, char *err, size_t errlen)
{
	char buf[EXPORT_NAME_MAX];
	char *field[EXPORT_FIELDS_BOOT];
	char *s, *sep;
	uint8_t mac[MAC_LEN];
	size_t n = 0, len;

	if (!name || !out) {
		err_set(err, errlen, "no export name");
		return -EINVAL;
	}
	len = strnlen(name, EXPORT_NAME_MAX);
	if (len == 0) {
		err_set(err, errlen, "empty export name");
		return -EINVAL;
	}
	if (len >= EXPORT_NAME_MAX) {
		err_set(err, errlen, "export name too long (at most %d bytes)",
			EXPORT_NAME_MAX - 1);
		return -EINVAL;
	}
	memcpy(buf, name, len + 1);

	/* Split at '/': EXPORT_FIELDS fields, or EXPORT_FIELDS_BOOT for
	 * reset-on-boot. */
	s = buf;
	for (;;) {
		if (n == EXPORT_FIELDS_BOOT) {
			err_set(err, errlen, "export name has more than %d '/'-separated fields",
				EXPORT_FIELDS_BOOT);
			return -EINVAL;
		}
		field[n++] = s;
		sep = strchr(s, EXPORT_SEP);
		if (!sep)
			break;
		*sep = '\0';
		s = sep + 1;
	}
	if (n != EXPORT_FIELDS && n != EXPORT_FIELDS_BOOT) {
		err_set(err, errlen, "export name has %zu '/'-separated fields, not %d "
			"(MAC/IMAGE/VERSION/MODE/TOKEN) or %d (MAC/IMAGE/VERSION/"
			"reset-on-boot/BOOT/TOKEN)", n, EXPORT_FIELDS, EXPORT_FIELDS_BOOT);
		return -EINVAL;
	}

	memset(out, 0, sizeof(*out));
	if (mac_parse(field[0], mac) < 0) {
		err_set(err, errlen, "export name: invalid MAC address '%s'", field[0]);
		return -EINVAL;
	}
	mac_format(mac, out->mac);
	if (!name_valid(field[1])) {
		err_set(err, errlen, "export name: invalid image name '%s'", field[1]);
		return -EINVAL;
	}
	if (str_copy(out->image, sizeof(out->image), field[1]) < 0) {
		err_set(err, errlen, "export name: image name too long");
		return -EINVAL;
	}
	if (parse_int(field[2], 1, INT_MAX, &out->version) < 0 ||
	    field[2][0] < '1' || field[2][0] > '9') {
		err_set(err, errlen, "export name: invalid version '%s' (1..%d, no sign "
			"or leading zero)", field[2], INT_MAX);
		return -EINVAL;
	}
	if (!mode_valid(field[3]) || str_copy(out->mode, sizeof(out->mode), field[3]) < 0) {
		err_set(err, errlen, "export name: unknown overlay mode '%s'", field[3]);
		return -EINVAL;
	}
	if (is_reset_on_boot(out->mode) != (n == EXPORT_FIELDS_BOOT)) {
		err_set(err, errlen, is_reset_on_boot(out->mode) ?
			"export name: reset-on-boot needs a boot id before the token" :
			"export name: only reset-on-boot has a boot id");
		return -EINVAL;
	}
	if (n == EXPORT_FIELDS_BOOT) {
		if (!is_lower_hex(field[4], EXPORT_BOOT_LEN)) {
			err_set(err, errlen, "export name: boot id is not %d lowercase hex "
				"digits", EXPORT_BOOT_LEN);
			return -EINVAL;
		}
		memcpy(out->boot, field[4], EXPORT_BOOT_LEN + 1);
	}
	if (!is_lower_hex(field[n - 1], TOKEN_HEX_LEN)) {
		err_set(err, errlen, "export name: token is not %d lowercase hex digits",
			TOKEN_HEX_LEN);
		return -EINVAL;
	}
	memcpy(out->token, field[n - 1], TOKEN_HEX_LEN + 1);
	return 0;
}

/**
 * export_token_ok() - whether the token in @e was made with @secret for
 * @e's fields (constant-time comparison).
 */
int export_token_ok(const uint8_t *secret, size_t secretlen, const struct export_name *e)
{
	char verbuf[VERSION_STR_MAX];
	const char *fields[TOKEN_FIELDS_MAX];
	size_t nfields;

	if (!secret || !e)
		return 0;
	nfields = export_token_fields(e->mac, e->image, e->version, e->mode, e->boot,
				      verbuf, fields);
	return token_check(secret, secretlen, fields, nfields, e->token);
}

/**
 * export_root_url() - "nbd://HOST:PORT/EXPORT"; a host containing ':' (an
 * IPv6 literal) is put in brackets unless it already is.
 * Return: 0, -EINVAL (missing argument, port out of range), -ENAMETOOLONG.
 */
int export_root_url(const char *host, unsigned port, const char *export,
		    char *out, size_t outlen)
{
	bool bracket;
	int n;

	if (!host || !*host || !export || !out || outlen == 0 || port == 0 ||
	    port > 65535)
		return -EINVAL;
	bracket = strchr(host, ':') != NULL && host[0] != '[';
	n = snprintf(out, outlen, "nbd://%s%s%s:%u/%s", bracket ? "[" : "", host,
		     bracket ? "]" : "", port, export);
	if (n < 0 || (size_t)n >= outlen)
		return -ENAMETOOLONG;
	return 0;
}
