/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 (RFC 791, RFC 1122 3.2.1). Fragments are not reassembled: they are
 * dropped and counted (a TCP peer that honours our MSS never fragments).
 */
#include <rte_ethdev.h>
#include <rte_tcp.h>
#include "cfg.h"
#include "net.h"

static inline int ip_is_martian_src(uint32_t src)
{
	uint32_t h = rte_be_to_cpu_32(src);

	return h == 0 || h == 0xffffffff || (h >> 28) == 0xe ||
	       (tpa_netif.mask != 0xffffffff && src == (tpa_netif.ip | ~tpa_netif.mask));
}

/* Trust what the port verified: GOOD, or NONE (a partial checksum in the
 * packet but data integrity verified, e.g. virtio); BAD drops; UNKNOWN (no
 * offload) is checked in software. */
static inline int ip_csum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint16_t hlen)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
	case RTE_MBUF_F_RX_IP_CKSUM_NONE:
		return 1;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return 0;
	default:
		return rte_raw_cksum(ip, hlen) == 0xffff;
	}
}

void ip_input(struct tpa_worker *w, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = pkt_peek(m, 0, IP4_HLEN);
	uint16_t hlen, tlen;

	if (unlikely(!ip)) {
		tpa_drop(w, m, DROP_IP_SHORT);
		return;
	}
	if (unlikely((ip->version_ihl >> 4) != 4)) {
		tpa_drop(w, m, DROP_IP_VERSION);
		return;
	}
	hlen = (ip->version_ihl & 0xf) * 4;
	if (unlikely(hlen < IP4_HLEN || hlen > m->data_len)) {
		tpa_drop(w, m, DROP_IP_HDR_LEN);
		return;
	}
	tlen = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(tlen < hlen || tlen > m->pkt_len)) {
		tpa_drop(w, m, DROP_IP_TOTAL_LEN);
		return;
	}
	if (unlikely(!ip_csum_ok(m, ip, hlen))) {
		tpa_drop(w, m, DROP_IP_CSUM);
		return;
	}
	if (unlikely(ip->time_to_live == 0)) {
		tpa_drop(w, m, DROP_IP_TTL);
		return;
	}
	if (unlikely(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		tpa_drop(w, m, DROP_IP_FRAGMENT);
		return;
	}
	if (unlikely(ip->dst_addr != tpa_netif.ip)) {
		tpa_drop(w, m, DROP_IP_NOT_FOR_US);
		return;
	}
	if (unlikely(ip_is_martian_src(ip->src_addr))) {
		tpa_drop(w, m, DROP_IP_BAD_SRC);
		return;
	}
	/* Ethernet pads short frames: cut to the IP total length */
	if (m->pkt_len > tlen)
		rte_pktmbuf_trim(m, m->pkt_len - tlen);
	m->l3_len = hlen;

	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		tcp_input(w, m, ip);
		break;
	case IPPROTO_ICMP:
		icmp_input(w, m, ip);
		break;
	default:
		tpa_drop(w, m, DROP_UNKNOWN_PROTO);
	}
}

uint32_t ip_next_hop(uint32_t dst)
{
	if (((dst ^ tpa_netif.ip) & tpa_netif.mask) == 0)
		return dst;
	return tpa_netif.gw;
}

int ip_output(struct tpa_worker *w, struct rte_mbuf *m, uint32_t src, uint32_t dst, uint8_t proto)
{
	struct rte_ipv4_hdr *ip;
	struct rte_ether_addr mac;
	uint32_t nh = ip_next_hop(dst);

	if (unlikely(!nh)) {
		rte_pktmbuf_free(m);
		return -1;
	}
	ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(m, IP4_HLEN);
	if (unlikely(!ip)) {
		rte_pktmbuf_free(m);
		return -1;
	}
	ip->version_ihl = 0x45;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16(m->pkt_len);
	ip->packet_id = 0;
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->hdr_checksum = 0;
	ip->src_addr = src;
	ip->dst_addr = dst;
	m->l3_len = IP4_HLEN;
	m->l2_len = ETH_HLEN;

	if (tpa_netif.tx_offload & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);

	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		if (tpa_netif.tx_offload & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
			th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else {
			th->cksum = 0;
			th->cksum = rte_ipv4_udptcp_cksum_mbuf(m, ip, IP4_HLEN);
		}
	}

	if (neigh_resolve(w, nh, m, &mac))
		return 0;	/* queued until resolved (or dropped and counted) */
	eth_output(w, m, &mac, RTE_ETHER_TYPE_IPV4);
	return 0;
}
