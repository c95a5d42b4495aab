/* Strict parsers for numbers, sizes, booleans and names.
 *
 * strtoul() and friends accept leading white space, a sign, and stop
 * quietly at garbage; these do not.  Input is ASCII and locale-independent.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "util.h"

/** Multiplier of one binary size unit (K). */
#define SIZE_UNIT_STEP 1024ULL

/**
 * is_digit() - ASCII decimal digit, independent of the locale.
 * @c: character
 * Return: true for '0'..'9'.
 */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/**
 * is_alnum() - ASCII letter or digit, independent of the locale.
 * @c: character
 * Return: true for [A-Za-z0-9].
 */
static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/**
 * parse_digits() - read a run of decimal digits at the start of @s.
 * @s:   text
 * @out: receives the value
 * @end: receives a pointer to the first character after the digits
 * Return: 0, -EINVAL if @s does not start with a digit, -ERANGE on overflow
 * (*@end is still set past the digits).
 */
static int parse_digits(const char *s, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	int rc = 0;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			rc = -ERANGE;
		else
			v = v * 10 + d;
	}
	*end = s;
	*out = v;
	return rc;
}

/**
 * parse_u64() - a decimal unsigned integer within [@min, @max].
 * @s:   text; digits only (no sign, no white space)
 * @min: smallest value accepted
 * @max: largest value accepted
 * @out: receives the value
 * Return: 0, -EINVAL if @s is not a number, -ERANGE if outside the range.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *end;
	uint64_t v;
	int rc;

	if (!s)
		return -EINVAL;
	rc = parse_digits(s, &v, &end);
	if (rc == -EINVAL || *end != '\0')
		return -EINVAL;
	if (rc < 0)
		return rc;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/**
 * parse_u32() - as parse_u64() for a uint32_t.
 * @s:   text
 * @min: smallest value accepted
 * @max: largest value accepted
 * @out: receives the value
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc;

	rc = parse_u64(s, min, max, &v);
	if (rc < 0)
		return rc;
	*out = (uint32_t)v;
	return 0;
}

/**
 * parse_int() - a decimal int within [@min, @max].  A leading '-' is
 * accepted only when @min is negative; '+' never is.
 * @s:   text
 * @min: smallest value accepted
 * @max: largest value accepted
 * @out: receives the value
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_int(const char *s, int min, int max, int *out)
{
	const char *end;
	bool negative = false;
	uint64_t mag;
	int64_t v;
	int rc;

	if (!s)
		return -EINVAL;
	if (*s == '-' && min < 0) {
		negative = true;
		s++;
	}
	rc = parse_digits(s, &mag, &end);
	if (rc == -EINVAL || *end != '\0')
		return -EINVAL;
	if (rc < 0 || mag > (uint64_t)INT_MAX + 1)
		return -ERANGE;
	v = negative ? -(int64_t)mag : (int64_t)mag;
	if (v < min || v > max)
		return -ERANGE;
	*out = (int)v;
	return 0;
}

/**
 * parse_size() - a byte count with an optional binary suffix: K, M, G or T,
 * optionally followed by "iB" or "B" ("64K", "64KiB", "64KB"; any case).
 * @s:   text
 * @out: receives the byte count
 * Return: 0, -EINVAL, or -ERANGE when it does not fit in uint64_t.
 */
int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *end;
	uint64_t v, mult = 1;
	int rc, i;

	if (!s)
		return -EINVAL;
	rc = parse_digits(s, &v, &end);
	if (rc == -EINVAL)
		return rc;
	if (*end) {
		for (i = 0; units[i]; i++) {
			mult *= SIZE_UNIT_STEP;
			if ((*end & ~0x20) == units[i])
				break;
		}
		if (!units[i])
			return -EINVAL;
		end++;
		if (*end && strcasecmp(end, "iB") != 0 && strcasecmp(end, "B") != 0)
			return -EINVAL;
	}
	if (rc < 0)
		return rc;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

/**
 * parse_bool() - yes/no, true/false, on/off, 1/0 in any case.
 * @s:   text
 * @out: receives the value
 * Return: 0 or -EINVAL.
 */
int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * name_valid() - whether @s may name an image, group or client:
 * 1..NAME_MAX_LEN characters of [A-Za-z0-9._-], the first a letter or digit.
 * @s: candidate name
 * Return: true if valid.
 */
bool name_valid(const char *s)
{
	size_t n;

	if (!s || !is_alnum(s[0]))
		return false;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n >= NAME_MAX_LEN)
			return false;
		if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

/** hex_digit_value() - see parse.h. */
int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/** is_blank() - space or tab. */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/**
 * split_list() - walk @s once, cutting at commas and trimming each item.
 */
int split_list(const char *s, char ***items, size_t *n)
{
	char **v = NULL;
	size_t count = 0;
	const char *p = s, *end, *a, *b;

	*items = NULL;
	*n = 0;
	while (is_blank(*p))
		p++;
	if (*p == '\0') {
		*items = xcalloc(1, sizeof(char *));
		return 0;
	}
	for (;;) {
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		a = p;
		b = end;
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		if (a == b) {
			split_list_free(v);
			return -EINVAL;
		}
		v = xrealloc(v, (count + 2) * sizeof(char *));
		v[count] = xcalloc(1, (size_t)(b - a) + 1);
		memcpy(v[count], a, (size_t)(b - a));
		count++;
		v[count] = NULL;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*items = v;
	*n = count;
	return 0;
}

/** split_list_free() - free what split_list() returned (NULL is fine). */
void split_list_free(char **items)
{
	if (!items)
		return;
	for (char **p = items; *p; p++)
		free(*p);
	free(items);
}
