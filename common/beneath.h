/* Opening a path strictly beneath a root directory: the rule for TFTP and
 * HTTP roots and for anything named by a client or an archive.
 */
#ifndef LR_BENEATH_H
#define LR_BENEATH_H

#include <sys/types.h>

/**
 * open_beneath() - open @path relative to the directory @rootfd and never
 * outside it: absolute paths are taken relative to the root, ".." may not
 * climb above it, and no symlink may lead out of it (symlinks that stay
 * inside are followed).  Magic links (/proc/self/fd/…) are refused.
 * Uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the kernel has
 * it, else a component-by-component walk that refuses every symlink.
 * @flags/@mode: as for openat(); O_CREAT works for the last component.
 * Return: a file descriptor, or -errno (-EXDEV for an escape attempt,
 * -ELOOP for a refused symlink in the fallback walk).
 */
int open_beneath(int rootfd, const char *path, int flags, mode_t mode);

/** Force the fallback walk (tests).  Non-zero = always fall back. */
void open_beneath_force_fallback(int force);

#endif
