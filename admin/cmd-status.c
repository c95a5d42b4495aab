/* lanroot status: what the registry holds, whether the daemons run, and
 * lanroot-blockd's sessions and the versions they hold.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "registry.h"
#include "util.h"

static const char status_usage[] =
	"Usage: lanroot status [--json]\n"
	"\n"
	"Show the state directory, the number of images, groups and clients, each\n"
	"image's published version, and whether lanroot-blockd answers on its\n"
	"control socket ([nbd] control).  When it does, also its sessions (client,\n"
	"export name without the token, client address, since when, bytes read and\n"
	"written, requests) and the image versions they hold.  When blockd is not\n"
	"running there are no sessions, and the blockd line says so.\n"
	"\n"
	"JSON fields: state_dir, config, images, groups, clients, published,\n"
	"blockd {state: \"running\" | \"not running\" | \"not answering\" (a stale\n"
	"socket), control, and from blockd pid, version, since; error when blockd\n"
	"runs but did not answer properly}, sessions (the session objects as\n"
	"blockd sends them; [] when it is not running, null when it could not be\n"
	"asked) and versions_in_use ([{image, version, sessions}], likewise).\n"
	"\n"
	"Options:\n"
	"  --json      one JSON object\n"
	"  -h, --help  this help\n";

/* Columns of the session table. */
enum session_col {
	COL_CLIENT,
	COL_EXPORT,
	COL_ADDRESS,
	COL_SINCE,
	COL_READ,
	COL_WRITTEN,
	COL_REQUESTS,
	COL_COUNT
};
static const char *const session_heads[COL_COUNT] = {
	"CLIENT", "EXPORT", "ADDRESS", "SINCE", "READ", "WRITTEN", "REQUESTS",
};
/* Longest text of one cell (an export name and then some). */
#define CELL_MAX 320

/* What lanroot-blockd told, for the output. */
struct blockd_report {
	enum blockd_state state;	/* from the ping */
	json_t *ping;			/* the ping's reply, or NULL */
	json_t *sessions;		/* array, or NULL when unknown */
	json_t *versions;		/* array, or NULL when unknown */
	char err[512];			/* why something is unknown, or "" */
};

/**
 * blockd_report_fill() - ask blockd "ping", then (when it answered)
 * "sessions" and "versions".  A blockd that is not running has no
 * sessions; one that runs but does not answer properly leaves them
 * unknown and @r->err saying why.
 */
static void blockd_report_fill(struct admin *a, struct blockd_report *r)
{
	memset(r, 0, sizeof(*r));
	r->state = admin_blockd_ping(a, &r->ping, r->err, sizeof(r->err));
	if (r->state != BLOCKD_RUNNING) {
		r->err[0] = '\0';
		r->sessions = json_array();
		r->versions = json_array();
		return;
	}
	if (!r->ping)
		return;
	if (admin_blockd_sessions(a, &r->sessions, r->err, sizeof(r->err)) < 0)
		return;
	admin_blockd_versions(a, &r->versions, r->err, sizeof(r->err));
}

/** blockd_report_free() - drop what blockd_report_fill() got. */
static void blockd_report_free(struct blockd_report *r)
{
	json_decref(r->ping);
	json_decref(r->sessions);
	json_decref(r->versions);
}

/**
 * blockd_json() - the "blockd" object of the JSON output: state, control,
 * pid/version/since as blockd's ping gave them, error if any.
 */
static json_t *blockd_json(struct admin *a, const struct blockd_report *r)
{
	static const char *const from_ping[] = { "pid", "version", "since" };
	json_t *j, *v;
	size_t i;

	j = json_pack("{s:s, s:s?}", "state", admin_blockd_state_name(r->state),
		      "control", a->cfg.nbd_control);
	for (i = 0; r->ping && i < ARRAY_SIZE(from_ping); i++) {
		v = json_object_get(r->ping, from_ping[i]);
		if (v)
			json_object_set(j, from_ping[i], v);
	}
	if (*r->err)
		json_object_set_new(j, "error", json_string(r->err));
	return j;
}

/** member_text() - a string member of @obj for a table cell; "-" if none. */
static const char *member_text(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && *s ? s : "-";
}

/**
 * member_count() - an integer member of @obj as a table cell in @out:
 * a byte count (@bytes) as "1.5 MiB", else the number; "-" if none.
 */
static void member_count(json_t *obj, const char *key, bool bytes, char *out, size_t outlen)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		str_copy(out, outlen, "-");
	else if (bytes)
		human_size((uint64_t)json_integer_value(v), out, outlen);
	else
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
}

/**
 * print_sessions() - the session table, each column as wide as its
 * widest cell (export names vary a lot in length).
 */
static void print_sessions(json_t *sessions)
{
	size_t n = json_array_size(sessions), i, c;
	char (*cells)[COL_COUNT][CELL_MAX];
	int width[COL_COUNT];
	json_t *s;

	cells = xcalloc(n ? n : 1, sizeof(*cells));
	for (c = 0; c < COL_COUNT; c++)
		width[c] = (int)strlen(session_heads[c]);
	json_array_foreach(sessions, i, s) {
		str_copy(cells[i][COL_CLIENT], CELL_MAX, member_text(s, "client"));
		str_copy(cells[i][COL_EXPORT], CELL_MAX, member_text(s, "export"));
		str_copy(cells[i][COL_ADDRESS], CELL_MAX, member_text(s, "address"));
		str_copy(cells[i][COL_SINCE], CELL_MAX, member_text(s, "since"));
		member_count(s, "bytes_read", true, cells[i][COL_READ], CELL_MAX);
		member_count(s, "bytes_written", true, cells[i][COL_WRITTEN], CELL_MAX);
		member_count(s, "requests", false, cells[i][COL_REQUESTS], CELL_MAX);
		for (c = 0; c < COL_COUNT; c++)
			if ((int)strlen(cells[i][c]) > width[c])
				width[c] = (int)strlen(cells[i][c]);
	}
	/* Text left-aligned, counts right-aligned (a negative width). */
	for (c = 0; c < COL_COUNT; c++)
		printf("  %*s", c >= COL_READ ? width[c] : -width[c], session_heads[c]);
	putchar('\n');
	for (i = 0; i < n; i++) {
		for (c = 0; c < COL_COUNT; c++)
			printf("  %*s", c >= COL_READ ? width[c] : -width[c], cells[i][c]);
		putchar('\n');
	}
	free(cells);
}

/** print_blockd() - the human form of what blockd told. */
static void print_blockd(struct admin *a, const struct blockd_report *r)
{
	json_t *pid = r->ping ? json_object_get(r->ping, "pid") : NULL;
	json_t *ver = r->ping ? json_object_get(r->ping, "version") : NULL;
	json_t *since = r->ping ? json_object_get(r->ping, "since") : NULL;
	json_t *v;
	long long ns;
	size_t i;

	printf("blockd:          %s", admin_blockd_state_name(r->state));
	if (r->state != BLOCKD_ABSENT)
		printf(" (%s)", a->cfg.nbd_control);
	if (json_is_integer(pid))
		printf(", pid %lld", (long long)json_integer_value(pid));
	if (json_is_string(ver))
		printf(", version %s", json_string_value(ver));
	if (json_is_string(since))
		printf(", since %s", json_string_value(since));
	putchar('\n');
	if (r->state != BLOCKD_RUNNING) {
		printf("sessions:        none (lanroot-blockd is %s)\n",
		       admin_blockd_state_name(r->state));
		return;
	}
	if (!r->sessions) {
		printf("sessions:        unknown: %s\n", r->err);
		return;
	}
	printf("sessions:        %zu\n", json_array_size(r->sessions));
	if (json_array_size(r->sessions))
		print_sessions(r->sessions);
	if (!r->versions) {
		printf("versions in use: unknown: %s\n", r->err);
		return;
	}
	if (!json_array_size(r->versions))
		return;
	printf("versions in use:\n");
	json_array_foreach(r->versions, i, v) {
		char name[128];

		ns = json_integer_value(json_object_get(v, "sessions"));
		snprintf(name, sizeof(name), "%s@%lld", json_string_value(json_object_get(v, "image")),
			 (long long)json_integer_value(json_object_get(v, "version")));
		printf("  %-20s %lld session%s\n", name, ns, ns == 1 ? "" : "s");
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
	struct blockd_report blockd;
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
	blockd_report_fill(a, &blockd);

	if (json) {
		images = json_array();
		for (i = 0; i < nim; i++)
			json_array_append_new(images, json_pack("{s:s, s:o, s:i, s:i}",
				"name", im[i].name,
				"published", admin_json_int_or_null(im[i].published),
				"latest", im[i].latest,
				"versions", im[i].nversions));
		j = json_pack("{s:s, s:s?, s:i, s:i, s:i, s:o, s:o, s:O?, s:O?}",
			      "state_dir", a->cfg.state_dir,
			      "config", a->cfg.path,
			      "images", (int)nim,
			      "groups", (int)ngr,
			      "clients", (int)ncl,
			      "published", images,
			      "blockd", blockd_json(a, &blockd),
			      "sessions", blockd.sessions,
			      "versions_in_use", blockd.versions);
		rc = admin_print_json(j);
		goto out_blockd;
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
	print_blockd(a, &blockd);
	rc = EXIT_OK;
out_blockd:
	blockd_report_free(&blockd);
out:
	free(im);
	free(gr);
	free(cl);
	return rc;
}
