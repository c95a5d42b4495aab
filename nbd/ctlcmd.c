/* The commands of lanroot-blockd's control socket (wire format: ctl.h;
 * commands: lanroot-blockd(8), CONTROL SOCKET).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "ctl.h"
#include "events.h"
#include "log.h"
#include "mac.h"
#include "registry.h"
#include "server.h"
#include "util.h"

#define HOLD_MAX_S 3600		/* longest hold the admin may ask for */
#define NS_PER_S 1000000000ull

/** session_json() - one session as the "sessions" command lists it. */
static json_t *session_json(const struct conn *c)
{
	json_t *j;

	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:I, s:s}",
			 "id", (json_int_t)c->id,
			 "client", c->client,
			 "mac", c->en.mac,
			 "export", c->export_pub,
			 "image", c->be ? c->be->image : c->info_image,
			 "version", c->be ? c->be->version : 0,
			 "mode", c->mode,
			 "address", c->addr,
			 "since", c->since,
			 "tls", c->tls != NULL,
			 "tls_peer", c->tls_peer,
			 "bytes_read", (json_int_t)c->bytes_read,
			 "bytes_written", (json_int_t)c->bytes_written,
			 "requests", (json_int_t)c->requests,
			 "state", conn_state_name(c));
	/* For diagnosing a stuck client: what is in flight, what waits to be sent. */
	if (j)
		json_object_set_new(j, "pending", json_pack("{s:i, s:I, s:I, s:i, s:I}",
				    "inflight", (int)c->inflight, "unsent", (json_int_t)c->out_bytes,
				    "held", (json_int_t)c->held, "phase", (int)c->state,
				    "events", (json_int_t)c->events));
	return j;
}

/** cmd_sessions() - {"cmd":"sessions"}. */
static json_t *cmd_sessions(struct server *srv)
{
	json_t *list = json_array(), *reply = ctl_reply_ok();
	struct conn *c;

	for (c = srv->conns; c; c = c->next)
		json_array_append_new(list, session_json(c));
	json_object_set_new(reply, "sessions", list);
	return reply;
}

/**
 * cmd_versions() - {"cmd":"versions"}: the image versions sessions hold,
 * with how many sessions hold each (closing ones too: their backend is
 * still open).
 */
static json_t *cmd_versions(struct server *srv)
{
	json_t *byver = json_object(), *list = json_array(), *reply = ctl_reply_ok(), *v;
	const struct conn *c;
	char key[BACKEND_KEY_MAX];
	const char *k;

	for (c = srv->conns; c; c = c->next) {
		if (!c->be)
			continue;
		snprintf(key, sizeof(key), "%s@%d", c->be->image, c->be->version);
		v = json_object_get(byver, key);
		if (v)
			json_object_set_new(v, "sessions",
					    json_integer(json_integer_value(json_object_get(v, "sessions")) + 1));
		else
			json_object_set_new(byver, key, json_pack("{s:s, s:i, s:i}", "image",
						c->be->image, "version", c->be->version, "sessions", 1));
	}
	json_object_foreach(byver, k, v)
		json_array_append(list, v);
	json_decref(byver);
	json_object_set_new(reply, "versions", list);
	return reply;
}

/**
 * client_mac() - the canonical MAC of the client named in @req's "client"
 * (a name or a MAC).  Return: 0, or a reply object for the error.
 */
static json_t *client_mac(struct server *srv, json_t *req, char mac[MAC_STR_LEN])
{
	const char *who = json_string_value(json_object_get(req, "client"));
	struct reg_client c;

	if (!who || !who[0])
		return ctl_reply_error("missing \"client\" (a client name or MAC)");
	if (registry_client_get(srv->st->reg, who, &c) < 0)
		return ctl_reply_error("no such client '%s'", who);
	str_copy(mac, MAC_STR_LEN, c.mac);
	return NULL;
}

/** cmd_disconnect() - {"cmd":"disconnect","client":X[,"hold":S]}. */
static json_t *cmd_disconnect(struct server *srv, json_t *req)
{
	char mac[MAC_STR_LEN];
	json_t *err, *hold = json_object_get(req, "hold"), *reply;
	struct conn *c, *next;
	struct hold *h;
	json_int_t secs = 0;
	int n = 0;

	err = client_mac(srv, req, mac);
	if (err)
		return err;
	if (hold) {
		if (!json_is_integer(hold) || json_integer_value(hold) < 0 ||
		    json_integer_value(hold) > HOLD_MAX_S)
			return ctl_reply_error("\"hold\" must be a number of seconds, 0..%d",
					       HOLD_MAX_S);
		secs = json_integer_value(hold);
	}
	if (secs > 0) {
		resolve_expire_holds(srv);
		for (h = srv->holds; h; h = h->next)
			if (strcmp(h->mac, mac) == 0)
				break;
		if (!h) {
			h = xcalloc(1, sizeof(*h));
			str_copy(h->mac, sizeof(h->mac), mac);
			h->next = srv->holds;
			srv->holds = h;
		}
		h->until_ns = monotonic_ns() + (uint64_t)secs * NS_PER_S;
	}
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (strcmp(c->en.mac, mac) != 0 || c->state == CS_CLOSING)
			continue;
		c->kicked = true;
		conn_kick(c, "disconnected by the admin");
		n++;
	}
	log_event(EV_NBD_DISCONNECT, "{s:s, s:i, s:i, s:s}", "mac", mac, "sessions", n,
		  "hold", (int)secs, "reason", "admin");
	reply = ctl_reply_ok();
	json_object_set_new(reply, "disconnected", json_integer(n));
	return reply;
}

/** cmd_release() - {"cmd":"release","client":X}: lift a hold. */
static json_t *cmd_release(struct server *srv, json_t *req)
{
	char mac[MAC_STR_LEN];
	struct hold **pp, *h;
	json_t *err;

	err = client_mac(srv, req, mac);
	if (err)
		return err;
	for (pp = &srv->holds; (h = *pp); ) {
		if (strcmp(h->mac, mac) == 0) {
			*pp = h->next;
			free(h);
		} else {
			pp = &h->next;
		}
	}
	return ctl_reply_ok();
}

/** cmd_reload() - {"cmd":"reload"}: as SIGHUP. */
static json_t *cmd_reload(struct server *srv)
{
	char err[512];

	if (server_reload(srv, err, sizeof(err)) < 0) {
		log_event(EV_CONFIG_ERROR, "{s:s}", "error", err);
		return ctl_reply_error("reload failed: %s", err);
	}
	log_event(EV_DAEMON_RELOAD, NULL);
	return ctl_reply_ok();
}

/** ctlcmd_handler() - see server.h. */
json_t *ctlcmd_handler(const char *cmd, json_t *req, void *arg)
{
	struct server *srv = arg;
	json_t *reply;

	if (strcmp(cmd, "ping") == 0) {
		reply = ctl_reply_ok();
		json_object_set_new(reply, "pid", json_integer(getpid()));
		json_object_set_new(reply, "version", json_string(PACKAGE_VERSION));
		json_object_set_new(reply, "since", json_string(srv->since));
		json_object_set_new(reply, "sessions", json_integer(srv->nconns));
		return reply;
	}
	if (strcmp(cmd, "sessions") == 0)
		return cmd_sessions(srv);
	if (strcmp(cmd, "versions") == 0)
		return cmd_versions(srv);
	if (strcmp(cmd, "disconnect") == 0)
		return cmd_disconnect(srv, req);
	if (strcmp(cmd, "release") == 0)
		return cmd_release(srv, req);
	if (strcmp(cmd, "reload") == 0)
		return cmd_reload(srv);
	return ctl_reply_error("unknown command \"%s\" (ping, sessions, versions, "
			       "disconnect, release, reload)", cmd);
}
