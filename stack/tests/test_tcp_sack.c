/* SPDX-License-Identifier: BSD-3-Clause */
/* SACK (RFC 2018): blocks we generate for out-of-order data, blocks we consume (RFC 6675 holes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"

static const uint8_t mss1000_sack[] = { 2, 4, 0x03, 0xe8, 4, 2 };
static const uint8_t sackok[] = { 4, 2 };
static uint8_t data[20000];

static int setup(void **state)
{
	(void)state;
	th_reset();
	th_pattern(data, 0, sizeof(data));
	return 0;
}

/* Peer sends @p len bytes at offset @p off from the connection's next expected sequence @p base. */
static void send_at(struct th_conn *c, uint32_t base, uint32_t off, uint32_t len)
{
	uint8_t buf[2000];

	th_pattern(buf, base + off, len);
	c->pseq = base + off;
	th_send(c, 0, buf, len);
}

static void assert_block(const struct th_seg *s, int i, uint32_t start, uint32_t end)
{
	assert_true(i < s->o.nr_sack);
	assert_int_equal(s->o.sack[i].start, start);
	assert_int_equal(s->o.sack[i].end, end);
}

/* RFC 2018 4: the first block holds the most recently received segment. */
static void test_sack_blocks_generated(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t b;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9200, 46000, sackok, sizeof(sackok)), 0);
	b = c.pseq;
	send_at(&c, b, 100, 100);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, b);	/* duplicate ACK at once */
	assert_int_equal(s->o.nr_sack, 1);
	assert_block(s, 0, b + 100, b + 200);
	send_at(&c, b, 300, 100);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->o.nr_sack, 2);
	assert_block(s, 0, b + 300, b + 400);
	assert_block(s, 1, b + 100, b + 200);
	/* the gap between them is filled: one merged block */
	send_at(&c, b, 200, 100);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, b);
	assert_int_equal(s->o.nr_sack, 1);
	assert_block(s, 0, b + 100, b + 400);
	/* the hole at the front is filled: cumulative ACK, no SACK */
	send_at(&c, b, 0, 100);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, b + 400);
	assert_int_equal(s->o.nr_sack, 0);
}

/* Without timestamps four blocks fit (40 bytes of options); with timestamps three. */
static void test_sack_block_limits(void **state)
{
	struct th_conn c;
	struct th_seg *s = NULL;
	uint8_t o[16];
	uint32_t b;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9201, 46001, sackok, sizeof(sackok)), 0);
	b = c.pseq;
	for (int i = 0; i < 5; i++) {
		send_at(&c, b, 100 + 200 * i, 100);
		s = th_pop_tcp();
		assert_non_null(s);
	}
	assert_int_equal(s->o.nr_sack, 4);
	assert_block(s, 0, b + 900, b + 1000);	/* newest first */
	assert_block(s, 1, b + 700, b + 800);

	th_reset();
	{
		uint8_t so[16] = { 4, 2 };
		uint8_t n = 2;
		n += th_opt_ts(so + n, 50, 0);
		assert_int_equal(th_open_passive(&c, 9201, 46001, so, n), 0);
	}
	b = c.pseq;
	for (int i = 0; i < 5; i++) {
		uint8_t buf[100];
		th_pattern(buf, b + 100 + 200 * i, 100);
		c.pseq = b + 100 + 200 * i;
		th_send_opts(&c, 0, buf, 100, o, th_opt_ts(o, 60, 1));
		s = th_pop_tcp();
		assert_non_null(s);
	}
	assert_true(s->o.has_ts);
	assert_int_equal(s->o.nr_sack, 3);
	assert_block(s, 0, b + 900, b + 1000);
}

static void test_no_sack_blocks_without_permission(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t b;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9202, 46002, NULL, 0), 0);
	b = c.pseq;
	send_at(&c, b, 100, 100);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, b);
	assert_int_equal(s->o.nr_sack, 0);
}

static void open_and_send10(struct th_conn *c, uint16_t port)
{
	assert_int_equal(th_open_passive(c, port, 46010, mss1000_sack, sizeof(mss1000_sack)), 0);
	assert_true(th_sock(c->sid)->flags & SK_SACK_OK);
	assert_int_equal(tpa_write(c->sid, data, 10000), 10000);
	for (int i = 0; i < 10; i++)
		assert_non_null(th_pop_tcp());
	assert_null(th_pop_tcp());
}

static void sack_dupack(struct th_conn *c, int n, const uint32_t *blocks)
{
	uint8_t o[40];

	th_inject(c->pport, c->lport, TCP_ACK, c->pseq, c->pack, c->win, NULL, 0, o, th_opt_sack(o, n, blocks));
}

/* Segments 0 and 3 lost: fast retransmit of 0, then the hole at 3 from the scoreboard. */
static void test_sack_hole_retransmission(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	struct tcp_sock *sk;
	uint32_t b;

	(void)state;
	open_and_send10(&c, 9203);
	sk = th_sock(c.sid);
	b = c.iss + 1;
	c.pack = b;
	sack_dupack(&c, 1, (uint32_t[]){ b + 1000, b + 2000 });
	sack_dupack(&c, 1, (uint32_t[]){ b + 1000, b + 3000 });
	assert_null(th_pop_tcp());
	assert_int_equal(sk->nr_sacked, 1);
	sack_dupack(&c, 2, (uint32_t[]){ b + 4000, b + 5000, b + 1000, b + 3000 });
	assert_int_equal(sk->nr_sacked, 2);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, b);
	assert_int_equal(s->len, 1000);
	assert_null(th_pop_tcp());
	/* the next duplicate ACK lets the second hole go, before any partial ACK */
	sack_dupack(&c, 2, (uint32_t[]){ b + 4000, b + 6000, b + 1000, b + 3000 });
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, b + 3000);
	assert_int_equal(s->len, 1000);
	assert_memory_equal(s->payload, data + 3000, 1000);
	assert_null(th_pop_tcp());
	/* no hole left below the highest SACKed byte: nothing is resent twice */
	sack_dupack(&c, 2, (uint32_t[]){ b + 4000, b + 10000, b + 1000, b + 3000 });
	assert_null(th_pop_tcp());
	/* partial ACK up to the second hole: still nothing to resend */
	c.pack = b + 3000;
	sack_dupack(&c, 1, (uint32_t[]){ b + 4000, b + 10000 });
	while ((s = th_pop_tcp()))
		assert_false(s->seq == b + 3000 && s->len);
	assert_int_equal(sk->nr_sacked, 1);
	assert_int_equal(sk->sacked[0].start, b + 4000);
	th_ack(&c, b + 10000);
	assert_int_equal(sk->nr_sacked, 0);
	assert_false(sk->flags & SK_IN_RECOVERY);
	assert_int_equal(sk->retrans_pkts, 2);
	assert_int_equal(sk->fast_retrans, 1);
}

/* Blocks outside [snd_una, snd_max] are ignored; overlapping ones merge (sorted scoreboard). */
static void test_scoreboard_bounds_and_merge(void **state)
{
	struct th_conn c;
	struct tcp_sock *sk;
	uint32_t b;

	(void)state;
	open_and_send10(&c, 9204);
	sk = th_sock(c.sid);
	b = c.iss + 1;
	c.pack = b;
	sack_dupack(&c, 1, (uint32_t[]){ b + 10000, b + 11000 });	/* never sent */
	assert_int_equal(sk->nr_sacked, 0);
	sack_dupack(&c, 1, (uint32_t[]){ b - 2000, b - 1000 });	/* already acked */
	assert_int_equal(sk->nr_sacked, 0);
	sack_dupack(&c, 3, (uint32_t[]){ b + 5000, b + 6000, b + 2000, b + 3000, b + 2500, b + 5500 });
	assert_int_equal(sk->nr_sacked, 1);
	assert_int_equal(sk->sacked[0].start, b + 2000);
	assert_int_equal(sk->sacked[0].end, b + 6000);
	sack_dupack(&c, 1, (uint32_t[]){ b + 8000, b + 9000 });
	assert_int_equal(sk->nr_sacked, 2);
	assert_int_equal(sk->sacked[1].start, b + 8000);
	/* a cumulative ACK inside a block trims it */
	th_ack(&c, b + 2500);
	assert_int_equal(sk->nr_sacked, 2);
	assert_int_equal(sk->sacked[0].start, b + 2500);
	/* RFC 2018 8: the receiver may renege; an RTO forgets the scoreboard */
	th_advance_us(1200 * 1000);
	assert_int_equal(sk->nr_sacked, 0);
}

/* SACK blocks from a peer that did not agree to SACK are ignored. */
static void test_sack_ignored_when_not_negotiated(void **state)
{
	struct th_conn c;
	uint32_t b;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9205, 46011, (const uint8_t[]){ 2, 4, 0x03, 0xe8 }, 4), 0);
	assert_int_equal(tpa_write(c.sid, data, 5000), 5000);
	th_clear_out();
	b = c.iss + 1;
	c.pack = b;
	sack_dupack(&c, 1, (uint32_t[]){ b + 1000, b + 2000 });
	assert_int_equal(th_sock(c.sid)->nr_sacked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sack_blocks_generated, setup),
		cmocka_unit_test_setup(test_sack_block_limits, setup),
		cmocka_unit_test_setup(test_no_sack_blocks_without_permission, setup),
		cmocka_unit_test_setup(test_sack_hole_retransmission, setup),
		cmocka_unit_test_setup(test_scoreboard_bounds_and_merge, setup),
		cmocka_unit_test_setup(test_sack_ignored_when_not_negotiated, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
