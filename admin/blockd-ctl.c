/* lanroot-blockd's control socket as the admin tool uses it: ping,
 * sessions, versions, disconnect and release (common/ctl.h wire format;
 * the commands are described in lanroot-blockd(8)).  Every command that
 * asks blockd goes through here.
 *
 * Each call connects, sends one request and reads one reply.  The caller
 * learns from the return code whether blockd runs at all: -ENOENT (no
 * socket file: not running), -ECONNREFUSED (a socket file nobody listens
 * on: stale), anything else means something is there, answering properly
 * (0) or not (-ETIMEDOUT, -EPROTO for a reply without the expected fields,
 * -EREMOTEIO for {"ok":false}, ...).
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin.h"
#include "ctl.h"
#include "util.h"

/* How long lanroot-blockd may take to answer a ping. */
#define BLOCKD_PROBE_TIMEOUT_MS 2000
/* How long it may take to answer any other request. */
#define BLOCKD_CALL_TIMEOUT_MS 5000
/* admin_blockd_wait_gone(): ask "sessions" again after this long. */
#define BLOCKD_POLL_INTERVAL_MS 100
#define NS_PER_MS 1000000LL

/* A member that each element of a reply's array must have. */
struct blockd_field {
	const char *key;	/* member name */
	json_type type;		/* JSON_STRING or JSON_INTEGER */
};

/* What admin_blockd_sessions() needs of a session: who it belongs to. */
static const struct blockd_field session_fields[] = {
	{ "client", JSON_STRING },
	{ "mac", JSON_STRING },
	{ NULL, JSON_NULL },
};

/* What admin_blockd_versions() needs of a version in use. */
static const struct blockd_field version_fields[] = {
	{ "image", JSON_STRING },
	{ "version", JSON_INTEGER },
	{ "sessions", JSON_INTEGER },
	{ NULL, JSON_NULL },
};

/**
 * blockd_call() - send @req to lanroot-blockd and wait for its reply.
 * @a:          the tool's state (the socket is a->cfg.nbd_control)
 * @req:        the request; its reference is stolen (NULL: out of memory)
 * @timeout_ms: for the whole exchange
 * @reply:      on success, the reply (caller json_decref()s)
 * @err:        why not, for a person
 * @errlen:     size of @err
 *
 * Return: 0; -ENOENT when no socket is configured or its file is missing
 * (blockd is not running); -ECONNREFUSED when nobody listens on it;
 * -ENOMEM; or another -errno of ctl_call() (-ETIMEDOUT, -EPROTO,
 * -EREMOTEIO with blockd's own message in @err, ...).
 */
static int blockd_call(struct admin *a, json_t *req, int timeout_ms, json_t **reply,
		       char *err, size_t errlen)
{
	const char *path = a->cfg.nbd_control;
	char why[512];
	int rc;

	*reply = NULL;
	if (!req) {
		err_set(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!path || !*path) {
		rc = -ENOENT;
		err_set(err, errlen, "no control socket is configured ([nbd] control)");
		goto out;
	}
	why[0] = '\0';
	rc = ctl_call(path, req, timeout_ms, reply, why, sizeof(why));
	if (rc == -ENOENT)
		err_set(err, errlen, "lanroot-blockd is not running (no socket %s)", path);
	else if (rc == -ECONNREFUSED)
		err_set(err, errlen, "nothing answers on %s (a stale socket file)", path);
	else if (rc == -EREMOTEIO)
		err_set(err, errlen, "lanroot-blockd says: %s", why);
	else if (rc < 0)
		err_set(err, errlen, "%s", why);
out:
	json_decref(req);
	return rc;
}

/**
 * check_elements() - every element of the array @arr is an object with
 * the members @fields of the right types.
 * @what: the reply's command, for the message ("sessions")
 * Return: 0, or -EPROTO after saying which element lacks what in @err.
 */
static int check_elements(json_t *arr, const struct blockd_field *fields, const char *what,
			  char *err, size_t errlen)
{
	const struct blockd_field *f;
	json_t *el, *m;
	size_t i;

	json_array_foreach(arr, i, el) {
		if (!json_is_object(el)) {
			err_set(err, errlen, "lanroot-blockd's \"%s\" reply: element %zu is not "
				"an object", what, i);
			return -EPROTO;
		}
		for (f = fields; f->key; f++) {
			m = json_object_get(el, f->key);
			if (!m || json_typeof(m) != f->type ||
			    (f->type == JSON_INTEGER && json_integer_value(m) < 0)) {
				err_set(err, errlen, "lanroot-blockd's \"%s\" reply: element %zu "
					"has no %s \"%s\"", what, i,
					f->type == JSON_STRING ? "string" : "count", f->key);
				return -EPROTO;
			}
		}
	}
	return 0;
}

/**
 * blockd_list() - send {"cmd":@cmd} and take the array @cmd of the reply
 * ("sessions" answers {"sessions":[…]}).
 * @fields: what each element must have
 * @out:    on success the array (caller json_decref()s)
 * Return: 0, -EPROTO when the reply has no such array or an element is
 * malformed, or blockd_call()'s error; @err says why.
 */
static int blockd_list(struct admin *a, const char *cmd, const struct blockd_field *fields,
		       json_t **out, char *err, size_t errlen)
{
	json_t *reply = NULL, *arr;
	int rc;

	*out = NULL;
	rc = blockd_call(a, json_pack("{s:s}", "cmd", cmd), BLOCKD_CALL_TIMEOUT_MS, &reply,
			 err, errlen);
	if (rc < 0)
		return rc;
	arr = json_object_get(reply, cmd);
	if (!json_is_array(arr)) {
		err_set(err, errlen, "lanroot-blockd's \"%s\" reply has no \"%s\" array", cmd, cmd);
		rc = -EPROTO;
		goto out;
	}
	rc = check_elements(arr, fields, cmd, err, errlen);
	if (rc < 0)
		goto out;
	*out = json_incref(arr);
out:
	json_decref(reply);
	return rc;
}

/**
 * admin_blockd_state_of() - what a call's return code says about blockd:
 * -ENOENT not running, -ECONNREFUSED a stale socket, else running.
 */
enum blockd_state admin_blockd_state_of(int rc)
{
	switch (rc) {
	case -ENOENT:
		return BLOCKD_ABSENT;
	case -ECONNREFUSED:
		return BLOCKD_STALE;
	default:
		return BLOCKD_RUNNING;
	}
}

/** admin_blockd_state_name() - "running" | "not running" | "not answering". */
const char *admin_blockd_state_name(enum blockd_state s)
{
	switch (s) {
	case BLOCKD_RUNNING:
		return "running";
	case BLOCKD_STALE:
		return "not answering";
	default:
		return "not running";
	}
}

/**
 * admin_blockd_ping() - ask blockd "ping".
 * @reply: when blockd answered {"ok":true,…}, the reply (caller
 *         json_decref()s); else NULL.  May be NULL.
 * Something that accepts but answers late or wrongly counts as running:
 * it may be a busy daemon, and callers must not touch what its clients
 * may hold.  Return: the state (@err says why when there is no reply).
 */
enum blockd_state admin_blockd_ping(struct admin *a, json_t **reply, char *err, size_t errlen)
{
	json_t *r = NULL;
	int rc;

	rc = blockd_call(a, json_pack("{s:s}", "cmd", "ping"), BLOCKD_PROBE_TIMEOUT_MS, &r, err,
			 errlen);
	if (reply)
		*reply = r;
	else
		json_decref(r);
	return admin_blockd_state_of(rc);
}

/** admin_blockd_probe() - admin_blockd_ping() for the state alone. */
enum blockd_state admin_blockd_probe(struct admin *a)
{
	return admin_blockd_ping(a, NULL, NULL, 0);
}

/**
 * admin_blockd_sessions() - blockd's sessions, as it sends them: an array
 * of objects, each with at least the strings "client" and "mac".
 * Return: 0 (*@sessions set), or an error as described in the file's
 * header comment, with @err saying why.
 */
int admin_blockd_sessions(struct admin *a, json_t **sessions, char *err, size_t errlen)
{
	return blockd_list(a, "sessions", session_fields, sessions, err, errlen);
}

/**
 * admin_blockd_versions() - the image versions blockd's sessions hold: an
 * array of {"image", "version", "sessions"} objects.
 * Return: as admin_blockd_sessions().
 */
int admin_blockd_versions(struct admin *a, json_t **versions, char *err, size_t errlen)
{
	return blockd_list(a, "versions", version_fields, versions, err, errlen);
}

/**
 * admin_blockd_disconnect() - have blockd close every session of @client
 * (flushing its overlay first) and, with @hold_s > 0, refuse its new
 * connections for that long or until admin_blockd_release().
 * @client: the client's MAC (or name)
 * @closed: the number of sessions blockd closed (may be NULL)
 * Return: 0, or blockd_call()'s error (-EREMOTEIO: blockd refused, e.g.
 * "no such client"); @err says why.
 */
int admin_blockd_disconnect(struct admin *a, const char *client, unsigned hold_s,
			    long long *closed, char *err, size_t errlen)
{
	json_t *reply = NULL;
	int rc;

	rc = blockd_call(a, json_pack("{s:s, s:s, s:I}", "cmd", "disconnect", "client", client,
				      "hold", (json_int_t)hold_s),
			 BLOCKD_CALL_TIMEOUT_MS, &reply, err, errlen);
	if (closed)
		*closed = rc == 0 ? json_integer_value(json_object_get(reply, "disconnected")) : 0;
	json_decref(reply);
	return rc;
}

/**
 * admin_blockd_release() - end the hold that admin_blockd_disconnect() put
 * on @client.  Return: 0, or blockd_call()'s error; @err says why.
 */
int admin_blockd_release(struct admin *a, const char *client, char *err, size_t errlen)
{
	json_t *reply = NULL;
	int rc;

	rc = blockd_call(a, json_pack("{s:s, s:s}", "cmd", "release", "client", client),
			 BLOCKD_CALL_TIMEOUT_MS, &reply, err, errlen);
	json_decref(reply);
	return rc;
}

/**
 * admin_blockd_client_sessions() - the sessions among @sessions (as
 * admin_blockd_sessions() returns them) of the client with MAC @mac.
 * Return: a new array (the elements shared with @sessions).
 */
json_t *admin_blockd_client_sessions(json_t *sessions, const char *mac)
{
	json_t *out = json_array(), *s;
	size_t i;

	json_array_foreach(sessions, i, s) {
		const char *m = json_string_value(json_object_get(s, "mac"));

		if (m && !strcasecmp(m, mac))
			json_array_append(out, s);
	}
	return out;
}

/**
 * admin_blockd_version_sessions() - how many sessions hold @image version
 * @version according to @versions (as admin_blockd_versions() returns
 * them; NULL: none).
 */
long long admin_blockd_version_sessions(json_t *versions, const char *image, int version)
{
	long long n = 0;
	json_t *v;
	size_t i;

	json_array_foreach(versions, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "image")), image) &&
		    json_integer_value(json_object_get(v, "version")) == version)
			n += json_integer_value(json_object_get(v, "sessions"));
	}
	return n;
}

/**
 * admin_blockd_wait_gone() - ask blockd "sessions" until the client with
 * MAC @mac has none left (sessions being closed count until blockd has
 * released its overlay).
 * @timeout_ms: give up after this long
 * @left:       the client's sessions at the last look
 * Return: 0 when none is left; -ETIMEDOUT; or admin_blockd_sessions()'s
 * error (@err says why).
 */
int admin_blockd_wait_gone(struct admin *a, const char *mac, int timeout_ms, size_t *left,
			   char *err, size_t errlen)
{
	long long deadline = monotonic_ns() + (long long)timeout_ms * NS_PER_MS;
	json_t *all, *mine;
	int rc;

	for (;;) {
		rc = admin_blockd_sessions(a, &all, err, errlen);
		if (rc < 0)
			return rc;
		mine = admin_blockd_client_sessions(all, mac);
		*left = json_array_size(mine);
		json_decref(mine);
		json_decref(all);
		if (!*left)
			return 0;
		if (monotonic_ns() >= deadline) {
			err_set(err, errlen, "%zu session%s still open after %d ms", *left,
				*left == 1 ? " is" : "s are", timeout_ms);
			return -ETIMEDOUT;
		}
		poll(NULL, 0, BLOCKD_POLL_INTERVAL_MS);
	}
}
