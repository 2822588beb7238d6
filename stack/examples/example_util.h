/* SPDX-License-Identifier: BSD-3-Clause */
/* Small helpers shared by the example programs: stop flag and counters dump. */
#ifndef TPA_EXAMPLE_UTIL_H
#define TPA_EXAMPLE_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "tpa.h"

static volatile sig_atomic_t ex_stop;

static void ex_on_signal(int sig)
{
	(void)sig;
	ex_stop = 1;
}

static inline void ex_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ex_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Print each worker's counters and non-zero drop reasons (one line per item). */
static inline void ex_print_stats(FILE *f)
{
	for (int w = 0; w < tpa_nr_worker(); w++) {
		struct tpa_worker_stats s;

		if (tpa_worker_stats_get(w, &s))
			continue;
		fprintf(f, "worker %d: rx_pkts=%llu rx_bytes=%llu tx_pkts=%llu tx_bytes=%llu polls_busy=%llu polls_empty=%llu"
			" tx_ring_full=%llu mbuf_alloc_fail=%llu\n",
			w, (unsigned long long)s.rx_pkts, (unsigned long long)s.rx_bytes,
			(unsigned long long)s.tx_pkts, (unsigned long long)s.tx_bytes,
			(unsigned long long)s.polls_busy, (unsigned long long)s.polls_empty,
			(unsigned long long)s.tx_ring_full, (unsigned long long)s.mbuf_alloc_fail);
		for (int i = 0; tpa_drop_reason_name(i); i++)
			if (s.drop[i])
				fprintf(f, "worker %d: drop %s=%llu\n", w, tpa_drop_reason_name(i),
					(unsigned long long)s.drop[i]);
	}
}

#endif
