/* File-system image formats: detection by superblock magic, the size a
 * file system claims, and building / unpacking images with the stock tools
 * (e2fsprogs, erofs-utils, squashfs-tools), run without a shell.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "fsformat.h"
#include "copy.h"
#include "beneath.h"
#include "util.h"

extern char **environ;

/* ---- superblock layouts (offsets in bytes from the start of the image) -- */

/* ext2/3/4: the superblock starts at 1024; fields are little-endian. */
#define EXT4_SB_OFFSET		1024
#define EXT4_SB_BLOCKS_LO	4	/* s_blocks_count_lo, le32 */
#define EXT4_SB_LOG_BLOCK	24	/* s_log_block_size, le32: size = 1024 << n */
#define EXT4_SB_MAGIC		56	/* s_magic, le16 */
#define EXT4_SB_INCOMPAT	96	/* s_feature_incompat, le32 */
#define EXT4_SB_BLOCKS_HI	336	/* s_blocks_count_hi, le32 (64bit only) */
#define EXT4_SB_SIZE		1024
#define EXT4_MAGIC		0xEF53
#define EXT4_INCOMPAT_64BIT	0x80
#define EXT4_MIN_BLOCK		1024
#define EXT4_MAX_LOG_BLOCK	6	/* 64 KiB blocks */

/* erofs: the superblock starts at 1024. */
#define EROFS_SB_OFFSET		1024
#define EROFS_SB_MAGIC		0	/* le32 */
#define EROFS_SB_BLKSZBITS	12	/* u8 */
#define EROFS_SB_BLOCKS		36	/* le32 */
#define EROFS_SB_SIZE		128
#define EROFS_MAGIC		0xE0F5E1E2u
#define EROFS_MIN_BLKSZBITS	9
#define EROFS_MAX_BLKSZBITS	16

/* squashfs: the superblock starts at 0. */
#define SQUASHFS_SB_MAGIC	0	/* "hsqs" = le32 0x73717368 */
#define SQUASHFS_SB_BYTES_USED	40	/* le64 */
#define SQUASHFS_SB_SIZE	96
#define SQUASHFS_MAGIC		0x73717368u

/* ---- fs_build() sizing ------------------------------------------------ */

#define BUILD_BLOCK		4096ull		/* ext4 block size we ask for */
#define BUILD_HEADROOM		(64ull << 20)	/* journal and metadata */
#define BUILD_EXTRA_PERCENT	20		/* on top of the data */
#define BUILD_EXTRA_INODES	1024
#define BUILD_RETRIES		3		/* bigger tries after the first */
#define BUILD_MAX_DEPTH		512		/* directory nesting we walk */

/* run_command(): the output kept for the error message. */
#define RUN_OUTPUT_KEEP		1024
#define RUN_READ_CHUNK		4096

/* le16_at()/le32_at()/le64_at() - little-endian integers at @p. */
static uint16_t le16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t le64_at(const uint8_t *p)
{
	return (uint64_t)le32_at(p) | ((uint64_t)le32_at(p + 4) << 32);
}

/* fs_format_name() - see fsformat.h. */
const char *fs_format_name(enum fs_format f)
{
	switch (f) {
	case FS_EXT4: return "ext4";
	case FS_EROFS: return "erofs";
	case FS_SQUASHFS: return "squashfs";
	default: return "raw";
	}
}

/* fs_format_parse() - see fsformat.h. */
enum fs_format fs_format_parse(const char *name)
{
	if (!name)
		return FS_UNKNOWN;
	if (strcmp(name, "ext4") == 0)
		return FS_EXT4;
	if (strcmp(name, "erofs") == 0)
		return FS_EROFS;
	if (strcmp(name, "squashfs") == 0)
		return FS_SQUASHFS;
	return FS_UNKNOWN;
}

/**
 * read_at() - read exactly @len bytes at @off.
 * Return: 1 if read, 0 if the file is too short, -errno on error.
 */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	int rc = pread_full(fd, buf, len, off);

	if (rc == -EIO) {
		/* pread_full reports a short file as -EIO: tell it apart
		 * from a real I/O error by the file's size. */
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size < off + len)
			return 0;
	}
	return rc < 0 ? rc : 1;
}

/* fs_detect() - see fsformat.h. */
enum fs_format fs_detect(int fd)
{
	uint8_t buf[EXT4_SB_OFFSET + EXT4_SB_SIZE];
	uint8_t *sb = buf + EXT4_SB_OFFSET;

	if (read_at(fd, buf, SQUASHFS_SB_SIZE, 0) != 1)
		return FS_UNKNOWN;
	if (le32_at(buf + SQUASHFS_SB_MAGIC) == SQUASHFS_MAGIC)
		return FS_SQUASHFS;
	if (read_at(fd, buf, sizeof(buf), 0) != 1)
		return FS_UNKNOWN;
	if (le32_at(sb + EROFS_SB_MAGIC) == EROFS_MAGIC)
		return FS_EROFS;
	if (le16_at(sb + EXT4_SB_MAGIC) == EXT4_MAGIC)
		return FS_EXT4;
	return FS_UNKNOWN;
}

/* fs_claimed_size() - see fsformat.h. */
int fs_claimed_size(int fd, enum fs_format format, uint64_t *size)
{
	uint8_t sb[EXT4_SB_SIZE];
	uint64_t blocks;
	uint32_t log;
	int rc;

	switch (format) {
	case FS_EXT4:
		rc = read_at(fd, sb, EXT4_SB_SIZE, EXT4_SB_OFFSET);
		if (rc != 1)
			return rc < 0 ? rc : -EINVAL;
		if (le16_at(sb + EXT4_SB_MAGIC) != EXT4_MAGIC)
			return -EINVAL;
		log = le32_at(sb + EXT4_SB_LOG_BLOCK);
		if (log > EXT4_MAX_LOG_BLOCK)
			return -EINVAL;
		blocks = le32_at(sb + EXT4_SB_BLOCKS_LO);
		if (le32_at(sb + EXT4_SB_INCOMPAT) & EXT4_INCOMPAT_64BIT)
			blocks |= (uint64_t)le32_at(sb + EXT4_SB_BLOCKS_HI) << 32;
		/* blocks < 2^64 / 2^16: cannot overflow */
		*size = blocks * ((uint64_t)EXT4_MIN_BLOCK << log);
		return 0;
	case FS_EROFS:
		rc = read_at(fd, sb, EROFS_SB_SIZE, EROFS_SB_OFFSET);
		if (rc != 1)
			return rc < 0 ? rc : -EINVAL;
		if (le32_at(sb + EROFS_SB_MAGIC) != EROFS_MAGIC)
			return -EINVAL;
		log = sb[EROFS_SB_BLKSZBITS];
		if (log < EROFS_MIN_BLKSZBITS || log > EROFS_MAX_BLKSZBITS)
			return -EINVAL;
		*size = (uint64_t)le32_at(sb + EROFS_SB_BLOCKS) << log;
		return 0;
	case FS_SQUASHFS:
		rc = read_at(fd, sb, SQUASHFS_SB_SIZE, 0);
		if (rc != 1)
			return rc < 0 ? rc : -EINVAL;
		if (le32_at(sb + SQUASHFS_SB_MAGIC) != SQUASHFS_MAGIC)
			return -EINVAL;
		*size = le64_at(sb + SQUASHFS_SB_BYTES_USED);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- running the tools ------------------------------------------------- */

/**
 * tool_package() - the Debian package that ships @tool, for "install …".
 */
static const char *tool_package(const char *tool)
{
	if (strstr(tool, "erofs"))
		return "erofs-utils";
	if (strstr(tool, "squashfs"))
		return "squashfs-tools";
	return "e2fsprogs";
}

/**
 * find_program() - the path of @name: as given if it holds a '/', else the
 * first executable in $PATH or the sbin directories.
 * Return: a new string, or NULL if not found.
 */
static char *find_program(const char *name)
{
	static const char *const sbin = "/usr/local/sbin:/usr/sbin:/sbin";
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	dirs = xasprintf("%s:%s", path && *path ? path : "/usr/bin:/bin", sbin);
	for (dir = strtok_r(dirs, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", dir, name);
		struct stat st;

		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0)
			found = cand;
		else
			free(cand);
	}
	free(dirs);
	return found;
}

/**
 * child_environment() - our environment with LC_ALL=C, so that the tools'
 * messages (which we look into) are not translated.  Caller frees the
 * array only (the strings are environ's).
 */
static char **child_environment(void)
{
	static char lc_all[] = "LC_ALL=C";
	size_t n = 0, i, j = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = xcalloc(n + 2, sizeof(*env));
	for (i = 0; i < n; i++) {
		if (str_has_prefix(environ[i], "LC_ALL=") ||
		    str_has_prefix(environ[i], "LANGUAGE="))
			continue;
		env[j++] = environ[i];
	}
	env[j++] = lc_all;
	env[j] = NULL;
	return env;
}

/**
 * output_keep() - append @len bytes to the tail buffer @tail (holding
 * *@used bytes, capacity RUN_OUTPUT_KEEP), dropping the oldest bytes.
 */
static void output_keep(char *tail, size_t *used, const char *data, size_t len)
{
	if (len >= RUN_OUTPUT_KEEP) {
		memcpy(tail, data + len - RUN_OUTPUT_KEEP, RUN_OUTPUT_KEEP);
		*used = RUN_OUTPUT_KEEP;
		return;
	}
	if (*used + len > RUN_OUTPUT_KEEP) {
		size_t drop = *used + len - RUN_OUTPUT_KEEP;

		memmove(tail, tail + drop, *used - drop);
		*used -= drop;
	}
	memcpy(tail + *used, data, len);
	*used += len;
}

/**
 * output_store() - put the kept output into @out, trimmed of surrounding
 * white space; if it had to be cut, it starts at a line boundary.
 */
static void output_store(const char *tail, size_t used, bool cut, char *out,
			 size_t outlen)
{
	size_t start = 0, end = used, n;

	if (!out || outlen == 0)
		return;
	if (used > outlen - 1) {
		start = used - (outlen - 1);
		cut = true;
	}
	if (cut) {
		const char *nl = memchr(tail + start, '\n', end - start);

		if (nl && (size_t)(nl - tail) + 1 < end)
			start = (size_t)(nl - tail) + 1;
	}
	while (start < end && (tail[start] == '\n' || tail[start] == ' ' ||
			       tail[start] == '\r' || tail[start] == '\t'))
		start++;
	while (end > start && (tail[end - 1] == '\n' || tail[end - 1] == ' ' ||
			       tail[end - 1] == '\r' || tail[end - 1] == '\t'))
		end--;
	n = end - start;
	memcpy(out, tail + start, n);
	out[n] = '\0';
}

/* run_command() - see fsformat.h. */
int run_command(char *const argv[], char *out, size_t outlen)
{
	posix_spawn_file_actions_t fa;
	char tail[RUN_OUTPUT_KEEP], buf[RUN_READ_CHUNK];
	char *prog = NULL, **env = NULL;
	size_t used = 0;
	bool cut = false, fa_init = false;
	int pipefd[2] = { -1, -1 };
	pid_t pid;
	int status, rc;

	if (out && outlen)
		out[0] = '\0';
	if (!argv || !argv[0])
		return -EINVAL;
	prog = find_program(argv[0]);
	if (!prog) {
		if (out && outlen)
			snprintf(out, outlen, "%s not found", argv[0]);
		rc = -ENOENT;
		goto err;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = -errno;
		goto err;
	}
	rc = posix_spawn_file_actions_init(&fa);
	if (rc) {
		rc = -rc;
		goto err;
	}
	fa_init = true;
	if ((rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
						   O_RDONLY, 0)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO)) ||
	    (rc = posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO))) {
		rc = -rc;
		goto err;
	}
	env = child_environment();
	rc = posix_spawn(&pid, prog, &fa, NULL, argv, env);
	if (rc) {
		if (out && outlen)
			snprintf(out, outlen, "cannot run %s: %s", prog, strerror(rc));
		rc = -rc;
		goto err;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	for (;;) {
		ssize_t n = read(pipefd[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used + (size_t)n > RUN_OUTPUT_KEEP)
			cut = true;
		output_keep(tail, &used, buf, (size_t)n);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			goto err;
		}
	}
	output_store(tail, used, cut, out, outlen);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
	} else {
		/* Say how it ended when it printed nothing. */
		if (out && outlen && !out[0]) {
			if (WIFSIGNALED(status))
				snprintf(out, outlen, "%s killed by signal %d",
					 argv[0], WTERMSIG(status));
			else
				snprintf(out, outlen, "%s exited with status %d",
					 argv[0], WEXITSTATUS(status));
		}
		rc = -EIO;
	}
err:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	free(env);
	free(prog);
	return rc;
}

/**
 * one_line() - join the lines of @s with "; " (in place, within its
 * buffer of RUN_OUTPUT_KEEP + 1 bytes; the end is cut if need be).
 */
static char *one_line(char *s)
{
	char tmp[RUN_OUTPUT_KEEP + 1];
	size_t i, n = 0;

	for (i = 0; s[i] && n + 2 < sizeof(tmp); i++) {
		if (s[i] == '\r')
			continue;
		if (s[i] == '\n') {
			if (n && tmp[n - 1] != ' ') {
				tmp[n++] = ';';
				tmp[n++] = ' ';
			}
			continue;
		}
		tmp[n++] = s[i];
	}
	tmp[n] = '\0';
	memcpy(s, tmp, n + 1);
	return s;
}

/**
 * run_tool() - run_command() with the error turned into a message for a
 * person: "mkfs.erofs not found; install erofs-utils", or the tool's own
 * output.  -ENOSPC when the tool says the disk is full.
 * @output: if not NULL, receives the output also on success.
 */
static int run_tool(char *const argv[], char *output, size_t outputlen,
		    char *err, size_t errlen)
{
	char out[RUN_OUTPUT_KEEP + 1];
	int rc;

	rc = run_command(argv, out, sizeof(out));
	if (output)
		str_copy(output, outputlen, out);
	if (rc == 0)
		return 0;
	if (rc == -ENOENT)
		snprintf(err, errlen, "%s not found; install %s", argv[0],
			 tool_package(argv[0]));
	else
		snprintf(err, errlen, "%s failed: %s", argv[0], one_line(out));
	if (rc == -EIO && strstr(out, "No space left on device"))
		rc = -ENOSPC;
	return rc;
}

/* ---- building ------------------------------------------------------------ */

struct tree_usage {
	uint64_t bytes;		/* data, rounded up to blocks, plus inodes */
	uint64_t entries;	/* directory entries (inodes needed) */
};

/**
 * tree_measure() - add up what the tree under the directory @dirfd needs.
 * @path: its name for messages.  Return 0 or -errno (+ @err).
 */
static int tree_measure(int dirfd, const char *path, int depth,
			struct tree_usage *u, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > BUILD_MAX_DEPTH) {
		snprintf(err, errlen, "%s: directories nested deeper than %d levels",
			 path, BUILD_MAX_DEPTH);
		close(dirfd);
		return -ELOOP;
	}
	d = fdopendir(dirfd);
	if (!d) {
		rc = -errno;
		close(dirfd);
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	while ((errno = 0, de = readdir(d))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			snprintf(err, errlen, "cannot stat %s/%s: %s", path,
				 de->d_name, strerror(-rc));
			goto out;
		}
		u->entries++;
		u->bytes += BUILD_BLOCK;
		if (S_ISREG(st.st_mode))
			u->bytes += ((uint64_t)st.st_size + BUILD_BLOCK - 1) /
				    BUILD_BLOCK * BUILD_BLOCK;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			char *subpath = xasprintf("%s/%s", path, de->d_name);

			if (sub < 0) {
				rc = -errno;
				snprintf(err, errlen, "cannot read %s: %s", subpath,
					 strerror(-rc));
			} else {
				rc = tree_measure(sub, subpath, depth + 1, u, err, errlen);
			}
			free(subpath);
			if (rc < 0)
				goto out;
		}
	}
	if (errno) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
	}
out:
	closedir(d);
	return rc;
}

/**
 * create_sized() - (re)create @image as an empty sparse file of @size bytes.
 */
static int create_sized(const char *image, uint64_t size, char *err, size_t errlen)
{
	int fd, rc = 0;

	fd = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", image, strerror(-rc));
		return rc;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot size %s to %llu bytes: %s", image,
			 (unsigned long long)size, strerror(-rc));
	}
	close(fd);
	return rc;
}

/**
 * build_ext4() - mkfs.ext4 -d; with @size 0 the size is estimated from the
 * tree and grown (1.5×, up to BUILD_RETRIES times) while mkfs says the file
 * system is too small.
 */
static int build_ext4(const char *dir, const char *image, uint64_t size,
		      char *err, size_t errlen)
{
	struct tree_usage u = { 0, 0 };
	uint64_t inodes;
	bool estimated = size == 0;
	int attempt, rc, fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = tree_measure(fd, dir, 0, &u, err, errlen);
	if (rc < 0)
		return rc;
	inodes = u.entries + u.entries / 4 + BUILD_EXTRA_INODES;
	if (estimated)
		size = u.bytes + u.bytes * BUILD_EXTRA_PERCENT / 100 + BUILD_HEADROOM;
	size = (size + BUILD_BLOCK - 1) / BUILD_BLOCK * BUILD_BLOCK;

	for (attempt = 0;; attempt++) {
		char out[RUN_OUTPUT_KEEP + 1];
		char *n_arg = xasprintf("%llu", (unsigned long long)inodes);
		char *size_arg = xasprintf("%lluk", (unsigned long long)(size / 1024));
		char *argv[] = { "mkfs.ext4", "-q", "-F", "-t", "ext4", "-b", "4096",
				 "-d", (char *)dir, "-L", "lanroot",
				 "-E", "root_owner=0:0", "-N", n_arg,
				 (char *)image, size_arg, NULL };

		rc = create_sized(image, size, err, errlen);
		if (rc == 0)
			rc = run_tool(argv, out, sizeof(out), err, errlen);
		free(n_arg);
		free(size_arg);
		if (rc != -EIO || !strstr(out, "Could not allocate"))
			break;
		if (!estimated || attempt == BUILD_RETRIES) {
			snprintf(err, errlen,
				 "the tree %s does not fit in an ext4 file system of "
				 "%llu bytes with %llu inodes (mkfs.ext4: %s)", dir,
				 (unsigned long long)size, (unsigned long long)inodes,
				 out);
			rc = -EFBIG;
			break;
		}
		size = (size + size / 2 + BUILD_BLOCK - 1) / BUILD_BLOCK * BUILD_BLOCK;
		inodes += inodes / 2;
	}
	return rc;
}

/**
 * build_erofs() - mkfs.erofs with lz4; uncompressed if this mkfs.erofs
 * was built without lz4.  Not lz4hc: in erofs-utils 1.5 it was 4.5× slower
 * on /usr/lib (16 s against 3.6 s for 1.1 GiB, for an image 11 % smaller)
 * and 25× slower on some semi-random data (2 s against 0.08 s for 4 MiB;
 * a 20 MiB file once took 519 s) — an import must not stall on its data.
 */
static int build_erofs(const char *dir, const char *image, char *err, size_t errlen)
{
	char out[RUN_OUTPUT_KEEP + 1];
	char *argv[] = { "mkfs.erofs", "--quiet", "-zlz4", (char *)image,
			 (char *)dir, NULL };
	char *plain[] = { "mkfs.erofs", "--quiet", (char *)image, (char *)dir, NULL };
	int rc;

	rc = run_tool(argv, out, sizeof(out), err, errlen);
	if (rc == -EIO && (strstr(out, "compressor") || strstr(out, "lz4")))
		rc = run_tool(plain, NULL, 0, err, errlen);
	return rc;
}

/**
 * build_squashfs() - mksquashfs with zstd; gzip (always built in) if this
 * mksquashfs lacks zstd.
 */
static int build_squashfs(const char *dir, const char *image, char *err, size_t errlen)
{
	char out[RUN_OUTPUT_KEEP + 1];
	char *argv[] = { "mksquashfs", (char *)dir, (char *)image, "-noappend",
			 "-quiet", "-no-progress", "-comp", "zstd", NULL };
	char *gzip[] = { "mksquashfs", (char *)dir, (char *)image, "-noappend",
			 "-quiet", "-no-progress", "-comp", "gzip", NULL };
	int rc;

	rc = run_tool(argv, out, sizeof(out), err, errlen);
	if (rc == -EIO && strstr(out, "ompressor"))
		rc = run_tool(gzip, NULL, 0, err, errlen);
	return rc;
}

/* fs_build() - see fsformat.h. */
int fs_build(enum fs_format format, const char *dir, const char *image,
	     uint64_t size, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (!dir || !image)
		return -EINVAL;
	if (stat(dir, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	if (format == FS_EROFS || format == FS_SQUASHFS) {
		/* They write into an existing file; start from none. */
		if (unlink(image) < 0 && errno != ENOENT) {
			rc = -errno;
			snprintf(err, errlen, "cannot replace %s: %s", image,
				 strerror(-rc));
			return rc;
		}
	}
	switch (format) {
	case FS_EXT4:
		rc = build_ext4(dir, image, size, err, errlen);
		break;
	case FS_EROFS:
		rc = build_erofs(dir, image, err, errlen);
		break;
	case FS_SQUASHFS:
		rc = build_squashfs(dir, image, err, errlen);
		break;
	default:
		snprintf(err, errlen, "cannot build a %s image from a tree "
			 "(use ext4, erofs or squashfs)", fs_format_name(format));
		return -EINVAL;
	}
	if (rc < 0)
		unlink(image);
	return rc;
}

/* ---- unpacking ------------------------------------------------------------ */

/**
 * run_to_file() - run @argv with its standard output into the new file
 * @out (for output too long to keep in memory); standard error goes there
 * too if @with_errors, else nowhere.
 * Return: 0 if it exited 0, -ENOENT if missing, -EIO otherwise.
 */
static int run_to_file(char *const argv[], const char *out, bool with_errors)
{
	posix_spawn_file_actions_t fa;
	char *prog = find_program(argv[0]), **env = NULL;
	pid_t pid;
	int status, rc;

	if (!prog)
		return -ENOENT;
	rc = posix_spawn_file_actions_init(&fa);
	if (rc) {
		free(prog);
		return -rc;
	}
	if ((rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
						   O_RDONLY, 0)) ||
	    (rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out,
						   O_WRONLY | O_CREAT | O_EXCL, 0600)) ||
	    (rc = with_errors ?
		  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO) :
		  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
						   O_WRONLY, 0))) {
		rc = -rc;
		goto out;
	}
	env = child_environment();
	rc = posix_spawn(&pid, prog, &fa, NULL, argv, env);
	if (rc) {
		rc = -rc;
		goto out;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = -errno;
			goto out;
		}
	}
	rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
out:
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	free(prog);
	return rc;
}

/**
 * debugfs_path_ok() - whether @s can go inside a quoted debugfs request.
 */
static bool debugfs_path_ok(const char *s)
{
	return !strpbrk(s, "\"\n\r\\");
}

/**
 * scratch_beside() - a new private directory "@dir.@what-XXXXXX" next to
 * @dir, for a tool's request and output files.  NULL (errno set) on failure.
 */
static char *scratch_beside(const char *dir, const char *what)
{
	size_t n = strlen(dir);
	char *base;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	base = xasprintf("%.*s.%s-XXXXXX", (int)n, dir, what);
	if (!mkdtemp(base)) {
		int e = errno;

		free(base);
		errno = e;
		return NULL;
	}
	return base;
}

/**
 * debugfs_check() - debugfs exits 0 even when its request failed; it says so
 * only in its output (@log, all of it).  Any line other than its version
 * banner is an error, except, when not root, that it could not give a file
 * its owner (the files are then ours).
 * Return: 0, -ENOENT for "not found", -ENOSPC, or -EIO (+ @err).
 */
static int debugfs_check(FILE *log, char *err, size_t errlen)
{
	static const char chown_msg[] = "while changing ownership";
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, log)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == ' '))
			line[--len] = '\0';
		if (!len || str_has_prefix(line, "debugfs ") ||
		    (geteuid() != 0 && strstr(line, chown_msg)))
			continue;
		snprintf(err, errlen, "debugfs failed: %s", line);
		if (strstr(line, "not found"))
			rc = -ENOENT;
		else if (strstr(line, "No space left on device"))
			rc = -ENOSPC;
		else
			rc = -EIO;
	}
	free(line);
	return rc;
}

/**
 * ext4_rdump() - debugfs rdump of @path in @image into @dir.
 */
static int ext4_rdump(const char *image, const char *path, const char *dir,
		      char *err, size_t errlen)
{
	char *argv[] = { "debugfs", "-R", NULL, (char *)image, NULL };
	char *req = NULL, *base, *log = NULL;
	FILE *f = NULL;
	int rc;

	if (!debugfs_path_ok(path) || !debugfs_path_ok(dir)) {
		snprintf(err, errlen, "cannot pass '%s' or '%s' to debugfs", path, dir);
		return -EINVAL;
	}
	base = scratch_beside(dir, "debugfs");
	if (!base) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a directory beside %s: %s", dir,
			 strerror(-rc));
		return rc;
	}
	req = xasprintf("rdump \"%s\" \"%s\"", path, dir);
	log = xasprintf("%s/log", base);
	argv[2] = req;
	rc = run_to_file(argv, log, true);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "debugfs not found; install %s",
			 tool_package("debugfs"));
		goto out;
	}
	f = fopen(log, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s: %s", log, strerror(-rc));
		goto out;
	}
	/* Its output says more than its exit status. */
	{
		int found = debugfs_check(f, err, errlen);

		if (found < 0)
			rc = found;
		else if (rc < 0)
			snprintf(err, errlen, "debugfs failed on %s", image);
	}
out:
	if (f)
		fclose(f);
	rm_rf(base);
	free(base);
	free(log);
	free(req);
	return rc;
}

/**
 * list_dirs() - write a debugfs "ls -p" request for the directory @rel
 * (open as @fd, consumed) and every directory under it to @cmds.  Names
 * that cannot be quoted for debugfs are left out.
 */
static int list_dirs(int fd, const char *rel, int depth, FILE *cmds)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > BUILD_MAX_DEPTH || !debugfs_path_ok(rel)) {
		close(fd);
		return 0;
	}
	fprintf(cmds, "ls -p \"%s\"\n", *rel ? rel : "/");
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;
		char *sub;
		int subfd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		subfd = openat(dirfd(d), de->d_name,
			       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (subfd < 0)
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		rc = list_dirs(subfd, sub, depth + 1, cmds);
		free(sub);
	}
	closedir(d);
	return rc;
}

/* What the debugfs listing says about one entry. */
struct ext4_entry {
	const char *path;	/* inside the image, "/dev/null" */
	unsigned long mode;	/* type and permission bits */
	unsigned long uid, gid;
};

/* A device node to make once its number is known. */
struct ext4_device {
	char *path;
	unsigned long mode, uid, gid;
};

struct ext4_restore {
	const char *dir;		/* where the image was unpacked */
	struct ext4_device *dev;	/* device nodes seen (root only) */
	size_t ndev, capdev;
};

/**
 * parse_ls_line() - split a debugfs "ls -p" line "/INO/MODE/UID/GID/NAME/SIZE/"
 * (in place) into @e, the entry's path being @cur + "/" + NAME.
 * Return: a path to free, NULL for lines to skip ("." and "..", garbage).
 */
static char *parse_ls_line(char *line, size_t len, const char *cur,
			   struct ext4_entry *e)
{
	char *p, *end, *name;

	if (len < 2 || line[0] != '/' || line[len - 1] != '/')
		return NULL;
	line[len - 1] = '\0';			/* the final '/' */
	p = strchr(line + 1, '/');		/* after INO */
	if (!p)
		return NULL;
	e->mode = strtoul(p + 1, &end, 8);
	if (*end != '/')
		return NULL;
	e->uid = strtoul(end + 1, &end, 10);
	if (*end != '/')
		return NULL;
	e->gid = strtoul(end + 1, &end, 10);
	if (*end != '/')
		return NULL;
	name = end + 1;
	end = strrchr(name, '/');		/* before SIZE */
	if (!end)
		return NULL;
	*end = '\0';
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strchr(name, '/'))
		return NULL;
	return xasprintf("%s/%s", cur, name);
}

/**
 * restore_node() - give the unpacked @path the owner and mode of @e,
 * making it first (FIFO, socket, device @rdev) if debugfs left it out.
 * Best effort: a failure only leaves it as it was.
 */
static void restore_node(const struct ext4_restore *r, const struct ext4_entry *e,
			 dev_t rdev)
{
	char *path = xasprintf("%s%s", r->dir, e->path);
	mode_t type = (mode_t)(e->mode & S_IFMT);
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
		    type != S_IFBLK)
			goto out;
		if (mknod(path, type | 0600, rdev) < 0)
			goto out;
	} else if ((st.st_mode & S_IFMT) != type || type == S_IFLNK) {
		goto out;
	}
	/* owner first: a change of owner clears setuid/setgid */
	if (geteuid() == 0 && lchown(path, (uid_t)e->uid, (gid_t)e->gid) < 0)
		goto out;
	chmod(path, (mode_t)(e->mode & 07777));
out:
	free(path);
}

/**
 * restore_listing() - read debugfs "ls -p" output @listing: make the FIFOs
 * and sockets, set the setuid/setgid/sticky bits, and note the device
 * nodes (root only) for restore_devices().
 * Lines: "debugfs: ls -p "/DIR"" then one "/INO/MODE/UID/GID/NAME/SIZE/"
 * per entry.
 */
static void restore_listing(FILE *listing, struct ext4_restore *r)
{
	static const char echo[] = "debugfs: ls -p \"";
	char *line = NULL, *cur = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, listing)) > 0) {
		struct ext4_entry e;
		mode_t type;
		char *path;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (str_has_prefix(line, echo)) {
			char *end;

			free(cur);
			cur = xstrdup(line + strlen(echo));
			end = strrchr(cur, '"');
			if (end)
				*end = '\0';
			if (strcmp(cur, "/") == 0)
				cur[0] = '\0';
			continue;
		}
		if (!cur)
			continue;
		path = parse_ls_line(line, (size_t)len, cur, &e);
		if (!path)
			continue;
		e.path = path;
		type = (mode_t)(e.mode & S_IFMT);
		if (type == S_IFIFO || type == S_IFSOCK ||
		    ((type == S_IFREG || type == S_IFDIR) &&
		     (e.mode & (S_ISUID | S_ISGID | S_ISVTX)))) {
			restore_node(r, &e, 0);
		} else if ((type == S_IFCHR || type == S_IFBLK) && geteuid() == 0 &&
			   debugfs_path_ok(path)) {
			if (r->ndev == r->capdev) {
				r->capdev = r->capdev ? r->capdev * 2 : 16;
				r->dev = xrealloc(r->dev, r->capdev * sizeof(*r->dev));
			}
			r->dev[r->ndev].path = path;
			r->dev[r->ndev].mode = e.mode;
			r->dev[r->ndev].uid = e.uid;
			r->dev[r->ndev].gid = e.gid;
			r->ndev++;
			path = NULL;
		}
		free(path);
	}
	free(line);
	free(cur);
}

/**
 * restore_devices() - ask debugfs for the numbers of the device nodes
 * noted in @r ("stat" of each, in @base/devcmds) and make them.
 */
static void restore_devices(const char *image, const char *base, struct ext4_restore *r)
{
	static const char echo[] = "debugfs: stat \"";
	static const char number[] = "Device major/minor number: ";
	char *argv[] = { "debugfs", "-f", NULL, (char *)image, NULL };
	char *cmds = xasprintf("%s/devcmds", base), *out = xasprintf("%s/devout", base);
	char *line = NULL;
	size_t cap = 0, i, cur = r->ndev;
	ssize_t len;
	FILE *f;

	f = fopen(cmds, "we");
	if (!f)
		goto out;
	for (i = 0; i < r->ndev; i++)
		fprintf(f, "stat \"%s\"\n", r->dev[i].path);
	if (fclose(f) != 0)
		goto out;
	argv[2] = cmds;
	if (run_to_file(argv, out, false) < 0)
		goto out;
	f = fopen(out, "re");
	if (!f)
		goto out;
	/* The answers come in the order of the requests. */
	while ((len = getline(&line, &cap, f)) > 0) {
		unsigned major, minor;

		if (str_has_prefix(line, echo)) {
			cur = cur == r->ndev ? 0 : cur + 1;
			continue;
		}
		if (cur < r->ndev && str_has_prefix(line, number) &&
		    sscanf(line + strlen(number), "%u:%u", &major, &minor) == 2) {
			struct ext4_entry e = { r->dev[cur].path, r->dev[cur].mode,
						r->dev[cur].uid, r->dev[cur].gid };

			restore_node(r, &e, makedev(major, minor));
		}
	}
	fclose(f);
out:
	free(line);
	free(cmds);
	free(out);
}

/**
 * ext4_restore_special() - debugfs rdump leaves out FIFOs, sockets and
 * device nodes, and the setuid, setgid and sticky bits.  List every
 * directory of the image in one more debugfs run (and the devices in
 * another) and put them back.  Best effort: a failure here only leaves
 * them out.
 */
static void ext4_restore_special(const char *image, const char *dir)
{
	char *argv[] = { "debugfs", "-f", NULL, (char *)image, NULL };
	struct ext4_restore r = { dir, NULL, 0, 0 };
	char *base, *cmds = NULL, *out = NULL;
	FILE *f = NULL;
	size_t i;
	int fd;

	base = scratch_beside(dir, "modes");
	if (!base)
		return;
	cmds = xasprintf("%s/cmds", base);
	out = xasprintf("%s/out", base);
	f = fopen(cmds, "we");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!f || fd < 0) {
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (list_dirs(fd, "", 0, f) < 0 || fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	argv[2] = cmds;
	if (run_to_file(argv, out, false) < 0)
		goto out;
	f = fopen(out, "re");
	if (!f)
		goto out;
	restore_listing(f, &r);
	if (r.ndev)
		restore_devices(image, base, &r);
out:
	if (f)
		fclose(f);
	for (i = 0; i < r.ndev; i++)
		free(r.dev[i].path);
	free(r.dev);
	rm_rf(base);
	free(base);
	free(cmds);
	free(out);
}

/**
 * squashfs_unpack() - unsquashfs @image (only @path if not NULL) into @dir.
 * Extended attributes are kept when we are root (others may not set most
 * of them).  Known loss: unsquashfs drops setuid/setgid when not root.
 */
static int squashfs_unpack(const char *image, const char *path, const char *dir,
			   char *err, size_t errlen)
{
	char *argv[10];
	int n = 0;

	argv[n++] = "unsquashfs";
	argv[n++] = "-f";
	argv[n++] = "-q";
	argv[n++] = "-n";
	if (geteuid() != 0)
		argv[n++] = "-no-xattrs";
	argv[n++] = "-d";
	argv[n++] = (char *)dir;
	argv[n++] = (char *)image;
	if (path)
		argv[n++] = (char *)path;
	argv[n] = NULL;
	return run_tool(argv, NULL, 0, err, errlen);
}

/**
 * erofs_unpack() - fsck.erofs --extract of the whole @image into @dir.
 * Known loss (erofs-utils 1.5): as root it sets a file's mode before its
 * owner, and the kernel then drops setuid/setgid from files.
 */
static int erofs_unpack(const char *image, const char *dir, char *err, size_t errlen)
{
	char *opt = xasprintf("--extract=%s", dir);
	/* As root it keeps owners and modes; others must ask for the modes
	 * (the default applies their umask). */
	char *argv[] = { "fsck.erofs", opt, (char *)image, NULL, NULL };
	int rc;

	if (geteuid() != 0) {
		argv[2] = "--preserve-perms";
		argv[3] = (char *)image;
	}
	rc = run_tool(argv, NULL, 0, err, errlen);

	free(opt);
	return rc;
}

/**
 * drop_empty_lost_found() - mkfs.ext4 makes /lost+found; empty, it is not
 * content of the image and would show up in every comparison with a tree.
 */
static void drop_empty_lost_found(const char *dir)
{
	char *p = xasprintf("%s/lost+found", dir);

	rmdir(p);	/* fails, as it should, when not empty */
	free(p);
}

/* fs_extract() - see fsformat.h. */
int fs_extract(enum fs_format format, const char *image, const char *dir,
	       char *err, size_t errlen)
{
	int rc;

	if (!image || !dir)
		return -EINVAL;
	if (access(image, R_OK) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read %s: %s", image, strerror(-rc));
		return rc;
	}
	switch (format) {
	case FS_EXT4:
		rc = ext4_rdump(image, "/", dir, err, errlen);
		if (rc == 0) {
			drop_empty_lost_found(dir);
			ext4_restore_special(image, dir);
		}
		return rc;
	case FS_SQUASHFS:
		return squashfs_unpack(image, NULL, dir, err, errlen);
	case FS_EROFS:
		return erofs_unpack(image, dir, err, errlen);
	default:
		snprintf(err, errlen, "cannot unpack a %s image (only ext4, erofs "
			 "and squashfs)", fs_format_name(format));
		return -EINVAL;
	}
}

/**
 * inner_path_ok() - whether @path is an absolute path inside an image with
 * no ".." component.
 */
static bool inner_path_ok(const char *path)
{
	const char *p = path;

	if (path[0] != '/')
		return false;
	while (*p) {
		while (*p == '/')
			p++;
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return false;
		while (*p && *p != '/')
			p++;
	}
	return true;
}

/* fs_extract_dir() - see fsformat.h. */
int fs_extract_dir(enum fs_format format, const char *image, const char *path,
		   const char *dir, char *err, size_t errlen)
{
	char *parent = NULL, *target = NULL, *slash;
	struct stat st;
	int rc;

	if (!image || !path || !dir)
		return -EINVAL;
	if (!inner_path_ok(path)) {
		snprintf(err, errlen, "invalid path '%s' in an image: must be "
			 "absolute, without '..'", path);
		return -EINVAL;
	}
	if (path[strspn(path, "/")] == '\0')
		return fs_extract(format, image, dir, err, errlen);

	switch (format) {
	case FS_EXT4:
		/* rdump /a/b DIR makes DIR/b: give it DIR/a. */
		parent = xasprintf("%s%s", dir, path);
		slash = strrchr(parent, '/');
		*slash = '\0';
		rc = mkdir_p(parent, 0755);
		if (rc < 0) {
			snprintf(err, errlen, "cannot create %s: %s", parent,
				 strerror(-rc));
			goto out;
		}
		rc = ext4_rdump(image, path, parent, err, errlen);
		break;
	case FS_SQUASHFS:
		rc = squashfs_unpack(image, path, dir, err, errlen);
		break;
	case FS_EROFS:
		rc = erofs_unpack(image, dir, err, errlen);
		break;
	default:
		rc = fs_extract(format, image, dir, err, errlen);
		break;
	}
	if (rc < 0)
		goto out;
	target = xasprintf("%s%s", dir, path);
	if (lstat(target, &st) < 0) {
		snprintf(err, errlen, "%s is not in %s", path, image);
		rc = -ENOENT;
	}
out:
	free(parent);
	free(target);
	return rc;
}

/* fs_extract_file() - see fsformat.h. */
int fs_extract_file(enum fs_format format, const char *image, const char *path,
		    const char *dst, char *err, size_t errlen)
{
	char *tmp = NULL, *parent = NULL, *slash;
	int rootfd = -1, fd = -1, dstfd = -1, rc;
	struct stat st;

	if (!image || !path || !dst)
		return -EINVAL;
	if (!inner_path_ok(path) || path[strspn(path, "/")] == '\0') {
		snprintf(err, errlen, "invalid file name '%s' in an image", path);
		return -EINVAL;
	}
	tmp = xasprintf("%s.extract-XXXXXX", dst);
	if (!mkdtemp(tmp)) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a directory beside %s: %s",
			 dst, strerror(-rc));
		free(tmp);
		return rc;
	}
	parent = xstrdup(path);
	slash = strrchr(parent, '/');
	slash[slash == parent ? 1 : 0] = '\0';
	rc = fs_extract_dir(format, image, parent, tmp, err, errlen);
	if (rc < 0)
		goto out;
	rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", tmp, strerror(-rc));
		goto out;
	}
	fd = open_beneath(rootfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s is not in %s", path, image);
		rc = -ENOENT;
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s in %s is not a regular file", path, image);
		rc = -ENOENT;
		goto out;
	}
	dstfd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (dstfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dst, strerror(-rc));
		goto out;
	}
	rc = copy_image(fd, dstfd, NULL, NULL);
	if (rc < 0)
		snprintf(err, errlen, "cannot copy %s to %s: %s", path, dst,
			 strerror(-rc));
out:
	if (dstfd >= 0) {
		close(dstfd);
		if (rc < 0)
			unlink(dst);
	}
	if (fd >= 0)
		close(fd);
	if (rootfd >= 0)
		close(rootfd);
	rm_rf(tmp);
	free(tmp);
	free(parent);
	return rc;
}
