/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file DPDK trace points on the stack's hot path, for CTF traces that
 * babeltrace2 and Trace Compass open. Off unless EAL is started with
 * --trace (e.g. dpdk.eal_extra="--trace=tpa\..* --trace-dir=/tmp/tpa-ctf");
 * a disabled point costs one load and branch. The trace is written when the
 * instance exits (rte_eal_cleanup). See docs/observability.md.
 */
#ifndef TPA_TRACEPOINTS_H
#define TPA_TRACEPOINTS_H

#include <rte_trace_point.h>

RTE_TRACE_POINT(tpa_tp_rx_burst,
	RTE_TRACE_POINT_ARGS(uint16_t worker, uint16_t nb_pkts),
	rte_trace_point_emit_u16(worker);
	rte_trace_point_emit_u16(nb_pkts);
)

RTE_TRACE_POINT(tpa_tp_tx_burst,
	RTE_TRACE_POINT_ARGS(uint16_t worker, uint16_t nb_pkts, uint16_t nb_sent),
	rte_trace_point_emit_u16(worker);
	rte_trace_point_emit_u16(nb_pkts);
	rte_trace_point_emit_u16(nb_sent);
)

RTE_TRACE_POINT(tpa_tp_tcp_in,
	RTE_TRACE_POINT_ARGS(int sid, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint32_t wnd),
	rte_trace_point_emit_int(sid);
	rte_trace_point_emit_u8(flags);
	rte_trace_point_emit_u32(seq);
	rte_trace_point_emit_u32(ack);
	rte_trace_point_emit_u32(len);
	rte_trace_point_emit_u32(wnd);
)

RTE_TRACE_POINT(tpa_tp_tcp_out,
	RTE_TRACE_POINT_ARGS(int sid, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint8_t retrans),
	rte_trace_point_emit_int(sid);
	rte_trace_point_emit_u8(flags);
	rte_trace_point_emit_u32(seq);
	rte_trace_point_emit_u32(ack);
	rte_trace_point_emit_u32(len);
	rte_trace_point_emit_u8(retrans);
)

RTE_TRACE_POINT(tpa_tp_tcp_timer,
	RTE_TRACE_POINT_ARGS(int sid, uint8_t kind, uint8_t backoff, uint32_t rto_us),
	rte_trace_point_emit_int(sid);
	rte_trace_point_emit_u8(kind);
	rte_trace_point_emit_u8(backoff);
	rte_trace_point_emit_u32(rto_us);
)

RTE_TRACE_POINT(tpa_tp_tcp_state,
	RTE_TRACE_POINT_ARGS(int sid, uint8_t old_state, uint8_t new_state),
	rte_trace_point_emit_int(sid);
	rte_trace_point_emit_u8(old_state);
	rte_trace_point_emit_u8(new_state);
)

#endif
