/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 5961: RST and SYN blind-injection defences (challenge ACKs), ACK acceptability. */
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
	return 0;
}

static void assert_challenge_ack(const struct th_conn *c)
{
	struct th_seg *s = th_pop_tcp();

	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->seq, c->pack);	/* SND.NXT */
	assert_int_equal(s->ack, c->pseq);	/* RCV.NXT */
	assert_int_equal(s->len, 0);
	assert_null(th_pop_tcp());
}

/* 3.2: RST with SEQ = RCV.NXT resets the connection; the application sees ECONNRESET. */
static void test_rst_exact_match_resets(void **state)
{
	struct th_conn c;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9600, 50000, NULL, 0), 0);
	th_inject(c.pport, c.lport, TCP_RST, c.pseq, 0, 0, NULL, 0, NULL, 0);
	assert_null(th_pop_tcp());	/* never answer a RST */
	assert_int_equal(th_state(c.sid), TPA_TCP_CLOSED);
	assert_null(th_find(c.lport, c.pport));
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(tpa_write(c.sid, "x", 1), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(tpa_close(c.sid), 0);
}

/* RST+ACK with exact sequence is handled the same way. */
static void test_rst_ack_exact_match_resets(void **state)
{
	struct th_conn c;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9601, 50001, NULL, 0), 0);
	th_inject(c.pport, c.lport, TCP_RST | TCP_ACK, c.pseq, c.pack, 0, NULL, 0, NULL, 0);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNRESET);
}

/* 3.2: an in-window RST that is not exact gets a challenge ACK; the connection stays. */
static void test_rst_in_window_challenge_ack(void **state)
{
	struct th_conn c;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9602, 50002, NULL, 0), 0);
	th_inject(c.pport, c.lport, TCP_RST, c.pseq + 1000, 0, 0, NULL, 0, NULL, 0);
	assert_challenge_ack(&c);
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
	/* the real peer answers the challenge with an exact RST */
	th_inject(c.pport, c.lport, TCP_RST, c.pseq, 0, 0, NULL, 0, NULL, 0);
	assert_int_equal(th_state(c.sid), TPA_TCP_CLOSED);
}

/* 3.2: a RST outside the window is dropped silently. */
static void test_rst_out_of_window_ignored(void **state)
{
	struct th_conn c;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9603, 50003, NULL, 0), 0);
	th_inject(c.pport, c.lport, TCP_RST, c.pseq - 1, 0, 0, NULL, 0, NULL, 0);
	th_inject(c.pport, c.lport, TCP_RST, c.pseq + 0x40000000u, 0, 0, NULL, 0, NULL, 0);
	assert_null(th_pop_tcp());
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
	assert_int_equal(th_drops(DROP_TCP_OUT_OF_WINDOW), 2);
}

/* 4.2: a SYN in a synchronized state gets a challenge ACK, whatever its sequence number. */
static void test_syn_in_established_challenge_ack(void **state)
{
	struct th_conn c;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9604, 50004, NULL, 0), 0);
	th_inject(c.pport, c.lport, TCP_SYN, c.pseq + 10, 0, 65535, NULL, 0, NULL, 0);
	assert_challenge_ack(&c);
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
	/* exactly at RCV.NXT too (RFC 5961 4.2 replaces RFC 793's reset) */
	th_inject(c.pport, c.lport, TCP_SYN, c.pseq, 0, 65535, NULL, 0, NULL, 0);
	assert_challenge_ack(&c);
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
	/* the connection still works */
	th_send(&c, TCP_PSH, "ok", 2);
	{
		char b[4];
		assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 2);
	}
}

/* 5.2: an ACK below SND.UNA - MAX.SND.WND is dropped with a challenge ACK; data is not taken. */
static void test_old_ack_challenge(void **state)
{
	struct th_conn c;
	char b[8];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9605, 50005, NULL, 0), 0);
	c.pack = c.iss + 1 - 70000;	/* more than a 65535 window behind */
	th_send(&c, TCP_PSH, "blind", 5);
	c.pseq -= 5;
	c.pack = c.iss + 1;
	assert_challenge_ack(&c);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(errno, EAGAIN);
	/* an old ACK within the window is fine: data accepted */
	c.pack = c.iss + 1 - 1000;
	th_send(&c, TCP_PSH, "fine", 4);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 4);
}

/* RFC 9293 3.10.7.4: an ACK for data never sent is answered with an ACK and dropped. */
static void test_ack_beyond_snd_max(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	char b[8];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9606, 50006, NULL, 0), 0);
	c.pack = c.iss + 1 + 5000;
	th_send(&c, TCP_PSH, "ahead", 5);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->seq, c.iss + 1);
	assert_int_equal(s->ack, c.pseq - 5);	/* data not accepted */
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);
	assert_int_equal(th_sock(c.sid)->snd_una, c.iss + 1);
}

/* In SYN_SENT only a RST whose ACK acknowledges our SYN is believed (RFC 9293 3.10.7.3). */
static void test_syn_sent_rst_needs_acceptable_ack(void **state)
{
	struct th_seg *s;
	int sid;

	(void)state;
	sid = tpa_connect_to(TH_PEER_IP, 9607, NULL);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	th_inject(9607, s->sport, TCP_RST | TCP_ACK, 0, s->seq + 99, 0, NULL, 0, NULL, 0);
	assert_int_equal(th_state(sid), TPA_TCP_SYN_SENT);
	th_inject(9607, s->sport, TCP_RST, 0, 0, 0, NULL, 0, NULL, 0);	/* no ACK: ignored */
	assert_int_equal(th_state(sid), TPA_TCP_SYN_SENT);
	assert_null(th_pop_tcp());
	th_inject(9607, s->sport, TCP_RST | TCP_ACK, 0, s->seq + 1, 0, NULL, 0, NULL, 0);
	assert_int_equal(th_state(sid), TPA_TCP_CLOSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_rst_exact_match_resets, setup),
		cmocka_unit_test_setup(test_rst_ack_exact_match_resets, setup),
		cmocka_unit_test_setup(test_rst_in_window_challenge_ack, setup),
		cmocka_unit_test_setup(test_rst_out_of_window_ignored, setup),
		cmocka_unit_test_setup(test_syn_in_established_challenge_ack, setup),
		cmocka_unit_test_setup(test_old_ack_challenge, setup),
		cmocka_unit_test_setup(test_ack_beyond_snd_max, setup),
		cmocka_unit_test_setup(test_syn_sent_rst_needs_acceptable_ack, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
