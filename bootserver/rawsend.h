/* IPv4/UDP datagrams built by hand and sent on an AF_PACKET socket.
 *
 * A DHCP server must reach a client that has no address yet and did not
 * set the broadcast flag: the reply goes to the client's MAC address with
 * the offered address as destination, which the kernel's IP stack cannot
 * send (it would ARP for an address nobody holds yet).  The rogue server
 * probe is sent the same way, so our own UDP socket never sees it.
 *
 * The build and parse functions are pure; rawsend_open() needs
 * CAP_NET_RAW, so bootd opens the socket before it drops privileges.
 * Addresses and ports are host byte order.
 */
#ifndef LR_RAWSEND_H
#define LR_RAWSEND_H

#include <stddef.h>
#include <stdint.h>
#include "mac.h"

#define IPV4_HEADER_LEN		20	/* without options */
#define UDP_HEADER_LEN		8
#define IPV4_UDP_HEADER_LEN	(IPV4_HEADER_LEN + UDP_HEADER_LEN)
#define IPV4_VERSION		4
#define IPV4_DEFAULT_TTL	64
#define IPV4_FLAG_DF		0x4000U
#define IPV4_FRAG_MASK		0x3fffU	/* MF flag and fragment offset */
#define IPPROTO_UDP_NUM		17

/** A UDP datagram found in an IPv4 packet (rawsend_parse_udp()). */
struct udp_packet {
	uint32_t src_ip, dst_ip;
	uint16_t src_port, dst_port;
	const uint8_t *payload;	/* inside the parsed buffer */
	size_t len;		/* payload bytes */
};

/**
 * inet_checksum_add() - the Internet checksum (RFC 1071) of @len bytes,
 * continuing from @sum (0 to start).
 * Return: the folded one's complement sum, not yet inverted.
 */
uint32_t inet_checksum_add(uint32_t sum, const uint8_t *p, size_t len);

/**
 * rawsend_build_udp() - an IPv4 header, a UDP header and @payload into
 * @buf, both checksums filled in.
 * @buf: output
 * @cap: its size
 * @src_ip, @src_port, @dst_ip, @dst_port: the addresses
 * @payload: the UDP payload
 * @len: its length
 * Return: the packet length, or -EMSGSIZE if it does not fit in @cap or in
 * an IPv4 packet.
 */
int rawsend_build_udp(uint8_t *buf, size_t cap, uint32_t src_ip, uint16_t src_port,
		      uint32_t dst_ip, uint16_t dst_port, const void *payload, size_t len);

/**
 * rawsend_parse_udp() - check an IPv4 packet (header checksum, lengths,
 * not a fragment) carrying UDP and find its payload.
 * @buf: the packet from its IPv4 header on
 * @len: bytes received
 * @out: filled in
 * Return: 0, or -EINVAL (not IPv4/UDP, a fragment, or malformed).
 */
int rawsend_parse_udp(const uint8_t *buf, size_t len, struct udp_packet *out);

/**
 * rawsend_open() - an AF_PACKET datagram socket for sending (it receives
 * nothing).  Return: the descriptor, or -errno.
 */
int rawsend_open(void);

/**
 * rawsend_udp() - send a UDP datagram to @dst_mac on interface @ifindex.
 * @fd: from rawsend_open()
 * @ifindex: the interface
 * @dst_mac: Ethernet destination (ff:ff:ff:ff:ff:ff for broadcast)
 * Other parameters as rawsend_build_udp().
 * Return: 0 or -errno.
 */
int rawsend_udp(int fd, int ifindex, const uint8_t dst_mac[MAC_LEN], uint32_t src_ip,
		uint16_t src_port, uint32_t dst_ip, uint16_t dst_port, const void *payload,
		size_t len);

#endif
