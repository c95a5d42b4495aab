/* The registry: images, versions, groups, clients and the audit trail, in
 * one SQLite database (WAL mode) at STATE_DIR/registry.db.
 *
 * The schema is versioned (PRAGMA user_version) and upgraded by numbered
 * migrations in registry.c.  Every function that changes something runs in
 * a transaction that takes the write lock up front (BEGIN IMMEDIATE), so two
 * `lanroot` processes never interleave a read-modify-write; a busy registry
 * is waited for (busy timeout) rather than failing.
 *
 * Errors: functions return 0 or a negative errno and, for a person, leave a
 * message in registry_error():
 *   -ENOENT  no such image / version / group / client
 *   -EEXIST  the name (or MAC) is taken
 *   -EBUSY   still in use (the message says by which group)
 *   -EINVAL  bad argument (the message says which)
 *   -EIO     SQLite failed (the message carries SQLite's text)
 */
#ifndef LR_REGISTRY_H
#define LR_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parse.h"
#include "mac.h"

#define REG_NOTE_MAX 256
#define REG_CMDLINE_MAX 1024
#define REG_PATH_MAX 256
#define REG_TIME_MAX 32
/* A group's boot menu: comma-separated image names. */
#define REG_MENU_MAX 1024
/* Most images one group's menu offers. */
#define REG_MENU_ITEMS_MAX 32
/* An IPv4 address in dotted quad, plus NUL. */
#define REG_IP_MAX 16

/* Overlay modes, protocols, formats: stored as these strings. */
#define MODE_VOLATILE "volatile"
#define MODE_PERSISTENT "persistent"
#define MODE_RESET_ON_BOOT "reset-on-boot"
#define PROTO_NBD "nbd"
#define PROTO_ISCSI "iscsi"

/** mode_valid()/proto_valid() - @s is one of MODE_* / PROTO_* (NULL: no). */
bool mode_valid(const char *s);
bool proto_valid(const char *s);

/* Group defaults: an empty mode, proto or loader given to group add/set
 * means REG_DEFAULT_MODE, REG_DEFAULT_PROTO, REG_DEFAULT_LOADER. */
#define REG_DEFAULT_MODE MODE_VOLATILE
#define REG_DEFAULT_PROTO PROTO_NBD
#define REG_DEFAULT_LOADER "auto"

struct registry;

struct reg_image {
	int64_t id;
	char name[NAME_MAX_LEN + 1];
	int published;		/* published version, 0 = none yet */
	int latest;		/* highest version number, 0 = none */
	int nversions;		/* versions present */
	char created[REG_TIME_MAX];
};

struct reg_version {
	char image[NAME_MAX_LEN + 1];
	int version;		/* 1, 2, 3 … */
	uint64_t size;		/* bytes of rootfs.img */
	char sha256[65];	/* content digest, see digest.h */
	char format[16];	/* ext4 | erofs | squashfs | raw */
	char created[REG_TIME_MAX];
	int parent;		/* version it was captured from, 0 = none */
	char note[REG_NOTE_MAX];
	char kernel[REG_PATH_MAX]; /* file name in the version dir, "" = none */
	char initrd[REG_PATH_MAX]; /* file name in the version dir, "" = none */
	bool published;		/* filled by reads: is the published one */
};

struct reg_group {
	char name[NAME_MAX_LEN + 1];
	char image[NAME_MAX_LEN + 1];
	int version;		/* pinned version, 0 = follow the published one */
	char mode[16];		/* MODE_* */
	char proto[8];		/* PROTO_* */
	char cmdline[REG_CMDLINE_MAX]; /* extra kernel command line */
	char loader[32];	/* boot loader choice: auto | pxelinux | ipxe | grub */
	/* Extra images offered in a boot menu, each booting its published
	 * version, volatile: "img1,img2" (canonical: no blanks, no repeats),
	 * "" = none.  Each must exist. */
	char menu[REG_MENU_MAX];
};

struct reg_client {
	char mac[MAC_STR_LEN];	/* canonical aa:bb:cc:dd:ee:ff */
	char name[NAME_MAX_LEN + 1];
	char group[NAME_MAX_LEN + 1];
	char mode[16];		/* override, "" = the group's */
	char cmdline[REG_CMDLINE_MAX]; /* appended to the group's, "" = none */
	char created[REG_TIME_MAX];
	/* IPv4 reservation for full-mode DHCP, dotted quad, "" = none;
	 * unique across clients. */
	char ip[REG_IP_MAX];
};

/* What a client boots right now: client + group + image version, resolved. */
struct reg_resolved {
	struct reg_client client;
	struct reg_group group;
	struct reg_version version; /* the effective version */
	char mode[16];		/* effective mode (client override or group) */
	char cmdline[REG_CMDLINE_MAX * 2]; /* group cmdline + client cmdline */
};

/**
 * registry_open() - open (creating and migrating as needed) the registry at
 * @path.  A file that is not an SQLite database, or one from a newer
 * lanroot, is refused with a message in @err.  Return 0 or -errno.
 */
int registry_open(const char *path, struct registry **out, char *err, size_t errlen);
void registry_close(struct registry *reg);

/**
 * registry_set_busy_timeout() - how long a write waits for another
 * process's lock before failing with -EBUSY ("registry is locked by
 * another lanroot process").  Default 10000 ms.  Readers never wait
 * (WAL).
 */
void registry_set_busy_timeout(struct registry *reg, int ms);

/** registry_error() - message for the last failure on @reg. */
const char *registry_error(const struct registry *reg);

/** registry_schema_version() - the schema version of an open registry. */
int registry_schema_version(struct registry *reg);

/**
 * registry_begin()/registry_commit()/registry_abort() - group several
 * calls into one transaction (BEGIN IMMEDIATE).  Calls made inside do not
 * open their own.  Pairs nest (inner ones are SAVEPOINTs): an inner
 * abort undoes only what was done since its begin; only the outermost
 * commit makes anything durable.  A function that fails inside leaves the
 * transaction as it was before the call.
 * (The transaction abort is not called registry_rollback(): that name is
 * the image rollback below.)  Return 0 or -errno.
 */
int registry_begin(struct registry *reg);
int registry_commit(struct registry *reg);
int registry_abort(struct registry *reg);

/**
 * registry_audit() - record an admin action: who (the user name of the
 * calling process, or $SUDO_USER), what (@action, an event name), and
 * @detail (a JSON object as text, may be NULL).
 */
int registry_audit(struct registry *reg, const char *action, const char *detail);

struct reg_audit {
	int64_t id;
	char at[REG_TIME_MAX];
	char who[64];
	char action[64];
	char detail[1024];
};
/** registry_audit_list() - the last @limit entries (0 = all), newest first. */
int registry_audit_list(struct registry *reg, size_t limit, struct reg_audit **out, size_t *n);

/* ---- images and versions ------------------------------------------- */

int registry_image_get(struct registry *reg, const char *name, struct reg_image *out);
int registry_image_list(struct registry *reg, struct reg_image **out, size_t *n);
/** registry_image_delete() - remove an image with no versions left. */
int registry_image_delete(struct registry *reg, const char *name);

/**
 * registry_version_add() - record a new version of @v->image (the image is
 * created if new).  The version number is allocated here, inside the write
 * lock: @v->version is ignored and the number given is returned in
 * *@version.  The first version of an image is published at once.
 * @reserve: call back with the number before the row is committed (to move
 *           the version directory into place); if it fails, nothing is
 *           recorded and its error is returned.  May be NULL.
 *           A failed reserve does not use up the number: the next add is
 *           given the same one, so reserve must leave nothing behind.  A
 *           number that was ever committed is never given out again, even
 *           after that version is deleted.
 *           Should the final COMMIT fail after reserve succeeded, the
 *           error is returned and the caller undoes what reserve did.
 * Checked: image name (name_valid), format (ext4|erofs|squashfs|raw),
 * sha256 ("" or 64 lowercase hex digits), kernel/initrd (plain file names),
 * every string's length against its field.  @v->created "" = now.
 */
int registry_version_add(struct registry *reg, const struct reg_version *v,
			 int (*reserve)(int version, void *arg), void *arg,
			 int *version);
int registry_version_get(struct registry *reg, const char *image, int version,
			 struct reg_version *out);
/** registry_version_list() - versions of @image, ascending. */
int registry_version_list(struct registry *reg, const char *image,
			  struct reg_version **out, size_t *n);
/**
 * registry_version_delete() - forget a version.  Refused (-EBUSY, message
 * naming the group) while a group pins it or follows it as the published
 * version, and refused for the published version itself unless it is the
 * image's last version (then the image is left with nothing published, and
 * its next version is published at once).  Numbers are never reused.
 */
int registry_version_delete(struct registry *reg, const char *image, int version);

/**
 * registry_version_users() - names of the groups that boot @image@@version
 * now (pinned, or following it as published), comma-separated in @out
 * ("" = none).  Return 0 or -errno.
 */
int registry_version_users(struct registry *reg, const char *image, int version,
			   char *out, size_t outlen);

/**
 * registry_publish() - make @version the published version of @image;
 * groups that follow the image boot it from their next boot.  The previous
 * one is remembered for rollback.
 */
int registry_publish(struct registry *reg, const char *image, int version);

/**
 * registry_rollback() - publish again the version published before the
 * current one.  *@now receives it.  -ENOENT (with a message) if there is
 * nothing to roll back to.
 */
int registry_rollback(struct registry *reg, const char *image, int *now);

/* ---- groups ---------------------------------------------------------- */

/**
 * registry_menu_next() - walk a group's menu: copy the image name that
 * starts at *@pos into @name and advance *@pos past it and its comma.
 * Return: true if there was one (false at the end of the list).
 */
bool registry_menu_next(const char *menu, size_t *pos, char name[NAME_MAX_LEN + 1]);

/**
 * registry_group_add() - @g->image must exist; @g->version (if set) too.
 * Checked: name_valid(), mode/proto/loader (empty = the REG_DEFAULT_*),
 * loader one of auto|pxelinux|ipxe|grub, cmdline length and no control
 * characters (it is written into boot loader configs); menu: image names
 * separated by commas (blanks around them are dropped), each existing, at
 * most REG_MENU_ITEMS_MAX; it is stored canonical ("a,b").
 */
int registry_group_add(struct registry *reg, const struct reg_group *g);
int registry_group_get(struct registry *reg, const char *name, struct reg_group *out);
int registry_group_list(struct registry *reg, struct reg_group **out, size_t *n);
/** registry_group_set() - replace the group named @g->name with @g. */
int registry_group_set(struct registry *reg, const struct reg_group *g);
/** registry_group_delete() - refused (-EBUSY) while clients belong to it. */
int registry_group_delete(struct registry *reg, const char *name);
/** registry_group_version() - the version @g boots now (pinned or published). */
int registry_group_version(struct registry *reg, const struct reg_group *g, int *version);

/* ---- clients --------------------------------------------------------- */

/**
 * registry_client_add() - @c->group must exist.  @c->mac may be in any
 * notation mac_parse() reads; it is stored canonical.  A client name may
 * not itself read as a MAC address (lookups accept either).  @c->ip: ""
 * or a unicast IPv4 address (not 0.0.0.0, loopback, multicast or
 * broadcast) that no other client reserves (-EEXIST).
 */
int registry_client_add(struct registry *reg, const struct reg_client *c);
/** registry_client_get() - by name, or by MAC in any notation. */
int registry_client_get(struct registry *reg, const char *name_or_mac, struct reg_client *out);
/** registry_client_by_ip() - the client reserving IPv4 @ip (dotted quad). */
int registry_client_by_ip(struct registry *reg, const char *ip, struct reg_client *out);
int registry_client_list(struct registry *reg, struct reg_client **out, size_t *n);
/**
 * registry_client_set() - replace the client whose MAC is @c->mac (any
 * notation); @c->created is ignored (kept).
 */
int registry_client_set(struct registry *reg, const struct reg_client *c);
int registry_client_delete(struct registry *reg, const char *name_or_mac);

/**
 * registry_client_resolve() - what the client boots now: its group, the
 * effective image version, mode and command line.
 */
int registry_client_resolve(struct registry *reg, const char *name_or_mac,
			    struct reg_resolved *out);

#endif
