/* What each machine boots, and its boot config rendered from the registry.
 *
 * bootcfg_choose() answers the DHCP question "which boot file for this
 * firmware" (the architecture table below); bootcfg_render() writes the
 * pxelinux config or iPXE script with the machine's entries (see
 * images/bootpolicy.h); vfs.h serves both and the loader files.
 *
 * Boot file by loader and option 93 architecture:
 *   loader pxelinux (or auto with [boot] loader = pxelinux):
 *       0 BIOS -> pxelinux.0;  7, 9 x64 UEFI -> efi64/syslinux.efi
 *   loader ipxe (or auto with [boot] loader = ipxe):
 *       0 -> undionly.kpxe;  7, 9 -> snponly.efi
 *   either: 11 ARM64 UEFI -> arm64/snponly.efi (there is no syslinux for it);
 *       16 x64 HTTP Boot -> http://S:P/snponly.efi,
 *       19 ARM64 HTTP Boot -> http://S:P/arm64/snponly.efi (vendor class
 *       HTTPClient);
 *   a client already running iPXE (option 175 or user class iPXE) whose
 *       loader is not pxelinux (or whose architecture has no pxelinux)
 *       -> http://S:P/boot.ipxe?mac=aa-bb-cc-dd-ee-ff;
 *   6 IA32 UEFI, 10 ARM32 UEFI and others -> -ENOTSUP (no loader).
 * S is [server] address, or the address the request reached; P [http] port.
 */
#ifndef LR_BOOTCFG_H
#define LR_BOOTCFG_H

#include <stdbool.h>
#include <stdint.h>
#include "dhcp-proto.h"
#include "mac.h"

struct bootd;

/* The boot files named in DHCP replies and served by vfs.h. */
#define BOOT_FILE_PXELINUX "pxelinux.0"
#define BOOT_FILE_LPXELINUX "lpxelinux.0"
#define BOOT_FILE_SYSLINUX_EFI64 "efi64/syslinux.efi"
#define BOOT_FILE_UNDIONLY "undionly.kpxe"
#define BOOT_FILE_SNPONLY "snponly.efi"
#define BOOT_FILE_SNPONLY_ARM64 "arm64/snponly.efi"
#define BOOT_FILE_IPXE_SCRIPT "boot.ipxe"

/* Group loader values (registry) and [boot] loader. */
#define BOOT_LOADER_AUTO "auto"
#define BOOT_LOADER_PXELINUX "pxelinux"
#define BOOT_LOADER_IPXE "ipxe"

/* Directories bootcfg keeps open (index into struct bootcfg.dirfd). */
enum bootcfg_dir {
	BOOTCFG_DIR_TFTP,		/* [tftp] root */
	BOOTCFG_DIR_PXELINUX,		/* [boot] pxelinux_dir */
	BOOTCFG_DIR_SYSLINUX_BIOS,	/* [boot] syslinux_dir/bios */
	BOOTCFG_DIR_SYSLINUX_EFI64,	/* [boot] syslinux_dir/efi64 */
	BOOTCFG_DIR_SYSLINUX_EFI,	/* [boot] syslinux_efi_dir (efi64/syslinux.efi) */
	BOOTCFG_DIR_IPXE,		/* [boot] ipxe_dir */
	BOOTCFG_DIR_IPXE_ARM64,		/* [boot] ipxe_dir/arm64-efi */
	BOOTCFG_DIR_IMAGES,		/* STATE_DIR/images */
	BOOTCFG_DIR_COUNT
};

/* The boot configuration (fields are for bootcfg.c and vfs.c). */
struct bootcfg {
	struct bootd *bd;		/* config, store, client map */
	int dirfd[BOOTCFG_DIR_COUNT];	/* O_RDONLY|O_DIRECTORY, -1 = missing */
	char *dirpath[BOOTCFG_DIR_COUNT]; /* the paths they were opened from */
	uint64_t renders;		/* configs rendered (status) */
};

struct boot_choice {
	char file[DHCP_FILE_LEN];	/* TFTP path ("pxelinux.0", "efi64/syslinux.efi") or URL */
	bool is_url;			/* http://… (HTTP Boot or an iPXE client) */
	char vendor_class[16];		/* "PXEClient" or "HTTPClient": echo in option 60 */
	char reason[128];		/* why there is no boot file, for the event line */
};

/* What bootcfg_render() writes. */
enum bootcfg_kind {
	BOOTCFG_PXELINUX,		/* a syslinux config (pxelinux.cfg/…) */
	BOOTCFG_IPXE,			/* an iPXE script (boot.ipxe) */
};

/**
 * bootcfg_new() - the boot configuration of @bd: opens the directories of
 * bd->cfg (a missing one is logged once and served as empty).  Reads
 * bd->cfg, bd->st and bd->clients (which may be NULL: requesters are then
 * looked up in the neighbour table only).  Never NULL.
 */
struct bootcfg *bootcfg_new(struct bootd *bd);

/** bootcfg_free() - close the directories and free @bc (NULL is fine). */
void bootcfg_free(struct bootcfg *bc);

/**
 * bootcfg_reload() - bd->cfg was replaced: reopen the directories.  A
 * directory that cannot be opened now keeps its old descriptor if its path
 * is unchanged (after the privilege drop), else it is served as empty.
 * Missing loader directories are logged (warning).
 * Return: 0, or -ENOENT with @err naming the TFTP root or image store when
 * missing (bootd logs it; serving goes on).
 */
int bootcfg_reload(struct bootcfg *bc, char *err, size_t errlen);

/**
 * bootcfg_choose() - the boot file for a PXE / HTTP Boot / iPXE request.
 * @req: the parsed request (architecture, vendor and user class, iPXE)
 * @mac: the client's MAC (any notation)
 * @server_ip: the address this client reaches us at (host order)
 * @out: the answer; out->reason says why when there is none
 * Return: 0 (answer), -ENOENT (unknown client and unknown_clients = refuse:
 * say nothing about booting), -ENOTSUP (no loader for that architecture or
 * group loader), -EINVAL (bad MAC), other -errno (registry).
 */
int bootcfg_choose(struct bootcfg *bc, const struct dhcp_request *req, const char *mac,
		   uint32_t server_ip, struct boot_choice *out);

/**
 * bootcfg_render() - the pxelinux config or iPXE script for @mac: a single
 * entry, or a menu (menu.c32 / iPXE menu, [boot] menu_timeout) when the
 * machine has several entries.  Each rendering of a reset-on-boot entry
 * makes a new boot id.  Emits a boot.config event.
 * @server_ip: the address the request reached (host order), used in URLs
 *             unless [server] address is set
 * @text: receives the text (malloc'd, caller frees)
 * Return: 0; -ENOENT (unknown and refused, nothing bootable); -EINVAL
 * (bad MAC; a command line iPXE would mangle); other -errno; @err says what.
 */
int bootcfg_render(struct bootcfg *bc, enum bootcfg_kind kind, const char *mac,
		   uint32_t server_ip, char **text, char *err, size_t errlen);

/**
 * bootcfg_http_base() - "http://HOST:PORT" for URLs given to a client that
 * reached us at @server_ip.  Return 0 or -ENAMETOOLONG.
 */
int bootcfg_http_base(const struct bootcfg *bc, uint32_t server_ip, char *out, size_t outlen);

#endif
