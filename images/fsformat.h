/* File-system image formats: detection by magic, and building an image
 * from a directory tree with the stock tools (no root needed):
 *   ext4      mkfs.ext4 -d DIR
 *   erofs     mkfs.erofs
 *   squashfs  mksquashfs
 */
#ifndef LR_FSFORMAT_H
#define LR_FSFORMAT_H

#include <stddef.h>
#include <stdint.h>

enum fs_format { FS_UNKNOWN = 0, FS_EXT4, FS_EROFS, FS_SQUASHFS };

/** fs_format_name() - "ext4" | "erofs" | "squashfs" | "raw". */
const char *fs_format_name(enum fs_format f);
/** fs_format_parse() - name → format; FS_UNKNOWN for anything else. */
enum fs_format fs_format_parse(const char *name);

/**
 * fs_detect() - read the superblock magic of the image @fd.
 * Return: the format, FS_UNKNOWN if none matched (including a file too
 * short to hold a superblock).
 */
enum fs_format fs_detect(int fd);

/**
 * fs_claimed_size() - the size in bytes that the file system of @format in
 * @fd says it occupies (ext4: blocks count × block size; erofs: blocks ×
 * block size; squashfs: bytes_used), so that a truncated image can be
 * refused.  Return: 0 with *@size, -EINVAL if the superblock is not one of
 * @format or holds impossible values, other -errno on read failure.
 */
int fs_claimed_size(int fd, enum fs_format format, uint64_t *size);

/**
 * fs_build() - build an image of @format from the tree @dir into the new
 * file @image.  @size: ext4 image size in bytes, 0 = estimated from the
 * tree (with headroom, and retried larger if mkfs runs out of room).
 * The tool's own error output is put in @err on failure.  0 or -errno.
 */
int fs_build(enum fs_format format, const char *dir, const char *image,
	     uint64_t size, char *err, size_t errlen);

/**
 * fs_extract() - unpack the whole image @image (of @format) into the empty
 * directory @dir (debugfs rdump / unsquashfs / fsck.erofs --extract).
 * 0 or -errno (+ @err).  Owners are kept only when run as root.  debugfs
 * skips FIFOs, sockets and device nodes and drops setuid/setgid/sticky
 * bits: they are put back from a debugfs listing (device nodes only as
 * root); an empty /lost+found is left out, it is not content.  Known
 * losses: fsck.erofs 1.5 as root drops setuid/setgid from files;
 * unsquashfs drops them when not root.
 * For ext4, scratch directories (@dir.debugfs-XXXXXX, @dir.modes-XXXXXX) appear
 * beside @dir meanwhile, so its parent must be writable.
 */
int fs_extract(enum fs_format format, const char *image, const char *dir,
	       char *err, size_t errlen);

/**
 * fs_extract_dir() - unpack the directory @path ("/boot") of the image into
 * the empty directory @dir at the same place (@dir/boot/…).  erofs-utils
 * 1.5 can only unpack a whole image, so for erofs the whole image is
 * unpacked.  -ENOENT (+ @err) if @path is not in the image.
 */
int fs_extract_dir(enum fs_format format, const char *image, const char *path,
		   const char *dir, char *err, size_t errlen);

/**
 * fs_extract_file() - copy one file at @path inside the image to @dst;
 * -ENOENT if it is not there.  Symlinks are followed as long as they stay
 * within the directory that holds @path (it is unpacked with
 * fs_extract_dir() into a temporary directory beside @dst).
 */
int fs_extract_file(enum fs_format format, const char *image, const char *path,
		    const char *dst, char *err, size_t errlen);

/**
 * run_command() - run @argv (no shell), stdout/stderr captured; the last
 * part of the output goes to @out on failure (and on success too, for
 * tools such as debugfs that report errors only in their output; "" if it
 * printed nothing).  Programs named without a '/' are searched in $PATH and
 * then in /usr/local/sbin, /usr/sbin and /sbin; they run with LC_ALL=C and
 * stdin from /dev/null.  Return: 0 if it exited 0,
 * -ENOENT if the program is missing, -EIO otherwise.
 */
int run_command(char *const argv[], char *out, size_t outlen);

#endif
