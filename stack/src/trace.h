/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Always-on per-socket trace: a ring of fixed 8-byte binary records
 * written on the hot path, decoded offline by `tpa st`.
 *
 * Record layout (little endian): byte 0 = type; byte 1 = u8 payload;
 * bytes 2-3 = u16 payload; bytes 4-7 = u32 payload. TR_TS records carry a
 * 56-bit timestamp (microseconds since the socket was created) in bytes 1-7
 * and precede the records of one event. The decoder's description of every
 * type travels with the data in the trace file (see memfile.h), so old
 * files stay readable after the format grows.
 */
#ifndef TPA_TRACE_H
#define TPA_TRACE_H

#include <stdint.h>
#include "cfg.h"

struct tcp_sock;

enum trace_type {
	TR_NONE = 0,
	TR_TS,		/* 56-bit: us since socket creation */
	TR_RCV_SEQ,	/* u8 flags, u16 window (unscaled), u32 seq */
	TR_RCV_ACK,	/* u8 nr_sack, u16 payload len, u32 ack */
	TR_XMIT_SEQ,	/* u8 flags, u16 payload len, u32 seq */
	TR_XMIT_ACK,	/* u8 retransmit?, u16 window (unscaled), u32 ack */
	TR_STATE,	/* u8 old state, u16 new state, u32 ms in old state */
	TR_TIMER,	/* u8 kind (enum trace_timer), u16 backoff, u32 rto us */
	TR_RTT,		/* u8 -, u16 -, u32 srtt us */
	TR_RTTVAR,	/* u32 rttvar us */
	TR_CWND,	/* u8 reason, u16 dupacks, u32 cwnd */
	TR_SSTHRESH,	/* u32 ssthresh */
	TR_SND_UNA,	/* u8 -, u16 txq descs, u32 snd_una */
	TR_RXQ,		/* u8 -, u16 ooo segs, u32 rxq bytes */
	TR_ZC_DONE,	/* u8 -, u16 -, u32 bytes released */
	TR_RETRANS,	/* u8 kind (0 rto, 1 fast, 2 sack), u16 len, u32 seq */
	TR_OOO,		/* u8 -, u16 len, u32 seq */
	TR_RST,		/* u8 dir (0 in, 1 out), u16 -, u32 seq */
	TR_ERR,		/* u8 -, u16 -, u32 errno */
	TR_NR_TYPE
};

enum trace_timer { TRT_RTO, TRT_DELACK, TRT_PERSIST, TRT_KEEPALIVE, TRT_TIME_WAIT, TRT_SYN };

/* abnormal conditions that cause a socket's trace to be archived */
#define TRACE_ABN_RTO        0x01
#define TRACE_ABN_FAST_RETX  0x02
#define TRACE_ABN_OOO        0x04
#define TRACE_ABN_ZERO_WND   0x08
#define TRACE_ABN_RST        0x10

struct trace_ring {
	uint32_t mask;		/* nr records - 1 */
	uint32_t pad;
	uint64_t head;		/* records written so far */
	uint64_t base_tsc;
	uint64_t rec[];
};

static inline void trace_put(struct trace_ring *t, uint8_t type, uint8_t a, uint16_t b, uint32_t c)
{
	t->rec[t->head++ & t->mask] = (uint64_t)type | ((uint64_t)a << 8) | ((uint64_t)b << 16) | ((uint64_t)c << 32);
}

void trace_ts(struct trace_ring *t, uint64_t now_tsc);

/* helpers used by TCP; each is a no-op when tracing is off */
void trace_sock_init(struct tcp_sock *sk);
void trace_state(struct tcp_sock *sk, int old, int new_state, uint64_t tsc_in_old);
void trace_event(struct tcp_sock *sk, uint8_t type, uint8_t a, uint16_t b, uint32_t c);
/** Note an abnormal condition; the ring is archived once the socket recovers. */
void trace_abnormal(struct tcp_sock *sk, uint32_t what);
/** The socket is back to normal (snd_una caught up, no ooo): archive if something happened. */
void trace_recovered(struct tcp_sock *sk);

#endif
