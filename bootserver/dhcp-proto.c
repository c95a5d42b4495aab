/* DHCPv4 wire format: see dhcp-proto.h.  RFC section names are quoted
 * beside the code that implements them. */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcp-proto.h"
#include "util.h"
#include "wire.h"

/* one byte of code, one of length, in front of every option value */
#define OPT_HDR_LEN	2

/* set_msg() - a message for the caller, if it passed a buffer. */
#define set_msg(msg, ...) err_set(msg, DHCP_MSG_LEN, __VA_ARGS__)

/* ---- parsing ------------------------------------------------------------ */

/** One area that holds options: the options field, file or sname. */
struct opt_area {
	size_t start;		/* offset in the message */
	size_t len;		/* bytes */
	const char *name;	/* for messages */
	bool main;		/* the options field (the only place for 52) */
};

/**
 * walk_area() - walk the options of one area, either counting them (pass 1:
 * @fill NULL) or copying their values into @req->data (pass 2).
 * @buf: the message
 * @area: where to look
 * @req: lengths are summed into req->len in pass 1, values copied in pass 2
 * @fill: pass 2: bytes already copied per code
 * @overload: pass 1: set to option 52's value when seen (main area)
 * @has_end: set to whether an end option closed the area
 * @msg: message buffer or NULL
 * Return: 0 or -EINVAL.
 */
static int walk_area(const uint8_t *buf, const struct opt_area *area,
		     struct dhcp_request *req, uint32_t *fill,
		     uint8_t *overload, bool *has_end, char *msg)
{
	const uint8_t *p = buf + area->start;
	size_t i = 0;

	*has_end = false;
	while (i < area->len) {
		uint8_t code = p[i];
		size_t olen, left;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END) {
			*has_end = true;
			return 0;
		}
		if (i + 1 >= area->len) {
			set_msg(msg, "option %u at offset %zu: no length byte "
				"before the end of the %s", code,
				area->start + i, area->name);
			return -EINVAL;
		}
		olen = p[i + 1];
		left = area->len - i - OPT_HDR_LEN;
		if (olen > left) {
			set_msg(msg, "option %u at offset %zu: length %zu runs "
				"past the end of the %s (%zu bytes left)",
				code, area->start + i, olen, area->name, left);
			return -EINVAL;
		}
		if (code == DHCP_OPT_OVERLOAD && !area->main) {
			/* RFC 2131 section 4.1: only in the options field;
			 * anywhere else it would point at itself */
			set_msg(msg, "option 52 at offset %zu: overload inside "
				"the %s (only allowed in the options field)",
				area->start + i, area->name);
			return -EINVAL;
		}
		if (!fill) {
			req->present[code] = true;
			req->len[code] += (uint32_t)olen;
			if (code == DHCP_OPT_OVERLOAD && olen == 1)
				*overload = p[i + 2];
		} else {
			memcpy(req->data + req->off[code] + fill[code],
			       p + i + OPT_HDR_LEN, olen);
			fill[code] += (uint32_t)olen;
		}
		i += OPT_HDR_LEN + olen;
	}
	return 0;
}

/**
 * bytes_of() - the joined value of option @code, or an empty dhcp_bytes.
 * @req: message being parsed
 * @code: option code
 * Return: the value.
 */
static struct dhcp_bytes bytes_of(const struct dhcp_request *req,
				  uint8_t code)
{
	struct dhcp_bytes b = { NULL, 0 };

	if (req->present[code]) {
		b.ptr = req->data + req->off[code];
		b.len = req->len[code];
	}
	return b;
}

/**
 * check_len() - an option, if present, has a length in [@min, @max].
 * @req: message being parsed
 * @code: option code
 * @min: shortest allowed
 * @max: longest allowed
 * @what: name for the message
 * @msg: message buffer or NULL
 * Return: 0 or -EINVAL.
 */
static int check_len(const struct dhcp_request *req, uint8_t code,
		     uint32_t min, uint32_t max, const char *what, char *msg)
{
	uint32_t len = req->len[code];

	if (!req->present[code] || (len >= min && len <= max))
		return 0;
	if (min == max)
		set_msg(msg, "option %u (%s) has length %u, expected %u",
			code, what, len, min);
	else if (max == UINT32_MAX)
		set_msg(msg, "option %u (%s) has length %u, expected at "
			"least %u", code, what, len, min);
	else
		set_msg(msg, "option %u (%s) has length %u, expected %u to %u",
			code, what, len, min, max);
	return -EINVAL;
}

/**
 * starts_with() - whether @b begins with the string @prefix.
 * @b: bytes
 * @prefix: NUL-terminated prefix
 * Return: true if so.
 */
static bool starts_with(const struct dhcp_bytes *b, const char *prefix)
{
	size_t n = strlen(prefix);

	return b->ptr && b->len >= n && memcmp(b->ptr, prefix, n) == 0;
}

/**
 * equals() - whether @b is exactly the string @s.
 * @b: bytes
 * @s: NUL-terminated string
 * Return: true if so.
 */
static bool equals(const struct dhcp_bytes *b, const char *s)
{
	return b->ptr && b->len == strlen(s) && memcmp(b->ptr, s, b->len) == 0;
}

/**
 * parse_user_class() - split option 77 into classes.  RFC 3004 gives each
 * class a length byte; iPXE and others send one bare string.  When the
 * length-prefixed reading does not cover the value exactly, the whole value
 * is taken as one class.
 * @req: message being parsed
 */
static void parse_user_class(struct dhcp_request *req)
{
	const struct dhcp_bytes *uc = &req->user_class;
	uint32_t pos = 0, n = 0;

	req->nr_user_classes = 0;
	if (!uc->ptr || uc->len == 0)
		return;
	while (pos < uc->len) {
		uint32_t l = uc->ptr[pos];

		if (l == 0 || l > uc->len - pos - 1 ||
		    n == DHCP_MAX_USER_CLASSES)
			break;
		req->user_classes[n].ptr = uc->ptr + pos + 1;
		req->user_classes[n].len = l;
		n++;
		pos += 1 + l;
	}
	if (pos == uc->len) {
		req->nr_user_classes = n;
	} else {
		req->user_classes[0] = *uc;
		req->nr_user_classes = 1;
	}
}

/**
 * parse_known() - check and extract the options with a fixed shape.
 * @req: message being parsed, options joined
 * @msg: message buffer or NULL
 * Return: 0 or -EINVAL.
 */
static int parse_known(struct dhcp_request *req, char *msg)
{
	struct dhcp_bytes v;
	uint32_t i;
	int rc;

	if ((rc = check_len(req, DHCP_OPT_MSG_TYPE, DHCP_MSG_TYPE_LEN,
			    DHCP_MSG_TYPE_LEN, "message type", msg)) ||
	    (rc = check_len(req, DHCP_OPT_REQUESTED_IP, DHCP_ADDR_LEN,
			    DHCP_ADDR_LEN, "requested address", msg)) ||
	    (rc = check_len(req, DHCP_OPT_SERVER_ID, DHCP_ADDR_LEN,
			    DHCP_ADDR_LEN, "server identifier", msg)) ||
	    (rc = check_len(req, DHCP_OPT_MAX_SIZE, DHCP_MAX_SIZE_LEN,
			    DHCP_MAX_SIZE_LEN, "maximum message size", msg)) ||
	    (rc = check_len(req, DHCP_OPT_CLIENT_ID, DHCP_CLIENT_ID_MIN_LEN,
			    UINT32_MAX, "client identifier", msg)) ||
	    (rc = check_len(req, DHCP_OPT_CLIENT_ARCH, DHCP_ARCH_LEN,
			    UINT32_MAX, "client architecture", msg)) ||
	    (rc = check_len(req, DHCP_OPT_CLIENT_NDI, DHCP_NDI_LEN,
			    DHCP_NDI_LEN, "client network interface", msg)) ||
	    (rc = check_len(req, DHCP_OPT_CLIENT_UUID, 1 + DHCP_UUID_LEN,
			    1 + DHCP_UUID_LEN, "client machine identifier",
			    msg)))
		goto err;

	v = bytes_of(req, DHCP_OPT_MSG_TYPE);
	if (v.ptr)
		req->msg_type = v.ptr[0];
	v = bytes_of(req, DHCP_OPT_REQUESTED_IP);
	if (v.ptr) {
		req->has_requested_ip = true;
		req->requested_ip = get_be32(v.ptr);
	}
	v = bytes_of(req, DHCP_OPT_SERVER_ID);
	if (v.ptr) {
		req->has_server_id = true;
		req->server_id = get_be32(v.ptr);
	}
	/* RFC 2132 section 9.10: the minimum legal value is 576; a smaller
	 * one is taken as the default rather than refused */
	req->max_size = DHCP_DEFAULT_MAX_SIZE;
	v = bytes_of(req, DHCP_OPT_MAX_SIZE);
	if (v.ptr && get_be16(v.ptr) > DHCP_DEFAULT_MAX_SIZE)
		req->max_size = get_be16(v.ptr);

	v = bytes_of(req, DHCP_OPT_CLIENT_ARCH);
	if (v.ptr) {
		if (v.len % DHCP_ARCH_LEN) {
			set_msg(msg, "option 93 (client architecture) has "
				"length %u, not a multiple of 2", v.len);
			rc = -EINVAL;
			goto err;
		}
		req->has_arch = true;
		req->arch = get_be16(v.ptr);
	}
	v = bytes_of(req, DHCP_OPT_CLIENT_NDI);
	if (v.ptr) {
		req->has_ndi = true;
		memcpy(req->ndi, v.ptr, DHCP_NDI_LEN);
	}
	v = bytes_of(req, DHCP_OPT_CLIENT_UUID);
	if (v.ptr) {
		if (v.ptr[0] != DHCP_UUID_TYPE) {
			set_msg(msg, "option 97 (client machine identifier) "
				"has type %u, expected 0", v.ptr[0]);
			rc = -EINVAL;
			goto err;
		}
		req->has_uuid = true;
		memcpy(req->uuid, v.ptr + 1, DHCP_UUID_LEN);
	}

	req->client_id = bytes_of(req, DHCP_OPT_CLIENT_ID);
	req->param_list = bytes_of(req, DHCP_OPT_PARAM_LIST);
	req->vendor_class = bytes_of(req, DHCP_OPT_VENDOR_CLASS);
	req->user_class = bytes_of(req, DHCP_OPT_USER_CLASS);
	req->vendor = bytes_of(req, DHCP_OPT_VENDOR);
	req->ipxe = bytes_of(req, DHCP_OPT_IPXE);
	req->relay_agent = bytes_of(req, DHCP_OPT_RELAY_AGENT);

	req->is_pxe = starts_with(&req->vendor_class, PXE_VENDOR_CLASS);
	req->is_http = starts_with(&req->vendor_class, HTTP_VENDOR_CLASS);
	parse_user_class(req);
	req->is_ipxe = req->present[DHCP_OPT_IPXE];
	for (i = 0; i < req->nr_user_classes; i++)
		if (equals(&req->user_classes[i], IPXE_USER_CLASS))
			req->is_ipxe = true;

	/* option 43's layout belongs to the vendor class: PXE sub-options */
	if (req->is_pxe && req->vendor.ptr) {
		rc = dhcp_find_subopt(req->vendor.ptr, req->vendor.len,
				      PXE_OPT_BOOT_ITEM, &v);
		if (rc < 0) {
			set_msg(msg, "option 43 (PXE): a sub-option runs past "
				"the end of the option (%u bytes)",
				req->vendor.len);
			goto err;
		}
		if (rc == 1) {
			if (v.len != PXE_BOOT_ITEM_LEN) {
				set_msg(msg, "option 43 (PXE): boot item 71 has "
					"length %u, expected 4", v.len);
				rc = -EINVAL;
				goto err;
			}
			req->has_boot_item = true;
			req->boot_item_type = get_be16(v.ptr);
			req->boot_item_layer = get_be16(v.ptr + 2);
		}
	}
	rc = 0;
err:
	return rc;
}

/**
 * parse_header() - the fixed header and the magic cookie.
 * @buf: message
 * @len: its length, at least DHCP_MIN_LEN
 * @hdr: filled in
 * @msg: message buffer or NULL
 * Return: 0 or -EINVAL.
 */
static int parse_header(const uint8_t *buf, size_t len,
			struct dhcp_header *hdr, char *msg)
{
	uint32_t cookie;

	(void)len;
	hdr->op = buf[0];
	hdr->htype = buf[1];
	hdr->hlen = buf[2];
	hdr->hops = buf[3];
	hdr->xid = get_be32(buf + 4);
	hdr->secs = get_be16(buf + 8);
	hdr->flags = get_be16(buf + 10);
	hdr->ciaddr = get_be32(buf + 12);
	hdr->yiaddr = get_be32(buf + 16);
	hdr->siaddr = get_be32(buf + 20);
	hdr->giaddr = get_be32(buf + 24);
	memcpy(hdr->chaddr, buf + 28, DHCP_CHADDR_LEN);
	memcpy(hdr->sname, buf + DHCP_OFF_SNAME, DHCP_SNAME_LEN);
	memcpy(hdr->file, buf + DHCP_OFF_FILE, DHCP_FILE_LEN);
	if (hdr->op != DHCP_OP_BOOTREQUEST && hdr->op != DHCP_OP_BOOTREPLY) {
		set_msg(msg, "op %u at offset 0 is neither BOOTREQUEST (1) "
			"nor BOOTREPLY (2)", hdr->op);
		return -EINVAL;
	}
	if (hdr->hlen > DHCP_CHADDR_LEN) {
		set_msg(msg, "hlen %u at offset 2 is over the %d bytes of "
			"chaddr", hdr->hlen, DHCP_CHADDR_LEN);
		return -EINVAL;
	}
	cookie = get_be32(buf + DHCP_OFF_COOKIE);
	if (cookie != DHCP_MAGIC_COOKIE) {
		set_msg(msg, "magic cookie at offset %d is 0x%08x, expected "
			"0x%08x", DHCP_OFF_COOKIE, cookie, DHCP_MAGIC_COOKIE);
		return -EINVAL;
	}
	return 0;
}

int dhcp_parse_request(const uint8_t *buf, size_t len,
		       struct dhcp_request *req, char *msg)
{
	struct opt_area areas[3];
	uint32_t fill[256];
	size_t nr_areas = 1, i;
	uint32_t total = 0;
	uint8_t overload = 0;
	bool ended;
	int rc;
	unsigned c;

	memset(req, 0, offsetof(struct dhcp_request, data));
	if (len > DHCP_MAX_LEN) {
		set_msg(msg, "message is %zu bytes, over the limit of %d",
			len, DHCP_MAX_LEN);
		return -EMSGSIZE;
	}
	if (len < DHCP_MIN_LEN) {
		set_msg(msg, "message is %zu bytes, shorter than the %d bytes "
			"of header and magic cookie", len, DHCP_MIN_LEN);
		return -EINVAL;
	}
	rc = parse_header(buf, len, &req->hdr, msg);
	if (rc)
		goto err;

	/* pass 1: bounds, and how long each joined option is (RFC 3396
	 * section 7: options field, then file, then sname) */
	areas[0] = (struct opt_area){ DHCP_OFF_OPTIONS, len - DHCP_OFF_OPTIONS,
				      "packet", true };
	rc = walk_area(buf, &areas[0], req, NULL, &overload, &ended, msg);
	if (rc)
		goto err;
	req->has_end = ended;
	if (req->present[DHCP_OPT_OVERLOAD]) {
		if (req->len[DHCP_OPT_OVERLOAD] != 1) {
			set_msg(msg, "option 52 (overload) has length %u, "
				"expected 1", req->len[DHCP_OPT_OVERLOAD]);
			rc = -EINVAL;
			goto err;
		}
		if (overload < DHCP_OVERLOAD_FILE ||
		    overload > DHCP_OVERLOAD_BOTH) {
			set_msg(msg, "option 52 (overload) has value %u, "
				"expected 1, 2 or 3", overload);
			rc = -EINVAL;
			goto err;
		}
		req->overload = overload;
	}
	if (overload & DHCP_OVERLOAD_FILE)
		areas[nr_areas++] = (struct opt_area){ DHCP_OFF_FILE,
			DHCP_FILE_LEN, "file field", false };
	if (overload & DHCP_OVERLOAD_SNAME)
		areas[nr_areas++] = (struct opt_area){ DHCP_OFF_SNAME,
			DHCP_SNAME_LEN, "sname field", false };
	for (i = 1; i < nr_areas; i++) {
		rc = walk_area(buf, &areas[i], req, NULL, &overload, &ended,
			       msg);
		if (rc)
			goto err;
	}

	/* lay the joined values out one after the other; the total is
	 * below the message length, so it fits in data[] */
	for (c = 0; c < 256; c++) {
		req->off[c] = total;
		total += req->len[c];
		fill[c] = 0;
	}
	/* pass 2: copy */
	for (i = 0; i < nr_areas; i++) {
		rc = walk_area(buf, &areas[i], req, fill, &overload, &ended,
			       msg);
		if (rc)
			goto err;
	}
	rc = parse_known(req, msg);
err:
	return rc;
}

bool dhcp_get_option(const struct dhcp_request *req, uint8_t code,
		     struct dhcp_bytes *out)
{
	if (code == DHCP_OPT_PAD || code == DHCP_OPT_END ||
	    !req->present[code])
		return false;
	*out = bytes_of(req, code);
	return true;
}

bool dhcp_param_requested(const struct dhcp_request *req, uint8_t code)
{
	const struct dhcp_bytes *p = &req->param_list;

	return p->ptr && memchr(p->ptr, code, p->len) != NULL;
}

int dhcp_find_subopt(const uint8_t *buf, size_t len, uint8_t code,
		     struct dhcp_bytes *out)
{
	size_t i = 0;
	int found = 0;

	while (i < len) {
		uint8_t c = buf[i];
		size_t l;

		if (c == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (c == DHCP_OPT_END)
			break;
		if (i + 1 >= len)
			return -EINVAL;
		l = buf[i + 1];
		if (l > len - i - OPT_HDR_LEN)
			return -EINVAL;
		if (c == code && !found) {
			out->ptr = buf + i + OPT_HDR_LEN;
			out->len = (uint32_t)l;
			found = 1;
		}
		i += OPT_HDR_LEN + l;
	}
	return found;
}

/* ---- building ----------------------------------------------------------- */

int dhcp_build_start(struct dhcp_builder *b, uint8_t *buf, size_t cap,
		     uint16_t max_size, const struct dhcp_header *hdr,
		     uint8_t msg_type)
{
	size_t limit;

	memset(b, 0, sizeof(*b));
	if (hdr->hlen > DHCP_CHADDR_LEN)
		return -EINVAL;
	if (max_size == 0)
		max_size = DHCP_DEFAULT_MAX_SIZE;
	if (max_size < DHCP_DEFAULT_MAX_SIZE)
		return -EINVAL;
	limit = max_size - DHCP_IP_UDP_OVERHEAD;
	if (cap < limit)
		limit = cap;
	/* header, cookie, option 53, and room for the end option */
	if (limit < DHCP_OFF_OPTIONS + OPT_HDR_LEN + DHCP_MSG_TYPE_LEN + 1)
		return -ENOBUFS;

	memset(buf, 0, DHCP_OFF_OPTIONS);
	buf[0] = hdr->op;
	buf[1] = hdr->htype;
	buf[2] = hdr->hlen;
	buf[3] = hdr->hops;
	put_be32(buf + 4, hdr->xid);
	put_be16(buf + 8, hdr->secs);
	put_be16(buf + 10, hdr->flags);
	put_be32(buf + 12, hdr->ciaddr);
	put_be32(buf + 16, hdr->yiaddr);
	put_be32(buf + 20, hdr->siaddr);
	put_be32(buf + 24, hdr->giaddr);
	memcpy(buf + 28, hdr->chaddr, DHCP_CHADDR_LEN);
	memcpy(buf + DHCP_OFF_SNAME, hdr->sname, DHCP_SNAME_LEN);
	memcpy(buf + DHCP_OFF_FILE, hdr->file, DHCP_FILE_LEN);
	put_be32(buf + DHCP_OFF_COOKIE, DHCP_MAGIC_COOKIE);
	buf[DHCP_OFF_OPTIONS] = DHCP_OPT_MSG_TYPE;
	buf[DHCP_OFF_OPTIONS + 1] = DHCP_MSG_TYPE_LEN;
	buf[DHCP_OFF_OPTIONS + 2] = msg_type;

	b->buf = buf;
	b->limit = limit;
	b->len = DHCP_OFF_OPTIONS + OPT_HDR_LEN + DHCP_MSG_TYPE_LEN;
	return 0;
}

int dhcp_build_option(struct dhcp_builder *b, uint8_t code, const void *data,
		      size_t len)
{
	const uint8_t *p = data;
	size_t pieces, need;

	if (b->finished || !b->buf || code == DHCP_OPT_PAD ||
	    code == DHCP_OPT_END || code == DHCP_OPT_MSG_TYPE)
		return -EINVAL;
	/* RFC 3396 section 5: several pieces of at most 255 bytes */
	pieces = len == 0 ? 1 : (len + DHCP_OPT_MAX_PIECE - 1) /
				DHCP_OPT_MAX_PIECE;
	if (len > b->limit)
		return -ENOBUFS;
	need = len + pieces * OPT_HDR_LEN;
	/* keep one byte for the end option */
	if (need + 1 > b->limit - b->len)
		return -ENOBUFS;
	do {
		size_t n = len < DHCP_OPT_MAX_PIECE ? len : DHCP_OPT_MAX_PIECE;

		b->buf[b->len] = code;
		b->buf[b->len + 1] = (uint8_t)n;
		if (n)
			memcpy(b->buf + b->len + OPT_HDR_LEN, p, n);
		b->len += OPT_HDR_LEN + n;
		p += n;
		len -= n;
	} while (len);
	return 0;
}

int dhcp_build_u8(struct dhcp_builder *b, uint8_t code, uint8_t v)
{
	return dhcp_build_option(b, code, &v, 1);
}

int dhcp_build_u16(struct dhcp_builder *b, uint8_t code, uint16_t v)
{
	uint8_t w[2];

	put_be16(w, v);
	return dhcp_build_option(b, code, w, sizeof(w));
}

int dhcp_build_u32(struct dhcp_builder *b, uint8_t code, uint32_t v)
{
	uint8_t w[4];

	put_be32(w, v);
	return dhcp_build_option(b, code, w, sizeof(w));
}

int dhcp_build_string(struct dhcp_builder *b, uint8_t code, const char *s)
{
	return dhcp_build_option(b, code, s, strlen(s));
}

int dhcp_build_finish(struct dhcp_builder *b)
{
	if (b->finished || !b->buf)
		return -EINVAL;
	if (b->len + 1 > b->limit)
		return -ENOBUFS;
	if (b->len + 1 < BOOTP_MIN_LEN && b->limit < BOOTP_MIN_LEN)
		return -ENOBUFS;
	b->buf[b->len++] = DHCP_OPT_END;
	if (b->len < BOOTP_MIN_LEN) {
		memset(b->buf + b->len, 0, BOOTP_MIN_LEN - b->len);
		b->len = BOOTP_MIN_LEN;
	}
	b->finished = true;
	return (int)b->len;
}

/* ---- PXE option 43 ------------------------------------------------------ */

int dhcp_subopt_append(uint8_t *buf, size_t cap, size_t *pos, uint8_t code,
		       const void *data, size_t len)
{
	if (len > DHCP_OPT_MAX_PIECE)
		return -EINVAL;
	if (*pos > cap || cap - *pos < OPT_HDR_LEN + len)
		return -ENOBUFS;
	buf[*pos] = code;
	buf[*pos + 1] = (uint8_t)len;
	if (len)
		memcpy(buf + *pos + OPT_HDR_LEN, data, len);
	*pos += OPT_HDR_LEN + len;
	return 0;
}

int pxe_put_discovery_control(uint8_t *buf, size_t cap, size_t *pos,
			      uint8_t bits)
{
	return dhcp_subopt_append(buf, cap, pos, PXE_OPT_DISCOVERY_CONTROL,
				  &bits, 1);
}

/* PXE 2.1 table 2-1: type (2), count (1), then count addresses */
#define PXE_SERVER_HDR_LEN	3
#define PXE_MAX_SERVER_ADDRS	((DHCP_OPT_MAX_PIECE - PXE_SERVER_HDR_LEN) / 4)

int pxe_put_boot_server(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
			const uint32_t *addrs, size_t nr_addrs)
{
	uint8_t v[DHCP_OPT_MAX_PIECE];
	size_t i;

	if (nr_addrs == 0 || nr_addrs > PXE_MAX_SERVER_ADDRS)
		return -EINVAL;
	put_be16(v, type);
	v[2] = (uint8_t)nr_addrs;
	for (i = 0; i < nr_addrs; i++)
		put_be32(v + PXE_SERVER_HDR_LEN + 4 * i, addrs[i]);
	return dhcp_subopt_append(buf, cap, pos, PXE_OPT_BOOT_SERVERS, v,
				  PXE_SERVER_HDR_LEN + 4 * nr_addrs);
}

/* PXE 2.1: boot menu item = type (2), description length (1), text */
#define PXE_MENU_HDR_LEN	3

int pxe_put_boot_menu(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
		      const char *text)
{
	uint8_t v[DHCP_OPT_MAX_PIECE];
	size_t n = strlen(text);

	if (n > DHCP_OPT_MAX_PIECE - PXE_MENU_HDR_LEN)
		return -EINVAL;
	put_be16(v, type);
	v[2] = (uint8_t)n;
	memcpy(v + PXE_MENU_HDR_LEN, text, n);
	return dhcp_subopt_append(buf, cap, pos, PXE_OPT_BOOT_MENU, v,
				  PXE_MENU_HDR_LEN + n);
}

int pxe_put_menu_prompt(uint8_t *buf, size_t cap, size_t *pos,
			uint8_t timeout, const char *prompt)
{
	uint8_t v[DHCP_OPT_MAX_PIECE];
	size_t n = strlen(prompt);

	if (n > DHCP_OPT_MAX_PIECE - 1)
		return -EINVAL;
	v[0] = timeout;
	memcpy(v + 1, prompt, n);
	return dhcp_subopt_append(buf, cap, pos, PXE_OPT_MENU_PROMPT, v, 1 + n);
}

int pxe_put_boot_item(uint8_t *buf, size_t cap, size_t *pos, uint16_t type,
		      uint16_t layer)
{
	uint8_t v[PXE_BOOT_ITEM_LEN];

	put_be16(v, type);
	put_be16(v + 2, layer);
	return dhcp_subopt_append(buf, cap, pos, PXE_OPT_BOOT_ITEM, v,
				  sizeof(v));
}

int pxe_put_end(uint8_t *buf, size_t cap, size_t *pos)
{
	if (*pos >= cap)
		return -ENOBUFS;
	buf[(*pos)++] = DHCP_OPT_END;
	return 0;
}
