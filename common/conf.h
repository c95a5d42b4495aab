/* lanroot.conf: one INI file for every program (see lanroot.conf(5)).
 *
 * Every key is declared in a table in config.c with its type, range and
 * default; an unknown section or key, or a bad value, is an error that names
 * the file, the line and what was wrong:
 *     lanroot.conf:12: unknown key 'prot' in [nbd]
 *     lanroot.conf:4: [nbd] port: '70000' is out of range 1..65535
 * Later issues add keys to the table (and to struct lr_config).
 */
#ifndef LR_CONF_H
#define LR_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Default config file, used when -c is not given. */
#define CONFIG_DEFAULT_PATH SYSCONFDIR "/lanroot/lanroot.conf"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/lanroot"

struct lr_config {
	char *path;		/* file read, or NULL for built-in defaults */

	/* [lanroot] */
	char *state_dir;	/* registry, images, overlays, secret */
	char *user;		/* unprivileged user the daemons drop to */
	char *log;		/* stderr | syslog | json */
	char *log_level;	/* error | warn | info | debug */

	/* [overlay] */
	uint32_t cluster_size;	/* bytes, power of two, 4 KiB – 1 MiB */

	/* [nbd] (lanroot-blockd) */
	char *nbd_listen;	/* address to bind, "" = all */
	uint32_t nbd_port;	/* TCP port, default 10809 */
	char *nbd_tls;		/* off | optional | require */
	char *nbd_tls_cert;	/* X.509 certificate (PEM) */
	char *nbd_tls_key;	/* its private key (PEM) */
	char *nbd_tls_ca;	/* CA for client certificates, optional */
	char *nbd_tls_psk;	/* PSK file (psktool format), optional */
	char *nbd_control;	/* control socket path */
	bool nbd_version_exports; /* serve IMAGE@VERSION read-only exports */
	uint32_t nbd_idle_timeout; /* seconds without a request, 0 = never */
	uint32_t nbd_handshake_timeout; /* seconds to finish the handshake */
	uint32_t nbd_max_clients;  /* connections at once */
	uint32_t nbd_workers;	/* disk I/O worker threads */

	/* [iscsi] */
	uint32_t iscsi_port;	/* TCP port, default 3260 */
	char *iscsi_iqn;	/* target IQN prefix */

	/* [server] (lanroot-bootd) */
	char *server_address;	/* address clients are told, "" = per request */
	char *bootd_control;	/* control socket path */

	/* [tftp] */
	char *tftp_listen;	/* IPv4 address to bind, "" = all */
	uint32_t tftp_port;	/* UDP port, default 69 */
	char *tftp_root;	/* directory served (beside loaders and images) */
	uint32_t tftp_max_transfers; /* transfers at once */
	uint32_t tftp_timeout;	/* seconds before the first retransmission */
	uint32_t tftp_retries;	/* retransmissions before giving up */
	uint32_t tftp_max_blksize; /* largest blksize granted */
	uint32_t tftp_max_windowsize; /* largest windowsize granted */

	/* [http] */
	char *http_listen;	/* address to bind, "" = all */
	uint32_t http_port;	/* TCP port, default 80 */
	uint32_t http_max_connections;
	uint32_t http_timeout;	/* idle seconds */

	/* [dhcp] */
	char *dhcp_mode;	/* off | proxy | full */
	char *dhcp_interface;	/* comma list, "" = all but lo */
	char *dhcp_range;	/* comma list of FIRST-LAST */
	char *dhcp_subnet;	/* comma list of CIDR */
	char *dhcp_router;	/* comma list */
	char *dhcp_dns;		/* comma list */
	char *dhcp_domain;	/* "" = none */
	uint32_t dhcp_lease_time; /* seconds */
	char *dhcp_router_advertisement; /* auto | on | off */
	char *dhcp_allowed_servers; /* comma list of IPv4 addresses */
	uint32_t dhcp_rogue_probe_interval; /* seconds, 0 = never probe */

	/* [boot] */
	char *boot_loader;	/* ipxe | pxelinux, for groups with loader auto */
	char *boot_unknown_clients; /* refuse | default | menu */
	char *boot_default_group; /* group of unknown clients (default) */
	uint32_t boot_menu_timeout; /* seconds */
	bool boot_check_requester; /* configs only to the machine they are for */
	char *boot_pxelinux_dir;
	char *boot_syslinux_dir;
	char *boot_syslinux_efi_dir;
	char *boot_ipxe_dir;
};

/**
 * config_init() - fill @cfg with the built-in defaults.
 */
void config_init(struct lr_config *cfg);

/**
 * config_load() - config_init(), then read @path over the defaults.
 * @path: the file; NULL reads CONFIG_DEFAULT_PATH if it exists (a missing
 *        default file is not an error; a missing named file is).
 * @err:  receives a one-line message for a person on failure.
 * Return: 0, -ENOENT (named file missing), -EINVAL (syntax, unknown key,
 * bad value; first error reported), or another -errno.
 * On failure @cfg is left empty (all NULL/zero, as after config_free()), so
 * calling config_free() on it again is harmless but not required.
 * A key given twice in the file is an error ("duplicate key 'port' in [nbd]
 * (first set on line 4)"); leading white space on a line is ignored (there
 * are no continuation lines); a line longer than inih's buffer (INI_MAX_LINE,
 * about 200 characters) is an error.
 */
int config_load(struct lr_config *cfg, const char *path, char *err, size_t errlen);

/**
 * config_load_string() - as config_load() for text in memory; @name is the
 * file name used in messages.  (Tests and the fuzzer use it.)
 */
int config_load_string(struct lr_config *cfg, const char *text, const char *name,
		       char *err, size_t errlen);

/**
 * config_set() - set one key as the file would ("nbd", "port", "10810").
 * Used for command-line overrides such as --state.  0 or -EINVAL (+ @err).
 */
int config_set(struct lr_config *cfg, const char *section, const char *key,
	       const char *value, char *err, size_t errlen);

/**
 * config_write_default() - write a commented config file with the current
 * values of @cfg to @path (used by `lanroot init`).  0 or -errno.
 */
int config_write_default(const struct lr_config *cfg, const char *path);

/** config_free() - free the strings held by @cfg and zero it (idempotent). */
void config_free(struct lr_config *cfg);

#endif
