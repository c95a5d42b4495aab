/* IPv4/UDP datagrams on an AF_PACKET socket (see rawsend.h).
 *
 * RFC 791 (IPv4 header), RFC 768 (UDP and its pseudo-header checksum),
 * RFC 1071 (the Internet checksum).
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "rawsend.h"
#include "wire.h"

/* Largest IPv4 packet. */
#define IPV4_MAX_LEN		65535U
/* Offsets in the IPv4 header. */
#define IP_OFF_VER_IHL		0
#define IP_OFF_TOTAL_LEN	2
#define IP_OFF_ID		4
#define IP_OFF_FRAG		6
#define IP_OFF_TTL		8
#define IP_OFF_PROTO		9
#define IP_OFF_CHECKSUM		10
#define IP_OFF_SRC		12
#define IP_OFF_DST		16
/* Offsets in the UDP header. */
#define UDP_OFF_SRC_PORT	0
#define UDP_OFF_DST_PORT	2
#define UDP_OFF_LEN		4
#define UDP_OFF_CHECKSUM	6
/* The IHL field counts 32-bit words. */
#define IPV4_IHL_UNIT		4

uint32_t inet_checksum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffffU) + (sum >> 16);
	return sum;
}

/**
 * udp_pseudo_sum() - the sum over the UDP pseudo-header (RFC 768).
 * @src: source address
 * @dst: destination address
 * @udp_len: UDP header and payload bytes
 * Return: the partial sum.
 */
static uint32_t udp_pseudo_sum(uint32_t src, uint32_t dst, uint16_t udp_len)
{
	uint8_t ph[12];

	put_be32(ph, src);
	put_be32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP_NUM;
	put_be16(ph + 10, udp_len);
	return inet_checksum_add(0, ph, sizeof(ph));
}

int rawsend_build_udp(uint8_t *buf, size_t cap, uint32_t src_ip, uint16_t src_port,
		      uint32_t dst_ip, uint16_t dst_port, const void *payload, size_t len)
{
	size_t total = IPV4_UDP_HEADER_LEN + len;
	uint8_t *ip = buf, *udp = buf + IPV4_HEADER_LEN;
	uint16_t sum;

	if (total > cap || total > IPV4_MAX_LEN)
		return -EMSGSIZE;
	memset(buf, 0, IPV4_UDP_HEADER_LEN);
	ip[IP_OFF_VER_IHL] = IPV4_VERSION << 4 | IPV4_HEADER_LEN / IPV4_IHL_UNIT;
	put_be16(ip + IP_OFF_TOTAL_LEN, (uint16_t)total);
	put_be16(ip + IP_OFF_FRAG, IPV4_FLAG_DF);
	ip[IP_OFF_TTL] = IPV4_DEFAULT_TTL;
	ip[IP_OFF_PROTO] = IPPROTO_UDP_NUM;
	put_be32(ip + IP_OFF_SRC, src_ip);
	put_be32(ip + IP_OFF_DST, dst_ip);
	put_be16(ip + IP_OFF_CHECKSUM, (uint16_t)~inet_checksum_add(0, ip, IPV4_HEADER_LEN));

	put_be16(udp + UDP_OFF_SRC_PORT, src_port);
	put_be16(udp + UDP_OFF_DST_PORT, dst_port);
	put_be16(udp + UDP_OFF_LEN, (uint16_t)(UDP_HEADER_LEN + len));
	if (len)
		memmove(udp + UDP_HEADER_LEN, payload, len);
	sum = (uint16_t)~inet_checksum_add(udp_pseudo_sum(src_ip, dst_ip,
							  (uint16_t)(UDP_HEADER_LEN + len)),
					   udp, UDP_HEADER_LEN + len);
	/* RFC 768: a computed zero is sent as all ones (zero means "none") */
	put_be16(udp + UDP_OFF_CHECKSUM, sum ? sum : 0xffffU);
	return (int)total;
}

int rawsend_parse_udp(const uint8_t *buf, size_t len, struct udp_packet *out)
{
	size_t ihl, total, ulen;
	const uint8_t *udp;

	if (len < IPV4_UDP_HEADER_LEN || buf[IP_OFF_VER_IHL] >> 4 != IPV4_VERSION)
		return -EINVAL;
	ihl = (size_t)(buf[IP_OFF_VER_IHL] & 0x0f) * IPV4_IHL_UNIT;
	total = get_be16(buf + IP_OFF_TOTAL_LEN);
	if (ihl < IPV4_HEADER_LEN || total < ihl + UDP_HEADER_LEN || total > len)
		return -EINVAL;
	if (buf[IP_OFF_PROTO] != IPPROTO_UDP_NUM ||
	    (get_be16(buf + IP_OFF_FRAG) & IPV4_FRAG_MASK))
		return -EINVAL;
	if (inet_checksum_add(0, buf, ihl) != 0xffffU)
		return -EINVAL;
	udp = buf + ihl;
	ulen = get_be16(udp + UDP_OFF_LEN);
	if (ulen < UDP_HEADER_LEN || ulen > total - ihl)
		return -EINVAL;
	out->src_ip = get_be32(buf + IP_OFF_SRC);
	out->dst_ip = get_be32(buf + IP_OFF_DST);
	out->src_port = get_be16(udp + UDP_OFF_SRC_PORT);
	out->dst_port = get_be16(udp + UDP_OFF_DST_PORT);
	out->payload = udp + UDP_HEADER_LEN;
	out->len = ulen - UDP_HEADER_LEN;
	return 0;
}

int rawsend_open(void)
{
	/* protocol 0: the socket receives nothing */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

int rawsend_udp(int fd, int ifindex, const uint8_t dst_mac[MAC_LEN], uint32_t src_ip,
		uint16_t src_port, uint32_t dst_ip, uint16_t dst_port, const void *payload,
		size_t len)
{
	static uint8_t pkt[IPV4_MAX_LEN];
	struct sockaddr_ll sll;
	int n;

	n = rawsend_build_udp(pkt, sizeof(pkt), src_ip, src_port, dst_ip, dst_port, payload, len);
	if (n < 0)
		return n;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = ifindex;
	sll.sll_halen = MAC_LEN;
	memcpy(sll.sll_addr, dst_mac, MAC_LEN);
	if (sendto(fd, pkt, (size_t)n, 0, (const struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}
