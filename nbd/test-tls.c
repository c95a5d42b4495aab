/* Unit tests for nbd/tls.c.
 *
 * The group setup makes, with GnuTLS's X.509 API, a CA, a server certificate
 * for localhost signed by it, a client certificate signed by it, a
 * self-signed "rogue" client certificate and an "impostor" one that is
 * self-signed under the CA's own name.  Each test runs a blocking GnuTLS
 * client in a thread over a socketpair; the server side is non-blocking and
 * driven with poll(), as lanroot-blockd's event loop drives it.
 * TLS_TEST_VERBOSE=1 prints the message of every refused handshake.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "tls.h"
#include "util.h"

/** Longest a test waits for the other side, in milliseconds. */
#define WAIT_MS 10000
/** Size of the small record read piecemeal in the pending-bytes check. */
#define SMALL_RECORD 1000
/** Bytes of it read first. */
#define SMALL_FIRST 10
/** Bytes sent each way in the bulk check: several 16 KiB records. */
#define BIG_LEN (100 * 1024)
/** Socket buffer asked for on the server side, so sends block. */
#define SMALL_SNDBUF 4096
/** How long the client waits before reading the bulk data, in microseconds. */
#define CLIENT_READ_DELAY_US 200000
/** Seconds certificates are valid before and after now. */
#define CERT_BACKDATE (60 * 60)
#define CERT_LIFETIME (30 * 24 * 60 * 60)
/** Bytes of a PSK key in the tests. */
#define PSK_KEY_LEN 32
/** Client priorities: as libnbd's (PSK allowed), and TLS 1.2 only. */
#define CLIENT_PRIORITY "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK"
#define CLIENT_PRIORITY_TLS12 "NORMAL:-VERS-ALL:+VERS-TLS1.2:+ECDHE-PSK:+DHE-PSK:+PSK"

#define CA_DN "CN=lanroot test CA,O=lanroot test"
#define SERVER_DN "CN=localhost,O=lanroot test"
#define CLIENT_DN "CN=pc01,O=lanroot test"
#define ROGUE_DN "CN=rogue,O=elsewhere"

/* ---- certificates --------------------------------------------------------- */

/** Which kind of certificate make_cert() makes. */
enum cert_kind {
	CERT_CA,
	CERT_SERVER,
	CERT_CLIENT,
};

/**
 * make_key() - a new ECDSA P-256 private key.
 * Return: the key (caller deinits).
 */
static gnutls_x509_privkey_t make_key(void)
{
	gnutls_x509_privkey_t key;

	assert_int_equal(gnutls_x509_privkey_init(&key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	return key;
}

/**
 * make_cert() - a certificate for @key.
 * @dn:         subject DN
 * @key:        its key
 * @issuer:     issuing certificate, or NULL for self-signed
 * @issuer_key: the issuer's key (ignored when self-signed)
 * @kind:       CA, TLS server (localhost, 127.0.0.1) or TLS client
 * Return: the certificate (caller deinits).
 */
static gnutls_x509_crt_t make_cert(const char *dn, gnutls_x509_privkey_t key,
				   gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key,
				   enum cert_kind kind)
{
	static const unsigned char localhost_ip[] = { 127, 0, 0, 1 };
	static unsigned char serial = 1;
	unsigned char serialbuf[] = { 0x10, 0, 0, serial++ };
	unsigned char id[64];
	size_t idlen = sizeof(id);
	time_t now = time(NULL);
	gnutls_x509_crt_t crt;
	const char *errpos = NULL;

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
	assert_int_equal(gnutls_x509_crt_set_serial(crt, serialbuf, sizeof(serialbuf)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - CERT_BACKDATE), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(crt, now + CERT_LIFETIME), 0);
	assert_int_equal(gnutls_x509_crt_set_dn(crt, dn, &errpos), 0);
	assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
	if (kind == CERT_CA) {
		assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, 1, -1), 0);
		assert_int_equal(gnutls_x509_crt_set_key_usage(crt,
			GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	} else {
		assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), 0);
		assert_int_equal(gnutls_x509_crt_set_key_usage(crt,
			GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(crt,
			kind == CERT_SERVER ? GNUTLS_KP_TLS_WWW_SERVER : GNUTLS_KP_TLS_WWW_CLIENT,
			0), 0);
	}
	if (kind == CERT_SERVER) {
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
			"localhost", strlen("localhost"), GNUTLS_FSAN_APPEND), 0);
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_IPADDRESS, localhost_ip, sizeof(localhost_ip),
			GNUTLS_FSAN_APPEND), 0);
	}
	assert_int_equal(gnutls_x509_crt_get_key_id(crt, 0, id, &idlen), 0);
	assert_int_equal(gnutls_x509_crt_set_subject_key_id(crt, id, idlen), 0);
	if (issuer) {
		idlen = sizeof(id);
		assert_int_equal(gnutls_x509_crt_get_subject_key_id(issuer, id, &idlen, NULL), 0);
		assert_int_equal(gnutls_x509_crt_set_authority_key_id(crt, id, idlen), 0);
	}
	assert_int_equal(gnutls_x509_crt_sign2(crt, issuer ? issuer : crt,
		issuer ? issuer_key : key, GNUTLS_DIG_SHA256, 0), 0);
	return crt;
}

/**
 * save_cert() - write @crt as PEM to @name in the group directory.
 * @crt:  certificate
 * @name: file name
 */
static void save_cert(gnutls_x509_crt_t crt, const char *name)
{
	gnutls_datum_t pem;
	char *path = tu_path(tu_group_dir(), name);

	assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem), 0);
	tu_write_file(path, pem.data, pem.size, 0644);
	gnutls_free(pem.data);
	free(path);
}

/**
 * save_key() - write @key as PEM, mode 0600, to @name in the group directory.
 * @key:  private key
 * @name: file name
 */
static void save_key(gnutls_x509_privkey_t key, const char *name)
{
	gnutls_datum_t pem;
	char *path = tu_path(tu_group_dir(), name);

	assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem), 0);
	tu_write_file(path, pem.data, pem.size, 0600);
	gnutls_free(pem.data);
	free(path);
}

/**
 * group_setup() - the group directory, with the certificates and keys:
 * ca.pem, server.pem/server-key.pem, client.pem/client-key.pem,
 * rogue.pem/rogue-key.pem (self-signed), impostor.pem/impostor-key.pem
 * (self-signed, with the CA's DN).
 * @state: unused
 * Return: 0.
 */
static int group_setup(void **state)
{
	gnutls_x509_privkey_t cakey, skey, ckey, rkey, ikey;
	gnutls_x509_crt_t ca, server, client, rogue, impostor;

	tu_group_setup(state);
	cakey = make_key();
	ca = make_cert(CA_DN, cakey, NULL, NULL, CERT_CA);
	skey = make_key();
	server = make_cert(SERVER_DN, skey, ca, cakey, CERT_SERVER);
	ckey = make_key();
	client = make_cert(CLIENT_DN, ckey, ca, cakey, CERT_CLIENT);
	rkey = make_key();
	rogue = make_cert(ROGUE_DN, rkey, NULL, NULL, CERT_CLIENT);
	ikey = make_key();
	impostor = make_cert(CA_DN, ikey, NULL, NULL, CERT_CLIENT);
	save_cert(ca, "ca.pem");
	save_cert(server, "server.pem");
	save_key(skey, "server-key.pem");
	save_cert(client, "client.pem");
	save_key(ckey, "client-key.pem");
	save_cert(rogue, "rogue.pem");
	save_key(rkey, "rogue-key.pem");
	save_cert(impostor, "impostor.pem");
	save_key(ikey, "impostor-key.pem");
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(server);
	gnutls_x509_crt_deinit(client);
	gnutls_x509_crt_deinit(rogue);
	gnutls_x509_crt_deinit(impostor);
	gnutls_x509_privkey_deinit(cakey);
	gnutls_x509_privkey_deinit(skey);
	gnutls_x509_privkey_deinit(ckey);
	gnutls_x509_privkey_deinit(rkey);
	gnutls_x509_privkey_deinit(ikey);
	return 0;
}

/** Most distinct names gpath() hands out. */
#define GPATH_MAX 16

/** Paths handed out by gpath(), freed by group_teardown(). */
static char *gpaths[GPATH_MAX];

/**
 * gpath() - the path of @name in the group directory; the same string for
 * the same name until the group ends.
 * Return: the path (owned here).
 */
static const char *gpath(const char *name)
{
	const char *dir = tu_group_dir();
	size_t dirlen = strlen(dir), i;

	for (i = 0; i < GPATH_MAX && gpaths[i]; i++)
		if (!strcmp(gpaths[i] + dirlen + 1, name))
			return gpaths[i];
	assert_true(i < GPATH_MAX);
	gpaths[i] = tu_path(dir, name);
	return gpaths[i];
}

/**
 * group_teardown() - free gpath()'s paths, remove the group directory.
 * @state: unused
 * Return: what tu_group_teardown() returns.
 */
static int group_teardown(void **state)
{
	size_t i;

	for (i = 0; i < GPATH_MAX; i++) {
		free(gpaths[i]);
		gpaths[i] = NULL;
	}
	return tu_group_teardown(state);
}

/* ---- PSK ------------------------------------------------------------------ */

/** The test PSK keys: KEY_A for "alice", KEY_B for "bob" and the hex one. */
static const unsigned char KEY_A[PSK_KEY_LEN] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
	0xdc, 0xfe, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
	0xdd, 0xee, 0xff, 0x00,
};
static const unsigned char KEY_B[PSK_KEY_LEN] = {
	0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d,
	0x1e, 0x0f, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4,
	0xc3, 0xd2, 0xe1, 0xf0,
};
/** The binary identity written "#0001ff" in the PSK file. */
static const unsigned char HEX_IDENTITY[] = { 0x00, 0x01, 0xff };

/**
 * key_hex() - @key as lowercase hex in @out.
 * @key: PSK_KEY_LEN bytes
 * @out: receives 2 * PSK_KEY_LEN digits and a NUL
 */
static void key_hex(const unsigned char *key, char out[2 * PSK_KEY_LEN + 1])
{
	size_t i;

	for (i = 0; i < PSK_KEY_LEN; i++)
		sprintf(out + 2 * i, "%02x", key[i]);
}

/**
 * write_psk_file() - a PSK file @name in @dir, mode 0600: "alice" with
 * @alice_key, "bob" and "#0001ff" with KEY_B, a blank line, CRLF endings.
 * Return: its path (caller frees).
 */
static char *write_psk_file(const char *dir, const char *name, const unsigned char *alice_key)
{
	char a[2 * PSK_KEY_LEN + 1], b[2 * PSK_KEY_LEN + 1], *text, *path;

	key_hex(alice_key, a);
	key_hex(KEY_B, b);
	text = xasprintf("alice:%s\r\n\nbob:%s  \n#0001ff:%s", a, b, b);
	path = tu_path(dir, name);
	tu_write_file(path, text, strlen(text), 0600);
	free(text);
	return path;
}

/* ---- the client thread ----------------------------------------------------- */

/** What the client does after a successful handshake. */
enum client_script {
	SCRIPT_WAIT_EOF,	/* read until the server ends the stream */
	SCRIPT_DATA,		/* the data exchange of test_x509_data() */
	SCRIPT_ECHO,		/* send one record, read one back, then wait for EOF */
	SCRIPT_ABRUPT,		/* shut the socket down without close_notify */
};

/** One client run: settings in, results out. */
struct client {
	int fd;				/* its end of the socketpair */
	const char *priority;		/* NULL: CLIENT_PRIORITY */
	const char *ca;			/* verify the server with this CA, or NULL */
	const char *cert, *key;		/* client certificate files, or NULL */
	bool force_cert;		/* send cert/key whatever CAs the server names */
	const unsigned char *psk_id;	/* PSK identity, or NULL */
	size_t psk_idlen;		/* its length */
	const unsigned char *psk_key;	/* PSK key (PSK_KEY_LEN bytes) */
	enum client_script script;	/* what to do after the handshake */
	/* results */
	int handshake;			/* GnuTLS result of the handshake */
	bool data_ok;			/* the script's data arrived intact */
	bool saw_eof;			/* the server's close_notify arrived */
	char err[256];			/* what went wrong, for failure messages */
	/* internals */
	gnutls_pcert_st pcert;		/* forced certificate */
	gnutls_privkey_t pkey;		/* forced key */
	pthread_t thread;
};

/**
 * forced_cert() - GnuTLS client callback: always offer the client's
 * certificate, even when its issuer is not one the server asks for.
 */
static int forced_cert(gnutls_session_t gs, const gnutls_datum_t *req_ca_dn, int nreqs,
		       const gnutls_pk_algorithm_t *algos, int nalgos,
		       gnutls_pcert_st **pcert, unsigned *npcert, gnutls_privkey_t *pkey)
{
	struct client *c = gnutls_session_get_ptr(gs);

	*pcert = &c->pcert;
	*npcert = 1;
	*pkey = c->pkey;
	return 0;
}

/**
 * load_forced_cert() - load the client's cert and key for forced_cert().
 * @c: client
 * Return: 0, or a GnuTLS error.
 */
static int load_forced_cert(struct client *c)
{
	gnutls_datum_t cert, key;
	int rc;

	rc = gnutls_load_file(c->cert, &cert);
	if (rc < 0)
		return rc;
	rc = gnutls_load_file(c->key, &key);
	if (rc < 0) {
		gnutls_free(cert.data);
		return rc;
	}
	rc = gnutls_pcert_import_x509_raw(&c->pcert, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (rc >= 0)
		rc = gnutls_privkey_init(&c->pkey);
	if (rc >= 0)
		rc = gnutls_privkey_import_x509_raw(c->pkey, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_free(cert.data);
	gnutls_free(key.data);
	return rc;
}

/**
 * client_send_all() - send @len bytes, looping over records.
 * Return: 0 or a GnuTLS error.
 */
static int client_send_all(gnutls_session_t gs, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = gnutls_record_send(gs, buf + off, len - off);

		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return (int)n;
		off += (size_t)n;
	}
	return 0;
}

/**
 * client_recv_all() - receive exactly @len bytes.
 * Return: 0, 1 at a premature end of stream, or a GnuTLS error.
 */
static int client_recv_all(gnutls_session_t gs, uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = gnutls_record_recv(gs, buf + off, len - off);

		if (n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 1;
		off += (size_t)n;
	}
	return 0;
}

/**
 * client_wait_eof() - read until the stream ends.
 * Return: true if it ended with the server's close_notify.
 */
static bool client_wait_eof(gnutls_session_t gs)
{
	uint8_t buf[256];

	for (;;) {
		ssize_t n = gnutls_record_recv(gs, buf, sizeof(buf));

		if (n == GNUTLS_E_INTERRUPTED || n > 0)
			continue;
		return n == 0;
	}
}

/**
 * client_script_data() - the client half of test_x509_data(): one small
 * record, BIG_LEN bytes, a pause, BIG_LEN bytes back, EOF, close_notify.
 * @c:  client
 * @gs: its session
 */
static void client_script_data(struct client *c, gnutls_session_t gs)
{
	uint8_t *small = xmalloc(SMALL_RECORD), *big = xmalloc(BIG_LEN);
	uint8_t *expect = xmalloc(BIG_LEN);
	int rc;

	tu_fill_random(small, SMALL_RECORD, 1);
	tu_fill_random(big, BIG_LEN, 2);
	rc = client_send_all(gs, small, SMALL_RECORD);
	if (rc == 0)
		rc = client_send_all(gs, big, BIG_LEN);
	if (rc == 0) {
		usleep(CLIENT_READ_DELAY_US);	/* let the server's sends block */
		rc = client_recv_all(gs, big, BIG_LEN);
	}
	if (rc == 0) {
		tu_fill_random(expect, BIG_LEN, 3);
		c->data_ok = memcmp(big, expect, BIG_LEN) == 0;
		c->saw_eof = client_wait_eof(gs);
	} else {
		snprintf(c->err, sizeof(c->err), "client data: %s",
			 rc == 1 ? "early EOF" : gnutls_strerror(rc));
	}
	gnutls_bye(gs, GNUTLS_SHUT_WR);
	free(small);
	free(big);
	free(expect);
}

/**
 * client_main() - the client thread: handshake, then the script.
 * @arg: struct client
 * Return: NULL.
 */
static void *client_main(void *arg)
{
	struct client *c = arg;
	gnutls_certificate_credentials_t x509 = NULL;
	gnutls_psk_client_credentials_t psk = NULL;
	gnutls_session_t gs = NULL;
	struct timeval tv = { .tv_sec = WAIT_MS / 1000 };
	int rc;

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->handshake = GNUTLS_E_INTERNAL_ERROR;
	rc = gnutls_init(&gs, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
	if (rc >= 0)
		rc = gnutls_priority_set_direct(gs, c->priority ? c->priority : CLIENT_PRIORITY,
						NULL);
	if (rc >= 0 && (c->ca || c->cert)) {
		rc = gnutls_certificate_allocate_credentials(&x509);
		if (rc >= 0 && c->ca)
			rc = gnutls_certificate_set_x509_trust_file(x509, c->ca,
								    GNUTLS_X509_FMT_PEM);
		if (rc >= 0 && c->cert && c->force_cert) {
			rc = load_forced_cert(c);
			gnutls_certificate_set_retrieve_function2(x509, forced_cert);
		} else if (rc >= 0 && c->cert) {
			rc = gnutls_certificate_set_x509_key_file(x509, c->cert, c->key,
								  GNUTLS_X509_FMT_PEM);
		}
		if (rc >= 0)
			rc = gnutls_credentials_set(gs, GNUTLS_CRD_CERTIFICATE, x509);
		if (rc >= 0 && c->ca)
			gnutls_session_set_verify_cert(gs, "localhost", 0);
	}
	if (rc >= 0 && c->psk_id) {
		gnutls_datum_t id = { (unsigned char *)c->psk_id, (unsigned)c->psk_idlen };
		gnutls_datum_t key = { (unsigned char *)c->psk_key, PSK_KEY_LEN };

		rc = gnutls_psk_allocate_client_credentials(&psk);
		if (rc >= 0)
			rc = gnutls_psk_set_client_credentials2(psk, &id, &key,
								GNUTLS_PSK_KEY_RAW);
		if (rc >= 0)
			rc = gnutls_credentials_set(gs, GNUTLS_CRD_PSK, psk);
	}
	if (rc < 0) {
		snprintf(c->err, sizeof(c->err), "client setup: %s", gnutls_strerror(rc));
		goto out;
	}
	gnutls_session_set_ptr(gs, c);
	gnutls_transport_set_int(gs, c->fd);
	gnutls_handshake_set_timeout(gs, WAIT_MS);
	do
		rc = gnutls_handshake(gs);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	c->handshake = rc;
	if (rc < 0) {
		gnutls_datum_t why = { NULL, 0 };

		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR)
			gnutls_certificate_verification_status_print(
				gnutls_session_get_verify_cert_status(gs), GNUTLS_CRT_X509, &why, 0);
		snprintf(c->err, sizeof(c->err), "client handshake: %s %s", gnutls_strerror(rc),
			 why.data ? (const char *)why.data : "");
		gnutls_free(why.data);
		goto out;
	}
	switch (c->script) {
	case SCRIPT_WAIT_EOF:
		c->saw_eof = client_wait_eof(gs);
		break;
	case SCRIPT_DATA:
		client_script_data(c, gs);
		break;
	case SCRIPT_ECHO: {
		uint8_t buf[SMALL_RECORD], back[SMALL_RECORD];

		tu_fill_random(buf, sizeof(buf), 4);
		if (client_send_all(gs, buf, sizeof(buf)) == 0 &&
		    client_recv_all(gs, back, sizeof(back)) == 0)
			c->data_ok = memcmp(buf, back, sizeof(buf)) == 0;
		c->saw_eof = client_wait_eof(gs);
		break;
	}
	case SCRIPT_ABRUPT:
		shutdown(c->fd, SHUT_RDWR);
		break;
	}
out:
	if (gs)
		gnutls_deinit(gs);
	if (x509)
		gnutls_certificate_free_credentials(x509);
	if (psk)
		gnutls_psk_free_client_credentials(psk);
	if (c->pkey) {
		gnutls_privkey_deinit(c->pkey);
		gnutls_pcert_deinit(&c->pcert);
	}
	close(c->fd);
	return NULL;
}

/* ---- the server side ------------------------------------------------------- */

/** A server session with its client. */
struct pair {
	int fd;				/* server end, non-blocking */
	struct nbd_tls_session *s;	/* the session under test */
	struct client *c;		/* the client (thread running) */
};

/**
 * wait_fd() - poll @fd for @events, failing the test after WAIT_MS.
 */
static void wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&pfd, 1, WAIT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		fail_msg("timed out waiting for the client");
	assert_true(rc > 0);
}

/**
 * pair_start() - a socketpair, the client thread on one end, a server
 * session (from @t) on the other.
 * @t: credentials
 * @c: client settings (its fd is set here)
 * @p: receives the pair
 */
static void pair_start(struct nbd_tls *t, struct client *c, struct pair *p)
{
	int sv[2], sndbuf = SMALL_SNDBUF;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
	p->fd = sv[0];
	p->c = c;
	c->fd = sv[1];
	assert_int_equal(nbd_tls_session_new(t, p->fd, &p->s), 0);
	assert_int_equal(pthread_create(&c->thread, NULL, client_main, c), 0);
}

/**
 * pair_handshake() - drive the server's handshake to its end.
 * @p: pair
 * Return: what nbd_tls_handshake() finally returned.
 */
static int pair_handshake(struct pair *p)
{
	int rc;

	while ((rc = nbd_tls_handshake(p->s)) == -EAGAIN)
		wait_fd(p->fd, nbd_tls_want_write(p->s) ? POLLOUT : POLLIN);
	return rc;
}

/**
 * pair_end() - free the session, close the server end, join the client.
 * @p:   pair
 * @bye: send close_notify first
 */
static void pair_end(struct pair *p, bool bye)
{
	if (bye)
		nbd_tls_bye(p->s);
	nbd_tls_session_free(p->s);
	p->s = NULL;
	close(p->fd);
	assert_int_equal(pthread_join(p->c->thread, NULL), 0);
}

/**
 * server_recv_all() - receive exactly @len bytes on the server side.
 * Return: 0, or what nbd_tls_recv() returned instead of data.
 */
static ssize_t server_recv_all(struct pair *p, uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = nbd_tls_recv(p->s, buf + off, len - off);

		if (n == -EAGAIN) {
			wait_fd(p->fd, nbd_tls_want_write(p->s) ? POLLOUT : POLLIN);
			continue;
		}
		if (n <= 0)
			return n;
		off += (size_t)n;
	}
	return 0;
}

/**
 * server_send_all() - send @len bytes on the server side, retrying a send
 * that returned -EAGAIN with the same pointer and length, as tls.h requires.
 * @p:       pair
 * @buf:     bytes
 * @len:     their number
 * @eagains: incremented for each -EAGAIN
 * Return: 0, or the error nbd_tls_send() returned.
 */
static ssize_t server_send_all(struct pair *p, const uint8_t *buf, size_t len,
			       unsigned *eagains)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = nbd_tls_send(p->s, buf + off, len - off);

		if (n == -EAGAIN) {
			/* A shorter retry is refused while the record is pending. */
			if (len - off > 1)
				assert_int_equal(nbd_tls_send(p->s, buf + off, 1), -EINVAL);
			(*eagains)++;
			wait_fd(p->fd, POLLOUT);
			continue;
		}
		if (n < 0)
			return n;
		assert_true(n > 0 && (size_t)n <= len - off);
		off += (size_t)n;
	}
	return 0;
}

/**
 * load_ok() - nbd_tls_load() that must succeed.
 * Return: the credentials.
 */
static struct nbd_tls *load_ok(const char *cert, const char *key, const char *ca,
			       const char *psk)
{
	struct nbd_tls_config cfg = { .cert = cert, .key = key, .ca = ca, .psk = psk };
	struct nbd_tls *t = NULL;
	char err[256] = "";
	int rc = nbd_tls_load(&cfg, &t, err, sizeof(err));

	if (rc != 0)
		fail_msg("nbd_tls_load: %d %s", rc, err);
	assert_non_null(t);
	return t;
}

/**
 * load_fails() - nbd_tls_load() that must fail with @want, the message
 * containing @needle.
 */
static void load_fails(const char *cert, const char *key, const char *ca, const char *psk,
		       int want, const char *needle)
{
	struct nbd_tls_config cfg = { .cert = cert, .key = key, .ca = ca, .psk = psk };
	struct nbd_tls *t = (struct nbd_tls *)&cfg;	/* must be reset to NULL */
	char err[256] = "";
	int rc = nbd_tls_load(&cfg, &t, err, sizeof(err));

	if (rc != want || !strstr(err, needle))
		fail_msg("nbd_tls_load returned %d \"%s\"; wanted %d with \"%s\"",
			 rc, err, want, needle);
	assert_null(t);
}

/**
 * handshake_fails() - a handshake between @t and client @c must fail on the
 * server with @want, the message containing @needle.
 */
static void handshake_fails(struct nbd_tls *t, struct client *c, int want, const char *needle)
{
	struct pair p;
	int rc;

	pair_start(t, c, &p);
	rc = pair_handshake(&p);
	if (rc != want || !strstr(nbd_tls_error(p.s), needle))
		fail_msg("handshake returned %d \"%s\"; wanted %d with \"%s\"",
			 rc, nbd_tls_error(p.s), want, needle);
	if (getenv("TLS_TEST_VERBOSE"))
		print_message("refused (%d): %s\n", rc, nbd_tls_error(p.s));
	assert_int_equal(nbd_tls_handshake(p.s), rc);	/* stays failed */
	assert_string_equal(nbd_tls_peer(p.s), "");
	pair_end(&p, false);
	assert_true(c->handshake < 0 || !c->saw_eof);
}

/**
 * handshake_ok() - a handshake between @t and client @c must succeed with
 * nbd_tls_peer() @peer; then the server says goodbye.
 */
static void handshake_ok(struct nbd_tls *t, struct client *c, const char *peer)
{
	struct pair p;
	int rc;

	pair_start(t, c, &p);
	rc = pair_handshake(&p);
	if (rc != 0)
		fail_msg("handshake returned %d \"%s\" (client: %s)", rc, nbd_tls_error(p.s),
			 c->err);
	assert_string_equal(nbd_tls_error(p.s), "");
	assert_string_equal(nbd_tls_peer(p.s), peer);
	pair_end(&p, true);
	assert_int_equal(c->handshake, 0);
	assert_true(c->saw_eof);
}

/* ---- tests: X.509 ---------------------------------------------------------- */

/** An X.509 handshake, then data both ways: pending bytes, large buffers,
 * sends that block, close_notify in both directions. */
static void test_x509_data(void **state)
{
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"), NULL, NULL);
	struct client c = { .ca = gpath("ca.pem"), .script = SCRIPT_DATA };
	uint8_t *buf = xmalloc(BIG_LEN), *expect = xmalloc(BIG_LEN);
	unsigned eagains = 0;
	struct pair p;

	assert_true(nbd_tls_has_x509(t));
	assert_false(nbd_tls_has_psk(t));
	pair_start(t, &c, &p);
	/* Before the handshake: no data calls. */
	assert_int_equal(nbd_tls_recv(p.s, buf, 1), -EINVAL);
	assert_int_equal(nbd_tls_send(p.s, buf, 1), -EINVAL);
	assert_int_equal(nbd_tls_pending(p.s), 0);
	assert_int_equal(pair_handshake(&p), 0);
	assert_int_equal(nbd_tls_handshake(p.s), 0);	/* again: still done */
	assert_string_equal(nbd_tls_peer(p.s), "");	/* no client certificate */

	/* One record read in two parts: the rest waits inside GnuTLS. */
	tu_fill_random(expect, SMALL_RECORD, 1);
	assert_int_equal(server_recv_all(&p, buf, SMALL_FIRST), 0);
	assert_int_equal(nbd_tls_pending(p.s), SMALL_RECORD - SMALL_FIRST);
	assert_int_equal(nbd_tls_recv(p.s, buf + SMALL_FIRST, BIG_LEN),
			 SMALL_RECORD - SMALL_FIRST);
	assert_int_equal(nbd_tls_pending(p.s), 0);
	assert_memory_equal(buf, expect, SMALL_RECORD);

	/* More than one 16 KiB record each way. */
	assert_int_equal(server_recv_all(&p, buf, BIG_LEN), 0);
	tu_fill_random(expect, BIG_LEN, 2);
	assert_memory_equal(buf, expect, BIG_LEN);
	tu_fill_random(buf, BIG_LEN, 3);
	assert_int_equal(nbd_tls_send(p.s, buf, 0), 0);
	assert_int_equal(server_send_all(&p, buf, BIG_LEN, &eagains), 0);
	assert_true(eagains > 0);	/* the socket filled: the retry path ran */

	/* close_notify both ways: recv sees a clean end of stream. */
	nbd_tls_bye(p.s);
	assert_int_equal(server_recv_all(&p, buf, 1), 0 /* EOF */);
	assert_int_equal(nbd_tls_recv(p.s, buf, 1), 0);
	pair_end(&p, false);
	if (!c.data_ok || !c.saw_eof)
		fail_msg("client: data_ok=%d saw_eof=%d %s", c.data_ok, c.saw_eof, c.err);
	nbd_tls_free(t);
	free(buf);
	free(expect);
}

/** A client that closes TCP without close_notify reads as end of stream. */
static void test_abrupt_close(void **state)
{
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"), NULL, NULL);
	struct client c = { .ca = gpath("ca.pem"), .script = SCRIPT_ABRUPT };
	uint8_t buf[16];
	struct pair p;

	pair_start(t, &c, &p);
	assert_int_equal(pair_handshake(&p), 0);
	assert_int_equal(server_recv_all(&p, buf, sizeof(buf)), 0 /* EOF */);
	pair_end(&p, false);
	nbd_tls_free(t);
}

/** With tls_ca: a client without a certificate is refused. */
static void test_ca_no_client_cert(void **state)
{
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"),
				    gpath("ca.pem"), NULL);
	struct client c = { .ca = gpath("ca.pem") };
	struct client c12 = { .ca = gpath("ca.pem"), .priority = CLIENT_PRIORITY_TLS12 };

	handshake_fails(t, &c, -EACCES, "client sent no certificate");
	handshake_fails(t, &c12, -EACCES, "client sent no certificate");
	nbd_tls_free(t);
}

/** With tls_ca: self-signed client certificates are refused, also one that
 * carries the CA's own name. */
static void test_ca_rogue_client_cert(void **state)
{
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"),
				    gpath("ca.pem"), NULL);
	struct client rogue = { .ca = gpath("ca.pem"), .cert = gpath("rogue.pem"),
				.key = gpath("rogue-key.pem"), .force_cert = true };
	struct client impostor = { .ca = gpath("ca.pem"), .cert = gpath("impostor.pem"),
				   .key = gpath("impostor-key.pem") };
	struct client rogue12 = { .ca = gpath("ca.pem"), .cert = gpath("rogue.pem"),
				  .key = gpath("rogue-key.pem"), .force_cert = true,
				  .priority = CLIENT_PRIORITY_TLS12 };

	handshake_fails(t, &rogue, -EACCES,
			"client certificate '" ROGUE_DN "' not signed by the configured CA");
	handshake_fails(t, &impostor, -EACCES,
			"client certificate '" CA_DN "' not signed by the configured CA");
	handshake_fails(t, &rogue12, -EACCES, "not signed by the configured CA");
	nbd_tls_free(t);
}

/** With tls_ca: a certificate from the CA is accepted; the peer is its DN. */
static void test_ca_good_client_cert(void **state)
{
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"),
				    gpath("ca.pem"), NULL);
	struct client c = { .ca = gpath("ca.pem"), .cert = gpath("client.pem"),
			    .key = gpath("client-key.pem") };
	struct client c12 = { .ca = gpath("ca.pem"), .cert = gpath("client.pem"),
			      .key = gpath("client-key.pem"), .priority = CLIENT_PRIORITY_TLS12 };
	/* A server certificate is not for client authentication. */
	struct client wrong = { .ca = gpath("ca.pem"), .cert = gpath("server.pem"),
				.key = gpath("server-key.pem") };

	handshake_ok(t, &c, CLIENT_DN);
	handshake_ok(t, &c12, CLIENT_DN);
	handshake_fails(t, &wrong, -EACCES, "is not for TLS client authentication");
	nbd_tls_free(t);
}

/* ---- tests: PSK ------------------------------------------------------------ */

/** PSK handshakes (TLS 1.3 and 1.2, text and hex identities), and data. */
static void test_psk(void **state)
{
	char *psk = write_psk_file(tu_group_dir(), "psk-ok.txt", KEY_A);
	struct nbd_tls *t = load_ok(NULL, "", NULL, psk);
	struct client alice = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				.psk_key = KEY_A, .script = SCRIPT_ECHO };
	struct client bob12 = { .psk_id = (const unsigned char *)"bob", .psk_idlen = 3,
				.psk_key = KEY_B, .priority = CLIENT_PRIORITY_TLS12 };
	struct client hexid = { .psk_id = HEX_IDENTITY, .psk_idlen = sizeof(HEX_IDENTITY),
				.psk_key = KEY_B };
	uint8_t buf[SMALL_RECORD];
	unsigned eagains = 0;
	struct pair p;

	assert_false(nbd_tls_has_x509(t));
	assert_true(nbd_tls_has_psk(t));
	pair_start(t, &alice, &p);
	assert_int_equal(pair_handshake(&p), 0);
	assert_string_equal(nbd_tls_peer(p.s), "alice");
	assert_int_equal(server_recv_all(&p, buf, sizeof(buf)), 0);
	assert_int_equal(server_send_all(&p, buf, sizeof(buf), &eagains), 0);
	pair_end(&p, true);
	assert_true(alice.data_ok);
	assert_true(alice.saw_eof);

	handshake_ok(t, &bob12, "bob");
	handshake_ok(t, &hexid, "#0001ff");
	nbd_tls_free(t);
	free(psk);
}

/** PSK failures: wrong key, unknown identity, X.509-only client. */
static void test_psk_refused(void **state)
{
	char *psk = write_psk_file(tu_group_dir(), "psk-refused.txt", KEY_A);
	struct nbd_tls *t = load_ok(NULL, NULL, NULL, psk);
	struct client wrong = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				.psk_key = KEY_B };
	struct client wrong12 = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				  .psk_key = KEY_B, .priority = CLIENT_PRIORITY_TLS12 };
	struct client unknown = { .psk_id = (const unsigned char *)"mallory", .psk_idlen = 7,
				  .psk_key = KEY_A };
	struct client unknown12 = { .psk_id = (const unsigned char *)"mallory",
				    .psk_idlen = 7, .psk_key = KEY_A,
				    .priority = CLIENT_PRIORITY_TLS12 };
	static const unsigned char odd_id[] = { 'x', '\n', 'y' };
	struct client odd = { .psk_id = odd_id, .psk_idlen = sizeof(odd_id),
			      .psk_key = KEY_A };
	struct client x509 = { .ca = gpath("ca.pem") };

	handshake_fails(t, &wrong, -EACCES, "wrong key for PSK identity 'alice'");
	handshake_fails(t, &wrong12, -EACCES, "wrong key for PSK identity 'alice'");
	handshake_fails(t, &unknown, -EACCES, "unknown PSK identity 'mallory'");
	handshake_fails(t, &unknown12, -EACCES, "unknown PSK identity 'mallory'");
	/* Identities that are not printable are shown in hex. */
	handshake_fails(t, &odd, -EACCES, "unknown PSK identity '#780a79'");
	handshake_fails(t, &x509, -EPROTO, "it may want X.509, and tls_cert is not set");
	nbd_tls_free(t);
	free(psk);
}

/** X.509 and PSK together: either kind of client gets in; tls_ca does not
 * demand a certificate from a PSK client. */
static void test_x509_and_psk(void **state)
{
	char *psk = write_psk_file(tu_group_dir(), "psk-both.txt", KEY_A);
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"),
				    gpath("ca.pem"), psk);
	struct client alice = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				.psk_key = KEY_A };
	struct client cert = { .ca = gpath("ca.pem"), .cert = gpath("client.pem"),
			       .key = gpath("client-key.pem") };
	struct client nocert = { .ca = gpath("ca.pem") };
	struct client unknown = { .psk_id = (const unsigned char *)"mallory", .psk_idlen = 7,
				  .psk_key = KEY_A };
	struct client wrong = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				.psk_key = KEY_B };

	handshake_ok(t, &alice, "alice");
	handshake_fails(t, &unknown, -EACCES, "unknown PSK identity 'mallory'");
	handshake_fails(t, &wrong, -EACCES, "wrong key for PSK identity 'alice'");
	handshake_ok(t, &cert, CLIENT_DN);
	handshake_fails(t, &nocert, -EACCES, "client sent no certificate");
	nbd_tls_free(t);
	free(psk);
}

/* ---- tests: loading -------------------------------------------------------- */

/**
 * psk_text_fails() - loading a PSK file of @len bytes of @text must fail,
 * the message being the file's path followed by @needle.
 */
static void psk_text_fails(const char *dir, const char *text, size_t len, const char *needle)
{
	char *path = tu_path(dir, "bad.psk");
	char *want = xasprintf("%s%s", path, needle);

	unlink(path);
	tu_write_file(path, text, len, 0600);
	load_fails(NULL, NULL, NULL, path, -EINVAL, want);
	free(want);
	free(path);
}

/** psk_line_fails() - psk_text_fails() for a string. */
static void psk_line_fails(const char *dir, const char *text, const char *needle)
{
	psk_text_fails(dir, text, strlen(text), needle);
}

/** Bad PSK files: each message names the file and the line. */
static void test_load_bad_psk(void **state)
{
	struct tu_scratch *sc = *state;
	const char *d = sc->dir;
	char *path;

	psk_line_fails(d, "alice:00ff\nbob\n", ":2: expected IDENTITY:HEXKEY");
	psk_line_fails(d, "alice:00ff\n\n:00ff\n", ":3: empty PSK identity");
	psk_line_fails(d, "alice:\n", ":1: empty key");
	psk_line_fails(d, "alice:0ff\n", ":1: key has an odd number of hex digits");
	psk_line_fails(d, "a:00\nalice:00fg\n", ":2: key has a non-hex character at column 10");
	psk_line_fails(d, "alice:00\nbob:11\nalice:22\n",
		       ":3: PSK identity 'alice' is already on line 1");
	psk_line_fails(d, "#zz:00\n", ":1: hex PSK identity has a non-hex character");
	psk_line_fails(d, "#616:00\n", ":1: hex PSK identity needs an even");
	psk_line_fails(d, "#61:00\na:11\n", ":2: PSK identity 'a' is already on line 1");
	psk_text_fails(d, "a:00\nb\0:00\n", sizeof("a:00\nb\0:00\n") - 1,
		       ":2: the line contains a NUL byte");
	psk_line_fails(d, "\n \r\n", ": no PSK entries");
	psk_line_fails(d, "", ": no PSK entries");
	{
		char id[NBD_TLS_PSK_IDENTITY_MAX + 2], key[2 * NBD_TLS_PSK_KEY_MAX + 3];
		char *text;

		memset(id, 'i', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		text = xasprintf("%s:00\n", id);
		psk_line_fails(d, text, ":1: PSK identity longer than 255 bytes");
		free(text);
		memset(key, 'a', sizeof(key) - 1);
		key[sizeof(key) - 1] = '\0';
		text = xasprintf("ok:00\nk:%s\n", key);
		psk_line_fails(d, text, ":2: key longer than 512 bytes");
		free(text);
	}

	/* A PSK file others may read is refused; group access is allowed. */
	path = tu_path(d, "open.psk");
	tu_write_file(path, "a:00\n", 5, 0604);
	load_fails(NULL, NULL, NULL, path, -EPERM, "is accessible by others (mode 0604)");
	assert_int_equal(chmod(path, 0640), 0);
	nbd_tls_free(load_ok(NULL, NULL, NULL, path));
	free(path);
	/* A directory is not a PSK file. */
	load_fails(NULL, NULL, NULL, d, -EINVAL, "is not a regular file");
}

/** Bad X.509 files and incomplete configurations. */
static void test_load_bad_x509(void **state)
{
	struct tu_scratch *sc = *state;
	char *missing = tu_path(sc->dir, "missing.pem");
	char *garbage = tu_path(sc->dir, "garbage.pem");
	char *openkey = tu_path(sc->dir, "open-key.pem");
	char *keytext = tu_read_file(gpath("server-key.pem"));
	char *want;

	tu_put(sc->dir, "garbage.pem", "not a certificate\n", 0600);
	assert_non_null(keytext);
	tu_write_file(openkey, keytext, strlen(keytext), 0644);

	want = xasprintf("cannot open tls_cert '%s': No such file", missing);
	load_fails(missing, gpath("server-key.pem"), NULL, NULL, -ENOENT, want);
	free(want);
	want = xasprintf("cannot open tls_key '%s'", missing);
	load_fails(gpath("server.pem"), missing, NULL, NULL, -ENOENT, want);
	free(want);
	want = xasprintf("cannot open tls_ca '%s'", missing);
	load_fails(gpath("server.pem"), gpath("server-key.pem"), missing, NULL, -ENOENT, want);
	free(want);
	want = xasprintf("cannot open tls_psk '%s'", missing);
	load_fails(NULL, NULL, NULL, missing, -ENOENT, want);
	free(want);
	want = xasprintf("tls_cert '%s': no PEM certificate", garbage);
	load_fails(garbage, gpath("server-key.pem"), NULL, NULL, -EINVAL, want);
	free(want);
	want = xasprintf("tls_key '%s': not an unencrypted PEM private key", garbage);
	load_fails(gpath("server.pem"), garbage, NULL, NULL, -EINVAL, want);
	free(want);
	want = xasprintf("tls_ca '%s': no PEM certificate", garbage);
	load_fails(gpath("server.pem"), gpath("server-key.pem"), garbage, NULL, -EINVAL, want);
	free(want);
	want = xasprintf("tls_key '%s' is not the key of the certificate", gpath("client-key.pem"));
	load_fails(gpath("server.pem"), gpath("client-key.pem"), NULL, NULL, -EINVAL, want);
	free(want);
	want = xasprintf("tls_key '%s' is accessible by others (mode 0644)", openkey);
	load_fails(gpath("server.pem"), openkey, NULL, NULL, -EPERM, want);
	free(want);

	load_fails(NULL, NULL, NULL, NULL, -EINVAL, "TLS needs tls_cert and tls_key, or tls_psk");
	load_fails("", "", "", "", -EINVAL, "TLS needs tls_cert and tls_key, or tls_psk");
	load_fails(gpath("server.pem"), NULL, NULL, NULL, -EINVAL, "tls_key is not");
	load_fails(NULL, gpath("server-key.pem"), NULL, NULL, -EINVAL, "tls_cert is not");
	load_fails(NULL, NULL, gpath("ca.pem"), NULL, -EINVAL, "tls_ca needs tls_cert");

	{
		struct nbd_tls *t = NULL;
		struct nbd_tls_session *s = NULL;

		assert_int_equal(nbd_tls_load(NULL, &t, NULL, 0), -EINVAL);
		t = load_ok(gpath("server.pem"), gpath("server-key.pem"), NULL, NULL);
		assert_int_equal(nbd_tls_session_new(NULL, 0, &s), -EINVAL);
		assert_int_equal(nbd_tls_session_new(t, -1, &s), -EINVAL);
		assert_int_equal(nbd_tls_session_new(t, 0, NULL), -EINVAL);
		nbd_tls_free(t);
		nbd_tls_free(NULL);
		nbd_tls_session_free(NULL);
		assert_string_equal(nbd_tls_peer(NULL), "");
		assert_string_equal(nbd_tls_error(NULL), "");
	}
	free(keytext);
	free(openkey);
	free(garbage);
	free(missing);
}

/* ---- tests: reload ---------------------------------------------------------- */

/** Reload with sessions open: the old credentials stay usable by sessions
 * made from them (even mid-handshake) after their owner freed them; new
 * sessions use the new ones. */
static void test_reload(void **state)
{
	struct tu_scratch *sc = *state;
	char *psk1 = write_psk_file(sc->dir, "one.psk", KEY_A);
	char *psk2 = write_psk_file(sc->dir, "two.psk", KEY_B);
	struct nbd_tls *t = load_ok(gpath("server.pem"), gpath("server-key.pem"), NULL, psk1);
	struct client old_psk = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				  .psk_key = KEY_A, .script = SCRIPT_ECHO };
	struct client old_x509 = { .ca = gpath("ca.pem"), .script = SCRIPT_ECHO };
	struct client new_old_key = { .psk_id = (const unsigned char *)"alice",
				      .psk_idlen = 5, .psk_key = KEY_A };
	struct client new_key = { .psk_id = (const unsigned char *)"alice", .psk_idlen = 5,
				  .psk_key = KEY_B };
	uint8_t buf[SMALL_RECORD];
	unsigned eagains = 0;
	struct pair p1, p2;

	/* p1: a PSK session whose handshake runs after the reload. */
	pair_start(t, &old_psk, &p1);
	/* p2: an X.509 session established before the reload. */
	pair_start(t, &old_x509, &p2);
	assert_int_equal(pair_handshake(&p2), 0);

	/* Reload: load the new credentials, drop the old ones. */
	nbd_tls_free(t);
	t = load_ok(NULL, NULL, NULL, psk2);

	assert_int_equal(pair_handshake(&p1), 0);
	assert_string_equal(nbd_tls_peer(p1.s), "alice");
	assert_int_equal(server_recv_all(&p1, buf, sizeof(buf)), 0);
	assert_int_equal(server_send_all(&p1, buf, sizeof(buf), &eagains), 0);
	assert_int_equal(server_recv_all(&p2, buf, sizeof(buf)), 0);
	assert_int_equal(server_send_all(&p2, buf, sizeof(buf), &eagains), 0);

	/* New sessions see only the new PSK file. */
	handshake_fails(t, &new_old_key, -EACCES, "wrong key for PSK identity 'alice'");
	handshake_ok(t, &new_key, "alice");

	pair_end(&p1, true);
	pair_end(&p2, true);	/* the last user of the old credentials */
	assert_true(old_psk.data_ok && old_psk.saw_eof);
	assert_true(old_x509.data_ok && old_x509.saw_eof);
	nbd_tls_free(t);
	free(psk1);
	free(psk2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x509_data),
		cmocka_unit_test(test_abrupt_close),
		cmocka_unit_test(test_ca_no_client_cert),
		cmocka_unit_test(test_ca_rogue_client_cert),
		cmocka_unit_test(test_ca_good_client_cert),
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_psk_refused),
		cmocka_unit_test(test_x509_and_psk),
		tu_scratch_test(test_load_bad_psk),
		tu_scratch_test(test_load_bad_x509),
		tu_scratch_test(test_reload),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
