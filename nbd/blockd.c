/* lanroot-blockd — the NBD block server (issue 3).
 *
 * Until its issue lands this program only loads and checks the config
 * (--check-config), so an admin can validate lanroot.conf today.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include "conf.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: lanroot-blockd [-c FILE] [--check-config] [--help] [--version]\n"
		"\n"
		"  -c, --config FILE   read FILE instead of " CONFIG_DEFAULT_PATH "\n"
		"      --check-config  load the config, report the first error, exit\n"
		"  -h, --help          this text\n"
		"      --version       print the version\n"
		"\n"
		"Serving is not implemented yet: the NBD block server (issue 3).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int check = 0, c, rc;
	struct lr_config cfg;
	char err[512];

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
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
	config_free(&cfg);
	if (check)
		return 0;
	fprintf(stderr, "lanroot-blockd: serving is not implemented yet (the NBD block server (issue 3))\n");
	return 1;
}
