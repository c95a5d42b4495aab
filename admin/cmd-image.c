/* lanroot image: import, list, show, versions, publish, rollback, delete,
 * gc, verify, diff.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "diff.h"
#include "events.h"
#include "import.h"
#include "log.h"
#include "parse.h"
#include "registry.h"
#include "util.h"

/* A work directory in STATE_DIR/tmp that nothing has modified for this
 * long is a leftover of a crashed lanroot and `image gc` removes it. */
#define GC_TMP_MIN_AGE (60 * 60)
/* Room for a list of group names in a message. */
#define USERS_MAX 1024
/* Directories nftw() may hold open at once while walking tmp/. */
#define GC_WALK_FDS 16

/* ---- shared helpers ------------------------------------------------------- */

/**
 * name_version_operands() - the operands NAME [VERSION] of `image delete`
 * and `image verify`.
 * @cmd:     "lanroot image delete"
 * @version: the VERSION, 0 when not given
 * Return: 0, or EXIT_USAGE after the message.
 */
static int name_version_operands(const char *cmd, int argc, char **argv, int *version)
{
	*version = 0;
	if (argc - optind != 1 && argc - optind != 2)
		return admin_usage_error(cmd, "%s: expected NAME [VERSION]",
					 cmd + strlen("lanroot "));
	if (argc - optind == 2 && admin_parse_version(cmd, argv[optind + 1], version) < 0)
		return EXIT_USAGE;
	return 0;
}

/**
 * used_by_json() - names of the groups among @gr (@ngr of them) that boot
 * @image@@version now (pinned, or following it as the published version).
 */
static json_t *used_by_json(struct admin *a, const struct reg_group *gr, size_t ngr,
			    const char *image, int version)
{
	json_t *arr = json_array();
	size_t i;
	int boots;

	for (i = 0; i < ngr; i++) {
		if (strcmp(gr[i].image, image) != 0)
			continue;
		if (registry_group_version(a->st->reg, &gr[i], &boots) == 0 && boots == version)
			json_array_append_new(arr, json_string(gr[i].name));
	}
	return arr;
}

/**
 * writable_users() - groups (and clients overriding the mode) that would
 * write to @image@@version if it became the published one, i.e. those that
 * follow the published version in a persistent or reset-on-boot mode.
 * Their names go to @out ("" = none).  Return 0 or -errno.
 */
static int writable_users(struct admin *a, const char *image, char *out, size_t outlen)
{
	struct reg_group *gr = NULL;
	struct reg_client *cl = NULL;
	size_t ngr = 0, ncl = 0, i, k;
	const struct reg_group *g;
	int rc;

	out[0] = '\0';
	rc = registry_group_list(a->st->reg, &gr, &ngr);
	if (rc == 0)
		rc = registry_client_list(a->st->reg, &cl, &ncl);
	if (rc < 0)
		goto out;
	for (i = 0; i < ngr; i++) {
		g = &gr[i];
		if (strcmp(g->image, image) != 0 || g->version)
			continue;
		if (admin_writable_mode(g->mode)) {
			admin_list_add(out, outlen, "group %s", g->name);
			continue;
		}
		for (k = 0; k < ncl; k++)
			if (admin_overrides_writable(&cl[k], g->name))
				admin_list_add(out, outlen, "client %s", cl[k].name);
	}
out:
	free(gr);
	free(cl);
	return rc;
}

/* ---- import --------------------------------------------------------------- */

static const char import_usage[] =
	"Usage: lanroot image import NAME PATH [OPTIONS]\n"
	"\n"
	"Make a new version of image NAME (created if new) from PATH: a raw file\n"
	"system image, a directory tree or a tar archive (e.g. docker export).\n"
	"The first version of an image is published at once; later ones are not\n"
	"until 'lanroot image publish NAME VERSION'.\n"
	"\n"
	"Options:\n"
	"  --format FMT   ext4 | erofs | squashfs: the file system to build from a\n"
	"                 tree or tar (default ext4); raw: take PATH as it is,\n"
	"                 without looking for a file system in it\n"
	"  --kernel FILE  kernel (default: vmlinuz* in the tree's /boot)\n"
	"  --initrd FILE  initrd (default: initrd.img* or initramfs* in /boot)\n"
	"  --note TEXT    free text kept with the version\n"
	"  --size SIZE    size of a built ext4 image (e.g. 2G; default: estimated)\n"
	"  --json         print the new version as a JSON object\n"
	"  -h, --help     this help\n";

/** import_format_valid() - a --format of `image import`. */
static bool import_format_valid(const char *s)
{
	return !strcmp(s, "ext4") || !strcmp(s, "erofs") || !strcmp(s, "squashfs") ||
	       !strcmp(s, "raw");
}

/** cmd_image_import() - `lanroot image import NAME PATH [OPTIONS]`. */
static int cmd_image_import(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image import";
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "note", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct import_opts o = { .kind = IMPORT_AUTO };
	struct reg_version v;
	char err[1024], *source;
	bool json = false;
	int c, rc, version = 0;

	while ((c = admin_getopt(argc, argv, "h", opts, cmd)) != -1) {
		switch (c) {
		case 'f':
			if (admin_check_choice(cmd, import_format_valid(optarg), "format", optarg,
					       "ext4, erofs, squashfs or raw"))
				return EXIT_USAGE;
			o.format = optarg;
			if (!strcmp(optarg, "raw"))
				o.kind = IMPORT_RAW;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'i':
			o.initrd = optarg;
			break;
		case 'n':
			if (admin_check_note(cmd, optarg))
				return EXIT_USAGE;
			o.note = optarg;
			break;
		case 's':
			if (parse_size(optarg, &o.size) < 0 || !o.size)
				return admin_usage_error(cmd, "image import: invalid size '%s'",
							 optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return admin_help(import_usage);
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2)
		return admin_usage_error(cmd, "image import: expected NAME and PATH");
	o.image = argv[optind];
	o.src = argv[optind + 1];
	if (!name_valid(o.image))
		return admin_usage_error(cmd, "image import: invalid image name '%s': 1-63 of "
			"A-Z a-z 0-9 . _ -, starting with a letter or digit", o.image);
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;

	o.progress = admin_progress(a);
	err[0] = '\0';
	rc = image_import(a->st, &o, &version, err, sizeof(err));
	admin_progress_done(a);
	if (rc < 0) {
		log_event(EV_IMAGE_IMPORT_FAIL, "{s:s, s:s, s:s}", "image", o.image,
			  "source", o.src, "error", *err ? err : strerror(-rc));
		return admin_error("image import: %s", *err ? err : strerror(-rc));
	}
	if (admin_version_get(a, "image import", o.image, version, &v))
		return EXIT_FAIL;
	source = realpath(o.src, NULL);
	admin_audit(a, EV_IMAGE_IMPORT, json_pack("{s:s, s:i, s:s, s:s, s:I, s:s}",
		"image", v.image, "version", v.version, "source", source ? source : o.src,
		"format", v.format, "size", (json_int_t)v.size, "sha256", v.sha256));
	free(source);
	if (json)
		return admin_print_json(admin_json_version(a, &v));
	if (v.published)
		admin_say(a, "imported %s version %d (published)", v.image, v.version);
	else
		admin_say(a, "imported %s version %d (unpublished; publish with: "
			  "lanroot image publish %s %d)", v.image, v.version, v.image, v.version);
	return EXIT_OK;
}

/* ---- list ------------------------------------------------------------------ */

static const char list_usage[] =
	"Usage: lanroot image list [--json]\n"
	"\n"
	"List images: name, published version, latest version, number of versions.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON array\n"
	"  -h, --help  this help\n";

/** image_json() - an image's summary as JSON. */
static json_t *image_json(const struct reg_image *im)
{
	return json_pack("{s:s, s:o, s:o, s:i, s:s}",
			 "name", im->name,
			 "published", admin_json_int_or_null(im->published),
			 "latest", admin_json_int_or_null(im->latest),
			 "versions", im->nversions,
			 "created", im->created);
}

/** cmd_image_list() - `lanroot image list [--json]`. */
static int cmd_image_list(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image list";
	struct reg_image *im = NULL;
	size_t n = 0, i;
	bool json;
	json_t *arr;
	char pub[16];
	int rc;

	rc = admin_opts_json(argc, argv, cmd, list_usage, &json);
	if (rc >= 0)
		return rc;
	if (admin_no_operands(cmd, argc, argv))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (registry_image_list(a->st->reg, &im, &n) < 0)
		return admin_registry_error(a, "image list");
	if (json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, image_json(&im[i]));
		free(im);
		return admin_print_json(arr);
	}
	printf("%-24s %-9s %-6s %s\n", "NAME", "PUBLISHED", "LATEST", "VERSIONS");
	for (i = 0; i < n; i++)
		printf("%-24s %-9s %-6d %d\n", im[i].name,
		       admin_number_or(pub, sizeof(pub), im[i].published, "-"), im[i].latest,
		       im[i].nversions);
	free(im);
	return EXIT_OK;
}

/* ---- show and versions --------------------------------------------------- */

static const char show_usage[] =
	"Usage: lanroot image show NAME [--json]\n"
	"\n"
	"Show an image, its versions, and which groups boot which version.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON object\n"
	"  -h, --help  this help\n";

static const char versions_usage[] =
	"Usage: lanroot image versions NAME [--json]\n"
	"\n"
	"List the versions of an image: number, size, creation time, parent\n"
	"(the version it was captured from), whether published, note.  The JSON\n"
	"form adds the content digest (sha256, see lanroot(8)), format and path.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON array\n"
	"  -h, --help  this help\n";

/** print_versions() - the human table of versions (with users if @users). */
static void print_versions(struct admin *a, const struct reg_version *v, size_t n, bool users)
{
	char size[32], parent[16], used[USERS_MAX];
	size_t i;

	printf("%-7s %-10s %-20s %-8s %-6s %-9s %s%s\n", "VERSION", "SIZE", "CREATED", "FORMAT",
	       "PARENT", "PUBLISHED", users ? "USED BY          " : "", "NOTE");
	for (i = 0; i < n; i++) {
		human_size(v[i].size, size, sizeof(size));
		printf("%-7d %-10s %-20s %-8s %-6s %-9s ", v[i].version, size, v[i].created,
		       v[i].format, admin_number_or(parent, sizeof(parent), v[i].parent, "-"),
		       v[i].published ? "yes" : "no");
		if (users) {
			if (registry_version_users(a->st->reg, v[i].image, v[i].version, used,
						   sizeof(used)) < 0 || !*used)
				str_copy(used, sizeof(used), "-");
			printf("%-16s ", used);
		}
		printf("%s\n", v[i].note);
	}
}

/** cmd_image_show() - `lanroot image show NAME [--json]`. */
static int cmd_image_show(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image show";
	struct reg_image im;
	struct reg_version *v = NULL;
	struct reg_group *gr = NULL;
	size_t nv = 0, ngr = 0, i;
	json_t *j, *vj, *versions, *groups;
	char pub[32], pinned[16];
	bool json;
	int rc, boots;

	rc = admin_opts_json(argc, argv, cmd, show_usage, &json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "image show: expected NAME");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image show", argv[optind], &im))
		return EXIT_FAIL;
	if (registry_version_list(a->st->reg, im.name, &v, &nv) < 0 ||
	    registry_group_list(a->st->reg, &gr, &ngr) < 0) {
		rc = admin_registry_error(a, "image show");
		goto out;
	}
	if (json) {
		j = image_json(&im);
		versions = json_array();
		for (i = 0; i < nv; i++) {
			vj = admin_json_version(a, &v[i]);
			json_object_set_new(vj, "used_by",
					    used_by_json(a, gr, ngr, im.name, v[i].version));
			json_array_append_new(versions, vj);
		}
		json_object_set_new(j, "versions", versions);
		groups = json_array();
		for (i = 0; i < ngr; i++)
			if (!strcmp(gr[i].image, im.name))
				json_array_append_new(groups, admin_json_group(a, &gr[i]));
		json_object_set_new(j, "groups", groups);
		rc = admin_print_json(j);
		goto out;
	}
	if (im.published)
		snprintf(pub, sizeof(pub), "published %d", im.published);
	else
		str_copy(pub, sizeof(pub), "nothing published");
	printf("image %s: %s, latest %d, %d version%s, created %s\n\n", im.name, pub,
	       im.latest, im.nversions, im.nversions == 1 ? "" : "s", im.created);
	print_versions(a, v, nv, true);
	printf("\n%-24s %-10s %s\n", "GROUP", "VERSION", "BOOTS");
	for (i = 0; i < ngr; i++) {
		if (strcmp(gr[i].image, im.name) != 0)
			continue;
		if (registry_group_version(a->st->reg, &gr[i], &boots) < 0)
			boots = 0;
		printf("%-24s %-10s %d\n", gr[i].name,
		       admin_number_or(pinned, sizeof(pinned), gr[i].version, "published"), boots);
	}
	rc = EXIT_OK;
out:
	free(v);
	free(gr);
	return rc;
}

/** cmd_image_versions() - `lanroot image versions NAME [--json]`. */
static int cmd_image_versions(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image versions";
	struct reg_image im;
	struct reg_version *v = NULL;
	size_t nv = 0, i;
	json_t *arr;
	bool json;
	int rc;

	rc = admin_opts_json(argc, argv, cmd, versions_usage, &json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "image versions: expected NAME");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image versions", argv[optind], &im))
		return EXIT_FAIL;
	if (registry_version_list(a->st->reg, im.name, &v, &nv) < 0)
		return admin_registry_error(a, "image versions");
	if (json) {
		arr = json_array();
		for (i = 0; i < nv; i++)
			json_array_append_new(arr, admin_json_version(a, &v[i]));
		free(v);
		return admin_print_json(arr);
	}
	print_versions(a, v, nv, false);
	free(v);
	return EXIT_OK;
}

/* ---- publish and rollback ------------------------------------------------- */

static const char publish_usage[] =
	"Usage: lanroot image publish NAME VERSION\n"
	"\n"
	"Make VERSION the published version of image NAME.  Groups that follow\n"
	"NAME (no pinned version) boot it from their next boot; clients running\n"
	"the old version keep it until they reboot.  A squashfs or erofs version\n"
	"is refused while a following group or client keeps a server-side\n"
	"overlay (persistent or reset-on-boot mode): those file systems are\n"
	"read-only.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

static const char rollback_usage[] =
	"Usage: lanroot image rollback NAME\n"
	"\n"
	"Publish again the version of NAME that was published before the current\n"
	"one.  Groups following NAME boot it from their next boot.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

/** cmd_image_publish() - `lanroot image publish NAME VERSION`. */
static int cmd_image_publish(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image publish";
	struct reg_image im;
	struct reg_version v;
	char users[USERS_MAX];
	int rc, version;

	rc = admin_opts_help(argc, argv, cmd, publish_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 2)
		return admin_usage_error(cmd, "image publish: expected NAME and VERSION");
	if (admin_parse_version(cmd, argv[optind + 1], &version) < 0)
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image publish", argv[optind], &im) ||
	    admin_version_get(a, "image publish", im.name, version, &v))
		return EXIT_FAIL;
	if (admin_read_only_format(v.format)) {
		if (writable_users(a, im.name, users, sizeof(users)) < 0)
			return admin_registry_error(a, "image publish");
		if (*users)
			return admin_error("image publish: %s version %d is %s, a read-only file "
				"system, but %s keep%s a server-side overlay over the published "
				"version; change their mode to volatile or pin them first",
				im.name, version, v.format, users, admin_plural(users) ? "" : "s");
	}
	if (registry_publish(a->st->reg, im.name, version) < 0)
		return admin_registry_error(a, "image publish");
	admin_audit(a, EV_IMAGE_PUBLISH, json_pack("{s:s, s:i, s:o}", "image", im.name,
		"version", version, "previous", admin_json_int_or_null(im.published)));
	if (im.published && im.published != version)
		admin_say(a, "published %s version %d (was %d)", im.name, version, im.published);
	else if (im.published == version)
		admin_say(a, "%s version %d was already published", im.name, version);
	else
		admin_say(a, "published %s version %d", im.name, version);
	return EXIT_OK;
}

/** cmd_image_rollback() - `lanroot image rollback NAME`. */
static int cmd_image_rollback(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image rollback";
	struct reg_image im;
	int rc, now = 0;

	rc = admin_opts_help(argc, argv, cmd, rollback_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "image rollback: expected NAME");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image rollback", argv[optind], &im))
		return EXIT_FAIL;
	if (registry_rollback(a->st->reg, im.name, &now) < 0)
		return admin_registry_error(a, "image rollback");
	admin_audit(a, EV_IMAGE_ROLLBACK, json_pack("{s:s, s:i, s:i}", "image", im.name,
		"version", now, "previous", im.published));
	admin_say(a, "rolled back %s to version %d (was %d)", im.name, now, im.published);
	return EXIT_OK;
}

/* ---- delete ---------------------------------------------------------------- */

static const char delete_usage[] =
	"Usage: lanroot image delete NAME [VERSION]\n"
	"\n"
	"With VERSION: delete that version.  Refused while a group boots it\n"
	"(pinned, or following it as the published version; the message names\n"
	"the group), and for the published version.\n"
	"Without VERSION: delete the whole image with all its versions.  Refused\n"
	"while any group uses the image (the message names the groups).\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

/**
 * image_groups() - names of the groups using @image (any version), comma
 * separated in @out.  Return 0 or -errno.
 */
static int image_groups(struct admin *a, const char *image, char *out, size_t outlen)
{
	struct reg_group *gr = NULL;
	size_t n = 0, i;
	int rc;

	out[0] = '\0';
	rc = registry_group_list(a->st->reg, &gr, &n);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (!strcmp(gr[i].image, image))
			admin_list_add(out, outlen, "%s", gr[i].name);
	free(gr);
	return 0;
}

/**
 * delete_whole_image() - delete every version of @im (the published one
 * last), then the image.  Stops at the first refusal.  EXIT_*.
 */
static int delete_whole_image(struct admin *a, const struct reg_image *im)
{
	struct reg_version *v = NULL;
	size_t nv = 0, i;
	char groups[USERS_MAX], err[512];
	int rc, pass;

	if (image_groups(a, im->name, groups, sizeof(groups)) < 0)
		return admin_registry_error(a, "image delete");
	if (*groups)
		return admin_error("image delete: image %s is used by group%s %s; delete the "
				   "group%s or move %s to another image first", im->name,
				   admin_plural(groups) ? "s" : "", groups,
				   admin_plural(groups) ? "s" : "",
				   admin_plural(groups) ? "them" : "it");
	if (registry_version_list(a->st->reg, im->name, &v, &nv) < 0)
		return admin_registry_error(a, "image delete");
	/* Unpublished versions in the first pass, the published one in the second. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nv; i++) {
			if (v[i].published != (pass == 1))
				continue;
			rc = store_delete_version(a->st, im->name, v[i].version, err,
						  sizeof(err));
			if (rc < 0)
				goto fail;
		}
	}
	if (registry_image_delete(a->st->reg, im->name) < 0) {
		str_copy(err, sizeof(err), registry_error(a->st->reg));
		goto fail;
	}
	free(v);
	admin_audit(a, EV_IMAGE_DELETE, json_pack("{s:s, s:i}", "image", im->name,
						  "versions", (int)nv));
	admin_say(a, "deleted image %s (%zu version%s)", im->name, nv, nv == 1 ? "" : "s");
	return EXIT_OK;
fail:
	free(v);
	return admin_error("image delete: %s", err);
}

/** cmd_image_delete() - `lanroot image delete NAME [VERSION]`. */
static int cmd_image_delete(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image delete";
	struct reg_image im;
	struct reg_version v;
	char err[512], users[USERS_MAX];
	int rc, version;

	rc = admin_opts_help(argc, argv, cmd, delete_usage);
	if (rc >= 0)
		return rc;
	if (name_version_operands(cmd, argc, argv, &version))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image delete", argv[optind], &im))
		return EXIT_FAIL;
	if (!version)
		return delete_whole_image(a, &im);
	if (admin_version_get(a, "image delete", im.name, version, &v))
		return EXIT_FAIL;
	/* Name the groups first: the store would only say "published". */
	if (registry_version_users(a->st->reg, im.name, version, users, sizeof(users)) < 0)
		return admin_registry_error(a, "image delete");
	if (*users)
		return admin_error("image delete: version %d of %s is in use by group%s %s",
				   version, im.name, admin_plural(users) ? "s" : "", users);
	rc = store_delete_version(a->st, im.name, version, err, sizeof(err));
	if (rc < 0)
		return admin_error("image delete: %s", err);
	admin_audit(a, EV_IMAGE_DELETE, json_pack("{s:s, s:i}", "image", im.name,
						  "version", version));
	admin_say(a, "deleted %s version %d", im.name, version);
	return EXIT_OK;
}

/* ---- gc --------------------------------------------------------------------- */

static const char gc_usage[] =
	"Usage: lanroot image gc [--dry-run] [--force] [--json]\n"
	"\n"
	"Remove the versions of every image that are\n"
	"  - not the published version,\n"
	"  - not booted by any group (pinned, or following the published one), and\n"
	"  - not the latest version of their image (a fresh import or capture is\n"
	"    kept until it is published or superseded).\n"
	"A removed version may be the parent of a kept one; parents are history,\n"
	"not dependencies.  Work directories in STATE_DIR/tmp that nothing has\n"
	"modified for an hour (left by an interrupted lanroot) are removed too.\n"
	"Prints what was removed and what was kept, and why.\n"
	"\n"
	"A client keeps the version it booted until it reboots: when\n"
	"lanroot-blockd answers on its control socket ([nbd] control), gc asks it\n"
	"which versions its sessions hold and keeps those too (\"in use by N\n"
	"sessions\").  When blockd is not running, or its socket file is stale\n"
	"(nothing answers on it), there are no sessions to ask about.  When\n"
	"something answers on the socket but not properly (no reply in time, an\n"
	"error, or not the reply of lanroot-blockd), gc refuses to run unless\n"
	"--force, which then goes on without knowing the sessions.\n"
	"\n"
	"Options:\n"
	"  --dry-run   only say what would be removed\n"
	"  --force     run even if lanroot-blockd cannot say which versions are in use\n"
	"  --json      a JSON object {\"dry_run\":…,\"blockd\":STATE,\"removed\":[…],\n"
	"              \"kept\":[{\"image\",\"version\",\"reason\",\"sessions\"}…],\n"
	"              \"tmp_removed\":[…]}; STATE is running, not running or not\n"
	"              answering, as in 'lanroot status'\n"
	"  -h, --help  this help\n";

/* Newest modification time seen by gc_newest_cb (nftw has no argument). */
static time_t gc_newest;

/** gc_newest_cb() - nftw() callback: note the newest mtime.  Always 0. */
static int gc_newest_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	if (sb->st_mtime > gc_newest)
		gc_newest = sb->st_mtime;
	return 0;
}

/**
 * gc_tmp() - remove (or, on a dry run, list) the entries of STATE_DIR/tmp
 * that nothing has touched for GC_TMP_MIN_AGE; add their names to @removed
 * and print them unless @json.  Return 0 or -errno.
 */
static int gc_tmp(struct admin *a, bool dry_run, bool json, json_t *removed)
{
	char *dir = xasprintf("%s/tmp", a->st->dir);
	struct dirent *de;
	char *path;
	time_t now = time(NULL);
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (!d) {
		rc = errno == ENOENT ? 0 : -errno;
		free(dir);
		return rc;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		gc_newest = 0;
		if (nftw(path, gc_newest_cb, GC_WALK_FDS, FTW_PHYS) < 0 ||
		    now - gc_newest < GC_TMP_MIN_AGE) {
			free(path);
			continue;
		}
		if (!dry_run) {
			rc = rm_rf(path);
			if (rc < 0) {
				log_warn("could not remove %s: %s", path, strerror(-rc));
				free(path);
				continue;
			}
		}
		json_array_append_new(removed, json_string(de->d_name));
		if (!json)
			printf("%s tmp/%s (left over)\n", dry_run ? "would remove" : "removed",
			       de->d_name);
		free(path);
	}
	closedir(d);
	free(dir);
	return 0;
}

/**
 * gc_reasons() - why version @v of @im is kept, "" if it is not.
 * @sessions: how many of lanroot-blockd's sessions hold it
 * Return 0 or -errno.
 */
static int gc_reasons(struct admin *a, const struct reg_image *im, const struct reg_version *v,
		      long long sessions, char *out, size_t outlen)
{
	char users[USERS_MAX];
	int rc;

	out[0] = '\0';
	rc = registry_version_users(a->st->reg, im->name, v->version, users, sizeof(users));
	if (rc < 0)
		return rc;
	if (*users)
		snprintf(out, outlen, "used by group%s %s", admin_plural(users) ? "s" : "", users);
	if (v->published)
		admin_list_add(out, outlen, "published");
	if (v->version == im->latest && !v->published)
		admin_list_add(out, outlen, "latest version");
	if (sessions > 0)
		admin_list_add(out, outlen, "in use by %lld session%s", sessions,
			       sessions == 1 ? "" : "s");
	return 0;
}

/**
 * gc_versions_in_use() - ask lanroot-blockd which versions its sessions
 * hold (see gc_usage for what happens when it cannot say).
 * @force:    go on without it when blockd does not answer properly
 * @versions: the array (none when blockd is not running), or NULL when
 *            unknown and @force
 * @state:    what answers on blockd's control socket
 * Return: 0, or EXIT_FAIL after the message.
 */
static int gc_versions_in_use(struct admin *a, bool force, json_t **versions,
			      enum blockd_state *state)
{
	char err[512];
	int rc;

	rc = admin_blockd_versions(a, versions, err, sizeof(err));
	*state = admin_blockd_state_of(rc);
	if (*state == BLOCKD_STALE)
		log_warn("%s exists but nothing answers on it; no sessions to keep versions "
			 "for", a->cfg.nbd_control);
	if (*state != BLOCKD_RUNNING) {
		*versions = json_array();
		return 0;
	}
	if (rc == 0)
		return 0;
	if (!force)
		return admin_error("image gc: lanroot-blockd is running (%s) but cannot say which "
				   "versions its sessions hold: %s; fix or stop it, or run with "
				   "--force", a->cfg.nbd_control, err);
	log_warn("lanroot-blockd (%s) cannot say which versions its sessions hold: %s; "
		 "going on without it (--force)", a->cfg.nbd_control, err);
	return 0;
}

/** cmd_image_gc() - `lanroot image gc [--dry-run] [--force] [--json]`. */
static int cmd_image_gc(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image gc";
	struct reg_image *im = NULL;
	struct reg_version *v = NULL;
	size_t nim = 0, nv = 0, i, k;
	bool dry_run = false, force = false, json = false;
	const struct admin_opt opts[] = {
		{ .name = "dry-run", .short_name = 'n', .flag = &dry_run },
		{ .name = "force", .flag = &force },
		{ .name = "json", .flag = &json },
		{ .name = NULL },
	};
	char why[USERS_MAX + 64], err[512];
	json_t *removed, *kept, *tmp_removed, *audit, *in_use = NULL;
	enum blockd_state blockd;
	long long sessions;
	int rc, status = EXIT_OK;

	rc = admin_parse_opts(argc, argv, cmd, gc_usage, opts);
	if (rc >= 0)
		return rc;
	if (admin_no_operands(cmd, argc, argv))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (gc_versions_in_use(a, force, &in_use, &blockd))
		return EXIT_FAIL;
	if (registry_image_list(a->st->reg, &im, &nim) < 0) {
		json_decref(in_use);
		return admin_registry_error(a, "image gc");
	}

	removed = json_array();
	kept = json_array();
	tmp_removed = json_array();
	for (i = 0; i < nim; i++) {
		if (registry_version_list(a->st->reg, im[i].name, &v, &nv) < 0) {
			status = admin_registry_error(a, "image gc");
			goto out;
		}
		for (k = 0; k < nv; k++) {
			sessions = admin_blockd_version_sessions(in_use, im[i].name, v[k].version);
			if (gc_reasons(a, &im[i], &v[k], sessions, why, sizeof(why)) < 0) {
				status = admin_registry_error(a, "image gc");
				goto out;
			}
			if (!*why && !dry_run) {
				rc = store_delete_version(a->st, im[i].name, v[k].version, err,
							  sizeof(err));
				if (rc < 0)	/* e.g. a group started using it meanwhile */
					snprintf(why, sizeof(why), "%s", err);
			}
			if (*why) {
				json_array_append_new(kept, json_pack("{s:s, s:i, s:s, s:I}",
					"image", im[i].name, "version", v[k].version, "reason", why,
					"sessions", (json_int_t)sessions));
				if (!json)
					printf("kept %s@%d: %s\n", im[i].name, v[k].version, why);
			} else {
				json_array_append_new(removed, json_pack("{s:s, s:i}",
					"image", im[i].name, "version", v[k].version));
				if (!json)
					printf("%s %s@%d\n", dry_run ? "would remove" : "removed",
					       im[i].name, v[k].version);
			}
		}
		free(v);
		v = NULL;
	}
	rc = gc_tmp(a, dry_run, json, tmp_removed);
	if (rc < 0)
		log_warn("could not clean %s/tmp: %s", a->st->dir, strerror(-rc));
	if (!dry_run && (json_array_size(removed) || json_array_size(tmp_removed))) {
		audit = json_pack("{s:O, s:O}", "removed", removed, "tmp_removed", tmp_removed);
		admin_audit(a, EV_IMAGE_GC, audit);
	}
	if (json) {
		status = admin_print_json(json_pack("{s:b, s:s, s:O, s:O, s:O}",
						    "dry_run", dry_run,
						    "blockd", admin_blockd_state_name(blockd),
						    "removed", removed, "kept", kept,
						    "tmp_removed", tmp_removed));
	} else if (!json_array_size(removed) && !json_array_size(tmp_removed)) {
		admin_say(a, "nothing to remove");
	}
out:
	free(v);
	free(im);
	json_decref(removed);
	json_decref(kept);
	json_decref(tmp_removed);
	json_decref(in_use);
	return status;
}

/* ---- verify ----------------------------------------------------------------- */

static const char verify_usage[] =
	"Usage: lanroot image verify NAME [VERSION] [--json]\n"
	"\n"
	"Recompute the content digest of a version's rootfs (all versions when\n"
	"VERSION is not given) and compare it with the registry and the\n"
	"manifest.  Exit status 1 if any does not match.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON array of {\"image\",\"version\",\"ok\",\"error\"}\n"
	"  -h, --help  this help\n";

/** cmd_image_verify() - `lanroot image verify NAME [VERSION] [--json]`. */
static int cmd_image_verify(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image verify";
	struct reg_image im;
	struct reg_version *v = NULL;
	size_t nv = 0, i;
	struct progress p;
	char err[512];
	json_t *arr;
	bool json;
	int rc, version, bad = 0, checked = 0;

	rc = admin_opts_json(argc, argv, cmd, verify_usage, &json);
	if (rc >= 0)
		return rc;
	if (name_version_operands(cmd, argc, argv, &version))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image verify", argv[optind], &im))
		return EXIT_FAIL;
	if (version) {
		v = xcalloc(1, sizeof(*v));
		nv = 1;
		if (admin_version_get(a, "image verify", im.name, version, v)) {
			free(v);
			return EXIT_FAIL;
		}
	} else if (registry_version_list(a->st->reg, im.name, &v, &nv) < 0) {
		return admin_registry_error(a, "image verify");
	}
	arr = json_array();
	p = admin_progress(a);
	for (i = 0; i < nv; i++) {
		err[0] = '\0';
		rc = store_verify_version(a->st, im.name, v[i].version, &p, err, sizeof(err));
		admin_progress_done(a);
		checked++;
		if (rc < 0) {
			bad++;
			if (!*err)
				str_copy(err, sizeof(err), strerror(-rc));
			json_array_append_new(arr, json_pack("{s:s, s:i, s:b, s:s}", "image",
				im.name, "version", v[i].version, "ok", 0, "error", err));
			if (!json)
				printf("%s@%d: FAILED: %s\n", im.name, v[i].version, err);
		} else {
			json_array_append_new(arr, json_pack("{s:s, s:i, s:b, s:n}", "image",
				im.name, "version", v[i].version, "ok", 1, "error"));
			if (!json)
				printf("%s@%d: ok\n", im.name, v[i].version);
		}
	}
	free(v);
	log_event(EV_IMAGE_VERIFY, "{s:s, s:i, s:i}", "image", im.name, "checked", checked,
		  "failed", bad);
	if (json) {
		rc = admin_print_json(arr);
		if (rc != EXIT_OK)
			return rc;
	} else {
		json_decref(arr);
	}
	if (bad)
		return admin_error("image verify: %d of %d version%s of %s failed", bad, checked,
				   checked == 1 ? "" : "s", im.name);
	return EXIT_OK;
}

/* ---- diff -------------------------------------------------------------------- */

static const char diff_usage[] =
	"Usage: lanroot image diff NAME A B [--json]\n"
	"\n"
	"List the files added (A), removed (D) and changed (M: content, type, mode,\n"
	"owner or symlink target) from version A to version B of image NAME:\n"
	"    M /etc/hostname\n"
	"\n"
	"Options:\n"
	"  --json      a JSON array of {\"change\":\"added|removed|changed\",\"path\":…}\n"
	"  -h, --help  this help\n";

struct diff_out {
	bool json;
	json_t *arr;
};

/** diff_print() - diff_cb: one line, or one JSON element. */
static int diff_print(enum diff_change change, const char *path, void *arg)
{
	struct diff_out *d = arg;
	const char *name;

	if (!d->json) {
		printf("%c %s\n", (char)change, path);
		return 0;
	}
	switch (change) {
	case DIFF_ADDED:
		name = "added";
		break;
	case DIFF_REMOVED:
		name = "removed";
		break;
	default:
		name = "changed";
		break;
	}
	json_array_append_new(d->arr, json_pack("{s:s, s:s}", "change", name, "path", path));
	return 0;
}

/** cmd_image_diff() - `lanroot image diff NAME A B [--json]`. */
static int cmd_image_diff(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot image diff";
	struct reg_image im;
	struct reg_version va, vb;
	struct diff_out d = { 0 };
	char err[1024];
	int rc, na, nb;

	rc = admin_opts_json(argc, argv, cmd, diff_usage, &d.json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 3)
		return admin_usage_error(cmd, "image diff: expected NAME A B");
	if (admin_parse_version(cmd, argv[optind + 1], &na) < 0 ||
	    admin_parse_version(cmd, argv[optind + 2], &nb) < 0)
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_image_get(a, "image diff", argv[optind], &im) ||
	    admin_version_get(a, "image diff", im.name, na, &va) ||
	    admin_version_get(a, "image diff", im.name, nb, &vb))
		return EXIT_FAIL;
	if (d.json)
		d.arr = json_array();
	err[0] = '\0';
	rc = image_diff(a->st, im.name, na, nb, diff_print, &d, err, sizeof(err));
	if (rc < 0) {
		json_decref(d.arr);
		fflush(stdout);
		return admin_error("image diff: %s", *err ? err : strerror(-rc));
	}
	if (d.json)
		return admin_print_json(d.arr);
	return EXIT_OK;
}

/* ---- the command table ------------------------------------------------------ */

static const struct admin_cmd image_cmds[] = {
	{ "import", cmd_image_import, "new version from an image file, tree or tar" },
	{ "list", cmd_image_list, "images with published and latest version" },
	{ "show", cmd_image_show, "an image, its versions and the groups using them" },
	{ "versions", cmd_image_versions, "the versions of an image" },
	{ "publish", cmd_image_publish, "make a version the one groups follow" },
	{ "rollback", cmd_image_rollback, "publish the previously published version" },
	{ "delete", cmd_image_delete, "delete a version, or an image no group uses" },
	{ "gc", cmd_image_gc, "remove versions nothing uses, and leftovers" },
	{ "verify", cmd_image_verify, "recheck content digests" },
	{ "diff", cmd_image_diff, "files added, removed, changed between versions" },
	{ NULL, NULL, NULL },
};

/** cmd_image() - `lanroot image COMMAND …`. */
int cmd_image(struct admin *a, int argc, char **argv)
{
	return admin_dispatch(a, "lanroot image", image_cmds, argc - 1, argv + 1);
}
