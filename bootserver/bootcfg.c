/* What each machine boots, and its boot config: see bootcfg.h. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootcfg.h"
#include "bootd.h"
#include "bootpolicy.h"
#include "events.h"
#include "export.h"
#include "log.h"
#include "store.h"
#include "util.h"

/* The image store's version directories (store.h: STATE_DIR/images/NAME/N). */
#define STORE_IMAGES_SUBDIR "images"
/* Sub-directories of the Debian package directories. */
#define SYSLINUX_BIOS_SUBDIR "bios"
#define SYSLINUX_EFI64_SUBDIR "efi64"
#define IPXE_ARM64_SUBDIR "arm64-efi"
/* The syslinux menu module (bios and efi64 builds have one each). */
#define SYSLINUX_MENU_MODULE "menu.c32"
/* pxelinux: a file name the path prefix is not put before. */
#define PXELINUX_ABSOLUTE "::"
/* Kernel command line keys read by lanroot's initramfs. */
#define CMDLINE_ROOT "lanroot.root="
#define CMDLINE_OVERLAY "lanroot.overlay="
#define OVERLAY_TMPFS "tmpfs"
#define OVERLAY_SERVER "server"
/* BOOTIF= carries the boot interface as pxelinux writes it: type 1 (Ethernet). */
#define CMDLINE_BOOTIF "BOOTIF=01-"
/* The timeout units of syslinux (1/10 s) and iPXE's choose (ms). */
#define SYSLINUX_TIMEOUT_PER_S 10
#define IPXE_TIMEOUT_PER_S 1000
/* What iPXE would expand in a script line. */
#define IPXE_EXPANSION "${"
/* Room for "http://[host]:port". */
#define HTTP_BASE_MAX 320
/* Room for one kernel command line (the kernel takes 2048 on x86). */
#define CMDLINE_MAX 4096

/* ---- text buffers ------------------------------------------------------ */

/* A growing string. */
struct strbuf {
	char *s;		/* text, NUL-terminated */
	size_t len;		/* bytes used */
	size_t cap;		/* bytes allocated */
};

/** sb_printf() - append printf output to @b. */
static void __attribute__((format(printf, 2, 3)))
sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/** reason_set() - printf the reason of @out (cut to its size). */
static void __attribute__((format(printf, 2, 3)))
reason_set(struct boot_choice *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* ---- directories --------------------------------------------------------- */

/** dir_path() - the path of directory @d under the current config (malloc'd). */
static char *dir_path(const struct bootcfg *bc, enum bootcfg_dir d)
{
	const struct lr_config *c = &bc->bd->cfg;
	const char *s;

	switch (d) {
	case BOOTCFG_DIR_TFTP:
		return xstrdup(c->tftp_root ? c->tftp_root : "");
	case BOOTCFG_DIR_PXELINUX:
		return xstrdup(c->boot_pxelinux_dir ? c->boot_pxelinux_dir : "");
	case BOOTCFG_DIR_SYSLINUX_BIOS:
		s = c->boot_syslinux_dir ? c->boot_syslinux_dir : "";
		return *s ? xasprintf("%s/%s", s, SYSLINUX_BIOS_SUBDIR) : xstrdup("");
	case BOOTCFG_DIR_SYSLINUX_EFI64:
		s = c->boot_syslinux_dir ? c->boot_syslinux_dir : "";
		return *s ? xasprintf("%s/%s", s, SYSLINUX_EFI64_SUBDIR) : xstrdup("");
	case BOOTCFG_DIR_SYSLINUX_EFI:
		return xstrdup(c->boot_syslinux_efi_dir ? c->boot_syslinux_efi_dir : "");
	case BOOTCFG_DIR_IPXE:
		return xstrdup(c->boot_ipxe_dir ? c->boot_ipxe_dir : "");
	case BOOTCFG_DIR_IPXE_ARM64:
		s = c->boot_ipxe_dir ? c->boot_ipxe_dir : "";
		return *s ? xasprintf("%s/%s", s, IPXE_ARM64_SUBDIR) : xstrdup("");
	case BOOTCFG_DIR_IMAGES:
		s = bc->bd->st && bc->bd->st->dir ? bc->bd->st->dir :
			(c->state_dir ? c->state_dir : "");
		return *s ? xasprintf("%s/%s", s, STORE_IMAGES_SUBDIR) : xstrdup("");
	default:
		return xstrdup("");
	}
}

/* Directory names for messages. */
static const char *const dir_names[BOOTCFG_DIR_COUNT] = {
	[BOOTCFG_DIR_TFTP] = "[tftp] root",
	[BOOTCFG_DIR_PXELINUX] = "[boot] pxelinux_dir",
	[BOOTCFG_DIR_SYSLINUX_BIOS] = "[boot] syslinux_dir (bios modules)",
	[BOOTCFG_DIR_SYSLINUX_EFI64] = "[boot] syslinux_dir (efi64 modules)",
	[BOOTCFG_DIR_SYSLINUX_EFI] = "[boot] syslinux_efi_dir",
	[BOOTCFG_DIR_IPXE] = "[boot] ipxe_dir",
	[BOOTCFG_DIR_IPXE_ARM64] = "[boot] ipxe_dir (arm64-efi)",
	[BOOTCFG_DIR_IMAGES] = "the image store",
};

/**
 * open_dirs() - (re)open every directory of the current config.  A
 * directory that cannot be opened keeps its old descriptor when its path
 * did not change (the daemon may have dropped the rights to open it
 * again), else it is served as empty.
 * Return: 0, or -ENOENT when the TFTP root or the image store is missing
 * (@err names them).
 */
static int open_dirs(struct bootcfg *bc, char *err, size_t errlen)
{
	char missing[512] = "";
	size_t used = 0;
	char *path;
	int d, fd, rc = 0;

	for (d = 0; d < BOOTCFG_DIR_COUNT; d++) {
		path = dir_path(bc, (enum bootcfg_dir)d);
		fd = *path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (fd < 0 && bc->dirpath[d] && !strcmp(bc->dirpath[d], path) &&
		    bc->dirfd[d] >= 0) {
			free(path);
			continue;	/* keep the one we have */
		}
		if (fd < 0) {
			if (d == BOOTCFG_DIR_TFTP || d == BOOTCFG_DIR_IMAGES) {
				rc = -ENOENT;
				if (used < sizeof(missing))
					used += (size_t)snprintf(missing + used,
								 sizeof(missing) - used,
								 "%s%s %s", used ? ", " : "",
								 dir_names[d], path);
			} else if (d == BOOTCFG_DIR_IPXE_ARM64) {
				log_debug("no ARM64 iPXE directory %s: arm64/ files come from "
					  "[tftp] root only", path);
			} else if (*path) {
				log_warn("%s %s: %s; its loaders are served from [tftp] "
					 "root only", dir_names[d], path, strerror(errno));
			}
		}
		if (bc->dirfd[d] >= 0)
			close(bc->dirfd[d]);
		bc->dirfd[d] = fd;
		free(bc->dirpath[d]);
		bc->dirpath[d] = path;
	}
	if (rc < 0)
		err_set(err, errlen, "missing directory: %s", missing);
	return rc;
}

struct bootcfg *bootcfg_new(struct bootd *bd)
{
	struct bootcfg *bc = xcalloc(1, sizeof(*bc));
	char err[640];
	int d;

	bc->bd = bd;
	for (d = 0; d < BOOTCFG_DIR_COUNT; d++)
		bc->dirfd[d] = -1;
	if (open_dirs(bc, err, sizeof(err)) < 0)
		log_warn("%s", err);
	return bc;
}

void bootcfg_free(struct bootcfg *bc)
{
	int d;

	if (!bc)
		return;
	for (d = 0; d < BOOTCFG_DIR_COUNT; d++) {
		if (bc->dirfd[d] >= 0)
			close(bc->dirfd[d]);
		free(bc->dirpath[d]);
	}
	free(bc);
}

int bootcfg_reload(struct bootcfg *bc, char *err, size_t errlen)
{
	return open_dirs(bc, err, errlen);
}

/* ---- addresses ----------------------------------------------------------- */

/**
 * server_host() - the host clients are told: [server] address, else
 * @server_ip in dotted quad.
 */
static void server_host(const struct bootcfg *bc, uint32_t server_ip, char *out, size_t outlen)
{
	const char *addr = bc->bd->cfg.server_address;
	struct in_addr a;

	if (addr && *addr) {
		(void)str_copy(out, outlen, addr);
		return;
	}
	a.s_addr = htonl(server_ip);
	if (!inet_ntop(AF_INET, &a, out, (socklen_t)outlen))
		(void)str_copy(out, outlen, "0.0.0.0");
}

int bootcfg_http_base(const struct bootcfg *bc, uint32_t server_ip, char *out, size_t outlen)
{
	char host[256];
	bool v6;
	int n;

	server_host(bc, server_ip, host, sizeof(host));
	v6 = strchr(host, ':') != NULL;
	n = snprintf(out, outlen, "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		     bc->bd->cfg.http_port);
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

/* ---- the boot file ------------------------------------------------------- */

/** policy_of() - the [boot] policy for unknown machines. */
static struct boot_policy policy_of(const struct bootcfg *bc)
{
	struct boot_policy p = {
		.unknown_clients = bc->bd->cfg.boot_unknown_clients,
		.default_group = bc->bd->cfg.boot_default_group,
	};

	return p;
}

/** arch_has_pxelinux() - whether syslinux has a network loader for @arch. */
static bool arch_has_pxelinux(int arch)
{
	return arch == DHCP_ARCH_X86_BIOS || arch == DHCP_ARCH_EFI_X64 ||
	       arch == DHCP_ARCH_EFI_BC;
}

/** choice_set() - put @file (a TFTP path, or a URL when @url) into @out. */
static int choice_set(struct boot_choice *out, const char *file, bool url)
{
	out->is_url = url;
	if (str_copy(out->file, sizeof(out->file), file) < 0) {
		reason_set(out, "boot file name too long");
		return -ENAMETOOLONG;
	}
	return 0;
}

/**
 * choose_url() - the http:// URL of @path on this server for @out.
 */
static int choose_url(struct bootcfg *bc, uint32_t server_ip, const char *path,
		      struct boot_choice *out)
{
	char base[HTTP_BASE_MAX], url[HTTP_BASE_MAX + DHCP_FILE_LEN];

	if (bootcfg_http_base(bc, server_ip, base, sizeof(base)) < 0) {
		reason_set(out, "server address too long");
		return -ENAMETOOLONG;
	}
	snprintf(url, sizeof(url), "%s/%s", base, path);
	return choice_set(out, url, true);
}

int bootcfg_choose(struct bootcfg *bc, const struct dhcp_request *req, const char *mac,
		   uint32_t server_ip, struct boot_choice *out)
{
	struct boot_policy p = policy_of(bc);
	struct boot_entry *e = NULL;
	const char *loader;
	char canon[MAC_STR_LEN], dash[MAC_STR_LEN], path[DHCP_FILE_LEN], err[256] = "";
	uint8_t bin[MAC_LEN];
	bool http, pxelinux;
	size_t n = 0;
	int arch, rc;

	if (!bc || !req || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!mac || mac_parse(mac, bin) < 0) {
		reason_set(out, "invalid MAC address");
		return -EINVAL;
	}
	mac_format(bin, canon);
	mac_format_dash(bin, dash);
	arch = req->has_arch ? req->arch : DHCP_ARCH_X86_BIOS;
	http = req->is_http || arch == DHCP_ARCH_EFI_X64_HTTP ||
	       arch == DHCP_ARCH_EFI_ARM64_HTTP;
	(void)str_copy(out->vendor_class, sizeof(out->vendor_class),
		       http ? HTTP_VENDOR_CLASS : PXE_VENDOR_CLASS);

	rc = boot_entries(bc->bd->st->reg, &p, canon, &e, &n, err, sizeof(err));
	if (rc < 0) {
		(void)str_copy(out->reason, sizeof(out->reason), err);
		return rc;
	}
	/* A menu of groups for an unknown machine is not any one group's:
	 * it gets the loader of groups with loader auto. */
	loader = e[0].r.group.loader;
	if (!e[0].r.client.name[0] && p.unknown_clients &&
	    !strcmp(p.unknown_clients, BOOT_UNKNOWN_MENU))
		loader = BOOT_LOADER_AUTO;
	if (!strcmp(loader, BOOT_LOADER_AUTO) || !loader[0])
		loader = bc->bd->cfg.boot_loader && *bc->bd->cfg.boot_loader ?
			 bc->bd->cfg.boot_loader : BOOT_LOADER_IPXE;
	if (strcmp(loader, BOOT_LOADER_PXELINUX) && strcmp(loader, BOOT_LOADER_IPXE)) {
		reason_set(out, "group %s uses boot loader %s, "
			 "which bootd does not serve", e[0].r.group.name, loader);
		rc = -ENOTSUP;
		goto out;
	}
	pxelinux = !strcmp(loader, BOOT_LOADER_PXELINUX);

	/* Already in iPXE: its script, never the loader again (no chainload loop). */
	if (req->is_ipxe && !(pxelinux && arch_has_pxelinux(arch) && !http)) {
		snprintf(path, sizeof(path), "%s?mac=%s", BOOT_FILE_IPXE_SCRIPT, dash);
		rc = choose_url(bc, server_ip, path, out);
		goto out;
	}
	if (http) {
		if (arch == DHCP_ARCH_EFI_X64_HTTP || arch == DHCP_ARCH_EFI_X64 ||
		    arch == DHCP_ARCH_EFI_BC) {
			rc = choose_url(bc, server_ip, BOOT_FILE_SNPONLY, out);
		} else if (arch == DHCP_ARCH_EFI_ARM64_HTTP || arch == DHCP_ARCH_EFI_ARM64) {
			rc = choose_url(bc, server_ip, BOOT_FILE_SNPONLY_ARM64, out);
		} else {
			reason_set(out, "no HTTP boot loader for "
				 "architecture %d", arch);
			rc = -ENOTSUP;
		}
		goto out;
	}
	switch (arch) {
	case DHCP_ARCH_X86_BIOS:
		rc = choice_set(out, pxelinux ? BOOT_FILE_PXELINUX : BOOT_FILE_UNDIONLY, false);
		break;
	case DHCP_ARCH_EFI_X64:
	case DHCP_ARCH_EFI_BC:
		rc = choice_set(out, pxelinux ? BOOT_FILE_SYSLINUX_EFI64 : BOOT_FILE_SNPONLY,
				false);
		break;
	case DHCP_ARCH_EFI_ARM64:
		rc = choice_set(out, BOOT_FILE_SNPONLY_ARM64, false);
		break;
	case DHCP_ARCH_EFI_IA32:
		reason_set(out, "no boot loader for 32-bit x86 "
			 "UEFI (architecture %d)", arch);
		rc = -ENOTSUP;
		break;
	case DHCP_ARCH_EFI_ARM32:
		reason_set(out, "no boot loader for 32-bit ARM "
			 "UEFI (architecture %d)", arch);
		rc = -ENOTSUP;
		break;
	default:
		reason_set(out, "no boot loader for architecture "
			 "%d", arch);
		rc = -ENOTSUP;
		break;
	}
out:
	free(e);
	return rc;
}

/* ---- rendering ------------------------------------------------------------- */

/** What one entry boots, ready to write out. */
struct rendered_entry {
	char kernel[HTTP_BASE_MAX + REG_PATH_MAX];	/* TFTP path or URL */
	char initrd[HTTP_BASE_MAX + REG_PATH_MAX];	/* TFTP path or URL */
	char cmdline[CMDLINE_MAX];			/* after initrd=…: BOOTIF=… */
};

/**
 * root_url() - the lanroot.root= value of @r: an NBD URL with the export
 * name (token and, for reset-on-boot, a new boot id), or the iSCSI root.
 */
static int root_url(struct bootcfg *bc, const struct reg_resolved *r, const char *host,
		    char *out, size_t outlen, char *err, size_t errlen)
{
	const struct lr_config *c = &bc->bd->cfg;
	char export[EXPORT_NAME_MAX], boot[EXPORT_BOOT_LEN + 1];
	bool v6 = strchr(host, ':') != NULL;
	int rc, n;

	if (!strcmp(r->group.proto, PROTO_ISCSI)) {
		n = snprintf(out, outlen, "iscsi:%s%s%s::%u:0:%s:%s", v6 ? "[" : "", host,
			     v6 ? "]" : "", c->iscsi_port, c->iscsi_iqn ? c->iscsi_iqn : "",
			     r->client.name[0] ? r->client.name : r->client.mac);
		rc = n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
	} else {
		if (!strcmp(r->mode, MODE_RESET_ON_BOOT)) {
			export_boot_id_new(boot);
			rc = export_make(bc->bd->st->secret, SECRET_LEN, r, boot, export);
		} else {
			rc = export_make(bc->bd->st->secret, SECRET_LEN, r, NULL, export);
		}
		if (rc == 0)
			rc = export_root_url(host, c->nbd_port, export, out, outlen);
	}
	if (rc < 0)
		err_set(err, errlen, "%s: cannot make the root URL for %s version %d: %s",
			r->client.mac, r->version.image, r->version.version, strerror(-rc));
	return rc;
}

/**
 * render_entry() - the kernel, initrd and command line of @e for @kind.
 * @base: "http://host:port" (iPXE) — unused for pxelinux
 * @host: the host in the root URL
 * Return: 0; -ENOENT (the version has no kernel or initrd); -EINVAL (a
 * command line iPXE would expand); other -errno; @err says what.
 */
static int render_entry(struct bootcfg *bc, enum bootcfg_kind kind, const struct boot_entry *e,
			const char *base, const char *host, struct rendered_entry *out,
			char *err, size_t errlen)
{
	const struct reg_resolved *r = &e->r;
	char root[EXPORT_NAME_MAX + 512], dash[MAC_STR_LEN];
	uint8_t bin[MAC_LEN];
	int rc, n;

	if (!r->version.kernel[0] || !r->version.initrd[0]) {
		err_set(err, errlen, "%s version %d has no %s: it cannot be network-booted",
			r->version.image, r->version.version,
			r->version.kernel[0] ? "initrd" : "kernel");
		return -ENOENT;
	}
	if (kind == BOOTCFG_IPXE && strstr(r->cmdline, IPXE_EXPANSION)) {
		err_set(err, errlen, "the command line of group %s or client %s contains "
			"'%s', which iPXE would expand", r->group.name, r->client.mac,
			IPXE_EXPANSION);
		return -EINVAL;
	}
	if (mac_parse(r->client.mac, bin) < 0) {
		err_set(err, errlen, "invalid MAC address '%s'", r->client.mac);
		return -EINVAL;
	}
	mac_format_dash(bin, dash);
	rc = root_url(bc, r, host, root, sizeof(root), err, errlen);
	if (rc < 0)
		return rc;
	if (kind == BOOTCFG_IPXE) {
		snprintf(out->kernel, sizeof(out->kernel), "%s/images/%s/%d/%s", base,
			 r->version.image, r->version.version, STORE_KERNEL);
		snprintf(out->initrd, sizeof(out->initrd), "%s/images/%s/%d/%s", base,
			 r->version.image, r->version.version, STORE_INITRD);
	} else {
		snprintf(out->kernel, sizeof(out->kernel), "%simages/%s/%d/%s",
			 PXELINUX_ABSOLUTE, r->version.image, r->version.version, STORE_KERNEL);
		snprintf(out->initrd, sizeof(out->initrd), "%simages/%s/%d/%s",
			 PXELINUX_ABSOLUTE, r->version.image, r->version.version, STORE_INITRD);
	}
	n = snprintf(out->cmdline, sizeof(out->cmdline), "%s%s %s%s %s%s%s%s",
		     CMDLINE_BOOTIF, dash, CMDLINE_ROOT, root, CMDLINE_OVERLAY,
		     strcmp(r->mode, MODE_VOLATILE) ? OVERLAY_SERVER : OVERLAY_TMPFS,
		     r->cmdline[0] ? " " : "", r->cmdline);
	if (n < 0 || (size_t)n >= sizeof(out->cmdline)) {
		err_set(err, errlen, "%s: kernel command line too long", r->client.mac);
		return -ENAMETOOLONG;
	}
	return 0;
}

/**
 * write_pxelinux() - a syslinux config: the entry alone, or a menu.c32
 * menu of them.  The initrd goes on the command line as syslinux reads it
 * (initrd=PATH, first), so no second initrd= confuses it.
 */
static void write_pxelinux(struct bootcfg *bc, struct strbuf *b, const struct boot_entry *e,
			   const struct rendered_entry *re, size_t n)
{
	unsigned timeout = bc->bd->cfg.boot_menu_timeout;
	size_t i;

	sb_printf(b, "# lanroot boot config for %s\n", e[0].r.client.mac);
	if (n == 1) {
		sb_printf(b, "DEFAULT lanroot\nPROMPT 0\nTIMEOUT 0\n\n");
		sb_printf(b, "LABEL lanroot\n");
		sb_printf(b, "  KERNEL %s\n", re[0].kernel);
		sb_printf(b, "  APPEND initrd=%s %s\n", re[0].initrd, re[0].cmdline);
		return;
	}
	sb_printf(b, "UI %s\nMENU TITLE lanroot: choose what to boot\nPROMPT 0\n"
		  "TIMEOUT %u\nDEFAULT e0\n", SYSLINUX_MENU_MODULE,
		  timeout * SYSLINUX_TIMEOUT_PER_S);
	for (i = 0; i < n; i++) {
		sb_printf(b, "\nLABEL e%zu\n", i);
		sb_printf(b, "  MENU LABEL %s\n", e[i].title);
		sb_printf(b, "  KERNEL %s\n", re[i].kernel);
		sb_printf(b, "  APPEND initrd=%s %s\n", re[i].initrd, re[i].cmdline);
	}
}

/**
 * write_ipxe_entry() - the lines that boot one entry, ending at failure
 * in a jump to :failed.
 */
static void write_ipxe_entry(struct strbuf *b, const struct rendered_entry *re)
{
	sb_printf(b, "kernel %s initrd=%s %s || goto failed\n", re->kernel,
		  STORE_INITRD, re->cmdline);
	sb_printf(b, "initrd %s || goto failed\n", re->initrd);
	sb_printf(b, "boot || goto failed\n");
}

/**
 * write_ipxe() - an iPXE script: the entry alone, or a menu with a
 * timeout choosing the first.
 */
static void write_ipxe(struct bootcfg *bc, struct strbuf *b, const struct boot_entry *e,
		       const struct rendered_entry *re, size_t n)
{
	unsigned timeout = bc->bd->cfg.boot_menu_timeout;
	size_t i;

	sb_printf(b, "#!ipxe\n# lanroot boot script for %s\n", e[0].r.client.mac);
	if (n == 1) {
		write_ipxe_entry(b, &re[0]);
	} else {
		sb_printf(b, "menu lanroot: choose what to boot\n");
		for (i = 0; i < n; i++)
			sb_printf(b, "item e%zu %s\n", i, e[i].title);
		if (timeout)
			sb_printf(b, "choose --default e0 --timeout %u target || set target e0\n",
				  timeout * IPXE_TIMEOUT_PER_S);
		else
			sb_printf(b, "choose --default e0 target || set target e0\n");
		sb_printf(b, "goto ${target}\n");
		for (i = 0; i < n; i++) {
			sb_printf(b, "\n:e%zu\n", i);
			write_ipxe_entry(b, &re[i]);
		}
	}
	sb_printf(b, "\n:failed\necho lanroot: booting failed; trying again in 10 seconds\n"
		  "sleep 10\nexit 1\n");
}

int bootcfg_render(struct bootcfg *bc, enum bootcfg_kind kind, const char *mac,
		   uint32_t server_ip, char **text, char *err, size_t errlen)
{
	struct boot_policy p;
	struct boot_entry *e = NULL;
	struct rendered_entry *re = NULL;
	struct strbuf b = { 0 };
	char canon[MAC_STR_LEN], host[256], base[HTTP_BASE_MAX], first_err[256] = "";
	size_t n = 0, i, kept = 0;
	int rc, first_rc = 0;

	if (!bc || !text)
		return -EINVAL;
	*text = NULL;
	if (!mac || mac_canonical(mac, canon) < 0) {
		err_set(err, errlen, "invalid MAC address '%s'", mac ? mac : "(none)");
		return -EINVAL;
	}
	p = policy_of(bc);
	rc = boot_entries(bc->bd->st->reg, &p, canon, &e, &n, err, errlen);
	if (rc < 0)
		return rc;
	server_host(bc, server_ip, host, sizeof(host));
	rc = bootcfg_http_base(bc, server_ip, base, sizeof(base));
	if (rc < 0) {
		err_set(err, errlen, "server address too long");
		goto out;
	}
	re = xcalloc(n, sizeof(*re));
	/* Entries that cannot be rendered are left out of a menu. */
	for (i = 0; i < n; i++) {
		rc = render_entry(bc, kind, &e[i], base, host, &re[kept], first_err,
				  sizeof(first_err));
		if (rc < 0) {
			if (!first_rc)
				first_rc = rc;
			log_warn("boot config for %s: %s", canon, first_err);
			continue;
		}
		if (kept != i)
			e[kept] = e[i];
		kept++;
	}
	if (kept == 0) {
		rc = first_rc;
		err_set(err, errlen, "%s", first_err);
		goto out;
	}
	if (kind == BOOTCFG_IPXE)
		write_ipxe(bc, &b, e, re, kept);
	else
		write_pxelinux(bc, &b, e, re, kept);
	bc->renders++;
	log_event(EV_BOOT_CONFIG, "{s:s, s:s, s:s, s:i, s:s, s:i}",
		  "kind", kind == BOOTCFG_IPXE ? "ipxe" : "pxelinux", "mac", canon,
		  "image", e[0].r.version.image, "version", e[0].r.version.version,
		  "mode", e[0].r.mode, "entries", (int)kept);
	*text = b.s;
	b.s = NULL;
	rc = 0;
out:
	free(b.s);
	free(re);
	free(e);
	return rc;
}
