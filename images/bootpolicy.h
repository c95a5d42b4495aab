/* What a machine may boot: the boot entries of a MAC address.
 *
 * Shared by lanroot-bootd (which renders the entries into a pxelinux config
 * or an iPXE script) and lanroot-blockd (which accepts an export only when
 * it matches one of the entries, so a machine can mount nothing its boot
 * menu would not have offered it).
 *
 *   registered client: its group's entry first (image version, mode and
 *       command line as registry_client_resolve() gives them), then one
 *       volatile entry per image in the group's `menu` list, each at its
 *       published version (an image without one is left out);
 *   unknown MAC, [boot] unknown_clients =
 *       refuse  -> -ENOENT (nothing to boot);
 *       default -> the entry of [boot] default_group, in that group's mode;
 *       menu    -> one volatile entry per group (groups whose image has no
 *                  version to boot are left out).
 * Entries of one MAC never repeat an (image, version, mode).
 */
#ifndef LR_BOOTPOLICY_H
#define LR_BOOTPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "registry.h"
#include "export.h"

/* [boot] unknown_clients values. */
#define BOOT_UNKNOWN_REFUSE "refuse"
#define BOOT_UNKNOWN_DEFAULT "default"
#define BOOT_UNKNOWN_MENU "menu"

/* Most entries one MAC gets (a group's menu, or the groups of the
 * unknown-client menu, beyond this are left out with a warning). */
#define BOOT_ENTRIES_MAX 64

/* The policy: [boot] unknown_clients and default_group (NULL = refuse, ""). */
struct boot_policy {
	const char *unknown_clients;	/* BOOT_UNKNOWN_* */
	const char *default_group;	/* group for unknown clients (default) */
};

struct boot_entry {
	char label[NAME_MAX_LEN + 16];	/* menu label: the group or IMAGE name */
	char title[128];		/* menu text */
	/* What it boots: r.client.mac is the MAC asked about (canonical),
	 * r.client.name "" for an unknown machine; r.group the group the entry
	 * comes from; r.version the version booted; r.mode the effective mode;
	 * r.cmdline the group's + the client's extra command line. */
	struct reg_resolved r;
};

/**
 * boot_entries() - what @mac may boot, in menu order (see above).
 * @reg: the registry
 * @p: the [boot] policy for unknown MACs
 * @mac: the machine, any notation mac_parse() reads
 * @out: receives a malloc'd array (caller frees), NULL when *@n is 0
 * @n: number of entries (at least 1 on success)
 * @err: message for a person on failure
 * Return: 0; -ENOENT (unknown MAC and refuse, or nothing bootable: @err
 * says which); -EINVAL (bad MAC, bad policy); other -errno from the registry.
 */
int boot_entries(struct registry *reg, const struct boot_policy *p, const char *mac,
		 struct boot_entry **out, size_t *n, char *err, size_t errlen);

/**
 * boot_entry_matches() - whether the export @en (parsed, token checked by
 * the caller) names what @e boots: same MAC, image, version and mode.  The
 * boot id of a reset-on-boot export is not compared (blockd orders those).
 */
bool boot_entry_matches(const struct boot_entry *e, const struct export_name *en);

#endif
