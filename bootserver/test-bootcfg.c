/* Unit tests for bootserver/bootcfg.c: the boot file for every
 * architecture and loader, iPXE and HTTP Boot clients, and the pxelinux
 * configs and iPXE scripts rendered for registered clients (each mode),
 * menus and unknown clients, with a root URL blockd accepts.
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
#include "log.h"
#include "test-bootfix.h"
#include "testutil.h"
#include "util.h"

#define MAC_PC1 "52:54:00:00:00:01"
#define MAC_PC2 "52:54:00:00:00:02"
#define MAC_PC3 "52:54:00:00:00:03"
#define MAC_UNKNOWN "52:54:00:00:00:99"
#define NO_ARCH (-1)
#define ROOT_PREFIX "lanroot.root=nbd://10.0.0.1:10809/"

/* The lab: image lab (1 version), tools; groups room101 (lab, volatile,
 * loader auto, cmdline quiet), room102 (lab, persistent, pxelinux),
 * room103 (lab, reset-on-boot, menu tools), old (loader grub);
 * pc1 in room101 (cmdline console=ttyS0), pc2 in room102, pc3 in room103. */
static int setup(void **state)
{
	struct bootfix *f;

	bootfix_setup(state);
	f = *state;
	bootfix_add_version(f, "lab", true);
	bootfix_add_version(f, "tools", true);
	bootfix_add_group(f, "room101", "lab", "volatile", "", "auto", "quiet");
	bootfix_add_group(f, "room102", "lab", "persistent", "", "pxelinux", "");
	bootfix_add_group(f, "room103", "lab", "reset-on-boot", "tools", "ipxe", "");
	bootfix_add_group(f, "old", "lab", "volatile", "", "grub", "");
	bootfix_add_client(f, MAC_PC1, "pc1", "room101", "", "console=ttyS0");
	bootfix_add_client(f, MAC_PC2, "pc2", "room102", "", "");
	bootfix_add_client(f, MAC_PC3, "pc3", "room103", "", "");
	return 0;
}

/* A request as the DHCP server parses it. */
struct req_shape {
	int arch;			/* option 93, NO_ARCH = absent */
	bool http;			/* vendor class HTTPClient */
	bool ipxe;			/* user class iPXE / option 175 */
};

/**
 * choose() - bootcfg_choose() for @mac with a request of @shape.
 * Return: its result; @out filled.
 */
static int choose(struct bootfix *f, const char *mac, struct req_shape shape,
		  struct boot_choice *out)
{
	struct dhcp_request *req = xcalloc(1, sizeof(*req));
	int rc;

	req->has_arch = shape.arch != NO_ARCH;
	req->arch = shape.arch == NO_ARCH ? 0 : (uint16_t)shape.arch;
	req->is_http = shape.http;
	req->is_pxe = !shape.http;
	req->is_ipxe = shape.ipxe;
	rc = bootcfg_choose(f->bd.boot, req, mac, FIX_SERVER_IP, out);
	free(req);
	return rc;
}

/** expect_file() - the choice for @mac and @shape is @file (TFTP path or URL). */
static void expect_file(struct bootfix *f, const char *mac, struct req_shape shape,
			const char *file, const char *vendor)
{
	struct boot_choice c;
	int rc = choose(f, mac, shape, &c);

	if (rc != 0)
		fail_msg("arch %d: %s (%s)", shape.arch, strerror(-rc), c.reason);
	assert_string_equal(c.file, file);
	assert_int_equal(c.is_url, strncmp(file, "http://", 7) == 0);
	assert_string_equal(c.vendor_class, vendor);
}

/* loader auto, [boot] loader = ipxe (pc1): the iPXE column of the table. */
static void test_choose_ipxe(void **state)
{
	struct bootfix *f = *state;
	struct boot_choice c;

	expect_file(f, MAC_PC1, (struct req_shape){ NO_ARCH, false, false }, "undionly.kpxe",
		    "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 0, false, false }, "undionly.kpxe",
		    "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 7, false, false }, "snponly.efi",
		    "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 9, false, false }, "snponly.efi",
		    "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 11, false, false }, "arm64/snponly.efi",
		    "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 16, true, false },
		    "http://10.0.0.1:8080/snponly.efi", "HTTPClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 19, true, false },
		    "http://10.0.0.1:8080/arm64/snponly.efi", "HTTPClient");
	/* Arch 16 without the HTTPClient vendor class is still HTTP Boot. */
	expect_file(f, MAC_PC1, (struct req_shape){ 16, false, false },
		    "http://10.0.0.1:8080/snponly.efi", "HTTPClient");
	/* Already in iPXE: the script, whatever the architecture. */
	expect_file(f, MAC_PC1, (struct req_shape){ 0, false, true },
		    "http://10.0.0.1:8080/boot.ipxe?mac=52-54-00-00-00-01", "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 7, false, true },
		    "http://10.0.0.1:8080/boot.ipxe?mac=52-54-00-00-00-01", "PXEClient");
	expect_file(f, MAC_PC1, (struct req_shape){ 16, true, true },
		    "http://10.0.0.1:8080/boot.ipxe?mac=52-54-00-00-00-01", "HTTPClient");
	/* No loader for 32-bit UEFI (x86 and ARM) or unknown architectures. */
	assert_int_equal(choose(f, MAC_PC1, (struct req_shape){ 6, false, false }, &c),
			 -ENOTSUP);
	bootfix_assert_contains(c.reason, "32-bit x86");
	assert_int_equal(choose(f, MAC_PC1, (struct req_shape){ 10, false, false }, &c),
			 -ENOTSUP);
	bootfix_assert_contains(c.reason, "32-bit ARM");
	assert_int_equal(choose(f, MAC_PC1, (struct req_shape){ 0x1234, false, false }, &c),
			 -ENOTSUP);
	assert_int_equal(choose(f, MAC_PC1, (struct req_shape){ 6, true, false }, &c),
			 -ENOTSUP);
	assert_string_equal(c.file, "");
}

/* loader pxelinux (pc2), and auto with [boot] loader = pxelinux (pc1). */
static void test_choose_pxelinux(void **state)
{
	struct bootfix *f = *state;
	const char *const macs[] = { MAC_PC2, MAC_PC1 };
	const char *const dashes[] = { "52-54-00-00-00-02", "52-54-00-00-00-01" };
	char url[128];
	size_t i;

	bootfix_cfg(&f->bd.cfg.boot_loader, "pxelinux");
	for (i = 0; i < ARRAY_SIZE(macs); i++) {
		expect_file(f, macs[i], (struct req_shape){ NO_ARCH, false, false },
			    "pxelinux.0", "PXEClient");
		expect_file(f, macs[i], (struct req_shape){ 0, false, false }, "pxelinux.0",
			    "PXEClient");
		expect_file(f, macs[i], (struct req_shape){ 7, false, false },
			    "efi64/syslinux.efi", "PXEClient");
		expect_file(f, macs[i], (struct req_shape){ 9, false, false },
			    "efi64/syslinux.efi", "PXEClient");
		/* No syslinux for ARM64: iPXE. */
		expect_file(f, macs[i], (struct req_shape){ 11, false, false },
			    "arm64/snponly.efi", "PXEClient");
		expect_file(f, macs[i], (struct req_shape){ 16, true, false },
			    "http://10.0.0.1:8080/snponly.efi", "HTTPClient");
		/* An iPXE ROM chains pxelinux, which it can run... */
		expect_file(f, macs[i], (struct req_shape){ 0, false, true }, "pxelinux.0",
			    "PXEClient");
		expect_file(f, macs[i], (struct req_shape){ 7, false, true },
			    "efi64/syslinux.efi", "PXEClient");
		/* ...but where there is no pxelinux, iPXE gets its script. */
		snprintf(url, sizeof(url), "http://10.0.0.1:8080/boot.ipxe?mac=%s", dashes[i]);
		expect_file(f, macs[i], (struct req_shape){ 11, false, true }, url, "PXEClient");
	}
}

/* Unknown clients, a group loader bootd does not serve, the server address. */
static void test_choose_policy(void **state)
{
	struct bootfix *f = *state;
	struct boot_choice c;

	assert_int_equal(choose(f, MAC_UNKNOWN, (struct req_shape){ 0, false, false }, &c),
			 -ENOENT);
	bootfix_assert_contains(c.reason, "not a registered client");
	bootfix_cfg(&f->bd.cfg.boot_unknown_clients, "default");
	bootfix_cfg(&f->bd.cfg.boot_default_group, "room102");
	expect_file(f, MAC_UNKNOWN, (struct req_shape){ 0, false, false }, "pxelinux.0",
		    "PXEClient");
	bootfix_cfg(&f->bd.cfg.boot_unknown_clients, "menu");
	expect_file(f, MAC_UNKNOWN, (struct req_shape){ 0, false, false }, "undionly.kpxe",
		    "PXEClient");

	bootfix_add_client(f, "52:54:00:00:00:04", "pc4", "old", "", "");
	assert_int_equal(choose(f, "52:54:00:00:00:04", (struct req_shape){ 0, false, false },
				&c), -ENOTSUP);
	bootfix_assert_contains(c.reason, "boot loader grub");
	assert_int_equal(choose(f, "nonsense", (struct req_shape){ 0, false, false }, &c),
			 -EINVAL);

	bootfix_cfg(&f->bd.cfg.server_address, "boot.example.org");
	expect_file(f, MAC_PC1, (struct req_shape){ 16, true, false },
		    "http://boot.example.org:8080/snponly.efi", "HTTPClient");
	bootfix_cfg(&f->bd.cfg.server_address, "fd00::1");
	expect_file(f, MAC_PC1, (struct req_shape){ 0, false, true },
		    "http://[fd00::1]:8080/boot.ipxe?mac=52-54-00-00-00-01", "PXEClient");
}

/**
 * render() - bootcfg_render() for @mac, which must succeed.
 * Return: the text (caller frees).
 */
static char *render(struct bootfix *f, enum bootcfg_kind kind, const char *mac)
{
	char err[256] = "", *text = NULL;
	int rc;

	rc = bootcfg_render(f->bd.boot, kind, mac, FIX_SERVER_IP, &text, err, sizeof(err));
	if (rc < 0)
		fail_msg("render %s: %s (%s)", mac, strerror(-rc), err);
	assert_non_null(text);
	return text;
}

/**
 * check_root_token() - the first root URL in @text names an export whose
 * token is valid and that matches one of @mac's boot entries, as blockd
 * checks.  @boot receives its boot id ("" if none).
 */
static void check_root_token(struct bootfix *f, const char *text, const char *mac,
			     char boot[EXPORT_BOOT_LEN + 1])
{
	const struct boot_policy p = { f->bd.cfg.boot_unknown_clients,
				       f->bd.cfg.boot_default_group };
	struct boot_entry *e = NULL;
	struct export_name en;
	const char *s = strstr(text, ROOT_PREFIX);
	char name[EXPORT_NAME_MAX], err[256] = "";
	size_t len, n = 0, i;
	bool matched = false;

	assert_non_null(s);
	s += strlen(ROOT_PREFIX);
	len = strcspn(s, " \n");
	assert_true(len < sizeof(name));
	memcpy(name, s, len);
	name[len] = '\0';
	if (export_parse(name, &en, err, sizeof(err)) < 0)
		fail_msg("export %s: %s", name, err);
	assert_true(export_token_ok(f->bd.st->secret, SECRET_LEN, &en));
	assert_int_equal(boot_entries(f->bd.st->reg, &p, mac, &e, &n, err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		matched |= boot_entry_matches(&e[i], &en);
	free(e);
	assert_true(matched);
	snprintf(boot, EXPORT_BOOT_LEN + 1, "%s", en.boot);
}

/* pc1, volatile: one pxelinux entry with the exact command line. */
static void test_render_pxelinux(void **state)
{
	struct bootfix *f = *state;
	char boot[EXPORT_BOOT_LEN + 1], *t = render(f, BOOTCFG_PXELINUX, MAC_PC1);

	bootfix_assert_contains(t, "DEFAULT lanroot\n");
	bootfix_assert_contains(t, "PROMPT 0\n");
	bootfix_assert_contains(t, "  KERNEL ::images/lab/1/vmlinuz\n");
	bootfix_assert_contains(t, "  APPEND initrd=::images/lab/1/initrd.img "
				"BOOTIF=01-52-54-00-00-00-01 " ROOT_PREFIX
				"52-54-00-00-00-01/lab/1/volatile/");
	bootfix_assert_contains(t, " lanroot.overlay=tmpfs quiet console=ttyS0\n");
	bootfix_assert_lacks(t, "UI menu.c32");
	bootfix_assert_lacks(t, "initrd=initrd.img");
	check_root_token(f, t, MAC_PC1, boot);
	assert_string_equal(boot, "");
	free(t);
}

/* pc1 in iPXE: kernel and initrd by URL, initrd=initrd.img as iPXE names it. */
static void test_render_ipxe(void **state)
{
	struct bootfix *f = *state;
	char boot[EXPORT_BOOT_LEN + 1], *t = render(f, BOOTCFG_IPXE, MAC_PC1);

	assert_true(str_has_prefix(t, "#!ipxe\n"));
	bootfix_assert_contains(t, "\nkernel http://10.0.0.1:8080/images/lab/1/vmlinuz "
				"initrd=initrd.img BOOTIF=01-52-54-00-00-00-01 " ROOT_PREFIX
				"52-54-00-00-00-01/lab/1/volatile/");
	bootfix_assert_contains(t, " lanroot.overlay=tmpfs quiet console=ttyS0 || goto "
				"failed\n");
	bootfix_assert_contains(t, "\ninitrd http://10.0.0.1:8080/images/lab/1/initrd.img || "
				"goto failed\nboot || goto failed\n");
	bootfix_assert_lacks(t, "choose");
	check_root_token(f, t, MAC_PC1, boot);
	free(t);

	/* [server] address is used in URLs when set. */
	bootfix_cfg(&f->bd.cfg.server_address, "192.168.5.5");
	t = render(f, BOOTCFG_IPXE, MAC_PC1);
	bootfix_assert_contains(t, "kernel http://192.168.5.5:8080/images/lab/1/vmlinuz ");
	bootfix_assert_contains(t, "lanroot.root=nbd://192.168.5.5:10809/");
	free(t);
}

/* pc2, persistent: the overlay is on the server. */
static void test_render_persistent(void **state)
{
	struct bootfix *f = *state;
	char boot[EXPORT_BOOT_LEN + 1], *t = render(f, BOOTCFG_PXELINUX, MAC_PC2);

	bootfix_assert_contains(t, "52-54-00-00-00-02/lab/1/persistent/");
	bootfix_assert_contains(t, " lanroot.overlay=server\n");
	check_root_token(f, t, MAC_PC2, boot);
	assert_string_equal(boot, "");
	free(t);
}

/* pc3, reset-on-boot with a menu: each rendering a new, larger boot id;
 * both entries in a menu with the configured timeout. */
static void test_render_menu_reset(void **state)
{
	struct bootfix *f = *state;
	char boot1[EXPORT_BOOT_LEN + 1], boot2[EXPORT_BOOT_LEN + 1], *t, *u;

	t = render(f, BOOTCFG_PXELINUX, MAC_PC3);
	bootfix_assert_contains(t, "UI menu.c32\n");
	bootfix_assert_contains(t, "TIMEOUT 50\n");
	bootfix_assert_contains(t, "DEFAULT e0\n");
	bootfix_assert_contains(t, "LABEL e0\n  MENU LABEL room103: lab version 1 "
				"(reset-on-boot)\n  KERNEL ::images/lab/1/vmlinuz\n");
	bootfix_assert_contains(t, "LABEL e1\n  MENU LABEL tools version 1 (volatile)\n"
				"  KERNEL ::images/tools/1/vmlinuz\n");
	bootfix_assert_contains(t, "52-54-00-00-00-03/lab/1/reset-on-boot/");
	bootfix_assert_contains(t, "52-54-00-00-00-03/tools/1/volatile/");
	check_root_token(f, t, MAC_PC3, boot1);
	assert_int_equal(strlen(boot1), EXPORT_BOOT_LEN);

	u = render(f, BOOTCFG_IPXE, MAC_PC3);
	bootfix_assert_contains(u, "\nmenu lanroot: choose what to boot\n"
				"item e0 room103: lab version 1 (reset-on-boot)\n"
				"item e1 tools version 1 (volatile)\n"
				"choose --default e0 --timeout 5000 target || set target e0\n"
				"goto ${target}\n");
	bootfix_assert_contains(u, "\n:e0\nkernel http://10.0.0.1:8080/images/lab/1/vmlinuz ");
	bootfix_assert_contains(u, "\n:e1\nkernel http://10.0.0.1:8080/images/tools/1/vmlinuz ");
	bootfix_assert_contains(u, "\n:failed\n");
	check_root_token(f, u, MAC_PC3, boot2);
	assert_true(strcmp(boot2, boot1) > 0);
	free(t);
	free(u);

	/* Timeout 0: wait for a choice. */
	f->bd.cfg.boot_menu_timeout = 0;
	u = render(f, BOOTCFG_IPXE, MAC_PC3);
	bootfix_assert_contains(u, "choose --default e0 target || set target e0\n");
	free(u);
}

/* Unknown machines: refused, the default group, or a menu of groups. */
static void test_render_unknown(void **state)
{
	struct bootfix *f = *state;
	char err[256] = "", boot[EXPORT_BOOT_LEN + 1], *t = NULL;

	assert_int_equal(bootcfg_render(f->bd.boot, BOOTCFG_PXELINUX, MAC_UNKNOWN,
					FIX_SERVER_IP, &t, err, sizeof(err)), -ENOENT);
	assert_null(t);
	bootfix_assert_contains(err, "not a registered client");

	bootfix_cfg(&f->bd.cfg.boot_unknown_clients, "default");
	bootfix_cfg(&f->bd.cfg.boot_default_group, "room101");
	t = render(f, BOOTCFG_PXELINUX, MAC_UNKNOWN);
	bootfix_assert_contains(t, "DEFAULT lanroot\n");
	bootfix_assert_contains(t, "52-54-00-00-00-99/lab/1/volatile/");
	bootfix_assert_contains(t, " lanroot.overlay=tmpfs quiet\n");
	check_root_token(f, t, MAC_UNKNOWN, boot);
	free(t);

	bootfix_cfg(&f->bd.cfg.boot_unknown_clients, "menu");
	t = render(f, BOOTCFG_IPXE, MAC_UNKNOWN);
	/* One volatile entry per group; the groups on the same image and
	 * version collapse into the first: a single entry, no menu. */
	bootfix_assert_contains(t, "52-54-00-00-00-99/lab/1/volatile/");
	bootfix_assert_lacks(t, "choose");
	check_root_token(f, t, MAC_UNKNOWN, boot);
	free(t);
	bootfix_add_group(f, "toolroom", "tools", "persistent", "", "auto", "");
	t = render(f, BOOTCFG_PXELINUX, MAC_UNKNOWN);
	bootfix_assert_contains(t, "MENU LABEL old: lab version 1 (volatile)\n");
	bootfix_assert_contains(t, "MENU LABEL toolroom: tools version 1 (volatile)\n");
	bootfix_assert_lacks(t, "persistent");
	free(t);
}

/* What cannot be rendered: a version without a kernel, a command line iPXE
 * would expand, a bad MAC.  A menu leaves such entries out. */
static void test_render_errors(void **state)
{
	struct bootfix *f = *state;
	struct reg_group g;
	char err[256] = "", *t = NULL;

	assert_int_equal(bootcfg_render(f->bd.boot, BOOTCFG_IPXE, "52:54:00", FIX_SERVER_IP,
					&t, err, sizeof(err)), -EINVAL);
	bootfix_assert_contains(err, "invalid MAC address");

	assert_int_equal(registry_group_get(f->bd.st->reg, "room101", &g), 0);
	snprintf(g.cmdline, sizeof(g.cmdline), "x=${net0/mac}");
	assert_int_equal(registry_group_set(f->bd.st->reg, &g), 0);
	assert_int_equal(bootcfg_render(f->bd.boot, BOOTCFG_IPXE, MAC_PC1, FIX_SERVER_IP,
					&t, err, sizeof(err)), -EINVAL);
	bootfix_assert_contains(err, "which iPXE would expand");
	t = render(f, BOOTCFG_PXELINUX, MAC_PC1);	/* syslinux does not expand */
	bootfix_assert_contains(t, "x=${net0/mac} console=ttyS0\n");
	free(t);

	bootfix_add_version(f, "nokernel", false);
	bootfix_add_group(f, "bare", "nokernel", "volatile", "tools", "auto", "");
	bootfix_add_client(f, "52:54:00:00:00:05", "pc5", "bare", "", "");
	t = render(f, BOOTCFG_IPXE, "52:54:00:00:00:05");
	bootfix_assert_lacks(t, "nokernel");
	bootfix_assert_lacks(t, "menu");
	bootfix_assert_contains(t, "images/tools/1/vmlinuz");
	free(t);
	t = NULL;
	bootfix_add_group(f, "bare2", "nokernel", "volatile", "", "auto", "");
	bootfix_add_client(f, "52:54:00:00:00:06", "pc6", "bare2", "", "");
	assert_int_equal(bootcfg_render(f->bd.boot, BOOTCFG_IPXE, "52:54:00:00:00:06",
					FIX_SERVER_IP, &t, err, sizeof(err)), -ENOENT);
	assert_null(t);
	bootfix_assert_contains(err, "nokernel version 1 has no kernel");
}

/* Each rendering is a boot.config event. */
static void test_render_event(void **state)
{
	struct bootfix *f = *state;
	FILE *fp = tmpfile();
	char *t, *log;

	assert_non_null(fp);
	log_init("test-bootcfg", LOG_TARGET_JSON, LOG_LVL_INFO);
	log_set_stream(fp);
	t = render(f, BOOTCFG_IPXE, MAC_PC3);
	free(t);
	log_set_stream(NULL);
	log = tu_stream_text(fp);
	fclose(fp);
	bootfix_assert_contains(log, "\"event\":\"boot.config\"");
	bootfix_assert_contains(log, "\"kind\":\"ipxe\"");
	bootfix_assert_contains(log, "\"mac\":\"52:54:00:00:00:03\"");
	bootfix_assert_contains(log, "\"image\":\"lab\"");
	bootfix_assert_contains(log, "\"mode\":\"reset-on-boot\"");
	bootfix_assert_contains(log, "\"entries\":2");
	free(log);
	log_init("test-bootcfg", LOG_TARGET_STDERR, LOG_LVL_WARN);
}

/* bootcfg_reload() reopens the directories from the new config. */
static void test_reload(void **state)
{
	struct bootfix *f = *state;
	char err[512] = "";

	assert_int_equal(bootcfg_reload(f->bd.boot, err, sizeof(err)), 0);
	bootfix_cfg(&f->bd.cfg.tftp_root, "/nonexistent/tftp");
	assert_int_equal(bootcfg_reload(f->bd.boot, err, sizeof(err)), -ENOENT);
	bootfix_assert_contains(err, "[tftp] root /nonexistent/tftp");
	assert_int_equal(f->bd.boot->dirfd[BOOTCFG_DIR_TFTP], -1);
	assert_true(f->bd.boot->dirfd[BOOTCFG_DIR_IPXE] >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_choose_ipxe, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_choose_pxelinux, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_choose_policy, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_pxelinux, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_ipxe, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_persistent, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_menu_reset, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_unknown, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_errors, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_render_event, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, bootfix_teardown),
	};

	log_init("test-bootcfg", LOG_TARGET_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
