/* libFuzzer target: the DHCPv4 parser and reply builder of
 * bootserver/dhcp-proto.c.
 *
 * The input is a message (the seed corpus holds real ones), parsed from an
 * exact-size heap copy so that ASan sees any over-read; the reply is built
 * for the maximum size the message asks for (option 57).  Beyond not crashing, results must be
 * self-consistent: parsed values lie inside the request structure, joined
 * lengths add up to no more than the message, and every option of an
 * accepted message, written back with the builder (split per RFC 3396 when
 * long), parses again to the same bytes.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootserver/dhcp-proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* large: keep them off the stack */
static struct dhcp_request parsed, again;
static uint8_t reply[DHCP_MAX_LEN];

/**
 * check_bytes() - a parsed value lies inside @req->data.
 * @req: parsed message
 * @b: the value
 */
static void check_bytes(const struct dhcp_request *req,
			const struct dhcp_bytes *b)
{
	if (!b->ptr) {
		if (b->len)
			abort();
		return;
	}
	if (b->ptr < req->data || b->len > sizeof(req->data) ||
	    b->ptr + b->len > req->data + sizeof(req->data))
		abort();
}

/**
 * check_request() - an accepted message's fields are consistent.
 * @req: parsed message
 * @size: the message's length
 */
static void check_request(const struct dhcp_request *req, size_t size)
{
	struct dhcp_bytes sub;
	uint64_t total = 0;
	unsigned c;
	uint32_t i;

	if (req->hdr.hlen > DHCP_CHADDR_LEN ||
	    req->max_size < DHCP_DEFAULT_MAX_SIZE ||
	    req->nr_user_classes > DHCP_MAX_USER_CLASSES)
		abort();
	for (c = 0; c < 256; c++) {
		if (!req->present[c] && req->len[c])
			abort();
		total += req->len[c];
	}
	/* options field, and file and sname when overloaded */
	if (total > size - DHCP_MIN_LEN + DHCP_FILE_LEN + DHCP_SNAME_LEN)
		abort();
	if (req->present[DHCP_OPT_PAD] || req->present[DHCP_OPT_END])
		abort();
	check_bytes(req, &req->client_id);
	check_bytes(req, &req->param_list);
	check_bytes(req, &req->vendor_class);
	check_bytes(req, &req->user_class);
	check_bytes(req, &req->vendor);
	check_bytes(req, &req->ipxe);
	check_bytes(req, &req->relay_agent);
	for (i = 0; i < req->nr_user_classes; i++)
		check_bytes(req, &req->user_classes[i]);
	if (req->is_pxe && req->is_http)
		abort();
	if (req->has_boot_item && !req->is_pxe)
		abort();
	/* the encapsulated options, searched as the server would */
	for (c = 1; c < 255; c += 37) {
		if (req->vendor.ptr &&
		    dhcp_find_subopt(req->vendor.ptr, req->vendor.len,
				     (uint8_t)c, &sub) == 1)
			check_bytes(req, &sub);
		if (req->ipxe.ptr &&
		    dhcp_find_subopt(req->ipxe.ptr, req->ipxe.len,
				     (uint8_t)c, &sub) == 1)
			check_bytes(req, &sub);
	}
}

/**
 * roundtrip() - write the options of @req into a reply and parse it back.
 * @req: parsed message
 * @max_size: the client maximum for the builder
 */
static void roundtrip(const struct dhcp_request *req, uint16_t max_size)
{
	bool written[256] = { false };
	struct dhcp_header hdr = req->hdr;
	struct dhcp_builder b;
	char msg[DHCP_MSG_LEN];
	unsigned c;
	int n, rc;

	hdr.op = DHCP_OP_BOOTREPLY;
	/* option 52 is not written back: the reply's file and sname stay
	 * plain fields */
	if (dhcp_build_start(&b, reply, sizeof(reply), max_size, &hdr,
			     req->msg_type) != 0)
		abort();
	for (c = 1; c < 255; c++) {
		if (!req->present[c] || c == DHCP_OPT_MSG_TYPE ||
		    c == DHCP_OPT_OVERLOAD)
			continue;
		rc = dhcp_build_option(&b, (uint8_t)c,
				       req->data + req->off[c], req->len[c]);
		if (rc == -ENOBUFS)
			break;
		if (rc != 0)
			abort();
		written[c] = true;
	}
	n = dhcp_build_finish(&b);
	if (n < BOOTP_MIN_LEN)
		abort();
	if ((size_t)n > (size_t)max_size - DHCP_IP_UDP_OVERHEAD)
		abort();
	if (dhcp_parse_request(reply, (size_t)n, &again, msg) != 0)
		abort();
	if (again.msg_type != req->msg_type || again.hdr.xid != req->hdr.xid ||
	    !again.has_end)
		abort();
	for (c = 1; c < 255; c++) {
		if (!written[c])
			continue;
		if (!again.present[c] || again.len[c] != req->len[c] ||
		    memcmp(again.data + again.off[c], req->data + req->off[c],
			   req->len[c]) != 0)
			abort();
	}
}

/**
 * LLVMFuzzerTestOneInput() - parse @data and build a reply from it.
 * @data: input bytes
 * @size: number of bytes
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[DHCP_MSG_LEN];
	uint8_t *buf;
	int rc;

	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);
	memset(msg, 'x', sizeof(msg));	/* every error must write a message */
	rc = dhcp_parse_request(buf, size, &parsed, msg);
	if (rc == 0) {
		check_request(&parsed, size);
		roundtrip(&parsed, parsed.max_size);
	} else if (rc != -EINVAL && rc != -EMSGSIZE) {
		abort();
	} else if (!memchr(msg, '\0', sizeof(msg))) {
		abort();
	}
	free(buf);
	return 0;
}
