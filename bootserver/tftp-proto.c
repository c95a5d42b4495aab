/* TFTP wire format: parsers and encoders over byte buffers (see
 * tftp-proto.h).
 *
 * Requests are read with a cursor over [buf, buf + len) that hands out one
 * NUL-terminated field at a time, so no input can make a parser read outside
 * the buffer.  Encoders compute the full packet length before writing.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tftp-proto.h"
#include "util.h"
#include "wire.h"

/** Most bytes of a client's value quoted in a message. */
#define QUOTE_MAX		24
/** Digits of the largest 64-bit value. */
#define U64_DIGITS		20

/* ---- helpers ------------------------------------------------------------ */

/* set_msg() - a message for the caller, if it passed a buffer. */
#define set_msg(msg, ...) err_set(msg, TFTP_MSG_LEN, __VA_ARGS__)

/**
 * quote() - a printable copy of client bytes for a message.
 * @out: buffer of QUOTE_MAX + 4 bytes
 * @s: the bytes
 * @len: their number
 * Non-printable bytes become '?'; longer input is cut and ends in "...".
 * Return: @out.
 */
static const char *quote(char *out, const char *s, size_t len)
{
	size_t i, n = len > QUOTE_MAX ? QUOTE_MAX : len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/** A read cursor over an input buffer. */
struct cursor {
	const uint8_t *p;	/* next byte */
	size_t left;		/* bytes from @p to the end */
};

/**
 * take_field() - consume one NUL-terminated field.
 * @c: cursor
 * @out: output, the field without its NUL, pointing into the buffer
 * Return: 0, or -EINVAL (nothing consumed) if no NUL is left.
 */
static int take_field(struct cursor *c, struct tftp_string *out)
{
	const uint8_t *nul;
	size_t n;

	if (!c->left)
		return -EINVAL;
	nul = memchr(c->p, '\0', c->left);
	if (!nul)
		return -EINVAL;
	n = (size_t)(nul - c->p);
	out->ptr = (const char *)c->p;
	out->len = (uint16_t)n;	/* callers bound the buffer to 64 KiB */
	c->p += n + 1;
	c->left -= n + 1;
	return 0;
}

/**
 * str_is() - compare a field with a lower-case name, ignoring case.
 * @s: the field
 * @name: the name
 * Return: true if equal.
 */
static bool str_is(const struct tftp_string *s, const char *name)
{
	return strlen(name) == s->len && !strncasecmp(s->ptr, name, s->len);
}

/**
 * parse_decimal() - a plain decimal number: digits only, no sign, no space.
 * @s: the field
 * @value: output
 * Return: 0; -EINVAL if not a number; -ERANGE if over UINT64_MAX.
 */
static int parse_decimal(const struct tftp_string *s, uint64_t *value)
{
	uint64_t v = 0;
	uint16_t i;

	if (!s->len)
		return -EINVAL;
	for (i = 0; i < s->len; i++) {
		unsigned d = (unsigned char)s->ptr[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10) {
			/* keep scanning: "99...9x" is not a number either */
			for (i++; i < s->len; i++)
				if ((unsigned)((unsigned char)s->ptr[i] - '0') > 9)
					return -EINVAL;
			return -ERANGE;
		}
		v = v * 10 + d;
	}
	*value = v;
	return 0;
}

/** A known option: its name, bit and range. */
struct option_def {
	const char *name;	/* lower case */
	uint32_t bit;		/* TFTP_OPT_* */
	uint64_t min, max;	/* valid range */
};

static const struct option_def option_defs[] = {
	{ "blksize", TFTP_OPT_BLKSIZE, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX },
	{ "tsize", TFTP_OPT_TSIZE, 0, UINT64_MAX },
	{ "timeout", TFTP_OPT_TIMEOUT, TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX },
	{ "windowsize", TFTP_OPT_WINDOWSIZE, TFTP_WINDOWSIZE_MIN,
	  TFTP_WINDOWSIZE_MAX },
};

#define NR_OPTION_DEFS	(sizeof(option_defs) / sizeof(option_defs[0]))

/**
 * store_option() - put a valid option value into the request.
 * @req: the request
 * @bit: TFTP_OPT_*
 * @v: the value, inside the option's range
 */
static void store_option(struct tftp_request *req, uint32_t bit, uint64_t v)
{
	switch (bit) {
	case TFTP_OPT_BLKSIZE:
		req->blksize = (uint16_t)v;
		break;
	case TFTP_OPT_TSIZE:
		req->tsize = v;
		break;
	case TFTP_OPT_TIMEOUT:
		req->timeout = (uint8_t)v;
		break;
	case TFTP_OPT_WINDOWSIZE:
		req->windowsize = (uint16_t)v;
		break;
	}
	req->options |= bit;
}

/**
 * take_option() - check one name/value pair and record it in @req.
 * @req: the request
 * @name: the option name
 * @value: its value
 * @seen: TFTP_OPT_* seen so far (valid or not); updated
 * @msg: message buffer or NULL
 * @noted: whether @msg already names an ignored option; updated
 * Return: 0 (also for unknown and ignored options), or -EPROTO for an
 * option given twice.
 */
static int take_option(struct tftp_request *req,
		       const struct tftp_string *name,
		       const struct tftp_string *value, uint32_t *seen,
		       char *msg, bool *noted)
{
	char q[QUOTE_MAX + 4];
	const struct option_def *def = NULL;
	uint64_t v = 0;
	size_t i;
	int ret;

	for (i = 0; i < NR_OPTION_DEFS; i++)
		if (str_is(name, option_defs[i].name))
			def = &option_defs[i];
	if (!def)
		return 0;
	if (*seen & def->bit) {
		set_msg(msg, "option %s is given twice", def->name);
		return -EPROTO;
	}
	*seen |= def->bit;

	ret = parse_decimal(value, &v);
	if (!ret && (v < def->min || v > def->max))
		ret = -ERANGE;
	if (!ret) {
		store_option(req, def->bit, v);
		return 0;
	}
	req->ignored |= def->bit;
	if (*noted)
		return 0;
	*noted = true;
	if (ret == -EINVAL)
		set_msg(msg, "%s '%s' is not a decimal number; ignored",
			def->name, quote(q, value->ptr, value->len));
	else
		set_msg(msg, "%s '%s' is out of range %llu..%llu; ignored",
			def->name, quote(q, value->ptr, value->len),
			(unsigned long long)def->min,
			(unsigned long long)def->max);
	return 0;
}

/* ---- parsers ------------------------------------------------------------ */

int tftp_opcode(const uint8_t *buf, size_t len)
{
	if (len < TFTP_OPCODE_LEN)
		return -EINVAL;
	return get_be16(buf);
}

int tftp_parse_request(const uint8_t *buf, size_t len,
		       struct tftp_request *req, char *msg)
{
	struct cursor c = { buf + TFTP_OPCODE_LEN, 0 };
	struct tftp_string mode, name, value;
	char q[QUOTE_MAX + 4];
	uint32_t seen = 0;
	bool noted = false;
	int op, ret;

	memset(req, 0, sizeof(*req));
	set_msg(msg, "%s", "");
	op = tftp_opcode(buf, len);
	if (op < 0) {
		set_msg(msg, "request of %zu bytes is truncated", len);
		return -EINVAL;
	}
	if (op != TFTP_OP_RRQ && op != TFTP_OP_WRQ) {
		set_msg(msg, "opcode %d is not a request", op);
		return -EINVAL;
	}
	if (len > TFTP_MAX_REQUEST_LEN) {
		set_msg(msg, "request of %zu bytes is over the limit of %d",
			len, TFTP_MAX_REQUEST_LEN);
		return -EMSGSIZE;
	}
	req->opcode = (uint16_t)op;
	c.left = len - TFTP_OPCODE_LEN;

	if (take_field(&c, &req->filename)) {
		set_msg(msg, "file name has no terminating NUL");
		return -EINVAL;
	}
	if (!req->filename.len) {
		set_msg(msg, "file name is empty");
		return -EINVAL;
	}
	if (req->filename.len > TFTP_MAX_FILENAME_LEN) {
		set_msg(msg, "file name of %u bytes is over the limit of %d",
			req->filename.len, TFTP_MAX_FILENAME_LEN);
		return -EINVAL;
	}
	if (take_field(&c, &mode)) {
		set_msg(msg, "mode is missing or has no terminating NUL");
		return -EINVAL;
	}
	if (str_is(&mode, "octet")) {
		req->mode = TFTP_MODE_OCTET;
	} else if (str_is(&mode, "netascii")) {
		req->mode = TFTP_MODE_NETASCII;
	} else if (str_is(&mode, "mail")) {
		set_msg(msg, "mode 'mail' is not supported");
		return -EOPNOTSUPP;
	} else {
		set_msg(msg, "unknown mode '%s'",
			quote(q, mode.ptr, mode.len));
		return -EINVAL;
	}

	while (c.left) {
		if (take_field(&c, &name)) {
			set_msg(msg, "option name '%s' has no terminating NUL",
				quote(q, (const char *)c.p, c.left));
			return -EINVAL;
		}
		if (!name.len) {
			set_msg(msg, "empty option name");
			return -EINVAL;
		}
		if (take_field(&c, &value)) {
			set_msg(msg, "option '%s' has no value",
				quote(q, name.ptr, name.len));
			return -EINVAL;
		}
		ret = take_option(req, &name, &value, &seen, msg, &noted);
		if (ret)
			return ret;
	}
	return 0;
}

int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *block,
		   char *msg)
{
	int op = tftp_opcode(buf, len);

	if (op < 0) {
		set_msg(msg, "packet of %zu bytes is truncated", len);
		return -EINVAL;
	}
	if (op != TFTP_OP_ACK) {
		set_msg(msg, "opcode %d is not ACK", op);
		return -EINVAL;
	}
	if (len != TFTP_HEADER_LEN) {
		set_msg(msg, "ACK of %zu bytes, not %d", len, TFTP_HEADER_LEN);
		return -EINVAL;
	}
	*block = get_be16(buf + TFTP_OPCODE_LEN);
	return 0;
}

int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *code,
		     struct tftp_string *text, char *msg)
{
	struct cursor c;
	int op = tftp_opcode(buf, len);

	if (op < 0) {
		set_msg(msg, "packet of %zu bytes is truncated", len);
		return -EINVAL;
	}
	if (op != TFTP_OP_ERROR) {
		set_msg(msg, "opcode %d is not ERROR", op);
		return -EINVAL;
	}
	if (len < TFTP_HEADER_LEN) {
		set_msg(msg, "ERROR of %zu bytes has no error code", len);
		return -EINVAL;
	}
	if (len - TFTP_HEADER_LEN > TFTP_MAX_ERROR_MSG_LEN + 1) {
		set_msg(msg, "ERROR message of %zu bytes is over the limit "
			"of %d", len - TFTP_HEADER_LEN - 1,
			TFTP_MAX_ERROR_MSG_LEN);
		return -EINVAL;
	}
	c.p = buf + TFTP_HEADER_LEN;
	c.left = len - TFTP_HEADER_LEN;
	if (take_field(&c, text)) {
		set_msg(msg, "ERROR message has no terminating NUL");
		return -EINVAL;
	}
	if (c.left) {
		set_msg(msg, "%zu bytes after the ERROR message", c.left);
		return -EINVAL;
	}
	*code = get_be16(buf + TFTP_OPCODE_LEN);
	return 0;
}

uint16_t tftp_error_code(int err)
{
	switch (err) {
	case -EPROTO:
		return TFTP_ERR_OPTION;
	case -EINVAL:
	case -EMSGSIZE:
	case -EOPNOTSUPP:
		return TFTP_ERR_ILLEGAL_OP;
	default:
		return TFTP_ERR_UNDEF;
	}
}

/* ---- negotiation -------------------------------------------------------- */

int tftp_negotiate(const struct tftp_request *req,
		   const struct tftp_limits *lim, uint64_t file_size,
		   struct tftp_oack *oack)
{
	int n = 0;

	memset(oack, 0, sizeof(*oack));
	if ((req->options & TFTP_OPT_BLKSIZE) &&
	    lim->max_blksize >= TFTP_BLKSIZE_MIN) {
		oack->blksize = req->blksize < lim->max_blksize ?
				req->blksize : lim->max_blksize;
		if (oack->blksize > TFTP_BLKSIZE_MAX)
			oack->blksize = TFTP_BLKSIZE_MAX;
		oack->options |= TFTP_OPT_BLKSIZE;
		n++;
	}
	if ((req->options & TFTP_OPT_TSIZE) && lim->tsize) {
		oack->tsize = req->opcode == TFTP_OP_RRQ ? file_size :
			      req->tsize;
		oack->options |= TFTP_OPT_TSIZE;
		n++;
	}
	if ((req->options & TFTP_OPT_TIMEOUT) && lim->timeout) {
		oack->timeout = req->timeout;
		oack->options |= TFTP_OPT_TIMEOUT;
		n++;
	}
	if ((req->options & TFTP_OPT_WINDOWSIZE) && lim->max_windowsize) {
		oack->windowsize = req->windowsize < lim->max_windowsize ?
				   req->windowsize : lim->max_windowsize;
		oack->options |= TFTP_OPT_WINDOWSIZE;
		n++;
	}
	return n;
}

/* ---- encoders ----------------------------------------------------------- */

/**
 * put_option() - append "name\0value\0" to an OACK under construction.
 * @p: where to write, or NULL to only count
 * @name: option name
 * @v: value
 * Return: the number of bytes it takes.
 */
static size_t put_option(uint8_t *p, const char *name, uint64_t v)
{
	char num[U64_DIGITS + 1];
	size_t nl = strlen(name) + 1;
	size_t vl = (size_t)snprintf(num, sizeof(num), "%llu",
				     (unsigned long long)v) + 1;

	if (p) {
		memcpy(p, name, nl);
		memcpy(p + nl, num, vl);
	}
	return nl + vl;
}

/**
 * oack_body() - write or measure the options of an OACK.
 * @p: where the first option goes, or NULL to only count
 * @oack: the options
 * Return: the number of bytes after the opcode.
 */
static size_t oack_body(uint8_t *p, const struct tftp_oack *oack)
{
	size_t n = 0;

	if (oack->options & TFTP_OPT_BLKSIZE)
		n += put_option(p ? p + n : NULL, "blksize", oack->blksize);
	if (oack->options & TFTP_OPT_TSIZE)
		n += put_option(p ? p + n : NULL, "tsize", oack->tsize);
	if (oack->options & TFTP_OPT_TIMEOUT)
		n += put_option(p ? p + n : NULL, "timeout", oack->timeout);
	if (oack->options & TFTP_OPT_WINDOWSIZE)
		n += put_option(p ? p + n : NULL, "windowsize",
				oack->windowsize);
	return n;
}

ssize_t tftp_encode_oack(uint8_t *buf, size_t size,
			 const struct tftp_oack *oack)
{
	const uint32_t known = TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
			       TFTP_OPT_TIMEOUT | TFTP_OPT_WINDOWSIZE;
	size_t len;

	if (!oack->options || (oack->options & ~known))
		return -EINVAL;
	if ((oack->options & TFTP_OPT_BLKSIZE) &&
	    (oack->blksize < TFTP_BLKSIZE_MIN ||
	     oack->blksize > TFTP_BLKSIZE_MAX))
		return -EINVAL;
	if ((oack->options & TFTP_OPT_TIMEOUT) &&
	    oack->timeout < TFTP_TIMEOUT_MIN)
		return -EINVAL;
	if ((oack->options & TFTP_OPT_WINDOWSIZE) &&
	    oack->windowsize < TFTP_WINDOWSIZE_MIN)
		return -EINVAL;
	len = TFTP_OPCODE_LEN + oack_body(NULL, oack);
	if (len > size)
		return -ENOBUFS;
	put_be16(buf, TFTP_OP_OACK);
	oack_body(buf + TFTP_OPCODE_LEN, oack);
	return (ssize_t)len;
}

/**
 * encode_header() - opcode and a 16-bit number (DATA, ACK).
 * @buf: output
 * @size: size of @buf
 * @op: opcode
 * @block: block number
 * Return: TFTP_HEADER_LEN, or -ENOBUFS.
 */
static ssize_t encode_header(uint8_t *buf, size_t size, uint16_t op,
			     uint16_t block)
{
	if (size < TFTP_HEADER_LEN)
		return -ENOBUFS;
	put_be16(put_be16(buf, op), block);
	return TFTP_HEADER_LEN;
}

ssize_t tftp_encode_data_header(uint8_t *buf, size_t size, uint16_t block)
{
	return encode_header(buf, size, TFTP_OP_DATA, block);
}

ssize_t tftp_encode_ack(uint8_t *buf, size_t size, uint16_t block)
{
	return encode_header(buf, size, TFTP_OP_ACK, block);
}

ssize_t tftp_encode_error(uint8_t *buf, size_t size, uint16_t code,
			  const char *text)
{
	size_t tl = strnlen(text, TFTP_MAX_ERROR_MSG_LEN);
	size_t len = TFTP_HEADER_LEN + tl + 1;

	if (code > TFTP_ERR_MAX)
		return -EINVAL;
	if (len > size)
		return -ENOBUFS;
	put_be16(put_be16(buf, TFTP_OP_ERROR), code);
	memcpy(buf + TFTP_HEADER_LEN, text, tl);
	buf[TFTP_HEADER_LEN + tl] = '\0';
	return (ssize_t)len;
}

/* ---- block numbers ------------------------------------------------------ */

uint16_t tftp_block_wire(uint64_t index)
{
	return (uint16_t)(index % TFTP_BLOCK_MODULO);
}

enum tftp_ack_kind tftp_classify_ack(uint16_t block, uint64_t acked,
				     uint64_t sent, uint64_t *index)
{
	/* distance back from @sent to the block, modulo 2^16 */
	uint64_t back = (uint16_t)(tftp_block_wire(sent) - block);

	if (sent < acked || sent - acked >= TFTP_BLOCK_MODULO)
		return TFTP_ACK_OLD;
	if (back > sent - acked)
		return TFTP_ACK_OLD;	/* before @acked, or never sent */
	*index = sent - back;
	return *index == acked ? TFTP_ACK_DUP : TFTP_ACK_NEW;
}
