/* A bootd context for the unit tests of bootcfg and vfs: a store with a
 * registry in a scratch directory, a TFTP root, a fake Debian loader
 * layout (each file holds its own Debian path, so a test sees which one
 * was served) and a client map with a fake neighbour table.
 * Include after <cmocka.h>.
 */
#ifndef LANROOT_TEST_BOOTFIX_H
#define LANROOT_TEST_BOOTFIX_H

#include "bootcfg.h"
#include "bootd.h"
#include "clientmap.h"
#include "store.h"

/* Where the fake layout puts things, under the scratch directory. */
#define FIX_TFTP "tftp"
#define FIX_STATE "state"
#define FIX_ARP "arp"
#define FIX_HTTP_PORT 8080
#define FIX_NBD_PORT 10809
#define FIX_SERVER_IP 0x0a000001U	/* 10.0.0.1 */

struct bootfix {
	char *dir;			/* scratch directory */
	struct bootd bd;		/* cfg, st, clients, boot */
};

/** bootfix_setup() - cmocka setup: *@state is a struct bootfix (boot made). */
int bootfix_setup(void **state);
/** bootfix_teardown() - cmocka teardown of bootfix_setup(). */
int bootfix_teardown(void **state);

/** bootfix_cfg() - set the string config field @field to @value. */
void bootfix_cfg(char **field, const char *value);

/**
 * bootfix_add_version() - a new version of @image with vmlinuz, initrd.img
 * and rootfs.img holding "IMAGE/N/FILE"; its number.  @kernel false: the
 * version has no kernel.
 */
int bootfix_add_version(struct bootfix *f, const char *image, bool kernel);

/** bootfix_add_group() - group @name of @image (following), with settings. */
void bootfix_add_group(struct bootfix *f, const char *name, const char *image,
		       const char *mode, const char *menu, const char *loader,
		       const char *cmdline);

/** bootfix_add_client() - client @name with @mac in @group. */
void bootfix_add_client(struct bootfix *f, const char *mac, const char *name,
			const char *group, const char *mode, const char *cmdline);

/** bootfix_arp() - write the fake neighbour table: "IP MAC" per @lines entry. */
void bootfix_arp(struct bootfix *f, const char *const *lines, size_t n);

/** bootfix_assert_contains() - fail unless @needle is in @haystack. */
void bootfix_assert_contains(const char *haystack, const char *needle);
/** bootfix_assert_lacks() - fail if @needle is in @haystack. */
void bootfix_assert_lacks(const char *haystack, const char *needle);

#endif
