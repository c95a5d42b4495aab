/* Unit tests for bootserver/vfs.c: every traversal form, symlinks out of
 * the root, loaders found in a fake Debian layout, admin overrides, image
 * version files, the pxelinux.cfg name forms, boot.ipxe and the
 * check_requester rule.
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
#include <unistd.h>

#include "beneath.h"
#include "log.h"
#include "test-bootfix.h"
#include "testutil.h"
#include "util.h"
#include "vfs.h"

#define MAC_PC1 "52:54:00:00:00:01"
#define MAC_PC2 "52:54:00:00:00:02"
#define IP_LOOPBACK 0x7f000001U
#define IP_PC1 0x0a000002U	/* 10.0.0.2 */
#define IP_PC2 0x0a000003U	/* 10.0.0.3 */
#define IP_OTHER 0x0a000009U	/* 10.0.0.9: nobody known */

static const uint8_t uuid_pc1[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
				      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 };

/* Image lab (1 version); group room101; pc1 (at 10.0.0.2, UUID learned)
 * and pc2 (at 10.0.0.3 in the neighbour table) in it. */
static int setup(void **state)
{
	static const char *const arp[] = { "10.0.0.3 52:54:00:00:00:02" };
	struct bootfix *f;

	bootfix_setup(state);
	f = *state;
	bootfix_add_version(f, "lab", true);
	bootfix_add_group(f, "room101", "lab", "volatile", "", "auto", "");
	bootfix_add_client(f, MAC_PC1, "pc1", "room101", "", "");
	bootfix_add_client(f, MAC_PC2, "pc2", "room101", "", "");
	clientmap_learn(f->bd.clients, IP_PC1, MAC_PC1, uuid_pc1);
	bootfix_arp(f, arp, ARRAY_SIZE(arp));
	return 0;
}

/**
 * vopen() - vfs_open() of @path over TFTP from @peer.
 * Return: its result; @out filled, @err the message.
 */
static int vopen(struct bootfix *f, const char *path, uint32_t peer, const char *query_mac,
		 struct vfs_file *out, char *err, size_t errlen)
{
	const struct vfs_req req = {
		.path = path, .proto = query_mac ? VFS_HTTP : VFS_TFTP, .peer_ip = peer,
		.server_ip = FIX_SERVER_IP, .query_mac = query_mac,
	};

	return vfs_open(f->bd.boot, &req, out, err, errlen);
}

/** content() - the bytes of an open @file as a string (caller frees). */
static char *content(const struct vfs_file *file)
{
	char *buf = xcalloc(1, (size_t)file->size + 1);

	if (file->fd < 0) {
		memcpy(buf, file->data, (size_t)file->size);
		return buf;
	}
	assert_int_equal(pread_full(file->fd, buf, (size_t)file->size, 0), 0);
	return buf;
}

/**
 * expect_served() - @path (from loopback) opens as @kind holding @text
 * (a prefix of the content when @prefix).
 */
static void expect_served(struct bootfix *f, const char *path, const char *kind,
			  const char *text)
{
	struct vfs_file file;
	char err[256] = "", *got;
	int rc = vopen(f, path, IP_LOOPBACK, NULL, &file, err, sizeof(err));

	if (rc < 0)
		fail_msg("%s: %s (%s)", path, strerror(-rc), err);
	assert_string_equal(file.kind, kind);
	got = content(&file);
	assert_int_equal(strlen(got), file.size);
	if (strcmp(got, text) != 0)
		fail_msg("%s: got '%s', expected '%s'", path, got, text);
	free(got);
	vfs_close(&file);
	vfs_close(&file);	/* idempotent */
}

/** expect_refused() - @path from @peer fails with @rc, @err naming @what. */
static void expect_refused(struct bootfix *f, const char *path, uint32_t peer, int rc,
			   const char *what)
{
	struct vfs_file file;
	char err[256] = "";
	int got = vopen(f, path, peer, NULL, &file, err, sizeof(err));

	if (got != rc)
		fail_msg("%s: got %d (%s), expected %d", path, got, err, rc);
	assert_int_equal(file.fd, -1);
	assert_null(file.data);
	bootfix_assert_contains(err, what);
}

static void test_normalize(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *out;
	} cases[] = {
		{ "pxelinux.0", 0, "pxelinux.0" },
		{ "/pxelinux.0", 0, "pxelinux.0" },
		{ "//\\\\pxelinux.0", 0, "pxelinux.0" },
		{ "efi64\\syslinux.efi", 0, "efi64/syslinux.efi" },
		{ "./a/./b", 0, "a/b" },
		{ "..", -EACCES, NULL },
		{ "../etc/passwd", -EACCES, NULL },
		{ "/../etc/passwd", -EACCES, NULL },
		{ "a/../../etc/passwd", -EACCES, NULL },
		{ "a/..", -EACCES, NULL },
		{ "..\\..\\windows", -EACCES, NULL },
		{ "a\\..\\b", -EACCES, NULL },
		{ "...", 0, "..." },
		{ "..a", 0, "..a" },
		{ "", -EINVAL, NULL },
		{ "/", -EINVAL, NULL },
		{ ".", -EINVAL, NULL },
		{ "a//b", -EINVAL, NULL },
		{ "a/", -EINVAL, NULL },
		{ "a\tb", -EINVAL, NULL },
		{ "a\nb", -EINVAL, NULL },
		{ "a\x7f", -EINVAL, NULL },
	};
	char out[VFS_PATH_MAX], err[256], *big;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		err[0] = '\0';
		rc = vfs_normalize(cases[i].in, strlen(cases[i].in), out, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("'%s': got %d (%s), expected %d", cases[i].in, rc, err,
				 cases[i].rc);
		if (rc == 0)
			assert_string_equal(out, cases[i].out);
		else
			assert_true(err[0] != '\0');
	}
	/* A NUL inside the name (HTTP %00). */
	assert_int_equal(vfs_normalize("a\0b", 3, out, err, sizeof(err)), -EINVAL);
	bootfix_assert_contains(err, "NUL");
	/* Too long. */
	big = xmalloc(VFS_PATH_MAX + 10);
	memset(big, 'a', VFS_PATH_MAX + 9);
	big[VFS_PATH_MAX + 9] = '\0';
	assert_int_equal(vfs_normalize(big, strlen(big), out, err, sizeof(err)), -EINVAL);
	bootfix_assert_contains(err, "too long");
	free(big);
}

/* Traversal through vfs_open(), under the real and the fallback walk. */
static void traversal(struct bootfix *f)
{
	char *root = tu_path(f->dir, FIX_TFTP), *secret = tu_path(f->dir, "secret.txt");

	tu_write_file(secret, "secret", 6, 0644);
	tu_put(root, "hello.txt", "hello", 0644);
	tu_mkdir(root, "sub", 0755);
	tu_put(root, "sub/inner.txt", "inner", 0644);
	tu_symlink(root, "out", secret);
	tu_symlink(root, "outdir", f->dir);
	tu_symlink(root, "inside", "sub/inner.txt");

	expect_served(f, "hello.txt", "file", "hello");
	expect_served(f, "/hello.txt", "file", "hello");
	expect_served(f, "\\sub\\inner.txt", "file", "inner");
	expect_refused(f, "../secret.txt", IP_LOOPBACK, -EACCES, "'..'");
	expect_refused(f, "sub/../../secret.txt", IP_LOOPBACK, -EACCES, "'..'");
	expect_refused(f, "..\\secret.txt", IP_LOOPBACK, -EACCES, "'..'");
	expect_refused(f, "out", IP_LOOPBACK, -EACCES, "outside");
	expect_refused(f, "outdir/secret.txt", IP_LOOPBACK, -EACCES, "outside");
	/* An absolute path is taken beneath the root. */
	expect_refused(f, secret, IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "sub", IP_LOOPBACK, -EISDIR, "directory");
	expect_refused(f, "nothing-here", IP_LOOPBACK, -ENOENT, "nothing-here: no such file");
	expect_refused(f, "a\x01", IP_LOOPBACK, -EINVAL, "control character");
	free(root);
	free(secret);
}

static void test_traversal(void **state)
{
	struct bootfix *f = *state;

	traversal(f);
}

static void test_traversal_fallback(void **state)
{
	struct bootfix *f = *state;
	char *root = tu_path(f->dir, FIX_TFTP);

	open_beneath_force_fallback(1);
	traversal(f);
	/* The fallback refuses even symlinks that stay inside. */
	expect_refused(f, "inside", IP_LOOPBACK, -EACCES, "outside");
	open_beneath_force_fallback(0);
	expect_served(f, "inside", "file", "inner");
	free(root);
}

/* Loaders come from the Debian directories under their standard names;
 * a file in the TFTP root overrides one. */
static void test_loaders(void **state)
{
	struct bootfix *f = *state;
	char *root = tu_path(f->dir, FIX_TFTP);

	expect_served(f, "pxelinux.0", "loader", "deb/PXELINUX/pxelinux.0");
	expect_served(f, "lpxelinux.0", "loader", "deb/PXELINUX/lpxelinux.0");
	expect_served(f, "ldlinux.c32", "loader", "deb/syslinux/modules/bios/ldlinux.c32");
	expect_served(f, "menu.c32", "loader", "deb/syslinux/modules/bios/menu.c32");
	expect_served(f, "efi64/syslinux.efi", "loader", "deb/SYSLINUX.EFI/efi64/syslinux.efi");
	expect_served(f, "efi64/ldlinux.e64", "loader",
		      "deb/syslinux/modules/efi64/ldlinux.e64");
	expect_served(f, "/efi64/menu.c32", "loader", "deb/syslinux/modules/efi64/menu.c32");
	expect_served(f, "undionly.kpxe", "loader", "deb/ipxe/undionly.kpxe");
	expect_served(f, "snponly.efi", "loader", "deb/ipxe/snponly.efi");
	expect_served(f, "ipxe.efi", "loader", "deb/ipxe/ipxe.efi");
	expect_served(f, "ipxe.pxe", "loader", "deb/ipxe/ipxe.pxe");
	expect_served(f, "arm64/snponly.efi", "loader", "deb/ipxe/arm64-efi/snponly.efi");
	/* Names that are not loaders, or loaders that are not there. */
	expect_refused(f, "vesamenu.c32", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "efi64/other.efi", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "efi64/sub/menu.c32", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "undionly.kkpxe", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, ".c32", IP_LOOPBACK, -ENOENT, "no such file");
	/* Within a loader directory, no escape either. */
	expect_refused(f, "arm64/../../../secret", IP_LOOPBACK, -EACCES, "'..'");

	/* The admin's own pxelinux.0 and module win. */
	tu_put(root, "pxelinux.0", "mine", 0644);
	tu_mkdir(root, "efi64", 0755);
	tu_put(root, "efi64/menu.c32", "my menu", 0644);
	expect_served(f, "pxelinux.0", "file", "mine");
	expect_served(f, "efi64/menu.c32", "file", "my menu");
	expect_served(f, "efi64/ldlinux.e64", "loader",
		      "deb/syslinux/modules/efi64/ldlinux.e64");

	/* Missing package directories: served from the TFTP root only. */
	bootfix_cfg(&f->bd.cfg.boot_ipxe_dir, "/nonexistent/ipxe");
	bootcfg_reload(f->bd.boot, NULL, 0);
	expect_refused(f, "snponly.efi", IP_LOOPBACK, -ENOENT, "no such file");
	free(root);
}

/* images/IMAGE/VERSION/FILE of registered versions only. */
static void test_images(void **state)
{
	struct bootfix *f = *state;
	char *path;

	expect_served(f, "images/lab/1/vmlinuz", "image", "lab/1/vmlinuz");
	expect_served(f, "/images/lab/1/initrd.img", "image", "lab/1/initrd.img");
	expect_served(f, "images/lab/1/rootfs.img", "image", "lab/1/rootfs.img");
	expect_refused(f, "images/lab/2/vmlinuz", IP_LOOPBACK, -ENOENT, "no image lab version 2");
	expect_refused(f, "images/lab/1/manifest.json", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "images/lab/x/vmlinuz", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "images/lab/0/vmlinuz", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "images/-x/1/vmlinuz", IP_LOOPBACK, -ENOENT, "no such file");
	expect_refused(f, "images/lab/../lab/1/vmlinuz", IP_LOOPBACK, -EACCES, "'..'");
	/* A directory left behind without a registry row is not served. */
	path = tu_path(f->dir, FIX_STATE "/images/ghost/1");
	assert_int_equal(mkdir_p(path, 0755), 0);
	tu_put(path, "vmlinuz", "ghost", 0644);
	expect_refused(f, "images/ghost/1/vmlinuz", IP_LOOPBACK, -ENOENT, "no image ghost");
	free(path);
	/* A registered version whose file is missing. */
	path = tu_path(f->dir, FIX_STATE "/images/lab/1/vmlinuz");
	assert_int_equal(unlink(path), 0);
	expect_refused(f, "images/lab/1/vmlinuz", IP_LOOPBACK, -ENOENT, "no such file");
	free(path);
}

/**
 * expect_config() - @path from @peer is a pxelinux config for @mac.
 */
static void expect_config(struct bootfix *f, const char *path, uint32_t peer, const char *mac)
{
	struct vfs_file file;
	char err[256] = "", *got, bootif[64];
	int rc = vopen(f, path, peer, NULL, &file, err, sizeof(err));
	uint8_t bin[6];
	char dash[18];

	if (rc < 0)
		fail_msg("%s: %s (%s)", path, strerror(-rc), err);
	assert_string_equal(file.kind, "config");
	assert_string_equal(file.mac, mac);
	assert_int_equal(file.fd, -1);
	got = content(&file);
	assert_int_equal(mac_parse(mac, bin), 0);
	mac_format_dash(bin, dash);
	snprintf(bootif, sizeof(bootif), "BOOTIF=01-%s ", dash);
	bootfix_assert_contains(got, bootif);
	bootfix_assert_contains(got, "KERNEL ::images/lab/1/vmlinuz");
	free(got);
	vfs_close(&file);
}

/* The names pxelinux tries, with and without a path prefix. */
static void test_pxelinux_names(void **state)
{
	struct bootfix *f = *state;
	char *root = tu_path(f->dir, FIX_TFTP);

	/* By MAC in the name. */
	expect_config(f, "pxelinux.cfg/01-52-54-00-00-00-01", IP_LOOPBACK, MAC_PC1);
	expect_config(f, "efi64/pxelinux.cfg/01-52-54-00-00-00-02", IP_LOOPBACK, MAC_PC2);
	expect_config(f, "pxelinux.cfg/01-52-54-00-00-00-01", IP_PC1, MAC_PC1);
	/* By UUID learned from DHCP, in either byte order. */
	expect_config(f, "pxelinux.cfg/01020304-0506-0708-090a-0b0c0d0e0f10", IP_LOOPBACK,
		      MAC_PC1);
	expect_config(f, "pxelinux.cfg/04030201-0605-0807-090a-0b0c0d0e0f10", IP_LOOPBACK,
		      MAC_PC1);
	/* An unknown UUID, hex IP prefixes and default: the requester. */
	expect_config(f, "pxelinux.cfg/ffffffff-ffff-ffff-ffff-ffffffffffff", IP_PC2, MAC_PC2);
	expect_config(f, "pxelinux.cfg/0A000002", IP_PC1, MAC_PC1);
	expect_config(f, "pxelinux.cfg/0A00000", IP_PC1, MAC_PC1);
	expect_config(f, "pxelinux.cfg/0", IP_PC2, MAC_PC2);
	expect_config(f, "pxelinux.cfg/default", IP_PC2, MAC_PC2);
	expect_config(f, "/pxelinux.cfg/default", IP_PC1, MAC_PC1);

	/* A requester nobody knows, an unknown machine, other names. */
	expect_refused(f, "pxelinux.cfg/default", IP_OTHER, -ENOENT, "cannot tell which");
	expect_refused(f, "pxelinux.cfg/01-52-54-00-00-00-99", IP_LOOPBACK, -ENOENT,
		       "not a registered client");
	expect_refused(f, "pxelinux.cfg/01-zz-54-00-00-00-99", IP_LOOPBACK, -ENOENT,
		       "not a MAC address");
	expect_refused(f, "pxelinux.cfg/0a000002", IP_PC1, -ENOENT, "no such file");
	expect_refused(f, "pxelinux.cfg/0A0000021", IP_PC1, -ENOENT, "no such file");
	expect_refused(f, "pxelinux.cfg/other", IP_PC1, -ENOENT, "no such file");
	/* xpxelinux.cfg/… is not the config directory. */
	expect_refused(f, "xpxelinux.cfg/default", IP_PC1, -ENOENT, "no such file");

	/* An admin's file of the same name serves a machine bootd refuses. */
	tu_mkdir(root, "pxelinux.cfg", 0755);
	tu_put(root, "pxelinux.cfg/01-52-54-00-00-00-99", "DEFAULT local\n", 0644);
	expect_served(f, "pxelinux.cfg/01-52-54-00-00-00-99", "file", "DEFAULT local\n");
	free(root);
}

/* Admin fallback files are served for a refused machine's names. */
static void test_pxelinux_admin_default(void **state)
{
	struct bootfix *f = *state;
	char *root = tu_path(f->dir, FIX_TFTP);
	struct vfs_file file;
	char err[256] = "", *got;

	tu_mkdir(root, "pxelinux.cfg", 0755);
	tu_put(root, "pxelinux.cfg/default", "DEFAULT local\n", 0644);
	assert_int_equal(vopen(f, "pxelinux.cfg/default", IP_OTHER, NULL, &file, err,
			       sizeof(err)), 0);
	assert_string_equal(file.kind, "file");
	got = content(&file);
	assert_string_equal(got, "DEFAULT local\n");
	free(got);
	vfs_close(&file);
	/* A known requester still gets its rendered config. */
	expect_config(f, "pxelinux.cfg/default", IP_PC1, MAC_PC1);
	free(root);
}

/* A config goes only to the machine it is for, or to loopback. */
static void test_check_requester(void **state)
{
	struct bootfix *f = *state;
	struct vfs_file file;
	char err[256] = "", *got;

	expect_refused(f, "pxelinux.cfg/01-52-54-00-00-00-02", IP_PC1, -EACCES,
		       "the boot config of 52:54:00:00:00:02 is not for 10.0.0.2 (MAC "
		       "52:54:00:00:00:01)");
	expect_refused(f, "pxelinux.cfg/01-52-54-00-00-00-01", IP_OTHER, -EACCES,
		       "unknown MAC");
	/* The neighbour table counts as knowing the requester. */
	expect_config(f, "pxelinux.cfg/01-52-54-00-00-00-02", IP_PC2, MAC_PC2);

	/* boot.ipxe: ?mac= must be the requester's. */
	assert_int_equal(vopen(f, "boot.ipxe", IP_PC1, "52-54-00-00-00-02", &file, err,
			       sizeof(err)), -EACCES);
	assert_int_equal(vopen(f, "boot.ipxe", IP_PC1, "52-54-00-00-00-01", &file, err,
			       sizeof(err)), 0);
	assert_string_equal(file.kind, "config");
	assert_string_equal(file.mac, MAC_PC1);
	got = content(&file);
	assert_true(str_has_prefix(got, "#!ipxe\n"));
	bootfix_assert_contains(got, "kernel http://10.0.0.1:8080/images/lab/1/vmlinuz ");
	free(got);
	vfs_close(&file);
	/* Without ?mac=: the requester's own. */
	assert_int_equal(vopen(f, "/boot.ipxe", IP_PC2, NULL, &file, err, sizeof(err)), 0);
	assert_string_equal(file.mac, MAC_PC2);
	vfs_close(&file);
	assert_int_equal(vopen(f, "boot.ipxe", IP_OTHER, NULL, &file, err, sizeof(err)),
			 -ENOENT);
	bootfix_assert_contains(err, "cannot tell which machine 10.0.0.9 is");
	assert_int_equal(vopen(f, "boot.ipxe", IP_PC1, "junk", &file, err, sizeof(err)),
			 -EINVAL);
	bootfix_assert_contains(err, "invalid MAC address 'junk'");
	/* Loopback may fetch anyone's. */
	assert_int_equal(vopen(f, "boot.ipxe", IP_LOOPBACK, "52:54:00:00:00:02", &file, err,
			       sizeof(err)), 0);
	vfs_close(&file);

	/* check_requester = no: anyone gets any config. */
	f->bd.cfg.boot_check_requester = false;
	expect_config(f, "pxelinux.cfg/01-52-54-00-00-00-02", IP_PC1, MAC_PC2);
	assert_int_equal(vopen(f, "boot.ipxe", IP_OTHER, "52:54:00:00:00:02", &file, err,
			       sizeof(err)), 0);
	vfs_close(&file);
}

/* Bad arguments. */
static void test_bad_args(void **state)
{
	struct bootfix *f = *state;
	struct vfs_file file;
	struct vfs_req req = { .path = NULL, .proto = VFS_HTTP };
	char err[256] = "";

	assert_int_equal(vfs_open(f->bd.boot, &req, &file, err, sizeof(err)), -EINVAL);
	assert_int_equal(file.fd, -1);
	assert_int_equal(vfs_open(f->bd.boot, NULL, &file, err, sizeof(err)), -EINVAL);
	assert_int_equal(vfs_open(f->bd.boot, &req, NULL, err, sizeof(err)), -EINVAL);
	vfs_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test_setup_teardown(test_traversal, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_traversal_fallback, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_loaders, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_images, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_pxelinux_names, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_pxelinux_admin_default, setup,
						bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_check_requester, setup, bootfix_teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, bootfix_teardown),
	};

	log_init("test-vfs", LOG_TARGET_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
