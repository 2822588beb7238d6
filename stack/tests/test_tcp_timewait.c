/* SPDX-License-Identifier: BSD-3-Clause */
/* TIME_WAIT: duration, retransmitted FINs, reuse by a new SYN (RFC 6191), old SYNs. */
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
	th_cfg("tcp.time_wait_ms=1000");
	return 0;
}

/* Passive open, app closes first, peer closes: TIME_WAIT on our side. */
static void to_time_wait(struct th_conn *c, uint16_t lport, uint16_t pport, const uint8_t *opts, uint8_t optlen)
{
	struct th_seg *s;

	assert_int_equal(th_open_passive(c, lport, pport, opts, optlen), 0);
	assert_int_equal(tpa_close(c->sid), 0);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->flags & TCP_FIN);
	c->pack = s->seq + 1;
	th_send(c, TCP_FIN, NULL, 0);
	assert_non_null(th_find(lport, pport));
	assert_int_equal(th_find(lport, pport)->state, TPA_TCP_TIME_WAIT);
	th_clear_out();
}

static void test_time_wait_duration(void **state)
{
	struct th_conn c;

	(void)state;
	th_cfg("tcp.time_wait_ms=300");
	to_time_wait(&c, 9700, 51000, NULL, 0);
	th_advance_us(290 * 1000);
	assert_non_null(th_find(9700, 51000));
	th_advance_us(15 * 1000);
	assert_null(th_find(9700, 51000));
	/* time_wait_ms=0: closed right away, the peer's FIN still acknowledged */
	th_cfg("tcp.time_wait_ms=0");
	assert_int_equal(th_open_passive(&c, 9701, 51001, NULL, 0), 0);
	tpa_close(c.sid);
	th_run();
	c.pack = th_pop_tcp()->seq + 1;
	th_send(&c, TCP_FIN, NULL, 0);
	{
		struct th_seg *s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->ack, c.pseq);
	}
	th_advance_us(2 * 1000);
	assert_null(th_find(9701, 51001));
}

/* RFC 9293 3.10.7.4: a retransmitted FIN is acknowledged and restarts the 2 MSL timer. */
static void test_retransmitted_fin_restarts_timer(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	to_time_wait(&c, 9702, 51002, NULL, 0);
	th_advance_us(800 * 1000);
	c.pseq--;
	th_send(&c, TCP_FIN, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->ack, c.pseq);
	th_advance_us(800 * 1000);
	assert_non_null(th_find(9702, 51002));	/* 1.6 s after the first FIN */
	th_advance_us(250 * 1000);
	assert_null(th_find(9702, 51002));
}

/* A SYN with a higher sequence number reuses the pair: a fresh SYN-ACK and a new connection. */
static void test_new_syn_reuses_time_wait(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	int sid;

	(void)state;
	to_time_wait(&c, 9703, 51003, NULL, 0);
	th_inject(51003, 9703, TCP_SYN, c.pseq + 100000, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, c.pseq + 100001);
	assert_int_equal(th_find(9703, 51003)->state, TPA_TCP_SYN_RCVD);
	th_inject(51003, 9703, TCP_ACK, c.pseq + 100001, s->seq + 1, 65535, NULL, 0, NULL, 0);
	assert_int_equal(tpa_accept_burst(th_w, &sid, 1), 1);
	assert_int_equal(th_state(sid), TPA_TCP_ESTABLISHED);
	/* the old TIME_WAIT timer does not kill the new connection */
	th_advance_us(1100 * 1000);
	assert_int_equal(th_state(sid), TPA_TCP_ESTABLISHED);
}

/* A SYN that is not newer (old duplicate) does not reopen: it is acknowledged, TIME_WAIT stays. */
static void test_old_syn_does_not_reuse(void **state)
{
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	to_time_wait(&c, 9704, 51004, NULL, 0);
	th_inject(51004, 9704, TCP_SYN, c.pseq - 50, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->ack, c.pseq);
	assert_int_equal(th_find(9704, 51004)->state, TPA_TCP_TIME_WAIT);
}

/* RFC 6191: with timestamps, a newer TSval allows reuse even when the ISN is lower. */
static void test_syn_with_newer_timestamp_reuses(void **state)
{
	uint8_t o[16];
	struct th_conn c;
	struct th_seg *s;

	(void)state;
	to_time_wait(&c, 9705, 51005, o, th_opt_ts(o, 1000, 0));
	th_inject(51005, 9705, TCP_SYN, c.pseq - 50, 0, 65535, NULL, 0, o, th_opt_ts(o, 2000, 0));
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, c.pseq - 49);
	assert_int_equal(s->o.tsecr, 2000);
}

/* Without a listener a new SYN cannot be accepted; TIME_WAIT keeps the pair. */
static void test_syn_without_listener(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	int ls;

	(void)state;
	to_time_wait(&c, 9706, 51006, NULL, 0);
	ls = tcp_listen_lookup(rte_cpu_to_be_16(9706))->sid;
	assert_int_equal(tpa_close(ls), 0);
	th_inject(51006, 9706, TCP_SYN, c.pseq + 100000, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_false(s->flags & TCP_SYN);
	assert_non_null(th_find(9706, 51006));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_time_wait_duration, setup),
		cmocka_unit_test_setup(test_retransmitted_fin_restarts_timer, setup),
		cmocka_unit_test_setup(test_new_syn_reuses_time_wait, setup),
		cmocka_unit_test_setup(test_old_syn_does_not_reuse, setup),
		cmocka_unit_test_setup(test_syn_with_newer_timestamp_reuses, setup),
		cmocka_unit_test_setup(test_syn_without_listener, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
