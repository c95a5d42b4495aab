/* Export names to backends: the token, the registry, boot ids and holds
 * (see export.h for the names, server.h for the interface).
 *
 * Per-client exports:
 *   - the token must be the one the server's secret gives for the name's
 *     fields (else NBD_REP_ERR_POLICY);
 *   - the client must be registered, or be let in by [boot] unknown_clients
 *     (else NBD_REP_ERR_UNKNOWN), and not held by the admin;
 *   - the name must match one of the client's boot entries now (its
 *     group's image, version and mode, or a volatile menu entry: see
 *     bootpolicy.h).  A stale name - the group moved on - is refused, except while
 *     that client still has a live session on the same export (a second
 *     connection, or nbd-client reconnecting within the boot that holds it);
 *   - reset-on-boot: a larger boot id than the one served (or stored) is a
 *     new boot: the old boot's sessions are closed, the overlay emptied; the
 *     same id reconnects; a smaller one is refused.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bootpolicy.h"
#include "events.h"
#include "log.h"
#include "parse.h"
#include "registry.h"
#include "server.h"
#include "util.h"

#define MODE_READ_ONLY "read-only"

/* The close job of a backend whose last session ended. */
struct close_job {
	struct iopool_job base;		/* first: the pool's view */
	struct server *srv;
	struct backend *b;
	struct conn *c;			/* freed when the backend is closed */
	int rc;
};

/** close_run() - on a worker: flush and close the backend. */
static void close_run(struct iopool_job *pj)
{
	struct close_job *j = (struct close_job *)pj;

	j->rc = backend_shutdown(j->b);
}

/** unlink_backend() - take @b out of the server's table. */
static void unlink_backend(struct server *srv, struct backend *b)
{
	struct backend **pp;

	for (pp = &srv->backends; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			return;
		}
	}
}

/** close_done() - on the loop: the backend is gone; so is its last session. */
static void close_done(struct iopool_job *pj)
{
	struct close_job *j = (struct close_job *)pj;

	unlink_backend(j->srv, j->b);
	free(j->b);
	if (j->rc < 0)
		log_event(EV_NBD_IO_ERROR, "{s:s, s:s, s:s}", "client", j->c->client,
			  "export", j->c->export_pub, "error", strerror(-j->rc));
	conn_released(j->c);
	server_schedule_park_retry(j->srv);
	free(j);
}

/** resolve_release() - see server.h. */
void resolve_release(struct conn *c)
{
	struct backend *b = c->be;
	struct close_job *j;

	if (!b)
		return;
	if (--b->refs > 0) {
		c->be = NULL;
		return;
	}
	b->closing = true;
	c->releasing = true;
	j = xcalloc(1, sizeof(*j));
	j->base.run = close_run;
	j->base.done = close_done;
	j->srv = c->srv;
	j->b = b;
	j->c = c;
	iopool_submit(c->srv->pool, &j->base);
}

/** resolve_expire_holds() - see server.h. */
void resolve_expire_holds(struct server *srv)
{
	uint64_t now = monotonic_ns();
	struct hold **pp = &srv->holds, *h;

	while ((h = *pp)) {
		if (h->until_ns <= now) {
			*pp = h->next;
			free(h);
		} else {
			pp = &h->next;
		}
	}
}

/** resolve_held() - see server.h. */
bool resolve_held(struct server *srv, const char *mac)
{
	const struct hold *h;

	resolve_expire_holds(srv);
	for (h = srv->holds; h; h = h->next)
		if (strcmp(h->mac, mac) == 0)
			return true;
	return false;
}

/** refuse() - fill the refusal and return RESOLVE_REFUSED. */
static enum resolve_result __attribute__((format(printf, 4, 5)))
refuse(uint32_t *reply_err, uint32_t type, char *msg, const char *fmt, ...)
{
	va_list ap;

	*reply_err = type;
	va_start(ap, fmt);
	vsnprintf(msg, RESOLVE_MSG_LEN, fmt, ap);
	va_end(ap);
	return RESOLVE_REFUSED;
}

/** attach() - @c uses @b from now on. */
static enum resolve_result attach_to(struct conn *c, struct backend *b)
{
	b->refs++;
	c->be = b;
	return RESOLVE_OK;
}

/** insert() - add a new backend to the table and attach @c. */
static enum resolve_result insert(struct conn *c, struct backend *b)
{
	b->next = c->srv->backends;
	c->srv->backends = b;
	return attach_to(c, b);
}

/** info_only() - fill what NBD_OPT_INFO reports, without attaching. */
static enum resolve_result info_only(struct conn *c, const struct reg_version *v, bool ro)
{
	c->info_size = v->size;
	c->info_ro = ro;
	str_copy(c->info_image, sizeof(c->info_image), v->image);
	c->info_version = v->version;
	return RESOLVE_OK;
}

/**
 * resolve_version() - "IMAGE@VERSION": a read-only export of a version,
 * when [nbd] version_exports is on.
 */
static enum resolve_result resolve_version(struct conn *c, const char *name, bool attach,
					   uint32_t *reply_err, char *msg)
{
	struct server *srv = c->srv;
	char image[NAME_MAX_LEN + 1], err[256];
	struct reg_version v;
	struct backend *b;
	const char *at = strrchr(name, '@');
	int version;

	str_copy(c->export_pub, sizeof(c->export_pub), name);
	str_copy(c->mode, sizeof(c->mode), MODE_READ_ONLY);
	if (!srv->cfg->nbd_version_exports)
		return refuse(reply_err, NBD_REP_ERR_UNKNOWN, msg, "no export '%s': read-only "
			      "version exports are off ([nbd] version_exports)", name);
	if ((size_t)(at - name) > NAME_MAX_LEN || at == name ||
	    parse_int(at + 1, 1, INT_MAX, &version) < 0)
		return refuse(reply_err, NBD_REP_ERR_UNKNOWN, msg, "no export '%s': expected "
			      "IMAGE@VERSION", name);
	memcpy(image, name, (size_t)(at - name));
	image[at - name] = '\0';
	if (!name_valid(image) ||
	    registry_version_get(srv->st->reg, image, version, &v) < 0)
		return refuse(reply_err, NBD_REP_ERR_UNKNOWN, msg, "no export '%s': no such "
			      "image version", name);
	if (!attach)
		return info_only(c, &v, true);
	b = server_find_backend(srv, name);
	if (b && b->closing)
		return RESOLVE_PARK;
	if (b)
		return attach_to(c, b);
	if (backend_open_base(srv->st, image, version, &b, err, sizeof(err)) < 0)
		return refuse(reply_err, NBD_REP_ERR_PLATFORM, msg, "export '%s': %s", name, err);
	return insert(c, b);
}

/**
 * live_session() - whether client @mac has a session in transmission on
 * @image @version in @mode (another connection of the boot that holds it).
 */
static bool live_session(struct server *srv, const struct export_name *en)
{
	struct conn *o;

	for (o = srv->conns; o; o = o->next) {
		if (!o->be || o->state == CS_CLOSING || strcmp(o->en.mac, en->mac) != 0)
			continue;
		if (o->be->version == en->version && strcmp(o->be->image, en->image) == 0 &&
		    strcmp(o->en.mode, en->mode) == 0 && strcmp(o->en.boot, en->boot) == 0)
			return true;
	}
	return false;
}

/** kick_sessions() - close every session on @b (an old boot's). */
static void kick_sessions(struct server *srv, struct backend *b, struct conn *self)
{
	struct conn *o, *next;

	for (o = srv->conns; o; o = next) {
		next = o->next;
		if (o != self && o->be == b && o->state != CS_CLOSING) {
			o->kicked = true;
			conn_kick(o, "replaced by a new boot of the client");
		}
	}
}

/** open_overlay() - open the client's overlay and add it to the table. */
static enum resolve_result open_overlay(struct conn *c, const struct reg_resolved *r,
					const char *boot, uint32_t *reply_err, char *msg)
{
	char err[512];
	struct backend *b;
	int rc;

	rc = backend_open_overlay(c->srv->st, r, &b, err, sizeof(err));
	if (rc == -ESTALE)
		return refuse(reply_err, NBD_REP_ERR_POLICY, msg, "%s", err);
	if (rc == -EBUSY)
		return refuse(reply_err, NBD_REP_ERR_PLATFORM, msg, "the overlay of client %s "
			      "is open in another program (lanroot client capture?); try "
			      "again later", c->client);
	if (rc < 0)
		return refuse(reply_err, NBD_REP_ERR_PLATFORM, msg, "%s", err);
	str_copy(b->boot, sizeof(b->boot), boot ? boot : "");
	return insert(c, b);
}

/** resolve_reset_on_boot() - the reset-on-boot rules (see the top). */
static enum resolve_result resolve_reset_on_boot(struct conn *c, const struct reg_resolved *r,
						 bool attach, uint32_t *reply_err, char *msg)
{
	struct server *srv = c->srv;
	struct backend *b = server_find_backend(srv, c->en.mac);
	char stored[EXPORT_BOOT_LEN + 1], err[512];
	int cmp, rc;

	if (b && b->closing)
		return attach ? RESOLVE_PARK : info_only(c, &r->version, false);
	if (b) {
		cmp = strcmp(c->en.boot, b->boot);
		if (cmp < 0)
			return refuse(reply_err, NBD_REP_ERR_POLICY, msg, "boot id %s of client %s "
				      "is older than the boot being served (%s)", c->en.boot,
				      c->client, b->boot);
		if (!attach)
			return info_only(c, &r->version, false);
		if (cmp == 0)
			return attach_to(c, b);
		/* A new boot: the old boot's sessions are dead or dying. */
		kick_sessions(srv, b, c);
		return RESOLVE_PARK;
	}
	rc = backend_boot_load(srv->st, c->en.mac, stored);
	if (rc < 0)
		return refuse(reply_err, NBD_REP_ERR_PLATFORM, msg, "cannot read the boot id "
			      "of client %s: %s", c->client, strerror(-rc));
	cmp = strcmp(c->en.boot, stored);
	if (cmp < 0)
		return refuse(reply_err, NBD_REP_ERR_POLICY, msg, "boot id %s of client %s is "
			      "older than its last boot (%s)", c->en.boot, c->client, stored);
	if (!attach)
		return info_only(c, &r->version, false);
	if (cmp > 0) {
		rc = backend_reset_overlay(srv->st, c->en.mac, c->en.boot, err, sizeof(err));
		if (rc < 0)
			return refuse(reply_err, NBD_REP_ERR_PLATFORM, msg, "%s", err);
		log_event(EV_NBD_OVERLAY_RESET, "{s:s, s:s, s:s}", "client", c->client,
			  "mac", c->en.mac, "boot", c->en.boot);
	}
	return open_overlay(c, r, c->en.boot, reply_err, msg);
}

/** resolve_export() - see server.h. */
enum resolve_result resolve_export(struct conn *c, const char *name, bool attach,
				   uint32_t *reply_err, char msg[RESOLVE_MSG_LEN])
{
	struct server *srv = c->srv;
	struct boot_policy policy = { srv->cfg->boot_unknown_clients,
				      srv->cfg->boot_default_group };
	struct boot_entry *entries = NULL;
	struct reg_resolved *r = NULL;
	struct reg_version v;
	struct backend *b;
	char key[BACKEND_KEY_MAX], err[256];
	enum resolve_result res;
	size_t nentries, i;
	int rc;

	c->export_pub[0] = '\0';
	c->client[0] = '\0';
	memset(&c->en, 0, sizeof(c->en));
	if (strchr(name, '@') && !strchr(name, '/'))
		return resolve_version(c, name, attach, reply_err, msg);
	if (export_parse(name, &c->en, err, sizeof(err)) < 0)
		return refuse(reply_err, NBD_REP_ERR_UNKNOWN, msg, "no such export: %s", err);
	export_name_public(&c->en, c->export_pub);
	if (!export_token_ok(srv->st->secret, SECRET_LEN, &c->en))
		return refuse(reply_err, NBD_REP_ERR_POLICY, msg, "export %s: wrong token",
			      c->export_pub);
	rc = boot_entries(srv->st->reg, &policy, c->en.mac, &entries, &nentries, err,
			  sizeof(err));
	if (rc < 0)
		return refuse(reply_err, NBD_REP_ERR_UNKNOWN, msg, "export %s: %s",
			      c->export_pub, err);
	str_copy(c->client, sizeof(c->client),
		 entries[0].r.client.name[0] ? entries[0].r.client.name : c->en.mac);
	str_copy(c->mode, sizeof(c->mode), c->en.mode);
	if (resolve_held(srv, c->en.mac)) {
		res = refuse(reply_err, NBD_REP_ERR_POLICY, msg, "client %s is held by the "
			     "admin (being reset); try again later", c->client);
		goto out;
	}
	r = xcalloc(1, sizeof(*r));
	*r = entries[0].r;
	for (i = 0; i < nentries; i++) {
		if (boot_entry_matches(&entries[i], &c->en)) {
			*r = entries[i].r;
			break;
		}
	}
	if (i == nentries) {
		if (!live_session(srv, &c->en)) {
			res = refuse(reply_err, NBD_REP_ERR_POLICY, msg, "stale export %s: client "
				     "%s now boots %s version %d (%s); reboot it to get the new "
				     "export name", c->export_pub, c->client, r->version.image,
				     r->version.version, r->mode);
			goto out;
		}
		/* Another connection of the boot that holds it: serve the
		 * version that boot runs. */
		if (registry_version_get(srv->st->reg, c->en.image, c->en.version, &v) < 0) {
			res = refuse(reply_err, NBD_REP_ERR_UNKNOWN, msg, "export %s: version "
				     "is gone", c->export_pub);
			goto out;
		}
		r->version = v;
		str_copy(r->mode, sizeof(r->mode), c->en.mode);
	}
	if (strcmp(c->en.mode, MODE_VOLATILE) == 0) {
		if (!attach) {
			res = info_only(c, &r->version, true);
			goto out;
		}
		snprintf(key, sizeof(key), "%s@%d", r->version.image, r->version.version);
		b = server_find_backend(srv, key);
		if (b && b->closing) {
			res = RESOLVE_PARK;
		} else if (b) {
			res = attach_to(c, b);
		} else if (backend_open_base(srv->st, r->version.image, r->version.version, &b,
					     err, sizeof(err)) < 0) {
			res = refuse(reply_err, NBD_REP_ERR_PLATFORM, msg, "export %s: %s",
				     c->export_pub, err);
		} else {
			res = insert(c, b);
		}
		goto out;
	}
	if (strcmp(c->en.mode, MODE_RESET_ON_BOOT) == 0) {
		res = resolve_reset_on_boot(c, r, attach, reply_err, msg);
		goto out;
	}
	/* persistent */
	if (!attach) {
		res = info_only(c, &r->version, false);
		goto out;
	}
	b = server_find_backend(srv, c->en.mac);
	if (b && b->closing)
		res = RESOLVE_PARK;
	else if (b && (b->version != r->version.version ||
		       strcmp(b->image, r->version.image) != 0))
		res = refuse(reply_err, NBD_REP_ERR_POLICY, msg, "the overlay of client %s is "
			     "in use by a session on %s version %d", c->client, b->image,
			     b->version);
	else if (b)
		res = attach_to(c, b);
	else
		res = open_overlay(c, r, NULL, reply_err, msg);
out:
	free(r);
	free(entries);
	return res;
}
