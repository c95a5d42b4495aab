/* Unit tests for bootserver/dhcp-proto.c: the parser against packets
 * captured from real firmware (tests/data/dhcp/, taken from the captures
 * described in the test-data README), hand-made edge cases (truncation,
 * overload, RFC 3396 joining, bad lengths), and the reply builder (round
 * trip, long options, the client's maximum size, padding, PXE option 43). */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp-proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t ipxe_mac[DHCP_ETHER_LEN] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
/* option 97 of every capture: type 0 and the SMBIOS UUID bytes as stored */
static const uint8_t test_uuid[DHCP_UUID_LEN] = {
	0x3e, 0x2c, 0x0a, 0x8f, 0x1d, 0x6b, 0x5f, 0x4e,
	0x9a, 0x7b, 0x1c, 0x2d, 0x3e, 0x4f, 0x5a, 0x6b };
/* iPXE's option 175 in the BIOS capture (the README's raw bytes) */
static const uint8_t ipxe_bios_175[] = {
	0xb1, 0x05, 0x01, 0x1a, 0xf4, 0x10, 0x00, 0xeb, 0x03, 0x01, 0x00, 0x00,
	0x17, 0x01, 0x01, 0x22, 0x01, 0x01, 0x13, 0x01, 0x01, 0x11, 0x01, 0x01,
	0x27, 0x01, 0x01, 0x19, 0x01, 0x01, 0x29, 0x01, 0x01, 0x10, 0x01, 0x02,
	0x21, 0x01, 0x01, 0x15, 0x01, 0x01, 0x18, 0x01, 0x01, 0x12, 0x01, 0x01 };
static const uint8_t ipxe_params[] = {
	1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119,
	128, 129, 130, 131, 132, 133, 134, 135, 175, 203 };
static const uint8_t ovmf_params[] = {
	1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43,
	50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133,
	134, 135 };
static const uint8_t http_params[] = {
	1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43,
	50, 51, 54, 58, 59, 60, 235, 67, 97 };

/* the parsed message is large: one, on the heap, for every test */
static struct dhcp_request *req;

static int setup(void **state)
{
	(void)state;
	req = malloc(sizeof(*req));
	return req ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(req);
	return 0;
}

/**
 * load() - read a capture extract into an exact-size heap buffer, so that
 * ASan catches any read past its end.
 * @name: file name under tests/data/dhcp/
 * @len: set to its length
 * Return: malloc'd bytes.
 */
static uint8_t *load(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096], tmp[2048];
	uint8_t *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/dhcp/%s", top ? top : ".",
		 name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (is $top_srcdir set?)", path);
	n = fread(tmp, 1, sizeof(tmp), f);
	assert_true(n > 0 && n < sizeof(tmp));
	fclose(f);
	p = malloc(n);
	assert_non_null(p);
	memcpy(p, tmp, n);
	*len = n;
	return p;
}

/**
 * parse_file() - load and parse a capture extract, which must succeed.
 * @name: file name under tests/data/dhcp/
 */
static void parse_file(const char *name)
{
	char msg[DHCP_MSG_LEN] = "";
	size_t len;
	uint8_t *buf = load(name, &len);
	int rc = dhcp_parse_request(buf, len, req, msg);

	if (rc)
		fail_msg("%s: %d: %s", name, rc, msg);
	free(buf);
}

/**
 * assert_bytes() - a parsed value equals @want.
 * @b: parsed value
 * @want: expected bytes
 * @len: their number
 */
static void assert_bytes(const struct dhcp_bytes *b, const void *want,
			 size_t len)
{
	assert_non_null(b->ptr);
	assert_int_equal(b->len, len);
	assert_memory_equal(b->ptr, want, len);
}

static void assert_str(const struct dhcp_bytes *b, const char *s)
{
	assert_bytes(b, s, strlen(s));
}

static void assert_ipxe_client_id(void)
{
	assert_int_equal(req->client_id.len, 1 + DHCP_ETHER_LEN);
	assert_int_equal(req->client_id.ptr[0], DHCP_HTYPE_ETHER);
	assert_memory_equal(req->client_id.ptr + 1, ipxe_mac, DHCP_ETHER_LEN);
}

/* ---- real packets ------------------------------------------------------- */

static void test_ipxe_bios_discover(void **state)
{
	static const uint8_t ndi[] = { 1, 2, 1 };

	(void)state;
	parse_file("ipxe-bios-discover.bin");
	assert_int_equal(req->hdr.op, DHCP_OP_BOOTREQUEST);
	assert_int_equal(req->hdr.htype, DHCP_HTYPE_ETHER);
	assert_int_equal(req->hdr.hlen, DHCP_ETHER_LEN);
	assert_int_equal(req->hdr.xid, 0xe8707804);
	assert_memory_equal(req->hdr.chaddr, ipxe_mac, DHCP_ETHER_LEN);
	assert_int_equal(req->msg_type, DHCP_DISCOVER);
	assert_true(req->has_end);
	assert_int_equal(req->max_size, 1472);
	assert_true(req->has_arch);
	assert_int_equal(req->arch, DHCP_ARCH_X86_BIOS);
	assert_true(req->has_ndi);
	assert_memory_equal(req->ndi, ndi, sizeof(ndi));
	assert_str(&req->vendor_class, "PXEClient:Arch:00000:UNDI:002001");
	assert_true(req->is_pxe);
	assert_false(req->is_http);
	assert_str(&req->user_class, "iPXE");
	assert_int_equal(req->nr_user_classes, 1);
	assert_str(&req->user_classes[0], "iPXE");
	assert_true(req->is_ipxe);
	assert_bytes(&req->ipxe, ipxe_bios_175, sizeof(ipxe_bios_175));
	assert_bytes(&req->param_list, ipxe_params, sizeof(ipxe_params));
	assert_true(dhcp_param_requested(req, DHCP_OPT_BOOTFILE));
	assert_false(dhcp_param_requested(req, DHCP_OPT_CLIENT_UUID));
	assert_ipxe_client_id();
	assert_true(req->has_uuid);
	assert_memory_equal(req->uuid, test_uuid, DHCP_UUID_LEN);
	assert_false(req->has_requested_ip);
	assert_false(req->has_server_id);
	assert_null(req->vendor.ptr);
	assert_false(req->has_boot_item);
}

static void test_ipxe_bios_request(void **state)
{
	(void)state;
	parse_file("ipxe-bios-request.bin");
	assert_int_equal(req->msg_type, DHCP_REQUEST);
	assert_true(req->has_server_id);
	assert_int_equal(req->server_id, 0x0a630001);
	assert_true(req->has_requested_ip);
	assert_int_equal(req->requested_ip, 0x0a63006f);
	assert_true(req->is_ipxe);
}

static void test_ipxe_efi_discover(void **state)
{
	(void)state;
	parse_file("ipxe-efi-discover.bin");
	assert_int_equal(req->arch, DHCP_ARCH_EFI_X64);
	assert_str(&req->vendor_class, "PXEClient:Arch:00007:UNDI:003010");
	assert_true(req->is_ipxe);
	assert_non_null(req->ipxe.ptr);
}

static void test_ovmf_pxe(void **state)
{
	static const uint8_t ndi[] = { 1, 3, 0 };

	(void)state;
	parse_file("ovmf-pxe-discover.bin");
	assert_int_equal(req->msg_type, DHCP_DISCOVER);
	assert_int_equal(req->hdr.flags, DHCP_FLAG_BROADCAST);
	assert_int_equal(req->hdr.secs, 0);
	assert_true(req->has_arch);
	assert_int_equal(req->arch, DHCP_ARCH_EFI_X64);
	assert_memory_equal(req->ndi, ndi, sizeof(ndi));
	assert_str(&req->vendor_class, "PXEClient:Arch:00007:UNDI:003000");
	assert_true(req->is_pxe);
	assert_false(req->is_ipxe);
	assert_null(req->client_id.ptr);
	assert_null(req->user_class.ptr);
	assert_int_equal(req->nr_user_classes, 0);
	assert_bytes(&req->param_list, ovmf_params, sizeof(ovmf_params));
	assert_true(req->has_uuid);
	assert_memory_equal(req->uuid, test_uuid, DHCP_UUID_LEN);
	assert_int_equal(req->max_size, 1472);

	parse_file("ovmf-pxe-request.bin");
	assert_int_equal(req->msg_type, DHCP_REQUEST);
	assert_int_equal(req->max_size, 65280);
	assert_int_equal(req->server_id, 0x0a630001);
}

static void test_uefi_http(void **state)
{
	(void)state;
	parse_file("uefi-http-discover.bin");
	assert_int_equal(req->arch, DHCP_ARCH_EFI_X64_HTTP);
	assert_str(&req->vendor_class, "HTTPClient:Arch:00016:UNDI:003000");
	assert_true(req->is_http);
	assert_false(req->is_pxe);
	assert_false(req->is_ipxe);
	assert_bytes(&req->param_list, http_params, sizeof(http_params));
	assert_false(dhcp_param_requested(req, DHCP_OPT_TFTP_SERVER));
	assert_true(dhcp_param_requested(req, 235));
	assert_true(req->has_uuid);
}

static void test_ipxe_request_4011(void **state)
{
	(void)state;
	parse_file("ipxe-request-4011.bin");
	assert_int_equal(req->msg_type, DHCP_REQUEST);
	assert_int_equal(req->hdr.xid, 0);
	assert_int_equal(req->hdr.ciaddr, 0x0a630094);
	assert_int_equal(req->hdr.flags, DHCP_FLAG_BROADCAST);
	assert_str(&req->vendor_class, "PXEClient");
	assert_true(req->is_pxe);
	assert_true(req->is_ipxe);
	assert_true(req->has_boot_item);
	assert_int_equal(req->boot_item_type, 0x8000);
	assert_int_equal(req->boot_item_layer, 0);
	assert_int_equal(req->arch, DHCP_ARCH_X86_BIOS);
	assert_ipxe_client_id();

	parse_file("ovmf-request-4011.bin");
	assert_int_equal(req->hdr.ciaddr, 0x0a630094);
	assert_int_equal(req->hdr.flags, 0);
	assert_null(req->vendor.ptr);
	assert_false(req->has_boot_item);
	assert_int_equal(req->arch, DHCP_ARCH_EFI_X64);
}

static void test_udhcpc(void **state)
{
	static const uint8_t params[] = { 1, 3, 6, 12, 15, 28, 42 };

	(void)state;
	parse_file("udhcpc-discover.bin");
	assert_int_equal(req->max_size, DHCP_DEFAULT_MAX_SIZE);
	assert_true(req->has_arch);
	assert_int_equal(req->arch, DHCP_ARCH_X86_BIOS);
	assert_true(req->is_pxe);
	assert_false(req->is_ipxe);
	assert_false(req->has_ndi);
	assert_false(req->has_uuid);
	assert_null(req->ipxe.ptr);
	assert_bytes(&req->param_list, params, sizeof(params));
}

/* dnsmasq's proxy OFFER: option 43 as the helpers must build it */
static void test_proxy_offer_43(void **state)
{
	static const uint8_t pxe_prompt[] = { 0, 'P', 'X', 'E' };
	uint32_t server = 0x0a630001;
	struct dhcp_bytes v43, sub;
	uint8_t built[64];
	size_t pos = 0;

	(void)state;
	parse_file("dnsmasq-proxy-offer.bin");
	assert_int_equal(req->hdr.op, DHCP_OP_BOOTREPLY);
	assert_int_equal(req->msg_type, DHCP_OFFER);
	assert_int_equal(req->hdr.yiaddr, 0);
	assert_true(dhcp_get_option(req, DHCP_OPT_VENDOR, &v43));
	assert_int_equal(dhcp_find_subopt(v43.ptr, v43.len,
					  PXE_OPT_MENU_PROMPT, &sub), 1);
	assert_bytes(&sub, pxe_prompt, sizeof(pxe_prompt));
	assert_int_equal(dhcp_find_subopt(v43.ptr, v43.len, PXE_OPT_BOOT_ITEM,
					  &sub), 0);

	assert_int_equal(pxe_put_discovery_control(built, sizeof(built), &pos,
			PXE_DISC_NO_BROADCAST | PXE_DISC_NO_MULTICAST), 0);
	assert_int_equal(pxe_put_menu_prompt(built, sizeof(built), &pos, 0,
					     "PXE"), 0);
	assert_int_equal(pxe_put_boot_server(built, sizeof(built), &pos,
					     0x8000, &server, 1), 0);
	assert_int_equal(pxe_put_boot_menu(built, sizeof(built), &pos, 0x8000,
					   "pxelinux"), 0);
	assert_int_equal(pxe_put_end(built, sizeof(built), &pos), 0);
	assert_int_equal(pos, v43.len);
	assert_memory_equal(built, v43.ptr, pos);

	/* and the ACK from port 4011 */
	parse_file("dnsmasq-proxy-ack-4011.bin");
	pos = 0;
	assert_int_equal(pxe_put_boot_item(built, sizeof(built), &pos, 0x8000,
					   0), 0);
	assert_int_equal(pxe_put_end(built, sizeof(built), &pos), 0);
	assert_bytes(&req->vendor, built, pos);
	assert_true(req->has_boot_item);
	assert_string_equal((const char *)req->hdr.file, "pxelinux.0");
}

static void test_pxe_helpers_bounds(void **state)
{
	uint32_t addrs[64] = { 0 };
	char longtext[300];
	uint8_t buf[8];
	size_t pos = 0;

	(void)state;
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(pxe_put_boot_item(buf, sizeof(buf), &pos, 1, 2), 0);
	assert_int_equal(pos, 6);
	assert_int_equal(pxe_put_boot_item(buf, sizeof(buf), &pos, 1, 2),
			 -ENOBUFS);
	assert_int_equal(pos, 6);
	assert_int_equal(pxe_put_end(buf, sizeof(buf), &pos), 0);
	assert_int_equal(pxe_put_end(buf, sizeof(buf), &pos), 0);
	assert_int_equal(pxe_put_end(buf, sizeof(buf), &pos), -ENOBUFS);
	pos = 0;
	assert_int_equal(pxe_put_boot_server(buf, sizeof(buf), &pos, 1, addrs,
					     0), -EINVAL);
	assert_int_equal(pxe_put_boot_server(buf, sizeof(buf), &pos, 1, addrs,
					     64), -EINVAL);
	assert_int_equal(pxe_put_boot_menu(buf, sizeof(buf), &pos, 1,
					   longtext), -EINVAL);
	assert_int_equal(pxe_put_menu_prompt(buf, sizeof(buf), &pos, 1,
					     longtext), -EINVAL);
	assert_int_equal(pos, 0);
}

/* ---- hand-made packets -------------------------------------------------- */

/**
 * make_packet() - a BOOTREQUEST header with the magic cookie, then @opts,
 * in an exact-size heap buffer.
 * @opts: option bytes
 * @olen: their number
 * @len: set to the packet length
 * Return: malloc'd packet.
 */
static uint8_t *make_packet(const uint8_t *opts, size_t olen, size_t *len)
{
	uint8_t *p = calloc(1, DHCP_OFF_OPTIONS + olen);

	assert_non_null(p);
	p[0] = DHCP_OP_BOOTREQUEST;
	p[1] = DHCP_HTYPE_ETHER;
	p[2] = DHCP_ETHER_LEN;
	p[4] = 0x12;
	p[7] = 0x34;
	memcpy(p + 28, ipxe_mac, DHCP_ETHER_LEN);
	p[DHCP_OFF_COOKIE] = 0x63;
	p[DHCP_OFF_COOKIE + 1] = 0x82;
	p[DHCP_OFF_COOKIE + 2] = 0x53;
	p[DHCP_OFF_COOKIE + 3] = 0x63;
	memcpy(p + DHCP_OFF_OPTIONS, opts, olen);
	*len = DHCP_OFF_OPTIONS + olen;
	return p;
}

/**
 * parse_opts() - parse a packet made of @opts.
 * @opts: option bytes
 * @olen: their number
 * @msg: message buffer
 * Return: dhcp_parse_request()'s result.
 */
static int parse_opts(const uint8_t *opts, size_t olen, char *msg)
{
	size_t len;
	uint8_t *p = make_packet(opts, olen, &len);
	int rc;

	msg[0] = '\0';
	rc = dhcp_parse_request(p, len, req, msg);
	free(p);
	return rc;
}

static void test_minimal(void **state)
{
	static const uint8_t opts[] = { 53, 1, DHCP_DISCOVER, 255 };
	char msg[DHCP_MSG_LEN];

	(void)state;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), 0);
	assert_int_equal(req->msg_type, DHCP_DISCOVER);
	assert_int_equal(req->hdr.xid, 0x12000034);
	assert_int_equal(req->max_size, DHCP_DEFAULT_MAX_SIZE);
	assert_false(req->has_arch);
	assert_false(req->is_pxe);
	/* no options at all: BOOTP, no message type */
	assert_int_equal(parse_opts(opts, 0, msg), 0);
	assert_int_equal(req->msg_type, 0);
	assert_false(req->has_end);
}

static void test_truncated_header(void **state)
{
	static const uint8_t opts[] = { 53, 1, DHCP_DISCOVER, 255 };
	char msg[DHCP_MSG_LEN];
	size_t len, cut;
	uint8_t *p = make_packet(opts, sizeof(opts), &len);

	(void)state;
	for (cut = 0; cut < DHCP_MIN_LEN; cut++) {
		uint8_t *q = malloc(cut ? cut : 1);

		assert_non_null(q);
		memcpy(q, p, cut);
		assert_int_equal(dhcp_parse_request(q, cut, req, msg),
				 -EINVAL);
		free(q);
	}
	assert_string_equal(msg, "message is 239 bytes, shorter than the 240 "
			    "bytes of header and magic cookie");
	free(p);
}

static void test_bad_header(void **state)
{
	static const uint8_t opts[] = { 255 };
	char msg[DHCP_MSG_LEN];
	size_t len;
	uint8_t *p = make_packet(opts, sizeof(opts), &len);

	(void)state;
	p[DHCP_OFF_COOKIE + 3] = 0x64;
	assert_int_equal(dhcp_parse_request(p, len, req, msg), -EINVAL);
	assert_string_equal(msg, "magic cookie at offset 236 is 0x63825364, "
			    "expected 0x63825363");
	p[DHCP_OFF_COOKIE + 3] = 0x63;
	p[2] = DHCP_CHADDR_LEN + 1;
	assert_int_equal(dhcp_parse_request(p, len, req, msg), -EINVAL);
	assert_non_null(strstr(msg, "hlen 17"));
	p[2] = DHCP_CHADDR_LEN;
	assert_int_equal(dhcp_parse_request(p, len, req, msg), 0);
	p[0] = 3;
	assert_int_equal(dhcp_parse_request(p, len, req, msg), -EINVAL);
	assert_non_null(strstr(msg, "op 3"));
	free(p);
}

static void test_option_past_end(void **state)
{
	uint8_t opts[20 + 2 + 12] = { 0 };
	char msg[DHCP_MSG_LEN];

	(void)state;
	/* 20 pads, then 55 claiming 40 bytes with only 12 left */
	opts[20] = DHCP_OPT_PARAM_LIST;
	opts[21] = 40;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), -EINVAL);
	assert_string_equal(msg, "option 55 at offset 260: length 40 runs "
			    "past the end of the packet (12 bytes left)");
	/* exactly fitting is fine (and no end option is accepted) */
	opts[21] = 12;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), 0);
	assert_int_equal(req->param_list.len, 12);
	assert_false(req->has_end);
	/* a code as the very last byte has no length */
	opts[20] = 0;
	opts[21] = 0;
	opts[sizeof(opts) - 1] = DHCP_OPT_VENDOR_CLASS;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), -EINVAL);
	assert_string_equal(msg, "option 60 at offset 273: no length byte "
			    "before the end of the packet");
}

static void test_after_end_ignored(void **state)
{
	static const uint8_t opts[] = {
		53, 1, DHCP_REQUEST, 255, 60, 200, 'x', 0, 0 };
	char msg[DHCP_MSG_LEN];

	(void)state;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), 0);
	assert_true(req->has_end);
	assert_false(req->present[DHCP_OPT_VENDOR_CLASS]);
}

static void test_zero_length(void **state)
{
	static const uint8_t ok[] = { 60, 0, 77, 0, 55, 0, 255 };
	static const uint8_t bad[] = { 53, 0, 255 };
	struct dhcp_bytes v;
	char msg[DHCP_MSG_LEN];

	(void)state;
	assert_int_equal(parse_opts(ok, sizeof(ok), msg), 0);
	assert_true(dhcp_get_option(req, DHCP_OPT_VENDOR_CLASS, &v));
	assert_int_equal(v.len, 0);
	assert_false(req->is_pxe);
	assert_int_equal(req->nr_user_classes, 0);
	assert_false(dhcp_param_requested(req, DHCP_OPT_ROUTER));
	assert_false(dhcp_get_option(req, DHCP_OPT_HOSTNAME, &v));
	assert_int_equal(parse_opts(bad, sizeof(bad), msg), -EINVAL);
	assert_string_equal(msg, "option 53 (message type) has length 0, "
			    "expected 1");
}

static void test_split_join(void **state)
{
	static const uint8_t opts[] = {
		60, 3, 'P', 'X', 'E',
		53, 1, DHCP_DISCOVER,
		60, 6, 'C', 'l', 'i', 'e', 'n', 't',
		93, 1, 0x00,
		93, 1, 0x07,
		60, 0,
		255 };
	char msg[DHCP_MSG_LEN];

	(void)state;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), 0);
	assert_str(&req->vendor_class, "PXEClient");
	assert_true(req->is_pxe);
	assert_true(req->has_arch);
	assert_int_equal(req->arch, DHCP_ARCH_EFI_X64);
}

static void test_overload_file(void **state)
{
	static const uint8_t opts[] = { 53, 1, DHCP_DISCOVER,
					52, 1, DHCP_OVERLOAD_FILE, 255 };
	static const uint8_t in_file[] = {
		60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
		93, 2, 0x00, 0x10, 255 };
	char msg[DHCP_MSG_LEN];
	size_t len;
	uint8_t *p = make_packet(opts, sizeof(opts), &len);

	(void)state;
	memcpy(p + DHCP_OFF_FILE, in_file, sizeof(in_file));
	/* sname is not overloaded: its bytes are not options */
	memset(p + DHCP_OFF_SNAME, 0xee, DHCP_SNAME_LEN);
	assert_int_equal(dhcp_parse_request(p, len, req, msg), 0);
	assert_int_equal(req->overload, DHCP_OVERLOAD_FILE);
	assert_true(req->is_pxe);
	assert_int_equal(req->arch, DHCP_ARCH_EFI_X64_HTTP);
	assert_false(req->present[0xee]);

	/* an option running past the end of the file field */
	p[DHCP_OFF_FILE + DHCP_FILE_LEN - 2] = DHCP_OPT_HOSTNAME;
	p[DHCP_OFF_FILE + DHCP_FILE_LEN - 1] = 5;
	memset(p + DHCP_OFF_FILE + sizeof(in_file) - 1, 0,
	       DHCP_FILE_LEN - sizeof(in_file) - 1);
	assert_int_equal(dhcp_parse_request(p, len, req, msg), -EINVAL);
	assert_string_equal(msg, "option 12 at offset 234: length 5 runs past "
			    "the end of the file field (0 bytes left)");
	free(p);
}

static void test_overload_both_join(void **state)
{
	/* one option split over the options field, file and sname: RFC 3396
	 * joins them in that order */
	static const uint8_t opts[] = { 52, 1, DHCP_OVERLOAD_BOTH,
					60, 3, 'P', 'X', 'E', 255 };
	static const uint8_t in_file[] = { 60, 3, 'C', 'l', 'i', 255 };
	static const uint8_t in_sname[] = { 60, 3, 'e', 'n', 't' };
	char msg[DHCP_MSG_LEN];
	size_t len;
	uint8_t *p = make_packet(opts, sizeof(opts), &len);

	(void)state;
	memcpy(p + DHCP_OFF_FILE, in_file, sizeof(in_file));
	memcpy(p + DHCP_OFF_SNAME, in_sname, sizeof(in_sname));
	assert_int_equal(dhcp_parse_request(p, len, req, msg), 0);
	assert_str(&req->vendor_class, "PXEClient");
	assert_int_equal(req->overload, DHCP_OVERLOAD_BOTH);
	free(p);
}

static void test_overload_bad(void **state)
{
	static const uint8_t opts[] = { 52, 1, DHCP_OVERLOAD_BOTH, 255 };
	static const uint8_t loop[] = { 52, 1, DHCP_OVERLOAD_FILE, 255 };
	static const uint8_t bad_value[] = { 52, 1, 4, 255 };
	static const uint8_t twice[] = { 52, 1, 1, 52, 1, 2, 255 };
	char msg[DHCP_MSG_LEN];
	size_t len;
	uint8_t *p = make_packet(opts, sizeof(opts), &len);

	(void)state;
	/* option 52 inside sname, which option 52 pointed at: a loop */
	memcpy(p + DHCP_OFF_SNAME, loop, sizeof(loop));
	assert_int_equal(dhcp_parse_request(p, len, req, msg), -EINVAL);
	assert_string_equal(msg, "option 52 at offset 44: overload inside "
			    "the sname field (only allowed in the options "
			    "field)");
	memset(p + DHCP_OFF_SNAME, 0, DHCP_SNAME_LEN);
	memcpy(p + DHCP_OFF_FILE, loop, sizeof(loop));
	assert_int_equal(dhcp_parse_request(p, len, req, msg), -EINVAL);
	assert_non_null(strstr(msg, "inside the file field"));
	free(p);

	assert_int_equal(parse_opts(bad_value, sizeof(bad_value), msg),
			 -EINVAL);
	assert_string_equal(msg, "option 52 (overload) has value 4, expected "
			    "1, 2 or 3");
	assert_int_equal(parse_opts(twice, sizeof(twice), msg), -EINVAL);
	assert_string_equal(msg, "option 52 (overload) has length 2, "
			    "expected 1");
}

static void test_bad_shapes(void **state)
{
	static const struct {
		uint8_t opts[24];
		size_t len;
		const char *msg;
	} cases[] = {
		{ { 50, 3, 1, 2, 3 }, 5,
		  "option 50 (requested address) has length 3, expected 4" },
		{ { 54, 5, 1, 2, 3, 4, 5 }, 7,
		  "option 54 (server identifier) has length 5, expected 4" },
		{ { 57, 1, 2 }, 3,
		  "option 57 (maximum message size) has length 1, expected 2" },
		{ { 61, 1, 1 }, 3,
		  "option 61 (client identifier) has length 1, expected at "
		  "least 2" },
		{ { 93, 3, 0, 0, 0 }, 5,
		  "option 93 (client architecture) has length 3, not a "
		  "multiple of 2" },
		{ { 93, 1, 0 }, 3,
		  "option 93 (client architecture) has length 1, expected at "
		  "least 2" },
		{ { 94, 2, 1, 2 }, 4,
		  "option 94 (client network interface) has length 2, "
		  "expected 3" },
		{ { 97, 16 }, 18,
		  "option 97 (client machine identifier) has length 16, "
		  "expected 17" },
		{ { 97, 17, 1 }, 19,
		  "option 97 (client machine identifier) has type 1, "
		  "expected 0" },
		{ { 60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
		    43, 3, 71, 4, 0 }, 16,
		  "option 43 (PXE): a sub-option runs past the end of the "
		  "option (3 bytes)" },
		{ { 60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
		    43, 4, 71, 2, 0x80, 0 }, 17,
		  "option 43 (PXE): boot item 71 has length 2, expected 4" },
	};
	char msg[DHCP_MSG_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		assert_int_equal(parse_opts(cases[i].opts, cases[i].len, msg),
				 -EINVAL);
		assert_string_equal(msg, cases[i].msg);
	}
}

static void test_lenient(void **state)
{
	/* option 43 without a PXE vendor class is opaque; a max size below
	 * 576 is taken as 576 */
	static const uint8_t opts[] = { 43, 3, 71, 4, 0, 57, 2, 0x01, 0xf4,
					255 };
	char msg[DHCP_MSG_LEN];

	(void)state;
	assert_int_equal(parse_opts(opts, sizeof(opts), msg), 0);
	assert_int_equal(req->vendor.len, 3);
	assert_false(req->has_boot_item);
	assert_int_equal(req->max_size, DHCP_DEFAULT_MAX_SIZE);
}

static void test_user_class(void **state)
{
	static const uint8_t rfc3004[] = {
		77, 9, 4, 'i', 'P', 'X', 'E', 3, 'f', 'o', 'o', 255 };
	static const uint8_t other[] = { 77, 3, 'f', 'o', 'o', 255 };
	static const uint8_t only175[] = { 175, 0, 255 };
	char msg[DHCP_MSG_LEN];

	(void)state;
	assert_int_equal(parse_opts(rfc3004, sizeof(rfc3004), msg), 0);
	assert_int_equal(req->nr_user_classes, 2);
	assert_str(&req->user_classes[0], "iPXE");
	assert_str(&req->user_classes[1], "foo");
	assert_true(req->is_ipxe);
	assert_int_equal(parse_opts(other, sizeof(other), msg), 0);
	assert_int_equal(req->nr_user_classes, 1);
	assert_str(&req->user_classes[0], "foo");
	assert_false(req->is_ipxe);
	assert_int_equal(parse_opts(only175, sizeof(only175), msg), 0);
	assert_true(req->is_ipxe);
}

static void test_sizes(void **state)
{
	static const uint8_t opts[] = { 53, 1, DHCP_DISCOVER, 255 };
	char msg[DHCP_MSG_LEN];
	size_t len;
	uint8_t *small = make_packet(opts, sizeof(opts), &len);
	uint8_t *p = calloc(1, DHCP_MAX_LEN + 1);

	(void)state;
	assert_non_null(p);
	memcpy(p, small, len);
	/* the largest message: the options padded out, with a long 61 */
	p[DHCP_MAX_LEN - 10] = DHCP_OPT_CLIENT_ID;
	p[DHCP_MAX_LEN - 9] = 8;
	assert_int_equal(dhcp_parse_request(p, DHCP_MAX_LEN, req, msg), 0);
	assert_null(req->client_id.ptr);
	assert_true(req->has_end);	/* the end came after 53 */
	p[len - 1] = 0;
	assert_int_equal(dhcp_parse_request(p, DHCP_MAX_LEN, req, msg), 0);
	assert_false(req->has_end);
	assert_int_equal(req->client_id.len, 8);
	assert_int_equal(dhcp_parse_request(p, DHCP_MAX_LEN + 1, req, msg),
			 -EMSGSIZE);
	assert_string_equal(msg, "message is 65536 bytes, over the limit of "
			    "65535");
	free(p);
	free(small);
}

/* ---- building ----------------------------------------------------------- */

/**
 * reply_header() - a reply header for the test client.
 * @hdr: filled in
 */
static void reply_header(struct dhcp_header *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->op = DHCP_OP_BOOTREPLY;
	hdr->htype = DHCP_HTYPE_ETHER;
	hdr->hlen = DHCP_ETHER_LEN;
	hdr->xid = 0xe8707804;
	hdr->flags = DHCP_FLAG_BROADCAST;
	hdr->yiaddr = 0x0a63006f;
	hdr->siaddr = 0x0a630001;
	memcpy(hdr->chaddr, ipxe_mac, DHCP_ETHER_LEN);
	strcpy((char *)hdr->file, "pxelinux.0");
}

static void test_build_roundtrip(void **state)
{
	struct dhcp_builder b;
	struct dhcp_header hdr;
	struct dhcp_bytes v;
	uint8_t buf[1500], pxe[64];
	char msg[DHCP_MSG_LEN] = "";
	size_t pos = 0;
	int n, i;

	(void)state;
	reply_header(&hdr);
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 0, &hdr,
					  DHCP_OFFER), 0);
	assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_SERVER_ID, 0x0a630001),
			 0);
	assert_int_equal(dhcp_build_string(&b, DHCP_OPT_VENDOR_CLASS,
					   PXE_VENDOR_CLASS), 0);
	assert_int_equal(pxe_put_boot_item(pxe, sizeof(pxe), &pos, 0x8000, 0),
			 0);
	assert_int_equal(pxe_put_end(pxe, sizeof(pxe), &pos), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_VENDOR, pxe, pos), 0);
	assert_int_equal(dhcp_build_u16(&b, DHCP_OPT_MAX_SIZE, 1472), 0);
	assert_int_equal(dhcp_build_u8(&b, DHCP_OPT_OVERLOAD + 200, 7), 0);
	n = dhcp_build_finish(&b);
	assert_int_equal(n, BOOTP_MIN_LEN);
	/* option 53 first, end after the last option, zeros after it */
	assert_int_equal(buf[DHCP_OFF_OPTIONS], DHCP_OPT_MSG_TYPE);
	assert_int_equal(buf[DHCP_OFF_OPTIONS + 2], DHCP_OFFER);
	for (i = (int)b.len - 1; buf[i] == 0; i--)
		;
	assert_int_equal(buf[i], DHCP_OPT_END);
	assert_int_equal(buf[i - 1], 7);

	assert_int_equal(dhcp_parse_request(buf, (size_t)n, req, msg), 0);
	assert_int_equal(req->hdr.op, DHCP_OP_BOOTREPLY);
	assert_int_equal(req->hdr.xid, 0xe8707804);
	assert_int_equal(req->hdr.yiaddr, 0x0a63006f);
	assert_int_equal(req->hdr.siaddr, 0x0a630001);
	assert_int_equal(req->hdr.flags, DHCP_FLAG_BROADCAST);
	assert_memory_equal(req->hdr.chaddr, ipxe_mac, DHCP_ETHER_LEN);
	assert_string_equal((const char *)req->hdr.file, "pxelinux.0");
	assert_int_equal(req->msg_type, DHCP_OFFER);
	assert_int_equal(req->server_id, 0x0a630001);
	assert_true(req->is_pxe);
	assert_true(req->has_boot_item);
	assert_int_equal(req->boot_item_type, 0x8000);
	assert_int_equal(req->max_size, 1472);
	assert_true(dhcp_get_option(req, DHCP_OPT_OVERLOAD + 200, &v));
	assert_int_equal(v.len, 1);
	assert_true(req->has_end);

	/* misuse */
	assert_int_equal(dhcp_build_finish(&b), -EINVAL);
	assert_int_equal(dhcp_build_u8(&b, DHCP_OPT_HOSTNAME, 1), -EINVAL);
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 0, &hdr,
					  DHCP_ACK), 0);
	assert_int_equal(dhcp_build_u8(&b, DHCP_OPT_MSG_TYPE, 1), -EINVAL);
	assert_int_equal(dhcp_build_u8(&b, DHCP_OPT_PAD, 1), -EINVAL);
	assert_int_equal(dhcp_build_u8(&b, DHCP_OPT_END, 1), -EINVAL);
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 575, &hdr,
					  DHCP_ACK), -EINVAL);
	hdr.hlen = DHCP_CHADDR_LEN + 1;
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 0, &hdr,
					  DHCP_ACK), -EINVAL);
	hdr.hlen = DHCP_ETHER_LEN;
	assert_int_equal(dhcp_build_start(&b, buf, DHCP_OFF_OPTIONS + 3, 0,
					  &hdr, DHCP_ACK), -ENOBUFS);
	/* a buffer too small for BOOTP padding */
	assert_int_equal(dhcp_build_start(&b, buf, 250, 0, &hdr, DHCP_ACK), 0);
	assert_int_equal(dhcp_build_finish(&b), -ENOBUFS);
}

static void test_build_long_option(void **state)
{
	struct dhcp_builder b;
	struct dhcp_header hdr;
	uint8_t buf[1500], val[600];
	char msg[DHCP_MSG_LEN] = "";
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(i * 7 + 1);
	reply_header(&hdr);
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 1472, &hdr,
					  DHCP_ACK), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RELAY_AGENT, val,
					   sizeof(val)), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_HOSTNAME, NULL, 0), 0);
	n = dhcp_build_finish(&b);
	/* 243 + 3 pieces (255, 255, 90) + empty 12 + end */
	assert_int_equal(n, 243 + 3 * 2 + 600 + 2 + 1);
	assert_int_equal(buf[243], DHCP_OPT_RELAY_AGENT);
	assert_int_equal(buf[244], 255);
	assert_int_equal(buf[243 + 257], DHCP_OPT_RELAY_AGENT);
	assert_int_equal(buf[243 + 258], 255);
	assert_int_equal(buf[243 + 514], DHCP_OPT_RELAY_AGENT);
	assert_int_equal(buf[243 + 515], 90);
	assert_int_equal(dhcp_parse_request(buf, (size_t)n, req, msg), 0);
	assert_bytes(&req->relay_agent, val, sizeof(val));
	assert_true(req->present[DHCP_OPT_HOSTNAME]);
	assert_int_equal(req->len[DHCP_OPT_HOSTNAME], 0);
}

static void test_build_max_size(void **state)
{
	struct dhcp_builder b;
	struct dhcp_header hdr;
	uint8_t buf[1500], val[400] = { 0 };
	size_t before;

	(void)state;
	reply_header(&hdr);
	/* default 576: 548 bytes of UDP payload; 243 used by header and 53,
	 * so two pieces of 300 bytes and the end fill it exactly */
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 0, &hdr,
					  DHCP_ACK), 0);
	before = b.len;
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RELAY_AGENT, val, 301),
			 -ENOBUFS);
	assert_int_equal(b.len, before);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RELAY_AGENT, val, 300),
			 0);
	assert_int_equal(dhcp_build_u8(&b, DHCP_OPT_HOSTNAME, 0), -ENOBUFS);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_HOSTNAME, NULL, 0),
			 -ENOBUFS);
	assert_int_equal(dhcp_build_finish(&b), 548);

	/* a larger client maximum lets it through; the buffer still bounds */
	assert_int_equal(dhcp_build_start(&b, buf, sizeof(buf), 1000, &hdr,
					  DHCP_ACK), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RELAY_AGENT, val, 400),
			 0);
	assert_int_equal(dhcp_build_finish(&b), 243 + 4 + 400 + 1);
	assert_int_equal(dhcp_build_start(&b, buf, 600, 65535, &hdr,
					  DHCP_ACK), 0);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RELAY_AGENT, val, 400),
			 -ENOBUFS);
	assert_int_equal(dhcp_build_option(&b, DHCP_OPT_RELAY_AGENT, buf,
					   sizeof(buf)), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipxe_bios_discover),
		cmocka_unit_test(test_ipxe_bios_request),
		cmocka_unit_test(test_ipxe_efi_discover),
		cmocka_unit_test(test_ovmf_pxe),
		cmocka_unit_test(test_uefi_http),
		cmocka_unit_test(test_ipxe_request_4011),
		cmocka_unit_test(test_udhcpc),
		cmocka_unit_test(test_proxy_offer_43),
		cmocka_unit_test(test_pxe_helpers_bounds),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_truncated_header),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_option_past_end),
		cmocka_unit_test(test_after_end_ignored),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_split_join),
		cmocka_unit_test(test_overload_file),
		cmocka_unit_test(test_overload_both_join),
		cmocka_unit_test(test_overload_bad),
		cmocka_unit_test(test_bad_shapes),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_user_class),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_build_roundtrip),
		cmocka_unit_test(test_build_long_option),
		cmocka_unit_test(test_build_max_size),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
