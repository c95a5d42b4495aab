/* lanroot init: create the state directory and a default config file. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "events.h"
#include "log.h"
#include "util.h"

/* Used when the host has no other IPv4 address that is up. */

static const char init_usage[] =
	"Usage: lanroot init [--address ADDRESS]\n"
	"\n"
	"Create the state directory (registry, secret, images/, overlays/, tmp/)\n"
	"and, if it does not exist yet, the config file named by -c (default\n"
	CONFIG_DEFAULT_PATH ") with state_dir and [server] address filled in.\n"
	"Running it again changes nothing and says so; the secret is never\n"
	"replaced and an existing config file is never rewritten.\n"
	"\n"
	"Options:\n"
	"  --address ADDRESS  the address clients reach this server at (written\n"
	"                     as [server] address; default: the first IPv4 address\n"
	"                     of an interface that is up, else " IPV4_FALLBACK_ADDRESS ")\n"
	"  -h, --help         this help\n";

/**
 * write_config() - write the default config to @path, creating its
 * directory.  Return 0 or -errno.
 */
static int write_config(struct admin *a, const char *path)
{
	char *dir = xstrdup(path);
	int rc;

	rc = mkdir_p(dirname(dir), 0755);
	free(dir);
	if (rc < 0)
		return rc;
	return config_write_default(&a->cfg, path);
}

/**
 * cmd_init() - `lanroot init [--address A]`.
 * Return: EXIT_OK (made, or already there), EXIT_FAIL, EXIT_USAGE.
 */
int cmd_init(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot init";
	const char *address = NULL;
	const struct admin_opt opts[] = {
		{ .name = "address", .value = &address },
		{ .name = NULL },
	};
	const char *path = a->config_path ? a->config_path : CONFIG_DEFAULT_PATH;
	char err[512], guessed[INET_ADDRSTRLEN];
	char *registry_path = NULL;
	bool had_state, had_config;
	struct stat sb;
	int rc;

	rc = admin_parse_opts(argc, argv, cmd, init_usage, opts);
	if (rc >= 0)
		return rc;
	if (admin_no_operands(cmd, argc, argv))
		return EXIT_USAGE;
	if (admin_load_config(a, true) < 0)
		return EXIT_FAIL;

	had_config = stat(path, &sb) == 0;
	if (address && had_config)
		log_warn("%s exists and is not rewritten; set [server] address = %s there", path,
			 address);
	if (address) {
		rc = config_set(&a->cfg, "server", "address", address, err, sizeof(err));
		if (rc < 0)
			return admin_usage_error(cmd, "init: --address: %s", err);
	} else if (!had_config) {
		ipv4_guess_local(guessed, sizeof(guessed));
		rc = config_set(&a->cfg, "server", "address", guessed, err, sizeof(err));
		if (rc < 0)
			return admin_error("init: %s", err);
	}

	registry_path = xasprintf("%s/registry.db", a->cfg.state_dir);
	had_state = stat(registry_path, &sb) == 0;
	free(registry_path);
	rc = store_init(a->cfg.state_dir, err, sizeof(err));
	if (rc < 0)
		return admin_error("init: %s", err);
	if (!had_state)
		admin_say(a, "created state directory %s", a->cfg.state_dir);

	if (!had_config) {
		rc = write_config(a, path);
		if (rc < 0)
			return admin_error("init: cannot write config %s: %s", path, strerror(-rc));
		admin_say(a, "wrote config %s (state_dir = %s, address = %s)", path,
			  a->cfg.state_dir, a->cfg.server_address);
	}
	if (had_state && had_config) {
		admin_say(a, "already initialised: state directory %s, config %s",
			  a->cfg.state_dir, path);
		return EXIT_OK;
	}
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	admin_audit(a, EV_INIT, json_pack("{s:s, s:s, s:b, s:b}",
					  "state_dir", a->cfg.state_dir,
					  "config", path,
					  "created_state", !had_state,
					  "created_config", !had_config));
	return EXIT_OK;
}
