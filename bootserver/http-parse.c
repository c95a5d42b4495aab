/* Pieces of an HTTP request as pure functions (see http-parse.h). */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <strings.h>
#include "http-parse.h"
#include "parse.h"

/* RFC 9110 section 14.1: the only range unit we serve. */
#define RANGE_UNIT "bytes"
#define RANGE_UNIT_LEN (sizeof(RANGE_UNIT) - 1)

/* A RFC 3986 percent escape: '%' and two hex digits. */
#define PCT_ESCAPE_LEN 3
/* Characters below this, and DEL, are control characters. */
#define ASCII_FIRST_PRINTABLE 0x20
#define ASCII_DEL 0x7f

/** is_ows() - optional white space (RFC 9110 section 5.6.3). */
static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/**
 * skip_ows() - @p past any optional white space.
 */
static const char *skip_ows(const char *p)
{
	while (is_ows(*p))
		p++;
	return p;
}

/**
 * parse_position() - read a run of decimal digits at *@pp, saturating at
 * UINT64_MAX.
 * @pp: in: where to start; out: the first byte after the digits
 * @out: the value
 * Return: true if there was at least one digit.
 */
static bool parse_position(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	*pp = p;
	*out = v;
	return true;
}

/**
 * parse_range_spec() - one range-spec of a byte range set (RFC 9110
 * section 14.1.1): "first-last", "first-" or "-suffix".
 * @pp: in: the start of the spec; out: the first byte after it
 * @size: the representation's length
 * @satisfiable: whether the spec overlaps the content
 * @first/@len: the bytes it selects, when satisfiable
 * Return: false for a syntax error.
 */
static bool parse_range_spec(const char **pp, uint64_t size, bool *satisfiable,
			     uint64_t *first, uint64_t *len)
{
	const char *p = *pp;
	uint64_t a, b;

	*satisfiable = false;
	if (*p == '-') {
		/* suffix-range: the last b bytes */
		p++;
		if (!parse_position(&p, &b))
			return false;
		if (b > 0 && size > 0) {
			*satisfiable = true;
			*len = b < size ? b : size;
			*first = size - *len;
		}
		*pp = p;
		return true;
	}
	if (!parse_position(&p, &a) || *p != '-')
		return false;
	p++;
	if (parse_position(&p, &b)) {
		if (b < a)
			return false;	/* invalid: last before first */
	} else {
		b = UINT64_MAX;		/* open-ended */
	}
	if (a < size) {
		*satisfiable = true;
		*first = a;
		*len = (b < size - 1 ? b : size - 1) - a + 1;
	}
	*pp = p;
	return true;
}

enum http_range_kind http_range_parse(const char *value, uint64_t size, uint64_t *first,
				      uint64_t *len)
{
	const char *p;
	unsigned specs = 0, satisfiable = 0;
	uint64_t f = 0, l = 0;

	if (!value)
		return HTTP_RANGE_FULL;
	p = skip_ows(value);
	if (strncasecmp(p, RANGE_UNIT, RANGE_UNIT_LEN) != 0)
		return HTTP_RANGE_FULL;
	p = skip_ows(p + RANGE_UNIT_LEN);
	if (*p != '=')
		return HTTP_RANGE_FULL;
	p++;
	/* range-set = 1#range-spec: a comma list, empty elements allowed
	 * (RFC 9110 section 5.6.1.2). */
	for (;;) {
		bool ok;
		uint64_t sf, sl;

		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		if (!parse_range_spec(&p, size, &ok, &sf, &sl))
			return HTTP_RANGE_FULL;
		specs++;
		if (ok) {
			satisfiable++;
			f = sf;
			l = sl;
		}
		p = skip_ows(p);
		if (*p != ',' && *p != '\0')
			return HTTP_RANGE_FULL;
	}
	if (specs == 0)
		return HTTP_RANGE_FULL;
	if (satisfiable == 0)
		return HTTP_RANGE_UNSATISFIABLE;
	if (specs > 1)
		return HTTP_RANGE_FULL;
	*first = f;
	*len = l;
	return HTTP_RANGE_PARTIAL;
}

int http_percent_decode(const char *in, size_t inlen, char *out, size_t outsize)
{
	size_t i = 0, n = 0;

	while (i < inlen) {
		unsigned char c = (unsigned char)in[i];

		if (c == '%') {
			int hi, lo;

			if (inlen - i < PCT_ESCAPE_LEN)
				return -EINVAL;
			hi = hex_digit_value(in[i + 1]);
			lo = hex_digit_value(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			i += PCT_ESCAPE_LEN;
		} else {
			i++;
		}
		if (c < ASCII_FIRST_PRINTABLE || c == ASCII_DEL)
			return -EILSEQ;
		if (n + 1 >= outsize)
			return -ENAMETOOLONG;
		out[n++] = (char)c;
	}
	if (outsize == 0)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return (int)n;
}

void http_date(time_t t, char out[HTTP_DATE_LEN])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	/* (the remainders only tell the compiler the widths) */
	snprintf(out, HTTP_DATE_LEN, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT",
		 days[(unsigned)tm.tm_wday % 7], (unsigned)tm.tm_mday % 100,
		 months[(unsigned)tm.tm_mon % 12], (unsigned)(tm.tm_year + 1900) % 10000,
		 (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
		 (unsigned)tm.tm_sec % 100);
}
