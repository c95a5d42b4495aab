/* Unit tests for bootserver/tftp-proto.c: requests, ACKs and ERRORs captured
 * from real boot firmware (/work/shared/testdata: iPXE, pxelinux, OVMF over
 * IPv4 and IPv6, dnsmasq), hand-made malformed packets, option limits,
 * negotiation, the encoders, and block numbers across the 16-bit wrap. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tftp-proto.h"

/* ---- captured packets (UDP payloads) ------------------------------------ */

/* bios-ipxe-rom-pxelinux.pcap packet 6 */
static const uint8_t ipxe_rrq[] = {
	0x00, 0x01, 0x70, 0x78, 0x65, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2e, 0x30,
	0x00, 0x6f, 0x63, 0x74, 0x65, 0x74, 0x00, 0x62, 0x6c, 0x6b, 0x73, 0x69,
	0x7a, 0x65, 0x00, 0x31, 0x34, 0x33, 0x32, 0x00, 0x74, 0x73, 0x69, 0x7a,
	0x65, 0x00, 0x30, 0x00,
};

/* bios-ipxe-rom-pxelinux.pcap packet 11 */
static const uint8_t pxelinux_rrq[] = {
	0x00, 0x01, 0x6c, 0x64, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2e, 0x63, 0x33,
	0x32, 0x00, 0x6f, 0x63, 0x74, 0x65, 0x74, 0x00, 0x74, 0x73, 0x69, 0x7a,
	0x65, 0x00, 0x30, 0x00, 0x62, 0x6c, 0x6b, 0x73, 0x69, 0x7a, 0x65, 0x00,
	0x31, 0x34, 0x30, 0x38, 0x00,
};

/* bios-ipxe-rom-pxelinux.pcap packet 7 */
static const uint8_t dnsmasq_oack[] = {
	0x00, 0x06, 0x62, 0x6c, 0x6b, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x31, 0x34,
	0x33, 0x32, 0x00, 0x74, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x34, 0x32, 0x34,
	0x33, 0x30, 0x00,
};

/* bios-ipxe-rom-pxelinux.pcap packet 10 */
static const uint8_t ipxe_ack1[] = {
	0x00, 0x04, 0x00, 0x01,
};

/* bios-ipxe-rom-pxelinux.pcap packet 42 */
static const uint8_t dnsmasq_error1[] = {
	0x00, 0x05, 0x00, 0x01, 0x66, 0x69, 0x6c, 0x65, 0x20, 0x2f, 0x73, 0x72,
	0x76, 0x2f, 0x74, 0x66, 0x74, 0x70, 0x2f, 0x76, 0x6d, 0x6c, 0x69, 0x6e,
	0x75, 0x7a, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x66, 0x6f, 0x75, 0x6e, 0x64,
	0x20, 0x66, 0x6f, 0x72, 0x20, 0x31, 0x30, 0x2e, 0x39, 0x39, 0x2e, 0x30,
	0x2e, 0x31, 0x31, 0x31, 0x00,
};

/* uefi-ovmf-native-pxe-syslinux.pcap packet 4 */
static const uint8_t ovmf_rrq[] = {
	0x00, 0x01, 0x73, 0x79, 0x73, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2e, 0x65,
	0x66, 0x69, 0x00, 0x6f, 0x63, 0x74, 0x65, 0x74, 0x00, 0x74, 0x73, 0x69,
	0x7a, 0x65, 0x00, 0x30, 0x00, 0x62, 0x6c, 0x6b, 0x73, 0x69, 0x7a, 0x65,
	0x00, 0x31, 0x34, 0x36, 0x38, 0x00, 0x77, 0x69, 0x6e, 0x64, 0x6f, 0x77,
	0x73, 0x69, 0x7a, 0x65, 0x00, 0x34, 0x00,
};

/* uefi-ovmf-native-pxe-syslinux.pcap packet 6 */
static const uint8_t ovmf_error8[] = {
	0x00, 0x05, 0x00, 0x08, 0x55, 0x73, 0x65, 0x72, 0x20, 0x61, 0x62, 0x6f,
	0x72, 0x74, 0x65, 0x64, 0x20, 0x74, 0x68, 0x65, 0x20, 0x74, 0x72, 0x61,
	0x6e, 0x73, 0x66, 0x65, 0x72, 0x00,
};

/* uefi-ovmf-native-pxe-syslinux.pcap packet 7 */
static const uint8_t ovmf_rrq2[] = {
	0x00, 0x01, 0x73, 0x79, 0x73, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2e, 0x65,
	0x66, 0x69, 0x00, 0x6f, 0x63, 0x74, 0x65, 0x74, 0x00, 0x62, 0x6c, 0x6b,
	0x73, 0x69, 0x7a, 0x65, 0x00, 0x31, 0x34, 0x36, 0x38, 0x00, 0x77, 0x69,
	0x6e, 0x64, 0x6f, 0x77, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x34, 0x00,
};

/* uefi-ovmf-native-pxe-syslinux.pcap packet 8 */
static const uint8_t dnsmasq_oack_blksize[] = {
	0x00, 0x06, 0x62, 0x6c, 0x6b, 0x73, 0x69, 0x7a, 0x65, 0x00, 0x31, 0x34,
	0x36, 0x38, 0x00,
};

/* uefi-ovmf-native-pxe-ipv6.pcap packet 10 */
static const uint8_t ovmf6_rrq[] = {
	0x00, 0x01, 0x73, 0x79, 0x73, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2e, 0x65,
	0x66, 0x69, 0x00, 0x6f, 0x63, 0x74, 0x65, 0x74, 0x00, 0x74, 0x73, 0x69,
	0x7a, 0x65, 0x00, 0x30, 0x00, 0x62, 0x6c, 0x6b, 0x73, 0x69, 0x7a, 0x65,
	0x00, 0x31, 0x32, 0x32, 0x38, 0x00, 0x77, 0x69, 0x6e, 0x64, 0x6f, 0x77,
	0x73, 0x69, 0x7a, 0x65, 0x00, 0x34, 0x00,
};

/* bios-ipxe-rom-pxelinux.pcap packet 16 */
static const uint8_t pxelinux_uuid_rrq[] = {
	0x00, 0x01, 0x70, 0x78, 0x65, 0x6c, 0x69, 0x6e, 0x75, 0x78, 0x2e, 0x63,
	0x66, 0x67, 0x2f, 0x33, 0x65, 0x32, 0x63, 0x30, 0x61, 0x38, 0x66, 0x2d,
	0x31, 0x64, 0x36, 0x62, 0x2d, 0x35, 0x66, 0x34, 0x65, 0x2d, 0x39, 0x61,
	0x37, 0x62, 0x2d, 0x31, 0x63, 0x32, 0x64, 0x33, 0x65, 0x34, 0x66, 0x35,
	0x61, 0x36, 0x62, 0x00, 0x6f, 0x63, 0x74, 0x65, 0x74, 0x00, 0x74, 0x73,
	0x69, 0x7a, 0x65, 0x00, 0x30, 0x00, 0x62, 0x6c, 0x6b, 0x73, 0x69, 0x7a,
	0x65, 0x00, 0x31, 0x34, 0x30, 0x38, 0x00,
};


#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/** A hand-written packet from a string literal with embedded NULs. */
#define PKT(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

/**
 * heap_copy() - copy @len bytes to a buffer of exactly that size, so ASan
 * catches any read past the end.
 * @src: bytes
 * @len: number of bytes
 * Return: malloc'd copy (1 byte allocated for @len 0).
 */
static uint8_t *heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

/**
 * parse() - tftp_parse_request() on an exact-size heap copy.
 * @buf: bytes
 * @len: number of bytes
 * @req: output
 * @msg: output message
 * Return: what the parser returned.
 */
static int parse(const uint8_t *buf, size_t len, struct tftp_request *req,
		 char *msg)
{
	uint8_t *copy = heap_copy(buf, len);
	int ret = tftp_parse_request(copy, len, req, msg);

	/* the file name points into the copy: move it to the original */
	if (!ret)
		req->filename.ptr = (const char *)buf +
				    (req->filename.ptr - (const char *)copy);
	free(copy);
	return ret;
}

/** assert_name() - check the parsed file name. */
static void assert_name(const struct tftp_request *req, const char *want)
{
	assert_int_equal(req->filename.len, strlen(want));
	assert_memory_equal(req->filename.ptr, want, strlen(want));
}

/* ---- captured requests -------------------------------------------------- */

static void test_captured_requests(void **state)
{
	struct tftp_request r;
	char msg[TFTP_MSG_LEN];

	(void)state;
	/* iPXE: octet blksize 1432 tsize 0 */
	assert_int_equal(parse(ipxe_rrq, sizeof(ipxe_rrq), &r, msg), 0);
	assert_int_equal(r.opcode, TFTP_OP_RRQ);
	assert_name(&r, "pxelinux.0");
	assert_int_equal(r.mode, TFTP_MODE_OCTET);
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE);
	assert_int_equal(r.ignored, 0);
	assert_int_equal(r.blksize, 1432);
	assert_int_equal(r.tsize, 0);
	assert_string_equal(msg, "");

	/* pxelinux: octet tsize 0 blksize 1408 */
	assert_int_equal(parse(pxelinux_rrq, sizeof(pxelinux_rrq), &r, msg), 0);
	assert_name(&r, "ldlinux.c32");
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE);
	assert_int_equal(r.blksize, 1408);
	assert_int_equal(parse(pxelinux_uuid_rrq, sizeof(pxelinux_uuid_rrq),
			       &r, msg), 0);
	assert_name(&r, "pxelinux.cfg/3e2c0a8f-1d6b-5f4e-9a7b-1c2d3e4f5a6b");

	/* OVMF: octet tsize 0 blksize 1468 windowsize 4, then without tsize */
	assert_int_equal(parse(ovmf_rrq, sizeof(ovmf_rrq), &r, msg), 0);
	assert_name(&r, "syslinux.efi");
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
				    TFTP_OPT_WINDOWSIZE);
	assert_int_equal(r.blksize, 1468);
	assert_int_equal(r.windowsize, 4);
	assert_int_equal(parse(ovmf_rrq2, sizeof(ovmf_rrq2), &r, msg), 0);
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE);
	assert_int_equal(r.blksize, 1468);
	assert_int_equal(r.windowsize, 4);

	/* OVMF over IPv6: blksize 1228 */
	assert_int_equal(parse(ovmf6_rrq, sizeof(ovmf6_rrq), &r, msg), 0);
	assert_int_equal(r.blksize, 1228);
	assert_int_equal(r.windowsize, 4);
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
				    TFTP_OPT_WINDOWSIZE);

	/* server packets are not requests */
	assert_int_equal(parse(dnsmasq_oack, sizeof(dnsmasq_oack), &r, msg),
			 -EINVAL);
	assert_string_equal(msg, "opcode 6 is not a request");
}

/* Every prefix of a captured request parses or fails cleanly; a prefix
 * is valid exactly when it ends after the mode or after a value. */
static void test_captured_prefixes(void **state)
{
	static const struct {
		const uint8_t *buf;
		size_t len;
	} caps[] = {
		{ ipxe_rrq, sizeof(ipxe_rrq) },
		{ pxelinux_rrq, sizeof(pxelinux_rrq) },
		{ ovmf_rrq, sizeof(ovmf_rrq) },
		{ ovmf6_rrq, sizeof(ovmf6_rrq) },
	};
	struct tftp_request r;
	char msg[TFTP_MSG_LEN];
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_LEN(caps); i++) {
		size_t nuls = 0;

		for (n = 0; n < caps[i].len; n++) {
			int ret = parse(caps[i].buf, n, &r, msg);

			if (n >= 1 && caps[i].buf[n - 1] == '\0' && n > 2)
				nuls++;
			/* valid: ends after the 2nd, 4th, 6th ... NUL */
			if (n > 2 && caps[i].buf[n - 1] == '\0' &&
			    nuls >= 2 && nuls % 2 == 0)
				assert_int_equal(ret, 0);
			else
				assert_int_equal(ret, -EINVAL);
		}
	}
	/* the prefix ending after the mode has no options */
	assert_int_equal(parse(ipxe_rrq, 19, &r, msg), 0);
	assert_int_equal(r.options, 0);
	assert_int_equal(parse(ipxe_rrq, 27, &r, msg), -EINVAL);
	assert_string_equal(msg, "option 'blksize' has no value");
}

/* ---- captured ACK and ERROR --------------------------------------------- */

static void test_captured_ack_error(void **state)
{
	struct tftp_string text;
	uint16_t block = 0, code = 0;
	char msg[TFTP_MSG_LEN];
	uint8_t *p;

	(void)state;
	p = heap_copy(ipxe_ack1, sizeof(ipxe_ack1));
	assert_int_equal(tftp_opcode(p, sizeof(ipxe_ack1)), TFTP_OP_ACK);
	assert_int_equal(tftp_parse_ack(p, sizeof(ipxe_ack1), &block, msg), 0);
	assert_int_equal(block, 1);
	free(p);

	p = heap_copy(ovmf_error8, sizeof(ovmf_error8));
	assert_int_equal(tftp_parse_error(p, sizeof(ovmf_error8), &code,
					  &text, msg), 0);
	assert_int_equal(code, TFTP_ERR_OPTION);
	assert_int_equal(text.len, strlen("User aborted the transfer"));
	assert_memory_equal(text.ptr, "User aborted the transfer", text.len);
	assert_int_equal(tftp_parse_ack(p, sizeof(ovmf_error8), &block, msg),
			 -EINVAL);
	assert_string_equal(msg, "opcode 5 is not ACK");
	free(p);

	p = heap_copy(dnsmasq_error1, sizeof(dnsmasq_error1));
	assert_int_equal(tftp_parse_error(p, sizeof(dnsmasq_error1), &code,
					  &text, msg), 0);
	assert_int_equal(code, TFTP_ERR_NOT_FOUND);
	assert_int_equal(text.len, strlen("file /srv/tftp/vmlinuz not found "
					  "for 10.99.0.111"));
	assert_memory_equal(text.ptr, "file /srv/tftp/vmlinuz not found",
			    32);
	/* cut before the NUL */
	assert_int_equal(tftp_parse_error(p, sizeof(dnsmasq_error1) - 1, &code,
					  &text, msg), -EINVAL);
	assert_string_equal(msg, "ERROR message has no terminating NUL");
	free(p);
}

/* Our OACK for the captured requests is byte for byte dnsmasq's. */
static void test_oack_matches_dnsmasq(void **state)
{
	const struct tftp_limits lim = { .max_blksize = 1468, .tsize = true };
	struct tftp_request r;
	struct tftp_oack o;
	uint8_t buf[TFTP_MAX_OACK_LEN];

	(void)state;
	assert_int_equal(parse(ipxe_rrq, sizeof(ipxe_rrq), &r, NULL), 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 42430, &o), 2);
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &o),
			 sizeof(dnsmasq_oack));
	assert_memory_equal(buf, dnsmasq_oack, sizeof(dnsmasq_oack));

	/* windowsize refused (max 0), as dnsmasq 2.90 does */
	assert_int_equal(parse(ovmf_rrq2, sizeof(ovmf_rrq2), &r, NULL), 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 171456, &o), 1);
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &o),
			 sizeof(dnsmasq_oack_blksize));
	assert_memory_equal(buf, dnsmasq_oack_blksize,
			    sizeof(dnsmasq_oack_blksize));
}

/* ---- malformed requests ------------------------------------------------- */

static void test_malformed(void **state)
{
	char name[TFTP_MAX_FILENAME_LEN + 20];
	uint8_t pkt[TFTP_MAX_REQUEST_LEN];
	struct tftp_request r;
	char msg[TFTP_MSG_LEN];
	size_t n;

	(void)state;
	assert_int_equal(parse(PKT(""), &r, msg), -EINVAL);
	assert_string_equal(msg, "request of 0 bytes is truncated");
	assert_int_equal(parse(PKT("\0"), &r, msg), -EINVAL);
	assert_int_equal(parse(PKT("\0\1"), &r, msg), -EINVAL);
	assert_string_equal(msg, "file name has no terminating NUL");
	assert_int_equal(parse(PKT("\0\7f\0octet\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "opcode 7 is not a request");
	assert_int_equal(parse(PKT("\0\0f\0octet\0"), &r, msg), -EINVAL);
	assert_int_equal(parse(PKT("\1\1f\0octet\0"), &r, msg), -EINVAL);
	assert_int_equal(parse(PKT("\0\3f\0octet\0"), &r, msg), -EINVAL);
	assert_int_equal(parse(PKT("\0\1file"), &r, msg), -EINVAL);
	assert_int_equal(parse(PKT("\0\1\0octet\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "file name is empty");
	assert_int_equal(parse(PKT("\0\1f\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "mode is missing or has no terminating NUL");
	assert_int_equal(parse(PKT("\0\1f\0octet"), &r, msg), -EINVAL);
	assert_int_equal(parse(PKT("\0\1f\0binary\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "unknown mode 'binary'");
	assert_int_equal(parse(PKT("\0\1f\0\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "unknown mode ''");
	assert_int_equal(parse(PKT("\0\1f\0oct\1t\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "unknown mode 'oct?t'");
	assert_int_equal(parse(PKT("\0\1f\0MaIl\0"), &r, msg), -EOPNOTSUPP);
	assert_string_equal(msg, "mode 'mail' is not supported");
	/* odd option count, empty name, name without NUL */
	assert_int_equal(parse(PKT("\0\1f\0octet\0blksize\0"), &r, msg),
			 -EINVAL);
	assert_int_equal(parse(PKT("\0\1f\0octet\0tsize\0" "0\0blksize\0"), &r,
			       msg), -EINVAL);
	assert_string_equal(msg, "option 'blksize' has no value");
	assert_int_equal(parse(PKT("\0\1f\0octet\0\0"), &r, msg), -EINVAL);
	assert_string_equal(msg, "empty option name");
	assert_int_equal(parse(PKT("\0\1f\0octet\0blk"), &r, msg), -EINVAL);
	assert_string_equal(msg, "option name 'blk' has no terminating NUL");
	/* a packet that is only NULs */
	memset(pkt, 0, sizeof(pkt));
	pkt[1] = TFTP_OP_RRQ;
	assert_int_equal(parse(pkt, sizeof(pkt), &r, msg), -EINVAL);

	/* modes, any case; WRQ */
	assert_int_equal(parse(PKT("\0\1f\0OCTET\0"), &r, msg), 0);
	assert_int_equal(r.mode, TFTP_MODE_OCTET);
	assert_int_equal(parse(PKT("\0\2f\0NetAscii\0"), &r, msg), 0);
	assert_int_equal(r.mode, TFTP_MODE_NETASCII);
	assert_int_equal(r.opcode, TFTP_OP_WRQ);
	/* the name is kept as given: path checks are the server's */
	assert_int_equal(parse(PKT("\0\1../etc/passwd\0octet\0"), &r, msg), 0);
	assert_name(&r, "../etc/passwd");

	/* file name length limit */
	memset(name, 'a', sizeof(name));
	for (n = TFTP_MAX_FILENAME_LEN; n <= TFTP_MAX_FILENAME_LEN + 1; n++) {
		size_t len = 2 + n + 1 + sizeof("octet");

		memcpy(pkt, "\0\1", 2);
		memcpy(pkt + 2, name, n);
		memcpy(pkt + 2 + n, "\0octet", sizeof("octet") + 1);
		assert_int_equal(parse(pkt, len, &r, msg),
				 n > TFTP_MAX_FILENAME_LEN ? -EINVAL : 0);
	}
	assert_string_equal(msg, "file name of 256 bytes is over the limit "
			    "of 255");
}

/**
 * request_of_len() - an RRQ of exactly @len bytes, padded with an unknown
 * option.
 * @pkt: output, at least @len bytes
 * @len: total length, at least 28
 */
static void request_of_len(uint8_t *pkt, size_t len)
{
	static const char head[] = "\0\1f\0octet\0blksize\0" "1024\0x-pad\0";
	size_t h = sizeof(head) - 1;

	memcpy(pkt, head, h);
	memset(pkt + h, 'p', len - h - 1);
	pkt[len - 1] = '\0';
}

static void test_request_length(void **state)
{
	uint8_t pkt[TFTP_MAX_REQUEST_LEN + 1];
	struct tftp_request r;
	char msg[TFTP_MSG_LEN];

	(void)state;
	request_of_len(pkt, TFTP_MAX_REQUEST_LEN);
	assert_int_equal(parse(pkt, TFTP_MAX_REQUEST_LEN, &r, msg), 0);
	assert_int_equal(r.blksize, 1024);
	request_of_len(pkt, TFTP_MAX_REQUEST_LEN + 1);
	assert_int_equal(parse(pkt, sizeof(pkt), &r, msg), -EMSGSIZE);
	assert_string_equal(msg, "request of 513 bytes is over the limit of "
			    "512");
	assert_int_equal(tftp_error_code(-EMSGSIZE), TFTP_ERR_ILLEGAL_OP);
}

/* ---- option values ------------------------------------------------------ */

/**
 * one_option() - parse "f" octet with one option.
 * @opt: "name\0value" (without the final NUL)
 * @optlen: its length
 * @r: output
 * @msg: output message
 * Return: what the parser returned.
 */
static int one_option(const char *opt, size_t optlen, struct tftp_request *r,
		      char *msg)
{
	uint8_t pkt[TFTP_MAX_REQUEST_LEN];
	size_t h = sizeof("\0\1f\0octet") ;

	memcpy(pkt, "\0\1f\0octet", h);
	memcpy(pkt + h, opt, optlen);
	pkt[h + optlen] = '\0';
	return parse(pkt, h + optlen + 1, r, msg);
}

#define ONE(s, r, msg) one_option((s), sizeof(s) - 1, (r), (msg))

static void test_option_values(void **state)
{
	struct tftp_request r;
	char msg[TFTP_MSG_LEN];

	(void)state;
	/* the RFC ranges, at and past each end */
	assert_int_equal(ONE("blksize\0" "8", &r, msg), 0);
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE);
	assert_int_equal(r.blksize, 8);
	assert_int_equal(ONE("blksize\0" "65464", &r, msg), 0);
	assert_int_equal(r.blksize, 65464);
	assert_int_equal(ONE("blksize\0" "7", &r, msg), 0);
	assert_int_equal(r.options, 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_string_equal(msg, "blksize '7' is out of range 8..65464; "
			    "ignored");
	assert_int_equal(ONE("blksize\0" "70000", &r, msg), 0);
	assert_string_equal(msg, "blksize '70000' is out of range 8..65464; "
			    "ignored");
	assert_int_equal(ONE("blksize\0" "65465", &r, msg), 0);
	assert_int_equal(r.options, 0);
	assert_int_equal(ONE("timeout\0" "1", &r, msg), 0);
	assert_int_equal(r.timeout, 1);
	assert_int_equal(ONE("timeout\0" "255", &r, msg), 0);
	assert_int_equal(r.timeout, 255);
	assert_int_equal(ONE("timeout\0" "0", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_TIMEOUT);
	assert_string_equal(msg, "timeout '0' is out of range 1..255; ignored");
	assert_int_equal(ONE("timeout\0" "256", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_TIMEOUT);
	assert_int_equal(ONE("windowsize\0" "1", &r, msg), 0);
	assert_int_equal(r.windowsize, 1);
	assert_int_equal(ONE("windowsize\0" "65535", &r, msg), 0);
	assert_int_equal(r.windowsize, 65535);
	assert_int_equal(ONE("windowsize\0" "0", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_WINDOWSIZE);
	assert_int_equal(ONE("windowsize\0" "65536", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_WINDOWSIZE);
	assert_int_equal(ONE("tsize\0" "18446744073709551615", &r, msg), 0);
	assert_int_equal(r.tsize, UINT64_MAX);
	assert_int_equal(ONE("tsize\0" "18446744073709551616", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_TSIZE);
	assert_int_equal(ONE("blksize\0" "0001432", &r, msg), 0);
	assert_int_equal(r.blksize, 1432);

	/* not plain decimal numbers */
	assert_int_equal(ONE("blksize\0" "+512", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_string_equal(msg, "blksize '+512' is not a decimal number; "
			    "ignored");
	assert_int_equal(ONE("blksize\0" "-512", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_int_equal(ONE("blksize\0" " 512", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_int_equal(ONE("blksize\0" "512x", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_int_equal(ONE("blksize\0" "0x200", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_int_equal(ONE("blksize\0", &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_BLKSIZE);
	assert_string_equal(msg, "blksize '' is not a decimal number; ignored");
	assert_int_equal(ONE("tsize\0" "999999999999999999999999999x", &r, msg),
			 0);
	assert_int_equal(r.ignored, TFTP_OPT_TSIZE);
	assert_string_equal(msg, "tsize '999999999999999999999999...' is not "
			    "a decimal number; ignored");
	assert_int_equal(ONE("blksize\0" "99999999999999999999999999999", &r,
			     msg), 0);
	assert_string_equal(msg, "blksize '999999999999999999999999...' is "
			    "out of range 8..65464; ignored");
	assert_int_equal(r.options, 0);

	/* names are case-insensitive; unknown options are skipped */
	assert_int_equal(ONE("BlkSize\0" "1024", &r, msg), 0);
	assert_int_equal(r.blksize, 1024);
	assert_int_equal(ONE("WINDOWSIZE\0" "8", &r, msg), 0);
	assert_int_equal(r.windowsize, 8);
	assert_int_equal(ONE("multicast\0", &r, msg), 0);
	assert_int_equal(r.options, 0);
	assert_int_equal(r.ignored, 0);
	assert_string_equal(msg, "");
	assert_int_equal(ONE("blksize2\0" "1024", &r, msg), 0);
	assert_int_equal(r.options, 0);

	/* only the first ignored option is named; all are flagged */
	assert_int_equal(ONE("timeout\0" "0\0windowsize\0" "x\0blksize\0" "512",
			     &r, msg), 0);
	assert_int_equal(r.ignored, TFTP_OPT_TIMEOUT | TFTP_OPT_WINDOWSIZE);
	assert_int_equal(r.options, TFTP_OPT_BLKSIZE);
	assert_string_equal(msg, "timeout '0' is out of range 1..255; ignored");

	/* an option twice, in any case, valid or not, refuses the request */
	assert_int_equal(ONE("blksize\0" "512\0blksize\0" "1024", &r, msg),
			 -EPROTO);
	assert_string_equal(msg, "option blksize is given twice");
	assert_int_equal(tftp_error_code(-EPROTO), TFTP_ERR_OPTION);
	assert_int_equal(ONE("tsize\0" "0\0TSIZE\0" "0", &r, msg), -EPROTO);
	assert_int_equal(ONE("blksize\0" "1\0blksize\0" "1024", &r, msg),
			 -EPROTO);
	/* unknown options may repeat */
	assert_int_equal(ONE("x\0" "1\0x\0" "2", &r, msg), 0);
}

static void test_error_code(void **state)
{
	(void)state;
	assert_int_equal(tftp_error_code(-EINVAL), TFTP_ERR_ILLEGAL_OP);
	assert_int_equal(tftp_error_code(-EOPNOTSUPP), TFTP_ERR_ILLEGAL_OP);
	assert_int_equal(tftp_error_code(-EPROTO), TFTP_ERR_OPTION);
	assert_int_equal(tftp_error_code(-ENOMEM), TFTP_ERR_UNDEF);
}

/* ---- negotiation -------------------------------------------------------- */

static void test_negotiate(void **state)
{
	struct tftp_limits lim = { .max_blksize = 1432, .max_windowsize = 8,
				   .timeout = true, .tsize = true };
	struct tftp_request r;
	struct tftp_oack o;
	uint8_t buf[TFTP_MAX_OACK_LEN];

	(void)state;
	/* OVMF asks 1468 and window 4: clamp blksize, keep the window */
	assert_int_equal(parse(ovmf_rrq, sizeof(ovmf_rrq), &r, NULL), 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 171456, &o), 3);
	assert_int_equal(o.options, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
				    TFTP_OPT_WINDOWSIZE);
	assert_int_equal(o.blksize, 1432);
	assert_int_equal(o.tsize, 171456);
	assert_int_equal(o.windowsize, 4);
	lim.max_windowsize = 2;
	assert_int_equal(tftp_negotiate(&r, &lim, 171456, &o), 3);
	assert_int_equal(o.windowsize, 2);
	/* refused options are left out */
	lim.max_windowsize = 0;
	lim.max_blksize = 0;
	lim.tsize = false;
	assert_int_equal(tftp_negotiate(&r, &lim, 171456, &o), 0);
	assert_int_equal(o.options, 0);
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &o), -EINVAL);
	/* a server maximum above the RFC's is held to the RFC's */
	lim.max_blksize = UINT16_MAX;
	assert_int_equal(ONE("blksize\0" "65464", &r, NULL), 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 0, &o), 1);
	assert_int_equal(o.blksize, TFTP_BLKSIZE_MAX);
	/* options not asked for are never added */
	assert_int_equal(ONE("x\0" "1", &r, NULL), 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 10, &o), 0);

	/* timeout echoed; WRQ tsize echoed, RRQ tsize answered */
	lim.tsize = true;
	assert_int_equal(parse(PKT("\0\2f\0octet\0tsize\0" "1234\0timeout\0"
				   "5\0"), &r, NULL), 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 99, &o), 2);
	assert_int_equal(o.tsize, 1234);
	assert_int_equal(o.timeout, 5);
	lim.timeout = false;
	assert_int_equal(tftp_negotiate(&r, &lim, 99, &o), 1);
	assert_int_equal(o.options, TFTP_OPT_TSIZE);
	assert_int_equal(parse(PKT("\0\1f\0octet\0tsize\0" "1234\0"), &r, NULL),
			 0);
	assert_int_equal(tftp_negotiate(&r, &lim, 99, &o), 1);
	assert_int_equal(o.tsize, 99);
}

/* ---- encoders ----------------------------------------------------------- */

static void test_encode_oack(void **state)
{
	static const uint8_t want[] =
		"\0\6blksize\0" "65464\0tsize\0" "18446744073709551615\0"
		"timeout\0" "255\0windowsize\0" "65535";
	const struct tftp_oack all = {
		.options = TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
			   TFTP_OPT_TIMEOUT | TFTP_OPT_WINDOWSIZE,
		.blksize = TFTP_BLKSIZE_MAX, .tsize = UINT64_MAX,
		.timeout = TFTP_TIMEOUT_MAX, .windowsize = TFTP_WINDOWSIZE_MAX,
	};
	struct tftp_oack bad;
	uint8_t buf[TFTP_MAX_OACK_LEN];
	size_t n;

	(void)state;
	assert_true(sizeof(want) <= TFTP_MAX_OACK_LEN);
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &all),
			 sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	for (n = 0; n < sizeof(want); n++)
		assert_int_equal(tftp_encode_oack(buf, n, &all), -ENOBUFS);

	bad = all;
	bad.blksize = 7;
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &bad), -EINVAL);
	bad = all;
	bad.blksize = 65465;
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &bad), -EINVAL);
	bad = all;
	bad.timeout = 0;
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &bad), -EINVAL);
	bad = all;
	bad.windowsize = 0;
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &bad), -EINVAL);
	bad = all;
	bad.options |= 1U << 7;
	assert_int_equal(tftp_encode_oack(buf, sizeof(buf), &bad), -EINVAL);
}

static void test_encode_small(void **state)
{
	static const uint8_t data[] = { 0, 3, 0x12, 0x34 };
	static const uint8_t ack[] = { 0, 4, 0xff, 0xff };
	static const uint8_t err[] = "\0\5\0\1File not found";
	char longmsg[TFTP_MAX_ERROR_MSG_LEN + 50];
	uint8_t buf[TFTP_MAX_ERROR_MSG_LEN + 10];
	struct tftp_string text;
	uint16_t code;
	ssize_t n;

	(void)state;
	assert_int_equal(tftp_encode_data_header(buf, sizeof(buf), 0x1234), 4);
	assert_memory_equal(buf, data, 4);
	assert_int_equal(tftp_encode_data_header(buf, 3, 1), -ENOBUFS);
	assert_int_equal(tftp_encode_ack(buf, sizeof(buf), 0xffff), 4);
	assert_memory_equal(buf, ack, 4);
	assert_int_equal(tftp_encode_ack(buf, 3, 1), -ENOBUFS);

	assert_int_equal(tftp_encode_error(buf, sizeof(buf), TFTP_ERR_NOT_FOUND,
					   "File not found"), sizeof(err));
	assert_memory_equal(buf, err, sizeof(err));
	assert_int_equal(tftp_encode_error(buf, sizeof(err) - 1,
					   TFTP_ERR_NOT_FOUND,
					   "File not found"), -ENOBUFS);
	assert_int_equal(tftp_encode_error(buf, sizeof(buf), TFTP_ERR_MAX + 1,
					   "x"), -EINVAL);
	assert_int_equal(tftp_encode_error(buf, sizeof(buf), TFTP_ERR_UNDEF,
					   ""), 5);
	/* long messages are cut; what we send, we parse back */
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	n = tftp_encode_error(buf, sizeof(buf), TFTP_ERR_OPTION, longmsg);
	assert_int_equal(n, TFTP_HEADER_LEN + TFTP_MAX_ERROR_MSG_LEN + 1);
	assert_int_equal(tftp_parse_error(buf, (size_t)n, &code, &text, NULL),
			 0);
	assert_int_equal(code, TFTP_ERR_OPTION);
	assert_int_equal(text.len, TFTP_MAX_ERROR_MSG_LEN);
}

/* ---- ACK and ERROR edge cases ------------------------------------------- */

static void test_parse_ack_error(void **state)
{
	uint8_t big[TFTP_HEADER_LEN + TFTP_MAX_ERROR_MSG_LEN + 2];
	struct tftp_string text;
	uint16_t block, code;
	char msg[TFTP_MSG_LEN];

	(void)state;
	assert_int_equal(tftp_opcode(PKT("\0")), -EINVAL);
	assert_int_equal(tftp_opcode(PKT("\1\2")), 0x102);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0"), &block, msg), -EINVAL);
	assert_string_equal(msg, "ACK of 3 bytes, not 4");
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0\0\0"), &block, msg),
			 -EINVAL);
	assert_int_equal(tftp_parse_ack(PKT("\0"), &block, msg), -EINVAL);
	assert_string_equal(msg, "packet of 1 bytes is truncated");
	assert_int_equal(tftp_parse_ack(PKT("\0\4\xff\xfe"), &block, msg), 0);
	assert_int_equal(block, 0xfffe);

	assert_int_equal(tftp_parse_error(PKT("\0\5\0"), &code, &text, msg),
			 -EINVAL);
	assert_string_equal(msg, "ERROR of 3 bytes has no error code");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1"), &code, &text, msg),
			 -EINVAL);
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1\0"), &code, &text, msg),
			 0);
	assert_int_equal(text.len, 0);
	assert_int_equal(tftp_parse_error(PKT("\0\5\1\0x\0y"), &code, &text,
					  msg), -EINVAL);
	assert_string_equal(msg, "1 bytes after the ERROR message");
	assert_int_equal(tftp_parse_error(PKT("\0\5\1\0x\0"), &code, &text,
					  msg), 0);
	assert_int_equal(code, 0x100);	/* unknown codes are passed on */
	assert_int_equal(tftp_parse_error(PKT("\0\4\0\1\0"), &code, &text, msg),
			 -EINVAL);
	/* message length limit */
	memset(big, 'e', sizeof(big));
	memcpy(big, "\0\5\0\0", TFTP_HEADER_LEN);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tftp_parse_error(big, sizeof(big), &code, &text, msg),
			 -EINVAL);
	assert_string_equal(msg, "ERROR message of 256 bytes is over the "
			    "limit of 255");
	big[sizeof(big) - 2] = '\0';
	assert_int_equal(tftp_parse_error(big, sizeof(big) - 1, &code, &text,
					  msg), 0);
	assert_int_equal(text.len, TFTP_MAX_ERROR_MSG_LEN);
}

/* ---- block numbers ------------------------------------------------------ */

static void test_block_start(void **state)
{
	uint64_t idx = 0;

	(void)state;
	assert_int_equal(tftp_block_wire(0), 0);
	assert_int_equal(tftp_block_wire(65535), 65535);
	assert_int_equal(tftp_block_wire(65536), 0);
	assert_int_equal(tftp_block_wire(65537), 1);
	assert_int_equal(tftp_block_wire(UINT64_MAX), 65535);

	/* window of 4 after ACK 0 */
	assert_int_equal(tftp_classify_ack(1, 0, 4, &idx), TFTP_ACK_NEW);
	assert_int_equal(idx, 1);
	assert_int_equal(tftp_classify_ack(4, 0, 4, &idx), TFTP_ACK_NEW);
	assert_int_equal(idx, 4);
	assert_int_equal(tftp_classify_ack(0, 0, 4, &idx), TFTP_ACK_DUP);
	assert_int_equal(idx, 0);
	assert_int_equal(tftp_classify_ack(5, 0, 4, &idx), TFTP_ACK_OLD);
	assert_int_equal(tftp_classify_ack(65535, 0, 4, &idx), TFTP_ACK_OLD);
	/* all acknowledged: only the duplicate */
	assert_int_equal(tftp_classify_ack(4, 4, 4, &idx), TFTP_ACK_DUP);
	assert_int_equal(tftp_classify_ack(3, 4, 4, &idx), TFTP_ACK_OLD);
	/* bad state */
	assert_int_equal(tftp_classify_ack(1, 5, 4, &idx), TFTP_ACK_OLD);
	assert_int_equal(tftp_classify_ack(1, 0, 65536, &idx), TFTP_ACK_OLD);
}

static void test_block_wrap(void **state)
{
	const uint64_t bases[] = { 65534, 65535, 65536, 5 * 65536 - 2,
				   (1ULL << 40) + 65533,
				   UINT64_MAX - 70000 };
	uint64_t idx = 0;
	size_t i;

	(void)state;
	/* the first wrap: acked 65534, sent 65538 (wire 2) */
	assert_int_equal(tftp_classify_ack(65535, 65534, 65538, &idx),
			 TFTP_ACK_NEW);
	assert_int_equal(idx, 65535);
	assert_int_equal(tftp_classify_ack(0, 65534, 65538, &idx),
			 TFTP_ACK_NEW);
	assert_int_equal(idx, 65536);
	assert_int_equal(tftp_classify_ack(2, 65534, 65538, &idx),
			 TFTP_ACK_NEW);
	assert_int_equal(idx, 65538);
	assert_int_equal(tftp_classify_ack(65534, 65534, 65538, &idx),
			 TFTP_ACK_DUP);
	assert_int_equal(idx, 65534);
	assert_int_equal(tftp_classify_ack(3, 65534, 65538, &idx),
			 TFTP_ACK_OLD);
	assert_int_equal(tftp_classify_ack(65533, 65534, 65538, &idx),
			 TFTP_ACK_OLD);

	/* around several bases, each window size 0..8 and the largest:
	 * exactly the blocks in (acked, sent] are new, acked is the dup */
	for (i = 0; i < ARRAY_LEN(bases); i++) {
		const uint64_t acked = bases[i];
		const uint64_t windows[] = { 0, 1, 2, 3, 4, 8, 65535 };
		size_t w;

		for (w = 0; w < ARRAY_LEN(windows); w++) {
			uint64_t sent = acked + windows[w];
			uint32_t b;
			uint64_t news = 0;

			for (b = 0; b <= UINT16_MAX; b++) {
				enum tftp_ack_kind k;

				k = tftp_classify_ack((uint16_t)b, acked,
						      sent, &idx);
				if (k == TFTP_ACK_OLD)
					continue;
				assert_int_equal(tftp_block_wire(idx), b);
				if (k == TFTP_ACK_DUP) {
					assert_true(idx == acked);
				} else {
					assert_true(idx > acked);
					assert_true(idx <= sent);
					news++;
				}
			}
			assert_true(news == windows[w]);
		}
	}
}

/* A whole transfer over three wraps with window 4, where every ACK comes
 * twice and an ACK from before the wrap comes late: the server moves on
 * exactly once per window (no sorcerer's apprentice). */
static void test_block_transfer(void **state)
{
	const uint64_t last = 3 * 65536 + 10;
	const uint64_t window = 4;
	uint64_t acked = 0, sent = 0, idx = 0, moves = 0;

	(void)state;
	while (acked < last) {
		uint16_t b;

		sent = acked + window < last ? acked + window : last;
		b = tftp_block_wire(sent);
		assert_int_equal(tftp_classify_ack(b, acked, sent, &idx),
				 TFTP_ACK_NEW);
		assert_true(idx == sent);
		acked = idx;
		moves++;
		assert_int_equal(tftp_classify_ack(b, acked, sent, &idx),
				 TFTP_ACK_DUP);
		/* one from the window before */
		assert_int_equal(tftp_classify_ack(tftp_block_wire(acked - 5),
						   acked, sent, &idx),
				 TFTP_ACK_OLD);
	}
	assert_true(moves == (last + window - 1) / window);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captured_requests),
		cmocka_unit_test(test_captured_prefixes),
		cmocka_unit_test(test_captured_ack_error),
		cmocka_unit_test(test_oack_matches_dnsmasq),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_request_length),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_error_code),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_encode_oack),
		cmocka_unit_test(test_encode_small),
		cmocka_unit_test(test_parse_ack_error),
		cmocka_unit_test(test_block_start),
		cmocka_unit_test(test_block_wrap),
		cmocka_unit_test(test_block_transfer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
