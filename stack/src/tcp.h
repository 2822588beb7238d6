/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file TCP (RFC 9293 with RFC 7323, 2018, 6298, 5681, 6582, 6675, 5961,
 * 6528, 1122). The core is a state machine driven by three inputs — a
 * segment (tcp_input.c), a timer (tcp_timer.c), an application call
 * (tcp_api.c) — whose only outputs are segments (tcp_output.c), events and
 * errors, so tests drive it by injecting crafted segments and reading what
 * it emits.
 */
#ifndef TPA_TCP_H
#define TPA_TCP_H

#include <stdint.h>
#include <rte_mbuf.h>
#include <rte_ether.h>
#include <rte_tcp.h>
#include <rte_ip.h>

#include "tpa.h"
#include "timer.h"
#include "worker.h"

/* ------------------------------------------------------- sequence space */
#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_HLEN 20
#define TCP_OPT_MAX 40
#define TCP_MAX_WSCALE 14
#define TCP_SACK_MAX_BLOCKS 4	/* received blocks we remember per ACK */
#define TCP_SCOREBOARD_MAX 32	/* SACKed ranges we track on the send side */
#define TCP_DEFAULT_MSS 536

/* ------------------------------------------------------------- options */
struct tcp_opts {
	uint16_t mss;
	uint8_t wscale;
	uint8_t has_mss : 1, has_wscale : 1, sack_ok : 1, has_ts : 1;
	uint32_t tsval, tsecr;
	uint8_t nr_sack;
	struct { uint32_t start, end; } sack[TCP_SACK_MAX_BLOCKS];
};

/** Parse the options of @p th (hlen bytes). 0, or -1 when an option runs past the header. */
int tcp_opts_parse(const struct rte_tcp_hdr *th, uint32_t hlen, struct tcp_opts *o);

/* ------------------------------------------------------------ tx_desc */

#define TX_DESC_ZEROCOPY 0x1	/* payload is the application's buffer */
#define TX_DESC_ACKED    0x2	/* fully acknowledged, waiting for in-flight mbufs */
#define TX_DESC_DONE     0x4	/* released: write_done called / copy freed */

/**
 * One chunk of application data on a socket's send queue, from the write
 * call until the peer acknowledges it.
 */
struct tx_desc {
	void *addr;			/* first byte */
	uint64_t phys;			/* IO address of addr */
	uint32_t len;
	uint32_t seq;			/* sequence number of the first byte */
	uint16_t flags;
	void (*write_done)(void *base, void *param);
	void *base;			/* what write_done is called with */
	void *param;
	uint64_t tsc_start;		/* write API entered */
	uint64_t tsc_submit;		/* queued to the socket's TX queue */
	uint64_t tsc_xmit;		/* first handed to the NIC; 0 before */
	struct rte_mbuf *pkt;		/* copy path: the mbuf that holds the data */
	struct rte_mbuf_ext_shared_info shinfo;	/* zero-copy path: refcount of the external buffer */
	struct tcp_sock *sk;
};

/* --------------------------------------------------------------- socket */

enum tcp_sock_flag {
	SK_FIN_QUEUED  = 1u << 0,	/* application closed: send FIN after the data */
	SK_FIN_SENT    = 1u << 1,
	SK_FIN_RCVD    = 1u << 2,	/* peer's FIN is in sequence (rcv_nxt covers it) */
	SK_ACK_NOW     = 1u << 3,	/* send an ACK at the end of this iteration */
	SK_CLOSED_BY_APP = 1u << 4,	/* tpa_close called: free when the protocol is done */
	SK_IN_OUT_LIST = 1u << 5,
	SK_IN_READY    = 1u << 6,
	SK_IN_ACCEPTQ  = 1u << 7,
	SK_ACCEPTED    = 1u << 8,
	SK_TS_OK       = 1u << 9,
	SK_SACK_OK     = 1u << 10,
	SK_WS_OK       = 1u << 11,
	SK_IN_RECOVERY = 1u << 12,
	SK_PERSIST     = 1u << 13,	/* zero window: probing */
	SK_RTT_PENDING = 1u << 14,	/* timing one segment (no timestamps) */
	SK_QUICKACK    = 1u << 15,
	SK_ACTIVE_OPEN = 1u << 16,
	SK_NEED_SYNACK = 1u << 17,
};

struct tcp_sack_block {
	uint32_t start, end;
};

struct tcp_sock {
	int sid;
	uint32_t gen;			/* bumped on every reuse of the slot */
	uint8_t in_use;			/* allocated: the id means this socket */
	struct tpa_worker *w;
	uint8_t state;			/* enum tpa_tcp_state */
	uint32_t flags;
	int err;			/* pending error for the application (errno) */

	/* identity: network byte order */
	uint32_t lip, rip;
	uint16_t lport, rport;

	/* send sequence space */
	uint32_t iss, snd_una, snd_nxt, snd_max;	/* snd_max: highest sequence sent + 1 */
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss;			/* effective send MSS (payload per segment) */
	uint16_t rcv_mss;		/* what we advertised */

	/* receive sequence space */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv;	/* rcv_adv: right edge we advertised */
	uint32_t ts_recent, last_ack_sent;
	uint64_t ts_recent_tsc;		/* when ts_recent was taken (PAWS 24-day rule) */

	/* RTT (RFC 6298), microseconds */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint8_t backoff;		/* consecutive RTO expiries */
	uint8_t syn_tries;
	uint32_t rtt_seq;		/* RTT sampling without timestamps */
	uint64_t rtt_tsc;

	/* congestion control (NewReno, RFC 5681/6582; CWV per RFC 7661 lite) */
	uint32_t cwnd, ssthresh, bytes_acked;
	uint32_t dupacks, recover;
	uint32_t high_rxt;		/* RFC 6675 HighRxt */
	uint64_t last_send_tsc;
	const struct tcp_cc_ops *cc;

	/* SACK scoreboard: ranges above snd_una the peer holds, sorted */
	struct tcp_sack_block sacked[TCP_SCOREBOARD_MAX];
	uint8_t nr_sacked;
	/* SACK blocks we report: most recent first (RFC 2018) */
	struct tcp_sack_block rcv_sack[TCP_SACK_MAX_BLOCKS];
	uint8_t nr_rcv_sack;

	/* send queue: a ring of tx_desc, head = oldest unreleased */
	struct tx_desc *txq;
	uint32_t txq_size, txq_head, txq_tail;
	uint32_t txq_hint;		/* desc the last lookup found (send cursor) */
	uint32_t snd_queued;		/* bytes in the send queue not yet acked */
	uint32_t snd_buf;

	/* receive queue: in-order data not yet read, and the out-of-order queue */
	struct rte_mbuf *rxq_head, *rxq_tail;
	uint32_t rxq_bytes;
	struct rte_mbuf *ooo_head;	/* sorted by seq, non-overlapping */
	uint32_t ooo_bytes;
	uint32_t rcv_buf;
	uint32_t zread_bytes;		/* handed out by zreadv, not yet released */
	uint32_t unacked_segs;		/* received since our last ACK (delayed ACK) */

	/* timers: one heap entry at the earliest of these deadlines (TSC, 0 = off) */
	struct tpa_timer timer;
	uint64_t rto_at, delack_at, keepalive_at, tw_at, persist_at;
	uint8_t ka_probes, persist_backoff;
	uint64_t last_rcv_tsc;

	/* listening */
	struct tcp_sock *listener;	/* for children until accepted */
	uint32_t backlog, nr_children;	/* listener: bound and current half-open + unaccepted */
	struct tcp_sock *acc_next;	/* worker accept queue link */

	/* events */
	uint32_t ev_interest;		/* 0 when not registered */
	void *ev_data;
	struct tcp_sock *ready_next, *out_next;

	/* observability */
	struct tpa_lat_hist *lat;	/* TPA_LAT_NR_STAGE histograms, NULL when obs.latency=0 */
	struct trace_ring *trace;
	uint64_t created_tsc, state_tsc;
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out;
	uint64_t retrans_pkts, retrans_bytes, rto_count, fast_retrans, dup_acks_in, ooo_pkts, zwnd_probes;
	uint32_t abnormal;		/* TRACE_ABN_* seen since last archive */
	uint64_t abnormal_tsc;
	uint64_t trace_ts_tsc;		/* time of the last TR_TS record written */
	struct tcp_sock *tw_prev, *tw_next;	/* worker's TIME_WAIT list, oldest first */
	uint8_t in_tw_list;
};

/* ------------------------------------------------------------- internal API */

/* tcp_sock.c: tables */
int tcp_init(int nr_worker);
void tcp_fini(void);
/** A worker thread starts reading the flow table (RCU reader online). */
void tcp_worker_online(int worker);
/** The worker holds no flow-table reference now (end of an iteration). */
void tcp_worker_quiescent(int worker);
struct tcp_sock *tcp_sock_alloc(struct tpa_worker *w);
void tcp_sock_free(struct tcp_sock *sk);
struct tcp_sock *tcp_sock_get(int sid);
/** Established-flow lookup: (local ip, local port, remote ip, remote port), network order. */
struct tcp_sock *tcp_flow_lookup(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport);
int tcp_flow_add(struct tcp_sock *sk);
void tcp_flow_del(struct tcp_sock *sk);
struct tcp_sock *tcp_listen_lookup(uint16_t lport);
int tcp_listen_add(struct tcp_sock *sk);
void tcp_listen_del(struct tcp_sock *sk);
/** Pick a free ephemeral port for a connection to (rip, rport); 0 when exhausted. */
uint16_t tcp_port_alloc(uint32_t lip, uint32_t rip, uint16_t rport);
void tcp_set_state(struct tcp_sock *sk, int state);
const char *tcp_state_name(int state);
/** Tear down a connection (RST received, timeout, abort): error to the app, free if closed. */
void tcp_sock_reset(struct tcp_sock *sk, int err);
/** Put @p sk (entering TIME_WAIT) at the tail of its worker's TIME_WAIT list. */
void tcp_tw_link(struct tcp_sock *sk);
/** Take @p sk off the TIME_WAIT list (no-op when not on it). */
void tcp_tw_unlink(struct tcp_sock *sk);
/** Called when the protocol is done with a socket (CLOSED / TIME_WAIT over). */
void tcp_sock_done(struct tcp_sock *sk);
/** Defaults every new connection starts with (MSS, window scale, RTO). */
void tcp_sock_prepare(struct tcp_sock *sk);
uint32_t tcp_isn(uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport, uint64_t now);

/* tcp_input.c */
void tcp_input_handoff(struct tpa_worker *w, struct rte_mbuf *m);

/* tcp_output.c */
/** Send what the window allows for @p sk; adds ACK, options, FIN. Returns segments sent. */
int tcp_output(struct tcp_sock *sk);
/** Send a pure ACK now (or a window update / duplicate ACK). */
void tcp_send_ack(struct tcp_sock *sk);
void tcp_send_syn(struct tcp_sock *sk);
/** Retransmit the segment at snd_una (RTO / fast retransmit) or at @p seq. */
int tcp_retransmit(struct tcp_sock *sk, uint32_t seq, uint32_t max_len);
void tcp_send_rst(struct tcp_sock *sk);
/** RST for a segment with no socket (RFC 9293 3.10.7.1). */
void tcp_send_rst_reply(struct tpa_worker *w, struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *th, uint32_t seg_len);
/** Mark @p sk as needing output at the end of the worker iteration. */
void tcp_schedule_output(struct tcp_sock *sk);
int tcp_output_pending(struct tpa_worker *w);
/** Bytes of window the receiver side offers now. */
uint32_t tcp_rcv_window(const struct tcp_sock *sk);
/** Release acknowledged tx_descs up to snd_una; returns bytes newly acked. */
uint32_t tcp_txq_release(struct tcp_sock *sk);

/* tcp_timer.c */
void tcp_timer_update(struct tcp_sock *sk);
void tcp_rto_arm(struct tcp_sock *sk);
void tcp_rtt_sample(struct tcp_sock *sk, uint32_t rtt_us);
void tcp_keepalive_reset(struct tcp_sock *sk);

/* tcp_cc_newreno.c */
struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_sock *sk);
	void (*on_ack)(struct tcp_sock *sk, uint32_t acked);	/* new data acked, not in recovery */
	void (*on_loss)(struct tcp_sock *sk);			/* entering fast recovery */
	void (*on_rto)(struct tcp_sock *sk);
	void (*on_idle)(struct tcp_sock *sk, uint64_t idle_us);	/* RFC 7661-style restart after idle */
};
extern const struct tcp_cc_ops tcp_cc_newreno;

/* tcp_event.c */
void tcp_event_update(struct tcp_sock *sk);
uint32_t tcp_event_mask(const struct tcp_sock *sk);

/* lat.c */
void tcp_lat_record(struct tcp_sock *sk, enum tpa_lat_stage st, uint64_t tsc_from, uint64_t tsc_to);
/** Zero all TPA_LAT_NR_STAGE histograms of a socket being reused. */
void tcp_lat_reset(struct tpa_lat_hist *h);

extern struct tcp_sock **tcp_socks;
extern uint32_t tcp_max_socks;

static inline uint32_t tcp_flight(const struct tcp_sock *sk)
{
	return sk->snd_max - sk->snd_una;
}

#endif
