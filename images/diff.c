/* Comparing two trees, or two versions of an image, file by file.
 *
 * Both trees are walked together: each directory's entries are listed,
 * sorted by name (strcmp) and merged, and a directory's entries follow it
 * (pre-order).  A path in only one tree is added or removed, and so is
 * everything under it; a path in both is changed when its type, mode,
 * owner, content (regular files), target (symlinks) or device number
 * differs.  Times are not compared: rebuilding an image changes them all.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "diff.h"
#include "fsformat.h"
#include "util.h"

#define DIFF_MAX_DEPTH	200		/* nesting walked (two fds a level) */
#define DIFF_BUF	(64 * 1024)	/* content comparison chunk */
#define MODE_BITS	07777

/* A walk in progress. */
struct walk {
	diff_cb cb;
	void *arg;
	char *err;
	size_t errlen;
	const char *roots[2];	/* the two top directories, for messages */
};

/* A directory's entries, sorted. */
struct listing {
	char **names;
	size_t n;
};

/** name_cmp() - qsort() order of two names: strcmp. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/** listing_free() - free what @l holds and empty it. */
static void listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = 0;
}

/**
 * list_dir() - the sorted entries of the directory @fd (not consumed),
 * without "." and "..".  @where names it in messages.
 */
static int list_dir(struct walk *w, int fd, const char *where, struct listing *l)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int dfd, rc = 0;

	l->names = NULL;
	l->n = 0;
	dfd = dup(fd);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		rc = -errno;
		if (dfd >= 0)
			close(dfd);
		snprintf(w->err, w->errlen, "cannot read %s: %s", where, strerror(-rc));
		return rc;
	}
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (l->n == cap) {
			cap = cap ? cap * 2 : 32;
			l->names = xrealloc(l->names, cap * sizeof(*l->names));
		}
		l->names[l->n++] = xstrdup(de->d_name);
	}
	if (errno) {
		rc = -errno;
		snprintf(w->err, w->errlen, "cannot read %s: %s", where, strerror(-rc));
		listing_free(l);
	}
	closedir(d);
	if (rc == 0 && l->n)
		qsort(l->names, l->n, sizeof(*l->names), name_cmp);
	return rc;
}

/**
 * open_subdir() - open the directory @name in @dirfd without following a
 * symlink.
 */
static int open_subdir(struct walk *w, int dirfd, const char *name, const char *where)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int rc = -errno;

		snprintf(w->err, w->errlen, "cannot read %s: %s", where, strerror(-rc));
		return rc;
	}
	return fd;
}

/**
 * report_under() - report, as @change, everything under the directory
 * @name of @dirfd (at @path in tree @side: 0 or 1).
 */
static int report_under(struct walk *w, enum diff_change change, int side, int dirfd,
			const char *name, const char *path, int depth)
{
	struct listing l;
	char *where;
	size_t i;
	int fd, rc;

	if (depth > DIFF_MAX_DEPTH) {
		snprintf(w->err, w->errlen, "%s%s: directories nested deeper than %d "
			 "levels", w->roots[side], path, DIFF_MAX_DEPTH);
		return -ELOOP;
	}
	where = xasprintf("%s%s", w->roots[side], path);
	fd = open_subdir(w, dirfd, name, where);
	if (fd >= 0) {
		rc = list_dir(w, fd, where, &l);
		if (rc < 0) {
			close(fd);
			fd = rc;
		}
	}
	free(where);
	if (fd < 0)
		return fd;
	rc = 0;
	for (i = 0; i < l.n && rc == 0; i++) {
		char *sub = xasprintf("%s/%s", path, l.names[i]);
		struct stat st;

		if (fstatat(fd, l.names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
			snprintf(w->err, w->errlen, "cannot stat %s%s: %s", w->roots[side],
				 sub, strerror(-rc));
		} else {
			rc = w->cb(change, sub, w->arg);
			if (rc == 0 && S_ISDIR(st.st_mode))
				rc = report_under(w, change, side, fd, l.names[i], sub,
						  depth + 1);
		}
		free(sub);
	}
	listing_free(&l);
	close(fd);
	return rc;
}

/**
 * same_content() - whether the regular files @name in @da and @db hold the
 * same bytes (sizes already equal).  Return 1, 0 or -errno.
 */
static int same_content(struct walk *w, int da, int db, const char *name,
			const char *path)
{
	char *ba = xmalloc(DIFF_BUF), *bb = xmalloc(DIFF_BUF);
	int fa, fb = -1, rc = 1;

	fa = openat(da, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fa >= 0)
		fb = openat(db, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fa < 0 || fb < 0) {
		rc = -errno;
		snprintf(w->err, w->errlen, "cannot open %s%s: %s",
			 w->roots[fa < 0 ? 0 : 1], path, strerror(-rc));
		goto out;
	}
	for (;;) {
		ssize_t na = read(fa, ba, DIFF_BUF), nb;

		if (na < 0 && errno == EINTR)
			continue;
		if (na < 0) {
			rc = -errno;
			snprintf(w->err, w->errlen, "cannot read %s%s: %s", w->roots[0],
				 path, strerror(-rc));
			goto out;
		}
		if (na > 0) {
			rc = read_full(fb, bb, (size_t)na);
			if (rc == -EIO) {	/* b is shorter: it changed meanwhile */
				rc = 0;
				goto out;
			}
			if (rc < 0) {
				snprintf(w->err, w->errlen, "cannot read %s%s: %s",
					 w->roots[1], path, strerror(-rc));
				goto out;
			}
			if (memcmp(ba, bb, (size_t)na) != 0) {
				rc = 0;
				goto out;
			}
			rc = 1;
			continue;
		}
		/* a ended: b must end too */
		do
			nb = read(fb, bb, 1);
		while (nb < 0 && errno == EINTR);
		rc = nb == 0 ? 1 : 0;
		if (nb < 0) {
			rc = -errno;
			snprintf(w->err, w->errlen, "cannot read %s%s: %s", w->roots[1],
				 path, strerror(-rc));
		}
		goto out;
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(ba);
	free(bb);
	return rc;
}

/**
 * same_link() - whether the symlinks @name in @da and @db point to the same
 * place.  Return 1, 0 or -errno.
 */
static int same_link(struct walk *w, int da, int db, const char *name,
		     const char *path)
{
	char ta[PATH_MAX + 1], tb[PATH_MAX + 1];
	ssize_t na, nb;

	na = readlinkat(da, name, ta, sizeof(ta));
	nb = readlinkat(db, name, tb, sizeof(tb));
	if (na < 0 || nb < 0) {
		int rc = -errno;

		snprintf(w->err, w->errlen, "cannot read the symlink %s%s: %s",
			 w->roots[na < 0 ? 0 : 1], path, strerror(-rc));
		return rc;
	}
	return na == nb && memcmp(ta, tb, (size_t)na) == 0;
}

static int diff_dirs(struct walk *w, int da, int db, const char *path, int depth);

/**
 * diff_both() - compare the entry @name that both directories hold.
 */
static int diff_both(struct walk *w, int da, int db, const char *name,
		     const char *path, int depth)
{
	struct stat sa, sb;
	bool changed = false;
	int rc;

	if (fstatat(da, name, &sa, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fstatat(db, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		snprintf(w->err, w->errlen, "cannot stat %s: %s", path, strerror(-rc));
		return rc;
	}
	if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
		/* Type changed: the path, then whatever one of them holds. */
		rc = w->cb(DIFF_CHANGED, path, w->arg);
		if (rc)
			return rc;
		if (S_ISDIR(sa.st_mode))
			return report_under(w, DIFF_REMOVED, 0, da, name, path, depth);
		if (S_ISDIR(sb.st_mode))
			return report_under(w, DIFF_ADDED, 1, db, name, path, depth);
		return 0;
	}
	if ((sa.st_mode & MODE_BITS) != (sb.st_mode & MODE_BITS) ||
	    sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid)
		changed = true;
	else if (S_ISREG(sa.st_mode)) {
		if (sa.st_size != sb.st_size) {
			changed = true;
		} else {
			rc = same_content(w, da, db, name, path);
			if (rc < 0)
				return rc;
			changed = rc == 0;
		}
	} else if (S_ISLNK(sa.st_mode)) {
		rc = same_link(w, da, db, name, path);
		if (rc < 0)
			return rc;
		changed = rc == 0;
	} else if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode)) {
		changed = sa.st_rdev != sb.st_rdev;
	}
	if (changed) {
		rc = w->cb(DIFF_CHANGED, path, w->arg);
		if (rc)
			return rc;
	}
	if (S_ISDIR(sa.st_mode)) {
		int fa, fb;

		if (depth > DIFF_MAX_DEPTH) {
			snprintf(w->err, w->errlen, "%s: directories nested deeper than "
				 "%d levels", path, DIFF_MAX_DEPTH);
			return -ELOOP;
		}
		{
			char *wa = xasprintf("%s%s", w->roots[0], path);
			char *wb = xasprintf("%s%s", w->roots[1], path);

			fa = open_subdir(w, da, name, wa);
			fb = fa >= 0 ? open_subdir(w, db, name, wb) : -1;
			free(wa);
			free(wb);
		}
		if (fa < 0 || fb < 0) {
			rc = fa < 0 ? fa : fb;
			if (fa >= 0)
				close(fa);
			return rc;
		}
		rc = diff_dirs(w, fa, fb, path, depth + 1);
		close(fa);
		close(fb);
		return rc;
	}
	return 0;
}

/**
 * diff_dirs() - merge the sorted listings of the directories @da and @db
 * (both at @path, "" for the top).
 */
static int diff_dirs(struct walk *w, int da, int db, const char *path, int depth)
{
	struct listing la = { 0 }, lb = { 0 };
	size_t i = 0, k = 0;
	int rc;

	{
		char *wa = xasprintf("%s%s", w->roots[0], path);
		char *wb = xasprintf("%s%s", w->roots[1], path);

		rc = list_dir(w, da, wa, &la);
		if (rc == 0) {
			rc = list_dir(w, db, wb, &lb);
			if (rc < 0)
				listing_free(&la);
		}
		free(wa);
		free(wb);
		if (rc < 0)
			return rc;
	}
	while (rc == 0 && (i < la.n || k < lb.n)) {
		int c = i >= la.n ? 1 : k >= lb.n ? -1 : strcmp(la.names[i], lb.names[k]);
		const char *name = c <= 0 ? la.names[i] : lb.names[k];
		char *sub = xasprintf("%s/%s", path, name);

		if (c == 0) {
			rc = diff_both(w, da, db, name, sub, depth);
			i++;
			k++;
		} else {
			int side = c < 0 ? 0 : 1, dfd = c < 0 ? da : db;
			struct stat st;

			if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				rc = -errno;
				snprintf(w->err, w->errlen, "cannot stat %s%s: %s",
					 w->roots[side], sub, strerror(-rc));
			} else {
				enum diff_change ch = c < 0 ? DIFF_REMOVED : DIFF_ADDED;

				rc = w->cb(ch, sub, w->arg);
				if (rc == 0 && S_ISDIR(st.st_mode))
					rc = report_under(w, ch, side, dfd, name, sub, depth);
			}
			if (c < 0)
				i++;
			else
				k++;
		}
		free(sub);
	}
	listing_free(&la);
	listing_free(&lb);
	return rc;
}

/* tree_diff() - see diff.h. */
int tree_diff(const char *dira, const char *dirb, diff_cb cb, void *arg,
	      char *err, size_t errlen)
{
	char dummy[1];
	struct walk w = { cb, arg, err ? err : dummy, err ? errlen : sizeof(dummy),
			  { dira, dirb } };
	int da = -1, db = -1, rc;

	if (!dira || !dirb || !cb)
		return -EINVAL;
	w.err[0] = '\0';
	da = open(dira, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (da < 0) {
		rc = -errno;
		snprintf(w.err, w.errlen, "cannot read %s: %s", dira, strerror(-rc));
		return rc;
	}
	db = open(dirb, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (db < 0) {
		rc = -errno;
		snprintf(w.err, w.errlen, "cannot read %s: %s", dirb, strerror(-rc));
		close(da);
		return rc;
	}
	rc = diff_dirs(&w, da, db, "", 0);
	close(da);
	close(db);
	return rc;
}

/**
 * unpack_version() - fs_extract() version @n of @image into @dir.
 */
static int unpack_version(struct store *st, const char *image, int n,
			  const char *dir, char *err, size_t errlen)
{
	struct reg_version v;
	char msg[1024] = "";
	enum fs_format f;
	char *rootfs;
	int rc;

	rc = registry_version_get(st->reg, image, n, &v);
	if (rc < 0) {
		snprintf(err, errlen, "%s", registry_error(st->reg));
		return rc;
	}
	f = fs_format_parse(v.format);
	if (f == FS_UNKNOWN) {
		snprintf(err, errlen, "%s version %d is a %s image; diff needs ext4, "
			 "erofs or squashfs", image, n, v.format);
		return -EINVAL;
	}
	if (mkdir(dir, 0755) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	rootfs = store_version_file(st, image, n, STORE_ROOTFS);
	rc = fs_extract(f, rootfs, dir, msg, sizeof(msg));
	if (rc < 0)
		snprintf(err, errlen, "cannot unpack %s version %d: %s", image, n, msg);
	free(rootfs);
	return rc;
}

/* image_diff() - see diff.h. */
int image_diff(struct store *st, const char *image, int a, int b, diff_cb cb,
	       void *arg, char *err, size_t errlen)
{
	char *wd = NULL, *da = NULL, *db = NULL;
	char dummy[1];
	int rc;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!st || !image || !cb)
		return -EINVAL;
	rc = store_workdir(st, &wd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot make a work directory in %s/tmp: %s",
			 st->dir, strerror(-rc));
		return rc;
	}
	da = xasprintf("%s/%d", wd, a);
	db = xasprintf("%s/%d%s", wd, b, a == b ? "-again" : "");
	rc = unpack_version(st, image, a, da, err, errlen);
	if (rc == 0)
		rc = unpack_version(st, image, b, db, err, errlen);
	if (rc == 0)
		rc = tree_diff(da, db, cb, arg, err, errlen);
	if (rc == -ENOSPC) {
		char *msg = xstrdup(err);

		snprintf(err, errlen, "disk full while unpacking %s for diff: %s",
			 image, msg);
		free(msg);
	}
	rm_rf(wd);
	free(wd);
	free(da);
	free(db);
	return rc;
}
