/* Stable event names.  Log shippers and /metrics key on these strings:
 * never rename one; add new ones instead.  Grouped by the subject.
 */
#ifndef LR_EVENTS_H
#define LR_EVENTS_H

/* admin actions (lanroot) */
#define EV_INIT			"lanroot.init"
#define EV_IMAGE_IMPORT		"image.import"
#define EV_IMAGE_IMPORT_FAIL	"image.import_failed"
#define EV_IMAGE_PUBLISH	"image.publish"
#define EV_IMAGE_ROLLBACK	"image.rollback"
#define EV_IMAGE_DELETE		"image.delete"
#define EV_IMAGE_GC		"image.gc"
#define EV_IMAGE_VERIFY		"image.verify"
#define EV_GROUP_ADD		"group.add"
#define EV_GROUP_SET		"group.set"
#define EV_GROUP_DELETE		"group.delete"
#define EV_CLIENT_ADD		"client.add"
#define EV_CLIENT_SET		"client.set"
#define EV_CLIENT_DELETE	"client.delete"
#define EV_CLIENT_RESET		"client.reset"
#define EV_CLIENT_CAPTURE	"client.capture"

/* daemons */
#define EV_DAEMON_START		"daemon.start"
#define EV_DAEMON_STOP		"daemon.stop"
#define EV_DAEMON_RELOAD	"daemon.reload"
#define EV_CONFIG_ERROR		"config.error"

/* block server (lanroot-blockd) */
#define EV_NBD_CONNECT		"nbd.connect"
#define EV_NBD_SESSION		"nbd.session"
#define EV_NBD_REFUSED		"nbd.refused"
#define EV_NBD_DISCONNECT	"nbd.disconnect"
#define EV_NBD_IDLE_TIMEOUT	"nbd.idle_timeout"
#define EV_NBD_HANDSHAKE_TIMEOUT "nbd.handshake_timeout"
#define EV_NBD_PROTOCOL_ERROR	"nbd.protocol_error"
#define EV_NBD_IO_ERROR		"nbd.io_error"
#define EV_NBD_OVERLAY_RESET	"nbd.overlay_reset"
#define EV_NBD_TLS_ERROR	"nbd.tls_error"

/* boot server (lanroot-bootd) */
#define EV_DHCP_DISCOVER	"dhcp.discover"
#define EV_DHCP_OFFER		"dhcp.offer"
#define EV_DHCP_REQUEST		"dhcp.request"
#define EV_DHCP_ACK		"dhcp.ack"
#define EV_DHCP_NAK		"dhcp.nak"
#define EV_DHCP_RELEASE		"dhcp.release"
#define EV_DHCP_DECLINE		"dhcp.decline"
#define EV_DHCP_INFORM		"dhcp.inform"
#define EV_DHCP_ROGUE		"dhcp.rogue_server"
#define EV_DHCP_LEASE_EXPIRED	"dhcp.lease_expired"
#define EV_TFTP_START		"tftp.start"
#define EV_TFTP_FINISH		"tftp.finish"
#define EV_TFTP_ERROR		"tftp.error"
#define EV_HTTP_GET		"http.get"
#define EV_BOOT_CONFIG		"boot.config"

#endif
