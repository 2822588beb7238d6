/* SPDX-License-Identifier: BSD-3-Clause */
/* Out-of-order reassembly: holes, overlaps, duplicates, queue bound, FIN beyond a hole. */
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

/* Peer sends bytes [off, off+len) of its stream (pattern data) relative to @p base. */
static void send_at(struct th_conn *c, uint32_t base, uint32_t off, uint32_t len, uint8_t flags)
{
	static uint8_t buf[4000];

	th_pattern(buf, base + off, len);
	c->pseq = base + off;
	th_send(c, flags, buf, len);
}

/* Read everything queued and check it is the pattern of [base, base+want). */
static void expect_stream(int sid, uint32_t base, uint32_t want)
{
	static uint8_t got[20000], exp[20000];
	ssize_t n, tot = 0;

	while ((n = tpa_read(sid, got + tot, sizeof(got) - (size_t)tot)) > 0)
		tot += n;
	assert_int_equal(tot, want);
	th_pattern(exp, base, want);
	assert_memory_equal(got, exp, want);
}

static uint32_t last_ack(void)
{
	struct th_seg *s, last = { 0 };
	int n = 0;

	while ((s = th_pop_tcp())) {
		last = *s;
		n++;
	}
	assert_true(n > 0);
	return last.ack;
}

static void test_reorder_three_segments(void **state)
{
	struct th_conn c;
	struct tpa_sock_info info;
	char b[4];
	uint32_t base;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9300, 47000, NULL, 0), 0);
	base = c.pseq;
	send_at(&c, base, 200, 100, 0);
	send_at(&c, base, 100, 100, 0);
	assert_int_equal(last_ack(), base);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), -1);	/* nothing in order yet */
	assert_int_equal(errno, EAGAIN);
	send_at(&c, base, 0, 100, 0);
	assert_int_equal(last_ack(), base + 300);
	expect_stream(c.sid, base, 300);
	assert_int_equal(tpa_sock_info_get(c.sid, &info), 0);
	assert_int_equal(info.ooo_pkts, 2);
	assert_int_equal(info.bytes_in, 300);
	assert_int_equal(th_sock(c.sid)->ooo_bytes, 0);
}

/* A new segment overlapping the front and back of queued ones keeps every byte once. */
static void test_overlapping_segments(void **state)
{
	struct th_conn c;
	uint32_t base;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9301, 47001, NULL, 0), 0);
	base = c.pseq;
	send_at(&c, base, 100, 100, 0);	/* [100,200) */
	send_at(&c, base, 300, 100, 0);	/* [300,400) */
	send_at(&c, base, 150, 200, 0);	/* [150,350) overlaps both */
	assert_int_equal(th_sock(c.sid)->ooo_bytes, 300);
	send_at(&c, base, 50, 400, 0);	/* [50,450) covers all of them */
	assert_int_equal(th_sock(c.sid)->ooo_bytes, 400);
	send_at(&c, base, 0, 60, 0);	/* overlaps the front of the queue */
	assert_int_equal(last_ack(), base + 450);
	expect_stream(c.sid, base, 450);
	assert_int_equal(th_sock(c.sid)->ooo_bytes, 0);
	assert_null(th_sock(c.sid)->ooo_head);
}

static void test_duplicate_segments(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9302, 47002, NULL, 0), 0);
	base = c.pseq;
	/* out-of-order duplicate */
	send_at(&c, base, 100, 100, 0);
	send_at(&c, base, 100, 100, 0);
	send_at(&c, base, 120, 50, 0);	/* inside a queued one */
	assert_int_equal(th_sock(c.sid)->ooo_bytes, 100);
	th_clear_out();
	send_at(&c, base, 0, 100, 0);
	assert_int_equal(last_ack(), base + 200);
	/* an old duplicate of data already received: ACK again, queue nothing */
	send_at(&c, base, 0, 100, 0);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base + 200);
	assert_int_equal(th_drops(DROP_TCP_OUT_OF_WINDOW), 1);
	/* partly old, partly new: only the new part is queued */
	send_at(&c, base, 150, 100, 0);
	assert_int_equal(last_ack(), base + 250);
	expect_stream(c.sid, base, 250);
}

/* tcp.ooo_max_bytes bounds what waits behind a hole. */
static void test_ooo_queue_bound(void **state)
{
	struct th_conn c;
	uint32_t base;

	(void)state;
	th_cfg("tcp.ooo_max_bytes=250");
	assert_int_equal(th_open_passive(&c, 9303, 47003, NULL, 0), 0);
	base = c.pseq;
	send_at(&c, base, 100, 100, 0);
	send_at(&c, base, 300, 100, 0);
	send_at(&c, base, 500, 100, 0);	/* would exceed 250 */
	assert_int_equal(th_drops(DROP_TCP_OOO_FULL), 1);
	assert_int_equal(th_sock(c.sid)->ooo_bytes, 200);
	send_at(&c, base, 0, 100, 0);
	send_at(&c, base, 200, 100, 0);
	assert_int_equal(last_ack(), base + 400);
	expect_stream(c.sid, base, 400);
}

/* A FIN that arrives beyond a hole takes effect once the hole is filled. */
static void test_fin_beyond_hole(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9304, 47004, (const uint8_t[]){ 4, 2 }, 2), 0);
	base = c.pseq;
	send_at(&c, base, 100, 100, TCP_FIN);
	assert_int_equal(th_state(c.sid), TPA_TCP_ESTABLISHED);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->ack, base);
	send_at(&c, base, 0, 100, 0);
	assert_int_equal(th_state(c.sid), TPA_TCP_CLOSE_WAIT);
	assert_int_equal(last_ack(), base + 201);	/* data and FIN */
	expect_stream(c.sid, base, 200);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 0);
}

/* A bare FIN beyond a hole: SACK blocks we send must never be empty (RFC 2018 3). */
static void test_bare_fin_beyond_hole(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t base;
	char b[4];

	(void)state;
	assert_int_equal(th_open_passive(&c, 9305, 47005, (const uint8_t[]){ 4, 2 }, 2), 0);
	base = c.pseq;
	c.pseq = base + 100;
	th_send(&c, TCP_FIN, NULL, 0);
	while ((s = th_pop_tcp())) {
		assert_int_equal(s->ack, base);
		for (int i = 0; i < s->o.nr_sack; i++)
			assert_true(SEQ_LT(s->o.sack[i].start, s->o.sack[i].end));
	}
	send_at(&c, base, 0, 100, 0);
	assert_int_equal(th_state(c.sid), TPA_TCP_CLOSE_WAIT);
	assert_int_equal(last_ack(), base + 101);
	expect_stream(c.sid, base, 100);
	assert_int_equal(tpa_read(c.sid, b, sizeof(b)), 0);
}

/* Many small out-of-order segments in reverse order reassemble correctly. */
static void test_reverse_order_many(void **state)
{
	struct th_conn c;
	uint32_t base;

	(void)state;
	assert_int_equal(th_open_passive(&c, 9306, 47006, NULL, 0), 0);
	base = c.pseq;
	for (int i = 39; i >= 0; i--)
		send_at(&c, base, (uint32_t)i * 50, 50, 0);
	assert_int_equal(last_ack(), base + 2000);
	expect_stream(c.sid, base, 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reorder_three_segments, setup),
		cmocka_unit_test_setup(test_overlapping_segments, setup),
		cmocka_unit_test_setup(test_duplicate_segments, setup),
		cmocka_unit_test_setup(test_ooo_queue_bound, setup),
		cmocka_unit_test_setup(test_fin_beyond_hole, setup),
		cmocka_unit_test_setup(test_bare_fin_beyond_hole, setup),
		cmocka_unit_test_setup(test_reverse_order_many, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
