/* SPDX-License-Identifier: BSD-3-Clause */
/* Fast retransmit and NewReno fast recovery without SACK (RFC 5681 3.2, RFC 6582). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static const uint8_t mss1000[] = { 2, 4, 0x03, 0xe8 };
static uint8_t data[40000];

static int setup(void **state)
{
	(void)state;
	th_reset();
	th_pattern(data, 0, sizeof(data));
	return 0;
}

/* Open with MSS 1000 and send @p n full segments; the peer receives all of them. */
static void open_and_send(struct th_conn *c, uint16_t port, int n)
{
	assert_int_equal(th_open_passive(c, port, 45000, mss1000, sizeof(mss1000)), 0);
	assert_int_equal(th_sock(c->sid)->cwnd, 10000);	/* IW = 10 segments (RFC 6928) */
	assert_int_equal(tpa_write(c->sid, data, (size_t)n * 1000), n * 1000);
	for (int i = 0; i < n && i < 10; i++) {
		struct th_seg *s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->seq, c->iss + 1 + 1000 * i);
		assert_int_equal(s->len, 1000);
	}
	assert_null(th_pop_tcp());
}

static void dupack(struct th_conn *c)
{
	th_ack(c, c->pack);
}

static void test_three_dupacks_fast_retransmit(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	struct tpa_sock_info info;
	uint32_t base;

	(void)state;
	open_and_send(&c, 9100, 10);
	base = c.iss + 1;
	c.pack = base;	/* segment 0 was lost: every ACK repeats base */
	dupack(&c);
	dupack(&c);
	assert_null(th_pop_tcp());
	assert_int_equal(th_sock(c.sid)->dupacks, 2);
	dupack(&c);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, base);
	assert_int_equal(s->len, 1000);
	assert_memory_equal(s->payload, data, 1000);
	assert_null(th_pop_tcp());
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.fast_retrans, 1);
	assert_int_equal(info.dup_acks_in, 3);
	assert_int_equal(info.ssthresh, 5000);		/* FlightSize / 2 */
	assert_int_equal(info.cwnd, 5000 + 3 * 1000);	/* ssthresh + 3 SMSS */
	assert_true(th_sock(c.sid)->flags & SK_IN_RECOVERY);
	assert_int_equal(th_sock(c.sid)->recover, base + 10000);
	/* a full ACK ends recovery and deflates cwnd */
	th_ack(&c, base + 10000);
	assert_false(th_sock(c.sid)->flags & SK_IN_RECOVERY);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.cwnd, 2000);	/* min(ssthresh, max(FlightSize, SMSS) + SMSS) */
	assert_int_equal(info.retrans_pkts, 1);
}

/* ACKs that change the window or carry data are not duplicate ACKs (RFC 5681 2). */
static void test_window_update_or_data_is_not_dupack(void **state)
{
	struct th_conn c;
	uint32_t base;

	(void)state;
	open_and_send(&c, 9101, 10);
	base = c.iss + 1;
	c.pack = base;
	c.win = 60000;
	dupack(&c);
	c.win = 50000;
	dupack(&c);
	c.win = 40000;
	dupack(&c);
	assert_int_equal(th_sock(c.sid)->dupacks, 0);
	th_send(&c, TCP_PSH, "a", 1);
	th_send(&c, TCP_PSH, "b", 1);
	th_send(&c, TCP_PSH, "c", 1);
	assert_int_equal(th_sock(c.sid)->dupacks, 0);
	assert_int_equal(th_sock(c.sid)->fast_retrans, 0);
	/* only our ACKs of the three bytes */
	for (int i = 0; i < 3; i++) {
		struct th_seg *s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->len, 0);
	}
	assert_null(th_pop_tcp());
}

/* RFC 6582 3.2 step 5: a partial ACK retransmits the next hole at once and stays in recovery. */
static void test_newreno_partial_ack(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	struct tpa_sock_info info;
	uint32_t base;

	(void)state;
	open_and_send(&c, 9102, 10);
	base = c.iss + 1;
	/* segments 0 and 3 lost */
	c.pack = base;
	for (int i = 0; i < 3; i++)
		dupack(&c);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, base);
	/* the retransmission fills hole 0: the peer acks up to segment 3 */
	th_ack(&c, base + 3000);
	assert_true(th_sock(c.sid)->flags & SK_IN_RECOVERY);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, base + 3000);
	assert_int_equal(s->len, 1000);
	assert_memory_equal(s->payload, data + 3000, 1000);
	assert_null(th_pop_tcp());
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	/* deflate by the 3000 acked, add back one SMSS */
	assert_int_equal(info.cwnd, 8000 - 3000 + 1000);
	/* duplicate ACKs during recovery do not start another one */
	for (int i = 0; i < 3; i++)
		dupack(&c);
	assert_int_equal(th_sock(c.sid)->fast_retrans, 1);
	th_ack(&c, base + 10000);
	assert_false(th_sock(c.sid)->flags & SK_IN_RECOVERY);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.retrans_pkts, 2);
	assert_int_equal(info.fast_retrans, 1);
	assert_int_equal(info.bytes_out, 10000);
}

/* Each further duplicate ACK inflates cwnd by one SMSS; new data goes once cwnd exceeds the flight. */
static void test_cwnd_inflation_sends_new_data(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;

	(void)state;
	open_and_send(&c, 9103, 20);	/* 10 in flight, 10 waiting */
	base = c.iss + 1;
	c.pack = base;
	for (int i = 0; i < 3; i++)
		dupack(&c);
	assert_non_null(th_pop_tcp());	/* retransmission of segment 0 */
	dupack(&c);	/* cwnd 9000 */
	dupack(&c);	/* cwnd 10000 */
	assert_null(th_pop_tcp());
	dupack(&c);	/* cwnd 11000 > 10000 in flight */
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, base + 10000);
	assert_int_equal(s->len, 1000);
	assert_null(th_pop_tcp());
	assert_int_equal(th_sock(c.sid)->cwnd, 11000);
}

/* RFC 6582 3.2 step 2: duplicate ACKs that do not cover "recover" do not start a new recovery. */
static void test_no_new_recovery_below_recover(void **state)
{
	struct th_conn c;
	uint32_t base;

	(void)state;
	open_and_send(&c, 9104, 10);
	base = c.iss + 1;
	/* an RTO moves recover to snd_max */
	th_advance_us(1100 * 1000);
	assert_true(th_sock(c.sid)->rto_count >= 1);
	th_clear_out();
	/* old duplicate ACKs from before the timeout */
	c.pack = base;
	for (int i = 0; i < 4; i++)
		dupack(&c);
	assert_int_equal(th_sock(c.sid)->fast_retrans, 0);
	assert_false(th_sock(c.sid)->flags & SK_IN_RECOVERY);
}

/* Two dup ACKs are not enough; the counter restarts on new data acked. */
static void test_dupack_counter_resets_on_new_ack(void **state)
{
	struct th_conn c;
	uint32_t base;

	(void)state;
	open_and_send(&c, 9105, 10);
	base = c.iss + 1;
	c.pack = base + 1000;
	th_ack(&c, c.pack);
	dupack(&c);
	dupack(&c);
	th_ack(&c, base + 2000);
	assert_int_equal(th_sock(c.sid)->dupacks, 0);
	dupack(&c);
	dupack(&c);
	assert_int_equal(th_sock(c.sid)->fast_retrans, 0);
	dupack(&c);
	assert_int_equal(th_sock(c.sid)->fast_retrans, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_three_dupacks_fast_retransmit, setup),
		cmocka_unit_test_setup(test_window_update_or_data_is_not_dupack, setup),
		cmocka_unit_test_setup(test_newreno_partial_ack, setup),
		cmocka_unit_test_setup(test_cwnd_inflation_sends_new_data, setup),
		cmocka_unit_test_setup(test_no_new_recovery_below_recover, setup),
		cmocka_unit_test_setup(test_dupack_counter_resets_on_new_ack, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
