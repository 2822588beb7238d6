/* SPDX-License-Identifier: BSD-3-Clause */
/* Flow control: peer's zero window and persist probes, our receive window, delayed ACKs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static const uint8_t mss1000[] = { 2, 4, 0x03, 0xe8 };
static uint8_t data[20000];

static int setup(void **state)
{
	(void)state;
	th_reset();
	th_pattern(data, 0, sizeof(data));
	return 0;
}

static void assert_ms_near(double got, double want)
{
	if (got < want - 0.5 || got > want * 1.05 + 4.0)	/* the test clock also runs in real time */
		fail_msg("interval %.2f ms, expected %.0f ms", got, want);
}

/* RFC 9293 3.8.6.1: with a zero window the sender probes, backing off, until the window opens. */
static void test_zero_window_persist_probes(void **state)
{
	struct th_conn c;
	struct th_seg p[4], *s;
	struct tpa_sock_info info;
	uint32_t una;
	int n = 0;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9400, 48000, mss1000, sizeof(mss1000)), 0);
	una = c.iss + 1;
	c.win = 0;
	th_ack(&c, una);
	assert_int_equal(th_sock(c.sid)->snd_wnd, 0);
	assert_int_equal(tpa_write(c.sid, data, 3000), 3000);
	assert_null(th_pop_tcp());	/* nothing may go into a zero window */
	assert_true(th_sock(c.sid)->flags & SK_PERSIST);
	/* probes after max(RTO, 200 ms), then doubling: 200, 400, 800 */
	th_advance_us(1450 * 1000);
	while ((s = th_pop_tcp()) && n < 4)
		p[n++] = *s;
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++) {
		/* a probe the peer must answer with its window: an old sequence number */
		assert_int_equal(p[i].seq, una - 1);
		assert_int_equal(p[i].len, 0);
		assert_int_equal(p[i].flags, TCP_ACK);
	}
	assert_ms_near(th_ms_between(&p[0], &p[1]), 400);
	assert_ms_near(th_ms_between(&p[1], &p[2]), 800);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.zero_wnd_probes, 3);
	/* persisting is not a retransmission timeout: no RST however long */
	assert_int_equal(info.rto_count, 0);
	/* the window opens: data flows, probing stops */
	c.win = 65535;
	th_ack(&c, una);
	assert_false(th_sock(c.sid)->flags & SK_PERSIST);
	for (int i = 0; i < 3; i++) {
		s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->seq, una + 1000 * i);
		assert_int_equal(s->len, 1000);
	}
	th_ack(&c, una + 3000);
	th_advance_us(3000 * 1000);
	assert_null(th_pop_tcp());
}

/* The window closes while data is in flight: the ACK of that data with window 0 starts persisting. */
static void test_window_closes_with_ack(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t una;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9401, 48001, mss1000, sizeof(mss1000)), 0);
	una = c.iss + 1;
	c.win = 2000;
	th_ack(&c, una);
	assert_int_equal(tpa_write(c.sid, data, 5000), 5000);
	assert_non_null(th_pop_tcp());
	assert_non_null(th_pop_tcp());
	assert_null(th_pop_tcp());
	c.win = 0;
	th_ack(&c, una + 2000);
	assert_null(th_pop_tcp());
	assert_true(th_sock(c.sid)->flags & SK_PERSIST);
	assert_int_equal(th_sock(c.sid)->rto_at, 0);
	/* a window update without new ACK reopens it (RFC 9293 3.10.7.4 SND.WL1/WL2 rule) */
	c.win = 1000;
	th_ack(&c, una + 2000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, una + 2000);
	assert_int_equal(s->len, 1000);
	assert_null(th_pop_tcp());
}

/* An old segment (SND.WL1 rule) must not shrink the window. */
static void test_old_segment_does_not_update_window(void **state)
{
	struct th_conn c;
	uint32_t una;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9402, 48002, mss1000, sizeof(mss1000)), 0);
	una = c.iss + 1;
	th_send(&c, TCP_PSH, "abcd", 4);	/* WL1 moves to the data's seq */
	assert_int_equal(th_sock(c.sid)->snd_wnd, 65535);
	/* a reordered older ACK (lower seq) advertising window 0 */
	th_inject(c.pport, c.lport, TCP_ACK, c.pseq - 4, una, 0, NULL, 0, NULL, 0);
	assert_int_equal(th_sock(c.sid)->snd_wnd, 65535);
}

/* Our receive window: fills as data waits unread, never goes negative, reopens on read. */
static void test_receive_window_fill_and_reopen(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	static uint8_t buf[8192];
	uint32_t base;

	(void)state;
	th_cfg("tcp.rcv_buf=4096");
	assert_true(tpa_listen_on(NULL, 9403, NULL) >= 0);
	th_inject(48003, 9403, TCP_SYN, 1000, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->win, 4096);
	assert_int_equal(th_open_passive(&c, 9404, 48004, NULL, 0), 0);
	base = c.pseq;
	for (int i = 0; i < 4; i++) {
		th_pattern(buf, c.pseq, 1024);
		th_send(&c, 0, buf, 1024);
		s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->ack, base + 1024 * (i + 1));
		assert_int_equal(s->win, 4096 - 1024 * (i + 1));
	}
	/* window is zero: new data is not acceptable (RFC 9293 3.10.7.4) */
	th_send(&c, 0, "more", 4);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base + 4096);
	assert_int_equal(s->win, 0);
	assert_int_equal(th_drops(DROP_TCP_OUT_OF_WINDOW), 1);
	c.pseq -= 4;
	/* a bare ACK at rcv_nxt is acceptable in a zero window */
	th_send(&c, 0, NULL, 0);
	assert_int_equal(th_drops(DROP_TCP_OUT_OF_WINDOW), 1);
	/* the application reads: a window update goes out */
	assert_int_equal(tpa_read(c.sid, buf, sizeof(buf)), 4096);
	th_run();
	s = NULL;
	{
		struct th_seg *x;
		while ((x = th_pop_tcp()))
			s = x;
	}
	assert_non_null(s);
	assert_int_equal(s->win, 4096);
	assert_int_equal(s->ack, base + 4096);
}

/* Bytes beyond the advertised window are cut off, the rest is kept. */
static void test_data_beyond_window_trimmed(void **state)
{
	struct th_conn c;
	static uint8_t buf[8192], got[8192];
	uint32_t base;
	ssize_t n;

	(void)state;
	th_cfg("tcp.rcv_buf=4096");
	assert_int_equal(th_open_passive(&c, 9405, 48005, NULL, 0), 0);
	base = c.pseq;
	th_pattern(buf, base, 3000);
	th_send(&c, 0, buf, 3000);
	th_pattern(buf, base + 3000, 2000);
	th_send(&c, 0, buf, 2000);
	assert_int_equal(th_sock(c.sid)->rcv_nxt, base + 4096);
	n = tpa_read(c.sid, got, sizeof(got));
	assert_int_equal(n, 4096);
	th_pattern(buf, base, 4096);
	assert_memory_equal(got, buf, 4096);
}

/* The sender never sends past the peer's window. */
static void test_sender_respects_peer_window(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t sent = 0, una;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9406, 48006, mss1000, sizeof(mss1000)), 0);
	una = c.iss + 1;
	c.win = 3000;
	th_ack(&c, una);
	assert_int_equal(tpa_write(c.sid, data, 10000), 10000);
	while ((s = th_pop_tcp()))
		sent += s->len;
	assert_int_equal(sent, 3000);
	/* each ACK slides the window */
	th_ack(&c, una + 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, una + 3000);
	assert_int_equal(s->len, 1000);
	assert_null(th_pop_tcp());
}

/* tcp.delayed_ack_us > 0: one ACK per two segments, or when the timer runs out. */
static void test_delayed_ack(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;

	(void)state;
	th_cfg("tcp.delayed_ack_us=20000");
	assert_int_equal(th_open_passive(&c, 9407, 48007, NULL, 0), 0);
	base = c.pseq;
	th_send(&c, 0, "a", 1);
	assert_null(th_pop_tcp());
	th_send(&c, 0, "b", 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base + 2);
	assert_null(th_pop_tcp());
	/* a lone segment: ACKed when the timer expires */
	th_send(&c, 0, "c", 1);
	th_advance_us(15 * 1000);
	assert_null(th_pop_tcp());
	th_advance_us(7 * 1000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base + 3);
	assert_null(th_pop_tcp());
	/* out-of-order data is acknowledged at once (RFC 5681 4.2) */
	c.pseq = base + 10;
	th_send(&c, 0, "x", 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base + 3);
	/* filling the hole is acknowledged at once too */
	c.pseq = base + 3;
	th_send(&c, 0, "1234567", 7);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base + 11);
}

/* Data we send carries the pending ACK: no separate pure ACK. */
static void test_delayed_ack_piggybacks_on_data(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;

	(void)state;
	th_cfg("tcp.delayed_ack_us=20000");
	assert_int_equal(th_open_passive(&c, 9408, 48008, NULL, 0), 0);
	base = c.pseq;
	th_send(&c, 0, "q", 1);
	assert_null(th_pop_tcp());
	assert_int_equal(tpa_write(c.sid, "r", 1), 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->len, 1);
	assert_int_equal(s->ack, base + 1);
	th_advance_us(25 * 1000);
	assert_null(th_pop_tcp());	/* the delayed ACK was cancelled */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_zero_window_persist_probes, setup),
		cmocka_unit_test_setup(test_window_closes_with_ack, setup),
		cmocka_unit_test_setup(test_old_segment_does_not_update_window, setup),
		cmocka_unit_test_setup(test_receive_window_fill_and_reopen, setup),
		cmocka_unit_test_setup(test_data_beyond_window_trimmed, setup),
		cmocka_unit_test_setup(test_sender_respects_peer_window, setup),
		cmocka_unit_test_setup(test_delayed_ack, setup),
		cmocka_unit_test_setup(test_delayed_ack_piggybacks_on_data, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
