/* SPDX-License-Identifier: BSD-3-Clause */
/* Keepalive (RFC 9293 3.8.4, RFC 1122 4.2.3.6): probes after idle, reset after unanswered probes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static int setup(void **state)
{
	(void)state;
	th_reset();
	th_cfg("tcp.keepalive=1; tcp.keepalive_idle_s=1; tcp.keepalive_intvl_s=1; tcp.keepalive_probes=3");
	return 0;
}

static void assert_ms_near(double got, double want)
{
	if (got < want - 0.5 || got > want * 1.05 + 5.0)	/* the test clock also runs in real time */
		fail_msg("interval %.2f ms, expected %.0f ms", got, want);
}

static void test_probes_then_timeout(void **state)
{
	struct th_conn c;
	struct th_seg p[5], *s;
	int n = 0;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9500, 49000, NULL, 0), 0);
	th_advance_us(990 * 1000);
	assert_null(th_pop_tcp());
	th_advance_us(3100 * 1000);
	while ((s = th_pop_tcp()) && n < 5)
		p[n++] = *s;
	assert_int_equal(n, 4);	/* 3 probes and a RST */
	for (int i = 0; i < 3; i++) {
		/* seq = SND.NXT - 1 with no data: the peer must answer with an ACK */
		assert_int_equal(p[i].flags, TCP_ACK);
		assert_int_equal(p[i].seq, c.iss);
		assert_int_equal(p[i].ack, c.pseq);
		assert_int_equal(p[i].len, 0);
	}
	assert_ms_near(th_ms_between(&p[0], &p[1]), 1000);
	assert_ms_near(th_ms_between(&p[1], &p[2]), 1000);
	assert_ms_near(th_ms_between(&p[2], &p[3]), 1000);
	assert_true(p[3].flags & TCP_RST);
	assert_int_equal(th_state(c.sid), TPA_TCP_CLOSED);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ETIMEDOUT);
}

static void test_answered_probe_keeps_connection(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9501, 49001, NULL, 0), 0);
	th_advance_us(1005 * 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, c.iss);
	th_ack(&c, c.iss + 1);	/* the peer is alive */
	assert_int_equal(th_sock(c.sid)->ka_probes, 0);
	/* the next probe comes a full idle time after the answer, not an interval */
	th_advance_us(900 * 1000);
	assert_null(th_pop_tcp());
	th_advance_us(3500 * 1000);
	assert_int_equal(th_state(c.sid), TPA_TCP_CLOSED);	/* unanswered again: 3 probes, then reset */
}

/* Traffic from the peer pushes the first probe back. */
static void test_received_data_defers_keepalive(void **state)
{
	struct th_conn c;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9502, 49002, NULL, 0), 0);
	for (int i = 0; i < 5; i++) {
		th_advance_us(600 * 1000);
		th_send(&c, TCP_PSH, "x", 1);
		assert_non_null(th_pop_tcp());	/* our ACK */
		assert_null(th_pop_tcp());	/* no probe */
	}
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
}

static void test_keepalive_off(void **state)
{
	struct th_conn c;

	(void)state;
	th_cfg("tcp.keepalive=0");
	assert_int_equal(th_open_passive(&c, 9503, 49003, NULL, 0), 0);
	th_advance_us(5000 * 1000);
	assert_null(th_pop_tcp());
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
}

/* With unacknowledged data the retransmission timer watches the peer, not keepalive. */
static void test_no_probe_while_data_in_flight(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	th_cfg("tcp.rto_min_ms=3000; tcp.rto_max_ms=3000");
	assert_int_equal(th_open_passive(&c, 9504, 49004, NULL, 0), 0);
	assert_int_equal(tpa_write(c.sid, "data", 4), 4);
	assert_non_null(th_pop_tcp());
	th_advance_us(2500 * 1000);
	s = th_pop_tcp();
	assert_null(s);	/* no probe (and the RTO of 3 s has not run out) */
	assert_true(th_sock(c.sid)->keepalive_at > th_w->now);
}

/* The largest idle time (1 day) must still be 1 day of clock, not an overflowed value. */
static void test_long_idle_time(void **state)
{
	struct th_conn c;
	struct tcp_sock *sk;
	double s;

	(void)state;
	th_cfg("tcp.keepalive_idle_s=86400");
	assert_int_equal(th_open_passive(&c, 9505, 49005, NULL, 0), 0);
	sk = th_sock(c.sid);
	assert_true(sk->keepalive_at > th_w->now);
	s = (double)(sk->keepalive_at - th_w->now) / (double)tpa_tsc_hz;
	if (s < 86399.0 || s > 86401.0)
		fail_msg("keepalive armed %.1f s ahead, expected 86400", s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_probes_then_timeout, setup),
		cmocka_unit_test_setup(test_answered_probe_keeps_connection, setup),
		cmocka_unit_test_setup(test_received_data_defers_keepalive, setup),
		cmocka_unit_test_setup(test_keepalive_off, setup),
		cmocka_unit_test_setup(test_no_probe_while_data_in_flight, setup),
		cmocka_unit_test_setup(test_long_idle_time, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
