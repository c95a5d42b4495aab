/* lanroot client: add, list, show, set, delete, reset, capture; and the
 * diagnostic `lanroot overlay read|write`.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "capture.h"
#include "events.h"
#include "log.h"
#include "mac.h"
#include "overlay.h"
#include "parse.h"
#include "registry.h"
#include "util.h"

/* `lanroot overlay read|write` move at most this much at once. */
#define OVERLAY_IO_MAX (64u * 1024 * 1024)
/* --mode value that drops a client's override. */
#define MODE_FROM_GROUP "group"

/* ---- shared helpers ------------------------------------------------------------ */

/**
 * client_check_writable() - refuse mode @mode for a client of group @g
 * when the version @g boots is a read-only file system.  0 / EXIT_FAIL.
 */
static int client_check_writable(struct admin *a, const char *what, const struct reg_group *g,
				 const char *mode)
{
	struct reg_version v;
	int version;

	if (!admin_writable_mode(mode))
		return 0;
	if (registry_group_version(a->st->reg, g, &version) < 0 || !version)
		return 0;
	if (admin_version_get(a, what, g->image, version, &v))
		return EXIT_FAIL;
	if (admin_read_only_format(v.format))
		return admin_error("%s: mode %s needs a writable file system, but group %s boots "
				   "%s version %d, which is %s (read-only)", what, mode, g->name,
				   v.image, v.version, v.format);
	return 0;
}

/**
 * check_client_name() - admin_opt check of --name: names must follow the
 * name rule and must not read as a MAC address (a lookup by NAME|MAC would
 * be ambiguous).  Return 0, or EXIT_USAGE after the message.
 */
static int check_client_name(const char *cmd, const char *name)
{
	char mac[MAC_STR_LEN];

	if (!name_valid(name))
		return admin_usage_error(cmd, "%s: invalid client name '%s': 1-63 of A-Z a-z "
					 "0-9 . _ -, starting with a letter or digit",
					 cmd + strlen("lanroot "), name);
	if (mac_canonical(name, mac) == 0)
		return admin_usage_error(cmd, "%s: invalid client name '%s': it reads as a MAC "
					 "address", cmd + strlen("lanroot "), name);
	return 0;
}

/**
 * check_client_mode() - admin_opt check of --mode: a mode, or "group" to
 * drop the override.  Return 0, or EXIT_USAGE after the message.
 */
static int check_client_mode(const char *cmd, const char *mode)
{
	return admin_check_choice(cmd, !strcmp(mode, MODE_FROM_GROUP) || mode_valid(mode), "mode",
				  mode, "volatile, persistent, reset-on-boot or group");
}

/** overlay_data_bytes() - size of a client's overlay data file, 0 if none. */
static uint64_t overlay_data_bytes(struct admin *a, const char *mac)
{
	char *dir = store_overlay_dir(a->st, mac);
	char *data = xasprintf("%s/data", dir);
	struct stat sb;
	uint64_t n = 0;

	if (stat(data, &sb) == 0)
		n = (uint64_t)sb.st_blocks * 512;
	free(data);
	free(dir);
	return n;
}

/* ---- add --------------------------------------------------------------------------- */

static const char add_usage[] =
	"Usage: lanroot client add MAC --name NAME --group GROUP [OPTIONS]\n"
	"\n"
	"Add a client by its Ethernet address, in any common notation\n"
	"(52:54:00:12:34:56, 52-54-00-12-34-56, 5254.0012.3456, 525400123456,\n"
	"01-52-54-00-12-34-56); it is stored as 52:54:00:12:34:56.\n"
	"\n"
	"Options:\n"
	"  --name NAME      the client's name (required; not a MAC address)\n"
	"  --group GROUP    its group (required)\n"
	"  --mode MODE      override the group's mode: volatile, persistent or\n"
	"                   reset-on-boot ('group': no override, the default)\n"
	"  --cmdline TEXT   appended to the group's kernel command line\n"
	"  --ip ADDR        reserve this IPv4 address for it in full-mode DHCP\n"
	"                   (unique across clients; default none)\n"
	"  -h, --help       this help\n";

/* Settings that `client add` and `client set` share. */
struct client_opts {
	const char *name;
	const char *group;
	const char *mode;	/* MODE_* or MODE_FROM_GROUP */
	const char *cmdline;
	const char *ip;		/* IPv4 address, "" = no reservation */
};

/** check_client_ip() - admin_opt check of --ip: "" or an IPv4 address. */
static int check_client_ip(const char *cmd, const char *value)
{
	struct in_addr addr;

	return admin_check_choice(cmd, !*value || inet_pton(AF_INET, value, &addr) == 1,
				  "IPv4 address", value, "a dotted quad such as 192.168.1.20, "
				  "or '' for none");
}

/**
 * parse_client_opts() - the option loop of `client add` and `client set`.
 * Return -1 to go on, else the exit status.
 */
static int parse_client_opts(int argc, char **argv, const char *cmd, const char *usage,
			     struct client_opts *o)
{
	const struct admin_opt opts[] = {
		{ .name = "name", .value = &o->name, .check = check_client_name },
		{ .name = "group", .value = &o->group },
		{ .name = "mode", .value = &o->mode, .check = check_client_mode },
		{ .name = "cmdline", .value = &o->cmdline, .check = admin_check_cmdline },
		{ .name = "ip", .value = &o->ip, .check = check_client_ip },
		{ .name = NULL },
	};

	return admin_parse_opts(argc, argv, cmd, usage, opts);
}

/**
 * apply_client_opts() - put the given settings into @c, check the group
 * exists and that the effective mode suits the version it boots.
 * Return 0 or EXIT_FAIL.
 */
static int apply_client_opts(struct admin *a, const char *what, const struct client_opts *o,
			     struct reg_client *c)
{
	struct reg_group g;

	if (o->name)
		str_copy(c->name, sizeof(c->name), o->name);
	if (o->group)
		str_copy(c->group, sizeof(c->group), o->group);
	if (o->mode)
		str_copy(c->mode, sizeof(c->mode), strcmp(o->mode, MODE_FROM_GROUP) ? o->mode : "");
	if (o->cmdline)
		str_copy(c->cmdline, sizeof(c->cmdline), o->cmdline);
	if (o->ip)
		str_copy(c->ip, sizeof(c->ip), o->ip);
	if (admin_group_get(a, what, c->group, &g))
		return EXIT_FAIL;
	return client_check_writable(a, what, &g, *c->mode ? c->mode : g.mode);
}

/** client_detail() - the audit detail of a client. */
static json_t *client_detail(const struct reg_client *c)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "mac", c->mac, "client", c->name,
			 "group", c->group, "mode", admin_json_str_or_null(c->mode),
			 "cmdline", c->cmdline, "ip", admin_json_str_or_null(c->ip));
}

/** cmd_client_add() - `lanroot client add MAC --name NAME --group GROUP`. */
static int cmd_client_add(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client add";
	struct client_opts o = { 0 };
	struct reg_client c;
	int rc;

	rc = parse_client_opts(argc, argv, cmd, add_usage, &o);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "client add: expected MAC");
	memset(&c, 0, sizeof(c));
	if (mac_canonical(argv[optind], c.mac) < 0)
		return admin_usage_error(cmd, "client add: invalid MAC address '%s' (e.g. "
					 "52:54:00:12:34:56; multicast and all-zero addresses "
					 "are not client addresses)", argv[optind]);
	if (!o.name)
		return admin_usage_error(cmd, "client add: --name is required");
	if (!o.group)
		return admin_usage_error(cmd, "client add: --group is required");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (apply_client_opts(a, "client add", &o, &c))
		return EXIT_FAIL;
	if (registry_client_add(a->st->reg, &c) < 0)
		return admin_registry_error(a, "client add");
	admin_audit(a, EV_CLIENT_ADD, client_detail(&c));
	admin_say(a, "added client %s (%s) to group %s", c.name, c.mac, c.group);
	return EXIT_OK;
}

/* ---- list and show ------------------------------------------------------------------ */

static const char list_usage[] =
	"Usage: lanroot client list [--json]\n"
	"\n"
	"List clients: name, MAC, group, the image version and mode they boot.\n"
	"The JSON form gives for each what 'client show --json' gives.\n"
	"\n"
	"Options:\n"
	"  --json      a JSON array\n"
	"  -h, --help  this help\n";

static const char show_usage[] =
	"Usage: lanroot client show NAME|MAC [--json]\n"
	"\n"
	"Show a client: its group, the image version, mode and protocol it boots,\n"
	"its kernel command line additions, its export name and the root URL that\n"
	"lanroot-bootd puts on its kernel command line (root=nbd://HOST:PORT/EXPORT;\n"
	"any NBD client can use it), and its server-side overlay.  For iSCSI\n"
	"groups the root is iscsi:HOST::PORT:0:IQN:CLIENT (served from a later\n"
	"release).  JSON fields: name, mac, group, image, version, mode,\n"
	"mode_override, proto, cmdline, loader, ip (the DHCP reservation, or\n"
	"null), format, sha256, export, root, created, overlay ({exists, path, data_bytes, clusters, stale} or null\n"
	"for volatile clients).\n"
	"\n"
	"Options:\n"
	"  --json      a JSON object\n"
	"  -h, --help  this help\n";

/** cmd_client_list() - `lanroot client list [--json]`. */
static int cmd_client_list(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client list";
	struct reg_client *cl = NULL;
	size_t n = 0, i;
	json_t *arr, *j;
	bool json;
	int rc;

	rc = admin_opts_json(argc, argv, cmd, list_usage, &json);
	if (rc >= 0)
		return rc;
	if (admin_no_operands(cmd, argc, argv))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (registry_client_list(a->st->reg, &cl, &n) < 0)
		return admin_registry_error(a, "client list");
	arr = json_array();
	for (i = 0; i < n; i++) {
		j = admin_json_client(a, &cl[i]);
		if (!j) {
			free(cl);
			json_decref(arr);
			return EXIT_FAIL;
		}
		json_array_append_new(arr, j);
	}
	free(cl);
	if (json)
		return admin_print_json(arr);
	printf("%-20s %-17s %-20s %-20s %-7s %s\n", "NAME", "MAC", "GROUP", "IMAGE", "VERSION",
	       "MODE");
	for (i = 0; i < json_array_size(arr); i++) {
		j = json_array_get(arr, i);
		printf("%-20s %-17s %-20s %-20s %-7lld %s\n",
		       json_string_value(json_object_get(j, "name")),
		       json_string_value(json_object_get(j, "mac")),
		       json_string_value(json_object_get(j, "group")),
		       json_string_value(json_object_get(j, "image")),
		       (long long)json_integer_value(json_object_get(j, "version")),
		       json_string_value(json_object_get(j, "mode")));
	}
	json_decref(arr);
	return EXIT_OK;
}

/** cmd_client_show() - `lanroot client show NAME|MAC [--json]`. */
static int cmd_client_show(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client show";
	struct reg_client c;
	json_t *j, *ov;
	char size[32];
	bool json;
	int rc;

	rc = admin_opts_json(argc, argv, cmd, show_usage, &json);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "client show: expected NAME or MAC");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_client_get(a, "client show", argv[optind], &c))
		return EXIT_FAIL;
	j = admin_json_client(a, &c);
	if (!j)
		return EXIT_FAIL;
	if (json)
		return admin_print_json(j);
	printf("client:   %s\n", json_string_value(json_object_get(j, "name")));
	printf("mac:      %s\n", json_string_value(json_object_get(j, "mac")));
	printf("group:    %s\n", json_string_value(json_object_get(j, "group")));
	printf("image:    %s version %lld (%s)\n", json_string_value(json_object_get(j, "image")),
	       (long long)json_integer_value(json_object_get(j, "version")),
	       json_string_value(json_object_get(j, "format")));
	printf("mode:     %s%s\n", json_string_value(json_object_get(j, "mode")),
	       json_is_null(json_object_get(j, "mode_override")) ? " (group's)" : " (override)");
	printf("proto:    %s\n", json_string_value(json_object_get(j, "proto")));
	printf("cmdline:  %s\n", json_string_value(json_object_get(j, "cmdline")));
	printf("ip:       %s\n", json_is_null(json_object_get(j, "ip")) ? "(no reservation)" :
	       json_string_value(json_object_get(j, "ip")));
	printf("export:   %s\n", json_string_value(json_object_get(j, "export")));
	printf("root:     %s\n", json_string_value(json_object_get(j, "root")));
	ov = json_object_get(j, "overlay");
	if (json_is_null(ov)) {
		printf("overlay:  none (volatile: writes stay on the client)\n");
	} else if (!json_is_true(json_object_get(ov, "exists"))) {
		printf("overlay:  empty (%s)\n", json_string_value(json_object_get(ov, "path")));
	} else {
		human_size((uint64_t)json_integer_value(json_object_get(ov, "data_bytes")), size,
			   sizeof(size));
		printf("overlay:  %s of data%s (%s)\n", size,
		       json_is_true(json_object_get(ov, "stale")) ?
		       ", made over another version: reset it" : "",
		       json_string_value(json_object_get(ov, "path")));
	}
	json_decref(j);
	return EXIT_OK;
}

/* ---- set and delete ---------------------------------------------------------------- */

static const char set_usage[] =
	"Usage: lanroot client set NAME|MAC [OPTIONS]\n"
	"\n"
	"Change a client; what is not given stays as it is.  The client gets the\n"
	"change at its next boot.\n"
	"\n"
	"Options:\n"
	"  --name NAME      rename it\n"
	"  --group GROUP    move it to another group\n"
	"  --mode MODE      volatile, persistent or reset-on-boot; 'group' drops the\n"
	"                   override\n"
	"  --cmdline TEXT   appended to the group's kernel command line ('' for none)\n"
	"  --ip ADDR        reserve this IPv4 address in full-mode DHCP ('' for none)\n"
	"  -h, --help       this help\n";

static const char delete_usage[] =
	"Usage: lanroot client delete NAME|MAC\n"
	"\n"
	"Delete a client and its server-side overlay.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

/** cmd_client_set() - `lanroot client set NAME|MAC [OPTIONS]`. */
static int cmd_client_set(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client set";
	struct client_opts o = { 0 };
	struct reg_client c;
	int rc;

	rc = parse_client_opts(argc, argv, cmd, set_usage, &o);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "client set: expected NAME or MAC");
	if (!o.name && !o.group && !o.mode && !o.cmdline && !o.ip)
		return admin_usage_error(cmd, "client set: nothing to change");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_client_get(a, "client set", argv[optind], &c) ||
	    apply_client_opts(a, "client set", &o, &c))
		return EXIT_FAIL;
	if (registry_client_set(a->st->reg, &c) < 0)
		return admin_registry_error(a, "client set");
	admin_audit(a, EV_CLIENT_SET, client_detail(&c));
	admin_say(a, "changed client %s (%s)", c.name, c.mac);
	return EXIT_OK;
}

/** cmd_client_delete() - `lanroot client delete NAME|MAC`. */
static int cmd_client_delete(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client delete";
	struct reg_client c;
	char *dir;
	int rc;

	rc = admin_opts_help(argc, argv, cmd, delete_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "client delete: expected NAME or MAC");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_client_get(a, "client delete", argv[optind], &c))
		return EXIT_FAIL;
	if (registry_client_delete(a->st->reg, c.mac) < 0)
		return admin_registry_error(a, "client delete");
	dir = store_overlay_dir(a->st, c.mac);
	rc = rm_rf(dir);
	if (rc < 0 && rc != -ENOENT)
		log_warn("client %s deleted, but its overlay %s could not be removed: %s",
			 c.name, dir, strerror(-rc));
	free(dir);
	admin_audit(a, EV_CLIENT_DELETE, json_pack("{s:s, s:s}", "mac", c.mac, "client", c.name));
	admin_say(a, "deleted client %s (%s)", c.name, c.mac);
	return EXIT_OK;
}

/* ---- reset ----------------------------------------------------------------------------- */

/* While a reset runs, lanroot-blockd refuses the client's new connections
 * for this long (or until the reset releases it), so that a client that
 * reconnects at once cannot reopen the overlay being thrown away. */
#define RESET_HOLD_S 30
/* How long the client's sessions may take to close once asked. */
#define RESET_DISCONNECT_TIMEOUT_MS (10 * 1000)
/* Room for the addresses of a client's sessions in a message. */
#define ADDRESSES_MAX 512

static const char reset_usage[] =
	"Usage: lanroot client reset NAME|MAC [--force]\n"
	"\n"
	"Throw away the client's server-side overlay: it boots its image as\n"
	"published, without its own changes.\n"
	"\n"
	"When lanroot-blockd answers on its control socket ([nbd] control), reset\n"
	"asks it for the client's sessions first.  While the client is connected\n"
	"reset is refused, unless --force: then blockd closes the client's sessions\n"
	"(flushing its overlay) and refuses its new connections while the overlay\n"
	"is reset (at most 30 s); reset waits up to 10 s for the sessions to close,\n"
	"and fails, leaving the overlay as it is, if they do not.  When blockd is\n"
	"not running, or its socket file is stale (nothing answers on it), the\n"
	"overlay is reset at once.  When something answers but not properly (no\n"
	"reply in time, or not the reply of lanroot-blockd), reset is refused\n"
	"unless --force, which then resets without asking.\n"
	"\n"
	"Options:\n"
	"  --force     disconnect the client first if it is connected\n"
	"  -h, --help  this help\n";

/**
 * sessions_summary() - "2 sessions from 127.0.0.1:41234, 127.0.0.1:41236"
 * for the client's sessions @mine, into @out.
 */
static void sessions_summary(json_t *mine, char *out, size_t outlen)
{
	char addrs[ADDRESSES_MAX] = "";
	size_t i, n = json_array_size(mine);
	json_t *s;

	json_array_foreach(mine, i, s) {
		const char *addr = json_string_value(json_object_get(s, "address"));

		admin_list_add(addrs, sizeof(addrs), "%s", addr && *addr ? addr : "?");
	}
	snprintf(out, outlen, "%zu session%s from %s", n, n == 1 ? "" : "s", addrs);
}

/**
 * reset_disconnect() - have lanroot-blockd close the sessions of @c and
 * hold its new connections off; wait until they are gone.
 * @force:  the client may be connected (else it must not be)
 * @held:   set when blockd holds the client (release it afterwards)
 * @closed: the sessions blockd closed
 *
 * Nothing is asked when blockd is not running or its socket is stale
 * (warned about), nor, with @force, when it does not answer properly.
 * Return: 0 (reset now), or EXIT_FAIL after the message.
 */
static int reset_disconnect(struct admin *a, const struct reg_client *c, bool force,
			    bool *held, long long *closed)
{
	char err[512], summary[ADDRESSES_MAX + 64];
	json_t *all = NULL, *mine;
	size_t left = 0;
	int rc;

	*held = false;
	*closed = 0;
	rc = admin_blockd_sessions(a, &all, err, sizeof(err));
	switch (admin_blockd_state_of(rc)) {
	case BLOCKD_ABSENT:
		return 0;
	case BLOCKD_STALE:
		log_warn("%s exists but nothing answers on it; resetting anyway",
			 a->cfg.nbd_control);
		return 0;
	case BLOCKD_RUNNING:
		break;
	}
	if (rc < 0 && !force)
		return admin_error("client reset: lanroot-blockd is running (%s) but cannot tell "
				   "whether %s is connected: %s; fix or stop it, or use --force "
				   "to reset without asking", a->cfg.nbd_control, c->name, err);
	if (rc < 0) {
		log_warn("lanroot-blockd (%s) cannot tell whether %s is connected: %s; "
			 "resetting anyway (--force)", a->cfg.nbd_control, c->name, err);
		return 0;
	}
	mine = admin_blockd_client_sessions(all, c->mac);
	json_decref(all);
	left = json_array_size(mine);
	if (left && !force) {
		sessions_summary(mine, summary, sizeof(summary));
		json_decref(mine);
		return admin_error("client reset: client %s is connected (%s); --force "
				   "disconnects it first", c->name, summary);
	}
	json_decref(mine);
	rc = admin_blockd_disconnect(a, c->mac, RESET_HOLD_S, closed, err, sizeof(err));
	if (rc < 0)
		return admin_error("client reset: lanroot-blockd did not disconnect %s: %s; "
				   "the overlay is left as it is", c->name, err);
	*held = true;
	rc = admin_blockd_wait_gone(a, c->mac, RESET_DISCONNECT_TIMEOUT_MS, &left, err,
				    sizeof(err));
	if (rc < 0)
		return admin_error("client reset: %s was asked to disconnect, but %s; the overlay "
				   "is left as it is", c->name, err);
	return 0;
}

/** cmd_client_reset() - `lanroot client reset NAME|MAC [--force]`. */
static int cmd_client_reset(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client reset";
	struct reg_client c;
	bool force = false, held = false;
	const struct admin_opt opts[] = {
		{ .name = "force", .flag = &force },
		{ .name = NULL },
	};
	char size[32], err[512];
	long long closed = 0;
	uint64_t freed;
	char *dir;
	int rc, status = EXIT_FAIL;

	rc = admin_parse_opts(argc, argv, cmd, reset_usage, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "client reset: expected NAME or MAC");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_client_get(a, "client reset", argv[optind], &c))
		return EXIT_FAIL;
	if (reset_disconnect(a, &c, force, &held, &closed))
		goto out;
	freed = overlay_data_bytes(a, c.mac);
	dir = store_overlay_dir(a->st, c.mac);
	rc = overlay_reset(dir);
	free(dir);
	if (rc == -EBUSY) {
		admin_error("client reset: the overlay of %s is open in another program "
			    "(lanroot-blockd, or a capture); nothing was changed", c.name);
		goto out;
	}
	if (rc < 0) {
		admin_error("client reset: %s: %s", c.name, strerror(-rc));
		goto out;
	}
	admin_audit(a, EV_CLIENT_RESET, json_pack("{s:s, s:s, s:I, s:I}", "mac", c.mac,
						  "client", c.name, "freed", (json_int_t)freed,
						  "disconnected", (json_int_t)closed));
	human_size(freed, size, sizeof(size));
	if (closed)
		admin_say(a, "reset the overlay of %s (%s freed; %lld session%s disconnected "
			  "first)", c.name, size, closed, closed == 1 ? "" : "s");
	else
		admin_say(a, "reset the overlay of %s (%s freed)", c.name, size);
	status = EXIT_OK;
out:
	/* Whether the reset worked or not, the client may connect again. */
	if (held && admin_blockd_release(a, c.mac, err, sizeof(err)) < 0)
		log_warn("lanroot-blockd did not release %s: %s; it refuses the client's "
			 "connections until the hold ends (%d s after the reset began)",
			 c.name, err, RESET_HOLD_S);
	return status;
}

/* ---- capture ---------------------------------------------------------------------------- */

static const char capture_usage[] =
	"Usage: lanroot client capture NAME|MAC [--note TEXT] [--publish] [--json]\n"
	"\n"
	"Make the client's base version merged with its server-side overlay the\n"
	"next version of the same image (parent = the base version; kernel and\n"
	"initrd shared with it).  The overlay is left as it is.  Build a golden\n"
	"machine by hand in persistent mode, capture it, publish it.\n"
	"\n"
	"Options:\n"
	"  --note TEXT  free text kept with the new version\n"
	"  --publish    publish the new version at once\n"
	"  --json       print the new version as a JSON object\n"
	"  -h, --help   this help\n";

/** cmd_client_capture() - `lanroot client capture NAME|MAC [OPTIONS]`. */
static int cmd_client_capture(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot client capture";
	struct reg_client c;
	struct reg_group g;
	struct reg_version v;
	struct progress p;
	const char *note = "";
	bool publish = false, json = false;
	const struct admin_opt opts[] = {
		{ .name = "note", .value = &note, .check = admin_check_note },
		{ .name = "publish", .flag = &publish },
		{ .name = "json", .flag = &json },
		{ .name = NULL },
	};
	char err[1024];
	int rc, version = 0;

	rc = admin_parse_opts(argc, argv, cmd, capture_usage, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return admin_usage_error(cmd, "client capture: expected NAME or MAC");
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (admin_client_get(a, "client capture", argv[optind], &c))
		return EXIT_FAIL;
	p = admin_progress(a);
	err[0] = '\0';
	rc = client_capture(a->st, c.name, note, &p, &version, err, sizeof(err));
	admin_progress_done(a);
	if (rc < 0)
		return admin_error("client capture: %s", *err ? err : strerror(-rc));
	/* The new version belongs to the image of the client's group. */
	if (admin_group_get(a, "client capture", c.group, &g) ||
	    admin_version_get(a, "client capture", g.image, version, &v))
		return EXIT_FAIL;
	admin_audit(a, EV_CLIENT_CAPTURE, json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}",
		"mac", c.mac, "client", c.name, "image", v.image, "version", v.version,
		"parent", v.parent, "sha256", v.sha256));
	if (publish) {
		if (registry_publish(a->st->reg, v.image, v.version) < 0)
			return admin_error("client capture: captured %s version %d, but publishing "
					   "it failed: %s", v.image, v.version,
					   registry_error(a->st->reg));
		admin_audit(a, EV_IMAGE_PUBLISH, json_pack("{s:s, s:i}", "image", v.image,
							   "version", v.version));
		v.published = true;
	}
	if (json)
		return admin_print_json(admin_json_version(a, &v));
	if (v.published)
		admin_say(a, "captured %s as %s version %d (parent %d; published)", c.name,
			  v.image, v.version, v.parent);
	else
		admin_say(a, "captured %s as %s version %d (parent %d; unpublished; publish "
			  "with: lanroot image publish %s %d)", c.name, v.image, v.version,
			  v.parent, v.image, v.version);
	return EXIT_OK;
}

static const struct admin_cmd client_cmds[] = {
	{ "add", cmd_client_add, "add a client by MAC to a group" },
	{ "list", cmd_client_list, "clients and what they boot" },
	{ "show", cmd_client_show, "a client, its root URL and overlay" },
	{ "set", cmd_client_set, "rename, regroup, override mode or cmdline" },
	{ "delete", cmd_client_delete, "delete a client and its overlay" },
	{ "reset", cmd_client_reset, "throw away a client's server-side overlay" },
	{ "capture", cmd_client_capture, "base + overlay -> next version of the image" },
	{ NULL, NULL, NULL },
};

/** cmd_client() - `lanroot client COMMAND …`. */
int cmd_client(struct admin *a, int argc, char **argv)
{
	return admin_dispatch(a, "lanroot client", client_cmds, argc - 1, argv + 1);
}

/* ---- lanroot overlay read|write (diagnostic) ----------------------------------- */

static const char overlay_write_usage[] =
	"Usage: lanroot overlay write NAME|MAC OFFSET FILE\n"
	"\n"
	"Diagnostic tool, for tests and debugging (lanroot-blockd does this for\n"
	"real clients): write the contents of FILE ('-' for standard input, at\n"
	"most 64 MiB) into the client's server-side overlay at byte OFFSET of its\n"
	"disk, as the client's block writes would, and flush.  The overlay is\n"
	"created over the version the client boots if it does not exist.\n"
	"OFFSET takes the suffixes K, M, G (powers of 1024).\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

static const char overlay_read_usage[] =
	"Usage: lanroot overlay read NAME|MAC OFFSET LENGTH\n"
	"\n"
	"Diagnostic tool, for tests and debugging (lanroot-blockd does this for\n"
	"real clients): print LENGTH bytes (at most 64 MiB) of the client's disk\n"
	"at byte OFFSET as the client sees it (its overlay over its base) on\n"
	"standard output.  OFFSET and LENGTH take the suffixes K, M, G.\n"
	"\n"
	"Options:\n"
	"  -h, --help  this help\n";

/**
 * overlay_open_client() - resolve the client @who and open its overlay
 * with @flags.  0, or EXIT_FAIL after the message.
 */
static int overlay_open_client(struct admin *a, const char *what, const char *who,
			       unsigned flags, struct overlay **ov, struct reg_resolved *r)
{
	char err[512];
	int rc;

	if (registry_client_resolve(a->st->reg, who, r) < 0)
		return admin_registry_error(a, what);
	err[0] = '\0';
	rc = client_overlay_open(a->st, r, flags, ov, err, sizeof(err));
	if (rc == -ENOENT && !(flags & OVERLAY_CREATE))
		return admin_error("%s: %s has no overlay", what, r->client.name);
	if (rc < 0)
		return admin_error("%s: %s: %s", what, r->client.name, *err ? err : strerror(-rc));
	return 0;
}

/** read_input() - all of @path ("-" = stdin), at most OVERLAY_IO_MAX. */
static int read_input(const char *path, char **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	ssize_t got;

	if (strcmp(path, "-") != 0)
		return file_read_all(path, OVERLAY_IO_MAX, buf, len);
	*buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= OVERLAY_IO_MAX) {
				free(*buf);
				return -EFBIG;
			}
			cap *= 2;
			*buf = xrealloc(*buf, cap);
		}
		got = read(STDIN_FILENO, *buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(*buf);
			return -errno;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*len = n;
	return 0;
}

/** cmd_overlay_write() - `lanroot overlay write NAME|MAC OFFSET FILE`. */
static int cmd_overlay_write(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot overlay write";
	struct reg_resolved *r = NULL;
	struct overlay *ov = NULL;
	uint64_t off;
	char *buf = NULL;
	size_t len = 0;
	int rc, status = EXIT_FAIL;

	rc = admin_opts_help(argc, argv, cmd, overlay_write_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 3)
		return admin_usage_error(cmd, "overlay write: expected NAME|MAC OFFSET FILE");
	if (parse_size(argv[optind + 1], &off) < 0)
		return admin_usage_error(cmd, "overlay write: invalid offset '%s'",
					 argv[optind + 1]);
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	rc = read_input(argv[optind + 2], &buf, &len);
	if (rc < 0)
		return admin_error("overlay write: %s: %s", argv[optind + 2],
				   rc == -EFBIG ? "larger than 64 MiB" : strerror(-rc));
	r = xcalloc(1, sizeof(*r));
	if (overlay_open_client(a, "overlay write", argv[optind], OVERLAY_CREATE, &ov, r))
		goto out;
	rc = overlay_write(ov, buf, len, off, 0);
	if (rc == 0)
		rc = overlay_flush(ov);
	if (rc < 0) {
		admin_error("overlay write: %s: %zu bytes at offset %llu: %s", r->client.name, len,
			    (unsigned long long)off,
			    rc == -EINVAL ? "outside the disk" : strerror(-rc));
		goto out;
	}
	admin_say(a, "wrote %zu bytes at offset %llu of %s's overlay over %s version %d", len,
		  (unsigned long long)off, r->client.name, r->version.image, r->version.version);
	status = EXIT_OK;
out:
	if (ov) {
		rc = overlay_close(ov);
		if (rc < 0 && status == EXIT_OK)
			status = admin_error("overlay write: closing the overlay: %s",
					     strerror(-rc));
	}
	free(r);
	free(buf);
	return status;
}

/** cmd_overlay_read() - `lanroot overlay read NAME|MAC OFFSET LENGTH`. */
static int cmd_overlay_read(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot overlay read";
	struct reg_resolved *r = NULL;
	struct overlay *ov = NULL;
	uint64_t off, len;
	char *buf = NULL;
	int rc, status = EXIT_FAIL;

	rc = admin_opts_help(argc, argv, cmd, overlay_read_usage);
	if (rc >= 0)
		return rc;
	if (argc - optind != 3)
		return admin_usage_error(cmd, "overlay read: expected NAME|MAC OFFSET LENGTH");
	if (parse_size(argv[optind + 1], &off) < 0)
		return admin_usage_error(cmd, "overlay read: invalid offset '%s'",
					 argv[optind + 1]);
	if (parse_size(argv[optind + 2], &len) < 0 || len > OVERLAY_IO_MAX)
		return admin_usage_error(cmd, "overlay read: invalid length '%s' (at most 64M)",
					 argv[optind + 2]);
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	r = xcalloc(1, sizeof(*r));
	/* Reading never creates an overlay. */
	rc = overlay_open_client(a, "overlay read", argv[optind], OVERLAY_READONLY, &ov, r);
	if (rc)
		goto out;
	buf = xmalloc(len ? len : 1);
	rc = overlay_read(ov, buf, len, off);
	if (rc < 0) {
		admin_error("overlay read: %s: %llu bytes at offset %llu: %s", r->client.name,
			    (unsigned long long)len, (unsigned long long)off,
			    rc == -EINVAL ? "outside the disk" : strerror(-rc));
		goto out;
	}
	rc = write_full(STDOUT_FILENO, buf, len);
	if (rc < 0) {
		admin_error("overlay read: writing output: %s", strerror(-rc));
		goto out;
	}
	status = EXIT_OK;
out:
	if (ov)
		overlay_close(ov);
	free(r);
	free(buf);
	return status;
}

static const struct admin_cmd overlay_cmds[] = {
	{ "write", cmd_overlay_write, "diagnostic: write bytes through a client's overlay" },
	{ "read", cmd_overlay_read, "diagnostic: read bytes as a client sees them" },
	{ NULL, NULL, NULL },
};

/**
 * cmd_overlay() - `lanroot overlay read|write …`: diagnostic tools for
 * tests and debugging; lanroot-blockd does this for real clients.
 */
int cmd_overlay(struct admin *a, int argc, char **argv)
{
	return admin_dispatch(a, "lanroot overlay", overlay_cmds, argc - 1, argv + 1);
}
