/* The `lanroot` admin tool: shared state and helpers for the subcommands.
 *
 * Conventions every subcommand follows:
 *  - exit status: EXIT_OK 0, EXIT_FAIL 1 (the action failed), EXIT_USAGE 2
 *    (bad command line; the message ends with "try 'lanroot … --help'").
 *  - `--help` prints the command's synopsis on stdout and exits 0.
 *  - every listing and `show` accepts `--json` and then prints one JSON
 *    document on stdout (arrays for lists, objects for show), nothing else.
 *  - errors go to stderr as "lanroot: <what failed>: <why>".
 *  - every change is audited in the registry (registry_audit) and logged as
 *    an event (log_event, events.h).
 */
#ifndef LR_ADMIN_H
#define LR_ADMIN_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "conf.h"
#include "store.h"
#include "progress.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct admin {
	const char *config_path;	/* -c FILE, NULL = default */
	const char *state_override;	/* --state DIR, NULL = from config */
	bool quiet;			/* -q: no progress bar, no chatter */
	struct lr_config cfg;		/* loaded config (+ overrides) */
	struct store *st;		/* opened by admin_open_store() */
	bool cfg_loaded;		/* admin_load_config() has run */
};

/* A subcommand: argv[0] is its own name ("import"). */
typedef int (*admin_cmd_fn)(struct admin *a, int argc, char **argv);

struct admin_cmd {
	const char *name;
	admin_cmd_fn fn;
	const char *summary;	/* one line for the parent's --help */
};

/**
 * admin_dispatch() - run the subcommand named argv[0] of the table @cmds
 * (NULL-terminated); @prefix is "lanroot image" for messages and help.
 * Handles `--help`/`help` and unknown names (EXIT_USAGE).
 */
int admin_dispatch(struct admin *a, const char *prefix, const struct admin_cmd *cmds,
		   int argc, char **argv);

/** admin_open_store() - open the store (a->st) or print why not. 0 / -1. */
int admin_open_store(struct admin *a);

/** admin_usage_error() - print "lanroot: MSG\ntry '@cmd --help'" → EXIT_USAGE. */
int admin_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** admin_error() - print "lanroot: MSG" on stderr → EXIT_FAIL. */
int admin_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** admin_print_json() - dump @j (stolen) on stdout, indented.  → EXIT_OK. */
int admin_print_json(json_t *j);

/**
 * admin_progress() - a progress struct that draws a bar on stderr when it
 * is a tty (and not quiet), else does nothing.
 */
struct progress admin_progress(struct admin *a);
/** admin_progress_done() - finish the bar line, if one was drawn. */
void admin_progress_done(struct admin *a);

/** admin_audit() - registry_audit() + log_event() for a change. */
void admin_audit(struct admin *a, const char *event, json_t *detail);

/* JSON renderings shared by list/show (a version's includes its path). */
json_t *admin_json_version(struct admin *a, const struct reg_version *v);
json_t *admin_json_group(struct admin *a, const struct reg_group *g);
json_t *admin_json_client(struct admin *a, const struct reg_client *c);

/* Subcommand entry points (cmd-*.c). */
int cmd_init(struct admin *a, int argc, char **argv);
int cmd_image(struct admin *a, int argc, char **argv);
int cmd_group(struct admin *a, int argc, char **argv);
int cmd_client(struct admin *a, int argc, char **argv);
int cmd_status(struct admin *a, int argc, char **argv);
int cmd_overlay(struct admin *a, int argc, char **argv);

/* ---- added by the admin helper (add-only) ------------------------------ */

#include <getopt.h>

/**
 * admin_load_config() - load the config (a->config_path, or the default
 * file) into a->cfg, apply --state, and set up logging.  Runs once; later
 * calls return at once.  Commands call it when they need the config, so
 * `--help` works without one.  Return 0, or -1 after printing why.
 * @missing_ok: a missing -c file is not an error (for `lanroot init`,
 *              which writes it); the built-in defaults are used.
 */
int admin_load_config(struct admin *a, bool missing_ok);

/**
 * admin_getopt() - getopt_long() for a subcommand named @cmd ("lanroot
 * image import").  Unknown options, missing arguments and a value given
 * to a long option that takes none (when its val is not a character)
 * print a usage error and return '?'; otherwise as getopt_long (-1 at the
 * end).  The option scan is reset by admin_dispatch() before each
 * subcommand.
 */
int admin_getopt(int argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *cmd);

/*
 * One option of a subcommand, for admin_parse_opts(): a flag (@flag set)
 * or an option with a value (@value set).  A table of them ends with an
 * entry whose @name is NULL; --help/-h is always there and not listed.
 */
struct admin_opt {
	const char *name;	/* long name without "--" ("dry-run") */
	char short_name;	/* also -X, or 0 for none */
	bool *flag;		/* a flag: set to true when given */
	const char **value;	/* an option with a value: it is stored here */
	/* Checks a value before it is stored (NULL: any value will do).
	 * Return 0, or EXIT_USAGE after saying why. */
	int (*check)(const char *cmd, const char *value);
};

/* Most options one subcommand may have (not counting --help). */
#define ADMIN_OPTS_MAX 8

/**
 * admin_parse_opts() - the option loop of the subcommand @cmd ("lanroot
 * group add"): sets the flags and stores the values of @opts, in the order
 * given, checking each value as it comes.  --help prints @usage.
 * Return -1 to go on (optind is then the first operand), else the exit
 * status to return (help printed, or a usage error).
 */
int admin_parse_opts(int argc, char **argv, const char *cmd, const char *usage,
		     const struct admin_opt *opts);

/**
 * admin_opts_json() - the option loop of a command whose only options are
 * --json and --help.  Return -1 to go on (*@json set), else the exit
 * status to return (help printed, or a usage error).
 */
int admin_opts_json(int argc, char **argv, const char *cmd, const char *usage, bool *json);

/** admin_opts_help() - the same for a command with no options but --help. */
int admin_opts_help(int argc, char **argv, const char *cmd, const char *usage);

/** admin_help() - print @usage on stdout → EXIT_OK. */
int admin_help(const char *usage);

/**
 * admin_no_operands() - a command that takes no operands got none.
 * Return 0, or EXIT_USAGE after "CMD: unexpected argument 'X'".
 */
int admin_no_operands(const char *cmd, int argc, char **argv);

/**
 * admin_check_choice() - a value that must be one of a few words.
 * @ok:      whether @value is one of them
 * @kind:    what it is, for the message ("mode")
 * @choices: the words, for the message ("nbd or iscsi")
 * Return: 0 if @ok, else EXIT_USAGE after "CMD: unknown KIND 'VALUE' (CHOICES)".
 */
int admin_check_choice(const char *cmd, bool ok, const char *kind, const char *value,
		       const char *choices);

/* admin_opt checks: --cmdline and --note fit their registry fields. */
int admin_check_cmdline(const char *cmd, const char *value);
int admin_check_note(const char *cmd, const char *value);

/**
 * admin_registry_error() - print "lanroot: @what: <the registry's last
 * error>" (what is "group set", the command) → EXIT_FAIL.
 */
int admin_registry_error(struct admin *a, const char *what);

/*
 * Registry look-ups for the command @what: fill in the object and return
 * 0, or return EXIT_FAIL after admin_registry_error() ("image show: no
 * image 'x'").
 */
int admin_image_get(struct admin *a, const char *what, const char *name,
		    struct reg_image *im);
int admin_version_get(struct admin *a, const char *what, const char *image, int version,
		      struct reg_version *v);
int admin_group_get(struct admin *a, const char *what, const char *name,
		    struct reg_group *g);
/* @who is a client's name or MAC address. */
int admin_client_get(struct admin *a, const char *what, const char *who,
		     struct reg_client *c);

/**
 * admin_overrides_writable() - client @c belongs to @group and overrides
 * its mode with one that writes to a server-side overlay.
 */
bool admin_overrides_writable(const struct reg_client *c, const char *group);

/**
 * admin_list_add() - append a printf-formatted item to the list of names
 * in @out ("a, b"), with ", " before it unless it is the first; the text
 * is cut to fit @outlen.
 */
void admin_list_add(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* JSON values for optional fields: 0 (none) and "" become null. */
json_t *admin_json_int_or_null(json_int_t n);
json_t *admin_json_str_or_null(const char *s);

/**
 * admin_number_or() - a table cell: @n as text in @buf, or @none when @n is
 * 0 (no version, no parent).  Returns @buf or @none.
 */
const char *admin_number_or(char *buf, size_t len, long long n, const char *none);

/** admin_parse_version() - "1".."INT_MAX" → *@out, else usage error (-1). */
int admin_parse_version(const char *cmd, const char *s, int *out);

/** admin_read_only_format() - squashfs and erofs cannot take writes. */
bool admin_read_only_format(const char *format);

/** admin_writable_mode() - modes that write to a server-side overlay. */
bool admin_writable_mode(const char *mode);

/* ---- lanroot-blockd's control socket (blockd-ctl.c) ----------------------
 * Calls return 0, or -ENOENT (no socket file: blockd is not running),
 * -ECONNREFUSED (a socket file nobody listens on: stale), or another
 * -errno when something is there but does not answer properly
 * (-ETIMEDOUT, -EPROTO, -EREMOTEIO for {"ok":false}, ...); @err then says
 * why, for a person.
 */

/* What answers on lanroot-blockd's control socket (cfg.nbd_control). */
enum blockd_state {
	BLOCKD_ABSENT = 0,	/* no socket: not running */
	BLOCKD_STALE,		/* a socket file nobody accepts on */
	BLOCKD_RUNNING,		/* something accepted the connection */
};
/** admin_blockd_state_of() - the state a call's return code tells. */
enum blockd_state admin_blockd_state_of(int rc);
/** admin_blockd_state_name() - "running" | "not running" | "not answering". */
const char *admin_blockd_state_name(enum blockd_state s);
/**
 * admin_blockd_ping() - ask "ping"; *@reply (may be NULL) gets the reply
 * when blockd answered properly, else NULL.  Return: the state.
 */
enum blockd_state admin_blockd_ping(struct admin *a, json_t **reply, char *err, size_t errlen);
/** admin_blockd_probe() - admin_blockd_ping() for the state alone. */
enum blockd_state admin_blockd_probe(struct admin *a);
/**
 * admin_blockd_sessions() - blockd's sessions as it sends them (an array
 * of objects, each with at least the strings "client" and "mac").
 */
int admin_blockd_sessions(struct admin *a, json_t **sessions, char *err, size_t errlen);
/** admin_blockd_versions() - [{"image","version","sessions"}, …] in use. */
int admin_blockd_versions(struct admin *a, json_t **versions, char *err, size_t errlen);
/**
 * admin_blockd_disconnect() - close every session of @client (MAC or
 * name) and refuse its new connections for @hold_s seconds (0: none) or
 * until admin_blockd_release(); *@closed (may be NULL) = sessions closed.
 */
int admin_blockd_disconnect(struct admin *a, const char *client, unsigned hold_s,
			    long long *closed, char *err, size_t errlen);
/** admin_blockd_release() - end the hold on @client. */
int admin_blockd_release(struct admin *a, const char *client, char *err, size_t errlen);
/** admin_blockd_client_sessions() - a new array: @sessions of MAC @mac. */
json_t *admin_blockd_client_sessions(json_t *sessions, const char *mac);
/** admin_blockd_version_sessions() - sessions holding @image@@version. */
long long admin_blockd_version_sessions(json_t *versions, const char *image, int version);
/**
 * admin_blockd_wait_gone() - poll "sessions" until MAC @mac has none left
 * (*@left: how many it had at the last look).  0, -ETIMEDOUT after
 * @timeout_ms, or the sessions query's error.
 */
int admin_blockd_wait_gone(struct admin *a, const char *mac, int timeout_ms, size_t *left,
			   char *err, size_t errlen);

/** admin_plural() - whether a list of names ("a, b", "a and 2 more") has several. */
bool admin_plural(const char *names);

/** admin_say() - an informational line on stdout, unless -q. */
void admin_say(struct admin *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
