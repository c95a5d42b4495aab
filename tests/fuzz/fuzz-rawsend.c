/* libFuzzer target: the IPv4/UDP parser bootd uses on frames it sniffs for
 * other DHCP servers (bootserver/rawsend.c), and the DHCP reply parse that
 * follows.
 *
 * Input: an IPv4 packet as received.  Beyond not crashing: the payload lies
 * inside the packet; a packet we build from that payload parses back to
 * the same addresses, ports and payload.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "bootserver/dhcp-proto.h"
#include "bootserver/rawsend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REBUILD_MAX 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_request req;	/* large: not on the stack */
	uint8_t *pkt = malloc(size ? size : 1), again[REBUILD_MAX];
	struct udp_packet u, v;
	char msg[DHCP_MSG_LEN];
	int n;

	if (!pkt)
		abort();
	memcpy(pkt, data, size);
	if (rawsend_parse_udp(pkt, size, &u) == 0) {
		if (u.payload < pkt || u.payload + u.len > pkt + size)
			abort();
		dhcp_parse_request(u.payload, u.len, &req, msg);
		n = rawsend_build_udp(again, sizeof(again), u.src_ip, u.src_port, u.dst_ip,
				      u.dst_port, u.payload, u.len);
		if (n > 0) {
			if (rawsend_parse_udp(again, (size_t)n, &v) != 0 || v.src_ip != u.src_ip ||
			    v.dst_ip != u.dst_ip || v.src_port != u.src_port ||
			    v.dst_port != u.dst_port || v.len != u.len ||
			    memcmp(v.payload, u.payload, u.len) != 0)
				abort();
		}
	}
	free(pkt);
	return 0;
}
