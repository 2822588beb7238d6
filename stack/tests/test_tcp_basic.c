/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP core: handshakes, data, ACKs, RST — driven by crafted segments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>

#include "harness.h"

static const uint8_t syn_opts_full[] = {
	2, 4, 0x05, 0xb4,		/* MSS 1460 */
	4, 2,				/* SACK permitted */
	8, 10, 0, 0, 0, 1, 0, 0, 0, 0,	/* TS val=1 ecr=0 */
	1, 3, 3, 7,			/* NOP, WS 7 */
};

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

static void test_passive_open_negotiates_options(void **state)
{
	struct th_seg *s;
	int ls = tpa_listen_on(NULL, 80, NULL);

	(void)state;
	assert_true(ls >= 0);
	th_inject(40000, 80, TCP_SYN, 1000, 0, 65535, NULL, 0, syn_opts_full, sizeof(syn_opts_full));
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_int_equal(s->ack, 1001);
	assert_true(s->csum_ok);
	assert_true(s->o.has_mss);
	assert_int_equal(s->o.mss, 1460);
	assert_true(s->o.sack_ok);
	assert_true(s->o.has_ts);
	assert_int_equal(s->o.tsecr, 1);
	assert_true(s->o.has_wscale);
	assert_null(th_pop());
}

static void test_syn_without_options_gets_plain_synack(void **state)
{
	struct th_seg *s;

	(void)state;
	assert_true(tpa_listen_on(NULL, 81, NULL) >= 0);
	th_inject(40001, 81, TCP_SYN, 5, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_SYN | TCP_ACK);
	assert_false(s->o.has_ts);
	assert_false(s->o.sack_ok);
	assert_false(s->o.has_wscale);	/* only offered when the peer offered it */
}

static void test_rst_for_closed_port(void **state)
{
	struct th_seg *s;

	(void)state;
	th_inject(40002, 9, TCP_SYN, 77, 0, 65535, NULL, 0, NULL, 0);
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_RST | TCP_ACK);
	assert_int_equal(s->seq, 0);
	assert_int_equal(s->ack, 78);
	assert_int_equal(th_drops(DROP_TCP_NO_SOCK), 1);
	/* an ACK segment gets <SEQ=SEG.ACK><CTL=RST> */
	th_inject(40002, 9, TCP_ACK, 77, 5555, 65535, NULL, 0, NULL, 0);
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_RST);
	assert_int_equal(s->seq, 5555);
	/* and a RST gets nothing */
	th_inject(40002, 9, TCP_RST, 77, 0, 0, NULL, 0, NULL, 0);
	assert_null(th_pop());
}

static void test_in_order_data_is_acked_and_readable(void **state)
{
	uint32_t iss;
	char buf[64];
	struct th_seg *s;
	int sid = th_establish_passive(82, 40003, 100, &iss, NULL, 0);

	(void)state;
	assert_true(sid >= 0);
	th_inject(40003, 82, TCP_ACK | TCP_PSH, 101, iss + 1, 65535, "hello", 5, NULL, 0);
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->flags, TCP_ACK);
	assert_int_equal(s->ack, 106);
	assert_int_equal(tpa_read(sid, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(tpa_read(sid, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
}

static void test_write_is_sent_and_completed(void **state)
{
	uint32_t iss;
	struct th_seg *s;
	struct tpa_lat_hist h;
	int sid = th_establish_passive(83, 40004, 100, &iss, NULL, 0);

	(void)state;
	assert_int_equal(tpa_write(sid, "abc", 3), 3);
	s = th_pop();
	assert_non_null(s);
	assert_int_equal(s->seq, iss + 1);
	assert_int_equal(s->len, 3);
	assert_memory_equal(s->payload, "abc", 3);
	assert_true(s->flags & TCP_PSH);
	assert_true(s->csum_ok);
	th_inject(40004, 83, TCP_ACK, 101, iss + 4, 65535, NULL, 0, NULL, 0);
	assert_int_equal(tpa_sock_lat_get(sid, TPA_LAT_WRITE_COMPLETE, &h), 0);
	assert_int_equal(h.count, 1);
	assert_int_equal(tpa_sock_lat_get(sid, TPA_LAT_WRITE_SUBMIT, &h), 0);
	assert_int_equal(h.count, 1);
	assert_int_equal(tpa_sock_lat_get(sid, TPA_LAT_WRITE_XMIT, &h), 0);
	assert_int_equal(h.count, 1);
}

static void test_active_open_and_refused(void **state)
{
	uint32_t iss;
	uint16_t lport;
	int sid = th_establish_active(5201, 9000, &iss, &lport, NULL, 0);
	struct tpa_sock_info info;
	char b[4];

	(void)state;
	assert_true(sid >= 0);
	assert_int_equal(tpa_sock_info_get(sid, &info), 0);
	assert_int_equal(info.state, TPA_TCP_ESTABLISHED);

	/* a second connect answered by RST+ACK → ECONNREFUSED */
	sid = tpa_connect_to(TH_PEER_IP, 5202, NULL);
	th_run();
	{
		struct th_seg *s = th_pop();
		assert_non_null(s);
		th_inject(5202, s->sport, TCP_RST | TCP_ACK, 0, s->seq + 1, 0, NULL, 0, NULL, 0);
	}
	assert_int_equal(tpa_read(sid, b, sizeof(b)), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(tpa_close(sid), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_passive_open_negotiates_options, setup),
		cmocka_unit_test_setup(test_syn_without_options_gets_plain_synack, setup),
		cmocka_unit_test_setup(test_rst_for_closed_port, setup),
		cmocka_unit_test_setup(test_in_order_data_is_acked_and_readable, setup),
		cmocka_unit_test_setup(test_write_is_sent_and_completed, setup),
		cmocka_unit_test_setup(test_active_open_and_refused, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
