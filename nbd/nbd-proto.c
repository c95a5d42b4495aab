/* NBD wire format: parsers and encoders over byte buffers (see nbd-proto.h).
 *
 * Parsers take a cursor over [buf, buf + len) and every read checks the bytes
 * left first, so no input can make them read outside the buffer.  Encoders
 * compute the full message length before writing anything.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nbd-proto.h"
#include "util.h"
#include "wire.h"

/** Most bytes of an error message we send (fits the 16-bit length too). */
#define NBD_MAX_MESSAGE_LEN	NBD_MAX_STRING_LEN
/** Largest minimum block size ("Block size constraints"). */
#define NBD_MAX_MIN_BLOCK_SIZE	(64U * 1024)
/** A maximum block size meaning "no limit but the export size". */
#define NBD_BLOCK_SIZE_ANY	0xffffffffU
/** Bytes in NBD_REPLY_TYPE_OFFSET_DATA/HOLE payloads before the data. */
#define NBD_CHUNK_OFFSET_LEN	8

/* ---- helpers ------------------------------------------------------------ */

/* set_msg() - a message for the caller, if it passed a buffer. */
#define set_msg(msg, ...) err_set(msg, NBD_MSG_LEN, __VA_ARGS__)

/** A read cursor over an input buffer. */
struct cursor {
	const uint8_t *p;	/* next byte */
	size_t left;		/* bytes from @p to the end */
};

/**
 * take() - consume @n bytes from @c.
 * @c: cursor
 * @n: number of bytes
 * Return: pointer to them, or NULL (nothing consumed) if fewer are left.
 */
static const uint8_t *take(struct cursor *c, size_t n)
{
	const uint8_t *p = c->p;

	if (n > c->left)
		return NULL;
	c->p += n;
	c->left -= n;
	return p;
}

/**
 * take_string() - consume a string of @len bytes ("Conventions": no NUL,
 * at most NBD_MAX_STRING_LEN bytes).
 * @c: cursor
 * @len: its length, as sent
 * @field: what the string is, for the message
 * @out: output, pointing into the buffer
 * @msg: message buffer or NULL
 * Return: 0 or -EINVAL.
 */
static int take_string(struct cursor *c, uint32_t len, const char *field,
		       struct nbd_string *out, char *msg)
{
	const uint8_t *p;

	if (len > NBD_MAX_STRING_LEN) {
		set_msg(msg, "%s length %u is over the limit of %u bytes",
			field, len, NBD_MAX_STRING_LEN);
		return -EINVAL;
	}
	p = take(c, len);
	if (!p) {
		set_msg(msg, "%s length %u runs past the end of the option "
			"(%zu bytes left)", field, len, c->left);
		return -EINVAL;
	}
	if (memchr(p, '\0', len)) {
		set_msg(msg, "%s contains a NUL byte", field);
		return -EINVAL;
	}
	out->ptr = (const char *)p;
	out->len = len;
	return 0;
}

/**
 * take_u32() - consume a 32-bit field.
 * @c: cursor
 * @field: its name, for the message
 * @v: output
 * @msg: message buffer or NULL
 * Return: 0 or -EINVAL if the buffer ends first.
 */
static int take_u32(struct cursor *c, const char *field, uint32_t *v,
		    char *msg)
{
	const uint8_t *p = take(c, 4);

	if (!p) {
		set_msg(msg, "option truncated: %s needs 4 bytes, %zu left",
			field, c->left);
		return -EINVAL;
	}
	*v = get_be32(p);
	return 0;
}

/* ---- handshake ("Newstyle negotiation", "Fixed newstyle negotiation") --- */

ssize_t nbd_encode_handshake(uint8_t *buf, size_t size, uint16_t hflags)
{
	uint8_t *p = buf;

	if (size < NBD_HANDSHAKE_LEN)
		return -ENOBUFS;
	p = put_be64(p, NBD_MAGIC);
	p = put_be64(p, NBD_IHAVEOPT);
	put_be16(p, hflags);
	return NBD_HANDSHAKE_LEN;
}

/* "Client flags": the server MUST drop the connection for an unknown flag or
 * one that it did not advertise. */
int nbd_parse_client_flags(const uint8_t *buf, size_t len, uint16_t hflags,
			   uint32_t *cflags, char *msg)
{
	uint32_t known = NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES;
	uint32_t v;

	if (len != NBD_CLIENT_FLAGS_LEN) {
		set_msg(msg, "client flags are %zu bytes, expected %d",
			len, NBD_CLIENT_FLAGS_LEN);
		return -EINVAL;
	}
	v = get_be32(buf);
	if (v & ~known) {
		set_msg(msg, "client flags 0x%08x: unknown bits 0x%08x",
			v, v & ~known);
		return -EPROTO;
	}
	if ((v & NBD_FLAG_C_FIXED_NEWSTYLE) &&
	    !(hflags & NBD_FLAG_FIXED_NEWSTYLE)) {
		set_msg(msg, "client flags: FIXED_NEWSTYLE was not offered");
		return -EPROTO;
	}
	if ((v & NBD_FLAG_C_NO_ZEROES) && !(hflags & NBD_FLAG_NO_ZEROES)) {
		set_msg(msg, "client flags: NO_ZEROES was not offered");
		return -EPROTO;
	}
	*cflags = v;
	return 0;
}

/* "Newstyle negotiation": IHAVEOPT, 32-bit option, 32-bit length. */
int nbd_parse_option_header(const uint8_t *buf, size_t len,
			    struct nbd_option_header *hdr, char *msg)
{
	uint64_t magic;

	if (len < NBD_OPTION_HEADER_LEN) {
		set_msg(msg, "option header truncated: %zu of %d bytes",
			len, NBD_OPTION_HEADER_LEN);
		return -EINVAL;
	}
	magic = get_be64(buf);
	if (magic != NBD_IHAVEOPT) {
		set_msg(msg, "option magic 0x%016llx is not IHAVEOPT",
			(unsigned long long)magic);
		return -EPROTO;
	}
	hdr->option = get_be32(buf + 8);
	hdr->length = get_be32(buf + 12);
	if (hdr->length > NBD_MAX_OPTION_LEN) {
		set_msg(msg, "option %u length %u is over the limit of %u bytes",
			hdr->option, hdr->length, NBD_MAX_OPTION_LEN);
		return -E2BIG;
	}
	return 0;
}

/* "Option types", NBD_OPT_EXPORT_NAME: the whole payload is the name. */
int nbd_parse_opt_export_name(const uint8_t *buf, size_t len,
			      struct nbd_string *name, char *msg)
{
	struct cursor c = { buf, len };

	if (len > NBD_MAX_STRING_LEN) {
		set_msg(msg, "export name length %zu is over the limit of %u "
			"bytes", len, NBD_MAX_STRING_LEN);
		return -EINVAL;
	}
	return take_string(&c, (uint32_t)len, "export name", name, msg);
}

/* "Option types", NBD_OPT_INFO and NBD_OPT_GO: 32-bit name length, name,
 * 16-bit number of information requests, that many 16-bit NBD_INFO_*. */
int nbd_parse_opt_go(const uint8_t *buf, size_t len, struct nbd_opt_go *go,
		     char *msg)
{
	struct cursor c = { buf, len };
	const uint8_t *p;
	uint32_t namelen;
	size_t want;
	int rc;

	rc = take_u32(&c, "export name length", &namelen, msg);
	if (rc)
		return rc;
	rc = take_string(&c, namelen, "export name", &go->name, msg);
	if (rc)
		return rc;
	p = take(&c, 2);
	if (!p) {
		set_msg(msg, "option truncated: information request count "
			"needs 2 bytes, %zu left", c.left);
		return -EINVAL;
	}
	go->nr_requests = get_be16(p);
	want = (size_t)go->nr_requests * 2;
	if (c.left != want) {
		set_msg(msg, "information request count %u needs %zu bytes, "
			"option has %zu", go->nr_requests, want, c.left);
		return -EINVAL;
	}
	go->requests = c.p;
	return 0;
}

uint16_t nbd_opt_go_request(const struct nbd_opt_go *go, uint16_t i)
{
	return get_be16(go->requests + (size_t)i * 2);
}

/* "Option types", NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT:
 * 32-bit name length, name, 32-bit query count, then each query as a 32-bit
 * length and a string.  The spec requires NBD_REP_ERR_INVALID when a length
 * would read past the option. */
int nbd_parse_opt_meta(const uint8_t *buf, size_t len,
		       struct nbd_opt_meta *meta, char *msg)
{
	struct cursor c = { buf, len };
	uint32_t namelen, count, qlen, i;
	int rc;

	rc = take_u32(&c, "export name length", &namelen, msg);
	if (rc)
		return rc;
	rc = take_string(&c, namelen, "export name", &meta->name, msg);
	if (rc)
		return rc;
	rc = take_u32(&c, "query count", &count, msg);
	if (rc)
		return rc;
	/* each query takes at least its 4-byte length */
	if (count > c.left / 4) {
		set_msg(msg, "query count %u does not fit in the %zu bytes "
			"left", count, c.left);
		return -EINVAL;
	}
	if (count > NBD_MAX_META_QUERIES) {
		set_msg(msg, "query count %u is over the limit of %d",
			count, NBD_MAX_META_QUERIES);
		return -E2BIG;
	}
	for (i = 0; i < count; i++) {
		rc = take_u32(&c, "query length", &qlen, msg);
		if (rc)
			return rc;
		rc = take_string(&c, qlen, "query", &meta->queries[i], msg);
		if (rc)
			return rc;
	}
	if (c.left) {
		set_msg(msg, "%zu bytes after the last query", c.left);
		return -EINVAL;
	}
	meta->nr_queries = count;
	return 0;
}

/* ---- option replies ("Option reply types") ------------------------------ */

/**
 * put_rep_header() - write an option reply header.
 * @p: output, NBD_OPTION_REPLY_HEADER_LEN bytes
 * @option: option answered
 * @type: NBD_REP_*
 * @len: payload length
 * Return: @p past the header.
 */
static uint8_t *put_rep_header(uint8_t *p, uint32_t option, uint32_t type,
			       uint32_t len)
{
	p = put_be64(p, NBD_REP_MAGIC);
	p = put_be32(p, option);
	p = put_be32(p, type);
	return put_be32(p, len);
}

/**
 * checked_strlen() - length of a string we are about to send.
 * @s: NUL-terminated string
 * Return: its length, or -EINVAL when over NBD_MAX_STRING_LEN.
 */
static ssize_t checked_strlen(const char *s)
{
	size_t n = strnlen(s, NBD_MAX_STRING_LEN + 1);

	return n > NBD_MAX_STRING_LEN ? -EINVAL : (ssize_t)n;
}

ssize_t nbd_encode_option_reply(uint8_t *buf, size_t size, uint32_t option,
				uint32_t type, const void *payload, size_t len)
{
	size_t total = NBD_OPTION_REPLY_HEADER_LEN + len;
	uint8_t *p;

	if (len > NBD_MAX_OPTION_LEN)
		return -EINVAL;
	if (size < total)
		return -ENOBUFS;
	p = put_rep_header(buf, option, type, (uint32_t)len);
	if (len)
		memcpy(p, payload, len);
	return (ssize_t)total;
}

/* "NBD_REP_SERVER": 32-bit name length, name, then optional text. */
ssize_t nbd_encode_rep_server(uint8_t *buf, size_t size, const char *name,
			      const char *description)
{
	ssize_t nlen = checked_strlen(name);
	ssize_t dlen = description ? checked_strlen(description) : 0;
	size_t plen, total;
	uint8_t *p;

	if (nlen < 0 || dlen < 0)
		return -EINVAL;
	plen = 4 + (size_t)nlen + (size_t)dlen;
	total = NBD_OPTION_REPLY_HEADER_LEN + plen;
	if (size < total)
		return -ENOBUFS;
	p = put_rep_header(buf, NBD_OPT_LIST, NBD_REP_SERVER, (uint32_t)plen);
	p = put_be32(p, (uint32_t)nlen);
	memcpy(p, name, (size_t)nlen);
	if (dlen)
		memcpy(p + nlen, description, (size_t)dlen);
	return (ssize_t)total;
}

/* "NBD_REP_INFO", NBD_INFO_EXPORT: type, 64-bit size, 16-bit flags. */
ssize_t nbd_encode_rep_info_export(uint8_t *buf, size_t size, uint32_t option,
				   uint64_t export_size, uint16_t tflags)
{
	const size_t plen = 2 + 8 + 2;
	uint8_t *p;

	if (size < NBD_OPTION_REPLY_HEADER_LEN + plen)
		return -ENOBUFS;
	p = put_rep_header(buf, option, NBD_REP_INFO, plen);
	p = put_be16(p, NBD_INFO_EXPORT);
	p = put_be64(p, export_size);
	put_be16(p, tflags);
	return NBD_OPTION_REPLY_HEADER_LEN + plen;
}

/* "NBD_REP_INFO", NBD_INFO_NAME / NBD_INFO_DESCRIPTION: type, string. */
ssize_t nbd_encode_rep_info_string(uint8_t *buf, size_t size, uint32_t option,
				   uint16_t info, const char *text)
{
	ssize_t tlen = checked_strlen(text);
	size_t plen, total;
	uint8_t *p;

	if (tlen < 0 || (info != NBD_INFO_NAME && info != NBD_INFO_DESCRIPTION))
		return -EINVAL;
	plen = 2 + (size_t)tlen;
	total = NBD_OPTION_REPLY_HEADER_LEN + plen;
	if (size < total)
		return -ENOBUFS;
	p = put_rep_header(buf, option, NBD_REP_INFO, (uint32_t)plen);
	p = put_be16(p, info);
	memcpy(p, text, (size_t)tlen);
	return (ssize_t)total;
}

/* "NBD_REP_INFO", NBD_INFO_BLOCK_SIZE: type, min, preferred, max. */
ssize_t nbd_encode_rep_info_block_size(uint8_t *buf, size_t size,
				       uint32_t option, uint32_t min,
				       uint32_t preferred, uint32_t max)
{
	const size_t plen = 2 + 4 + 4 + 4;
	uint8_t *p;

	if (!is_power_of_two(min) || min > NBD_MAX_MIN_BLOCK_SIZE ||
	    !is_power_of_two(preferred) || max < min ||
	    (max != NBD_BLOCK_SIZE_ANY && max % min))
		return -EINVAL;
	if (size < NBD_OPTION_REPLY_HEADER_LEN + plen)
		return -ENOBUFS;
	p = put_rep_header(buf, option, NBD_REP_INFO, plen);
	p = put_be16(p, NBD_INFO_BLOCK_SIZE);
	p = put_be32(p, min);
	p = put_be32(p, preferred);
	put_be32(p, max);
	return NBD_OPTION_REPLY_HEADER_LEN + plen;
}

/* "NBD_REP_META_CONTEXT": 32-bit context id, name. */
ssize_t nbd_encode_rep_meta_context(uint8_t *buf, size_t size, uint32_t option,
				    uint32_t id, const char *name)
{
	ssize_t nlen = checked_strlen(name);
	size_t plen, total;
	uint8_t *p;

	if (nlen < 0)
		return -EINVAL;
	plen = 4 + (size_t)nlen;
	total = NBD_OPTION_REPLY_HEADER_LEN + plen;
	if (size < total)
		return -ENOBUFS;
	p = put_rep_header(buf, option, NBD_REP_META_CONTEXT, (uint32_t)plen);
	p = put_be32(p, id);
	memcpy(p, name, (size_t)nlen);
	return (ssize_t)total;
}

/* Error replies: bit 31 set; the payload is text for people. */
ssize_t nbd_encode_rep_error(uint8_t *buf, size_t size, uint32_t option,
			     uint32_t type, const char *message)
{
	size_t mlen = message ? strnlen(message, NBD_MAX_MESSAGE_LEN) : 0;

	if (!(type & NBD_REP_FLAG_ERROR))
		return -EINVAL;
	return nbd_encode_option_reply(buf, size, option, type, message, mlen);
}

/* "Newstyle negotiation": size, transmission flags, 124 zeroes unless
 * NBD_FLAG_C_NO_ZEROES was negotiated. */
ssize_t nbd_encode_export_name_reply(uint8_t *buf, size_t size,
				     uint64_t export_size, uint16_t tflags,
				     bool no_zeroes)
{
	size_t total = NBD_EXPORT_NAME_REPLY_LEN +
		       (no_zeroes ? 0 : NBD_EXPORT_NAME_ZEROES);
	uint8_t *p;

	if (size < total)
		return -ENOBUFS;
	p = put_be64(buf, export_size);
	p = put_be16(p, tflags);
	if (!no_zeroes)
		memset(p, 0, NBD_EXPORT_NAME_ZEROES);
	return (ssize_t)total;
}

/* ---- transmission ("Request message", "Request types") ------------------ */

int nbd_parse_request(const uint8_t *buf, size_t len, struct nbd_request *req,
		      char *msg)
{
	uint32_t magic;

	if (len < NBD_REQUEST_LEN) {
		set_msg(msg, "request truncated: %zu of %d bytes",
			len, NBD_REQUEST_LEN);
		return -EINVAL;
	}
	magic = get_be32(buf);
	if (magic != NBD_REQUEST_MAGIC) {
		set_msg(msg, "request magic 0x%08x is not 0x%08x",
			magic, NBD_REQUEST_MAGIC);
		return -EPROTO;
	}
	req->flags = get_be16(buf + 4);
	req->type = get_be16(buf + 6);
	req->cookie = get_be64(buf + 8);
	req->offset = get_be64(buf + 16);
	req->length = get_be32(buf + 24);
	return 0;
}

uint32_t nbd_request_payload(const struct nbd_request *req)
{
	return req->type == NBD_CMD_WRITE ? req->length : 0;
}

/**
 * command_name() - a command's spec name, for messages.
 * @type: NBD_CMD_*
 * Return: static string.
 */
static const char *command_name(uint16_t type)
{
	switch (type) {
	case NBD_CMD_READ:		return "READ";
	case NBD_CMD_WRITE:		return "WRITE";
	case NBD_CMD_DISC:		return "DISC";
	case NBD_CMD_FLUSH:		return "FLUSH";
	case NBD_CMD_TRIM:		return "TRIM";
	case NBD_CMD_CACHE:		return "CACHE";
	case NBD_CMD_WRITE_ZEROES:	return "WRITE_ZEROES";
	case NBD_CMD_BLOCK_STATUS:	return "BLOCK_STATUS";
	default:			return "unknown";
	}
}

/**
 * allowed_flags() - the command flags valid for @type on this export
 * ("Command flags": FUA on any command once SEND_FUA is advertised; NO_HOLE
 * and FAST_ZERO on WRITE_ZEROES; DF on READ; REQ_ONE on BLOCK_STATUS).
 * @type: NBD_CMD_*
 * @caps: export and negotiation
 * Return: mask of NBD_CMD_FLAG_*.
 */
static uint16_t allowed_flags(uint16_t type, const struct nbd_export_caps *caps)
{
	uint16_t ok = 0;

	if (caps->tflags & NBD_FLAG_SEND_FUA)
		ok |= NBD_CMD_FLAG_FUA;
	switch (type) {
	case NBD_CMD_READ:
		if ((caps->tflags & NBD_FLAG_SEND_DF) && caps->structured)
			ok |= NBD_CMD_FLAG_DF;
		break;
	case NBD_CMD_WRITE_ZEROES:
		ok |= NBD_CMD_FLAG_NO_HOLE;
		if (caps->tflags & NBD_FLAG_SEND_FAST_ZERO)
			ok |= NBD_CMD_FLAG_FAST_ZERO;
		break;
	case NBD_CMD_BLOCK_STATUS:
		ok |= NBD_CMD_FLAG_REQ_ONE;
		break;
	}
	return ok;
}

/**
 * command_enabled() - whether the client may send @type at all: a known
 * command whose transmission flag was advertised (or negotiation done).
 * @type: NBD_CMD_*
 * @caps: export and negotiation
 * Return: true if enabled.
 */
static bool command_enabled(uint16_t type, const struct nbd_export_caps *caps)
{
	switch (type) {
	case NBD_CMD_READ:
	case NBD_CMD_WRITE:
		return true;
	case NBD_CMD_FLUSH:
		return caps->tflags & NBD_FLAG_SEND_FLUSH;
	case NBD_CMD_TRIM:
		return caps->tflags & NBD_FLAG_SEND_TRIM;
	case NBD_CMD_CACHE:
		return caps->tflags & NBD_FLAG_SEND_CACHE;
	case NBD_CMD_WRITE_ZEROES:
		return caps->tflags & NBD_FLAG_SEND_WRITE_ZEROES;
	case NBD_CMD_BLOCK_STATUS:
		/* "Metadata querying": needs structured replies and a
		 * selected context */
		return caps->structured && caps->meta_context;
	default:
		return false;
	}
}

/**
 * is_write_command() - whether @type changes the export.
 * @type: NBD_CMD_*
 * Return: true for WRITE, TRIM and WRITE_ZEROES.
 */
static bool is_write_command(uint16_t type)
{
	return type == NBD_CMD_WRITE || type == NBD_CMD_TRIM ||
	       type == NBD_CMD_WRITE_ZEROES;
}

/* "Error values": EINVAL for unknown commands and flags, EPERM for writes
 * to a read-only export, ENOSPC for writes past the end; EINVAL for reads
 * and BLOCK_STATUS past the end.  Oversized reads get EOVERFLOW. */
int nbd_check_request(const struct nbd_request *req,
		      const struct nbd_export_caps *caps, uint32_t *error,
		      char *msg)
{
	const char *name = command_name(req->type);
	uint16_t bad;
	int rc = -EINVAL;

	*error = 0;
	/* "NBD_CMD_DISC": no reply; the caller closes the connection */
	if (req->type == NBD_CMD_DISC)
		return 0;
	/* "Request message": a write payload we will not read means the
	 * stream is lost */
	if (req->type == NBD_CMD_WRITE && req->length > NBD_MAX_PAYLOAD) {
		set_msg(msg, "WRITE length %u is over the limit of %u bytes",
			req->length, NBD_MAX_PAYLOAD);
		return -EPROTO;
	}
	/* A write, trim or zero on a read-only export is EPERM even though
	 * those commands were not offered ("NBD_FLAG_READ_ONLY"). */
	if (is_write_command(req->type) && (caps->tflags & NBD_FLAG_READ_ONLY)) {
		set_msg(msg, "command %s on a read-only export", name);
		*error = NBD_EPERM;
		goto err;
	}
	if (!command_enabled(req->type, caps)) {
		if (strcmp(name, "unknown") != 0)
			set_msg(msg, "command %s was not negotiated", name);
		else
			set_msg(msg, "unknown command %u", req->type);
		*error = NBD_EINVAL;
		goto err;
	}
	bad = req->flags & ~allowed_flags(req->type, caps);
	if (bad) {
		set_msg(msg, "command %s: flags 0x%04x not allowed", name, bad);
		*error = NBD_EINVAL;
		goto err;
	}
	if (req->type == NBD_CMD_FLUSH) {
		/* "NBD_CMD_FLUSH": offset and length MUST be zero */
		if (req->offset || req->length) {
			set_msg(msg, "FLUSH with offset %llu length %u: both "
				"must be 0", (unsigned long long)req->offset,
				req->length);
			*error = NBD_EINVAL;
			goto err;
		}
		return 0;
	}
	if (req->type == NBD_CMD_READ && req->length > NBD_MAX_PAYLOAD) {
		set_msg(msg, "READ length %u is over the limit of %u bytes",
			req->length, NBD_MAX_PAYLOAD);
		*error = NBD_EOVERFLOW;
		goto err;
	}
	/* offset + length, without overflowing */
	if (req->offset > caps->size ||
	    req->length > caps->size - req->offset) {
		set_msg(msg, "command %s offset %llu length %u is past the end "
			"of the export (%llu bytes)", name,
			(unsigned long long)req->offset, req->length,
			(unsigned long long)caps->size);
		*error = is_write_command(req->type) ? NBD_ENOSPC : NBD_EINVAL;
		goto err;
	}
	return 0;
err:
	return rc;
}

/* ---- replies ("Simple reply message", "Structured reply chunk message") - */

ssize_t nbd_encode_simple_reply(uint8_t *buf, size_t size, uint32_t error,
				uint64_t cookie)
{
	uint8_t *p;

	if (size < NBD_SIMPLE_REPLY_LEN)
		return -ENOBUFS;
	p = put_be32(buf, NBD_SIMPLE_REPLY_MAGIC);
	p = put_be32(p, error);
	put_be64(p, cookie);
	return NBD_SIMPLE_REPLY_LEN;
}

/**
 * put_chunk_header() - write a structured reply chunk header.
 * @p: output, NBD_CHUNK_HEADER_LEN bytes
 * @flags: NBD_REPLY_FLAG_*
 * @type: NBD_REPLY_TYPE_*
 * @cookie: the request's cookie
 * @len: payload length
 * Return: @p past the header.
 */
static uint8_t *put_chunk_header(uint8_t *p, uint16_t flags, uint16_t type,
				 uint64_t cookie, uint32_t len)
{
	p = put_be32(p, NBD_STRUCTURED_REPLY_MAGIC);
	p = put_be16(p, flags);
	p = put_be16(p, type);
	p = put_be64(p, cookie);
	return put_be32(p, len);
}

/* "NBD_REPLY_TYPE_NONE": length 0, always NBD_REPLY_FLAG_DONE. */
ssize_t nbd_encode_chunk_none(uint8_t *buf, size_t size, uint64_t cookie)
{
	if (size < NBD_CHUNK_HEADER_LEN)
		return -ENOBUFS;
	put_chunk_header(buf, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_NONE,
			 cookie, 0);
	return NBD_CHUNK_HEADER_LEN;
}

/* "NBD_REPLY_TYPE_OFFSET_DATA": 64-bit offset, then length - 8 data bytes
 * (length at least 9). */
ssize_t nbd_encode_chunk_data_header(uint8_t *buf, size_t size, uint16_t flags,
				     uint64_t cookie, uint64_t offset,
				     uint32_t data_len)
{
	const size_t total = NBD_CHUNK_HEADER_LEN + NBD_CHUNK_OFFSET_LEN;
	uint8_t *p;

	if (data_len == 0 || data_len > UINT32_MAX - NBD_CHUNK_OFFSET_LEN)
		return -EINVAL;
	if (size < total)
		return -ENOBUFS;
	p = put_chunk_header(buf, flags, NBD_REPLY_TYPE_OFFSET_DATA, cookie,
			     NBD_CHUNK_OFFSET_LEN + data_len);
	put_be64(p, offset);
	return (ssize_t)total;
}

/* "NBD_REPLY_TYPE_OFFSET_HOLE": 64-bit offset, 32-bit nonzero size. */
ssize_t nbd_encode_chunk_hole(uint8_t *buf, size_t size, uint16_t flags,
			      uint64_t cookie, uint64_t offset,
			      uint32_t hole_len)
{
	const size_t plen = NBD_CHUNK_OFFSET_LEN + 4;
	uint8_t *p;

	if (hole_len == 0)
		return -EINVAL;
	if (size < NBD_CHUNK_HEADER_LEN + plen)
		return -ENOBUFS;
	p = put_chunk_header(buf, flags, NBD_REPLY_TYPE_OFFSET_HOLE, cookie,
			     plen);
	p = put_be64(p, offset);
	put_be32(p, hole_len);
	return NBD_CHUNK_HEADER_LEN + plen;
}

/* "NBD_REPLY_TYPE_BLOCK_STATUS": 32-bit context id, then one or more
 * (32-bit length, 32-bit flags) descriptors. */
ssize_t nbd_encode_chunk_block_status(uint8_t *buf, size_t size,
				      uint16_t flags, uint64_t cookie,
				      uint32_t context_id,
				      const struct nbd_extent *extents,
				      size_t nr_extents)
{
	size_t plen, total, i;
	uint8_t *p;

	if (nr_extents == 0 ||
	    nr_extents > (NBD_MAX_PAYLOAD - 4) / NBD_EXTENT_LEN)
		return -EINVAL;
	for (i = 0; i < nr_extents; i++)
		if (extents[i].length == 0)
			return -EINVAL;
	plen = 4 + nr_extents * NBD_EXTENT_LEN;
	total = NBD_CHUNK_HEADER_LEN + plen;
	if (size < total)
		return -ENOBUFS;
	p = put_chunk_header(buf, flags, NBD_REPLY_TYPE_BLOCK_STATUS, cookie,
			     (uint32_t)plen);
	p = put_be32(p, context_id);
	for (i = 0; i < nr_extents; i++) {
		p = put_be32(p, extents[i].length);
		p = put_be32(p, extents[i].flags);
	}
	return (ssize_t)total;
}

/* "NBD_REPLY_TYPE_ERROR": 32-bit nonzero error, 16-bit message length,
 * message. */
ssize_t nbd_encode_chunk_error(uint8_t *buf, size_t size, uint16_t flags,
			       uint64_t cookie, uint32_t error,
			       const char *message)
{
	size_t mlen = message ? strnlen(message, NBD_MAX_MESSAGE_LEN) : 0;
	size_t plen = 4 + 2 + mlen;
	size_t total = NBD_CHUNK_HEADER_LEN + plen;
	uint8_t *p;

	if (error == 0)
		return -EINVAL;
	if (size < total)
		return -ENOBUFS;
	p = put_chunk_header(buf, flags, NBD_REPLY_TYPE_ERROR, cookie,
			     (uint32_t)plen);
	p = put_be32(p, error);
	p = put_be16(p, (uint16_t)mlen);
	if (mlen)
		memcpy(p, message, mlen);
	return (ssize_t)total;
}
