/* libFuzzer target: the tar member rule (tar_check_member).
 *
 * Input layout: byte 0 holds the flags (bit 0 symlink, bit 1 hard link);
 * the rest is split at NUL bytes into the member name, the link target and
 * up to MAX_SYMLINKS names of symlinks seen before.  The rule must never
 * read or write out of bounds; what it accepts must be relative, without a
 * ".." component (name, and hard-link target), and must not go through one
 * of the symlinks; a refusal always says why.
 */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define MAX_SYMLINKS	16
#define FLAG_SYMLINK	0x01
#define FLAG_HARDLINK	0x02

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** dotdot() - whether a '/'-separated component of @s is "..". */
static bool dotdot(const char *s)
{
	const char *p = s;

	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (!end)
			return false;
		p = end + 1;
	}
}

/**
 * plain_prefix() - whether the simple symlink name @link (no "." or empty
 * components, no trailing '/') is a leading part of @name, itself simple.
 */
static bool plain_prefix(const char *link, const char *name)
{
	size_t n = strlen(link);

	return n && strncmp(link, name, n) == 0 && name[n] == '/';
}

/** simple() - no empty or "." components, not absolute, no trailing '/'. */
static bool simple(const char *s)
{
	const char *p = s;

	if (!*s || s[0] == '/')
		return false;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0 || (len == 1 && p[0] == '.'))
			return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

/**
 * LLVMFuzzerTestOneInput() - check one member made of @data.
 * @data: input bytes
 * @size: number of bytes
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[MAX_SYMLINKS + 2] = { NULL };
	const char *symlinks[MAX_SYMLINKS + 1] = { NULL };
	int is_symlink, is_hardlink, rc, again;
	size_t nparts = 0, i, nsym = 0;
	char err[256], err2[256];
	char *buf, *p, *end;

	if (size < 1)
		return 0;
	is_symlink = data[0] & FLAG_SYMLINK;
	is_hardlink = (data[0] & FLAG_HARDLINK) != 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	end = buf + size - 1;
	for (p = buf; p <= end && nparts < MAX_SYMLINKS + 2; p += strlen(p) + 1)
		parts[nparts++] = p;
	for (i = 2; i < nparts; i++)
		symlinks[nsym++] = parts[i];

	rc = tar_check_member(parts[0], is_symlink, is_hardlink, parts[1],
			      symlinks, err, sizeof(err));
	again = tar_check_member(parts[0], is_symlink, is_hardlink, parts[1],
				 symlinks, err2, sizeof(err2));
	if (rc != again)
		abort();
	if (rc == 0) {
		const char *name = parts[0];

		if (name[0] == '/' || dotdot(name))
			abort();
		if (is_hardlink && (!parts[1] || parts[1][0] == '/' || dotdot(parts[1])))
			abort();
		if (is_symlink && (!parts[1] || !*parts[1]))
			abort();
		if (simple(name)) {
			for (i = 0; i < nsym; i++)
				if (simple(symlinks[i]) && plain_prefix(symlinks[i], name))
					abort();
		}
	} else if (rc != -EINVAL || strnlen(err, sizeof(err)) == 0 ||
		   strnlen(err, sizeof(err)) == sizeof(err) || strcmp(err, err2) != 0) {
		abort();	/* a refusal always says why, the same way */
	}
	free(buf);
	return 0;
}
