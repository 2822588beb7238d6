/* SPDX-License-Identifier: BSD-3-Clause */
#include "net.h"
#include "fault.h"

struct tpa_netif tpa_netif;

void eth_input(struct tpa_worker *w, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = pkt_peek(m, 0, ETH_HLEN);
	uint16_t type;

	if (unlikely(!eh)) {
		tpa_drop(w, m, DROP_SHORT_FRAME);
		return;
	}
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, &tpa_netif.mac) &&
		     !rte_is_broadcast_ether_addr(&eh->dst_addr))) {
		tpa_drop(w, m, DROP_NOT_FOR_US);
		return;
	}
	type = rte_be_to_cpu_16(eh->ether_type);
	m->l2_len = ETH_HLEN;
	rte_pktmbuf_adj(m, ETH_HLEN);
	switch (type) {
	case RTE_ETHER_TYPE_IPV4:
		ip_input(w, m);
		break;
	case RTE_ETHER_TYPE_ARP:
		arp_input(w, m);
		break;
	default:
		tpa_drop(w, m, DROP_UNKNOWN_ETHERTYPE);
	}
}

void eth_output(struct tpa_worker *w, struct rte_mbuf *m, const struct rte_ether_addr *dst, uint16_t type)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, ETH_HLEN);

	if (unlikely(!eh)) {	/* every header mbuf is allocated with headroom; a bug if not */
		w->stats.drop[DROP_NO_MBUF]++;
		rte_pktmbuf_free(m);
		return;
	}
	rte_ether_addr_copy(dst, &eh->dst_addr);
	rte_ether_addr_copy(&tpa_netif.mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(type);
	m->l2_len = ETH_HLEN;
	tpa_worker_xmit(w, m);
}
