/* Small helpers used everywhere: allocation that cannot fail, full reads
 * and writes, atomic file replacement, recursive mkdir and remove, time.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/** Initial buffer for file_read_all() when the size is unknown. */
#define READ_ALL_CHUNK 4096

/**
 * oom() - report that memory ran out and abort.
 */
static void __attribute__((noreturn)) oom(void)
{
	static const char msg[] = "lanroot: out of memory\n";
	ssize_t rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)rc;
	abort();
}

/**
 * xmalloc() - malloc() that aborts on failure.
 * @n: bytes (0 is treated as 1 so the result is never NULL)
 * Return: the memory.
 */
void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

/**
 * xcalloc() - calloc() that aborts on failure (including overflow).
 * @nmemb: number of members
 * @size:  size of each
 * Return: zeroed memory.
 */
void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

/**
 * xrealloc() - realloc() that aborts on failure.
 * @p: old block or NULL
 * @n: new size (0 is treated as 1)
 * Return: the resized block.
 */
void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom();
	return q;
}

/**
 * xstrdup() - strdup() that aborts on failure.
 * @s: string to copy
 * Return: the copy.
 */
char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

/**
 * xasprintf() - format into newly allocated memory, abort on failure.
 * @fmt: printf format
 * Return: the string; caller frees.
 */
char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return s;
}

/**
 * str_copy() - bounded string copy that always terminates.
 * @dst:  destination
 * @size: size of @dst in bytes
 * @src:  source string
 * Return: 0, or -ENAMETOOLONG if @src was truncated.
 */
int str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (size == 0)
		return -ENAMETOOLONG;
	if (len >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

/**
 * str_has_prefix() - whether @s starts with @prefix.
 * @s:      string
 * @prefix: prefix
 * Return: true if it does.
 */
bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/**
 * write_full() - write all of @buf, retrying short writes and EINTR.
 * @fd:  file descriptor
 * @buf: data
 * @len: bytes
 * Return: 0 or -errno.
 */
int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * read_full() - read exactly @len bytes.
 * @fd:  file descriptor
 * @buf: destination
 * @len: bytes
 * Return: 0, -EIO if the file ended first, or -errno.
 */
int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/**
 * offset_ok() - whether [@off, @off + @len) is representable as off_t.
 * @off: start offset
 * @len: length
 * Return: true if so.
 */
static bool offset_ok(uint64_t off, size_t len)
{
	return off <= (uint64_t)INT64_MAX && len <= (uint64_t)INT64_MAX - off;
}

/**
 * pwrite_full() - write all of @buf at @off.
 * @fd:  file descriptor
 * @buf: data
 * @len: bytes
 * @off: file offset
 * Return: 0 or -errno (-EINVAL for an offset beyond off_t).
 */
int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	if (!offset_ok(off, len))
		return -EINVAL;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/**
 * pread_full() - read exactly @len bytes at @off.
 * @fd:  file descriptor
 * @buf: destination
 * @len: bytes
 * @off: file offset
 * Return: 0, -EIO if the file ended first, or -errno.
 */
int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	if (!offset_ok(off, len))
		return -EINVAL;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/**
 * pread_cached() - pread_full() that only copies what the page cache holds
 * (preadv2 with RWF_NOWAIT): -EAGAIN when any part would wait for the disk,
 * so a caller on an event loop can hand the read to a worker instead.
 * Past the end of the file reads as zeros when @zero_eof, else -EIO.
 */
int pread_cached(int fd, void *buf, size_t len, uint64_t off, bool zero_eof)
{
	char *p = buf;
	struct iovec iov;
	ssize_t n;

	if (!offset_ok(off, len))
		return -EINVAL;
	while (len > 0) {
		iov.iov_base = p;
		iov.iov_len = len;
		n = preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EOPNOTSUPP)
				return -EAGAIN;
			return -errno;
		}
		if (n == 0) {
			if (!zero_eof)
				return -EIO;
			memset(p, 0, len);
			return 0;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/**
 * dir_of() - the directory part of @path, newly allocated ("." if none).
 * @path: a file path
 * Return: the directory; caller frees.
 */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	size_t n;

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	n = (size_t)(slash - path);
	dir = xmalloc(n + 1);
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dir;
}

/**
 * fsync_dir() - fsync a directory so that renames in it are durable.
 * @path: the directory
 * Return: 0 or -errno.
 */
int fsync_dir(const char *path)
{
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/**
 * file_write_atomic() - replace a file atomically and durably.
 * @path: file to replace (or create)
 * @data: new contents
 * @len:  bytes of @data
 * @mode: permission bits of the new file
 * Return: 0 or -errno; on failure @path is unchanged.
 */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	char *dir = NULL;
	int fd, rc;

	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		goto err_free;
	}
	if (fchmod(fd, (mode_t)mode) < 0) {
		rc = -errno;
		goto err_close;
	}
	rc = write_full(fd, data, len);
	if (rc < 0)
		goto err_close;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto err_close;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto err_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	dir = dir_of(path);
	rc = fsync_dir(dir);
	free(dir);
	free(tmp);
	return rc;

err_close:
	close(fd);
err_unlink:
	unlink(tmp);
err_free:
	free(tmp);
	return rc;
}

/**
 * file_read_all() - read a whole small file into memory.
 * @path: file
 * @max:  largest size accepted
 * @data: receives the NUL-terminated contents (caller frees)
 * @len:  receives the size (may be NULL)
 * Return: 0, -EFBIG if larger than @max, or -errno.
 */
int file_read_all(const char *path, size_t max, char **data, size_t *len)
{
	size_t cap = READ_ALL_CHUNK, used = 0;
	char *buf = NULL;
	int fd, rc;

	if (max >= SIZE_MAX - 1)
		max = SIZE_MAX - 2;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t n;

		/* Room for one byte past @max (to detect it) and the NUL. */
		if (used + 1 >= cap) {
			cap = cap > (max + 2) / 2 ? max + 2 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto err;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = -EFBIG;
			goto err;
		}
	}
	close(fd);
	buf[used] = '\0';
	*data = buf;
	if (len)
		*len = used;
	return 0;

err:
	close(fd);
	free(buf);
	return rc;
}

/**
 * mkdir_one() - create one directory; an existing directory is fine.
 * @path: directory
 * @mode: permission bits
 * Return: 0 or -errno (-ENOTDIR if something else is in the way).
 */
static int mkdir_one(const char *path, unsigned mode)
{
	struct stat st;

	if (mkdir(path, (mode_t)mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/**
 * mkdir_p() - create a directory and any missing parents.
 * @path: directory
 * @mode: permission bits for every directory created
 * Return: 0 or -errno.
 */
int mkdir_p(const char *path, unsigned mode)
{
	char *copy, *p;
	int rc = 0;

	if (!*path)
		return -ENOENT;
	copy = xstrdup(path);
	for (p = copy + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		rc = mkdir_one(copy, mode);
		*p = '/';
		if (rc < 0)
			goto out;
	}
	rc = mkdir_one(copy, mode);
out:
	free(copy);
	return rc;
}

/**
 * rm_rf_at() - remove @name in @parentfd and everything below it.  Directories
 * are opened with O_NOFOLLOW relative to their parent, so a symlink is only
 * ever removed itself, never followed.
 * @parentfd: parent directory (or AT_FDCWD)
 * @name:     entry to remove
 * Return: 0 (also when @name does not exist) or -errno.
 */
static int rm_rf_at(int parentfd, const char *name)
{
	struct dirent *ent;
	DIR *dir;
	int fd, unlink_err, rc = 0;

	if (unlinkat(parentfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	/* Directories give EISDIR (EPERM on some file systems). */
	unlink_err = errno;
	if (unlink_err != EISDIR && unlink_err != EPERM)
		return -unlink_err;

	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		/* Not a directory after all: report why unlink failed. */
		return (errno == ENOTDIR || errno == ELOOP) ? -unlink_err : -errno;
	}
	dir = fdopendir(fd);
	if (!dir) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (;;) {
		int r;

		errno = 0;
		ent = readdir(dir);
		if (!ent) {
			if (errno && !rc)
				rc = -errno;
			break;
		}
		if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
			continue;
		r = rm_rf_at(dirfd(dir), ent->d_name);
		if (r < 0 && !rc)
			rc = r;
	}
	closedir(dir);
	if (rc < 0)
		return rc;
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/**
 * rm_rf() - remove a file or directory tree; symlinks are removed, never
 * followed.  A path that does not exist is not an error.
 * @path: what to remove
 * Return: 0 or -errno.
 */
int rm_rf(const char *path)
{
	if (!*path)
		return -ENOENT;
	return rm_rf_at(AT_FDCWD, path);
}

/**
 * now_rfc3339() - the current time in UTC, e.g. "2026-11-25T12:00:00Z".
 * @out: receives the string
 */
void now_rfc3339(char out[32])
{
	struct tm tm;
	time_t t = time(NULL);

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		str_copy(out, 32, "1970-01-01T00:00:00Z");
}

/**
 * human_size() - a byte count for people: "512 B", "1.5 KiB", "4.0 GiB".
 * @bytes: the count
 * @out:   receives the text
 * @size:  size of @out
 */
void human_size(uint64_t bytes, char *out, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	const double step = 1024.0;
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, size, "%u B", (unsigned)bytes);
		return;
	}
	/* Move up while the value would print as 1024.0 or more. */
	while (v >= step - 0.05 && u + 1 < ARRAY_SIZE(units)) {
		v /= step;
		u++;
	}
	snprintf(out, size, "%.1f %s", v, units[u]);
}

void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
