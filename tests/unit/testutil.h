/* Helpers shared by the cmocka unit tests (common/test-*.c, images/test-*.c).
 *
 * Built only for `make check`, as tests/unit/libtestutil.la.  Every helper
 * that can go wrong fails the running test (cmocka assertions) instead of
 * returning an error, so a test reads as the steps it takes; the exceptions
 * say so.  Include after <cmocka.h>.
 */
#ifndef LANROOT_TESTUTIL_H
#define LANROOT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/**
 * tu_in_ci() - whether the tests run under CI (CI=true), where every
 * dependency is installed and tests run as root: nothing may be skipped.
 */
bool tu_in_ci(void);

/**
 * tu_skip() - skip the running cmocka test because @why (a string), or
 * fail it under CI, so that a skip never hides a missing dependency or
 * capability (cmocka counts skips as passes in the program's exit status).
 */
#define tu_skip(why)							\
	do {								\
		if (tu_in_ci())						\
			fail_msg("cannot skip under CI=true: %s", (why));	\
		print_message("skipped: %s\n", (why));			\
		skip();							\
	} while (0)

/** Most bytes tu_read_file() reads. */
#define TU_READ_MAX (1024 * 1024)

/* ---- scratch directories ------------------------------------------------ */

/**
 * tu_scratch_make() - make a new, empty directory for a test.
 *
 * It is $TMPDIR/lanroot-PROGRAM-XXXXXX, or under /tmp when TMPDIR is unset,
 * relative or too long for the paths tests build in fixed buffers.
 * Return: its path (free with tu_scratch_remove()).
 */
char *tu_scratch_make(void);

/**
 * tu_scratch_remove() - remove @dir and all below it, and free @dir.
 * @dir: from tu_scratch_make(), or NULL (nothing to do)
 * Return: 0, or the negative errno of rm_rf().
 */
int tu_scratch_remove(char *dir);

/** A test's scratch directory, the state tu_scratch_setup() hands a test. */
struct tu_scratch {
	char *dir;		/* the directory, made empty for the test */
};

/**
 * tu_scratch_setup() - cmocka setup: *@state becomes a struct tu_scratch.
 * Return: 0.
 */
int tu_scratch_setup(void **state);

/**
 * tu_scratch_teardown() - cmocka teardown for tu_scratch_setup().
 * Return: 0, or the negative errno of removing the directory.
 */
int tu_scratch_teardown(void **state);

/** tu_scratch_test() - the cmocka test @fn, run in its own scratch directory. */
#define tu_scratch_test(fn) \
	cmocka_unit_test_setup_teardown(fn, tu_scratch_setup, tu_scratch_teardown)

/**
 * tu_group_setup() - cmocka group setup: one scratch directory shared by
 * every test of the group, named by tu_group_dir().
 * Return: 0.
 */
int tu_group_setup(void **state);

/**
 * tu_group_teardown() - cmocka group teardown for tu_group_setup().
 * Return: 0, or the negative errno of removing the directory.
 */
int tu_group_teardown(void **state);

/**
 * tu_group_dir() - the directory tu_group_setup() made.
 * Return: its path (owned by the group; NULL outside one).
 */
const char *tu_group_dir(void);

/* ---- files and trees ---------------------------------------------------- */

/**
 * tu_path() - the path of @name inside @dir.
 * Return: "@dir/@name" (caller frees).
 */
char *tu_path(const char *dir, const char *name);

/**
 * tu_write_file() - create the new file @path holding @len bytes of @data,
 * with exactly the permissions @mode (set-id bits included, umask ignored).
 * The file must not exist yet.
 */
void tu_write_file(const char *path, const void *data, size_t len, mode_t mode);

/**
 * tu_put() - create the new file @dir/@name holding the string @text, with
 * exactly the permissions @mode.
 */
void tu_put(const char *dir, const char *name, const char *text, mode_t mode);

/**
 * tu_mkdir() - create the directory @dir/@name with exactly the
 * permissions @mode.
 */
void tu_mkdir(const char *dir, const char *name, mode_t mode);

/** tu_symlink() - create the symbolic link @dir/@name pointing at @target. */
void tu_symlink(const char *dir, const char *name, const char *target);

/**
 * tu_open_new() - create (or truncate) @dir/@name, mode 0600.
 * Return: a descriptor open O_RDWR on it (caller closes).
 */
int tu_open_new(const char *dir, const char *name);

/**
 * tu_read_file() - the whole of the file @path, at most TU_READ_MAX bytes.
 * Does not fail the test: a missing, unreadable or too large file gives NULL.
 * Return: the contents NUL-terminated (caller frees), or NULL.
 */
char *tu_read_file(const char *path);

/**
 * tu_count_entries() - how many entries @dir holds, "." and ".." not counted.
 * Return: the count; 0 if @dir does not exist or cannot be read.
 */
long tu_count_entries(const char *dir);

/**
 * tu_stream_text() - everything written to the file stream @fp so far,
 * e.g. a tmpfile() given to log_set_stream().  Later writes append.
 * Return: the text NUL-terminated (caller frees).
 */
char *tu_stream_text(FILE *fp);

/* ---- data --------------------------------------------------------------- */

/**
 * tu_fill_random() - fill @buf with @len pseudo-random bytes: the same
 * bytes for the same @seed, and incompressible.
 */
void tu_fill_random(uint8_t *buf, size_t len, uint32_t seed);

/**
 * tu_write_random() - create the new file @path, mode 0644, holding @len
 * bytes of tu_fill_random() with @seed.
 */
void tu_write_random(const char *path, size_t len, uint32_t seed);

#endif /* LANROOT_TESTUTIL_H */
