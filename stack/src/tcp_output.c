/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment output. A data segment is a header mbuf (Ethernet/IPv4/TCP built
 * in its headroom) chained to one view mbuf per tx_desc piece it carries:
 * an indirect view of the copy-path mbuf, or an external-buffer view of the
 * application's zero-copy buffer. Nothing is copied on the send path, and
 * retransmissions build new views of the same descs.
 */
#include <rte_cycles.h>
#include <rte_ip.h>

#include "cfg.h"
#include "net.h"
#include "tcp.h"
#include "trace.h"
#include "tracepoints.h"

uint32_t tcp_rcv_window(const struct tcp_sock *sk)
{
	uint32_t used = sk->rxq_bytes + sk->ooo_bytes + sk->zread_bytes;
	uint32_t wnd = used < sk->rcv_buf ? sk->rcv_buf - used : 0;
	uint32_t cur = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ? sk->rcv_adv - sk->rcv_nxt : 0;
	uint32_t max = (uint32_t)0xffff << sk->rcv_wscale;

	if (wnd > max)
		wnd = max;
	/* receiver SWS avoidance (RFC 1122 4.2.3.3): grow the edge only by
	 * a useful amount; never move it left (RFC 9293 3.8.6.2.2) */
	if (wnd < cur || (wnd - cur < sk->rcv_mss && wnd - cur < sk->rcv_buf / 2))
		wnd = cur;
	return wnd;
}

static uint8_t *put_ts(struct tcp_sock *sk, uint8_t *p)
{
	/* ms from the whole 64-bit clock: 32-bit us would wrap (non-monotonic) every 71 min */
	uint32_t v = rte_cpu_to_be_32((uint32_t)(tpa_tsc_to_ns(sk->w->now) / 1000000) + 1);
	uint32_t e = rte_cpu_to_be_32(sk->ts_recent);

	*p++ = 8; *p++ = 10;
	memcpy(p, &v, 4);
	memcpy(p + 4, &e, 4);
	return p + 8;
}

/*
 * Options of a SYN or SYN-ACK: an active open offers what the config
 * enables; a passive one answers with what both sides agreed. Only options
 * in use take room, laid out the usual way (MSS, SACK-permitted with
 * timestamps, NOP + window scale), padded with NOPs to a multiple of 4.
 */
static uint32_t build_syn_opts(struct tcp_sock *sk, uint8_t *p)
{
	int active = sk->flags & SK_ACTIVE_OPEN;
	int sack = active ? tpa_cfg.sack : !!(sk->flags & SK_SACK_OK);
	int ts = active ? tpa_cfg.timestamps : !!(sk->flags & SK_TS_OK);
	int ws = active ? tpa_cfg.wscale : !!(sk->flags & SK_WS_OK);
	uint16_t mss = rte_cpu_to_be_16(sk->rcv_mss);
	uint8_t *s = p;

	*p++ = 2; *p++ = 4;
	memcpy(p, &mss, 2);
	p += 2;
	if (sack && ts) {
		*p++ = 4; *p++ = 2;
		p = put_ts(sk, p);
	} else if (ts) {
		*p++ = 1; *p++ = 1;
		p = put_ts(sk, p);
	} else if (sack) {
		*p++ = 1; *p++ = 1;
		*p++ = 4; *p++ = 2;
	}
	if (ws) {
		*p++ = 1;
		*p++ = 3; *p++ = 3; *p++ = sk->rcv_wscale;
	}
	return (uint32_t)(p - s);
}

/* Options on a non-SYN segment: timestamps, then SACK blocks. Returns length (multiple of 4). */
static uint32_t build_opts(struct tcp_sock *sk, uint8_t *p, int syn)
{
	uint8_t *s = p;

	if (syn)
		return build_syn_opts(sk, p);
	if (sk->flags & SK_TS_OK) {
		*p++ = 1; *p++ = 1;
		p = put_ts(sk, p);
	}
	if ((sk->flags & SK_SACK_OK) && sk->nr_rcv_sack) {
		uint32_t n = sk->nr_rcv_sack, max = (sk->flags & SK_TS_OK) ? 3 : 4;
		if (n > max)
			n = max;
		*p++ = 1; *p++ = 1;
		*p++ = 5; *p++ = (uint8_t)(2 + 8 * n);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t a = rte_cpu_to_be_32(sk->rcv_sack[i].start), b = rte_cpu_to_be_32(sk->rcv_sack[i].end);
			memcpy(p, &a, 4);
			memcpy(p + 4, &b, 4);
			p += 8;
		}
	}
	return (uint32_t)(p - s);
}

/*
 * Index of the desc holding @p seq. New data is sent in sequence order, so
 * the search starts at the desc the previous one ended in (txq_hint) and
 * the cost per segment stays constant however many descs are in flight;
 * a retransmission below the hint scans from the oldest.
 */
static int txq_find(struct tcp_sock *sk, uint32_t seq, uint32_t *idx)
{
	uint32_t i = sk->txq_head;

	if ((uint32_t)(sk->txq_hint - sk->txq_head) < (uint32_t)(sk->txq_tail - sk->txq_head) &&
	    SEQ_GEQ(seq, sk->txq[sk->txq_hint & (sk->txq_size - 1)].seq))
		i = sk->txq_hint;
	for (; i != sk->txq_tail; i++) {
		const struct tx_desc *d = &sk->txq[i & (sk->txq_size - 1)];
		if (SEQ_GEQ(seq, d->seq) && SEQ_LT(seq, d->seq + d->len)) {
			*idx = i;
			sk->txq_hint = i;
			return 0;
		}
	}
	return -1;
}

/* Attach [seq, seq+len) of the send queue behind @p hdr. */
static int attach_payload(struct tcp_sock *sk, struct rte_mbuf *hdr, uint32_t seq, uint32_t len, int retrans)
{
	struct tpa_worker *w = sk->w;
	struct rte_mbuf *last = hdr;
	uint32_t idx;

	if (txq_find(sk, seq, &idx))
		return -1;
	while (len) {
		struct tx_desc *d = &sk->txq[idx & (sk->txq_size - 1)];
		uint32_t off = seq - d->seq, n = RTE_MIN(len, d->len - off);
		struct rte_mbuf *v = rte_pktmbuf_alloc(w->zc_pool);

		if (unlikely(!v)) {
			w->stats.mbuf_alloc_fail++;
			return -1;
		}
		if (d->flags & TX_DESC_ZEROCOPY) {
			rte_mbuf_ext_refcnt_update(&d->shinfo, 1);
			rte_pktmbuf_attach_extbuf(v, d->addr, d->phys, (uint16_t)d->len, &d->shinfo);
			v->data_off = (uint16_t)off;
		} else {
			rte_pktmbuf_attach(v, d->pkt);
			v->data_off = (uint16_t)(d->pkt->data_off + off);
		}
		v->data_len = (uint16_t)n;
		v->pkt_len = n;
		last->next = v;
		last = v;
		hdr->nb_segs++;
		hdr->pkt_len += n;
		if (!retrans && !d->tsc_xmit) {
			/* not w->now: on the write path that is the API entry time */
			d->tsc_xmit = tpa_now();
			if (sk->lat)
				tcp_lat_record(sk, TPA_LAT_WRITE_XMIT, d->tsc_start, d->tsc_xmit);
		}
		seq += n;
		len -= n;
		idx++;
	}
	return 0;
}

/*
 * Build and send one segment: @p len payload bytes at @p seq from the send
 * queue, with @p flags. Returns 0 or -1 (no mbuf: the caller retries later).
 */
static int xmit_segment(struct tcp_sock *sk, uint32_t seq, uint32_t len, uint8_t flags, int retrans)
{
	struct tpa_worker *w = sk->w;
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->pool);
	struct rte_tcp_hdr *th;
	uint8_t opts[TCP_OPT_MAX];
	uint32_t olen, wnd;
	int syn = flags & TCP_SYN;

	if (unlikely(!m)) {
		w->stats.mbuf_alloc_fail++;
		return -1;
	}
	olen = build_opts(sk, opts, syn);
	if (len && !syn && sk->nr_rcv_sack) {
		/* sk->mss leaves room for timestamps only: a segment that SACK
		 * blocks would push past it (and past the MTU) goes without them */
		uint8_t nr = sk->nr_rcv_sack;
		uint32_t base;

		sk->nr_rcv_sack = 0;
		base = build_opts(sk, opts, syn);
		sk->nr_rcv_sack = nr;
		olen = len + olen <= sk->mss + base ? build_opts(sk, opts, syn) : base;
	}
	th = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, (uint16_t)(TCP_HLEN + olen));
	th->src_port = sk->lport;
	th->dst_port = sk->rport;
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (flags & TCP_ACK) ? rte_cpu_to_be_32(sk->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((TCP_HLEN + olen) / 4) << 4);
	th->tcp_flags = flags;
	if (syn) {
		wnd = RTE_MIN(tcp_rcv_window(sk), 65535u);
	} else {
		wnd = tcp_rcv_window(sk);
	}
	sk->rcv_adv = sk->rcv_nxt + wnd;
	th->rx_win = rte_cpu_to_be_16((uint16_t)(syn ? wnd : wnd >> sk->rcv_wscale));
	th->cksum = 0;
	th->tcp_urp = 0;
	memcpy(th + 1, opts, olen);
	m->l4_len = (uint8_t)(TCP_HLEN + olen);

	if (len && attach_payload(sk, m, seq, len, retrans)) {
		rte_pktmbuf_free(m);
		return -1;
	}
	if (flags & TCP_ACK) {
		sk->last_ack_sent = sk->rcv_nxt;
		sk->unacked_segs = 0;
		sk->delack_at = 0;
		sk->flags &= ~SK_ACK_NOW;
	}
	sk->pkts_out++;
	tpa_tp_tcp_out(sk->sid, flags, seq, sk->rcv_nxt, len, (uint8_t)retrans);
	if (retrans) {
		sk->retrans_pkts++;
		sk->retrans_bytes += len;
	}
	if (sk->trace) {
		trace_ts(sk->trace, w->now);
		trace_put(sk->trace, TR_XMIT_SEQ, flags, (uint16_t)len, seq);
		trace_put(sk->trace, TR_XMIT_ACK, (uint8_t)retrans, (uint16_t)(wnd >> sk->rcv_wscale), sk->rcv_nxt);
	}
	sk->last_send_tsc = w->now;
	return ip_output(w, m, sk->lip, sk->rip, IPPROTO_TCP) ? -1 : 0;
}

void tcp_send_ack(struct tcp_sock *sk)
{
	xmit_segment(sk, sk->snd_nxt, 0, TCP_ACK, 0);
}

void tcp_send_syn(struct tcp_sock *sk)
{
	uint8_t flags = TCP_SYN | (sk->state == TPA_TCP_SYN_RCVD ? TCP_ACK : 0);

	xmit_segment(sk, sk->iss, 0, flags, sk->syn_tries > 0);
	sk->snd_nxt = sk->iss + 1;
	if (SEQ_GT(sk->snd_nxt, sk->snd_max))
		sk->snd_max = sk->snd_nxt;
	tcp_rto_arm(sk);
}

void tcp_send_rst(struct tcp_sock *sk)
{
	trace_event(sk, TR_RST, 1, 0, sk->snd_nxt);
	xmit_segment(sk, sk->snd_nxt, 0, TCP_RST | TCP_ACK, 0);
}

void tcp_send_rst_reply(struct tpa_worker *w, struct rte_ipv4_hdr *ip, struct rte_tcp_hdr *th, uint32_t seg_len)
{
	struct rte_mbuf *m;
	struct rte_tcp_hdr *r;

	if (th->tcp_flags & TCP_RST)
		return;
	m = rte_pktmbuf_alloc(w->pool);
	if (!m) {
		w->stats.mbuf_alloc_fail++;
		return;
	}
	r = (struct rte_tcp_hdr *)rte_pktmbuf_append(m, TCP_HLEN);
	memset(r, 0, TCP_HLEN);
	r->src_port = th->dst_port;
	r->dst_port = th->src_port;
	r->data_off = 5 << 4;
	if (th->tcp_flags & TCP_ACK) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		r->sent_seq = th->recv_ack;
		r->tcp_flags = TCP_RST;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		r->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + seg_len);
		r->tcp_flags = TCP_RST | TCP_ACK;
	}
	m->l4_len = TCP_HLEN;
	ip_output(w, m, ip->dst_addr, ip->src_addr, IPPROTO_TCP);
}

int tcp_retransmit(struct tcp_sock *sk, uint32_t seq, uint32_t max_len)
{
	uint32_t end = sk->snd_una + sk->snd_queued, len;
	uint8_t flags = TCP_ACK;

	if (SEQ_LT(seq, sk->snd_una))
		seq = sk->snd_una;
	len = SEQ_LT(seq, end) ? RTE_MIN(end - seq, max_len) : 0;
	if (!len && (sk->flags & SK_FIN_SENT) && seq == end)
		flags |= TCP_FIN;
	else if (!len)
		return 0;
	if (xmit_segment(sk, seq, len, flags, 1))
		return -1;
	trace_event(sk, TR_RETRANS, (sk->flags & SK_IN_RECOVERY) ? 1 : 0, (uint16_t)len, seq);
	return 1;
}

/* Skip data the peer already holds (SACKed) when resending after an RTO. */
static uint32_t skip_sacked(const struct tcp_sock *sk, uint32_t seq)
{
	for (int i = 0; i < sk->nr_sacked; i++)
		if (SEQ_GEQ(seq, sk->sacked[i].start) && SEQ_LT(seq, sk->sacked[i].end))
			seq = sk->sacked[i].end;
	return seq;
}

static uint32_t next_sacked_start(const struct tcp_sock *sk, uint32_t seq)
{
	for (int i = 0; i < sk->nr_sacked; i++)
		if (SEQ_GT(sk->sacked[i].start, seq))
			return sk->sacked[i].start;
	return seq + 0x7fffffff;
}

int tcp_output(struct tcp_sock *sk)
{
	uint32_t end, wnd, flight, len;
	int sent = 0;

	switch (sk->state) {
	case TPA_TCP_ESTABLISHED:
	case TPA_TCP_CLOSE_WAIT:
	case TPA_TCP_FIN_WAIT_1:
	case TPA_TCP_CLOSING:
	case TPA_TCP_LAST_ACK:
		break;
	case TPA_TCP_SYN_RCVD:
		if (sk->flags & SK_NEED_SYNACK) {
			sk->flags &= ~SK_NEED_SYNACK;
			tcp_send_syn(sk);
			return 1;
		}
		/* fall through */
	default:
		if (sk->flags & SK_ACK_NOW)
			tcp_send_ack(sk);
		return 0;
	}

	end = sk->snd_una + sk->snd_queued;
	if (!tcp_flight(sk) && sk->last_send_tsc && SEQ_LT(sk->snd_nxt, end))
		sk->cc->on_idle(sk, (sk->w->now - sk->last_send_tsc) * 1000000 / tpa_tsc_hz);
	wnd = RTE_MIN(sk->snd_wnd, sk->cwnd);
	for (;;) {
		if (SEQ_LT(sk->snd_nxt, sk->snd_max) && sk->nr_sacked)
			sk->snd_nxt = skip_sacked(sk, sk->snd_nxt);
		if (SEQ_GEQ(sk->snd_nxt, end))
			break;
		flight = sk->snd_nxt - sk->snd_una;
		if (flight >= wnd)
			break;
		len = RTE_MIN(end - sk->snd_nxt, (uint32_t)sk->mss);
		len = RTE_MIN(len, wnd - flight);
		if (SEQ_LT(sk->snd_nxt, sk->snd_max))
			len = RTE_MIN(len, next_sacked_start(sk, sk->snd_nxt) - sk->snd_nxt);
		/* sender SWS avoidance: no runt segment just because the window is
		 * nearly full, unless nothing is in flight (RFC 1122 4.2.3.4) */
		if (len < sk->mss && len < end - sk->snd_nxt && flight > 0)
			break;
		if (xmit_segment(sk, sk->snd_nxt, len, TCP_ACK | (len == end - sk->snd_nxt ? TCP_PSH : 0),
				 SEQ_LT(sk->snd_nxt, sk->snd_max)))
			break;
		/* time one segment per flight with the TSC (finer than the ms timestamps) */
		if (!(sk->flags & SK_RTT_PENDING) && SEQ_GEQ(sk->snd_nxt, sk->snd_max)) {
			sk->flags |= SK_RTT_PENDING;
			sk->rtt_seq = sk->snd_nxt + len;
			sk->rtt_tsc = sk->w->now;
		}
		sk->snd_nxt += len;
		if (SEQ_GT(sk->snd_nxt, sk->snd_max))
			sk->snd_max = sk->snd_nxt;
		sent++;
	}
	/* FIN goes once every byte has been sent */
	if ((sk->flags & SK_FIN_QUEUED) && !(sk->flags & SK_FIN_SENT) && sk->snd_nxt == end) {
		if (xmit_segment(sk, end, 0, TCP_FIN | TCP_ACK, 0) == 0) {
			sk->flags |= SK_FIN_SENT;
			sk->snd_nxt = end + 1;
			if (SEQ_GT(sk->snd_nxt, sk->snd_max))
				sk->snd_max = sk->snd_nxt;
			sent++;
		}
	}
	if (!sent && (sk->flags & SK_ACK_NOW))
		tcp_send_ack(sk);
	if (tcp_flight(sk) && !sk->rto_at)
		tcp_rto_arm(sk);
	/* zero window with data waiting and nothing in flight: probe */
	if (!sk->snd_wnd && SEQ_LT(sk->snd_nxt, end) && !tcp_flight(sk) && !(sk->flags & SK_PERSIST)) {
		sk->flags |= SK_PERSIST;
		sk->persist_backoff = 0;
		sk->persist_at = sk->w->now + tpa_us_to_tsc(RTE_MAX(sk->rto_us, 200000u));
		trace_abnormal(sk, TRACE_ABN_ZERO_WND);
		tcp_timer_update(sk);
	}
	return sent;
}

void tcp_schedule_output(struct tcp_sock *sk)
{
	struct tpa_worker *w = sk->w;

	if (sk->flags & SK_IN_OUT_LIST)
		return;
	sk->flags |= SK_IN_OUT_LIST;
	sk->out_next = w->out_head;
	w->out_head = sk;
}

int tcp_output_pending(struct tpa_worker *w)
{
	struct tcp_sock *sk = w->out_head, *next;
	int n = 0;

	w->out_head = NULL;
	for (; sk; sk = next) {
		next = sk->out_next;
		sk->flags &= ~SK_IN_OUT_LIST;
		if (sk->state == TPA_TCP_CLOSED)
			continue;
		n += tcp_output(sk) + 1;
	}
	return n;
}

static void zc_release(struct tx_desc *d)
{
	d->flags |= TX_DESC_DONE;
	if (d->write_done)
		d->write_done(d->base, d->param);
}

/* Called by DPDK when the last mbuf view of a zero-copy buffer is freed after the ACK. */
void tcp_zc_free_cb(void *addr, void *opaque)
{
	struct tx_desc *d = opaque;

	(void)addr;
	if (d->flags & TX_DESC_ACKED)
		zc_release(d);
}

uint32_t tcp_txq_release(struct tcp_sock *sk)
{
	uint32_t acked = 0;

	while (sk->txq_head != sk->txq_tail) {
		struct tx_desc *d = &sk->txq[sk->txq_head & (sk->txq_size - 1)];

		if (!(d->flags & TX_DESC_ACKED)) {
			if (SEQ_LT(sk->snd_una, d->seq + d->len))
				break;
			d->flags |= TX_DESC_ACKED;
			acked += d->len;
			if (sk->lat)
				tcp_lat_record(sk, TPA_LAT_WRITE_COMPLETE, d->tsc_start, sk->w->now);
			if (d->flags & TX_DESC_ZEROCOPY) {
				if (rte_mbuf_ext_refcnt_update(&d->shinfo, -1) == 0)
					zc_release(d);
			} else {
				rte_pktmbuf_free(d->pkt);
				d->pkt = NULL;
				d->flags |= TX_DESC_DONE;
			}
			trace_event(sk, TR_ZC_DONE, 0, 0, d->len);
		}
		/* a zero-copy buffer still referenced by an mbuf in a NIC ring
		 * keeps its slot until the driver frees that mbuf */
		if (!(d->flags & TX_DESC_DONE))
			break;
		sk->txq_head++;
	}
	return acked;
}
