/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NewReno congestion control (RFC 5681, RFC 6582 for recovery which lives
 * in tcp_input.c), initial window per RFC 6928, and congestion-window
 * validation after idle (RFC 7661's restart rule: cwnd decays to the
 * restart window after an idle RTO). CUBIC can be added beside it as
 * another struct tcp_cc_ops.
 */
#include "tcp.h"
#include "trace.h"

static void newreno_init(struct tcp_sock *sk)
{
	uint32_t mss = sk->mss;

	sk->cwnd = RTE_MIN(10 * mss, RTE_MAX(2 * mss, 14600u));
	sk->ssthresh = UINT32_MAX / 2;
	sk->bytes_acked = 0;
}

static void newreno_on_ack(struct tcp_sock *sk, uint32_t acked)
{
	uint32_t mss = sk->mss;

	if (sk->cwnd < sk->ssthresh) {
		/* slow start, with appropriate byte counting limited to 2 SMSS (RFC 3465) */
		sk->cwnd += RTE_MIN(acked, 2 * mss);
	} else {
		/* congestion avoidance: one SMSS per cwnd of data acked */
		sk->bytes_acked += acked;
		if (sk->bytes_acked >= sk->cwnd) {
			sk->bytes_acked -= sk->cwnd;
			sk->cwnd += mss;
		}
	}
	if (sk->cwnd > (1u << 30))
		sk->cwnd = 1u << 30;
}

static void newreno_on_loss(struct tcp_sock *sk)
{
	uint32_t mss = sk->mss;

	sk->ssthresh = RTE_MAX(tcp_flight(sk) / 2, 2 * mss);
	sk->cwnd = sk->ssthresh + 3 * mss;
	trace_event(sk, TR_SSTHRESH, 0, 0, sk->ssthresh);
}

static void newreno_on_rto(struct tcp_sock *sk)
{
	sk->ssthresh = RTE_MAX(tcp_flight(sk) / 2, 2u * sk->mss);
	sk->cwnd = sk->mss;
	sk->bytes_acked = 0;
	trace_event(sk, TR_SSTHRESH, 0, 0, sk->ssthresh);
	trace_event(sk, TR_CWND, 3, 0, sk->cwnd);
}

static void newreno_on_idle(struct tcp_sock *sk, uint64_t idle_us)
{
	uint32_t rw = RTE_MIN(10u * sk->mss, RTE_MAX(2u * sk->mss, 14600u));

	/* RFC 5681 4.1: after an idle period longer than the RTO, restart from the initial window */
	if (idle_us > sk->rto_us && sk->cwnd > rw)
		sk->cwnd = rw;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.on_loss = newreno_on_loss,
	.on_rto = newreno_on_rto,
	.on_idle = newreno_on_idle,
};
