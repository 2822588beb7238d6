/* SPDX-License-Identifier: BSD-3-Clause */
/* Just enough Ethernet/IP parsing to corrupt payload bytes and finish checksums. */
#include <string.h>

#include "relay.h"

#define ETH_HLEN_	14
#define ETYPE_IPV4	0x0800
#define ETYPE_IPV6	0x86dd
#define ETYPE_VLAN	0x8100
#define ETYPE_QINQ	0x88a8

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Offset of the L3 header and its ethertype, skipping up to two VLAN tags. */
static int
frame_l3(const uint8_t *f, size_t len, size_t *l3, uint16_t *etype)
{
	size_t off = 12;
	int tags;

	for (tags = 0; tags <= 2; tags++) {
		uint16_t t;

		if (off + 2 > len)
			return -1;
		t = rd16(f + off);
		if (t != ETYPE_VLAN && t != ETYPE_QINQ) {
			*l3 = off + 2;
			*etype = t;
			return 0;
		}
		off += 4;
	}
	return -1;
}

int
relay_frame_is_ip(const uint8_t *f, size_t len)
{
	size_t l3;
	uint16_t t;

	return frame_l3(f, len, &l3, &t) == 0 && (t == ETYPE_IPV4 || t == ETYPE_IPV6);
}

int
relay_frame_l4(const uint8_t *f, size_t len, size_t *l3p, size_t *l4p, size_t *endp,
	       uint8_t *proto)
{
	size_t l3, l4, end;
	uint16_t t;

	if (frame_l3(f, len, &l3, &t) < 0)
		return -1;
	if (t == ETYPE_IPV4) {
		if (l3 + 20 > len || (f[l3] >> 4) != 4)
			return -1;
		l4 = l3 + (size_t)(f[l3] & 0xf) * 4;
		end = l3 + rd16(f + l3 + 2);
		*proto = f[l3 + 9];
	} else if (t == ETYPE_IPV6) {
		if (l3 + 40 > len || (f[l3] >> 4) != 6)
			return -1;
		l4 = l3 + 40;	/* extension headers count as payload */
		end = l4 + rd16(f + l3 + 4);
		*proto = f[l3 + 6];
	} else {
		return -1;
	}
	if (end > len)
		end = len;	/* truncated: stay inside what we have */
	if (l4 > end)
		return -1;
	*l3p = l3;
	*l4p = l4;
	*endp = end;
	return 0;
}

long
relay_frame_corrupt(uint8_t *f, size_t len, struct relay_prng *r)
{
	size_t l3, l4, end, off;
	uint8_t proto;

	if (relay_frame_l4(f, len, &l3, &l4, &end, &proto) < 0 || end <= l4)
		return -1;
	off = l4 + relay_prng_next(r) % (end - l4);
	/* xor with 1..255 so the byte always changes */
	f[off] ^= (uint8_t)(1 + relay_prng_next(r) % 255);
	return (long)off;
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
relay_frame_fix_csum(uint8_t *f, size_t len)
{
	size_t l3, l4, end, coff;
	uint8_t proto;
	uint32_t sum = 0;
	uint16_t c;

	if (relay_frame_l4(f, len, &l3, &l4, &end, &proto) < 0)
		return -1;
	if (proto == 6)
		coff = 16;
	else if (proto == 17)
		coff = 6;
	else
		return -1;
	if (l4 + coff + 2 > end)
		return -1;
	/* pseudo header */
	if ((f[l3] >> 4) == 4) {
		sum = csum_add(sum, f + l3 + 12, 8);
	} else {
		sum = csum_add(sum, f + l3 + 8, 32);
	}
	sum += proto;
	sum += (uint32_t)(end - l4);
	f[l4 + coff] = 0;
	f[l4 + coff + 1] = 0;
	sum = csum_add(sum, f + l4, end - l4);
	c = csum_fold(sum);
	if (proto == 17 && c == 0)
		c = 0xffff;
	f[l4 + coff] = (uint8_t)(c >> 8);
	f[l4 + coff + 1] = (uint8_t)c;
	return 0;
}
