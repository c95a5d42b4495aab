/* What every lanroot daemon does at start-up: log set-up, the privilege
 * drop, detaching, the open-files limit, and the control socket's
 * directory.  (lanroot-blockd and lanroot-bootd.)
 */
#ifndef LR_DAEMON_H
#define LR_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include "conf.h"

/* The config's default user: it may be missing (a plain `make install`),
 * then the daemon stays root and says so. */
#define DAEMON_DEFAULT_USER "lanroot"

/**
 * daemon_setup_log() - logging for @ident: with @foreground, stderr (or
 * json); as a daemon, syslog (or json), as [lanroot] log and log_level say.
 */
void daemon_setup_log(const char *ident, const struct lr_config *cfg, bool foreground);

/**
 * daemon_drop_privileges() - when root, switch to @user (if set) for good:
 * supplementary groups dropped, gid then uid, and a check that root cannot
 * be regained.  Return 0 or -errno (+ @err).
 */
int daemon_drop_privileges(const char *user, char *err, size_t errlen);

/**
 * daemon_chown_to_user() - give @path to @user (when root and the user
 * exists), so the daemon can still write there after dropping privileges.
 * Return 0 or -errno (+ @err).
 */
int daemon_chown_to_user(const char *path, const char *user, char *err, size_t errlen);

/** daemon_raise_nofile() - raise the soft open-files limit to the hard one. */
void daemon_raise_nofile(void);

/** daemon_detach() - fork twice, setsid, chdir /, stdio to /dev/null. */
int daemon_detach(void);

/** daemon_control_dir() - make the control socket's directory if missing. */
void daemon_control_dir(const char *socket_path);

#endif
