/* Unpacking tar archives (e.g. a `docker export`) without letting a member
 * write outside the target tree.
 *
 * The rule, for every member:
 *   - its name is relative and has no ".." component;
 *   - no leading part of its name is a symlink of the archive (a member
 *     would otherwise be written wherever the symlink points), and a member
 *     that is not a symlink does not replace one;
 *   - a hard link's target obeys the same rule and is not a symlink;
 *   - a symlink's target may be absolute (it is read inside the image when
 *     the client boots), but a relative one may not climb above the top.
 * The archive is read twice: once to check every member against all the
 * symlinks it holds, once to unpack with libarchive's own safety flags.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>

#include "import.h"
#include "log.h"
#include "util.h"

#define TAR_NAME_MAX		(PATH_MAX - 1)	/* longest name or link target */
#define TAR_SHOW_MAX		200		/* bytes of a name shown in messages */
#define TAR_READ_BLOCK		(64 * 1024)	/* libarchive read size */
#define SYMSET_MIN_SLOTS	64

/* ---- names ----------------------------------------------------------------- */

/**
 * show() - @s made fit for a message: control bytes become '?', and a long
 * name is cut with "...".  Returns @buf.
 */
static const char *show(const char *s, char *buf, size_t size)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 4 < size && i < TAR_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i])
		n += (size_t)snprintf(buf + n, size - n, "...");
	buf[n] = '\0';
	return buf;
}

#define SHOW_BUF (TAR_SHOW_MAX + 8)

/**
 * has_dotdot() - whether a component of @path is "..".
 */
static bool has_dotdot(const char *path)
{
	const char *p = path;

	while (*p) {
		while (*p == '/')
			p++;
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return true;
		while (*p && *p != '/')
			p++;
	}
	return false;
}

/**
 * normalize() - @path with empty and "." components dropped ("./a//b/" →
 * "a/b"; "." → "").  @out holds at least strlen(@path) + 1 bytes.
 */
static void normalize(const char *path, char *out)
{
	const char *p = path;
	size_t n = 0;

	while (*p) {
		const char *start;
		size_t len;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - start);
		if (len == 0 || (len == 1 && start[0] == '.'))
			continue;
		if (n)
			out[n++] = '/';
		memcpy(out + n, start, len);
		n += len;
	}
	out[n] = '\0';
}

/**
 * climbs_out() - whether the relative symlink target @target, read from
 * the directory that holds @norm (a normalized member name), climbs above
 * the top of the tree.
 */
static bool climbs_out(const char *norm, const char *target)
{
	const char *p;
	long depth = 0;

	for (p = norm; *p; p++)
		if (*p == '/')
			depth++;	/* components of the parent directory */
	p = target;
	while (*p) {
		const char *start;
		size_t len;

		while (*p == '/')
			p++;
		start = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - start);
		if (len == 0 || (len == 1 && start[0] == '.'))
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			if (--depth < 0)
				return true;
		} else {
			depth++;
		}
	}
	return false;
}

/* ---- the rule ---------------------------------------------------------------- */

/**
 * symlink_find_fn - look up a normalized name among the archive's symlinks.
 * Return: its target ("" when not known), or NULL if it is not a symlink.
 */
typedef const char *(*symlink_find_fn)(const char *name, void *arg);

/**
 * check_through() - refuse @norm (the normalized name or hard-link target
 * of member @name) if one of its leading parts is a symlink.
 * @what: "" for the member's name, "hard link target 'x' " for its target.
 */
static int check_through(const char *name, const char *what, char *norm,
			 symlink_find_fn find, void *arg, char *err, size_t errlen)
{
	char b1[SHOW_BUF], b2[SHOW_BUF], b3[SHOW_BUF];
	char *p;

	for (p = strchr(norm, '/'); p; p = strchr(p + 1, '/')) {
		const char *target;

		*p = '\0';
		target = find(norm, arg);
		if (target) {
			if (*target)
				snprintf(err, errlen, "tar member '%s': %sgoes through "
					 "symlink '%s' (which points to '%s')",
					 show(name, b1, sizeof(b1)), what,
					 show(norm, b2, sizeof(b2)),
					 show(target, b3, sizeof(b3)));
			else
				snprintf(err, errlen, "tar member '%s': %sgoes through "
					 "symlink '%s'", show(name, b1, sizeof(b1)),
					 what, show(norm, b2, sizeof(b2)));
			*p = '/';
			return -EINVAL;
		}
		*p = '/';
	}
	return 0;
}

/**
 * check_member() - tar_check_member() with the symlink set behind @find.
 */
static int check_member(const char *name, int is_symlink, int is_hardlink,
			const char *linkname, symlink_find_fn find, void *arg,
			char *err, size_t errlen)
{
	char b1[SHOW_BUF], b2[SHOW_BUF];
	char *norm = NULL, *lnorm = NULL, *what = NULL;
	size_t len;
	int rc = -EINVAL;

	if (!name) {
		snprintf(err, errlen, "tar member without a name");
		return -EINVAL;
	}
	show(name, b1, sizeof(b1));
	len = strlen(name);
	if (len == 0) {
		snprintf(err, errlen, "tar member with an empty name");
		return -EINVAL;
	}
	if (len > TAR_NAME_MAX) {
		snprintf(err, errlen, "tar member '%s': name longer than %d bytes",
			 b1, TAR_NAME_MAX);
		return -EINVAL;
	}
	if (name[0] == '/') {
		snprintf(err, errlen, "tar member '%s': absolute path", b1);
		return -EINVAL;
	}
	if (has_dotdot(name)) {
		snprintf(err, errlen, "tar member '%s': '..' in the path", b1);
		return -EINVAL;
	}
	norm = xmalloc(len + 1);
	normalize(name, norm);
	if (!*norm && (is_symlink || is_hardlink)) {
		snprintf(err, errlen, "tar member '%s': a link cannot replace the "
			 "top directory", b1);
		goto out;
	}
	if (check_through(name, "", norm, find, arg, err, errlen) < 0)
		goto out;
	if (!is_symlink && *norm && find(norm, arg)) {
		snprintf(err, errlen, "tar member '%s': replaces symlink '%s'", b1,
			 show(norm, b2, sizeof(b2)));
		goto out;
	}

	if (is_symlink) {
		if (!linkname || !*linkname) {
			snprintf(err, errlen, "symlink '%s' has no target", b1);
			goto out;
		}
		if (strlen(linkname) > TAR_NAME_MAX) {
			snprintf(err, errlen, "symlink '%s': target longer than %d "
				 "bytes", b1, TAR_NAME_MAX);
			goto out;
		}
		if (linkname[0] != '/' && climbs_out(norm, linkname)) {
			snprintf(err, errlen, "symlink '%s' -> '%s' leaves the tree",
				 b1, show(linkname, b2, sizeof(b2)));
			goto out;
		}
	}

	if (is_hardlink) {
		if (!linkname || !*linkname) {
			snprintf(err, errlen, "tar member '%s': hard link without a "
				 "target", b1);
			goto out;
		}
		show(linkname, b2, sizeof(b2));
		len = strlen(linkname);
		if (len > TAR_NAME_MAX) {
			snprintf(err, errlen, "tar member '%s': hard link target "
				 "longer than %d bytes", b1, TAR_NAME_MAX);
			goto out;
		}
		if (linkname[0] == '/') {
			snprintf(err, errlen, "tar member '%s': hard link to the "
				 "absolute path '%s'", b1, b2);
			goto out;
		}
		if (has_dotdot(linkname)) {
			snprintf(err, errlen, "tar member '%s': hard link target '%s' "
				 "has '..' in the path", b1, b2);
			goto out;
		}
		lnorm = xmalloc(len + 1);
		normalize(linkname, lnorm);
		if (!*lnorm) {
			snprintf(err, errlen, "tar member '%s': hard link to the top "
				 "directory", b1);
			goto out;
		}
		what = xasprintf("hard link target '%s' ", b2);
		if (check_through(name, what, lnorm, find, arg, err, errlen) < 0)
			goto out;
		if (find(lnorm, arg)) {
			snprintf(err, errlen, "tar member '%s': hard link to symlink "
				 "'%s'", b1, b2);
			goto out;
		}
	}
	rc = 0;
out:
	free(norm);
	free(lnorm);
	free(what);
	return rc;
}

/**
 * array_find() - symlink_find_fn over a NULL-terminated array of names
 * (not normalized; targets unknown).
 */
static const char *array_find(const char *name, void *arg)
{
	const char *const *list = arg;
	size_t i;

	for (i = 0; list && list[i]; i++) {
		char *n = xmalloc(strlen(list[i]) + 1);
		bool same;

		normalize(list[i], n);
		same = strcmp(n, name) == 0;
		free(n);
		if (same)
			return "";
	}
	return NULL;
}

/* tar_check_member() - see import.h. */
int tar_check_member(const char *name, int is_symlink, int is_hardlink,
		     const char *linkname, const char *const *symlinks,
		     char *err, size_t errlen)
{
	return check_member(name, is_symlink, is_hardlink, linkname, array_find,
			    (void *)symlinks, err, errlen);
}

/* ---- the set of an archive's symlinks ------------------------------------- */

struct symset {
	char **names;		/* normalized names, NULL = free slot */
	char **targets;		/* their targets */
	size_t slots;		/* power of two */
	size_t used;
};

#define FNV_OFFSET	14695981039346656037ull	/* FNV-1a, 64 bits */
#define FNV_PRIME	1099511628211ull

/** symset_hash() - FNV-1a of the name @s. */
static size_t symset_hash(const char *s)
{
	uint64_t h = FNV_OFFSET;

	while (*s)
		h = (h ^ (unsigned char)*s++) * FNV_PRIME;
	return (size_t)h;
}

/** symset_slot() - the slot holding @name, or the free one where it goes. */
static size_t symset_slot(const struct symset *s, const char *name)
{
	size_t i = symset_hash(name) & (s->slots - 1);

	while (s->names[i] && strcmp(s->names[i], name) != 0)
		i = (i + 1) & (s->slots - 1);
	return i;
}

/** symset_grow() - double the slots of @s (or make the first ones). */
static void symset_grow(struct symset *s)
{
	struct symset n = { NULL, NULL, s->slots ? s->slots * 2 : SYMSET_MIN_SLOTS, 0 };
	size_t i;

	n.names = xcalloc(n.slots, sizeof(*n.names));
	n.targets = xcalloc(n.slots, sizeof(*n.targets));
	for (i = 0; i < s->slots; i++) {
		if (s->names[i]) {
			size_t j = symset_slot(&n, s->names[i]);

			n.names[j] = s->names[i];
			n.targets[j] = s->targets[i];
			n.used++;
		}
	}
	free(s->names);
	free(s->targets);
	*s = n;
}

/** symset_add() - record symlink @norm → @target (the last one wins). */
static void symset_add(struct symset *s, const char *norm, const char *target)
{
	size_t i;

	if ((s->used + 1) * 2 > s->slots)
		symset_grow(s);
	i = symset_slot(s, norm);
	if (s->names[i]) {
		free(s->targets[i]);
	} else {
		s->names[i] = xstrdup(norm);
		s->used++;
	}
	s->targets[i] = xstrdup(target);
}

/** symset_find() - symlink_find_fn over the set @arg. */
static const char *symset_find(const char *name, void *arg)
{
	const struct symset *s = arg;
	size_t i;

	if (!s->slots)
		return NULL;
	i = symset_slot(s, name);
	return s->names[i] ? s->targets[i] : NULL;
}

/** symset_free() - free what @s holds. */
static void symset_free(struct symset *s)
{
	size_t i;

	for (i = 0; i < s->slots; i++) {
		free(s->names[i]);
		free(s->targets[i]);
	}
	free(s->names);
	free(s->targets);
}

/* ---- unpacking ---------------------------------------------------------------- */

/* One member as seen in the first pass. */
struct member {
	char *name;		/* as in the archive */
	char *link;		/* symlink or hard link target, NULL = none */
	unsigned type;		/* AE_IF* */
	bool hardlink;
};

struct members {
	struct member *v;
	size_t n, cap;
};

/** members_free() - free what @m holds. */
static void members_free(struct members *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].link);
	}
	free(m->v);
}

/**
 * open_archive() - a libarchive reader on @fd (rewound), tar formats with
 * any compression.
 */
static int open_archive(int fd, const char *path, struct archive **out,
			char *err, size_t errlen)
{
	struct archive *a;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		int rc = -errno;

		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	a = archive_read_new();
	if (!a)
		abort();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, TAR_READ_BLOCK) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 archive_error_string(a) ? archive_error_string(a) : "unknown error");
		archive_read_free(a);
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/**
 * archive_rc() - -errno for a libarchive failure, with @what and
 * libarchive's message in @err.
 */
static int archive_rc(struct archive *a, const char *what, char *err, size_t errlen)
{
	const char *msg = archive_error_string(a);
	int e = archive_errno(a);

	snprintf(err, errlen, "%s: %s", what, msg ? msg : "unknown error");
	if (e == ENOSPC || e == EDQUOT)
		return -ENOSPC;
	return e > 0 ? -e : -EIO;
}

/**
 * entry_link() - the symlink or hard-link target of @e, NULL if none.
 */
static const char *entry_link(struct archive_entry *e, bool *hardlink)
{
	const char *hl = archive_entry_hardlink(e);

	*hardlink = hl != NULL;
	if (hl)
		return hl;
	if (archive_entry_filetype(e) == AE_IFLNK)
		return archive_entry_symlink(e);
	return NULL;
}

/**
 * first_pass() - read every member header of @a into @m and the symlinks
 * into @links, then check every member against all of them.
 */
static int first_pass(struct archive *a, const char *path, struct members *m,
		      struct symset *links, char *err, size_t errlen)
{
	struct archive_entry *e;
	size_t i;
	int r;

	for (;;) {
		struct member *mb;
		const char *name, *link;
		bool hl;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			char *what = xasprintf("cannot read %s", path);
			int rc = archive_rc(a, what, err, errlen);

			free(what);
			return rc == -ENOSPC ? rc : -EINVAL;
		}
		name = archive_entry_pathname(e);
		if (!name) {
			snprintf(err, errlen, "%s: tar member %zu has a name that "
				 "cannot be read", path, m->n + 1);
			return -EINVAL;
		}
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 256;
			m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
		}
		mb = &m->v[m->n++];
		link = entry_link(e, &hl);
		mb->name = xstrdup(name);
		mb->link = link ? xstrdup(link) : NULL;
		mb->type = archive_entry_filetype(e);
		mb->hardlink = hl;
		if (!hl && mb->type == AE_IFLNK && !has_dotdot(name) && name[0] != '/') {
			char *norm = xmalloc(strlen(name) + 1);

			normalize(name, norm);
			symset_add(links, norm, link ? link : "");
			free(norm);
		}
	}
	for (i = 0; i < m->n; i++) {
		const struct member *mb = &m->v[i];
		int rc = check_member(mb->name, !mb->hardlink && mb->type == AE_IFLNK,
				      mb->hardlink, mb->link, symset_find, links,
				      err, errlen);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/**
 * copy_data() - the data of the current member of @a into @w.
 */
static int copy_data(struct archive *a, struct archive *w, const char *path,
		     const char *name, char *err, size_t errlen)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	char b[SHOW_BUF];
	int r;

	for (;;) {
		r = archive_read_data_block(a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN) {
			char *what = xasprintf("cannot read %s", path);
			int rc = archive_rc(a, what, err, errlen);

			free(what);
			return rc;
		}
		if (archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN) {
			char *what = xasprintf("cannot write '%s'", show(name, b, sizeof(b)));
			int rc = archive_rc(w, what, err, errlen);

			free(what);
			return rc;
		}
	}
}

/**
 * second_pass() - unpack @a (already checked as @m) into the current
 * directory.  Members must come back as the first pass saw them.
 */
static int second_pass(struct archive *a, const char *path, const struct members *m,
		       const struct progress *p, uint64_t total, char *err,
		       size_t errlen)
{
	int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
		    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_PERM |
		    ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_ACL |
		    ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS;
	bool root = geteuid() == 0;
	struct archive_entry *e;
	struct archive *w;
	size_t i, devices = 0, warnings = 0;
	char *first_warning = NULL;
	char b[SHOW_BUF];
	int r, rc = 0;

	if (root)
		flags |= ARCHIVE_EXTRACT_OWNER;
	w = archive_write_disk_new();
	if (!w)
		abort();
	/* No user/group name lookup: numeric ids are the image's own. */
	archive_write_disk_set_options(w, flags);

	for (i = 0;; i++) {
		const char *link;
		bool hl;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF) {
			if (i != m->n)
				goto changed;
			break;
		}
		if (r < ARCHIVE_WARN) {
			char *what = xasprintf("cannot read %s", path);

			rc = archive_rc(a, what, err, errlen);
			free(what);
			goto out;
		}
		link = entry_link(e, &hl);
		if (i >= m->n || !archive_entry_pathname(e) ||
		    strcmp(archive_entry_pathname(e), m->v[i].name) != 0 ||
		    archive_entry_filetype(e) != m->v[i].type || hl != m->v[i].hardlink ||
		    (link == NULL) != (m->v[i].link == NULL) ||
		    (link && strcmp(link, m->v[i].link) != 0))
			goto changed;
		if (!root && !hl && (m->v[i].type == AE_IFCHR || m->v[i].type == AE_IFBLK)) {
			devices++;
			continue;
		}
		r = archive_write_header(w, e);
		if (r < ARCHIVE_WARN) {
			char *what = xasprintf("cannot unpack '%s'",
					       show(m->v[i].name, b, sizeof(b)));

			rc = archive_rc(w, what, err, errlen);
			free(what);
			goto out;
		}
		if (r == ARCHIVE_WARN && warnings++ == 0)
			first_warning = xasprintf("'%s': %s", show(m->v[i].name, b, sizeof(b)),
						  archive_error_string(w) ?
						  archive_error_string(w) : "warning");
		if (archive_entry_size(e) > 0 && m->v[i].type == AE_IFREG) {
			rc = copy_data(a, w, path, m->v[i].name, err, errlen);
			if (rc < 0)
				goto out;
		}
		r = archive_write_finish_entry(w);
		if (r < ARCHIVE_WARN) {
			char *what = xasprintf("cannot unpack '%s'",
					       show(m->v[i].name, b, sizeof(b)));

			rc = archive_rc(w, what, err, errlen);
			free(what);
			goto out;
		}
		progress_report(p, "unpack", (uint64_t)archive_filter_bytes(a, -1), total);
	}
	/* Directory modes and times are set at close. */
	if (archive_write_close(w) < ARCHIVE_WARN) {
		rc = archive_rc(w, "cannot finish unpacking", err, errlen);
		goto out;
	}
	if (devices)
		log_warn("%s: skipped %zu device node%s (only root can create them)",
			 path, devices, devices == 1 ? "" : "s");
	if (warnings)
		log_warn("%s: %zu warning%s while unpacking, the first: %s", path,
			 warnings, warnings == 1 ? "" : "s", first_warning);
	progress_report(p, "unpack", total, total);
	goto out;
changed:
	snprintf(err, errlen, "%s changed while it was being unpacked", path);
	rc = -EAGAIN;
out:
	archive_write_free(w);
	free(first_warning);
	return rc;
}

/* tar_extract_safe() - see import.h. */
int tar_extract_safe(const char *archive, const char *dir,
		     const struct progress *p, char *err, size_t errlen)
{
	struct members m = { NULL, 0, 0 };
	struct symset links = { NULL, NULL, 0, 0 };
	struct archive *a = NULL;
	struct stat st;
	int fd, cwd = -1, rc;

	if (!archive || !dir)
		return -EINVAL;
	fd = open(archive, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", archive, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", archive);
		rc = -EINVAL;
		goto out;
	}

	rc = open_archive(fd, archive, &a, err, errlen);
	if (rc < 0)
		goto out;
	rc = first_pass(a, archive, &m, &links, err, errlen);
	archive_read_free(a);
	a = NULL;
	if (rc < 0)
		goto out;

	rc = open_archive(fd, archive, &a, err, errlen);
	if (rc < 0)
		goto out;
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot note the working directory: %s",
			 strerror(-rc));
		goto out;
	}
	if (chdir(dir) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot enter %s: %s", dir, strerror(-rc));
		goto out;
	}
	rc = second_pass(a, archive, &m, p, (uint64_t)st.st_size, err, errlen);
	if (fchdir(cwd) < 0 && rc == 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot return to the working directory: %s",
			 strerror(-rc));
	}
out:
	if (a)
		archive_read_free(a);
	if (cwd >= 0)
		close(cwd);
	close(fd);
	members_free(&m);
	symset_free(&links);
	return rc;
}
