/* Unit tests for images/bootpolicy.c: the boot entries of registered and
 * unknown machines under each policy, menus, and matching export names.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootpolicy.h"
#include "export.h"
#include "testutil.h"
#include "util.h"

#define MAC_PC1 "52:54:00:00:00:01"
#define MAC_UNKNOWN "52:54:00:00:00:99"

struct fixture {
	char *dir;		/* private temporary directory */
	struct registry *reg;	/* DIR/registry.db */
};

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

/** add_version() - add a version of @image; its number. */
static int add_version(struct registry *reg, const char *image)
{
	struct reg_version v;
	int n = 0;

	memset(&v, 0, sizeof(v));
	snprintf(v.image, sizeof(v.image), "%s", image);
	snprintf(v.format, sizeof(v.format), "ext4");
	snprintf(v.kernel, sizeof(v.kernel), "vmlinuz");
	snprintf(v.initrd, sizeof(v.initrd), "initrd.img");
	assert_int_equal(registry_version_add(reg, &v, NULL, NULL, &n), 0);
	return n;
}

/** add_group() - group @name of @image (following), @mode, @menu, @cmdline. */
static void add_group(struct registry *reg, const char *name, const char *image,
		      const char *mode, const char *menu, const char *cmdline)
{
	struct reg_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.image, sizeof(g.image), "%s", image);
	snprintf(g.mode, sizeof(g.mode), "%s", mode);
	snprintf(g.menu, sizeof(g.menu), "%s", menu);
	snprintf(g.cmdline, sizeof(g.cmdline), "%s", cmdline);
	if (registry_group_add(reg, &g) < 0)
		fail_msg("group add %s: %s", name, registry_error(reg));
}

/** add_client() - client @name, @mac in @group with extra @cmdline. */
static void add_client(struct registry *reg, const char *mac, const char *name,
		       const char *group, const char *cmdline)
{
	struct reg_client c;

	memset(&c, 0, sizeof(c));
	snprintf(c.mac, sizeof(c.mac), "%s", mac);
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.group, sizeof(c.group), "%s", group);
	snprintf(c.cmdline, sizeof(c.cmdline), "%s", cmdline);
	if (registry_client_add(reg, &c) < 0)
		fail_msg("client add %s: %s", name, registry_error(reg));
}

/* The lab: images lab (2 versions, 2 published), tools, exam (nothing
 * published after its only version is gone); groups room101 (lab,
 * persistent, menu tools,exam) and kiosk (tools, volatile); pc1 in room101. */
static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char path[256], err[512] = "";

	f->dir = tu_scratch_make();
	snprintf(path, sizeof(path), "%s/registry.db", f->dir);
	if (registry_open(path, &f->reg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	add_version(f->reg, "lab");
	add_version(f->reg, "lab");
	registry_publish(f->reg, "lab", 2);
	add_version(f->reg, "tools");
	add_version(f->reg, "exam");
	add_group(f->reg, "room101", "lab", MODE_PERSISTENT, "tools,exam", " quiet ");
	add_group(f->reg, "kiosk", "tools", MODE_VOLATILE, "", "");
	add_client(f->reg, MAC_PC1, "pc1", "room101", "console=ttyS0");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	registry_close(f->reg);
	tu_scratch_remove(f->dir);
	free(f);
	return 0;
}

static const struct boot_policy refuse = { BOOT_UNKNOWN_REFUSE, "" };
static const struct boot_policy to_kiosk = { BOOT_UNKNOWN_DEFAULT, "kiosk" };
static const struct boot_policy to_room = { BOOT_UNKNOWN_DEFAULT, "room101" };
static const struct boot_policy menu = { BOOT_UNKNOWN_MENU, "" };

/* A registered client: its group's entry, then the menu images, volatile. */
static void test_registered(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	char err[256] = "";
	size_t n = 0;

	assert_int_equal(boot_entries(f->reg, &refuse, "52-54-00-00-00-01", &e, &n, err,
				      sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].label, "room101");
	assert_string_equal(e[0].r.client.mac, MAC_PC1);
	assert_string_equal(e[0].r.client.name, "pc1");
	assert_string_equal(e[0].r.version.image, "lab");
	assert_int_equal(e[0].r.version.version, 2);
	assert_string_equal(e[0].r.mode, MODE_PERSISTENT);
	assert_string_equal(e[0].r.cmdline, "quiet console=ttyS0");
	assert_string_equal(e[0].title, "room101: lab version 2 (persistent)");
	assert_string_equal(e[1].label, "tools");
	assert_string_equal(e[1].r.version.image, "tools");
	assert_int_equal(e[1].r.version.version, 1);
	assert_string_equal(e[1].r.mode, MODE_VOLATILE);
	assert_string_equal(e[1].r.cmdline, "quiet console=ttyS0");
	assert_string_equal(e[1].r.group.name, "room101");
	assert_string_equal(e[2].label, "exam");
	free(e);

	/* An image of the menu with nothing published is left out. */
	assert_int_equal(registry_version_delete(f->reg, "exam", 1), 0);
	assert_int_equal(boot_entries(f->reg, &refuse, MAC_PC1, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[1].label, "tools");
	free(e);
}

/* A menu image that is the group's own image and version is not repeated
 * when the mode is the same. */
static void test_no_repeats(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	char err[256] = "";
	size_t n = 0;

	add_group(f->reg, "lab-vol", "lab", MODE_VOLATILE, "lab,tools", "");
	add_client(f->reg, "52:54:00:00:00:02", "pc2", "lab-vol", "");
	assert_int_equal(boot_entries(f->reg, &refuse, "52:54:00:00:00:02", &e, &n, err,
				      sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].label, "lab-vol");
	assert_string_equal(e[1].label, "tools");
	free(e);
}

static void test_unknown_refuse(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	char err[256] = "";
	size_t n = 7;

	assert_int_equal(boot_entries(f->reg, &refuse, MAC_UNKNOWN, &e, &n, err, sizeof(err)),
			 -ENOENT);
	assert_null(e);
	assert_int_equal(n, 0);
	assert_contains(err, "not a registered client");
	/* No policy at all is refuse. */
	assert_int_equal(boot_entries(f->reg, NULL, MAC_UNKNOWN, &e, &n, err, sizeof(err)),
			 -ENOENT);
}

static void test_unknown_default(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	const struct boot_policy missing = { BOOT_UNKNOWN_DEFAULT, "nosuch" };
	const struct boot_policy unnamed = { BOOT_UNKNOWN_DEFAULT, "" };
	char err[256] = "";
	size_t n = 0;

	assert_int_equal(boot_entries(f->reg, &to_kiosk, MAC_UNKNOWN, &e, &n, err,
				      sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].label, "kiosk");
	assert_string_equal(e[0].r.client.mac, MAC_UNKNOWN);
	assert_string_equal(e[0].r.client.name, "");
	assert_string_equal(e[0].r.version.image, "tools");
	assert_string_equal(e[0].r.mode, MODE_VOLATILE);
	free(e);

	/* The default group's own mode and menu apply. */
	assert_int_equal(boot_entries(f->reg, &to_room, MAC_UNKNOWN, &e, &n, err,
				      sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].r.mode, MODE_PERSISTENT);
	assert_string_equal(e[0].r.cmdline, "quiet");
	assert_string_equal(e[2].label, "exam");
	free(e);

	assert_int_equal(boot_entries(f->reg, &missing, MAC_UNKNOWN, &e, &n, err,
				      sizeof(err)), -ENOENT);
	assert_contains(err, "default_group nosuch");
	assert_int_equal(boot_entries(f->reg, &unnamed, MAC_UNKNOWN, &e, &n, err,
				      sizeof(err)), -ENOENT);
	assert_contains(err, "names no default_group");
}

static void test_unknown_menu(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	const struct boot_policy bad = { "maybe", "" };
	char err[256] = "";
	size_t n = 0;

	assert_int_equal(boot_entries(f->reg, &menu, MAC_UNKNOWN, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);		/* groups in name order, volatile */
	assert_string_equal(e[0].label, "kiosk");
	assert_string_equal(e[0].r.mode, MODE_VOLATILE);
	assert_string_equal(e[1].label, "room101");
	assert_string_equal(e[1].r.version.image, "lab");
	assert_string_equal(e[1].r.mode, MODE_VOLATILE);
	assert_string_equal(e[1].title, "room101: lab version 2 (volatile)");
	free(e);

	assert_int_equal(boot_entries(f->reg, &bad, MAC_UNKNOWN, &e, &n, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "invalid unknown_clients 'maybe'");
}

static void test_bad_mac(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	char err[256] = "";
	size_t n = 0;

	assert_int_equal(boot_entries(f->reg, &menu, "52:54:00", &e, &n, err, sizeof(err)),
			 -EINVAL);
	assert_contains(err, "invalid MAC address");
	assert_int_equal(boot_entries(f->reg, &menu, NULL, &e, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(boot_entries(f->reg, &menu, "01:00:5e:00:00:01", &e, &n, err,
				      sizeof(err)), -EINVAL);
}

/* A registered client whose group has nothing to boot: an error that says
 * so, not the unknown-client policy. */
static void test_nothing_published(void **state)
{
	struct fixture *f = *state;
	struct boot_entry *e = NULL;
	char err[256] = "";
	size_t n = 0;

	add_version(f->reg, "empty");
	assert_int_equal(registry_version_delete(f->reg, "empty", 1), 0);
	add_group(f->reg, "g-empty", "empty", MODE_VOLATILE, "", "");
	add_client(f->reg, "52:54:00:00:00:03", "pc3", "g-empty", "");
	assert_int_equal(boot_entries(f->reg, &to_kiosk, "52:54:00:00:00:03", &e, &n, err,
				      sizeof(err)), -ENOENT);
	assert_contains(err, "no published version");
	/* The unknown-client menu leaves that group out. */
	assert_int_equal(boot_entries(f->reg, &menu, MAC_UNKNOWN, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	free(e);
}

/* boot_entry_matches(): the export names blockd receives. */
static void test_matches(void **state)
{
	struct fixture *f = *state;
	static const uint8_t secret[32] = { 1, 2, 3 };
	struct boot_entry *e = NULL;
	struct export_name en;
	char name[EXPORT_NAME_MAX], boot[EXPORT_BOOT_LEN + 1], err[256] = "";
	size_t n = 0, i;

	assert_int_equal(boot_entries(f->reg, &refuse, MAC_PC1, &e, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(export_make(secret, sizeof(secret), &e[i].r, NULL, name), 0);
		assert_int_equal(export_parse(name, &en, err, sizeof(err)), 0);
		assert_true(export_token_ok(secret, sizeof(secret), &en));
		assert_true(boot_entry_matches(&e[i], &en));
		/* Each name matches its own entry only. */
		assert_false(boot_entry_matches(&e[(i + 1) % n], &en));
	}
	/* Another version, mode or MAC does not match. */
	assert_int_equal(export_make(secret, sizeof(secret), &e[0].r, NULL, name), 0);
	assert_int_equal(export_parse(name, &en, err, sizeof(err)), 0);
	en.version = 1;
	assert_false(boot_entry_matches(&e[0], &en));
	en.version = 2;
	snprintf(en.mode, sizeof(en.mode), MODE_VOLATILE);
	assert_false(boot_entry_matches(&e[0], &en));
	snprintf(en.mode, sizeof(en.mode), MODE_PERSISTENT);
	snprintf(en.mac, sizeof(en.mac), MAC_UNKNOWN);
	assert_false(boot_entry_matches(&e[0], &en));
	assert_false(boot_entry_matches(NULL, &en));
	assert_false(boot_entry_matches(&e[0], NULL));

	/* reset-on-boot: any boot id matches (blockd orders them). */
	snprintf(e[0].r.mode, sizeof(e[0].r.mode), MODE_RESET_ON_BOOT);
	export_boot_id_new(boot);
	assert_int_equal(export_make(secret, sizeof(secret), &e[0].r, boot, name), 0);
	assert_int_equal(export_parse(name, &en, err, sizeof(err)), 0);
	assert_true(boot_entry_matches(&e[0], &en));
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_refuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_menu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_published, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
