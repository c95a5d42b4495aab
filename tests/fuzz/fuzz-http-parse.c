/* libFuzzer target: what bootd does with a requested path and a Range
 * header before it opens anything: percent-decoding (bootserver/
 * http-parse.c), then the name checks of vfs_normalize() (bootserver/vfs.c,
 * shared with TFTP file names), and the Range header parser.
 *
 * Input: 8 bytes of representation size, then the text (used as a Range
 * value, and as a request path).  Beyond not crashing: a range lies inside
 * the content; a decoded path holds no control character; a normalised
 * name is relative, has no '\' and no ".." component.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootserver/http-parse.h"
#include "bootserver/vfs.h"
#include "common/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SIZE_FIELD 8

/** check_normalized() - the invariants of a name vfs_normalize() accepted. */
static void check_normalized(const char *name)
{
	const char *p = name;

	if (name[0] == '/' || strchr(name, '\\'))
		abort();
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			abort();
		p += n;
		if (*p == '/')
			p++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *decoded, normalized[VFS_PATH_MAX], err[256];
	uint64_t total, first = 0, len = 0;
	size_t tlen;
	int n;

	if (size < SIZE_FIELD)
		return 0;
	total = get_be64(data);
	tlen = size - SIZE_FIELD;
	text = malloc(tlen + 1);
	decoded = malloc(tlen + 1);
	if (!text || !decoded)
		abort();
	memcpy(text, data + SIZE_FIELD, tlen);
	text[tlen] = '\0';

	if (http_range_parse(text, total, &first, &len) == HTTP_RANGE_PARTIAL &&
	    (len == 0 || first >= total || len > total - first))
		abort();

	/* exact-size input: ASan sees any read past the escaped text */
	n = http_percent_decode((const char *)data + SIZE_FIELD, tlen, decoded, tlen + 1);
	if (n >= 0) {
		if ((size_t)n > tlen || decoded[n] != '\0')
			abort();
		for (int i = 0; i < n; i++)
			if ((unsigned char)decoded[i] < 0x20 || decoded[i] == 0x7f)
				abort();
		if (vfs_normalize(decoded, (size_t)n, normalized, err, sizeof(err)) == 0)
			check_normalized(normalized);
	}
	/* TFTP hands the raw name (with any byte) to the same checks */
	if (vfs_normalize(text, tlen, normalized, err, sizeof(err)) == 0)
		check_normalized(normalized);
	free(text);
	free(decoded);
	return 0;
}
