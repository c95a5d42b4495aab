/* Start-up steps shared by the daemons (see daemon.h). */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

#define CONTROL_DIR_MODE 0755

/**
 * daemon_drop_privileges() - when root, switch to @user (if set).  The default
 * user may be missing (a plain `make install`): then the daemon stays root and
 * says so.  Return 0 or -errno (+ @err).
 */
int daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0 || !user || !user[0])
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		if (strcmp(user, DAEMON_DEFAULT_USER) == 0) {
			log_warn("user '%s' does not exist: running as root (set [lanroot] "
				 "user, or user = \"\" to silence this)", user);
			return 0;
		}
		err_set(err, errlen, "[lanroot] user '%s' does not exist", user);
		return -ENOENT;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		err_set(err, errlen, "cannot switch to user '%s': %s", user, strerror(errno));
		return -EPERM;
	}
	if (setuid(0) == 0) {
		err_set(err, errlen, "switched to user '%s' but could become root again", user);
		return -EPERM;
	}
	return 0;
}

/** daemon_raise_nofile() - one fd per client socket plus a few per overlay. */
void daemon_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/** daemon_detach() - detach from the terminal; the parent exits 0. */
int daemon_detach(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		return -errno;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/** daemon_setup_log() - -f: stderr (or json); a daemon: syslog (or json). */
void daemon_setup_log(const char *ident, const struct lr_config *cfg, bool foreground)
{
	enum log_target target = LOG_TARGET_STDERR;
	enum log_level level = LOG_LVL_INFO;

	log_parse_target(cfg->log, &target);
	log_parse_level(cfg->log_level, &level);
	if (foreground && target == LOG_TARGET_SYSLOG)
		target = LOG_TARGET_STDERR;
	if (!foreground && target == LOG_TARGET_STDERR)
		target = LOG_TARGET_SYSLOG;
	log_init(ident, target, level);
}

/** daemon_control_dir() - make the control socket's directory if missing. */
void daemon_control_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash && slash != dir) {
		*slash = '\0';
		mkdir_p(dir, CONTROL_DIR_MODE);
	}
	free(dir);
}


/**
 * daemon_chown_to_user() - chown @path to @user's uid and gid.  Nothing to
 * do when not root, when no user is set, or when the default user is
 * missing (the daemon then stays root, see daemon_drop_privileges()).
 */
int daemon_chown_to_user(const char *path, const char *user, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0 || !user || !user[0])
		return 0;
	pw = getpwnam(user);
	if (!pw) {
		if (strcmp(user, DAEMON_DEFAULT_USER) == 0)
			return 0;
		err_set(err, errlen, "[lanroot] user '%s' does not exist", user);
		return -ENOENT;
	}
	if (chown(path, pw->pw_uid, pw->pw_gid) < 0) {
		int rc = -errno;

		err_set(err, errlen, "cannot give %s to user '%s': %s", path, user,
			strerror(errno));
		return rc;
	}
	return 0;
}
