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

/* JSON renderings shared by list/show. */
json_t *admin_json_version(const struct reg_version *v);
json_t *admin_json_group(struct admin *a, const struct reg_group *g);
json_t *admin_json_client(struct admin *a, const struct reg_client *c);

/* Subcommand entry points (cmd-*.c). */
int cmd_init(struct admin *a, int argc, char **argv);
int cmd_image(struct admin *a, int argc, char **argv);
int cmd_group(struct admin *a, int argc, char **argv);
int cmd_client(struct admin *a, int argc, char **argv);
int cmd_status(struct admin *a, int argc, char **argv);

#endif
