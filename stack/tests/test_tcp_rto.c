/* SPDX-License-Identifier: BSD-3-Clause */
/* Retransmission timeout (RFC 6298): backoff, retry limit, SYN retries, go-back-N, FIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static const uint8_t mss1000[] = { 2, 4, 0x03, 0xe8 };

static int setup(void **state)
{
	(void)state;
	th_reset();
	th_cfg("tcp.rto_min_ms=50; tcp.retries=3; tcp.syn_retries=2; tcp.rto_init_ms=20");
	return 0;
}

static void assert_ms_near(double got, double want)
{
	if (got < want - 0.5 || got > want * 1.05 + 4.0)	/* the test clock also runs in real time */
		fail_msg("interval %.2f ms, expected %.0f ms", got, want);
}

/* No ACK ever: retransmit after RTO, 2x, 4x, then RST and ETIMEDOUT after tcp.retries. */
static void test_rto_backoff_and_retry_limit(void **state)
{
	struct th_conn c;
	struct th_seg segs[8], *s;
	struct tpa_sock_info info;
	int n = 0;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9000, 44000, NULL, 0), 0);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.rto_us, 50000);	/* tiny RTT sample: clamped to rto_min */
	assert_int_equal(tpa_write(c.sid, "payload", 7), 7);
	th_advance_us(1000 * 1000);
	while ((s = th_pop_tcp()) && n < 8)
		segs[n++] = *s;
	assert_int_equal(n, 5);	/* original, 3 retransmissions, RST */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(segs[i].seq, c.iss + 1);
		assert_int_equal(segs[i].len, 7);
		assert_memory_equal(segs[i].payload, "payload", 7);
		assert_true(segs[i].csum_ok);
	}
	assert_ms_near(th_ms_between(&segs[0], &segs[1]), 50);
	assert_ms_near(th_ms_between(&segs[1], &segs[2]), 100);
	assert_ms_near(th_ms_between(&segs[2], &segs[3]), 200);
	assert_ms_near(th_ms_between(&segs[3], &segs[4]), 400);
	assert_true(segs[4].flags & TCP_RST);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.state, TPA_TCP_CLOSED);
	assert_int_equal(info.rto_count, 3);
	assert_int_equal(info.retrans_pkts, 3);
	assert_int_equal(info.retrans_bytes, 21);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(tpa_write(c.sid, "x", 1), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(tpa_close(c.sid), 0);
	assert_null(th_sock(c.sid));
}

/* The RTO is capped by tcp.rto_max_ms however far it backs off. */
static void test_rto_capped_by_rto_max(void **state)
{
	struct th_conn c;
	struct th_seg segs[8], *s;
	int n = 0;

	(void)state;
	th_cfg("tcp.rto_max_ms=100; tcp.retries=4");
	assert_int_equal(th_open_passive(&c, 9001, 44001, NULL, 0), 0);
	assert_int_equal(tpa_write(c.sid, "x", 1), 1);
	th_advance_us(420 * 1000);
	while ((s = th_pop_tcp()) && n < 8)
		segs[n++] = *s;
	assert_int_equal(n, 5);	/* 50, +100, +100, +100 */
	assert_ms_near(th_ms_between(&segs[0], &segs[1]), 50);
	assert_ms_near(th_ms_between(&segs[1], &segs[2]), 100);
	assert_ms_near(th_ms_between(&segs[2], &segs[3]), 100);
	assert_ms_near(th_ms_between(&segs[3], &segs[4]), 100);
}

/* A new ACK resets the backoff: the next loss waits one RTO, not the backed-off one. */
static void test_ack_resets_backoff(void **state)
{
	struct th_conn c;
	struct th_seg a, *s;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9002, 44002, NULL, 0), 0);
	assert_int_equal(tpa_write(c.sid, "one", 3), 3);
	th_advance_us(55 * 1000);
	assert_non_null(th_pop_tcp());
	s = th_pop_tcp();
	assert_non_null(s);	/* the retransmission */
	assert_int_equal(th_sock(c.sid)->backoff, 1);
	th_ack(&c, c.iss + 4);
	assert_int_equal(th_sock(c.sid)->backoff, 0);
	assert_int_equal(tpa_write(c.sid, "two", 3), 3);
	s = th_pop_tcp();
	assert_non_null(s);
	a = *s;
	th_advance_us(60 * 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, c.iss + 4);
	/* Karn: the retransmitted segment gave no sample, so rto_us is still
	 * 50 ms, and the backoff is gone: the wait is one RTO, not two */
	assert_ms_near(th_ms_between(&a, s), 50);
}

/* RFC 6298 5.4-5.5 and RFC 5681 3.1: after an RTO cwnd = 1 MSS, go back to snd_una. */
static void test_rto_go_back_n_with_one_segment_window(void **state)
{
	static uint8_t data[5000];
	struct th_conn c;
	struct th_seg *s;
	struct tpa_sock_info info;

	(void)state;
	th_pattern(data, 0, sizeof(data));
	assert_int_equal(th_open_passive(&c, 9003, 44003, mss1000, sizeof(mss1000)), 0);
	assert_int_equal(tpa_write(c.sid, data, sizeof(data)), 5000);
	for (int i = 0; i < 5; i++)
		assert_non_null(th_pop_tcp());
	assert_null(th_pop_tcp());
	th_advance_us(52 * 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, c.iss + 1);
	assert_int_equal(s->len, 1000);
	assert_memory_equal(s->payload, data, 1000);
	assert_null(th_pop_tcp());	/* one segment only */
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.cwnd, 1000);
	assert_int_equal(info.ssthresh, 2500);	/* FlightSize / 2 */
	/* the ACK opens cwnd by slow start: two more segments go */
	th_ack(&c, c.iss + 1 + 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, c.iss + 1 + 1000);
	assert_memory_equal(s->payload, data + 1000, 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, c.iss + 1 + 2000);
	assert_null(th_pop_tcp());
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.retrans_pkts, 3);
	assert_int_equal(info.bytes_out, 1000);
}

/* An unacknowledged FIN is retransmitted by the RTO as well. */
static void test_fin_retransmitted(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t fin_seq;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9004, 44004, NULL, 0), 0);
	assert_int_equal(tpa_close(c.sid), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_FIN);
	fin_seq = s->seq;
	th_advance_us(55 * 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_FIN);
	assert_int_equal(s->seq, fin_seq);
	assert_int_equal(s->len, 0);
	th_ack(&c, fin_seq + 1);
	assert_int_equal(th_find(9004, 44004)->state, TPA_TCP_FIN_WAIT_2);
	th_advance_us(200 * 1000);
	assert_null(th_pop_tcp());	/* nothing left to resend */
}

/* SYN retransmitted tcp.syn_retries times with backoff, then ETIMEDOUT and no RST. */
static void test_syn_retries_then_etimedout(void **state)
{
	struct th_seg segs[8], *s;
	int sid, n = 0;
	char b[4];

	(void)state;
	sid = tpa_connect_to(TH_PEER_IP, 9005, NULL);
	assert_true(sid >= 0);
	th_run();
	th_advance_us(200 * 1000);
	while ((s = th_pop_tcp()) && n < 8)
		segs[n++] = *s;
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(segs[i].flags, TCP_SYN);
		assert_int_equal(segs[i].seq, segs[0].seq);
		assert_int_equal(segs[i].sport, segs[0].sport);
	}
	assert_ms_near(th_ms_between(&segs[0], &segs[1]), 20);
	assert_ms_near(th_ms_between(&segs[1], &segs[2]), 40);
	assert_int_equal(th_state(sid), TPA_TCP_CLOSED);
	assert_int_equal(tpa_read(sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* a late SYN-ACK finds no connection */
	th_inject(9005, segs[0].sport, TCP_SYN | TCP_ACK, 77, segs[0].seq + 1, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_RST);
	assert_int_equal(s->seq, segs[0].seq + 1);
	assert_int_equal(tpa_close(sid), 0);
}

/* The SYN-ACK of a half-open child is retried, then the child is dropped. */
static void test_synack_retries_then_child_dropped(void **state)
{
	struct tpa_sock_opts o = { .listen_backlog = 1 };
	struct th_seg *s;
	int n = 0;

	(void)state;
	assert_true(tpa_listen_on(NULL, 9006, &o) >= 0);
	th_inject(44006, 9006, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	th_advance_us(200 * 1000);
	while ((s = th_pop_tcp())) {
		assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
		assert_int_equal(s->ack, 11);
		n++;
	}
	assert_int_equal(n, 3);
	assert_null(th_find(9006, 44006));
	/* its backlog slot is free again */
	th_inject(44007, 9006, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
}

/* A lost SYN-ACK: the client's retransmitted SYN makes us resend it at once. */
static void test_duplicate_syn_resends_synack(void **state)
{
	struct th_seg *s;
	uint32_t iss;

	(void)state;
	assert_true(tpa_listen_on(NULL, 9007, NULL) >= 0);
	th_inject(44008, 9007, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	iss = s->seq;
	th_inject(44008, 9007, TCP_SYN, 10, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->seq, iss);
	assert_int_equal(s->ack, 11);
	assert_null(th_pop_tcp());
}

/* RFC 6298 2: SRTT/RTTVAR from samples; RTO = max(SRTT + max(G, 4 RTTVAR), rto_min). */
static void test_rtt_estimator(void **state)
{
	struct th_conn c;
	struct tpa_sock_info info;
	uint32_t s1;

	(void)state;
	th_cfg("tcp.rto_min_ms=100");
	assert_int_equal(th_open_passive(&c, 9008, 44008, NULL, 0), 0);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	s1 = info.rtt_us;	/* the handshake's sample: microseconds here */
	assert_true(s1 < 2000);
	assert_int_equal(info.rttvar_us, s1 / 2);
	assert_int_equal(info.rto_us, 100000);
	assert_int_equal(tpa_write(c.sid, "abc", 3), 3);
	assert_non_null(th_pop_tcp());
	th_advance_us(40 * 1000);
	th_ack(&c, c.iss + 4);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	/* second sample R2 ~40 ms: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R2|, SRTT = 7/8 SRTT + 1/8 R2 */
	if (info.rtt_us < (7 * s1 + 40000) / 8 || info.rtt_us > (7 * s1 + 42000) / 8)
		fail_msg("srtt %u (first sample %u)", info.rtt_us, s1);
	if (info.rttvar_us < (3 * (s1 / 2) + 40000 - s1) / 4 - 1 || info.rttvar_us > (3 * (s1 / 2) + 42000) / 4)
		fail_msg("rttvar %u (first sample %u)", info.rttvar_us, s1);
	assert_int_equal(info.rto_us, RTE_MAX(info.rtt_us + 4 * info.rttvar_us, 100000u));
	/* a larger sample lifts the RTO above rto_min */
	assert_int_equal(tpa_write(c.sid, "def", 3), 3);
	th_advance_us(90 * 1000);
	th_ack(&c, c.iss + 7);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_true(info.rto_us > 100000);
	assert_int_equal(info.rto_us, info.rtt_us + 4 * info.rttvar_us);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rto_backoff_and_retry_limit, setup),
		cmocka_unit_test_setup(test_rto_capped_by_rto_max, setup),
		cmocka_unit_test_setup(test_ack_resets_backoff, setup),
		cmocka_unit_test_setup(test_rto_go_back_n_with_one_segment_window, setup),
		cmocka_unit_test_setup(test_fin_retransmitted, setup),
		cmocka_unit_test_setup(test_syn_retries_then_etimedout, setup),
		cmocka_unit_test_setup(test_synack_retries_then_child_dropped, setup),
		cmocka_unit_test_setup(test_duplicate_syn_resends_synack, setup),
		cmocka_unit_test_setup(test_rtt_estimator, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
