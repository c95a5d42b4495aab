/* The files bootd serves: see vfs.h. */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "beneath.h"
#include "bootcfg.h"
#include "bootd.h"
#include "clientmap.h"
#include "parse.h"
#include "registry.h"
#include "store.h"
#include "util.h"
#include "vfs.h"

/* Names of the name space. */
#define PXELINUX_CFG_DIR "pxelinux.cfg"
#define PXELINUX_CFG_DEFAULT "default"
#define IMAGES_DIR "images"
#define EFI64_DIR "efi64"
#define ARM64_DIR "arm64"
#define SYSLINUX_EFI_NAME "syslinux.efi"
#define SYSLINUX_MODULE_SUFFIX ".c32"
#define SYSLINUX_EFI64_MODULE_SUFFIX ".e64"
/* pxelinux.cfg names: "01-" + MAC, a UUID (8-4-4-4-12), hex IP prefixes. */
#define PXE_MAC_NAME_LEN 20
#define PXE_UUID_NAME_LEN 36
#define PXE_IP_HEX_MAX 8
/* Loopback: 127.0.0.0/8. */
#define IPV4_NET_SHIFT 24
#define IPV4_LOOPBACK_NET 127U
/* Components of images/IMAGE/VERSION/FILE. */
#define IMAGE_PATH_PARTS 4

/* Loaders from the iPXE package, served at the root under their own names. */
static const char *const ipxe_loaders[] = {
	BOOT_FILE_UNDIONLY, BOOT_FILE_SNPONLY, "ipxe.efi", "ipxe.pxe",
};
/* Files of a version that may be fetched. */
static const char *const image_files[] = { STORE_KERNEL, STORE_INITRD, STORE_ROOTFS };

int vfs_normalize(const char *path, size_t len, char out[VFS_PATH_MAX], char *err,
		  size_t errlen)
{
	size_t i, o = 0, start;
	unsigned char c;

	if (!path) {
		err_set(err, errlen, "no file name");
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)path[i];
		if (c == '\0') {
			err_set(err, errlen, "file name contains a NUL byte");
			return -EINVAL;
		}
		if (c < 0x20 || c == 0x7f) {
			err_set(err, errlen, "file name contains a control character (0x%02x)", c);
			return -EINVAL;
		}
	}
	i = 0;
	while (i < len && (path[i] == '/' || path[i] == '\\'))
		i++;
	if (i == len) {
		err_set(err, errlen, "empty file name");
		return -EINVAL;
	}
	while (i < len) {
		start = i;
		while (i < len && path[i] != '/' && path[i] != '\\')
			i++;
		if (i == start) {
			err_set(err, errlen, "file name '%.*s' has an empty component",
				(int)(len > 200 ? 200 : len), path);
			return -EINVAL;
		}
		if (i - start == 2 && path[start] == '.' && path[start + 1] == '.') {
			err_set(err, errlen, "file name '%.*s' climbs with '..': refused",
				(int)(len > 200 ? 200 : len), path);
			return -EACCES;
		}
		if (!(i - start == 1 && path[start] == '.')) {
			if (o + (i - start) + 2 > VFS_PATH_MAX) {
				err_set(err, errlen, "file name too long (at most %d bytes)",
					VFS_PATH_MAX - 1);
				return -EINVAL;
			}
			if (o)
				out[o++] = '/';
			memcpy(out + o, path + start, i - start);
			o += i - start;
		}
		if (i < len) {
			i++;	/* the separator */
			if (i == len) {
				err_set(err, errlen, "file name '%.*s' ends with '/'",
					(int)(len > 200 ? 200 : len), path);
				return -EINVAL;
			}
		}
	}
	if (o == 0) {
		err_set(err, errlen, "empty file name");
		return -EINVAL;
	}
	out[o] = '\0';
	return 0;
}

void vfs_close(struct vfs_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->data);
	f->data = NULL;
}

/**
 * open_in() - open the regular file @rel beneath directory @d.
 * @system: @d is a loader directory of a Debian package and @rel one file
 *          name (no '/'): its symlinks are followed wherever they lead
 *          (Debian's ipxe.efi links to /boot/ipxe.efi).  Only root can
 *          place a symlink there; the name has passed vfs_normalize().
 * Return: 0 with out->fd, size, mtime; -ENOENT (no such file, or the
 * directory is missing); -EACCES (escape: '..', a symlink out); -EISDIR;
 * other -errno.
 */
static int open_in(struct bootcfg *bc, enum bootcfg_dir d, const char *rel, bool system,
		   struct vfs_file *out)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct stat st;
	int fd;

	if (bc->dirfd[d] < 0)
		return -ENOENT;
	if (system && !strchr(rel, '/') && strcmp(rel, "..") != 0) {
		fd = openat(bc->dirfd[d], rel, flags);
		if (fd < 0)
			fd = -errno;
	} else {
		fd = open_beneath(bc->dirfd[d], rel, flags, 0);
	}
	if (fd < 0) {
		if (fd == -EXDEV || fd == -ELOOP)
			return -EACCES;
		if (fd == -ENOTDIR)
			return -ENOENT;
		return fd;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
	}
	out->fd = fd;
	out->size = (uint64_t)st.st_size;
	out->mtime = st.st_mtime;
	return 0;
}

/** has_suffix() - whether @s ends with @suffix (and has more before it). */
static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/** in_list() - whether @s is one of the @n strings @list. */
static bool in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/**
 * loader_location() - where the loader named @p lives: its directory and
 * the name inside it.  Return: true if @p is a loader name.
 */
static bool loader_location(const char *p, enum bootcfg_dir *d, const char **rel)
{
	const char *slash = strchr(p, '/');

	if (!slash) {
		if (!strcmp(p, BOOT_FILE_PXELINUX) || !strcmp(p, BOOT_FILE_LPXELINUX)) {
			*d = BOOTCFG_DIR_PXELINUX;
		} else if (has_suffix(p, SYSLINUX_MODULE_SUFFIX)) {
			*d = BOOTCFG_DIR_SYSLINUX_BIOS;
		} else if (in_list(p, ipxe_loaders, ARRAY_SIZE(ipxe_loaders))) {
			*d = BOOTCFG_DIR_IPXE;
		} else {
			return false;
		}
		*rel = p;
		return true;
	}
	if (strchr(slash + 1, '/'))
		return false;
	if (!strncmp(p, EFI64_DIR "/", sizeof(EFI64_DIR))) {
		if (!strcmp(slash + 1, SYSLINUX_EFI_NAME)) {
			*d = BOOTCFG_DIR_SYSLINUX_EFI;
			*rel = p;	/* efi64/syslinux.efi in syslinux_efi_dir */
			return true;
		}
		if (has_suffix(slash + 1, SYSLINUX_EFI64_MODULE_SUFFIX) ||
		    has_suffix(slash + 1, SYSLINUX_MODULE_SUFFIX)) {
			*d = BOOTCFG_DIR_SYSLINUX_EFI64;
			*rel = slash + 1;
			return true;
		}
		return false;
	}
	if (!strncmp(p, ARM64_DIR "/", sizeof(ARM64_DIR))) {
		*d = BOOTCFG_DIR_IPXE_ARM64;
		*rel = slash + 1;
		return true;
	}
	return false;
}

/** is_loopback() - @ip (host order) is in 127.0.0.0/8. */
static bool is_loopback(uint32_t ip)
{
	return (ip >> IPV4_NET_SHIFT) == IPV4_LOOPBACK_NET;
}

/** ip_text() - @ip (host order) in dotted quad. */
static void ip_text(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff);
}

/**
 * requester_mac() - the MAC of the machine at @ip (client map, then the
 * neighbour table).  Return: 0 or -ENOENT.
 */
static int requester_mac(struct bootcfg *bc, uint32_t ip, char mac[MAC_STR_LEN])
{
	struct clientmap *m = bc->bd->clients;
	struct clientmap *tmp = NULL;
	int rc;

	if (!m)
		m = tmp = clientmap_new(1);
	rc = clientmap_mac_for_ip(m, ip, mac);
	clientmap_free(tmp);
	return rc;
}

/**
 * check_requester() - with [boot] check_requester, a config for @mac goes
 * only to the machine with that MAC, or to loopback.
 * Return: 0 or -EACCES (+ @err).
 */
static int check_requester(struct bootcfg *bc, const struct vfs_req *req, const char *mac,
			   char *err, size_t errlen)
{
	char who[MAC_STR_LEN], ip[16];
	bool found;

	if (!bc->bd->cfg.boot_check_requester || is_loopback(req->peer_ip))
		return 0;
	found = requester_mac(bc, req->peer_ip, who) == 0;
	if (found && !strcmp(who, mac))
		return 0;
	ip_text(req->peer_ip, ip);
	err_set(err, errlen, "the boot config of %s is not for %s (%s%s)", mac, ip,
		found ? "MAC " : "unknown MAC", found ? who : "");
	return -EACCES;
}

/**
 * serve_config() - render the config of @kind for @mac into @out, after
 * check_requester.
 */
static int serve_config(struct bootcfg *bc, const struct vfs_req *req, enum bootcfg_kind kind,
			const char *mac, struct vfs_file *out, char *err, size_t errlen)
{
	char *text = NULL;
	int rc;

	rc = check_requester(bc, req, mac, err, errlen);
	if (rc < 0)
		return rc;
	rc = bootcfg_render(bc, kind, mac, req->server_ip, &text, err, errlen);
	if (rc < 0)
		return rc;
	out->fd = -1;
	out->data = text;
	out->size = strlen(text);
	out->mtime = time(NULL);
	out->kind = VFS_KIND_CONFIG;
	(void)str_copy(out->mac, sizeof(out->mac), mac);
	return 0;
}

/** serve_ipxe() - boot.ipxe for ?mac= or the requester. */
static int serve_ipxe(struct bootcfg *bc, const struct vfs_req *req, struct vfs_file *out,
		      char *err, size_t errlen)
{
	char mac[MAC_STR_LEN], ip[16];

	if (req->query_mac) {
		if (mac_canonical(req->query_mac, mac) < 0) {
			err_set(err, errlen, "invalid MAC address '%.40s' in ?mac=",
				req->query_mac);
			return -EINVAL;
		}
	} else if (requester_mac(bc, req->peer_ip, mac) < 0) {
		ip_text(req->peer_ip, ip);
		err_set(err, errlen, "%s: cannot tell which machine %s is (no ?mac= and no "
			"DHCP or neighbour entry)", BOOT_FILE_IPXE_SCRIPT, ip);
		return -ENOENT;
	}
	return serve_config(bc, req, BOOTCFG_IPXE, mac, out, err, errlen);
}

/** hex_run() - whether @s is exactly @n hex digits (@upper: A-F only). */
static bool hex_run(const char *s, size_t n, bool upper)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (hex_digit_value(s[i]) < 0)
			return false;
		if (upper && islower((unsigned char)s[i]))
			return false;
	}
	return s[n] == '\0' || s[n] == '-';
}

/**
 * parse_uuid_name() - a pxelinux UUID config name into @uuid (the bytes in
 * written order).  Return: true if it is one.
 */
static bool parse_uuid_name(const char *name, uint8_t uuid[CLIENTMAP_UUID_LEN])
{
	static const size_t groups[] = { 8, 4, 4, 4, 12 };
	const char *p = name;
	size_t g, i, k = 0;

	if (strlen(name) != PXE_UUID_NAME_LEN)
		return false;
	for (g = 0; g < ARRAY_SIZE(groups); g++) {
		if (!hex_run(p, groups[g], false))
			return false;
		for (i = 0; i < groups[g]; i += 2)
			uuid[k++] = (uint8_t)(hex_digit_value(p[i]) << 4 | hex_digit_value(p[i + 1]));
		p += groups[g];
		if (*p == '-')
			p++;
	}
	return k == CLIENTMAP_UUID_LEN;
}

/**
 * uuid_swap() - the other byte order of a UUID: the first three fields
 * reversed (SMBIOS stores them little-endian; firmware differs in which
 * it sends).
 */
static void uuid_swap(const uint8_t in[CLIENTMAP_UUID_LEN], uint8_t out[CLIENTMAP_UUID_LEN])
{
	memcpy(out, in, CLIENTMAP_UUID_LEN);
	out[0] = in[3];
	out[1] = in[2];
	out[2] = in[1];
	out[3] = in[0];
	out[4] = in[5];
	out[5] = in[4];
	out[6] = in[7];
	out[7] = in[6];
}

/** is_ip_prefix_name() - 1-8 uppercase hex digits (pxelinux's IP names). */
static bool is_ip_prefix_name(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= PXE_IP_HEX_MAX && hex_run(name, n, true);
}

/**
 * serve_pxelinux() - [PREFIX/]pxelinux.cfg/@name: the client named by the
 * name (MAC, or a UUID learned from DHCP), else the requester.  A client
 * that cannot be told, or has nothing to boot, is -ENOENT (pxelinux tries
 * its next name); a file of that name under [tftp] root is served then.
 */
static int serve_pxelinux(struct bootcfg *bc, const struct vfs_req *req, const char *path,
			  const char *name, struct vfs_file *out, char *err, size_t errlen)
{
	uint8_t uuid[CLIENTMAP_UUID_LEN], swapped[CLIENTMAP_UUID_LEN];
	char mac[MAC_STR_LEN] = "", ip[16];
	struct clientmap *m = bc->bd->clients;
	bool known = false;
	int rc;

	if (strlen(name) == PXE_MAC_NAME_LEN && !strncmp(name, "01-", 3)) {
		if (mac_canonical(name, mac) < 0) {
			err_set(err, errlen, "%s: not a MAC address", path);
			return -ENOENT;
		}
		known = true;
	} else if (parse_uuid_name(name, uuid)) {
		uuid_swap(uuid, swapped);
		known = m && (clientmap_mac_for_uuid(m, uuid, mac) == 0 ||
			      clientmap_mac_for_uuid(m, swapped, mac) == 0);
	} else if (!is_ip_prefix_name(name) && strcmp(name, PXELINUX_CFG_DEFAULT) != 0) {
		goto from_root;
	}
	if (!known && requester_mac(bc, req->peer_ip, mac) < 0) {
		ip_text(req->peer_ip, ip);
		err_set(err, errlen, "%s: cannot tell which machine %s is", path, ip);
		goto from_root;
	}
	rc = serve_config(bc, req, BOOTCFG_PXELINUX, mac, out, err, errlen);
	if (rc != -ENOENT)
		return rc;
from_root:
	/* An admin's own file of that name, else not found. */
	rc = open_in(bc, BOOTCFG_DIR_TFTP, path, false, out);
	if (rc == 0) {
		out->kind = VFS_KIND_FILE;
		return 0;
	}
	if (rc == -ENOENT && !*err)
		err_set(err, errlen, "%s: no such file", path);
	else if (rc != -ENOENT)
		err_set(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}

/**
 * serve_image() - images/IMAGE/VERSION/FILE of a registered version.
 * @parts: the four components
 */
static int serve_image(struct bootcfg *bc, const char *path, char *const parts[],
		       struct vfs_file *out, char *err, size_t errlen)
{
	struct reg_version v;
	char rel[VFS_PATH_MAX];
	int version, rc;

	if (!name_valid(parts[1]) || parse_int(parts[2], 1, INT_MAX, &version) < 0 ||
	    !in_list(parts[3], image_files, ARRAY_SIZE(image_files))) {
		err_set(err, errlen, "%s: no such file (images/IMAGE/VERSION/vmlinuz, "
			"initrd.img or rootfs.img)", path);
		return -ENOENT;
	}
	if (!bc->bd->st || registry_version_get(bc->bd->st->reg, parts[1], version, &v) < 0) {
		err_set(err, errlen, "%s: no image %s version %d", path, parts[1], version);
		return -ENOENT;
	}
	snprintf(rel, sizeof(rel), "%s/%d/%s", parts[1], version, parts[3]);
	rc = open_in(bc, BOOTCFG_DIR_IMAGES, rel, false, out);
	if (rc < 0) {
		err_set(err, errlen, "%s: %s", path, rc == -ENOENT ?
			"the version has no such file" : strerror(-rc));
		return rc;
	}
	out->kind = VFS_KIND_IMAGE;
	return 0;
}

/**
 * in_pxelinux_cfg() - for "[PREFIX/]pxelinux.cfg/NAME", NAME; else NULL.
 */
static const char *in_pxelinux_cfg(const char *path)
{
	const char *last = strrchr(path, '/'), *dir;
	size_t dirlen = strlen(PXELINUX_CFG_DIR);

	if (!last || (size_t)(last - path) < dirlen)
		return NULL;
	dir = last - dirlen;
	if (strncmp(dir, PXELINUX_CFG_DIR, dirlen) != 0 || (dir != path && dir[-1] != '/'))
		return NULL;
	return last + 1;
}

/** split_path() - split @p (modified) at '/' into up to @max @parts; count. */
static size_t split_path(char *p, char **parts, size_t max)
{
	size_t n = 0;
	char *slash;

	while (p && n < max) {
		parts[n++] = p;
		slash = strchr(p, '/');
		if (slash)
			*slash++ = '\0';
		p = slash;
	}
	return p ? max + 1 : n;		/* more than @max: max + 1 */
}

int vfs_open(struct bootcfg *bc, const struct vfs_req *req, struct vfs_file *out,
	     char *err, size_t errlen)
{
	char path[VFS_PATH_MAX], copy[VFS_PATH_MAX], *parts[IMAGE_PATH_PARTS];
	const char *rel, *name;
	enum bootcfg_dir d;
	size_t len;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!bc || !req || !req->path) {
		err_set(err, errlen, "no file name");
		return -EINVAL;
	}
	len = strnlen(req->path, VFS_PATH_MAX);
	if (len >= VFS_PATH_MAX) {
		err_set(err, errlen, "file name too long (at most %d bytes)", VFS_PATH_MAX - 1);
		return -EINVAL;
	}
	rc = vfs_normalize(req->path, len, path, err, errlen);
	if (rc < 0)
		return rc;

	/* Rendered configs. */
	if (!strcmp(path, BOOT_FILE_IPXE_SCRIPT))
		return serve_ipxe(bc, req, out, err, errlen);
	name = in_pxelinux_cfg(path);
	if (name)
		return serve_pxelinux(bc, req, path, name, out, err, errlen);

	/* Image versions. */
	(void)str_copy(copy, sizeof(copy), path);
	if (split_path(copy, parts, IMAGE_PATH_PARTS) == IMAGE_PATH_PARTS &&
	    !strcmp(parts[0], IMAGES_DIR))
		return serve_image(bc, path, parts, out, err, errlen);

	/* The TFTP root first (an admin's file overrides a loader), then loaders. */
	rc = open_in(bc, BOOTCFG_DIR_TFTP, path, false, out);
	if (rc == 0) {
		out->kind = VFS_KIND_FILE;
		return 0;
	}
	if (rc == -ENOENT && loader_location(path, &d, &rel)) {
		rc = open_in(bc, d, rel, true, out);
		if (rc == 0) {
			out->kind = VFS_KIND_LOADER;
			return 0;
		}
	}
	if (rc == -ENOENT)
		err_set(err, errlen, "%s: no such file", path);
	else if (rc == -EACCES)
		err_set(err, errlen, "%s: leads outside the served directory: refused", path);
	else if (rc == -EISDIR)
		err_set(err, errlen, "%s: is a directory", path);
	else
		err_set(err, errlen, "%s: %s", path, strerror(-rc));
	return rc;
}
