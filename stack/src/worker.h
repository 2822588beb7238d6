/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Workers: one per application thread, each owning one RX and one TX
 * queue of the port, its mempools, timers and sockets (shared nothing).
 */
#ifndef TPA_WORKER_H
#define TPA_WORKER_H

#include <stdint.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_cycles.h>

#include "tpa.h"
#include "timer.h"

/** Why a received frame was dropped; names in worker.c. Keep < 32 entries. */
enum tpa_drop_reason {
	DROP_NOT_FOR_US,	/* L2 destination is neither our MAC nor broadcast */
	DROP_SHORT_FRAME,	/* shorter than an Ethernet header */
	DROP_UNKNOWN_ETHERTYPE,
	DROP_ARP_MALFORMED,
	DROP_ARP_NOT_FOR_US,
	DROP_IP_SHORT,		/* shorter than the IPv4 header it claims */
	DROP_IP_VERSION,
	DROP_IP_HDR_LEN,	/* IHL < 5 or beyond the frame */
	DROP_IP_TOTAL_LEN,	/* total length beyond the frame or below IHL */
	DROP_IP_CSUM,
	DROP_IP_TTL,
	DROP_IP_FRAGMENT,
	DROP_IP_NOT_FOR_US,
	DROP_IP_BAD_SRC,	/* broadcast/multicast/zero source */
	DROP_UNKNOWN_PROTO,
	DROP_ICMP_MALFORMED,
	DROP_ICMP_CSUM,
	DROP_ICMP_UNHANDLED,
	DROP_TCP_MALFORMED,	/* short header, bad data offset, bad options */
	DROP_TCP_CSUM,
	DROP_TCP_BAD_FLAGS,	/* SYN+FIN, SYN+RST, no flags ... */
	DROP_TCP_NO_SOCK,	/* answered with RST when allowed */
	DROP_TCP_OUT_OF_WINDOW,
	DROP_TCP_PAWS,
	DROP_TCP_BACKLOG_FULL,
	DROP_TCP_OOO_FULL,
	DROP_TCP_RCVBUF_FULL,
	DROP_NO_MBUF,
	DROP_NEIGH_QUEUE_FULL,
	DROP_HANDOFF_FULL,
	DROP_FAULT_INJECTED,
	DROP_NR
};

struct tcp_sock;

/** Test hook: where transmitted frames go instead of the NIC. */
typedef uint16_t (*tpa_xmit_fn)(struct tpa_worker *w, struct rte_mbuf **m, uint16_t n);

struct tpa_worker {
	int id;
	int bound;		/* claimed by an application thread */
	uint16_t port_id, queue_id;
	struct rte_mempool *pool;	/* RX buffers, headers, copied payload */
	struct rte_mempool *zc_pool;	/* no data room: external/indirect attach */
	struct rte_ring *handoff;	/* frames of our flows received by other workers */

	uint64_t now;		/* TSC at the top of this iteration */
	struct tpa_timer_heap timers;

	struct rte_mbuf **txb;	/* frames batched for tx_burst */
	uint16_t nr_txb, burst;
	tpa_xmit_fn xmit;

	/* sockets */
	struct tcp_sock *accept_head, *accept_tail;	/* established, not yet accepted */
	struct tcp_sock *ready_head;	/* sockets with pending events (intrusive list) */
	struct tcp_sock *out_head;	/* sockets with data/ACKs to send this iteration */
	struct tcp_sock *tw_head, *tw_tail;	/* TIME_WAIT sockets, oldest first */
	uint32_t nr_socks;

	/* idle policy */
	uint32_t empty_polls;
	int intr_epfd;		/* epoll fd on the RX queue's interrupt, -1 when unsupported */

	struct tpa_worker_stats stats;
	uint8_t slept;		/* the last iteration ended in an idle sleep */
	uint64_t run_tsc;	/* start of the previous iteration (cycle accounting only:
				 * API calls move `now`, this stays the loop's own) */
	uint64_t max_gap_tsc;	/* longest time between two polls (starvation) */
};

extern struct tpa_worker *tpa_workers;
extern int tpa_nr_workers;
extern uint64_t tpa_tsc_hz;
/** Added to the TSC everywhere the stack reads time; tests move it forward. */
extern uint64_t tpa_clock_offset;

/** The stack's clock: TSC cycles (plus the test offset). */
static inline uint64_t tpa_now(void)
{
	return rte_rdtsc() + tpa_clock_offset;
}

static inline void tpa_drop(struct tpa_worker *w, struct rte_mbuf *m, enum tpa_drop_reason why)
{
	w->stats.drop[why]++;
	rte_pktmbuf_free(m);
}

static inline uint64_t tpa_us_to_tsc(uint64_t us)
{
	/* whole seconds apart: us * hz overflows 64 bits past ~2^64/hz us (~1.7 h at 3 GHz) */
	return us / 1000000 * tpa_tsc_hz + us % 1000000 * tpa_tsc_hz / 1000000;
}

static inline uint64_t tpa_tsc_to_ns(uint64_t tsc)
{
	return (uint64_t)((double)tsc * 1e9 / (double)tpa_tsc_hz);
}

/** Queue a fully built frame for transmission (flushed at the end of the iteration). */
void tpa_worker_xmit(struct tpa_worker *w, struct rte_mbuf *m);
/** Queue a frame bypassing egress fault injection. */
void tpa_worker_xmit_raw(struct tpa_worker *w, struct rte_mbuf *m);
/** Push batched frames to the NIC (or the test hook). */
void tpa_worker_flush(struct tpa_worker *w);
/** Allocate the worker's resources (not the port queues). */
int tpa_worker_setup(struct tpa_worker *w, int id);
void tpa_worker_teardown(struct tpa_worker *w);
/** Process one received frame (also used by tests and the pcap reader). */
void tpa_worker_input(struct tpa_worker *w, struct rte_mbuf *m);
/** The worker of the calling thread (NULL if none). */
struct tpa_worker *tpa_worker_self(void);
/** Bind the calling thread to @p w (tpa_worker_init and tests). */
void tpa_worker_set_self(struct tpa_worker *w);

#endif
