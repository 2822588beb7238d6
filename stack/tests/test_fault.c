/* SPDX-License-Identifier: BSD-3-Clause */
/* Fault injection: spec parsing, and drop/dup/delay/corrupt/truncate/port on real frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "fault.h"

static int setup(void **state)
{
	(void)state;
	th_reset();
	return 0;
}

static void test_parse_good(void **state)
{
	struct tpa_fault_spec s;
	char err[256];

	(void)state;
	assert_int_equal(tpa_fault_parse("drop=0.02,dup=0.01,reorder=0.05,delay=0.1,delay_us=500,truncate=0.001,"
					 "corrupt=1,port=5201", &s, err, sizeof(err)), 0);
	assert_int_equal(s.ppm[FAULT_DROP], 20000);
	assert_int_equal(s.ppm[FAULT_DUP], 10000);
	assert_int_equal(s.ppm[FAULT_REORDER], 50000);
	assert_int_equal(s.ppm[FAULT_DELAY], 100000);
	assert_int_equal(s.ppm[FAULT_TRUNCATE], 1000);
	assert_int_equal(s.ppm[FAULT_CORRUPT], 1000000);
	assert_int_equal(s.delay_us, 500);
	assert_int_equal(s.port, 5201);
	assert_true(s.active);
	assert_int_equal(tpa_fault_parse("", &s, err, sizeof(err)), 0);
	assert_false(s.active);
	assert_int_equal(s.delay_us, 1000);	/* default */
	assert_int_equal(tpa_fault_parse("drop=0", &s, err, sizeof(err)), 0);
	assert_false(s.active);	/* all-zero probabilities: off */
	assert_int_equal(tpa_fault_parse("port=80", &s, err, sizeof(err)), 0);
	assert_false(s.active);
	assert_string_equal(tpa_fault_kind_name(FAULT_TRUNCATE), "truncate");
	assert_null(tpa_fault_kind_name(FAULT_NR_KIND));
}

static void test_parse_bad(void **state)
{
	static const struct { const char *spec, *names; } bad[] = {
		{ "drop=1.5", "drop" }, { "drop=-0.1", "drop" }, { "drop=", "drop" }, { "drop=0.1x", "drop" },
		{ "drop", "drop" }, { "explode=0.1", "explode" }, { "port=65536", "port" }, { "port=x", "port" },
		{ "delay_us=10000001", "delay_us" }, { "delay_us=", "delay_us" }, { "drop=0.1,,dup", "dup" },
	};
	struct tpa_fault_spec s;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (tpa_fault_parse(bad[i].spec, &s, err, sizeof(err)) == 0)
			fail_msg("'%s' accepted", bad[i].spec);
		if (!strstr(err, bad[i].names))
			fail_msg("message for '%s' does not name the item: %s", bad[i].spec, err);
	}
}

static void set_egress(const char *spec)
{
	struct tpa_fault_spec s;
	char err[256];

	assert_int_equal(tpa_fault_parse(spec, &s, err, sizeof(err)), 0);
	tpa_fault_set(FAULT_EGRESS, &s);
}

static uint64_t injected(int dir, int kind)
{
	uint64_t c[2][FAULT_NR_KIND];

	tpa_fault_counters(c);
	return c[dir][kind];
}

static void test_egress_drop_all_and_port_filter(void **state)
{
	struct th_conn c;
	uint64_t d0;

	(void)state;
	assert_int_equal(th_open_passive(&c, 6000, 54000, NULL, 0), 0);
	d0 = injected(FAULT_EGRESS, FAULT_DROP);
	set_egress("drop=1,port=6001");	/* another port: not affected */
	assert_int_equal(tpa_write(c.sid, "a", 1), 1);
	assert_non_null(th_pop_tcp());
	th_ack(&c, c.iss + 2);
	set_egress("drop=1,port=6000");
	assert_int_equal(tpa_write(c.sid, "b", 1), 1);
	assert_null(th_pop());
	assert_int_equal(injected(FAULT_EGRESS, FAULT_DROP), d0 + 1);
	set_egress("");
	th_advance_us(1100 * 1000);	/* the RTO resends what was dropped */
	{
		struct th_seg *s = th_pop_tcp();
		assert_non_null(s);
		assert_int_equal(s->len, 1);
		assert_int_equal(s->payload[0], 'b');
	}
}

static void test_egress_dup_and_delay(void **state)
{
	struct th_conn c;
	struct th_seg a, *s;

	(void)state;
	assert_int_equal(th_open_passive(&c, 6002, 54002, NULL, 0), 0);
	set_egress("dup=1");
	assert_int_equal(tpa_write(c.sid, "d", 1), 1);
	th_run();
	s = th_pop_tcp();
	assert_non_null(s);
	a = *s;
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->seq, a.seq);
	assert_int_equal(s->len, 1);
	assert_null(th_pop());
	th_ack(&c, a.seq + 1);
	th_clear_out();
	set_egress("delay=1,delay_us=5000");
	assert_int_equal(tpa_write(c.sid, "e", 1), 1);
	assert_null(th_pop());
	th_advance_us(3000);
	assert_null(th_pop());
	th_advance_us(3000);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_int_equal(s->payload[0], 'e');
	set_egress("");
}

static void test_egress_corrupt_and_truncate(void **state)
{
	struct th_conn c;
	struct th_seg *s;
	uint32_t full;

	(void)state;
	assert_int_equal(th_open_passive(&c, 6004, 54004, NULL, 0), 0);
	set_egress("corrupt=1");
	assert_int_equal(tpa_write(c.sid, "0123456789", 10), 10);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_false(s->csum_ok);	/* a checksum catches the flipped byte */
	set_egress("");
	assert_int_equal(tpa_write(c.sid, "x", 1), 1);
	s = th_pop_tcp();
	assert_non_null(s);
	assert_true(s->csum_ok);
	full = s->frame_len;
	set_egress("truncate=1");
	assert_int_equal(tpa_write(c.sid, "y", 1), 1);
	s = th_pop();
	assert_non_null(s);
	assert_true(s->frame_len < full);
	set_egress("");
}

/* Ingress: a dropped frame is counted as a drop of the worker. */
static void test_ingress_drop(void **state)
{
	struct tpa_fault_spec s;
	char err[128];
	struct rte_mbuf *m = rte_pktmbuf_alloc(th_w->pool);

	(void)state;
	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	assert_int_equal(tpa_fault_parse("drop=1", &s, err, sizeof(err)), 0);
	tpa_fault_set(FAULT_INGRESS, &s);
	assert_null(tpa_fault_apply(th_w, FAULT_INGRESS, m));
	assert_int_equal(th_drops(DROP_FAULT_INJECTED), 1);
	assert_int_equal(tpa_fault_parse("", &s, err, sizeof(err)), 0);
	tpa_fault_set(FAULT_INGRESS, &s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_parse_good, setup),
		cmocka_unit_test_setup(test_parse_bad, setup),
		cmocka_unit_test_setup(test_egress_drop_all_and_port_filter, setup),
		cmocka_unit_test_setup(test_egress_dup_and_delay, setup),
		cmocka_unit_test_setup(test_egress_corrupt_and_truncate, setup),
		cmocka_unit_test_setup(test_ingress_drop, setup),
	};

	if (th_global_init()) {
		fprintf(stderr, "harness init failed\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
