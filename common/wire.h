/* Big-endian integers in network packets (NBD, DHCP, TFTP …): header-only,
 * so the wire-format modules stay pure and link nothing.
 */
#ifndef LR_WIRE_H
#define LR_WIRE_H

#include <stdint.h>

/** get_be16() - read a big-endian 16-bit value. @p: 2 bytes. Return: it. */
static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/** get_be32() - read a big-endian 32-bit value. @p: 4 bytes. Return: it. */
static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/** get_be64() - read a big-endian 64-bit value. @p: 8 bytes. Return: it. */
static inline uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/** put_be16() - write @v big-endian at @p. Return: @p + 2. */
static inline uint8_t *put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

/** put_be32() - write @v big-endian at @p. Return: @p + 4. */
static inline uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/** put_be64() - write @v big-endian at @p. Return: @p + 8. */
static inline uint8_t *put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	return put_be32(p + 4, (uint32_t)v);
}

#endif
