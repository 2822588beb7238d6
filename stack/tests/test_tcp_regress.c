/* SPDX-License-Identifier: BSD-3-Clause */
/* Regression tests for bugs found end to end; each names what it guards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "harness.h"

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

/* Feed a frame through the input path only: no output flush, as when
 * several frames arrive in one burst. */
static void input_only(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	static uint8_t buf[256];
	uint32_t n = th_build(buf, sport, dport, flags, seq, ack, 65535, NULL, 0, NULL, 0);
	struct rte_mbuf *m = rte_pktmbuf_alloc(th_w->pool);

	memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf, n);
	th_w->now = tpa_now();
	pkt_meta(m)->rx_tsc = th_w->now;
	tpa_worker_input(th_w, m);
}

static int out_list_len(int bound)
{
	int n = 0;

	for (struct tcp_sock *sk = th_w->out_head; sk && n <= bound; sk = sk->out_next)
		n++;
	return n;
}

/*
 * Found by `tpa` end-to-end tests (back-to-back short connections to techo):
 * a socket freed in LAST_ACK while still on the worker's output list, whose
 * id is reused by a SYN in the same burst, was linked to itself and
 * tcp_output_pending() spun forever.
 */
static void test_freed_socket_reused_in_same_burst(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	int sid;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7100, 41100, NULL, 0), 0);
	sid = c.sid;
	th_send(&c, TCP_FIN, NULL, 0);		/* peer closes: CLOSE_WAIT */
	assert_int_equal(tpa_close(sid), 0);	/* we close: LAST_ACK, FIN out */
	th_run();
	while ((s = th_pop_tcp()) && !(s->flags & TCP_FIN))
		;
	assert_non_null(s);
	/* one burst: a data-less ACK of our FIN that also schedules output, then a new SYN */
	input_only(41100, 7100, TCP_ACK, c.pseq, s->seq + 1);
	input_only(41101, 7100, TCP_SYN, 555, 0);
	assert_true(out_list_len(8) <= 2);	/* no cycle */
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, 556);
}

/*
 * Found by tperf crr (stack client, kernel server): the ephemeral port pick
 * came back to a port used a moment before, still in TIME_WAIT on the
 * server, so the SYN drew an ACK, we sent RST and waited a whole SYN RTO.
 * Consecutive connections to one destination must walk the port range
 * (RFC 6056 algorithm 3), not revisit recent ports.
 */
static void test_ephemeral_ports_do_not_repeat_soon(void **state)
{
	static uint8_t seen[65536];
	struct in_addr a;
	uint16_t prev = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	inet_pton(AF_INET, TH_PEER_IP, &a);
	for (int i = 0; i < 20000; i++) {
		uint16_t p = rte_be_to_cpu_16(tcp_port_alloc(tpa_netif.ip, a.s_addr, rte_cpu_to_be_16(5201)));
		assert_true(p >= 32768 && p < 61000);
		assert_int_equal(seen[p], 0);	/* no port twice within 20000 connections */
		seen[p] = 1;
		if (prev)
			assert_int_equal(p, prev + 1 == 61000 ? 32768 : prev + 1);
		prev = p;
	}
}

/* TCP header length of a captured frame (IPv4 without options). */
static uint32_t tcp_hdr_len(const struct th_seg *sg)
{
	return (uint32_t)(sg->raw[14 + 20 + 12] >> 4) * 4;
}

/*
 * Seen on the wire by the tpad tests: a SYN-ACK to a peer that offered no
 * SACK and no timestamps carried MSS followed by 12 NOPs. Options we do not
 * use must take no room.
 */
static void test_synack_options_carry_no_padding(void **state)
{
	static const uint8_t mss_only[] = { 2, 4, 0x05, 0xb4 };
	static const uint8_t mss_ws[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	struct th_seg *sg;

	(void)state;
	assert_true(tpa_listen_on(NULL, 7200, NULL) >= 0);
	th_inject(41200, 7200, TCP_SYN, 1, 0, 65535, NULL, 0, mss_only, sizeof(mss_only));
	sg = th_pop_tcp();
	assert_non_null(sg);
	assert_int_equal(tcp_hdr_len(sg), 20 + 4);	/* MSS alone */
	th_inject(41201, 7200, TCP_SYN, 1, 0, 65535, NULL, 0, mss_ws, sizeof(mss_ws));
	sg = th_pop_tcp();
	assert_non_null(sg);
	assert_int_equal(tcp_hdr_len(sg), 20 + 8);	/* MSS, NOP, WS */
	assert_true(sg->o.has_wscale);
}

static const uint8_t syn_sack_ts[] = {
	2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
};

/*
 * Found by the stack e2e fault tests: SACK blocks were added on top of a
 * full-size data segment, making frames longer than the MTU; the TAP refused
 * them and a connection with reordering on its way in stalled. The payload
 * must shrink so that options + payload fit the MSS we negotiated.
 */
static void test_sack_blocks_never_push_frames_past_mtu(void **state)
{
	static uint8_t data[8000];
	struct th_conn c;
	struct th_seg *sg;
	uint32_t ooo = 0;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7300, 41300, syn_sack_ts, sizeof(syn_sack_ts)), 0);
	/* a hole: the peer's data arrives beyond rcv_nxt, so we hold SACK blocks */
	c.pseq += 1000;
	th_send(&c, TCP_PSH, data, 100);
	while ((sg = th_pop_tcp()))
		if (sg->o.nr_sack)
			ooo = 1;
	assert_true(ooo);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), sizeof(data));
	th_run();
	while ((sg = th_pop_tcp())) {
		assert_true(sg->frame_len <= 14 + 1500);
		assert_true(sg->len + (sg->o.nr_sack ? 4 + 8 * sg->o.nr_sack : 0) <= 1460 - 12 + 12);
	}
}

/*
 * Found by the stack e2e fault tests: when the peer sends data, its SACKs
 * ride on data segments, which are not duplicate ACKs; losses then waited for
 * the RTO. With more than 2 SMSS SACKed above SND.UNA, recovery must start
 * at once (RFC 6675 IsLost).
 */
static void test_sack_on_data_segments_starts_recovery(void **state)
{
	static uint8_t data[6000], opts[40];
	uint32_t blocks[2];
	struct th_conn c;
	struct th_seg *sg, *first = NULL;
	uint8_t n;

	(void)state;
	assert_int_equal(th_open_passive(&c, 7301, 41301, syn_sack_ts, sizeof(syn_sack_ts)), 0);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), sizeof(data));
	th_run();
	first = th_pop_tcp();
	assert_non_null(first);
	while (th_pop_tcp())
		;
	/* the first segment was lost: the peer SACKs everything after it, on a data segment */
	blocks[0] = first->seq + first->len;
	blocks[1] = c.iss + 1 + sizeof(data);
	n = th_opt_sack(opts, 1, blocks);
	c.pack = first->seq;
	th_send_opts(&c, TCP_PSH, "x", 1, opts, n);
	th_run();
	while ((sg = th_pop_tcp()) && !(sg->len && sg->seq == first->seq))
		;
	assert_non_null(sg);	/* retransmitted without waiting for the RTO */
	assert_int_equal(sg->len, first->len);
}

/*
 * Found by tperf crr over memif: connections stopped after exactly 40,768
 * with "Address already in use". The flow table is a lock-free rte_hash,
 * which does not free a deleted key's slot by itself; every connection
 * leaked one. Far more connections than slots must come and go.
 */
static void test_flow_table_slots_are_reclaimed(void **state)
{
	const int total = 3 * (int)tcp_max_socks;	/* the table has 2 x max_socks slots */
	int ls = tpa_listen_on(NULL, 7400, NULL);

	(void)state;
	assert_true(ls >= 0);
	for (int i = 0; i < total; i++) {
		uint16_t pport = (uint16_t)(10000 + i % 50000);
		struct th_seg *sg;

		th_clear_out();
		th_inject(pport, 7400, TCP_SYN, 1000, 0, 65535, NULL, 0, NULL, 0);
		sg = th_pop_tcp();
		if (!sg || sg->flags != (TCP_SYN | TCP_ACK))
			fail_msg("connection %d of %d got no SYN-ACK", i, total);
		/* the peer gives up: RST at the exact sequence frees the child */
		th_inject(pport, 7400, TCP_RST, 1001, 0, 0, NULL, 0, NULL, 0);
	}
}

/* Inject a frame carrying RX offload flags, as a driver would deliver it. */
static void input_with_flags(const uint8_t *frame, uint32_t len, uint64_t ol_flags)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(th_w->pool);

	memcpy(rte_pktmbuf_append(m, (uint16_t)len), frame, len);
	m->ol_flags = ol_flags;
	th_w->now = tpa_now();
	pkt_meta(m)->rx_tsc = th_w->now;
	tpa_worker_input(th_w, m);
	th_run();
}

/*
 * Found on the vhost-user fabric: virtio-user delivers segments whose
 * checksum field is only partial, flagged RX_L4_CKSUM_NONE ("not correct in
 * the packet, data integrity verified"); the stack accepted only _GOOD and
 * dropped every segment. NONE must pass; UNKNOWN still gets verified.
 */
static void test_partial_checksum_flagged_none_is_accepted(void **state)
{
	static uint8_t f[256];
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + 34);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
	uint32_t n;
	struct th_seg *sg;

	(void)state;
	assert_true(tpa_listen_on(NULL, 7500, NULL) >= 0);
	n = th_build(f, 41500, 7500, TCP_SYN, 77, 0, 65535, NULL, 0, NULL, 0);
	th->cksum = rte_ipv4_phdr_cksum(ip, 0);	/* what a virtio peer leaves in the field */
	input_with_flags(f, n, RTE_MBUF_F_RX_L4_CKSUM_NONE | RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	sg = th_pop_tcp();
	assert_non_null(sg);
	assert_int_equal(sg->flags, TCP_SYN | TCP_ACK);
	/* the same frame with no offload information is checked, and refused */
	input_with_flags(f, n, 0);
	assert_null(th_pop_tcp());
	assert_int_equal(th_drops(DROP_TCP_CSUM), 1);
}

/*
 * Found with the CTF trace of tperf crr over memif: 16,382 connections in
 * the first second, then none for a second. Every socket id was held by a
 * TIME_WAIT socket (we close first, 2 s each), new SYNs were dropped and the
 * client waited a whole SYN RTO: crr was capped at max_socks / time_wait.
 * Under socket pressure the oldest TIME_WAIT socket must make room.
 */
static void test_time_wait_sockets_yield_under_pressure(void **state)
{
	const int total = (int)tcp_max_socks + 100;
	int ls = tpa_listen_on(NULL, 7600, NULL);

	(void)state;
	assert_true(ls >= 0);
	for (int i = 0; i < total; i++) {
		uint16_t pport = (uint16_t)(10000 + i % 50000);
		struct th_seg *sg;
		uint32_t iss;
		int sid;

		th_clear_out();
		th_inject(pport, 7600, TCP_SYN, 1000, 0, 65535, NULL, 0, NULL, 0);
		sg = th_pop_tcp();
		if (!sg || sg->flags != (TCP_SYN | TCP_ACK)) {
			for (int d = 0; d < DROP_NR; d++)
				if (th_w->stats.drop[d])
					print_message("drop %s=%lu\n", tpa_drop_reason_name(d), (unsigned long)th_w->stats.drop[d]);
			fail_msg("connection %d of %d got no SYN-ACK (%s)", i, total,
				 sg ? "other segment" : "nothing");
		}
		iss = sg->seq;
		th_inject(pport, 7600, TCP_ACK, 1001, iss + 1, 65535, NULL, 0, NULL, 0);
		if (tpa_accept_burst(th_w, &sid, 1) != 1)
			fail_msg("connection %d not accepted", i);
		tpa_close(sid);				/* we close first: FIN */
		th_run();
		th_inject(pport, 7600, TCP_ACK | TCP_FIN, 1001, iss + 2, 65535, NULL, 0, NULL, 0);
		if (th_state(sid) != TPA_TCP_TIME_WAIT)
			fail_msg("connection %d: state %d, not TIME_WAIT", i, th_state(sid));
	}
	assert_true(th_w->stats.tw_recycled >= 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_time_wait_sockets_yield_under_pressure, setup),
		cmocka_unit_test_setup(test_freed_socket_reused_in_same_burst, setup),
		cmocka_unit_test_setup(test_ephemeral_ports_do_not_repeat_soon, setup),
		cmocka_unit_test_setup(test_synack_options_carry_no_padding, setup),
		cmocka_unit_test_setup(test_sack_blocks_never_push_frames_past_mtu, setup),
		cmocka_unit_test_setup(test_sack_on_data_segments_starts_recovery, setup),
		cmocka_unit_test_setup(test_flow_table_slots_are_reclaimed, setup),
		cmocka_unit_test_setup(test_partial_checksum_flagged_none_is_accepted, setup),
	};

	if (th_global_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
