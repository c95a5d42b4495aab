/* lanroot-bootd — the DHCP / proxyDHCP, TFTP and HTTP boot server (see
 * lanroot-bootd(8)).
 *
 * Start-up order: read and check the config; bind every socket (DHCP 67
 * and 4011, the raw sockets, TFTP, HTTP, the control socket), which may
 * need root; give STATE_DIR/bootd (the leases) to [lanroot] user and drop
 * to that user; open the store and the boot directories as that user;
 * detach unless -f; serve on one event loop until SIGTERM.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "addr.h"
#include "bootcfg.h"
#include "bootd.h"
#include "clientmap.h"
#include "conf.h"
#include "ctl.h"
#include "daemon.h"
#include "dhcp-server.h"
#include "events.h"
#include "evloop.h"
#include "http.h"
#include "leases.h"
#include "log.h"
#include "parse.h"
#include "store.h"
#include "tftp-server.h"
#include "util.h"

#define PROG "lanroot-bootd"
#define BOOTD_STATE_SUBDIR "bootd"	/* STATE_DIR/bootd: the leases */
#define BOOTD_STATE_MODE 0750

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: " PROG " [-c FILE] [-f] [--check-config] [--help] [--version]\n"
		"\n"
		"Boot the lab's machines: DHCP (full server, or proxyDHCP beside the site's\n"
		"server, with PXE boot-server discovery on port 4011), TFTP and HTTP for the\n"
		"boot loaders, each client's boot config rendered from the registry, and the\n"
		"kernels and initrds of its image version.\n"
		"\n"
		"  -c, --config FILE   read FILE instead of " CONFIG_DEFAULT_PATH "\n"
		"  -f, --foreground    stay in the foreground and log to stderr\n"
		"      --check-config  load and check the config, report the first error, exit\n"
		"  -h, --help          this text\n"
		"      --version       print the version\n"
		"\n"
		"Signals: TERM or INT save the leases and exit 0; HUP rereads the config\n"
		"(changes of addresses, ports or interfaces need a restart).\n");
}

/**
 * check_list() - every item of the comma list @value parses with @parse.
 * @what: "[dhcp] range", for the message.  Return 0 or -EINVAL (+ @err).
 */
static int check_list(const char *value, const char *what, int (*parse)(const char *s),
		      size_t *count, char *err, size_t errlen)
{
	char **items;
	size_t n, i;

	if (split_list(value ? value : "", &items, &n) < 0) {
		err_set(err, errlen, "%s: empty item in '%s'", what, value);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (parse && parse(items[i]) < 0) {
			err_set(err, errlen, "%s: '%s' is not valid", what, items[i]);
			split_list_free(items);
			return -EINVAL;
		}
	}
	split_list_free(items);
	if (count)
		*count = n;
	return 0;
}

static int parse_ipv4_item(const char *s)
{
	uint32_t ip;

	return parse_ipv4(s, &ip);
}

/**
 * bootd_check_config() - what config_load() cannot know: the lists parse,
 * full mode has pools inside its subnets, an unknown-client policy has its
 * group.  Return 0 or -EINVAL (+ @err, for a person).
 */
static int bootd_check_config(const struct lr_config *cfg, char *err, size_t errlen)
{
	struct lease_plan plan;
	size_t nranges = 0, nsubnets = 0;
	uint32_t ip;

	if (cfg->server_address[0] && parse_ipv4(cfg->server_address, &ip) < 0) {
		err_set(err, errlen, "[server] address: '%s' is not an IPv4 address",
			cfg->server_address);
		return -EINVAL;
	}
	if (cfg->tftp_listen[0] && parse_ipv4(cfg->tftp_listen, &ip) < 0) {
		err_set(err, errlen, "[tftp] listen: '%s' is not an IPv4 address", cfg->tftp_listen);
		return -EINVAL;
	}
	if (check_list(cfg->dhcp_interface, "[dhcp] interface", NULL, NULL, err, errlen) < 0 ||
	    check_list(cfg->dhcp_range, "[dhcp] range", NULL, &nranges, err, errlen) < 0 ||
	    check_list(cfg->dhcp_subnet, "[dhcp] subnet", NULL, &nsubnets, err, errlen) < 0 ||
	    check_list(cfg->dhcp_router, "[dhcp] router", parse_ipv4_item, NULL, err,
		       errlen) < 0 ||
	    check_list(cfg->dhcp_dns, "[dhcp] dns", parse_ipv4_item, NULL, err, errlen) < 0 ||
	    check_list(cfg->dhcp_allowed_servers, "[dhcp] allowed_servers", parse_ipv4_item,
		       NULL, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(cfg->dhcp_mode, "full") == 0 && nranges == 0) {
		err_set(err, errlen, "[dhcp] mode = full needs a range "
			"(e.g. range = 192.0.2.100-192.0.2.199)");
		return -EINVAL;
	}
	/* The DHCP server's own reading of the plan (ranges inside subnets,
	 * no overlap, routers).  Without subnets the interfaces' networks are
	 * the subnets: checked when the DHCP server starts. */
	if (nsubnets > 0 && lease_plan_parse(&plan, cfg->dhcp_range, cfg->dhcp_subnet,
					     cfg->dhcp_router, NULL, 0, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(cfg->boot_unknown_clients, "default") == 0 && !cfg->boot_default_group[0]) {
		err_set(err, errlen, "[boot] unknown_clients = default needs [boot] default_group");
		return -EINVAL;
	}
	if (cfg->boot_default_group[0] && !name_valid(cfg->boot_default_group)) {
		err_set(err, errlen, "[boot] default_group: '%s' is not a valid group name",
			cfg->boot_default_group);
		return -EINVAL;
	}
	return 0;
}

/**
 * load_config() - config_load() and bootd_check_config() in one.
 * Return 0 or -errno (+ @err).
 */
static int load_config(struct lr_config *cfg, const char *path, char *err, size_t errlen)
{
	char msg[512];
	int rc;

	rc = config_load(cfg, path, err, errlen);
	if (rc < 0)
		return rc;
	rc = bootd_check_config(cfg, msg, sizeof(msg));
	if (rc < 0) {
		err_set(err, errlen, "%s: %s", cfg->path ? cfg->path : "built-in defaults", msg);
		config_free(cfg);
	}
	return rc;
}

/**
 * reload_servers() - tell every part that bd->cfg changed.  A part that
 * needs new sockets answers -EAGAIN: logged, not fatal.  Return 0 or the
 * first other error (+ @err).
 */
static int reload_servers(struct bootd *bd, char *err, size_t errlen)
{
	char msg[512];
	int rc;

	rc = bootcfg_reload(bd->boot, err, errlen);
	if (rc < 0)
		return rc;
#define RELOAD(part, fn)						\
	do {								\
		if (bd->part) {						\
			rc = fn(bd->part, msg, sizeof(msg));		\
			if (rc == -EAGAIN)				\
				log_warn("restart needed: %s", msg);	\
			else if (rc < 0) {				\
				err_set(err, errlen, "%s", msg);	\
				return rc;				\
			}						\
		}							\
	} while (0)
	RELOAD(tftp, tftp_server_reload);
	RELOAD(http, http_server_reload);
	RELOAD(dhcp, dhcp_server_reload);
#undef RELOAD
	return 0;
}

/**
 * bootd_reload() - reread the config file; on any error keep (and
 * re-apply) the old one.  Return 0 or -errno (+ @err).
 */
static int bootd_reload(struct bootd *bd, char *err, size_t errlen)
{
	struct lr_config fresh, old;
	char msg[512];
	int rc;

	rc = load_config(&fresh, bd->cfg.path, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(fresh.dhcp_mode, bd->cfg.dhcp_mode) != 0 &&
	    (!bd->dhcp || strcmp(fresh.dhcp_mode, "off") == 0))
		log_warn("restart needed: [dhcp] mode changed from %s to %s", bd->cfg.dhcp_mode,
			 fresh.dhcp_mode);
	old = bd->cfg;
	bd->cfg = fresh;
	rc = reload_servers(bd, err, errlen);
	if (rc < 0) {
		config_free(&bd->cfg);
		bd->cfg = old;
		if (reload_servers(bd, msg, sizeof(msg)) < 0)
			log_err("restoring the old settings failed too: %s", msg);
		return rc;
	}
	config_free(&old);
	return 0;
}

/** reload_and_log() - reload with its events: daemon.reload or config.error. */
static int reload_and_log(struct bootd *bd, char *err, size_t errlen)
{
	int rc = bootd_reload(bd, err, errlen);

	if (rc < 0) {
		log_err("reload failed, keeping the old settings: %s", err);
		log_event(EV_CONFIG_ERROR, "{s:s}", "error", err);
	} else {
		log_event(EV_DAEMON_RELOAD, NULL);
	}
	return rc;
}

/** bootd_stop() - stop taking work, save the leases, leave the loop. */
static void bootd_stop(struct bootd *bd)
{
	if (bd->dhcp)
		dhcp_server_stop(bd->dhcp);
	if (bd->tftp)
		tftp_server_stop(bd->tftp);
	if (bd->http)
		http_server_stop(bd->http);
	evloop_stop(bd->loop);
}

/** on_signal() - TERM/INT: stop; HUP: reload. */
static void on_signal(struct evloop *loop, int signo, void *arg)
{
	struct bootd *bd = arg;
	char err[512];

	(void)loop;
	if (signo == SIGHUP) {
		reload_and_log(bd, err, sizeof(err));
		return;
	}
	log_info("signal %d: saving the leases and stopping", signo);
	bootd_stop(bd);
}

/** part_status() - a server's status object, or JSON null when it is off. */
static json_t *part_status(json_t *status)
{
	return status ? status : json_null();
}

/**
 * bootd_ctl() - the control calls: ping, status, leases, reload.
 * Return: the reply object.
 */
static json_t *bootd_ctl(const char *cmd, json_t *req, void *arg)
{
	struct bootd *bd = arg;
	char err[512];

	(void)req;
	if (strcmp(cmd, "ping") == 0)
		return json_pack("{s:b, s:s, s:s}", "ok", 1, "program", PROG, "version",
				 PACKAGE_VERSION);
	if (strcmp(cmd, "status") == 0)
		return json_pack("{s:b, s:o, s:o, s:o}", "ok", 1,
				 "dhcp", part_status(bd->dhcp ? dhcp_server_status(bd->dhcp) : NULL),
				 "tftp", part_status(bd->tftp ? tftp_server_status(bd->tftp) : NULL),
				 "http", part_status(bd->http ? http_server_status(bd->http) : NULL));
	if (strcmp(cmd, "leases") == 0)
		return json_pack("{s:b, s:o}", "ok", 1, "leases",
				 bd->dhcp ? dhcp_server_leases(bd->dhcp) : json_array());
	if (strcmp(cmd, "reload") == 0) {
		if (reload_and_log(bd, err, sizeof(err)) < 0)
			return ctl_reply_error("%s", err);
		return ctl_reply_ok();
	}
	return ctl_reply_error("unknown command '%s' (ping, status, leases, reload)", cmd);
}

/**
 * prepare_state_dir() - STATE_DIR/bootd exists and belongs to the user the
 * daemon runs as, so leases can be saved after the privilege drop.
 */
static int prepare_state_dir(const struct lr_config *cfg, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/%s", cfg->state_dir, BOOTD_STATE_SUBDIR);
	int rc;

	rc = mkdir_p(dir, BOOTD_STATE_MODE);
	if (rc < 0)
		err_set(err, errlen, "cannot make %s: %s", dir, strerror(-rc));
	else
		rc = daemon_chown_to_user(dir, cfg->user, err, errlen);
	free(dir);
	return rc;
}

/**
 * open_servers() - bind every socket (as root).  DHCP only when its mode is
 * not off.  Return 0 or -errno (+ @err).
 */
static int open_servers(struct bootd *bd, char *err, size_t errlen)
{
	int rc;

	rc = tftp_server_new(bd, &bd->tftp, err, errlen);
	if (rc < 0)
		return rc;
	rc = http_server_new(bd, &bd->http, err, errlen);
	if (rc < 0)
		return rc;
	if (strcmp(bd->cfg.dhcp_mode, "off") != 0) {
		rc = dhcp_server_new(bd, &bd->dhcp, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/** close_servers() - free everything main() made (NULL parts are skipped). */
static void close_servers(struct bootd *bd)
{
	if (bd->dhcp)
		dhcp_server_free(bd->dhcp);
	if (bd->http)
		http_server_free(bd->http);
	if (bd->tftp)
		tftp_server_free(bd->tftp);
	if (bd->boot)
		bootcfg_free(bd->boot);
	if (bd->clients)
		clientmap_free(bd->clients);
	if (bd->st)
		store_close(bd->st);
	if (bd->loop)
		evloop_free(bd->loop);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false, foreground = false;
	struct ctl_server *ctl = NULL;
	struct bootd bd;
	char err[1024];
	int c, rc, status = 1;

	while ((c = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': foreground = true; break;
		case 'C': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	memset(&bd, 0, sizeof(bd));
	rc = load_config(&bd.cfg, path, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	if (check) {
		config_free(&bd.cfg);
		return 0;
	}
	daemon_setup_log(PROG, &bd.cfg, true);	/* start-up errors go to the terminal */
	signal(SIGPIPE, SIG_IGN);
	daemon_raise_nofile();

	bd.loop = evloop_new();
	bd.clients = clientmap_new(CLIENTMAP_DEFAULT_MAX);
	if (!bd.loop || !bd.clients) {
		log_err("cannot make the event loop: %s", strerror(errno));
		goto out;
	}
	if (open_servers(&bd, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	daemon_control_dir(bd.cfg.bootd_control);
	rc = ctl_server_open(bd.loop, bd.cfg.bootd_control, 0, bootd_ctl, &bd, &ctl);
	if (rc < 0) {
		log_err("control socket %s: %s%s", bd.cfg.bootd_control, strerror(-rc),
			rc == -EADDRINUSE ? " (is another " PROG " running?)" : "");
		goto out;
	}
	if (prepare_state_dir(&bd.cfg, err, sizeof(err)) < 0 ||
	    daemon_drop_privileges(bd.cfg.user, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	rc = store_open(bd.cfg.state_dir, &bd.st, err, sizeof(err));
	if (rc < 0) {
		log_err("%s", err);
		goto out;
	}
	bd.boot = bootcfg_new(&bd);
	if (!bd.boot || bootcfg_reload(bd.boot, err, sizeof(err)) < 0) {
		log_err("boot files: %s", bd.boot ? err : strerror(errno));
		goto out;
	}
	if (bd.dhcp && dhcp_server_start(bd.dhcp, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	if (!foreground) {
		rc = daemon_detach();
		if (rc < 0) {
			log_err("cannot become a daemon: %s", strerror(-rc));
			goto out;
		}
	}
	daemon_setup_log(PROG, &bd.cfg, foreground);
	if (evloop_signal_add(bd.loop, SIGTERM, on_signal, &bd) < 0 ||
	    evloop_signal_add(bd.loop, SIGINT, on_signal, &bd) < 0 ||
	    evloop_signal_add(bd.loop, SIGHUP, on_signal, &bd) < 0) {
		log_err("cannot watch signals: %s", strerror(errno));
		goto out;
	}
	log_event(EV_DAEMON_START, "{s:s, s:s, s:s, s:i, s:s, s:i, s:s}",
		  "dhcp", bd.cfg.dhcp_mode, "interface", bd.cfg.dhcp_interface,
		  "tftp_listen", bd.cfg.tftp_listen, "tftp_port", (int)bd.cfg.tftp_port,
		  "http_listen", bd.cfg.http_listen, "http_port", (int)bd.cfg.http_port,
		  "control", bd.cfg.bootd_control);
	rc = evloop_run(bd.loop);
	if (rc < 0) {
		log_err("event loop failed: %s", strerror(-rc));
		goto out;
	}
	status = 0;
out:
	ctl_server_close(ctl);
	close_servers(&bd);
	if (status == 0)
		log_event(EV_DAEMON_STOP, NULL);
	config_free(&bd.cfg);
	return status;
}
