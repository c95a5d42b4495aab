/* Pieces of an HTTP request as pure functions over strings, for bootd's
 * HTTP server (bootserver/http.c): byte ranges (RFC 9110 section 14),
 * percent-decoding of a request target (RFC 3986 section 2.1) and the HTTP
 * date format (RFC 9110 section 5.6.7).
 */
#ifndef LR_HTTP_PARSE_H
#define LR_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* What a Range header asks of a representation of a given size. */
enum http_range_kind {
	HTTP_RANGE_FULL,		/* no usable Range: send everything (200) */
	HTTP_RANGE_PARTIAL,		/* one satisfiable range (206) */
	HTTP_RANGE_UNSATISFIABLE,	/* no range overlaps the content (416) */
};

/**
 * http_range_parse() - read a Range header value ("bytes=0-499",
 * "bytes=500-", "bytes=-200").
 * @value: the header value, or NULL when the request has none
 * @size: the representation's length in bytes
 * @first: for HTTP_RANGE_PARTIAL, the first byte to send
 * @len: for HTTP_RANGE_PARTIAL, how many bytes (at least 1)
 *
 * Syntax that is not a valid byte range set, or another unit, is ignored
 * (RFC 9110 section 14.2: the whole representation is sent).  A set of
 * several ranges is answered with the whole representation (allowed by
 * section 14.2) when one of them is satisfiable.  A last position beyond the
 * end is cut to the end; numbers too large for 64 bits saturate.
 * Return: what to send.
 */
enum http_range_kind http_range_parse(const char *value, uint64_t size, uint64_t *first,
				      uint64_t *len);

/**
 * http_percent_decode() - decode %XX escapes in a request path or a query
 * value ('+' is left alone: it is a space only in form bodies).
 * @in: the escaped text (@inlen bytes; need not be NUL-terminated)
 * @out: receives the decoded text, NUL-terminated
 * @outsize: size of @out
 * Return: the decoded length; -EINVAL for a malformed escape ("%4", "%zz"),
 * -EILSEQ when the text decodes to a NUL or another control character,
 * -ENAMETOOLONG when it does not fit in @out.
 */
int http_percent_decode(const char *in, size_t inlen, char *out, size_t outsize);

/* "Sun, 06 Nov 1994 08:49:37 GMT" plus NUL */
#define HTTP_DATE_LEN 30

/**
 * http_date() - @t in the IMF-fixdate form of RFC 9110 section 5.6.7, in
 * English whatever the locale.
 */
void http_date(time_t t, char out[HTTP_DATE_LEN]);

#endif
