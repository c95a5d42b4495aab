/* lanroot-bootd: the daemon's shared context.
 *
 * One event loop runs the DHCP, TFTP and HTTP servers; each is a module
 * with the same life cycle (dhcp-server.h, tftp-server.h, http.h):
 *     X_server_new()    bind sockets (as root, before the privilege drop)
 *     X_server_reload() apply a reloaded config (-EAGAIN: needs a restart)
 *     X_server_stop()   SIGTERM: take no new work, save state
 *     X_server_free()   close everything
 *     X_server_status() a JSON object for the control call "status"
 */
#ifndef LR_BOOTD_H
#define LR_BOOTD_H

#include "conf.h"

struct evloop;
struct store;
struct bootcfg;
struct clientmap;
struct dhcp_server;
struct tftp_server;
struct http_server;

struct bootd {
	struct lr_config cfg;		/* current config (replaced on reload) */
	struct evloop *loop;		/* the one event loop */
	struct store *st;		/* registry, secret, version files */
	struct bootcfg *boot;		/* boot-file choice, rendering, vfs */
	struct clientmap *clients;	/* IP <-> MAC/UUID learned from DHCP */
	struct dhcp_server *dhcp;	/* NULL when [dhcp] mode = off */
	struct tftp_server *tftp;
	struct http_server *http;
};

#endif
