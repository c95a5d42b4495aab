/* Unit tests: bootserver/rogue.c (the table of other DHCP servers) and
 * bootserver/ra.c (the router advertisement's bytes). */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dhcp-proto.h"
#include "log.h"
#include "ra.h"
#include "rawsend.h"
#include "rogue.h"

#define T0 1700000000
#define OUR_IP 0x0a4d0001U
#define SITE_IP 0x0a4d0002U
#define OTHER_IP 0x0a4d0003U

static const uint8_t our_mac[MAC_LEN] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t site_mac[MAC_LEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t other_mac[MAC_LEN] = { 0x02, 0, 0, 0, 0, 0x03 };

/** new_rogue() - a table without sockets, watching "eth0" (our_mac). */
static struct rogue *new_rogue(void)
{
	struct rogue_iface ifc = { .ifindex = 2, .name = "eth0", .addr = OUR_IP };
	uint32_t ours = OUR_IP;
	struct rogue *r;
	char err[256];

	memcpy(ifc.mac, our_mac, MAC_LEN);
	assert_int_equal(rogue_new(NULL, &ifc, 1, -1, &ours, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(rogue_configure(r, "10.77.0.2", 0, err, sizeof(err)), 0);
	return r;
}

/**
 * offer_packet() - an IPv4/UDP DHCPOFFER from @src:@sport to port @dport,
 * with option 54 = @server_id (0: none), into @buf.
 * Return: its length.
 */
static size_t offer_packet(uint8_t *buf, size_t cap, uint32_t src, uint16_t sport,
			   uint16_t dport, uint32_t server_id)
{
	uint8_t dhcp[BOOTP_MIN_LEN + 16];
	struct dhcp_builder b;
	struct dhcp_header h;
	int n;

	memset(&h, 0, sizeof(h));
	h.op = DHCP_OP_BOOTREPLY;
	h.htype = DHCP_HTYPE_ETHER;
	h.hlen = DHCP_ETHER_LEN;
	h.yiaddr = 0x0a4d0064U;
	assert_int_equal(dhcp_build_start(&b, dhcp, sizeof(dhcp), 0, &h, DHCP_OFFER), 0);
	if (server_id)
		assert_int_equal(dhcp_build_u32(&b, DHCP_OPT_SERVER_ID, server_id), 0);
	n = dhcp_build_finish(&b);
	assert_true(n > 0);
	n = rawsend_build_udp(buf, cap, src, sport, 0xffffffffU, dport, dhcp, (size_t)n);
	assert_true(n > 0);
	return (size_t)n;
}

static void test_note(void **state)
{
	struct rogue *r = new_rogue();
	const struct rogue_server *s;
	char err[256];
	int i;

	(void)state;
	/* reported once, then not again within the hour */
	assert_true(rogue_note(r, SITE_IP, site_mac, "eth0", T0));
	assert_false(rogue_note(r, SITE_IP, site_mac, "eth0", T0 + 10));
	assert_false(rogue_note(r, SITE_IP, site_mac, "eth0", T0 + ROGUE_REPORT_INTERVAL - 1));
	assert_true(rogue_note(r, SITE_IP, site_mac, "eth0", T0 + ROGUE_REPORT_INTERVAL));
	assert_int_equal(rogue_count(r), 1);
	s = rogue_at(r, 0);
	assert_true(s->known);
	assert_int_equal(s->packets, 4);
	assert_int_equal(s->first_seen, T0);
	/* another server: unknown */
	assert_true(rogue_note(r, OTHER_IP, other_mac, "eth0", T0));
	assert_false(rogue_at(r, 1)->known);
	assert_null(rogue_at(r, 2));
	/* allowed_servers changes: known follows */
	assert_int_equal(rogue_configure(r, "10.77.0.3, 10.77.0.2", 0, err, sizeof(err)), 0);
	assert_true(rogue_at(r, 1)->known);
	assert_int_equal(rogue_configure(r, "10.77.0.x", 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "10.77.0.x"));
	assert_true(rogue_at(r, 1)->known);	/* unchanged */
	/* bounded: a flood of servers keeps the table at its size */
	for (i = 0; i < 3 * ROGUE_MAX_SERVERS; i++) {
		uint8_t m[MAC_LEN] = { 0x02, 1, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		rogue_note(r, 0x0a000000U + (uint32_t)i, m, "eth0", T0 + 100 + i);
	}
	assert_int_equal(rogue_count(r), ROGUE_MAX_SERVERS);
	rogue_free(r);
}

static void test_packet(void **state)
{
	struct rogue *r = new_rogue();
	uint8_t pkt[1024];
	size_t n;
	json_t *j;

	(void)state;
	/* a server's offer: noted by option 54, MAC from Ethernet */
	n = offer_packet(pkt, sizeof(pkt), OTHER_IP, 67, 68, SITE_IP);
	assert_true(rogue_packet(r, 0, other_mac, pkt, n, T0));
	assert_int_equal(rogue_at(r, 0)->ip, SITE_IP);
	assert_memory_equal(rogue_at(r, 0)->mac, other_mac, MAC_LEN);
	/* without option 54: the IP source */
	n = offer_packet(pkt, sizeof(pkt), OTHER_IP, 67, 68, 0);
	assert_true(rogue_packet(r, 0, other_mac, pkt, n, T0));
	assert_int_equal(rogue_at(r, 1)->ip, OTHER_IP);
	/* ours: by address, by MAC */
	n = offer_packet(pkt, sizeof(pkt), OUR_IP, 67, 68, OUR_IP);
	assert_false(rogue_packet(r, 0, site_mac, pkt, n, T0));
	n = offer_packet(pkt, sizeof(pkt), 0x0a4d0009U, 67, 68, 0x0a4d0009U);
	assert_false(rogue_packet(r, 0, our_mac, pkt, n, T0));
	/* wrong ports, bad interface index, garbage */
	n = offer_packet(pkt, sizeof(pkt), OTHER_IP, 68, 67, SITE_IP);
	assert_false(rogue_packet(r, 0, other_mac, pkt, n, T0));
	n = offer_packet(pkt, sizeof(pkt), OTHER_IP, 67, 68, SITE_IP);
	assert_false(rogue_packet(r, 1, other_mac, pkt, n, T0));
	assert_false(rogue_packet(r, 0, other_mac, pkt, 40, T0));
	memset(pkt + IPV4_UDP_HEADER_LEN, 0xee, 64);
	assert_false(rogue_packet(r, 0, other_mac, pkt, n, T0));
	assert_int_equal(rogue_count(r), 2);

	j = rogue_status(r);
	assert_int_equal(json_array_size(j), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "server_ip")),
			    "10.77.0.2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0),
							      "server_mac")), "02:00:00:00:00:03");
	assert_true(json_is_true(json_object_get(json_array_get(j, 0), "known")));
	json_decref(j);
	rogue_free(r);
}

static void test_ra_build(void **state)
{
	static const uint8_t want[RA_LEN] = {
		134, 0, 0, 0,		/* type, code, checksum (kernel) */
		0, 0, 0, 0,		/* hop limit, M=O=0, router lifetime 0 */
		0, 0, 0, 0, 0, 0, 0, 0,	/* reachable, retrans */
		1, 1, 0x02, 0, 0, 0, 0, 0x01,	/* source link-layer address */
	};
	uint8_t buf[64];

	(void)state;
	assert_int_equal(ra_build(buf, sizeof(buf), our_mac), RA_LEN);
	assert_memory_equal(buf, want, RA_LEN);
	assert_int_equal(ra_build(buf, RA_LEN - 1, our_mac), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_note),
		cmocka_unit_test(test_packet),
		cmocka_unit_test(test_ra_build),
	};
	log_init("test-rogue", LOG_TARGET_STDERR, LOG_LVL_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
