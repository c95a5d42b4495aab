/* TLS for lanroot-blockd: GnuTLS credentials and non-blocking sessions.
 *
 * Credentials (struct nbd_tls) are loaded from the [nbd] tls_* files:
 *   - X.509: tls_cert (PEM certificate, chain allowed) and tls_key (PEM
 *     private key, unencrypted).  With tls_ca as well, every client that
 *     authenticates by certificate must present one signed by that CA and
 *     usable for TLS client authentication; the handshake fails otherwise.
 *   - PSK: tls_psk, a psktool(1) file of "identity:hexkey" lines.  Blank
 *     lines are skipped; an identity written "#HEX" is the bytes HEX encodes
 *     (as GnuTLS reads it).  Keys are 1..NBD_TLS_PSK_KEY_MAX bytes.
 *   Either kind, or both, may be configured; a PSK client never needs a
 *   certificate, even when tls_ca is set (the key is its authentication).
 * Private files (tls_key, tls_psk) must not be accessible by "others"
 * (mode o-rwx): loading refuses them with -EPERM.  Group access is allowed
 * so that root:lanroot 0640 files work after the daemon drops privileges.
 * Protocols: TLS 1.3 and TLS 1.2 only, GnuTLS "NORMAL" algorithms; with PSK
 * only (EC)DHE-PSK key exchange (forward secret), never plain PSK.
 *
 * Reload: load a new struct nbd_tls, then nbd_tls_free() the old one.  The
 * credentials are reference counted: every session holds a reference, so
 * sessions opened before a reload keep working with the old credentials,
 * which are freed when the last of them ends.
 *
 * Sessions run over a non-blocking socket that the caller owns (it polls,
 * and closes it after nbd_tls_session_free()).  Every call returns at once:
 * -EAGAIN means "wait for the socket", EPOLLOUT if nbd_tls_want_write() says
 * so, else EPOLLIN.  Calls are for one thread at a time per session;
 * different sessions and credentials may be used by different threads.
 */
#ifndef LANROOT_NBD_TLS_H
#define LANROOT_NBD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/** Longest PSK identity accepted in a PSK file, in bytes. */
#define NBD_TLS_PSK_IDENTITY_MAX 255
/** Longest PSK key accepted in a PSK file, in bytes (psktool's maximum). */
#define NBD_TLS_PSK_KEY_MAX 512
/** Size of the message buffer of a session (nbd_tls_error()). */
#define NBD_TLS_MSG_LEN 200

/** Which files to load; a NULL or "" path is not configured. */
struct nbd_tls_config {
	const char *cert;	/* X.509 certificate (chain), PEM */
	const char *key;	/* its private key, PEM, unencrypted */
	const char *ca;		/* CA for client certificates (required when set) */
	const char *psk;	/* psktool file of "identity:hexkey" lines */
};

struct nbd_tls;
struct nbd_tls_session;

/**
 * nbd_tls_load() - load the credentials @c names.
 * @c:      the files
 * @out:    receives the credentials (one reference, the caller's)
 * @err:    receives a message naming the file (and line) that is wrong
 * @errlen: size of @err
 *
 * Return: 0; -EINVAL when nothing or an incomplete set is configured (cert
 * without key, key without cert, ca without cert and key) or a file's
 * contents are invalid; -EPERM for a private file "others" may access;
 * -errno of open/read otherwise.
 */
int nbd_tls_load(const struct nbd_tls_config *c, struct nbd_tls **out,
		 char *err, size_t errlen);

/**
 * nbd_tls_free() - drop the caller's reference to @t (NULL is a no-op).  The
 * credentials live on until the last session using them is freed.
 */
void nbd_tls_free(struct nbd_tls *t);

/** nbd_tls_has_x509() / nbd_tls_has_psk() - which kinds @t serves. */
bool nbd_tls_has_x509(const struct nbd_tls *t);
bool nbd_tls_has_psk(const struct nbd_tls *t);

/**
 * nbd_tls_session_new() - start a server-side TLS session on @fd.
 * @t:   credentials (the session takes its own reference)
 * @fd:  connected, non-blocking socket; stays the caller's to close
 * @out: receives the session
 *
 * Call after the NBD_OPT_STARTTLS reply has been fully sent, and before
 * reading anything else from @fd.
 * Return: 0, -EINVAL for bad arguments, -ENOMEM/-EIO if GnuTLS failed.
 */
int nbd_tls_session_new(struct nbd_tls *t, int fd, struct nbd_tls_session **out);

/**
 * nbd_tls_handshake() - advance the handshake as far as the socket allows.
 * Return: 0 when it is complete; -EAGAIN to be called again when the socket
 * is ready (see nbd_tls_want_write()); on failure -EACCES (the client failed
 * authentication: certificate, PSK identity or key), -ECONNRESET (the
 * connection ended) or -EPROTO (anything else), with nbd_tls_error() saying
 * what happened (later calls return the same error: free the session).
 * After 0, read with nbd_tls_recv() before waiting for
 * EPOLLIN: the client may already have sent data (edge-triggered epoll will
 * not report it again).
 */
int nbd_tls_handshake(struct nbd_tls_session *s);

/**
 * nbd_tls_want_write() - whether the last call that returned -EAGAIN waits
 * for the socket to become writable (EPOLLOUT) rather than readable.  Can be
 * true after nbd_tls_recv() too (GnuTLS had to answer a key update).
 */
bool nbd_tls_want_write(const struct nbd_tls_session *s);

/**
 * nbd_tls_recv() - read decrypted bytes.
 * @s:   session after a completed handshake
 * @buf: destination
 * @len: its size (> 0)
 *
 * Return: bytes read (1..@len); 0 at end of stream (the client's
 * close_notify, or a TCP close without one: NBD's own framing detects a
 * truncated request); -EAGAIN; -errno of the socket (-ECONNRESET ...); or
 * -EPROTO for a TLS error (nbd_tls_error() says which).
 * A record is decrypted whole: when this returns fewer bytes than the record
 * held, the rest waits inside GnuTLS where epoll cannot see it; see
 * nbd_tls_pending().
 */
ssize_t nbd_tls_recv(struct nbd_tls_session *s, void *buf, size_t len);

/**
 * nbd_tls_pending() - decrypted bytes buffered in the session.  While this
 * is non-zero, call nbd_tls_recv() without waiting for EPOLLIN.
 */
size_t nbd_tls_pending(const struct nbd_tls_session *s);

/**
 * nbd_tls_send() - encrypt and send up to one record of @buf.
 * @s:   session after a completed handshake
 * @buf: the bytes
 * @len: how many (0 returns 0)
 *
 * Return: bytes taken (1..@len; at most one 16 KiB record per call, so loop
 * over larger buffers), -EAGAIN, -errno of the socket (-EPIPE,
 * -ECONNRESET ...), or -EPROTO.
 * After -EAGAIN, GnuTLS holds the encrypted record: the next call of
 * nbd_tls_send() on @s MUST pass the same bytes again (same pointer and
 * length, or a copy of them), and nothing else may be sent before that
 * call has returned a positive count, which counts bytes of those same bytes.
 * A shorter @len is refused with -EINVAL.
 */
ssize_t nbd_tls_send(struct nbd_tls_session *s, const void *buf, size_t len);

/**
 * nbd_tls_bye() - send close_notify, best effort, without waiting: a full
 * socket simply means the alert is not sent.
 */
void nbd_tls_bye(struct nbd_tls_session *s);

/**
 * nbd_tls_error() - what went wrong in the last failed call on @s, for
 * people ("client certificate 'CN=x' not signed by the configured CA",
 * "unknown PSK identity 'x'"); "" if nothing failed.
 */
const char *nbd_tls_error(const struct nbd_tls_session *s);

/**
 * nbd_tls_peer() - who the client authenticated as: its PSK identity (as
 * written in the PSK file) or the DN of its certificate ("CN=pc01,O=lab");
 * "" before the handshake completes or when the client sent no certificate.
 */
const char *nbd_tls_peer(const struct nbd_tls_session *s);

/**
 * nbd_tls_session_free() - end @s (NULL is a no-op) and release its
 * reference to the credentials.  Does not send anything and does not close
 * the socket.
 */
void nbd_tls_session_free(struct nbd_tls_session *s);

#endif /* LANROOT_NBD_TLS_H */
