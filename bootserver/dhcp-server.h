/* lanroot-bootd's DHCP server: full mode (addresses and boot files) and
 * proxy mode (boot files for PXE / HTTP Boot clients beside the site's
 * DHCP server), with boot server discovery on UDP 4011, rogue server
 * detection (rogue.h) and router advertisements (ra.h).
 *
 * Sockets: UDP 0.0.0.0:67 and 0.0.0.0:4011 with IP_PKTINFO (requests from
 * interfaces that are not in [dhcp] interface are ignored; replies leave by
 * the interface the request came in on), and an AF_PACKET socket for
 * replies to a client's MAC (rawsend.h).  All are opened by
 * dhcp_server_new(), as root, before bootd drops privileges.
 *
 * Leases (full mode) live in STATE_DIR/bootd/leases, written before each
 * ACK leaves (leases.h).
 */
#ifndef LR_DHCP_SERVER_H
#define LR_DHCP_SERVER_H

#include <jansson.h>
#include <stddef.h>

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
#define PXE_BOOT_SERVER_PORT	4011
/** Leases file, under [lanroot] state_dir. */
#define DHCP_LEASES_FILE	"bootd/leases"

struct bootd;
struct dhcp_server;

/**
 * dhcp_server_new() - start the DHCP server of @bd ([dhcp] mode proxy or
 * full; do not call for off): find the interfaces, open the sockets, load
 * the leases, start rogue detection and router advertisements.
 * Return: 0, or -errno with a message in @err (-EINVAL for a bad [dhcp]
 * value or leases file, -ENOENT for a missing interface, -EADDRINUSE ...).
 */
int dhcp_server_new(struct bootd *bd, struct dhcp_server **out, char *err, size_t errlen);

/**
 * dhcp_server_start() - full mode: load the reservations and the leases
 * file; call once the store is open.  0 or -errno (+ @err: "PATH line N: …
 * (fix or remove the file)").
 */
int dhcp_server_start(struct dhcp_server *s, char *err, size_t errlen);

/**
 * dhcp_server_reload() - bd->cfg was replaced: apply the pools, router,
 * dns, domain, lease time, allowed servers and probe interval.  A new
 * interface list or router_advertisement setting needs new sockets:
 * -EAGAIN with a message (the rest is applied); so does a new mode (then
 * nothing is applied).  -EINVAL for a bad value (nothing applied).
 */
int dhcp_server_reload(struct dhcp_server *s, char *err, size_t errlen);

/** dhcp_server_stop() - SIGTERM: stop answering, save the leases. */
void dhcp_server_stop(struct dhcp_server *s);

/** dhcp_server_free() - close everything (NULL is fine). */
void dhcp_server_free(struct dhcp_server *s);

/**
 * dhcp_server_status() - {"mode", "interfaces", "pool_size", "leases",
 * "offers", "requests": {per message type}, "rogue_servers": [...],
 * "router_advertisements"} for the control call "status".
 */
json_t *dhcp_server_status(struct dhcp_server *s);

/**
 * dhcp_server_leases() - the control call "leases": an array of
 * {mac, ip, expires, hostname, state} (full mode; empty in proxy mode).
 */
json_t *dhcp_server_leases(struct dhcp_server *s);

#endif
