/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file The L2/L3 layers: Ethernet, ARP + neighbour table, IPv4, ICMP.
 * Input functions take ownership of the mbuf (queue, forward or free it).
 * All header reads are bounds-checked against the received length.
 */
#ifndef TPA_NET_H
#define TPA_NET_H

#include <stdint.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include "worker.h"
#include "pkt.h"

/** Our addresses, set at start (read-only afterwards). */
struct tpa_netif {
	struct rte_ether_addr mac;
	uint32_t ip, mask, gw;	/* network order */
	uint16_t mtu;
	uint64_t tx_offload;	/* RTE_ETH_TX_OFFLOAD_* the port does for us */
	uint64_t rx_offload;
};
extern struct tpa_netif tpa_netif;

#define ETH_HLEN 14
#define IP4_HLEN 20

/* eth.c */
void eth_input(struct tpa_worker *w, struct rte_mbuf *m);
/** Prepend an Ethernet header for @p type towards @p dst and queue the frame. */
void eth_output(struct tpa_worker *w, struct rte_mbuf *m, const struct rte_ether_addr *dst, uint16_t type);

/* arp.c: ARP protocol + the neighbour table (shared by workers, locked) */
enum neigh_state { NEIGH_FREE, NEIGH_INCOMPLETE, NEIGH_REACHABLE, NEIGH_STALE, NEIGH_FAILED };

struct neigh_entry {
	uint32_t ip;
	struct rte_ether_addr mac;
	uint8_t state;
	uint8_t tries;
	uint16_t nr_pending;
	uint64_t expire;	/* REACHABLE → STALE; INCOMPLETE → next retry; FAILED → free */
	struct rte_mbuf *pending_head, *pending_tail;	/* IP packets waiting for the MAC */
};

#define NEIGH_TABLE_SIZE 256

int neigh_init(void);
void arp_input(struct tpa_worker *w, struct rte_mbuf *m);
/**
 * Resolve @p next_hop: on success fill @p mac and return 0; otherwise the
 * packet @p m is queued (or dropped when the queue is full) and 1 is returned.
 */
int neigh_resolve(struct tpa_worker *w, uint32_t next_hop, struct rte_mbuf *m, struct rte_ether_addr *mac);
/** Retries and timeouts; called periodically by workers. */
void neigh_tick(struct tpa_worker *w, uint64_t now);
void arp_send_gratuitous(struct tpa_worker *w);
/** Snapshot for tools: copy up to @p max entries in use. */
int neigh_dump(struct neigh_entry *out, int max);
/** Add a permanent entry (static neighbour; tests). */
int neigh_add_static(uint32_t ip, const struct rte_ether_addr *mac);
/** Tests: drop every entry and its pending packets. */
void neigh_flush(void);
const char *neigh_state_name(int s);

/* ip.c */
void ip_input(struct tpa_worker *w, struct rte_mbuf *m);
/**
 * Send @p m whose data starts at the L4 header; prepends the IPv4 header.
 * Routes on-link or via the gateway. @p m->l4_len must be set for TCP;
 * the L4 checksum is filled here (offloaded when the port can).
 */
int ip_output(struct tpa_worker *w, struct rte_mbuf *m, uint32_t src, uint32_t dst, uint8_t proto);
/** The next hop for @p dst, 0 when unreachable. */
uint32_t ip_next_hop(uint32_t dst);

/* icmp.c */
void icmp_input(struct tpa_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

/** The L4 checksum holds, by the port's word (GOOD or NONE) or our own (UNKNOWN). */
static inline int tpa_rx_l4_csum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t l4_off)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) {
	case RTE_MBUF_F_RX_L4_CKSUM_GOOD:
	case RTE_MBUF_F_RX_L4_CKSUM_NONE:
		return 1;
	case RTE_MBUF_F_RX_L4_CKSUM_BAD:
		return 0;
	default:
		return rte_ipv4_udptcp_cksum_mbuf_verify(m, ip, l4_off) == 0;
	}
}

/* tcp entry point (tcp_input.c) */
void tcp_input(struct tpa_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);

#endif
