/* lanroot-bootd's TFTP server: read-only, on the daemon's one event loop.
 *
 * Requests arrive on one UDP socket ([tftp] listen, port).  Every transfer
 * is then served from one shared data socket on an ephemeral port (our
 * transfer ID; the client's port makes each pair unique, RFC 1350): the
 * ACKs of all transfers are read with one recvmmsg() per wakeup, and the
 * packets they cause leave together with one sendmmsg(), each from the
 * local address its request reached (IP_PKTINFO).
 * Files come from vfs_open() (loaders, rendered pxelinux.cfg files, image
 * versions, files beneath [tftp] root).
 *
 * Protocol: RFC 1350 (octet; netascii for files up to TFTP_NETASCII_MAX),
 * RFC 2347 OACK, 2348 blksize (capped by [tftp] max_blksize and the path
 * MTU), 2349 tsize and timeout, 7440 windowsize (capped by [tftp]
 * max_windowsize); block numbers roll over past 65535.  The window logic is
 * bootserver/tftp-xfer.c.
 *
 * Limits: [tftp] max_transfers at once and TFTP_PER_CLIENT_MAX per client
 * address (beyond: ERROR 0 "server busy"); per transfer a fixed struct and
 * a 64 KiB read-ahead, and netascii copies of small files; outgoing packets
 * wait in one bounded queue (flushed when full).  One periodic tick retransmits with
 * backoff and reclaims transfers whose client went away.
 *
 * Events: tftp.start, tftp.finish, tftp.error (refusals rate-limited to
 * TFTP_REFUSAL_EVENTS_PER_SEC).
 */
#ifndef LR_TFTP_SERVER_H
#define LR_TFTP_SERVER_H

#include <stddef.h>
#include <jansson.h>

struct bootd;
struct tftp_server;

/** Transfers one client address may have at once. */
#define TFTP_PER_CLIENT_MAX		64
/** Largest file served in netascii mode (it is converted in memory). */
#define TFTP_NETASCII_MAX		(1U << 20)
/** tftp.error events for refused requests per second; the rest are counted. */
#define TFTP_REFUSAL_EVENTS_PER_SEC	20

/**
 * tftp_server_new() - bind the request socket and register with the loop.
 * @bd: the daemon (config, loop, bootcfg for vfs_open(), client map)
 * @out: the new server
 * @err: message on failure
 * @errlen: its size
 * Runs before the privilege drop.  Also raises RLIMIT_NOFILE (soft, up to
 * the hard limit) so max_transfers sockets fit.
 * Return: 0 or -errno.
 */
int tftp_server_new(struct bootd *bd, struct tftp_server **out, char *err,
		    size_t errlen);

/**
 * tftp_server_reload() - bd->cfg was replaced: new limits, timeouts and
 * block/window caps apply to new transfers.
 * @s: the server
 * @err: message on failure
 * @errlen: its size
 * Return: 0, or -EAGAIN when [tftp] listen or port changed (the old socket
 * stays until a restart).
 */
int tftp_server_reload(struct tftp_server *s, char *err, size_t errlen);

/**
 * tftp_server_stop() - take no new requests (the request socket is closed);
 * transfers under way go on while the loop runs.
 */
void tftp_server_stop(struct tftp_server *s);

/** tftp_server_free() - end every transfer, close everything (NULL is fine). */
void tftp_server_free(struct tftp_server *s);

/**
 * tftp_server_status() - {"listen", "port", "active", "max_transfers",
 * "started", "finished", "failed", "bytes", "refused": {…},
 * "transfers": [ {ip, mac, file, size, acked_bytes, blksize, windowsize,
 * seconds} … ] (at most TFTP_STATUS_LIST_MAX)}.
 */
json_t *tftp_server_status(struct tftp_server *s);

/** Transfers listed by tftp_server_status(). */
#define TFTP_STATUS_LIST_MAX		64

#endif
