/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Segment arrival (RFC 9293 3.10.7), in the RFC's order: validate, find
 * the socket, then per state: sequence check (with PAWS, RFC 7323), RST
 * and SYN (RFC 5961), ACK (with SACK, NewReno recovery), data, FIN.
 */
#include <errno.h>
#include <rte_cycles.h>
#include <rte_ip.h>

#include "cfg.h"
#include "net.h"
#include "tcp.h"
#include "trace.h"
#include "tracepoints.h"

struct seg {
	struct rte_tcp_hdr *th;
	struct tcp_opts o;
	uint32_t seq, ack, len;		/* len: payload bytes */
	uint32_t wnd;			/* unscaled window field */
	uint8_t flags;
};

static void handle_listen(struct tpa_worker *w, struct tcp_sock *ls, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			  struct seg *s);

int tcp_opts_parse(const struct rte_tcp_hdr *th, uint32_t hlen, struct tcp_opts *o)
{
	const uint8_t *p = (const uint8_t *)(th + 1), *end = (const uint8_t *)th + hlen;

	memset(o, 0, sizeof(*o));
	while (p < end) {
		uint8_t kind = p[0], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			p++;
			continue;
		}
		if (p + 1 >= end)
			return -1;
		len = p[1];
		if (len < 2 || p + len > end)
			return -1;
		switch (kind) {
		case 2:
			if (len != 4)
				return -1;
			o->mss = (uint16_t)(p[2] << 8 | p[3]);
			o->has_mss = 1;
			break;
		case 3:
			if (len != 3)
				return -1;
			o->wscale = RTE_MIN(p[2], TCP_MAX_WSCALE);
			o->has_wscale = 1;
			break;
		case 4:
			if (len != 2)
				return -1;
			o->sack_ok = 1;
			break;
		case 5:
			if ((len - 2) % 8 || len == 2)
				return -1;
			for (int i = 0; i < (len - 2) / 8 && i < TCP_SACK_MAX_BLOCKS; i++) {
				uint32_t a, b;
				memcpy(&a, p + 2 + 8 * i, 4);
				memcpy(&b, p + 6 + 8 * i, 4);
				o->sack[i].start = rte_be_to_cpu_32(a);
				o->sack[i].end = rte_be_to_cpu_32(b);
				o->nr_sack++;
			}
			break;
		case 8:
			if (len != 10)
				return -1;
			memcpy(&o->tsval, p + 2, 4);
			memcpy(&o->tsecr, p + 6, 4);
			o->tsval = rte_be_to_cpu_32(o->tsval);
			o->tsecr = rte_be_to_cpu_32(o->tsecr);
			o->has_ts = 1;
			break;
		default:
			break;	/* unknown options are skipped (RFC 9293 3.1) */
		}
		p += len;
	}
	return 0;
}

/* Options agreed in the handshake (SYN or SYN-ACK @p o). */
static void negotiate(struct tcp_sock *sk, const struct tcp_opts *o)
{
	uint32_t peer_mss = o->has_mss ? o->mss : TCP_DEFAULT_MSS;

	if (o->has_wscale && tpa_cfg.wscale) {
		sk->flags |= SK_WS_OK;
		sk->snd_wscale = o->wscale;
	} else {
		sk->snd_wscale = 0;
		sk->rcv_wscale = 0;
	}
	if (o->sack_ok && tpa_cfg.sack)
		sk->flags |= SK_SACK_OK;
	if (o->has_ts && tpa_cfg.timestamps) {
		sk->flags |= SK_TS_OK;
		sk->ts_recent = o->tsval;
		sk->ts_recent_tsc = sk->w->now;
	}
	sk->mss = (uint16_t)RTE_MIN(peer_mss, sk->rcv_mss);
	if (sk->flags & SK_TS_OK)
		sk->mss -= 12;
	if (sk->mss < 64)
		sk->mss = 64;
	sk->cc->init(sk);
}

/* Everything a new connection starts with, both sides. */
static void sock_prepare(struct tcp_sock *sk)
{
	sk->rcv_mss = (uint16_t)(tpa_cfg.mtu - IP4_HLEN - TCP_HLEN);
	sk->rcv_wscale = 0;
	if (tpa_cfg.wscale)
		while (sk->rcv_wscale < TCP_MAX_WSCALE && ((uint32_t)0xffff << sk->rcv_wscale) < sk->rcv_buf)
			sk->rcv_wscale++;
	sk->rto_us = tpa_cfg.rto_init_ms * 1000;
	sk->mss = TCP_DEFAULT_MSS;
	sk->last_rcv_tsc = sk->w->now;
}

void tcp_sock_prepare(struct tcp_sock *sk)
{
	sock_prepare(sk);
}

static void send_challenge_ack(struct tcp_sock *sk)
{
	tcp_send_ack(sk);
}

/* RFC 7323 PAWS: reject a segment whose timestamp went backwards. */
static int paws_reject(struct tcp_sock *sk, const struct seg *s)
{
	if (!(sk->flags & SK_TS_OK) || !s->o.has_ts || (s->flags & TCP_RST))
		return 0;
	if (SEQ_GEQ(s->o.tsval, sk->ts_recent))
		return 0;
	/* ts_recent older than 24 days is invalid (RFC 7323 5.5) */
	if (sk->w->now - sk->ts_recent_tsc > (uint64_t)24 * 86400 * tpa_tsc_hz)
		return 0;
	return 1;
}

static int seq_acceptable(const struct tcp_sock *sk, uint32_t seq, uint32_t seg_len)
{
	uint32_t wnd = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ? sk->rcv_adv - sk->rcv_nxt : 0;

	if (seg_len == 0) {
		if (wnd == 0)
			return seq == sk->rcv_nxt;
		return SEQ_GEQ(seq, sk->rcv_nxt) && SEQ_LT(seq, sk->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return 0;
	return (SEQ_GEQ(seq, sk->rcv_nxt) && SEQ_LT(seq, sk->rcv_nxt + wnd)) ||
	       (SEQ_GEQ(seq + seg_len - 1, sk->rcv_nxt) && SEQ_LT(seq + seg_len - 1, sk->rcv_nxt + wnd));
}

/* ----------------------------------------------------------- SACK scoreboard */

static void scoreboard_add(struct tcp_sock *sk, uint32_t start, uint32_t end)
{
	struct tcp_sack_block *b = sk->sacked;
	int n = sk->nr_sacked, i, j;

	if (SEQ_LEQ(end, sk->snd_una) || SEQ_GT(end, sk->snd_max) || SEQ_GEQ(start, end))
		return;
	if (SEQ_LT(start, sk->snd_una))
		start = sk->snd_una;
	/* insert sorted, then merge overlaps */
	for (i = 0; i < n && SEQ_LT(b[i].start, start); i++)
		;
	if (n == TCP_SCOREBOARD_MAX) {
		if (i == n)
			return;
		n--;	/* forget the highest block */
	}
	memmove(&b[i + 1], &b[i], (size_t)(n - i) * sizeof(*b));
	b[i].start = start;
	b[i].end = end;
	n++;
	for (i = 0, j = 1; j < n; j++) {
		if (SEQ_LEQ(b[j].start, b[i].end)) {
			b[i].end = SEQ_MAX(b[i].end, b[j].end);
		} else {
			b[++i] = b[j];
		}
	}
	sk->nr_sacked = (uint8_t)(i + 1);
}

static void scoreboard_trim(struct tcp_sock *sk)
{
	int i, k = 0;

	for (i = 0; i < sk->nr_sacked; i++) {
		if (SEQ_LEQ(sk->sacked[i].end, sk->snd_una))
			continue;
		sk->sacked[k] = sk->sacked[i];
		if (SEQ_LT(sk->sacked[k].start, sk->snd_una))
			sk->sacked[k].start = sk->snd_una;
		k++;
	}
	sk->nr_sacked = (uint8_t)k;
}

/* RFC 6675-style: the first hole above max(snd_una, high_rxt) below the highest SACKed byte. */
static int sack_next_hole(struct tcp_sock *sk, uint32_t *seq, uint32_t *len)
{
	uint32_t s = SEQ_MAX(sk->snd_una, sk->high_rxt);

	if (!sk->nr_sacked)
		return 0;
	for (int i = 0; i < sk->nr_sacked; i++) {
		if (SEQ_LT(s, sk->sacked[i].start)) {
			*seq = s;
			*len = RTE_MIN(sk->sacked[i].start - s, (uint32_t)sk->mss);
			return 1;
		}
		if (SEQ_LT(s, sk->sacked[i].end))
			s = sk->sacked[i].end;
	}
	return 0;
}

static void retransmit_hole(struct tcp_sock *sk)
{
	uint32_t seq, len;

	if (sack_next_hole(sk, &seq, &len) && tcp_retransmit(sk, seq, len) > 0)
		sk->high_rxt = seq + len;
}

/* ------------------------------------------------------------------ ACK */

static void enter_recovery(struct tcp_sock *sk)
{
	sk->cc->on_loss(sk);
	sk->recover = sk->snd_max;
	sk->flags |= SK_IN_RECOVERY;
	sk->high_rxt = sk->snd_una;
	sk->fast_retrans++;
	trace_abnormal(sk, TRACE_ABN_FAST_RETX);
	trace_event(sk, TR_CWND, 1, (uint16_t)sk->dupacks, sk->cwnd);
	if (tcp_retransmit(sk, sk->snd_una, sk->mss) > 0)
		sk->high_rxt = sk->snd_una + sk->mss;
	sk->flags &= ~SK_RTT_PENDING;	/* Karn */
}

/* RFC 6675 IsLost(SND.UNA): more than (DupThresh - 1) * SMSS bytes SACKed above it */
static int sack_una_lost(const struct tcp_sock *sk)
{
	uint32_t bytes = 0;

	if (!(sk->flags & SK_SACK_OK))
		return 0;
	for (int i = 0; i < sk->nr_sacked; i++)
		bytes += sk->sacked[i].end - sk->sacked[i].start;
	return bytes > 2u * sk->mss;
}

static void on_dupack(struct tcp_sock *sk)
{
	sk->dupacks++;
	sk->dup_acks_in++;
	if (!(sk->flags & SK_IN_RECOVERY)) {
		/* RFC 6582 3.2 step 2: no new recovery until the ACK covers more
		 * than what was outstanding when the last one started */
		if ((sk->dupacks == 3 || sack_una_lost(sk)) && SEQ_GT(sk->snd_una, sk->recover))
			enter_recovery(sk);
		return;
	}
	sk->cwnd += sk->mss;	/* inflation: one segment left the network */
	if (sk->flags & SK_SACK_OK)
		retransmit_hole(sk);
}

static void on_new_ack(struct tcp_sock *sk, uint32_t ack, uint32_t acked)
{
	if (sk->flags & SK_IN_RECOVERY) {
		if (SEQ_GEQ(ack, sk->recover)) {
			/* full ACK: deflate (RFC 6582 3.2 step 3) */
			sk->cwnd = RTE_MIN(sk->ssthresh, RTE_MAX(tcp_flight(sk), (uint32_t)sk->mss) + sk->mss);
			sk->flags &= ~SK_IN_RECOVERY;
			sk->dupacks = 0;
			trace_event(sk, TR_CWND, 2, 0, sk->cwnd);
		} else {
			/* partial ACK: resend the next hole, deflate by what was acked */
			if (sk->flags & SK_SACK_OK) {
				if (SEQ_LT(sk->high_rxt, sk->snd_una))
					sk->high_rxt = sk->snd_una;
				retransmit_hole(sk);
				if (!sk->nr_sacked && tcp_retransmit(sk, sk->snd_una, sk->mss) > 0)
					sk->high_rxt = sk->snd_una + sk->mss;
			} else if (tcp_retransmit(sk, sk->snd_una, sk->mss) > 0) {
				sk->high_rxt = sk->snd_una + sk->mss;
			}
			sk->cwnd = sk->cwnd > acked ? sk->cwnd - acked : 0;
			if (acked >= sk->mss)
				sk->cwnd += sk->mss;
			if (sk->cwnd < sk->mss)
				sk->cwnd = sk->mss;
			tcp_rto_arm(sk);	/* RFC 6582: reset the timer on the first partial ACK */
		}
		return;
	}
	sk->dupacks = 0;
	sk->cc->on_ack(sk, acked);
}

static void update_window(struct tcp_sock *sk, const struct seg *s)
{
	if (SEQ_LT(sk->snd_wl1, s->seq) || (sk->snd_wl1 == s->seq && SEQ_LEQ(sk->snd_wl2, s->ack))) {
		uint32_t wnd = s->wnd << sk->snd_wscale;
		sk->snd_wnd = wnd;
		sk->snd_wl1 = s->seq;
		sk->snd_wl2 = s->ack;
		if (wnd > sk->max_snd_wnd)
			sk->max_snd_wnd = wnd;
		if (wnd && (sk->flags & SK_PERSIST)) {
			sk->flags &= ~SK_PERSIST;
			sk->persist_at = 0;
			tcp_timer_update(sk);
		}
	}
}

/* Returns 0 to go on with the segment, -1 when it was consumed. */
static int process_ack(struct tcp_sock *sk, struct seg *s)
{
	uint32_t ack = s->ack;
	uint32_t end_data = sk->snd_una + sk->snd_queued;	/* before this ACK */

	/* RFC 5961 5.2: acceptable ACKs lie in [snd_una - max_snd_wnd, snd_max] */
	if (SEQ_GT(ack, sk->snd_max)) {
		tcp_send_ack(sk);
		return -1;
	}
	if (SEQ_LT(ack, sk->snd_una - RTE_MAX(sk->max_snd_wnd, 65535u))) {
		send_challenge_ack(sk);
		return -1;
	}
	if (sk->flags & SK_SACK_OK)
		for (int i = 0; i < s->o.nr_sack; i++)
			scoreboard_add(sk, s->o.sack[i].start, s->o.sack[i].end);

	if (SEQ_GT(ack, sk->snd_una)) {
		uint32_t acked = ack - sk->snd_una, data = acked;

		/* the SYN and FIN each take a sequence number but no queue byte */
		if (SEQ_LEQ(sk->snd_una, sk->iss))
			data--;
		if ((sk->flags & SK_FIN_SENT) && SEQ_GT(ack, end_data))
			data--;
		if (data > sk->snd_queued)
			data = sk->snd_queued;
		sk->snd_queued -= data;
		sk->snd_una = ack;
		sk->bytes_out += data;
		if (SEQ_LT(sk->snd_nxt, sk->snd_una))
			sk->snd_nxt = sk->snd_una;
		tcp_txq_release(sk);
		scoreboard_trim(sk);

		/* RTT: one timed segment per flight, Karn's rule via RTT_PENDING */
		if ((sk->flags & SK_RTT_PENDING) && SEQ_GEQ(ack, sk->rtt_seq)) {
			sk->flags &= ~SK_RTT_PENDING;
			tcp_rtt_sample(sk, (uint32_t)((sk->w->now - sk->rtt_tsc) * 1000000 / tpa_tsc_hz));
		}
		sk->backoff = 0;
		on_new_ack(sk, ack, data);
		update_window(sk, s);
		if (tcp_flight(sk))
			tcp_rto_arm(sk);
		else {
			sk->rto_at = 0;
			tcp_timer_update(sk);
		}
		trace_event(sk, TR_SND_UNA, 0, (uint16_t)(sk->txq_tail - sk->txq_head), ack);
		if (sk->abnormal && !(sk->flags & SK_IN_RECOVERY) && !sk->ooo_head && ack == sk->snd_max)
			trace_recovered(sk);
		tcp_event_update(sk);
		tcp_schedule_output(sk);
		return 0;
	}
	/* ack == snd_una (or old but acceptable); with SACK an ACK that carries
	 * blocks is a duplicate even if the window moved (RFC 6675 2, Linux does so) */
	if (ack == sk->snd_una && s->len == 0 && !(s->flags & (TCP_SYN | TCP_FIN)) && tcp_flight(sk) &&
	    ((s->wnd << sk->snd_wscale) == sk->snd_wnd || ((sk->flags & SK_SACK_OK) && s->o.nr_sack))) {
		on_dupack(sk);
		tcp_schedule_output(sk);
	} else if (ack == sk->snd_una && s->o.nr_sack && tcp_flight(sk) && !(sk->flags & SK_IN_RECOVERY) &&
		   SEQ_GT(sk->snd_una, sk->recover) && sack_una_lost(sk)) {
		/* SACKs on the peer's data segments are no dupacks, yet they tell the loss */
		enter_recovery(sk);
		tcp_schedule_output(sk);
	}
	update_window(sk, s);
	if (sk->snd_wnd)
		tcp_schedule_output(sk);
	return 0;
}

/* -------------------------------------------------------------- data */

static void rxq_append(struct tcp_sock *sk, struct rte_mbuf *m)
{
	struct pkt_meta *pm = pkt_meta(m);

	pm->qnext = NULL;
	/* a fresh stamp: the burst's start time would hide the time spent on
	 * the packets ahead of this one */
	pm->submit_tsc = tpa_now();
	pm->sid = sk->sid;
	pm->sk_gen = sk->gen;
	if (sk->lat)
		tcp_lat_record(sk, TPA_LAT_READ_SUBMIT, pm->rx_tsc, pm->submit_tsc);
	if (sk->rxq_tail)
		pkt_meta(sk->rxq_tail)->qnext = m;
	else
		sk->rxq_head = m;
	sk->rxq_tail = m;
	sk->rxq_bytes += pm->len;
	sk->bytes_in += pm->len;
}

/* Rebuild the SACK blocks we report from the out-of-order queue; the block
 * holding @p latest goes first (RFC 2018 4). */
static void rebuild_rcv_sack(struct tcp_sock *sk, uint32_t latest)
{
	struct tcp_sack_block blocks[16];
	int n = 0, first = -1;

	for (struct rte_mbuf *m = sk->ooo_head; m; m = pkt_meta(m)->qnext) {
		struct pkt_meta *pm = pkt_meta(m);
		if (!pm->len)
			continue;	/* a bare FIN: no data to report, and empty blocks are invalid */
		if (n && blocks[n - 1].end == pm->seq) {
			blocks[n - 1].end = pm->seq + pm->len;
		} else if (n < 16) {
			blocks[n].start = pm->seq;
			blocks[n].end = pm->seq + pm->len;
			n++;
		}
	}
	for (int i = 0; i < n; i++)
		if (SEQ_GEQ(latest, blocks[i].start) && SEQ_LT(latest, blocks[i].end))
			first = i;
	sk->nr_rcv_sack = 0;
	if (first >= 0)
		sk->rcv_sack[sk->nr_rcv_sack++] = blocks[first];
	for (int i = n - 1; i >= 0 && sk->nr_rcv_sack < TCP_SACK_MAX_BLOCKS; i--)
		if (i != first)
			sk->rcv_sack[sk->nr_rcv_sack++] = blocks[i];
}

/* Insert into the out-of-order queue, trimming overlaps; takes ownership. */
static void ooo_insert(struct tcp_sock *sk, struct rte_mbuf *m)
{
	struct pkt_meta *pm = pkt_meta(m);
	struct rte_mbuf **pp = &sk->ooo_head;
	uint32_t seq = pm->seq;

	if (sk->ooo_bytes + pm->len > tpa_cfg.ooo_max_bytes) {
		tpa_drop(sk->w, m, DROP_TCP_OOO_FULL);
		return;
	}
	while (*pp) {
		struct pkt_meta *q = pkt_meta(*pp);
		uint32_t qend = q->seq + q->len;

		if (SEQ_LEQ(qend, pm->seq)) {	/* entirely before us */
			pp = &q->qnext;
			continue;
		}
		if (SEQ_LEQ(q->seq, pm->seq)) {	/* overlaps our front */
			uint32_t cut = qend - pm->seq;
			if (cut >= pm->len) {	/* duplicate */
				rte_pktmbuf_free(m);
				return;
			}
			pm->seq += cut;
			pm->data_off += cut;
			pm->len -= cut;
			pp = &q->qnext;
			continue;
		}
		break;
	}
	/* trim or drop successors we cover */
	while (*pp) {
		struct pkt_meta *q = pkt_meta(*pp);
		uint32_t end = pm->seq + pm->len;

		if (SEQ_LEQ(end, q->seq))
			break;
		if (SEQ_GEQ(end, q->seq + q->len)) {	/* fully covered: drop it */
			struct rte_mbuf *dead = *pp;
			*pp = q->qnext;
			sk->ooo_bytes -= q->len;
			rte_pktmbuf_free(dead);
			continue;
		}
		pm->len = (uint16_t)(q->seq - pm->seq);	/* cut our tail */
		pm->tcp_flags &= ~TCP_FIN;
		break;
	}
	pm->qnext = *pp;
	*pp = m;
	sk->ooo_bytes += pm->len;
	sk->ooo_pkts++;
	trace_event(sk, TR_OOO, 0, pm->len, seq);
	trace_abnormal(sk, TRACE_ABN_OOO);
	rebuild_rcv_sack(sk, seq);
}

static void process_fin(struct tcp_sock *sk);

/* Move now-contiguous segments from the out-of-order queue to the receive queue. */
static void ooo_drain(struct tcp_sock *sk)
{
	while (sk->ooo_head) {
		struct rte_mbuf *m = sk->ooo_head;
		struct pkt_meta *pm = pkt_meta(m);

		if (SEQ_GT(pm->seq, sk->rcv_nxt))
			break;
		sk->ooo_head = pm->qnext;
		sk->ooo_bytes -= pm->len;
		if (SEQ_LT(pm->seq, sk->rcv_nxt)) {	/* partly old */
			uint32_t cut = sk->rcv_nxt - pm->seq;
			if (cut >= pm->len) {
				int fin = pm->tcp_flags & TCP_FIN;
				rte_pktmbuf_free(m);
				if (fin && pm->seq + pm->len == sk->rcv_nxt)
					process_fin(sk);
				continue;
			}
			pm->seq += cut;
			pm->data_off += cut;
			pm->len -= cut;
		}
		sk->rcv_nxt += pm->len;
		if (pm->tcp_flags & TCP_FIN) {
			rxq_append(sk, m);
			process_fin(sk);
		} else {
			rxq_append(sk, m);
		}
	}
	if (sk->ooo_head)
		rebuild_rcv_sack(sk, pkt_meta(sk->ooo_head)->seq);
	else
		sk->nr_rcv_sack = 0;
}

static void ack_policy(struct tcp_sock *sk)
{
	if (!tpa_cfg.delayed_ack_us || ++sk->unacked_segs >= 2 || (sk->flags & SK_QUICKACK)) {
		sk->flags |= SK_ACK_NOW;
		sk->flags &= ~SK_QUICKACK;
	} else if (!sk->delack_at) {
		sk->delack_at = sk->w->now + tpa_us_to_tsc(tpa_cfg.delayed_ack_us);
		tcp_timer_update(sk);
	}
	tcp_schedule_output(sk);
}

/* Queue the payload of @p m (trimmed to the window); takes ownership. */
static void process_data(struct tcp_sock *sk, struct rte_mbuf *m, struct seg *s)
{
	struct pkt_meta *pm = pkt_meta(m);
	uint32_t wnd_end = SEQ_GT(sk->rcv_adv, sk->rcv_nxt) ? sk->rcv_adv : sk->rcv_nxt;

	pm->seq = s->seq;
	pm->len = (uint16_t)s->len;
	pm->data_off = 0;
	pm->tcp_flags = s->flags;
	/* trim what we already have and what lies beyond the window */
	if (SEQ_LT(pm->seq, sk->rcv_nxt)) {
		uint32_t cut = sk->rcv_nxt - pm->seq;
		pm->seq += cut;
		pm->data_off += cut;
		pm->len -= cut;
	}
	if (SEQ_GT(pm->seq + pm->len, wnd_end)) {
		pm->len = (uint16_t)(wnd_end - pm->seq);
		pm->tcp_flags &= ~TCP_FIN;
	}
	if (pm->len == 0 && !(pm->tcp_flags & TCP_FIN)) {
		rte_pktmbuf_free(m);
		sk->flags |= SK_ACK_NOW;
		tcp_schedule_output(sk);
		return;
	}
	if (pm->seq == sk->rcv_nxt) {
		int had_ooo = sk->ooo_head != NULL;
		int fin = pm->tcp_flags & TCP_FIN;

		sk->rcv_nxt += pm->len;
		if (pm->len)
			rxq_append(sk, m);
		else
			rte_pktmbuf_free(m);
		if (had_ooo) {
			ooo_drain(sk);
			sk->flags |= SK_QUICKACK;	/* a hole was filled: tell the sender now */
			if (!sk->ooo_head && sk->abnormal && sk->snd_una == sk->snd_max)
				trace_recovered(sk);
		}
		if (fin)
			process_fin(sk);
		ack_policy(sk);
		tcp_event_update(sk);
		return;
	}
	/* a hole before this segment: keep it and send a duplicate ACK at once (RFC 5681 4.2) */
	ooo_insert(sk, m);
	sk->flags |= SK_ACK_NOW;
	tcp_schedule_output(sk);
}

static void enter_time_wait(struct tcp_sock *sk)
{
	if (sk->state != TPA_TCP_TIME_WAIT)
		tcp_tw_link(sk);
	tcp_set_state(sk, TPA_TCP_TIME_WAIT);
	sk->rto_at = sk->persist_at = sk->keepalive_at = sk->delack_at = 0;
	sk->tw_at = sk->w->now + tpa_us_to_tsc((uint64_t)tpa_cfg.time_wait_ms * 1000) + 1;
	tcp_timer_update(sk);
}

static void process_fin(struct tcp_sock *sk)
{
	if (sk->flags & SK_FIN_RCVD)
		return;
	sk->flags |= SK_FIN_RCVD | SK_ACK_NOW;
	sk->rcv_nxt += 1;
	switch (sk->state) {
	case TPA_TCP_SYN_RCVD:
	case TPA_TCP_ESTABLISHED:
		tcp_set_state(sk, TPA_TCP_CLOSE_WAIT);
		break;
	case TPA_TCP_FIN_WAIT_1:
		/* our FIN not yet acked: simultaneous close */
		tcp_set_state(sk, TPA_TCP_CLOSING);
		break;
	case TPA_TCP_FIN_WAIT_2:
		enter_time_wait(sk);
		break;
	}
	tcp_schedule_output(sk);
	tcp_event_update(sk);
}

/* The socket moved to ESTABLISHED: hand a passive one to accept(). */
static void established(struct tcp_sock *sk)
{
	struct tcp_sock *ls = sk->listener;

	tcp_set_state(sk, TPA_TCP_ESTABLISHED);
	tcp_keepalive_reset(sk);
	if (ls && !(sk->flags & SK_IN_ACCEPTQ)) {
		struct tpa_worker *w = sk->w;
		sk->flags |= SK_IN_ACCEPTQ;
		sk->acc_next = NULL;
		if (w->accept_tail)
			w->accept_tail->acc_next = sk;
		else
			w->accept_head = sk;
		w->accept_tail = sk;
		tcp_event_update(ls);
	}
	tcp_event_update(sk);
}

/* Segment for a socket in SYN_SENT (RFC 9293 3.10.7.3). */
static void rcv_syn_sent(struct tcp_sock *sk, struct rte_mbuf *m, struct seg *s)
{
	int ack_ok = 0;

	if (s->flags & TCP_ACK) {
		if (SEQ_LEQ(s->ack, sk->iss) || SEQ_GT(s->ack, sk->snd_max)) {
			if (!(s->flags & TCP_RST)) {
				/* <SEQ=SEG.ACK><CTL=RST> */
				uint32_t save = sk->snd_nxt;
				sk->snd_nxt = s->ack;
				tcp_send_rst(sk);
				sk->snd_nxt = save;
			}
			rte_pktmbuf_free(m);
			return;
		}
		ack_ok = 1;
	}
	if (s->flags & TCP_RST) {
		if (ack_ok) {
			trace_abnormal(sk, TRACE_ABN_RST);
			tcp_sock_reset(sk, ECONNREFUSED);
		}
		rte_pktmbuf_free(m);
		return;
	}
	if (!(s->flags & TCP_SYN)) {
		rte_pktmbuf_free(m);
		return;
	}
	sk->irs = s->seq;
	sk->rcv_nxt = s->seq + 1;
	sk->rcv_adv = sk->rcv_nxt;
	negotiate(sk, &s->o);
	if (ack_ok) {
		sk->snd_una = s->ack;
		sk->snd_wnd = s->wnd;	/* never scaled on a SYN */
		sk->max_snd_wnd = sk->snd_wnd;
		sk->snd_wl1 = s->seq;
		sk->snd_wl2 = s->ack;
		if (sk->syn_tries == 0)
			tcp_rtt_sample(sk, (uint32_t)((sk->w->now - sk->rtt_tsc) * 1000000 / tpa_tsc_hz));
		sk->rto_at = 0;
		sk->backoff = 0;
		tcp_timer_update(sk);
		established(sk);
		sk->flags |= SK_ACK_NOW;
		tcp_schedule_output(sk);
	} else {
		/* simultaneous open: SYN_RCVD, answer with SYN-ACK on our ISS */
		tcp_set_state(sk, TPA_TCP_SYN_RCVD);
		sk->snd_wnd = s->wnd;
		sk->snd_wl1 = s->seq;
		sk->syn_tries = 0;
		sk->flags |= SK_NEED_SYNACK;
		tcp_schedule_output(sk);
	}
	rte_pktmbuf_free(m);
}

static void rcv_synchronized(struct tcp_sock *sk, struct rte_mbuf *m, struct seg *s)
{
	uint32_t seg_len = s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);

	/* TIME_WAIT: a new SYN may reuse the pair (RFC 6191) */
	if (sk->state == TPA_TCP_TIME_WAIT && (s->flags & TCP_SYN) && !(s->flags & TCP_ACK)) {
		int newer = SEQ_GT(s->seq, sk->rcv_nxt) ||
			    ((sk->flags & SK_TS_OK) && s->o.has_ts && SEQ_GT(s->o.tsval, sk->ts_recent));
		struct tcp_sock *ls = tcp_listen_lookup(sk->lport);
		if (newer && ls) {
			struct rte_ipv4_hdr ip = { .src_addr = sk->rip, .dst_addr = sk->lip };
			struct tpa_worker *w = sk->w;
			tcp_sock_done(sk);
			handle_listen(w, ls, m, &ip, s);
			return;
		}
	}
	/* SYN_RCVD: the peer's SYN again means our SYN-ACK was lost; resend it
	 * now (the sequence check below would only answer a bare ACK) */
	if (sk->state == TPA_TCP_SYN_RCVD && (s->flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    s->seq == sk->irs) {
		sk->flags |= SK_NEED_SYNACK;
		tcp_schedule_output(sk);
		rte_pktmbuf_free(m);
		return;
	}
	/* TIME_WAIT: a retransmitted FIN (ending at RCV.NXT) means our last ACK
	 * was lost: ACK again and restart the 2 MSL timer (RFC 9293 3.10.7.4);
	 * the sequence check below would only ACK it */
	if (sk->state == TPA_TCP_TIME_WAIT && (s->flags & (TCP_FIN | TCP_SYN | TCP_RST)) == TCP_FIN &&
	    s->seq + seg_len == sk->rcv_nxt) {
		tcp_send_ack(sk);
		enter_time_wait(sk);
		rte_pktmbuf_free(m);
		return;
	}

	/* 1. sequence number check (PAWS first) */
	if (paws_reject(sk, s)) {
		sk->w->stats.drop[DROP_TCP_PAWS]++;
		tcp_send_ack(sk);
		rte_pktmbuf_free(m);
		return;
	}
	if (!seq_acceptable(sk, s->seq, seg_len)) {
		if (!(s->flags & TCP_RST))
			tcp_send_ack(sk);
		tpa_drop(sk->w, m, DROP_TCP_OUT_OF_WINDOW);
		return;
	}
	sk->last_rcv_tsc = sk->w->now;
	sk->ka_probes = 0;
	if (tpa_cfg.keepalive && sk->keepalive_at)
		tcp_keepalive_reset(sk);

	/* 2. RST (RFC 5961 3.2): exact match resets, in-window gets a challenge ACK */
	if (s->flags & TCP_RST) {
		trace_event(sk, TR_RST, 0, 0, s->seq);
		if (s->seq == sk->rcv_nxt) {
			trace_abnormal(sk, TRACE_ABN_RST);
			if (sk->state == TPA_TCP_SYN_RCVD && sk->listener)
				tcp_sock_reset(sk, ECONNREFUSED);
			else
				tcp_sock_reset(sk, sk->state == TPA_TCP_TIME_WAIT || sk->state == TPA_TCP_LAST_ACK ||
							   sk->state == TPA_TCP_CLOSING ? 0 : ECONNRESET);
		} else {
			send_challenge_ack(sk);
		}
		rte_pktmbuf_free(m);
		return;
	}
	/* 3. SYN in a synchronized state (RFC 5961 4.2): challenge ACK */
	if (s->flags & TCP_SYN) {
		if (sk->state == TPA_TCP_SYN_RCVD && s->seq == sk->irs) {
			sk->flags |= SK_NEED_SYNACK;	/* our SYN-ACK was lost */
			tcp_schedule_output(sk);
		} else {
			send_challenge_ack(sk);
		}
		rte_pktmbuf_free(m);
		return;
	}
	/* 4. ACK */
	if (!(s->flags & TCP_ACK)) {
		rte_pktmbuf_free(m);
		return;
	}
	/* timestamps: remember the peer's latest (RFC 7323 4.3) */
	if ((sk->flags & SK_TS_OK) && s->o.has_ts && SEQ_LEQ(s->seq, sk->last_ack_sent) &&
	    SEQ_GEQ(s->o.tsval, sk->ts_recent)) {
		sk->ts_recent = s->o.tsval;
		sk->ts_recent_tsc = sk->w->now;
	}
	if (sk->state == TPA_TCP_SYN_RCVD) {
		if (SEQ_GT(s->ack, sk->snd_una) && SEQ_LEQ(s->ack, sk->snd_max)) {
			sk->snd_wnd = s->wnd << sk->snd_wscale;
			sk->max_snd_wnd = sk->snd_wnd;
			sk->snd_wl1 = s->seq;
			sk->snd_wl2 = s->ack;
			sk->snd_una = s->ack;
			if (sk->syn_tries == 0 && sk->rtt_tsc)
				tcp_rtt_sample(sk, (uint32_t)((sk->w->now - sk->rtt_tsc) * 1000000 / tpa_tsc_hz));
			sk->rto_at = 0;
			sk->backoff = 0;
			tcp_timer_update(sk);
			established(sk);
		} else {
			uint32_t save = sk->snd_nxt;
			sk->snd_nxt = s->ack;
			tcp_send_rst(sk);
			sk->snd_nxt = save;
			rte_pktmbuf_free(m);
			return;
		}
	} else if (process_ack(sk, s)) {
		rte_pktmbuf_free(m);
		return;
	}
	/* our FIN acknowledged? */
	if ((sk->flags & SK_FIN_SENT) && sk->snd_una == sk->snd_max) {
		switch (sk->state) {
		case TPA_TCP_FIN_WAIT_1:
			tcp_set_state(sk, TPA_TCP_FIN_WAIT_2);
			if (sk->flags & SK_CLOSED_BY_APP) {
				/* do not wait forever for a peer that never closes */
				sk->tw_at = sk->w->now + tpa_us_to_tsc(60ull * 1000000);
				tcp_timer_update(sk);
			}
			break;
		case TPA_TCP_CLOSING:
			enter_time_wait(sk);
			break;
		case TPA_TCP_LAST_ACK:
			tcp_set_state(sk, TPA_TCP_CLOSED);
			tcp_sock_done(sk);
			rte_pktmbuf_free(m);
			return;
		}
	}
	if (sk->state == TPA_TCP_TIME_WAIT) {
		if (s->flags & TCP_FIN) {	/* retransmitted FIN: ACK it, restart 2MSL */
			tcp_send_ack(sk);
			enter_time_wait(sk);
		}
		rte_pktmbuf_free(m);
		return;
	}

	/* 6-7. data and FIN */
	if (s->len || (s->flags & TCP_FIN)) {
		switch (sk->state) {
		case TPA_TCP_ESTABLISHED:
		case TPA_TCP_FIN_WAIT_1:
		case TPA_TCP_FIN_WAIT_2:
			if (s->len && (sk->flags & SK_CLOSED_BY_APP)) {
				/* nobody will read it: abort (RFC 9293 3.10.4 / RFC 2525 2.17) */
				tcp_send_rst(sk);
				tcp_sock_reset(sk, 0);
				rte_pktmbuf_free(m);
				return;
			}
			process_data(sk, m, s);
			return;
		default:	/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer already sent FIN */
			break;
		}
	}
	rte_pktmbuf_free(m);
}

/* A SYN for a listener: create the child in SYN_RCVD and answer SYN-ACK. */
static void handle_listen(struct tpa_worker *w, struct tcp_sock *ls, struct rte_mbuf *m, struct rte_ipv4_hdr *ip,
			  struct seg *s)
{
	struct tcp_sock *sk;

	if (s->flags & TCP_RST) {
		rte_pktmbuf_free(m);
		return;
	}
	if (s->flags & TCP_ACK) {
		tcp_send_rst_reply(w, ip, s->th, s->len);
		rte_pktmbuf_free(m);
		return;
	}
	if (!(s->flags & TCP_SYN)) {
		rte_pktmbuf_free(m);
		return;
	}
	if (ls->nr_children >= ls->backlog) {
		tpa_drop(w, m, DROP_TCP_BACKLOG_FULL);
		return;
	}
	sk = tcp_sock_alloc(w);
	if (!sk) {
		tpa_drop(w, m, DROP_TCP_BACKLOG_FULL);
		return;
	}
	sk->lip = ip->dst_addr;
	sk->rip = ip->src_addr;
	sk->lport = s->th->dst_port;
	sk->rport = s->th->src_port;
	sk->listener = ls;
	sk->ev_data = ls->ev_data;
	tcp_sock_prepare(sk);
	tcp_set_state(sk, TPA_TCP_SYN_RCVD);
	sk->irs = s->seq;
	sk->rcv_nxt = s->seq + 1;
	sk->rcv_adv = sk->rcv_nxt;
	sk->iss = tcp_isn(sk->lip, sk->lport, sk->rip, sk->rport, w->now);
	sk->snd_una = sk->snd_nxt = sk->snd_max = sk->recover = sk->iss;
	negotiate(sk, &s->o);
	sk->snd_wnd = s->wnd;
	sk->snd_wl1 = s->seq;
	if (tcp_flow_add(sk)) {
		tcp_sock_free(sk);
		tpa_drop(w, m, DROP_TCP_BACKLOG_FULL);
		return;
	}
	ls->nr_children++;
	sk->rtt_tsc = w->now;
	sk->flags |= SK_NEED_SYNACK;
	tcp_schedule_output(sk);
	rte_pktmbuf_free(m);	/* data on a SYN is not queued; the peer resends it */
}

void tcp_input(struct tpa_worker *w, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	uint16_t l4 = m->l3_len;
	uint32_t tot = m->pkt_len - l4, hlen;
	struct tcp_sock *sk;
	struct seg s;

	s.th = pkt_peek(m, l4, TCP_HLEN);
	if (unlikely(!s.th)) {
		tpa_drop(w, m, DROP_TCP_MALFORMED);
		return;
	}
	hlen = (uint32_t)(s.th->data_off >> 4) * 4;
	if (unlikely(hlen < TCP_HLEN || hlen > tot || !pkt_peek(m, l4, hlen))) {
		tpa_drop(w, m, DROP_TCP_MALFORMED);
		return;
	}
	/* find the owner first: a flow owned by another worker is handed over unparsed */
	sk = tcp_flow_lookup(ip->dst_addr, s.th->dst_port, ip->src_addr, s.th->src_port);
	if (sk && unlikely(sk->w != w)) {
		if (rte_ring_enqueue(sk->w->handoff, m))
			tpa_drop(w, m, DROP_HANDOFF_FULL);
		return;
	}
	if (unlikely(!tpa_rx_l4_csum_ok(m, ip, l4))) {
		tpa_drop(w, m, DROP_TCP_CSUM);
		return;
	}
	s.flags = s.th->tcp_flags & 0x3f;
	if (unlikely(((s.flags & TCP_SYN) && (s.flags & (TCP_FIN | TCP_RST))) || !(s.flags & (TCP_SYN | TCP_ACK | TCP_RST)))) {
		tpa_drop(w, m, DROP_TCP_BAD_FLAGS);
		return;
	}
	if (unlikely(tcp_opts_parse(s.th, hlen, &s.o))) {
		tpa_drop(w, m, DROP_TCP_MALFORMED);
		return;
	}
	s.seq = rte_be_to_cpu_32(s.th->sent_seq);
	s.ack = rte_be_to_cpu_32(s.th->recv_ack);
	s.wnd = rte_be_to_cpu_16(s.th->rx_win);
	s.len = tot - hlen;
	m->l4_len = (uint8_t)hlen;

	if (!sk) {
		struct tcp_sock *ls = tcp_listen_lookup(s.th->dst_port);
		if (ls && (ls->lip == 0 || ls->lip == ip->dst_addr)) {
			handle_listen(w, ls, m, ip, &s);
			return;
		}
		w->stats.drop[DROP_TCP_NO_SOCK]++;
		tcp_send_rst_reply(w, ip, s.th, s.len + !!(s.flags & TCP_SYN) + !!(s.flags & TCP_FIN));
		rte_pktmbuf_free(m);
		return;
	}

	sk->pkts_in++;
	tpa_tp_tcp_in(sk->sid, s.flags, s.seq, s.ack, s.len, s.wnd);
	if (sk->trace) {
		trace_ts(sk->trace, w->now);
		trace_put(sk->trace, TR_RCV_SEQ, s.flags, (uint16_t)s.wnd, s.seq);
		trace_put(sk->trace, TR_RCV_ACK, s.o.nr_sack, (uint16_t)s.len, s.ack);
	}
	/* from here on the mbuf's data is the payload */
	rte_pktmbuf_adj(m, (uint16_t)(l4 + hlen));
	if (sk->state == TPA_TCP_SYN_SENT)
		rcv_syn_sent(sk, m, &s);
	else
		rcv_synchronized(sk, m, &s);
}

void tcp_input_handoff(struct tpa_worker *w, struct rte_mbuf *m)
{
	/* handed-off frames start at the IPv4 header, validated by the receiver */
	tcp_input(w, m, rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *));
}
