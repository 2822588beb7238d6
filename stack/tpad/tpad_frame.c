/* SPDX-License-Identifier: BSD-3-Clause */
/* tpad: forging and decoding the few TCP segments the daemon deals with.
 * Plain C, no DPDK: it runs in the daemon after the stack is gone. */
#include <arpa/inet.h>
#include <string.h>

#include "tpad.h"

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t tpad_build_seg(uint8_t *f, const uint8_t smac[6], const uint8_t dmac[6], uint32_t lip,
		      uint32_t rip, uint16_t lport, uint16_t rport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t *ip = f + 14, *th = f + 34, ph[12];
	uint16_t c;
	uint32_t sum;

	memset(f, 0, TPAD_FRAME_LEN);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, 40);
	put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, &lip, 4);
	memcpy(ip + 16, &rip, 4);
	c = csum_fold(csum_add(0, ip, 20));
	memcpy(ip + 10, &c, 2);

	memcpy(th, &lport, 2);
	memcpy(th + 2, &rport, 2);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = 5 << 4;
	th[13] = flags;
	/* window 0: the sender is gone */
	memcpy(ph, &lip, 4);
	memcpy(ph + 4, &rip, 4);
	ph[8] = 0;
	ph[9] = 6;
	put16(ph + 10, 20);
	sum = csum_add(csum_add(0, ph, sizeof(ph)), th, 20);
	c = csum_fold(sum);
	memcpy(th + 16, &c, 2);
	return TPAD_FRAME_LEN;
}

int tpad_parse_seg(const uint8_t *f, size_t len, struct tpad_seg *s)
{
	const uint8_t *ip = f + 14, *th;
	size_t ihl, tot, thl;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return -1;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 6 || tot < ihl + 20 || 14 + tot > len)
		return -1;
	if ((ip[6] & 0x3f) || ip[7])	/* fragments: not ours to judge */
		return -1;
	th = ip + ihl;
	thl = (size_t)(th[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > tot)
		return -1;
	memcpy(s->smac, f + 6, 6);
	memcpy(&s->sip, ip + 12, 4);
	memcpy(&s->dip, ip + 16, 4);
	memcpy(&s->sport, th, 2);
	memcpy(&s->dport, th + 2, 2);
	s->seq = get32(th + 4);
	s->ack = get32(th + 8);
	s->flags = th[13];
	s->len = (uint32_t)(tot - ihl - thl) + !!(s->flags & 0x02) + !!(s->flags & 0x01);
	return 0;
}

int tpad_rst_seqs(const struct tpad_conn *c, uint32_t *seqs)
{
	uint32_t cand[5];
	int n = 0;

	cand[0] = c->snd_nxt;
	cand[1] = c->snd_una;
	for (uint32_t k = 1; k <= 3; k++)
		cand[1 + k] = c->snd_nxt + k * (c->snd_wnd / 4);
	for (int i = 0; i < 5; i++) {
		int dup = 0;
		for (int j = 0; j < n; j++)
			dup |= seqs[j] == cand[i];
		if (!dup)
			seqs[n++] = cand[i];
	}
	return n;
}
