/* lanroot.conf: one INI file for every program.
 *
 * Every key is one row of conf_keys[]: its section, name, type, where it
 * lives in struct lr_config, its range or choices, its default and a line
 * of help for the commented file `lanroot init` writes.  Parsing uses
 * inih's ini_parse_stream() with our own line reader, which
 *   - counts lines, so every message can name the line;
 *   - strips leading white space, so indented keys are keys (inih would
 *     otherwise take them as continuation lines of the previous value);
 *   - sees section headers, so an unknown section is reported on its line
 *     even when no key follows it.
 * The first error wins.  A key given twice in the file is an error too
 * (a typo'd duplicate silently overriding the first is worse).
 */
#include <config.h>

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "parse.h"
#include "util.h"

/** Largest config file read. */
#define CONF_MAX_FILE_SIZE (1024 * 1024)
/** Longest section or key name shown in a message. */
#define CONF_NAME_SHOWN 64
/** Permission bits of a config file written by config_write_default(). */
#define CONF_FILE_MODE 0644
#define PORT_MIN 1
#define PORT_MAX 65535
#define CLUSTER_SIZE_MIN 4096
#define CLUSTER_SIZE_MAX (1024 * 1024)
#define MAX_CLIENTS_LIMIT 100000
#define WORKERS_LIMIT 256
#define HANDSHAKE_TIMEOUT_MIN 1
#define HANDSHAKE_TIMEOUT_MAX 3600

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/** How a value is read and stored. */
enum conf_type {
	CONF_STRING,	/* char *, any text */
	CONF_ENUM,	/* char *, one of @choices */
	CONF_UINT,	/* uint32_t, decimal within [min, max] */
	CONF_SIZE,	/* uint32_t, size with K/M suffix, power of two in [min, max] */
	CONF_BOOL,	/* bool, yes/no … */
};

/** One key of the config file. */
struct conf_key {
	const char *section;		/* "nbd" */
	const char *key;		/* "port" */
	enum conf_type type;		/* how to read it */
	size_t offset;			/* field in struct lr_config */
	uint64_t min, max;		/* CONF_UINT, CONF_SIZE range */
	const char *const *choices;	/* CONF_ENUM values, NULL-terminated */
	const char *def;		/* default, as it would be written */
	const char *help;		/* one line for the written file */
};

static const char *const log_choices[] = { "stderr", "syslog", "json", NULL };
static const char *const level_choices[] = { "error", "warn", "info", "debug", NULL };
static const char *const tls_choices[] = { "off", "optional", "require", NULL };
static const char *const dhcp_choices[] = { "off", "full", "proxy", NULL };
static const char *const ra_choices[] = { "auto", "on", "off", NULL };
static const char *const loader_choices[] = { "ipxe", "pxelinux", NULL };
static const char *const unknown_choices[] = { "refuse", "default", "menu", NULL };

#define FIELD(f) offsetof(struct lr_config, f)

/** Every key, grouped by section in file order. */
static const struct conf_key conf_keys[] = {
	{ "lanroot", "state_dir", CONF_STRING, FIELD(state_dir), 0, 0, NULL,
	  CONFIG_DEFAULT_STATE_DIR, "Registry, images, overlays and the server secret." },
	{ "lanroot", "user", CONF_STRING, FIELD(user), 0, 0, NULL,
	  "lanroot", "Unprivileged user the daemons switch to after start-up." },
	{ "lanroot", "log", CONF_ENUM, FIELD(log), 0, 0, log_choices,
	  "stderr", "Where log lines go: stderr, syslog or json (JSON lines on stderr)." },
	{ "lanroot", "log_level", CONF_ENUM, FIELD(log_level), 0, 0, level_choices,
	  "info", "Least important lines logged: error, warn, info or debug." },

	{ "overlay", "cluster_size", CONF_SIZE, FIELD(cluster_size),
	  CLUSTER_SIZE_MIN, CLUSTER_SIZE_MAX, NULL,
	  "4096", "Copy-on-write unit of new overlays: a power of two, 4K to 1M." },

	{ "nbd", "listen", CONF_STRING, FIELD(nbd_listen), 0, 0, NULL,
	  "", "Address the block server binds; empty means all addresses." },
	{ "nbd", "port", CONF_UINT, FIELD(nbd_port), PORT_MIN, PORT_MAX, NULL,
	  "10809", "TCP port of the NBD server." },
	{ "nbd", "tls", CONF_ENUM, FIELD(nbd_tls), 0, 0, tls_choices,
	  "off", "TLS for NBD clients: off, optional or require." },
	{ "nbd", "tls_cert", CONF_STRING, FIELD(nbd_tls_cert), 0, 0, NULL,
	  "", "X.509 server certificate (PEM) for TLS." },
	{ "nbd", "tls_key", CONF_STRING, FIELD(nbd_tls_key), 0, 0, NULL,
	  "", "Private key (PEM) of that certificate." },
	{ "nbd", "tls_ca", CONF_STRING, FIELD(nbd_tls_ca), 0, 0, NULL,
	  "", "CA certificate to verify client certificates; empty for none." },
	{ "nbd", "tls_psk", CONF_STRING, FIELD(nbd_tls_psk), 0, 0, NULL,
	  "", "Pre-shared keys file (psktool format); empty for none." },
	{ "nbd", "control", CONF_STRING, FIELD(nbd_control), 0, 0, NULL,
	  RUNSTATEDIR "/lanroot/blockd.sock", "Control socket of lanroot-blockd." },
	{ "nbd", "version_exports", CONF_BOOL, FIELD(nbd_version_exports), 0, 0, NULL,
	  "no", "Also serve read-only IMAGE@VERSION exports: yes or no." },
	{ "nbd", "idle_timeout", CONF_UINT, FIELD(nbd_idle_timeout), 0, UINT32_MAX, NULL,
	  "600", "Seconds without a request before a client is dropped; 0 = never." },
	{ "nbd", "handshake_timeout", CONF_UINT, FIELD(nbd_handshake_timeout),
	  HANDSHAKE_TIMEOUT_MIN, HANDSHAKE_TIMEOUT_MAX, NULL,
	  "10", "Seconds a client has to finish the NBD handshake." },
	{ "nbd", "max_clients", CONF_UINT, FIELD(nbd_max_clients), 1, MAX_CLIENTS_LIMIT, NULL,
	  "1024", "Most NBD connections at once." },
	{ "nbd", "workers", CONF_UINT, FIELD(nbd_workers), 1, WORKERS_LIMIT, NULL,
	  "4", "Disk I/O worker threads." },

	{ "iscsi", "port", CONF_UINT, FIELD(iscsi_port), PORT_MIN, PORT_MAX, NULL,
	  "3260", "TCP port of the iSCSI target." },
	{ "iscsi", "iqn", CONF_STRING, FIELD(iscsi_iqn), 0, 0, NULL,
	  "iqn.2026-11.org.lanroot", "IQN prefix of the targets." },

	{ "server", "address", CONF_STRING, FIELD(server_address), 0, 0, NULL,
	  "", "Address clients reach this server at (boot files, URLs, root=); empty: the address a request came in on." },
	{ "server", "control", CONF_STRING, FIELD(bootd_control), 0, 0, NULL,
	  RUNSTATEDIR "/lanroot/bootd.sock", "Control socket of lanroot-bootd." },

	{ "tftp", "listen", CONF_STRING, FIELD(tftp_listen), 0, 0, NULL,
	  "", "IPv4 address the TFTP server binds; empty for all." },
	{ "tftp", "port", CONF_UINT, FIELD(tftp_port), PORT_MIN, PORT_MAX, NULL,
	  "69", "UDP port of the TFTP server." },
	{ "tftp", "root", CONF_STRING, FIELD(tftp_root), 0, 0, NULL,
	  LOCALSTATEDIR "/lib/lanroot/tftp", "Directory served by TFTP and HTTP (besides loaders and images)." },
	{ "tftp", "max_transfers", CONF_UINT, FIELD(tftp_max_transfers), 1, 65536, NULL,
	  "512", "TFTP transfers at once; more requests are refused." },
	{ "tftp", "timeout", CONF_UINT, FIELD(tftp_timeout), 1, 255, NULL,
	  "1", "Seconds before the first retransmission (doubles, up to 8 s)." },
	{ "tftp", "retries", CONF_UINT, FIELD(tftp_retries), 1, 50, NULL,
	  "5", "Retransmissions before a transfer is given up." },
	{ "tftp", "max_blksize", CONF_UINT, FIELD(tftp_max_blksize), 8, 65464, NULL,
	  "65464", "Largest block size granted (RFC 2348)." },
	{ "tftp", "max_windowsize", CONF_UINT, FIELD(tftp_max_windowsize), 1, 1024, NULL,
	  "64", "Largest window granted (RFC 7440)." },

	{ "http", "listen", CONF_STRING, FIELD(http_listen), 0, 0, NULL,
	  "", "Address the HTTP server binds; empty for all." },
	{ "http", "port", CONF_UINT, FIELD(http_port), PORT_MIN, PORT_MAX, NULL,
	  "80", "TCP port of the HTTP server." },
	{ "http", "max_connections", CONF_UINT, FIELD(http_max_connections), 1, 65536, NULL,
	  "1024", "HTTP connections at once." },
	{ "http", "timeout", CONF_UINT, FIELD(http_timeout), 1, 3600, NULL,
	  "30", "Seconds an idle HTTP connection is kept." },

	{ "dhcp", "mode", CONF_ENUM, FIELD(dhcp_mode), 0, 0, dhcp_choices,
	  "proxy", "off, full (hand out addresses) or proxy (boot information only, beside the site's DHCP server)." },
	{ "dhcp", "interface", CONF_STRING, FIELD(dhcp_interface), 0, 0, NULL,
	  "", "Interfaces to serve DHCP on (comma list); empty for every interface with an IPv4 address but lo." },
	{ "dhcp", "range", CONF_STRING, FIELD(dhcp_range), 0, 0, NULL,
	  "", "Address pools, FIRST-LAST (comma list; full mode)." },
	{ "dhcp", "subnet", CONF_STRING, FIELD(dhcp_subnet), 0, 0, NULL,
	  "", "Subnets served, as CIDR (comma list); each range lies in one." },
	{ "dhcp", "router", CONF_STRING, FIELD(dhcp_router), 0, 0, NULL,
	  "", "Default routers (comma list); each subnet gets the one inside it." },
	{ "dhcp", "dns", CONF_STRING, FIELD(dhcp_dns), 0, 0, NULL,
	  "", "DNS servers (comma list)." },
	{ "dhcp", "domain", CONF_STRING, FIELD(dhcp_domain), 0, 0, NULL,
	  "", "Domain name given to clients; empty for none." },
	{ "dhcp", "lease_time", CONF_UINT, FIELD(dhcp_lease_time), 60, 31536000, NULL,
	  "3600", "Seconds a lease lasts." },
	{ "dhcp", "router_advertisement", CONF_ENUM, FIELD(dhcp_router_advertisement), 0, 0,
	  ra_choices, "auto", "Send a minimal IPv6 router advertisement (iPXE boots faster): on, off, or auto (on in full mode)." },
	{ "dhcp", "allowed_servers", CONF_STRING, FIELD(dhcp_allowed_servers), 0, 0, NULL,
	  "", "Other DHCP servers expected on the segment (comma list of IPv4 addresses)." },
	{ "dhcp", "rogue_probe_interval", CONF_UINT, FIELD(dhcp_rogue_probe_interval), 0, 86400, NULL,
	  "300", "Seconds between probes for other DHCP servers; 0 only listens." },

	{ "boot", "loader", CONF_ENUM, FIELD(boot_loader), 0, 0, loader_choices,
	  "ipxe", "Loader for groups whose loader is auto: ipxe or pxelinux." },
	{ "boot", "unknown_clients", CONF_ENUM, FIELD(boot_unknown_clients), 0, 0, unknown_choices,
	  "refuse", "Machines not in the registry: refuse, default (boot default_group) or menu." },
	{ "boot", "default_group", CONF_STRING, FIELD(boot_default_group), 0, 0, NULL,
	  "", "Group unknown machines boot when unknown_clients = default." },
	{ "boot", "menu_timeout", CONF_UINT, FIELD(boot_menu_timeout), 0, 3600, NULL,
	  "5", "Seconds a boot menu waits before its first entry." },
	{ "boot", "check_requester", CONF_BOOL, FIELD(boot_check_requester), 0, 0, NULL,
	  "yes", "Send a client's boot config (it holds its token) only to that machine." },
	{ "boot", "pxelinux_dir", CONF_STRING, FIELD(boot_pxelinux_dir), 0, 0, NULL,
	  "/usr/lib/PXELINUX", "Where pxelinux.0 is (Debian package pxelinux)." },
	{ "boot", "syslinux_dir", CONF_STRING, FIELD(boot_syslinux_dir), 0, 0, NULL,
	  "/usr/lib/syslinux/modules", "syslinux modules, with bios/ and efi64/ (syslinux-common)." },
	{ "boot", "syslinux_efi_dir", CONF_STRING, FIELD(boot_syslinux_efi_dir), 0, 0, NULL,
	  "/usr/lib/SYSLINUX.EFI", "Where efi64/syslinux.efi is (syslinux-efi)." },
	{ "boot", "ipxe_dir", CONF_STRING, FIELD(boot_ipxe_dir), 0, 0, NULL,
	  "/usr/lib/ipxe", "Where undionly.kpxe and snponly.efi are (ipxe)." },
};

#define CONF_NKEYS ARRAY_SIZE(conf_keys)

/**
 * section_known() - whether any key lives in @section.
 * @section: name
 * Return: true if so.
 */
static bool section_known(const char *section)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (!strcmp(conf_keys[i].section, section))
			return true;
	return false;
}

/**
 * key_find() - the table row of @section/@key.
 * @section: section name
 * @key:     key name
 * Return: the row index, or -1.
 */
static int key_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (!strcmp(conf_keys[i].section, section) && !strcmp(conf_keys[i].key, key))
			return (int)i;
	return -1;
}

/**
 * field() - address of the field of @k in @cfg.
 * @cfg: config
 * @k:   key
 * Return: the address.
 */
static void *field(struct lr_config *cfg, const struct conf_key *k)
{
	return (char *)cfg + k->offset;
}

/**
 * choices_text() - "off, optional, require" for messages.
 * @choices: NULL-terminated list
 * @out:     receives the text
 * @size:    size of @out
 */
static void choices_text(const char *const *choices, char *out, size_t size)
{
	size_t used = 0, i;

	out[0] = '\0';
	for (i = 0; choices[i] && used < size; i++) {
		int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", choices[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/**
 * key_set() - parse @value for @k and store it in @cfg.
 * @cfg:    config
 * @k:      key
 * @value:  text from the file or the command line
 * @err:    receives "[nbd] port: '70000' is out of range 1..65535"
 * @errlen: size of @err
 * Return: 0 or -EINVAL.
 */
static int key_set(struct lr_config *cfg, const struct conf_key *k, const char *value,
		   char *err, size_t errlen)
{
	char list[256];
	uint64_t v;
	bool b;
	size_t i;
	int rc;

	switch (k->type) {
	case CONF_STRING:
		break;
	case CONF_ENUM:
		for (i = 0; k->choices[i]; i++)
			if (!strcmp(value, k->choices[i]))
				break;
		if (!k->choices[i]) {
			choices_text(k->choices, list, sizeof(list));
			err_set(err, errlen, "[%s] %s: '%.*s' is not one of %s", k->section,
				  k->key, CONF_NAME_SHOWN, value, list);
			return -EINVAL;
		}
		break;
	case CONF_UINT:
	case CONF_SIZE:
		if (k->type == CONF_UINT)
			rc = parse_u64(value, k->min, k->max, &v);
		else
			rc = parse_size(value, &v);
		if (rc == -EINVAL) {
			err_set(err, errlen, "[%s] %s: '%.*s' is not a %s", k->section, k->key,
				  CONF_NAME_SHOWN, value,
				  k->type == CONF_UINT ? "number" : "size");
			return -EINVAL;
		}
		if (rc < 0 || v < k->min || v > k->max) {
			err_set(err, errlen, "[%s] %s: '%.*s' is out of range %llu..%llu",
				  k->section, k->key, CONF_NAME_SHOWN, value,
				  (unsigned long long)k->min, (unsigned long long)k->max);
			return -EINVAL;
		}
		if (k->type == CONF_SIZE && !is_power_of_two(v)) {
			err_set(err, errlen, "[%s] %s: '%.*s' is not a power of two",
				  k->section, k->key, CONF_NAME_SHOWN, value);
			return -EINVAL;
		}
		*(uint32_t *)field(cfg, k) = (uint32_t)v;
		return 0;
	case CONF_BOOL:
		if (parse_bool(value, &b) < 0) {
			err_set(err, errlen, "[%s] %s: '%.*s' is not yes or no", k->section,
				  k->key, CONF_NAME_SHOWN, value);
			return -EINVAL;
		}
		*(bool *)field(cfg, k) = b;
		return 0;
	}
	/* CONF_STRING, CONF_ENUM */
	free(*(char **)field(cfg, k));
	*(char **)field(cfg, k) = xstrdup(value);
	return 0;
}

/**
 * config_init() - fill @cfg with the built-in defaults.
 * @cfg: config; its old contents are not freed
 */
void config_init(struct lr_config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < CONF_NKEYS; i++) {
		/* The defaults are ours: they always parse. */
		if (key_set(cfg, &conf_keys[i], conf_keys[i].def, NULL, 0) < 0)
			abort();
	}
}

/**
 * config_free() - free the strings in @cfg and empty it; calling it again,
 * or on a config a failed config_load() left, is harmless.
 * @cfg: config
 */
void config_free(struct lr_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (k->type == CONF_STRING || k->type == CONF_ENUM)
			free(*(char **)field(cfg, k));
	}
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/** State of one parse. */
struct conf_parse {
	struct lr_config *cfg;	/* filled in */
	const char *name;	/* file name for messages */
	const char *text;	/* the whole file */
	size_t pos;		/* next unread byte of @text */
	int line;		/* number of the line last handed to inih */
	int err_line;		/* line of the first error we found, 0 = none */
	char err[512];		/* its message, without "name:line: " */
	int set_line[CONF_NKEYS]; /* line each key was set on, 0 = not yet */
};

/**
 * parse_fail() - remember the first error of the parse.
 * @p:   parse state
 * @fmt: printf format of the message
 */
static void __attribute__((format(printf, 2, 3)))
parse_fail(struct conf_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line)
		return;
	p->err_line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

/**
 * is_blank() - white space inside a line.
 * @c: character
 * Return: true for space, tab, CR, VT, FF.
 */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/**
 * check_section_line() - report an unknown "[section]" header on this line.
 * @p:    parse state
 * @line: the line, leading white space removed
 * @len:  its length
 */
static void check_section_line(struct conf_parse *p, const char *line, size_t len)
{
	static const char bom[] = "\xEF\xBB\xBF";
	char name[CONF_NAME_SHOWN + 1];
	const char *end;
	size_t n;

	if (p->line == 1 && len >= 3 && !memcmp(line, bom, 3)) {
		line += 3;
		len -= 3;
	}
	if (len == 0 || line[0] != '[')
		return;
	end = memchr(line, ']', len);
	if (!end)
		return;		/* inih reports the syntax error */
	n = (size_t)(end - line - 1);
	if (n > CONF_NAME_SHOWN)
		n = CONF_NAME_SHOWN;
	memcpy(name, line + 1, n);
	name[n] = '\0';
	if (!section_known(name) || (size_t)(end - line - 1) != n)
		parse_fail(p, "unknown section [%s]", name);
}

/**
 * conf_reader() - inih's line reader over the text: one line per call, with
 * leading white space removed.  A line too long for inih's buffer is an
 * error and is handed over as an empty line.
 * @str:    inih's buffer
 * @num:    its size
 * @stream: the parse state
 * Return: @str, or NULL at the end.
 */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	const char *start = p->text + p->pos, *nl;
	size_t len, linelen;

	if (!*start || num < 2)
		return NULL;
	nl = strchr(start, '\n');
	linelen = nl ? (size_t)(nl - start) + 1 : strlen(start);
	p->pos += linelen;
	p->line++;

	while (linelen > 0 && is_blank(*start)) {
		start++;
		linelen--;
	}
	len = linelen;
	if (len > 0 && start[len - 1] == '\n')
		len--;
	/* inih needs room for the line, its newline and a NUL. */
	if (len + 2 > (size_t)num) {
		parse_fail(p, "line too long (more than %d characters)", num - 3);
		str[0] = '\n';
		str[1] = '\0';
		return str;
	}
	check_section_line(p, start, len);
	memcpy(str, start, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

/**
 * conf_handler() - inih's callback for one "key = value".
 * @user:    the parse state
 * @section: current section ("" before the first)
 * @name:    key, or NULL at a new section (some inih builds)
 * @value:   value, or NULL for a line without '=' (some inih builds)
 * Return: 1 to go on, 0 for an error (inih records the line).
 */
static int conf_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct conf_parse *p = user;
	char msg[sizeof(p->err)];
	int i;

	if (p->err_line)
		return 1;	/* only the first error is reported */
	if (!name)
		return 1;
	if (!value) {
		parse_fail(p, "syntax error");
		return 0;
	}
	if (!*section) {
		parse_fail(p, "key '%.*s' is not in a [section]", CONF_NAME_SHOWN, name);
		return 0;
	}
	if (!section_known(section))
		return 1;	/* reported at the section line */
	i = key_find(section, name);
	if (i < 0) {
		parse_fail(p, "unknown key '%.*s' in [%s]", CONF_NAME_SHOWN, name, section);
		return 0;
	}
	if (p->set_line[i]) {
		parse_fail(p, "duplicate key '%s' in [%s] (first set on line %d)", name,
			   section, p->set_line[i]);
		return 0;
	}
	p->set_line[i] = p->line;
	if (key_set(p->cfg, &conf_keys[i], value, msg, sizeof(msg)) < 0) {
		parse_fail(p, "%s", msg);
		return 0;
	}
	return 1;
}

/**
 * parse_text() - apply the settings in @text to @cfg.
 * @cfg:    config, already holding defaults
 * @text:   file contents
 * @name:   file name for messages
 * @err:    receives "name:line: what"
 * @errlen: size of @err
 * Return: 0, -EINVAL or -ENOMEM.
 */
static int parse_text(struct lr_config *cfg, const char *text, const char *name,
		      char *err, size_t errlen)
{
	struct conf_parse *p = xcalloc(1, sizeof(*p));
	int rc;

	p->cfg = cfg;
	p->name = name;
	p->text = text;
	rc = ini_parse_stream(conf_reader, p, conf_handler, p);
	if (rc == -2) {
		err_set(err, errlen, "%s: out of memory", name);
		rc = -ENOMEM;
	} else if (rc > 0 && (!p->err_line || rc < p->err_line)) {
		err_set(err, errlen, "%s:%d: syntax error", name, rc);
		rc = -EINVAL;
	} else if (p->err_line) {
		err_set(err, errlen, "%s:%d: %s", name, p->err_line, p->err);
		rc = -EINVAL;
	} else if (rc != 0) {
		err_set(err, errlen, "%s: cannot parse", name);
		rc = -EINVAL;
	}
	free(p);
	return rc;
}

/**
 * config_load_string() - config_init(), then apply @text.
 * @cfg:    config
 * @text:   file contents
 * @name:   file name for messages
 * @err:    receives a message on failure
 * @errlen: size of @err
 * Return: 0 or -EINVAL (then @cfg is empty, as after config_free()).
 */
int config_load_string(struct lr_config *cfg, const char *text, const char *name,
		       char *err, size_t errlen)
{
	int rc;

	config_init(cfg);
	if (!text || !name) {
		err_set(err, errlen, "no configuration text");
		rc = -EINVAL;
		goto err;
	}
	rc = parse_text(cfg, text, name, err, errlen);
	if (rc < 0)
		goto err;
	return 0;

err:
	config_free(cfg);
	return rc;
}

/**
 * config_load() - config_init(), then read @path (see conf.h).
 * @cfg:    config
 * @path:   file, or NULL for CONFIG_DEFAULT_PATH if it exists
 * @err:    receives a message on failure
 * @errlen: size of @err
 * Return: 0, -ENOENT, -EINVAL or -errno; on failure @cfg is empty (as
 * after config_free()).
 */
int config_load(struct lr_config *cfg, const char *path, char *err, size_t errlen)
{
	bool optional = !path;
	size_t len = 0;
	char *text = NULL;
	int rc;

	config_init(cfg);
	if (!path)
		path = CONFIG_DEFAULT_PATH;
	rc = file_read_all(path, CONF_MAX_FILE_SIZE, &text, &len);
	if (rc == -ENOENT && optional)
		return 0;
	if (rc < 0) {
		err_set(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		goto err;
	}
	if (strlen(text) != len) {
		err_set(err, errlen, "%s: not a text file (contains a NUL byte)", path);
		rc = -EINVAL;
		goto err;
	}
	rc = parse_text(cfg, text, path, err, errlen);
	if (rc < 0)
		goto err;
	cfg->path = xstrdup(path);
	free(text);
	return 0;

err:
	free(text);
	config_free(cfg);
	return rc;
}

/**
 * config_set() - set one key as the file would.
 * @cfg:     config
 * @section: section name
 * @key:     key name
 * @value:   value text
 * @err:     receives a message on failure
 * @errlen:  size of @err
 * Return: 0 or -EINVAL (@cfg unchanged).
 */
int config_set(struct lr_config *cfg, const char *section, const char *key,
	       const char *value, char *err, size_t errlen)
{
	int i;

	if (!cfg || !section || !key || !value) {
		err_set(err, errlen, "missing section, key or value");
		return -EINVAL;
	}
	if (!section_known(section)) {
		err_set(err, errlen, "unknown section [%.*s]", CONF_NAME_SHOWN, section);
		return -EINVAL;
	}
	i = key_find(section, key);
	if (i < 0) {
		err_set(err, errlen, "unknown key '%.*s' in [%s]", CONF_NAME_SHOWN, key,
			  section);
		return -EINVAL;
	}
	return key_set(cfg, &conf_keys[i], value, err, errlen);
}

/**
 * value_text() - the current value of @k as it would be written.
 * @cfg: config
 * @k:   key
 * Return: newly allocated text.
 */
static char *value_text(const struct lr_config *cfg, const struct conf_key *k)
{
	const void *f = (const char *)cfg + k->offset;
	const char *s;

	switch (k->type) {
	case CONF_UINT:
	case CONF_SIZE:
		return xasprintf("%u", *(const uint32_t *)f);
	case CONF_BOOL:
		return xstrdup(*(const bool *)f ? "yes" : "no");
	case CONF_STRING:
	case CONF_ENUM:
	default:
		s = *(char *const *)f;
		return xstrdup(s ? s : "");
	}
}

/**
 * value_writable() - whether "@key = @value" reads back unchanged: no line
 * breaks, no white space at either end, no ';' comment start, and short
 * enough for inih's line buffer.
 * @key:   key name
 * @value: value
 * Return: true if so.
 */
static bool value_writable(const char *key, const char *value)
{
	size_t len = strlen(value), i;

	if (strlen(key) + strlen(" = ") + len + 3 > INI_MAX_LINE)
		return false;
	if (len && (is_blank(value[0]) || is_blank(value[len - 1])))
		return false;
	for (i = 0; i < len; i++) {
		if (value[i] == '\n' || value[i] == '\r')
			return false;
		if (value[i] == ';' && (i == 0 || is_blank(value[i - 1])))
			return false;
	}
	return true;
}

/**
 * text_append() - append formatted text to a growing string.
 * @text: the string so far (freed)
 * @fmt:  printf format
 * Return: the longer string.
 */
static char * __attribute__((format(printf, 2, 3)))
text_append(char *text, const char *fmt, ...)
{
	va_list ap;
	char *more, *out;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		abort();
	va_end(ap);
	out = xasprintf("%s%s", text, more);
	free(more);
	free(text);
	return out;
}

/**
 * config_write_default() - write a commented config file with the current
 * values of @cfg; each key is preceded by a line of help and its default.
 * @cfg:  config
 * @path: file to write (replaced atomically, mode 0644)
 * Return: 0, -EINVAL if a value cannot be written so that it reads back
 * unchanged, or -errno.
 */
int config_write_default(const struct lr_config *cfg, const char *path)
{
	const char *section = "";
	char *text, *value;
	size_t i;
	int rc;

	text = xstrdup("# lanroot.conf: configuration of the lanroot network-boot suite,\n"
		       "# read by lanroot, lanroot-blockd and lanroot-bootd (see lanroot.conf(5)).\n"
		       "# Lines starting with '#' or ';' are comments.  Each key may appear once.\n");
	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcmp(section, k->section) != 0) {
			text = text_append(text, "\n[%s]\n", k->section);
			section = k->section;
		} else {
			text = text_append(text, "\n");
		}
		value = value_text(cfg, k);
		if (!value_writable(k->key, value)) {
			free(value);
			free(text);
			return -EINVAL;
		}
		text = text_append(text, "# %s\n# default: %s\n%s = %s\n", k->help,
				   *k->def ? k->def : "(empty)", k->key, value);
		free(value);
	}
	rc = file_write_atomic(path, text, strlen(text), CONF_FILE_MODE);
	free(text);
	return rc;
}
