/* libFuzzer target: the small parsers fed by admins and clients —
 * mac_parse(), parse_size(), parse_u64(), parse_int(), parse_bool(),
 * name_valid().  Beyond not crashing, accepted input must round-trip.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * check_mac() - a parsed MAC formats to a string that parses back to it.
 * @s: input text
 */
static void check_mac(const char *s)
{
	uint8_t mac[MAC_LEN], again[MAC_LEN];
	char text[MAC_STR_LEN];

	if (mac_parse(s, mac) != 0)
		return;
	if ((mac[0] & 1) || !memcmp(mac, "\0\0\0\0\0\0", MAC_LEN))
		abort();
	mac_format(mac, text);
	if (mac_parse(text, again) != 0 || memcmp(mac, again, MAC_LEN))
		abort();
	mac_format_dash(mac, text);
	if (mac_parse(text, again) != 0 || memcmp(mac, again, MAC_LEN))
		abort();
}

/**
 * check_numbers() - the number parsers agree with each other.
 * @s: input text
 */
static void check_numbers(const char *s)
{
	uint64_t u, sz;
	char text[32];
	int rc, i;
	bool b;

	rc = parse_u64(s, 0, UINT64_MAX, &u);
	if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
		abort();
	if (rc == 0) {
		/* digits only: the value prints back without leading zeros */
		const char *p = s;

		while (p[0] == '0' && p[1])
			p++;
		snprintf(text, sizeof(text), "%" PRIu64, u);
		if (strcmp(text, p) != 0)
			abort();
		/* a plain number is also a size in bytes */
		if (parse_size(s, &sz) != 0 || sz != u)
			abort();
	}
	rc = parse_size(s, &sz);
	if (rc != 0 && rc != -EINVAL && rc != -ERANGE)
		abort();
	rc = parse_int(s, INT_MIN, INT_MAX, &i);
	if (rc == 0) {
		snprintf(text, sizeof(text), "%d", i);
		if (parse_int(text, INT_MIN, INT_MAX, &i) != 0)
			abort();
	}
	(void)parse_bool(s, &b);
	if (name_valid(s) && (strlen(s) > NAME_MAX_LEN || strchr(s, '/')))
		abort();
}

/**
 * LLVMFuzzerTestOneInput() - run every parser on @data.
 * @data: input bytes (copied and NUL-terminated)
 * @size: number of bytes
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_mac(s);
	check_numbers(s);
	free(s);
	return 0;
}
