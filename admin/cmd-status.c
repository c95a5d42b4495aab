/* lanroot status: what the registry holds and whether the daemons run. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "registry.h"

static const char status_usage[] =
	"Usage: lanroot status [--json]\n"
	"\n"
	"Show the state directory, the number of images, groups and clients, each\n"
	"image's published version, and whether lanroot-blockd answers on its\n"
	"control socket ([nbd] control).  (Per-client sessions are listed once\n"
	"lanroot-blockd serves them.)\n"
	"\n"
	"Options:\n"
	"  --json      one JSON object\n"
	"  -h, --help  this help\n";

/** blockd_state_name() - "running" | "not running" | "not answering". */
static const char *blockd_state_name(enum blockd_state s)
{
	switch (s) {
	case BLOCKD_RUNNING:
		return "running";
	case BLOCKD_STALE:
		return "not answering";
	default:
		return "not running";
	}
}

/**
 * cmd_status() - `lanroot status [--json]`.
 * Return: EXIT_OK, EXIT_FAIL, EXIT_USAGE.
 */
int cmd_status(struct admin *a, int argc, char **argv)
{
	static const char cmd[] = "lanroot status";
	struct reg_image *im = NULL;
	struct reg_group *gr = NULL;
	struct reg_client *cl = NULL;
	size_t nim = 0, ngr = 0, ncl = 0, i;
	enum blockd_state blockd;
	bool json = false;
	json_t *j, *images;
	int c, rc = EXIT_FAIL;

	c = admin_opts_json(argc, argv, cmd, status_usage, &json);
	if (c >= 0)
		return c;
	if (admin_no_operands(cmd, argc, argv))
		return EXIT_USAGE;
	if (admin_open_store(a) < 0)
		return EXIT_FAIL;
	if (registry_image_list(a->st->reg, &im, &nim) < 0 ||
	    registry_group_list(a->st->reg, &gr, &ngr) < 0 ||
	    registry_client_list(a->st->reg, &cl, &ncl) < 0) {
		admin_registry_error(a, "status");
		goto out;
	}
	blockd = admin_blockd_probe(a);

	if (json) {
		images = json_array();
		for (i = 0; i < nim; i++)
			json_array_append_new(images, json_pack("{s:s, s:o, s:i, s:i}",
				"name", im[i].name,
				"published", admin_json_int_or_null(im[i].published),
				"latest", im[i].latest,
				"versions", im[i].nversions));
		j = json_pack("{s:s, s:s?, s:i, s:i, s:i, s:o, s:{s:s, s:s?}}",
			      "state_dir", a->cfg.state_dir,
			      "config", a->cfg.path,
			      "images", (int)nim,
			      "groups", (int)ngr,
			      "clients", (int)ncl,
			      "published", images,
			      "blockd", "state", blockd_state_name(blockd),
			      "control", a->cfg.nbd_control);
		rc = admin_print_json(j);
		goto out;
	}
	printf("state directory: %s\n", a->cfg.state_dir);
	printf("config:          %s\n", a->cfg.path ? a->cfg.path : "(built-in defaults)");
	printf("images:          %zu\n", nim);
	printf("groups:          %zu\n", ngr);
	printf("clients:         %zu\n", ncl);
	if (nim) {
		printf("published versions:\n");
		for (i = 0; i < nim; i++) {
			if (im[i].published)
				printf("  %-20s %d (latest %d)\n", im[i].name, im[i].published,
				       im[i].latest);
			else
				printf("  %-20s none (latest %d)\n", im[i].name, im[i].latest);
		}
	}
	printf("blockd:          %s", blockd_state_name(blockd));
	if (blockd != BLOCKD_ABSENT)
		printf(" (%s)", a->cfg.nbd_control);
	putchar('\n');
	rc = EXIT_OK;
out:
	free(im);
	free(gr);
	free(cl);
	return rc;
}
