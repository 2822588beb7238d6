/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file Trace rings in memory-mapped files under obs.run_dir/<id>/, and the
 * bounded archive of rings of sockets that recovered from something
 * abnormal (RTO, fast retransmit, out-of-order, zero window, RST).
 */
#ifndef TPA_TRACEFILE_H
#define TPA_TRACEFILE_H

#include <stdint.h>

struct trace_ring;
struct tcp_sock;

/** A ring of @p nr_records for socket @p sid in the mapped trace file, or NULL to use plain memory. */
struct trace_ring *tracefile_ring_alloc(int sid, uint32_t nr_records);
/** Write @p sk's ring to the archive with the reasons and recovery time. */
void tracefile_archive(struct tcp_sock *sk, uint32_t reasons, uint64_t recovery_tsc);

#endif
