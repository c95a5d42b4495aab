/* libFuzzer target: the NBD wire-format parsers of nbd/nbd-proto.c — the
 * client flags, option header, the payloads of EXPORT_NAME, INFO/GO and
 * LIST/SET_META_CONTEXT, and request headers with their validation.
 *
 * The first input byte picks the export the requests are checked against;
 * the rest is read as a client would send it: an option header followed by
 * its payload, repeated, or a stream of requests.  Each parser gets its
 * input in an exact-size heap copy so that ASan sees any over-read.  Beyond
 * not crashing, results must be self-consistent (strings inside the input,
 * lengths within limits, accepted requests inside the export).
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbd/nbd-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
static void check_string(const struct nbd_string *s, const uint8_t *buf,
			 size_t len)
{
	const uint8_t *p = (const uint8_t *)s->ptr;

	if (s->len > NBD_MAX_STRING_LEN)
		abort();
	if (s->len && (p < buf || p + s->len > buf + len))
		abort();
	if (s->len && memchr(p, '\0', s->len))
		abort();
}

/**
 * fuzz_payloads() - run every option payload parser on @buf.
 * @buf: payload bytes (exact-size allocation)
 * @len: number of bytes
 */
static void fuzz_payloads(const uint8_t *buf, size_t len)
{
	struct nbd_string name;
	struct nbd_opt_go go;
	struct nbd_opt_meta meta;
	char msg[NBD_MSG_LEN];
	uint16_t i;
	int rc;

	if (nbd_parse_opt_export_name(buf, len, &name, msg) == 0)
		check_string(&name, buf, len);
	if (nbd_parse_opt_go(buf, len, &go, msg) == 0) {
		check_string(&go.name, buf, len);
		if (4 + go.name.len + 2 + (size_t)go.nr_requests * 2 != len)
			abort();
		for (i = 0; i < go.nr_requests; i++)
			(void)nbd_opt_go_request(&go, i);
	}
	rc = nbd_parse_opt_meta(buf, len, &meta, msg);
	if (rc == 0) {
		check_string(&meta.name, buf, len);
		if (meta.nr_queries > NBD_MAX_META_QUERIES)
			abort();
		for (i = 0; i < meta.nr_queries; i++)
			check_string(&meta.queries[i], buf, len);
	} else if (rc != -EINVAL && rc != -E2BIG) {
		abort();
	}
}

/**
 * fuzz_options() - read @data as a sequence of options.
 * @data: input
 * @size: its length
 */
static void fuzz_options(const uint8_t *data, size_t size)
{
	struct nbd_option_header hdr;
	char msg[NBD_MSG_LEN];
	uint32_t cflags;
	uint8_t *buf;
	size_t take;
	int rc;

	/* the client flags come first */
	take = size < NBD_CLIENT_FLAGS_LEN ? size : NBD_CLIENT_FLAGS_LEN;
	buf = dup_bytes(data, take);
	if (!buf)
		return;
	rc = nbd_parse_client_flags(buf, take, NBD_FLAG_FIXED_NEWSTYLE,
				    &cflags, msg);
	free(buf);
	if (rc == 0 && (cflags & ~NBD_FLAG_C_FIXED_NEWSTYLE))
		abort();
	data += take;
	size -= take;

	while (size) {
		take = size < NBD_OPTION_HEADER_LEN ? size :
		       NBD_OPTION_HEADER_LEN;
		buf = dup_bytes(data, take);
		if (!buf)
			return;
		rc = nbd_parse_option_header(buf, take, &hdr, msg);
		free(buf);
		data += take;
		size -= take;
		if (rc == -E2BIG && hdr.length <= NBD_MAX_OPTION_LEN)
			abort();
		if (rc != 0) {
			/* keep going, as if resynchronised: the payload
			 * parsers still get bytes to chew on */
			hdr.length = (uint32_t)(size < 64 ? size : 64);
		}
		take = hdr.length < size ? hdr.length : size;
		buf = dup_bytes(data, take);
		if (!buf)
			return;
		fuzz_payloads(buf, take);
		free(buf);
		data += take;
		size -= take;
	}
}

/**
 * fuzz_requests() - read @data as a stream of requests and check each.
 * @caps: the export
 * @data: input
 * @size: its length
 */
static void fuzz_requests(const struct nbd_export_caps *caps,
			  const uint8_t *data, size_t size)
{
	struct nbd_request req;
	char msg[NBD_MSG_LEN];
	uint32_t error;
	uint8_t *buf;
	size_t take;
	int rc;

	while (size) {
		take = size < NBD_REQUEST_LEN ? size : NBD_REQUEST_LEN;
		buf = dup_bytes(data, take);
		if (!buf)
			return;
		rc = nbd_parse_request(buf, take, &req, msg);
		free(buf);
		data += take;
		size -= take;
		if (rc != 0)
			continue;
		rc = nbd_check_request(&req, caps, &error, msg);
		if (rc == 0) {
			if (error != 0)
				abort();
			if (req.type != NBD_CMD_DISC &&
			    req.offset + req.length < req.offset)
				abort();
			if (req.type != NBD_CMD_DISC &&
			    req.offset + req.length > caps->size)
				abort();
			if (req.type == NBD_CMD_WRITE &&
			    (caps->tflags & NBD_FLAG_READ_ONLY))
				abort();
		} else if (rc == -EINVAL) {
			if (error == 0)
				abort();
		} else if (rc != -EPROTO) {
			abort();
		}
		/* skip a write payload, as the server would */
		take = nbd_request_payload(&req);
		if (rc == -EPROTO)
			return;
		if (take > size)
			take = size;
		data += take;
		size -= take;
	}
}

/**
 * LLVMFuzzerTestOneInput() - run the option and request parsers on @data.
 * @data: input bytes; the first selects the export's capabilities
 * @size: number of bytes
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nbd_export_caps caps;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	caps.size = (sel & 0x80) ? UINT64_MAX : (uint64_t)(sel & 0x0f) << 20;
	caps.tflags = NBD_FLAG_HAS_FLAGS;
	if (sel & 0x10)
		caps.tflags |= NBD_FLAG_READ_ONLY;
	if (sel & 0x20)
		caps.tflags |= NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
			       NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES |
			       NBD_FLAG_SEND_FAST_ZERO | NBD_FLAG_SEND_DF;
	caps.structured = sel & 0x40;
	caps.meta_context = caps.structured && (sel & 0x01);

	fuzz_options(data + 1, size - 1);
	fuzz_requests(&caps, data + 1, size - 1);
	return 0;
}
