/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The l2pp frame: raw Ethernet ping-pong, no IP, no TCP, so a fabric's own
 * round-trip floor can be set beside the TCP tests (docs/tperf.md).
 *
 * Ethernet header (dst, src, EtherType 0x88B5), then big-endian:
 *   0 magic "TPL2" | 4 version 1 | 5 kind 1 ping, 2 pong | 6 flags (0x01 integrity)
 *   7 reserved | 8 session id | 16 sequence | 24 client send time (ns, information)
 *   32.. filler to the frame length: with integrity the pattern stream of seed
 *   TPERF_SEED_C2S ^ sequence from offset 0, else zeros.
 * The server turns a ping into a pong by changing the kind and sending it back
 * to the source address; the client checks every byte of the echo.
 */
#include <endian.h>
#include <string.h>

#include "tperf.h"

#define L2_OFF_MAGIC 0
#define L2_OFF_VERSION 4
#define L2_OFF_KIND 5
#define L2_OFF_FLAGS 6
#define L2_OFF_SESSION 8
#define L2_OFF_SEQ 16
#define L2_OFF_TIME 24
#define L2_F_INTEGRITY 0x01
#define ETH_LEN 14

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

void tperf_l2_build(uint8_t *frame, size_t len, const uint8_t dst[6], uint64_t session, uint64_t seq,
		    uint64_t t_ns, bool integrity)
{
	uint8_t *p = frame + ETH_LEN;

	memcpy(frame, dst, 6);
	memset(frame + 6, 0, 6);	/* the backend sets our address */
	frame[12] = TPERF_L2_ETHERTYPE >> 8;
	frame[13] = TPERF_L2_ETHERTYPE & 0xff;
	memset(p, 0, TPERF_L2_HDR);
	put32(p + L2_OFF_MAGIC, TPERF_L2_MAGIC);
	p[L2_OFF_VERSION] = 1;
	p[L2_OFF_KIND] = TPERF_L2_PING;
	p[L2_OFF_FLAGS] = integrity ? L2_F_INTEGRITY : 0;
	put64(p + L2_OFF_SESSION, session);
	put64(p + L2_OFF_SEQ, seq);
	put64(p + L2_OFF_TIME, t_ns);
	if (integrity)
		tperf_pattern_fill(p + TPERF_L2_HDR, 0, len - ETH_LEN - TPERF_L2_HDR, TPERF_SEED_C2S ^ seq);
	else
		memset(p + TPERF_L2_HDR, 0, len - ETH_LEN - TPERF_L2_HDR);
}

int tperf_l2_check(const uint8_t *frame, size_t len, size_t want_len, uint64_t session, uint64_t seq,
		   size_t *bad_off)
{
	const uint8_t *p = frame + ETH_LEN;
	ssize_t bad;

	if (len < ETH_LEN + TPERF_L2_HDR || get32(p + L2_OFF_MAGIC) != TPERF_L2_MAGIC ||
	    p[L2_OFF_VERSION] != 1 || p[L2_OFF_KIND] != TPERF_L2_PONG ||
	    get64(p + L2_OFF_SESSION) != session || get64(p + L2_OFF_SEQ) != seq)
		return 0;
	if (len != want_len) {
		*bad_off = len < want_len ? len : want_len;	/* cut or grown: first missing/extra byte */
		return -1;
	}
	if (p[L2_OFF_FLAGS] & L2_F_INTEGRITY) {
		bad = tperf_pattern_check(p + TPERF_L2_HDR, 0, len - ETH_LEN - TPERF_L2_HDR, TPERF_SEED_C2S ^ seq);
		if (bad >= 0) {
			*bad_off = ETH_LEN + TPERF_L2_HDR + (size_t)bad;
			return -1;
		}
	}
	return 1;
}

int tperf_l2_pong(uint8_t *payload, size_t len)
{
	if (len < TPERF_L2_HDR || get32(payload + L2_OFF_MAGIC) != TPERF_L2_MAGIC ||
	    payload[L2_OFF_VERSION] != 1 || payload[L2_OFF_KIND] != TPERF_L2_PING)
		return -1;
	payload[L2_OFF_KIND] = TPERF_L2_PONG;
	return 0;
}
