/* lanroot: the admin tool.  Global options, then a git-style command:
 *     lanroot [-c FILE] [--state DIR] [-q] COMMAND [ARGS...]
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

static const struct admin_cmd commands[] = {
	{ "init", cmd_init, "create the state directory and a default config" },
	{ "status", cmd_status, "counts, published versions, daemons" },
	{ "image", cmd_image, "import, list, publish, roll back, diff, verify images" },
	{ "group", cmd_group, "groups of clients: which image, mode and protocol" },
	{ "client", cmd_client, "clients by MAC: add, show (root URL), reset, capture" },
	{ "overlay", cmd_overlay, "diagnostic: read or write a client's overlay" },
	{ NULL, NULL, NULL },
};

/** usage() - the top-level synopsis on @fp. */
static void usage(FILE *fp)
{
	const struct admin_cmd *c;

	fprintf(fp,
		"Usage: lanroot [OPTIONS] COMMAND [ARGS...]\n"
		"\n"
		"Manage lanroot's images, groups and clients.\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE  config file (default %s)\n"
		"      --state DIR    state directory, overrides state_dir of the config\n"
		"  -q, --quiet        no progress bar and no confirmation messages\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n"
		"\n"
		"Commands:\n", CONFIG_DEFAULT_PATH);
	for (c = commands; c->name; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fprintf(fp,
		"\n"
		"Run 'lanroot COMMAND --help' for a command's options.\n"
		"Exit status: 0 ok, 1 the action failed, 2 bad command line.\n");
}

/**
 * main() - global options, then the command.
 * Return: EXIT_OK, EXIT_FAIL or EXIT_USAGE.
 */
int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct admin a = { 0 };
	int c, rc;

	config_init(&a.cfg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'S':
			a.state_override = optarg;
			break;
		case 'q':
			a.quiet = true;
			break;
		case 'h':
			usage(stdout);
			rc = EXIT_OK;
			goto out;
		case 'V':
			printf("lanroot %s\n", PACKAGE_VERSION);
			rc = EXIT_OK;
			goto out;
		case ':':
			rc = admin_usage_error("lanroot", "option '%s' needs a value",
					       argv[optind - 1]);
			goto out;
		default:
			if (optopt)
				rc = admin_usage_error("lanroot", "unknown option '-%c'", optopt);
			else
				rc = admin_usage_error("lanroot", "unknown option '%s'",
						       argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		rc = EXIT_OK;
		goto out;
	}
	rc = admin_dispatch(&a, "lanroot", commands, argc - optind, argv + optind);
out:
	if (a.st)
		store_close(a.st);
	config_free(&a.cfg);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = EXIT_FAIL;
	return rc;
}
