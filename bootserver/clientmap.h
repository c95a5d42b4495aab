/* Which machine is at which IPv4 address: learned from DHCP requests (MAC,
 * UUID, the address it got or had) and, failing that, read from the
 * kernel's neighbour table.  TFTP and HTTP use it to know who asks for a
 * file (check_requester, pxelinux.cfg names by UUID or IP, boot.ipxe).
 *
 * A bounded table: when full, learning a new machine evicts the one heard
 * from longest ago.  Loop thread only (no locking).
 */
#ifndef LR_CLIENTMAP_H
#define LR_CLIENTMAP_H

#include <stddef.h>
#include <stdint.h>
#include "mac.h"

#define CLIENTMAP_UUID_LEN 16
/* Default size of the table bootd makes (machines remembered). */
#define CLIENTMAP_DEFAULT_MAX 4096
/* The kernel's IPv4 neighbour table. */
#define CLIENTMAP_ARP_PATH "/proc/net/arp"

struct clientmap;

/**
 * clientmap_new() - an empty map for at most @max_entries machines
 * (0 is taken as 1).  Never NULL (aborts when out of memory).
 */
struct clientmap *clientmap_new(size_t max_entries);

/** clientmap_free() - free @m (NULL is fine). */
void clientmap_free(struct clientmap *m);

/**
 * clientmap_learn() - record what a DHCP request told us.
 * @ip: the client's address (host order), 0 = unknown (proxy mode, before
 *      it has one); a known entry keeps its address when @ip is 0
 * @mac: the machine, any notation mac_parse() reads (ignored if invalid)
 * @uuid16: its SMBIOS UUID (option 97), or NULL
 * An address moves to the MAC that last claimed it.
 */
void clientmap_learn(struct clientmap *m, uint32_t ip, const char *mac, const uint8_t *uuid16);

/**
 * clientmap_mac_for_ip() - the MAC at @ip (host order): learned entries
 * first, then the kernel neighbour table.
 * Return: 0 with @mac (canonical), or -ENOENT.
 */
int clientmap_mac_for_ip(struct clientmap *m, uint32_t ip, char mac[MAC_STR_LEN]);

/**
 * clientmap_mac_for_uuid() - the MAC of the machine with SMBIOS UUID
 * @uuid16 (as option 97 carries it).  Return: 0 with @mac, or -ENOENT.
 */
int clientmap_mac_for_uuid(struct clientmap *m, const uint8_t uuid16[16], char mac[MAC_STR_LEN]);

/** clientmap_count() - machines in the map now. */
size_t clientmap_count(const struct clientmap *m);

/**
 * clientmap_set_arp_path() - read the neighbour table from @path instead
 * of CLIENTMAP_ARP_PATH (tests); NULL = the default; "" = never.
 */
void clientmap_set_arp_path(struct clientmap *m, const char *path);

#endif
