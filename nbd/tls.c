/* TLS for lanroot-blockd: GnuTLS credentials and non-blocking server
 * sessions (see tls.h for the rules callers follow).
 *
 * NBD's STARTTLS ("NBD_OPT_STARTTLS" and the "TLS support" section of the
 * NBD protocol specification) upgrades the connection in place: after the
 * option reply the server starts a TLS handshake on the same socket and
 * every later byte, option haggling included, is inside TLS.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tls.h"
#include "parse.h"
#include "util.h"

/** Largest certificate, CA or key file read, in bytes. */
#define TLS_FILE_MAX (1024 * 1024)
/** Largest PSK file read, in bytes. */
#define TLS_PSK_FILE_MAX (1024 * 1024)
/** Permission bits a private file (key, PSK) may not have. */
#define TLS_SECRET_FORBIDDEN_MODE S_IRWXO
/** Non-fatal GnuTLS results (warning alerts) skipped in one call at most. */
#define TLS_MAX_NONFATAL 16
/** Hex digits per byte. */
#define HEX_PER_BYTE 2
/** Marks a PSK identity written in hex in a PSK file (as GnuTLS reads it). */
#define PSK_HEX_IDENTITY_MARK '#'
/** Printable ASCII, the identities shown as they are. */
#define ASCII_PRINTABLE_FIRST 0x20
#define ASCII_PRINTABLE_LAST 0x7e

/** Protocol versions and algorithms: TLS 1.2 and 1.3, no RSA key transport. */
#define TLS_PRIORITY_BASE "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:%SERVER_PRECEDENCE"
/** Added when PSK is configured: forward-secret PSK key exchange only. */
#define TLS_PRIORITY_PSK ":+ECDHE-PSK:+DHE-PSK"

/** One line of a PSK file. */
struct psk_entry {
	unsigned char *id;	/* identity bytes (not NUL-terminated) */
	size_t idlen;		/* their number */
	unsigned char *key;	/* key bytes */
	size_t keylen;		/* their number */
	unsigned line;		/* line of the file, for messages */
};

/** Loaded credentials, shared by the sessions that use them. */
struct nbd_tls {
	atomic_uint refs;		/* the loader's reference + one per session */
	gnutls_certificate_credentials_t x509;	/* NULL without tls_cert */
	gnutls_psk_server_credentials_t psk;	/* NULL without tls_psk */
	gnutls_priority_t prio;		/* versions and algorithms */
	bool require_client_cert;	/* tls_ca given */
	struct psk_entry *entries;	/* PSK file, sorted by identity */
	size_t nentries;		/* their number */
};

/** One client's TLS session. */
struct nbd_tls_session {
	struct nbd_tls *tls;		/* credentials (a reference) */
	gnutls_session_t gs;		/* the GnuTLS session */
	int fd;				/* socket (the caller's) */
	int sys_errno;			/* errno of the last failed send/recv */
	size_t send_pending;		/* length of a send that got -EAGAIN, or 0 */
	bool established;		/* handshake completed */
	int failed;			/* -errno the handshake failed with, or 0 */
	bool auth_failed;		/* a callback refused the client (msg says why) */
	char *peer;			/* PSK identity or certificate DN, or NULL */
	char msg[NBD_TLS_MSG_LEN];	/* last failure, for people */
};

/* ---- helpers --------------------------------------------------------------- */

/**
 * is_set() - whether a configured path is present.
 * @path: path or NULL
 * Return: true for a non-empty string.
 */
static bool is_set(const char *path)
{
	return path && *path;
}

/**
 * datum_wipe_free() - clear and free a datum's bytes.
 * @d: datum (its data from xmalloc()); emptied
 */
static void datum_wipe_free(gnutls_datum_t *d)
{
	if (d->data) {
		explicit_bzero(d->data, d->size);
		free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/**
 * hex_decode() - decode @len hex digits into @out.
 * @hex: digits
 * @len: their number (even)
 * @out: receives @len / 2 bytes
 * Return: 0, or the index of the first bad character plus one.
 */
static size_t hex_decode(const char *hex, size_t len, unsigned char *out)
{
	size_t i;

	for (i = 0; i < len; i += HEX_PER_BYTE) {
		int hi = hex_digit_value(hex[i]), lo = hex_digit_value(hex[i + 1]);

		if (hi < 0)
			return i + 1;
		if (lo < 0)
			return i + 2;
		out[i / HEX_PER_BYTE] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/**
 * identity_format() - a PSK identity as a person reads it: the bytes when
 * they are printable ASCII (and do not start with '#'), else '#' and hex,
 * which is how a PSK file writes such an identity.
 * @id:  identity bytes
 * @len: their number
 * Return: the text (caller frees).
 */
static char *identity_format(const unsigned char *id, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	bool printable = len == 0 || id[0] != PSK_HEX_IDENTITY_MARK;
	char *out;
	size_t i;

	for (i = 0; i < len && printable; i++)
		printable = id[i] >= ASCII_PRINTABLE_FIRST && id[i] <= ASCII_PRINTABLE_LAST;
	if (printable) {
		out = xmalloc(len + 1);
		if (len)
			memcpy(out, id, len);
		out[len] = '\0';
		return out;
	}
	out = xmalloc(1 + HEX_PER_BYTE * len + 1);
	out[0] = PSK_HEX_IDENTITY_MARK;
	for (i = 0; i < len; i++) {
		out[1 + HEX_PER_BYTE * i] = hex[id[i] >> 4];
		out[2 + HEX_PER_BYTE * i] = hex[id[i] & 0xf];
	}
	out[1 + HEX_PER_BYTE * len] = '\0';
	return out;
}

/**
 * session_fail() - record why @s failed, for nbd_tls_error().
 * @s:   session
 * @fmt: printf format
 */
static void __attribute__((format(printf, 2, 3)))
session_fail(struct nbd_tls_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

/**
 * session_set_peer() - replace the recorded peer name of @s.
 * @s:    session
 * @peer: new name (taken over; may be NULL)
 */
static void session_set_peer(struct nbd_tls_session *s, char *peer)
{
	free(s->peer);
	s->peer = peer;
}

/* ---- files ----------------------------------------------------------------- */

/**
 * read_file() - read a whole credentials file.
 * @what:   its config key ("tls_cert"), for messages
 * @path:   the file
 * @secret: a private file: refused if "others" may access it
 * @max:    largest size accepted
 * @out:    receives the bytes plus a NUL not counted in size (caller frees
 *          with datum_wipe_free())
 * @err:    message buffer
 * @errlen: its size
 * Return: 0, -EPERM (secret file open to others), -EINVAL (not a regular
 * file), -EFBIG, or -errno of open/read.
 */
static int read_file(const char *what, const char *path, bool secret, size_t max,
		     gnutls_datum_t *out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	int fd, rc;

	out->data = NULL;
	out->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot open %s '%s': %s", what, path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		err_set(err, errlen, "cannot stat %s '%s': %s", what, path, strerror(-rc));
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		err_set(err, errlen, "%s '%s' is not a regular file", what, path);
		goto err;
	}
	if (secret && (st.st_mode & TLS_SECRET_FORBIDDEN_MODE)) {
		rc = -EPERM;
		err_set(err, errlen, "%s '%s' is accessible by others (mode %04o); "
			"run chmod o-rwx on it", what, path, (unsigned)(st.st_mode & 07777));
		goto err;
	}
	if ((uintmax_t)st.st_size > max) {
		rc = -EFBIG;
		err_set(err, errlen, "%s '%s' is larger than %zu bytes", what, path, max);
		goto err;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	rc = read_full(fd, buf, (size_t)st.st_size);
	if (rc < 0) {
		err_set(err, errlen, "cannot read %s '%s': %s", what, path,
			rc == -EIO ? "file shrank while being read" : strerror(-rc));
		goto err;
	}
	buf[st.st_size] = '\0';
	out->data = (unsigned char *)buf;
	out->size = (unsigned)st.st_size;
	buf = NULL;
	rc = 0;
err:
	if (buf) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

/* ---- PSK file ------------------------------------------------------------- */

/**
 * psk_entry_cmp() - order PSK entries by identity (length, then bytes).
 * @a: entry
 * @b: entry
 * Return: <0, 0, >0.
 */
static int psk_entry_cmp(const void *a, const void *b)
{
	const struct psk_entry *x = a, *y = b;

	if (x->idlen != y->idlen)
		return x->idlen < y->idlen ? -1 : 1;
	return memcmp(x->id, y->id, x->idlen);
}

/**
 * psk_entries_free() - wipe and free PSK entries.
 * @e: entries (may be NULL)
 * @n: their number
 */
static void psk_entries_free(struct psk_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		explicit_bzero(e[i].key, e[i].keylen);
		free(e[i].key);
		free(e[i].id);
	}
	free(e);
}

/**
 * psk_parse_line() - parse one "identity:hexkey" line of a PSK file.
 * @path:   the file, for messages
 * @lineno: line number, for messages
 * @line:   the line, without its newline and trailing blanks
 * @len:    its length (> 0)
 * @e:      receives the entry (caller frees its id and key)
 * @err:    message buffer
 * @errlen: its size
 * Return: 0 or -EINVAL.
 */
static int psk_parse_line(const char *path, unsigned lineno, const char *line, size_t len,
			  struct psk_entry *e, char *err, size_t errlen)
{
	const char *colon = memchr(line, ':', len);
	const char *hexkey;
	size_t idtext, keytext, bad;

	memset(e, 0, sizeof(*e));
	e->line = lineno;
	if (memchr(line, '\0', len)) {
		err_set(err, errlen, "%s:%u: the line contains a NUL byte", path, lineno);
		return -EINVAL;
	}
	if (!colon) {
		err_set(err, errlen, "%s:%u: expected IDENTITY:HEXKEY (no ':' found)",
			path, lineno);
		return -EINVAL;
	}
	idtext = (size_t)(colon - line);
	hexkey = colon + 1;
	keytext = len - idtext - 1;
	if (idtext == 0) {
		err_set(err, errlen, "%s:%u: empty PSK identity", path, lineno);
		return -EINVAL;
	}
	if (line[0] == PSK_HEX_IDENTITY_MARK) {
		/* "#HEX": the identity is the bytes HEX encodes. */
		size_t digits = idtext - 1;

		if (digits == 0 || digits % HEX_PER_BYTE) {
			err_set(err, errlen, "%s:%u: hex PSK identity needs an even, non-zero "
				"number of hex digits after '#'", path, lineno);
			return -EINVAL;
		}
		e->idlen = digits / HEX_PER_BYTE;
		if (e->idlen > NBD_TLS_PSK_IDENTITY_MAX) {
			err_set(err, errlen, "%s:%u: PSK identity longer than %d bytes",
				path, lineno, NBD_TLS_PSK_IDENTITY_MAX);
			return -EINVAL;
		}
		e->id = xmalloc(e->idlen);
		bad = hex_decode(line + 1, digits, e->id);
		if (bad) {
			err_set(err, errlen, "%s:%u: hex PSK identity has a non-hex character "
				"at column %zu", path, lineno, bad + 1);
			goto err;
		}
	} else {
		e->idlen = idtext;
		if (e->idlen > NBD_TLS_PSK_IDENTITY_MAX) {
			err_set(err, errlen, "%s:%u: PSK identity longer than %d bytes",
				path, lineno, NBD_TLS_PSK_IDENTITY_MAX);
			return -EINVAL;
		}
		e->id = xmalloc(e->idlen);
		memcpy(e->id, line, e->idlen);
	}
	if (keytext == 0) {
		err_set(err, errlen, "%s:%u: empty key", path, lineno);
		goto err;
	}
	if (keytext % HEX_PER_BYTE) {
		err_set(err, errlen, "%s:%u: key has an odd number of hex digits (%zu)",
			path, lineno, keytext);
		goto err;
	}
	e->keylen = keytext / HEX_PER_BYTE;
	if (e->keylen > NBD_TLS_PSK_KEY_MAX) {
		err_set(err, errlen, "%s:%u: key longer than %d bytes", path, lineno,
			NBD_TLS_PSK_KEY_MAX);
		goto err;
	}
	e->key = xmalloc(e->keylen);
	bad = hex_decode(hexkey, keytext, e->key);
	if (bad) {
		err_set(err, errlen, "%s:%u: key has a non-hex character at column %zu",
			path, lineno, idtext + 1 + bad);
		goto err;
	}
	return 0;
err:
	if (e->key)
		explicit_bzero(e->key, e->keylen);
	free(e->key);
	free(e->id);
	memset(e, 0, sizeof(*e));
	return -EINVAL;
}

/**
 * psk_parse() - parse a PSK file into sorted entries.
 * @path:   the file, for messages
 * @data:   its contents
 * @len:    their length
 * @out:    receives the entries (sorted; free with psk_entries_free())
 * @nout:   receives their number (> 0)
 * @err:    message buffer
 * @errlen: its size
 * Return: 0 or -EINVAL (a bad line, a duplicate identity, no entries).
 */
static int psk_parse(const char *path, const char *data, size_t len,
		     struct psk_entry **out, size_t *nout, char *err, size_t errlen)
{
	struct psk_entry *e = NULL;
	size_t n = 0, cap = 0, off = 0, i;
	unsigned lineno = 0;
	int rc;

	while (off < len) {
		const char *line = data + off, *nl = memchr(line, '\n', len - off);
		size_t linelen = nl ? (size_t)(nl - line) : len - off;

		off += linelen + (nl ? 1 : 0);
		lineno++;
		while (linelen > 0 && (line[linelen - 1] == '\r' || line[linelen - 1] == ' ' ||
				       line[linelen - 1] == '\t'))
			linelen--;
		if (linelen == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			e = xrealloc(e, cap * sizeof(*e));
		}
		rc = psk_parse_line(path, lineno, line, linelen, &e[n], err, errlen);
		if (rc < 0)
			goto err;
		n++;
	}
	if (n == 0) {
		err_set(err, errlen, "%s: no PSK entries (expected IDENTITY:HEXKEY lines)", path);
		rc = -EINVAL;
		goto err;
	}
	qsort(e, n, sizeof(*e), psk_entry_cmp);
	for (i = 1; i < n; i++) {
		if (psk_entry_cmp(&e[i - 1], &e[i]) == 0) {
			struct psk_entry *first = e[i - 1].line < e[i].line ? &e[i - 1] : &e[i];
			struct psk_entry *second = first == &e[i] ? &e[i - 1] : &e[i];
			char *id = identity_format(first->id, first->idlen);

			err_set(err, errlen, "%s:%u: PSK identity '%s' is already on line %u",
				path, second->line, id, first->line);
			free(id);
			rc = -EINVAL;
			goto err;
		}
	}
	*out = e;
	*nout = n;
	return 0;
err:
	psk_entries_free(e, n);
	return rc;
}

/**
 * psk_lookup() - GnuTLS callback: the key of a PSK identity.
 * @gs:       the session (its pointer is our struct nbd_tls_session)
 * @username: identity the client sent
 * @key:      receives a copy of the key (GnuTLS frees it)
 * Return: 0, or -1 for an unknown identity (the handshake fails).
 */
static int psk_lookup(gnutls_session_t gs, const gnutls_datum_t *username,
		      gnutls_datum_t *key)
{
	struct nbd_tls_session *s = gnutls_session_get_ptr(gs);
	struct nbd_tls *t = s->tls;
	struct psk_entry probe = { .id = username->data, .idlen = username->size };
	const struct psk_entry *found = NULL;

	if (username->size <= NBD_TLS_PSK_IDENTITY_MAX && t->nentries)
		found = bsearch(&probe, t->entries, t->nentries, sizeof(*t->entries),
				psk_entry_cmp);
	if (!found) {
		size_t shown = username->size > NBD_TLS_PSK_IDENTITY_MAX
			? NBD_TLS_PSK_IDENTITY_MAX : username->size;
		char *id = identity_format(username->data, shown);

		session_fail(s, "unknown PSK identity '%s%s'", id,
			     shown < username->size ? "..." : "");
		free(id);
		s->auth_failed = true;
		return -1;
	}
	key->data = gnutls_malloc(found->keylen);
	if (!key->data)
		return -1;
	memcpy(key->data, found->key, found->keylen);
	key->size = (unsigned)found->keylen;
	/* Remember whom the client claims to be, for a wrong-key message. */
	session_set_peer(s, identity_format(found->id, found->idlen));
	return 0;
}

/* ---- client certificates --------------------------------------------------- */

/**
 * peer_cert_dn() - the DN of the client's certificate.
 * @gs: session
 * Return: the DN (caller frees), or NULL if it sent none or it is unreadable.
 */
static char *peer_cert_dn(gnutls_session_t gs)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	unsigned n = 0;
	char *out = NULL;

	if (gnutls_certificate_type_get2(gs, GNUTLS_CTYPE_CLIENT) != GNUTLS_CRT_X509)
		return NULL;
	certs = gnutls_certificate_get_peers(gs, &n);
	if (!certs || n == 0)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return NULL;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
		out = xmalloc(dn.size + 1);
		memcpy(out, dn.data, dn.size);
		out[dn.size] = '\0';
		gnutls_free(dn.data);
	}
	gnutls_x509_crt_deinit(crt);
	return out;
}

/**
 * cert_status_text() - why a verified certificate was refused.
 * @status: gnutls_certificate_status_t bits
 * Return: a fixed phrase, or NULL for none that fits.
 */
static const char *cert_status_text(unsigned status)
{
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNATURE_FAILURE |
		      GNUTLS_CERT_SIGNER_NOT_CA))
		return "not signed by the configured CA";
	if (status & GNUTLS_CERT_EXPIRED)
		return "has expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "is not valid yet";
	if (status & GNUTLS_CERT_REVOKED)
		return "is revoked";
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return "is not for TLS client authentication";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "uses an insecure algorithm";
	return NULL;
}

/**
 * verify_client_cert() - GnuTLS callback: check the client's certificate
 * against tls_ca, for TLS client authentication.
 * @gs: session (its pointer is our struct nbd_tls_session)
 * Return: 0 to accept, -1 to fail the handshake (the session's message
 * says why).
 */
static int verify_client_cert(gnutls_session_t gs)
{
	struct nbd_tls_session *s = gnutls_session_get_ptr(gs);
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	gnutls_datum_t text = { NULL, 0 };
	unsigned status = 0;
	const char *why;
	char *dn;
	int rc;

	rc = gnutls_certificate_verify_peers(gs, &purpose, 1, &status);
	if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND) {
		session_fail(s, "client sent no certificate (tls_ca requires one)");
		s->auth_failed = true;
		return -1;
	}
	if (rc < 0) {
		session_fail(s, "cannot verify the client certificate: %s", gnutls_strerror(rc));
		s->auth_failed = true;
		return -1;
	}
	if (status == 0)
		return 0;
	dn = peer_cert_dn(gs);
	why = cert_status_text(status);
	if (!why && gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
								 &text, 0) >= 0)
		why = (const char *)text.data;
	session_fail(s, "client certificate '%s' %s", dn ? dn : "?",
		     why ? why : "was refused");
	gnutls_free(text.data);
	free(dn);
	s->auth_failed = true;
	return -1;
}

/* ---- credentials ----------------------------------------------------------- */

/**
 * tls_destroy() - free credentials nobody references any more.
 * @t: credentials
 */
static void tls_destroy(struct nbd_tls *t)
{
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	if (t->x509)
		gnutls_certificate_free_credentials(t->x509);
	if (t->psk)
		gnutls_psk_free_server_credentials(t->psk);
	psk_entries_free(t->entries, t->nentries);
	free(t);
}

/**
 * tls_unref() - drop one reference to @t, freeing it with the last.
 * @t: credentials
 */
static void tls_unref(struct nbd_tls *t)
{
	if (atomic_fetch_sub(&t->refs, 1) == 1)
		tls_destroy(t);
}

/**
 * check_cert_dates() - log a warning when the server certificate is not
 * valid now: clients will refuse it, but the server can still serve others.
 * @path: tls_cert, for the message
 * @crt:  the certificate
 */
static void check_cert_dates(const char *path, gnutls_x509_crt_t crt)
{
	time_t now = time(NULL);

	if (gnutls_x509_crt_get_expiration_time(crt) < now)
		log_warn("tls_cert '%s' has expired; TLS clients will refuse it", path);
	else if (gnutls_x509_crt_get_activation_time(crt) > now)
		log_warn("tls_cert '%s' is not valid yet; TLS clients will refuse it", path);
}

/**
 * load_x509() - load the certificate, key and (optional) CA.
 * @t:      credentials being built
 * @c:      the files
 * @err:    message buffer
 * @errlen: its size
 * Return: 0 or -errno.
 */
static int load_x509(struct nbd_tls *t, const struct nbd_tls_config *c,
		     char *err, size_t errlen)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 }, ca = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	gnutls_x509_privkey_t pk = NULL;
	unsigned ncrts = 0, i;
	int rc, g;

	rc = read_file("tls_cert", c->cert, false, TLS_FILE_MAX, &cert, err, errlen);
	if (rc < 0)
		goto err;
	rc = read_file("tls_key", c->key, true, TLS_FILE_MAX, &key, err, errlen);
	if (rc < 0)
		goto err;
	/* Parse each file alone first, so a message can name the bad one. */
	g = gnutls_x509_crt_list_import2(&crts, &ncrts, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || ncrts == 0) {
		err_set(err, errlen, "tls_cert '%s': no PEM certificate in it (%s)", c->cert,
			g < 0 ? gnutls_strerror(g) : "empty");
		rc = -EINVAL;
		goto err;
	}
	check_cert_dates(c->cert, crts[0]);
	g = gnutls_x509_privkey_init(&pk);
	if (g < 0) {
		err_set(err, errlen, "GnuTLS: %s", gnutls_strerror(g));
		rc = -ENOMEM;
		goto err;
	}
	g = gnutls_x509_privkey_import2(pk, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		err_set(err, errlen, "tls_key '%s': not an unencrypted PEM private key (%s)",
			c->key, gnutls_strerror(g));
		rc = -EINVAL;
		goto err;
	}
	g = gnutls_certificate_allocate_credentials(&t->x509);
	if (g < 0) {
		err_set(err, errlen, "GnuTLS: %s", gnutls_strerror(g));
		rc = -ENOMEM;
		goto err;
	}
	g = gnutls_certificate_set_x509_key_mem2(t->x509, &cert, &key, GNUTLS_X509_FMT_PEM,
						 NULL, 0);
	if (g == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		err_set(err, errlen, "tls_key '%s' is not the key of the certificate in "
			"tls_cert '%s'", c->key, c->cert);
		rc = -EINVAL;
		goto err;
	}
	if (g < 0) {
		err_set(err, errlen, "tls_cert '%s' with tls_key '%s': %s", c->cert, c->key,
			gnutls_strerror(g));
		rc = -EINVAL;
		goto err;
	}
	gnutls_certificate_set_known_dh_params(t->x509, GNUTLS_SEC_PARAM_MEDIUM);
	if (is_set(c->ca)) {
		rc = read_file("tls_ca", c->ca, false, TLS_FILE_MAX, &ca, err, errlen);
		if (rc < 0)
			goto err;
		g = gnutls_certificate_set_x509_trust_mem(t->x509, &ca, GNUTLS_X509_FMT_PEM);
		if (g <= 0) {
			err_set(err, errlen, "tls_ca '%s': no PEM certificate in it (%s)", c->ca,
				g < 0 ? gnutls_strerror(g) : "empty");
			rc = -EINVAL;
			goto err;
		}
		gnutls_certificate_set_verify_function(t->x509, verify_client_cert);
		t->require_client_cert = true;
	}
	rc = 0;
err:
	for (i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	datum_wipe_free(&cert);
	datum_wipe_free(&key);
	datum_wipe_free(&ca);
	return rc;
}

/**
 * load_psk() - load the PSK file.
 * @t:      credentials being built
 * @path:   the file
 * @err:    message buffer
 * @errlen: its size
 * Return: 0 or -errno.
 */
static int load_psk(struct nbd_tls *t, const char *path, char *err, size_t errlen)
{
	gnutls_datum_t data = { NULL, 0 };
	int rc, g;

	rc = read_file("tls_psk", path, true, TLS_PSK_FILE_MAX, &data, err, errlen);
	if (rc < 0)
		goto err;
	rc = psk_parse(path, (const char *)data.data, data.size, &t->entries, &t->nentries,
		       err, errlen);
	if (rc < 0)
		goto err;
	g = gnutls_psk_allocate_server_credentials(&t->psk);
	if (g < 0) {
		err_set(err, errlen, "GnuTLS: %s", gnutls_strerror(g));
		rc = -ENOMEM;
		goto err;
	}
	gnutls_psk_set_server_credentials_function2(t->psk, psk_lookup);
	gnutls_psk_set_server_known_dh_params(t->psk, GNUTLS_SEC_PARAM_MEDIUM);
	rc = 0;
err:
	datum_wipe_free(&data);
	return rc;
}

/**
 * check_config() - whether @c names a usable set of files.
 * @c:      the files
 * @err:    message buffer
 * @errlen: its size
 * Return: 0 or -EINVAL.
 */
static int check_config(const struct nbd_tls_config *c, char *err, size_t errlen)
{
	bool cert = is_set(c->cert), key = is_set(c->key);

	if (cert && !key) {
		err_set(err, errlen, "tls_cert is set but tls_key is not");
		return -EINVAL;
	}
	if (key && !cert) {
		err_set(err, errlen, "tls_key is set but tls_cert is not");
		return -EINVAL;
	}
	if (is_set(c->ca) && !cert) {
		err_set(err, errlen, "tls_ca needs tls_cert and tls_key (client certificates "
			"are checked in X.509 handshakes)");
		return -EINVAL;
	}
	if (!cert && !is_set(c->psk)) {
		err_set(err, errlen, "TLS needs tls_cert and tls_key, or tls_psk");
		return -EINVAL;
	}
	return 0;
}

int nbd_tls_load(const struct nbd_tls_config *c, struct nbd_tls **out,
		 char *err, size_t errlen)
{
	struct nbd_tls *t = NULL;
	const char *errpos = NULL;
	char *prio = NULL;
	int rc, g;

	if (!c || !out) {
		err_set(err, errlen, "no TLS configuration");
		return -EINVAL;
	}
	*out = NULL;
	rc = check_config(c, err, errlen);
	if (rc < 0)
		return rc;
	t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	if (is_set(c->cert)) {
		rc = load_x509(t, c, err, errlen);
		if (rc < 0)
			goto err;
	}
	if (is_set(c->psk)) {
		rc = load_psk(t, c->psk, err, errlen);
		if (rc < 0)
			goto err;
	}
	prio = xasprintf("%s%s", TLS_PRIORITY_BASE, t->psk ? TLS_PRIORITY_PSK : "");
	g = gnutls_priority_init(&t->prio, prio, &errpos);
	if (g < 0) {
		err_set(err, errlen, "GnuTLS rejects the priority string at '%s': %s",
			errpos ? errpos : "?", gnutls_strerror(g));
		t->prio = NULL;
		rc = -EINVAL;
		goto err;
	}
	free(prio);
	*out = t;
	return 0;
err:
	free(prio);
	tls_destroy(t);
	return rc;
}

void nbd_tls_free(struct nbd_tls *t)
{
	if (t)
		tls_unref(t);
}

bool nbd_tls_has_x509(const struct nbd_tls *t)
{
	return t && t->x509;
}

bool nbd_tls_has_psk(const struct nbd_tls *t)
{
	return t && t->psk;
}

/* ---- transport ------------------------------------------------------------- */

/**
 * tls_pull() - GnuTLS transport: receive from the socket.
 * @ptr: our session
 * @buf: destination
 * @len: its size
 * Return: bytes, 0 at EOF, or -1 with the errno given to GnuTLS.
 */
static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct nbd_tls_session *s = ptr;
	ssize_t n;

	do
		n = recv(s->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		s->sys_errno = errno;
		gnutls_transport_set_errno(s->gs, errno);
	}
	return n;
}

/**
 * tls_push() - GnuTLS transport: send a vector without raising SIGPIPE.
 * @ptr: our session
 * @iov: buffers
 * @n:   their number
 * Return: bytes sent, or -1 with the errno given to GnuTLS.
 */
static ssize_t tls_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int n)
{
	struct nbd_tls_session *s = ptr;
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)n };
	ssize_t sent;

	do
		sent = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		s->sys_errno = errno;
		gnutls_transport_set_errno(s->gs, errno);
	}
	return sent;
}

/**
 * tls_pull_timeout() - GnuTLS transport: wait up to @ms for input.
 * @ptr: our session
 * @ms:  milliseconds (GNUTLS_INDEFINITE_TIMEOUT: forever)
 * Return: >0 when readable, 0 on timeout, -1 on error.
 */
static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct nbd_tls_session *s = ptr;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	int rc;

	do
		rc = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* ---- sessions -------------------------------------------------------------- */

int nbd_tls_session_new(struct nbd_tls *t, int fd, struct nbd_tls_session **out)
{
	struct nbd_tls_session *s;
	int g, rc;

	if (!t || fd < 0 || !out)
		return -EINVAL;
	*out = NULL;
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	g = gnutls_init(&s->gs, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL |
			GNUTLS_NO_TICKETS);
	if (g < 0) {
		s->gs = NULL;
		rc = -ENOMEM;
		goto err;
	}
	g = gnutls_priority_set(s->gs, t->prio);
	if (g >= 0 && t->x509)
		g = gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, t->x509);
	if (g >= 0 && t->psk)
		g = gnutls_credentials_set(s->gs, GNUTLS_CRD_PSK, t->psk);
	if (g < 0) {
		rc = -EIO;
		goto err;
	}
	if (t->require_client_cert)
		gnutls_certificate_server_set_request(s->gs, GNUTLS_CERT_REQUIRE);
	/* The caller enforces its own handshake deadline. */
	gnutls_handshake_set_timeout(s->gs, 0);
	gnutls_session_set_ptr(s->gs, s);
	gnutls_transport_set_ptr(s->gs, s);
	gnutls_transport_set_pull_function(s->gs, tls_pull);
	gnutls_transport_set_vec_push_function(s->gs, tls_push);
	gnutls_transport_set_pull_timeout_function(s->gs, tls_pull_timeout);
	atomic_fetch_add(&t->refs, 1);
	s->tls = t;
	*out = s;
	return 0;
err:
	if (s->gs)
		gnutls_deinit(s->gs);
	free(s);
	return rc;
}

/**
 * no_common() - the client and the server share no way to authenticate.
 * @s: session
 * @g: GnuTLS result
 * Return: -EPROTO, with the session's message set.
 */
static int no_common(struct nbd_tls_session *s, int g)
{
	session_fail(s, "no TLS cipher suite or credential type in common with the "
		     "client (%s)", !s->tls->psk ? "it may want PSK, and tls_psk is not set"
		     : !s->tls->x509 ? "it may want X.509, and tls_cert is not set"
		     : gnutls_strerror(g));
	return -EPROTO;
}

/**
 * handshake_failed() - turn a fatal handshake result into -errno and make
 * sure the session's message says what happened.
 * @s: session
 * @g: GnuTLS result
 * Return: -EACCES, -ECONNRESET or -EPROTO.
 */
static int handshake_failed(struct nbd_tls_session *s, int g)
{
	if (s->auth_failed)
		return -EACCES;	/* a callback said why */
	switch (g) {
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		session_fail(s, "client sent no certificate (tls_ca requires one)");
		return -EACCES;
	case GNUTLS_E_DECRYPTION_FAILED:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
	case GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER:
		/* A known identity was looked up: its key did not match. */
		if (s->peer && gnutls_auth_get_type(s->gs) != GNUTLS_CRD_CERTIFICATE) {
			session_fail(s, "wrong key for PSK identity '%s' (GnuTLS: %s)",
				     s->peer, gnutls_strerror(g));
			return -EACCES;
		}
		if (g == GNUTLS_E_INSUFFICIENT_CREDENTIALS)
			return no_common(s, g);
		break;
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		session_fail(s, "connection lost during the TLS handshake%s%s",
			     s->sys_errno ? ": " : "",
			     s->sys_errno ? strerror(s->sys_errno) : "");
		return -ECONNRESET;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		session_fail(s, "client aborted the TLS handshake (alert: %s)",
			     gnutls_alert_get_name(gnutls_alert_get(s->gs)));
		return -EPROTO;
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
		session_fail(s, "client does not support TLS 1.2 or later");
		return -EPROTO;
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
		return no_common(s, g);
	default:
		break;
	}
	session_fail(s, "TLS handshake failed: %s", gnutls_strerror(g));
	return -EPROTO;
}

int nbd_tls_handshake(struct nbd_tls_session *s)
{
	int g, tries;

	if (!s)
		return -EINVAL;
	if (s->established)
		return 0;
	if (s->failed)
		return s->failed;	/* GnuTLS cannot go on after a failure */
	s->sys_errno = 0;
	for (tries = 0; tries < TLS_MAX_NONFATAL; tries++) {
		g = gnutls_handshake(s->gs);
		if (g == GNUTLS_E_SUCCESS)
			break;
		if (g == GNUTLS_E_AGAIN)
			return -EAGAIN;
		if (gnutls_error_is_fatal(g)) {
			s->failed = handshake_failed(s, g);
			return s->failed;
		}
		/* GNUTLS_E_INTERRUPTED or a warning alert: carry on. */
	}
	if (g != GNUTLS_E_SUCCESS) {
		session_fail(s, "TLS handshake failed: too many warning alerts");
		s->failed = -EPROTO;
		return s->failed;
	}
	s->established = true;
	s->msg[0] = '\0';
	s->auth_failed = false;
	if (gnutls_auth_get_type(s->gs) == GNUTLS_CRD_PSK) {
		gnutls_datum_t id = { NULL, 0 };

		if (gnutls_psk_server_get_username2(s->gs, &id) >= 0 && id.size)
			session_set_peer(s, identity_format(id.data, id.size));
	} else {
		session_set_peer(s, peer_cert_dn(s->gs));
	}
	return 0;
}

bool nbd_tls_want_write(const struct nbd_tls_session *s)
{
	return s && gnutls_record_get_direction(s->gs) == 1;
}

/**
 * io_failed() - turn a fatal record-layer result into -errno, with a message.
 * @s:    session
 * @g:    GnuTLS result
 * @verb: "receive" or "send", for the message
 * Return: -errno of the socket, or -EPROTO.
 */
static ssize_t io_failed(struct nbd_tls_session *s, ssize_t g, const char *verb)
{
	if ((g == GNUTLS_E_PULL_ERROR || g == GNUTLS_E_PUSH_ERROR) && s->sys_errno) {
		session_fail(s, "cannot %s: %s", verb, strerror(s->sys_errno));
		return -s->sys_errno;
	}
	if (g == GNUTLS_E_REHANDSHAKE) {
		session_fail(s, "client asked to renegotiate TLS, which is not supported");
		return -EPROTO;
	}
	if (g == GNUTLS_E_FATAL_ALERT_RECEIVED) {
		session_fail(s, "client sent a TLS alert: %s",
			     gnutls_alert_get_name(gnutls_alert_get(s->gs)));
		return -EPROTO;
	}
	session_fail(s, "TLS error while trying to %s: %s", verb, gnutls_strerror((int)g));
	return -EPROTO;
}

ssize_t nbd_tls_recv(struct nbd_tls_session *s, void *buf, size_t len)
{
	ssize_t g = GNUTLS_E_AGAIN;
	int tries;

	if (!s || !buf || len == 0 || !s->established)
		return -EINVAL;
	s->sys_errno = 0;
	for (tries = 0; tries < TLS_MAX_NONFATAL; tries++) {
		g = gnutls_record_recv(s->gs, buf, len);
		if (g >= 0)
			return g;
		if (g == GNUTLS_E_AGAIN)
			return -EAGAIN;
		if (g == GNUTLS_E_PREMATURE_TERMINATION)
			return 0;	/* TCP closed without close_notify */
		if (g == GNUTLS_E_REHANDSHAKE || gnutls_error_is_fatal((int)g))
			return io_failed(s, g, "receive");
		/* GNUTLS_E_INTERRUPTED or a warning alert: read on. */
	}
	session_fail(s, "too many TLS warning alerts");
	return -EPROTO;
}

size_t nbd_tls_pending(const struct nbd_tls_session *s)
{
	if (!s || !s->established)
		return 0;
	return gnutls_record_check_pending(s->gs);
}

ssize_t nbd_tls_send(struct nbd_tls_session *s, const void *buf, size_t len)
{
	ssize_t g;

	if (!s || (!buf && len) || !s->established)
		return -EINVAL;
	s->sys_errno = 0;
	if (s->send_pending) {
		/* GnuTLS holds the record made from these same bytes: flush it. */
		if (len < s->send_pending)
			return -EINVAL;
		g = gnutls_record_send(s->gs, NULL, 0);
	} else {
		if (len == 0)
			return 0;
		g = gnutls_record_send(s->gs, buf, len);
	}
	if (g >= 0) {
		s->send_pending = 0;
		return g;
	}
	if (g == GNUTLS_E_AGAIN || g == GNUTLS_E_INTERRUPTED) {
		if (!s->send_pending)
			s->send_pending = len;
		return -EAGAIN;
	}
	s->send_pending = 0;
	return io_failed(s, g, "send");
}

void nbd_tls_bye(struct nbd_tls_session *s)
{
	if (s && s->established)
		(void)gnutls_bye(s->gs, GNUTLS_SHUT_WR);
}

const char *nbd_tls_error(const struct nbd_tls_session *s)
{
	return s ? s->msg : "";
}

const char *nbd_tls_peer(const struct nbd_tls_session *s)
{
	return s && s->established && s->peer ? s->peer : "";
}

void nbd_tls_session_free(struct nbd_tls_session *s)
{
	if (!s)
		return;
	gnutls_deinit(s->gs);
	tls_unref(s->tls);
	free(s->peer);
	free(s);
}
