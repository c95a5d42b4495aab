/* lanroot group: add, list, show, set, delete. */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "events.h"
#include "log.h"
#include "parse.h"
#include "registry.h"
#include "util.h"

/* Boot loader choices (struct reg_group.loader). */
static const char *const loaders[] = { "auto", "pxelinux", "ipxe", "grub", NULL };

/* Room for a list of names in a message. */
#define NAMES_MAX 1024

/** loader_valid() - @s is one of the boot loader choices. */
static bool loader_valid(const char *s)
{
	size_t i;

	for (i = 0; loaders[i]; i++)
		if (!strcmp(loaders[i], s))
			return true;
	return false;
}

/**
 * group_check_writable() - refuse a group whose version (pinned, or the
 * image's published one) is a read-only file system while the group, or
 * one of its clients by override, keeps a server-side overlay.  Prints the
 * reason.  Return 0 or EXIT_FAIL.
 */
static int group_check_writable(struct admin *a, const char *what, const struct reg_group *g)
{
	struct reg_version v;
	struct reg_client *cl = NULL;
	size_t n = 0, i;
	char names[NAMES_MAX] = "";
	int version, rc = 0;

	if (registry_group_version(a->st->reg, g, &version) < 0 || !version)
		return 0;	/* nothing to boot yet: nothing to check */
	if (admin_version_get(a, what, g->image, version, &v))
		return EXIT_FAIL;
	if (!admin_read_only_format(v.format))
		return 0;
	if (admin_writable_mode(g->mode))
		return admin_error("%s: mode %s needs a writable file system, but %s version %d "
				   "is %s (read-only); use mode volatile, or an ext4 or raw "
				   "version", what, g->mode, v.image, v.version, v.format);
	if (registry_client_list(a->st->reg, &cl, &n) < 0)
		return admin_registry_error(a, what);
	for (i = 0; i < n; i++)
		if (admin_overrides_writable(&cl[i], g->name))
			admin_list_add(names, sizeof(names), "%s", cl[i].name);
	free(cl);
	if (*names)
		rc = admin_error("%s: %s version %d is %s (read-only), but client%s %s of group "
				 "%s override%s the mode to a writable one; change %s first",
				 what, v.image, v.version, v.format, admin_plural(names) ? "s" : "",
				 names, g->name, admin_plural(names) ? "" : "s",
				 admin_plural(names) ? "them" : "it");
	return rc;
}

/* Settings that `group add` and `group set` share. */
struct group_opts {
	const char *image;
	const char *version;	/* "N" or "latest"; NULL = not given */
	const char *mode;
	const char *proto;
	const char *cmdline;
	const char *loader;
	const char *menu;	/* IMAGE[,IMAGE…], "" = none */
};

/*
 * admin_opt checks of the group options' values: each returns 0, or
 * EXIT_USAGE after saying what is wrong with @value.
 */

/** check_version() - --version N, "latest" or "published". */
static int check_version(const char *cmd, const char *value)
{
	int n;

	if (strcmp(value, "latest") && strcmp(value, "published") &&
	    admin_parse_version(cmd, value, &n) < 0)
		return EXIT_USAGE;
	return 0;
}

/** check_mode() - --mode: one of the modes. */
static int check_mode(const char *cmd, const char *value)
{
	return admin_check_choice(cmd, mode_valid(value), "mode", value,
				  "volatile, persistent or reset-on-boot");
}

/** check_proto() - --proto: nbd or iscsi. */
static int check_proto(const char *cmd, const char *value)
{
	return admin_check_choice(cmd, proto_valid(value), "protocol", value, "nbd or iscsi");
}

/** check_loader() - --loader: one of loaders[]. */
static int check_loader(const char *cmd, const char *value)
{
	return admin_check_choice(cmd, loader_valid(value), "loader", value,
				  "auto, pxelinux, ipxe or grub");
}

/** check_menu() - --menu: fits the registry field (the images are checked there). */
static int check_menu(const char *cmd, const char *value)
{
	if (strlen(value) >= REG_MENU_MAX)
		return admin_usage_error(cmd, "--menu is longer than %d characters",
					 REG_MENU_MAX - 1);
	return 0;
}

/**
 * parse_group_opts() - the option loop of `group add` and `group set`,
 * checking each value's syntax.  Return -1 to go on, else the exit status.
 */
static int parse_group_opts(int argc, char **argv, const char *cmd, const char *usage,
			    struct group_opts *o)
{
	const struct admin_opt opts[] = {
		{ .name = "image", .value = &o->image },
		{ .name = "version", .value = &o->version, .check = check_version },
		{ .name = "mode", .value = &o->mode, .check = check_mode },
		{ .name = "proto", .value = &o->proto, .check = check_proto },
		{ .name = "cmdline", .value = &o->cmdline, .check = admin_check_cmdline },
		{ .name = "loader", .value = &o->loader, .check = check_loader },
		{ .name = "menu", .value = &o->menu, .check = check_menu },
		{ .name = NULL },
	};

	return admin_parse_opts(argc, argv, cmd, usage, opts);
}

/**
 * apply_group_opts() - put the given settings into @g; checks that the
 * image and a pinned version exist.  Return 0 or EXIT_FAIL.
 */
static int apply_group_opts(struct admin *a, const char *what, const struct group_opts *o,
			    struct reg_group *g)
{
	struct reg_image im;
	struct reg_version v;
	bool image_changed = false;

	if (o->image) {
		if (admin_image_get(a, what, o->image, &im))
			return EXIT_FAIL;
		image_changed = strcmp(g->image, im.name) != 0;
		str_copy(g->image, sizeof(g->image), im.name);
	}
	if (o->version) {
		if (!strcmp(o->version, "latest") || !strcmp(o->version, "published"))
			g->version = 0;
		else
			parse_int(o->version, 1, INT32_MAX, &g->version);
	} else if (image_changed) {
		g->version = 0;	/* a pin into another image means nothing here */
	}
	if (g->version && admin_version_get(a, what, g->image, g->version, &v))
		return EXIT_FAIL;
	if (o->mode)
		str_copy(g->mode, sizeof(g->mode), o->mode);
	if (o->proto)
		str_copy(g->proto, sizeof(g->proto), o->proto);
	if (o->cmdline)
		str_copy(g->cmdline, sizeof(g->cmdline), o->cmdline);
	if (o->loader)
		str_copy(g->loader, sizeof(g->loader), o->loader);
	if (o->menu)
		str_copy(g->menu, sizeof(g->menu), o->menu);
	return 0;
}

/** group_detail() - the audit detail of a group. */
static json_t *group_detail(const struct reg_group *g)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "group", g->name,
			 "image", g->image,
			 "version", admin_json_int_or_null(g->version),
			 "mode", g->mode, "proto", g->proto, "cmdline", g->cmdline,
			 "loader", g->loader, "menu", g->menu);
}

/** describe_version() - "follows published (now 3)" or "pinned to 2". */
static void describe_version(struct admin *a, const struct reg_group *g, char *out, size_t len)
{
	int boots = 0;

	if (g->version) {
		snprintf(out, len, "pinned to version %d", g->version);
		return;
	}
	if (registry_group_version(a->st->reg, g, &boots) < 0 || !boots)
		snprintf(out, len, "follows the published version (none yet)");
	else
		snprintf(out, len, "follows the published version (now %d)", boots);
}

/* ---- add ---------------------------------------------------------------------- */

static const char add_usage[] =
	"Usage: lanroot group add NAME --image IMAGE [OPTIONS]\n"
	"\n"
	"Add a group of clients that boot IMAGE.\n"
	"\n"
	"Options:\n"
	"  --image IMAGE     the image the group boots (required)\n"
	"  --version N       pin version N (default: follow the published version)\n"
	"  --mode MODE       volatile (default): clean at every boot, nothing written\n"
	"                    on the server; persistent: each client's writes kept in\n"
	"                    its server-side overlay; reset-on-boot: server-side\n"
	"                    overlay thrown away at each boot.  The last two need a\n"
	"                    writable file system (not squashfs or erofs).\n"
	"  --proto PROTO     nbd (default) or iscsi\n"
	"  --cmdline TEXT    extra kernel command line (default none)\n"
	"  --loader LOADER   auto (default), pxelinux, ipxe or grub\n"
	"  --menu IMAGES     extra images its boot menu offers, comma-separated; each\n"
	"                    boots its published version, volatile (default none)\n"
	"  -h, --help        this help\n";

/** cmd_group_add() - `lanroot group add NAME --image IMAGE [OPTIONS]`. */
static int cmd_group_add(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot group add";
	struct group_opts o = { 0 };
	struct reg_group g;
	char desc[128];
	int rc;

	rc = parse_group_opts(argc, argv, cmd, add_usage, &o);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "group add: expected NAME");
	if (!name_valid(argv[optind]))
		return admin_usage_error(cmd, "group add: invalid group name '%s': 1-63 of "
			"A-Z a-z 0-9 . _ -, starting with a letter or digit", argv[optind]);
	if (!o.image)
		return admin_usage_error(cmd, "group add: --image is required");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;

	memset(&g, 0, sizeof(g));
	str_copy(g.name, sizeof(g.name), argv[optind]);
	str_copy(g.mode, sizeof(g.mode), REG_DEFAULT_MODE);
	str_copy(g.proto, sizeof(g.proto), REG_DEFAULT_PROTO);
	str_copy(g.loader, sizeof(g.loader), REG_DEFAULT_LOADER);
	if (apply_group_opts(a, "group add", &o, &g) || group_check_writable(a, "group add", &g))
		return EXIT_FAIL;
	if (registry_group_add(a->st->reg, &g) < 0)
		return admin_registry_error(a, "group add");
	admin_audit(a, EV_GROUP_ADD, group_detail(&g));
	describe_version(a, &g, desc, sizeof(desc));
	admin_say(a, "added group %s: image %s, %s, %s, %s", g.name, g.image, desc, g.mode,
		  g.proto);
	return EXIT_OK;
}

/* ---- list and show ------------------------------------------------------------- */

static const char list_usage[] =
	"Usage: lanroot group list [--json]\n"
	"\n"
	"List groups: image, pinned version (or 'published'), the version they\n"
	"boot now, mode, protocol, loader and number of clients.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON array\n"
	"  -h, --help  this help\n";

static const char show_usage[] =
	"Usage: lanroot group show NAME [--json]\n"
	"\n"
	"Show a group: its settings, the version it boots now, and its clients.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON object\n"
	"  -h, --help  this help\n";

/** cmd_group_list() - `lanroot group list [--json]`. */
static int cmd_group_list(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot group list";
	struct reg_group *gr = NULL;
	size_t n = 0, i;
	json_t *arr, *j;
	char pinned[16], boots[16];
	bool json;
	int rc;

	rc = admin_opts_json(argc, argv, cmd, list_usage, &json);
	if (rc >= 0)
		return rc;
	if (admin_no_operands(cmd, argc, argv))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (registry_group_list(a->st->reg, &gr, &n) < 0)
		return admin_registry_error(a, "group list");
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, admin_json_group(a, &gr[i]));
	free(gr);
	if (json)
		return admin_print_json(arr);
	printf("%-20s %-20s %-9s %-5s %-13s %-5s %-8s %s\n", "NAME", "IMAGE", "VERSION",
	       "BOOTS", "MODE", "PROTO", "LOADER", "CLIENTS");
	for (i = 0; i < json_array_size(arr); i++) {
		j = json_array_get(arr, i);
		printf("%-20s %-20s %-9s %-5s %-13s %-5s %-8s %zu\n",
		       json_string_value(json_object_get(j, "name")),
		       json_string_value(json_object_get(j, "image")),
		       admin_number_or(pinned, sizeof(pinned),
				       json_integer_value(json_object_get(j, "version")),
				       "published"),
		       admin_number_or(boots, sizeof(boots),
				       json_integer_value(json_object_get(j, "boots")), "-"),
		       json_string_value(json_object_get(j, "mode")),
		       json_string_value(json_object_get(j, "proto")),
		       json_string_value(json_object_get(j, "loader")),
		       json_array_size(json_object_get(j, "clients")));
	}
	json_decref(arr);
	return EXIT_OK;
}

/** cmd_group_show() - `lanroot group show NAME [--json]`. */
static int cmd_group_show(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot group show";
	struct reg_group g;
	struct reg_client *cl = NULL;
	size_t n = 0, i;
	char desc[128];
	bool json, any = false;
	int rc;

	rc = admin_opts_json(argc, argv, cmd, show_usage, &json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "group show: expected NAME");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_group_get(a, "group show", argv[optind], &g))
		return EXIT_FAIL;
	if (json)
		return admin_print_json(admin_json_group(a, &g));
	if (registry_client_list(a->st->reg, &cl, &n) < 0)
		return admin_registry_error(a, "group show");
	describe_version(a, &g, desc, sizeof(desc));
	printf("group:    %s\n", g.name);
	printf("image:    %s, %s\n", g.image, desc);
	printf("mode:     %s\n", g.mode);
	printf("proto:    %s\n", g.proto);
	printf("loader:   %s\n", g.loader);
	printf("cmdline:  %s\n", g.cmdline);
	printf("menu:     %s\n", *g.menu ? g.menu : "(none)");
	printf("clients:\n");
	for (i = 0; i < n; i++) {
		if (strcmp(cl[i].group, g.name) != 0)
			continue;
		printf("  %-20s %-17s %s\n", cl[i].name, cl[i].mac,
		       *cl[i].mode ? cl[i].mode : "(group's mode)");
		any = true;
	}
	if (!any)
		printf("  (none)\n");
	free(cl);
	return EXIT_OK;
}

/* ---- set and delete --------------------------------------------------------------- */

static const char set_usage[] =
	"Usage: lanroot group set NAME [OPTIONS]\n"
	"\n"
	"Change a group's settings; what is not given stays as it is.  Clients\n"
	"get the change at their next boot.  Changing --image without --version\n"
	"makes the group follow the new image's published version.\n"
	"\n"
	"Options:\n"
	"  --image IMAGE     boot another image\n"
	"  --version N       pin version N; 'latest' (or 'published'): follow the\n"
	"                    published version\n"
	"  --mode MODE       volatile, persistent or reset-on-boot\n"
	"  --proto PROTO     nbd or iscsi\n"
	"  --cmdline TEXT    extra kernel command line ('' for none)\n"
	"  --loader LOADER   auto, pxelinux, ipxe or grub\n"
	"  --menu IMAGES     extra images its boot menu offers, comma-separated\n"
	"                    ('' for none)\n"
	"  -h, --help        this help\n";

static const char delete_usage[] =
	"Usage: lanroot group delete NAME\n"
	"\n"
	"Delete a group.  Refused while clients belong to it.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

/** cmd_group_set() - `lanroot group set NAME [OPTIONS]`. */
static int cmd_group_set(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot group set";
	struct group_opts o = { 0 };
	struct reg_group g, old;
	int rc, before = 0, after = 0;

	rc = parse_group_opts(argc, argv, cmd, set_usage, &o);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "group set: expected NAME");
	if (!o.image && !o.version && !o.mode && !o.proto && !o.cmdline && !o.loader &&
	    !o.menu)
		return admin_usage_error(cmd, "group set: nothing to change");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_group_get(a, "group set", argv[optind], &g))
		return EXIT_FAIL;
	old = g;
	if (apply_group_opts(a, "group set", &o, &g) || group_check_writable(a, "group set", &g))
		return EXIT_FAIL;
	if (registry_group_set(a->st->reg, &g) < 0)
		return admin_registry_error(a, "group set");
	admin_audit(a, EV_GROUP_SET, group_detail(&g));
	admin_say(a, "changed group %s", g.name);
	registry_group_version(a->st->reg, &old, &before);
	registry_group_version(a->st->reg, &g, &after);
	if ((strcmp(old.image, g.image) || before != after) && admin_writable_mode(g.mode))
		admin_say(a, "its clients boot %s version %d from their next boot; server-side "
			  "overlays made over %s version %d no longer apply (lanroot client "
			  "reset clears them)", g.image, after, old.image, before);
	else if (strcmp(old.image, g.image) || before != after)
		admin_say(a, "its clients boot %s version %d from their next boot", g.image,
			  after);
	return EXIT_OK;
}

/** cmd_group_delete() - `lanroot group delete NAME`. */
static int cmd_group_delete(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot group delete";
	struct reg_group g;
	int rc;

	rc = admin_opts_help(argc, argv, cmd, delete_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "group delete: expected NAME");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_group_get(a, "group delete", argv[optind], &g))
		return EXIT_FAIL;
	if (registry_group_delete(a->st->reg, g.name) < 0)
		return admin_registry_error(a, "group delete");
	admin_audit(a, EV_GROUP_DELETE, json_pack("{s:s}", "group", g.name));
	admin_say(a, "deleted group %s", g.name);
	return EXIT_OK;
}

static const struct admin_cmd group_cmds[] = {
	{ "add", cmd_group_add, "add a group: image, version, mode, protocol" },
	{ "list", cmd_group_list, "groups and what they boot" },
	{ "show", cmd_group_show, "a group, the version it boots and its clients" },
	{ "set", cmd_group_set, "change a group's settings" },
	{ "delete", cmd_group_delete, "delete a group without clients" },
	{ NULL, NULL, NULL },
};

/** cmd_group() - `lanroot group COMMAND …`. */
int cmd_group(struct admin *a, int argc, char **argv)
{
	return admin_dispatch(a, "lanroot group", group_cmds, argc - 1, argv + 1);
}
