/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "tpa.h"
#include "net.h"
#include "fault.h"

struct tpa_netif tpa_netif;

/* Raw L2 hooks (tpa_raw_register): EtherTypes the stack does not handle. */
#define RAW_MAX_HOOK 4
static struct raw_hook {
	uint16_t type;		/* host order; 0: free */
	tpa_raw_rx_fn fn;
	void *arg;
} raw_hooks[RAW_MAX_HOOK];

int tpa_raw_register(uint16_t ethertype, tpa_raw_rx_fn fn, void *arg)
{
	struct raw_hook *free_slot = NULL;

	if (ethertype == RTE_ETHER_TYPE_IPV4 || ethertype == RTE_ETHER_TYPE_ARP || ethertype < 0x0600) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < RAW_MAX_HOOK; i++) {
		struct raw_hook *h = &raw_hooks[i];

		if (h->type == ethertype) {
			h->arg = arg;
			__atomic_store_n(&h->fn, fn, __ATOMIC_RELEASE);
			if (!fn)
				h->type = 0;
			return 0;
		}
		if (!h->type && !free_slot)
			free_slot = h;
	}
	if (!fn)
		return 0;
	if (!free_slot) {
		errno = ENOSPC;
		return -1;
	}
	free_slot->arg = arg;
	free_slot->fn = fn;
	__atomic_store_n(&free_slot->type, ethertype, __ATOMIC_RELEASE);
	return 0;
}

/* Deliver @p m (data at the Ethernet header) to a hook; 0 when none takes it. */
static int raw_input(struct tpa_worker *w, struct rte_mbuf *m, uint16_t type)
{
	static __thread uint8_t lin[RTE_ETHER_MAX_JUMBO_FRAME_LEN];
	const void *frame;

	for (int i = 0; i < RAW_MAX_HOOK; i++) {
		struct raw_hook *h = &raw_hooks[i];
		tpa_raw_rx_fn fn;

		if (__atomic_load_n(&h->type, __ATOMIC_ACQUIRE) != type)
			continue;
		fn = __atomic_load_n(&h->fn, __ATOMIC_ACQUIRE);
		if (!fn || m->pkt_len > sizeof(lin))
			return 0;
		frame = rte_pktmbuf_read(m, 0, m->pkt_len, lin);	/* linear: as is */
		fn(w, frame, (uint16_t)m->pkt_len, h->arg);
		rte_pktmbuf_free(m);
		return 1;
	}
	return 0;
}

int tpa_raw_send(struct tpa_worker *w, const void *frame, uint16_t len)
{
	struct rte_mbuf *head, *seg, *prev = NULL;
	const uint8_t *src = frame;
	uint16_t left = len;

	if (!w || len < ETH_HLEN || len > tpa_netif.mtu + ETH_HLEN) {
		errno = EINVAL;
		return -1;
	}
	head = rte_pktmbuf_alloc(w->pool);
	if (!head)
		goto nomem;
	/* chained when a jumbo frame exceeds one data room */
	for (seg = head; left; seg = NULL) {
		uint16_t n;

		if (!seg) {
			seg = rte_pktmbuf_alloc(w->pool);
			if (!seg)
				goto nomem;
			prev->next = seg;
			head->nb_segs++;
		}
		n = RTE_MIN(left, rte_pktmbuf_tailroom(seg));
		memcpy(rte_pktmbuf_mtod(seg, uint8_t *), src, n);
		seg->data_len = n;
		head->pkt_len += n;
		src += n;
		left -= n;
		prev = seg;
	}
	rte_ether_addr_copy(&tpa_netif.mac, &rte_pktmbuf_mtod(head, struct rte_ether_hdr *)->src_addr);
	head->l2_len = ETH_HLEN;
	tpa_worker_xmit(w, head);
	tpa_worker_flush(w);	/* raw frames are for latency probes: no batching */
	return 0;
nomem:
	rte_pktmbuf_free(head);
	w->stats.mbuf_alloc_fail++;
	errno = ENOMEM;
	return -1;
}

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
		rte_pktmbuf_prepend(m, ETH_HLEN);	/* hooks see the whole frame */
		if (!raw_input(w, m, type))
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
