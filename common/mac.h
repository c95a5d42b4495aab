/* Ethernet MAC addresses in every notation admins paste. */
#ifndef LR_MAC_H
#define LR_MAC_H

#include <stdint.h>

#define MAC_LEN 6
/* "52:54:00:12:34:56" plus NUL */
#define MAC_STR_LEN 18

/**
 * mac_parse() - read a MAC address in any common notation:
 *   52:54:00:12:34:56  52-54-00-12-34-56  5254.0012.3456  525400123456
 *   52:54:0:12:34:56 (single-digit groups with ':' or '-')
 *   01-52-54-00-12-34-56 (pxelinux, hardware type 1 prefix)
 * Case is ignored.  Multicast and all-zero addresses are rejected.
 * Return: 0, or -EINVAL.
 */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);

/** mac_format() - canonical form: lowercase, colon-separated. */
void mac_format(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN]);

/** mac_format_dash() - "52-54-00-12-34-56" (for paths and URLs). */
void mac_format_dash(const uint8_t mac[MAC_LEN], char out[MAC_STR_LEN]);

/** mac_canonical() - parse @in, write canonical form. 0 or -EINVAL. */
int mac_canonical(const char *in, char out[MAC_STR_LEN]);

#endif
