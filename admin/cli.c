/* Helpers shared by the `lanroot` subcommands: dispatch, option parsing,
 * messages, registry look-ups, JSON output, the progress bar, auditing,
 * and the JSON shapes of versions, groups and clients.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "capture.h"
#include "events.h"
#include "export.h"
#include "log.h"
#include "overlay.h"
#include "parse.h"
#include "registry.h"
#include "util.h"

/* Redraw the progress bar at most this often (10 times a second). */
#define PROGRESS_REDRAW_NS 100000000LL
/* Cells of the bar between the brackets. */
#define PROGRESS_BAR_WIDTH 20
/* Longest event field list passed to log_event() (see admin_audit()). */
#define AUDIT_EVENT_FIELDS 8
/* admin_parse_opts(): getopt_long() answers this + index for a long option
 * (above every character a short option can be). */
#define OPT_FIRST 256

/** short_cmd() - "lanroot image import" → "image import" for messages. */
static const char *short_cmd(const char *cmd)
{
	return str_has_prefix(cmd, "lanroot ") ? cmd + strlen("lanroot ") : cmd;
}

/**
 * admin_dispatch() - run the subcommand named argv[0] of @cmds.
 * @a:      the tool's state
 * @prefix: "lanroot image", for messages and help
 * @cmds:   NULL-terminated table
 * @argc, @argv: argv[0] is the subcommand's name
 *
 * "--help", "-h" and "help" list the subcommands.  The option scanner is
 * reset so the subcommand parses its own argv from the start.
 * Return: the subcommand's exit status, or EXIT_USAGE.
 */
int admin_dispatch(struct admin *a, const char *prefix, const struct admin_cmd *cmds,
		   int argc, char **argv)
{
	const struct admin_cmd *c;

	if (argc < 1)
		return admin_usage_error(prefix, "%s: missing command", short_cmd(prefix));
	if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "help")) {
		printf("Usage: %s COMMAND [ARGS...]\n\nCommands:\n", prefix);
		for (c = cmds; c->name; c++)
			printf("  %-10s %s\n", c->name, c->summary);
		printf("\nRun '%s COMMAND --help' for a command's options.\n", prefix);
		return EXIT_OK;
	}
	for (c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[0])) {
			optind = 0;
			return c->fn(a, argc, argv);
		}
	}
	if (!strcmp(prefix, "lanroot"))
		return admin_usage_error(prefix, "unknown command '%s'", argv[0]);
	return admin_usage_error(prefix, "%s: unknown command '%s'", short_cmd(prefix),
				 argv[0]);
}

/**
 * log_target_of() - the log target named in the config, stderr if unknown
 * (the config parser has already checked the value).
 */
static enum log_target log_target_of(const char *name)
{
	enum log_target t = LOG_TARGET_STDERR;

	if (name)
		log_parse_target(name, &t);
	return t;
}

/**
 * admin_load_config() - see admin.h.
 *
 * Logging: the tool prints its own results for a person, so on the stderr
 * target only warnings and errors are shown (events of a change then go to
 * the registry's audit table only); with log = syslog or json every event
 * is emitted at the configured level.
 */
int admin_load_config(struct admin *a, bool missing_ok)
{
	char err[512], cwd[PATH_MAX], *state;
	enum log_target target;
	enum log_level level = LOG_LVL_INFO;
	int rc;

	if (a->cfg_loaded)
		return 0;
	config_free(&a->cfg);	/* main() filled in the defaults */
	rc = config_load(&a->cfg, a->config_path, err, sizeof(err));
	if (rc == -ENOENT && missing_ok) {
		config_free(&a->cfg);
		config_init(&a->cfg);
	} else if (rc < 0) {
		config_free(&a->cfg);
		config_init(&a->cfg);
		a->cfg_loaded = true;
		admin_error("%s", err);
		return -1;
	}
	a->cfg_loaded = true;
	if (a->state_override) {
		/* Relative to where the command runs, written as such by init. */
		if (a->state_override[0] != '/' && getcwd(cwd, sizeof(cwd)))
			state = xasprintf("%s/%s", cwd, a->state_override);
		else
			state = xstrdup(a->state_override);
		rc = config_set(&a->cfg, "lanroot", "state_dir", state, err, sizeof(err));
		free(state);
		if (rc < 0) {
			admin_error("--state: %s", err);
			return -1;
		}
	}
	target = log_target_of(a->cfg.log);
	if (a->cfg.log_level)
		log_parse_level(a->cfg.log_level, &level);
	if (target == LOG_TARGET_STDERR && level > LOG_LVL_WARN)
		level = LOG_LVL_WARN;
	log_init("lanroot", target, level);
	return 0;
}

/**
 * admin_open_store() - open the store named by the config into a->st.
 * Return 0, or -1 after printing why (e.g. "run lanroot init").
 */
int admin_open_store(struct admin *a)
{
	char err[512];
	int rc;

	if (a->st)
		return 0;
	if (admin_load_config(a, false) < 0)
		return -1;
	rc = store_open(a->cfg.state_dir, &a->st, err, sizeof(err));
	if (rc < 0) {
		a->st = NULL;
		admin_error("%s", err);
		return -1;
	}
	return 0;
}

/* ---- messages ------------------------------------------------------------- */

/**
 * print_message() - "lanroot: MSG" on stderr, without the newline.
 * @fmt, @ap: the message
 */
static void print_message(const char *fmt, va_list ap)
{
	fputs("lanroot: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/**
 * admin_usage_error() - a command-line mistake: the message, then where
 * to read the synopsis.  Return EXIT_USAGE.
 */
int admin_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry '%s --help'\n", cmd);
	return EXIT_USAGE;
}

/** admin_error() - "lanroot: MSG" on stderr.  Return EXIT_FAIL. */
int admin_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/** admin_registry_error() - "lanroot: WHAT: <registry error>".  EXIT_FAIL. */
int admin_registry_error(struct admin *a, const char *what)
{
	return admin_error("%s: %s", what, registry_error(a->st->reg));
}

/** admin_plural() - "a, b" and "a and 2 more" name several, "a" one. */
bool admin_plural(const char *names)
{
	return strchr(names, ',') || strstr(names, " more");
}

/** admin_say() - an informational line on stdout unless -q. */
void admin_say(struct admin *a, const char *fmt, ...)
{
	va_list ap;

	if (a->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/** admin_help() - print a command's usage text on stdout.  EXIT_OK. */
int admin_help(const char *usage)
{
	fputs(usage, stdout);
	return EXIT_OK;
}

/* ---- options and operands --------------------------------------------------- */

/**
 * long_name() - the name of the long option in @longopts whose val is @val,
 * NULL if none.
 */
static const char *long_name(const struct option *longopts, int val)
{
	for (; longopts->name; longopts++)
		if (longopts->val == val)
			return longopts->name;
	return NULL;
}

/**
 * admin_getopt() - getopt_long() with lanroot's messages; see admin.h.
 */
int admin_getopt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *cmd)
{
	const char *name;
	char spec[64];
	int c;

	/* A leading ':' tells a missing argument (':') from an unknown option. */
	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == ':') {
		admin_usage_error(cmd, "%s: option '%s' needs a value", short_cmd(cmd),
				  argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		name = optopt >= OPT_FIRST ? long_name(longopts, optopt) : NULL;
		if (name)	/* "--json=1": getopt_long() names it by its val */
			admin_usage_error(cmd, "%s: option '--%s' takes no value", short_cmd(cmd),
					  name);
		else if (optopt)
			admin_usage_error(cmd, "%s: unknown option '-%c'", short_cmd(cmd),
					  optopt);
		else
			admin_usage_error(cmd, "%s: unknown option '%s'", short_cmd(cmd),
					  argv[optind - 1]);
		return '?';
	}
	return c;
}

/**
 * opt_of() - the entry of @opts that getopt_long() answered @c for.
 * @opts: the table admin_parse_opts() got, @n entries
 * @c:    OPT_FIRST + index for a long option, the character for a short one
 * Return: the entry, or NULL ('?': an error already reported).
 */
static const struct admin_opt *opt_of(const struct admin_opt *opts, size_t n, int c)
{
	size_t i;

	if (c >= OPT_FIRST && (size_t)(c - OPT_FIRST) < n)
		return &opts[c - OPT_FIRST];
	for (i = 0; i < n; i++)
		if (opts[i].short_name && opts[i].short_name == c)
			return &opts[i];
	return NULL;
}

/**
 * admin_parse_opts() - a subcommand's option loop from its table of
 * options; see admin.h.
 *
 * The getopt_long() table is built from @opts with --help last; a long
 * option answers OPT_FIRST + its index.
 */
int admin_parse_opts(int argc, char **argv, const char *cmd, const char *usage,
		     const struct admin_opt *opts)
{
	struct option longopts[ADMIN_OPTS_MAX + 2];
	char shortopts[2 * ADMIN_OPTS_MAX + 2] = "h";
	const struct admin_opt *o;
	size_t n = 0, len = strlen(shortopts);
	int c, rc;

	for (o = opts; o->name; o++, n++) {
		if (n == ADMIN_OPTS_MAX)
			return admin_error("%s: more than %d options", short_cmd(cmd),
					   ADMIN_OPTS_MAX);
		longopts[n] = (struct option){ o->name, o->value ? required_argument : no_argument,
					       NULL, OPT_FIRST + (int)n };
		if (o->short_name) {
			shortopts[len++] = o->short_name;
			if (o->value)
				shortopts[len++] = ':';
		}
	}
	shortopts[len] = '\0';
	longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n + 1] = (struct option){ NULL, 0, NULL, 0 };

	while ((c = admin_getopt(argc, argv, shortopts, longopts, cmd)) != -1) {
		if (c == 'h')
			return admin_help(usage);
		o = opt_of(opts, n, c);
		if (!o)
			return EXIT_USAGE;
		if (o->flag) {
			*o->flag = true;
			continue;
		}
		if (o->check) {
			rc = o->check(cmd, optarg);
			if (rc)
				return rc;
		}
		*o->value = optarg;
	}
	return -1;
}

/** admin_opts_json() - see admin.h. */
int admin_opts_json(int argc, char **argv, const char *cmd, const char *usage, bool *json)
{
	const struct admin_opt opts[] = {
		{ .name = "json", .flag = json },
		{ .name = NULL },
	};

	*json = false;
	return admin_parse_opts(argc, argv, cmd, usage, opts);
}

/** admin_opts_help() - see admin.h. */
int admin_opts_help(int argc, char **argv, const char *cmd, const char *usage)
{
	static const struct admin_opt none[] = { { .name = NULL } };

	return admin_parse_opts(argc, argv, cmd, usage, none);
}

/** admin_no_operands() - see admin.h. */
int admin_no_operands(const char *cmd, int argc, char **argv)
{
	if (optind < argc)
		return admin_usage_error(cmd, "%s: unexpected argument '%s'", short_cmd(cmd),
					 argv[optind]);
	return 0;
}

/** admin_check_choice() - one of a few words; see admin.h. */
int admin_check_choice(const char *cmd, bool ok, const char *kind, const char *value,
		       const char *choices)
{
	if (ok)
		return 0;
	return admin_usage_error(cmd, "%s: unknown %s '%s' (%s)", short_cmd(cmd), kind, value,
				 choices);
}

/**
 * check_length() - an option's text must fit a registry field.
 * @cmd:   "lanroot group add"
 * @label: the option in the message ("--cmdline")
 * @value: its text
 * @max:   size of the field, with its terminating NUL
 * Return: 0, or EXIT_USAGE after "CMD: LABEL longer than N characters".
 */
static int check_length(const char *cmd, const char *label, const char *value, int max)
{
	if (strlen(value) >= (size_t)max)
		return admin_usage_error(cmd, "%s: %s longer than %d characters", short_cmd(cmd),
					 label, max - 1);
	return 0;
}

/** admin_check_cmdline() - a --cmdline that fits REG_CMDLINE_MAX. */
int admin_check_cmdline(const char *cmd, const char *value)
{
	return check_length(cmd, "--cmdline", value, REG_CMDLINE_MAX);
}

/** admin_check_note() - a --note that fits REG_NOTE_MAX. */
int admin_check_note(const char *cmd, const char *value)
{
	return check_length(cmd, "note", value, REG_NOTE_MAX);
}

/** admin_parse_version() - a version number argument; see admin.h. */
int admin_parse_version(const char *cmd, const char *s, int *out)
{
	if (parse_int(s, 1, INT32_MAX, out) < 0) {
		admin_usage_error(cmd, "%s: invalid version '%s': expected a number from 1",
				  short_cmd(cmd), s);
		return -1;
	}
	return 0;
}

/* ---- modes, formats and lists of names --------------------------------------- */

/** admin_read_only_format() - squashfs and erofs take no writes. */
bool admin_read_only_format(const char *format)
{
	return !strcmp(format, "squashfs") || !strcmp(format, "erofs");
}

/** admin_writable_mode() - persistent and reset-on-boot keep a server-side overlay. */
bool admin_writable_mode(const char *mode)
{
	return !strcmp(mode, MODE_PERSISTENT) || !strcmp(mode, MODE_RESET_ON_BOOT);
}

/** admin_overrides_writable() - a client of @group whose own mode writes. */
bool admin_overrides_writable(const struct reg_client *c, const char *group)
{
	return !strcmp(c->group, group) && *c->mode && admin_writable_mode(c->mode);
}

/** admin_list_add() - one more item for a ", "-separated list; see admin.h. */
void admin_list_add(char *out, size_t outlen, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	if (len + 1 >= outlen)
		return;
	if (len) {
		str_copy(out + len, outlen - len, ", ");
		len = strlen(out);
	}
	va_start(ap, fmt);
	vsnprintf(out + len, outlen - len, fmt, ap);
	va_end(ap);
}

/** admin_number_or() - @n as text, or @none for 0; see admin.h. */
const char *admin_number_or(char *buf, size_t len, long long n, const char *none)
{
	if (!n)
		return none;
	snprintf(buf, len, "%lld", n);
	return buf;
}

/* ---- registry look-ups --------------------------------------------------- */

/** admin_image_get() - the image @name, or why not.  0 / EXIT_FAIL. */
int admin_image_get(struct admin *a, const char *what, const char *name,
		    struct reg_image *im)
{
	if (registry_image_get(a->st->reg, name, im) < 0)
		return admin_registry_error(a, what);
	return 0;
}

/** admin_version_get() - version @version of @image, or why not.  0 / EXIT_FAIL. */
int admin_version_get(struct admin *a, const char *what, const char *image, int version,
		      struct reg_version *v)
{
	if (registry_version_get(a->st->reg, image, version, v) < 0)
		return admin_registry_error(a, what);
	return 0;
}

/** admin_group_get() - the group @name, or why not.  0 / EXIT_FAIL. */
int admin_group_get(struct admin *a, const char *what, const char *name,
		    struct reg_group *g)
{
	if (registry_group_get(a->st->reg, name, g) < 0)
		return admin_registry_error(a, what);
	return 0;
}

/** admin_client_get() - the client @who (name or MAC), or why not.  0 / EXIT_FAIL. */
int admin_client_get(struct admin *a, const char *what, const char *who,
		     struct reg_client *c)
{
	if (registry_client_get(a->st->reg, who, c) < 0)
		return admin_registry_error(a, what);
	return 0;
}

/* ---- output ------------------------------------------------------- */

/**
 * admin_print_json() - print @j (reference stolen) on stdout, indented,
 * with a final newline.  Return EXIT_OK, or EXIT_FAIL if it could not be
 * rendered.
 */
int admin_print_json(json_t *j)
{
	char *s;

	if (!j)
		return admin_error("out of memory rendering JSON");
	s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		return admin_error("out of memory rendering JSON");
	puts(s);
	free(s);
	if (fflush(stdout) != 0)
		return admin_error("writing output: %s", strerror(errno));
	return EXIT_OK;
}

/* ---- progress bar ------------------------------------------------------- */

/* State of the one bar a command draws (callbacks may come from threads). */
static struct {
	pthread_mutex_t lock;
	bool drawn;			/* something is on the line */
	long long last_ns;		/* monotonic time of the last draw */
	char what[16];			/* phase of the last draw */
} bar = { .lock = PTHREAD_MUTEX_INITIALIZER };

/**
 * progress_draw() - progress_fn that redraws "[#####     ] 45% copy
 * 1.2 GiB/2.0 GiB" on stderr, at most 10 times a second (a new phase or
 * the end of one is always drawn; the end of a phase is then erased).
 */
static void progress_draw(const char *what, uint64_t done, uint64_t total, void *arg)
{
	char cells[PROGRESS_BAR_WIDTH + 1];
	char hdone[32], htotal[32];
	long long now = monotonic_ns();
	bool new_phase;
	unsigned pct = 0, fill;

	(void)arg;
	pthread_mutex_lock(&bar.lock);
	new_phase = strncmp(bar.what, what ? what : "", sizeof(bar.what) - 1) != 0;
	if (!new_phase && done != total && now - bar.last_ns < PROGRESS_REDRAW_NS)
		goto out;
	bar.last_ns = now;
	str_copy(bar.what, sizeof(bar.what), what ? what : "");
	if (total) {
		if (done > total)
			done = total;
		pct = (unsigned)((double)done * 100.0 / (double)total);
	}
	fill = pct * PROGRESS_BAR_WIDTH / 100;
	memset(cells, '#', fill);
	memset(cells + fill, ' ', PROGRESS_BAR_WIDTH - fill);
	cells[PROGRESS_BAR_WIDTH] = '\0';
	human_size(done, hdone, sizeof(hdone));
	if (total) {
		human_size(total, htotal, sizeof(htotal));
		fprintf(stderr, "\r\033[K[%s] %3u%% %s %s/%s", cells, pct, bar.what, hdone,
			htotal);
	} else {
		fprintf(stderr, "\r\033[K%s %s", bar.what, hdone);
	}
	bar.drawn = true;
	/* A finished phase leaves a clean line for whatever is printed next
	 * (the libraries' warnings go straight to stderr). */
	if (total && done == total) {
		fputs("\r\033[K", stderr);
		bar.drawn = false;
	}
	fflush(stderr);
out:
	pthread_mutex_unlock(&bar.lock);
}

/** admin_progress() - a bar on stderr if it is a tty and not -q, else none. */
struct progress admin_progress(struct admin *a)
{
	struct progress p = { NULL, NULL };

	if (!a->quiet && isatty(STDERR_FILENO)) {
		p.fn = progress_draw;
		p.arg = a;
	}
	return p;
}

/** admin_progress_done() - end the bar's line if one was drawn. */
void admin_progress_done(struct admin *a)
{
	(void)a;
	pthread_mutex_lock(&bar.lock);
	if (bar.drawn)
		fputs("\r\033[K", stderr);
	bar.drawn = false;
	bar.what[0] = '\0';
	bar.last_ns = 0;
	pthread_mutex_unlock(&bar.lock);
}

/* ---- audit --------------------------------------------------------------- */

/**
 * admin_audit() - record a change: a row in the registry's audit table and
 * an event line (events.h name).  @detail is a JSON object whose reference
 * is stolen (may be NULL); its first AUDIT_EVENT_FIELDS fields become the
 * event's fields, all of it goes to the audit row.  Failures to audit are
 * warned about, never fatal: the change itself is done.
 */
void admin_audit(struct admin *a, const char *event, json_t *detail)
{
	const char *keys[AUDIT_EVENT_FIELDS] = { 0 };
	json_t *vals[AUDIT_EVENT_FIELDS] = { 0 };
	const char *key;
	json_t *val;
	char *text = NULL;
	size_t n = 0, i;

	if (detail && json_is_object(detail)) {
		text = json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_object_foreach(detail, key, val) {
			if (n == AUDIT_EVENT_FIELDS)
				break;
			keys[n] = key;
			vals[n] = val;
			n++;
		}
	}
	for (i = n; i < AUDIT_EVENT_FIELDS; i++)
		keys[i] = "";	/* skipped: value NULL with the '*' modifier */
	if (a->st && registry_audit(a->st->reg, event, text) < 0)
		log_warn("could not write the audit record for %s: %s", event,
			 registry_error(a->st->reg));
	log_event(event, "{s:O*, s:O*, s:O*, s:O*, s:O*, s:O*, s:O*, s:O*}",
		  keys[0], vals[0], keys[1], vals[1], keys[2], vals[2], keys[3], vals[3],
		  keys[4], vals[4], keys[5], vals[5], keys[6], vals[6], keys[7], vals[7]);
	free(text);
	json_decref(detail);
}

/* ---- JSON shapes ----------------------------------------------------------- */

/** admin_json_int_or_null() - 0 (none) becomes null. */
json_t *admin_json_int_or_null(json_int_t n)
{
	return n ? json_integer(n) : json_null();
}

/** admin_json_str_or_null() - "" becomes null. */
json_t *admin_json_str_or_null(const char *s)
{
	return *s ? json_string(s) : json_null();
}

/**
 * admin_json_version() - a version as JSON: image, version, size, sha256,
 * format, created, parent (null for none), note, kernel, initrd, published,
 * and path (its rootfs file in the store).
 */
json_t *admin_json_version(struct admin *a, const struct reg_version *v)
{
	char *path = store_version_file(a->st, v->image, v->version, STORE_ROOTFS);
	json_t *j;

	j = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:b, s:s}",
		      "image", v->image,
		      "version", v->version,
		      "size", (json_int_t)v->size,
		      "sha256", v->sha256,
		      "format", v->format,
		      "created", v->created,
		      "parent", admin_json_int_or_null(v->parent),
		      "note", v->note,
		      "kernel", admin_json_str_or_null(v->kernel),
		      "initrd", admin_json_str_or_null(v->initrd),
		      "published", v->published,
		      "path", path);
	free(path);
	return j;
}

/** menu_json() - a group's boot menu as an array of image names. */
static json_t *menu_json(const char *menu)
{
	char name[NAME_MAX_LEN + 1];
	json_t *arr = json_array();
	size_t pos = 0;

	while (registry_menu_next(menu, &pos, name))
		json_array_append_new(arr, json_string(name));
	return arr;
}

/**
 * admin_json_group() - a group as JSON: its settings, "version" (the pinned
 * one or null when it follows the published one), "boots" (the version it
 * boots now, null if none), "clients" (names) and "menu" (the extra images
 * its boot menu offers).
 */
json_t *admin_json_group(struct admin *a, const struct reg_group *g)
{
	struct reg_client *cl = NULL;
	size_t ncl = 0, i;
	json_t *clients, *j;
	int boots = 0;

	clients = json_array();
	if (registry_client_list(a->st->reg, &cl, &ncl) == 0) {
		for (i = 0; i < ncl; i++)
			if (!strcmp(cl[i].group, g->name))
				json_array_append_new(clients, json_string(cl[i].name));
		free(cl);
	}
	if (registry_group_version(a->st->reg, g, &boots) < 0)
		boots = 0;
	j = json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:s, s:o}",
		      "name", g->name,
		      "image", g->image,
		      "version", admin_json_int_or_null(g->version),
		      "follows", g->version ? "pinned" : "published",
		      "boots", admin_json_int_or_null(boots),
		      "mode", g->mode,
		      "proto", g->proto,
		      "cmdline", g->cmdline,
		      "loader", g->loader,
		      "clients", clients);
	if (j)
		json_object_set_new(j, "menu", menu_json(g->menu));
	return j;
}

/**
 * client_root_url() - the root= value bootd puts on the client's kernel
 * command line.  NBD: export_root_url(server_address, nbd_port, export).
 * iSCSI (served from issue 3/5 on): the kernel's iscsi root syntax
 * "iscsi:HOST::PORT:0:IQN:CLIENTNAME", the target being the configured IQN
 * prefix + ":" + the client's name.  0 or -errno.
 */
static int client_root_url(struct admin *a, const struct reg_resolved *r, const char *export,
			   char *out, size_t outlen)
{
	const char *host = a->cfg.server_address ? a->cfg.server_address : "";
	char guessed[INET6_ADDRSTRLEN];
	bool v6;
	int n;

	if (!*host) {
		ipv4_guess_local(guessed, sizeof(guessed));
		host = guessed;
	}
	v6 = strchr(host, ':') != NULL;

	if (strcmp(r->group.proto, PROTO_ISCSI) != 0)
		return export_root_url(host, a->cfg.nbd_port, export, out, outlen);
	n = snprintf(out, outlen, "iscsi:%s%s%s::%u:0:%s:%s", v6 ? "[" : "", host,
		     v6 ? "]" : "", a->cfg.iscsi_port,
		     a->cfg.iscsi_iqn ? a->cfg.iscsi_iqn : "", r->client.name);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/**
 * client_overlay_json() - {"exists", "path", "data_bytes", "clusters",
 * "stale"} for a client whose mode keeps a server-side overlay.  "stale"
 * is true when the overlay was made over another base version than the one
 * the client boots now (blockd will refuse it; `client reset` clears it).
 */
static json_t *client_overlay_json(struct admin *a, const struct reg_resolved *r)
{
	struct overlay *ov = NULL;
	struct overlay_stats os;
	struct stat sb;
	char err[256];
	char *dir, *map, *data;
	bool exists;
	json_t *j;
	int rc;

	dir = store_overlay_dir(a->st, r->client.mac);
	map = xasprintf("%s/map", dir);
	data = xasprintf("%s/data", dir);
	exists = stat(map, &sb) == 0;
	j = json_pack("{s:b, s:s}", "exists", exists, "path", dir);
	if (exists) {
		rc = client_overlay_open(a->st, r, OVERLAY_READONLY, &ov, err, sizeof(err));
		if (rc == 0) {
			overlay_stats(ov, &os);
			json_object_set_new(j, "data_bytes", json_integer((json_int_t)os.data_bytes));
			json_object_set_new(j, "clusters", json_integer((json_int_t)os.data));
			json_object_set_new(j, "stale", json_false());
			overlay_close(ov);
		} else {
			json_object_set_new(j, "data_bytes",
					    json_integer(stat(data, &sb) == 0 ?
							 (json_int_t)sb.st_size : 0));
			json_object_set_new(j, "stale", json_boolean(rc == -ESTALE));
			if (rc != -ESTALE)
				json_object_set_new(j, "error", json_string(err));
		}
	} else {
		json_object_set_new(j, "data_bytes", json_integer(0));
	}
	free(map);
	free(data);
	free(dir);
	return j;
}

/**
 * admin_json_client() - what `client show --json` prints: the client, the
 * group, image version, mode and protocol it boots, its command line, its
 * export name and root URL (exactly what bootd will put on the kernel
 * command line), and its overlay (null for volatile clients, which write
 * nothing on the server).  Returns NULL (after printing why) on failure.
 */
json_t *admin_json_client(struct admin *a, const struct reg_client *c)
{
	struct reg_resolved *r;
	char export[EXPORT_NAME_MAX], boot[EXPORT_BOOT_LEN + 1];
	char root[EXPORT_NAME_MAX + 512];
	json_t *j = NULL;
	int rc;

	r = xcalloc(1, sizeof(*r));
	rc = registry_client_resolve(a->st->reg, c->mac, r);
	if (rc < 0) {
		admin_error("client %s: %s", c->name, registry_error(a->st->reg));
		goto out;
	}
	if (strcmp(r->mode, MODE_RESET_ON_BOOT) == 0) {
		/* Each rendering is a new boot, as when bootd renders it. */
		export_boot_id_new(boot);
		rc = export_make(a->st->secret, SECRET_LEN, r, boot, export);
	} else {
		rc = export_make(a->st->secret, SECRET_LEN, r, NULL, export);
	}
	if (rc < 0) {
		admin_error("client %s: cannot make its export name: %s", c->name,
			    strerror(-rc));
		goto out;
	}
	rc = client_root_url(a, r, export, root, sizeof(root));
	if (rc < 0) {
		admin_error("client %s: root URL too long", c->name);
		goto out;
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		      "name", r->client.name,
		      "mac", r->client.mac,
		      "group", r->group.name,
		      "image", r->version.image,
		      "version", r->version.version,
		      "mode", r->mode,
		      "mode_override", admin_json_str_or_null(r->client.mode),
		      "proto", r->group.proto,
		      "cmdline", r->cmdline,
		      "loader", r->group.loader,
		      "format", r->version.format,
		      "sha256", r->version.sha256,
		      "export", export,
		      "root", root,
		      "created", r->client.created);
	if (!j)
		goto out;
	json_object_set_new(j, "ip", admin_json_str_or_null(r->client.ip));
	json_object_set_new(j, "overlay", admin_writable_mode(r->mode) ?
			    client_overlay_json(a, r) : json_null());
out:
	free(r);
	return j;
}
