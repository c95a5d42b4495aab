/* Helpers shared by the cmocka unit tests: scratch directories, small files
 * and trees, reading back, pseudo-random data.  See testutil.h.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "util.h"

/* Where scratch directories go when $TMPDIR is not usable. */
#define TU_DEFAULT_TMPDIR "/tmp"
/* Longest $TMPDIR taken: tests build paths below it in fixed buffers. */
#define TU_TMPDIR_MAX 64
/* The pseudo-random bytes: Marsaglia's xorshift64 (shifts 13, 7, 17),
 * started from the seed plus one times this odd constant (2^64 / golden
 * ratio, so never zero); each step hands out the low byte of its state.
 * Unlike a linear congruential generator's, these bytes have no short
 * periods (erofs-utils 1.5 lz4hc took minutes over those; see build_erofs). */
#define TU_XORSHIFT_START 0x9e3779b97f4a7c15ull

/* The directory of the running group, from tu_group_setup(). */
static char *group_dir;

/**
 * tu_scratch_make() - make a new, empty scratch directory.
 * Return: its path (free with tu_scratch_remove()); fails the test if not made.
 */
char *tu_scratch_make(void)
{
	const char *parent = getenv("TMPDIR");
	char *dir;

	if (!parent || parent[0] != '/' || strlen(parent) > TU_TMPDIR_MAX)
		parent = TU_DEFAULT_TMPDIR;
	dir = xasprintf("%s/lanroot-%s-XXXXXX", parent, program_invocation_short_name);
	if (!mkdtemp(dir))
		fail_msg("cannot make a scratch directory %s: %s", dir, strerror(errno));
	return dir;
}

/**
 * tu_scratch_remove() - remove @dir recursively and free it.
 * @dir: from tu_scratch_make(), or NULL
 * Return: 0, or the negative errno of rm_rf().
 */
int tu_scratch_remove(char *dir)
{
	int rc = 0;

	if (dir)
		rc = rm_rf(dir);
	free(dir);
	return rc;
}

/**
 * tu_scratch_setup() - cmocka setup: a struct tu_scratch into *@state.
 * Return: 0.
 */
int tu_scratch_setup(void **state)
{
	struct tu_scratch *s = xcalloc(1, sizeof(*s));

	s->dir = tu_scratch_make();
	*state = s;
	return 0;
}

/**
 * tu_scratch_teardown() - cmocka teardown: remove and free *@state.
 * Return: 0, or the negative errno of removing the directory.
 */
int tu_scratch_teardown(void **state)
{
	struct tu_scratch *s = *state;
	int rc = tu_scratch_remove(s->dir);

	free(s);
	return rc;
}

/**
 * tu_group_setup() - cmocka group setup: make the group's directory.
 * @state: unused (tests find the directory with tu_group_dir())
 * Return: 0.
 */
int tu_group_setup(void **state)
{
	(void)state;
	group_dir = tu_scratch_make();
	return 0;
}

/**
 * tu_group_teardown() - cmocka group teardown: remove the group's directory.
 * @state: unused
 * Return: 0, or the negative errno of removing it.
 */
int tu_group_teardown(void **state)
{
	int rc = tu_scratch_remove(group_dir);

	(void)state;
	group_dir = NULL;
	return rc;
}

/**
 * tu_group_dir() - the running group's directory.
 * Return: its path, or NULL outside a group.
 */
const char *tu_group_dir(void)
{
	return group_dir;
}

/**
 * tu_path() - join @dir and @name.
 * Return: "@dir/@name" (caller frees).
 */
char *tu_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/**
 * tu_write_file() - create the new file @path: @len bytes of @data, mode
 * exactly @mode.  Fails the test if @path exists or cannot be written.
 */
void tu_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	rc = write_full(fd, data, len);
	if (rc < 0)
		fail_msg("cannot write %s: %s", path, strerror(-rc));
	if (fchmod(fd, mode & 07777) < 0)
		fail_msg("cannot chmod %s: %s", path, strerror(errno));
	close(fd);
}

/**
 * tu_put() - create the new file @dir/@name holding @text, mode exactly @mode.
 */
void tu_put(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = tu_path(dir, name);

	tu_write_file(path, text, strlen(text), mode);
	free(path);
}

/**
 * tu_mkdir() - create the directory @dir/@name, mode exactly @mode.
 */
void tu_mkdir(const char *dir, const char *name, mode_t mode)
{
	char *path = tu_path(dir, name);

	/* chmod too: mkdir() applies the umask and drops set-id bits */
	if (mkdir(path, mode) < 0 || chmod(path, mode) < 0)
		fail_msg("cannot make directory %s: %s", path, strerror(errno));
	free(path);
}

/**
 * tu_symlink() - create the symlink @dir/@name to @target.
 */
void tu_symlink(const char *dir, const char *name, const char *target)
{
	char *path = tu_path(dir, name);

	if (symlink(target, path) < 0)
		fail_msg("cannot make symlink %s: %s", path, strerror(errno));
	free(path);
}

/**
 * tu_open_new() - create or truncate @dir/@name (mode 0600).
 * Return: a descriptor open O_RDWR (caller closes).
 */
int tu_open_new(const char *dir, const char *name)
{
	char *path = tu_path(dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		fail_msg("cannot create %s: %s", path, strerror(errno));
	free(path);
	return fd;
}

/**
 * tu_read_file() - the whole file @path, at most TU_READ_MAX bytes.
 * Return: the contents (caller frees), or NULL if it cannot be read.
 */
char *tu_read_file(const char *path)
{
	char *data = NULL;
	size_t len;

	if (file_read_all(path, TU_READ_MAX, &data, &len) < 0)
		return NULL;
	return data;
}

/**
 * tu_count_entries() - entries in @dir but "." and "..".
 * Return: the count; 0 if @dir cannot be opened.
 */
long tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/**
 * tu_stream_text() - all that was written to @fp; leaves it at the end.
 * Return: the text, NUL-terminated (caller frees).
 */
char *tu_stream_text(FILE *fp)
{
	long size;
	char *text;

	assert_int_equal(fflush(fp), 0);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size >= 0);
	text = xmalloc((size_t)size + 1);
	rewind(fp);
	assert_int_equal(fread(text, 1, (size_t)size, fp), (size_t)size);
	text[size] = '\0';
	/* at the end again, where the next write goes */
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	return text;
}

/**
 * tu_fill_random() - @len pseudo-random bytes into @buf, fixed by @seed.
 */
void tu_fill_random(uint8_t *buf, size_t len, uint32_t seed)
{
	uint64_t x = ((uint64_t)seed + 1) * TU_XORSHIFT_START;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

/**
 * tu_write_random() - create the new file @path (0644) with @len bytes of
 * tu_fill_random(@seed).
 */
void tu_write_random(const char *path, size_t len, uint32_t seed)
{
	uint8_t *buf = xmalloc(len ? len : 1);

	tu_fill_random(buf, len, seed);
	tu_write_file(path, buf, len, 0644);
	free(buf);
}

bool tu_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && strcmp(ci, "true") == 0;
}
