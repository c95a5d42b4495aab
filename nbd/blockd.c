/* lanroot-blockd — the NBD block server (see lanroot-blockd(8)).
 *
 * Start-up order: read the config; bind the NBD port and the control
 * socket (which may need root); drop to [lanroot] user; open the store and
 * the TLS credentials as that user; detach unless -f; serve until SIGTERM.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "ctl.h"
#include "daemon.h"
#include "events.h"
#include "evloop.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"

/* Request and reply buffers (up to 32 MiB) come from the heap, not from a
 * fresh mmap each: a new mapping costs a page fault per 4 KiB on every
 * request, which made 1 MiB reads 10x slower with two in flight.  Freed
 * memory is kept up to the trim threshold; flow control bounds the total. */
#define MALLOC_MMAP_THRESHOLD (64 << 20)
#define MALLOC_TRIM_THRESHOLD (256 << 20)

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: lanroot-blockd [-c FILE] [-f] [--check-config] [--help] [--version]\n"
		"\n"
		"Serve the root file systems of lanroot clients over NBD: each client's\n"
		"export, checked by its token, on its own copy-on-write overlay.\n"
		"\n"
		"  -c, --config FILE   read FILE instead of " CONFIG_DEFAULT_PATH "\n"
		"  -f, --foreground    stay in the foreground and log to stderr\n"
		"      --check-config  load the config, report the first error, exit\n"
		"  -h, --help          this text\n"
		"      --version       print the version\n"
		"\n"
		"Signals: TERM or INT flush every overlay and exit 0; HUP rereads the\n"
		"config and the registry without dropping sessions.\n");
}

/** on_signal() - TERM/INT: drain and stop; HUP: reload. */
static void on_signal(struct evloop *loop, int signo, void *arg)
{
	struct server *srv = arg;
	char err[512];

	(void)loop;
	if (signo == SIGHUP) {
		if (server_reload(srv, err, sizeof(err)) < 0) {
			log_err("reload failed, keeping the old settings: %s", err);
			log_event(EV_CONFIG_ERROR, "{s:s}", "error", err);
		} else {
			log_event(EV_DAEMON_RELOAD, NULL);
		}
		return;
	}
	log_info("signal %d: flushing overlays and stopping", signo);
	server_stop(srv);
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
	struct lr_config cfg;
	struct server srv;
	char err[1024];
	int c, rc, status = 1;

	while ((c = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': foreground = true; break;
		case 'C': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("lanroot-blockd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lanroot-blockd: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	rc = config_load(&cfg, path, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "lanroot-blockd: %s\n", err);
		return 1;
	}
	if (check) {
		config_free(&cfg);
		return 0;
	}
	daemon_setup_log("lanroot-blockd", &cfg, true);	/* start-up errors go to the terminal */
	mallopt(M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD);
	signal(SIGPIPE, SIG_IGN);
	daemon_raise_nofile();

	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.loop = evloop_new();
	if (!srv.loop) {
		log_err("cannot make the event loop: %s", strerror(errno));
		goto out;
	}
	if (server_listen(&srv, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	daemon_control_dir(cfg.nbd_control);
	rc = ctl_server_open(srv.loop, cfg.nbd_control, 0, ctlcmd_handler, &srv, &srv.ctl);
	if (rc < 0) {
		log_err("control socket %s: %s%s", cfg.nbd_control, strerror(-rc),
			rc == -EADDRINUSE ? " (is another lanroot-blockd running?)" : "");
		goto out;
	}
	if (daemon_drop_privileges(cfg.user, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	rc = store_open(cfg.state_dir, &srv.st, err, sizeof(err));
	if (rc < 0) {
		log_err("%s", err);
		goto out;
	}
	if (server_setup_tls(&srv, err, sizeof(err)) < 0) {
		log_err("TLS: %s", err);
		goto out;
	}
	if (!foreground) {
		rc = daemon_detach();
		if (rc < 0) {
			log_err("cannot become a daemon: %s", strerror(-rc));
			goto out;
		}
	}
	daemon_setup_log("lanroot-blockd", &cfg, foreground);
	if (evloop_signal_add(srv.loop, SIGTERM, on_signal, &srv) < 0 ||
	    evloop_signal_add(srv.loop, SIGINT, on_signal, &srv) < 0 ||
	    evloop_signal_add(srv.loop, SIGHUP, on_signal, &srv) < 0) {
		log_err("cannot watch signals: %s", strerror(errno));
		goto out;
	}
	if (server_start(&srv, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	log_event(EV_DAEMON_START, "{s:s, s:i, s:s, s:s, s:i}", "listen", cfg.nbd_listen,
		  "port", (int)cfg.nbd_port, "tls", cfg.nbd_tls, "control", cfg.nbd_control,
		  "workers", (int)cfg.nbd_workers);
	rc = evloop_run(srv.loop);
	if (rc < 0) {
		log_err("event loop failed: %s", strerror(-rc));
		goto out;
	}
	status = 0;
out:
	ctl_server_close(srv.ctl);
	server_free(&srv);
	if (srv.st)
		store_close(srv.st);
	if (srv.loop)
		evloop_free(srv.loop);
	if (status == 0)
		log_event(EV_DAEMON_STOP, NULL);
	config_free(&cfg);
	return status;
}
