/* Opening a path strictly beneath a root directory.
 *
 * The kernel does it best: openat2(2) with RESOLVE_BENEATH refuses every
 * escape, including through symlinks and races with renames, and
 * RESOLVE_NO_MAGICLINKS refuses /proc/self/fd style links.  On kernels
 * without openat2 (before 5.6) we walk the path one component at a time
 * from the root, opening each directory with O_NOFOLLOW, so that no symlink
 * is ever followed (each one is refused with -ELOOP).  ".." is followed in
 * the walk by going back to the directory we came from (we keep a
 * descriptor for every level), and refused with -EXDEV at the root; so
 * "a/../b" opens "b" on both paths, as long as "a" is a real directory.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "beneath.h"
#include "util.h"

#ifndef SYS_openat2
#define SYS_openat2 437		/* the same number on every architecture */
#endif

#ifndef RESOLVE_BENEATH
/* From linux/openat2.h, for build hosts with older kernel headers. */
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_BENEATH 0x08
#endif

/** How often to retry openat2() when a concurrent rename makes it -EAGAIN. */
#define OPENAT2_RETRIES 8

/** Whether to use the walk even where openat2() exists (tests). */
static int force_fallback;
/** Set once openat2() has failed with -ENOSYS. */
static int openat2_missing;

/**
 * open_beneath_force_fallback() - always use the component walk (tests).
 * @force: non-zero to force the walk, zero to use openat2() again
 */
void open_beneath_force_fallback(int force)
{
	force_fallback = force;
}

/**
 * open_with_openat2() - let the kernel resolve @path beneath @rootfd.
 * @rootfd: root directory
 * @path:   relative path
 * @flags:  open flags
 * @mode:   creation mode
 * Return: a descriptor or -errno (-ENOSYS when the kernel lacks openat2).
 */
static int open_with_openat2(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how;
	int tries, fd = -1;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC);
	/* openat2 insists on a zero mode unless a file may be created. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	for (tries = 0; tries < OPENAT2_RETRIES; tries++) {
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != EAGAIN && errno != EINTR)
			break;
	}
	return -errno;
}

/**
 * refused_symlink() - turn an open error into -ELOOP when @name is a
 * symlink (O_NOFOLLOW with O_DIRECTORY or O_PATH does not always say so).
 * @dirfd: directory holding @name
 * @name:  the component that failed to open
 * @err:   the error from openat(), negative
 * Return: -ELOOP or @err.
 */
static int refused_symlink(int dirfd, const char *name, int err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return err;
}

/**
 * open_last() - open the final component in @dirfd, never through a link.
 * @dirfd: directory
 * @name:  component, or "." for the directory itself
 * @flags: caller's flags
 * @mode:  creation mode
 * Return: a descriptor or -errno.
 */
static int open_last(int dirfd, const char *name, int flags, mode_t mode)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return refused_symlink(dirfd, name, -errno);
	/* O_PATH | O_NOFOLLOW opens a symlink itself: refuse that too. */
	if ((flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

/**
 * open_with_walk() - resolve @path one component at a time (see top).
 * @rootfd: root directory
 * @path:   relative path (leading '/' already removed)
 * @flags:  open flags
 * @mode:   creation mode
 * Return: a descriptor or -errno (-EXDEV for ".." above the root, -ELOOP
 * for any symlink).
 */
static int open_with_walk(int rootfd, const char *path, int flags, mode_t mode)
{
	char *copy = xstrdup(path);
	size_t len = strlen(copy), depth = 0, ncomp = 0;
	char **comps = NULL;
	int *stack = NULL;
	char *p, *save = NULL;
	size_t i;
	int rc;

	/* "dir/" must name a directory, as for open(2). */
	if (len > 0 && copy[len - 1] == '/') {
		if (flags & O_CREAT) {
			rc = -EISDIR;
			goto out;
		}
		flags |= O_DIRECTORY;
	}

	comps = xcalloc(len / 2 + 2, sizeof(*comps));
	for (p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") != 0)
			comps[ncomp++] = p;
	}
	stack = xcalloc(ncomp + 1, sizeof(*stack));
	stack[0] = rootfd;

	for (i = 0; i < ncomp; i++) {
		bool last = i + 1 == ncomp;
		int fd;

		if (!strcmp(comps[i], "..")) {
			if (depth == 0) {
				rc = -EXDEV;
				goto out;
			}
			close(stack[depth--]);
			continue;
		}
		if (last) {
			rc = open_last(stack[depth], comps[i], flags, mode);
			goto out;
		}
		fd = openat(stack[depth], comps[i],
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = refused_symlink(stack[depth], comps[i], -errno);
			goto out;
		}
		stack[++depth] = fd;
	}
	/* Nothing left but the directory we stand in ("", ".", "a/.."). */
	rc = open_last(stack[depth], ".", flags, mode);

out:
	while (depth > 0)
		close(stack[depth--]);
	free(stack);
	free(comps);
	free(copy);
	return rc;
}

/**
 * open_beneath() - open @path beneath @rootfd and never outside it.
 * @rootfd: root directory
 * @path:   path inside it; a leading '/' means the root
 * @flags:  open flags (O_CLOEXEC is always added)
 * @mode:   creation mode for O_CREAT
 * Return: a descriptor, or -errno (see beneath.h).
 */
int open_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	int fd;

	if (!path || rootfd < 0)
		return -EINVAL;
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	while (*path == '/')
		path++;
	if (!force_fallback && !openat2_missing) {
		fd = open_with_openat2(rootfd, *path ? path : ".", flags, mode);
		if (fd != -ENOSYS)
			return fd;
		openat2_missing = 1;
	}
	return open_with_walk(rootfd, path, flags, mode);
}
