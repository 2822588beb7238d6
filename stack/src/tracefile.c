/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until the mapped trace files land: rings live in plain memory
 * and archiving is a no-op. */
#include <stddef.h>
#include "tracefile.h"

struct trace_ring *tracefile_ring_alloc(int sid, uint32_t nr_records)
{
	(void)sid;
	(void)nr_records;
	return NULL;
}

void tracefile_archive(struct tcp_sock *sk, uint32_t reasons, uint64_t recovery_tsc)
{
	(void)sk;
	(void)reasons;
	(void)recovery_tsc;
}
