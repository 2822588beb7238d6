/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Per-packet metadata kept in the mbuf's private area, and helpers.
 *
 * Ownership: a received mbuf belongs to the worker's input path until a
 * protocol either frees it (dropped, fully consumed) or queues it on a
 * socket (receive queue, out-of-order queue); from then on the socket owns
 * it until the application releases it (tpa_read or iov_read_done).
 */
#ifndef TPA_PKT_H
#define TPA_PKT_H

#include <rte_mbuf.h>

struct pkt_meta {
	uint64_t rx_tsc;	/* when the worker received it */
	uint64_t submit_tsc;	/* when it was queued to a socket */
	struct rte_mbuf *qnext;	/* socket receive / out-of-order queue link */
	uint32_t seq;		/* TCP: first payload byte's sequence number */
	uint16_t len;		/* TCP: payload bytes still unread in this packet */
	uint16_t data_off;	/* TCP: offset of unread payload from mbuf data start */
	uint8_t tcp_flags;
	uint8_t pad[3];
	int32_t sid;		/* socket that queued it, for read-completion latency */
	uint32_t sk_gen;	/* that socket's generation: ignore if it was reused */
};

#define TPA_PKT_PRIV_SIZE RTE_ALIGN(sizeof(struct pkt_meta), RTE_MBUF_PRIV_ALIGN)

static inline struct pkt_meta *pkt_meta(struct rte_mbuf *m)
{
	return (struct pkt_meta *)rte_mbuf_to_priv(m);
}

/** Pointer to @p len bytes at @p off of the first segment, or NULL when the segment is shorter. */
static inline void *pkt_peek(struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	if ((uint64_t)off + len > m->data_len)
		return NULL;
	return rte_pktmbuf_mtod_offset(m, char *, off);
}

#endif
