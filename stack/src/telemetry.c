/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands, so dpdk-telemetry.py (and anything speaking the
 * telemetry v2 socket) can read the stack: /tpa/workers, /tpa/socks,
 * /tpa/drops. The handlers run on DPDK's telemetry thread and only read.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "obs.h"
#include "tcp.h"
#include "worker.h"

static int tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	if (!tpa_obs_dir[0] || !tpa_workers)
		return 0;
	for (int i = 0; i < tpa_nr_workers; i++) {
		const struct tpa_worker_stats *st = &tpa_workers[i].stats;
		struct rte_tel_data *w = rte_tel_data_alloc();
		char name[16];

		if (!w)
			return -1;
		rte_tel_data_start_dict(w);
		rte_tel_data_add_dict_u64(w, "rx_pkts", st->rx_pkts);
		rte_tel_data_add_dict_u64(w, "rx_bytes", st->rx_bytes);
		rte_tel_data_add_dict_u64(w, "tx_pkts", st->tx_pkts);
		rte_tel_data_add_dict_u64(w, "tx_bytes", st->tx_bytes);
		rte_tel_data_add_dict_u64(w, "polls_empty", st->polls_empty);
		rte_tel_data_add_dict_u64(w, "polls_busy", st->polls_busy);
		rte_tel_data_add_dict_u64(w, "cycles_busy", st->cycles_busy);
		rte_tel_data_add_dict_u64(w, "cycles_total", st->cycles_total);
		rte_tel_data_add_dict_u64(w, "max_gap_us", tpa_tsc_to_ns(tpa_workers[i].max_gap_tsc) / 1000);
		rte_tel_data_add_dict_u64(w, "socks", tpa_workers[i].nr_socks);
		snprintf(name, sizeof(name), "w%d", i);
		rte_tel_data_add_dict_container(d, name, w, 0);
	}
	return 0;
}

static int tel_socks(const char *cmd, const char *params, struct rte_tel_data *d)
{
	int n = 0;

	rte_tel_data_start_dict(d);
	if (!tpa_obs_dir[0] || !tcp_socks)
		return 0;
	/* a dict nests at most RTE_TEL_MAX_DICT_ENTRIES sockets: the first ones */
	for (uint32_t i = 0; i < tcp_max_socks && n < 64; i++) {
		const struct tcp_sock *sk = tcp_socks[i];
		struct rte_tel_data *s;
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], tuple[96], name[16];

		if (!sk || !sk->in_use)
			continue;
		s = rte_tel_data_alloc();
		if (!s)
			return -1;
		inet_ntop(AF_INET, &sk->lip, a, sizeof(a));
		inet_ntop(AF_INET, &sk->rip, b, sizeof(b));
		snprintf(tuple, sizeof(tuple), "%s:%u-%s:%u", a, rte_be_to_cpu_16(sk->lport), b,
			 rte_be_to_cpu_16(sk->rport));
		rte_tel_data_start_dict(s);
		rte_tel_data_add_dict_string(s, "state", tcp_state_name(sk->state));
		rte_tel_data_add_dict_string(s, "tuple", tuple);
		rte_tel_data_add_dict_u64(s, "worker", (uint64_t)sk->w->id);
		rte_tel_data_add_dict_u64(s, "bytes_in", sk->bytes_in);
		rte_tel_data_add_dict_u64(s, "bytes_out", sk->bytes_out);
		rte_tel_data_add_dict_u64(s, "retrans_pkts", sk->retrans_pkts);
		rte_tel_data_add_dict_u64(s, "srtt_us", sk->srtt_us);
		snprintf(name, sizeof(name), "%d", sk->sid);
		rte_tel_data_add_dict_container(d, name, s, 0);
		n++;
	}
	return 0;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	if (!tpa_obs_dir[0] || !tpa_workers)
		return 0;
	for (int r = 0; tpa_drop_reason_name(r); r++) {
		uint64_t sum = 0;
		for (int i = 0; i < tpa_nr_workers; i++)
			sum += tpa_workers[i].stats.drop[r];
		rte_tel_data_add_dict_u64(d, tpa_drop_reason_name(r), sum);
	}
	return 0;
}

void obs_telemetry_register(void)
{
	static int done;

	/* commands stay registered for the life of the process */
	if (done)
		return;
	done = 1;
	rte_telemetry_register_cmd("/tpa/workers", tel_workers, "Per-worker counters of the tpa stack");
	rte_telemetry_register_cmd("/tpa/socks", tel_socks, "tpa sockets (first 64): state, tuple, bytes");
	rte_telemetry_register_cmd("/tpa/drops", tel_drops, "tpa receive drops by reason, summed over workers");
}
