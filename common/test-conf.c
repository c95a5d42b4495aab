/* Unit tests for common/conf.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "testutil.h"
#include "util.h"

/** load_error() - load @text; it must fail with @want as the message. */
static void load_error(const char *text, const char *want)
{
	struct lr_config cfg;
	char err[512] = "";
	int rc;

	rc = config_load_string(&cfg, text, "lanroot.conf", err, sizeof(err));
	if (rc != -EINVAL)
		fail_msg("accepted (rc %d): %s", rc, text);
	if (strcmp(err, want) != 0)
		fail_msg("message\n  got:  %s\n  want: %s", err, want);
	/* a failed load leaves nothing to free */
	assert_null(cfg.state_dir);
	assert_null(cfg.nbd_tls);
	assert_null(cfg.path);
	config_free(&cfg);
}

/** load_ok() - load @text into @cfg; it must succeed. */
static void load_ok(struct lr_config *cfg, const char *text)
{
	char err[512] = "";

	if (config_load_string(cfg, text, "lanroot.conf", err, sizeof(err)) != 0)
		fail_msg("rejected: %s", err);
}

/** assert_same_config() - every field of @a equals that of @b. */
static void assert_same_config(const struct lr_config *a, const struct lr_config *b)
{
#define SAME_STR(f) assert_string_equal(a->f, b->f)
#define SAME_NUM(f) assert_int_equal(a->f, b->f)
	SAME_STR(state_dir);
	SAME_STR(user);
	SAME_STR(log);
	SAME_STR(log_level);
	SAME_STR(server_address);
	SAME_NUM(cluster_size);
	SAME_STR(nbd_listen);
	SAME_NUM(nbd_port);
	SAME_STR(nbd_tls);
	SAME_STR(nbd_tls_cert);
	SAME_STR(nbd_tls_key);
	SAME_STR(nbd_tls_ca);
	SAME_STR(nbd_tls_psk);
	SAME_STR(nbd_control);
	SAME_NUM(nbd_version_exports);
	SAME_NUM(nbd_idle_timeout);
	SAME_NUM(nbd_handshake_timeout);
	SAME_NUM(nbd_max_clients);
	SAME_NUM(nbd_workers);
	SAME_NUM(iscsi_port);
	SAME_STR(iscsi_iqn);
	SAME_STR(bootd_control);
	SAME_STR(tftp_listen);
	SAME_NUM(tftp_port);
	SAME_STR(tftp_root);
	SAME_NUM(tftp_max_transfers);
	SAME_NUM(tftp_timeout);
	SAME_NUM(tftp_retries);
	SAME_NUM(tftp_max_blksize);
	SAME_NUM(tftp_max_windowsize);
	SAME_STR(http_listen);
	SAME_NUM(http_port);
	SAME_NUM(http_max_connections);
	SAME_NUM(http_timeout);
	SAME_STR(dhcp_mode);
	SAME_STR(dhcp_interface);
	SAME_STR(dhcp_range);
	SAME_STR(dhcp_subnet);
	SAME_STR(dhcp_router);
	SAME_STR(dhcp_dns);
	SAME_STR(dhcp_domain);
	SAME_NUM(dhcp_lease_time);
	SAME_STR(dhcp_router_advertisement);
	SAME_STR(dhcp_allowed_servers);
	SAME_NUM(dhcp_rogue_probe_interval);
	SAME_STR(boot_loader);
	SAME_STR(boot_unknown_clients);
	SAME_STR(boot_default_group);
	SAME_NUM(boot_menu_timeout);
	SAME_NUM(boot_check_requester);
	SAME_STR(boot_pxelinux_dir);
	SAME_STR(boot_syslinux_dir);
	SAME_STR(boot_syslinux_efi_dir);
	SAME_STR(boot_ipxe_dir);
#undef SAME_STR
#undef SAME_NUM
}

static void test_defaults(void **state)
{
	struct lr_config cfg;

	config_init(&cfg);
	assert_null(cfg.path);
	assert_string_equal(cfg.state_dir, "/var/lib/lanroot");
	assert_string_equal(cfg.state_dir, CONFIG_DEFAULT_STATE_DIR);
	assert_string_equal(cfg.user, "lanroot");
	assert_string_equal(cfg.log, "stderr");
	assert_string_equal(cfg.log_level, "info");
	assert_string_equal(cfg.server_address, "");
	assert_int_equal(cfg.cluster_size, 4096);
	assert_string_equal(cfg.nbd_listen, "");
	assert_int_equal(cfg.nbd_port, 10809);
	assert_string_equal(cfg.nbd_tls, "off");
	assert_string_equal(cfg.nbd_tls_cert, "");
	assert_string_equal(cfg.nbd_tls_key, "");
	assert_string_equal(cfg.nbd_tls_ca, "");
	assert_string_equal(cfg.nbd_tls_psk, "");
	assert_string_equal(cfg.nbd_control, RUNSTATEDIR "/lanroot/blockd.sock");
	assert_false(cfg.nbd_version_exports);
	assert_int_equal(cfg.nbd_idle_timeout, 600);
	assert_int_equal(cfg.nbd_handshake_timeout, 10);
	assert_int_equal(cfg.nbd_max_clients, 1024);
	assert_int_equal(cfg.nbd_workers, 4);
	assert_int_equal(cfg.iscsi_port, 3260);
	assert_string_equal(cfg.iscsi_iqn, "iqn.2026-11.org.lanroot");
	assert_string_equal(cfg.bootd_control, RUNSTATEDIR "/lanroot/bootd.sock");
	assert_string_equal(cfg.tftp_listen, "");
	assert_int_equal(cfg.tftp_port, 69);
	assert_string_equal(cfg.tftp_root, LOCALSTATEDIR "/lib/lanroot/tftp");
	assert_int_equal(cfg.tftp_max_transfers, 512);
	assert_int_equal(cfg.tftp_timeout, 1);
	assert_int_equal(cfg.tftp_retries, 5);
	assert_int_equal(cfg.tftp_max_blksize, 65464);
	assert_int_equal(cfg.tftp_max_windowsize, 64);
	assert_string_equal(cfg.http_listen, "");
	assert_int_equal(cfg.http_port, 80);
	assert_int_equal(cfg.http_max_connections, 1024);
	assert_int_equal(cfg.http_timeout, 30);
	assert_string_equal(cfg.dhcp_mode, "proxy");
	assert_string_equal(cfg.dhcp_interface, "");
	assert_int_equal(cfg.dhcp_lease_time, 3600);
	assert_string_equal(cfg.dhcp_router_advertisement, "auto");
	assert_int_equal(cfg.dhcp_rogue_probe_interval, 300);
	assert_string_equal(cfg.boot_loader, "ipxe");
	assert_string_equal(cfg.boot_unknown_clients, "refuse");
	assert_string_equal(cfg.boot_default_group, "");
	assert_int_equal(cfg.boot_menu_timeout, 5);
	assert_true(cfg.boot_check_requester);
	assert_string_equal(cfg.boot_pxelinux_dir, "/usr/lib/PXELINUX");
	assert_string_equal(cfg.boot_syslinux_dir, "/usr/lib/syslinux/modules");
	assert_string_equal(cfg.boot_syslinux_efi_dir, "/usr/lib/SYSLINUX.EFI");
	assert_string_equal(cfg.boot_ipxe_dir, "/usr/lib/ipxe");
	config_free(&cfg);
	assert_null(cfg.state_dir);
	config_free(&cfg);	/* twice is harmless */
}

static void test_full_file(void **state)
{
	struct lr_config cfg;

	load_ok(&cfg,
		"# every key, none at its default\n"
		"[lanroot]\n"
		"state_dir = /srv/lanroot\n"
		"user = nobody\n"
		"log = json\n"
		"log_level = debug\n"
		"[overlay]\n"
		"cluster_size = 64K\n"
		"[nbd]\n"
		"listen = 127.0.0.1\n"
		"port = 10810\n"
		"tls = require\n"
		"tls_cert = /etc/lanroot/cert.pem\n"
		"tls_key = /etc/lanroot/key.pem\n"
		"tls_ca = /etc/lanroot/ca.pem\n"
		"tls_psk = /etc/lanroot/psk\n"
		"control = /tmp/blockd.sock\n"
		"version_exports = yes\n"
		"idle_timeout = 0\n"
		"max_clients = 100000\n"
		"workers = 256\n"
		"[iscsi]\n"
		"port = 3261\n"
		"iqn = iqn.2030-01.test\n"
		"[server]\n"
		"address = 10.0.0.1\n"
		"control = /tmp/bootd.sock\n"
		"[tftp]\n"
		"listen = 10.0.0.1\n"
		"port = 6969\n"
		"root = /srv/tftp\n"
		"max_transfers = 100\n"
		"timeout = 2\n"
		"retries = 3\n"
		"max_blksize = 1468\n"
		"max_windowsize = 16\n"
		"[http]\n"
		"listen = 10.0.0.1\n"
		"port = 8080\n"
		"max_connections = 64\n"
		"timeout = 5\n"
		"[dhcp]\n"
		"mode = full\n"
		"interface = eth1, eth2\n"
		"range = 10.0.0.100-10.0.0.200\n"
		"subnet = 10.0.0.0/24\n"
		"router = 10.0.0.254\n"
		"dns = 10.0.0.53\n"
		"domain = lab.example\n"
		"lease_time = 600\n"
		"router_advertisement = off\n"
		"allowed_servers = 10.0.0.2\n"
		"rogue_probe_interval = 0\n"
		"[boot]\n"
		"loader = pxelinux\n"
		"unknown_clients = default\n"
		"default_group = kiosk\n"
		"menu_timeout = 0\n"
		"check_requester = no\n"
		"pxelinux_dir = /opt/pxelinux\n"
		"syslinux_dir = /opt/syslinux\n"
		"syslinux_efi_dir = /opt/syslinux.efi\n"
		"ipxe_dir = /opt/ipxe\n");
	assert_null(cfg.path);
	assert_string_equal(cfg.state_dir, "/srv/lanroot");
	assert_string_equal(cfg.user, "nobody");
	assert_string_equal(cfg.log, "json");
	assert_string_equal(cfg.log_level, "debug");
	assert_string_equal(cfg.server_address, "10.0.0.1");
	assert_int_equal(cfg.cluster_size, 65536);
	assert_string_equal(cfg.nbd_listen, "127.0.0.1");
	assert_int_equal(cfg.nbd_port, 10810);
	assert_string_equal(cfg.nbd_tls, "require");
	assert_string_equal(cfg.nbd_tls_cert, "/etc/lanroot/cert.pem");
	assert_string_equal(cfg.nbd_tls_key, "/etc/lanroot/key.pem");
	assert_string_equal(cfg.nbd_tls_ca, "/etc/lanroot/ca.pem");
	assert_string_equal(cfg.nbd_tls_psk, "/etc/lanroot/psk");
	assert_string_equal(cfg.nbd_control, "/tmp/blockd.sock");
	assert_true(cfg.nbd_version_exports);
	assert_int_equal(cfg.nbd_idle_timeout, 0);
	assert_int_equal(cfg.nbd_max_clients, 100000);
	assert_int_equal(cfg.nbd_workers, 256);
	assert_int_equal(cfg.iscsi_port, 3261);
	assert_string_equal(cfg.iscsi_iqn, "iqn.2030-01.test");
	assert_string_equal(cfg.bootd_control, "/tmp/bootd.sock");
	assert_string_equal(cfg.tftp_listen, "10.0.0.1");
	assert_int_equal(cfg.tftp_port, 6969);
	assert_string_equal(cfg.tftp_root, "/srv/tftp");
	assert_int_equal(cfg.tftp_max_transfers, 100);
	assert_int_equal(cfg.tftp_timeout, 2);
	assert_int_equal(cfg.tftp_retries, 3);
	assert_int_equal(cfg.tftp_max_blksize, 1468);
	assert_int_equal(cfg.tftp_max_windowsize, 16);
	assert_string_equal(cfg.http_listen, "10.0.0.1");
	assert_int_equal(cfg.http_port, 8080);
	assert_int_equal(cfg.http_max_connections, 64);
	assert_int_equal(cfg.http_timeout, 5);
	assert_string_equal(cfg.dhcp_mode, "full");
	assert_string_equal(cfg.dhcp_interface, "eth1, eth2");
	assert_string_equal(cfg.dhcp_range, "10.0.0.100-10.0.0.200");
	assert_string_equal(cfg.dhcp_subnet, "10.0.0.0/24");
	assert_string_equal(cfg.dhcp_router, "10.0.0.254");
	assert_string_equal(cfg.dhcp_dns, "10.0.0.53");
	assert_string_equal(cfg.dhcp_domain, "lab.example");
	assert_int_equal(cfg.dhcp_lease_time, 600);
	assert_string_equal(cfg.dhcp_router_advertisement, "off");
	assert_string_equal(cfg.dhcp_allowed_servers, "10.0.0.2");
	assert_int_equal(cfg.dhcp_rogue_probe_interval, 0);
	assert_string_equal(cfg.boot_loader, "pxelinux");
	assert_string_equal(cfg.boot_unknown_clients, "default");
	assert_string_equal(cfg.boot_default_group, "kiosk");
	assert_int_equal(cfg.boot_menu_timeout, 0);
	assert_false(cfg.boot_check_requester);
	assert_string_equal(cfg.boot_pxelinux_dir, "/opt/pxelinux");
	assert_string_equal(cfg.boot_syslinux_dir, "/opt/syslinux");
	assert_string_equal(cfg.boot_syslinux_efi_dir, "/opt/syslinux.efi");
	assert_string_equal(cfg.boot_ipxe_dir, "/opt/ipxe");
	config_free(&cfg);
}

static void test_syntax_tolerated(void **state)
{
	struct lr_config cfg;

	/* comments, blank lines, indentation, inline comments, CRLF, a BOM,
	 * ':' as separator, an empty value, a section given twice */
	load_ok(&cfg,
		"\xEF\xBB\xBF; comment\n"
		"\n"
		"[nbd]\r\n"
		"   port = 10811   ; the NBD port\r\n"
		"\ttls=optional\n"
		"  listen =\n"
		"workers: 8\n"
		"# another comment\n"
		"[lanroot] ; trailing comment\n"
		"  state_dir = /a b/c\n"
		"[nbd]\n"
		"max_clients = 5\n");
	assert_int_equal(cfg.nbd_port, 10811);
	assert_string_equal(cfg.nbd_tls, "optional");
	assert_string_equal(cfg.nbd_listen, "");
	assert_int_equal(cfg.nbd_workers, 8);
	assert_string_equal(cfg.state_dir, "/a b/c");
	assert_int_equal(cfg.nbd_max_clients, 5);
	config_free(&cfg);

	load_ok(&cfg, "");
	assert_int_equal(cfg.nbd_port, 10809);
	config_free(&cfg);
}

static void test_error_messages(void **state)
{
	load_error("[lanroot]\n"
		   "state_dir = /x\n"
		   "\n"
		   "[nbd]\n"
		   "port = 10809\n"
		   "; 6\n"
		   "; 7\n"
		   "; 8\n"
		   "; 9\n"
		   "; 10\n"
		   "; 11\n"
		   "prot = 10809\n",
		   "lanroot.conf:12: unknown key 'prot' in [nbd]");
	load_error("[lanroot]\n"
		   "\n"
		   "[nbdx]\n"
		   "port = 1\n",
		   "lanroot.conf:3: unknown section [nbdx]");
	/* an unknown section is reported even with no key in it */
	load_error("[nbd]\n[nbdx]\n", "lanroot.conf:2: unknown section [nbdx]");
	load_error("[]\n", "lanroot.conf:1: unknown section []");
	load_error("\n\n\n[nbd]\nport = 70000\n",
		   "lanroot.conf:5: [nbd] port: '70000' is out of range 1..65535");
	load_error("[nbd]\nport = 0\n",
		   "lanroot.conf:2: [nbd] port: '0' is out of range 1..65535");
	load_error("[nbd]\nport = 99999999999999999999999\n",
		   "lanroot.conf:2: [nbd] port: '99999999999999999999999' is out of range 1..65535");
	load_error("[nbd]\nport = 80a\n", "lanroot.conf:2: [nbd] port: '80a' is not a number");
	load_error("[nbd]\nport = -1\n", "lanroot.conf:2: [nbd] port: '-1' is not a number");
	load_error("[nbd]\nport =\n", "lanroot.conf:2: [nbd] port: '' is not a number");
	load_error("\n\n\n[nbd]\ntls = maybe\n",
		   "lanroot.conf:5: [nbd] tls: 'maybe' is not one of off, optional, require");
	load_error("[nbd]\ntls = OFF\n",
		   "lanroot.conf:2: [nbd] tls: 'OFF' is not one of off, optional, require");
	load_error("[lanroot]\nlog = file\n",
		   "lanroot.conf:2: [lanroot] log: 'file' is not one of stderr, syslog, json");
	load_error("[lanroot]\nlog_level = verbose\n",
		   "lanroot.conf:2: [lanroot] log_level: 'verbose' is not one of error, warn, info, debug");
	load_error("[dhcp]\nmode = on\n",
		   "lanroot.conf:2: [dhcp] mode: 'on' is not one of off, full, proxy");
	load_error("[dhcp]\nlease_time = 59\n",
		   "lanroot.conf:2: [dhcp] lease_time: '59' is out of range 60..31536000");
	load_error("[tftp]\nmax_blksize = 65465\n",
		   "lanroot.conf:2: [tftp] max_blksize: '65465' is out of range 8..65464");
	load_error("[boot]\nunknown_clients = allow\n",
		   "lanroot.conf:2: [boot] unknown_clients: 'allow' is not one of refuse, default, menu");
	load_error("[bootd]\ndhcp = full\n", "lanroot.conf:1: unknown section [bootd]");
	load_error("[nbd]\nversion_exports = maybe\n",
		   "lanroot.conf:2: [nbd] version_exports: 'maybe' is not yes or no");
	load_error("[nbd]\nworkers = 257\n",
		   "lanroot.conf:2: [nbd] workers: '257' is out of range 1..256");
	load_error("[nbd]\nmax_clients = 0\n",
		   "lanroot.conf:2: [nbd] max_clients: '0' is out of range 1..100000");
	load_error("[nbd]\nidle_timeout = 4294967296\n",
		   "lanroot.conf:2: [nbd] idle_timeout: '4294967296' is out of range 0..4294967295");
	load_error("[overlay]\ncluster_size = 12288\n",
		   "lanroot.conf:2: [overlay] cluster_size: '12288' is not a power of two");
	load_error("[overlay]\ncluster_size = 2M\n",
		   "lanroot.conf:2: [overlay] cluster_size: '2M' is out of range 4096..1048576");
	load_error("[overlay]\ncluster_size = 2048\n",
		   "lanroot.conf:2: [overlay] cluster_size: '2048' is out of range 4096..1048576");
	load_error("[overlay]\ncluster_size = 4X\n",
		   "lanroot.conf:2: [overlay] cluster_size: '4X' is not a size");
	load_error("port = 1\n", "lanroot.conf:1: key 'port' is not in a [section]");
	load_error("[nbd]\nport = 1\n\nport = 2\n",
		   "lanroot.conf:4: duplicate key 'port' in [nbd] (first set on line 2)");
	load_error("[nbd]\nport = 1\n[lanroot]\n[nbd]\nport = 2\n",
		   "lanroot.conf:5: duplicate key 'port' in [nbd] (first set on line 2)");
	/* the same key name in another section is not a duplicate, of course */
	{
		struct lr_config cfg;

		load_ok(&cfg, "[nbd]\nport = 1\n[iscsi]\nport = 2\n[server]\ncontrol = /c\n"
			      "[nbd]\ncontrol = /d\n");
		assert_int_equal(cfg.nbd_port, 1);
		assert_int_equal(cfg.iscsi_port, 2);
		config_free(&cfg);
	}
}

static void test_syntax_errors(void **state)
{
	load_error("[nbd]\n\n\n\n\n\njust some words\n", "lanroot.conf:7: syntax error");
	load_error("[nbd\nport = 1\n", "lanroot.conf:1: syntax error");
	/* the first error wins, whichever kind */
	load_error("[nbd]\nnonsense\nprot = 1\n", "lanroot.conf:2: syntax error");
	load_error("[nbd]\nprot = 1\nnonsense\n", "lanroot.conf:2: unknown key 'prot' in [nbd]");
	load_error("[nbdx]\nnonsense\n", "lanroot.conf:1: unknown section [nbdx]");
	load_error("[nbd]\nport = 70000\n[x]\n",
		   "lanroot.conf:2: [nbd] port: '70000' is out of range 1..65535");
	/* a last line without newline still counts */
	load_error("[nbd]\nport = 1\nbad", "lanroot.conf:3: syntax error");
}

static void test_long_lines(void **state)
{
	struct lr_config cfg;
	char text[1024], want[128];
	size_t n;

	/* the longest value that fits inih's line buffer works */
	n = (size_t)snprintf(text, sizeof(text), "[lanroot]\nstate_dir = /");
	memset(text + n, 'x', INI_MAX_LINE - 3 - strlen("state_dir = /"));
	strcpy(text + n + INI_MAX_LINE - 3 - strlen("state_dir = /"), "\n");
	load_ok(&cfg, text);
	assert_int_equal(strlen(cfg.state_dir), INI_MAX_LINE - 3 - strlen("state_dir = "));
	config_free(&cfg);
	/* one more is an error, not a silent split */
	n = (size_t)snprintf(text, sizeof(text), "[lanroot]\n\nstate_dir = /");
	memset(text + n, 'x', 500);
	strcpy(text + n + 500, "\n[nbd]\nport = 5\n");
	snprintf(want, sizeof(want), "lanroot.conf:3: line too long (more than %d characters)",
		 INI_MAX_LINE - 3);
	load_error(text, want);
}

static void test_load_file(void **state)
{
	struct tu_scratch *f = *state;
	char *path = xasprintf("%s/lanroot.conf", f->dir);
	char *missing = xasprintf("%s/missing.conf", f->dir);
	char *want;
	struct lr_config cfg;
	char err[512];

	assert_int_equal(file_write_atomic(path, "[nbd]\nport = 10900\n", 19, 0644), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), 0);
	assert_int_equal(cfg.nbd_port, 10900);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.state_dir, "/var/lib/lanroot");
	config_free(&cfg);

	/* errors name the file as given */
	assert_int_equal(file_write_atomic(path, "[nbd]\nprot = 1\n", 15, 0644), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	want = xasprintf("%s:2: unknown key 'prot' in [nbd]", path);
	assert_string_equal(err, want);
	free(want);
	assert_null(cfg.path);
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, missing, err, sizeof(err)), -ENOENT);
	want = xasprintf("cannot read %s: No such file or directory", missing);
	assert_string_equal(err, want);
	free(want);
	config_free(&cfg);

	assert_int_equal(config_load(&cfg, f->dir, err, sizeof(err)), -EISDIR);
	config_free(&cfg);

	/* a NUL byte */
	assert_int_equal(file_write_atomic(path, "[nbd]\n\0port = 1\n", 16, 0644), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	want = xasprintf("%s: not a text file (contains a NUL byte)", path);
	assert_string_equal(err, want);
	free(want);
	config_free(&cfg);

	/* NULL: the default file if it exists, else the defaults */
	if (access(CONFIG_DEFAULT_PATH, F_OK) != 0) {
		assert_int_equal(config_load(&cfg, NULL, err, sizeof(err)), 0);
		assert_null(cfg.path);
		assert_int_equal(cfg.nbd_port, 10809);
		config_free(&cfg);
	}
	/* a tiny error buffer truncates; NULL means no message */
	assert_int_equal(config_load(&cfg, missing, err, 8), -ENOENT);
	assert_int_equal(strlen(err), 7);
	assert_int_equal(config_load(&cfg, missing, NULL, 0), -ENOENT);
	free(path);
	free(missing);
}

static void test_config_set(void **state)
{
	struct lr_config cfg;
	char err[256];

	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "lanroot", "state_dir", "/tmp/state", err,
				    sizeof(err)), 0);
	assert_string_equal(cfg.state_dir, "/tmp/state");
	assert_int_equal(config_set(&cfg, "nbd", "port", "10810", err, sizeof(err)), 0);
	assert_int_equal(cfg.nbd_port, 10810);
	assert_int_equal(config_set(&cfg, "nbd", "version_exports", "on", err, sizeof(err)), 0);
	assert_true(cfg.nbd_version_exports);
	assert_int_equal(config_set(&cfg, "overlay", "cluster_size", "1MiB", err, sizeof(err)), 0);
	assert_int_equal(cfg.cluster_size, 1048576);

	assert_int_equal(config_set(&cfg, "nbd", "port", "70000", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[nbd] port: '70000' is out of range 1..65535");
	assert_int_equal(cfg.nbd_port, 10810);	/* unchanged */
	assert_int_equal(config_set(&cfg, "nbd", "prot", "1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown key 'prot' in [nbd]");
	assert_int_equal(config_set(&cfg, "nbdx", "port", "1", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown section [nbdx]");
	assert_int_equal(config_set(&cfg, "nbd", "tls", "maybe", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "[nbd] tls: 'maybe' is not one of off, optional, require");
	assert_string_equal(cfg.nbd_tls, "off");
	assert_int_equal(config_set(&cfg, "nbd", NULL, "1", err, sizeof(err)), -EINVAL);
	config_free(&cfg);
}

static void test_write_round_trip(void **state)
{
	struct tu_scratch *f = *state;
	char *path = xasprintf("%s/written.conf", f->dir);
	struct lr_config a, b;
	char err[512], *text;
	struct stat st;
	size_t len;

	/* the defaults */
	config_init(&a);
	assert_int_equal(config_write_default(&a, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	if (config_load(&b, path, err, sizeof(err)) != 0)
		fail_msg("written file rejected: %s", err);
	assert_same_config(&a, &b);
	config_free(&b);

	/* the file explains every key and shows its default */
	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	assert_non_null(strstr(text, "[lanroot]\n"));
	assert_non_null(strstr(text, "[overlay]\n"));
	assert_non_null(strstr(text, "[nbd]\n"));
	assert_non_null(strstr(text, "[iscsi]\n"));
	assert_non_null(strstr(text, "[dhcp]\n"));
	assert_non_null(strstr(text, "[boot]\n"));
	assert_non_null(strstr(text, "\nport = 10809\n"));
	assert_non_null(strstr(text, "# default: 10809\n"));
	assert_non_null(strstr(text, "\nversion_exports = no\n"));
	assert_non_null(strstr(text, "\nlisten = \n"));
	free(text);

	/* changed values, including odd but legal strings */
	assert_int_equal(config_set(&a, "lanroot", "state_dir", "/srv/my state;x", err,
				    sizeof(err)), 0);
	assert_int_equal(config_set(&a, "nbd", "port", "1", err, sizeof(err)), 0);
	assert_int_equal(config_set(&a, "nbd", "version_exports", "true", err, sizeof(err)), 0);
	assert_int_equal(config_set(&a, "overlay", "cluster_size", "1M", err, sizeof(err)), 0);
	assert_int_equal(config_set(&a, "dhcp", "mode", "off", err, sizeof(err)), 0);
	assert_int_equal(config_set(&a, "nbd", "idle_timeout", "4294967295", err,
				    sizeof(err)), 0);
	assert_int_equal(config_set(&a, "iscsi", "iqn", "iqn.x=y#z", err, sizeof(err)), 0);
	assert_int_equal(config_write_default(&a, path), 0);
	if (config_load(&b, path, err, sizeof(err)) != 0)
		fail_msg("written file rejected: %s", err);
	assert_same_config(&a, &b);
	config_free(&b);

	/* values that would not read back are refused, file unchanged */
	assert_int_equal(config_set(&a, "lanroot", "user", " padded", err, sizeof(err)), 0);
	assert_int_equal(config_write_default(&a, path), -EINVAL);
	assert_int_equal(config_set(&a, "lanroot", "user", "two\nlines", err, sizeof(err)), 0);
	assert_int_equal(config_write_default(&a, path), -EINVAL);
	assert_int_equal(config_set(&a, "lanroot", "user", "x ;comment", err, sizeof(err)), 0);
	assert_int_equal(config_write_default(&a, path), -EINVAL);
	assert_int_equal(config_load(&b, path, err, sizeof(err)), 0);
	assert_string_equal(b.user, "lanroot");
	config_free(&b);

	/* a directory that does not exist */
	free(path);
	path = xasprintf("%s/no/such.conf", f->dir);
	assert_int_equal(config_set(&a, "lanroot", "user", "ok", err, sizeof(err)), 0);
	assert_int_equal(config_write_default(&a, path), -ENOENT);
	config_free(&a);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_syntax_tolerated),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_long_lines),
		tu_scratch_test(test_load_file),
		cmocka_unit_test(test_config_set),
		tu_scratch_test(test_write_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
