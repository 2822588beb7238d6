/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP (RFC 792): echo request → reply, answered in place. */
#include <rte_icmp.h>
#include "net.h"

void icmp_input(struct tpa_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	uint16_t hlen = m->l3_len;
	uint32_t len = m->pkt_len - hlen;
	struct rte_icmp_hdr *ic = pkt_peek(m, hlen, sizeof(*ic));
	uint16_t sum;
	uint32_t peer;

	if (unlikely(!ic || len < sizeof(*ic))) {
		tpa_drop(w, m, DROP_ICMP_MALFORMED);
		return;
	}
	if (unlikely(rte_raw_cksum_mbuf(m, hlen, len, &sum) || sum != 0xffff)) {
		tpa_drop(w, m, DROP_ICMP_CSUM);
		return;
	}
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0) {
		tpa_drop(w, m, DROP_ICMP_UNHANDLED);
		return;
	}
	/* Reply: same id, sequence and data; type 0; checksum over the whole message. */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	if (rte_raw_cksum_mbuf(m, hlen, len, &sum)) {
		tpa_drop(w, m, DROP_ICMP_MALFORMED);
		return;
	}
	ic->icmp_cksum = (uint16_t)~sum;
	peer = ip->src_addr;
	rte_pktmbuf_adj(m, hlen);	/* ip_output writes a fresh IPv4 header */
	m->ol_flags = 0;
	ip_output(w, m, tpa_netif.ip, peer, IPPROTO_ICMP);
}
