/* IPv4 addresses, subnets and ranges as config values and in messages.
 * Addresses are uint32_t in host byte order (192.0.2.1 is 0xc0000201).
 */
#ifndef LR_ADDR_H
#define LR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_STR_LEN 16		/* "255.255.255.255" + NUL */

/** parse_ipv4() - a dotted quad ("192.0.2.1").  0 or -EINVAL. */
int parse_ipv4(const char *s, uint32_t *out);

/**
 * parse_cidr() - "192.0.2.0/24": the network and its prefix length.
 * Host bits must be zero ("192.0.2.1/24" is -EINVAL: which did you mean?).
 * 0 or -EINVAL.
 */
int parse_cidr(const char *s, uint32_t *net, unsigned *prefix);

/**
 * parse_ipv4_range() - "192.0.2.100-192.0.2.200", first <= last.
 * 0 or -EINVAL.
 */
int parse_ipv4_range(const char *s, uint32_t *first, uint32_t *last);

/** ipv4_mask() - the netmask of a prefix length (0..32). */
uint32_t ipv4_mask(unsigned prefix);

/** ipv4_in_subnet() - whether @ip lies in @net/@prefix. */
bool ipv4_in_subnet(uint32_t ip, uint32_t net, unsigned prefix);

/** ipv4_str() - @ip as a dotted quad in @buf; returns @buf. */
char *ipv4_str(uint32_t ip, char buf[IPV4_STR_LEN]);

/* Used when the host has no other IPv4 address that is up. */
#define IPV4_FALLBACK_ADDRESS "127.0.0.1"

/**
 * ipv4_guess_local() - the first IPv4 address of an up, non-loopback
 * interface, as text in @out; IPV4_FALLBACK_ADDRESS if there is none.
 * (What `lanroot init` writes as [server] address, and what `lanroot
 * client show` uses when that is empty.)
 */
void ipv4_guess_local(char *out, size_t outlen);

#endif
