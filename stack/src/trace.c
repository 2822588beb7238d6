/* SPDX-License-Identifier: BSD-3-Clause */
#include <rte_malloc.h>
#include "tcp.h"
#include "trace.h"
#include "tracefile.h"
#include "obs.h"
#include "tracepoints.h"

void trace_ts(struct trace_ring *t, uint64_t now_tsc)
{
	uint64_t us = (now_tsc - t->base_tsc) * 1000000 / tpa_tsc_hz;

	t->rec[t->head++ & t->mask] = (uint64_t)TR_TS | (us << 8);
}

void trace_sock_init(struct tcp_sock *sk)
{
	uint32_t n = 1;

	if (!tpa_cfg.trace)
		return;
	while (n < tpa_cfg.trace_records)
		n <<= 1;
	if (!sk->trace) {
		sk->trace = tracefile_ring_alloc(sk->sid, n);
		if (!sk->trace)
			sk->trace = rte_zmalloc("tpa_trace", sizeof(struct trace_ring) + n * 8, 0);
		if (!sk->trace)
			return;
	}
	sk->trace->mask = n - 1;
	sk->trace->head = 0;
	sk->trace->base_tsc = sk->created_tsc;
}

void trace_event(struct tcp_sock *sk, uint8_t type, uint8_t a, uint16_t b, uint32_t c)
{
	if (!sk->trace)
		return;
	/* timer and congestion events happen between packets: stamp them */
	if (sk->trace_ts_tsc != sk->w->now) {
		trace_ts(sk->trace, sk->w->now);
		sk->trace_ts_tsc = sk->w->now;
	}
	trace_put(sk->trace, type, a, b, c);
}

void trace_state(struct tcp_sock *sk, int old, int new_state, uint64_t tsc_in_old)
{
	tpa_tp_tcp_state(sk->sid, (uint8_t)old, (uint8_t)new_state);
	obs_sock_state(sk, old, new_state, tsc_in_old);	/* socks file, state/life rings */
	if (!sk->trace)
		return;
	trace_ts(sk->trace, sk->w->now);
	trace_put(sk->trace, TR_STATE, (uint8_t)old, (uint16_t)new_state,
		  (uint32_t)(tsc_in_old * 1000 / tpa_tsc_hz));
}

void trace_abnormal(struct tcp_sock *sk, uint32_t what)
{
	if (!sk->abnormal)
		sk->abnormal_tsc = sk->w->now;
	sk->abnormal |= what;
}

void trace_recovered(struct tcp_sock *sk)
{
	if (!sk->abnormal)
		return;
	if (sk->trace)
		tracefile_archive(sk, sk->abnormal, sk->w->now - sk->abnormal_tsc);
	sk->abnormal = 0;
}
