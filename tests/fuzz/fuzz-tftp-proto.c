/* libFuzzer target: the TFTP wire-format parsers of bootserver/tftp-proto.c
 * (requests with options, ACK, ERROR), the negotiation and OACK encoder, and
 * the ACK block-number mapping.
 *
 * The whole input is one UDP payload, as a client would send it, so the seed
 * corpus is made of captured packets.  Each parser gets an exact-size heap
 * copy so that ASan sees any over-read.  Beyond not crashing, results must be
 * self-consistent: strings inside the input, values inside the RFC ranges,
 * and every OACK we encode parses back to the options it was built from.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootserver/tftp-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** The start of a request the OACK body is appended to for re-parsing. */
static const uint8_t rrq_head[] = "\0\1f\0octet";

/**
 * dup_bytes() - an exact-size heap copy of @len bytes.
 * @src: bytes
 * @len: number of bytes
 * Return: the copy (at least 1 byte allocated), or NULL.
 */
static uint8_t *dup_bytes(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

/**
 * check_string() - a parsed string lies inside its buffer and has no NUL.
 * @s: the string
 * @buf: the parsed buffer
 * @len: its length
 */
static void check_string(const struct tftp_string *s, const uint8_t *buf,
			 size_t len)
{
	const uint8_t *p = (const uint8_t *)s->ptr;

	if (s->len && (p < buf || p + s->len > buf + len))
		abort();
	if (s->len && memchr(p, '\0', s->len))
		abort();
}

/**
 * check_msg() - a message buffer holds a terminated string.
 * @msg: buffer of TFTP_MSG_LEN bytes
 */
static void check_msg(const char *msg)
{
	if (!memchr(msg, '\0', TFTP_MSG_LEN))
		abort();
}

/**
 * check_oack() - encode @o, turn it into a request and parse it back.
 * @o: options from tftp_negotiate()
 */
static void check_oack(const struct tftp_oack *o)
{
	uint8_t oack[TFTP_MAX_OACK_LEN], req[TFTP_MAX_OACK_LEN + sizeof(rrq_head)];
	struct tftp_request back;
	ssize_t n = tftp_encode_oack(oack, sizeof(oack), o);
	size_t len;

	if (n < TFTP_OPCODE_LEN || n > TFTP_MAX_OACK_LEN)
		abort();
	if (tftp_opcode(oack, (size_t)n) != TFTP_OP_OACK)
		abort();
	memcpy(req, rrq_head, sizeof(rrq_head));
	memcpy(req + sizeof(rrq_head), oack + TFTP_OPCODE_LEN,
	       (size_t)n - TFTP_OPCODE_LEN);
	len = sizeof(rrq_head) + (size_t)n - TFTP_OPCODE_LEN;
	if (tftp_parse_request(req, len, &back, NULL))
		abort();
	if (back.options != o->options || back.ignored)
		abort();
	if (((o->options & TFTP_OPT_BLKSIZE) && back.blksize != o->blksize) ||
	    ((o->options & TFTP_OPT_TSIZE) && back.tsize != o->tsize) ||
	    ((o->options & TFTP_OPT_TIMEOUT) && back.timeout != o->timeout) ||
	    ((o->options & TFTP_OPT_WINDOWSIZE) &&
	     back.windowsize != o->windowsize))
		abort();
}

/**
 * fuzz_request() - parse @buf as RRQ/WRQ and negotiate.
 * @buf: the packet (exact-size allocation)
 * @len: its length
 * @lim: the server's limits
 */
static void fuzz_request(const uint8_t *buf, size_t len,
			 const struct tftp_limits *lim)
{
	char msg[TFTP_MSG_LEN];
	struct tftp_request r;
	struct tftp_oack o;
	int rc, n;

	rc = tftp_parse_request(buf, len, &r, msg);
	check_msg(msg);
	if (rc) {
		if (rc != -EINVAL && rc != -EMSGSIZE && rc != -EOPNOTSUPP &&
		    rc != -EPROTO)
			abort();
		return;
	}
	if (len > TFTP_MAX_REQUEST_LEN)
		abort();
	if (r.opcode != TFTP_OP_RRQ && r.opcode != TFTP_OP_WRQ)
		abort();
	if (!r.filename.len || r.filename.len > TFTP_MAX_FILENAME_LEN)
		abort();
	check_string(&r.filename, buf, len);
	if (r.mode != TFTP_MODE_OCTET && r.mode != TFTP_MODE_NETASCII)
		abort();
	if (r.options & r.ignored)
		abort();
	if ((r.options & TFTP_OPT_BLKSIZE) &&
	    (r.blksize < TFTP_BLKSIZE_MIN || r.blksize > TFTP_BLKSIZE_MAX))
		abort();
	if ((r.options & TFTP_OPT_TIMEOUT) && r.timeout < TFTP_TIMEOUT_MIN)
		abort();
	if ((r.options & TFTP_OPT_WINDOWSIZE) && r.windowsize < 1)
		abort();

	n = tftp_negotiate(&r, lim, len * 1000003ULL, &o);
	if (n < 0 || n > 4 || (o.options & ~r.options))
		abort();
	if ((o.options & TFTP_OPT_BLKSIZE) &&
	    (o.blksize > lim->max_blksize || o.blksize > r.blksize))
		abort();
	if ((o.options & TFTP_OPT_WINDOWSIZE) &&
	    (o.windowsize > lim->max_windowsize || o.windowsize > r.windowsize))
		abort();
	if (n)
		check_oack(&o);
}

/**
 * fuzz_ack_error() - parse @buf as ACK and as ERROR.
 * @buf: the packet (exact-size allocation)
 * @len: its length
 */
static void fuzz_ack_error(const uint8_t *buf, size_t len)
{
	uint8_t out[TFTP_HEADER_LEN + TFTP_MAX_ERROR_MSG_LEN + 1];
	char msg[TFTP_MSG_LEN], text_copy[TFTP_MAX_ERROR_MSG_LEN + 1];
	struct tftp_string text, again;
	uint16_t block, code, code2;
	ssize_t n;

	if (!tftp_parse_ack(buf, len, &block, msg) && len != TFTP_HEADER_LEN)
		abort();
	check_msg(msg);
	if (tftp_parse_error(buf, len, &code, &text, msg))
		return;
	check_msg(msg);
	check_string(&text, buf, len);
	if (text.len > TFTP_MAX_ERROR_MSG_LEN)
		abort();
	/* what we parsed, we can send back identically */
	memcpy(text_copy, text.ptr, text.len);
	text_copy[text.len] = '\0';
	n = tftp_encode_error(out, sizeof(out), code, text_copy);
	if (code > TFTP_ERR_MAX) {
		if (n != -EINVAL)
			abort();
		return;
	}
	if (n != (ssize_t)len || memcmp(out, buf, len))
		abort();
	if (tftp_parse_error(out, (size_t)n, &code2, &again, NULL) ||
	    code2 != code || again.len != text.len)
		abort();
}

/**
 * fuzz_blocks() - map an ACK block number with state taken from the input.
 * @data: input bytes (at least 12)
 */
static void fuzz_blocks(const uint8_t *data)
{
	uint16_t block = (uint16_t)(data[0] << 8 | data[1]);
	uint64_t acked = 0, sent, idx = 0;
	uint32_t window = (uint32_t)data[10] << 8 | data[11];
	enum tftp_ack_kind k;
	int i;

	for (i = 2; i < 10; i++)
		acked = acked << 8 | data[i];
	if (acked > UINT64_MAX - window)
		acked -= window;
	sent = acked + window;
	k = tftp_classify_ack(block, acked, sent, &idx);
	if (k == TFTP_ACK_OLD)
		return;
	if (tftp_block_wire(idx) != block)
		abort();
	if (k == TFTP_ACK_DUP && idx != acked)
		abort();
	if (k == TFTP_ACK_NEW && (idx <= acked || idx > sent))
		abort();
}

/**
 * LLVMFuzzerTestOneInput() - run every parser on @data.
 * @data: one UDP payload
 * @size: number of bytes
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_limits lim = { 0 };
	uint8_t *buf = dup_bytes(data, size);

	if (!buf)
		return 0;
	/* limits from the input size, so both clamping and refusal run */
	lim.max_blksize = (uint16_t)(size * 977);
	lim.max_windowsize = (uint16_t)(size * 31 % 17);
	lim.timeout = size & 1;
	lim.tsize = size & 2;
	fuzz_request(buf, size, &lim);
	fuzz_ack_error(buf, size);
	if (size >= 12)
		fuzz_blocks(data);
	free(buf);
	return 0;
}
