/* What a machine may boot: see bootpolicy.h. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootpolicy.h"
#include "log.h"
#include "util.h"

/* An entry list under construction. */
struct entry_list {
	struct boot_entry *e;	/* malloc'd array */
	size_t n;		/* entries used */
	size_t cap;		/* entries allocated */
};

/**
 * text_set() - printf into @out, cut to @outlen bytes (menu titles may be
 * shortened: they are for people).
 */
static void __attribute__((format(printf, 3, 4)))
text_set(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
}

/* What isspace() accepts in the C locale. */
#define CMDLINE_BLANKS " \t\n\v\f\r"

/**
 * join_cmdline() - @a and @b (each without surrounding blanks) joined
 * by one space into @out.
 */
static void join_cmdline(const char *a, const char *b, char *out, size_t outlen)
{
	size_t alen, blen;

	a += strspn(a, CMDLINE_BLANKS);
	b += strspn(b, CMDLINE_BLANKS);
	alen = strlen(a);
	blen = strlen(b);
	while (alen > 0 && isspace((unsigned char)a[alen - 1]))
		alen--;
	while (blen > 0 && isspace((unsigned char)b[blen - 1]))
		blen--;
	snprintf(out, outlen, "%.*s%s%.*s", (int)alen, a, alen && blen ? " " : "",
		 (int)blen, b);
}

/**
 * list_add() - append @r with @label and @title unless an entry already
 * boots the same image, version and mode, or the list is full.
 * Return: true if added.
 */
static bool list_add(struct entry_list *l, const struct reg_resolved *r, const char *label,
		     const char *title)
{
	struct boot_entry *e;
	size_t i;

	for (i = 0; i < l->n; i++) {
		e = &l->e[i];
		if (!strcmp(e->r.version.image, r->version.image) &&
		    e->r.version.version == r->version.version && !strcmp(e->r.mode, r->mode))
			return false;
	}
	if (l->n >= BOOT_ENTRIES_MAX) {
		log_warn("boot menu of %s: more than %d entries, %s left out", r->client.mac,
			 BOOT_ENTRIES_MAX, label);
		return false;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->e = xrealloc(l->e, l->cap * sizeof(*l->e));
	}
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	(void)str_copy(e->label, sizeof(e->label), label);
	(void)str_copy(e->title, sizeof(e->title), title);
	e->r = *r;
	return true;
}

/**
 * group_entry() - resolve group @g for the machine @mac (not registered)
 * into @r, in @mode ("" = the group's).
 * Return: 0, or -errno with @err (no version to boot, registry error).
 */
static int group_entry(struct registry *reg, const struct reg_group *g, const char *mac,
		       const char *mode, struct reg_resolved *r, char *err, size_t errlen)
{
	int rc, version = 0;

	memset(r, 0, sizeof(*r));
	(void)str_copy(r->client.mac, sizeof(r->client.mac), mac);
	(void)str_copy(r->client.group, sizeof(r->client.group), g->name);
	r->group = *g;
	rc = registry_group_version(reg, g, &version);
	if (rc == 0)
		rc = registry_version_get(reg, g->image, version, &r->version);
	if (rc < 0) {
		err_set(err, errlen, "group %s: %s", g->name, registry_error(reg));
		return rc;
	}
	(void)str_copy(r->mode, sizeof(r->mode), mode[0] ? mode : g->mode);
	join_cmdline(g->cmdline, "", r->cmdline, sizeof(r->cmdline));
	return 0;
}

/**
 * add_menu_images() - one volatile entry per image of @base's group menu,
 * at the image's published version (images without one are left out).
 */
static int add_menu_images(struct registry *reg, const struct reg_resolved *base,
			   struct entry_list *l, char *err, size_t errlen)
{
	char name[NAME_MAX_LEN + 1], title[sizeof(l->e->title)];
	struct reg_resolved *r;
	struct reg_image im;
	size_t pos = 0;
	int rc = 0;

	r = xmalloc(sizeof(*r));
	while (registry_menu_next(base->group.menu, &pos, name)) {
		rc = registry_image_get(reg, name, &im);
		if (rc == -ENOENT || (rc == 0 && im.published == 0)) {
			log_debug("boot menu of group %s: image %s has nothing published, "
				  "left out", base->group.name, name);
			rc = 0;
			continue;
		}
		*r = *base;
		if (rc == 0)
			rc = registry_version_get(reg, name, im.published, &r->version);
		if (rc < 0) {
			err_set(err, errlen, "boot menu of group %s: %s", base->group.name,
				registry_error(reg));
			break;
		}
		(void)str_copy(r->mode, sizeof(r->mode), MODE_VOLATILE);
		text_set(title, sizeof(title), "%s version %d (volatile)", name, im.published);
		list_add(l, r, name, title);
	}
	free(r);
	return rc;
}

/** entry_title() - "GROUP: IMAGE version N (MODE)" into @out. */
static void entry_title(const struct reg_resolved *r, char *out, size_t outlen)
{
	text_set(out, outlen, "%s: %s version %d (%s)", r->group.name, r->version.image,
		 r->version.version, r->mode);
}

/** known_entries() - the entries of the registered client @r. */
static int known_entries(struct registry *reg, const struct reg_resolved *r,
			 struct entry_list *l, char *err, size_t errlen)
{
	char title[sizeof(l->e->title)];

	entry_title(r, title, sizeof(title));
	list_add(l, r, r->group.name, title);
	return add_menu_images(reg, r, l, err, errlen);
}

/** unknown_entries() - the entries of an unregistered @mac under @p. */
static int unknown_entries(struct registry *reg, const struct boot_policy *p, const char *mac,
			   struct entry_list *l, char *err, size_t errlen)
{
	const char *policy = p && p->unknown_clients ? p->unknown_clients : BOOT_UNKNOWN_REFUSE;
	char title[sizeof(l->e->title)];
	struct reg_group *groups = NULL, g;
	struct reg_resolved *r;
	size_t ng = 0, i;
	int rc;

	if (!strcmp(policy, BOOT_UNKNOWN_REFUSE)) {
		err_set(err, errlen, "%s is not a registered client (unknown_clients = refuse)",
			mac);
		return -ENOENT;
	}
	r = xmalloc(sizeof(*r));
	if (!strcmp(policy, BOOT_UNKNOWN_DEFAULT)) {
		if (!p->default_group || !p->default_group[0]) {
			err_set(err, errlen, "%s is not a registered client, and unknown_clients "
				"= default names no default_group", mac);
			rc = -ENOENT;
			goto out;
		}
		rc = registry_group_get(reg, p->default_group, &g);
		if (rc < 0) {
			err_set(err, errlen, "%s is not a registered client, and default_group "
				"%s: %s", mac, p->default_group, registry_error(reg));
			goto out;
		}
		rc = group_entry(reg, &g, mac, "", r, err, errlen);
		if (rc < 0)
			goto out;
		entry_title(r, title, sizeof(title));
		list_add(l, r, g.name, title);
		rc = add_menu_images(reg, r, l, err, errlen);
		goto out;
	}
	if (strcmp(policy, BOOT_UNKNOWN_MENU) != 0) {
		err_set(err, errlen, "invalid unknown_clients '%s': refuse, default or menu "
			"expected", policy);
		rc = -EINVAL;
		goto out;
	}
	rc = registry_group_list(reg, &groups, &ng);
	if (rc < 0) {
		err_set(err, errlen, "%s", registry_error(reg));
		goto out;
	}
	for (i = 0; i < ng; i++) {
		if (group_entry(reg, &groups[i], mac, MODE_VOLATILE, r, NULL, 0) < 0)
			continue;	/* nothing to boot yet */
		entry_title(r, title, sizeof(title));
		list_add(l, r, groups[i].name, title);
	}
	rc = 0;
out:
	free(groups);
	free(r);
	return rc;
}

int boot_entries(struct registry *reg, const struct boot_policy *p, const char *mac,
		 struct boot_entry **out, size_t *n, char *err, size_t errlen)
{
	struct entry_list l = { 0 };
	struct reg_resolved *r = NULL;
	char canon[MAC_STR_LEN];
	int rc;

	if (!reg || !out || !n) {
		err_set(err, errlen, "boot_entries: missing argument");
		return -EINVAL;
	}
	*out = NULL;
	*n = 0;
	if (!mac || mac_canonical(mac, canon) < 0) {
		err_set(err, errlen, "invalid MAC address '%s'", mac ? mac : "(none)");
		return -EINVAL;
	}
	r = xmalloc(sizeof(*r));
	rc = registry_client_resolve(reg, canon, r);
	if (rc == 0) {
		rc = known_entries(reg, r, &l, err, errlen);
	} else if (rc == -ENOENT && registry_client_get(reg, canon, &r->client) == -ENOENT) {
		rc = unknown_entries(reg, p, canon, &l, err, errlen);
	} else {
		err_set(err, errlen, "client %s: %s", canon, registry_error(reg));
	}
	if (rc == 0 && l.n == 0) {
		err_set(err, errlen, "%s: nothing to boot (no group has a version to boot)",
			canon);
		rc = -ENOENT;
	}
	free(r);
	if (rc < 0) {
		free(l.e);
		return rc;
	}
	*out = l.e;
	*n = l.n;
	return 0;
}

bool boot_entry_matches(const struct boot_entry *e, const struct export_name *en)
{
	char a[MAC_STR_LEN], b[MAC_STR_LEN];

	if (!e || !en)
		return false;
	if (mac_canonical(e->r.client.mac, a) < 0 || mac_canonical(en->mac, b) < 0)
		return false;
	return !strcmp(a, b) && !strcmp(e->r.version.image, en->image) &&
	       e->r.version.version == en->version && !strcmp(e->r.mode, en->mode);
}
