/* bootd's HTTP server (libmicrohttpd): boot loaders, per-client iPXE
 * scripts, kernels, initrds and images for iPXE and UEFI HTTP Boot.
 *
 * GET and HEAD of every name the vfs knows (bootserver/vfs.h), with single
 * byte ranges, Last-Modified, keep-alive and sendfile() for files; boot.ipxe
 * is rendered per client (?mac=, else the requester).  /status, /api/ and
 * /metrics are reserved for the status page, JSON API and metrics.
 *
 * libmicrohttpd runs inside bootd's one event loop: its epoll descriptor is
 * watched by the loop, and a loop timer follows MHD_get_timeout().
 */
#ifndef LR_HTTP_H
#define LR_HTTP_H

#include <jansson.h>
#include <stddef.h>

struct bootd;
struct http_server;

/* Simultaneous connections one client address may hold. */
#define HTTP_PER_IP_CONNECTIONS 64
/* Memory libmicrohttpd may use per connection (request line, headers,
 * reply header); a request whose head does not fit gets 414 or 431. */
#define HTTP_CONNECTION_MEMORY (32 * 1024)

/**
 * http_server_new() - bind [http] listen:port and register with bd->loop.
 * Runs as root, before the privilege drop.
 * @bd: the daemon (config, loop, boot configuration, client map)
 * @out: the server
 * @err: what failed, for the log
 * Return: 0 or -errno.
 */
int http_server_new(struct bootd *bd, struct http_server **out, char *err, size_t errlen);

/**
 * http_server_reload() - apply a replaced bd->cfg: max_connections (down
 * to any value, up to the value at start) and timeout (for new
 * connections).
 * Return: 0; -EAGAIN (with @err) when listen, port or a higher
 * max_connections needs a restart (the rest is applied).
 */
int http_server_reload(struct http_server *s, char *err, size_t errlen);

/**
 * http_server_stop() - stop accepting connections (SIGTERM); transfers
 * already running go on while the loop runs.
 */
void http_server_stop(struct http_server *s);

/** http_server_free() - close every connection and the socket; NULL is fine. */
void http_server_free(struct http_server *s);

/**
 * http_server_status() - {"listen", "port", "connections",
 * "max_connections", "connections_total", "refused", "requests",
 * "bytes", "errors"} for the control call "status".
 */
json_t *http_server_status(struct http_server *s);

#endif
