/* Which machine is at which address: see clientmap.h. */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clientmap.h"
#include "log.h"
#include "util.h"

/* Most bytes of the neighbour table read (about 10000 entries). */
#define ARP_READ_MAX (1024 * 1024)
#define ARP_READ_CHUNK 16384
/* /proc/net/arp flags: the entry is complete (ATF_COM). */
#define ARP_FLAG_COMPLETE 0x2U

struct client_entry {
	uint32_t ip;			/* host order, 0 = not known */
	uint8_t mac[MAC_LEN];
	uint8_t uuid[CLIENTMAP_UUID_LEN];
	bool has_uuid;
	uint64_t seen;			/* stamp of the last learn: larger = newer */
};

struct clientmap {
	struct client_entry *e;		/* max entries */
	size_t n;			/* used */
	size_t max;			/* capacity */
	uint64_t clock;			/* last stamp given */
	int arp_fd;			/* the neighbour table, or -1 */
	char *arp_buf;			/* ARP_READ_MAX + 1 bytes, made at first use */
	char *arp_path;			/* its path ("" = never read) */
};

struct clientmap *clientmap_new(size_t max_entries)
{
	struct clientmap *m = xcalloc(1, sizeof(*m));

	m->max = max_entries ? max_entries : 1;
	m->e = xcalloc(m->max, sizeof(*m->e));
	m->arp_fd = -1;
	clientmap_set_arp_path(m, NULL);
	return m;
}

void clientmap_free(struct clientmap *m)
{
	if (!m)
		return;
	if (m->arp_fd >= 0)
		close(m->arp_fd);
	free(m->arp_path);
	free(m->arp_buf);
	free(m->e);
	free(m);
}

void clientmap_set_arp_path(struct clientmap *m, const char *path)
{
	if (m->arp_fd >= 0)
		close(m->arp_fd);
	free(m->arp_path);
	m->arp_path = xstrdup(path ? path : CLIENTMAP_ARP_PATH);
	/* Opened now, while the daemon can still see /proc; read again
	 * from the start at each look-up. */
	m->arp_fd = m->arp_path[0] ? open(m->arp_path, O_RDONLY | O_CLOEXEC) : -1;
	if (m->arp_path[0] && m->arp_fd < 0)
		log_warn("cannot open the neighbour table %s: %s; requesters are known "
			 "from DHCP only", m->arp_path, strerror(errno));
}

size_t clientmap_count(const struct clientmap *m)
{
	return m ? m->n : 0;
}

/** find_mac() - the entry of @mac, or NULL. */
static struct client_entry *find_mac(struct clientmap *m, const uint8_t mac[MAC_LEN])
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!memcmp(m->e[i].mac, mac, MAC_LEN))
			return &m->e[i];
	return NULL;
}

/** take_slot() - a free entry, evicting the one heard from longest ago. */
static struct client_entry *take_slot(struct clientmap *m)
{
	size_t i, oldest = 0;

	if (m->n < m->max)
		return &m->e[m->n++];
	for (i = 1; i < m->n; i++)
		if (m->e[i].seen < m->e[oldest].seen)
			oldest = i;
	return &m->e[oldest];
}

void clientmap_learn(struct clientmap *m, uint32_t ip, const char *mac, const uint8_t *uuid16)
{
	struct client_entry *e;
	uint8_t bin[MAC_LEN];
	size_t i;

	if (!m || !mac || mac_parse(mac, bin) < 0)
		return;
	e = find_mac(m, bin);
	if (!e) {
		e = take_slot(m);
		memset(e, 0, sizeof(*e));
		memcpy(e->mac, bin, MAC_LEN);
	}
	if (ip) {
		/* The address belongs to this machine now. */
		for (i = 0; i < m->n; i++)
			if (&m->e[i] != e && m->e[i].ip == ip)
				m->e[i].ip = 0;
		e->ip = ip;
	}
	if (uuid16) {
		memcpy(e->uuid, uuid16, CLIENTMAP_UUID_LEN);
		e->has_uuid = true;
	}
	e->seen = ++m->clock;
}

/**
 * arp_lookup() - the MAC of a complete entry for @ip in the neighbour
 * table, read afresh (into a buffer kept from the first call: no 1 MiB
 * allocation per request).  Not learned: the address may move to another
 * machine without bootd hearing of it.  Return: 0 with @mac, or -ENOENT.
 */
static int arp_lookup(struct clientmap *m, uint32_t ip, char mac[MAC_STR_LEN])
{
	char *buf, *line, *next, addr[64], hw[64];
	unsigned type, flags;
	uint8_t bin[MAC_LEN];
	struct in_addr a;
	size_t len = 0;
	ssize_t got;
	int rc = -ENOENT;

	if (m->arp_fd < 0)
		return -ENOENT;
	if (!m->arp_buf)
		m->arp_buf = xmalloc(ARP_READ_MAX + 1);
	buf = m->arp_buf;
	while (len < ARP_READ_MAX) {
		got = pread(m->arp_fd, buf + len, ARP_READ_MAX - len < ARP_READ_CHUNK ?
			    ARP_READ_MAX - len : ARP_READ_CHUNK, (off_t)len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	buf[len] = '\0';
	/* The first line is a header. */
	line = strchr(buf, '\n');
	if (line)
		line++;
	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (sscanf(line, "%63s %x %x %63s", addr, &type, &flags, hw) != 4)
			continue;
		if (!(flags & ARP_FLAG_COMPLETE) || inet_pton(AF_INET, addr, &a) != 1 ||
		    ntohl(a.s_addr) != ip || mac_parse(hw, bin) < 0)
			continue;
		mac_format(bin, mac);
		rc = 0;
		break;
	}
	return rc;
}

int clientmap_mac_for_ip(struct clientmap *m, uint32_t ip, char mac[MAC_STR_LEN])
{
	struct client_entry *best = NULL;
	size_t i;

	if (!m || !ip)
		return -ENOENT;
	for (i = 0; i < m->n; i++)
		if (m->e[i].ip == ip && (!best || m->e[i].seen > best->seen))
			best = &m->e[i];
	if (best) {
		mac_format(best->mac, mac);
		return 0;
	}
	return arp_lookup(m, ip, mac);
}

int clientmap_mac_for_uuid(struct clientmap *m, const uint8_t uuid16[16], char mac[MAC_STR_LEN])
{
	struct client_entry *best = NULL;
	size_t i;

	if (!m || !uuid16)
		return -ENOENT;
	for (i = 0; i < m->n; i++)
		if (m->e[i].has_uuid && !memcmp(m->e[i].uuid, uuid16, CLIENTMAP_UUID_LEN) &&
		    (!best || m->e[i].seen > best->seen))
			best = &m->e[i];
	if (!best)
		return -ENOENT;
	mac_format(best->mac, mac);
	return 0;
}
