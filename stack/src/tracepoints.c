/* SPDX-License-Identifier: BSD-3-Clause */
/* Registration of the trace points declared in tracepoints.h (names tpa.*). */
#include <rte_trace_point_register.h>

#include "tracepoints.h"

RTE_TRACE_POINT_REGISTER(tpa_tp_rx_burst, tpa.rx_burst)
RTE_TRACE_POINT_REGISTER(tpa_tp_tx_burst, tpa.tx_burst)
RTE_TRACE_POINT_REGISTER(tpa_tp_tcp_in, tpa.tcp.in)
RTE_TRACE_POINT_REGISTER(tpa_tp_tcp_out, tpa.tcp.out)
RTE_TRACE_POINT_REGISTER(tpa_tp_tcp_timer, tpa.tcp.timer)
RTE_TRACE_POINT_REGISTER(tpa_tp_tcp_state, tpa.tcp.state)
