/* Importing a new version of an image: from a raw file-system image (copied
 * sparse, hashed on the way), from a directory tree or from a tar archive
 * (both built into a file system with fs_build()).  Everything is made in a
 * private work directory under STATE_DIR/tmp and handed to
 * store_commit_version(); on any failure the work directory goes away and
 * the registry is not touched.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "import.h"
#include "beneath.h"
#include "copy.h"
#include "digest.h"
#include "fsformat.h"
#include "log.h"
#include "parse.h"
#include "util.h"

#define IMPORT_MSG_MAX		1024	/* message of a failed step */
#define SNIFF_LEN		512	/* bytes read to recognise a tar */
#define TAR_MAGIC_OFFSET	257	/* "ustar" in a POSIX/GNU tar header */
#define TAR_MAGIC		"ustar"
#define BOOT_DIR		"boot"
#define BOOT_SEARCH_DIR		"boot-search"	/* in the work dir, raw images */
#define TAR_TREE_DIR		"tree"		/* in the work dir, tar imports */

/* Compressed-stream magics that we take for a (compressed) tar. */
static const struct {
	const char *magic;
	size_t len;
} compress_magic[] = {
	{ "\x1f\x8b", 2 },			/* gzip */
	{ "\xfd" "7zXZ\0", 6 },			/* xz */
	{ "\x28\xb5\x2f\xfd", 4 },		/* zstd */
	{ "BZh", 3 },				/* bzip2 */
};

/* Initrd names that go with kernel "vmlinuz-V": prefix V suffix. */
static const struct {
	const char *prefix, *suffix;
} initrd_versioned[] = {
	{ "initrd.img-", "" },		/* Debian, Ubuntu */
	{ "initramfs-", ".img" },	/* Fedora, Arch */
	{ "initrd-", ".img" },
	{ "initrd-", "" },		/* openSUSE */
};
/* ... and with a plain "vmlinuz". */
static const char *const initrd_plain[] = {
	"initrd.img", "initramfs.img", "initrd",
};

/* What an import is working on. */
struct job {
	struct store *st;
	const struct import_opts *o;
	enum import_source kind;	/* resolved: RAW, TREE or TAR */
	enum fs_format fs;		/* file system in / built into rootfs.img */
	char *wd;			/* work directory */
	char *rootfs;			/* wd/rootfs.img */
	char *where;			/* where /boot was searched, for warnings */
	bool kernel, initrd;		/* copied into the work directory */
	struct reg_version v;
	char msg[IMPORT_MSG_MAX];	/* why a step failed */
};

/**
 * sniff_source() - tell a tar archive (plain or compressed) from a raw
 * image by the first bytes of @path.
 * Return: IMPORT_TAR or IMPORT_RAW, or -errno (+ @msg).
 */
static int sniff_source(const char *path, char *msg, size_t msglen)
{
	unsigned char buf[SNIFF_LEN];
	ssize_t n;
	size_t i;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(msg, msglen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	rc = n < 0 ? -errno : 0;
	close(fd);
	if (rc < 0) {
		snprintf(msg, msglen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	if ((size_t)n >= TAR_MAGIC_OFFSET + strlen(TAR_MAGIC) &&
	    memcmp(buf + TAR_MAGIC_OFFSET, TAR_MAGIC, strlen(TAR_MAGIC)) == 0)
		return IMPORT_TAR;
	for (i = 0; i < ARRAY_SIZE(compress_magic); i++)
		if ((size_t)n >= compress_magic[i].len &&
		    memcmp(buf, compress_magic[i].magic, compress_magic[i].len) == 0)
			return IMPORT_TAR;
	return IMPORT_RAW;
}

/**
 * resolve_kind() - what @j->o->src is, checked against what was asked.
 */
static int resolve_kind(struct job *j)
{
	const char *src = j->o->src;
	struct stat st;
	int rc;

	if (stat(src, &st) < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot read %s: %s", src, strerror(-rc));
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		if (j->o->kind != IMPORT_AUTO && j->o->kind != IMPORT_TREE) {
			snprintf(j->msg, sizeof(j->msg), "%s is a directory, not %s", src,
				 j->o->kind == IMPORT_TAR ? "a tar archive" : "an image file");
			return -EISDIR;
		}
		j->kind = IMPORT_TREE;
		return 0;
	}
	if (j->o->kind == IMPORT_TREE) {
		snprintf(j->msg, sizeof(j->msg), "%s is not a directory", src);
		return -ENOTDIR;
	}
	if (j->o->kind != IMPORT_AUTO) {
		j->kind = j->o->kind;
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		j->kind = IMPORT_RAW;	/* a block device; checked later */
		return 0;
	}
	rc = sniff_source(src, j->msg, sizeof(j->msg));
	if (rc < 0)
		return rc;
	j->kind = rc;
	return 0;
}

/**
 * build_format() - the file system to build a tree or tar into.
 */
static int build_format(struct job *j)
{
	const char *f = j->o->format ? j->o->format : "ext4";

	j->fs = fs_format_parse(f);
	if (j->fs != FS_UNKNOWN)
		return 0;
	if (strcmp(f, "raw") == 0)
		snprintf(j->msg, sizeof(j->msg), "--format raw is for image files; %s is "
			 "built into ext4, erofs or squashfs", j->o->src);
	else
		snprintf(j->msg, sizeof(j->msg), "unknown format '%s' (use ext4, erofs "
			 "or squashfs)", f);
	return -EINVAL;
}

/**
 * check_raw() - the checks on a raw image open as @fd: a regular file or
 * block device, not empty, holding the file system asked for (any, unless
 * --format raw) and not truncated.  Sets @j->fs and *@size.
 */
static int check_raw(struct job *j, int fd, uint64_t *size)
{
	const char *src = j->o->src, *want = j->o->format;
	enum fs_format wanted = fs_format_parse(want);
	uint64_t claimed;
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot read %s: %s", src, strerror(-rc));
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			rc = -errno;
			snprintf(j->msg, sizeof(j->msg), "cannot get the size of %s: %s",
				 src, strerror(-rc));
			return rc;
		}
	} else {
		snprintf(j->msg, sizeof(j->msg), "%s is not a regular file or a block "
			 "device", src);
		return -EINVAL;
	}
	if (*size == 0) {
		snprintf(j->msg, sizeof(j->msg), "%s is empty", src);
		return -EINVAL;
	}
	if (want && strcmp(want, "raw") != 0 && wanted == FS_UNKNOWN) {
		snprintf(j->msg, sizeof(j->msg), "unknown format '%s' (use ext4, erofs, "
			 "squashfs or raw)", want);
		return -EINVAL;
	}

	j->fs = fs_detect(fd);
	if (j->fs == FS_UNKNOWN && !(want && strcmp(want, "raw") == 0)) {
		if (wanted != FS_UNKNOWN)
			snprintf(j->msg, sizeof(j->msg), "%s holds no %s file system", src,
				 want);
		else
			snprintf(j->msg, sizeof(j->msg), "%s holds no ext4, erofs or "
				 "squashfs file system (use --format raw to import it "
				 "anyway)", src);
		return -EINVAL;
	}
	if (wanted != FS_UNKNOWN && j->fs != wanted) {
		snprintf(j->msg, sizeof(j->msg), "%s holds a%s %s file system, not %s",
			 src, j->fs == FS_EXT4 || j->fs == FS_EROFS ? "n" : "",
			 fs_format_name(j->fs), want);
		return -EINVAL;
	}
	if (j->fs == FS_UNKNOWN)
		return 0;
	rc = fs_claimed_size(fd, j->fs, &claimed);
	if (rc < 0) {
		snprintf(j->msg, sizeof(j->msg), "%s: the %s superblock is damaged",
			 src, fs_format_name(j->fs));
		return rc == -EINVAL ? -EINVAL : rc;
	}
	if (claimed > *size) {
		snprintf(j->msg, sizeof(j->msg), "%s is truncated: the %s file system "
			 "needs %llu bytes, the file has %llu", src, fs_format_name(j->fs),
			 (unsigned long long)claimed, (unsigned long long)*size);
		return -EINVAL;
	}
	return 0;
}

/**
 * import_raw() - check the raw image and copy it to rootfs.img, hashing it
 * on the way.
 */
static int import_raw(struct job *j)
{
	const char *src = j->o->src;
	struct digest *d = NULL;
	int fd, out = -1, rc;
	uint64_t size = 0;

	/* O_NONBLOCK: a FIFO given as an image must not hang us here. */
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot open %s: %s", src, strerror(-rc));
		return rc;
	}
	rc = check_raw(j, fd, &size);
	if (rc < 0)
		goto out;
	out = open(j->rootfs, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot create %s: %s", j->rootfs,
			 strerror(-rc));
		goto out;
	}
	d = digest_new(size);
	rc = copy_image(fd, out, d, &j->o->progress);
	if (rc == 0)
		rc = digest_final(d, j->v.sha256);
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
	if (rc < 0) {
		snprintf(j->msg, sizeof(j->msg), "cannot copy %s: %s", src, strerror(-rc));
		goto out;
	}
	j->v.size = size;
out:
	digest_free(d);
	if (out >= 0)
		close(out);
	close(fd);
	return rc;
}

/**
 * hash_rootfs() - size and digest of the rootfs.img that fs_build() made.
 */
static int hash_rootfs(struct job *j)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(j->rootfs, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot read %s: %s", j->rootfs,
			 strerror(-rc));
		goto out;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot write %s: %s", j->rootfs,
			 strerror(-rc));
		goto out;
	}
	rc = digest_file(fd, &j->o->progress, j->v.sha256);
	if (rc < 0) {
		snprintf(j->msg, sizeof(j->msg), "cannot hash %s: %s", j->rootfs,
			 strerror(-rc));
		goto out;
	}
	j->v.size = (uint64_t)st.st_size;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/**
 * build_tree() - fs_build() of @dir into rootfs.img, then hash it.
 */
static int build_tree(struct job *j, const char *dir)
{
	char msg[IMPORT_MSG_MAX] = "";
	int rc;

	progress_report(&j->o->progress, "mkfs", 0, 0);
	rc = fs_build(j->fs, dir, j->rootfs, j->o->size, msg, sizeof(msg));
	if (rc < 0) {
		snprintf(j->msg, sizeof(j->msg), "cannot build the %s image: %s",
			 fs_format_name(j->fs), msg);
		return rc;
	}
	return hash_rootfs(j);
}

/* ---- kernel and initrd ------------------------------------------------------ */

/**
 * open_regular() - open the regular file @path beneath @rootfd (symlinks
 * followed inside the tree only).  Never opens a device or FIFO.
 * Return: a descriptor, or -errno.
 */
static int open_regular(int rootfd, const char *path)
{
	struct stat st;
	int fd;

	fd = open_beneath(rootfd, path, O_PATH | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		close(fd);
		return -ENOENT;
	}
	close(fd);
	return open_beneath(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
}

/**
 * newest_kernel() - the name in @bootfd's directory of the newest
 * "vmlinuz-VERSION" that is a usable file, else "vmlinuz".  Caller frees;
 * NULL if none.
 */
static char *newest_kernel(int rootfd, int bootfd)
{
	struct dirent *de;
	char *best = NULL;
	bool plain = false;
	DIR *d;
	int fd;

	fd = dup(bootfd);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return NULL;
	}
	while ((de = readdir(d))) {
		bool versioned = str_has_prefix(de->d_name, "vmlinuz-") &&
				 de->d_name[strlen("vmlinuz-")];
		char *path;
		int kfd;

		if (!versioned && strcmp(de->d_name, "vmlinuz") != 0)
			continue;
		path = xasprintf(BOOT_DIR "/%s", de->d_name);
		kfd = open_regular(rootfd, path);
		free(path);
		if (kfd < 0)
			continue;
		close(kfd);
		if (!versioned) {
			plain = true;
		} else if (!best || strverscmp(de->d_name, best) > 0) {
			free(best);
			best = xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (!best && plain)
		best = xstrdup("vmlinuz");
	return best;
}

/**
 * find_initrd() - open the initrd that goes with the kernel named @kernel
 * in /boot.  Return: a descriptor or -ENOENT.
 */
static int find_initrd(int rootfd, const char *kernel)
{
	const char *version = NULL;
	size_t i;
	int fd;

	if (kernel && str_has_prefix(kernel, "vmlinuz-"))
		version = kernel + strlen("vmlinuz-");
	if (version) {
		for (i = 0; i < ARRAY_SIZE(initrd_versioned); i++) {
			char *path = xasprintf(BOOT_DIR "/%s%s%s", initrd_versioned[i].prefix,
					       version, initrd_versioned[i].suffix);

			fd = open_regular(rootfd, path);
			free(path);
			if (fd >= 0)
				return fd;
		}
		return -ENOENT;
	}
	for (i = 0; i < ARRAY_SIZE(initrd_plain); i++) {
		char *path = xasprintf(BOOT_DIR "/%s", initrd_plain[i]);

		fd = open_regular(rootfd, path);
		free(path);
		if (fd >= 0)
			return fd;
	}
	return -ENOENT;
}

/**
 * copy_into() - copy the open file @fd to @name in the work directory.
 */
static int copy_into(struct job *j, int fd, const char *name, const char *what)
{
	char *dst = xasprintf("%s/%s", j->wd, name);
	int out, rc;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot create %s: %s", dst, strerror(-rc));
		goto out;
	}
	rc = copy_image(fd, out, NULL, NULL);
	if (rc == 0 && fsync(out) < 0)
		rc = -errno;
	if (rc < 0)
		snprintf(j->msg, sizeof(j->msg), "cannot copy the %s: %s", what,
			 strerror(-rc));
	close(out);
out:
	free(dst);
	return rc;
}

/**
 * copy_given() - copy the file named by --kernel / --initrd.
 */
static int copy_given(struct job *j, const char *src, const char *name,
		      const char *what)
{
	struct stat st;
	int fd, rc;

	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot read the %s %s: %s", what, src,
			 strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		snprintf(j->msg, sizeof(j->msg), "the %s %s is not a non-empty regular "
			 "file", what, src);
		close(fd);
		return -EINVAL;
	}
	rc = copy_into(j, fd, name, what);
	close(fd);
	return rc;
}

/**
 * boot_from_tree() - copy the kernel and/or initrd that were not given
 * from the /boot of the tree @root.  Not finding them is not an error.
 */
static int boot_from_tree(struct job *j, const char *root)
{
	char *kernel = NULL;
	int rootfd, bootfd = -1, fd, rc = 0;

	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return 0;
	bootfd = open_beneath(rootfd, BOOT_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (bootfd < 0)
		goto out;
	kernel = newest_kernel(rootfd, bootfd);
	if (!j->kernel && kernel) {
		char *path = xasprintf(BOOT_DIR "/%s", kernel);

		fd = open_regular(rootfd, path);
		free(path);
		if (fd >= 0) {
			rc = copy_into(j, fd, STORE_KERNEL, "kernel");
			close(fd);
			if (rc < 0)
				goto out;
			j->kernel = true;
		}
	}
	if (!j->initrd && kernel) {
		fd = find_initrd(rootfd, kernel);
		if (fd >= 0) {
			rc = copy_into(j, fd, STORE_INITRD, "initrd");
			close(fd);
			if (rc < 0)
				goto out;
			j->initrd = true;
		}
	}
out:
	free(kernel);
	if (bootfd >= 0)
		close(bootfd);
	close(rootfd);
	return rc;
}

/**
 * boot_from_image() - look for the kernel and initrd in the /boot of the
 * raw image just copied (unpacked into a scratch directory).  Only a disk
 * that is full stops the import; anything else is left to the warning.
 */
static int boot_from_image(struct job *j)
{
	char msg[IMPORT_MSG_MAX] = "";
	char *dir;
	int rc;

	if (j->fs == FS_UNKNOWN)
		return 0;
	dir = xasprintf("%s/" BOOT_SEARCH_DIR, j->wd);
	if (mkdir(dir, 0700) < 0) {
		rc = -errno;
		snprintf(j->msg, sizeof(j->msg), "cannot create %s: %s", dir, strerror(-rc));
		free(dir);
		return rc;
	}
	rc = fs_extract_dir(j->fs, j->rootfs, "/" BOOT_DIR, dir, msg, sizeof(msg));
	if (rc == 0) {
		rc = boot_from_tree(j, dir);
	} else if (rc == -ENOSPC) {
		snprintf(j->msg, sizeof(j->msg), "cannot look into /boot of %s: %s",
			 j->o->src, msg);
	} else {
		if (rc != -ENOENT)
			log_warn("cannot look into /boot of %s: %s", j->o->src, msg);
		rc = 0;
	}
	rm_rf(dir);
	free(dir);
	return rc;
}

/**
 * boot_files() - the kernel and initrd: given ones first, then the
 * search in @tree (NULL for a raw image).
 */
static int boot_files(struct job *j, const char *tree)
{
	int rc;

	if (j->o->kernel) {
		rc = copy_given(j, j->o->kernel, STORE_KERNEL, "kernel");
		if (rc < 0)
			return rc;
		j->kernel = true;
	}
	if (j->o->initrd) {
		rc = copy_given(j, j->o->initrd, STORE_INITRD, "initrd");
		if (rc < 0)
			return rc;
		j->initrd = true;
	}
	if (j->kernel && j->initrd)
		return 0;
	return tree ? boot_from_tree(j, tree) : boot_from_image(j);
}

/**
 * warn_boot() - say what is missing for the new version to boot.
 */
static void warn_boot(const struct job *j, int version)
{
	if (!j->kernel && !j->initrd)
		log_warn("no kernel or initrd found in %s: clients cannot boot %s "
			 "version %d (import it again with --kernel and --initrd)",
			 j->where, j->o->image, version);
	else if (!j->kernel)
		log_warn("no kernel found in %s: clients cannot boot %s version %d "
			 "(import it again with --kernel)", j->where, j->o->image,
			 version);
	else if (!j->initrd)
		log_warn("no initrd found in %s: clients cannot boot %s version %d "
			 "(import it again with --initrd)", j->where, j->o->image,
			 version);
}

/* ---- the import ---------------------------------------------------------------- */

/**
 * import_work() - everything up to a complete work directory.
 */
static int import_work(struct job *j)
{
	char *tree = NULL;
	int rc;

	switch (j->kind) {
	case IMPORT_RAW:
		rc = import_raw(j);	/* sets j->fs */
		if (rc < 0)
			return rc;
		j->where = j->fs == FS_UNKNOWN ?
			xasprintf("the raw image %s (no file system to search)",
				  j->o->src) :
			xasprintf("/boot of %s", j->o->src);
		return boot_files(j, NULL);
	case IMPORT_TREE:
		j->where = xasprintf("%s/" BOOT_DIR, j->o->src);
		rc = build_tree(j, j->o->src);
		if (rc == 0)
			rc = boot_files(j, j->o->src);
		return rc;
	case IMPORT_TAR:
		j->where = xasprintf("/boot of %s", j->o->src);
		tree = xasprintf("%s/" TAR_TREE_DIR, j->wd);
		if (mkdir(tree, 0755) < 0) {
			rc = -errno;
			snprintf(j->msg, sizeof(j->msg), "cannot create %s: %s", tree,
				 strerror(-rc));
			break;
		}
		rc = tar_extract_safe(j->o->src, tree, &j->o->progress, j->msg,
				      sizeof(j->msg));
		if (rc == 0)
			rc = build_tree(j, tree);
		if (rc == 0)
			rc = boot_files(j, tree);
		if (rc == 0) {
			rc = rm_rf(tree);
			if (rc < 0)
				snprintf(j->msg, sizeof(j->msg), "cannot remove %s: %s",
					 tree, strerror(-rc));
		}
		break;
	default:
		rc = -EINVAL;
		break;
	}
	free(tree);
	return rc;
}

/**
 * fill_version() - the registry row for the new version.
 */
static int fill_version(struct job *j)
{
	const struct import_opts *o = j->o;

	if (str_copy(j->v.image, sizeof(j->v.image), o->image) < 0 ||
	    str_copy(j->v.format, sizeof(j->v.format), fs_format_name(j->fs)) < 0)
		return -EINVAL;
	now_rfc3339(j->v.created);
	j->v.parent = 0;
	if (o->note && str_copy(j->v.note, sizeof(j->v.note), o->note) < 0) {
		snprintf(j->msg, sizeof(j->msg), "note longer than %d bytes",
			 REG_NOTE_MAX - 1);
		return -ENAMETOOLONG;
	}
	str_copy(j->v.kernel, sizeof(j->v.kernel), j->kernel ? STORE_KERNEL : "");
	str_copy(j->v.initrd, sizeof(j->v.initrd), j->initrd ? STORE_INITRD : "");
	return 0;
}

/* image_import() - see import.h. */
int image_import(struct store *st, const struct import_opts *o, int *version,
		 char *err, size_t errlen)
{
	struct job j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.st = st;
	j.o = o;
	if (err && errlen)
		err[0] = '\0';
	if (!st || !o || !version || !o->image || !o->src)
		return -EINVAL;
	if (!name_valid(o->image)) {
		snprintf(j.msg, sizeof(j.msg), "invalid image name '%s': 1-63 of "
			 "A-Z a-z 0-9 . _ -, starting with a letter or digit", o->image);
		rc = -EINVAL;
		goto err;
	}
	if (o->note && strlen(o->note) >= REG_NOTE_MAX) {
		snprintf(j.msg, sizeof(j.msg), "note longer than %d bytes",
			 REG_NOTE_MAX - 1);
		rc = -ENAMETOOLONG;
		goto err;
	}
	rc = resolve_kind(&j);
	if (rc < 0)
		goto err;
	if (j.kind != IMPORT_RAW) {
		rc = build_format(&j);
		if (rc < 0)
			goto err;
	}

	rc = store_workdir(st, &j.wd);
	if (rc < 0) {
		snprintf(j.msg, sizeof(j.msg), "cannot make a work directory in %s/tmp: %s",
			 st->dir, strerror(-rc));
		j.wd = NULL;
		goto err;
	}
	j.rootfs = xasprintf("%s/" STORE_ROOTFS, j.wd);
	rc = import_work(&j);
	if (rc < 0)
		goto err;
	rc = fill_version(&j);
	if (rc < 0)
		goto err;

	/* On failure this removes the work directory itself. */
	rc = store_commit_version(st, j.wd, &j.v, version, j.msg, sizeof(j.msg));
	if (rc < 0)
		goto err;
	warn_boot(&j, *version);
	goto out;
err:
	if (j.wd)
		rm_rf(j.wd);
	if (err && errlen) {
		if (rc == -ENOSPC || rc == -EDQUOT)
			snprintf(err, errlen, "disk full while importing %s: %s",
				 o && o->image ? o->image : "?", j.msg[0] ? j.msg :
				 strerror(-rc));
		else
			snprintf(err, errlen, "%s", j.msg[0] ? j.msg : strerror(-rc));
	}
out:
	free(j.wd);
	free(j.rootfs);
	free(j.where);
	return rc;
}
