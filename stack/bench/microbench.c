/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tpa-microbench: the stack's per-segment costs, for callgrind.
 *
 *   tpa-microbench CASE [N] [--no-latency] [--no-trace]
 *
 * CASE: rx_data (in-order 1000-byte data segment received, then read),
 *       tx_data (1000-byte write sent), rx_ack (pure ACK received),
 *       conn_setup (passive open + close, per connection).
 * The measured work runs inside mb_batch(), so
 *   valgrind --tool=callgrind --toggle-collect=mb_batch tpa-microbench rx_data 10000
 * counts only it; divide by N for instructions per segment. Frames are
 * prebuilt outside mb_batch and transmitted frames are freed by a trivial
 * hook, so neither the harness nor a driver is counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define PPORT 40000
#define LPORT 5001
#define PAYLOAD 1000

static struct rte_mbuf **frames;
static uint32_t peer_seq, our_seq;
static int sid;
static char rbuf[65536];

static uint16_t free_hook(struct tpa_worker *w, struct rte_mbuf **m, uint16_t n)
{
	(void)w;
	rte_pktmbuf_free_bulk(m, n);
	return n;
}

static struct rte_mbuf *frame(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint16_t sport)
{
	static uint8_t buf[2048], data[PAYLOAD];
	uint32_t n = th_build(buf, sport, LPORT, flags, seq, ack, 65535, data, len, NULL, 0);
	struct rte_mbuf *m = rte_pktmbuf_alloc(th_w->pool);

	memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf, n);
	return m;
}

/* The measured region: everything the stack does for each prepared input. */
__attribute__((noinline)) void mb_batch(const char *c, uint32_t n)
{
	if (!strcmp(c, "rx_data") || !strcmp(c, "rx_ack") || !strcmp(c, "conn_setup")) {
		for (uint32_t i = 0; i < n; i++) {
			th_w->now = tpa_now();
			pkt_meta(frames[i])->rx_tsc = th_w->now;
			tpa_worker_input(th_w, frames[i]);
			tcp_output_pending(th_w);
			tpa_worker_flush(th_w);
			if (!strcmp(c, "rx_data"))
				tpa_read(sid, rbuf, sizeof(rbuf));
		}
	} else {	/* tx_data: every write must be taken and sent */
		for (uint32_t i = 0; i < n; i++)
			if (tpa_write(sid, rbuf, PAYLOAD) != PAYLOAD)
				abort();
	}
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	uint32_t n = argc > 2 ? (uint32_t)atoi(argv[2]) : 10000;
	int latency = 1, trace = 1;

	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--no-latency"))
			latency = 0;
		else if (!strcmp(argv[i], "--no-trace"))
			trace = 0;
		else
			c = "";	/* unknown flag: usage */
	}

	if (strcmp(c, "rx_data") && strcmp(c, "tx_data") && strcmp(c, "rx_ack") && strcmp(c, "conn_setup")) {
		fprintf(stderr, "usage: tpa-microbench rx_data|tx_data|rx_ack|conn_setup [N] [--no-latency] [--no-trace]\n");
		return 2;
	}
	if (th_global_init())
		return 1;
	if (!strcmp(c, "conn_setup")) {
		/* steady state: socket slots are reused, not allocated for the first time */
		th_cfg("tcp.listen_backlog=65535");
		if (tpa_listen_on(NULL, LPORT, NULL) < 0)
			return 1;
		tpa_xmit_fn capture = th_w->xmit;
		th_w->xmit = free_hook;
		for (uint32_t i = 0; i < n + 16; i++) {
			struct rte_mbuf *m = frame(TCP_SYN, 7000, 0, 0, (uint16_t)(30000 + i));
			tpa_worker_input(th_w, m);
			tcp_output_pending(th_w);
			tpa_worker_flush(th_w);
		}
		th_reset();
		th_w->xmit = capture;
	}
	th_cfg(latency ? "obs.latency=1" : "obs.latency=0");
	th_cfg(trace ? "obs.trace=1" : "obs.trace=0");
	th_cfg("tcp.snd_buf=1g; tcp.rcv_buf=1m; tcp.listen_backlog=65535");
	sid = th_establish_passive(LPORT, PPORT, 1000, &our_seq, NULL, 0);
	if (sid < 0)
		return 1;
	peer_seq = 1001;
	our_seq += 1;
	th_w->xmit = free_hook;
	frames = calloc(n * 3, sizeof(*frames));

	if (!strcmp(c, "rx_data")) {
		for (uint32_t i = 0; i < n; i++)
			frames[i] = frame(TCP_ACK | TCP_PSH, peer_seq + i * PAYLOAD, our_seq, PAYLOAD, PPORT);
	} else if (!strcmp(c, "rx_ack")) {
		/* n segments in flight, acked one by one */
		for (uint32_t i = 0; i < n; i++)
			tpa_write(sid, rbuf, PAYLOAD);
		for (uint32_t i = 0; i < n; i++)
			frames[i] = frame(TCP_ACK, peer_seq, our_seq + (i + 1) * PAYLOAD, 0, PPORT);
	} else if (!strcmp(c, "tx_data")) {
		/* an open window: every write goes out as one segment at once */
		struct tcp_sock *sk = tcp_sock_get(sid);
		sk->snd_wnd = sk->cwnd = 1u << 30;
	} else {
		/* SYN, ACK of the SYN-ACK is not predictable (ISN), so count the SYN path + RST close */
		for (uint32_t i = 0; i < n; i++)
			frames[i] = frame(TCP_SYN, 7000, 0, 0, (uint16_t)(20000 + i));
	}
	if (!strcmp(c, "tx_data")) {
		/* the send ring holds 512 descs: measure 256 writes at a time and
		 * let an ACK (outside the measured function) drain the queue */
		for (uint32_t done = 0; done < n; done += 256) {
			uint32_t k = n - done < 256 ? n - done : 256;
			struct tcp_sock *sk;
			struct rte_mbuf *ack;

			mb_batch(c, k);
			sk = tcp_sock_get(sid);
			if (sk->snd_nxt != sk->snd_una + sk->snd_queued)
				fprintf(stderr, "tx_data: not every write went out at once\n"), abort();
			ack = frame(TCP_ACK, peer_seq, sk->snd_nxt, 0, PPORT);
			th_w->now = tpa_now();
			tpa_worker_input(th_w, ack);
			tcp_output_pending(th_w);
			tpa_worker_flush(th_w);
			sk->snd_wnd = sk->cwnd = 1u << 30;	/* the ACK's 64 KiB window: open it again */
		}
		if (tcp_sock_get(sid)->snd_queued)
			fprintf(stderr, "tx_data: %u bytes were never sent\n", tcp_sock_get(sid)->snd_queued);
	} else {
		mb_batch(c, n);
	}
	printf("%s: %u iterations done (latency %s, trace %s)\n", c, n, latency ? "on" : "off", trace ? "on" : "off");
	return 0;
}
