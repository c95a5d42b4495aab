/* The bootd test fixture: see test-bootfix.h. */
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

#include "conf.h"
#include "registry.h"
#include "test-bootfix.h"
#include "testutil.h"
#include "util.h"

/* Debian-layout files of the fake package directories. */
static const char *const debian_files[] = {
	"deb/PXELINUX/pxelinux.0",
	"deb/PXELINUX/lpxelinux.0",
	"deb/syslinux/modules/bios/ldlinux.c32",
	"deb/syslinux/modules/bios/menu.c32",
	"deb/syslinux/modules/efi64/ldlinux.e64",
	"deb/syslinux/modules/efi64/menu.c32",
	"deb/SYSLINUX.EFI/efi64/syslinux.efi",
	"deb/ipxe/undionly.kpxe",
	"deb/ipxe/snponly.efi",
	"deb/ipxe/ipxe.efi",
	"deb/ipxe/ipxe.pxe",
	"deb/ipxe/arm64-efi/snponly.efi",
};

void bootfix_cfg(char **field, const char *value)
{
	free(*field);
	*field = xstrdup(value);
}

/** put_path() - write @text to @dir/@rel, making its directories. */
static void put_path(const char *dir, const char *rel, const char *text)
{
	char *path = tu_path(dir, rel), *slash;

	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(mkdir_p(path, 0755), 0);
	*slash = '/';
	tu_write_file(path, text, strlen(text), 0644);
	free(path);
}

int bootfix_setup(void **state)
{
	struct bootfix *f = xcalloc(1, sizeof(*f));
	char err[512] = "", *p;
	size_t i;

	f->dir = tu_scratch_make();
	for (i = 0; i < ARRAY_SIZE(debian_files); i++)
		put_path(f->dir, debian_files[i], debian_files[i]);
	tu_mkdir(f->dir, FIX_TFTP, 0755);
	p = tu_path(f->dir, FIX_STATE);
	if (store_init(p, err, sizeof(err)) < 0 ||
	    store_open(p, &f->bd.st, err, sizeof(err)) < 0)
		fail_msg("store: %s", err);
	free(p);

	config_init(&f->bd.cfg);
	p = tu_path(f->dir, FIX_TFTP);
	bootfix_cfg(&f->bd.cfg.tftp_root, p);
	free(p);
	p = tu_path(f->dir, FIX_STATE);
	bootfix_cfg(&f->bd.cfg.state_dir, p);
	free(p);
	p = tu_path(f->dir, "deb/PXELINUX");
	bootfix_cfg(&f->bd.cfg.boot_pxelinux_dir, p);
	free(p);
	p = tu_path(f->dir, "deb/syslinux/modules");
	bootfix_cfg(&f->bd.cfg.boot_syslinux_dir, p);
	free(p);
	p = tu_path(f->dir, "deb/SYSLINUX.EFI");
	bootfix_cfg(&f->bd.cfg.boot_syslinux_efi_dir, p);
	free(p);
	p = tu_path(f->dir, "deb/ipxe");
	bootfix_cfg(&f->bd.cfg.boot_ipxe_dir, p);
	free(p);
	bootfix_cfg(&f->bd.cfg.server_address, "");
	bootfix_cfg(&f->bd.cfg.boot_loader, "ipxe");
	bootfix_cfg(&f->bd.cfg.boot_unknown_clients, "refuse");
	bootfix_cfg(&f->bd.cfg.boot_default_group, "");
	f->bd.cfg.http_port = FIX_HTTP_PORT;
	f->bd.cfg.nbd_port = FIX_NBD_PORT;
	f->bd.cfg.boot_menu_timeout = 5;
	f->bd.cfg.boot_check_requester = true;

	f->bd.clients = clientmap_new(16);
	p = tu_path(f->dir, FIX_ARP);
	tu_write_file(p, "", 0, 0644);
	clientmap_set_arp_path(f->bd.clients, p);
	free(p);
	f->bd.boot = bootcfg_new(&f->bd);
	*state = f;
	return 0;
}

int bootfix_teardown(void **state)
{
	struct bootfix *f = *state;

	bootcfg_free(f->bd.boot);
	clientmap_free(f->bd.clients);
	store_close(f->bd.st);
	config_free(&f->bd.cfg);
	tu_scratch_remove(f->dir);
	free(f);
	return 0;
}

int bootfix_add_version(struct bootfix *f, const char *image, bool kernel)
{
	static const char *const files[] = { STORE_KERNEL, STORE_INITRD, STORE_ROOTFS };
	struct reg_version v;
	char rel[256], text[256];
	size_t i;
	int n = 0;

	memset(&v, 0, sizeof(v));
	snprintf(v.image, sizeof(v.image), "%s", image);
	snprintf(v.format, sizeof(v.format), "ext4");
	if (kernel) {
		snprintf(v.kernel, sizeof(v.kernel), STORE_KERNEL);
		snprintf(v.initrd, sizeof(v.initrd), STORE_INITRD);
	}
	if (registry_version_add(f->bd.st->reg, &v, NULL, NULL, &n) < 0)
		fail_msg("version add: %s", registry_error(f->bd.st->reg));
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		if (!kernel && i < 2)
			continue;
		snprintf(rel, sizeof(rel), FIX_STATE "/images/%s/%d/%s", image, n, files[i]);
		snprintf(text, sizeof(text), "%s/%d/%s", image, n, files[i]);
		put_path(f->dir, rel, text);
	}
	return n;
}

void bootfix_add_group(struct bootfix *f, const char *name, const char *image,
		       const char *mode, const char *menu, const char *loader,
		       const char *cmdline)
{
	struct reg_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	snprintf(g.image, sizeof(g.image), "%s", image);
	snprintf(g.mode, sizeof(g.mode), "%s", mode);
	snprintf(g.menu, sizeof(g.menu), "%s", menu);
	snprintf(g.loader, sizeof(g.loader), "%s", loader);
	snprintf(g.cmdline, sizeof(g.cmdline), "%s", cmdline);
	if (registry_group_add(f->bd.st->reg, &g) < 0)
		fail_msg("group add %s: %s", name, registry_error(f->bd.st->reg));
}

void bootfix_add_client(struct bootfix *f, const char *mac, const char *name,
			const char *group, const char *mode, const char *cmdline)
{
	struct reg_client c;

	memset(&c, 0, sizeof(c));
	snprintf(c.mac, sizeof(c.mac), "%s", mac);
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.group, sizeof(c.group), "%s", group);
	snprintf(c.mode, sizeof(c.mode), "%s", mode);
	snprintf(c.cmdline, sizeof(c.cmdline), "%s", cmdline);
	if (registry_client_add(f->bd.st->reg, &c) < 0)
		fail_msg("client add %s: %s", name, registry_error(f->bd.st->reg));
}

void bootfix_arp(struct bootfix *f, const char *const *lines, size_t n)
{
	char *p = tu_path(f->dir, FIX_ARP), ip[64], mac[64];
	FILE *fp;
	size_t i;

	fp = fopen(p, "w");
	assert_non_null(fp);
	fprintf(fp, "IP address       HW type     Flags       HW address            "
		"Mask     Device\n");
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(lines[i], "%63s %63s", ip, mac), 2);
		fprintf(fp, "%-16s 0x1         0x2         %-21s *        eth0\n", ip, mac);
	}
	fclose(fp);
	free(p);
}

void bootfix_assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack ? haystack : "(null)", needle);
}

void bootfix_assert_lacks(const char *haystack, const char *needle)
{
	if (haystack && strstr(haystack, needle))
		fail_msg("'%s' contains '%s'", haystack, needle);
}
