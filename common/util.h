/* Small helpers used everywhere. */
#ifndef LR_UTIL_H
#define LR_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/** xmalloc()/xcalloc()/xstrdup() - allocate or abort with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * str_copy() - copy @src into @dst of @size bytes, always terminated.
 * Return: 0, or -ENAMETOOLONG if @src did not fit (dst holds a prefix).
 */
int str_copy(char *dst, size_t size, const char *src);

/**
 * err_set() - printf a message for a person into @err (@errlen bytes,
 * always terminated).  @err may be NULL (nothing is written).
 */
void err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** str_has_prefix() - true if @s begins with @prefix. */
bool str_has_prefix(const char *s, const char *prefix);

/**
 * write_full()/read_full()/pwrite_full()/pread_full() - loop over short
 * transfers and EINTR.  Return: 0, or -errno; read_full/pread_full return
 * -EIO ("unexpected end of file") when the file ends first.
 */
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
int pread_full(int fd, void *buf, size_t len, uint64_t off);

/**
 * pread_cached() - as pread_full(), but only from the page cache
 * (RWF_NOWAIT): -EAGAIN when part of it would wait for the disk.  Past the
 * end of the file reads as zeros when @zero_eof, else -EIO.
 */
int pread_cached(int fd, void *buf, size_t len, uint64_t off, bool zero_eof);

/**
 * file_write_atomic() - replace @path with @len bytes of @data: write a
 * temporary file beside it, fsync it, rename over @path, fsync the
 * directory.  Return: 0 or -errno.
 */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/**
 * file_read_all() - read a whole (small) file; at most @max bytes.
 * Return: 0 with *@data (NUL-terminated, caller frees) and *@len, or -errno
 * (-EFBIG when the file is larger than @max).
 */
int file_read_all(const char *path, size_t max, char **data, size_t *len);

/** mkdir_p() - create @path and its parents with @mode.  Return 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);

/**
 * rm_rf() - remove @path recursively (never follows symlinks; a symlink is
 * removed itself).  A missing @path is not an error.  0 or -errno.
 */
int rm_rf(const char *path);

/** fsync_dir() - fsync the directory @path.  Return 0 or -errno. */
int fsync_dir(const char *path);

/** is_power_of_two() - true if exactly one bit of @v is set. */
static inline bool is_power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

/** monotonic_ns() - CLOCK_MONOTONIC in nanoseconds (for timeouts and rates). */
int64_t monotonic_ns(void);

/** now_rfc3339() - current UTC time as "2026-11-25T12:00:00Z". */
void now_rfc3339(char out[32]);

/** human_size() - 1536 → "1.5 KiB", 512 → "512 B", 4 GiB → "4.0 GiB" into @out. */
void human_size(uint64_t bytes, char *out, size_t size);

#endif
