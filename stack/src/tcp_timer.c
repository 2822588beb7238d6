/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP timers. Each socket keeps one heap timer armed at its earliest
 * deadline: retransmission (RFC 6298), delayed ACK, persist (zero window),
 * keepalive, TIME_WAIT / FIN_WAIT_2 linger.
 */
#include <errno.h>
#include <rte_cycles.h>

#include "cfg.h"
#include "tcp.h"
#include "trace.h"
#include "tracepoints.h"

static void sock_timer_fire(struct tpa_timer *t, uint64_t now);

void tcp_timer_update(struct tcp_sock *sk)
{
	uint64_t d[] = { sk->rto_at, sk->delack_at, sk->keepalive_at, sk->tw_at, sk->persist_at };
	uint64_t next = 0;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i] && (!next || d[i] < next))
			next = d[i];
	if (!sk->timer.fn)
		tpa_timer_init(&sk->timer, sock_timer_fire);
	tpa_timer_set(&sk->w->timers, &sk->timer, next);
}

void tcp_rto_arm(struct tcp_sock *sk)
{
	uint64_t rto = (uint64_t)sk->rto_us << sk->backoff;

	if (rto > (uint64_t)tpa_cfg.rto_max_ms * 1000)
		rto = (uint64_t)tpa_cfg.rto_max_ms * 1000;
	sk->rto_at = sk->w->now + tpa_us_to_tsc(rto);
	tcp_timer_update(sk);
}

void tcp_keepalive_reset(struct tcp_sock *sk)
{
	if (!tpa_cfg.keepalive)
		return;
	sk->keepalive_at = sk->w->now + tpa_us_to_tsc((uint64_t)tpa_cfg.keepalive_idle_s * 1000000);
	tcp_timer_update(sk);
}

/* RFC 6298 2.2-2.3, with alpha = 1/8, beta = 1/4, K = 4 */
void tcp_rtt_sample(struct tcp_sock *sk, uint32_t rtt_us)
{
	uint32_t rto;

	if (!rtt_us)
		rtt_us = 1;
	if (!sk->srtt_us) {
		sk->srtt_us = rtt_us;
		sk->rttvar_us = rtt_us / 2;
	} else {
		uint32_t delta = sk->srtt_us > rtt_us ? sk->srtt_us - rtt_us : rtt_us - sk->srtt_us;
		sk->rttvar_us = (3 * sk->rttvar_us + delta) / 4;
		sk->srtt_us = (7 * sk->srtt_us + rtt_us) / 8;
	}
	rto = sk->srtt_us + RTE_MAX(4 * sk->rttvar_us, 1000u);	/* G: 1 ms clock granularity */
	rto = RTE_MAX(rto, tpa_cfg.rto_min_ms * 1000);
	sk->rto_us = RTE_MIN(rto, tpa_cfg.rto_max_ms * 1000);
	trace_event(sk, TR_RTT, 0, 0, sk->srtt_us);
}

static void on_rto(struct tcp_sock *sk)
{
	int syn = sk->state == TPA_TCP_SYN_SENT || sk->state == TPA_TCP_SYN_RCVD;
	uint32_t limit = syn ? tpa_cfg.syn_retries : tpa_cfg.retries;

	if (!syn && !tcp_flight(sk))
		return;
	sk->backoff++;
	if (syn)
		sk->syn_tries++;
	if (sk->backoff > limit) {
		trace_event(sk, TR_ERR, 0, 0, ETIMEDOUT);
		if (!syn)
			tcp_send_rst(sk);
		tcp_sock_reset(sk, ETIMEDOUT);
		return;
	}
	sk->rto_count++;
	trace_abnormal(sk, TRACE_ABN_RTO);
	trace_event(sk, TR_TIMER, TRT_RTO, sk->backoff, sk->rto_us);
	sk->flags &= ~SK_RTT_PENDING;	/* Karn: no sample from a retransmission */
	if (syn) {
		tcp_send_syn(sk);	/* SYN, or SYN-ACK in SYN_RCVD */
		return;
	}
	sk->cc->on_rto(sk);
	sk->flags &= ~SK_IN_RECOVERY;
	sk->dupacks = 0;
	sk->recover = sk->snd_max;
	sk->nr_sacked = 0;	/* the receiver may have reneged (RFC 2018 8) */
	sk->high_rxt = sk->snd_una;
	/* go back to snd_una and resend, the FIN included when unacked */
	sk->snd_nxt = sk->snd_una;
	if ((sk->flags & SK_FIN_SENT) && SEQ_LT(sk->snd_una, sk->snd_max))
		sk->flags &= ~SK_FIN_SENT;
	tcp_rto_arm(sk);
	tcp_output(sk);
}

static void on_persist(struct tcp_sock *sk)
{
	uint64_t us;

	if (!(sk->flags & SK_PERSIST))
		return;
	/* a probe with an old sequence number makes the peer repeat its window */
	sk->zwnd_probes++;
	trace_event(sk, TR_TIMER, TRT_PERSIST, sk->persist_backoff, 0);
	{
		uint32_t save = sk->snd_nxt;
		sk->snd_nxt = sk->snd_una - 1;
		tcp_send_ack(sk);
		sk->snd_nxt = save;
	}
	if (sk->persist_backoff < 16)
		sk->persist_backoff++;
	us = (uint64_t)RTE_MAX(sk->rto_us, 200000u) << sk->persist_backoff;
	if (us > (uint64_t)tpa_cfg.rto_max_ms * 1000)
		us = (uint64_t)tpa_cfg.rto_max_ms * 1000;
	sk->persist_at = sk->w->now + tpa_us_to_tsc(us);
}

static void on_keepalive(struct tcp_sock *sk)
{
	uint64_t idle = sk->w->now - sk->last_rcv_tsc;
	uint64_t idle_lim = tpa_us_to_tsc((uint64_t)tpa_cfg.keepalive_idle_s * 1000000);

	if (!tpa_cfg.keepalive || (sk->state != TPA_TCP_ESTABLISHED && sk->state != TPA_TCP_CLOSE_WAIT))
		return;
	if (tcp_flight(sk)) {	/* the retransmission timer watches this connection */
		tcp_keepalive_reset(sk);
		return;
	}
	if (idle < idle_lim && !sk->ka_probes) {
		sk->keepalive_at = sk->last_rcv_tsc + idle_lim;
		return;
	}
	if (sk->ka_probes >= tpa_cfg.keepalive_probes) {
		trace_event(sk, TR_ERR, 0, 0, ETIMEDOUT);
		tcp_send_rst(sk);
		tcp_sock_reset(sk, ETIMEDOUT);
		return;
	}
	sk->ka_probes++;
	trace_event(sk, TR_TIMER, TRT_KEEPALIVE, sk->ka_probes, 0);
	{
		uint32_t save = sk->snd_nxt;
		sk->snd_nxt = sk->snd_una - 1;
		tcp_send_ack(sk);
		sk->snd_nxt = save;
	}
	sk->keepalive_at = sk->w->now + tpa_us_to_tsc((uint64_t)tpa_cfg.keepalive_intvl_s * 1000000);
}

static void sock_timer_fire(struct tpa_timer *t, uint64_t now)
{
	struct tcp_sock *sk = (struct tcp_sock *)((char *)t - offsetof(struct tcp_sock, timer));
	uint32_t gen = sk->gen;

	if (sk->tw_at && now >= sk->tw_at) {
		sk->tw_at = 0;
		tpa_tp_tcp_timer(sk->sid, TRT_TIME_WAIT, 0, 0);
		trace_event(sk, TR_TIMER, TRT_TIME_WAIT, 0, 0);
		if (sk->state != TPA_TCP_TIME_WAIT)	/* FIN_WAIT_2 linger ran out */
			tcp_send_rst(sk);
		else if (sk->flags & SK_ACK_NOW)	/* a short TIME_WAIT must still ACK the FIN */
			tcp_send_ack(sk);
		tcp_set_state(sk, TPA_TCP_CLOSED);
		tcp_sock_done(sk);
		return;
	}
	if (sk->delack_at && now >= sk->delack_at) {
		sk->delack_at = 0;
		tpa_tp_tcp_timer(sk->sid, TRT_DELACK, 0, 0);
		sk->flags |= SK_ACK_NOW;
		tcp_schedule_output(sk);
	}
	if (sk->rto_at && now >= sk->rto_at) {
		sk->rto_at = 0;
		tpa_tp_tcp_timer(sk->sid, TRT_RTO, sk->backoff, sk->rto_us);
		on_rto(sk);
		if (sk->gen != gen)
			return;	/* the socket is gone */
	}
	if (sk->persist_at && now >= sk->persist_at) {
		sk->persist_at = 0;
		tpa_tp_tcp_timer(sk->sid, TRT_PERSIST, sk->persist_backoff, 0);
		on_persist(sk);
	}
	if (sk->keepalive_at && now >= sk->keepalive_at) {
		sk->keepalive_at = 0;
		tpa_tp_tcp_timer(sk->sid, TRT_KEEPALIVE, sk->ka_probes, 0);
		on_keepalive(sk);
		if (sk->gen != gen)
			return;
	}
	if (sk->state != TPA_TCP_CLOSED)
		tcp_timer_update(sk);
}
