/* Ethernet MAC addresses in every notation admins paste:
 *   52:54:00:12:34:56   52-54-00-12-34-56   52:54:0:12:34:56
 *   5254.0012.3456      525400123456        01-52-54-00-12-34-56 (pxelinux)
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mac.h"
#include "parse.h"

/** Hex digits in a group of the dotted (Cisco) notation "5254.0012.3456". */
#define MAC_DOT_GROUP_DIGITS 4
/** Groups in the dotted notation. */
#define MAC_DOT_GROUPS 3
/** Hex digits of a MAC written without separators. */
#define MAC_HEX_DIGITS (2 * MAC_LEN)
/** ARP hardware type of Ethernet, which pxelinux puts before the MAC. */
#define PXELINUX_HTYPE_ETHERNET 0x01
/** Multicast (group) bit of the first octet; also set in broadcast. */
#define MAC_MULTICAST_BIT 0x01

/**
 * parse_hex_run() - read exactly @n hex digits into bytes, two per byte.
 * @s:   text (at least @n characters, all checked)
 * @n:   number of digits, even
 * @out: receives @n / 2 bytes
 * Return: 0 or -EINVAL.
 */
static int parse_hex_run(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i += 2) {
		int hi = hex_digit_value(s[i]), lo = hex_digit_value(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/**
 * parse_groups() - read 1..2-digit hex groups separated by @sep.
 * @s:      text
 * @sep:    separator, ':' or '-'
 * @out:    receives the group values
 * @max:    room in @out
 * @digits: receives each group's digit count
 * Return: the number of groups, or -EINVAL.
 */
static int parse_groups(const char *s, char sep, uint8_t *out, size_t max,
			size_t *digits)
{
	size_t n = 0;

	for (;;) {
		size_t len = 0;
		unsigned v = 0;

		if (n == max)
			return -EINVAL;
		while (len < 2 && hex_digit_value(s[len]) >= 0) {
			v = v << 4 | (unsigned)hex_digit_value(s[len]);
			len++;
		}
		if (len == 0)
			return -EINVAL;
		out[n] = (uint8_t)v;
		digits[n] = len;
		n++;
		s += len;
		if (*s == '\0')
			return (int)n;
		if (*s != sep)
			return -EINVAL;
		s++;
	}
}

/**
 * mac_parse() - read a MAC address in any common notation (see mac.h).
 * @s:   text
 * @mac: receives the address
 * Return: 0, or -EINVAL for garbage, a wrong length, a multicast or
 * broadcast address, or 00:00:00:00:00:00.
 */
int mac_parse(const char *s, uint8_t mac[MAC_LEN])
{
	uint8_t tmp[MAC_LEN + 1];
	size_t digits[MAC_LEN + 1];
	size_t len, i;
	bool zero = true;
	int n;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == MAC_HEX_DIGITS && strspn(s, "0123456789abcdefABCDEF") == len) {
		if (parse_hex_run(s, len, tmp) < 0)
			return -EINVAL;
	} else if (len == MAC_DOT_GROUPS * (MAC_DOT_GROUP_DIGITS + 1) - 1 &&
		   s[MAC_DOT_GROUP_DIGITS] == '.' &&
		   s[2 * MAC_DOT_GROUP_DIGITS + 1] == '.') {
		for (i = 0; i < MAC_DOT_GROUPS; i++) {
			if (parse_hex_run(s + i * (MAC_DOT_GROUP_DIGITS + 1),
					  MAC_DOT_GROUP_DIGITS, tmp + 2 * i) < 0)
				return -EINVAL;
		}
	} else {
		char sep = s[strspn(s, "0123456789abcdefABCDEF")];

		if (sep != ':' && sep != '-')
			return -EINVAL;
		n = parse_groups(s, sep, tmp, MAC_LEN + 1, digits);
		if (n == MAC_LEN + 1) {
			/* pxelinux: "01-" (hardware type) then the MAC */
			if (digits[0] != 2 || tmp[0] != PXELINUX_HTYPE_ETHERNET)
				return -EINVAL;
			memmove(tmp, tmp + 1, MAC_LEN);
		} else if (n != MAC_LEN) {
			return -EINVAL;
		}
	}
	for (i = 0; i < MAC_LEN; i++)
		if (tmp[i])
			zero = false;
	if (zero || (tmp[0] & MAC_MULTICAST_BIT))
		return -EINVAL;
	memcpy(mac, tmp, MAC_LEN);
	return 0;
}

/**
 * mac_format_sep() - format @mac as six two-digit lowercase groups.
 * @mac: address
 * @out: receives the text
 * @sep: separator character
 */
static void mac_format_sep(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN], char sep)
{
	snprintf(out, MAC_STR_LEN, "%02x%c%02x%c%02x%c%02x%c%02x%c%02x",
		 mac[0], sep, mac[1], sep, mac[2], sep, mac[3], sep, mac[4], sep, mac[5]);
}

/**
 * mac_format() - canonical form "52:54:00:12:34:56".
 * @mac: address
 * @out: receives the text
 */
void mac_format(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN])
{
	mac_format_sep(mac, out, ':');
}

/**
 * mac_format_dash() - "52-54-00-12-34-56", for file names and URLs.
 * @mac: address
 * @out: receives the text
 */
void mac_format_dash(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN])
{
	mac_format_sep(mac, out, '-');
}

/**
 * mac_canonical() - parse @in and write its canonical form.
 * @in:  text in any notation
 * @out: receives "52:54:00:12:34:56"
 * Return: 0 or -EINVAL (@out untouched).
 */
int mac_canonical(const char *in, char out[MAC_STR_LEN])
{
	uint8_t mac[MAC_LEN];
	int rc;

	rc = mac_parse(in, mac);
	if (rc < 0)
		return rc;
	mac_format(mac, out);
	return 0;
}
