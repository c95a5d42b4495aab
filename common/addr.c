/* IPv4 addresses, subnets and ranges (see addr.h). */
#include <config.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "parse.h"
#include "util.h"

#define IPV4_BITS 32U
#define CIDR_TEXT_MAX 32	/* "255.255.255.255/32" with room */
#define RANGE_TEXT_MAX 40	/* two dotted quads and a dash */

/**
 * parse_ipv4() - strict dotted quad through inet_pton (no shorthand forms
 * like "10.1" that inet_aton would take).
 */
int parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

/** ipv4_mask() - prefix length → mask (0 → 0, 32 → all ones). */
uint32_t ipv4_mask(unsigned prefix)
{
	if (prefix == 0)
		return 0;
	if (prefix >= IPV4_BITS)
		return UINT32_MAX;
	return UINT32_MAX << (IPV4_BITS - prefix);
}

/** ipv4_in_subnet() - compare the network bits. */
bool ipv4_in_subnet(uint32_t ip, uint32_t net, unsigned prefix)
{
	return (ip & ipv4_mask(prefix)) == (net & ipv4_mask(prefix));
}

/**
 * parse_cidr() - split at '/', parse both halves, refuse set host bits.
 */
int parse_cidr(const char *s, uint32_t *net, unsigned *prefix)
{
	char buf[CIDR_TEXT_MAX];
	const char *slash;
	uint32_t ip, len;
	size_t n;

	if (!s || !(slash = strchr(s, '/')))
		return -EINVAL;
	n = (size_t)(slash - s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_ipv4(buf, &ip) < 0 || parse_u32(slash + 1, 0, IPV4_BITS, &len) < 0)
		return -EINVAL;
	if (ip & ~ipv4_mask(len))
		return -EINVAL;
	*net = ip;
	*prefix = len;
	return 0;
}

/** parse_ipv4_range() - "FIRST-LAST" with FIRST <= LAST. */
int parse_ipv4_range(const char *s, uint32_t *first, uint32_t *last)
{
	char buf[RANGE_TEXT_MAX];
	const char *dash;
	uint32_t a, b;
	size_t n;

	if (!s || !(dash = strchr(s, '-')))
		return -EINVAL;
	n = (size_t)(dash - s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_ipv4(buf, &a) < 0 || parse_ipv4(dash + 1, &b) < 0 || a > b)
		return -EINVAL;
	*first = a;
	*last = b;
	return 0;
}

/** ipv4_str() - format through snprintf (no static buffer). */
char *ipv4_str(uint32_t ip, char buf[IPV4_STR_LEN])
{
	snprintf(buf, IPV4_STR_LEN, "%u.%u.%u.%u", (ip >> 24) & 0xffU, (ip >> 16) & 0xffU,
		 (ip >> 8) & 0xffU, ip & 0xffU);
	return buf;
}

/** ipv4_guess_local() - walk getifaddrs() for the first usable address. */
void ipv4_guess_local(char *out, size_t outlen)
{
	struct ifaddrs *ifs, *i;
	const struct sockaddr_in *sin;

	str_copy(out, outlen, IPV4_FALLBACK_ADDRESS);
	if (getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		sin = (const struct sockaddr_in *)i->ifa_addr;
		if (inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t)outlen))
			break;
		str_copy(out, outlen, IPV4_FALLBACK_ADDRESS);
	}
	freeifaddrs(ifs);
}
