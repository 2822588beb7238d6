/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file A test harness for the stack without a NIC: one worker whose
 * transmit hook captures frames, a frame injector, and a clock the test
 * moves. TCP tests inject crafted segments and assert on the segments the
 * stack emits (packet in → actions out).
 */
#ifndef TPA_TEST_HARNESS_H
#define TPA_TEST_HARNESS_H

#include <stdint.h>
#include <stddef.h>

#include "tpa.h"
#include "cfg.h"
#include "net.h"
#include "tcp.h"
#include "worker.h"

#define TH_LOCAL_IP "10.0.0.2"
#define TH_PEER_IP  "10.0.0.1"
#define TH_MAX_OUT 4096

/** One captured frame, decoded. */
struct th_seg {
	uint16_t ethertype;
	uint8_t ip_proto;
	uint8_t icmp_type;
	uint16_t arp_op;
	uint16_t sport, dport;	/* host order */
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;		/* raw field */
	uint32_t len;		/* TCP payload */
	struct tcp_opts o;
	uint8_t csum_ok;	/* IP and L4 checksums verify */
	uint64_t tsc;		/* stack clock when the frame was handed to the NIC */
	uint32_t frame_len;	/* whole frame */
	uint8_t raw[256];	/* its first bytes, for L2/L3 tests */
	uint8_t payload[9100];
};

extern struct tpa_worker *th_w;

/** Start EAL (no hugepages, no device) and one worker; once per test binary. */
int th_global_init(void);
/** Reset config to the harness defaults, free every socket, clear captures. */
void th_reset(void);
/** Apply "key=value; ..." on top of the defaults (call after th_reset). */
void th_cfg(const char *kv);

/** Inject a TCP segment from the peer. @p opts are raw option bytes (padded by the harness). */
void th_inject(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
	       const void *data, uint32_t len, const uint8_t *opts, uint8_t optlen);
/** Inject a whole Ethernet frame. */
void th_inject_frame(const void *frame, uint32_t len);
/** Build the frame th_inject would send (for tests that corrupt it). Returns its length. */
uint32_t th_build(uint8_t *buf, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
		  uint16_t win, const void *data, uint32_t len, const uint8_t *opts, uint8_t optlen);

/** Run the end of a worker iteration: pending output and flush. */
void th_run(void);
/** Move the clock forward by @p us, firing timers (in steps of at most 1 ms). */
void th_advance_us(uint64_t us);

int th_nr_out(void);
struct th_seg *th_out(int i);
/** Pop the oldest captured frame, NULL when none. */
struct th_seg *th_pop(void);
void th_clear_out(void);

/** Passive open on @p lport from peer port @p pport with ISS @p peer_iss; returns the accepted sid. */
int th_establish_passive(uint16_t lport, uint16_t pport, uint32_t peer_iss, uint32_t *our_iss,
			 const uint8_t *syn_opts, uint8_t optlen);
/** Active open to the peer's @p pport; peer answers with @p peer_iss. Returns sid; *lport set. */
int th_establish_active(uint16_t pport, uint32_t peer_iss, uint32_t *our_iss, uint16_t *lport,
			const uint8_t *synack_opts, uint8_t optlen);

uint64_t th_drops(enum tpa_drop_reason r);

/* ------------------------------------------------------------ helpers */

/** Pop the oldest captured TCP segment, skipping other frames; NULL when none. */
struct th_seg *th_pop_tcp(void);
/** The socket of @p sid (NULL when the id is free). */
struct tcp_sock *th_sock(int sid);
/** The connection (local port, peer port) with the harness peer, NULL when gone. */
struct tcp_sock *th_find(uint16_t lport, uint16_t pport);
/** State of @p sid via tpa_sock_info_get, -1 when the id is free. */
int th_state(int sid);
/** Write NOP,NOP,TS(val,ecr) at @p p; returns 12. */
uint8_t th_opt_ts(uint8_t *p, uint32_t val, uint32_t ecr);
/** Write NOP,NOP,SACK with @p n blocks (start,end pairs); returns 4 + 8n. */
uint8_t th_opt_sack(uint8_t *p, int n, const uint32_t *blocks);
/** Milliseconds of stack clock between two captured frames. */
double th_ms_between(const struct th_seg *a, const struct th_seg *b);
/** Fill @p buf with a byte derived from each byte's sequence number, starting at @p seq. */
void th_pattern(uint8_t *buf, uint32_t seq, uint32_t len);


/** The peer's view of one connection, for tests that play the peer. */
struct th_conn {
	int sid;
	uint16_t lport, pport;
	uint32_t iss;		/* ours */
	uint32_t pseq;		/* the peer's next sequence number */
	uint32_t pack;		/* what the peer acknowledges (our next byte) */
	uint16_t win;		/* raw window field the peer sends */
};

/** Passive open (see th_establish_passive) filling @p c; 0 or -1. */
int th_open_passive(struct th_conn *c, uint16_t lport, uint16_t pport, const uint8_t *opts, uint8_t optlen);
/** Active open (see th_establish_active) filling @p c; 0 or -1. */
int th_open_active(struct th_conn *c, uint16_t pport, const uint8_t *opts, uint8_t optlen);
/** Peer sends @p flags (ACK added) with @p len bytes at c->pseq; pseq advances by len (+1 for FIN). */
void th_send(struct th_conn *c, uint8_t flags, const void *data, uint32_t len);
/** Peer sends a pure ACK of @p ack with window c->win; c->pack = ack. */
void th_ack(struct th_conn *c, uint32_t ack);
/** Like th_send with raw options. */
void th_send_opts(struct th_conn *c, uint8_t flags, const void *data, uint32_t len, const uint8_t *opts,
		  uint8_t optlen);

#endif
